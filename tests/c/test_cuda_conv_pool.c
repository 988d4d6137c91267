/* The convolutions (cuDNN), poolings and resamplings (src/cuda/pool.cu) on
 * the GPU against the CPU: each op runs on both devices from the same
 * inputs, and the result and the gradients (autograd of sum(y * r), r
 * random) must agree: odd sizes, padding, ceil_mode, dilation, groups,
 * strided (non-contiguous) inputs, float32 and float64, NaNs, and the
 * error paths. Without a GPU every test counts itself as skipped; without
 * cuDNN (an emulated GPU) the convolution cases count as skipped. */
#define CUDA_TEST_GROUP "cuda conv/pool"
#include "cuda_check.h"

#include "ctorch/nn.h"
#include "ctorch/nn_conv.h"
#include "ctorch/nn_embpool.h"
#include "ctorch/nn_extra.h"
#include "ctorch/nn_pool2.h"

/* One op under test: f(in, ctx) on whatever device in[] is on. */
typedef ct_tensor *(*op_fn)(ct_tensor *const *in, const void *ctx);

/* true when the last error says cuDNN cannot be loaded (counted as skipped) */
static bool no_cudnn(void) {
    if (!strstr(ct_last_error(), "cannot be loaded")) return false;
    skipped++;
    return true;
}

static bool is_float(const ct_tensor *t) { return t->dtype == CT_FLOAT32 || t->dtype == CT_FLOAT64; }

/* y and the gradients of sum(y * r) w.r.t. in[0..n) (those of dtype
 * float), on the GPU (gpu) or the CPU; r from seed 99 on the CPU. */
static ct_tensor *forward_backward(op_fn f, const void *ctx, const ct_tensor *const *in, int n,
                                   bool gpu, ct_tensor **grads) {
    ct_tensor *x[4];
    for (int i = 0; i < n; i++) {
        x[i] = gpu ? ct_cuda(in[i]) : ct_clone(in[i]);
        if (!x[i]) return NULL;
        if (is_float(x[i]) && ct_set_requires_grad(x[i], true) < 0) return NULL;
        grads[i] = NULL;
    }
    ct_tensor *y = f(x, ctx);
    if (!y) return NULL;
    ct_tensor *r = tt_rand(y->sizes, y->ndim, y->dtype, -1, 1, 99);
    ct_tensor *loss = ct_sum(ct_mul(y, gpu ? ct_cuda(r) : r));
    if (!loss || ct_backward(loss, NULL, false, false, NULL, 0) < 0) return NULL;
    for (int i = 0; i < n; i++)
        if (is_float(x[i]) && !(grads[i] = ct_tensor_grad(x[i]))) return NULL;
    return y;
}

/* f on the GPU against f on the CPU: the result and every gradient within
 * tol (relative). false after reporting a failure. */
static bool same_on_gpu(const char *what, int line, op_fn f, const void *ctx,
                        const ct_tensor *const *in, int n, double tol, bool conv) {
    ct_tensor *gc[4], *gg[4];
    ct_tensor *yc = forward_backward(f, ctx, in, n, false, gc);
    if (!yc) {
        ct_test_fail(__FILE__, line, "%s on the CPU failed: %s", what, ct_last_error());
        return false;
    }
    ct_tensor *yg = forward_backward(f, ctx, in, n, true, gg);
    if (!yg && conv && no_cudnn()) return true;
    double d = gpu_cpu_diff(yg, yc, true);
    for (int i = 0; yg && i < n && d <= tol; i++)
        if (gc[i]) d = gpu_cpu_diff(gg[i], gc[i], true);
    if (!(d <= tol)) {
        ct_test_fail(__FILE__, line, "%s: GPU and CPU differ by %g (error: %s)", what, d,
                     ct_last_error());
        return false;
    }
    return true;
}

#define SAME(what, f, ctx, in, n, tol, conv)                                         \
    do {                                                                             \
        if (!same_on_gpu(what, __LINE__, f, ctx, in, n, tol, conv)) return;          \
    } while (0)

static double tol_of(ct_dtype dt) { return dt == CT_FLOAT32 ? 2e-5 : 1e-12; }

static const ct_dtype DTS[2] = {CT_FLOAT32, CT_FLOAT64};

/* ---------------------------------------------------------------- convolutions */
typedef struct conv_case {
    int64_t s[3], p[3], d[3], op[3], groups;
    bool bias, strided; /* strided: x read with a step of 2 along its last dim */
    const char *mode;   /* conv3d padding "same"/"valid", or NULL */
} conv_case;

