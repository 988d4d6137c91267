/* The fused recurrent layers with an LSTM projection (w_hr) and per-step
 * batch sizes (ct_recurrent_layer, include/ctorch/rnn.h): values against a
 * double-precision reference written here (the LSTM gate equations, the
 * projection, rows that stop or start with their length), both directions;
 * gradcheck and gradgradcheck (second order through the composed
 * derivative); the fused backward against the composed one; errors. The
 * values against PyTorch's nn.LSTM(proj_size) and packed sequences are in
 * tests/python/test_rnn_packed.py. */
#include "harness.h"
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sg(double v) { return 1 / (1 + exp(-v)); }

/* One direction of an LSTM with projection over rows of lengths len[b]
 * (rows take steps t < len[b]); gi [T, B, 4H], h0 [B, R], c0 [B, H], w
 * [4H, R], wr [R, H] (NULL: R = H, no projection). hs [T, B, R] holds each
 * row's state after step t (its carried state where it takes no step). */
static void ref_lstm(bool reverse, int64_t T, int64_t B, int64_t H, int64_t R, const int64_t *len, const double *gi,
                     const double *h0, const double *c0, const double *w, const double *wr, double *hs, double *cn) {
    double *gh = malloc(sizeof(double) * (size_t)(4 * H + 2 * H + R)), *c = gh + 4 * H, *cell = c + H, *h = cell + H;
    for (int64_t b = 0; b < B; b++) {
        memcpy(h, h0 + b * R, sizeof(double) * (size_t)R);
        memcpy(c, c0 + b * H, sizeof(double) * (size_t)H);
        for (int64_t s = 0; s < T; s++) {
            int64_t t = reverse ? T - 1 - s : s;
            if (t < len[b]) {
                const double *x = gi + (t * B + b) * 4 * H;
                for (int64_t r = 0; r < 4 * H; r++) {
                    gh[r] = 0;
                    for (int64_t k = 0; k < R; k++) gh[r] += w[r * R + k] * h[k];
                }
                for (int64_t j = 0; j < H; j++) {
                    double i = sg(x[j] + gh[j]), f = sg(x[H + j] + gh[H + j]);
                    double g = tanh(x[2 * H + j] + gh[2 * H + j]), o = sg(x[3 * H + j] + gh[3 * H + j]);
                    c[j] = f * c[j] + i * g;
                    cell[j] = o * tanh(c[j]);
                }
                for (int64_t k = 0; k < R; k++) {
                    if (!wr) {
                        h[k] = cell[k];
                        continue;
                    }
                    h[k] = 0;
                    for (int64_t j = 0; j < H; j++) h[k] += wr[k * H + j] * cell[j];
                }
            }
            memcpy(hs + (t * B + b) * R, h, sizeof(double) * (size_t)R);
        }
        memcpy(cn + b * H, c, sizeof(double) * (size_t)H);
    }
    free(gh);
}

TEST(lstm_layer, projection_and_batch_sizes_match_reference) {
    int64_t T = 4, B = 3, H = 3, R = 2;
    const int64_t bs[4] = {3, 2, 2, 1}, len[3] = {4, 3, 1};
    for (int k = 0; k < 8; k++) {
        bool reverse = k & 1, proj = k & 2, packed = k & 4;
        int64_t Rk = proj ? R : H;
        ct_dtype dt = k == 7 ? CT_FLOAT32 : CT_FLOAT64;
        ct_tensor *gi = tt_rand(SHAPE(T, B, 4 * H), 3, dt, -1.5, 1.5, 1), *h0 = tt_rand(SHAPE(B, Rk), 2, dt, -1, 1, 2);
        ct_tensor *c0 = tt_rand(SHAPE(B, H), 2, dt, -1, 1, 3), *w = tt_rand(SHAPE(4 * H, Rk), 2, dt, -0.8, 0.8, 4);
        ct_tensor *wr = proj ? tt_rand(SHAPE(R, H), 2, dt, -1, 1, 5) : NULL, *hs, *cn;
        CHECK(ct_recurrent_layer(CT_RNN_LSTM, gi, h0, c0, w, NULL, wr, packed ? bs : NULL, reverse, &hs, &cn) == 0);
        double *v[6] = {tt_values(gi), tt_values(h0), tt_values(c0), tt_values(w), wr ? tt_values(wr) : NULL};
        double ehs[4 * 3 * 3], ecn[3 * 3];
        const int64_t full[3] = {4, 4, 4};
        ref_lstm(reverse, T, B, H, Rk, packed ? len : full, v[0], v[1], v[2], v[3], v[4], ehs, ecn);
        double tol = dt == CT_FLOAT32 ? 1e-5 : 1e-12;
        CHECK_TENSOR(hs, SHAPE(T, B, Rk), 3, ehs, tol);
        CHECK_TENSOR(cn, SHAPE(B, H), 2, ecn, tol);
        for (int i = 0; i < 5; i++) free(v[i]);
    }
}

