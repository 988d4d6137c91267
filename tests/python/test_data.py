"""ctorch.utils.data against torch.utils.data (Debian's torch 1.13): same
batch order for the same seed, same collation, every item once per epoch for
any num_workers, early exit and worker errors handled."""
import collections
import gc
import threading
import time
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ctorch
import ctorch.utils.data as cud


def to_py(x):
    """Nested batches as plain Python values, with dtype names of tensors."""
    if isinstance(x, (torch.Tensor, ctorch.Tensor)):
        return ("tensor", str(x.dtype), list(x.shape), x.tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(to_py(v) for v in x)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [to_py(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: to_py(v) for k, v in x.items()})
    return x


def items_of(lib, n=23):
    class DS(lib.utils.data.Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            return {"x": lib.full((2,), float(i)), "i": i, "s": "s%d" % i}
    return DS()


# ---------------------------------------------------------------- samplers and splits
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_random_sampler_matches_torch(seed):
    for kw in [{}, {"replacement": True}, {"replacement": True, "num_samples": 70},
               {"num_samples": 45}]:
        gt, gc_ = torch.Generator().manual_seed(seed), ctorch.Generator().manual_seed(seed)
        a = list(tud.RandomSampler(range(20), generator=gt, **kw))
        b = list(cud.RandomSampler(range(20), generator=gc_, **kw))
        assert a == b, kw
    torch.manual_seed(seed)
    ctorch.manual_seed(seed)  # no generator: seeded from the default generator
    assert list(tud.RandomSampler(range(9))) == list(cud.RandomSampler(range(9)))


def test_other_samplers_match_torch():
    gt, gc_ = torch.Generator().manual_seed(3), ctorch.Generator().manual_seed(3)
    idx = [5, 9, 11, 2, 40]
    assert list(tud.SubsetRandomSampler(idx, gt)) == list(cud.SubsetRandomSampler(idx, gc_))
    w = [0.1, 0.0, 2.0, 1.0, 0.5]
    assert list(tud.WeightedRandomSampler(w, 12, generator=gt)) == \
        list(cud.WeightedRandomSampler(w, 12, generator=gc_))
    for dl in (False, True):
        assert list(tud.BatchSampler(range(10), 3, dl)) == list(cud.BatchSampler(range(10), 3, dl))
        assert len(tud.BatchSampler(range(10), 3, dl)) == len(cud.BatchSampler(range(10), 3, dl))
    for kw in [dict(num_replicas=3, rank=1), dict(num_replicas=4, rank=3, shuffle=False),
               dict(num_replicas=3, rank=2, drop_last=True, seed=5)]:
        a, b = tud.DistributedSampler(range(10), **kw), cud.DistributedSampler(range(10), **kw)
        a.set_epoch(2)
        b.set_epoch(2)
        assert list(a) == list(b) and len(a) == len(b)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        cud.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        cud.BatchSampler(range(3), 0, False)


def test_random_split_matches_torch():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [1, 1, 8]):
        a = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(42))
        b = cud.random_split(range(10), lengths, generator=ctorch.Generator().manual_seed(42))
        assert [list(s) for s in a] == [list(s) for s in b]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        cud.random_split(range(10), [3, 3])


def test_concat_subset_tensor_dataset():
    x = ctorch.arange(12).reshape(6, 2)
    ds = cud.TensorDataset(x, ctorch.arange(6))
    assert len(ds) == 6 and ds[2][0].tolist() == [4, 5] and ds[-1][1].item() == 5
    cat = cud.ConcatDataset([range(3), range(10, 14)])
    assert [cat[i] for i in range(len(cat))] == [0, 1, 2, 10, 11, 12, 13] and cat[-1] == 13
    assert cat.cumulative_sizes == tud.ConcatDataset([range(3), range(10, 14)]).cumulative_sizes
    sub = cud.Subset(range(10, 20), [4, 1])
    assert list(sub) == [14, 11] and len(sub) == 2
    with pytest.raises(AssertionError, match="Size mismatch"):
        cud.TensorDataset(ctorch.zeros(3), ctorch.zeros(4))


