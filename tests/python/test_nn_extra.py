"""The nn ops of include/ctorch/nn_extra.h through ctorch.nn.functional and
the nn modules, against Debian's PyTorch 1.13: forward values and the
gradients of sum(out * w) for every floating input, over shapes, modes and
reductions, and PyTorch's exception types and messages for bad input."""
import warnings

import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn as cnn
import ctorch.nn.functional as CF
import torch.nn as tnn
import torch.nn.functional as TF

LIBS = {"c": (ctorch, cnn, CF), "t": (torch, tnn, TF)}


def arr(t):
    return t.detach().numpy()


def mk(lib, a, grad=False):
    m = ctorch if lib == "c" else torch
    t = m.from_numpy(np.ascontiguousarray(a).copy())
    if grad:
        t.requires_grad_(True)
    return t


def run_both(fn, inputs, grads=None, rtol=1e-5, atol=1e-6):
    """fn(mod, nn, F, *tensors) in both libraries: same output (shape, dtype,
    values) and same gradients of sum(out * w) for the floating inputs."""
    grads = grads if grads is not None else [a.dtype.kind == "f" for a in inputs]
    res = {}
    for lib in ("c", "t"):
        mod, nn_, F = LIBS[lib]
        ts = [mk(lib, a, g) for a, g in zip(inputs, grads)]
        out = fn(mod, nn_, F, *ts)
        gs = []
        if any(grads) and out.dtype.is_floating_point:
            w = mk(lib, np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(arr(out).dtype))
            (out * w).sum().backward()
            gs = [arr(t.grad) if t.grad is not None else None for t, g in zip(ts, grads) if g]
        res[lib] = (arr(out), gs)
    (oc, gc), (ot, gt) = res["c"], res["t"]
    assert oc.shape == ot.shape and oc.dtype == ot.dtype, (oc.shape, ot.shape, oc.dtype, ot.dtype)
    np.testing.assert_allclose(oc, ot, rtol=rtol, atol=atol)
    for a, b in zip(gc, gt):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def same_error(fn, *inputs, match=None):
    """fn raises the same exception type in both libraries (and match, a
    substring of torch's message, appears in ctorch's)."""
    errs = {}
    for lib in ("c", "t"):
        mod, nn_, F = LIBS[lib]
        ts = [mk(lib, a) for a in inputs]
        with pytest.raises(Exception) as ei:
            fn(mod, nn_, F, *ts)
        errs[lib] = ei.value
    assert type(errs["c"]) is type(errs["t"]), (errs["c"], errs["t"])
    if match is not None:
        assert match in str(errs["t"]), str(errs["t"])
        assert match in str(errs["c"]), str(errs["c"])


rng = np.random.default_rng(0)


def rnd(*shape, lo=-1, hi=1, dtype=np.float64):
    return rng.uniform(lo, hi, shape).astype(dtype)


def signs(*shape):
    return np.where(rng.uniform(0, 1, shape) < 0.5, -1.0, 1.0)


