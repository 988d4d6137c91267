/* The fused recurrent layers (ops lstm_layer, gru_layer, rnn_layer of
 * include/ctorch/def/rnn.def): values against a double-precision reference
 * written here from the gate equations, in both directions, with and
 * without b_hh, float32 and float64, non-contiguous inputs; gradients with
 * gradcheck and gradgradcheck (the second order runs the composed
 * derivative); the fast backward against the composed one; error paths. */
#include "harness.h"
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sg(double v) { return 1 / (1 + exp(-v)); }

/* hs [T, B, H] (and c_n [B, H]) of one direction from gi [T, B, G*H]. */
static void ref_layer(ct_rnn_mode mode, bool reverse, int64_t T, int64_t B, int64_t H, const double *gi,
                      const double *h0, const double *c0, const double *w, const double *bias, double *hs,
                      double *cn) {
    int64_t G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1, GH = G * H;
    double *gh = malloc(sizeof(double) * (size_t)(GH + 2 * H)), *h = gh + GH, *c = h + H;
    for (int64_t b = 0; b < B; b++) {
        memcpy(h, h0 + b * H, sizeof(double) * (size_t)H);
        if (c0) memcpy(c, c0 + b * H, sizeof(double) * (size_t)H);
        for (int64_t s = 0; s < T; s++) {
            int64_t t = reverse ? T - 1 - s : s;
            const double *x = gi + (t * B + b) * GH;
            for (int64_t r = 0; r < GH; r++) {
                gh[r] = bias ? bias[r] : 0;
                for (int64_t k = 0; k < H; k++) gh[r] += w[r * H + k] * h[k];
            }
            for (int64_t j = 0; j < H; j++) {
                if (mode == CT_RNN_TANH) h[j] = tanh(x[j] + gh[j]);
                else if (mode == CT_RNN_RELU) h[j] = fmax(0, x[j] + gh[j]);
                else if (mode == CT_RNN_LSTM) {
                    double i = sg(x[j] + gh[j]), f = sg(x[H + j] + gh[H + j]);
                    double g = tanh(x[2 * H + j] + gh[2 * H + j]), o = sg(x[3 * H + j] + gh[3 * H + j]);
                    c[j] = f * c[j] + i * g;
                    h[j] = o * tanh(c[j]);
                } else {
                    double r = sg(x[j] + gh[j]), z = sg(x[H + j] + gh[H + j]);
                    double n = tanh(x[2 * H + j] + r * gh[2 * H + j]);
                    h[j] = (1 - z) * n + z * h[j];
                }
            }
            memcpy(hs + (t * B + b) * H, h, sizeof(double) * (size_t)H);
        }
        if (cn) memcpy(cn + b * H, c, sizeof(double) * (size_t)H);
    }
    free(gh);
}

/* Runs the op (gi transposed from [B, T, G*H] when strided) and compares
 * with the reference. H = 19 leaves vector tails in every row. */
