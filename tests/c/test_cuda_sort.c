/* The second batch of CUDA op paths against the CPU: cat/stack, masked
 * select, advanced indexing and index_put, sort/topk (shared-memory and
 * global-memory rows), scans, cuDNN conv2d. Each GPU test counts itself as
 * skipped without a GPU (the count is printed when the runner exits). */
#define CUDA_TEST_GROUP "cuda sort/join/index"
#include "cuda_check.h"

#define CLOSE(g, c, tol) CLOSE_GPU(g, c, tol, true)

TEST(cuda_cat, cat_stack_strided_any_dim) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(3, 4, 5), 3, CT_FLOAT32, -1, 1, 1);
    ct_tensor *y = tt_rand(SHAPE(3, 4, 5), 3, CT_INT64, -9, 9, 2);
    ct_tensor *gx = ct_cuda(x), *gy = ct_cuda(y);
    for (int d = -1; d < 3; d++) {
        CLOSE(ct_cat((const ct_tensor *const[]){gx, gy, gx}, 3, d),
              ct_cat((const ct_tensor *const[]){x, y, x}, 3, d), 0);
        CLOSE(ct_stack((const ct_tensor *const[]){ct_transpose(gx, 0, 2), ct_transpose(gx, 0, 2)}, 2, d),
              ct_stack((const ct_tensor *const[]){ct_transpose(x, 0, 2), ct_transpose(x, 0, 2)}, 2, d), 0);
    }
    CHECK_ERR(ct_cat((const ct_tensor *const[]){gx, x}, 2, 0), "same device");
}

TEST(cuda_sort, sort_rows_short_and_long) {
    if (!gpu()) return;
    const int64_t ns[] = {1, 7, 2048, 2049, 10000};
    for (int k = 0; k < 5; k++) {
        ct_tensor *x = ct_round(ct_mul_scalar(tt_rand(SHAPE(3, ns[k]), 2, CT_FLOAT64, -3, 3, 3 + k), 2));
        for (int desc = 0; desc < 2; desc++) {
            ct_tensor *gi = NULL, *ci = NULL;
            CLOSE(ct_sort(ct_cuda(x), -1, desc, true, &gi), ct_sort(x, -1, desc, true, &ci), 0);
            CLOSE(gi, ci, 0); /* ties keep their order on both */
            CLOSE(ct_argsort(ct_cuda(ct_t(x)), 0, desc, true), ct_argsort(ct_t(x), 0, desc, true), 0);
        }
    }
    ct_tensor *x = tt_rand(SHAPE(5, 300), 2, CT_INT32, -50, 50, 9), *gi = NULL, *ci = NULL;
    CLOSE(ct_topk(ct_cuda(x), 4, 1, true, true, &gi), ct_topk(x, 4, 1, true, true, &ci), 0);
    CLOSE(ct_sort(ct_cuda(x), 0, false, true, &gi), ct_sort(x, 0, false, true, &ci), 0);
    CLOSE(gi, ci, 0);
}

TEST(cuda_scan, cumsum_cumprod_cummax) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(4, 9, 5), 3, CT_FLOAT64, -1, 1, 4), *g = ct_cuda(x);
    for (int d = 0; d < 3; d++) {
        CLOSE(ct_cumsum(g, d, -1), ct_cumsum(x, d, -1), 1e-12);
        CLOSE(ct_cumprod(ct_transpose(g, 0, 2), d, -1), ct_cumprod(ct_transpose(x, 0, 2), d, -1), 1e-12);
        ct_tensor *gi = NULL, *ci = NULL;
        CLOSE(ct_cummax(g, d, &gi), ct_cummax(x, d, &ci), 0);
        CLOSE(gi, ci, 0);
        CLOSE(ct_cummin(g, d, &gi), ct_cummin(x, d, &ci), 0);
        CLOSE(gi, ci, 0);
    }
    ct_tensor *b = ct_gt_scalar(tt_rand(SHAPE(70000), 1, CT_FLOAT32, -1, 1, 5), 0);
    CLOSE(ct_cumsum(ct_cuda(b), 0, -1), ct_cumsum(b, 0, -1), 0);
}

TEST(cuda_index_put, index_put_accumulate_and_masked_select) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(5, 4), 2, CT_FLOAT32, -1, 1, 6), *g = ct_cuda(x);
    ct_tensor *i = ct_to_dtype(tt_tensor(VALS(4, 0, 0, 2), SHAPE(4), 1, CT_FLOAT64), CT_INT64, false);
    ct_tensor *v = tt_rand(SHAPE(4, 4), 2, CT_FLOAT32, -1, 1, 7);
    const ct_tensor *gis[1] = {ct_cuda(i)}, *cis[1] = {i};
    CLOSE(ct_index(g, gis, 1), ct_index(x, cis, 1), 0);
    CLOSE(ct_index_put(g, gis, 1, ct_cuda(v), true), ct_index_put(x, cis, 1, v, true), 1e-6);
    ct_tensor *m = ct_gt_scalar(x, 0);
    CLOSE(ct_masked_select(g, ct_cuda(m)), ct_masked_select(x, m), 0);
    CLOSE(ct_masked_select(ct_t(g), ct_cuda(ct_t(m))), ct_masked_select(ct_t(x), ct_t(m)), 0);
}

TEST(cuda_conv, conv2d_and_its_gradients_through_cudnn) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(2, 4, 9, 8), 4, CT_FLOAT64, -1, 1, 8);
    ct_tensor *w = tt_rand(SHAPE(6, 2, 3, 3), 4, CT_FLOAT64, -1, 1, 9);
    ct_tensor *b = tt_rand(SHAPE(6), 1, CT_FLOAT64, -1, 1, 10);
    const int64_t s[2] = {2, 1}, p[2] = {1, 2}, d[2] = {1, 2};
    ct_tensor *y = ct_conv2d(x, w, b, s, p, d, 2);
    CLOSE(ct_conv2d(ct_cuda(x), ct_cuda(w), ct_cuda(b), s, p, d, 2), y, 1e-10);
    ct_tensor *go = tt_rand(y->sizes, 4, CT_FLOAT64, -1, 1, 11);
    const int64_t hw[2] = {9, 8}, k[2] = {3, 3};
    CLOSE(ct_conv2d_backward_input(ct_cuda(go), ct_cuda(w), hw, s, p, d, 2),
          ct_conv2d_backward_input(go, w, hw, s, p, d, 2), 1e-10);
    CLOSE(ct_conv2d_backward_weight(ct_cuda(go), ct_cuda(x), k, s, p, d, 2),
          ct_conv2d_backward_weight(go, x, k, s, p, d, 2), 1e-10);
}
