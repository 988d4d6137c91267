/* Host side of the indexing kernels (index.cu): ct__sg_run for tensors on
 * a GPU (ct__cuda->sg_run), and indexing by precomputed element offsets
 * (ct__cuda->index_offsets: index, index_put, masked_select), the offsets
 * of advanced indexing computed on the device (ct__cuda->index_add_offsets)
 * and nonzero (ct__cuda->nonzero). Bounds are checked on the device: sg_run
 * reads its flag back with one synchronising copy; advanced indexing sets a
 * per-device record read at the next synchronising point (below). Either
 * way an out-of-range index is a clean IndexError like on the CPU, not a
 * device assert. */
#include "internal.h"
#include "ops/index_internal.h"
#include "cuda/index_kern.h"
#include "cuda/sort_kern.h"

#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stdatomic.h>

_Static_assert((int)CT_CUDA_SG_GATHER == (int)CT__SG_GATHER && (int)CT_CUDA_SG_COPY == (int)CT__SG_COPY &&
                   (int)CT_CUDA_SG_FILL == (int)CT__SG_FILL && (int)CT_CUDA_SG_ADD == (int)CT__SG_ADD &&
                   (int)CT_CUDA_SG_MUL == (int)CT__SG_MUL && (int)CT_CUDA_SG_MAX == (int)CT__SG_MAX &&
                   (int)CT_CUDA_SG_MIN == (int)CT__SG_MIN && (int)CT_CUDA_SG_COUNT == (int)CT__SG_COUNT,
               "index_kern.h op ids follow ct__sg_op");

static const char *sg_name(int op) {
    static const char *n[] = {"gather", "scatter", "index_fill", "scatter_add/index_add",
                              "scatter_reduce(prod)", "scatter_reduce(amax)",
                              "scatter_reduce(amin)", "scatter_reduce(mean)"};
    return op >= 0 && op <= CT__SG_COUNT ? n[op] : "scatter/gather";
}

int ct__cuda_sg_run(int op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other, int dim,
                    double value, int64_t *bad) {
    const char *name = sg_name(op);
    if (index->numel == 0) return 0;
    int nd = index->ndim ? index->ndim : 1;
    ct_device dev = indexed->storage->device;
    const ct_tensor *ts[2] = {index, other};
    for (int k = 0; k < 2; k++)
        if (ts[k] && (ts[k]->storage->device.type != dev.type ||
                      ts[k]->storage->device.index != dev.index)) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s(): Expected all tensors to be on the same device, but found at least "
                         "two devices (%s %s)",
                         name, ct__shp(indexed), ct__shp(ts[k]));
            return -1;
        }
    if (nd > CT_CUDA_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: more than %d dims is not implemented for CUDA tensors",
                     name, CT_CUDA_MAX_DIMS);
        return -1;
    }
    ct_cuda_sg a;
    memset(&a, 0, sizeof a);
    a.op = op;
    a.dt = (int)indexed->dtype;
    a.nd = nd;
    a.dim = dim;
    a.numel = index->numel;
    a.lim = indexed->ndim ? indexed->sizes[dim] : 1;
    for (int k = 0; k < nd; k++) {
        a.sizes[k] = index->ndim ? index->sizes[k] : 1;
        a.st_ix[k] = indexed->ndim ? indexed->strides[k] : 0;
        a.st_idx[k] = index->ndim ? index->strides[k] : 0;
        a.st_oth[k] = other && other->ndim ? other->strides[k] : 0;
    }
    a.ix = ct_data_ptr(indexed);
    a.idx = ct_data_ptr(index);
    a.oth = other ? ct_data_ptr(other) : NULL;
    a.value = value;
    if (op == CT__SG_FILL) ct__index_value_bits(&a.bits, indexed->dtype, value);
    ct_tensor *err = ct__empty_on((int64_t[]){2}, 1, CT_INT64, dev);
    if (!err) return -1;
    a.err = ct_data_ptr(err);
    int prev = -1, rc = -1;
    if (ct__cuda_check(cudaGetDevice(&prev), name) < 0) goto out;
    if (dev.index >= 0 && dev.index != prev &&
        ct__cuda_check(cudaSetDevice(dev.index), name) < 0)
        goto out;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    int64_t host[2] = {0, 0};
    if (ct__cuda_check(cudaMemsetAsync(a.err, 0, sizeof host, s), name) < 0) goto restore;
    if (ct__cuda_sg_launch(&a) < 0) goto restore;
    if (ct__cuda_check(cudaMemcpyAsync(host, a.err, sizeof host, cudaMemcpyDeviceToHost, s), name) < 0 ||
        ct__cuda_check(cudaStreamSynchronize(s), name) < 0)
        goto restore;
    rc = 0;
    if (host[0]) {
        *bad = host[1];
        rc = 1;
    }
