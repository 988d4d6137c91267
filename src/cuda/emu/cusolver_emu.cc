/* cuSOLVER of the CPU emulator: the dense routines src/cuda/solver.c asks
 * for, run on LAPACKE with cuSOLVER's conventions (column-major, devInfo
 * written to memory, workspace sizes from bufferSize queries, gesvd only
 * for m >= n). Resolved by ct__cuda_emu_dlopen (cublas_emu.cc) for
 * libcusolver.so through ct__cuda_emu_cusolver_sym. The emulator runs
 * every launch at once, so the routines run when called. */
#include <cusolverDn.h>
#include <lapacke.h>

#include <stdint.h>
#include <string.h>

namespace {

struct Handle {
    uint32_t magic;
    cudaStream_t stream;
};
constexpr uint32_t LIVE = 0x4353564c;

bool live(cusolverDnHandle_t h) { return h && ((Handle *)h)->magic == LIVE; }

cusolverStatus_t create(cusolverDnHandle_t *h) {
    *h = (cusolverDnHandle_t) new Handle{LIVE, nullptr};
    return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t set_stream(cusolverDnHandle_t h, cudaStream_t s) {
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    ((Handle *)h)->stream = s;
    return CUSOLVER_STATUS_SUCCESS;
}

/* cuSOLVER's argument checks common to every routine */
cusolverStatus_t args(cusolverDnHandle_t h, int m, int n, int lda) {
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || lda < (m > 1 ? m : 1)) return CUSOLVER_STATUS_INVALID_VALUE;
    return CUSOLVER_STATUS_SUCCESS;
}

char fill(cublasFillMode_t u) { return u == CUBLAS_FILL_MODE_UPPER ? 'U' : 'L'; }

/* one template per routine over float/double: the s- or d- LAPACKE call */
template <typename T> struct lp;
template <> struct lp<float> {
    static constexpr auto getrf = LAPACKE_sgetrf_work;
    static constexpr auto getrs = LAPACKE_sgetrs_work;
    static constexpr auto potrf = LAPACKE_spotrf_work;
    static constexpr auto geqrf = LAPACKE_sgeqrf_work;
    static constexpr auto orgqr = LAPACKE_sorgqr_work;
    static constexpr auto gesvd = LAPACKE_sgesvd;
    static constexpr auto syevd = LAPACKE_ssyevd;
};
template <> struct lp<double> {
    static constexpr auto getrf = LAPACKE_dgetrf_work;
    static constexpr auto getrs = LAPACKE_dgetrs_work;
    static constexpr auto potrf = LAPACKE_dpotrf_work;
    static constexpr auto geqrf = LAPACKE_dgeqrf_work;
    static constexpr auto orgqr = LAPACKE_dorgqr_work;
    static constexpr auto gesvd = LAPACKE_dgesvd;
    static constexpr auto syevd = LAPACKE_dsyevd;
};

constexpr int COL = LAPACK_COL_MAJOR;

template <typename T> cusolverStatus_t getrf_bs(cusolverDnHandle_t h, int m, int n, T *A, int lda, int *lw) {
    *lw = 1;
    return args(h, m, n, lda);
}
template <typename T>
cusolverStatus_t getrf(cusolverDnHandle_t h, int m, int n, T *A, int lda, T *work, int *ipiv, int *info) {
    cusolverStatus_t st = args(h, m, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS) *info = (m && n) ? lp<T>::getrf(COL, m, n, A, lda, ipiv) : 0;
    return st;
}
template <typename T>
cusolverStatus_t getrs(cusolverDnHandle_t h, cublasOperation_t t, int n, int nrhs, const T *A, int lda,
                       const int *ipiv, T *B, int ldb, int *info) {
    cusolverStatus_t st = args(h, n, nrhs, lda);
    if (st == CUSOLVER_STATUS_SUCCESS && ldb < (n > 1 ? n : 1)) st = CUSOLVER_STATUS_INVALID_VALUE;
    if (st == CUSOLVER_STATUS_SUCCESS)
        *info = (n && nrhs) ? lp<T>::getrs(COL, t == CUBLAS_OP_N ? 'N' : 'T', n, nrhs, A, lda, ipiv, B, ldb) : 0;
    return st;
}
template <typename T>
cusolverStatus_t potrf_bs(cusolverDnHandle_t h, cublasFillMode_t u, int n, T *A, int lda, int *lw) {
    *lw = 1;
    return args(h, n, n, lda);
}
template <typename T>
cusolverStatus_t potrf(cusolverDnHandle_t h, cublasFillMode_t u, int n, T *A, int lda, T *work, int lw,
                       int *info) {
    cusolverStatus_t st = args(h, n, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS) *info = n ? lp<T>::potrf(COL, fill(u), n, A, lda) : 0;
    return st;
}
template <typename T> cusolverStatus_t geqrf_bs(cusolverDnHandle_t h, int m, int n, T *A, int lda, int *lw) {
    cusolverStatus_t st = args(h, m, n, lda);
    T q = 0;
    if (st == CUSOLVER_STATUS_SUCCESS && m && n) lp<T>::geqrf(COL, m, n, A, lda, nullptr, &q, -1);
    *lw = (int)q + 1;
    return st;
}
template <typename T>
cusolverStatus_t geqrf(cusolverDnHandle_t h, int m, int n, T *A, int lda, T *tau, T *work, int lw, int *info) {
    cusolverStatus_t st = args(h, m, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS) *info = (m && n) ? lp<T>::geqrf(COL, m, n, A, lda, tau, work, lw) : 0;
    return st;
}
template <typename T>
cusolverStatus_t orgqr_bs(cusolverDnHandle_t h, int m, int n, int k, const T *A, int lda, const T *tau, int *lw) {
    cusolverStatus_t st = args(h, m, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS && (n > m || k > n || k < 0)) st = CUSOLVER_STATUS_INVALID_VALUE;
    T q = 0;
    if (st == CUSOLVER_STATUS_SUCCESS && m && n)
        lp<T>::orgqr(COL, m, n, k, const_cast<T *>(A), lda, tau, &q, -1);
    *lw = (int)q + 1;
    return st;
}
template <typename T>
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, T *A, int lda, const T *tau, T *work, int lw,
                       int *info) {
    cusolverStatus_t st = args(h, m, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS && (n > m || k > n || k < 0)) st = CUSOLVER_STATUS_INVALID_VALUE;
    if (st == CUSOLVER_STATUS_SUCCESS) *info = (m && n) ? lp<T>::orgqr(COL, m, n, k, A, lda, tau, work, lw) : 0;
    return st;
}
template <typename T> cusolverStatus_t gesvd_bs(cusolverDnHandle_t h, int m, int n, int *lw) {
    *lw = 1;
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    return m < n ? CUSOLVER_STATUS_INVALID_VALUE : CUSOLVER_STATUS_SUCCESS;
}
template <typename T>
cusolverStatus_t gesvd(cusolverDnHandle_t h, signed char ju, signed char jv, int m, int n, T *A, int lda, T *S,
                       T *U, int ldu, T *VT, int ldvt, T *work, int lw, T *rwork, int *info) {
    cusolverStatus_t st = args(h, m, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS && m < n) st = CUSOLVER_STATUS_INVALID_VALUE; /* cuSOLVER's limit */
    if (st == CUSOLVER_STATUS_SUCCESS)
        *info = (m && n) ? lp<T>::gesvd(COL, (char)ju, (char)jv, m, n, A, lda, S, U, ldu, VT, ldvt, rwork) : 0;
    return st;
}
template <typename T>
cusolverStatus_t syevd_bs(cusolverDnHandle_t h, cusolverEigMode_t j, cublasFillMode_t u, int n, const T *A, int lda,
                          const T *W, int *lw) {
    *lw = 1;
    return args(h, n, n, lda);
}
template <typename T>
cusolverStatus_t syevd(cusolverDnHandle_t h, cusolverEigMode_t j, cublasFillMode_t u, int n, T *A, int lda, T *W,
                       T *work, int lw, int *info) {
    cusolverStatus_t st = args(h, n, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS)
        *info = n ? lp<T>::syevd(COL, j == CUSOLVER_EIG_MODE_VECTOR ? 'V' : 'N', fill(u), n, A, lda, W) : 0;
    return st;
}

