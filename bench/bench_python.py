#!/usr/bin/python3
"""Python per-op overhead (issue: Python face): ctorch vs Debian's PyTorch in
the same process run. Also the autograd chain of bench_autograd.c in Python."""
import sys
import time


def median_time(fn, inner, repeats):
    for _ in range(3):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    ts.sort()
    return ts[len(ts) // 2]


def workloads(torch, reps):
    res = {}
    a, b = torch.ones(1), torch.ones(1)
    res["py_add_1elem"] = median_time(lambda: torch.add(a, b), 20000, reps)
    r = torch.randn(100)
    res["py_relu_100"] = median_time(lambda: torch.relu(r), 20000, reps)
    x = torch.ones(10, requires_grad=True)

    def chain_fwd():
        y = x
        for i in range(100):
            k = i % 3
            y = y * 1.001 if k == 0 else (y + 0.5 if k == 1 else y.sin())
        return y

    def chain_both():
        chain_fwd().sum().backward()

    f = median_time(chain_fwd, 50, reps)
    res["py_chain100_fwd_per_node"] = f / 100
    if hasattr(x, "backward"):
        bth = median_time(chain_both, 50, reps)
        res["py_chain100_bwd_per_node"] = (bth - f) / 100
    return res


def import_time(module, runs):
    """Best wall time of `import module` in a fresh interpreter."""
    import os
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.join(here, "..", "python"))
    code = "import time; t = time.perf_counter(); import %s; print(time.perf_counter() - t)" % module
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    env=env, check=True).stdout) for _ in range(runs))


def main():
    reps = 5 if "--quick" in sys.argv else 11
    c = {"py_import": import_time("ctorch", reps)}
    t = {"py_import": import_time("torch", 3)}
    import ctorch
    import torch
    c.update(workloads(ctorch, reps))
    t.update(workloads(torch, reps))
    return c, t


if __name__ == "__main__":
    c, t = main()
    for k in c:
        if k not in t:
            continue
        print("%-28s ctorch %8.3f us  torch %8.3f us  ratio %.2f" % (k, c[k] * 1e6, t[k] * 1e6, c[k] / t[k]))
