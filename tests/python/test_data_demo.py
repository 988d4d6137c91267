"""examples/python/fashion_mnist.py runs unchanged under PyTorch (with
torchvision) and under ctorch, and both train the same: same initial
weights (manual_seed), same batches (the generator's order), so the same
loss and accuracies on a 128-image subset."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEMO = os.path.join(ROOT, "examples", "python", "fashion_mnist.py")
DATA = "/usr/share/datasets/fashion-mnist"


def run(src, tmp_path, tag):
    path = tmp_path / f"demo_{tag}.py"
    path.write_text(src)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(os.path.join(ROOT, "python")))
    env.pop("PYTEST_CURRENT_TEST", None)
    r = subprocess.run([sys.executable, str(path), "--limit", "128", "--epochs", "1",
                        "--workers", "0", "--out", str(tmp_path / tag)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    assert os.path.isfile(tmp_path / tag / "fashion_mnist_cnn.pt")
    last = [l for l in r.stdout.splitlines() if "128/128" in l][-1]
    loss = float(re.search(r"loss ([0-9.]+)", last).group(1))
    acc = float(re.search(r"acc +([0-9.]+)%", last).group(1))
    test = float(re.search(r"test accuracy ([0-9.]+)%", r.stdout).group(1))
    return loss, acc, test


@pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist is not installed")
def test_demo_runs_under_torch_and_ctorch_alike(tmp_path):
    src = open(DEMO).read()
    assert "import ctorch as torch" in src
    ct = run(src, tmp_path, "ctorch")
    pt = run(src.replace("import ctorch as torch", "import torch"), tmp_path, "torch")
    assert abs(ct[0] - pt[0]) < 2e-3 and abs(ct[1] - pt[1]) <= 1.0 and abs(ct[2] - pt[2]) <= 1.0, (ct, pt)
