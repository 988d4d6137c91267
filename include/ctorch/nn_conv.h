/* Transposed convolutions and conv3d (torch.nn.functional). Ownership: see
 * core.h. Ops listed in ctorch/def/nn_conv.def (with what each records for
 * autograd). */
#ifndef CTORCH_NN_CONV_H
#define CTORCH_NN_CONV_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.conv_transpose2d: x [N, Cin, H, W] or [Cin, H, W], weight
 * [Cin, Cout/groups, kH, kW], bias [Cout] or NULL. stride, padding,
 * output_padding, dilation: (h, w); NULL stride/dilation = 1, NULL
 * padding/output_padding = 0. Output size (H-1)*stride - 2*padding +
 * dilation*(kH-1) + output_padding + 1. The input gradient of conv2d
 * (ct_conv2d_backward_input) with the bias added: differentiable to any
 * order. */
ct_tensor *ct_conv_transpose2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               const int64_t stride[2], const int64_t padding[2],
                               const int64_t output_padding[2], int64_t groups,
                               const int64_t dilation[2]);
/* F.conv_transpose1d: x [N, Cin, L] or [Cin, L], weight [Cin, Cout/groups, k]. */
ct_tensor *ct_conv_transpose1d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               int64_t stride, int64_t padding, int64_t output_padding,
                               int64_t groups, int64_t dilation);

/* F.conv_transpose3d: x [N, Cin, D, H, W] or [Cin, D, H, W], weight
 * [Cin, Cout/groups, kD, kH, kW]; the arguments as conv_transpose2d's, as
 * (d, h, w). The input gradient of conv3d (ct_conv3d_backward_input) with
 * the bias added: differentiable to any order. */
ct_tensor *ct_conv_transpose3d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               const int64_t stride[3], const int64_t padding[3],
                               const int64_t output_padding[3], int64_t groups,
                               const int64_t dilation[3]);

/* F.conv3d: x [N, C, D, H, W] or [C, D, H, W], weight [O, C/groups, kD, kH,
 * kW], bias [O] or NULL. stride, padding, dilation: (d, h, w); NULL
 * stride/dilation = 1, NULL padding = 0. */
ct_tensor *ct_conv3d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[3], const int64_t padding[3],
                     const int64_t dilation[3], int64_t groups);
/* F.conv3d with padding="same" or "valid" (as ct_conv2d_mode). */
ct_tensor *ct_conv3d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[3], const char *padding,
                          const int64_t dilation[3], int64_t groups);
/* The gradients of conv3d (torch.nn.grad.conv3d_input / conv3d_weight; the
 * input and kernel sizes as (d, h, w)); differentiable to any order. */
ct_tensor *ct_conv3d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_dhw[3], const int64_t stride[3],
                                    const int64_t padding[3], const int64_t dilation[3],
                                    int64_t groups);
ct_tensor *ct_conv3d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_dhw[3], const int64_t stride[3],
                                     const int64_t padding[3], const int64_t dilation[3],
                                     int64_t groups);

#ifdef __cplusplus
}
#endif

#endif
