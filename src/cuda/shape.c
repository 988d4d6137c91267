/* Host side of the shape, indexing and counting kernels (shape.cu): the
 * ct__cuda hooks tri, compact, take, searchsorted, hist and isclose, used by
 * src/ops/shape_copy.c, index_mask.c, sort_count.c and compare.c after their
 * checks. A hook that needs a count on the host (compact: the size of
 * unique, masked_scatter's check; take: the bounds flag) makes one synchronising
 * device-to-host copy, as PyTorch does; the others only queue work. */
#include "internal.h"
#include "cuda/shape_kern.h"

#include <cuda_runtime_api.h>

#include "cuda/host_util.h"

static bool on_gpu_contig(const ct_tensor *t, const ct_tensor *like) {
    return t && same_dev(t, like) && ct_is_contiguous(t);
}

int ct__cuda_tri(ct_tensor *t, int64_t k, bool upper) {
    const char *op = upper ? "triu" : "tril";
    if (!ct_is_contiguous(t) || t->ndim < 2) return internal_error(op, "unexpected operand layout");
    if (t->numel == 0) return 0;
    int64_t rows = t->sizes[t->ndim - 2], cols = t->sizes[t->ndim - 1];
    ct_device dev = t->storage->device;
    int prev = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    int rc = ct__cuda_tri_launch(ct_data_ptr(t), t->numel, rows, cols, (int)ct_dtype_size(t->dtype), k,
                                 upper);
    leave(dev, prev);
    return rc;
}

int64_t ct__cuda_compact(const ct_tensor *x, bool newrun, ct_tensor **pos, ct_tensor **rank,
                         ct_tensor *dst, const ct_tensor *src) {
    const char *op = newrun ? "unique" : "nonzero";
    if (pos) *pos = NULL;
    if (rank) *rank = NULL;
    if (!ct_is_contiguous(x) || (dst && (!on_gpu_contig(dst, x) || dst->numel != x->numel)) ||
        (dst && (!src || !on_gpu_contig(src, x) || src->dtype != dst->dtype)))
        return internal_error(op, "unexpected operand layout");
    int64_t n = x->numel;
    ct_device dev = x->storage->device;
    if (n == 0) {
        if (pos && !(*pos = ct__empty_on(&n, 1, CT_INT64, dev))) return -1;
        if (rank && !(*rank = ct__empty_on(&n, 1, CT_INT64, dev))) {
            if (pos) {
                ct_release(*pos);
                *pos = NULL;
            }
            return -1;
        }
        return 0;
    }
    int64_t nb = (n + CT_CUDA_CMP_CHUNK - 1) / CT_CUDA_CMP_CHUNK;
    int64_t *hb = malloc(sizeof(int64_t) * (size_t)nb);
    if (!hb) {
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
        return -1;
    }
    int prev = -1;
    if (enter(dev, &prev, op) < 0) {
        free(hb);
        return -1;
    }
    ct_tensor *blk = ct__empty_on(&nb, 1, CT_INT64, dev), *p = NULL, *r = NULL;
    int64_t count = -1;
    ct_cuda_compact a;
    memset(&a, 0, sizeof a);
    a.kind = newrun ? CT_CUDA_CMP_NEWRUN : CT_CUDA_CMP_NONZERO;
    a.dt = (int)x->dtype;
    a.n = n;
    a.x = ct_data_ptr(x);
    a.blk = blk ? ct_data_ptr(blk) : NULL;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (!blk || ct__cuda_compact_launch(&a, 1) < 0 ||
        ct__cuda_check(cudaMemcpyAsync(hb, a.blk, sizeof(int64_t) * (size_t)nb, cudaMemcpyDeviceToHost, s), op) < 0 ||
        ct__cuda_check(cudaStreamSynchronize(s), op) < 0)
        goto out;
    int64_t total = 0;
    for (int64_t b = 0; b < nb; b++) {
        int64_t c = hb[b];
        hb[b] = total;
        total += c;
    }
    bool write_dst = dst && total <= src->numel;
    if (pos && !(p = ct__empty_on(&total, 1, CT_INT64, dev))) goto out;
    if (rank && !(r = ct__empty_on(&n, 1, CT_INT64, dev))) goto out;
    if (p || r || write_dst) {
        /* pageable memory: the copy has read hb when it returns */
        if (ct__cuda_check(cudaMemcpyAsync(a.blk, hb, sizeof(int64_t) * (size_t)nb, cudaMemcpyHostToDevice, s), op) < 0)
            goto out;
        a.pos = p && total > 0 ? ct_data_ptr(p) : NULL;
        a.rank = r ? ct_data_ptr(r) : NULL;
        a.dst = write_dst ? ct_data_ptr(dst) : NULL;
        a.src = write_dst ? ct_data_ptr(src) : NULL;
        a.esz = dst ? (int)ct_dtype_size(dst->dtype) : 0;
        if ((a.pos || a.rank || a.dst) && ct__cuda_compact_launch(&a, 2) < 0) goto out;
    }
    count = total;
out:
    leave(dev, prev);
    free(hb);
    ct_release(blk);
    if (count < 0) {
        ct_release(p);
        ct_release(r);
        return -1;
    }
    if (pos) *pos = p;
    if (rank) *rank = r;
    return count;
}

