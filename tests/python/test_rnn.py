"""ctorch.nn recurrent layers and embedding against Debian's PyTorch 1.13:
same weights (copied through numpy) -> same outputs, h_n/c_n and gradients;
state_dict keys; same seed -> same default initialisation; errors."""
import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn as cnn
import ctorch.nn.functional as CF
import torch.nn as tnn
import torch.nn.functional as TF


def arr(t):
    return t.detach().numpy()


def pair(cls_name, *args, dtype=np.float64, **kw):
    """A torch module and a ctorch one with torch's weights."""
    tm = getattr(tnn, cls_name)(*args, **kw)
    if dtype == np.float64:
        tm = tm.double()
    cm = getattr(cnn, cls_name)(*args, **kw)
    if dtype == np.float64:
        cm = cm.double()
    sd = {k: ctorch.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    cm.load_state_dict(sd)
    return tm, cm


def both(a, grad=True):
    t = torch.from_numpy(a.copy()).requires_grad_(grad)
    c = ctorch.from_numpy(a.copy()).requires_grad_(grad)
    return t, c


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(arr(a), arr(b), rtol=tol, atol=tol)


def check_grads(tm, cm, tin, cin, tol=1e-10):
    for (n, tp), (n2, cp) in zip(tm.named_parameters(), cm.named_parameters()):
        assert n == n2
        close(tp.grad, cp.grad, tol)
    for t, c in zip(tin, cin):
        if t is not None:
            close(t.grad, c.grad, tol)


LAYERS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True)),
    ("RNN", dict(num_layers=2, bias=False, batch_first=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(num_layers=2, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bias=False, batch_first=True, bidirectional=True)),
]


@pytest.mark.parametrize("name,kw", LAYERS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_layer_matches_torch(name, kw, with_h0):
    rng = np.random.default_rng(0)
    I, H, T, B = 3, 4, 5, 2
    tm, cm = pair(name, I, H, **kw)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    shape = (B, T, I) if kw.get("batch_first") else (T, B, I)
    tx, cx = both(rng.uniform(-1, 1, shape))
    th = ch = None
    if with_h0:
        th, ch = both(rng.uniform(-1, 1, (L * D, B, H)))
        if name == "LSTM":
            tc, cc = both(rng.uniform(-1, 1, (L * D, B, H)))
            th, ch = (th, tc), (ch, cc)
    to, thn = tm(tx, th)
    co, chn = cm(cx, ch)
    close(to, co)
    if name == "LSTM":
        close(thn[0], chn[0])
        close(thn[1], chn[1])
        tloss = (to * to).sum() + thn[0].sum() + 2 * thn[1].sum()
        closs = (co * co).sum() + chn[0].sum() + 2 * chn[1].sum()
    else:
        close(thn, chn)
        tloss = (to * to).sum() + thn.sum()
        closs = (co * co).sum() + chn.sum()
    tloss.backward()
    closs.backward()
    tins = [tx] + (list(th) if isinstance(th, tuple) else [th])
    cins = [cx] + (list(ch) if isinstance(ch, tuple) else [ch])
    check_grads(tm, cm, tins, cins)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_and_float32(name):
    rng = np.random.default_rng(1)
    tm, cm = pair(name, 3, 2, num_layers=2, bidirectional=True, dtype=np.float32)
    a = rng.uniform(-1, 1, (4, 3)).astype(np.float32)
    tx, cx = both(a)
    to, th = tm(tx)
    co, ch = cm(cx)
    assert tuple(co.shape) == tuple(to.shape) == (4, 4)
    close(to, co, 1e-5)
    if name == "LSTM":
        close(th[0], ch[0], 1e-5)
        assert tuple(ch[1].shape) == (4, 2)
    else:
        close(th, ch, 1e-5)
        assert tuple(ch.shape) == (4, 2)
    to.sum().backward()
    co.sum().backward()
    close(tx.grad, cx.grad, 1e-5)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_state_dict_keys_and_seeded_init(name):
    kw = dict(num_layers=2, bidirectional=True)
    torch.manual_seed(3)
    tm = getattr(tnn, name)(3, 5, **kw)
    ctorch.manual_seed(3)
    cm = getattr(cnn, name)(3, 5, **kw)
    tsd, csd = tm.state_dict(), cm.state_dict()
    assert list(tsd.keys()) == list(csd.keys())
    for k in tsd:
        assert tuple(tsd[k].shape) == tuple(csd[k].shape)
        np.testing.assert_array_equal(tsd[k].numpy(), csd[k].numpy())
    assert repr(tm) == repr(cm)
    # and back: ctorch weights into torch
    tm2 = getattr(tnn, name)(3, 5, **kw)
    tm2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in csd.items()})


