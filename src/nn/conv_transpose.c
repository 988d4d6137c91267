/* conv_transpose2d and conv_transpose1d. A transposed convolution is the
 * input gradient of the convolution with the same weight (conv_nd.c:
 * ct__conv_transpose), so its derivatives (the convolution for the input,
 * the weight gradient for the weight) give every order of gradient; the
 * bias is an add. conv_transpose1d is conv_transpose2d over a height of 1. */
#include "ctorch/nn_conv.h"
#include "ctorch/pointwise.h"
#include "ctorch/shape.h"
#include "nn/conv_internal.h"

ct_tensor *ct_conv_transpose2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               const int64_t stride[2], const int64_t padding[2],
                               const int64_t output_padding[2], int64_t groups,
                               const int64_t dilation[2]) {
    int64_t s[3], p[3], op[3], d[3];
    ct__conv_args(2, stride, 1, s);
    ct__conv_args(2, padding, 0, p);
    ct__conv_args(2, output_padding, 0, op);
    ct__conv_args(2, dilation, 1, d);
    return ct__conv_transpose(2, x, weight, bias, s, p, op, groups, d);
}

ct_tensor *ct_conv_transpose1d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               int64_t stride, int64_t padding, int64_t output_padding,
                               int64_t groups, int64_t dilation) {
    if (x->ndim != 2 && x->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got "
                       "input of size: %s",
                       ct__shp(x));
    if (weight->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "conv_transpose1d: Expected 3-dimensional weight for 3-dimensional input "
                       "%s, but got %d-dimensional weight of size %s instead",
                       ct__shp(x), weight->ndim, ct__shp(weight));
    ct_scope sc = ct_scope_begin();
    ct_tensor *x4 = ct_unsqueeze(x, x->ndim - 1), *w4 = ct_unsqueeze(weight, 2), *r = NULL;
    int64_t s[2] = {1, stride}, p[2] = {0, padding}, op[2] = {0, output_padding},
            d[2] = {1, dilation};
    if (x4 && w4) r = ct_conv_transpose2d(x4, w4, bias, s, p, op, groups, d);
    if (r) r = ct_squeeze_dim(r, r->ndim - 2);
    if (r) ct_keep(r);
    ct_scope_end(sc);
    if (!r) {
        ct__conv_rename_error("conv_transpose2d", "conv_transpose1d"); /* the caller's op */
        return NULL;
    }
    return ct_autorelease(r);
}
