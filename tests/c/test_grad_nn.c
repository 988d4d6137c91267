/* Gradients of the nn ops composed of other differentiable ops (linear,
 * dropout, batch_norm, layer_norm and the losses): gradcheck and
 * gradgradcheck in float64 on small shapes. Targets and other constants
 * live in file-scope tensors set before each check. */
#include "test_autograd.h"

#include "ctorch/nn.h"

#include <stdlib.h>

static ct_tensor *T0, *T1, *T2; /* constants used by the functions below */

FN(f_linear, ct_linear(x[0], x[1], x[2]))
FN(f_linear_nobias, ct_linear(x[0], x[1], NULL))
FN(f_dropout_p0, ct_dropout(x[0], 0.0, true, NULL))
FN(f_dropout_eval, ct_dropout(x[0], 0.5, false, NULL))
FN(f_bn_train, ct_batch_norm(x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-5))
FN(f_bn_eval, ct_batch_norm(x[0], T0, T1, x[1], x[2], false, 0.1, 1e-5))
FN(f_ln, ct_layer_norm(x[0], (const int64_t[]){3, 4}, 2, x[1], x[2], 1e-5))
FN(f_ln_noaffine, ct_layer_norm(x[0], (const int64_t[]){4}, 1, NULL, NULL, 1e-5))
FN(f_mse, ct_mse_loss(x[0], x[1], CT_REDUCTION_MEAN))
FN(f_mse_none, ct_mse_loss(x[0], x[1], CT_REDUCTION_NONE))
FN(f_l1, ct_l1_loss(x[0], x[1], CT_REDUCTION_SUM))
FN(f_smooth_l1, ct_smooth_l1_loss(x[0], x[1], CT_REDUCTION_MEAN, 0.5))
FN(f_huber, ct_huber_loss(x[0], x[1], CT_REDUCTION_SUM, 0.7))
FN(f_nll, ct_nll_loss(x[0], T0, NULL, -100, CT_REDUCTION_MEAN))
FN(f_nll_w, ct_nll_loss(x[0], T0, T1, 2, CT_REDUCTION_MEAN))
FN(f_ce_idx, ct_cross_entropy(x[0], T0, NULL, -100, CT_REDUCTION_MEAN, 0.0))
FN(f_ce_idx_ls, ct_cross_entropy(x[0], T0, T1, -100, CT_REDUCTION_SUM, 0.2))
FN(f_ce_prob, ct_cross_entropy(x[0], T2, NULL, -100, CT_REDUCTION_MEAN, 0.0))
FN(f_ce_prob_ls, ct_cross_entropy(x[0], T2, NULL, -100, CT_REDUCTION_NONE, 0.1))
FN(f_softmax, ct_softmax(x[0], 1))
FN(f_softmax_neg, ct_softmax(x[0], -1))
FN(f_log_softmax, ct_log_softmax(x[0], 0))
FN(f_log_softmax_neg, ct_log_softmax(x[0], -1))
FN(f_maxpool, ct_max_pool2d(x[0], (const int64_t[]){2, 2}, NULL, NULL, NULL, false, NULL))
FN(f_maxpool_pad, ct_max_pool2d(x[0], (const int64_t[]){3, 2}, (const int64_t[]){2, 1},
                                (const int64_t[]){1, 1}, (const int64_t[]){1, 2}, true, NULL))
FN(f_avgpool, ct_avg_pool2d(x[0], (const int64_t[]){2, 2}, NULL, NULL, false, true, 0))
FN(f_avgpool_pad, ct_avg_pool2d(x[0], (const int64_t[]){3, 2}, (const int64_t[]){2, 1},
                                (const int64_t[]){1, 1}, true, false, 0))
FN(f_avgpool_pad_cip, ct_avg_pool2d(x[0], (const int64_t[]){3, 2}, (const int64_t[]){2, 1},
                                    (const int64_t[]){1, 1}, true, true, 0))
FN(f_avgpool_div, ct_avg_pool2d(x[0], (const int64_t[]){2, 3}, (const int64_t[]){1, 2},
                                (const int64_t[]){1, 1}, false, true, 5))
FN(f_adaptive, ct_adaptive_avg_pool2d(x[0], (const int64_t[]){3, 2}))
FN(f_conv, ct_conv2d(x[0], x[1], x[2], (const int64_t[]){2, 1}, (const int64_t[]){1, 0},
                     (const int64_t[]){1, 2}, 1))
