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

/* Streams (torch.cuda.Stream): opaque cudaStream_t handles; NULL is the
 * default stream. The current stream is per thread and per device
 * (-1 = current device): every kernel and cuBLAS call of the thread on that
 * device goes there. query: 1 done, 0 pending, -1 error. */
int ct_cuda_stream_create(int device, int priority, void **stream);
int ct_cuda_stream_destroy(void *stream);
void *ct_cuda_get_stream(int device);
int ct_cuda_set_stream(int device, void *stream);
int ct_cuda_stream_synchronize(void *stream);
int ct_cuda_stream_query(void *stream);
int ct_cuda_stream_wait_event(void *stream, void *event);
/* Events (torch.cuda.Event): opaque cudaEvent_t handles. */
int ct_cuda_event_create(bool enable_timing, bool blocking, void **event);
int ct_cuda_event_destroy(void *event);
int ct_cuda_event_record(void *event, void *stream);
int ct_cuda_event_synchronize(void *event);
int ct_cuda_event_query(void *event);
int ct_cuda_event_elapsed_ms(void *start, void *end, float *ms);

/* Tensor.pin_memory(): a copy of the CPU tensor t in page-locked host
 * memory, t itself when already pinned. Needs a GPU. The memory comes from
 * a caching host allocator (blocks of power-of-two sizes from
 * cudaHostAlloc, reused once the non-blocking copies that use them are
 * done; ct_cuda_empty_cache returns the unused ones). */
ct_tensor *ct_pin_memory(const ct_tensor *t);
/* Statistics of the pinned host cache, in bytes: held by tensors now,
 * held from the driver now (cached included), the peak of allocated. */
typedef struct ct_cuda_host_memory_stats {
    size_t allocated, reserved, max_allocated;
    uint64_t driver_allocs;  /* cudaHostAlloc calls so far */
    uint64_t cache_hits;     /* requests served from the cache */
    uint64_t pending_blocks; /* freed blocks still waiting for their copies */
} ct_cuda_host_memory_stats;
ct_cuda_host_memory_stats ct_cuda_host_memory_stats_get(void);
/* Tensor.is_pinned() (false in a CPU-only build). */
bool ct_is_pinned(const ct_tensor *t);
/* dst.copy_(src, non_blocking=True): queued on the current stream without
 * waiting when one side is pinned host memory and both are contiguous with
 * the same dtype and shape (src must then stay unchanged until the stream
 * reaches the copy); otherwise a synchronous copy. 0 or -1. */
int ct_cuda_copy_nonblocking(ct_tensor *dst, const ct_tensor *src);

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
