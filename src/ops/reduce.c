/* Reductions: argument checks, result shapes and dtypes, and the finishing
 * step (mean's division, sqrt, log, ...) around the kernels of
 * src/kernels/cpu/reduce.c. What each op records for autograd is documented
 * in include/ctorch/def/reduce.def. */
#include "reduce_internal.h"

#include <math.h>

/* ------------------------------------------------------------ helpers */
/* Marks the reduced dims of x in mask (none given = every dim, like PyTorch's
 * dim=()), and lists them ascending in a->dims. Returns 0 or -1. */
static int reduce_mask(const char *op, const ct_tensor *x, const int *dims, int ndims,
                       bool *mask, ct_op_args *a) {
    memset(mask, 0, sizeof(bool) * CT_MAX_DIMS);
    memset(a, 0, sizeof *a);
    if (ndims < 0 || ndims > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "%s: bad number of dims %d", op, ndims);
        return -1;
    }
    if (!dims || ndims == 0) {
        for (int d = 0; d < x->ndim; d++) mask[d] = true;
    } else {
        bool seen[CT_MAX_DIMS] = {false};
        for (int i = 0; i < ndims; i++) {
            int w = ct_wrap_dim(op, dims[i], x->ndim);
            if (w < 0) return -1;
            if (seen[w]) {
                ct_set_error(CT_ERR_RUNTIME, "%s: dim %d appears multiple times in the list of dims",
                             op, w);
                return -1;
            }
            seen[w] = true;
            if (x->ndim > 0) mask[w] = true;
        }
    }
    for (int d = 0; d < x->ndim; d++)
        if (mask[d]) a->dims[a->ndims++] = d;
    return 0;
}

static int out_shape(const ct_tensor *x, const bool *mask, bool keepdim, int64_t *shape,
                     int64_t *nred) {
    int n = 0;
    *nred = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (mask[d]) {
            *nred *= x->sizes[d];
            if (keepdim) shape[n++] = 1;
        } else {
            shape[n++] = x->sizes[d];
        }
    }
    return n;
}

/* The dtype kernels compute in: float16/bfloat16 go through float32. */
static ct_dtype compute_dtype(ct_dtype dt) {
    return dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? CT_FLOAT32 : dt;
}

typedef enum {
    POST_NONE,   /* v */
    POST_SCALE,  /* v * s */
    POST_SQRT,   /* sqrt(v * s) */
    POST_LOG,    /* log(v) + centre */
    POST_ROOT,   /* v^(1/p) */
    POST_ANY,    /* v != 0 */
    POST_ALL,    /* v == s */
} post_kind;
_Static_assert((int)POST_NONE == CT_RP_NONE && (int)POST_SCALE == CT_RP_SCALE &&
                   (int)POST_SQRT == CT_RP_SQRT && (int)POST_LOG == CT_RP_LOG &&
                   (int)POST_ROOT == CT_RP_ROOT && (int)POST_ANY == CT_RP_ANY &&
                   (int)POST_ALL == CT_RP_ALL,
               "one numbering of the post steps for the CPU and the GPU");

/* A reduction of x on its GPU (ct__cuda->reduce): the result finished in
 * place, no accumulator array on the host, no synchronisation. */
static int gpu_reduce(const ct_tensor *x, const bool *mask, ct_rkind kind, double p,
                      const ct_tensor *centre, post_kind post, double s, ct_tensor *out,
                      ct_tensor *idx) {
    return ct__cuda->reduce(x, mask, (int)kind, p, centre, (int)post, s, out, idx);
}

