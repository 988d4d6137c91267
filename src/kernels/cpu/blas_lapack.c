/* Decompositions through LAPACKE on batches of column-major matrices (see
 * blas.h). One source for float and double: T is the element type and LP()
 * picks LAPACKE's s- or d- routine. Workspaces are queried once per batch. */
#include "kernels/cpu/blas.h"

#include <lapacke.h>
#include <math.h>

#define LP(name) _Generic((T)0, float: LAPACKE_s##name##_work, double: LAPACKE_d##name##_work)
#define COL LAPACK_COL_MAJOR

static void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) ct_set_error(CT_ERR_MEMORY, "linalg: out of memory (%zu bytes of LAPACK workspace)", n);
    return p;
}

static lapack_int ld(int64_t n) { return (lapack_int)(n > 1 ? n : 1); }

/* Workspace size from a query's result (LAPACK returns it as a float). */
static size_t work_size(double q) { return (size_t)q + 1; }

int ct__lapack_inv(ct_dtype dt, int64_t batch, int64_t n, void *a, int64_t *bad) {
    int rc = 0;
    lapack_int *ipiv = xmalloc(sizeof(lapack_int) * (size_t)n);
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(dt, {
        T q;
        LP(getri)(COL, (lapack_int)n, a, ld(n), ipiv, &q, -1);
        lapack_int lw = (lapack_int)work_size(q);
        T *work = xmalloc(sizeof(T) * (size_t)lw);
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++) {
            T *m = (T *)a + b * n * n;
            lapack_int info = LP(getrf)(COL, (lapack_int)n, (lapack_int)n, m, ld(n), ipiv);
            if (info == 0) info = LP(getri)(COL, (lapack_int)n, m, ld(n), ipiv, work, lw);
            if (info > 0) {
                rc = info;
                *bad = b;
            }
        }
        free(work);
    });
    free(ipiv);
    return rc;
}

int ct__lapack_solve(ct_dtype dt, int64_t batch, int64_t n, int64_t k, void *a, void *b,
                     int64_t *bad) {
    int rc = 0;
    lapack_int *ipiv = xmalloc(sizeof(lapack_int) * (size_t)n);
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(dt, {
        for (int64_t i = 0; i < batch && rc == 0; i++) {
            lapack_int info = LP(gesv)(COL, (lapack_int)n, (lapack_int)k, (T *)a + i * n * n,
                                       ld(n), ipiv, (T *)b + i * n * k, ld(n));
            if (info > 0) {
                rc = info;
                *bad = i;
            }
        }
    });
    free(ipiv);
    return rc;
}

int ct__lapack_det(ct_dtype dt, int64_t batch, int64_t n, void *a, void *sign, void *out) {
    lapack_int *ipiv = xmalloc(sizeof(lapack_int) * (size_t)n);
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(dt, {
        for (int64_t b = 0; b < batch; b++) {
            T *m = (T *)a + b * n * n;
            /* info > 0 (an exact zero pivot) still leaves a complete LU */
            LP(getrf)(COL, (lapack_int)n, (lapack_int)n, m, ld(n), ipiv);
            T s = 1, det = 1, logabs = 0;
            for (int64_t i = 0; i < n; i++) {
                T u = m[i * n + i];
                if (ipiv[i] != i + 1) s = -s;
                det *= u;
                if (u < 0) s = -s;
                logabs += _Generic((T)0, float: logf, double: log)(_Generic((T)0, float: fabsf, double: fabs)(u));
            }
            if (sign) {
                bool singular = isinf(logabs) && logabs < 0;
                ((T *)sign)[b] = singular ? 0 : (isnan(logabs) ? NAN : s);
                ((T *)out)[b] = logabs;
            } else {
                T psign = 1;
                for (int64_t i = 0; i < n; i++)
                    if (ipiv[i] != i + 1) psign = -psign;
                ((T *)out)[b] = psign * det;
            }
        }
    });
    free(ipiv);
    return 0;
}

int ct__lapack_cholesky(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper,
                        int64_t *bad) {
    int rc = 0;
    CT_DISPATCH_FLOATING(dt, {
        for (int64_t b = 0; b < batch && rc == 0; b++) {
            T *m = (T *)a + b * n * n;
            lapack_int info = LP(potrf)(COL, upper ? 'U' : 'L', (lapack_int)n, m, ld(n));
            if (info > 0) {
                rc = info;
                *bad = b;
            }
            /* column j: rows i < j are upper, rows i > j lower */
            for (int64_t j = 0; j < n; j++)
                for (int64_t i = 0; i < n; i++)
                    if (upper ? i > j : i < j) m[j * n + i] = 0;
        }
    });
    return rc;
}

