/* Fused recurrent layers: one direction of one layer of RNN tanh/relu,
 * LSTM or GRU over a whole sequence, recorded as ONE autograd node
 * (ops lstm_layer, gru_layer, rnn_layer of include/ctorch/def/rnn.def).
 *
 * The caller computes the input projections of every step at once
 * (gi = x W_ih^T + b_ih, one GEMM for the sequence). Each step is then one
 * GEMM (h_prev W_hh^T) and one elementwise pass (rnn_cell.c) that applies
 * the gates and keeps what the backward needs in a workspace. The backward
 * walks the steps in reverse, again one elementwise pass and one GEMM
 * (dgates W_hh) per step, and computes dW_hh with one GEMM over all steps at
 * the end. Versus the same layer composed of ops (about 12 nodes, as many
 * allocations and a view-scatter of the whole gi per step) this is what
 * makes the layer as fast as PyTorch's (issue 5). The derivative with
 * create_graph is written with differentiable ops (derivatives_rnn.c).
 *
 * On a GPU the layer is composed per step of GPU ops (layer_composed: one
 * linear for the hidden projection, the gate ops, a cat for the rows that
 * do not take a step); autograd records those ops, so gradients of any
 * order follow. Every op it uses runs on the GPU (cuBLAS gemms through
 * linear, the pointwise kernel for the gates). */
#include "nn/rnn_internal.h"
#include "nn/nn_gpu_internal.h"
#include "kernels/cpu/blas.h"

#include "ctorch/reduce.h"

static const char *op_name(ct_rnn_mode m) {
    return m == CT_RNN_LSTM ? "lstm_layer" : m == CT_RNN_GRU ? "gru_layer" : "rnn_layer";
}

static int check_2d(const char *f, const char *nm, const ct_tensor *t, int64_t a, int64_t b) {
    if (t->ndim != 2 || t->sizes[0] != a || t->sizes[1] != b) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected %s of shape [%lld, %lld], got %s", f, nm, (long long)a,
                     (long long)b, ct__shp(t));
        return -1;
    }
    return 0;
}

static int check_args(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0,
                      const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr,
                      const int64_t *batch_sizes) {
    const char *f = op_name(mode);
    bool lstm = mode == CT_RNN_LSTM;
    if (!gi || !h0 || !w_hh || (lstm && !c0)) {
        ct_set_error(CT_ERR_VALUE, "%s: gi, h0, %sw_hh must not be NULL", f, lstm ? "c0, " : "");
        return -1;
    }
    if (w_hr && !lstm) {
        ct_set_error(CT_ERR_VALUE, "%s: a projection w_hr is only for LSTM", f);
        return -1;
    }
    const ct_tensor *all[6] = {gi, h0, c0, w_hh, b_hh, w_hr};
    const char *names[6] = {"gi", "h0", "c0", "w_hh", "b_hh", "w_hr"};
    for (int k = 0; k < 6; k++) {
        if (!all[k]) continue;
        if (ct__nn_check_dev(f, gi, all[k]) < 0) return -1;
        if (all[k]->dtype != gi->dtype) {
            ct_set_error(CT_ERR_RUNTIME, "%s: expected %s to have dtype %s (gi's), but got %s", f, names[k],
                         ct_dtype_name(gi->dtype), ct_dtype_name(all[k]->dtype));
            return -1;
        }
    }
    if (gi->dtype != CT_FLOAT32 && gi->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: not implemented for dtype %s (float32 and float64 only)", f,
                     ct_dtype_name(gi->dtype));
        return -1;
    }
    int64_t G = ct__rnn_gates(mode);
    /* without a projection h has H columns; with one, R = w_hr's rows */
    int64_t R = w_hh->ndim == 2 ? w_hh->sizes[1] : -1;
    int64_t H = w_hr ? (w_hr->ndim == 2 ? w_hr->sizes[1] : -1) : R;
    if (w_hr && (w_hr->ndim != 2 || w_hr->sizes[0] != R || H <= R)) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected w_hr of shape [proj_size, hidden] with proj_size = w_hh.size(1) "
                     "< hidden, got w_hr %s and w_hh %s", f, ct__shp(w_hr), ct__shp(w_hh));
        return -1;
    }
    if (w_hh->ndim != 2 || w_hh->sizes[0] != G * H) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected w_hh of shape [%lld*hidden, %s], got %s", f, (long long)G,
                     w_hr ? "proj_size" : "hidden", ct__shp(w_hh));
        return -1;
    }
    if (gi->ndim != 3 || gi->sizes[2] != G * H || gi->sizes[0] < 1) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected gi of shape [seq_len >= 1, batch, %lld], got %s", f,
                     (long long)(G * H), ct__shp(gi));
        return -1;
    }
    int64_t B = gi->sizes[1], T = gi->sizes[0];
    if (check_2d(f, "h0", h0, B, R) < 0 || (lstm && check_2d(f, "c0", c0, B, H) < 0)) return -1;
    if (b_hh && (b_hh->ndim != 1 || b_hh->sizes[0] != G * H)) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected b_hh of shape [%lld], got %s", f, (long long)(G * H),
                     ct__shp(b_hh));
        return -1;
    }
    for (int64_t t = 0; batch_sizes && t < T; t++)
        if (batch_sizes[t] < 0 || batch_sizes[t] > (t ? batch_sizes[t - 1] : B)) {
            ct_set_error(CT_ERR_RUNTIME, "%s: batch_sizes must be non-increasing values in [0, %lld], got %lld at "
                         "step %lld", f, (long long)B, (long long)batch_sizes[t], (long long)t);
            return -1;
        }
    return 0;
}

