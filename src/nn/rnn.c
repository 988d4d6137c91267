/* Recurrent cells and layers (RNN tanh/relu, LSTM, GRU): argument checks,
 * initial states, the stack of layers and directions, dropout. On CPU
 * float32/float64 each layer and direction is one fused op (rnn_layer.c,
 * one autograd node); elsewhere the steps below are composed of public
 * differentiable ops (linear / sigmoid / tanh / mul / add / stack ...), and
 * record nothing themselves (see include/ctorch/rnn.h for the shapes and
 * PyTorch's weight layout).
 *
 * One time step works on the input projection gi = x W_ih^T + b_ih (for a
 * whole layer computed once for every step with one matmul) and the hidden
 * projection gh = h W_hh^T + b_hh:
 *   tanh/relu: h' = act(gi + gh)
 *   LSTM:      i, f, g, o = chunk(gi + gh, 4); c' = sig(f) c + sig(i) tanh(g);
 *              h' = sig(o) tanh(c')
 *   GRU:       r = sig(gi_r + gh_r); z = sig(gi_z + gh_z);
 *              n = tanh(gi_n + r gh_n); h' = n + z (h - n)  (= (1-z) n + z h)
 * Every intermediate lives in the caller's scope; the public functions open
 * their own scope and keep only their results. */
#include "ctorch/ctorch.h"
#include "internal.h"
#include "nn/rnn_internal.h"

#include <stdlib.h>

static const char *mode_name(ct_rnn_mode m) {
    switch (m) {
    case CT_RNN_TANH: return "RNN_TANH";
    case CT_RNN_RELU: return "RNN_RELU";
    case CT_RNN_LSTM: return "LSTM";
    default: return "GRU";
    }
}
static int64_t gate_count(ct_rnn_mode m) { return m == CT_RNN_LSTM ? 4 : m == CT_RNN_GRU ? 3 : 1; }

/* One step; gi [B, G*H] already holds x W_ih^T + b_ih. Writes h' (and c'
 * for LSTM) into the current scope; -1 on error. Also the GPU path of the
 * fused layer (rnn_layer.c). */
int ct__rnn_composed_step(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h,
                          const ct_tensor *c, const ct_tensor *w_hh, const ct_tensor *b_hh,
                          const ct_tensor *w_hr, ct_tensor **h_out, ct_tensor **c_out) {
    ct_tensor *gh = ct_linear(h, w_hh, b_hh);
    if (!gh) return -1;
    if (mode == CT_RNN_TANH || mode == CT_RNN_RELU) {
        ct_tensor *s = ct_add(gi, gh);
        *h_out = s ? (mode == CT_RNN_TANH ? ct_tanh(s) : ct_relu(s)) : NULL;
        return *h_out ? 0 : -1;
    }
    if (mode == CT_RNN_LSTM) {
        ct_tensor *gates = ct_add(gi, gh), *q[4];
        if (!gates || ct_chunk(gates, 4, 1, q, 4) != 4) return -1;
        ct_tensor *i = ct_sigmoid(q[0]), *f = ct_sigmoid(q[1]), *g = ct_tanh(q[2]), *o = ct_sigmoid(q[3]);
        if (!i || !f || !g || !o) return -1;
        ct_tensor *fc = ct_mul(f, c), *ig = ct_mul(i, g);
        ct_tensor *c2 = fc && ig ? ct_add(fc, ig) : NULL;
        ct_tensor *tc = c2 ? ct_tanh(c2) : NULL;
        ct_tensor *h2 = tc ? ct_mul(o, tc) : NULL;
        if (h2 && w_hr) h2 = ct_linear(h2, w_hr, NULL);
        if (!h2) return -1;
        *h_out = h2;
        *c_out = c2;
        return 0;
    }
    ct_tensor *a[3], *b[3];
    if (ct_chunk(gi, 3, 1, a, 3) != 3 || ct_chunk(gh, 3, 1, b, 3) != 3) return -1;
    ct_tensor *sr = ct_add(a[0], b[0]), *sz = ct_add(a[1], b[1]);
    ct_tensor *r = sr ? ct_sigmoid(sr) : NULL, *z = sz ? ct_sigmoid(sz) : NULL;
    if (!r || !z) return -1;
    ct_tensor *rn = ct_mul(r, b[2]);
    ct_tensor *sn = rn ? ct_add(a[2], rn) : NULL;
    ct_tensor *nn = sn ? ct_tanh(sn) : NULL;
    ct_tensor *d = nn ? ct_sub(h, nn) : NULL;
    ct_tensor *zd = d ? ct_mul(z, d) : NULL;
    *h_out = zd ? ct_add(nn, zd) : NULL;
    return *h_out ? 0 : -1;
}

