"""ctorch.nn against Debian's PyTorch 1.13: functional ops (values and
gradients), layers (default initialisation with the same seed, outputs,
gradients), state_dict round trips with torch models, repr, init, utils and a
few training steps."""
import math
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
    return t if isinstance(t, np.ndarray) else t.detach().numpy()


def mk(lib, a, grad=False):
    m = ctorch if lib == "c" else torch
    t = m.from_numpy(np.ascontiguousarray(a).copy())
    if grad:
        t.requires_grad_(True)
    return t


def close(a, b, rtol=1e-5, atol=1e-6):
    a, b = arr(a), arr(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def run_both(fn, inputs, grads=None, rtol=1e-5, atol=1e-6, seed=None):
    """fn(mod, F, *tensors) under both libraries; compares outputs and the
    gradients of sum(out * w) for the inputs flagged in grads."""
    grads = grads if grads is not None else [a.dtype.kind == "f" for a in inputs]
    res = {}
    for lib in ("c", "t"):
        mod, nn_, F = LIBS[lib]
        ts = [mk(lib, a, g) if isinstance(a, np.ndarray) else a for a, g in zip(inputs, grads)]
        if seed is not None:
            mod.manual_seed(seed)
        out = fn(mod, F, *ts)
        outs = out if isinstance(out, tuple) else (out,)
        gs = []
        if any(grads) and outs[0].requires_grad:
            w = mk(lib, np.random.default_rng(7).standard_normal(tuple(outs[0].shape)).astype(arr(outs[0]).dtype))
            (outs[0] * w).sum().backward()
            gs = [t.grad for t, g in zip(ts, grads) if g]
        res[lib] = (outs, gs)
    (co, cg), (to, tg) = res["c"], res["t"]
    assert len(co) == len(to)
    for a, b in zip(co, to):
        close(a, b, rtol, atol)
    assert len(cg) == len(tg)
    for a, b in zip(cg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, rtol * 10, atol * 10)
    return res


R = np.random.default_rng(0)


def rn(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def rint(lo, hi, *shape):
    return R.integers(lo, hi, shape).astype(np.int64)


# ---------------------------------------------------------------- functional
FUNCTIONAL = {
    "linear": (lambda m, F, x, w, b: F.linear(x, w, b), [rn(3, 5), rn(4, 5), rn(4)]),
    "linear_nobias_3d": (lambda m, F, x, w: F.linear(x, w), [rn(2, 3, 5), rn(4, 5)]),
    "bilinear": (lambda m, F, a, b, w, c: F.bilinear(a, b, w, c), [rn(3, 4), rn(3, 5), rn(2, 4, 5), rn(2)]),
    "conv2d": (lambda m, F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [rn(2, 3, 7, 6), rn(4, 3, 3, 3), rn(4)]),
    "conv2d_groups_dil": (lambda m, F, x, w: F.conv2d(x, w, None, 1, (1, 2), (2, 1), 2),
                          [rn(1, 4, 8, 8), rn(6, 2, 3, 2)]),
    "conv2d_same_even": (lambda m, F, x, w: F.conv2d(x, w, padding="same"), [rn(1, 2, 6, 5), rn(3, 2, 4, 2)]),
    "conv2d_valid": (lambda m, F, x, w: F.conv2d(x, w, padding="valid"), [rn(2, 7, 5), rn(3, 2, 3, 3)]),
    "conv1d": (lambda m, F, x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2),
               [rn(2, 3, 11), rn(5, 3, 3), rn(5)]),
    "conv1d_same": (lambda m, F, x, w: F.conv1d(x, w, padding="same"), [rn(2, 3, 9), rn(4, 3, 4)]),
    "max_pool2d": (lambda m, F, x: F.max_pool2d(x, 3, 2, 1), [rn(2, 3, 9, 8)]),
    "max_pool2d_idx_ceil": (lambda m, F, x: F.max_pool2d(x, (2, 3), ceil_mode=True, return_indices=True),
                            [rn(2, 5, 7)]),
    "max_pool2d_dil": (lambda m, F, x: F.max_pool2d(x, 2, 1, 0, 2), [rn(1, 2, 7, 7)]),
    "max_pool1d": (lambda m, F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), [rn(2, 3, 10)]),
    "avg_pool2d": (lambda m, F, x: F.avg_pool2d(x, 3, 2, 1), [rn(2, 3, 9, 8)]),
    "avg_pool2d_opts": (lambda m, F, x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), True, False),
                        [rn(1, 2, 8, 7)]),
    "avg_pool2d_div": (lambda m, F, x: F.avg_pool2d(x, 2, divisor_override=3), [rn(2, 6, 6)]),
    "avg_pool1d": (lambda m, F, x: F.avg_pool1d(x, 4, 2, 2), [rn(2, 3, 11)]),
    "adaptive_avg_pool2d": (lambda m, F, x: F.adaptive_avg_pool2d(x, (3, 4)), [rn(2, 3, 7, 9)]),
    "adaptive_avg_pool2d_none": (lambda m, F, x: F.adaptive_avg_pool2d(x, (None, 2)), [rn(3, 5, 7)]),
    "adaptive_avg_pool2d_int": (lambda m, F, x: F.adaptive_avg_pool2d(x, 1), [rn(2, 3, 5, 5)]),
    "adaptive_avg_pool1d": (lambda m, F, x: F.adaptive_avg_pool1d(x, 4), [rn(2, 3, 10)]),
    "softmax": (lambda m, F, x: F.softmax(x, dim=1), [rn(3, 4, 5)]),
    "softmax_dtype": (lambda m, F, x: F.softmax(x, -1, dtype=m.float64), [rn(3, 4)]),
    "softmin": (lambda m, F, x: F.softmin(x, 0), [rn(3, 4)]),
    "log_softmax": (lambda m, F, x: F.log_softmax(x, dim=-1), [rn(3, 4, 5)]),
    "batch_norm_eval": (lambda m, F, x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5),
                        [rn(4, 3, 5), rn(3), np.abs(rn(3)) + 0.5, rn(3), rn(3)], [True, False, False, True, True]),
    "batch_norm_train": (lambda m, F, x, w, b: F.batch_norm(x, None, None, w, b, True), [rn(4, 3, 2, 2), rn(3), rn(3)]),
    "layer_norm": (lambda m, F, x, w, b: F.layer_norm(x, (4, 5), w, b), [rn(3, 4, 5), rn(4, 5), rn(4, 5)]),
    "layer_norm_int": (lambda m, F, x: F.layer_norm(x, (5,), eps=1e-3), [rn(3, 5)]),
    "relu": (lambda m, F, x: F.relu(x), [rn(4, 5)]),
    "relu6": (lambda m, F, x: F.relu6(x * 4), [rn(4, 5)]),
    "elu": (lambda m, F, x: F.elu(x, 0.7), [rn(4, 5)]),
    "selu": (lambda m, F, x: F.selu(x), [rn(4, 5)]),
    "celu": (lambda m, F, x: F.celu(x, 1.3), [rn(4, 5)]),
    "leaky_relu": (lambda m, F, x: F.leaky_relu(x, 0.2), [rn(4, 5)]),
    "hardtanh": (lambda m, F, x: F.hardtanh(x, -0.5, 0.7), [rn(4, 5)]),
    "gelu": (lambda m, F, x: F.gelu(x), [rn(4, 5)]),
    "gelu_tanh": (lambda m, F, x: F.gelu(x, approximate="tanh"), [rn(4, 5)]),
    "silu": (lambda m, F, x: F.silu(x), [rn(4, 5)]),
    "mish": (lambda m, F, x: F.mish(x), [rn(4, 5)]),
    "softplus": (lambda m, F, x: F.softplus(x * 10, beta=2, threshold=5), [rn(4, 5)]),
    "sigmoid": (lambda m, F, x: F.sigmoid(x), [rn(4, 5)]),
    "tanh": (lambda m, F, x: F.tanh(x), [rn(4, 5)]),
    "logsigmoid": (lambda m, F, x: F.logsigmoid(x * 5), [rn(4, 5)]),
    "hardsigmoid": (lambda m, F, x: F.hardsigmoid(x * 4), [rn(4, 5)]),
    "hardswish": (lambda m, F, x: F.hardswish(x * 4), [rn(4, 5)]),
    "softsign": (lambda m, F, x: F.softsign(x), [rn(4, 5)]),
    "tanhshrink": (lambda m, F, x: F.tanhshrink(x), [rn(4, 5)]),
    "threshold": (lambda m, F, x: F.threshold(x, 0.1, -2.0), [rn(4, 5)]),
    "glu": (lambda m, F, x: F.glu(x, 1), [rn(3, 6)]),
    "prelu": (lambda m, F, x, w: F.prelu(x, w), [rn(2, 3, 4), rn(3)]),
    "pad": (lambda m, F, x: F.pad(x, (1, 2, 0, 1), value=0.5), [rn(2, 3, 4)]),
    # the engine has no derivative of reflect/replicate/circular pad yet: values only
    "pad_reflect": (lambda m, F, x: F.pad(x, (2, 1), mode="reflect"), [rn(2, 3, 4)], [False]),
    "pad_circular": (lambda m, F, x: F.pad(x, (2, 1, 1, 0), mode="circular"), [rn(1, 2, 3, 4)], [False]),
    "normalize": (lambda m, F, x: F.normalize(x, dim=-1), [rn(3, 4)]),
    "normalize_p1": (lambda m, F, x: F.normalize(x, p=1.0, dim=0), [rn(3, 4)]),
    "cosine_similarity": (lambda m, F, a, b: F.cosine_similarity(a, b, dim=-1), [rn(3, 4), rn(3, 4)]),
    "pairwise_distance": (lambda m, F, a, b: F.pairwise_distance(a, b), [rn(3, 4), rn(3, 4)]),
    "embedding": (lambda m, F, i, w: F.embedding(i, w), [rint(0, 5, 2, 3), rn(5, 4)]),
    "embedding_pad": (lambda m, F, i, w: F.embedding(i, w, padding_idx=1), [np.array([[1, 2], [1, 0]]), rn(3, 4)]),
    # losses
    "mse_loss": (lambda m, F, a, b: F.mse_loss(a, b), [rn(3, 4), rn(3, 4)]),
    "mse_loss_none": (lambda m, F, a, b: F.mse_loss(a, b, reduction="none"), [rn(3, 4), rn(3, 4)]),
    "l1_loss_sum": (lambda m, F, a, b: F.l1_loss(a, b, reduction="sum"), [rn(3, 4), rn(3, 4)]),
    "smooth_l1_loss": (lambda m, F, a, b: F.smooth_l1_loss(a, b, beta=0.5), [rn(3, 4), rn(3, 4)]),
    "huber_loss": (lambda m, F, a, b: F.huber_loss(a, b, reduction="none", delta=0.7), [rn(3, 4), rn(3, 4)]),
    "nll_loss": (lambda m, F, a, t, w: F.nll_loss(F.log_softmax(a, 1), t, w, ignore_index=2),
                 [rn(6, 4), rint(0, 4, 6), np.abs(rn(4))], [True, False, False]),
    "nll_loss_2d": (lambda m, F, a, t: F.nll_loss(a, t, reduction="sum"), [rn(2, 3, 4, 2), rint(0, 3, 2, 4, 2)]),
    "cross_entropy": (lambda m, F, a, t: F.cross_entropy(a, t), [rn(5, 4), rint(0, 4, 5)]),
    "cross_entropy_opts": (lambda m, F, a, t, w: F.cross_entropy(a, t, w, ignore_index=1, label_smoothing=0.2),
                           [rn(5, 4, 3), rint(0, 4, 5, 3), np.abs(rn(4))], [True, False, False]),
    "cross_entropy_probs": (lambda m, F, a, t: F.cross_entropy(a, t.softmax(1), label_smoothing=0.1),
                            [rn(5, 4), rn(5, 4)]),
    "binary_cross_entropy": (lambda m, F, a, t, w: F.binary_cross_entropy(a.sigmoid(), t, w),
                             [rn(3, 4), R.uniform(0, 1, (3, 4)).astype(np.float32), rn(3, 4)], [True, False, False]),
    "bce_with_logits": (lambda m, F, a, t, pw: F.binary_cross_entropy_with_logits(a, t, pos_weight=pw,
                                                                                 reduction="sum"),
                        [rn(3, 4), R.uniform(0, 1, (3, 4)).astype(np.float32), np.abs(rn(4))], [True, False, False]),
    "kl_div_batchmean": (lambda m, F, a, t: F.kl_div(a.log_softmax(1), t.softmax(1), reduction="batchmean"),
                         [rn(3, 4), rn(3, 4)]),
    "kl_div_log_target": (lambda m, F, a, t: F.kl_div(a, t, reduction="sum", log_target=True), [rn(3, 4), rn(3, 4)]),
    "poisson_nll_loss": (lambda m, F, a, t: F.poisson_nll_loss(a, t.abs() * 3, full=True),
                         [rn(3, 4), rn(3, 4)], [True, False]),
    "soft_margin_loss": (lambda m, F, a, t: F.soft_margin_loss(a, t.sign()), [rn(3, 4), rn(3, 4)], [True, False]),
    "margin_ranking_loss": (lambda m, F, a, b, t: F.margin_ranking_loss(a, b, t.sign(), margin=0.3),
                            [rn(6), rn(6), rn(6)], [True, True, False]),
    "hinge_embedding_loss": (lambda m, F, a, t: F.hinge_embedding_loss(a, t.sign()), [rn(6), rn(6)], [True, False]),
    "cosine_embedding_loss": (lambda m, F, a, b, t: F.cosine_embedding_loss(a, b, t.sign(), margin=0.2),
                              [rn(5, 3), rn(5, 3), rn(5)], [True, True, False]),
    "gaussian_nll_loss": (lambda m, F, a, t, v: F.gaussian_nll_loss(a, t, v.abs(), full=True),
                          [rn(4, 3), rn(4, 3), rn(4, 3)]),
    "multilabel_soft_margin_loss": (lambda m, F, a, t: F.multilabel_soft_margin_loss(a, (t > 0).float()),
                                    [rn(4, 3), rn(4, 3)], [True, False]),
    "multi_margin_loss": (lambda m, F, a, t, w: F.multi_margin_loss(a, t, p=2, margin=0.7, weight=w),
                          [rn(5, 4), rint(0, 4, 5), np.abs(rn(4))], [True, False, False]),
    "multi_margin_loss_1d": (lambda m, F, a, t: F.multi_margin_loss(a, t[0]), [rn(4), rint(0, 4, 1)], [True, False]),
    "triplet_margin_with_distance_loss": (
        lambda m, F, a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), swap=True),
        [rn(4, 3), rn(4, 3), rn(4, 3)]),
    "instance_norm": (lambda m, F, x, w, b: F.instance_norm(x, weight=w, bias=b), [rn(2, 3, 4, 5), rn(3), rn(3)]),
    "group_norm": (lambda m, F, x, w, b: F.group_norm(x, 3, w, b), [rn(2, 6, 4), rn(6), rn(6)]),
    "pixel_shuffle": (lambda m, F, x: F.pixel_shuffle(x, 3), [rn(2, 1, 9, 2, 3)]),
    "pixel_unshuffle": (lambda m, F, x: F.pixel_unshuffle(x, 2), [rn(3, 4, 2)]),
    "hardshrink": (lambda m, F, x: F.hardshrink(x), [rn(4, 5)]),
    "interp_nearest_scale": (lambda m, F, x: F.interpolate(x, scale_factor=1.7), [rn(1, 2, 5, 7)]),
    "interp_nearest_size": (lambda m, F, x: F.interpolate(x, size=(3, 11)), [rn(1, 2, 5, 7)]),
    "interp_nearest_exact": (lambda m, F, x: F.interpolate(x, scale_factor=(0.5, 3), mode="nearest-exact"),
                             [rn(1, 2, 5, 7)]),
    "interp_bilinear": (lambda m, F, x: F.interpolate(x, size=(13, 4), mode="bilinear"), [rn(1, 2, 6, 7)]),
    "interp_bilinear_ac": (lambda m, F, x: F.interpolate(x, scale_factor=2.3, mode="bilinear", align_corners=True),
                           [rn(1, 2, 6, 7)]),
    "interp_linear": (lambda m, F, x: F.interpolate(x, scale_factor=1.5, mode="linear"), [rn(2, 3, 9)]),
    "interp_area": (lambda m, F, x: F.interpolate(x, scale_factor=0.5, mode="area"), [rn(1, 2, 6, 7)]),
    "conv_transpose2d": (lambda m, F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         [rn(2, 4, 3, 5), rn(4, 3, 3, 2), rn(3)]),
    "conv_transpose2d_groups_dil": (lambda m, F, x, w: F.conv_transpose2d(x, w, None, (1, 2), (2, 0), (1, 1), 2,
                                                                          (2, 3)),
                                    [rn(1, 4, 5, 4), rn(4, 3, 3, 2)]),
    "conv_transpose2d_unbatched": (lambda m, F, x, w: F.conv_transpose2d(x, w, padding=1), [rn(2, 4, 4), rn(2, 3, 3, 3)]),
    "conv_transpose1d": (lambda m, F, x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2, 1, 1), [rn(2, 3, 6), rn(3, 2, 4), rn(2)]),
    "unfold": (lambda m, F, x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), [rn(2, 3, 6, 7)]),
    "unfold_unbatched": (lambda m, F, x: F.unfold(x, 2), [rn(2, 4, 3)]),
    "fold": (lambda m, F, x: F.fold(x, (5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
             [rn(2, 24, 15)]),
    "fold_unbatched": (lambda m, F, x: F.fold(x, 4, 2, stride=2), [rn(12, 4)]),
    "adaptive_max_pool2d_idx": (lambda m, F, x: F.adaptive_max_pool2d(x, (4, 3), True), [rn(2, 3, 9, 7)]),
    "adaptive_max_pool2d_1": (lambda m, F, x: F.adaptive_max_pool2d(x, 1, True), [rn(2, 3, 5, 7)]),
    "adaptive_max_pool1d": (lambda m, F, x: F.adaptive_max_pool1d(x, 4, True), [rn(2, 3, 9)]),
    "softshrink": (lambda m, F, x: F.softshrink(x, 0.3), [rn(4, 5)]),
    "triplet_margin_loss": (lambda m, F, a, p, n: F.triplet_margin_loss(a, p, n, swap=True),
                            [rn(4, 3), rn(4, 3), rn(4, 3)]),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    fn, inputs, *g = FUNCTIONAL[name]
    run_both(fn, inputs, g[0] if g else None)


def test_functional_float64_and_noncontiguous():
    x = rn(4, 6, dtype=np.float64)
    run_both(lambda m, F, x, w: F.linear(x.t(), w), [x, rn(3, 4, dtype=np.float64)], rtol=1e-10, atol=1e-12)
    run_both(lambda m, F, x: F.softmax(x[:, ::2], 0), [x], rtol=1e-10, atol=1e-12)
    run_both(lambda m, F, x: F.conv2d(x.transpose(2, 3), x[:2, :1, :3, :2].contiguous()), [rn(1, 1, 6, 5)])


def test_one_hot():
    t = np.array([[0, 3], [1, 1]])
    for nc in (-1, 5):
        close(CF.one_hot(ctorch.from_numpy(t), nc), TF.one_hot(torch.from_numpy(t), nc))
    with pytest.raises(RuntimeError, match="index tensor"):
        CF.one_hot(ctorch.zeros(2), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        CF.one_hot(ctorch.tensor([-1, 0]))


def test_dropout_stream_and_inplace():
    x = rn(50, 40)
    for inplace in (False, True):
        outs = []
        for lib in ("c", "t"):
            mod, _, F = LIBS[lib]
            mod.manual_seed(3)
            t = mk(lib, x)
            outs.append(F.dropout(t, 0.3, True, inplace))
            if inplace:
                assert outs[-1] is t
        close(outs[0], outs[1])
    c = mk("c", x)
    assert CF.dropout(c, 0.5, training=False) is not None
    close(CF.dropout(c, 0.5, training=False), c)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        CF.dropout(c, 1.5)


def test_functional_errors_like_torch():
    a, t = ctorch.randn(3, 4), ctorch.randn(3, 4)
    with pytest.raises(ValueError, match="bogus is not a valid value for reduction"):
        CF.mse_loss(a, t, reduction="bogus")
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same as input size"):
        CF.binary_cross_entropy_with_logits(a, t[:, 0])
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        CF.batch_norm(ctorch.randn(1, 3), None, None, training=True)
    with pytest.raises(TypeError):
        CF.linear(a, "w")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = CF.mse_loss(a, t, size_average=False)
        assert any("deprecated" in str(x.message) for x in w)
    close(r, TF.mse_loss(torch.from_numpy(a.numpy()), torch.from_numpy(t.numpy()), reduction="sum"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        CF.mse_loss(a, t[0])
        assert any("different to the input size" in str(x.message) for x in w)


# ---------------------------------------------------------------- layers: init with the same seed, forward, backward
LAYERS = {
    "Linear": (lambda nn: nn.Linear(5, 3), (4, 5)),
    "Linear_nobias": (lambda nn: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    "Bilinear": (lambda nn: nn.Bilinear(3, 4, 2), None),
    "Conv1d": (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    "Conv2d": (lambda nn: nn.Conv2d(2, 4, (3, 2), padding="same", dilation=(1, 2), bias=False), (2, 2, 6, 7)),
    "Conv2d_groups": (lambda nn: nn.Conv2d(4, 6, 3, stride=2, groups=2), (1, 4, 7, 7)),
    # forward only: the engine has no derivative of reflect/circular pad yet
    "Conv2d_reflect": (lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 5, 5), False),
    "Conv2d_circular": (lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (1, 2, 5, 6),
                        False),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(3, 2), (2, 3, 9)),
    "MaxPool2d": (lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 8)),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(3), (2, 3, 9)),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(2, count_include_pad=False, padding=1), (2, 3, 5, 5)),
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    "BatchNorm1d": (lambda nn: nn.BatchNorm1d(3), (4, 3)),
    "BatchNorm1d_3d": (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    "BatchNorm2d_nostats": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4)),
    "LayerNorm": (lambda nn: nn.LayerNorm([3, 4]), (2, 3, 4)),
    "LayerNorm_noaffine": (lambda nn: nn.LayerNorm(4, elementwise_affine=False), (2, 3, 4)),
    "Dropout": (lambda nn: nn.Dropout(0.4), (10, 20)),
    "Identity": (lambda nn: nn.Identity(3, x=1), (2, 3)),
    "Flatten": (lambda nn: nn.Flatten(), (2, 3, 4)),
    "Unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
    "ReLU": (lambda nn: nn.ReLU(), (3, 4)),
    "ReLU6": (lambda nn: nn.ReLU6(), (3, 4)),
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.1), (3, 4)),
    "ELU": (lambda nn: nn.ELU(0.5), (3, 4)),
    "SELU": (lambda nn: nn.SELU(), (3, 4)),
    "CELU": (lambda nn: nn.CELU(), (3, 4)),
    "GELU": (lambda nn: nn.GELU("tanh"), (3, 4)),
    "SiLU": (lambda nn: nn.SiLU(), (3, 4)),
    "Mish": (lambda nn: nn.Mish(), (3, 4)),
    "Tanh": (lambda nn: nn.Tanh(), (3, 4)),
    "Sigmoid": (lambda nn: nn.Sigmoid(), (3, 4)),
    "Softplus": (lambda nn: nn.Softplus(2.0, 1.0), (3, 4)),
    "Hardtanh": (lambda nn: nn.Hardtanh(-0.3, 0.5), (3, 4)),
    "Hardsigmoid": (lambda nn: nn.Hardsigmoid(), (3, 4)),
    "Hardswish": (lambda nn: nn.Hardswish(), (3, 4)),
    "LogSigmoid": (lambda nn: nn.LogSigmoid(), (3, 4)),
    "Softsign": (lambda nn: nn.Softsign(), (3, 4)),
    "Tanhshrink": (lambda nn: nn.Tanhshrink(), (3, 4)),
    "Threshold": (lambda nn: nn.Threshold(0.2, 5.0), (3, 4)),
    "GLU": (lambda nn: nn.GLU(), (3, 4)),
    "PReLU": (lambda nn: nn.PReLU(3, 0.1), (2, 3, 4)),
    "Softmax": (lambda nn: nn.Softmax(dim=1), (3, 4)),
    "Softmin": (lambda nn: nn.Softmin(dim=0), (3, 4)),
    "LogSoftmax": (lambda nn: nn.LogSoftmax(1), (3, 4)),
    "Embedding": (lambda nn: nn.Embedding(6, 3, padding_idx=-2), None),
    "InstanceNorm1d": (lambda nn: nn.InstanceNorm1d(3, affine=True), (2, 3, 5)),
    "InstanceNorm1d_unbatched": (lambda nn: nn.InstanceNorm1d(3), (3, 5)),
    "InstanceNorm2d_stats": (lambda nn: nn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3), (2, 3, 4, 4)),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4, eps=1e-3), (3, 4, 2, 3)),
    "GroupNorm_noaffine": (lambda nn: nn.GroupNorm(1, 3, affine=False), (2, 3, 5)),
    "AlphaDropout": (lambda nn: nn.AlphaDropout(0.3), (6, 5)),
    "FeatureAlphaDropout": (lambda nn: nn.FeatureAlphaDropout(0.3), (4, 5, 3)),
    "Dropout2d": (lambda nn: nn.Dropout2d(0.3), (4, 5, 3, 3)),
    "Hardshrink": (lambda nn: nn.Hardshrink(0.3), (3, 4)),
    "Softshrink": (lambda nn: nn.Softshrink(), (3, 4)),
    "Softmax2d": (lambda nn: nn.Softmax2d(), (2, 3, 4, 4)),
    "ConstantPad1d": (lambda nn: nn.ConstantPad1d((1, 2), 0.5), (2, 3, 4)),
    "ConstantPad2d": (lambda nn: nn.ConstantPad2d(1, -1.0), (2, 3, 4)),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), (1, 2, 3, 4)),
    "ReflectionPad1d": (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4), False),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)), (1, 2, 3, 4), False),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d(1), (1, 2, 3, 4), False),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), (1, 2, 4, 6)),
    "ChannelShuffle": (lambda nn: nn.ChannelShuffle(2), (2, 4, 3, 3), False),
    "Unfold": (lambda nn: nn.Unfold(3, padding=1), (2, 2, 4, 5)),
    "Upsample": (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 4)),
    "Upsample_size": (lambda nn: nn.Upsample(size=7), (2, 3, 4)),
    "UpsamplingNearest2d": (lambda nn: nn.UpsamplingNearest2d(scale_factor=3), (1, 2, 3, 2)),
    "UpsamplingBilinear2d": (lambda nn: nn.UpsamplingBilinear2d((5, 3)), (1, 2, 3, 2)),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                        (2, 4, 3, 4)),
    "ConvTranspose2d_nobias": (lambda nn: nn.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False), (1, 2, 4, 4)),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2), (2, 3, 5)),
    "Fold": (lambda nn: nn.Fold((4, 5), 3, padding=1), (2, 18, 20)),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((3, 2), return_indices=True), (2, 3, 7, 5)),
    "AdaptiveMaxPool2d_even": (lambda nn: nn.AdaptiveMaxPool2d((None, 2)), (2, 3, 6, 4)),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8)),
    "LPPool2d": (lambda nn: nn.LPPool2d(2, 2), (2, 3, 5, 4)),
    "LPPool1d": (lambda nn: nn.LPPool1d(2, 3, 1), (2, 3, 6)),
    "LocalResponseNorm": (lambda nn: nn.LocalResponseNorm(3), (2, 5, 3, 2)),
    "LocalResponseNorm_3d": (lambda nn: nn.LocalResponseNorm(2, 0.1, 0.5, 2.0), (2, 5, 4)),
}


