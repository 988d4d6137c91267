// Elementwise kernels on the GPU: one generic kernel over strided operands
// (any dtype in, any dtype out, computed in the kernel's dtype T), used by
// every pointwise op, converting copies and fills. The op is a runtime
// switch on the kernel op (uniform across a launch, so it does not
// diverge); the same kernel op ids and semantics as the CPU loops of
// src/kernels/cpu/{binary,unary,pointwise_ternary}.c.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <type_traits>

#include "cuda/cuda_internal.h"
#include "ops/pointwise_kops.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

// ct_dtype values (include/ctorch/core.h; checked in src/cuda/pointwise.c)
enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

template <typename T> __device__ __forceinline__ T load_as(const void *p, int dt) {
    switch (dt) {
    case D_BOOL: return (T)(*(const bool *)p);
    case D_U8: return (T)(*(const uint8_t *)p);
    case D_I8: return (T)(*(const int8_t *)p);
    case D_I16: return (T)(*(const int16_t *)p);
    case D_I32: return (T)(*(const int32_t *)p);
    case D_I64: return (T)(*(const int64_t *)p);
    case D_F16: return (T)__half2float(*(const __half *)p);
    case D_BF16: return (T)__bfloat162float(*(const __nv_bfloat16 *)p);
    case D_F32: return (T)(*(const float *)p);
    default: return (T)(*(const double *)p);
    }
}

template <typename T> __device__ __forceinline__ void store_as(void *p, int dt, T v) {
    switch (dt) {
    case D_BOOL: *(bool *)p = (v != T(0)); break;
    case D_U8: *(uint8_t *)p = (uint8_t)(int64_t)v; break;
    case D_I8: *(int8_t *)p = (int8_t)(int64_t)v; break;
    case D_I16: *(int16_t *)p = (int16_t)(int64_t)v; break;
    case D_I32: *(int32_t *)p = (int32_t)(int64_t)v; break;
    case D_I64: *(int64_t *)p = (int64_t)v; break;
    case D_F16: *(__half *)p = __float2half((float)v); break;
    case D_BF16: *(__nv_bfloat16 *)p = __float2bfloat16((float)v); break;
    case D_F32: *(float *)p = (float)v; break;
    default: *(double *)p = (double)v; break;
    }
}

// A double read as T: float-to-integer conversion of an out-of-range value
// is undefined, so integers go through int64.
template <typename T> __device__ __forceinline__ T from_double(double v) {
    if constexpr (std::is_integral<T>::value && !std::is_same<T, bool>::value) return (T)(int64_t)v;
    else return (T)v;
}

template <typename T> using U = typename std::make_unsigned<
    typename std::conditional<std::is_same<T, bool>::value, uint8_t, T>::type>::type;

template <typename T> __device__ __forceinline__ T wrap_add(T a, T b) { return (T)((U<T>)a + (U<T>)b); }
template <typename T> __device__ __forceinline__ T wrap_sub(T a, T b) { return (T)((U<T>)a - (U<T>)b); }
template <typename T> __device__ __forceinline__ T wrap_mul(T a, T b) { return (T)((U<T>)a * (U<T>)b); }

__device__ __forceinline__ void set_err(int *err, int code) {
    if (err) atomicExch(err, code);
}

