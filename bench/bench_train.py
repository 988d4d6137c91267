"""The demo's CNN training step (bench_train.c's model) in PyTorch, and the
comparison of the two in one run.

    /usr/bin/python3 bench/bench_train.py [steps] [threads] [poolfirst]
    /usr/bin/python3 bench/bench_train.py --compare [rounds] [steps]

--compare alternates build/bench/bench_train and this PyTorch loop, both
variants (relu before / after the pooling), `rounds` times, and prints the
median per-step wall and CPU times and the ratios ctorch / PyTorch. Both
run at 2 threads with OMP_WAIT_POLICY=passive (set before torch loads): on
a shared machine, spinning OpenMP threads otherwise fight the other
processes and the numbers measure the neighbours."""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
C_BENCH = os.path.join(HERE, "..", "build", "bench", "bench_train")


def torch_steps(steps, threads, poolfirst):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    shapes = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 3136), (128,), (10, 128), (10,)]
    p = [(torch.randn(s) * 0.05).requires_grad_() for s in shapes]
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    ts, cs = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        if poolfirst:
            h = F.relu(F.max_pool2d(F.conv2d(x, p[0], p[1], padding=1), 2))
            h = F.relu(F.max_pool2d(F.conv2d(h, p[2], p[3], padding=1), 2))
        else:
            h = F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], padding=1)), 2)
            h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3], padding=1)), 2)
        h = F.relu(F.linear(h.flatten(1), p[4], p[5]))
        loss = F.cross_entropy(F.linear(h, p[6], p[7]), y)
        loss.backward()
        with torch.no_grad():
            for q in p:
                q.add_(q.grad, alpha=-0.01)
                q.grad.zero_()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return statistics.median(ts) * 1e3, min(ts) * 1e3, statistics.median(cs) * 1e3


def ctorch_steps(steps, poolfirst):
    out = subprocess.run([C_BENCH, str(steps), "poolfirst" if poolfirst else "train"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"wall median ([\d.]+) ms, min ([\d.]+) ms; cpu median ([\d.]+) ms", out)
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def compare(rounds, steps):
    res = {}
    for _ in range(rounds):
        for pf in (False, True):
            res.setdefault(("ctorch", pf), []).append(ctorch_steps(steps, pf))
            res.setdefault(("torch", pf), []).append(torch_steps(steps, 2, pf))
    print("per training step, batch 64, medians of %d rounds x %d steps (ms)" % (rounds, steps))
    for pf in (False, True):
        name = "relu after pool" if pf else "relu before pool"
        c = [statistics.median(v[i] for v in res[("ctorch", pf)]) for i in range(3)]
        t = [statistics.median(v[i] for v in res[("torch", pf)]) for i in range(3)]
        print("%-17s ctorch wall %7.2f (min %6.2f) cpu %7.2f | torch wall %7.2f (min %6.2f) cpu %7.2f"
              " | ratio wall %.2f, min %.2f, cpu %.2f"
              % (name, c[0], c[1], c[2], t[0], t[1], t[2], c[0] / t[0], c[1] / t[1], c[2] / t[2]))


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    if len(sys.argv) > 1 and sys.argv[1] == "--compare":
        compare(int(sys.argv[2]) if len(sys.argv) > 2 else 3, int(sys.argv[3]) if len(sys.argv) > 3 else 20)
    else:
        steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
        threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
        pf = len(sys.argv) > 3 and sys.argv[3] == "poolfirst"
        w, mn, c = torch_steps(steps, threads, pf)
        print("torch  train%s step: wall median %.2f ms, min %.2f ms; cpu median %.2f ms (%d steps, %d threads)"
              % (" (pool first)" if pf else "", w, mn, c, steps, threads))
