/* The losses of include/ctorch/nn_extra.h: values of the three reductions
 * against per-element losses computed here in double precision from the
 * formulas of PyTorch's documentation, PyTorch's errors, and
 * gradcheck/gradgradcheck in float64. */
#include "test_autograd.h"

#include <stdlib.h>

#include "ctorch/nn_extra.h"

/* expr uses the reduction R; l holds the n per-element losses of shape. */
#define CHECK3(expr, shape, nd, l, n, tol)                                      \
    do {                                                                        \
        int R = CT_REDUCTION_NONE;                                              \
        CHECK_TENSOR((expr), (shape), (nd), (l), (tol));                        \
        double s_ = 0;                                                          \
        for (int64_t i_ = 0; i_ < (n); i_++) s_ += (l)[i_];                     \
        R = CT_REDUCTION_SUM;                                                   \
        ct_tensor *t_ = (expr);                                                 \
        CHECK_OK(t_);                                                           \
        CHECK(t_->ndim == 0);                                                   \
        CHECK_CLOSE(ct_item_at(t_, 0), s_, (tol));                              \
        R = CT_REDUCTION_MEAN;                                                  \
        t_ = (expr);                                                            \
        CHECK_OK(t_);                                                           \
        CHECK(t_->ndim == 0);                                                   \
        CHECK_CLOSE(ct_item_at(t_, 0), s_ / (double)(n), (tol));                \
    } while (0)

static ct_tensor *rnd(const int64_t *shape, int nd, double lo, double hi, unsigned seed) {
    return tt_rand(shape, nd, CT_FLOAT64, lo, hi, seed);
}
/* +-1 labels (float64) of a shape. */
static ct_tensor *signs(const int64_t *shape, int nd, unsigned seed) {
    ct_tensor *u = tt_rand(shape, nd, CT_FLOAT64, 0, 1, seed);
    double *v = tt_values(u);
    for (int64_t i = 0; i < u->numel; i++) v[i] = v[i] < 0.5 ? -1 : 1;
    ct_tensor *t = tt_tensor(v, shape, nd, CT_FLOAT64);
    free(v);
    return t;
}

/* ---------------------------------------------------------------- margin_ranking_loss */
TEST(margin_ranking_loss, reductions_and_errors) {
    ct_tensor *a = rnd(SHAPE(7), 1, -1, 1, 1), *b = rnd(SHAPE(7), 1, -1, 1, 2), *y = signs(SHAPE(7), 1, 3);
    double *av = tt_values(a), *bv = tt_values(b), *yv = tt_values(y), l[7];
    for (int i = 0; i < 7; i++) l[i] = fmax(0, -yv[i] * (av[i] - bv[i]) + 0.3);
    free(av), free(bv), free(yv);
    CHECK3(ct_margin_ranking_loss(a, b, y, 0.3, R), SHAPE(7), 1, l, 7, 1e-12);
    CHECK_ERR(ct_margin_ranking_loss(a, ct_unsqueeze(b, 1), y, 0, CT_REDUCTION_MEAN),
              "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: [7], input2: [7, 1], target: [7]");
    CHECK_ERR(ct_margin_ranking_loss(a, rnd(SHAPE(4), 1, 0, 1, 1), y, 0, CT_REDUCTION_MEAN), "must match");
    CHECK_ERR(ct_margin_ranking_loss(a, b, y, 0, 5), "5 is not a valid value for reduction");
}

/* ---------------------------------------------------------------- triplet_margin_loss */
static double pdist(const double *u, const double *v, int d, double p, double eps) {
    double s = 0;
    for (int k = 0; k < d; k++) s += pow(fabs(u[k] - v[k] + eps), p);
    return pow(s, 1 / p);
}

