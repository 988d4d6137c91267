"""conv_transpose1d, conv_transpose2d and conv3d (C ops: ct_conv_transpose*,
ct_conv3d) against Debian's PyTorch 1.13: forward values and the gradients
of input, weight and bias across strides, paddings (incl. 'same'),
output_padding, groups and dilations, in float32 and float64; second-order
gradients; the nn modules with state_dict moves in both directions; errors."""
import numpy as np
import pytest
import torch

import ctorch

RNG = np.random.default_rng(5)


def rn(*shape):
    return RNG.standard_normal(shape)


def run(lib, fn, arrays, dtype, grad=True):
    """fn(F, *tensors) in lib ("c" or "t"); returns out and the gradients of
    sum(out * g) with a fixed g."""
    m = ctorch if lib == "c" else torch
    F = m.nn.functional
    ts = [None if a is None else m.from_numpy(a.astype(dtype)).requires_grad_(grad) for a in arrays]
    out = fn(F, *ts)
    if not grad:
        return out.detach().numpy(), []
    g = np.random.default_rng(9).standard_normal(tuple(out.shape)).astype(dtype)
    (out * m.from_numpy(g)).sum().backward()
    return out.detach().numpy(), [None if t is None else t.grad.numpy() for t in ts]


def compare(fn, arrays, dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    oc, gc = run("c", fn, arrays, dtype)
    ot, gt = run("t", fn, arrays, dtype)
    assert oc.shape == ot.shape
    np.testing.assert_allclose(oc, ot, rtol=tol, atol=tol)
    for a, b in zip(gc, gt):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


CONVT2 = {
    "plain": (lambda F, x, w, b: F.conv_transpose2d(x, w, b), [rn(2, 3, 4, 5), rn(3, 4, 3, 3), rn(4)]),
    "stride_pad_outpad": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                          [rn(2, 3, 4, 5), rn(3, 2, 3, 3), rn(2)]),
    "asym": (lambda F, x, w: F.conv_transpose2d(x, w, None, (2, 3), (1, 0), (1, 2), 1, (1, 2)),
             [rn(2, 2, 3, 4), rn(2, 3, 3, 2)]),
    "groups_dil": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=(1, 2), padding=(2, 0), output_padding=(1, 1),
                                                       groups=2, dilation=(2, 1)),
                   [rn(2, 4, 5, 4), rn(4, 3, 3, 3), rn(6)]),
    "outpad_ge_stride": (lambda F, x, w: F.conv_transpose2d(x, w, output_padding=2, dilation=3),
                         [rn(1, 2, 4, 4), rn(2, 2, 2, 3)]),
    "depthwise": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=4),
                  [rn(2, 4, 5, 3), rn(4, 1, 3, 3), rn(4)]),
    "unbatched": (lambda F, x, w: F.conv_transpose2d(x, w, padding=1), [rn(2, 4, 4), rn(2, 3, 3, 3)]),
    "onednn_sized": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                     [rn(2, 32, 7, 7), rn(32, 16, 3, 3), rn(16)]),
}

CONVT1 = {
    "plain": (lambda F, x, w, b: F.conv_transpose1d(x, w, b), [rn(2, 3, 6), rn(3, 2, 4), rn(2)]),
    "all": (lambda F, x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2, 1, 1), [rn(2, 3, 6), rn(3, 2, 4), rn(2)]),
    "groups_dil": (lambda F, x, w: F.conv_transpose1d(x, w, None, stride=2, padding=2, output_padding=1, groups=3,
                                                    dilation=2), [rn(2, 6, 5), rn(6, 2, 3)]),
    "tuples_unbatched": (lambda F, x, w: F.conv_transpose1d(x, w, stride=(2,), padding=(1,)), [rn(3, 6), rn(3, 2, 4)]),
}

CONV3 = {
    "plain": (lambda F, x, w, b: F.conv3d(x, w, b), [rn(2, 3, 4, 5, 5), rn(4, 3, 2, 3, 2), rn(4)]),
    "stride_pad_dil": (lambda F, x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1)),
                       [rn(2, 2, 5, 6, 5), rn(3, 2, 2, 2, 3), rn(3)]),
    "groups_unbatched": (lambda F, x, w: F.conv3d(x, w, groups=2), [rn(4, 3, 4, 4), rn(4, 2, 2, 3, 2)]),
    "same": (lambda F, x, w: F.conv3d(x, w, padding="same", dilation=(1, 2, 1)), [rn(1, 2, 4, 5, 5), rn(3, 2, 2, 3, 2)]),
    "valid": (lambda F, x, w, b: F.conv3d(x, w, b, padding="valid", stride=2), [rn(1, 2, 5, 5, 5), rn(2, 2, 3, 3, 3), rn(2)]),
    "depthwise_int_args": (lambda F, x, w: F.conv3d(x, w, None, 1, 1, 1, 3), [rn(2, 3, 3, 4, 4), rn(3, 1, 3, 3, 3)]),
    "onednn_sized": (lambda F, x, w, b: F.conv3d(x, w, b, padding=1), [rn(2, 16, 4, 6, 6), rn(16, 16, 3, 3, 3), rn(16)]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CONVT2))
