"""Operators, reflected operators with Python scalars, in-place forms and the
generic table bindings, against torch (values and result dtypes) and NumPy
(broadcasting, property tests)."""
import operator

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ctorch
from conftest import has_op, needs_ops

DTYPES = ["float32", "float64", "int64", "int16", "uint8", "bool"]
OPS = [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
       ("div", operator.truediv), ("floor_divide", operator.floordiv), ("remainder", operator.mod),
       ("pow", operator.pow), ("bitwise_and", operator.and_), ("bitwise_or", operator.or_),
       ("bitwise_xor", operator.xor), ("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
       ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]


def available(name):
    return has_op(name) or (name == "floor_divide" and has_op("div"))


def outcome(f):
    try:
        return "ok", f()
    except Exception as e:  # noqa: BLE001  the exception type is what we compare
        return "err", type(e)


def same(got, want):
    kind_g, g = got
    kind_w, w = want
    if kind_w == "err":
        assert kind_g == "err", f"torch raised {w}, ctorch returned {g}"
        return
    assert kind_g == "ok", f"ctorch raised {g}, torch returned {w}"
    if isinstance(w, torch.Tensor):
        assert str(g.dtype) == str(w.dtype)
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.double().numpy() if g.dtype is not ctorch.bool else g.numpy(),
                                   w.double().numpy() if w.dtype is not torch.bool else w.numpy(),
                                   rtol=1e-5, atol=1e-6, equal_nan=True)


def make(mod, dt, vals):
    return mod.tensor(vals, dtype=getattr(mod, dt))


VALS_A = [[1, 2, 3], [4, 0, 6]]
VALS_B = [3, 1, 2]