TEST(triplet_margin_loss, p_norms_swap_and_errors) {
    ct_tensor *a = rnd(SHAPE(4, 5), 2, -1, 1, 4), *p = rnd(SHAPE(4, 5), 2, -1, 1, 5), *n = rnd(SHAPE(4, 5), 2, -1, 1, 6);
    double *av = tt_values(a), *pv = tt_values(p), *nv = tt_values(n);
    const double norms[2] = {2, 1};
    for (int pi = 0; pi < 2; pi++)
        for (int sw = 0; sw < 2; sw++) {
            double l[4];
            for (int i = 0; i < 4; i++) {
                double dp = pdist(av + 5 * i, pv + 5 * i, 5, norms[pi], 1e-6);
                double dn = pdist(av + 5 * i, nv + 5 * i, 5, norms[pi], 1e-6);
                if (sw) dn = fmin(dn, pdist(pv + 5 * i, nv + 5 * i, 5, norms[pi], 1e-6));
                l[i] = fmax(0, 1.5 + dp - dn);
            }
            CHECK3(ct_triplet_margin_loss(a, p, n, 1.5, norms[pi], 1e-6, sw, R), SHAPE(4), 1, l, 4, 1e-10);
        }
    free(av), free(pv), free(nv);
    /* a transposed anchor gives the same as its contiguous copy */
    ct_tensor *at = ct_t(rnd(SHAPE(5, 4), 2, -1, 1, 7));
    ct_tensor *r1 = ct_triplet_margin_loss(at, p, n, 1, 2, 1e-6, false, CT_REDUCTION_SUM);
    ct_tensor *r2 = ct_triplet_margin_loss(ct_contiguous(at), p, n, 1, 2, 1e-6, false, CT_REDUCTION_SUM);
    CHECK_OK(r1);
    CHECK_OK(r2);
    CHECK_CLOSE(ct_item_at(r1, 0), ct_item_at(r2, 0), 1e-12);
    CHECK_ERR(ct_triplet_margin_loss(a, p, rnd(SHAPE(5), 1, 0, 1, 1), 1, 2, 1e-6, false, CT_REDUCTION_MEAN),
              "All inputs should have same dimension but got 2D, 2D and 1D inputs.");
    CHECK_ERR(ct_triplet_margin_loss(a, p, rnd(SHAPE(4, 3), 2, 0, 1, 1), 1, 2, 1e-6, false, CT_REDUCTION_MEAN),
              "must match");
}

/* ---------------------------------------------------------------- cosine_embedding_loss */
TEST(cosine_embedding_loss, batched_unbatched_and_errors) {
    ct_tensor *a = rnd(SHAPE(5, 4), 2, -1, 1, 8), *b = ct_t(rnd(SHAPE(4, 5), 2, -1, 1, 9)), *y = signs(SHAPE(5), 1, 10);
    double *av = tt_values(a), *bv = tt_values(b), *yv = tt_values(y), l[5];
    for (int i = 0; i < 5; i++) {
        double s = 0, m1 = 0, m2 = 0;
        for (int k = 0; k < 4; k++)
            s += av[4 * i + k] * bv[4 * i + k], m1 += av[4 * i + k] * av[4 * i + k], m2 += bv[4 * i + k] * bv[4 * i + k];
        double c = s / sqrt((m1 + 1e-12) * (m2 + 1e-12));
        l[i] = yv[i] == 1 ? 1 - c : fmax(0, c - 0.2);
    }
    CHECK3(ct_cosine_embedding_loss(a, b, y, 0.2, R), SHAPE(5), 1, l, 5, 1e-12);
    /* 1-d inputs with a 0-d target */
    ct_tensor *r = ct_cosine_embedding_loss(ct_select(a, 0, 0), ct_select(b, 0, 0), ct_select(y, 0, 0), 0.2,
                                            CT_REDUCTION_NONE);
    CHECK_TENSOR(r, SHAPE(1), 0, l, 1e-12);
    free(av), free(bv), free(yv);
    CHECK_ERR(ct_cosine_embedding_loss(a, b, ct_unsqueeze(y, 1), 0, CT_REDUCTION_MEAN),
              "0D or 1D target tensor expected, multi-target not supported");
    CHECK_ERR(ct_cosine_embedding_loss(ct_select(a, 0, 0), ct_select(b, 0, 0), y, 0, CT_REDUCTION_MEAN),
              "1D target tensor expects 2D input tensors, but found inputs with sizes [4] and [4].");
    CHECK_ERR(ct_cosine_embedding_loss(a, b, ct_select(y, 0, 0), 0, CT_REDUCTION_MEAN),
              "0D target tensor expects 1D input tensors, but found inputs with sizes [5, 4] and [5, 4].");
    CHECK_ERR(ct_cosine_embedding_loss(a, rnd(SHAPE(5, 3), 2, 0, 1, 1), y, 0, CT_REDUCTION_MEAN), "must match");
}

