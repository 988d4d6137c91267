/* Decompositions checked by their defining properties, computed here in
 * double precision: inv(A) A = I, A X = B, det by cofactor expansion,
 * L L^T = A, Q orthonormal with Q R = A, U diag(S) Vh = A, A v = lambda v. */
#include "harness.h"

#include <stdlib.h>

/* Matrix (i, j) of batch element b of a [..., r, c] tensor, from its values. */
#define AT(v, b, i, j, r, c) ((v)[((int64_t)(b) * (r) + (i)) * (c) + (j)])

static ct_tensor *rnd(const int64_t *shape, int nd, ct_dtype dt, unsigned seed) {
    return tt_rand(shape, nd, dt, -1, 1, seed);
}

/* Random batch of n x n matrices made well conditioned: + n on the diagonal. */
static ct_tensor *well_conditioned(int64_t batch, int64_t n, ct_dtype dt, unsigned seed) {
    ct_tensor *t = rnd(SHAPE(batch, n, n), 3, CT_FLOAT64, seed);
    double *v = tt_values(t);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++) AT(v, b, i, i, n, n) += (double)n;
    ct_tensor *r = tt_tensor(v, SHAPE(batch, n, n), 3, dt);
    free(v);
    return r;
}

/* Symmetric positive-definite batch: M M^T + n I. */
static ct_tensor *spd(int64_t batch, int64_t n, ct_dtype dt, unsigned seed) {
    ct_tensor *m = rnd(SHAPE(batch, n, n), 3, CT_FLOAT64, seed);
    double *v = tt_values(m), *s = calloc((size_t)(batch * n * n), sizeof(double));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = i == j ? (double)n : 0;
                for (int64_t k = 0; k < n; k++) acc += AT(v, b, i, k, n, n) * AT(v, b, j, k, n, n);
                AT(s, b, i, j, n, n) = acc;
            }
    ct_tensor *r = tt_tensor(s, SHAPE(batch, n, n), 3, dt);
    free(v);
    free(s);
    return r;
}

/* max |X Y - Z| over a batch of products (X: r x k, Y: k x c); Z NULL = I. */
static double prod_err(const double *x, const double *y, const double *z, int64_t batch,
                       int64_t r, int64_t k, int64_t c) {
    double e = 0;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < c; j++) {
                double s = 0;
                for (int64_t q = 0; q < k; q++) s += AT(x, b, i, q, r, k) * AT(y, b, q, j, k, c);
                double want = z ? AT(z, b, i, j, r, c) : (double)(i == j);
                if (fabs(s - want) > e) e = fabs(s - want);
            }
    return e;
}

/* Transpose of each matrix of a batch (r x c -> c x r), malloc'd. */
static double *transposed(const double *x, int64_t batch, int64_t r, int64_t c) {
    double *t = malloc(sizeof(double) * (size_t)(batch * r * c + 1));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < c; j++) AT(t, b, j, i, c, r) = AT(x, b, i, j, r, c);
    return t;
}

/* Determinant by cofactor expansion along the first row. */
static double cofactor_det(const double *a, int n) {
    if (n == 0) return 1;
    if (n == 1) return a[0];
    double d = 0, sub[64];
    for (int c = 0; c < n; c++) {
        int k = 0;
        for (int i = 1; i < n; i++)
            for (int j = 0; j < n; j++)
                if (j != c) sub[k++] = a[i * n + j];
        d += (c % 2 ? -1 : 1) * a[c] * cofactor_det(sub, n - 1);
    }
    return d;
}

