// Reductions on the GPU: one generic kernel over the split of x's index
// space into kept dims (one output each) and reduced dims. Three shapes of
// launch, chosen by reduce.c:
//   - small ranges (nred <= CT_CUDA_RED_SMALL): one thread per output;
//   - otherwise one block per (output, group): threads stride over the
//     group's part of the reduced range, then a warp-shuffle + shared
//     memory block reduction;
//   - groups > 1 (few outputs, long ranges): the partial states go to a
//     scratch array and a second pass folds them, so the result needs no
//     atomics and does not depend on timing.
// Same kinds and semantics as src/kernels/cpu/reduce.c (NaN wins max/min,
// argmax/argmin keep the first index, integer sums and products wrap).
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <type_traits>

#include "cuda/cuda_internal.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

// ct_rkind and ct_rpost (ops/reduce_internal.h; checked in reduce.c)
enum { K_SUM, K_SQDEV, K_EXPDEV, K_ABS, K_POW, K_NZ, K_PROD, K_MAX, K_MIN, K_ABSMAX, K_ABSMIN,
       K_ARGMAX, K_ARGMIN };
enum { P_NONE, P_SCALE, P_SQRT, P_LOG, P_ROOT, P_ANY, P_ALL };
enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

const long long NO_INDEX = 0x7fffffffffffffffLL;

template <typename A> __device__ __forceinline__ A identity(int kind) {
    if constexpr (std::is_floating_point<A>::value) {
        switch (kind) {
        case K_PROD: return 1;
        case K_MAX: case K_ARGMAX: return -INFINITY;
        case K_MIN: case K_ABSMIN: case K_ARGMIN: return INFINITY;
        default: return 0;
        }
    } else {
        switch (kind) {
        case K_PROD: return 1;
        case K_MAX: case K_ARGMAX: return (A)(-0x7fffffffffffffffLL - 1);
        case K_MIN: case K_ARGMIN: return (A)0x7fffffffffffffffLL;
        default: return 0;
        }
    }
}

// The value an element contributes (the CPU kernel's map of each kind).
template <typename A, typename T> __device__ __forceinline__ A map(int kind, T x, A c, double p) {
    if constexpr (std::is_floating_point<A>::value) {
        A v = (A)x;
        switch (kind) {
        case K_SQDEV: return (v - c) * (v - c);
        case K_EXPDEV: return exp(v - c);
        case K_ABS: case K_ABSMAX: case K_ABSMIN: return fabs(v);
        case K_POW: return pow(fabs(v), (A)p);
        default: return v;
        }
    } else {
        if (kind == K_NZ) return (A)(x != T(0));
        return (A)x;
    }
}

// a (with index ia) = fold(a, b); every fold is associative and
// commutative up to rounding, and ties in the arg kinds go to the smaller
// index, so the grouping does not change extremes or indices.
template <typename A> __device__ __forceinline__ void combine(int kind, A &a, long long &ia, A b,
                                                              long long ib) {
    switch (kind) {
    case K_PROD:
        if constexpr (std::is_floating_point<A>::value) a = a * b;
        else a = (A)((unsigned long long)a * (unsigned long long)b);
        return;
    case K_MAX: case K_ABSMAX:
        if (!(a != a) && (b != b || b > a)) a = b;
        return;
    case K_MIN: case K_ABSMIN:
        if (!(a != a) && (b != b || b < a)) a = b;
        return;
    case K_ARGMAX: case K_ARGMIN: {
        bool an = a != a, bn = b != b, take;
        if (an || bn) take = (an && bn) ? ib < ia : bn;
        else take = (kind == K_ARGMAX ? b > a : b < a) || (b == a && ib < ia);
        if (take) {
            a = b;
            ia = ib;
        }
        return;
    }
    default:
        if constexpr (std::is_floating_point<A>::value) a = a + b;
        else a = (A)((unsigned long long)a + (unsigned long long)b);
        return;
    }
}

