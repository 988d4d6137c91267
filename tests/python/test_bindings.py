"""Every op of the C op table is reachable from Python where PyTorch has it,
errors map to PyTorch's exception types, and large kernels release the GIL."""
import sys
import threading
import time

import pytest
import torch

import ctorch


def table():
    return ctorch._C._op_table()


def test_op_table_is_exported():
    names = [e[0] for e in table()]
    assert "view" in names and "reshape" in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize("entry", table(), ids=[e[0] for e in table()])
def test_every_table_op_is_bound_where_torch_has_it(entry):
    name, sig, is_func, is_method, _ = entry
    if is_func:
        # PyTorch's native linalg_X is torch.linalg.X
        tmod, cmod, fname = torch, ctorch, name
        if name.startswith("linalg_") and not hasattr(torch, name):
            tmod, cmod, fname = torch.linalg, ctorch.linalg, name[len("linalg_"):]
        assert hasattr(tmod, fname), f"table says torch.{name} exists"
        assert callable(getattr(cmod, fname, None)), f"ctorch.{name} missing"
    if is_method:
        assert hasattr(torch.Tensor, name), f"table says Tensor.{name} exists"
        assert callable(getattr(ctorch.Tensor, name, None)), f"ctorch.Tensor.{name} missing"
        if sig in ("unary", "binary") and hasattr(torch.Tensor, name + "_"):
            assert callable(getattr(ctorch.Tensor, name + "_", None))


def test_engine_errors_become_torch_exception_types():
    cases = [
        (lambda m: m.zeros(2, 3).view(4), RuntimeError),
        (lambda m: m.zeros(2, 3).transpose(0, 5), IndexError),
        (lambda m: m.zeros(2, 3).select(0, 7), IndexError),
        (lambda m: m.zeros(2, 3).expand(3, 3), RuntimeError),
        (lambda m: m.zeros(2).item(), (RuntimeError, ValueError)),
        (lambda m: m.zeros(2).view("a"), TypeError),
        (lambda m: m.zeros(2).reshape(2, bogus=1), TypeError),
        (lambda m: m.zeros(2, 3).unsqueeze(4), IndexError),
    ]
    for f, exc in cases:
        with pytest.raises(exc):
            f(torch)
        with pytest.raises(exc):
            f(ctorch)


def test_engine_message_reaches_python():
    with pytest.raises(RuntimeError, match=r"invalid for input of size 6"):
        ctorch.zeros(2, 3).view(4)


def test_large_kernels_release_the_gil():
    n = 4_000_000
    src, dst = ctorch.ones(n), ctorch.empty(n)
    state = {"in_op": False, "seen": 0, "done": False}
    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)  # no forced switches: only a released GIL lets us in

    def worker():
        for _ in range(20):
            state["in_op"] = True
            dst.copy_(src)
            state["in_op"] = False
        state["done"] = True

    try:
        th = threading.Thread(target=worker)
        th.start()
        deadline = time.time() + 20
        while not state["done"] and time.time() < deadline:
            if state["in_op"]:
                state["seen"] += 1
            time.sleep(0.0002)
        th.join()
    finally:
        sys.setswitchinterval(old)
    assert state["seen"] > 0
    assert dst[n - 1].item() == 1.0
