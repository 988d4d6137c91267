/* Devices and the CUDA backend: placement (ct_to_device), the CUDA device
 * API of torch.cuda, and the device caching allocator's statistics.
 *
 * Every function here exists in every build. A CPU-only build (no nvcc at
 * build time) answers truthfully: ct_cuda_is_available() is false,
 * ct_cuda_version() is NULL, and moving a tensor to CUDA fails with
 * "Torch not compiled with CUDA enabled". A CUDA build on a machine without
 * a GPU runs every CPU path and answers is_available() false.
 *
 * Which ops run on CUDA tensors: views (metadata only), copies between
 * devices and dtypes, fills, and the elementwise ops of the pointwise family
 * (unary, binary, comparisons, where/lerp/addcmul/addcdiv/clamp) for
 * float32, float64, int64, int32 and bool. Every other op given a CUDA
 * tensor fails with a "not implemented for CUDA tensors" error naming the op.
 * Ownership: see core.h. */
#ifndef CTORCH_CUDA_H
#define CTORCH_CUDA_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The CUDA runtime version this build was compiled with ("13.0"), or NULL
 * for a CPU-only build (torch.version.cuda). */
const char *ct_cuda_version(void);
/* True when this build has CUDA and the driver reports at least one GPU. */
bool ct_cuda_is_available(void);
/* Number of GPUs (0 without CUDA, driver or GPU). */
int ct_cuda_device_count(void);
/* The current device index, or -1 with an error when there is no GPU. */
int ct_cuda_current_device(void);
int ct_cuda_set_device(int index);
/* Waits for all work on the current device (or `index`, -1 = current). */
int ct_cuda_synchronize(int index);
/* Writes the device's name into buf; -1 with an error when it has none. */
int ct_cuda_get_device_name(int index, char *buf, size_t len);

/* Device caching allocator statistics of device `index` (-1 = current), in
 * bytes: held by tensors now, held from the driver now (cached included),
 * the peak of allocated since the last reset. */
typedef struct ct_cuda_memory_stats {
    size_t allocated, reserved, max_allocated;
    uint64_t driver_allocs; /* cudaMalloc calls so far: flat once warm */
} ct_cuda_memory_stats;
ct_cuda_memory_stats ct_cuda_memory_stats_get(int index);
void ct_cuda_reset_peak_memory_stats(int index);
/* Returns the cached, unused blocks to the driver. */
void ct_cuda_empty_cache(void);

/* PyTorch's torch.backends.cuda.matmul.allow_tf32: float32 products on the
 * GPU may use TF32 tensor cores (10-bit mantissa inputs). Default false, as
 * in PyTorch >= 1.12. Settable in every build. */
void ct_cuda_set_allow_tf32(bool allow);
bool ct_cuda_allow_tf32(void);

/* Parses "cpu", "cuda", "cuda:N" into *dev; -1 with an error otherwise. */
int ct_device_parse(const char *s, ct_device *dev);
/* "cpu", "cuda:0": writes into buf and returns it. */
const char *ct_device_str(ct_device d, char *buf, size_t len);

/* t on device `dev` (a copy; t itself when it is already there, like
 * Tensor.to). Copies are synchronous. */
ct_tensor *ct_to_device(const ct_tensor *t, ct_device dev);
/* Tensor.cuda() (current device) and Tensor.cpu(). */
ct_tensor *ct_cuda(const ct_tensor *t);
ct_tensor *ct_cpu(const ct_tensor *t);
/* An uninitialised contiguous tensor on dev. */
ct_tensor *ct_empty_device(const int64_t *sizes, int ndim, ct_dtype dtype, ct_device dev);

#ifdef __cplusplus
}
#endif
#endif