restore:
    if (dev.index >= 0 && dev.index != prev) cudaSetDevice(prev);
out:
    ct_release(err);
    return rc;
}

int ct__cuda_index_offsets(ct_tensor *a, const ct_tensor *b, const ct_tensor *off, bool put,
                           bool accumulate) {
    const char *name = put ? "index_put" : "index";
    ct_device dev = a->storage->device;
    const ct_tensor *ts[2] = {b, off};
    for (int k = 0; k < 2; k++)
        if (ts[k]->storage->device.type != dev.type || ts[k]->storage->device.index != dev.index) {
            char b1[16], b2[16];
            ct_set_error(CT_ERR_RUNTIME,
                         "Expected all tensors to be on the same device, but found at least two "
                         "devices, %s and %s!",
                         ct_device_str(dev, b1, sizeof b1),
                         ct_device_str(ts[k]->storage->device, b2, sizeof b2));
            return -1;
        }
    int nd = a->ndim;
    if (b->ndim != nd || off->ndim != nd || off->dtype != CT_INT64 || b->dtype != a->dtype) {
        ct_set_error(CT_ERR_RUNTIME, "%s: internal error: operands %s, %s, %s do not line up", name,
                     ct__shp(a), ct__shp(b), ct__shp(off));
        return -1;
    }
    if (nd > CT_CUDA_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: more than %d dims is not implemented for CUDA tensors",
                     name, CT_CUDA_MAX_DIMS);
        return -1;
    }
    if (a->numel == 0) return 0;
    ct_cuda_offs o;
    memset(&o, 0, sizeof o);
    o.dt = (int)a->dtype;
    o.nd = nd;
    o.put = put;
    o.acc = put && accumulate;
    o.numel = a->numel;
    for (int k = 0; k < nd; k++) {
        o.sizes[k] = a->sizes[k];
        o.st_a[k] = a->strides[k];
        o.st_b[k] = b->strides[k];
        o.st_off[k] = off->strides[k];
    }
    o.a = ct_data_ptr(a);
    o.b = ct_data_ptr(b);
    o.off = ct_data_ptr(off);
    int prev = -1, rc = -1;
    if (ct__cuda_check(cudaGetDevice(&prev), name) < 0) return -1;
    if (dev.index >= 0 && dev.index != prev && ct__cuda_check(cudaSetDevice(dev.index), name) < 0)
        return -1;
    rc = ct__cuda_offs_launch(&o);
    if (dev.index >= 0 && dev.index != prev) cudaSetDevice(prev);
    return rc;
}

/* ---------------------------------------------------------------- deferred index errors */
/* Advanced indexing checks its indices on the device without waiting for
 * it: a bad index sets the record of its device (flag, dim, index, size;
 * the kernel adds 0 for it, so the gather or put that follows stays inside
 * the tensor) and the record is read at the next synchronising point
 * (ct_cuda_synchronize, a copy to the host, a stream or event
 * synchronize), which then fails with the CPU's IndexError message. A
 * device whose kernels were not launched since the last check costs
 * nothing there. */
static long long *err_rec[CT_CUDA_MAX_DEVICES];
static _Atomic int err_dirty[CT_CUDA_MAX_DEVICES];
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

/* The record of device d (current), made on first use. NULL with the error set. */
static long long *err_record(int d) {
    pthread_mutex_lock(&err_lock);
    if (!err_rec[d]) {
        void *p = NULL;
        if (ct__cuda_check(cudaMalloc(&p, 4 * sizeof(long long)), "index error record") == 0 &&
            ct__cuda_check(cudaMemset(p, 0, 4 * sizeof(long long)), "index error record") == 0)
            err_rec[d] = p;
        else if (p)
            cudaFree(p);
    }
    long long *r = err_rec[d];
    pthread_mutex_unlock(&err_lock);
    return r;
}

int ct__cuda_index_errcheck(void) {
    int rc = 0, prev = -1;
    for (int d = 0; d < CT_CUDA_MAX_DEVICES; d++) {
        if (!atomic_exchange(&err_dirty[d], 0)) continue;
        if (prev < 0 && cudaGetDevice(&prev) != cudaSuccess) prev = 0;
        cudaSetDevice(d);
        long long h[4] = {0, 0, 0, 0};
        if (ct__cuda_check(cudaMemcpy(h, err_rec[d], sizeof h, cudaMemcpyDeviceToHost),
                           "index error record") < 0) {
            rc = -1;
            continue;
        }
        if (h[0] && rc == 0) {
            ct_set_error(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                         h[2], (int)h[1], h[3]);
            rc = -1;
        }
        if (h[0]) cudaMemset(err_rec[d], 0, sizeof h);
    }
    if (prev >= 0) cudaSetDevice(prev);
    return rc;
}

