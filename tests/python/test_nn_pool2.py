"""adaptive_max_pool2d / adaptive_max_pool1d (include/ctorch/nn_pool2.h)
through ctorch.nn.functional against Debian's PyTorch 1.13: values, indices,
the gradient of sum(out * w) and the double backward."""
import numpy as np
import pytest
import torch

import ctorch
import ctorch.nn.functional as CF
import torch.nn.functional as TF


def pair(a, grad=True):
    c = ctorch.from_numpy(a.copy()).requires_grad_(grad)
    t = torch.from_numpy(a.copy()).requires_grad_(grad)
    return c, t


CASES = [((2, 3, 7, 5), (3, 4)), ((3, 6, 6), 2), ((1, 2, 5, 9), (None, 4)), ((2, 2, 4, 4), (6, 7)),
         ((2, 1, 3, 3), (3, None)), ((1, 2, 8, 8), (1, 1))]


@pytest.mark.parametrize("shape,osz", CASES)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_adaptive_max_pool2d(shape, osz, dt):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(shape).astype(dt)
    c, t = pair(a)
    yc, ic = CF.adaptive_max_pool2d(c, osz, return_indices=True)
    yt, it = TF.adaptive_max_pool2d(t, osz, return_indices=True)
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=0, atol=0)
    np.testing.assert_array_equal(ic.numpy(), it.numpy())
    w = rng.standard_normal(tuple(yt.shape)).astype(dt)
    (yc * ctorch.from_numpy(w)).sum().backward()
    (yt * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_adaptive_max_pool2d_double_backward():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((2, 2, 5, 7))
    c, t = pair(a)
    outs = []
    for lib, x in (("c", c), ("t", t)):
        F = CF if lib == "c" else TF
        m = ctorch if lib == "c" else torch
        y = F.adaptive_max_pool2d(x, (3, 3))
        g = m.from_numpy(np.ones((2, 2, 3, 3))).requires_grad_(True)
        (gx,) = (ctorch if lib == "c" else torch).autograd.grad((y * g).sum(), x, create_graph=True)
        v = m.from_numpy(np.arange(140, dtype=np.float64).reshape(2, 2, 5, 7))
        (gg,) = m.autograd.grad((gx * v).sum(), g)
        outs.append((gx.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])


def test_adaptive_max_pool1d():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((2, 3, 11)).astype(np.float32)
    c, t = pair(a)
    yc, ic = CF.adaptive_max_pool1d(c, 4, return_indices=True)
    yt, it = TF.adaptive_max_pool1d(t, 4, return_indices=True)
    np.testing.assert_array_equal(yc.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(ic.numpy(), it.numpy())
    yc.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), t.grad.numpy())


def test_adaptive_max_pool2d_errors():
    for bad, msg in [((1, 0, 3, 3), "non-zero size for non-batch dimensions"), ((2, 3), "Expected 3D or 4D")]:
        with pytest.raises(RuntimeError, match=msg):
            CF.adaptive_max_pool2d(ctorch.zeros(bad), 2)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        CF.adaptive_max_pool2d(ctorch.zeros((1, 2, 3, 3), dtype=ctorch.int64), 2)
