"""DistributedSampler: this replica's share of the indices (PyTorch's split)."""
import math

import ctorch
from ctorch.utils.data.sampler import Sampler


def _dist_world():
    """(world_size, rank) of an initialized ctorch.distributed, or None."""
    try:
        import ctorch.distributed as dist
    except ImportError:
        return None
    if not (getattr(dist, 'is_available', lambda: False)() and
            getattr(dist, 'is_initialized', lambda: False)()):
        return None
    return dist.get_world_size(), dist.get_rank()


class DistributedSampler(Sampler):
    """Indices rank, rank + num_replicas, ... of a (shuffled with seed + epoch)
    order padded to a multiple of num_replicas (or cut, with drop_last)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            world = _dist_world()
            if world is None:
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = world[0]
            if rank is None:
                rank = world[1]
        if rank >= num_replicas or rank < 0:
            raise ValueError("Invalid rank {}, rank should be in the interval"
                             " [0, {}]".format(rank, num_replicas - 1))
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            g = ctorch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = ctorch.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        indices = indices[self.rank:self.total_size:self.num_replicas]
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """A new shuffle per epoch: call before each epoch's iteration."""
        self.epoch = epoch
