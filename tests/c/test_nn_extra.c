/* Resampling, pixel shuffles, one_hot, max_unpool2d and bilinear
 * (include/ctorch/nn_extra.h): values against double-precision reference
 * loops written here (the source positions follow PyTorch's CPU formulas),
 * errors with PyTorch's wording, and gradcheck/gradgradcheck in float64. */
#include "test_autograd.h"

#include <stdlib.h>

#include "ctorch/nn_extra.h"

/* ---------------------------------------------------------------- references */
static int64_t ref_nearest(int64_t o, int64_t in, int64_t out, double scale) {
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    float s = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
    int64_t src = (int64_t)floorf((float)o * s);
    return src < in - 1 ? src : in - 1;
}

/* Nearest over k spatial dims of a row-major [np, *in] array into [np, *out];
 * backward: scatter-add of g [np, *out] into [np, *in]. Dims padded to 3. */
static void ref_nearest_nd(const double *x, double *y, int64_t np, const int64_t in[3],
                           const int64_t out[3], const double sc[3], bool backward) {
    int64_t ip = in[0] * in[1] * in[2], op = out[0] * out[1] * out[2];
    if (backward)
        for (int64_t i = 0; i < np * ip; i++) y[i] = 0;
    for (int64_t p = 0; p < np; p++)
        for (int64_t d = 0; d < out[0]; d++)
            for (int64_t h = 0; h < out[1]; h++)
                for (int64_t w = 0; w < out[2]; w++) {
                    int64_t s = ((ref_nearest(d, in[0], out[0], sc[0]) * in[1]) +
                                 ref_nearest(h, in[1], out[1], sc[1])) * in[2] +
                                ref_nearest(w, in[2], out[2], sc[2]);
                    int64_t o = (d * out[1] + h) * out[2] + w;
                    if (backward) y[p * ip + s] += x[p * op + o];
                    else y[p * op + o] = x[p * ip + s];
                }
}

/* PyTorch's linear source index and weight of output o (in double). */
static void ref_linear(int64_t o, int64_t in, int64_t out, bool align, double scale, int64_t *i0,
                       int64_t *i1, double *l1) {
    double s = align ? (out > 1 ? (double)(in - 1) / (double)(out - 1) : 0)
                     : (scale > 0 ? 1.0 / scale : (double)in / (double)out);
    double real = align ? s * (double)o : s * ((double)o + 0.5) - 0.5;
    if (!align && real < 0) real = 0;
    *i0 = (int64_t)real;
    *i1 = *i0 + (*i0 < in - 1);
    *l1 = fmin(fmax(real - (double)*i0, 0), 1);
}

static void ref_bilinear(const double *x, double *y, int64_t np, int64_t IH, int64_t IW,
                         int64_t OH, int64_t OW, bool align, const double *sc, bool backward) {
    if (backward)
        for (int64_t i = 0; i < np * IH * IW; i++) y[i] = 0;
    for (int64_t p = 0; p < np; p++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h0, h1, w0, w1;
                double a, b;
                ref_linear(oh, IH, OH, align, sc ? sc[0] : 0, &h0, &h1, &a);
                ref_linear(ow, IW, OW, align, sc ? sc[1] : 0, &w0, &w1, &b);
                const int64_t hs[2] = {h0, h1}, ws[2] = {w0, w1};
                const double hl[2] = {1 - a, a}, wl[2] = {1 - b, b};
                double acc = 0;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) {
                        int64_t src = p * IH * IW + hs[i] * IW + ws[j];
                        if (backward) y[src] += hl[i] * wl[j] * x[(p * OH + oh) * OW + ow];
                        else acc += hl[i] * wl[j] * x[src];
                    }
                if (!backward) y[(p * OH + oh) * OW + ow] = acc;
            }
}

/* A [N, C, H, W]-shaped float64 tensor that is a permuted view (channels
 * last in memory). */
static ct_tensor *channels_last(int64_t N, int64_t C, int64_t H, int64_t W, unsigned seed) {
    ct_tensor *b = tt_rand(SHAPE(N, H, W, C), 4, CT_FLOAT64, -1, 1, seed);
    return ct_permute(b, (const int[]){0, 3, 1, 2}, 4);
}

/* Checks nearest_kd(x) against the reference; x any layout. */
static int check_nearest(int k, const ct_tensor *x, const int64_t *osz, const double *scales,
                         double tol) {
    ct_tensor *y = k == 1   ? ct_upsample_nearest1d(x, osz, scales)
                   : k == 2 ? ct_upsample_nearest2d(x, osz, scales)
                            : ct_upsample_nearest3d(x, osz, scales);
    if (!y) return -1;
    int64_t in[3], out[3], np = x->sizes[0] * x->sizes[1], shape[5] = {x->sizes[0], x->sizes[1]};
    double sc[3];
    for (int d = 0; d < 3; d++) {
        int s = d - (3 - k);
        in[d] = s < 0 ? 1 : x->sizes[2 + s];
        out[d] = s < 0 ? 1 : osz[s];
        sc[d] = s < 0 || !scales ? 0 : scales[s];
        if (s >= 0) shape[2 + s] = osz[s];
    }
    double *xv = tt_values(x), *ref = malloc(sizeof(double) * (size_t)(np * out[0] * out[1] * out[2] + 1));
    ref_nearest_nd(xv, ref, np, in, out, sc, false);
    int rc = tt_expect(__FILE__, __LINE__, y, shape, k + 2, ref, tol);
    free(xv);
    free(ref);
    return rc;
}

