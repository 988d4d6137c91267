"""Convolutions (cuDNN), poolings and resampling (src/cuda/pool.cu) on every device.

Each case runs on the CPU and, where a GPU exists, on the GPU (the cuda cases
skip cleanly without one; the convolution cases also skip where cuDNN cannot
be loaded, as under the CPU emulation of CUDA). The oracle is Debian's
PyTorch on the CPU: the result and the gradients of the inputs; on the GPU
the result must stay on the GPU."""
import numpy as np
import pytest
import torch

import ctorch

F = ctorch.nn.functional
TF = torch.nn.functional
HAS_GPU = ctorch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine"))]


def data(shape, kind="f64", seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a.astype(np.float32) if kind == "f32" else a


def on(a, device):
    return ctorch.tensor(a).to(device)


def check(r, expected, device, tol):
    assert r.device.type == device
    h = r.detach().cpu().numpy()
    e = expected.detach().numpy()
    assert h.shape == e.shape, (h.shape, e.shape)
    if h.dtype.kind == "f":
        np.testing.assert_allclose(h, e, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(h, e)


def compare(fc, ft, arrays, device, tol, conv=False, strided=False):
    """fc(ctorch tensors) on device against ft(torch tensors): the outputs
    (a tensor or a tuple whose first item is differentiable) and the
    gradients of every input of sum(out * r)."""
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    cx = [on(a, device).requires_grad_() for a in arrays]
    if strided:  # a non-contiguous first input: every other element of its last dim
        ti, ci = tx[0][..., ::2], cx[0][..., ::2]
    else:
        ti, ci = tx[0], cx[0]
    try:
        r = fc(ci, *cx[1:])
    except RuntimeError as e:
        if conv and device == "cuda" and "cannot be loaded" in str(e):
            pytest.skip("no cuDNN: " + str(e))
        raise
    e = ft(ti, *tx[1:])
    rs, es = (r, e) if isinstance(r, tuple) else ((r,), (e,))
    for a, b in zip(rs, es):
        check(a, b, device, tol)
    g = data(tuple(es[0].shape), "f32" if arrays[0].dtype == np.float32 else "f64", 7)
    rs[0].backward(on(g, device))
    es[0].backward(torch.tensor(g))
    for c, t in zip(cx, tx):
        check(c.grad, t.grad, device, tol)


def tol_of(kind):
    return 1e-4 if kind == "f32" else 1e-10


# ---------------------------------------------------------------- convolutions
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "f64"])
@pytest.mark.parametrize("cfg", [dict(), dict(stride=(2, 1, 3), padding=(1, 0, 2), dilation=(1, 2, 1), groups=2),
                                 dict(padding="same", dilation=(1, 1, 2)), dict(stride=2, padding=1)])
def test_conv3d(device, kind, cfg):
    g = cfg.get("groups", 1)
    arrays = [data((2, 4, 5, 6, 7), kind), data((6, 4 // g, 2, 3, 2), kind, 1), data((6,), kind, 2)]
    compare(lambda x, w, b: F.conv3d(x, w, b, **cfg), lambda x, w, b: TF.conv3d(x, w, b, **cfg),
            arrays, device, tol_of(kind), conv=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "f64"])
@pytest.mark.parametrize("cfg", [dict(stride=2, padding=1, output_padding=1, groups=2),
                                 dict(stride=1, dilation=3, output_padding=2),
                                 dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))])
def test_conv_transpose2d(device, kind, cfg):
    g = cfg.get("groups", 1)
    arrays = [data((2, 4, 5, 6), kind), data((4, 3, 3, 2), kind, 1), data((3 * g,), kind, 2)]
    compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **cfg), lambda x, w, b: TF.conv_transpose2d(x, w, b, **cfg),
            arrays, device, tol_of(kind), conv=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("strided", [False, True])
def test_conv_transpose1d_and_conv1d(device, strided):
    arrays = [data((2, 4, 14)), data((4, 2, 3), seed=1)]
    compare(lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
            lambda x, w: TF.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
            arrays, device, 1e-10, conv=True, strided=strided)
    arrays = [data((2, 4, 14)), data((3, 4, 4), seed=1)]
    compare(lambda x, w: F.conv1d(x, w, padding="same"), lambda x, w: TF.conv1d(x, w, padding="same"),
            arrays, device, 1e-10, conv=True, strided=strided)


# ---------------------------------------------------------------- poolings
POOL2D = [dict(kernel_size=2), dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True),
          dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "f64"])