static ct_tensor *strided_last(ct_tensor *x, bool on) {
    return on ? ct_slice(x, x->ndim - 1, 0, x->sizes[x->ndim - 1], 2) : x;
}

static ct_tensor *conv3d_op(ct_tensor *const *in, const void *ctx) {
    const conv_case *c = ctx;
    ct_tensor *x = strided_last(in[0], c->strided);
    if (c->mode) return ct_conv3d_mode(x, in[1], c->bias ? in[2] : NULL, c->s, c->mode, c->d, c->groups);
    return ct_conv3d(x, in[1], c->bias ? in[2] : NULL, c->s, c->p, c->d, c->groups);
}

TEST(cuda_conv3d, forward_and_gradients_against_cpu) {
    if (!gpu()) return;
    const conv_case cases[] = {
        {{1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0}, 1, true, false, NULL},
        {{2, 1, 3}, {1, 0, 2}, {1, 2, 1}, {0}, 2, true, false, NULL},
        {{1, 2, 1}, {0, 1, 1}, {2, 1, 1}, {0}, 1, false, true, NULL},
        {{1, 1, 1}, {0}, {1, 1, 2}, {0}, 1, true, false, "same"},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 4; c++) {
            int64_t W = cases[c].strided ? 14 : 7, G = cases[c].groups;
            const ct_tensor *in[3] = {tt_rand(SHAPE(2, 4, 5, 6, W), 5, DTS[k], -1, 1, 1 + c),
                                      tt_rand(SHAPE(6, 4 / G, 2, 3, 2), 5, DTS[k], -1, 1, 2 + c),
                                      tt_rand(SHAPE(6), 1, DTS[k], -1, 1, 3 + c)};
            SAME("conv3d", conv3d_op, &cases[c], in, cases[c].bias ? 3 : 2, tol_of(DTS[k]), true);
        }
    /* an unbatched input */
    conv_case c = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}, 1, false, false, NULL};
    const ct_tensor *in[2] = {tt_rand(SHAPE(3, 4, 4, 4), 4, CT_FLOAT64, -1, 1, 9),
                              tt_rand(SHAPE(2, 3, 3, 3, 3), 5, CT_FLOAT64, -1, 1, 10)};
    SAME("conv3d unbatched", conv3d_op, &c, in, 2, 1e-12, true);
}

static ct_tensor *conv3d_grads_op(ct_tensor *const *in, const void *ctx) {
    (void)ctx;
    const int64_t s[3] = {2, 1, 1}, p[3] = {1, 0, 1}, d[3] = {1, 1, 2};
    ct_tensor *gi = ct_conv3d_backward_input(in[0], in[1], SHAPE(5, 4, 6), s, p, d, 2);
    ct_tensor *gw = ct_conv3d_backward_weight(in[0], in[2], SHAPE(3, 2, 2), s, p, d, 2);
    return gi && gw ? ct_add(ct_sum(gi), ct_sum(gw)) : NULL;
}

TEST(cuda_conv3d, gradient_ops_and_their_gradients) {
    if (!gpu()) return;
    /* grad_out [2, 4, 3, 3, 6] of conv3d over [2, 4, 5, 4, 6] with a
     * [4, 2, 3, 2, 2] kernel, stride (2,1,1), padding (1,0,1), dilation (1,1,2) */
    const ct_tensor *in[3] = {tt_rand(SHAPE(2, 4, 3, 3, 6), 5, CT_FLOAT64, -1, 1, 1),
                              tt_rand(SHAPE(4, 2, 3, 2, 2), 5, CT_FLOAT64, -1, 1, 2),
                              tt_rand(SHAPE(2, 4, 5, 4, 6), 5, CT_FLOAT64, -1, 1, 3)};
    SAME("conv3d_backward_input/_weight", conv3d_grads_op, NULL, in, 3, 1e-11, true);
}

static ct_tensor *convt_op(ct_tensor *const *in, const void *ctx) {
    const conv_case *c = ctx;
    ct_tensor *x = strided_last(in[0], c->strided), *b = c->bias ? in[2] : NULL;
    if (x->ndim == 3)
        return ct_conv_transpose1d(x, in[1], b, c->s[0], c->p[0], c->op[0], c->groups, c->d[0]);
    return ct_conv_transpose2d(x, in[1], b, c->s, c->p, c->op, c->groups, c->d);
}

