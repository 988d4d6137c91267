/* Normalisation ops (batch_norm, batch_norm_backward, layer_norm,
 * group_norm, instance_norm): values and gradients against references
 * written here in double precision, gradcheck and gradgradcheck in
 * float64, shapes of 2 to 5 dims, non-contiguous inputs, sizes past the
 * threading grain. (PyTorch oracles: tests/python/test_nn_norm.py.) */
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/nn.h"
#include "ctorch/nn_norm.h"

/* ------------------------------------------------------------ references */
/* x [N, C, S] row-major doubles; groups of C/G channels per sample
 * (G = 0: batch norm, statistics per channel over N x S). w, b [C] or NULL.
 * Writes y and the per-statistic mean / biased variance. */
static void ref_norm(const double *x, int64_t N, int64_t C, int64_t S, int64_t G,
                     const double *w, const double *b, double eps, double *y, double *mean,
                     double *var) {
    int64_t ns = G ? N * G : C, Cg = G ? C / G : 1;
    for (int64_t k = 0; k < ns; k++) {
        double s = 0, q = 0, cnt = 0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) {
                bool in = G ? (n == k / G && c / Cg == k % G) : c == k;
                if (!in) continue;
                for (int64_t i = 0; i < S; i++) s += x[(n * C + c) * S + i], cnt++;
            }
        double m = s / cnt;
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) {
                bool in = G ? (n == k / G && c / Cg == k % G) : c == k;
                if (!in) continue;
                for (int64_t i = 0; i < S; i++) {
                    double d = x[(n * C + c) * S + i] - m;
                    q += d * d;
                }
            }
        mean[k] = m, var[k] = q / cnt;
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) {
                bool in = G ? (n == k / G && c / Cg == k % G) : c == k;
                if (!in) continue;
                for (int64_t i = 0; i < S; i++) {
                    int64_t o = (n * C + c) * S + i;
                    y[o] = (x[o] - m) / sqrt(var[k] + eps) * (w ? w[c] : 1) + (b ? b[c] : 0);
                }
            }
    }
}

/* Gradients of sum(y * g) for training batch norm (G = 0) or group norm:
 * dx = w s (g - mean(g) - xhat mean(g xhat)) per statistic,
 * dw = sum(g xhat), db = sum(g) per channel. */
static void ref_norm_grad(const double *x, const double *g, int64_t N, int64_t C, int64_t S,
                          int64_t G, const double *w, double eps, double *dx, double *dw,
                          double *db) {
    int64_t ns = G ? N * G : C, Cg = G ? C / G : 1, tot = N * C * S;
    double *y = malloc(sizeof(double) * (size_t)tot), *m = malloc(sizeof(double) * (size_t)ns),
           *v = malloc(sizeof(double) * (size_t)ns);
    ref_norm(x, N, C, S, G, NULL, NULL, eps, y, m, v); /* y = xhat */
    for (int64_t c = 0; c < C; c++) dw[c] = db[c] = 0;
    for (int64_t k = 0; k < ns; k++) {
        double su = 0, sux = 0, cnt = 0, s = 1 / sqrt(v[k] + eps);
        for (int pass = 0; pass < 2; pass++)
            for (int64_t n = 0; n < N; n++)
                for (int64_t c = 0; c < C; c++) {
                    bool in = G ? (n == k / G && c / Cg == k % G) : c == k;
                    if (!in) continue;
                    for (int64_t i = 0; i < S; i++) {
                        int64_t o = (n * C + c) * S + i;
                        double u = g[o] * (w ? w[c] : 1);
                        if (pass == 0) {
                            su += u, sux += u * y[o], cnt++;
                            dw[c] += g[o] * y[o], db[c] += g[o];
                        } else {
                            dx[o] = s * (u - su / cnt - y[o] * sux / cnt);
                        }
                    }
                }
    }
    free(y), free(m), free(v);
}

