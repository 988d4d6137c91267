#!/usr/bin/python3
"""GPU benchmark: ctorch and PyTorch on one GPU in the SAME process,
interleaved call batch by call batch (run by hand on a GPU machine; `make
bench` runs it only when ctorch sees a GPU).

    PYTHONPATH=python python3 bench/bench_cuda.py [--quick] [--only name,...] [--cpu]

--cpu runs the same workloads on the CPU at small sizes: a check of the
script itself on a machine without a GPU, not a benchmark.

Use a Python whose torch is PyTorch 2.x with CUDA; when torch is missing or
torch.cuda.is_available() is false, ctorch runs alone (ratios are then
absent). Every timed batch is bracketed by synchronize() of its framework,
so a time covers the GPU work, not just the launches. Each round times a
batch of ctorch calls and a batch of torch calls (the order alternates), the
ratio ctorch/torch is taken per round, and the median over rounds is shown
with its 10th-90th percentile spread (below 1 = ctorch faster). Rows also
read as a fraction of the machine: GEMMs in TFLOP/s, elementwise add in GB/s
and as a fraction of the device-to-device copy rate (copy_ of the same
size) measured in the same run.
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
CPU = "--cpu" in sys.argv
QUICK = "--quick" in sys.argv or CPU


# --only selection and percentiles: the same as the CPU paired bench
sys.path.insert(0, HERE)
from bench_paired import only, pct  # noqa: E402


def batch(fn, sync, inner):
    """Seconds per call of `inner` calls, the GPU drained before and after."""
    sync()
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    sync()
    return (time.perf_counter() - t0) / inner


def paired(fc, sc, ft, st, rounds, budget, target=0.02):
    """Per-round seconds per call (ctorch list, torch list or None)."""
    fc()
    if ft:
        ft()
    one = batch(fc, sc, 1)
    if ft:
        one = min(one, batch(ft, st, 1))
    inner = max(1, min(10000, int(target / max(one, 1e-7))))
    rc, rt = [], []
    start = time.perf_counter()
    for r in range(rounds):
        if ft is None:
            rc.append(batch(fc, sc, inner))
        elif r % 2 == 0:
            rc.append(batch(fc, sc, inner))
            rt.append(batch(ft, st, inner))
        else:
            rt.append(batch(ft, st, inner))
            rc.append(batch(fc, sc, inner))
        if r >= 4 and time.perf_counter() - start > budget:
            break
    return rc, (rt if ft else None)


def resnet_step(F, dev, x, y, width, blocks):
    """One training step of a small ResNet-style net (conv-bn-relu blocks
    with identity shortcuts, global pool, linear, cross-entropy, SGD with
    momentum) built from framework F's own nn/optim."""
    nn = F.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
            self.b1 = nn.BatchNorm2d(width)
            self.c2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
            self.b2 = nn.BatchNorm2d(width)

        def forward(self, h):
            o = F.relu(self.b1(self.c1(h)))
            return F.relu(self.b2(self.c2(o)) + h)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, width, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(width)
            self.body = nn.Sequential(*[Block() for _ in range(blocks)])
            self.fc = nn.Linear(width, 10)

        def forward(self, h):
            h = F.relu(self.bn(self.stem(h)))
            h = self.body(h)
            return self.fc(h.mean((2, 3)))

    F.manual_seed(0)
    net = Net().to(dev)
    opt = F.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    return step


def workloads(C, T, cdev, tdev):
    """(name, build(F, dev) -> call, rounds, (unit, amount per call) or None)."""
    rng = np.random.default_rng(0)
    n = (1 if CPU else 16 if QUICK else 64) * 1024 * 1024
    A = rng.random(n, dtype=np.float32)
    B = rng.random(n, dtype=np.float32)
    G = 256 if CPU else 4096 if not QUICK else 2048
    P = rng.standard_normal((G, G), dtype=np.float32)
    Q = rng.standard_normal((G, G), dtype=np.float32)
    SM = 512 if CPU else 4096
    S = rng.standard_normal((SM, SM), dtype=np.float32)
    X = rng.standard_normal((4 if CPU else 32, 64, 56, 56), dtype=np.float32)
    W = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    L = rng.standard_normal((4096, 1000), dtype=np.float32)
    Y = rng.integers(0, 1000, 4096)
    R = rng.standard_normal((32, 3, 32, 32), dtype=np.float32)
    RY = rng.integers(0, 10, 32)
    r = 3 if CPU else 9 if QUICK else 31

    def put(F, dev, a, dtype=None, grad=False):
        t = F.from_numpy(np.ascontiguousarray(a)).to(dev)
        if dtype is not None:
            t = t.to(getattr(F, dtype))
        if grad:
            t.requires_grad_(True)
        return t

    def add(F, dev):
        a, b = put(F, dev, A), put(F, dev, B)
        o = F.empty(n, device=dev)
        return lambda: F.add(a, b, out=o)

    def copy(F, dev):
        a, o = put(F, dev, A), F.empty(n, device=dev)
        return lambda: o.copy_(a)

    def mm(dtype, tf32):
        def build(F, dev):
            F.backends.cuda.matmul.allow_tf32 = tf32
            p, q = put(F, dev, P, dtype), put(F, dev, Q, dtype)
            return lambda: F.mm(p, q)
        return build

    def softmax(F, dev):
        s = put(F, dev, S)
        return lambda: F.softmax(s, -1)

    def conv_fwd(F, dev):
        x, w = put(F, dev, X), put(F, dev, W)
        return lambda: F.nn.functional.conv2d(x, w, padding=1)

    def conv_bwd(F, dev):
        x, w = put(F, dev, X, grad=True), put(F, dev, W, grad=True)
        out = F.nn.functional.conv2d(x, w, padding=1)
        g = F.ones_like(out)
        return lambda: F.autograd.grad(out, (x, w), g, retain_graph=True)

    def xent(F, dev):
        lg, y = put(F, dev, L, grad=True), F.from_numpy(Y).to(dev)

        def f():
            loss = F.nn.functional.cross_entropy(lg, y)
            loss.backward()
        return f

    def resnet(F, dev):
        x, y = put(F, dev, R), F.from_numpy(RY).to(dev)
        return resnet_step(F, dev, x, y, 64, 4)

    flops = 2.0 * G ** 3
    return [
        ("copy_d2d_%dM_f32" % (n >> 20), copy, r, ("GB/s", 8.0 * n)),
        ("add_%dM_f32" % (n >> 20), add, r, ("GB/s", 12.0 * n)),
        ("sgemm_%d" % G, mm(None, False), r, ("TFLOP/s", flops)),
        ("tf32_gemm_%d" % G, mm(None, True), r, ("TFLOP/s", flops)),
        ("bf16_gemm_%d" % G, mm("bfloat16", False), r, ("TFLOP/s", flops)),
        ("softmax_%dx%d" % (SM, SM), softmax, r, ("GB/s", 8.0 * SM * SM)),
        ("conv2d_fwd_32x64x56", conv_fwd, r, None),
        ("conv2d_bwd_32x64x56", conv_bwd, r, None),
        ("cross_entropy_4096x1000", xent, r, None),
        ("resnet_step_32x3x32", resnet, r, None),
    ]


