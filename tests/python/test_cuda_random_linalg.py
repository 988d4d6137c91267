"""Random distributions and linalg decompositions on the GPU.

Samplers are checked by their statistics (mean and variance within six
standard errors of the sample size, chi-square for multinomial), support,
reproducibility under manual_seed, shapes, dtypes and errors. Decompositions
are checked against Debian's PyTorch on the CPU (the oracle) or, where
factors may differ in sign or order, by rebuilding A from them. Everything
skips without a CUDA GPU."""
import math

import numpy as np
import pytest
import torch

import ctorch

pytestmark = pytest.mark.skipif(not ctorch.cuda.is_available(), reason="no CUDA GPU on this machine")

N = 200000


def cuda(a, dtype=None):
    t = ctorch.tensor(np.asarray(a))
    if dtype is not None:
        t = t.to(dtype)
    return t.to("cuda")


def host(t):
    assert t.device.type == "cuda"
    return t.detach().cpu().numpy()


def check_moments(x, mean, var, mu4):
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) < 6 * math.sqrt(var / n) + 1e-12
    assert abs(x.var(ddof=1) - var) < 6 * math.sqrt((mu4 - var * var) / n) + 1e-12


def empty(shape, dtype=ctorch.float64):
    return ctorch.zeros(shape, dtype=dtype).to("cuda")


# ---------------------------------------------------------------- in-place samplers

def test_uniform_normal_exponential():
    t = empty(N)
    x = host(t.uniform_(-2, 3))
    check_moments(x, 0.5, 25 / 12, 625 / 80)
    assert x.min() >= -2 and x.max() < 3
    check_moments(host(t.normal_(1.5, 2)), 1.5, 4, 48)
    x = host(t.exponential_(2))
    check_moments(x, 0.5, 0.25, 9 / 16)
    assert x.min() >= 0
    f = empty(N, ctorch.float32)
    f.uniform_()
    assert f.dtype == ctorch.float32 and f.device.type == "cuda"


def test_geometric_log_normal_cauchy():
    t = empty(N)
    p, q = 0.3, 0.7
    x = host(t.geometric_(p))
    check_moments(x, 1 / p, q / p**2, q * (p * p + 9 * q) / p**4)
    assert x.min() >= 1 and np.all(x == np.floor(x))
    check_moments(np.log(host(t.log_normal_(0.5, 0.75))), 0.5, 0.5625, 3 * 0.5625**2)
    x = host(t.cauchy_(2, 3))
    assert abs(np.mean(np.abs(x - 2) < 3) - 0.5) < 6 * math.sqrt(0.25 / N)


def test_random_from_to_and_full():
    t = empty(N, ctorch.int64)
    x = host(t.random_(-5, 11))
    assert x.min() == -5 and x.max() == 10
    check_moments(x, 2.5, 255 / 12, 255 * (3 * 256 - 7) / 240)
    u8 = host(empty(50000, ctorch.uint8).random_())
    assert u8.min() == 0 and u8.max() == 255
    with pytest.raises(RuntimeError, match="out of bounds"):
        empty(2, ctorch.int8).random_(0, 300)


def test_manual_seed_reproduces_and_strides_follow_the_logical_index():
    a = empty((300, 70), ctorch.float32)
    ctorch.manual_seed(5)
    x1 = host(a.normal_())
    ctorch.manual_seed(5)
    x2 = host(a.normal_())
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(host(a.normal_()), x1)
    c = empty((70, 300), ctorch.float32).t()
    ctorch.manual_seed(9)
    y1 = host(a.uniform_())
    ctorch.manual_seed(9)
    np.testing.assert_array_equal(host(c.uniform_()), y1)


# ---------------------------------------------------------------- tensor parameters

