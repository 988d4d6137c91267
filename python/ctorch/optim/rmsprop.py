"""RMSprop (PyTorch 1.13's torch/optim/rmsprop.py semantics; the update is
ctorch._C._rmsprop_update)."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step, _check_fused_flags

__all__ = ['RMSprop']


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        if not 0.0 <= momentum:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= alpha:
            raise ValueError("Invalid alpha value: {}".format(alpha))
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        _check_fused_flags(defaults)
        super(RMSprop, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('momentum', 0)
            group.setdefault('centered', False)
            group.setdefault('foreach', None)
            group.setdefault('maximize', False)
            group.setdefault('differentiable', False)

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = 0
                    state['square_avg'] = ctorch.zeros_like(p)
                    if group['momentum'] > 0:
                        state['momentum_buffer'] = ctorch.zeros_like(p)
                    if group['centered']:
                        state['grad_avg'] = ctorch.zeros_like(p)
                state['step'] += 1
                _C._rmsprop_update(p, p.grad, state['square_avg'],
                                   state['grad_avg'] if group['centered'] else None,
                                   state['momentum_buffer'] if group['momentum'] > 0 else None,
                                   group['lr'], group['alpha'], group['eps'],
                                   group['weight_decay'], group['momentum'], group['centered'],
                                   group['maximize'])
        return loss
