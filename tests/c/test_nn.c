/* nn layers: linear, conv2d, conv1d, pooling, softmax, dropout, batch_norm,
 * layer_norm. Expected values: tests/c/nn_refs.h, computed by Debian's
 * PyTorch from the same tt_rand inputs (tools/gen_nn_refs.py). */
#include "harness.h"
#include "nn_refs.h"

#include <stdlib.h>

#define CHECK_REF(t, name, tol) CHECK_TENSOR((t), SHP_##name, ND_##name, REF_##name, (tol))
#define RND(seed, ...) \
    tt_rand(SHAPE(__VA_ARGS__), (int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)), CT_FLOAT32, -1, 1, (seed))
#define RND64(seed, ...) \
    tt_rand(SHAPE(__VA_ARGS__), (int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)), CT_FLOAT64, -1, 1, (seed))
#define I2(a, b) ((const int64_t[]){(a), (b)})

TEST(linear, values) {
    ct_tensor *x = RND(1, 3, 5), *w = RND(2, 4, 5), *b = RND(3, 4), *x3 = RND(4, 2, 3, 5);
    CHECK_REF(ct_linear(x, w, b), linear_2d, 1e-5);
    CHECK_REF(ct_linear(x3, w, NULL), linear_3d_nobias, 1e-5);
    CHECK_REF(ct_linear(x3, w, b), linear_3d, 1e-5);
    CHECK_ERR(ct_linear(x, RND(5, 4, 6), b), "shapes cannot be multiplied");
}

TEST(conv2d, stride_padding_dilation_groups) {
    ct_tensor *b = RND(12, 6);
    CHECK_REF(ct_conv2d(RND(10, 2, 4, 7, 8), RND(11, 6, 4, 3, 3), b, NULL, I2(1, 1), NULL, 1),
              conv_a, 1e-5);
    CHECK_REF(ct_conv2d(RND(13, 2, 4, 9, 8), RND(14, 6, 2, 3, 2), b, I2(2, 1), I2(1, 0), I2(2, 1),
                        2),
              conv_b, 1e-5);
    CHECK_REF(ct_conv2d(RND(15, 1, 3, 5, 5), RND(16, 5, 3, 1, 1), NULL, NULL, NULL, NULL, 1),
              conv_c, 1e-5);
    CHECK_REF(ct_conv2d(RND(19, 2, 4, 6, 6), RND(20, 4, 1, 3, 3), RND(21, 4), I2(2, 2), I2(1, 1),
                        NULL, 4),
              conv_dw, 1e-5);
}

TEST(conv2d, same_valid_unbatched_noncontiguous) {
    ct_tensor *x = RND(17, 1, 2, 6, 5), *w = RND(18, 3, 2, 4, 3);
    CHECK_REF(ct_conv2d_mode(x, w, NULL, NULL, "same", I2(1, 2), 1), conv_same, 1e-5);
    CHECK_REF(ct_conv2d_mode(x, w, NULL, NULL, "valid", I2(1, 2), 1), conv_valid, 1e-5);
    ct_tensor *xn = ct_transpose(RND64(22, 2, 4, 8, 7), 2, 3);
    CHECK_REF(ct_conv2d(xn, RND64(23, 6, 4, 3, 3), NULL, I2(1, 2), I2(0, 1), NULL, 1), conv_nc,
              1e-12);
    CHECK_REF(ct_conv2d(RND(24, 4, 6, 5), RND(25, 6, 4, 2, 2), RND(12, 6), NULL, NULL, NULL, 1),
              conv_unbatched, 1e-5);
    CHECK_ERR(ct_conv2d_mode(x, w, NULL, I2(2, 1), "same", NULL, 1),
              "padding='same' is not supported for strided convolutions");
}

TEST(conv2d, empty_batch_and_large) {
    ct_tensor *r = ct_conv2d(RND(1, 0, 3, 5, 5), RND(2, 4, 3, 3, 3), NULL, NULL, NULL, NULL, 1);
    CHECK_OK(r);
    CHECK(r->ndim == 4 && r->sizes[0] == 0 && r->sizes[1] == 4 && r->sizes[2] == 3);
    /* Above the threading grain: compare with a double-precision direct sum. */
    ct_tensor *x = RND(3, 2, 3, 40, 40), *w = RND(4, 2, 3, 3, 3);
    ct_tensor *y = ct_conv2d(x, w, NULL, NULL, I2(1, 1), NULL, 1);
    CHECK_OK(y);
    double *xv = tt_values(x), *wv = tt_values(w), *yv = tt_values(y);
    double maxerr = 0;
    for (int n = 0; n < 2; n++)
        for (int o = 0; o < 2; o++)
            for (int h = 0; h < 40; h += 7)
                for (int ww = 0; ww < 40; ww += 3) {
                    double s = 0;
                    for (int c = 0; c < 3; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                int ih = h - 1 + i, iw = ww - 1 + j;
                                if (ih < 0 || ih >= 40 || iw < 0 || iw >= 40) continue;
                                s += xv[((n * 3 + c) * 40 + ih) * 40 + iw] * wv[((o * 3 + c) * 3 + i) * 3 + j];
                            }
                    double e = fabs(s - yv[((n * 2 + o) * 40 + h) * 40 + ww]);
                    if (e > maxerr) maxerr = e;
                }
    free(xv), free(wv), free(yv);
    CHECK(maxerr < 1e-5);
}

