"""__getitem__/__setitem__ against NumPy (property tests) and torch."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ctorch


@st.composite
def basic_index(draw):
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=4))
    items = []
    dims = len(shape)
    used = 0
    ellipsis = False
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        if kind == "none":
            items.append(None)
        elif kind == "ellipsis" and not ellipsis:
            items.append(Ellipsis)
            ellipsis = True
        elif used < dims and kind in ("int", "slice"):
            size = shape[used] if not ellipsis else shape[dims - 1 - 0]
            if kind == "int" and size > 0 and not ellipsis:
                items.append(draw(st.integers(-size, size - 1)))
            else:
                items.append(slice(draw(st.none() | st.integers(-6, 6)),
                                   draw(st.none() | st.integers(-6, 6)),
                                   draw(st.none() | st.integers(1, 3))))
            used += 1
    idx = tuple(items) if draw(st.booleans()) or len(items) != 1 else items[0]
    return shape, idx


@settings(max_examples=60, deadline=None)
@given(basic_index())
def test_basic_getitem_matches_numpy(case):
    shape, idx = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    t = ctorch.from_numpy(a.copy())
    want = a[idx]
    got = t[idx]
    assert tuple(got.shape) == want.shape
    assert got.tolist() == want.tolist()


@settings(max_examples=40, deadline=None)
@given(basic_index(), st.integers(-5, 5))
def test_basic_setitem_matches_numpy(case, value):
    shape, idx = case
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    t = ctorch.from_numpy(a.copy())
    a[idx] = value
    t[idx] = value
    assert t.tolist() == a.tolist()


def test_getitem_returns_views():
    t = ctorch.zeros(3, 4)
    v = t[1:, ::2]
    v[0, 1] = 5
    assert t[1, 2].item() == 5
    r = t[1]
    r[:] = 2
    assert t[1].tolist() == [2, 2, 2, 2]


def test_setitem_broadcasts_tensors_and_lists():
    t = ctorch.zeros(2, 3)
    t[:, 1:] = ctorch.tensor([7.0, 8.0])
    t[0] = [1, 2, 3]
    assert t.tolist() == [[1, 2, 3], [0, 7, 8]]


def test_index_errors_match_torch():
    import torch
    for f in [lambda x: x[3], lambda x: x[0, 0, 0], lambda x: x[-4]]:
        with pytest.raises(IndexError):
            f(torch.zeros(3, 2))
        with pytest.raises(IndexError):
            f(ctorch.zeros(3, 2))
    with pytest.raises(ValueError):
        ctorch.zeros(3)[::-1]
    with pytest.raises(ValueError):
        torch.zeros(3)[::-1]
