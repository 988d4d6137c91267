/* The CUDA op paths against the CPU: matmul through cuBLAS, reductions,
 * fused softmax, and autograd on the GPU (gradients created on the device).
 * Every GPU comparison needs a GPU: without one each test counts itself as
 * skipped, and the count is printed when the runner exits (`make test-cuda`
 * runs them on a GPU machine). The CPU tests at the end always run. */
#define CUDA_TEST_GROUP "cuda ops"
#include "cuda_check.h"

static ct_tensor *R(const int64_t *shape, int nd, ct_dtype dt, unsigned seed) {
    return tt_rand(shape, nd, dt, -1, 1, seed);
}

#define CLOSE(g, c, tol) CLOSE_GPU(g, c, tol, false)

/* ---------------------------------------------------------------- matmul */
TEST(cuda_matmul, mm_bmm_and_strided_operands) {
    if (!gpu()) return;
    ct_dtype dts[2] = {CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = dts[k];
        double tol = dt == CT_FLOAT32 ? 1e-5 : 1e-12;
        ct_tensor *a = R(SHAPE(37, 19), 2, dt, 1), *b = R(SHAPE(19, 23), 2, dt, 2);
        ct_tensor *ga = ct_cuda(a), *gb = ct_cuda(b);
        CHECK_OK(ga);
        CHECK_OK(gb);
        CLOSE(ct_mm(ga, gb), ct_mm(a, b), tol);
        /* transposed views are read with CUBLAS_OP_T, not copied */
        ct_tensor *at = ct_t(R(SHAPE(19, 37), 2, dt, 3)), *bt = ct_t(R(SHAPE(23, 19), 2, dt, 4));
        CLOSE(ct_mm(ct_cuda(ct_contiguous(at)), ct_t(ct_cuda(ct_t(bt)))), ct_mm(at, bt), tol);
        CLOSE(ct_mm(ct_t(ct_cuda(ct_t(at))), gb), ct_mm(at, b), tol);
        /* a stepped slice cuBLAS cannot read directly */
        ct_tensor *big = R(SHAPE(37, 38), 2, dt, 5);
        CLOSE(ct_mm(ct_slice(ct_cuda(big), 1, 0, 38, 2), gb), ct_mm(ct_slice(big, 1, 0, 38, 2), b), tol);
        ct_tensor *x = R(SHAPE(5, 7, 3), 3, dt, 6), *y = R(SHAPE(5, 3, 4), 3, dt, 7);
        CLOSE(ct_bmm(ct_cuda(x), ct_cuda(y)), ct_bmm(x, y), tol);
        CLOSE(ct_bmm(ct_transpose(ct_cuda(ct_transpose(x, 1, 2)), 1, 2), ct_cuda(y)), ct_bmm(x, y), tol);
    }
}

TEST(cuda_matmul, matmul_broadcasting_cases) {
    if (!gpu()) return;
    const int64_t shapes[][2][4] = {
        {{6}, {6}},            {{4, 6}, {6}},       {{6}, {6, 3}},        {{2, 4, 6}, {6}},
        {{6}, {2, 6, 3}},      {{2, 4, 6}, {6, 3}}, {{4, 6}, {2, 6, 3}},  {{2, 1, 4, 6}, {3, 6, 5}},
    };
    const int nds[][2] = {{1, 1}, {2, 1}, {1, 2}, {3, 1}, {1, 3}, {3, 2}, {2, 3}, {4, 3}};
    for (int i = 0; i < 8; i++) {
        ct_tensor *a = R(shapes[i][0], nds[i][0], CT_FLOAT64, 10 + i);
        ct_tensor *b = R(shapes[i][1], nds[i][1], CT_FLOAT64, 20 + i);
        CLOSE(ct_matmul(ct_cuda(a), ct_cuda(b)), ct_matmul(a, b), 1e-12);
    }
}