/* Writes the accumulators into the contiguous out, finishing each value. */
static void store_acc(ct_tensor *out, const void *acc, bool isint, post_kind post, double s,
                      const double *centre) {
    int64_t n = out->numel;
    char *o = ct_data_ptr(out);
    size_t osz = ct_dtype_size(out->dtype);
    if (isint) {
        const uint64_t *a = acc;
        if (post == POST_ANY || post == POST_ALL) {
            uint64_t want = (uint64_t)s;
            for (int64_t i = 0; i < n; i++)
                ct__store_i64(o + i * (int64_t)osz, out->dtype,
                              post == POST_ANY ? a[i] != 0 : a[i] == want);
        } else if (post == POST_NONE && out->dtype == CT_INT64) {
            memcpy(o, a, (size_t)n * 8);
        } else if (post == POST_NONE && !ct_dtype_is_floating(out->dtype)) {
            for (int64_t i = 0; i < n; i++)
                ct__store_i64(o + i * (int64_t)osz, out->dtype, (int64_t)a[i]);
        } else {
            for (int64_t i = 0; i < n; i++) {
                double v = post == POST_SCALE ? (double)a[i] * s : (double)a[i];
                ct__store_f64(o + i * (int64_t)osz, out->dtype, v);
            }
        }
        return;
    }
    const double *a = acc;
    if (post == POST_NONE && out->dtype == CT_FLOAT32) {
        float *f = (float *)o;
        for (int64_t i = 0; i < n; i++) f[i] = (float)a[i];
        return;
    }
    if (post == POST_NONE && out->dtype == CT_FLOAT64) {
        memcpy(o, a, (size_t)n * 8);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        double v = a[i];
        switch (post) {
        case POST_SCALE: v *= s; break;
        case POST_SQRT: v = sqrt(v * s); break;
        case POST_LOG: v = log(v) + (centre ? centre[i] : 0); break;
        case POST_ROOT: v = pow(v, 1.0 / s); break;
        default: break;
        }
        ct__store_f64(o + i * (int64_t)osz, out->dtype, v);
    }
}

/* Accumulator arrays come from the caching allocator (a large reduction
 * would otherwise pay page faults on fresh memory every call); the size sits
 * in a 64-byte header so that acc_free needs only the pointer. */
static void *acc_alloc(int64_t n) {
    size_t nbytes = 64 + 8 * (size_t)(n > 0 ? n : 1);
    char *p = ct_host_alloc(nbytes);
    if (!p) return CT_FAIL(CT_ERR_MEMORY, "reduce: out of memory");
    memcpy(p, &nbytes, sizeof nbytes);
    return p + 64;
}
static void acc_free(void *a) {
    if (!a) return;
    size_t nbytes;
    memcpy(&nbytes, (char *)a - 64, sizeof nbytes);
    ct_host_free((char *)a - 64, nbytes);
}

/* Runs a kernel into a fresh accumulator array (one per output). */
static void *reduce_acc(const ct_tensor *x, const bool *mask, ct_rkind kind, double p,
                        const double *centre, int64_t nout, int64_t *idx) {
    void *acc = acc_alloc(nout);
    if (!acc) return NULL;
    if (nout > 0 && ct__reduce_kernel(x, mask, kind, p, centre, acc, idx) < 0) {
        acc_free(acc);
        return NULL;
    }
    return acc;
}

static int fill(ct_tensor *t, double v) {
    if (!ct__on_cpu(t)) return t->numel ? ct__cuda->fill(t, v) : 0;
    char *o = ct_data_ptr(t);
    size_t sz = ct_dtype_size(t->dtype);
    for (int64_t i = 0; i < t->numel; i++) ct__store_f64(o + i * (int64_t)sz, t->dtype, v);
    return 0;
}

