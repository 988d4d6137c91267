/* Host side of the GPU samplers (kernels in random.cu): the ct__cuda->random
 * and ->multinomial hooks behind src/ops/random.c, which does the checks,
 * draws the seed and shapes the results for every device. */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>
#include <limits.h>

/* Makes device current; *prev gets the previous one. 0 or -1. */
static int enter(int device, int *prev, const char *op) {
    if (ct__cuda_check(cudaGetDevice(prev), op) < 0) return -1;
    if (device >= 0 && device != *prev) return ct__cuda_check(cudaSetDevice(device), op);
    return 0;
}
static void leave(int device, int prev) {
    if (device >= 0 && device != prev) cudaSetDevice(prev);
}

int ct__cuda_random(int device, const ct_cuda_rand *r) {
    int prev = -1;
    if (enter(device, &prev, "random") < 0) return -1;
    int rc = ct__cuda_random_launch(r);
    leave(device, prev);
    return rc;
}

/* Checks every row (one int comes back to the host: the first bad row's
 * check), then either sorts exponential keys per row through the GPU sort
 * (stable, so equal keys keep index order as on the CPU) and keeps the
 * first n indices, or draws n inverse-CDF samples per row. */
int ct__cuda_multinomial(const ct_tensor *p, ct_tensor *out, bool keyed, bool single, uint64_t seed,
                         int *code) {
    int64_t ncat = p->sizes[p->ndim - 1], rows = p->ndim == 2 ? p->sizes[0] : 1;
    int64_t n = out->sizes[out->ndim - 1];
    ct_device dev = p->storage->device;
    int prev = -1, rc = -1;
    *code = 0;
    if (enter(dev.index, &prev, "multinomial") < 0) return -1;
    int64_t one = 1, shape[2] = {rows, ncat};
    ct_tensor *err = ct__empty_on(&one, 1, CT_INT32, dev);
    ct_tensor *work = err ? ct__empty_on(shape, 2, CT_FLOAT64, dev) : NULL; /* cum or keys */
    ct_tensor *idx = NULL, *head = NULL;
    int host_err = INT_MAX;
    if (!work) goto out;
    if (ct__cuda_check(cudaMemsetAsync(ct_data_ptr(err), 0x7f, sizeof(int),
                                       (cudaStream_t)ct__cuda_stream()), "cudaMemsetAsync") < 0 ||
        ct__cuda_multinomial_check(ct_data_ptr(p), rows, ncat, keyed, single,
                                   keyed ? NULL : ct_data_ptr(work), ct_data_ptr(err)) < 0 ||
        ct__cuda_check(cudaMemcpyAsync(&host_err, ct_data_ptr(err), sizeof(int),
                                       cudaMemcpyDeviceToHost, (cudaStream_t)ct__cuda_stream()),
                       "cudaMemcpyAsync") < 0 ||
        ct__cuda_check(cudaStreamSynchronize((cudaStream_t)ct__cuda_stream()),
                       "cudaStreamSynchronize") < 0)
        goto out;
    if (host_err != 0x7f7f7f7f) {
        *code = host_err % 8;
        rc = 0;
        goto out;
    }
    if (!keyed) {
        rc = ct__cuda_multinomial_draw(ct_data_ptr(work), ct_data_ptr(p), rows, ncat, n,
                                       ct_data_ptr(out), seed);
        goto out;
    }
    idx = ct__empty_on(shape, 2, CT_INT64, dev);
    if (!idx || ct__cuda_multinomial_keys(ct_data_ptr(p), ct_data_ptr(work), p->numel, seed) < 0 ||
        ct__cuda->sort(work, NULL, idx, true) < 0)
        goto out;
    int64_t hs[2] = {rows, n}, hst[2] = {ncat, 1};
    head = ct__tensor_new(idx->storage, CT_INT64, hs, hst, 2, idx->offset);
    ct_tensor *o2 = head ? ct__tensor_new(out->storage, CT_INT64, hs, (int64_t[]){n, 1}, 2, out->offset)
                         : NULL;
    rc = o2 ? ct__copy_into(o2, head) : -1;
    ct_release(o2);
out:
    ct_release(err);
    ct_release(work);
    ct_release(idx);
    ct_release(head);
    leave(dev.index, prev);
    return rc;
}
