import os
import sys

import pytest

# CTORCH_PYTHON_DIR: another build's package (make test-cuda-emu's build-emu/pypkg)
sys.path.insert(0, os.environ.get("CTORCH_PYTHON_DIR") or
                os.path.join(os.path.dirname(__file__), "..", "..", "python"))


def has_op(name):
    import ctorch
    return any(e[0] == name for e in ctorch._C._op_table())


def needs_ops(*names):
    """Skip unless every op is in this build (its family merged)."""
    missing = [n for n in names if not has_op(n)]
    return pytest.mark.skipif(bool(missing), reason="ops not merged yet: " + ", ".join(missing))


try:  # keep hypothesis from writing a database into the repository
    from hypothesis import settings as _hs
    _hs.register_profile("ctorch", database=None)
    _hs.load_profile("ctorch")
except ImportError:
    pass
