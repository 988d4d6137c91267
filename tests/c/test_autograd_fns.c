/* Custom functions used by the autograd tests (see test_autograd.h). */
#include "test_autograd.h"

#include <stdlib.h>

static double *vals(const ct_tensor *t) { return tt_values(t); }

static ct_tensor *from_vals(const double *v, const ct_tensor *like, ct_dtype dt) {
    return tt_tensor(v, like->sizes, like->ndim, dt);
}

/* ---- dot with a constant */
static int dot_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                   int nout, void *user) {
    (void)nin; (void)nout; (void)user;
    double *a = vals(in[0]), *c = vals(in[1]), s = 0;
    for (int64_t i = 0; i < in[0]->numel; i++) s += a[i] * c[i % in[1]->numel];
    free(a);
    free(c);
    out[0] = ct_scalar_tensor(s, in[0]->dtype);
    return ct_ctx_save_for_backward(ctx, &in[1], 1);
}
static int dot_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                   void *user) {
    (void)nout; (void)nin; (void)user;
    ct_tensor *c = ct_ctx_saved(ctx, 0);
    if (!c) return -1;
    double gv = ct_item_at(g[0], 0);
    double *cv = vals(c);
    for (int64_t i = 0; i < c->numel; i++) cv[i] *= gv;
    gi[0] = from_vals(cv, c, g[0]->dtype);
    free(cv);
    return 0;
}
static const ct_function dot_fn = {"DotBackward", dot_fwd, dot_bwd};
ct_tensor *ag_dot(const ct_tensor *x, const ct_tensor *c) {
    const ct_tensor *in[2] = {x, c};
    ct_tensor *out = NULL;
    return ct_function_apply(&dot_fn, NULL, NULL, in, 2, &out, 1) < 0 ? NULL : out;
}

/* ---- square */
static int sq_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                  int nout, void *user) {
    (void)nin; (void)nout; (void)user;
    double *a = vals(in[0]);
    for (int64_t i = 0; i < in[0]->numel; i++) a[i] *= a[i];
    out[0] = from_vals(a, in[0], in[0]->dtype);
    free(a);
    return ct_ctx_save_for_backward(ctx, &in[0], 1);
}
static int sq_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                  void *user) {
    (void)nout; (void)nin; (void)user;
    ct_tensor *x = ct_ctx_saved(ctx, 0);
    if (!x) return -1;
    double *xv = vals(x), *gv = vals(g[0]);
    for (int64_t i = 0; i < x->numel; i++) xv[i] = 2 * xv[i] * gv[i];
    gi[0] = from_vals(xv, x, x->dtype);
    free(xv);
    free(gv);
    return 0;
}
static const ct_function sq_fn = {"SquareBackward", sq_fwd, sq_bwd};
ct_tensor *ag_square(const ct_tensor *x) {
    ct_tensor *out = NULL;
    return ct_function_apply(&sq_fn, NULL, NULL, &x, 1, &out, 1) < 0 ? NULL : out;
}

/* ---- scale */
static int sc_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                  int nout, void *user) {
    (void)nin; (void)nout;
    double k = *(double *)user;
    double *a = vals(in[0]);
    for (int64_t i = 0; i < in[0]->numel; i++) a[i] *= k;
    out[0] = from_vals(a, in[0], in[0]->dtype);
    free(a);
    return ct_ctx_save_for_backward(ctx, &in[0], 1);
}
static int sc_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                  void *user) {
    (void)nout; (void)nin; (void)ctx;
    double k = *(double *)user;
    double *gv = vals(g[0]);
    for (int64_t i = 0; i < g[0]->numel; i++) gv[i] *= k;
    gi[0] = from_vals(gv, g[0], g[0]->dtype);
    free(gv);
    return 0;
}
static const ct_function sc_fn = {"ScaleBackward", sc_fwd, sc_bwd};
ct_tensor *ag_scale(const ct_tensor *x, double k) {
    double *u = malloc(sizeof *u);
    *u = k;
    ct_tensor *out = NULL;
    return ct_function_apply(&sc_fn, u, free, &x, 1, &out, 1) < 0 ? NULL : out;
}

/* ---- sum */
typedef struct { int ndim; int64_t sizes[CT_MAX_DIMS]; } shape_t;
static int sum_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                   int nout, void *user) {
    (void)ctx; (void)nin; (void)nout; (void)user;
    double s = 0;
    for (int64_t i = 0; i < in[0]->numel; i++) s += ct_item_at(in[0], i);
    out[0] = ct_scalar_tensor(s, in[0]->dtype);
    return 0;
}
static int sum_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                   void *user) {
    (void)ctx; (void)nout; (void)nin;
    const shape_t *shape = user;
    gi[0] = ct_expand(g[0], shape->sizes, shape->ndim);
    return gi[0] ? 0 : -1;
}
static const ct_function sum_fn = {"SumBackward", sum_fwd, sum_bwd};
ct_tensor *ag_sum(const ct_tensor *x) {
    shape_t *shape = malloc(sizeof *shape);
    shape->ndim = x->ndim;
    memcpy(shape->sizes, x->sizes, sizeof shape->sizes);
    ct_tensor *out = NULL;
    return ct_function_apply(&sum_fn, shape, free, &x, 1, &out, 1) < 0 ? NULL : out;
}

ct_tensor *ag_arange(int64_t n, const int64_t *shape, int ndim) {
    ct_tensor *t = ct_empty(shape, ndim, CT_FLOAT64);
    for (int64_t i = 0; i < n; i++) ((double *)ct_data_ptr(t))[i] = (double)i;
    return t;
}
