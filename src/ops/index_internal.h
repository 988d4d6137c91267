/* Internals of the index family: kernels in src/kernels/cpu/index.c, used by
 * src/ops/index.c (dim-wise ops) and src/ops/index_adv.c (advanced indexing,
 * masks, take/put). Every function returns owned results, no scope, no
 * autograd. */
#ifndef CTORCH_INDEX_INTERNAL_H
#define CTORCH_INDEX_INTERNAL_H

#include "internal.h"
#include "autograd/inplace.h"

/* What the dim-wise kernel does at each (position, j) pair, where j walks the
 * index along dim and idx = index[..., j, ...]:
 *   GATHER: other[.., j, ..] = indexed[.., idx, ..]
 *   COPY:   indexed[.., idx, ..] = other[.., j, ..]
 *   FILL:   indexed[.., idx, ..] = value
 *   ADD:    indexed[.., idx, ..] += value * other[.., j, ..]   (value = alpha)
 *   MUL, MAX, MIN: indexed[.., idx, ..] = op(indexed, other)
 *   COUNT:  indexed[.., idx, ..] += 1 (indexed is int64) */
typedef enum {
    CT__SG_GATHER,
    CT__SG_COPY,
    CT__SG_FILL,
    CT__SG_ADD,
    CT__SG_MUL,
    CT__SG_MAX,
    CT__SG_MIN,
    CT__SG_COUNT,
} ct__sg_op;

/* Value v stored in dtype dt at bits (8 bytes). Integer dtypes saturate
 * (+-inf give the dtype's max/min: the identities of amin/amax); other
 * values truncate toward zero like a C cast. */
void ct__index_value_bits(void *bits, ct_dtype dt, double v);

/* x /= count where count > 0 (int64 count broadcast to x); integer dtypes
 * round toward negative infinity (scatter_reduce "mean"). */
void ct__div_by_count(ct_tensor *x, const ct_tensor *count);

/* Runs op over the shape of index (int64, same ndim as indexed; other, when
 * given, has the dtype of indexed and at least index's sizes). Work is split
 * across threads over the positions off dim only, so writes never collide,
 * even with duplicate indices. Returns 0; 1 when an index is outside
 * [0, indexed.size(dim)) (*bad = that index; output partly written), -1
 * with an error. Tensors on a GPU go to ct__cuda->sg_run (the one GPU entry;
 * mixed devices are an error there). */
int ct__sg_run(ct__sg_op op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other,
               int dim, double value, int64_t *bad);

/* off (int64, contiguous) += wrap(idx) * stride for idx broadcast to off's
 * shape; negative indices count from the end. Returns 0, or 1 with *bad set
 * when an index is outside [-size, size). */
int ct__index_add_offsets(ct_tensor *off, const ct_tensor *idx, int64_t size, int64_t stride,
                          int64_t *bad);

/* out = src[off] element-wise over out's shape: src and off are views of
 * out's shape (src with stride 0 over the indexed dims, off with stride 0
 * over the others); the source element is at src + off elements. */
void ct__index_gather_offsets(ct_tensor *out, const ct_tensor *src, const ct_tensor *off);
/* dst[off] = val (or += when accumulate); duplicate offsets are written in
 * index order (the last write wins, or every one is summed): threads only
 * split a last dim that is not indexed. */
void ct__index_put_offsets(ct_tensor *dst, const ct_tensor *val, const ct_tensor *off,
                           bool accumulate);

/* Number of nonzero elements and their coordinates: idx is [n, ndim] int64
 * (allocated here); x is any dtype. Returns NULL on allocation failure. */
ct_tensor *ct__nonzero(const ct_tensor *x);

/* masked_fill on a tensor and a mask broadcast to its shape (bool or uint8). */
void ct__masked_fill(ct_tensor *x, const ct_tensor *mask, double value);

/* Row-major mask kernels over contiguous x and mask (bool or uint8 bytes)
 * of n elements of isz bytes each. select writes the chosen elements to out
 * and returns their count; scatter overwrites the chosen elements of x with
 * consecutive elements of src and returns how many it used. */
int64_t ct__masked_select_contig(char *out, const char *x, const uint8_t *mask, int64_t n,
                                 size_t isz);
int64_t ct__masked_scatter_contig(char *x, const char *src, const uint8_t *mask, int64_t n,
                                  size_t isz);
int64_t ct__count_nonzero_bytes(const uint8_t *mask, int64_t n);

/* The autograd hook before an in-place write of x with operand o1 (may be
 * NULL): PyTorch's leaf errors before anything is written, and the old x
 * kept when the derivative reads it. Returns 0 or -1. */
static inline int ct__idx_begin_inplace(bool inplace, int op, const ct_tensor *x,
                                        const ct_tensor *o1) {
    const ct_tensor *in[2] = {x, o1};
    if (!inplace || !ct__needs_grad(in, o1 ? 2 : 1)) return 0;
    return ct__ag_inplace_begin(op, (ct_tensor *)x, in, o1 ? 2 : 1);
}

#endif
