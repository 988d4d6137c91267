/* Decompositions on the GPU through cuSOLVER: the ct__cuda->la_* hooks
 * behind inv, solve, det/slogdet, cholesky, qr, svd and eigh (src/ops/
 * linalg_decomp.c does the checks, shapes and error messages for every
 * device and hands over the same column-major buffers as to LAPACK).
 *
 * Every op loops over the batch with cuSOLVER's dense (Dn) routines on the
 * current stream: getrf + getrs (inv solves against the identity, cuSOLVER
 * having no getri), potrf, geqrf + orgqr, gesvd (which needs m >= n: a
 * wide matrix is factored as its transpose), syevd. One workspace per call
 * from a size query, one devInfo per matrix, read back once at the end:
 * the first failing matrix's info and index come back as from LAPACK.
 *
 * cuSOLVER is opened with dlopen on first use (ct__cuda_dlopen), like
 * cuBLAS, so that `import ctorch` does not load it. */
#include "internal.h"
#include "cuda/solver_kern.h"

#include <cusolverDn.h>
#include <cuda_runtime_api.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#define CT_CUSOLVER_FNS(X)                                                                    \
    X(cusolverDnCreate) X(cusolverDnSetStream)                                                \
    X(cusolverDnSgetrf_bufferSize) X(cusolverDnDgetrf_bufferSize) X(cusolverDnSgetrf)         \
    X(cusolverDnDgetrf) X(cusolverDnSgetrs) X(cusolverDnDgetrs)                               \
    X(cusolverDnSpotrf_bufferSize) X(cusolverDnDpotrf_bufferSize) X(cusolverDnSpotrf)         \
    X(cusolverDnDpotrf) X(cusolverDnSgeqrf_bufferSize) X(cusolverDnDgeqrf_bufferSize)         \
    X(cusolverDnSgeqrf) X(cusolverDnDgeqrf) X(cusolverDnSorgqr_bufferSize)                    \
    X(cusolverDnDorgqr_bufferSize) X(cusolverDnSorgqr) X(cusolverDnDorgqr)                    \
    X(cusolverDnSgesvd_bufferSize) X(cusolverDnDgesvd_bufferSize) X(cusolverDnSgesvd)         \
    X(cusolverDnDgesvd) X(cusolverDnSsyevd_bufferSize) X(cusolverDnDsyevd_bufferSize)         \
    X(cusolverDnSsyevd) X(cusolverDnDsyevd)
#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
static struct {
#define X(f) __typeof__(f) *f;
    CT_CUSOLVER_FNS(X)
#undef X
} cs;
static pthread_once_t cusolver_once = PTHREAD_ONCE_INIT;
static char cusolver_error[256];

static void cusolver_open(void) {
#define X(f) CT_STR(f),
    static const char *const names[] = {CT_CUSOLVER_FNS(X)};
#undef X
#define X(f) (void **)&cs.f,
    void **const slots[] = {CT_CUSOLVER_FNS(X)};
#undef X
    ct__cuda_dlopen("libcusolver.so." CT_STR(CUSOLVER_VER_MAJOR), "libcusolver.so",
                    (int)(sizeof names / sizeof names[0]), names, slots, cusolver_error,
                    sizeof cusolver_error);
}

/* The s- or d- routine for the element type T of CT_DISPATCH_FLOATING. */
#define SV(name) _Generic((T)0, float: cs.cusolverDnS##name, double: cs.cusolverDnD##name)

static int solver_check(cusolverStatus_t st, const char *what) {
    if (st == CUSOLVER_STATUS_SUCCESS) return 0;
    ct_set_error(st == CUSOLVER_STATUS_ALLOC_FAILED ? CT_ERR_MEMORY : CT_ERR_RUNTIME,
                 "CUDA error: cuSOLVER status %d when calling `%s`", (int)st, what);
    return -1;
}

static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;
static cusolverDnHandle_t handles[CT_CUDA_MAX_DEVICES];

