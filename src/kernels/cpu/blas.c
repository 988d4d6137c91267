/* Matrix products: OpenBLAS for float32/float64 (operands passed with their
 * own strides, transposed ones as CblasTrans), oneDNN's dnnl_sgemm for the
 * float32 products where it is faster, plain loops for integers.
 *
 * Why oneDNN for float32: this machine's OpenBLAS runs its AVX2 (Haswell)
 * kernel (OPENBLAS_CORETYPE=Haswell in the environment, and Debian's
 * PyTorch uses the same library); dnnl_sgemm JITs AVX-512 kernels. Measured
 * (row-major, CPU time, 1 thread, GF/s OpenBLAS vs oneDNN): 64^3 92 vs 165,
 * 128^3 98 vs 205, 64x784x256 97 vs 208, 784x256x64 105 vs 205; skinny
 * products (one row or one column) 10 vs 60; at 2 threads 2048^3 170 vs 300.
 * Below about M*N*K = 16384 oneDNN's fixed cost (0.2-0.7 us a call) loses:
 * 20^3 0.31 vs 0.34 us, 8x32x32 0.26 vs 0.28, 32^3 0.93 vs 0.70; one-row or
 * one-column products win from M*N*K = 1024 (1x32x32 0.19 vs 0.14 us).
 * oneDNN threads a product over every OpenMP thread, which costs more than
 * it brings below about M*N*K = 2^20 at 2 threads (64^3: 88 GF/s threaded,
 * 166 on one thread; 1x256x784: 30 vs 57; 128^3: 239 vs 193), so smaller
 * products run on the calling thread alone. float64 stays on OpenBLAS
 * (oneDNN has no dgemm), and so do the matrix-vector products (cblas_sgemv
 * and oneDNN with N = 1 measure the same, 40-45 GF/s, memory-bound).
 *
 * CT_GEMM in the environment (read once) picks the float32 library:
 *   unset or "auto": oneDNN above the thresholds above, OpenBLAS below;
 *   "dnnl": oneDNN for every float32 product (to compare A/B);
 *   "openblas": OpenBLAS for every product.
 * Without oneDNN (no libdnnl-dev, or make DNNL=0) everything is OpenBLAS.
 * A oneDNN call that fails (any status but success) is redone by OpenBLAS
 * when beta == 0. oneDNN checks its arguments before it writes C; its only
 * other failure, out of memory for the packing buffers of one of its
 * threads, can leave the other threads' parts of C written. With beta == 0
 * the redo overwrites them; with beta != 0 they would be added twice, so
 * the product fails instead (ct__gemm returns -1: out of memory).
 *
 * Threads: dnnl_sgemm, like this OpenMP build of OpenBLAS, runs on libgomp
 * and reads omp_get_max_threads() at each call, so ct_set_num_threads
 * (omp_set_num_threads) governs it too; inside a parallel region it runs on
 * the calling thread. */
#include "kernels/cpu/blas.h"

#include <limits.h>
#include <omp.h>
#include <openblas-openmp/cblas.h>
#include <stdatomic.h>
#ifdef CT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

bool ct__blas_fits(int64_t n) { return n >= 0 && n <= INT_MAX; }

/* How CBLAS (row-major) reads a rows x cols operand with strides (rs, cs):
 * as it is (NoTrans, ld = rs) or as the transpose of a row-major matrix
 * (Trans, ld = cs). A stride along a dim of size 1 is never used. */
static bool layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, enum CBLAS_TRANSPOSE *tr,
                   int64_t *ld) {
    int64_t r1 = rows > 1 ? rows : 1, c1 = cols > 1 ? cols : 1;
    *tr = CblasNoTrans;
    *ld = c1;
    if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= c1)) {
        *tr = CblasNoTrans;
        *ld = rows <= 1 ? c1 : rs;
        return ct__blas_fits(*ld);
    }
    if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= r1)) {
        *tr = CblasTrans;
        *ld = cols <= 1 ? r1 : cs;
        return ct__blas_fits(*ld);
    }
    return false;
}

bool ct__blas_layout_ok(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
    enum CBLAS_TRANSPOSE tr;
    int64_t ld;
    return layout(rows, cols, rs, cs, &tr, &ld);
}

/* ------------------------------------------------------------ integers */
/* One output row i of batch b0 (or of the sum over every batch when
 * accumulate): columns in chunks with an accumulator on the stack, unsigned
 * so that overflow wraps like PyTorch's integer arithmetic, without UB. */
