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
    return ct__ag_zeros(n->in[i].sizes, n->in[i].ndim, dt, n->in[i].device);
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
    if (n->args.i[1] != 0 && n->args.i[1] != 1) { /* as PyTorch 1.13 */
        ct_set_error(CT_ERR_RUNTIME, "derivative for aten::scatter is not implemented");
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

/* scatter_reduce, PyTorch 1.13's scatter_reduce_backward: sum, mean
 * (counts from the index), prod (exclusive products, with zeros of self and
 * of src handled apart), amax/amin (the gradient shared evenly between the
 * elements equal to the result). Without include_self the positions that
 * received src give self no gradient. Saves self, src and the result. */
static int d_scatter_reduce(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = EX(0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    int64_t red = n->args.i[1];
    bool incl = n->args.b[1];
    ct_dtype dt = g[0]->dtype;
    ct_tensor *gself = NULL;
    if (red == 1) {
        gself = g[0];
        SET(1, ct_gather(g[0], d, idx));
    } else if (red == 3) {
        /* count[j] = include_self + number of src elements sent to j */
        ct_tensor *ones = ct__ag_ones(idx->sizes, idx->ndim, dt, idx->storage->device);
        ct_tensor *base = incl ? ct__ag_ones(n->in[0].sizes, n->in[0].ndim, dt, n->in[0].device) : zeros_in(n, 0, dt);
        ct_tensor *cnt = ones && base ? ct_scatter_add(base, d, idx, ones) : NULL;
        ct_tensor *safe = cnt ? ct_clamp_min(cnt, 1) : NULL;
        ct_tensor *gs = safe ? ct_div(g[0], safe) : NULL;
        if (!gs) return -1;
        gself = gs;
        SET(1, ct_gather(gs, d, idx));
    } else if (red == 2) {
        ct_tensor *self = IN(0), *src = IN(1), *res = ct__ag_output(n);
        if (!self || !src || !res) return -1;
        if (NEED(0)) {
            ct_tensor *ms = ct_masked_fill(self, ct_eq_scalar(self, 0), 1.0);
            ct_tensor *msr = ms ? ct_scatter_reduce(ms, d, idx, src, "prod", incl) : NULL;
            gself = msr ? ct_div(ct_mul(g[0], msr), ms) : NULL;
            if (!gself) return -1;
        }
        if (NEED(1)) {
            ct_tensor *sz = ct_eq_scalar(src, 0);
            ct_tensor *szf = sz ? ct_to_dtype(sz, dt, false) : NULL;
            ct_tensor *cnt = szf ? ct_scatter_add(zeros_in(n, 0, dt), d, idx, szf) : NULL;
            ct_tensor *nz = cnt ? ct_gather(cnt, d, idx) : NULL;
            ct_tensor *single = nz ? ct_logical_and(sz, ct_eq_scalar(nz, 1)) : NULL;
            ct_tensor *msrc = single ? ct_masked_fill(src, single, 1.0) : NULL;
            ct_tensor *msrcr = msrc ? ct_scatter_reduce(self, d, idx, msrc, "prod", incl) : NULL;
            ct_tensor *a = msrcr ? ct_gather(ct_mul(g[0], msrcr), d, idx) : NULL;
            ct_tensor *den = a ? ct_masked_fill(src, sz, 1.0) : NULL;
            ct_tensor *b = den ? ct_div(ct_gather(ct_mul(g[0], res), d, idx), den) : NULL;
            ct_tensor *gs = b ? ct_where(single, a, b) : NULL;
            /* as PyTorch: two zeros sent to one position make the
             * gradient of src non-differentiable (an Error node) */
            ct_tensor *many = gs ? ct_any(ct_gt_scalar(nz, 1)) : NULL;
            double anym = 0;
            if (!many || ct_item(many, &anym) < 0) return -1;
            if (anym != 0) gs = ct__ag_delayed_error(gs, CT_AG_ERR_SCATTER_PROD_ZEROS);
            SET(1, gs);
        }
    } else if (red == 4 || red == 5) {
        ct_tensor *self = IN(0), *src = IN(1), *res = ct__ag_output(n);
        if (!self || !src || !res) return -1;
        ct_tensor *value = ct_gather(res, d, idx);
        ct_tensor *sir = value ? ct_to_dtype(ct_eq(self, res), dt, false) : NULL;
        ct_tensor *srr = sir ? ct_to_dtype(ct_eq(src, value), dt, false) : NULL;
        ct_tensor *cnt = srr ? ct_scatter_add(sir, d, idx, srr) : NULL;
        ct_tensor *gd = cnt ? ct_div(g[0], cnt) : NULL;
        if (!gd) return -1;
        if (NEED(0) && !(gself = ct_mul(sir, gd))) return -1;
        SET(1, ct_mul(srr, ct_gather(gd, d, idx)));
    } else {
        ct_set_error(CT_ERR_VALUE, "scatter_reduce: unknown reduction %lld", (long long)red);
        return -1;
    }
    if (NEED(0)) {
        if (!gself) return -1;
        SET(0, incl ? gself : ct_scatter_value(gself, d, idx, 0.0));
    }
    return 0;
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
        ct_tensor *mask = ct_index_fill(ct__ag_zeros(g[0]->sizes, g[0]->ndim, g[0]->dtype, g[0]->storage->device), d, idx, 1.0);
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
            ct_tensor *z = ct__ag_zeros(NULL, 0, g[0]->dtype, g[0]->storage->device);
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
    ct_tensor *z = ct__ag_zeros(bs, nd, g[0]->dtype, g[0]->storage->device);
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
            ct_tensor *pad = ct__ag_zeros((const int64_t[]){total - sel->numel}, 1, g[0]->dtype, g[0]->storage->device);
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
            ct_tensor *z = ct__ag_zeros(idx->sizes, idx->ndim, g[0]->dtype, g[0]->storage->device);
            SET(0, z ? ct_put(g[0], idx, z, false) : NULL);
        }
    }
    if (NEED(1)) {
        ct_tensor *s = ct_take(g[0], idx);
        SET(1, s ? ct_reshape(s, n->in[1].sizes, n->in[1].ndim) : NULL);
    }
    return 0;
}

/* fill_/zero_ (and the in-place random fills): the old values are
 * overwritten, their gradient is zero (PyTorch passes zeros, not None); a
 * 0-d tensor value gets the sum of the gradient */
static int d_fill(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, zeros_in(n, 0, g[0]->dtype));
    if (n->nin > 1) SET(1, ct_sum(g[0]));
    return 0;
}

void ct__ag_register_index(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_index_select] = (ct_deriv){d_index_select, 0, 1, 0, 0};
    t[CT_OP_gather] = (ct_deriv){d_gather, 0, 1, 0, 0};
    t[CT_OP_scatter] = (ct_deriv){d_scatter, 0, 1, 0, 0};
    t[CT_OP_scatter_add] = (ct_deriv){d_scatter_add, 0, 1, 0, 0};
    t[CT_OP_scatter_reduce] = (ct_deriv){d_scatter_reduce, 0x3 | CT_SAVE_OUTPUT, 1, 0, 0};
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