/* The fused layer ops (rnn_layer.c) run on CPU float32/float64; other
 * dtypes and devices take the composed steps. */
static bool fused_ok(const ct_tensor *x, const ct_tensor *w) {
    return ct__on_cpu(x) && ct__on_cpu(w) && (x->dtype == CT_FLOAT32 || x->dtype == CT_FLOAT64) &&
           w->dtype == x->dtype;
}

/* One direction of one layer through the fused ops: gi [T, B, G*H], h and c
 * [B, H]. Writes hs [T, B, H] and, for LSTM, c_n. */
static int fused_seq(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h, const ct_tensor *c,
                     const ct_tensor *w_hh, const ct_tensor *b_hh, bool reverse, ct_tensor **hs, ct_tensor **cn) {
    return ct_recurrent_layer(mode, gi, h, c, w_hh, b_hh, NULL, NULL, reverse, hs, cn);
}

/* x [T, B, I] W_ih^T + b_ih as one GEMM over the T*B rows: [T, B, G*H] */
static ct_tensor *input_projection(const ct_tensor *x, const ct_tensor *w_ih, const ct_tensor *b_ih) {
    int64_t T = x->sizes[0], B = x->sizes[1];
    ct_tensor *x2 = ct_reshape(x, (const int64_t[]){T * B, x->sizes[2]}, 2);
    ct_tensor *g = x2 ? ct_linear(x2, w_ih, b_ih) : NULL;
    return g ? ct_reshape(g, (const int64_t[]){T, B, w_ih->sizes[0]}, 3) : NULL;
}

/* Zeros [a, b(, c)] of like's dtype on like's device (initial states). */
static ct_tensor *zeros_on(const ct_tensor *like, const int64_t *sizes, int ndim) {
    ct_tensor *z = ct_zeros(sizes, ndim, like->dtype);
    if (!z || ct_tensor_device(like).type == CT_CPU) return z;
    return ct_to_device(z, ct_tensor_device(like));
}

static int same_dtype(const char *f, const char *what, const ct_tensor *t, const ct_tensor *w) {
    if (t && t->dtype != w->dtype) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected %s to have dtype %s (the weights'), but got %s", f, what,
                     ct_dtype_name(w->dtype), ct_dtype_name(t->dtype));
        return -1;
    }
    return 0;
}

/* weight_ih [G*H, in], weight_hh [G*H, R], biases [G*H], weight_hr [R, H]
 * (LSTM projection, may be NULL; without it R = H). *hidden = R, the size
 * of h. */
static int check_weights(const char *f, ct_rnn_mode mode, const ct_tensor *w_ih, const ct_tensor *w_hh,
                         const ct_tensor *b_ih, const ct_tensor *b_hh, const ct_tensor *w_hr, int64_t *hidden) {
    if (!w_ih || !w_hh) {
        ct_set_error(CT_ERR_VALUE, "%s: weight_ih and weight_hh must not be NULL", f);
        return -1;
    }
    int64_t G = gate_count(mode);
    int64_t H = w_hr ? (w_hr->ndim == 2 ? w_hr->sizes[1] : -1) : (w_hh->ndim == 2 ? w_hh->sizes[1] : -1);
    if (w_hr && (w_hr->ndim != 2 || w_hh->ndim != 2 || w_hr->sizes[0] != w_hh->sizes[1])) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected weight_hh [%lld*hidden, proj_size] and weight_hr "
                     "[proj_size, hidden], got %s and %s", f, (long long)G, ct__shp(w_hh), ct__shp(w_hr));
        return -1;
    }
    if (w_hh->ndim != 2 || w_hh->sizes[0] != G * H || w_ih->ndim != 2 || w_ih->sizes[0] != w_hh->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: expected weight_ih [%lld*hidden, input] and weight_hh [%lld*hidden, %s], got %s and %s",
                     f, (long long)G, (long long)G, w_hr ? "proj_size" : "hidden", ct__shp(w_ih), ct__shp(w_hh));
        return -1;
    }
    const ct_tensor *bs[2] = {b_ih, b_hh};
    for (int k = 0; k < 2; k++)
        if (bs[k] && (bs[k]->ndim != 1 || bs[k]->sizes[0] != w_hh->sizes[0])) {
            ct_set_error(CT_ERR_RUNTIME, "%s: expected %s of shape [%lld], got %s", f, k ? "bias_hh" : "bias_ih",
                         (long long)w_hh->sizes[0], ct__shp(bs[k]));
            return -1;
        }
    if (same_dtype(f, "weight_hh", w_hh, w_ih) < 0 || same_dtype(f, "bias_ih", b_ih, w_ih) < 0 ||
        same_dtype(f, "bias_hh", b_hh, w_ih) < 0 || same_dtype(f, "weight_hr", w_hr, w_ih) < 0)
        return -1;
    *hidden = w_hh->sizes[1];
    return 0;
}

