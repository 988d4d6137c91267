/* Host side of the GPU sorts (ct__cuda->sort: sort, argsort, msort;
 * ct__cuda->topk: topk, kthvalue of src/ops/sort.c) and scans (ct__cuda->scan: cumsum, cumprod,
 * cummax, cummin of src/ops/reduce.c). Kernels in sort.cu. Nothing here
 * waits for the GPU; scratch tensors come from the caching allocator on the
 * current stream and are released after the launches are queued (the
 * allocator reuses a block only on its stream, so later work sees it after
 * these kernels). */
#include "internal.h"
#include "cuda/sort_kern.h"

#include <cuda_runtime_api.h>

#include "cuda/host_util.h"

int ct__cuda_sort(const ct_tensor *work, ct_tensor *vals, ct_tensor *idx, bool desc) {
    const char *op = "sort";
    if (!same_dev(work, idx) || (vals && !same_dev(work, vals)))
        return internal_error(op, "operands on different devices");
    if (!ct_is_contiguous(work) || !ct_is_contiguous(idx) || (vals && !ct_is_contiguous(vals)) ||
        idx->dtype != CT_INT64 || (vals && vals->dtype != work->dtype) ||
        work->dtype == CT_FLOAT16 || work->dtype == CT_BFLOAT16)
        return internal_error(op, "unexpected layout or dtype of a CUDA sort operand");
    if (work->numel == 0) return 0;
    int64_t n = work->ndim ? work->sizes[work->ndim - 1] : 1, rows = work->numel / n;
    int64_t P = ct__cuda_pow2(n);
    ct_device dev = work->storage->device;
    int prev = -1, rc = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    ct_tensor *keys = NULL, *ix = NULL;
    if (P > CT_CUDA_SORT_SMALL) {
        int64_t m = rows * P;
        keys = ct__empty_on(&m, 1, work->dtype, dev);
        ix = keys ? ct__empty_on(&m, 1, CT_INT64, dev) : NULL;
        if (!ix) goto out;
    }
    rc = ct__cuda_sort_launch((int)work->dtype, ct_data_ptr(work), vals ? ct_data_ptr(vals) : NULL,
                              ct_data_ptr(idx), rows, n, n, desc, keys ? ct_data_ptr(keys) : NULL,
                              ix ? ct_data_ptr(ix) : NULL);
out:
    ct_release(keys);
    ct_release(ix);
    leave(dev, prev);
    return rc;
}

int ct__cuda_topk(const ct_tensor *work, int64_t k, bool largest, ct_tensor *vals, ct_tensor *idx) {
    const char *op = "topk";
    if (!same_dev(work, idx) || (vals && !same_dev(work, vals)))
        return internal_error(op, "operands on different devices");
    int64_t n = work->ndim ? work->sizes[work->ndim - 1] : 1;
    if (!ct_is_contiguous(work) || !ct_is_contiguous(idx) || (vals && !ct_is_contiguous(vals)) ||
        idx->dtype != CT_INT64 || (vals && vals->dtype != work->dtype) ||
        work->dtype == CT_FLOAT16 || work->dtype == CT_BFLOAT16 || k < 0 || k > n ||
        idx->numel != (n ? work->numel / n : 0) * k || (vals && vals->numel != idx->numel))
        return internal_error(op, "unexpected layout or dtype of a CUDA topk operand");
    if (work->numel == 0 || k == 0) return 0;
    int64_t rows = work->numel / n, P = ct__cuda_pow2(n);
    ct_device dev = work->storage->device;
    int prev = -1, rc = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    ct_tensor *s1 = NULL, *s2 = NULL;
    if (n >= CT_CUDA_TOPK_SELECT_MIN && k <= CT_CUDA_SORT_SMALL) {
        int64_t m = rows * k;
        s1 = ct__empty_on(&m, 1, work->dtype, dev);
        s2 = s1 ? ct__empty_on(&m, 1, CT_INT64, dev) : NULL;
        if (s2)
            rc = ct__cuda_topk_launch((int)work->dtype, ct_data_ptr(work),
                                      vals ? ct_data_ptr(vals) : NULL, ct_data_ptr(idx), rows, n, k,
                                      largest, ct_data_ptr(s1), ct_data_ptr(s2));
    } else {
        if (P > CT_CUDA_SORT_SMALL) {
            int64_t m = rows * P;
            s1 = ct__empty_on(&m, 1, work->dtype, dev);
            s2 = s1 ? ct__empty_on(&m, 1, CT_INT64, dev) : NULL;
            if (!s2) goto out;
        }
        rc = ct__cuda_sort_launch((int)work->dtype, ct_data_ptr(work), vals ? ct_data_ptr(vals) : NULL,
                                  ct_data_ptr(idx), rows, n, k, largest,
                                  s1 ? ct_data_ptr(s1) : NULL, s2 ? ct_data_ptr(s2) : NULL);
    }
out:
    ct_release(s1);
    ct_release(s2);
    leave(dev, prev);
    return rc;
}

int ct__cuda_scan(const ct_tensor *x, int dim, int kind, ct_tensor *out, ct_tensor *idx) {
    const char *names[] = {"cumsum", "cumprod", "cummax", "cummin"};
    if (kind < 0 || kind > 3) return internal_error("scan", "unknown scan kind");
    const char *op = names[kind];
    if (!same_dev(x, out) || (idx && !same_dev(x, idx)))
        return internal_error(op, "operands on different devices");
    if (!ct_is_contiguous(x) || !ct_is_contiguous(out) || out->dtype != x->dtype ||
        (kind >= 2 && (!idx || !ct_is_contiguous(idx) || idx->dtype != CT_INT64)) ||
        x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16)
        return internal_error(op, "unexpected layout or dtype of a CUDA scan operand");
    if (x->numel == 0) return 0;
    int64_t L = x->ndim ? x->sizes[dim] : 1, outer = 1, inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) outer *= x->sizes[d];
        if (d > dim) inner *= x->sizes[d];
    }
    ct_device dev = x->storage->device;
    int prev = -1;
    if (enter(dev, &prev, op) < 0) return -1;
    int64_t nscr = ct__cuda_scan_scratch((int)x->dtype, kind, outer, L, inner);
    ct_tensor *scr = nscr ? ct__empty_on(&nscr, 1, CT_UINT8, dev) : NULL;
    int rc = nscr && !scr ? -1
                          : ct__cuda_scan_launch((int)x->dtype, kind, ct_data_ptr(x), ct_data_ptr(out),
                                                 kind >= 2 ? ct_data_ptr(idx) : NULL, outer, L,
                                                 inner, scr ? ct_data_ptr(scr) : NULL);
    ct_release(scr);
    leave(dev, prev);
    return rc;
}
