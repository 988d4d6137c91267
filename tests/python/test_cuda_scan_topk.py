"""The block-parallel scans, the radix-select topk, advanced indexing with
device-side offsets (an out-of-range index raises IndexError at the next
synchronising point) and pinned memory, on the GPU against ctorch's CPU
results. Skipped without a GPU."""
import numpy as np
import pytest

import ctorch

HAS_GPU = ctorch.cuda.is_available()
pytestmark = pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine")


def tied(shape, dtype, seed, nan_every=0):
    rng = np.random.default_rng(seed)
    a = np.round(rng.uniform(-4, 4, shape))
    if nan_every:
        a.reshape(-1)[::nan_every] = np.nan
    return ctorch.from_numpy(a).to(getattr(ctorch, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int8", "bool"])
@pytest.mark.parametrize("shape,dim", [((1, 20000), 1), ((3, 3000, 2), 1), ((400, 9), 1), ((2100, 3), 0)])
def test_scans_match_cpu(dtype, shape, dim):
    x = tied(shape, dtype, 1)
    g = x.cuda()
    tol = 1e-5 if dtype == "float32" else 0
    np.testing.assert_allclose(ctorch.cumsum(g, dim).cpu().numpy(), ctorch.cumsum(x, dim).numpy(), rtol=tol)
    for f in (ctorch.cummax, ctorch.cummin):
        gv, gi = f(g, dim)
        cv, ci = f(x, dim)
        assert ctorch.equal(gv.cpu(), cv) and ctorch.equal(gi.cpu(), ci)


def test_cummax_nan_sticks_on_long_lines():
    x = tied((2, 5000), "float64", 2, nan_every=1234)
    gv, gi = ctorch.cummax(x.cuda(), 1)
    cv, ci = ctorch.cummax(x, 1)
    np.testing.assert_array_equal(gv.cpu().numpy(), cv.numpy())
    assert ctorch.equal(gi.cpu(), ci)


@pytest.mark.parametrize("k", [1, 3, 64, 999])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_ties_and_nan_match_cpu(k, largest):
    x = tied((4, 2500), "float32", 3, nan_every=101)
    gv, gi = ctorch.topk(x.cuda(), k, 1, largest)
    cv, ci = ctorch.topk(x, k, 1, largest)
    np.testing.assert_array_equal(gv.cpu().numpy(), cv.numpy())
    assert ctorch.equal(gi.cpu(), ci)


def test_index_out_of_range_raises_at_sync():
    g = ctorch.arange(12.0).reshape(3, 4).cuda()
    i = ctorch.tensor([0, 4]).cuda()
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        g[:, i]
        ctorch.cuda.synchronize()
    ctorch.cuda.synchronize()  # reported once
    r = g[ctorch.tensor([2, -3]).cuda()]
    assert ctorch.equal(r.cpu(), ctorch.arange(12.0).reshape(3, 4)[ctorch.tensor([2, -3])])
    m = g > 5
    assert ctorch.equal(g[m].cpu(), ctorch.arange(6.0, 12.0))


def test_pinned_round_trip():
    x = ctorch.arange(1000.0)
    p = x.pin_memory()
    assert p.is_pinned() and ctorch.equal(p, x)
    g = p.to("cuda", non_blocking=True)
    ctorch.cuda.synchronize()
    assert ctorch.equal(g.cpu(), x)
