/* Shared by the parts of the CPU emulator (the .cc files of src/cuda/emu). */
#ifndef CTORCH_CUDA_EMU_INTERNAL_H
#define CTORCH_CUDA_EMU_INTERNAL_H

#include <cuda_runtime_api.h>
#include <stddef.h>

namespace ct_emu {

/* Sets the last error of this host thread to code, with the detail that
 * cudaGetErrorString(code) appends until the error is read. */
void launch_error(cudaError_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when a kernel may run on stream with these pointer arguments on the
 * current device, else -1 with the launch error set. */
int check_launch(const char *name, cudaStream_t stream, const void *const *ptrs, int nptr);
/* The device whose allocation holds [p, p + n) (n == 0: p may be its
 * end), -2 for pinned host memory, -1 for anything else. */
int device_of(const void *p, size_t n);
/* The device a stream belongs to (the current device for the default
 * streams), -1 for a handle that is not a live stream. */
int stream_device(cudaStream_t s);
int current_device();

} // namespace ct_emu

#endif