static int check_nearest_backward(int k, const ct_tensor *g, const int64_t *isz, const double *scales) {
    ct_tensor *dx = k == 1   ? ct_upsample_nearest1d_backward(g, isz, scales)
                    : k == 2 ? ct_upsample_nearest2d_backward(g, isz, scales)
                             : ct_upsample_nearest3d_backward(g, isz, scales);
    if (!dx) return -1;
    int64_t in[3], out[3], np = isz[0] * isz[1];
    double sc[3];
    for (int d = 0; d < 3; d++) {
        int s = d - (3 - k);
        in[d] = s < 0 ? 1 : isz[2 + s];
        out[d] = s < 0 ? 1 : g->sizes[2 + s];
        sc[d] = s < 0 || !scales ? 0 : scales[s];
    }
    double *gv = tt_values(g), *ref = malloc(sizeof(double) * (size_t)(np * in[0] * in[1] * in[2] + 1));
    ref_nearest_nd(gv, ref, np, in, out, sc, true);
    int rc = tt_expect(__FILE__, __LINE__, dx, isz, k + 2, ref, 1e-12);
    free(gv);
    free(ref);
    return rc;
}

/* ---------------------------------------------------------------- nearest */
TEST(upsample_nearest2d, matches_the_reference_for_sizes_and_scales) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64, -1, 1, 1);
    CHECK(check_nearest(2, x, SHAPE(7, 10), NULL, 0) == 0);  /* up, 2x in w */
    CHECK(check_nearest(2, x, SHAPE(3, 2), NULL, 0) == 0);   /* down */
    CHECK(check_nearest(2, x, SHAPE(4, 5), NULL, 0) == 0);   /* identity */
    CHECK(check_nearest(2, x, SHAPE(6, 8), (const double[]){1.7, 1.6}, 0) == 0);
    CHECK(check_nearest(2, channels_last(2, 3, 4, 5, 2), SHAPE(9, 11), NULL, 0) == 0);
    /* float32 and uint8 keep their dtype */
    ct_tensor *xf = tt_rand(SHAPE(1, 2, 3, 3), 4, CT_FLOAT32, -1, 1, 3);
    CHECK(check_nearest(2, xf, SHAPE(5, 7), NULL, 0) == 0);
    ct_tensor *xb = tt_rand(SHAPE(1, 2, 3, 3), 4, CT_UINT8, 0, 255, 4);
    ct_tensor *yb = ct_upsample_nearest2d(xb, SHAPE(6, 4), NULL);
    CHECK_OK(yb);
    CHECK(yb->dtype == CT_UINT8);
    CHECK(check_nearest(2, xb, SHAPE(6, 4), NULL, 0) == 0);
    /* above the threading grain */
    CHECK(check_nearest(2, tt_rand(SHAPE(2, 4, 40, 50), 4, CT_FLOAT32, -1, 1, 5), SHAPE(97, 120), NULL, 0) == 0);
    /* an empty batch */
    ct_tensor *e = ct_upsample_nearest2d(ct_zeros(SHAPE(0, 3, 4, 5), 4, CT_FLOAT32), SHAPE(8, 10), NULL);
    CHECK_OK(e);
    CHECK(e->ndim == 4 && e->sizes[0] == 0 && e->sizes[2] == 8 && e->sizes[3] == 10);
}

TEST(upsample_nearest2d, errors_like_pytorch) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32, -1, 1, 1);
    CHECK_ERR(ct_upsample_nearest2d(tt_rand(SHAPE(3, 4), 2, CT_FLOAT32, 0, 1, 1), SHAPE(2, 2), NULL),
              "It is expected input_size equals to 4, but got size 2");
    CHECK_ERR(ct_upsample_nearest2d(x, SHAPE(0, 2), NULL),
              "Input and output sizes should be greater than 0, but got input (H: 4, W: 5) output (H: 0, W: 2)");
    CHECK_ERR(ct_upsample_nearest2d(ct_zeros(SHAPE(2, 0, 4, 5), 4, CT_FLOAT32), SHAPE(3, 2), NULL),
              "Non-empty 4D data tensor expected but got a tensor with sizes [2, 0, 4, 5]");
    CHECK_ERR(ct_upsample_nearest2d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_INT64), SHAPE(3, 2), NULL),
              "not implemented for 'Long'");
}

TEST(upsample_nearest1d, matches_the_reference) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 5), 3, CT_FLOAT64, -1, 1, 6);
    CHECK(check_nearest(1, x, SHAPE(12), NULL, 0) == 0);
    CHECK(check_nearest(1, x, SHAPE(10), NULL, 0) == 0);
    CHECK(check_nearest(1, x, SHAPE(3), (const double[]){0.6}, 0) == 0);
    CHECK(check_nearest(1, ct_transpose(tt_rand(SHAPE(2, 5, 3), 3, CT_FLOAT64, -1, 1, 7), 1, 2), SHAPE(7), NULL, 0) == 0);
    CHECK_ERR(ct_upsample_nearest1d(tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32, 0, 1, 1), SHAPE(5), NULL),
              "It is expected input_size equals to 3, but got size 4");
    CHECK_ERR(ct_upsample_nearest1d(x, SHAPE(0), NULL), "input (W: 5) output (W: 0)");
}