/* ------------------------------------------------------------------ cells */

static int cell(ct_rnn_mode mode, const char *f, const ct_tensor *x, const ct_tensor *hx, const ct_tensor *cx,
                const ct_tensor *w_ih, const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh,
                ct_tensor **h_out, ct_tensor **c_out) {
    int64_t H;
    if (!x) {
        ct_set_error(CT_ERR_VALUE, "%s: input must not be NULL", f);
        return -1;
    }
    if (check_weights(f, mode, w_ih, w_hh, b_ih, b_hh, NULL, &H) < 0) return -1;
    if (x->ndim != 1 && x->ndim != 2) {
        ct_set_error(CT_ERR_VALUE, "%s: Expected input to be 1-D or 2-D but received %d-D tensor", f, x->ndim);
        return -1;
    }
    if (x->sizes[x->ndim - 1] != w_ih->sizes[1]) {
        ct_set_error(CT_ERR_RUNTIME, "%s: input has inconsistent input_size: got %lld expected %lld", f,
                     (long long)x->sizes[x->ndim - 1], (long long)w_ih->sizes[1]);
        return -1;
    }
    if (same_dtype(f, "input", x, w_ih) < 0) return -1;
    bool unbatched = x->ndim == 1;
    int64_t B = unbatched ? 1 : x->sizes[0];
    const ct_tensor *st[2] = {hx, cx};
    for (int k = 0; k < (mode == CT_RNN_LSTM ? 2 : 1); k++) {
        const ct_tensor *s = st[k];
        if (!s) continue;
        if (s->ndim != x->ndim) {
            ct_set_error(CT_ERR_RUNTIME, "%s: Expected hidden to be %d-D for %d-D input but received %d-D tensor",
                         f, x->ndim, x->ndim, s->ndim);
            return -1;
        }
        if ((!unbatched && s->sizes[0] != B) || s->sizes[s->ndim - 1] != H) {
            ct_set_error(CT_ERR_RUNTIME, "%s: Expected hidden size %s, got %s (input %s)", f,
                         unbatched ? "[hidden_size]" : "[batch, hidden_size]", ct__shp(s), ct__shp(x));
            return -1;
        }
        if (same_dtype(f, k ? "cx" : "hx", s, w_ih) < 0) return -1;
    }
    if (mode == CT_RNN_LSTM && (!hx) != (!cx)) {
        ct_set_error(CT_ERR_VALUE, "%s: hx and cx must be both given or both NULL", f);
        return -1;
    }
    ct_scope sc = ct_scope_begin();
    int rc = -1;
    ct_tensor *h = NULL, *c = NULL, *x2 = unbatched ? ct_unsqueeze(x, 0) : (ct_tensor *)x;
    ct_tensor *h0 = hx ? (unbatched ? ct_unsqueeze(hx, 0) : (ct_tensor *)hx)
                       : zeros_on(w_ih, (const int64_t[]){B, H}, 2);
    ct_tensor *c0 = mode != CT_RNN_LSTM ? NULL
                    : cx ? (unbatched ? ct_unsqueeze(cx, 0) : (ct_tensor *)cx)
                         : zeros_on(w_ih, (const int64_t[]){B, H}, 2);
    ct_tensor *gi = x2 && h0 && (mode != CT_RNN_LSTM || c0) ? ct_linear(x2, w_ih, b_ih) : NULL;
    int rs = -1;
    if (gi && fused_ok(x, w_ih)) {
        ct_tensor *gi3 = ct_unsqueeze(gi, 0), *hs = NULL;
        rs = gi3 ? fused_seq(mode, gi3, h0, c0, w_hh, b_hh, false, &hs, &c) : -1;
        h = rs == 0 ? ct_select(hs, 0, 0) : NULL;
        rs = h ? 0 : -1;
    } else if (gi) {
        rs = ct__rnn_composed_step(mode, gi, h0, c0, w_hh, b_hh, NULL, &h, &c);
    }
    if (rs == 0) {
        if (unbatched) {
            h = ct_select(h, 0, 0);
            c = c ? ct_select(c, 0, 0) : NULL;
        }
        if (h && (mode != CT_RNN_LSTM || c)) {
            ct_keep(h);
            if (c) ct_keep(c);
            rc = 0;
        }
    }
    ct_scope_end(sc);
    if (rc < 0) return -1;
    *h_out = ct_autorelease(h);
    if (c_out) *c_out = c ? ct_autorelease(c) : NULL;
    return 0;
}