int ct__cuda_take(ct_tensor *out, const ct_tensor *x, const ct_tensor *idx, int64_t *bad) {
    const char *op = "take";
    if (!on_gpu_contig(out, x) || !on_gpu_contig(idx, x) || !ct_is_contiguous(x) ||
        idx->dtype != CT_INT64 || out->dtype != x->dtype || out->numel != idx->numel)
        return internal_error(op, "unexpected operand layout");
    if (idx->numel == 0) return 0;
    ct_device dev = x->storage->device;
    int prev = -1, rc = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    ct_tensor *err = ct__empty_on((int64_t[]){2}, 1, CT_INT64, dev);
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    int64_t host[2] = {0, 0};
    if (!err || ct__cuda_check(cudaMemsetAsync(ct_data_ptr(err), 0, sizeof host, s), op) < 0 ||
        ct__cuda_take_launch(ct_data_ptr(out), ct_data_ptr(x), ct_data_ptr(idx), idx->numel, x->numel,
                             (int)ct_dtype_size(x->dtype), ct_data_ptr(err)) < 0 ||
        ct__cuda_check(cudaMemcpyAsync(host, ct_data_ptr(err), sizeof host, cudaMemcpyDeviceToHost, s), op) < 0 ||
        ct__cuda_check(cudaStreamSynchronize(s), op) < 0)
        goto out;
    rc = 0;
    if (host[0]) {
        *bad = host[1];
        rc = 1;
    }
out:
    ct_release(err);
    leave(dev, prev);
    return rc;
}

int ct__cuda_searchsorted(const ct_tensor *seq, const ct_tensor *vals, ct_tensor *out, bool right) {
    const char *op = "searchsorted";
    if (!ct_is_contiguous(seq) || !on_gpu_contig(vals, seq) || !on_gpu_contig(out, seq) ||
        vals->dtype != seq->dtype || seq->ndim < 1 || out->numel != vals->numel ||
        (out->dtype != CT_INT32 && out->dtype != CT_INT64) || seq->dtype == CT_FLOAT16 ||
        seq->dtype == CT_BFLOAT16)
        return internal_error(op, "unexpected operand layout");
    if (vals->numel == 0) return 0;
    int64_t n = seq->sizes[seq->ndim - 1];
    int64_t inner = vals->ndim ? vals->sizes[vals->ndim - 1] : 1;
    ct_device dev = seq->storage->device;
    int prev = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    int rc = ct__cuda_searchsorted_launch((int)seq->dtype, ct_data_ptr(seq), ct_data_ptr(vals),
                                          ct_data_ptr(out), n, vals->numel, inner, seq->ndim > 1,
                                          right, out->dtype == CT_INT32);
    leave(dev, prev);
    return rc;
}

int ct__cuda_hist(const ct_tensor *x, const ct_tensor *w, int mode, const ct_tensor *edges,
                  int64_t nb, double lo, double hi, ct_tensor *acc) {
    const char *op = mode == CT_CUDA_HIST_HISTC ? "histc" : "histogram";
    if (!ct_is_contiguous(x) || (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) ||
        (w && (!on_gpu_contig(w, x) || w->dtype != x->dtype || w->numel != x->numel)) ||
        (mode != CT_CUDA_HIST_HISTC && (!on_gpu_contig(edges, x) || edges->dtype != x->dtype ||
                                        edges->numel != nb + 1)) ||
        !on_gpu_contig(acc, x) || acc->dtype != CT_FLOAT64 || acc->numel != nb ||
        mode < CT_CUDA_HIST_HISTC || mode > CT_CUDA_HIST_EDGES)
        return internal_error(op, "unexpected operand layout");
    if (nb == 0) return 0;
    ct_device dev = x->storage->device;
    int prev = -1, rc = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (ct__cuda_check(cudaMemsetAsync(ct_data_ptr(acc), 0, sizeof(double) * (size_t)nb, s), op) == 0)
        rc = ct__cuda_hist_launch((int)x->dtype, mode, ct_data_ptr(x), w ? ct_data_ptr(w) : NULL,
                                  x->numel, edges ? ct_data_ptr(edges) : NULL, nb, lo, hi,
                                  ct_data_ptr(acc));
    leave(dev, prev);
    return rc;
}

int ct__cuda_isclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol,
                     bool equal_nan, bool dbl, ct_tensor *out) {
    const char *op = "isclose";
    if (!same_dev(a, b) || !on_gpu_contig(out, a) || out->dtype != CT_BOOL || a->dtype != b->dtype ||
        out->ndim > CT_CUDA_MAX_DIMS)
        return internal_error(op, "unexpected operand layout");
    if (out->numel == 0) return 0;
    ct_cuda_close c;
    memset(&c, 0, sizeof c);
    c.dt = (int)a->dtype;
    c.dbl = dbl;
    c.nd = out->ndim;
    c.equal_nan = equal_nan;
    c.numel = out->numel;
    for (int d = 0; d < out->ndim; d++) {
        int da = a->ndim - out->ndim + d, db = b->ndim - out->ndim + d;
        c.sizes[d] = out->sizes[d];
        c.st_a[d] = da < 0 || a->sizes[da] == 1 ? 0 : a->strides[da];
        c.st_b[d] = db < 0 || b->sizes[db] == 1 ? 0 : b->strides[db];
    }
    c.a = ct_data_ptr(a);
    c.b = ct_data_ptr(b);
    c.out = ct_data_ptr(out);
    c.rtol = rtol;
    c.atol = atol;
    ct_device dev = out->storage->device;
    int prev = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    int rc = ct__cuda_isclose_launch(&c);
    leave(dev, prev);
    return rc;
}
