/* Derivative of the fused recurrent layers (include/ctorch/def/rnn.def).
 * Without create_graph: the fused backward of src/nn/rnn_layer.c (one
 * elementwise pass and one GEMM per step, dW_hh in one GEMM). With
 * create_graph: the same formulas written with differentiable ops, on the
 * forward recomputed from the inputs with ops, so that the gradients are
 * part of the graph and can be differentiated again (as PyTorch's CPU
 * layers, composed of ops, can). */
#include "autograd/ag_internal.h"
#include "nn/rnn_internal.h"

#include <stdlib.h>

#include "ctorch/linalg.h"
#include "ctorch/nn.h"
#include "ctorch/reduce.h"
#include "ctorch/shape.h"

#define NEED(i) ct__ag_needs(n, i)

/* g (1 - y) y and g (1 - y^2): the derivatives of sigmoid and tanh at their
 * results y, as PyTorch writes them */
static ct_tensor *sig_back(const ct_tensor *g, const ct_tensor *y) {
    ct_tensor *a = ct_mul(g, ct_add_scalar(ct_neg(y), 1.0));
    return a ? ct_mul(a, y) : NULL;
}
static ct_tensor *tanh_back(const ct_tensor *g, const ct_tensor *y) {
    ct_tensor *m = ct_add_scalar(ct_neg(ct_mul(y, y)), 1.0);
    return m ? ct_mul(g, m) : NULL;
}

/* Per-step values of the recomputed forward, on the rows that took the
 * step (all of them without batch_sizes). */
typedef struct step_vals {
    ct_tensor *hp, *cp;       /* state before the step */
    ct_tensor *a, *b, *c, *d; /* LSTM i f g o, GRU r z n ghn */
    ct_tensor *e;             /* LSTM tanh(c), RNN h */
} step_vals;

/* Rows [0, n) of x (x itself when n is all of them). */
static ct_tensor *head(ct_tensor *x, int64_t n) { return !x || n == x->sizes[0] ? x : ct_narrow(x, 0, 0, n); }
/* a on top of rows [n, B) of rest (a alone when n == B). */
static ct_tensor *with_tail(ct_tensor *a, ct_tensor *rest, int64_t n) {
    if (!a || !rest || n == rest->sizes[0]) return a;
    ct_tensor *tail = ct_narrow(rest, 0, n, rest->sizes[0] - n);
    const ct_tensor *p[2] = {a, tail};
    return tail ? ct_cat(p, 2, 0) : NULL;
}

static int recompute(ct_rnn_mode mode, bool reverse, const ct_tensor *gi, ct_tensor *h0, ct_tensor *c0,
                     const ct_tensor *w, const ct_tensor *bias, const ct_tensor *w_hr, const int64_t *bs,
                     step_vals *v) {
    int64_t T = gi->sizes[0], B = gi->sizes[1];
    ct_tensor *h = h0, *c = c0;
    for (int64_t s = 0; s < T; s++) {
        int64_t t = reverse ? T - 1 - s : s, Bt = bs ? bs[t] : B;
        step_vals *sv = &v[t];
        if (Bt == 0) continue;
        ct_tensor *hs = head(h, Bt), *cs = c ? head(c, Bt) : NULL, *hn = NULL;
        sv->hp = hs;
        sv->cp = cs;
        ct_tensor *x = head(ct_select(gi, 0, t), Bt), *gh = hs ? ct_linear(hs, w, bias) : NULL;
        if (!x || !gh || (c && !cs)) return -1;
        if (mode == CT_RNN_LSTM) {
            ct_tensor *q[4], *pre = ct_add(x, gh);
            if (!pre || ct_chunk(pre, 4, 1, q, 4) != 4) return -1;
            sv->a = ct_sigmoid(q[0]), sv->b = ct_sigmoid(q[1]), sv->c = ct_tanh(q[2]), sv->d = ct_sigmoid(q[3]);
            if (!sv->a || !sv->b || !sv->c || !sv->d) return -1;
            ct_tensor *fc = ct_mul(sv->b, cs), *ig = ct_mul(sv->a, sv->c);
            ct_tensor *cn = fc && ig ? ct_add(fc, ig) : NULL;
            sv->e = cn ? ct_tanh(cn) : NULL;
            hn = sv->e ? ct_mul(sv->d, sv->e) : NULL;
            if (hn && w_hr) hn = ct_linear(hn, w_hr, NULL);
            if (!(c = with_tail(cn, c, Bt))) return -1;
        } else if (mode == CT_RNN_GRU) {
            ct_tensor *p[3], *q[3];
            if (ct_chunk(x, 3, 1, p, 3) != 3 || ct_chunk(gh, 3, 1, q, 3) != 3) return -1;
            sv->a = ct_sigmoid(ct_add(p[0], q[0]));
            sv->b = ct_sigmoid(ct_add(p[1], q[1]));
            sv->d = q[2];
            sv->c = sv->a ? ct_tanh(ct_add(p[2], ct_mul(sv->a, q[2]))) : NULL;
            if (!sv->a || !sv->b || !sv->c) return -1;
            hn = ct_add(sv->c, ct_mul(sv->b, ct_sub(hs, sv->c)));
        } else {
            ct_tensor *pre = ct_add(x, gh);
            hn = !pre ? NULL : mode == CT_RNN_TANH ? ct_tanh(pre) : ct_relu(pre);
            sv->e = hn;
        }
        if (!(h = with_tail(hn, h, Bt))) return -1;
    }
    return 0;
}

