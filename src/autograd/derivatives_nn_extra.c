/* Derivatives of the ops of include/ctorch/def/nn_extra.def that record
 * themselves: the resampling ops (each linear, so each one's derivative is
 * its partner: forward <-> backward) and max_unpool2d (a gather at the
 * saved indices). The composed ops (pixel shuffles, bilinear, losses) need
 * none: their parts record. */
#include "autograd/ag_internal.h"

#include "ctorch/index.h"
#include "ctorch/nn_extra.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

/* Spatial rank of a nearest op id (1, 2, 3). */
static int nearest_rank(int op) {
    switch (op) {
    case CT_OP_upsample_nearest1d:
    case CT_OP_upsample_nearest1d_backward: return 1;
    case CT_OP_upsample_nearest2d:
    case CT_OP_upsample_nearest2d_backward: return 2;
    default: return 3;
    }
}

typedef ct_tensor *(*nearest_fwd_fn)(const ct_tensor *, const int64_t *, const double *);
typedef ct_tensor *(*nearest_bwd_fn)(const ct_tensor *, const int64_t *, const double *);
static const nearest_fwd_fn nearest_fwd[3] = {ct_upsample_nearest1d, ct_upsample_nearest2d,
                                              ct_upsample_nearest3d};
static const nearest_bwd_fn nearest_bwd[3] = {ct_upsample_nearest1d_backward,
                                              ct_upsample_nearest2d_backward,
                                              ct_upsample_nearest3d_backward};

/* y = nearest(x): dx = nearest_backward(g, x's sizes); f[0..k) scales. */
static int d_upsample_nearest(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int k = nearest_rank(n->op);
    SET(0, nearest_bwd[k - 1](g[0], n->in[0].sizes, n->args.f));
    return 0;
}

/* dx = nearest_backward(gy): d gy = nearest(h, gy's spatial sizes). */
static int d_upsample_nearest_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int k = nearest_rank(n->op);
    SET(0, nearest_fwd[k - 1](g[0], n->in[0].sizes + 2, n->args.f));
    return 0;
}

/* dims: output (H, W); f[0..1] scales; b[0] align_corners. */
static int d_upsample_bilinear2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, ct_upsample_bilinear2d_backward(g[0], n->in[0].sizes, n->args.b[0], n->args.f));
    return 0;
}

static int d_upsample_bilinear2d_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, ct_upsample_bilinear2d(g[0], n->in[0].sizes + 2, n->args.b[0], n->args.f));
    return 0;
}

/* y = max_unpool2d(x, idx): y[p][idx[p][k]] = x[p][k], so dx[p][k] =
 * g[p][idx[p][k]]: a gather over planes viewed as [planes, OH*OW]. */
static int d_max_unpool2d(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!NEED(0)) return 0;
    ct_tensor *idx = ct__ag_extra(n, 0);
    if (!idx) return -1;
    int nd = idx->ndim;
    int64_t hw = idx->sizes[nd - 2] * idx->sizes[nd - 1];
    int64_t planes = hw ? idx->numel / hw : 0;
    const int64_t gs[2] = {planes, n->args.dims[0] * n->args.dims[1]}, is[2] = {planes, hw};
    ct_tensor *h = ct_reshape(g[0], gs, 2), *ii = h ? ct_reshape(idx, is, 2) : NULL;
    ct_tensor *r = ii ? ct_gather(h, 1, ii) : NULL;
    SET(0, r ? ct_reshape(r, idx->sizes, nd) : NULL);
    return 0;
}

void ct__ag_register_nn_extra(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_upsample_nearest1d] = (ct_deriv){d_upsample_nearest, 0, 0, 0, 0};
    t[CT_OP_upsample_nearest2d] = (ct_deriv){d_upsample_nearest, 0, 0, 0, 0};
    t[CT_OP_upsample_nearest3d] = (ct_deriv){d_upsample_nearest, 0, 0, 0, 0};
    t[CT_OP_upsample_nearest1d_backward] = (ct_deriv){d_upsample_nearest_backward, 0, 0, 0, 0};
    t[CT_OP_upsample_nearest2d_backward] = (ct_deriv){d_upsample_nearest_backward, 0, 0, 0, 0};
    t[CT_OP_upsample_nearest3d_backward] = (ct_deriv){d_upsample_nearest_backward, 0, 0, 0, 0};
    t[CT_OP_upsample_bilinear2d] = (ct_deriv){d_upsample_bilinear2d, 0, 0, 0, 0};
    t[CT_OP_upsample_bilinear2d_backward] = (ct_deriv){d_upsample_bilinear2d_backward, 0, 0, 0, 0};
    t[CT_OP_max_unpool2d] = (ct_deriv){d_max_unpool2d, 0, 1, 0, 0};
    t[CT_OP_pixel_shuffle] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_pixel_unshuffle] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_bilinear] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
}
