"""Normalisation layers (fused C ops: batch_norm, layer_norm, group_norm,
instance_norm) against Debian's PyTorch 1.13: outputs, gradients, running
statistics, double backward, modules; gradcheck/gradgradcheck in float64."""
import numpy as np
import pytest
import torch

import ctorch

LIBS = (ctorch, torch)


def rn(*shape, seed=0, lo=-1.0, hi=1.0, dtype=np.float32):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


def arr(t):
    return t.detach().numpy()


def close(a, b, tol):
    a, b = arr(a), arr(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def both(fn, arrays, grads, tol, view=None):
    """fn(T, *tensors) in ctorch and torch; compares the outputs and the
    gradients of sum(out * gy) for the arrays flagged in grads. view (T, t)
    makes an input non-contiguous before use."""
    res = []
    for T in LIBS:
        ts = []
        for a, g in zip(arrays, grads):
            t = None if a is None else T.from_numpy(a.copy())
            if t is not None and g:
                t.requires_grad_(True)
            ts.append(t)
        use = list(ts)
        if view is not None:
            use[0] = view(T, ts[0])
        out = fn(T, *use)
        gy = T.from_numpy(rn(*out.shape, seed=99, dtype=arr(out).dtype))
        (out * gy).sum().backward()
        res.append((out, [t.grad for t, g in zip(ts, grads) if g], ts))
    (co, cg, cts), (to, tg, tts) = res
    close(co, to, tol)
    for a, b in zip(cg, tg):
        close(a, b, tol * 10)
    return cts, tts


SHAPES = [(6, 3), (4, 3, 5), (2, 4, 3, 5), (2, 3, 2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-10)])
def test_batch_norm_train_matches_torch(shape, dtype, tol):
    C = shape[1]
    arrays = [rn(*shape, seed=1, lo=-2, hi=3, dtype=dtype), rn(C, seed=2, lo=0.5, hi=1.5, dtype=dtype),
              rn(C, seed=3, dtype=dtype), rn(C, seed=4, dtype=dtype), rn(C, seed=5, lo=0.5, hi=2, dtype=dtype)]

    def f(T, x, w, b, rm, rv):
        return T.nn.functional.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
    cts, tts = both(f, arrays, [True, True, True, False, False], tol)
    close(cts[3], tts[3], tol)  # running mean
    close(cts[4], tts[4], tol)  # running var (unbiased)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_eval_and_no_affine_match_torch(shape):
    C = shape[1]
    arrays = [rn(*shape, seed=6), rn(C, seed=7), rn(C, seed=8, lo=0.5, hi=2)]

    def f(T, x, rm, rv):
        return T.nn.functional.batch_norm(x, rm, rv, training=False, eps=1e-3)
    both(f, arrays, [True, False, False], 1e-5)

    def g(T, x):
        return T.nn.functional.batch_norm(x, None, None, training=True)
    both(g, arrays[:1], [True], 2e-5)


def test_batch_norm_non_contiguous_inputs_match_torch():
    arrays = [rn(3, 5, 6, 4, seed=9), rn(4, seed=10), rn(4, seed=11)]

    def f(T, x, w, b):
        return T.nn.functional.batch_norm(x, None, None, w, b, training=True)
    # channels-last view of [3, 5, 6, 4] as [3, 4, 5, 6], and a stepped slice
    both(f, arrays, [True, True, True], 2e-5, view=lambda T, t: t.permute(0, 3, 1, 2))
    both(f, arrays, [True, True, True], 2e-5, view=lambda T, t: t.permute(0, 3, 1, 2)[:, :, ::2, 1:])


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)),
                                       ("BatchNorm2d", (2, 3, 4, 5)), ("BatchNorm3d", (2, 3, 2, 3, 4))])
@pytest.mark.parametrize("kw", [dict(momentum=None), dict(track_running_stats=False), dict(affine=False),
                                dict(momentum=0.2)])
