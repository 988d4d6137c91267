/* cuBLAS of the CPU emulator, and the library loader it answers through:
 * in the emulator build ct__cuda_dlopen (runtime.c) asks
 * ct__cuda_emu_dlopen, which resolves the cuBLAS names src/cuda/blas.c
 * asks for to the functions below (cuDNN's to cudnn_emu.cc, cuSOLVER's to
 * cusolver_emu.cc). The
 * products run on the CPU BLAS (OpenBLAS) with cuBLAS's column-major
 * conventions, after cuBLAS's own argument checks, and check that every
 * matrix is memory of the handle's device. */
#include "cuda/emu/emu_internal.hh"

#include <cublas_v2.h>
#include <openblas-openmp/cblas.h>

#include <stdio.h>
#include <string.h>

#include <type_traits>

using namespace ct_emu;

namespace {

struct Handle {
    uint32_t magic;
    int device;
    cudaStream_t stream;
    cublasMath_t math;
};
constexpr uint32_t LIVE = 0x43424c53;

Handle *handle_of(cublasHandle_t h) {
    Handle *x = (Handle *)h;
    return x && x->magic == LIVE ? x : nullptr;
}

cublasStatus_t create(cublasHandle_t *h) {
    int d;
    if (cudaGetDevice(&d) != cudaSuccess) return CUBLAS_STATUS_NOT_INITIALIZED;
    *h = (cublasHandle_t) new Handle{LIVE, d, nullptr, CUBLAS_DEFAULT_MATH};
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t set_stream(cublasHandle_t h, cudaStream_t s) {
    Handle *x = handle_of(h);
    if (!x) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (stream_device(s) < 0) return CUBLAS_STATUS_INVALID_VALUE;
    x->stream = s;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t set_math_mode(cublasHandle_t h, cublasMath_t m) {
    Handle *x = handle_of(h);
    if (!x) return CUBLAS_STATUS_NOT_INITIALIZED;
    x->math = m;
    return CUBLAS_STATUS_SUCCESS;
}

const char *status_string(cublasStatus_t s) {
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    default: return "unknown error";
    }
}

/* cuBLAS's checks of a gemm, and the device of every matrix */
cublasStatus_t check(Handle *x, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                     const void *A, int lda, long long sa, const void *B, int ldb, long long sb,
                     const void *C, int ldc, long long sc, int batch, size_t esz) {
    if (!x) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || k < 0 || batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
    int arows = ta == CUBLAS_OP_N ? m : k, acols = ta == CUBLAS_OP_N ? k : m;
    int brows = tb == CUBLAS_OP_N ? k : n, bcols = tb == CUBLAS_OP_N ? n : k;
    if (lda < (arows > 1 ? arows : 1) || ldb < (brows > 1 ? brows : 1) || ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
    int d = x->device;
    if (stream_device(x->stream) != d || current_device() != d) {
        launch_error(cudaErrorInvalidResourceHandle, "cuBLAS handle of device %d used on device %d",
                     d, current_device());
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    struct {
        const void *p;
        long long rows, cols, ld, stride;
        const char *name;
    } mats[3] = {{A, arows, acols, lda, sa, "A"}, {B, brows, bcols, ldb, sb, "B"}, {C, m, n, ldc, sc, "C"}};
    for (auto &mt : mats) {
        if (k == 0 && mt.name[0] != 'C') continue;
        /* the span one matrix reads, and the last batch's */
        size_t span = (size_t)((mt.cols - 1) * mt.ld + mt.rows) * esz;
        const char *last = (const char *)mt.p + (long long)(batch - 1) * mt.stride * (long long)esz;
        if (device_of(mt.p, span) != d || device_of(last, span) != d) {
            launch_error(cudaErrorIllegalAddress,
                         "cuBLAS gemm on device %d: matrix %s at %p (%lld x %lld, ld %lld) is not "
                         "memory of that device",
                         d, mt.name, mt.p, mt.rows, mt.cols, mt.ld);
            return CUBLAS_STATUS_EXECUTION_FAILED;
        }
    }
    return CUBLAS_STATUS_SUCCESS;
}

CBLAS_TRANSPOSE tr(cublasOperation_t t) { return t == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

template <typename T>
void gemm1(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, T alpha, const T *A, int lda,
           const T *B, int ldb, T beta, T *C, int ldc) {
    if (beta == 0) /* cuBLAS never reads C then (it may hold NaN) */
        for (int j = 0; j < n; j++) memset(C + (size_t)j * ldc, 0, sizeof(T) * (size_t)m);
    if (k == 0) {
        if (beta != 0 && beta != 1)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++) C[(size_t)j * ldc + i] *= beta;
        return;
    }
    if constexpr (sizeof(T) == 4)
        cblas_sgemm(CblasColMajor, tr(ta), tr(tb), m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_dgemm(CblasColMajor, tr(ta), tr(tb), m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <typename T>
cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                    const T *alpha, const T *A, int lda, long long sa, const T *B, int ldb, long long sb,
                    const T *beta, T *C, int ldc, long long sc, int batch) {
    cublasStatus_t st = check(handle_of(h), ta, tb, m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch, sizeof(T));
    if (st != CUBLAS_STATUS_SUCCESS || m == 0 || n == 0) return st;
    for (int b = 0; b < batch; b++)
        gemm1<T>(ta, tb, m, n, k, *alpha, A + b * sa, lda, B + b * sb, ldb, *beta, C + b * sc, ldc);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t sgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                     const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta,
                     float *C, int ldc) {
    return gemm<float>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
cublasStatus_t dgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                     const double *alpha, const double *A, int lda, const double *B, int ldb,
                     const double *beta, double *C, int ldc) {
    return gemm<double>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
cublasStatus_t sgemm_sb(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                        const float *alpha, const float *A, int lda, long long sa, const float *B, int ldb,
                        long long sb, const float *beta, float *C, int ldc, long long sc, int batch) {
    return gemm<float>(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
cublasStatus_t dgemm_sb(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                        const double *alpha, const double *A, int lda, long long sa, const double *B,
                        int ldb, long long sb, const double *beta, double *C, int ldc, long long sc,
                        int batch) {
    return gemm<double>(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

/* The emulated symbols, under the names cublas_v2.h gives them. */
#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
struct Sym {
    const char *name;
    void *fn;
};
const Sym cublas_syms[] = {
    {CT_STR(cublasCreate), (void *)&create},
    {CT_STR(cublasSetStream), (void *)&set_stream},
    {CT_STR(cublasSetMathMode), (void *)&set_math_mode},
    {CT_STR(cublasGetStatusString), (void *)&status_string},
    {CT_STR(cublasSgemm), (void *)&sgemm},
    {CT_STR(cublasDgemm), (void *)&dgemm},
    {CT_STR(cublasSgemmStridedBatched), (void *)&sgemm_sb},
    {CT_STR(cublasDgemmStridedBatched), (void *)&dgemm_sb},
};

/* the prototypes above must be the header's */
static_assert(std::is_same<decltype(&sgemm), decltype(&cublasSgemm)>::value, "cublasSgemm prototype");
static_assert(std::is_same<decltype(&dgemm), decltype(&cublasDgemm)>::value, "cublasDgemm prototype");
static_assert(std::is_same<decltype(&sgemm_sb), decltype(&cublasSgemmStridedBatched)>::value,
              "cublasSgemmStridedBatched prototype");
static_assert(std::is_same<decltype(&dgemm_sb), decltype(&cublasDgemmStridedBatched)>::value,
              "cublasDgemmStridedBatched prototype");
static_assert(std::is_same<decltype(&create), decltype(&cublasCreate)>::value, "cublasCreate prototype");
static_assert(std::is_same<decltype(&set_stream), decltype(&cublasSetStream)>::value, "cublasSetStream prototype");

} // namespace

void *ct__cuda_emu_cudnn_sym(const char *name);    /* cudnn_emu.cc */
void *ct__cuda_emu_cusolver_sym(const char *name); /* cusolver_emu.cc */

static void *cublas_sym(const char *name) {
    for (const Sym &s : cublas_syms)
        if (!strcmp(s.name, name)) return s.fn;
    return nullptr;
}

extern "C" int ct__cuda_emu_dlopen(const char *versioned, const char *plain, int n,
                                   const char *const *names, void **const *slots, char *err,
                                   size_t errlen) {
    void *(*lookup)(const char *) = !strncmp(plain, "libcublas.so", 12)  ? cublas_sym
                                    : !strncmp(plain, "libcudnn.so", 11) ? ct__cuda_emu_cudnn_sym
                                    : !strncmp(plain, "libcusolver.so", 14) ? ct__cuda_emu_cusolver_sym
                                                                           : nullptr;
    if (!lookup) {
        snprintf(err, errlen, "%s is not available in the CUDA CPU emulator", plain);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!(*slots[i] = lookup(names[i]))) {
            snprintf(err, errlen, "symbol %s not found (not emulated by the CUDA CPU emulator)", names[i]);
            return -1;
        }
    return 0;
}
