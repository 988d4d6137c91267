/* Interface between the fused optimizer steps' host side (src/optim/update.c
 * through ct__cuda, src/cuda/optim.c) and their kernels (optim.cu).
 * Coefficients as in src/optim/update_impl.h, converted to the parameter's
 * dtype in the kernel. Not installed. */
#ifndef CTORCH_CUDA_OPTIM_KERN_H
#define CTORCH_CUDA_OPTIM_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_cuda_sgd {
    double gs, wd, mom, damp1, neg_lr;
    int use_wd, use_mom, first, nesterov;
} ct_cuda_sgd;

typedef struct ct_cuda_adam {
    double gs, b1, c1, b2, c2, bc2_sqrt, eps, neg_step, wd, decay;
    int coupled_wd, amsgrad;
} ct_cuda_adam;

/* n contiguous elements (float64 when f64, else float32); 0 or -1. */
int ct__cuda_sgd_launch(int f64, void *p, const void *g, void *buf, int64_t n, const ct_cuda_sgd *a);
int ct__cuda_adam_launch(int f64, void *p, const void *g, void *m, void *v, void *vmax, int64_t n,
                         const ct_cuda_adam *a);

#ifdef __cplusplus
}
#endif
#endif
