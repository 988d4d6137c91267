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


def same(gpu_result, cpu_result):
    assert gpu_result.is_cuda
    g = gpu_result.cpu()
    assert g.dtype == cpu_result.dtype and g.shape == cpu_result.shape
    if g.dtype.is_floating_point:
        np.testing.assert_allclose(g.numpy(), cpu_result.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)
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
    with pytest.raises(NotImplementedError, match="CUDA"):
        ctorch.matmul(ctorch.ones(2, 2).cuda(), ctorch.ones(2, 2).cuda())


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