__device__ __forceinline__ void store_f64(void *p, int dt, double v) {
    switch (dt) {
    case D_BOOL: *(bool *)p = v != 0; break;
    case D_U8: *(uint8_t *)p = (uint8_t)(int64_t)v; break;
    case D_I8: *(int8_t *)p = (int8_t)(int64_t)v; break;
    case D_I16: *(int16_t *)p = (int16_t)(int64_t)v; break;
    case D_I32: *(int32_t *)p = (int32_t)(int64_t)v; break;
    case D_I64: *(int64_t *)p = (int64_t)v; break;
    case D_F16: *(__half *)p = __float2half((float)v); break;
    case D_BF16: *(__nv_bfloat16 *)p = __float2bfloat16((float)v); break;
    case D_F32: *(float *)p = (float)v; break;
    default: *(double *)p = v; break;
    }
}

__device__ __forceinline__ void store_i64(void *p, int dt, long long v) {
    switch (dt) {
    case D_BOOL: *(bool *)p = v != 0; break;
    case D_U8: *(uint8_t *)p = (uint8_t)v; break;
    case D_I8: *(int8_t *)p = (int8_t)v; break;
    case D_I16: *(int16_t *)p = (int16_t)v; break;
    case D_I32: *(int32_t *)p = (int32_t)v; break;
    case D_I64: *(int64_t *)p = (int64_t)v; break;
    default: store_f64(p, dt, (double)v); break;
    }
}

__device__ __forceinline__ int dsize(int dt) {
    const int sz[] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
    return sz[dt];
}

// Writes output o from its final state (the post step of ops/reduce.c).
template <typename A> __device__ void finish(const ct_cuda_red &a, int64_t o, A v, long long vi) {
    char *p = (char *)a.out + o * dsize(a.out_dt);
    if constexpr (std::is_floating_point<A>::value) {
        double d = v;
        switch (a.post) {
        case P_SCALE: d = d * a.s; break;
        case P_SQRT: d = sqrt(d * a.s); break;
        case P_LOG: d = log(d) + (a.centre ? a.centre[o] : 0.0); break;
        case P_ROOT: d = pow(d, 1.0 / a.s); break;
        default: break;
        }
        store_f64(p, a.out_dt, d);
    } else {
        switch (a.post) {
        case P_ANY: store_i64(p, a.out_dt, v != 0); break;
        case P_ALL: store_i64(p, a.out_dt, (unsigned long long)v == (unsigned long long)a.s); break;
        case P_SCALE: store_f64(p, a.out_dt, (double)v * a.s); break;
        default: store_i64(p, a.out_dt, v); break;
        }
    }
    if (a.idx) a.idx[o] = vi;
}

__device__ __forceinline__ int64_t kept_offset(const ct_cuda_red &a, int64_t o) {
    int64_t off = 0;
    for (int d = a.nk - 1; d >= 0; d--) {
        off += (o % a.ksizes[d]) * a.kstrides[d];
        o /= a.ksizes[d];
    }
    return off;
}

__device__ __forceinline__ int64_t red_offset(const ct_cuda_red &a, int64_t r) {
    if (a.nr == 1) return r * a.rstrides[0];
    int64_t off = 0;
    for (int d = a.nr - 1; d >= 0; d--) {
        off += (r % a.rsizes[d]) * a.rstrides[d];
        r /= a.rsizes[d];
    }
    return off;
}

template <typename A> __device__ __forceinline__ void warp_fold(int kind, A &v, long long &i) {
    for (int off = 16; off > 0; off >>= 1) {
        A v2 = __shfl_down_sync(0xffffffffu, v, off);
        long long i2 = __shfl_down_sync(0xffffffffu, i, off);
        combine(kind, v, i, v2, i2);
    }
}

// Folds the states of a block (blockDim.x a multiple of 32, <= 1024) into
// thread 0's; every thread of the block must call it.
template <typename A> __device__ void block_fold(int kind, A &v, long long &i) {
    __shared__ A sv[32];
    __shared__ long long si[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    warp_fold(kind, v, i);
    if (lane == 0) {
        sv[warp] = v;
        si[warp] = i;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < nwarps ? sv[lane] : identity<A>(kind);
        i = lane < nwarps ? si[lane] : NO_INDEX;
        warp_fold(kind, v, i);
    }
    __syncthreads(); // sv/si are reused by the block's next output
}

template <typename T, typename A> __global__ void reduce_small(const ct_cuda_red a) {
    const T *x = (const T *)a.x;
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < a.nout; o += stride) {
        int64_t base = kept_offset(a, o);
        A c = a.centre ? (A)a.centre[o] : A(0);
        A v = identity<A>(a.kind);
        long long vi = NO_INDEX;
        for (int64_t r = 0; r < a.nred; r++)
            combine(a.kind, v, vi, map<A, T>(a.kind, x[base + red_offset(a, r)], c, a.p), (long long)r);
        finish<A>(a, o, v, vi);
    }
}

