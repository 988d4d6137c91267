/* Derivatives of the ops of include/ctorch/def/nn_pool2.def that record
 * themselves. adaptive_max_pool2d: g added at the saved indices through
 * max_pool2d_backward (same index format), whose own derivative (a gather)
 * gives the double backward. */
#include "autograd/ag_internal.h"

#include "ctorch/nn.h"
#include "ctorch/nn_pool2.h"

static int d_adaptive_max_pool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!ct__ag_needs(n, 0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_in_meta *in = &n->in[0];
    gin[0] = ct_max_pool2d_backward(g[0], idx, &in->sizes[in->ndim - 2]);
    return gin[0] ? 0 : -1;
}

void ct__ag_register_nn_pool2(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_adaptive_max_pool2d] = (ct_deriv){d_adaptive_max_pool2d, 0, 1, 0, 0};
}