TEST(cuda_matmul, addmm_family_mv_dot) {
    if (!gpu()) return;
    ct_tensor *m1 = R(SHAPE(8, 5), 2, CT_FLOAT32, 1), *m2 = R(SHAPE(5, 6), 2, CT_FLOAT32, 2);
    ct_tensor *bias = R(SHAPE(6), 1, CT_FLOAT32, 3);
    CLOSE(ct_addmm(ct_cuda(bias), ct_cuda(m1), ct_cuda(m2), 0.5, 2.0), ct_addmm(bias, m1, m2, 0.5, 2.0), 1e-5);
    /* beta == 0 ignores self, NaN included */
    ct_tensor *nan = ct_full(SHAPE(8, 6), 2, NAN, CT_FLOAT32);
    CLOSE(ct_addmm(ct_cuda(nan), ct_cuda(m1), ct_cuda(m2), 0, 1), ct_addmm(nan, m1, m2, 0, 1), 1e-5);
    ct_tensor *b1 = R(SHAPE(3, 4, 5), 3, CT_FLOAT64, 4), *b2 = R(SHAPE(3, 5, 2), 3, CT_FLOAT64, 5);
    ct_tensor *s3 = R(SHAPE(4, 2), 2, CT_FLOAT64, 6);
    CLOSE(ct_baddbmm(ct_cuda(s3), ct_cuda(b1), ct_cuda(b2), 0.25, -1), ct_baddbmm(s3, b1, b2, 0.25, -1), 1e-12);
    CLOSE(ct_addbmm(ct_cuda(s3), ct_cuda(b1), ct_cuda(b2), 1, 1), ct_addbmm(s3, b1, b2, 1, 1), 1e-12);
    ct_tensor *v = R(SHAPE(5), 1, CT_FLOAT32, 7), *w = R(SHAPE(10), 1, CT_FLOAT32, 8);
    CLOSE(ct_mv(ct_cuda(m1), ct_cuda(v)), ct_mv(m1, v), 1e-5);
    ct_tensor *ws = ct_slice(w, 0, 0, 10, 2); /* stride 2 */
    CLOSE(ct_dot(ct_slice(ct_cuda(w), 0, 0, 10, 2), ct_cuda(v)), ct_dot(ws, v), 1e-5);
    CLOSE(ct_outer(ct_cuda(v), ct_cuda(w)), ct_outer(v, w), 1e-6);
    /* K = 0: beta * self, or zeros */
    ct_tensor *e1 = ct_zeros(SHAPE(3, 0), 2, CT_FLOAT32), *e2 = ct_zeros(SHAPE(0, 4), 2, CT_FLOAT32);
    ct_tensor *s2 = R(SHAPE(3, 4), 2, CT_FLOAT32, 9);
    CLOSE(ct_mm(ct_cuda(e1), ct_cuda(e2)), ct_mm(e1, e2), 0);
    CLOSE(ct_addmm(ct_cuda(s2), ct_cuda(e1), ct_cuda(e2), 3, 1), ct_addmm(s2, e1, e2, 3, 1), 1e-6);
    CLOSE(ct_dot(ct_cuda(ct_zeros(SHAPE(0), 1, CT_FLOAT64)), ct_cuda(ct_zeros(SHAPE(0), 1, CT_FLOAT64))),
          ct_zeros(NULL, 0, CT_FLOAT64), 0);
    /* float16 goes through float32 */
    ct_tensor *h1 = ct_to_dtype(m1, CT_FLOAT16, false), *h2 = ct_to_dtype(m2, CT_FLOAT16, false);
    CLOSE(ct_mm(ct_cuda(h1), ct_cuda(h2)), ct_mm(h1, h2), 2e-3);
}

