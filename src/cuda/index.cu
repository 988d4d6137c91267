// Dim-wise indexing on the GPU (gather, scatter and its reductions,
// index_select, index_add/copy/fill): one thread per index element.
// Writes that may collide (duplicate indices) go through atomics: native
// atomicAdd for float32/float64/int32/int64 sums, a compare-and-swap loop
// on the enclosing 32- or 64-bit word otherwise. Duplicate COPY/FILL
// writes land in an unspecified order, as on PyTorch's CUDA backend.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include "cuda/index_kern.h"
#include "cuda/launch.h"
#include "cuda/sort_kern.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

__device__ __forceinline__ int dsize(int dt) {
    return dt <= D_I8 ? 1 : dt == D_I16 || dt == D_F16 || dt == D_BF16 ? 2 : dt == D_I32 || dt == D_F32 ? 4 : 8;
}
__device__ __forceinline__ bool is_float(int dt) { return dt >= D_F16; }

// Element bits (low dsize(dt) bytes of a uint64) <-> values.
__device__ __forceinline__ double bits_f(uint64_t b, int dt) {
    switch (dt) {
    case D_F16: { __half_raw r; r.x = (unsigned short)b; return (double)__half2float(__half(r)); }
    case D_BF16: { __nv_bfloat16_raw r; r.x = (unsigned short)b; return (double)__bfloat162float(__nv_bfloat16(r)); }
    case D_F32: return (double)__uint_as_float((unsigned)b);
    default: return __longlong_as_double((long long)b);
    }
}
__device__ __forceinline__ uint64_t f_bits(double v, int dt) {
    switch (dt) {
    case D_F16: { __half_raw r = __half(__double2half(v)); return r.x; }
    case D_BF16: { __nv_bfloat16_raw r = __nv_bfloat16(__double2bfloat16(v)); return r.x; }
    case D_F32: return __float_as_uint((float)v);
    default: return (uint64_t)__double_as_longlong(v);
    }
}
__device__ __forceinline__ int64_t bits_i(uint64_t b, int dt) {
    switch (dt) {
    case D_BOOL: case D_U8: return (int64_t)(uint8_t)b;
    case D_I8: return (int64_t)(int8_t)b;
    case D_I16: return (int64_t)(int16_t)b;
    case D_I32: return (int64_t)(int32_t)b;
    default: return (int64_t)b;
    }
}

__device__ __forceinline__ uint64_t load_bits(const void *p, int sz) {
    switch (sz) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}
__device__ __forceinline__ void store_bits(void *p, int sz, uint64_t b) {
    switch (sz) {
    case 1: *(uint8_t *)p = (uint8_t)b; break;
    case 2: *(uint16_t *)p = (uint16_t)b; break;
    case 4: *(uint32_t *)p = (uint32_t)b; break;
    default: *(uint64_t *)p = b; break;
    }
}

// new bits of the destination from its old bits and the operand's bits,
// the same rules as sg_arith of src/kernels/cpu/index.c.
__device__ uint64_t combine(int op, int dt, uint64_t d, uint64_t o, double alpha) {
    if (dt == D_BOOL) {
        bool x = d != 0, y = o != 0;
        switch (op) {
        case CT_CUDA_SG_ADD: return x || (y && alpha != 0);
        case CT_CUDA_SG_MAX: return x || y;
        default: return x && y; // MUL, MIN
        }
    }
    if (is_float(dt)) {
        double x = bits_f(d, dt), y = bits_f(o, dt), r = x;
        switch (op) {
        case CT_CUDA_SG_ADD: r = dt == D_F32 ? (double)((float)x + (float)alpha * (float)y) : x + alpha * y; break;
        case CT_CUDA_SG_MUL: r = dt == D_F32 ? (double)((float)x * (float)y) : x * y; break;
        case CT_CUDA_SG_MAX: if (y > x || y != y) return o; return d;
        case CT_CUDA_SG_MIN: if (y < x || y != y) return o; return d;
        }
        return f_bits(r, dt);
    }
    int64_t x = bits_i(d, dt), y = bits_i(o, dt);
    switch (op) {
    case CT_CUDA_SG_ADD: {
        // (T)alpha in the dtype, then wrapping arithmetic
        int64_t a = bits_i((uint64_t)(int64_t)alpha, dt);
        return (uint64_t)x + (uint64_t)a * (uint64_t)y;
    }
    case CT_CUDA_SG_MUL: return (uint64_t)x * (uint64_t)y;
    case CT_CUDA_SG_MAX: return y > x ? (uint64_t)y : (uint64_t)x;
    case CT_CUDA_SG_MIN: return y < x ? (uint64_t)y : (uint64_t)x;
    case CT_CUDA_SG_COUNT: return (uint64_t)x + 1;
    }
    return d;
}

