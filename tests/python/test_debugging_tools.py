"""pdb, print, cProfile and Ctrl-C work on user code as with PyTorch
(issue: the Python face). Each runs a small script in a fresh interpreter."""
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))


def run(code, stdin=None, **kw):
    return subprocess.run([sys.executable] + kw.pop("args", ["-c", code]), input=stdin,
                          capture_output=True, text=True, env=ENV, timeout=120, **kw)


def test_print_and_pdb_show_tensors(tmp_path):
    script = tmp_path / "user.py"
    script.write_text("import ctorch as torch\n"
                      "x = torch.arange(4.0).reshape(2, 2)\n"
                      "y = x @ x\n"
                      "print(y)\n")
    # pdb: step to the end, print a tensor and an expression, quit
    out = run(None, stdin="next\nnext\nnext\np x\np (x * 2).sum().item()\ncontinue\n",
              args=["-m", "pdb", str(script)])
    assert out.returncode == 0, out.stderr
    assert "tensor([[0., 1.],\n        [2., 3.]])" in out.stdout
    assert "12.0" in out.stdout
    assert "tensor([[ 2.,  3.],\n        [ 6., 11.]])" in out.stdout  # the script's own print


def test_cprofile_sees_user_functions_and_ctorch_calls(tmp_path):
    code = ("import cProfile, pstats, io, ctorch as torch\n"
            "def train_step(w, x):\n"
            "    loss = ((x @ w).relu() ** 2).mean()\n"
            "    loss.backward()\n"
            "    return loss\n"
            "w = torch.randn(8, 4, requires_grad=True); x = torch.randn(16, 8)\n"
            "pr = cProfile.Profile(); pr.enable()\n"
            "for _ in range(20): train_step(w, x)\n"
            "pr.disable(); s = io.StringIO(); pstats.Stats(pr, stream=s).print_stats(); print(s.getvalue())\n")
    out = run(code)
    assert out.returncode == 0, out.stderr
    assert "train_step" in out.stdout
    assert "relu" in out.stdout and "backward" in out.stdout
    line = [l for l in out.stdout.splitlines() if "train_step" in l][0]
    assert line.split()[0] == "20"  # ncalls of the user's function


def test_ctrl_c_during_long_ops_leaves_a_working_engine():
    code = ("import ctorch as torch, sys\n"
            "a = torch.randn(1500, 1500)\n"
            "print('ready', flush=True)\n"
            "try:\n"
            "    while True:\n"
            "        a = (a @ a).tanh()\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n"
            "x = torch.arange(6.0).reshape(2, 3)\n"
            "print('after', (x @ x.T).tolist(), torch.isfinite(a).all().item(), flush=True)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=ENV)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "interrupted" in out
    assert "after [[5.0, 14.0], [14.0, 50.0]] True" in out
