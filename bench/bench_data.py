#!/usr/bin/python3
"""Data loading benchmarks (issue 6), ctorch and Debian's PyTorch/torchvision
in one process on the same files:

1. images/s of JPEG decode + RandomResizedCrop(64) + RandomHorizontalFlip +
   ToTensor + Normalize through each framework's ImageFolder and DataLoader
   (batch 32), with 1 and 2 workers, over a folder of JPEGs this script
   writes into a temp dir (Pillow). Workers are persistent in both, so the
   timed epochs do not include starting them.
2. one epoch of a 784-256-10 MLP (batch 64, SGD lr 0.01 momentum 0.9, cross
   entropy) over Fashion-MNIST (/usr/share/datasets/fashion-mnist) through
   each framework's TensorDataset and DataLoader (shuffle, num_workers=0),
   from the same initial weights; time per epoch and test accuracy after it.

    PYTHONPATH=python /usr/bin/python3 bench/bench_data.py [--quick] [--mlp]

One JSON line per workload, then a table. PyTorch runs at 1 and 2 threads
(its best is compared); ctorch at its default thread setting. The MLP
epochs of the three settings are interleaved (torch 1 thread, torch 2
threads, ctorch, and again), so that a load change on the machine hits all
of them; each epoch's process CPU time is reported next to its wall time.
--mlp runs the MLP workload only.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
QUICK = "--quick" in sys.argv
MLP_ONLY = "--mlp" in sys.argv
FMNIST = "/usr/share/datasets/fashion-mnist"
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


class _SkipImages(Exception):
    pass


# ---------------------------------------------------------------- images
def write_jpegs(root, n, classes=4, size=(160, 120)):
    """n RGB JPEGs (smooth gradients plus noise, quality 90) in root/class_k/."""
    from PIL import Image
    r = np.random.default_rng(0)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for i in range(n):
        d = os.path.join(root, "class_%d" % (i % classes))
        os.makedirs(d, exist_ok=True)
        a, b, c = r.random(3) * 0.05
        img = np.stack([xx * a * 40, yy * b * 40, (xx + yy) * c * 20], -1)
        img = np.clip(img % 255 + r.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(d, "%05d.jpg" % i), quality=90)


def image_rate(datasets, transforms, DataLoader, root, workers, epochs, **kw):
    tf = transforms.Compose([transforms.RandomResizedCrop(64), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    ds = datasets.ImageFolder(root, transform=tf)
    dl = DataLoader(ds, batch_size=32, shuffle=True, num_workers=workers,
                    persistent_workers=True, **kw)
    ts = []
    for e in range(epochs + 1):  # the first epoch warms up (workers, file cache)
        t0 = time.perf_counter()
        n = 0
        for x, y in dl:
            n += x.shape[0]
        ts.append(time.perf_counter() - t0)
        assert n == len(ds) and tuple(x.shape[1:]) == (3, 64, 64), (n, x.shape)
    del dl
    return len(ds) / median(ts[1:]), ds


# ---------------------------------------------------------------- MLP
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fmnist():
    def split(p):
        x = read_idx(os.path.join(FMNIST, p + "-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(FMNIST, p + "-labels-idx1-ubyte.gz"))
        x = ((x.reshape(len(x), 784).astype(np.float32) / 255) - 0.2860) / 0.3530
        return x, y.astype(np.int64)
    return split("train"), split("t10k")


def mlp_init():
    import torch
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


def mlp_epoch(T, init, train, test, steps=None):
    """(seconds for one epoch incl. the DataLoader, test accuracy after it,
    process CPU seconds of the epoch)."""
    nn, F = T.nn, T.nn.functional
    from_np = T.from_numpy
    m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    m.load_state_dict({k: from_np(v.copy()) for k, v in init.items()})
    opt = T.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    ds = T.utils.data.TensorDataset(from_np(train[0]), from_np(train[1]))
    dl = T.utils.data.DataLoader(ds, batch_size=64, shuffle=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for i, (x, y) in enumerate(dl):
        if steps is not None and i == steps:
            break
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(m(x), y).backward()
        opt.step()
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    with T.no_grad():
        pred = m(from_np(test[0])).argmax(1)
        acc = float((pred == from_np(test[1])).float().mean())
    return sec, acc, cpu


def main():
    import torch
    import torchvision
    import ctorch
    import ctorch.vision  # noqa: F401
    import ctorch.utils.data
    from ctorch.utils.data.dataloader import _c_source
    rows = []

    def emit(name, c, t, **extra):
        d = dict(name=name, ctorch=c, torch=t, ratio=c / t, **extra)
        print(json.dumps(d))
        rows.append(d)

    # 1. images (PyTorch's workers are processes: run it first, before
    # ctorch starts any threads in this process)
    nimg, epochs = (384, 3) if QUICK else (1024, 5)
    root = tempfile.mkdtemp(prefix="ctorch_bench_jpeg_")
    try:
        if MLP_ONLY:
            raise _SkipImages
        write_jpegs(root, nimg)
        trate = {w: image_rate(torchvision.datasets, torchvision.transforms,
                               torch.utils.data.DataLoader, root, w, epochs)[0] for w in (1, 2)}
        crate, c_path = {}, None
        for w in (1, 2):
            crate[w], ds = image_rate(ctorch.vision.datasets, ctorch.vision.transforms,
                                      ctorch.utils.data.DataLoader, root, w, epochs)
            c_path = _c_source(ds) is not None
        for w in (1, 2):
            # images/s: higher is better; ratio ctorch/torch above 1 = ctorch faster
            emit("jpeg_rrc64_flip_norm_%dworker_img_per_s" % w, crate[w], trate[w], c_loader=c_path)
        emit("jpeg_pipeline_2w_over_1w_speedup", crate[2] / crate[1], trate[2] / trate[1])
    except _SkipImages:
        pass
    finally:
        shutil.rmtree(root, ignore_errors=True)

    # 2. MLP epoch
    train, test = fmnist()
    init = mlp_init()
    runs = 1 if QUICK else 3
    settings = (("torch", torch, 1), ("torch", torch, 2), ("ctorch", ctorch, None))
    runs_of = {s[::2]: [] for s in settings}
    for name, T, threads in settings:  # warm-up
        if threads:
            torch.set_num_threads(threads)
        mlp_epoch(T, init, train, test, steps=30)
    for _ in range(runs):
        for name, T, threads in settings:
            if threads:
                torch.set_num_threads(threads)
            runs_of[(name, threads)].append(mlp_epoch(T, init, train, test))
    res = {}
    for (name, threads), r in runs_of.items():
        sec, acc, cpu = median([x[0] for x in r]), r[0][1], median([x[2] for x in r])
        if name not in res or sec < res[name][0]:
            res[name] = (sec, acc, threads, cpu)
    torch.set_num_threads(1)
    emit("mlp_784_256_10_fmnist_epoch_s", res["ctorch"][0], res["torch"][0],
         ctorch_test_acc=res["ctorch"][1], torch_test_acc=res["torch"][1],
         torch_threads=res["torch"][2], ctorch_cpu_s=res["ctorch"][3], torch_cpu_s=res["torch"][3],
         cpu_ratio=res["ctorch"][3] / res["torch"][3])

    print()
    print("data (torch: best of 1 and 2 threads; ctorch: default threads; images/s: higher is better)")
    print("%-40s %12s %12s %9s" % ("workload", "ctorch", "torch", "ct/torch"))
    for d in rows:
        print("%-40s %12.4g %12.4g %9.2f" % (d["name"], d["ctorch"], d["torch"], d["ratio"]))
    print("MLP test accuracy after one epoch: ctorch %.4f, torch %.4f" % (
        res["ctorch"][1], res["torch"][1]))
    return rows


if __name__ == "__main__":
    main()
