#!/usr/bin/python3
"""Runs ctorch's C benchmarks and the same workloads in Debian's PyTorch in one
run on one machine; prints each time, the machine fraction and the ratio
ctorch/PyTorch (below 1 means ctorch is faster).

The first table puts the C benchmark (its own process) next to PyTorch timed
here a moment later; on a busy machine single rows of it swing by more than
the differences it shows. The paired table (bench_paired.py) times ctorch's
Python module and PyTorch in one process, interleaved call by call, and is
the one to read for ctorch/PyTorch ratios.

    make bench            (or: /usr/bin/python3 bench/run.py [--quick])
"""
import json
import os
import subprocess
import sys
import time
import platform

HERE = os.path.dirname(os.path.abspath(__file__))
QUICK = "--quick" in sys.argv


def run_c(binary):
    out = subprocess.run([binary] + (["--quick"] if QUICK else []), check=True,
                         capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        d = json.loads(line)
        res[d["name"]] = d
    return res


def run_py(script):
    """Runs bench/<script> (bench_nn.py, bench_data.py) in its own interpreter;
    prints its table, returns its JSON lines by name."""
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "..", "python"))
    out = subprocess.run([sys.executable, os.path.join(HERE, script)] + (["--quick"] if QUICK else []),
                         check=True, capture_output=True, text=True, env=env).stdout
    res = {}
    for line in out.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            res[d["name"]] = d
        else:
            print(line)
    return res


def median_time(fn, inner, repeats):
    for _ in range(min(inner, 3)):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    ts.sort()
    return ts[len(ts) // 2]


def torch_core(reps, threads):
    import torch
    torch.set_num_threads(threads)
    res = {"threads": torch.get_num_threads()}
    n = 16 * 1024 * 1024
    a1, b1 = torch.tensor([2.0]), torch.tensor([3.0])
    res["add_1elem"] = median_time(lambda: torch.add(a1, b1), 100000, reps)
    a = torch.rand(n)
    b = torch.rand(n)
    res["add_16M_f32"] = median_time(lambda: torch.add(a, b), 5, reps)
    res["sum_16M_f32"] = median_time(lambda: torch.sum(a), 5, reps)
    res["exp_16M_f32"] = median_time(lambda: torch.exp(a), 3, reps)
    res["tanh_16M_f32"] = median_time(lambda: torch.tanh(a), 3, reps)
    m1 = torch.rand(2048, 2048)
    m2 = torch.rand(2048, 2048)
    res["mm_2048_f32"] = median_time(lambda: torch.mm(m1, m2), 1, 3 if QUICK else 7)
    return res


def fmt_s(s):
    if s < 1e-6:
        return "%.0f ns" % (s * 1e9)
    if s < 1e-3:
        return "%.2f us" % (s * 1e6)
    return "%.2f ms" % (s * 1e3)


def main():
    reps = 5 if QUICK else 15
    c = run_c(os.path.join(HERE, "..", "build", "bench", "bench_core"))
    # PyTorch at 1 thread (Debian's default here) and at every core; each
    # workload is compared with PyTorch's faster setting.
    t1 = torch_core(reps, 1)
    t2 = torch_core(reps, os.cpu_count())
    t = {k: min(t1[k], t2[k]) for k in t1 if k != "threads"}
    t["threads"] = "1 and %d (best of both)" % os.cpu_count()
    copy = c["copy_16M_f32_c_loop"]
    copy_gbs = copy["bytes"] / copy["sec"] / 1e9
    print("machine: %s, %d cores; ctorch threads %d, torch threads %s; %s" % (
        platform.processor() or platform.machine(), os.cpu_count(), c["threads"]["value"],
        t["threads"], time.strftime("%Y-%m-%d")))
    print("plain C copy loop, 16M float32: %.1f GB/s (read+write)" % copy_gbs)
    if "copy_16M_f32_c_loop_hugepages" in c:
        h = c["copy_16M_f32_c_loop_hugepages"]
        print("the same loop on 2 MiB pages (as ctorch's allocator gives): %.1f GB/s" % (
            h["bytes"] / h["sec"] / 1e9))
    print("sgemm 2048, OpenBLAS direct: %.1f GFLOP/s" % (
        c["sgemm_2048_openblas_direct"]["flops"] / c["sgemm_2048_openblas_direct"]["sec"] / 1e9))
    if "sgemm_2048_dnnl_direct" in c:  # what ctorch's float32 mm runs on (CT_GEMM)
        d = c["sgemm_2048_dnnl_direct"]
        print("sgemm 2048, oneDNN direct: %.1f GFLOP/s (mm_2048 at %.2f of it)" % (
            d["flops"] / d["sec"] / 1e9, d["sec"] / c["mm_2048_f32"]["sec"]))
    print()
    print("%-22s %12s %12s %10s %14s" % ("workload", "ctorch", "torch", "ct/torch", "ct vs machine"))
    rows = [("add_1elem", "add_1elem_owned"), ("add_16M_f32", None), ("sum_16M_f32", None),
            ("exp_16M_f32", None), ("tanh_16M_f32", None), ("mm_2048_f32", None)]
    out = {"copy_gbs": copy_gbs}
    for name, cname in rows:
        cr = c[cname or name]
        ts = t[name]
        mach = ""
        if cr["bytes"]:
            gbs = cr["bytes"] / cr["sec"] / 1e9
            mach = "%.1f GB/s %.2f" % (gbs, gbs / copy_gbs)
        elif cr["flops"]:
            mach = "%.2f of BLAS" % (c["sgemm_2048_openblas_direct"]["sec"] / cr["sec"])
        print("%-22s %12s %12s %10.2f %14s" % (name, fmt_s(cr["sec"]), fmt_s(ts), cr["sec"] / ts, mach))
        out[name] = {"ctorch": cr["sec"], "torch": ts}
    print("(C bench and PyTorch timed in different processes at different moments: see the "
          "paired table for ratios)")
    print()
    paired = run_py("bench_paired.py")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "paired.json"), "w") as f:
        json.dump(paired, f, indent=1)

    # autograd from C: per node, next to PyTorch's from Python (no C++ API here)
    a = run_c(os.path.join(HERE, "..", "build", "bench", "bench_autograd"))
    sys.path.insert(0, HERE)
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import bench_python
    pc, pt = bench_python.main()
    print()
    print("autograd, 100-op chain of small ops (10 elements), per node:")
    for cname, tname in (("autograd_chain100_build_per_node", "py_chain100_fwd_per_node"),
                         ("autograd_chain100_backward_per_node", "py_chain100_bwd_per_node")):
        print("  %-38s C %8s   torch (Python) %8s" % (cname, fmt_s(a[cname]["sec"]), fmt_s(pt[tname])))
        out[cname] = {"ctorch_c": a[cname]["sec"], "torch_python": pt[tname]}
    print()
    print("Python per-op overhead (ctorch vs torch, same process):")
    for k in pc:
        if k not in pt:
            continue
        print("  %-28s %10s %10s  ratio %.2f" % (k, fmt_s(pc[k]), fmt_s(pt[k]), pc[k] / pt[k]))
        out[k] = {"ctorch": pc[k], "torch": pt[k]}
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "core.json"), "w") as f:
        json.dump(out, f, indent=1)
    for script, key in (("bench_nn.py", "nn"), ("bench_data.py", "data")):
        print()
        res = run_py(script)
        with open(os.path.join(HERE, "out", key + ".json"), "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