/* ------------------------------------------------------------ inv */
TEST(linalg_inv, inverse_times_matrix_is_identity) {
    ct_tensor *a = well_conditioned(1, 5, CT_FLOAT64, 1);
    ct_tensor *a2 = ct_select(a, 0, 0);
    ct_tensor *inv = ct_linalg_inv(a2);
    CHECK(inv && inv->ndim == 2 && inv->sizes[0] == 5 && inv->dtype == CT_FLOAT64);
    double *iv = tt_values(inv), *av = tt_values(a2);
    CHECK(prod_err(iv, av, NULL, 1, 5, 5, 5) < 1e-12);
    CHECK(prod_err(av, iv, NULL, 1, 5, 5, 5) < 1e-12);
    free(iv);
    free(av);
    /* batched float32, transposed (column-major) input left untouched */
    ct_tensor *b = ct_transpose(well_conditioned(3, 4, CT_FLOAT32, 2), 1, 2);
    double *before = tt_values(b);
    ct_tensor *bi = ct_linalg_inv(b);
    CHECK(bi && bi->ndim == 3 && bi->dtype == CT_FLOAT32);
    double *bv = tt_values(b), *biv = tt_values(bi);
    for (int i = 0; i < 48; i++) CHECK(bv[i] == before[i]);
    CHECK(prod_err(biv, bv, NULL, 3, 4, 4, 4) < 1e-5);
    free(before);
    free(bv);
    free(biv);
    ct_tensor *e = ct_linalg_inv(ct_empty(SHAPE(0, 0), 2, CT_FLOAT32));
    CHECK(e && e->ndim == 2 && e->sizes[0] == 0);
}

TEST(linalg_inv, above_threading_threshold) {
    ct_tensor *a = ct_select(well_conditioned(1, 200, CT_FLOAT64, 3), 0, 0);
    ct_tensor *inv = ct_linalg_inv(a);
    CHECK_OK(inv);
    double *iv = tt_values(inv), *av = tt_values(a);
    double err = prod_err(iv, av, NULL, 1, 200, 200, 200);
    free(iv);
    free(av);
    CHECK(err < 1e-10);
}

TEST(linalg_inv, singular_and_bad_inputs) {
    CHECK_ERR(ct_linalg_inv(tt_tensor(VALS(1, 2, 3, 2, 4, 6, 1, 0, 1), SHAPE(3, 3), 2, CT_FLOAT32)),
              "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular.");
    ct_tensor *z = ct_empty(SHAPE(2, 3, 3), 3, CT_FLOAT64);
    memset(ct_data_ptr(z), 0, 18 * sizeof(double));
    CHECK_ERR(ct_linalg_inv(z), "linalg.inv: (Batch element 0): The diagonal element 1 is zero");
    CHECK_ERR(ct_linalg_inv(rnd(SHAPE(2, 3), 2, CT_FLOAT32, 1)),
              "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices");
    CHECK_ERR(ct_linalg_inv(ct_empty(SHAPE(2, 2), 2, CT_INT64)),
              "linalg.inv: Expected a floating point or complex tensor as input. Got Long");
    CHECK_ERR(ct_linalg_inv(rnd(SHAPE(3), 1, CT_FLOAT32, 1)), "must have at least 2 dimensions");
    CHECK_ERR(ct_linalg_inv(rnd(SHAPE(2, 2), 2, CT_FLOAT16, 1)), "linalg.inv: Low precision dtypes not supported. Got Half");
}

/* ------------------------------------------------------------ solve */
TEST(linalg_solve, residual_vanishes_for_matrix_and_vector_rhs) {
    ct_tensor *A = ct_select(well_conditioned(1, 4, CT_FLOAT64, 10), 0, 0);
    ct_tensor *B = rnd(SHAPE(4, 3), 2, CT_FLOAT64, 11);
    ct_tensor *X = ct_linalg_solve(A, B);
    CHECK(X && X->ndim == 2 && X->sizes[0] == 4 && X->sizes[1] == 3);
    double *av = tt_values(A), *bv = tt_values(B), *xv = tt_values(X);
    CHECK(prod_err(av, xv, bv, 1, 4, 4, 3) < 1e-12);
    free(bv);
    free(xv);
    ct_tensor *b = rnd(SHAPE(4), 1, CT_FLOAT64, 12);
    ct_tensor *x = ct_linalg_solve(A, b);
    CHECK(x && x->ndim == 1 && x->sizes[0] == 4);
    double *b1 = tt_values(b), *x1 = tt_values(x);
    CHECK(prod_err(av, x1, b1, 1, 4, 4, 1) < 1e-12);
    free(av);
    free(b1);
    free(x1);
}

