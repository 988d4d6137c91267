#!/usr/bin/python3
"""Paired benchmark: ctorch and Debian's PyTorch in the SAME process,
interleaved call by call, at the same thread count (the machine's cores).

    PYTHONPATH=python /usr/bin/python3 bench/bench_paired.py [--quick] [--only name,...] [--threads N]

Each round times a batch of calls of ctorch and a batch of torch (the order
alternates between rounds) and takes their ratio, so a slow moment of a shared
machine hits both sides of a round alike. Prints one JSON line per workload
({"name", "ctorch", "torch", "ratio", "p10", "p90", "rounds"}: seconds per
call, medians; ratio = median of the per-round ratios ctorch/torch, below 1 =
ctorch faster; p10/p90 = 10th and 90th percentile of those ratios), then a
table. Inputs are the same values, each framework holding its own copy made
by its own allocator.
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
QUICK = "--quick" in sys.argv


def only():
    for i, a in enumerate(sys.argv):
        if a == "--only" and i + 1 < len(sys.argv):
            return set(sys.argv[i + 1].split(","))
        if a.startswith("--only="):
            return set(a[7:].split(","))
    return None


def pct(v, q):
    """q-th percentile of a sorted list (linear interpolation)."""
    if len(v) == 1:
        return v[0]
    x = q * (len(v) - 1)
    i = int(x)
    j = min(i + 1, len(v) - 1)
    return v[i] + (v[j] - v[i]) * (x - i)


def batch(fn, inner):
    """(wall seconds, process CPU seconds) per call of a batch of calls."""
    t0, p0 = time.perf_counter(), time.process_time()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner, (time.process_time() - p0) / inner


def paired(fc, ft, rounds, budget, target=0.004):
    """Per-round (ctorch, torch) (wall, cpu) seconds per call, interleaved.
    The batch size makes one batch last about `target` seconds (at least one
    call); after 5 rounds, stops early once `budget` seconds are spent."""
    fc()
    ft()
    one = min(batch(fc, 1)[0], batch(ft, 1)[0])
    inner = max(1, min(100000, int(target / max(one, 1e-8))))
    rc, rt = [], []
    start = time.perf_counter()
    for r in range(rounds):
        if r % 2 == 0:
            c = batch(fc, inner)
            t = batch(ft, inner)
        else:
            t = batch(ft, inner)
            c = batch(fc, inner)
        rc.append(c)
        rt.append(t)
        if r >= 4 and time.perf_counter() - start > budget:
            break
    return rc, rt


def rotate(fn, arrays):
    """A call of fn on the next of arrays each time."""
    state = [0]

    def call():
        state[0] = (state[0] + 1) % len(arrays)
        return fn(arrays[state[0]])
    return call


def workloads(C, T):
    """(name, ctorch call, torch call, rounds) for every workload."""
    rng = np.random.default_rng(0)
    n = 16 * 1024 * 1024
    A = rng.random(n, dtype=np.float32)
    B = rng.random(n, dtype=np.float32)
    M = rng.standard_normal((4096, 4096), dtype=np.float32)
    P = rng.random((2048, 2048), dtype=np.float32)
    Q = rng.random((2048, 2048), dtype=np.float32)
    # each framework's own copy, from its own allocator
    own = lambda F, a: F.from_numpy(a).clone()  # noqa: E731
    ca, cb, cm, cp, cq = (own(C, a) for a in (A, B, M, P, Q))
    ta, tb, tm, tp, tq = (own(T, a) for a in (A, B, M, P, Q))
    co, to = C.empty(n), T.empty(n)
    c1, d1 = C.tensor([2.0]), C.tensor([3.0])
    t1, u1 = T.tensor([2.0]), T.tensor([3.0])
    # four arrays summed in turn: each call reads memory the last three
    # calls evicted, so neither framework gains from the cache
    rot_c = [own(C, rng.random(n, dtype=np.float32)) for _ in range(4)]
    rot_t = [T.from_numpy(a.numpy()).clone() for a in rot_c]
    r = 15 if QUICK else 61
    rmm = 7 if QUICK else 21
    return [
        ("add_1elem", lambda: C.add(c1, d1), lambda: T.add(t1, u1), r),
        ("add_16M_f32", lambda: C.add(ca, cb), lambda: T.add(ta, tb), r),
        ("add_16M_f32_out", lambda: C.add(ca, cb, out=co), lambda: T.add(ta, tb, out=to), r),
        ("sum_16M_f32", lambda: C.sum(ca), lambda: T.sum(ta), r),
        ("sum_16M_f32_rotating", rotate(C.sum, rot_c), rotate(T.sum, rot_t), r),
        ("mean_16M_f32", lambda: C.mean(ca), lambda: T.mean(ta), r),
        ("sum_4096x4096_dim0", lambda: C.sum(cm, 0), lambda: T.sum(tm, 0), r),
        ("sum_4096x4096_dim1", lambda: C.sum(cm, 1), lambda: T.sum(tm, 1), r),
        ("mean_4096x4096_dim0", lambda: C.mean(cm, 0), lambda: T.mean(tm, 0), r),
        ("mean_4096x4096_dim1", lambda: C.mean(cm, 1), lambda: T.mean(tm, 1), r),
        ("amax_16M_f32", lambda: C.amax(ca), lambda: T.amax(ta), r),
        ("exp_16M_f32", lambda: C.exp(ca), lambda: T.exp(ta), r),
        ("tanh_16M_f32", lambda: C.tanh(ca), lambda: T.tanh(ta), r),
        ("mm_2048_f32", lambda: C.mm(cp, cq), lambda: T.mm(tp, tq), rmm),
    ]


def fmt_s(s):
    if s < 1e-6:
        return "%.0f ns" % (s * 1e9)
    if s < 1e-3:
        return "%.2f us" % (s * 1e6)
    return "%.2f ms" % (s * 1e3)


def main():
    import ctorch as C
    import torch as T
    nt = os.cpu_count()
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            nt = int(sys.argv[i + 1])
    C.set_num_threads(nt)
    T.set_num_threads(nt)
    sel = only()
    res = []
    for name, fc, ft, rounds in workloads(C, T):
        if sel and name not in sel:
            continue
        rc, rt = paired(fc, ft, rounds, 1.0 if QUICK else 8.0)
        ratios = sorted(c[0] / t[0] for c, t in zip(rc, rt))
        cpu = sorted(c[1] / t[1] for c, t in zip(rc, rt) if t[1] > 0)
        d = {"name": "paired_" + name, "ctorch": float(np.median([c[0] for c in rc])),
             "torch": float(np.median([t[0] for t in rt])),
             "ratio": pct(ratios, 0.5), "p10": pct(ratios, 0.1), "p90": pct(ratios, 0.9),
             "cpu_ratio": pct(cpu, 0.5) if cpu else None, "rounds": len(rc)}
        print(json.dumps(d), flush=True)
        res.append(d)
    print("paired, same process, interleaved; ctorch %d threads, torch %d threads (%s)" % (
        C.get_num_threads(), T.get_num_threads(), T.__version__))
    print("%-22s %10s %10s %9s %13s %8s %6s" % ("workload", "ctorch", "torch", "ct/torch",
                                                 "p10-p90", "cpu", "rounds"))
    for d in res:
        print("%-22s %10s %10s %9.2f %6.2f-%-6.2f %8.2f %6d" % (
            d["name"][7:], fmt_s(d["ctorch"]), fmt_s(d["torch"]), d["ratio"], d["p10"], d["p90"],
            d["cpu_ratio"] if d["cpu_ratio"] is not None else float("nan"), d["rounds"]))
    print("(wall times: medians per call; ct/torch: median of per-round ratios, p10-p90 their "
          "spread; cpu: the same ratio in process CPU time)")
    one = [d for d in res if d["name"] == "paired_add_1elem"]
    if one:
        big = min((d["ctorch"] for d in res if d is not one[0]), default=0)
        note = "; at most %.3f%% of the fastest other row" % (100 * one[0]["ctorch"] / big) if big else ""
        print("add_1elem is the Python call (binding + dispatch) overhead of each "
              "framework; it is negligible next to the other rows%s." % note)


if __name__ == "__main__":
    main()
