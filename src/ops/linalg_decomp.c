/* Decompositions through LAPACK: inv, solve, det, slogdet, cholesky, qr,
 * svd, eigh; float32/float64, batched over leading dims. LAPACK works on
 * column-major copies; results are handed out as transposed views of those
 * buffers (column-major, like PyTorch's), so nothing is copied back. On a
 * GPU the same buffers go to cuSOLVER (the ct__cuda->la_* hooks,
 * src/cuda/solver.c), which returns what LAPACK does, so the checks,
 * shapes and error messages here serve both devices. The backward formulas
 * compose ops that run on either device. */
#include "kernels/cpu/blas.h"
#include "ops/linalg_internal.h"

#include <stdio.h>

/* Fails unless A is a float32/float64 batch of matrices (square if asked). */
static int check_input(const char *op, const ct_tensor *A, bool square) {
    if (!ct_dtype_is_floating(A->dtype)) {
        ct_set_error(CT_ERR_RUNTIME, "%s: Expected a floating point or complex tensor as input. Got %s",
                     op, ct__la_type_name(A->dtype));
        return -1;
    }
    if (A->dtype != CT_FLOAT32 && A->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "%s: Low precision dtypes not supported. Got %s", op,
                     ct__la_type_name(A->dtype));
        return -1;
    }
    if (A->ndim < 2) {
        ct_set_error(CT_ERR_RUNTIME, "%s: The input tensor A must have at least 2 dimensions.", op);
        return -1;
    }
    int64_t m = A->sizes[A->ndim - 2], n = A->sizes[A->ndim - 1];
    if (square && m != n) {
        ct_set_error(CT_ERR_RUNTIME, "%s: A must be batches of square matrices, but they are %lld by %lld matrices",
                     op, (long long)m, (long long)n);
        return -1;
    }
    if (!ct__blas_fits(m * n)) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: matrices of %lld x %lld elements exceed LAPACK's 32-bit sizes",
                     op, (long long)m, (long long)n);
        return -1;
    }
    return 0;
}

static int64_t batch_of(const ct_tensor *A) { return ct__shape_numel(A->sizes, A->ndim - 2); }

static bool on_gpu(const ct_tensor *A) { return !ct__on_cpu(A); }

/* Uninitialised contiguous tensor on A's device. Owned. */
static ct_tensor *empty_at(const int64_t *sizes, int ndim, const ct_tensor *A) {
    return ct__empty_on(sizes, ndim, A->dtype, A->storage->device);
}

/* "(Batch element 3): " for batched inputs, as PyTorch words it. */
static const char *batch_prefix(const ct_tensor *A, int64_t bad, char *buf, size_t len) {
    if (A->ndim <= 2) return "";
    snprintf(buf, len, "(Batch element %lld): ", (long long)bad);
    return buf;
}

/* New view of t with its last two dims swapped. Owned, not recorded. */
static ct_tensor *mT_view(const ct_tensor *t) {
    int nd = t->ndim;
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS];
    memcpy(s, t->sizes, sizeof(int64_t) * (size_t)nd);
    memcpy(st, t->strides, sizeof(int64_t) * (size_t)nd);
    s[nd - 2] = t->sizes[nd - 1];
    s[nd - 1] = t->sizes[nd - 2];
    st[nd - 2] = t->strides[nd - 1];
    st[nd - 1] = t->strides[nd - 2];
    return ct__tensor_new(t->storage, t->dtype, s, st, nd, t->offset);
}

/* A fresh buffer holding every matrix of t column-major (LAPACK overwrites
 * it): logically t with its last two dims swapped, contiguous. Owned. */
static ct_tensor *colmajor_copy(const ct_tensor *t) {
    ct_tensor *v = mT_view(t);
    if (!v) return NULL;
    ct_tensor *c = ct__to_dtype(v, v->dtype, true);
    ct_release(v);
    return c;
}

/* Uninitialised buffer shaped t's batch dims + [r, c]. Owned. */
static ct_tensor *batch_empty(const ct_tensor *t, int nbatch, int64_t r, int64_t c, int ntail) {
    int64_t s[CT_MAX_DIMS];
    memcpy(s, t->sizes, sizeof(int64_t) * (size_t)nbatch);
    s[nbatch] = r;
    s[nbatch + 1] = c;
    return empty_at(s, nbatch + ntail, t);
}

