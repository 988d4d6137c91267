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

/* dA = G B^T and dB = A^T G, computed as PyTorch's mm_mat1_backward /
 * mm_mat2_backward do: for an input that was column-major (args b[k],
 * recorded by the op: the input itself may not be saved), as the transpose
 * of the row-major product, so that the gradient has the input's layout
 * (the .grad of linear's weight comes out contiguous instead of being
 * copied from a transposed product at every step). */
static ct_tensor *mm_grad_a(ct_tensor *gr, ct_tensor *b, bool a_col_major) {
    if (!b) return NULL;
    return a_col_major ? tr(ct_mm(b, tr(gr))) : ct_mm(gr, tr(b));
}

static ct_tensor *mm_grad_b(ct_tensor *gr, ct_tensor *a, bool b_col_major) {
    if (!a) return NULL;
    return b_col_major ? tr(ct_mm(tr(gr), a)) : ct_mm(tr(a), gr);
}

/* mm: dA = G B^T, dB = A^T G */
static int d_mm(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) SET(0, mm_grad_a(g[0], IN(1), n->args.b[0]));
    if (NEED(1)) SET(1, mm_grad_b(g[0], IN(0), n->args.b[1]));
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
    if (NEED(1)) SET(1, scaled(mm_grad_a(g[0], IN(2), n->args.b[0]), alpha));
    if (NEED(2)) SET(2, scaled(mm_grad_b(g[0], IN(1), n->args.b[1]), alpha));
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


#define OUT() ct__ag_output(n)
#define EX(i) ct__ag_extra(n, i)

static ct_tensor *mmT(ct_tensor *a, ct_tensor *b) { return a && b ? ct_matmul(a, b) : NULL; }
static ct_tensor *unsq2(ct_tensor *t) { return t ? ct_unsqueeze(ct_unsqueeze(t, -1), -1) : NULL; }

/* identity of size k (constant) of like's dtype on like's device, batched
 * by broadcasting */
static ct_tensor *eye(int64_t k, const ct_tensor *like) {
    ct_tensor *e = ct_eye(k, k, like->dtype);
    return e && !ct__on_cpu(like) ? ct_to_device(e, like->storage->device) : e;
}

/* inv: dA = -Y^T G Y^T with Y = A^-1 */
static int d_inv(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = OUT();
    SET(0, y ? ct_neg(mmT(mmT(tr(y), g[0]), tr(y))) : NULL);
    return 0;
}

/* solve: X = A^-1 B; dB = A^-T G, dA = -dB X^T */
static int d_solve(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0), *x = OUT();
    if (!a || !x) return -1;
    bool vec = n->args.b[0];
    ct_tensor *gg = vec ? ct_unsqueeze(g[0], -1) : g[0];
    ct_tensor *gb = gg ? ct_linalg_solve(tr(a), gg) : NULL;
    if (!gb) return -1;
    if (NEED(1)) SET(1, vec ? ct_squeeze_dim(gb, -1) : gb);
    if (NEED(0)) {
        ct_tensor *xx = vec ? ct_unsqueeze(x, -1) : x;
        SET(0, ct_neg(mmT(gb, tr(xx))));
    }
    return 0;
}

/* det: dA = g det A^-T */
static int d_det(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0), *d = OUT();
    if (!a || !d) return -1;
    SET(0, ct_mul(unsq2(ct_mul(g[0], d)), tr(ct_linalg_inv(a))));
    return 0;
}

/* slogdet: d log|det A| = A^-T (the sign has no gradient) */
static int d_slogdet(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0);
    if (!a) return -1;
    SET(0, ct_mul(unsq2(g[0]), tr(ct_linalg_inv(a))));
    return 0;
}

/* cholesky A = L L^T: S = L^-T Phi(L^T G) L^-1, dA = (S + S^T) / 2 with
 * Phi the lower triangle with half the diagonal */
static int d_cholesky(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *l = OUT();
    if (!l) return -1;
    bool upper = n->args.b[0];
    ct_tensor *L = upper ? tr(l) : l, *gL = upper ? tr(g[0]) : g[0];
    ct_tensor *P = mmT(tr(L), gL);
    ct_tensor *phi = P ? ct_add(ct_tril(P, -1), ct_mul_scalar(ct_tril(ct_triu(P, 0), 0), 0.5)) : NULL;
    ct_tensor *Li = L ? ct_linalg_inv(L) : NULL;
    ct_tensor *S = mmT(mmT(tr(Li), phi), Li);
    SET(0, S ? ct_mul_scalar(ct_add(S, tr(S)), 0.5) : NULL);
    return 0;
}

