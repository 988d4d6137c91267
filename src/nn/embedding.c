/* F.embedding, composed of index_select (whose backward is index_add) and
 * where/detach for padding_idx: records nothing itself (include/ctorch/rnn.h). */
#include "ctorch/ctorch.h"
#include "internal.h"

ct_tensor *ct_embedding(const ct_tensor *weight, const ct_tensor *indices, int64_t padding_idx) {
    if (!weight || !indices) return CT_FAIL(CT_ERR_VALUE, "embedding: weight and indices must not be NULL");
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                       "Long, Int; but got %s instead (while checking arguments for embedding)",
                       ct_dtype_name(indices->dtype));
    if (weight->ndim != 2)
        return CT_FAIL(CT_ERR_RUNTIME, "embedding: 'weight' must be 2-D, got %s", ct__shp(weight));
    if (padding_idx < -1 || padding_idx >= weight->sizes[0])
        return CT_FAIL(CT_ERR_RUNTIME, "embedding: padding_idx must be within num_embeddings (%lld), got %lld",
                       (long long)weight->sizes[0], (long long)padding_idx);
    int64_t shape[CT_MAX_DIMS + 1];
    if (indices->ndim >= CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "embedding: indices have too many dims (%d)", indices->ndim);
    for (int d = 0; d < indices->ndim; d++) shape[d] = indices->sizes[d];
    shape[indices->ndim] = weight->sizes[1];

    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL;
    ct_tensor *flat = ct_reshape(indices, (const int64_t[]){-1}, 1);
    ct_tensor *rows = flat ? ct_index_select(weight, 0, flat) : NULL;
    if (rows && padding_idx >= 0) {
        ct_tensor *keep = ct_ne_scalar(flat, (double)padding_idx);
        keep = keep ? ct_unsqueeze(keep, 1) : NULL;
        ct_tensor *frozen = keep ? ct_detach(rows) : NULL;
        rows = frozen ? ct_where(keep, rows, frozen) : NULL;
    }
    if (rows) r = ct_reshape(rows, shape, indices->ndim + 1);
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
