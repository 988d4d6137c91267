#!/usr/bin/python3
"""nn benchmarks (issue 5): layers forward/backward, optimizer steps and a
training step, the same workloads in ctorch and Debian's PyTorch in one
process, on the same data and weights.

    PYTHONPATH=python /usr/bin/python3 bench/bench_nn.py [--quick]

Prints one JSON line per workload ({"name", "ctorch", "torch", "ratio"},
seconds, median; ratio = ctorch/torch, below 1 = ctorch faster), then a
table. PyTorch runs at 1 and 2 threads and each workload takes its faster
setting; ctorch runs at its default thread setting.
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
QUICK = "--quick" in sys.argv


def median_time(fn, inner, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    ts.sort()
    return ts[len(ts) // 2]


def arrays(seed=0):
    """The inputs, the same for both frameworks (NumPy, float32)."""
    r = np.random.default_rng(seed)
    f = lambda *s: r.standard_normal(s, dtype=np.float32)  # noqa: E731
    return {
        "x": f(8, 64, 56, 56), "gy": f(8, 64, 56, 56), "gp": f(8, 64, 28, 28),
        "w": f(64, 64, 3, 3) * 0.05, "b": f(64),
        "seq": f(50, 32, 256), "gseq": f(50, 32, 256),
        "img": r.random((64, 1, 28, 28), dtype=np.float32),
        "lab": r.integers(0, 10, 64),
    }


def copy_weights(T, dst, src_state):
    """Loads a torch state_dict (NumPy arrays) into a module of framework T."""
    dst.load_state_dict({k: T.from_numpy(v.copy()) for k, v in src_state.items()})


def workloads(T, A, states, reps):
    """{name: seconds} for framework T (ctorch or torch)."""
    nn, F = T.nn, T.nn.functional
    t = lambda a, grad=False: T.from_numpy(a).requires_grad_(grad)  # noqa: E731
    res = {}
    heavy = (1, reps)  # inner, repeats for the ~100 ms workloads

    x, w, b, gy = t(A["x"]), t(A["w"]), t(A["b"]), t(A["gy"])
    with T.no_grad():
        res["conv2d_3x3_64_fwd"] = median_time(lambda: F.conv2d(x, w, b, padding=1), *heavy)
    xg, wg, bg = t(A["x"], True), t(A["w"], True), t(A["b"], True)

    def conv_fb():
        xg.grad = wg.grad = bg.grad = None
        F.conv2d(xg, wg, bg, padding=1).backward(gy)
    res["conv2d_3x3_64_fwdbwd"] = median_time(conv_fb, *heavy)

    gamma, beta = t(np.ones(64, np.float32), True), t(np.zeros(64, np.float32), True)
    rm, rv = T.zeros(64), T.ones(64)

    def bn_fb():
        xg.grad = gamma.grad = beta.grad = None
        F.batch_norm(xg, rm, rv, gamma, beta, training=True).backward(gy)
    res["batch_norm_train_fwdbwd"] = median_time(bn_fb, *heavy)

    def gn_fb():
        xg.grad = gamma.grad = beta.grad = None
        F.group_norm(xg, 32, gamma, beta).backward(gy)
    res["group_norm_g32_train_fwdbwd"] = median_time(gn_fb, *heavy)

    seq_ln, gseq_ln = t(A["seq"], True), t(A["gseq"])
    ln_w, ln_b = t(np.ones(256, np.float32), True), t(np.zeros(256, np.float32), True)

    def ln_fb():
        seq_ln.grad = ln_w.grad = ln_b.grad = None
        F.layer_norm(seq_ln, (256,), ln_w, ln_b).backward(gseq_ln)
    res["layer_norm_s50_b32_h256_fwdbwd"] = median_time(ln_fb, 3, reps)

    gp = t(A["gp"])

    def pool_fb():
        xg.grad = None
        F.max_pool2d(xg, 2).backward(gp)
    res["max_pool2d_2x2_fwdbwd"] = median_time(pool_fb, *heavy)

    lstm = nn.LSTM(256, 256)
    copy_weights(T, lstm, states["lstm"])
    seq, gseq = t(A["seq"], True), t(A["gseq"])

    def lstm_fb():
        seq.grad = None
        for p in lstm.parameters():
            p.grad = None
        out, _ = lstm(seq)
        out.backward(gseq)
    res["lstm_s50_b32_h256_fwdbwd"] = median_time(lstm_fb, 1, max(3, reps // 2))

    # 10 Linear(1000, 1000): 10.01M parameters, gradients set once
    big = nn.Sequential(*[nn.Linear(1000, 1000) for _ in range(10)])
    copy_weights(T, big, states["big"])
    for p, g in zip(big.parameters(), states["big_grads"]):
        p.grad = T.from_numpy(g)
    for name, make in (("adam", lambda: T.optim.Adam(big.parameters(), lr=1e-4)),
                       ("sgd_momentum", lambda: T.optim.SGD(big.parameters(), lr=1e-4, momentum=0.9))):
        opt = make()
        res["optim_%s_step_10M" % name] = median_time(opt.step, 3, reps, warmup=2)

    # one training step of demo/fashion_mnist.c's CNN (Adam, batch 64)
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    copy_weights(T, cnn, states["cnn"])
    opt = T.optim.Adam(cnn.parameters(), lr=1e-3)
    img, lab = t(A["img"]), T.from_numpy(A["lab"])

    def train_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(cnn(img), lab).backward()
        opt.step()
    res["fashion_cnn_train_step_b64"] = median_time(train_step, 3, reps, warmup=2)
    return res


def torch_states():
    """Initial weights made by PyTorch (its default init), as NumPy arrays."""
    import torch
    torch.manual_seed(0)
    nn = torch.nn
    sd = lambda m: {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}  # noqa: E731
    big = nn.Sequential(*[nn.Linear(1000, 1000) for _ in range(10)])
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    return {"lstm": sd(nn.LSTM(256, 256)), "big": sd(big), "cnn": sd(cnn),
            "big_grads": [np.random.default_rng(1).standard_normal(tuple(p.shape), dtype=np.float32) * 1e-3
                          for p in big.parameters()]}


def fmt(s):
    return "%.3f ms" % (s * 1e3) if s < 1 else "%.3f s" % s


def main():
    reps = 3 if QUICK else 11
    import torch
    import ctorch
    A = arrays()
    states = torch_states()
    # import torch sets the process's OpenMP thread count (shared with
    # ctorch, one libgomp) to its own default, 1 on this 2-core VM: give
    # ctorch its default (all cores) back, or its rows run at 1 thread.
    ctorch.set_num_threads(os.cpu_count())
    c = workloads(ctorch, A, states, reps)
    t = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for k, v in workloads(torch, A, states, reps).items():
            t[k] = min(v, t.get(k, v))
    torch.set_num_threads(1)
    rows = []
    for k in c:
        d = {"name": k, "ctorch": c[k], "torch": t[k], "ratio": c[k] / t[k]}
        print(json.dumps(d))
        rows.append(d)
    print()
    print("nn (torch: best of 1 and 2 threads; ctorch: default threads)")
    print("%-30s %12s %12s %9s" % ("workload", "ctorch", "torch", "ct/torch"))
    for d in rows:
        print("%-30s %12s %12s %9.2f" % (d["name"], fmt(d["ctorch"]), fmt(d["torch"]), d["ratio"]))
    return rows


if __name__ == "__main__":
    main()
