"""torch.backends: switches of the compute libraries (cuBLAS's TF32 mode)."""
from ctorch.backends import cuda, cudnn  # noqa: F401