TEST(linalg_solve, batched_with_broadcast_and_vector_batches) {
    ct_tensor *A = well_conditioned(2, 3, CT_FLOAT32, 13);
    /* B [3, 2] broadcast against the batch of A */
    ct_tensor *B = rnd(SHAPE(3, 2), 2, CT_FLOAT32, 14);
    ct_tensor *X = ct_linalg_solve(A, B);
    CHECK(X && X->ndim == 3 && X->sizes[0] == 2 && X->sizes[1] == 3 && X->sizes[2] == 2);
    double *av = tt_values(A), *bv = tt_values(B), *xv = tt_values(X);
    double bb[12];
    for (int i = 0; i < 12; i++) bb[i] = bv[i % 6];
    CHECK(prod_err(av, xv, bb, 2, 3, 3, 2) < 1e-5);
    free(bv);
    free(xv);
    /* B [2, 3] = A.shape[:-1]: a batch of vectors */
    ct_tensor *b = rnd(SHAPE(2, 3), 2, CT_FLOAT32, 15);
    ct_tensor *x = ct_linalg_solve(A, b);
    CHECK(x && x->ndim == 2 && x->sizes[0] == 2 && x->sizes[1] == 3);
    double *b2 = tt_values(b), *x2 = tt_values(x);
    CHECK(prod_err(av, x2, b2, 2, 3, 3, 1) < 1e-5);
    free(av);
    free(b2);
    free(x2);
}

TEST(linalg_solve, errors) {
    ct_tensor *A = well_conditioned(1, 3, CT_FLOAT32, 16);
    ct_tensor *A2 = ct_select(A, 0, 0);
    CHECK_ERR(ct_linalg_solve(A2, rnd(SHAPE(4), 1, CT_FLOAT32, 1)),
              "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)");
    CHECK_ERR(ct_linalg_solve(A2, rnd(SHAPE(3, 3), 2, CT_FLOAT64, 1)),
              "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double instead");
    ct_tensor *z = tt_tensor(VALS(1, 2, 2, 4), SHAPE(2, 2), 2, CT_FLOAT64);
    CHECK_ERR(ct_linalg_solve(z, rnd(SHAPE(2), 1, CT_FLOAT64, 1)),
              "torch.linalg.solve: The solver failed because the input matrix is singular.");
    ct_tensor *zb = ct_expand(ct_unsqueeze(z, 0), SHAPE(2, 2, 2), 3);
    CHECK_ERR(ct_linalg_solve(zb, rnd(SHAPE(2), 1, CT_FLOAT64, 1)),
              "torch.linalg.solve: (Batch element 0): The solver failed");
}

/* ------------------------------------------------------------ det, slogdet */
TEST(linalg_det, matches_cofactor_expansion) {
    for (int n = 1; n <= 4; n++) {
        ct_tensor *a = rnd(SHAPE(3, n, n), 3, CT_FLOAT64, 20 + (unsigned)n);
        ct_tensor *d = ct_linalg_det(a);
        CHECK(d && d->ndim == 1 && d->sizes[0] == 3 && d->dtype == CT_FLOAT64);
        double *av = tt_values(a);
        for (int b = 0; b < 3; b++) CHECK_CLOSE(ct_item_at(d, b), cofactor_det(av + b * n * n, n), 1e-12);
        free(av);
    }
    ct_tensor *t = ct_t(rnd(SHAPE(3, 3), 2, CT_FLOAT32, 30));
    double *tv = tt_values(t);
    ct_tensor *dt = ct_linalg_det(t);
    CHECK(dt && dt->ndim == 0);
    CHECK_CLOSE(ct_item_at(dt, 0), cofactor_det(tv, 3), 1e-5);
    free(tv);
    CHECK_TENSOR(ct_linalg_det(tt_tensor(VALS(1, 2, 2, 4), SHAPE(2, 2), 2, CT_FLOAT32)), SHAPE(0), 0, VALS(0), 0);
    CHECK_TENSOR(ct_linalg_det(ct_empty(SHAPE(2, 0, 0), 3, CT_FLOAT32)), SHAPE(2), 1, VALS(1, 1), 0);
    CHECK_ERR(ct_linalg_det(rnd(SHAPE(3, 2), 2, CT_FLOAT32, 1)),
              "linalg.det: A must be batches of square matrices, but they are 3 by 2 matrices");
    CHECK_ERR(ct_linalg_det(ct_empty(SHAPE(2, 2), 2, CT_INT64)), "linalg.det: Expected a floating point");
}

