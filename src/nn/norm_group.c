/* group_norm and instance_norm: one fused kernel pair (per (sample, group)
 * statistics over a contiguous block, per-channel affine) in
 * src/kernels/cpu/norm.c; instance norm is group norm with one group per
 * channel, plus running statistics (the batch mean of the per-instance
 * statistics, as PyTorch's). float16/bfloat16 inputs go through layer_norm
 * of the input seen as [N, G, -1] and a composed affine.
 *
 * Autograd: group_norm and instance_norm record inputs {x, weight, bias},
 * extra {mean, rstd} [N*G], i[0] G, f[0] eps (see nn_norm.def); the
 * derivative (src/autograd/derivatives_nn_norm.c) runs the fused backward
 * kernel through ct__group_norm_backward below. */
#include "nn/norm_internal.h"

#include <math.h>

#include "ctorch/nn.h"
#include "ctorch/nn_norm.h"

/* The fused kernels read x and every per-channel tensor on the CPU. */
static bool fused_ok(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b) {
    return (x->dtype == CT_FLOAT32 || x->dtype == CT_FLOAT64) && ct__on_cpu(x) &&
           (!w || ct__on_cpu(w)) && (!b || ct__on_cpu(b));
}

static int check_vec(const char *what, const ct_tensor *t, const ct_tensor *x, int64_t C) {
    if (t && (t->ndim != 1 || t->numel != C)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Expected %s to be a vector of size equal to the number of channels in "
                     "input, but got %s of shape %s and input of shape %s",
                     what, what, ct__shp(t), ct__shp(x));
        return -1;
    }
    return 0;
}

/* x [N, C, *] normalised per (n, group of C/G channels); var [N*G] (biased)
 * returned when asked (instance norm's running statistics). op names the
 * recorded op. Owned result. */
static ct_tensor *gn_fused(int op, const ct_tensor *x, int64_t G, const ct_tensor *weight,
                           const ct_tensor *bias, double eps, double **var_out) {
    int64_t N = x->sizes[0], C = x->sizes[1], S = 1;
    for (int i = 2; i < x->ndim; i++) S *= x->sizes[i];
    bool err = false;
    double *w = ct__norm_doubles(weight, &err), *b = ct__norm_doubles(bias, &err);
    double *st = err ? NULL : malloc(sizeof(double) * (size_t)(3 * N * G + 1));
    ct_tensor *xc = st ? ct__contiguous(x) : NULL;
    ct_tensor *y = xc ? ct__empty(x->sizes, x->ndim, x->dtype) : NULL;
    if (!y) {
        if (!err && !st) ct_set_error(CT_ERR_MEMORY, "group_norm: out of memory");
        goto fail;
    }
    if (x->numel > 0)
        ct__gn_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(y), N, C, S, G, w, b, eps,
                              st, st + N * G, st + 2 * N * G);
    const ct_tensor *in[3] = {x, weight, bias};
    if (ct__needs_grad(in, 3)) {
        ct_op_args a = {0};
        a.i[0] = G, a.b[1] = weight != NULL, a.f[0] = eps;
        if (ct__norm_record(op, y, in, st, st + N * G, N * G, x->dtype, &a) < 0) goto fail;
    }
    if (var_out) { /* [mean of each instance, then its biased variance] */
        int64_t ng = N * G;
        double *v = malloc(sizeof(double) * (size_t)(2 * ng + 1));
        if (!v) {
            ct_set_error(CT_ERR_MEMORY, "instance_norm: out of memory");
            goto fail;
        }
        memcpy(v, st, sizeof(double) * (size_t)ng);
        memcpy(v + ng, st + 2 * ng, sizeof(double) * (size_t)ng);
        *var_out = v;
    }
    ct_release(xc);
    free(w), free(b), free(st);
    return y;
fail:
    if (xc) ct_release(xc);
    if (y) ct_release(y);
    free(w), free(b), free(st);
    return NULL;
}

/* float16/bfloat16: layer_norm over [N, G, -1] plus the per-channel affine. */
static ct_tensor *gn_composed(const ct_tensor *x, int64_t G, const ct_tensor *weight,
                              const ct_tensor *bias, double eps) {
    int64_t N = x->sizes[0], C = x->sizes[1];
    ct_scope sc = ct_scope_begin();
    const int64_t v3[3] = {N, G, -1};
    ct_tensor *v = ct_reshape(x, v3, 3), *r = NULL;
    ct_tensor *y = v ? ct_layer_norm(v, &v->sizes[2], 1, NULL, NULL, eps) : NULL;
    if (y) y = ct_reshape(y, x->sizes, x->ndim);
    int64_t bs[CT_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) bs[i] = i == 1 ? C : 1;
    if (y && weight) y = ct_mul(y, ct_reshape(weight, bs, x->ndim));
    if (y && bias) y = ct_add(y, ct_reshape(bias, bs, x->ndim));
    r = y;
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r;
}

ct_tensor *ct_group_norm(const ct_tensor *x, int64_t num_groups, const ct_tensor *weight,
                         const ct_tensor *bias, double eps) {
    if (x->ndim < 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected at least 2 dimensions for input tensor but received %d", x->ndim);
    if (num_groups <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Expected num groups to be greater than 0, got %lld",
                       (long long)num_groups);
    int64_t C = x->sizes[1];
    if (C % num_groups != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected number of channels in input to be divisible by num_groups, but "
                       "got input of shape %s and num_groups=%lld",
                       ct__shp(x), (long long)num_groups);
    if (check_vec("weight", weight, x, C) < 0 || check_vec("bias", bias, x, C) < 0) return NULL;
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "\"GroupNormKernelImpl\" not implemented for '%s'",
                       ct_dtype_name(x->dtype));
    ct_tensor *y = fused_ok(x, weight, bias) ? gn_fused(CT_OP_group_norm, x, num_groups, weight, bias, eps, NULL)
                               : gn_composed(x, num_groups, weight, bias, eps);
    return y ? ct_autorelease(y) : NULL;
}

