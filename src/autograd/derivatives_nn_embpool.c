/* Derivatives of the ops of include/ctorch/def/nn_embpool.def, written with
 * differentiable ops so that they differentiate again:
 *   embedding -> embedding_dense_backward, whose derivative picks the rows
 *     of gg back (index_select) times a constant factor;
 *   embedding_bag (sum/mean) -> the bag's gradient rows spread to the
 *     entries (index_select) times each entry's factor (and per-sample
 *     weight), accumulated by embedding_dense_backward; max -> scatter_add
 *     at the argmax rows; per_sample_weights -> <g of the bag, W row>;
 *   the 1-d poolings -> max_pool2d_backward over a unit height, or the
 *     avg pools' own backward ops (adjoint pairs: each one's derivative is
 *     the other);
 *   the dropouts -> g * the saved multiplier. */
#include "autograd/ag_internal.h"

#include "ctorch/ctorch.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        gin[i] = (expr);                  \
        if (!gin[i]) return -1;           \
    } while (0)

static int d_embedding(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_op_args *a = &n->args;
    SET(0, ct_embedding_dense_backward(g[0], idx, a->i[0], a->i[1], a->b[0]));
    return 0;
}

/* gg [num, D] -> [n, D]: gg[idx[i]] times 0 at padding_idx, 1/count(idx[i])
 * when scaled; reshaped to the grad input's shape. */
static int d_embedding_dense_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_op_args *a = &n->args;
    int64_t num = a->i[0], pad = a->i[1], m = idx->numel;
    bool scaled = a->b[0];
    ct_tensor *rows = ct_index_select(g[0], 0, idx);
    if (!rows) return -1;
    if (pad >= 0 || scaled) {
        /* the counts from the indices on the host (a copy when on a GPU) */
        ct_tensor *ih = ct_cpu(idx);
        if (!ih || !(ih = ct_contiguous(ih))) return -1;
        const int64_t *iv = ct_data_ptr(ih);
        int64_t *cnt = calloc((size_t)num + 1, sizeof(int64_t));
        double *f = malloc(sizeof(double) * (size_t)(m + 1));
        if (!cnt || !f) {
            free(cnt), free(f);
            ct_set_error(CT_ERR_MEMORY, "embedding_dense_backward backward: out of memory");
            return -1;
        }
        for (int64_t i = 0; i < m; i++) cnt[iv[i]]++;
        for (int64_t i = 0; i < m; i++) f[i] = iv[i] == pad ? 0.0 : scaled ? 1.0 / (double)cnt[iv[i]] : 1.0;
        ct_tensor *fac = ct_tensor_from_doubles(f, (const int64_t[]){m, 1}, 2, rows->dtype);
        free(cnt), free(f);
        if (fac) fac = ct_to_device(fac, rows->storage->device);
        if (!fac) return -1;
        rows = ct_mul(rows, fac);
        if (!rows) return -1;
    }
    const ct_in_meta *in = &n->in[0];
    SET(0, ct_reshape(rows, in->sizes, in->ndim));
    return 0;
}

/* zeros on the device of the gradient g (CPU or GPU) */
static ct_tensor *zeros_on(const int64_t *sizes, int nd, ct_dtype dt, const ct_tensor *g) {
    return ct__ag_zeros(sizes, nd, dt, g->storage->device);
}

/* extra: idx [ne], bag [ne], factor [ne] or (max) argmax rows [B, D]. */
static int d_embedding_bag(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_op_args *a = &n->args;
    int64_t num = a->i[0], mode = a->i[1], pad = a->i[2];
    ct_tensor *idx = ct__ag_extra(n, 0), *bag = ct__ag_extra(n, 1), *e2 = ct__ag_extra(n, 2);
    if (!idx || !bag || !e2) return -1;
    int64_t ne = idx->numel, D = g[0]->sizes[1];
    if (NEED(0)) {
        if (mode == CT_BAG_MAX) {
            ct_tensor *valid = ct_ge_scalar(e2, 0);
            ct_tensor *zero = valid ? zeros_on(NULL, 0, g[0]->dtype, g[0]) : NULL;
            ct_tensor *gm = zero ? ct_where(valid, g[0], zero) : NULL;
            ct_tensor *mi = gm ? ct_clamp_min(e2, 0) : NULL;
            ct_tensor *z = mi ? zeros_on((const int64_t[]){num, D}, 2, g[0]->dtype, g[0]) : NULL;
            SET(0, z ? ct_scatter_add(z, 0, mi, gm) : NULL);
        } else {
            ct_tensor *s = e2;
            if (a->b[1]) {
                ct_tensor *psw = ct__ag_input(n, 1);
                ct_tensor *pf = psw ? ct_reshape(psw, (const int64_t[]){-1}, 1) : NULL;
                ct_tensor *pn = pf ? ct_narrow(pf, 0, 0, ne) : NULL;
                s = pn ? ct_mul(s, pn) : NULL;
            }
            ct_tensor *rows = s ? ct_index_select(g[0], 0, bag) : NULL;
            ct_tensor *su = rows ? ct_unsqueeze(s, 1) : NULL;
            rows = su ? ct_mul(rows, su) : NULL;
            SET(0, rows ? ct_embedding_dense_backward(rows, idx, num, pad, a->b[0]) : NULL);
        }
    }
    if (a->b[1] && NEED(1)) {
        ct_tensor *w = ct__ag_input(n, 0);
        ct_tensor *rg = w ? ct_index_select(g[0], 0, bag) : NULL;
        ct_tensor *rw = rg ? ct_index_select(w, 0, idx) : NULL;
        ct_tensor *pr = rw ? ct_mul(rg, rw) : NULL;
        ct_tensor *v = pr ? ct_sum_dims(pr, (const int[]){1}, 1, false, -1) : NULL;
        v = v ? ct_mul(v, e2) : NULL;
        const ct_in_meta *in = &n->in[1];
        int64_t total = 1;
        for (int d = 0; d < in->ndim; d++) total *= in->sizes[d];
        if (v && total > ne) {
            ct_tensor *z = zeros_on((const int64_t[]){total - ne}, 1, v->dtype, v);
            v = z ? ct_cat((const ct_tensor *[]){v, z}, 2, 0) : NULL;
        }
        SET(1, v ? ct_reshape(v, in->sizes, in->ndim) : NULL);
    }
    return 0;
}

