/* Normalisation layers beyond batch_norm/layer_norm (include/ctorch/nn.h):
 * group norm, instance norm, and batch norm's gradient as an op of its own.
 * Ops listed in include/ctorch/def/nn_norm.def. Ownership as everywhere:
 * results are new references handed to the current scope. */
#ifndef CTORCH_NN_NORM_H
#define CTORCH_NN_NORM_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.group_norm: x [N, C, *] normalised over each group of C / num_groups
 * channels (and every trailing element) of each sample, then
 * y * weight[c] + bias[c] (weight, bias [C] or NULL). */
ct_tensor *ct_group_norm(const ct_tensor *x, int64_t num_groups, const ct_tensor *weight,
                         const ct_tensor *bias, double eps);

/* F.instance_norm: x [N, C, *] normalised per (sample, channel) when
 * use_input_stats (running_mean/running_var [C], if given, updated in
 * place with the batch mean of the per-instance mean and unbiased
 * variance: r = (1 - momentum) r + momentum stat); otherwise normalised
 * with the running statistics (both required), like eval batch_norm. */
ct_tensor *ct_instance_norm(const ct_tensor *x, ct_tensor *running_mean, ct_tensor *running_var,
                            const ct_tensor *weight, const ct_tensor *bias, bool use_input_stats,
                            double momentum, double eps);

/* The gradients of batch_norm (torch.ops.aten.native_batch_norm_backward):
 * grad_out and x [N, C, *] (float32/float64, one dtype), weight [C] or
 * NULL, save_mean/save_invstd [C]: the statistics the forward used (the
 * batch's in training, where NULL means "compute them from x"; the running
 * mean and 1/sqrt(running_var + eps) in eval, required). Each of
 * grad_input, grad_weight, grad_bias is computed when its pointer is not
 * NULL. Differentiable again (in g, x and weight). 0, or -1 with an error. */
int ct_batch_norm_backward(const ct_tensor *grad_out, const ct_tensor *x, const ct_tensor *weight,
                           const ct_tensor *save_mean, const ct_tensor *save_invstd,
                           bool training, double eps, ct_tensor **grad_input,
                           ct_tensor **grad_weight, ct_tensor **grad_bias);

#ifdef __cplusplus
}
#endif
#endif
