"""ctorch.save / ctorch.load in PyTorch's own file format, and safetensors.

Files are the zip archives torch.save writes (since PyTorch 1.6):
``<name>/data.pkl`` (pickle protocol 2), one ``<name>/data/<key>`` record per
storage, ``<name>/version``. A file written by torch.save loads here, and a
file written here loads in torch.load, with dtypes, shapes, strides, storage
sharing between views, requires_grad and nn.Parameter preserved.

The engine (src/io, include/ctorch/serialize.h) reads and writes the files;
this module only handles paths, file objects and arguments.

What can be saved: tensors and Parameters (CPU), None, bool, int (64-bit),
float, str, bytes, tuple, list, set, dict and OrderedDict (with the
``_metadata`` attribute of a state dict) -- what state dicts and optimizer
state dicts are made of. Other objects (whole modules, arbitrary classes) are
a TypeError: use their state_dict().

Loading never executes code from the file: the reader interprets only the
globals that tensors and state dicts need, like ``torch.load(...,
weights_only=True)``, and raises pickle.UnpicklingError naming any other.
So ``weights_only`` is accepted and always in effect.
"""
import io
import os

from ctorch import _C

__all__ = ["save", "load", "save_safetensors", "load_safetensors",
           "save_safetensors_bytes", "load_safetensors_bytes"]


def _make_param(t, requires_grad):
    try:
        from ctorch.nn import Parameter
    except ImportError:  # the nn package is not part of this build
        return t.requires_grad_(requires_grad) if requires_grad else t
    return Parameter(t, requires_grad)


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _path(f):
    p = os.fspath(f)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def save(obj, f, pickle_module=None, pickle_protocol=2,
         _use_new_zipfile_serialization=True):
    """Saves obj to f (a path or a writable binary file object) in PyTorch's
    zip format. The pickle inside always uses protocol 2 (what torch.save
    writes by default; every PyTorch version reads it); pickle_module is
    accepted for compatibility and not used (the engine writes the pickle)."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "ctorch.save writes only PyTorch's zip format "
            "(_use_new_zipfile_serialization=True)")
    if _is_path(f):
        _C._save(obj, _path(f))
        return
    if not hasattr(f, "write"):
        raise AttributeError(
            f"expected 'f' to be string, path, or a file-like object with a 'write' "
            f"attribute, got {type(f).__name__}")
    f.write(_C._save(obj, None))


def _device_is_cpu(loc):
    if loc is None:
        return True
    if isinstance(loc, dict):
        return all(_device_is_cpu(v) for v in loc.values())
    return str(loc).split(":")[0] == "cpu"


def _move(obj, device, memo):
    """obj with every tensor moved to device; containers rebuilt, identity kept."""
    key = id(obj)
    if key in memo:
        return memo[key]
    from ctorch import Tensor
    from collections import OrderedDict
    if isinstance(obj, Tensor):
        r = obj.to(device)
    elif isinstance(obj, (list, tuple, set)):
        r = type(obj)(_move(x, device, memo) for x in obj) if not isinstance(obj, list) \
            else [_move(x, device, memo) for x in obj]
    elif isinstance(obj, dict):
        r = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for k, v in obj.items():
            r[k] = _move(v, device, memo)
        if hasattr(obj, "__dict__"):
            r.__dict__.update(obj.__dict__)
    else:
        r = obj
    memo[key] = r
    return r


def load(f, map_location=None, pickle_module=None, *, weights_only=True, **pickle_load_args):
    """Loads an object saved by torch.save or ctorch.save from f (a path or a
    readable binary file object). Tensors land on the CPU; map_location may
    name another device (a str, a ctorch.device, or a dict of location
    strings to devices), to which tensors are then moved. Only the objects
    tensors and state dicts are made of are accepted (see the module doc):
    anything else raises pickle.UnpicklingError, whatever weights_only says."""
    if callable(map_location) and not isinstance(map_location, dict):
        raise NotImplementedError(
            "ctorch.load: a callable map_location is not supported (ctorch has no "
            "storage objects); pass a device or a dict of locations")
    if _is_path(f):
        p = _path(f)
        if not os.path.exists(p):
            raise FileNotFoundError(2, "No such file or directory", p)
        obj = _C._load(p, _make_param)
    else:
        if not hasattr(f, "read"):
            raise AttributeError(
                f"expected 'f' to be string, path, or a file-like object with a 'read' "
                f"attribute, got {type(f).__name__}")
        data = f.getbuffer() if isinstance(f, io.BytesIO) else f.read()
        obj = _C._load(data, _make_param)
    if not _device_is_cpu(map_location):
        dev = map_location
        if isinstance(dev, dict):
            targets = {str(v) for v in dev.values()}
            if len(targets) != 1:
                raise NotImplementedError(
                    "ctorch.load: a map_location dict must map every location to one device")
            dev = targets.pop()
        obj = _move(obj, dev, {})
    return obj


# ------------------------------------------------------------------ safetensors
def save_safetensors_bytes(tensors, metadata=None):
    """The safetensors file of a dict {name: tensor} (and optional
    {str: str} metadata) as bytes; safetensors.torch.save's counterpart."""
    return _C._save_safetensors(tensors, metadata, None)


def save_safetensors(tensors, filename, metadata=None):
    """Writes a dict {name: tensor} to a .safetensors file (tensors are
    written contiguous; names must be unique strings)."""
    _C._save_safetensors(tensors, metadata, _path(filename))


def load_safetensors_bytes(data, with_metadata=False):
    """Tensors of a safetensors file given as bytes, in a dict; with
    with_metadata=True, (dict, metadata dict)."""
    t, m = _C._load_safetensors(data)
    return (t, m) if with_metadata else t


def load_safetensors(filename, device="cpu", with_metadata=False):
    """Tensors of a .safetensors file, in a dict {name: tensor} (in the
    file's order); with with_metadata=True, (dict, metadata dict)."""
    p = _path(filename)
    if not os.path.exists(p):
        raise FileNotFoundError(2, "No such file or directory", p)
    t, m = _C._load_safetensors(p)
    if not _device_is_cpu(device):
        t = {k: v.to(device) for k, v in t.items()}
    return (t, m) if with_metadata else t
