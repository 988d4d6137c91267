"""ctorch.save / ctorch.load against Debian's torch 1.13, both directions:
files written by torch.save load in ctorch with the same values, dtypes,
shapes, strides and storage sharing, and files written by ctorch.save load
in torch.load. Also safetensors (checked against a reference reader/writer
written here from the format's description) and hostile files."""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

import ctorch

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]


def tvals(t):
    """Values of a torch or ctorch tensor as a float64 numpy array (bfloat16 too)."""
    if str(t.dtype) in ("torch.bfloat16", "torch.float16"):
        t = t.float()
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def same(c, t):
    assert str(c.dtype) == str(t.dtype)
    assert tuple(c.shape) == tuple(t.shape)
    assert tuple(c.stride()) == tuple(t.stride())
    assert c.storage_offset() == t.storage_offset()
    assert c.requires_grad == t.requires_grad
    np.testing.assert_array_equal(tvals(c), tvals(t))


def torch_sample(dt):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(4, 5, generator=g) * 50
    return x.to(getattr(torch, dt)) if dt != "bool" else x > 0


def torch_bytes(obj, **kw):
    b = io.BytesIO()
    torch.save(obj, b, **kw)
    return b.getvalue()


def ctorch_bytes(obj):
    b = io.BytesIO()
    ctorch.save(obj, b)
    return b.getvalue()


def storage_base(t, mod):
    """Address of a tensor's storage start, in either framework."""
    return t.data_ptr() - t.storage_offset() * t.element_size() if mod is ctorch \
        else t.storage().data_ptr()


# ------------------------------------------------------------------ torch -> ctorch
@pytest.mark.parametrize("dt", DTYPES)
def test_torch_file_loads_in_ctorch_every_dtype_and_view(dt):
    x = torch_sample(dt)
    objs = [x, x.t(), x[1:, ::2], x[2], x[:1].expand(3, 5), torch.empty(0, 3).to(x.dtype),
            x[0, 0].clone()]
    got = ctorch.load(io.BytesIO(torch_bytes(objs)))
    assert isinstance(got, list) and len(got) == len(objs)
    for c, t in zip(got, objs):
        same(c, t)
    base = storage_base(got[0], ctorch)
    assert all(storage_base(c, ctorch) == base for c in got[1:5])
    assert storage_base(got[5], ctorch) != base


def test_torch_state_dict_and_metadata_load_in_ctorch(tmp_path):
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(4, 2))
    sd = m.state_dict()
    p = tmp_path / "model.pth"
    torch.save(sd, p)
    got = ctorch.load(p)  # a pathlib.Path
    assert isinstance(got, collections.OrderedDict)
    assert list(got) == list(sd)
    for k in sd:
        same(got[k], sd[k])
    assert got._metadata == sd._metadata
    # and back: torch loads ctorch's file into a fresh model
    q = tmp_path / "again.pth"
    ctorch.save(got, str(q))
    m2 = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(4, 2))
    sd2 = torch.load(q)
    assert sd2._metadata == sd._metadata
    m2.load_state_dict(sd2)
    for k, v in m2.state_dict().items():
        assert torch.equal(v, sd[k])
    # torch's own restricted loader accepts the file too
    sd3 = torch.load(q, weights_only=True)
    assert all(torch.equal(sd3[k], sd[k]) for k in sd)


def test_torch_optimizer_state_dict_round_trips():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99), amsgrad=True)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    got = ctorch.load(io.BytesIO(torch_bytes(sd)))
    assert got["param_groups"][0]["betas"] == (0.8, 0.99)
    assert got["param_groups"][0]["params"] == [0, 1]
    assert got["param_groups"][0]["foreach"] is None
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            same(got["state"][i][k], v)
    back = torch.load(io.BytesIO(ctorch_bytes(got)))
    opt2 = torch.optim.Adam(model.parameters())
    opt2.load_state_dict(back)
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            assert torch.equal(opt2.state_dict()["state"][i][k], v)


def test_torch_parameters_and_requires_grad():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    q = torch.nn.Parameter(torch.tensor([3.0]), requires_grad=False)
    r = torch.tensor([4.0], requires_grad=True)
    got = ctorch.load(io.BytesIO(torch_bytes({"p": p, "q": q, "r": r, "p2": p})))
    assert got["p"].requires_grad and not got["q"].requires_grad and got["r"].requires_grad
    assert got["p2"] is got["p"]
    try:
        from ctorch.nn import Parameter
    except ImportError:
        return
    assert isinstance(got["p"], Parameter) and isinstance(got["q"], Parameter)
    assert not isinstance(got["r"], Parameter)