ct_tensor *ct_rnn_tanh_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih,
                            const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh) {
    ct_tensor *h;
    return cell(CT_RNN_TANH, "rnn_tanh_cell", x, hx, NULL, w_ih, w_hh, b_ih, b_hh, &h, NULL) < 0 ? NULL : h;
}
ct_tensor *ct_rnn_relu_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih,
                            const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh) {
    ct_tensor *h;
    return cell(CT_RNN_RELU, "rnn_relu_cell", x, hx, NULL, w_ih, w_hh, b_ih, b_hh, &h, NULL) < 0 ? NULL : h;
}
ct_tensor *ct_gru_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih, const ct_tensor *w_hh,
                       const ct_tensor *b_ih, const ct_tensor *b_hh) {
    ct_tensor *h;
    return cell(CT_RNN_GRU, "gru_cell", x, hx, NULL, w_ih, w_hh, b_ih, b_hh, &h, NULL) < 0 ? NULL : h;
}
int ct_lstm_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *cx, const ct_tensor *w_ih,
                 const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh, ct_tensor **h_out,
                 ct_tensor **c_out) {
    if (!h_out || !c_out) {
        ct_set_error(CT_ERR_VALUE, "lstm_cell: h_out and c_out must not be NULL");
        return -1;
    }
    return cell(CT_RNN_LSTM, "lstm_cell", x, hx, cx, w_ih, w_hh, b_ih, b_hh, h_out, c_out);
}

/* ------------------------------------------------------------------ layers */

/* Checks a given initial state against [L*D, B, H] (3-d, already batched). */
static int check_state(const char *f, const char *nm, const ct_tensor *s, int64_t LD, int64_t B, int64_t H,
                       ct_dtype dt) {
    if (s->ndim != 3 || s->sizes[0] != LD || s->sizes[1] != B || s->sizes[2] != H) {
        ct_set_error(CT_ERR_RUNTIME, "%s: Expected %s size (%lld, %lld, %lld), got %s", f, nm, (long long)LD,
                     (long long)B, (long long)H, ct__shp(s));
        return -1;
    }
    if (s->dtype != dt) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected %s to have dtype %s (the input's), but got %s", f, nm,
                     ct_dtype_name(dt), ct_dtype_name(s->dtype));
        return -1;
    }
    return 0;
}

/* The packing maps of T steps of batch_sizes bs (B = bs[0] rows, N
 * packed rows): *unpack [N] the padded position t*B + b of each packed row,
 * *pad [T*B] the packed row of each padded position (0 where a row does not
 * take the step: that row of gi is never read, and gets no gradient). */
static int packing(const int64_t *bs, int64_t T, int64_t N, ct_tensor **unpack, ct_tensor **pad) {
    int64_t B = bs[0];
    ct_tensor *u = ct_empty((const int64_t[]){N}, 1, CT_INT64), *p = ct_zeros((const int64_t[]){T * B}, 1, CT_INT64);
    if (!u || !p) return -1;
    int64_t *uv = ct_data_ptr(u), *pv = ct_data_ptr(p), k = 0;
    for (int64_t t = 0; t < T; t++)
        for (int64_t b = 0; b < bs[t]; b++, k++) uv[k] = t * B + b, pv[t * B + b] = k;
    *unpack = u;
    *pad = p;
    return 0;
}

