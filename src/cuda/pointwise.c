/* The pointwise driver's GPU branch (ct__pw_run for operands on a GPU):
 * device checks, broadcasting, the result on the GPU, one launch of the
 * generic elementwise kernel (elementwise.cu). Operands are converted to
 * the compute dtype as they are loaded, so no converted copies are made. */
#include "ops/pointwise_internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>

_Static_assert(CT_BOOL == 0 && CT_UINT8 == 1 && CT_INT8 == 2 && CT_INT16 == 3 && CT_INT32 == 4 &&
                   CT_INT64 == 5 && CT_FLOAT16 == 6 && CT_BFLOAT16 == 7 && CT_FLOAT32 == 8 &&
                   CT_FLOAT64 == 9,
               "elementwise.cu numbers dtypes as core.h does");
_Static_assert(CT_CUDA_MAX_DIMS == CT_MAX_DIMS, "one dimension limit");

static double scalar_value(const ct_tensor *t) {
    const void *p = ct_data_ptr(t);
    switch (t->dtype) {
    case CT_BOOL: return *(const bool *)p;
    case CT_UINT8: return *(const uint8_t *)p;
    case CT_INT8: return *(const int8_t *)p;
    case CT_INT16: return *(const int16_t *)p;
    case CT_INT32: return *(const int32_t *)p;
    case CT_INT64: return (double)*(const int64_t *)p;
    case CT_FLOAT16: return ct_half_to_float(*(const uint16_t *)p);
    case CT_BFLOAT16: return ct_bf16_to_float(*(const uint16_t *)p);
    case CT_FLOAT32: return *(const float *)p;
    default: return *(const double *)p;
    }
}

static void operand(ct_cuda_ew *a, int k, const ct_tensor *t, int nd) {
    int off = nd - t->ndim;
    for (int d = 0; d < nd; d++) {
        int td = d - off;
        a->strides[k][d] = (td < 0 || t->sizes[td] == 1) ? 0 : t->strides[td];
    }
    a->data[k] = (char *)t->storage->data + t->offset * (int64_t)ct_dtype_size(t->dtype);
    a->dtype[k] = t->dtype;
}

static bool int_checked(int kop) {
    return kop == CT_PW_DIV_TRUNC || kop == CT_PW_DIV_FLOOR || kop == CT_PW_REMAINDER ||
           kop == CT_PW_FMOD;
}

ct_tensor *ct__cuda_pw_run(const char *kname, int kop, int mode, ct_tensor *out, int nin,
                           const ct_tensor *const *in, unsigned cast_mask, ct_dtype compute_dt,
                           ct_dtype result_dt, void *vctx) {
    ct_pw_ctx *ctx = vctx;
    /* the GPU of the operation: every tensor operand on it, except 0-d CPU
     * tensors, which are read as host scalars (as PyTorch allows) */
    const ct_tensor *gpu = out && !ct__on_cpu(out) ? out : NULL;
    for (int k = 0; !gpu && k < nin; k++)
        if (!ct__on_cpu(in[k])) gpu = in[k];
    ct_device dev = gpu->storage->device;
    for (int k = -1; k < nin; k++) {
        const ct_tensor *t = k < 0 ? out : in[k];
        if (!t) continue;
        bool ok = ct__on_cpu(t) ? (t->ndim == 0 && k >= 0)
                                : t->storage->device.index == dev.index;
        if (!ok) {
            char b1[16], b2[16];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Expected all tensors to be on the same device, but found at least two "
                           "devices, %s and %s! (%s)",
                           ct_device_str(dev, b1, sizeof b1),
                           ct_device_str(t->storage->device, b2, sizeof b2), kname);
        }
    }
    if (nin + 1 > CT_CUDA_MAX_OPS)
        return CT_FAIL(CT_ERR_NOT_IMPL, "%s: %d inputs not supported on CUDA", kname, nin);

    int64_t shape[CT_MAX_DIMS];
    int nd = in[0]->ndim;
    memcpy(shape, in[0]->sizes, sizeof(int64_t) * (size_t)nd);
    for (int k = 1; k < nin; k++) {
        int64_t prev[CT_MAX_DIMS];
        memcpy(prev, shape, sizeof(int64_t) * (size_t)nd);
        nd = ct_broadcast_shapes(kname, prev, nd, in[k]->sizes, in[k]->ndim, shape);
        if (nd < 0) return NULL;
    }
    ct_tensor *dst = out;
    if (!dst) {
        int64_t st[CT_MAX_DIMS]; /* laid out as the inputs, as on the CPU */
        ct__out_strides(nin, in, shape, nd, st);
        dst = ct__empty_strided_on(shape, st, nd, result_dt, dev);
        if (!dst) return NULL;
    } else if (dst->ndim != nd || memcmp(dst->sizes, shape, sizeof(int64_t) * (size_t)nd) != 0) {
        char b[160];
        return CT_FAIL(CT_ERR_RUNTIME, "output with shape %s doesn't match the broadcast shape %s",
                       ct__shp(dst), ct_shape_str(shape, nd, b, sizeof b));
    }

    ct_cuda_ew a;
    memset(&a, 0, sizeof a);
    a.kop = kop;
    a.nin = nin;
    a.nd = nd;
    a.numel = dst->numel;
    /* float16/bfloat16 compute in float32 (converted on load and store) */
    a.compute_dt = (compute_dt == CT_FLOAT16 || compute_dt == CT_BFLOAT16) ? CT_FLOAT32 : compute_dt;
    memcpy(a.sizes, shape, sizeof(int64_t) * (size_t)nd);
    if (ctx) {
        memcpy(a.f, ctx->f, sizeof a.f);
        memcpy(a.i, ctx->i, sizeof a.i);
    }
    operand(&a, 0, dst, nd);
    for (int k = 0; k < nin; k++) {
        if (ct__on_cpu(in[k])) {
            a.is_scalar[k + 1] = 1;
            a.scalar[k + 1] = scalar_value(in[k]);
            a.dtype[k + 1] = in[k]->dtype;
        } else {
            operand(&a, k + 1, in[k], nd);
        }
    }
    (void)cast_mask; /* every input is converted to the compute dtype as it is read */

    /* integer division by zero is an error, as on the CPU: the kernel
     * raises a flag that is read back (a synchronisation, integers only) */
    bool checked = ct_dtype_is_integral(a.compute_dt) && int_checked(kop);
    ct_tensor *flag = NULL;
    if (checked) {
        int64_t one = 1;
        flag = ct__empty_on(&one, 1, CT_INT32, dev);
        if (!flag || ct__cuda_fill(flag->storage->data, CT_INT32, 1, 0) < 0) goto fail;
        a.err = flag->storage->data;
    }
    if (ct__cuda_ew_launch(&a) < 0) goto fail;
    if (checked) {
        int err = 0;
        if (ct__cuda_check(cudaMemcpy(&err, a.err, sizeof err, cudaMemcpyDeviceToHost),
                           "cudaMemcpy") < 0)
            goto fail;
        if (err) {
            ct_set_error(CT_ERR_RUNTIME, "ZeroDivisionError");
            goto fail;
        }
        ct_release(flag);
    }
    return dst;
fail:
    ct_release(flag);
    if (dst != out) ct_release(dst);
    return NULL;
}
