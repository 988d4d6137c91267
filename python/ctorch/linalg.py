"""torch.linalg: what the C engine's linalg family provides in this build."""
from ctorch import _C

matmul = _C.matmul
for _name in ("inv", "det", "solve", "cholesky", "slogdet", "qr", "svd", "eigh"):
    if hasattr(_C, "_linalg_" + _name):
        globals()[_name] = getattr(_C, "_linalg_" + _name)
del _name
