/* linear, conv2d, conv1d. conv2d is the convolution of conv_nd.c (im2col +
 * OpenBLAS GEMM or oneDNN, cuDNN on a GPU); its backward goes through
 * conv2d_backward_input and conv2d_backward_weight (conv_backward.c);
 * conv1d is conv2d over a height-1 image; linear is addmm/matmul. */
#include "nn/conv_internal.h"

ct_tensor *ct_linear(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias) {
    if (weight->ndim != 2 && weight->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "linear: weight must be 1-d or 2-d, got %s", ct__shp(weight));
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL;
    if (x->ndim == 2 && weight->ndim == 2 && bias && bias->ndim <= 1) {
        r = ct_addmm(bias, x, ct_t(weight), 1.0, 1.0);
    } else {
        ct_tensor *wt = weight->ndim == 2 ? ct_t(weight) : (ct_tensor *)weight;
        r = ct_matmul(x, wt);
        if (r && bias) r = ct_add(r, bias);
    }
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

/* ------------------------------------------------------------ conv2d */
ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[2], const int64_t padding[2],
                     const int64_t dilation[2], int64_t groups) {
    int64_t s[3], p[3], d[3];
    ct__conv_args(2, stride, 1, s);
    ct__conv_args(2, padding, 0, p);
    ct__conv_args(2, dilation, 1, d);
    return ct__conv_front(2, x, weight, bias, s, p, p, d, groups);
}

ct_tensor *ct_conv2d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[2], const char *padding,
                          const int64_t dilation[2], int64_t groups) {
    int64_t s[3], d[3];
    ct__conv_args(2, stride, 1, s);
    ct__conv_args(2, dilation, 1, d);
    return ct__conv_mode(2, x, weight, bias, s, padding, d, groups);
}

/* conv1d: x [N, C, L] -> [N, C, 1, L], weight [O, C/g, k] -> [O, C/g, 1, k]. */
static ct_tensor *conv1d_any(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                             int64_t stride, int64_t padding, const char *mode, int64_t dilation,
                             int64_t groups) {
    if (x->ndim != 2 && x->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input "
                       "of size: %s",
                       ct__shp(x));
    if (w->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "conv1d: Expected 3-dimensional weight for 3-dimensional input %s, but got "
                       "%d-dimensional weight of size %s instead",
                       ct__shp(x), w->ndim, ct__shp(w));
    ct_scope sc = ct_scope_begin();
    ct_tensor *x4 = ct_unsqueeze(x, x->ndim - 1), *w4 = ct_unsqueeze(w, 2), *r = NULL;
    int64_t s[2] = {1, stride}, p[2] = {0, padding}, d[2] = {1, dilation};
    if (x4 && w4)
        r = mode ? ct_conv2d_mode(x4, w4, b, s, mode, d, groups)
                 : ct_conv2d(x4, w4, b, s, p, d, groups);
    if (r) r = ct_squeeze_dim(r, r->ndim - 2);
    if (r) ct_keep(r);
    ct_scope_end(sc);
    if (!r) {
        ct__conv_rename_error("conv2d", "conv1d"); /* say which op the caller used */
        return NULL;
    }
    return ct_autorelease(r);
}

ct_tensor *ct_conv1d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     int64_t stride, int64_t padding, int64_t dilation, int64_t groups) {
    return conv1d_any(x, weight, bias, stride, padding, NULL, dilation, groups);
}

ct_tensor *ct_conv1d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          int64_t stride, const char *padding, int64_t dilation, int64_t groups) {
    return conv1d_any(x, weight, bias, stride, 0, padding, dilation, groups);
}
