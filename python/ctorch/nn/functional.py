"""torch.nn.functional over ctorch's C ops.

The ops of include/ctorch/def/nn.def are C bindings (ctorch._C); this file
gives them PyTorch's signatures (legacy size_average/reduce arguments,
reduction strings). A few small functions PyTorch has (one_hot, normalize,
cosine_similarity, glu, ...) are composed here of existing differentiable
ops, so autograd differentiates them."""
import math
import warnings

import ctorch
from ctorch import _C

Tensor = ctorch.Tensor

# ---------------------------------------------------------------- reductions
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction_enum(reduction):
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.")
        return 1
    if reduction in _REDUCTIONS:
        return _REDUCTIONS[reduction]
    raise ValueError("{} is not a valid value for reduction".format(reduction))


def _legacy_get_string(size_average, reduce, emit_warning=True):
    warning = "size_average and reduce args will be deprecated, please use reduction='{}' instead."
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(warning.format(ret))
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    return _reduction_enum(reduction)


# ---------------------------------------------------------------- linear / conv / pool
def linear(input, weight, bias=None):
    return _C._linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b (C: ct_bilinear, an einsum)."""
    return _C.bilinear(input1, input2, weight, bias)


conv1d = _C.conv1d
conv2d = _C.conv2d


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _C.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _C.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _single(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError("{} must be an int or a tuple of one int".format(name))
        return v[0]
    return v


def _stride1d(kernel, stride):
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return _single(stride, "stride")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The C op max_pool1d (indices are positions in L)."""
    k = _single(kernel_size, "kernel_size")
    return _C._max_pool1d(input, k, _stride1d(k, stride), _single(padding, "padding"), _single(dilation, "dilation"),
                          ceil_mode, return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _C._avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k = _single(kernel_size, "kernel_size")
    return _C._avg_pool1d(input, k, _stride1d(k, stride), _single(padding, "padding"), ceil_mode, count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    return _C._adaptive_avg_pool2d(input, output_size)


def adaptive_avg_pool1d(input, output_size):
    return _C._adaptive_avg_pool1d(input, _single(output_size, "output_size"))


# ---------------------------------------------------------------- softmax family
def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn("Implicit dimension choice for {} has been deprecated. "
                  "Change the call to include dim=X as an argument.".format(name), stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _C.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _C.softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _C.log_softmax(input, dim, dtype=dtype)


# ---------------------------------------------------------------- dropout / normalisation
def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got {}".format(p))
    if not inplace:
        return _C.dropout(input, p, training)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0)
    # the stream PyTorch's CPU dropout draws: noise = bernoulli_(1 - p), scaled by 1 / (1 - p)
    noise = ctorch.empty_like(input).bernoulli_(1.0 - p).div_(1.0 - p)
    return input.mul_(noise)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got {}".format(p))


# The feature dropouts are C ops (one Bernoulli draw per channel from the
# default generator, PyTorch's stream): kinds of _C._feature_dropout.
_DROPOUT1D, _DROPOUT2D, _DROPOUT3D, _ALPHA_DROPOUT, _FEATURE_ALPHA_DROPOUT = 1, 2, 3, 4, 5


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _C._feature_dropout(input, _DROPOUT1D, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).")
    if inp_dim == 3:  # PyTorch 1.13 reads a 3-d input as (N, C, L)
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                      "is the channel dim. This behavior will change in a future release to interpret the "
                      "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d instead.")
    return _C._feature_dropout(input, _DROPOUT2D, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).")
    return _C._feature_dropout(input, _DROPOUT3D, p, training, inplace)


def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size {}".format(size))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if training:
        _verify_batch_size(input.size())
    return _C.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _C.layer_norm(input, list(normalized_shape) if not isinstance(normalized_shape, int)
                         else [normalized_shape], weight, bias, eps)


# ---------------------------------------------------------------- activations
def relu(input, inplace=False):
    return ctorch.relu_(input) if inplace else ctorch.relu(input)


def relu_(input):
    return ctorch.relu_(input)


def relu6(input, inplace=False):
    return _C._hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    return _C._elu(input, alpha, inplace)


def elu_(input, alpha=1.0):
    return _C._elu(input, alpha, True)


def selu(input, inplace=False):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    r = _C._elu(input, alpha, inplace)
    return r.mul_(scale) if inplace else r * scale


def celu(input, alpha=1.0, inplace=False):
    r = ctorch.where(input > 0, input, alpha * ctorch.expm1(input / alpha))
    return input.copy_(r) if inplace else r


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _C._leaky_relu(input, negative_slope, inplace)


def leaky_relu_(input, negative_slope=0.01):
    return _C._leaky_relu(input, negative_slope, True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _C._hardtanh(input, min_val, max_val, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _C._hardtanh(input, min_val, max_val, True)


def gelu(input, approximate="none"):
    return _C._gelu(input, approximate)


def silu(input, inplace=False):
    return _C._silu(input, inplace)


def mish(input, inplace=False):
    r = input * ctorch.tanh(_C._softplus(input, 1.0, 20.0))
    return input.copy_(r) if inplace else r


def softplus(input, beta=1, threshold=20):
    return _C._softplus(input, beta, threshold)


def sigmoid(input):
    warnings.warn("nn.functional.sigmoid is deprecated. Use torch.sigmoid instead.")
    return ctorch.sigmoid(input)


def tanh(input):
    warnings.warn("nn.functional.tanh is deprecated. Use torch.tanh instead.")
    return ctorch.tanh(input)


def logsigmoid(input):
    # log(sigmoid(x)) = -softplus(-x), stable for both signs
    return -_C._softplus(-input, 1.0, 20.0)


def hardsigmoid(input, inplace=False):
    r = _C._hardtanh(input + 3.0, 0.0, 6.0, False) / 6.0
    return input.copy_(r) if inplace else r


def hardswish(input, inplace=False):
    r = input * _C._hardtanh(input + 3.0, 0.0, 6.0, False) / 6.0
    return input.copy_(r) if inplace else r


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    r = ctorch.where(input > threshold, input, ctorch.full_like(input, value))
    return input.copy_(r) if inplace else r


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError("Halving dimension must be even, but dimension {} is size {}".format(
            dim % input.dim(), input.shape[dim]))
    a, b = input.chunk(2, dim)
    return a * ctorch.sigmoid(b)


def prelu(input, weight):
    if weight.numel() != 1 and (input.dim() < 2 or input.shape[1] != weight.numel()):
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = {} "
                           "and channel size = {}.".format(weight.numel(), input.shape[1] if input.dim() > 1 else 1))
    w = weight
    if weight.numel() != 1 and input.dim() > 2:
        w = weight.reshape([weight.numel()] + [1] * (input.dim() - 2))
    return ctorch.where(input >= 0, input, w * input)


# ---------------------------------------------------------------- shape helpers
def pad(input, pad, mode="constant", value=None):
    return _C._pad(input, pad, mode, 0.0 if value is None else value)


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise RuntimeError("one_hot is only applicable to index tensor.")
    return _C._one_hot(tensor, num_classes)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return ctorch.div(input, denom, out=out)


def _broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError("The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton "
                               "dimension {}".format(p, q, i))
        out.append(q if p == 1 else p)
    return out


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """PyTorch 1.13's formulation: each input (broadcast to the common shape)
    divided by its norm clamped at eps, then the products summed."""
    if x1.shape != x2.shape:
        shape = _broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The C op embedding: max_norm renormalises the looked-up rows of weight
    in place (outside autograd); sparse gradients are not implemented."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    return _C._embedding(weight, input, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


# ---------------------------------------------------------------- losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if target.size() != input.size():
        warnings.warn("Using a target size ({}) that is different to the input size ({}). This will likely lead "
                      "to incorrect results due to broadcasting. Please ensure they have the same size."
                      .format(target.size(), input.size()), stacklevel=2)
    return _C._mse_loss(input, target, _reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if target.size() != input.size():
        warnings.warn("Using a target size ({}) that is different to the input size ({}). This will likely lead "
                      "to incorrect results due to broadcasting. Please ensure they have the same size."
                      .format(target.size(), input.size()), stacklevel=2)
    return _C._l1_loss(input, target, _reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if target.size() != input.size():
        warnings.warn("Using a target size ({}) that is different to the input size ({}). This will likely lead "
                      "to incorrect results due to broadcasting. Please ensure they have the same size."
                      .format(target.size(), input.size()), stacklevel=2)
    return _C._smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), beta)


def huber_loss(input, target, reduction="mean", delta=1.0):
    if target.size() != input.size():
        warnings.warn("Using a target size ({}) that is different to the input size ({}). This will likely lead "
                      "to incorrect results due to broadcasting. Please ensure they have the same size."
                      .format(target.size(), input.size()), stacklevel=2)
    return _C._huber_loss(input, target, _reduction_enum(reduction), delta)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    return _C._nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))


