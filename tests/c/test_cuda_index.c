/* Indexing on the GPU (src/cuda/index.cu) against the CPU: gather,
 * index_select, scatter and its reductions (atomics on duplicate indices),
 * index_add/index_copy, embedding forward and backward. Without a GPU each
 * test counts itself as skipped (`make test-cuda` runs them on a GPU). */
#define CUDA_TEST_GROUP "cuda index"
#include "cuda_check.h"

#define CLOSE(g, c, tol) CLOSE_GPU(g, c, tol, true)

static const ct_dtype DTS[] = {CT_FLOAT32, CT_FLOAT64, CT_FLOAT16, CT_BFLOAT16, CT_INT64,
                               CT_INT32,   CT_INT16,   CT_UINT8,   CT_BOOL};
#define NDT ((int)(sizeof DTS / sizeof DTS[0]))

static double tol_of(ct_dtype dt) {
    return dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? 2e-2 : dt == CT_FLOAT32 ? 1e-5 : 1e-12;
}

TEST(cuda_gather, gather_and_index_select_every_dtype) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = tt_rand(SHAPE(6, 40), 2, dt, dt == CT_BOOL ? 0 : -50, dt == CT_BOOL ? 2 : 50, 1);
        ct_tensor *gx = ct_cuda(x);
        CHECK_OK(gx);
        ct_tensor *ix = tt_rand(SHAPE(6, 70), 2, CT_INT64, 0, 40, 2);
        CLOSE(ct_gather(gx, 1, ct_cuda(ix)), ct_gather(x, 1, ix), 0);
        ct_tensor *i0 = tt_rand(SHAPE(3, 40), 2, CT_INT64, 0, 6, 3);
        CLOSE(ct_gather(gx, 0, ct_cuda(i0)), ct_gather(x, 0, i0), 0);
        /* a transposed input and a strided index */
        ct_tensor *xt = ct_t(x), *gxt = ct_t(gx);
        ct_tensor *is = ct_slice(tt_rand(SHAPE(40, 8), 2, CT_INT64, 0, 6, 4), 1, 0, 8, 2);
        CLOSE(ct_gather(gxt, 1, ct_cuda(is)), ct_gather(xt, 1, is), 0);
        ct_tensor *v = tt_rand(SHAPE(50), 1, CT_INT64, 0, 40, 5);
        CLOSE(ct_index_select(gx, 1, ct_cuda(v)), ct_index_select(x, 1, v), 0);
        /* negative indices are out of range for index_select, as in PyTorch */
        ct_tensor *neg = ct_full_int(SHAPE(2), 1, -1, CT_INT64);
        CHECK_ERR(ct_index_select(gx, 1, ct_cuda(neg)), "index out of range");
        CHECK_ERR(ct_index_select(x, 1, neg), "index out of range");
        ct_tensor *v32 = ct_to_dtype(tt_rand(SHAPE(9), 1, CT_INT64, 0, 40, 6), CT_INT32, false);
        CLOSE(ct_index_select(gxt, 0, ct_cuda(v32)), ct_index_select(xt, 0, v32), 0);
        /* empty index, 0-d input */
        ct_tensor *e = ct_empty(SHAPE(0), 1, CT_INT64);
        CLOSE(ct_index_select(gx, 0, ct_cuda(e)), ct_index_select(x, 0, e), 0);
        ct_tensor *s = ct_select(x, 0, 2);
        ct_tensor *z = ct_zeros(NULL, 0, CT_INT64);
        CLOSE(ct_index_select(ct_select(ct_select(gx, 0, 2), 0, 3), 0, ct_cuda(z)),
              ct_index_select(ct_select(s, 0, 3), 0, z), 0);
    }
}

TEST(cuda_gather, large_and_errors) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(300, 257), 2, CT_FLOAT32, -1, 1, 7);
    ct_tensor *ix = tt_rand(SHAPE(300, 500), 2, CT_INT64, 0, 257, 8);
    CLOSE(ct_gather(ct_cuda(x), 1, ct_cuda(ix)), ct_gather(x, 1, ix), 0);
    ct_tensor *bad = ct_cuda(tt_rand(SHAPE(2, 3), 2, CT_INT64, 257, 300, 9));
    CHECK_ERR(ct_gather(ct_cuda(x), 1, bad), "out of bounds for dimension 1 with size 257");
    CHECK_ERR(ct_index_select(ct_cuda(x), 0, ct_cuda(tt_rand(SHAPE(2), 1, CT_INT64, 300, 301, 1))),
              "index out of range in self");
    CHECK_ERR(ct_gather(ct_cuda(x), 1, ix), "same device");
    CHECK_ERR(ct_index_select(x, 1, ct_cuda(ct_zeros(SHAPE(1), 1, CT_INT64))), "same device");
}

