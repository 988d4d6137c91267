/* Decompositions through LAPACKE on batches of column-major matrices (see
 * blas.h). One source for float and double: T is the element type and LP()
 * picks LAPACKE's s- or d- routine. Each op is a function over a range of
 * the batch that owns its workspaces; run_batches() gives a batch of small
 * matrices one range per thread (LAPACK runs single-threaded inside a
 * parallel region) and a batch of large ones to LAPACK's own threads. */
#include "kernels/cpu/blas.h"

#include <lapacke.h>
#include <math.h>
#include <omp.h>

#define LP(name) _Generic((T)0, float: LAPACKE_s##name##_work, double: LAPACKE_d##name##_work)
#define COL LAPACK_COL_MAJOR

/* Every argument of one batched call. */
typedef struct {
    ct_dtype dt;
    int64_t m, n, k;       /* matrix m x n; k: rhs count, min(m, n), ... */
    void *a, *b, *c, *d;   /* buffers, by op */
    int64_t qcols, rrows;  /* qr; svd: ucols, vrows */
    bool flag;             /* upper / full_matrices */
} job;

/* Processes matrices [b0, b1); returns 0, the LAPACK info of the first
 * failure (its index in *bad) or -1 when a workspace could not be had. */
typedef int (*range_fn)(const job *j, int64_t b0, int64_t b1, int64_t *bad);

static lapack_int ld(int64_t n) { return (lapack_int)(n > 1 ? n : 1); }

/* Workspace size from a query's result (LAPACK returns it as a float). */
static size_t work_size(double q) { return (size_t)q + 1; }

static int run_batches(range_fn fn, const job *j, int64_t batch, double flops, int64_t *bad) {
    int rc = 0;
    int64_t first = batch;
    bool oom = false;
    if (batch < 2 || omp_get_max_threads() < 2 || flops > 96.0 * 96 * 96 ||
        flops * (double)batch < 64.0 * 64 * 64) {
        rc = fn(j, 0, batch, &first);
        oom = rc < 0;
    } else {
#pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            int64_t b0 = batch * t / nt, b1 = batch * (t + 1) / nt, bb = batch;
            int r = b0 < b1 ? fn(j, b0, b1, &bb) : 0;
#pragma omp critical(ct_lapack_batches)
            {
                if (r < 0) oom = true;
                else if (r > 0 && bb < first) {
                    first = bb;
                    rc = r;
                }
            }
        }
    }
    if (oom) {
        ct_set_error(CT_ERR_MEMORY, "linalg: out of memory for LAPACK workspaces");
        return -1;
    }
    if (rc > 0) *bad = first;
    return rc;
}

