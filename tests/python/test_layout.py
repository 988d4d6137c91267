"""Elementwise results keep their inputs' memory layout as PyTorch's
TensorIterator lays them out: strides and values of each case against
Debian's PyTorch 1.13, both libraries side by side in one process."""
import io

import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(7)
_A = _rng.standard_normal((3, 4)).astype(np.float32)
_B = _rng.standard_normal((4, 3)).astype(np.float32)
_X4 = _rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
_Y4 = _rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
_I = _rng.integers(-5, 6, (3, 4)).astype(np.int64)
_S = _rng.standard_normal((3, 1, 4)).astype(np.float32)
_D = _rng.standard_normal((2, 3, 4)).astype(np.float64)


def _t(lib, a):
    return lib.tensor(a.tolist(), dtype=getattr(lib, str(a.dtype)))


def _cl(lib, a):
    """a (NCHW) in channels-last memory: strides (HWC, 1, WC, C)."""
    return _t(lib, a).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)


def a(lib):
    return _t(lib, _A)


def b(lib):
    return _t(lib, _B)


def bt(lib):
    """_B's values, transposed in memory: shape (4, 3), strides (1, 4)."""
    return _t(lib, _B.T.copy()).t()


CASES = {
    # unary
    "exp_t": lambda L: a(L).t().exp(),
    "neg_t": lambda L: -a(L).t(),
    "abs_t": lambda L: a(L).t().abs(),
    "sigmoid_t": lambda L: a(L).t().sigmoid(),
    "sqrt_abs_t": lambda L: a(L).t().abs().sqrt(),
    "exp_permute3": lambda L: _t(L, _D).permute(2, 0, 1).exp(),
    "exp_cl": lambda L: _cl(L, _X4).exp(),
    # binary with scalars
    "add_scalar_t": lambda L: a(L).t() + 1,
    "mul_float_t": lambda L: a(L).t() * 2.5,
    "rsub_t": lambda L: 1 - a(L).t(),
    "pow_t": lambda L: a(L).t() ** 2,
    "add_scalar_cl": lambda L: _cl(L, _X4) + 1,
    "permute0231_add": lambda L: _t(L, _X4).permute(0, 2, 3, 1) + 1,
    # binary, same and mixed layouts
    "t_plus_t": lambda L: a(L).t() + a(L).t(),
    "t_plus_contig": lambda L: a(L).t() + b(L),
    "contig_plus_t": lambda L: b(L) + a(L).t(),
    "cl_plus_cl": lambda L: _cl(L, _X4) + _cl(L, _Y4),
    "cl_plus_contig": lambda L: _cl(L, _X4) + _t(L, _Y4),
    "contig_plus_cl": lambda L: _t(L, _Y4) + _cl(L, _X4),
    "mul_t_perm3_mixed": lambda L: _t(L, _D).permute(2, 0, 1) * _t(L, _D).permute(2, 1, 0).transpose(1, 2),
    # broadcast
    "t_plus_row": lambda L: a(L).t() + _t(L, _A[:, 0]),
    "t_plus_col": lambda L: a(L).t() + _t(L, _B[:, :1]),
    "row_plus_t": lambda L: _t(L, _A[:, 0]) + a(L).t(),
    "cl_plus_bias": lambda L: _cl(L, _X4) + _t(L, _X4[0, :, :1, :1]),
    "cl_plus_w": lambda L: _cl(L, _X4) * _t(L, _X4[0, 0, 0]),
    "expanded_exp": lambda L: _t(L, _A[:1]).expand(3, 4).exp(),
    # ternary and clamps
    "where_t": lambda L: L.where(a(L).t() > 0, a(L).t(), bt(L)),
    "where_mixed": lambda L: L.where(b(L) > 0, a(L).t(), b(L)),
    "clamp_t": lambda L: a(L).t().clamp(-0.5, 0.5),
    "clamp_min_tensor_t": lambda L: L.clamp(a(L).t(), min=b(L)),
    "lerp_t": lambda L: L.lerp(a(L).t(), bt(L), 0.3),
    "addcmul_t": lambda L: L.addcmul(a(L).t(), a(L).t(), b(L), value=0.5),
    # comparisons
    "gt_t": lambda L: a(L).t() > 0,
    "eq_t_t": lambda L: a(L).t() == a(L).t(),
    "lt_cl": lambda L: _cl(L, _X4) < _cl(L, _Y4),
    "isclose_t": lambda L: L.isclose(a(L).t(), bt(L)),
    "isclose_contig_t": lambda L: L.isclose(b(L), a(L).t()),
    # type promotion
    "int_t_plus_float_t": lambda L: _t(L, _I).t() + a(L).t(),
    "int_t_plus_float": lambda L: _t(L, _I).t() + 1.5,
    "int_t_div": lambda L: _t(L, _I).t() / 2,
    "int_t_plus_contig_float": lambda L: _t(L, _I).t() + b(L),
    "half_t_add": lambda L: a(L).t().half() + 1,
    # conversions and clones
    "to_double_t": lambda L: a(L).t().to(L.float64),
    "double_cl": lambda L: _cl(L, _X4).double(),
    "int_t": lambda L: a(L).t().int(),
    "clone_t": lambda L: a(L).t().clone(),
    "clone_cl": lambda L: _cl(L, _X4).clone(),
    "clone_nondense": lambda L: a(L).t()[::2],
    "to_nondense": lambda L: _t(L, _X4).permute(0, 2, 3, 1)[:, ::2].to(L.float64),
    # *_like
    "zeros_like_t": lambda L: L.zeros_like(a(L).t()),
    "ones_like_cl": lambda L: L.ones_like(_cl(L, _X4)),
    "full_like_t": lambda L: L.full_like(a(L).t(), 3.0),
    "empty_like_t_shape": lambda L: L.empty_like(a(L).t()).fill_(2.0),
    "zeros_like_nondense": lambda L: L.zeros_like(_t(L, _X4).permute(0, 2, 3, 1)[:, ::2]),
    "ones_like_dtype_t": lambda L: L.ones_like(a(L).t(), dtype=L.int32),
    # non-dense inputs
    "exp_step": lambda L: a(L)[:, ::2].exp(),
    "exp_t_step": lambda L: a(L).t()[::2].exp(),
    "exp_permute_step": lambda L: _t(L, _X4).permute(0, 2, 3, 1)[:, ::2].exp(),
    "add_permute_step": lambda L: _t(L, _X4).permute(3, 1, 0, 2)[::2] + 1,
    "exp_1d_step": lambda L: _t(L, _A.reshape(-1))[::3].exp(),
    # empty, 0-d and size-1 dims
    "empty_t": lambda L: L.zeros(0, 3).t().exp(),
    "empty_t_add": lambda L: L.zeros(2, 0, 3).permute(2, 0, 1) + 1,
    "zero_d": lambda L: _t(L, np.array(2.0, dtype=np.float32)).exp(),
    "zero_d_plus_t": lambda L: _t(L, np.array(2.0, dtype=np.float32)) + a(L).t(),
    "size1_permute": lambda L: _t(L, _S).permute(2, 1, 0).exp(),
    "size1_permute_add": lambda L: _t(L, _S).permute(2, 1, 0) + 1,
    "size1_t": lambda L: _t(L, _A[:1]).t() * 2,
    "size1_mixed": lambda L: _t(L, _S).permute(2, 1, 0) + _t(L, _S[:, 0].T.copy()).unsqueeze(1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layout_matches_pytorch(name):
    f = CASES[name]
    ours, ref = f(ctorch), f(torch)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert ours.stride() == ref.stride(), (name, ours.stride(), ref.stride())
    if name.startswith("empty_like"):
        return
    r = ref.double().numpy() if ref.dtype != torch.bool else ref.numpy()
    o = ours.numpy()
    np.testing.assert_allclose(o.astype(r.dtype), r, rtol=1e-3 if "half" in name else 1e-6)


def test_inplace_and_out_keep_their_tensor():
    x = a(ctorch).t().clone()
    st = x.stride()
    x.add_(1).mul_(2)
    assert x.stride() == st
    out = ctorch.empty(4, 3)
    ctorch.add(a(ctorch).t(), 1, out=out)
    assert out.stride() == (3, 1)
    np.testing.assert_allclose(out.numpy(), _A.T + 1, rtol=1e-6)


def test_numpy_tolist_print_of_permuted_results():
    x = a(ctorch).t().exp()
    ref = torch.tensor(_A).t().exp()
    assert x.stride() == (1, 4)
    np.testing.assert_allclose(x.numpy(), ref.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(x), ref.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.array(x.tolist()), np.array(ref.tolist()), rtol=1e-6)
    assert str(x) == str(ref)
    y = _cl(ctorch, _X4) * 2
    assert str(y) == str(_cl(torch, _X4) * 2)
    np.testing.assert_allclose(y.numpy(), _X4 * 2, rtol=1e-6)
    np.testing.assert_allclose(np.array(memoryview(x).tolist()), ref.numpy(), rtol=1e-6)
    assert x.reshape(-1).tolist() == pytest.approx(ref.reshape(-1).tolist())
    assert x.flatten().tolist() == pytest.approx(ref.flatten().tolist())
    assert x.contiguous().stride() == (3, 1)


def test_view_of_permuted_result_fails_like_pytorch():
    x = a(ctorch).t().exp()
    with pytest.raises(RuntimeError):
        torch.tensor(_A).t().exp().view(-1)
    with pytest.raises(RuntimeError):
        x.view(-1)


def test_save_load_of_permuted_results(tmp_path):
    x = a(ctorch).t() * 3
    y = _cl(ctorch, _X4) + 1
    buf = io.BytesIO()
    ctorch.save({"x": x, "y": y}, buf)
    buf.seek(0)
    d = ctorch.load(buf)
    np.testing.assert_allclose(d["x"].numpy(), _A.T * 3, rtol=1e-6)
    np.testing.assert_allclose(d["y"].numpy(), _X4 + 1, rtol=1e-6)
    # the file loads in PyTorch with the same values
    p = tmp_path / "t.pt"
    ctorch.save({"x": x, "y": y}, str(p))
    d2 = torch.load(str(p))
    np.testing.assert_allclose(d2["x"].numpy(), _A.T * 3, rtol=1e-6)
    np.testing.assert_allclose(d2["y"].numpy(), _X4 + 1, rtol=1e-6)


def _train(lib):
    x = _t(lib, _X4).permute(0, 2, 3, 1)  # (2, 4, 5, 3), permuted memory
    w = lib.tensor(_B[:3].tolist(), requires_grad=True)  # (3, 3)
    bias = lib.tensor([0.1, -0.2, 0.3], requires_grad=True)
    opt = lib.optim.SGD([w, bias], lr=0.1, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        h = (x * 2 + 1).tanh()  # keeps x's layout
        y = h @ w + bias
        loss = ((y.sigmoid() - 0.5) ** 2).mean() + (h.t() if h.dim() == 2 else h).abs().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, w.detach().numpy().copy(), bias.detach().numpy().copy()


def test_training_step_on_permuted_inputs():
    ours, ref = _train(ctorch), _train(torch)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "mul", "where", "to"])
def test_grads_of_permuted_inputs(name):
    def run(lib):
        p = lib.tensor(_A.tolist(), dtype=lib.float64, requires_grad=True)
        q = lib.tensor(_B.tolist(), dtype=lib.float64, requires_grad=True)
        x = p.t()
        if name == "exp":
            y = x.exp() * _t(lib, _B.astype(np.float64))
        elif name == "mul":
            y = x * q + x * q.t().t()
        elif name == "where":
            y = lib.where(x > 0, x * x, q * 3)
        else:
            y = x.to(lib.float32).to(lib.float64) * q
        (y * _t(lib, _B.astype(np.float64))).sum().backward()
        return p.grad.numpy().copy(), q.grad.numpy().copy() if q.grad is not None else None

    ours, ref = run(ctorch), run(torch)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-10)
    if ref[1] is not None:
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-10)