def _fwd_layer(lib, name, train=True):
    mod, nn_, F = LIBS[lib]
    mod.manual_seed(11)
    layer = LAYERS[name][0](nn_)
    layer.train(train)
    shape = LAYERS[name][1]
    rng = np.random.default_rng(5)
    if name == "Bilinear":
        xs = [mk(lib, rng.standard_normal((4, 3)).astype(np.float32), True),
              mk(lib, rng.standard_normal((4, 4)).astype(np.float32), True)]
    elif name == "Embedding":
        xs = [mk(lib, np.array([[0, 4, 1], [5, 4, 2]]))]
    else:
        backward = len(LAYERS[name]) < 3
        xs = [mk(lib, rng.standard_normal(shape).astype(np.float32), backward)]
    mod.manual_seed(12)
    out = layer(*xs)
    if isinstance(out, tuple):
        out = out[0]
    w = mk(lib, rng.standard_normal(tuple(out.shape)).astype(np.float32))
    if len(LAYERS[name]) < 3:
        (out * w).sum().backward()
    return layer, xs, out


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name):
    for train in (True, False):
        cl, cx, co = _fwd_layer("c", name, train)
        tl, tx, to = _fwd_layer("t", name, train)
        csd, tsd = cl.state_dict(), tl.state_dict()
        assert list(csd) == list(tsd)
        for k in tsd:
            close(csd[k], tsd[k])  # same default init (and same running statistics)
        close(co, to)
        for a, b in zip(cx, tx):
            assert (a.grad is None) == (b.grad is None)
            if a.grad is not None:
                close(a.grad, b.grad, 1e-4, 1e-5)
        cp, tp = dict(cl.named_parameters()), dict(tl.named_parameters())
        assert list(cp) == list(tp)
        for k in tp:
            assert (cp[k].grad is None) == (tp[k].grad is None)
            if tp[k].grad is not None:
                close(cp[k].grad, tp[k].grad, 1e-4, 1e-5)
        assert repr(cl) == repr(tl)