def test_batch_norm_modules_over_steps_match_torch(cls, shape, kw):
    mods = [getattr(T.nn, cls)(3, **kw) for T in LIBS]
    for step in range(3):
        x = rn(*shape, seed=20 + step, lo=-1, hi=2 + step)
        outs = []
        for T, m in zip(LIBS, mods):
            t = T.from_numpy(x).requires_grad_(True)
            out = m(t)
            out.sum().backward() if step == 0 else None
            outs.append((out, t.grad))
        close(outs[0][0], outs[1][0], 2e-5)
        if step == 0:
            close(outs[0][1], outs[1][1], 2e-4)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        a, b = getattr(mods[0], name), getattr(mods[1], name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(arr(a), arr(b), rtol=1e-5, atol=1e-6)
    for m in mods:
        m.eval()
    x = rn(*shape, seed=30)
    close(mods[0](ctorch.from_numpy(x)), mods[1](torch.from_numpy(x)), 2e-5)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_double_backward_matches_torch(training):
    """grad of (|dL/dx|^2 + |dL/dw|^2) w.r.t. x, w, b and gy, through the
    batch_norm_backward op and its derivative."""
    xs, ws, bs, gys = rn(4, 3, 5, seed=40, dtype=np.float64), rn(3, seed=41, lo=0.5, hi=1.5, dtype=np.float64), \
        rn(3, seed=42, dtype=np.float64), rn(4, 3, 5, seed=43, dtype=np.float64)
    rms, rvs = rn(3, seed=44, dtype=np.float64), rn(3, seed=45, lo=0.5, hi=2, dtype=np.float64)
    res = []
    for T in LIBS:
        x, w, b, gy = (T.from_numpy(a.copy()).requires_grad_(True) for a in (xs, ws, bs, gys))
        y = T.nn.functional.batch_norm(x, T.from_numpy(rms.copy()), T.from_numpy(rvs.copy()), w, b,
                                       training=training)
        gx, gw = T.autograd.grad((y * gy).sum(), (x, w), create_graph=True)
        s = (gx * gx).sum() + (gw * gw).sum() + (gx * x).sum()
        res.append(T.autograd.grad(s, (x, w, gy), allow_unused=True))
    for a, b in zip(*res):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, 1e-9)


def test_norms_gradcheck_and_gradgradcheck_float64():
    F = ctorch.nn.functional
    x = ctorch.from_numpy(rn(3, 4, 3, seed=50, dtype=np.float64)).requires_grad_(True)
    w = ctorch.from_numpy(rn(4, seed=51, lo=0.5, hi=1.5, dtype=np.float64)).requires_grad_(True)
    b = ctorch.from_numpy(rn(4, seed=52, dtype=np.float64)).requires_grad_(True)
    w3 = ctorch.from_numpy(rn(3, seed=53, lo=0.5, hi=1.5, dtype=np.float64)).requires_grad_(True)
    fns = [lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           lambda x, w, b: F.group_norm(x, 2, w, b),
           lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           lambda x, w, b: F.layer_norm(x, (3,), w3 * 1.0, None) * w.sum() + b.sum()]
    for f in fns:
        assert ctorch.autograd.gradcheck(f, (x, w, b))
        assert ctorch.autograd.gradgradcheck(f, (x, w, b))


@pytest.mark.parametrize("shape,ns", [((3, 7), (7,)), ((2, 3, 4, 5), (4, 5)), ((64, 600), (600,)), ((5,), (5,))])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 3e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, ns, dtype, tol, affine):
    arrays = [rn(*shape, seed=60, lo=-2, hi=3, dtype=dtype)]
    if affine:
        arrays += [rn(*ns, seed=61, lo=0.5, hi=1.5, dtype=dtype), rn(*ns, seed=62, dtype=dtype)]

    def f(T, x, w=None, b=None):
        return T.nn.functional.layer_norm(x, ns, w, b)
    both(f, arrays, [True] * len(arrays), tol)


def test_layer_norm_non_contiguous_and_double_backward_match_torch():
    def f(T, x, w, b):
        return T.nn.functional.layer_norm(x, (4,), w, b)
    arrays = [rn(4, 6, seed=63), rn(4, seed=64), rn(4, seed=65)]
    both(f, arrays, [True] * 3, 2e-5, view=lambda T, t: t.t())
    xs, ws = rn(3, 5, seed=66, dtype=np.float64), rn(5, seed=67, dtype=np.float64)
    res = []
    for T in LIBS:
        x, w = (T.from_numpy(a.copy()).requires_grad_(True) for a in (xs, ws))
        y = T.nn.functional.layer_norm(x, (5,), w, None)
        gx, = T.autograd.grad((y * y * x).sum(), (x,), create_graph=True)
        res.append(T.autograd.grad((gx * gx).sum(), (x, w)))
    for a, b in zip(*res):
        close(a, b, 1e-9)


