"""nn.utils.stateless.functional_call: runs a module with some parameters
and buffers replaced by the given tensors (restored afterwards)."""
import contextlib

__all__ = ["functional_call"]


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers):
    saved = []
    try:
        for name, tensor in parameters_and_buffers.items():
            prefix, _, attr = name.rpartition(".")
            mod = module.get_submodule(prefix)
            for d in (mod._parameters, mod._buffers):
                if attr in d:
                    saved.append((d, attr, d[attr]))
                    d[attr] = tensor
                    break
            else:
                saved.append((mod.__dict__, attr, mod.__dict__.get(attr, _MISSING)))
                mod.__dict__[attr] = tensor
        yield
    finally:
        for d, attr, old in reversed(saved):
            if old is _MISSING:
                del d[attr]
            else:
                d[attr] = old


_MISSING = object()


def functional_call(module, parameters_and_buffers, args, kwargs=None):
    if kwargs is None:
        kwargs = {}
    with _reparametrize_module(module, parameters_and_buffers):
        if isinstance(args, tuple):
            return module(*args, **kwargs)
        return module(args, **kwargs)