TEST(cuda_scatter, scatter_reductions_with_duplicates) {
    if (!gpu()) return;
    static const char *reds[] = {"sum", "prod", "amax", "amin"};
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        double lo = dt == CT_BOOL ? 0 : dt == CT_UINT8 ? 0 : -3, hi = dt == CT_BOOL ? 2 : 4;
        ct_tensor *x = tt_rand(SHAPE(5, 9), 2, dt, lo, hi, 10);
        ct_tensor *src = tt_rand(SHAPE(5, 30), 2, dt, lo, hi, 11);
        /* 30 indices into 9 slots: many duplicates */
        ct_tensor *ix = tt_rand(SHAPE(5, 30), 2, CT_INT64, 0, 9, 12);
        ct_tensor *gx = ct_cuda(x), *gs = ct_cuda(src), *gi = ct_cuda(ix);
        CHECK_OK(gx);
        double tol = tol_of(dt);
        CLOSE(ct_scatter_add(gx, 1, gi, gs), ct_scatter_add(x, 1, ix, src), tol);
        for (int r = 0; r < 4; r++)
            for (int self = 0; self < 2; self++)
                CLOSE(ct_scatter_reduce(gx, 1, gi, gs, reds[r], self),
                      ct_scatter_reduce(x, 1, ix, src, reds[r], self), tol);
        /* a permutation: plain scatter has one writer per slot */
        ct_tensor *perm = ct_argsort(tt_rand(SHAPE(5, 9), 2, CT_FLOAT64, 0, 1, 13), 1, false, false);
        CHECK_OK(perm);
        CLOSE(ct_scatter(gx, 1, ct_cuda(perm), gs), ct_scatter(x, 1, perm, src), 0);
        CLOSE(ct_scatter_value(gx, 1, ct_cuda(ct_slice(perm, 1, 0, 2, 1)), 1),
              ct_scatter_value(x, 1, ct_slice(perm, 1, 0, 2, 1), 1), 0);
        if (dt != CT_BOOL)
            CLOSE(ct_scatter_value_with_reduce(gx, 1, gi, 2, "add"),
                  ct_scatter_value_with_reduce(x, 1, ix, 2, "add"), tol);
        /* in place on a transposed view */
        ct_tensor *y = ct_contiguous(ct_t(tt_rand(SHAPE(9, 5), 2, dt, lo, hi, 14)));
        ct_tensor *gy = ct_t(ct_cuda(ct_contiguous(ct_t(y))));
        ct_tensor *yt = ct_t(ct_contiguous(ct_t(y)));
        CHECK_OK(ct_scatter_add_(gy, 1, gi, gs));
        CHECK_OK(ct_scatter_add_(yt, 1, ix, src));
        CLOSE(gy, yt, tol);
    }
    ct_tensor *x = ct_cuda(ct_zeros(SHAPE(3), 1, CT_FLOAT32));
    /* mean (composed on the GPU since the shape family's GPU paths) */
    CLOSE(ct_scatter_reduce(x, 0, ct_cuda(ct_zeros(SHAPE(2), 1, CT_INT64)),
                            ct_cuda(ct_ones(SHAPE(2), 1, CT_FLOAT32)), "mean", true),
          ct_scatter_reduce(ct_cpu(x), 0, ct_zeros(SHAPE(2), 1, CT_INT64),
                            ct_ones(SHAPE(2), 1, CT_FLOAT32), "mean", true), 1e-6);
    CHECK_ERR(ct_scatter_add(x, 0, ct_cuda(ct_full(SHAPE(2), 1, 3, CT_INT64)),
                             ct_cuda(ct_ones(SHAPE(2), 1, CT_FLOAT32))),
              "out of bounds");
}

TEST(cuda_index_add, index_add_copy_and_large_sums) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        double lo = dt == CT_BOOL || dt == CT_UINT8 ? 0 : -3, hi = dt == CT_BOOL ? 2 : 4;
        ct_tensor *x = tt_rand(SHAPE(7, 6), 2, dt, lo, hi, 20);
        ct_tensor *src = tt_rand(SHAPE(15, 6), 2, dt, lo, hi, 21);
        ct_tensor *ix = tt_rand(SHAPE(15), 1, CT_INT64, 0, 7, 22);
        CLOSE(ct_index_add(ct_cuda(x), 0, ct_cuda(ix), ct_cuda(src), 2),
              ct_index_add(x, 0, ix, src, 2), tol_of(dt));
        ct_tensor *perm = ct_slice(ct_argsort(tt_rand(SHAPE(7), 1, CT_FLOAT64, 0, 1, 23), 0, false, false), 0, 0, 4, 1);
        ct_tensor *s4 = ct_slice(src, 0, 0, 4, 1);
        CLOSE(ct_index_copy(ct_cuda(x), 0, ct_cuda(perm), ct_cuda(s4)), ct_index_copy(x, 0, perm, s4), 0);
    }
    /* many collisions in float32: atomics sum in any order */
    ct_tensor *x = ct_zeros(SHAPE(3, 4000), 2, CT_FLOAT32);
    ct_tensor *src = tt_rand(SHAPE(2000, 4000), 2, CT_FLOAT32, -1, 1, 24);
    ct_tensor *ix = tt_rand(SHAPE(2000), 1, CT_INT64, 0, 3, 25);
    CLOSE(ct_index_add(ct_cuda(x), 0, ct_cuda(ix), ct_cuda(src), 1), ct_index_add(x, 0, ix, src, 1), 1e-3);
}

TEST(cuda_embedding, forward_and_backward) {
    if (!gpu()) return;
    ct_tensor *w = tt_rand(SHAPE(50, 16), 2, CT_FLOAT32, -1, 1, 30);
    ct_tensor *ids = tt_rand(SHAPE(4, 33), 2, CT_INT64, 0, 50, 31);
    ct_tensor *gw = ct_cuda(w);
    ct_set_requires_grad(w, true);
    ct_set_requires_grad(gw, true);
    ct_tensor *yc = ct_embedding(w, ids, -1), *yg = ct_embedding(gw, ct_cuda(ids), -1);
    CLOSE(yg, yc, 0);
    ct_tensor *up = tt_rand(SHAPE(4, 33, 16), 3, CT_FLOAT32, -1, 1, 32);
    CHECK(ct_backward(ct_sum(ct_mul(yc, up)), NULL, false, false, NULL, 0) == 0);
    CHECK(ct_backward(ct_sum(ct_mul(yg, ct_cuda(up))), NULL, false, false, NULL, 0) == 0);
    CLOSE(ct_tensor_grad(gw), ct_tensor_grad(w), 1e-5);
}