TEST(conv2d, errors) {
    ct_tensor *x = RND(1, 2, 4, 8, 8);
    CHECK_ERR(ct_conv2d(x, RND(2, 8, 3, 3, 3), NULL, NULL, NULL, NULL, 1),
              "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 "
              "channels, but got 4 channels instead");
    CHECK_ERR(ct_conv2d(x, RND(2, 8, 2, 3, 3), NULL, NULL, NULL, NULL, 3),
              "Given groups=3, expected weight to be divisible by 3 at dimension 0");
    CHECK_ERR(ct_conv2d(x, RND(2, 6, 2, 3, 3), RND(3, 5), NULL, NULL, NULL, 2),
              "Given weight of size [6, 2, 3, 3], expected bias to be 1-dimensional with 6 "
              "elements, but got bias of size [5] instead");
    CHECK_ERR(ct_conv2d(RND(1, 2, 4, 2, 2), RND(2, 8, 4, 3, 3), NULL, NULL, NULL, NULL, 1),
              "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3)");
    CHECK_ERR(ct_conv2d(RND64(1, 2, 4, 8, 8), RND(2, 8, 4, 3, 3), NULL, NULL, NULL, NULL, 1),
              "expected scalar type Double but found Float");
    CHECK_ERR(ct_conv2d(RND(1, 4, 8), RND(2, 8, 4, 3, 3), NULL, NULL, NULL, NULL, 1),
              "Expected 3D (unbatched) or 4D (batched) input to conv2d");
    CHECK_ERR(ct_conv2d(x, RND(2, 8, 4, 3, 3), NULL, I2(0, 1), NULL, NULL, 1),
              "non-positive stride");
    CHECK_ERR(ct_conv2d_mode(x, RND(2, 8, 4, 3, 3), NULL, NULL, "full", NULL, 1),
              "Invalid padding string 'full'");
}

TEST(conv1d, values) {
    ct_tensor *x = RND(30, 2, 4, 10);
    CHECK_REF(ct_conv1d(x, RND(31, 6, 2, 3), RND(32, 6), 2, 1, 1, 2), conv1d_a, 1e-5);
    CHECK_REF(ct_conv1d_mode(x, RND(33, 3, 4, 4), NULL, 1, "same", 2, 1), conv1d_same, 1e-5);
    CHECK_ERR(ct_conv1d(x, RND(31, 6, 3, 3), NULL, 1, 0, 1, 1),
              "Given groups=1, weight of size [6, 3, 1, 3], expected input[2, 4, 1, 10] to have 3 channels");
    CHECK_ERR(ct_conv1d(x, RND(31, 6, 4, 3, 3), NULL, 1, 0, 1, 1),
              "conv1d: Expected 3-dimensional weight");
}

TEST(max_pool2d, values_and_indices) {
    ct_tensor *x = RND(40, 2, 3, 9, 8), *idx = NULL;
    ct_tensor *o = ct_max_pool2d(x, I2(3, 2), I2(2, 2), I2(1, 1), NULL, false, &idx);
    CHECK_REF(o, maxpool_a, 0);
    CHECK(idx && idx->dtype == CT_INT64);
    CHECK_REF(idx, maxpool_a_idx, 0);
    o = ct_max_pool2d(x, I2(3, 3), I2(2, 2), I2(1, 0), I2(2, 1), true, &idx);
    CHECK_REF(o, maxpool_b, 0);
    CHECK_REF(idx, maxpool_b_idx, 0);
    ct_tensor *xn = ct_transpose(RND64(41, 3, 8, 9), 1, 2);
    o = ct_max_pool2d(xn, I2(2, 2), NULL, NULL, NULL, false, &idx);
    CHECK_REF(o, maxpool_nc, 0);
    CHECK_REF(idx, maxpool_nc_idx, 0);
    CHECK_REF(ct_max_pool2d(x, I2(3, 2), I2(2, 2), I2(1, 1), NULL, false, NULL), maxpool_a, 0);
}

