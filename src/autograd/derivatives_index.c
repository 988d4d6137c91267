/* Derivatives of the index ops (include/ctorch/def/index.def) and of the
 * in-place fills of the factory family, written with differentiable index
 * ops. Index tensors come from extra[] (int64 or bool masks). */
#include "autograd/ag_internal.h"

#define NEED(i) ct__ag_needs(n, i)
#define IN(i) ct__ag_input(n, i)
#define EX(i) ct__ag_extra(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

static ct_tensor *zeros_in(const ct_node *n, int i, ct_dtype dt) {
    return ct__ag_zeros(n->in[i].sizes, n->in[i].ndim, dt);
}

static int d_index_select(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    SET(0, ct_index_add(zeros_in(n, 0, g[0]->dtype), (int)n->args.i[0], idx, g[0], 1.0));
    return 0;
}

static int d_gather(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    SET(0, ct_scatter_add(zeros_in(n, 0, g[0]->dtype), (int)n->args.i[0], idx, g[0]));
    return 0;
}

/* scatter (no reduction): positions written lose their old gradient, src
 * gets the gradient at the positions it went to */
static int d_scatter(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    if (n->args.i[1] != 0 && n->args.i[1] != 1) {
        ct_set_error(CT_ERR_NOT_IMPL, "the derivative for 'scatter' with reduce='multiply' is not implemented");
        return -1;
    }
    if (n->args.i[1] == 1) { /* reduce="add" */
        SET(0, g[0]);
    } else {
        SET(0, ct_scatter_value(g[0], d, idx, 0.0));
    }
    if (!n->args.b[0] && n->nin > 1) SET(1, ct_gather(g[0], d, idx));
    return 0;
}

static int d_scatter_add(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    SET(0, g[0]);
    SET(1, ct_gather(g[0], (int)n->args.i[0], idx));
    return 0;
}

/* scatter_reduce: sum and mean (counts from the index) */
static int d_scatter_reduce(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    int64_t red = n->args.i[1];
    bool self = n->args.b[1];
    if (red == 1) {
        SET(0, g[0]);
        SET(1, ct_gather(g[0], d, idx));
        return 0;
    }
    if (red == 3) {
        /* count[j] = include_self + number of src elements sent to j */
        ct_tensor *ones = ct__ag_ones(idx->sizes, idx->ndim, g[0]->dtype);
        ct_tensor *base = self ? ct__ag_ones(n->in[0].sizes, n->in[0].ndim, g[0]->dtype)
                               : zeros_in(n, 0, g[0]->dtype);
        ct_tensor *cnt = ones && base ? ct_scatter_add(base, d, idx, ones) : NULL;
        ct_tensor *safe = cnt ? ct_clamp_min(cnt, 1) : NULL;
        ct_tensor *gs = safe ? ct_div(g[0], safe) : NULL;
        if (!gs) return -1;
        if (NEED(0)) {
            /* positions that received src keep 1/count of the gradient if
             * self was included, else none; untouched ones keep all */
            ct_tensor *touched = ct_scatter_value(zeros_in(n, 0, g[0]->dtype), d, idx, 1.0);
            ct_tensor *t = touched ? ct_gt_scalar(touched, 0) : NULL;
            SET(0, t ? ct_where(t, self ? gs : ct_mul_scalar(gs, 0.0), g[0]) : NULL);
        }
        SET(1, ct_gather(gs, d, idx));
        return 0;
    }
    static const char *names[] = {"", "sum", "prod", "mean", "amax", "amin"};
    ct_set_error(CT_ERR_NOT_IMPL, "the derivative for 'scatter_reduce' with reduce='%s' is not implemented",
                 names[red >= 0 && red <= 5 ? red : 0]);
    return -1;
}

static int d_index_add(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    SET(0, g[0]);
    if (NEED(1)) {
        ct_tensor *s = ct_index_select(g[0], (int)n->args.i[0], idx);
        if (s && n->args.f[0] != 1) s = ct_mul_scalar(s, n->args.f[0]);
        SET(1, s ? ct_reshape(s, n->in[1].sizes, n->in[1].ndim) : NULL);
    }
    return 0;
}

static int d_index_copy(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    SET(0, ct_index_fill(g[0], d, idx, 0.0));
    if (NEED(1)) {
        ct_tensor *s = ct_index_select(g[0], d, idx);
        SET(1, s ? ct_reshape(s, n->in[1].sizes, n->in[1].ndim) : NULL);
    }
    return 0;
}

static int d_index_fill(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    SET(0, ct_index_fill(g[0], d, idx, 0.0));
    if (n->args.b[0] && n->nin > 1 && NEED(1)) {
        /* one value written to every selected slice (duplicates once) */
        ct_tensor *mask = ct_index_fill(ct__ag_zeros(g[0]->sizes, g[0]->ndim, g[0]->dtype), d, idx, 1.0);
        SET(1, mask ? ct_sum(ct_mul(g[0], mask)) : NULL);
    }
    return 0;
}

/* the index tensors of index/index_put: slot k present when bit k is set */
static int slots(ct_node *n, const ct_tensor **idx) {
    int ns = (int)n->args.i[0], e = 0;
    for (int k = 0; k < ns; k++) {
        if (n->args.i[1] & (1ll << k)) {
            idx[k] = EX(e++);
            if (!idx[k]) return -1;
        } else {
            idx[k] = NULL;
        }
    }
    return ns;
}

