/* Derivatives of the pointwise ops (include/ctorch/def/pointwise.def),
 * written with differentiable ops. Gradients may keep the broadcast shape
 * and the computation dtype: the engine sums and casts them back. */
#include "autograd/ag_internal.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

static int d_add(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double alpha = n->args.f[0];
    SET(0, g[0]);
    SET(1, alpha == 1 ? g[0] : ct_mul_scalar(g[0], alpha));
    return 0;
}

static int d_sub(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double alpha = n->args.f[0];
    SET(0, g[0]);
    SET(1, alpha == 1 ? ct_neg(g[0]) : ct_mul_scalar(g[0], -alpha));
    return 0;
}

static int d_mul(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) {
        ct_tensor *b = ct__ag_input(n, 1);
        SET(0, b ? ct_mul(g[0], b) : NULL);
    }
    if (NEED(1)) {
        ct_tensor *a = ct__ag_input(n, 0);
        SET(1, a ? ct_mul(g[0], a) : NULL);
    }
    return 0;
}

/* true division: da = g / b, db = -g a / b^2; rounding modes are piecewise
 * constant (zero gradient, as in PyTorch) */
static int d_div(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->args.i[0] != 0) {
        SET(0, ct_mul_scalar(g[0], 0.0));
        SET(1, ct_mul_scalar(g[0], 0.0));
        return 0;
    }
    ct_tensor *b = ct__ag_input(n, 1);
    if (!b) return -1;
    SET(0, ct_div(g[0], b));
    if (NEED(1)) {
        ct_tensor *a = ct__ag_input(n, 0);
        if (!a) return -1;
        ct_tensor *q = ct_div(ct_mul(g[0], a), ct_mul(b, b));
        SET(1, q ? ct_neg(q) : NULL);
    }
    return 0;
}

static int d_neg(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, ct_neg(g[0]));
    return 0;
}

static int d_exp(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = ct__ag_output(n);
    SET(0, y ? ct_mul(g[0], y) : NULL);
    return 0;
}

static int d_log(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = ct__ag_input(n, 0);
    SET(0, x ? ct_div(g[0], x) : NULL);
    return 0;
}

void ct__ag_register_pointwise(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_add] = (ct_deriv){d_add, 0, 0};
    t[CT_OP_sub] = (ct_deriv){d_sub, 0, 0};
    t[CT_OP_mul] = (ct_deriv){d_mul, 0x3, 0};
    t[CT_OP_div] = (ct_deriv){d_div, 0x3, 0};
    t[CT_OP_neg] = (ct_deriv){d_neg, 0, 0};
    t[CT_OP_exp] = (ct_deriv){d_exp, CT_SAVE_OUTPUT, 0};
    t[CT_OP_log] = (ct_deriv){d_log, 0x1, 0};
}
