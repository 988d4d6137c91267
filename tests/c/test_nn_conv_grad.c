/* conv2d_backward_input, conv2d_backward_weight and max_pool2d_backward:
 * values against direct double-precision sums written here (the adjoint of
 * the convolution sum, and scatter of the gradient at the saved indices),
 * gradcheck + gradgradcheck in float64, and the error paths. */
#include "test_autograd.h"

#include "ctorch/nn.h"

#include <math.h>
#include <stdlib.h>

#define RND(dt, seed, ...) \
    tt_rand(SHAPE(__VA_ARGS__), (int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)), (dt), -1, 1, (seed))
#define I2(a, b) ((const int64_t[]){(a), (b)})

typedef struct conv_case {
    int64_t N, C, H, W, O, kh, kw, s[2], p[2], d[2], G;
} conv_case;

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* The convolution sum y[n,o,a,b] = sum w[o,c,i,j] x[n,gc+c,h,w] visits
 * every (x, w, y) triple once; dx and dw accumulate gy along the same
 * triples. Both are filled (calloc'd by the caller). */
static void conv_adjoints(const conv_case *q, const double *x, const double *w, const double *gy,
                          double *dx, double *dw) {
    int64_t OH = out_size(q->H, q->kh, q->s[0], q->p[0], q->d[0]);
    int64_t OW = out_size(q->W, q->kw, q->s[1], q->p[1], q->d[1]);
    int64_t Cg = q->C / q->G, Og = q->O / q->G;
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t o = 0; o < q->O; o++)
            for (int64_t a = 0; a < OH; a++)
                for (int64_t b = 0; b < OW; b++) {
                    double g = gy[((n * q->O + o) * OH + a) * OW + b];
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t i = 0; i < q->kh; i++)
                            for (int64_t j = 0; j < q->kw; j++) {
                                int64_t h = a * q->s[0] - q->p[0] + i * q->d[0];
                                int64_t ww = b * q->s[1] - q->p[1] + j * q->d[1];
                                if (h < 0 || h >= q->H || ww < 0 || ww >= q->W) continue;
                                int64_t ci = (o / Og) * Cg + c;
                                int64_t xi = ((n * q->C + ci) * q->H + h) * q->W + ww;
                                int64_t wi = ((o * Cg + c) * q->kh + i) * q->kw + j;
                                dx[xi] += g * w[wi];
                                dw[wi] += g * x[xi];
                            }
                }
}

/* Both gradient ops of case q in dtype dt against conv_adjoints; gy may be
 * made non-contiguous (a transposed buffer). */
static int check_case(const conv_case *q, ct_dtype dt, bool noncontig, double tol) {
    int64_t OH = out_size(q->H, q->kh, q->s[0], q->p[0], q->d[0]);
    int64_t OW = out_size(q->W, q->kw, q->s[1], q->p[1], q->d[1]);
    ct_tensor *x = RND(dt, 1, q->N, q->C, q->H, q->W);
    ct_tensor *w = RND(dt, 2, q->O, q->C / q->G, q->kh, q->kw);
    ct_tensor *gy = noncontig ? ct_transpose(RND(dt, 3, q->N, q->O, OW, OH), 2, 3)
                              : RND(dt, 3, q->N, q->O, OH, OW);
    ct_tensor *dx = ct_conv2d_backward_input(gy, w, I2(q->H, q->W), q->s, q->p, q->d, q->G);
    ct_tensor *dw = ct_conv2d_backward_weight(gy, x, I2(q->kh, q->kw), q->s, q->p, q->d, q->G);
    if (!dx || !dw) {
        ct_test_fail(__FILE__, __LINE__, "%s", ct_last_error());
        return -1;
    }
    double *xv = tt_values(x), *wv = tt_values(w), *gv = tt_values(gy);
    double *rx = calloc((size_t)x->numel + 1, sizeof(double)), *rw = calloc((size_t)w->numel + 1, sizeof(double));
    conv_adjoints(q, xv, wv, gv, rx, rw);
    int rc = tt_expect(__FILE__, __LINE__, dx, x->sizes, 4, rx, tol);
    if (rc == 0) rc = tt_expect(__FILE__, __LINE__, dw, w->sizes, 4, rw, tol);
    free(xv), free(wv), free(gv), free(rx), free(rw);
    return rc;
}