#define PTR(t, off) ((char *)ct_data_ptr(t) + (size_t)(off) * isz)

/* Rows [from, B) of a [B, n] block: dst = src (the state of a row that is
 * not active at this step carries over) or zeros (src NULL). */
static void copy_rows(void *dst, const void *src, int64_t from, int64_t B, int64_t n, int64_t src_rs, size_t isz) {
    for (int64_t r = from; r < B; r++) {
        char *d = (char *)dst + (size_t)(r * n) * isz;
        if (src) memcpy(d, (const char *)src + (size_t)(r * src_rs) * isz, (size_t)n * isz);
        else memset(d, 0, (size_t)n * isz);
    }
}

/* The forward of every mode; results owned. With w_hr (LSTM projection,
 * [R, H]) the cell output o * tanh(c) goes to hp_ws [T, B, H] and
 * h = hp_ws W_hr^T; with batch_sizes only the first batch_sizes[t] rows
 * take step t, the others keep their state (see rnn.h). */
static int layer_forward(ct_rnn_mode mode, bool reverse, const ct_tensor *gi, const ct_tensor *h0,
                         const ct_tensor *c0, const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr,
                         const int64_t *bs, ct_tensor **hs_out, ct_tensor **cn_out, ct_tensor **ws_out,
                         ct_tensor **hp_out) {
    ct_dtype dt = gi->dtype;
    size_t isz = ct_dtype_size(dt);
    bool lstm = mode == CT_RNN_LSTM;
    int64_t T = gi->sizes[0], B = gi->sizes[1], R = w_hh->sizes[1], G = ct__rnn_gates(mode);
    int64_t H = w_hr ? w_hr->sizes[1] : R, W = ct__rnn_ws_cols(mode), GH = G * H;
    ct_tensor *gic = ct__contiguous(gi), *h0c = ct__contiguous(h0), *wc = ct__contiguous(w_hh);
    ct_tensor *c0c = lstm ? ct__contiguous(c0) : NULL, *bc = b_hh ? ct__contiguous(b_hh) : NULL;
    ct_tensor *wrc = w_hr ? ct__contiguous(w_hr) : NULL;
    ct_tensor *hs = ct__empty((int64_t[]){T, B, R}, 3, dt);
    ct_tensor *ws = W ? ct__empty((int64_t[]){T, B, W * H}, 3, dt) : NULL;
    ct_tensor *hp = w_hr ? ct__empty((int64_t[]){T, B, H}, 3, dt) : NULL;
    ct_tensor *cn = lstm ? ct__empty((int64_t[]){B, H}, 2, dt) : NULL;
    ct_tensor *gh = ct__empty((int64_t[]){B, GH}, 2, dt);
    int rc = -1;
    if (!gic || !h0c || !wc || (lstm && !c0c) || (b_hh && !bc) || (w_hr && (!wrc || !hp)) || !hs || (W && !ws) ||
        (lstm && !cn) || !gh)
        goto done;
    int64_t tl = 0;
    for (int64_t s = 0; B * H > 0 && s < T; s++) {
        int64_t t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1, Bt = bs ? bs[t] : B;
        const void *hprev = s == 0 ? ct_data_ptr(h0c) : PTR(hs, tp * B * R);
        const void *cprev = !lstm ? NULL : s == 0 ? ct_data_ptr(c0c) : (const void *)PTR(ws, (tp * B * W + 4) * H);
        int64_t c_rs = s == 0 ? H : W * H;
        if (Bt > 0)
            ct__gemm(dt, 1, Bt, GH, R, 1.0, hprev, 0, R, 1, ct_data_ptr(wc), 0, 1, R, 0.0, ct_data_ptr(gh), 0, GH);
        ct__rnn_step st = {
            .mode = mode, .B = Bt, .H = H, .gi = PTR(gic, t * B * GH), .gh = ct_data_ptr(gh),
            .bias = bc ? ct_data_ptr(bc) : NULL, .h_prev = hprev, .c_prev = cprev, .c_prev_rs = c_rs,
            .ws = ws ? PTR(ws, t * B * W * H) : NULL, .h = hp ? PTR(hp, t * B * H) : PTR(hs, t * B * R),
        };
        ct__rnn_step_forward(dt, &st);
        if (hp) {
            if (Bt > 0)
                ct__gemm(dt, 1, Bt, R, H, 1.0, st.h, 0, H, 1, ct_data_ptr(wrc), 0, 1, H, 0.0, PTR(hs, t * B * R),
                         0, R);
            copy_rows(st.h, NULL, Bt, B, H, 0, isz); /* read by dW_hr's GEMM: finite */
        }
        copy_rows(PTR(hs, t * B * R), hprev, Bt, B, R, R, isz);
        if (lstm)
            for (int64_t r = Bt; r < B; r++)
                memcpy(PTR(ws, (t * B * W + r * W + 4) * H), (const char *)cprev + (size_t)(r * c_rs) * isz,
                       (size_t)H * isz);
        tl = t;
    }
    if (lstm)
        for (int64_t b = 0; b < B; b++)
            memcpy(PTR(cn, b * H), PTR(ws, (tl * B * W + b * W + 4) * H), (size_t)H * isz);
    *hs_out = hs;
    *cn_out = cn;
    *ws_out = ws;
    *hp_out = hp;
    hs = cn = ws = hp = NULL;
    rc = 0;
done:
    ct_release(gic);
    ct_release(h0c);
    ct_release(wc);
    ct_release(c0c);
    ct_release(bc);
    ct_release(wrc);
    ct_release(hs);
    ct_release(ws);
    ct_release(hp);
    ct_release(cn);
    ct_release(gh);
    return rc;
}