static int d_index(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_tensor *idx[CT_MAX_DIMS];
    int ns = slots(n, idx);
    if (ns < 0) return -1;
    SET(0, ct_index_put(zeros_in(n, 0, g[0]->dtype), idx, ns, g[0], true));
    return 0;
}

static int d_index_put(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_tensor *idx[CT_MAX_DIMS];
    int ns = slots(n, idx);
    if (ns < 0) return -1;
    if (NEED(0)) {
        if (n->args.b[1]) {
            SET(0, g[0]);
        } else {
            ct_tensor *z = ct__ag_zeros(NULL, 0, g[0]->dtype);
            SET(0, z ? ct_index_put(g[0], idx, ns, z, false) : NULL);
        }
    }
    SET(1, ct_index(g[0], idx, ns));
    return 0;
}

static int d_masked_fill(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *mask = EX(0);
    if (!mask) return -1;
    SET(0, ct_where(mask, ct_wrapped_float(0), g[0]));
    if (n->args.b[0] && n->nin > 1) SET(1, ct_sum(ct_where(mask, g[0], ct_wrapped_float(0))));
    return 0;
}

/* masked_select: the gradient goes back to the selected positions of the
 * broadcast of x and mask (the engine sums it down to x's shape) */
static int d_masked_select(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *mask = EX(0);
    if (!mask) return -1;
    int64_t bs[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("masked_select backward", n->in[0].sizes, n->in[0].ndim,
                                 mask->sizes, mask->ndim, bs);
    if (nd < 0) return -1;
    ct_tensor *z = ct__ag_zeros(bs, nd, g[0]->dtype);
    ct_tensor *mb = z ? ct_expand(mask, bs, nd) : NULL;
    SET(0, mb ? ct_masked_scatter(z, mb, g[0]) : NULL);
    return 0;
}

static int d_masked_scatter(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *mask = EX(0);
    if (!mask) return -1;
    SET(0, ct_where(mask, ct_wrapped_float(0), g[0]));
    if (NEED(1)) {
        /* source elements used in order; the rest get zero */
        ct_tensor *sel = ct_masked_select(g[0], mask);
        if (!sel) return -1;
        int64_t total = ct__shape_numel(n->in[1].sizes, n->in[1].ndim);
        ct_tensor *flat = sel;
        if (sel->numel < total) {
            ct_tensor *pad = ct__ag_zeros((const int64_t[]){total - sel->numel}, 1, g[0]->dtype);
            const ct_tensor *parts[2] = {sel, pad};
            flat = pad ? ct_cat(parts, 2, 0) : NULL;
        }
        SET(1, flat ? ct_reshape(flat, n->in[1].sizes, n->in[1].ndim) : NULL);
    }
    return 0;
}

static int d_take(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    SET(0, ct_put(zeros_in(n, 0, g[0]->dtype), idx, g[0], true));
    return 0;
}

static int d_put(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    if (NEED(0)) {
        if (n->args.b[1]) {
            SET(0, g[0]);
        } else {
            ct_tensor *z = ct__ag_zeros(idx->sizes, idx->ndim, g[0]->dtype);
            SET(0, z ? ct_put(g[0], idx, z, false) : NULL);
        }
    }
    if (NEED(1)) {
        ct_tensor *s = ct_take(g[0], idx);
        SET(1, s ? ct_reshape(s, n->in[1].sizes, n->in[1].ndim) : NULL);
    }
    return 0;
}

/* fill_/zero_: the old values are overwritten; a 0-d tensor value gets the
 * sum of the gradient */
static int d_fill(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->nin > 1) SET(1, ct_sum(g[0]));
    return 0;
}

void ct__ag_register_index(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_index_select] = (ct_deriv){d_index_select, 0, 1, 0, 0};
    t[CT_OP_gather] = (ct_deriv){d_gather, 0, 1, 0, 0};
    t[CT_OP_scatter] = (ct_deriv){d_scatter, 0, 1, 0, 0};
    t[CT_OP_scatter_add] = (ct_deriv){d_scatter_add, 0, 1, 0, 0};
    t[CT_OP_scatter_reduce] = (ct_deriv){d_scatter_reduce, 0, 1, 0, 0};
    t[CT_OP_index_add] = (ct_deriv){d_index_add, 0, 1, 0, 0};
    t[CT_OP_index_copy] = (ct_deriv){d_index_copy, 0, 1, 0, 0};
    t[CT_OP_index_fill] = (ct_deriv){d_index_fill, 0, 1, 0, 0};
    t[CT_OP_index_put] = (ct_deriv){d_index_put, 0, CT_MAX_DIMS, 0, 0};
    t[CT_OP_index] = (ct_deriv){d_index, 0, CT_MAX_DIMS, 0, 0};
    t[CT_OP_masked_fill] = (ct_deriv){d_masked_fill, 0, 1, 0, 0};
    t[CT_OP_masked_select] = (ct_deriv){d_masked_select, 0, 1, 0, 0};
    t[CT_OP_masked_scatter] = (ct_deriv){d_masked_scatter, 0, 1, 0, 0};
    t[CT_OP_take] = (ct_deriv){d_take, 0, 1, 0, 0};
    t[CT_OP_take_along_dim] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_put] = (ct_deriv){d_put, 0, 1, 0, 0};
    t[CT_OP_fill_] = (ct_deriv){d_fill, 0, 0, 0, 0};
    t[CT_OP_zero_] = (ct_deriv){d_fill, 0, 0, 0, 0};
}