@pytest.mark.parametrize("shape,G", [((3, 6), 3), ((2, 6, 5), 2), ((2, 4, 3, 5), 4), ((2, 4, 2, 3, 2), 1)])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-10)])
def test_group_norm_matches_torch(shape, G, dtype, tol):
    C = shape[1]
    arrays = [rn(*shape, seed=70, lo=-2, hi=3, dtype=dtype), rn(C, seed=71, lo=0.5, hi=1.5, dtype=dtype),
              rn(C, seed=72, dtype=dtype)]
    both(lambda T, x, w, b: T.nn.functional.group_norm(x, G, w, b), arrays, [True] * 3, tol)
    both(lambda T, x: T.nn.functional.group_norm(x, G), arrays[:1], [True], tol)


def test_group_norm_module_non_contiguous_double_backward_and_errors():
    mods = [T.nn.GroupNorm(2, 4) for T in LIBS]
    for T, m in zip(LIBS, mods):
        with T.no_grad():
            m.weight.copy_(T.from_numpy(rn(4, seed=80)))
            m.bias.copy_(T.from_numpy(rn(4, seed=81)))
    x = rn(3, 5, 4, 2, seed=82)
    outs = [m(T.from_numpy(x).permute(0, 2, 1, 3)) for T, m in zip(LIBS, mods)]
    close(outs[0], outs[1], 2e-5)
    xs, ws = rn(2, 4, 3, seed=83, dtype=np.float64), rn(4, seed=84, dtype=np.float64)
    res = []
    for T in LIBS:
        x, w = (T.from_numpy(a.copy()).requires_grad_(True) for a in (xs, ws))
        y = T.nn.functional.group_norm(x, 2, w, None)
        gx, gw = T.autograd.grad((y * y * x).sum(), (x, w), create_graph=True)
        res.append(T.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w)))
    for a, b in zip(*res):
        close(a, b, 1e-9)
    for args, kind in [(((2, 6, 4), 4), RuntimeError), (((1, 6), 6), ValueError)]:
        msgs = []
        for T in LIBS:
            with pytest.raises(kind) as e:
                T.nn.functional.group_norm(T.zeros(*args[0]), args[1])
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm1d", (4, 5)),
                                       ("InstanceNorm2d", (2, 4, 3, 5)), ("InstanceNorm2d", (4, 3, 5)),
                                       ("InstanceNorm3d", (2, 4, 2, 3, 2))])
@pytest.mark.parametrize("kw", [dict(), dict(affine=True), dict(track_running_stats=True),
                                dict(affine=True, track_running_stats=True, momentum=0.3)])
def test_instance_norm_modules_match_torch(cls, shape, kw):
    mods = [getattr(T.nn, cls)(4, **kw) for T in LIBS]
    if kw.get("affine"):
        for T, m in zip(LIBS, mods):
            with T.no_grad():
                m.weight.copy_(T.from_numpy(rn(4, seed=90, lo=0.5, hi=1.5)))
                m.bias.copy_(T.from_numpy(rn(4, seed=91)))
    for step in range(2):
        x = rn(*shape, seed=92 + step, lo=-1, hi=2)
        res = []
        for T, m in zip(LIBS, mods):
            t = T.from_numpy(x).requires_grad_(True)
            out = m(t)
            (out * T.from_numpy(rn(*shape, seed=95))).sum().backward()
            res.append((out, t.grad))
        close(res[0][0], res[1][0], 2e-5)
        close(res[0][1], res[1][1], 2e-4)
    if kw.get("track_running_stats"):
        close(mods[0].running_mean, mods[1].running_mean, 1e-5)
        close(mods[0].running_var, mods[1].running_var, 1e-5)
        for m in mods:
            m.eval()
        x = rn(*shape, seed=96)
        close(mods[0](ctorch.from_numpy(x)), mods[1](torch.from_numpy(x)), 2e-5)


