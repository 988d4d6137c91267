// Helper kernels of the GPU decompositions (host side: solver.c): identity
// fills, triangle clearing, determinants from LU factors, R of a QR and
// batched transposes. Matrices are column-major, one after another.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/solver_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { D_F32 = 8, D_F64 = 9 };

template <typename T> __global__ void eye_kernel(T *a, int64_t total, int64_t m, int64_t c) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t in = e % (m * c), col = in / m, i = in % m;
        a[e] = i == col ? (T)1 : (T)0;
    }
}

template <typename T> __global__ void zero_tri_kernel(T *a, int64_t total, int64_t n, int upper) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t in = e % (n * n), col = in / n, i = in % n;
        if (upper ? i > col : i < col) a[e] = 0;
    }
}

template <typename T>
__global__ void det_kernel(const T *lu, const int *ipiv, int64_t batch, int64_t n, T *sign, T *out) {
    int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= batch) return;
    const T *m = lu + b * n * n;
    const int *p = ipiv + b * n;
    T psign = 1, usign = 1, det = 1, logabs = 0;
    for (int64_t i = 0; i < n; i++) {
        T u = m[i * n + i];
        if (p[i] != i + 1) psign = -psign;
        if (u < 0) usign = -usign;
        det *= u;
        logabs += (T)log(fabs((double)u));
    }
    if (sign) { // slogdet: sign 0 and -inf for a singular matrix
        sign[b] = isnan(logabs) ? (T)NAN : (isinf(logabs) && logabs < 0) ? (T)0 : psign * usign;
        out[b] = logabs;
    } else {
        out[b] = psign * det;
    }
}

template <typename T>
__global__ void qr_r_kernel(const T *a, T *r, int64_t total, int64_t m, int64_t n, int64_t rrows) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t b = e / (rrows * n), in = e % (rrows * n), col = in / rrows, i = in % rrows;
        r[e] = i <= col && i < m ? a[b * m * n + col * m + i] : (T)0;
    }
}

template <typename T>
__global__ void transpose_kernel(const T *src, T *dst, int64_t total, int64_t rows, int64_t cols) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        // dst element (j, i) of a cols x rows matrix: e = b * rows * cols + i * cols + j
        int64_t b = e / (rows * cols), in = e % (rows * cols), i = in / cols, j = in % cols;
        dst[e] = src[b * rows * cols + j * rows + i];
    }
}

unsigned grid(int64_t n, int threads) {
    int64_t blocks = (n + threads - 1) / threads;
    return (unsigned)(blocks > (1 << 20) ? (1 << 20) : blocks < 1 ? 1 : blocks);
}

cudaStream_t cur() { return (cudaStream_t)ct__cuda_stream(); }

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s)", cudaGetErrorString(e), what);
    return -1;
}

} // namespace

extern "C" int ct__cuda_lak_eye(int dt, void *a, int64_t batch, int64_t m, int64_t c) {
    int64_t total = batch * m * c;
    if (total <= 0) return 0;
    if (dt == D_F32) CT_LAUNCH(eye_kernel<float>, grid(total, 256), 256, 0, cur(), (float *)a, total, m, c);
    else CT_LAUNCH(eye_kernel<double>, grid(total, 256), 256, 0, cur(), (double *)a, total, m, c);
    return launched("identity kernel");
}

extern "C" int ct__cuda_lak_zero_tri(int dt, void *a, int64_t batch, int64_t n, int upper) {
    int64_t total = batch * n * n;
    if (total <= 0) return 0;
    if (dt == D_F32) CT_LAUNCH(zero_tri_kernel<float>, grid(total, 256), 256, 0, cur(), (float *)a, total, n, upper);
    else CT_LAUNCH(zero_tri_kernel<double>, grid(total, 256), 256, 0, cur(), (double *)a, total, n, upper);
    return launched("triangle kernel");
}

extern "C" int ct__cuda_lak_det(int dt, const void *lu, const int *ipiv, int64_t batch, int64_t n,
                                void *sign, void *out) {
    if (batch <= 0) return 0;
    if (dt == D_F32)
        CT_LAUNCH(det_kernel<float>, grid(batch, 128), 128, 0, cur(), (const float *)lu, ipiv, batch, n, (float *)sign,
                                                        (float *)out);
    else
        CT_LAUNCH(det_kernel<double>, grid(batch, 128), 128, 0, cur(), (const double *)lu, ipiv, batch, n,
                                                        (double *)sign, (double *)out);
    return launched("determinant kernel");
}

extern "C" int ct__cuda_lak_qr_r(int dt, const void *a, void *r, int64_t batch, int64_t m, int64_t n,
                                 int64_t rrows) {
    int64_t total = batch * rrows * n;
    if (total <= 0) return 0;
    if (dt == D_F32)
        CT_LAUNCH(qr_r_kernel<float>, grid(total, 256), 256, 0, cur(), (const float *)a, (float *)r, total, m, n, rrows);
    else
        CT_LAUNCH(qr_r_kernel<double>, grid(total, 256), 256, 0, cur(), (const double *)a, (double *)r, total, m, n,
                                                         rrows);
    return launched("qr kernel");
}

extern "C" int ct__cuda_lak_transpose(int dt, const void *src, void *dst, int64_t batch, int64_t rows,
                                      int64_t cols) {
    int64_t total = batch * rows * cols;
    if (total <= 0) return 0;
    if (dt == D_F32)
        CT_LAUNCH(transpose_kernel<float>, grid(total, 256), 256, 0, cur(), (const float *)src, (float *)dst, total, rows,
                                                              cols);
    else
        CT_LAUNCH(transpose_kernel<double>, grid(total, 256), 256, 0, cur(), (const double *)src, (double *)dst, total,
                                                              rows, cols);
    return launched("transpose kernel");
}