/* The result view of a column-major buffer; releases the buffer. */
static ct_tensor *from_colmajor(ct_tensor *buf) {
    if (!buf) return NULL;
    ct_tensor *r = mT_view(buf);
    ct_release(buf);
    return r;
}

/* ------------------------------------------------------------ inv */
ct_tensor *ct_linalg_inv(const ct_tensor *A) {
    if (check_input("linalg.inv", A, true) < 0) return NULL;
    int64_t n = A->sizes[A->ndim - 1], bad = 0;
    /* LAPACK factors the row-major copy as A^T (as PyTorch does, so the
     * reported zero pivot is the same) and inv(A^T)^T = inv(A) comes back
     * row-major. */
    ct_tensor *buf = ct__to_dtype(A, A->dtype, true);
    if (!buf) return NULL;
    int rc = !n ? 0
           : on_gpu(A) ? ct__cuda->la_inv(buf, batch_of(A), n, &bad)
                       : ct__lapack_inv(A->dtype, batch_of(A), n, ct_data_ptr(buf), &bad);
    if (rc != 0) {
        char pb[48];
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "linalg.inv: %sThe diagonal element %d is zero, the inversion could not be "
                         "completed because the input matrix is singular.",
                         batch_prefix(A, bad, pb, sizeof pb), rc);
        ct_release(buf);
        return NULL;
    }
    ct_op_args args = {0};
    return ct_autorelease(ct__la_record(CT_OP_linalg_inv, buf, &A, 1, NULL, 0, &args));
}

/* ------------------------------------------------------------ solve */
/* View of t broadcast to shape (stride 0 on new or size-1 dims). Owned. */
static ct_tensor *expand_view(const ct_tensor *t, const int64_t *shape, int nd) {
    int64_t st[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int d = t->ndim - nd + i;
        st[i] = d < 0 || t->sizes[d] != shape[i] ? 0 : t->strides[d];
    }
    return ct__tensor_new(t->storage, t->dtype, shape, st, nd, t->offset);
}

