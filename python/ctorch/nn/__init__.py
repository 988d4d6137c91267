"""ctorch.nn: PyTorch's torch.nn over the C engine (modules in Python,
every computation in C ops)."""
from ctorch.nn.parameter import Parameter, UninitializedParameter  # noqa: F401
from ctorch.nn import functional, init  # noqa: F401
from ctorch.nn.modules import *  # noqa: F401,F403
from ctorch.nn.modules import module as _module_mod
from ctorch.nn import modules, utils  # noqa: F401

Module = _module_mod.Module
register_module_forward_hook = _module_mod.register_module_forward_hook
register_module_forward_pre_hook = _module_mod.register_module_forward_pre_hook
register_module_full_backward_hook = _module_mod.register_module_full_backward_hook