def test_bernoulli_tensor_p():
    p = np.array([0, 0.1, 0.5, 0.9, 1])
    r = ctorch.bernoulli(cuda(np.tile(p, (40000, 1))))
    assert r.dtype == ctorch.float64 and tuple(r.shape) == (40000, 5)
    m = host(r).mean(0)
    assert np.all(np.abs(m - p) < 6 * np.sqrt(p * (1 - p) / 40000) + 1e-12)
    t = empty((40000, 5), ctorch.float32)
    t.bernoulli_(cuda(p))
    assert np.all(np.abs(host(t).mean(0) - p) < 6 * np.sqrt(p * (1 - p) / 40000) + 1e-12)
    before = host(t).copy()
    with pytest.raises(RuntimeError, match="p_in >= 0"):
        t.bernoulli_(cuda([0.5, 1.5, 0, 0, 0]))
    np.testing.assert_array_equal(host(t), before)


def test_normal_tensor_overloads():
    m, s = np.array([-3.0, 0, 10]), np.array([0.5, 1, 4])
    mean, std = cuda(np.tile(m, (50000, 1))), cuda(s)
    for r in (ctorch.normal(mean, std), ctorch.normal(mean, 2.0), ctorch.normal(1.0, cuda(np.tile(s, (50000, 1))))):
        assert tuple(r.shape) == (50000, 3) and r.device.type == "cuda"
    x = host(ctorch.normal(mean, std))
    for j in range(3):
        check_moments(x[:, j], m[j], s[j] ** 2, 3 * s[j] ** 4)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        ctorch.normal(mean, -std)


def test_poisson():
    lam = np.array([0, 0.7, 4, 35])
    x = host(ctorch.poisson(cuda(np.tile(lam, (50000, 1)))))
    assert np.all(x == np.floor(x)) and x.min() >= 0
    for j in range(4):
        check_moments(x[:, j], lam[j], lam[j], lam[j] * (1 + 3 * lam[j]))
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ctorch.poisson(cuda([1.0, -1.0]))


def test_multinomial_with_and_without_replacement():
    w = np.array([[1.0, 2, 3, 4, 0], [0, 0, 5, 0, 5]])
    n = 40000
    r = host(ctorch.multinomial(cuda(w, ctorch.float32), n, True))
    assert r.shape == (2, n) and r.dtype == np.int64
    for row, crit in ((0, 21.1), (1, 15.1)):
        p = w[row] / w[row].sum()
        counts = np.bincount(r[row], minlength=5)
        assert np.all(counts[p == 0] == 0)
        e = n * p[p > 0]
        assert ((counts[p > 0] - e) ** 2 / e).sum() < crit
    rows = 20000
    r = host(ctorch.multinomial(cuda(np.tile(w[0, :4], (rows, 1))), 4, False))
    assert np.all(np.sort(r, 1) == np.arange(4))
    first = np.bincount(r[:, 0], minlength=4)
    e = rows * np.array([0.1, 0.2, 0.3, 0.4])
    assert ((first - e) ** 2 / e).sum() < 21.1
    with pytest.raises(RuntimeError, match="probability entry < 0"):
        ctorch.multinomial(cuda([1.0, -1.0]), 2, True)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        ctorch.multinomial(cuda([0.0, 0.0]), 1, False)


# ---------------------------------------------------------------- linalg