TEST(cuda_matmul, errors_and_tf32) {
    if (!gpu()) return;
    ct_tensor *a = R(SHAPE(3, 4), 2, CT_FLOAT32, 1), *b = R(SHAPE(4, 2), 2, CT_FLOAT32, 2);
    CHECK_ERR(ct_mm(ct_cuda(a), b), "same device");
    CHECK_ERR(ct_mm(ct_cuda(ct_ones(SHAPE(2, 2), 2, CT_INT64)), ct_cuda(ct_ones(SHAPE(2, 2), 2, CT_INT64))),
              "not implemented for 'Long'");
    CHECK_ERR(ct_mm(ct_cuda(a), ct_cuda(a)), "cannot be multiplied");
    /* TF32 keeps about 3 decimal digits of float32 products */
    ct_tensor *x = R(SHAPE(64, 256), 2, CT_FLOAT32, 3), *y = R(SHAPE(256, 64), 2, CT_FLOAT32, 4);
    ct_cuda_set_allow_tf32(true);
    double d = gpu_cpu_diff(ct_mm(ct_cuda(x), ct_cuda(y)), ct_mm(x, y), false);
    ct_cuda_set_allow_tf32(false);
    CHECK(d < 5e-2);
    CLOSE(ct_mm(ct_cuda(x), ct_cuda(y)), ct_mm(x, y), 1e-5);
}

/* ---------------------------------------------------------------- reductions */
TEST(cuda_reduce, sum_mean_prod_over_dims) {
    if (!gpu()) return;
    ct_tensor *x = R(SHAPE(6, 5, 7), 3, CT_FLOAT32, 1), *g = ct_cuda(x);
    CHECK_OK(g);
    const int d0[] = {0}, d1[] = {1}, d02[] = {0, 2}, dm1[] = {-1};
    CLOSE(ct_sum(g), ct_sum(x), 1e-6);
    CLOSE(ct_sum_dims(g, d1, 1, false, -1), ct_sum_dims(x, d1, 1, false, -1), 1e-6);
    CLOSE(ct_sum_dims(g, d02, 2, true, -1), ct_sum_dims(x, d02, 2, true, -1), 1e-6);
    CLOSE(ct_mean_dims(g, dm1, 1, false, -1), ct_mean_dims(x, dm1, 1, false, -1), 1e-6);
    CLOSE(ct_mean_dims(ct_transpose(g, 0, 2), d0, 1, true, CT_FLOAT64),
          ct_mean_dims(ct_transpose(x, 0, 2), d0, 1, true, CT_FLOAT64), 1e-6);
    CLOSE(ct_prod_dim(g, 0, false, -1), ct_prod_dim(x, 0, false, -1), 1e-5);
    /* integers: int64 sums that wrap, bool counts */
    ct_tensor *i = ct_to_dtype(tt_rand(SHAPE(4, 9), 2, CT_FLOAT32, -50, 50, 2), CT_INT32, false);
    CLOSE(ct_sum_dims(ct_cuda(i), d1, 1, false, -1), ct_sum_dims(i, d1, 1, false, -1), 0);
    CLOSE(ct_prod_dim(ct_cuda(i), 0, false, -1), ct_prod_dim(i, 0, false, -1), 0);
    ct_tensor *bo = ct_gt_scalar(x, 0);
    CLOSE(ct_sum(ct_cuda(bo)), ct_sum(bo), 0);
    /* empty: sum 0, prod 1, mean NaN */
    ct_tensor *e = ct_zeros(SHAPE(3, 0), 2, CT_FLOAT32);
    CLOSE(ct_sum_dims(ct_cuda(e), d1, 1, false, -1), ct_sum_dims(e, d1, 1, false, -1), 0);
    CLOSE(ct_prod_dim(ct_cuda(e), 1, false, -1), ct_prod_dim(e, 1, false, -1), 0);
    CLOSE(ct_mean_dims(ct_cuda(e), d1, 1, false, -1), ct_mean_dims(e, d1, 1, false, -1), 0);
    CLOSE(ct_sum_dims(ct_cuda(e), d0, 1, false, -1), ct_sum_dims(e, d0, 1, false, -1), 0);
    /* 0-d and float16 */
    ct_tensor *z = ct_scalar_tensor(2.5, CT_FLOAT64);
    CLOSE(ct_sum(ct_cuda(z)), ct_sum(z), 0);
    ct_tensor *h = ct_to_dtype(x, CT_FLOAT16, false);
    CLOSE(ct_sum_dims(ct_cuda(h), d1, 1, false, -1), ct_sum_dims(h, d1, 1, false, -1), 2e-3);
}