/* ---------------------------------------------------------------- hinge_embedding_loss */
TEST(hinge_embedding_loss, reductions_and_broadcast_target) {
    ct_tensor *x = rnd(SHAPE(3, 4), 2, -2, 2, 11), *y = signs(SHAPE(3, 4), 2, 12), *yb = signs(SHAPE(4), 1, 13);
    double *xv = tt_values(x), *yv = tt_values(y), *ybv = tt_values(yb), l[12], lb[12];
    for (int i = 0; i < 12; i++) {
        l[i] = (yv[i] != 1 ? fmax(0, 1.2 - xv[i]) : 0) + (yv[i] != -1 ? xv[i] : 0);
        double t = ybv[i % 4];
        lb[i] = (t != 1 ? fmax(0, 1.2 - xv[i]) : 0) + (t != -1 ? xv[i] : 0);
    }
    free(xv), free(yv), free(ybv);
    CHECK3(ct_hinge_embedding_loss(x, y, 1.2, R), SHAPE(3, 4), 2, l, 12, 1e-12);
    CHECK3(ct_hinge_embedding_loss(x, yb, 1.2, R), SHAPE(3, 4), 2, lb, 12, 1e-12);
    CHECK_ERR(ct_hinge_embedding_loss(x, rnd(SHAPE(5), 1, 0, 1, 1), 1, CT_REDUCTION_MEAN), "must match");
}

/* ---------------------------------------------------------------- soft margin losses */
TEST(soft_margin_loss, reductions) {
    ct_tensor *x = rnd(SHAPE(3, 4), 2, -3, 3, 14), *y = signs(SHAPE(3, 4), 2, 15);
    double *xv = tt_values(x), *yv = tt_values(y), l[12];
    for (int i = 0; i < 12; i++) l[i] = log1p(exp(-yv[i] * xv[i]));
    free(xv), free(yv);
    CHECK3(ct_soft_margin_loss(x, y, R), SHAPE(3, 4), 2, l, 12, 1e-12);
    ct_tensor *xf = ct_to_dtype(x, CT_FLOAT32, false);
    CHECK3(ct_soft_margin_loss(xf, y, R), SHAPE(3, 4), 2, l, 12, 1e-6);
    CHECK_ERR(ct_soft_margin_loss(x, rnd(SHAPE(5), 1, 0, 1, 1), CT_REDUCTION_MEAN), "must match");
}

static double log_sig(double v) { return fmin(v, 0) - log1p(exp(-fabs(v))); }

TEST(multilabel_soft_margin_loss, weights_and_reductions) {
    ct_tensor *x = rnd(SHAPE(3, 4), 2, -3, 3, 16), *t = tt_rand(SHAPE(3, 4), 2, CT_FLOAT64, 0, 2, 17);
    t = ct_floor(t);
    ct_tensor *w = rnd(SHAPE(4), 1, 0.5, 2, 18);
    double *xv = tt_values(x), *tv = tt_values(t), *wv = tt_values(w), l[3], lw[3];
    for (int n = 0; n < 3; n++) {
        double s = 0, sw = 0;
        for (int c = 0; c < 4; c++) {
            int i = n * 4 + c;
            double e = -(tv[i] * log_sig(xv[i]) + (1 - tv[i]) * log_sig(-xv[i]));
            s += e, sw += e * wv[c];
        }
        l[n] = s / 4, lw[n] = sw / 4;
    }
    free(xv), free(tv), free(wv);
    CHECK3(ct_multilabel_soft_margin_loss(x, t, NULL, R), SHAPE(3), 1, l, 3, 1e-12);
    CHECK3(ct_multilabel_soft_margin_loss(x, t, w, R), SHAPE(3), 1, lw, 3, 1e-12);
    CHECK_ERR(ct_multilabel_soft_margin_loss(x, rnd(SHAPE(3, 5), 2, 0, 1, 1), NULL, CT_REDUCTION_MEAN), "must match");
}

