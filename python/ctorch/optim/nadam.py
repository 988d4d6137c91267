"""NAdam (PyTorch 1.13's torch/optim/nadam.py semantics, including its
mu_product_next = mu_product * mu * mu_next; the update is
ctorch._C._nadam_update, which also advances state['mu_product'])."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step
from .adam import _check_adam_args

__all__ = ['NAdam']


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0, momentum_decay=4e-3, *, foreach=None):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError("Invalid momentum_decay value: {}".format(momentum_decay))
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, foreach=foreach)
        super(NAdam, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('foreach', None)
        for s in self.state.values():
            if 'mu_product' in s and not isinstance(s['mu_product'], ctorch.Tensor):
                s['mu_product'] = ctorch.tensor(s['mu_product'])

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = ctorch.tensor(0.)
                    state['mu_product'] = ctorch.tensor(1.)
                    state['exp_avg'] = ctorch.zeros_like(p)
                    state['exp_avg_sq'] = ctorch.zeros_like(p)
                step = self._bump_step(state)
                _C._nadam_update(p, p.grad, state['exp_avg'], state['exp_avg_sq'],
                                 state['mu_product'], step, group['lr'], beta1, beta2,
                                 group['eps'], group['weight_decay'], group['momentum_decay'])
        return loss
