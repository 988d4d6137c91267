/* The nn ops' GPU paths (src/cuda/nn.c, nn.cu and the GPU branches of
 * src/nn) against the CPU result, values and gradients: logsumexp,
 * one_hot, max_unpool2d, gaussian_nll / multi_margin / multilabel_margin
 * losses, trunc_normal_, embedding (padding_idx, scale_grad_by_freq,
 * max_norm), embedding_bag (sum / mean / max, offsets, per-sample weights),
 * ctc_loss, the recurrent layers and feature dropout. Without a GPU each
 * test counts itself as skipped (`make test-cuda` runs them on a GPU). */
#define CUDA_TEST_GROUP "cuda nn"
#include "cuda_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ctc.h"
#include "ctorch/module.h"
#include "ctorch/nn_embpool.h"
#include "ctorch/nn_extra.h"
#include "ctorch/rnn.h"

#define CLOSE(g, c, tol) CLOSE_GPU(g, c, tol, true)

static const ct_dtype FDT[] = {CT_FLOAT32, CT_FLOAT64};
static double ftol(ct_dtype dt) { return dt == CT_FLOAT32 ? 2e-5 : 1e-11; }

/* a leaf copy of x requiring grad, on the GPU or the CPU */
static ct_tensor *leaf(const ct_tensor *x, bool on_gpu) {
    ct_tensor *t = on_gpu ? ct_cuda(x) : ct_clone(x);
    if (t) ct_set_requires_grad(t, true);
    return t;
}

/* backward of sum(y * up) with a fixed random up (on y's device): 0 or -1 */
static int backprop(const ct_tensor *y, unsigned seed) {
    if (!y) return -1;
    ct_tensor *up = tt_rand(y->sizes, y->ndim, y->dtype, -1, 1, seed);
    if (up && y->storage->device.type == CT_CUDA) up = ct_cuda(up);
    ct_tensor *s = up ? ct_sum(ct_mul(y, up)) : NULL;
    return s ? ct_backward(s, NULL, false, false, NULL, 0) : -1;
}

TEST(cuda_nn_logsumexp, values_grads_layouts) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        ct_tensor *x = tt_rand(SHAPE(5, 7, 33), 3, dt, -30, 30, 1);
        ct_tensor *g = ct_cuda(x);
        CLOSE(ct_logsumexp(g, (const int[]){2}, 1, false), ct_logsumexp(x, (const int[]){2}, 1, false), ftol(dt));
        CLOSE(ct_logsumexp(g, (const int[]){0, 2}, 2, true), ct_logsumexp(x, (const int[]){0, 2}, 2, true),
              ftol(dt));
        CLOSE(ct_logsumexp(g, (const int[]){-2}, 1, false), ct_logsumexp(x, (const int[]){-2}, 1, false), ftol(dt));
        /* non-contiguous: transposed and stepped */
        ct_tensor *xt = ct_slice(ct_transpose(x, 0, 2), 0, 1, 33, 3), *gt = ct_slice(ct_transpose(g, 0, 2), 0, 1, 33, 3);
        CLOSE(ct_logsumexp(gt, (const int[]){1}, 1, false), ct_logsumexp(xt, (const int[]){1}, 1, false), ftol(dt));
        /* -inf rows, +inf, all dims, 0-d, empty */
        ct_tensor *s = tt_tensor(VALS(-INFINITY, -INFINITY, 1, INFINITY, 2, 3), SHAPE(3, 2), 2, dt);
        CLOSE(ct_logsumexp(ct_cuda(s), (const int[]){1}, 1, false), ct_logsumexp(s, (const int[]){1}, 1, false), ftol(dt));
        CLOSE(ct_logsumexp(g, NULL, 0, false), ct_logsumexp(x, NULL, 0, false), ftol(dt));
        ct_tensor *z = ct_select(ct_select(ct_select(x, 0, 1), 0, 2), 0, 3);
        CLOSE(ct_logsumexp(ct_cuda(z), NULL, 0, false), ct_logsumexp(z, NULL, 0, false), ftol(dt));
        ct_tensor *e = ct_empty(SHAPE(4, 0), 2, dt);
        CLOSE(ct_logsumexp(ct_cuda(e), (const int[]){1}, 1, false), ct_logsumexp(e, (const int[]){1}, 1, false), 0);
        /* gradient */
        ct_tensor *lc = leaf(x, false), *lg = leaf(x, true);
        CHECK(backprop(ct_logsumexp(lc, (const int[]){1}, 1, true), 3) == 0);
        CHECK(backprop(ct_logsumexp(lg, (const int[]){1}, 1, true), 3) == 0);
        CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
    }
    /* an integer input gives the default float dtype */
    ct_tensor *i = tt_rand(SHAPE(4, 6), 2, CT_INT64, -5, 5, 4);
    CLOSE(ct_logsumexp(ct_cuda(i), (const int[]){1}, 1, false), ct_logsumexp(i, (const int[]){1}, 1, false), 1e-6);
}