/* ---------------------------------------------------------------- poisson_nll_loss */
TEST(poisson_nll_loss, log_input_full_and_eps) {
    ct_tensor *x = rnd(SHAPE(3, 4), 2, 0.1, 2, 19), *t = rnd(SHAPE(3, 4), 2, 0, 4, 20);
    double *xv = tt_values(x), *tv = tt_values(t);
    for (int mode = 0; mode < 4; mode++) {
        bool li = mode & 1, full = mode & 2;
        double l[12];
        for (int i = 0; i < 12; i++) {
            l[i] = li ? exp(xv[i]) - tv[i] * xv[i] : xv[i] - tv[i] * log(xv[i] + 1e-8);
            if (full && tv[i] > 1) l[i] += tv[i] * log(tv[i]) - tv[i] + 0.5 * log(2 * M_PI * tv[i]);
        }
        CHECK3(ct_poisson_nll_loss(x, t, li, full, 1e-8, R), SHAPE(3, 4), 2, l, 12, 1e-12);
    }
    free(xv), free(tv);
    CHECK_ERR(ct_poisson_nll_loss(x, rnd(SHAPE(5), 1, 0, 1, 1), true, false, 1e-8, CT_REDUCTION_MEAN), "must match");
}

/* ---------------------------------------------------------------- gaussian_nll_loss */
TEST(gaussian_nll_loss, variance_shapes_clamp_and_errors) {
    ct_tensor *x = rnd(SHAPE(3, 4), 2, -1, 1, 21), *t = rnd(SHAPE(3, 4), 2, -1, 1, 22);
    ct_tensor *v = rnd(SHAPE(3, 4), 2, 0, 2, 23), *v1 = rnd(SHAPE(3), 1, 0.1, 2, 24);
    ((double *)ct_data_ptr(v))[5] = 0; /* clamped to eps */
    double *xv = tt_values(x), *tv = tt_values(t), *vv = tt_values(v), *v1v = tt_values(v1), l[12], lf[12], l1[12];
    for (int i = 0; i < 12; i++) {
        double var = fmax(vv[i], 1e-3), d = xv[i] - tv[i];
        l[i] = 0.5 * (log(var) + d * d / var);
        lf[i] = l[i] + 0.5 * log(2 * M_PI);
        double w = v1v[i / 4];
        l1[i] = 0.5 * (log(w) + d * d / w);
    }
    free(xv), free(tv), free(vv), free(v1v);
    CHECK3(ct_gaussian_nll_loss(x, t, v, false, 1e-3, R), SHAPE(3, 4), 2, l, 12, 1e-12);
    CHECK3(ct_gaussian_nll_loss(x, t, v, true, 1e-3, R), SHAPE(3, 4), 2, lf, 12, 1e-12);
    CHECK3(ct_gaussian_nll_loss(x, t, v1, false, 1e-6, R), SHAPE(3, 4), 2, l1, 12, 1e-12);
    CHECK3(ct_gaussian_nll_loss(x, t, ct_unsqueeze(v1, 1), false, 1e-6, R), SHAPE(3, 4), 2, l1, 12, 1e-12);
    /* the caller's var is not modified */
    CHECK(ct_item_at(v, 5) == 0);
    CHECK_ERR(ct_gaussian_nll_loss(x, t, rnd(SHAPE(4), 1, 0, 1, 1), false, 1e-6, CT_REDUCTION_MEAN), "var is of incorrect size");
    CHECK_ERR(ct_gaussian_nll_loss(x, t, ct_neg(v), false, 1e-6, CT_REDUCTION_MEAN), "var has negative entry/entries");
    CHECK_ERR(ct_gaussian_nll_loss(x, t, v, false, 1e-6, 3), "3 is not valid");
    CHECK(ct_last_error_kind() == CT_ERR_VALUE);
}