static ct_tensor *with_rows(ct_tensor *top, const ct_tensor *x, int64_t Bt) {
    int64_t B = x->sizes[0];
    if (Bt == B) return top;
    ct_tensor *rest = ct_narrow(x, 0, Bt, B - Bt);
    return rest ? ct_cat((const ct_tensor *[]){top, rest}, 2, 0) : NULL;
}

/* The layer on a GPU (checked): composed steps, recorded op by op.
 * Results in the current scope. */
static int layer_composed(ct_rnn_mode mode, bool reverse, const ct_tensor *gi, const ct_tensor *h0,
                          const ct_tensor *c0, const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr,
                          const int64_t *bs, ct_tensor **hs_out, ct_tensor **cn_out) {
    int64_t T = gi->sizes[0], B = gi->sizes[1];
    bool lstm = mode == CT_RNN_LSTM;
    ct_tensor **hs = malloc(sizeof *hs * (size_t)T);
    if (!hs) {
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op_name(mode));
        return -1;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *h = (ct_tensor *)h0, *c = (ct_tensor *)c0, *out = NULL;
    int rc = -1;
    for (int64_t s = 0; s < T; s++) {
        int64_t t = reverse ? T - 1 - s : s, Bt = bs ? bs[t] : B;
        if (Bt > 0) {
            ct_tensor *g = ct_select(gi, 0, t), *h2 = NULL, *c2 = NULL;
            ct_tensor *hb = g && Bt < B ? ct_narrow(h, 0, 0, Bt) : h;
            ct_tensor *cb = lstm && g && Bt < B ? ct_narrow(c, 0, 0, Bt) : c;
            if (g && Bt < B) g = ct_narrow(g, 0, 0, Bt);
            if (!g || !hb || (lstm && !cb) || ct__rnn_composed_step(mode, g, hb, cb, w_hh, b_hh, w_hr, &h2, &c2) < 0)
                goto done;
            if (!(h = with_rows(h2, h, Bt)) || (lstm && !(c = with_rows(c2, c, Bt)))) goto done;
        }
        hs[t] = h;
    }
    if (!(out = ct_stack((const ct_tensor *const *)hs, (int)T, 0))) goto done;
    ct_keep(out);
    if (lstm) ct_keep(c);
    rc = 0;
done:
    ct_scope_end(sc);
    free(hs);
    if (rc < 0) return -1;
    *hs_out = ct_autorelease(out);
    if (lstm && cn_out) *cn_out = ct_autorelease(c);
    else if (lstm) ct_release(c);
    else if (cn_out) *cn_out = NULL;
    return 0;
}

