"""nn.LSTM(proj_size=) and PackedSequence through nn.RNN/LSTM/GRU against
Debian's PyTorch 1.13: the same weights (through state_dict) give the same
outputs, h_n/c_n and gradients (inputs, initial states, every parameter);
unsorted lengths, bidirectional, multi-layer, batch_first; the pack/pad
helpers of nn.utils.rnn."""
import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn as cnn
import torch.nn as tnn
from ctorch.nn.utils import rnn as crnn
from torch.nn.utils import rnn as trnn


def arr(t):
    return t.detach().numpy()


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(arr(a), arr(b), rtol=tol, atol=tol)


def pair(cls_name, *args, dtype=np.float64, **kw):
    tm = getattr(tnn, cls_name)(*args, **kw)
    cm = getattr(cnn, cls_name)(*args, **kw)
    if dtype == np.float64:
        tm, cm = tm.double(), cm.double()
    sd = tm.state_dict()
    assert list(sd.keys()) == list(cm.state_dict().keys())
    cm.load_state_dict({k: ctorch.from_numpy(v.detach().numpy().copy()) for k, v in sd.items()})
    return tm, cm


def both(a, grad=True):
    return (torch.from_numpy(a.copy()).requires_grad_(grad), ctorch.from_numpy(a.copy()).requires_grad_(grad))


def check_params(tm, cm, tol=1e-10):
    for (n, tp), (n2, cp) in zip(tm.named_parameters(), cm.named_parameters()):
        assert n == n2
        close(tp.grad, cp.grad, tol)


PROJ = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, num_layers=2),
]


@pytest.mark.parametrize("kw", PROJ)
@pytest.mark.parametrize("with_h0", [False, True])
def test_lstm_proj_matches_torch(kw, with_h0):
    I, H, P, T, B = 3, 5, 2, 4, 3
    tm, cm = pair("LSTM", I, H, proj_size=P, **kw)
    assert any(k.startswith("weight_hr_l0") for k in cm.state_dict())
    rs = np.random.RandomState(0)
    x = rs.randn(B, T, I) if kw.get("batch_first") else rs.randn(T, B, I)
    tx, cx = both(x)
    LD = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    if with_h0:
        th, ch = both(rs.randn(LD, B, P))
        tc, cc = both(rs.randn(LD, B, H))
        to, (thn, tcn) = tm(tx, (th, tc))
        co, (chn, ccn) = cm(cx, (ch, cc))
    else:
        to, (thn, tcn) = tm(tx)
        co, (chn, ccn) = cm(cx)
    close(to, co)
    close(thn, chn)
    close(tcn, ccn)
    assert tuple(chn.shape) == (LD, B, P)
    w = rs.randn(*to.shape)
    ((to * torch.from_numpy(w)).sum() + (thn ** 2).sum() + (tcn ** 3).sum()).backward()
    ((co * ctorch.from_numpy(w)).sum() + (chn ** 2).sum() + (ccn ** 3).sum()).backward()
    close(tx.grad, cx.grad)
    if with_h0:
        close(th.grad, ch.grad)
        close(tc.grad, cc.grad)
    check_params(tm, cm)


def test_lstm_proj_float32_and_unbatched():
    tm, cm = pair("LSTM", 4, 6, proj_size=3, dtype=np.float32)
    x = np.random.RandomState(1).randn(5, 4).astype(np.float32)
    tx, cx = both(x)
    to, (th, tc) = tm(tx)
    co, (ch, cc) = cm(cx)
    close(to, co, 1e-5)
    close(th, ch, 1e-5)
    to.sum().backward()
    co.sum().backward()
    close(tx.grad, cx.grad, 1e-5)
    check_params(tm, cm, 1e-5)