TEST(cuda_nn_one_hot, values_and_errors) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(3, 5), 2, CT_INT64, 0, 7, 5);
    CLOSE(ct_one_hot(ct_cuda(x), -1), ct_one_hot(x, -1), 0);
    CLOSE(ct_one_hot(ct_cuda(x), 9), ct_one_hot(x, 9), 0);
    CLOSE(ct_one_hot(ct_cuda(ct_t(x)), 9), ct_one_hot(ct_t(x), 9), 0);
    ct_tensor *e = ct_empty(SHAPE(0), 1, CT_INT64);
    CLOSE(ct_one_hot(ct_cuda(e), 4), ct_one_hot(e, 4), 0);
    CHECK_ERR(ct_one_hot(ct_cuda(x), 3), "Class values must be smaller than num_classes.");
    CHECK_ERR(ct_one_hot(ct_cuda(tt_tensor(VALS(1, -1), SHAPE(2), 1, CT_INT64)), 3),
              "Class values must be non-negative.");
    CHECK_ERR(ct_one_hot(ct_cuda(e), -1), "Can not infer total number of classes from empty tensor.");
}

TEST(cuda_nn_max_unpool2d, values_grads_errors) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        ct_tensor *x = tt_rand(SHAPE(2, 3, 2, 3), 4, dt, -1, 1, 6);
        /* distinct positions per plane: the first 6 of a permutation of 20 */
        ct_tensor *perm = ct_argsort(tt_rand(SHAPE(2, 3, 20), 3, CT_FLOAT64, 0, 1, 7), 2, false, false);
        ct_tensor *idx = ct_contiguous(ct_reshape(ct_narrow(perm, 2, 0, 6), SHAPE(2, 3, 2, 3), 4));
        CHECK_OK(idx);
        const int64_t osz[2] = {4, 5};
        CLOSE(ct_max_unpool2d(ct_cuda(x), ct_cuda(idx), osz), ct_max_unpool2d(x, idx, osz), 0);
        ct_tensor *lc = leaf(x, false), *lg = leaf(x, true);
        CHECK(backprop(ct_max_unpool2d(lc, idx, osz), 8) == 0);
        CHECK(backprop(ct_max_unpool2d(lg, ct_cuda(idx), osz), 8) == 0);
        CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
        ct_tensor *bad = ct_add(idx, ct_wrapped_int(20));
        CHECK_ERR(ct_max_unpool2d(ct_cuda(x), ct_cuda(bad), osz), "Found an invalid max index");
        CHECK_ERR(ct_max_unpool2d(ct_cuda(x), idx, osz), "same device");
    }
}

