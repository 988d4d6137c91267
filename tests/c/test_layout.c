/* Elementwise results keep their inputs' memory layout (PyTorch's
 * TensorIterator rule; expected strides are the ones Debian's PyTorch 1.13
 * gives for the same case). Values against references computed here in
 * double from the inputs' logical elements. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

#define STRIDES(t, ...) same_strides((t), (const int64_t[]){__VA_ARGS__})

static bool same_strides(const ct_tensor *t, const int64_t *st) {
    if (!t) return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->strides[d] != st[d]) return false;
    return true;
}

/* (n, m) float32 values i * m + j - 7 (exact), and its channels-last 4-d kin */
static ct_tensor *grid(int64_t n, int64_t m, ct_dtype dt) {
    double *v = malloc(sizeof(double) * (size_t)(n * m));
    for (int64_t i = 0; i < n * m; i++) v[i] = (double)(i % 97) * 0.25 - 7;
    ct_tensor *t = tt_tensor(v, SHAPE(n, m), 2, dt);
    free(v);
    return t;
}

/* x (N, C, H, W) as channels-last memory: strides (HWC, 1, WC, C) */
static ct_tensor *channels_last(const ct_tensor *x) {
    ct_tensor *p = ct_contiguous(ct_permute(x, (const int[]){0, 2, 3, 1}, 4));
    return ct_permute(p, (const int[]){0, 3, 1, 2}, 4);
}

/* every logical element of r equals f(element of x) */
static bool unary_matches(const ct_tensor *r, const ct_tensor *x, double (*f)(double), double tol) {
    double *rv = tt_values(r), *xv = tt_values(x);
    bool ok = r->numel == x->numel;
    for (int64_t i = 0; ok && i < r->numel; i++)
        ok = fabs(rv[i] - f(xv[i])) <= tol * (1 + fabs(f(xv[i])));
    free(rv);
    free(xv);
    return ok;
}

/* r[i] == a[i] + b[i] with b broadcast: bv given per logical element by bidx */
static bool sum_matches(const ct_tensor *r, const ct_tensor *a, const ct_tensor *b) {
    ct_tensor *ref = ct_contiguous(ct_expand(b, r->sizes, r->ndim));
    double *rv = tt_values(r), *av = tt_values(a), *bv = tt_values(ref);
    bool ok = true;
    for (int64_t i = 0; ok && i < r->numel; i++) ok = fabs(rv[i] - (av[i] + bv[i])) <= 1e-5;
    free(rv);
    free(av);
    free(bv);
    return ok;
}

static double d_exp(double x) { return exp(x); }
static double d_neg(double x) { return -x; }
static double d_plus1(double x) { return x + 1; }
static double d_id(double x) { return x; }

TEST(exp, transposed_input_gives_transposed_result) {
    ct_tensor *a = grid(3, 4, CT_FLOAT32), *t = ct_t(a);
    ct_tensor *r = ct_exp(t);
    CHECK(r && r->sizes[0] == 4 && r->sizes[1] == 3 && STRIDES(r, 1, 4));
    CHECK(unary_matches(r, t, d_exp, 1e-6));
    /* above the threading grain: still transposed, still right */
    ct_tensor *big = ct_t(grid(300, 200, CT_FLOAT32));
    ct_tensor *rb = ct_exp(big);
    CHECK(STRIDES(rb, 1, 200));
    CHECK(unary_matches(rb, big, d_exp, 1e-6));
    /* permuted 3-d, float64: strides (1, 12, 4) */
    ct_tensor *p = ct_permute(ct_reshape(grid(6, 4, CT_FLOAT64), SHAPE(2, 3, 4), 3),
                              (const int[]){2, 0, 1}, 3);
    ct_tensor *rp = ct_neg(p);
    CHECK(STRIDES(rp, 1, 12, 4));
    CHECK(unary_matches(rp, p, d_neg, 0));
}

TEST(add, scalars_and_same_layouts_keep_the_layout) {
    ct_tensor *t = ct_t(grid(3, 4, CT_FLOAT32));
    ct_tensor *r = ct_add_scalar(t, 1);
    CHECK(STRIDES(r, 1, 4));
    CHECK(unary_matches(r, t, d_plus1, 0));
    ct_tensor *rr = ct_add(t, t);
    CHECK(STRIDES(rr, 1, 4));
    CHECK(sum_matches(rr, t, t));
}