static int composed_backward(ct_node *n, ct_rnn_mode mode, bool reverse, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *gi = ct__ag_input(n, 0), *h0 = ct__ag_input(n, 1), *w = ct__ag_input(n, 3);
    ct_tensor *c0 = mode == CT_RNN_LSTM ? ct__ag_input(n, 2) : NULL;
    ct_tensor *bias = n->args.b[1] ? ct__ag_input(n, 4) : NULL;
    ct_tensor *w_hr = n->args.b[2] ? ct__ag_input(n, 5) : NULL;
    ct_tensor *bst = n->args.b[3] ? ct__ag_extra(n, 3) : NULL;
    if (!gi || !h0 || !w || (mode == CT_RNN_LSTM && !c0) || (n->args.b[1] && !bias) || (n->args.b[2] && !w_hr) ||
        (n->args.b[3] && !bst))
        return -1;
    const int64_t *bs = bst ? ct_data_ptr(bst) : NULL;
    int64_t T = gi->sizes[0], B = gi->sizes[1];
    step_vals *v = calloc((size_t)T, sizeof *v);
    ct_tensor **dg = malloc(sizeof *dg * (size_t)T);
    int rc = -1;
    if (!v || !dg) {
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", ct_node_name(n));
        goto done;
    }
    if (recompute(mode, reverse, gi, h0, c0, w, bias, w_hr, bs, v) < 0) goto done;
    ct_tensor *dh_next = NULL, *dc = mode == CT_RNN_LSTM ? g[1] : NULL, *dw = NULL, *db = NULL, *dwr = NULL;
    if (mode == CT_RNN_LSTM && !dc && bs && !(dc = ct_zeros_like(c0, c0->dtype))) goto done;
    for (int64_t s = T - 1; s >= 0; s--) {
        int64_t t = reverse ? T - 1 - s : s, Bt = bs ? bs[t] : B;
        step_vals *sv = &v[t];
        ct_tensor *dh = ct_select(g[0], 0, t);
        if (dh && dh_next) dh = ct_add(dh, dh_next);
        if (!dh) goto done;
        if (Bt == 0) {
            dg[t] = ct_zeros_like(ct_select(gi, 0, t), gi->dtype);
            dh_next = dh;
            if (!dg[t]) goto done;
            continue;
        }
        ct_tensor *dha = head(dh, Bt), *dca = dc ? head(dc, Bt) : NULL;
        ct_tensor *dgi = NULL, *dgh = NULL, *direct = NULL;
        if (!dha || (dc && !dca)) goto done;
        if (mode == CT_RNN_LSTM) {
            if (w_hr) {
                if (NEED(5)) {
                    ct_tensor *p = ct_matmul(ct_t(dha), ct_mul(sv->d, sv->e));
                    dwr = p && dwr ? ct_add(dwr, p) : p;
                    if (!dwr) goto done;
                }
                if (!(dha = ct_matmul(dha, w_hr))) goto done;
            }
            ct_tensor *dcc = tanh_back(ct_mul(dha, sv->d), sv->e);
            if (dcc && dca) dcc = ct_add(dca, dcc);
            if (!dcc) goto done;
            ct_tensor *parts[4] = {sig_back(ct_mul(dcc, sv->c), sv->a), sig_back(ct_mul(dcc, sv->cp), sv->b),
                                   tanh_back(ct_mul(dcc, sv->a), sv->c), sig_back(ct_mul(dha, sv->e), sv->d)};
            if (!parts[0] || !parts[1] || !parts[2] || !parts[3]) goto done;
            dgi = dgh = ct_cat((const ct_tensor *const *)parts, 4, 1);
            dca = ct_mul(dcc, sv->b);
            if (!dca || !(dc = dc ? with_tail(dca, dc, Bt) : dca)) goto done;
        } else if (mode == CT_RNN_GRU) {
            ct_tensor *dz = ct_mul(dha, ct_sub(sv->hp, sv->c));
            ct_tensor *dpn = tanh_back(ct_sub(dha, ct_mul(dha, sv->b)), sv->c);
            ct_tensor *dpr = dpn ? sig_back(ct_mul(dpn, sv->d), sv->a) : NULL;
            ct_tensor *dpz = dz ? sig_back(dz, sv->b) : NULL;
            if (!dpr || !dpz) goto done;
            ct_tensor *pi[3] = {dpr, dpz, dpn}, *ph[3] = {dpr, dpz, ct_mul(dpn, sv->a)};
            if (!ph[2]) goto done;
            dgi = ct_cat((const ct_tensor *const *)pi, 3, 1);
            dgh = ct_cat((const ct_tensor *const *)ph, 3, 1);
            direct = ct_mul(dha, sv->b);
            if (!direct) goto done;
        } else if (mode == CT_RNN_TANH) {
            dgi = dgh = tanh_back(dha, sv->e);
        } else {
            ct_tensor *mask = ct_gt_scalar(sv->e, 0.0);
            dgi = dgh = mask ? ct_where(mask, dha, ct_zeros_like(dha, dha->dtype)) : NULL;
        }
        if (!dgi || !dgh) goto done;
        if (Bt < B) {
            ct_tensor *z = ct_zeros((const int64_t[]){B - Bt, dgi->sizes[1]}, 2, dgi->dtype);
            const ct_tensor *p[2] = {dgi, z};
            if (!z || !(dgi = ct_cat(p, 2, 0))) goto done;
        }
        dg[t] = dgi;
        ct_tensor *dhn = ct_matmul(dgh, w);
        if (dhn && direct) dhn = ct_add(direct, dhn);
        if (!(dh_next = with_tail(dhn, dh, Bt))) goto done;
        if (NEED(3)) {
            ct_tensor *p = ct_matmul(ct_t(dgh), sv->hp);
            dw = p && dw ? ct_add(dw, p) : p;
            if (!dw) goto done;
        }
        if (NEED(4)) {
            int d0 = 0;
            ct_tensor *p = ct_sum_dims(dgh, &d0, 1, false, -1);
            db = p && db ? ct_add(db, p) : p;
            if (!db) goto done;
        }
    }
    if (NEED(0) && !(gin[0] = ct_stack((const ct_tensor *const *)dg, (int)T, 0))) goto done;
    if (NEED(1)) gin[1] = dh_next;
    if (NEED(2)) gin[2] = dc;
    if (NEED(3)) gin[3] = dw;
    if (NEED(4)) gin[4] = db;
    if (NEED(5)) gin[5] = dwr;
    rc = 0;
done:
    free(v);
    free(dg);
    return rc;
}