LOSSES = {
    "L1Loss": (lambda nn: nn.L1Loss(), False),
    "MSELoss": (lambda nn: nn.MSELoss(reduction="sum"), False),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(beta=0.5), False),
    "HuberLoss": (lambda nn: nn.HuberLoss(delta=0.5), False),
    "NLLLoss": (lambda nn: nn.NLLLoss(ignore_index=0), True),
    "CrossEntropyLoss": (lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), True),
    "BCELoss": (lambda nn: nn.BCELoss(), "prob"),
    "BCEWithLogitsLoss": (lambda nn: nn.BCEWithLogitsLoss(reduction="none"), "prob"),
    "KLDivLoss": (lambda nn: nn.KLDivLoss(reduction="batchmean"), False),
    "PoissonNLLLoss": (lambda nn: nn.PoissonNLLLoss(), "prob"),
    "SoftMarginLoss": (lambda nn: nn.SoftMarginLoss(), False),
    "HingeEmbeddingLoss": (lambda nn: nn.HingeEmbeddingLoss(), "sign"),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(), "prob"),
    "MultiMarginLoss": (lambda nn: nn.MultiMarginLoss(margin=0.5), True),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_module_matches_torch(name):
    make, kind = LOSSES[name]
    x = rn(4, 3)
    if kind is True:
        tgt = rint(0, 3, 4)
    elif kind == "prob":
        tgt = R.uniform(0, 1, (4, 3)).astype(np.float32)
    elif kind == "sign":
        tgt = np.sign(rn(4, 3))
    else:
        tgt = rn(4, 3)

    def fn(m, F, x, t):
        nn_ = cnn if m is ctorch else tnn
        inp = x.sigmoid() if name == "BCELoss" else (x.log_softmax(1) if name in ("NLLLoss", "KLDivLoss") else x)
        if name == "KLDivLoss":
            t = t.softmax(1)
        return make(nn_)(inp, t)

    run_both(fn, [x, tgt], [True, False])
    assert repr(make(cnn)) == repr(make(tnn))