template <typename T> __device__ T int_binary(int kop, T x, T y, const ct_cuda_ew &a) {
    const bool sgn = std::is_signed<T>::value;
    switch (kop) {
    case CT_PW_ADD: return wrap_add(x, y);
    case CT_PW_ADD_ALPHA: return wrap_add(x, wrap_mul((T)a.i[0], y));
    case CT_PW_SUB: return wrap_sub(x, y);
    case CT_PW_MUL: return wrap_mul(x, y);
    case CT_PW_DIV_TRUNC:
    case CT_PW_DIV_FLOOR:
    case CT_PW_REMAINDER:
    case CT_PW_FMOD: {
        if (y == 0) {
            set_err(a.err, CT_PW_ERR_ZERO_DIV);
            return 0;
        }
        if (sgn && y == (T)-1)
            return (kop == CT_PW_DIV_TRUNC || kop == CT_PW_DIV_FLOOR) ? wrap_sub((T)0, x) : (T)0;
        T q = (T)(x / y), r = (T)(x % y);
        if (kop == CT_PW_DIV_TRUNC) return q;
        if (kop == CT_PW_FMOD) return r;
        bool adjust = r != 0 && ((r < 0) != (y < 0));
        if (kop == CT_PW_DIV_FLOOR) return adjust ? (T)(q - 1) : q;
        return adjust ? (T)(r + y) : r;
    }
    case CT_PW_POW: {
        if (sgn && y < 0) {
            if (x == 1) return 1;
            if (sgn && x == (T)-1) return (T)((y & 1) ? -1 : 1);
            return 0;
        }
        uint64_t r = 1, base = (uint64_t)(int64_t)x, e = (uint64_t)(int64_t)y;
        while (e) {
            if (e & 1) r *= base;
            base *= base;
            e >>= 1;
        }
        return (T)r;
    }
    case CT_PW_MAXIMUM: case CT_PW_CLAMP_MIN_T: return x > y ? x : y;
    case CT_PW_MINIMUM: case CT_PW_CLAMP_MAX_T: return x < y ? x : y;
    case CT_PW_BITWISE_AND: return x & y;
    case CT_PW_BITWISE_OR: return x | y;
    case CT_PW_BITWISE_XOR: return x ^ y;
    case CT_PW_LSHIFT:
        if (y < 0 || (uint64_t)(int64_t)y >= sizeof(T) * 8) return 0;
        return (T)((uint64_t)(int64_t)x << (int64_t)y);
    case CT_PW_RSHIFT:
        if (y < 0 || (uint64_t)(int64_t)y >= sizeof(T) * 8) return (T)(x < 0 ? -1 : 0);
        return (T)(x >> (int64_t)y);
    }
    return 0;
}

template <typename T> __device__ T float_binary(int kop, T x, T y, const ct_cuda_ew &a) {
    switch (kop) {
    case CT_PW_ADD: return x + y;
    case CT_PW_ADD_ALPHA: return x + (T)a.f[0] * y;
    case CT_PW_SUB: return x - y;
    case CT_PW_MUL: return x * y;
    case CT_PW_DIV: return x / y;
    case CT_PW_DIV_TRUNC: return trunc(x / y);
    case CT_PW_DIV_FLOOR: {
        if (y == 0) return x / y;
        T mod = fmod(x, y);
        T div = (x - mod) / y;
        if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1;
        if (div == 0) return copysign((T)0, x / y);
        T fl = floor(div);
        if (div - fl > (T)0.5) fl += 1;
        return fl;
    }
    case CT_PW_REMAINDER: {
        T mod = fmod(x, y);
        if (mod != 0 && ((y < 0) != (mod < 0))) mod += y;
        return mod;
    }
    case CT_PW_FMOD: return fmod(x, y);
    case CT_PW_POW: return pow(x, y);
    case CT_PW_ATAN2: return atan2(x, y);
    case CT_PW_HYPOT: return hypot(x, y);
    case CT_PW_MAXIMUM: return (x != x) ? x : ((y != y) ? y : (x > y ? x : y));
    case CT_PW_MINIMUM: return (x != x) ? x : ((y != y) ? y : (x < y ? x : y));
    case CT_PW_CLAMP_MIN_T: return (x != x) ? x : ((y != y) ? y : (x < y ? y : x));
    case CT_PW_CLAMP_MAX_T: return (x != x) ? x : ((y != y) ? y : (x > y ? y : x));
    }
    return 0;
}

