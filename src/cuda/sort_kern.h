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
 * vals[r * n + i] (dtype dt), only the first nout (<= n) of every sorted row
 * (row stride nout in idx and vals). Rows longer than CT_CUDA_SORT_SMALL
 * need scratch: keys of rows * pow2(n) elements of dt and as many int64 in
 * ix (the caller allocates them on the GPU; NULL otherwise). */
int ct__cuda_sort_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                         int64_t nout, int desc, void *keys, int64_t *ix);

/* Rows at least this long, with k <= CT_CUDA_SORT_SMALL, go through the
 * radix select of ct__cuda_topk_launch; others are sorted in full. */
#define CT_CUDA_TOPK_SELECT_MIN 1024

/* The first k (1 <= k <= CT_CUDA_SORT_SMALL) of every row of x
 * (contiguous rows x n, dtype dt) in the stable sorted order, descending
 * when largest: a radix select of the k-th key, the k kept compacted in
 * index order into the scratch vsel/isel (rows * k elements of dt / int64),
 * then sorted. Writes idx[r * k + j] and vals[r * k + j] (may be NULL). */
int ct__cuda_topk_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                         int64_t k, int largest, void *vsel, int64_t *isel);

/* Smallest power of two >= n (n >= 1). */
static inline int64_t ct__cuda_pow2(int64_t n) {
    int64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* Lines at least this long are scanned by blocks of threads (sort.cu). */
#define CT_CUDA_SCAN_LONG 1024

/* Inclusive scan of x (contiguous [outer, L, inner], dtype dt) along L into
 * out (same layout and dtype); kind a ct_skind (0 cumsum, 1 cumprod, 2
 * cummax, 3 cummin; the extremes also write idx, int64, same layout). Sums
 * and products accumulate in double (floats) or wrapping 64-bit integers,
 * as src/kernels/cpu/reduce_scan.c. Long lines need scratch on the GPU of
 * ct__cuda_scan_scratch() bytes (0: none, scratch may be NULL). */
int64_t ct__cuda_scan_scratch(int dt, int kind, int64_t outer, int64_t L, int64_t inner);
int ct__cuda_scan_launch(int dt, int kind, const void *x, void *out, int64_t *idx, int64_t outer,
                         int64_t L, int64_t inner, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