static int check_layer(ct_rnn_mode mode, bool reverse, bool bias, ct_dtype dt, bool strided) {
    int64_t T = 4, B = 3, H = 19, G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1;
    bool lstm = mode == CT_RNN_LSTM;
    ct_tensor *gi = strided ? ct_transpose(tt_rand(SHAPE(B, T, G * H), 3, dt, -2, 2, 1), 0, 1)
                            : tt_rand(SHAPE(T, B, G * H), 3, dt, -2, 2, 1);
    ct_tensor *h0 = tt_rand(SHAPE(B, H), 2, dt, -1, 1, 2), *c0 = tt_rand(SHAPE(B, H), 2, dt, -1, 1, 3);
    ct_tensor *w = tt_rand(SHAPE(G * H, H), 2, dt, -0.4, 0.4, 4);
    ct_tensor *b = bias ? tt_rand(SHAPE(G * H), 1, dt, -0.5, 0.5, 5) : NULL;
    ct_tensor *hs = NULL, *cn = NULL;
    if (lstm) {
        if (ct_lstm_layer(gi, h0, c0, w, b, reverse, &hs, &cn) < 0) return -1;
    } else if (mode == CT_RNN_GRU) {
        hs = ct_gru_layer(gi, h0, w, b, reverse);
    } else {
        hs = ct_rnn_layer(gi, h0, w, b, mode == CT_RNN_RELU, reverse);
    }
    if (!hs) return -1;
    double *vg = tt_values(gi), *vh = tt_values(h0), *vc = tt_values(c0), *vw = tt_values(w);
    double *vb = b ? tt_values(b) : NULL;
    double *rh = malloc(sizeof(double) * (size_t)(T * B * H)), *rc = malloc(sizeof(double) * (size_t)(B * H));
    ref_layer(mode, reverse, T, B, H, vg, vh, lstm ? vc : NULL, vw, vb, rh, lstm ? rc : NULL);
    double tol = dt == CT_FLOAT32 ? 2e-6 : 1e-13;
    int r = tt_expect(__FILE__, __LINE__, hs, SHAPE(T, B, H), 3, rh, tol);
    if (r == 0 && lstm) r = tt_expect(__FILE__, __LINE__, cn, SHAPE(B, H), 2, rc, tol);
    free(vg), free(vh), free(vc), free(vw), free(vb), free(rh), free(rc);
    return r;
}

static void check_all(ct_rnn_mode mode) {
    ct_dtype dts[2] = {CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 16; k++)
        CHECK(check_layer(mode, k & 1, k & 2, dts[(k >> 2) & 1], k & 8) == 0);
}

TEST(lstm_layer, matches_reference_both_directions_dtypes_bias_strides) { check_all(CT_RNN_LSTM); }
TEST(gru_layer, matches_reference_both_directions_dtypes_bias_strides) { check_all(CT_RNN_GRU); }
TEST(rnn_layer, tanh_and_relu_match_reference) {
    check_all(CT_RNN_TANH);
    check_all(CT_RNN_RELU);
}

TEST(lstm_layer, one_step_empty_batch_and_no_grad) {
    ct_tensor *hs, *cn;
    ct_tensor *gi = tt_rand(SHAPE(1, 0, 8), 3, CT_FLOAT32, -1, 1, 1);
    ct_tensor *z = tt_rand(SHAPE(0, 2), 2, CT_FLOAT32, -1, 1, 2), *w = tt_rand(SHAPE(8, 2), 2, CT_FLOAT32, -1, 1, 3);
    CHECK(ct_lstm_layer(gi, z, z, w, NULL, false, &hs, &cn) == 0);
    CHECK(hs->ndim == 3 && hs->sizes[0] == 1 && hs->sizes[1] == 0 && hs->sizes[2] == 2);
    CHECK(cn->ndim == 2 && cn->sizes[0] == 0);
    /* under no_grad nothing is recorded */
    ct_tensor *g2 = rleaf(SHAPE(2, 1, 8), 3, -1, 1, 4), *h0 = tt_rand(SHAPE(1, 2), 2, CT_FLOAT64, -1, 1, 5);
    ct_tensor *w2 = tt_rand(SHAPE(8, 2), 2, CT_FLOAT64, -1, 1, 6);
    ct_grad_mode m = ct_no_grad_begin();
    int rc = ct_lstm_layer(g2, h0, h0, w2, NULL, true, &hs, &cn);
    ct_grad_mode_end(m);
    CHECK(rc == 0 && !hs->requires_grad && !cn->requires_grad);
    CHECK(ct_lstm_layer(g2, h0, h0, w2, NULL, true, &hs, &cn) == 0);
    CHECK(hs->requires_grad && cn->requires_grad && ct_grad_fn(hs) == ct_grad_fn(cn));
    CHECK(strcmp(ct_node_name(ct_grad_fn(hs)), "LstmLayerBackward0") == 0);
}

