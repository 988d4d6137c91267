#!/usr/bin/python3
"""Generates tests/c/nn_refs.h: expected outputs of torch.nn.functional for the
nn tests (tests/c/test_nn*.c). Inputs are rebuilt here with the LCG of
tt_rand (tests/c/harness.c), so the C tests build the very same tensors.
Run: /usr/bin/python3 tools/gen_nn_refs.py > tests/c/nn_refs.h"""
import math
import torch
import torch.nn.functional as F

A, C, M = 6364136223846793005, 1442695040888963407, 2**64


def rand(shape, lo, hi, seed, dtype=torch.float32):
    """tt_rand(shape, ndim, dtype, lo, hi, seed)."""
    n = math.prod(shape)
    s = (seed * A + C) % M
    vals = []
    for _ in range(n):
        s = (s * A + C) % M
        v = lo + (hi - lo) * ((s >> 11) / 9007199254740992.0)
        if not dtype.is_floating_point:
            v = math.floor(v)
        vals.append(v)
    return torch.tensor(vals, dtype=torch.float64).reshape(shape).to(dtype)


out = []


def emit(name, t):
    shape = list(t.shape)
    t = t.detach().to(torch.float64).reshape(-1)
    body = ", ".join("%.17g" % v for v in t.tolist()) or "0"
    out.append("static const double REF_%s[] = {%s};" % (name, body))
    out.append("static const int64_t SHP_%s[] = {%s};" % (name, ", ".join(map(str, shape)) or "0"))
    out.append("enum { ND_%s = %d };" % (name, len(shape)))


torch.manual_seed(0)
f32 = torch.float32
# linear
x, w, b = rand([3, 5], -1, 1, 1), rand([4, 5], -1, 1, 2), rand([4], -1, 1, 3)
emit("linear_2d", F.linear(x, w, b))
x3 = rand([2, 3, 5], -1, 1, 4)
emit("linear_3d_nobias", F.linear(x3, w))
emit("linear_3d", F.linear(x3, w, b))
# conv2d
x, w, b = rand([2, 4, 7, 8], -1, 1, 10), rand([6, 4, 3, 3], -1, 1, 11), rand([6], -1, 1, 12)
emit("conv_a", F.conv2d(x, w, b, 1, 1))
x, w = rand([2, 4, 9, 8], -1, 1, 13), rand([6, 2, 3, 2], -1, 1, 14)
emit("conv_b", F.conv2d(x, w, b, (2, 1), (1, 0), (2, 1), 2))
x, w = rand([1, 3, 5, 5], -1, 1, 15), rand([5, 3, 1, 1], -1, 1, 16)
emit("conv_c", F.conv2d(x, w))
x, w = rand([1, 2, 6, 5], -1, 1, 17), rand([3, 2, 4, 3], -1, 1, 18)
emit("conv_same", F.conv2d(x, w, None, 1, "same", (1, 2)))
emit("conv_valid", F.conv2d(x, w, None, 1, "valid", (1, 2)))
x, w, b4 = rand([2, 4, 6, 6], -1, 1, 19), rand([4, 1, 3, 3], -1, 1, 20), rand([4], -1, 1, 21)
emit("conv_dw", F.conv2d(x, w, b4, 2, 1, 1, 4))
x = rand([2, 4, 8, 7], -1, 1, 22, torch.float64).transpose(2, 3)
w = rand([6, 4, 3, 3], -1, 1, 23, torch.float64)
emit("conv_nc", F.conv2d(x, w, None, (1, 2), (0, 1)))
x, w = rand([4, 6, 5], -1, 1, 24), rand([6, 4, 2, 2], -1, 1, 25)
emit("conv_unbatched", F.conv2d(x, w, b))
# conv1d
x, w, b = rand([2, 4, 10], -1, 1, 30), rand([6, 2, 3], -1, 1, 31), rand([6], -1, 1, 32)
emit("conv1d_a", F.conv1d(x, w, b, 2, 1, 1, 2))
w4 = rand([3, 4, 4], -1, 1, 33)
emit("conv1d_same", F.conv1d(x, w4, None, 1, "same", 2))
# max_pool2d
x = rand([2, 3, 9, 8], -1, 1, 40)
o, i = F.max_pool2d(x, (3, 2), (2, 2), (1, 1), return_indices=True)
emit("maxpool_a", o)
emit("maxpool_a_idx", i)
o, i = F.max_pool2d(x, (3, 3), (2, 2), (1, 0), (2, 1), ceil_mode=True, return_indices=True)
emit("maxpool_b", o)
emit("maxpool_b_idx", i)
xn = rand([3, 8, 9], -1, 1, 41, torch.float64).transpose(1, 2)
o, i = F.max_pool2d(xn, 2, return_indices=True)
emit("maxpool_nc", o)
emit("maxpool_nc_idx", i)
# avg_pool2d
emit("avgpool_a", F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
emit("avgpool_b", F.avg_pool2d(x, (3, 2), (2, 3), (1, 1), ceil_mode=False, count_include_pad=True))
emit("avgpool_c", F.avg_pool2d(x, 2, 2, 1, divisor_override=3))
# adaptive_avg_pool2d
x = rand([2, 3, 9, 7], -1, 1, 50)
emit("adaptive_a", F.adaptive_avg_pool2d(x, (4, 3)))
emit("adaptive_b", F.adaptive_avg_pool2d(x, (1, 1)))
emit("adaptive_c", F.adaptive_avg_pool2d(x, (10, 7)))
# softmax / log_softmax
x = rand([3, 4, 5], -50, 50, 60)
emit("softmax_d1", F.softmax(x, 1))
emit("softmax_dl", F.softmax(x, -1))
emit("log_softmax_d0", F.log_softmax(x, 0))
emit("log_softmax_dl", F.log_softmax(x, -1))
xd = rand([6, 7], -3, 3, 61, torch.float64).t()
emit("softmax_nc", F.softmax(xd, 0))
emit("log_softmax_nc", F.log_softmax(xd, 1))
# batch_norm
x = rand([4, 3, 5, 2], -2, 3, 70)
w, b = rand([3], 0.5, 1.5, 71), rand([3], -1, 1, 72)
rm, rv = torch.zeros(3), torch.ones(3)
emit("bn_train", F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5))
emit("bn_train_rm", rm)
emit("bn_train_rv", rv)
rm, rv = rand([3], -1, 1, 73), rand([3], 0.5, 2, 74)
emit("bn_eval", F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5))
x2 = rand([6, 3], -2, 3, 75)
emit("bn_2d", F.batch_norm(x2, None, None, None, None, True, 0.1, 1e-3))
# layer_norm
x = rand([2, 3, 4, 5], -2, 3, 80)
w, b = rand([4, 5], 0.5, 1.5, 81), rand([4, 5], -1, 1, 82)
emit("ln_a", F.layer_norm(x, [4, 5], w, b, 1e-5))
emit("ln_b", F.layer_norm(x, [5], None, None, 1e-3))
# losses
RED = ["none", "mean", "sum"]
x, y = rand([4, 5], -2, 2, 100), rand([4, 5], -2, 2, 101)
for r in RED:
    emit("mse_" + r, F.mse_loss(x, y, reduction=r))
    emit("l1_" + r, F.l1_loss(x, y, reduction=r))
    emit("smoothl1_" + r, F.smooth_l1_loss(x, y, reduction=r, beta=0.7))
    emit("huber_" + r, F.huber_loss(x, y, reduction=r, delta=0.8))
