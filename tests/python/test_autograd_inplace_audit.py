"""In-place writes against Debian's PyTorch 1.13: every in-place path (Tensor
methods, nn.functional with inplace=True, nn modules, nn.init) raises the
leaf errors before writing, allows the write under no_grad, and records what
PyTorch records on tensors of a graph. Also the argument lists of tensors
made on the fly (generators), whose tensors must outlive the call."""
import warnings

import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _outcome(lib, fn, kind):
    x = lib.tensor([[0.5, -0.3, 0.2], [-0.7, 0.4, 0.25]], requires_grad=True)
    t = {"leaf": x, "view": x[0:2], "viewsub": x[:, 1:], "nograd": x}[kind]
    before = x.detach().clone().tolist()
    lib.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "nograd":
                with lib.no_grad():
                    fn(lib, t)
            else:
                fn(lib, t)
        out = "ok"
    except Exception as e:  # noqa: BLE001 - the type and message are compared
        out = type(e).__name__ + ": " + str(e).split("\n")[0]
    return out, x.detach().tolist() != before


def _F(lib):
    return lib.nn.functional


INPLACE_PATHS = {
    "relu_": lambda L, x: x.relu_(),
    "F.relu": lambda L, x: _F(L).relu(x, inplace=True),
    "F.relu6": lambda L, x: _F(L).relu6(x, inplace=True),
    "F.elu": lambda L, x: _F(L).elu(x, inplace=True),
    "F.selu": lambda L, x: _F(L).selu(x, inplace=True),
    "F.celu": lambda L, x: _F(L).celu(x, inplace=True),
    "F.leaky_relu": lambda L, x: _F(L).leaky_relu(x, 0.2, inplace=True),
    "F.hardtanh": lambda L, x: _F(L).hardtanh(x, inplace=True),
    "F.silu": lambda L, x: _F(L).silu(x, inplace=True),
    "F.mish": lambda L, x: _F(L).mish(x, inplace=True),
    "F.hardsigmoid": lambda L, x: _F(L).hardsigmoid(x, inplace=True),
    "F.hardswish": lambda L, x: _F(L).hardswish(x, inplace=True),
    "F.threshold": lambda L, x: _F(L).threshold(x, 0.1, 20.0, inplace=True),
    "F.dropout": lambda L, x: _F(L).dropout(x, 0.5, True, inplace=True),
    "F.dropout_eval": lambda L, x: _F(L).dropout(x, 0.5, False, inplace=True),
    "F.dropout1d": lambda L, x: _F(L).dropout1d(x, 0.5, True, inplace=True),
    "F.dropout2d": lambda L, x: _F(L).dropout2d(x.unsqueeze(0), 0.5, True, inplace=True),
    "F.alpha_dropout": lambda L, x: _F(L).alpha_dropout(x, 0.5, True, inplace=True),
    "F.rrelu": lambda L, x: _F(L).rrelu(x, training=True, inplace=True),
    "nn.ReLU": lambda L, x: L.nn.ReLU(inplace=True)(x),
    "nn.Dropout": lambda L, x: L.nn.Dropout(0.5, inplace=True)(x),
    "nn.LeakyReLU": lambda L, x: L.nn.LeakyReLU(0.1, inplace=True)(x),
    "nn.ELU": lambda L, x: L.nn.ELU(inplace=True)(x),
    "clamp_": lambda L, x: x.clamp_(-0.1, 0.1),
    "clamp_min_": lambda L, x: x.clamp_min_(0.1),
    "clamp_tensor": lambda L, x: x.clamp_(L.tensor(-0.1), L.tensor(0.1)),
    "fill_": lambda L, x: x.fill_(7.0),
    "zero_": lambda L, x: x.zero_(),
    "index_put_": lambda L, x: x.index_put_((L.tensor([0, 1]),), L.tensor(9.0)),
    "setitem_mask": lambda L, x: x.__setitem__(x > 0, 9.0),
    "setitem_index": lambda L, x: x.__setitem__(L.tensor([1]), 9.0),
    "masked_fill_": lambda L, x: x.masked_fill_(x > 0, 9.0),
    "copy_": lambda L, x: x.copy_(L.ones_like(x)),
    "uniform_": lambda L, x: x.uniform_(),
    "bernoulli_": lambda L, x: x.bernoulli_(0.5),
    "scatter_": lambda L, x: x.scatter_(1, L.tensor([[0], [1]]), 9.0),
    "index_fill_": lambda L, x: x.index_fill_(1, L.tensor([0, 1]), 9.0),
    "eq_": lambda L, x: x.eq_(L.zeros(1)),
    "tril_": lambda L, x: x.tril_(),
    "triu_": lambda L, x: x.triu_(1),
    "floor_divide_": lambda L, x: x.floor_divide_(L.ones(1)),
    "logical_and_": lambda L, x: x.logical_and_(L.ones(1)),
    "logical_not_": lambda L, x: x.logical_not_(),
    "init.uniform_": lambda L, x: L.nn.init.uniform_(x),
    "init.constant_": lambda L, x: L.nn.init.constant_(x, 9.0),
    "init.zeros_": lambda L, x: L.nn.init.zeros_(x),
    "init.xavier_uniform_": lambda L, x: L.nn.init.xavier_uniform_(x),
    "init.kaiming_normal_": lambda L, x: L.nn.init.kaiming_normal_(x),
    "init.orthogonal_": lambda L, x: L.nn.init.orthogonal_(x),
}


