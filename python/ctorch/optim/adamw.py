"""AdamW (PyTorch 1.13's torch/optim/adamw.py: Adam with decoupled weight
decay; the update is ctorch._C._adam_update with decoupled=True)."""
from .optimizer import Optimizer, _no_grad_step, _check_fused_flags
from .adam import _check_adam_args, _adam_like_step

__all__ = ['AdamW']


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=1e-2, amsgrad=False, *, maximize=False,
                 foreach=None, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad,
                        foreach=foreach, maximize=maximize, capturable=capturable)
        super(AdamW, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('amsgrad', False)
            group.setdefault('maximize', False)
            group.setdefault('foreach', None)
            group.setdefault('capturable', False)

    @_no_grad_step
    def step(self, closure=None):
        return _adam_like_step(self, closure, decoupled=True)
