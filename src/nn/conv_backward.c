/* conv2d_backward_input and conv2d_backward_weight: the first-order
 * gradients of conv2d as ops of their own (PyTorch's
 * torch.nn.grad.conv2d_input / conv2d_weight), so that conv2d's backward
 * costs two GEMM passes (src/kernels/cpu/conv.c) and stays differentiable:
 * both are bilinear, and their derivatives are conv2d and each other
 * (src/autograd/derivatives_nn.c). */
#include "nn/nn_internal.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static int64_t at(const int64_t *a, int i, int64_t dflt) { return a ? a[i] : dflt; }

/* Checks shared by both ops: gout [N, O, OH, OW] and the other operand
 * `t` (weight or input) 4-d, one floating dtype, positive stride/dilation,
 * non-negative padding, groups dividing O; fills g from the image size
 * (H, W), the kernel size and the arguments, and checks that (OH, OW) is
 * what conv2d makes of them. */
static int check(const char *op, const ct_tensor *gout, const ct_tensor *t, const char *tname,
                 int64_t H, int64_t W, int64_t kh, int64_t kw, const int64_t s[2],
                 const int64_t p[2], const int64_t d[2], int64_t groups, ct_win2d *g) {
    if (gout->ndim != 4 || t->ndim != 4) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected 4-d grad_output and %s, got %s and %s", op,
                     tname, ct__shp(gout), ct__shp(t));
        return -1;
    }
    if (gout->dtype != t->dtype) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected scalar type %s but found %s", op,
                     type_name(gout->dtype), type_name(t->dtype));
        return -1;
    }
    if (gout->dtype != CT_FLOAT32 && gout->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: not implemented for '%s'", op, type_name(gout->dtype));
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (s[i] <= 0 || d[i] <= 0 || p[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: stride and dilation must be positive and padding non-negative, "
                         "got stride (%lld, %lld), padding (%lld, %lld), dilation (%lld, %lld)",
                         op, (long long)s[0], (long long)s[1], (long long)p[0], (long long)p[1],
                         (long long)d[0], (long long)d[1]);
            return -1;
        }
    if (groups <= 0 || gout->sizes[1] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: groups=%lld must be positive and divide the %lld "
                     "channels of grad_output %s", op, (long long)groups,
                     (long long)gout->sizes[1], ct__shp(gout));
        return -1;
    }
    if (H < 0 || W < 0 || kh <= 0 || kw <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: bad image size (%lld, %lld) or kernel size (%lld, %lld)",
                     op, (long long)H, (long long)W, (long long)kh, (long long)kw);
        return -1;
    }
    *g = (ct_win2d){.H = H, .W = W, .kh = kh, .kw = kw, .sh = s[0], .sw = s[1], .ph = p[0],
                    .pw = p[1], .dh = d[0], .dw = d[1]};
    int64_t eh = d[0] * (kh - 1) + 1, ew = d[1] * (kw - 1) + 1;
    g->OH = H + 2 * p[0] >= eh ? (H + 2 * p[0] - eh) / s[0] + 1 : -1;
    g->OW = W + 2 * p[1] >= ew ? (W + 2 * p[1] - ew) / s[1] + 1 : -1;
    if (g->OH != gout->sizes[2] || g->OW != gout->sizes[3]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: grad_output %s does not match the output size (%lld, %lld) of conv2d "
                     "over (%lld, %lld) images with a (%lld, %lld) kernel",
                     op, ct__shp(gout), (long long)g->OH, (long long)g->OW, (long long)H,
                     (long long)W, (long long)kh, (long long)kw);
        return -1;
    }
    return 0;
}