FN(f_conv_groups, ct_conv2d(x[0], x[1], NULL, NULL, (const int64_t[]){1, 1}, NULL, 2))
FN(f_conv1d, ct_conv1d(x[0], x[1], x[2], 2, 1, 1, 1))
FN(f_bce, ct_binary_cross_entropy(x[0], x[1], T0, CT_REDUCTION_MEAN))
FN(f_bcel, ct_binary_cross_entropy_with_logits(x[0], x[1], T0, T1, CT_REDUCTION_MEAN))
FN(f_bcel_plain, ct_binary_cross_entropy_with_logits(x[0], x[1], NULL, NULL, CT_REDUCTION_SUM))
FN(f_kl, ct_kl_div(x[0], x[1], CT_REDUCTION_SUM, false))
FN(f_kl_log, ct_kl_div(x[0], x[1], CT_REDUCTION_MEAN, true))

static ct_tensor *cnst(const int64_t *shape, int ndim, double lo, double hi, unsigned seed) {
    return tt_rand(shape, ndim, CT_FLOAT64, lo, hi, seed);
}

TEST(grad_linear, weight_bias_and_batched_input) {
    GRADCHECK(f_linear, noncontig2(3, 4, 1), rleaf(SHAPE(2, 4), 2, -1, 1, 2),
              rleaf(SHAPE(2), 1, -1, 1, 3));
    GRADCHECK(f_linear_nobias, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 4), noncontig2(2, 3, 5));
}

TEST(grad_dropout, identity_paths_and_seeded_mask) {
    GRADCHECK(f_dropout_p0, noncontig2(3, 2, 6));
    GRADCHECK(f_dropout_eval, strided3(2, 2, 3, 7));
    /* with a fixed seed the gradient of sum(dropout(x)) is mask / (1 - p) */
    ct_tensor *x = rleaf(SHAPE(8, 10), 2, 1, 2, 8);
    ct_manual_seed(11);
    ct_tensor *y = ct_dropout(x, 0.25, true, NULL);
    CHECK_OK(y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    ct_tensor *g = ct_tensor_grad(x);
    CHECK_OK(g);
    int64_t kept = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        double mask = ct_item_at(y, i) != 0 ? 1.0 : 0.0;
        kept += (int64_t)mask;
        CHECK_CLOSE(ct_item_at(g, i), mask / 0.75, 1e-12);
    }
    CHECK(kept > 0 && kept < x->numel);
}

TEST(grad_batch_norm, training_and_eval) {
    GRADCHECK(f_bn_train, rleaf(SHAPE(3, 2, 2), 3, -1, 1, 9), rleaf(SHAPE(2), 1, 0.5, 1.5, 10),
              rleaf(SHAPE(2), 1, -1, 1, 11));
    GRADCHECK(f_bn_train, noncontig2(4, 3, 12), rleaf(SHAPE(3), 1, 0.5, 1.5, 13),
              rleaf(SHAPE(3), 1, -1, 1, 14));
    T0 = cnst(SHAPE(2), 1, -0.5, 0.5, 15);
    T1 = cnst(SHAPE(2), 1, 0.5, 2, 16);
    GRADCHECK(f_bn_eval, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 17), rleaf(SHAPE(2), 1, 0.5, 1.5, 18),
              rleaf(SHAPE(2), 1, -1, 1, 19));
}

TEST(grad_layer_norm, affine_and_plain) {
    GRADCHECK(f_ln, rleaf(SHAPE(2, 3, 4), 3, -1, 1, 20), rleaf(SHAPE(3, 4), 2, 0.5, 1.5, 21),
              rleaf(SHAPE(3, 4), 2, -1, 1, 22));
    GRADCHECK(f_ln_noaffine, noncontig2(3, 4, 23));
}

TEST(grad_mse_loss, mean_and_none) {
    GRADCHECK(f_mse, noncontig2(3, 2, 24), rleaf(SHAPE(3, 2), 2, -1, 1, 25));
    GRADCHECK(f_mse_none, rleaf(SHAPE(4), 1, -1, 1, 26), rleaf(SHAPE(4), 1, -1, 1, 27));
}