/* The body of ct_rnn_forward_ex inside its scope: results left in the scope. */
static int layers(ct_rnn_mode mode, const char *f, const ct_tensor *input, const ct_tensor *hx,
                  const ct_tensor *cx, const ct_tensor *const *params, bool has_biases, bool has_proj, int64_t L,
                  double p, bool training, bool bidir, bool batch_first, const int64_t *bsz, int64_t nbsz,
                  ct_generator *g, ct_tensor **out, ct_tensor **hn, ct_tensor **cn) {
    bool lstm = mode == CT_RNN_LSTM, packed = bsz != NULL, unbatched = !packed && input->ndim == 2;
    int D = bidir ? 2 : 1, np = (has_biases ? 4 : 2) + (has_proj ? 1 : 0);
    int64_t R = params[1]->sizes[1], H = has_proj ? params[np - 1]->sizes[1] : R, LD = L * D;
    ct_tensor *x = (ct_tensor *)input, *unpack = NULL, *pad = NULL;
    if (unbatched) x = ct_unsqueeze(x, 1);
    else if (batch_first && !packed) x = ct_transpose(x, 0, 1);
    if (!x) return -1;
    int64_t T = packed ? nbsz : x->sizes[0], B = packed ? (nbsz ? bsz[0] : 0) : x->sizes[1];
    if (T == 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: Expected sequence length to be larger than 0 in RNN", f);
        return -1;
    }
    if (packed && packing(bsz, T, input->sizes[0], &unpack, &pad) < 0) return -1;
    const ct_tensor *st[2] = {hx, cx};
    ct_tensor *s0[2] = {NULL, NULL};
    for (int k = 0; k < (lstm ? 2 : 1); k++) {
        const char *nm = k ? "cell state" : "hidden";
        int64_t S = k ? H : R;
        if (!st[k]) {
            s0[k] = zeros_on(input, (const int64_t[]){LD, B, S}, 3);
        } else if (unbatched) {
            if (st[k]->ndim != 2) {
                ct_set_error(CT_ERR_RUNTIME,
                             "%s: For unbatched 2-D input, %s should also be 2-D but got %d-D tensor", f,
                             k ? "cx" : "hx", st[k]->ndim);
                return -1;
            }
            s0[k] = ct_unsqueeze(st[k], 1);
        } else {
            if (st[k]->ndim != 3) {
                ct_set_error(CT_ERR_RUNTIME, "%s: For batched 3-D input, %s should also be 3-D but got %d-D tensor",
                             f, k ? "cx" : "hx", st[k]->ndim);
                return -1;
            }
            s0[k] = (ct_tensor *)st[k];
        }
        if (!s0[k] || check_state(f, nm, s0[k], LD, B, S, input->dtype) < 0) return -1;
    }
    ct_tensor **hs = malloc(sizeof *hs * (size_t)(T + 2 * LD));
    if (!hs) {
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", f);
        return -1;
    }
    ct_tensor **hlast = hs + T, **clast = hs + T + LD;
    ct_tensor *layer_in = x;
    int rc = -1, last = packed ? 1 : 2;
    for (int64_t l = 0; l < L; l++) {
        ct_tensor *dir_out[2] = {NULL, NULL};
        for (int d = 0; d < D; d++) {
            const ct_tensor *const *w = params + (l * D + d) * np;
            const ct_tensor *b_ih = has_biases ? w[2] : NULL, *b_hh = has_biases ? w[3] : NULL;
            const ct_tensor *w_hr = has_proj ? w[np - 1] : NULL;
            if (w[0]->sizes[1] != layer_in->sizes[last]) {
                ct_set_error(CT_ERR_RUNTIME,
                             "%s: input.size(-1) must be equal to input_size. Expected %lld, got %lld"
                             " (layer %lld)", f, (long long)w[0]->sizes[1], (long long)layer_in->sizes[last],
                             (long long)l);
                goto done;
            }
            ct_tensor *h = ct_select(s0[0], 0, l * D + d), *c = lstm ? ct_select(s0[1], 0, l * D + d) : NULL;
            if (!h || (lstm && !c)) goto done;
            if (fused_ok(layer_in, w[0])) {
                ct_tensor *gi, *hsd;
                if (packed) {
                    /* the input projection of the packed rows only, then
                     * spread to [T, B, G*H] */
                    gi = ct_linear(layer_in, w[0], b_ih);
                    gi = gi ? ct_index_select(gi, 0, pad) : NULL;
                    gi = gi ? ct_reshape(gi, (const int64_t[]){T, B, w[0]->sizes[0]}, 3) : NULL;
                } else {
                    gi = input_projection(layer_in, w[0], b_ih);
                }
                if (!gi || ct_recurrent_layer(mode, gi, h, c, w[1], b_hh, w_hr, bsz, d == 1, &hsd,
                                              &clast[l * D + d]) < 0 ||
                    !(hlast[l * D + d] = ct_select(hsd, 0, d ? 0 : T - 1)))
                    goto done;
                if (packed) {
                    hsd = ct_reshape(hsd, (const int64_t[]){T * B, R}, 2);
                    hsd = hsd ? ct_index_select(hsd, 0, unpack) : NULL;
                }
                if (!(dir_out[d] = hsd)) goto done;
                continue;
            }
            if (packed) {
                ct_set_error(CT_ERR_NOT_IMPL, "%s: packed sequences are implemented for CPU float32 and float64 "
                             "only, got %s on %s", f, ct_dtype_name(layer_in->dtype),
                             ct__on_cpu(layer_in) ? "cpu" : "cuda");
                goto done;
            }
            ct_tensor *gi_all = ct_linear(layer_in, w[0], b_ih);
            if (!gi_all) goto done;
            for (int64_t s = 0; s < T; s++) {
                int64_t t = d ? T - 1 - s : s;
                ct_tensor *gi = ct_select(gi_all, 0, t);
                if (!gi || ct__rnn_composed_step(mode, gi, h, c, w[1], b_hh, w_hr, &h, &c) < 0) goto done;
                hs[t] = h;
            }
            hlast[l * D + d] = h;
            clast[l * D + d] = c;
            if (!(dir_out[d] = ct_stack((const ct_tensor *const *)hs, (int)T, 0))) goto done;
        }
        ct_tensor *lo = D == 2 ? ct_cat((const ct_tensor *const *)dir_out, 2, last) : dir_out[0];
        if (lo && l < L - 1 && p > 0 && training) lo = ct_dropout(lo, p, true, g);
        if (!(layer_in = lo)) goto done;
    }
    ct_tensor *o = layer_in;
    if (unbatched) o = ct_select(o, 1, 0);
    else if (batch_first && !packed) o = ct_transpose(o, 0, 1);
    ct_tensor *h_n = ct_stack((const ct_tensor *const *)hlast, (int)LD, 0);
    ct_tensor *c_n = lstm ? ct_stack((const ct_tensor *const *)clast, (int)LD, 0) : NULL;
    if (unbatched) {
        h_n = h_n ? ct_select(h_n, 1, 0) : NULL;
        c_n = c_n ? ct_select(c_n, 1, 0) : NULL;
    }
    if (!o || !h_n || (lstm && !c_n)) goto done;
    *out = o;
    *hn = h_n;
    *cn = c_n;
    rc = 0;
done:
    free(hs);
    return rc;
}

