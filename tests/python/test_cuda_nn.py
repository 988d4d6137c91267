"""The nn ops' GPU paths: logsumexp, one_hot, max_unpool2d, the losses
with index targets, trunc_normal_, embedding, embedding_bag, ctc_loss,
nn.LSTM / nn.GRU / nn.RNN and feature dropout.

Each test runs on the CPU and, where a GPU exists, on the GPU (the cuda
cases skip cleanly without one). Results and gradients are checked against
Debian's PyTorch on the CPU (the oracle); the GPU result must stay on the
GPU."""
import math

import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn.functional as F

HAS_GPU = ctorch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine"))]
DTYPES = [(np.float32, 2e-5), (np.float64, 1e-10)]


def data(shape, dtype=np.float64, seed=0, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


def ints(shape, hi, seed=0):
    return np.random.default_rng(seed).integers(0, hi, shape).astype(np.int64)


def both(a, device, grad=False):
    """(ctorch tensor on device, torch tensor), both leaves requiring grad"""
    c = ctorch.tensor(a).to(device)
    t = torch.tensor(a)
    if grad:
        c.requires_grad_(True)
        t.requires_grad_(True)
    return c, t


def check(r, expected, device, tol):
    assert r.device.type == device
    h = r.detach().cpu().numpy()
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert h.shape == e.shape, (h.shape, e.shape)
    if h.dtype.kind == "f":
        np.testing.assert_allclose(h, e, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(h, e)


def backward_both(rc, rt, seed=1):
    up = data(tuple(rt.shape), rt.detach().numpy().dtype, seed)
    (rc * ctorch.tensor(up).to(rc.device.type)).sum().backward()
    (rt * torch.tensor(up)).sum().backward()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", DTYPES)
def test_logsumexp(device, dt, tol):
    a = data((4, 6, 9), dt, lo=-20, hi=20)
    c, t = both(a, device, grad=True)
    for dims, keep in [((2,), False), ((0, 2), True), ((-2,), False)]:
        check(ctorch.logsumexp(c, dims, keep), torch.logsumexp(t, dims, keep), device, tol)
    check(ctorch.logsumexp(c.transpose(0, 2)[::2], 1), torch.logsumexp(t.transpose(0, 2)[::2], 1), device, tol)
    rc, rt = ctorch.logsumexp(c, 1, True), torch.logsumexp(t, 1, True)
    backward_both(rc, rt)
    check(c.grad, t.grad, device, tol)
    inf = np.array([[-np.inf, -np.inf], [1, np.inf]], dt)
    check(ctorch.logsumexp(ctorch.tensor(inf).to(device), 1), torch.logsumexp(torch.tensor(inf), 1), device, tol)


@pytest.mark.parametrize("device", DEVICES)
def test_one_hot(device):
    x = ints((3, 4), 6)
    check(F.one_hot(ctorch.tensor(x).to(device)), torch.nn.functional.one_hot(torch.tensor(x)), device, 0)
    check(F.one_hot(ctorch.tensor(x).to(device), 8), torch.nn.functional.one_hot(torch.tensor(x), 8), device, 0)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(ctorch.tensor(x).to(device), 3)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", DTYPES)
def test_max_unpool2d(device, dt, tol):
    a = data((2, 3, 6, 6), dt, seed=3)
    tp, ti = torch.nn.functional.max_pool2d(torch.tensor(a), 2, return_indices=True)
    c, t = both(tp.numpy(), device, grad=True)
    idx = ctorch.tensor(ti.numpy()).to(device)
    rc, rt = F.max_unpool2d(c, idx, 2), torch.nn.functional.max_unpool2d(t, ti, 2)
    check(rc, rt, device, tol)
    backward_both(rc, rt)
    check(c.grad, t.grad, device, tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", DTYPES)
def test_index_target_losses(device, dt, tol):
    x, tx = both(data((5, 4), dt, 4), device, grad=True)
    y = ints((5,), 4, 5)
    v, tv = both(data((5, 1), dt, 6, 0.2, 2.0), device, grad=True)
    tgt = data((5, 4), dt, 7)
    rc = F.gaussian_nll_loss(x, ctorch.tensor(tgt).to(device), v, full=True)
    rt = torch.nn.functional.gaussian_nll_loss(tx, torch.tensor(tgt), tv, full=True)
    check(rc, rt, device, tol)
    rc.backward()
    rt.backward()
    check(x.grad, tx.grad, device, tol)
    check(v.grad, tv.grad, device, tol)
    x.grad = None
    tx.grad = None
    rc = F.multi_margin_loss(x, ctorch.tensor(y).to(device), p=2, margin=0.6)
    rt = torch.nn.functional.multi_margin_loss(tx, torch.tensor(y), p=2, margin=0.6)
    check(rc, rt, device, tol)
    rc.backward()
    rt.backward()
    check(x.grad, tx.grad, device, tol)
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(x, ctorch.tensor(tgt).to(device), -v)


@pytest.mark.parametrize("device", DEVICES)
def test_trunc_normal(device):
    w = ctorch.empty(300, 100).to(device)
    ctorch.nn.init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0)
    assert w.device.type == device
    h = w.cpu().numpy()
    assert h.min() >= -1.0 and h.max() <= 3.0
    a, b = -0.75, 1.25
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    z = 0.5 * (math.erf(b / math.sqrt(2)) - math.erf(a / math.sqrt(2)))
    assert abs(h.mean() - (0.5 + 2 * (pdf(a) - pdf(b)) / z)) < 0.03


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", DTYPES)
@pytest.mark.parametrize("padding_idx,freq", [(None, False), (2, False), (None, True), (-1, True)])
def test_embedding(device, dt, tol, padding_idx, freq):
    w, tw = both(data((12, 5), dt, 8), device, grad=True)
    ids = ints((6, 7), 12, 9)
    rc = F.embedding(ctorch.tensor(ids).to(device), w, padding_idx=padding_idx, scale_grad_by_freq=freq)
    rt = torch.nn.functional.embedding(torch.tensor(ids), tw, padding_idx=padding_idx, scale_grad_by_freq=freq)
    check(rc, rt, device, tol)
    backward_both(rc, rt)
    check(w.grad, tw.grad, device, tol)


@pytest.mark.parametrize("device", DEVICES)
def test_embedding_max_norm(device):
    a = data((12, 5), np.float64, 10, -2, 2)
    w, tw = both(a, device)
    ids = ints((9,), 12, 11)
    rc = F.embedding(ctorch.tensor(ids).to(device), w, max_norm=1.0)
    rt = torch.nn.functional.embedding(torch.tensor(ids), tw, max_norm=1.0)
    check(rc, rt, device, 1e-10)
    check(w, tw, device, 1e-10)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(device, dt, tol, mode):
    w, tw = both(data((10, 4), dt, 12), device, grad=True)
    ids, offs = ints((13,), 10, 13), np.array([0, 2, 2, 7], np.int64)
    kw = dict(mode=mode, padding_idx=3)
    rc = F.embedding_bag(ctorch.tensor(ids).to(device), w, ctorch.tensor(offs).to(device), **kw)
    rt = torch.nn.functional.embedding_bag(torch.tensor(ids), tw, torch.tensor(offs), **kw)
    check(rc, rt, device, tol)
    backward_both(rc, rt)
    check(w.grad, tw.grad, device, tol)
    if mode == "sum":
        # the last offset ends the last bag at the input's end (entries past
        # it get an uninitialised gradient in torch 1.13)
        p, tp = both(data((13,), dt, 14), device, grad=True)
        offs = np.array([0, 2, 2, 7, 13], np.int64)
        rc = F.embedding_bag(ctorch.tensor(ids).to(device), w, ctorch.tensor(offs).to(device), mode="sum",
                             per_sample_weights=p, include_last_offset=True)
        rt = torch.nn.functional.embedding_bag(torch.tensor(ids), tw, torch.tensor(offs), mode="sum",
                                               per_sample_weights=tp, include_last_offset=True)
        check(rc, rt, device, tol)
        backward_both(rc, rt, 2)
        check(p.grad, tp.grad, device, tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dt,tol", [(np.float32, 1e-4), (np.float64, 1e-9)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss(device, dt, tol, reduction):
    lp = torch.log_softmax(torch.tensor(data((10, 3, 5), dt, 15, -2, 2)), 2).numpy()
    c, t = both(lp, device, grad=True)
    tg = np.array([[1, 1, 2, 4], [3, 2, 0, 0], [4, 4, 4, 1]], np.int64)
    il, tl = [10, 8, 9], [4, 2, 3]
    rc = F.ctc_loss(c, ctorch.tensor(tg).to(device), il, tl, reduction=reduction)
    rt = torch.nn.functional.ctc_loss(t, torch.tensor(tg), il, tl, reduction=reduction)
    check(rc, rt, device, tol)
    backward_both(rc, rt)
    check(c.grad, t.grad, device, tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_modules(device, kind):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    cm = getattr(ctorch.nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    with ctorch.no_grad():
        for (name, p), (_, tp) in zip(cm.named_parameters(), tm.named_parameters()):
            p.copy_(ctorch.tensor(tp.detach().numpy()))
    cm = cm.to(device)
    x, tx = both(data((2, 5, 3), np.float32, 16), device, grad=True)
    (oc, hc), (ot, ht) = cm(x), tm(tx)
    check(oc, ot, device, 1e-5)
    backward_both(oc, ot)
    check(x.grad, tx.grad, device, 1e-5)
    for (name, p), (_, tp) in zip(cm.named_parameters(), tm.named_parameters()):
        assert p.grad is not None, name
        check(p.grad, tp.grad, device, 1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_dropout2d_channels(device):
    x = ctorch.ones(4, 8, 3, 3).to(device)
    y = F.dropout2d(x, 0.5, training=True)
    assert y.device.type == device
    h = y.cpu().numpy().reshape(32, 9)
    assert set(np.unique(h)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in h)
