/* conv2d_backward_input and conv2d_backward_weight: the first-order
 * gradients of conv2d as ops of their own (PyTorch's
 * torch.nn.grad.conv2d_input / conv2d_weight), so that conv2d's backward
 * costs two GEMM passes (src/kernels/cpu/conv.c) and stays differentiable:
 * both are bilinear, and their derivatives are conv2d and each other
 * (src/autograd/derivatives_nn.c). Checks and kernels: conv_nd.c. */
#include "nn/conv_internal.h"

ct_tensor *ct_conv2d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_hw[2], const int64_t stride[2],
                                    const int64_t padding[2], const int64_t dilation[2],
                                    int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(2, stride, 1, s);
    ct__conv_args(2, padding, 0, p);
    ct__conv_args(2, dilation, 1, d);
    if (!input_hw) return CT_FAIL(CT_ERR_VALUE, "conv2d_backward_input: input_hw is required");
    return ct__conv_grad(1, 2, grad_out, weight, input_hw, s, p, d, groups);
}

ct_tensor *ct_conv2d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_hw[2], const int64_t stride[2],
                                     const int64_t padding[2], const int64_t dilation[2],
                                     int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(2, stride, 1, s);
    ct__conv_args(2, padding, 0, p);
    ct__conv_args(2, dilation, 1, d);
    if (!kernel_hw) return CT_FAIL(CT_ERR_VALUE, "conv2d_backward_weight: kernel_hw is required");
    return ct__conv_grad(2, 2, grad_out, input, kernel_hw, s, p, d, groups);
}
