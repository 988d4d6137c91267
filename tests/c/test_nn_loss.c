/* nn losses. Expected values: tests/c/nn_refs.h, computed by Debian's
 * PyTorch from the same tt_rand inputs (tools/gen_nn_refs.py). */
#include "harness.h"
#include "nn_refs.h"

#define CHECK_REF(t, name, tol) CHECK_TENSOR((t), SHP_##name, ND_##name, REF_##name, (tol))
#define R3(fn, name, ...)                                                  \
    do {                                                                   \
        CHECK_REF(fn(__VA_ARGS__, CT_REDUCTION_NONE), name##_none, 1e-5);  \
        CHECK_REF(fn(__VA_ARGS__, CT_REDUCTION_MEAN), name##_mean, 1e-5);  \
        CHECK_REF(fn(__VA_ARGS__, CT_REDUCTION_SUM), name##_sum, 1e-5);    \
    } while (0)

static ct_tensor *rnd(const int64_t *shape, int nd, double lo, double hi, unsigned seed) {
    return tt_rand(shape, nd, CT_FLOAT32, lo, hi, seed);
}

static ct_tensor *smooth_l1_07(const ct_tensor *x, const ct_tensor *y, int r) {
    return ct_smooth_l1_loss(x, y, r, 0.7);
}
static ct_tensor *huber_08(const ct_tensor *x, const ct_tensor *y, int r) {
    return ct_huber_loss(x, y, r, 0.8);
}

TEST(mse_loss, reductions) {
    ct_tensor *x = rnd(SHAPE(4, 5), 2, -2, 2, 100), *y = rnd(SHAPE(4, 5), 2, -2, 2, 101);
    R3(ct_mse_loss, mse, x, y);
    CHECK_REF(ct_mse_loss(x, rnd(SHAPE(5), 1, -2, 2, 102), CT_REDUCTION_MEAN), mse_bcast, 1e-5);
    CHECK_ERR(ct_mse_loss(x, y, 7), "7 is not a valid value for reduction");
    CHECK_ERR(ct_mse_loss(x, rnd(SHAPE(3), 1, 0, 1, 1), CT_REDUCTION_MEAN), "must match");
}

TEST(l1_loss, reductions) {
    ct_tensor *x = rnd(SHAPE(4, 5), 2, -2, 2, 100), *y = rnd(SHAPE(4, 5), 2, -2, 2, 101);
    R3(ct_l1_loss, l1, x, y);
}

TEST(smooth_l1_loss, reductions) {
    ct_tensor *x = rnd(SHAPE(4, 5), 2, -2, 2, 100), *y = rnd(SHAPE(4, 5), 2, -2, 2, 101);
    R3(smooth_l1_07, smoothl1, x, y);
    CHECK_REF(ct_smooth_l1_loss(x, y, CT_REDUCTION_SUM, 0.0), l1_sum, 1e-5);
    CHECK_ERR(ct_smooth_l1_loss(x, y, CT_REDUCTION_SUM, -1.0), "negative values for beta");
}

TEST(huber_loss, reductions) {
    ct_tensor *x = rnd(SHAPE(4, 5), 2, -2, 2, 100), *y = rnd(SHAPE(4, 5), 2, -2, 2, 101);
    R3(huber_08, huber, x, y);
}

/* logits [6, 5], targets [6] with target[2] = -100 (the default ignore_index). */
static ct_tensor *targets(void) {
    ct_tensor *t = tt_rand(SHAPE(6), 1, CT_INT64, 0, 5, 111);
    ((int64_t *)ct_data_ptr(t))[2] = -100;
    return t;
}

TEST(nll_loss, weights_ignore_index) {
    ct_tensor *lp = ct_log_softmax(rnd(SHAPE(6, 5), 2, -3, 3, 110), 1), *t = targets();
    ct_tensor *w = rnd(SHAPE(5), 1, 0.5, 2, 112);
    CHECK_OK(lp);
    CHECK_REF(ct_nll_loss(lp, t, NULL, -100, CT_REDUCTION_NONE), nll_none, 1e-5);
    CHECK_REF(ct_nll_loss(lp, t, NULL, -100, CT_REDUCTION_MEAN), nll_mean, 1e-5);
    CHECK_REF(ct_nll_loss(lp, t, NULL, -100, CT_REDUCTION_SUM), nll_sum, 1e-5);
    CHECK_REF(ct_nll_loss(lp, t, w, -100, CT_REDUCTION_NONE), nllw_none, 1e-5);
    CHECK_REF(ct_nll_loss(lp, t, w, -100, CT_REDUCTION_MEAN), nllw_mean, 1e-5);
    CHECK_REF(ct_nll_loss(lp, t, w, -100, CT_REDUCTION_SUM), nllw_sum, 1e-5);
    ((int64_t *)ct_data_ptr(t))[2] = 1;
    CHECK_REF(ct_nll_loss(lp, t, NULL, 3, CT_REDUCTION_MEAN), nll_ign3, 1e-5);
    ((int64_t *)ct_data_ptr(t))[2] = 7;
    CHECK_ERR(ct_nll_loss(lp, t, NULL, -100, CT_REDUCTION_MEAN), "Target 7 is out of bounds.");
    CHECK_ERR(ct_nll_loss(lp, ct_zeros(SHAPE(2), 1, CT_INT64), NULL, -100, CT_REDUCTION_MEAN),
              "Expected input batch_size (6) to match target batch_size (2).");
    CHECK_ERR(ct_nll_loss(lp, ct_zeros(SHAPE(6), 1, CT_FLOAT32), NULL, -100, CT_REDUCTION_MEAN),
              "expected scalar type Long but found Float");
}

TEST(cross_entropy, class_indices) {
    ct_tensor *x = rnd(SHAPE(6, 5), 2, -3, 3, 110), *t = targets();
    ct_tensor *w = rnd(SHAPE(5), 1, 0.5, 2, 112);
    static const int reds[3] = {CT_REDUCTION_NONE, CT_REDUCTION_MEAN, CT_REDUCTION_SUM};
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[0], 0), ce_none, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[1], 0), ce_mean, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[2], 0), ce_sum, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, w, -100, reds[0], 0.2), cews_none, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, w, -100, reds[1], 0.2), cews_mean, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, w, -100, reds[2], 0.2), cews_sum, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[0], 0.1), ces_none, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[1], 0.1), ces_mean, 1e-5);
    CHECK_REF(ct_cross_entropy(x, t, NULL, -100, reds[2], 0.1), ces_sum, 1e-5);
    ct_tensor *l4 = rnd(SHAPE(2, 5, 3, 2), 4, -3, 3, 113);
    ct_tensor *t4 = tt_rand(SHAPE(2, 3, 2), 3, CT_INT64, 0, 5, 114);
    CHECK_REF(ct_cross_entropy(l4, t4, w, -100, CT_REDUCTION_MEAN, 0), ce_4d, 1e-5);
    CHECK_REF(ct_cross_entropy(l4, t4, NULL, -100, CT_REDUCTION_NONE, 0), ce_4d_none, 1e-5);
    ct_tensor *t0 = ct_select(t, 0, 0);
    CHECK_REF(ct_cross_entropy(ct_select(x, 0, 0), t0, NULL, -100, CT_REDUCTION_MEAN, 0), ce_1d,
              1e-5);
    CHECK_ERR(ct_cross_entropy(x, t, NULL, -100, CT_REDUCTION_MEAN, 1.5),
              "label_smoothing must be between 0.0 and 1.0");
}