PACKED = [
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(bidirectional=True, proj_size=2)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bias=False)),
    ("RNN", dict(bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
]


@pytest.mark.parametrize("name,kw", PACKED)
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_h0", [False, True])
def test_packed_matches_torch(name, kw, enforce_sorted, with_h0):
    I, H, T, B = 3, 4, 5, 4
    tm, cm = pair(name, I, H, **kw)
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    rs = np.random.RandomState(2)
    x = rs.randn(T, B, I)
    tx, cx = both(x)
    tp = trnn.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    cp = crnn.pack_padded_sequence(cx, lengths, enforce_sorted=enforce_sorted)
    close(tp.data, cp.data)
    np.testing.assert_array_equal(tp.batch_sizes.numpy(), np.asarray(cp.batch_sizes.tolist()))
    lstm = name == "LSTM"
    LD = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    R = kw.get("proj_size", 0) or H
    hx_t = hx_c = None
    states = []
    if with_h0:
        th, ch = both(rs.randn(LD, B, R))
        states.append((th, ch))
        hx_t, hx_c = th, ch
        if lstm:
            tc, cc = both(rs.randn(LD, B, H))
            states.append((tc, cc))
            hx_t, hx_c = (th, tc), (ch, cc)
    to, th_n = tm(tp, hx_t)
    co, ch_n = cm(cp, hx_c)
    assert isinstance(co, crnn.PackedSequence)
    close(to.data, co.data)
    tpad, tlen = trnn.pad_packed_sequence(to, batch_first=True)
    cpad, clen = crnn.pad_packed_sequence(co, batch_first=True)
    close(tpad, cpad)
    np.testing.assert_array_equal(tlen.numpy(), np.asarray(clen.tolist()))
    tn = list(th_n) if lstm else [th_n]
    cn = list(ch_n) if lstm else [ch_n]
    for a, b in zip(tn, cn):
        close(a, b)
    w = rs.randn(*tpad.shape)
    loss_t = (tpad * torch.from_numpy(w)).sum() + sum((a ** 2).sum() for a in tn)
    loss_c = (cpad * ctorch.from_numpy(w)).sum() + sum((b ** 2).sum() for b in cn)
    loss_t.backward()
    loss_c.backward()
    close(tx.grad, cx.grad)
    for a, b in states:
        close(a.grad, b.grad)
    check_params(tm, cm)


def test_packed_float32_and_pack_sequence():
    tm, cm = pair("GRU", 2, 3, dtype=np.float32, bidirectional=True)
    rs = np.random.RandomState(3)
    seqs = [rs.randn(n, 2).astype(np.float32) for n in (2, 4, 3)]
    tp = trnn.pack_sequence([torch.from_numpy(s) for s in seqs], enforce_sorted=False)
    cp = crnn.pack_sequence([ctorch.from_numpy(s) for s in seqs], enforce_sorted=False)
    to, th = tm(tp)
    co, ch = cm(cp)
    close(to.data, co.data, 1e-5)
    close(th, ch, 1e-5)


def test_pad_helpers_match_torch():
    rs = np.random.RandomState(4)
    seqs = [rs.randn(n, 2) for n in (3, 1, 4)]
    for bf in (False, True):
        close(trnn.pad_sequence([torch.from_numpy(s) for s in seqs], batch_first=bf, padding_value=-1.0),
              crnn.pad_sequence([ctorch.from_numpy(s) for s in seqs], batch_first=bf, padding_value=-1.0))
    x = rs.randn(4, 3, 2)
    for bf in (False, True):
        xx = x.transpose(1, 0, 2).copy() if bf else x
        tp = trnn.pack_padded_sequence(torch.from_numpy(xx), torch.tensor([3, 1, 4]), batch_first=bf,
                                       enforce_sorted=False)
        cp = crnn.pack_padded_sequence(ctorch.from_numpy(xx), ctorch.tensor([3, 1, 4]), batch_first=bf,
                                       enforce_sorted=False)
        close(tp.data, cp.data)
        np.testing.assert_array_equal(tp.sorted_indices.numpy(), np.asarray(cp.sorted_indices.tolist()))
        np.testing.assert_array_equal(tp.unsorted_indices.numpy(), np.asarray(cp.unsorted_indices.tolist()))
        for tl in (None, 6):
            a, al = trnn.pad_packed_sequence(tp, batch_first=bf, padding_value=2.5, total_length=tl)
            b, bl = crnn.pad_packed_sequence(cp, batch_first=bf, padding_value=2.5, total_length=tl)
            close(a, b)
            np.testing.assert_array_equal(al.numpy(), np.asarray(bl.tolist()))
    cp32 = cp.to(ctorch.float32)
    assert cp32.data.dtype == ctorch.float32 and cp32.batch_sizes is cp.batch_sizes
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        crnn.pack_padded_sequence(ctorch.from_numpy(x), [3, 1, 4])
