/* Derivatives of the reductions and scans (include/ctorch/def/reduce.def),
 * written with differentiable ops. args.dims are the reduced dims
 * (ascending), args.b[0] keepdim. */
#include "autograd/ag_internal.h"

#include <math.h>

#define NEED(i) ct__ag_needs(n, i)
#define IN(i) ct__ag_input(n, i)
#define OUT() ct__ag_output(n)

/* t with the reduced dims put back as size 1 (no-op with keepdim). */
static ct_tensor *unsq(const ct_node *n, ct_tensor *t) {
    if (!t || n->args.b[0] || n->in[0].ndim == 0) return t;
    for (int i = 0; i < n->args.ndims && t; i++) t = ct_unsqueeze(t, (int)n->args.dims[i]);
    return t;
}

static int64_t reduced_count(const ct_node *n) {
    int64_t c = 1;
    for (int i = 0; i < n->args.ndims; i++) c *= n->in[0].sizes[n->args.dims[i]];
    return c;
}

static int dims_int(const ct_node *n, int *d) {
    for (int i = 0; i < n->args.ndims; i++) d[i] = (int)n->args.dims[i];
    return n->args.ndims;
}

static int done(ct_tensor **gin, ct_tensor *r) {
    gin[0] = r;
    return r ? 0 : -1;
}

static int d_sum(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *u = unsq(n, g[0]);
    return done(gin, u ? ct_expand(u, n->in[0].sizes, n->in[0].ndim) : NULL);
}

static int d_mean(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *u = unsq(n, g[0]);
    ct_tensor *e = u ? ct_expand(u, n->in[0].sizes, n->in[0].ndim) : NULL;
    return done(gin, e ? ct_div_scalar(e, (double)reduced_count(n)) : NULL);
}

/* prod: d/dx_i = product of the others, from exclusive prefix and suffix
 * products along the dim (exact with zeros). */
static int d_prod(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    const ct_in_meta *m = &n->in[0];
    if (x->numel == 0) return done(gin, ct__ag_zeros(m->sizes, m->ndim, x->dtype, x->storage->device));
    bool full = n->args.ndims != 1 || m->ndim <= 1;
    ct_tensor *xs = full ? ct_reshape(x, (const int64_t[]){-1}, 1) : x;
    int d = full ? 0 : (int)n->args.dims[0];
    if (!xs) return -1;
    int64_t len = xs->sizes[d];
    int64_t os[CT_MAX_DIMS];
    for (int i = 0; i < xs->ndim; i++) os[i] = i == d ? 1 : xs->sizes[i];
    ct_tensor *one = ct__ag_ones(os, xs->ndim, xs->dtype, xs->storage->device);
    ct_tensor *others;
    if (len == 1) {
        others = one;
    } else {
        ct_tensor *cp = ct_cumprod(xs, d, -1);
        const int fd[1] = {d};
        ct_tensor *rc = ct_flip(ct_cumprod(ct_flip(xs, fd, 1), d, -1), fd, 1);
        if (!cp || !rc) return -1;
        const ct_tensor *l[2] = {one, ct_narrow(cp, d, 0, len - 1)};
        const ct_tensor *r[2] = {ct_narrow(rc, d, 1, len - 1), one};
        if (!l[1] || !r[0]) return -1;
        ct_tensor *left = ct_cat(l, 2, d), *right = ct_cat(r, 2, d);
        others = left && right ? ct_mul(left, right) : NULL;
    }
    if (!others) return -1;
    ct_tensor *gg = full ? g[0] : unsq(n, g[0]);
    ct_tensor *r = gg ? ct_mul(others, gg) : NULL;
    return done(gin, r ? ct_reshape(r, m->sizes, m->ndim) : NULL);
}

/* max/min over everything, amax/amin: ties share the gradient evenly */
static int d_extreme_even(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0), *y = OUT();
    if (!x || !y) return -1;
    int dims[CT_MAX_DIMS], nd = dims_int(n, dims);
    ct_tensor *mask = ct_to_dtype(ct_eq(x, unsq(n, y)), g[0]->dtype, false);
    if (!mask) return -1;
    ct_tensor *count = nd ? ct_sum_dims(mask, dims, nd, true, -1) : mask;
    ct_tensor *share = count ? ct_div(unsq(n, g[0]), count) : NULL;
    return done(gin, share ? ct_mul(mask, share) : NULL);
}

/* max/min along a dim, cummax/cummin: the gradient goes to the indices */
static int d_to_indices(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->nextra == 0 || !n->extra[0].t) return d_extreme_even(n, g, gin);
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    int d = (int)n->args.dims[0];
    ct_tensor *gg = g[0];
    if (n->op == CT_OP_max || n->op == CT_OP_min) {
        gg = unsq(n, gg);
        idx = unsq(n, idx);
        if (!gg || !idx) return -1;
    }
    return done(gin, ct__ag_scatter_dim(gg, idx, d, n->in[0].sizes, n->in[0].ndim));
}

