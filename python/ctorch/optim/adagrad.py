"""Adagrad (PyTorch 1.13's torch/optim/adagrad.py semantics; the update is
ctorch._C._adagrad_update). Its state is created in the constructor, as
PyTorch does."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step

__all__ = ['Adagrad']


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *,
                 maximize=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= lr_decay:
            raise ValueError("Invalid lr_decay value: {}".format(lr_decay))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: {}".format(
                initial_accumulator_value))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        foreach=foreach, maximize=maximize)
        super(Adagrad, self).__init__(params, defaults)
        for group in self.param_groups:
            for p in group['params']:
                state = self.state[p]
                state['step'] = ctorch.tensor(0.0)
                state['sum'] = ctorch.full_like(p, float(group['initial_accumulator_value']))

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('foreach', None)
            group.setdefault('maximize', False)

    def share_memory(self):
        pass

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                step = self._bump_step(state)
                _C._adagrad_update(p, p.grad, state['sum'], step, group['lr'],
                                   group['lr_decay'], group['weight_decay'], group['eps'],
                                   group['maximize'])
        return loss
