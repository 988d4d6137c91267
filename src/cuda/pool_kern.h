/* Interface between src/cuda/pool.c (host) and src/cuda/pool.cu (kernels):
 * one window op or resampling (nn/window.h) with its operands and tables
 * on the device. Not installed. */
#ifndef CTORCH_CUDA_POOL_KERN_H
#define CTORCH_CUDA_POOL_KERN_H

#include <stdint.h>

#include "nn/window.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_cuda_win {
    ct_window_op op;         /* its host table pointers are not used */
    const void *x;           /* the forward's input, or the gradient of its output */
    void *y;                 /* the result: the output, or the input's gradient */
    int64_t *idx;            /* MAX kinds: written; MAX_BWD: read */
    const int64_t *i0[3], *i1[3]; /* device tables (NEAREST, LINEAR) */
    const void *l0[3], *l1[3];
    int *err;                /* MAX_BWD: set to 1 on an index outside its plane */
} ct_cuda_win;

/* Launches on the current stream (the result already zeroed for the
 * scattering kinds); 0, or -1 with the error set. */
int ct__cuda_window_launch(const ct_cuda_win *a);

#ifdef __cplusplus
}
#endif
#endif