TEST(cuda_conv_transpose, one_and_two_d_against_cpu) {
    if (!gpu()) return;
    /* output_padding 2 >= stride 1 (below dilation 3): zero rows on the GPU */
    const conv_case cases[] = {
        {{2, 3}, {1, 0}, {1, 1}, {1, 2}, 2, true, false, NULL},
        {{1, 2}, {0, 1}, {3, 1}, {2, 1}, 1, false, true, NULL},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++) {
            int64_t W = cases[c].strided ? 10 : 5;
            const ct_tensor *in[3] = {tt_rand(SHAPE(2, 4, 6, W), 4, DTS[k], -1, 1, 1 + c),
                                      tt_rand(SHAPE(4, 3, 3, 2), 4, DTS[k], -1, 1, 2 + c),
                                      tt_rand(SHAPE(6 / (3 - cases[c].groups)), 1, DTS[k], -1, 1, 3)};
            int nin = cases[c].bias ? 3 : 2; /* an unused bias gets no gradient */
            SAME("conv_transpose2d", convt_op, &cases[c], in, nin, tol_of(DTS[k]), true);
            const ct_tensor *in1[3] = {tt_rand(SHAPE(2, 4, W), 3, DTS[k], -1, 1, 4 + c),
                                       tt_rand(SHAPE(4, 3, 3), 3, DTS[k], -1, 1, 5 + c), in[2]};
            conv_case c1 = cases[c];
            c1.s[0] = c1.s[1], c1.p[0] = c1.p[1], c1.d[0] = c1.d[1], c1.op[0] = c1.op[1];
            if (c1.op[0] >= c1.s[0] && c1.op[0] >= c1.d[0]) c1.op[0] = 0;
            SAME("conv_transpose1d", convt_op, &c1, in1, nin, tol_of(DTS[k]), true);
        }
}

static ct_tensor *conv2d_same_op(ct_tensor *const *in, const void *ctx) {
    (void)ctx;
    return ct_conv2d_mode(in[0], in[1], NULL, NULL, "same", SHAPE(1, 2), 1);
}

TEST(cuda_conv2d, asymmetric_same_padding_and_device_errors) {
    if (!gpu()) return;
    const ct_tensor *in[2] = {tt_rand(SHAPE(1, 2, 5, 6), 4, CT_FLOAT32, -1, 1, 1),
                              tt_rand(SHAPE(3, 2, 2, 4), 4, CT_FLOAT32, -1, 1, 2)};
    SAME("conv2d same", conv2d_same_op, NULL, in, 2, 2e-5, true);
    ct_tensor *x = ct_cuda(tt_rand(SHAPE(1, 2, 3, 3, 3), 5, CT_FLOAT32, -1, 1, 3));
    ct_tensor *w = tt_rand(SHAPE(2, 2, 2, 2, 2), 5, CT_FLOAT32, -1, 1, 4);
    CHECK_ERR(ct_conv3d(x, w, NULL, NULL, NULL, NULL, 1), "same device");
    CHECK_ERR(ct_conv3d(x, ct_cuda(ct_to_dtype(w, CT_FLOAT64, false)), NULL, NULL, NULL, NULL, 1),
              "expected scalar type Float but found Double");
}

/* ---------------------------------------------------------------- poolings */
typedef struct pool_case {
    int64_t k[2], s[2], p[2], d[2];
    bool ceil, cip, strided;
    int64_t divisor;
} pool_case;

static ct_tensor *max2d_op(ct_tensor *const *in, const void *ctx) {
    const pool_case *c = ctx;
    ct_tensor *idx = NULL;
    ct_tensor *y = ct_max_pool2d(strided_last(in[0], c->strided), c->k, c->s, c->p, c->d, c->ceil, &idx);
    /* the indices must agree exactly too: fold them into the result */
    return y ? ct_add(y, ct_mul_scalar(ct_to_dtype(idx, y->dtype, false), 1000)) : NULL;
}

static ct_tensor *avg2d_op(ct_tensor *const *in, const void *ctx) {
    const pool_case *c = ctx;
    return ct_avg_pool2d(strided_last(in[0], c->strided), c->k, c->s, c->p, c->ceil, c->cip, c->divisor);
}

