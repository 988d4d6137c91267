/* batch_norm (with its gradient op batch_norm_backward) and layer_norm:
 * fused kernels (src/kernels/cpu/norm.c) for float32/float64 CPU tensors,
 * recording one node each; float16/bfloat16 inputs go through the composed
 * formula (var_mean, rsqrt, addcmul), whose parts record.
 *
 * Autograd (see include/ctorch/def/nn_norm.def for the fields):
 *   batch_norm  inputs {x, weight, bias}, extra {save_mean, save_invstd} [C]
 *   layer_norm  inputs {x, weight, bias}, extra {mean, rstd} [R]
 * The derivatives are in src/autograd/derivatives_nn_norm.c. */
#include "nn/norm_internal.h"

#include <math.h>
#include <stdio.h>

#include "ctorch/factory.h"
#include "ctorch/nn_norm.h"
#include "ctorch/reduce.h"

/* ------------------------------------------------------------ helpers */
double *ct__norm_doubles(const ct_tensor *t, bool *err) {
    if (!t) return NULL;
    double *v = malloc(sizeof(double) * (size_t)(t->numel > 0 ? t->numel : 1));
    if (!v) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        *err = true;
        return NULL;
    }
    if (t->ndim == 1 || t->numel <= 1) {
        const char *p = ct_data_ptr(t);
        int64_t st = t->ndim ? t->strides[0] : 0;
        size_t isz = ct_dtype_size(t->dtype);
        for (int64_t i = 0; i < t->numel; i++)
            v[i] = ct__load_f64(p + i * st * (int64_t)isz, t->dtype);
    } else {
        for (int64_t i = 0; i < t->numel; i++) v[i] = ct_item_at(t, i);
    }
    return v;
}

ct_tensor *ct__norm_from_doubles(const double *v, const int64_t *sizes, int ndim, ct_dtype dt) {
    ct_tensor *t = ct__empty(sizes, ndim, dt);
    if (!t) return NULL;
    char *p = ct_data_ptr(t);
    size_t isz = ct_dtype_size(dt);
    for (int64_t i = 0; i < t->numel; i++) ct__store_f64(p + i * (int64_t)isz, dt, v[i]);
    return t;
}

void ct__norm_store(ct_tensor *t, const double *v) {
    int64_t idx[CT_MAX_DIMS] = {0};
    size_t isz = ct_dtype_size(t->dtype);
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t off = 0;
        for (int d = 0; d < t->ndim; d++) off += idx[d] * t->strides[d];
        ct__store_f64((char *)ct_data_ptr(t) + off * (int64_t)isz, t->dtype, v[i]);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->sizes[d]) break;
            idx[d] = 0;
        }
    }
    ct_bump_version(t);
}

ct_tensor *ct__norm_contig(const ct_tensor *t, ct_dtype dt) {
    ct_tensor *a = ct__to_dtype(t, dt, false);
    if (!a) return NULL;
    ct_tensor *b = ct__contiguous(a);
    ct_release(a);
    return b;
}

int ct__norm_record(int op, ct_tensor *y, const ct_tensor *const *in, const double *s0,
                    const double *s1, int64_t n, ct_dtype dt, const ct_op_args *a) {
    ct_tensor *t0 = ct__norm_from_doubles(s0, &n, 1, dt);
    ct_tensor *t1 = t0 ? ct__norm_from_doubles(s1, &n, 1, dt) : NULL;
    const ct_tensor *extra[2] = {t0, t1};
    int rc = t1 ? ct__ag_record(op, y, in, 3, extra, 2, a) : -1;
    if (t0) ct_release(t0);
    if (t1) ct_release(t1);
    return rc < 0 ? -1 : 0;
}

int ct__norm_hand_out(int rc, ct_tensor *const *outs, ct_tensor **const *dst) {
    for (int k = 0; k < 3; k++) {
        if (!outs[k]) continue;
        if (rc == 0 && dst[k]) *dst[k] = ct_autorelease(outs[k]);
        else ct_release(outs[k]);
    }
    return rc;
}