static int d_rnn_layer(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_rnn_mode mode = (ct_rnn_mode)n->args.i[0];
    bool reverse = n->args.b[0];
    if (ct_is_grad_enabled()) return composed_backward(n, mode, reverse, g, gin);
    bool lstm = mode == CT_RNN_LSTM;
    ct_tensor *h0 = ct__ag_input(n, 1), *w = ct__ag_input(n, 3), *hs = ct__ag_output(n);
    ct_tensor *c0 = lstm ? ct__ag_input(n, 2) : NULL, *ws = NULL;
    ct_tensor *w_hr = n->args.b[2] ? ct__ag_input(n, 5) : NULL, *hp = n->args.b[2] ? ct__ag_extra(n, 2) : NULL;
    ct_tensor *bst = n->args.b[3] ? ct__ag_extra(n, 3) : NULL;
    if (!h0 || !w || !hs || (lstm && !c0) || (n->args.b[2] && (!w_hr || !hp)) || (n->args.b[3] && !bst)) return -1;
    if (mode == CT_RNN_LSTM || mode == CT_RNN_GRU) {
        if (!(ws = ct__ag_extra(n, 1))) return -1;
    }
    bool need[6];
    ct_tensor *out[6];
    for (int k = 0; k < 6; k++) need[k] = NEED(k);
    if (ct__rnn_layer_backward(mode, reverse, h0, c0, w, w_hr, hs, ws, hp, bst ? ct_data_ptr(bst) : NULL, g[0],
                               lstm ? g[1] : NULL, need, out) < 0)
        return -1;
    for (int k = 0; k < 6; k++) gin[k] = out[k] ? ct_autorelease(out[k]) : NULL;
    return 0;
}

void ct__ag_register_rnn(void) {
    ct_deriv *t = ct__ag_derivs;
    /* every input (for the composed derivative) and the result; the extras
     * (c_n, an output, and the workspace) */
    t[CT_OP_lstm_layer] = (ct_deriv){d_rnn_layer, 0x3f | CT_SAVE_OUTPUT, 1, 1, 0};
    t[CT_OP_gru_layer] = (ct_deriv){d_rnn_layer, 0x3f | CT_SAVE_OUTPUT, 1, 0, 0};
    t[CT_OP_rnn_layer] = (ct_deriv){d_rnn_layer, 0x3f | CT_SAVE_OUTPUT, 1, 0, 0};
}
