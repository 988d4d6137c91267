"""ctorch.optim against Debian's PyTorch 1.13: every optimizer and option
combination trains the same small model from the same start in both
frameworks and must end at the same parameters; state dicts have PyTorch's
layout and move between the two; schedulers produce PyTorch's lr sequences."""
import math
import warnings

import numpy as np
import pytest
import torch

import ctorch

pytestmark = pytest.mark.skipif(not hasattr(ctorch, "optim"), reason="optim not merged yet")

RNG = np.random.default_rng(0)
W0 = RNG.uniform(-1, 1, (4, 3))
B0 = RNG.uniform(-1, 1, (3,))
X = RNG.uniform(-1, 1, (6, 4))
Y = RNG.uniform(-1, 1, (6, 3))


def make_params(m, dt):
    dtype = getattr(m, dt)
    w = m.tensor(W0.tolist(), dtype=dtype, requires_grad=True)
    b = m.tensor(B0.tolist(), dtype=dtype, requires_grad=True)
    return w, b


def loss_fn(m, w, b, dt):
    dtype = getattr(m, dt)
    x = m.tensor(X.tolist(), dtype=dtype)
    y = m.tensor(Y.tolist(), dtype=dtype)
    out = (x.matmul(w) + b).tanh()
    return ((out - y) * (out - y)).mean() + 0.05 * (w * w).sum()


