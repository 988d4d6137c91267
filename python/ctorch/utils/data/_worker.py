"""DataLoader worker threads: get_worker_info(), the fetchers and the loop a
worker runs (a port of torch.utils.data._utils.worker / fetch onto threads)."""
import sys
import threading
import traceback

_local = threading.local()


class WorkerInfo:
    """id, num_workers, seed (base_seed + id, PyTorch's value) and dataset
    (the loader's dataset object itself: thread workers share it)."""
    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError("Cannot assign attributes to {} objects".format(
                self.__class__.__name__))
        return super().__setattr__(key, val)

    def __repr__(self):
        return '{}({})'.format(self.__class__.__name__,
                               ', '.join('{}={}'.format(k, getattr(self, k)) for k in self.__keys))


def get_worker_info():
    """The WorkerInfo of the DataLoader worker thread calling it, None in any
    other thread."""
    return getattr(_local, 'info', None)


class ExceptionWrapper:
    """An exception caught in a worker, re-raised in the main thread with the
    worker and the item in its message (same type where it can be built
    from a message, as torch does), chained to the original."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc = exc_info[1]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = "Caught {} {}.\nOriginal {}".format(self.exc_type.__name__, self.where, self.exc_msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from self.exc
        raise exception from self.exc


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    pass


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.current = None  # the index being read (for error messages)

    def fetch(self, possibly_batched_index):
        if self.auto_collation:
            data = []
            for idx in possibly_batched_index:
                self.current = idx
                data.append(self.dataset[idx])
        else:
            self.current = possibly_batched_index
            data = self.dataset[possibly_batched_index]
        self.current = None
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False
        self.current = None

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _MapDatasetFetcher if kind == 0 else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def worker_loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                drop_last, base_seed, init_fn, worker_id, num_workers):
    """Runs in worker thread worker_id: reads (task, indices) from index_queue
    until None, puts (task, batch or ExceptionWrapper) into data_queue."""
    _local.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=base_seed + worker_id,
                             dataset=dataset)
    where = "in DataLoader worker thread {}".format(worker_id)
    init_exception = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_exception = ExceptionWrapper(where=where)
    iteration_end = False
    while True:
        r = index_queue.get()
        if r is None:
            break
        if isinstance(r, _ResumeIteration):
            data_queue.put((r, None))
            iteration_end = False
            try:
                fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
            except Exception:
                init_exception = ExceptionWrapper(where=where)
            continue
        if done_event.is_set() or iteration_end:
            continue
        idx, index = r
        if init_exception is not None:
            data, init_exception = init_exception, None
        else:
            try:
                data = fetcher.fetch(index)
            except Exception as e:
                if isinstance(e, StopIteration) and kind == 1:
                    data = _IterableDatasetStopIteration(worker_id)
                    iteration_end = True
                else:
                    item = getattr(fetcher, 'current', None)
                    w = where if item is None else "{} (dataset item {})".format(where, item)
                    data = ExceptionWrapper(where=w)
        data_queue.put((idx, data))
        del data, idx, index, r
