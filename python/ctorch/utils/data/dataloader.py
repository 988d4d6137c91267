"""DataLoader with torch.utils.data.DataLoader's arguments and batch order.

Workers are threads, not processes. Why:
- C-backed datasets (TensorDataset of ctorch tensors, ctorch.vision datasets
  whose transforms are C transforms) are loaded by the C DataLoader
  (_C._CLoader): reading, transforming and collating run in C worker threads
  that never take the GIL, so N threads scale like N processes, with no
  pickling and no copies between processes.
- For datasets written in Python, forking a process that runs OpenMP and
  OpenBLAS thread pools (and may hold allocator or generator locks in other
  threads) can deadlock the child; spawning re-imports everything per worker
  and every batch would cross a pipe as pickled NumPy. Threads have none of
  these failure modes; ctorch's kernels release the GIL on large tensors, so
  decoding/augmenting in C overlaps with Python. A Python __getitem__ that is
  pure-Python CPU work does not run in parallel (the GIL): such a loader is
  correct with any num_workers but no faster than num_workers=0.
- Consequences: worker_init_fn runs in each worker thread; get_worker_info()
  is per thread (id, num_workers, seed = base_seed + id as in PyTorch,
  dataset = the same object); each worker thread has its own `random`,
  ctorch default generator and NumPy global RNG, seeded as PyTorch seeds
  its worker processes (see _worker.py), so the main thread's streams are
  untouched and an epoch is reproducible from the loader's generator;
  multiprocessing_context is accepted for compatibility and not used.

The batch order equals PyTorch's for the same generator state: the iterator
draws its base seed and the sampler's indices with the same calls, and
batches come back in sampler order whichever worker made them (map-style),
or round-robin over the workers (IterableDataset), as in PyTorch.
"""
import itertools
import queue
import threading
import warnings

import ctorch
from ctorch.utils.data import _worker
from ctorch.utils.data._collate import default_collate, default_convert
from ctorch.utils.data._pin_memory import pin_memory as _pin
from ctorch.utils.data.dataset import IterableDataset, Subset
from ctorch.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        return _worker.create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)


class _InfiniteConstantSampler:
    def __iter__(self):
        while True:
            yield None


def _c_source(dataset):
    """(C dataset, index map or None) when the items of dataset can be read by
    the C loader, else None. Subsets of such datasets map their indices."""
    mapping = None
    while isinstance(dataset, Subset):
        idx = list(dataset.indices)
        mapping = idx if mapping is None else [idx[i] for i in mapping]
        dataset = dataset.dataset
    get = getattr(dataset, '_c_dataset', None)
    if get is None:
        return None
    cds = get()
    return None if cds is None else (cds, mapping)