def test_instance_norm_functional_and_torch_level_binding():
    x = rn(2, 3, 4, seed=97)
    rm, rv = rn(3, seed=98), rn(3, seed=99, lo=0.5, hi=2)
    outs = [T.instance_norm(T.from_numpy(x), None, None, T.from_numpy(rm), T.from_numpy(rv), False, 0.1, 1e-5,
                            False) for T in LIBS]
    close(outs[0], outs[1], 1e-5)
    for T in LIBS:
        with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
            T.nn.functional.instance_norm(T.zeros(2, 3, 1))


# The kernels sum in the element type over chunks of 2048 elements (four
# vector accumulators, tails shorter than a vector) and merge the chunks in
# double: shapes whose blocks cross chunks and end off the vector width,
# sizes above the threading grain (32768 elements), transposed inputs and
# data far from zero, against PyTorch in float64 on the same values.
BIG = [("bn", (4, 3, 50, 41), None),       # channel blocks of 2050: a chunk and a tail of 2
       ("bn", (8, 16, 33, 31), None),      # threaded over channels
       ("gn", (3, 8, 45, 47), 2),          # groups of 4 x 2115
       ("gn", (4, 32, 20, 21), 8),         # threaded over (sample, group)
       ("in", (2, 6, 70, 33), None),       # instance norm: 2310 per instance
       ("ln", (40, 2100), None),           # rows over one chunk
       ("ln", (300, 257), None),           # threaded rows, odd width
       ("ln", (6, 7, 5, 300), None)]       # normalized over the last two dims


def _big_norm(T, kind, x, w, b, G):
    F = T.nn.functional
    if kind == "bn":
        return F.batch_norm(x, None, None, w, b, training=True)
    if kind == "gn":
        return F.group_norm(x, G, w, b)
    if kind == "in":
        return F.instance_norm(x, weight=w, bias=b)
    ns = tuple(x.shape[-2:]) if x.dim() == 4 else (x.shape[-1],)
    return F.layer_norm(x, ns, w.reshape(ns) if w.numel() > 1 else None, b.reshape(ns))


@pytest.mark.parametrize("kind,shape,G", BIG)
@pytest.mark.parametrize("dtype,offset,transpose", [(np.float32, 0.0, False), (np.float32, 300.0, False),
                                                    (np.float32, 0.0, True), (np.float64, 0.0, True)])
def test_norms_chunked_threaded_match_torch_float64(kind, shape, G, dtype, offset, transpose):
    x = rn(*shape, seed=120, lo=offset - 2, hi=offset + 3, dtype=dtype)
    C = shape[-1] * (shape[-2] if len(shape) == 4 else 1) if kind == "ln" else shape[1]
    w, b = rn(C, seed=121, lo=0.5, hi=1.5, dtype=dtype), rn(C, seed=122, dtype=dtype)
    gy = rn(*shape, seed=123, dtype=dtype)
    res = []
    for T, dt in ((ctorch, dtype), (torch, np.float64)):
        ts = [T.from_numpy(a.astype(dt)).requires_grad_(True) for a in (x, w, b)]
        xin = ts[0]
        if transpose:  # the same values, read through a transposed view
            xin = T.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, -1)).astype(dt)).requires_grad_(True)
            ts[0] = xin
            xin = xin.transpose(0, -1)
        out = _big_norm(T, kind, xin, ts[1], ts[2], G)
        out.backward(T.from_numpy(gy.astype(dt)))
        res.append([out] + [t.grad for t in ts])
    tol = 1e-10 if dtype == np.float64 else 2e-5 * (1 + offset / 4)
    for k, (a, r) in enumerate(zip(*res)):
        a, r = arr(a).astype(np.float64), arr(r)
        if transpose and k == 1:
            a, r = np.swapaxes(a, 0, -1), np.swapaxes(r, 0, -1)
        scale = max(1.0, float(np.abs(r).max())) if k >= 2 else 1.0  # parameter grads are sums
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol * scale, err_msg="%s output %d" % (kind, k))
