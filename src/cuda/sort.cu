// Sorts and scans on the GPU (sort_kern.h).
//
// Sort: a bitonic network over (key, index) pairs. The order compares keys
// (NaN above every number, reversed when descending) and then indices, so
// it is a strict total order whose sorted sequence is the stable sort of
// the row: ties keep their index order, like the CPU's merge sort. Rows are
// padded to a power of two P with pad entries that sort after everything.
//   P <= CT_CUDA_SORT_SMALL: one block per row, the row in shared memory;
//   otherwise: the row's pairs in global scratch, one launch per network
//     step (log2(P) * (log2(P) + 1) / 2 launches), then a copy-out.
// Scan: one thread per (outer, inner) line walking L sequentially, as the
// CPU's loops do (the same accumulation order); consecutive threads take
// consecutive inner positions, so loads coalesce when inner > 1.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/sort_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

cudaStream_t stream() { return (cudaStream_t)ct__cuda_stream(); }

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s kernel launch)", cudaGetErrorString(e), what);
        return -1;
    }
    return 0;
}

// -1, 0, 1; NaN above every number and equal to NaN.
template <typename T> __device__ __forceinline__ int cmp_key(T a, T b) {
    bool an = a != a, bn = b != b; // false for integers
    if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
    return a < b ? -1 : (b < a ? 1 : 0);
}

// True when (ka, ia) comes strictly before (kb, ib); ia < 0 marks padding,
// which comes after every real entry.
template <typename T>
__device__ __forceinline__ bool before(T ka, int64_t ia, T kb, int64_t ib, int desc) {
    if (ia < 0) return false;
    if (ib < 0) return true;
    int c = cmp_key(ka, kb);
    if (desc) c = -c;
    return c < 0 || (c == 0 && ia < ib);
}

// Pair q of the step (k, j) of the network: positions i < l = i + j.
__device__ __forceinline__ void pair_of(int64_t q, int64_t j, int64_t *i, int64_t *l) {
    *i = (q / j) * 2 * j + (q % j);
    *l = *i + j;
}

template <typename T>
__device__ __forceinline__ void order_pair(T *key, int64_t *ix, int64_t i, int64_t l, int64_t k, int desc) {
    bool up = (i & k) == 0; // this run ends up in the network's order, else reversed
    bool sw = up ? before(key[l], ix[l], key[i], ix[i], desc) : before(key[i], ix[i], key[l], ix[l], desc);
    if (sw) {
        T tk = key[i];
        key[i] = key[l];
        key[l] = tk;
        int64_t ti = ix[i];
        ix[i] = ix[l];
        ix[l] = ti;
    }
}

template <typename T>
__global__ void __launch_bounds__(1024) sort_small(const T *x, T *vals, int64_t *idx, int64_t rows, int64_t n, int64_t P, int desc) {
    CT_DYNAMIC_SHARED(int64_t, smem); // P indices, then P keys
    int64_t *six = smem;
    T *skey = (T *)(smem + P);
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T *xr = x + row * n;
        for (int64_t i = threadIdx.x; i < P; i += blockDim.x) {
            six[i] = i < n ? i : -1;
            skey[i] = i < n ? xr[i] : T(0);
        }
        __syncthreads();
        for (int64_t k = 2; k <= P; k <<= 1)
            for (int64_t j = k >> 1; j > 0; j >>= 1) {
                for (int64_t q = threadIdx.x; q < P / 2; q += blockDim.x) {
                    int64_t i, l;
                    pair_of(q, j, &i, &l);
                    order_pair(skey, six, i, l, k, desc);
                }
                __syncthreads();
            }
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            idx[row * n + i] = six[i];
            if (vals) vals[row * n + i] = skey[i];
        }
        __syncthreads(); // shared memory is refilled for the next row
    }
}

template <typename T>
__global__ void sort_fill(const T *x, T *key, int64_t *ix, int64_t rows, int64_t n, int64_t P) {
    int64_t total = rows * P;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / P, i = t % P;
        ix[t] = i < n ? i : -1;
        key[t] = i < n ? x[r * n + i] : T(0);
    }
}

template <typename T>
__global__ void sort_step(T *key, int64_t *ix, int64_t rows, int64_t P, int64_t k, int64_t j, int desc) {
    int64_t half = P / 2, total = rows * half;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / half, i, l;
        pair_of(t % half, j, &i, &l);
        order_pair(key + r * P, ix + r * P, i, l, k, desc);
    }
}

template <typename T>
__global__ void sort_out(const T *key, const int64_t *ix, T *vals, int64_t *idx, int64_t rows, int64_t n, int64_t P) {
    int64_t total = rows * n;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / n, i = t % n;
        idx[t] = ix[r * P + i];
        if (vals) vals[t] = key[r * P + i];
    }
}

unsigned grid_for(int64_t work, int threads) {
    int64_t b = (work + threads - 1) / threads;
    if (b < 1) b = 1;
    if (b > 65535 * 16) b = 65535 * 16;
    return (unsigned)b;
}