/* ------------------------------------------------------------ inv */
static int inv_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t n = j->n;
    int rc = 0;
    lapack_int *ipiv = calloc((size_t)n + 1, sizeof(lapack_int));
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(j->dt, {
        T q = 0;
        LP(getri)(COL, (lapack_int)n, j->a, ld(n), ipiv, &q, -1);
        lapack_int lw = (lapack_int)work_size(q);
        T *work = malloc(sizeof(T) * (size_t)lw);
        if (!work) rc = -1;
        for (int64_t b = b0; b < b1 && rc == 0; b++) {
            T *m = (T *)j->a + b * n * n;
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

int ct__lapack_inv(ct_dtype dt, int64_t batch, int64_t n, void *a, int64_t *bad) {
    job j = {.dt = dt, .n = n, .a = a};
    return run_batches(inv_range, &j, batch, 2.0 * n * n * n, bad);
}

/* ------------------------------------------------------------ solve */
static int solve_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t n = j->n, k = j->k;
    int rc = 0;
    lapack_int *ipiv = calloc((size_t)n + 1, sizeof(lapack_int));
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(j->dt, {
        for (int64_t i = b0; i < b1 && rc == 0; i++) {
            lapack_int info = LP(gesv)(COL, (lapack_int)n, (lapack_int)k, (T *)j->a + i * n * n,
                                       ld(n), ipiv, (T *)j->b + i * n * k, ld(n));
            if (info > 0) {
                rc = info;
                *bad = i;
            }
        }
    });
    free(ipiv);
    return rc;
}

int ct__lapack_solve(ct_dtype dt, int64_t batch, int64_t n, int64_t k, void *a, void *b,
                     int64_t *bad) {
    job j = {.dt = dt, .n = n, .k = k, .a = a, .b = b};
    return run_batches(solve_range, &j, batch, (double)n * n * (n + k), bad);
}

/* ------------------------------------------------------------ det */
static int det_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t n = j->n;
    lapack_int *ipiv = calloc((size_t)n + 1, sizeof(lapack_int));
    if (!ipiv) return -1;
    CT_DISPATCH_FLOATING(j->dt, {
        for (int64_t b = b0; b < b1; b++) {
            T *m = (T *)j->a + b * n * n;
            /* info > 0 (an exact zero pivot) still leaves a complete LU */
            LP(getrf)(COL, (lapack_int)n, (lapack_int)n, m, ld(n), ipiv);
            T psign = 1, usign = 1, det = 1, logabs = 0;
            for (int64_t i = 0; i < n; i++) {
                T u = m[i * n + i];
                if (ipiv[i] != i + 1) psign = -psign;
                if (u < 0) usign = -usign;
                det *= u;
                logabs += (T)log(fabs((double)u));
            }
            if (j->b) { /* slogdet: sign 0 and -inf for a singular matrix */
                ((T *)j->b)[b] = isnan(logabs) ? (T)NAN : (isinf(logabs) && logabs < 0) ? 0 : psign * usign;
                ((T *)j->c)[b] = logabs;
            } else {
                ((T *)j->c)[b] = psign * det;
            }
        }
    });
    free(ipiv);
    (void)bad;
    return 0;
}

int ct__lapack_det(ct_dtype dt, int64_t batch, int64_t n, void *a, void *sign, void *out) {
    job j = {.dt = dt, .n = n, .a = a, .b = sign, .c = out};
    int64_t bad = 0;
    return run_batches(det_range, &j, batch, (double)n * n * n, &bad);
}

/* ------------------------------------------------------------ cholesky */
static int cholesky_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t n = j->n;
    bool upper = j->flag;
    int rc = 0;
    CT_DISPATCH_FLOATING(j->dt, {
        for (int64_t b = b0; b < b1 && rc == 0; b++) {
            T *m = (T *)j->a + b * n * n;
            lapack_int info = LP(potrf)(COL, upper ? 'U' : 'L', (lapack_int)n, m, ld(n));
            if (info > 0) {
                rc = info;
                *bad = b;
            }
            /* column c: rows i < c are the upper triangle, rows i > c the lower */
            for (int64_t c = 0; c < n; c++)
                for (int64_t i = 0; i < n; i++)
                    if (upper ? i > c : i < c) m[c * n + i] = 0;
        }
    });
    return rc;
}

int ct__lapack_cholesky(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper,
                        int64_t *bad) {
    job j = {.dt = dt, .n = n, .a = a, .flag = upper};
    return run_batches(cholesky_range, &j, batch, (double)n * n * n / 3, bad);
}

