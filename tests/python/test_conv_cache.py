"""conv2d through oneDNN keeps the weights' reordered copies across calls
(keyed on the weight's storage and version) and the output gradient's from
the input gradient to the weight gradient: every write to a weight between
calls (optimizer steps, in-place ops, item assignment, .data copies, writes
through views) must show in the next result. Checked against Debian's
PyTorch 1.13 on the same values."""
import numpy as np
import pytest
import torch

import ctorch

RNG = np.random.default_rng(11)


def both(a):
    """The same float32 values as a ctorch tensor (own memory, so cached)
    and a torch tensor."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    return ctorch.tensor(a), torch.tensor(a)


def close(c, t, tol=2e-4):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


WRITES = {
    "mul_": lambda w: w.mul_(0.5),
    "setitem": lambda w: w.__setitem__(0, 1.0),
    "data_copy_": lambda w: w.data.copy_(w.data * -1.0),
    "view_fill_": lambda w: w[3:5].fill_(0.125),
    "add_view": lambda w: w.view(-1)[::7].add_(1.0),
}


@pytest.mark.parametrize("name", sorted(WRITES))
@pytest.mark.parametrize("groups", [1, 4])
def test_weight_writes_between_calls_show(name, groups):
    xc, xt = both(RNG.standard_normal((2, 16, 12, 12)))
    wc, wt = both(RNG.standard_normal((16, 16 // groups, 3, 3)) * 0.2)
    for step in range(3):
        yc = ctorch.nn.functional.conv2d(xc, wc, None, padding=1, groups=groups)
        yt = torch.nn.functional.conv2d(xt, wt, None, padding=1, groups=groups)
        close(yc, yt)
        with ctorch.no_grad():
            WRITES[name](wc)
        with torch.no_grad():
            WRITES[name](wt)


def test_training_steps_match_torch():
    """A conv net trained for a few SGD steps: each step's update reaches the
    next forward and both gradients."""
    x = RNG.standard_normal((4, 3, 16, 16))
    w1 = RNG.standard_normal((16, 3, 3, 3)) * 0.3
    w2 = RNG.standard_normal((32, 16, 3, 3)) * 0.1
    b2 = RNG.standard_normal(32) * 0.1
    runs = []
    for m, (pw1, pw2, pb2, px) in ((ctorch, [both(a)[0] for a in (w1, w2, b2, x)]),
                                    (torch, [both(a)[1] for a in (w1, w2, b2, x)])):
        F = m.nn.functional
        ps = [p.requires_grad_() for p in (pw1, pw2, pb2)]
        opt = m.optim.SGD(ps, lr=0.05, momentum=0.9)
        outs = []
        for _ in range(4):
            opt.zero_grad()
            h = F.relu(F.conv2d(px, pw1, None, padding=1))
            y = F.conv2d(h, pw2, pb2, stride=2, padding=1, dilation=1)
            loss = (y * y).mean()
            loss.backward()
            outs.append([y.detach().numpy().copy()] + [p.grad.numpy().copy() for p in ps])
            opt.step()
        runs.append(outs)
    for sc, st in zip(*runs):
        for a, b in zip(sc, st):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 16, 10, 10), (3, 16, 7, 13), (1, 16, 20, 9)])
def test_same_weight_over_other_shapes(shape):
    wc, wt = both(RNG.standard_normal((24, 16, 3, 3)) * 0.2)
    for stride, dilation in ((1, 1), (2, 1), (1, 2)):
        xc, xt = both(RNG.standard_normal(shape))
        xc.requires_grad_()
        xt.requires_grad_()
        yc = ctorch.nn.functional.conv2d(xc, wc, None, stride=stride, padding=1, dilation=dilation)
        yt = torch.nn.functional.conv2d(xt, wt, None, stride=stride, padding=1, dilation=dilation)
        close(yc, yt)
        g = RNG.standard_normal(tuple(yt.shape))
        yc.backward(ctorch.tensor(g.astype(np.float32)))
        yt.backward(torch.tensor(g.astype(np.float32)))
        close(xc.grad, xt.grad)

