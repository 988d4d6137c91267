"""torch.autograd: grad modes, backward/grad, Function, gradcheck. The graph,
the backward pass and custom functions run in the C engine (ctorch._C)."""
from ctorch import _C


class _DecoratorContext:
    """A context manager that also works as a function decorator."""

    _kind = 0  # 0 no_grad, 1 enable_grad, 2 inference_mode
    _args = ()

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
        self._state = _C._grad_mode_begin(self._kind)

    def __exit__(self, *exc):
        _C._grad_mode_end(self._state)
        return False


class no_grad(_DecoratorContext):
    _kind = 0


class enable_grad(_DecoratorContext):
    _kind = 1


class inference_mode(_DecoratorContext):
    def __init__(self, mode=True):
        self._args = (mode,)
        self._kind = 2 if mode else 1


class set_grad_enabled(_DecoratorContext):
    def __init__(self, mode):
        self._args = (mode,)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(bool(mode))  # effective as a plain function call too

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


class detect_anomaly:
    def __init__(self, check_nan=True):
        self._prev = _C.is_anomaly_enabled()

    def __enter__(self):
        _C._set_detect_anomaly(True)

    def __exit__(self, *exc):
        _C._set_detect_anomaly(self._prev)
        return False


def set_detect_anomaly(mode):
    _C._set_detect_anomaly(bool(mode))


backward = _C._backward
grad = _C._grad


def Variable(data, requires_grad=False, volatile=False):
    """The legacy wrapper: Variables and Tensors are one thing now."""
    if requires_grad:
        data.requires_grad_(True)
    return data


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = cls  # torch code sometimes looks at this


class Function(metaclass=_FunctionMeta):
    """Subclass with static forward(ctx, *args) and backward(ctx, *grads);
    call Subclass.apply(*args). ctx supports save_for_backward,
    saved_tensors, needs_input_grad, mark_dirty, mark_non_differentiable."""

    @classmethod
    def apply(cls, *args):
        return _C._function_apply(cls, *args)

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")


def gradcheck(func, inputs, **kwargs):
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    return _C._gradcheck(func, tuple(inputs), **kwargs)


def gradgradcheck(func, inputs, grad_outputs=None, **kwargs):
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    return _C._gradgradcheck(func, tuple(inputs), **kwargs)


class _Functional:
    pass


function = _Functional()
function.Function = Function