TEST(linalg_slogdet, sign_and_log_abs) {
    ct_tensor *a = tt_tensor(VALS(1, 2, 3, 4, 2, 0, 0, 3), SHAPE(2, 2, 2), 3, CT_FLOAT64);
    ct_tensor *s, *l;
    CHECK(ct_linalg_slogdet(a, &s, &l) == 0);
    CHECK_TENSOR(s, SHAPE(2), 1, VALS(-1, 1), 0);
    CHECK_TENSOR(l, SHAPE(2), 1, VALS(log(2.0), log(6.0)), 1e-12);
    ct_tensor *z = tt_tensor(VALS(1, 2, 2, 4), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK(ct_linalg_slogdet(z, &s, &l) == 0);
    CHECK(ct_item_at(s, 0) == 0 && isinf(ct_item_at(l, 0)) && ct_item_at(l, 0) < 0);
}

/* ------------------------------------------------------------ cholesky */
TEST(linalg_cholesky, lower_and_upper_factors_reproduce_a) {
    ct_tensor *a = spd(2, 4, CT_FLOAT64, 40);
    double *av = tt_values(a);
    ct_tensor *L = ct_linalg_cholesky(a, false);
    CHECK(L && L->ndim == 3);
    double *lv = tt_values(L), *lt = transposed(lv, 2, 4, 4);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) CHECK(AT(lv, b, i, j, 4, 4) == 0);
    CHECK(prod_err(lv, lt, av, 2, 4, 4, 4) < 1e-12);
    free(lv);
    free(lt);
    ct_tensor *U = ct_linalg_cholesky(a, true);
    double *uv = tt_values(U), *ut = transposed(uv, 2, 4, 4);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < i; j++) CHECK(AT(uv, b, i, j, 4, 4) == 0);
    CHECK(prod_err(ut, uv, av, 2, 4, 4, 4) < 1e-12);
    free(uv);
    free(ut);
    free(av);
    ct_tensor *e = ct_linalg_cholesky(ct_empty(SHAPE(0, 0), 2, CT_FLOAT32), false);
    CHECK(e && e->sizes[0] == 0);
}

TEST(linalg_cholesky, not_positive_definite) {
    CHECK_ERR(ct_linalg_cholesky(tt_tensor(VALS(1, 2, 2, 1), SHAPE(2, 2), 2, CT_FLOAT32), false),
              "linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite).");
    CHECK_ERR(ct_linalg_cholesky(tt_tensor(VALS(1, 0, 0, 1, 1, 2, 2, 1), SHAPE(2, 2, 2), 3, CT_FLOAT64), false),
              "linalg.cholesky: (Batch element 1): The factorization could not be completed");
    CHECK_ERR(ct_linalg_cholesky(rnd(SHAPE(3, 2), 2, CT_FLOAT32, 1), false),
              "linalg.cholesky: A must be batches of square matrices, but they are 3 by 2 matrices");
}

/* ------------------------------------------------------------ qr */
static void check_qr(const ct_tensor *A, const char *mode, int64_t qcols, int64_t rrows, double tol) {
    int nb = A->ndim - 2;
    int64_t m = A->sizes[nb], n = A->sizes[nb + 1], batch = 1;
    for (int i = 0; i < nb; i++) batch *= A->sizes[i];
    ct_tensor *Q, *R;
    CHECK(ct_linalg_qr(A, mode, &Q, &R) == 0);
    CHECK(Q->sizes[nb] == m && Q->sizes[nb + 1] == qcols && R->sizes[nb] == rrows && R->sizes[nb + 1] == n);
    double *qv = tt_values(Q), *rv = tt_values(R), *av = tt_values(A), *qt = transposed(qv, batch, m, qcols);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < rrows; i++)
            for (int64_t j = 0; j < i && j < n; j++) CHECK(AT(rv, b, i, j, rrows, n) == 0);
    CHECK(prod_err(qt, qv, NULL, batch, qcols, m, qcols) < tol); /* Q^T Q = I */
    CHECK(prod_err(qv, rv, av, batch, m, qcols, n) < tol);       /* Q R = A */
    free(qv);
    free(rv);
    free(av);
    free(qt);
}

