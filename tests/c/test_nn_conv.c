/* conv3d (and its two gradient ops), conv_transpose2d, conv_transpose1d:
 * values against direct double-precision loops written here (the
 * convolution sum over (D, H, W), 2-d and 1-d being depth 1 and height 1;
 * the transposed convolution as the scatter of each input pixel through
 * the kernel), float32 and float64, over strides, paddings, output
 * paddings, dilations, groups, bias, unbatched, non-contiguous and empty
 * inputs; gradcheck + gradgradcheck in float64; the error paths. */
#include "test_autograd.h"

#include "ctorch/nn.h"
#include "ctorch/nn_conv.h"

#include <stdlib.h>

typedef struct cv {
    int64_t N, C, O, G, in[3], k[3], s[3], p[3], d[3], op[3];
    bool bias;
} cv;

static int64_t conv_out(const cv *q, int i) {
    return (q->in[i] + 2 * q->p[i] - q->d[i] * (q->k[i] - 1) - 1) / q->s[i] + 1;
}
static int64_t convt_out(const cv *q, int i) {
    return (q->in[i] - 1) * q->s[i] - 2 * q->p[i] + q->d[i] * (q->k[i] - 1) + q->op[i] + 1;
}

/* y [N, O, od, oh, ow] = conv(x [N, C, D, H, W], w [O, C/G, k...]) + b */
static double *conv_ref(const cv *q, const double *x, const double *w, const double *b) {
    int64_t o3[3] = {conv_out(q, 0), conv_out(q, 1), conv_out(q, 2)};
    int64_t Cg = q->C / q->G, Og = q->O / q->G;
    double *y = calloc((size_t)(q->N * q->O * o3[0] * o3[1] * o3[2]) + 1, sizeof(double));
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t o = 0; o < q->O; o++)
            for (int64_t a = 0; a < o3[0]; a++)
                for (int64_t bb = 0; bb < o3[1]; bb++)
                    for (int64_t c3 = 0; c3 < o3[2]; c3++) {
                        double s = b ? b[o] : 0;
                        for (int64_t c = 0; c < Cg; c++)
                            for (int64_t i = 0; i < q->k[0]; i++)
                                for (int64_t j = 0; j < q->k[1]; j++)
                                    for (int64_t l = 0; l < q->k[2]; l++) {
                                        int64_t z = a * q->s[0] - q->p[0] + i * q->d[0];
                                        int64_t h = bb * q->s[1] - q->p[1] + j * q->d[1];
                                        int64_t v = c3 * q->s[2] - q->p[2] + l * q->d[2];
                                        if (z < 0 || z >= q->in[0] || h < 0 || h >= q->in[1] ||
                                            v < 0 || v >= q->in[2])
                                            continue;
                                        int64_t ci = (o / Og) * Cg + c;
                                        s += x[(((n * q->C + ci) * q->in[0] + z) * q->in[1] + h) *
                                                   q->in[2] + v] *
                                             w[(((o * Cg + c) * q->k[0] + i) * q->k[1] + j) *
                                                   q->k[2] + l];
                                    }
                        y[(((n * q->O + o) * o3[0] + a) * o3[1] + bb) * o3[2] + c3] = s;
                    }
    return y;
}

/* y [N, O, out...] = transposed conv of x [N, C, in...] with
 * w [C, O/G, k...]: every x pixel scattered through the kernel. */
static double *convt_ref(const cv *q, const double *x, const double *w, const double *b) {
    int64_t o3[3] = {convt_out(q, 0), convt_out(q, 1), convt_out(q, 2)};
    int64_t Cg = q->C / q->G, Og = q->O / q->G, per = o3[0] * o3[1] * o3[2];
    double *y = calloc((size_t)(q->N * q->O * per) + 1, sizeof(double));
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t o = 0; o < q->O; o++)
            for (int64_t e = 0; e < per; e++) y[(n * q->O + o) * per + e] = b ? b[o] : 0;
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t c = 0; c < q->C; c++)
            for (int64_t z = 0; z < q->in[0]; z++)
                for (int64_t h = 0; h < q->in[1]; h++)
                    for (int64_t v = 0; v < q->in[2]; v++) {
                        double xv = x[(((n * q->C + c) * q->in[0] + z) * q->in[1] + h) * q->in[2] + v];
                        for (int64_t og = 0; og < Og; og++)
                            for (int64_t i = 0; i < q->k[0]; i++)
                                for (int64_t j = 0; j < q->k[1]; j++)
                                    for (int64_t l = 0; l < q->k[2]; l++) {
                                        int64_t a = z * q->s[0] - q->p[0] + i * q->d[0];
                                        int64_t bb = h * q->s[1] - q->p[1] + j * q->d[1];
                                        int64_t cc = v * q->s[2] - q->p[2] + l * q->d[2];
                                        if (a < 0 || a >= o3[0] || bb < 0 || bb >= o3[1] ||
                                            cc < 0 || cc >= o3[2])
                                            continue;
                                        int64_t o = (c / Cg) * Og + og;
                                        y[(((n * q->O + o) * o3[0] + a) * o3[1] + bb) * o3[2] + cc] +=
                                            xv * w[(((c * Og + og) * q->k[0] + i) * q->k[1] + j) *
                                                       q->k[2] + l];
                                    }
                    }
    return y;
}