# ------------------------------------------------------------------ ctorch -> torch
def ctorch_sample(dt):
    x = ctorch.tensor(torch_sample(dt).float().numpy().tolist())
    return x.to(getattr(ctorch, dt)) if dt != "bool" else x > 0


@pytest.mark.parametrize("dt", DTYPES)
def test_ctorch_file_loads_in_torch_every_dtype_and_view(dt):
    x = ctorch_sample(dt)
    objs = [x, x.t(), x[1:, ::2], x[2], x[:1].expand(3, 5), ctorch.empty(0, 3).to(x.dtype),
            x[0, 0].clone()]
    got = torch.load(io.BytesIO(ctorch_bytes(objs)))
    for t, c in zip(got, objs):
        same(c, t)
    base = storage_base(got[0], torch)
    assert all(storage_base(t, torch) == base for t in got[1:5])
    assert storage_base(got[5], torch) != base


def test_ctorch_parameter_subclass_loads_as_torch_parameter():
    class Parameter(ctorch.Tensor):  # what ctorch.nn.Parameter is
        def __new__(cls, data, requires_grad=True):
            return ctorch.Tensor._make_subclass(cls, data, requires_grad)
    w = Parameter(ctorch.tensor([1.0, 2.0]))
    got = torch.load(io.BytesIO(ctorch_bytes({"w": w, "also": w, "x": ctorch.ones(2)})))
    assert isinstance(got["w"], torch.nn.Parameter) and got["w"].requires_grad
    assert got["also"] is got["w"]
    assert type(got["x"]) is torch.Tensor and not got["x"].requires_grad
    assert got["w"].tolist() == [1.0, 2.0]


def test_nested_containers_both_ways():
    obj = {"none": None, "t": True, "f": False, "i": -(2 ** 63), "j": 2 ** 40, "k": 300,
           "fl": 1.5e-300, "nan": float("inf"), "s": "héllo ✓", "b": b"\x00\xffabc", "e": b"",
           "tup": (1, (2, 3), [4, {"x": 5}]), "lst": [1.0, "a", None], "set": {1, 2, "z"},
           7: "int key", (1, "a"): "tuple key", "empty": {}, "od": collections.OrderedDict(b=1, a=2)}
    from_torch = ctorch.load(io.BytesIO(torch_bytes(obj)))
    assert from_torch == obj
    assert isinstance(from_torch["od"], collections.OrderedDict)
    from_ctorch = torch.load(io.BytesIO(ctorch_bytes(obj)))
    assert from_ctorch == obj
    assert list(from_ctorch) == list(obj)
    assert isinstance(from_ctorch["od"], collections.OrderedDict)
    shared = [1, 2]
    twice = torch.load(io.BytesIO(ctorch_bytes({"a": shared, "b": shared})))
    assert twice["a"] is twice["b"]


def test_paths_file_objects_and_archive_names(tmp_path):
    x = ctorch.arange(5).float()
    p = tmp_path / "weights.pt"
    ctorch.save(x, p)
    assert zipfile.ZipFile(p).namelist() == ["weights/data.pkl", "weights/data/0", "weights/version"]
    with open(p, "rb") as f:
        assert ctorch.load(f).tolist() == [0, 1, 2, 3, 4]
    with open(tmp_path / "w2.pt", "wb") as f:
        ctorch.save({"x": x}, f)
    assert torch.load(tmp_path / "w2.pt")["x"].tolist() == [0, 1, 2, 3, 4]
    # records are 64-byte aligned as PyTorch writes them
    data = p.read_bytes()
    for info in zipfile.ZipFile(p).infolist():
        hdr = info.header_offset
        nlen, xlen = struct.unpack("<HH", data[hdr + 26:hdr + 30])
        assert (hdr + 30 + nlen + xlen) % 64 == 0
    with pytest.raises(FileNotFoundError):
        ctorch.load(tmp_path / "missing.pt")
    assert ctorch.load(p, map_location="cpu").tolist() == [0, 1, 2, 3, 4]
    assert ctorch.load(p, map_location={"cuda:0": "cpu"}).tolist() == [0, 1, 2, 3, 4]


def test_deflated_and_zip64_archives_load():
    src = torch_bytes({"w": torch.arange(1000, dtype=torch.float64).reshape(10, 100).t()})
    for kw in ({"compression": zipfile.ZIP_DEFLATED}, {}):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", **kw) as zout:
            for info in zin.infolist():
                with zout.open(info.filename, "w", force_zip64=not kw) as f:
                    f.write(zin.read(info.filename))
        got = ctorch.load(io.BytesIO(out.getvalue()))
        same(got["w"], torch.arange(1000, dtype=torch.float64).reshape(10, 100).t())