TEST(cuda_pool2d, max_and_avg_against_cpu) {
    if (!gpu()) return;
    const pool_case cases[] = {
        {{2, 2}, {2, 2}, {0, 0}, {1, 1}, false, true, false, 0},
        {{3, 2}, {2, 1}, {1, 1}, {1, 2}, true, false, false, 0},
        {{3, 3}, {2, 2}, {1, 0}, {2, 1}, true, true, true, 0},
        {{2, 3}, {3, 2}, {1, 1}, {1, 1}, true, false, false, 5},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 4; c++) {
            int64_t W = cases[c].strided ? 18 : 9;
            const ct_tensor *in[1] = {tt_rand(SHAPE(2, 3, 7, W), 4, DTS[k], -1, 1, 1 + c)};
            pool_case m = cases[c];
            SAME("max_pool2d", max2d_op, &m, in, 1, tol_of(DTS[k]), false);
            m.d[0] = m.d[1] = 1;
            SAME("avg_pool2d", avg2d_op, &m, in, 1, tol_of(DTS[k]), false);
        }
    /* unbatched, and a NaN that must win its window */
    ct_tensor *x = tt_rand(SHAPE(2, 5, 5), 3, CT_FLOAT64, -1, 1, 7);
    ((double *)ct_data_ptr(x))[7] = NAN;
    pool_case m = {{3, 3}, {2, 2}, {1, 1}, {1, 1}, false, true, false, 0};
    SAME("max_pool2d NaN", max2d_op, &m, (const ct_tensor *const[]){x}, 1, 0, false);
}

static ct_tensor *adaptive_op(ct_tensor *const *in, const void *ctx) {
    const int64_t *o = ctx;
    ct_tensor *idx = NULL, *m = ct_adaptive_max_pool2d(in[0], o, &idx);
    ct_tensor *m1 = ct_adaptive_max_pool1d(ct_flatten(in[0], 2, 3), o[0] * o[1], NULL);
    ct_tensor *a = ct_adaptive_avg_pool2d(in[0], o);
    ct_tensor *a1 = ct_adaptive_avg_pool1d(ct_flatten(in[0], 2, 3), o[1]);
    if (!m || !m1 || !a || !a1 || !idx) return NULL;
    ct_tensor *parts = ct_add(ct_add(ct_sum(ct_mul(m, a)), ct_sum(m1)), ct_sum(ct_mul(a1, a1)));
    return parts ? ct_add(parts, ct_sum(ct_to_dtype(idx, m->dtype, false))) : NULL;
}

TEST(cuda_pool2d, adaptive_max_and_avg_against_cpu) {
    if (!gpu()) return;
    const int64_t outs[3][2] = {{3, 4}, {5, 7}, {1, 1}};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++) {
            const ct_tensor *in[1] = {tt_rand(SHAPE(2, 3, 5, 7), 4, DTS[k], -1, 1, 1 + c)};
            SAME("adaptive pools", adaptive_op, outs[c], in, 1, tol_of(DTS[k]) * 10, false);
        }
}

static ct_tensor *pool1d_op(ct_tensor *const *in, const void *ctx) {
    const pool_case *c = ctx;
    ct_tensor *x = strided_last(in[0], c->strided), *idx = NULL;
    ct_tensor *m = ct_max_pool1d(x, c->k[0], c->s[0], c->p[0], c->d[0], c->ceil, &idx);
    ct_tensor *a = ct_avg_pool1d(x, c->k[0], c->s[0], c->p[0], c->ceil, c->cip);
    if (!m || !a || !idx) return NULL;
    return ct_add(ct_add(ct_sum(ct_mul(m, m)), ct_sum(a)), ct_sum(ct_to_dtype(idx, m->dtype, false)));
}

static ct_tensor *pool1d_bwd_op(ct_tensor *const *in, const void *ctx) {
    const pool_case *c = ctx;
    ct_tensor *a = ct_avg_pool1d_backward(in[0], 11, c->k[0], c->s[0], c->p[0], c->ceil, c->cip);
    ct_tensor *b = ct_adaptive_avg_pool1d_backward(in[0], 11);
    return a && b ? ct_add(ct_sum(ct_mul(a, a)), ct_sum(ct_mul(b, a))) : NULL;
}

TEST(cuda_pool1d, max_avg_and_gradient_ops_against_cpu) {
    if (!gpu()) return;
    const pool_case cases[] = {
        {{3}, {2}, {1}, {1}, false, true, false, 0},
        {{4}, {3}, {2}, {2}, true, false, true, 0},
        {{3}, {3}, {1}, {1}, true, true, false, 0},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++) {
            int64_t L = cases[c].strided ? 22 : 11;
            const ct_tensor *in[1] = {tt_rand(SHAPE(3, 2, L), 3, DTS[k], -1, 1, 1 + c)};
            SAME("max/avg_pool1d", pool1d_op, &cases[c], in, 1, tol_of(DTS[k]), false);
            int64_t OL = (11 + 2 * cases[c].p[0] - cases[c].k[0] + (cases[c].ceil ? cases[c].s[0] - 1 : 0)) /
                             cases[c].s[0] + 1;
            if (cases[c].ceil && (OL - 1) * cases[c].s[0] >= 11 + cases[c].p[0]) OL--;
            const ct_tensor *g[1] = {tt_rand(SHAPE(3, 2, OL), 3, DTS[k], -1, 1, 5 + c)};
            SAME("avg_pool1d_backward", pool1d_bwd_op, &cases[c], g, 1, tol_of(DTS[k]), false);
        }
}

