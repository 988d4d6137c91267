"""ctorch.utils.data: datasets, samplers, collation and the DataLoader, with
torch.utils.data's names and semantics (PyTorch 1.13).

DataLoader workers are threads, not processes (see dataloader.py for why).
Datasets backed by C (TensorDataset of tensors, ctorch.vision's datasets with
C transforms) are loaded by the C DataLoader's worker threads, without the GIL.
"""
from ctorch.utils.data.dataset import (  # noqa: F401
    Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset, Subset, random_split)
from ctorch.utils.data.sampler import (  # noqa: F401
    Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
    BatchSampler)
from ctorch.utils.data.distributed import DistributedSampler  # noqa: F401
from ctorch.utils.data._collate import default_collate, default_convert  # noqa: F401
from ctorch.utils.data._worker import get_worker_info  # noqa: F401
from ctorch.utils.data.dataloader import DataLoader, _DatasetKind  # noqa: F401

__all__ = ['BatchSampler', 'ChainDataset', 'ConcatDataset', 'DataLoader', 'Dataset',
           'DistributedSampler', 'IterableDataset', 'RandomSampler', 'Sampler',
           'SequentialSampler', 'Subset', 'SubsetRandomSampler', 'TensorDataset',
           'WeightedRandomSampler', 'default_collate', 'default_convert', 'get_worker_info',
           'random_split']