static int d_var_std(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    int dims[CT_MAX_DIMS], nd = dims_int(n, dims);
    double div = (double)reduced_count(n) - n->args.f[0];
    ct_tensor *mu = ct_mean_dims(x, dims, nd, true, -1);
    ct_tensor *dev = mu ? ct_sub(x, mu) : NULL;
    ct_tensor *gg = unsq(n, g[0]);
    if (!dev || !gg) return -1;
    if (n->op == CT_OP_var) return done(gin, ct_mul(dev, ct_mul_scalar(gg, 2.0 / div)));
    ct_tensor *y = OUT();
    ct_tensor *s = y ? ct_div(gg, ct_mul_scalar(unsq(n, y), div)) : NULL;
    return done(gin, s ? ct_mul(dev, s) : NULL);
}

static int d_norm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double p = n->args.f[0];
    ct_tensor *x = IN(0);
    if (!x) return -1;
    if (p == 0) return done(gin, ct_mul_scalar(ct_expand(unsq(n, g[0]), n->in[0].sizes, n->in[0].ndim), 0.0));
    if (p == 1) return done(gin, ct_mul(ct_sign(x), unsq(n, g[0])));
    ct_tensor *y = OUT();
    if (!y) return -1;
    ct_tensor *yu = unsq(n, y), *gg = unsq(n, g[0]);
    if (!yu || !gg) return -1;
    if (isinf(p)) {
        int dims[CT_MAX_DIMS], nd = dims_int(n, dims);
        ct_tensor *mask = ct_to_dtype(ct_eq(ct_abs(x), yu), x->dtype, false);
        ct_tensor *count = mask && nd ? ct_sum_dims(mask, dims, nd, true, -1) : mask;
        ct_tensor *share = count ? ct_div(gg, count) : NULL;
        return done(gin, share ? ct_mul(ct_mul(ct_sign(x), mask), share) : NULL);
    }
    /* x |x|^(p-2) / y^(p-1), zero where the norm is zero */
    ct_tensor *num = p == 2 ? x : ct_mul(x, ct_pow_scalar(ct_abs(x), p - 2));
    ct_tensor *den = p == 2 ? yu : ct_pow_scalar(yu, p - 1);
    ct_tensor *q = num && den ? ct_div(ct_mul(num, gg), den) : NULL;
    return done(gin, q ? ct_where(ct_eq_scalar(yu, 0), ct_wrapped_float(0), q) : NULL);
}

static int d_logsumexp(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0), *y = OUT();
    if (!x || !y) return -1;
    return done(gin, ct_mul(unsq(n, g[0]), ct_exp(ct_sub(x, unsq(n, y)))));
}

static ct_tensor *rev_cumsum(ct_tensor *t, int d) {
    const int fd[1] = {d};
    return t ? ct_flip(ct_cumsum(ct_flip(t, fd, 1), d, -1), fd, 1) : NULL;
}

static int d_cumsum(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->in[0].ndim == 0) return done(gin, g[0]);
    return done(gin, rev_cumsum(g[0], (int)n->args.dims[0]));
}

/* cumprod: sum_{k >= i} g_k y_k / x_i (inputs must be nonzero) */
static int d_cumprod(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0), *y = OUT();
    if (!x || !y) return -1;
    if (n->in[0].ndim == 0) return done(gin, g[0]);
    ct_tensor *s = rev_cumsum(ct_mul(g[0], y), (int)n->args.dims[0]);
    return done(gin, s ? ct_div(s, x) : NULL);
}

void ct__ag_register_reduce(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_sum] = (ct_deriv){d_sum, 0, 0, 0, 0};
    t[CT_OP_mean] = (ct_deriv){d_mean, 0, 0, 0, 0};
    t[CT_OP_prod] = (ct_deriv){d_prod, 0x1, 0, 0, 0};
    t[CT_OP_max] = (ct_deriv){d_to_indices, 0x1 | CT_SAVE_OUTPUT, 1, 0, 0};
    t[CT_OP_min] = (ct_deriv){d_to_indices, 0x1 | CT_SAVE_OUTPUT, 1, 0, 0};
    t[CT_OP_amax] = (ct_deriv){d_extreme_even, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_amin] = (ct_deriv){d_extreme_even, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_var] = (ct_deriv){d_var_std, 0x1, 0, 0, 0};
    t[CT_OP_std] = (ct_deriv){d_var_std, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_norm] = (ct_deriv){d_norm, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_logsumexp] = (ct_deriv){d_logsumexp, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_cumsum] = (ct_deriv){d_cumsum, 0, 0, 0, 0};
    t[CT_OP_cumprod] = (ct_deriv){d_cumprod, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_cummax] = (ct_deriv){d_to_indices, 0, 1, 0, 0};
    t[CT_OP_cummin] = (ct_deriv){d_to_indices, 0, 1, 0, 0};
}