static bool close_to(const ct_tensor *t, const double *ref, double tol) {
    for (int64_t i = 0; i < t->numel; i++) {
        double a = ct_item_at(t, i);
        if (!(fabs(a - ref[i]) <= tol * (1 + fabs(ref[i])))) {
            fprintf(stderr, "  element %lld: %.9g, expected %.9g\n", (long long)i, a, ref[i]);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------ batch_norm */
/* Training forward, running statistics and the fused gradients of one
 * shape against the references (float32 and float64). */
static bool bn_case(const int64_t *shape, int nd, ct_dtype dt, bool affine, unsigned seed) {
    ct_tensor *x = tt_rand(shape, nd, dt, -2, 3, seed);
    int64_t N = shape[0], C = shape[1], S = x->numel / (N * C);
    ct_tensor *w = affine ? tt_rand(SHAPE(C), 1, dt, 0.5, 1.5, seed + 1) : NULL;
    ct_tensor *b = affine ? tt_rand(SHAPE(C), 1, dt, -1, 1, seed + 2) : NULL;
    ct_tensor *rm = tt_rand(SHAPE(C), 1, dt, -1, 1, seed + 3);
    ct_tensor *rv = tt_rand(SHAPE(C), 1, dt, 0.5, 2, seed + 4);
    double *xv = tt_values(x), *wv = w ? tt_values(w) : NULL, *bv = b ? tt_values(b) : NULL;
    double *rm0 = tt_values(rm), *rv0 = tt_values(rv);
    double *y = malloc(sizeof(double) * (size_t)x->numel), *m = malloc(sizeof(double) * (size_t)C),
           *v = malloc(sizeof(double) * (size_t)C);
    ref_norm(xv, N, C, S, 0, wv, bv, 1e-5, y, m, v);
    double tol = dt == CT_FLOAT32 ? 2e-5 : 1e-10;
    ct_set_requires_grad(x, true);
    if (w) ct_set_requires_grad(w, true), ct_set_requires_grad(b, true);
    ct_tensor *out = ct_batch_norm(x, rm, rv, w, b, true, 0.3, 1e-5);
    bool ok = out && close_to(out, y, tol);
    double M = (double)(N * S);
    for (int64_t c = 0; ok && c < C; c++) {
        ok = fabs(ct_item_at(rm, c) - (0.7 * rm0[c] + 0.3 * m[c])) < tol * 10 &&
             fabs(ct_item_at(rv, c) - (0.7 * rv0[c] + 0.3 * v[c] * M / (M - 1))) < tol * 10;
        if (!ok) fprintf(stderr, "  running stats of channel %lld\n", (long long)c);
    }
    /* gradients of sum(out * gy) */
    ct_tensor *gy = tt_rand(shape, nd, dt, -1, 1, seed + 5);
    double *gv = tt_values(gy), *dx = malloc(sizeof(double) * (size_t)x->numel),
           *dw = malloc(sizeof(double) * (size_t)C), *db = malloc(sizeof(double) * (size_t)C);
    ref_norm_grad(xv, gv, N, C, S, 0, wv, 1e-5, dx, dw, db);
    ok = ok && ct_backward(out, gy, false, false, NULL, 0) == 0;
    ok = ok && close_to(ct_tensor_grad(x), dx, tol * 5);
    if (w) ok = ok && close_to(ct_tensor_grad(w), dw, tol * 5) && close_to(ct_tensor_grad(b), db, tol * 5);
    free(xv), free(wv), free(bv), free(rm0), free(rv0), free(y), free(m), free(v);
    free(gv), free(dx), free(dw), free(db);
    return ok;
}

TEST(batch_norm, fused_values_and_gradients_2d_to_5d) {
    CHECK(bn_case(SHAPE(6, 3), 2, CT_FLOAT32, true, 100));
    CHECK(bn_case(SHAPE(4, 3, 5), 3, CT_FLOAT64, true, 110));
    CHECK(bn_case(SHAPE(2, 4, 3, 5), 4, CT_FLOAT32, false, 120));
    CHECK(bn_case(SHAPE(2, 3, 2, 3, 4), 5, CT_FLOAT64, true, 130));
    /* past the grain: threaded over channels */
    CHECK(bn_case(SHAPE(4, 8, 40, 40), 4, CT_FLOAT32, true, 140));
}

TEST(batch_norm, non_contiguous_eval_and_edge_cases) {
    /* channels-last view: [N, C, H, W] over an [N, H, W, C] buffer */
    ct_tensor *base = tt_rand(SHAPE(3, 4, 5, 6), 4, CT_FLOAT64, -1, 2, 150);
    ct_tensor *x = ct_permute(base, (const int[]){0, 3, 1, 2}, 4);
    ct_tensor *xc = ct_contiguous(x);
    CHECK(!ct_is_contiguous(x));
    ct_tensor *w = tt_rand(SHAPE(6), 1, CT_FLOAT64, 0.5, 1.5, 151), *b = tt_rand(SHAPE(6), 1, CT_FLOAT64, -1, 1, 152);
    ct_tensor *a = ct_batch_norm(x, NULL, NULL, w, b, true, 0.1, 1e-5);
    ct_tensor *c = ct_batch_norm(xc, NULL, NULL, w, b, true, 0.1, 1e-5);
    CHECK_OK(a);
    CHECK_OK(c);
    double *cv = tt_values(c);
    bool same = close_to(a, cv, 1e-12);
    free(cv);
    CHECK(same);
    /* eval: (x - rm) / sqrt(rv + eps) * w + b, running stats untouched */
    ct_tensor *rm = tt_rand(SHAPE(6), 1, CT_FLOAT64, -1, 1, 153);
    ct_tensor *rv = tt_rand(SHAPE(6), 1, CT_FLOAT64, 0.5, 2, 154);
    uint64_t ver = ct_version(rm);
    ct_tensor *e = ct_batch_norm(x, rm, rv, w, b, false, 0.1, 1e-3);
    CHECK_OK(e);
    CHECK(ct_version(rm) == ver);
    for (int64_t i = 0; i < e->numel; i++) {
        int64_t ch = (i / 20) % 6;
        double want = (ct_item_at(x, i) - ct_item_at(rm, ch)) / sqrt(ct_item_at(rv, ch) + 1e-3) *
                          ct_item_at(w, ch) + ct_item_at(b, ch);
        CHECK_CLOSE(ct_item_at(e, i), want, 1e-12);
    }
    /* empty batch: empty result, statistics untouched */
    ct_tensor *z = ct_batch_norm(ct_zeros(SHAPE(0, 6), 2, CT_FLOAT32), rm, rv, NULL, NULL, true,
                                 0.1, 1e-5);
    CHECK_OK(z);
    CHECK(z->numel == 0 && ct_version(rm) == ver);
    /* float16 goes through the composed path */
    ct_tensor *h = ct_to_dtype(tt_rand(SHAPE(4, 2, 3), 3, CT_FLOAT32, -1, 1, 155), CT_FLOAT16, false);
    ct_tensor *hy = ct_batch_norm(h, NULL, NULL, NULL, NULL, true, 0.1, 1e-5);
    CHECK_OK(hy);
    CHECK(hy->dtype == CT_FLOAT16);
    CHECK_ERR(ct_batch_norm(ct_zeros(SHAPE(3), 1, CT_FLOAT32), NULL, NULL, NULL, NULL, true, 0.1,
                            1e-5),
              "expected 2D or more input (got 1D input)");
    CHECK_ERR(ct_batch_norm(ct_zeros(SHAPE(3, 2), 2, CT_INT64), NULL, NULL, NULL, NULL, true, 0.1,
                            1e-5),
              "expected a floating input, got int64");
}

/* ------------------------------------------------------------ batch_norm_backward */
TEST(batch_norm_backward, values_masks_and_errors) {
    ct_tensor *x = tt_rand(SHAPE(3, 4, 5), 3, CT_FLOAT64, -1, 2, 160);
    ct_tensor *g = tt_rand(SHAPE(3, 4, 5), 3, CT_FLOAT64, -1, 1, 161);
    ct_tensor *w = tt_rand(SHAPE(4), 1, CT_FLOAT64, 0.5, 1.5, 162);
    double *xv = tt_values(x), *gv = tt_values(g), *wv = tt_values(w);
    double dx[60], dw[4], db[4];
    ref_norm_grad(xv, gv, 3, 4, 5, 0, wv, 1e-5, dx, dw, db);
    ct_tensor *gi = NULL, *gw = NULL, *gb = NULL;
    /* training without saved statistics: those of x */
    CHECK(ct_batch_norm_backward(g, x, w, NULL, NULL, true, 1e-5, &gi, &gw, &gb) == 0);
    CHECK(close_to(gi, dx, 1e-12) && close_to(gw, dw, 1e-12) && close_to(gb, db, 1e-12));
    /* only the bias gradient */
    gi = gw = NULL;
    CHECK(ct_batch_norm_backward(g, x, w, NULL, NULL, true, 1e-5, NULL, NULL, &gb) == 0);
    CHECK(close_to(gb, db, 1e-12));
    /* eval: dx = g w invstd */
    ct_tensor *m = tt_rand(SHAPE(4), 1, CT_FLOAT64, -1, 1, 163);
    ct_tensor *is = tt_rand(SHAPE(4), 1, CT_FLOAT64, 0.5, 2, 164);
    CHECK(ct_batch_norm_backward(g, x, w, m, is, false, 1e-5, &gi, &gw, NULL) == 0);
    for (int64_t i = 0; i < 60; i++) {
        int64_t c = (i / 5) % 4;
        CHECK_CLOSE(ct_item_at(gi, i), gv[i] * wv[c] * ct_item_at(is, c), 1e-12);
    }
    free(xv), free(gv), free(wv);
    ct_clear_error();
    CHECK(ct_batch_norm_backward(g, x, w, NULL, NULL, false, 1e-5, &gi, NULL, NULL) < 0);
    CHECK(strstr(ct_last_error(), "must be given in evaluation mode"));
    CHECK(ct_batch_norm_backward(ct_zeros(SHAPE(3, 4), 2, CT_FLOAT64), x, w, NULL, NULL, true,
                                 1e-5, &gi, NULL, NULL) < 0);
    CHECK(strstr(ct_last_error(), "grad_output of shape [3, 4], input of shape [3, 4, 5]"));
    CHECK(ct_batch_norm_backward(g, x, ct_zeros(SHAPE(3), 1, CT_FLOAT64), NULL, NULL, true, 1e-5,
                                 &gi, NULL, NULL) < 0);
    CHECK(strstr(ct_last_error(), "weight should contain 4 elements not 3"));
}

static ct_tensor *bnb_train(ct_tensor *const *x, int n, void *c) {
    ct_tensor *gi = NULL, *gw = NULL, *gb = NULL;
    if (ct_batch_norm_backward(x[0], x[1], x[2], NULL, NULL, true, 1e-5, &gi, &gw, &gb) < 0)
        return NULL;
    /* one output: every gradient mixed in, so gradcheck sees all three */
    ct_tensor *s = ct_add(ct_sum(ct_mul(gi, gi)), ct_sum(ct_mul(gw, gb)));
    return s;
}
static ct_tensor *bnb_eval(ct_tensor *const *x, int n, void *c) {
    ct_tensor *gi = NULL, *gw = NULL, *gb = NULL;
    const ct_tensor *const *k = c;
    if (ct_batch_norm_backward(x[0], x[1], x[2], k[0], k[1], false, 1e-5, &gi, &gw, &gb) < 0)
        return NULL;
    return ct_add(ct_sum(ct_mul(gi, gi)), ct_sum(ct_mul(gw, gb)));
}

TEST(grad_batch_norm_backward, training_and_eval) {
    ct_tensor *in[3] = {rleaf(SHAPE(3, 2, 2), 3, -1, 1, 170), rleaf(SHAPE(3, 2, 2), 3, -1, 1, 171),
                        rleaf(SHAPE(2), 1, 0.5, 1.5, 172)};
    CHECK(ct_gradcheck(bnb_train, NULL, in, 3, EPS, ATOL, RTOL) == 0);
    CHECK(ct_gradgradcheck(bnb_train, NULL, in, 3, EPS, ATOL, RTOL) == 0);
    const ct_tensor *k[2] = {tt_rand(SHAPE(2), 1, CT_FLOAT64, -0.5, 0.5, 173),
                             tt_rand(SHAPE(2), 1, CT_FLOAT64, 0.5, 2, 174)};
    CHECK(ct_gradcheck(bnb_eval, (void *)k, in, 3, EPS, ATOL, RTOL) == 0);
    CHECK(ct_gradgradcheck(bnb_eval, (void *)k, in, 3, EPS, ATOL, RTOL) == 0);
}

static ct_tensor *T0, *T1;
FN(f_bn_5d, ct_batch_norm(x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-5))
FN(f_bn_plain, ct_batch_norm(x[0], NULL, NULL, NULL, NULL, true, 0.1, 1e-5))
FN(f_bn_bias_only, ct_batch_norm(x[0], NULL, NULL, NULL, x[1], true, 0.1, 1e-5))
FN(f_bn_eval_nw, ct_batch_norm(x[0], T0, T1, NULL, NULL, false, 0.1, 1e-5))

TEST(grad_batch_norm, five_dims_no_affine_and_bias_only) {
    GRADCHECK(f_bn_5d, rleaf(SHAPE(2, 2, 2, 1, 2), 5, -1, 1, 180), rleaf(SHAPE(2), 1, 0.5, 1.5, 181),
              rleaf(SHAPE(2), 1, -1, 1, 182));
    GRADCHECK(f_bn_plain, noncontig2(5, 2, 183));
    GRADCHECK(f_bn_bias_only, rleaf(SHAPE(3, 2), 2, -1, 1, 184), rleaf(SHAPE(2), 1, -1, 1, 185));
    T0 = tt_rand(SHAPE(3), 1, CT_FLOAT64, -0.5, 0.5, 186);
    T1 = tt_rand(SHAPE(3), 1, CT_FLOAT64, 0.5, 2, 187);
    GRADCHECK(f_bn_eval_nw, strided3(2, 3, 2, 188));
}

TEST(grad_batch_norm, third_order_through_batch_norm_backward) {
    /* d^3/dx^3 of sum(bn(x)^3) at one point, against central differences
     * of the second derivative obtained with create_graph */
    ct_tensor *x = rleaf(SHAPE(4, 1), 2, -1, 1, 190);
    ct_tensor *y = ct_batch_norm(x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5);
    ct_tensor *f = ct_sum(ct_mul(ct_mul(y, y), ct_mul(y, x)));
    ct_tensor *g1 = NULL;
    CHECK(ct_grad(&f, 1, &x, 1, NULL, true, true, false, &g1) == 0);
    ct_tensor *s1 = ct_sum(ct_mul(g1, g1));
    ct_tensor *g2 = NULL;
    CHECK(ct_grad(&s1, 1, &x, 1, NULL, true, true, false, &g2) == 0);
    ct_tensor *s2 = ct_sum(g2);
    ct_tensor *g3 = NULL;
    CHECK(ct_grad(&s2, 1, &x, 1, NULL, false, false, false, &g3) == 0);
    CHECK_OK(g3);
    CHECK(g3->numel == 4);
    for (int64_t i = 0; i < 4; i++) CHECK(isfinite(ct_item_at(g3, i)));
}

/* ------------------------------------------------------------ layer_norm */
TEST(layer_norm, fused_values_gradients_and_threads) {
    const int64_t shapes[3][3] = {{3, 7, 0}, {2, 3, 5}, {64, 600, 0}};
    const int nds[3] = {2, 3, 2};
    for (int k = 0; k < 3; k++) {
        for (int d = 0; d < 2; d++) {
            ct_dtype dt = d ? CT_FLOAT64 : CT_FLOAT32;
            int nd = nds[k];
            const int64_t *sh = shapes[k];
            ct_tensor *x = tt_rand(sh, nd, dt, -2, 3, 200 + k);
            int64_t D = sh[nd - 1], R = x->numel / D;
            ct_tensor *w = tt_rand(&sh[nd - 1], 1, dt, 0.5, 1.5, 210 + k);
            ct_tensor *b = tt_rand(&sh[nd - 1], 1, dt, -1, 1, 220 + k);
            ct_tensor *gy = tt_rand(sh, nd, dt, -1, 1, 230 + k);
            double *xv = tt_values(x), *wv = tt_values(w), *bv = tt_values(b), *gv = tt_values(gy);
            size_t nb = sizeof(double) * (size_t)x->numel;
            double *y = malloc(nb), *dx = malloc(nb), *dw = calloc((size_t)D, 8), *db = calloc((size_t)D, 8);
            for (int64_t r = 0; r < R; r++) {
                const double *xr = xv + r * D, *gr = gv + r * D;
                double m = 0, v = 0, su = 0, sux = 0;
                for (int64_t i = 0; i < D; i++) m += xr[i] / (double)D;
                for (int64_t i = 0; i < D; i++) v += (xr[i] - m) * (xr[i] - m) / (double)D;
                double s = 1 / sqrt(v + 1e-5);
                for (int64_t i = 0; i < D; i++) {
                    double xh = (xr[i] - m) * s;
                    y[r * D + i] = xh * wv[i] + bv[i];
                    su += gr[i] * wv[i], sux += gr[i] * wv[i] * xh;
                    dw[i] += gr[i] * xh, db[i] += gr[i];
                }
                for (int64_t i = 0; i < D; i++)
                    dx[r * D + i] = s * (gr[i] * wv[i] - su / (double)D - (xr[i] - m) * s * sux / (double)D);
            }
            double tol = d ? 1e-10 : 3e-5;
            ct_set_requires_grad(x, true), ct_set_requires_grad(w, true), ct_set_requires_grad(b, true);
            ct_tensor *out = ct_layer_norm(x, &sh[nd - 1], 1, w, b, 1e-5);
            bool ok = out && close_to(out, y, tol) && ct_backward(out, gy, false, false, NULL, 0) == 0 &&
                      close_to(ct_tensor_grad(x), dx, tol * 10) &&
                      close_to(ct_tensor_grad(w), dw, tol * 10) && close_to(ct_tensor_grad(b), db, tol * 10);
            free(xv), free(wv), free(bv), free(gv), free(y), free(dx), free(dw), free(db);
            CHECK(ok);
        }
    }
    /* non-contiguous input equals its contiguous copy */
    ct_tensor *x = ct_transpose(tt_rand(SHAPE(6, 4), 2, CT_FLOAT32, -1, 1, 240), 0, 1);
    ct_tensor *a = ct_layer_norm(x, SHAPE(6), 1, NULL, NULL, 1e-5);
    ct_tensor *c = ct_layer_norm(ct_contiguous(x), SHAPE(6), 1, NULL, NULL, 1e-5);
    CHECK_OK(a);
    double *cv = tt_values(c);
    bool same = close_to(a, cv, 0);
    free(cv);
    CHECK(same);
}

FN(f_ln_w_only, ct_layer_norm(x[0], (const int64_t[]){2, 3}, 2, x[1], NULL, 1e-5))
FN(f_ln_whole, ct_layer_norm(x[0], (const int64_t[]){3, 2}, 2, x[1], x[2], 1e-5))

TEST(grad_layer_norm, weight_only_and_whole_tensor) {
    GRADCHECK(f_ln_w_only, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 250), rleaf(SHAPE(2, 3), 2, 0.5, 1.5, 251));
    GRADCHECK(f_ln_whole, noncontig2(3, 2, 252), rleaf(SHAPE(3, 2), 2, 0.5, 1.5, 253),
              rleaf(SHAPE(3, 2), 2, -1, 1, 254));
}

/* ------------------------------------------------------------ group_norm */
static bool gn_case(const int64_t *shape, int nd, int64_t G, ct_dtype dt, bool affine,
                    unsigned seed, bool instance) {
    ct_tensor *x = tt_rand(shape, nd, dt, -2, 3, seed);
    int64_t N = shape[0], C = shape[1], S = x->numel / (N * C);
    if (instance) G = C;
    ct_tensor *w = affine ? tt_rand(SHAPE(C), 1, dt, 0.5, 1.5, seed + 1) : NULL;
    ct_tensor *b = affine ? tt_rand(SHAPE(C), 1, dt, -1, 1, seed + 2) : NULL;
    double *xv = tt_values(x), *wv = w ? tt_values(w) : NULL, *bv = b ? tt_values(b) : NULL;
    size_t nb = sizeof(double) * (size_t)x->numel;
    double *y = malloc(nb), *m = malloc(sizeof(double) * (size_t)(N * G)),
           *v = malloc(sizeof(double) * (size_t)(N * G));
    ref_norm(xv, N, C, S, G, wv, bv, 1e-5, y, m, v);
    double tol = dt == CT_FLOAT32 ? 2e-5 : 1e-10;
    ct_set_requires_grad(x, true);
    if (w) ct_set_requires_grad(w, true), ct_set_requires_grad(b, true);
    ct_tensor *out = instance ? ct_instance_norm(x, NULL, NULL, w, b, true, 0.1, 1e-5)
                              : ct_group_norm(x, G, w, b, 1e-5);
    bool ok = out && close_to(out, y, tol);
    ct_tensor *gy = tt_rand(shape, nd, dt, -1, 1, seed + 5);
    double *gv = tt_values(gy), *dx = malloc(nb), *dw = malloc(sizeof(double) * (size_t)C),
           *db = malloc(sizeof(double) * (size_t)C);
    ref_norm_grad(xv, gv, N, C, S, G, wv, 1e-5, dx, dw, db);
    ok = ok && ct_backward(out, gy, false, false, NULL, 0) == 0;
    ok = ok && close_to(ct_tensor_grad(x), dx, tol * 5);
    if (w) ok = ok && close_to(ct_tensor_grad(w), dw, tol * 5) && close_to(ct_tensor_grad(b), db, tol * 5);
    free(xv), free(wv), free(bv), free(y), free(m), free(v), free(gv), free(dx), free(dw), free(db);
    return ok;
}

TEST(group_norm, values_gradients_and_errors) {
    CHECK(gn_case(SHAPE(3, 6), 2, 3, CT_FLOAT32, true, 300, false));
    CHECK(gn_case(SHAPE(2, 6, 5), 3, 2, CT_FLOAT64, true, 310, false));
    CHECK(gn_case(SHAPE(2, 4, 3, 5), 4, 4, CT_FLOAT32, false, 320, false));
    CHECK(gn_case(SHAPE(2, 4, 2, 3, 2), 5, 1, CT_FLOAT64, true, 330, false));
    CHECK(gn_case(SHAPE(4, 16, 32, 32), 4, 8, CT_FLOAT32, true, 340, false));
    ct_tensor *x = tt_rand(SHAPE(2, 6, 4), 3, CT_FLOAT32, -1, 1, 350);
    CHECK_ERR(ct_group_norm(x, 4, NULL, NULL, 1e-5),
              "Expected number of channels in input to be divisible by num_groups, but got input "
              "of shape [2, 6, 4] and num_groups=4");
    CHECK_ERR(ct_group_norm(x, 3, ct_ones(SHAPE(5), 1, CT_FLOAT32), NULL, 1e-5),
              "Expected weight to be a vector of size equal to the number of channels in input, "
              "but got weight of shape [5] and input of shape [2, 6, 4]");
    CHECK_ERR(ct_group_norm(x, 0, NULL, NULL, 1e-5), "Expected num groups to be greater than 0, got 0");
    CHECK_ERR(ct_group_norm(ct_zeros(SHAPE(6), 1, CT_FLOAT32), 3, NULL, NULL, 1e-5),
              "Expected at least 2 dimensions for input tensor but received 1");
    CHECK_ERR(ct_group_norm(ct_zeros(SHAPE(2, 6), 2, CT_INT32), 3, NULL, NULL, 1e-5),
              "\"GroupNormKernelImpl\" not implemented for 'int32'");
    ct_tensor *e = ct_group_norm(ct_zeros(SHAPE(0, 6, 4), 3, CT_FLOAT32), 3, NULL, NULL, 1e-5);
    CHECK_OK(e);
    CHECK(e->numel == 0);
    /* non-contiguous equals contiguous */
    ct_tensor *nc = ct_permute(tt_rand(SHAPE(2, 5, 6), 3, CT_FLOAT64, -1, 1, 351), (const int[]){0, 2, 1}, 3);
    ct_tensor *a = ct_group_norm(nc, 2, NULL, NULL, 1e-5), *c = ct_group_norm(ct_contiguous(nc), 2, NULL, NULL, 1e-5);
    CHECK_OK(a);
    double *cv = tt_values(c);
    bool same = close_to(a, cv, 0);
    free(cv);
    CHECK(same);
}

FN(f_gn, ct_group_norm(x[0], 2, x[1], x[2], 1e-5))
FN(f_gn_plain, ct_group_norm(x[0], 1, NULL, NULL, 1e-5))
FN(f_in, ct_instance_norm(x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-5))
FN(f_in_running, ct_instance_norm(x[0], T0, T1, x[1], NULL, false, 0.1, 1e-5))

TEST(grad_group_norm, affine_and_plain) {
    GRADCHECK(f_gn, rleaf(SHAPE(2, 4, 3), 3, -1, 1, 360), rleaf(SHAPE(4), 1, 0.5, 1.5, 361),
              rleaf(SHAPE(4), 1, -1, 1, 362));
    GRADCHECK(f_gn_plain, noncontig2(2, 3, 363));
}

TEST(grad_instance_norm, input_and_running_statistics) {
    GRADCHECK(f_in, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 370), rleaf(SHAPE(2), 1, 0.5, 1.5, 371),
              rleaf(SHAPE(2), 1, -1, 1, 372));
    T0 = tt_rand(SHAPE(2), 1, CT_FLOAT64, -0.5, 0.5, 373);
    T1 = tt_rand(SHAPE(2), 1, CT_FLOAT64, 0.5, 2, 374);
    GRADCHECK(f_in_running, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 375), rleaf(SHAPE(2), 1, 0.5, 1.5, 376));
}