TEST(cuda_nn_losses, gaussian_nll_multi_margin_multilabel) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        ct_tensor *x = tt_rand(SHAPE(6, 5), 2, dt, -2, 2, 9), *t = tt_rand(SHAPE(6, 5), 2, dt, -2, 2, 10);
        ct_tensor *v = tt_rand(SHAPE(6, 1), 2, dt, 0.1, 2, 11);
        for (int r = 0; r <= 2; r++) {
            ct_tensor *lc = leaf(x, false), *lg = leaf(x, true), *vc = leaf(v, false), *vg = leaf(v, true);
            ct_tensor *yc = ct_gaussian_nll_loss(lc, t, vc, r == 1, 1e-6, r);
            ct_tensor *yg = ct_gaussian_nll_loss(lg, ct_cuda(t), vg, r == 1, 1e-6, r);
            CLOSE(yg, yc, ftol(dt));
            CHECK(backprop(yc, 12) == 0 && backprop(yg, 12) == 0);
            CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
            CLOSE(ct_tensor_grad(vg), ct_tensor_grad(vc), ftol(dt));
        }
        CHECK_ERR(ct_gaussian_nll_loss(ct_cuda(x), ct_cuda(t), ct_cuda(ct_neg(v)), false, 1e-6, 1),
                  "var has negative entry/entries");
        ct_tensor *y = tt_rand(SHAPE(6), 1, CT_INT64, 0, 5, 13), *w = tt_rand(SHAPE(5), 1, dt, 0.5, 1.5, 14);
        for (int p = 1; p <= 2; p++) {
            ct_tensor *lc = leaf(x, false), *lg = leaf(x, true);
            ct_tensor *yc = ct_multi_margin_loss(lc, y, p, 0.7, w, 0);
            ct_tensor *yg = ct_multi_margin_loss(lg, ct_cuda(y), p, 0.7, ct_cuda(w), 0);
            CLOSE(yg, yc, ftol(dt));
            CHECK(backprop(yc, 15) == 0 && backprop(yg, 15) == 0);
            CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
        }
        CHECK_ERR(ct_multi_margin_loss(ct_cuda(x), ct_cuda(ct_add(y, ct_wrapped_int(5))), 1, 1, NULL, 1),
                  "target out of range");
        CHECK_ERR(ct_multi_margin_loss(ct_cuda(x), y, 1, 1, NULL, 1), "same device");
        ct_tensor *ml = tt_tensor(VALS(3, 0, -1, 1, 0, 4, 1, 2, 3, -1, 2, 2, 2, 2, 2, -1, 0, 0, 0, 0, 1, 2, 3, 4, 0,
                                       4, -1, 0, 0, 0),
                                  SHAPE(6, 5), 2, CT_INT64);
        for (int r = 0; r <= 2; r++) {
            ct_tensor *lc = leaf(x, false), *lg = leaf(x, true);
            ct_tensor *yc = ct_multilabel_margin_loss(lc, ml, r), *yg = ct_multilabel_margin_loss(lg, ct_cuda(ml), r);
            CLOSE(yg, yc, ftol(dt));
            CHECK(backprop(yc, 16) == 0 && backprop(yg, 16) == 0);
            CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
        }
    }
}

TEST(cuda_nn_trunc_normal, range_and_moments) {
    if (!gpu()) return;
    for (int k = 0; k < 3; k++) {
        ct_dtype dt = k == 2 ? CT_FLOAT16 : FDT[k];
        ct_tensor *t = ct_empty_device(SHAPE(200, 100), 2, dt, (ct_device){CT_CUDA, -1});
        CHECK_OK(t);
        ct_manual_seed(3);
        CHECK_OK(ct_init_trunc_normal_(t, 0.5, 2.0, -1.0, 3.0, NULL));
        ct_tensor *h = ct_to_dtype(ct_cpu(t), CT_FLOAT64, false);
        double *v = tt_values(h), lo = 1e9, hi = -1e9, m = 0;
        for (int64_t i = 0; i < h->numel; i++) {
            lo = v[i] < lo ? v[i] : lo, hi = v[i] > hi ? v[i] : hi;
            m += v[i] / (double)h->numel;
        }
        free(v);
        CHECK(lo >= -1.0 && hi <= 3.0 && lo < -0.95 && hi > 2.95);
        /* the mean of N(0.5, 2) truncated to [-1, 3]: 0.5 + 2 (phi(-0.75) - phi(1.25)) / (Phi(1.25) - Phi(-0.75)) */
        double a = -0.75, b = 1.25, pa = exp(-a * a / 2) / sqrt(2 * M_PI), pb = exp(-b * b / 2) / sqrt(2 * M_PI);
        double Z = 0.5 * (erf(b / sqrt(2)) - erf(a / sqrt(2)));
        CHECK(fabs(m - (0.5 + 2 * (pa - pb) / Z)) < 0.03);
        /* same seed, same draws; a strided view is filled in place */
        ct_tensor *t2 = ct_empty_device(SHAPE(200, 100), 2, dt, (ct_device){CT_CUDA, -1});
        ct_manual_seed(3);
        CHECK_OK(ct_init_trunc_normal_(t2, 0.5, 2.0, -1.0, 3.0, NULL));
        CLOSE(t2, ct_cpu(t), 0);
        ct_tensor *tt = ct_t(ct_empty_device(SHAPE(50, 40), 2, dt, (ct_device){CT_CUDA, -1}));
        CHECK_OK(ct_init_trunc_normal_(tt, 0, 1, -2, 2, NULL));
        ct_tensor *mx = ct_cpu(ct_amax(ct_abs(tt), NULL, 0, false));
        CHECK(ct_item_at(mx, 0) <= 2.0);
    }
}

