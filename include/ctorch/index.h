/* index ops: declarations of the CUSTOM-signature ops of include/ctorch/def/index.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h.
 *
 * Semantics follow PyTorch. Index tensors are int64 (index_select,
 * index_add, index_copy, index_fill, advanced indexing also take int32).
 * Out-of-range indices fail with CT_ERR_INDEX or CT_ERR_RUNTIME as PyTorch
 * raises IndexError or RuntimeError. In-place variants ('_') return x,
 * borrowed, and bump its version. */
#ifndef CTORCH_INDEX_H
#define CTORCH_INDEX_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- along one dim */
ct_tensor *ct_index_select(const ct_tensor *x, int dim, const ct_tensor *index);
ct_tensor *ct_gather(const ct_tensor *x, int dim, const ct_tensor *index);
/* out = x with out[..index[i][j]..] = src[i][j]. reduce: NULL, "add" or "multiply". */
ct_tensor *ct_scatter(const ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src);
ct_tensor *ct_scatter_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src);
ct_tensor *ct_scatter_value(const ct_tensor *x, int dim, const ct_tensor *index, double value);
ct_tensor *ct_scatter_value_(ct_tensor *x, int dim, const ct_tensor *index, double value);
ct_tensor *ct_scatter_with_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                                 const ct_tensor *src, const char *reduce);
ct_tensor *ct_scatter_with_reduce_(ct_tensor *x, int dim, const ct_tensor *index,
                                  const ct_tensor *src, const char *reduce);
/* scatter(dim, index, value, reduce="add"/"multiply"). */
ct_tensor *ct_scatter_value_with_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                                        double value, const char *reduce);
ct_tensor *ct_scatter_value_with_reduce_(ct_tensor *x, int dim, const ct_tensor *index,
                                         double value, const char *reduce);
ct_tensor *ct_scatter_add(const ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src);
ct_tensor *ct_scatter_add_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src);
/* reduce: "sum", "prod", "mean", "amax", "amin". */
ct_tensor *ct_scatter_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                             const ct_tensor *src, const char *reduce, bool include_self);
ct_tensor *ct_scatter_reduce_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src,
                              const char *reduce, bool include_self);
/* index is a vector (or 0-d); source has x's shape with size(dim) = numel(index). */
ct_tensor *ct_index_add(const ct_tensor *x, int dim, const ct_tensor *index,
                        const ct_tensor *source, double alpha);
ct_tensor *ct_index_add_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *source,
                         double alpha);
ct_tensor *ct_index_copy(const ct_tensor *x, int dim, const ct_tensor *index,
                         const ct_tensor *source);
ct_tensor *ct_index_copy_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *source);
ct_tensor *ct_index_fill(const ct_tensor *x, int dim, const ct_tensor *index, double value);
ct_tensor *ct_index_fill_(ct_tensor *x, int dim, const ct_tensor *index, double value);
/* value: a 0-d tensor (differentiable). */
ct_tensor *ct_index_fill_tensor(const ct_tensor *x, int dim, const ct_tensor *index,
                                const ct_tensor *value);
ct_tensor *ct_index_fill_tensor_(ct_tensor *x, int dim, const ct_tensor *index,
                                 const ct_tensor *value);
/* gather after broadcasting x and indices off dim (torch.take_along_dim).
 * ct_take_along_dim_flat: the dim=None form over the flattened input. */
ct_tensor *ct_take_along_dim(const ct_tensor *x, const ct_tensor *indices, int dim);
ct_tensor *ct_take_along_dim_flat(const ct_tensor *x, const ct_tensor *indices);

/* ---------------------------------------------------------------- flat */
/* x.flatten()[index], shaped like index; negative indices wrap. */
ct_tensor *ct_take(const ct_tensor *x, const ct_tensor *index);
/* x.flatten()[index] = source (or +=); source has numel(index) elements. */
ct_tensor *ct_put(const ct_tensor *x, const ct_tensor *index, const ct_tensor *source,
                  bool accumulate);