# ---------------------------------------------------------------- interpolate
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 5), dict(size=12)), ((2, 3, 5), dict(size=3)), ((2, 3, 5), dict(scale_factor=2.5)),
    ((2, 3, 5), dict(scale_factor=0.7, recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(size=(7, 10))), ((1, 2, 4, 5), dict(size=(3, 2))), ((1, 2, 4, 5), dict(size=(8, 10))),
    ((1, 2, 4, 5), dict(scale_factor=1.7)), ((1, 2, 4, 5), dict(scale_factor=(2.3, 0.6))),
    ((1, 2, 4, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((1, 2, 3, 4, 5), dict(size=(5, 8, 7))), ((1, 2, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.8))),
])
def test_interpolate_nearest(shape, kw, dtype):
    run_both(lambda m, nn_, F, x: F.interpolate(x, mode="nearest", **kw), [rnd(*shape, dtype=dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kw", [dict(size=(7, 11)), dict(size=(3, 2)), dict(size=(4, 5)), dict(size=(1, 1)),
                                dict(scale_factor=1.7), dict(scale_factor=(2.3, 0.6)),
                                dict(scale_factor=1.3, recompute_scale_factor=True)])
def test_interpolate_bilinear(kw, align, dtype):
    run_both(lambda m, nn_, F, x: F.interpolate(x, mode="bilinear", align_corners=align, **kw),
             [rnd(2, 3, 4, 5, dtype=dtype)])


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kw", [dict(size=9), dict(size=2), dict(scale_factor=1.6)])
def test_interpolate_linear(kw, align):
    run_both(lambda m, nn_, F, x: F.interpolate(x, mode="linear", align_corners=align, **kw), [rnd(2, 3, 5)])


def test_interpolate_large_and_noncontiguous():
    x = rnd(2, 4, 50, 40, dtype=np.float32)
    run_both(lambda m, nn_, F, x: F.interpolate(x.transpose(2, 3), size=(101, 67), mode="bilinear",
                                                align_corners=False), [x], rtol=1e-4, atol=1e-5)
    run_both(lambda m, nn_, F, x: F.interpolate(x.transpose(2, 3), scale_factor=2.2, mode="nearest"), [x])


def test_interpolate_uint8_and_empty_batch():
    x = rng.integers(0, 255, (1, 2, 3, 4)).astype(np.uint8)
    run_both(lambda m, nn_, F, x: F.interpolate(x, size=(5, 7)), [x], grads=[False])
    run_both(lambda m, nn_, F, x: F.interpolate(x, size=(5, 7), mode="bilinear"), [rnd(0, 2, 3, 4)])


def test_upsample_modules():
    x = rnd(1, 2, 3, 4)
    run_both(lambda m, nn_, F, x: nn_.Upsample(scale_factor=2, mode="nearest")(x), [x])
    run_both(lambda m, nn_, F, x: nn_.Upsample(size=(5, 9), mode="bilinear", align_corners=True)(x), [x])
    run_both(lambda m, nn_, F, x: nn_.UpsamplingNearest2d(scale_factor=3)(x), [x])
    run_both(lambda m, nn_, F, x: nn_.UpsamplingBilinear2d(size=(4, 7))(x), [x])


def test_interpolate_double_backward():
    for mode, ac in (("nearest", None), ("bilinear", False), ("bilinear", True)):
        x = ctorch.tensor(rnd(1, 2, 3, 4), requires_grad=True)
        xt = torch.tensor(x.detach().numpy(), requires_grad=True)
        for lib, t in (("c", x), ("t", xt)):
            F = LIBS[lib][2]
            y = F.interpolate(t, size=(5, 7), mode=mode, align_corners=ac)
            g, = (ctorch if lib == "c" else torch).autograd.grad((y * y).sum(), t, create_graph=True)
            (g * g).sum().backward()
        np.testing.assert_allclose(arr(x.grad), arr(xt.grad), rtol=1e-10)


def test_interpolate_errors():
    x = rnd(2, 3, 4, 5)
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(0, 2)), x)
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(0, 2), mode="bilinear"), x)
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(3, 2), mode="bilinear").sum(), rnd(2, 0, 4, 5),
               match="Non-empty 4D data tensor expected but got a tensor with sizes [2, 0, 4, 5]")
    same_error(lambda m, nn_, F, x: F.interpolate(x.long(), size=(3, 2), mode="bilinear"), x,
               match="not implemented for 'Long'")
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(3, 2, 3)), x)
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(3, 2), scale_factor=2), x)
    same_error(lambda m, nn_, F, x: F.interpolate(x, size=(3, 2), mode="nearest", align_corners=True), x)
    same_error(lambda m, nn_, F, x: F.interpolate(rnd(2, 3, 4), size=5, mode="bilinear"), x)


# ---------------------------------------------------------------- pixel shuffle
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 1, 4, 2, 3), 2), ((0, 4, 2, 2), 2)])
def test_pixel_shuffle_roundtrip(shape, r):
    # torch 1.13's PixelShuffleBackward and pixel_unshuffle mishandle an empty
    # batch (shapes unchanged): the shuffle's forward only there
    g = [0 not in shape]
    run_both(lambda m, nn_, F, x: F.pixel_shuffle(x, r), [rnd(*shape)], grads=g)
    if 0 in shape:
        return
    run_both(lambda m, nn_, F, x: nn_.PixelUnshuffle(r)(nn_.PixelShuffle(r)(x)), [rnd(*shape)], grads=g)
    run_both(lambda m, nn_, F, x: m.pixel_shuffle(x.transpose(-1, -2), r), [rnd(*shape)], grads=g)


