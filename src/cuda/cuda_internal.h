/* Internal interface between the host side of the CUDA layer (the .c files of src/cuda,
 * compiled by gcc against the CUDA runtime API) and its kernels
 * (the .cu files, compiled by nvcc). Not installed. */
#ifndef CTORCH_CUDA_INTERNAL_H
#define CTORCH_CUDA_INTERNAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_CUDA_MAX_DIMS 16
#define CT_CUDA_MAX_OPS 4

/* One elementwise launch: operand 0 is the output, 1..nin the inputs.
 * Operands are read and written in their own dtype (ct_dtype values) and
 * computed in compute_dt. An input with is_scalar set is the host value
 * scalar[k] (a CPU 0-d tensor next to GPU tensors). Strides in elements,
 * sizes outermost first; a broadcast dim has stride 0. */
typedef struct ct_cuda_ew {
    int kop;          /* ct_pw_kop, or CT_CUDA_COPY */
    int nin;
    int nd;
    int compute_dt;
    int64_t numel;
    int64_t sizes[CT_CUDA_MAX_DIMS];
    int64_t strides[CT_CUDA_MAX_OPS][CT_CUDA_MAX_DIMS];
    void *data[CT_CUDA_MAX_OPS];
    int dtype[CT_CUDA_MAX_OPS];
    int is_scalar[CT_CUDA_MAX_OPS];
    double scalar[CT_CUDA_MAX_OPS];
    double f[4];
    int64_t i[4];
    int *err; /* device int set to a CT_PW_ERR_* code by integer kernels */
} ct_cuda_ew;

/* kop of a plain converting copy out = in1 */
#define CT_CUDA_COPY (-1)

/* Launches on the current device's default stream; returns 0, or -1 with
 * ct_set_error called (a launch error). */
int ct__cuda_ew_launch(const ct_cuda_ew *a);
/* Fills numel contiguous elements of dtype dt with v. */
int ct__cuda_fill(void *data, int dt, int64_t numel, double v);

/* Host side (runtime.c): sets the ctorch error from a CUDA error code and
 * returns -1 (0 when code is cudaSuccess). */
int ct__cuda_check(int code, const char *what);

#ifdef __cplusplus
}
#endif
#endif
