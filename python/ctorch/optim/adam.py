"""Adam (PyTorch 1.13's torch/optim/adam.py semantics; the update is
ctorch._C._adam_update, a fused C loop)."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step, _check_fused_flags

__all__ = ['Adam']


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError("Invalid learning rate: {}".format(lr))
    if not 0.0 <= eps:
        raise ValueError("Invalid epsilon value: {}".format(eps))
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError("Invalid beta parameter at index 0: {}".format(betas[0]))
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError("Invalid beta parameter at index 1: {}".format(betas[1]))
    if not 0.0 <= weight_decay:
        raise ValueError("Invalid weight_decay value: {}".format(weight_decay))


def _adam_like_step(opt, closure, decoupled):
    loss = opt._call_closure(closure)
    for group in opt.param_groups:
        beta1, beta2 = group['betas']
        amsgrad = group['amsgrad']
        for p in opt._params_with_grad(group):
            state = opt.state[p]
            if len(state) == 0:
                state['step'] = ctorch.tensor(0.)
                state['exp_avg'] = ctorch.zeros_like(p)
                state['exp_avg_sq'] = ctorch.zeros_like(p)
                if amsgrad:
                    state['max_exp_avg_sq'] = ctorch.zeros_like(p)
            step = opt._bump_step(state)
            _C._adam_update(p, p.grad, state['exp_avg'], state['exp_avg_sq'],
                            state.get('max_exp_avg_sq') if amsgrad else None, step,
                            group['lr'], beta1, beta2, group['eps'], group['weight_decay'],
                            amsgrad, group['maximize'], decoupled)
    return loss


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0, amsgrad=False, *, foreach=None,
                 maximize=False, capturable=False,
                 differentiable=False, fused=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused)
        _check_fused_flags(defaults)
        super(Adam, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('amsgrad', False)
            group.setdefault('maximize', False)
            group.setdefault('foreach', None)
            group.setdefault('capturable', False)
            group.setdefault('differentiable', False)
            group.setdefault('fused', False)

    @_no_grad_step
    def step(self, closure=None):
        return _adam_like_step(self, closure, decoupled=False)