TEST(cuda_nn_embedding, forward_backward_options) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        ct_tensor *w = tt_rand(SHAPE(20, 6), 2, dt, -1, 1, 20);
        ct_tensor *ids = tt_rand(SHAPE(7, 9), 2, CT_INT64, 0, 20, 21);
        ct_tensor *ids32 = ct_to_dtype(ct_t(ids), CT_INT32, false);
        for (int opt = 0; opt < 4; opt++) {
            int64_t pad = opt & 1 ? 3 : CT_NO_PADDING_IDX;
            bool freq = opt & 2;
            const ct_tensor *ix = opt == 3 ? ids32 : ids;
            ct_tensor *lc = leaf(w, false), *lg = leaf(w, true);
            ct_tensor *yc = ct_embedding_ex(lc, ix, pad, NAN, 2, freq, false);
            ct_tensor *yg = ct_embedding_ex(lg, ct_cuda(ix), pad, NAN, 2, freq, false);
            CLOSE(yg, yc, 0);
            CHECK(backprop(yc, 22) == 0 && backprop(yg, 22) == 0);
            CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
        }
        /* a transposed (non-contiguous) weight */
        ct_tensor *wt = ct_t(tt_rand(SHAPE(6, 20), 2, dt, -1, 1, 23));
        CLOSE(ct_embedding(ct_cuda(wt), ct_cuda(ids), -1), ct_embedding(wt, ids, -1), 0);
        /* max_norm renorms the weight in place */
        for (int p = 0; p < 3; p++) {
            double nt = p == 0 ? 2 : p == 1 ? 1 : INFINITY;
            ct_tensor *wc = ct_clone(w), *wg = ct_cuda(w);
            ct_tensor *yc = ct_embedding_ex(wc, ids, CT_NO_PADDING_IDX, 0.8, nt, false, false);
            ct_tensor *yg = ct_embedding_ex(wg, ct_cuda(ids), CT_NO_PADDING_IDX, 0.8, nt, false, false);
            CLOSE(yg, yc, ftol(dt));
            CLOSE(wg, wc, ftol(dt));
        }
        /* the dense backward directly */
        ct_tensor *gr = tt_rand(SHAPE(7, 9, 6), 3, dt, -1, 1, 24);
        CLOSE(ct_embedding_dense_backward(ct_cuda(gr), ct_cuda(ids), 20, 5, true),
              ct_embedding_dense_backward(gr, ids, 20, 5, true), ftol(dt));
        CHECK_ERR(ct_embedding(ct_cuda(w), ct_cuda(ct_add(ids, ct_wrapped_int(20))), -1), "index out of range in self");
        CHECK_ERR(ct_embedding_dense_backward(ct_cuda(gr), ct_cuda(ct_add(ids, ct_wrapped_int(20))), 20, -1, false),
                  "index out of range in self");
        CHECK_ERR(ct_embedding(ct_cuda(w), ids, -1), "same device");
    }
}

