/* dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout
 * (include/ctorch/nn_embpool.h): statistics (fraction dropped, scaling,
 * whole channels, alpha's mean and variance), reproducibility through the
 * generator, the in-place forms, errors, and gradients through the mask. */
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/nn_embpool.h"

/* y over x = ones [planes][inner]: every plane constant (0 or scale);
 * returns the fraction of planes dropped, or -1 when a plane is mixed or a
 * value is neither 0 nor scale. */
static double plane_stats(const ct_tensor *y, int64_t planes, double scale) {
    double *v = tt_values(y);
    int64_t inner = y->numel / planes, dropped = 0;
    for (int64_t p = 0; p < planes; p++) {
        double first = v[p * inner];
        for (int64_t j = 0; j < inner; j++)
            if (v[p * inner + j] != first || (first != 0 && fabs(first - scale) > 1e-6 * scale)) {
                free(v);
                return -1;
            }
        dropped += first == 0;
    }
    free(v);
    return (double)dropped / (double)planes;
}

TEST(dropout2d, whole_channels_fraction_and_scale) {
    ct_tensor *x = ct_ones(SHAPE(40, 50, 3, 2), 4, CT_FLOAT32);
    ct_generator *g = ct_generator_new(7);
    ct_tensor *y = ct_dropout2d(x, 0.3, true, g);
    CHECK_OK(y);
    double f = plane_stats(y, 2000, 1 / 0.7);
    CHECK(f >= 0);
    /* 2000 Bernoulli(0.3): sd 0.0102, 5 sd */
    CHECK(fabs(f - 0.3) < 0.052);
    /* a 3-d input is [N, C, L] (PyTorch 1.13) */
    y = ct_dropout2d(ct_ones(SHAPE(40, 50, 4), 3, CT_FLOAT64), 0.5, true, g);
    f = y ? plane_stats(y, 2000, 2) : -1;
    CHECK(fabs(f - 0.5) < 0.056);
    /* the same seed, the same mask; not training, p = 0 or empty: x itself (an alias) */
    ct_generator *g1 = ct_generator_new(3), *g2 = ct_generator_new(3);
    ct_tensor *r = tt_rand(SHAPE(4, 6, 5), 3, CT_FLOAT64, -1, 1, 1);
    ct_tensor *a = ct_dropout2d(r, 0.4, true, g1), *b = ct_dropout2d(r, 0.4, true, g2);
    double *av = tt_values(a), *bv = tt_values(b);
    bool same = memcmp(av, bv, sizeof(double) * 120) == 0;
    free(av), free(bv);
    CHECK(same);
    ct_tensor *al = ct_dropout2d(r, 0.4, false, g);
    CHECK(al && al != r && ct_data_ptr(al) == ct_data_ptr(r));
    CHECK(ct_data_ptr(ct_dropout2d(r, 0, true, g)) == ct_data_ptr(r));
    CHECK_OK(ct_dropout2d(ct_zeros(SHAPE(0, 3, 2), 3, CT_FLOAT32), 0.5, true, g));
    /* p = 1: zeros, no draws */
    CHECK(plane_stats(ct_dropout2d(x, 1.0, true, g), 2000, 1) == 1.0);
    /* float64 and non-contiguous inputs keep their values where kept */
    ct_tensor *rt = ct_transpose(r, 0, 2);
    ct_tensor *yt = ct_dropout2d(rt, 0.5, true, g);
    CHECK_OK(yt);
    double *rv = tt_values(rt), *yv = tt_values(yt);
    bool ok = true;
    for (int i = 0; i < 120; i++) ok &= yv[i] == 0 || fabs(yv[i] - 2 * rv[i]) < 1e-15;
    free(rv), free(yv);
    CHECK(ok);
    CHECK_ERR(ct_dropout2d(x, 1.5, true, g), "dropout probability has to be between 0 and 1, but got 1.5");
    CHECK(ct_last_error_kind() == CT_ERR_VALUE);
    CHECK_ERR(ct_dropout2d(ct_ones(SHAPE(3), 1, CT_FLOAT32), 0.5, true, g),
              "Feature dropout requires at least 2 dimensions in the input");
    CHECK_ERR(ct_dropout2d(ct_ones(SHAPE(3, 3, 3), 3, CT_INT64), 0.5, true, g),
              "result type Float can't be cast to the desired output type Long");
    ct_generator_free(g), ct_generator_free(g1), ct_generator_free(g2);
}

