"""The demo (demo/fashion_mnist.c, `make demo`) end to end on a small
subset: it reads Fashion-MNIST, trains one epoch on 512 images with the
threaded DataLoader, reports the test accuracy and writes a safetensors
file that names every parameter with its shape. Seconds, not a training
run: the full one is `make demo`."""
import json
import os
import struct
import subprocess

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


def test_demo_trains_reports_and_saves(tmp_path):
    out = tmp_path / "cnn.safetensors"
    r = run("--limit", "512", "--epochs", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # not a terminal: plain progress lines, the last one the epoch's summary
    epoch = [ln for ln in lines if ln.startswith("epoch 1/1")]
    assert epoch and "512/512" in epoch[-1] and "took" in epoch[-1]
    assert all("\r" not in ln for ln in lines)
    for field in ("loss", "acc", "samples/s"):
        assert field in epoch[-1]
    acc = [ln for ln in lines if ln.startswith("test accuracy:")]
    assert acc, r.stdout
    value = float(acc[0].split()[2].rstrip("%"))
    assert 30 < value <= 100  # 10% is chance; one epoch on 512 images learns something
    raw = out.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    shapes = {k: v["shape"] for k, v in header.items()}
    assert shapes == {"conv1.weight": [32, 1, 3, 3], "conv1.bias": [32], "conv2.weight": [64, 32, 3, 3],
                      "conv2.bias": [64], "fc1.weight": [128, 3136], "fc1.bias": [128],
                      "fc2.weight": [10, 128], "fc2.bias": [10]}
    end = max(v["data_offsets"][1] for v in header.values())
    assert len(raw) == 8 + n + end


def test_demo_reports_a_missing_dataset(tmp_path):
    r = run("--data", str(tmp_path), "--epochs", "1")
    assert r.returncode != 0
    assert "dataset" in r.stderr and str(tmp_path) in r.stderr


def test_demo_rejects_bad_arguments():
    r = run("--epochs")
    assert r.returncode == 2 and "usage" in r.stderr
