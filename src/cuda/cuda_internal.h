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

/* Random numbers on the GPU (random.cu): the counter-based
 * Philox4x32-10 generator keyed by seed. Element i of a launch draws from
 * counters (i, r, 0, 0), r = 0, 1, ... for the rounds a sampler needs (one
 * round for every kind but poisson's rejection loops), so a result depends
 * only on (seed, i), never on the launch shape or the number of threads.
 * src/ops/random.c draws seed from the ctorch generator (one 64-bit draw
 * per call), so ct_manual_seed makes GPU draws reproducible; the values
 * differ from the CPU's (and from PyTorch's CUDA generator). Kinds and
 * their parameters (a, b, or per element pa[i], pb[i] when not NULL):
 * uniform [a, b); normal (mean a, std b); bernoulli (p = a); exponential
 * (lambda a); geometric (p a); log_normal (mean a, std b of the log);
 * cauchy (median a, sigma b); randint (base + 64 random bits mod range,
 * stored exactly for integer dtypes); poisson (rate a). */
#define CT_CUDA_RAND_UNIFORM 0
#define CT_CUDA_RAND_NORMAL 1
#define CT_CUDA_RAND_BERNOULLI 2
#define CT_CUDA_RAND_EXPONENTIAL 3
#define CT_CUDA_RAND_GEOMETRIC 4
#define CT_CUDA_RAND_LOG_NORMAL 5
#define CT_CUDA_RAND_CAUCHY 6
#define CT_CUDA_RAND_RANDINT 7
#define CT_CUDA_RAND_POISSON 8
typedef struct ct_cuda_rand {
    int kind, dt;          /* dt: the ct_dtype of data */
    int64_t numel;
    void *data;            /* numel contiguous elements */
    double a, b;
    const double *pa, *pb; /* per-element parameters on the GPU, or NULL */
    int64_t base;
    uint64_t range;
    uint64_t seed;
    int *bad; /* device int set to 1 when a per-element parameter is out of
                 range (bernoulli p outside [0, 1], std or rate < 0), or NULL */
} ct_cuda_rand;
int ct__cuda_random_launch(const ct_cuda_rand *r);
/* multinomial's kernels (random.cu; ct__cuda->multinomial in random.c):
 * check: a thread per row of p (rows x ncat float64) sets *code (device,
 * preset to INT_MAX) to the smallest 8 * row + check code of a bad row (the
 * codes of the hook) and, unless keyed, cum to each row's normalised
 * cumulative sums (in float32 when single). keys: keys[i] = p[i] / E with
 * E ~ Exp(1) from counter i. draw: out[r * n + k] = the first category of
 * row r whose cum reaches a uniform from counter r * n + k, skipping
 * zero-probability categories. */
int ct__cuda_multinomial_check(const double *p, int64_t rows, int64_t ncat, int keyed, int single,
                               double *cum, int *code);
int ct__cuda_multinomial_keys(const double *p, double *keys, int64_t numel, uint64_t seed);
int ct__cuda_multinomial_draw(const double *cum, const double *p, int64_t rows, int64_t ncat,
                              int64_t n, int64_t *out, uint64_t seed);

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