TEST(dropout2d, default_generator_follows_manual_seed_and_in_place) {
    ct_tensor *r = tt_rand(SHAPE(6, 7, 3), 3, CT_FLOAT32, -1, 1, 2);
    ct_manual_seed(11);
    ct_tensor *a = ct_dropout2d(r, 0.5, true, NULL);
    ct_manual_seed(11);
    ct_tensor *c = ct_contiguous(ct_clone(r));
    ct_tensor *b = ct_dropout2d_(c, 0.5, true, NULL);
    CHECK(a && b == c);
    double *av = tt_values(a), *bv = tt_values(b);
    bool same = memcmp(av, bv, sizeof(double) * 126) == 0;
    free(av), free(bv);
    CHECK(same);
    /* in place on a leaf that requires grad is an error (mul_'s) */
    ct_tensor *leaf = rleaf(SHAPE(2, 3, 2), 3, -1, 1, 3);
    ct_clear_error();
    CHECK(ct_dropout2d_(leaf, 0.5, true, NULL) == NULL);
}

TEST(dropout1d, batched_and_unbatched_channels) {
    ct_generator *g = ct_generator_new(5);
    ct_tensor *y = ct_dropout1d(ct_ones(SHAPE(30, 60, 5), 3, CT_FLOAT32), 0.25, true, g);
    double f = y ? plane_stats(y, 1800, 1 / 0.75) : -1;
    CHECK(f >= 0 && fabs(f - 0.25) < 0.052);
    y = ct_dropout1d(ct_ones(SHAPE(1500, 4), 2, CT_FLOAT64), 0.6, true, g);
    f = y ? plane_stats(y, 1500, 1 / 0.4) : -1;
    CHECK(f >= 0 && fabs(f - 0.6) < 0.064);
    CHECK_ERR(ct_dropout1d(ct_ones(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32), 0.5, true, g),
              "dropout1d: Expected 2D or 3D input, but received a 4D input");
    CHECK_ERR(ct_dropout1d(ct_ones(SHAPE(2), 1, CT_FLOAT32), 0.5, false, g), "received a 1D input");
    ct_generator_free(g);
}

TEST(dropout3d, batched_and_unbatched_channels) {
    ct_generator *g = ct_generator_new(6);
    ct_tensor *y = ct_dropout3d(ct_ones(SHAPE(20, 60, 2, 2, 2), 5, CT_FLOAT32), 0.5, true, g);
    double f = y ? plane_stats(y, 1200, 2) : -1;
    CHECK(f >= 0 && fabs(f - 0.5) < 0.073);
    y = ct_dropout3d(ct_ones(SHAPE(1200, 2, 2, 2), 4, CT_FLOAT32), 0.5, true, g); /* unbatched [C, D, H, W] */
    f = y ? plane_stats(y, 1200, 2) : -1;
    CHECK(f >= 0 && fabs(f - 0.5) < 0.073);
    CHECK_ERR(ct_dropout3d(ct_ones(NULL, 0, CT_FLOAT32), 0.5, true, g), "Feature dropout requires at least 2 dimensions");
    ct_generator_free(g);
}

