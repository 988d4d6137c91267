/* ctc_loss (include/ctorch/def/ctc.def): the loss against a brute-force
 * oracle written here (the sum over every path of C^T labels whose
 * collapse, repeats merged then blanks removed, is the target), for padded
 * and concatenated targets, repeated labels, empty targets, impossible
 * alignments (inf, zero_infinity), every reduction, float32 and float64,
 * unbatched input; the gradient with gradcheck through log_softmax (the
 * formula is PyTorch's, which assumes log_probs come from a log_softmax);
 * the error paths with PyTorch's messages. The values against PyTorch
 * itself are in tests/python/test_ctc.py. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

/* -log p(target | lp) for one sample: lp [T, N, C] row b, input length il */
static double brute_nll(const double *lp, int64_t N, int64_t C, int64_t b, int64_t il, const int64_t *tg,
                        int64_t tl, int64_t blank) {
    int64_t paths = 1;
    for (int64_t t = 0; t < il; t++) paths *= C;
    double p = 0;
    int64_t path[16], out[16];
    for (int64_t k = 0; k < paths; k++) {
        int64_t v = k, n = 0;
        for (int64_t t = 0; t < il; t++) path[t] = v % C, v /= C;
        double lsum = 0;
        for (int64_t t = 0; t < il; t++) {
            lsum += lp[(t * N + b) * C + path[t]];
            if (path[t] != blank && (t == 0 || path[t] != path[t - 1])) out[n++] = path[t];
        }
        bool same = n == tl;
        for (int64_t j = 0; same && j < n; j++) same = out[j] == tg[j];
        if (same) p += exp(lsum);
    }
    return -log(p);
}

/* log_softmax of random values: [T, N, C] float64, row-major doubles */
static ct_tensor *rand_lp(int64_t T, int64_t N, int64_t C, ct_dtype dt, unsigned seed) {
    ct_tensor *x = tt_rand(SHAPE(T, N, C), 3, dt, -2, 2, seed);
    return ct_log_softmax(x, 2);
}

TEST(ctc_loss, per_sample_loss_matches_brute_force_padded_targets) {
    int64_t T = 5, N = 4, C = 3;
    ct_tensor *lp = rand_lp(T, N, C, CT_FLOAT64, 1);
    CHECK_OK(lp);
    /* repeated labels (1 1 needs a blank between), an empty target, a
     * normal one, and one too long for its input (impossible: inf) */
    double tgv[] = {1, 1, 0, 2, 0, 0, 2, 1, 0, 1, 2, 1};
    ct_tensor *tg = tt_tensor(tgv, SHAPE(N, 3), 2, CT_INT64);
    int64_t il[] = {5, 3, 4, 2}, tl[] = {2, 0, 2, 3};
    ct_tensor *r = ct_ctc_loss(lp, tg, il, N, tl, N, 0, CT_REDUCTION_NONE, false);
    CHECK_OK(r);
    double *lv = tt_values(lp), *rv = tt_values(r);
    int64_t tgi[12];
    for (int k = 0; k < 12; k++) tgi[k] = (int64_t)tgv[k];
    for (int64_t b = 0; b < N; b++) {
        double want = brute_nll(lv, N, C, b, il[b], tgi + 3 * b, tl[b], 0);
        if (isinf(want)) CHECK(isinf(rv[b]) && rv[b] > 0);
        else CHECK_CLOSE(rv[b], want, 1e-12);
    }
    ct_tensor *z = ct_ctc_loss(lp, tg, il, N, tl, N, 0, CT_REDUCTION_NONE, true);
    CHECK_OK(z);
    double *zv = tt_values(z);
    CHECK(zv[3] == 0.0);
    CHECK_CLOSE(zv[0], rv[0], 1e-15);
    /* mean: each finite loss over its target length (at least 1), then the batch mean */
    ct_tensor *m = ct_ctc_loss(lp, tg, il, N, tl, N, 0, CT_REDUCTION_MEAN, true);
    ct_tensor *s = ct_ctc_loss(lp, tg, il, N, tl, N, 0, CT_REDUCTION_SUM, true);
    CHECK_OK(m);
    CHECK_OK(s);
    CHECK_CLOSE(ct_item_at(m, 0), (zv[0] / 2 + zv[1] / 1 + zv[2] / 2 + zv[3] / 3) / 4, 1e-12);
    CHECK_CLOSE(ct_item_at(s, 0), zv[0] + zv[1] + zv[2] + zv[3], 1e-12);
    free(lv);
    free(rv);
    free(zv);
}