@pytest.mark.parametrize("kind", ["leaf", "view", "viewsub", "nograd"])
@pytest.mark.parametrize("name", sorted(INPLACE_PATHS))
def test_in_place_path_checks_leaves_like_pytorch(name, kind):
    ours = _outcome(ctorch, INPLACE_PATHS[name], kind)
    ref = _outcome(torch, INPLACE_PATHS[name], kind)
    assert ours == ref
    if ref[0].startswith("RuntimeError: a "):
        assert ref[0].endswith(LEAF if kind == "leaf" else VIEW)
        assert not ours[1]  # nothing written before the error


NONLEAF_PATHS = {
    "eq_": lambda L, y: y.eq_(L.tensor([[0.6, 0.2, 0.1], [0.6, 0.8, 0.5]])),
    "lt_": lambda L, y: y.lt_(L.zeros(3)),
    "ge_": lambda L, y: y.ge_(0.4),
    "ne_": lambda L, y: y.ne_(L.zeros(3)),
    "logical_or_": lambda L, y: y.logical_or_(L.zeros(3)),
    "floor_": lambda L, y: y.floor_(),
    "triu_": lambda L, y: y.triu_(),
    "copy_": lambda L, y: y.copy_(L.ones(3)),
    "fill_": lambda L, y: y.fill_(0.5),
    "zero_": lambda L, y: y.zero_(),
    "setitem": lambda L, y: y.__setitem__(Ellipsis, 2.0),
}


@pytest.mark.parametrize("name", sorted(NONLEAF_PATHS))
def test_in_place_on_a_graph_tensor_gives_pytorch_gradients(name):
    def run(lib):
        x = lib.tensor([[0.5, -0.3, 0.2], [-0.7, 0.4, 0.25]], requires_grad=True)
        y = x * 2
        NONLEAF_PATHS[name](lib, y)
        (y * lib.tensor([[1.0, 2, 3], [4, 5, 6]])).sum().backward()
        return y.detach().numpy(), x.grad.numpy()
    for a, b in zip(run(ctorch), run(torch)):
        np.testing.assert_array_equal(a, b)


def test_floor_divide_in_place_on_a_graph_tensor_fails_at_backward_like_pytorch():
    for lib in (ctorch, torch):
        x = lib.tensor([0.5, -0.3, 1.5], requires_grad=True)
        y = x * 2
        y.floor_divide_(lib.tensor([0.3, 0.2, 0.1]))
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide_ is not implemented"):
            y.sum().backward()


def test_index_put_wants_a_tuple_of_index_tensors():
    for lib in (ctorch, torch):
        x = lib.zeros(2, 3)
        with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
            x.index_put_(lib.tensor([[0, 1, 0], [1, 0, 1]]), lib.tensor(1.0))
        x.index_put_([lib.tensor([1])], lib.tensor(2.0))
        assert x.tolist() == [[0.0] * 3, [2.0] * 3]


def test_tensor_lists_from_generators_outlive_the_call():
    # the generator's tensors are referenced only by the list made from it
    xs = [ctorch.full((1000,), float(i)) for i in range(4)]
    for _ in range(20):
        r = ctorch.cat(x * 2 for x in xs)
        ctorch.stack(x + 1 for x in xs)
        [ctorch.full((1000,), 7.0) for _ in range(4)]
    assert r[::1000].tolist() == [0.0, 2.0, 4.0, 6.0]
    ys = [x.clone().requires_grad_() for x in xs]
    outs = [(y * y).sum() for y in ys]
    for _ in range(10):
        g = ctorch.autograd.grad(outs, ys, grad_outputs=(ctorch.ones(()) * 3 for _ in outs), retain_graph=True)
        [ctorch.full((), 7.0) for _ in range(20)]
    assert g[1][:2].tolist() == [6.0, 6.0]


@pytest.mark.parametrize("idx", [Ellipsis, slice(None), (slice(None), slice(None)), (Ellipsis, slice(0, 3)),
                                 (slice(0, 1),), (None,), (slice(0, 2), Ellipsis), (Ellipsis,),
                                 (slice(0, 2), slice(0, 3)), (slice(0, 2), slice(0, 5)), 0])
def test_setitem_writes_into_self_or_a_view_like_pytorch(idx):
    # PyTorch writes x[...] and tuples of exact full slices into x itself
    # (leaf error, CopyBackwards), anything else into a view (CopySlices)
    def run(lib):
        x = lib.tensor([[1.0, 2, 3], [4, 5, 6]], requires_grad=True)
        try:
            x[idx] = 9.0
            err = None
        except RuntimeError as e:
            err = str(e)
        y = lib.zeros(2, 3)
        w = lib.ones(3, requires_grad=True)
        y[idx] = w * 2
        y.sum().backward()
        return err, x.tolist(), y.grad_fn.name().split("::")[-1], w.grad.tolist()
    assert run(ctorch) == run(torch)
