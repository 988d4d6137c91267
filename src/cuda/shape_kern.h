/* Interface between src/cuda/shape.c (host) and src/cuda/shape.cu (kernels):
 * the shape, indexing and counting ops of ct__cuda (tri, compact, take,
 * searchsorted, hist, isclose). Not installed. Element sizes and dtypes are
 * ct_dtype values; every buffer is contiguous unless strides are given. */
#ifndef CTORCH_CUDA_SHAPE_KERN_H
#define CTORCH_CUDA_SHAPE_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Zeroes the elements of numel / (rows * cols) row-major [rows, cols]
 * matrices (esz bytes each) outside the band: upper keeps col - row >= k,
 * else col - row <= k. */
int ct__cuda_tri_launch(void *data, int64_t numel, int64_t rows, int64_t cols, int esz, int64_t k,
                        int upper);

/* Stream compaction in two passes over n elements of x, in blocks of
 * CT_CUDA_CMP_CHUNK elements (CT_CUDA_CMP_THREADS threads, each a contiguous
 * run of CT_CUDA_CMP_PER_THREAD). An element is flagged by kind: NONZERO
 * x[i] != 0 (NaN counts, -0.0 does not), NEWRUN i == 0 || !(x[i] == x[i-1])
 * (every NaN starts a run). Pass 1 writes the flagged count of block b to
 * blk[b]; the host turns them into exclusive offsets; pass 2 then gives the
 * r-th flagged element i (in index order):
 *   pos: pos[r] = i, or the nd coordinates of i in sizes at pos[r * nd..]
 *        when nd > 0 (NULL: none);
 *   rank: rank[i] = (flagged elements at or before i) - 1, for every i;
 *   dst/src: dst[i] = src[r] (esz bytes each). */
enum { CT_CUDA_CMP_NONZERO, CT_CUDA_CMP_NEWRUN };
#define CT_CUDA_CMP_THREADS 256
#define CT_CUDA_CMP_PER_THREAD 16
#define CT_CUDA_CMP_CHUNK (CT_CUDA_CMP_THREADS * CT_CUDA_CMP_PER_THREAD)

typedef struct ct_cuda_compact {
    int kind, dt;
    int64_t n;
    const void *x;
    int64_t *blk;
    int64_t *pos;
    int nd;
    int64_t sizes[CT_CUDA_MAX_DIMS];
    int64_t *rank;
    void *dst;
    const void *src;
    int esz;
} ct_cuda_compact;

int ct__cuda_compact_launch(const ct_cuda_compact *a, int pass);

/* out[i] = x[j] with j = idx[i] (+ n when negative), m indices, x of n
 * elements (esz bytes). A j outside [0, n) sets err[0] = 1, err[1] = idx[i]
 * (err: two device int64 zeroed by the caller) and leaves out[i]. */
int ct__cuda_take_launch(void *out, const void *x, const int64_t *idx, int64_t m, int64_t n,
                         int esz, int64_t *err);

/* For each of nv values (dtype dt, not float16/bfloat16) the insertion point
 * in its sorted row of n elements of seq (row i / inner when batched, else
 * the one row): the first j with !(seq[j] < v) (right: !(seq[j] <= v)),
 * written as int32 (o32) or int64. */
int ct__cuda_searchsorted_launch(int dt, const void *seq, const void *vals, void *out, int64_t n,
                                 int64_t nv, int64_t inner, int batched, int right, int o32);

/* Histograms of n float32/float64 (dt) elements into acc (nb doubles,
 * zeroed by the caller), with weights w (same dtype) or 1. mode HISTC:
 * bins of [lo, hi] (PyTorch's histc); LINEAR: nb + 1 edges e, equal widths
 * (interpolated, then refined by a search); EDGES: any increasing edges e
 * (full search). Elements outside the range and NaNs are dropped. */
enum { CT_CUDA_HIST_HISTC, CT_CUDA_HIST_LINEAR, CT_CUDA_HIST_EDGES };
int ct__cuda_hist_launch(int dt, int mode, const void *x, const void *w, int64_t n, const void *e,
                         int64_t nb, double lo, double hi, double *acc);

/* out (bool, contiguous over sizes) = isclose(a, b) for a and b of dtype
 * dt broadcast by their strides (elements), computed in double (dbl) or
 * float. */
typedef struct ct_cuda_close {
    int dt, dbl, nd, equal_nan;
    int64_t numel;
    int64_t sizes[CT_CUDA_MAX_DIMS], st_a[CT_CUDA_MAX_DIMS], st_b[CT_CUDA_MAX_DIMS];
    const void *a, *b;
    uint8_t *out;
    double rtol, atol;
} ct_cuda_close;
int ct__cuda_isclose_launch(const ct_cuda_close *c);

#ifdef __cplusplus
}
#endif
#endif
