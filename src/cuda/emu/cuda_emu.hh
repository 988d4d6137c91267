/* The CUDA C++ language for the CPU emulator (`make test-cuda-emu`): the
 * .cu files of src/cuda are compiled by g++ with this header force-included
 * (-include), and their kernels run on the host (src/cuda/emu/fiber.cc).
 *
 * Threads of a block are cooperative fibers: a thread runs until it reaches
 * __syncthreads() or a warp operation (__shfl_*_sync, __syncwarp, votes);
 * the barrier releases when every live thread of the block (of the warp)
 * has arrived. Blocks run one after another. __shared__ variables are
 * thread_local statics (one block at a time per host thread); dynamic
 * shared memory is CT_DYNAMIC_SHARED (src/cuda/launch.h). Atomics are real
 * (__atomic builtins). The runtime API is emulated in cudart_emu.cc; the
 * real CUDA headers give the types and prototypes. */
#ifndef CTORCH_CUDA_EMU_H
#define CTORCH_CUDA_EMU_H

#ifdef __CUDACC__
#error "cuda_emu.hh is for the CPU emulator build (g++), not for nvcc"
#endif

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>

/* ---------------------------------------------------------------- qualifiers */
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __constant__
#undef __forceinline__
#undef __noinline__
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif
#undef __grid_constant__
#define __grid_constant__
/* block-scope thread_local is static: one copy per host thread, and a host
 * thread runs one block at a time */
#define __shared__ thread_local

/* ---------------------------------------------------------------- built-in variables */
/* (the default TLS model: the library may be dlopen()ed, as by Python) */
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
constexpr int warpSize = 32;