TEST(linalg_qr, reduced_and_complete_modes) {
    check_qr(rnd(SHAPE(5, 3), 2, CT_FLOAT64, 50), "reduced", 3, 3, 1e-12);
    check_qr(rnd(SHAPE(3, 5), 2, CT_FLOAT64, 51), NULL, 3, 3, 1e-12);
    check_qr(rnd(SHAPE(5, 3), 2, CT_FLOAT64, 52), "complete", 5, 5, 1e-12);
    check_qr(rnd(SHAPE(2, 4, 4), 3, CT_FLOAT32, 53), "complete", 4, 4, 1e-5);
    check_qr(ct_transpose(rnd(SHAPE(2, 3, 6), 3, CT_FLOAT32, 54), 1, 2), "reduced", 3, 3, 1e-5);
    check_qr(ct_empty(SHAPE(3, 0), 2, CT_FLOAT64), "complete", 3, 3, 1e-12);
    ct_tensor *Q, *R;
    CHECK(ct_linalg_qr(rnd(SHAPE(4, 3), 2, CT_FLOAT32, 55), "r", &Q, &R) == 0);
    CHECK(Q->ndim == 1 && Q->sizes[0] == 0 && R->sizes[0] == 3 && R->sizes[1] == 3);
    ct_clear_error();
    CHECK(ct_linalg_qr(R, "foo", &Q, &R) < 0);
    CHECK(strstr(ct_last_error(), "qr received unrecognized mode 'foo' but expected one of 'reduced' (default), 'r', or 'complete'"));
    CHECK(ct_linalg_qr(rnd(SHAPE(3), 1, CT_FLOAT32, 1), NULL, &Q, &R) < 0);
    CHECK(strstr(ct_last_error(), "linalg.qr: The input tensor A must have at least 2 dimensions."));
}

/* ------------------------------------------------------------ svd */
static void check_svd(const ct_tensor *A, bool full, double tol) {
    int nb = A->ndim - 2;
    int64_t m = A->sizes[nb], n = A->sizes[nb + 1], k = m < n ? m : n, batch = 1;
    for (int i = 0; i < nb; i++) batch *= A->sizes[i];
    int64_t uc = full ? m : k, vr = full ? n : k;
    ct_tensor *U, *S, *Vh;
    CHECK(ct_linalg_svd(A, full, &U, &S, &Vh) == 0);
    CHECK(U->sizes[nb] == m && U->sizes[nb + 1] == uc && S->sizes[nb] == k && Vh->sizes[nb] == vr &&
          Vh->sizes[nb + 1] == n);
    double *uv = tt_values(U), *sv = tt_values(S), *vv = tt_values(Vh), *av = tt_values(A);
    double *ut = transposed(uv, batch, m, uc), *vt = transposed(vv, batch, vr, n);
    CHECK(prod_err(ut, uv, NULL, batch, uc, m, uc) < tol); /* U^T U = I */
    CHECK(prod_err(vv, vt, NULL, batch, vr, n, vr) < tol); /* Vh Vh^T = I */
    /* U[:, :k] diag(S) Vh[:k, :] = A, S descending and >= 0 */
    double *us = calloc((size_t)(batch * m * k + 1), sizeof(double));
    double *vk = calloc((size_t)(batch * k * n + 1), sizeof(double));
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t j = 0; j < k; j++) {
            CHECK(sv[b * k + j] >= 0);
            if (j) CHECK(sv[b * k + j] <= sv[b * k + j - 1]);
            for (int64_t i = 0; i < m; i++) AT(us, b, i, j, m, k) = AT(uv, b, i, j, m, uc) * sv[b * k + j];
            for (int64_t i = 0; i < n; i++) AT(vk, b, j, i, k, n) = AT(vv, b, j, i, vr, n);
        }
    }
    CHECK(prod_err(us, vk, av, batch, m, k, n) < tol);
    free(uv); free(sv); free(vv); free(av); free(ut); free(vt); free(us); free(vk);
}