def test_loss_modules_with_weights_and_three_inputs():
    w = np.abs(rn(3))
    run_both(lambda m, F, x, t, w: (cnn if m is ctorch else tnn).CrossEntropyLoss(w, reduction="sum")(x, t),
             [rn(5, 3), rint(0, 3, 5), w], [True, False, False])
    run_both(lambda m, F, a, b, t: (cnn if m is ctorch else tnn).MarginRankingLoss(0.1)(a, b, t.sign()),
             [rn(5), rn(5), rn(5)], [True, True, False])
    run_both(lambda m, F, a, b, t: (cnn if m is ctorch else tnn).CosineEmbeddingLoss()(a, b, t.sign()),
             [rn(5, 3), rn(5, 3), rn(5)], [True, True, False])
    run_both(lambda m, F, a, p, n: (cnn if m is ctorch else tnn).TripletMarginLoss(p=1.0)(a, p, n),
             [rn(5, 3), rn(5, 3), rn(5, 3)])
    run_both(lambda m, F, a, t, v: (cnn if m is ctorch else tnn).GaussianNLLLoss()(a, t, v.abs()),
             [rn(5, 3), rn(5, 3), rn(5, 3)])
    run_both(lambda m, F, a, b: (cnn if m is ctorch else tnn).CosineSimilarity(0)(a, b), [rn(5, 3), rn(5, 3)])
    run_both(lambda m, F, a, b: (cnn if m is ctorch else tnn).PairwiseDistance(1.0, keepdim=True)(a, b),
             [rn(5, 3), rn(5, 3)])
    run_both(lambda m, F, a, p, n: (cnn if m is ctorch else tnn).TripletMarginWithDistanceLoss(margin=2.0)(a, p, n),
             [rn(5, 3), rn(5, 3), rn(5, 3)])
    c = cnn.BCEWithLogitsLoss(pos_weight=ctorch.ones(3))
    assert list(dict(c.named_buffers())) == ["pos_weight"]


