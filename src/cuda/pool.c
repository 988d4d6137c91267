/* Host side of the poolings and resamplings on the GPU (pool.cu): the
 * ct__cuda->window hook behind src/nn/pool*.c and upsample.c, which do the
 * checks and shapes for every device. Resampling tables (source indices and
 * weights, computed on the host by upsample.c exactly as for the CPU) go to
 * the device in two small copies; the scattering gradients get a zeroed
 * result; an out-of-range index of the max gradient comes back through a
 * device flag read with one synchronising copy (a clean error, not a device
 * assert). */
#include "internal.h"
#include "cuda/cuda_internal.h"
#include "cuda/pool_kern.h"

#include <cuda_runtime_api.h>

static bool same_device(const ct_tensor *t, ct_device dev) {
    return !t || (t->storage->device.type == dev.type && t->storage->device.index == dev.index);
}

/* The tables of a resampling on the device: int64 i0 (and i1) per dim, then
 * dt weights l0, l1 (LINEAR). In the owned *it / *lt. */
static int upload_tables(const ct_window_op *w, ct_cuda_win *k, ct_device dev, ct_tensor **it,
                         ct_tensor **lt, cudaStream_t s) {
    bool lin = w->kind == CT_WIN_LINEAR || w->kind == CT_WIN_LINEAR_BWD;
    int64_t n = w->out[0] + w->out[1] + w->out[2];
    size_t es = w->dt == CT_FLOAT64 ? 8 : 4;
    int64_t ni = lin ? 2 * n : n;
    *it = ct__empty_on(&ni, 1, CT_INT64, dev);
    if (!*it) return -1;
    int64_t *ip = ct_data_ptr(*it);
    char *lp = NULL;
    if (lin) {
        int64_t nl = 2 * n;
        *lt = ct__empty_on(&nl, 1, (ct_dtype)w->dt, dev);
        if (!*lt) return -1;
        lp = ct_data_ptr(*lt);
    }
    for (int d = 0; d < 3; d++) {
        size_t len = (size_t)w->out[d];
        if (ct__cuda_check(cudaMemcpyAsync(ip, w->i0[d], len * 8, cudaMemcpyHostToDevice, s), "upsample") < 0)
            return -1;
        k->i0[d] = ip;
        ip += len;
        if (!lin) continue;
        if (ct__cuda_check(cudaMemcpyAsync(ip, w->i1[d], len * 8, cudaMemcpyHostToDevice, s), "upsample") < 0)
            return -1;
        k->i1[d] = ip;
        ip += len;
        if (!w->l0[d]) { /* the depth of a 2-d op: no weights */
            lp += 2 * len * es;
            continue;
        }
        if (ct__cuda_check(cudaMemcpyAsync(lp, w->l0[d], len * es, cudaMemcpyHostToDevice, s), "upsample") < 0 ||
            ct__cuda_check(cudaMemcpyAsync(lp + len * es, w->l1[d], len * es, cudaMemcpyHostToDevice, s),
                           "upsample") < 0)
            return -1;
        k->l0[d] = lp;
        k->l1[d] = lp + len * es;
        lp += 2 * len * es;
    }
    return 0;
}

int ct__cuda_window(const ct_window_op *w, const ct_tensor *x, ct_tensor *out, ct_tensor *idx) {
    ct_device dev = out->storage->device;
    if (!same_device(x, dev) || !same_device(idx, dev)) {
        char b1[16], b2[16];
        ct_set_error(CT_ERR_RUNTIME,
                     "Expected all tensors to be on the same device, but found at least two devices, "
                     "%s and %s!",
                     ct_device_str(dev, b1, sizeof b1),
                     ct_device_str(!same_device(x, dev) ? x->storage->device : idx->storage->device, b2,
                                   sizeof b2));
        return -1;
    }
    if (!ct_is_contiguous(x) || !ct_is_contiguous(out) || (idx && !ct_is_contiguous(idx))) {
        ct_set_error(CT_ERR_RUNTIME, "pooling: internal error: non-contiguous operand");
        return -1;
    }
    if (out->numel == 0) return 0;
    ct_cuda_win k;
    memset(&k, 0, sizeof k);
    k.op = *w;
    k.x = ct_data_ptr(x);
    k.y = ct_data_ptr(out);
    k.idx = idx ? ct_data_ptr(idx) : NULL;
    bool scatter = w->kind == CT_WIN_MAX_BWD || w->kind == CT_WIN_NEAREST_BWD || w->kind == CT_WIN_LINEAR_BWD;
    bool tables = w->kind >= CT_WIN_NEAREST;
    ct_tensor *it = NULL, *lt = NULL, *err = NULL;
    int prev = -1, rc = -1, bad = 0;
    if (ct__cuda_check(cudaGetDevice(&prev), "pooling") < 0) return -1;
    if (dev.index >= 0 && dev.index != prev && ct__cuda_check(cudaSetDevice(dev.index), "pooling") < 0)
        return -1;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (scatter && ct__cuda_check(cudaMemsetAsync(k.y, 0, (size_t)out->numel * ct_dtype_size(out->dtype), s),
                                  "cudaMemsetAsync") < 0)
        goto done;
    if (tables && upload_tables(w, &k, dev, &it, &lt, s) < 0) goto done;
    if (w->kind == CT_WIN_MAX_BWD) {
        err = ct__empty_on((int64_t[]){1}, 1, CT_INT32, dev);
        if (!err) goto done;
        k.err = ct_data_ptr(err);
        if (ct__cuda_check(cudaMemsetAsync(k.err, 0, sizeof(int), s), "cudaMemsetAsync") < 0) goto done;
    }
    if (ct__cuda_window_launch(&k) < 0) goto done;
    if (err && (ct__cuda_check(cudaMemcpyAsync(&bad, k.err, sizeof bad, cudaMemcpyDeviceToHost, s),
                               "cudaMemcpyAsync") < 0 ||
                ct__cuda_check(cudaStreamSynchronize(s), "cudaStreamSynchronize") < 0))
        goto done;
    rc = bad ? 1 : 0;
done:
    if (dev.index >= 0 && dev.index != prev) cudaSetDevice(prev);
    ct_release(it); /* stream-ordered reuse: see the caching allocator */
    ct_release(lt);
    ct_release(err);
    return rc;
}