ct_tensor *ct_linalg_solve(const ct_tensor *A, const ct_tensor *B) {
    if (check_input("linalg.solve", A, true) < 0) return NULL;
    if (A->storage->device.type != B->storage->device.type ||
        (on_gpu(A) && A->storage->device.index != B->storage->device.index))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "linalg.solve: Expected all tensors to be on the same device, but found at "
                       "least two devices, %s:%d and %s:%d!",
                       on_gpu(A) ? "cuda" : "cpu", A->storage->device.index,
                       on_gpu(B) ? "cuda" : "cpu", B->storage->device.index);
    if (B->dtype != A->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "linalg.solve: Expected A and B to have the same dtype, but found A of type "
                       "%s and B of type %s instead",
                       ct__la_type_name(A->dtype), ct__la_type_name(B->dtype));
    if (B->ndim < 1)
        return CT_FAIL(CT_ERR_RUNTIME, "linalg.solve: The input tensor B must have at least 1 dimensions.");
    int64_t n = A->sizes[A->ndim - 1];
    /* B is a (batch of) vector(s) when 1-d or shaped like A without its last dim */
    bool vec = B->ndim == 1 ||
               (B->ndim == A->ndim - 1 && memcmp(B->sizes, A->sizes, sizeof(int64_t) * (size_t)B->ndim) == 0);
    int64_t bs[CT_MAX_DIMS + 1];
    int bnd = B->ndim + (vec ? 1 : 0);
    if (bnd > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "linalg.solve: too many dims");
    memcpy(bs, B->sizes, sizeof(int64_t) * (size_t)B->ndim);
    if (vec) bs[B->ndim] = 1;
    int64_t rows = bs[bnd - 2], k = bs[bnd - 1];
    if (rows != n)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                       "(%lldx%lld and %lldx%lld)",
                       (long long)n, (long long)n, (long long)rows, (long long)k);
    int64_t shape[CT_MAX_DIMS];
    int nb = ct_broadcast_shapes("linalg.solve", A->sizes, A->ndim - 2, bs, bnd - 2, shape);
    if (nb < 0) return NULL;
    if (nb + 2 > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "linalg.solve: too many dims");
    int64_t batch = ct__shape_numel(shape, nb);
    /* broadcast views of A and of B as a matrix, then column-major copies */
    int64_t bst[CT_MAX_DIMS + 1];
    memcpy(bst, B->strides, sizeof(int64_t) * (size_t)B->ndim);
    if (vec) bst[B->ndim] = 1;
    ct_tensor *Bm = ct__tensor_new(B->storage, B->dtype, bs, bst, bnd, B->offset);
    shape[nb] = n;
    shape[nb + 1] = n;
    ct_tensor *Ae = expand_view(A, shape, nb + 2);
    shape[nb + 1] = k;
    ct_tensor *Be = Bm ? expand_view(Bm, shape, nb + 2) : NULL;
    ct_tensor *abuf = Ae ? colmajor_copy(Ae) : NULL, *bbuf = Be ? colmajor_copy(Be) : NULL;
    ct_release(Bm);
    ct_release(Ae);
    ct_release(Be);
    if (!abuf || !bbuf) {
        ct_release(abuf);
        ct_release(bbuf);
        return NULL;
    }
    int64_t bad = 0;
    int rc = !(n && k) ? 0
           : on_gpu(A) ? ct__cuda->la_solve(abuf, bbuf, batch, n, k, &bad)
                       : ct__lapack_solve(A->dtype, batch, n, k, ct_data_ptr(abuf), ct_data_ptr(bbuf), &bad);
    ct_release(abuf);
    if (rc != 0) {
        char pb[48];
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "torch.linalg.solve: %sThe solver failed because the input matrix is singular.",
                         nb > 0 ? (snprintf(pb, sizeof pb, "(Batch element %lld): ", (long long)bad), pb) : "");
        ct_release(bbuf);
        return NULL;
    }
    ct_tensor *X = from_colmajor(bbuf);
    if (X && vec) { /* drop the column dim */
        ct_tensor *v = ct__tensor_new(X->storage, X->dtype, X->sizes, X->strides, X->ndim - 1, X->offset);
        ct_release(X);
        X = v;
    }
    const ct_tensor *in[2] = {A, B};
    ct_op_args args = {0};
    args.b[0] = vec;
    return ct_autorelease(ct__la_record(CT_OP_linalg_solve, X, in, 2, NULL, 0, &args));
}

/* ------------------------------------------------------------ det, slogdet */
/* det (sign == NULL) or sign and log|det| of every matrix. Owned results. */
static int det_impl(const char *op, const ct_tensor *A, ct_tensor **sign, ct_tensor **out) {
    if (check_input(op, A, true) < 0) return -1;
    int64_t n = A->sizes[A->ndim - 1];
    /* det(A^T) = det(A): the row-major copy serves as the column-major input */
    ct_tensor *buf = ct__to_dtype(A, A->dtype, true);
    ct_tensor *o = buf ? empty_at(A->sizes, A->ndim - 2, A) : NULL;
    ct_tensor *s = o && sign ? empty_at(A->sizes, A->ndim - 2, A) : NULL;
    if (!o || (sign && !s) ||
        (on_gpu(A) ? ct__cuda->la_det(buf, s, o, batch_of(A), n)
                   : ct__lapack_det(A->dtype, batch_of(A), n, ct_data_ptr(buf),
                                    s ? ct_data_ptr(s) : NULL, ct_data_ptr(o))) < 0) {
        ct_release(buf);
        ct_release(o);
        ct_release(s);
        return -1;
    }
    ct_release(buf);
    *out = o;
    if (sign) *sign = s;
    return 0;
}

ct_tensor *ct_linalg_det(const ct_tensor *A) {
    ct_tensor *d;
    if (det_impl("linalg.det", A, NULL, &d) < 0) return NULL;
    ct_op_args args = {0};
    return ct_autorelease(ct__la_record(CT_OP_linalg_det, d, &A, 1, NULL, 0, &args));
}

