"""The demo (demo/fashion_mnist.c, `make demo`) end to end on a small
subset: it reads Fashion-MNIST, trains one epoch on 512 images with the
threaded DataLoader, reports the test accuracy and saves the state dict.
The oracle is Debian's PyTorch: torch.load reads the file into the same
nn.Sequential, which must score the same test accuracy on the same images.
Seconds, not a training run: the full one is `make demo`."""
import gzip
import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEMO = os.path.join(ROOT, "build", "demo", "fashion_mnist")
DATA = "/usr/share/datasets/fashion-mnist"

pytestmark = [
    pytest.mark.skipif(not os.path.isdir(DATA), reason="Fashion-MNIST not installed (dataset-fashion-mnist)"),
    pytest.mark.skipif(not os.access(DEMO, os.X_OK), reason="build/demo/fashion_mnist not built (make test builds it)"),
]


def run(*args):
    return subprocess.run([DEMO, *args], capture_output=True, text=True, timeout=300)


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def test_demo_trains_reports_and_saves_a_model_pytorch_loads(tmp_path):
    torch = pytest.importorskip("torch")
    n = 512
    out = tmp_path / "cnn.pt"
    r = run("--limit", str(n), "--epochs", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # not a terminal: plain progress lines, the last one the epoch's summary
    epoch = [ln for ln in lines if ln.startswith("epoch 1/1")]
    assert epoch and "%d/%d" % (n, n) in epoch[-1] and "took" in epoch[-1]
    assert all("\r" not in ln for ln in lines)
    for field in ("loss", "acc", "samples/s"):
        assert field in epoch[-1]
    acc = [ln for ln in lines if ln.startswith("test accuracy:")]
    assert acc, r.stdout
    reported = float(acc[0].split()[2].rstrip("%"))
    assert 30 < reported <= 100  # 10% is chance: one epoch on 512 images learns something

    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
                        nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    net.load_state_dict(torch.load(str(out)))  # strict: same keys and shapes
    x = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz")[:n].astype(np.float32) / 255)
    y = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz")[:n].astype(np.int64))
    with torch.no_grad():
        pred = net(((x - 0.2860) / 0.3530).unsqueeze(1)).argmax(1)
    torch_acc = 100 * (pred == y).double().mean().item()
    # float rounding may flip one borderline image
    assert abs(torch_acc - reported) <= 100 / n + 0.01, (torch_acc, reported)


def test_demo_reports_a_missing_dataset(tmp_path):
    r = run("--data", str(tmp_path), "--epochs", "1")
    assert r.returncode != 0
    assert "dataset" in r.stderr and str(tmp_path) in r.stderr


def test_demo_rejects_bad_arguments():
    r = run("--epochs")
    assert r.returncode == 2 and "usage" in r.stderr
