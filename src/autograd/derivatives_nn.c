/* Derivatives of the nn ops that record themselves (include/ctorch/def/nn.def):
 * softmax, log_softmax, the poolings and conv2d (with its two gradient ops), written with differentiable ops so
 * that they can be differentiated again. The composed nn ops (linear,
 * dropout, norms, losses) need none: their parts record. */
#include "autograd/ag_internal.h"

#include <stdlib.h>

#include "ctorch/factory.h"
#include "ctorch/index.h"
#include "ctorch/linalg.h"
#include "ctorch/nn.h"
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

/* max_pool2d: g added at the saved indices (max_pool2d_backward); that op
 * is linear in g, its derivative gathers the incoming gradient at the same
 * indices (flat h*W+w per plane: planes as [planes, H*W]). */
static int d_max_pool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_in_meta *in = &n->in[0];
    SET(0, ct_max_pool2d_backward(g[0], idx, &in->sizes[in->ndim - 2]));
    return 0;
}

static int d_max_pool2d_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    int nd = idx->ndim;
    int64_t planes = 1;
    for (int i = 0; i < nd - 2; i++) planes *= idx->sizes[i];
    const int64_t hs[2] = {planes, n->args.dims[0] * n->args.dims[1]},
                  os[2] = {planes, idx->sizes[nd - 2] * idx->sizes[nd - 1]};
    ct_tensor *h = ct_reshape(g[0], hs, 2), *ii = ct_reshape(idx, os, 2);
    ct_tensor *r = h && ii ? ct_gather(h, 1, ii) : NULL;
    SET(0, r ? ct_reshape(r, idx->sizes, nd) : NULL);
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
    if (ah_t && aw && !ct__on_cpu(g[0])) { /* built on the host: to g's GPU */
        ah_t = ct_to_device(ah_t, g[0]->storage->device);
        aw = ah_t ? ct_to_device(aw, g[0]->storage->device) : NULL;
    }
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

/* conv2d: inputs {x [N,C,H,W], weight [O,C/G,kH,kW], bias}; i[0..1] stride,
 * i[2..3] padding, i[4..5] dilation, dims[0] groups. The two gradients are
 * ops of their own (src/nn/conv_backward.c): im2col + GEMM passes, and
 * differentiable again through the derivatives below. */
static int d_conv2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    const int64_t *xs = n->in[0].sizes, *ws = n->in[1].sizes;
    const int64_t *s = &a->i[0], *p = &a->i[2], *d = &a->i[4];
    int64_t G = a->dims[0] > 0 ? a->dims[0] : 1;
    if (NEED(0)) {
        ct_tensor *w = ct__ag_input(n, 1);
        if (!w) return -1;
        SET(0, ct_conv2d_backward_input(g[0], w, &xs[2], s, p, d, G));
    }
    if (NEED(1)) {
        ct_tensor *x = ct__ag_input(n, 0);
        if (!x) return -1;
        SET(1, ct_conv2d_backward_weight(g[0], x, &ws[2], s, p, d, G));
    }
    if (n->nin > 2 && NEED(2)) {
        int dd[3] = {0, 2, 3};
        SET(2, ct_sum_dims(g[0], dd, 3, false, -1));
    }
    return 0;
}

/* dx = conv2d_backward_input(gy, w) is bilinear, the adjoint of
 * conv2d(., w): <h, dx> = <conv2d(h, w), gy>. So with h the gradient of dx:
 * d gy = conv2d(h, w) and d w = conv2d_backward_weight(gy, h). dims[0]
 * groups, dims[1..2] the image size. */
static int d_conv2d_backward_input(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    const int64_t *s = &a->i[0], *p = &a->i[2], *d = &a->i[4], *ws = n->in[1].sizes;
    if (NEED(0)) {
        ct_tensor *w = ct__ag_input(n, 1);
        if (!w) return -1;
        SET(0, ct_conv2d(g[0], w, NULL, s, p, d, a->dims[0]));
    }
    if (NEED(1)) {
        ct_tensor *gy = ct__ag_input(n, 0);
        if (!gy) return -1;
        SET(1, ct_conv2d_backward_weight(gy, g[0], &ws[2], s, p, d, a->dims[0]));
    }
    return 0;
}

/* dw = conv2d_backward_weight(gy, x): <k, dw> = <conv2d(x, k), gy>, so with
 * k the gradient of dw: d gy = conv2d(x, k), d x = conv2d_backward_input(gy, k).
 * dims[0] groups, dims[1..2] the kernel size. */
static int d_conv2d_backward_weight(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    const int64_t *s = &a->i[0], *p = &a->i[2], *d = &a->i[4], *xs = n->in[1].sizes;
    if (NEED(0)) {
        ct_tensor *x = ct__ag_input(n, 1);
        if (!x) return -1;
        SET(0, ct_conv2d(x, g[0], NULL, s, p, d, a->dims[0]));
    }
    if (NEED(1)) {
        ct_tensor *gy = ct__ag_input(n, 0);
        if (!gy) return -1;
        SET(1, ct_conv2d_backward_input(gy, g[0], &xs[2], s, p, d, a->dims[0]));
    }
    return 0;
}

void ct__ag_register_nn(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_softmax] = (ct_deriv){d_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_log_softmax] = (ct_deriv){d_log_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_max_pool2d] = (ct_deriv){d_max_pool2d, 0, 1, 0, 0};
    t[CT_OP_max_pool2d_backward] = (ct_deriv){d_max_pool2d_backward, 0, 1, 0, 0};
    t[CT_OP_conv2d] = (ct_deriv){d_conv2d, 0x3, 0, 0, 0x3};
    t[CT_OP_conv2d_backward_input] = (ct_deriv){d_conv2d_backward_input, 0x3, 0, 0, 0x3};
    t[CT_OP_conv2d_backward_weight] = (ct_deriv){d_conv2d_backward_weight, 0x3, 0, 0, 0x3};
    t[CT_OP_avg_pool2d] = (ct_deriv){d_avg_pool2d, 0, 0, 0, 0};
    t[CT_OP_adaptive_avg_pool2d] = (ct_deriv){d_adaptive_avg_pool2d, 0, 0, 0, 0};
}
