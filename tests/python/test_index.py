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


@st.composite
def advanced_index(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    items = []
    for d, size in enumerate(shape):
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["list", "tensor", "slice", "int", "mask"]))
            if kind == "list":
                items.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3)))
            elif kind == "tensor":
                items.append(np.array(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3))))
            elif kind == "mask":
                items.append(np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
            elif kind == "int":
                items.append(draw(st.integers(-size, size - 1)))
            else:
                items.append(slice(None, None, draw(st.integers(1, 2))))
        else:
            items.append(slice(None))
    return shape, tuple(items)


def to_index(mod, idx):
    out = []
    for it in idx:
        out.append(mod.from_numpy(it) if isinstance(it, np.ndarray) else it)
    return tuple(out)


@pytest.mark.skipif(not hasattr(ctorch, "index_select"), reason="index family not merged yet")
@settings(max_examples=60, deadline=None)
@given(advanced_index())
def test_advanced_getitem_and_setitem_match_torch(case):
    import torch
    shape, idx = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    try:
        want = torch.from_numpy(a.copy())[to_index(torch, idx)]
    except (IndexError, RuntimeError) as e:
        with pytest.raises(type(e)):
            ctorch.from_numpy(a.copy())[to_index(ctorch, idx)]
        return
    got = ctorch.from_numpy(a.copy())[to_index(ctorch, idx)]
    assert tuple(got.shape) == tuple(want.shape)
    assert got.tolist() == want.tolist()
    tw, tg = torch.from_numpy(a.copy()), ctorch.from_numpy(a.copy())
    tw[to_index(torch, idx)] = -1.0
    tg[to_index(ctorch, idx)] = -1.0
    assert tg.tolist() == tw.tolist()


@pytest.mark.skipif(not hasattr(ctorch, "index_select"), reason="index family not merged yet")
def test_mask_and_list_indexing():
    x = ctorch.arange(6).reshape(2, 3)
    assert x[ctorch.tensor([[False, False, False], [True, True, True]])].tolist() == [3, 4, 5]
    x[ctorch.tensor([[False, False, False], [False, True, True]])] = 0
    assert x.tolist() == [[0, 1, 2], [3, 0, 0]]
    assert x[[1, 0]].tolist() == [[3, 0, 0], [0, 1, 2]]
    assert x[:, [2, 0]].tolist() == [[2, 0], [0, 3]]
    assert x[True].shape == (1, 2, 3)
