/* max_pool1d, avg_pool1d (+ backward), adaptive_avg_pool1d (+ backward),
 * adaptive_max_pool1d (include/ctorch/nn_embpool.h) against double-precision
 * reference loops written here (PyTorch's window rules), errors with
 * PyTorch's wording, gradcheck/gradgradcheck in float64. */
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/nn_embpool.h"

static int64_t ref_out(int64_t L, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    double v = (double)(L + 2 * p - d * (k - 1) - 1) / (double)s;
    int64_t o = (int64_t)(ceil_mode ? ceil(v) : floor(v)) + 1;
    if (ceil_mode && (o - 1) * s >= L + p) o--;
    return o;
}

/* rows [np][L] -> y, ix [np][OL]: NaN wins, else the first maximum. */
static void ref_max(const double *x, int64_t np, int64_t L, int64_t k, int64_t s, int64_t p, int64_t d, int64_t OL,
                    double *y, double *ix) {
    for (int64_t r = 0; r < np; r++)
        for (int64_t o = 0; o < OL; o++) {
            double m = -INFINITY;
            int64_t best = -1;
            for (int64_t j = 0; j < k; j++) {
                int64_t l = o * s - p + j * d;
                if (l < 0 || l >= L) continue;
                if (best < 0) best = l;
                double v = x[r * L + l];
                if (v > m || isnan(v)) m = v, best = l;
            }
            y[r * OL + o] = m, ix[r * OL + o] = (double)best;
        }
}

static void ref_avg(const double *x, int64_t np, int64_t L, int64_t k, int64_t s, int64_t p, bool cip, int64_t OL,
                    double *y) {
    for (int64_t r = 0; r < np; r++)
        for (int64_t o = 0; o < OL; o++) {
            int64_t l0 = o * s - p, l1 = l0 + k < L + p ? l0 + k : L + p, n = 0;
            double acc = 0;
            for (int64_t l = l0; l < l1; l++)
                if (l >= 0 && l < L) acc += x[r * L + l], n++;
            y[r * OL + o] = acc / (double)(cip ? l1 - l0 : n);
        }
}

TEST(max_pool1d, windows_indices_and_layouts) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 11), 3, CT_FLOAT64, -1, 1, 40);
    double *xv = tt_values(x), y[6 * 12], ix[6 * 12];
    int64_t cfg[][5] = {{3, 2, 1, 1, 0}, {3, 2, 1, 1, 1}, {2, 1, 0, 3, 0}, {4, 3, 2, 2, 1}, {1, 1, 0, 1, 0}, {5, 5, 2, 1, 1}};
    for (int c = 0; c < 6; c++) {
        int64_t k = cfg[c][0], s = cfg[c][1], p = cfg[c][2], d = cfg[c][3];
        bool cm = cfg[c][4];
        int64_t OL = ref_out(11, k, s, p, d, cm);
        ref_max(xv, 6, 11, k, s, p, d, OL, y, ix);
        ct_tensor *idx = NULL;
        ct_tensor *r = ct_max_pool1d(x, k, s, p, d, cm, &idx);
        CHECK_OK(r);
        CHECK_TENSOR(r, SHAPE(2, 3, OL), 3, y, 0);
        CHECK_TENSOR(idx, SHAPE(2, 3, OL), 3, ix, 0);
        CHECK(idx->dtype == CT_INT64);
    }
    /* unbatched, transposed, float32, NaN */
    int64_t OL = ref_out(11, 3, 2, 1, 1, false);
    ref_max(xv, 6, 11, 3, 2, 1, 1, OL, y, ix);
    CHECK_TENSOR(ct_max_pool1d(ct_select(x, 0, 1), 3, 2, 1, 1, false, NULL), SHAPE(3, OL), 2, y + 3 * OL, 0);
    ct_tensor *xt = ct_transpose(ct_contiguous(ct_transpose(x, 1, 2)), 1, 2);
    CHECK_TENSOR(ct_max_pool1d(xt, 3, 2, 1, 1, false, NULL), SHAPE(2, 3, OL), 3, y, 0);
    CHECK_TENSOR(ct_max_pool1d(ct_to_dtype(x, CT_FLOAT32, false), 3, 2, 1, 1, false, NULL), SHAPE(2, 3, OL), 3, y,
                 1e-7);
    ct_tensor *xn = tt_tensor(VALS(1, NAN, 3, 2), SHAPE(1, 4), 2, CT_FLOAT64), *in = NULL;
    ct_tensor *yn = ct_max_pool1d(xn, 2, 2, 0, 1, false, &in);
    CHECK_OK(yn);
    CHECK(isnan(((double *)ct_data_ptr(yn))[0]) && ((double *)ct_data_ptr(yn))[1] == 3);
    CHECK_TENSOR(in, SHAPE(1, 2), 2, VALS(1, 2), 0);
    /* empty batch; kernel longer than the input gives an empty result, as PyTorch */
    ct_tensor *e = ct_max_pool1d(ct_zeros(SHAPE(0, 3, 4), 3, CT_FLOAT32), 2, 2, 0, 1, false, NULL);
    CHECK_OK(e);
    CHECK(e->sizes[0] == 0 && e->sizes[2] == 2);
    e = ct_max_pool1d(x, 12, 1, 0, 1, false, NULL);
    CHECK_OK(e);
    CHECK(e->sizes[2] == 0);
    /* across the grain */
    ct_tensor *xb = tt_rand(SHAPE(8, 16, 700), 3, CT_FLOAT32, -1, 1, 41);
    double *bv = tt_values(xb), *by = malloc(sizeof(double) * 128 * 350), *bi = malloc(sizeof(double) * 128 * 350);
    ref_max(bv, 128, 700, 2, 2, 0, 1, 350, by, bi);
    ct_tensor *bidx = NULL;
    ct_tensor *yb = ct_max_pool1d(xb, 2, 2, 0, 1, false, &bidx);
    int rc = yb ? tt_expect(__FILE__, __LINE__, yb, SHAPE(8, 16, 350), 3, by, 0) : -1;
    if (rc == 0) rc = tt_expect(__FILE__, __LINE__, bidx, SHAPE(8, 16, 350), 3, bi, 0);
    free(xv), free(bv), free(by), free(bi);
    CHECK(rc == 0);
}

