/* Embedding and embedding_bag, the 1-d poolings and feature / alpha dropout
 * (torch.nn.functional). Ownership: see core.h. Ops are listed in
 * ctorch/def/nn_embpool.def (with what each records for autograd).
 * ct_embedding (3 arguments) stays in rnn.h, ct_adaptive_max_pool1d in
 * nn_pool2.h; both are table ops of this family now. */
#ifndef CTORCH_NN_EMBPOOL_H
#define CTORCH_NN_EMBPOOL_H

#include "ctorch/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "No padding_idx" for ct_embedding_ex and ct_embedding_bag (which accept
 * negative padding indices counted from the end, as PyTorch's Python does). */
#define CT_NO_PADDING_IDX INT64_MIN

/* F.embedding: weight [num, D] (any dtype), indices int64/int32 of any shape
 * (values in [0, num), else IndexError "index out of range in self") ->
 * [*indices.shape, D]. padding_idx in [-num, num) or CT_NO_PADDING_IDX: that
 * row gets no gradient. max_norm (NaN: none) renormalises the rows looked up
 * in weight itself, outside autograd (ct_embedding_renorm_), so weight is
 * modified then. scale_grad_by_freq divides each row's gradient by the
 * number of times its index occurs. sparse: not implemented (an error). */
ct_tensor *ct_embedding_ex(ct_tensor *weight, const ct_tensor *indices, int64_t padding_idx, double max_norm,
                           double norm_type, bool scale_grad_by_freq, bool sparse);
/* torch.embedding_renorm_: each distinct row r of indices whose norm_type
 * norm exceeds max_norm is scaled by max_norm / (norm + 1e-7), in place,
 * without autograd (weight floating). Returns weight (borrowed). */
ct_tensor *ct_embedding_renorm_(ct_tensor *weight, const ct_tensor *indices, double max_norm, double norm_type);
/* The gradient of embedding w.r.t. weight: grad [*indices.shape, D] (float)
 * accumulated into [num_weights, D] at the rows of indices, in order of
 * occurrence (deterministic, threaded over rows); padding_idx -1 (none) or
 * in [0, num_weights): that row stays zero. */
ct_tensor *ct_embedding_dense_backward(const ct_tensor *grad, const ct_tensor *indices, int64_t num_weights,
                                       int64_t padding_idx, bool scale_grad_by_freq);

enum { CT_BAG_SUM = 0, CT_BAG_MEAN = 1, CT_BAG_MAX = 2 };
/* F.embedding_bag: weight [num, D] (float32/float64); indices int64/int32,
 * either 1-d with offsets (1-d int64/int32, offsets[0] == 0, non-decreasing,
 * at most indices' length; include_last_offset: the last one ends the last
 * bag) or 2-d [B, L] with offsets NULL (B bags of L). mode CT_BAG_*.
 * per_sample_weights (NULL or indices' shape and weight's dtype) scales
 * each row, sum mode only. Entries equal to padding_idx (in [-num, num) or
 * CT_NO_PADDING_IDX) are left out (a mean counts only the others); an
 * empty bag gives zeros. max_norm (NaN: none) as ct_embedding_ex. Returns
 * [B, D]; *max_indices (may be NULL) receives the int64 argmax rows [B, D]
 * of max mode (-1 in an empty bag), NULL otherwise. */
ct_tensor *ct_embedding_bag(ct_tensor *weight, const ct_tensor *indices, const ct_tensor *offsets, int mode,
                            const ct_tensor *per_sample_weights, bool include_last_offset, int64_t padding_idx,
                            double max_norm, double norm_type, bool scale_grad_by_freq, bool sparse,
                            ct_tensor **max_indices);

/* F.max_pool1d: x [N, C, L] or [C, L] (float32/float64; L > 0), kernel,
 * stride (both > 0: the caller resolves PyTorch's default stride =
 * kernel), padding in [0, kernel/2], dilation > 0. indices (may be NULL)
 * receives the int64 argmax positions in L. A NaN wins, else the first
 * maximum. */
ct_tensor *ct_max_pool1d(const ct_tensor *x, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                         bool ceil_mode, ct_tensor **indices);
/* F.avg_pool1d: x [N, C, L] or [C, L] (float or integer: integers divide
 * truncating, as PyTorch), PyTorch's divisor rules. */
ct_tensor *ct_avg_pool1d(const ct_tensor *x, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode,
                         bool count_include_pad);
/* The gradient of avg_pool1d: grad_out [.., OL] spread over the windows of
 * an input of length L (the same geometry arguments). */
ct_tensor *ct_avg_pool1d_backward(const ct_tensor *grad_out, int64_t L, int64_t kernel, int64_t stride,
                                  int64_t padding, bool ceil_mode, bool count_include_pad);
/* F.adaptive_avg_pool1d: x [N, C, L] or [C, L] (float32/float64, L > 0),
 * output_size >= 0; cell i averages [floor(i*L/O), ceil((i+1)*L/O)). */
ct_tensor *ct_adaptive_avg_pool1d(const ct_tensor *x, int64_t output_size);
ct_tensor *ct_adaptive_avg_pool1d_backward(const ct_tensor *grad_out, int64_t L);

/* Feature dropout (PyTorch 1.13's rules): zero whole channels with
 * probability p and scale the rest by 1/(1-p); one Bernoulli draw per
 * channel from g (NULL: the default generator, the stream of PyTorch's
 * CPU ops). training false, p == 0 or an empty x: an alias of x.
 * dropout1d: x [N, C, L] or [C, L]. dropout2d: x of 2+ dims, read as
 * [N, C, ...] (a 3-d input is [N, C, L], as in 1.13). dropout3d: x
 * [N, C, D, H, W] or, any other rank >= 1, unbatched [C, ...]. The _ forms
 * work in place (mul_ and add_, recorded as such) and return x, borrowed. */
ct_tensor *ct_dropout1d(const ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_dropout2d(const ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_dropout3d(const ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_dropout1d_(ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_dropout2d_(ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_dropout3d_(ct_tensor *x, double p, bool training, ct_generator *g);
/* Alpha dropout (for SELU): dropped elements become -alpha' =
 * -1.7580993408473766, then x * a + b with a = 1/sqrt((alpha'^2 p + 1)(1-p))
 * and b = alpha' a p keep zero mean and unit variance. feature_: one draw per
 * channel [N, C, ...] (x of 2+ dims). p == 1 gives zeros (PyTorch's rule). */
ct_tensor *ct_alpha_dropout(const ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_feature_alpha_dropout(const ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_alpha_dropout_(ct_tensor *x, double p, bool training, ct_generator *g);
ct_tensor *ct_feature_alpha_dropout_(ct_tensor *x, double p, bool training, ct_generator *g);

#ifdef __cplusplus
}
#endif

#endif
