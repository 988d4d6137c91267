/* Derivatives of the ops of include/ctorch/def/nn_conv.def that record
 * themselves: conv3d and its two gradient ops, written with these same
 * differentiable ops (each is bilinear, the adjoint of the others), so that
 * they differentiate again to any order. The transposed convolutions
 * record nothing: conv2d_backward_input (src/autograd/derivatives_nn.c)
 * and add carry their gradients. */
#include "autograd/ag_internal.h"

#include "ctorch/nn_conv.h"
#include "ctorch/reduce.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

/* i[0..2] stride, i[3..5] padding, dims[0..2] dilation, dims[3] groups */
#define ARGS(a) const int64_t *s = &(a)->i[0], *p = &(a)->i[3], *d = &(a)->dims[0]; \
    int64_t G = (a)->dims[3] > 0 ? (a)->dims[3] : 1

/* conv3d: inputs {x [N,C,D,H,W], weight [O,C/G,kD,kH,kW], bias}. */
static int d_conv3d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ARGS(&n->args);
    const int64_t *xs = n->in[0].sizes, *ws = n->in[1].sizes;
    if (NEED(0)) {
        ct_tensor *w = ct__ag_input(n, 1);
        if (!w) return -1;
        SET(0, ct_conv3d_backward_input(g[0], w, &xs[2], s, p, d, G));
    }
    if (NEED(1)) {
        ct_tensor *x = ct__ag_input(n, 0);
        if (!x) return -1;
        SET(1, ct_conv3d_backward_weight(g[0], x, &ws[2], s, p, d, G));
    }
    if (n->nin > 2 && NEED(2)) {
        int dd[4] = {0, 2, 3, 4};
        SET(2, ct_sum_dims(g[0], dd, 4, false, -1));
    }
    return 0;
}

/* dx = conv3d_backward_input(gy, w), the adjoint of conv3d(., w): with h
 * the gradient of dx, d gy = conv3d(h, w), d w = conv3d_backward_weight(gy, h). */
static int d_conv3d_backward_input(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ARGS(&n->args);
    const int64_t *ws = n->in[1].sizes;
    if (NEED(0)) {
        ct_tensor *w = ct__ag_input(n, 1);
        if (!w) return -1;
        SET(0, ct_conv3d(g[0], w, NULL, s, p, d, G));
    }
    if (NEED(1)) {
        ct_tensor *gy = ct__ag_input(n, 0);
        if (!gy) return -1;
        SET(1, ct_conv3d_backward_weight(gy, g[0], &ws[2], s, p, d, G));
    }
    return 0;
}

/* dw = conv3d_backward_weight(gy, x): with k the gradient of dw,
 * d gy = conv3d(x, k), d x = conv3d_backward_input(gy, k). */
static int d_conv3d_backward_weight(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ARGS(&n->args);
    const int64_t *xs = n->in[1].sizes;
    if (NEED(0)) {
        ct_tensor *x = ct__ag_input(n, 1);
        if (!x) return -1;
        SET(0, ct_conv3d(x, g[0], NULL, s, p, d, G));
    }
    if (NEED(1)) {
        ct_tensor *gy = ct__ag_input(n, 0);
        if (!gy) return -1;
        SET(1, ct_conv3d_backward_input(gy, g[0], &xs[2], s, p, d, G));
    }
    return 0;
}

void ct__ag_register_nn_conv(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_conv3d] = (ct_deriv){d_conv3d, 0x3, 0, 0, 0x3};
    t[CT_OP_conv3d_backward_input] = (ct_deriv){d_conv3d_backward_input, 0x3, 0, 0, 0x3};
    t[CT_OP_conv3d_backward_weight] = (ct_deriv){d_conv3d_backward_weight, 0x3, 0, 0, 0x3};
}