/* Records out (owned) for autograd; releases it and returns NULL on error. */
static ct_tensor *finish(ct_tensor *out, int op, const ct_tensor *x, const ct_tensor *extra,
                         const ct_op_args *a) {
    if (!out) return NULL;
    const ct_tensor *ex[1] = {extra};
    if (ct__needs_grad(&x, 1) &&
        ct__ag_record(op, out, &x, 1, extra ? ex : NULL, extra ? 1 : 0, a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

static bool valid_dtype_arg(const char *op, int dtype) {
    if (dtype < -1 || dtype >= CT_NUM_DTYPES) {
        ct_set_error(CT_ERR_TYPE, "%s: invalid dtype %d", op, dtype);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ sum, mean, prod */
/* One reduction whose result is a finished sum-like or product accumulator.
 * Returns an owned tensor (no autograd, no scope). */
static ct_tensor *fold(const ct_tensor *x, const bool *mask, bool keepdim,
                       ct_rkind kind, ct_dtype rd, post_kind post, double empty_value) {
    int64_t shape[CT_MAX_DIMS] = {0}, nred;
    int nd = out_shape(x, mask, keepdim, shape, &nred);
    ct_tensor *out = ct__empty_on(shape, nd, rd, x->storage->device);
    if (!out) return NULL;
    if (nred == 0 || out->numel == 0) {
        if (fill(out, empty_value) < 0) {
            ct_release(out);
            return NULL;
        }
        return out;
    }
    ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
    if (!xc) {
        ct_release(out);
        return NULL;
    }
    if (!ct__on_cpu(xc)) {
        int rc = gpu_reduce(xc, mask, kind, 0, NULL, post, 1.0 / (double)nred, out, NULL);
        ct_release(xc);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
        return out;
    }
    void *acc = reduce_acc(xc, mask, kind, 0, NULL, out->numel, NULL);
    if (acc) store_acc(out, acc, ct__rk_int_acc(kind, xc->dtype), post, 1.0 / (double)nred, NULL);
    acc_free(acc);
    ct_release(xc);
    if (!acc) {
        ct_release(out);
        return NULL;
    }
    return out;
}

/* sum / mean / prod: the input is first cast to dtype when one is given. */
static ct_tensor *sum_like(const char *op, int opid, const ct_tensor *x, const int *dims,
                           int ndims, bool keepdim, int dtype, ct_rkind kind, bool mean) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (!valid_dtype_arg(op, dtype) || reduce_mask(op, x, dims, ndims, mask, &a) < 0) return NULL;
    ct_dtype in = dtype >= 0 ? (ct_dtype)dtype : x->dtype;
    if (mean && !ct_dtype_is_floating(in))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "mean(): could not infer output dtype. Input dtype must be either a "
                       "floating point or complex dtype. Got: %s",
                       ct_dtype_name(in));
    ct_dtype rd = (ct_dtype_is_floating(in) || dtype >= 0) ? in : CT_INT64;
    ct_tensor *xin = ct__to_dtype(x, in, false);
    if (!xin) return NULL;
    double empty = kind == CT_RK_PROD ? 1 : mean ? NAN : 0;
    ct_tensor *out = fold(xin, mask, keepdim, kind, rd, mean ? POST_SCALE : POST_NONE, empty);
    ct_release(xin);
    a.b[0] = keepdim;
    a.i[0] = rd;
    return finish(out, opid, x, NULL, &a);
}

ct_tensor *ct_sum(const ct_tensor *x) { return ct_sum_dims(x, NULL, 0, false, -1); }
ct_tensor *ct_sum_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim, int dtype) {
    return sum_like("sum", CT_OP_sum, x, dims, ndims, keepdim, dtype, CT_RK_SUM, false);
}
ct_tensor *ct_mean(const ct_tensor *x) { return ct_mean_dims(x, NULL, 0, false, -1); }
ct_tensor *ct_mean_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim,
                        int dtype) {
    return sum_like("mean", CT_OP_mean, x, dims, ndims, keepdim, dtype, CT_RK_SUM, true);
}
ct_tensor *ct_prod(const ct_tensor *x) {
    return sum_like("prod", CT_OP_prod, x, NULL, 0, false, -1, CT_RK_PROD, false);
}
ct_tensor *ct_prod_dim(const ct_tensor *x, int dim, bool keepdim, int dtype) {
    return sum_like("prod", CT_OP_prod, x, &dim, 1, keepdim, dtype, CT_RK_PROD, false);
}

/* ------------------------------------------------------------ extremes */
static ct_tensor *extreme_all(const char *op, int opid, const ct_tensor *x, const int *dims,
                              int ndims, bool keepdim, ct_rkind kind) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (reduce_mask(op, x, dims, ndims, mask, &a) < 0) return NULL;
    if (x->numel == 0) {
        if (!dims || ndims == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.",
                           op);
        for (int d = 0; d < x->ndim; d++)
            if (mask[d] && x->sizes[d] == 0)
                return CT_FAIL(CT_ERR_INDEX,
                               "%s(): Expected reduction dim %d to have non-zero size.", op, d);
    }
    ct_tensor *out = fold(x, mask, keepdim, kind, x->dtype, POST_NONE, 0);
    a.b[0] = keepdim;
    return finish(out, opid, x, NULL, &a);
}

ct_tensor *ct_max(const ct_tensor *x) {
    return extreme_all("max", CT_OP_max, x, NULL, 0, false, CT_RK_MAX);
}
ct_tensor *ct_min(const ct_tensor *x) {
    return extreme_all("min", CT_OP_min, x, NULL, 0, false, CT_RK_MIN);
}
ct_tensor *ct_amax(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    return extreme_all("amax", CT_OP_amax, x, dims, ndims, keepdim, CT_RK_MAX);
}
ct_tensor *ct_amin(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    return extreme_all("amin", CT_OP_amin, x, dims, ndims, keepdim, CT_RK_MIN);
}

