/* Gradients of einsum/tensordot and the decompositions: gradcheck and
 * gradgradcheck in float64. Functions of eigenvectors and singular vectors
 * are chosen invariant to their signs; symmetric inputs are made by A + A^T. */
#include "test_autograd.h"

/* a well-conditioned matrix: random plus a multiple of the identity */
static ct_tensor *wellcond(int64_t n, unsigned seed) {
    ct_tensor *a = tt_rand(SHAPE(n, n), 2, CT_FLOAT64, -0.5, 0.5, seed);
    for (int64_t i = 0; i < n; i++) ((double *)ct_data_ptr(a))[i * n + i] += 2.5;
    ct_tensor *t = ct_t(a);
    ct_set_requires_grad(t, true);
    return t;
}

static ct_tensor *sym(ct_tensor *a) { return ct_add(a, ct_t(a)); }

FN(f_einsum, ct_einsum("ij,jk->ik", (const ct_tensor *const *)x, 2))
FN(f_einsum_tr, ct_einsum("ii->", (const ct_tensor *const *)x, 1))
FN(f_tensordot, ct_tensordot(x[0], x[1], 1))
FN(f_inv, ct_linalg_inv(x[0]))
FN(f_solve, ct_linalg_solve(x[0], x[1]))
FN(f_det, ct_linalg_det(x[0]))
FN(f_chol, ct_linalg_cholesky(ct_add(ct_matmul(x[0], ct_t(x[0])), ct_eye(3, 3, CT_FLOAT64)), false))
FN(f_chol_u, ct_linalg_cholesky(ct_add(ct_matmul(x[0], ct_t(x[0])), ct_eye(3, 3, CT_FLOAT64)), true))

static ct_tensor *f_slogdet(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *s = NULL, *l = NULL;
    return ct_linalg_slogdet(x[0], &s, &l) < 0 ? NULL : l;
}
static ct_tensor *f_qr(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *q = NULL, *r = NULL;
    if (ct_linalg_qr(x[0], "reduced", &q, &r) < 0) return NULL;
    /* q r is sign-consistent per column pair; use both outputs */
    return ct_add(ct_mul(q, q), ct_sum(ct_mul(r, r)));
}
static ct_tensor *f_svd(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *u = NULL, *s = NULL, *vh = NULL;
    if (ct_linalg_svd(x[0], false, &u, &s, &vh) < 0) return NULL;
    /* squares of the singular vectors weighted by constants: sign invariant */
    ct_tensor *su = ct_sum(ct_mul(ct_mul(u, u), ag_arange(12, SHAPE(4, 3), 2)));
    ct_tensor *sv = ct_sum(ct_mul(ct_mul(vh, vh), ag_arange(9, SHAPE(3, 3), 2)));
    return ct_add(s, ct_add(su, sv));
}
static ct_tensor *f_eigh(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *w = NULL, *v = NULL;
    if (ct_linalg_eigh(sym(x[0]), 'L', &w, &v) < 0) return NULL;
    return ct_add(ct_sum(ct_mul(v, v)), ct_mul(ct_mul(v, v), w)); /* sign invariant */
}

TEST(grad_einsum, through_recorded_products) {
    GRADCHECK(f_einsum, ncr(2, 3, -1, 1, 1), rleaf(SHAPE(3, 2), 2, -1, 1, 2));
    GRADCHECK(f_einsum_tr, ncr(3, 3, -1, 1, 3));
}
TEST(grad_tensordot, through_recorded_products) {
    GRADCHECK(f_tensordot, ncr(2, 3, -1, 1, 4), rleaf(SHAPE(3, 2), 2, -1, 1, 5));
}
TEST(grad_linalg_inv, minus_y_g_y) { GRADCHECK(f_inv, wellcond(3, 6)); }
TEST(grad_linalg_solve, matrix_and_vector_right_hand_sides) {
    GRADCHECK(f_solve, wellcond(3, 7), rleaf(SHAPE(3, 2), 2, -1, 1, 8));
    GRADCHECK(f_solve, wellcond(3, 9), rleaf(SHAPE(3), 1, -1, 1, 10));
}
TEST(grad_linalg_det, det_times_inverse_transpose) { GRADCHECK(f_det, wellcond(3, 11)); }
TEST(grad_linalg_slogdet, inverse_transpose) { GRADCHECK(f_slogdet, wellcond(3, 12)); }
TEST(grad_linalg_cholesky, lower_and_upper) {
    GRADCHECK(f_chol, ncr(3, 3, -1, 1, 13));
    GRADCHECK(f_chol_u, ncr(3, 3, -1, 1, 14));
}
TEST(grad_linalg_qr, both_outputs) {
    ct_tensor *a = ncr(4, 3, -1, 1, 15);
    CHECK(ct_gradcheck(f_qr, NULL, &a, 1, EPS, ATOL, RTOL) == 0);
}
TEST(grad_linalg_qr, wide_inputs_split_as_pytorch) {
    ct_tensor *a = ncr(3, 5, -1, 1, 18);
    CHECK(ct_gradcheck(f_qr, NULL, &a, 1, EPS, ATOL, RTOL) == 0);
    ct_tensor *sq = ncr(3, 3, -1, 1, 19);
    CHECK(ct_gradcheck(f_qr, NULL, &sq, 1, EPS, ATOL, RTOL) == 0);
}
TEST(grad_linalg_svd, all_three_outputs) {
    ct_tensor *a = ncr(4, 3, -1, 1, 16);
    CHECK(ct_gradcheck(f_svd, NULL, &a, 1, EPS, ATOL, RTOL) == 0);
}
TEST(grad_linalg_eigh, values_and_vectors) {
    ct_tensor *a = ncr(3, 3, -1, 1, 17);
    CHECK(ct_gradcheck(f_eigh, NULL, &a, 1, EPS, ATOL, RTOL) == 0);
}