TEST(upsample_nearest3d, matches_the_reference) {
    ct_tensor *x = tt_rand(SHAPE(2, 2, 3, 4, 5), 5, CT_FLOAT64, -1, 1, 8);
    CHECK(check_nearest(3, x, SHAPE(5, 8, 7), NULL, 0) == 0);
    CHECK(check_nearest(3, x, SHAPE(6, 3, 11), (const double[]){2.0, 0.9, 2.3}, 0) == 0);
    CHECK(check_nearest(3, tt_rand(SHAPE(1, 2, 3, 4, 5), 5, CT_FLOAT32, -1, 1, 9), SHAPE(2, 9, 5), NULL, 0) == 0);
    CHECK_ERR(ct_upsample_nearest3d(tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32, 0, 1, 1), SHAPE(5, 5, 5), NULL),
              "It is expected input_size equals to 5, but got size 4");
    CHECK_ERR(ct_upsample_nearest3d(x, SHAPE(2, 0, 2), NULL),
              "input (D: 3, H: 4, W: 5) output (D: 2, H: 0, W: 2)");
}

TEST(upsample_nearest2d_backward, sums_each_sources_gradients) {
    ct_tensor *g = tt_rand(SHAPE(2, 3, 7, 10), 4, CT_FLOAT64, -1, 1, 10);
    CHECK(check_nearest_backward(2, g, SHAPE(2, 3, 4, 5), NULL) == 0);
    CHECK(check_nearest_backward(2, g, SHAPE(2, 3, 4, 5), (const double[]){1.7, 2.1}) == 0);
    CHECK(check_nearest_backward(2, ct_transpose(tt_rand(SHAPE(2, 3, 10, 7), 4, CT_FLOAT64, -1, 1, 11), 2, 3),
                                 SHAPE(2, 3, 9, 12), NULL) == 0);
    CHECK_ERR(ct_upsample_nearest2d_backward(g, SHAPE(2, 4, 4, 5), NULL), "expected grad_output");
    CHECK_ERR(ct_upsample_nearest2d_backward(g, SHAPE(2, 3, 0, 5), NULL), "greater than 0");
    CHECK_ERR(ct_upsample_nearest2d_backward(ct_zeros(SHAPE(2, 3, 7, 10), 4, CT_UINT8), SHAPE(2, 3, 4, 5), NULL),
              "not implemented for 'Byte'");
}

TEST(upsample_nearest1d_backward, sums_each_sources_gradients) {
    CHECK(check_nearest_backward(1, tt_rand(SHAPE(2, 3, 11), 3, CT_FLOAT64, -1, 1, 12), SHAPE(2, 3, 4), NULL) == 0);
    CHECK(check_nearest_backward(1, tt_rand(SHAPE(1, 2, 3), 3, CT_FLOAT64, -1, 1, 13), SHAPE(1, 2, 7), NULL) == 0);
}

TEST(upsample_nearest3d_backward, sums_each_sources_gradients) {
    CHECK(check_nearest_backward(3, tt_rand(SHAPE(1, 2, 4, 5, 6), 5, CT_FLOAT64, -1, 1, 14), SHAPE(1, 2, 3, 2, 4),
                                 (const double[]){1.5, 2.5, 1.6}) == 0);
    CHECK(check_nearest_backward(3, tt_rand(SHAPE(1, 2, 6, 4, 8), 5, CT_FLOAT64, -1, 1, 15), SHAPE(1, 2, 3, 2, 4), NULL) == 0);
}

/* ---------------------------------------------------------------- bilinear */
static int check_bilinear(const ct_tensor *x, const int64_t *osz, bool align, const double *sc,
                          double tol) {
    ct_tensor *y = ct_upsample_bilinear2d(x, osz, align, sc);
    if (!y) return -1;
    int64_t np = x->sizes[0] * x->sizes[1];
    double *xv = tt_values(x), *ref = malloc(sizeof(double) * (size_t)(np * osz[0] * osz[1] + 1));
    ref_bilinear(xv, ref, np, x->sizes[2], x->sizes[3], osz[0], osz[1], align, sc, false);
    int rc = tt_expect(__FILE__, __LINE__, y, SHAPE(x->sizes[0], x->sizes[1], osz[0], osz[1]), 4, ref, tol);
    free(xv);
    free(ref);
    return rc;
}

