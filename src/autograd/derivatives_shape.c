/* Derivatives of the shape ops (include/ctorch/def/shape.def), written with
 * differentiable ops. Ops that are compositions of recorded views (split,
 * chunk, meshgrid, ...) never record a node of their own. */
#include "autograd/ag_internal.h"

#define NEED(i) ct__ag_needs(n, i)

/* cat: each input gets its slice of the gradient along d; the legacy
 * skipped 1-d empty inputs get nothing. */
static int d_cat(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int d = (int)n->args.i[0];
    int64_t off = 0;
    for (int k = 0; k < n->nin; k++) {
        const ct_in_meta *m = &n->in[k];
        if (m->ndim == 1 && m->sizes[0] == 0 && n->out_meta.ndim != 1) continue;
        int64_t len = m->sizes[d];
        if (NEED(k)) {
            gin[k] = ct_narrow(g[0], d, off, len);
            if (!gin[k]) return -1;
        }
        off += len;
    }
    return 0;
}

static int d_stack(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int d = (int)n->args.i[0];
    for (int k = 0; k < n->nin; k++) {
        if (!NEED(k)) continue;
        gin[k] = ct_select(g[0], d, k);
        if (!gin[k]) return -1;
    }
    return 0;
}

static int d_flip(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int dims[CT_MAX_DIMS], nd = (int)n->args.i[0];
    for (int i = 0; i < nd; i++) dims[i] = (int)n->args.dims[i];
    gin[0] = ct_flip(g[0], dims, nd);
    return gin[0] ? 0 : -1;
}

static int d_roll(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int np = (int)n->args.i[0];
    if (np == 0) {
        int64_t s = -n->args.i[1];
        gin[0] = ct_roll(g[0], &s, 1, NULL, 0);
    } else {
        int dims[8];
        int64_t shifts[8];
        for (int i = 0; i < np && i < 8; i++) {
            dims[i] = (int)n->args.dims[i];
            shifts[i] = -n->args.dims[np + i];
        }
        gin[0] = ct_roll(g[0], shifts, np, dims, np);
    }
    return gin[0] ? 0 : -1;
}

/* repeat (and tile): view G as [r0, s0, r1, s1, ...], sum the r dims. */
static int d_repeat(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int nr = n->args.ndims;
    const ct_in_meta *m = &n->in[0];
    if (2 * nr > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "repeat backward: %d repeats are not supported", nr);
        return -1;
    }
    int64_t vs[CT_MAX_DIMS], ts[CT_MAX_DIMS];
    for (int d = 0; d < nr; d++) {
        int di = d - (nr - m->ndim);
        int64_t s = di >= 0 ? m->sizes[di] : 1;
        vs[2 * d] = n->args.dims[d];
        vs[2 * d + 1] = s;
        ts[2 * d] = 1;
        ts[2 * d + 1] = s;
    }
    ct_tensor *v = ct_reshape(g[0], vs, 2 * nr);
    ct_tensor *s = v ? ct__ag_sum_to(v, ts, 2 * nr) : NULL;
    gin[0] = s ? ct_reshape(s, m->sizes, m->ndim) : NULL;
    return gin[0] ? 0 : -1;
}

