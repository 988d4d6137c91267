"""embedding, embedding_bag, the 1-d poolings and feature / alpha dropout
(include/ctorch/nn_embpool.h) through ctorch.nn.functional and ctorch.nn
against Debian's PyTorch 1.13: forward values and gradients with the same
weights, float64 gradcheck, errors with PyTorch's messages, and (the
generators differ in their use) dropout statistics."""
import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn as cnn
import ctorch.nn.functional as CF
import torch.nn as tnn
import torch.nn.functional as TF


def pair(a, grad=True):
    c = ctorch.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if grad:
        c.requires_grad_(True), t.requires_grad_(True)
    return c, t


def ints(a):
    a = np.asarray(a, dtype=np.int64)
    return ctorch.from_numpy(a.copy()), torch.from_numpy(a.copy())


def close(c, t, tol):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def same_error(fc, ft, exc=Exception):
    """Both raise the same exception type; ctorch's message contains torch's."""
    with pytest.raises(exc) as et:
        ft(torch, TF)
    with pytest.raises(exc) as ec:
        fc(ctorch, CF)
    assert type(et.value) is type(ec.value), (et.value, ec.value)
    assert str(et.value).split("\n")[0] in str(ec.value).replace("ctorch.", "torch."), (str(et.value), str(ec.value))


