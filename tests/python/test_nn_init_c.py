"""The C nn.init (ctorch._C._init_*) against Debian's torch.nn.init: after the
same manual_seed, the same values (exactly for uniform draws and float64
normals; within float rounding where PyTorch's vectorised float32 normal or
LAPACK differ), and the same errors."""
import numpy as np
import pytest
import torch

import ctorch

C = ctorch._C


def pair(shape, dtype="float32"):
    return (ctorch.empty(*shape, dtype=getattr(ctorch, dtype)),
            torch.empty(*shape, dtype=getattr(torch, dtype)))


def run(name, shape, *args, dtype="float32", seed=0, **kw):
    c, t = pair(shape, dtype)
    ctorch.manual_seed(seed)
    r = getattr(C, "_init_" + name)(c, *args, **kw)
    assert r is c
    torch.manual_seed(seed)
    getattr(torch.nn.init, name)(t, *args, **kw)
    return c.numpy(), t.numpy()


EXACT = [
    ("uniform_", (5, 7), (), {}),
    ("uniform_", (4, 3), (-2.0, 0.5), {}),
    ("kaiming_uniform_", (16, 8, 3, 3), (), {"a": 5 ** 0.5}),
    ("kaiming_uniform_", (10, 20), (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("xavier_uniform_", (30, 40), (), {"gain": 2.0}),
    ("xavier_uniform_", (6, 4, 5), (), {}),
]


@pytest.mark.parametrize("name,shape,args,kw", EXACT)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_family_is_exact(name, shape, args, kw, dtype):
    got, want = run(name, shape, *args, dtype=dtype, **kw)
    np.testing.assert_array_equal(got, want)


NORMAL = [
    ("normal_", (5, 7), (0.5, 2.0), {}),
    ("kaiming_normal_", (16, 8, 3, 3), (), {"a": 0.1}),
    ("kaiming_normal_", (12, 5), (), {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("xavier_normal_", (30, 40), (), {"gain": 0.5}),
    ("trunc_normal_", (50, 20), (), {}),
    ("trunc_normal_", (7, 3), (), {"mean": 1.0, "std": 0.5, "a": 0.0, "b": 1.2}),
    ("orthogonal_", (20, 6), (), {}),
    ("orthogonal_", (4, 3, 3, 3), (), {"gain": 1.5}),
]


@pytest.mark.parametrize("name,shape,args,kw", NORMAL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_family_matches(name, shape, args, kw, dtype):
    got, want = run(name, shape, *args, dtype=dtype, **kw)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_fills_eye_dirac():
    for name, shape, args in [("constant_", (3, 4), (0.25,)), ("ones_", (2, 5), ()),
                              ("zeros_", (4,), ()), ("eye_", (3, 5), ()), ("eye_", (5, 2), ()),
                              ("dirac_", (6, 3, 3), (2,)), ("dirac_", (4, 4, 3, 2), ()),
                              ("dirac_", (2, 3, 3, 3, 3), ())]:
        got, want = run(name, shape, *args)
        np.testing.assert_array_equal(got, want)


def test_fans_and_gains():
    for shape in [(3, 4), (8, 3, 5, 5), (2, 6, 7)]:
        c, t = pair(shape)
        assert C._init_calculate_fan_in_and_fan_out(c) == \
            torch.nn.init._calculate_fan_in_and_fan_out(t)
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                  ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0),
                  ("selu", None)]:
        assert C._init_calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p),
                                                              rel=1e-15)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        C._init_calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        C._init_calculate_gain("leaky_relu", True)


def test_errors_are_pytorchs():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        C._init_xavier_uniform_(ctorch.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        C._init_kaiming_uniform_(ctorch.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        C._init_eye_(ctorch.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        C._init_dirac_(ctorch.empty(2, 2))
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        C._init_orthogonal_(ctorch.empty(2))


def test_parameters_stay_leaves():
    p = ctorch.empty(4, 3, requires_grad=True)
    C._init_kaiming_uniform_(p, a=1.0)
    C._init_trunc_normal_(p)
    C._init_orthogonal_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