CELLS = [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu", bias=False)), ("LSTMCell", dict()),
         ("LSTMCell", dict(bias=False)), ("GRUCell", dict()), ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("name,kw", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_cell_matches_torch(name, kw, batched, with_h):
    rng = np.random.default_rng(2)
    tm, cm = pair(name, 3, 4, **kw)
    lead = (2,) if batched else ()
    tx, cx = both(rng.uniform(-1, 1, lead + (3,)))
    th = ch = None
    if with_h:
        th, ch = both(rng.uniform(-1, 1, lead + (4,)))
        if name == "LSTMCell":
            tc, cc = both(rng.uniform(-1, 1, lead + (4,)))
            th, ch = (th, tc), (ch, cc)
    tr, cr = tm(tx, th), cm(cx, ch)
    if name == "LSTMCell":
        close(tr[0], cr[0])
        close(tr[1], cr[1])
        (tr[0].sum() + 3 * (tr[1] * tr[1]).sum()).backward()
        (cr[0].sum() + 3 * (cr[1] * cr[1]).sum()).backward()
    else:
        close(tr, cr)
        (tr * tr).sum().backward()
        (cr * cr).sum().backward()
    tins = [tx] + (list(th) if isinstance(th, tuple) else [th])
    cins = [cx] + (list(ch) if isinstance(ch, tuple) else [ch])
    check_grads(tm, cm, tins, cins)


def test_cell_state_dict_and_init():
    for name in ["RNNCell", "LSTMCell", "GRUCell"]:
        torch.manual_seed(5)
        tm = getattr(tnn, name)(4, 3)
        ctorch.manual_seed(5)
        cm = getattr(cnn, name)(4, 3)
        assert list(tm.state_dict()) == list(cm.state_dict())
        for k, v in tm.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), cm.state_dict()[k].numpy())


def test_dropout_between_layers():
    tm, cm = pair("GRU", 3, 4, num_layers=2, dropout=0.5)
    x = np.random.default_rng(4).uniform(-1, 1, (3, 2, 3))
    tm.eval()
    cm.eval()
    close(tm(torch.from_numpy(x))[0], cm(ctorch.from_numpy(x))[0])
    cm.train()
    o1 = cm(ctorch.from_numpy(x))[0]
    o2 = cm(ctorch.from_numpy(x))[0]
    assert not np.allclose(arr(o1), arr(o2))  # random masks differ between calls