/* The current device's handle bound to the current stream. */
static cusolverDnHandle_t handle(void) {
    pthread_once(&cusolver_once, cusolver_open);
    if (cusolver_error[0]) {
        ct_set_error(CT_ERR_NOT_IMPL, "linalg: cannot load cuSOLVER (libcusolver.so.%d): %s",
                     CUSOLVER_VER_MAJOR, cusolver_error);
        return NULL;
    }
    int dev = 0;
    if (ct__cuda_check(cudaGetDevice(&dev), "cudaGetDevice") < 0) return NULL;
    if (dev < 0 || dev >= CT_CUDA_MAX_DEVICES) {
        ct_set_error(CT_ERR_RUNTIME, "CUDA error: device %d beyond the %d supported", dev,
                     CT_CUDA_MAX_DEVICES);
        return NULL;
    }
    pthread_mutex_lock(&handle_lock);
    if (!handles[dev] && solver_check(cs.cusolverDnCreate(&handles[dev]), "cusolverDnCreate") < 0)
        handles[dev] = NULL;
    cusolverDnHandle_t h = handles[dev];
    pthread_mutex_unlock(&handle_lock);
    if (h && solver_check(cs.cusolverDnSetStream(h, (cudaStream_t)ct__cuda_stream()),
                          "cusolverDnSetStream") < 0)
        return NULL;
    return h;
}

/* One call's state: the device made current, the handle, scratch tensors. */
typedef struct {
    ct_device dev;
    int prev;
    cusolverDnHandle_t h;
    ct_tensor *scratch[6];
    int nscratch;
} call;

static int begin(call *c, const ct_tensor *a) {
    memset(c, 0, sizeof *c);
    c->dev = a->storage->device;
    if (ct__cuda_check(cudaGetDevice(&c->prev), "cudaGetDevice") < 0) return -1;
    if (c->dev.index >= 0 && c->dev.index != c->prev &&
        ct__cuda_check(cudaSetDevice(c->dev.index), "cudaSetDevice") < 0)
        return -1;
    c->h = handle();
    return c->h ? 0 : -1;
}

/* Scratch of n elements of dt (at least one) on the call's GPU, or NULL. */
static void *scratch(call *c, int64_t n, ct_dtype dt) {
    if (n < 1) n = 1;
    ct_tensor *t = c->nscratch < 6 ? ct__empty_on(&n, 1, dt, c->dev) : NULL;
    if (!t) return NULL;
    c->scratch[c->nscratch++] = t;
    return ct_data_ptr(t);
}

/* n devInfo slots, zeroed (a matrix a routine skips reports success). */
static int *infos(call *c, int64_t n) {
    int *p = scratch(c, n, CT_INT32);
    if (p && ct__cuda_check(cudaMemsetAsync(p, 0, sizeof(int) * (size_t)(n > 1 ? n : 1),
                                            (cudaStream_t)ct__cuda_stream()),
                            "cudaMemsetAsync") < 0)
        return NULL;
    return p;
}

/* Reads the batch's devInfo values back (waiting for the GPU): the first
 * positive one (its index in *bad), 0, or -1 (a negative info: a bad
 * argument, an internal error). Ends the call. */
static int finish(call *c, int rc, const int *info, int64_t batch, const char *op, int64_t *bad) {
    int *host = NULL;
    if (rc == 0 && info && batch > 0) {
        host = malloc(sizeof(int) * (size_t)batch);
        if (!host) {
            ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
            rc = -1;
        } else if (ct__cuda_check(cudaMemcpyAsync(host, info, sizeof(int) * (size_t)batch,
                                                  cudaMemcpyDeviceToHost,
                                                  (cudaStream_t)ct__cuda_stream()),
                                  "cudaMemcpyAsync") < 0 ||
                   ct__cuda_check(cudaStreamSynchronize((cudaStream_t)ct__cuda_stream()),
                                  "cudaStreamSynchronize") < 0) {
            rc = -1;
        } else {
            for (int64_t b = 0; b < batch && rc == 0; b++)
                if (host[b] > 0) {
                    rc = host[b];
                    if (bad) *bad = b;
                } else if (host[b] < 0) {
                    ct_set_error(CT_ERR_RUNTIME, "%s: internal error: cuSOLVER argument %d is invalid",
                                 op, -host[b]);
                    rc = -1;
                }
        }
    }
    free(host);
    for (int i = 0; i < c->nscratch; i++) ct_release(c->scratch[i]);
    if (c->dev.index >= 0 && c->dev.index != c->prev) cudaSetDevice(c->prev);
    return rc;
}

static cudaStream_t stream(void) { return (cudaStream_t)ct__cuda_stream(); }

