/* Interface between the host side of the GPU sorts and scans
 * (src/cuda/sort.c) and their kernels (sort.cu). Dtypes are ct_dtype values
 * other than float16/bfloat16 (the callers sort and scan those as float32).
 * Every launch goes to the current stream; 0, or -1 with ct_set_error called.
 * Not installed. */
#ifndef CTORCH_CUDA_SORT_KERN_H
#define CTORCH_CUDA_SORT_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows up to this many elements (rounded up to a power of two) are sorted
 * by one block in shared memory; longer rows by global-memory passes. */
#define CT_CUDA_SORT_SMALL 2048

/* Sorts rows x[r * n .. r * n + n) (contiguous, dtype dt) by a bitonic
 * network over (key, index) pairs ordered by key (NaN above every number;
 * descending when desc) and then by index, which makes the result the
 * stable order. Writes idx[r * n + i] (int64) and, when vals is not NULL,
 * vals[r * n + i] (dtype dt). Rows longer than CT_CUDA_SORT_SMALL need
 * scratch: keys of rows * pow2(n) elements of dt and as many int64 in ix
 * (the caller allocates them on the GPU; NULL otherwise). */
int ct__cuda_sort_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                         int desc, void *keys, int64_t *ix);

/* Smallest power of two >= n (n >= 1). */
static inline int64_t ct__cuda_pow2(int64_t n) {
    int64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* Inclusive scan of x (contiguous [outer, L, inner], dtype dt) along L into
 * out (same layout and dtype); kind a ct_skind (0 cumsum, 1 cumprod, 2
 * cummax, 3 cummin; the extremes also write idx, int64, same layout). Sums
 * and products accumulate in double (floats) or wrapping 64-bit integers,
 * as src/kernels/cpu/reduce_scan.c. */
int ct__cuda_scan_launch(int dt, int kind, const void *x, void *out, int64_t *idx, int64_t outer,
                         int64_t L, int64_t inner);

#ifdef __cplusplus
}
#endif
#endif