def test_gradcheck_permuted():
    p = ctorch.tensor(_A.tolist(), dtype=ctorch.float64, requires_grad=True)
    q = ctorch.tensor(_B.tolist(), dtype=ctorch.float64, requires_grad=True)
    assert ctorch.autograd.gradcheck(lambda p, q: (p.t().exp() * q).sigmoid(), (p, q))
    assert ctorch.autograd.gradcheck(lambda p, q: ctorch.where(q > 0, p.t(), q).tanh() + p.t(), (p, q))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_optimizers_take_a_permuted_parameter(name):
    """w.t().clone() is transposed now (as in PyTorch): the fused updates
    walk it in memory order with states laid out alike."""
    def run(lib):
        w = lib.nn.Parameter(_t(lib, _A).t().clone())
        W = _t(lib, _A)
        kw = {"SGD": dict(lr=0.1, momentum=0.9), "RMSprop": dict(lr=0.01, momentum=0.5, centered=True)}
        opt = getattr(lib.optim, name)([w], **kw.get(name, {}))
        for _ in range(3):
            opt.zero_grad()
            loss = ((W @ w).tanh() ** 2).sum() + (w * w.detach().contiguous()).sum()
            loss.backward()
            opt.step()
        return w.detach().numpy().copy(), w.stride()

    ours, ref = run(ctorch), run(torch)
    assert ours[1] == ref[1] == (1, 4)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-5, atol=1e-6)