def test_pixel_unshuffle_and_errors():
    run_both(lambda m, nn_, F, x: F.pixel_unshuffle(x, 2), [rnd(2, 3, 4, 6)])
    same_error(lambda m, nn_, F, x: F.pixel_shuffle(x, 2), rnd(2, 3),
               match="pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)")
    same_error(lambda m, nn_, F, x: F.pixel_shuffle(x, 2), rnd(2, 3, 4, 4), match="is not divisible by 4")
    same_error(lambda m, nn_, F, x: F.pixel_shuffle(x, 0), rnd(2, 4, 4, 4),
               match="pixel_shuffle expects a positive upscale_factor, but got 0")
    same_error(lambda m, nn_, F, x: F.pixel_unshuffle(x, 2), rnd(2, 4, 5, 4),
               match="pixel_unshuffle expects height to be divisible by downscale_factor")


# ---------------------------------------------------------------- one_hot
def test_one_hot():
    t = rng.integers(0, 5, (3, 4))
    run_both(lambda m, nn_, F, t: F.one_hot(t), [t], grads=[False])
    run_both(lambda m, nn_, F, t: F.one_hot(t, 7), [t], grads=[False])
    run_both(lambda m, nn_, F, t: F.one_hot(t.t(), 7), [t], grads=[False])
    run_both(lambda m, nn_, F, t: F.one_hot(t[0, 0], 7), [t], grads=[False])
    run_both(lambda m, nn_, F, t: F.one_hot(t[:0], 3), [t], grads=[False])
    for bad, msg in (([1, -1], "Class values must be non-negative."),
                     ([1, 3], "Class values must be smaller than num_classes.")):
        same_error(lambda m, nn_, F, t: F.one_hot(t, 3), np.array(bad), match=msg)
    same_error(lambda m, nn_, F, t: F.one_hot(t[:0]), t, match="Can not infer total number of classes from empty tensor.")
    same_error(lambda m, nn_, F, t: F.one_hot(t.float(), 3), t, match="one_hot is only applicable to index tensor.")
    same_error(lambda m, nn_, F, t: F.one_hot(t.int(), 3), t, match="one_hot is only applicable to index tensor.")


# ---------------------------------------------------------------- max_unpool
@pytest.mark.parametrize("shape,k,s,p,osz", [((2, 3, 6, 8), 2, None, 0, None), ((2, 3, 7, 7), 3, 2, 1, None),
                                              ((3, 6, 8), 2, None, 0, (7, 9)), ((1, 2, 4, 5), (2, 3), (2, 1), 0, None)])
def test_max_unpool2d(shape, k, s, p, osz):
    def fn(m, nn_, F, x):
        y, i = F.max_pool2d(x, k, s, p, return_indices=True)
        return F.max_unpool2d(y, i, k, s, p, output_size=osz)
    run_both(fn, [rnd(*shape)])
    run_both(lambda m, nn_, F, x: nn_.MaxUnpool2d(k, s, p)(*nn_.MaxPool2d(k, s, p, return_indices=True)(x),
                                                           output_size=osz), [rnd(*shape)])


def test_max_unpool1d_and_errors():
    run_both(lambda m, nn_, F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2), [rnd(2, 3, 8)])
    run_both(lambda m, nn_, F, x: nn_.MaxUnpool1d(3, 2)(*nn_.MaxPool1d(3, 2, return_indices=True)(x), output_size=[10]),
             [rnd(2, 3, 10)])
    i = np.array([[[[0, 3], [8, 15]]]])
    v = rnd(1, 1, 2, 2)
    same_error(lambda m, nn_, F, v, i: F.max_unpool2d(v, i * 10, 2), v, i, match="Found an invalid max index: 150")
    same_error(lambda m, nn_, F, v, i: F.max_unpool2d(v, i.int(), 2), v, i,
               match="elements in indices should be type int64 but got:")
    same_error(lambda m, nn_, F, v, i: F.max_unpool2d(v, i[..., :1], 2), v, i,
               match="Expected shape of indices to be same as that of the input tensor")
    same_error(lambda m, nn_, F, v, i: F.max_unpool2d(v[0, 0], i[0, 0], 2, output_size=(4, 4)), v, i)


