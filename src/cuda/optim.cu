// Fused optimizer steps on the GPU: one kernel per parameter tensor for
// SGD (momentum, dampening, nesterov, weight decay) and Adam/AdamW
// (amsgrad), the same arithmetic in the parameter's dtype as the CPU loops
// of src/optim/update_impl.h. Operands are contiguous and of one dtype.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/optim_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

template <typename T> __global__ void sgd_kernel(T *p, const T *g, T *buf, int64_t n, ct_cuda_sgd a) {
    const T gs = (T)a.gs, wd = (T)a.wd, mom = (T)a.mom, damp1 = (T)a.damp1, neg_lr = (T)a.neg_lr;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        T d = gs * g[i];
        if (a.use_wd) d = d + wd * p[i];
        if (a.use_mom) {
            T m = a.first ? d : buf[i] * mom + damp1 * d;
            buf[i] = m;
            d = a.nesterov ? d + mom * m : m;
        }
        p[i] = p[i] + neg_lr * d;
    }
}

template <typename T>
__global__ void adam_kernel(T *p, const T *g, T *m, T *v, T *vmax, int64_t n, ct_cuda_adam a) {
    const T gs = (T)a.gs, b1 = (T)a.b1, c1 = (T)a.c1, b2 = (T)a.b2, c2 = (T)a.c2;
    const T bc2_sqrt = (T)a.bc2_sqrt, eps = (T)a.eps, neg_step = (T)a.neg_step, wd = (T)a.wd,
            decay = (T)a.decay;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        T gi = gs * g[i];
        T pi = p[i] * decay;
        if (a.coupled_wd) gi = gi + wd * pi;
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (a.amsgrad) {
            T mx = vmax[i];
            if (mx < vi || vi != vi) mx = vi;
            vmax[i] = mx;
            vi = mx;
        }
        T denom = sqrt(vi) / bc2_sqrt + eps;
        p[i] = pi + neg_step * mi / denom;
    }
}

unsigned grid_of(int64_t n) {
    int64_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 * 8 ? 65535 * 8 : b);
}

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s kernel launch)", cudaGetErrorString(e), what);
    return -1;
}

} // namespace

extern "C" int ct__cuda_sgd_launch(int f64, void *p, const void *g, void *buf, int64_t n,
                                   const ct_cuda_sgd *a) {
    if (n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (f64) CT_LAUNCH(sgd_kernel<double>, grid_of(n), 256, 0, s, (double *)p, (const double *)g, (double *)buf, n, *a);
    else CT_LAUNCH(sgd_kernel<float>, grid_of(n), 256, 0, s, (float *)p, (const float *)g, (float *)buf, n, *a);
    return launched("sgd_update_");
}

extern "C" int ct__cuda_adam_launch(int f64, void *p, const void *g, void *m, void *v, void *vmax,
                                    int64_t n, const ct_cuda_adam *a) {
    if (n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (f64)
        CT_LAUNCH(adam_kernel<double>, grid_of(n), 256, 0, s, (double *)p, (const double *)g, (double *)m,
                                                       (double *)v, (double *)vmax, n, *a);
    else
        CT_LAUNCH(adam_kernel<float>, grid_of(n), 256, 0, s, (float *)p, (const float *)g, (float *)m,
                                                      (float *)v, (float *)vmax, n, *a);
    return launched("adam_update_");
}
