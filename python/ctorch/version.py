"""Build facts, as torch.version has them. This build has no CUDA."""
__version__ = "0.1.0"
cuda = None
debug = False
git_version = None
