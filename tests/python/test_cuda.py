"""CUDA placement and kernels. Without a GPU, the GPU cases are skipped (the
summary counts them) and what runs checks the truthful answers of a build
without a usable GPU. On a GPU machine (`make test-cuda`), every CUDA result
is compared with the same op on the CPU."""
import re

import numpy as np
import pytest

import ctorch

HAS_GPU = ctorch.cuda.is_available()
gpu = pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine")


def test_version_names_the_build():
    v = ctorch.version.cuda
    assert v is None or re.fullmatch(r"\d+\.\d+", v)


@pytest.mark.skipif(HAS_GPU, reason="a GPU is present")
def test_without_gpu_answers_truthfully():
    assert ctorch.cuda.is_available() is False
    assert ctorch.cuda.device_count() == 0
    x = ctorch.ones(2)
    assert x.device == ctorch.device("cpu") and not x.is_cuda and x.get_device() == -1
    assert x.cpu() is x and x.to("cpu") is x
    # torch's exception types: AssertionError for a CPU-only build,
    # RuntimeError (no driver) for a CUDA build on a machine without a GPU
    exc = AssertionError if ctorch.version.cuda is None else RuntimeError
    for make in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to(ctorch.device("cuda", 0)),
                 lambda: ctorch.zeros(2, device="cuda"), lambda: ctorch.tensor([1.0], device="cuda:0"),
                 lambda: ctorch.cuda.current_device(), lambda: ctorch.cuda.synchronize()):
        with pytest.raises(exc):
            make()
    assert ctorch.cuda.memory_allocated() == 0


def rand(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype in (ctorch.float32, ctorch.float64):
        a = rng.standard_normal(shape)
    elif dtype == ctorch.bool:
        a = rng.integers(0, 2, shape).astype(bool)
    else:
        a = rng.integers(-20, 20, shape)
    return ctorch.tensor(a, dtype=dtype)


def same(gpu_result, cpu_result, rtol=1e-5):
    assert gpu_result.is_cuda
    g = gpu_result.cpu()
    assert g.dtype == cpu_result.dtype and g.shape == cpu_result.shape
    if g.dtype.is_floating_point:
        np.testing.assert_allclose(g.numpy(), cpu_result.numpy(), rtol=rtol, atol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(g.numpy(), cpu_result.numpy())


@gpu
@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.float64, ctorch.int64, ctorch.int32, ctorch.bool,
                                   ctorch.float16])
def test_round_trip_and_conversion(dtype):
    x = rand((3, 5), ctorch.float64 if dtype == ctorch.float16 else dtype).to(dtype)
    g = x.cuda()
    assert g.is_cuda and g.device.type == "cuda" and g.get_device() == 0
    same(g, x)
    same(g.t().contiguous(), x.t().contiguous())
    same(g[:, ::2], x[:, ::2].contiguous())
    same(g.to(ctorch.float64), x.to(ctorch.float64))
    same(x.t().cuda(), x.t().contiguous())


@gpu
@pytest.mark.parametrize("name", ["neg", "abs", "exp", "log1p", "sqrt", "sin", "tanh", "sigmoid", "relu",
                                  "floor", "round", "erf", "expm1", "isnan", "logical_not", "sign"])
@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.float64])
def test_unary_matches_cpu(name, dtype):
    x = rand((4, 33), dtype)
    if name in ("log1p", "sqrt"):
        x = x.abs()
    same(getattr(ctorch, name)(x.cuda()), getattr(ctorch, name)(x))
    same(getattr(ctorch, name)(x.cuda().t()), getattr(ctorch, name)(x.t()))


@gpu
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "lt", "ge",
                                  "atan2", "pow", "remainder", "fmod", "floor_divide", "logical_and"])
def test_binary_matches_cpu_with_broadcasting(name):
    x, y = rand((4, 1, 6), ctorch.float32), rand((5, 1), ctorch.float64, seed=1)
    if name == "pow":
        x = x.abs()
    f = getattr(ctorch, name)
    same(f(x.cuda(), y.cuda()), f(x, y))
    same(f(x.cuda(), 2.5), f(x, 2.5))  # a Python number next to a GPU tensor
    xi, yi = rand((7,), ctorch.int64), rand((7,), ctorch.int64, seed=2)
    if name not in ("div", "atan2", "remainder", "fmod", "floor_divide", "pow"):
        same(f(xi.cuda(), yi.cuda()), f(xi, yi))


