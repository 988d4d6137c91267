"""Each hand-written binding of a CUSTOM op, called the PyTorch way, against
Debian's torch: same values, dtypes, shapes, and return structure."""
import numpy as np
import pytest
import torch

import ctorch
from conftest import has_op

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4) % 7
B = np.array([[3.0, 1.0, 2.0], [0.5, 9.0, -1.0]], dtype=np.float32)
I = np.array([1, 3, 1, 0, 2, 3, 3], dtype=np.int64)


def mk(m):
    return m.tensor([[True, False, True], [False, True, True]])


def conv(mod, v):
    return mod.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v


def check(got, want):
    if isinstance(want, torch.Tensor):
        assert isinstance(got, ctorch.Tensor), type(got)
        assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        if hasattr(want, "_fields"):
            assert type(got).__name__ == type(want).__name__
            for f in want._fields:
                check(getattr(got, f), getattr(want, f))
        for g, w in zip(got, want):
            check(g, w)
    else:
        assert str(got) == str(want)


CASES = [
    ("cat", lambda m, a, b, i: m.cat([a[0], a[1]], dim=1)),
    ("cat", lambda m, a, b, i: m.cat((b, b))),
    ("stack", lambda m, a, b, i: m.stack([b, b], 1)),
    ("hstack", lambda m, a, b, i: m.hstack([b, b])),
    ("vstack", lambda m, a, b, i: m.vstack([b, b])),
    ("dstack", lambda m, a, b, i: m.dstack([b, b])),
    ("split", lambda m, a, b, i: a.split(2, dim=2)),
    ("split", lambda m, a, b, i: m.split(a, [1, 3], 2)),
    ("split_with_sizes", lambda m, a, b, i: a.split_with_sizes([1, 2], 1)),
    ("chunk", lambda m, a, b, i: a.chunk(3, -1)),
    ("unbind", lambda m, a, b, i: m.unbind(a, 1)),
    ("tensor_split", lambda m, a, b, i: a.tensor_split(3, dim=2)),
    ("tensor_split", lambda m, a, b, i: m.tensor_split(a, [1, 3], dim=2)),
    ("flip", lambda m, a, b, i: a.flip(0, 2)),
    ("flip", lambda m, a, b, i: m.flip(a, [1])),
    ("roll", lambda m, a, b, i: a.roll(1, 2)),
    ("roll", lambda m, a, b, i: m.roll(a, shifts=(1, -1), dims=(0, 2))),
    ("repeat", lambda m, a, b, i: b.repeat(2, 1, 2)),
    ("tile", lambda m, a, b, i: b.tile((2,))),
    ("repeat_interleave", lambda m, a, b, i: b.repeat_interleave(2, dim=0)),
    ("repeat_interleave", lambda m, a, b, i: m.repeat_interleave(b, 2)),
    ("tril", lambda m, a, b, i: a.tril(1)),
    ("triu", lambda m, a, b, i: m.triu(a, diagonal=-1)),
    ("broadcast_to", lambda m, a, b, i: b.broadcast_to((2, 2, 3))),
    ("meshgrid", lambda m, a, b, i: m.meshgrid(b[0], b[1], indexing="ij")),
    ("sort", lambda m, a, b, i: b.sort()),
    ("sort", lambda m, a, b, i: m.sort(b, dim=0, descending=True)),
    ("argsort", lambda m, a, b, i: b.argsort(dim=1, descending=True)),
    ("msort", lambda m, a, b, i: m.msort(b)),
    ("topk", lambda m, a, b, i: b.topk(2)),
    ("topk", lambda m, a, b, i: m.topk(b, 1, dim=0, largest=False)),
    ("kthvalue", lambda m, a, b, i: b.kthvalue(2, 1)),
    ("unique", lambda m, a, b, i: m.unique(i)),
    ("unique", lambda m, a, b, i: i.unique(return_inverse=True, return_counts=True)),
    ("unique_consecutive", lambda m, a, b, i: m.unique_consecutive(i, return_counts=True)),
    ("searchsorted", lambda m, a, b, i: m.searchsorted(m.tensor([1.0, 2.0, 5.0]), m.tensor([0.0, 2.0, 9.0]))),
    ("searchsorted", lambda m, a, b, i: m.searchsorted(m.tensor([1.0, 2.0, 5.0]), 2.0, right=True)),
    ("bincount", lambda m, a, b, i: i.bincount()),
    ("bincount", lambda m, a, b, i: m.bincount(i, minlength=6)),
    ("histc", lambda m, a, b, i: b.histc(bins=4, min=-1, max=9)),
    ("mm", lambda m, a, b, i: b.mm(b.t())),
    ("bmm", lambda m, a, b, i: m.bmm(a, a.transpose(1, 2))),
    ("mv", lambda m, a, b, i: b.mv(b[0])),
    ("dot", lambda m, a, b, i: m.dot(b[0], b[1])),
    ("vdot", lambda m, a, b, i: b[0].vdot(b[1])),
    ("matmul", lambda m, a, b, i: m.matmul(a.transpose(1, 2), b.t())),
    ("matmul", lambda m, a, b, i: b[0] @ a),
    ("addmm", lambda m, a, b, i: m.addmm(b, b, m.ones(3, 3), beta=0.5, alpha=2)),
    ("addbmm", lambda m, a, b, i: m.addbmm(m.zeros(3, 3), a, a.transpose(1, 2))),
    ("baddbmm", lambda m, a, b, i: a.new_zeros(2, 3, 3).baddbmm(a, a.transpose(1, 2), alpha=0.5)),
    ("addmv", lambda m, a, b, i: m.addmv(b[:, 0], b, b[0])),
    ("outer", lambda m, a, b, i: m.outer(b[0], b[1])),
    ("kron", lambda m, a, b, i: b.kron(b)),
    ("result_type", lambda m, a, b, i: m.result_type(i, 2.5)),
    ("sum", lambda m, a, b, i: a.sum()),
    ("sum", lambda m, a, b, i: m.sum(a, dim=(0, 2), keepdim=True)),
    ("sum", lambda m, a, b, i: i.sum(0, dtype=m.float64)),
    ("mean", lambda m, a, b, i: a.mean(-1)),
    ("prod", lambda m, a, b, i: b.prod(1)),
    ("prod", lambda m, a, b, i: m.prod(b)),
    ("max", lambda m, a, b, i: b.max()),
    ("max", lambda m, a, b, i: b.max(1)),
    ("max", lambda m, a, b, i: m.max(b, dim=0, keepdim=True)),
    ("min", lambda m, a, b, i: m.min(b, 1)),
    ("amax", lambda m, a, b, i: a.amax((0, 1))),
    ("amin", lambda m, a, b, i: m.amin(a, -1)),
    ("aminmax", lambda m, a, b, i: m.aminmax(b, dim=1)),
    ("argmax", lambda m, a, b, i: b.argmax()),
    ("argmin", lambda m, a, b, i: m.argmin(b, dim=1, keepdim=True)),
    ("var", lambda m, a, b, i: b.var(1)),
    ("var", lambda m, a, b, i: m.var(b, unbiased=False)),
    ("std", lambda m, a, b, i: b.std(dim=0, correction=0)),
    ("var_mean", lambda m, a, b, i: m.var_mean(b, 1)),
    ("std_mean", lambda m, a, b, i: m.std_mean(b)),
    ("norm", lambda m, a, b, i: b.norm()),
    ("norm", lambda m, a, b, i: m.norm(b, p=1, dim=1)),
    ("logsumexp", lambda m, a, b, i: b.logsumexp(1)),
    ("all", lambda m, a, b, i: mk(m).all()),
    ("any", lambda m, a, b, i: m.any(mk(m), dim=1)),
    ("count_nonzero", lambda m, a, b, i: a.count_nonzero(1)),
    ("cumsum", lambda m, a, b, i: b.cumsum(1)),
    ("cumprod", lambda m, a, b, i: m.cumprod(b, dim=0)),
    ("cummax", lambda m, a, b, i: b.cummax(1)),
    ("cummin", lambda m, a, b, i: m.cummin(b, 0)),
    ("index_select", lambda m, a, b, i: b.index_select(1, m.tensor([2, 0]))),
    ("gather", lambda m, a, b, i: m.gather(b, 1, m.tensor([[0, 0], [1, 2]]))),
    ("scatter", lambda m, a, b, i: m.zeros(2, 3).scatter(1, m.tensor([[2], [0]]), b[:, :1])),
    ("scatter", lambda m, a, b, i: m.zeros(2, 3).scatter_(1, m.tensor([[2], [0]]), 5.0)),
    ("scatter_add", lambda m, a, b, i: m.zeros(2, 3).scatter_add(1, m.tensor([[1, 1], [0, 2]]), b[:, :2])),
    ("scatter_reduce", lambda m, a, b, i: m.ones(2, 3).scatter_reduce(1, m.tensor([[1, 1], [0, 2]]), b[:, :2], "amax")),
    ("index_add", lambda m, a, b, i: m.zeros(2, 3).index_add(0, m.tensor([1, 1]), b, alpha=2)),
    ("index_copy", lambda m, a, b, i: m.zeros(2, 3).index_copy_(0, m.tensor([1, 0]), b)),
    ("index_fill", lambda m, a, b, i: b.index_fill(1, m.tensor([0, 2]), -1.0)),
    ("index_put", lambda m, a, b, i: b.index_put((m.tensor([0, 1]), m.tensor([2, 2])), m.tensor(7.0))),
    ("masked_fill", lambda m, a, b, i: b.masked_fill(mk(m), 0.0)),
    ("masked_select", lambda m, a, b, i: m.masked_select(b, mk(m))),
    ("masked_scatter", lambda m, a, b, i: b.masked_scatter(mk(m), m.zeros(6))),
    ("nonzero", lambda m, a, b, i: (mk(m)).nonzero()),
    ("nonzero", lambda m, a, b, i: m.nonzero(mk(m), as_tuple=True)),
    ("take", lambda m, a, b, i: m.take(b, m.tensor([0, 5, -1]))),
    ("take_along_dim", lambda m, a, b, i: m.take_along_dim(b, b.argsort(1), 1)),
    ("put", lambda m, a, b, i: b.put(m.tensor([0, 3]), m.tensor([9.0, 8.0]), accumulate=True)),
    ("arange", lambda m, a, b, i: m.arange(5)),
    ("arange", lambda m, a, b, i: m.arange(1, 4, 0.5)),
    ("arange", lambda m, a, b, i: m.arange(0, 10, 3, dtype=m.float64)),
    ("linspace", lambda m, a, b, i: m.linspace(0, 1, 7)),
    ("logspace", lambda m, a, b, i: m.logspace(0, 2, 3, base=2)),
    ("eye", lambda m, a, b, i: m.eye(3, 2, dtype=m.int32)),
    ("zeros", lambda m, a, b, i: m.zeros(2, 3, dtype=m.int16)),
    ("full", lambda m, a, b, i: m.full((2,), 1.5)),
    ("column_stack", lambda m, a, b, i: m.column_stack([b[0], b[1]])),
    ("atleast_2d", lambda m, a, b, i: m.atleast_2d(b[0])),
    ("atleast_3d", lambda m, a, b, i: m.atleast_3d(b[0], b)),
    ("hsplit", lambda m, a, b, i: b.hsplit(3)),
    ("vsplit", lambda m, a, b, i: m.vsplit(a, [1])),
    ("dsplit", lambda m, a, b, i: a.dsplit(2)),
    ("block_diag", lambda m, a, b, i: m.block_diag(b, b[0])),
    ("cartesian_prod", lambda m, a, b, i: m.cartesian_prod(b[0], b[1])),
    ("rot90", lambda m, a, b, i: b.rot90(1, [0, 1])),
    ("bucketize", lambda m, a, b, i: m.bucketize(b, m.tensor([0.0, 2.0, 4.0]), right=True)),
    ("histogram", lambda m, a, b, i: b.histogram(4, range=(-1.0, 9.0))),
    ("histogram", lambda m, a, b, i: m.histogram(b, m.tensor([-1.0, 0.0, 5.0, 10.0]))),
    ("conv2d", lambda m, a, b, i: m.conv2d(a.unsqueeze(0), a[:, :2, :2].unsqueeze(0), padding=1)),
    ("conv1d", lambda m, a, b, i: m.conv1d(a, a[:, :, :2], stride=2)),
    ("max_pool2d", lambda m, a, b, i: m.max_pool2d(a.unsqueeze(0), 2, stride=1)),
    ("softmax", lambda m, a, b, i: m.softmax(b, 1)),
    ("log_softmax", lambda m, a, b, i: b.log_softmax(dim=0)),
    ("layer_norm", lambda m, a, b, i: m.layer_norm(a, [4])),
    ("batch_norm", lambda m, a, b, i: m.batch_norm(a, None, None, None, None, True, 0.1, 1e-5, False)),
    ("dropout", lambda m, a, b, i: m.dropout(b, 0.5, False)),
]


@pytest.mark.filterwarnings("ignore:scatter_reduce")
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_binding_matches_torch(case):
    name, f = case
    if not has_op(name):
        pytest.skip(f"{name} not merged yet")
    want = f(torch, *(conv(torch, v) for v in (A, B, I)))
    got = f(ctorch, *(conv(ctorch, v) for v in (A, B, I)))
    check(got, want)


def test_pad_is_reachable_for_nn_functional():
    if not has_op("pad"):
        pytest.skip("pad not merged yet")
    x = ctorch.from_numpy(B.copy())
    want = torch.nn.functional.pad(torch.from_numpy(B.copy()), (1, 2), value=3.0)
    check(ctorch._C._pad(x, (1, 2), value=3.0), want)
