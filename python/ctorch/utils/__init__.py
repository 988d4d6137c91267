"""ctorch.utils: data loading (ctorch.utils.data)."""
from ctorch.utils import data  # noqa: F401
