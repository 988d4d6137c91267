/* Derivatives of the view ops (src/ops/view.c), written with differentiable
 * ops. Shape-only views reshape the gradient back; views that select part
 * of their input scatter the gradient into zeros of the input's shape. */
#include "autograd/ag_internal.h"

ct_tensor *ct__ag_replay_view(const ct_tensor *t, int op, const ct_op_args *a,
                              const ct_in_meta *in) {
    switch (op) {
    case CT_OP_as_strided: {
        ct_tensor *c = ct_contiguous(t);
        if (!c) return NULL;
        int nd = a->ndims;
        if (2 * nd > CT_MAX_DIMS)
            return CT_FAIL(CT_ERR_NOT_IMPL, "as_strided backward: %d-d views are not supported", nd);
        return ct_as_strided(c, a->dims, a->dims + nd, nd, a->i[0] - in->offset + c->offset);
    }
    case CT_OP_narrow: return ct_narrow(t, (int)a->i[0], a->i[1], a->i[2]);
    case CT_OP_slice: return ct_slice(t, (int)a->i[0], a->i[1], a->i[2], a->i[3]);
    case CT_OP_select: return ct_select(t, (int)a->i[0], a->i[1]);
    case CT_OP_diagonal: return ct_diagonal(t, a->i[0], (int)a->i[1], (int)a->i[2]);
    case CT_OP_unfold: return ct_unfold(t, (int)a->i[0], a->i[1], a->i[2]);
    default:
        return CT_FAIL(CT_ERR_NOT_IMPL, "autograd: cannot replay view op %d", op);
    }
}

static int d_reshape(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct_reshape(g[0], n->in[0].sizes, n->in[0].ndim);
    return gin[0] ? 0 : -1;
}

static int d_scatter(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct__ag_view_scatter(g[0], n->op, &n->args, &n->in[0]);
    return gin[0] ? 0 : -1;
}

static int d_as_strided(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!n->in[0].contiguous) {
        char b[160];
        ct_set_error(CT_ERR_NOT_IMPL,
                     "as_strided backward: the input of shape %s was not contiguous, which is "
                     "not supported",
                     ct_shape_str(n->in[0].sizes, n->in[0].ndim, b, sizeof b));
        return -1;
    }
    return d_scatter(n, g, gin);
}

static int d_permute(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int inv[CT_MAX_DIMS];
    for (int i = 0; i < n->args.ndims; i++) inv[n->args.dims[i]] = i;
    gin[0] = ct_permute(g[0], inv, n->args.ndims);
    return gin[0] ? 0 : -1;
}

static int d_transpose(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = n->in[0].ndim == 0 ? g[0] : ct_transpose(g[0], (int)n->args.i[0], (int)n->args.i[1]);
    return gin[0] ? 0 : -1;
}

static int d_t(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)n;
    gin[0] = ct_t(g[0]);
    return gin[0] ? 0 : -1;
}

static int d_expand(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct__ag_sum_to(g[0], n->in[0].sizes, n->in[0].ndim);
    return gin[0] ? 0 : -1;
}

/* contiguous, clone, to_dtype: the gradient itself (the engine casts it to
 * the input's dtype). */
static int d_identity(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)n;
    gin[0] = g[0];
    return 0;
}

/* copy_(self, src): self's old values are overwritten (their gradient is
 * zeros, not None, as in PyTorch: a graph input before the copy gets a
 * zero .grad), src gets the gradient (reduced over broadcast dims and cast
 * by the engine). */
static int d_copy_(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (ct__ag_needs(n, 0)) {
        gin[0] = ct__ag_zeros(n->in[0].sizes, n->in[0].ndim, g[0]->dtype, n->in[0].device);
        if (!gin[0]) return -1;
    }
    gin[1] = g[0];
    return 0;
}

void ct__ag_register_view(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_as_strided] = (ct_deriv){d_as_strided, 0, 0, 0, 0};
    t[CT_OP_view] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_reshape] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_permute] = (ct_deriv){d_permute, 0, 0, 0, 0};
    t[CT_OP_transpose] = (ct_deriv){d_transpose, 0, 0, 0, 0};
    t[CT_OP_t] = (ct_deriv){d_t, 0, 0, 0, 0};
    t[CT_OP_expand] = (ct_deriv){d_expand, 0, 0, 0, 0};
    t[CT_OP_squeeze] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_unsqueeze] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_narrow] = (ct_deriv){d_scatter, 0, 0, 0, 0};
    t[CT_OP_select] = (ct_deriv){d_scatter, 0, 0, 0, 0};
    t[CT_OP_slice] = (ct_deriv){d_scatter, 0, 0, 0, 0};
    t[CT_OP_flatten] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_unflatten] = (ct_deriv){d_reshape, 0, 0, 0, 0};
    t[CT_OP_unfold] = (ct_deriv){d_scatter, 0, 0, 0, 0};
    t[CT_OP_diagonal] = (ct_deriv){d_scatter, 0, 0, 0, 0};
    t[CT_OP_contiguous] = (ct_deriv){d_identity, 0, 0, 0, 0};
    t[CT_OP_copy_] = (ct_deriv){d_copy_, 0, 0, 0, 0};
    t[CT_OP_to_dtype] = (ct_deriv){d_identity, 0, 0, 0, 0};
    t[CT_OP_clone] = (ct_deriv){d_identity, 0, 0, 0, 0};
}