/* Checks, forward, record. args: i[0] mode, b[0] reverse, b[1] has b_hh,
 * b[2] has w_hr, b[3] has batch_sizes. Inputs {gi, h0, c0 (NULL but for
 * LSTM), w_hh, b_hh (may be NULL), w_hr (may be NULL)}, extra {c_n (LSTM:
 * output 1; else NULL), workspace (NULL for RNN), the projection's input
 * [T, B, H] (NULL without w_hr), batch_sizes (int64 [T]; NULL without)}. */
static int layer(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0,
                 const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr, const int64_t *batch_sizes,
                 bool reverse, ct_tensor **hs_out, ct_tensor **cn_out) {
    if (check_args(mode, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes) < 0) return -1;
    if (mode != CT_RNN_LSTM) c0 = NULL;
    if (!ct__on_cpu(gi)) return layer_composed(mode, reverse, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, hs_out, cn_out);
    ct_tensor *hs, *cn, *ws, *hp, *bst = NULL;
    if (layer_forward(mode, reverse, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, &hs, &cn, &ws, &hp) < 0) return -1;
    const ct_tensor *in[6] = {gi, h0, c0, w_hh, b_hh, w_hr};
    if (ct__needs_grad(in, 6)) {
        ct_op_args a;
        memset(&a, 0, sizeof a);
        a.i[0] = mode;
        a.b[0] = reverse;
        a.b[1] = b_hh != NULL;
        a.b[2] = w_hr != NULL;
        a.b[3] = batch_sizes != NULL;
        int op = mode == CT_RNN_LSTM ? CT_OP_lstm_layer : mode == CT_RNN_GRU ? CT_OP_gru_layer : CT_OP_rnn_layer;
        int err = 0;
        if (batch_sizes) {
            int64_t T = gi->sizes[0];
            if ((bst = ct__empty(&T, 1, CT_INT64))) memcpy(ct_data_ptr(bst), batch_sizes, sizeof(int64_t) * (size_t)T);
            else err = 1;
        }
        const ct_tensor *ex[4] = {cn, ws, hp, bst};
        if (err || ct__ag_record(op, hs, in, 6, ex, 4, &a) < 0) {
            ct_release(hs);
            ct_release(cn);
            ct_release(ws);
            ct_release(hp);
            ct_release(bst);
            return -1;
        }
    }
    ct_release(ws);
    ct_release(hp);
    ct_release(bst);
    *hs_out = ct_autorelease(hs);
    if (cn_out) *cn_out = cn ? ct_autorelease(cn) : NULL;
    else ct_release(cn);
    return 0;
}