/* ---------------------------------------------------------------- multi_margin_loss */
TEST(multi_margin_loss, p_margin_weight_and_errors) {
    ct_tensor *x = rnd(SHAPE(4, 5), 2, -1, 1, 25);
    ct_tensor *y = tt_tensor(VALS(0, 3, 4, 3), SHAPE(4), 1, CT_INT64), *w = rnd(SHAPE(5), 1, 0.5, 2, 26);
    double *xv = tt_values(x), *wv = tt_values(w);
    for (int p = 1; p <= 2; p++)
        for (int useW = 0; useW < 2; useW++) {
            double l[4];
            for (int n = 0; n < 4; n++) {
                int64_t c = ct_item_at_int(y, n);
                double s = 0;
                for (int d = 0; d < 5; d++) {
                    if (d == c) continue;
                    double z = fmax(0, 0.7 - xv[n * 5 + c] + xv[n * 5 + d]);
                    s += (p == 2 ? z * z : z) * (useW ? wv[c] : 1);
                }
                l[n] = s / 5;
            }
            CHECK3(ct_multi_margin_loss(x, y, p, 0.7, useW ? w : NULL, R), SHAPE(4), 1, l, 4, 1e-12);
        }
    /* an unbatched input: 0-d result with a 0-d target, [1] with a [1] target */
    double s = 0;
    for (int d = 0; d < 5; d++)
        if (d != 2) s += fmax(0, 1 - xv[2] + xv[d]);
    ct_tensor *x0 = ct_select(x, 0, 0);
    CHECK_TENSOR(ct_multi_margin_loss(x0, ct_scalar_tensor(2, CT_INT64), 1, 1, NULL, CT_REDUCTION_NONE), SHAPE(1), 0,
                 VALS(s / 5), 1e-12);
    CHECK_TENSOR(ct_multi_margin_loss(x0, tt_tensor(VALS(2), SHAPE(1), 1, CT_INT64), 1, 1, NULL, CT_REDUCTION_NONE),
                 SHAPE(1), 1, VALS(s / 5), 1e-12);
    free(xv), free(wv);
    CHECK_ERR(ct_multi_margin_loss(x, tt_tensor(VALS(0, 1, 5, 0), SHAPE(4), 1, CT_INT64), 1, 1, NULL, CT_REDUCTION_MEAN),
              "target out of range");
    CHECK_ERR(ct_multi_margin_loss(x, tt_tensor(VALS(0, 1, -1, 0), SHAPE(4), 1, CT_INT64), 1, 1, NULL, CT_REDUCTION_MEAN),
              "target out of range");
    CHECK_ERR(ct_multi_margin_loss(x, tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_INT64), 1, 1, NULL, CT_REDUCTION_MEAN),
              "inconsistent target size, got: [2]");
    CHECK_ERR(ct_multi_margin_loss(rnd(SHAPE(2, 3, 4), 3, 0, 1, 1), y, 1, 1, NULL, CT_REDUCTION_MEAN),
              "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 3, 4]");
    CHECK_ERR(ct_multi_margin_loss(rnd(SHAPE(3, 0), 2, 0, 1, 1), y, 1, 1, NULL, CT_REDUCTION_MEAN),
              "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [3, 0]");
    CHECK_ERR(ct_multi_margin_loss(x, y, 3, 1, NULL, CT_REDUCTION_MEAN), "only p == 1 and p == 2 supported");
    CHECK_ERR(ct_multi_margin_loss(x, ct_to_dtype(y, CT_INT32, false), 1, 1, NULL, CT_REDUCTION_MEAN),
              "expected scalar type Long but found Int");
    CHECK_ERR(ct_multi_margin_loss(x, y, 1, 1, rnd(SHAPE(4), 1, 0, 1, 1), CT_REDUCTION_MEAN),
              "inconsistent weight size, expected 5 but got [4]");
}