int ct_rnn_forward(ct_rnn_mode mode, const ct_tensor *input, const ct_tensor *hx, const ct_tensor *cx,
                   const ct_tensor *const *params, int nparams, bool has_biases, int64_t num_layers,
                   double dropout, bool training, bool bidirectional, bool batch_first, ct_generator *g,
                   ct_tensor **output, ct_tensor **h_n, ct_tensor **c_n) {
    return ct_rnn_forward_ex(mode, input, hx, cx, params, nparams, has_biases, false, num_layers, dropout, training,
                             bidirectional, batch_first, NULL, 0, g, output, h_n, c_n);
}

int ct_rnn_forward_ex(ct_rnn_mode mode, const ct_tensor *input, const ct_tensor *hx, const ct_tensor *cx,
                      const ct_tensor *const *params, int nparams, bool has_biases, bool has_proj,
                      int64_t num_layers, double dropout, bool training, bool bidirectional, bool batch_first,
                      const int64_t *batch_sizes, int64_t n_batch_sizes, ct_generator *g, ct_tensor **output,
                      ct_tensor **h_n, ct_tensor **c_n) {
    if ((unsigned)mode > CT_RNN_GRU) {
        ct_set_error(CT_ERR_VALUE, "rnn: unknown mode %d", (int)mode);
        return -1;
    }
    const char *f = mode_name(mode);
    bool lstm = mode == CT_RNN_LSTM;
    if (!input || !params || !output || !h_n || (lstm && !c_n)) {
        ct_set_error(CT_ERR_VALUE, "%s: input, params, output, h_n (and c_n for LSTM) must not be NULL", f);
        return -1;
    }
    if (num_layers < 1) {
        ct_set_error(CT_ERR_VALUE, "%s: num_layers must be at least 1, got %lld", f, (long long)num_layers);
        return -1;
    }
    if (!(dropout >= 0 && dropout <= 1)) {
        ct_set_error(CT_ERR_VALUE,
                     "%s: dropout should be a number in range [0, 1] representing the probability of an element "
                     "being zeroed, got %g", f, dropout);
        return -1;
    }
    if (!lstm && cx) {
        ct_set_error(CT_ERR_VALUE, "%s: a cell state cx is only for LSTM", f);
        return -1;
    }
    if (!lstm && has_proj) {
        ct_set_error(CT_ERR_VALUE, "%s: proj_size argument is only supported for LSTM, not RNN or GRU", f);
        return -1;
    }
    int D = bidirectional ? 2 : 1, np = (has_biases ? 4 : 2) + (has_proj ? 1 : 0);
    if ((int64_t)nparams != num_layers * D * np) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: expected %lld parameter tensors (num_layers %lld, %d direction(s), %s%s), got %d", f,
                     (long long)(num_layers * D * np), (long long)num_layers, D,
                     has_biases ? "with biases" : "without biases", has_proj ? ", with projections" : "", nparams);
        return -1;
    }
    if (batch_sizes) {
        int64_t total = 0;
        for (int64_t t = 0; t < n_batch_sizes; t++) {
            if (batch_sizes[t] < 1 || (t && batch_sizes[t] > batch_sizes[t - 1])) {
                ct_set_error(CT_ERR_RUNTIME, "%s: batch_sizes must be positive and non-increasing, got %lld at "
                             "step %lld", f, (long long)batch_sizes[t], (long long)t);
                return -1;
            }
            total += batch_sizes[t];
        }
        if (input->ndim != 2 || input->sizes[0] != total) {
            ct_set_error(CT_ERR_RUNTIME, "%s: packed input must have dimensions [sum(batch_sizes) = %lld, "
                         "input_size], got %s", f, (long long)total, ct__shp(input));
            return -1;
        }
    } else if (input->ndim != 2 && input->ndim != 3) {
        ct_set_error(CT_ERR_VALUE, "%s: Expected input to be 2-D or 3-D but received %d-D tensor", f, input->ndim);
        return -1;
    }
    int64_t R = -1;
    for (int k = 0; k < nparams; k += np) {
        int64_t rk;
        if (check_weights(f, mode, params[k], params[k + 1], has_biases ? params[k + 2] : NULL,
                          has_biases ? params[k + 3] : NULL, has_proj ? params[k + np - 1] : NULL, &rk) < 0)
            return -1;
        if (R >= 0 && (rk != R || params[k + 1]->sizes[0] != params[1]->sizes[0])) {
            ct_set_error(CT_ERR_RUNTIME, "%s: every layer must have the same hidden size (%s and %s)", f,
                         ct__shp(params[1]), ct__shp(params[k + 1]));
            return -1;
        }
        R = rk;
        if (k >= D * np && params[k]->sizes[1] != D * R) {
            ct_set_error(CT_ERR_RUNTIME, "%s: weight_ih of layer %d must have %lld columns, got %s", f, k / (D * np),
                         (long long)(D * R), ct__shp(params[k]));
            return -1;
        }
    }
    if (same_dtype(f, "input", input, params[0]) < 0) return -1;

    ct_scope sc = ct_scope_begin();
    ct_tensor *o = NULL, *hn = NULL, *cn = NULL;
    int rc = layers(mode, f, input, hx, cx, params, has_biases, has_proj, num_layers, dropout, training,
                    bidirectional, batch_first, batch_sizes, n_batch_sizes, g, &o, &hn, &cn);
    if (rc == 0) {
        ct_keep(o);
        ct_keep(hn);
        if (cn) ct_keep(cn);
    }
    ct_scope_end(sc);
    if (rc < 0) return -1;
    *output = ct_autorelease(o);
    *h_n = ct_autorelease(hn);
    if (c_n) *c_n = cn ? ct_autorelease(cn) : NULL;
    return 0;
}