/* max_pool1d / adaptive_max_pool1d: g added at the saved positions through
 * max_pool2d_backward over a unit height (differentiable: a gather). */
static int d_max_pool1d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    const ct_in_meta *in = &n->in[0];
    int h = in->ndim - 1;
    ct_tensor *g2 = ct_unsqueeze(g[0], h), *i2 = g2 ? ct_unsqueeze(idx, h) : NULL;
    ct_tensor *d2 = i2 ? ct_max_pool2d_backward(g2, i2, (const int64_t[]){1, in->sizes[in->ndim - 1]}) : NULL;
    SET(0, d2 ? ct_squeeze_dim(d2, h) : NULL);
    return 0;
}

static int d_avg_pool1d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    const ct_op_args *a = &n->args;
    SET(0, ct_avg_pool1d_backward(g[0], a->dims[0], a->i[0], a->i[1], a->i[2], a->b[0], a->b[1]));
    return 0;
}

static int d_avg_pool1d_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    const ct_op_args *a = &n->args;
    SET(0, ct_avg_pool1d(g[0], a->i[0], a->i[1], a->i[2], a->b[0], a->b[1]));
    return 0;
}

static int d_adaptive_avg_pool1d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    SET(0, ct_adaptive_avg_pool1d_backward(g[0], n->args.dims[0]));
    return 0;
}

static int d_adaptive_avg_pool1d_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    SET(0, ct_adaptive_avg_pool1d(g[0], n->args.dims[1]));
    return 0;
}

static int d_dropout(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *m = ct__ag_extra(n, 0);
    if (!m) return -1;
    SET(0, ct_mul(g[0], m));
    return 0;
}

void ct__ag_register_nn_embpool(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_embedding] = (ct_deriv){d_embedding, 0, 1, 0, 0};
    t[CT_OP_embedding_dense_backward] = (ct_deriv){d_embedding_dense_backward, 0, 1, 0, 0};
    t[CT_OP_embedding_bag] = (ct_deriv){d_embedding_bag, 3, 1, 0, 3};
    t[CT_OP_max_pool1d] = (ct_deriv){d_max_pool1d, 0, 1, 0, 0};
    t[CT_OP_adaptive_max_pool1d] = (ct_deriv){d_max_pool1d, 0, 1, 0, 0};
    t[CT_OP_avg_pool1d] = (ct_deriv){d_avg_pool1d, 0, 0, 0, 0};
    t[CT_OP_avg_pool1d_backward] = (ct_deriv){d_avg_pool1d_backward, 0, 0, 0, 0};
    t[CT_OP_adaptive_avg_pool1d] = (ct_deriv){d_adaptive_avg_pool1d, 0, 0, 0, 0};
    t[CT_OP_adaptive_avg_pool1d_backward] = (ct_deriv){d_adaptive_avg_pool1d_backward, 0, 0, 0, 0};
    t[CT_OP_dropout1d] = (ct_deriv){d_dropout, 0, 1, 0, 0};
    t[CT_OP_dropout2d] = (ct_deriv){d_dropout, 0, 1, 0, 0};
    t[CT_OP_dropout3d] = (ct_deriv){d_dropout, 0, 1, 0, 0};
    t[CT_OP_alpha_dropout] = (ct_deriv){d_dropout, 0, 1, 0, 0};
    t[CT_OP_feature_alpha_dropout] = (ct_deriv){d_dropout, 0, 1, 0, 0};
}
