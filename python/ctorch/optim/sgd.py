"""SGD (PyTorch 1.13's torch/optim/sgd.py semantics; the update is
ctorch._C._sgd_update, a fused C loop)."""
import ctorch
from ctorch import _C
from .optimizer import Optimizer, required, _no_grad_step, _check_fused_flags

__all__ = ['SGD']


class SGD(Optimizer):
    def __init__(self, params, lr=required, momentum=0, dampening=0,
                 weight_decay=0, nesterov=False, *, maximize=False, foreach=None,
                 differentiable=False):
        if lr is not required and lr < 0.0:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if momentum < 0.0:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach,
                        differentiable=differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_fused_flags(defaults)
        super(SGD, self).__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault('nesterov', False)
            group.setdefault('maximize', False)
            group.setdefault('foreach', None)
            group.setdefault('differentiable', False)

    @_no_grad_step
    def step(self, closure=None):
        loss = self._call_closure(closure)
        update, state = _C._sgd_update, self.state
        for group in self.param_groups:
            momentum, lr = group['momentum'], group['lr']
            damp, wd = group['dampening'], group['weight_decay']
            nesterov, maximize = group['nesterov'], group['maximize']
            for p in group['params']:
                g = p.grad
                if g is None:
                    continue
                st = state[p]
                buf = st.get('momentum_buffer') if momentum != 0 else None
                first = momentum != 0 and buf is None
                if first:
                    buf = ctorch.empty_like(p)  # filled with the gradient by the update
                update(p, g, buf, first, lr, momentum, damp, wd, nesterov, maximize)
                # as PyTorch: the key exists (None without momentum) once stepped
                st['momentum_buffer'] = buf
        return loss