# ---------------------------------------------------------------- models: state_dict, load, repr, training
class CNet:
    @staticmethod
    def build(nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                    nn.Conv2d(4, 6, 3), nn.ReLU(), nn.AdaptiveAvgPool2d((2, 2)))
                self.head = nn.ModuleDict({"fc": nn.Linear(24, 16), "act": nn.GELU(), "out": nn.Linear(16, 5)})
                self.extra = nn.ModuleList([nn.LayerNorm(16), nn.Dropout(0.0)])
                self.scale = nn.Parameter(nn.init.ones_(torch.empty(1)) if nn is tnn else ctorch.ones(1))
                self.register_buffer("offset", (torch if nn is tnn else ctorch).zeros(5))
                self.register_buffer("scratch", (torch if nn is tnn else ctorch).zeros(2), persistent=False)

            def forward(self, x):
                x = self.features(x).flatten(1)
                x = self.extra[0](self.head["act"](self.head["fc"](x)))
                return self.head["out"](self.extra[1](x)) * self.scale + self.offset

        return Net()


def test_nested_model_repr_state_dict_and_named_members_equal_torch():
    ctorch.manual_seed(0)
    torch.manual_seed(0)
    cm, tm = CNet.build(cnn), CNet.build(tnn)
    assert repr(cm) == repr(tm)
    csd, tsd = cm.state_dict(), tm.state_dict()
    assert list(csd) == list(tsd)
    assert [tuple(v.shape) for v in csd.values()] == [tuple(v.shape) for v in tsd.values()]
    for k in tsd:
        close(csd[k], tsd[k])
    assert list(csd._metadata) == list(tsd._metadata)
    assert [n for n, _ in cm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in cm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in cm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in cm.named_children()] == [n for n, _ in tm.named_children()]
    assert [n for n, _ in cm.features.named_parameters(prefix="f", recurse=False)] == []
    assert [n for n, _ in cm.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(cm.modules())) == len(list(tm.modules()))
    assert len(list(cm.parameters())) == len(list(tm.parameters()))
    assert all(isinstance(p, cnn.Parameter) for p in cm.parameters())
    sd = cm.state_dict(prefix="p.", keep_vars=True)
    assert list(sd)[0] == "p.scale" and sd["p.scale"] is cm.scale
    assert cm.state_dict()["scale"].requires_grad is False


def test_load_state_dict_from_torch_gives_same_outputs():
    torch.manual_seed(1)
    tm = CNet.build(tnn)
    x = rn(3, 1, 8, 8)
    # a few training steps so that running stats differ from their defaults
    for _ in range(2):
        tm(torch.from_numpy(x))
    tm.eval()
    ctorch.manual_seed(5)
    cm = CNet.build(cnn).eval()
    r = cm.load_state_dict({k: ctorch.from_numpy(v.numpy().copy()) for k, v in tm.state_dict().items()})
    assert r.missing_keys == [] and r.unexpected_keys == [] and repr(r) == "<All keys matched successfully>"
    close(cm(ctorch.from_numpy(x)), tm(torch.from_numpy(x)), 1e-5, 1e-5)
    close(cm.features[1].num_batches_tracked, tm.features[1].num_batches_tracked)
    # a PyTorch state_dict (and NumPy arrays) load directly, by value
    cm2 = CNet.build(cnn).eval()
    assert repr(cm2.load_state_dict(tm.state_dict())) == "<All keys matched successfully>"
    close(cm2(ctorch.from_numpy(x)), tm(torch.from_numpy(x)), 1e-5, 1e-5)
    cm2.load_state_dict({k: v.numpy() * 0 for k, v in tm.state_dict().items()})
    assert float(cm2.head["fc"].weight.abs().sum()) == 0.0


def test_load_state_dict_errors_like_torch():
    msgs = []
    for nn_, mod in ((cnn, ctorch), (tnn, torch)):
        m = nn_.Sequential(nn_.Linear(2, 3), nn_.BatchNorm1d(3))
        sd = m.state_dict()
        del sd["0.bias"]
        sd["1.extra"] = mod.zeros(1)
        sd["0.weight"] = mod.zeros(3, 3)
        with pytest.raises(RuntimeError) as e:
            m.load_state_dict(sd)
        msgs.append(str(e.value))
        res = m.load_state_dict({"0.weight": mod.zeros(3, 2), "bogus": mod.zeros(1)}, strict=False)
        msgs.append(repr(res))
        with pytest.raises(TypeError) as e:
            m.load_state_dict([1])
        msgs.append(str(e.value))
    assert msgs[:3] == msgs[3:]
    assert "Missing key(s)" in msgs[0] and "size mismatch for 0.weight" in msgs[0]


def test_module_registration_and_errors_like_torch():
    def probe(nn_, mod):
        out = []
        m = nn_.Module()
        for f in (lambda: m.register_buffer("a.b", None), lambda: m.register_buffer("", None),
                  lambda: m.register_buffer(1, None), lambda: m.register_buffer("x", 3),
                  lambda: m.register_parameter("p", mod.zeros(2)), lambda: m.add_module("q", 3),
                  lambda: m.add_module("a.b", nn_.ReLU()), lambda: m.forward(1),
                  lambda: m.get_submodule("nope"), lambda: nn_.Linear(2, 2).get_parameter("nope"),
                  lambda: nn_.Module.register_parameter(object.__new__(nn_.Module), "p", None),
                  lambda: nn_.Module().zzz, lambda: setattr(nn_.Linear(2, 2), "weight", mod.zeros(2)),
                  lambda: m.register_parameter("p2", nn_.Parameter(mod.zeros(2, requires_grad=True)) * 2)):
            try:
                f()
                out.append("ok")
            except Exception as e:
                out.append((type(e).__name__, str(e)))
        m.w = nn_.Parameter(mod.zeros(2))
        m.register_buffer("b", mod.ones(1))
        m.sub = nn_.Linear(1, 1)
        m.w = None
        out.append((list(m._parameters), list(m._buffers), list(m._modules)))
        del m.b, m.sub
        m.sub = None
        out.append((list(m._parameters), list(m._buffers), list(m._modules), "w" in dir(m)))
        lin = nn_.Linear(3, 2)
        out.append(lin.get_submodule("") is lin)
        seq = nn_.Sequential(nn_.Linear(1, 1), lin)
        out.append(seq.get_parameter("1.bias") is lin.bias)
        return out

    assert probe(cnn, ctorch) == probe(tnn, torch)


def test_parameter():
    p = cnn.Parameter(ctorch.ones(2, 2))
    tp = tnn.Parameter(torch.ones(2, 2))
    assert isinstance(p, ctorch.Tensor) and isinstance(p, cnn.Parameter) and p.requires_grad and p.is_leaf
    assert repr(p) == repr(tp)
    assert repr(cnn.Parameter(ctorch.zeros(2), requires_grad=False)) == \
        repr(tnn.Parameter(torch.zeros(2), requires_grad=False))
    y = p * 3
    assert type(y) is ctorch.Tensor and y.grad_fn is not None
    with ctorch.no_grad():
        assert p.add_(1) is p
    import copy
    import pickle
    q = copy.deepcopy(p)
    assert isinstance(q, cnn.Parameter) and q is not p and q.requires_grad
    close(q, p)
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, cnn.Parameter)
    close(r, p)
    assert cnn.Parameter().shape == (0,)