template <typename T>
int sort_t(const void *xv, void *valsv, int64_t *idx, int64_t rows, int64_t n, int desc, void *keysv, int64_t *ix) {
    const T *x = (const T *)xv;
    T *vals = (T *)valsv;
    int64_t P = ct__cuda_pow2(n);
    if (P <= CT_CUDA_SORT_SMALL) {
        int threads = P / 2 < 32 ? 32 : (int)(P / 2); // P / 2 pairs per step; at most 1024
        size_t sh = (size_t)P * (sizeof(int64_t) + sizeof(T));
        unsigned blocks = (unsigned)(rows < 65535 * 16 ? rows : 65535 * 16);
        CT_LAUNCH(sort_small<T>, blocks, threads, sh, stream(), x, vals, idx, rows, n, P, desc);
        return launched("sort");
    }
    T *key = (T *)keysv;
    const int th = 256;
    CT_LAUNCH(sort_fill<T>, grid_for(rows * P, th), th, 0, stream(), x, key, ix, rows, n, P);
    if (launched("sort") < 0) return -1;
    for (int64_t k = 2; k <= P; k <<= 1)
        for (int64_t j = k >> 1; j > 0; j >>= 1) {
            CT_LAUNCH(sort_step<T>, grid_for(rows * (P / 2), th), th, 0, stream(), key, ix, rows, P, k, j, desc);
            if (launched("sort") < 0) return -1;
        }
    CT_LAUNCH(sort_out<T>, grid_for(rows * n, th), th, 0, stream(), key, ix, vals, idx, rows, n, P);
    return launched("sort");
}

// ---------------------------------------------------------------- scans

template <typename T, typename ACC>
__global__ void scan_arith(const T *x, T *out, int64_t outer, int64_t L, int64_t inner, int prod) {
    int64_t lines = outer * inner;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < lines;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t base = (t / inner) * L * inner + t % inner;
        ACC acc = prod ? (ACC)1 : (ACC)0;
        for (int64_t i = 0; i < L; i++) {
            int64_t p = base + i * inner;
            if (prod) acc = acc * (ACC)x[p];
            else acc = acc + (ACC)x[p];
            out[p] = (T)acc;
        }
    }
}

// cummax (mx) / cummin: ties move the index forward, a NaN sticks.
template <typename T>
__global__ void scan_ext(const T *x, T *out, int64_t *idx, int64_t outer, int64_t L, int64_t inner, int mx) {
    int64_t lines = outer * inner;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < lines;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t base = (t / inner) * L * inner + t % inner;
        T best = x[base];
        int64_t bi = 0;
        for (int64_t i = 0; i < L; i++) {
            int64_t p = base + i * inner;
            T v = x[p];
            bool better = mx ? (v >= best || v != v) : (v <= best || v != v);
            if (better) {
                best = v;
                bi = i;
            }
            out[p] = best;
            idx[p] = bi;
        }
    }
}

template <typename T, typename ACC>
int scan_t(int kind, const void *x, void *out, int64_t *idx, int64_t outer, int64_t L, int64_t inner) {
    const int th = 256;
    unsigned g = grid_for(outer * inner, th);
    if (kind <= 1)
        CT_LAUNCH((scan_arith<T, ACC>), g, th, 0, stream(), (const T *)x, (T *)out, outer, L, inner, kind == 1);
    else
        CT_LAUNCH(scan_ext<T>, g, th, 0, stream(), (const T *)x, (T *)out, idx, outer, L, inner, kind == 2);
    return launched("scan");
}

} // namespace

extern "C" int ct__cuda_sort_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                                    int desc, void *keys, int64_t *ix) {
    if (rows <= 0 || n <= 0) return 0;
    switch (dt) {
    case D_BOOL: return sort_t<bool>(x, vals, idx, rows, n, desc, keys, ix);
    case D_U8: return sort_t<uint8_t>(x, vals, idx, rows, n, desc, keys, ix);
    case D_I8: return sort_t<int8_t>(x, vals, idx, rows, n, desc, keys, ix);
    case D_I16: return sort_t<int16_t>(x, vals, idx, rows, n, desc, keys, ix);
    case D_I32: return sort_t<int32_t>(x, vals, idx, rows, n, desc, keys, ix);
    case D_I64: return sort_t<int64_t>(x, vals, idx, rows, n, desc, keys, ix);
    case D_F32: return sort_t<float>(x, vals, idx, rows, n, desc, keys, ix);
    case D_F64: return sort_t<double>(x, vals, idx, rows, n, desc, keys, ix);
    }
    ct_set_error(3 /* CT_ERR_TYPE */, "sort: dtype %d has no CUDA kernel", dt);
    return -1;
}

extern "C" int ct__cuda_scan_launch(int dt, int kind, const void *x, void *out, int64_t *idx, int64_t outer,
                                    int64_t L, int64_t inner) {
    if (outer <= 0 || L <= 0 || inner <= 0) return 0;
    switch (dt) {
    case D_BOOL: return scan_t<bool, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_U8: return scan_t<uint8_t, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_I8: return scan_t<int8_t, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_I16: return scan_t<int16_t, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_I32: return scan_t<int32_t, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_I64: return scan_t<int64_t, uint64_t>(kind, x, out, idx, outer, L, inner);
    case D_F32: return scan_t<float, double>(kind, x, out, idx, outer, L, inner);
    case D_F64: return scan_t<double, double>(kind, x, out, idx, outer, L, inner);
    }
    ct_set_error(3 /* CT_ERR_TYPE */, "scan: dtype %d has no CUDA kernel", dt);
    return -1;
}
