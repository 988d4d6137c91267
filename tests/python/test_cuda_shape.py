"""The shape, indexing and counting ops on the GPU against the same ops on the
CPU: roll, repeat, repeat_interleave, tril/triu, pad, index_fill,
scatter_reduce mean, masked_scatter, take, put, nonzero, x[0-dim mask], unique,
unique_consecutive, searchsorted, bincount, histc, histogram, isclose,
allclose, equal. Without a GPU every case is skipped (`make test-cuda` runs
them on a GPU)."""
import numpy as np
import pytest

import ctorch
import ctorch.nn.functional as F

HAS_GPU = ctorch.cuda.is_available()
pytestmark = pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine")

DTYPES = [ctorch.float32, ctorch.int64, ctorch.bool]


def rand(shape, dtype, seed=0, lo=-5, hi=5):
    rng = np.random.default_rng(seed)
    if dtype == ctorch.bool:
        a = rng.integers(0, 2, shape).astype(bool)
    elif dtype.is_floating_point:
        a = rng.uniform(lo, hi, shape)
    else:
        a = rng.integers(lo, hi, shape)
    return ctorch.tensor(a, dtype=dtype)


def layouts(x):
    """x itself and a non-contiguous tensor equal to it."""
    return [x, x.t().contiguous().t() if x.dim() == 2 else x.transpose(-1, -2).contiguous().transpose(-1, -2)]


def same(gpu_result, cpu_result, rtol=0.0, atol=0.0):
    assert gpu_result.is_cuda
    g = gpu_result.cpu()
    assert g.dtype == cpu_result.dtype and tuple(g.shape) == tuple(cpu_result.shape)
    if g.dtype.is_floating_point:
        np.testing.assert_allclose(g.numpy(), cpu_result.numpy(), rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(g.numpy(), cpu_result.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [
    lambda x: x.roll((2, -3), (0, -1)),
    lambda x: x.roll(5),
    lambda x: ctorch.roll(x, -7, 1),
    lambda x: x.repeat(2, 1, 3),
    lambda x: x.repeat(1, 1),
    lambda x: ctorch.tile(x, (2,)),
    lambda x: x.repeat_interleave(3, dim=-1),
    lambda x: x.repeat_interleave(2),
    lambda x: ctorch.triu(x, 1),
    lambda x: ctorch.tril(x, -1),
    lambda x: x.triu(-2),
    lambda x: x.tril(3),
    lambda x: F.pad(x, (1, 2, 0, 1), value=1),
    lambda x: F.pad(x, (-1, 2)),
])
def test_shape_copies_match_cpu(case, dtype):
    for x in layouts(rand((5, 6), dtype, seed=1)):
        same(case(x.cuda()), case(x))
    e = ctorch.zeros(0, 4, dtype=dtype)
    same(case(e.cuda()), case(e))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1, 0, 3), (1, 2, 2, 0), (-1, 2, 1, 1)])