# ---------------------------------------------------------------- bilinear
@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (0,)])
def test_bilinear(batch):
    run_both(lambda m, nn_, F, a, b, w, bias: F.bilinear(a, b, w, bias),
             [rnd(*batch, 4), rnd(*batch, 5), rnd(6, 4, 5), rnd(6)])
    run_both(lambda m, nn_, F, a, b, w: m.bilinear(a, b, w, None), [rnd(*batch, 4), rnd(*batch, 5), rnd(6, 4, 5)])


def test_bilinear_module_and_errors():
    def fn(m, nn_, F, a, b):
        m.manual_seed(3)
        return nn_.Bilinear(4, 5, 3)(a, b)
    run_both(fn, [rnd(2, 4, dtype=np.float32), rnd(2, 5, dtype=np.float32)])
    same_error(lambda m, nn_, F, a, b, w: F.bilinear(a, b, w), rnd(3, 2), rnd(4, 3), rnd(5, 2, 3),
               match="bilinear(): input batch dimensions do not match")
    same_error(lambda m, nn_, F, a, b, w: F.bilinear(a, b, w), rnd(3, 2), rnd(3, 3), rnd(5, 2, 4),
               match="bilinear(): input2 size does not match weight size: got 3 but expected 4")
    same_error(lambda m, nn_, F, a, b, w, c: F.bilinear(a, b, w, c), rnd(3, 2), rnd(3, 3), rnd(5, 2, 3), rnd(4),
               match="bilinear(): bias size does not match weight size: got 4 but expected 5")


# ---------------------------------------------------------------- losses
REDS = ["none", "mean", "sum"]


@pytest.mark.parametrize("red", REDS)
def test_margin_ranking_loss(red):
    run_both(lambda m, nn_, F, a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=red),
             [rnd(6), rnd(6), signs(6)], grads=[True, True, False])
    run_both(lambda m, nn_, F, a, b, y: nn_.MarginRankingLoss(0.1, reduction=red)(a, b, y),
             [rnd(2, 3), rnd(2, 3), signs(2, 3)], grads=[True, True, False])
    same_error(lambda m, nn_, F, a, b, y: F.margin_ranking_loss(a, b, y), rnd(3), rnd(3, 1), rnd(3))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3, False), (2, True)])
def test_triplet_margin_loss(red, p, swap):
    run_both(lambda m, nn_, F, a, b, c: F.triplet_margin_loss(a, b, c, margin=0.8, p=p, swap=swap, reduction=red),
             [rnd(4, 5), rnd(4, 5), rnd(4, 5)])
    run_both(lambda m, nn_, F, a, b, c: nn_.TripletMarginLoss(1.0, p, swap=swap, reduction=red)(a, b, c),
             [rnd(5), rnd(5), rnd(5)])


def test_triplet_errors():
    same_error(lambda m, nn_, F, a, b, c: F.triplet_margin_loss(a, b, c), rnd(3, 4), rnd(3, 4), rnd(4),
               match="All inputs should have same dimension but got 2D, 2D and 1D inputs.")
    same_error(lambda m, nn_, F, a, b, c: F.triplet_margin_loss(a, b, c), rnd(3, 4), rnd(3, 4), rnd(3, 5))


@pytest.mark.parametrize("red", REDS)
def test_cosine_embedding_loss(red):
    run_both(lambda m, nn_, F, a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2, reduction=red),
             [rnd(5, 4), rnd(5, 4), signs(5)], grads=[True, True, False])
    run_both(lambda m, nn_, F, a, b, y: nn_.CosineEmbeddingLoss(reduction=red)(a, b, y[0]),
             [rnd(4), rnd(4), signs(1)], grads=[True, True, False])
    same_error(lambda m, nn_, F, a, b, y: F.cosine_embedding_loss(a, b, y), rnd(3, 4), rnd(3, 4), rnd(3, 1),
               match="0D or 1D target tensor expected, multi-target not supported")
    same_error(lambda m, nn_, F, a, b, y: F.cosine_embedding_loss(a, b, y), rnd(4), rnd(4), rnd(4),
               match="1D target tensor expects 2D input tensors, but found inputs with sizes")


