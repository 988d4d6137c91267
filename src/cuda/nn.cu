// The nn family's kernels: the weight gradient of embedding (a thread per
// (row, column) summing that row's positions in their sorted order, so the
// result does not depend on scheduling), embedding_bag's forward (a thread
// per (bag, column), the CPU kernel's loop) and the inverse-CDF transform of
// trunc_normal_ (erfinv by the same rational approximation and two Newton
// steps as src/nn/init.c). Plain CUDA C++: no atomics needed.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "cuda/nn_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

unsigned grid_of(int64_t n) {
    int64_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 * 8 ? 65535 * 8 : b);
}

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s kernel launch)", cudaGetErrorString(e), what);
    return -1;
}

template <typename T>
__global__ void emb_bwd_kernel(const T *g, const int64_t *order, const int64_t *start, int64_t num,
                               int64_t D, int64_t pad, int scaled, T *out) {
    int64_t n = num * D;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < n;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e / D, d = e - r * D;
        int64_t b = start[r], en = start[r + 1];
        T acc = 0;
        if (r != pad && b < en) {
            T scale = scaled ? (T)(1.0 / (double)(en - b)) : (T)1;
            for (int64_t k = b; k < en; k++) {
                T v = g[order[k] * D + d];
                acc += scaled ? v * scale : v;
            }
        }
        out[e] = acc;
    }
}

template <typename T>
__global__ void emb_bag_kernel(const T *w, const int64_t *idx, const int64_t *bounds, const T *ps,
                               int64_t B, int64_t D, int mode, int64_t pad, T *out, int64_t *mi) {
    int64_t n = B * D;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < n;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = e / D, d = e - b * D;
        T acc = 0;
        int64_t arg = -1, cnt = 0;
        for (int64_t i = bounds[b]; i < bounds[b + 1]; i++) {
            int64_t r = idx[i];
            if (r == pad) continue;
            T v = w[r * D + d];
            cnt++;
            if (mode == 2) {
                if (cnt == 1 || v > acc) acc = v, arg = r;
            } else {
                acc += ps ? v * ps[i] : v;
            }
        }
        if (mode == 1 && cnt > 0) acc *= (T)1 / (T)cnt;
        out[e] = acc;
        if (mi) mi[e] = arg;
    }
}

template <typename T> __device__ T erfinv_t(T y) {
    const T a[4] = {(T)0.886226899, (T)-1.645349621, (T)0.914624893, (T)-0.140543331};
    const T b[4] = {(T)-2.118377725, (T)1.442710462, (T)-0.329097515, (T)0.012229801};
    const T c[4] = {(T)-1.970840454, (T)-1.624906493, (T)3.429567803, (T)1.641345311};
    const T dd[2] = {(T)3.543889200, (T)1.637067800};
    T ya = fabs(y), x, z, num, dem;
    if (ya > (T)1) return (T)NAN;
    if (ya == (T)1) return copysign((T)INFINITY, y);
    if (ya <= (T)0.7) {
        z = y * y;
        num = ((a[3] * z + a[2]) * z + a[1]) * z + a[0];
        dem = ((((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + (T)1.0);
        x = y * num / dem;
    } else {
        z = sqrt(-log(((T)1.0 - ya) / (T)2.0));
        num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0];
        dem = (dd[1] * z + dd[0]) * z + (T)1.0;
        x = copysign(num, y) / dem;
    }
    const T k = (T)2.0 / (T)sqrt(3.14159265358979323846);
    x = x - (erf(x) - y) / (k * exp(-x * x));
    x = x - (erf(x) - y) / (k * exp(-x * x));
    return x;
}

template <typename T>
__global__ void trunc_normal_kernel(T *x, int64_t n, double mean, double scale, double lo, double hi) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        T v = erfinv_t<T>(x[i]);
        v = v * (T)scale;
        v = v + (T)mean;
        if (v < (T)lo) v = (T)lo;
        if (v > (T)hi) v = (T)hi;
        x[i] = v;
    }
}

} // namespace

extern "C" int ct__cuda_emb_bwd_launch(int f64, const void *g, const int64_t *order, const int64_t *start,
                                       int64_t num, int64_t D, int64_t pad, int scaled, void *out) {
    int64_t n = num * D;
    if (n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (f64)
        CT_LAUNCH(emb_bwd_kernel<double>, grid_of(n), 256, 0, s, (const double *)g, order, start, num, D, pad,
                                                          scaled, (double *)out);
    else
        CT_LAUNCH(emb_bwd_kernel<float>, grid_of(n), 256, 0, s, (const float *)g, order, start, num, D, pad,
                                                         scaled, (float *)out);
    return launched("embedding_dense_backward");
}

extern "C" int ct__cuda_emb_bag_launch(int f64, const void *w, const int64_t *idx, const int64_t *bounds,
                                       const void *psw, int64_t B, int64_t D, int mode, int64_t pad,
                                       void *out, int64_t *mi) {
    int64_t n = B * D;
    if (n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (f64)
        CT_LAUNCH(emb_bag_kernel<double>, grid_of(n), 256, 0, s, (const double *)w, idx, bounds,
                                                          (const double *)psw, B, D, mode, pad,
                                                          (double *)out, mi);
    else
        CT_LAUNCH(emb_bag_kernel<float>, grid_of(n), 256, 0, s, (const float *)w, idx, bounds, (const float *)psw,
                                                         B, D, mode, pad, (float *)out, mi);
    return launched("embedding_bag");
}

extern "C" int ct__cuda_trunc_normal_launch(int f64, void *x, int64_t n, double mean, double scale,
                                            double lo, double hi) {
    if (n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (f64) CT_LAUNCH(trunc_normal_kernel<double>, grid_of(n), 256, 0, s, (double *)x, n, mean, scale, lo, hi);
    else CT_LAUNCH(trunc_normal_kernel<float>, grid_of(n), 256, 0, s, (float *)x, n, mean, scale, lo, hi);
    return launched("trunc_normal_");
}