/* Values and int64 indices of the extreme along one dim (owned results).
 * dim < 0 after wrapping means "flattened" (argmax without dim). */
static ct_tensor *arg_extreme(const char *op, const ct_tensor *x, const int *dimp, bool keepdim,
                              ct_rkind kind, ct_tensor **idx_out, ct_op_args *a) {
    memset(a, 0, sizeof *a);
    a->b[0] = keepdim;
    const ct_tensor *src = x;
    ct_tensor *flat = NULL;
    bool mask[CT_MAX_DIMS] = {false};
    int64_t shape[CT_MAX_DIMS] = {0};
    int nd = 0;
    if (!dimp) {
        if (x->numel == 0)
            return CT_FAIL(CT_ERR_INDEX,
                           "%s(): Expected reduction dim to be specified for input.numel() == 0.",
                           op);
        ct_tensor *xc = ct__contiguous(x);
        if (!xc) return NULL;
        int64_t n = x->numel;
        flat = ct__tensor_new(xc->storage, xc->dtype, &n, NULL, 1, xc->offset);
        ct_release(xc);
        if (!flat) return NULL;
        src = flat;
        mask[0] = true;
        if (keepdim)
            for (int d = 0; d < x->ndim; d++) shape[nd++] = 1;
        a->ndims = x->ndim;
        for (int d = 0; d < x->ndim; d++) a->dims[d] = d;
    } else {
        int d = ct_wrap_dim(op, *dimp, x->ndim);
        if (d < 0) return NULL;
        if (x->ndim > 0 && x->sizes[d] == 0)
            return CT_FAIL(CT_ERR_INDEX, "%s(): Expected reduction dim %d to have non-zero size.",
                           op, d);
        if (x->ndim > 0) mask[d] = true;
        int64_t nred;
        nd = out_shape(x, mask, keepdim, shape, &nred);
        a->ndims = 1;
        a->dims[0] = d;
    }
    ct_tensor *vals = ct__empty_on(shape, nd, x->dtype, x->storage->device);
    ct_tensor *idx = vals ? ct__empty_on(shape, nd, CT_INT64, x->storage->device) : NULL;
    ct_tensor *sc = vals && idx ? ct__to_dtype(src, compute_dtype(src->dtype), false) : NULL;
    void *acc = NULL;
    if (sc && !ct__on_cpu(sc)) {
        acc = gpu_reduce(sc, mask, kind, 0, NULL, POST_NONE, 0, vals, idx) == 0 ? vals : NULL;
    } else {
        acc = sc ? reduce_acc(sc, mask, kind, 0, NULL, vals->numel, ct_data_ptr(idx)) : NULL;
        if (acc) store_acc(vals, acc, ct__rk_int_acc(kind, sc->dtype), POST_NONE, 0, NULL);
        acc_free(acc);
    }
    ct_release(sc);
    ct_release(flat);
    if (!acc) {
        ct_release(vals);
        ct_release(idx);
        return NULL;
    }
    *idx_out = idx;
    return vals;
}

static ct_tensor *max_dim(const char *op, int opid, const ct_tensor *x, int dim, bool keepdim,
                          ct_rkind kind, ct_tensor **indices) {
    ct_op_args a;
    ct_tensor *idx = NULL;
    ct_tensor *vals = arg_extreme(op, x, &dim, keepdim, kind, &idx, &a);
    if (!vals) return NULL;
    if (ct__needs_grad(&x, 1)) {
        const ct_tensor *ex[1] = {idx};
        if (ct__ag_record(opid, vals, &x, 1, ex, 1, &a) < 0) {
            ct_release(vals);
            ct_release(idx);
            return NULL;
        }
    }
    if (indices) *indices = ct_autorelease(idx);
    else ct_release(idx);
    return ct_autorelease(vals);
}

ct_tensor *ct_max_dim(const ct_tensor *x, int dim, bool keepdim, ct_tensor **indices) {
    return max_dim("max", CT_OP_max, x, dim, keepdim, CT_RK_ARGMAX, indices);
}
ct_tensor *ct_min_dim(const ct_tensor *x, int dim, bool keepdim, ct_tensor **indices) {
    return max_dim("min", CT_OP_min, x, dim, keepdim, CT_RK_ARGMIN, indices);
}

