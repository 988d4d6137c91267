"""LBFGS (PyTorch 1.13's torch/optim/lbfgs.py): the algorithm runs in C
(src/optim/lbfgs.c, ct_optim_lbfgs) and calls back into the Python closure
for each evaluation. Its history (directions, steps, previous gradient) is
held by the C optimizer: state_dict() carries only 'func_evals' and
'n_iter', not PyTorch's 'd', 't', 'old_dirs', ... entries."""
from ctorch import _C
from .optimizer import Optimizer, _no_grad_step

__all__ = ['LBFGS']


class LBFGS(Optimizer):
    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super(LBFGS, self).__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options "
                             "(parameter groups)")
        self._params = self.param_groups[0]['params']
        self._numel_cache = None
        self._c = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _c_optimizer(self):
        if self._c is None:
            g = self.param_groups[0]
            self._c = _C._lbfgs_new(self._params, float(g['lr']), int(g['max_iter']),
                                    int(g['max_eval']), float(g['tolerance_grad']),
                                    float(g['tolerance_change']), int(g['history_size']),
                                    g['line_search_fn'])
        return self._c

    def __getstate__(self):
        raise TypeError("ctorch.optim.LBFGS cannot be pickled (its history lives in C)")

    @_no_grad_step
    def step(self, closure):
        """Performs a single optimization step; closure reevaluates the model
        and returns the loss. Returns the closure's first result."""
        assert len(self.param_groups) == 1
        group = self.param_groups[0]
        c = self._c_optimizer()
        _C._lbfgs_set_lr(c, float(group['lr']))
        first = []

        def counted():
            r = closure()
            if not first:
                first.append(r)
            return r

        _C._lbfgs_step(c, counted)
        func_evals, n_iter = _C._lbfgs_counts(c)
        state = self.state[self._params[0]]
        state['func_evals'] = func_evals
        state['n_iter'] = n_iter
        return first[0]
