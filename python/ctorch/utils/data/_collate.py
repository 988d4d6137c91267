"""default_collate / default_convert with torch.utils.data's (1.13) rules:
tensors are stacked, NumPy arrays and scalars become tensors, Python floats
float64 tensors, ints int64 tensors, strings stay lists; mappings, named
tuples and sequences are collated per field (tuples become lists)."""
import collections.abc
import re
import sys

import ctorch

np_str_obj_array_pattern = re.compile(r'[SaUO]')
string_classes = (str, bytes)

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, "
    "dicts or lists; found {}")


def default_convert(data):
    """NumPy arrays (inside sequences and mappings too) to tensors; the rest
    unchanged. The collate_fn when automatic batching is off."""
    elem_type = type(data)
    if isinstance(data, ctorch.Tensor):
        return data
    elif elem_type.__module__ == 'numpy' and elem_type.__name__ not in ('str_', 'string_'):
        if elem_type.__name__ == 'ndarray' \
                and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return ctorch.as_tensor(data)
    elif isinstance(data, collections.abc.Mapping):
        try:
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    elif isinstance(data, tuple) and hasattr(data, '_fields'):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    elif isinstance(data, tuple):
        return [default_convert(d) for d in data]
    elif isinstance(data, collections.abc.Sequence) and not isinstance(data, string_classes):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collates by element type through collate_fn_map (type -> function),
    recursing into mappings, named tuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            return elem_type({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                              for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                    for key in elem}
    elif isinstance(elem, tuple) and hasattr(elem, '_fields'):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    elif isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError('each element in list of batch should be of equal size')
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            return elem_type([collate(samples, collate_fn_map=collate_fn_map)
                              for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return ctorch.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([ctorch.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    # through one NumPy array: its dtype is the scalars' (np.int32 -> int32)
    return ctorch.as_tensor(sys.modules['numpy'].asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return ctorch.tensor(batch, dtype=ctorch.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return ctorch.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {ctorch.Tensor: collate_tensor_fn}
default_collate_fn_map[float] = collate_float_fn
default_collate_fn_map[int] = collate_int_fn
default_collate_fn_map[string_classes] = collate_str_fn


_numpy_registered = False


def _register_numpy():
    """Adds NumPy's types to default_collate_fn_map once NumPy is imported
    (`import ctorch` does not import NumPy; a NumPy value cannot exist before).
    They go before float and int, where PyTorch has them."""
    global _numpy_registered
    np = sys.modules.get('numpy')
    if np is None:
        return
    items = list(default_collate_fn_map.items())
    default_collate_fn_map.clear()
    default_collate_fn_map[items[0][0]] = items[0][1]
    default_collate_fn_map[np.ndarray] = collate_numpy_array_fn
    default_collate_fn_map[(np.bool_, np.number, np.object_)] = collate_numpy_scalar_fn
    default_collate_fn_map.update(items[1:])
    _numpy_registered = True


def default_collate(batch):
    """Puts each data field into a tensor with an outer batch dimension
    (torch.utils.data.default_collate's rules)."""
    if not _numpy_registered:
        _register_numpy()
    return collate(batch, collate_fn_map=default_collate_fn_map)