# ---------------------------------------------------------------- embedding
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_embedding_values_and_gradients(kw, dt):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((6, 4)).astype(dt)
    ci, ti = ints([[0, 2, 5, 2], [5, 5, 1, 2], [3, 0, 2, 2]])
    cw, tw = pair(w)
    yc, yt = CF.embedding(ci, cw, **kw), TF.embedding(ti, tw, **kw)
    close(yc, yt, 0)
    g = rng.standard_normal(tuple(yt.shape)).astype(dt)
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(cw.grad, tw.grad, 1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_embedding_max_norm_renormalises_weight_in_place(norm_type):
    w = np.random.default_rng(2).standard_normal((7, 3)) * 2
    cw, tw = pair(w)
    ci, ti = ints([1, 4, 1, 6])
    yc = CF.embedding(ci, cw, max_norm=1.5, norm_type=norm_type)
    yt = TF.embedding(ti, tw, max_norm=1.5, norm_type=norm_type)
    close(yc, yt, 1e-12)
    close(cw, tw, 1e-12)  # the weight itself changed the same way
    yc.sum().backward(), yt.sum().backward()
    close(cw.grad, tw.grad, 0)
    # the module
    torch.manual_seed(3), ctorch.manual_seed(3)
    tm, cm = tnn.Embedding(5, 3, max_norm=0.5, scale_grad_by_freq=True), cnn.Embedding(5, 3, max_norm=0.5,
                                                                                        scale_grad_by_freq=True)
    assert repr(tm) == repr(cm)
    close(cm(ints([[1, 2], [1, 4]])[0]), tm(ints([[1, 2], [1, 4]])[1]), 1e-6)
    close(cm.weight, tm.weight, 1e-6)


def test_embedding_noncontiguous_int32_and_empty():
    w = np.random.default_rng(3).standard_normal((4, 5))
    cw, tw = ctorch.from_numpy(w.T.copy()).t(), torch.from_numpy(w.T.copy()).t()
    idx = np.array([[3, 1, 0], [2, 2, 3]], dtype=np.int32)
    close(CF.embedding(ctorch.from_numpy(idx).t(), cw), TF.embedding(torch.from_numpy(idx).t(), tw), 0)
    assert tuple(CF.embedding(ctorch.zeros(0, 2, dtype=ctorch.int64), cw).shape) == (0, 2, 5)
    close(CF.embedding(ctorch.tensor(2), cw), TF.embedding(torch.tensor(2), tw), 0)


def test_embedding_gradcheck_float64():
    w = ctorch.from_numpy(np.random.default_rng(4).standard_normal((5, 3))).requires_grad_()
    idx = ctorch.tensor([[1, 3, 1], [0, 4, 4]])
    assert ctorch.autograd.gradcheck(lambda w: CF.embedding(idx, w), (w,))
    assert ctorch.autograd.gradgradcheck(lambda w: CF.embedding(idx, w) ** 2, (w,))


def test_embedding_errors():
    w = np.zeros((5, 3), dtype=np.float32)
    same_error(lambda m, F: F.embedding(m.tensor([5]), m.from_numpy(w) if m is ctorch else torch.from_numpy(w)),
               lambda m, F: F.embedding(m.tensor([5]), torch.from_numpy(w)))
    same_error(lambda m, F: F.embedding(m.tensor([-1]), ctorch.from_numpy(w)),
               lambda m, F: F.embedding(m.tensor([-1]), torch.from_numpy(w)))
    same_error(lambda m, F: F.embedding(m.tensor([1.0]), ctorch.from_numpy(w)),
               lambda m, F: F.embedding(m.tensor([1.0]), torch.from_numpy(w)))
    same_error(lambda m, F: F.embedding(m.tensor([1]), m.zeros(5)), lambda m, F: F.embedding(m.tensor([1]), m.zeros(5)))
    same_error(lambda m, F: F.embedding(m.tensor([1]), ctorch.from_numpy(w), padding_idx=5),
               lambda m, F: F.embedding(m.tensor([1]), torch.from_numpy(w), padding_idx=5))
    with pytest.raises(NotImplementedError, match="sparse=True is not implemented"):
        CF.embedding(ctorch.tensor([1]), ctorch.from_numpy(w), sparse=True)
    with pytest.raises(NotImplementedError, match="sparse=True is not implemented"):
        cnn.Embedding(5, 3, sparse=True)(ctorch.tensor([1]))


def test_embedding_from_pretrained():
    w = np.arange(12.0).reshape(4, 3)
    cm = cnn.Embedding.from_pretrained(ctorch.from_numpy(w), freeze=False, padding_idx=1, max_norm=10.0)
    tm = tnn.Embedding.from_pretrained(torch.from_numpy(w), freeze=False, padding_idx=1, max_norm=10.0)
    assert cm.weight.requires_grad and repr(cm) == repr(tm)
    ci, ti = ints([3, 1, 2])
    yc, yt = cm(ci), tm(ti)
    close(yc, yt, 1e-12)
    yc.sum().backward(), yt.sum().backward()
    close(cm.weight.grad, tm.weight.grad, 0)


# ---------------------------------------------------------------- embedding_bag
BAG_CASES = [([1, 2, 4, 1, 3, 0, 2, 2], [0, 2, 2, 5], False), ([1, 2, 4, 1, 3, 0, 2, 2], [0, 1, 4, 8], True), ([1, 2, 4, 1], [0, 0, 4], True),
             ([[1, 2, 0], [1, 1, 4], [4, 0, 3]], None, False), ([1, 2, 3], [0, 0, 0], False)]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 1, -1])
