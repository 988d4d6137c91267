/* Derivatives of the linalg ops (include/ctorch/def/linalg.def), written
 * with differentiable products so that create_graph gives Hessians. */
#include "autograd/ag_internal.h"

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)
#define IN(i) ct__ag_input(n, i)

static ct_tensor *scaled(ct_tensor *t, double s) {
    return (!t || s == 1) ? t : ct_mul_scalar(t, s);
}

static ct_tensor *tr(ct_tensor *t) { return t ? ct_transpose(t, -2, -1) : NULL; }

/* mm: dA = G B^T, dB = A^T G */
static int d_mm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, IN(1) ? ct_mm(g[0], tr(IN(1))) : NULL);
    if (NEED(1)) SET(1, IN(0) ? ct_mm(tr(IN(0)), g[0]) : NULL);
    return 0;
}

static int d_bmm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, IN(1) ? ct_bmm(g[0], tr(IN(1))) : NULL);
    if (NEED(1)) SET(1, IN(0) ? ct_bmm(tr(IN(0)), g[0]) : NULL);
    return 0;
}

/* mv: dA = g v^T, dv = A^T g */
static int d_mv(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, IN(1) ? ct_outer(g[0], IN(1)) : NULL);
    if (NEED(1)) SET(1, IN(0) ? ct_mv(tr(IN(0)), g[0]) : NULL);
    return 0;
}

/* dot, vdot (real): da = g b, db = g a (g is 0-d) */
static int d_dot(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, IN(1) ? ct_mul(IN(1), g[0]) : NULL);
    if (NEED(1)) SET(1, IN(0) ? ct_mul(IN(0), g[0]) : NULL);
    return 0;
}

/* outer: da = G b, db = G^T a */
static int d_outer(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, IN(1) ? ct_mv(g[0], IN(1)) : NULL);
    if (NEED(1)) SET(1, IN(0) ? ct_mv(tr(g[0]), IN(0)) : NULL);
    return 0;
}

/* addmm(self, m1, m2) = beta self + alpha m1 m2 */
static int d_addmm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double beta = n->args.f[0], alpha = n->args.f[1];
    SET(0, scaled(g[0], beta));
    if (NEED(1)) SET(1, IN(2) ? scaled(ct_mm(g[0], tr(IN(2))), alpha) : NULL);
    if (NEED(2)) SET(2, IN(1) ? scaled(ct_mm(tr(IN(1)), g[0]), alpha) : NULL);
    return 0;
}

/* baddbmm(self, b1, b2) = beta self + alpha b1 @ b2 (batched) */
static int d_baddbmm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double beta = n->args.f[0], alpha = n->args.f[1];
    SET(0, scaled(g[0], beta));
    if (NEED(1)) SET(1, IN(2) ? scaled(ct_bmm(g[0], tr(IN(2))), alpha) : NULL);
    if (NEED(2)) SET(2, IN(1) ? scaled(ct_bmm(tr(IN(1)), g[0]), alpha) : NULL);
    return 0;
}

/* addbmm(self, b1, b2) = beta self + alpha sum_b b1[b] @ b2[b]: the result's
 * gradient reaches every batch */
static int d_addbmm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double beta = n->args.f[0], alpha = n->args.f[1];
    SET(0, scaled(g[0], beta));
    int64_t b = n->in[1].sizes[0];
    ct_tensor *ge = NULL;
    if (NEED(1) || NEED(2)) {
        ge = ct_expand(ct_unsqueeze(g[0], 0), ((const int64_t[]){b, g[0]->sizes[0], g[0]->sizes[1]}), 3);
        if (!ge) return -1;
    }
    if (NEED(1)) SET(1, IN(2) ? scaled(ct_bmm(ge, tr(IN(2))), alpha) : NULL);
    if (NEED(2)) SET(2, IN(1) ? scaled(ct_bmm(tr(IN(1)), ge), alpha) : NULL);
    return 0;
}

