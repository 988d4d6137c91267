/* Interface between src/cuda/nn.c (host) and src/cuda/nn.cu (kernels): the
 * nn family's kernels (embedding backward, embedding_bag forward,
 * trunc_normal_). Every array contiguous on the current device; f64
 * selects double over float. Not installed. */
#ifndef CTORCH_CUDA_NN_KERN_H
#define CTORCH_CUDA_NN_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out [num][D]: row r = sum over k in [start[r], start[r + 1]) of
 * g[order[k]][D] (times 1 / count when scaled), zeros at row pad. */
int ct__cuda_emb_bwd_launch(int f64, const void *g, const int64_t *order, const int64_t *start,
                            int64_t num, int64_t D, int64_t pad, int scaled, void *out);

/* embedding_bag forward: bag b covers entries [bounds[b], bounds[b + 1]) of
 * idx; rows at pad count for nothing; mode 0 sum (times psw[i] when psw is
 * not NULL), 1 mean, 2 max (mi [B][D]: the argmax row, -1 in an empty bag). */
int ct__cuda_emb_bag_launch(int f64, const void *w, const int64_t *idx, const int64_t *bounds,
                            const void *psw, int64_t B, int64_t D, int mode, int64_t pad, void *out,
                            int64_t *mi);

/* x[i] = clamp(mean + scale * erfinv(x[i]), lo, hi), n elements. */
int ct__cuda_trunc_normal_launch(int f64, void *x, int64_t n, double mean, double scale, double lo,
                                 double hi);

#ifdef __cplusplus
}
#endif
#endif