int ct__cuda_index_add_offsets(ct_tensor *off, const ct_tensor *idx, int64_t size, int64_t stride,
                               int dim) {
    const char *name = "index";
    ct_device dev = off->storage->device;
    if (idx->storage->device.type != dev.type || idx->storage->device.index != dev.index ||
        !ct_is_contiguous(off) || off->dtype != CT_INT64 || idx->dtype != CT_INT64 ||
        idx->ndim > off->ndim) {
        ct_set_error(CT_ERR_RUNTIME, "%s: internal error: offsets %s and index %s do not line up",
                     name, ct__shp(off), ct__shp(idx));
        return -1;
    }
    if (off->ndim > CT_CUDA_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: more than %d dims is not implemented for CUDA tensors",
                     name, CT_CUDA_MAX_DIMS);
        return -1;
    }
    if (off->numel == 0) return 0;
    ct_cuda_addoff a;
    memset(&a, 0, sizeof a);
    a.nd = off->ndim;
    a.dim = dim;
    a.numel = off->numel;
    a.lim = size;
    a.stride = stride;
    int lead = off->ndim - idx->ndim;
    for (int k = 0; k < off->ndim; k++) {
        a.sizes[k] = off->sizes[k];
        int j = k - lead;
        a.st_idx[k] = j < 0 || idx->sizes[j] == 1 ? 0 : idx->strides[j];
    }
    a.off = ct_data_ptr(off);
    a.idx = ct_data_ptr(idx);
    int prev = -1, rc = -1;
    if (ct__cuda_check(cudaGetDevice(&prev), name) < 0) return -1;
    int d = dev.index >= 0 ? dev.index : prev;
    if (d != prev && ct__cuda_check(cudaSetDevice(d), name) < 0) return -1;
    if ((a.err = err_record(d))) {
        rc = ct__cuda_addoff_launch(&a);
        if (rc == 0) atomic_store(&err_dirty[d], 1);
    }
    if (d != prev) cudaSetDevice(prev);
    return rc;
}

/* ct_nonzero for a tensor on a GPU: the flags' running count on the
 * device, one synchronising read of the total (the result's size), then
 * the coordinates written in row-major order. Owned [n, ndim] int64. */
ct_tensor *ct__cuda_nonzero(const ct_tensor *x) {
    const char *name = "nonzero";
    ct_device dev = x->storage->device;
    if (x->ndim > CT_CUDA_MAX_DIMS)
        return CT_FAIL(CT_ERR_NOT_IMPL, "%s: more than %d dims is not implemented for CUDA tensors",
                       name, CT_CUDA_MAX_DIMS);
    ct_tensor *b = ct__to_dtype(x, CT_BOOL, false);
    ct_tensor *m = b ? ct__contiguous(b) : NULL;
    ct_release(b);
    if (!m) return NULL;
    int64_t n = m->numel, total = 0, nscr = ct__cuda_scan_scratch(5, 0, 1, n, 1);
    ct_tensor *cnt = ct__empty_on(&n, 1, CT_INT64, dev), *scr = NULL, *out = NULL;
    int prev = -1;
    if (!cnt || (nscr && !(scr = ct__empty_on(&nscr, 1, CT_UINT8, dev))) ||
        ct__cuda_check(cudaGetDevice(&prev), name) < 0)
        goto done;
    int d = dev.index >= 0 ? dev.index : prev;
    if (d != prev && ct__cuda_check(cudaSetDevice(d), name) < 0) goto done;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (n > 0 &&
        (ct__cuda_nz_count(ct_data_ptr(m), n, ct_data_ptr(cnt), scr ? ct_data_ptr(scr) : NULL) < 0 ||
         ct__cuda_check(cudaMemcpyAsync(&total, (int64_t *)ct_data_ptr(cnt) + n - 1, sizeof total,
                                        cudaMemcpyDeviceToHost, s), name) < 0 ||
         ct__cuda_check(cudaStreamSynchronize(s), name) < 0))
        goto restore;
    int64_t shape[2] = {total, x->ndim};
    out = ct__empty_on(shape, 2, CT_INT64, dev);
    if (out && total > 0 && x->ndim > 0 &&
        ct__cuda_nz_fill(ct_data_ptr(m), ct_data_ptr(cnt), n, x->ndim, x->sizes, ct_data_ptr(out)) < 0) {
        ct_release(out);
        out = NULL;
    }
restore:
    if (d != prev) cudaSetDevice(prev);
done:
    ct_release(m);
    ct_release(cnt);
    ct_release(scr);
    return out;
}