@pytest.mark.parametrize("case", range(len(BAG_CASES)))
def test_embedding_bag_values_and_gradients(mode, pad, case):
    idx, off, last = BAG_CASES[case]
    rng = np.random.default_rng(5)
    cw, tw = pair(rng.standard_normal((5, 3)))
    ci, ti = ints(idx)
    co, to = (None, None) if off is None else ints(off)
    kw = dict(mode=mode, padding_idx=pad, include_last_offset=last)
    yc, yt = CF.embedding_bag(ci, cw, co, **kw), TF.embedding_bag(ti, tw, to, **kw)
    close(yc, yt, 1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(cw.grad, tw.grad, 1e-12)


def test_embedding_bag_per_sample_weights_and_scale_grad_by_freq():
    rng = np.random.default_rng(6)
    cw, tw = pair(rng.standard_normal((6, 4)))
    cp, tp = pair(rng.standard_normal(7))
    ci, ti = ints([0, 5, 2, 2, 3, 5, 1])
    co, to = ints([0, 3, 3, 6])
    yc = CF.embedding_bag(ci, cw, co, mode="sum", per_sample_weights=cp, padding_idx=3)
    yt = TF.embedding_bag(ti, tw, to, mode="sum", per_sample_weights=tp, padding_idx=3)
    close(yc, yt, 1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(cw.grad, tw.grad, 1e-12)
    close(cp.grad, tp.grad, 1e-12)
    # scale_grad_by_freq: PyTorch 1.13's CPU embedding_bag scales some rows by
    # the count of another index (row 5 of [0, 5, 2, 2, 3, 5, 1] keeps its
    # unscaled gradient); ctorch divides each row by its own frequency, as
    # documented, checked against torch's unscaled gradient / count
    for mode in ("mean", "sum"):
        cw.grad, tw.grad = None, None
        yc = CF.embedding_bag(ci, cw, co, mode=mode, scale_grad_by_freq=True)
        yt = TF.embedding_bag(ti, tw, to, mode=mode)
        (yc * ctorch.from_numpy(g)).sum().backward()
        (yt * torch.from_numpy(g)).sum().backward()
        counts = np.maximum(np.bincount(ti.numpy(), minlength=6), 1)[:, None]
        np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy() / counts, rtol=1e-12, atol=1e-12)


def test_embedding_bag_gradcheck_float64():
    rng = np.random.default_rng(7)
    w = ctorch.from_numpy(rng.standard_normal((5, 3))).requires_grad_()
    psw = ctorch.from_numpy(rng.standard_normal(6)).requires_grad_()
    idx, off = ctorch.tensor([1, 3, 1, 0, 4, 4]), ctorch.tensor([0, 2, 2, 5])
    assert ctorch.autograd.gradcheck(
        lambda w, p: CF.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p, padding_idx=0), (w, psw))
    assert ctorch.autograd.gradgradcheck(
        lambda w, p: CF.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p) ** 2, (w, psw))
    for mode in ("mean", "max"):
        assert ctorch.autograd.gradcheck(lambda w: CF.embedding_bag(idx, w, off, mode=mode), (w,))


def test_embedding_bag_large_bags_float32():
    rng = np.random.default_rng(8)
    cw, tw = pair(rng.standard_normal((300, 16)).astype(np.float32))
    idx = rng.integers(0, 300, 40000)
    off = np.sort(rng.integers(0, 40000, 511))
    off[0] = 0
    ci, ti = ints(idx)
    co, to = ints(off)
    yc, yt = CF.embedding_bag(ci, cw, co, mode="mean"), TF.embedding_bag(ti, tw, to, mode="mean")
    close(yc, yt, 1e-5)
    yc.sum().backward(), yt.sum().backward()
    close(cw.grad, tw.grad, 1e-4)


def test_embedding_bag_errors():
    w = np.zeros((5, 3), dtype=np.float32)

    def W(m):
        return ctorch.from_numpy(w) if m is ctorch else torch.from_numpy(w)

    cases = [
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([1])),
        lambda m, F: F.embedding_bag(m.tensor([1, 2, 3]), W(m), m.tensor([0, 4])),
        lambda m, F: F.embedding_bag(m.tensor([1.0, 2.0]), W(m), m.tensor([0])),
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([0.0])),
        lambda m, F: F.embedding_bag(m.ones(1, 1, 1, dtype=m.int64), W(m)),
        lambda m, F: F.embedding_bag(m.tensor([1]), W(m)),
        lambda m, F: F.embedding_bag(m.tensor([[1]]), W(m), m.tensor([0])),
        lambda m, F: F.embedding_bag(m.tensor([1]), W(m), m.tensor([[0]])),
        lambda m, F: F.embedding_bag(m.tensor([1]), W(m), m.tensor([0]), per_sample_weights=m.ones(1)),
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([0]), mode="sum",
                                     per_sample_weights=m.ones(2, dtype=m.float64)),
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([0]), mode="foo"),
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([0]), padding_idx=5),
        lambda m, F: F.embedding_bag(m.tensor([1, 2]), W(m), m.tensor([0]), mode="max", scale_grad_by_freq=True),
    ]
    for f in cases:
        same_error(f, f)
    with pytest.raises(Exception, match="out of bounds: 5, range 0 to 5"):
        CF.embedding_bag(ctorch.tensor([5]), ctorch.from_numpy(w), ctorch.tensor([0]))
    with pytest.raises(NotImplementedError, match="sparse=True is not implemented"):
        CF.embedding_bag(ctorch.tensor([1]), ctorch.from_numpy(w), ctorch.tensor([0]), sparse=True)