#define GEMM_INT(TN, T)                                                                       \
    static void gemm_row_##TN(int64_t r, int64_t batch, int64_t M, int64_t N, int64_t K,      \
                              int64_t alpha, const T *A, int64_t a_bs, int64_t a_rs,          \
                              int64_t a_cs, const T *B, int64_t b_bs, int64_t b_rs,           \
                              int64_t b_cs, int64_t beta, T *C, int64_t c_bs, int64_t ldc) {  \
        bool accumulate = c_bs == 0;                                                          \
        int64_t b0 = r / M, i = r % M;                                                        \
        int64_t bfirst = accumulate ? 0 : b0, blast = accumulate ? batch : b0 + 1;            \
        T *c = C + b0 * c_bs + i * ldc;                                                       \
        for (int64_t j0 = 0; j0 < N; j0 += 256) {                                             \
            int64_t nj = N - j0 < 256 ? N - j0 : 256;                                         \
            uint64_t acc[256] = {0};                                                          \
            for (int64_t b = bfirst; b < blast; b++) {                                        \
                const T *a = A + b * a_bs + i * a_rs;                                         \
                for (int64_t k = 0; k < K; k++) {                                             \
                    uint64_t av = (uint64_t)(int64_t)a[k * a_cs];                             \
                    const T *bk = B + b * b_bs + k * b_rs + j0 * b_cs;                        \
                    if (b_cs == 1)                                                            \
                        for (int64_t j = 0; j < nj; j++) acc[j] += av * (uint64_t)(int64_t)bk[j]; \
                    else                                                                      \
                        for (int64_t j = 0; j < nj; j++) acc[j] += av * (uint64_t)(int64_t)bk[j * b_cs]; \
                }                                                                             \
            }                                                                                 \
            for (int64_t j = 0; j < nj; j++)                                                  \
                c[j0 + j] = (T)(beta == 0 ? (uint64_t)alpha * acc[j]                          \
                                          : (uint64_t)beta * (uint64_t)(int64_t)c[j0 + j] +   \
                                                (uint64_t)alpha * acc[j]);                    \
        }                                                                                     \
    }                                                                                         \
    static void gemm_##TN(int64_t batch, int64_t M, int64_t N, int64_t K, int64_t alpha,      \
                          const T *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const T *B,   \
                          int64_t b_bs, int64_t b_rs, int64_t b_cs, int64_t beta, T *C,       \
                          int64_t c_bs, int64_t ldc) {                                        \
        int64_t rows = (c_bs == 0 ? 1 : batch) * M;                                           \
        if ((double)batch * M * N * (K ? K : 1) < CT_GRAIN * 8) {                             \
            for (int64_t r = 0; r < rows; r++)                                                \
                gemm_row_##TN(r, batch, M, N, K, alpha, A, a_bs, a_rs, a_cs, B, b_bs, b_rs,   \
                              b_cs, beta, C, c_bs, ldc);                                      \
            return;                                                                           \
        }                                                                                     \
        _Pragma("omp parallel for schedule(static)")                                          \
        for (int64_t r = 0; r < rows; r++)                                                    \
            gemm_row_##TN(r, batch, M, N, K, alpha, A, a_bs, a_rs, a_cs, B, b_bs, b_rs, b_cs, \
                          beta, C, c_bs, ldc);                                                \
    }
GEMM_INT(u8, uint8_t)
GEMM_INT(i8, int8_t)
GEMM_INT(i16, int16_t)
GEMM_INT(i32, int32_t)
GEMM_INT(i64, int64_t)

static void gemm_int(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, int64_t alpha,
                     const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
                     int64_t b_bs, int64_t b_rs, int64_t b_cs, int64_t beta, void *C,
                     int64_t c_bs, int64_t ldc) {
#define GI(TN, T)                                                                            \
    gemm_##TN(batch, M, N, K, alpha, (const T *)A, a_bs, a_rs, a_cs, (const T *)B, b_bs, b_rs, \
              b_cs, beta, (T *)C, c_bs, ldc)
    switch (dt) {
    case CT_UINT8: GI(u8, uint8_t); break;
    case CT_INT8: GI(i8, int8_t); break;
    case CT_INT16: GI(i16, int16_t); break;
    case CT_INT32: GI(i32, int32_t); break;
    case CT_INT64: GI(i64, int64_t); break;
    default: break;
    }
#undef GI
}

/* ---------------------------------------------------- float32 backend */
static _Atomic int backend = -1; /* a ct_gemm_backend, -1 until CT_GEMM is read */