/* ------------------------------------------------------------ LU: inv, solve, det */
/* LU factors of every n x n matrix of a in place: pivots ipiv (n per
 * matrix), infos. 0 or -1. */
static int lu_batch(call *c, ct_dtype dt, int64_t batch, int n, void *a, int *ipiv, int *info) {
    int rc = 0;
    CT_DISPATCH_FLOATING(dt, {
        int lw = 0;
        rc = solver_check(SV(getrf_bufferSize)(c->h, n, n, (T *)a, n, &lw), "getrf_bufferSize");
        T *work = rc == 0 ? scratch(c, lw, dt) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++)
            rc = solver_check(SV(getrf)(c->h, n, n, (T *)a + b * n * n, n, work, ipiv + b * n, info + b),
                              "getrf");
    });
    return rc;
}

/* x (n x k per matrix) <- solution of a x = x from lu_batch's factors. */
static int lu_solve(call *c, ct_dtype dt, int64_t batch, int n, int k, const void *a,
                    const int *ipiv, void *x, int *info) {
    int rc = 0;
    CT_DISPATCH_FLOATING(dt, {
        for (int64_t b = 0; b < batch && rc == 0; b++)
            rc = solver_check(SV(getrs)(c->h, CUBLAS_OP_N, n, k, (const T *)a + b * n * n, n,
                                        ipiv + b * n, (T *)x + b * n * k, n, info + b),
                              "getrs");
    });
    return rc;
}

int ct__cuda_la_inv(ct_tensor *a, int64_t batch, int64_t n, int64_t *bad) {
    call c;
    ct_dtype dt = a->dtype;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.inv", bad);
    int *ipiv = scratch(&c, batch * n, CT_INT32), *info = infos(&c, 2 * batch);
    void *x = scratch(&c, batch * n * n, dt);
    int rc = ipiv && info && x ? 0 : -1;
    if (rc == 0) rc = lu_batch(&c, dt, batch, (int)n, ct_data_ptr(a), ipiv, info);
    if (rc == 0) rc = ct__cuda_lak_eye(dt, x, batch, n, n);
    if (rc == 0) rc = lu_solve(&c, dt, batch, (int)n, (int)n, ct_data_ptr(a), ipiv, x, info + batch);
    if (rc == 0)
        rc = ct__cuda_check(cudaMemcpyAsync(ct_data_ptr(a), x,
                                            (size_t)(batch * n * n) * ct_dtype_size(dt),
                                            cudaMemcpyDeviceToDevice, stream()),
                            "cudaMemcpyAsync");
    return finish(&c, rc, info, batch, "linalg.inv", bad);
}

int ct__cuda_la_solve(ct_tensor *a, ct_tensor *b, int64_t batch, int64_t n, int64_t k, int64_t *bad) {
    call c;
    ct_dtype dt = a->dtype;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.solve", bad);
    int *ipiv = scratch(&c, batch * n, CT_INT32), *info = infos(&c, 2 * batch);
    int rc = ipiv && info ? 0 : -1;
    if (rc == 0) rc = lu_batch(&c, dt, batch, (int)n, ct_data_ptr(a), ipiv, info);
    if (rc == 0)
        rc = lu_solve(&c, dt, batch, (int)n, (int)k, ct_data_ptr(a), ipiv, ct_data_ptr(b), info + batch);
    return finish(&c, rc, info, batch, "linalg.solve", bad);
}

int ct__cuda_la_det(ct_tensor *a, ct_tensor *sign, ct_tensor *out, int64_t batch, int64_t n) {
    call c;
    ct_dtype dt = a->dtype;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.det", NULL);
    int *ipiv = scratch(&c, batch * n, CT_INT32), *info = infos(&c, batch);
    int rc = ipiv && info ? 0 : -1;
    /* an exact zero pivot (info > 0) still leaves a complete LU: det 0 */
    if (rc == 0 && n > 0) rc = lu_batch(&c, dt, batch, (int)n, ct_data_ptr(a), ipiv, info);
    if (rc == 0)
        rc = ct__cuda_lak_det(dt, ct_data_ptr(a), ipiv, batch, n, sign ? ct_data_ptr(sign) : NULL,
                              ct_data_ptr(out));
    return finish(&c, rc, NULL, 0, "linalg.det", NULL);
}

