/* batch_norm and layer_norm, composed of var_mean, rsqrt and addcmul (one
 * statistics pass, one fused scale-and-shift pass); the running statistics
 * are updated in place with grad mode off. */
#include "nn/nn_internal.h"

#include <stdio.h>

static int check_param(const char *what, const ct_tensor *t, int64_t C) {
    if (t && t->numel != C) {
        ct_set_error(CT_ERR_RUNTIME, "batch_norm: %s should contain %lld elements not %lld", what,
                     (long long)C, (long long)t->numel);
        return -1;
    }
    return 0;
}

ct_tensor *ct_batch_norm(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                         const ct_tensor *weight, const ct_tensor *bias, bool training,
                         double momentum, double eps) {
    if (x->ndim < 2)
        return CT_FAIL(CT_ERR_VALUE, "batch_norm: expected 2D or more input (got %dD input)",
                       x->ndim);
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "batch_norm: expected a floating input, got %s",
                       ct_dtype_name(x->dtype));
    int64_t C = x->sizes[1];
    if (check_param("running_mean", running_mean, C) < 0 ||
        check_param("running_var", running_var, C) < 0 || check_param("weight", weight, C) < 0 ||
        check_param("bias", bias, C) < 0)
        return NULL;
    if (!training && (!running_mean || !running_var))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "batch_norm: running_mean and running_var must be defined in evaluation "
                       "mode");
    int64_t n = C ? x->numel / C : 0;
    if (training && n <= 1)
        return CT_FAIL(CT_ERR_VALUE,
                       "Expected more than 1 value per channel when training, got input size "
                       "torch.Size(%s)",
                       ct__shp(x));
    int nd = x->ndim;
    int64_t bshape[CT_MAX_DIMS];
    int dims[CT_MAX_DIMS], nr = 0;
    for (int i = 0; i < nd; i++) {
        bshape[i] = i == 1 ? C : 1;
        if (i != 1) dims[nr++] = i;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *mean = NULL, *var = NULL, *r = NULL;
    if (training) {
        var = ct_var_mean(x, dims, nr, 0, true, &mean);
        if (!var) goto done;
        if (running_mean || running_var) {
            bool was = ct_is_grad_enabled();
            ct_set_grad_enabled(false);
            bool ok = true;
            if (running_mean) {
                ct_tensor *m = ct_reshape(mean, running_mean->sizes, running_mean->ndim);
                ok = m && ct_lerp_(running_mean, m, momentum);
            }
            if (ok && running_var) {
                ct_tensor *v = ct_reshape(var, running_var->sizes, running_var->ndim);
                if (v) v = ct_mul_scalar(v, (double)n / (double)(n - 1));
                ok = v && ct_lerp_(running_var, v, momentum);
            }
            ct_set_grad_enabled(was);
            if (!ok) goto done;
        }
    } else {
        mean = ct_reshape(running_mean, bshape, nd);
        var = ct_reshape(running_var, bshape, nd);
        if (!mean || !var) goto done;
    }
    ct_tensor *scale = ct_add_scalar(var, eps);
    if (scale) scale = ct_rsqrt(scale);
    if (scale && weight) scale = ct_mul(scale, ct_reshape(weight, bshape, nd));
    if (!scale) goto done;
    ct_tensor *shift = ct_mul(mean, scale);
    if (shift) shift = bias ? ct_sub(ct_reshape(bias, bshape, nd), shift) : ct_neg(shift);
    if (!shift) goto done;
    r = ct_addcmul(shift, x, scale, 1.0);
    if (r) ct_keep(r);
done:
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_layer_norm(const ct_tensor *x, const int64_t *normalized_shape, int nshape,
                         const ct_tensor *weight, const ct_tensor *bias, double eps) {
    char ns[256], tb[256];
    ct_shape_str(normalized_shape, nshape, ns, sizeof ns);
    bool ok = nshape >= 1 && nshape <= x->ndim;
    for (int i = 0; ok && i < nshape; i++)
        ok = x->sizes[x->ndim - nshape + i] == normalized_shape[i];
    if (!ok) {
        snprintf(tb, sizeof tb, "%s", ns + 1);
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Given normalized_shape=%s, expected input with shape [*, %s, but got "
                       "input of size%s",
                       ns, tb, ct__shp(x));
    }
    const ct_tensor *wb[2] = {weight, bias};
    for (int k = 0; k < 2; k++) {
        const ct_tensor *t = wb[k];
        bool same = !t || t->ndim == nshape;
        for (int i = 0; same && t && i < nshape; i++) same = t->sizes[i] == normalized_shape[i];
        if (!same)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Expected %s to be of same shape as normalized_shape, but got %s of "
                           "shape %s and normalized_shape = %s",
                           k ? "bias" : "weight", k ? "bias" : "weight", ct__shp(t), ns);
    }
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "layer_norm: expected a floating input, got %s",
                       ct_dtype_name(x->dtype));
    int dims[CT_MAX_DIMS];
    for (int i = 0; i < nshape; i++) dims[i] = x->ndim - nshape + i;
    ct_scope sc = ct_scope_begin();
    ct_tensor *mean = NULL, *r = NULL;
    ct_tensor *var = ct_var_mean(x, dims, nshape, 0, true, &mean);
    ct_tensor *rstd = var ? ct_add_scalar(var, eps) : NULL;
    if (rstd) rstd = ct_rsqrt(rstd);
    ct_tensor *y = rstd ? ct_sub(x, mean) : NULL;
    if (y) y = ct_mul(y, rstd);
    if (y && weight) y = bias ? ct_addcmul(bias, y, weight, 1.0) : ct_mul(y, weight);
    else if (y && bias) y = ct_add(y, bias);
    r = y;
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