int ct_recurrent_layer(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0,
                       const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr,
                       const int64_t *batch_sizes, bool reverse, ct_tensor **hs, ct_tensor **c_n) {
    if ((unsigned)mode > CT_RNN_GRU || !hs || (mode == CT_RNN_LSTM && !c_n)) {
        ct_set_error(CT_ERR_VALUE, "recurrent_layer: a known mode, hs (and c_n for LSTM) must be given");
        return -1;
    }
    return layer(mode, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse, hs, c_n);
}

int ct_lstm_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0, const ct_tensor *w_hh,
                  const ct_tensor *b_hh, bool reverse, ct_tensor **hs, ct_tensor **c_n) {
    if (!hs || !c_n) {
        ct_set_error(CT_ERR_VALUE, "lstm_layer: hs and c_n must not be NULL");
        return -1;
    }
    return layer(CT_RNN_LSTM, gi, h0, c0, w_hh, b_hh, NULL, NULL, reverse, hs, c_n);
}

ct_tensor *ct_gru_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *w_hh, const ct_tensor *b_hh,
                        bool reverse) {
    ct_tensor *hs;
    return layer(CT_RNN_GRU, gi, h0, NULL, w_hh, b_hh, NULL, NULL, reverse, &hs, NULL) < 0 ? NULL : hs;
}

ct_tensor *ct_rnn_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *w_hh, const ct_tensor *b_hh,
                        bool relu, bool reverse) {
    ct_tensor *hs;
    return layer(relu ? CT_RNN_RELU : CT_RNN_TANH, gi, h0, NULL, w_hh, b_hh, NULL, NULL, reverse, &hs, NULL) < 0
               ? NULL
               : hs;
}

/* ------------------------------------------------------------------ backward */