TEST(linalg_svd, reconstructs_with_orthonormal_factors) {
    check_svd(rnd(SHAPE(5, 3), 2, CT_FLOAT64, 60), false, 1e-12);
    check_svd(rnd(SHAPE(3, 5), 2, CT_FLOAT64, 61), true, 1e-12);
    check_svd(rnd(SHAPE(5, 3), 2, CT_FLOAT64, 62), true, 1e-12);
    check_svd(rnd(SHAPE(2, 4, 6), 3, CT_FLOAT32, 63), false, 1e-5);
    check_svd(ct_t(rnd(SHAPE(6, 4), 2, CT_FLOAT32, 64)), true, 1e-5);
    /* empty: U [0, 0], S [0], Vh the 3 x 3 identity */
    ct_tensor *U, *S, *Vh;
    CHECK(ct_linalg_svd(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), true, &U, &S, &Vh) == 0);
    CHECK(U->sizes[0] == 0 && U->sizes[1] == 0 && S->sizes[0] == 0);
    CHECK_TENSOR(Vh, SHAPE(3, 3), 2, VALS(1, 0, 0, 0, 1, 0, 0, 0, 1), 0);
    CHECK(ct_linalg_svd(rnd(SHAPE(3), 1, CT_FLOAT32, 1), false, &U, &S, &Vh) < 0);
    CHECK(strstr(ct_last_error(), "linalg.svd: The input tensor A must have at least 2 dimensions."));
    CHECK(ct_linalg_svd(ct_empty(SHAPE(3, 3), 2, CT_INT32), false, &U, &S, &Vh) < 0);
    CHECK(strstr(ct_last_error(), "linalg.svd: Expected a floating point or complex tensor as input. Got Int"));
}

/* ------------------------------------------------------------ eigh */
TEST(linalg_eigh, eigenpairs_ascending_and_orthonormal) {
    ct_tensor *a = spd(3, 5, CT_FLOAT64, 70);
    ct_tensor *L, *V;
    CHECK(ct_linalg_eigh(a, 'L', &L, &V) == 0);
    CHECK(L->ndim == 2 && L->sizes[1] == 5 && V->ndim == 3);
    double *av = tt_values(a), *lv = tt_values(L), *vv = tt_values(V), *vt = transposed(vv, 3, 5, 5);
    CHECK(prod_err(vt, vv, NULL, 3, 5, 5, 5) < 1e-12);
    double *vl = malloc(sizeof(double) * 75);
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 5; j++) {
            if (j) CHECK(lv[b * 5 + j] >= lv[b * 5 + j - 1]);
            for (int i = 0; i < 5; i++) AT(vl, b, i, j, 5, 5) = AT(vv, b, i, j, 5, 5) * lv[b * 5 + j];
        }
    CHECK(prod_err(av, vv, vl, 3, 5, 5, 5) < 1e-11); /* A V = V diag(lambda) */
    free(av); free(lv); free(vv); free(vt); free(vl);
}

TEST(linalg_eigh, reads_only_the_named_triangle) {
    /* upper triangle of a symmetric matrix, garbage below */
    ct_tensor *g = tt_tensor(VALS(2, 1, 0, 99, 3, 1, 99, 99, 4), SHAPE(3, 3), 2, CT_FLOAT32);
    ct_tensor *s = tt_tensor(VALS(2, 1, 0, 1, 3, 1, 0, 1, 4), SHAPE(3, 3), 2, CT_FLOAT32);
    ct_tensor *L1, *V1, *L2, *V2;
    CHECK(ct_linalg_eigh(g, 'U', &L1, &V1) == 0);
    CHECK(ct_linalg_eigh(s, 'L', &L2, &V2) == 0);
    /* eigenvalues of [[2,1,0],[1,3,1],[0,1,4]]: 3 and 3 +- sqrt(3) */
    CHECK_TENSOR(L1, SHAPE(3), 1, VALS(3 - sqrt(3.0), 3, 3 + sqrt(3.0)), 1e-5);
    CHECK_TENSOR(L2, SHAPE(3), 1, VALS(3 - sqrt(3.0), 3, 3 + sqrt(3.0)), 1e-5);
    ct_clear_error();
    CHECK(ct_linalg_eigh(s, 'X', &L1, &V1) < 0);
    CHECK(strstr(ct_last_error(), "Expected UPLO argument to be 'L' or 'U', but got X"));
    CHECK(ct_linalg_eigh(rnd(SHAPE(3, 2), 2, CT_FLOAT32, 1), 'L', &L1, &V1) < 0);
    CHECK(strstr(ct_last_error(), "linalg.eigh: A must be batches of square matrices, but they are 3 by 2 matrices"));
    CHECK(ct_linalg_eigh(ct_empty(SHAPE(3, 3), 2, CT_INT32), 'L', &L1, &V1) < 0);
    CHECK(strstr(ct_last_error(), "\"linalg_eigh_cpu\" not implemented for 'Int'"));
}