TEST(max_pool1d, errors_with_torch_messages) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 8), 3, CT_FLOAT32, -1, 1, 42);
    CHECK_ERR(ct_max_pool1d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32), 2, 2, 0, 1, false, NULL),
              "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
              "got:[2, 3, 4, 5]");
    CHECK_ERR(ct_max_pool1d(ct_zeros(SHAPE(2, 3, 0), 3, CT_FLOAT32), 2, 2, 0, 1, false, NULL), "but got:[2, 3, 0]");
    CHECK_ERR(ct_max_pool1d(x, 0, 1, 0, 1, false, NULL), "max_pool1d() kernel_size must be greater than zero, but got 0");
    CHECK_ERR(ct_max_pool1d(x, 2, 0, 0, 1, false, NULL), "max_pool1d() stride must be greater than zero, but got 0");
    CHECK_ERR(ct_max_pool1d(x, 2, 1, -1, 1, false, NULL), "max_pool1d() padding must be non-negative, but got -1");
    CHECK_ERR(ct_max_pool1d(x, 2, 1, 2, 1, false, NULL),
              "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2");
    CHECK_ERR(ct_max_pool1d(x, 2, 1, 0, 0, false, NULL), "max_pool1d() dilation must be greater than zero, but got 0");
    CHECK_ERR(ct_max_pool1d(x, 5, 1, 0, 3, false, NULL), "max_pool1d() Invalid computed output size: -4");
    CHECK_ERR(ct_max_pool1d(ct_zeros(SHAPE(2, 8), 2, CT_INT64), 2, 1, 0, 1, false, NULL),
              "\"max_pool1d_impl\" not implemented for 'Long'");
}

FN(f_mp1, ct_max_pool1d(x[0], 3, 2, 1, 2, true, NULL))
FN(f_mp1_2d, ct_max_pool1d(x[0], 2, 1, 0, 1, false, NULL))

TEST(grad_max_pool1d, gradcheck) {
    GRADCHECK(f_mp1, rleaf(SHAPE(2, 2, 9), 3, -1, 1, 43));
    GRADCHECK(f_mp1_2d, ncr(3, 6, -1, 1, 44));
}

