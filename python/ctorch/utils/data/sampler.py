"""Samplers: the order of a map-style dataset's indices, drawn exactly as
torch.utils.data.sampler draws them (same torch calls on a generator that is
PyTorch's mt19937), so a generator seeded alike gives PyTorch's order."""
import ctorch


class Sampler:
    """Base class: __iter__ yields indices (or lists of indices), __len__ optional.
    Sampler[int] is Sampler (the typing form of torch's Generic classes)."""

    def __class_getitem__(cls, item):
        return cls

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def _index_tensor(self):
        """list(iter(self)) as an int64 tensor (for the C DataLoader)."""
        return ctorch.arange(len(self.data_source), dtype=ctorch.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A permutation per epoch, or num_samples draws with replacement. Without
    a generator, each epoch seeds a fresh generator from the default one."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            "replacement={}".format(self.replacement))
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer "
                             "value, but got num_samples={}".format(self.num_samples))

    @property
    def num_samples(self):
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.generator is None:
            seed = int(ctorch.empty((), dtype=ctorch.int64).random_().item())
            generator = ctorch.Generator()
            generator.manual_seed(seed)
        else:
            generator = self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from ctorch.randint(high=n, size=(32,), dtype=ctorch.int64,
                                          generator=generator).tolist()
            yield from ctorch.randint(high=n, size=(self.num_samples % 32,), dtype=ctorch.int64,
                                      generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from ctorch.randperm(n, generator=generator).tolist()
            yield from ctorch.randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples

    def _index_tensor(self):
        """list(iter(self)) as an int64 tensor, drawn with the same calls on
        the same generator (for the C DataLoader)."""
        n = len(self.data_source)
        if self.generator is None:
            seed = int(ctorch.empty((), dtype=ctorch.int64).random_().item())
            generator = ctorch.Generator()
            generator.manual_seed(seed)
        else:
            generator = self.generator
        if self.replacement:
            parts = [ctorch.randint(high=n, size=(32,), dtype=ctorch.int64, generator=generator)
                     for _ in range(self.num_samples // 32)]
            parts.append(ctorch.randint(high=n, size=(self.num_samples % 32,), dtype=ctorch.int64,
                                        generator=generator))
        else:
            parts = [ctorch.randperm(n, generator=generator) for _ in range(self.num_samples // n)]
            parts.append(ctorch.randperm(n, generator=generator)[:self.num_samples % n])
        return parts[0] if len(parts) == 1 else ctorch.cat(parts)


class SubsetRandomSampler(Sampler):
    """The given indices in a random order per epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in ctorch.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices of [0, len(weights)) drawn with probabilities
    proportional to weights (torch.multinomial)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or \
                num_samples <= 0:
            raise ValueError("num_samples should be a positive integer "
                             "value, but got num_samples={}".format(num_samples))
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             "replacement={}".format(replacement))
        weights_tensor = ctorch.as_tensor(weights, dtype=ctorch.double)
        if len(weights_tensor.shape) != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             "weights have shape {}".format(tuple(weights_tensor.shape)))
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        rand_tensor = ctorch.multinomial(self.weights, self.num_samples, self.replacement,
                                         generator=self.generator)
        yield from iter(rand_tensor.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of batch_size indices from sampler (the last one shorter, or
    dropped with drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or \
                batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, "
                             "but got batch_size={}".format(batch_size))
        if not isinstance(drop_last, bool):
            raise ValueError("drop_last should be a boolean value, but got "
                             "drop_last={}".format(drop_last))
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        if self.drop_last:
            sampler_iter = iter(self.sampler)
            while True:
                try:
                    batch = [next(sampler_iter) for _ in range(self.batch_size)]
                    yield batch
                except StopIteration:
                    break
        else:
            batch = []
            for idx in self.sampler:
                batch.append(idx)
                if len(batch) == self.batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