/* ------------------------------------------------------------ batches split across threads */
TEST(linalg_inv, large_batch_of_small_matrices) {
    ct_tensor *a = well_conditioned(320, 8, CT_FLOAT64, 80);
    ct_tensor *inv = ct_linalg_inv(a);
    CHECK_OK(inv);
    double *iv = tt_values(inv), *av = tt_values(a);
    CHECK(prod_err(iv, av, NULL, 320, 8, 8, 8) < 1e-12);
    /* the first singular matrix is reported, whichever thread meets it */
    for (int b = 0; b < 320; b++)
        if (b == 170 || b == 290)
            for (int j = 0; j < 8; j++) AT(av, b, 3, j, 8, 8) = 0;
    ct_tensor *s = tt_tensor(av, SHAPE(320, 8, 8), 3, CT_FLOAT64);
    CHECK_ERR(ct_linalg_inv(s), "(Batch element 170): The diagonal element");
    free(iv);
    free(av);
}

TEST(linalg_det, large_batch_of_small_matrices) {
    ct_tensor *a = rnd(SHAPE(600, 4, 4), 3, CT_FLOAT64, 81);
    ct_tensor *d = ct_linalg_det(a);
    CHECK_OK(d);
    double *av = tt_values(a);
    for (int b = 0; b < 600; b++) CHECK_CLOSE(ct_item_at(d, b), cofactor_det(av + b * 16, 4), 1e-12);
    free(av);
}

TEST(linalg_cholesky, large_batch_first_failure) {
    ct_tensor *a = spd(400, 6, CT_FLOAT64, 82);
    double *av = tt_values(a);
    AT(av, 333, 2, 2, 6, 6) = -50;
    AT(av, 377, 0, 0, 6, 6) = -50;
    CHECK_ERR(ct_linalg_cholesky(tt_tensor(av, SHAPE(400, 6, 6), 3, CT_FLOAT64), false),
              "(Batch element 333): The factorization could not be completed because the input is not positive-definite (the leading minor of order 3");
    free(av);
}

TEST(linalg_svd, large_batch_of_small_matrices) { check_svd(rnd(SHAPE(200, 6, 5), 3, CT_FLOAT64, 83), false, 1e-12); }

TEST(linalg_qr, large_batch_of_small_matrices) { check_qr(rnd(SHAPE(200, 8, 8), 3, CT_FLOAT64, 84), NULL, 8, 8, 1e-12); }

TEST(linalg_eigh, large_batch_of_small_matrices) {
    ct_tensor *a = spd(320, 6, CT_FLOAT64, 85);
    ct_tensor *L, *V;
    CHECK(ct_linalg_eigh(a, 'U', &L, &V) == 0);
    double *av = tt_values(a), *lv = tt_values(L), *vv = tt_values(V);
    double *vl = malloc(sizeof(double) * 320 * 36);
    for (int b = 0; b < 320; b++)
        for (int j = 0; j < 6; j++)
            for (int i = 0; i < 6; i++) AT(vl, b, i, j, 6, 6) = AT(vv, b, i, j, 6, 6) * lv[b * 6 + j];
    CHECK(prod_err(av, vv, vl, 320, 6, 6, 6) < 1e-11);
    free(av); free(lv); free(vv); free(vl);
}

TEST(linalg_solve, large_batch_of_small_systems) {
    ct_tensor *A = well_conditioned(400, 5, CT_FLOAT64, 86);
    ct_tensor *B = rnd(SHAPE(400, 5, 2), 3, CT_FLOAT64, 87);
    ct_tensor *X = ct_linalg_solve(A, B);
    CHECK_OK(X);
    double *av = tt_values(A), *bv = tt_values(B), *xv = tt_values(X);
    CHECK(prod_err(av, xv, bv, 400, 5, 5, 2) < 1e-12);
    free(av); free(bv); free(xv);
}