def test_errors():
    m = cnn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        m(ctorch.zeros(2, 1, 5))
    with pytest.raises(ValueError, match="Expected input to be 2-D or 3-D but received 4-D tensor"):
        m(ctorch.zeros(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 1, 4\\), got \\[1, 2, 4\\]"):
        cnn.GRU(3, 4)(ctorch.zeros(2, 1, 3), ctorch.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        cnn.GRU(3, 4)(ctorch.zeros(2, 1, 3), ctorch.zeros(1, 4))
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        cnn.RNN(3, 4, dropout=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        cnn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(AssertionError, match="Expected input to be 1-D or 2-D"):  # as torch 1.13
        cnn.GRUCell(3, 4)(ctorch.zeros(1, 1, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2 expected 3"):
        cnn.RNNCell(3, 4)(ctorch.zeros(1, 2))


# ---------------------------------------------------------------- embedding

def test_embedding_padding_idx_gradient_matches_torch():
    w = np.random.default_rng(5).normal(size=(6, 3))
    idx = np.array([[1, 2, 0], [2, 5, 1]])
    for pad in [None, 2, -1]:
        tw, cw = both(w)
        te = TF.embedding(torch.from_numpy(idx), tw, padding_idx=pad)
        ce = CF.embedding(ctorch.from_numpy(idx), cw, padding_idx=pad)
        close(te, ce, 0)
        k = np.arange(18.0).reshape(2, 3, 3)
        (te * torch.from_numpy(k)).sum().backward()
        (ce * ctorch.from_numpy(k)).sum().backward()
        close(tw.grad, cw.grad, 0)


def test_c_embedding_binding():
    w = np.random.default_rng(6).normal(size=(4, 2))
    tw, cw = both(w)
    idx = np.array([3, 0, 3, 1])
    ce = ctorch._C._rnn_embedding(cw, ctorch.from_numpy(idx), 3)
    te = TF.embedding(torch.from_numpy(idx), tw, padding_idx=3)
    close(te, ce, 0)
    (ce * ce).sum().backward()
    (te * te).sum().backward()
    close(tw.grad, cw.grad, 0)
    with pytest.raises(RuntimeError, match="Long, Int"):
        ctorch._C._rnn_embedding(cw, ctorch.zeros(2), -1)


def test_embedding_module_from_pretrained_and_seed():
    torch.manual_seed(7)
    tm = tnn.Embedding(5, 3, padding_idx=1)
    ctorch.manual_seed(7)
    cm = cnn.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(tm.weight.detach().numpy(), cm.weight.detach().numpy())
    w = np.arange(6.0).reshape(3, 2)
    e = cnn.Embedding.from_pretrained(ctorch.from_numpy(w), padding_idx=0)
    assert not e.weight.requires_grad
    close(e(ctorch.tensor([2, 0])), torch.tensor([[4.0, 5.0], [0.0, 1.0]], dtype=torch.float64), 0)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 1])
def test_embedding_bag_matches_torch(mode, pad):
    w = np.random.default_rng(8).normal(size=(5, 3))
    cases = [(np.array([1, 2, 4, 1, 3, 0]), np.array([0, 2, 2, 5]), False),
             (np.array([1, 2, 4, 1, 3, 0]), np.array([0, 1, 4, 6]), True),
             (np.array([[1, 2], [1, 1], [4, 0]]), None, False)]
    for idx, off, last in cases:
        tw, cw = both(w)
        kw = dict(mode=mode, padding_idx=pad, include_last_offset=last)
        to = TF.embedding_bag(torch.from_numpy(idx), tw, None if off is None else torch.from_numpy(off), **kw)
        co = CF.embedding_bag(ctorch.from_numpy(idx), cw, None if off is None else ctorch.from_numpy(off), **kw)
        close(to, co, 1e-12)
        k = np.arange(float(to.numel())).reshape(tuple(to.shape))
        (to * torch.from_numpy(k)).sum().backward()
        (co * ctorch.from_numpy(k)).sum().backward()
        close(tw.grad, cw.grad, 1e-12)


def test_embedding_bag_module_and_per_sample_weights():
    torch.manual_seed(9)
    tm = tnn.EmbeddingBag(6, 2, mode="sum")
    ctorch.manual_seed(9)
    cm = cnn.EmbeddingBag(6, 2, mode="sum")
    np.testing.assert_array_equal(tm.weight.detach().numpy(), cm.weight.detach().numpy())
    assert repr(tm) == repr(cm)
    idx, off, psw = np.array([0, 5, 2, 2]), np.array([0, 3]), np.array([0.5, -1.0, 2.0, 3.0], dtype=np.float32)
    to = tm(torch.from_numpy(idx), torch.from_numpy(off), torch.from_numpy(psw))
    co = cm(ctorch.from_numpy(idx), ctorch.from_numpy(off), ctorch.from_numpy(psw))
    close(to, co, 1e-6)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        CF.embedding_bag(ctorch.from_numpy(idx), cm.weight, ctorch.from_numpy(off),
                         per_sample_weights=ctorch.from_numpy(psw), mode="max")


def test_zero_sizes():
    m = cnn.GRU(3, 4)
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        m(ctorch.zeros(0, 2, 3))
    o, h = m(ctorch.zeros(2, 0, 3))
    assert tuple(o.shape) == (2, 0, 4) and tuple(h.shape) == (1, 0, 4)
    h = cnn.LSTMCell(3, 4)(ctorch.zeros(0, 3))
    assert tuple(h[0].shape) == (0, 4) and tuple(h[1].shape) == (0, 4)


def test_noncontiguous_input_and_double_backward():
    tm, cm = pair("LSTM", 3, 2)
    a = np.random.default_rng(10).uniform(-1, 1, (2, 4, 3))
    tx, cx = both(a)
    to = tm(tx.transpose(0, 1))[0]
    co = cm(cx.transpose(0, 1))[0]
    close(to, co)
    tg = torch.autograd.grad(to.sum(), tx, create_graph=True)[0]
    cg = ctorch.autograd.grad(co.sum(), cx, create_graph=True)[0]
    close(tg, cg)
    (tg * tg).sum().backward()
    (cg * cg).sum().backward()
    check_grads(tm, cm, [], [])


@pytest.mark.parametrize("name,kw", [("LSTM", dict(bidirectional=True)), ("GRU", dict(num_layers=2)),
                                     ("RNN", dict(nonlinearity="relu", bidirectional=True)),
                                     ("RNN", dict(num_layers=2))])
def test_fused_layers_double_backward_matches_torch(name, kw):
    """The fused layer op's derivative under create_graph (composed of ops)
    against PyTorch's composed CPU layers: grad, then the gradient of a
    function of that grad with respect to input and weights."""
    tm, cm = pair(name, 3, 4, **kw)
    a = np.random.default_rng(11).uniform(-1, 1, (5, 2, 3))
    tx, cx = both(a)
    to, co = tm(tx)[0], cm(cx)[0]
    close(to, co)
    tg = torch.autograd.grad((to * to).sum(), tx, create_graph=True)[0]
    cg = ctorch.autograd.grad((co * co).sum(), cx, create_graph=True)[0]
    close(tg, cg)
    (tg * tg).sum().backward()
    (cg * cg).sum().backward()
    check_grads(tm, cm, [tx], [cx])


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_fused_layers_float32_sizes_past_vector_width_match_torch(name):
    """float32, H = 37 (rows end in vector tails), batch 5, 9 steps: values
    and gradients of every parameter against PyTorch."""
    tm, cm = pair(name, 6, 37, dtype=np.float32, num_layers=2, bidirectional=True)
    a = np.random.default_rng(12).uniform(-1, 1, (9, 5, 6)).astype(np.float32)
    tx, cx = both(a)
    to, th = tm(tx)
    co, ch = cm(cx)
    close(to, co, 1e-5)
    k = np.random.default_rng(13).uniform(-1, 1, tuple(to.shape)).astype(np.float32)
    (to * torch.from_numpy(k)).sum().backward()
    (co * ctorch.from_numpy(k)).sum().backward()
    check_grads(tm, cm, [tx], [cx], 2e-5)
