"""Joins, masks, advanced indexing, sorts, scans and conv2d on every device.

Each test runs on the CPU and, where a GPU exists, on the GPU (the cuda
cases skip cleanly without one). Every result is checked against Debian's
PyTorch on the CPU (the oracle); on the GPU it is also compared with
ctorch's own CPU result, and it must stay on the GPU."""
import numpy as np
import pytest
import torch

import ctorch

HAS_GPU = ctorch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine"))]

F32, F64, I64 = ctorch.float32, ctorch.float64, ctorch.int64


def data(shape, kind="f64", seed=0):
    rng = np.random.default_rng(seed)
    if kind == "f64":
        return rng.standard_normal(shape)
    if kind == "f32":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(-20, 20, shape).astype(np.int64)


def on(a, device):
    """numpy -> ctorch tensor on device"""
    return ctorch.tensor(a).to(device)


def check(r, expected, device, cpu_result=None, tol=1e-6):
    """r (ctorch, on device) against the oracle expected (torch or numpy)"""
    assert r.device.type == device
    h = r.detach().cpu().numpy()
    e = expected.numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert h.shape == e.shape, (h.shape, e.shape)
    if h.dtype.kind == "f":
        np.testing.assert_allclose(h, e, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(h, e)
    if cpu_result is not None and device != "cpu":
        check(cpu_result, expected, "cpu", tol=tol)


# ---------------------------------------------------------------- cat / stack

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_cat_contiguous_and_strided(device, dim):
    a, b = data((3, 4, 5)), data((3, 4, 5), seed=1)
    ta, tb = torch.tensor(a), torch.tensor(b)
    x, y = on(a, device), on(b, device)
    check(ctorch.cat([x, y, x], dim), torch.cat([ta, tb, ta], dim), device)
    # transposed and stepped inputs
    check(ctorch.cat([x.transpose(0, 2), y.transpose(0, 2)], dim),
          torch.cat([ta.transpose(0, 2), tb.transpose(0, 2)], dim), device)
    check(ctorch.cat([x[:, ::2], y[:, 1::2]], dim if dim != 1 else 0),
          torch.cat([ta[:, ::2], tb[:, 1::2]], dim if dim != 1 else 0), device)


@pytest.mark.parametrize("device", DEVICES)
def test_cat_promotes_and_skips_legacy_empty(device):
    a, i = data((2, 3), "f32"), data((4, 3), "int")
    r = ctorch.cat([on(a, device), on(i, device), ctorch.zeros(0).to(device)], 0)
    check(r, torch.cat([torch.tensor(a), torch.tensor(i), torch.zeros(0)], 0), device)
    assert r.dtype == F32
    big = data((40000,))  # past the CPU's threading grain
    check(ctorch.cat([on(big, device), on(big[:7], device)]), np.concatenate([big, big[:7]]), device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(device, dim):
    a, b = data((3, 4)), data((3, 4), seed=2)
    check(ctorch.stack([on(a, device), on(b, device).t().t()], dim),
          torch.stack([torch.tensor(a), torch.tensor(b)], dim), device)
    check(ctorch.stack([on(a, device).t(), on(b, device).t()], dim),
          torch.stack([torch.tensor(a).t(), torch.tensor(b).t()], dim), device)


@pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine")
def test_cat_mixed_devices_fails_like_torch():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ctorch.cat([ctorch.ones(2).cuda(), ctorch.ones(2)])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ctorch.stack([ctorch.ones(2), ctorch.ones(2).cuda()])
    with pytest.raises(RuntimeError, match="same device"):
        ctorch.masked_select(ctorch.ones(2).cuda(), ctorch.ones(2, dtype=ctorch.bool))


# ---------------------------------------------------------------- where / masks

@pytest.mark.parametrize("device", DEVICES)
def test_where_masked_fill_masked_select(device):
    a, b, m = data((5, 6)), data((6,), seed=1), data((5, 6), "bool", seed=2)
    ta, tb, tm = torch.tensor(a), torch.tensor(b), torch.tensor(m)
    x, y, mk = on(a, device), on(b, device), on(m, device)
    check(ctorch.where(mk, x, y), torch.where(tm, ta, tb), device)
    check(ctorch.where(mk.t(), x.t(), 0.5), torch.where(tm.t(), ta.t(), torch.tensor(0.5, dtype=torch.float64)), device)
    check(x.masked_fill(mk, -2.0), ta.masked_fill(tm, -2.0), device)
    z = x.t().clone()
    z.masked_fill_(mk.t(), 7.0)
    check(z, ta.t().masked_fill(tm.t(), 7.0), device)
    check(ctorch.masked_select(x, mk), torch.masked_select(ta, tm), device)
    check(ctorch.masked_select(x.t(), mk.t()), torch.masked_select(ta.t(), tm.t()), device)
    # the mask broadcasts
    check(ctorch.masked_select(x, mk[0]), torch.masked_select(ta, tm[0]), device)
    check(x[mk], ta[tm], device)
    e = ctorch.masked_select(x, ctorch.zeros(5, 6, dtype=ctorch.bool).to(device))
    assert e.shape == (0,) and e.device.type == device
    i = data((7,), "int")
    check(ctorch.masked_select(on(i, device), on(i > 0, device)), i[i > 0], device)


# ---------------------------------------------------------------- index / index_put

@pytest.mark.parametrize("device", DEVICES)
def test_index_and_index_put(device):
    a = data((5, 4, 3))
    ta = torch.tensor(a)
    idx = np.array([4, 0, 0, 2])
    x, ix = on(a, device), on(idx, device)
    check(x[ix], ta[torch.tensor(idx)], device)
    j = np.array([3, 0, -1])
    check(x[:, on(j, device)], ta[:, torch.tensor(j)], device)
    check(x[ix, :, on(j[1:2], device)], ta[torch.tensor(idx), :, torch.tensor(j[1:2])], device)
    check(x.transpose(0, 2)[on(j[1:], device)], ta.transpose(0, 2)[torch.tensor(j[1:])], device)
    vals = data((4, 4, 3), seed=5)
    # accumulate: duplicate indices add up
    r = ctorch.index_put(x, (ix,), on(vals, device), accumulate=True)
    check(r, ta.index_put((torch.tensor(idx),), torch.tensor(vals), accumulate=True), device)
    y = x.clone()
    y.index_put_((ix[1:],), on(vals[1:], device), accumulate=False)  # distinct rows
    check(y, ta.index_put((torch.tensor(idx[1:]),), torch.tensor(vals[1:]), accumulate=False), device)
    y = x.clone()
    y[ix[:1], 1] = 3.0
    tb = ta.clone()
    tb[torch.tensor(idx[:1]), 1] = 3.0
    check(y, tb, device)
    # integers accumulate too (atomics on the GPU)
    n = data((6,), "int")
    t = ctorch.zeros(3, dtype=I64).to(device)
    t.index_put_((on(np.array([0, 2, 2, 0, 1, 2]), device),), on(n, device), accumulate=True)
    check(t, torch.zeros(3, dtype=torch.int64).index_put((torch.tensor([0, 2, 2, 0, 1, 2]),), torch.tensor(n),
                                                         accumulate=True), device)
    with pytest.raises(IndexError, match="out of bounds"):
        x[on(np.array([5]), device)]
        # on a GPU the bounds check runs on the device: its error surfaces at
        # the next synchronising point, as PyTorch's device-side assert does
        if device == "cuda":
            ctorch.cuda.synchronize()


# ---------------------------------------------------------------- sort / topk

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [1, 5, 64, 2048, 2049, 5000])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_with_ties_and_nans(device, n, descending):
    a = np.round(data((3, n), seed=n) * 2) / 2  # many ties
    a[0, ::7] = np.nan
    ta = torch.tensor(a)
    v, i = ctorch.sort(on(a, device), dim=-1, descending=descending, stable=True)
    tv, ti = torch.sort(ta, dim=-1, descending=descending, stable=True)
    check(v, tv, device)
    check(i, ti, device)
    check(ctorch.argsort(on(a, device).t(), dim=0, descending=descending),
          torch.sort(ta.t(), dim=0, descending=descending, stable=True)[1], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "int", "bool"])