@pytest.mark.parametrize("red", REDS)
def test_hinge_embedding_loss(red):
    run_both(lambda m, nn_, F, x, y: F.hinge_embedding_loss(x, y, margin=0.7, reduction=red),
             [rnd(3, 4, lo=-2, hi=2), signs(3, 4)], grads=[True, False])
    run_both(lambda m, nn_, F, x, y: nn_.HingeEmbeddingLoss(reduction=red)(x, y),
             [rnd(3, 4, lo=-2, hi=2), signs(4)], grads=[True, False])


@pytest.mark.parametrize("red", REDS)
def test_soft_margin_losses(red):
    run_both(lambda m, nn_, F, x, y: F.soft_margin_loss(x, y, reduction=red), [rnd(3, 4, lo=-3, hi=3), signs(3, 4)],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: nn_.SoftMarginLoss(reduction=red)(x, y),
             [rnd(3, 4, lo=-3, hi=3, dtype=np.float32), signs(3, 4).astype(np.float32)], grads=[True, False])
    t = rng.integers(0, 2, (3, 4)).astype(np.float64)
    run_both(lambda m, nn_, F, x, y, w: F.multilabel_soft_margin_loss(x, y, weight=w, reduction=red),
             [rnd(3, 4, lo=-3, hi=3), t, rnd(4, lo=0.5, hi=2)], grads=[True, False, False])
    run_both(lambda m, nn_, F, x, y: nn_.MultiLabelSoftMarginLoss(reduction=red)(x, y), [rnd(3, 4), t],
             grads=[True, False])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(red, log_input, full):
    run_both(lambda m, nn_, F, x, y: F.poisson_nll_loss(x, y, log_input=log_input, full=full, reduction=red),
             [rnd(3, 4, lo=0.1, hi=2), rnd(3, 4, lo=0, hi=4)], grads=[True, False])
    run_both(lambda m, nn_, F, x, y: nn_.PoissonNLLLoss(log_input, full, reduction=red)(x, y),
             [rnd(3, 4, lo=0.1, hi=2), rnd(3, 4, lo=0, hi=4)], grads=[True, False])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("vshape", [(3, 4), (3,), (3, 1)])
def test_gaussian_nll_loss(red, vshape):
    v = rnd(*vshape, lo=0, hi=2)
    v.reshape(-1)[0] = 0.0  # clamped at eps
    run_both(lambda m, nn_, F, x, y, v: F.gaussian_nll_loss(x, y, v, full=True, eps=1e-3, reduction=red),
             [rnd(3, 4), rnd(3, 4), v])
    run_both(lambda m, nn_, F, x, y, v: nn_.GaussianNLLLoss(reduction=red)(x, y, v), [rnd(3, 4), rnd(3, 4), v + 0.5])


def test_gaussian_nll_loss_errors():
    same_error(lambda m, nn_, F, x, y, v: F.gaussian_nll_loss(x, y, v), rnd(3, 4), rnd(3, 4), rnd(4),
               match="var is of incorrect size")
    same_error(lambda m, nn_, F, x, y, v: F.gaussian_nll_loss(x, y, -v), rnd(3, 4), rnd(3, 4), rnd(3, 4, lo=0.1),
               match="var has negative entry/entries")
    same_error(lambda m, nn_, F, x, y, v: F.gaussian_nll_loss(x, y, v, reduction="x"), rnd(3, 4), rnd(3, 4),
               rnd(3, 4, lo=0.1), match="x is not valid")


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,weighted", [(1, False), (2, False), (1, True), (2, True)])
def test_multi_margin_loss(red, p, weighted):
    y = np.array([0, 3, 4, 3])
    w = rnd(5, lo=0.5, hi=2)
    run_both(lambda m, nn_, F, x, y, w: F.multi_margin_loss(x, y, p=p, margin=0.7, weight=w if weighted else None,
                                                            reduction=red),
             [rnd(4, 5), y, w], grads=[True, False, False])
    run_both(lambda m, nn_, F, x, y: nn_.MultiMarginLoss(p=p, reduction=red)(x[0], y[1]), [rnd(4, 5), y],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: nn_.MultiMarginLoss(p=p, reduction=red)(x[0], y[1:2]), [rnd(4, 5), y],
             grads=[True, False])