static ct_tensor *argx(const char *op, const ct_tensor *x, const int *dim, bool keepdim,
                       ct_rkind kind) {
    ct_op_args a;
    ct_tensor *idx = NULL;
    ct_tensor *vals = arg_extreme(op, x, dim, keepdim, kind, &idx, &a);
    if (!vals) return NULL;
    ct_release(vals);
    return ct_autorelease(idx);
}
ct_tensor *ct_argmax(const ct_tensor *x, const int *dim, bool keepdim) {
    return argx("argmax", x, dim, keepdim, CT_RK_ARGMAX);
}
ct_tensor *ct_argmin(const ct_tensor *x, const int *dim, bool keepdim) {
    return argx("argmin", x, dim, keepdim, CT_RK_ARGMIN);
}

ct_tensor *ct_aminmax(const ct_tensor *x, const int *dim, bool keepdim, ct_tensor **max_out) {
    bool empty = x->numel == 0 && !dim;
    if (dim && x->ndim > 0) {
        int d = ct_wrap_dim("aminmax", *dim, x->ndim);
        if (d < 0) return NULL;
        empty = x->sizes[d] == 0;
    }
    if (empty)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "aminmax(): cannot compute aminmax over an empty dimension as the "
                       "operation has no identity.");
    ct_scope s = ct_scope_begin();
    ct_tensor *mn = ct_amin(x, dim, dim ? 1 : 0, keepdim);
    ct_tensor *mx = mn ? ct_amax(x, dim, dim ? 1 : 0, keepdim) : NULL;
    if (mx) {
        ct_keep(mn);
        ct_keep(mx);
    }
    ct_scope_end(s);
    if (!mx) return NULL;
    if (max_out) *max_out = ct_autorelease(mx);
    else ct_release(mx);
    return ct_autorelease(mn);
}

/* ------------------------------------------------------------ var, std */
static bool require_floating(const char *what, const ct_tensor *x) {
    if (ct_dtype_is_floating(x->dtype)) return true;
    ct_set_error(CT_ERR_RUNTIME, "%s", what);
    return false;
}

/* Two passes: per-output means (pairwise sums in double), then the sum of
 * squared deviations from them. Stable for data with a large mean. */
static ct_tensor *var_std(const char *op, int opid, const ct_tensor *x, const int *dims,
                          int ndims, double correction, bool keepdim, bool take_sqrt) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (reduce_mask(op, x, dims, ndims, mask, &a) < 0) return NULL;
    if (!require_floating("std and var only support floating point and complex dtypes", x))
        return NULL;
    int64_t shape[CT_MAX_DIMS] = {0}, nred;
    int nd = out_shape(x, mask, keepdim, shape, &nred);
    ct_tensor *out = ct__empty_on(shape, nd, x->dtype, x->storage->device);
    if (!out) return NULL;
    double div = (double)nred - correction;
    if (nred == 0 || out->numel == 0) {
        if (fill(out, NAN) < 0) {
            ct_release(out);
            return NULL;
        }
    } else if (!ct__on_cpu(x)) { /* the per-output means stay on the GPU */
        ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
        ct_tensor *mean = xc ? ct__empty_on(shape, nd, CT_FLOAT64, x->storage->device) : NULL;
        int rc = mean ? gpu_reduce(xc, mask, CT_RK_SUM, 0, NULL, POST_SCALE, 1.0 / (double)nred,
                                   mean, NULL)
                      : -1;
        if (rc == 0)
            rc = gpu_reduce(xc, mask, CT_RK_SQDEV, 0, mean, take_sqrt ? POST_SQRT : POST_SCALE,
                            1.0 / (div > 0 ? div : 0), out, NULL);
        ct_release(mean);
        ct_release(xc);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    } else {
        ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
        double *mean = xc ? reduce_acc(xc, mask, CT_RK_SUM, 0, NULL, out->numel, NULL) : NULL;
        double *ss = NULL;
        if (mean) {
            for (int64_t i = 0; i < out->numel; i++) mean[i] /= (double)nred;
            ss = reduce_acc(xc, mask, CT_RK_SQDEV, 0, mean, out->numel, NULL);
        }
        if (ss) store_acc(out, ss, false, take_sqrt ? POST_SQRT : POST_SCALE,
                          1.0 / (div > 0 ? div : 0), NULL);
        acc_free(mean);
        acc_free(ss);
        ct_release(xc);
        if (!ss) {
            ct_release(out);
            return NULL;
        }
    }
    a.b[0] = keepdim;
    a.f[0] = correction;
    return finish(out, opid, x, NULL, &a);
}