TEST(cuda_nn_embedding_bag, modes_offsets_weights) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        ct_tensor *w = tt_rand(SHAPE(15, 5), 2, dt, -1, 1, 30);
        ct_tensor *ids = tt_rand(SHAPE(17), 1, CT_INT64, 0, 15, 31);
        ct_tensor *off = tt_tensor(VALS(0, 3, 3, 9, 12), SHAPE(5), 1, CT_INT64);
        ct_tensor *psw = tt_rand(SHAPE(17), 1, dt, 0, 2, 32);
        for (int mode = 0; mode < 3; mode++)
            for (int opt = 0; opt < 4; opt++) {
                int64_t pad = opt & 1 ? 4 : CT_NO_PADDING_IDX;
                bool last = opt & 2, use_psw = mode == CT_BAG_SUM && opt == 2;
                ct_tensor *lc = leaf(w, false), *lg = leaf(w, true);
                ct_tensor *pc = use_psw ? leaf(psw, false) : NULL, *pg = use_psw ? leaf(psw, true) : NULL;
                ct_tensor *mic = NULL, *mig = NULL;
                ct_tensor *yc = ct_embedding_bag(lc, ids, off, mode, pc, last, pad, NAN, 2, false, false, &mic);
                ct_tensor *yg = ct_embedding_bag(lg, ct_cuda(ids), ct_cuda(off), mode, pg, last, pad, NAN, 2, false,
                                                 false, &mig);
                CLOSE(yg, yc, ftol(dt));
                if (mode == CT_BAG_MAX) CLOSE(mig, mic, 0);
                CHECK(backprop(yc, 33) == 0 && backprop(yg, 33) == 0);
                CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
                if (use_psw) CLOSE(ct_tensor_grad(pg), ct_tensor_grad(pc), ftol(dt));
            }
        /* 2-d input (bags of equal length), int32, mean with frequency scaling */
        ct_tensor *ids2 = ct_to_dtype(tt_rand(SHAPE(4, 6), 2, CT_INT64, 0, 15, 34), CT_INT32, false);
        ct_tensor *lc = leaf(w, false), *lg = leaf(w, true);
        ct_tensor *yc = ct_embedding_bag(lc, ids2, NULL, CT_BAG_MEAN, NULL, false, 2, NAN, 2, true, false, NULL);
        ct_tensor *yg = ct_embedding_bag(lg, ct_cuda(ids2), NULL, CT_BAG_MEAN, NULL, false, 2, NAN, 2, true, false,
                                         NULL);
        CLOSE(yg, yc, ftol(dt));
        CHECK(backprop(yc, 35) == 0 && backprop(yg, 35) == 0);
        CLOSE(ct_tensor_grad(lg), ct_tensor_grad(lc), ftol(dt));
        /* max_norm */
        ct_tensor *wc = ct_clone(w), *wg = ct_cuda(w);
        CLOSE(ct_embedding_bag(wg, ct_cuda(ids), ct_cuda(off), CT_BAG_SUM, NULL, false, CT_NO_PADDING_IDX, 0.5, 2,
                               false, false, NULL),
              ct_embedding_bag(wc, ids, off, CT_BAG_SUM, NULL, false, CT_NO_PADDING_IDX, 0.5, 2, false, false, NULL),
              ftol(dt));
        CLOSE(wg, wc, ftol(dt));
        CHECK_ERR(ct_embedding_bag(ct_cuda(w), ct_cuda(ct_add(ids, ct_wrapped_int(15))), ct_cuda(off), 0, NULL, false,
                                   CT_NO_PADDING_IDX, NAN, 2, false, false, NULL),
                  "out of bounds");
        CHECK_ERR(ct_embedding_bag(ct_cuda(w), ct_cuda(ids), ct_cuda(tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_INT64)), 0,
                                   NULL, false, CT_NO_PADDING_IDX, NAN, 2, false, false, NULL),
                  "offsets[0] has to be 0");
        CHECK_ERR(ct_embedding_bag(ct_cuda(w), ids, ct_cuda(off), 0, NULL, false, CT_NO_PADDING_IDX, NAN, 2, false,
                                   false, NULL),
                  "same device");
    }
}