TEST(upsample_bilinear2d, matches_the_reference_with_and_without_align_corners) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64, -1, 1, 20);
    for (int a = 0; a < 2; a++) {
        CHECK(check_bilinear(x, SHAPE(7, 11), a, NULL, 1e-12) == 0);
        CHECK(check_bilinear(x, SHAPE(3, 2), a, NULL, 1e-12) == 0);
        CHECK(check_bilinear(x, SHAPE(4, 5), a, NULL, 1e-12) == 0);
        CHECK(check_bilinear(x, SHAPE(1, 1), a, NULL, 1e-12) == 0);
        CHECK(check_bilinear(x, SHAPE(6, 8), a, (const double[]){1.7, 1.6}, 1e-12) == 0);
        CHECK(check_bilinear(channels_last(1, 2, 3, 6, 21), SHAPE(8, 5), a, NULL, 1e-12) == 0);
    }
    CHECK(check_bilinear(tt_rand(SHAPE(1, 2, 1, 4), 4, CT_FLOAT64, -1, 1, 22), SHAPE(3, 9), false, NULL, 1e-12) == 0);
    CHECK(check_bilinear(tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32, -1, 1, 23), SHAPE(9, 7), false, NULL, 1e-5) == 0);
    CHECK(check_bilinear(tt_rand(SHAPE(2, 4, 40, 50), 4, CT_FLOAT32, -1, 1, 24), SHAPE(67, 101), true, NULL, 1e-5) == 0);
    CHECK_ERR(ct_upsample_bilinear2d(x, SHAPE(0, 2), false, NULL),
              "Input and output sizes should be greater than 0, but got input (H: 4, W: 5) output (H: 0, W: 2)");
    CHECK_ERR(ct_upsample_bilinear2d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_INT64), SHAPE(3, 2), false, NULL),
              "\"compute_indices_weights_linear\" not implemented for 'Long'");
    CHECK_ERR(ct_upsample_bilinear2d(ct_zeros(SHAPE(3, 4, 5), 3, CT_FLOAT32), SHAPE(3, 2), false, NULL),
              "It is expected input_size equals to 4, but got size 3");
    ct_tensor *e = ct_upsample_bilinear2d(ct_zeros(SHAPE(0, 3, 4, 5), 4, CT_FLOAT32), SHAPE(3, 2), false, NULL);
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[2] == 3);
}

TEST(upsample_bilinear2d_backward, is_the_adjoint_of_the_reference) {
    for (int a = 0; a < 2; a++) {
        ct_tensor *g = tt_rand(SHAPE(2, 3, 7, 9), 4, CT_FLOAT64, -1, 1, 25 + a);
        const int64_t isz[4] = {2, 3, 4, 5};
        ct_tensor *dx = ct_upsample_bilinear2d_backward(g, isz, a, NULL);
        CHECK_OK(dx);
        double *gv = tt_values(g), ref[2 * 3 * 4 * 5];
        ref_bilinear(gv, ref, 6, 4, 5, 7, 9, a, NULL, true);
        free(gv);
        CHECK_TENSOR(dx, isz, 4, ref, 1e-12);
    }
    ct_tensor *g = ct_transpose(tt_rand(SHAPE(1, 2, 5, 3), 4, CT_FLOAT64, -1, 1, 27), 2, 3);
    ct_tensor *dx = ct_upsample_bilinear2d_backward(g, SHAPE(1, 2, 2, 4), false, (const double[]){1.4, 1.3});
    CHECK_OK(dx);
    double *gv = tt_values(g), ref[16];
    ref_bilinear(gv, ref, 2, 2, 4, 3, 5, false, (const double[]){1.4, 1.3}, true);
    free(gv);
    CHECK_TENSOR(dx, SHAPE(1, 2, 2, 4), 4, ref, 1e-12);
    CHECK_ERR(ct_upsample_bilinear2d_backward(g, SHAPE(2, 2, 2, 4), false, NULL), "expected grad_output");
}

/* ---------------------------------------------------------------- gradients */
FN(f_near1, ct_upsample_nearest1d(x[0], SHAPE(7), NULL))
FN(f_near2, ct_upsample_nearest2d(x[0], SHAPE(5, 7), NULL))
FN(f_near2s, ct_upsample_nearest2d(x[0], SHAPE(2, 5), (const double[]){0.7, 1.4}))
FN(f_near3, ct_upsample_nearest3d(x[0], SHAPE(3, 5, 2), NULL))
FN(f_near1b, ct_upsample_nearest1d_backward(x[0], SHAPE(1, 2, 3), NULL))
FN(f_near2b, ct_upsample_nearest2d_backward(x[0], SHAPE(1, 2, 3, 2), NULL))
FN(f_near3b, ct_upsample_nearest3d_backward(x[0], SHAPE(1, 1, 2, 3, 2), NULL))
FN(f_bil, ct_upsample_bilinear2d(x[0], SHAPE(5, 7), false, NULL))
FN(f_bil_ac, ct_upsample_bilinear2d(x[0], SHAPE(2, 7), true, NULL))
FN(f_bil_sc, ct_upsample_bilinear2d(x[0], SHAPE(5, 4), false, (const double[]){1.8, 1.5}))
FN(f_bilb, ct_upsample_bilinear2d_backward(x[0], SHAPE(1, 2, 3, 4), false, NULL))
FN(f_bilb_ac, ct_upsample_bilinear2d_backward(x[0], SHAPE(1, 2, 3, 4), true, NULL))

