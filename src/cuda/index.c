/* Host side of the indexing kernels (index.cu): ct__sg_run for tensors on
 * a GPU (ct__cuda->sg_run), and indexing by precomputed element offsets
 * (ct__cuda->index_offsets: index, index_put, masked_select). Bounds are checked on the device; the flag comes back
 * with one synchronising copy, so an out-of-range index is a clean error
 * like on the CPU (not a device assert). */
#include "internal.h"
#include "ops/index_internal.h"
#include "cuda/index_kern.h"

#include <cuda_runtime_api.h>

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
