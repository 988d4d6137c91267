"""Adamax (PyTorch 1.13's torch/optim/adamax.py semantics; the update is
ctorch._C._adamax_update)."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step
from .adam import _check_adam_args

__all__ = ['Adamax']


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0, foreach=None, *, maximize=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super(Adamax, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('foreach', None)
            group.setdefault('maximize', False)

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = ctorch.tensor(0.)
                    state['exp_avg'] = ctorch.zeros_like(p)
                    state['exp_inf'] = ctorch.zeros_like(p)
                step = self._bump_step(state)
                _C._adamax_update(p, p.grad, state['exp_avg'], state['exp_inf'], step,
                                  group['lr'], beta1, beta2, group['eps'],
                                  group['weight_decay'], group['maximize'])
        return loss
