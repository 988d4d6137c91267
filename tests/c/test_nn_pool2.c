/* adaptive_max_pool2d / adaptive_max_pool1d (include/ctorch/nn_pool2.h):
 * values and indices against a double-precision reference loop written here
 * (PyTorch's window rule [floor(i*H/OH), ceil((i+1)*H/OH))), errors with
 * PyTorch's wording, gradcheck/gradgradcheck in float64. */
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/nn_pool2.h"

/* x row-major [np][H][W] -> y, ix [np][OH][OW]; NaN wins, else first max. */
static void ref_adaptive_max(const double *x, int64_t np, int64_t H, int64_t W, int64_t OH, int64_t OW,
                             double *y, double *ix) {
    for (int64_t p = 0; p < np; p++)
        for (int64_t i = 0; i < OH; i++)
            for (int64_t j = 0; j < OW; j++) {
                int64_t h0 = (int64_t)floor((double)i * H / OH), h1 = (int64_t)ceil((double)(i + 1) * H / OH);
                int64_t w0 = (int64_t)floor((double)j * W / OW), w1 = (int64_t)ceil((double)(j + 1) * W / OW);
                double m = -INFINITY;
                int64_t mi = h0 * W + w0;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) {
                        double v = x[p * H * W + h * W + w];
                        if (v > m || isnan(v)) m = v, mi = h * W + w;
                    }
                y[(p * OH + i) * OW + j] = m;
                ix[(p * OH + i) * OW + j] = (double)mi;
            }
}

/* Checks values and indices of x (any layout, float) against the reference. */
static int check_amp(const char *file, int line, const ct_tensor *x, int64_t OH, int64_t OW, double tol) {
    int nd = x->ndim;
    int64_t H = x->sizes[nd - 2], W = x->sizes[nd - 1], np = x->numel / (H * W), shape[4];
    for (int i = 0; i < nd - 2; i++) shape[i] = x->sizes[i];
    shape[nd - 2] = OH, shape[nd - 1] = OW;
    ct_tensor *idx = NULL;
    ct_tensor *y = ct_adaptive_max_pool2d(x, (const int64_t[]){OH, OW}, &idx);
    if (!y || !idx) {
        fprintf(stderr, "%s:%d: %s\n", file, line, ct_last_error());
        return -1;
    }
    double *xv = tt_values(x), *yv = malloc(sizeof(double) * (size_t)(np * OH * OW + 1)),
           *iv = malloc(sizeof(double) * (size_t)(np * OH * OW + 1));
    ref_adaptive_max(xv, np, H, W, OH, OW, yv, iv);
    int rc = tt_expect(file, line, y, shape, nd, yv, tol) < 0 || tt_expect(file, line, idx, shape, nd, iv, 0) < 0
                 ? -1 : 0;
    if (rc == 0 && idx->dtype != CT_INT64) rc = -1;
    free(xv), free(yv), free(iv);
    return rc;
}
#define CHECK_AMP(x, oh, ow, tol) CHECK(check_amp(__FILE__, __LINE__, (x), (oh), (ow), (tol)) == 0)

