/* Derivatives of the nn ops that record themselves (include/ctorch/def/nn.def):
 * softmax, log_softmax and max_pool2d, written with differentiable ops so
 * that they can be differentiated again. The composed nn ops (linear,
 * dropout, norms, losses) need none: their parts record. */
#include "autograd/ag_internal.h"

#include <stdlib.h>

#include "ctorch/factory.h"
#include "ctorch/index.h"
#include "ctorch/linalg.h"
#include "ctorch/reduce.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

/* softmax along dims[0]: dx = y * (g - sum(g * y, dim, keepdim)) */
static int d_softmax(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = ct__ag_output(n);
    if (!y) return -1;
    int d = (int)n->args.dims[0];
    ct_tensor *s = ct_sum_dims(ct_mul(g[0], y), &d, 1, true, -1);
    SET(0, s ? ct_mul(y, ct_sub(g[0], s)) : NULL);
    return 0;
}

/* log_softmax along dims[0]: dx = g - exp(y) * sum(g, dim, keepdim) */
static int d_log_softmax(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = ct__ag_output(n);
    if (!y) return -1;
    int d = (int)n->args.dims[0];
    ct_tensor *s = ct_sum_dims(g[0], &d, 1, true, -1);
    SET(0, s ? ct_sub(g[0], ct_mul(ct_exp(y), s)) : NULL);
    return 0;
}

/* max_pool2d: scatter-add g into zeros of the input's shape at the saved
 * indices (flat h*W+w per plane): input as [planes, H*W], indices and g as
 * [planes, OH*OW]. */
static int d_max_pool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_in_meta *in = &n->in[0];
    int nd = in->ndim;
    int64_t planes = 1;
    for (int i = 0; i < nd - 2; i++) planes *= in->sizes[i];
    int64_t hw = in->sizes[nd - 2] * in->sizes[nd - 1];
    int64_t ohw = g[0]->ndim >= 2 ? g[0]->sizes[g[0]->ndim - 2] * g[0]->sizes[g[0]->ndim - 1] : 0;
    const int64_t zs[2] = {planes, hw}, os[2] = {planes, ohw};
    ct_tensor *z = ct__ag_zeros(zs, 2, g[0]->dtype);
    ct_tensor *gi = ct_reshape(g[0], os, 2);
    ct_tensor *ii = ct_reshape(idx, os, 2);
    if (!z || !gi || !ii) return -1;
    ct_tensor *r = ct_scatter_add(z, 1, ii, gi);
    SET(0, r ? ct_reshape(r, in->sizes, nd) : NULL);
    return 0;
}

/* The average poolings are separable: y = Ah x Aw^T per plane, with Ah
 * [OH, H] and Aw [OW, W] holding each window's weights, so dx = Ah^T g Aw
 * (differentiable in g: the pooling matrices are constants). row(o) gives
 * the window [lo, hi) of output o and its weight. */
typedef struct pool1d {
    int adaptive;
    int64_t L, OL, k, s, p;
    bool count_include_pad;
    double override; /* 0: none */
} pool1d;

static ct_tensor *pool_matrix(const pool1d *q, bool transpose, ct_dtype dt) {
    int64_t L = q->L, OL = q->OL;
    double *m = calloc((size_t)(L * OL > 0 ? L * OL : 1), sizeof(double));
    if (!m) return CT_FAIL(CT_ERR_RUNTIME, "avg_pool2d backward: out of memory");
    for (int64_t o = 0; o < OL; o++) {
        int64_t lo, hi;
        double w;
        if (q->adaptive) {
            lo = o * L / OL, hi = ((o + 1) * L + OL - 1) / OL;
            w = 1.0 / (double)(hi - lo);
        } else {
            lo = o * q->s - q->p;
            hi = lo + q->k < L + q->p ? lo + q->k : L + q->p;
            int64_t pool = hi - lo;
            lo = lo > 0 ? lo : 0, hi = hi < L ? hi : L;
            if (!q->count_include_pad) pool = hi - lo;
            w = q->override ? 1.0 / q->override : (pool > 0 ? 1.0 / (double)pool : 0.0);
        }
        for (int64_t i = lo; i < hi; i++) m[transpose ? i * OL + o : o * L + i] = w;
    }
    const int64_t sz[2] = {transpose ? L : OL, transpose ? OL : L};
    ct_tensor *t = ct_tensor_from_doubles(m, sz, 2, dt);
    free(m);
    return t;
}

static int pool_grad(ct_node *n, ct_tensor *const *g, ct_tensor **gin, pool1d *qh, pool1d *qw) {
    const ct_in_meta *in = &n->in[0];
    int nd = in->ndim;
    qh->L = in->sizes[nd - 2], qw->L = in->sizes[nd - 1];
    qh->OL = g[0]->sizes[g[0]->ndim - 2], qw->OL = g[0]->sizes[g[0]->ndim - 1];
    ct_tensor *ah_t = pool_matrix(qh, true, g[0]->dtype);
    ct_tensor *aw = pool_matrix(qw, false, g[0]->dtype);
    if (!ah_t || !aw) return -1;
    ct_tensor *r = ct_matmul(ah_t, g[0]);
    SET(0, r ? ct_matmul(r, aw) : NULL);
    return 0;
}

/* avg_pool2d: i[0..1] kernel, i[2..3] stride, i[4..5] padding, b[1]
 * count_include_pad, f[0] divisor_override (applied once, on the w side). */