int ct__norm_param_grads(const double *dw, const double *db, const int64_t *sizes, int ndim,
                         ct_dtype dt, ct_tensor **gw, ct_tensor **gb) {
    if (dw && !(*gw = ct__norm_from_doubles(dw, sizes, ndim, dt))) return -1;
    if (db && !(*gb = ct__norm_from_doubles(db, sizes, ndim, dt))) return -1;
    return 0;
}

static bool fused_ok(const ct_tensor *x) {
    return (x->dtype == CT_FLOAT32 || x->dtype == CT_FLOAT64) && ct__on_cpu(x);
}

/* ------------------------------------------------------------ batch_norm */
static int check_param(const char *what, const ct_tensor *t, int64_t C) {
    if (t && t->numel != C) {
        ct_set_error(CT_ERR_RUNTIME, "batch_norm: %s should contain %lld elements not %lld", what,
                     (long long)C, (long long)t->numel);
        return -1;
    }
    return 0;
}

/* float16/bfloat16 (or a device without the kernel): var_mean + addcmul,
 * the running statistics updated with grad mode off. */
static ct_tensor *bn_composed(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                              const ct_tensor *weight, const ct_tensor *bias, bool training,
                              double momentum, double eps, int64_t n) {
    int nd = x->ndim;
    int64_t C = x->sizes[1], bshape[CT_MAX_DIMS];
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

ct_tensor *ct_batch_norm(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                         const ct_tensor *weight, const ct_tensor *bias, bool training,
                         double momentum, double eps) {
    if (x->ndim < 2)
        return CT_FAIL(CT_ERR_VALUE, "batch_norm: expected 2D or more input (got %dD input)",
                       x->ndim);
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "batch_norm: expected a floating input, got %s",
                       ct_dtype_name(x->dtype));
    int64_t N = x->sizes[0], C = x->sizes[1];
    if (check_param("running_mean", running_mean, C) < 0 ||
        check_param("running_var", running_var, C) < 0 || check_param("weight", weight, C) < 0 ||
        check_param("bias", bias, C) < 0)
        return NULL;
    if (!training && (!running_mean || !running_var))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "batch_norm: running_mean and running_var must be defined in evaluation "
                       "mode");
    int64_t M = C ? x->numel / C : 0;
    if (training && M == 1)
        return CT_FAIL(CT_ERR_VALUE,
                       "Expected more than 1 value per channel when training, got input size "
                       "torch.Size(%s)",
                       ct__shp(x));
    const ct_tensor *ps[4] = {running_mean, running_var, weight, bias};
    bool on_cpu = true;
    for (int k = 0; k < 4; k++) on_cpu = on_cpu && (!ps[k] || ct__on_cpu(ps[k]));
    if (!fused_ok(x) || !on_cpu)
        return bn_composed(x, running_mean, running_var, weight, bias, training, momentum, eps, M);
    int64_t S = N * C != 0 ? x->numel / (N * C) : 0;
    bool err = false;
    double *w = ct__norm_doubles(weight, &err), *b = ct__norm_doubles(bias, &err);
    double *st = err ? NULL : malloc(sizeof(double) * (size_t)(3 * C + 1));
    ct_tensor *xc = st ? ct__contiguous(x) : NULL;
    ct_tensor *y = xc ? ct__empty(x->sizes, x->ndim, x->dtype) : NULL;
    if (!y) {
        if (!err && !st) ct_set_error(CT_ERR_MEMORY, "batch_norm: out of memory");
        goto fail;
    }
    double *mean = st, *var = st + C, *invstd = st + 2 * C;
    memset(st, 0, sizeof(double) * (size_t)(3 * C)); /* an empty batch has no statistics */
    if (!training) {
        double *rm = ct__norm_doubles(running_mean, &err), *rv = ct__norm_doubles(running_var, &err);
        if (!err)
            for (int64_t c = 0; c < C; c++) mean[c] = rm[c], invstd[c] = 1.0 / sqrt(rv[c] + eps);
        free(rm);
        free(rv);
        if (err) goto fail;
    }
    if (x->numel > 0 && ct__bn_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(y), N, C, S,
                                              w, b, eps, training, mean, var, invstd) < 0)
        goto fail;
    if (training && M > 0 && (running_mean || running_var)) {
        double unbias = (double)M / (double)(M - 1);
        double *rs = ct__norm_doubles(running_mean ? running_mean : running_var, &err);
        if (err) goto fail;
        if (running_mean) {
            for (int64_t c = 0; c < C; c++) rs[c] += momentum * (mean[c] - rs[c]);
            ct__norm_store(running_mean, rs);
            free(rs);
            rs = running_var ? ct__norm_doubles(running_var, &err) : NULL;
            if (err) goto fail;
        }
        if (running_var) {
            for (int64_t c = 0; c < C; c++) rs[c] += momentum * (var[c] * unbias - rs[c]);
            ct__norm_store(running_var, rs);
        }
        free(rs);
    }
    const ct_tensor *in[3] = {x, weight, bias};
    if (ct__needs_grad(in, 3)) {
        ct_op_args a = {0};
        a.b[0] = training, a.b[1] = weight != NULL, a.f[0] = eps;
        if (ct__norm_record(CT_OP_batch_norm, y, in, mean, invstd, C, x->dtype, &a) < 0) goto fail;
    }
    ct_release(xc);
    free(w), free(b), free(st);
    return ct_autorelease(y);
