"""torch.linalg: decompositions and solvers of the C engine's linalg family."""
from ctorch import _C

inv = _C.linalg_inv
det = _C.linalg_det
solve = _C.linalg_solve
cholesky = _C.linalg_cholesky
slogdet = _C.linalg_slogdet
qr = _C.linalg_qr
svd = _C.linalg_svd
eigh = _C.linalg_eigh
matmul = _C.matmul