TEST(cuda_reduce, long_ranges_take_two_passes) {
    if (!gpu()) return;
    /* one output over 3M elements, and 3 over 1M: the grouped two-pass path */
    ct_tensor *x = tt_rand(SHAPE(3, 1000003), 2, CT_FLOAT64, 0, 1, 3), *g = ct_cuda(x);
    const int d1[] = {1}, d0[] = {0};
    CLOSE(ct_sum(g), ct_sum(x), 1e-12);
    CLOSE(ct_sum_dims(g, d1, 1, false, -1), ct_sum_dims(x, d1, 1, false, -1), 1e-12);
    CLOSE(ct_amax(g, d1, 1, false), ct_amax(x, d1, 1, false), 0);
    ct_tensor *ci = NULL, *ii = NULL;
    CLOSE(ct_max_dim(g, 1, false, &ci), ct_max_dim(x, 1, false, &ii), 0);
    CLOSE(ci, ii, 0);
    CLOSE(ct_argmin(g, NULL, false), ct_argmin(x, NULL, false), 0);
    CLOSE(ct_var(g, d1, 1, 1, false), ct_var(x, d1, 1, 1, false), 1e-10);
    /* many outputs over short ranges: one thread per output */
    CLOSE(ct_sum_dims(g, d0, 1, false, -1), ct_sum_dims(x, d0, 1, false, -1), 1e-12);
}

TEST(cuda_reduce, extremes_and_indices_with_nan) {
    if (!gpu()) return;
    ct_tensor *x = tt_tensor(VALS(3, 1, 3, -2, NAN, 0, 7, 7, -1, NAN, 4, 4), SHAPE(3, 4), 2, CT_FLOAT32);
    ct_tensor *g = ct_cuda(x);
    const int d1[] = {1}, d0[] = {0};
    CLOSE(ct_amax(g, d1, 1, false), ct_amax(x, d1, 1, false), 0);
    CLOSE(ct_amin(g, d0, 1, true), ct_amin(x, d0, 1, true), 0);
    CLOSE(ct_max(g), ct_max(x), 0);
    ct_tensor *gi = NULL, *ci = NULL;
    for (int d = 0; d < 2; d++) {
        CLOSE(ct_max_dim(g, d, false, &gi), ct_max_dim(x, d, false, &ci), 0);
        CLOSE(gi, ci, 0);
        CLOSE(ct_min_dim(g, d, true, &gi), ct_min_dim(x, d, true, &ci), 0);
        CLOSE(gi, ci, 0);
        CLOSE(ct_argmax(g, &d, false), ct_argmax(x, &d, false), 0);
    }
    CLOSE(ct_argmax(g, NULL, false), ct_argmax(x, NULL, false), 0);
    ct_tensor *i = ct_to_dtype(tt_rand(SHAPE(5, 40), 2, CT_FLOAT32, -9, 9, 4), CT_INT64, false);
    int d = 1;
    CLOSE(ct_argmin(ct_cuda(i), &d, false), ct_argmin(i, &d, false), 0);
    CLOSE(ct_amax(ct_cuda(i), d0, 1, false), ct_amax(i, d0, 1, false), 0);
    CHECK_ERR(ct_max_dim(ct_cuda(ct_zeros(SHAPE(2, 0), 2, CT_FLOAT32)), 1, false, NULL), "non-zero size");
}