TEST(grad_upsample_nearest1d, gradcheck) { GRADCHECK(f_near1, rleaf(SHAPE(1, 2, 3), 3, -1, 1, 30)); }
TEST(grad_upsample_nearest2d, gradcheck) {
    GRADCHECK(f_near2, rleaf(SHAPE(1, 2, 3, 4), 4, -1, 1, 31));
    GRADCHECK(f_near2s, rleaf(SHAPE(1, 2, 3, 4), 4, -1, 1, 32));
}
TEST(grad_upsample_nearest3d, gradcheck) { GRADCHECK(f_near3, rleaf(SHAPE(1, 1, 2, 3, 2), 5, -1, 1, 33)); }
TEST(grad_upsample_nearest1d_backward, gradcheck) { GRADCHECK(f_near1b, rleaf(SHAPE(1, 2, 7), 3, -1, 1, 34)); }
TEST(grad_upsample_nearest2d_backward, gradcheck) { GRADCHECK(f_near2b, rleaf(SHAPE(1, 2, 5, 3), 4, -1, 1, 35)); }
TEST(grad_upsample_nearest3d_backward, gradcheck) { GRADCHECK(f_near3b, rleaf(SHAPE(1, 1, 3, 5, 4), 5, -1, 1, 36)); }
TEST(grad_upsample_bilinear2d, gradcheck) {
    GRADCHECK(f_bil, rleaf(SHAPE(1, 2, 3, 4), 4, -1, 1, 37));
    GRADCHECK(f_bil_ac, rleaf(SHAPE(2, 1, 3, 4), 4, -1, 1, 38));
    GRADCHECK(f_bil_sc, rleaf(SHAPE(1, 2, 3, 4), 4, -1, 1, 39));
}
TEST(grad_upsample_bilinear2d_backward, gradcheck) {
    GRADCHECK(f_bilb, rleaf(SHAPE(1, 2, 5, 7), 4, -1, 1, 40));
    GRADCHECK(f_bilb_ac, rleaf(SHAPE(1, 2, 2, 6), 4, -1, 1, 41));
}

/* ---------------------------------------------------------------- pixel shuffles */
TEST(pixel_shuffle, moves_channels_into_space) {
    int64_t N = 2, C = 2, r = 3, H = 2, W = 4;
    ct_tensor *x = tt_rand(SHAPE(N, C * r * r, H, W), 4, CT_FLOAT64, -1, 1, 50);
    ct_tensor *y = ct_pixel_shuffle(x, r);
    CHECK_OK(y);
    double *xv = tt_values(x), *ref = malloc(sizeof(double) * (size_t)x->numel);
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H * r; h++)
                for (int64_t w = 0; w < W * r; w++) {
                    int64_t ic = c * r * r + (h % r) * r + (w % r);
                    ref[((n * C + c) * H * r + h) * W * r + w] = xv[((n * C * r * r + ic) * H + h / r) * W + w / r];
                }
    CHECK_TENSOR(y, SHAPE(N, C, H * r, W * r), 4, ref, 0);
    /* unshuffle inverts it, also on an unbatched and a 5-d input */
    CHECK_TENSOR(ct_pixel_unshuffle(y, r), x->sizes, 4, xv, 0);
    ct_tensor *x5 = tt_rand(SHAPE(2, 1, 4, 2, 3), 5, CT_FLOAT32, -1, 1, 51);
    double *v5 = tt_values(x5);
    CHECK_TENSOR(ct_pixel_unshuffle(ct_pixel_shuffle(x5, 2), 2), x5->sizes, 5, v5, 0);
    free(v5);
    CHECK_TENSOR(ct_pixel_shuffle(ct_select(x, 0, 1), r), SHAPE(C, H * r, W * r), 3, ref + C * H * r * W * r, 0);
    free(xv);
    free(ref);
    ct_tensor *e = ct_pixel_shuffle(ct_zeros(SHAPE(0, 4, 2, 2), 4, CT_FLOAT32), 2);
    CHECK_OK(e);
    CHECK(e->sizes[0] == 0 && e->sizes[1] == 1 && e->sizes[2] == 4);
    CHECK_ERR(ct_pixel_shuffle(ct_zeros(SHAPE(2, 3), 2, CT_FLOAT32), 2),
              "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)");
    CHECK_ERR(ct_pixel_shuffle(ct_zeros(SHAPE(2, 3, 4, 4), 4, CT_FLOAT32), 2),
              "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=3 is not divisible by 4");
    CHECK_ERR(ct_pixel_shuffle(ct_zeros(SHAPE(2, 4, 4, 4), 4, CT_FLOAT32), 0),
              "pixel_shuffle expects a positive upscale_factor, but got 0");
}