TEST(add, mixed_layouts_follow_the_first_input) {
    ct_tensor *t = ct_t(grid(3, 4, CT_FLOAT32)), *c = grid(4, 3, CT_FLOAT32);
    ct_tensor *tc = ct_add(t, c), *ct = ct_add(c, t);
    CHECK(STRIDES(tc, 1, 4)); /* torch: (1, 4) */
    CHECK(STRIDES(ct, 3, 1)); /* torch: (3, 1) */
    CHECK(sum_matches(tc, t, c) && sum_matches(ct, c, t));
    /* broadcast dims tell nothing: t + row (3,) and row + t are transposed */
    ct_tensor *row = ct_select(grid(2, 3, CT_FLOAT32), 0, 1);
    ct_tensor *tr = ct_add(t, row), *rt = ct_add(row, t);
    CHECK(STRIDES(tr, 1, 4) && STRIDES(rt, 1, 4));
    CHECK(sum_matches(tr, t, row) && sum_matches(rt, t, row));
    /* a column (4, 1): still transposed */
    ct_tensor *col = grid(4, 1, CT_FLOAT32);
    ct_tensor *tcol = ct_add(t, col);
    CHECK(STRIDES(tcol, 1, 4) && sum_matches(tcol, t, col));
}

TEST(mul, channels_last_4d) {
    ct_tensor *x = ct_reshape(grid(12, 10, CT_FLOAT32), SHAPE(2, 3, 4, 5), 4);
    ct_tensor *cl = channels_last(x);
    CHECK(STRIDES(cl, 60, 1, 15, 3));
    ct_tensor *r = ct_mul_scalar(cl, 2);
    CHECK(STRIDES(r, 60, 1, 15, 3));
    ct_tensor *two = ct_scalar_tensor(2, CT_FLOAT32);
    ct_tensor *ref = ct_mul(ct_contiguous(cl), two);
    CHECK(ct_equal(r, ref) == 1);
    /* with a per-channel bias (1, 3, 1, 1), with a contiguous tensor */
    ct_tensor *bias = ct_reshape(grid(1, 3, CT_FLOAT32), SHAPE(1, 3, 1, 1), 4);
    ct_tensor *rb = ct_add(cl, bias);
    CHECK(STRIDES(rb, 60, 1, 15, 3) && sum_matches(rb, cl, bias));
    ct_tensor *rc = ct_add(cl, x), *cr = ct_add(x, cl);
    CHECK(STRIDES(rc, 60, 1, 15, 3) && STRIDES(cr, 60, 20, 5, 1));
    CHECK(sum_matches(rc, cl, x) && sum_matches(cr, x, cl));
}

TEST(exp, non_dense_inputs_give_dense_results_in_their_dim_order) {
    ct_tensor *a = grid(3, 4, CT_FLOAT32);
    ct_tensor *s = ct_slice(a, 1, 0, 4, 2); /* (3, 2), strides (4, 2) */
    ct_tensor *rs = ct_exp(s);
    CHECK(STRIDES(rs, 2, 1) && unary_matches(rs, s, d_exp, 1e-6));
    ct_tensor *ts = ct_slice(ct_t(a), 0, 0, 4, 2); /* (2, 3), strides (2, 4) */
    ct_tensor *rts = ct_exp(ts);
    CHECK(STRIDES(rts, 1, 2) && unary_matches(rts, ts, d_exp, 1e-6));
    ct_tensor *x = ct_reshape(grid(12, 10, CT_FLOAT32), SHAPE(2, 3, 4, 5), 4);
    ct_tensor *ps = ct_slice(ct_permute(x, (const int[]){0, 2, 3, 1}, 4), 1, 0, 4, 2);
    ct_tensor *rps = ct_exp(ps);
    CHECK(STRIDES(rps, 30, 5, 1, 10) && unary_matches(rps, ps, d_exp, 1e-6));
    /* an expanded input (stride 0) gives a contiguous result */
    ct_tensor *e = ct_expand(ct_slice(a, 0, 0, 1, 1), SHAPE(3, 4), 2);
    ct_tensor *re = ct_exp(e);
    CHECK(STRIDES(re, 4, 1) && unary_matches(re, e, d_exp, 1e-6));
}

