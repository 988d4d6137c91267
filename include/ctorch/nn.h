/* nn: public declarations (torch.nn.functional). Ownership: see core.h.
 * Ops are listed in ctorch/def/nn.def (with what each records for autograd). */
#ifndef CTORCH_NN_H
#define CTORCH_NN_H

#include "ctorch/ops.h"
#include "ctorch/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loss reductions (PyTorch's reduction="none" / "mean" / "sum"). */
typedef enum ct_reduction { CT_REDUCTION_NONE = 0, CT_REDUCTION_MEAN, CT_REDUCTION_SUM } ct_reduction;

/* F.linear: x [*, in] @ weight[out, in]^T + bias[out]; bias may be NULL. */
ct_tensor *ct_linear(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias);

/* F.conv2d: x [N, C, H, W] or [C, H, W], weight [O, C/groups, kH, kW], bias
 * [O] or NULL. stride, padding, dilation: (h, w); NULL stride/dilation = 1,
 * NULL padding = 0. */
ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[2], const int64_t padding[2],
                     const int64_t dilation[2], int64_t groups);
/* F.conv2d with padding="same" or "valid" ("same" needs stride 1; an even
 * effective kernel pads one more on the bottom/right, as PyTorch does). */
ct_tensor *ct_conv2d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[2], const char *padding,
                          const int64_t dilation[2], int64_t groups);
/* The gradients of conv2d (torch.nn.grad.conv2d_input / conv2d_weight, the
 * image and kernel sizes given as (h, w)): grad_out [N, O, OH, OW] is the
 * gradient of conv2d's result; the other arguments as conv2d's. Both are
 * differentiable (to any order). */
ct_tensor *ct_conv2d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_hw[2], const int64_t stride[2],
                                    const int64_t padding[2], const int64_t dilation[2],
                                    int64_t groups);
ct_tensor *ct_conv2d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_hw[2], const int64_t stride[2],
                                     const int64_t padding[2], const int64_t dilation[2],
                                     int64_t groups);
/* F.conv1d: x [N, C, L] or [C, L], weight [O, C/groups, k]. */
ct_tensor *ct_conv1d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     int64_t stride, int64_t padding, int64_t dilation, int64_t groups);
ct_tensor *ct_conv1d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          int64_t stride, const char *padding, int64_t dilation, int64_t groups);

/* F.max_pool2d: x [N, C, H, W] or [C, H, W]. stride NULL = kernel_size,
 * padding NULL = 0, dilation NULL = 1. indices (may be NULL) receives the
 * int64 argmax positions, flat (h * W + w) within each plane, as PyTorch's
 * return_indices=True; it goes to the current scope like the result. */
ct_tensor *ct_max_pool2d(const ct_tensor *x, const int64_t kernel_size[2], const int64_t stride[2],
                         const int64_t padding[2], const int64_t dilation[2], bool ceil_mode,
                         ct_tensor **indices);
/* The gradient of max_pool2d (aten's max_pool2d_with_indices_backward):
 * zeros of grad_out's shape with the last two dims input_hw (h, w), with
 * grad_out added at the flat indices (int64, grad_out's shape) of each
 * plane. Differentiable in grad_out. */
ct_tensor *ct_max_pool2d_backward(const ct_tensor *grad_out, const ct_tensor *indices,
                                  const int64_t input_hw[2]);
/* F.avg_pool2d; divisor_override 0 = none. */
ct_tensor *ct_avg_pool2d(const ct_tensor *x, const int64_t kernel_size[2], const int64_t stride[2],
                         const int64_t padding[2], bool ceil_mode, bool count_include_pad,
                         int64_t divisor_override);
/* F.adaptive_avg_pool2d: output_size (h, w). */
ct_tensor *ct_adaptive_avg_pool2d(const ct_tensor *x, const int64_t output_size[2]);

/* F.softmax / F.log_softmax along dim (floating x; negative dim counts from
 * the end). */
ct_tensor *ct_softmax(const ct_tensor *x, int dim);
ct_tensor *ct_log_softmax(const ct_tensor *x, int dim);

/* F.dropout: training false (or p == 0) returns an alias of x; otherwise
 * x * mask / (1 - p) with mask ~ Bernoulli(1 - p) from g (NULL: the default
 * generator). p in [0, 1]. */
ct_tensor *ct_dropout(const ct_tensor *x, double p, bool training, ct_generator *g);

/* F.batch_norm: x [N, C, *]. running_mean/running_var [C] may be NULL
 * (then training must be true); in training they are updated in place,
 * r = (1 - momentum) * r + momentum * batch_stat (unbiased variance), without
 * recording. weight/bias [C] may be NULL. */
ct_tensor *ct_batch_norm(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                         const ct_tensor *weight, const ct_tensor *bias, bool training,
                         double momentum, double eps);
/* F.layer_norm over the trailing len(normalized_shape) dims; weight/bias of
 * normalized_shape, or NULL. */
ct_tensor *ct_layer_norm(const ct_tensor *x, const int64_t *normalized_shape, int nshape,
                         const ct_tensor *weight, const ct_tensor *bias, double eps);

/* ---------------------------------------------------------------- losses
 * Composed of public differentiable ops (no own autograd record). reduction
 * is a ct_reduction; input and target broadcast where PyTorch's do. */
ct_tensor *ct_mse_loss(const ct_tensor *input, const ct_tensor *target, int reduction);
ct_tensor *ct_l1_loss(const ct_tensor *input, const ct_tensor *target, int reduction);
ct_tensor *ct_smooth_l1_loss(const ct_tensor *input, const ct_tensor *target, int reduction,
                             double beta);
ct_tensor *ct_huber_loss(const ct_tensor *input, const ct_tensor *target, int reduction,
                         double delta);
/* F.nll_loss: input log-probabilities [N, C, d1...] or [C]; target int64
 * [N, d1...] or 0-d; weight [C] or NULL. Mean divides by the summed weights
 * of the non-ignored targets. */
ct_tensor *ct_nll_loss(const ct_tensor *input, const ct_tensor *target, const ct_tensor *weight,
                       int64_t ignore_index, int reduction);
/* F.cross_entropy: target int64 class indices (as nll_loss) or floating
 * class probabilities of input's shape. */
ct_tensor *ct_cross_entropy(const ct_tensor *input, const ct_tensor *target,
                            const ct_tensor *weight, int64_t ignore_index, int reduction,
                            double label_smoothing);
/* F.binary_cross_entropy: input probabilities; logs clamped at -100. */
ct_tensor *ct_binary_cross_entropy(const ct_tensor *input, const ct_tensor *target,
                                   const ct_tensor *weight, int reduction);
ct_tensor *ct_binary_cross_entropy_with_logits(const ct_tensor *input, const ct_tensor *target,
                                               const ct_tensor *weight,
                                               const ct_tensor *pos_weight, int reduction);
/* F.kl_div (reduction "batchmean" is sum / input.size(0): use SUM and divide). */
ct_tensor *ct_kl_div(const ct_tensor *input, const ct_tensor *target, int reduction,
                     bool log_target);

#ifdef __cplusplus
}
#endif
#endif
