/* More pooling (torch.nn.functional): adaptive max pooling and the 1-d
 * poolings. Ownership: see core.h. Ops are listed in ctorch/def/nn_pool2.def
 * (with what each records for autograd). */
#ifndef CTORCH_NN_POOL2_H
#define CTORCH_NN_POOL2_H

#include "ctorch/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.adaptive_max_pool2d: x [N, C, H, W] or [C, H, W] (float32/float64, C, H,
 * W > 0), output_size (OH, OW) >= 0. Output cell (i, j) is the max over rows
 * [floor(i*H/OH), ceil((i+1)*H/OH)) and the same for columns; a NaN wins,
 * else the first maximum. indices (may be NULL) receives the int64 argmax,
 * flat h*W+w within each plane (max_pool2d's format). */
ct_tensor *ct_adaptive_max_pool2d(const ct_tensor *x, const int64_t output_size[2], ct_tensor **indices);
/* F.adaptive_max_pool1d: x [N, C, L] or [C, L], through adaptive_max_pool2d
 * over a unit height (indices are then positions in L). */
ct_tensor *ct_adaptive_max_pool1d(const ct_tensor *x, int64_t output_size, ct_tensor **indices);

#ifdef __cplusplus
}
#endif

#endif