/* ---------------------------------------------------------------- multilabel_margin_loss */
/* PyTorch's loop: targets up to the first -1; pairs (target j, non-target k). */
static void ref_multilabel(const double *x, const int64_t *t, int64_t N, int64_t C, double *l) {
    for (int64_t n = 0; n < N; n++) {
        bool is_t[16] = {false};
        int64_t len = 0;
        while (len < C && t[n * C + len] >= 0) is_t[t[n * C + len]] = true, len++;
        double s = 0;
        for (int64_t j = 0; j < len; j++)
            for (int64_t k = 0; k < C; k++)
                if (!is_t[k]) s += fmax(0, 1 - x[n * C + t[n * C + j]] + x[n * C + k]);
        l[n] = s / (double)C;
    }
}

TEST(multilabel_margin_loss, targets_end_at_minus_one) {
    ct_tensor *x = rnd(SHAPE(3, 5), 2, -1, 1, 27);
    const int64_t tv[15] = {3, 0, -1, 1, 4, /**/ 1, 1, 2, -1, 0, /**/ 4, 3, 2, 1, 0};
    double tvd[15];
    for (int i = 0; i < 15; i++) tvd[i] = (double)tv[i];
    ct_tensor *t = tt_tensor(tvd, SHAPE(3, 5), 2, CT_INT64);
    double *xv = tt_values(x), l[3];
    ref_multilabel(xv, tv, 3, 5, l);
    CHECK3(ct_multilabel_margin_loss(x, t, R), SHAPE(3), 1, l, 3, 1e-12);
    CHECK3(ct_multilabel_margin_loss(ct_t(ct_contiguous(ct_t(x))), t, R), SHAPE(3), 1, l, 3, 1e-12);
    /* unbatched: a 0-d result even with reduction none */
    CHECK_TENSOR(ct_multilabel_margin_loss(ct_select(x, 0, 0), ct_select(t, 0, 0), CT_REDUCTION_NONE), SHAPE(1), 0, l, 1e-12);
    free(xv);
    CHECK_ERR(ct_multilabel_margin_loss(x, ct_narrow(t, 0, 0, 2), CT_REDUCTION_MEAN),
              "inconsistent size [2, 5] for argument #2 'target'");
    CHECK_ERR(ct_multilabel_margin_loss(x, ct_add(t, ct_scalar_tensor(1, CT_INT64)), CT_REDUCTION_MEAN), "argument #2 'target' is out of range");
    CHECK_ERR(ct_multilabel_margin_loss(x, ct_sub(t, ct_scalar_tensor(1, CT_INT64)), CT_REDUCTION_MEAN), "argument #2 'target' is out of range");
    CHECK_ERR(ct_multilabel_margin_loss(x, ct_to_dtype(t, CT_FLOAT32, false), CT_REDUCTION_MEAN),
              "expected scalar type Long but found Float");
    CHECK_ERR(ct_multilabel_margin_loss(rnd(SHAPE(2, 3, 4), 3, 0, 1, 1), t, CT_REDUCTION_MEAN),
              "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 3, 4]");
}

/* ---------------------------------------------------------------- gradients */
static ct_tensor *T0, *T1;
FN(f_mrl, ct_margin_ranking_loss(x[0], x[1], T0, 0.2, CT_REDUCTION_MEAN))
FN(f_tml, ct_triplet_margin_loss(x[0], x[1], x[2], 1.0, 2, 1e-6, false, CT_REDUCTION_MEAN))
FN(f_tml_swap, ct_triplet_margin_loss(x[0], x[1], x[2], 1.0, 1.5, 1e-6, true, CT_REDUCTION_NONE))
FN(f_cel, ct_cosine_embedding_loss(x[0], x[1], T0, 0.1, CT_REDUCTION_SUM))
FN(f_hel, ct_hinge_embedding_loss(x[0], T0, 1.0, CT_REDUCTION_MEAN))
FN(f_sml, ct_soft_margin_loss(x[0], T0, CT_REDUCTION_SUM))
FN(f_mlsml, ct_multilabel_soft_margin_loss(x[0], T0, x[1], CT_REDUCTION_MEAN))
FN(f_pnl, ct_poisson_nll_loss(x[0], x[1], true, true, 1e-8, CT_REDUCTION_SUM))
FN(f_pnl_lin, ct_poisson_nll_loss(x[0], T0, false, false, 1e-8, CT_REDUCTION_NONE))
FN(f_gnl, ct_gaussian_nll_loss(x[0], x[1], x[2], true, 1e-6, CT_REDUCTION_MEAN))
FN(f_mml, ct_multi_margin_loss(x[0], T0, 2, 0.9, x[1], CT_REDUCTION_SUM))
FN(f_mml1, ct_multi_margin_loss(x[0], T0, 1, 1.0, NULL, CT_REDUCTION_NONE))
FN(f_mlml, ct_multilabel_margin_loss(x[0], T1, CT_REDUCTION_MEAN))