ct_tensor *ct_conv2d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_hw[2], const int64_t stride[2],
                                    const int64_t padding[2], const int64_t dilation[2],
                                    int64_t groups) {
    bool gpu = !ct__on_cpu(grad_out) || !ct__on_cpu(weight); /* cuDNN */
    const char *op = "conv2d_backward_input";
    int64_t s[2] = {at(stride, 0, 1), at(stride, 1, 1)};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    if (!input_hw) return CT_FAIL(CT_ERR_VALUE, "%s: input_hw is required", op);
    ct_win2d g;
    if (check(op, grad_out, weight, "weight", input_hw[0], input_hw[1],
              weight->ndim == 4 ? weight->sizes[2] : 1, weight->ndim == 4 ? weight->sizes[3] : 1,
              s, p, d, groups, &g) < 0)
        return NULL;
    if (weight->sizes[0] != grad_out->sizes[1])
        return CT_FAIL(CT_ERR_RUNTIME, "%s: weight %s has %lld output channels, grad_output %s has %lld",
                       op, ct__shp(weight), (long long)weight->sizes[0], ct__shp(grad_out),
                       (long long)grad_out->sizes[1]);
    int64_t N = grad_out->sizes[0], O = grad_out->sizes[1], C = weight->sizes[1] * groups;
    ct_tensor *dx = ct__empty_on((int64_t[]){N, C, g.H, g.W}, 4, grad_out->dtype,
                                 grad_out->storage->device);
    if (!dx) return NULL;
    if (dx->numel > 0) {
        ct_tensor *gc = ct__contiguous(grad_out), *wc = ct__contiguous(weight);
        CT_CONV_NOTE(wc, gc);
        int rc = gc && wc && gpu ? ct__cuda->conv2d(1, gc, wc, NULL, dx, groups, &g)
                 : gc && wc ? ct__conv2d_backward_input_kernel(grad_out->dtype, ct_data_ptr(gc),
                                                              ct_data_ptr(wc), ct_data_ptr(dx), N,
                                                              C, O, groups, &g)
                          : -1;
        CT_CONV_NOTE(NULL, NULL);
        ct_release(gc);
        ct_release(wc);
        if (rc < 0) {
            ct_release(dx);
            return NULL;
        }
    }
    ct_op_args a = {.i = {s[0], s[1], p[0], p[1], d[0], d[1]}, .dims = {groups, g.H, g.W},
                    .ndims = 3};
    dx = ct__nn_record(CT_OP_conv2d_backward_input, dx, (const ct_tensor *[]){grad_out, weight}, 2,
                       NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}

ct_tensor *ct_conv2d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_hw[2], const int64_t stride[2],
                                     const int64_t padding[2], const int64_t dilation[2],
                                     int64_t groups) {
    bool gpu = !ct__on_cpu(grad_out) || !ct__on_cpu(input); /* cuDNN */
    const char *op = "conv2d_backward_weight";
    int64_t s[2] = {at(stride, 0, 1), at(stride, 1, 1)};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    if (!kernel_hw) return CT_FAIL(CT_ERR_VALUE, "%s: kernel_hw is required", op);
    ct_win2d g;
    if (check(op, grad_out, input, "input", input->ndim == 4 ? input->sizes[2] : 0,
              input->ndim == 4 ? input->sizes[3] : 0, kernel_hw[0], kernel_hw[1], s, p, d, groups,
              &g) < 0)
        return NULL;
    if (input->sizes[0] != grad_out->sizes[0] || input->sizes[1] % groups != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s: input %s and grad_output %s need the same batch size and groups=%lld "
                       "dividing the input channels",
                       op, ct__shp(input), ct__shp(grad_out), (long long)groups);
    int64_t N = grad_out->sizes[0], O = grad_out->sizes[1], C = input->sizes[1];
    ct_tensor *dw = ct__empty_on((int64_t[]){O, C / groups, g.kh, g.kw}, 4, grad_out->dtype,
                                 grad_out->storage->device);
    if (!dw) return NULL;
    if (dw->numel > 0) {
        ct_tensor *gc = ct__contiguous(grad_out), *xc = ct__contiguous(input);
        CT_CONV_NOTE(NULL, gc);
        int rc = gc && xc && gpu ? ct__cuda->conv2d(2, gc, xc, NULL, dw, groups, &g)
                 : gc && xc ? ct__conv2d_backward_weight_kernel(grad_out->dtype, ct_data_ptr(gc),
                                                               ct_data_ptr(xc), ct_data_ptr(dw),
                                                               N, C, O, groups, &g)
                          : -1;
        CT_CONV_NOTE(NULL, NULL);
        ct_release(gc);
        ct_release(xc);
        if (rc < 0) {
            ct_release(dw);
            return NULL;
        }
    }
    ct_op_args a = {.i = {s[0], s[1], p[0], p[1], d[0], d[1]}, .dims = {groups, g.kh, g.kw},
                    .ndims = 3};
    dw = ct__nn_record(CT_OP_conv2d_backward_weight, dw, (const ct_tensor *[]){grad_out, input}, 2,
                       NULL, 0, &a);
    return dw ? ct_autorelease(dw) : NULL;
}