def train(m, cls, kw, dt, steps, groups=False):
    w, b = make_params(m, dt)
    params = [{'params': [w]}, {'params': b, 'lr': kw.get('lr', 0.01) * 0.5}] if groups else [w, b]
    opt = getattr(m.optim, cls)(params, **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(m, w, b, dt).backward()
        opt.step()
    return opt, (w, b)


def assert_params_close(cp, tp, dt):
    rtol, atol = (1e-9, 1e-12) if dt == "float64" else (1e-5, 1e-6)
    for c, t in zip(cp, tp):
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, alpha=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.01)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.01)),
]


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("cls,kw", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_optimizer_matches_torch_over_30_steps(cls, kw, dt):
    _, cp = train(ctorch, cls, kw, dt, 30)
    _, tp = train(torch, cls, kw, dt, 30)
    assert_params_close(cp, tp, dt)


@pytest.mark.parametrize("cls", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_param_groups_with_their_own_lr_match_torch(cls):
    kw = dict(lr=0.05, momentum=0.5) if cls in ("SGD", "RMSprop") else dict(lr=0.05)
    copt, cp = train(ctorch, cls, kw, "float64", 8, groups=True)
    topt, tp = train(torch, cls, kw, "float64", 8, groups=True)
    assert_params_close(cp, tp, "float64")
    assert [g['lr'] for g in copt.param_groups] == [g['lr'] for g in topt.param_groups]


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("cls,kw", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_every_option_above_the_grain_matches_torch(cls, kw, dt):
    """70001 elements: the fused loops split across threads, each flag
    combination in its own specialised loop, with a chunk edge that is not
    a multiple of the vector width."""
    v = np.linspace(-1, 1, 70001)
    res = []
    for m in (ctorch, torch):
        p = m.from_numpy(v.astype(dt)).requires_grad_()
        opt = getattr(m.optim, cls)([p], **kw)
        for _ in range(3):
            opt.zero_grad()
            (p * p * p - p).sum().backward()
            opt.step()
        res.append(p.detach().numpy())
    rtol, atol = (1e-12, 1e-14) if dt == "float64" else (1e-5, 1e-6)
    np.testing.assert_allclose(res[0], res[1], rtol=rtol, atol=atol)


def test_threads_above_the_grain_match_torch():
    v = np.linspace(-1, 1, 70001)
    res = []
    for m in (ctorch, torch):
        p = m.from_numpy(v.astype(np.float32)).requires_grad_()
        opt = m.optim.Adam([p], lr=0.01, amsgrad=True)
        for _ in range(3):
            opt.zero_grad()
            (p * p * p).sum().backward()
            opt.step()
        res.append(p.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ state dicts
def to_numpy_tree(v):
    if isinstance(v, (ctorch.Tensor, torch.Tensor)):
        return ("T", str(v.dtype), v.detach().numpy().copy())
    if isinstance(v, dict):
        return {k: to_numpy_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(to_numpy_tree(x) for x in v)
    return v


def torch_tree(v):
    """A ctorch state dict as torch objects (tensors through NumPy)."""
    if isinstance(v, ctorch.Tensor):
        return torch.from_numpy(v.detach().numpy().copy())
    if isinstance(v, dict):
        return {k: torch_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(torch_tree(x) for x in v)
    return v


def assert_same_tree(a, b, rtol):
    if isinstance(a, tuple) and len(a) == 3 and a[0] == "T":
        assert b[0] == "T" and a[1] == b[1], (a[1], b[1])
        np.testing.assert_allclose(a[2], b[2], rtol=rtol, atol=1e-12)
    elif isinstance(a, dict):
        assert set(a) == set(b), (set(a), set(b))
        for k in a:
            assert_same_tree(a[k], b[k], rtol)
    elif isinstance(a, (list, tuple)):
        assert type(a) == type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y, rtol)
    else:
        assert a == b, (a, b)


@pytest.mark.parametrize("cls,kw", [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                    ("Adam", dict(amsgrad=True)), ("AdamW", {}), ("Adagrad", {}),
                                    ("RMSprop", dict(momentum=0.5, centered=True)),
                                    ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {})])
def test_state_dict_has_torch_layout_and_values(cls, kw):
    copt, _ = train(ctorch, cls, kw, "float64", 3)
    topt, _ = train(torch, cls, kw, "float64", 3)
    assert_same_tree(to_numpy_tree(copt.state_dict()), to_numpy_tree(topt.state_dict()), 1e-9)


@pytest.mark.parametrize("cls,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                    ("AdamW", {}), ("Adagrad", dict(lr_decay=0.1)),
                                    ("RMSprop", dict(momentum=0.5, centered=True)), ("Adadelta", {}),
                                    ("Adamax", {}), ("NAdam", {}), ("RAdam", {})])
def test_state_dicts_move_both_ways_between_torch_and_ctorch(cls, kw):
    dt = "float64"
    # torch trains 4 steps; ctorch loads its state and parameters and goes on
    topt, tp = train(torch, cls, kw, dt, 4)
    cw, cb = (ctorch.tensor(t.detach().numpy().tolist(), dtype=ctorch.float64, requires_grad=True)
              for t in tp)
    copt = getattr(ctorch.optim, cls)([cw, cb], **kw)
    copt.load_state_dict(topt.state_dict())
    st = copt.state[cw]
    assert all(isinstance(v, ctorch.Tensor) for v in st.values() if hasattr(v, 'shape'))
    for _ in range(4):
        for m, opt, (w, b) in ((ctorch, copt, (cw, cb)), (torch, topt, tp)):
            opt.zero_grad()
            loss_fn(m, w, b, dt).backward()
            opt.step()
    assert_params_close((cw, cb), tp, dt)
    # and back: torch loads ctorch's state dict (tensors through NumPy)
    tw, tb = (torch.tensor(c.detach().numpy(), requires_grad=True) for c in (cw, cb))
    topt2 = getattr(torch.optim, cls)([tw, tb], **kw)
    topt2.load_state_dict(torch_tree(copt.state_dict()))
    for _ in range(3):
        for m, opt, (w, b) in ((ctorch, copt, (cw, cb)), (torch, topt2, (tw, tb))):
            opt.zero_grad()
            loss_fn(m, w, b, dt).backward()
            opt.step()
    assert_params_close((cw, cb), (tw, tb), dt)


def test_load_state_dict_casts_state_to_the_param_dtype_but_not_step():
    topt, _ = train(torch, "Adam", {}, "float64", 2)
    w, b = make_params(ctorch, "float32")
    copt = ctorch.optim.Adam([w, b])
    copt.load_state_dict(topt.state_dict())
    assert copt.state[w]['exp_avg'].dtype == ctorch.float32
    assert copt.state[w]['step'].dtype == ctorch.float32 and float(copt.state[w]['step']) == 2
    # the loaded state does not alias the dict it came from
    sd = copt.state_dict()
    copt2 = ctorch.optim.Adam([w, b])
    copt2.load_state_dict(sd)
    assert copt2.state[w]['exp_avg'] is not sd['state'][0]['exp_avg']


def test_load_state_dict_errors_like_torch():
    w, b = make_params(ctorch, "float32")
    opt = ctorch.optim.SGD([w, b], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({'state': {}, 'param_groups': []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]})


# ------------------------------------------------------------------ Optimizer API
def test_zero_grad_defaults_to_zeros_in_1_13_and_can_set_none():
    w, b = make_params(ctorch, "float32")
    opt = ctorch.optim.SGD([w, b], lr=0.1)
    loss_fn(ctorch, w, b, "float32").backward()
    opt.zero_grad()
    assert w.grad is not None and float(w.grad.abs().sum()) == 0
    opt.zero_grad(set_to_none=True)
    assert w.grad is None and b.grad is None


def test_params_without_grad_are_skipped_and_keep_no_state():
    w, b = make_params(ctorch, "float32")
    opt = ctorch.optim.Adam([w, b])
    (w * w).sum().backward()
    b0 = b.detach().numpy().copy()
    opt.step()
    assert b not in opt.state and len(opt.state[w]) == 3
    np.testing.assert_array_equal(b.detach().numpy(), b0)


def test_step_with_closure_returns_its_loss():
    for m in (ctorch, torch):
        w, b = make_params(m, "float64")
        opt = m.optim.SGD([w, b], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = loss_fn(m, w, b, "float64")
            loss.backward()
            return loss
        loss = opt.step(closure)
        assert abs(float(loss) - float(loss_fn(torch, *make_params(torch, "float64"), "float64"))) < 1e-12


def test_add_param_group_and_defaults():
    w, b = make_params(ctorch, "float32")
    opt = ctorch.optim.SGD([w], lr=0.1, momentum=0.9)
    opt.add_param_group({'params': b, 'lr': 0.01})
    assert opt.param_groups[1]['momentum'] == 0.9 and opt.param_groups[1]['lr'] == 0.01
    assert opt.param_groups[1]['params'][0] is b
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({'params': [w]})
    tw = torch.zeros(2, requires_grad=True)
    assert set(ctorch.optim.SGD([w], lr=0.1).defaults) == set(torch.optim.SGD([tw], lr=0.1).defaults)
    assert repr(ctorch.optim.Adam([w])) == repr(torch.optim.Adam([tw]))


def test_generators_and_group_dicts_are_accepted():
    w, b = make_params(ctorch, "float32")
    opt = ctorch.optim.Adam((p for p in [w, b]), lr=0.1)
    assert len(opt.param_groups[0]['params']) == 2
    opt = ctorch.optim.Adam([{'params': [w]}, {'params': [b], 'betas': (0.5, 0.9)}])
    assert opt.param_groups[1]['betas'] == (0.5, 0.9) and opt.param_groups[0]['betas'] == (0.9, 0.999)


@pytest.mark.parametrize("make,msg", [
    (lambda m, p: m.optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda m, p: m.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda m, p: m.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda m, p: m.optim.AdamW(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda m, p: m.optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda m, p: m.optim.Adadelta(p, rho=2), "Invalid rho value: 2"),
    (lambda m, p: m.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda m, p: m.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda m, p: m.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
])
def test_constructor_errors_match_torch(make, msg):
    for m in (ctorch, torch):
        p = [m.zeros(2, requires_grad=True)]
        with pytest.raises(ValueError, match=msg):
            make(m, p)


def test_non_leaf_and_tensor_params_are_rejected():
    w = ctorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ctorch.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        ctorch.optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        ctorch.optim.SGD([1.0], lr=0.1)


def test_step_errors_on_integer_params():
    p = ctorch.zeros(2, dtype=ctorch.int64)
    opt = ctorch.optim.SGD([p], lr=0.1)
    p.grad = None
    opt.step()  # no grad: nothing to do
    with pytest.raises(TypeError, match="int64"):
        ctorch._C._sgd_update(p, p, None, True, 0.1, 0.0, 0.0, 0.0, False, False)


# ------------------------------------------------------------------ LBFGS
@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(ls):
    res = []
    for m in (ctorch, torch):
        w, b = make_params(m, "float64")
        opt = m.optim.LBFGS([w, b], lr=0.5, max_iter=6, history_size=4, line_search_fn=ls)

        def closure():
            opt.zero_grad()
            loss = loss_fn(m, w, b, "float64")
            loss.backward()
            return loss
        losses = [float(opt.step(closure)) for _ in range(3)]
        st = opt.state[w]
        res.append((w.detach().numpy().copy(), b.detach().numpy().copy(), losses,
                    st['func_evals'], st['n_iter']))
    (cw, cb, cl, cf, cn), (tw, tb, tl, tf, tn) = res
    np.testing.assert_allclose(cw, tw, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cb, tb, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cl, tl, rtol=1e-10)
    assert (cf, cn) == (tf, tn)


def test_lbfgs_closure_exception_propagates():
    w = ctorch.zeros(2, requires_grad=True)
    opt = ctorch.optim.LBFGS([w])

    def closure():
        raise KeyError("boom")
    with pytest.raises(KeyError, match="boom"):
        opt.step(closure)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        ctorch.optim.LBFGS([{'params': [w]}, {'params': [ctorch.zeros(1, requires_grad=True)]}])


# ------------------------------------------------------------------ schedulers
def lr_sequence(m, make_sched, n=25, opt_cls="SGD", metrics=None):
    p = m.zeros(2, requires_grad=True)
    opt = getattr(m.optim, opt_cls)([p], lr=0.1, **({'momentum': 0.9} if opt_cls == "SGD" else {}))
    sched = make_sched(m, opt)
    seq = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            seq.append([g['lr'] for g in opt.param_groups] + [g.get('momentum', g.get('betas', (0,))[0])
                                                              for g in opt.param_groups])
    return seq, sched


SCHEDULERS = {
    "StepLR": lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda m, o: m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "LambdaLR": lambda m, o: m.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "MultiplicativeLR": lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95),
    "ConstantLR": lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=6),
    "OneCycleLR": lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=25),
    "OneCycleLR3": lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, max_lr=1.0, epochs=5, steps_per_epoch=5, three_phase=True, anneal_strategy='linear'),
    "PolynomialLR": lambda m, o: m.optim.lr_scheduler.PolynomialLR(o, total_iters=10, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01),
    "ChainedScheduler": lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
         m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
    "SequentialLR": lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=4),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)], milestones=[5]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_lr_sequence_matches_torch(name):
    cs, csched = lr_sequence(ctorch, SCHEDULERS[name])
    ts, tsched = lr_sequence(torch, SCHEDULERS[name])
    np.testing.assert_allclose(np.array(cs), np.array(ts), rtol=1e-13, atol=1e-16)
    assert csched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-13)
    assert set(csched.state_dict()) == set(tsched.state_dict())