def test_pad_modes_match_cpu(mode, pad):
    for x in layouts(rand((2, 3, 5, 6), ctorch.float32, seed=2)):
        same(F.pad(x.cuda(), pad, mode=mode), F.pad(x, pad, mode=mode))


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_interleave_tensor_repeats_and_in_place_tri(dtype):
    x = rand((4, 3), dtype, seed=3)
    r = ctorch.tensor([2, 0, 1, 3])
    same(x.cuda().repeat_interleave(r.cuda(), dim=0), x.repeat_interleave(r, dim=0))
    same(ctorch.repeat_interleave(r.cuda()), ctorch.repeat_interleave(r))
    g, c = x.cuda().t(), x.clone().t()
    g.tril_(0)
    c.tril_(0)
    same(g, c)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.cuda().repeat_interleave(ctorch.tensor([1, -1, 1, 1]).cuda(), dim=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_fill_and_scatter_mean(dtype):
    idx = ctorch.tensor([0, -1, 2, 2])
    for x in layouts(rand((4, 6), dtype, seed=4)):
        same(x.cuda().index_fill(1, idx.cuda(), 1), x.index_fill(1, idx, 1))
        same(x.cuda().index_fill(0, idx.cuda(), 0), x.index_fill(0, idx, 0))
    with pytest.raises(IndexError, match="out of bounds"):
        rand((4, 6), dtype).cuda().index_fill(0, ctorch.tensor([4]).cuda(), 1)
    if dtype == ctorch.bool:
        return
    x, src = rand((4, 6), dtype, seed=5), rand((4, 9), dtype, seed=6)
    index = ctorch.tensor(np.random.default_rng(7).integers(0, 6, (4, 9)))
    for include_self in (True, False):
        same(x.cuda().scatter_reduce(1, index.cuda(), src.cuda(), "mean", include_self=include_self),
             x.scatter_reduce(1, index, src, "mean", include_self=include_self), rtol=1e-6)
    for reduce in ("prod", "amax", "amin", "sum"):
        same(x.cuda().scatter_reduce(1, index.cuda(), src.cuda(), reduce),
             x.scatter_reduce(1, index, src, reduce), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_scatter_take_nonzero(dtype):
    m = rand((5, 7), ctorch.bool, seed=8)
    src = rand((40,), dtype, seed=9)
    index = ctorch.tensor(np.random.default_rng(10).integers(-35, 35, (3, 4)))
    for x in layouts(rand((5, 7), dtype, seed=11)):
        same(x.cuda().masked_scatter(m.cuda(), src.cuda()), x.masked_scatter(m, src))
        same(x.cuda().masked_scatter(m[1].cuda(), src.cuda()), x.masked_scatter(m[1], src))
        same(ctorch.take(x.cuda(), index.cuda()), ctorch.take(x, index))
        distinct, vals = ctorch.tensor([0, -1, 5, 17, 33, -20]), rand((6,), dtype, seed=24)
        same(x.cuda().put(distinct.cuda(), vals.cuda()), x.put(distinct, vals))
        same(x.cuda().nonzero(), x.nonzero())
        for g, c in zip(x.cuda().nonzero(as_tuple=True), x.nonzero(as_tuple=True)):
            same(g, c)
    x = rand((5, 7), dtype).cuda()
    with pytest.raises(RuntimeError, match="Number of elements of source"):
        x.masked_scatter(m.cuda(), src[:3].cuda())
    with pytest.raises(IndexError, match="out of range"):
        ctorch.take(x, ctorch.tensor([35]).cuda())
    for e in (ctorch.zeros(0, 3, dtype=dtype), ctorch.ones((), dtype=dtype), ctorch.zeros((), dtype=dtype)):
        same(e.cuda().nonzero(), e.nonzero())


def test_zero_dim_mask_index():
    x = rand((2, 3), ctorch.float32, seed=12)
    for flag in (True, False):
        m = ctorch.tensor(flag)
        same(x.cuda()[m.cuda()], x[m])
        g, c = x.cuda(), x.clone()
        g[m.cuda()] = 7.0
        c[m] = 7.0
        same(g, c)


@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.float64, ctorch.int64, ctorch.bool, ctorch.float16])
def test_unique_forms(dtype):
    x = rand((6, 9), dtype, seed=13, lo=-4, hi=4)
    if dtype.is_floating_point:
        x = ctorch.round(x)
    for t in layouts(x):
        g = t.cuda()
        for a, b in zip(ctorch.unique(g, return_inverse=True, return_counts=True),
                        ctorch.unique(t, return_inverse=True, return_counts=True)):
            same(a, b)
        same(ctorch.unique(g), ctorch.unique(t))
        for a, b in zip(ctorch.unique_consecutive(g, return_inverse=True, return_counts=True),
                        ctorch.unique_consecutive(t, return_inverse=True, return_counts=True)):
            same(a, b)
    e = ctorch.zeros(0, dtype=dtype)
    for a, b in zip(ctorch.unique(e.cuda(), return_inverse=True, return_counts=True),
                    ctorch.unique(e, return_inverse=True, return_counts=True)):
        same(a, b)


def test_unique_nan_and_large():
    x = ctorch.tensor([float("nan"), 1.0, float("nan"), 1.0, -0.0, 0.0])
    for a, b in zip(ctorch.unique(x.cuda(), return_counts=True), ctorch.unique(x, return_counts=True)):
        same(a, b)
    big = ctorch.tensor(np.random.default_rng(14).integers(0, 3000, 20000))
    for a, b in zip(ctorch.unique(big.cuda(), return_inverse=True, return_counts=True),
                    ctorch.unique(big, return_inverse=True, return_counts=True)):
        same(a, b)