ct_tensor *ct_var(const ct_tensor *x, const int *dims, int ndims, double correction,
                  bool keepdim) {
    return var_std("var", CT_OP_var, x, dims, ndims, correction, keepdim, false);
}
ct_tensor *ct_std(const ct_tensor *x, const int *dims, int ndims, double correction,
                  bool keepdim) {
    return var_std("std", CT_OP_std, x, dims, ndims, correction, keepdim, true);
}

static ct_tensor *stat_mean(ct_tensor *(*f)(const ct_tensor *, const int *, int, double, bool),
                            const ct_tensor *x, const int *dims, int ndims, double correction,
                            bool keepdim, ct_tensor **mean_out) {
    ct_scope s = ct_scope_begin();
    ct_tensor *v = f(x, dims, ndims, correction, keepdim);
    ct_tensor *m = v ? ct_mean_dims(x, dims, ndims, keepdim, -1) : NULL;
    if (m) {
        ct_keep(v);
        ct_keep(m);
    }
    ct_scope_end(s);
    if (!m) return NULL;
    if (mean_out) *mean_out = ct_autorelease(m);
    else ct_release(m);
    return ct_autorelease(v);
}
ct_tensor *ct_var_mean(const ct_tensor *x, const int *dims, int ndims, double correction,
                       bool keepdim, ct_tensor **mean_out) {
    return stat_mean(ct_var, x, dims, ndims, correction, keepdim, mean_out);
}
ct_tensor *ct_std_mean(const ct_tensor *x, const int *dims, int ndims, double correction,
                       bool keepdim, ct_tensor **mean_out) {
    return stat_mean(ct_std, x, dims, ndims, correction, keepdim, mean_out);
}

/* ------------------------------------------------------------ norm, logsumexp */
ct_tensor *ct_norm(const ct_tensor *x, double p, const int *dims, int ndims, bool keepdim) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (reduce_mask("norm", x, dims, ndims, mask, &a) < 0) return NULL;
    if (!ct_dtype_is_floating(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "norm(): input dtype should be either floating point or complex. Got %s "
                       "instead.",
                       ct_dtype_name(x->dtype));
    if (isnan(p)) return CT_FAIL(CT_ERR_RUNTIME, "norm(): p must not be NaN");
    ct_rkind kind;
    post_kind post = POST_NONE;
    if (p == 2) kind = CT_RK_SQDEV, post = POST_SQRT;
    else if (p == 1) kind = CT_RK_ABS;
    else if (p == 0) kind = CT_RK_NZ;
    else if (isinf(p)) kind = p > 0 ? CT_RK_ABSMAX : CT_RK_ABSMIN;
    else kind = CT_RK_POW, post = POST_ROOT;
    int64_t shape[CT_MAX_DIMS] = {0}, nred;
    int nd = out_shape(x, mask, keepdim, shape, &nred);
    ct_tensor *out = ct__empty_on(shape, nd, x->dtype, x->storage->device);
    if (!out) return NULL;
    if (nred == 0 || out->numel == 0) {
        if (fill(out, 0) < 0) {
            ct_release(out);
            return NULL;
        }
    } else if (!ct__on_cpu(x)) {
        ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
        int rc = xc ? gpu_reduce(xc, mask, kind, p, NULL, post, post == POST_SQRT ? 1 : p, out, NULL)
                    : -1;
        ct_release(xc);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    } else {
        ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
        void *acc = xc ? reduce_acc(xc, mask, kind, p, NULL, out->numel, NULL) : NULL;
        if (acc) store_acc(out, acc, ct__rk_int_acc(kind, xc->dtype), post, post == POST_SQRT ? 1 : p,
                           NULL);
        acc_free(acc);
        ct_release(xc);
        if (!acc) {
            ct_release(out);
            return NULL;
        }
    }
    a.b[0] = keepdim;
    a.f[0] = p;
    return finish(out, CT_OP_norm, x, NULL, &a);
}

ct_tensor *ct_norm_fro(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    return ct_norm(x, 2, dims, ndims, keepdim);
}

/* log(sum(exp(x - m))) + m with m the per-output max (0 where it is
 * infinite, so that all -inf gives -inf and +inf gives +inf). */