#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
struct Sym {
    const char *name;
    void *fn;
};
/* each entry checks at compile time that the emulation has the header's prototype */
#define SYM(name, fn) {CT_STR(name), (void *)static_cast<decltype(&name)>(fn)}
const Sym cusolver_syms[] = {
    SYM(cusolverDnCreate, &create),
    SYM(cusolverDnSetStream, &set_stream),
    SYM(cusolverDnSgetrf_bufferSize, &getrf_bs<float>),
    SYM(cusolverDnDgetrf_bufferSize, &getrf_bs<double>),
    SYM(cusolverDnSgetrf, &getrf<float>),
    SYM(cusolverDnDgetrf, &getrf<double>),
    SYM(cusolverDnSgetrs, &getrs<float>),
    SYM(cusolverDnDgetrs, &getrs<double>),
    SYM(cusolverDnSpotrf_bufferSize, &potrf_bs<float>),
    SYM(cusolverDnDpotrf_bufferSize, &potrf_bs<double>),
    SYM(cusolverDnSpotrf, &potrf<float>),
    SYM(cusolverDnDpotrf, &potrf<double>),
    SYM(cusolverDnSgeqrf_bufferSize, &geqrf_bs<float>),
    SYM(cusolverDnDgeqrf_bufferSize, &geqrf_bs<double>),
    SYM(cusolverDnSgeqrf, &geqrf<float>),
    SYM(cusolverDnDgeqrf, &geqrf<double>),
    SYM(cusolverDnSorgqr_bufferSize, &orgqr_bs<float>),
    SYM(cusolverDnDorgqr_bufferSize, &orgqr_bs<double>),
    SYM(cusolverDnSorgqr, &orgqr<float>),
    SYM(cusolverDnDorgqr, &orgqr<double>),
    SYM(cusolverDnSgesvd_bufferSize, &gesvd_bs<float>),
    SYM(cusolverDnDgesvd_bufferSize, &gesvd_bs<double>),
    SYM(cusolverDnSgesvd, &gesvd<float>),
    SYM(cusolverDnDgesvd, &gesvd<double>),
    SYM(cusolverDnSsyevd_bufferSize, &syevd_bs<float>),
    SYM(cusolverDnDsyevd_bufferSize, &syevd_bs<double>),
    SYM(cusolverDnSsyevd, &syevd<float>),
    SYM(cusolverDnDsyevd, &syevd<double>),
};

} // namespace

/* The emulated cuSOLVER entry point named name, or NULL. */
void *ct__cuda_emu_cusolver_sym(const char *name) {
    for (const Sym &s : cusolver_syms)
        if (!strcmp(s.name, name)) return s.fn;
    return nullptr;
}
