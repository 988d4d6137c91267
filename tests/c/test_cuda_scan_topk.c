/* The block-parallel scans and the radix-select topk on the GPU against the
 * CPU: long lines (block scan) and short ones (a thread per line), every
 * dtype, NaN and ties in cummax/cummin and topk, k = 1 .. n. Each GPU test
 * counts itself as skipped without a GPU. */
#define CUDA_TEST_GROUP "cuda scan/topk"
#include "cuda_check.h"

/* g (on the GPU) equals c exactly: same shape and dtype, every element
 * equal (NaN where c has NaN). */
#define SAME(g, c) CLOSE_GPU(g, c, 0, true)

static const ct_dtype all_dt[] = {CT_FLOAT32, CT_FLOAT64, CT_INT64, CT_INT32,
                                  CT_INT16,   CT_INT8,    CT_UINT8, CT_BOOL};

/* x of shape with a few distinct values (many ties), NaN every `nan_every`
 * elements (floats; 0 = none). */
static ct_tensor *tied(const int64_t *shape, int nd, ct_dtype dt, int nan_every, unsigned seed) {
    ct_tensor *x = ct_round(tt_rand(shape, nd, CT_FLOAT64, -4, 4, seed));
    if (nan_every && ct_dtype_is_floating(dt)) {
        double *v = ct_data_ptr(x);
        for (int64_t i = seed % nan_every; i < x->numel; i += nan_every) v[i] = NAN;
    }
    if (dt == CT_UINT8) x = ct_abs(x);
    return ct_to_dtype(x, dt, false);
}

/* Lines along dim of each shape: long ones (L >= CT_CUDA_SCAN_LONG, 1024),
 * with inner 1 and inner > 1, and many short ones. */
static const int64_t scan_shapes[][3] = {{1, 10000, 1}, {3, 2100, 1}, {2, 3000, 3}, {300, 7, 5}, {2, 1025, 1}};

TEST(cuda_scan, cumsum_long_and_short_lines_every_dtype) {
    if (!gpu()) return;
    for (int s = 0; s < 5; s++)
        for (size_t k = 0; k < sizeof all_dt / sizeof *all_dt; k++) {
            ct_tensor *x = tied(scan_shapes[s], 3, all_dt[k], 0, 11 + (unsigned)s);
            ct_tensor *g = ct_cuda(x);
            double tol = all_dt[k] == CT_FLOAT32 ? 1e-5 : all_dt[k] == CT_FLOAT64 ? 1e-12 : 0;
            CLOSE_GPU(ct_cumsum(g, 1, -1), ct_cumsum(x, 1, -1), tol, true);
            CLOSE_GPU(ct_cumsum(g, 0, -1), ct_cumsum(x, 0, -1), tol, true);
        }
    /* integer sums exactly, past 2^53 and wrapping like the CPU */
    ct_tensor *big = ct_mul_scalar(tt_rand(SHAPE(5000), 1, CT_INT64, 1, 9, 3), 4.0e15);
    ct_tensor *gb = ct_cumsum(ct_cuda(big), 0, -1), *cb = ct_cumsum(big, 0, -1);
    CHECK(ct_equal(ct_cpu(gb), cb) == 1);
}

TEST(cuda_scan, cumprod_long_lines_in_double) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(2, 5000), 2, CT_FLOAT64, 0.99, 1.01, 5);
    CLOSE_GPU(ct_cumprod(ct_cuda(x), 1, -1), ct_cumprod(x, 1, -1), 1e-12, true);
    ct_tensor *f = ct_to_dtype(x, CT_FLOAT32, false);
    CLOSE_GPU(ct_cumprod(ct_cuda(f), 1, -1), ct_cumprod(f, 1, -1), 1e-5, true);
    /* integers wrap modulo 2^64 on both */
    ct_tensor *i = tt_rand(SHAPE(3000), 1, CT_INT64, -3, 4, 6);
    ct_tensor *gi = ct_cumprod(ct_cuda(i), 0, -1), *ci = ct_cumprod(i, 0, -1);
    CHECK(ct_equal(ct_cpu(gi), ci) == 1);
}

