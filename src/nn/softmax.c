/* softmax, log_softmax (fused kernel in src/kernels/cpu/norm_softmax.c) and
 * dropout (composed of bernoulli and mul). */
#include "nn/nn_internal.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static ct_tensor *softmax_any(const char *op, int op_id, const ct_tensor *x, int dim, bool take_log) {
    int nd = x->ndim ? x->ndim : 1;
    int d = ct_wrap_dim(op, dim, nd);
    if (d < 0) return NULL;
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_NOT_IMPL, "\"%s_lastdim_kernel_impl\" not implemented for '%s'",
                       op, type_name(x->dtype));
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *out = xc ? ct__empty_on(x->sizes, x->ndim, x->dtype, x->storage->device) : NULL;
    if (!out) {
        ct_release(xc);
        return NULL;
    }
    if (!ct__on_cpu(xc)) { /* fused kernel on the GPU (src/cuda/softmax.cu) */
        if (ct__cuda->softmax(xc, d, take_log, out) < 0) {
            ct_release(xc);
            ct_release(out);
            return NULL;
        }
    } else if (x->numel) {
        int64_t outer = 1, inner = 1, D = x->ndim ? x->sizes[d] : 1;
        for (int i = 0; i < d; i++) outer *= x->sizes[i];
        for (int i = d + 1; i < x->ndim; i++) inner *= x->sizes[i];
        ct__softmax_kernel(x->dtype, ct_data_ptr(xc), outer, D, inner, take_log, ct_data_ptr(out));
    }
    ct_release(xc);
    ct_op_args a = {.dims = {d}, .ndims = 1};
    out = ct__nn_record(op_id, out, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_softmax(const ct_tensor *x, int dim) {
    return softmax_any("softmax", CT_OP_softmax, x, dim, false);
}

ct_tensor *ct_log_softmax(const ct_tensor *x, int dim) {
    return softmax_any("log_softmax", CT_OP_log_softmax, x, dim, true);
}

ct_tensor *ct_dropout(const ct_tensor *x, double p, bool training, ct_generator *g) {
    if (!(p >= 0 && p <= 1))
        return CT_FAIL(CT_ERR_VALUE,
                       "dropout probability has to be between 0 and 1, but got %g", p);
    if (!training || p == 0) return ct_alias(x);
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "dropout: expected a floating input, got %s",
                       ct_dtype_name(x->dtype));
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL;
    ct_tensor *mask = ct_bernoulli_p(x, 1.0 - p, g ? g : ct_default_generator());
    if (mask && p < 1) mask = ct_mul_scalar(mask, 1.0 / (1.0 - p));
    if (mask) r = ct_mul(x, mask);
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