/* mean and variance of y's elements */
static void moments(const ct_tensor *y, double *mean, double *var) {
    double *v = tt_values(y), s = 0, s2 = 0;
    for (int64_t i = 0; i < y->numel; i++) s += v[i];
    *mean = s / (double)y->numel;
    for (int64_t i = 0; i < y->numel; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
    *var = s2 / (double)y->numel;
    free(v);
}

TEST(alpha_dropout, keeps_zero_mean_unit_variance_and_the_two_values) {
    ct_generator *g = ct_generator_new(8);
    ct_tensor *x = ct_randn(SHAPE(200000), 1, CT_FLOAT64, g);
    double p = 0.3, alpha = 1.7580993408473766, a = 1 / sqrt((alpha * alpha * p + 1) * (1 - p));
    ct_tensor *y = ct_alpha_dropout(x, p, true, g);
    CHECK_OK(y);
    double m, v;
    moments(y, &m, &v);
    CHECK(fabs(m) < 0.02 && fabs(v - 1) < 0.03);
    /* each element is x * a + alpha a p (kept) or -alpha a + alpha a p (dropped) */
    double *xv = tt_values(x), *yv = tt_values(y);
    int64_t dropped = 0;
    bool ok = true;
    for (int64_t i = 0; i < 200000; i++) {
        bool kept = fabs(yv[i] - (xv[i] * a + alpha * a * p)) < 1e-12;
        bool drop = fabs(yv[i] - (-alpha * a + alpha * a * p)) < 1e-12;
        ok &= kept || drop;
        dropped += drop && !kept;
    }
    free(xv), free(yv);
    CHECK(ok);
    CHECK(fabs((double)dropped / 200000 - p) < 0.006);
    CHECK(ct_data_ptr(ct_alpha_dropout(x, p, false, g)) == ct_data_ptr(x));
    CHECK_ERR(ct_alpha_dropout(ct_ones(SHAPE(3), 1, CT_INT64), 0.5, true, g), "can't be cast to the desired output type Long");
    ct_tensor *z = ct_alpha_dropout(x, 1.0, true, g);
    CHECK(z && ct_sum(z) && ((double *)ct_data_ptr(ct_sum(ct_abs(z))))[0] == 0);
    ct_generator_free(g);
}

TEST(feature_alpha_dropout, whole_channels_share_the_draw) {
    ct_generator *g = ct_generator_new(9);
    ct_tensor *x = ct_zeros(SHAPE(50, 40, 3), 3, CT_FLOAT64);
    double p = 0.4, alpha = 1.7580993408473766, a = 1 / sqrt((alpha * alpha * p + 1) * (1 - p));
    ct_tensor *y = ct_feature_alpha_dropout(x, p, true, g);
    CHECK_OK(y);
    /* x = 0: kept channels are alpha a p, dropped ones alpha a (p - 1), each channel constant */
    double *yv = tt_values(y);
    int64_t dropped = 0;
    bool ok = true;
    for (int64_t c = 0; c < 2000; c++) {
        double v0 = yv[c * 3];
        ok &= yv[c * 3 + 1] == v0 && yv[c * 3 + 2] == v0;
        ok &= fabs(v0 - alpha * a * p) < 1e-12 || fabs(v0 - alpha * a * (p - 1)) < 1e-12;
        dropped += fabs(v0 - alpha * a * (p - 1)) < 1e-12;
    }
    free(yv);
    CHECK(ok);
    CHECK(fabs((double)dropped / 2000 - p) < 0.055);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_feature_alpha_dropout_(c, p, true, g) == c);
    CHECK_ERR(ct_feature_alpha_dropout(ct_ones(SHAPE(3), 1, CT_FLOAT32), 0.5, true, g),
              "Feature dropout requires at least 2 dimensions in the input");
    ct_generator_free(g);
}

/* A fresh generator with a fixed seed each call: the same mask for every
 * evaluation gradcheck makes. */
#define DROP_FN(name, call)                                                        \
    static ct_tensor *name(ct_tensor *const *x, int n, void *c) {                  \
        (void)n, (void)c;                                                          \
        ct_generator *g = ct_generator_new(42);                                    \
        ct_tensor *r = call;                                                       \
        ct_generator_free(g);                                                      \
        return r;                                                                  \
    }
DROP_FN(f_d1, ct_dropout1d(x[0], 0.4, true, g))
DROP_FN(f_d2, ct_dropout2d(x[0], 0.4, true, g))
DROP_FN(f_d3, ct_dropout3d(x[0], 0.4, true, g))
DROP_FN(f_ad, ct_alpha_dropout(x[0], 0.4, true, g))
DROP_FN(f_fad, ct_feature_alpha_dropout(x[0], 0.4, true, g))
DROP_FN(f_d2_inplace, ct_dropout2d_(ct_mul_scalar(x[0], 1.0), 0.4, true, g))

TEST(grad_dropout2d, gradient_is_the_mask) {
    ct_tensor *x = rleaf(SHAPE(3, 4, 2), 3, -1, 1, 70);
    ct_generator *g = ct_generator_new(1);
    ct_tensor *y = ct_dropout2d(x, 0.5, true, g);
    ct_generator_free(g);
    CHECK_OK(y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    double *yv = tt_values(y), *xv = tt_values(x), *gv = tt_values(ct_tensor_grad(x));
    bool ok = true;
    for (int i = 0; i < 24; i++) ok &= gv[i] == (yv[i] == 0 && xv[i] != 0 ? 0 : 2);
    free(yv), free(xv), free(gv);
    CHECK(ok);
    GRADCHECK(f_d2, rleaf(SHAPE(3, 4, 2), 3, -1, 1, 71));
    GRADCHECK(f_d2_inplace, rleaf(SHAPE(3, 4, 2), 3, -1, 1, 72));
}
TEST(grad_dropout1d, gradcheck) { GRADCHECK(f_d1, ncr(4, 3, -1, 1, 73)); }
TEST(grad_dropout3d, gradcheck) { GRADCHECK(f_d3, rleaf(SHAPE(3, 2, 1, 2), 4, -1, 1, 74)); }
TEST(grad_alpha_dropout, gradcheck) { GRADCHECK(f_ad, rleaf(SHAPE(3, 5), 2, -1, 1, 75)); }
TEST(grad_feature_alpha_dropout, gradcheck) { GRADCHECK(f_fad, strided3(3, 4, 2, 76)); }