/* repeat_interleave: sum each group of repeated copies. */
static int d_repeat_interleave(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_in_meta *m = &n->in[0];
    bool flat = n->args.b[0];
    int d = flat ? 0 : (int)n->args.i[1];
    int64_t len = flat ? ct__shape_numel(m->sizes, m->ndim) : m->sizes[d];
    ct_tensor *rep = n->nextra > 0 ? ct__ag_extra(n, 0) : NULL;
    ct_tensor *r = NULL;
    if (!rep) {
        /* constant repeats: G viewed as [..., len, r, ...] */
        int64_t k = n->args.i[0];
        int64_t gs[CT_MAX_DIMS], ts[CT_MAX_DIMS];
        int nd = 0;
        const ct_tensor *gt = g[0];
        for (int i = 0; i < gt->ndim; i++) {
            if (i == d) {
                gs[nd] = len;
                ts[nd++] = len;
                gs[nd] = k;
                ts[nd++] = 1;
            } else {
                gs[nd] = gt->sizes[i];
                ts[nd++] = gt->sizes[i];
            }
        }
        if (nd > CT_MAX_DIMS) return ct_set_error(CT_ERR_NOT_IMPL, "repeat_interleave backward: too many dims"), -1;
        ct_tensor *v = ct_reshape(g[0], gs, nd);
        r = v ? ct__ag_sum_to(v, ts, nd) : NULL;
    } else {
        /* per-element repeats: one slice-sum per element, joined by cat */
        ct_tensor **parts = malloc(sizeof(ct_tensor *) * (size_t)(len ? len : 1));
        if (!parts) return ct_set_error(CT_ERR_MEMORY, "out of memory"), -1;
        int64_t off = 0;
        int rc = 0;
        for (int64_t j = 0; j < len && rc == 0; j++) {
            int64_t c = ct_item_at_int(rep, rep->numel == 1 ? 0 : j);
            int64_t ts[CT_MAX_DIMS];
            for (int i = 0; i < g[0]->ndim; i++) ts[i] = i == d ? 1 : g[0]->sizes[i];
            ct_tensor *sl = ct_narrow(g[0], d, off, c);
            parts[j] = sl ? ct__ag_sum_to(sl, ts, g[0]->ndim) : NULL;
            if (!parts[j]) rc = -1;
            off += c;
        }
        if (rc == 0) r = len ? ct_cat((const ct_tensor *const *)parts, (int)len, d) : NULL;
        free(parts);
        if (rc < 0) return -1;
        if (!len) r = ct__ag_zeros(m->sizes, m->ndim, g[0]->dtype, g[0]->storage->device);
    }
    gin[0] = r ? ct_reshape(r, m->sizes, m->ndim) : NULL;
    return gin[0] ? 0 : -1;
}

static int d_tril(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct_tril(g[0], n->args.i[0]);
    return gin[0] ? 0 : -1;
}

static int d_triu(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct_triu(g[0], n->args.i[0]);
    return gin[0] ? 0 : -1;
}

/* t zero-padded along dim d by (before, after): a block placed into a
 * longer gradient (differentiable: a constant pad). */
static ct_tensor *place(const ct_tensor *t, int d, int64_t before, int64_t after) {
    int64_t p[2 * CT_MAX_DIMS] = {0};
    int k = t->ndim - 1 - d;
    p[2 * k] = before;
    p[2 * k + 1] = after;
    return ct_pad(t, p, 2 * (k + 1), "constant", 0.0);
}

enum { PAD_MODE_REFLECT = 1, PAD_MODE_REPLICATE = 2, PAD_MODE_CIRCULAR = 3 };

/* Gradient of one padded dim d: g has l + w + r there (l, r >= 0); the
 * result has w. The border copies go back where they were read from:
 * reflect: output l-1-i read input i+1 (left), output l+w+j read w-2-j;
 * replicate: edges; circular: the other end. */
static ct_tensor *fold_dim(ct_tensor *g, int d, int64_t l, int64_t r, int64_t w, int mode) {
    ct_tensor *acc = ct_narrow(g, d, l, w);
    if (acc && l > 0) {
        ct_tensor *left = ct_narrow(g, d, 0, l), *b = NULL;
        if (!left) return NULL;
        if (mode == PAD_MODE_REFLECT) b = place(ct_flip(left, &d, 1), d, 1, w - 1 - l);
        else if (mode == PAD_MODE_REPLICATE) b = place(ct_sum_dims(left, &d, 1, true, -1), d, 0, w - 1);
        else b = place(left, d, w - l, 0);
        acc = b ? ct_add(acc, b) : NULL;
    }
    if (acc && r > 0) {
        ct_tensor *right = ct_narrow(g, d, l + w, r), *b = NULL;
        if (!right) return NULL;
        if (mode == PAD_MODE_REFLECT) b = place(ct_flip(right, &d, 1), d, w - 1 - r, 1);
        else if (mode == PAD_MODE_REPLICATE) b = place(ct_sum_dims(right, &d, 1, true, -1), d, w - 1, 0);
        else b = place(right, d, 0, w - r);
        acc = b ? ct_add(acc, b) : NULL;
    }
    return acc;
}

