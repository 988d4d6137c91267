// Counter-based random numbers on the GPU: Philox4x32-10 (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11), the generator of
// cuRAND and PyTorch's CUDA backend. Element i takes counter (i, 0, 0, 0)
// under the 64-bit key: no state in memory, any launch shape gives the
// same values, and a new key per call (drawn from the ctorch generator by
// src/ops/random.c) gives a fresh stream.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include "cuda/cuda_internal.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

struct u4 { uint32_t x, y, z, w; };

__device__ __forceinline__ u4 philox(u4 c, uint32_t k0, uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int r = 0; r < 10; r++) {
        uint32_t hi0 = __umulhi(M0, c.x), lo0 = M0 * c.x;
        uint32_t hi1 = __umulhi(M1, c.z), lo1 = M1 * c.z;
        c = u4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
        k0 += W0;
        k1 += W1;
    }
    return c;
}

// (0, 1]: never 0, so log() in Box-Muller is finite
__device__ __forceinline__ double unit(uint32_t a, uint32_t b) {
    uint64_t v = ((uint64_t)a << 21) ^ (uint64_t)b; // 53 random bits
    return ((double)(v & ((1ull << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

__device__ __forceinline__ void store(void *p, int dt, int64_t i, double v) {
    switch (dt) {
    case D_BOOL: ((bool *)p)[i] = v != 0; break;
    case D_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case D_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case D_I16: ((int16_t *)p)[i] = (int16_t)v; break;
    case D_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case D_I64: ((int64_t *)p)[i] = (int64_t)v; break;
    case D_F16: ((__half *)p)[i] = __float2half((float)v); break;
    case D_BF16: ((__nv_bfloat16 *)p)[i] = __float2bfloat16((float)v); break;
    case D_F32: ((float *)p)[i] = (float)v; break;
    default: ((double *)p)[i] = v; break;
    }
}

__global__ void random_kernel(void *data, int dt, int64_t n, int kind, double a, double b,
                              uint32_t k0, uint32_t k1) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        u4 r = philox(u4{(uint32_t)i, (uint32_t)((uint64_t)i >> 32), 0u, 0u}, k0, k1);
        double u = unit(r.x, r.y), v;
        switch (kind) {
        case CT_CUDA_RAND_NORMAL: {
            double u2 = unit(r.z, r.w);
            v = a + b * sqrt(-2.0 * log(u)) * cospi(2.0 * u2);
            break;
        }
        case CT_CUDA_RAND_BERNOULLI: v = (1.0 - u) < a ? 1.0 : 0.0; break; // 1 - u in [0, 1)
        default: {
            v = a + (b - a) * (1.0 - u);
            if (dt == D_F32 && (float)v >= (float)b) v = a; // rounding up to b: keep [a, b)
            break;
        }
        }
        store(data, dt, i, v);
    }
}

} // namespace

extern "C" int ct__cuda_random_fill(void *data, int dt, int64_t numel, int kind, double a,
                                    double b, uint64_t seed) {
    if (numel <= 0) return 0;
    const int threads = 256;
    int64_t blocks = (numel + threads - 1) / threads;
    if (blocks > (1 << 20)) blocks = 1 << 20;
    CT_LAUNCH(random_kernel, (unsigned)blocks, threads, 0, (cudaStream_t)ct__cuda_stream(),
        data, dt, numel, kind, a, b, (uint32_t)seed, (uint32_t)(seed >> 32));
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (random kernel)", cudaGetErrorString(e));
    return -1;
}
