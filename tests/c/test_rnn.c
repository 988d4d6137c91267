/* Embedding and recurrent layers (include/ctorch/rnn.h): forward values
 * against a reference written here in double precision with raw loops,
 * gradients with gradcheck / gradgradcheck (float64), error paths. */
#include "harness.h"
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sig(double v) { return 1 / (1 + exp(-v)); }

/* One step of the reference on one batch row: x [I], h [H], c [H] (LSTM). */
static void ref_step(ct_rnn_mode mode, int64_t I, int64_t H, const double *x, double *h, double *c,
                     const double *wih, const double *whh, const double *bih, const double *bhh) {
    int64_t G = mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1;
    double *gi = calloc((size_t)(2 * G * H), sizeof(double)), *gh = gi + G * H;
    for (int64_t r = 0; r < G * H; r++) {
        gi[r] = bih ? bih[r] : 0;
        gh[r] = bhh ? bhh[r] : 0;
        for (int64_t k = 0; k < I; k++) gi[r] += wih[r * I + k] * x[k];
        for (int64_t k = 0; k < H; k++) gh[r] += whh[r * H + k] * h[k];
    }
    for (int64_t j = 0; j < H; j++) {
        if (mode == CT_RNN_TANH) h[j] = tanh(gi[j] + gh[j]);
        else if (mode == CT_RNN_RELU) h[j] = fmax(0, gi[j] + gh[j]);
        else if (mode == CT_RNN_LSTM) {
            double i = sig(gi[j] + gh[j]), f = sig(gi[H + j] + gh[H + j]);
            double g = tanh(gi[2 * H + j] + gh[2 * H + j]), o = sig(gi[3 * H + j] + gh[3 * H + j]);
            c[j] = f * c[j] + i * g;
            h[j] = o * tanh(c[j]);
        } else {
            double r = sig(gi[j] + gh[j]), z = sig(gi[H + j] + gh[H + j]);
            double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
            h[j] = (1 - z) * n + z * h[j];
        }
    }
    free(gi);
}

/* Reference multi-layer (bi)directional layer, time-major x [T, B, I];
 * p: the flat parameters as doubles; h0/c0 [L*D, B, H] (updated into h_n /
 * c_n); out [T, B, D*H]. */
static void ref_forward(ct_rnn_mode mode, int64_t L, int D, int64_t T, int64_t B, int64_t I, int64_t H,
                        const double *x, double *const *p, bool bias, double *h, double *c, double *out) {
    int np = bias ? 4 : 2;
    double *in = malloc(sizeof(double) * (size_t)(T * B * (I > D * H ? I : D * H)));
    memcpy(in, x, sizeof(double) * (size_t)(T * B * I));
    int64_t IN = I;
    for (int64_t l = 0; l < L; l++) {
        for (int d = 0; d < D; d++) {
            double *const *w = p + (l * D + d) * np;
            for (int64_t b = 0; b < B; b++) {
                double *hh = h + ((l * D + d) * B + b) * H, *cc = c + ((l * D + d) * B + b) * H;
                for (int64_t s = 0; s < T; s++) {
                    int64_t t = d ? T - 1 - s : s;
                    ref_step(mode, IN, H, in + (t * B + b) * IN, hh, cc, w[0], w[1], bias ? w[2] : NULL,
                             bias ? w[3] : NULL);
                    for (int64_t j = 0; j < H; j++) out[(t * B + b) * D * H + d * H + j] = hh[j];
                }
            }
        }
        IN = D * H;
        memcpy(in, out, sizeof(double) * (size_t)(T * B * IN));
    }
    free(in);
}

static int64_t gates(ct_rnn_mode m) { return m == CT_RNN_LSTM ? 4 : m == CT_RNN_GRU ? 3 : 1; }

/* Random parameters in PyTorch's flat order (dtype dt). */
static int make_params(ct_rnn_mode mode, int64_t L, int D, int64_t I, int64_t H, bool bias, ct_dtype dt,
                       ct_tensor **p, unsigned seed) {
    int n = 0;
    int64_t G = gates(mode);
    for (int64_t l = 0; l < L; l++)
        for (int d = 0; d < D; d++) {
            int64_t in = l ? D * H : I;
            p[n++] = tt_rand(SHAPE(G * H, in), 2, dt, -0.6, 0.6, seed++);
            p[n++] = tt_rand(SHAPE(G * H, H), 2, dt, -0.6, 0.6, seed++);
            if (bias) {
                p[n++] = tt_rand(SHAPE(G * H), 1, dt, -0.5, 0.5, seed++);
                p[n++] = tt_rand(SHAPE(G * H), 1, dt, -0.5, 0.5, seed++);
            }
        }
    return n;
}