int ct__lapack_qr(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, void *q,
                  int64_t qcols, void *r, int64_t rrows) {
    int64_t k = m < n ? m : n;
    int rc = 0;
    CT_DISPATCH_FLOATING(dt, {
        T *tau = xmalloc(sizeof(T) * (size_t)(k ? k : 1));
        T q1 = 0, q2 = 0;
        if (m > 0 && n > 0) {
            LP(geqrf)(COL, (lapack_int)m, (lapack_int)n, a, ld(m), tau, &q1, -1);
            if (q && qcols > 0)
                LP(orgqr)(COL, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, q, ld(m), tau, &q2, -1);
        }
        size_t lw = work_size(q1 > q2 ? q1 : q2);
        T *work = tau ? xmalloc(sizeof(T) * lw) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++) {
            T *ab = (T *)a + b * m * n, *rb = (T *)r + b * rrows * n;
            if (k > 0) LP(geqrf)(COL, (lapack_int)m, (lapack_int)n, ab, ld(m), tau, work, (lapack_int)lw);
            for (int64_t j = 0; j < n; j++)
                for (int64_t i = 0; i < rrows; i++) rb[j * rrows + i] = i <= j && i < m ? ab[j * m + i] : 0;
            if (!q) continue;
            T *qb = (T *)q + b * m * qcols;
            if (k == 0) { /* Q of an empty factorisation: the identity */
                for (int64_t j = 0; j < qcols; j++)
                    for (int64_t i = 0; i < m; i++) qb[j * m + i] = i == j;
                continue;
            }
            int64_t ncopy = n < qcols ? n : qcols;
            memcpy(qb, ab, sizeof(T) * (size_t)(m * ncopy));
            LP(orgqr)(COL, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, qb, ld(m), tau, work,
                      (lapack_int)lw);
        }
        free(work);
        free(tau);
    });
    return rc;
}

int ct__lapack_svd(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, bool full,
                   void *u, void *s, void *vt, int64_t *bad) {
    int64_t k = m < n ? m : n;
    int64_t ucols = full ? m : k, vrows = full ? n : k;
    char jobz = full ? 'A' : 'S';
    int rc = 0;
    if (k == 0) { /* nothing to factor: identity singular vectors where they exist */
        CT_DISPATCH_FLOATING(dt, {
            for (int64_t b = 0; b < batch; b++) {
                T *ub = (T *)u + b * m * ucols, *vb = (T *)vt + b * vrows * n;
                for (int64_t j = 0; j < ucols; j++)
                    for (int64_t i = 0; i < m; i++) ub[j * m + i] = i == j;
                for (int64_t j = 0; j < n; j++)
                    for (int64_t i = 0; i < vrows; i++) vb[j * vrows + i] = i == j;
            }
        });
        return 0;
    }
    lapack_int *iwork = xmalloc(sizeof(lapack_int) * (size_t)(8 * k));
    if (!iwork) return -1;
    CT_DISPATCH_FLOATING(dt, {
        T qw;
        LP(gesdd)(COL, jobz, (lapack_int)m, (lapack_int)n, a, ld(m), s, u, ld(m), vt, ld(vrows),
                  &qw, -1, iwork);
        size_t lw = work_size(qw);
        T *work = xmalloc(sizeof(T) * lw);
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++) {
            lapack_int info = LP(gesdd)(COL, jobz, (lapack_int)m, (lapack_int)n,
                                        (T *)a + b * m * n, ld(m), (T *)s + b * k,
                                        (T *)u + b * m * ucols, ld(m), (T *)vt + b * vrows * n,
                                        ld(vrows), work, (lapack_int)lw, iwork);
            if (info > 0) {
                rc = info;
                *bad = b;
            }
        }
        free(work);
    });
    free(iwork);
    return rc;
}

int ct__lapack_eigh(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper, void *w,
                    int64_t *bad) {
    if (n == 0) return 0;
    int rc = 0;
    char uplo = upper ? 'U' : 'L';
    CT_DISPATCH_FLOATING(dt, {
        T qw;
        lapack_int qi;
        LP(syevd)(COL, 'V', uplo, (lapack_int)n, a, ld(n), w, &qw, -1, &qi, -1);
        size_t lw = work_size(qw);
        T *work = xmalloc(sizeof(T) * lw);
        lapack_int *iwork = work ? xmalloc(sizeof(lapack_int) * (size_t)(qi + 1)) : NULL;
        if (!iwork) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++) {
            lapack_int info = LP(syevd)(COL, 'V', uplo, (lapack_int)n, (T *)a + b * n * n, ld(n),
                                        (T *)w + b * n, work, (lapack_int)lw, iwork, qi + 1);
            if (info > 0) {
                rc = info;
                *bad = b;
            }
        }
        free(iwork);
        free(work);
    });
    return rc;
}
