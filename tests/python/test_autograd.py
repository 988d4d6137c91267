"""Autograd from Python against Debian's torch: gradients, graph attributes,
hooks, grad modes, custom Functions, higher order, gradcheck."""
import numpy as np
import pytest
import torch

import ctorch

pytestmark = pytest.mark.skipif(not hasattr(ctorch._C, "_grad"), reason="autograd engine not merged yet")


def both(f):
    return f(ctorch), f(torch)


def close(g, w):
    assert (g is None) == (w is None)
    if w is not None:
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5, atol=1e-6)


def leaf(m, vals, dt="float32"):
    return m.tensor(vals, dtype=getattr(m, dt), requires_grad=True)


def test_backward_accumulates_leaf_grads_like_torch():
    def run(m):
        x = leaf(m, [1.0, -2.0, 3.0])
        w = leaf(m, [0.5, 0.25, 2.0])
        y = (x * w + x).exp()
        y.backward(m.ones(3))
        y2 = x * 3
        y2.backward(m.tensor([1.0, 1.0, 2.0]))  # accumulates
        return x.grad, w.grad
    (gx, gw), (tx, tw) = both(run)
    close(gx, tx)
    close(gw, tw)


def test_graph_attributes():
    x = leaf(ctorch, [1.0, 2.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf and x.grad_fn is None
    assert y.grad_fn.name() == "MulBackward0"
    nf = y.grad_fn.next_functions
    assert nf[0][0].name() == "AccumulateGrad" and nf[0][0].variable is x
    assert "grad_fn=<MulBackward0>" in repr(y)
    assert repr(x).endswith("requires_grad=True)")
    y.backward(ctorch.ones(2))
    assert x.grad is x.grad  # identity through t->pyobj
    with pytest.raises(RuntimeError):
        y.requires_grad = False


def test_retain_grad_and_non_leaf_grad():
    x = leaf(ctorch, [1.0, 2.0])
    y = x * 3
    y.retain_grad()
    (y * y).backward(ctorch.ones(2))
    assert y.retains_grad and y.grad.tolist() == [6.0, 12.0]


def test_grad_with_create_graph_gives_higher_order():
    def run(m):
        x = leaf(m, [1.0, 2.0, 3.0], "float64")
        y = x * x * x
        (g,) = m.autograd.grad(y, x, m.ones(3, dtype=m.float64), create_graph=True)
        (g2,) = m.autograd.grad(g, x, m.ones(3, dtype=m.float64))
        return g, g2
    (g, g2), (t, t2) = both(run)
    close(g, t)
    close(g2, t2)


def test_grad_allow_unused_and_errors():
    x, z = leaf(ctorch, [1.0]), leaf(ctorch, [2.0])
    y = x * 2
    gx, gz = ctorch.autograd.grad(y, (x, z), ctorch.ones(1), allow_unused=True)
    assert gx.tolist() == [2.0] and gz is None
    with pytest.raises(RuntimeError):
        ctorch.autograd.grad(x * 2, z, ctorch.ones(1))
    y = x * 2
    y.backward(ctorch.ones(1))
    with pytest.raises(RuntimeError):
        y.backward(ctorch.ones(1))  # graph freed without retain_graph


def test_backward_inputs_and_retain_graph():
    x, w = leaf(ctorch, [1.0, 2.0]), leaf(ctorch, [3.0, 4.0])
    y = x * w
    y.backward(ctorch.ones(2), retain_graph=True, inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0, 2.0]
    y.backward(ctorch.ones(2))
    assert x.grad.tolist() == [3.0, 4.0]


def test_hooks_can_replace_gradients_and_be_removed():
    x = leaf(ctorch, [1.0, 2.0])
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 2).backward(ctorch.ones(2))
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]
    h.remove()
    x.grad = None
    (x * 2).backward(ctorch.ones(2))
    assert x.grad.tolist() == [2.0, 2.0]


def test_exception_in_hook_reaches_the_caller():
    x = leaf(ctorch, [1.0])

    def bad(g):
        raise KeyError("from the hook")
    x.register_hook(bad)
    with pytest.raises(KeyError, match="from the hook"):
        (x * 2).backward(ctorch.ones(1))


def test_grad_modes_as_context_managers_and_decorators():
    x = leaf(ctorch, [1.0])
    with ctorch.no_grad():
        assert not (x * 2).requires_grad
        with ctorch.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ctorch.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and f.__name__ == "f"
    with ctorch.set_grad_enabled(False):
        assert not ctorch.is_grad_enabled()
    assert ctorch.is_grad_enabled()
    with ctorch.inference_mode():
        assert not (x * 2).requires_grad and ctorch.is_inference_mode_enabled()
    assert not ctorch.is_inference_mode_enabled()


def test_detach_and_data_share_memory_out_of_the_graph():
    x = leaf(ctorch, [1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 7
    assert x[0].item() == 7
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_custom_function_matches_torch():
    def make(m):
        class Cube(m.autograd.Function):
            @staticmethod
            def forward(ctx, a, k):
                ctx.save_for_backward(a)
                ctx.k = k
                return a * a * a * k

            @staticmethod
            def backward(ctx, go):
                (a,) = ctx.saved_tensors
                assert ctx.needs_input_grad[0] and not ctx.needs_input_grad[1]
                return go * 3 * a * a * ctx.k, None
        return Cube

    def run(m):
        a = leaf(m, [1.0, -2.0])
        out = make(m).apply(a, 2.0)
        out.backward(m.ones(2))
        return out, a.grad
    (o, g), (to, tg) = both(run)
    close(o, to)
    close(g, tg)


def test_custom_function_exception_in_backward():
    class Bad(ctorch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, go):
            raise ArithmeticError("bad backward")
    a = leaf(ctorch, [1.0])
    with pytest.raises(ArithmeticError):
        Bad.apply(a).backward(ctorch.ones(1))


def test_gradcheck():
    x = ctorch.tensor([0.3, -1.2, 2.0], dtype=ctorch.float64, requires_grad=True)
    assert ctorch.autograd.gradcheck(lambda t: (t * t).exp(), (x,))

    def wrong(t):
        class W(ctorch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * a

            @staticmethod
            def backward(ctx, go):
                return go  # wrong on purpose
        return W.apply(t)
    assert ctorch.autograd.gradcheck(wrong, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError):
        ctorch.autograd.gradcheck(wrong, (x,))


def test_variable_is_a_tensor():
    from ctorch.autograd import Variable
    v = Variable(ctorch.ones(2), requires_grad=True)
    assert isinstance(v, ctorch.Tensor) and v.requires_grad