TEST(grad_margin_ranking_loss, gradcheck) {
    T0 = signs(SHAPE(5), 1, 40);
    GRADCHECK(f_mrl, rleaf(SHAPE(5), 1, -1, 1, 41), rleaf(SHAPE(5), 1, -1, 1, 42));
}
TEST(grad_triplet_margin_loss, gradcheck) {
    GRADCHECK(f_tml, noncontig2(3, 4, 43), rleaf(SHAPE(3, 4), 2, -1, 1, 44), rleaf(SHAPE(3, 4), 2, -1, 1, 45));
    GRADCHECK(f_tml_swap, rleaf(SHAPE(3, 4), 2, -1, 1, 46), rleaf(SHAPE(3, 4), 2, -1, 1, 47), rleaf(SHAPE(3, 4), 2, -1, 1, 48));
}
TEST(grad_cosine_embedding_loss, gradcheck) {
    T0 = signs(SHAPE(4), 1, 49);
    GRADCHECK(f_cel, rleaf(SHAPE(4, 3), 2, -1, 1, 50), noncontig2(4, 3, 51));
}
TEST(grad_hinge_embedding_loss, gradcheck) {
    T0 = signs(SHAPE(3, 4), 2, 52);
    GRADCHECK(f_hel, rleaf(SHAPE(3, 4), 2, -2, 2, 53));
}
TEST(grad_soft_margin_loss, gradcheck) {
    T0 = signs(SHAPE(2, 2, 3), 3, 54);
    GRADCHECK(f_sml, strided3(2, 2, 3, 55));
}
TEST(grad_multilabel_soft_margin_loss, gradcheck) {
    T0 = ct_floor(tt_rand(SHAPE(3, 4), 2, CT_FLOAT64, 0, 2, 56));
    GRADCHECK(f_mlsml, rleaf(SHAPE(3, 4), 2, -2, 2, 57), rleaf(SHAPE(4), 1, 0.5, 2, 58));
}
TEST(grad_poisson_nll_loss, gradcheck) {
    GRADCHECK(f_pnl, rleaf(SHAPE(3, 4), 2, -1, 1, 59), rleaf(SHAPE(3, 4), 2, 1.5, 4, 60));
    T0 = rnd(SHAPE(3, 4), 2, 0, 4, 61);
    GRADCHECK(f_pnl_lin, rleaf(SHAPE(3, 4), 2, 0.5, 2, 62));
}
TEST(grad_gaussian_nll_loss, gradcheck) {
    GRADCHECK(f_gnl, rleaf(SHAPE(3, 4), 2, -1, 1, 63), rleaf(SHAPE(3, 4), 2, -1, 1, 64), rleaf(SHAPE(3, 1), 2, 0.5, 2, 65));
}
TEST(grad_multi_margin_loss, gradcheck) {
    T0 = tt_tensor(VALS(0, 2, 3), SHAPE(3), 1, CT_INT64);
    GRADCHECK(f_mml, rleaf(SHAPE(3, 4), 2, -1, 1, 66), rleaf(SHAPE(4), 1, 0.5, 2, 67));
    GRADCHECK(f_mml1, noncontig2(3, 4, 68));
}
TEST(grad_multilabel_margin_loss, gradcheck) {
    T1 = tt_tensor(VALS(3, 0, -1, 1, 1, 2, -1, 0), SHAPE(2, 4), 2, CT_INT64);
    GRADCHECK(f_mlml, rleaf(SHAPE(2, 4), 2, -1, 1, 69));
}