TEST(avg_pool1d, windows_divisors_and_integers) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 11), 3, CT_FLOAT64, -1, 1, 45);
    double *xv = tt_values(x), y[6 * 12];
    int64_t cfg[][5] = {{3, 2, 1, 0, 1}, {3, 2, 1, 1, 0}, {4, 3, 2, 1, 1}, {4, 3, 2, 0, 0}, {2, 2, 0, 1, 1}, {5, 1, 2, 0, 0}};
    for (int c = 0; c < 6; c++) {
        int64_t k = cfg[c][0], s = cfg[c][1], p = cfg[c][2];
        bool cm = cfg[c][3], cip = cfg[c][4];
        int64_t OL = ref_out(11, k, s, p, 1, cm);
        ref_avg(xv, 6, 11, k, s, p, cip, OL, y);
        CHECK_TENSOR(ct_avg_pool1d(x, k, s, p, cm, cip), SHAPE(2, 3, OL), 3, y, 1e-12);
        CHECK_TENSOR(ct_avg_pool1d(ct_select(x, 0, 1), k, s, p, cm, cip), SHAPE(3, OL), 2, y + 3 * OL, 1e-12);
    }
    free(xv);
    /* integers divide truncating (PyTorch: [[-1, 4, -2]]) */
    ct_tensor *xi = tt_tensor(VALS(-3, 4, 5, -7, 2), SHAPE(1, 1, 5), 3, CT_INT64);
    ct_tensor *yi = ct_avg_pool1d(xi, 2, 2, 1, false, true);
    CHECK_OK(yi);
    CHECK(yi->dtype == CT_INT64);
    CHECK_TENSOR(yi, SHAPE(1, 1, 3), 3, VALS(-1, 4, -2), 0);
    CHECK_ERR(ct_avg_pool1d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32), 2, 2, 0, false, true),
              "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking "
              "arguments for avg_pool1d)");
    CHECK_ERR(ct_avg_pool1d(x, 0, 1, 0, false, true), "kernel size should be greater than zero");
    CHECK_ERR(ct_avg_pool1d(x, 2, 0, 0, false, true), "stride should not be zero");
    CHECK_ERR(ct_avg_pool1d(x, 2, 1, -1, false, true), "pad must be non-negative, but got pad: -1");
    CHECK_ERR(ct_avg_pool1d(x, 2, 1, 2, false, true), "pad should be at most half of kernel size, but got pad=2 and kernel_size=2");
    CHECK_ERR(ct_avg_pool1d(x, 12, 1, 0, false, true),
              "Given input size: (3x1x11). Calculated output size: (3x1x0). Output size is too small");
    CHECK_ERR(ct_avg_pool1d(ct_zeros(SHAPE(2, 0, 4), 3, CT_FLOAT32), 2, 2, 0, false, true), "but got:[2, 0, 4]");
}

/* <pool(x), g> == <x, pool_backward(g)> for random x, g (the adjoint). */
static double dot(const ct_tensor *a, const ct_tensor *b) {
    double *av = tt_values(a), *bv = tt_values(b), s = 0;
    for (int64_t i = 0; i < a->numel; i++) s += av[i] * bv[i];
    free(av), free(bv);
    return s;
}

TEST(avg_pool1d_backward, is_the_adjoint_of_avg_pool1d) {
    ct_tensor *x = tt_rand(SHAPE(3, 4, 13), 3, CT_FLOAT64, -1, 1, 46);
    int64_t cfg[][5] = {{3, 2, 1, 1, 0}, {4, 3, 2, 1, 1}, {2, 2, 0, 0, 1}};
    for (int c = 0; c < 3; c++) {
        int64_t k = cfg[c][0], s = cfg[c][1], p = cfg[c][2];
        ct_tensor *y = ct_avg_pool1d(x, k, s, p, cfg[c][3], cfg[c][4]);
        CHECK_OK(y);
        ct_tensor *g = tt_rand(y->sizes, 3, CT_FLOAT64, -1, 1, 47 + c);
        ct_tensor *dx = ct_avg_pool1d_backward(g, 13, k, s, p, cfg[c][3], cfg[c][4]);
        CHECK_OK(dx);
        CHECK_CLOSE(dot(y, g), dot(x, dx), 1e-12);
    }
    CHECK_ERR(ct_avg_pool1d_backward(ct_zeros(SHAPE(2, 3, 5), 3, CT_FLOAT64), 13, 3, 2, 1, false, true),
              "does not match an input of length 13");
}

FN(f_ap1, ct_avg_pool1d(x[0], 3, 2, 1, true, false))
FN(f_ap1b, ct_avg_pool1d(x[0], 4, 1, 2, false, true))
FN(f_ap1bwd, ct_avg_pool1d_backward(x[0], 9, 3, 2, 1, true, false))

TEST(grad_avg_pool1d, gradcheck) {
    GRADCHECK(f_ap1, rleaf(SHAPE(2, 2, 9), 3, -1, 1, 50));
    GRADCHECK(f_ap1b, ncr(3, 6, -1, 1, 51));
}

TEST(grad_avg_pool1d_backward, gradcheck) { GRADCHECK(f_ap1bwd, rleaf(SHAPE(2, 2, 5), 3, -1, 1, 52)); }

static void ref_adaptive(const double *x, int64_t np, int64_t L, int64_t O, bool max, double *y, double *ix) {
    for (int64_t r = 0; r < np; r++)
        for (int64_t o = 0; o < O; o++) {
            int64_t l0 = (int64_t)floor((double)o * L / O), l1 = (int64_t)ceil((double)(o + 1) * L / O);
            double acc = 0, m = -INFINITY;
            int64_t best = l0;
            for (int64_t l = l0; l < l1; l++) {
                double v = x[r * L + l];
                acc += v;
                if (v > m || isnan(v)) m = v, best = l;
            }
            y[r * O + o] = max ? m : acc / (double)(l1 - l0);
            if (ix) ix[r * O + o] = (double)best;
        }
}