TEST(pixel_unshuffle, moves_space_into_channels) {
    ct_tensor *x = tt_rand(SHAPE(1, 2, 4, 6), 4, CT_FLOAT64, -1, 1, 52);
    ct_tensor *y = ct_pixel_unshuffle(x, 2);
    CHECK_OK(y);
    double *xv = tt_values(x), ref[48];
    for (int64_t c = 0; c < 8; c++)
        for (int64_t h = 0; h < 2; h++)
            for (int64_t w = 0; w < 3; w++) {
                int64_t ic = c / 4, dh = (c % 4) / 2, dw = c % 2;
                ref[(c * 2 + h) * 3 + w] = xv[(ic * 4 + h * 2 + dh) * 6 + w * 2 + dw];
            }
    free(xv);
    CHECK_TENSOR(y, SHAPE(1, 8, 2, 3), 4, ref, 0);
    CHECK_ERR(ct_pixel_unshuffle(ct_zeros(SHAPE(2, 4, 5, 4), 4, CT_FLOAT32), 2),
              "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=5 is not divisible by 2");
    CHECK_ERR(ct_pixel_unshuffle(ct_zeros(SHAPE(2, 4, 4, 5), 4, CT_FLOAT32), 2),
              "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=5 is not divisible by 2");
    CHECK_ERR(ct_pixel_unshuffle(ct_zeros(SHAPE(2, 4, 4, 4), 4, CT_FLOAT32), -1),
              "pixel_unshuffle expects a positive downscale_factor, but got -1");
    CHECK_ERR(ct_pixel_unshuffle(ct_zeros(SHAPE(4), 1, CT_FLOAT32), 2),
              "pixel_unshuffle expects input to have at least 3 dimensions, but got input with 1 dimension(s)");
}

FN(f_ps, ct_pixel_shuffle(x[0], 2))
FN(f_pu, ct_pixel_unshuffle(x[0], 2))
TEST(grad_pixel_shuffle, gradcheck) { GRADCHECK(f_ps, strided3(8, 2, 3, 53)); }
TEST(grad_pixel_unshuffle, gradcheck) { GRADCHECK(f_pu, rleaf(SHAPE(1, 2, 4, 2), 4, -1, 1, 54)); }

/* ---------------------------------------------------------------- one_hot */
TEST(one_hot, rows_of_classes_and_errors) {
    ct_tensor *t = tt_tensor(VALS(2, 0, 1, 2, 3, 0), SHAPE(2, 3), 2, CT_INT64);
    ct_tensor *y = ct_one_hot(t, -1);
    CHECK_OK(y);
    CHECK(y->dtype == CT_INT64);
    double ref[24] = {0};
    for (int i = 0; i < 6; i++) ref[i * 4 + (int)ct_item_at(t, i)] = 1;
    CHECK_TENSOR(y, SHAPE(2, 3, 4), 3, ref, 0);
    double ref6[36] = {0};
    for (int i = 0; i < 6; i++) ref6[i * 6 + (int)ct_item_at(t, i)] = 1;
    CHECK_TENSOR(ct_one_hot(t, 6), SHAPE(2, 3, 6), 3, ref6, 0);
    /* transposed input, 0-d input, empty input with a class count */
    double reft[24] = {0};
    ct_tensor *tt = ct_t(t);
    for (int i = 0; i < 6; i++) reft[i * 4 + (int)ct_item_at(tt, i)] = 1;
    CHECK_TENSOR(ct_one_hot(tt, 4), SHAPE(3, 2, 4), 3, reft, 0);
    CHECK_TENSOR(ct_one_hot(ct_scalar_tensor(2, CT_INT64), 4), SHAPE(4), 1, VALS(0, 0, 1, 0), 0);
    ct_tensor *e = ct_one_hot(ct_zeros(SHAPE(0), 1, CT_INT64), 3);
    CHECK_OK(e);
    CHECK(e->ndim == 2 && e->sizes[0] == 0 && e->sizes[1] == 3);
    CHECK_ERR(ct_one_hot(tt_tensor(VALS(1, -1), SHAPE(2), 1, CT_INT64), 3), "Class values must be non-negative.");
    CHECK_ERR(ct_one_hot(tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_INT64), 3), "Class values must be smaller than num_classes.");
    CHECK_ERR(ct_one_hot(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), -2), "Class values must be smaller than num_classes.");
    CHECK_ERR(ct_one_hot(ct_zeros(SHAPE(0), 1, CT_INT64), -1), "Can not infer total number of classes from empty tensor.");
    CHECK_ERR(ct_one_hot(ct_zeros(SHAPE(2), 1, CT_INT32), 3), "one_hot is only applicable to index tensor.");
    CHECK_ERR(ct_one_hot(ct_zeros(SHAPE(2), 1, CT_FLOAT32), 3), "one_hot is only applicable to index tensor.");
}