/* A packed run equals each row run alone over its own steps (GRU, RNN). */
TEST(gru_layer, batch_sizes_equal_rows_run_alone) {
    int64_t T = 4, B = 3, H = 2;
    const int64_t bs[4] = {3, 3, 1, 1}, len[3] = {4, 2, 2};
    for (int m = 0; m < 4; m++) {
        ct_rnn_mode mode = m < 2 ? CT_RNN_GRU : CT_RNN_TANH;
        bool reverse = m & 1;
        int64_t G = mode == CT_RNN_GRU ? 3 : 1;
        ct_tensor *gi = tt_rand(SHAPE(T, B, G * H), 3, CT_FLOAT64, -1.5, 1.5, 7);
        ct_tensor *h0 = tt_rand(SHAPE(B, H), 2, CT_FLOAT64, -1, 1, 8), *w = tt_rand(SHAPE(G * H, H), 2, CT_FLOAT64, -1, 1, 9);
        ct_tensor *bias = tt_rand(SHAPE(G * H), 1, CT_FLOAT64, -1, 1, 10), *hs;
        CHECK(ct_recurrent_layer(mode, gi, h0, NULL, w, bias, NULL, bs, reverse, &hs, NULL) == 0);
        for (int64_t b = 0; b < B; b++) {
            ct_tensor *gib = ct_narrow(ct_narrow(gi, 1, b, 1), 0, 0, len[b]), *hb;
            CHECK(ct_recurrent_layer(mode, gib, ct_narrow(h0, 0, b, 1), NULL, w, bias, NULL, NULL, reverse, &hb,
                                     NULL) == 0);
            double *want = tt_values(hb), *got = tt_values(ct_narrow(ct_narrow(hs, 1, b, 1), 0, 0, len[b]));
            for (int64_t k = 0; k < len[b] * H; k++) CHECK_CLOSE(got[k], want[k], 1e-13);
            /* after (forward) or before (reverse) its steps a row holds its state */
            double *rest = tt_values(ct_select(ct_select(hs, 1, b), 0, T - 1));
            double *h0v = tt_values(ct_select(h0, 0, b));
            const double *expect = reverse ? h0v : want + (len[b] - 1) * H;
            if (!reverse || len[b] < T)
                for (int64_t k = 0; k < H; k++) CHECK_CLOSE(rest[k], expect[k], 0);
            free(h0v);
            free(want);
            free(got);
            free(rest);
        }
    }
}

/* gradcheck + gradgradcheck over {gi, h0, c0, w_hh, b_hh, w_hr} */
static bool g_rev, g_packed;
static ct_rnn_mode g_mode;
static const int64_t g_bs[3] = {3, 2, 1};
static ct_tensor *flat(ct_tensor *t) { return ct_reshape(t, SHAPE(-1), 1); }
static ct_tensor *f_layer(ct_tensor *const *v, int n, void *ctx) {
    ct_tensor *hs, *cn = NULL;
    bool lstm = g_mode == CT_RNN_LSTM;
    if (ct_recurrent_layer(g_mode, v[0], v[1], lstm ? v[2] : NULL, v[lstm ? 3 : 2], v[lstm ? 4 : 3],
                           lstm && n > 5 ? v[5] : NULL, g_packed ? g_bs : NULL, g_rev, &hs, &cn) < 0)
        return NULL;
    return cn ? ct_cat((const ct_tensor *const *)(ct_tensor *[]){flat(hs), flat(cn)}, 2, 0) : hs;
}

static int grad_case(ct_rnn_mode mode, bool reverse, bool packed, bool proj) {
    int64_t T = 3, B = 3, H = 3, R = proj ? 2 : H, G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1;
    g_mode = mode;
    g_rev = reverse;
    g_packed = packed;
    ct_tensor *in[6];
    int k = 0;
    in[k++] = rleaf(SHAPE(T, B, G * H), 3, -1.5, 1.5, 11);
    in[k++] = rleaf(SHAPE(B, R), 2, -1, 1, 12);
    if (mode == CT_RNN_LSTM) in[k++] = rleaf(SHAPE(B, H), 2, -1, 1, 13);
    in[k++] = rleaf(SHAPE(G * H, R), 2, -0.8, 0.8, 14);
    in[k++] = rleaf(SHAPE(G * H), 1, -0.5, 0.5, 15);
    if (proj) in[k++] = rleaf(SHAPE(R, H), 2, -1, 1, 16);
    return checks(f_layer, in, k);
}

