/* Derivatives of the normalisation ops (include/ctorch/def/nn_norm.def and
 * batch_norm/layer_norm of nn.def).
 *
 * batch_norm's derivative is the op batch_norm_backward (a fused kernel),
 * whose own derivative below is written with differentiable ops, so any
 * order works. layer_norm, group_norm and instance_norm run their fused
 * backward kernels when no graph is being built, and otherwise (create_graph)
 * the same formulas written with differentiable ops, the statistics
 * recomputed from x so that they carry x's graph too. */
#include "autograd/ag_internal.h"
#include "nn/norm_internal.h"

#include "ctorch/nn_norm.h"
#include "ctorch/reduce.h"

#define NEED(i) ct__ag_needs(n, i)

/* Every dim but 1 ([N, C, *] reduced per channel). */
static int chan_dims(int nd, int *dims) {
    int k = 0;
    for (int i = 0; i < nd; i++)
        if (i != 1) dims[k++] = i;
    return k;
}

/* A [C] tensor viewed as [1, C, 1, ...] against nd dims. */
static ct_tensor *chan(const ct_tensor *t, int64_t C, int nd) {
    int64_t bs[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) bs[i] = i == 1 ? C : 1;
    return ct_reshape(t, bs, nd);
}

/* output k (1: grad_weight, 2: grad_bias) of a batch_norm_backward node exists */
static bool has_out(const ct_node *n, int k) {
    return n->nout > k && n->out_metas && n->out_metas[k].ndim > 0;
}

static ct_tensor *like_x(ct_tensor *g, const ct_tensor *x) {
    return g->dtype == x->dtype ? g : ct_to_dtype(g, x->dtype, false);
}

/* batch_norm: inputs {x, weight, bias}, extra {save_mean, save_invstd}. */
static int d_batch_norm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    ct_tensor *x = ct__ag_input(n, 0);
    ct_tensor *w = a->b[1] ? ct__ag_input(n, 1) : NULL;
    ct_tensor *m = ct__ag_extra(n, 0), *s = ct__ag_extra(n, 1);
    if (!x || (a->b[1] && !w) || !m || !s) return -1;
    ct_tensor *g0 = like_x(g[0], x);
    if (!g0) return -1;
    return ct_batch_norm_backward(g0, x, w, m, s, a->b[0], a->f[0], NEED(0) ? &gin[0] : NULL,
                                  NEED(1) ? &gin[1] : NULL, n->nin > 2 && NEED(2) ? &gin[2] : NULL);
}

/* batch_norm_backward: inputs {gO, x, w}, outputs {gI, gW, gB}, incoming
 * gradients {ggI, ggW, ggB}. Per channel (sums over the M elements of
 * every dim but 1), with xhat = (x - mean) s, s = invstd, ws = w s:
 *   gI = ws (gO - mean(gO) - xhat mean(gO xhat)),  gW = sum(gO xhat),
 *   gB = sum(gO).
 * Training (mean and s functions of x):
 *   d gO = ws (ggI - mean(ggI) - xhat mean(ggI xhat)) + ggW xhat + ggB
 *   d w  = sum(s ggI inner),  inner = gO - mean(gO) - xhat mean(gO xhat)
 *   d x  = s (h - mean(h) - xhat mean(h xhat)) - ws s xhat mean(ggI inner),
 *          h = ws (-mean(ggI xhat) gO - mean(gO xhat) ggI) + ggW gO
 *   (h = dL/dxhat at fixed s; the last term is dL/ds ds/dx).
 * Eval (mean and s constants): d gO = ws ggI + ggW xhat + ggB,
 *   d w = sum(s ggI gO), d x = ggW s gO. */
