"""F.ctc_loss / nn.CTCLoss against Debian's PyTorch 1.13: losses and
gradients w.r.t. log_probs for padded and concatenated targets, repeated
labels, empty targets, impossible alignments (inf, zero_infinity), every
reduction, float32 and float64, unbatched input, lengths as lists or
tensors; float64 gradcheck through log_softmax; PyTorch's error messages."""
import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn as cnn
import ctorch.nn.functional as CF
import torch.nn.functional as TF


def both(a, grad=True):
    return (torch.from_numpy(a.copy()).requires_grad_(grad), ctorch.from_numpy(a.copy()).requires_grad_(grad))


def lp_array(T, N, C, seed, dtype=np.float64):
    x = np.random.RandomState(seed).randn(T, N, C)
    x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    return x.astype(dtype)


def run_both(lp, tg, il, tl, tol, **kw):
    t, c = both(lp)
    tl_t = torch.from_numpy(tg)
    lt = TF.ctc_loss(t, tl_t, il, tl, **kw)
    lc = CF.ctc_loss(c, ctorch.from_numpy(tg.copy()), il, tl, **kw)
    np.testing.assert_allclose(lc.detach().numpy(), lt.detach().numpy(), rtol=tol, atol=tol)
    if kw.get("reduction", "mean") == "none":
        w = np.random.RandomState(0).rand(*lt.shape)
        lt = (lt * torch.from_numpy(w).to(lt.dtype)).sum()
        lc = (lc * ctorch.from_numpy(w).to(lc.dtype)).sum()
    if not kw.get("zero_infinity", False) and not np.isfinite(lt.item()):
        return
    lt.backward()
    lc.backward()
    np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


CASES = [
    # T, N, C, S, input lengths, target lengths
    (6, 3, 5, 3, [6, 5, 4], [3, 2, 1]),
    (10, 4, 6, 4, [10, 7, 10, 3], [4, 0, 2, 1]),
    (1, 2, 3, 1, [1, 1], [1, 0]),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_padded_targets_match_torch(case, reduction, dtype):
    T, N, C, S, il, tl = case
    lp = lp_array(T, N, C, 1, dtype)
    tg = np.random.RandomState(2).randint(1, C, (N, S)).astype(np.int64)
    tol = 1e-10 if dtype == np.float64 else 2e-5
    run_both(lp, tg, il, tl, tol, reduction=reduction)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_repeated_labels_impossible_alignments(zero_infinity):
    T, N, C = 5, 4, 4
    lp = lp_array(T, N, C, 3)
    # 1 1 1 needs 5 steps (fits), 2 2 2 in 4 steps and 1 2 3 1 2 in 4 do not
    tg = np.array([[1, 1, 1, 0, 0], [2, 2, 2, 0, 0], [1, 2, 3, 1, 2], [3, 3, 0, 0, 0]], dtype=np.int64)
    for red in ["none", "mean", "sum"]:
        run_both(lp, tg, [5, 4, 4, 3], [3, 3, 5, 2], 1e-10, reduction=red, zero_infinity=zero_infinity)


def test_concatenated_targets_blank_and_tensor_lengths():
    T, N, C = 7, 3, 5
    lp = lp_array(T, N, C, 4)
    tg = np.array([0, 1, 1, 2, 3, 0, 1], dtype=np.int64)  # lengths 3, 0, 4; blank = 4
    for il, tl in [([7, 6, 7], [3, 0, 4]), (np.array([7, 6, 7]), np.array([3, 0, 4]))]:
        t, c = both(lp)
        ilt = torch.from_numpy(np.asarray(il)) if isinstance(il, np.ndarray) else il
        tlt = torch.from_numpy(np.asarray(tl)) if isinstance(tl, np.ndarray) else tl
        ilc = ctorch.from_numpy(np.asarray(il)) if isinstance(il, np.ndarray) else il
        tlc = ctorch.from_numpy(np.asarray(tl)) if isinstance(tl, np.ndarray) else tl
        lt = TF.ctc_loss(t, torch.from_numpy(tg.astype(np.int32)), ilt, tlt, blank=4)
        lc = CF.ctc_loss(c, ctorch.from_numpy(tg.astype(np.int32)), ilc, tlc, blank=4)
        np.testing.assert_allclose(lc.item(), lt.item(), rtol=1e-10)
        lt.backward()
        lc.backward()
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_unbatched_and_module():
    lp = lp_array(6, 1, 4, 5)[:, 0]
    tg = np.array([1, 2, 2], dtype=np.int64)
    t, c = both(lp)
    lt = torch.nn.CTCLoss(reduction="none")(t, torch.from_numpy(tg), torch.tensor(6), torch.tensor(3))
    lc = cnn.CTCLoss(reduction="none")(c, ctorch.from_numpy(tg), ctorch.tensor(6), ctorch.tensor(3))
    assert tuple(lc.shape) == tuple(lt.shape) == ()
    np.testing.assert_allclose(lc.item(), lt.item(), rtol=1e-10)
    lt.backward()
    lc.backward()
    np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_noncontiguous_log_probs():
    lp = lp_array(4, 5, 3, 6)
    tg = np.array([[1, 2], [2, 2], [1, 1]], dtype=np.int64)
    t, c = both(np.ascontiguousarray(lp.transpose(1, 0, 2)))
    lt = TF.ctc_loss(t.transpose(0, 1)[:, ::2], torch.from_numpy(tg), [4, 4, 3], [2, 1, 2], reduction="sum")
    lc = CF.ctc_loss(c.transpose(0, 1)[:, ::2], ctorch.from_numpy(tg), [4, 4, 3], [2, 1, 2], reduction="sum")
    np.testing.assert_allclose(lc.item(), lt.item(), rtol=1e-10)
    lt.backward()
    lc.backward()
    np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradcheck_float64():
    x = ctorch.from_numpy(np.random.RandomState(7).randn(5, 2, 4)).requires_grad_(True)
    tg = ctorch.tensor([[1, 1, 2], [3, 0, 0]])
    fn = lambda v: CF.ctc_loss(v.log_softmax(2), tg, [5, 4], [3, 1])  # noqa: E731
    assert ctorch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-7)


def test_errors_match_torch():
    lp = lp_array(6, 3, 5, 8)
    tg = np.random.RandomState(2).randint(1, 5, (3, 3))
    bad = [
        (dict(input_lengths=[6, 7, 5], target_lengths=[3, 3, 3]), RuntimeError),
        (dict(input_lengths=[6, 6], target_lengths=[3, 3, 3]), RuntimeError),
        (dict(input_lengths=[6, 6, 6], target_lengths=[3, 3, 4]), RuntimeError),
        (dict(input_lengths=[6, 6, 6], target_lengths=[3, 3, 3], blank=5), RuntimeError),
        (dict(input_lengths=[6, 6, 6], target_lengths=[3, 3, 3], reduction="x"), ValueError),
    ]
    for kw, exc in bad:
        with pytest.raises(exc) as et:
            TF.ctc_loss(torch.from_numpy(lp), torch.from_numpy(tg), **kw)
        with pytest.raises(exc) as ec:
            CF.ctc_loss(ctorch.from_numpy(lp), ctorch.from_numpy(tg), **kw)
        assert str(et.value) in str(ec.value)