fail:
    if (xc) ct_release(xc);
    if (y) ct_release(y);
    free(w), free(b), free(st);
    return NULL;
}

/* ------------------------------------------------------------ batch_norm_backward */
int ct_batch_norm_backward(const ct_tensor *grad_out, const ct_tensor *x, const ct_tensor *weight,
                           const ct_tensor *save_mean, const ct_tensor *save_invstd,
                           bool training, double eps, ct_tensor **grad_input,
                           ct_tensor **grad_weight, ct_tensor **grad_bias) {
    if (grad_input) *grad_input = NULL;
    if (grad_weight) *grad_weight = NULL;
    if (grad_bias) *grad_bias = NULL;
    if (x->ndim < 2) {
        ct_set_error(CT_ERR_VALUE, "batch_norm_backward: expected 2D or more input (got %dD input)",
                     x->ndim);
        return -1;
    }
    bool cpu = ct__on_cpu(grad_out) && (!weight || ct__on_cpu(weight)) &&
               (!save_mean || ct__on_cpu(save_mean)) && (!save_invstd || ct__on_cpu(save_invstd));
    if (!fused_ok(x) || grad_out->dtype != x->dtype || !cpu) {
        ct_set_error(CT_ERR_NOT_IMPL,
                     "batch_norm_backward: not implemented for grad_output %s and input %s "
                     "(float32 or float64 CPU tensors of one dtype)",
                     ct_dtype_name(grad_out->dtype), ct_dtype_name(x->dtype));
        return -1;
    }
    bool same = grad_out->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++) same = grad_out->sizes[i] == x->sizes[i];
    if (!same) {
        ct_set_error(CT_ERR_RUNTIME, "batch_norm_backward: grad_output of shape %s, input of shape %s",
                     ct__shp(grad_out), ct__shp(x));
        return -1;
    }
    int64_t N = x->sizes[0], C = x->sizes[1], S = N * C != 0 ? x->numel / (N * C) : 0;
    if (check_param("weight", weight, C) < 0 || check_param("save_mean", save_mean, C) < 0 ||
        check_param("save_invstd", save_invstd, C) < 0)
        return -1;
    if (!training && (!save_mean || !save_invstd)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "batch_norm_backward: save_mean and save_invstd must be given in evaluation "
                     "mode");
        return -1;
    }
    const ct_tensor *in[3] = {grad_out, x, weight};
    bool record = ct__needs_grad(in, 3);
    bool want_i = record || grad_input, want_w = (record && weight) || grad_weight;
    bool want_b = record || grad_bias;
    bool err = false;
    double *w = ct__norm_doubles(weight, &err);
    double *mean = ct__norm_doubles(save_mean, &err), *invstd = ct__norm_doubles(save_invstd, &err);
    double *st = err ? NULL : malloc(sizeof(double) * (size_t)(4 * C + 1));
    ct_tensor *xc = NULL, *gc = NULL, *gi = NULL, *gw = NULL, *gb = NULL;
    int rc = -1;
    if (!st) {
        if (!err) ct_set_error(CT_ERR_MEMORY, "batch_norm_backward: out of memory");
        goto done;
    }
    xc = ct__contiguous(x);
    gc = xc ? ct__contiguous(grad_out) : NULL;
    if (!gc) goto done;
    if (!mean || !invstd) { /* training without saved statistics: those of x */
        free(mean), free(invstd);
        mean = malloc(sizeof(double) * (size_t)(C + 1));
        invstd = malloc(sizeof(double) * (size_t)(C + 1));
        ct_tensor *tmp = ct__empty(x->sizes, x->ndim, x->dtype);
        if (!mean || !invstd || !tmp) {
            if (tmp) ct_release(tmp);
            else ct_set_error(CT_ERR_MEMORY, "batch_norm_backward: out of memory");
            goto done;
        }
        int krc = x->numel > 0 ? ct__bn_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(tmp),
                                                       N, C, S, NULL, NULL, eps, true, mean, st,
                                                       invstd)
                               : 0;
        ct_release(tmp);
        if (krc < 0) goto done;
    }
    gi = want_i ? ct__empty(x->sizes, x->ndim, x->dtype) : NULL;
    if (want_i && !gi) goto done;
    double *dw = want_w ? st : NULL, *db = want_b ? st + C : NULL;
    if (x->numel == 0)
        for (int64_t c = 0; c < 2 * C; c++) st[c] = 0;
    else if (ct__bn_backward_kernel(x->dtype, ct_data_ptr(gc), ct_data_ptr(xc),
                                    gi ? ct_data_ptr(gi) : NULL, N, C, S, w, mean, invstd,
                                    training, dw, db) < 0)
        goto done;
    if (ct__norm_param_grads(dw, db, weight ? weight->sizes : &C, weight ? weight->ndim : 1,
                             x->dtype, &gw, &gb) < 0)
        goto done;
    if (record) {
        const ct_tensor *extra[4] = {gw, gb, save_mean, save_invstd};
        ct_op_args a = {0};
        a.b[0] = training, a.b[1] = weight != NULL, a.f[0] = eps;
        if (ct__ag_record(CT_OP_batch_norm_backward, gi, in, 3, extra, 4, &a) < 0) goto done;
    }
    rc = 0;