def test_containers_like_torch():
    def probe(nn_, mod):
        mod.manual_seed(0)
        s = nn_.Sequential(nn_.Linear(2, 3), nn_.ReLU(), nn_.Linear(3, 1))
        out = [len(s), repr(s[1:]), repr(s[-1]), repr(s[::2])]
        s.append(nn_.Tanh())
        s.insert(1, nn_.Identity())
        del s[0]
        out += [repr(s), len(s)]
        out.append(repr(s + nn_.Sequential(nn_.Sigmoid())))
        from collections import OrderedDict
        out.append(repr(nn_.Sequential(OrderedDict([("a", nn_.ReLU()), ("b", nn_.Tanh())]))))
        ml = nn_.ModuleList([nn_.ReLU(), nn_.Tanh()])
        ml.append(nn_.Sigmoid())
        ml.extend([nn_.ReLU()])
        ml.insert(0, nn_.Identity())
        ml[1] = nn_.GELU()
        out += [repr(ml), len(ml), repr(ml[1:3]), repr(ml[-1])]
        md = nn_.ModuleDict({"b": nn_.ReLU(), "a": nn_.Tanh()})
        md["c"] = nn_.Linear(1, 1)
        md.update([("d", nn_.Sigmoid())])
        out += [repr(md), list(md.keys()), "c" in md, len(md), repr(md.pop("a"))]
        pl = nn_.ParameterList([nn_.Parameter(mod.zeros(2, 3)), mod.zeros(1)])
        pl.append(nn_.Parameter(mod.zeros(4, dtype=mod.float64)))
        out += [repr(pl), len(pl), [n for n, _ in pl.named_parameters()], isinstance(pl[1], nn_.Parameter)]
        pd = nn_.ParameterDict({"x": nn_.Parameter(mod.zeros(3)), "a": mod.ones(2, 2)})
        pd["z"] = nn_.Parameter(mod.zeros(1))
        out += [repr(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()], len(pd), "x" in pd]
        try:
            s[10]
        except IndexError as e:
            out.append(str(e))
        return out

    assert probe(cnn, ctorch) == probe(tnn, torch)


def test_module_conversion_modes_and_grads():
    m = cnn.Sequential(cnn.Linear(3, 2), cnn.BatchNorm1d(2))
    w = m[0].weight
    m.double()
    assert m[0].weight is w and w.dtype == ctorch.float64 and isinstance(w, cnn.Parameter)
    assert m[1].running_mean.dtype == ctorch.float64 and m[1].num_batches_tracked.dtype == ctorch.int64
    m.to(ctorch.float32)
    assert w.dtype == ctorch.float32
    m.to("cpu").float().cpu()
    with pytest.raises(TypeError, match="floating point"):
        m.to(ctorch.int32)
    with pytest.raises(AssertionError):
        m.cuda()
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    m.train()
    m(ctorch.randn(4, 3)).sum().backward()
    assert w.grad is not None
    m.zero_grad()
    assert float(w.grad.abs().sum()) == 0.0
    m.zero_grad(set_to_none=True)
    assert w.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Sequential"]


def test_forward_hooks_and_full_backward_hook():
    res = {}
    for lib in ("c", "t"):
        mod, nn_, F = LIBS[lib]
        mod.manual_seed(0)
        lin = nn_.Linear(3, 2)
        calls = []
        h1 = lin.register_forward_pre_hook(lambda m, inp: (inp[0] * 2,))
        h2 = lin.register_forward_hook(lambda m, inp, out: out + 1)
        gi = []
        lin.register_full_backward_hook(lambda m, g_in, g_out: gi.append((g_in[0].clone(), g_out[0].clone())))
        x = mk(lib, np.arange(6, dtype=np.float32).reshape(2, 3), True)
        y = lin(x)
        (y * y).sum().backward()
        calls.append(arr(y))
        h1.remove()
        h2.remove()
        calls.append(arr(lin(x)))
        res[lib] = (calls, [arr(a) for a in gi[0]], arr(x.grad), len(gi))
    for a, b in zip(res["c"][0] + res["c"][1], res["t"][0] + res["t"][1]):
        close(a, b)
    close(res["c"][2], res["t"][2])
    assert res["c"][3] == res["t"][3] == 1


# ---------------------------------------------------------------- init and utils
INITS = {
    "uniform_": lambda I, t: I.uniform_(t, -0.3, 0.7),
    "normal_": lambda I, t: I.normal_(t, 0.5, 2.0),
    "constant_": lambda I, t: I.constant_(t, 0.25),
    "ones_": lambda I, t: I.ones_(t),
    "zeros_": lambda I, t: I.zeros_(t),
    "eye_": lambda I, t: I.eye_(t[0]),
    "dirac_": lambda I, t: I.dirac_(t, 2),
    "xavier_uniform_": lambda I, t: I.xavier_uniform_(t, gain=I.calculate_gain("relu")),
    "xavier_normal_": lambda I, t: I.xavier_normal_(t),
    "kaiming_uniform_": lambda I, t: I.kaiming_uniform_(t, a=0.1, mode="fan_out"),
    "kaiming_normal_": lambda I, t: I.kaiming_normal_(t, nonlinearity="relu"),
    "trunc_normal_": lambda I, t: I.trunc_normal_(t, 0.1, 0.8, -1.0, 1.5),
    "orthogonal_": lambda I, t: I.orthogonal_(t, gain=2.0),
    "orthogonal_wide": lambda I, t: I.orthogonal_(t[0].t()),
    "sparse_": lambda I, t: I.sparse_(t[0], 0.5),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_init_matches_torch_with_same_seed(name):
    outs = []
    for mod, I in ((ctorch, cnn.init), (torch, tnn.init)):
        mod.manual_seed(42)
        t = mod.empty(4, 6, 3, 3)
        if name in ("eye_", "sparse_", "orthogonal_wide"):
            t = mod.empty(1, 5, 7)
        elif name == "dirac_":
            t = mod.empty(6, 4, 3, 3)
        r = INITS[name](I, t)
        assert r is not None
        outs.append(t)
    tol = 1e-4 if name in ("orthogonal_", "orthogonal_wide") else 1e-6
    close(outs[0], outs[1], tol, tol)


def test_init_helpers_and_errors():
    for args in (("linear",), ("tanh",), ("relu",), ("leaky_relu", 0.3), ("selu",), ("conv2d",)):
        assert cnn.init.calculate_gain(*args) == tnn.init.calculate_gain(*args)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        cnn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        cnn.init.xavier_uniform_(ctorch.empty(3))
    with pytest.raises(ValueError, match="Mode fan_x not supported"):
        cnn.init.kaiming_uniform_(ctorch.empty(3, 3), mode="fan_x")
    w = cnn.Parameter(ctorch.empty(3, 3))
    cnn.init.normal_(w)  # no "leaf variable used in an in-place operation" error
    assert cnn.init._calculate_fan_in_and_fan_out(ctorch.empty(5, 4, 3, 2)) == (24, 30)


def test_clip_grad_and_vector_conversion():
    res = []
    for mod, nn_ in ((ctorch, cnn), (torch, tnn)):
        mod.manual_seed(0)
        m = nn_.Sequential(nn_.Linear(4, 3), nn_.Linear(3, 2))
        m(mod.ones(5, 4) * 3).pow(2).sum().backward()
        n1 = nn_.utils.clip_grad_norm_(m.parameters(), 1.5)
        g1 = [p.grad.clone() for p in m.parameters()]
        n2 = nn_.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type=math.inf)
        nn_.utils.clip_grad_value_(m.parameters(), 0.01)
        g2 = [p.grad.clone() for p in m.parameters()]
        v = nn_.utils.parameters_to_vector(m.parameters())
        nn_.utils.vector_to_parameters(v * 2, m.parameters())
        res.append([n1, n2, v, m[1].weight] + g1 + g2)
    for a, b in zip(*res):
        close(a, b, 1e-5, 1e-6)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        cnn.utils.vector_to_parameters([1], [])
    with pytest.raises(RuntimeError, match="non-finite"):
        p = cnn.Parameter(ctorch.ones(2))
        p.grad = ctorch.tensor([math.inf, 1.0])
        cnn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert float(cnn.utils.clip_grad_norm_([], 1.0)) == 0.0