@pytest.mark.parametrize("name,op", OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("dta", DTYPES)
@pytest.mark.parametrize("dtb", ["float32", "int64", "bool"])
def test_binary_operator_matches_torch(name, op, dta, dtb):
    if not available(name):
        pytest.skip(f"{name} not merged yet")
    want = outcome(lambda: op(make(torch, dta, VALS_A), make(torch, dtb, VALS_B)))
    got = outcome(lambda: op(make(ctorch, dta, VALS_A), make(ctorch, dtb, VALS_B)))
    same(got, want)


SCALARS = [2, -1, 2.5, True, 0.5]


@pytest.mark.parametrize("name,op", OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("dt", ["float32", "int64", "uint8", "bool", "float64"])
@pytest.mark.parametrize("s", SCALARS, ids=[repr(s) for s in SCALARS])
def test_scalar_and_reflected_operands_are_wrapped_numbers(name, op, dt, s):
    if not available(name):
        pytest.skip(f"{name} not merged yet")
    same(outcome(lambda: op(make(ctorch, dt, VALS_A), s)), outcome(lambda: op(make(torch, dt, VALS_A), s)))
    same(outcome(lambda: op(s, make(ctorch, dt, VALS_A))), outcome(lambda: op(s, make(torch, dt, VALS_A))))


IOPS = [("add", operator.iadd), ("sub", operator.isub), ("mul", operator.imul),
        ("div", operator.itruediv)]


@pytest.mark.parametrize("name,op", IOPS, ids=[o[0] for o in IOPS])
@pytest.mark.parametrize("dt", ["float32", "int64"])
@pytest.mark.parametrize("other", [2, 1.5, "tensor"])
def test_inplace_operators_keep_identity_and_match_torch(name, op, dt, other):
    if not available(name):
        pytest.skip(f"{name} not merged yet")
    g, w = make(ctorch, dt, VALS_A), make(torch, dt, VALS_A)
    go = make(ctorch, dt, VALS_B) if other == "tensor" else other
    wo = make(torch, dt, VALS_B) if other == "tensor" else other
    before = g
    rw = outcome(lambda: op(w, wo))
    rg = outcome(lambda: op(g, go))
    same(rg, rw)
    if rg[0] == "ok":
        assert rg[1] is before
        assert g.tolist() == w.tolist()


@needs_ops("add", "sub", "mul", "div")
def test_function_and_method_forms_with_out_and_alpha():
    a, b = ctorch.tensor([1.0, 2.0]), ctorch.tensor([3.0, 5.0])
    out = ctorch.empty(2)
    assert ctorch.add(a, b, out=out) is out and out.tolist() == [4, 7]
    assert ctorch.add(a, b, alpha=2).tolist() == [7, 12]
    assert a.sub(b, alpha=0.5).tolist() == [-0.5, -0.5]
    assert a.add_(1) is a and a.tolist() == [2, 3]
    assert ctorch.div(ctorch.tensor([7, -7]), 2, rounding_mode="floor").tolist() == [3, -4]
    assert ctorch.div(ctorch.tensor([7, -7]), 2, rounding_mode="trunc").tolist() == [3, -3]
    with pytest.raises(TypeError):
        ctorch.mul(a, b, alpha=2)


@needs_ops("neg", "exp", "log")
def test_unary_table_ops_function_method_inplace_out():
    x = ctorch.tensor([0.5, 1.0, 2.0])
    t = torch.tensor([0.5, 1.0, 2.0])
    for name in ["neg", "exp", "log"]:
        np.testing.assert_allclose(getattr(ctorch, name)(x).numpy(), getattr(torch, name)(t).numpy(), rtol=1e-6)
        np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(t, name)().numpy(), rtol=1e-6)
        y = x.clone()
        assert getattr(y, name + "_")() is y
        np.testing.assert_allclose(y.numpy(), getattr(t, name)().numpy(), rtol=1e-6)
        out = ctorch.empty(3)
        assert getattr(ctorch, name)(x, out=out) is out
    np.testing.assert_allclose((-x).numpy(), (-t).numpy())


def test_comparison_with_none_and_foreign_objects():
    x = ctorch.zeros(2)
    assert (x == None) is False  # noqa: E711  (PyTorch's answer)
    assert (x != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        x + "a"


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@st.composite
def broadcastable(draw):
    a = draw(shapes)
    b = [draw(st.sampled_from([1, d])) for d in a][draw(st.integers(0, len(a))):]
    if draw(st.booleans()):
        a, b = b, a
    return a, b


@needs_ops("add", "mul", "sub")
@settings(max_examples=60, deadline=None)
@given(broadcastable(), st.sampled_from(["add", "mul", "sub"]),
       st.sampled_from(["float32", "float64", "int64", "int32", "int16", "uint8"]),
       st.sampled_from(["float32", "float64", "int64", "int32", "int16", "uint8"]))
def test_broadcasting_and_promotion_match_numpy_and_torch(shapes_ab, name, da, db):
    sa, sb = shapes_ab
    a = (np.arange(int(np.prod(sa))) % 5 + 1).astype(da).reshape(sa)
    b = (np.arange(int(np.prod(sb))) % 3 + 1).astype(db).reshape(sb)
    got = getattr(ctorch, name)(ctorch.from_numpy(a), ctorch.from_numpy(b))
    want = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    assert str(got.dtype) == str(want.dtype)
    assert tuple(got.shape) == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@needs_ops("matmul")
def test_matmul_operator_and_linalg_bindings():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    g = ctorch.from_numpy(a) @ ctorch.from_numpy(b)
    np.testing.assert_allclose(g.numpy(), a @ b)
    np.testing.assert_allclose(ctorch.mm(ctorch.from_numpy(a), ctorch.from_numpy(b)).numpy(), a @ b)
    np.testing.assert_allclose(ctorch.from_numpy(a).matmul(ctorch.from_numpy(b)).numpy(), a @ b)
    v = ctorch.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ctorch.mv(ctorch.from_numpy(a), v.double()).numpy(), a @ [1, 2, 3])
    assert ctorch.dot(v, v).item() == 14
    np.testing.assert_allclose(ctorch.addmm(ctorch.ones(2, 4, dtype=ctorch.float64), ctorch.from_numpy(a),
                                            ctorch.from_numpy(b), beta=2, alpha=3).numpy(), 2 + 3 * (a @ b))
    with pytest.raises(RuntimeError):
        ctorch.mm(ctorch.zeros(2, 3), ctorch.zeros(2, 3))
    with pytest.raises(RuntimeError):
        torch.mm(torch.zeros(2, 3), torch.zeros(2, 3))


UNARY = [e[0] for e in ctorch._C._op_table() if e[1] == "unary" and e[2] and hasattr(torch, e[0])]
BINARY = [e[0] for e in ctorch._C._op_table() if e[1] == "binary" and e[2] and hasattr(torch, e[0])]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "bool"])
def test_every_unary_table_op_matches_torch(name, dt):
    vals = [[0.1, 0.5, 0.9], [0.25, 0.75, 0.3]] if dt.startswith("float") else [[0, 1, 1], [1, 0, 1]]
    x, t = make(ctorch, dt, vals), make(torch, dt, vals)
    same(outcome(lambda: getattr(ctorch, name)(x)), outcome(lambda: getattr(torch, name)(t)))
    if hasattr(torch.Tensor, name):
        same(outcome(lambda: getattr(x, name)()), outcome(lambda: getattr(t, name)()))
    if hasattr(torch.Tensor, name + "_"):
        xc, tc = x.clone(), t.clone()
        rg, rw = outcome(lambda: getattr(xc, name + "_")()), outcome(lambda: getattr(tc, name + "_")())
        same(rg, rw)
        if rw[0] == "ok":
            assert rg[1] is xc
            np.testing.assert_allclose(xc.double().numpy(), tc.double().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dts", [("float32", "float32"), ("float64", "int64"), ("int64", "int64"),
                                 ("int32", "bool"), ("bool", "bool")])
def test_every_binary_table_op_matches_torch(name, dts):
    a = [[1, 2, 3], [4, 5, 6]]
    b = [2, 1, 3]
    x, y = make(ctorch, dts[0], a), make(ctorch, dts[1], b)
    t, u = make(torch, dts[0], a), make(torch, dts[1], b)
    same(outcome(lambda: getattr(ctorch, name)(x, y)), outcome(lambda: getattr(torch, name)(t, u)))
    same(outcome(lambda: getattr(ctorch, name)(x, 2)), outcome(lambda: getattr(torch, name)(t, 2)))
    out_c, out_t = ctorch.empty(2, 3, dtype=x.dtype), torch.empty(2, 3, dtype=t.dtype)
    same(outcome(lambda: getattr(ctorch, name)(x, y, out=out_c)), outcome(lambda: getattr(torch, name)(t, u, out=out_t)))