TEST(ctc_loss, concatenated_targets_other_blank_float32_and_unbatched) {
    int64_t T = 4, N = 3, C = 4;
    ct_tensor *lp64 = rand_lp(T, N, C, CT_FLOAT64, 7);
    ct_tensor *lp32 = ct_to_dtype(lp64, CT_FLOAT32, false);
    CHECK_OK(lp32);
    /* blank = 3; targets concatenated: (0 2), (1 1 1) impossible in 4 steps? no: 1 b 1 b 1 needs 5 */
    double tgv[] = {0, 2, 1, 1, 1, 2};
    ct_tensor *tg = tt_tensor(tgv, SHAPE(6), 1, CT_INT32);
    int64_t il[] = {4, 4, 3}, tl[] = {2, 3, 1}, tgi[] = {0, 2, 1, 1, 1, 2}, off[] = {0, 2, 5};
    ct_tensor *r = ct_ctc_loss(lp32, tg, il, N, tl, N, 3, CT_REDUCTION_NONE, false);
    CHECK_OK(r);
    CHECK(ct_tensor_dtype(r) == CT_FLOAT32);
    double *lv = tt_values(lp64), *rv = tt_values(r);
    for (int64_t b = 0; b < N; b++) {
        double want = brute_nll(lv, N, C, b, il[b], tgi + off[b], tl[b], 3);
        if (isinf(want)) CHECK(isinf(rv[b]));
        else CHECK_CLOSE(rv[b], want, 1e-5);
    }
    /* unbatched (T, C): sample 0 alone, reduction none gives a 0-d loss */
    ct_tensor *lp0 = ct_select(lp64, 1, 0), *tg0 = tt_tensor(VALS(0, 2), SHAPE(2), 1, CT_INT64);
    ct_tensor *r0 = ct_ctc_loss(lp0, tg0, il, 1, tl, 1, 3, CT_REDUCTION_NONE, false);
    CHECK_OK(r0);
    CHECK(ct_ndim(r0) == 0);
    CHECK_CLOSE(ct_item_at(r0, 0), brute_nll(lv, N, C, 0, 4, tgi, 2, 3), 1e-12);
    free(lv);
    free(rv);
}

TEST(ctc_loss, zero_input_length_and_empty_batch) {
    ct_tensor *lp = rand_lp(3, 2, 3, CT_FLOAT64, 3);
    ct_tensor *tg = tt_tensor(VALS(1, 2, 1, 2), SHAPE(2, 2), 2, CT_INT64);
    int64_t il[] = {0, 0}, tl[] = {0, 1};
    ct_tensor *r = ct_ctc_loss(lp, tg, il, 2, tl, 2, 0, CT_REDUCTION_NONE, false);
    CHECK_OK(r);
    double *v = tt_values(r);
    CHECK(v[0] == 0.0 && isinf(v[1]));
    free(v);
    ct_tensor *e = ct_ctc_loss(rand_lp(3, 0, 3, CT_FLOAT64, 3), ct_zeros(SHAPE(0, 2), 2, CT_INT64), NULL, 0, NULL, 0,
                               0, CT_REDUCTION_SUM, false);
    CHECK_OK(e);
    CHECK(ct_item_at(e, 0) == 0.0);
}

static const int64_t g_il[] = {5, 4, 5}, g_tl[] = {2, 3, 0};
static ct_tensor *g_tg;
static int g_red;

static ct_tensor *ctc_of_logits(ct_tensor *const *in, int n, void *ctx) {
    (void)n;
    (void)ctx;
    return ct_ctc_loss(ct_log_softmax(in[0], 2), g_tg, g_il, 3, g_tl, 3, 0, g_red, true);
}

TEST(grad_ctc_loss, gradcheck_through_log_softmax) {
    ct_tensor *x = tt_rand(SHAPE(5, 3, 4), 3, CT_FLOAT64, -1, 1, 11);
    CHECK_OK(x);
    ct_set_requires_grad(x, true);
    g_tg = tt_tensor(VALS(1, 1, 0, 2, 3, 2, 0, 0, 0), SHAPE(3, 3), 2, CT_INT64);
    for (g_red = 0; g_red <= 2; g_red++) CHECK(ct_gradcheck(ctc_of_logits, NULL, &x, 1, 1e-6, 1e-7, 1e-5) == 0);
}

