"""torch.cuda's questions, answered truthfully: this build has no CUDA."""


def is_available():
    return False


def device_count():
    return 0


def _lazy_init():
    raise AssertionError("Torch not compiled with CUDA enabled")


def current_device():
    _lazy_init()


def synchronize(device=None):
    _lazy_init()


def manual_seed(seed):
    """Seeding CUDA generators is a no-op without CUDA (as in PyTorch)."""


def manual_seed_all(seed):
    """Seeding CUDA generators is a no-op without CUDA (as in PyTorch)."""