done:
    free(w), free(mean), free(invstd), free(st);
    if (xc) ct_release(xc);
    if (gc) ct_release(gc);
    ct_tensor *outs[3] = {gi, gw, gb}, **dst[3] = {grad_input, grad_weight, grad_bias};
    return ct__norm_hand_out(rc, outs, dst);
}

/* ------------------------------------------------------------ layer_norm */
static ct_tensor *ln_composed(const ct_tensor *x, int nshape, const ct_tensor *weight,
                              const ct_tensor *bias, double eps) {
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
    bool params_ok = (!weight || (weight->dtype == x->dtype && ct__on_cpu(weight))) &&
                     (!bias || (bias->dtype == x->dtype && ct__on_cpu(bias)));
    if (!fused_ok(x) || !params_ok) return ln_composed(x, nshape, weight, bias, eps);
    int64_t D = 1, R = 1;
    for (int i = 0; i < nshape; i++) D *= normalized_shape[i];
    for (int i = 0; i < x->ndim - nshape; i++) R *= x->sizes[i];
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *wc = xc && weight ? ct__contiguous(weight) : NULL;
    ct_tensor *bc = xc && bias ? ct__contiguous(bias) : NULL;
    ct_tensor *y = xc ? ct__empty(x->sizes, x->ndim, x->dtype) : NULL;
    double *st = y ? malloc(sizeof(double) * (size_t)(2 * R + 1)) : NULL;
    if (!st || (weight && !wc) || (bias && !bc)) {
        if (y && !st) ct_set_error(CT_ERR_MEMORY, "layer_norm: out of memory");
        goto fail;
    }
    if (x->numel > 0)
        ct__ln_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(y), R, D,
                              wc ? ct_data_ptr(wc) : NULL, bc ? ct_data_ptr(bc) : NULL, eps, st,
                              st + R);
    const ct_tensor *in[3] = {x, weight, bias};
    if (ct__needs_grad(in, 3)) {
        ct_op_args a = {0};
        a.i[0] = nshape, a.b[1] = weight != NULL, a.f[0] = eps;
        if (ct__norm_record(CT_OP_layer_norm, y, in, st, st + R, R, x->dtype, &a) < 0) goto fail;
    }
    ct_release(xc);
    if (wc) ct_release(wc);
    if (bc) ct_release(bc);
    free(st);
    return ct_autorelease(y);