static int d_avg_pool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    const ct_op_args *a = &n->args;
    bool cip = a->b[1];
    pool1d qh = {0, 0, 0, a->i[0], a->i[2], a->i[4], cip, 0};
    pool1d qw = {0, 0, 0, a->i[1], a->i[3], a->i[5], cip, a->f[0]};
    if (a->f[0]) qh.override = 1; /* the whole divisor sits in qw */
    return pool_grad(n, g, gin, &qh, &qw);
}

static int d_adaptive_avg_pool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    pool1d qh = {1, 0, 0, 0, 0, 0, false, 0}, qw = qh;
    return pool_grad(n, g, gin, &qh, &qw);
}

/* conv2d as shifts: Sh[i, a, h] = 1 where h = a*stride - pad + i*dilation
 * (zero padding: no entry outside [0, H)), so per group
 * y[n,o,a,b] = sum W[o,c,i,j] Sh[i,a,h] Sw[j,b,w] x[n,c,h,w]. */
static ct_tensor *shift_matrix(int64_t k, int64_t OL, int64_t L, int64_t s, int64_t p, int64_t d,
                               ct_dtype dt) {
    double *m = calloc((size_t)(k * OL * L > 0 ? k * OL * L : 1), sizeof(double));
    if (!m) return CT_FAIL(CT_ERR_RUNTIME, "conv2d backward: out of memory");
    for (int64_t i = 0; i < k; i++)
        for (int64_t a = 0; a < OL; a++) {
            int64_t h = a * s - p + i * d;
            if (h >= 0 && h < L) m[(i * OL + a) * L + h] = 1;
        }
    const int64_t sz[3] = {k, OL, L};
    ct_tensor *t = ct_tensor_from_doubles(m, sz, 3, dt);
    free(m);
    return t;
}

/* conv2d: inputs {x [N,C,H,W], weight [O,C/G,kH,kW], bias}; i[0..1] stride,
 * i[2..3] padding, i[4..5] dilation, dims[0] groups. */
static int d_conv2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    const int64_t *xs = n->in[0].sizes, *ws = n->in[1].sizes;
    int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0], kH = ws[2], kW = ws[3];
    int64_t G = a->dims[0] > 0 ? a->dims[0] : 1, OH = g[0]->sizes[2], OW = g[0]->sizes[3];
    ct_dtype dt = g[0]->dtype;
    ct_tensor *sh = shift_matrix(kH, OH, H, a->i[0], a->i[2], a->i[4], dt);
    ct_tensor *sw = shift_matrix(kW, OW, W, a->i[1], a->i[3], a->i[5], dt);
    ct_tensor *gg = ct_reshape(g[0], (const int64_t[]){N, G, O / G, OH, OW}, 5);
    if (!sh || !sw || !gg) return -1;
    if (NEED(0)) {
        ct_tensor *w = ct__ag_input(n, 1);
        if (!w) return -1;
        ct_tensor *wg = ct_reshape(w, (const int64_t[]){G, O / G, C / G, kH, kW}, 5);
        ct_tensor *t1 = wg ? ct_einsum("ngoab,gocij->ngcijab", (const ct_tensor *[]){gg, wg}, 2) : NULL;
        ct_tensor *t2 = t1 ? ct_einsum("ngcijab,iah->ngcjbh", (const ct_tensor *[]){t1, sh}, 2) : NULL;
        ct_tensor *t3 = t2 ? ct_einsum("ngcjbh,jbw->ngchw", (const ct_tensor *[]){t2, sw}, 2) : NULL;
        SET(0, t3 ? ct_reshape(t3, xs, 4) : NULL);
    }
    if (NEED(1)) {
        ct_tensor *x = ct__ag_input(n, 0);
        if (!x) return -1;
        ct_tensor *xg = ct_reshape(x, (const int64_t[]){N, G, C / G, H, W}, 5);
        ct_tensor *u1 = xg ? ct_einsum("ngchw,iah->ngciaw", (const ct_tensor *[]){xg, sh}, 2) : NULL;
        ct_tensor *u2 = u1 ? ct_einsum("ngciaw,jbw->ngcijab", (const ct_tensor *[]){u1, sw}, 2) : NULL;
        ct_tensor *gw = u2 ? ct_einsum("ngoab,ngcijab->gocij", (const ct_tensor *[]){gg, u2}, 2) : NULL;
        SET(1, gw ? ct_reshape(gw, ws, 4) : NULL);
    }
    if (n->nin > 2 && NEED(2)) {
        int d[3] = {0, 2, 3};
        SET(2, ct_sum_dims(g[0], d, 3, false, -1));
    }
    return 0;
}

void ct__ag_register_nn(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_softmax] = (ct_deriv){d_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_log_softmax] = (ct_deriv){d_log_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_max_pool2d] = (ct_deriv){d_max_pool2d, 0, 1, 0, 0};
    t[CT_OP_conv2d] = (ct_deriv){d_conv2d, 0x3, 0, 0, 0x3};
    t[CT_OP_avg_pool2d] = (ct_deriv){d_avg_pool2d, 0, 0, 0, 0};
    t[CT_OP_adaptive_avg_pool2d] = (ct_deriv){d_adaptive_avg_pool2d, 0, 0, 0, 0};
}
