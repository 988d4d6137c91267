// Counter-based random numbers on the GPU: Philox4x32-10 (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11), the generator of
// cuRAND and PyTorch's CUDA backend. Element i takes counters (i, r, 0, 0)
// under the 64-bit key, r = 0, 1, ... for each round of four 32-bit words
// it needs: no state in memory, any launch shape gives the same values,
// and a new key per call (drawn from the ctorch generator by
// src/ops/random.c) gives a fresh stream. Also multinomial's row checks,
// keys and inverse-CDF draws (host side: random.c).
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

// (0, 1]: never 0, so log() is finite
__device__ __forceinline__ double unit(uint32_t a, uint32_t b) {
    uint64_t v = ((uint64_t)a << 21) ^ (uint64_t)b; // 53 random bits
    return ((double)(v & ((1ull << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

// The uniforms of one element: two per Philox round, rounds in counter order.
struct stream {
    uint32_t c0, c1, k0, k1, round;
    int have;
    double spare;
    __device__ stream(int64_t i, uint64_t seed)
        : c0((uint32_t)i), c1((uint32_t)((uint64_t)i >> 32)), k0((uint32_t)seed),
          k1((uint32_t)(seed >> 32)), round(0), have(0), spare(0) {}
    __device__ u4 words() { return philox(u4{c0, c1, round++, 0u}, k0, k1); }
    __device__ double next() { // (0, 1]
        if (have) {
            have = 0;
            return spare;
        }
        u4 r = words();
        spare = unit(r.z, r.w);
        have = 1;
        return unit(r.x, r.y);
    }
};

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

// randint's values are exact for every integer dtype (int64 above 2^53 too)
__device__ __forceinline__ void store_int(void *p, int dt, int64_t i, int64_t v) {
    switch (dt) {
    case D_BOOL: ((bool *)p)[i] = v != 0; break;
    case D_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case D_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case D_I16: ((int16_t *)p)[i] = (int16_t)v; break;
    case D_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case D_I64: ((int64_t *)p)[i] = v; break;
    default: store(p, dt, i, (double)v); break;
    }
}

__device__ __forceinline__ double box_muller(double u1, double u2) {
    return sqrt(-2.0 * log(u1)) * cospi(2.0 * u2);
}

// PyTorch's sample_poisson (src/ops/random.c): transformed rejection
// (Hoermann 1993) for rates >= 10, multiplication of uniforms below.
__device__ double poisson(double lambda, stream &s) {
    if (!(lambda > 0)) return lambda == 0 ? 0 : nan("");
    if (lambda >= 10) {
        double slam = sqrt(lambda), loglam = log(lambda);
        double b = 0.931 + 2.53 * slam;
        double a = -0.059 + 0.02483 * b;
        double invalpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2);
        for (;;) {
            double U = (1.0 - s.next()) - 0.5; // [-0.5, 0.5)
            double V = s.next();                // (0, 1]
            double us = 0.5 - fabs(U);
            if (us < 0.013 && V > us) continue;
            double k = floor((2 * a / us + b) * U + lambda + 0.43);
            if (us >= 0.07 && V <= vr) return k;
            if (k < 0) continue;
            if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1))
                return k;
        }
    }
    double enlam = exp(-lambda), prod = 1.0, x = 0;
    for (;;) {
        prod *= 1.0 - s.next(); // [0, 1), as the CPU's draws
        if (prod > enlam) x += 1;
        else return x;
    }
}

__global__ void random_kernel(ct_cuda_rand r) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < r.numel; i += stride) {
        stream s(i, r.seed);
        double a = r.pa ? r.pa[i] : r.a, b = r.pb ? r.pb[i] : r.b, v;
        if (r.bad && ((r.kind == CT_CUDA_RAND_BERNOULLI && !(a >= 0 && a <= 1)) ||
                      (r.kind == CT_CUDA_RAND_NORMAL && !(b >= 0)) ||
                      (r.kind == CT_CUDA_RAND_POISSON && !(a >= 0)))) {
            atomicMax(r.bad, 1);
            continue;
        }
        if (r.kind == CT_CUDA_RAND_RANDINT) {
            u4 w = s.words();
            uint64_t bits = ((uint64_t)w.x << 32) | w.y;
            store_int(r.data, r.dt, i, (int64_t)((uint64_t)r.base + bits % r.range));
            continue;
        }
        if (r.kind == CT_CUDA_RAND_POISSON) {
            store(r.data, r.dt, i, poisson(a, s));
            continue;
        }
        u4 w = s.words();
        double u = unit(w.x, w.y);
        switch (r.kind) {
        case CT_CUDA_RAND_NORMAL: v = a + b * box_muller(u, unit(w.z, w.w)); break;
        case CT_CUDA_RAND_LOG_NORMAL: v = exp(a + b * box_muller(u, unit(w.z, w.w))); break;
        case CT_CUDA_RAND_BERNOULLI: v = (1.0 - u) < a ? 1.0 : 0.0; break; // 1 - u in [0, 1)
        case CT_CUDA_RAND_EXPONENTIAL: v = -log(u) / a; break;
        case CT_CUDA_RAND_GEOMETRIC: {
            // the number of trials to the first success: ceil(log(U) / log(1 - p)), U in (0, 1)
            double q = 1.0 - u; // [0, 1)
            v = q > 0 ? ceil(log(q) / log1p(-a)) : INFINITY;
            if (v < 1) v = 1;
            if (r.dt <= D_I64 && !(v < 9.2e18)) v = 9.2e18;
            break;
        }
        case CT_CUDA_RAND_CAUCHY: v = a + b * tan(3.14159265358979323846 * (u - 0.5)); break;
        default: {
            v = a + (b - a) * (1.0 - u);
            if (r.dt == D_F32 && (float)v >= (float)b) v = a; // rounding up to b: keep [a, b)
            break;
        }
        }
        store(r.data, r.dt, i, v);
    }
}