// dst = combine(dst, o) atomically; sub-word dtypes through a CAS on the
// aligned 32-bit word that holds them (storage is 512-byte aligned and
// rounded up, so the word lies inside the allocation).
__device__ void atomic_combine(void *p, int op, int dt, uint64_t o, double alpha) {
    int sz = dsize(dt);
    if (op == CT_CUDA_SG_ADD) { // native sums
        if (dt == D_F32) { atomicAdd((float *)p, (float)alpha * __uint_as_float((unsigned)o)); return; }
        if (dt == D_F64) { atomicAdd((double *)p, alpha * __longlong_as_double((long long)o)); return; }
        if (dt == D_I32) {
            unsigned a = (unsigned)(int32_t)(int64_t)alpha;
            atomicAdd((unsigned *)p, a * (unsigned)o);
            return;
        }
        if (dt == D_I64) {
            unsigned long long a = (unsigned long long)(int64_t)alpha;
            atomicAdd((unsigned long long *)p, a * (unsigned long long)o);
            return;
        }
    }
    if (op == CT_CUDA_SG_COUNT && dt == D_I64) {
        atomicAdd((unsigned long long *)p, 1ull);
        return;
    }
    if (sz == 8) {
        unsigned long long *w = (unsigned long long *)p, old = *w, seen;
        do {
            seen = old;
            old = atomicCAS(w, seen, (unsigned long long)combine(op, dt, seen, o, alpha));
        } while (old != seen);
        return;
    }
    uintptr_t addr = (uintptr_t)p;
    unsigned *w = (unsigned *)(addr & ~(uintptr_t)3);
    unsigned shift = (unsigned)(addr & 3) * 8;
    unsigned mask = sz == 4 ? 0xffffffffu : (((1u << (sz * 8)) - 1) << shift);
    unsigned old = *w, seen;
    do {
        seen = old;
        uint64_t cur = sz == 4 ? seen : (seen & mask) >> shift;
        unsigned nv = (unsigned)combine(op, dt, cur, o, alpha);
        unsigned next = sz == 4 ? nv : ((seen & ~mask) | ((nv << shift) & mask));
        old = atomicCAS(w, seen, next);
    } while (old != seen);
}

__global__ void sg_kernel(ct_cuda_sg a) {
    const int sz = dsize(a.dt);
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.numel;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, oix = 0, oidx = 0, ooth = 0;
        for (int k = a.nd - 1; k >= 0; k--) {
            int64_t c = rem % a.sizes[k];
            rem /= a.sizes[k];
            if (k != a.dim) oix += c * a.st_ix[k];
            oidx += c * a.st_idx[k];
            ooth += c * a.st_oth[k];
        }
        int64_t idx = a.idx[oidx];
        if ((uint64_t)idx >= (uint64_t)a.lim) {
            if (atomicCAS((unsigned long long *)a.err, 0ull, 1ull) == 0ull) a.err[1] = idx;
            continue;
        }
        char *d = (char *)a.ix + (oix + idx * a.st_ix[a.dim]) * sz;
        char *o = a.oth ? (char *)a.oth + ooth * sz : NULL;
        switch (a.op) {
        case CT_CUDA_SG_GATHER: store_bits(o, sz, load_bits(d, sz)); break;
        case CT_CUDA_SG_COPY: store_bits(d, sz, load_bits(o, sz)); break;
        case CT_CUDA_SG_FILL: store_bits(d, sz, a.bits); break;
        case CT_CUDA_SG_COUNT: atomic_combine(d, a.op, a.dt, 0, 0); break;
        default: atomic_combine(d, a.op, a.dt, load_bits(o, sz), a.value); break;
        }
    }
}