def test_conv_transpose2d_matches_torch(name, dtype):
    compare(*CONVT2[name], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CONVT1))
def test_conv_transpose1d_matches_torch(name, dtype):
    compare(*CONVT1[name], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CONV3))
def test_conv3d_matches_torch(name, dtype):
    compare(*CONV3[name], dtype)


@pytest.mark.parametrize("fn,arrays", [
    (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
     [rn(1, 4, 3, 3), rn(4, 1, 2, 2), rn(2)]),
    (lambda F, x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1), [rn(2, 2, 4), rn(2, 3, 3), rn(3)]),
    (lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2), [rn(1, 4, 3, 4, 3), rn(2, 2, 2, 2, 2), rn(2)]),
])
def test_second_order_gradients_match_torch(fn, arrays):
    res = {}
    for lib, m in (("c", ctorch), ("t", torch)):
        ts = [m.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
        out = fn(m.nn.functional, *ts)
        gs = m.autograd.grad((out * out).sum(), ts[:2], create_graph=True)
        s = sum((g * g).sum() for g in gs)
        res[lib] = [g.detach().numpy() for g in m.autograd.grad(s, ts[:2])]
    for a, b in zip(res["c"], res["t"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


MODULES = {
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                        (2, 4, 5, 5)),
    "ConvTranspose2d_dil_nobias": (lambda nn: nn.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False), (1, 2, 4, 4)),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1, output_padding=1), (2, 3, 5)),
    "Conv3d": (lambda nn: nn.Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 1), padding=1, groups=2), (2, 2, 4, 5, 5)),
    "Conv3d_same": (lambda nn: nn.Conv3d(2, 3, 2, padding="same", bias=False), (1, 2, 3, 4, 4)),
}


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("direction", ["torch_to_ctorch", "ctorch_to_torch"])
def test_modules_state_dict_moves_and_match_torch(name, direction):
    make, shape = MODULES[name]
    mc, mt = make(ctorch.nn), make(torch.nn)
    if direction == "torch_to_ctorch":
        mc.load_state_dict({k: ctorch.from_numpy(v.detach().numpy().copy()) for k, v in mt.state_dict().items()})
    else:
        mt.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in mc.state_dict().items()})
    assert list(mc.state_dict()) == list(mt.state_dict())
    x = rn(*shape).astype(np.float32)
    xc, xt = ctorch.from_numpy(x.copy()).requires_grad_(True), torch.from_numpy(x.copy()).requires_grad_(True)
    yc, yt = mc(xc), mt(xt)
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yc.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (k, pc), (_, pt) in zip(mc.named_parameters(), mt.named_parameters()):
        np.testing.assert_allclose(pc.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=k)


def test_conv_transpose_module_output_size():
    for m in (ctorch, torch):
        up = m.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
        y = up(m.zeros(1, 2, 4, 4), output_size=[8, 8])
        assert tuple(y.shape) == (1, 3, 8, 8)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.conv_transpose2d(m.zeros(1, 3, 5, 5), m.zeros(4, 2, 3, 3)),
    lambda m: m.nn.functional.conv_transpose2d(m.zeros(1, 4, 5, 5), m.zeros(4, 2, 3, 3), m.zeros(3)),
    lambda m: m.nn.functional.conv_transpose2d(m.zeros(1, 4, 5, 5), m.zeros(4, 2, 3, 3), output_padding=1),
    lambda m: m.nn.functional.conv_transpose2d(m.zeros(1, 4, 1, 1), m.zeros(4, 2, 1, 1), padding=1),
    lambda m: m.nn.functional.conv_transpose1d(m.zeros(1, 4, 5), m.zeros(4, 2, 3), output_padding=1),
    lambda m: m.nn.functional.conv3d(m.zeros(1, 4, 5, 5), m.zeros(4, 2, 3, 3, 3)),
    lambda m: m.nn.functional.conv3d(m.zeros(1, 4, 3, 3, 3), m.zeros(2, 4, 2, 2, 2), stride=(2, 1, 1), padding="same"),
    lambda m: m.nn.functional.conv3d(m.zeros(1, 4, 3, 3, 3), m.zeros(2, 4, 5, 2, 2)),
])
def test_errors_like_torch(call):
    with pytest.raises(RuntimeError) as et:
        call(torch)
    with pytest.raises(RuntimeError) as ec:
        call(ctorch)
    # the first words of torch's message (ctorch names the same problem)
    assert str(et.value).split(",")[0].split(":")[0][:20] in str(ec.value)


def test_top_level_functions_exist():
    x, w = ctorch.ones(1, 1, 2, 2), ctorch.ones(1, 1, 2, 2)
    assert tuple(ctorch.conv_transpose2d(x, w).shape) == (1, 1, 3, 3)
    assert tuple(ctorch.conv_transpose1d(ctorch.ones(1, 1, 2), ctorch.ones(1, 1, 2)).shape) == (1, 1, 3)
    assert tuple(ctorch.conv3d(ctorch.ones(1, 1, 2, 2, 2), ctorch.ones(1, 1, 2, 2, 2)).shape) == (1, 1, 1, 1, 1)