TEST(adaptive_avg_pool1d, cells_and_errors) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 10), 3, CT_FLOAT64, -1, 1, 53);
    double *xv = tt_values(x), y[6 * 13];
    int64_t outs[] = {4, 10, 1, 13, 3};
    for (int c = 0; c < 5; c++) {
        ref_adaptive(xv, 6, 10, outs[c], false, y, NULL);
        CHECK_TENSOR(ct_adaptive_avg_pool1d(x, outs[c]), SHAPE(2, 3, outs[c]), 3, y, 1e-12);
    }
    ref_adaptive(xv, 6, 10, 4, false, y, NULL);
    CHECK_TENSOR(ct_adaptive_avg_pool1d(ct_select(x, 0, 1), 4), SHAPE(3, 4), 2, y + 12, 1e-12);
    free(xv);
    ct_tensor *e = ct_adaptive_avg_pool1d(x, 0);
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[2] == 0);
    e = ct_adaptive_avg_pool1d(ct_zeros(SHAPE(0, 3, 4), 3, CT_FLOAT32), 2);
    CHECK_OK(e);
    CHECK(e->sizes[0] == 0 && e->sizes[2] == 2);
    CHECK_ERR(ct_adaptive_avg_pool1d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32), 2), "Expected 2D or 3D tensor");
    CHECK_ERR(ct_adaptive_avg_pool1d(x, -1), "elements of output_size must be greater than or equal to 0");
    CHECK_ERR(ct_adaptive_avg_pool1d(ct_zeros(SHAPE(2, 3, 4), 3, CT_INT64), 2),
              "\"adaptive_avg_pool1d\" not implemented for 'Long'");
    CHECK_ERR(ct_adaptive_avg_pool1d(ct_zeros(SHAPE(2, 3, 0), 3, CT_FLOAT32), 2),
              "Expected input to have non-zero size for non-batch dimensions");
}

TEST(adaptive_avg_pool1d_backward, is_the_adjoint) {
    ct_tensor *x = tt_rand(SHAPE(3, 2, 11), 3, CT_FLOAT64, -1, 1, 54);
    int64_t outs[] = {4, 11, 1, 15};
    for (int c = 0; c < 4; c++) {
        ct_tensor *y = ct_adaptive_avg_pool1d(x, outs[c]);
        CHECK_OK(y);
        ct_tensor *g = tt_rand(y->sizes, 3, CT_FLOAT64, -1, 1, 55 + c);
        ct_tensor *dx = ct_adaptive_avg_pool1d_backward(g, 11);
        CHECK_OK(dx);
        CHECK_CLOSE(dot(y, g), dot(x, dx), 1e-12);
    }
}

FN(f_aap1, ct_adaptive_avg_pool1d(x[0], 4))
FN(f_aap1b, ct_adaptive_avg_pool1d_backward(x[0], 7))
TEST(grad_adaptive_avg_pool1d, gradcheck) {
    GRADCHECK(f_aap1, rleaf(SHAPE(2, 2, 7), 3, -1, 1, 60));
    GRADCHECK(f_aap1, ncr(3, 9, -1, 1, 61));
}
TEST(grad_adaptive_avg_pool1d_backward, gradcheck) { GRADCHECK(f_aap1b, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 62)); }

TEST(adaptive_max_pool1d, cells_indices_and_errors) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 10), 3, CT_FLOAT64, -1, 1, 63);
    double *xv = tt_values(x), y[6 * 13], ix[6 * 13];
    int64_t outs[] = {4, 10, 1, 13, 3};
    for (int c = 0; c < 5; c++) {
        ref_adaptive(xv, 6, 10, outs[c], true, y, ix);
        ct_tensor *idx = NULL;
        CHECK_TENSOR(ct_adaptive_max_pool1d(x, outs[c], &idx), SHAPE(2, 3, outs[c]), 3, y, 0);
        CHECK_TENSOR(idx, SHAPE(2, 3, outs[c]), 3, ix, 0);
    }
    free(xv);
    CHECK_ERR(ct_adaptive_max_pool1d(ct_zeros(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32), 2, NULL), "Expected 2D or 3D tensor");
    CHECK_ERR(ct_adaptive_max_pool1d(x, -1, NULL), "elements of output_size must be greater than or equal to 0");
    CHECK_ERR(ct_adaptive_max_pool1d(ct_zeros(SHAPE(2, 3, 4), 3, CT_INT32), 2, NULL), "not implemented for 'Int'");
}

FN(f_amp1d, ct_adaptive_max_pool1d(x[0], 3, NULL))
TEST(grad_adaptive_max_pool1d, gradcheck) {
    GRADCHECK(f_amp1d, rleaf(SHAPE(2, 2, 7), 3, -1, 1, 64));
    GRADCHECK(f_amp1d, ncr(2, 8, -1, 1, 65));
}