def test_embedding_bag_module_from_pretrained():
    w = np.arange(15.0).reshape(5, 3)
    kw = dict(freeze=False, mode="max", include_last_offset=True, padding_idx=2)
    cm = cnn.EmbeddingBag.from_pretrained(ctorch.from_numpy(w), **kw)
    tm = tnn.EmbeddingBag.from_pretrained(torch.from_numpy(w), **kw)
    assert repr(cm) == repr(tm) and cm.weight.requires_grad
    ci, ti = ints([4, 2, 0, 1, 3])
    co, to = ints([0, 2, 5])
    yc, yt = cm(ci, co), tm(ti, to)
    close(yc, yt, 0)
    yc.sum().backward(), yt.sum().backward()
    close(cm.weight.grad, tm.weight.grad, 0)
    assert not cnn.EmbeddingBag.from_pretrained(ctorch.from_numpy(w)).weight.requires_grad


# ---------------------------------------------------------------- 1-d pools
POOL_CASES = [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2), dict(kernel_size=4, stride=3, padding=2,
              ceil_mode=True), dict(kernel_size=3, stride=1, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL_CASES + [dict(kernel_size=3, stride=2, padding=1, dilation=2),
                                            dict(kernel_size=2, stride=1, dilation=3, ceil_mode=True)])
@pytest.mark.parametrize("shape", [(2, 3, 11), (4, 9)])
def test_max_pool1d(kw, shape):
    rng = np.random.default_rng(9)
    c, t = pair(rng.standard_normal(shape).astype(np.float32))
    (yc, ic), (yt, it) = CF.max_pool1d(c, return_indices=True, **kw), TF.max_pool1d(t, return_indices=True, **kw)
    close(yc, yt, 0)
    np.testing.assert_array_equal(ic.numpy(), it.numpy())
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(c.grad, t.grad, 1e-6)
    mc, mt = cnn.MaxPool1d(**kw), tnn.MaxPool1d(**kw)
    close(mc(c), mt(t), 0)


