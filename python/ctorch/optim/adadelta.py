"""Adadelta (PyTorch 1.13's torch/optim/adadelta.py semantics; the update is
ctorch._C._adadelta_update)."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step

__all__ = ['Adadelta']


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                 foreach=None, *, maximize=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= rho <= 1.0:
            raise ValueError("Invalid rho value: {}".format(rho))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach)
        super(Adadelta, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('foreach', None)
            group.setdefault('maximize', False)

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = 0
                    state['square_avg'] = ctorch.zeros_like(p)
                    state['acc_delta'] = ctorch.zeros_like(p)
                state['step'] += 1
                _C._adadelta_update(p, p.grad, state['square_avg'], state['acc_delta'],
                                    group['lr'], group['rho'], group['eps'],
                                    group['weight_decay'], group['maximize'])
        return loss