/* pad: constant crops the gradient by the same pads (negative pads crop);
 * reflect/replicate/circular fold each padded dim back (fold_dim), then
 * undo a negative pad's crop with zeros. args: dims[] the pad list (last
 * dim first), i[0] the mode. */
static int d_pad(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->args.i[0] != 0) {
        const ct_in_meta *m = &n->in[0];
        ct_tensor *cur = g[0];
        for (int p = 0; cur && p < n->args.ndims / 2; p++) {
            int d = m->ndim - 1 - p;
            int64_t l = n->args.dims[2 * p], r = n->args.dims[2 * p + 1];
            int64_t cl = l < 0 ? -l : 0, cr = r < 0 ? -r : 0;
            int64_t w = m->sizes[d] - cl - cr;
            if (l > 0 || r > 0) cur = fold_dim(cur, d, l > 0 ? l : 0, r > 0 ? r : 0, w, (int)n->args.i[0]);
            if (cur && (cl || cr)) cur = place(cur, d, cl, cr);
        }
        gin[0] = cur;
        return cur ? 0 : -1;
    }
    int64_t neg[CT_MAX_DIMS];
    for (int i = 0; i < n->args.ndims; i++) neg[i] = -n->args.dims[i];
    gin[0] = ct_pad(g[0], neg, n->args.ndims, "constant", 0.0);
    return gin[0] ? 0 : -1;
}

/* sort, msort, topk: values came from x at indices along d */
static int d_sort(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    gin[0] = ct__ag_scatter_dim(g[0], idx, (int)n->args.i[0], n->in[0].sizes, n->in[0].ndim);
    return gin[0] ? 0 : -1;
}

/* kthvalue: without keepdim the reduced dim comes back first */
static int d_kthvalue(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    int d = (int)n->args.i[0];
    ct_tensor *gg = g[0];
    if (!n->args.b[0] && n->in[0].ndim > 0) {
        gg = ct_unsqueeze(gg, d);
        idx = ct_unsqueeze(idx, d);
        if (!gg || !idx) return -1;
    }
    gin[0] = ct__ag_scatter_dim(gg, idx, d, n->in[0].sizes, n->in[0].ndim);
    return gin[0] ? 0 : -1;
}

void ct__ag_register_shape(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_sort] = (ct_deriv){d_sort, 0, 1, 0, 0};
    t[CT_OP_msort] = (ct_deriv){d_sort, 0, 1, 0, 0};
    t[CT_OP_topk] = (ct_deriv){d_sort, 0, 1, 0, 0};
    t[CT_OP_kthvalue] = (ct_deriv){d_kthvalue, 0, 1, 0, 0};
    t[CT_OP_cat] = (ct_deriv){d_cat, 0, 0, 0, 0};
    t[CT_OP_stack] = (ct_deriv){d_stack, 0, 0, 0, 0};
    t[CT_OP_hstack] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_vstack] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_dstack] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_split] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_split_with_sizes] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_chunk] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_unbind] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_tensor_split] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_flip] = (ct_deriv){d_flip, 0, 0, 0, 0};
    t[CT_OP_roll] = (ct_deriv){d_roll, 0, 0, 0, 0};
    t[CT_OP_repeat] = (ct_deriv){d_repeat, 0, 0, 0, 0};
    t[CT_OP_tile] = (ct_deriv){d_repeat, 0, 0, 0, 0};
    t[CT_OP_repeat_interleave] = (ct_deriv){d_repeat_interleave, 0, 1, 0, 0};
    t[CT_OP_tril] = (ct_deriv){d_tril, 0, 0, 0, 0};
    t[CT_OP_triu] = (ct_deriv){d_triu, 0, 0, 0, 0};
    t[CT_OP_pad] = (ct_deriv){d_pad, 0, 0, 0, 0};
    t[CT_OP_broadcast_to] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_meshgrid] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
}