template <typename T> __device__ T float_unary(int kop, T x, const ct_cuda_ew &a) {
    switch (kop) {
    case CT_PW_NEG: return -x;
    case CT_PW_ABS: return fabs(x);
    case CT_PW_SIGN: return (T)((x > 0) - (x < 0));
    case CT_PW_SQUARE: return x * x;
    case CT_PW_RECIPROCAL: return (T)1 / x;
    case CT_PW_EXP: return exp(x);
    case CT_PW_EXP2: return exp2(x);
    case CT_PW_EXPM1: return expm1(x);
    case CT_PW_LOG: return log(x);
    case CT_PW_LOG2: return log2(x);
    case CT_PW_LOG10: return log10(x);
    case CT_PW_LOG1P: return log1p(x);
    case CT_PW_SQRT: return sqrt(x);
    case CT_PW_RSQRT: return (T)1 / sqrt(x);
    case CT_PW_SIN: return sin(x);
    case CT_PW_COS: return cos(x);
    case CT_PW_TAN: return tan(x);
    case CT_PW_ASIN: return asin(x);
    case CT_PW_ACOS: return acos(x);
    case CT_PW_ATAN: return atan(x);
    case CT_PW_SINH: return sinh(x);
    case CT_PW_COSH: return cosh(x);
    case CT_PW_TANH: return tanh(x);
    case CT_PW_ASINH: return asinh(x);
    case CT_PW_ACOSH: return acosh(x);
    case CT_PW_ATANH: return atanh(x);
    case CT_PW_SIGMOID: return (T)1 / ((T)1 + exp(-x));
    case CT_PW_LOGIT:
        if (a.f[1] != 0) {
            T lo = (T)a.f[0], hi = (T)1 - (T)a.f[0];
            x = x < lo ? lo : (x > hi ? hi : x);
        }
        return log(x / ((T)1 - x));
    case CT_PW_RELU: return x < 0 ? (T)0 : x;
    case CT_PW_GELU:
        return a.i[0] ? (T)0.5 * x * ((T)1 + tanh((T)0.7978845608028654 * (x + (T)0.044715 * x * x * x)))
                      : (T)0.5 * x * ((T)1 + erf(x * (T)0.70710678118654752));
    case CT_PW_SILU: return x / ((T)1 + exp(-x));
    case CT_PW_SOFTPLUS:
        return x * (T)a.f[0] > (T)a.f[1] ? x : log1p(exp(x * (T)a.f[0])) / (T)a.f[0];
    case CT_PW_ELU: return x > 0 ? x : (T)a.f[0] * expm1(x);
    case CT_PW_LEAKY_RELU: return x > 0 ? x : x * (T)a.f[0];
    case CT_PW_CLAMP: {
        if (x != x) return x;
        T v = ((a.i[2] & 1) && x < (T)a.f[0]) ? (T)a.f[0] : x;
        return ((a.i[2] & 2) && (T)a.f[1] < v) ? (T)a.f[1] : v;
    }
    case CT_PW_ERF: return erf(x);
    case CT_PW_ERFC: return erfc(x);
    case CT_PW_FLOOR: return floor(x);
    case CT_PW_CEIL: return ceil(x);
    case CT_PW_ROUND: return nearbyint(x);
    case CT_PW_TRUNC: return trunc(x);
    case CT_PW_FRAC: return x - trunc(x);
    case CT_PW_ROUND_DECIMALS: {
        T p = (T)a.f[0];
        return a.i[0] < 0 ? nearbyint(x / p) * p : nearbyint(x * p) / p;
    }
    case CT_PW_NAN_TO_NUM:
        if (x != x) return (T)a.f[0];
        if (isinf(x)) return x > 0 ? (T)a.f[1] : (T)a.f[2];
        return x;
    }
    return 0;
}

template <typename T> __device__ T int_unary(int kop, T x, const ct_cuda_ew &a) {
    switch (kop) {
    case CT_PW_NEG: return wrap_sub((T)0, x);
    case CT_PW_ABS: return x < 0 ? wrap_sub((T)0, x) : x;
    case CT_PW_SIGN: return (T)((x > 0) - (x < 0));
    case CT_PW_SQUARE: return wrap_mul(x, x);
    case CT_PW_RELU: return x < 0 ? (T)0 : x;
    case CT_PW_CLAMP: {
        T v = ((a.i[2] & 1) && x < (T)a.i[0]) ? (T)a.i[0] : x;
        return ((a.i[2] & 2) && (T)a.i[1] < v) ? (T)a.i[1] : v;
    }
    case CT_PW_FLOOR: case CT_PW_CEIL: case CT_PW_ROUND: case CT_PW_TRUNC: return x;
    case CT_PW_BITWISE_NOT: return (T)~x;
    }
    return 0;
}

