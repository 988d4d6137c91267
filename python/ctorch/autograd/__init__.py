"""torch.autograd: grad mode and (when the engine is built) backward/grad."""
from ctorch import _C


class _DecoratorContext:
    """A context manager that also works as a function decorator."""

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        # functools.wraps by hand: importing functools costs import time
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(wrapper, attr, getattr(fn, attr, None))
        wrapper.__wrapped__ = fn
        return wrapper

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


class no_grad(_DecoratorContext):
    _args = ()
    _mode = False


class enable_grad(_DecoratorContext):
    _args = ()
    _mode = True


class inference_mode(_DecoratorContext):
    def __init__(self, mode=True):
        self._args = (mode,)
        self._mode = not mode


class set_grad_enabled(_DecoratorContext):
    def __init__(self, mode):
        self._args = (mode,)
        self._prev = _C.is_grad_enabled()
        self._mode = bool(mode)
        _C._set_grad_enabled(self._mode)  # effective as a plain function call too

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


def Variable(data, requires_grad=False, volatile=False):
    """The legacy wrapper: Variables and Tensors are one thing now."""
    if requires_grad:
        data.requires_grad_(True)
    return data
