"""Zero-copy NumPy, buffer protocol and DLPack, both directions."""
import gc

import numpy as np
import pytest

import ctorch

NP_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8,
             np.bool_]


@pytest.mark.parametrize("npdt", NP_DTYPES)
def test_from_numpy_shares_memory_both_ways(npdt):
    a = (np.arange(12) % 3).astype(npdt).reshape(3, 4)
    t = ctorch.from_numpy(a)
    assert str(t.dtype) == "torch." + {np.bool_: "bool"}.get(npdt, np.dtype(npdt).name)
    assert t.tolist() == a.tolist()
    t[1, 2] = 1
    assert a[1, 2] == 1
    a[0, 0] = 1
    assert t[0, 0].item() == 1


def test_from_numpy_keeps_strides_and_rejects_negative_ones():
    a = np.arange(24.0).reshape(4, 6)[::2, 1::3]
    t = ctorch.from_numpy(a)
    assert t.tolist() == a.tolist()
    assert t.stride() == tuple(s // 8 for s in a.strides)
    with pytest.raises(ValueError):
        ctorch.from_numpy(a[::-1])
    with pytest.raises(TypeError):
        ctorch.from_numpy([1, 2])


def test_from_numpy_keeps_the_array_alive():
    t = ctorch.from_numpy(np.arange(5.0))
    gc.collect()
    assert t.tolist() == [0, 1, 2, 3, 4]


def test_numpy_shares_memory_and_keeps_the_tensor_alive():
    t = ctorch.zeros(2, 3)
    a = t.numpy()
    a[1, 1] = 7
    assert t[1, 1].item() == 7
    t[0, 2] = 3
    assert a[0, 2] == 3
    del t
    gc.collect()
    assert a.sum() == 10
    v = ctorch.tensor([[1, 2, 3], [4, 5, 6]], dtype=ctorch.int16).t()
    assert v.numpy().tolist() == [[1, 4], [2, 5], [3, 6]] and v.numpy().dtype == np.int16


def test_numpy_refuses_tensors_that_require_grad():
    x = ctorch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [0, 0]


def test_array_protocol_and_buffer_protocol():
    t = ctorch.tensor([[1.5, 2.0]], dtype=ctorch.float64)
    assert np.asarray(t).dtype == np.float64 and np.asarray(t).tolist() == [[1.5, 2.0]]
    assert np.array(t, dtype=np.float32).dtype == np.float32
    m = memoryview(t)
    assert m.format == "d" and m.shape == (1, 2) and m.strides == (16, 8)
    m[0, 1] = 9.0
    assert t[0, 1].item() == 9.0
    mt = memoryview(ctorch.zeros(2, 3).t())
    assert mt.strides == (4, 12)
    with pytest.raises(TypeError):
        memoryview(ctorch.zeros(2, dtype=ctorch.bfloat16))


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8"])
def test_dlpack_round_trips_through_numpy(dt):
    t = ctorch.tensor([[1, 2, 3], [4, 5, 6]], dtype=getattr(ctorch, dt))[:, 1:]
    a = np.from_dlpack(t)
    assert a.tolist() == t.tolist()
    t[0, 0] = 0  # numpy marks DLPack imports read-only; write through the tensor
    assert a[0, 0] == 0
    w = a.copy()  # numpy re-exports only writable arrays
    back = ctorch.from_dlpack(w)
    assert back.tolist() == a.tolist() and back.dtype is t.dtype
    back[1, 1] = 1
    assert w[1, 1] == 1
    assert t.__dlpack_device__() == (1, 0)


def test_dlpack_capsule_consumed_once_and_freed_if_unused():
    t = ctorch.ones(3)
    cap = t.__dlpack__()
    u = ctorch.from_dlpack(cap)
    assert u.tolist() == [1, 1, 1]
    with pytest.raises(RuntimeError):
        ctorch.from_dlpack(cap)
    t.__dlpack__()  # dropped without a consumer: its destructor frees it
    gc.collect()


def test_torch_reads_ctorch_through_dlpack_and_numpy():
    import torch
    t = ctorch.tensor([1.0, 2.0, 3.0])
    tt = torch.from_dlpack(t)
    tt[0] = 10
    assert t[0].item() == 10
    assert torch.from_numpy(t.numpy()).tolist() == [10, 2, 3]