namespace ct_emu {

/* fiber.cc: barriers and the warp exchange slots of the running block */
void syncthreads();
void warp_barrier();
/* publishes v in this thread's slot and waits for the warp: the warp's slots
 * (lane 0 first) and *nlanes, the lanes the warp has */
const uint64_t *warp_publish(uint64_t v, int *lane, int *nlanes);
void *dynamic_shared();

/* src is a lane of the warp, or out of range: the caller's own value */
template <typename T> inline T shfl_from(T v, int src_of(int lane, void *), void *arg) {
    static_assert(sizeof(T) <= 8, "warp shuffle of a type above 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    int lane, n;
    const uint64_t *slots = warp_publish(bits, &lane, &n);
    int src = src_of(lane, arg);
    T r = v;
    if (src >= 0 && src < n) memcpy(&r, &slots[src], sizeof(T));
    warp_barrier(); /* every lane has read before the slots are reused */
    return r;
}

struct shfl_arg {
    int k, width;
};

template <typename T> inline T atomic_fadd(T *p, T v) { /* float / double: CAS on the bits */
    using B = typename std::conditional<sizeof(T) == 4, uint32_t, uint64_t>::type;
    B *w = reinterpret_cast<B *>(p);
    B old = __atomic_load_n(w, __ATOMIC_RELAXED), next;
    do {
        T o, n;
        memcpy(&o, &old, sizeof o);
        n = o + v;
        memcpy(&next, &n, sizeof next);
    } while (!__atomic_compare_exchange_n(w, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    T o;
    memcpy(&o, &old, sizeof o);
    return o;
}

/* kernel launches (CT_LAUNCH in src/cuda/launch.h) */
void run_grid(const char *name, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream,
              void (*body)(void *), void *ctx, const void *const *ptrs, int nptr);

template <typename T> inline void ptr_arg(const void **out, int *n, const T &v) {
    if constexpr (std::is_pointer<T>::value) out[(*n)++] = (const void *)v;
}

/* The parameters of a launch, converted to the kernel's parameter types at
 * the call site exactly as a call converts them (NULL and 0 to pointers,
 * narrowing of integers): packer(kernel)(args...). */
template <typename... P> struct Packer {
    std::tuple<typename std::decay<P>::type...> operator()(P... p) const { return {p...}; }
};
template <typename... P> Packer<P...> packer(void (*)(P...)) { return {}; }

template <typename... P>
void launch(const char *name, void (*k)(P...), dim3 grid, dim3 block, size_t shmem, cudaStream_t stream,
            std::tuple<typename std::decay<P>::type...> params) {
    using Tup = std::tuple<typename std::decay<P>::type...>;
    const void *ptrs[sizeof...(P) + 1] = {};
    int np = 0;
    std::apply([&](const auto &...v) { (ptr_arg(ptrs, &np, v), ...); }, params);
    struct Ctx {
        void (*k)(P...);
        Tup *p;
    } ctx{k, &params};
    /* every thread gets its own copy of the parameters, as on a GPU */
    run_grid(name, grid, block, shmem, stream,
             [](void *c) {
                 Ctx *x = static_cast<Ctx *>(c);
                 Tup mine = *x->p;
                 std::apply(x->k, mine);
             },
             &ctx, ptrs, np);
}

} // namespace ct_emu

/* ---------------------------------------------------------------- synchronization */
inline void __syncthreads() { ct_emu::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { (void)mask; ct_emu::warp_barrier(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

template <typename T> inline T __shfl_sync(unsigned mask, T v, int src, int width = warpSize) {
    ct_emu::shfl_arg a{src, width};
    return ct_emu::shfl_from(v, [](int lane, void *p) {
        auto *q = static_cast<ct_emu::shfl_arg *>(p);
        return (lane & ~(q->width - 1)) + (q->k & (q->width - 1));
    }, &a);
}
template <typename T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
    ct_emu::shfl_arg a{(int)delta, width};
    return ct_emu::shfl_from(v, [](int lane, void *p) {
        auto *q = static_cast<ct_emu::shfl_arg *>(p);
        int s = lane + q->k;
        return (s & ~(q->width - 1)) == (lane & ~(q->width - 1)) ? s : lane;
    }, &a);
}
template <typename T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
    ct_emu::shfl_arg a{(int)delta, width};
    return ct_emu::shfl_from(v, [](int lane, void *p) {
        auto *q = static_cast<ct_emu::shfl_arg *>(p);
        int s = lane - q->k;
        return s >= (lane & ~(q->width - 1)) ? s : lane;
    }, &a);
}
template <typename T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
    ct_emu::shfl_arg a{lane_mask, width};
    return ct_emu::shfl_from(v, [](int lane, void *p) {
        auto *q = static_cast<ct_emu::shfl_arg *>(p);
        int s = lane ^ q->k;
        return (s & ~(q->width - 1)) <= (lane & ~(q->width - 1)) ? s : lane;
    }, &a);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
    int lane, n;
    const uint64_t *s = ct_emu::warp_publish(pred != 0, &lane, &n);
    unsigned r = 0;
    for (int i = 0; i < n; i++)
        if (s[i] && (mask >> i & 1u)) r |= 1u << i;
    ct_emu::warp_barrier();
    return r;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) {
    return __ballot_sync(mask, !pred) == 0;
}

/* ---------------------------------------------------------------- atomics */
template <typename T> inline T atomicAdd(T *p, T v) {
    if constexpr (std::is_floating_point<T>::value) return ct_emu::atomic_fadd(p, v);
    else return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
template <typename T> inline T atomicSub(T *p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicAnd(T *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicOr(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicXor(T *p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicExch(T *p, T v) {
    if constexpr (std::is_floating_point<T>::value) {
        uint32_t b, o;
        memcpy(&b, &v, 4);
        o = __atomic_exchange_n(reinterpret_cast<uint32_t *>(p), b, __ATOMIC_RELAXED);
        T r;
        memcpy(&r, &o, 4);
        return r;
    } else {
        return __atomic_exchange_n(p, v, __ATOMIC_RELAXED);
    }
}
template <typename T> inline T atomicCAS(T *p, T compare, T v) {
    __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return compare; /* the old value either way */
}
template <typename T> inline T atomicMax(T *p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename T> inline T atomicMin(T *p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}

/* ---------------------------------------------------------------- intrinsics */
template <typename T> inline T __ldg(const T *p) { return *p; }
template <typename T> inline T __ldcs(const T *p) { return *p; }
template <typename T> inline void __stcs(T *p, T v) { *p = v; }

template <typename To, typename From> inline To ct_emu_bits(From f) {
    static_assert(sizeof(To) == sizeof(From), "bit cast of different sizes");
    To t;
    memcpy(&t, &f, sizeof t);
    return t;
}
inline float __uint_as_float(unsigned v) { return ct_emu_bits<float>(v); }
inline unsigned __float_as_uint(float v) { return ct_emu_bits<unsigned>(v); }
inline float __int_as_float(int v) { return ct_emu_bits<float>(v); }
inline int __float_as_int(float v) { return ct_emu_bits<int>(v); }
inline double __longlong_as_double(long long v) { return ct_emu_bits<double>(v); }
inline long long __double_as_longlong(double v) { return ct_emu_bits<long long>(v); }

inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((int64_t)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v ? __builtin_clz((unsigned)v) : 32; }
inline int __clzll(long long v) { return v ? __builtin_clzll((unsigned long long)v) : 64; }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline int __ffsll(long long v) { return __builtin_ffsll(v); }
inline unsigned __brev(unsigned v) {
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= ((v >> i) & 1u) << (31 - i);
    return r;
}

inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

/* CUDA math functions that the C library lacks */
inline double sinpi(double x) { return sin(M_PI * x); }
inline double cospi(double x) { return cos(M_PI * x); }
inline float sinpif(float x) { return (float)sin(M_PI * (double)x); }
inline float cospif(float x) { return (float)cos(M_PI * (double)x); }
inline void sincospi(double x, double *s, double *c) { *s = sinpi(x), *c = cospi(x); }
inline void sincospif(float x, float *s, float *c) { *s = sinpif(x), *c = cospif(x); }
inline void __sincosf(float x, float *s, float *c) { sincosf(x, s, c); }
inline double normcdf(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }
inline float normcdff(float x) { return 0.5f * erfcf(-x * (float)M_SQRT1_2); }
inline double rcbrt(double x) { return 1.0 / cbrt(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }

/* CUDA's min/max overloads of device code */
using std::max;
using std::min;

#endif