TEST(max_pool2d, errors) {
    ct_tensor *x = RND(1, 2, 4, 8, 8);
    CHECK_ERR(ct_max_pool2d(x, I2(3, 3), NULL, I2(2, 2), NULL, false, NULL),
              "pad should be at most half of kernel size, but got pad=2 and kernel_size=3");
    CHECK_ERR(ct_max_pool2d(RND(1, 2, 4, 2, 2), I2(3, 3), NULL, NULL, NULL, false, NULL),
              "Given input size: (4x2x2). Calculated output size: (4x0x0). Output size is too small");
    CHECK_ERR(ct_max_pool2d(RND(1, 8, 8), I2(2, 2), NULL, NULL, NULL, false, NULL),
              "3D or 4D (batch mode) tensor expected");
    CHECK_ERR(ct_max_pool2d(ct_ones(SHAPE(1, 2, 4, 4), 4, CT_INT64), I2(2, 2), NULL, NULL, NULL,
                            false, NULL),
              "not implemented for 'Long'");
}

TEST(avg_pool2d, values) {
    ct_tensor *x = RND(40, 2, 3, 9, 8);
    CHECK_REF(ct_avg_pool2d(x, I2(3, 3), I2(2, 2), I2(1, 1), true, false, 0), avgpool_a, 1e-6);
    CHECK_REF(ct_avg_pool2d(x, I2(3, 2), I2(2, 3), I2(1, 1), false, true, 0), avgpool_b, 1e-6);
    CHECK_REF(ct_avg_pool2d(x, I2(2, 2), I2(2, 2), I2(1, 1), false, true, 3), avgpool_c, 1e-6);
    CHECK_ERR(ct_avg_pool2d(x, I2(3, 3), NULL, I2(2, 2), false, true, 0),
              "pad should be at most half of kernel size");
}

TEST(adaptive_avg_pool2d, values) {
    ct_tensor *x = RND(50, 2, 3, 9, 7);
    CHECK_REF(ct_adaptive_avg_pool2d(x, I2(4, 3)), adaptive_a, 1e-6);
    CHECK_REF(ct_adaptive_avg_pool2d(x, I2(1, 1)), adaptive_b, 1e-6);
    CHECK_REF(ct_adaptive_avg_pool2d(x, I2(10, 7)), adaptive_c, 1e-6);
    CHECK_ERR(ct_adaptive_avg_pool2d(RND(1, 5), I2(1, 1)), "3D or 4D");
}

TEST(softmax, values) {
    ct_tensor *x = tt_rand(SHAPE(3, 4, 5), 3, CT_FLOAT32, -50, 50, 60);
    CHECK_REF(ct_softmax(x, 1), softmax_d1, 1e-5);
    CHECK_REF(ct_softmax(x, -1), softmax_dl, 1e-5);
    ct_tensor *xd = ct_t(tt_rand(SHAPE(6, 7), 2, CT_FLOAT64, -3, 3, 61));
    CHECK_REF(ct_softmax(xd, 0), softmax_nc, 1e-12);
    ct_tensor *s = ct_softmax(ct_scalar_tensor(3.0, CT_FLOAT32), 0);
    CHECK_OK(s);
    CHECK(s->ndim == 0 && ct_item_at(s, 0) == 1.0);
    CHECK_ERR(ct_softmax(x, 3), "out of range");
    CHECK_ERR(ct_softmax(ct_ones(SHAPE(4), 1, CT_INT64), 0),
              "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'");
    CHECK(ct_last_error_kind() == CT_ERR_RUNTIME); /* PyTorch: RuntimeError */
    CHECK_ERR(ct_softmax(ct_ones(SHAPE(2, 4), 2, CT_INT64), 0),
              "\"softmax_kernel_impl\" not implemented for 'Long'");
    CHECK_ERR(ct_log_softmax(ct_ones(SHAPE(2, 4), 2, CT_BOOL), -1),
              "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Bool'");
    CHECK(ct_last_error_kind() == CT_ERR_RUNTIME);
    /* Large rows above the grain: each row sums to one. */
    ct_tensor *big = tt_rand(SHAPE(300, 200), 2, CT_FLOAT32, -100, 100, 62);
    ct_tensor *sum = ct_sum_dims(ct_softmax(big, 1), (int[]){1}, 1, false, -1);
    CHECK_OK(sum);
    for (int i = 0; i < 300; i++) CHECK_CLOSE(ct_item_at(sum, i), 1.0, 1e-5);
}