ct_tensor *ct_put_(ct_tensor *x, const ct_tensor *index, const ct_tensor *source,
                   bool accumulate);

/* ---------------------------------------------------------------- masks */
/* mask: bool (or uint8), broadcastable to x (out-of-place forms broadcast
 * both ways). */
ct_tensor *ct_masked_fill(const ct_tensor *x, const ct_tensor *mask, double value);
ct_tensor *ct_masked_fill_(ct_tensor *x, const ct_tensor *mask, double value);
/* value: a 0-d tensor. */
ct_tensor *ct_masked_fill_tensor(const ct_tensor *x, const ct_tensor *mask,
                                 const ct_tensor *value);
ct_tensor *ct_masked_fill_tensor_(ct_tensor *x, const ct_tensor *mask, const ct_tensor *value);
ct_tensor *ct_masked_select(const ct_tensor *x, const ct_tensor *mask);
ct_tensor *ct_masked_scatter(const ct_tensor *x, const ct_tensor *mask, const ct_tensor *source);
ct_tensor *ct_masked_scatter_(ct_tensor *x, const ct_tensor *mask, const ct_tensor *source);
/* [n, ndim] int64 coordinates of the nonzero elements, row-major order. */
ct_tensor *ct_nonzero(const ct_tensor *x);
/* nonzero(as_tuple=True): writes x->ndim (at least 1) int64 vectors to out[]
 * (new references, handed to the scope like any result); returns their
 * number, or -1 on error. out must have room for CT_MAX_DIMS tensors. */
int ct_nonzero_tuple(const ct_tensor *x, ct_tensor **out);

/* ---------------------------------------------------------------- advanced */
/* aten::index / index_put: indices[k] applies to dim k of x (k < n <= ndim);
 * NULL means the whole dim. int64/int32 tensors broadcast together; bool or
 * uint8 masks consume as many dims as they have. The indexed dims are
 * replaced by the broadcast index shape, in place when the present indices
 * are adjacent, else in front (NumPy's rule). values broadcast to the
 * indexing result and must have x's dtype; with accumulate duplicates sum,
 * without it the last write wins. */
ct_tensor *ct_index(const ct_tensor *x, const ct_tensor *const *indices, int n);
ct_tensor *ct_index_put(const ct_tensor *x, const ct_tensor *const *indices, int n,
                        const ct_tensor *values, bool accumulate);
ct_tensor *ct_index_put_(ct_tensor *x, const ct_tensor *const *indices, int n,
                         const ct_tensor *values, bool accumulate);

/* Python's x[...] and x[...] = v on a parsed index list. */
typedef enum ct_index_kind {
    CT_IDX_INT,      /* i: selects (removes) one dim; negative wraps */
    CT_IDX_SLICE,    /* start:stop:step; has_start/has_stop false = omitted; step > 0 */
    CT_IDX_NONE,     /* inserts a dim of size 1 */
    CT_IDX_ELLIPSIS, /* as many full slices as needed (at most one) */
    CT_IDX_TENSOR,   /* tensor: int64/int32 indices, or a bool/uint8 mask */
} ct_index_kind;

typedef struct ct_index_item {
    ct_index_kind kind;
    int64_t i;
    int64_t start, stop, step;
    bool has_start, has_stop;
    const ct_tensor *tensor;
} ct_index_item;

/* x[idx[0], ..., idx[n-1]]: a view when there is no tensor index, else a
 * new tensor (advanced indexing). */
ct_tensor *ct_index_get(const ct_tensor *x, const ct_index_item *idx, int n);
/* x[idx...] = value (value broadcast and cast to x's dtype; writes through
 * views into x). Returns 0, or -1 with an error. Bumps x's version. */
int ct_index_set(ct_tensor *x, const ct_index_item *idx, int n, const ct_tensor *value);

#ifdef __cplusplus
}
#endif
#endif
