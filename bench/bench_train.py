"""The demo's CNN training step in PyTorch (the twin of bench_train.c).

    /usr/bin/python3 bench/bench_train.py [steps] [threads] [poolfirst]"""
import sys
import time

import torch
import torch.nn.functional as F

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
poolfirst = len(sys.argv) > 3 and sys.argv[3] == "poolfirst"
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
ts.sort()
cs.sort()
print("torch  train%s step: wall median %.2f ms, min %.2f ms; cpu median %.2f ms (%d steps, %d threads)"
      % (" (pool first)" if poolfirst else "", ts[len(ts) // 2] * 1e3, ts[0] * 1e3, cs[len(cs) // 2] * 1e3, steps, torch.get_num_threads()))