TEST(cuda_reduce, var_std_norm_all_any) {
    if (!gpu()) return;
    ct_tensor *x = ct_add_scalar(R(SHAPE(4, 50, 3), 3, CT_FLOAT64, 5), 1000); /* a large mean */
    ct_tensor *g = ct_cuda(x);
    const int d1[] = {1}, d02[] = {0, 2};
    CLOSE(ct_var(g, d1, 1, 1, false), ct_var(x, d1, 1, 1, false), 1e-9);
    CLOSE(ct_std(g, d02, 2, 0, true), ct_std(x, d02, 2, 0, true), 1e-9);
    CLOSE(ct_var(g, NULL, 0, 1, false), ct_var(x, NULL, 0, 1, false), 1e-9);
    const double ps[] = {2, 1, 0, 3, INFINITY, -INFINITY};
    ct_tensor *y = R(SHAPE(7, 33), 2, CT_FLOAT32, 6);
    for (int k = 0; k < 6; k++) {
        CLOSE(ct_norm(ct_cuda(y), ps[k], d1, 1, false), ct_norm(y, ps[k], d1, 1, false), 1e-5);
        CLOSE(ct_norm(ct_cuda(y), ps[k], NULL, 0, false), ct_norm(y, ps[k], NULL, 0, false), 1e-5);
    }
    ct_tensor *b = ct_gt_scalar(y, -0.9);
    CLOSE(ct_all_dims(ct_cuda(b), d1, 1, false), ct_all_dims(b, d1, 1, false), 0);
    CLOSE(ct_any(ct_cuda(ct_gt_scalar(y, 0.99))), ct_any(ct_gt_scalar(y, 0.99)), 0);
    CLOSE(ct_all(ct_cuda(y)), ct_all(y), 0);
    CLOSE(ct_count_nonzero(ct_cuda(b), d1, 1), ct_count_nonzero(b, d1, 1), 0);
    ct_tensor *e = ct_zeros(SHAPE(0, 3), 2, CT_BOOL);
    CLOSE(ct_all(ct_cuda(e)), ct_all(e), 0);
    CLOSE(ct_any(ct_cuda(e)), ct_any(e), 0);
    CLOSE(ct_cumsum(g, 0, -1), ct_cumsum(x, 0, -1), 1e-12);
    CLOSE(ct_logsumexp(g, d1, 1, false), ct_logsumexp(x, d1, 1, false), 1e-12);
}

TEST(cuda_softmax, rows_and_columns) {
    if (!gpu()) return;
    ct_tensor *x = ct_mul_scalar(R(SHAPE(9, 5, 3000), 3, CT_FLOAT32, 1), 20), *g = ct_cuda(x);
    for (int d = -1; d >= -3; d--) { /* last dim: a block per row; others: a thread per column */
        CLOSE(ct_softmax(g, d), ct_softmax(x, d), 1e-5);
        CLOSE(ct_log_softmax(g, d), ct_log_softmax(x, d), 1e-5);
    }
    ct_tensor *y = R(SHAPE(4, 7), 2, CT_FLOAT64, 2);
    CLOSE(ct_log_softmax(ct_cuda(ct_t(y)), 1), ct_log_softmax(ct_t(y), 1), 1e-12);
    ct_tensor *e = ct_zeros(SHAPE(0, 4), 2, CT_FLOAT32);
    CLOSE(ct_softmax(ct_cuda(e), 1), ct_softmax(e, 1), 0);
}

/* ---------------------------------------------------------------- autograd */
/* loss = mean(log_softmax(relu(x W1^T + b1) W2^T + b2)), gradients of the
 * four parameters. dev NULL: on the CPU. */