/* ------------------------------------------------------------ cholesky */
int ct__cuda_la_cholesky(ct_tensor *a, int64_t batch, int64_t n, bool upper, int64_t *bad) {
    call c;
    ct_dtype dt = a->dtype;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.cholesky", bad);
    int *info = infos(&c, batch);
    int rc = info ? 0 : -1;
    cublasFillMode_t uplo = upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
    CT_DISPATCH_FLOATING(dt, {
        T *m = ct_data_ptr(a);
        int lw = 0, nn = (int)n;
        if (rc == 0) rc = solver_check(SV(potrf_bufferSize)(c.h, uplo, nn, m, nn, &lw), "potrf_bufferSize");
        T *work = rc == 0 ? scratch(&c, lw, dt) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++)
            rc = solver_check(SV(potrf)(c.h, uplo, nn, m + b * n * n, nn, work, lw, info + b), "potrf");
    });
    if (rc == 0) rc = ct__cuda_lak_zero_tri(dt, ct_data_ptr(a), batch, n, upper);
    return finish(&c, rc, info, batch, "linalg.cholesky", bad);
}

/* ------------------------------------------------------------ qr */
int ct__cuda_la_qr(ct_tensor *a, ct_tensor *q, ct_tensor *r, int64_t batch, int64_t m, int64_t n,
                   int64_t qcols, int64_t rrows) {
    call c;
    ct_dtype dt = a->dtype;
    int64_t k = m < n ? m : n;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.qr", NULL);
    int *info = infos(&c, batch);
    void *tau = scratch(&c, batch * k, dt);
    int rc = info && tau ? 0 : -1;
    size_t esz = ct_dtype_size(dt);
    CT_DISPATCH_FLOATING(dt, {
        T *ab = ct_data_ptr(a), *qb = q ? ct_data_ptr(q) : NULL;
        int l1 = 0, l2 = 0, mm = (int)m;
        if (rc == 0 && k > 0)
            rc = solver_check(SV(geqrf_bufferSize)(c.h, mm, (int)n, ab, mm, &l1), "geqrf_bufferSize");
        if (rc == 0 && k > 0 && qb)
            rc = solver_check(SV(orgqr_bufferSize)(c.h, mm, (int)qcols, (int)k, qb, mm, (T *)tau, &l2),
                              "orgqr_bufferSize");
        int lw = l1 > l2 ? l1 : l2;
        T *work = rc == 0 ? scratch(&c, lw, dt) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0 && k > 0; b++)
            rc = solver_check(SV(geqrf)(c.h, mm, (int)n, ab + b * m * n, mm, (T *)tau + b * k, work, lw,
                                        info + b),
                              "geqrf");
        if (rc == 0) rc = ct__cuda_lak_qr_r(dt, ab, ct_data_ptr(r), batch, m, n, rrows);
        if (rc == 0 && qb && k == 0) rc = ct__cuda_lak_eye(dt, qb, batch, m, qcols);
        if (rc == 0 && qb && k > 0) {
            /* Q's first columns start as the reflectors geqrf left in a */
            int64_t ncopy = n < qcols ? n : qcols;
            for (int64_t b = 0; b < batch && rc == 0; b++)
                rc = ct__cuda_check(cudaMemcpyAsync(qb + b * m * qcols, ab + b * m * n,
                                                    (size_t)(m * ncopy) * esz, cudaMemcpyDeviceToDevice,
                                                    stream()),
                                    "cudaMemcpyAsync");
            for (int64_t b = 0; b < batch && rc == 0; b++)
                rc = solver_check(SV(orgqr)(c.h, mm, (int)qcols, (int)k, qb + b * m * qcols, mm,
                                            (T *)tau + b * k, work, lw, info + b),
                                  "orgqr");
        }
    });
    int64_t bad = 0;
    rc = finish(&c, rc, info, batch, "linalg.qr", &bad);
    if (rc > 0) { /* geqrf and orgqr report only bad arguments */
        ct_set_error(CT_ERR_RUNTIME, "linalg.qr: internal error: cuSOLVER info %d", rc);
        rc = -1;
    }
    return rc;
}