@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.int64, ctorch.float64])
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(dtype, right):
    seq = ctorch.sort(rand((3, 10), dtype, seed=15), dim=-1).values
    v = rand((3, 7), dtype, seed=16, lo=-6, hi=6)
    same(ctorch.searchsorted(seq.cuda(), v.cuda(), right=right), ctorch.searchsorted(seq, v, right=right))
    same(ctorch.searchsorted(seq[1].cuda(), v.t().cuda(), right=right, out_int32=True),
         ctorch.searchsorted(seq[1], v.t(), right=right, out_int32=True))
    same(ctorch.searchsorted(seq[0].cuda(), 0.5, right=right), ctorch.searchsorted(seq[0], 0.5, right=right))
    same(ctorch.bucketize(v.cuda(), seq[2].cuda(), right=right), ctorch.bucketize(v, seq[2], right=right))


def test_bincount_histc_histogram():
    x = ctorch.tensor(np.random.default_rng(17).integers(0, 40, 500))
    w = rand((500,), ctorch.float32, seed=18)
    same(ctorch.bincount(x.cuda()), ctorch.bincount(x))
    same(ctorch.bincount(x.cuda(), minlength=60), ctorch.bincount(x, minlength=60))
    same(ctorch.bincount(x.cuda(), weights=w.cuda()), ctorch.bincount(x, weights=w), rtol=1e-5, atol=1e-5)
    same(ctorch.bincount(ctorch.zeros(0, dtype=ctorch.int64).cuda()), ctorch.bincount(ctorch.zeros(0, dtype=ctorch.int64)))
    with pytest.raises(RuntimeError, match="non-negative"):
        ctorch.bincount(ctorch.tensor([1, -1]).cuda())
    for dtype in (ctorch.float32, ctorch.float64):
        h = rand((40, 30), dtype, seed=19, lo=-3, hi=3).t()
        same(ctorch.histc(h.cuda(), bins=10, min=-2, max=2), ctorch.histc(h, bins=10, min=-2, max=2))
        same(ctorch.histc(h.cuda(), bins=7), ctorch.histc(h, bins=7))
        hw = rand((30, 40), dtype, seed=20, lo=0, hi=1)
        for a, b in zip(ctorch.histogram(h.cuda(), bins=6, range=(-1.0, 2.5), weight=hw.cuda(), density=True),
                        ctorch.histogram(h, bins=6, range=(-1.0, 2.5), weight=hw, density=True)):
            same(a, b, rtol=1e-5)
        edges = ctorch.tensor([-2, -1.5, 0, 0.25, 3], dtype=dtype)
        for a, b in zip(ctorch.histogram(h.cuda(), edges.cuda()), ctorch.histogram(h, edges)):
            same(a, b)
    with pytest.raises(RuntimeError, match="not finite"):
        ctorch.histc(ctorch.tensor([1.0, float("nan")]).cuda(), bins=3)


@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.float64, ctorch.int64, ctorch.bool])
@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose_allclose_equal(dtype, equal_nan):
    a = rand((4, 6), dtype, seed=21)
    b = rand((4, 6), dtype, seed=22) if dtype == ctorch.bool else (a.double() + 1e-3 * rand((4, 6), ctorch.float64, 23)).to(dtype)
    for bb in layouts(b) + [b[2]]:
        same(ctorch.isclose(a.cuda(), bb.cuda(), equal_nan=equal_nan), ctorch.isclose(a, bb, equal_nan=equal_nan))
        same(ctorch.isclose(a.cuda(), bb.cuda(), rtol=1e-2, atol=1e-3, equal_nan=equal_nan),
             ctorch.isclose(a, bb, rtol=1e-2, atol=1e-3, equal_nan=equal_nan))
    assert ctorch.allclose(a.cuda(), b.cuda()) == ctorch.allclose(a, b)
    assert ctorch.equal(a.cuda(), layouts(a)[1].cuda())
    assert ctorch.equal(a.cuda(), b.cuda()) == ctorch.equal(a, b)
    n = ctorch.tensor([float("nan"), 1.0, float("inf"), -float("inf")])
    m = ctorch.tensor([float("nan"), 1.0000001, float("inf"), float("inf")])
    same(ctorch.isclose(n.cuda(), m.cuda(), equal_nan=equal_nan), ctorch.isclose(n, m, equal_nan=equal_nan))
    assert not ctorch.equal(n.cuda(), n.cuda())
    with pytest.raises(RuntimeError, match="same device"):
        ctorch.isclose(n.cuda(), n)