TEST(where, ternary_comparison_and_clamp_keep_the_layout) {
    ct_tensor *t = ct_t(grid(3, 4, CT_FLOAT32));
    ct_tensor *bt = ct_t(ct_contiguous(ct_t(grid(4, 3, CT_FLOAT32))));
    ct_tensor *m = ct_gt_scalar(t, 0);
    CHECK(m && m->dtype == CT_BOOL && STRIDES(m, 1, 4));
    ct_tensor *w = ct_where(m, t, bt);
    CHECK(STRIDES(w, 1, 4));
    double *tv = tt_values(t), *bv = tt_values(bt), *wv = tt_values(w);
    bool ok = true;
    for (int i = 0; i < 12; i++) ok &= wv[i] == (tv[i] > 0 ? tv[i] : bv[i]);
    free(tv);
    free(bv);
    free(wv);
    CHECK(ok);
    /* the condition comes first: a contiguous condition wins */
    CHECK(STRIDES(ct_where(ct_gt_scalar(grid(4, 3, CT_FLOAT32), 0), t, bt), 3, 1));
    double lo = -1, hi = 1;
    ct_tensor *c = ct_clamp(t, &lo, &hi);
    CHECK(STRIDES(c, 1, 4));
    ct_tensor *e = ct_eq(t, t);
    CHECK(STRIDES(e, 1, 4) && ct_equal(ct_all(e), ct_scalar_tensor(1, CT_BOOL)) == 1);
    CHECK(STRIDES(ct_isclose(t, t, 1e-5, 1e-8, false), 1, 4));
    CHECK(ct_allclose(t, ct_contiguous(t), 1e-5, 1e-8, false) == 1);
}

TEST(add, type_promotion_keeps_the_layout) {
    ct_tensor *ti = ct_t(grid(3, 4, CT_INT64));
    ct_tensor *r = ct_add_scalar(ti, 1.5); /* int64 + float -> float32 */
    CHECK(r->dtype == CT_FLOAT32 && STRIDES(r, 1, 4));
    double *rv = tt_values(r), *iv = tt_values(ti);
    bool ok = true;
    for (int i = 0; i < 12; i++) ok &= rv[i] == iv[i] + 1.5;
    free(rv);
    free(iv);
    CHECK(ok);
    ct_tensor *c = grid(4, 3, CT_FLOAT32);
    ct_tensor *rc = ct_add(ti, c);
    CHECK(rc->dtype == CT_FLOAT32 && STRIDES(rc, 1, 4) && sum_matches(rc, ti, c));
    /* float16 computes in float32 and converts back, keeping the layout */
    ct_tensor *h = ct_t(grid(3, 4, CT_FLOAT16));
    ct_tensor *rh = ct_add_scalar(h, 1);
    CHECK(rh->dtype == CT_FLOAT16 && STRIDES(rh, 1, 4) && unary_matches(rh, h, d_plus1, 0));
}

TEST(clone, to_dtype_and_like_factories_preserve_the_format) {
    ct_tensor *t = ct_t(grid(3, 4, CT_FLOAT32));
    ct_tensor *c = ct_clone(t), *d = ct_to_dtype(t, CT_FLOAT64, false);
    CHECK(STRIDES(c, 1, 4) && unary_matches(c, t, d_id, 0));
    CHECK(d->dtype == CT_FLOAT64 && STRIDES(d, 1, 4) && unary_matches(d, t, d_id, 0));
    CHECK(STRIDES(ct_zeros_like(t, CT_DTYPE_DEFAULT), 1, 4));
    CHECK(STRIDES(ct_ones_like(t, CT_INT32), 1, 4));
    CHECK(STRIDES(ct_full_like(t, 2, CT_DTYPE_DEFAULT), 1, 4));
    CHECK(STRIDES(ct_empty_like(t), 1, 4));
    ct_tensor *f = ct_full_like(t, 2.5, CT_DTYPE_DEFAULT);
    CHECK_TENSOR(f, SHAPE(4, 3), 2, VALS(2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5), 0);
    /* non-dense: dense strides in the input's dim order */
    ct_tensor *x = ct_reshape(grid(12, 10, CT_FLOAT32), SHAPE(2, 3, 4, 5), 4);
    ct_tensor *ps = ct_slice(ct_permute(x, (const int[]){0, 2, 3, 1}, 4), 1, 0, 4, 2);
    ct_tensor *cps = ct_clone(ps);
    CHECK(STRIDES(cps, 30, 5, 1, 10) && unary_matches(cps, ps, d_id, 0));
    CHECK(STRIDES(ct_zeros_like(ps, CT_DTYPE_DEFAULT), 30, 5, 1, 10));
    /* contiguous() still makes a row-major copy */
    CHECK(STRIDES(ct_contiguous(t), 3, 1));
}