/* ------------------------------------------------------------ svd */
int ct__cuda_la_svd(ct_tensor *a, ct_tensor *u, ct_tensor *s, ct_tensor *vt, int64_t batch, int64_t m,
                    int64_t n, bool full, int64_t *bad) {
    call c;
    ct_dtype dt = a->dtype;
    int64_t k = m < n ? m : n, ucols = full ? m : k, vrows = full ? n : k;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.svd", bad);
    if (k == 0) { /* nothing to factor: identity singular vectors where they exist */
        int rc = ct__cuda_lak_eye(dt, ct_data_ptr(u), batch, m, ucols);
        if (rc == 0) rc = ct__cuda_lak_eye(dt, ct_data_ptr(vt), batch, vrows, n);
        return finish(&c, rc, NULL, 0, "linalg.svd", bad);
    }
    /* gesvd needs rows >= cols: a wide A is factored as A^T = U2 S V2t,
     * so U = V2t^T and Vt = U2^T */
    bool wide = m < n;
    int64_t M = wide ? n : m, N = wide ? m : n;           /* the factored matrix */
    int64_t uc = wide ? vrows : ucols;                     /* its U: M x uc */
    int *info = infos(&c, batch);
    void *rwork = scratch(&c, k, dt);
    void *A = ct_data_ptr(a), *U = ct_data_ptr(u), *V = ct_data_ptr(vt);
    int rc = info && rwork ? 0 : -1;
    if (rc == 0 && wide) {
        A = scratch(&c, batch * m * n, dt);
        U = scratch(&c, batch * M * uc, dt);
        V = scratch(&c, batch * N * N, dt);
        rc = A && U && V ? ct__cuda_lak_transpose(dt, ct_data_ptr(a), A, batch, m, n) : -1;
    }
    signed char job = full ? 'A' : 'S';
    CT_DISPATCH_FLOATING(dt, {
        int lw = 0, Mi = (int)M, Ni = (int)N;
        if (rc == 0) rc = solver_check(SV(gesvd_bufferSize)(c.h, Mi, Ni, &lw), "gesvd_bufferSize");
        T *work = rc == 0 ? scratch(&c, lw, dt) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++)
            rc = solver_check(SV(gesvd)(c.h, job, job, Mi, Ni, (T *)A + b * M * N, Mi,
                                        (T *)ct_data_ptr(s) + b * k, (T *)U + b * M * uc, Mi,
                                        (T *)V + b * N * N, Ni, work, lw, (T *)rwork, info + b),
                              "gesvd");
    });
    if (rc == 0 && wide) {
        rc = ct__cuda_lak_transpose(dt, V, ct_data_ptr(u), batch, N, N); /* U = V2t^T, m x m */
        if (rc == 0) rc = ct__cuda_lak_transpose(dt, U, ct_data_ptr(vt), batch, M, uc); /* Vt = U2^T */
    }
    return finish(&c, rc, info, batch, "linalg.svd", bad);
}

/* ------------------------------------------------------------ eigh */
int ct__cuda_la_eigh(ct_tensor *a, ct_tensor *w, int64_t batch, int64_t n, bool upper, int64_t *bad) {
    if (n == 0) return 0;
    call c;
    ct_dtype dt = a->dtype;
    if (begin(&c, a) < 0) return finish(&c, -1, NULL, 0, "linalg.eigh", bad);
    int *info = infos(&c, batch);
    int rc = info ? 0 : -1;
    cublasFillMode_t uplo = upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
    CT_DISPATCH_FLOATING(dt, {
        T *m = ct_data_ptr(a), *wv = ct_data_ptr(w);
        int lw = 0, nn = (int)n;
        if (rc == 0)
            rc = solver_check(SV(syevd_bufferSize)(c.h, CUSOLVER_EIG_MODE_VECTOR, uplo, nn, m, nn, wv, &lw),
                              "syevd_bufferSize");
        T *work = rc == 0 ? scratch(&c, lw, dt) : NULL;
        if (!work) rc = -1;
        for (int64_t b = 0; b < batch && rc == 0; b++)
            rc = solver_check(SV(syevd)(c.h, CUSOLVER_EIG_MODE_VECTOR, uplo, nn, m + b * n * n, nn,
                                        wv + b * n, work, lw, info + b),
                              "syevd");
    });
    return finish(&c, rc, info, batch, "linalg.eigh", bad);
}

/* Handles go with the process, as cuBLAS's (blas.c). */