/* ctc_loss on the GPU vs the CPU: values and the gradient of log_probs */
static void ctc_case(ct_dtype dt, const ct_tensor *lp, const ct_tensor *tg, const int64_t *il, const int64_t *tl,
                     int64_t N, int reduction, bool zinf, double tol) {
    ct_tensor *lc = leaf(lp, false), *lg = leaf(lp, true);
    ct_tensor *yc = ct_ctc_loss(lc, tg, il, N, tl, N, 0, reduction, zinf);
    ct_tensor *yg = ct_ctc_loss(lg, ct_cuda(tg), il, N, tl, N, 0, reduction, zinf);
    double d = gpu_cpu_diff(yg, yc, true);
    if (!(d <= tol)) {
        ct_test_fail(__FILE__, __LINE__, "ctc_loss values (%s, reduction %d): diff %g (%s)", ct_dtype_name(dt),
                     reduction, d, ct_last_error());
        return;
    }
    if (backprop(yc, 41) < 0 || backprop(yg, 41) < 0) {
        ct_test_fail(__FILE__, __LINE__, "ctc_loss backward: %s", ct_last_error());
        return;
    }
    d = gpu_cpu_diff(ct_tensor_grad(lg), ct_tensor_grad(lc), true);
    if (!(d <= tol)) ct_test_fail(__FILE__, __LINE__, "ctc_loss gradient (%s): diff %g", ct_dtype_name(dt), d);
}

TEST(cuda_nn_ctc_loss, values_and_gradients) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        double tol = dt == CT_FLOAT32 ? 1e-4 : 1e-9;
        ct_tensor *lp = ct_log_softmax(tt_rand(SHAPE(12, 4, 6), 3, dt, -2, 2, 40), 2);
        /* 2-d targets with a repeat (1 1) and an empty target; lengths 0 and T */
        ct_tensor *tg = tt_tensor(VALS(1, 1, 2, 3, 5, 4, 3, 2, 2, 5, 1, 1, 1, 1, 1, 1), SHAPE(4, 4), 2, CT_INT64);
        const int64_t il[4] = {12, 9, 10, 7}, tl[4] = {3, 4, 0, 2};
        for (int r = 0; r <= 2; r++) ctc_case(dt, lp, tg, il, tl, 4, r, false, tol);
        /* concatenated 1-d targets (int32) */
        ct_tensor *cat = ct_to_dtype(tt_tensor(VALS(1, 1, 2, 3, 5, 4, 3, 1, 1), SHAPE(9), 1, CT_INT64), CT_INT32, false);
        ct_tensor *lpt = ct_transpose(ct_log_softmax(tt_rand(SHAPE(4, 12, 6), 3, dt, -2, 2, 42), 2), 0, 1);
        ctc_case(dt, lpt, cat, il, (const int64_t[]){3, 4, 0, 2}, 4, 1, false, tol);
        /* an impossible alignment (3 labels, 2 steps) under zero_infinity; an empty input */
        ct_tensor *lp2 = ct_log_softmax(tt_rand(SHAPE(5, 2, 4), 3, dt, -1, 1, 43), 2);
        ct_tensor *tg2 = tt_tensor(VALS(1, 2, 3, 1, 0, 0), SHAPE(2, 3), 2, CT_INT64);
        ctc_case(dt, lp2, tg2, (const int64_t[]){2, 0}, (const int64_t[]){3, 0}, 2, 0, true, tol);
        ct_tensor *y = ct_ctc_loss(ct_cuda(lp2), ct_cuda(tg2), (const int64_t[]){2, 5}, 2, (const int64_t[]){3, 1},
                                   2, 0, 0, false);
        ct_tensor *yc = ct_ctc_loss(lp2, tg2, (const int64_t[]){2, 5}, 2, (const int64_t[]){3, 1}, 2, 0, 0, false);
        CLOSE(y, yc, tol);
        CHECK_ERR(ct_ctc_loss(ct_cuda(lp2), ct_cuda(ct_add(tg2, ct_wrapped_int(4))), (const int64_t[]){5, 5}, 2,
                              (const int64_t[]){3, 1}, 2, 0, 0, false),
                  "out of range");
    }
}