def test_save_rejects_unsupported_objects():
    with pytest.raises(TypeError, match="cannot save an object of type"):
        ctorch.save(object(), io.BytesIO())
    with pytest.raises(TypeError):
        ctorch.save(torch.nn.Linear(2, 2), io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="recursive"):
        ctorch.save(loop, io.BytesIO())
    with pytest.raises(OverflowError):
        ctorch.save(2 ** 70, io.BytesIO())
    with pytest.raises(NotImplementedError):
        ctorch.save([], io.BytesIO(), _use_new_zipfile_serialization=False)


# ------------------------------------------------------------------ hostile files
class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ctorch_pwned",))


def test_loading_never_executes_code(tmp_path):
    if os.path.exists("/tmp/ctorch_pwned"):
        os.remove("/tmp/ctorch_pwned")
    data = torch_bytes({"x": torch.ones(2), "evil": Evil()})
    with pytest.raises(pickle.UnpicklingError, match="unsupported global 'posix.system'"):
        ctorch.load(io.BytesIO(data))
    assert not os.path.exists("/tmp/ctorch_pwned")
    data = torch_bytes(torch.nn.Linear(2, 2))  # a whole module: classes outside the set
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        ctorch.load(io.BytesIO(data))


def test_corrupt_files_raise_clean_errors():
    good = torch_bytes({"w": torch.arange(64, dtype=torch.float32)})
    for n in range(0, len(good), 37):
        with pytest.raises((RuntimeError, pickle.UnpicklingError)):
            ctorch.load(io.BytesIO(good[:n]))
    rng = np.random.default_rng(0)
    for _ in range(300):
        b = bytearray(good)
        for pos in rng.integers(0, len(b), 3):
            b[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            ctorch.load(io.BytesIO(bytes(b)))
        except (RuntimeError, pickle.UnpicklingError):
            pass
    legacy = torch_bytes(torch.ones(2), _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        ctorch.load(io.BytesIO(legacy))


# ------------------------------------------------------------------ safetensors
ST = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
      "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def ref_read(data):
    """A reference safetensors reader from the format's description."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    out = {}
    for k, info in header.items():
        b, e = info["data_offsets"]
        out[k] = (info["dtype"], info["shape"], body[b:e])
    return out, meta


def ref_write(arrays, meta=None):
    header, body = {}, b""
    if meta:
        header["__metadata__"] = meta
    for k, (dt, a) in arrays.items():
        raw = a.tobytes()
        header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + body


def test_safetensors_written_by_ctorch_match_the_format(tmp_path):
    x = ctorch.arange(12).reshape(3, 4).float()
    tensors = {"a.weight": x.t(), "b": x[1].to(ctorch.float16), "c": ctorch.tensor([True, False]),
               "d": ctorch.tensor(7, dtype=ctorch.int64), "z": ctorch.empty(0, 2).double()}
    p = tmp_path / "m.safetensors"
    ctorch.safetensors.save_file(tensors, p, metadata={"format": "pt"})
    got, meta = ref_read(p.read_bytes())
    assert meta == {"format": "pt"}
    assert set(got) == set(tensors)
    for k, t in tensors.items():
        dt, shape, raw = got[k]
        assert shape == list(t.shape)
        a = np.frombuffer(raw, dtype=ST[dt]).reshape(shape)
        np.testing.assert_array_equal(a.astype(np.float64), tvals(t))
    assert (8 + struct.unpack("<Q", p.read_bytes()[:8])[0]) % 8 == 0
    back = ctorch.safetensors.load_file(p)
    for k, t in tensors.items():
        np.testing.assert_array_equal(tvals(back[k]), tvals(t))
        assert str(back[k].dtype) == str(t.dtype)


def test_safetensors_written_by_reference_load_in_ctorch():
    rng = np.random.default_rng(1)
    arrays = {n: (dt, (rng.standard_normal((2, 3)) * 20).astype(ST[dt])) for n, dt in
              [("f", "F32"), ("d", "F64"), ("h", "F16"), ("l", "I64"), ("i", "I32"), ("s", "I16"),
               ("c", "I8"), ("u", "U8"), ("b", "BOOL")]}
    arrays["bf"] = ("BF16", np.array([0x3FC0, 0xC040], dtype=np.uint16))  # 1.5, -3.0
    arrays["q\"\\é"] = ("F32", np.zeros((0,), np.float32))
    data = ref_write(arrays, {"k": "v\n\u00e9"})
    got = ctorch.safetensors.load(data)
    t, meta = ctorch.serialization.load_safetensors_bytes(data, with_metadata=True)
    assert meta == {"k": "v\n\u00e9"}
    for n, (dt, a) in arrays.items():
        if dt == "BF16":
            assert got[n].float().tolist() == [1.5, -3.0]
            continue
        np.testing.assert_array_equal(tvals(got[n]), a.astype(np.float64))
        assert got[n].dtype == {"F32": ctorch.float32, "F64": ctorch.float64, "F16": ctorch.float16,
                                "I64": ctorch.int64, "I32": ctorch.int32, "I16": ctorch.int16,
                                "I8": ctorch.int8, "U8": ctorch.uint8, "BOOL": ctorch.bool}[dt]


def test_safetensors_hostile_headers():
    good = ref_write({"x": ("F32", np.ones(4, np.float32))})
    for n in range(0, len(good) - 1, 5):
        with pytest.raises(RuntimeError, match="safetensors"):
            ctorch.safetensors.load(good[:n])
    bad = [
        struct.pack("<Q", 2 ** 62) + b"{}",
        ref_write({"x": ("F32", np.ones(4, np.float32))})[:-4],
        ref_write({"x": ("U16", np.ones(4, np.uint16))}),
        ref_write({"x": ("F32", np.ones(4, np.float32))}).replace(b"[0, 16]", b"[0, 12]"),
        ref_write({"x": ("F32", np.ones(4, np.float32))}).replace(b"[4]", b"[9999999999999999]"),
        struct.pack("<Q", 8) + b'{"x":[1]' + b"",
        struct.pack("<Q", 16) + b'{"x":{"dtype":1}',
    ]
    for b in bad:
        with pytest.raises(RuntimeError, match="safetensors"):
            ctorch.safetensors.load(b)
    with pytest.raises(TypeError):
        ctorch.safetensors.save({"x": [1, 2]})


# ------------------------------------------------------------------ ctorch modules and optimizers
def _has(modname):
    try:
        __import__(modname)
        return True
    except ImportError:
        return False


@pytest.mark.skipif(not _has("ctorch.nn") or not hasattr(ctorch.nn, "Linear"), reason="nn not merged")
def test_ctorch_module_state_dict_moves_both_ways():
    def build(m):
        return m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.Linear(4, 2))
    cm, tm = build(ctorch), build(torch)
    # ctorch -> torch
    tm.load_state_dict(torch.load(io.BytesIO(ctorch_bytes(cm.state_dict()))))
    for k, v in cm.state_dict().items():
        np.testing.assert_array_equal(tm.state_dict()[k].numpy(), v.numpy())
    # torch -> ctorch, and whole parameters keep their class
    tm2 = build(torch)
    cm.load_state_dict(ctorch.load(io.BytesIO(torch_bytes(tm2.state_dict()))))
    for k, v in tm2.state_dict().items():
        np.testing.assert_array_equal(cm.state_dict()[k].numpy(), v.numpy())
    params = ctorch.load(io.BytesIO(torch_bytes(list(tm2.parameters()))))
    assert all(isinstance(p, ctorch.nn.Parameter) and p.requires_grad for p in params)
    back = torch.load(io.BytesIO(ctorch_bytes(list(cm.parameters()))))
    assert all(isinstance(p, torch.nn.Parameter) for p in back)


@pytest.mark.skipif(not _has("ctorch.optim"), reason="optim not merged")
def test_ctorch_optimizer_state_dict_loads_in_torch():
    cm = ctorch.nn.Linear(3, 2)
    tm = torch.nn.Linear(3, 2)
    tm.load_state_dict(torch.load(io.BytesIO(ctorch_bytes(cm.state_dict()))))
    copt = ctorch.optim.Adam(cm.parameters(), lr=0.01)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    cm(ctorch.tensor(x.tolist())).sum().backward()
    copt.step()
    sd = torch.load(io.BytesIO(ctorch_bytes(copt.state_dict())))
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    topt.load_state_dict(sd)
    assert topt.state_dict()["param_groups"][0]["lr"] == 0.01
    for i, st in copt.state_dict()["state"].items():
        for k, v in st.items():
            got = topt.state_dict()["state"][i][k]
            np.testing.assert_array_equal(np.asarray(got), np.asarray(v.numpy() if hasattr(v, "numpy") else v))