def _train(mod, nn_, F, steps=4):
    mod.manual_seed(0)
    model = nn_.Sequential(
        nn_.Conv2d(1, 3, 3, padding=1), nn_.BatchNorm2d(3), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Flatten(),
        nn_.Linear(3 * 4 * 4, 8), nn_.Tanh(), nn_.Dropout(0.25), nn_.Linear(8, 4))
    rng = np.random.default_rng(1)
    x = mod.from_numpy(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
    y = mod.from_numpy(rng.integers(0, 4, 6).astype(np.int64))
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with mod.no_grad():
            for p in model.parameters():
                p.sub_(0.1 * p.grad)
        losses.append(loss)
    return losses, model


def test_training_loop_matches_torch():
    cl, cm = _train(ctorch, cnn, CF)
    tl, tm = _train(torch, tnn, TF)
    for a, b in zip(cl, tl):
        close(a, b, 1e-4, 1e-5)
    csd, tsd = cm.state_dict(), tm.state_dict()
    for k in tsd:
        close(csd[k], tsd[k], 1e-4, 1e-5)
    assert float(cl[-1]) < float(cl[0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_feature_dropout_streams_match_torch():
    x = rn(3, 4, 5, 5)
    cases = [lambda nn, F, t: nn.Dropout2d(0.4)(t), lambda nn, F, t: F.dropout1d(t[0, :, 0], 0.3),
             lambda nn, F, t: nn.Dropout1d(0.3)(t[:, :, 0]), lambda nn, F, t: F.dropout3d(t, 0.3),
             lambda nn, F, t: F.dropout2d(t[0], 0.3), lambda nn, F, t: nn.Dropout3d(0.2, inplace=True)(t.clone()),
             lambda nn, F, t: F.dropout2d(t, 1.0), lambda nn, F, t: F.dropout2d(t, 0.5, training=False),
             lambda nn, F, t: F.alpha_dropout(t, 0.2, True), lambda nn, F, t: F.feature_alpha_dropout(t, 0.4, True),
             lambda nn, F, t: F.gumbel_softmax(t, 0.5, dim=1), lambda nn, F, t: F.gumbel_softmax(t, hard=True) * t]
    for case in cases:
        outs = []
        for lib in ("c", "t"):
            mod, nn_, F = LIBS[lib]
            mod.manual_seed(0)
            t = mk(lib, x, True)
            o = case(nn_, F, t)
            o.sum().backward()
            outs += [o, t.grad]
        close(outs[0], outs[2])
        close(outs[1], outs[3])
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        CF.dropout1d(ctorch.zeros(2), 0.5)
    assert repr(cnn.Dropout2d(0.1, True)) == repr(tnn.Dropout2d(0.1, True))


TYPICAL_SCRIPT = r"""
nn = torch.nn
F = torch.nn.functional

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 10)
        self.plain = [nn.Linear(2, 2)]
    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)

def init_weights(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.Linear):
        m.weight.data.normal_(0, 0.02)
        m.bias.data.fill_(0.01)

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = Net().to(device)
model.apply(init_weights)
out_lines.append(repr_(sum(p.numel() for p in model.parameters() if p.requires_grad)))
x = torch.randn(8, 1, 8, 8)
y = torch.randint(0, 10, (8,))
model.train()
for step in range(3):
    model.zero_grad()
    out = model(x)
    loss = F.nll_loss(out, y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    out_lines.append(repr_(step, round(loss.item(), 5)))
model.eval()
with torch.no_grad():
    out = model(x)
    out_lines.append(repr_(out.argmax(1).tolist()))
sd = model.state_dict()
m2 = Net()
out_lines.append(repr_(m2.load_state_dict(sd)))
out_lines.append(repr_(bool((m2.eval()(x) - out).abs().max() < 1e-6)))
# backward hook with an input not requiring grad
lin = nn.Linear(3, 2)
seen = []
lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0] is None, tuple(go[0].shape))))
lin(torch.ones(4, 3)).sum().backward()
out_lines.append(repr_(seen))
# multiple inputs, one with grad; hook returns replacement
bil = nn.Bilinear(2, 3, 1)
a = torch.ones(4, 2, requires_grad=True); b = torch.ones(4, 3)
bil.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2, gi[1]))
bil(a, b).sum().backward()
out_lines.append(repr_(round(a.grad.sum().item(), 4)))
out_lines.append(repr_(model))

"""


def test_typical_training_script_runs_the_same():
    """An ordinary PyTorch script (custom Module, apply(init), .data
    initialisation, clip_grad_norm_, manual SGD, eval, state_dict round
    trip, full backward hooks, repr): the same printed lines."""
    outs = []
    for mod in (ctorch, torch):
        out_lines = []
        env = {"torch": mod, "out_lines": out_lines, "repr_": lambda *a: " ".join(map(str, a))}
        exec(TYPICAL_SCRIPT, env)
        outs.append(out_lines)
    assert outs[0] == outs[1]


ERROR_CASES = {
 "linear shape": lambda m: m.nn.functional.linear(m.zeros(3,5), m.zeros(4,4)),
 "conv channels": lambda m: m.nn.functional.conv2d(m.zeros(1,3,5,5), m.zeros(2,2,3,3)),
 "conv same stride": lambda m: m.nn.functional.conv2d(m.zeros(1,3,5,5), m.zeros(2,3,3,3), stride=2, padding="same"),
 "conv 2d input": lambda m: m.nn.functional.conv2d(m.zeros(5,5), m.zeros(2,3,3,3)),
 "ce target oob": lambda m: m.nn.functional.cross_entropy(m.zeros(3,4), m.tensor([0,5,1])),
 "nll float target": lambda m: m.nn.functional.nll_loss(m.zeros(3,4), m.zeros(3)),
 "pool too big": lambda m: m.nn.functional.max_pool2d(m.zeros(1,1,2,2), 3),
 "pool pad big": lambda m: m.nn.functional.max_pool2d(m.zeros(1,1,6,6), 2, padding=2),
 "bn channels": lambda m: m.nn.BatchNorm2d(3)(m.zeros(2,4,3,3)),
 "bn dims": lambda m: m.nn.BatchNorm2d(3)(m.zeros(2,3,3)),
 "ln shape": lambda m: m.nn.LayerNorm(4)(m.zeros(2,3)),
 "softmax dim": lambda m: m.nn.functional.softmax(m.zeros(2,3), 2),
 "linear int": lambda m: m.nn.Linear(3,2)(m.zeros(2,3,dtype=m.int64)),
 "mse shape": lambda m: m.nn.functional.mse_loss(m.zeros(2,3), m.zeros(4,3)),
 "bce range": lambda m: m.nn.functional.binary_cross_entropy(m.ones(2)*2, m.ones(2)),
 "seq bad": lambda m: m.nn.Sequential(1),
 "modlist idx": lambda m: m.nn.ModuleList()[0],
 "embedding oob": lambda m: m.nn.Embedding(3,2)(m.tensor([3])),
 "embedding float": lambda m: m.nn.Embedding(3,2)(m.tensor([1.0])),
 "adaptive bad": lambda m: m.nn.functional.adaptive_avg_pool2d(m.zeros(1,1,4,4), (1,2,3)),
 "call missing": lambda m: m.nn.Linear(2,2)(),
 "kl reduction": lambda m: m.nn.functional.kl_div(m.zeros(2), m.zeros(2), reduction="xx"),
 "dropout p": lambda m: m.nn.Dropout(2),
 "groupnorm div": lambda m: m.nn.GroupNorm(3, 4),
 "conv groups": lambda m: m.nn.Conv2d(3, 4, 3, groups=2),
 "conv pad str": lambda m: m.nn.Conv2d(3, 4, 3, padding="foo"),
 "pad mode": lambda m: m.nn.Conv2d(3, 4, 3, padding_mode="foo"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors_match_torch(name):
    """Same exception type; PyTorch's message is contained in ours (the
    engine prefixes some with the op's name)."""
    got = []
    for m in (ctorch, torch):
        with pytest.raises(Exception) as e:
            ERROR_CASES[name](m)
        got.append(e.value)
    assert type(got[0]) is type(got[1])
    import re
    unset = [re.sub(r"\{[^}]*\}", "{}", str(e)) for e in got]  # set reprs print in hash order
    assert unset[1] in unset[0]


def _transformer_run(m, train):
    nn_ = m.nn
    m.manual_seed(0)
    enc = nn_.TransformerEncoder(nn_.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True,
                                                             activation="gelu"), 2, nn_.LayerNorm(8))
    dec = nn_.TransformerDecoderLayer(8, 2, 12, norm_first=True)
    mha = nn_.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True)
    tr = nn_.Transformer(8, 2, 1, 1, 16)
    rng = np.random.default_rng(0)
    x = m.from_numpy(rng.standard_normal((3, 5, 8)).astype(np.float32)).requires_grad_()
    kpm = m.from_numpy(np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]]))
    for mod in (enc, dec, mha, tr):
        mod.train(train)
    m.manual_seed(1)
    y = enc(x, src_key_padding_mask=kpm)
    z = dec(x.transpose(0, 1)[:4], x.transpose(0, 1), tgt_mask=tr.generate_square_subsequent_mask(4))
    k = m.from_numpy(rng.standard_normal((6, 3, 5)).astype(np.float32))
    v = m.from_numpy(rng.standard_normal((6, 3, 3)).astype(np.float32))
    a, w = mha(x.transpose(0, 1)[:2], k, v, attn_mask=m.zeros(2, 6, dtype=m.bool))
    t = tr(x.transpose(0, 1), x.transpose(0, 1)[:3])
    (y.sum() + (z * z).sum() + a.sum() + w.sum() + t.sum()).backward()
    outs = [y, z, a, w, t, x.grad] + [p.grad for p in tr.parameters()]
    return outs, repr(enc) + repr(dec) + repr(mha) + repr(tr), [n for n, _ in tr.named_parameters()]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("train", [False, True])