int ct_linalg_slogdet(const ct_tensor *A, ct_tensor **sign, ct_tensor **logabsdet) {
    ct_tensor *s, *l;
    if (det_impl("linalg.slogdet", A, &s, &l) < 0) return -1;
    const ct_tensor *extra[1] = {s};
    ct_op_args args = {0};
    if (!(l = ct__la_record(CT_OP_linalg_slogdet, l, &A, 1, extra, 1, &args))) {
        ct_release(s);
        return -1;
    }
    *sign = ct_autorelease(s);
    *logabsdet = ct_autorelease(l);
    return 0;
}

/* ------------------------------------------------------------ cholesky */
ct_tensor *ct_linalg_cholesky(const ct_tensor *A, bool upper) {
    if (check_input("linalg.cholesky", A, true) < 0) return NULL;
    int64_t n = A->sizes[A->ndim - 1], bad = 0;
    ct_tensor *buf = colmajor_copy(A);
    if (!buf) return NULL;
    int rc = !n ? 0
           : on_gpu(A) ? ct__cuda->la_cholesky(buf, batch_of(A), n, upper, &bad)
                       : ct__lapack_cholesky(A->dtype, batch_of(A), n, ct_data_ptr(buf), upper, &bad);
    if (rc != 0) {
        char pb[48];
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "linalg.cholesky: %sThe factorization could not be completed because the "
                         "input is not positive-definite (the leading minor of order %d is not "
                         "positive-definite).",
                         batch_prefix(A, bad, pb, sizeof pb), rc);
        ct_release(buf);
        return NULL;
    }
    ct_op_args args = {0};
    args.b[0] = upper;
    return ct_autorelease(ct__la_record(CT_OP_linalg_cholesky, from_colmajor(buf), &A, 1, NULL, 0, &args));
}

/* ------------------------------------------------------------ qr */
int ct_linalg_qr(const ct_tensor *A, const char *mode, ct_tensor **Q, ct_tensor **R) {
    int md;
    if (!mode || strcmp(mode, "reduced") == 0) md = 0;
    else if (strcmp(mode, "complete") == 0) md = 1;
    else if (strcmp(mode, "r") == 0) md = 2;
    else {
        ct_set_error(CT_ERR_RUNTIME,
                     "qr received unrecognized mode '%s' but expected one of 'reduced' (default), "
                     "'r', or 'complete'",
                     mode);
        return -1;
    }
    if (check_input("linalg.qr", A, false) < 0) return -1;
    int nb = A->ndim - 2;
    int64_t m = A->sizes[nb], n = A->sizes[nb + 1], k = m < n ? m : n;
    int64_t qcols = md == 1 ? m : k, rrows = md == 1 ? m : k;
    ct_tensor *abuf = colmajor_copy(A);
    ct_tensor *rbuf = abuf ? batch_empty(A, nb, n, rrows, 2) : NULL;
    ct_tensor *qbuf = rbuf ? (md == 2 ? empty_at((int64_t[]){0}, 1, A)
                                      : batch_empty(A, nb, qcols, m, 2))
                           : NULL;
    if (!qbuf ||
        (on_gpu(A) ? ct__cuda->la_qr(abuf, md == 2 ? NULL : qbuf, rbuf, batch_of(A), m, n, qcols, rrows)
                   : ct__lapack_qr(A->dtype, batch_of(A), m, n, ct_data_ptr(abuf),
                                   md == 2 ? NULL : ct_data_ptr(qbuf), qcols, ct_data_ptr(rbuf),
                                   rrows)) < 0) {
        ct_release(abuf);
        ct_release(rbuf);
        ct_release(qbuf);
        return -1;
    }
    ct_release(abuf);
    ct_tensor *q = md == 2 ? qbuf : from_colmajor(qbuf), *r = from_colmajor(rbuf);
    ct_op_args args = {0};
    args.i[0] = md;
    const ct_tensor *extra[1] = {q};
    if (!q || !(r = ct__la_record(CT_OP_linalg_qr, r, &A, 1, extra, 1, &args))) {
        ct_release(q);
        return -1;
    }
    *Q = ct_autorelease(q);
    *R = ct_autorelease(r);
    return 0;
}