def test_multi_margin_loss_errors():
    x, y = rnd(3, 4), np.array([0, 1, 3])
    same_error(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y + 1), x, y, match="target out of range")
    same_error(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y[:2]), x, y, match="inconsistent target size, got: [2]")
    same_error(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y, p=3), x, y, match="only p == 1 and p == 2 supported")
    same_error(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y.int()), x, y,
               match="expected scalar type Long but found Int")
    same_error(lambda m, nn_, F, x, y: F.multi_margin_loss(x.reshape(3, 2, 2), y), x, y,
               match="Expected non-empty vector or matrix with optional 0-dim batch size, but got: [3, 2, 2]")


@pytest.mark.parametrize("red", REDS)
def test_multilabel_margin_loss(red):
    t = np.array([[3, 0, -1, 1, 4], [1, 1, 2, -1, 0], [4, 3, 2, 1, 0]])
    run_both(lambda m, nn_, F, x, t: F.multilabel_margin_loss(x, t, reduction=red), [rnd(3, 5), t],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, t: nn_.MultiLabelMarginLoss(reduction=red)(x[1], t[1]), [rnd(3, 5), t],
             grads=[True, False])
    same_error(lambda m, nn_, F, x, t: F.multilabel_margin_loss(x, t + 1), rnd(3, 5), t,
               match="argument #2 'target' is out of range")
    same_error(lambda m, nn_, F, x, t: F.multilabel_margin_loss(x, t[:2]), rnd(3, 5), t,
               match="inconsistent size [2, 5] for argument #2 'target'")


def test_losses_double_backward():
    """gradgrad of the composed losses matches torch where torch has it."""
    cases = [  # (loss, whether y requires grad)
        (lambda F, x, y: F.soft_margin_loss(x, y.sign()), False),
        (lambda F, x, y: F.triplet_margin_loss(x, y, x * y, swap=True), True),
        (lambda F, x, y: F.cosine_embedding_loss(x, y, (x[:, 0] > 0).double() * 2 - 1), True),
        (lambda F, x, y: F.gaussian_nll_loss(x, y, y * y + 0.1), True),
        (lambda F, x, y: F.poisson_nll_loss(x, y.abs()), False),
        (lambda F, x, y: F.interpolate(x.reshape(1, 1, 3, 4) * y.reshape(1, 1, 3, 4), size=(5, 6),
                                       mode="bilinear").pow(2).sum(), True),
    ]
    for case, ygrad in cases:
        a, b = rnd(3, 4), rnd(3, 4)
        grads = {}
        for lib in ("c", "t"):
            mod, _, F = LIBS[lib]
            x, y = mk(lib, a, True), mk(lib, b, ygrad)
            ins = (x, y) if ygrad else (x,)
            gs = mod.autograd.grad(case(F, x, y), ins, create_graph=True)
            sum((g * g).sum() for g in gs).backward()
            grads[lib] = [arr(t.grad) for t in ins]
        for u, v in zip(grads["c"], grads["t"]):
            np.testing.assert_allclose(u, v, rtol=1e-8, atol=1e-10)


def test_reduction_strings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m, nn_, F, x, y: F.soft_margin_loss(x, y, size_average=False), [rnd(3), signs(3)],
                 grads=[True, False])
    same_error(lambda m, nn_, F, x, y: F.soft_margin_loss(x, y, reduction="bad"), rnd(3), signs(3))


@pytest.mark.parametrize("shape,kw", [((2, 3, 5), dict(size=13)), ((1, 2, 5, 7), dict(size=(9, 4))),
                                      ((1, 2, 5, 7), dict(scale_factor=1.7))])
def test_interpolate_nearest_exact(shape, kw):
    run_both(lambda m, nn_, F, x: F.interpolate(x, mode="nearest-exact", **kw), [rnd(*shape)])


def test_margin_losses_zero_dim_and_empty_batch():
    run_both(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y, reduction="none"), [rnd(), np.array(0)],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: F.multilabel_margin_loss(x, y, reduction="none"), [rnd(), np.array(0)],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: F.multi_margin_loss(x, y, reduction="sum"), [rnd(0, 4), np.zeros(0, np.int64)],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: F.hinge_embedding_loss(x, y, reduction="none"), [rnd(), signs()],
             grads=[True, False])
    run_both(lambda m, nn_, F, x, y: F.soft_margin_loss(x, y, reduction="sum"), [rnd(0, 3), rnd(0, 3)],
             grads=[True, False])
