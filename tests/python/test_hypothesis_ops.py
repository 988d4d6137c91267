"""Property tests against NumPy (values) and Debian's PyTorch (result dtypes,
where NumPy's promotion rules differ from PyTorch's): type promotion for
every dtype pair, every elementwise op of the op table (unary, binary and
the pointwise CUSTOM ops with a NumPy counterpart) on random broadcast
shapes, dtypes and non-contiguous layouts, and every reduction over random
dims. Example counts are kept small so the file runs well under 60 s."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ctorch

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

ALL = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
NP_OK = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
FLOATS = ["float32", "float64"]


def _ct(a):
    """A ctorch tensor of a NumPy array (sometimes through a non-contiguous view)."""
    return ctorch.tensor(a.tolist(), dtype=getattr(ctorch, str(a.dtype))) if a.ndim == 0 else ctorch.from_numpy(a.copy())


def _name(dt):
    return str(dt).split(".")[-1]


# ---------------------------------------------------------------- promotion
@pytest.mark.parametrize("a", ALL)
@pytest.mark.parametrize("b", ALL)
def test_promotion_of_every_dtype_pair(a, b):
    want = _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    assert _name(ctorch.promote_types(getattr(ctorch, a), getattr(ctorch, b))) == want
    x, y = ctorch.ones(2, dtype=getattr(ctorch, a)), ctorch.ones(2, dtype=getattr(ctorch, b))
    assert _name((x * y).dtype) == want
    assert _name(ctorch.result_type(x, y)) == want
    # a 0-d tensor of a higher category still promotes; of the same category not
    tx, ty = torch.ones(2, dtype=getattr(torch, a)), torch.ones((), dtype=getattr(torch, b))
    assert _name(ctorch.result_type(x, ctorch.ones((), dtype=getattr(ctorch, b)))) == _name(torch.result_type(tx, ty))


@pytest.mark.parametrize("a", ALL)
@pytest.mark.parametrize("s", [True, 3, 2.5])
def test_promotion_with_python_scalars(a, s):
    x, tx = ctorch.ones(2, dtype=getattr(ctorch, a)), torch.ones(2, dtype=getattr(torch, a))
    assert _name((x + s).dtype) == _name((tx + s).dtype)
    assert _name((s * x).dtype) == _name((s * tx).dtype)


# ---------------------------------------------------------------- elementwise
def _elements(dt, lo=-50, hi=50, nonzero=False):
    if dt == "bool":
        return st.booleans()
    if dt in INTS:
        info = np.iinfo(dt)
        lo2, hi2 = max(math.ceil(lo), int(info.min)), min(math.floor(hi), int(info.max))
        s = st.integers(lo2, hi2)
        return s.filter(lambda v: v != 0) if nonzero else s
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=32 if dt == "float32" else 64)
    return s.filter(lambda v: abs(v) > 1e-3) if nonzero else s


@st.composite
def operands(draw, n, dtypes, lo=-50, hi=50, nonzero_last=False):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3, max_side=4)).input_shapes
    out = []
    for k, shp in enumerate(shapes):
        dt = draw(st.sampled_from(dtypes))
        el = _elements(dt, lo, hi, nonzero=nonzero_last and k == n - 1)
        out.append(draw(hnp.arrays(np.dtype(dt), shp, elements=el)))
    return out


def _check(ours, ref_np, ref_dtype, rtol):
    assert _name(ours.dtype) == _name(ref_dtype)
    got = ours.numpy()
    want = np.asarray(ref_np).astype(got.dtype) if got.dtype != np.bool_ else np.asarray(ref_np).astype(bool)
    assert got.shape == want.shape
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def _torch_dtype(op, arrays):
    ts = [torch.from_numpy(a.copy()) for a in arrays]
    return getattr(torch, op)(*ts).dtype


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "square": np.square, "reciprocal": lambda x: 1 / x,
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "erf": _erf,
    "erfc": lambda x: 1 - _erf(x), "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
    "frac": lambda x: x - np.trunc(x), "sigmoid": lambda x: 1 / (1 + np.exp(-np.asarray(x, np.float64))),
    "logical_not": np.logical_not, "bitwise_not": np.invert,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
    "relu": lambda x: np.maximum(x, 0),
}
UNARY_DTYPES = {"neg": [d for d in NP_OK if d != "bool"], "bitwise_not": ["bool"] + INTS,
                "sign": [d for d in NP_OK if d != "bool"], "relu": [d for d in NP_OK if d != "bool"],
                "floor": INTS + FLOATS, "ceil": INTS + FLOATS, "round": INTS + FLOATS, "trunc": INTS + FLOATS,
                "frac": FLOATS, "square": [d for d in NP_OK if d != "bool"], "abs": [d for d in NP_OK if d != "bool"]}
UNARY_RANGE = {"exp": (-20, 20), "exp2": (-20, 20), "expm1": (-20, 20), "sinh": (-20, 20), "cosh": (-20, 20),
               "tan": (-1.5, 1.5)}


def test_every_unary_table_op_has_a_reference():
    table = {e[0] for e in ctorch._C._op_table() if e[1] == "unary"}
    assert table <= set(UNARY)


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_ops_against_numpy(op):
    lo, hi = UNARY_RANGE.get(op, (-50, 50))

    @SETTINGS
    @given(operands(1, UNARY_DTYPES.get(op, NP_OK), lo, hi), st.booleans())
    def run(arrs, transpose):
        (a,) = arrs
        # a's values, sometimes in a transposed (non-contiguous) layout
        x = _ct(np.ascontiguousarray(a.T)).t() if transpose and a.ndim == 2 else _ct(a)
        ours = getattr(ctorch, op)(x)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = UNARY[op](a.astype(np.float64) if a.dtype.kind in "iub" and op not in (
                "neg", "abs", "sign", "square", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite",
                "floor", "ceil", "round", "trunc", "relu") else a)
        _check(ours, ref, _torch_dtype(op, [a]), 1e-5 if a.dtype == np.float32 or a.dtype.kind in "iub" else 1e-12)
    run()


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floor_divide": np.floor_divide, "remainder": np.remainder, "fmod": np.fmod, "pow": np.power,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
    "bitwise_left_shift": np.left_shift, "bitwise_right_shift": np.right_shift,
    "atan2": np.arctan2, "hypot": np.hypot, "maximum": np.maximum, "minimum": np.minimum,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
}
NOBOOL = [d for d in NP_OK if d != "bool"]
BINARY_DTYPES = {"sub": NOBOOL, "floor_divide": NOBOOL, "remainder": NOBOOL, "fmod": NOBOOL,
                 "pow": ["int64", "float32", "float64"], "bitwise_and": ["bool"] + INTS,
                 "bitwise_or": ["bool"] + INTS, "bitwise_xor": ["bool"] + INTS,
                 "bitwise_left_shift": ["int32", "int64"], "bitwise_right_shift": ["int32", "int64"],
                 "atan2": FLOATS, "hypot": FLOATS}


def test_every_binary_table_op_has_a_reference():
    table = {e[0] for e in ctorch._C._op_table() if e[1] == "binary"}
    assert table <= set(BINARY)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_ops_against_numpy(op):
    dts = BINARY_DTYPES.get(op, NP_OK)
    nonzero = op in ("div", "floor_divide", "remainder", "fmod")
    lo, hi = {"pow": (0, 4), "bitwise_left_shift": (0, 20), "bitwise_right_shift": (0, 20)}.get(op, (-50, 50))

    @SETTINGS
    @given(operands(2, dts, lo, hi, nonzero_last=nonzero))
    def run(arrs):
        a, b = arrs
        tdt = _torch_dtype(op, [a, b])
        ours = getattr(ctorch, op)(_ct(a), _ct(b))
        # NumPy computes in the PyTorch result dtype (its own promotion differs)
        fl = str(tdt) in ("torch.float32", "torch.float64")
        npdt = np.float64 if fl else None
        # operands rounded to the result dtype first (as the kernel sees them)
        ca = a.astype(_name(tdt)).astype(np.float64) if fl else a
        cb = b.astype(_name(tdt)).astype(np.float64) if fl else b
        if npdt is None and op not in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                                       "logical_xor") and str(tdt) != "torch.bool":
            w = np.dtype(_name(tdt))
            ca, cb = a.astype(w), b.astype(w)
        with np.errstate(all="ignore"):
            ref = BINARY[op](ca, cb)
        _check(ours, ref, tdt, 1e-5 if "float32" in str(tdt) else 1e-10)
    run()


# ---------------------------------------------------------------- reductions
REDUCE_DTYPES = {"sum": NP_OK, "prod": NP_OK, "mean": FLOATS, "amax": NOBOOL, "amin": NOBOOL,
                 "max": NOBOOL, "min": NOBOOL, "argmax": NOBOOL, "argmin": NOBOOL, "var": FLOATS,
                 "std": FLOATS, "logsumexp": FLOATS, "all": NP_OK, "any": NP_OK,
                 "count_nonzero": NP_OK, "cumsum": NP_OK, "cumprod": NOBOOL, "norm": FLOATS,
                 "cummax": NOBOOL, "cummin": NOBOOL, "aminmax": NOBOOL, "var_mean": FLOATS,
                 "std_mean": FLOATS}


def _np_reduce(op, a, d, keep):
    ax = d
    if op in ("cumsum", "cumprod"):
        r = getattr(np, op)(a, axis=d)
        return r.astype(np.int64) if a.dtype.kind in "biu" else r
    if op in ("cummax", "cummin"):
        f = np.maximum if op == "cummax" else np.minimum
        return f.accumulate(a, axis=d)
    if op == "sum":
        r = np.sum(a, axis=ax, keepdims=keep, dtype=np.int64 if a.dtype.kind in "biu" else np.float64)
    elif op == "prod":
        r = np.prod(a, axis=ax, keepdims=keep, dtype=np.int64 if a.dtype.kind in "biu" else np.float64)
    elif op == "mean":
        r = np.mean(a.astype(np.float64), axis=ax, keepdims=keep)
    elif op in ("amax", "max"):
        r = np.max(a, axis=ax, keepdims=keep)
    elif op in ("amin", "min"):
        r = np.min(a, axis=ax, keepdims=keep)
    elif op in ("argmax", "argmin"):
        r = getattr(np, op)(a, axis=ax, keepdims=keep)
    elif op in ("var", "std"):
        r = getattr(np, op)(a.astype(np.float64), axis=ax, keepdims=keep, ddof=1)
    elif op == "logsumexp":
        m = np.max(a.astype(np.float64), axis=ax, keepdims=True)
        r = np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True)) + m
        r = r if keep else np.squeeze(r, axis=ax)
    elif op == "all":
        r = np.all(a, axis=ax, keepdims=keep)
    elif op == "any":
        r = np.any(a, axis=ax, keepdims=keep)
    elif op == "count_nonzero":
        r = np.count_nonzero(a, axis=ax)
    elif op == "norm":
        r = np.sqrt(np.sum(a.astype(np.float64) ** 2, axis=ax, keepdims=keep))
    return r


def _call(lib, op, x, d, keep):
    if op in ("cumsum", "cumprod", "cummax", "cummin"):
        r = getattr(lib, op)(x, d)
        return r[0] if op in ("cummax", "cummin") else r
    if op == "count_nonzero":
        return lib.count_nonzero(x, dim=d)
    if op == "norm":
        return lib.norm(x, dim=d, keepdim=keep)
    if op in ("max", "min"):
        return getattr(lib, op)(x, dim=d, keepdim=keep)[0]
    if op == "aminmax":
        return lib.aminmax(x, dim=d, keepdim=keep)[0]
    if op in ("var_mean", "std_mean"):
        return getattr(lib, op)(x, dim=d, keepdim=keep)[0]
    return getattr(lib, op)(x, dim=d, keepdim=keep)


NP_NAME = {"aminmax": "amin", "var_mean": "var", "std_mean": "std"}


@st.composite
def reduce_case(draw, dtypes):
    shp = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    dt = draw(st.sampled_from(dtypes))
    a = draw(hnp.arrays(np.dtype(dt), shp, elements=_elements(dt, -4, 4)))
    d = draw(st.integers(-a.ndim, a.ndim - 1))
    return a, d, draw(st.booleans())


@pytest.mark.parametrize("op", sorted(REDUCE_DTYPES))
def test_reductions_against_numpy(op):
    @SETTINGS
    @given(reduce_case(REDUCE_DTYPES[op]))
    def run(case):
        a, d, keep = case
        ours = _call(ctorch, op, _ct(a), d, keep)
        tdt = _call(torch, op, torch.from_numpy(a.copy()), d, keep).dtype
        with np.errstate(all="ignore"):
            ref = _np_reduce(NP_NAME.get(op, op), a, d, keep)
        rtol = 1e-4 if a.dtype == np.float32 else 1e-10
        if op == "prod" and a.dtype.kind in "iu":
            ref = np.asarray(ref)  # wraps like PyTorch's int64 accumulation
        _check(ours, ref, tdt, rtol)
    run()


def test_full_reductions_against_numpy():
    @SETTINGS
    @given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                      elements=_elements("float64", -4, 4)))
    def run(a):
        x = _ct(a)
        np.testing.assert_allclose(ctorch.sum(x).item(), np.sum(a), atol=1e-12)
        np.testing.assert_allclose(ctorch.prod(x).item(), np.prod(a), rtol=1e-12)
        assert ctorch.all(x).item() == bool(np.all(a)) and ctorch.any(x).item() == bool(np.any(a))
        assert ctorch.count_nonzero(x).item() == np.count_nonzero(a)
        if a.size:
            assert ctorch.max(x).item() == np.max(a) and ctorch.min(x).item() == np.min(a)
            np.testing.assert_allclose(ctorch.mean(x).item(), np.mean(a), atol=1e-12)
    run()
