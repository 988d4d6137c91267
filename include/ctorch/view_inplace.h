/* In-place view ops and storage ops (src/ops/view_inplace.c): PyTorch's
 * t_, transpose_, squeeze_, unsqueeze_, as_strided_, fill_diagonal_,
 * resize_, resize_as_, set_.
 *
 * Each returns its first argument (borrowed), as every in-place op does.
 * The view ops change the tensor's sizes/strides/offset where it stands
 * (every reference to the tensor object sees the new geometry) and bump its
 * version; under autograd the tensor's history becomes the node of the
 * matching view op (t, transpose, squeeze, unsqueeze, as_strided) over its
 * old history, as PyTorch does. A leaf that requires grad (or a view of
 * one) is refused with PyTorch's message. */
#ifndef CTORCH_VIEW_INPLACE_H
#define CTORCH_VIEW_INPLACE_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

ct_tensor *ct_t_(ct_tensor *t);
ct_tensor *ct_transpose_(ct_tensor *t, int d0, int d1); /* swapdims_/swapaxes_ too */
ct_tensor *ct_squeeze_(ct_tensor *t);
ct_tensor *ct_squeeze_dim_(ct_tensor *t, int dim);
ct_tensor *ct_unsqueeze_(ct_tensor *t, int dim);
ct_tensor *ct_as_strided_(ct_tensor *t, const int64_t *sizes, const int64_t *strides, int ndim,
                          int64_t storage_offset);
/* The main diagonal of a 2-d tensor (or of an n-d tensor with all sizes
 * equal) = value; wrap: for a 2-d tensor taller than wide + 1 the diagonal
 * starts again N+1 rows down (PyTorch's wrap, one restart in flat order). */
ct_tensor *ct_fill_diagonal_(ct_tensor *t, double value, bool wrap);
/* New sizes with contiguous strides (unchanged sizes keep their strides).
 * A storage too small for offset + numel is reallocated (its old bytes
 * kept, the rest uninitialised; every view of the storage sees the new
 * memory); a smaller size keeps the storage. Refused for tensors that
 * require grad and for storages ctorch does not own (NumPy, from_blob). */
ct_tensor *ct_resize_(ct_tensor *t, const int64_t *sizes, int ndim);
ct_tensor *ct_resize_as_(ct_tensor *t, const ct_tensor *like);
/* t becomes a view of src's storage with src's geometry (src NULL: an empty
 * storage, sizes [0]). Same dtype required. */
ct_tensor *ct_set_(ct_tensor *t, const ct_tensor *src);
/* t becomes a view of src's storage with the given geometry (strides NULL:
 * contiguous); the storage grows when too small, as resize_ does. */
ct_tensor *ct_set_storage_(ct_tensor *t, const ct_tensor *src, int64_t storage_offset,
                           const int64_t *sizes, const int64_t *strides, int ndim);

#ifdef __cplusplus
}
#endif
#endif