def test_sort_dtypes_and_dims(device, kind):
    a = data((4, 6, 5), kind, seed=3)
    ta = torch.tensor(a)
    for dim in (0, 1, 2):
        v, i = ctorch.sort(on(a, device), dim=dim, stable=True)
        tv, ti = torch.sort(ta, dim=dim, stable=True)
        check(v, tv, device)
        check(i, ti, device)
    s = ctorch.sort(on(np.float64(3.0), device))[0]
    check(s, np.float64(3.0), device)
    e = ctorch.sort(on(np.zeros((0, 3)), device), dim=0)[0]
    assert e.shape == (0, 3)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("largest", [True, False])
def test_topk_kthvalue_msort(device, largest):
    a = data((6, 300), seed=7)  # distinct values: indices are unique
    ta = torch.tensor(a)
    for k in (1, 5, 300):
        v, i = ctorch.topk(on(a, device), k, dim=1, largest=largest)
        tv, ti = torch.topk(ta, k, dim=1, largest=largest)
        check(v, tv, device)
        check(i, ti, device)
    v, i = ctorch.topk(on(a, device).t(), 3, dim=0, largest=largest)
    tv, ti = torch.topk(ta.t(), 3, dim=0, largest=largest)
    check(v, tv, device)
    check(i, ti, device)
    v, i = ctorch.kthvalue(on(a, device), 17, dim=1)
    tv, ti = torch.kthvalue(ta, 17, dim=1)
    check(v, tv, device)
    check(i, ti, device)
    check(ctorch.msort(on(a, device)), torch.msort(ta), device)