TEST(cuda_pool2d, max_pool2d_backward_and_errors) {
    if (!gpu()) return;
    ct_tensor *g = tt_rand(SHAPE(2, 3, 3), 3, CT_FLOAT64, -1, 1, 1);
    /* colliding indices accumulate */
    ct_tensor *i = ct_to_dtype(tt_tensor(VALS(0, 0, 5, 19, 19, 19, 3, 4, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0),
                                         SHAPE(2, 3, 3), 3, CT_FLOAT64),
                               CT_INT64, false);
    CLOSE_GPU(ct_max_pool2d_backward(ct_cuda(g), ct_cuda(i), SHAPE(4, 5)),
              ct_max_pool2d_backward(g, i, SHAPE(4, 5)), 1e-12, true);
    ct_tensor *bad = ct_to_dtype(tt_tensor(VALS(0, 20), SHAPE(1, 1, 2), 3, CT_FLOAT64), CT_INT64, false);
    CHECK_ERR(ct_max_pool2d_backward(ct_cuda(tt_rand(SHAPE(1, 1, 2), 3, CT_FLOAT32, -1, 1, 2)),
                                     ct_cuda(bad), SHAPE(4, 5)),
              "out of range");
    CHECK_ERR(ct_max_pool2d_backward(ct_cuda(g), i, SHAPE(4, 5)), "same device");
    CHECK_ERR(ct_avg_pool1d(ct_cuda(ct_ones(SHAPE(1, 4), 2, CT_INT64)), 2, 2, 0, false, true),
              "not implemented for 'Long'");
    CHECK_ERR(ct_max_pool2d(ct_cuda(g), SHAPE(4, 4), NULL, NULL, NULL, false, NULL),
              "Output size is too small");
}

/* ---------------------------------------------------------------- resampling */
typedef struct up_case {
    int k;
    int64_t out[3];
    double scales[3];
    bool linear, align, with_scales;
} up_case;

static ct_tensor *upsample_op(ct_tensor *const *in, const void *ctx) {
    const up_case *c = ctx;
    const double *sc = c->with_scales ? c->scales : NULL;
    if (c->linear) return ct_upsample_bilinear2d(in[0], c->out, c->align, sc);
    if (c->k == 1) return ct_upsample_nearest1d(in[0], c->out, sc);
    if (c->k == 2) return ct_upsample_nearest2d(in[0], c->out, sc);
    return ct_upsample_nearest3d(in[0], c->out, sc);
}

TEST(cuda_upsample, nearest_and_bilinear_against_cpu) {
    if (!gpu()) return;
    const up_case cases[] = {
        {1, {13}, {2.7}, false, false, true},       {2, {7, 10}, {0}, false, false, false},
        {2, {6, 8}, {0}, false, false, false},      {3, {4, 7, 3}, {1.5, 2.5, 0.6}, false, false, true},
        {2, {9, 5}, {0}, true, false, false},       {2, {9, 11}, {0}, true, true, false},
        {2, {2, 3}, {0.5, 0.75}, true, false, true}, {2, {1, 1}, {0}, true, true, false},
    };
    const int64_t shapes[3][5] = {{2, 3, 5}, {2, 3, 3, 5}, {1, 2, 3, 4, 5}};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 8; c++) {
            int r = cases[c].k;
            const ct_tensor *in[1] = {tt_rand(shapes[r - 1], r + 2, DTS[k], -1, 1, 1 + c)};
            SAME("upsample", upsample_op, &cases[c], in, 1, tol_of(DTS[k]) * 10, false);
        }
    /* uint8 nearest, a strided input */
    ct_tensor *u = ct_to_dtype(tt_rand(SHAPE(1, 2, 4, 6), 4, CT_FLOAT64, 0, 250, 3), CT_UINT8, false);
    ct_tensor *uv = ct_transpose(u, 2, 3);
    CLOSE_GPU(ct_upsample_nearest2d(ct_transpose(ct_cuda(u), 2, 3), SHAPE(9, 5), NULL),
              ct_upsample_nearest2d(uv, SHAPE(9, 5), NULL), 0, true);
    ct_tensor *g = ct_cuda(tt_rand(SHAPE(2, 3, 9, 5), 4, CT_FLOAT32, -1, 1, 4));
    CHECK_ERR(ct_upsample_bilinear2d_backward(g, SHAPE(2, 4, 3, 5), false, NULL), "batch and channel");
}