/* ---------------------------------------------------------------- conv3d */

static int check_conv3d(const cv *q, ct_dtype dt, bool noncontig, double tol) {
    ct_tensor *x = noncontig
                       ? ct_transpose(tt_rand(SHAPE(q->N, q->C, q->in[0], q->in[2], q->in[1]), 5, dt,
                                              -1, 1, 1),
                                      3, 4)
                       : tt_rand(SHAPE(q->N, q->C, q->in[0], q->in[1], q->in[2]), 5, dt, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(q->O, q->C / q->G, q->k[0], q->k[1], q->k[2]), 5, dt, -1, 1, 2);
    ct_tensor *b = q->bias ? tt_rand(SHAPE(q->O), 1, dt, -1, 1, 3) : NULL;
    ct_tensor *y = ct_conv3d(x, w, b, q->s, q->p, q->d, q->G);
    if (!y) {
        ct_test_fail(__FILE__, __LINE__, "conv3d: %s", ct_last_error());
        return -1;
    }
    double *xv = tt_values(x), *wv = tt_values(w), *bv = b ? tt_values(b) : NULL;
    double *r = conv_ref(q, xv, wv, bv);
    int rc = tt_expect(__FILE__, __LINE__, y,
                       SHAPE(q->N, q->O, conv_out(q, 0), conv_out(q, 1), conv_out(q, 2)), 5, r, tol);
    free(xv), free(wv), free(bv), free(r);
    return rc;
}

static const cv conv3d_cases[] = {
    {2, 3, 4, 1, {4, 5, 6}, {2, 3, 2}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, {0}, true},
    {2, 4, 6, 2, {5, 6, 5}, {3, 2, 2}, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, {0}, false},
    {1, 4, 4, 4, {3, 4, 4}, {1, 3, 3}, {1, 2, 1}, {0, 1, 1}, {1, 1, 1}, {0}, true}, /* depthwise */
    {3, 2, 3, 1, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0}, true},  /* 1x1x1 */
    {1, 16, 16, 1, {5, 6, 7}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}, true}, /* oneDNN */
};

TEST(conv3d, values_vs_a_double_loop) {
    for (size_t i = 0; i < sizeof conv3d_cases / sizeof *conv3d_cases; i++) {
        CHECK(check_conv3d(&conv3d_cases[i], CT_FLOAT64, i % 2 == 1, 1e-12) == 0);
        CHECK(check_conv3d(&conv3d_cases[i], CT_FLOAT32, i % 2 == 0, 1e-4) == 0);
    }
    /* above the threading grain: several images, one per thread */
    const cv big = {4, 4, 8, 1, {8, 10, 10}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}, true};
    CHECK(check_conv3d(&big, CT_FLOAT64, false, 1e-12) == 0);
}