__global__ void offs_kernel(ct_cuda_offs a) {
    const int sz = dsize(a.dt);
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.numel;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, oa = 0, ob = 0, oo = 0;
        for (int k = a.nd - 1; k >= 0; k--) {
            int64_t c = rem % a.sizes[k];
            rem /= a.sizes[k];
            oa += c * a.st_a[k];
            ob += c * a.st_b[k];
            oo += c * a.st_off[k];
        }
        int64_t off = a.off[oo];
        if (!a.put) {
            store_bits((char *)a.a + oa * sz, sz, load_bits((const char *)a.b + (ob + off) * sz, sz));
        } else {
            char *d = (char *)a.a + (oa + off) * sz;
            uint64_t v = load_bits((const char *)a.b + ob * sz, sz);
            if (a.acc) atomic_combine(d, CT_CUDA_SG_ADD, a.dt, v, 1.0);
            else store_bits(d, sz, v);
        }
    }
}

__global__ void addoff_kernel(ct_cuda_addoff a) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.numel;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, oi = 0;
        for (int k = a.nd - 1; k >= 0; k--) {
            oi += (rem % a.sizes[k]) * a.st_idx[k];
            rem /= a.sizes[k];
        }
        int64_t v = a.idx[oi], w = v < 0 ? v + a.lim : v;
        if (w < 0 || w >= a.lim) {
            if (atomicCAS((unsigned long long *)a.err, 0ull, 1ull) == 0ull) {
                a.err[1] = a.dim;
                a.err[2] = v;
                a.err[3] = a.lim;
            }
            w = 0; // the gather that follows stays inside the tensor
        }
        a.off[i] += w * a.stride;
    }
}

__global__ void nz_flags(const uint8_t *m, int64_t n, int64_t *cnt) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        cnt[i] = m[i] != 0;
}

struct nz_dims {
    int64_t s[CT_CUDA_MAX_DIMS];
};

__global__ void nz_fill(const uint8_t *m, const int64_t *cnt, int64_t n, int nd, nz_dims sz, int64_t *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        if (!m[i]) continue;
        int64_t *o = out + (cnt[i] - 1) * nd, rem = i;
        for (int k = nd - 1; k >= 0; k--) {
            o[k] = rem % sz.s[k];
            rem /= sz.s[k];
        }
    }
}

unsigned blocks_for(int64_t n) {
    int64_t b = (n + 255) / 256;
    return (unsigned)(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s kernel launch)", cudaGetErrorString(e), what);
        return -1;
    }
    return 0;
}

} // namespace

extern "C" int ct__cuda_addoff_launch(const ct_cuda_addoff *a) {
    if (a->numel <= 0) return 0;
    CT_LAUNCH(addoff_kernel, blocks_for(a->numel), 256, 0, (cudaStream_t)ct__cuda_stream(), *a);
    return launched("index offsets");
}

extern "C" int ct__cuda_nz_count(const uint8_t *m, int64_t n, int64_t *cnt, void *scratch) {
    if (n <= 0) return 0;
    CT_LAUNCH(nz_flags, blocks_for(n), 256, 0, (cudaStream_t)ct__cuda_stream(), m, n, cnt);
    if (launched("nonzero") < 0) return -1;
    return ct__cuda_scan_launch(5 /* int64 */, 0 /* cumsum */, cnt, cnt, NULL, 1, n, 1, scratch);
}

extern "C" int ct__cuda_nz_fill(const uint8_t *m, const int64_t *cnt, int64_t n, int nd, const int64_t *sizes,
                                int64_t *out) {
    if (n <= 0) return 0;
    nz_dims sz;
    for (int k = 0; k < nd && k < CT_CUDA_MAX_DIMS; k++) sz.s[k] = sizes[k];
    CT_LAUNCH(nz_fill, blocks_for(n), 256, 0, (cudaStream_t)ct__cuda_stream(), m, cnt, n, nd, sz, out);
    return launched("nonzero");
}

extern "C" int ct__cuda_offs_launch(const ct_cuda_offs *a) {
    if (a->numel <= 0) return 0;
    int64_t blocks = (a->numel + 255) / 256;
    if (blocks > 65535 * 8) blocks = 65535 * 8;
    CT_LAUNCH(offs_kernel, (unsigned)blocks, 256, 0, (cudaStream_t)ct__cuda_stream(), *a);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (index by offsets kernel launch)", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}

extern "C" int ct__cuda_sg_launch(const ct_cuda_sg *a) {
    if (a->numel <= 0) return 0;
    int64_t blocks = (a->numel + 255) / 256;
    if (blocks > 65535 * 8) blocks = 65535 * 8;
    CT_LAUNCH(sg_kernel, (unsigned)blocks, 256, 0, (cudaStream_t)ct__cuda_stream(), *a);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (scatter/gather kernel launch)", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}