static int mlp_grads(const ct_tensor *const *params_cpu, const ct_tensor *x_cpu, bool on_gpu,
                     ct_tensor **grads) {
    ct_tensor *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = on_gpu ? ct_cuda(params_cpu[i]) : ct_clone(params_cpu[i]);
        if (!p[i] || ct_set_requires_grad(p[i], true) < 0) return -1;
    }
    const ct_tensor *x = on_gpu ? ct_cuda(x_cpu) : x_cpu;
    ct_tensor *h = ct_relu(ct_linear(x, p[0], p[1]));
    ct_tensor *o = h ? ct_linear(h, p[2], p[3]) : NULL;
    ct_tensor *loss = o ? ct_mean(ct_log_softmax(o, 1)) : NULL;
    if (!loss || ct_backward(loss, NULL, false, false, NULL, 0) < 0) return -1;
    for (int i = 0; i < 4; i++) {
        grads[i] = ct_tensor_grad(p[i]);
        if (!grads[i]) return -1;
    }
    return 0;
}

TEST(cuda_autograd, mlp_backward_matches_cpu) {
    if (!gpu()) return;
    const ct_tensor *params[4] = {R(SHAPE(16, 5), 2, CT_FLOAT64, 1), R(SHAPE(16), 1, CT_FLOAT64, 2),
                                  R(SHAPE(3, 16), 2, CT_FLOAT64, 3), R(SHAPE(3), 1, CT_FLOAT64, 4)};
    ct_tensor *x = R(SHAPE(8, 5), 2, CT_FLOAT64, 5);
    ct_tensor *gc[4], *gg[4];
    CHECK(mlp_grads(params, x, false, gc) == 0);
    CHECK(mlp_grads(params, x, true, gg) == 0);
    for (int i = 0; i < 4; i++) CLOSE(gg[i], gc[i], 1e-10); /* gpu_cpu_diff() also checks they stay on the GPU */
}

TEST(cuda_autograd, broadcast_and_accumulated_grads_stay_on_gpu) {
    if (!gpu()) return;
    ct_tensor *a = ct_cuda(R(SHAPE(4, 1), 2, CT_FLOAT32, 1)), *b = ct_cuda(R(SHAPE(3), 1, CT_FLOAT32, 2));
    ct_tensor *ac = ct_cpu(a), *bc = ct_cpu(b);
    ct_set_requires_grad(a, true);
    ct_set_requires_grad(b, true);
    ct_set_requires_grad(ac, true);
    ct_set_requires_grad(bc, true);
    /* a used twice (accumulation), both broadcast (sum_to) */
    ct_tensor *yg = ct_sum(ct_mul(ct_add(a, b), a)), *yc = ct_sum(ct_mul(ct_add(ac, bc), ac));
    CHECK(ct_backward(yg, NULL, false, false, NULL, 0) == 0);
    CHECK(ct_backward(yc, NULL, false, false, NULL, 0) == 0);
    CLOSE(ct_tensor_grad(a), ct_tensor_grad(ac), 1e-6);
    CLOSE(ct_tensor_grad(b), ct_tensor_grad(bc), 1e-6);
}

/* ---------------------------------------------------------------- CPU */
/* The device-aware autograd paths (zeros for unused outputs, broadcast
 * sums, accumulation) keep CPU gradients on the CPU with the right values:
 * d/da sum((a + b) * a) = 2a + b summed over broadcast dims. */