/* one layer of every mode through the fused entry points: GPU (composed)
 * vs CPU (fused), outputs and the gradients of every input */
TEST(cuda_nn_rnn_layer, modes_values_gradients) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = FDT[k];
        for (int mode = 0; mode < 4; mode++) {
            int64_t T = 5, B = 3, H = 4, G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1;
            bool lstm = mode == CT_RNN_LSTM;
            for (int rev = 0; rev < 2; rev++) {
                const int64_t bs[5] = {3, 3, 2, 2, 1};
                bool packed = rev == 1 && mode != CT_RNN_TANH;
                ct_tensor *in[5] = {tt_rand(SHAPE(T, B, G * H), 3, dt, -1, 1, 50), tt_rand(SHAPE(B, H), 2, dt, -1, 1, 51),
                                    tt_rand(SHAPE(B, H), 2, dt, -1, 1, 52), tt_rand(SHAPE(G * H, H), 2, dt, -.5, .5, 53),
                                    tt_rand(SHAPE(G * H), 1, dt, -.5, .5, 54)};
                ct_tensor *lc[5], *lg[5];
                for (int i = 0; i < 5; i++) lc[i] = leaf(in[i], false), lg[i] = leaf(in[i], true);
                ct_tensor *hc, *hg, *cc = NULL, *cg = NULL;
                CHECK(ct_recurrent_layer(mode, lc[0], lc[1], lstm ? lc[2] : NULL, lc[3], lc[4], NULL,
                                         packed ? bs : NULL, rev, &hc, lstm ? &cc : NULL) == 0);
                CHECK(ct_recurrent_layer(mode, lg[0], lg[1], lstm ? lg[2] : NULL, lg[3], lg[4], NULL,
                                         packed ? bs : NULL, rev, &hg, lstm ? &cg : NULL) == 0);
                CLOSE(hg, hc, 10 * ftol(dt));
                if (lstm) CLOSE(cg, cc, 10 * ftol(dt));
                ct_tensor *oc = lstm ? ct_add(ct_sum(hc), ct_mul_scalar(ct_sum(ct_square(cc)), 0.5)) : hc;
                ct_tensor *og = lstm ? ct_add(ct_sum(hg), ct_mul_scalar(ct_sum(ct_square(cg)), 0.5)) : hg;
                CHECK(backprop(oc, 55) == 0 && backprop(og, 55) == 0);
                for (int i = 0; i < 5; i++)
                    if (lstm || i != 2) CLOSE(ct_tensor_grad(lg[i]), ct_tensor_grad(lc[i]), 10 * ftol(dt));
            }
        }
    }
}

