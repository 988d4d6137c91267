/* Host side of the GPU reductions (the ct__cuda->reduce hook of
 * src/ops/reduce.c) and of the fused softmax (ct__cuda->softmax of
 * src/nn/softmax.c): device checks, the kept/reduced split of x's dims, the
 * launch shape, and scratch memory for the two-pass case. Kernels in
 * reduce.cu and softmax.cu. Nothing here waits for the GPU. */
#include "ops/reduce_internal.h"
#include "cuda/cuda_internal.h"

_Static_assert(CT_RK_SUM == 0 && CT_RK_SQDEV == 1 && CT_RK_EXPDEV == 2 && CT_RK_ABS == 3 &&
                   CT_RK_POW == 4 && CT_RK_NZ == 5 && CT_RK_PROD == 6 && CT_RK_MAX == 7 &&
                   CT_RK_MIN == 8 && CT_RK_ABSMAX == 9 && CT_RK_ABSMIN == 10 &&
                   CT_RK_ARGMAX == 11 && CT_RK_ARGMIN == 12,
               "reduce.cu numbers the kinds as reduce_internal.h does");
_Static_assert(CT_RP_NONE == 0 && CT_RP_SCALE == 1 && CT_RP_SQRT == 2 && CT_RP_LOG == 3 &&
                   CT_RP_ROOT == 4 && CT_RP_ANY == 5 && CT_RP_ALL == 6,
               "reduce.cu numbers the post steps as reduce_internal.h does");

static int same_gpu(const char *op, const ct_tensor *x, const ct_tensor *t) {
    if (!t) return 0;
    ct_device a = x->storage->device, b = t->storage->device;
    if (b.type == a.type && b.index == a.index) return 0;
    char b1[16], b2[16];
    ct_set_error(CT_ERR_RUNTIME,
                 "Expected all tensors to be on the same device, but found at least two devices, "
                 "%s and %s! (%s)",
                 ct_device_str(a, b1, sizeof b1), ct_device_str(b, b2, sizeof b2), op);
    return -1;
}

int ct__cuda_reduce(const ct_tensor *x, const bool *mask, int kind, double p,
                    const ct_tensor *centre, int post, double s, ct_tensor *out, ct_tensor *idx) {
    if (same_gpu("reduce", x, out) < 0 || same_gpu("reduce", x, idx) < 0 ||
        same_gpu("reduce", x, centre) < 0)
        return -1;
    if (!ct_is_contiguous(out) || (idx && !ct_is_contiguous(idx)) ||
        (centre && (!ct_is_contiguous(centre) || centre->dtype != CT_FLOAT64))) {
        ct_set_error(CT_ERR_RUNTIME, "reduce: internal error: non-contiguous CUDA output");
        return -1;
    }
    if (x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16) {
        ct_set_error(CT_ERR_RUNTIME, "reduce: internal error: %s input reached the CUDA kernel",
                     ct_dtype_name(x->dtype));
        return -1;
    }
    ct_cuda_red a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.post = post;
    a.p = p;
    a.s = s;
    a.in_dt = x->dtype;
    a.out_dt = out->dtype;
    a.int_acc = ct__rk_int_acc((ct_rkind)kind, x->dtype);
    a.x = ct_data_ptr(x);
    a.out = ct_data_ptr(out);
    a.idx = idx ? ct_data_ptr(idx) : NULL;
    a.centre = centre ? ct_data_ptr(centre) : NULL;
    a.nout = 1;
    a.nred = 1;
    for (int d = 0; d < x->ndim; d++) {
        int64_t n = x->sizes[d];
        if (mask[d]) a.nred *= n;
        else a.nout *= n;
        if (n == 1) continue; /* contributes no offset */
        if (mask[d]) {
            a.rsizes[a.nr] = n;
            a.rstrides[a.nr++] = x->strides[d];
        } else {
            a.ksizes[a.nk] = n;
            a.kstrides[a.nk++] = x->strides[d];
        }
    }
    if (a.nout != out->numel || (idx && idx->numel != a.nout)) {
        ct_set_error(CT_ERR_RUNTIME, "reduce: internal error: output of %lld elements for %lld",
                     (long long)out->numel, (long long)a.nout);
        return -1;
    }
    if (a.nout == 0 || a.nred == 0) return 0; /* the caller filled out */
    bool arg = kind == CT_RK_ARGMAX || kind == CT_RK_ARGMIN;
    if (arg && a.nr > 1) {
        ct_set_error(CT_ERR_RUNTIME, "reduce: internal error: arg reduction over %d dims", a.nr);
        return -1;
    }
    /* few outputs over long ranges: split each range into groups */
    a.groups = 1;
    if (a.nred > CT_CUDA_RED_SMALL && a.nout < 2048) {
        int64_t by_size = (a.nred + CT_CUDA_RED_CHUNK - 1) / CT_CUDA_RED_CHUNK;
        int64_t by_fill = (2048 + a.nout - 1) / a.nout;
        a.groups = by_size < by_fill ? by_size : by_fill;
        if (a.groups > 1024) a.groups = 1024;
        if (a.groups < 1) a.groups = 1;
    }
    ct_tensor *part = NULL, *part_idx = NULL;
    if (a.groups > 1) {
        int64_t n = a.nout * a.groups;
        part = ct__empty_on(&n, 1, a.int_acc ? CT_INT64 : CT_FLOAT64, x->storage->device);
        part_idx = part && arg ? ct__empty_on(&n, 1, CT_INT64, x->storage->device) : NULL;
        if (!part || (arg && !part_idx)) {
            ct_release(part);
            return -1;
        }
        a.part = ct_data_ptr(part);
        a.part_idx = part_idx ? ct_data_ptr(part_idx) : NULL;
    }
    int rc = ct__cuda_reduce_launch(&a);
    /* the scratch blocks go back to the cache now: work queued later on
     * this stream runs after the kernels that use them */
    ct_release(part);
    ct_release(part_idx);
    return rc;
}

int ct__cuda_softmax(const ct_tensor *x, int dim, bool log, ct_tensor *out) {
    if (same_gpu("softmax", x, out) < 0) return -1;
    if (!ct_is_contiguous(x) || !ct_is_contiguous(out) || x->dtype != out->dtype ||
        (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)) {
        ct_set_error(CT_ERR_RUNTIME, "softmax: internal error: CUDA operands %s %s, %s %s",
                     ct__shp(x), ct_dtype_name(x->dtype), ct__shp(out), ct_dtype_name(out->dtype));
        return -1;
    }
    if (x->numel == 0) return 0;
    int64_t outer = 1, inner = 1, D = x->ndim ? x->sizes[dim] : 1;
    for (int i = 0; i < dim; i++) outer *= x->sizes[i];
    for (int i = dim + 1; i < x->ndim; i++) inner *= x->sizes[i];
    return ct__cuda_softmax_launch(x->dtype, ct_data_ptr(x), ct_data_ptr(out), outer, D, inner,
                                   log);
}
