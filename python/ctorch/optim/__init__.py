"""ctorch.optim: PyTorch 1.13's optimizers and learning-rate schedulers.

Each optimizer keeps param_groups and per-parameter state in Python, with
PyTorch's keys, and runs its update as one fused C loop per parameter
(src/optim/update.c through ctorch._C._<algo>_update)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .adagrad import Adagrad
from .rmsprop import RMSprop
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .lbfgs import LBFGS
from . import lr_scheduler

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop', 'Adadelta',
           'Adamax', 'NAdam', 'RAdam', 'LBFGS', 'lr_scheduler']
