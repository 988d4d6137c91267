/* Scans against reference loops in double precision, and PyTorch 1.13's
 * printed results for the NaN and tie rules of cummax/cummin. */
#include "harness.h"

#include <stdlib.h>

enum { S_SUM, S_PROD, S_MAX, S_MIN };

/* Reference scan along dim: values and indices in row-major order. */
static void ref_scan(const ct_tensor *x, int dim, int kind, double *vals, double *idx) {
    int nd = x->ndim;
    if (dim < 0) dim += nd > 0 ? nd : 1;
    int64_t L = nd ? x->sizes[dim] : 1, inner = 1;
    for (int d = dim + 1; d < nd; d++) inner *= x->sizes[d];
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t pos = (i / inner) % L;
        double v = ct_item_at(x, i);
        if (pos == 0) {
            vals[i] = v;
            idx[i] = 0;
            continue;
        }
        double prev = vals[i - inner];
        switch (kind) {
        case S_SUM: vals[i] = prev + v; break;
        case S_PROD: vals[i] = prev * v; break;
        default: {
            bool take = kind == S_MAX ? (v >= prev || isnan(v)) : (v <= prev || isnan(v));
            if (isnan(prev) && !isnan(v)) take = false;
            vals[i] = take ? v : prev;
            idx[i] = take ? (double)pos : idx[i - inner];
        }
        }
    }
}

#define CHECK_SCAN(out, ix, x, dim, kind, tol)                                             \
    do {                                                                                   \
        int64_t n_ = (x)->numel ? (x)->numel : 1;                                          \
        double *v_ = malloc(sizeof(double) * (size_t)n_), *i_ = malloc(sizeof(double) * (size_t)n_); \
        ref_scan((x), (dim), (kind), v_, i_);                                              \
        int bad_ = tt_expect(__FILE__, __LINE__, (out), (x)->sizes, (x)->ndim, v_, (tol)); \
        if (!bad_ && (ix))                                                                 \
            bad_ = tt_expect(__FILE__, __LINE__, (ix), (x)->sizes, (x)->ndim, i_, 0);      \
        free(v_);                                                                          \
        free(i_);                                                                          \
        if (bad_) return;                                                                  \
    } while (0)

static ct_tensor *odd_view(ct_dtype dt, double lo, double hi, unsigned seed) {
    ct_tensor *big = tt_rand(SHAPE(4, 5, 6), 3, dt, lo, hi, seed);
    return ct_slice(ct_transpose(big, 0, 2), 0, 0, 6, 2); /* [3, 5, 4] */
}

TEST(cumsum, along_every_dim_of_contiguous_and_strided_inputs) {
    ct_tensor *x = tt_rand(SHAPE(4, 5, 6), 3, CT_FLOAT64, -1, 1, 1);
    ct_tensor *v = odd_view(CT_FLOAT32, -1, 1, 2);
    for (int d = -3; d < 3; d++) {
        CHECK_SCAN(ct_cumsum(x, d, -1), NULL, x, d, S_SUM, 1e-12);
        CHECK_SCAN(ct_cumsum(v, d, -1), NULL, v, d, S_SUM, 1e-6);
    }
    CHECK_ERR(ct_cumsum(x, 3, -1), "Dimension out of range");
    CHECK_ERR(ct_cumsum(x, 0, 42), "invalid dtype");
}

TEST(cumsum, integer_promotion_dtype_argument_zero_d_and_empty) {
    ct_tensor *b = tt_tensor(VALS(1, 0, 1), SHAPE(3), 1, CT_BOOL);
    ct_tensor *cb = ct_cumsum(b, 0, -1);
    CHECK(cb->dtype == CT_INT64);
    CHECK_TENSOR(cb, SHAPE(3), 1, VALS(1, 1, 2), 0);
    ct_tensor *i = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_INT32);
    ct_tensor *cf = ct_cumsum(i, 0, CT_FLOAT32);
    CHECK(cf->dtype == CT_FLOAT32);
    CHECK_TENSOR(cf, SHAPE(3), 1, VALS(1, 3, 6), 0);
    CHECK_TENSOR(ct_cumsum(ct_scalar_tensor(5, CT_FLOAT32), 0, -1), SHAPE(0), 0, VALS(5), 0);
    CHECK_TENSOR(ct_cumsum(ct_scalar_tensor(5, CT_FLOAT32), -1, -1), SHAPE(0), 0, VALS(5), 0);
    ct_tensor *e = ct_cumsum(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 1, -1);
    CHECK(e && e->numel == 0 && e->ndim == 2 && e->sizes[0] == 2);
    CHECK_ERR(ct_cumsum(ct_scalar_tensor(5, CT_FLOAT32), 1, -1), "Dimension out of range");
}

TEST(cumsum, large_inputs_in_both_layouts) {
    ct_tensor *x = tt_rand(SHAPE(300, 400), 2, CT_FLOAT64, -1, 1, 3);
    CHECK_SCAN(ct_cumsum(x, 0, -1), NULL, x, 0, S_SUM, 1e-10);
    CHECK_SCAN(ct_cumsum(x, 1, -1), NULL, x, 1, S_SUM, 1e-10);
    ct_tensor *i = tt_rand(SHAPE(200000), 1, CT_INT64, -100, 100, 4);
    CHECK_SCAN(ct_cumsum(i, 0, -1), NULL, i, 0, S_SUM, 0);
}