ct_gemm_backend ct__gemm_backend(void) {
    int b = atomic_load_explicit(&backend, memory_order_relaxed);
    if (b < 0) {
        const char *v = getenv("CT_GEMM");
        b = !v || !*v || strcmp(v, "auto") == 0 ? CT_GEMM_AUTO
            : strcmp(v, "openblas") == 0        ? CT_GEMM_OPENBLAS
            : strcmp(v, "dnnl") == 0            ? CT_GEMM_DNNL
                                                : CT_GEMM_AUTO;
#ifndef CT_HAVE_DNNL
        b = CT_GEMM_OPENBLAS;
#endif
        atomic_store_explicit(&backend, b, memory_order_relaxed);
    }
    return (ct_gemm_backend)b;
}

void ct__gemm_set_backend(ct_gemm_backend b) {
#ifndef CT_HAVE_DNNL
    b = CT_GEMM_OPENBLAS;
#endif
    atomic_store_explicit(&backend, (int)b, memory_order_relaxed);
}

/* Whether an M x K by K x N float32 product goes to oneDNN (see the top). */
static bool use_dnnl(int64_t M, int64_t N, int64_t K) {
    ct_gemm_backend b = ct__gemm_backend();
    if (b != CT_GEMM_AUTO) return b == CT_GEMM_DNNL;
    double f = (double)M * N * K;
    return f >= 16384 || ((M == 1) != (N == 1) && f >= 1024);
}

/* ------------------------------------------------------------ floats */
/* C = beta * C for M x N rows of C (K == 0: BLAS is not asked). */
#define SCALE_ROWS(T, C, M, N, ldc, beta)                                                    \
    for (int64_t i_ = 0; i_ < (M); i_++) {                                                   \
        T *c_ = (T *)(C) + i_ * (ldc);                                                       \
        for (int64_t j_ = 0; j_ < (N); j_++) c_[j_] = (beta) == 0 ? (T)0 : (T)(beta) * c_[j_]; \
    }

/* A series of products of one shape (ct__gemm's arguments, operands in
 * CBLAS terms). */
typedef struct gemm_series {
    ct_dtype dt;
    bool dnnl;
    enum CBLAS_TRANSPOSE ta, tb;
    int64_t M, N, K, lda, ldb, ldc, a_bs, b_bs, c_bs;
    double alpha;
    const void *A, *B;
    void *C;
} gemm_series;

/* Test hook: the next n oneDNN products run, then report failure. */
static _Atomic int inject_dnnl_failures;
void ct__gemm_inject_dnnl_failures(int n) { atomic_store(&inject_dnnl_failures, n); }

/* Product b of the series, scaling C by beta: 0, or -1 when oneDNN failed
 * and beta != 0 (C may be partly accumulated: see the top). Sets no error
 * (it may run on a worker thread). */
static int gemm_one(const gemm_series *g, int64_t b, double beta) {
    enum CBLAS_ORDER rm = CblasRowMajor;
    if (g->dt == CT_FLOAT32) {
        const float *a = (const float *)g->A + b * g->a_bs, *bm = (const float *)g->B + b * g->b_bs;
        float *c = (float *)g->C + b * g->c_bs;
#ifdef CT_HAVE_DNNL
        if (g->dnnl) {
            dnnl_status_t st = dnnl_sgemm(g->ta == CblasTrans ? 'T' : 'N',
                                          g->tb == CblasTrans ? 'T' : 'N', g->M, g->N, g->K,
                                          (float)g->alpha, a, g->lda, bm, g->ldb, (float)beta, c,
                                          g->ldc);
            if (atomic_load_explicit(&inject_dnnl_failures, memory_order_relaxed) > 0 &&
                atomic_fetch_sub(&inject_dnnl_failures, 1) > 0)
                st = dnnl_out_of_memory;
            if (st == dnnl_success) return 0;
            if (beta != 0) return -1;
        }
#endif
        cblas_sgemm(rm, g->ta, g->tb, (int)g->M, (int)g->N, (int)g->K, (float)g->alpha, a,
                    (int)g->lda, bm, (int)g->ldb, (float)beta, c, (int)g->ldc);
    } else {
        cblas_dgemm(rm, g->ta, g->tb, (int)g->M, (int)g->N, (int)g->K, g->alpha,
                    (const double *)g->A + b * g->a_bs, (int)g->lda,
                    (const double *)g->B + b * g->b_bs, (int)g->ldb, beta,
                    (double *)g->C + b * g->c_bs, (int)g->ldc);
    }
    return 0;
}

static int gemm_failed(int64_t M, int64_t N, int64_t K) {
    ct_set_error(CT_ERR_MEMORY,
                 "gemm: oneDNN's sgemm failed (out of memory) on a [%lld, %lld] x [%lld, %lld] "
                 "float32 product that accumulates into its output",
                 (long long)M, (long long)K, (long long)K, (long long)N);
    return -1;
}