# ---------------------------------------------------------------- scans

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans(device, name, dim):
    a = data((4, 7, 5), seed=4) * 0.9
    a[1, 3, 2] = np.nan
    ta = torch.tensor(a)
    f, tf = getattr(ctorch, name), getattr(torch, name)
    for x, tx in ((on(a, device), ta), (on(a, device).transpose(0, 2), ta.transpose(0, 2))):
        r, e = f(x, dim), tf(tx, dim)
        if name in ("cummax", "cummin"):
            check(r[0], e[0], device)
            check(r[1], e[1], device)
        else:
            check(r, e, device, tol=1e-10)
    i = data((3, 9), "int", seed=5)
    ti = torch.tensor(i)
    r, e = f(on(i, device), 1), tf(ti, 1)
    if name in ("cummax", "cummin"):
        check(r[0], e[0], device)
        check(r[1], e[1], device)
    else:
        check(r, e, device)
        assert r.dtype == I64
    b = data((50000,), "bool", seed=6)  # int64 result from bool; past the threading grain
    if name == "cumsum":
        check(ctorch.cumsum(on(b, device), 0), torch.cumsum(torch.tensor(b), 0), device)
        check(ctorch.cumsum(on(a.astype(np.float32), device), 1, dtype=F64),
              torch.cumsum(torch.tensor(a.astype(np.float32)), 1, dtype=torch.float64), device, tol=1e-5)


# ---------------------------------------------------------------- conv2d

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cfg", [dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2),
                                 dict(groups=2, padding=1)])
@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_conv2d_forward_backward(device, cfg, dtype):
    tol = 1e-4 if dtype == "f32" else 1e-10
    x, w, b = data((2, 4, 9, 8), dtype), data((6, 4 // cfg.get("groups", 1), 3, 3), dtype, 1), data((6,), dtype, 2)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    cx, cw, cb = (on(v, device).requires_grad_() for v in (x, w, b))
    r = ctorch.nn.functional.conv2d(cx, cw, cb, **cfg)
    e = torch.nn.functional.conv2d(tx, tw, tb, **cfg)
    check(r, e.detach(), device, tol=tol)
    g = data(tuple(e.shape), dtype, 3)
    r.backward(on(g, device))
    e.backward(torch.tensor(g))
    check(cx.grad, tx.grad, device, tol=tol)
    check(cw.grad, tw.grad, device, tol=tol)
    check(cb.grad, tb.grad, device, tol=tol)


def test_cudnn_backend_answers_truthfully():
    c = ctorch.backends.cudnn
    assert c.enabled is True and c.benchmark is False and c.deterministic is False
    if not HAS_GPU:
        assert c.is_available() is False and c.version() is None
    elif c.is_available():
        assert c.version() >= 8000


@pytest.mark.parametrize("device", DEVICES)
def test_gradients_of_scans_sorts_joins_and_flip(device):
    a, b = data((4, 6), seed=11), data((4, 6), seed=12)
    w = data((4, 12), seed=13)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ca, cb = on(a, device).requires_grad_(), on(b, device).requires_grad_()
    def f(lib, x, y, g):
        s = lib.cat([lib.cumsum(x, 1), lib.cumprod(y, 0)], 1) * g
        v = lib.sort(x, dim=1, descending=True)[0] + lib.topk(y, 6, dim=1)[0]
        return s.sum() + (v * lib.flip(x, [0])).sum()
    f(ctorch, ca, cb, on(w, device)).backward()
    f(torch, ta, tb, torch.tensor(w)).backward()
    check(ca.grad, ta.grad, device, tol=1e-10)
    check(cb.grad, tb.grad, device, tol=1e-10)
    check(ctorch.flip(on(a, device), [0, 1]), torch.flip(torch.tensor(a), [0, 1]), device)