/* The same on a GPU, composed of GPU reductions and pointwise ops (no
 * autograd; the caller records logsumexp): m = amax (0 where infinite),
 * log(sum(exp(x - m))) + m in the compute dtype, stored in rd. Owned. */
static ct_tensor *logsumexp_gpu(const ct_tensor *x, const bool *mask, bool keepdim, ct_dtype rd) {
    int rdims[CT_MAX_DIMS], nr = 0;
    for (int d = 0; d < x->ndim; d++)
        if (mask[d]) rdims[nr++] = d;
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *xc = ct_to_dtype(x, compute_dtype(rd), false);
    ct_tensor *m = xc ? ct_amax(xc, rdims, nr, true) : NULL;
    ct_tensor *inf = m ? ct_isinf(m) : NULL;
    m = inf ? ct_masked_fill(m, inf, 0) : NULL;
    ct_tensor *e = m ? ct_sub(xc, m) : NULL;
    e = e ? ct_exp(e) : NULL;
    ct_tensor *s = e ? ct_sum_dims(e, rdims, nr, true, -1) : NULL;
    ct_tensor *l = s ? ct_log(s) : NULL;
    l = l ? ct_add(l, m) : NULL;
    for (int k = nr - 1; l && !keepdim && k >= 0; k--) l = ct_squeeze_dim(l, rdims[k]);
    l = l ? ct_to_dtype(l, rd, false) : NULL;
    l = l ? ct_contiguous(l) : NULL;
    if (l) r = ct_keep(l);
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    return r;
}

ct_tensor *ct_logsumexp(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (reduce_mask("logsumexp", x, dims, ndims, mask, &a) < 0) return NULL;
    ct_dtype rd = ct_dtype_is_floating(x->dtype) ? x->dtype : ct_default_dtype();
    int64_t shape[CT_MAX_DIMS] = {0}, nred;
    int nd = out_shape(x, mask, keepdim, shape, &nred);
    ct_tensor *out = nred == 0 || ct__on_cpu(x) ? ct__empty_on(shape, nd, rd, x->storage->device)
                                                 : logsumexp_gpu(x, mask, keepdim, rd);
    if (!out) return NULL;
    if (nred == 0 || out->numel == 0) {
        if (fill(out, -INFINITY) < 0) {
            ct_release(out);
            return NULL;
        }
    } else if (ct__on_cpu(x)) {
        ct_tensor *xc = ct__to_dtype(x, compute_dtype(rd), false);
        double *m = xc ? reduce_acc(xc, mask, CT_RK_MAX, 0, NULL, out->numel, NULL) : NULL;
        double *s = NULL;
        if (m) {
            for (int64_t i = 0; i < out->numel; i++)
                if (isinf(m[i])) m[i] = 0;
            s = reduce_acc(xc, mask, CT_RK_EXPDEV, 0, m, out->numel, NULL);
        }
        if (s) store_acc(out, s, false, POST_LOG, 0, m);
        acc_free(m);
        acc_free(s);
        ct_release(xc);
        if (!s) {
            ct_release(out);
            return NULL;
        }
    }
    a.b[0] = keepdim;
    return finish(out, CT_OP_logsumexp, x, NULL, &a);
}

/* ------------------------------------------------------------ all, any, count_nonzero */
static ct_tensor *logical(const char *op, const ct_tensor *x, const int *dims, int ndims,
                          bool keepdim, post_kind post) {
    bool mask[CT_MAX_DIMS];
    ct_op_args a;
    if (reduce_mask(op, x, dims, ndims, mask, &a) < 0) return NULL;
    ct_dtype rd = post == POST_NONE ? CT_INT64 : x->dtype == CT_UINT8 ? CT_UINT8 : CT_BOOL;
    int64_t shape[CT_MAX_DIMS] = {0}, nred;
    int nd = out_shape(x, mask, keepdim, shape, &nred);
    ct_tensor *out = ct__empty_on(shape, nd, rd, x->storage->device);
    if (!out) return NULL;
    if (nred == 0 || out->numel == 0) {
        if (fill(out, post == POST_ALL ? 1 : 0) < 0) {
            ct_release(out);
            return NULL;
        }
        return ct_autorelease(out);
    }
    ct_tensor *xc = ct__to_dtype(x, compute_dtype(x->dtype), false);
    if (xc && !ct__on_cpu(xc)) {
        int rc = gpu_reduce(xc, mask, CT_RK_NZ, 0, NULL, post, (double)nred, out, NULL);
        ct_release(xc);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
        return ct_autorelease(out);
    }
    void *acc = xc ? reduce_acc(xc, mask, CT_RK_NZ, 0, NULL, out->numel, NULL) : NULL;
    if (acc) store_acc(out, acc, true, post, (double)nred, NULL);
    acc_free(acc);
    ct_release(xc);
    if (!acc) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

ct_tensor *ct_all(const ct_tensor *x) { return logical("all", x, NULL, 0, false, POST_ALL); }
ct_tensor *ct_all_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    return logical("all", x, dims, ndims, keepdim, POST_ALL);
}
ct_tensor *ct_any(const ct_tensor *x) { return logical("any", x, NULL, 0, false, POST_ANY); }
ct_tensor *ct_any_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim) {
    return logical("any", x, dims, ndims, keepdim, POST_ANY);
}
ct_tensor *ct_count_nonzero(const ct_tensor *x, const int *dims, int ndims) {
    return logical("count_nonzero", x, dims, ndims, false, POST_NONE);
}