/* F[i][j] = 1 / (w_j - w_i) off the diagonal, 0 on it */
static ct_tensor *gap_inverse(ct_tensor *w) {
    ct_tensor *e = ct_sub(ct_unsqueeze(w, -2), ct_unsqueeze(w, -1));
    if (!e) return NULL;
    ct_tensor *I = eye(w->sizes[w->ndim - 1], w);
    ct_tensor *on = I ? ct_gt_scalar(I, 0.5) : NULL;
    return on ? ct_where(on, ct_wrapped_float(0), ct_reciprocal(ct_where(on, ct_wrapped_float(1), e)))
              : NULL;
}

/* eigh: outputs (w, V): dA = V (diag(gw) + F o (V^T gV)) V^T, symmetrized */
static int d_eigh(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *w = OUT(), *v = EX(0);
    if (!w || !v) return -1;
    int64_t k = w->sizes[w->ndim - 1];
    ct_tensor *inner = ct_mul(ct_unsqueeze(g[0], -1), eye(k, w));
    if (n->nout > 1) {
        ct_tensor *F = gap_inverse(w);
        ct_tensor *t = F ? ct_mul(F, mmT(tr(v), g[1])) : NULL;
        inner = inner && t ? ct_add(inner, t) : NULL;
    }
    ct_tensor *r = mmT(mmT(v, inner), tr(v));
    SET(0, r ? ct_mul_scalar(ct_add(r, tr(r)), 0.5) : NULL);
    return 0;
}

/* svd (A m x n, k = min(m, n)): outputs (S, U, Vh); Townsend's formula
 * dA = U [diag(gS) + (F o (U^T gU - gU^T U)) S + S (F o (V^T gV - gV^T V))] V^T
 *      + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),
 * F[i][j] = 1 / (s_j^2 - s_i^2). */
static int d_svd(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *s = OUT(), *u = EX(0), *vh = EX(1);
    if (!s || !u || !vh) return -1;
    int64_t k = s->sizes[s->ndim - 1];
    ct_tensor *gU = g[1], *gVh = g[2];
    if (n->args.b[0]) { /* full matrices: only the first k columns/rows matter */
        u = ct_narrow(u, -1, 0, k);
        vh = ct_narrow(vh, -2, 0, k);
        gU = ct_narrow(gU, -1, 0, k);
        gVh = ct_narrow(gVh, -2, 0, k);
        if (!u || !vh || !gU || !gVh) return -1;
    }
    ct_tensor *v = tr(vh), *gV = tr(gVh);
    ct_tensor *I = eye(k, s);
    ct_tensor *S = ct_mul(ct_unsqueeze(s, -1), I);
    ct_tensor *Sinv = ct_mul(ct_unsqueeze(ct_reciprocal(s), -1), I);
    ct_tensor *F = gap_inverse(ct_mul(s, s));
    if (!v || !gV || !S || !Sinv || !F) return -1;
    ct_tensor *utgu = mmT(tr(u), gU), *vtgv = mmT(tr(v), gV);
    ct_tensor *J = ct_mul(F, ct_sub(utgu, tr(utgu)));
    ct_tensor *K = ct_mul(F, ct_sub(vtgv, tr(vtgv)));
    ct_tensor *mid = ct_add(ct_add(ct_mul(ct_unsqueeze(g[0], -1), I), mmT(J, S)), mmT(S, K));
    ct_tensor *r = mmT(mmT(u, mid), tr(v));
    int64_t m = u->sizes[u->ndim - 2], nn = v->sizes[v->ndim - 2];
    ct_tensor *Pu = ct_sub(eye(m, s), mmT(u, tr(u)));
    ct_tensor *Pv = ct_sub(eye(nn, s), mmT(v, tr(v)));
    ct_tensor *extra1 = mmT(mmT(mmT(Pu, gU), Sinv), tr(v));
    ct_tensor *extra2 = mmT(mmT(mmT(u, Sinv), tr(gV)), Pv);
    SET(0, r && extra1 && extra2 ? ct_add(ct_add(r, extra1), extra2) : NULL);
    return 0;
}

/* dA of A = QR for rows >= cols (reduced): M = R gR^T - gQ^T Q;
 * dA = (gQ + Q copyltu(M)) R^-T with copyltu(M) = tril(M, -1) + tril(M, -1)^T + diag(M).
 * gQ may be NULL (Q's gradient unused). */
static ct_tensor *qr_tall_grad(ct_tensor *q, ct_tensor *r, ct_tensor *gR, ct_tensor *gQ) {
    ct_tensor *M = mmT(r, tr(gR));
    if (gQ && M) M = ct_sub(M, mmT(tr(gQ), q));
    ct_tensor *low = M ? ct_tril(M, -1) : NULL;
    ct_tensor *sym = low ? ct_add(ct_add(low, tr(low)), ct_tril(ct_triu(M, 0), 0)) : NULL;
    ct_tensor *b = mmT(q, sym);
    if (gQ && b) b = ct_add(b, gQ);
    return b ? mmT(b, tr(ct_linalg_inv(r))) : NULL;
}