TEST(grad_l1_loss, away_from_ties) {
    /* input in [1, 2), target in [-1, 0): differences far from zero */
    GRADCHECK(f_l1, ncr(3, 2, 1, 2, 28), rleaf(SHAPE(3, 2), 2, -1, 0, 29));
    GRADCHECK(f_l1, rleaf(SHAPE(4), 1, -1, 0, 30), rleaf(SHAPE(4), 1, 1, 2, 31));
}

TEST(grad_smooth_l1_loss, both_branches) {
    /* values 0.6 apart, beta 0.5: differences in both regions, off the kink */
    ct_tensor *x = tt_tensor(VALS(0.1, 0.9, -0.3, 2.0, -1.2, 0.4), SHAPE(6), 1, CT_FLOAT64);
    ct_tensor *t = tt_tensor(VALS(0.0, 0.0, 0.0, 0.0, 0.0, 0.2), SHAPE(6), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_set_requires_grad(t, true);
    GRADCHECK(f_smooth_l1, x, t);
}

TEST(grad_huber_loss, both_branches) {
    ct_tensor *x = tt_tensor(VALS(0.1, 0.9, -0.3, 2.0, -1.2, 0.4), SHAPE(2, 3), 2, CT_FLOAT64);
    ct_tensor *t = tt_tensor(VALS(0.0, 0.0, 0.0, 0.0, 0.0, 0.2), SHAPE(2, 3), 2, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_set_requires_grad(t, true);
    GRADCHECK(f_huber, x, t);
}

TEST(grad_nll_loss, plain_weighted_and_ignored) {
    T0 = tt_tensor(VALS(0, 2, 1, 2), SHAPE(4), 1, CT_INT64);
    GRADCHECK(f_nll, noncontig2(4, 3, 32));
    T1 = cnst(SHAPE(3), 1, 0.5, 2, 33);
    GRADCHECK(f_nll_w, rleaf(SHAPE(4, 3), 2, -1, 1, 34)); /* ignore_index 2 */
}

TEST(grad_cross_entropy, indices_probabilities_label_smoothing) {
    T0 = tt_tensor(VALS(1, 0, 2), SHAPE(3), 1, CT_INT64);
    T1 = cnst(SHAPE(4), 1, 0.5, 2, 35);
    GRADCHECK(f_ce_idx, noncontig2(3, 4, 36));
    GRADCHECK(f_ce_idx_ls, rleaf(SHAPE(3, 4), 2, -1, 1, 37));
    T2 = ct_softmax(cnst(SHAPE(3, 4), 2, -1, 1, 38), 1);
    CHECK_OK(T2);
    GRADCHECK(f_ce_prob, rleaf(SHAPE(3, 4), 2, -1, 1, 39));
    GRADCHECK(f_ce_prob_ls, noncontig2(3, 4, 40));
}

TEST(grad_binary_cross_entropy, weighted) {
    T0 = cnst(SHAPE(3, 2), 2, 0.5, 2, 41);
    GRADCHECK(f_bce, ncr(3, 2, 0.2, 0.8, 42), rleaf(SHAPE(3, 2), 2, 0, 1, 43));
}

TEST(grad_binary_cross_entropy_with_logits, weights_and_pos_weight) {
    T0 = cnst(SHAPE(3, 2), 2, 0.5, 2, 44);
    T1 = cnst(SHAPE(2), 1, 0.5, 2, 45);
    GRADCHECK(f_bcel, noncontig2(3, 2, 46), rleaf(SHAPE(3, 2), 2, 0, 1, 47));
    GRADCHECK(f_bcel_plain, rleaf(SHAPE(4), 1, -2, 2, 48), rleaf(SHAPE(4), 1, 0, 1, 49));
}

TEST(grad_kl_div, probability_and_log_targets) {
    GRADCHECK(f_kl, ncr(3, 2, -2, -0.5, 50), rleaf(SHAPE(3, 2), 2, 0.1, 1, 51));
    GRADCHECK(f_kl_log, rleaf(SHAPE(4), 1, -2, -0.5, 52), rleaf(SHAPE(4), 1, -2, -0.5, 53));
}

TEST(grad_softmax, along_a_dim_and_negative_dim) {
    GRADCHECK(f_softmax, noncontig2(3, 4, 60));
    GRADCHECK(f_softmax_neg, strided3(2, 2, 3, 61));
    ct_tensor *x = rleaf(SHAPE(2, 3), 2, -1, 1, 62);
    CHECK(strcmp(ct_node_name(ct_grad_fn(ct_softmax(x, 1))), "SoftmaxBackward0") == 0);
}

TEST(grad_log_softmax, along_a_dim_and_negative_dim) {
    GRADCHECK(f_log_softmax, noncontig2(3, 4, 63));
    GRADCHECK(f_log_softmax_neg, strided3(2, 3, 2, 64));
}

/* distinct values (a permutation of 0..n-1 scaled) keep the max away from
 * ties, so the finite differences see one winner per window */
static ct_tensor *perm_leaf(const int64_t *shape, int ndim, unsigned seed) {
    ct_tensor *r = tt_rand(shape, ndim, CT_FLOAT64, 0, 1, seed);
    int64_t n = r->numel;
    double *v = tt_values(r), ranks[64];
    if (!v || n > 64) {
        free(v);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t rank = 0;
        for (int64_t j = 0; j < n; j++) rank += v[j] < v[i];
        ranks[i] = 0.1 * (double)rank;
    }
    free(v);
    ct_tensor *x = tt_tensor(ranks, shape, ndim, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    return x;
}

TEST(grad_max_pool2d, routes_the_gradient_to_the_maxima) {
    ct_tensor *x = perm_leaf(SHAPE(2, 2, 4, 4), 4, 65);
    CHECK_OK(x);
    CHECK(ct_gradcheck(f_maxpool, NULL, (ct_tensor *[]){x}, 1, EPS, ATOL, RTOL) == 0);
    ct_tensor *x3 = perm_leaf(SHAPE(2, 5, 6), 3, 66);
    CHECK_OK(x3);
    CHECK(ct_gradcheck(f_maxpool_pad, NULL, (ct_tensor *[]){x3}, 1, EPS, ATOL, RTOL) == 0);
    /* sum(y): every window hands a gradient of 1 to its maximum */
    ct_tensor *y = f_maxpool((ct_tensor *[]){x}, 1, NULL);
    CHECK_OK(y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    ct_tensor *g = ct_tensor_grad(x);
    CHECK_OK(g);
    double total = 0;
    for (int64_t i = 0; i < g->numel; i++) total += ct_item_at(g, i);
    CHECK_CLOSE(total, 16.0, 1e-12); /* one per output window */
}

TEST(grad_avg_pool2d, padding_ceil_mode_and_divisor) {
    GRADCHECK(f_avgpool, rleaf(SHAPE(2, 2, 4, 4), 4, -1, 1, 70));
    GRADCHECK(f_avgpool_pad, rleaf(SHAPE(2, 5, 6), 3, -1, 1, 71));
    GRADCHECK(f_avgpool_pad_cip, rleaf(SHAPE(1, 2, 5, 6), 4, -1, 1, 72));
    GRADCHECK(f_avgpool_div, strided3(2, 4, 5, 73));
}

TEST(grad_adaptive_avg_pool2d, overlapping_windows) {
    GRADCHECK(f_adaptive, rleaf(SHAPE(2, 2, 5, 3), 4, -1, 1, 74));
    GRADCHECK(f_adaptive, rleaf(SHAPE(2, 4, 7), 3, -1, 1, 75));
}

TEST(grad_conv2d, stride_padding_dilation_groups) {
    GRADCHECK(f_conv, rleaf(SHAPE(2, 2, 5, 6), 4, -1, 1, 80), rleaf(SHAPE(3, 2, 2, 2), 4, -1, 1, 81),
              rleaf(SHAPE(3), 1, -1, 1, 82));
    GRADCHECK(f_conv_groups, rleaf(SHAPE(1, 4, 4, 3), 4, -1, 1, 83),
              rleaf(SHAPE(2, 2, 3, 2), 4, -1, 1, 84));
}

TEST(grad_conv1d, through_conv2d) {
    GRADCHECK(f_conv1d, rleaf(SHAPE(2, 2, 7), 3, -1, 1, 85), rleaf(SHAPE(3, 2, 3), 3, -1, 1, 86),
              rleaf(SHAPE(3), 1, -1, 1, 87));
}
