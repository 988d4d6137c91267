// The poolings and resamplings on the GPU (ct__cuda->window; the host side
// is pool.c): one thread per element of the result, over up to 3 spatial
// dims (1-d and 2-d ops have leading sizes of 1). The windows come from
// nn/window.h, the same functions as the CPU loops, so both pick the same
// elements, and the max poolings keep PyTorch's rule (a NaN wins, else the
// first strict maximum) and its indices (flat within each plane). The
// average gradients gather (each input element sums the outputs whose
// windows hold it, in output order like the CPU: exact); the max and
// resampling gradients scatter with atomicAdd into a zeroed result.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/pool_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);
extern "C" void *ct__cuda_stream(void);

namespace {

enum { D_U8 = 1, D_F32 = 8, D_F64 = 9 }; // ct_dtype values

// Position e of sizes (np, n[0], n[1], n[2]) into plane p and c[0..2].
__device__ __forceinline__ int64_t split(int64_t e, const int64_t *n, int64_t *c) {
    c[2] = e % n[2];
    e /= n[2];
    c[1] = e % n[1];
    e /= n[1];
    c[0] = e % n[0];
    return e / n[0];
}

__host__ __device__ __forceinline__ int64_t plane(const int64_t *n) { return n[0] * n[1] * n[2]; }

template <typename T> __device__ __forceinline__ T neg_inf() { return -(T)INFINITY; }

// The forward poolings: window of output c in each dim, then max or sum.
template <typename T> __global__ void pool_fwd(ct_cuda_win a, int64_t total) {
    const ct_window_op &w = a.op;
    const T *x = (const T *)a.x;
    T *y = (T *)a.y;
    const int64_t H = w.in[1], W = w.in[2], isz = plane(w.in);
    const bool adaptive = w.kind == CT_WIN_ADAPTIVE_MAX || w.kind == CT_WIN_ADAPTIVE_AVG;
    const bool is_max = w.kind == CT_WIN_MAX || w.kind == CT_WIN_ADAPTIVE_MAX;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t c[3], lo[3], hi[3], step[3] = {1, 1, 1}, pool = 1, count = 1;
        int64_t p = split(e, w.out, c);
        for (int j = 0; j < 3; j++) {
            if (adaptive) {
                ct_win_adaptive(c[j], w.in[j], w.out[j], &lo[j], &hi[j]);
            } else if (is_max) {
                ct_win_max(c[j], w.s[j], w.p[j], w.k[j], w.d[j], w.in[j], &lo[j], &hi[j]);
                step[j] = w.d[j];
            } else {
                pool *= ct_win_avg(c[j], w.s[j], w.p[j], w.k[j], w.in[j], &lo[j], &hi[j]);
            }
            count *= hi[j] - lo[j];
        }
        const T *xp = x + p * isz;
        if (is_max) {
            T m = neg_inf<T>();
            int64_t best = (lo[0] * H + lo[1]) * W + lo[2];
            for (int64_t i = lo[0]; i < hi[0]; i += step[0])
                for (int64_t j = lo[1]; j < hi[1]; j += step[1])
                    for (int64_t k = lo[2]; k < hi[2]; k += step[2]) {
                        int64_t at = (i * H + j) * W + k;
                        T v = xp[at];
                        if (v > m || v != v) m = v, best = at;
                    }
            y[e] = m;
            a.idx[e] = best;
        } else {
            T s = 0;
            for (int64_t i = lo[0]; i < hi[0]; i++)
                for (int64_t j = lo[1]; j < hi[1]; j++)
                    for (int64_t k = lo[2]; k < hi[2]; k++) s += xp[(i * H + j) * W + k];
            int64_t div = adaptive ? count : w.divisor ? w.divisor : w.count_include_pad ? pool : count;
            y[e] = div ? s / (T)div : (T)0;
        }
    }
}

// The gradients of the average poolings: input element c sums g / divisor
// over the outputs whose windows hold it (candidates bounded per dim).
template <typename T> __global__ void avg_bwd(ct_cuda_win a, int64_t total) {
    const ct_window_op &w = a.op;
    const T *g = (const T *)a.x;
    T *dx = (T *)a.y;
    const bool adaptive = w.kind == CT_WIN_ADAPTIVE_AVG_BWD;
    const int64_t OH = w.out[1], OW = w.out[2], osz = plane(w.out);
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t c[3], o0[3], o1[3];
        int64_t p = split(e, w.in, c);
        for (int j = 0; j < 3; j++) {
            int64_t L = w.in[j], O = w.out[j], i = c[j];
            if (adaptive) {
                o0[j] = i * O / L - 1;
                o1[j] = (i + 1) * O / L + 1;
            } else {
                int64_t num = i + w.p[j] - w.k[j];
                o0[j] = num >= 0 ? num / w.s[j] : 0;
                o1[j] = (i + w.p[j]) / w.s[j];
            }
            if (o0[j] < 0) o0[j] = 0;
            if (o1[j] > O - 1) o1[j] = O - 1;
        }
        const T *gp = g + p * osz;
        T acc = 0;
        for (int64_t od = o0[0]; od <= o1[0]; od++)
            for (int64_t oh = o0[1]; oh <= o1[1]; oh++)
                for (int64_t ow = o0[2]; ow <= o1[2]; ow++) {
                    const int64_t o[3] = {od, oh, ow};
                    int64_t pool = 1, count = 1;
                    bool in = true;
                    for (int j = 0; j < 3 && in; j++) {
                        int64_t l0, l1;
                        if (adaptive) ct_win_adaptive(o[j], w.in[j], w.out[j], &l0, &l1);
                        else pool *= ct_win_avg(o[j], w.s[j], w.p[j], w.k[j], w.in[j], &l0, &l1);
                        in = l0 <= c[j] && c[j] < l1;
                        count *= l1 - l0;
                    }
                    if (!in) continue;
                    int64_t div = adaptive ? count : w.divisor ? w.divisor : w.count_include_pad ? pool : count;
                    if (div) acc += gp[(od * OH + oh) * OW + ow] / (T)div;
                }
        dx[e] = acc;
    }
}