@pytest.mark.parametrize("kw", POOL_CASES + [dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                            dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                                                 count_include_pad=False)])
@pytest.mark.parametrize("shape", [(2, 3, 11), (4, 9)])
def test_avg_pool1d(kw, shape):
    rng = np.random.default_rng(10)
    c, t = pair(rng.standard_normal(shape))
    yc, yt = CF.avg_pool1d(c, **kw), TF.avg_pool1d(t, **kw)
    close(yc, yt, 1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(c.grad, t.grad, 1e-12)
    close(cnn.AvgPool1d(**kw)(c), tnn.AvgPool1d(**kw)(t), 1e-12)


def test_avg_pool1d_integers():
    a = np.array([[[-3, 4, 5, -7, 2, 9, -1]]], dtype=np.int64)
    for kw in [dict(kernel_size=2, stride=2, padding=1), dict(kernel_size=3, stride=2, padding=1,
                                                             count_include_pad=False)]:
        yc, yt = CF.avg_pool1d(ctorch.from_numpy(a), **kw), TF.avg_pool1d(torch.from_numpy(a), **kw)
        assert yc.dtype == ctorch.int64
        np.testing.assert_array_equal(yc.numpy(), yt.numpy())


@pytest.mark.parametrize("osz", [4, 10, 1, 13, 3])
@pytest.mark.parametrize("shape", [(2, 3, 10), (3, 7)])
def test_adaptive_pools_1d(osz, shape):
    rng = np.random.default_rng(11)
    a = rng.standard_normal(shape)
    c, t = pair(a)
    yc, yt = CF.adaptive_avg_pool1d(c, osz), TF.adaptive_avg_pool1d(t, osz)
    close(yc, yt, 1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(c.grad, t.grad, 1e-12)
    c, t = pair(a)
    (yc, ic), (yt, it) = CF.adaptive_max_pool1d(c, osz, True), TF.adaptive_max_pool1d(t, osz, True)
    close(yc, yt, 0)
    np.testing.assert_array_equal(ic.numpy(), it.numpy())
    (yc * ctorch.from_numpy(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    close(c.grad, t.grad, 1e-12)
    close(cnn.AdaptiveAvgPool1d(osz)(c), tnn.AdaptiveAvgPool1d(osz)(t), 1e-12)
    close(cnn.AdaptiveMaxPool1d(osz)(c), tnn.AdaptiveMaxPool1d(osz)(t), 0)


def test_pools_1d_gradcheck_float64():
    x = ctorch.from_numpy(np.random.default_rng(12).standard_normal((2, 2, 9))).requires_grad_()
    for f in [lambda x: CF.max_pool1d(x, 3, 2, 1, dilation=2, ceil_mode=True),
              lambda x: CF.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False),
              lambda x: CF.adaptive_avg_pool1d(x, 4), lambda x: CF.adaptive_max_pool1d(x, 4)]:
        assert ctorch.autograd.gradcheck(f, (x,))
        assert ctorch.autograd.gradgradcheck(lambda x: f(x) ** 2, (x,))


def test_pools_1d_errors():
    def X(m, *shape, dtype=None):
        return m.zeros(*shape, dtype=dtype or m.float32)

    cases = [lambda m, F: F.max_pool1d(X(m, 2, 3, 4, 5), 2), lambda m, F: F.max_pool1d(X(m, 2, 3, 8), 0),
             lambda m, F: F.max_pool1d(X(m, 2, 3, 8), 2, 1, 2), lambda m, F: F.max_pool1d(X(m, 2, 3, 8), 2, 1, -1),
             lambda m, F: F.max_pool1d(X(m, 2, 3, 8), 2, 1, 0, 0), lambda m, F: F.max_pool1d(X(m, 2, 3, 8), 5, 1, 0, 3),
             lambda m, F: F.max_pool1d(X(m, 2, 3, 0), 2), lambda m, F: F.max_pool1d(X(m, 2, 8, dtype=m.int64), 2),
             lambda m, F: F.avg_pool1d(X(m, 2, 3, 4, 5), 2), lambda m, F: F.avg_pool1d(X(m, 2, 3, 8), 2, 1, 2),
             lambda m, F: F.avg_pool1d(X(m, 2, 3, 8), 2, 1, -1), lambda m, F: F.avg_pool1d(X(m, 2, 3, 8), 9),
             lambda m, F: F.avg_pool1d(X(m, 2, 3, 8), 2, 0)]
    for f in cases:
        same_error(f, f)
    for f in [lambda m, F: F.adaptive_avg_pool1d(X(m, 2, 3, 4, 5), 2), lambda m, F: F.adaptive_max_pool1d(X(m, 2, 3, 0), 2),
              lambda m, F: F.adaptive_avg_pool1d(X(m, 2, 3, 4), -1),
              lambda m, F: F.adaptive_avg_pool1d(X(m, 2, 3, 8, dtype=m.int64), 2)]:
        with pytest.raises(RuntimeError):
            f(ctorch, CF)
        with pytest.raises(RuntimeError):
            f(torch, TF)


# ---------------------------------------------------------------- dropout
def _plane_fractions(y, planes, scale):
    v = y.detach().numpy().reshape(planes, -1)
    kept = np.all(np.isclose(v, scale, rtol=1e-6), axis=1)
    dropped = np.all(v == 0, axis=1)
    assert np.all(kept | dropped), "a channel is neither whole nor dropped"
    return dropped.mean()


@pytest.mark.parametrize("name,shape,planes", [("dropout1d", (30, 60, 5), 1800), ("dropout1d", (1500, 4), 1500),
                                               ("dropout2d", (40, 50, 3, 2), 2000),
                                               ("dropout3d", (20, 60, 2, 2, 2), 1200),
                                               ("dropout3d", (1200, 2, 2, 2), 1200)])
def test_feature_dropout_statistics(name, shape, planes):
    ctorch.manual_seed(0)
    p = 0.3
    y = getattr(CF, name)(ctorch.ones(*shape), p, True)
    f = _plane_fractions(y, planes, 1 / (1 - p))
    assert abs(f - p) < 5 * np.sqrt(p * (1 - p) / planes)
    # reproducible through ctorch.manual_seed; training=False gives the input back
    ctorch.manual_seed(5)
    a = getattr(CF, name)(ctorch.ones(*shape), 0.5, True)
    ctorch.manual_seed(5)
    b = ctorch.ones(*shape)
    r = getattr(CF, name)(b, 0.5, True, inplace=True)
    assert r is b
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = ctorch.ones(*shape)
    np.testing.assert_array_equal(getattr(CF, name)(x, 0.5, False).numpy(), x.numpy())


def test_feature_dropout_gradient_is_the_mask():
    x = ctorch.from_numpy(np.random.default_rng(13).standard_normal((4, 6, 5)) + 5).requires_grad_()
    for f in (CF.dropout1d, CF.dropout2d):
        y = f(x, 0.5, True)
        (g,) = ctorch.autograd.grad(y.sum(), x)
        np.testing.assert_allclose(g.numpy(), np.where(y.detach().numpy() == 0, 0.0, 2.0))
    gen_state = ctorch.get_rng_state()

    def fixed(x):
        ctorch.set_rng_state(gen_state)
        return CF.dropout3d(x, 0.4, True)

    assert ctorch.autograd.gradcheck(fixed, (x,))


def test_alpha_dropouts_statistics():
    ctorch.manual_seed(1)
    x = ctorch.randn(200000, dtype=ctorch.float64)
    y = CF.alpha_dropout(x, 0.2, True)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.var()) - 1) < 0.03
    alpha, p = 1.7580993408473766, 0.2
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    yv, xv = y.numpy(), x.numpy()
    kept = np.isclose(yv, xv * a + alpha * a * p, rtol=0, atol=1e-12)
    drop = np.isclose(yv, -alpha * a + alpha * a * p, rtol=0, atol=1e-12)
    assert np.all(kept | drop) and abs(drop.mean() - p) < 0.006
    y = CF.feature_alpha_dropout(ctorch.zeros(50, 40, 3, dtype=ctorch.float64), 0.4, True).numpy()
    assert np.all(y[..., :1] == y)  # channels whole
    np.testing.assert_array_equal(cnn.AlphaDropout(0.2).eval()(x).numpy(), x.numpy())
    # torch's rule for p = 1: zeros
    np.testing.assert_array_equal(CF.alpha_dropout(x, 1.0, True).numpy(), TF.alpha_dropout(torch.from_numpy(
        x.numpy()), 1.0, True).numpy())


def test_dropout_errors():
    same_error(lambda m, F: F.dropout1d(m.ones(2, 3, 4, 5), 0.5), lambda m, F: F.dropout1d(m.ones(2, 3, 4, 5), 0.5))
    same_error(lambda m, F: F.dropout2d(m.ones(2, 3, 4), 1.5), lambda m, F: F.dropout2d(m.ones(2, 3, 4), 1.5))
    same_error(lambda m, F: F.feature_alpha_dropout(m.ones(3), 0.5, True),
               lambda m, F: F.feature_alpha_dropout(m.ones(3), 0.5, True))
    same_error(lambda m, F: F.alpha_dropout(m.ones(3, dtype=m.int64), 0.5, True),
               lambda m, F: F.alpha_dropout(m.ones(3, dtype=m.int64), 0.5, True))
    same_error(lambda m, F: F.dropout2d(m.ones(3, 3, 3, dtype=m.int64), 0.5, True),
               lambda m, F: F.dropout2d(m.ones(3, 3, 3, dtype=m.int64), 0.5, True))
    leaf = ctorch.ones(2, 3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        CF.dropout2d(leaf, 0.5, True, inplace=True)
