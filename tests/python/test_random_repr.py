"""Random streams and reprs are PyTorch's own: same seed, same numbers;
same tensor, same text."""
import numpy as np
import pytest
import torch

import ctorch
from conftest import has_op


@pytest.mark.skipif(not hasattr(ctorch, "manual_seed"), reason="random ops not merged yet")
def test_manual_seed_reproduces_torch_streams():
    for f in [lambda m: m.rand(5), lambda m: m.randn(3, 2, dtype=m.float64), lambda m: m.randint(0, 10, (6,)),
              lambda m: m.randperm(7)]:
        torch.manual_seed(123)
        ctorch.manual_seed(123)
        w, g = f(torch), f(ctorch)
        assert str(g.dtype) == str(w.dtype)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)
    g = ctorch.Generator().manual_seed(5)
    a = ctorch.rand(3, generator=g)
    g.manual_seed(5)
    assert ctorch.rand(3, generator=g).tolist() == a.tolist()
    st = ctorch.get_rng_state()
    x = ctorch.randn(4)
    ctorch.set_rng_state(st)
    assert ctorch.randn(4).tolist() == x.tolist()


@pytest.mark.skipif(not hasattr(ctorch, "manual_seed"), reason="random ops not merged yet")
def test_in_place_samplers_are_bound():
    x = ctorch.empty(1000)
    assert x.uniform_(2, 3) is x and 2 <= x.min().item() and x.max().item() < 3
    x.normal_(0, 1)
    x.exponential_()
    x.bernoulli_(0.5)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    x.random_(0, 4)
    assert set(x.unique().tolist()) <= {0.0, 1.0, 2.0, 3.0}
    assert ctorch.multinomial(ctorch.tensor([0.0, 1.0]), 3, replacement=True).tolist() == [1, 1, 1]


REPRS = [
    lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]]),
    lambda m: m.tensor([1e-8, 1e5, 3.0]),
    lambda m: m.tensor([1, -2, 300]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor(2.5),
    lambda m: m.zeros(2, 3, dtype=m.float64),
    lambda m: m.tensor([1.5, 2.25], dtype=m.float16),
    lambda m: m.tensor([], dtype=m.int32),
    lambda m: m.zeros(0, 3),
    lambda m: m.ones(3, requires_grad=True),
    lambda m: m.tensor([float("nan"), float("inf"), -1.0]),
    lambda m: m.tensor(list(range(2000))).reshape(40, 50).float(),
    lambda m: m.tensor([[[1, 2]], [[3, 4]]], dtype=m.int8),
]


@pytest.mark.skipif(not hasattr(ctorch._C, "set_printoptions"), reason="printer (factory family) not merged yet")
@pytest.mark.parametrize("k", range(len(REPRS)))
def test_repr_is_torch_repr(k):
    assert repr(REPRS[k](ctorch)) == repr(REPRS[k](torch))
    assert str(REPRS[k](ctorch)) == str(REPRS[k](torch))


@pytest.mark.skipif(not hasattr(ctorch._C, "set_printoptions"), reason="printer (factory family) not merged yet")
def test_set_printoptions():
    try:
        ctorch.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(ctorch.tensor([1.23456])) == repr(torch.tensor([1.23456]))
    finally:
        ctorch.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
