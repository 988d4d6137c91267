/* Internal interface between the host side of the CUDA layer (the .c files of src/cuda,
 * compiled by gcc against the CUDA runtime API) and its kernels
 * (the .cu files, compiled by nvcc). Not installed. */
#ifndef CTORCH_CUDA_INTERNAL_H
#define CTORCH_CUDA_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

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

/* C[i, j] = beta * C[i, j] (0 when beta == 0, C not read) for an M x N
 * row-major block with row stride ldc of dtype dt (float32/float64). */
int ct__cuda_scale_rows(void *C, int dt, int64_t M, int64_t N, int64_t ldc, double beta);

#define CT_CUDA_MAX_DEVICES 16

/* One reduction (reduce.cu; built by reduce.c): out[o] = post(fold over r
 * of map(x[kept(o) + red(r)])). Dims of size 1 are dropped; kept dims
 * outermost first in the order of out. Accumulators are double for
 * floating inputs and int64 for integral/bool inputs and counts (int_acc).
 * groups > 1 splits each output's reduced range over that many blocks
 * whose partial states go to part/part_idx (nout * groups each), folded by
 * a second pass: two passes, no atomics, a deterministic order. */
typedef struct ct_cuda_red {
    int kind, post; /* ct_rkind, ct_rpost (ops/reduce_internal.h) */
    double p, s;
    int in_dt, out_dt, int_acc;
    const void *x;
    void *out;
    int64_t *idx;          /* arg kinds: index along the one reduced dim */
    const double *centre;  /* per output, or NULL */
    int nk, nr;
    int64_t ksizes[CT_CUDA_MAX_DIMS], kstrides[CT_CUDA_MAX_DIMS];
    int64_t rsizes[CT_CUDA_MAX_DIMS], rstrides[CT_CUDA_MAX_DIMS];
    int64_t nout, nred;
    int64_t groups;
    void *part;       /* nout * groups accumulators (8 bytes each) */
    int64_t *part_idx;
} ct_cuda_red;

/* Up to this many reduced elements an output is folded by one thread. */
#define CT_CUDA_RED_SMALL 32
/* Elements a block folds at least before the range is split into groups. */
#define CT_CUDA_RED_CHUNK 4096

int ct__cuda_reduce_launch(const ct_cuda_red *a);

/* The gather/scatter kernel's arguments: index_kern.h. */

/* softmax / log_softmax of a contiguous [outer, D, inner] float32/float64
 * block into out (softmax.cu). outer * D * inner > 0. */
int ct__cuda_softmax_launch(int dt, const void *x, void *out, int64_t outer, int64_t D,
                            int64_t inner, int log);

/* The stream work of this thread goes to on the current device (a
 * cudaStream_t; NULL = the legacy default stream). runtime.c. */
void *ct__cuda_stream(void);

/* Random numbers on the GPU (random.cu): numel contiguous elements of
 * dtype dt from the counter-based Philox4x32-10 generator keyed by seed:
 * kind 0 uniform [a, b), 1 normal (mean a, std b), 2 bernoulli (p = a).
 * Element i uses counter i, so the result depends only on (seed, i), not on
 * the launch shape. src/ops/random.c draws seed from the ctorch generator
 * (one 64-bit draw per call), so ct_manual_seed makes GPU draws
 * reproducible. In a CPU-only build it returns the "not compiled with
 * CUDA" error (src/core/device.c). */
#define CT_CUDA_RAND_UNIFORM 0
#define CT_CUDA_RAND_NORMAL 1
#define CT_CUDA_RAND_BERNOULLI 2
int ct__cuda_random_fill(void *data, int dt, int64_t numel, int kind, double a, double b,
                         uint64_t seed);

/* Reports an out-of-range index recorded by advanced indexing on the
 * device since the last call (index.c): -1 with the IndexError set, else
 * 0. Called at the synchronising points (it may itself synchronise). */
int ct__cuda_index_errcheck(void);

/* Host side (runtime.c): sets the ctorch error from a CUDA error code and
 * returns -1 (0 when code is cudaSuccess). */
int ct__cuda_check(int code, const char *what);
/* Opens `versioned` (else `plain`) with dlopen and stores symbol names[i] in
 * *slots[i]; 0, or -1 with a message in err (the libraries opened on first
 * use: cuBLAS, cuDNN). */
int ct__cuda_dlopen(const char *versioned, const char *plain, int n, const char *const *names,
                    void **const *slots, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