TEST(exp, empty_zero_d_and_size_one_dims) {
    ct_tensor *e = ct_exp(ct_t(ct_zeros(SHAPE(0, 3), 2, CT_FLOAT32)));
    CHECK(e && e->numel == 0 && STRIDES(e, 1, 1));
    ct_tensor *e3 = ct_add_scalar(ct_permute(ct_zeros(SHAPE(2, 0, 3), 3, CT_FLOAT32), (const int[]){2, 0, 1}, 3), 1);
    CHECK(e3 && e3->numel == 0 && STRIDES(e3, 1, 0, 3));
    ct_tensor *z = ct_exp(ct_scalar_tensor(2, CT_FLOAT32));
    CHECK(z->ndim == 0);
    CHECK_CLOSE(ct_item_at(z, 0), exp(2.0), 1e-6);
    ct_tensor *s = ct_permute(ct_reshape(grid(3, 4, CT_FLOAT32), SHAPE(3, 1, 4), 3), (const int[]){2, 1, 0}, 3);
    ct_tensor *rs = ct_exp(s), *rs1 = ct_add_scalar(s, 1);
    CHECK(STRIDES(rs, 1, 4, 4) && STRIDES(rs1, 1, 4, 4));
    CHECK(unary_matches(rs, s, d_exp, 1e-6) && unary_matches(rs1, s, d_plus1, 0));
}

TEST(add, in_place_and_out_keep_their_tensors) {
    ct_tensor *t = ct_t(grid(3, 4, CT_FLOAT32));
    ct_tensor *out = ct_empty(SHAPE(4, 3), 2, CT_FLOAT32);
    CHECK(ct_add_out(out, t, t) == out && STRIDES(out, 3, 1) && sum_matches(out, t, t));
    ct_tensor *c = ct_clone(t);
    ct_tensor *before = ct_contiguous(c);
    CHECK(ct_mul_(c, ct_scalar_tensor(3, CT_FLOAT32)) == c && STRIDES(c, 1, 4));
    double *cv = tt_values(c), *bv = tt_values(before);
    bool ok = true;
    for (int i = 0; i < 12; i++) ok &= cv[i] == 3 * bv[i];
    free(cv);
    free(bv);
    CHECK(ok);
}

TEST(exp, gradients_of_permuted_inputs) {
    ct_tensor *x = grid(3, 4, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *w = grid(4, 3, CT_FLOAT64);
    ct_tensor *y = ct_mul(ct_exp(ct_mul_scalar(ct_t(x), 0.1)), w);
    CHECK(STRIDES(y, 1, 4));
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    ct_tensor *g = ct_tensor_grad(x);
    CHECK_OK(g);
    double *gv = tt_values(g), *xv = tt_values(x), *wv = tt_values(w);
    bool ok = true;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double want = 0.1 * exp(0.1 * xv[i * 4 + j]) * wv[j * 3 + i];
            ok &= fabs(gv[i * 4 + j] - want) <= 1e-12 * (1 + fabs(want));
        }
    free(gv);
    free(xv);
    free(wv);
    CHECK(ok);
}

TEST(fill_, in_place_on_a_view_of_a_permuted_result_with_grad) {
    /* a = 2 x^T is dense but transposed; filling a row of it through a view
     * goes through CopySlices, which works in contiguous coordinates */
    ct_tensor *x = grid(3, 4, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *a = ct_mul_scalar(ct_t(x), 2);
    CHECK(STRIDES(a, 1, 4));
    CHECK_OK(ct_fill_(ct_narrow(a, 0, 1, 2), 3.0)); /* rows 1, 2 of a = columns 1, 2 of x */
    CHECK(ct_backward(ct_sum(ct_mul(a, a)), NULL, false, false, NULL, 0) == 0);
    double *gv = tt_values(ct_tensor_grad(x)), *xv = tt_values(x);
    bool ok = true;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double want = (j == 1 || j == 2) ? 0 : 8 * xv[i * 4 + j]; /* d(4x^2)/dx */
            ok &= fabs(gv[i * 4 + j] - want) <= 1e-12 * (1 + fabs(want));
        }
    free(gv);
    free(xv);
    CHECK(ok);
    /* a strided view across a transposed base: select a column of a */
    ct_tensor *x2 = grid(3, 4, CT_FLOAT64);
    ct_set_requires_grad(x2, true);
    ct_tensor *b = ct_mul_scalar(ct_t(x2), 1);
    CHECK_OK(ct_zero_(ct_select(b, 1, 2))); /* b[:, 2] = x2[2, :] */
    CHECK(ct_backward(ct_sum(ct_mul(b, b)), NULL, false, false, NULL, 0) == 0);
    gv = tt_values(ct_tensor_grad(x2));
    xv = tt_values(x2);
    ok = true;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double want = i == 2 ? 0 : 2 * xv[i * 4 + j];
            ok &= fabs(gv[i * 4 + j] - want) <= 1e-12 * (1 + fabs(want));
        }
    free(gv);
    free(xv);
    CHECK(ok);
}