TEST(adaptive_max_pool2d, values_and_indices) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 7, 5), 4, CT_FLOAT64, -1, 1, 70);
    CHECK_AMP(x, 3, 4, 0);     /* overlapping, uneven windows */
    CHECK_AMP(x, 7, 5, 0);     /* identity */
    CHECK_AMP(x, 1, 1, 0);     /* global */
    CHECK_AMP(x, 9, 8, 0);     /* larger than the input */
    CHECK_AMP(ct_select(x, 0, 1), 2, 3, 0); /* unbatched */
    CHECK_AMP(ct_transpose(x, 2, 3), 3, 2, 0);      /* non-contiguous */
    CHECK_AMP(ct_slice(x, 3, 0, 5, 2), 4, 2, 0);    /* stepped */
    CHECK_AMP(ct_expand(tt_rand(SHAPE(1, 1, 6, 6), 4, CT_FLOAT64, -1, 1, 71), SHAPE(2, 3, 6, 6), 4), 4, 4, 0);
    CHECK_AMP(ct_to_dtype(x, CT_FLOAT32, false), 3, 4, 1e-6);
    /* above the threading grain */
    CHECK_AMP(tt_rand(SHAPE(4, 8, 40, 40), 4, CT_FLOAT32, -1, 1, 72), 7, 9, 1e-6);
    /* ties: the first maximum; a NaN wins */
    ct_tensor *t = tt_tensor(VALS(NAN, 3, 3, 0, 1, 2, 3, 1, 0), SHAPE(1, 3, 3), 3, CT_FLOAT64);
    ct_tensor *ti = NULL;
    ct_tensor *ty = ct_adaptive_max_pool2d(t, SHAPE(2, 2), &ti);
    CHECK_OK(ty);
    CHECK(isnan(ct_item_at(ty, 0)) && ct_item_at_int(ti, 0) == 0);
    CHECK(ct_item_at(ty, 1) == 3 && ct_item_at_int(ti, 1) == 1);
    /* empty batch and zero output size */
    ct_tensor *e = ct_adaptive_max_pool2d(ct_zeros(SHAPE(0, 2, 3, 3), 4, CT_FLOAT32), SHAPE(2, 2), NULL);
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[2] == 2);
    e = ct_adaptive_max_pool2d(ct_zeros(SHAPE(1, 2, 3, 3), 4, CT_FLOAT32), SHAPE(0, 2), NULL);
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[2] == 0 && e->sizes[3] == 2);
}

TEST(adaptive_max_pool2d, errors) {
    CHECK_ERR(ct_adaptive_max_pool2d(ct_zeros(SHAPE(2, 3), 2, CT_FLOAT32), SHAPE(2, 2), NULL),
              "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [2, 3]");
    CHECK_ERR(ct_adaptive_max_pool2d(ct_zeros(SHAPE(1, 0, 3, 3), 4, CT_FLOAT32), SHAPE(2, 2), NULL),
              "Expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 0, 3, 3] "
              "with dimension 1 being empty");
    CHECK_ERR(ct_adaptive_max_pool2d(ct_zeros(SHAPE(1, 2, 3, 3), 4, CT_FLOAT32), SHAPE(-1, 2), NULL),
              "elements of output_size must be greater than or equal to 0");
    CHECK_ERR(ct_adaptive_max_pool2d(ct_zeros(SHAPE(1, 2, 3, 3), 4, CT_INT64), SHAPE(2, 2), NULL),
              "\"adaptive_max_pool2d\" not implemented for 'Long'");
    CHECK_ERR(ct_adaptive_max_pool1d(ct_zeros(SHAPE(3), 1, CT_FLOAT32), 2, NULL), "Expected 2D or 3D tensor");
}

TEST(adaptive_max_pool2d, pool1d_through_2d) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 11), 3, CT_FLOAT64, -1, 1, 73), *idx = NULL;
    ct_tensor *y = ct_adaptive_max_pool1d(x, 4, &idx);
    CHECK_OK(y);
    double *xv = tt_values(x), yv[24], iv[24];
    ref_adaptive_max(xv, 6, 1, 11, 1, 4, yv, iv);
    free(xv);
    CHECK_TENSOR(y, SHAPE(2, 3, 4), 3, yv, 0);
    CHECK_TENSOR(idx, SHAPE(2, 3, 4), 3, iv, 0);
    CHECK_TENSOR(ct_adaptive_max_pool1d(ct_select(x, 0, 1), 4, NULL), SHAPE(3, 4), 2, yv + 12, 0);
}

FN(f_amp, ct_adaptive_max_pool2d(x[0], SHAPE(3, 2), NULL))
FN(f_amp_nc, ct_adaptive_max_pool2d(ct_transpose(x[0], 1, 2), SHAPE(2, 3), NULL))
FN(f_amp1, ct_adaptive_max_pool1d(x[0], 3, NULL))
TEST(grad_adaptive_max_pool2d, gradcheck) {
    GRADCHECK(f_amp, rleaf(SHAPE(2, 2, 5, 4), 4, -1, 1, 74));
    GRADCHECK(f_amp_nc, rleaf(SHAPE(2, 4, 5), 3, -1, 1, 75));
    GRADCHECK(f_amp1, rleaf(SHAPE(2, 2, 7), 3, -1, 1, 76));
}
