/* Internal declarations of the embedding / 1-d pooling / feature dropout
 * family (src/nn/embedding*.c, pool1d.c, dropout_feature.c). */
#ifndef CT_NN_EMBPOOL_INTERNAL_H
#define CT_NN_EMBPOOL_INTERNAL_H

#include "nn/nn_internal.h"

/* PyTorch's legacy type name of a CPU tensor of dtype dt ("torch.FloatTensor"),
 * the wording of its "Expected tensor for argument" messages. */
static inline const char *ct__emb_type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "torch.BoolTensor", "torch.ByteTensor", "torch.CharTensor",     "torch.ShortTensor", "torch.IntTensor",
        "torch.LongTensor", "torch.HalfTensor", "torch.BFloat16Tensor", "torch.FloatTensor", "torch.DoubleTensor"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

/* indices (int32/int64, CPU, any layout) as a contiguous 1-d int64 tensor
 * (owned); PyTorch's dtype message naming op otherwise. */
ct_tensor *ct__emb_flat_indices(const char *op, const ct_tensor *indices);
/* 0, or -1 with IndexError "index out of range in self". */
int ct__emb_check_range(const int64_t *idx, int64_t n, int64_t num);
/* Positions 0..n-1 grouped by their row idx[i] in [0, num), stably:
 * row r's positions are order[start[r] .. start[r + 1]). Both malloc'd
 * (caller frees). 0 or -1 (out of memory). */
int ct__emb_row_order(const int64_t *idx, int64_t n, int64_t num, int64_t **start, int64_t **order);

#endif
