"""LBFGS (PyTorch 1.13's torch/optim/lbfgs.py): the algorithm runs in C
(src/optim/lbfgs.c, ct_optim_lbfgs) and calls back into the Python closure
for each evaluation. The C optimizer holds the history (in float64);
state_dict() copies it out in PyTorch's layout ('func_evals', 'n_iter', 'd',
't', 'old_dirs', 'old_stps', 'ro', 'H_diag', 'prev_flat_grad',
'prev_loss'), and load_state_dict() puts it back, so LBFGS state moves
between ctorch and torch. Between those calls self.state holds only the
counters."""
import ctorch
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

    def _flat_dtype(self):
        return ctorch.float64 if any(p.dtype == ctorch.float64 for p in self._params) else self._params[0].dtype

    def _pull_state(self):
        """The C history into self.state, in PyTorch's layout."""
        if self._c is None:
            return
        func_evals, n_iter, hist = _C._lbfgs_get_state(self._c)
        state = self.state[self._params[0]]
        state['func_evals'] = func_evals
        state['n_iter'] = n_iter
        if hist is None:
            return
        d, prev_flat_grad, old_dirs, old_stps, ro, t, H_diag, prev_loss = hist
        dt = self._flat_dtype()
        k = old_dirs.shape[0]
        state['d'] = d.to(dt)
        state['t'] = t
        state['old_dirs'] = [old_dirs[i].to(dt).clone() for i in range(k)]
        state['old_stps'] = [old_stps[i].to(dt).clone() for i in range(k)]
        state['ro'] = [ro[i].to(dt).clone() for i in range(k)]
        # PyTorch keeps the int 1 until the first accepted pair
        state['H_diag'] = ctorch.tensor(H_diag, dtype=dt) if k > 0 else 1
        state['prev_flat_grad'] = prev_flat_grad.to(dt)
        state['prev_loss'] = prev_loss

    def _push_state(self):
        """self.state (PyTorch's layout) into a fresh C optimizer."""
        self._c = None
        c = self._c_optimizer()
        state = self.state.get(self._params[0], {})
        hist = None
        if state.get('d') is not None and state.get('prev_flat_grad') is not None:
            f64 = ctorch.float64
            n = self._numel()

            def stack(rows):
                if not rows:
                    return ctorch.zeros(0, n, dtype=f64)
                return ctorch.stack([r.to(f64).reshape(-1) for r in rows])
            old_dirs = stack(state.get('old_dirs') or [])
            ro = ctorch.tensor([float(r) for r in (state.get('ro') or [])], dtype=f64)
            hist = (state['d'].to(f64), state['prev_flat_grad'].to(f64), old_dirs,
                    stack(state.get('old_stps') or []), ro, float(state.get('t', 0)),
                    float(state.get('H_diag', 1)), float(state.get('prev_loss', 0)))
        _C._lbfgs_set_state(c, int(state.get('func_evals', 0)), int(state.get('n_iter', 0)), hist)

    def state_dict(self):
        self._pull_state()
        return super().state_dict()

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]['params']
        self._push_state()

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