TEST(grad_ctc_loss, gradient_zero_past_input_length_and_for_zero_infinity) {
    ct_tensor *lp = rand_lp(4, 2, 3, CT_FLOAT64, 5);
    ct_set_requires_grad(lp, true);
    ct_tensor *tg = tt_tensor(VALS(1, 1, 1, 2, 0, 0), SHAPE(2, 3), 2, CT_INT64);
    int64_t il[] = {4, 2}, tl[] = {3, 1};
    ct_tensor *r = ct_ctc_loss(lp, tg, il, 2, tl, 2, 0, CT_REDUCTION_SUM, true);
    CHECK_OK(r);
    CHECK(ct_backward(r, NULL, false, false, NULL, 0) == 0);
    double *g = tt_values(ct_tensor_grad(lp));
    /* sample 0 (1 1 1 in 4 steps) is impossible: zeros; sample 1 past t = 2: zeros */
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 3; c++) {
            CHECK(g[(t * 2 + 0) * 3 + c] == 0.0);
            if (t >= 2) CHECK(g[(t * 2 + 1) * 3 + c] == 0.0);
        }
    CHECK(g[1 * 3 + 0] != 0.0);
    free(g);
}

TEST(ctc_loss, errors_with_pytorchs_messages) {
    ct_tensor *lp = rand_lp(6, 3, 5, CT_FLOAT32, 2);
    ct_tensor *tg = tt_tensor(VALS(1, 2, 3, 1, 2, 3, 1, 2, 3), SHAPE(3, 3), 2, CT_INT64);
    int64_t ok[] = {6, 6, 6}, tl[] = {3, 3, 3};
    CHECK_ERR(ct_ctc_loss(lp, tg, (int64_t[]){6, 7, 5}, 3, tl, 3, 0, 1, false),
              "Expected input_lengths to have value at most 6, but got value 7");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 2, tl, 3, 0, 1, false), "input_lengths must be of size batch_size");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, tl, 2, 0, 1, false), "target_lengths must be of size batch_size");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, (int64_t[]){3, 3, 4}, 3, 0, 1, false),
              "Expected tensor to have size at least 4 at dimension 1, but got size 3 for argument #2 'targets'");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, tl, 3, 5, 1, false), "blank must be in label range");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, (int64_t[]){3, 3, -1}, 3, 0, 1, false), "must be non-negative");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, tl, 3, 1, 1, false), "equal to blank");
    CHECK_ERR(ct_ctc_loss(lp, ct_reshape(tg, SHAPE(9), 1), ok, 3, (int64_t[]){3, 3, 2}, 3, 0, 1, false),
              "Expected tensor to have size 8 at dimension 0, but got size 9");
    CHECK_ERR(ct_ctc_loss(ct_to_dtype(lp, CT_INT32, false), tg, ok, 3, tl, 3, 0, 1, false),
              "\"ctc_loss_cpu\" not implemented for 'Int'");
    CHECK_ERR(ct_ctc_loss(lp, ct_to_dtype(tg, CT_FLOAT32, false), ok, 3, tl, 3, 0, 1, false), "int64 or int32");
    CHECK_ERR(ct_ctc_loss(lp, ct_unsqueeze(tg, 2), ok, 3, tl, 3, 0, 1, false),
              "Expected 1 to 2 dimensions, but got 3-dimensional tensor");
    CHECK_ERR(ct_ctc_loss(lp, tg, ok, 3, tl, 3, 0, 7, false), "not a valid value for reduction");
}

TEST(grad_ctc_loss, create_graph_reports_not_implemented) {
    ct_tensor *lp = rand_lp(3, 1, 3, CT_FLOAT64, 9);
    ct_set_requires_grad(lp, true);
    ct_tensor *tg = tt_tensor(VALS(1), SHAPE(1, 1), 2, CT_INT64);
    ct_tensor *r = ct_ctc_loss(lp, tg, (int64_t[]){3}, 1, (int64_t[]){1}, 1, 0, CT_REDUCTION_SUM, false);
    CHECK_OK(r);
    CHECK(ct_backward(r, NULL, false, true, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "not implemented") != NULL);
}
