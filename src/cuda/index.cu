// Gather and scatter along one dim on the GPU (the ct__cuda->sg_run hook,
// behind gather, scatter, scatter_add and their backward): one thread per
// element of the index tensor. Scatter-add uses atomics, so duplicate
// indices accumulate correctly (in an unspecified order, as in PyTorch);
// scatter-copy with duplicates keeps one of the values.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include "cuda/cuda_internal.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { SG_GATHER, SG_COPY, SG_FILL, SG_ADD };
enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

template <typename T> __device__ __forceinline__ T from_double(double v) {
    return (T)v;
}
template <> __device__ __forceinline__ __half from_double<__half>(double v) { return __float2half((float)v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_double<__nv_bfloat16>(double v) {
    return __float2bfloat16((float)v);
}
template <> __device__ __forceinline__ bool from_double<bool>(double v) { return v != 0; }
template <> __device__ __forceinline__ int64_t from_double<int64_t>(double v) { return (int64_t)v; }

__device__ __forceinline__ void atomic_add(float *p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double *p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int32_t *p, int32_t v) { atomicAdd((int *)p, (int)v); }
__device__ __forceinline__ void atomic_add(int64_t *p, int64_t v) {
    atomicAdd((unsigned long long *)p, (unsigned long long)v); // wraps like int64
}

template <typename T> __global__ void sg_kernel(const ct_cuda_sg a) {
    T *ix = (T *)a.indexed;
    T *oth = (T *)a.other;
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < a.numel; p += stride) {
        int64_t rest = p, o_ix = 0, o_idx = 0, o_oth = 0;
        for (int d = a.nd - 1; d >= 0; d--) {
            int64_t c = rest % a.sizes[d];
            rest /= a.sizes[d];
            o_ix += c * a.ix_strides[d];
            o_idx += c * a.idx_strides[d];
            o_oth += c * a.oth_strides[d];
        }
        int64_t j = a.index[o_idx];
        if (j < 0 || j >= a.lim) {
            if (atomicExch(a.bad_flag, 1) == 0) *a.bad_value = (long long)j;
            continue;
        }
        T *dst = ix + o_ix + j * a.s_dim;
        switch (a.op) {
        case SG_GATHER: oth[o_oth] = *dst; break;
        case SG_COPY: *dst = oth[o_oth]; break;
        case SG_FILL: *dst = from_double<T>(a.value); break;
        }
    }
}

template <typename T> __global__ void sg_add_kernel(const ct_cuda_sg a) {
    T *ix = (T *)a.indexed;
    const T *oth = (const T *)a.other;
    T alpha = (T)a.value;
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < a.numel; p += stride) {
        int64_t rest = p, o_ix = 0, o_idx = 0, o_oth = 0;
        for (int d = a.nd - 1; d >= 0; d--) {
            int64_t c = rest % a.sizes[d];
            rest /= a.sizes[d];
            o_ix += c * a.ix_strides[d];
            o_idx += c * a.idx_strides[d];
            o_oth += c * a.oth_strides[d];
        }
        int64_t j = a.index[o_idx];
        if (j < 0 || j >= a.lim) {
            if (atomicExch(a.bad_flag, 1) == 0) *a.bad_value = (long long)j;
            continue;
        }
        atomic_add(ix + o_ix + j * a.s_dim, (T)(alpha * oth[o_oth]));
    }
}

} // namespace

extern "C" int ct__cuda_sg_launch(const ct_cuda_sg *a) {
    if (a->numel <= 0) return 0;
    const int threads = 256;
    int64_t b = (a->numel + threads - 1) / threads;
    unsigned blocks = (unsigned)(b > (1 << 20) ? (1 << 20) : b);
    cudaStream_t st = (cudaStream_t)ct__cuda_stream();
    if (a->op == SG_ADD) {
        switch (a->dt) {
        case D_I32: sg_add_kernel<int32_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_I64: sg_add_kernel<int64_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_F32: sg_add_kernel<float><<<blocks, threads, 0, st>>>(*a); break;
        case D_F64: sg_add_kernel<double><<<blocks, threads, 0, st>>>(*a); break;
        default: ct_set_error(5 /* CT_ERR_NOT_IMPL */, "scatter_add: dtype %d not implemented for CUDA tensors", a->dt); return -1;
        }
    } else {
        switch (a->dt) {
        case D_BOOL: sg_kernel<bool><<<blocks, threads, 0, st>>>(*a); break;
        case D_U8: sg_kernel<uint8_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_I8: sg_kernel<int8_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_I16: sg_kernel<int16_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_I32: sg_kernel<int32_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_I64: sg_kernel<int64_t><<<blocks, threads, 0, st>>>(*a); break;
        case D_F16: sg_kernel<__half><<<blocks, threads, 0, st>>>(*a); break;
        case D_BF16: sg_kernel<__nv_bfloat16><<<blocks, threads, 0, st>>>(*a); break;
        case D_F32: sg_kernel<float><<<blocks, threads, 0, st>>>(*a); break;
        default: sg_kernel<double><<<blocks, threads, 0, st>>>(*a); break;
        }
    }
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (gather/scatter kernel)", cudaGetErrorString(e));
    return -1;
}
