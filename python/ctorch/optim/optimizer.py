"""Optimizer: parameter groups, per-parameter state and state dicts in
PyTorch 1.13's layout (torch/optim/optimizer.py). The subclasses are thin:
their step() hands each parameter and its state tensors to a fused C update
(ctorch._C._<algo>_update; the math is in src/optim/)."""
from collections import defaultdict
from collections import abc as container_abcs
from itertools import chain
import functools
import warnings

import ctorch

__all__ = ['Optimizer', 'required']


class _RequiredParameter(object):
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _no_grad_step(func):
    """step() runs without recording, as PyTorch's @torch.no_grad()."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with ctorch.no_grad():
            return func(*args, **kwargs)
    return wrapper


def _to_ctorch(value):
    """A tensor of another framework (torch.Tensor, anything with .numpy())
    as a ctorch tensor; ctorch tensors are cloned so that loaded state never
    aliases the caller's."""
    if isinstance(value, ctorch.Tensor):
        return value.detach().clone()
    if hasattr(value, 'numpy') and hasattr(value, 'dtype') and hasattr(value, 'shape'):
        if hasattr(value, 'detach'):
            value = value.detach()
        if hasattr(value, 'cpu'):
            value = value.cpu()
        return ctorch.from_numpy(value.numpy().copy())
    return None


def _is_tensor_like(value):
    return isinstance(value, ctorch.Tensor) or (
        hasattr(value, 'numpy') and hasattr(value, 'dtype') and hasattr(value, 'shape')
        and not isinstance(value, (int, float, bool)))


def _check_fused_flags(defaults):
    if defaults.get('differentiable'):
        raise NotImplementedError("ctorch.optim: differentiable=True is not supported")
    if defaults.get('fused'):
        raise RuntimeError("FusedAdam requires all the params to be CUDA, floating point")


class Optimizer(object):
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors or dicts. Specifies what
            Tensors should be optimized.
        defaults (dict): default values of optimization options (used when a
            parameter group doesn't specify them).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, ctorch.Tensor):
            raise TypeError("params argument given to the optimizer should be "
                            "an iterable of Tensors or dicts, but got " +
                            ctorch.typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{'params': param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {
            'defaults': self.defaults,
            'state': self.state,
            'param_groups': self.param_groups,
        }

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        format_string = self.__class__.__name__ + ' ('
        for i, group in enumerate(self.param_groups):
            format_string += '\n'
            format_string += 'Parameter Group {0}\n'.format(i)
            for key in sorted(group.keys()):
                if key != 'params':
                    format_string += '    {0}: {1}\n'.format(key, group[key])
        format_string += ')'
        return format_string

    def state_dict(self):
        r"""The state of the optimizer as a dict with two entries: 'state'
        (per-parameter state keyed by the parameter's index) and
        'param_groups' (the groups' options, 'params' as index lists)."""
        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != 'params'}
            param_mappings.update({id(p): i for i, p in enumerate(group['params'], start_index)
                                   if id(p) not in param_mappings})
            packed['params'] = [param_mappings[id(p)] for p in group['params']]
            start_index += len(packed['params'])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, ctorch.Tensor) else k): v
                        for k, v in self.state.items()}
        return {
            'state': packed_state,
            'param_groups': param_groups,
        }

    def load_state_dict(self, state_dict):
        r"""Loads the optimizer state (a dict from state_dict(); a state dict
        of torch.optim loads too: its tensors become ctorch tensors)."""
        groups = self.param_groups
        saved_groups = [dict(g) for g in state_dict['param_groups']]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of "
                             "parameter groups")
        param_lens = (len(g['params']) for g in groups)
        saved_lens = (len(g['params']) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group "
                             "that doesn't match the size of optimizer's group")
        id_map = {old_id: p for old_id, p in
                  zip(chain.from_iterable((g['params'] for g in saved_groups)),
                      chain.from_iterable((g['params'] for g in groups)))}

        def cast(param, value, key=None):
            """A deep copy of value; tensors become ctorch tensors of param's
            dtype (all but 'step', as PyTorch)."""
            if _is_tensor_like(value):
                with ctorch.no_grad():
                    value = _to_ctorch(value)
                    if key != "step" and param.is_floating_point() and value.is_floating_point():
                        value = value.to(param.dtype)
                return value
            elif isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            elif isinstance(value, (str, bytes)):
                return value
            elif isinstance(value, container_abcs.Iterable):
                return type(value)(cast(param, v) for v in value)
            else:
                return value

        state = defaultdict(dict)
        for k, v in state_dict['state'].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group['params'] = group['params']
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({'state': state, 'param_groups': param_groups})

    def zero_grad(self, set_to_none: bool = False):
        r"""Sets the gradients of all optimized tensors to zero (or to None
        with set_to_none=True; PyTorch 1.13's default is False)."""
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure):
        r"""Performs a single optimization step (parameter update)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        r"""Adds a param group (a dict with 'params' and optional options) to
        the optimizer's param_groups."""
        assert isinstance(param_group, dict), "param group must be a dict"
        params = param_group['params']
        if isinstance(params, ctorch.Tensor):
            param_group['params'] = [params]
        elif isinstance(params, set):
            raise TypeError('optimizer parameters need to be organized in ordered collections, but '
                            'the ordering of tensors in sets will change between runs. Please use a list instead.')
        else:
            param_group['params'] = list(params)
        for param in param_group['params']:
            if not isinstance(param, ctorch.Tensor):
                raise TypeError("optimizer can only optimize Tensors, "
                                "but one of the params is " + ctorch.typename(param))
            if not self.defaults.get('differentiable', None) and not (
                    param.is_leaf or getattr(param, 'retains_grad', False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization parameter " +
                                 name)
            else:
                param_group.setdefault(name, default)
        params = param_group['params']
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; "
                          "see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group['params']))
        if not param_set.isdisjoint(set(param_group['params'])):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # helpers of the subclasses
    def _params_with_grad(self, group):
        for p in group['params']:
            if p.grad is not None:
                yield p

    @staticmethod
    def _bump_step(state):
        """state['step'] += 1 (a 0-d float32 tensor, as PyTorch 1.13 keeps
        it); returns the new count as a float."""
        s = state['step']
        if isinstance(s, ctorch.Tensor):
            s.add_(1)
            return float(s)
        state['step'] = ctorch.tensor(float(s) + 1)
        return float(state['step'])

    @staticmethod
    def _call_closure(closure):
        if closure is None:
            return None
        with ctorch.enable_grad():
            return closure()