class DataLoader:
    """Combines a dataset and a sampler into an iterable of batches."""
    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=2, persistent_workers=False, pin_memory_device=""):
        if num_workers < 0:
            raise ValueError('num_workers option should be non-negative; '
                             'use num_workers=0 to disable multiprocessing.')
        if timeout < 0:
            raise ValueError('timeout option should be non-negative')
        if num_workers == 0 and prefetch_factor != 2:
            raise ValueError('prefetch_factor option could only be specified in multiprocessing.'
                             'let num_workers > 0 to enable multiprocessing.')
        assert prefetch_factor > 0
        if persistent_workers and num_workers == 0:
            raise ValueError('persistent_workers option needs num_workers > 0')
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(('multiprocessing_context can only be used with '
                              'multi-process loading (num_workers > 0), but got '
                              'num_workers={}').format(num_workers))
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "shuffle option, but got shuffle={}".format(shuffle))
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "sampler option, but got sampler={}".format(sampler))
            elif batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "batch_sampler option, but got batch_sampler={}".format(
                                     batch_sampler))
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError('sampler option is mutually exclusive with shuffle')
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError('batch_sampler option is mutually exclusive '
                                 'with batch_size, shuffle, sampler, and drop_last')
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError('batch_size=None option disables auto-batching '
                                 'and is mutually exclusive with drop_last')
        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        # the C loader batches sampler's indices itself only for this BatchSampler
        self._own_batch_sampler = batch_size is not None and batch_sampler is None
        if self._own_batch_sampler:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self._default_collate = collate_fn is None or collate_fn is default_collate
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ('batch_size', 'batch_sampler', 'sampler', 'drop_last',
                                           'dataset', 'persistent_workers'):
            raise ValueError('{} attribute should not be set after {} is '
                             'initialized'.format(attr, self.__class__.__name__))
        super().__setattr__(attr, val)

    def _c_plan(self):
        """(C dataset, index map) when this loader's batches can be made by the
        C loader: map-style C-backed dataset, the default BatchSampler and
        collate_fn, no worker_init_fn. Else None."""
        if (self._dataset_kind != _DatasetKind.Map or not self._own_batch_sampler or
                not self._default_collate or self.worker_init_fn is not None):
            return None
        # asked per iterator: a dataset's transform may change between epochs
        return _c_source(self.dataset)

    def _get_iterator(self):
        plan = self._c_plan()
        if plan is not None:
            return _CLoaderIter(self, *plan)
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _ThreadedDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                from math import ceil
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        # PyTorch 1.13: pin_memory=True without CUDA silently gives ordinary
        # memory; with a pin_memory_device, pinning is asked for regardless
        # (and fails without CUDA when the first batch is pinned)
        if len(loader.pin_memory_device) == 0:
            self._pin_memory = loader.pin_memory and ctorch.cuda.is_available()
            self._pin_memory_device = None
        else:
            if not loader.pin_memory:
                warnings.warn("pin memory device is set and pin_memory flag is not used then device "
                              "pinned memory won't be usedplease set pin_memory to true, if you need "
                              "to use the device pin memory")
            self._pin_memory = loader.pin_memory
            self._pin_memory_device = loader.pin_memory_device
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = ctorch.empty((), dtype=ctorch.int64).random_(
            generator=loader.generator).item()
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if self._dataset_kind == _DatasetKind.Iterable and \
                self._IterableDataset_len_called is not None and \
                self._num_yielded > self._IterableDataset_len_called:
            warnings.warn("Length of IterableDataset {} was reported to be {} (when accessing "
                          "len(dataloader)), but {} samples have been fetched. ".format(
                              self._dataset, self._IterableDataset_len_called,
                              self._num_yielded))
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError("{} cannot be pickled".format(self.__class__.__name__))


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._dataset_fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
            self._drop_last)

    def _next_data(self):
        index = self._next_index()
        data = self._dataset_fetcher.fetch(index)
        if self._pin_memory:
            data = _pin(data, self._pin_memory_device)
        return data


class _CLoaderIter(_BaseDataLoaderIter):
    """One epoch made by the C DataLoader: the sampler's indices are drawn here
    (PyTorch's order), the C worker threads read, transform and collate
    without the GIL. Batches are lists of tensors, as default_collate makes
    of tuple items."""

    _c = None

    def __init__(self, loader, cds, mapping):
        super().__init__(loader)
        self._cds = cds
        self._mapping = mapping
        self._batch_size = loader.batch_size
        self._sampler = loader.sampler
        self._c = None  # started by the first next(), when PyTorch's sampler draws
        self._epoch = 0

    def _start(self):
        # the sampler's own types draw their epoch as a tensor (the same
        # generator calls as iterating them), read by the C loader without
        # a Python int per index
        sampler = self._sampler
        if self._mapping is None and type(sampler) in (RandomSampler, SequentialSampler):
            indices = sampler._index_tensor()
        else:
            indices = list(sampler)
        if self._mapping is not None:
            m = self._mapping
            indices = [m[i] for i in indices]
        # random C transforms: batch k of epoch e draws from a generator seeded
        # from (base seed, e, k), whatever the number of workers
        seed = (self._base_seed + self._epoch * 0x9E3779B97F4A7C15) % (1 << 64)
        self._epoch += 1
        # the C workers pin (pin_memory and CUDA available); with a
        # pin_memory_device, __next__ pins as PyTorch would, failing without CUDA
        self._c = ctorch._C._CLoader(self._cds, indices, self._batch_size, self._drop_last,
                                     self._num_workers, self._prefetch_factor, seed,
                                     self._pin_memory and self._pin_memory_device is None)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        if self._c is not None:
            self._c.close()
        self._c = None

    def _next_data(self):
        if self._c is None:
            self._start()
        data = list(next(self._c))
        if self._pin_memory and self._pin_memory_device is not None:
            data = _pin(data, self._pin_memory_device)
        return data

    def __next__(self):  # _BaseDataLoaderIter.__next__ for a map-style dataset
        data = self._next_data()
        self._num_yielded += 1
        return data

    def _shutdown_workers(self):
        if self._c is not None:
            self._c.close()

    def __del__(self):
        self._shutdown_workers()


