// Fused softmax / log_softmax on the GPU over a contiguous [outer, D, inner]
// block (the reduced dim in the middle): one pass for the max, one for the
// sum of exp(x - max), one to write; nothing materialised in between.
//   inner == 1 (the last dim, the common case): one block per row, the
//     row's max and sum by warp shuffles and shared memory;
//   inner > 1: one thread per (outer, inner) column, consecutive threads
//     on consecutive columns so the loads coalesce.
// Accumulates in the input's dtype for the max and in double for float64
// (float for float32), as PyTorch does.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/cuda_internal.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

template <typename T> __device__ __forceinline__ T warp_max(T v) {
    for (int off = 16; off > 0; off >>= 1) {
        T o = __shfl_xor_sync(0xffffffffu, v, off);
        v = (o > v || o != o) ? o : v;
    }
    return v;
}

template <typename T> __device__ __forceinline__ T warp_sum(T v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

// Every thread gets the block's max (is_max) or sum of v.
template <typename T> __device__ T block_all(T v, bool is_max) {
    __shared__ T sh[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = is_max ? warp_max(v) : warp_sum(v);
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    T r = lane < nwarps ? sh[lane] : (is_max ? (T)-INFINITY : (T)0);
    r = is_max ? warp_max(r) : warp_sum(r);
    __syncthreads(); // sh is reused by the next call
    return r;
}

template <typename T> __global__ void softmax_rows(const T *x, T *out, int64_t rows, int64_t D, int log) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T *xr = x + row * D;
        T *orow = out + row * D;
        T m = -INFINITY;
        for (int64_t j = threadIdx.x; j < D; j += blockDim.x) {
            T v = xr[j];
            m = (v > m || v != v) ? v : m;
        }
        m = block_all<T>(m, true);
        T s = 0;
        for (int64_t j = threadIdx.x; j < D; j += blockDim.x) s += exp(xr[j] - m);
        s = block_all<T>(s, false);
        if (log) {
            T ls = m + ::log(s);
            for (int64_t j = threadIdx.x; j < D; j += blockDim.x) orow[j] = xr[j] - ls;
        } else {
            T inv = (T)1 / s;
            for (int64_t j = threadIdx.x; j < D; j += blockDim.x) orow[j] = exp(xr[j] - m) * inv;
        }
    }
}

template <typename T>
__global__ void softmax_cols(const T *x, T *out, int64_t outer, int64_t D, int64_t inner, int log) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x, n = outer * inner;
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < n; c += stride) {
        int64_t o = c / inner, i = c % inner;
        const T *xc = x + o * D * inner + i;
        T *oc = out + o * D * inner + i;
        T m = -INFINITY;
        for (int64_t j = 0; j < D; j++) {
            T v = xc[j * inner];
            m = (v > m || v != v) ? v : m;
        }
        T s = 0;
        for (int64_t j = 0; j < D; j++) s += exp(xc[j * inner] - m);
        if (log) {
            T ls = m + ::log(s);
            for (int64_t j = 0; j < D; j++) oc[j * inner] = xc[j * inner] - ls;
        } else {
            T inv = (T)1 / s;
            for (int64_t j = 0; j < D; j++) oc[j * inner] = exp(xc[j * inner] - m) * inv;
        }
    }
}

unsigned grid_of(int64_t jobs) {
    const int64_t cap = 1 << 20;
    return (unsigned)(jobs < 1 ? 1 : jobs > cap ? cap : jobs);
}

template <typename T>
void launch(const void *x, void *out, int64_t outer, int64_t D, int64_t inner, int log, cudaStream_t st) {
    if (inner == 1) {
        int threads = D >= 1024 ? 1024 : D > 256 ? 256 : 128;
        CT_LAUNCH(softmax_rows<T>, grid_of(outer), threads, 0, st, (const T *)x, (T *)out, outer, D, log);
    } else {
        const int threads = 256;
        CT_LAUNCH(softmax_cols<T>, grid_of((outer * inner + threads - 1) / threads), threads, 0, st,
            (const T *)x, (T *)out, outer, D, inner, log);
    }
}

} // namespace

extern "C" int ct__cuda_softmax_launch(int dt, const void *x, void *out, int64_t outer, int64_t D,
                                       int64_t inner, int log) {
    if (outer <= 0 || D <= 0 || inner <= 0) return 0;
    cudaStream_t st = (cudaStream_t)ct__cuda_stream();
    if (dt == 9 /* float64 */) launch<double>(x, out, outer, D, inner, log, st);
    else launch<float>(x, out, outer, D, inner, log, st);
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (softmax kernel)", cudaGetErrorString(e));
    return -1;
}