@pytest.mark.parametrize("cfg", POOL2D)
@pytest.mark.parametrize("strided", [False, True])
def test_max_pool2d_with_indices(device, kind, cfg, strided):
    x = data((2, 3, 7, 18 if strided else 9), kind)
    compare(lambda x: F.max_pool2d(x, return_indices=True, **cfg), lambda x: TF.max_pool2d(x, return_indices=True, **cfg),
            [x], device, tol_of(kind), strided=strided)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "f64"])
@pytest.mark.parametrize("cfg", [dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                 dict(kernel_size=(2, 3), stride=(3, 2), padding=1, ceil_mode=True),
                                 dict(kernel_size=3, padding=1, ceil_mode=True, count_include_pad=False),
                                 dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d(device, kind, cfg):
    compare(lambda x: F.avg_pool2d(x, **cfg), lambda x: TF.avg_pool2d(x, **cfg), [data((2, 3, 7, 9), kind)],
            device, tol_of(kind))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cfg", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=4, stride=3, padding=2,
                                                                                ceil_mode=True)])
@pytest.mark.parametrize("strided", [False, True])
def test_pool1d(device, cfg, strided):
    x = data((3, 2, 22 if strided else 11))
    compare(lambda x: F.max_pool1d(x, return_indices=True, dilation=1, **cfg),
            lambda x: TF.max_pool1d(x, return_indices=True, dilation=1, **cfg), [x], device, 1e-10, strided=strided)
    for cip in (True, False):
        compare(lambda x: F.avg_pool1d(x, count_include_pad=cip, **cfg),
                lambda x: TF.avg_pool1d(x, count_include_pad=cip, **cfg), [x], device, 1e-10, strided=strided)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("out", [(3, 4), (5, 7), (1, 1), (4, 2)])
def test_adaptive_pools(device, out):
    x = data((2, 3, 5, 7), "f32")
    compare(lambda x: F.adaptive_avg_pool2d(x, out), lambda x: TF.adaptive_avg_pool2d(x, out), [x], device, 1e-5)
    compare(lambda x: F.adaptive_max_pool2d(x, out, return_indices=True),
            lambda x: TF.adaptive_max_pool2d(x, out, return_indices=True), [x], device, 1e-5)
    y = data((2, 3, 11))
    compare(lambda x: F.adaptive_avg_pool1d(x, out[1]), lambda x: TF.adaptive_avg_pool1d(x, out[1]), [y], device, 1e-10)
    compare(lambda x: F.adaptive_max_pool1d(x, out[1], return_indices=True),
            lambda x: TF.adaptive_max_pool1d(x, out[1], return_indices=True), [y], device, 1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_max_pool_nan_and_unbatched(device):
    x = data((2, 5, 5))
    x[0, 1, 2] = np.nan
    compare(lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True),
            lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True), [x], device, 0)


# ---------------------------------------------------------------- resampling
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["f32", "f64"])
@pytest.mark.parametrize("shape,cfg", [((2, 3, 5), dict(size=13)), ((2, 3, 5), dict(scale_factor=2.7)),
                                       ((2, 3, 3, 5), dict(size=(7, 10))), ((2, 3, 3, 5), dict(scale_factor=2)),
                                       ((1, 2, 3, 4, 5), dict(size=(4, 7, 3))),
                                       ((2, 3, 3, 5), dict(size=(9, 5), mode="bilinear", align_corners=False)),
                                       ((2, 3, 3, 5), dict(size=(9, 11), mode="bilinear", align_corners=True)),
                                       ((2, 3, 6, 8), dict(scale_factor=0.6, mode="bilinear")),
                                       ((2, 3, 6), dict(size=10, mode="linear", align_corners=False))])
def test_interpolate(device, kind, shape, cfg):
    compare(lambda x: F.interpolate(x, **cfg), lambda x: TF.interpolate(x, **cfg), [data(shape, kind)], device,
            tol_of(kind) * 10)


# ---------------------------------------------------------------- errors
@pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU on this machine")
def test_errors_on_the_gpu():
    x = on(data((1, 2, 3, 3, 3), "f32"), "cuda")
    w = on(data((2, 2, 2, 2, 2), "f32", 1), "cpu")
    with pytest.raises(RuntimeError, match="same device"):
        F.conv3d(x, w)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(x[0], 4)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.avg_pool1d(ctorch.ones(1, 4, dtype=ctorch.int64).to("cuda"), 2)