def rand(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def well_conditioned(shape, seed):
    return rand(shape, seed) + shape[-1] * np.eye(shape[-1])


def spd(shape, seed):
    m = rand(shape, seed)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_inv_solve_det(dtype, tol):
    a = well_conditioned((3, 5, 5), 1).astype(dtype)
    b = rand((3, 5, 2), 2, dtype)
    ga = cuda(a)
    np.testing.assert_allclose(host(ctorch.linalg.inv(ga)), torch.linalg.inv(torch.tensor(a)).numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(host(ctorch.linalg.inv(ga.transpose(-2, -1))),
                               torch.linalg.inv(torch.tensor(a).transpose(-2, -1)).numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(host(ctorch.linalg.solve(ga, cuda(b))),
                               torch.linalg.solve(torch.tensor(a), torch.tensor(b)).numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(host(ctorch.linalg.det(ga)), torch.linalg.det(torch.tensor(a)).numpy(), rtol=tol)
    s, l = ctorch.linalg.slogdet(ga)
    ts, tl = torch.linalg.slogdet(torch.tensor(a))
    np.testing.assert_array_equal(host(s), ts.numpy())
    np.testing.assert_allclose(host(l), tl.numpy(), rtol=tol)


def test_singular_and_not_positive_definite_messages():
    sing = np.array([[1.0, 2], [2, 4]])
    with pytest.raises(RuntimeError, match="singular"):
        ctorch.linalg.inv(cuda(sing))
    with pytest.raises(RuntimeError, match="singular"):
        ctorch.linalg.solve(cuda(sing), cuda([1.0, 1]))
    bad = spd((2, 4, 4), 3)
    bad[1, 1, 1] = -100
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\).*leading minor of order 2 is not positive-definite"):
        ctorch.linalg.cholesky(cuda(bad))


def test_cholesky_against_torch():
    a = spd((3, 6, 6), 4)
    for upper in (False, True):
        np.testing.assert_allclose(host(ctorch.linalg.cholesky(cuda(a), upper=upper)),
                                   torch.linalg.cholesky(torch.tensor(a), upper=upper).numpy(), atol=1e-10)


@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (2, 5, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_reconstructs(shape, mode):
    a = rand(shape, 5)
    q, r = ctorch.linalg.qr(cuda(a), mode=mode)
    q, r = host(q), host(r)
    np.testing.assert_allclose(q @ r, a, atol=1e-10)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2), atol=1e-10)
    np.testing.assert_allclose(np.abs(r), np.abs(torch.linalg.qr(torch.tensor(a), mode=mode)[1].numpy()), atol=1e-10)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, 5, 5)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_reconstructs(shape, full):
    a = rand(shape, 6)
    u, s, vh = (host(x) for x in ctorch.linalg.svd(cuda(a), full_matrices=full))
    np.testing.assert_allclose(s, torch.linalg.svdvals(torch.tensor(a)).numpy(), atol=1e-10)
    k = s.shape[-1]
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=1e-10)
    tu, _, tvh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert u.shape == tuple(tu.shape) and vh.shape == tuple(tvh.shape)


def test_eigh():
    m = rand((3, 6, 6), 7)
    a = m + np.swapaxes(m, -1, -2)
    for uplo in ("L", "U"):
        l, v = ctorch.linalg.eigh(cuda(a), UPLO=uplo)
        l, v = host(l), host(v)
        np.testing.assert_allclose(l, torch.linalg.eigvalsh(torch.tensor(a)).numpy(), atol=1e-10)
        np.testing.assert_allclose(a @ v, v * l[..., None, :], atol=1e-10)


def test_gradients_on_the_gpu_match_torch():
    a = well_conditioned((2, 4, 4), 8)
    s = spd((4, 4), 9)
    x, y = cuda(a).requires_grad_(), cuda(s).requires_grad_()
    outs = [ctorch.linalg.inv(x), ctorch.linalg.det(x), ctorch.linalg.cholesky(y), ctorch.linalg.eigh(y)[0]]
    # d(sum of every output): ones as the output gradients (no GPU reduction needed)
    ctorch.autograd.backward(outs, [ctorch.ones(tuple(o.shape), dtype=o.dtype).to("cuda") for o in outs])
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(s, requires_grad=True)
    tl = torch.linalg.inv(tx).sum() + torch.linalg.det(tx).sum() + torch.linalg.cholesky(ty).sum()
    (tl + torch.linalg.eigh(ty)[0].sum()).backward()
    assert x.grad.device.type == "cuda"
    np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(host(y.grad), ty.grad.numpy(), atol=1e-9)