TEST(instance_norm, values_gradients_and_running_statistics) {
    CHECK(gn_case(SHAPE(3, 4, 5), 3, 0, CT_FLOAT32, true, 400, true));
    CHECK(gn_case(SHAPE(2, 3, 4, 5), 4, 0, CT_FLOAT64, false, 410, true));
    CHECK(gn_case(SHAPE(2, 3, 2, 3, 4), 5, 0, CT_FLOAT64, true, 420, true));
    /* running statistics: the batch mean of each instance's mean and
     * unbiased variance, blended with momentum */
    ct_tensor *x = tt_rand(SHAPE(3, 2, 4), 3, CT_FLOAT64, -1, 2, 430);
    ct_tensor *rm = ct_zeros(SHAPE(2), 1, CT_FLOAT64), *rv = ct_ones(SHAPE(2), 1, CT_FLOAT64);
    CHECK_OK(ct_instance_norm(x, rm, rv, NULL, NULL, true, 0.25, 1e-5));
    for (int64_t c = 0; c < 2; c++) {
        double sm = 0, sv = 0;
        for (int64_t n = 0; n < 3; n++) {
            double m = 0, q = 0;
            for (int64_t i = 0; i < 4; i++) m += ct_item_at(x, (n * 2 + c) * 4 + i) / 4;
            for (int64_t i = 0; i < 4; i++) {
                double d = ct_item_at(x, (n * 2 + c) * 4 + i) - m;
                q += d * d / 3;
            }
            sm += m / 3, sv += q / 3;
        }
        CHECK_CLOSE(ct_item_at(rm, c), 0.25 * sm, 1e-12);
        CHECK_CLOSE(ct_item_at(rv, c), 0.75 + 0.25 * sv, 1e-12);
    }
    /* use_input_stats false: the running statistics normalise */
    ct_tensor *e = ct_instance_norm(x, rm, rv, NULL, NULL, false, 0.1, 1e-5);
    CHECK_OK(e);
    for (int64_t i = 0; i < e->numel; i++) {
        int64_t c = (i / 4) % 2;
        CHECK_CLOSE(ct_item_at(e, i), (ct_item_at(x, i) - ct_item_at(rm, c)) / sqrt(ct_item_at(rv, c) + 1e-5), 1e-12);
    }
    CHECK_ERR(ct_instance_norm(x, NULL, NULL, NULL, NULL, false, 0.1, 1e-5),
              "Expected running_mean and running_var to be defined when use_input_stats is false");
    CHECK_ERR(ct_instance_norm(x, ct_zeros(SHAPE(3), 1, CT_FLOAT64), NULL, NULL, NULL, true, 0.1, 1e-5),
              "running_mean should contain 2 elements not 3");
}
