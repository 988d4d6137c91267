"""pin_memory(data): torch.utils.data._utils.pin_memory.pin_memory, used by
the Python DataLoader iterators (datasets written in Python); batches of
C-backed datasets are pinned by the C loader's workers."""
import collections.abc

import ctorch


def pin_memory(data, device=None):
    """Each tensor of a batch (inside mappings, named tuples and sequences too)
    in page-locked memory, as PyTorch does it."""
    if isinstance(data, ctorch.Tensor):
        return data.pin_memory()
    elif isinstance(data, (str, bytes)):
        return data
    elif isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: pin_memory(sample, device) for k, sample in data.items()})
        except TypeError:
            # the mapping type may not support `__init__(iterable)`
            return {k: pin_memory(sample, device) for k, sample in data.items()}
    elif isinstance(data, tuple) and hasattr(data, '_fields'):  # namedtuple
        return type(data)(*(pin_memory(sample, device) for sample in data))
    elif isinstance(data, tuple):
        return [pin_memory(sample, device) for sample in data]  # as PyTorch: a list
    elif isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([pin_memory(sample, device) for sample in data])
        except TypeError:
            return [pin_memory(sample, device) for sample in data]
    elif hasattr(data, "pin_memory"):
        return data.pin_memory()
    else:
        return data