static void check_layer(ct_rnn_mode mode, int64_t L, bool bidir, bool bias, bool batch_first, bool with_h0,
                        ct_dtype dt, double tol) {
    int D = bidir ? 2 : 1;
    int64_t T = 4, B = 3, I = 5, H = 4;
    ct_tensor *p[16];
    int np = make_params(mode, L, D, I, H, bias, dt, p, 11);
    ct_tensor *x = tt_rand(SHAPE(T, B, I), 3, dt, -1, 1, 3);
    ct_tensor *h0 = with_h0 ? tt_rand(SHAPE(L * D, B, H), 3, dt, -1, 1, 4) : NULL;
    ct_tensor *c0 = with_h0 && mode == CT_RNN_LSTM ? tt_rand(SHAPE(L * D, B, H), 3, dt, -1, 1, 5) : NULL;
    ct_tensor *xin = batch_first ? ct_contiguous(ct_transpose(x, 0, 1)) : x;
    ct_tensor *out, *hn, *cn = NULL;
    CHECK(ct_rnn_forward(mode, xin, h0, c0, (const ct_tensor *const *)p, np, bias, L, 0, false, bidir,
                         batch_first, NULL, &out, &hn, &cn) == 0);
    /* reference */
    double *xv = tt_values(x), *pv[16];
    for (int k = 0; k < np; k++) pv[k] = tt_values(p[k]);
    double *h = calloc((size_t)(L * D * B * H), sizeof(double)), *c = calloc((size_t)(L * D * B * H), sizeof(double));
    double *o = calloc((size_t)(T * B * D * H), sizeof(double));
    if (h0) {
        double *v = tt_values(h0);
        memcpy(h, v, sizeof(double) * (size_t)(L * D * B * H));
        free(v);
    }
    if (c0) {
        double *v = tt_values(c0);
        memcpy(c, v, sizeof(double) * (size_t)(L * D * B * H));
        free(v);
    }
    ref_forward(mode, L, D, T, B, I, H, xv, pv, bias, h, c, o);
    ct_tensor *ot = batch_first ? ct_transpose(out, 0, 1) : out;
    int bad = tt_expect(__FILE__, __LINE__, ot, SHAPE(T, B, D * H), 3, o, tol) ||
              tt_expect(__FILE__, __LINE__, hn, SHAPE(L * D, B, H), 3, h, tol) ||
              (mode == CT_RNN_LSTM && tt_expect(__FILE__, __LINE__, cn, SHAPE(L * D, B, H), 3, c, tol));
    free(xv);
    for (int k = 0; k < np; k++) free(pv[k]);
    free(h);
    free(c);
    free(o);
    CHECK(!bad);
    CHECK(mode == CT_RNN_LSTM ? cn != NULL : cn == NULL);
}

TEST(rnn_forward, tanh_relu_match_reference) {
    check_layer(CT_RNN_TANH, 1, false, true, false, false, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_RELU, 2, true, true, true, true, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_TANH, 2, false, false, false, true, CT_FLOAT32, 1e-5);
}
TEST(rnn_forward, lstm_matches_reference) {
    check_layer(CT_RNN_LSTM, 1, false, true, false, false, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_LSTM, 2, true, true, false, true, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_LSTM, 2, true, false, true, true, CT_FLOAT32, 1e-5);
}
TEST(rnn_forward, gru_matches_reference) {
    check_layer(CT_RNN_GRU, 1, false, true, true, true, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_GRU, 2, true, true, false, false, CT_FLOAT64, 1e-12);
    check_layer(CT_RNN_GRU, 1, true, false, false, true, CT_FLOAT32, 1e-5);
}

