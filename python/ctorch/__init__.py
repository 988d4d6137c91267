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

from ctorch import version, cuda, autograd, linalg  # noqa: E402,F401
from ctorch import optim  # noqa: E402,F401
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


from ctorch import serialization, safetensors  # noqa: E402,F401
from ctorch.serialization import save, load  # noqa: E402,F401
from ctorch import utils  # noqa: E402,F401  (ctorch.utils.data)


def __getattr__(name):
    # ctorch.nn is imported on first use: `import ctorch` stays fast
    if name == "nn":
        import importlib
        return importlib.import_module("ctorch.nn")
    raise AttributeError(f"module 'ctorch' has no attribute '{name}'")
