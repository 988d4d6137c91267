/* Matrix products on the GPU through cuBLAS: the ct__cuda->gemm hook behind
 * mm, bmm, matmul, addmm, baddbmm, addbmm, mv, addmv, dot and outer
 * (src/ops/linalg.c does the checks and shapes for every device).
 *
 * cuBLAS is column-major: a row-major C = A @ B is computed as the
 * column-major C^T = B^T A^T, each operand read with its own strides (a
 * transposed view is passed as CUBLAS_OP_T, not copied). One handle per
 * device, created on first use. PyTorch's TF32 switch
 * (torch.backends.cuda.matmul.allow_tf32, default False) selects the math
 * mode of every float32 product.
 *
 * cuBLAS (with cuBLASLt, some 600 MB) is opened with dlopen on the first GPU
 * product, not linked: loading it at startup made `import ctorch` take
 * ~400 ms on every machine, GPU or not. */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>


/* The cuBLAS entry points used here, resolved from the library on first
 * use (the names are cublas_v2.h's macros, e.g. cublasSgemm_v2). */
#define CT_CUBLAS_FNS(X)                                                      \
    X(cublasCreate) X(cublasSgemm) X(cublasDgemm) X(cublasSgemmStridedBatched) \
    X(cublasDgemmStridedBatched) X(cublasSetStream) X(cublasSetMathMode)       \
    X(cublasGetStatusString)
#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
static struct {
#define X(f) __typeof__(f) *f;
    CT_CUBLAS_FNS(X)
#undef X
} cb;
static pthread_once_t cublas_once = PTHREAD_ONCE_INIT;
static char cublas_error[256];

static void cublas_open(void) {
#define X(f) CT_STR(f),
    static const char *const names[] = {CT_CUBLAS_FNS(X)};
#undef X
#define X(f) (void **)&cb.f,
    void **const slots[] = {CT_CUBLAS_FNS(X)};
#undef X
    ct__cuda_dlopen("libcublas.so." CT_STR(CUBLAS_VER_MAJOR), "libcublas.so", (int)(sizeof names / sizeof names[0]),
                    names, slots, cublas_error, sizeof cublas_error);
}

/* 0 once cuBLAS is loaded, else -1 with an error. */
static int cublas_load(void) {
    pthread_once(&cublas_once, cublas_open);
    if (!cublas_error[0]) return 0;
    ct_set_error(CT_ERR_RUNTIME, "CUDA error: cannot load cuBLAS (libcublas.so.%d): %s",
                 CUBLAS_VER_MAJOR, cublas_error);
    return -1;
}

static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;
static cublasHandle_t handles[CT_CUDA_MAX_DEVICES];
static atomic_bool allow_tf32; /* false, as in PyTorch >= 1.12 */

void ct_cuda_set_allow_tf32(bool allow) { atomic_store(&allow_tf32, allow); }
bool ct_cuda_allow_tf32(void) { return atomic_load(&allow_tf32); }

static int blas_check(cublasStatus_t st, const char *what) {
    if (st == CUBLAS_STATUS_SUCCESS) return 0;
    ct_set_error(st == CUBLAS_STATUS_ALLOC_FAILED ? CT_ERR_MEMORY : CT_ERR_RUNTIME,
                 "CUDA error: %s when calling `%s`", cb.cublasGetStatusString(st), what);
    return -1;
}

/* The current device's handle, bound to the current stream, with the
 * math mode of the TF32 switch. Called with handle_lock held. */
static cublasHandle_t handle_locked(void) {
    if (cublas_load() < 0) return NULL;
    int dev = 0;
    if (ct__cuda_check(cudaGetDevice(&dev), "cudaGetDevice") < 0) return NULL;
    if (dev < 0 || dev >= CT_CUDA_MAX_DEVICES) {
        ct_set_error(CT_ERR_RUNTIME, "CUDA error: device %d beyond the %d supported", dev,
                     CT_CUDA_MAX_DEVICES);
        return NULL;
    }
    if (!handles[dev] && blas_check(cb.cublasCreate(&handles[dev]), "cublasCreate(handle)") < 0) {
        handles[dev] = NULL;
        return NULL;
    }
    cublasHandle_t h = handles[dev];
    if (blas_check(cb.cublasSetStream(h, (cudaStream_t)ct__cuda_stream()), "cublasSetStream") < 0)
        return NULL;
    cublasMath_t mode = atomic_load(&allow_tf32) ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
    if (blas_check(cb.cublasSetMathMode(h, mode), "cublasSetMathMode") < 0) return NULL;
    return h;
}

/* How cuBLAS reads a row-major rows x cols operand with strides (rs, cs):
 * the column-major matrix with leading dimension ld is its transpose
 * (CUBLAS_OP_N on the transposed problem) when cs == 1, or itself
 * (CUBLAS_OP_T) when rs == 1. Same rule as the CPU's (ct__blas_layout_ok). */
