"""torch.nn.init (PyTorch 1.13 semantics): in-place initialisers drawing from
the default generator in PyTorch's order, so that with the same manual_seed
the values equal PyTorch's (ctorch's generator reproduces its streams).

Where the C nn.init (ctorch._C._init_<name>, include/ctorch/module.h) is in
this build, the public functions call it; otherwise they compose the
tensor's own in-place random ops. Python keeps PyTorch's warnings."""
import math
import warnings

import ctorch
from ctorch import _C

_CI = {n[len("_init_"):]: getattr(_C, n) for n in dir(_C) if n.startswith("_init_")}


def _no_grad_uniform_(tensor, a, b):
    with ctorch.no_grad():
        return tensor.uniform_(a, b)


def _no_grad_normal_(tensor, mean, std):
    with ctorch.no_grad():
        return tensor.normal_(mean, std)


def _no_grad_fill_(tensor, val):
    with ctorch.no_grad():
        return tensor.fill_(val)


def _no_grad_zero_(tensor):
    with ctorch.no_grad():
        return tensor.zero_()


def _erfinv_(t):
    """In-place inverse error function of values in (-1, 1): a closed-form
    start (Giles' single-precision approximation) refined by Newton steps in
    float64."""
    y = t.double()
    w = -ctorch.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws = w - 2.5
    wl = ctorch.sqrt(w.clamp_min(5.0)) - 3.0
    ps = [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
          -0.00417768164, 0.246640727, 1.50140941]
    pl = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
          0.00943887047, 1.00167406, 2.83297682]
    a = ctorch.full_like(y, ps[0])
    b = ctorch.full_like(y, pl[0])
    for c1, c2 in zip(ps[1:], pl[1:]):
        a = a * ws + c1
        b = b * wl + c2
    x = ctorch.where(small, a, b) * y
    for _ in range(2):
        err = ctorch.erf(x) - y
        x = x - err / (2.0 / math.sqrt(math.pi) * ctorch.exp(-x * x))
    return t.copy_(x)


def _no_grad_trunc_normal_(tensor, mean, std, a, b):
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    with ctorch.no_grad():
        lo = norm_cdf((a - mean) / std)
        up = norm_cdf((b - mean) / std)
        tensor.uniform_(2 * lo - 1, 2 * up - 1)
        _erfinv_(tensor)
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
        return tensor


def calculate_gain(nonlinearity, param=None):
    if "calculate_gain" in _CI:
        return _CI["calculate_gain"](nonlinearity, param)
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    elif nonlinearity == "tanh":
        return 5.0 / 3
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError("negative_slope {} not a valid number".format(param))
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    elif nonlinearity == "selu":
        return 3.0 / 4
    else:
        raise ValueError("Unsupported nonlinearity {}".format(nonlinearity))


def uniform_(tensor, a=0.0, b=1.0):
    if "uniform_" in _CI:
        return _CI["uniform_"](tensor, a, b)
    return _no_grad_uniform_(tensor, a, b)


def normal_(tensor, mean=0.0, std=1.0):
    if "normal_" in _CI:
        return _CI["normal_"](tensor, mean, std)
    return _no_grad_normal_(tensor, mean, std)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    if "trunc_normal_" in _CI:
        if (mean < a - 2 * std) or (mean > b + 2 * std):
            warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                          "The distribution of values may be incorrect.", stacklevel=2)
        return _CI["trunc_normal_"](tensor, mean, std, a, b)
    return _no_grad_trunc_normal_(tensor, mean, std, a, b)


def constant_(tensor, val):
    if "constant_" in _CI:
        return _CI["constant_"](tensor, val)
    return _no_grad_fill_(tensor, val)


def ones_(tensor):
    if "ones_" in _CI:
        return _CI["ones_"](tensor)
    return _no_grad_fill_(tensor, 1.0)


def zeros_(tensor):
    if "zeros_" in _CI:
        return _CI["zeros_"](tensor)
    return _no_grad_zero_(tensor)


def eye_(tensor):
    if "eye_" in _CI:
        return _CI["eye_"](tensor)
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with ctorch.no_grad():
        tensor.copy_(ctorch.eye(*tensor.shape, dtype=tensor.dtype))
    return tensor


def dirac_(tensor, groups=1):
    if "dirac_" in _CI:
        return _CI["dirac_"](tensor, groups)
    dimensions = tensor.ndimension()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    with ctorch.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min_dim):
                idx = (g * out_chans_per_grp + d, d) + tuple(s // 2 for s in sizes[2:])
                tensor[idx] = 1
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    if "calculate_fan_in_and_fan_out" in _CI:
        return _CI["calculate_fan_in_and_fan_out"](tensor)
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    if tensor.dim() > 2:
        for s in tensor.shape[2:]:
            receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError("Mode {} not supported, please use one of {}".format(mode, valid_modes))
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0):
    if "xavier_uniform_" in _CI:
        return _CI["xavier_uniform_"](tensor, gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _no_grad_uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    if "xavier_normal_" in _CI:
        return _CI["xavier_normal_"](tensor, gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _no_grad_normal_(tensor, 0.0, std)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    if "kaiming_uniform_" in _CI:
        return _CI["kaiming_uniform_"](tensor, a, mode, nonlinearity)
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return _no_grad_uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    if "kaiming_normal_" in _CI:
        return _CI["kaiming_normal_"](tensor, a, mode, nonlinearity)
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return _no_grad_normal_(tensor, 0, std)


def orthogonal_(tensor, gain=1):
    if "orthogonal_" in _CI:
        return _CI["orthogonal_"](tensor, gain)
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    flattened = ctorch.empty(rows, cols, dtype=tensor.dtype).normal_(0, 1)
    if rows < cols:
        flattened = flattened.t()
    q, r = ctorch.linalg.qr(flattened)
    ph = ctorch.diagonal(r, 0).sign()
    q = q * ph
    if rows < cols:
        q = q.t()
    with ctorch.no_grad():
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


def sparse_(tensor, sparsity, std=0.01):
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with ctorch.no_grad():
        tensor.normal_(0, std)
        for col_idx in range(cols):
            row_indices = ctorch.randperm(rows)
            zero_indices = row_indices[:num_zeros]
            tensor[zero_indices, col_idx] = 0
    return tensor


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn("nn.init.{} is now deprecated in favor of nn.init.{}.".format(old_name, new_name),
                      stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