TEST(lstm_layer, errors) {
    ct_tensor *gi = tt_rand(SHAPE(2, 3, 8), 3, CT_FLOAT32, -1, 1, 1), *h = tt_rand(SHAPE(3, 2), 2, CT_FLOAT32, -1, 1, 2);
    ct_tensor *w = tt_rand(SHAPE(8, 2), 2, CT_FLOAT32, -1, 1, 3), *hs, *cn;
    ct_tensor *hd = tt_rand(SHAPE(3, 2), 2, CT_FLOAT64, -1, 1, 2);
#define LSTM_ERR(a, b, c, d, e, msg) CHECK_ERR(ct_lstm_layer(a, b, c, d, e, false, &hs, &cn) < 0 ? NULL : hs, msg)
    LSTM_ERR(gi, h, NULL, w, NULL, "must not be NULL");
    LSTM_ERR(gi, h, h, tt_rand(SHAPE(6, 2), 2, CT_FLOAT32, -1, 1, 3), NULL, "expected w_hh of shape [4*hidden, hidden]");
    LSTM_ERR(tt_rand(SHAPE(2, 3, 6), 3, CT_FLOAT32, -1, 1, 1), h, h, w, NULL, "expected gi of shape");
    LSTM_ERR(tt_rand(SHAPE(0, 3, 8), 3, CT_FLOAT32, -1, 1, 1), h, h, w, NULL, "seq_len >= 1");
    LSTM_ERR(gi, tt_rand(SHAPE(2, 2), 2, CT_FLOAT32, -1, 1, 2), h, w, NULL, "expected h0 of shape [3, 2]");
    LSTM_ERR(gi, h, h, w, tt_rand(SHAPE(4), 1, CT_FLOAT32, -1, 1, 2), "expected b_hh of shape [8]");
    LSTM_ERR(gi, hd, h, w, NULL, "expected h0 to have dtype float32");
    ct_tensor *gi16 = ct_to_dtype(gi, CT_FLOAT16, false), *h16 = ct_to_dtype(h, CT_FLOAT16, false);
    LSTM_ERR(gi16, h16, h16, ct_to_dtype(w, CT_FLOAT16, false), NULL, "not implemented for dtype float16");
    CHECK_ERR(ct_gru_layer(gi, h, w, NULL, false), "expected w_hh of shape [3*hidden, hidden]");
    CHECK_ERR(ct_rnn_layer(gi, h, w, NULL, false, false), "expected w_hh of shape [1*hidden, hidden]");
#undef LSTM_ERR
}

/* gradcheck + gradgradcheck: {gi, h0, [c0,] w_hh, [b_hh]} */
static bool g_reverse, g_relu;
static ct_tensor *flat(ct_tensor *t) { return ct_reshape(t, SHAPE(-1), 1); }
static ct_tensor *f_lstm(ct_tensor *const *v, int n, void *ctx) {
    ct_tensor *hs, *cn;
    if (ct_lstm_layer(v[0], v[1], v[2], v[3], n > 4 ? v[4] : NULL, g_reverse, &hs, &cn) < 0) return NULL;
    return ct_cat((const ct_tensor *const *)(ct_tensor *[]){flat(hs), flat(cn)}, 2, 0);
}
static ct_tensor *f_gru(ct_tensor *const *v, int n, void *ctx) {
    return ct_gru_layer(v[0], v[1], v[2], n > 3 ? v[3] : NULL, g_reverse);
}
static ct_tensor *f_rnn(ct_tensor *const *v, int n, void *ctx) {
    return ct_rnn_layer(v[0], v[1], v[2], n > 3 ? v[3] : NULL, g_relu, g_reverse);
}