/* qr: outputs (R, Q). Rows >= cols: qr_tall_grad. Rows m < cols (PyTorch
 * 1.13's split): A = [X | Y], R = [U | V] with X = QU and Y = QV; then
 * dX = qr_tall_grad(Q, U, gU, gQ + Y gV^T) and dY = Q gV. */
static int d_qr(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    int64_t m = n->in[0].sizes[n->in[0].ndim - 2], c = n->in[0].sizes[n->in[0].ndim - 1];
    /* PyTorch 1.13's checks and messages first */
    if (n->args.i[0] == 2) {
        ct_set_error(CT_ERR_RUNTIME,
                     "The derivative of linalg.qr depends on Q, which is not computed when "
                     "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                     "differentiate through linalg.qr.");
        return -1;
    }
    if (n->args.i[0] == 1 && m > c) {
        ct_set_error(CT_ERR_RUNTIME,
                     "The QR decomposition is not differentiable when mode='complete' and nrows "
                     "> ncols.");
        return -1;
    }
    ct_tensor *r = OUT(), *q = EX(0);
    if (!r || !q) return -1;
    ct_tensor *gR = g[0], *gQ = n->nout > 1 ? g[1] : NULL;
    if (m >= c) {
        SET(0, qr_tall_grad(q, r, gR, gQ));
        return 0;
    }
    int last = r->ndim - 1;
    ct_tensor *U = ct_narrow(r, last, 0, m), *V = ct_narrow(r, last, m, c - m);
    ct_tensor *gU = ct_narrow(gR, last, 0, m), *gV = ct_narrow(gR, last, m, c - m);
    ct_tensor *Y = V ? mmT(q, V) : NULL;
    ct_tensor *gQx = Y && gV ? mmT(Y, tr(gV)) : NULL;
    if (gQ && gQx) gQx = ct_add(gQx, gQ);
    ct_tensor *gX = U && gU && gQx ? qr_tall_grad(q, U, gU, gQx) : NULL;
    ct_tensor *gY = gV ? mmT(q, gV) : NULL;
    const ct_tensor *parts[2] = {gX, gY};
    SET(0, gX && gY ? ct_cat(parts, 2, -1) : NULL);
    return 0;
}

void ct__ag_register_linalg(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_mm] = (ct_deriv){d_mm, 0x3, 0, 0, 0x3};
    t[CT_OP_bmm] = (ct_deriv){d_bmm, 0x3, 0, 0, 0x3};
    t[CT_OP_mv] = (ct_deriv){d_mv, 0x3, 0, 0, 0x3};
    t[CT_OP_dot] = (ct_deriv){d_dot, 0x3, 0, 0, 0x3};
    t[CT_OP_vdot] = (ct_deriv){d_dot, 0x3, 0, 0, 0x3};
    t[CT_OP_matmul] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_addmm] = (ct_deriv){d_addmm, 0x6, 0, 0, 0x6};
    t[CT_OP_addbmm] = (ct_deriv){d_addbmm, 0x6, 0, 0, 0x6};
    t[CT_OP_baddbmm] = (ct_deriv){d_baddbmm, 0x6, 0, 0, 0x6};
    t[CT_OP_addmv] = (ct_deriv){d_addmv, 0x6, 0, 0, 0x6};
    t[CT_OP_outer] = (ct_deriv){d_outer, 0x3, 0, 0, 0x3};
    t[CT_OP_kron] = (ct_deriv){d_kron, 0x3, 0, 0, 0x3};
    t[CT_OP_einsum] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_tensordot] = (ct_deriv){ct__ag_d_composite, 0, 0, 0, 0};
    t[CT_OP_linalg_inv] = (ct_deriv){d_inv, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_linalg_solve] = (ct_deriv){d_solve, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_linalg_det] = (ct_deriv){d_det, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_linalg_slogdet] = (ct_deriv){d_slogdet, 0x1, 0, 0, 0};
    t[CT_OP_linalg_cholesky] = (ct_deriv){d_cholesky, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_linalg_qr] = (ct_deriv){d_qr, CT_SAVE_OUTPUT, 1, 1, 0};
    t[CT_OP_linalg_svd] = (ct_deriv){d_svd, CT_SAVE_OUTPUT, 2, 2, 0};
    t[CT_OP_linalg_eigh] = (ct_deriv){d_eigh, CT_SAVE_OUTPUT, 1, 1, 0};
}