template <typename T> __device__ T compute(int kop, const T *v, const ct_cuda_ew &a) {
    constexpr bool is_float = std::is_floating_point<T>::value;
    constexpr bool is_bool = std::is_same<T, bool>::value;
    T x = v[0], y = v[1], z = v[2];
    switch (kop) { // ops with the same meaning for every dtype
    case CT_CUDA_COPY: return x;
    case CT_PW_EQ: return (T)(x == y);
    case CT_PW_NE: return (T)(x != y);
    case CT_PW_LT: return (T)(x < y);
    case CT_PW_LE: return (T)(x <= y);
    case CT_PW_GT: return (T)(x > y);
    case CT_PW_GE: return (T)(x >= y);
    case CT_PW_LOGICAL_AND: return (T)((x != T(0)) & (y != T(0)));
    case CT_PW_LOGICAL_OR: return (T)((x != T(0)) | (y != T(0)));
    case CT_PW_LOGICAL_XOR: return (T)((x != T(0)) ^ (y != T(0)));
    case CT_PW_LOGICAL_NOT: return (T)(x == T(0));
    case CT_PW_WHERE: return x != T(0) ? y : z;
    case CT_PW_ISNAN: if constexpr (is_float) return (T)(x != x); else return (T)0;
    case CT_PW_ISINF: if constexpr (is_float) return (T)isinf(x); else return (T)0;
    case CT_PW_ISFINITE: if constexpr (is_float) return (T)isfinite(x); else return (T)1;
    }
    if constexpr (is_bool) {
        switch (kop) {
        case CT_PW_ADD: case CT_PW_MAXIMUM: case CT_PW_BITWISE_OR: return x || y;
        case CT_PW_ADD_ALPHA: return x || (a.i[0] != 0 && y);
        case CT_PW_MUL: case CT_PW_MINIMUM: case CT_PW_BITWISE_AND: return x && y;
        case CT_PW_BITWISE_XOR: return x != y;
        case CT_PW_BITWISE_NOT: return !x;
        case CT_PW_SIGN: return x;
        }
        return false;
    } else if constexpr (is_float) {
        if (kop < CT_PW_BINARY_END) return float_binary<T>(kop, x, y, a);
        if (kop < CT_PW_UNARY_END) return float_unary<T>(kop, x, a);
        switch (kop) {
        case CT_PW_LERP: return z < (T)0.5 ? x + z * (y - x) : y - (y - x) * ((T)1 - z);
        case CT_PW_LERP_SCALAR: {
            T w = (T)a.f[0];
            return w < (T)0.5 ? x + w * (y - x) : y - (y - x) * ((T)1 - w);
        }
        case CT_PW_ADDCMUL: return x + (T)a.f[0] * y * z;
        case CT_PW_ADDCDIV: return x + (T)a.f[0] * y / z;
        case CT_PW_CLAMP_T:
            if (x != x) return x;
            if (y != y) return y;
            if (z != z) return z;
            return (x < y ? y : x) > z ? z : (x < y ? y : x);
        }
        return 0;
    } else {
        if (kop < CT_PW_BINARY_END) return int_binary<T>(kop, x, y, a);
        if (kop < CT_PW_UNARY_END) return int_unary<T>(kop, x, a);
        switch (kop) {
        case CT_PW_ADDCMUL: return wrap_add(x, wrap_mul(wrap_mul((T)a.i[0], y), z));
        case CT_PW_CLAMP_T: return (x < y ? y : x) > z ? z : (x < y ? y : x);
        }
        return 0;
    }
}

template <typename T> __global__ void ew_kernel(const ct_cuda_ew a) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < a.numel; idx += stride) {
        int64_t off[CT_CUDA_MAX_OPS] = {0, 0, 0, 0};
        int64_t rest = idx;
        for (int d = a.nd - 1; d >= 0; d--) {
            int64_t c = rest % a.sizes[d];
            rest /= a.sizes[d];
            for (int k = 0; k <= a.nin; k++) off[k] += c * a.strides[k][d];
        }
        T v[3] = {T(0), T(0), T(0)};
        for (int k = 1; k <= a.nin; k++) {
            if (a.is_scalar[k]) v[k - 1] = from_double<T>(a.scalar[k]);
            else {
                int dt = a.dtype[k];
                static const int isz[] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
                v[k - 1] = load_as<T>((const char *)a.data[k] + off[k] * isz[dt], dt);
            }
        }
        T r = compute<T>(a.kop, v, a);
        static const int osz[] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
        store_as<T>((char *)a.data[0] + off[0] * osz[a.dtype[0]], a.dtype[0], r);
    }
}

template <typename T> __global__ void fill_kernel(T *p, int64_t n, T v) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) p[i] = v;
}

template <typename T> __global__ void scale_rows_kernel(T *c, int64_t M, int64_t N, int64_t ldc, T beta) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x, n = M * N;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        T *p = c + (i / N) * ldc + i % N;
        *p = beta == T(0) ? T(0) : beta * *p;
    }
}