static int grad_case(ct_rnn_mode mode, bool reverse, bool bias) {
    int64_t T = 3, B = 2, H = 2, G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1;
    g_reverse = reverse;
    g_relu = mode == CT_RNN_RELU;
    ct_tensor *in[5];
    int k = 0;
    in[k++] = rleaf(SHAPE(T, B, G * H), 3, -1.5, 1.5, 11);
    in[k++] = ncr(B, H, -1, 1, 12);
    if (mode == CT_RNN_LSTM) in[k++] = rleaf(SHAPE(B, H), 2, -1, 1, 13);
    in[k++] = rleaf(SHAPE(G * H, H), 2, -0.8, 0.8, 14);
    if (bias) in[k++] = rleaf(SHAPE(G * H), 1, -0.5, 0.5, 15);
    ct_check_fn f = mode == CT_RNN_LSTM ? f_lstm : mode == CT_RNN_GRU ? f_gru : f_rnn;
    return checks(f, in, k);
}

TEST(grad_lstm_layer, gradcheck_gradgradcheck_both_directions) {
    for (int k = 0; k < 4; k++) CHECK(grad_case(CT_RNN_LSTM, k & 1, k & 2) == 0);
}
TEST(grad_gru_layer, gradcheck_gradgradcheck_both_directions) {
    for (int k = 0; k < 4; k++) CHECK(grad_case(CT_RNN_GRU, k & 1, k & 2) == 0);
}
TEST(grad_rnn_layer, gradcheck_gradgradcheck_tanh_relu) {
    for (int k = 0; k < 4; k++) CHECK(grad_case(k & 2 ? CT_RNN_RELU : CT_RNN_TANH, k & 1, true) == 0);
}

/* The fused backward (no create_graph) and the composed one (create_graph)
 * give the same gradients. */
TEST(grad_lstm_layer, fused_backward_equals_composed_backward) {
    for (int m = 0; m < 3; m++) {
        int64_t T = 5, B = 3, H = 4, G = m == 0 ? 4 : m == 1 ? 3 : 1;
        double *first[5] = {NULL};
        for (int cg = 0; cg < 2; cg++) {
            ct_tensor *in[5] = {rleaf(SHAPE(T, B, G * H), 3, -1, 1, 21), rleaf(SHAPE(B, H), 2, -1, 1, 22),
                                rleaf(SHAPE(B, H), 2, -1, 1, 23), rleaf(SHAPE(G * H, H), 2, -0.5, 0.5, 24),
                                rleaf(SHAPE(G * H), 1, -0.5, 0.5, 25)};
            ct_tensor *hs, *cn = NULL;
            if (m == 0) CHECK(ct_lstm_layer(in[0], in[1], in[2], in[3], in[4], true, &hs, &cn) == 0);
            else if (m == 1) hs = ct_gru_layer(in[0], in[1], in[3], in[4], true);
            else hs = ct_rnn_layer(in[0], in[1], in[3], in[4], false, true);
            CHECK(hs);
            ct_tensor *k = tt_rand(SHAPE(T, B, H), 3, CT_FLOAT64, -1, 1, 26);
            ct_tensor *loss = ct_sum(ct_mul(hs, k));
            if (cn) loss = ct_add(loss, ct_sum(ct_mul(cn, cn)));
            CHECK(ct_backward(loss, NULL, false, cg == 1, NULL, 0) == 0);
            for (int i = 0; i < 5; i++) {
                if (m > 0 && i == 2) continue;
                ct_tensor *g = ct_tensor_grad(in[i]);
                CHECK(g);
                if (cg == 0) {
                    first[i] = tt_values(g);
                } else {
                    CHECK(g->requires_grad);
                    CHECK_TENSOR(g, g->sizes, g->ndim, first[i], 1e-12);
                    free(first[i]);
                }
            }
            /* a create_graph gradient's history holds its leaf: a cycle */
            if (cg == 1)
                for (int i = 0; i < 5; i++) CHECK(ct_set_grad(in[i], NULL) == 0);
        }
    }
}