TEST(rnn_forward, unbatched_input_and_shapes) {
    ct_tensor *pp[8];
    make_params(CT_RNN_LSTM, 1, 2, 3, 2, true, CT_FLOAT64, pp, 1);
    ct_tensor *x = tt_rand(SHAPE(5, 3), 2, CT_FLOAT64, -1, 1, 2);
    ct_tensor *out, *hn, *cn;
    CHECK(ct_rnn_forward(CT_RNN_LSTM, x, NULL, NULL, (const ct_tensor *const *)pp, 8, true, 1, 0, false, true,
                         false, NULL, &out, &hn, &cn) == 0);
    CHECK(out->ndim == 2 && out->sizes[0] == 5 && out->sizes[1] == 4);
    CHECK(hn->ndim == 2 && hn->sizes[0] == 2 && hn->sizes[1] == 2);
    /* same as the batched call with B = 1 */
    ct_tensor *out3, *hn3, *cn3;
    CHECK(ct_rnn_forward(CT_RNN_LSTM, ct_unsqueeze(x, 1), NULL, NULL, (const ct_tensor *const *)pp, 8, true, 1, 0,
                         false, true, false, NULL, &out3, &hn3, &cn3) == 0);
    double *a = tt_values(out3);
    CHECK_TENSOR(out, SHAPE(5, 4), 2, a, 0);
    free(a);
    a = tt_values(cn3);
    CHECK_TENSOR(cn, SHAPE(2, 2), 2, a, 0);
    free(a);
}

TEST(rnn_forward, dropout_between_layers_only_in_training) {
    ct_tensor *p[8];
    int np = make_params(CT_RNN_TANH, 2, 1, 3, 4, true, CT_FLOAT64, p, 7);
    ct_tensor *x = tt_rand(SHAPE(3, 2, 3), 3, CT_FLOAT64, -1, 1, 2);
    ct_tensor *o1, *h1, *o2, *h2, *o3, *h3;
    CHECK(ct_rnn_forward(CT_RNN_TANH, x, NULL, NULL, (const ct_tensor *const *)p, np, true, 2, 0.5, false, false,
                         false, NULL, &o1, &h1, NULL) == 0);
    CHECK(ct_rnn_forward(CT_RNN_TANH, x, NULL, NULL, (const ct_tensor *const *)p, np, true, 2, 0, true, false,
                         false, NULL, &o2, &h2, NULL) == 0);
    double *a = tt_values(o1);
    CHECK_TENSOR(o2, SHAPE(3, 2, 4), 3, a, 0);
    free(a);
    /* p = 1 zeroes the first layer's output: the second layer sees zeros */
    CHECK(ct_rnn_forward(CT_RNN_TANH, x, NULL, NULL, (const ct_tensor *const *)p, np, true, 2, 1, true, false,
                         false, NULL, &o3, &h3, NULL) == 0);
    double *bih = tt_values(p[6]), *bhh = tt_values(p[7]), *whh = tt_values(p[5]);
    double hv[2][4] = {{0}};
    for (int t = 0; t < 3; t++)
        for (int b = 0; b < 2; b++) {
            double nh[4];
            for (int j = 0; j < 4; j++) {
                double s = bih[j] + bhh[j];
                for (int k = 0; k < 4; k++) s += whh[j * 4 + k] * hv[b][k];
                nh[j] = tanh(s);
            }
            memcpy(hv[b], nh, sizeof nh);
        }
    free(bih);
    free(bhh);
    free(whh);
    CHECK_TENSOR(ct_select(h3, 0, 1), SHAPE(2, 4), 2, &hv[0][0], 1e-12);
}

