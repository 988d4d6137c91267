/* Derivatives of the nn ops that record themselves (include/ctorch/def/nn.def):
 * softmax, log_softmax and max_pool2d, written with differentiable ops so
 * that they can be differentiated again. The composed nn ops (linear,
 * dropout, norms, losses) need none: their parts record. */
#include "autograd/ag_internal.h"

#include "ctorch/index.h"
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

void ct__ag_register_nn(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_softmax] = (ct_deriv){d_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_log_softmax] = (ct_deriv){d_log_softmax, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_max_pool2d] = (ct_deriv){d_max_pool2d, 0, 1, 0, 0};
}