int ct__rnn_layer_backward(ct_rnn_mode mode, bool reverse, const ct_tensor *h0, const ct_tensor *c0,
                           const ct_tensor *w_hh, const ct_tensor *w_hr, const ct_tensor *hs, const ct_tensor *ws,
                           const ct_tensor *hp, const int64_t *bs, const ct_tensor *ghs, const ct_tensor *gcn,
                           const bool need[6], ct_tensor *out[6]) {
    ct_dtype dt = hs->dtype;
    size_t isz = ct_dtype_size(dt);
    bool lstm = mode == CT_RNN_LSTM, gru = mode == CT_RNN_GRU;
    int64_t T = hs->sizes[0], B = hs->sizes[1], R = hs->sizes[2], G = ct__rnn_gates(mode);
    int64_t H = w_hr ? w_hr->sizes[1] : R, W = ct__rnn_ws_cols(mode), GH = G * H;
    for (int k = 0; k < 6; k++) out[k] = NULL;
    ct_tensor *h0c = ct__contiguous(h0), *wc = ct__contiguous(w_hh), *gc = ct__contiguous(ghs);
    ct_tensor *c0c = lstm ? ct__contiguous(c0) : NULL, *wrc = w_hr ? ct__contiguous(w_hr) : NULL;
    ct_tensor *dgi = ct__empty((int64_t[]){T, B, GH}, 3, dt);
    ct_tensor *dgh = gru ? ct__empty((int64_t[]){T, B, GH}, 3, dt) : ct_retain(dgi);
    ct_tensor *dh = ct__empty((int64_t[]){B, R}, 2, dt), *dhn = ct__empty((int64_t[]){B, R}, 2, dt);
    /* with a projection: the gradients of h of every step (rows that did
     * not take the step: zeros) for dW_hr, and of the cell output */
    ct_tensor *dhs = w_hr ? ct__empty((int64_t[]){T, B, R}, 3, dt) : NULL;
    ct_tensor *dcell = w_hr ? ct__empty((int64_t[]){B, H}, 2, dt) : NULL;
    ct_tensor *dc = lstm ? (gcn ? ct__to_dtype(gcn, dt, true) : ct__empty((int64_t[]){B, H}, 2, dt)) : NULL;
    ct_tensor *dw = need[3] ? ct__empty((int64_t[]){GH, R}, 2, dt) : NULL;
    ct_tensor *dwr = need[5] && w_hr ? ct__empty((int64_t[]){R, H}, 2, dt) : NULL;
    int rc = -1;
    if (!h0c || !wc || !gc || (lstm && !c0c) || !dgi || !dgh || !dh || !dhn || (lstm && !dc) || (need[3] && !dw) ||
        (w_hr && (!wrc || !dhs || !dcell || (need[5] && !dwr))))
        goto done;
    if (dc && !ct_is_contiguous(dc)) {
        ct_tensor *d2 = ct__contiguous(dc);
        ct_release(dc);
        if (!(dc = d2)) goto done;
    }
    if (lstm && !gcn) memset(ct_data_ptr(dc), 0, (size_t)(B * H) * isz);
    memset(ct_data_ptr(dhn), 0, (size_t)(B * R) * isz);
    for (int64_t s = 0; B * H > 0 && s < T; s++) {
        int64_t t = reverse ? s : T - 1 - s, tp = reverse ? t + 1 : t - 1, Bt = bs ? bs[t] : B;
        bool first = reverse ? t == T - 1 : t == 0; /* the forward's first step: h0, c0 */
        /* dh = ghs[t] + dhn */
        if (dt == CT_FLOAT32) {
            float *d = ct_data_ptr(dh);
            const float *a = (const float *)PTR(gc, t * B * R), *b = ct_data_ptr(dhn);
            for (int64_t k = 0; k < B * R; k++) d[k] = a[k] + b[k];
        } else {
            double *d = ct_data_ptr(dh);
            const double *a = (const double *)PTR(gc, t * B * R), *b = ct_data_ptr(dhn);
            for (int64_t k = 0; k < B * R; k++) d[k] = a[k] + b[k];
        }
        const void *dcellp = ct_data_ptr(dh);
        if (w_hr) {
            /* h = cell W_hr^T: dcell = dh W_hr */
            memcpy(PTR(dhs, t * B * R), ct_data_ptr(dh), (size_t)(Bt * R) * isz);
            copy_rows(PTR(dhs, t * B * R), NULL, Bt, B, R, 0, isz);
            if (Bt > 0)
                ct__gemm(dt, 1, Bt, H, R, 1.0, ct_data_ptr(dh), 0, R, 1, ct_data_ptr(wrc), 0, H, 1, 0.0,
                         ct_data_ptr(dcell), 0, H);
            dcellp = ct_data_ptr(dcell);
        }
        const void *hprev = first ? ct_data_ptr(h0c) : (const void *)PTR(hs, tp * B * R);
        ct__rnn_step_back st = {
            .mode = mode, .B = Bt, .H = H, .ws = ws ? PTR(ws, t * B * W * H) : NULL,
            .c_prev = !lstm ? NULL : first ? ct_data_ptr(c0c) : (const void *)PTR(ws, (tp * B * W + 4) * H),
            .c_prev_rs = first ? H : W * H, .h_prev = hprev,
            .h = PTR(hs, t * B * R), .dh = dcellp, .dc = dc ? ct_data_ptr(dc) : NULL,
            .dgi = PTR(dgi, t * B * GH), .dgh = PTR(dgh, t * B * GH), .dh_prev = ct_data_ptr(dhn),
        };
        ct__rnn_step_backward(dt, &st);
        copy_rows(st.dgi, NULL, Bt, B, GH, 0, isz);
        if (gru) copy_rows(st.dgh, NULL, Bt, B, GH, 0, isz);
        /* dhn = (GRU: dh z) + dgh[t] W_hh on the rows that took the step;
         * the others pass dh on unchanged (and dc stays as it is) */
        if (Bt > 0 && (!first || need[1]) &&
            ct__gemm(dt, 1, Bt, R, GH, 1.0, st.dgh, 0, GH, 1, ct_data_ptr(wc), 0, R, 1, gru ? 1.0 : 0.0,
                     ct_data_ptr(dhn), 0, R) < 0)
            goto done;
        copy_rows(ct_data_ptr(dhn), ct_data_ptr(dh), Bt, B, R, R, isz);
    }
    if (dw) {
        /* dW_hh = sum_t dgh[t]^T h_prev(t): the steps after the first read
         * hs (one step behind, or ahead when reversed), the first reads h0 */
        int64_t t0 = reverse ? T - 1 : 0;
        if (T > 1)
            ct__gemm(dt, 1, GH, R, (T - 1) * B, 1.0, PTR(dgh, reverse ? 0 : B * GH), 0, 1, GH,
                     PTR(hs, reverse ? B * R : 0), 0, R, 1, 0.0, ct_data_ptr(dw), 0, R);
        if (ct__gemm(dt, 1, GH, R, B, 1.0, PTR(dgh, t0 * B * GH), 0, 1, GH, ct_data_ptr(h0c), 0, R,
                     1, T > 1 ? 1.0 : 0.0, ct_data_ptr(dw), 0, R) < 0)
            goto done;
    }
    if (dwr) /* dW_hr = sum_t dh[t]^T cell[t] */
        ct__gemm(dt, 1, R, H, T * B, 1.0, ct_data_ptr(dhs), 0, 1, R, ct_data_ptr(hp), 0, H, 1, 0.0,
                 ct_data_ptr(dwr), 0, H);
    if (need[4]) {
        ct_scope sc = ct_scope_begin();
        int dims[2] = {0, 1};
        ct_tensor *db = ct_sum_dims(dgh, dims, 2, false, -1);
        if (db) out[4] = ct_keep(db);
        ct_scope_end(sc);
        if (!out[4]) goto done;
    }
    if (need[0]) out[0] = ct_retain(dgi);
    if (need[1]) out[1] = ct_retain(dhn);
    if (need[2] && lstm) out[2] = ct_retain(dc);
    if (need[3]) out[3] = ct_retain(dw);
    if (need[5] && w_hr) out[5] = ct_retain(dwr);
    rc = 0;
done:
    if (rc < 0) {
        for (int k = 0; k < 6; k++) ct_release(out[k]), out[k] = NULL;
    }
    ct_release(h0c);
    ct_release(wc);
    ct_release(gc);
    ct_release(c0c);
    ct_release(wrc);
    ct_release(dgi);
    ct_release(dgh);
    ct_release(dh);
    ct_release(dhn);
    ct_release(dhs);
    ct_release(dcell);
    ct_release(dc);
    ct_release(dw);
    ct_release(dwr);
    return rc;
}
