"""nn.Parameter: a Tensor subclass that Modules register as a parameter.

The object is a ctorch.Tensor (made by Tensor._make_subclass, which detaches
the data), so every op takes it; ops return plain Tensors, in-place ops the
Parameter itself (the engine hands back the same Python object)."""
from collections import OrderedDict

from ctorch._C import Tensor
import ctorch


class Parameter(Tensor):
    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = ctorch.empty(0)
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict()))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return Parameter(data, requires_grad)


class UninitializedParameter:
    """Lazy modules are not implemented in ctorch."""

    def __new__(cls, *args, **kwargs):
        raise NotImplementedError("UninitializedParameter (lazy modules) is not implemented in ctorch")


def is_lazy(param):
    return False