def fmt_s(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return "%.2f us" % (s * 1e6)
    return "%.3f ms" % (s * 1e3)


def main():
    import ctorch as C
    if not CPU and not C.cuda.is_available():
        print("bench_cuda: skipped (ctorch sees no GPU)")
        return
    try:
        import torch as T
        if not CPU and not T.cuda.is_available():
            print("bench_cuda: torch %s has no CUDA here: ctorch alone" % T.__version__)
            T = None
    except ImportError:
        print("bench_cuda: no torch: ctorch alone")
        T = None
    cdev = "cpu" if CPU else "cuda"
    csync = (lambda: None) if CPU else C.cuda.synchronize
    tsync = (lambda: None) if CPU or not T else T.cuda.synchronize
    sel = only()
    res = []
    rate = {}
    for name, build, rounds, unit in workloads(C, T, cdev, cdev):
        if sel and name not in sel:
            continue
        try:
            fc = build(C, cdev)
        except Exception as e:  # an op ctorch lacks on the GPU: say so, go on
            print(json.dumps({"name": "cuda_" + name, "error": "ctorch: %s" % e}), flush=True)
            continue
        try:
            ft = build(T, cdev) if T else None
        except Exception as e:  # e.g. bfloat16 GEMM on an old torch's CPU
            print(json.dumps({"name": "cuda_" + name, "error": "torch: %s" % e}), flush=True)
            ft = None
        try:
            rc, rt = paired(fc, csync, ft, tsync, rounds, 1.0 if QUICK else 6.0)
        except Exception as e:
            print(json.dumps({"name": "cuda_" + name, "error": str(e)}), flush=True)
            continue
        d = {"name": "cuda_" + name, "ctorch": float(np.median(rc)),
             "torch": float(np.median(rt)) if rt else None, "rounds": len(rc)}
        if rt:
            ratios = sorted(c / t for c, t in zip(rc, rt))
            d.update(ratio=pct(ratios, 0.5), p10=pct(ratios, 0.1), p90=pct(ratios, 0.9))
        if unit:
            scale = 1e12 if unit[0] == "TFLOP/s" else 1e9
            d["unit"] = unit[0]
            d["ctorch_rate"] = unit[1] / d["ctorch"] / scale
            if rt:
                d["torch_rate"] = unit[1] / d["torch"] / scale
        if name.startswith("copy_d2d"):
            rate["copy"] = d.get("ctorch_rate"), d.get("torch_rate")
        if name.startswith("add_") and "copy" in rate:
            cc, tc = rate["copy"]
            d["ctorch_of_copy"] = d["ctorch_rate"] / cc
            if rt and tc:
                d["torch_of_copy"] = d["torch_rate"] / tc
        print(json.dumps(d), flush=True)
        res.append(d)
    print("%s; ctorch%s" % ("CPU dry run (--cpu)" if CPU else "GPU: %s" % C.cuda.get_device_name(0),
                            ", torch %s" % T.__version__ if T else " alone"))
    print("%-26s %11s %11s %8s %12s %20s" % ("workload", "ctorch", "torch", "ct/torch", "p10-p90",
                                              "rate ctorch / torch"))
    for d in res:
        rates = ""
        if "unit" in d:
            rates = "%.1f / %s %s" % (d["ctorch_rate"], "%.1f" % d["torch_rate"] if "torch_rate" in d else "-",
                                      d["unit"])
        if "ctorch_of_copy" in d:
            rates += " (%.0f%% / %s of copy)" % (100 * d["ctorch_of_copy"],
                                                 "%.0f%%" % (100 * d["torch_of_copy"]) if "torch_of_copy" in d else "-")
        print("%-26s %11s %11s %8s %12s   %s" % (
            d["name"][5:], fmt_s(d["ctorch"]), fmt_s(d["torch"]),
            "%.2f" % d["ratio"] if "ratio" in d else "-",
            "%.2f-%.2f" % (d["p10"], d["p90"]) if "p10" in d else "-", rates))
    print("(seconds per call: medians over rounds, each batch bracketed by synchronize(); "
          "ct/torch: median of per-round ratios, below 1 = ctorch faster)")


if __name__ == "__main__":
    main()
