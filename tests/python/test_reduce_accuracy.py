"""Accuracy of ctorch's float32 sum and mean (a float-lane cascade, see
src/kernels/cpu/reduce.c) against PyTorch's on the same 16M values: the
error relative to a float64 reference is no worse than torch.sum's."""
import numpy as np
import torch

import ctorch


def _errors(v):
    """|error| of ctorch's and torch's sum and mean of v (float32)."""
    ref = float(np.sum(v.numpy(), dtype=np.float64))  # pairwise in double
    n = v.numel()
    c = ctorch.from_numpy(v.numpy())
    return np.array([abs(c.sum().item() - ref), abs(v.sum().item() - ref),
                     abs(c.mean().item() - ref / n), abs(v.mean().item() - ref / n)])


def test_sum_16M_varied_magnitudes_no_worse_than_torch():
    # Magnitudes over ~8 decades, random signs. Both results are rounded to
    # float32, so a single data set can go either way by an ulp; summed over
    # three data sets ctorch's error must not exceed torch's (a numpy
    # simulation of both cascades gives ~4x smaller errors for ctorch).
    g = torch.Generator().manual_seed(0)
    n = 1 << 24
    tot = np.zeros(4)
    for _ in range(3):
        v = (torch.rand(n, generator=g) * 2 - 1) * torch.exp(torch.randn(n, generator=g) * 3)
        tot += _errors(v)
    assert tot[0] <= tot[1], tot
    assert tot[2] <= tot[3], tot


def test_sum_of_a_constant_no_worse_than_torch():
    # equal terms: rounding errors do not cancel, the worst case of a cascade
    e = _errors(torch.full((1 << 24,), 0.1))
    assert e[0] <= e[1] and e[2] <= e[3], e


def test_column_sums_no_worse_than_torch():
    # float32 column sums fold 16 rows in float before adding in double
    # (reduce.c: colsum_f32); shapes with many, few and a handful of columns
    g = torch.Generator().manual_seed(1)
    for shape in ((2048, 2048), (16384, 64), (50000, 3)):
        ec = et = 0.0
        for _ in range(2):
            v = (torch.rand(*shape, generator=g) * 2 - 1) * torch.exp(torch.randn(*shape, generator=g) * 3)
            ref = v.double().sum(0)
            c = torch.from_numpy(ctorch.from_numpy(v.numpy()).sum(0).numpy())
            ec += (c.double() - ref).abs().sum().item()
            et += (v.sum(0).double() - ref).abs().sum().item()
        assert ec <= et, (shape, ec, et)
        w = torch.full(shape, 0.1)
        ref = w.double().sum(0)
        c = torch.from_numpy(ctorch.from_numpy(w.numpy()).sum(0).numpy())
        assert (c.double() - ref).abs().max() <= (w.sum(0).double() - ref).abs().max(), shape