TEST(conv3d, same_valid_unbatched_empty) {
    ct_tensor *x = tt_rand(SHAPE(1, 2, 4, 5, 6), 5, CT_FLOAT64, -1, 1, 4);
    ct_tensor *w = tt_rand(SHAPE(3, 2, 2, 3, 4), 5, CT_FLOAT64, -1, 1, 5);
    /* 'same' with even kernels pads one more at the end: the reference is
     * the explicit asymmetric pad followed by a valid convolution */
    ct_tensor *ys = ct_conv3d_mode(x, w, NULL, NULL, "same", (const int64_t[]){1, 1, 2}, 1);
    CHECK_OK(ys);
    ct_tensor *xp = ct_pad(x, SHAPE(3, 3, 1, 1, 0, 1), 6, "constant", 0.0);
    const cv q = {1, 2, 3, 1, {5, 7, 12}, {2, 3, 4}, {1, 1, 1}, {0, 0, 0}, {1, 1, 2}, {0}, false};
    double *xv = tt_values(xp), *wv = tt_values(w), *r = conv_ref(&q, xv, wv, NULL);
    int rc = tt_expect(__FILE__, __LINE__, ys, SHAPE(1, 3, 4, 5, 6), 5, r, 1e-12);
    free(xv), free(wv), free(r);
    CHECK(rc == 0);
    ct_tensor *yv = ct_conv3d_mode(x, w, NULL, NULL, "valid", NULL, 1);
    CHECK_OK(yv);
    CHECK(yv->sizes[2] == 3 && yv->sizes[3] == 3 && yv->sizes[4] == 3);
    /* unbatched: the batched result's first image */
    ct_tensor *yu = ct_conv3d(ct_select(x, 0, 0), w, NULL, NULL, SHAPE(1, 1, 1), NULL, 1);
    ct_tensor *yb = ct_conv3d(x, w, NULL, NULL, SHAPE(1, 1, 1), NULL, 1);
    CHECK_OK(yu);
    CHECK_OK(yb);
    double *bv = tt_values(yb);
    rc = tt_expect(__FILE__, __LINE__, yu, &yb->sizes[1], 4, bv, 0);
    free(bv);
    CHECK(rc == 0);
    ct_tensor *ye = ct_conv3d(tt_rand(SHAPE(0, 2, 4, 5, 6), 5, CT_FLOAT32, -1, 1, 6),
                              tt_rand(SHAPE(3, 2, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 7), NULL, NULL,
                              NULL, NULL, 1);
    CHECK_OK(ye);
    CHECK(ye->numel == 0 && ye->sizes[1] == 3 && ye->sizes[2] == 3);
}

TEST(conv3d, errors) {
    ct_tensor *x = tt_rand(SHAPE(1, 4, 3, 3, 3), 5, CT_FLOAT32, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(2, 4, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 2);
    CHECK_ERR(ct_conv3d(ct_select(ct_select(x, 0, 0), 0, 0), w, NULL, NULL, NULL, NULL, 1),
              "Expected 4D (unbatched) or 5D (batched) input to conv3d");
    CHECK_ERR(ct_conv3d(x, ct_select(w, 0, 0), NULL, NULL, NULL, NULL, 1),
              "Expected 5-dimensional weight");
    CHECK_ERR(ct_conv3d(x, w, NULL, NULL, NULL, NULL, 2), "expected input[1, 4, 3, 3, 3] to have 8 channels");
    CHECK_ERR(ct_conv3d(x, tt_rand(SHAPE(2, 4, 2, 2, 2), 5, CT_FLOAT64, -1, 1, 2), NULL, NULL, NULL,
                        NULL, 1),
              "expected scalar type Float but found Double");
    CHECK_ERR(ct_conv3d(x, w, tt_rand(SHAPE(3), 1, CT_FLOAT32, -1, 1, 2), NULL, NULL, NULL, 1),
              "expected bias to be 1-dimensional with 2 elements");
    CHECK_ERR(ct_conv3d(x, w, NULL, SHAPE(1, 0, 1), NULL, NULL, 1), "non-positive stride");
    CHECK_ERR(ct_conv3d(x, w, NULL, NULL, NULL, SHAPE(1, 3, 1), 1), "Kernel size can't be greater");
    CHECK_ERR(ct_conv3d_mode(x, w, NULL, SHAPE(2, 1, 1), "same", NULL, 1),
              "padding='same' is not supported for strided convolutions");
    CHECK_ERR(ct_conv3d_mode(x, w, NULL, NULL, "full", NULL, 1), "Invalid padding string 'full'");
    CHECK_ERR(ct_conv3d(ct_to_dtype(x, CT_INT64, false), ct_to_dtype(w, CT_INT64, false), NULL, NULL, NULL, NULL, 1),
              "not implemented for 'Long'");
}

/* Both gradient ops of q against the adjoint: <conv(x, w), gy> is
 * bilinear, so dx and dw are the sums of gy through the same triples;
 * the reference here is the finite form: dx = convt of gy (stride, padding
 * and dilation as the forward), dw from the direct sum. */
static int check_conv3d_grads(const cv *q, ct_dtype dt, double tol) {
    int64_t o3[3] = {conv_out(q, 0), conv_out(q, 1), conv_out(q, 2)};
    ct_tensor *x = tt_rand(SHAPE(q->N, q->C, q->in[0], q->in[1], q->in[2]), 5, dt, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(q->O, q->C / q->G, q->k[0], q->k[1], q->k[2]), 5, dt, -1, 1, 2);
    ct_tensor *gy = tt_rand(SHAPE(q->N, q->O, o3[0], o3[1], o3[2]), 5, dt, -1, 1, 3);
    ct_tensor *dx = ct_conv3d_backward_input(gy, w, q->in, q->s, q->p, q->d, q->G);
    ct_tensor *dw = ct_conv3d_backward_weight(gy, x, q->k, q->s, q->p, q->d, q->G);
    if (!dx || !dw) {
        ct_test_fail(__FILE__, __LINE__, "%s", ct_last_error());
        return -1;
    }
    double *xv = tt_values(x), *wv = tt_values(w), *gv = tt_values(gy);
    double *rx = calloc((size_t)x->numel + 1, sizeof(double)), *rw = calloc((size_t)w->numel + 1, sizeof(double));
    int64_t Cg = q->C / q->G, Og = q->O / q->G;
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t o = 0; o < q->O; o++)
            for (int64_t a = 0; a < o3[0]; a++)
                for (int64_t bb = 0; bb < o3[1]; bb++)
                    for (int64_t c3 = 0; c3 < o3[2]; c3++) {
                        double g = gv[(((n * q->O + o) * o3[0] + a) * o3[1] + bb) * o3[2] + c3];
                        for (int64_t c = 0; c < Cg; c++)
                            for (int64_t i = 0; i < q->k[0]; i++)
                                for (int64_t j = 0; j < q->k[1]; j++)
                                    for (int64_t l = 0; l < q->k[2]; l++) {
                                        int64_t z = a * q->s[0] - q->p[0] + i * q->d[0];
                                        int64_t h = bb * q->s[1] - q->p[1] + j * q->d[1];
                                        int64_t v = c3 * q->s[2] - q->p[2] + l * q->d[2];
                                        if (z < 0 || z >= q->in[0] || h < 0 || h >= q->in[1] ||
                                            v < 0 || v >= q->in[2])
                                            continue;
                                        int64_t ci = (o / Og) * Cg + c;
                                        int64_t xi = (((n * q->C + ci) * q->in[0] + z) * q->in[1] + h) * q->in[2] + v;
                                        int64_t wi = (((o * Cg + c) * q->k[0] + i) * q->k[1] + j) * q->k[2] + l;
                                        rx[xi] += g * wv[wi];
                                        rw[wi] += g * xv[xi];
                                    }
                    }
    int rc = tt_expect(__FILE__, __LINE__, dx, x->sizes, 5, rx, tol);
    if (rc == 0) rc = tt_expect(__FILE__, __LINE__, dw, w->sizes, 5, rw, tol);
    free(xv), free(wv), free(gv), free(rx), free(rw);
    return rc;
}

TEST(conv3d_backward_input, matches_the_adjoint_sum) {
    for (size_t i = 0; i < sizeof conv3d_cases / sizeof *conv3d_cases; i++) {
        CHECK(check_conv3d_grads(&conv3d_cases[i], CT_FLOAT64, 1e-12) == 0);
        CHECK(check_conv3d_grads(&conv3d_cases[i], CT_FLOAT32, 1e-4) == 0);
    }
}

TEST(conv3d_backward_weight, matches_the_adjoint_sum_and_errors) {
    const cv q = {3, 4, 4, 2, {4, 4, 5}, {2, 2, 3}, {2, 1, 1}, {1, 1, 0}, {1, 1, 2}, {0}, false};
    CHECK(check_conv3d_grads(&q, CT_FLOAT64, 1e-12) == 0);
    ct_tensor *dw = ct_conv3d_backward_weight(tt_rand(SHAPE(0, 4, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 1),
                                              tt_rand(SHAPE(0, 2, 3, 3, 3), 5, CT_FLOAT32, -1, 1, 2),
                                              SHAPE(2, 2, 2), NULL, NULL, NULL, 1);
    CHECK_OK(dw);
    double zeros[4 * 2 * 8] = {0};
    CHECK_TENSOR(dw, SHAPE(4, 2, 2, 2, 2), 5, zeros, 0);
    ct_tensor *gy = tt_rand(SHAPE(1, 2, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 1);
    CHECK_ERR(ct_conv3d_backward_weight(gy, tt_rand(SHAPE(1, 2, 3, 3, 3), 5, CT_FLOAT32, -1, 1, 2),
                                        SHAPE(3, 3, 3), NULL, NULL, NULL, 1),
              "does not match the output size");
    CHECK_ERR(ct_conv3d_backward_input(gy, tt_rand(SHAPE(2, 2, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 2),
                                       SHAPE(3, 3, 3), NULL, NULL, NULL, 3),
              "groups=3");
    CHECK_ERR(ct_conv3d_backward_input(gy, tt_rand(SHAPE(2, 2, 2, 2), 4, CT_FLOAT32, -1, 1, 2),
                                       SHAPE(3, 3, 3), NULL, NULL, NULL, 1),
              "expected 5-d grad_output and weight");
}

FN(f_conv3d, ct_conv3d(x[0], x[1], x[2], SHAPE(1, 2, 1), SHAPE(1, 0, 1), SHAPE(1, 1, 2), 1))
FN(f_conv3d_groups, ct_conv3d(x[0], x[1], NULL, SHAPE(2, 1, 1), SHAPE(0, 1, 0), NULL, 2))
FN(f_conv3d_same, ct_conv3d_mode(x[0], x[1], NULL, NULL, "same", NULL, 1))
FN(f_c3_bi, ct_conv3d_backward_input(x[0], x[1], SHAPE(3, 4, 4), SHAPE(1, 2, 1), SHAPE(1, 0, 0), NULL, 1))
FN(f_c3_bw, ct_conv3d_backward_weight(x[0], x[1], SHAPE(2, 2, 2), SHAPE(1, 2, 1), SHAPE(1, 0, 0), NULL, 1))

TEST(grad_conv3d, first_and_second_order) {
    GRADCHECK(f_conv3d, rleaf(SHAPE(2, 2, 3, 4, 5), 5, -1, 1, 10),
              rleaf(SHAPE(3, 2, 2, 2, 2), 5, -1, 1, 11), rleaf(SHAPE(3), 1, -1, 1, 12));
    GRADCHECK(f_conv3d_groups, rleaf(SHAPE(1, 4, 3, 3, 3), 5, -1, 1, 13),
              rleaf(SHAPE(2, 2, 2, 2, 1), 5, -1, 1, 14));
    GRADCHECK(f_conv3d_same, rleaf(SHAPE(1, 1, 3, 3, 4), 5, -1, 1, 15),
              rleaf(SHAPE(2, 1, 2, 1, 2), 5, -1, 1, 16));
}

TEST(grad_conv3d_backward_input, first_and_second_order) {
    /* gy [1, 2, OD, OH, OW] for input (3, 4, 4), kernel (2, 2, 2), stride
     * (1, 2, 1), padding (1, 0, 0): OD = 4, OH = 2, OW = 3 */
    GRADCHECK(f_c3_bi, rleaf(SHAPE(1, 2, 4, 2, 3), 5, -1, 1, 20),
              rleaf(SHAPE(2, 2, 2, 2, 2), 5, -1, 1, 21));
}

TEST(grad_conv3d_backward_weight, first_and_second_order) {
    GRADCHECK(f_c3_bw, rleaf(SHAPE(2, 2, 4, 2, 3), 5, -1, 1, 22),
              rleaf(SHAPE(2, 2, 3, 4, 4), 5, -1, 1, 23));
}

/* ------------------------------------------------------ conv_transpose2d */

/* conv_transpose2d (and, with in[1] = 1, conv_transpose1d) of q: q->in,
 * k, s, p, d, op use [1..2] for (h, w), [0] = 1. */
static int check_convt(const cv *q, ct_dtype dt, bool oned, bool noncontig, double tol) {
    int64_t O = q->O, Cg = O / q->G;
    ct_tensor *x = noncontig ? ct_transpose(tt_rand(SHAPE(q->N, q->C, q->in[2], q->in[1]), 4, dt,
                                                    -1, 1, 1),
                                            2, 3)
                             : tt_rand(SHAPE(q->N, q->C, q->in[1], q->in[2]), 4, dt, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(q->C, Cg, q->k[1], q->k[2]), 4, dt, -1, 1, 2);
    ct_tensor *b = q->bias ? tt_rand(SHAPE(O), 1, dt, -1, 1, 3) : NULL;
    ct_tensor *y;
    if (oned)
        y = ct_conv_transpose1d(ct_select(x, 2, 0), ct_select(w, 2, 0), b, q->s[2], q->p[2],
                                q->op[2], q->G, q->d[2]);
    else
        y = ct_conv_transpose2d(x, w, b, &q->s[1], &q->p[1], &q->op[1], q->G, &q->d[1]);
    if (!y) {
        ct_test_fail(__FILE__, __LINE__, "conv_transpose: %s", ct_last_error());
        return -1;
    }
    double *xv = tt_values(oned ? ct_contiguous(ct_select(x, 2, 0)) : x);
    double *wv = tt_values(oned ? ct_contiguous(ct_select(w, 2, 0)) : w);
    double *bv = b ? tt_values(b) : NULL;
    double *r = convt_ref(q, xv, wv, bv);
    int rc = oned ? tt_expect(__FILE__, __LINE__, y, SHAPE(q->N, O, convt_out(q, 2)), 3, r, tol)
                  : tt_expect(__FILE__, __LINE__, y, SHAPE(q->N, O, convt_out(q, 1), convt_out(q, 2)),
                              4, r, tol);
    free(xv), free(wv), free(bv), free(r);
    return rc;
}

/* {N, C (in), O (out), G, in, k, s, p, d, op, bias} */
static const cv convt_cases[] = {
    {2, 3, 4, 1, {1, 4, 5}, {1, 3, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, true},
    {2, 4, 6, 2, {1, 3, 4}, {1, 3, 2}, {1, 2, 3}, {0, 1, 0}, {1, 1, 2}, {0, 1, 2}, false},
    {1, 2, 2, 1, {1, 4, 4}, {1, 2, 3}, {1, 1, 1}, {0, 1, 1}, {1, 3, 2}, {0, 2, 1}, true}, /* op >= stride */
    {2, 4, 4, 4, {1, 5, 3}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 1}, {0, 1, 0}, true}, /* depthwise */
    {1, 16, 32, 1, {1, 6, 7}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 1}, {0, 1, 1}, true}, /* oneDNN */
};

TEST(conv_transpose2d, values_vs_a_double_scatter) {
    for (size_t i = 0; i < sizeof convt_cases / sizeof *convt_cases; i++) {
        CHECK(check_convt(&convt_cases[i], CT_FLOAT64, false, i % 2 == 0, 1e-12) == 0);
        CHECK(check_convt(&convt_cases[i], CT_FLOAT32, false, i % 2 == 1, 1e-4) == 0);
    }
    /* unbatched */
    ct_tensor *x = tt_rand(SHAPE(1, 3, 4, 5), 4, CT_FLOAT64, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(3, 2, 3, 3), 4, CT_FLOAT64, -1, 1, 2);
    ct_tensor *yb = ct_conv_transpose2d(x, w, NULL, SHAPE(2, 2), NULL, SHAPE(1, 1), 1, NULL);
    ct_tensor *yu = ct_conv_transpose2d(ct_select(x, 0, 0), w, NULL, SHAPE(2, 2), NULL, SHAPE(1, 1), 1, NULL);
    CHECK_OK(yb);
    CHECK_OK(yu);
    double *bv = tt_values(yb);
    int rc = tt_expect(__FILE__, __LINE__, yu, &yb->sizes[1], 3, bv, 0);
    free(bv);
    CHECK(rc == 0);
    /* empty batch */
    ct_tensor *ye = ct_conv_transpose2d(tt_rand(SHAPE(0, 3, 4, 5), 4, CT_FLOAT32, -1, 1, 1),
                                        tt_rand(SHAPE(3, 2, 3, 3), 4, CT_FLOAT32, -1, 1, 2), NULL,
                                        NULL, NULL, NULL, 1, NULL);
    CHECK_OK(ye);
    CHECK(ye->numel == 0 && ye->sizes[1] == 2 && ye->sizes[2] == 6 && ye->sizes[3] == 7);
}

TEST(conv_transpose2d, errors) {
    ct_tensor *x = tt_rand(SHAPE(1, 4, 5, 5), 4, CT_FLOAT32, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(4, 2, 3, 3), 4, CT_FLOAT32, -1, 1, 2);
    CHECK_ERR(ct_conv_transpose2d(tt_rand(SHAPE(1, 3, 5, 5), 4, CT_FLOAT32, -1, 1, 1), w, NULL, NULL,
                                  NULL, NULL, 1, NULL),
              "Given transposed=1, weight of size [4, 2, 3, 3], expected input[1, 3, 5, 5] to have 4 "
              "channels, but got 3 channels instead");
    CHECK_ERR(ct_conv_transpose2d(x, w, tt_rand(SHAPE(3), 1, CT_FLOAT32, -1, 1, 1), NULL, NULL, NULL,
                                  1, NULL),
              "expected bias to be 1-dimensional with 2 elements, but got bias of size [3] instead");
    CHECK_ERR(ct_conv_transpose2d(x, w, NULL, NULL, NULL, NULL, 3, NULL),
              "Given groups=3, expected weight to be divisible by 3 at dimension 0");
    CHECK_ERR(ct_conv_transpose2d(x, w, NULL, NULL, NULL, SHAPE(1, 1), 1, NULL),
              "output padding must be smaller than either stride or dilation");
    CHECK_ERR(ct_conv_transpose2d(tt_rand(SHAPE(1, 4, 1, 1), 4, CT_FLOAT32, -1, 1, 1),
                                  tt_rand(SHAPE(4, 2, 1, 1), 4, CT_FLOAT32, -1, 1, 1), NULL, NULL,
                                  SHAPE(1, 1), NULL, 1, NULL),
              "Output size is too small");
    CHECK_ERR(ct_conv_transpose2d(x, ct_to_dtype(w, CT_FLOAT64, false), NULL, NULL, NULL, NULL, 1, NULL),
              "expected scalar type Float but found Double");
    CHECK_ERR(ct_conv_transpose2d(ct_select(x, 0, 0), ct_select(w, 0, 0), NULL, NULL, NULL, NULL, 1,
                                  NULL),
              "Expected 4-dimensional weight");
    CHECK_ERR(ct_conv_transpose2d(ct_select(ct_select(x, 0, 0), 0, 0), w, NULL, NULL, NULL, NULL, 1,
                                  NULL),
              "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d");
}

TEST(conv_transpose1d, values_and_errors) {
    for (size_t i = 0; i < sizeof convt_cases / sizeof *convt_cases; i++) {
        cv q = convt_cases[i];
        q.in[1] = 1, q.k[1] = 1, q.s[1] = 1, q.p[1] = 0, q.d[1] = 1, q.op[1] = 0;
        CHECK(check_convt(&q, CT_FLOAT64, true, false, 1e-12) == 0);
        CHECK(check_convt(&q, CT_FLOAT32, true, false, 1e-4) == 0);
    }
    ct_tensor *x = tt_rand(SHAPE(1, 4, 5), 3, CT_FLOAT32, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(4, 2, 3), 3, CT_FLOAT32, -1, 1, 2);
    CHECK_ERR(ct_conv_transpose1d(x, w, NULL, 1, 0, 1, 1, 1),
              "output padding must be smaller than either stride or dilation");
    CHECK_ERR(ct_conv_transpose1d(ct_select(x, 0, 0), ct_select(w, 0, 0), NULL, 1, 0, 0, 1, 1),
              "conv_transpose1d: Expected 3-dimensional weight");
    CHECK_ERR(ct_conv_transpose1d(ct_unsqueeze(x, 0), w, NULL, 1, 0, 0, 1, 1),
              "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d");
    ct_tensor *yu = ct_conv_transpose1d(ct_select(x, 0, 0), w, NULL, 2, 1, 1, 1, 1);
    CHECK_OK(yu);
    CHECK(yu->ndim == 2 && yu->sizes[0] == 2 && yu->sizes[1] == 10);
}

/* ------------------------------------------------------ conv_transpose3d */
static int check_convt3(const cv *q, ct_dtype dt, bool noncontig, double tol) {
    int64_t O = q->O, Cg = O / q->G;
    ct_tensor *x = noncontig ? ct_transpose(tt_rand(SHAPE(q->N, q->C, q->in[0], q->in[2], q->in[1]), 5, dt,
                                                    -1, 1, 1),
                                            3, 4)
                             : tt_rand(SHAPE(q->N, q->C, q->in[0], q->in[1], q->in[2]), 5, dt, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(q->C, Cg, q->k[0], q->k[1], q->k[2]), 5, dt, -1, 1, 2);
    ct_tensor *b = q->bias ? tt_rand(SHAPE(O), 1, dt, -1, 1, 3) : NULL;
    ct_tensor *y = ct_conv_transpose3d(x, w, b, q->s, q->p, q->op, q->G, q->d);
    if (!y) {
        ct_test_fail(__FILE__, __LINE__, "conv_transpose3d: %s", ct_last_error());
        return -1;
    }
    double *xv = tt_values(x), *wv = tt_values(w), *bv = b ? tt_values(b) : NULL;
    double *r = convt_ref(q, xv, wv, bv);
    int rc = tt_expect(__FILE__, __LINE__, y,
                       SHAPE(q->N, O, convt_out(q, 0), convt_out(q, 1), convt_out(q, 2)), 5, r, tol);
    free(xv), free(wv), free(bv), free(r);
    return rc;
}

TEST(conv_transpose3d, values_vs_a_double_scatter_and_errors) {
    static const cv cases[] = {
        {2, 3, 4, 1, {3, 4, 5}, {2, 3, 3}, {2, 1, 1}, {1, 0, 0}, {1, 1, 1}, {1, 0, 0}, true},
        {1, 4, 6, 2, {2, 3, 4}, {2, 3, 2}, {1, 2, 3}, {0, 1, 0}, {3, 1, 2}, {2, 1, 2}, false}, /* op >= stride */
    };
    for (int i = 0; i < 2; i++) {
        CHECK(check_convt3(&cases[i], CT_FLOAT64, i == 0, 1e-12) == 0);
        CHECK(check_convt3(&cases[i], CT_FLOAT32, i == 1, 1e-4) == 0);
    }
    ct_tensor *x = tt_rand(SHAPE(1, 4, 3, 3, 3), 5, CT_FLOAT32, -1, 1, 1);
    ct_tensor *w = tt_rand(SHAPE(4, 2, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 2);
    ct_tensor *yu = ct_conv_transpose3d(ct_select(x, 0, 0), w, NULL, NULL, NULL, NULL, 1, NULL);
    CHECK_OK(yu);
    CHECK(yu->ndim == 4 && yu->sizes[0] == 2 && yu->sizes[3] == 4);
    CHECK_ERR(ct_conv_transpose3d(x, w, NULL, NULL, NULL, SHAPE(0, 1, 0), 1, NULL),
              "output padding must be smaller than either stride or dilation, but got "
              "output_padding_depth: 0 output_padding_height: 1 output_padding_width: 0 stride_depth: 1");
    CHECK_ERR(ct_conv_transpose3d(x, w, NULL, NULL, SHAPE(3, 3, 3), NULL, 1, NULL),
              "Given input size per channel: (3 x 3 x 3). Calculated output size per channel: (-2 x -2 x "
              "-2). Output size is too small");
    CHECK_ERR(ct_conv_transpose3d(x, ct_select(w, 0, 0), NULL, NULL, NULL, NULL, 1, NULL),
              "conv_transpose3d: Expected 5-dimensional weight");
    CHECK_ERR(ct_conv_transpose3d(ct_select(ct_select(x, 0, 0), 0, 0), w, NULL, NULL, NULL, NULL, 1, NULL),
              "Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d");
}

FN(f_convt3, ct_conv_transpose3d(x[0], x[1], x[2], SHAPE(2, 1, 1), SHAPE(1, 0, 0), SHAPE(1, 0, 0), 1,
                                 SHAPE(1, 1, 2)))

TEST(grad_conv_transpose3d, first_and_second_order) {
    GRADCHECK(f_convt3, rleaf(SHAPE(1, 2, 2, 3, 2), 5, -1, 1, 40), rleaf(SHAPE(2, 2, 2, 2, 2), 5, -1, 1, 41),
              rleaf(SHAPE(2), 1, -1, 1, 42));
}

FN(f_convt2, ct_conv_transpose2d(x[0], x[1], x[2], SHAPE(2, 1), SHAPE(1, 0), SHAPE(1, 0), 1, SHAPE(1, 2)))
FN(f_convt2_groups, ct_conv_transpose2d(x[0], x[1], NULL, SHAPE(1, 2), NULL, SHAPE(1, 1), 2, SHAPE(2, 1)))
FN(f_convt1, ct_conv_transpose1d(x[0], x[1], x[2], 2, 1, 1, 1, 1))

TEST(grad_conv_transpose2d, first_and_second_order) {
    GRADCHECK(f_convt2, rleaf(SHAPE(2, 2, 3, 4), 4, -1, 1, 30), rleaf(SHAPE(2, 3, 2, 2), 4, -1, 1, 31),
              rleaf(SHAPE(3), 1, -1, 1, 32));
    GRADCHECK(f_convt2_groups, rleaf(SHAPE(1, 4, 3, 3), 4, -1, 1, 33),
              rleaf(SHAPE(4, 1, 2, 2), 4, -1, 1, 34));
}

TEST(grad_conv_transpose1d, first_and_second_order) {
    GRADCHECK(f_convt1, rleaf(SHAPE(2, 2, 4), 3, -1, 1, 35), rleaf(SHAPE(2, 3, 3), 3, -1, 1, 36),
              rleaf(SHAPE(3), 1, -1, 1, 37));
}
