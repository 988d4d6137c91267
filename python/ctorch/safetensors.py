"""safetensors files, with the API of the safetensors package's
``safetensors.torch`` module: save_file, load_file, save, load.

The format: 8-byte little-endian header length, a JSON header
{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
"__metadata__": {str: str}}, then the raw little-endian data. Read and
written by the engine (src/io/safetensors.c)."""
from ctorch.serialization import (save_safetensors, load_safetensors,
                                  save_safetensors_bytes, load_safetensors_bytes)

__all__ = ["save_file", "load_file", "save", "load"]


def save_file(tensors, filename, metadata=None):
    save_safetensors(tensors, filename, metadata)


def load_file(filename, device="cpu"):
    return load_safetensors(filename, device)


def save(tensors, metadata=None):
    return save_safetensors_bytes(tensors, metadata)


def load(data):
    return load_safetensors_bytes(data)