@gpu
def test_in_place_operators_and_where():
    x, y = rand((8, 8), ctorch.float32), rand((8, 8), ctorch.float32, seed=3)
    g = x.cuda()
    g += y.cuda()
    g.mul_(2)
    same(g, (x + y) * 2)
    same(ctorch.where(x.cuda() > 0, x.cuda(), y.cuda()), ctorch.where(x > 0, x, y))
    same(ctorch.clamp(x.cuda(), -0.5, 0.5), ctorch.clamp(x, -0.5, 0.5))
    same(ctorch.addcmul(x.cuda(), x.cuda(), y.cuda(), value=0.5), ctorch.addcmul(x, x, y, value=0.5))
    z = ctorch.zeros(3, 4, device="cuda")
    z.fill_(1.5)
    same(z, ctorch.full((3, 4), 1.5))


@gpu
def test_errors_on_gpu():
    x = ctorch.ones(3).cuda()
    with pytest.raises(RuntimeError, match="same device"):
        x + ctorch.ones(3)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ctorch.tensor([1, 2]).cuda() // ctorch.tensor([1, 0]).cuda()
    with pytest.raises(NotImplementedError, match="unique: not implemented for CUDA"):
        ctorch.unique(ctorch.ones(2, 2).cuda(), dim=0)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        ctorch.mm(ctorch.ones(2, 2, dtype=ctorch.int64).cuda(), ctorch.ones(2, 2, dtype=ctorch.int64).cuda())


@gpu
def test_caching_allocator_reuses_blocks():
    x = ctorch.ones(1 << 20).cuda()
    for _ in range(3):
        y = x * 2 + 1
        del y
    before = ctorch.cuda.memory_reserved()
    for _ in range(10):
        y = x * 2 + 1
        del y
    assert ctorch.cuda.memory_reserved() == before
    assert ctorch.cuda.memory_allocated() >= 4 << 20


def test_tf32_switch_defaults_off_as_in_torch():
    import torch
    assert ctorch.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is False
    ctorch.backends.cuda.matmul.allow_tf32 = True
    try:
        assert ctorch.backends.cuda.matmul.allow_tf32 is True
    finally:
        ctorch.backends.cuda.matmul.allow_tf32 = False
    with pytest.raises(AttributeError):
        ctorch.backends.cuda.matmul.no_such_switch


@gpu
@pytest.mark.parametrize("dtype", [ctorch.float32, ctorch.float64])
@pytest.mark.parametrize("shapes", [((6,), (6,)), ((4, 6), (6,)), ((6,), (6, 3)), ((4, 6), (6, 3)),
                                    ((2, 4, 6), (6,)), ((2, 4, 6), (6, 3)), ((4, 6), (2, 6, 3)),
                                    ((2, 1, 4, 6), (3, 6, 5)), ((0, 6), (6, 2)), ((3, 0), (0, 2))])
def test_matmul_matches_cpu(dtype, shapes):
    a, b = rand(shapes[0], dtype), rand(shapes[1], dtype, seed=1)
    same(ctorch.matmul(a.cuda(), b.cuda()), ctorch.matmul(a, b))
    if a.dim() == 2 and b.dim() == 2:
        same(a.cuda().t().t() @ b.cuda(), a @ b)
        same(ctorch.addmm(rand((shapes[1][1],), dtype).cuda(), a.cuda(), b.cuda(), beta=0.5, alpha=2),
             ctorch.addmm(rand((shapes[1][1],), dtype), a, b, beta=0.5, alpha=2))


@gpu
def test_bmm_baddbmm_mv_dot_match_cpu():
    x, y, s = rand((3, 4, 5), ctorch.float64), rand((3, 5, 2), ctorch.float64, 1), rand((4, 2), ctorch.float64, 2)
    same(ctorch.bmm(x.cuda(), y.cuda()), ctorch.bmm(x, y))
    same(ctorch.baddbmm(s.cuda(), x.cuda(), y.cuda(), beta=0.25, alpha=-1), ctorch.baddbmm(s, x, y, beta=0.25, alpha=-1))
    m, v = rand((6, 5), ctorch.float32), rand((10,), ctorch.float32, 3)
    same(ctorch.mv(m.cuda(), v.cuda()[::2]), ctorch.mv(m, v[::2]))
    same(ctorch.dot(v.cuda()[::2], v.cuda()[1::2]), ctorch.dot(v[::2], v[1::2]))