/* ------------------------------------------------------------ qr */
static int qr_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t m = j->m, n = j->n, k = j->k, qcols = j->qcols, rrows = j->rrows;
    void *q = j->b;
    int rc = 0;
    (void)bad;
    CT_DISPATCH_FLOATING(j->dt, {
        T *tau = calloc((size_t)k + 1, sizeof(T));
        T q1 = 0, q2 = 0;
        if (tau && k > 0) {
            LP(geqrf)(COL, (lapack_int)m, (lapack_int)n, j->a, ld(m), tau, &q1, -1);
            if (q && qcols > 0)
                LP(orgqr)(COL, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, q, ld(m), tau, &q2, -1);
        }
        size_t lw = work_size(q1 > q2 ? q1 : q2);
        T *work = tau ? malloc(sizeof(T) * lw) : NULL;
        if (!work) rc = -1;
        for (int64_t b = b0; b < b1 && rc == 0; b++) {
            T *ab = (T *)j->a + b * m * n, *rb = (T *)j->c + b * rrows * n;
            if (k > 0) LP(geqrf)(COL, (lapack_int)m, (lapack_int)n, ab, ld(m), tau, work, (lapack_int)lw);
            for (int64_t c = 0; c < n; c++)
                for (int64_t i = 0; i < rrows; i++) rb[c * rrows + i] = i <= c && i < m ? ab[c * m + i] : 0;
            if (!q) continue;
            T *qb = (T *)q + b * m * qcols;
            if (k == 0) { /* Q of an empty factorisation: the identity */
                for (int64_t c = 0; c < qcols; c++)
                    for (int64_t i = 0; i < m; i++) qb[c * m + i] = i == c;
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

int ct__lapack_qr(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, void *q,
                  int64_t qcols, void *r, int64_t rrows) {
    job j = {.dt = dt, .m = m, .n = n, .k = m < n ? m : n, .a = a, .b = q, .c = r,
             .qcols = qcols, .rrows = rrows};
    int64_t bad = 0;
    return run_batches(qr_range, &j, batch, 4.0 * m * n * (m < n ? m : n), &bad);
}

/* ------------------------------------------------------------ svd */
static int svd_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t m = j->m, n = j->n, k = j->k, ucols = j->qcols, vrows = j->rrows;
    char jobz = j->flag ? 'A' : 'S';
    int rc = 0;
    if (k == 0) { /* nothing to factor: identity singular vectors where they exist */
        CT_DISPATCH_FLOATING(j->dt, {
            for (int64_t b = b0; b < b1; b++) {
                T *ub = (T *)j->b + b * m * ucols, *vb = (T *)j->d + b * vrows * n;
                for (int64_t c = 0; c < ucols; c++)
                    for (int64_t i = 0; i < m; i++) ub[c * m + i] = i == c;
                for (int64_t c = 0; c < n; c++)
                    for (int64_t i = 0; i < vrows; i++) vb[c * vrows + i] = i == c;
            }
        });
        return 0;
    }
    lapack_int *iwork = calloc((size_t)(8 * k), sizeof(lapack_int));
    if (!iwork) return -1;
    CT_DISPATCH_FLOATING(j->dt, {
        T qw = 0;
        LP(gesdd)(COL, jobz, (lapack_int)m, (lapack_int)n, j->a, ld(m), j->c, j->b, ld(m), j->d,
                  ld(vrows), &qw, -1, iwork);
        size_t lw = work_size(qw);
        T *work = malloc(sizeof(T) * lw);
        if (!work) rc = -1;
        for (int64_t b = b0; b < b1 && rc == 0; b++) {
            lapack_int info = LP(gesdd)(COL, jobz, (lapack_int)m, (lapack_int)n,
                                        (T *)j->a + b * m * n, ld(m), (T *)j->c + b * k,
                                        (T *)j->b + b * m * ucols, ld(m),
                                        (T *)j->d + b * vrows * n, ld(vrows), work,
                                        (lapack_int)lw, iwork);
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

int ct__lapack_svd(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, bool full,
                   void *u, void *s, void *vt, int64_t *bad) {
    int64_t k = m < n ? m : n;
    job j = {.dt = dt, .m = m, .n = n, .k = k, .a = a, .b = u, .c = s, .d = vt,
             .qcols = full ? m : k, .rrows = full ? n : k, .flag = full};
    return run_batches(svd_range, &j, batch, 8.0 * m * n * (k ? k : 1), bad);
}

/* ------------------------------------------------------------ eigh */
static int eigh_range(const job *j, int64_t b0, int64_t b1, int64_t *bad) {
    int64_t n = j->n;
    char uplo = j->flag ? 'U' : 'L';
    int rc = 0;
    CT_DISPATCH_FLOATING(j->dt, {
        T qw = 0;
        lapack_int qi = 0;
        LP(syevd)(COL, 'V', uplo, (lapack_int)n, j->a, ld(n), j->b, &qw, -1, &qi, -1);
        size_t lw = work_size(qw);
        T *work = malloc(sizeof(T) * lw);
        lapack_int *iwork = work ? calloc((size_t)qi + 1, sizeof(lapack_int)) : NULL;
        if (!iwork) rc = -1;
        for (int64_t b = b0; b < b1 && rc == 0; b++) {
            lapack_int info = LP(syevd)(COL, 'V', uplo, (lapack_int)n, (T *)j->a + b * n * n,
                                        ld(n), (T *)j->b + b * n, work, (lapack_int)lw, iwork,
                                        qi + 1);
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

int ct__lapack_eigh(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper, void *w,
                    int64_t *bad) {
    if (n == 0) return 0;
    job j = {.dt = dt, .n = n, .a = a, .b = w, .flag = upper};
    return run_batches(eigh_range, &j, batch, 4.0 * n * n * n, bad);
}