int ct__gemm(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
             const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
             int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
             int64_t ldc) {
    if (batch <= 0 || M == 0 || N == 0) return 0;
    if (ct_dtype_is_integral(dt)) {
        gemm_int(dt, batch, M, N, K, (int64_t)alpha, A, a_bs, a_rs, a_cs, B, b_bs, b_rs, b_cs,
                 (int64_t)beta, C, c_bs, ldc);
        return 0;
    }
    bool accumulate = c_bs == 0;
    int64_t nc = accumulate ? 1 : batch;
    if (K == 0) {
        CT_DISPATCH_FLOATING(dt, for (int64_t b = 0; b < nc; b++) {
            SCALE_ROWS(T, (T *)C + b * c_bs, M, N, ldc, beta);
        });
        return 0;
    }
    gemm_series g = {.dt = dt, .dnnl = dt == CT_FLOAT32 && use_dnnl(M, N, K), .M = M, .N = N,
                     .K = K, .ldc = ldc, .a_bs = a_bs, .b_bs = b_bs, .c_bs = c_bs,
                     .alpha = alpha, .A = A, .B = B, .C = C};
    layout(M, K, a_rs, a_cs, &g.ta, &g.lda);
    layout(K, N, b_rs, b_cs, &g.tb, &g.ldb);
    /* Many small products: one per thread (OpenBLAS and oneDNN run
     * single-threaded inside a parallel region). Large ones: the library
     * threads each call. */
    double flops = (double)M * N * K;
    bool par = !accumulate && batch > 1 && flops <= 128.0 * 128 * 128 &&
               flops * batch >= 64.0 * 64 * 64;
    int failed = 0;
    if (par) {
#pragma omp parallel for schedule(static) reduction(| : failed)
        for (int64_t b = 0; b < batch; b++) failed |= gemm_one(&g, b, beta) < 0;
        return failed ? gemm_failed(M, N, K) : 0;
    }
    /* no parallel region at all: it costs a microsecond even when off.
     * oneDNN on products below 2^20 multiply-adds: the calling thread alone. */
    int nt = g.dnnl && flops < 1048576.0 && !omp_in_parallel() ? omp_get_max_threads() : 1;
    if (nt > 1) omp_set_num_threads(1);
    for (int64_t b = 0; b < batch && !failed; b++)
        failed = gemm_one(&g, b, accumulate && b > 0 ? 1.0 : beta) < 0;
    if (nt > 1) omp_set_num_threads(nt);
    return failed ? gemm_failed(M, N, K) : 0;
}

void ct__gemv(ct_dtype dt, int64_t M, int64_t K, double alpha, const void *A, int64_t rs,
              int64_t cs, const void *x, int64_t incx, double beta, void *y) {
    if (M == 0) return;
    if (ct_dtype_is_integral(dt)) {
        gemm_int(dt, 1, M, 1, K, (int64_t)alpha, A, 0, rs, cs, x, 0, incx, 1, (int64_t)beta, y,
                 M, 1);
        return;
    }
    CT_DISPATCH_FLOATING(dt, {
        T *yv = y;
        /* beta == 0 must not read y (uninitialised) even when BLAS would scale it. */
        if (beta == 0 || K == 0) SCALE_ROWS(T, yv, M, 1, 1, beta);
        if (K > 0) {
            enum CBLAS_TRANSPOSE tr = CblasNoTrans;
            int64_t ld = 1;
            layout(M, K, rs, cs, &tr, &ld);
            int64_t rows = tr == CblasNoTrans ? M : K, cols = tr == CblasNoTrans ? K : M;
            _Generic((T)0, float: cblas_sgemv, double: cblas_dgemv)(
                CblasRowMajor, tr, (int)rows, (int)cols, (T)alpha, (const T *)A, (int)ld,
                (const T *)x, (int)incx, (T)beta, yv, 1);
        }
    });
}

void ct__dot(ct_dtype dt, int64_t n, const void *x, int64_t incx, const void *y, int64_t incy,
             void *out) {
    if (ct_dtype_is_integral(dt)) {
        gemm_int(dt, 1, 1, 1, n, 1, x, 0, 0, incx, y, 0, incy, 0, 0, out, 1, 1);
        return;
    }
    CT_DISPATCH_FLOATING(dt, {
        const T *xv = x, *yv = y;
        if (incx > 0 && incy > 0 && ct__blas_fits(n) && ct__blas_fits(incx) && ct__blas_fits(incy)) {
            *(T *)out = _Generic((T)0, float: cblas_sdot, double: cblas_ddot)(
                (int)n, xv, (int)incx, yv, (int)incy);
        } else {
            double acc = 0;
            for (int64_t i = 0; i < n; i++) acc += (double)xv[i * incx] * (double)yv[i * incy];
            *(T *)out = (T)acc;
        }
    });
}