def _length_list(v):
    if isinstance(v, ctorch.Tensor):
        v = v.tolist()
    return [v] if isinstance(v, int) else v


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss in C (ct_ctc_loss, include/ctorch/ctc.h); lengths as
    tensors or sequences of ints."""
    return _C._ctc_loss(log_probs, targets, _length_list(input_lengths), _length_list(target_lengths), blank,
                        _reduction_enum(reduction), zero_infinity)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    return _C._cross_entropy(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction),
                             label_smoothing)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r = _reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError("Using a target size ({}) that is different to the input size ({}) is deprecated. "
                         "Please ensure they have the same size.".format(target.size(), input.size()))
    return _C._binary_cross_entropy(input, target, weight, r)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    r = _reduction(size_average, reduce, reduction)
    if not (target.size() == input.size()):
        raise ValueError("Target size ({}) must be the same as input size ({})".format(target.size(), input.size()))
    return _C._binary_cross_entropy_with_logits(input, target, weight, pos_weight, r)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction == "batchmean":
        loss = _C._kl_div(input, target, 2, log_target)
        return loss / input.size()[0] if input.dim() != 0 else loss
    return _C._kl_div(input, target, _reduction_enum(reduction), log_target)


def _apply_reduction(loss, reduction):
    r = _reduction_enum(reduction)
    if r == 1:
        return loss.mean()
    if r == 2:
        return loss.sum()
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    return _C.poisson_nll_loss(input, target, log_input, full, eps, _reduction_enum(reduction))


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _C._soft_margin_loss(input, target, _reduction(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           "input1: {}, input2: {}, target: {} ".format(input1.size(), input2.size(), target.size()))
    return _C.margin_ranking_loss(input1, input2, target, margin, r)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    return _C.hinge_embedding_loss(input, target, margin, _reduction(size_average, reduce, reduction))


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    return _C.cosine_embedding_loss(input1, input2, target, margin, _reduction(size_average, reduce, reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if reduction not in ("none", "mean", "sum"):
        if var.size() != input.size() and input.size()[:-1] != var.size() and not (
                input.size()[:-1] == var.size()[:-1] and var.size(-1) == 1):
            raise ValueError("var is of incorrect size")
        raise ValueError(reduction + " is not valid")
    return _C._gaussian_nll_loss(input, target, var, full, eps, _REDUCTIONS[reduction])


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _C._multilabel_soft_margin_loss(input, target, weight, _reduction(size_average, reduce, reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    return _C.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                  _reduction(size_average, reduce, reduction))


# ---------------------------------------------------------------- more compositions
def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def selu_(input):
    return selu(input, True)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


def hardshrink(input, lambd=0.5):
    return ctorch.where(input.abs() > lambd, input, ctorch.zeros_like(input))


def softshrink(input, lambd=0.5):
    zero = ctorch.zeros_like(input)
    return ctorch.where(input > lambd, input - lambd, ctorch.where(input < -lambd, input + lambd, zero))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _C._feature_dropout(input, _ALPHA_DROPOUT, p, training, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _C._feature_dropout(input, _FEATURE_ALPHA_DROPOUT, p, training, inplace)


def _verify_spatial_size(size):
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size {}".format(size))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Fused C op (ct_instance_norm): per (sample, channel) statistics, or
    the running statistics when use_input_stats is false."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    return _C.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Fused C op (ct_group_norm): statistics per (sample, group of
    channels), then the per-channel affine."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.size()[2:]))
    return _C.group_norm(input, num_groups, weight, bias, eps)


def pixel_shuffle(input, upscale_factor):
    return _C.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _C.pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    n, c = input.shape[0], input.shape[1]
    if c % groups != 0:
        raise RuntimeError("Number of channels must be divisible by groups. Got {} channels and {} groups.".format(
            c, groups))
    rest = list(input.shape[2:])
    return input.reshape([n, groups, c // groups] + rest).transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    r = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _C._multi_margin_loss(input, target, p, margin, weight, r)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _C._multilabel_margin_loss(input, target, _reduction(size_average, reduce, reduction))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ctorch.minimum(d_neg, dist(positive, negative))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    gumbels = -ctorch.empty_like(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = ctorch.zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# ---------------------------------------------------------------- attention (composed: linear, bmm, softmax)
def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if not (key.dim() == 3 and value.dim() == 3):
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                                 f" but found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                                 f" but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                                 f" but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if not (key.dim() == 2 and value.dim() == 2):
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                                 f" but found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D"
                                 f" but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                                     f" but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected_shape = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected_shape:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected_shape} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _in_projection_packed(q, k, v, w, b=None):
    E = q.size(-1)
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, dim=-1)
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        return (linear(q, w_q, b_q),) + tuple(linear(k, w_kv, b_kv).chunk(2, dim=-1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0):
    E = q.shape[-1]
    q = q / math.sqrt(E)
    if attn_mask is not None:
        attn = ctorch.baddbmm(attn_mask, q, k.transpose(-2, -1))
    else:
        attn = ctorch.bmm(q, k.transpose(-2, -1))
    attn = softmax(attn, dim=-1)
    if dropout_p > 0.0:
        attn = dropout(attn, p=dropout_p)
    return ctorch.bmm(attn, v), attn


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True):
    """PyTorch 1.13's reference path (what its fast path also computes)."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dtype == ctorch.uint8:
            warnings.warn("Byte tensor for attn_mask in nn.MultiheadAttention is deprecated. Use bool tensor "
                          "instead.")
            attn_mask = attn_mask.to(ctorch.bool)
        elif not (attn_mask.is_floating_point() or attn_mask.dtype == ctorch.bool):
            raise AssertionError(f"Only float, byte, and bool types are supported for attn_mask, not "
                                 f"{attn_mask.dtype}")
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if key_padding_mask is not None and key_padding_mask.dtype == ctorch.uint8:
        warnings.warn("Byte tensor for key_padding_mask in nn.MultiheadAttention is deprecated. Use bool tensor "
                      "instead.")
        key_padding_mask = key_padding_mask.to(ctorch.bool)

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = ctorch.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ctorch.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    q = q.contiguous().view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.contiguous().view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None
         else static_k)
    v = (v.contiguous().view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None
         else static_v)
    if add_zero_attn:
        zero_attn_shape = (bsz * num_heads, 1, head_dim)
        k = ctorch.cat([k, ctorch.zeros(zero_attn_shape, dtype=k.dtype)], dim=1)
        v = ctorch.cat([v, ctorch.zeros(zero_attn_shape, dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.size(1)

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{key_padding_mask.shape}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        if attn_mask is None:
            attn_mask = key_padding_mask
        elif attn_mask.dtype == ctorch.bool:
            attn_mask = attn_mask.logical_or(key_padding_mask)
        else:
            attn_mask = attn_mask.masked_fill(key_padding_mask, float("-inf"))
    if attn_mask is not None and attn_mask.dtype == ctorch.bool:
        attn_mask = ctorch.zeros_like(attn_mask, dtype=q.dtype).masked_fill_(attn_mask, float("-inf"))
    if not training:
        dropout_p = 0.0

    attn_output, attn_output_weights = _scaled_dot_product_attention(q, k, v, attn_mask, dropout_p)
    attn_output = attn_output.transpose(0, 1).contiguous().view(tgt_len * bsz, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if need_weights:
        attn_output_weights = attn_output_weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            attn_output_weights = attn_output_weights.sum(dim=1) / num_heads
        if not is_batched:
            attn_output = attn_output.squeeze(1)
            attn_output_weights = attn_output_weights.squeeze(0)
        return attn_output, attn_output_weights
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None


# ---------------------------------------------------------------- more pooling (compositions)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Windows [floor(i*H/oh), ceil((i+1)*H/oh)) in C (_C._adaptive_max_pool2d);
    indices are flat (h * W + w) within each plane, as PyTorch's."""
    if input.dim() not in (3, 4):
        raise RuntimeError("adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {}".format(list(input.shape)))
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
        output_size = (input.shape[-2] if output_size[0] is None else output_size[0],
                       input.shape[-1] if output_size[1] is None else output_size[1])
    else:
        output_size = (output_size, output_size)
    return _C._adaptive_max_pool2d(input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _C._adaptive_max_pool1d(input, _single(output_size, "output_size"), return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kw, kh = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (ctorch.sign(out) * relu(ctorch.abs(out))).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (ctorch.sign(out) * relu(ctorch.abs(out))).mul(kernel_size).pow(1.0 / norm_type)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality input (got {} dimensions)".format(dim))
    if input.numel() == 0:
        return input
    div = input.mul(input).unsqueeze(1)
    sizes = input.size()
    if dim > 3:  # PyTorch's avg_pool3d over (channel, 1, 1) is an avg_pool2d over (channel, 1) of [N, 1, C, rest]
        div = div.reshape(sizes[0], 1, sizes[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    if dim > 3:
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


# ---------------------------------------------------------------- unfold / fold (im2col, col2im)
def _pair_arg(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: [N, C, H, W] -> [N, C*kh*kw, L], composed of pad, Tensor.unfold
    (sliding windows as a view) and a permute."""
    if input.dim() not in (3, 4):
        raise NotImplementedError("Input Error: Only 3D or 4D input Tensors are supported (got {}D)".format(
            input.dim()))
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair_arg, (kernel_size, dilation, padding, stride))
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph))
    n, c = x.shape[0], x.shape[1]
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if x.shape[2] < eh or x.shape[3] < ew:
        raise RuntimeError("Given input with spatial size ({}, {}), kernel_size=({}, {}), dilation=({}, {}), "
                           "padding=({}, {}), calculated shape of the array of sliding blocks is non-positive."
                           .format(input.shape[-2], input.shape[-1], kh, kw, dh, dw, ph, pw))
    p = x.unfold(2, eh, sh).unfold(3, ew, sw)[..., ::dh, ::dw]  # [N, C, oh, ow, kh, kw]
    oh, ow = p.shape[2], p.shape[3]
    out = p.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: overlapping block values summed
    (index_add into the padded output, then cropped)."""
    if input.dim() not in (2, 3):
        raise NotImplementedError("Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  "(got {}D)".format(input.dim()))
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    (H, W), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair_arg, (output_size, kernel_size, dilation, padding,
                                                                     stride))
    Hp, Wp = H + 2 * ph, W + 2 * pw
    oh = (Hp - (dh * (kh - 1) + 1)) // sh + 1
    ow = (Wp - (dw * (kw - 1) + 1)) // sw + 1
    n, ckk, L = x.shape
    if ckk % (kh * kw) != 0:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           "got input.size(1)={} and kernel_size=({}, {})".format(ckk, kh, kw))
    if L != oh * ow:
        raise RuntimeError("Given output_size=({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), "
                           "stride=({}, {}), expected size of input's dimension 2 to match the calculated number of "
                           "sliding blocks {} * {} = {}, but got input.size(2)={}.".format(
                               H, W, kh, kw, dh, dw, ph, pw, sh, sw, oh, ow, oh * ow, L))
    c = ckk // (kh * kw)
    ki = ctorch.arange(kh).reshape(kh, 1, 1, 1)
    kj = ctorch.arange(kw).reshape(1, kw, 1, 1)
    bi = ctorch.arange(oh).reshape(1, 1, oh, 1)
    bj = ctorch.arange(ow).reshape(1, 1, 1, ow)
    idx = ((bi * sh + ki * dh) * Wp + bj * sw + kj * dw).reshape(-1)  # (ki, kj, block) -> padded flat position
    out = ctorch.zeros(n, c, Hp * Wp, dtype=x.dtype).index_add(2, idx, x.reshape(n, c, kh * kw * L))
    out = out.reshape(n, c, Hp, Wp)[:, :, ph:ph + H, pw:pw + W]
    return out if batched else out.squeeze(0)


# ---------------------------------------------------------------- transposed convolution (C: ct_conv_transpose3d/2d/1d)
conv_transpose2d = _C.conv_transpose2d
conv_transpose1d = _C.conv_transpose1d
conv_transpose3d = _C.conv_transpose3d


# ---------------------------------------------------------------- interpolate (separable index_select + lerp)
def _nearest_exact_table(in_size, out_size, scale):
    """Source indices of one spatial dim for mode nearest-exact, in the float
    arithmetic of PyTorch's CPU kernel."""
    import numpy as np
    f = np.float32
    dst = np.arange(out_size, dtype=np.int64)
    s = f(1.0 / scale) if scale is not None and scale > 0 else f(in_size) / f(out_size)
    src = np.floor(((dst + 0.5) * float(s)).astype(f)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Modes nearest (1-3 spatial dims), linear and bilinear: the C ops of
    src/nn/upsample.c; area: adaptive average pooling; nearest-exact: an
    index_select per spatial dim."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            output_size = list(size)
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scale_factors = list(scale_factor)
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(math.floor(float(input.size(i + 2)) * scale_factors[i])) for i in range(dim)]
        scale_factors = None
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not implemented in ctorch")
    if output_size is None:
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
    if mode == "area":
        if dim == 1:
            return adaptive_avg_pool1d(input, output_size)
        if dim == 2:
            return adaptive_avg_pool2d(input, output_size)
    want = {"nearest": (1, 2, 3), "nearest-exact": (1, 2), "linear": (1,), "bilinear": (2,)}
    if mode not in want:
        raise NotImplementedError("interpolate: mode {!r} is not implemented in ctorch".format(mode))
    if dim not in want[mode]:
        if mode in ("linear", "bilinear") and dim in (1, 2, 3):
            raise NotImplementedError("Got {}D input, but {} mode needs {}D input".format(
                input.dim(), mode, want[mode][0] + 2))
        raise NotImplementedError("Input Error: Only 3D, 4D and 5D input Tensors supported (got {}D) for the modes: "
                                  "nearest | linear | bilinear | area | nearest-exact (got {})".format(
                                      input.dim(), mode))
    # C kernels (src/nn/upsample.c); the scales go along unless recomputed
    scales = list(scale_factors) if scale_factors is not None else None
    if mode == "nearest":
        return _C._upsample_nearest(input, output_size, scales)
    if mode == "bilinear":
        return _C._upsample_bilinear2d(input, output_size, align_corners, scales)
    if mode == "linear":
        y = _C._upsample_bilinear2d(input.unsqueeze(2), [1] + list(output_size), align_corners,
                                    None if scales is None else [None] + scales)
        return y.squeeze(2)
    # nearest-exact: index_select per spatial dim (a composition of C ops)
    x = input
    for d in range(dim):
        scale = scale_factors[d] if scale_factors is not None else None
        idx = _nearest_exact_table(input.size(2 + d), output_size[d], scale)
        x = x.index_select(2 + d, ctorch.from_numpy(idx))
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- 3-d convolution (C: ct_conv3d)
def _triple_arg(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


conv3d = _C.conv3d


# ---------------------------------------------------------------- 3-d pooling (separable: 2-d pooling, then depth)
def _pool_out(size, k, pad, stride, dil, ceil):
    num = size + 2 * pad - dil * (k - 1) - 1 + (stride - 1 if ceil else 0)
    out = num // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool3d_prep(name, input, kernel_size, stride, padding, dilation=1):
    if input.dim() not in (4, 5):
        raise RuntimeError("{}: Expected 4D or 5D tensor for input, but got: {}".format(name, list(input.shape)))
    k = _triple_arg(kernel_size)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _triple_arg(stride)
    p, d = _triple_arg(padding), _triple_arg(dilation)
    for i in range(3):
        if p[i] > k[i] // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got pad={}, kernel_size={} "
                               "and dilation={}".format(p[i], k[i], d[i]))
    batched = input.dim() == 5
    x = input if batched else input.unsqueeze(0)
    n, c, D, H, W = x.shape
    return x, batched, n, c, D, k, s, p, d


def _fold_depth(x):
    n, c, D, H, W = x.shape
    return x.transpose(1, 2).reshape(n * D, c, H, W)


def _unfold_depth(y, n, D):
    return y.reshape(n, D, y.shape[1], y.shape[2], y.shape[3]).transpose(1, 2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """max_pool2d over each depth slice, then the max over each depth window
    (return_indices is not implemented)."""
    if return_indices:
        raise NotImplementedError("max_pool3d(return_indices=True) is not implemented in ctorch")
    x, batched, n, c, D, k, s, p, d = _pool3d_prep("max_pool3d", input, kernel_size, stride, padding, dilation)
    Do = _pool_out(D, k[0], p[0], s[0], d[0], ceil_mode)
    if Do <= 0:
        raise RuntimeError("max_pool3d: Given input size: ({}x{}x{}x{}). Calculated output size: ({}x{}x..). Output "
                           "size is too small".format(c, D, x.shape[3], x.shape[4], c, Do))
    y = _unfold_depth(_C.max_pool2d(_fold_depth(x), k[1:], s[1:], p[1:], d[1:], ceil_mode, False), n, D)
    outs = []
    for od in range(Do):
        idx = [od * s[0] - p[0] + j * d[0] for j in range(k[0])]
        idx = [i for i in idx if 0 <= i < D]
        outs.append(y.index_select(2, ctorch.tensor(idx, dtype=ctorch.int64, device=y.device)).amax(2))
    out = ctorch.stack(outs, 2)
    return out if batched else out.squeeze(0)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """avg_pool2d over each depth slice, then the depth window's sum over its
    own divisor (PyTorch's divisor is the product of per-dim counts)."""
    x, batched, n, c, D, k, s, p, _ = _pool3d_prep("avg_pool3d", input, kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    Do = _pool_out(D, k[0], p[0], s[0], 1, ceil_mode)
    if Do <= 0:
        raise RuntimeError("avg_pool3d: Given input size: ({}x{}x{}x{}). Calculated output size: ({}x{}x..). Output "
                           "size is too small".format(c, D, x.shape[3], x.shape[4], c, Do))
    y = _C._avg_pool2d(_fold_depth(x), k[1:], s[1:], p[1:], ceil_mode, count_include_pad,
                       1 if divisor_override is not None else None)
    y = _unfold_depth(y, n, D)
    outs = []
    for od in range(Do):
        start = od * s[0] - p[0]
        end = min(start + k[0], D + p[0])
        lo, hi = max(start, 0), min(end, D)
        div = divisor_override if divisor_override is not None else ((end - start) if count_include_pad else hi - lo)
        outs.append(y[:, :, lo:hi].sum(2) / div)
    out = ctorch.stack(outs, 2)
    return out if batched else out.squeeze(0)


def adaptive_avg_pool3d(input, output_size):
    if input.dim() not in (4, 5):
        raise RuntimeError("adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {}".format(list(input.shape)))
    batched = input.dim() == 5
    x = input if batched else input.unsqueeze(0)
    n, c, D, H, W = x.shape
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 3:
            raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
        od_, oh, ow = [x.shape[2 + i] if v is None else v for i, v in enumerate(output_size)]
    else:
        od_ = oh = ow = output_size
    y = _unfold_depth(_C._adaptive_avg_pool2d(_fold_depth(x), (oh, ow)), n, D)
    outs = []
    for i in range(od_):
        lo, hi = (i * D) // od_, -(-((i + 1) * D) // od_)
        outs.append(y[:, :, lo:hi].mean(2))
    out = ctorch.stack(outs, 2)
    return out if batched else out.squeeze(0)


# ---------------------------------------------------------------- unpooling, pdist, rrelu
def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    input_size = input.size()
    default_size = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
                     for d in range(len(kernel_size))]
    if output_size is None:
        return default_size
    output_size = list(output_size)
    if len(output_size) == len(kernel_size) + 2:
        output_size = output_size[2:]
    if len(output_size) != len(kernel_size):
        raise ValueError("output_size should be a sequence containing {} or {} elements, but it has a length of '{}'"
                         .format(len(kernel_size), len(kernel_size) + 2, len(output_size)))
    for d in range(len(kernel_size)):
        min_size = default_size[d] - stride[d]
        max_size = default_size[d] + stride[d]
        if not (min_size < output_size[d] < max_size):
            raise ValueError('invalid output_size "{}" (dim {} must be between {} and {})'.format(
                output_size, d, min_size, max_size))
    return output_size


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size):
    k = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * nd
    s = k if stride is None else (tuple(stride) if isinstance(stride, (tuple, list)) else (stride,) * nd)
    p = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * nd
    osz = _unpool_output_size(input, k, s, p, output_size)
    if nd == 1:
        return _C._max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), list(osz) + [1]).squeeze(-1)
    return _C._max_unpool2d(input, indices, list(osz))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


def pdist(input, p=2):
    if input.dim() != 2:
        raise RuntimeError("pdist only supports 2D tensors, got: {}D".format(input.dim()))
    n = input.shape[0]
    if n < 2:
        return ctorch.zeros(0, dtype=input.dtype)
    ij = ctorch.triu_indices(n, n, 1)
    return (input.index_select(0, ij[0]) - input.index_select(0, ij[1])).norm(p, 1)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Training: each non-positive element scaled by its own U(lower, upper)
    draw (float64 draws in element order, PyTorch's CPU stream); eval: the
    leaky slope (lower + upper) / 2."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    mask = input <= 0
    n = int(mask.sum())
    noise = ctorch.ones_like(input)
    if n:
        r = ctorch.empty(n, dtype=ctorch.float64).uniform_(lower, upper).to(input.dtype)
        noise = noise.masked_scatter(mask, r)
    return input.mul_(noise) if inplace else input * noise


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


_BAG_MODES = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The C op embedding_bag (checks and messages in C)."""
    if input.dim() == 2 and offsets is not None:
        raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                         "length sequences. However, found offsets of type {}".format(type(offsets)))
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    return _C._embedding_bag(weight, input, offsets, _BAG_MODES[mode], per_sample_weights, include_last_offset,
                             padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