TEST(cross_entropy, class_probabilities) {
    ct_tensor *x = rnd(SHAPE(6, 5), 2, -3, 3, 110);
    ct_tensor *p = ct_softmax(rnd(SHAPE(6, 5), 2, -1, 1, 115), 1);
    ct_tensor *w = rnd(SHAPE(5), 1, 0.5, 2, 112);
    CHECK_REF(ct_cross_entropy(x, p, w, -100, CT_REDUCTION_NONE, 0.1), cep_none, 1e-5);
    CHECK_REF(ct_cross_entropy(x, p, w, -100, CT_REDUCTION_MEAN, 0.1), cep_mean, 1e-5);
    CHECK_REF(ct_cross_entropy(x, p, w, -100, CT_REDUCTION_SUM, 0.1), cep_sum, 1e-5);
    CHECK_ERR(ct_cross_entropy(x, ct_t(p), NULL, -100, CT_REDUCTION_SUM, 0), "must match input");
}

TEST(binary_cross_entropy, reductions) {
    ct_tensor *p = rnd(SHAPE(3, 4), 2, 0.01, 0.99, 120), *t = rnd(SHAPE(3, 4), 2, 0, 1, 121);
    ct_tensor *w = rnd(SHAPE(4), 1, 0.5, 1.5, 122);
    R3(ct_binary_cross_entropy, bce, p, t, w);
    CHECK_ERR(ct_binary_cross_entropy(ct_add_scalar(p, 1), t, NULL, CT_REDUCTION_MEAN),
              "all elements of input should be between 0 and 1");
}

TEST(binary_cross_entropy_with_logits, pos_weight) {
    ct_tensor *z = rnd(SHAPE(3, 4), 2, -30, 30, 123), *t = rnd(SHAPE(3, 4), 2, 0, 1, 121);
    ct_tensor *w = rnd(SHAPE(4), 1, 0.5, 1.5, 122), *pw = rnd(SHAPE(4), 1, 0.5, 3, 124);
    R3(ct_binary_cross_entropy_with_logits, bcel, z, t, w, pw);
    CHECK_REF(ct_binary_cross_entropy_with_logits(z, t, NULL, NULL, CT_REDUCTION_MEAN), bcel_plain,
              1e-5);
    CHECK_ERR(ct_binary_cross_entropy_with_logits(z, ct_t(t), NULL, NULL, CT_REDUCTION_MEAN),
              "Target size ([4, 3]) must be the same as input size ([3, 4])");
}

static ct_tensor *kl_log(const ct_tensor *x, const ct_tensor *t, int r) {
    return ct_kl_div(x, t, r, true);
}
static ct_tensor *kl_plain(const ct_tensor *x, const ct_tensor *t, int r) {
    return ct_kl_div(x, t, r, false);
}

TEST(kl_div, reductions_and_log_target) {
    ct_tensor *lq = ct_log_softmax(rnd(SHAPE(3, 4), 2, -2, 2, 130), 1);
    ct_tensor *tq = ct_contiguous(ct_softmax(rnd(SHAPE(3, 4), 2, -2, 2, 131), 1));
    CHECK_OK(tq);
    ((float *)ct_data_ptr(tq))[1] = 0;
    R3(kl_plain, kl, lq, tq);
    ct_tensor *lt = ct_log(ct_clamp_min(tq, 1e-3));
    R3(kl_log, kllog, lq, lt);
}