def test_attention_and_transformer_match_torch(train):
    """Same init (xavier in PyTorch's order), same outputs, attention
    weights and gradients, with key padding / causal / bool masks, bias_kv,
    zero attention, kdim/vdim, batch_first, norm_first and (training) the
    same dropout streams."""
    c, crepr, cnames = _transformer_run(ctorch, train)
    t, trepr, tnames = _transformer_run(torch, train)
    assert crepr == trepr and cnames == tnames
    for a, b in zip(c, t):
        close(a, b, 1e-4, 1e-5)


def _weight_norm_and_fusion(m):
    nn_ = m.nn
    m.manual_seed(0)
    lin = nn_.utils.weight_norm(nn_.Linear(4, 3))
    conv = nn_.utils.weight_norm(nn_.Conv2d(2, 3, 3), dim=1)
    x = m.from_numpy(np.linspace(-1, 1, 100, dtype=np.float32).reshape(2, 2, 5, 5))
    y = conv(x).sum() + lin(x[:, 0, 0, :4]).pow(2).sum()
    y.backward()
    names = [n for n, _ in lin.named_parameters()]
    grads = [conv.weight_g.grad, conv.weight_v.grad, lin.weight_g.grad]
    nn_.utils.remove_weight_norm(lin)
    names += [n for n, _ in lin.named_parameters()]
    c2 = nn_.Conv2d(2, 3, 3).eval()
    bn = nn_.BatchNorm2d(3)
    with m.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2)
        bn.weight.normal_()
    bn.eval()
    fused = nn_.utils.fuse_conv_bn_eval(c2, bn)
    return [y] + grads + [lin.weight, fused(x), bn(c2(x))], names


def test_weight_norm_and_fusion_match_torch():
    c, cn = _weight_norm_and_fusion(ctorch)
    t, tn = _weight_norm_and_fusion(torch)
    assert cn == tn
    for a, b in zip(c, t):
        close(a, b, 1e-5, 1e-5)
    close(c[-2], c[-1], 1e-5, 1e-5)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        cnn.utils.remove_weight_norm(cnn.Linear(2, 2))


def test_global_module_hooks_and_pad_sequence():
    out = []
    data = [rn(n, 3) for n in (2, 4, 1)]
    for m in (ctorch, torch):
        mm = __import__(m.__name__ + ".nn.modules.module", fromlist=["x"])
        seen = []
        h = mm.register_module_full_backward_hook(lambda mod, gi, go: seen.append(type(mod).__name__))
        h2 = mm.register_module_forward_hook(lambda mod, i, o: seen.append("f" + type(mod).__name__))
        s = m.nn.Sequential(m.nn.Linear(2, 2), m.nn.Tanh())
        s(m.ones(1, 2, requires_grad=True)).sum().backward()
        h.remove()
        h2.remove()
        s(m.ones(1, 2)).sum()
        seqs = [m.from_numpy(d.copy()).requires_grad_() for d in data]
        p = m.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
        (p * p).sum().backward()
        un = m.nn.utils.rnn.unpad_sequence(p, m.tensor([2, 4, 1]), batch_first=True)
        out.append((seen, p, [s.grad for s in seqs], un, m.nn.utils.rnn.pad_sequence(seqs)))
    assert out[0][0] == out[1][0]
    close(out[0][1], out[1][1])
    close(out[0][4], out[1][4])
    for a, b in zip(out[0][2] + out[0][3], out[1][2] + out[1][3]):
        close(a, b)


def _spectral(m):
    nn_ = m.nn
    m.manual_seed(0)
    conv = nn_.utils.spectral_norm(nn_.Conv2d(2, 3, 3), n_power_iterations=2)
    lin = nn_.utils.spectral_norm(nn_.Linear(4, 5), dim=1)
    x = m.from_numpy(np.linspace(-1, 1, 100, dtype=np.float32).reshape(2, 2, 5, 5))
    outs = []
    for _ in range(2):
        y = conv(x).pow(2).sum() + lin(x[:, 0, 0, :4]).sum()
        y.backward()
        outs += [y, conv.weight_u, lin.weight_v]
    conv.eval()
    outs += [conv(x), conv.weight_orig.grad, lin.weight_orig.grad]
    sd = conv.state_dict()
    nn_.utils.remove_spectral_norm(conv)
    outs.append(conv.weight)
    return outs, list(sd), dict(sd._metadata), [n for n, _ in conv.named_parameters()]


def test_spectral_norm_matches_torch():
    c, ck, cmeta, cn = _spectral(ctorch)
    t, tk, tmeta, tn = _spectral(torch)
    assert ck == tk and cmeta == tmeta and cn == tn
    for a, b in zip(c, t):
        close(a, b, 1e-4, 1e-5)


def test_functional_call_matches_torch():
    res = []
    for m in (ctorch, torch):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.Tanh(), m.nn.Linear(4, 2))
        w = m.from_numpy(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)).requires_grad_()
        rm = m.ones(4)
        x = m.from_numpy(np.linspace(-2, 2, 15, dtype=np.float32).reshape(5, 3))
        out = m.nn.utils.stateless.functional_call(net, {"0.weight": w, "1.running_mean": rm}, (x,))
        out.sum().backward()
        res.append([out, w.grad, rm, net[0].weight, net[1].running_mean, net(x)])
        assert net[0].weight.grad is None and isinstance(net[0].weight, m.nn.Parameter)
    for a, b in zip(*res):
        close(a, b, 1e-5, 1e-6)


def test_conv_transpose_output_size_and_errors():
    x = rn(1, 2, 4, 4)
    outs = []
    for m in (ctorch, torch):
        m.manual_seed(0)
        up = m.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
        outs.append(up(m.from_numpy(x), output_size=[1, 3, 8, 8]))
        with pytest.raises(ValueError, match="requested an output size of"):
            up(m.from_numpy(x), output_size=(10, 10))
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
            m.nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")
        with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
            m.nn.functional.conv_transpose2d(m.from_numpy(x), m.zeros(2, 1, 3, 3), output_padding=1)
    close(outs[0], outs[1])
    assert tuple(outs[0].shape) == (1, 3, 8, 8)
