"""Build facts, as torch.version has them."""
from ctorch import _C

__version__ = "0.1.0"
# The CUDA version this build was compiled with ("13.0"), None without CUDA.
cuda = _C._cuda_version()
debug = False
git_version = None
