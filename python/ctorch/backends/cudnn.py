"""torch.backends.cudnn: conv2d and its gradients on CUDA tensors run through
cuDNN, which the library opens on the first GPU convolution (src/cuda/conv.c).
The flags are accepted and change nothing yet: the algorithm is the one
cuDNN's heuristics rank first, and float32 convolutions never use TF32."""
import ctypes

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True

_lib = None


def _load():
    global _lib
    if _lib is None:
        for name in ("libcudnn.so.9", "libcudnn.so"):
            try:
                _lib = ctypes.CDLL(name)
                break
            except OSError:
                _lib = False
    return _lib or None


def is_available():
    """True when a GPU is usable and cuDNN can be loaded."""
    from ctorch import cuda
    return bool(cuda.is_available() and _load())


def version():
    """cuDNN's version number (e.g. 90100), or None when it cannot be loaded."""
    lib = _load() if is_available() else None
    if lib is None:
        return None
    lib.cudnnGetVersion.restype = ctypes.c_size_t
    return int(lib.cudnnGetVersion())