emit("mse_bcast", F.mse_loss(x, rand([5], -2, 2, 102)))
logits = rand([6, 5], -3, 3, 110)
tgt = rand([6], 0, 5, 111, torch.int64)
tgt[2] = -100
cw = rand([5], 0.5, 2, 112)
lp = F.log_softmax(logits, 1)
for r in RED:
    emit("nll_" + r, F.nll_loss(lp, tgt, reduction=r))
    emit("nllw_" + r, F.nll_loss(lp, tgt, cw, reduction=r))
    emit("ce_" + r, F.cross_entropy(logits, tgt, reduction=r))
    emit("cews_" + r, F.cross_entropy(logits, tgt, cw, reduction=r, label_smoothing=0.2))
    emit("ces_" + r, F.cross_entropy(logits, tgt, reduction=r, label_smoothing=0.1))
tgt2 = tgt.clone(); tgt2[2] = 1
emit("nll_ign3", F.nll_loss(lp, tgt2, ignore_index=3))
l4 = rand([2, 5, 3, 2], -3, 3, 113)
t4 = rand([2, 3, 2], 0, 5, 114, torch.int64)
emit("ce_4d", F.cross_entropy(l4, t4, cw))
emit("ce_4d_none", F.cross_entropy(l4, t4, reduction="none"))
emit("ce_1d", F.cross_entropy(logits[0], tgt[0]))
probs = F.softmax(rand([6, 5], -1, 1, 115), 1)
for r in RED:
    emit("cep_" + r, F.cross_entropy(logits, probs, cw, reduction=r, label_smoothing=0.1))
p = rand([3, 4], 0.01, 0.99, 120)
t = rand([3, 4], 0, 1, 121)
bw = rand([4], 0.5, 1.5, 122)
for r in RED:
    emit("bce_" + r, F.binary_cross_entropy(p, t, bw, reduction=r))
z = rand([3, 4], -30, 30, 123)
pw = rand([4], 0.5, 3, 124)
for r in RED:
    emit("bcel_" + r, F.binary_cross_entropy_with_logits(z, t, bw, reduction=r, pos_weight=pw))
emit("bcel_plain", F.binary_cross_entropy_with_logits(z, t))
lq = F.log_softmax(rand([3, 4], -2, 2, 130), 1)
tq = F.softmax(rand([3, 4], -2, 2, 131), 1)
tq[0, 1] = 0
for r in RED:
    emit("kl_" + r, F.kl_div(lq, tq, reduction=r))
    emit("kllog_" + r, F.kl_div(lq, tq.clamp_min(1e-3).log(), reduction=r, log_target=True))

print("/* Generated by tools/gen_nn_refs.py with PyTorch %s: do not edit. */" % torch.__version__)
print("#ifndef CT_TESTS_NN_REFS_H\n#define CT_TESTS_NN_REFS_H\n")
print("\n".join(out))
print("\n#endif")