# ---------------------------------------------------------------- collation
def test_default_collate_matches_torch():
    Point = collections.namedtuple("Point", "x y")
    batches = [
        lambda m: [m.tensor([1, 2]), m.tensor([3, 4])],
        lambda m: [1, 2, 3],
        lambda m: [1.5, 2.0],
        lambda m: [True, False],
        lambda m: ["a", "b"],
        lambda m: [(m.tensor(1.0), 2), (m.tensor(3.0), 4)],
        lambda m: [[1, "x"], [2, "y"]],
        lambda m: [{"a": 1, "b": m.zeros(2)}, {"a": 2, "b": m.ones(2)}],
        lambda m: [Point(1, 2.5), Point(3, 4.5)],
        lambda m: [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)],
        lambda m: [np.int32(3), np.int32(4)],
        lambda m: [np.float64(1.5), np.float64(2.5)],
        lambda m: [{"n": [np.zeros((2, 2), np.uint8)]}, {"n": [np.ones((2, 2), np.uint8)]}],
    ]
    for f in batches:
        assert to_py(cud.default_collate(f(ctorch))) == to_py(tud.default_collate(f(torch)))
    for f in [lambda m: (np.arange(3), 2), lambda m: {"a": np.ones(2)}, lambda m: [1, 2],
              lambda m: Point(np.zeros(1), 1)]:
        assert to_py(cud.default_convert(f(ctorch))) == to_py(tud.default_convert(f(torch)))
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        cud.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        cud.default_collate([[1, 2], [1]])


# ---------------------------------------------------------------- DataLoader order
@pytest.mark.parametrize("nw", [0, 1, 2])
def test_loader_order_matches_torch(nw):
    for kw in [dict(batch_size=4, shuffle=True), dict(batch_size=5, shuffle=True, drop_last=True),
               dict(batch_size=3), dict(batch_size=None),
               dict(batch_size=2, sampler=[3, 1, 4, 1, 5]),
               dict(batch_sampler=[[0, 1], [5], [2, 3, 4]])]:
        # torch's order does not depend on num_workers (its workers are slow to start)
        a = tud.DataLoader(items_of(torch), generator=torch.Generator().manual_seed(11), **kw)
        b = cud.DataLoader(items_of(ctorch), generator=ctorch.Generator().manual_seed(11),
                           num_workers=nw, **kw)
        assert len(a) == len(b)
        for _ in range(2):  # two epochs: the generator moves on the same way
            assert [to_py(x) for x in a] == [to_py(x) for x in b], kw


@pytest.mark.parametrize("nw", [0, 1, 2])
def test_c_loader_order_matches_torch(nw):
    """TensorDataset of ctorch tensors goes through the C loader; same batches."""
    x = np.arange(2 * 37, dtype=np.float32).reshape(37, 2)
    y = np.arange(37)
    for kw in [dict(batch_size=8, shuffle=True), dict(batch_size=8, drop_last=True),
               dict(batch_size=6, shuffle=True, drop_last=True)]:
        a = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                           generator=torch.Generator().manual_seed(5), **kw)
        b = cud.DataLoader(cud.TensorDataset(ctorch.from_numpy(x), ctorch.from_numpy(y)),
                           generator=ctorch.Generator().manual_seed(5), num_workers=nw, **kw)
        for _ in range(2):
            it = iter(b)
            assert type(it).__name__ == "_CLoaderIter"
            assert [to_py(t) for t in a] == [to_py(t) for t in it]
    # a Subset of a TensorDataset also goes through the C loader
    b = cud.DataLoader(cud.Subset(cud.TensorDataset(ctorch.from_numpy(y)), [7, 3, 30]),
                       batch_size=2, num_workers=nw)
    assert type(iter(b)).__name__ == "_CLoaderIter"
    assert [t[0].tolist() for t in b] == [[7, 3], [30]]


def test_default_generator_order_matches_torch():
    torch.manual_seed(99)
    ctorch.manual_seed(99)
    a = tud.DataLoader(items_of(torch), batch_size=5, shuffle=True)
    b = cud.DataLoader(items_of(ctorch), batch_size=5, shuffle=True)
    for _ in range(2):
        assert [to_py(x) for x in a] == [to_py(x) for x in b]