/* ------------------------------------------------------------ scans */
static ct_tensor *scan(const char *op, int opid, const ct_tensor *x, int dim, int dtype,
                       ct_skind kind, ct_tensor **indices) {
    if (!valid_dtype_arg(op, dtype)) return NULL;
    bool gpu = !ct__on_cpu(x); /* ct__cuda exists: x is on a GPU */
    int d = ct_wrap_dim(op, dim, x->ndim);
    if (d < 0) return NULL;
    ct_dtype rd = x->dtype;
    if (kind == CT_SK_CUMSUM || kind == CT_SK_CUMPROD)
        rd = dtype >= 0 ? (ct_dtype)dtype : ct_dtype_is_floating(x->dtype) ? x->dtype : CT_INT64;
    ct_dtype cd = compute_dtype(rd);
    ct_tensor *xt = ct__to_dtype(x, cd, false);
    ct_tensor *xc = xt ? ct__contiguous(xt) : NULL;
    ct_release(xt);
    if (!xc) return NULL;
    ct_device dev = x->storage->device;
    ct_tensor *out = ct__empty_on(x->sizes, x->ndim, cd, dev);
    ct_tensor *idx = indices || kind >= CT_SK_CUMMAX ? ct__empty_on(x->sizes, x->ndim, CT_INT64, dev)
                                                     : NULL;
    int rc = out && (idx || kind < CT_SK_CUMMAX) ? 0 : -1;
    if (rc == 0 && x->numel > 0)
        rc = gpu ? ct__cuda->scan(xc, x->ndim ? d : 0, (int)kind, out, idx)
                 : ct__scan_kernel(xc, x->ndim ? d : 0, kind, out, idx);
    ct_release(xc);
    if (rc == 0 && cd != rd) {
        ct_tensor *o2 = ct__to_dtype(out, rd, false);
        ct_release(out);
        out = o2;
        if (!out) rc = -1;
    }
    if (rc < 0) {
        ct_release(out);
        ct_release(idx);
        return NULL;
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.ndims = 1;
    a.dims[0] = d;
    a.i[0] = rd;
    if (ct__needs_grad(&x, 1)) {
        const ct_tensor *ex[1] = {idx};
        if (ct__ag_record(opid, out, &x, 1, idx ? ex : NULL, idx ? 1 : 0, &a) < 0) {
            ct_release(out);
            ct_release(idx);
            return NULL;
        }
    }
    if (indices) *indices = ct_autorelease(idx);
    else ct_release(idx);
    return ct_autorelease(out);
}

ct_tensor *ct_cumsum(const ct_tensor *x, int dim, int dtype) {
    return scan("cumsum", CT_OP_cumsum, x, dim, dtype, CT_SK_CUMSUM, NULL);
}
ct_tensor *ct_cumprod(const ct_tensor *x, int dim, int dtype) {
    return scan("cumprod", CT_OP_cumprod, x, dim, dtype, CT_SK_CUMPROD, NULL);
}
ct_tensor *ct_cummax(const ct_tensor *x, int dim, ct_tensor **indices) {
    return scan("cummax", CT_OP_cummax, x, dim, -1, CT_SK_CUMMAX, indices);
}
ct_tensor *ct_cummin(const ct_tensor *x, int dim, ct_tensor **indices) {
    return scan("cummin", CT_OP_cummin, x, dim, -1, CT_SK_CUMMIN, indices);
}