/* ---------------------------------------------------------------- max_unpool2d */
TEST(max_unpool2d, places_values_at_their_indices) {
    /* the indices of a 2x2 max pooling of a 4x5 plane, output 4x5 */
    ct_tensor *src = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64, -1, 1, 60), *idx = NULL;
    ct_tensor *v = ct_max_pool2d(src, SHAPE(2, 2), NULL, NULL, NULL, false, &idx);
    CHECK_OK(v);
    ct_tensor *y = ct_max_unpool2d(v, idx, SHAPE(4, 5));
    CHECK_OK(y);
    double *vv = tt_values(v), ref[120] = {0};
    for (int64_t p = 0; p < 6; p++)
        for (int64_t k = 0; k < 4; k++) ref[p * 20 + ct_item_at_int(idx, p * 4 + k)] = vv[p * 4 + k];
    free(vv);
    CHECK_TENSOR(y, SHAPE(2, 3, 4, 5), 4, ref, 0);
    /* unbatched, non-contiguous values, float32 */
    ct_tensor *v3 = ct_to_dtype(ct_select(v, 0, 1), CT_FLOAT32, false);
    CHECK_TENSOR(ct_max_unpool2d(v3, ct_select(idx, 0, 1), SHAPE(4, 5)), SHAPE(3, 4, 5), 3, ref + 60, 1e-6);
    ct_tensor *vt = ct_contiguous(ct_transpose(v, 2, 3)), *it = ct_contiguous(ct_transpose(idx, 2, 3));
    CHECK_TENSOR(ct_max_unpool2d(ct_transpose(vt, 2, 3), ct_transpose(it, 2, 3), SHAPE(4, 5)), SHAPE(2, 3, 4, 5), 4, ref, 0);
    /* above the threading grain: 32 planes of 16x16 values into 32x32 */
    ct_tensor *big = tt_rand(SHAPE(4, 8, 32, 32), 4, CT_FLOAT32, -1, 1, 65), *bidx = NULL;
    ct_tensor *bv = ct_max_pool2d(big, SHAPE(2, 2), NULL, NULL, NULL, false, &bidx);
    CHECK_OK(bv);
    ct_tensor *by = ct_max_unpool2d(bv, bidx, SHAPE(32, 32));
    CHECK_OK(by);
    double *bref = calloc(32 * 1024, sizeof(double));
    for (int64_t p = 0; p < 32; p++)
        for (int64_t k = 0; k < 256; k++) bref[p * 1024 + ct_item_at_int(bidx, p * 256 + k)] = ct_item_at(bv, p * 256 + k);
    int brc = tt_expect(__FILE__, __LINE__, by, SHAPE(4, 8, 32, 32), 4, bref, 0);
    free(bref);
    CHECK(brc == 0);
    /* 1-d through 2-d */
    ct_tensor *x1 = tt_tensor(VALS(5, 7, 9), SHAPE(1, 3), 2, CT_FLOAT64);
    ct_tensor *i1 = tt_tensor(VALS(1, 2, 5), SHAPE(1, 3), 2, CT_INT64);
    CHECK_TENSOR(ct_max_unpool1d(x1, i1, 6), SHAPE(1, 6), 2, VALS(0, 5, 7, 0, 0, 9), 0);
    CHECK(ct_max_unpool_default_size(2, 2, 2, 0) == 4);
    ct_tensor *e = ct_max_unpool2d(ct_zeros(SHAPE(0, 1, 2, 2), 4, CT_FLOAT32), ct_zeros(SHAPE(0, 1, 2, 2), 4, CT_INT64), SHAPE(4, 4));
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[2] == 4);
    CHECK_ERR(ct_max_unpool2d(v, ct_mul(idx, ct_scalar_tensor(10, CT_INT64)), SHAPE(4, 5)), "Found an invalid max index:");
    CHECK_ERR(ct_max_unpool2d(v, ct_sub(ct_neg(idx), ct_scalar_tensor(1, CT_INT64)), SHAPE(4, 5)), "Found an invalid max index: -");
    CHECK_ERR(ct_max_unpool2d(v, ct_to_dtype(idx, CT_INT32, false), SHAPE(4, 5)), "elements in indices should be type int64 but got: Int");
    CHECK_ERR(ct_max_unpool2d(v, ct_narrow(idx, 3, 0, 1), SHAPE(4, 5)),
              "Expected shape of indices to be same as that of the input tensor ([2, 3, 2, 2]) but got indices tensor with shape: [2, 3, 2, 1]");
    CHECK_ERR(ct_max_unpool2d(ct_zeros(SHAPE(2, 2), 2, CT_FLOAT32), ct_zeros(SHAPE(2, 2), 2, CT_INT64), SHAPE(4, 4)),
              "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 dimensions.");
    CHECK_ERR(ct_max_unpool2d(ct_zeros(SHAPE(1, 0, 2, 2), 4, CT_FLOAT32), ct_zeros(SHAPE(1, 0, 2, 2), 4, CT_INT64), SHAPE(4, 4)),
              "Expected input to have non-zero size for non-batch dimensions, but got [1, 0, 2, 2] with dimension 1 being empty.");
    CHECK_ERR(ct_max_unpool2d(ct_zeros(SHAPE(1, 1, 2, 2), 4, CT_INT64), ct_zeros(SHAPE(1, 1, 2, 2), 4, CT_INT64), SHAPE(4, 4)),
              "\"max_unpool2d\" not implemented for 'Long'");
}

