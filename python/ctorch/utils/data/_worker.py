"""DataLoader worker threads: get_worker_info(), the fetchers and the loop a
worker runs (a port of torch.utils.data._utils.worker / fetch onto threads).

Seeding, as PyTorch's worker processes: worker `id` seeds Python's `random`
and ctorch's default generator with base_seed + id, and NumPy's legacy
global RNG (when NumPy is loaded) with PyTorch's _generate_state(base_seed,
id). Workers are threads, so these RNGs are made per thread instead of
re-seeding the process-wide ones (which would also reset the main thread's
and the other workers' streams): ctorch's worker gets its own default
generator in C (_C._worker_seed), and the module-level functions of `random`
and `numpy.random` (random.random, random.randint, np.random.rand, ...)
dispatch to an instance of the calling worker thread, or to the usual global
instance in any other thread. Functions bound before the first DataLoader
with workers started (`from random import random`) keep using the global
instance."""
import functools
import random
import sys
import threading
import traceback

import ctorch

_local = threading.local()
_patch_lock = threading.Lock()


def _dispatch(key, name, fallback):
    """A function calling method name of the current worker thread's
    instance (attribute key of _local), else fallback."""
    def f(*args, **kwargs):
        own = getattr(_local, key, None)
        return fallback(*args, **kwargs) if own is None else getattr(own, name)(*args, **kwargs)
    return functools.wraps(fallback)(f)


def _make_thread_local(module, inst, extra=()):
    """Replaces module's functions bound to its hidden global instance
    (random._inst, numpy.random.mtrand._rand), and the functions named in
    extra, by per-thread dispatchers, once."""
    with _patch_lock:
        if getattr(module, '_ctorch_thread_local', False):
            return
        for name in dir(module):
            f = getattr(module, name)
            if getattr(f, '__self__', None) is inst or name in extra:
                setattr(module, name, _dispatch(module.__name__, name, f))
        module._ctorch_thread_local = True


def _generate_state(base_seed, worker_id):
    """PyTorch's seed for numpy.random in worker worker_id (four uint32 from
    numpy's SeedSequence hashing of (worker_id, base_seed))."""
    INIT_A, MULT_A, INIT_B, MULT_B = 0x43b0d7e5, 0x931e8875, 0x8b51f9dd, 0x58f38ded
    MIX_MULT_L, MIX_MULT_R, XSHIFT, MASK32 = 0xca01f9dd, 0x4973f715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & MASK32, base_seed >> 32, 0]
    hash_const_a = INIT_A

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & MASK32
        hash_const_a = (hash_const_a * MULT_A) & MASK32
        value = (value * hash_const_a) & MASK32
        return (value ^ (value >> XSHIFT)) & MASK32

    def mix(x, y):
        r = ((MIX_MULT_L * x) & MASK32) - ((MIX_MULT_R * y) & MASK32)
        r &= MASK32
        return (r ^ (r >> XSHIFT)) & MASK32

    pool = [hash_(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = INIT_B
    state = []
    for v in pool:
        v = (v ^ hash_const_b) & MASK32
        hash_const_b = (hash_const_b * MULT_B) & MASK32
        v = (v * hash_const_b) & MASK32
        state.append((v ^ (v >> XSHIFT)) & MASK32)
    return state


def _seed_worker(base_seed, worker_id):
    """This worker thread's RNGs, seeded as PyTorch seeds a worker process;
    returns the seed (base_seed + worker_id)."""
    seed = base_seed + worker_id
    _make_thread_local(random, random._inst)
    own = random.Random()
    own.seed(seed)
    setattr(_local, random.__name__, own)
    ctorch._C._worker_seed(seed)
    np = sys.modules.get('numpy')
    if np is not None:
        # numpy.random.seed is a module function that reseeds the global instance
        _make_thread_local(np.random, np.random.mtrand._rand, ('seed',))
        setattr(_local, np.random.__name__, np.random.RandomState(_generate_state(base_seed, worker_id)))
    return seed


def _unseed_worker():
    for key in ('random', 'numpy.random'):
        if hasattr(_local, key):
            delattr(_local, key)
    ctorch._C._worker_seed(None)


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
    seed = _seed_worker(base_seed, worker_id)
    try:
        _local.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                 dataset=dataset)
        _loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
              drop_last, init_fn, worker_id)
    finally:
        _local.info = None
        _unseed_worker()


def _loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
          drop_last, init_fn, worker_id):
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
