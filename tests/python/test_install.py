"""`make install-python` puts a working package where the interpreter finds it."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_install_python_into_a_staging_dir(tmp_path):
    subprocess.run(["make", "-s", "--no-print-directory", "install-python", "DESTDIR=" + str(tmp_path),
                    "PY_SITE=/site", "PYTHON=" + sys.executable], cwd=ROOT, check=True,
                   capture_output=True)
    site = tmp_path / "site"
    assert (site / "ctorch" / "__init__.py").exists()
    code = "import ctorch, ctorch.nn, ctorch.optim; print(ctorch.__file__); print(ctorch.ones(2).sum().item())"
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out[0].startswith(str(site)) and float(out[1]) == 2.0