static bool layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, cublasOperation_t *op,
                   int *ld) {
    int64_t r1 = rows > 1 ? rows : 1, c1 = cols > 1 ? cols : 1, l;
    if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= c1)) {
        *op = CUBLAS_OP_N;
        l = rows <= 1 ? c1 : rs;
    } else if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= r1)) {
        *op = CUBLAS_OP_T;
        l = cols <= 1 ? r1 : cs;
    } else {
        return false;
    }
    if (l > INT_MAX) return false;
    *ld = (int)l;
    return true;
}

int ct__cuda_gemm(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
                  const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
                  int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
                  int64_t ldc) {
    if (dt != CT_FLOAT32 && dt != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "matmul: not implemented for CUDA tensors of dtype %s",
                     ct_dtype_name(dt));
        return -1;
    }
    if (batch <= 0 || M == 0 || N == 0) return 0;
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX || ldc > INT_MAX || ldc < N) {
        ct_set_error(CT_ERR_NOT_IMPL, "matmul: matrix dims above 2^31-1 are not supported on CUDA");
        return -1;
    }
    bool accumulate = c_bs == 0;
    int64_t nc = accumulate ? 1 : batch;
    size_t esz = ct_dtype_size(dt);
    if (K == 0) { /* an empty product: C = beta * C (beta == 0 never reads C) */
        for (int64_t b = 0; b < nc; b++)
            if (ct__cuda_scale_rows((char *)C + b * c_bs * (int64_t)esz, dt, M, N, ldc, beta) < 0)
                return -1;
        return 0;
    }
    cublasOperation_t opa, opb;
    int lda, ldb;
    if (!layout(M, K, a_rs, a_cs, &opa, &lda) || !layout(K, N, b_rs, b_cs, &opb, &ldb)) {
        ct_set_error(CT_ERR_RUNTIME, "matmul: operand strides cuBLAS cannot read (internal error)");
        return -1;
    }
    pthread_mutex_lock(&handle_lock);
    cublasHandle_t h = handle_locked();
    int rc = h ? 0 : -1;
    /* column-major: C^T (N x M) = op(B^T) (N x K) * op(A^T) (K x M) */
    if (h && dt == CT_FLOAT32) {
        float al = (float)alpha, be = (float)beta;
        const float *a = A, *bm = B;
        float *c = C;
        if (accumulate || batch == 1) {
            for (int64_t b = 0; rc == 0 && b < batch; b++) {
                float beb = accumulate && b > 0 ? 1.0f : be;
                rc = blas_check(cb.cublasSgemm(h, opb, opa, (int)N, (int)M, (int)K, &al, bm + b * b_bs,
                                            ldb, a + b * a_bs, lda, &beb, c + (accumulate ? 0 : b * c_bs),
                                            (int)ldc),
                                "cublasSgemm");
            }
        } else {
            for (int64_t b0 = 0; rc == 0 && b0 < batch; b0 += INT_MAX) {
                int nb = (int)(batch - b0 < INT_MAX ? batch - b0 : INT_MAX);
                rc = blas_check(cb.cublasSgemmStridedBatched(h, opb, opa, (int)N, (int)M, (int)K, &al,
                                                          bm + b0 * b_bs, ldb, b_bs, a + b0 * a_bs,
                                                          lda, a_bs, &be, c + b0 * c_bs, (int)ldc,
                                                          c_bs, nb),
                                "cublasSgemmStridedBatched");
            }
        }
    } else if (h) {
        const double *a = A, *bm = B;
        double *c = C;
        if (accumulate || batch == 1) {
            for (int64_t b = 0; rc == 0 && b < batch; b++) {
                double beb = accumulate && b > 0 ? 1.0 : beta;
                rc = blas_check(cb.cublasDgemm(h, opb, opa, (int)N, (int)M, (int)K, &alpha,
                                            bm + b * b_bs, ldb, a + b * a_bs, lda, &beb,
                                            c + (accumulate ? 0 : b * c_bs), (int)ldc),
                                "cublasDgemm");
            }
        } else {
            for (int64_t b0 = 0; rc == 0 && b0 < batch; b0 += INT_MAX) {
                int nb = (int)(batch - b0 < INT_MAX ? batch - b0 : INT_MAX);
                rc = blas_check(cb.cublasDgemmStridedBatched(h, opb, opa, (int)N, (int)M, (int)K,
                                                          &alpha, bm + b0 * b_bs, ldb, b_bs,
                                                          a + b0 * a_bs, lda, a_bs, &beta,
                                                          c + b0 * c_bs, (int)ldc, c_bs, nb),
                                "cublasDgemmStridedBatched");
            }
        }
    }
    pthread_mutex_unlock(&handle_lock);
    return rc;
}

/* Handles go with the process: cublasDestroy at exit may run after the
 * driver has unloaded, so they are left to the driver's own teardown. */
