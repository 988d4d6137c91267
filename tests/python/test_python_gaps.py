"""Python-face gaps closed against Debian's PyTorch 1.13: Tensor.view(dtype),
unique(dim=...), searchsorted(sorter=...), narrow's errors, object identity."""
import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")

DT = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _outcome(lib, f):
    try:
        r = f(lib)
    except Exception as e:  # the type and message are compared
        return ("error", type(e).__name__, str(e).split("\n")[0])
    if hasattr(r, "shape"):
        return ("tensor", str(r.dtype).replace("torch.", "").replace("ctorch.", ""), tuple(r.shape),
                tuple(r.stride()), r.storage_offset(), repr(r.reshape(-1).tolist() if r.dim() else r.item()))
    return ("value", r)


def _same(f):
    a, b = _outcome(ctorch, f), _outcome(torch, f)
    if a[0] == b[0] == "error":  # same type; our message may name the op first
        assert a[1] == b[1] and b[2] in a[2], (a, b)
    else:
        assert a == b


@pytest.mark.parametrize("src", ["float32", "int16", "uint8", "float64", "bool"])
@pytest.mark.parametrize("dst", DT)
def test_view_dtype_matches_pytorch(src, dst):
    vals = [[1, 0, 3, 1, 0, 2, 5, 7], [0, 1, 1, 1, 0, 0, 1, 9]]

    def make(lib):
        return lib.tensor(vals, dtype=getattr(lib, src))
    for f in (lambda lib: make(lib).view(getattr(lib, dst)),
              lambda lib: make(lib)[:, 2:].view(getattr(lib, dst)),      # offset
              lambda lib: make(lib)[:, 1:4].view(getattr(lib, dst)),     # odd last size
              lambda lib: make(lib).t().view(getattr(lib, dst)),         # stride(-1) != 1
              lambda lib: make(lib)[0, 1].view(getattr(lib, dst))):      # 0-d
        _same(f)


def test_view_dtype_shares_memory_and_is_not_differentiable():
    x = ctorch.tensor([1.0, 2.0], requires_grad=True)
    v = x.view(ctorch.int32)
    assert not v.requires_grad and v.dtype == ctorch.int32
    y = ctorch.zeros(2)
    y.view(ctorch.int32)[0] = 1065353216  # the bits of 1.0f
    assert y.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("consecutive", [False, True])
def test_unique_dim_matches_pytorch(dim, consecutive):
    data = [[1, 2, 1, 1], [1, 2, 1, 1], [0, 5, 0, 0], [1, 2, 1, 1]]

    def f(lib):
        x = lib.tensor(data)
        fn = lib.unique_consecutive if consecutive else lib.unique
        r = fn(x, dim=dim, return_inverse=True, return_counts=True)
        return tuple(t.tolist() for t in r)
    assert f(ctorch) == f(torch)


def test_searchsorted_sorter_matches_pytorch():
    def f(lib, right):
        seq = lib.tensor([[3.0, 1.0, 2.0, 9.0], [0.5, -1.0, 4.0, 2.0]])
        sorter = lib.argsort(seq, dim=-1)
        vals = lib.tensor([[2.0, 0.0, 4.0], [2.0, -3.0, 7.0]])
        return lib.searchsorted(seq, vals, right=right, sorter=sorter).tolist()
    for right in (False, True):
        assert f(ctorch, right) == f(torch, right)
    for bad in (lambda lib: lib.searchsorted(lib.tensor([3, 1, 2]), lib.tensor([2]), sorter=lib.tensor([1, 0])),
                lambda lib: lib.searchsorted(lib.tensor([3, 1, 2]), lib.tensor([2]),
                                             sorter=lib.tensor([1, 2, 0], dtype=lib.int32))):
        _same(bad)


@pytest.mark.parametrize("args", [(0, 2, 3), (0, 3, 0), (0, -3, 1), (0, -4, 1), (0, 1, -1), (0, 0, 4), (1, 0, 1), (0, 3, 1)])
def test_narrow_errors_match_pytorch(args):
    _same(lambda lib: lib.zeros(3).narrow(*args))


def test_object_identity():
    x = ctorch.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad is x.grad
    y = ctorch.ones(3)
    assert y.add_(1) is y
    assert y.mul_(2) is y
    out = ctorch.zeros(3)
    assert ctorch.add(y, 1, out=out) is out
    assert ctorch.cumsum(y, 0, out=out) is out
    keep = [y]
    assert keep[0] is y and y.view(3).view(ctorch.float32) is not y
