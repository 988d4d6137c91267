/* Small helpers of the host side of the GPU families (the .c files of src/cuda):
 * device checks and switching. Not installed. */
#ifndef CTORCH_CUDA_HOST_UTIL_H
#define CTORCH_CUDA_HOST_UTIL_H

#include <cuda_runtime_api.h>

#include "cuda/cuda_internal.h"
#include "internal.h"

static inline bool same_dev(const ct_tensor *a, const ct_tensor *b) {
    ct_device x = a->storage->device, y = b->storage->device;
    return x.type == y.type && x.index == y.index;
}

/* Makes dev current; *prev gets the previous device. 0 or -1. */
static inline int enter(ct_device dev, int *prev, const char *op) {
    if (ct__cuda_check(cudaGetDevice(prev), op) < 0) return -1;
    if (dev.index >= 0 && dev.index != *prev) return ct__cuda_check(cudaSetDevice(dev.index), op);
    return 0;
}
static inline void leave(ct_device dev, int prev) {
    if (dev.index >= 0 && dev.index != prev) cudaSetDevice(prev);
}

static inline int internal_error(const char *op, const char *what) {
    ct_set_error(CT_ERR_RUNTIME, "%s: internal error: %s", op, what);
    return -1;
}

#endif