TEST(cuda_scan, cummax_cummin_ties_and_nan_long_and_short) {
    if (!gpu()) return;
    for (int s = 0; s < 5; s++)
        for (size_t k = 0; k < sizeof all_dt / sizeof *all_dt; k++)
            for (int nan = 0; nan < 2; nan++) {
                ct_tensor *x = tied(scan_shapes[s], 3, all_dt[k], nan ? 700 : 0, 21 + (unsigned)s);
                ct_tensor *g = ct_cuda(x);
                for (int d = 0; d < 3; d += 1) {
                    ct_tensor *gi = NULL, *ci = NULL;
                    SAME(ct_cummax(g, d, &gi), ct_cummax(x, d, &ci));
                    SAME(gi, ci); /* the later of equal maxima, the last NaN */
                    SAME(ct_cummin(g, d, &gi), ct_cummin(x, d, &ci));
                    SAME(gi, ci);
                }
            }
}

TEST(cuda_scan, empty_and_zero_d) {
    if (!gpu()) return;
    ct_tensor *e = ct_zeros(SHAPE(0, 3000), 2, CT_FLOAT32), *z = tt_rand(NULL, 0, CT_FLOAT64, 1, 2, 1);
    SAME(ct_cumsum(ct_cuda(e), 1, -1), ct_cumsum(e, 1, -1));
    SAME(ct_cumsum(ct_cuda(z), 0, -1), ct_cumsum(z, 0, -1));
    ct_tensor *gi = NULL, *ci = NULL;
    SAME(ct_cummax(ct_cuda(z), 0, &gi), ct_cummax(z, 0, &ci));
    SAME(gi, ci);
}

/* topk of x on the GPU equals the CPU's, values and indices, along dim. */
#define TOPK_SAME(x, k, dim, largest)                                                    \
    do {                                                                                 \
        ct_tensor *gi_ = NULL, *ci_ = NULL;                                              \
        SAME(ct_topk(ct_cuda(x), (k), (dim), (largest), true, &gi_),                      \
             ct_topk((x), (k), (dim), (largest), true, &ci_));                            \
        SAME(gi_, ci_);                                                                  \
    } while (0)

TEST(cuda_topk, radix_select_every_dtype_ties_nan) {
    if (!gpu()) return;
    const int64_t ks[] = {1, 2, 7, 100, 1499};
    for (size_t t = 0; t < sizeof all_dt / sizeof *all_dt; t++)
        for (int nan = 0; nan < 2; nan++) {
            ct_tensor *x = tied(SHAPE(3, 3000), 2, all_dt[t], nan ? 37 : 0, 31 + (unsigned)t);
            for (int k = 0; k < 5; k++)
                for (int largest = 0; largest < 2; largest++) TOPK_SAME(x, ks[k], 1, largest);
        }
    /* distinct values, a row along dim 0 (the rows made contiguous first) */
    ct_tensor *y = tt_rand(SHAPE(4000, 2), 2, CT_FLOAT32, -1, 1, 41);
    TOPK_SAME(y, 5, 0, true);
    TOPK_SAME(y, 5, 0, false);
}

TEST(cuda_topk, signed_zeros_and_infinities_tie_like_the_cpu) {
    if (!gpu()) return;
    ct_tensor *x = ct_zeros(SHAPE(2, 2000), 2, CT_FLOAT64);
    double *v = ct_data_ptr(x);
    for (int64_t i = 0; i < x->numel; i++) v[i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : -1.0;
    v[5] = INFINITY;
    v[2005] = -INFINITY;
    v[17] = NAN;
    for (int largest = 0; largest < 2; largest++) {
        TOPK_SAME(x, 3, 1, largest);
        TOPK_SAME(x, 900, 1, largest);
    }
}

TEST(cuda_topk, k_zero_small_k_n_and_full_sort_fallback) {
    if (!gpu()) return;
    ct_tensor *x = tied(SHAPE(2, 5000), 2, CT_FLOAT32, 0, 51);
    TOPK_SAME(x, 0, 1, true);
    TOPK_SAME(x, 2100, 1, true); /* k above the select's limit: a full sort, first k kept */
    TOPK_SAME(x, 5000, 1, false);
    ct_tensor *s = tied(SHAPE(6, 50), 2, CT_INT32, 0, 52);
    TOPK_SAME(s, 1, 1, true);
    TOPK_SAME(s, 10, 1, false);
    ct_tensor *gi = NULL, *ci = NULL;
    SAME(ct_kthvalue(ct_cuda(x), 7, 1, false, &gi), ct_kthvalue(x, 7, 1, false, &ci));
    SAME(gi, ci);
    CHECK_ERR(ct_topk(ct_cuda(x), 5001, 1, true, true, NULL), "k out of range");
}