static int d_batch_norm_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    bool training = a->b[0], hw = has_out(n, 1), hb = has_out(n, 2);
    ct_tensor *gO = ct__ag_input(n, 0), *x = ct__ag_input(n, 1);
    ct_tensor *w = a->b[1] ? ct__ag_input(n, 2) : NULL;
    if (!gO || !x || (a->b[1] && !w)) return -1;
    int nd = x->ndim, dims[CT_MAX_DIMS], nr = chan_dims(nd, dims);
    int64_t C = x->sizes[1];
    ct_tensor *mu = NULL, *s = NULL;
    ct_tensor *sm = ct__ag_extra(n, 2), *si = ct__ag_extra(n, 3);
    if (training && (ct_is_grad_enabled() || !sm || !si)) {
        ct_tensor *var = ct_var_mean(x, dims, nr, 0, true, &mu);
        s = var ? ct_rsqrt(ct_add_scalar(var, a->f[0])) : NULL;
    } else {
        if (!sm || !si) return -1;
        mu = chan(sm, C, nd), s = chan(si, C, nd);
    }
    if (!mu || !s) return -1;
    ct_tensor *xhat = ct_mul(ct_sub(x, mu), s);
    ct_tensor *ws = w ? ct_mul(chan(w, C, nd), s) : s;
    ct_tensor *ggI = like_x(g[0], x);
    ct_tensor *ggW = hw ? chan(like_x(g[1], x), C, nd) : NULL;
    ct_tensor *ggB = hb ? chan(like_x(g[2], x), C, nd) : NULL;
    if (!xhat || !ws || !ggI || (hw && !ggW) || (hb && !ggB)) return -1;
    if (!training) {
        if (NEED(0)) {
            ct_tensor *r = ct_mul(ws, ggI);
            if (r && ggW) r = ct_add(r, ct_mul(ggW, xhat));
            if (r && ggB) r = ct_add(r, ggB);
            if (!(gin[0] = r)) return -1;
        }
        if (n->nin > 2 && NEED(2) && !(gin[2] = ct_sum_dims(ct_mul(ct_mul(ggI, gO), s), dims, nr, false, -1)))
            return -1;
        if (NEED(1) && ggW && !(gin[1] = ct_mul(ct_mul(ggW, gO), s))) return -1;
        return 0;
    }
    ct_tensor *gx = ct_mean_dims(ct_mul(gO, xhat), dims, nr, true, -1);
    ct_tensor *ggx = ct_mean_dims(ct_mul(ggI, xhat), dims, nr, true, -1);
    if (!gx || !ggx) return -1;
    if (NEED(0)) {
        ct_tensor *r = ct_sub(ggI, ct_mean_dims(ggI, dims, nr, true, -1));
        if (r) r = ct_mul(ws, ct_sub(r, ct_mul(xhat, ggx)));
        if (r && ggW) r = ct_add(r, ct_mul(ggW, xhat));
        if (r && ggB) r = ct_add(r, ggB);
        if (!(gin[0] = r)) return -1;
    }
    if (!NEED(1) && !(n->nin > 2 && NEED(2))) return 0;
    ct_tensor *inner = ct_sub(ct_sub(gO, ct_mean_dims(gO, dims, nr, true, -1)), ct_mul(xhat, gx));
    ct_tensor *gi_inner = inner ? ct_mul(ggI, inner) : NULL;
    if (!gi_inner) return -1;
    if (n->nin > 2 && NEED(2) && !(gin[2] = ct_sum_dims(ct_mul(gi_inner, s), dims, nr, false, -1)))
        return -1;
    if (NEED(1)) {
        ct_tensor *h = ct_mul(ws, ct_neg(ct_add(ct_mul(ggx, gO), ct_mul(gx, ggI))));
        if (h && ggW) h = ct_add(h, ct_mul(ggW, gO));
        if (!h) return -1;
        ct_tensor *hm = ct_mean_dims(h, dims, nr, true, -1);
        ct_tensor *hx = ct_mean_dims(ct_mul(h, xhat), dims, nr, true, -1);
        ct_tensor *t = ct_mean_dims(gi_inner, dims, nr, true, -1);
        if (!hm || !hx || !t) return -1;
        ct_tensor *r = ct_mul(s, ct_sub(ct_sub(h, hm), ct_mul(xhat, hx)));
        if (r) r = ct_sub(r, ct_mul(ct_mul(ws, s), ct_mul(xhat, t)));
        if (!(gin[1] = r)) return -1;
    }
    return 0;
}

/* (x - mean) * rstd over the given dims of x, statistics recomputed with
 * differentiable ops (keepdim). */
static ct_tensor *normalised(const ct_tensor *x, const int *dims, int nr, double eps,
                             ct_tensor **rstd) {
    ct_tensor *mu = NULL;
    ct_tensor *var = ct_var_mean(x, dims, nr, 0, true, &mu);
    ct_tensor *s = var ? ct_rsqrt(ct_add_scalar(var, eps)) : NULL;
    if (rstd) *rstd = s;
    return s ? ct_mul(ct_sub(x, mu), s) : NULL;
}

/* dx = s (u - mean(u) - xhat mean(u xhat)) over dims (u = w g). */
static ct_tensor *norm_dx(const ct_tensor *u, const ct_tensor *xhat, const ct_tensor *s,
                          const int *dims, int nr) {
    ct_tensor *um = ct_mean_dims(u, dims, nr, true, -1);
    ct_tensor *ux = ct_mean_dims(ct_mul(u, xhat), dims, nr, true, -1);
    if (!um || !ux) return NULL;
    return ct_mul(s, ct_sub(ct_sub(u, um), ct_mul(xhat, ux)));
}

/* layer_norm: inputs {x, weight, bias}, extra {mean, rstd} [R], i[0]
 * nshape, b[1] weight given, f[0] eps. */