TEST(conv2d_backward_input, matches_the_adjoint_of_the_convolution_sum) {
    const conv_case cases[] = {
        {2, 3, 7, 6, 4, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
        {2, 4, 9, 8, 6, 3, 2, {2, 1}, {1, 0}, {2, 1}, 2},
        {3, 4, 5, 5, 2, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1}, /* 1x1: no im2col */
        {1, 2, 6, 7, 3, 2, 3, {3, 2}, {0, 2}, {1, 2}, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        CHECK(check_case(&cases[k], CT_FLOAT64, k % 2 == 1, 1e-12) == 0);
        CHECK(check_case(&cases[k], CT_FLOAT32, k % 2 == 0, 1e-5) == 0);
    }
}

TEST(conv2d_backward_weight, matches_the_adjoint_above_the_threading_grain) {
    /* enough images and work for one image per thread */
    const conv_case big = {8, 8, 16, 16, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1};
    CHECK(check_case(&big, CT_FLOAT32, false, 1e-4) == 0);
    const conv_case big_g = {6, 8, 12, 12, 8, 3, 3, {2, 2}, {1, 1}, {1, 1}, 4};
    CHECK(check_case(&big_g, CT_FLOAT64, true, 1e-12) == 0);
}

TEST(conv2d_backward_weight, empty_batch_gives_zeros) {
    ct_tensor *dw = ct_conv2d_backward_weight(RND(CT_FLOAT32, 1, 0, 4, 3, 3),
                                              RND(CT_FLOAT32, 2, 0, 2, 5, 5), I2(3, 3), NULL, NULL,
                                              NULL, 1);
    CHECK_OK(dw);
    CHECK(dw->ndim == 4 && dw->sizes[0] == 4 && dw->sizes[1] == 2 && dw->sizes[2] == 3);
    double s;
    CHECK(ct_item(ct_sum(ct_abs(dw)), &s) == 0 && s == 0);
    ct_tensor *dx = ct_conv2d_backward_input(RND(CT_FLOAT32, 1, 0, 4, 3, 3),
                                             RND(CT_FLOAT32, 2, 4, 2, 3, 3), I2(5, 5), NULL, NULL,
                                             NULL, 1);
    CHECK_OK(dx);
    CHECK(dx->ndim == 4 && dx->sizes[0] == 0 && dx->sizes[1] == 2 && dx->sizes[3] == 5);
}

TEST(conv2d_backward_input, errors) {
    ct_tensor *gy = RND(CT_FLOAT32, 1, 2, 4, 3, 3), *w = RND(CT_FLOAT32, 2, 4, 2, 3, 3);
    CHECK_ERR(ct_conv2d_backward_input(gy, w, I2(6, 5), NULL, NULL, NULL, 1),
              "conv2d_backward_input: grad_output [2, 4, 3, 3] does not match the output size (4, 3)");
    CHECK_ERR(ct_conv2d_backward_input(gy, RND(CT_FLOAT64, 2, 4, 2, 3, 3), I2(5, 5), NULL, NULL, NULL, 1),
              "expected scalar type Float but found Double");
    CHECK_ERR(ct_conv2d_backward_input(gy, RND(CT_FLOAT32, 2, 6, 2, 3, 3), I2(5, 5), NULL, NULL, NULL, 1),
              "weight [6, 2, 3, 3] has 6 output channels");
    CHECK_ERR(ct_conv2d_backward_input(gy, w, I2(5, 5), NULL, NULL, NULL, 3), "groups=3");
    CHECK_ERR(ct_conv2d_backward_input(gy, w, I2(5, 5), I2(0, 1), NULL, NULL, 1),
              "stride and dilation must be positive");
    CHECK_ERR(ct_conv2d_backward_input(RND(CT_FLOAT32, 1, 4, 3, 3), w, I2(5, 5), NULL, NULL, NULL, 1),
              "expected 4-d grad_output and weight");
    CHECK_ERR(ct_conv2d_backward_input(ct_ones(SHAPE(2, 4, 3, 3), 4, CT_INT64), ct_ones(SHAPE(4, 2, 3, 3), 4, CT_INT64),
                                       I2(5, 5), NULL, NULL, NULL, 1),
              "not implemented for 'Long'");
}

TEST(conv2d_backward_weight, errors) {
    ct_tensor *gy = RND(CT_FLOAT32, 1, 2, 4, 3, 3), *x = RND(CT_FLOAT32, 2, 2, 2, 5, 5);
    CHECK_ERR(ct_conv2d_backward_weight(gy, x, I2(2, 2), NULL, NULL, NULL, 1),
              "does not match the output size (4, 4)");
    CHECK_ERR(ct_conv2d_backward_weight(gy, RND(CT_FLOAT32, 2, 3, 2, 5, 5), I2(3, 3), NULL, NULL, NULL, 1),
              "need the same batch size");
    CHECK_ERR(ct_conv2d_backward_weight(gy, x, I2(0, 3), NULL, NULL, NULL, 1), "bad image size");
}

FN(f_bwd_input, ct_conv2d_backward_input(x[0], x[1], I2(6, 5), I2(2, 1), I2(1, 0), I2(1, 2), 1))
FN(f_bwd_input_g, ct_conv2d_backward_input(x[0], x[1], I2(4, 4), NULL, I2(1, 1), NULL, 2))
FN(f_bwd_weight, ct_conv2d_backward_weight(x[0], x[1], I2(2, 2), I2(2, 1), I2(1, 0), I2(1, 2), 1))
FN(f_bwd_weight_g, ct_conv2d_backward_weight(x[0], x[1], I2(3, 2), NULL, I2(1, 1), NULL, 2))
/* conv2d's gradient through the new ops, differentiated twice */
FN(f_conv_g, ct_conv2d(x[0], x[1], x[2], I2(1, 2), I2(1, 1), NULL, 2))

TEST(grad_conv2d_backward_input, gradcheck_and_gradgradcheck) {
    /* x [2,2,6,5], w [3,2,2,2], stride (2,1), pad (1,0), dilation (1,2): y [2,3,4,3] */
    GRADCHECK(f_bwd_input, rleaf(SHAPE(2, 3, 4, 3), 4, -1, 1, 90), rleaf(SHAPE(3, 2, 2, 2), 4, -1, 1, 91));
    /* groups 2: x [1,4,4,4], w [2,2,3,3], y [1,2,4,4] */
    GRADCHECK(f_bwd_input_g, rleaf(SHAPE(1, 2, 4, 4), 4, -1, 1, 92), rleaf(SHAPE(2, 2, 3, 3), 4, -1, 1, 93));
}

TEST(grad_conv2d_backward_weight, gradcheck_and_gradgradcheck) {
    GRADCHECK(f_bwd_weight, rleaf(SHAPE(2, 3, 4, 3), 4, -1, 1, 94), rleaf(SHAPE(2, 2, 6, 5), 4, -1, 1, 95));
    /* groups 2: x [1,4,4,3], w [2,2,3,2], y [1,2,4,4] */
    GRADCHECK(f_bwd_weight_g, rleaf(SHAPE(1, 2, 4, 4), 4, -1, 1, 96), rleaf(SHAPE(1, 4, 4, 3), 4, -1, 1, 97));
    GRADCHECK(f_conv_g, rleaf(SHAPE(2, 4, 3, 5), 4, -1, 1, 98), rleaf(SHAPE(4, 2, 2, 3), 4, -1, 1, 99),
              rleaf(SHAPE(4), 1, -1, 1, 100));
}

/* ---------------------------------------------------------- max_pool2d_backward */

TEST(max_pool2d_backward, adds_the_gradient_at_the_saved_indices) {
    const ct_dtype dts[2] = {CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 2; k++) {
        /* overlapping windows (kernel 3, stride 2): an input can win twice;
         * the large case crosses the threading grain */
        const int64_t shapes[2][4] = {{2, 3, 7, 6}, {16, 16, 33, 33}};
        for (int c = 0; c < 2; c++) {
            const int64_t *sh = shapes[c];
            ct_tensor *x = RND(dts[k], 5 + c, sh[0], sh[1], sh[2], sh[3]), *idx = NULL;
            ct_tensor *y = ct_max_pool2d(x, I2(3, 3), I2(2, 2), I2(1, 1), NULL, false, &idx);
            CHECK_OK(y);
            ct_tensor *gy = ct_rand_like(y, CT_DTYPE_DEFAULT, NULL);
            ct_tensor *dx = ct_max_pool2d_backward(gy, idx, I2(sh[2], sh[3]));
            CHECK_OK(dx);
            double *gv = tt_values(gy), *ref = calloc((size_t)x->numel, sizeof(double));
            int64_t planes = sh[0] * sh[1], hw = sh[2] * sh[3], ohw = y->numel / planes;
            for (int64_t p = 0; p < planes; p++)
                for (int64_t l = 0; l < ohw; l++)
                    ref[p * hw + ct_item_at_int(idx, p * ohw + l)] += gv[p * ohw + l];
            int rc = tt_expect(__FILE__, __LINE__, dx, x->sizes, 4, ref, 1e-6);
            free(gv), free(ref);
            CHECK(rc == 0);
        }
    }
    /* 3-d (unbatched) and a non-contiguous gradient */
    ct_tensor *x = RND(CT_FLOAT64, 9, 2, 4, 6), *idx = NULL;
    ct_tensor *y = ct_max_pool2d(x, I2(2, 2), NULL, NULL, NULL, false, &idx);
    CHECK_OK(y);
    ct_tensor *gy = ct_transpose(RND(CT_FLOAT64, 10, 2, 3, 2), 1, 2);
    ct_tensor *dx = ct_max_pool2d_backward(gy, idx, I2(4, 6));
    CHECK_OK(dx);
    CHECK(dx->ndim == 3 && dx->sizes[1] == 4 && dx->sizes[2] == 6);
    for (int64_t p = 0; p < 2; p++)
        for (int64_t l = 0; l < 6; l++) {
            double got = ct_item_at(dx, p * 24 + ct_item_at_int(idx, p * 6 + l));
            CHECK_CLOSE(got, ct_item_at(ct_contiguous(gy), p * 6 + l), 1e-12);
        }
}

TEST(max_pool2d_backward, errors) {
    ct_tensor *g = RND(CT_FLOAT32, 1, 1, 2, 2, 2);
    ct_tensor *i = ct_zeros(SHAPE(1, 2, 2, 2), 4, CT_INT64);
    CHECK_ERR(ct_max_pool2d_backward(g, ct_zeros(SHAPE(1, 2, 2, 3), 4, CT_INT64), I2(4, 4)),
              "indices of one shape");
    CHECK_ERR(ct_max_pool2d_backward(g, ct_zeros(SHAPE(1, 2, 2, 2), 4, CT_INT32), I2(4, 4)),
              "expected indices of scalar type Long but found Int");
    CHECK_ERR(ct_max_pool2d_backward(g, ct_full(SHAPE(1, 2, 2, 2), 4, 16, CT_INT64), I2(4, 4)), "out of range");
    CHECK_ERR(ct_max_pool2d_backward(g, i, I2(0, 4)), "bad input size");
    CHECK_ERR(ct_max_pool2d_backward(ct_zeros(SHAPE(1, 2, 2, 2), 4, CT_INT64), i, I2(4, 4)),
              "not implemented for 'Long'");
}

static ct_tensor *IDX;
FN(f_pool_bwd, ct_max_pool2d_backward(x[0], IDX, I2(5, 6)))
FN(f_pool_twice, ct_max_pool2d(x[0], I2(3, 2), I2(2, 1), I2(1, 1), NULL, false, NULL))

TEST(grad_max_pool2d_backward, gradcheck_and_gradgradcheck) {
    ct_tensor *x = RND(CT_FLOAT64, 11, 2, 2, 5, 6);
    ct_tensor *y = ct_max_pool2d(x, I2(3, 2), I2(2, 1), I2(1, 1), NULL, false, &IDX);
    CHECK_OK(y);
    GRADCHECK(f_pool_bwd, rleaf(y->sizes, 4, -1, 1, 12));
    GRADCHECK(f_pool_twice, rleaf(SHAPE(2, 2, 5, 6), 4, -1, 1, 13));
    IDX = NULL;
}
