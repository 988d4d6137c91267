/* Interface between src/cuda/index.c (host) and src/cuda/index.cu (kernels):
 * the dim-wise scatter/gather of ct__sg_run on the GPU. Not installed. */
#ifndef CTORCH_CUDA_INDEX_KERN_H
#define CTORCH_CUDA_INDEX_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One launch over every element of index (nd dims, sizes outermost first,
 * a 0-d index read as [1]): with idx = index[pos] and pos' = pos with
 * pos'[dim] = idx, op (a ct__sg_op) acts on indexed[pos'] and other[pos].
 * Strides in elements. An idx outside [0, lim) sets err[0] = 1 and err[1] =
 * the first such idx seen (err: two device int64, zeroed by the caller). */
/* The ct__sg_op values (ops/index_internal.h; checked in index.c). */
enum {
    CT_CUDA_SG_GATHER,
    CT_CUDA_SG_COPY,
    CT_CUDA_SG_FILL,
    CT_CUDA_SG_ADD,
    CT_CUDA_SG_MUL,
    CT_CUDA_SG_MAX,
    CT_CUDA_SG_MIN,
    CT_CUDA_SG_COUNT,
};

typedef struct ct_cuda_sg {
    int op, dt, nd, dim;
    int64_t numel, lim;
    int64_t sizes[CT_CUDA_MAX_DIMS];
    int64_t st_ix[CT_CUDA_MAX_DIMS], st_idx[CT_CUDA_MAX_DIMS], st_oth[CT_CUDA_MAX_DIMS];
    void *ix;
    const int64_t *idx;
    void *oth;
    double value;  /* alpha of ADD */
    uint64_t bits; /* FILL value in dt */
    int64_t *err;
} ct_cuda_sg;

int ct__cuda_sg_launch(const ct_cuda_sg *a);

/* Indexing by element offsets (advanced indexing, masked_select): one
 * thread per position p of sizes (nd dims, outermost first; nd 0 = one
 * element); off[p] (int64) is added to b's offset (put = 0: a[p] = b[p +
 * off]) or to a's (put = 1: a[p + off] = b[p], acc = 1: += atomically).
 * Strides in elements; a and b have dtype dt. */
typedef struct ct_cuda_offs {
    int dt, nd, put, acc;
    int64_t numel;
    int64_t sizes[CT_CUDA_MAX_DIMS];
    int64_t st_a[CT_CUDA_MAX_DIMS], st_b[CT_CUDA_MAX_DIMS], st_off[CT_CUDA_MAX_DIMS];
    void *a;
    const void *b;
    const int64_t *off;
} ct_cuda_offs;

int ct__cuda_offs_launch(const ct_cuda_offs *a);

/* Advanced indexing's offsets on the device: off[p] += wrap(idx[p]) *
 * stride for every position p of off (contiguous, nd dims, sizes outermost
 * first); idx (int64) read with st_idx (0 over broadcast dims). An index
 * outside [-lim, lim) adds 0 and records (dim, index, lim) in err (four
 * device int64: flag, dim, index, lim; the first launch that fails wins). */
typedef struct ct_cuda_addoff {
    int nd, dim;
    int64_t numel, lim, stride;
    int64_t sizes[CT_CUDA_MAX_DIMS], st_idx[CT_CUDA_MAX_DIMS];
    int64_t *off;
    const int64_t *idx;
    long long *err;
} ct_cuda_addoff;

int ct__cuda_addoff_launch(const ct_cuda_addoff *a);

/* nonzero of a contiguous bool tensor m of n elements (nd dims, sizes):
 * ct__cuda_nz_count writes the inclusive count of true elements before each
 * position into cnt (n int64; scratch of ct__cuda_scan_scratch(int64,
 * cumsum, 1, n, 1) bytes); after the host has read cnt[n - 1],
 * ct__cuda_nz_fill writes the coordinates of the k-th true element to
 * out[k * nd .. k * nd + nd). */
int ct__cuda_nz_count(const uint8_t *m, int64_t n, int64_t *cnt, void *scratch);
int ct__cuda_nz_fill(const uint8_t *m, const int64_t *cnt, int64_t n, int nd, const int64_t *sizes,
                     int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
