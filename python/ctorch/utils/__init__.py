"""ctorch.utils: data loading (ctorch.utils.data).

ctorch.utils.data is imported on first use (ctorch.utils.data.DataLoader
works right after `import ctorch`), so that `import ctorch` stays fast."""
import importlib


def __getattr__(name):
    if name == "data":
        return importlib.import_module("ctorch.utils.data")
    raise AttributeError(f"module 'ctorch.utils' has no attribute '{name}'")