TEST(rnn_forward, errors) {
    ct_tensor *p[4];
    int np = make_params(CT_RNN_GRU, 1, 1, 3, 2, true, CT_FLOAT32, p, 1);
    ct_tensor *x = tt_rand(SHAPE(2, 2, 4), 3, CT_FLOAT32, -1, 1, 2);
    ct_tensor *o, *h;
    const ct_tensor *const *cp = (const ct_tensor *const *)p;
    CHECK(ct_rnn_forward(CT_RNN_GRU, x, NULL, NULL, cp, np, true, 1, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "input.size(-1) must be equal to input_size. Expected 3, got 4"));
    ct_tensor *x4 = tt_rand(SHAPE(1, 2, 2, 3), 4, CT_FLOAT32, -1, 1, 2);
    CHECK(ct_rnn_forward(CT_RNN_GRU, x4, NULL, NULL, cp, np, true, 1, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "Expected input to be 2-D or 3-D but received 4-D tensor"));
    ct_tensor *x3 = tt_rand(SHAPE(2, 2, 3), 3, CT_FLOAT32, -1, 1, 2);
    ct_tensor *hbad = tt_rand(SHAPE(2, 2, 2), 3, CT_FLOAT32, -1, 1, 2);
    CHECK(ct_rnn_forward(CT_RNN_GRU, x3, hbad, NULL, cp, np, true, 1, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "Expected hidden size (1, 2, 2), got [2, 2, 2]"));
    CHECK(ct_rnn_forward(CT_RNN_GRU, x3, NULL, NULL, cp, 3, true, 1, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "expected 4 parameter tensors"));
    ct_tensor *xd = tt_rand(SHAPE(2, 2, 3), 3, CT_FLOAT64, -1, 1, 2);
    CHECK(ct_rnn_forward(CT_RNN_GRU, xd, NULL, NULL, cp, np, true, 1, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "float64"));
    /* LSTM weights given to GRU: the gate count does not match */
    ct_tensor *pl[4];
    make_params(CT_RNN_LSTM, 1, 1, 3, 2, true, CT_FLOAT32, pl, 1);
    CHECK(ct_rnn_forward(CT_RNN_GRU, x3, NULL, NULL, (const ct_tensor *const *)pl, 4, true, 1, 0, false, false,
                         false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "expected weight_ih [3*hidden, input]"));
    CHECK(ct_rnn_forward(CT_RNN_GRU, x3, NULL, NULL, cp, np, true, 0, 0, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(ct_rnn_forward(CT_RNN_GRU, x3, NULL, NULL, cp, np, true, 1, 1.5, false, false, false, NULL, &o, &h, NULL) < 0);
    CHECK(strstr(ct_last_error(), "dropout should be a number in range [0, 1]"));
    /* cells */
    CHECK_ERR(ct_gru_cell(tt_rand(SHAPE(2, 4), 2, CT_FLOAT32, -1, 1, 1), NULL, p[0], p[1], p[2], p[3]),
              "input has inconsistent input_size: got 4 expected 3");
    CHECK_ERR(ct_gru_cell(x3, NULL, p[0], p[1], p[2], p[3]), "Expected input to be 1-D or 2-D");
    CHECK_ERR(ct_gru_cell(tt_rand(SHAPE(2, 3), 2, CT_FLOAT32, -1, 1, 1), tt_rand(SHAPE(3, 2), 2, CT_FLOAT32, -1, 1, 1),
                          p[0], p[1], p[2], p[3]),
              "Expected hidden size");
}

/* ---------------------------------------------------------------- cells */

static void check_cell(ct_rnn_mode mode, bool bias, bool unbatched, bool with_h) {
    int64_t B = 3, I = 4, H = 3;
    ct_tensor *p[4];
    make_params(mode, 1, 1, I, H, bias, CT_FLOAT64, p, 21);
    ct_tensor *x = unbatched ? tt_rand(SHAPE(I), 1, CT_FLOAT64, -1, 1, 1) : tt_rand(SHAPE(B, I), 2, CT_FLOAT64, -1, 1, 1);
    ct_tensor *h0 = !with_h ? NULL : unbatched ? tt_rand(SHAPE(H), 1, CT_FLOAT64, -1, 1, 2)
                                               : tt_rand(SHAPE(B, H), 2, CT_FLOAT64, -1, 1, 2);
    ct_tensor *c0 = !with_h || mode != CT_RNN_LSTM ? NULL
                    : unbatched ? tt_rand(SHAPE(H), 1, CT_FLOAT64, -1, 1, 3)
                                : tt_rand(SHAPE(B, H), 2, CT_FLOAT64, -1, 1, 3);
    const ct_tensor *bi = bias ? p[2] : NULL, *bh = bias ? p[3] : NULL;
    ct_tensor *h = NULL, *c = NULL;
    if (mode == CT_RNN_TANH) h = ct_rnn_tanh_cell(x, h0, p[0], p[1], bi, bh);
    else if (mode == CT_RNN_RELU) h = ct_rnn_relu_cell(x, h0, p[0], p[1], bi, bh);
    else if (mode == CT_RNN_GRU) h = ct_gru_cell(x, h0, p[0], p[1], bi, bh);
    else CHECK(ct_lstm_cell(x, h0, c0, p[0], p[1], bi, bh, &h, &c) == 0);
    CHECK_OK(h);
    int64_t nb = unbatched ? 1 : B;
    double *xv = tt_values(x), *w0 = tt_values(p[0]), *w1 = tt_values(p[1]);
    double *b0 = bias ? tt_values(p[2]) : NULL, *b1 = bias ? tt_values(p[3]) : NULL;
    double *hv = h0 ? tt_values(h0) : calloc((size_t)(nb * H), sizeof(double));
    double *cv = c0 ? tt_values(c0) : calloc((size_t)(nb * H), sizeof(double));
    for (int64_t b = 0; b < nb; b++) ref_step(mode, I, H, xv + b * I, hv + b * H, cv + b * H, w0, w1, b0, b1);
    int bad = unbatched ? tt_expect(__FILE__, __LINE__, h, SHAPE(H), 1, hv, 1e-12)
                        : tt_expect(__FILE__, __LINE__, h, SHAPE(B, H), 2, hv, 1e-12);
    if (mode == CT_RNN_LSTM && !bad)
        bad = unbatched ? tt_expect(__FILE__, __LINE__, c, SHAPE(H), 1, cv, 1e-12)
                        : tt_expect(__FILE__, __LINE__, c, SHAPE(B, H), 2, cv, 1e-12);
    free(xv), free(w0), free(w1), free(b0), free(b1), free(hv), free(cv);
    CHECK(!bad);
}

TEST(rnn_cell, cells_match_reference) {
    ct_rnn_mode modes[] = {CT_RNN_TANH, CT_RNN_RELU, CT_RNN_LSTM, CT_RNN_GRU};
    for (int m = 0; m < 4; m++) {
        check_cell(modes[m], true, false, true);
        check_cell(modes[m], false, false, false);
        check_cell(modes[m], true, true, true);
        check_cell(modes[m], true, true, false);
    }
}

/* gradcheck: inputs {x, h, [c,] w_ih, w_hh, b_ih, b_hh} */
static ct_tensor *f_tanh_cell(ct_tensor *const *v, int n, void *c) {
    return ct_rnn_tanh_cell(v[0], v[1], v[2], v[3], v[4], v[5]);
}
static ct_tensor *f_gru_cell(ct_tensor *const *v, int n, void *c) {
    return ct_gru_cell(v[0], v[1], v[2], v[3], v[4], v[5]);
}
static ct_tensor *f_lstm_cell(ct_tensor *const *v, int n, void *ctx) {
    ct_tensor *h, *c;
    if (ct_lstm_cell(v[0], v[1], v[2], v[3], v[4], v[5], v[6], &h, &c) < 0) return NULL;
    return ct_cat((const ct_tensor *const *)(ct_tensor *[]){h, c}, 2, 1);
}

static ct_tensor *leaf(ct_tensor *t) {
    ct_set_requires_grad(t, true);
    return t;
}

TEST(rnn_cell, gradcheck_cells) {
    int64_t B = 2, I = 3, H = 2;
    ct_tensor *x = rleaf(SHAPE(B, I), 2, -1, 1, 1), *h = ncr(B, H, -1, 1, 2), *c = rleaf(SHAPE(B, H), 2, -1, 1, 3);
    ct_tensor *p[4];
    make_params(CT_RNN_TANH, 1, 1, I, H, true, CT_FLOAT64, p, 5);
    for (int k = 0; k < 4; k++) leaf(p[k]);
    GRADCHECK(f_tanh_cell, x, h, p[0], p[1], p[2], p[3]);
    make_params(CT_RNN_GRU, 1, 1, I, H, true, CT_FLOAT64, p, 9);
    for (int k = 0; k < 4; k++) leaf(p[k]);
    GRADCHECK(f_gru_cell, x, h, p[0], p[1], p[2], p[3]);
    make_params(CT_RNN_LSTM, 1, 1, I, H, true, CT_FLOAT64, p, 13);
    for (int k = 0; k < 4; k++) leaf(p[k]);
    GRADCHECK(f_lstm_cell, x, h, c, p[0], p[1], p[2], p[3]);
}

/* A 2-layer bidirectional GRU / LSTM over 3 steps: {x, h0, params...} */
static ct_tensor *f_layer(ct_tensor *const *v, int n, void *ctx) {
    ct_rnn_mode mode = *(ct_rnn_mode *)ctx;
    bool lstm = mode == CT_RNN_LSTM;
    int k = lstm ? 3 : 2;
    ct_tensor *o, *hn, *cn = NULL;
    if (ct_rnn_forward(mode, v[0], v[1], lstm ? v[2] : NULL, (const ct_tensor *const *)v + k, n - k, true, 2, 0,
                       false, true, true, NULL, &o, &hn, &cn) < 0)
        return NULL;
    ct_tensor *parts[3] = {ct_reshape(o, SHAPE(-1), 1), ct_reshape(hn, SHAPE(-1), 1),
                           cn ? ct_reshape(cn, SHAPE(-1), 1) : NULL};
    return ct_cat((const ct_tensor *const *)parts, lstm ? 3 : 2, 0);
}

TEST(rnn_forward, gradcheck_bidirectional_two_layers) {
    ct_rnn_mode modes[] = {CT_RNN_GRU, CT_RNN_LSTM};
    for (int m = 0; m < 2; m++) {
        ct_tensor *in[3 + 16];
        int k = 0;
        in[k++] = rleaf(SHAPE(2, 3, 2), 3, -1, 1, 1); /* batch_first [B, T, I] */
        in[k++] = rleaf(SHAPE(4, 2, 2), 3, -1, 1, 2);
        if (modes[m] == CT_RNN_LSTM) in[k++] = rleaf(SHAPE(4, 2, 2), 3, -1, 1, 3);
        int np = make_params(modes[m], 2, 2, 2, 2, true, CT_FLOAT64, in + k, 30);
        for (int j = 0; j < np; j++) leaf(in[k + j]);
        CHECK(ct_gradcheck(f_layer, &modes[m], in, k + np, EPS, ATOL, RTOL) == 0);
    }
}

/* ---------------------------------------------------------------- embedding */

TEST(embedding, picks_rows_and_shapes) {
    ct_tensor *w = tt_rand(SHAPE(5, 3), 2, CT_FLOAT32, -1, 1, 1);
    ct_tensor *idx = tt_tensor(VALS(4, 0, 4, 2, 1, 1), SHAPE(2, 3), 2, CT_INT64);
    ct_tensor *e = ct_embedding(w, idx, -1);
    CHECK_OK(e);
    double *wv = tt_values(w), ex[18];
    int rows[6] = {4, 0, 4, 2, 1, 1};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++) ex[i * 3 + j] = wv[rows[i] * 3 + j];
    free(wv);
    CHECK_TENSOR(e, SHAPE(2, 3, 3), 3, ex, 0);
    /* int32 indices, 0-d indices, empty indices */
    CHECK_TENSOR(ct_embedding(w, tt_tensor(VALS(4, 0), SHAPE(2), 1, CT_INT32), 0), SHAPE(2, 3), 2, ex, 0);
    CHECK_TENSOR(ct_embedding(w, tt_tensor(VALS(4), SHAPE(0), 0, CT_INT64), -1), SHAPE(3), 1, ex, 0);
    ct_tensor *empty = ct_embedding(w, ct_zeros(SHAPE(0, 2), 2, CT_INT64), -1);
    CHECK(empty && empty->ndim == 3 && empty->sizes[0] == 0 && empty->sizes[2] == 3);
    CHECK_ERR(ct_embedding(w, tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT32), -1),
              "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int");
    CHECK_ERR(ct_embedding(w, idx, 5), "padding_idx must be within num_embeddings");
    CHECK_ERR(ct_embedding(w, tt_tensor(VALS(5), SHAPE(1), 1, CT_INT64), -1), "index");
}