/* ------------------------------------------------------------ svd */
int ct_linalg_svd(const ct_tensor *A, bool full, ct_tensor **U, ct_tensor **S, ct_tensor **Vh) {
    if (check_input("linalg.svd", A, false) < 0) return -1;
    int nb = A->ndim - 2;
    int64_t m = A->sizes[nb], n = A->sizes[nb + 1], k = m < n ? m : n, bad = 0;
    int64_t ucols = full ? m : k, vrows = full ? n : k;
    ct_tensor *abuf = colmajor_copy(A);
    ct_tensor *ubuf = abuf ? batch_empty(A, nb, ucols, m, 2) : NULL;
    ct_tensor *vbuf = ubuf ? batch_empty(A, nb, n, vrows, 2) : NULL;
    ct_tensor *s = vbuf ? batch_empty(A, nb, k, 0, 1) : NULL;
    int rc = -1;
    if (s && on_gpu(A))
        rc = ct__cuda->la_svd(abuf, ubuf, s, vbuf, batch_of(A), m, n, full, &bad);
    else if (s)
        rc = ct__lapack_svd(A->dtype, batch_of(A), m, n, ct_data_ptr(abuf), full, ct_data_ptr(ubuf),
                            ct_data_ptr(s), ct_data_ptr(vbuf), &bad);
    ct_release(abuf);
    if (rc != 0) {
        char pb[48];
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "linalg.svd: %sThe algorithm failed to converge because the input matrix "
                         "is ill-conditioned or has too many repeated singular values (error code: %d).",
                         batch_prefix(A, bad, pb, sizeof pb), rc);
        ct_release(ubuf);
        ct_release(vbuf);
        ct_release(s);
        return -1;
    }
    ct_tensor *u = from_colmajor(ubuf), *vh = from_colmajor(vbuf);
    ct_op_args args = {0};
    args.b[0] = full;
    const ct_tensor *extra[2] = {u, vh};
    if (!u || !vh || !(s = ct__la_record(CT_OP_linalg_svd, s, &A, 1, extra, 2, &args))) {
        ct_release(u);
        ct_release(vh);
        return -1;
    }
    *U = ct_autorelease(u);
    *S = ct_autorelease(s);
    *Vh = ct_autorelease(vh);
    return 0;
}

/* ------------------------------------------------------------ eigh */
int ct_linalg_eigh(const ct_tensor *A, char uplo, ct_tensor **L, ct_tensor **V) {
    if (uplo != 'L' && uplo != 'U' && uplo != 'l' && uplo != 'u') {
        ct_set_error(CT_ERR_RUNTIME, "Expected UPLO argument to be 'L' or 'U', but got %c", uplo);
        return -1;
    }
    if (A->dtype != CT_FLOAT32 && A->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "\"linalg_eigh_cpu\" not implemented for '%s'", ct__la_type_name(A->dtype));
        return -1;
    }
    if (check_input("linalg.eigh", A, true) < 0) return -1;
    bool upper = uplo == 'U' || uplo == 'u';
    int nb = A->ndim - 2;
    int64_t n = A->sizes[nb], bad = 0;
    ct_tensor *abuf = colmajor_copy(A);
    ct_tensor *w = abuf ? batch_empty(A, nb, n, 0, 1) : NULL;
    int rc = !w ? -1
           : on_gpu(A) ? ct__cuda->la_eigh(abuf, w, batch_of(A), n, upper, &bad)
                       : ct__lapack_eigh(A->dtype, batch_of(A), n, ct_data_ptr(abuf), upper, ct_data_ptr(w), &bad);
    if (rc != 0) {
        char pb[48];
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "linalg.eigh: %sThe algorithm failed to converge because the input matrix "
                         "is ill-conditioned or has too many repeated eigenvalues (error code: %d).",
                         batch_prefix(A, bad, pb, sizeof pb), rc);
        ct_release(abuf);
        ct_release(w);
        return -1;
    }
    ct_tensor *v = from_colmajor(abuf);
    ct_op_args args = {0};
    args.b[0] = upper;
    const ct_tensor *extra[1] = {v};
    if (!v || !(w = ct__la_record(CT_OP_linalg_eigh, w, &A, 1, extra, 1, &args))) {
        ct_release(v);
        return -1;
    }
    *L = ct_autorelease(w);
    *V = ct_autorelease(v);
    return 0;
}