@gpu
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "std", "var", "norm", "all", "any"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_match_cpu(name, dim, keepdim):
    x = rand((5, 6, 7), ctorch.float64)
    if name in ("all", "any"):
        x = x > -0.5
    f = getattr(ctorch, name)
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    if name == "prod" and isinstance(dim, tuple):
        return  # torch.prod takes one dim
    if name in ("amax", "amin") and dim is None:
        kw = {"dim": (0, 1, 2), "keepdim": keepdim}
    same(f(x.cuda(), **kw), f(x, **kw))
    same(f(x.cuda().transpose(0, 2), **kw), f(x.transpose(0, 2), **kw))


@gpu
def test_max_argmax_and_large_sums_match_cpu():
    x = rand((3, 200003), ctorch.float32)
    same(x.cuda().sum(), x.sum())
    same(x.cuda().sum(1), x.sum(1))
    v, i = x.cuda().max(1)
    vc, ic = x.max(1)
    same(v, vc)
    same(i, ic)
    same(x.cuda().argmin(), x.argmin())
    same(x.cuda().argmax(0), x.argmax(0))


@gpu
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_cross_entropy_match_cpu(dim):
    x = rand((7, 9, 11), ctorch.float32) * 5
    same(ctorch.softmax(x.cuda(), dim), ctorch.softmax(x, dim))
    same(ctorch.log_softmax(x.cuda(), dim), ctorch.log_softmax(x, dim))
    logits, target = rand((6, 5), ctorch.float64), ctorch.tensor([0, 4, 2, 2, 1, 3])
    F = ctorch.nn.functional
    same(F.cross_entropy(logits.cuda(), target.cuda()), F.cross_entropy(logits, target))


@gpu
def test_mlp_backward_on_gpu_matches_cpu():
    params = [rand((16, 5), ctorch.float64), rand((16,), ctorch.float64, 1),
              rand((3, 16), ctorch.float64, 2), rand((3,), ctorch.float64, 3)]
    x, t = rand((8, 5), ctorch.float64, 4), ctorch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    F = ctorch.nn.functional

    def grads(dev):
        ps = [p.to(dev).requires_grad_() for p in params]
        h = F.relu(F.linear(x.to(dev), ps[0], ps[1]))
        F.cross_entropy(F.linear(h, ps[2], ps[3]), t.to(dev)).backward()
        return [p.grad for p in ps]

    for g, c in zip(grads("cuda"), grads("cpu")):
        same(g, c)


def test_pinning_needs_a_gpu_and_plain_tensors_are_not_pinned():
    x = ctorch.ones(3)
    assert x.is_pinned() is False
    if not HAS_GPU:
        with pytest.raises(RuntimeError):
            x.pin_memory()
        exc = AssertionError if ctorch.version.cuda is None else RuntimeError
        with pytest.raises(exc):
            ctorch.cuda.Stream()
        with pytest.raises(exc):
            ctorch.cuda.Event()


@gpu
def test_pinned_memory_round_trip():
    x = rand((4, 5), ctorch.float32)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.pin_memory().is_pinned()
    np.testing.assert_array_equal(p.numpy(), x.numpy())
    same(p.cuda(), x)


@gpu
def test_streams_and_events():
    x = rand((256, 256), ctorch.float32)
    g = x.cuda()
    s = ctorch.cuda.Stream()
    assert ctorch.cuda.current_stream() == ctorch.cuda.default_stream()
    start, end = ctorch.cuda.Event(enable_timing=True), ctorch.cuda.Event(enable_timing=True)
    s.wait_stream(ctorch.cuda.current_stream())
    with ctorch.cuda.stream(s):
        assert ctorch.cuda.current_stream() == s
        start.record()
        y = (g @ g).sum(1)
        end.record()
    assert ctorch.cuda.current_stream() == ctorch.cuda.default_stream()
    end.synchronize()
    assert end.query() and s.query()
    assert start.elapsed_time(end) >= 0
    ctorch.cuda.current_stream().wait_stream(s)
    # float32 products summed in another order by cuBLAS than on the CPU
    same(y, (x @ x).sum(1), rtol=1e-4)


@gpu
def test_gpu_random_is_reproducible_and_dropout_runs():
    x = ctorch.empty(10000, device="cuda")
    ctorch.manual_seed(3)
    a = x.uniform_().cpu()
    ctorch.manual_seed(3)
    b = x.uniform_().cpu()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 0 <= a.min().item() and a.max().item() < 1 and abs(a.mean().item() - 0.5) < 0.02
    n = x.normal_(1, 2)
    assert n.is_cuda and abs(n.mean().item() - 1) < 0.1
    d = ctorch.nn.functional.dropout(ctorch.ones(10000, device="cuda"), 0.5)
    assert d.is_cuda and abs(d.mean().item() - 1) < 0.1
