from ctorch.nn.modules.module import Module  # noqa: F401
from ctorch.nn.modules.linear import Identity, Linear, Bilinear  # noqa: F401
from ctorch.nn.modules.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from ctorch.nn.modules.pooling import (  # noqa: F401
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,
    AdaptiveMaxPool2d, LPPool1d, LPPool2d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, MaxUnpool1d, MaxUnpool2d)
from ctorch.nn.modules.activation import (  # noqa: F401
    ReLU, ReLU6, LeakyReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Tanh, Sigmoid, Softplus, Hardtanh, Hardsigmoid,
    Hardswish, LogSigmoid, Softsign, Tanhshrink, Threshold, GLU, PReLU, Softmax, Softmin, LogSoftmax, Hardshrink,
    Softshrink, Softmax2d, RReLU)
from ctorch.nn.modules.normalization import (  # noqa: F401
    BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, GroupNorm,
    LocalResponseNorm)
from ctorch.nn.modules.dropout import (  # noqa: F401
    Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout)
from ctorch.nn.modules.padding import (  # noqa: F401
    ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad2d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
    ReplicationPad1d, ReplicationPad2d, ReplicationPad3d)
from ctorch.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle, ChannelShuffle  # noqa: F401
from ctorch.nn.modules.distance import PairwiseDistance, CosineSimilarity  # noqa: F401
from ctorch.nn.modules.fold import Fold, Unfold  # noqa: F401
from ctorch.nn.modules.upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  # noqa: F401
from ctorch.nn.modules.flatten import Flatten, Unflatten  # noqa: F401
from ctorch.nn.modules.sparse import Embedding, EmbeddingBag  # noqa: F401
from ctorch.nn.modules.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401
from ctorch.nn.modules.transformer import (  # noqa: F401
    MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder,
    Transformer)
from ctorch.nn.modules.container import (  # noqa: F401
    Container, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict)
from ctorch.nn.modules.loss import (  # noqa: F401
    L1Loss, MSELoss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
    PoissonNLLLoss, GaussianNLLLoss, SoftMarginLoss, MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss,
    MultiLabelSoftMarginLoss, MultiLabelMarginLoss, TripletMarginLoss, NLLLoss2d, MultiMarginLoss, TripletMarginWithDistanceLoss,
    CTCLoss)

__all__ = [_n for _n, _v in list(globals().items()) if isinstance(_v, type) and not _n.startswith("_")]