/* addmv(self, mat, vec) = beta self + alpha mat vec */
static int d_addmv(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double beta = n->args.f[0], alpha = n->args.f[1];
    SET(0, scaled(g[0], beta));
    if (NEED(1)) SET(1, IN(2) ? scaled(ct_outer(g[0], IN(2)), alpha) : NULL);
    if (NEED(2)) SET(2, IN(1) ? scaled(ct_mv(tr(IN(1)), g[0]), alpha) : NULL);
    return 0;
}

/* kron(a, b)[i*B + k] = a[i] b[k] per dim (both padded to the same ndim):
 * view G as [a0, b0, a1, b1, ...]; da = sum over the b dims of G * b,
 * db = sum over the a dims of G * a. */
static int d_kron(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    const ct_in_meta *ma = &n->in[0], *mb = &n->in[1];
    int nd = ma->ndim > mb->ndim ? ma->ndim : mb->ndim;
    if (2 * nd > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "kron backward: %d-d operands are not supported", nd);
        return -1;
    }
    int64_t as[CT_MAX_DIMS], bs[CT_MAX_DIMS], gs[CT_MAX_DIMS], av[CT_MAX_DIMS], bv[CT_MAX_DIMS];
    int64_t ra[CT_MAX_DIMS], rb[CT_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - ma->ndim), db = d - (nd - mb->ndim);
        as[d] = da >= 0 ? ma->sizes[da] : 1;
        bs[d] = db >= 0 ? mb->sizes[db] : 1;
        gs[2 * d] = as[d];
        gs[2 * d + 1] = bs[d];
        av[2 * d] = as[d]; /* a viewed as [a0, 1, a1, 1, ...] */
        av[2 * d + 1] = 1;
        bv[2 * d] = 1;
        bv[2 * d + 1] = bs[d];
        ra[2 * d] = as[d];
        ra[2 * d + 1] = 1;
        rb[2 * d] = 1;
        rb[2 * d + 1] = bs[d];
    }
    ct_tensor *gr = ct_reshape(g[0], gs, 2 * nd);
    if (!gr) return -1;
    if (NEED(0)) {
        ct_tensor *b = IN(1);
        ct_tensor *p = b ? ct_mul(gr, ct_reshape(b, bv, 2 * nd)) : NULL;
        ct_tensor *s = p ? ct__ag_sum_to(p, ra, 2 * nd) : NULL;
        SET(0, s ? ct_reshape(s, ma->sizes, ma->ndim) : NULL);
    }
    if (NEED(1)) {
        ct_tensor *a = IN(0);
        ct_tensor *p = a ? ct_mul(gr, ct_reshape(a, av, 2 * nd)) : NULL;
        ct_tensor *s = p ? ct__ag_sum_to(p, rb, 2 * nd) : NULL;
        SET(1, s ? ct_reshape(s, mb->sizes, mb->ndim) : NULL);
    }
    return 0;
}

void ct__ag_register_linalg(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_mm] = (ct_deriv){d_mm, 0x3, 0};
    t[CT_OP_bmm] = (ct_deriv){d_bmm, 0x3, 0};
    t[CT_OP_mv] = (ct_deriv){d_mv, 0x3, 0};
    t[CT_OP_dot] = (ct_deriv){d_dot, 0x3, 0};
    t[CT_OP_vdot] = (ct_deriv){d_dot, 0x3, 0};
    t[CT_OP_matmul] = (ct_deriv){ct__ag_d_composite, 0, 0};
    t[CT_OP_addmm] = (ct_deriv){d_addmm, 0x6, 0};
    t[CT_OP_addbmm] = (ct_deriv){d_addbmm, 0x6, 0};
    t[CT_OP_baddbmm] = (ct_deriv){d_baddbmm, 0x6, 0};
    t[CT_OP_addmv] = (ct_deriv){d_addmv, 0x6, 0};
    t[CT_OP_outer] = (ct_deriv){d_outer, 0x3, 0};
    t[CT_OP_kron] = (ct_deriv){d_kron, 0x3, 0};
}
