"""ctorch: a PyTorch-class deep learning framework with an engine in C.

`import ctorch as torch` runs ordinary PyTorch code. Everything computes in
the C extension ctorch._C; this file only names things.

dtype objects print as "torch.float32" (PyTorch's spelling, so that code
comparing str(x.dtype) and tensor reprs read the same under both).
"""
from ctorch import _C
from ctorch._C import *  # noqa: F401,F403  (tensor, zeros, add, ... and the dtypes)
from ctorch._C import Tensor, Size, dtype, device, _rebuild_tensor  # noqa: F401

__version__ = "0.1.0"

from ctorch import version, cuda, autograd, linalg, backends  # noqa: E402,F401
from ctorch.autograd import no_grad, enable_grad, set_grad_enabled, inference_mode  # noqa: E402,F401
is_inference_mode_enabled = _C.is_inference_mode_enabled
from ctorch._tensor_types import (  # noqa: E402,F401
    FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor,
    ShortTensor, CharTensor, ByteTensor, BoolTensor)

bool = _C.bool  # noqa: A001  (shadowed on purpose, as in torch)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def save(obj, f, *args, **kwargs):
    from ctorch.serialization import save as _save
    return _save(obj, f, *args, **kwargs)


def load(f, *args, **kwargs):
    from ctorch.serialization import load as _load
    return _load(f, *args, **kwargs)


# Submodules imported on first use, so that `import ctorch` stays fast.
_LAZY = ("nn", "optim", "utils", "serialization", "safetensors", "vision")


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module("ctorch." + name)
    raise AttributeError(f"module 'ctorch' has no attribute '{name}'")