TEST(embedding, padding_idx_row_gets_no_gradient) {
    ct_tensor *w = rleaf(SHAPE(4, 2), 2, -1, 1, 1);
    ct_tensor *idx = tt_tensor(VALS(1, 2, 1, 3, 2), SHAPE(5), 1, CT_INT64);
    ct_tensor *e = ct_embedding(w, idx, 2);
    /* loss = sum(e * k), k = 1..10 */
    ct_tensor *k = tt_tensor(VALS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), SHAPE(5, 2), 2, CT_FLOAT64);
    CHECK(ct_backward(ct_sum(ct_mul(e, k)), NULL, false, false, NULL, 0) == 0);
    /* row 1: (1+5, 2+6); row 2: padding -> 0; row 3: (7, 8); row 0 unused */
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(4, 2), 2, VALS(0, 0, 6, 8, 0, 0, 7, 8), 0);
    /* the forward still returns the padding row's values */
    double *wv = tt_values(w);
    CHECK_CLOSE(ct_item_at(e, 2), wv[4], 0);
    free(wv);
}

static ct_tensor *f_emb(ct_tensor *const *v, int n, void *c) {
    return ct_embedding(v[0], (const ct_tensor *)c, -1);
}

TEST(embedding, gradcheck_without_padding) {
    ct_tensor *w = ncr(4, 3, -1, 1, 2);
    ct_tensor *idx = tt_tensor(VALS(3, 0, 1, 3, 0, 2), SHAPE(3, 2), 2, CT_INT64);
    ct_tensor *in[] = {w};
    CHECK(ct_gradcheck(f_emb, idx, in, 1, EPS, ATOL, RTOL) == 0);
    CHECK(ct_gradgradcheck(f_emb, idx, in, 1, EPS, ATOL, RTOL) == 0);
}