template <typename T, typename A> __global__ void reduce_blocks(const ct_cuda_red a) {
    const T *x = (const T *)a.x;
    int64_t chunk = (a.nred + a.groups - 1) / a.groups, jobs = a.nout * a.groups;
    for (int64_t job = blockIdx.x; job < jobs; job += gridDim.x) {
        int64_t o = job / a.groups, g = job % a.groups;
        int64_t base = kept_offset(a, o);
        A c = a.centre ? (A)a.centre[o] : A(0);
        A v = identity<A>(a.kind);
        long long vi = NO_INDEX;
        int64_t r1 = (g + 1) * chunk < a.nred ? (g + 1) * chunk : a.nred;
        for (int64_t r = g * chunk + threadIdx.x; r < r1; r += blockDim.x)
            combine(a.kind, v, vi, map<A, T>(a.kind, x[base + red_offset(a, r)], c, a.p), (long long)r);
        block_fold<A>(a.kind, v, vi);
        if (threadIdx.x == 0) {
            if (a.groups == 1) {
                finish<A>(a, o, v, vi);
            } else {
                ((A *)a.part)[job] = v;
                if (a.part_idx) a.part_idx[job] = vi;
            }
        }
    }
}

template <typename A> __global__ void reduce_partials(const ct_cuda_red a) {
    const A *part = (const A *)a.part;
    for (int64_t o = blockIdx.x; o < a.nout; o += gridDim.x) {
        A v = identity<A>(a.kind);
        long long vi = NO_INDEX;
        for (int64_t g = threadIdx.x; g < a.groups; g += blockDim.x)
            combine(a.kind, v, vi, part[o * a.groups + g], a.part_idx ? (long long)a.part_idx[o * a.groups + g] : NO_INDEX);
        block_fold<A>(a.kind, v, vi);
        if (threadIdx.x == 0) finish<A>(a, o, v, vi);
    }
}

unsigned grid_of(int64_t jobs) {
    const int64_t cap = 1 << 20;
    return (unsigned)(jobs < 1 ? 1 : jobs > cap ? cap : jobs);
}

template <typename T, typename A> void launch(const ct_cuda_red &a, cudaStream_t st) {
    const int threads = 256;
    if (a.nred <= CT_CUDA_RED_SMALL) {
        CT_LAUNCH((reduce_small<T, A>), grid_of((a.nout + threads - 1) / threads), threads, 0, st, a);
        return;
    }
    CT_LAUNCH((reduce_blocks<T, A>), grid_of(a.nout * a.groups), threads, 0, st, a);
    if (a.groups > 1) CT_LAUNCH(reduce_partials<A>, grid_of(a.nout), threads, 0, st, a);
}

} // namespace

extern "C" int ct__cuda_reduce_launch(const ct_cuda_red *a) {
    if (a->nout <= 0 || a->nred <= 0) return 0;
    cudaStream_t st = (cudaStream_t)ct__cuda_stream();
    if (a->int_acc) {
        switch (a->in_dt) {
        case D_BOOL: launch<bool, long long>(*a, st); break;
        case D_U8: launch<uint8_t, long long>(*a, st); break;
        case D_I8: launch<int8_t, long long>(*a, st); break;
        case D_I16: launch<int16_t, long long>(*a, st); break;
        case D_I32: launch<int32_t, long long>(*a, st); break;
        case D_I64: launch<int64_t, long long>(*a, st); break;
        case D_F32: launch<float, long long>(*a, st); break; // counts of a float input
        case D_F64: launch<double, long long>(*a, st); break;
        default: ct_set_error(1, "reduce: dtype %d not supported on CUDA", a->in_dt); return -1;
        }
    } else {
        switch (a->in_dt) {
        case D_F32: launch<float, double>(*a, st); break;
        case D_F64: launch<double, double>(*a, st); break;
        default: ct_set_error(1, "reduce: dtype %d not supported on CUDA", a->in_dt); return -1;
        }
    }
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (reduction kernel)", cudaGetErrorString(e));
    return -1;
}