def test_onecycle_cycles_adam_beta1_like_torch():
    cs, _ = lr_sequence(ctorch, SCHEDULERS["OneCycleLR"], opt_cls="Adam")
    ts, _ = lr_sequence(torch, SCHEDULERS["OneCycleLR"], opt_cls="Adam")
    np.testing.assert_allclose(np.array(cs), np.array(ts), rtol=1e-13)


@pytest.mark.parametrize("kw", [dict(patience=2, factor=0.5), dict(mode='max', patience=1, cooldown=2),
                                dict(threshold_mode='abs', threshold=0.1, patience=0, min_lr=0.02)])
def test_reduce_lr_on_plateau_matches_torch(kw):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.8, 0.81, 0.82, 0.83, 0.5, 0.6, 0.7, 0.7, 0.7]

    def mk(m, o):
        return m.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
    cs, csched = lr_sequence(ctorch, mk, n=len(metrics), metrics=metrics)
    ts, tsched = lr_sequence(torch, mk, n=len(metrics), metrics=metrics)
    assert cs == ts
    assert csched.state_dict() == {k: v for k, v in tsched.state_dict().items()}


def test_scheduler_state_dict_round_trip_resumes_the_sequence():
    seq, sched = lr_sequence(ctorch, SCHEDULERS["StepLR"], n=5)
    p = ctorch.zeros(2, requires_grad=True)
    opt = ctorch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched2 = ctorch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    sched2.load_state_dict(sched.state_dict())
    opt.param_groups[0]['lr'] = sched.get_last_lr()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            opt.step()
            sched2.step()
    full, _ = lr_sequence(ctorch, SCHEDULERS["StepLR"], n=9)
    assert sched2.get_last_lr()[0] == full[-1][0]
    assert math.isclose(full[-1][0], 0.1 * 0.5 ** 3)