@pytest.mark.parametrize("nw", [0, 1, 2])
def test_every_item_once(nw):
    n = 101
    seen = []
    lock = threading.Lock()

    class DS(cud.Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            with lock:
                seen.append(i)
            return i

    dl = cud.DataLoader(DS(), batch_size=7, shuffle=True, num_workers=nw, persistent_workers=nw > 0)
    for epoch in range(3):
        seen.clear()
        out = [v for b in dl for v in b.tolist()]
        assert sorted(out) == list(range(n)) and sorted(seen) == list(range(n))


class Stream(cud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = cud.get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(lo, self.n, step))


class TStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tud.get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(lo, self.n, step))


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize("nw", [0, 2, 3])
def test_iterable_dataset_matches_torch(nw):
    kws = [dict(batch_size=4, drop_last=nw % 2 == 1)] + ([dict(batch_size=None)] if nw == 2 else [])
    for kw in kws:
        a = [to_py(x) for x in tud.DataLoader(TStream(19), num_workers=nw, **kw)]
        b = [to_py(x) for x in cud.DataLoader(Stream(19), num_workers=nw, **kw)]
        assert a == b, kw


def test_worker_info_and_init_fn():
    ids = []

    def init(i):
        ids.append((i, cud.get_worker_info().id, cud.get_worker_info().num_workers))

    class DS(cud.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return cud.get_worker_info().seed

    g = ctorch.Generator().manual_seed(4)
    seeds = [b.tolist() for b in cud.DataLoader(DS(), batch_size=1, num_workers=2,
                                                worker_init_fn=init, generator=g)]
    base = torch.empty((), dtype=torch.int64).random_(generator=torch.Generator().manual_seed(4)).item()
    assert sorted(ids) == [(0, 0, 2), (1, 1, 2)]
    assert seeds == [[base + (k % 2)] for k in range(8)]  # batch k was made by worker k % 2
    assert cud.get_worker_info() is None


def rand_items(lib, lib_data, n=8):
    """Items drawing from Python's random, NumPy's global RNG and the
    library's default generator, with the worker's info."""
    import random

    class DS(lib_data.Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            info = lib_data.get_worker_info()
            assert info.dataset is self
            return [i, info.id, info.num_workers, info.seed, random.random(), random.randint(0, 1 << 30),
                    float(np.random.rand()), float(lib.rand(()))]
    return DS()


def run_rand(lib, lib_data, seed, nw=2, **kw):
    g = lib.Generator().manual_seed(seed)
    return [[v.tolist() for v in b] for b in lib_data.DataLoader(
        rand_items(lib, lib_data), batch_size=2, num_workers=nw, generator=g, **kw)]


def test_workers_seed_random_numpy_and_generator_like_torch():
    """Worker k seeds random and the default generator with base_seed + k
    and NumPy with PyTorch's _generate_state: the same draws as PyTorch's
    worker processes for the same loader generator."""
    want = run_rand(torch, tud, 11)
    got = run_rand(ctorch, cud, 11)
    assert len(got) == 4
    for bw, bg in zip(want, got):
        assert bg[:6] == bw[:6]  # index, id, num_workers, seed, random.random, randint
        assert np.allclose(bg[6], bw[6], rtol=0, atol=0) and np.allclose(bg[7], bw[7], rtol=1e-7)
    # batch k is made by worker k % 2: the two workers draw different numbers
    assert got[0][4] != got[1][4] and got[0][7] != got[1][7]
    assert got[0][1] == [0, 0] and got[1][1] == [1, 1]


def test_worker_seeding_reproduces_epochs_and_leaves_main_thread_rngs():
    import random
    ctorch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    before = (ctorch.rand(3).tolist(), random.random(), np.random.rand())
    a = run_rand(ctorch, cud, 5, persistent_workers=True)
    b = run_rand(ctorch, cud, 5)
    c = run_rand(ctorch, cud, 6)
    assert a == b and a != c
    ctorch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    # workers drew from their own RNGs, and seeding them did not reset ours
    assert (ctorch.rand(3).tolist(), random.random(), np.random.rand()) == before
    # main thread: plain functions again, and no worker info
    assert cud.get_worker_info() is None


def test_worker_init_fn_seeds_only_its_worker():
    """np.random.seed / ctorch.manual_seed / random.seed in worker_init_fn
    (the usual idiom) seed that worker's RNGs."""
    import random

    def init(i):
        random.seed(100)
        np.random.seed(100)
        ctorch.manual_seed(100)

    random.seed(3)
    r0 = random.random()
    random.seed(3)
    got = run_rand(ctorch, cud, 5, worker_init_fn=init)
    assert random.random() == r0
    random.seed(100)
    np.random.seed(100)
    ctorch.manual_seed(100)
    first = [random.random(), random.randint(0, 1 << 30), float(np.random.rand()), float(ctorch.rand(()))]
    for b in got[:2]:  # each worker's first item
        assert [b[4][0], b[5][0]] == first[:2]
        assert b[6][0] == first[2] and abs(b[7][0] - first[3]) < 1e-7


# ---------------------------------------------------------------- errors and shutdown
@pytest.mark.parametrize("nw", [0, 1, 2])
def test_worker_error_names_item(nw):
    class Bad(cud.Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            if i == 13:
                raise KeyError("broken item")
            return i

    with pytest.raises(KeyError) as e:
        list(cud.DataLoader(Bad(), batch_size=4, num_workers=nw))
    if nw:
        assert "dataset item 13" in str(e.value) and "broken item" in str(e.value)
    # the C loader names the item too
    t = ctorch.zeros(5, 2)
    ds = cud.TensorDataset(t)
    dl = cud.DataLoader(ds, batch_size=2, sampler=[0, 1, 9], num_workers=nw)
    with pytest.raises(IndexError, match="index 9"):
        list(dl)


def _threads():
    return {t for t in threading.enumerate()
            if t.name.startswith("DataLoader worker") and t.is_alive()}


@pytest.mark.parametrize("nw", [1, 2])
def test_early_break_stops_workers(nw):
    before = _threads()

    class Slow(cud.Dataset):
        def __len__(self):
            return 1000

        def __getitem__(self, i):
            time.sleep(0.001)
            return i

    t0 = time.time()
    for k, b in enumerate(cud.DataLoader(Slow(), batch_size=2, num_workers=nw)):
        if k == 3:
            break
    gc.collect()
    assert not (_threads() - before)
    # C loader: break early, then iterate again, no hang
    ds = cud.TensorDataset(ctorch.arange(3000).float())
    dl = cud.DataLoader(ds, batch_size=10, num_workers=nw)
    for k, b in enumerate(dl):
        if k == 2:
            break
    assert sum(len(b[0]) for b in dl) == 3000
    assert time.time() - t0 < 10


def test_timeout_and_argument_errors():
    class Hang(cud.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(0.4)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.1 seconds"):
        next(iter(cud.DataLoader(Hang(), num_workers=1, timeout=0.1)))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        cud.DataLoader(range(3), num_workers=-1)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        cud.DataLoader(range(3), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        cud.DataLoader(range(3), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        cud.DataLoader(range(3), persistent_workers=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        cud.DataLoader(Stream(3), shuffle=True)
    dl = cud.DataLoader(range(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        dl.batch_size = 2


def test_module_names_like_torch():
    from ctorch.utils.data._utils.collate import default_collate
    from ctorch.utils.data.dataloader import default_collate as dc2
    assert default_collate is dc2 is cud.default_collate
    assert ctorch.utils.data.get_worker_info() is None


def test_persistent_workers_order_matches_torch():
    """Persistent workers: the base seed is drawn once, so later epochs'
    orders differ from fresh iterators; both loader paths follow torch."""
    y = np.arange(13)
    a = tud.DataLoader(tud.TensorDataset(torch.from_numpy(y)), batch_size=4, shuffle=True,
                       num_workers=1, persistent_workers=True,
                       generator=torch.Generator().manual_seed(8))
    want = [[t[0].tolist() for t in a] for _ in range(3)]
    for ds in (cud.TensorDataset(ctorch.from_numpy(y)), items_of(ctorch, 13)):
        b = cud.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, persistent_workers=True,
                           generator=ctorch.Generator().manual_seed(8), pin_memory=True)
        key = (lambda t: t[0].tolist()) if isinstance(ds, cud.TensorDataset) else \
            (lambda t: t["i"].tolist())
        assert [[key(t) for t in b] for _ in range(3)] == want


@pytest.mark.parametrize("workers", [0, 2])
def test_pin_memory_true_follows_torch(workers):
    """pin_memory=True: pinned batches where CUDA is available; elsewhere
    ordinary batches, silently (no warning), as Debian's torch 1.13 gives.
    Batches equal those of pin_memory=False, on the C and Python paths."""
    y = np.arange(11)
    t = next(iter(tud.DataLoader(tud.TensorDataset(torch.from_numpy(y)), batch_size=4,
                                 pin_memory=True)))
    assert t[0].is_pinned() == torch.cuda.is_available()
    pinned = ctorch.cuda.is_available()
    for make in (lambda: cud.TensorDataset(ctorch.from_numpy(y)), lambda: items_of(ctorch, 11)):
        got = {}
        for pin in (False, True):
            dl = cud.DataLoader(make(), batch_size=4, num_workers=workers, pin_memory=pin)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                batches = list(dl)
            for b in batches:
                for v in (b if isinstance(b, list) else b.values()):
                    if isinstance(v, ctorch.Tensor):
                        assert v.is_pinned() == (pin and pinned)
            got[pin] = [to_py(b) for b in batches]
        assert got[True] == got[False] and len(got[True]) == 3


def test_pin_memory_device():
    """pin_memory_device: a warning without pin_memory (torch's words);
    with it, pinning is asked for whatever is_available() says, so without
    CUDA the first batch raises, as in torch."""
    for lib, tl in ((torch, tud), (ctorch, cud)):
        ds = tl.TensorDataset(lib.arange(5))
        with pytest.warns(UserWarning, match="pin memory device is set and pin_memory flag is not used"):
            b = next(iter(tl.DataLoader(ds, batch_size=2, pin_memory_device="cuda")))
        assert not b[0].is_pinned()
        if not lib.cuda.is_available():
            with pytest.raises((RuntimeError, NotImplementedError)):
                next(iter(tl.DataLoader(ds, batch_size=2, pin_memory=True, pin_memory_device="cuda")))


def test_pin_memory_function_keeps_structure_like_torch():
    """_utils.pin_memory.pin_memory walks a batch as torch's does (tuples
    become lists, named tuples, mappings and strings kept), calling
    pin_memory() on what has one."""
    from torch.utils.data._utils.pin_memory import pin_memory as tpin
    from ctorch.utils.data._utils.pin_memory import pin_memory as cpin

    class P:
        def __init__(self, v):
            self.v = v

        def pin_memory(self, *a):
            return ("pinned", self.v)

    NT = collections.namedtuple("NT", "a b")
    batch = {"t": (P(1), [P(2), "s"]), "n": NT(P(3), 4), "o": collections.OrderedDict(k=P(5))}
    assert to_py(cpin(batch)) == to_py(tpin(batch))
    assert type(cpin(batch)["o"]) is collections.OrderedDict and type(cpin(batch)["n"]) is NT


@pytest.mark.parametrize("kw", [{}, {"num_samples": 25}, {"num_samples": 7},
                                {"replacement": True, "num_samples": 70}, {"replacement": True}])
def test_random_sampler_index_tensor_draws_like_iterating(kw):
    """The C loader's sampler epoch as a tensor: the same indices as list()
    of the sampler, and the generator left in the same state."""
    for seeded in (True, False):
        gens, outs = [], []
        for way in (list, lambda s: s._index_tensor().tolist()):
            ctorch.manual_seed(3)
            g = ctorch.Generator().manual_seed(5) if seeded else None
            s = cud.RandomSampler(range(10), generator=g, **kw)
            outs.append(way(s))
            gens.append(ctorch.rand(3, generator=g).tolist())
        assert outs[0] == outs[1] and len(outs[0]) == kw.get("num_samples", 10)
        assert gens[0] == gens[1]
    s = cud.SequentialSampler(range(6))
    assert s._index_tensor().tolist() == list(s)