ct_tensor *ct_instance_norm(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                            const ct_tensor *weight, const ct_tensor *bias, bool use_input_stats,
                            double momentum, double eps) {
    if (x->ndim < 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected at least 2 dimensions for input tensor but received %d", x->ndim);
    int64_t N = x->sizes[0], C = x->sizes[1];
    const char *names[4] = {"running_mean", "running_var", "weight", "bias"};
    const ct_tensor *ps[4] = {running_mean, running_var, weight, bias};
    for (int k = 0; k < 4; k++)
        if (ps[k] && ps[k]->numel != C)
            return CT_FAIL(CT_ERR_RUNTIME, "instance_norm: %s should contain %lld elements not %lld",
                           names[k], (long long)C, (long long)ps[k]->numel);
    if (!use_input_stats) {
        if (!running_mean || !running_var)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Expected running_mean and running_var to be defined when "
                           "use_input_stats is false");
        return ct_batch_norm(x, running_mean, running_var, weight, bias, false, momentum, eps);
    }
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "instance_norm: expected a floating input, got %s",
                       ct_dtype_name(x->dtype));
    bool stats_cpu = (!running_mean || ct__on_cpu(running_mean)) && (!running_var || ct__on_cpu(running_var));
    if (!fused_ok(x, weight, bias) || !stats_cpu) {
        if (running_mean || running_var)
            return CT_FAIL(CT_ERR_NOT_IMPL,
                           "instance_norm: running statistics of %s inputs are not implemented",
                           ct_dtype_name(x->dtype));
        ct_tensor *y = gn_composed(x, C, weight, bias, eps);
        return y ? ct_autorelease(y) : NULL;
    }
    bool stats = (running_mean || running_var) && N * C > 0;
    double *mv = NULL;
    ct_tensor *y = gn_fused(CT_OP_instance_norm, x, C, weight, bias, eps, stats ? &mv : NULL);
    if (!y) return NULL;
    if (stats) {
        int64_t S = x->numel / (N * C);
        double unbias = S > 1 ? (double)S / (double)(S - 1) : NAN;
        ct_tensor *rs[2] = {running_mean, running_var};
        for (int k = 0; k < 2; k++) {
            if (!rs[k]) continue;
            bool err = false;
            double *r = ct__norm_doubles(rs[k], &err);
            if (err) {
                free(mv);
                ct_release(y);
                return NULL;
            }
            for (int64_t c = 0; c < C; c++) {
                double s = 0;
                for (int64_t n = 0; n < N; n++) s += mv[k * N * C + n * C + c];
                s /= (double)N;
                if (k) s *= unbias;
                r[c] += momentum * (s - r[c]);
            }
            ct__norm_store(rs[k], r);
            free(r);
        }
        free(mv);
    }
    return ct_autorelease(y);
}

/* ------------------------------------------------------------ backward helpers */
int ct__group_norm_backward(const ct_tensor *g, const ct_tensor *x, const ct_tensor *weight,
                            const ct_tensor *mean, const ct_tensor *rstd, int64_t G,
                            ct_tensor **dx, ct_tensor **dw, ct_tensor **db) {
    int64_t N = x->sizes[0], C = x->sizes[1], S = 1;
    for (int i = 2; i < x->ndim; i++) S *= x->sizes[i];
    bool err = false;
    double *w = ct__norm_doubles(weight, &err), *m = ct__norm_doubles(mean, &err);
    double *r = ct__norm_doubles(rstd, &err);
    double *st = err ? NULL : malloc(sizeof(double) * (size_t)(2 * C + 1));
    ct_tensor *xc = NULL, *gc = NULL, *gi = NULL, *gw = NULL, *gb = NULL;
    int rc = -1;
    if (!st) {
        if (!err) ct_set_error(CT_ERR_MEMORY, "group_norm backward: out of memory");
        goto done;
    }
    xc = ct__contiguous(x);
    gc = xc ? ct__norm_contig(g, x->dtype) : NULL;
    if (!gc) goto done;
    if (dx && !(gi = ct__empty(x->sizes, x->ndim, x->dtype))) goto done;
    for (int64_t c = 0; c < 2 * C; c++) st[c] = 0;
    if (x->numel > 0 &&
        ct__gn_backward_kernel(x->dtype, ct_data_ptr(gc), ct_data_ptr(xc), gi ? ct_data_ptr(gi) : NULL,
                               N, C, S, G, w, m, r, dw ? st : NULL, db ? st + C : NULL) < 0)
        goto done;
    if (ct__norm_param_grads(dw ? st : NULL, db ? st + C : NULL, &C, 1, x->dtype, &gw, &gb) < 0)
        goto done;
    rc = 0;
done:
    free(w), free(m), free(r), free(st);
    if (xc) ct_release(xc);
    if (gc) ct_release(gc);
    ct_tensor *outs[3] = {gi, gw, gb}, **dst[3] = {dx, dw, db};
    return ct__norm_hand_out(rc, outs, dst);
}
