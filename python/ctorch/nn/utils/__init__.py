from ctorch.nn.utils.clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_  # noqa: F401
from ctorch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from ctorch.nn.utils import clip_grad, convert_parameters  # noqa: F401
from ctorch.nn.utils.weight_norm import weight_norm, remove_weight_norm  # noqa: F401
from ctorch.nn.utils.fusion import (  # noqa: F401
    fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights)
from ctorch.nn.utils import fusion  # noqa: F401
from ctorch.nn.utils import rnn  # noqa: F401
from ctorch.nn.utils.spectral_norm import spectral_norm, remove_spectral_norm  # noqa: F401
from ctorch.nn.utils import stateless  # noqa: F401