// ------------------------------------------------------------ multinomial
__global__ void mn_check_kernel(const double *p, int64_t rows, int64_t ncat, int keyed, int single,
                                double *cum, int *code) {
    int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const double *row = p + r * ncat;
    int c = 0;
    double sum = 0;
    for (int64_t j = 0; j < ncat && !c; j++) {
        double v = row[j];
        if (keyed && !(v >= 0 && v < INFINITY)) c = 1;
        else if (!keyed && !(v >= 0)) c = 2;
        else if (!keyed && !isfinite(v)) c = 3;
        sum += v;
    }
    if (!c && !(sum > 0)) c = 4;
    if (c) {
        int64_t rr = r < (1 << 27) ? r : (1 << 27);
        atomicMin(code, (int)(8 * rr + c));
        return;
    }
    if (keyed) return;
    // accumulated and normalised in p's precision, as the CPU does
    double *cr = cum + r * ncat;
    if (single) {
        float acc = 0;
        for (int64_t j = 0; j < ncat; j++) cr[j] = (double)(acc += (float)row[j]);
        for (int64_t j = 0; j < ncat; j++) cr[j] = (double)((float)cr[j] / acc);
    } else {
        double acc = 0;
        for (int64_t j = 0; j < ncat; j++) cr[j] = acc += row[j];
        for (int64_t j = 0; j < ncat; j++) cr[j] /= acc;
    }
    cr[ncat - 1] = 1;
}

__global__ void mn_keys_kernel(const double *p, double *keys, int64_t n, uint64_t seed) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        stream s(i, seed);
        double e = -log(s.next()); // Exp(1); 0 only when the draw is 1
        if (e < 2.2250738585072014e-308) e = 2.2250738585072014e-308;
        keys[i] = p[i] / e;
    }
}

__global__ void mn_draw_kernel(const double *cum, const double *p, int64_t rows, int64_t ncat,
                               int64_t n, int64_t *out, uint64_t seed) {
    int64_t total = rows * n, stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        stream s(i, seed);
        double u = 1.0 - s.next(); // [0, 1)
        const double *c = cum + (i / n) * ncat, *row = p + (i / n) * ncat;
        int64_t lo = 0, hi = ncat;
        while (hi > lo) { // first slot with cum >= u
            int64_t mid = lo + (hi - lo) / 2;
            if (c[mid] < u) lo = mid + 1;
            else hi = mid;
        }
        while (lo < ncat - 1 && row[lo] == 0) lo++;
        out[i] = lo;
    }
}

unsigned grid(int64_t n, int threads) {
    int64_t blocks = (n + threads - 1) / threads;
    return (unsigned)(blocks > (1 << 20) ? (1 << 20) : blocks < 1 ? 1 : blocks);
}

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s)", cudaGetErrorString(e), what);
    return -1;
}

} // namespace

extern "C" int ct__cuda_random_launch(const ct_cuda_rand *r) {
    if (r->numel <= 0) return 0;
    CT_LAUNCH(random_kernel, grid(r->numel, 256), 256, 0, (cudaStream_t)ct__cuda_stream(), *r);
    return launched("random kernel");
}

extern "C" int ct__cuda_multinomial_check(const double *p, int64_t rows, int64_t ncat, int keyed,
                                          int single, double *cum, int *code) {
    if (rows <= 0) return 0;
    CT_LAUNCH(mn_check_kernel, grid(rows, 128), 128, 0, (cudaStream_t)ct__cuda_stream(), p, rows, ncat, keyed,
                                                                                 single, cum, code);
    return launched("multinomial check kernel");
}

extern "C" int ct__cuda_multinomial_keys(const double *p, double *keys, int64_t numel, uint64_t seed) {
    if (numel <= 0) return 0;
    CT_LAUNCH(mn_keys_kernel, grid(numel, 256), 256, 0, (cudaStream_t)ct__cuda_stream(), p, keys, numel, seed);
    return launched("multinomial keys kernel");
}

extern "C" int ct__cuda_multinomial_draw(const double *cum, const double *p, int64_t rows, int64_t ncat,
                                         int64_t n, int64_t *out, uint64_t seed) {
    if (rows <= 0 || n <= 0) return 0;
    CT_LAUNCH(mn_draw_kernel, grid(rows * n, 256), 256, 0, (cudaStream_t)ct__cuda_stream(), cum, p, rows, ncat, n,
                                                                                    out, seed);
    return launched("multinomial draw kernel");
}
