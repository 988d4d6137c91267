"""In-place view ops and storage ops (src/ops/view_inplace.c) against
Debian's PyTorch 1.13: geometry, values, versions, autograd and errors."""
import numpy as np
import pytest
import torch

import ctorch


def both(shape, seed=0, dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ctorch.from_numpy(a.copy()), torch.from_numpy(a.copy())


def same(c, t):
    assert tuple(c.shape) == tuple(t.shape)
    assert c.stride() == t.stride()
    assert c.storage_offset() == t.storage_offset()
    np.testing.assert_array_equal(c.numpy(), t.numpy())


@pytest.mark.parametrize("op", [
    lambda x: x.t_(),
    lambda x: x.transpose_(0, -1),
    lambda x: x.swapdims_(1, 0),
    lambda x: x.swapaxes_(0, 1),
    lambda x: x.unsqueeze_(1),
    lambda x: x.unsqueeze_(-1).squeeze_(),
    lambda x: x.unsqueeze_(0).squeeze_(0),
    lambda x: x.as_strided_((3, 2), (1, 3)),
    lambda x: x.as_strided_((2, 2), (2, 1), 1),
    lambda x: torch_or_ctorch(x).as_strided_(x, (2,), (4,)),
])
def test_inplace_views_match_torch_and_return_self(op):
    c, t = both((2, 3))
    rc, rt = op(c), op(t)
    assert rc is c and rt is t
    same(c, t)


def torch_or_ctorch(x):
    return torch if isinstance(x, torch.Tensor) else ctorch


def test_inplace_view_on_a_view_changes_only_that_tensor():
    c, t = both((4, 6))
    vc, vt = c[1:, ::2], t[1:, ::2]
    vc.t_()
    vt.t_()
    same(vc, vt)
    same(c, t)


@pytest.mark.parametrize("src", ["leaf", "view_of_leaf"])
@pytest.mark.parametrize("name,args", [("t_", ()), ("transpose_", (0, 1)), ("squeeze_", ()),
                                       ("unsqueeze_", (0,)), ("as_strided_", ((2,), (1,))),
                                       ("fill_diagonal_", (1.0,))])
def test_leaves_that_require_grad_are_refused_like_torch(src, name, args):
    msgs = []
    for T in (torch, ctorch):
        x = T.ones(2, 3, requires_grad=True)
        y = x if src == "leaf" else x[:]
        with pytest.raises(RuntimeError) as e:
            getattr(y, name)(*args)
        msgs.append(str(e.value))
        assert tuple(x.shape) == (2, 3)
    assert msgs[1] in msgs[0] or msgs[0] in msgs[1], msgs


@pytest.mark.parametrize("op", [
    lambda x: x.t_(),
    lambda x: x.transpose_(1, 0),
    lambda x: x.unsqueeze_(0),
    lambda x: x.unsqueeze_(2).squeeze_(2),
    lambda x: x.as_strided_((3, 2), (1, 3)),
    lambda x: x.fill_diagonal_(0.5),
])
def test_gradients_through_inplace_views_match_torch(op):
    a = np.random.default_rng(1).standard_normal((2, 3))
    grads = []
    for T in (torch, ctorch):
        x = T.tensor(a, requires_grad=True)
        y = x * 2
        op(y)
        w = T.tensor(np.arange(1.0, 1.0 + y.numel()).reshape(tuple(y.shape)))
        (y * y * w).sum().backward()
        grads.append(np.array(x.grad.tolist()))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("shape,wrap", [((7, 3), True), ((7, 3), False), ((3, 7), True), ((5, 5), False),
                                        ((11, 3), True), ((4, 4, 4), False)])
def test_fill_diagonal_matches_torch(shape, wrap):
    c, t = both(shape)
    assert c.fill_diagonal_(2.5, wrap=wrap) is c
    t.fill_diagonal_(2.5, wrap=wrap)
    same(c, t)
    ci, ti = ctorch.zeros(*shape, dtype=ctorch.int64), torch.zeros(*shape, dtype=torch.int64)
    ci.fill_diagonal_(7.9, wrap)
    ti.fill_diagonal_(7.9, wrap)
    assert ci.tolist() == ti.tolist()


def test_fill_diagonal_on_transposed_input_and_errors():
    c, t = both((3, 7))
    c.t().fill_diagonal_(1, wrap=True)
    t.t().fill_diagonal_(1, wrap=True)
    same(c, t)
    for T in (torch, ctorch):
        with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
            T.zeros(3).fill_diagonal_(1)
        with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
            T.zeros(2, 3, 2).fill_diagonal_(1)


def test_resize_grows_shrinks_and_keeps_views_like_torch():
    for T in (torch, ctorch):
        x = T.arange(6.0)
        v = x[1:3]
        assert x.resize_(3, 4) is x
        assert tuple(x.shape) == (3, 4) and x.stride() == (4, 1)
        assert x.flatten()[:6].tolist() == [0, 1, 2, 3, 4, 5]
        assert v.tolist() == [1, 2]
        x.resize_(2)
        assert x.tolist() == [0, 1]
        t = T.arange(6.0).view(2, 3).t()
        t.resize_(3, 2)
        assert t.stride() == (1, 3)      # unchanged shape: strides kept
        t.resize_(6)
        assert t.stride() == (1,) and t.tolist() == [0, 1, 2, 3, 4, 5]
        o = T.arange(6.0)[2:]
        o.resize_(2, 2)
        assert o.storage_offset() == 2 and o.flatten().tolist() == [2, 3, 4, 5]
        assert o.resize_(()).dim() == 0
        assert tuple(T.zeros(2).resize_as_(T.zeros(3, 3)).shape) == (3, 3)
        assert tuple(T.resize_as_(T.zeros(2), T.zeros(1, 5)).shape) == (1, 5)


def test_resize_errors_like_torch():
    for T in (torch, ctorch):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            T.zeros(2, requires_grad=True).resize_(3)
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            (T.zeros(2, requires_grad=True) * 1).resize_(3)
        with pytest.raises(RuntimeError, match="Trying to resize storage that is not resizable"):
            T.from_numpy(np.zeros(4, dtype=np.float32)).resize_(10)
        assert tuple(T.from_numpy(np.zeros(4, dtype=np.float32)).resize_(2).shape) == (2,)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ctorch.zeros(2).resize_(-1, 3)


def test_set_to_a_source_tensor_its_storage_or_nothing():
    src_c, src_t = both((2, 3))
    res = []
    for T, src in ((ctorch, src_c), (torch, src_t)):
        x = T.zeros(2)
        assert x.set_(src.t()) is x
        src[0, 1] = 10.0
        r = [tuple(x.shape), x.stride(), x.tolist()]
        x.set_(src, 1, (2, 2), (2, 1))
        r += [x.tolist(), x.storage_offset()]
        x.set_(src, 0, (3,))
        r += [x.stride(), x.tolist()]
        x.set_()
        r += [tuple(x.shape), x.stride()]
        res.append(r)
    assert res[0] == res[1]


def test_set_errors_and_autograd():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ctorch.zeros(2, requires_grad=True).set_(ctorch.zeros(2))
    with pytest.raises(NotImplementedError, match="set_"):
        ctorch.zeros(2).set_(ctorch.zeros(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="dtype"):
        ctorch.zeros(2).set_(ctorch.zeros(2, dtype=ctorch.float64))
    with ctorch.no_grad():
        x = ctorch.zeros(2)
        x.set_(ctorch.ones(3, requires_grad=True))
        assert x.tolist() == [1, 1, 1]


def test_inplace_view_errors_match_torch():
    for T in (torch, ctorch):
        with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions"):
            T.zeros(2, 2, 2).t_()
        with pytest.raises(IndexError, match="Dimension out of range"):
            T.zeros(2, 3).transpose_(0, 5)
        with pytest.raises(IndexError, match="Dimension out of range"):
            T.zeros(2, 3).unsqueeze_(5)
        with pytest.raises(RuntimeError, match="out of bounds for storage of size 24"):
            T.zeros(2, 3).as_strided_((3, 2), (1, 3), 1)


def test_clamp_family_with_tensor_bounds_matches_torch():
    c, t = both((3, 4), seed=3)
    lo_c, lo_t = both((4,), seed=4)
    hi_c, hi_t = lo_c + 1, lo_t + 1
    np.testing.assert_array_equal(c.clamp(min=lo_c, max=hi_c).numpy(), t.clamp(min=lo_t, max=hi_t).numpy())
    np.testing.assert_array_equal(ctorch.clamp(c, lo_c).numpy(), torch.clamp(t, lo_t).numpy())
    np.testing.assert_array_equal(c.clamp_min(lo_c).numpy(), t.clamp_min(lo_t).numpy())
    np.testing.assert_array_equal(c.clamp_max(hi_c).numpy(), t.clamp_max(hi_t).numpy())
    c.clamp_min_(lo_c).clamp_max_(0.5)
    t.clamp_min_(lo_t).clamp_max_(0.5)
    np.testing.assert_array_equal(c.numpy(), t.numpy())
