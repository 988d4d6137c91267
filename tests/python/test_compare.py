"""torch.isclose / allclose / equal (and the Tensor methods) against Debian's
PyTorch 1.13."""
import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
PAIRS = [
    ([1.0, 2.0], [1.0, 2.0000001], "float32", {}),
    ([1.0, INF, -INF, NAN, 1e-9], [1.0, INF, INF, NAN, 0.0], "float64", {}),
    ([1.0, INF, -INF, NAN, 1e-9], [1.0, INF, INF, NAN, 0.0], "float64", {"equal_nan": True}),
    ([1.0, 1.5, 2.0], [1.1, 1.0, 2.5], "float32", {"rtol": 0.1, "atol": 0.0}),
    ([3, 250, 7], [250, 3, 9], "uint8", {"atol": 10, "rtol": 0}),
    ([2**40 + 1, 5], [2**40, 7], "int64", {"rtol": 1e-13, "atol": 0}),
    ([True, False], [True, True], "bool", {}),
    ([1.0, 2.0], [1.001, 2.0], "float16", {}),
]


@pytest.mark.parametrize("a,b,dt,kw", PAIRS)
def test_isclose_and_allclose_match_pytorch(a, b, dt, kw):
    def run(lib):
        x = lib.tensor(a, dtype=getattr(lib, dt))
        y = lib.tensor(b, dtype=getattr(lib, dt))
        return (lib.isclose(x, y, **kw).tolist(), x.isclose(y, **kw).tolist(), lib.allclose(x, y, **kw),
                x.allclose(y, **kw), lib.allclose(x, x, **kw))
    assert run(ctorch) == run(torch)


def test_isclose_broadcasts_non_contiguous_inputs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 30)).astype(np.float32)
    b = (a[:, :1] + rng.standard_normal((40, 1)).astype(np.float32) * 1e-5)
    for lib in (ctorch, torch):
        r = lib.isclose(lib.tensor(a).t(), lib.tensor(b).t(), rtol=1e-4, atol=1e-6)
        assert tuple(r.shape) == (30, 40)
    ours = ctorch.isclose(ctorch.tensor(a).t(), ctorch.tensor(b).t(), rtol=1e-4, atol=1e-6).numpy()
    ref = torch.isclose(torch.tensor(a).t(), torch.tensor(b).t(), rtol=1e-4, atol=1e-6).numpy()
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("call", [
    lambda L: L.allclose(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.int64)),
    lambda L: L.allclose(L.ones(2), L.ones(3)),
    lambda L: L.isclose(L.ones(2), L.ones(2), rtol=-1),
    lambda L: L.isclose(L.ones(2), L.ones(2), atol=-0.5),
])
def test_errors_are_runtime_errors_like_pytorch(call):
    for lib in (ctorch, torch):
        with pytest.raises(RuntimeError):
            call(lib)
    with pytest.raises(TypeError):
        ctorch.allclose(ctorch.ones(2), 1.0)
    with pytest.raises(TypeError):
        ctorch.equal(ctorch.ones(2), 1.0)


@pytest.mark.parametrize("a,b", [
    (lambda L: L.tensor([0.1, 2.0]), lambda L: L.tensor([0.1, 2.0])),
    (lambda L: L.tensor([0.1]), lambda L: L.tensor([0.1], dtype=L.float64)),
    (lambda L: L.tensor([True, False]), lambda L: L.tensor([1, 0])),
    (lambda L: L.tensor([-0.0]), lambda L: L.tensor([0.0])),
    (lambda L: L.tensor([NAN]), lambda L: L.tensor([NAN])),
    (lambda L: L.tensor(1.0), lambda L: L.tensor([1.0])),
    (lambda L: L.empty(0), lambda L: L.empty(0, dtype=L.int64)),
    (lambda L: L.ones(2, 3).t(), lambda L: L.ones(3, 2)),
    (lambda L: L.ones(2), lambda L: L.ones(3)),
])
def test_equal_matches_pytorch(a, b):
    assert ctorch.equal(a(ctorch), b(ctorch)) == torch.equal(a(torch), b(torch))
    assert a(ctorch).equal(b(ctorch)) == a(torch).equal(b(torch))


def test_integer_softmax_raises_runtime_error_like_pytorch():
    for lib in (ctorch, torch):
        x = lib.tensor([[1, 2], [3, 4]])
        with pytest.raises(RuntimeError, match="\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
            lib.softmax(x, 1)
        with pytest.raises(RuntimeError, match="\"softmax_kernel_impl\" not implemented for 'Long'"):
            lib.log_softmax(x, 0)
        with pytest.raises(RuntimeError, match="\"log_softmax_lastdim_kernel_impl\" not implemented for 'Bool'"):
            lib.log_softmax(lib.tensor([True]), 0)