@pytest.mark.parametrize("cls,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                    ("RMSprop", dict(centered=True)), ("NAdam", {})])
def test_zero_d_empty_and_transposed_gradients_match_torch(cls, kw):
    res = []
    for m in (ctorch, torch):
        s = m.tensor(1.5, dtype=m.float64, requires_grad=True)
        e = m.zeros(0, 3, dtype=m.float64, requires_grad=True)
        w = m.tensor(W0.tolist(), dtype=m.float64, requires_grad=True)  # [4, 3]
        opt = getattr(m.optim, cls)([s, e, w], **kw)
        for k in range(3):
            s.grad = m.tensor(0.5 * (k + 1) - 1.0, dtype=m.float64)
            e.grad = m.zeros(0, 3, dtype=m.float64)
            # a non-contiguous gradient: the transpose of a [3, 4] tensor
            w.grad = (m.tensor(np.arange(12.0).reshape(3, 4).tolist(), dtype=m.float64) * (k - 1)).t()
            assert not w.grad.is_contiguous()
            opt.step()
        res.append([float(s), tuple(e.shape), w.detach().numpy().copy()])
    assert res[0][0] == pytest.approx(res[1][0], rel=1e-12)
    assert res[0][1] == res[1][1]
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-12)


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_lbfgs_state_dict_moves_both_ways(ls):
    def closure_for(m, opt, w, b):
        def closure():
            opt.zero_grad()
            loss = loss_fn(m, w, b, "float64")
            loss.backward()
            return loss
        return closure

    kw = dict(lr=0.5, max_iter=4, history_size=3, line_search_fn=ls)
    tw, tb = make_params(torch, "float64")
    topt = torch.optim.LBFGS([tw, tb], **kw)
    topt.step(closure_for(torch, topt, tw, tb))
    cw, cb = (ctorch.tensor(t.detach().numpy().tolist(), dtype=ctorch.float64, requires_grad=True)
              for t in (tw, tb))
    copt = ctorch.optim.LBFGS([cw, cb], **kw)
    copt.load_state_dict(topt.state_dict())
    for _ in range(2):
        topt.step(closure_for(torch, topt, tw, tb))
        copt.step(closure_for(ctorch, copt, cw, cb))
    assert_params_close((cw, cb), (tw, tb), "float64")
    # torch-layout state out of ctorch, loaded by torch
    csd = copt.state_dict()
    tsd = topt.state_dict()
    assert set(csd['state'][0]) - {'al'} == set(tsd['state'][0]) - {'al'}
    t2w, t2b = (torch.tensor(c.detach().numpy(), requires_grad=True) for c in (cw, cb))
    topt2 = torch.optim.LBFGS([t2w, t2b], **kw)
    topt2.load_state_dict(torch_tree(csd))
    for _ in range(2):
        topt2.step(closure_for(torch, topt2, t2w, t2b))
        copt.step(closure_for(ctorch, copt, cw, cb))
    assert_params_close((cw, cb), (t2w, t2b), "float64")
