"""Autograd results against Debian's PyTorch 1.13, both libraries side by
side in one process (skipped where torch is not importable)."""
import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")


def _mlp_penalty(lib, xs, w1s, b1s, w2s):
    x = lib.tensor(xs, dtype=lib.float64)
    w1 = lib.tensor(w1s, dtype=lib.float64, requires_grad=True)
    b1 = lib.tensor(b1s, dtype=lib.float64, requires_grad=True)
    w2 = lib.tensor(w2s, dtype=lib.float64, requires_grad=True)
    h = lib.tanh(x @ w1 + b1)
    out = (lib.tanh(h @ w2)).sum()
    gw1, gb1, gw2 = lib.autograd.grad(out, [w1, b1, w2], create_graph=True)
    # gradient penalty: sum of squares of the first gradients
    pen = (gw1 ** 2).sum() + (gb1 ** 2).sum() + (gw2 ** 2).sum()
    loss = out + 0.5 * pen
    loss.backward()
    return [t.detach().numpy().copy() for t in (loss, gw1, gb1, gw2, w1.grad, b1.grad, w2.grad)]


def test_mlp_double_backward_matches_pytorch():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((5, 3)).tolist()
    w1s = (rng.standard_normal((3, 4)) * 0.7).tolist()
    b1s = (rng.standard_normal(4) * 0.1).tolist()
    w2s = (rng.standard_normal((4, 2)) * 0.7).tolist()
    ours = _mlp_penalty(ctorch, xs, w1s, b1s, w2s)
    ref = _mlp_penalty(torch, xs, w1s, b1s, w2s)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_hessian_vector_product_matches_pytorch():
    def hvp(lib):
        x = lib.tensor([0.3, -1.2, 0.8], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 0.5, -2.0], dtype=lib.float64)
        y = (lib.sin(x) * x.exp()).sum() + (x.pow(3) * x.sum()).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad((g * v).sum(), x)
        return h.numpy()
    np.testing.assert_allclose(hvp(ctorch), hvp(torch), rtol=1e-12)


INPLACE_CASES = {
    "mul_": lambda x, y: x.clone().mul_(y),
    "div_": lambda x, y: x.clone().div_(y),
    "pow_": lambda x, y: x.clone().abs().pow_(y),
    "sin_": lambda x, y: x.clone().sin_(),
    "exp_": lambda x, y: x.clone().exp_(),
    "sigmoid_": lambda x, y: x.clone().sigmoid_(),
    "tanh_": lambda x, y: x.clone().tanh_(),
    "atan2_": lambda x, y: x.clone().atan2_(y),
    "clamp_": lambda x, y: x.clone().clamp_(-0.5, 0.5),
    "square_": lambda x, y: x.clone().square_(),
    "view_mul_": lambda x, y: (lambda a: (a[0:2].mul_(y[0:2]), a)[1])(x.clone()),
}


@pytest.mark.parametrize("name", sorted(INPLACE_CASES))
def test_in_place_gradients_match_pytorch(name):
    def run(lib):
        x = lib.tensor([0.3, -0.7, 1.2, 0.5], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, 0.4, -0.8, 2.0], dtype=lib.float64, requires_grad=True)
        out = INPLACE_CASES[name](x, y)
        (out * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
        return [None if t.grad is None else t.grad.numpy() for t in (x, y)]
    for a, b in zip(run(ctorch), run(torch)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_in_place_on_leaf_raises_before_writing():
    for lib in (ctorch, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            x.mul_(3)
        assert x.tolist() == [1.0, 2.0]
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            x[0:1].add_(1)
        assert x.tolist() == [1.0, 2.0]


def test_setitem_with_a_tensor_that_requires_grad():
    def run(lib):
        x = lib.zeros(4, 3, dtype=lib.float64)
        y = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        z = lib.tensor([[0.5, -1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        x[1] = y * 2
        x[2:3] = z
        names = (x.grad_fn.name().split("::")[-1], x.requires_grad, x.is_leaf)
        (x * x).sum().backward()
        return names, y.grad.numpy(), z.grad.numpy()
    (n1, gy1, gz1), (n2, gy2, gz2) = run(ctorch), run(torch)
    assert n1 == n2 == ("CopySlices", True, False)
    np.testing.assert_allclose(gy1, gy2)
    np.testing.assert_allclose(gz1, gz2)


def _pad(lib, x, p, mode):
    if lib is torch:
        return torch.nn.functional.pad(x, p, mode=mode)
    return ctorch._C._pad(x, p, mode)


@pytest.mark.parametrize("mode,p", [("reflect", (2, 1)), ("replicate", (2, 3)), ("circular", (1, 2)),
                                    ("reflect", (1, 2, 1, 0)), ("replicate", (0, 2, 1, 1))])
def test_pad_gradients_match_pytorch(mode, p):
    def run(lib):
        x = lib.tensor([[0.3, -0.7, 1.2, 0.5], [2.0, 0.1, -0.4, 0.9]], dtype=lib.float64, requires_grad=True)
        y = _pad(lib, x[None], p, mode)
        w = lib.arange(y.numel(), dtype=lib.float64).reshape(y.shape) + 1
        (y * w).sum().backward()
        return x.grad.numpy()
    np.testing.assert_allclose(run(ctorch), run(torch))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_match_pytorch(reduce, include_self):
    import warnings

    def run(lib):
        x = lib.tensor([[0.3, -0.7, 1.2, 0.5], [2.0, 0.0, -0.4, 0.9]], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([[1.5, 2., -1., 3.], [0.5, -2., 0., 1.]], dtype=lib.float64, requires_grad=True)
        idx = lib.tensor([[0, 1, 0, 1], [1, 1, 0, 0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter_reduce(1, idx, s * 2, reduce=reduce, include_self=include_self)
        w = lib.arange(8, dtype=lib.float64).reshape(2, 4) + 1
        (y * w).sum().backward()
        return x.grad.numpy(), s.grad.numpy()
    for a, b in zip(run(ctorch), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("src", [[0.0, 0.0, 2.0], [0.0, 5.0, 2.0]])
@pytest.mark.parametrize("retain", [True, False])
def test_scatter_reduce_prod_double_backward_with_zeros_like_pytorch(src, retain):
    import warnings

    def run(lib):
        x = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        s = lib.tensor(src, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter_reduce(0, lib.tensor([0, 0, 1]), s, "prod", include_self=True)
        gx, gs = lib.autograd.grad(y, (x, s), lib.ones_like(y), retain_graph=retain, create_graph=True)
        out = [gx.detach().numpy().copy(), gs.detach().numpy().copy(), gs.grad_fn.name().split("::")[-1]]
        for t in (gs, gx):
            for w in (x, s):
                try:
                    (r,) = lib.autograd.grad(t.sum(), (w,), retain_graph=True, allow_unused=True)
                    out.append(None if r is None else r.numpy().tolist())
                except RuntimeError as e:
                    out.append(str(e)[:60])
        return out
    ours, ref = run(ctorch), run(torch)
    np.testing.assert_array_equal(ours[0], ref[0])
    np.testing.assert_array_equal(ours[1], ref[1])
    assert ours[2:] == ref[2:]


def test_qr_mode_r_backward_raises_like_pytorch():
    for lib in (ctorch, torch):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], dtype=lib.float64, requires_grad=True)
        r = lib.linalg.qr(a, mode="r")[1]
        with pytest.raises(RuntimeError, match="The derivative of linalg.qr depends on Q"):
            r.sum().backward()