static ct_tensor *UIDX;
FN(f_unpool, ct_max_unpool2d(x[0], UIDX, SHAPE(4, 5)))
TEST(grad_max_unpool2d, gathers_at_the_indices) {
    ct_tensor *src = tt_rand(SHAPE(2, 2, 4, 5), 4, CT_FLOAT64, -1, 1, 61), *idx = NULL;
    CHECK_OK(ct_max_pool2d(src, SHAPE(2, 2), NULL, NULL, NULL, false, &idx));
    UIDX = idx;
    GRADCHECK(f_unpool, rleaf(SHAPE(2, 2, 2, 2), 4, -1, 1, 62));
    /* the gradient of sum(y * c) is c gathered at the indices */
    ct_tensor *x = rleaf(SHAPE(2, 2, 2, 2), 4, -1, 1, 63), *c = tt_rand(SHAPE(2, 2, 4, 5), 4, CT_FLOAT64, -1, 1, 64);
    CHECK(ct_backward(ct_sum(ct_mul(ct_max_unpool2d(x, idx, SHAPE(4, 5)), c)), NULL, false, false, NULL, 0) == 0);
    double ref[16];
    for (int64_t p = 0; p < 4; p++)
        for (int64_t k = 0; k < 4; k++) ref[p * 4 + k] = ct_item_at(c, p * 20 + ct_item_at_int(idx, p * 4 + k));
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 2, 2, 2), 4, ref, 1e-12);
}

/* ---------------------------------------------------------------- bilinear */
TEST(bilinear, matches_the_reference_sum) {
    ct_tensor *x1 = tt_rand(SHAPE(2, 3, 4), 3, CT_FLOAT64, -1, 1, 70);
    ct_tensor *x2 = ct_transpose(tt_rand(SHAPE(2, 5, 3), 3, CT_FLOAT64, -1, 1, 71), 1, 2);
    ct_tensor *w = tt_rand(SHAPE(6, 4, 5), 3, CT_FLOAT64, -1, 1, 72), *b = tt_rand(SHAPE(6), 1, CT_FLOAT64, -1, 1, 73);
    double *a = tt_values(x1), *c = tt_values(x2), *wv = tt_values(w), *bv = tt_values(b), ref[36], refnb[36];
    for (int n = 0; n < 6; n++)
        for (int o = 0; o < 6; o++) {
            double s = 0;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 5; j++) s += a[n * 4 + i] * wv[(o * 4 + i) * 5 + j] * c[n * 5 + j];
            refnb[n * 6 + o] = s;
            ref[n * 6 + o] = s + bv[o];
        }
    free(a), free(c), free(wv), free(bv);
    CHECK_TENSOR(ct_bilinear(x1, x2, w, b), SHAPE(2, 3, 6), 3, ref, 1e-12);
    CHECK_TENSOR(ct_bilinear(x1, x2, w, NULL), SHAPE(2, 3, 6), 3, refnb, 1e-12);
    CHECK_TENSOR(ct_bilinear(ct_select(ct_select(x1, 0, 0), 0, 0), ct_select(ct_select(x2, 0, 0), 0, 0), w, b),
                 SHAPE(6), 1, ref, 1e-12);
    ct_tensor *e = ct_bilinear(ct_zeros(SHAPE(0, 4), 2, CT_FLOAT64), ct_zeros(SHAPE(0, 5), 2, CT_FLOAT64), w, b);
    CHECK_OK(e);
    CHECK(e->ndim == 2 && e->sizes[0] == 0 && e->sizes[1] == 6);
    ct_tensor *r = tt_rand(SHAPE(3, 2), 2, CT_FLOAT32, 0, 1, 1);
    CHECK_ERR(ct_bilinear(r, tt_rand(SHAPE(4, 3), 2, CT_FLOAT32, 0, 1, 1), tt_rand(SHAPE(5, 2, 3), 3, CT_FLOAT32, 0, 1, 1), NULL),
              "bilinear(): input batch dimensions do not match at dim 0: got 3 and 4");
    CHECK_ERR(ct_bilinear(r, tt_rand(SHAPE(3, 3), 2, CT_FLOAT32, 0, 1, 1), tt_rand(SHAPE(5, 2, 4), 3, CT_FLOAT32, 0, 1, 1), NULL),
              "bilinear(): input2 size does not match weight size: got 3 but expected 4");
    CHECK_ERR(ct_bilinear(r, tt_rand(SHAPE(3, 3), 2, CT_FLOAT32, 0, 1, 1), tt_rand(SHAPE(5, 3, 3), 3, CT_FLOAT32, 0, 1, 1), NULL),
              "bilinear(): input1 size does not match weight size: got 2 but expected 3");
    CHECK_ERR(ct_bilinear(r, tt_rand(SHAPE(3, 3), 2, CT_FLOAT32, 0, 1, 1), tt_rand(SHAPE(5, 2, 3), 3, CT_FLOAT32, 0, 1, 1),
                          tt_rand(SHAPE(4), 1, CT_FLOAT32, 0, 1, 1)),
              "bilinear(): bias size does not match weight size: got 4 but expected 5");
    CHECK_ERR(ct_bilinear(r, tt_rand(SHAPE(3), 1, CT_FLOAT32, 0, 1, 1), tt_rand(SHAPE(5, 2, 3), 3, CT_FLOAT32, 0, 1, 1), NULL),
              "bilinear(): input dimensions do not match: got 2 and 1");
}

FN(f_bilinear, ct_bilinear(x[0], x[1], x[2], x[3]))
TEST(grad_bilinear, gradcheck) {
    GRADCHECK(f_bilinear, noncontig2(3, 2, 80), rleaf(SHAPE(3, 4), 2, -1, 1, 81), rleaf(SHAPE(2, 2, 4), 3, -1, 1, 82),
              rleaf(SHAPE(2), 1, -1, 1, 83));
}