// dx (zeroed) += g at idx, within each plane.
template <typename T> __global__ void max_bwd(ct_cuda_win a, int64_t total) {
    const T *g = (const T *)a.x;
    T *dx = (T *)a.y;
    const int64_t isz = plane(a.op.in), osz = plane(a.op.out);
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t k = a.idx[e];
        if (k < 0 || k >= isz) {
            *a.err = 1;
            continue;
        }
        atomicAdd(dx + (e / osz) * isz + k, g[e]);
    }
}

// Nearest: y[c] = x[i0 tables at c]; the gradient (BWD) scatters back.
template <typename T, bool BWD> __global__ void nearest(ct_cuda_win a, int64_t total) {
    const ct_window_op &w = a.op;
    const int64_t IH = w.in[1], IW = w.in[2], isz = plane(w.in);
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t c[3];
        int64_t p = split(e, w.out, c);
        int64_t src = p * isz + (a.i0[0][c[0]] * IH + a.i0[1][c[1]]) * IW + a.i0[2][c[2]];
        if constexpr (BWD) atomicAdd((T *)a.y + src, ((const T *)a.x)[e]);
        else ((T *)a.y)[e] = ((const T *)a.x)[src];
    }
}

// Bilinear over (H, W) (depth 1): the CPU's arithmetic order (upsample.c).
template <typename T> __global__ void linear(ct_cuda_win a, int64_t total, bool bwd) {
    const ct_window_op &w = a.op;
    const int64_t IW = w.in[2], isz = plane(w.in);
    const int64_t *h0 = a.i0[1], *h1 = a.i1[1], *w0 = a.i0[2], *w1 = a.i1[2];
    const T *a0 = (const T *)a.l0[1], *a1 = (const T *)a.l1[1];
    const T *b0 = (const T *)a.l0[2], *b1 = (const T *)a.l1[2];
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t c[3];
        int64_t p = split(e, w.out, c);
        int64_t oh = c[1], ow = c[2];
        int64_t r0 = p * isz + h0[oh] * IW, r1 = p * isz + h1[oh] * IW;
        const T c0 = a0[oh], c1 = a1[oh];
        if (bwd) {
            T v = ((const T *)a.x)[e], *dx = (T *)a.y;
            atomicAdd(dx + r0 + w0[ow], c0 * b0[ow] * v);
            atomicAdd(dx + r0 + w1[ow], c0 * b1[ow] * v);
            atomicAdd(dx + r1 + w0[ow], c1 * b0[ow] * v);
            atomicAdd(dx + r1 + w1[ow], c1 * b1[ow] * v);
        } else {
            const T *x = (const T *)a.x;
            T t0 = x[r0 + w0[ow]] * b0[ow] + x[r0 + w1[ow]] * b1[ow];
            T t1 = x[r1 + w0[ow]] * b0[ow] + x[r1 + w1[ow]] * b1[ow];
            ((T *)a.y)[e] = t0 * c0 + t1 * c1;
        }
    }
}

template <typename T> void launch(const ct_cuda_win &a, int64_t total, unsigned blocks, cudaStream_t s) {
    switch (a.op.kind) {
    case CT_WIN_MAX:
    case CT_WIN_AVG:
    case CT_WIN_ADAPTIVE_MAX:
    case CT_WIN_ADAPTIVE_AVG: CT_LAUNCH(pool_fwd<T>, blocks, 256, 0, s, a, total); break;
    case CT_WIN_AVG_BWD:
    case CT_WIN_ADAPTIVE_AVG_BWD: CT_LAUNCH(avg_bwd<T>, blocks, 256, 0, s, a, total); break;
    case CT_WIN_MAX_BWD: CT_LAUNCH(max_bwd<T>, blocks, 256, 0, s, a, total); break;
    case CT_WIN_NEAREST: CT_LAUNCH((nearest<T, false>), blocks, 256, 0, s, a, total); break;
    case CT_WIN_NEAREST_BWD: CT_LAUNCH((nearest<T, true>), blocks, 256, 0, s, a, total); break;
    default: CT_LAUNCH(linear<T>, blocks, 256, 0, s, a, total, a.op.kind == CT_WIN_LINEAR_BWD); break;
    }
}

} // namespace

extern "C" int ct__cuda_window_launch(const ct_cuda_win *a) {
    const ct_window_op &w = a->op;
    // threads: the result's elements, except the scatters (one per element of x)
    bool over_in = w.kind == CT_WIN_AVG_BWD || w.kind == CT_WIN_ADAPTIVE_AVG_BWD;
    int64_t total = w.np * (over_in ? plane(w.in) : plane(w.out));
    if (total <= 0) return 0;
    int64_t blocks = (total + 255) / 256;
    if (blocks > 65535 * 8) blocks = 65535 * 8;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (w.dt == D_U8) CT_LAUNCH((nearest<uint8_t, false>), (unsigned)blocks, 256, 0, s, *a, total);
    else if (w.dt == D_F32) launch<float>(*a, total, (unsigned)blocks, s);
    else launch<double>(*a, total, (unsigned)blocks, s);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (pooling kernel launch)", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}