TEST(log_softmax, values) {
    ct_tensor *x = tt_rand(SHAPE(3, 4, 5), 3, CT_FLOAT32, -50, 50, 60);
    CHECK_REF(ct_log_softmax(x, 0), log_softmax_d0, 1e-5);
    CHECK_REF(ct_log_softmax(x, -1), log_softmax_dl, 1e-5);
    ct_tensor *xd = ct_t(tt_rand(SHAPE(6, 7), 2, CT_FLOAT64, -3, 3, 61));
    CHECK_REF(ct_log_softmax(xd, 1), log_softmax_nc, 1e-12);
    ct_tensor *e = ct_log_softmax(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), 1);
    CHECK_OK(e);
    CHECK(e->numel == 0);
}

TEST(dropout, statistics) {
    ct_tensor *x = tt_rand(SHAPE(200, 250), 2, CT_FLOAT32, 1, 2, 90);
    ct_manual_seed(7);
    ct_tensor *y = ct_dropout(x, 0.3, true, NULL);
    CHECK_OK(y);
    int64_t zeros = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        double a = ct_item_at(x, i), b = ct_item_at(y, i);
        if (b == 0) zeros++;
        else CHECK_CLOSE(b, a / 0.7, 1e-6);
    }
    CHECK(fabs((double)zeros / (double)x->numel - 0.3) < 0.01);
    ct_tensor *ev = ct_dropout(x, 0.3, false, NULL);
    CHECK_OK(ev);
    CHECK(ct_data_ptr(ev) == ct_data_ptr(x));
    ct_tensor *all = ct_dropout(x, 1.0, true, NULL);
    CHECK_OK(all);
    for (int64_t i = 0; i < 100; i++) CHECK(ct_item_at(all, i) == 0);
    CHECK_ERR(ct_dropout(x, 1.5, true, NULL),
              "dropout probability has to be between 0 and 1, but got 1.5");
}

TEST(batch_norm, train_eval) {
    ct_tensor *x = tt_rand(SHAPE(4, 3, 5, 2), 4, CT_FLOAT32, -2, 3, 70);
    ct_tensor *w = tt_rand(SHAPE(3), 1, CT_FLOAT32, 0.5, 1.5, 71);
    ct_tensor *b = RND(72, 3);
    ct_tensor *rm = ct_zeros(SHAPE(3), 1, CT_FLOAT32), *rv = ct_ones(SHAPE(3), 1, CT_FLOAT32);
    CHECK_REF(ct_batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5), bn_train, 1e-5);
    CHECK_REF(rm, bn_train_rm, 1e-6);
    CHECK_REF(rv, bn_train_rv, 1e-6);
    rm = RND(73, 3);
    rv = tt_rand(SHAPE(3), 1, CT_FLOAT32, 0.5, 2, 74);
    CHECK_REF(ct_batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5), bn_eval, 1e-5);
    ct_tensor *x2 = tt_rand(SHAPE(6, 3), 2, CT_FLOAT32, -2, 3, 75);
    CHECK_REF(ct_batch_norm(x2, NULL, NULL, NULL, NULL, true, 0.1, 1e-3), bn_2d, 1e-5);
    CHECK_ERR(ct_batch_norm(RND(1, 1, 3), NULL, NULL, NULL, NULL, true, 0.1, 1e-5),
              "Expected more than 1 value per channel when training, got input size "
              "torch.Size([1, 3])");
    CHECK_ERR(ct_batch_norm(x, NULL, NULL, NULL, NULL, false, 0.1, 1e-5),
              "must be defined in evaluation mode");
    CHECK_ERR(ct_batch_norm(x, RND(1, 4), NULL, NULL, NULL, true, 0.1, 1e-5),
              "running_mean should contain 3 elements not 4");
}

TEST(layer_norm, values) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32, -2, 3, 80);
    ct_tensor *w = tt_rand(SHAPE(4, 5), 2, CT_FLOAT32, 0.5, 1.5, 81), *b = RND(82, 4, 5);
    CHECK_REF(ct_layer_norm(x, SHAPE(4, 5), 2, w, b, 1e-5), ln_a, 1e-5);
    CHECK_REF(ct_layer_norm(x, SHAPE(5), 1, NULL, NULL, 1e-3), ln_b, 1e-5);
    CHECK_ERR(ct_layer_norm(RND(1, 2, 3, 5), SHAPE(4), 1, NULL, NULL, 1e-5),
              "Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
              "size[2, 3, 5]");
    CHECK_ERR(ct_layer_norm(x, SHAPE(5), 1, RND(1, 4), NULL, 1e-5),
              "Expected weight to be of same shape as normalized_shape");
}