TEST(cuda_autograd, device_aware_paths_keep_cpu_grads) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2, 1), 2, CT_FLOAT64);
    ct_tensor *b = tt_tensor(VALS(10, 20, 30), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(a, true);
    ct_set_requires_grad(b, true);
    ct_tensor *y = ct_sum(ct_mul(ct_add(a, b), a));
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) == 0);
    ct_tensor *ga = ct_tensor_grad(a), *gb = ct_tensor_grad(b);
    CHECK(ga->storage->device.type == CT_CPU && gb->storage->device.type == CT_CPU);
    /* da: sum_j (2 a_i + b_j) = 6 a_i + 60; db_j: sum_i a_i = 3 */
    CHECK_TENSOR(ga, SHAPE(2, 1), 2, VALS(66, 72), 1e-12);
    CHECK_TENSOR(gb, SHAPE(3), 1, VALS(3, 3, 3), 1e-12);
    /* a multi-output op whose second output gets no gradient: zeros made on the CPU */
    ct_tensor *x = tt_tensor(VALS(3, 1, 2), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *idx = NULL;
    ct_tensor *m = ct_max_dim(x, 0, false, &idx);
    CHECK(ct_backward(m, NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(1, 0, 0), 0);
    CHECK(ct_zeros_like(x, CT_DTYPE_DEFAULT)->storage->device.type == CT_CPU);
}

TEST(cuda_matmul, tf32_switch_defaults_off) {
    CHECK(!ct_cuda_allow_tf32()); /* PyTorch >= 1.12 */
    ct_cuda_set_allow_tf32(true);
    CHECK(ct_cuda_allow_tf32());
    ct_cuda_set_allow_tf32(false);
    CHECK(!ct_cuda_allow_tf32());
}

/* Ops without a CUDA kernel refuse GPU tensors with an error naming the op
 * (they would otherwise read device memory on the host). */
TEST(cuda_guard, ops_without_cuda_kernels_refuse) {
    if (!gpu()) return;
    ct_tensor *x = ct_cuda(R(SHAPE(2, 3), 2, CT_FLOAT32, 1));
    ct_tensor *i = ct_cuda(ct_zeros(SHAPE(2, 1), 2, CT_INT64));
    CHECK_OK(x);
    CHECK_OK(ct_gather(x, 1, i));
    CLOSE(ct_flip(x, (const int[]){0}, 1), ct_flip(ct_cpu(x), (const int[]){0}, 1), 0);
    CHECK_ERR(ct_unique_dim(x, 0, true, NULL, NULL), "unique: not implemented for CUDA");
}

/* ---------------------------------------------------------------- indexing, losses */
TEST(cuda_index, gather_scatter_add_masked_fill) {
    if (!gpu()) return;
    ct_tensor *x = R(SHAPE(4, 6), 2, CT_FLOAT32, 1), *g = ct_cuda(x);
    ct_tensor *idx = ct_to_dtype(tt_tensor(VALS(0, 5, 5, 1, 2, 3, 4, 0), SHAPE(4, 2), 2, CT_FLOAT64), CT_INT64, false);
    ct_tensor *gi = ct_cuda(idx);
    CLOSE(ct_gather(g, 1, gi), ct_gather(x, 1, idx), 0);
    CLOSE(ct_gather(ct_t(g), 0, ct_t(gi)), ct_gather(ct_t(x), 0, ct_t(idx)), 0);
    /* duplicate indices accumulate */
    ct_tensor *src = R(SHAPE(4, 2), 2, CT_FLOAT32, 2);
    CLOSE(ct_scatter_add(g, 1, gi, ct_cuda(src)), ct_scatter_add(x, 1, idx, src), 1e-6);
    ct_tensor *srcd = R(SHAPE(4, 2), 2, CT_FLOAT64, 3);
    ct_tensor *xd = ct_to_dtype(x, CT_FLOAT64, false);
    CLOSE(ct_scatter(ct_cuda(xd), 1, ct_cuda(ct_slice(idx, 1, 0, 1, 1)), ct_cuda(ct_slice(srcd, 1, 0, 1, 1))),
          ct_scatter(xd, 1, ct_slice(idx, 1, 0, 1, 1), ct_slice(srcd, 1, 0, 1, 1)), 0);
    ct_tensor *bad = ct_cuda(ct_full_int(SHAPE(4, 1), 2, 6, CT_INT64));
    CHECK_ERR(ct_gather(g, 1, bad), "out of bounds");
    ct_tensor *m = ct_gt_scalar(x, 0.2);
    CLOSE(ct_masked_fill(g, ct_cuda(m), -7), ct_masked_fill(x, m, -7), 0);
}

TEST(cuda_nn, cross_entropy_forward_and_backward) {
    if (!gpu()) return;
    ct_tensor *logits = ct_mul_scalar(R(SHAPE(6, 5), 2, CT_FLOAT64, 1), 3);
    ct_tensor *t = ct_to_dtype(tt_tensor(VALS(0, 4, 2, 2, 1, 3), SHAPE(6), 1, CT_FLOAT64), CT_INT64, false);
    ct_tensor *gl = ct_cuda(logits), *gt = ct_cuda(t), *cl = ct_clone(logits);
    ct_set_requires_grad(gl, true);
    ct_set_requires_grad(cl, true);
    ct_tensor *lg = ct_cross_entropy(gl, gt, NULL, 2 /* ignore_index */, CT_REDUCTION_MEAN, 0);
    ct_tensor *lc = ct_cross_entropy(cl, t, NULL, 2, CT_REDUCTION_MEAN, 0);
    CLOSE(lg, lc, 1e-12);
    CHECK(ct_backward(lg, NULL, false, false, NULL, 0) == 0);
    CHECK(ct_backward(lc, NULL, false, false, NULL, 0) == 0);
    CLOSE(ct_tensor_grad(gl), ct_tensor_grad(cl), 1e-12);
    CHECK_ERR(ct_cross_entropy(gl, ct_cuda(ct_full_int(SHAPE(6), 1, 9, CT_INT64)), NULL, -100,
                               CT_REDUCTION_MEAN, 0),
              "out of bounds");
}

/* ---------------------------------------------------------------- random */
/* Philox draws on the GPU: reproducible after ct_manual_seed, in range,
 * with the moments of their distribution (65536 draws: 5 sigma bounds). */
TEST(cuda_random, philox_uniform_normal_bernoulli_dropout) {
    if (!gpu()) return;
    int64_t n = 65536;
    ct_tensor *u = ct_empty_device(&n, 1, CT_FLOAT32, (ct_device){CT_CUDA, -1});
    CHECK_OK(u);
    ct_manual_seed(7);
    CHECK_OK(ct_uniform_(u, -1, 3, NULL));
    ct_tensor *u1 = ct_cpu(u);
    ct_manual_seed(7);
    CHECK_OK(ct_uniform_(u, -1, 3, NULL));
    CLOSE(u, u1, 0); /* the same seed gives the same values */
    CHECK(ct_item_at(ct_amin(u, NULL, 0, false), 0) >= -1 && ct_item_at(ct_amax(u, NULL, 0, false), 0) < 3);
    double mu = ct_item_at(ct_mean(u), 0);
    CHECK(fabs(mu - 1) < 5 * 4 / sqrt(12.0 * (double)n));
    ct_tensor *z = ct_empty_device(&n, 1, CT_FLOAT64, (ct_device){CT_CUDA, -1});
    CHECK_OK(ct_normal_(ct_transpose(ct_view(z, SHAPE(256, 256), 2), 0, 1), 2, 0.5, NULL)); /* non-contiguous */
    CHECK(fabs(ct_item_at(ct_mean(z), 0) - 2) < 5 * 0.5 / sqrt((double)n));
    CHECK(fabs(ct_item_at(ct_std(z, NULL, 0, 1, false), 0) - 0.5) < 0.02);
    ct_tensor *b = ct_bernoulli_p(z, 0.25, NULL);
    CHECK_OK(b);
    CHECK(b->storage->device.type == CT_CUDA);
    CHECK(fabs(ct_item_at(ct_mean(b), 0) - 0.25) < 5 * sqrt(0.25 * 0.75 / (double)n));
    ct_tensor *d = ct_dropout(ct_ones_like(z, CT_DTYPE_DEFAULT), 0.5, true, NULL);
    CHECK_OK(d);
    CHECK(fabs(ct_item_at(ct_mean(d), 0) - 1) < 5 * 1.0 / sqrt((double)n));
}