fail:
    if (xc) ct_release(xc);
    if (wc) ct_release(wc);
    if (bc) ct_release(bc);
    if (y) ct_release(y);
    free(st);
    return NULL;
}

int ct__layer_norm_backward(const ct_tensor *g, const ct_tensor *x, const ct_tensor *weight,
                            const ct_tensor *mean, const ct_tensor *rstd, int nshape,
                            ct_tensor **dx, ct_tensor **dw, ct_tensor **db) {
    int64_t D = 1, R = 1;
    for (int i = 0; i < x->ndim; i++) *(i < x->ndim - nshape ? &R : &D) *= x->sizes[i];
    const int64_t *ps = &x->sizes[x->ndim - nshape];
    bool err = false;
    double *m = ct__norm_doubles(mean, &err), *r = ct__norm_doubles(rstd, &err);
    double *st = err ? NULL : malloc(sizeof(double) * (size_t)(2 * D + 1));
    ct_tensor *xc = NULL, *gc = NULL, *wc = NULL, *gi = NULL, *gw = NULL, *gb = NULL;
    int rc = -1;
    if (!st) {
        if (!err) ct_set_error(CT_ERR_MEMORY, "layer_norm backward: out of memory");
        goto done;
    }
    xc = ct__contiguous(x);
    gc = xc ? ct__norm_contig(g, x->dtype) : NULL;
    wc = gc && weight ? ct__norm_contig(weight, x->dtype) : NULL;
    if (!gc || (weight && !wc)) goto done;
    if (dx && !(gi = ct__empty(x->sizes, x->ndim, x->dtype))) goto done;
    for (int64_t i = 0; i < 2 * D; i++) st[i] = 0;
    if (x->numel > 0 &&
        ct__ln_backward_kernel(x->dtype, ct_data_ptr(gc), ct_data_ptr(xc), gi ? ct_data_ptr(gi) : NULL,
                               R, D, wc ? ct_data_ptr(wc) : NULL, m, r, dw ? st : NULL,
                               db ? st + D : NULL) < 0)
        goto done;
    if (ct__norm_param_grads(dw ? st : NULL, db ? st + D : NULL, ps, nshape, x->dtype, &gw, &gb) < 0)
        goto done;
    rc = 0;
done:
    free(m), free(r), free(st);
    if (xc) ct_release(xc);
    if (gc) ct_release(gc);
    if (wc) ct_release(wc);
    ct_tensor *outs[3] = {gi, gw, gb}, **dst[3] = {dx, dw, db};
    return ct__norm_hand_out(rc, outs, dst);
}