class _ThreadedDataLoaderIter(_BaseDataLoaderIter):
    """Worker threads fed through one index queue each, results through one
    data queue, reordered here (torch's _MultiProcessingDataLoaderIter)."""

    _STATUS_INTERVAL = 5.0
    _shutdown = True
    _workers = None

    def __init__(self, loader):
        super().__init__(loader)
        self._worker_init_fn = loader.worker_init_fn
        self._worker_result_queue = queue.Queue()
        self._workers_done_event = threading.Event()
        self._index_queues = []
        self._workers = []
        for i in range(self._num_workers):
            index_queue = queue.Queue()
            w = threading.Thread(
                target=_worker.worker_loop, name="DataLoader worker {}".format(i), daemon=True,
                args=(self._dataset_kind, self._dataset, index_queue, self._worker_result_queue,
                      self._workers_done_event, self._auto_collation, self._collate_fn,
                      self._drop_last, self._base_seed, self._worker_init_fn, i,
                      self._num_workers))
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._data_queue = self._worker_result_queue
        self._shutdown = False
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info = {}
        self._tasks_outstanding = 0
        self._workers_status = [True for _ in range(self._num_workers)]
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for idx in range(self._num_workers):
                self._index_queues[idx].put(_worker._ResumeIteration())
            resume_iteration_cnt = self._num_workers
            while resume_iteration_cnt > 0:
                return_idx, _ = self._get_data()
                if isinstance(return_idx, _worker._ResumeIteration):
                    resume_iteration_cnt -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _get_data(self):
        """The next (task, data) from any worker; raises if a worker died or
        the timeout passed."""
        if self._timeout > 0:
            try:
                return self._data_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError('DataLoader timed out after {} seconds'.format(
                    self._timeout)) from None
        while True:
            try:
                return self._data_queue.get(timeout=self._STATUS_INTERVAL)
            except queue.Empty:
                failed = [str(i) for i, w in enumerate(self._workers)
                          if self._workers_status[i] and not w.is_alive()]
                if failed:
                    raise RuntimeError('DataLoader worker (thread(s) {}) exited '
                                       'unexpectedly'.format(', '.join(failed))) from None

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                worker_id = info[0]
                if len(info) == 2 or self._workers_status[worker_id]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                return self._process_data(data)
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._dataset_kind == _DatasetKind.Iterable and \
                    isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process_data(data)

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_queue_idx = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_queue_idx]:
                break
        else:
            return
        self._index_queues[worker_queue_idx].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_queue_idx,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        if self._pin_memory:
            data = _pin(data, self._pin_memory_device)
        return data

    def _mark_worker_as_unavailable(self, worker_id):
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self):
        """Stops the workers (each finishes the item it reads) and joins them."""
        if self._shutdown:
            return
        self._shutdown = True
        self._workers_done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=self._STATUS_INTERVAL)
        self._workers_status = [False] * self._num_workers
        # drop batches still queued (they hold tensors)
        while True:
            try:
                self._data_queue.get_nowait()
            except queue.Empty:
                break

    def __del__(self):
        self._shutdown_workers()
