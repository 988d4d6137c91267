"""torch.cuda's API over the C engine's CUDA layer (include/ctorch/cuda.h).

Answers truthfully in every build: a CPU-only build raises "Torch not
compiled with CUDA enabled" where torch does, and a CUDA build on a machine
without a GPU reports is_available() False.
"""
from ctorch import _C


def is_available():
    return _C._cuda_is_available()


def device_count():
    return _C._cuda_device_count()


def _lazy_init():
    if _C._cuda_version() is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    if not is_available():
        raise RuntimeError("Found no NVIDIA driver on your system. Please check that you have "
                           "an NVIDIA GPU and installed a driver")


def is_initialized():
    return is_available()


def init():
    _lazy_init()


def _index(device):
    if device is None:
        return -1
    if isinstance(device, int):
        return device
    from ctorch import device as _device
    d = _device(device) if isinstance(device, str) else device
    if d.type != "cuda":
        raise ValueError("Expected a cuda device, but got: {}".format(d))
    return -1 if d.index is None else d.index


def current_device():
    _lazy_init()
    return _C._cuda_current_device()


def set_device(device):
    i = _index(device)
    if i >= 0:
        _lazy_init()
        _C._cuda_set_device(i)


def synchronize(device=None):
    _lazy_init()
    _C._cuda_synchronize(_index(device))


def get_device_name(device=None):
    _lazy_init()
    return _C._cuda_get_device_name(_index(device))


def memory_allocated(device=None):
    return _C._cuda_memory_stats(_index(device))[0]


def memory_reserved(device=None):
    return _C._cuda_memory_stats(_index(device))[1]


def max_memory_allocated(device=None):
    return _C._cuda_memory_stats(_index(device))[2]


def reset_peak_memory_stats(device=None):
    _C._cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    _C._cuda_empty_cache()


def manual_seed(seed):
    """Seeding CUDA generators: ctorch's CUDA random ops draw from the CPU
    generator for now, so this does nothing (as torch without CUDA)."""


def manual_seed_all(seed):
    """See manual_seed."""


class device:
    """Context manager that changes the current CUDA device."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *exc):
        if self.prev >= 0:
            set_device(self.prev)
        return False
