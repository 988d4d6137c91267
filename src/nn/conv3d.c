/* conv3d and its two gradients, conv3d_backward_input and
 * conv3d_backward_weight (torch.nn.grad.conv3d_input / conv3d_weight): the
 * convolution of conv_nd.c, shared with conv2d (a 2-d convolution being a
 * 3-d one over a depth of 1): im2col + GEMM, oneDNN's 3-d kernels for
 * float32 where it is built, cuDNN on a GPU. The gradients are ops of their
 * own, bilinear, so that every order of derivative is one more of these
 * three ops (src/autograd/derivatives_nn_conv.c). */
#include "ctorch/nn_conv.h"
#include "nn/conv_internal.h"

ct_tensor *ct_conv3d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[3], const int64_t padding[3],
                     const int64_t dilation[3], int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(3, stride, 1, s);
    ct__conv_args(3, padding, 0, p);
    ct__conv_args(3, dilation, 1, d);
    return ct__conv_front(3, x, weight, bias, s, p, p, d, groups);
}

ct_tensor *ct_conv3d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[3], const char *padding,
                          const int64_t dilation[3], int64_t groups) {
    int64_t s[3], d[3];
    ct__conv_args(3, stride, 1, s);
    ct__conv_args(3, dilation, 1, d);
    return ct__conv_mode(3, x, weight, bias, s, padding, d, groups);
}

ct_tensor *ct_conv3d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_dhw[3], const int64_t stride[3],
                                    const int64_t padding[3], const int64_t dilation[3],
                                    int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(3, stride, 1, s);
    ct__conv_args(3, padding, 0, p);
    ct__conv_args(3, dilation, 1, d);
    if (!input_dhw) return CT_FAIL(CT_ERR_VALUE, "conv3d_backward_input: input_dhw is required");
    return ct__conv_grad(1, 3, grad_out, weight, input_dhw, s, p, d, groups);
}

ct_tensor *ct_conv3d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_dhw[3], const int64_t stride[3],
                                     const int64_t padding[3], const int64_t dilation[3],
                                     int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(3, stride, 1, s);
    ct__conv_args(3, padding, 0, p);
    ct__conv_args(3, dilation, 1, d);
    if (!kernel_dhw) return CT_FAIL(CT_ERR_VALUE, "conv3d_backward_weight: kernel_dhw is required");
    return ct__conv_grad(2, 3, grad_out, input, kernel_dhw, s, p, d, groups);
}