TEST(cumprod, along_dims_with_integers) {
    ct_tensor *x = tt_rand(SHAPE(4, 5, 6), 3, CT_FLOAT64, 0.5, 1.5, 5);
    for (int d = 0; d < 3; d++) CHECK_SCAN(ct_cumprod(x, d, -1), NULL, x, d, S_PROD, 1e-12);
    ct_tensor *v = odd_view(CT_FLOAT32, 0.5, 1.5, 6);
    CHECK_SCAN(ct_cumprod(v, 1, -1), NULL, v, 1, S_PROD, 1e-6);
    ct_tensor *i = tt_tensor(VALS(1, 2, -3, 4), SHAPE(2, 2), 2, CT_INT16);
    ct_tensor *ci = ct_cumprod(i, 1, -1);
    CHECK(ci->dtype == CT_INT64);
    CHECK_TENSOR(ci, SHAPE(2, 2), 2, VALS(1, 2, -3, -12), 0);
    ct_tensor *big = tt_rand(SHAPE(100, 1000), 2, CT_FLOAT64, 0.9, 1.1, 7);
    CHECK_SCAN(ct_cumprod(big, 0, -1), NULL, big, 0, S_PROD, 1e-10);
}

TEST(cummax, nan_sticks_and_ties_move_the_index) {
    /* PyTorch: cummax(tensor([1., nan, 2., nan, 3.]), 0) ->
     * values [1, nan, nan, nan, nan], indices [0, 1, 1, 3, 3] */
    ct_tensor *x = tt_tensor(VALS(1, NAN, 2, NAN, 3), SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *idx = NULL;
    ct_tensor *v = ct_cummax(x, 0, &idx);
    CHECK_TENSOR(v, SHAPE(5), 1, VALS(1, NAN, NAN, NAN, NAN), 0);
    CHECK_TENSOR(idx, SHAPE(5), 1, VALS(0, 1, 1, 3, 3), 0);
    /* PyTorch: cummax(tensor([1., 3., 3., 2., 3.]), 0).indices == [0, 1, 2, 2, 4] */
    x = tt_tensor(VALS(1, 3, 3, 2, 3), SHAPE(5), 1, CT_FLOAT64);
    v = ct_cummax(x, 0, &idx);
    CHECK_TENSOR(v, SHAPE(5), 1, VALS(1, 3, 3, 3, 3), 0);
    CHECK_TENSOR(idx, SHAPE(5), 1, VALS(0, 1, 2, 2, 4), 0);
    ct_tensor *c = tt_rand(SHAPE(4, 5, 6), 3, CT_INT32, 0, 4, 8);
    for (int d = 0; d < 3; d++) {
        v = ct_cummax(c, d, &idx);
        CHECK(v->dtype == CT_INT32 && idx->dtype == CT_INT64);
        CHECK_SCAN(v, idx, c, d, S_MAX, 0);
    }
    ct_tensor *big = tt_rand(SHAPE(300, 400), 2, CT_FLOAT32, 0, 100, 9);
    v = ct_cummax(ct_t(big), 1, &idx);
    CHECK_SCAN(v, idx, ct_t(big), 1, S_MAX, 0);
    CHECK_OK(ct_cummax(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 1, &idx));
    CHECK_ERR(ct_cummax(big, 2, &idx), "Dimension out of range");
}

TEST(cummin, ties_and_nan_along_dims) {
    /* PyTorch: cummin(tensor([3., 1., 1., 2., 1.]), 0).indices == [0, 1, 2, 2, 4] */
    ct_tensor *x = tt_tensor(VALS(3, 1, 1, 2, 1), SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *idx = NULL;
    ct_tensor *v = ct_cummin(x, 0, &idx);
    CHECK_TENSOR(v, SHAPE(5), 1, VALS(3, 1, 1, 1, 1), 0);
    CHECK_TENSOR(idx, SHAPE(5), 1, VALS(0, 1, 2, 2, 4), 0);
    ct_tensor *c = tt_rand(SHAPE(4, 5, 6), 3, CT_FLOAT64, -1, 1, 10);
    ((double *)ct_data_ptr(c))[40] = NAN;
    for (int d = 0; d < 3; d++) {
        v = ct_cummin(c, d, &idx);
        CHECK_SCAN(v, idx, c, d, S_MIN, 0);
    }
    ct_tensor *b = tt_tensor(VALS(1, 0, 1), SHAPE(3), 1, CT_BOOL);
    v = ct_cummin(b, 0, NULL);
    CHECK(v->dtype == CT_BOOL);
    CHECK_TENSOR(v, SHAPE(3), 1, VALS(1, 0, 0), 0);
}

TEST(cumsum, long_lines_scan_in_parallel_chunks_independent_of_threads) {
    ct_tensor *x = tt_rand(SHAPE(2, 300000), 2, CT_FLOAT64, -1, 1, 11);
    CHECK_SCAN(ct_cumsum(x, 1, -1), NULL, x, 1, S_SUM, 1e-9);
    ct_tensor *f = tt_rand(SHAPE(300000), 1, CT_FLOAT32, 0, 1, 12);
    int nt = ct_get_num_threads();
    ct_set_num_threads(1);
    ct_tensor *a = ct_cumsum(f, 0, -1);
    ct_set_num_threads(3);
    ct_tensor *b = ct_cumsum(f, 0, -1);
    ct_set_num_threads(nt);
    CHECK(memcmp(ct_data_ptr(a), ct_data_ptr(b), 300000 * sizeof(float)) == 0);
    CHECK_SCAN(a, NULL, f, 0, S_SUM, 1e-6);
    ct_tensor *p = tt_rand(SHAPE(200000), 1, CT_FLOAT64, 0.99999, 1.00001, 13);
    CHECK_SCAN(ct_cumprod(p, 0, -1), NULL, p, 0, S_PROD, 1e-9);
}