TEST(cuda_nn_rnn_layer, lstm_projection_and_nn_lstm) {
    if (!gpu()) return;
    ct_dtype dt = CT_FLOAT64;
    int64_t T = 4, B = 2, H = 5, R = 3;
    ct_tensor *in[6] = {tt_rand(SHAPE(T, B, 4 * H), 3, dt, -1, 1, 60), tt_rand(SHAPE(B, R), 2, dt, -1, 1, 61),
                        tt_rand(SHAPE(B, H), 2, dt, -1, 1, 62), tt_rand(SHAPE(4 * H, R), 2, dt, -.5, .5, 63),
                        tt_rand(SHAPE(4 * H), 1, dt, -.5, .5, 64), tt_rand(SHAPE(R, H), 2, dt, -.5, .5, 65)};
    ct_tensor *lc[6], *lg[6];
    for (int i = 0; i < 6; i++) lc[i] = leaf(in[i], false), lg[i] = leaf(in[i], true);
    ct_tensor *hc, *hg, *cc, *cg;
    CHECK(ct_recurrent_layer(CT_RNN_LSTM, lc[0], lc[1], lc[2], lc[3], lc[4], lc[5], NULL, false, &hc, &cc) == 0);
    CHECK(ct_recurrent_layer(CT_RNN_LSTM, lg[0], lg[1], lg[2], lg[3], lg[4], lg[5], NULL, false, &hg, &cg) == 0);
    CLOSE(hg, hc, 1e-10);
    CHECK(backprop(hc, 66) == 0 && backprop(hg, 66) == 0);
    for (int i = 0; i < 6; i++) CLOSE(ct_tensor_grad(lg[i]), ct_tensor_grad(lc[i]), 1e-10);
    /* a 2-layer bidirectional LSTM (nn.LSTM) end to end */
    int64_t I = 3, L = 2;
    ct_tensor *params[16], *pc[16], *pg[16];
    for (int l = 0, n = 0; l < L; l++)
        for (int d = 0; d < 2; d++, n += 4) {
            int64_t inw = l == 0 ? I : 2 * H;
            params[n] = tt_rand(SHAPE(4 * H, inw), 2, CT_FLOAT32, -.4, .4, 70 + n);
            params[n + 1] = tt_rand(SHAPE(4 * H, H), 2, CT_FLOAT32, -.4, .4, 71 + n);
            params[n + 2] = tt_rand(SHAPE(4 * H), 1, CT_FLOAT32, -.4, .4, 72 + n);
            params[n + 3] = tt_rand(SHAPE(4 * H), 1, CT_FLOAT32, -.4, .4, 73 + n);
        }
    for (int i = 0; i < 16; i++) pc[i] = leaf(params[i], false), pg[i] = leaf(params[i], true);
    ct_tensor *x = tt_rand(SHAPE(B, T, I), 3, CT_FLOAT32, -1, 1, 90);
    ct_tensor *xc = leaf(x, false), *xg = leaf(x, true), *oc, *og, *hnc, *hng, *cnc, *cng;
    CHECK(ct_rnn_forward(CT_RNN_LSTM, xc, NULL, NULL, (const ct_tensor *const *)pc, 16, true, L, 0, true, true, true,
                         NULL, &oc, &hnc, &cnc) == 0);
    CHECK(ct_rnn_forward(CT_RNN_LSTM, xg, NULL, NULL, (const ct_tensor *const *)pg, 16, true, L, 0, true, true, true,
                         NULL, &og, &hng, &cng) == 0);
    CLOSE(og, oc, 1e-5);
    CLOSE(hng, hnc, 1e-5);
    CLOSE(cng, cnc, 1e-5);
    CHECK(backprop(oc, 91) == 0 && backprop(og, 91) == 0);
    CLOSE(ct_tensor_grad(xg), ct_tensor_grad(xc), 1e-5);
    for (int i = 0; i < 16; i++) CLOSE(ct_tensor_grad(pg[i]), ct_tensor_grad(pc[i]), 1e-5);
    ct_tensor *g3[4] = {ct_cuda(ct_narrow(in[0], 2, 0, 3 * H)), ct_narrow(in[2], 1, 0, H),
                        ct_cuda(tt_rand(SHAPE(3 * H, H), 2, dt, -.5, .5, 67))};
    CHECK(ct_recurrent_layer(CT_RNN_GRU, g3[0], g3[1], NULL, g3[2], NULL, NULL, NULL, false, &hg, NULL) < 0);
    CHECK(strstr(ct_last_error(), "same device") != NULL);
}

TEST(cuda_nn_dropout_feature, channels_dropped_together) {
    if (!gpu()) return;
    ct_tensor *x = ct_add_scalar(tt_rand(SHAPE(4, 8, 5, 5), 4, CT_FLOAT32, 0, 1, 95), 1);
    ct_tensor *y = ct_cpu(ct_dropout2d(ct_cuda(x), 0.5, true, NULL));
    CHECK_OK(y);
    double *xv = tt_values(x), *yv = tt_values(y);
    int zeros = 0;
    for (int64_t c = 0; c < 32; c++) {
        bool z = yv[c * 25] == 0;
        zeros += z;
        for (int64_t i = 0; i < 25; i++) {
            double want = z ? 0 : 2 * xv[c * 25 + i];
            if (fabs(yv[c * 25 + i] - want) > 1e-5) {
                free(xv), free(yv);
                CHECK(!"a channel is neither dropped nor scaled by 1 / (1 - p)");
            }
        }
    }
    free(xv), free(yv);
    CHECK(zeros > 0 && zeros < 32);
}