cudaStream_t stream() { return (cudaStream_t)ct__cuda_stream(); }

unsigned grid_for(int64_t n, int threads) {
    int64_t b = (n + threads - 1) / threads;
    return (unsigned)(b > 65535 * 8 ? 65535 * 8 : (b < 1 ? 1 : b));
}

int launch_check(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s)", cudaGetErrorString(e), what);
    return -1;
}

} // namespace

extern "C" int ct__cuda_ew_launch(const ct_cuda_ew *a) {
    if (a->numel == 0) return 0;
    const int threads = 256;
    unsigned blocks = grid_for(a->numel, threads);
    switch (a->compute_dt) {
    case D_BOOL: CT_LAUNCH(ew_kernel<bool>, blocks, threads, 0, stream(), *a); break;
    case D_U8: CT_LAUNCH(ew_kernel<uint8_t>, blocks, threads, 0, stream(), *a); break;
    case D_I8: CT_LAUNCH(ew_kernel<int8_t>, blocks, threads, 0, stream(), *a); break;
    case D_I16: CT_LAUNCH(ew_kernel<int16_t>, blocks, threads, 0, stream(), *a); break;
    case D_I32: CT_LAUNCH(ew_kernel<int32_t>, blocks, threads, 0, stream(), *a); break;
    case D_I64: CT_LAUNCH(ew_kernel<int64_t>, blocks, threads, 0, stream(), *a); break;
    case D_F64: CT_LAUNCH(ew_kernel<double>, blocks, threads, 0, stream(), *a); break;
    default: CT_LAUNCH(ew_kernel<float>, blocks, threads, 0, stream(), *a); break; // float32, and float16/bfloat16 computed in float32
    }
    return launch_check("elementwise kernel");
}

extern "C" int ct__cuda_fill(void *data, int dt, int64_t numel, double v) {
    if (numel == 0) return 0;
    const int threads = 256;
    unsigned blocks = grid_for(numel, threads);
    switch (dt) {
    case D_BOOL: CT_LAUNCH(fill_kernel<bool>, blocks, threads, 0, stream(), (bool *)data, numel, v != 0); break;
    case D_U8: CT_LAUNCH(fill_kernel<uint8_t>, blocks, threads, 0, stream(), (uint8_t *)data, numel, (uint8_t)(int64_t)v); break;
    case D_I8: CT_LAUNCH(fill_kernel<int8_t>, blocks, threads, 0, stream(), (int8_t *)data, numel, (int8_t)(int64_t)v); break;
    case D_I16: CT_LAUNCH(fill_kernel<int16_t>, blocks, threads, 0, stream(), (int16_t *)data, numel, (int16_t)(int64_t)v); break;
    case D_I32: CT_LAUNCH(fill_kernel<int32_t>, blocks, threads, 0, stream(), (int32_t *)data, numel, (int32_t)(int64_t)v); break;
    case D_I64: CT_LAUNCH(fill_kernel<int64_t>, blocks, threads, 0, stream(), (int64_t *)data, numel, (int64_t)v); break;
    case D_F16: CT_LAUNCH(fill_kernel<__half>, blocks, threads, 0, stream(), (__half *)data, numel, __float2half((float)v)); break;
    case D_BF16:
        CT_LAUNCH(fill_kernel<__nv_bfloat16>, blocks, threads, 0, stream(), (__nv_bfloat16 *)data, numel, __float2bfloat16((float)v));
        break;
    case D_F32: CT_LAUNCH(fill_kernel<float>, blocks, threads, 0, stream(), (float *)data, numel, (float)v); break;
    default: CT_LAUNCH(fill_kernel<double>, blocks, threads, 0, stream(), (double *)data, numel, v); break;
    }
    return launch_check("fill kernel");
}

extern "C" int ct__cuda_scale_rows(void *C, int dt, int64_t M, int64_t N, int64_t ldc, double beta) {
    if (M == 0 || N == 0) return 0;
    const int threads = 256;
    unsigned blocks = grid_for(M * N, threads);
    if (dt == D_F64) CT_LAUNCH(scale_rows_kernel<double>, blocks, threads, 0, stream(), (double *)C, M, N, ldc, beta);
    else CT_LAUNCH(scale_rows_kernel<float>, blocks, threads, 0, stream(), (float *)C, M, N, ldc, (float)beta);
    return launch_check("scale kernel");
}