static int d_layer_norm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    int nshape = (int)a->i[0];
    ct_tensor *x = ct__ag_input(n, 0), *w = a->b[1] ? ct__ag_input(n, 1) : NULL;
    if (!x || (a->b[1] && !w)) return -1;
    ct_tensor *g0 = like_x(g[0], x);
    if (!g0) return -1;
    bool nb = n->nin > 2 && NEED(2);
    if (!ct_is_grad_enabled()) {
        ct_tensor *m = ct__ag_extra(n, 0), *r = ct__ag_extra(n, 1);
        if (!m || !r) return -1;
        return ct__layer_norm_backward(g0, x, w, m, r, nshape, NEED(0) ? &gin[0] : NULL,
                                       NEED(1) ? &gin[1] : NULL, nb ? &gin[2] : NULL);
    }
    int nd = x->ndim, dims[CT_MAX_DIMS], lead[CT_MAX_DIMS], nl = nd - nshape;
    for (int i = 0; i < nshape; i++) dims[i] = nl + i;
    for (int i = 0; i < nl; i++) lead[i] = i;
    ct_tensor *s = NULL, *xhat = normalised(x, dims, nshape, a->f[0], &s);
    if (!xhat) return -1;
    if (NEED(0)) {
        ct_tensor *u = w ? ct_mul(g0, w) : g0;
        if (!u || !(gin[0] = norm_dx(u, xhat, s, dims, nshape))) return -1;
    }
    if (NEED(1)) {
        ct_tensor *p = ct_mul(g0, xhat);
        if (p && nl) p = ct_sum_dims(p, lead, nl, false, -1);
        if (!(gin[1] = p)) return -1;
    }
    if (nb && !(gin[2] = nl ? ct_sum_dims(g0, lead, nl, false, -1) : g0)) return -1;
    return 0;
}

/* group_norm / instance_norm: inputs {x, weight, bias}, extra {mean, rstd}
 * [N*G], i[0] G, b[1] weight given, f[0] eps. */
static int d_group_norm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    int64_t G = a->i[0];
    ct_tensor *x = ct__ag_input(n, 0), *w = a->b[1] ? ct__ag_input(n, 1) : NULL;
    if (!x || (a->b[1] && !w)) return -1;
    ct_tensor *g0 = like_x(g[0], x);
    if (!g0) return -1;
    bool nb = n->nin > 2 && NEED(2);
    if (!ct_is_grad_enabled()) {
        ct_tensor *m = ct__ag_extra(n, 0), *r = ct__ag_extra(n, 1);
        if (!m || !r) return -1;
        return ct__group_norm_backward(g0, x, w, m, r, G, NEED(0) ? &gin[0] : NULL,
                                       NEED(1) ? &gin[1] : NULL, nb ? &gin[2] : NULL);
    }
    int nd = x->ndim, dims[CT_MAX_DIMS], nr = chan_dims(nd, dims), last = 2;
    int64_t N = x->sizes[0], C = x->sizes[1];
    const int64_t v3[3] = {N, G, G ? x->numel / (N * G > 0 ? N * G : 1) : 0};
    ct_tensor *xv = ct_reshape(x, v3, 3), *s = NULL;
    ct_tensor *xhv = xv ? normalised(xv, &last, 1, a->f[0], &s) : NULL;
    if (!xhv) return -1;
    if (NEED(0)) {
        ct_tensor *u = w ? ct_mul(g0, chan(w, C, nd)) : g0;
        ct_tensor *uv = u ? ct_reshape(u, v3, 3) : NULL;
        ct_tensor *d = uv ? norm_dx(uv, xhv, s, &last, 1) : NULL;
        if (!d || !(gin[0] = ct_reshape(d, x->sizes, nd))) return -1;
    }
    if (NEED(1)) {
        ct_tensor *xhat = ct_reshape(xhv, x->sizes, nd);
        if (!xhat || !(gin[1] = ct_sum_dims(ct_mul(g0, xhat), dims, nr, false, -1))) return -1;
    }
    if (nb && !(gin[2] = ct_sum_dims(g0, dims, nr, false, -1))) return -1;
    return 0;
}

void ct__ag_register_nn_norm(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_batch_norm] = (ct_deriv){d_batch_norm, 0x3, 1, 0, 0};
    t[CT_OP_batch_norm_backward] = (ct_deriv){d_batch_norm_backward, 0x7, 1, 2, 0};
    t[CT_OP_layer_norm] = (ct_deriv){d_layer_norm, 0x3, 1, 0, 0};
    t[CT_OP_group_norm] = (ct_deriv){d_group_norm, 0x3, 1, 0, 0};
    t[CT_OP_instance_norm] = (ct_deriv){d_group_norm, 0x3, 1, 0, 0};
}