TEST(grad_lstm_layer, projection_and_batch_sizes_gradcheck_gradgradcheck) {
    for (int k = 0; k < 8; k++)
        if (k & 6) CHECK(grad_case(CT_RNN_LSTM, k & 1, k & 2, k & 4) == 0);
}
TEST(grad_gru_layer, batch_sizes_gradcheck_gradgradcheck) {
    for (int k = 0; k < 2; k++) CHECK(grad_case(CT_RNN_GRU, k, true, false) == 0);
}
TEST(grad_rnn_layer, batch_sizes_gradcheck_gradgradcheck) {
    for (int k = 0; k < 2; k++) CHECK(grad_case(k ? CT_RNN_RELU : CT_RNN_TANH, k, true, false) == 0);
}

/* The fused backward (no create_graph) and the composed one (create_graph)
 * agree with a projection and batch sizes. */
TEST(grad_lstm_layer, projection_batch_sizes_fused_equals_composed) {
    int64_t T = 4, B = 3, H = 4, R = 2;
    const int64_t bs[4] = {3, 3, 2, 1};
    for (int rev = 0; rev < 2; rev++) {
        double *first[6] = {NULL};
        for (int cg = 0; cg < 2; cg++) {
            ct_tensor *in[6] = {rleaf(SHAPE(T, B, 4 * H), 3, -1, 1, 21), rleaf(SHAPE(B, R), 2, -1, 1, 22),
                                rleaf(SHAPE(B, H), 2, -1, 1, 23), rleaf(SHAPE(4 * H, R), 2, -0.5, 0.5, 24),
                                rleaf(SHAPE(4 * H), 1, -0.5, 0.5, 25), rleaf(SHAPE(R, H), 2, -0.5, 0.5, 26)};
            ct_tensor *hs, *cn;
            CHECK(ct_recurrent_layer(CT_RNN_LSTM, in[0], in[1], in[2], in[3], in[4], in[5], bs, rev, &hs, &cn) == 0);
            ct_tensor *k = tt_rand(SHAPE(T, B, R), 3, CT_FLOAT64, -1, 1, 27);
            ct_tensor *loss = ct_add(ct_sum(ct_mul(hs, k)), ct_sum(ct_mul(cn, cn)));
            CHECK(ct_backward(loss, NULL, false, cg == 1, NULL, 0) == 0);
            for (int i = 0; i < 6; i++) {
                ct_tensor *g = ct_tensor_grad(in[i]);
                CHECK(g);
                if (cg == 0) {
                    first[i] = tt_values(g);
                } else {
                    CHECK_TENSOR(g, g->sizes, g->ndim, first[i], 1e-12);
                    free(first[i]);
                }
            }
            if (cg == 1)
                for (int i = 0; i < 6; i++) CHECK(ct_set_grad(in[i], NULL) == 0);
        }
    }
}

TEST(lstm_layer, projection_and_batch_sizes_errors) {
    ct_tensor *gi = tt_rand(SHAPE(2, 3, 12), 3, CT_FLOAT64, -1, 1, 1), *h = tt_rand(SHAPE(3, 2), 2, CT_FLOAT64, -1, 1, 2);
    ct_tensor *c = tt_rand(SHAPE(3, 3), 2, CT_FLOAT64, -1, 1, 2), *w = tt_rand(SHAPE(12, 2), 2, CT_FLOAT64, -1, 1, 3);
    ct_tensor *wr = tt_rand(SHAPE(2, 3), 2, CT_FLOAT64, -1, 1, 4), *hs, *cn;
    CHECK(ct_recurrent_layer(CT_RNN_LSTM, gi, h, c, w, NULL, wr, NULL, false, &hs, &cn) == 0);
#define ERR(expr, msg) CHECK_ERR((expr) < 0 ? NULL : hs, msg)
    ERR(ct_recurrent_layer(CT_RNN_LSTM, gi, h, c, w, NULL, tt_rand(SHAPE(3, 3), 2, CT_FLOAT64, -1, 1, 4), NULL, false,
                           &hs, &cn), "expected w_hr of shape [proj_size, hidden]");
    ERR(ct_recurrent_layer(CT_RNN_GRU, gi, h, NULL, w, NULL, wr, NULL, false, &hs, NULL), "only for LSTM");
    ERR(ct_recurrent_layer(CT_RNN_LSTM, gi, h, c, w, NULL, wr, (const int64_t[]){3, 4}, false, &hs, &cn),
        "batch_sizes must be non-increasing values in [0, 3], got 4 at step 1");
    ERR(ct_recurrent_layer(CT_RNN_LSTM, gi, h, h, w, NULL, wr, NULL, false, &hs, &cn), "expected c0 of shape [3, 3]");
    ERR(ct_recurrent_layer(CT_RNN_LSTM, gi, h, c, w, NULL, ct_to_dtype(wr, CT_FLOAT32, false), NULL, false, &hs, &cn),
        "expected w_hr to have dtype float64");
#undef ERR
}
