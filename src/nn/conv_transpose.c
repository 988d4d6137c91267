/* conv_transpose2d and conv_transpose1d. A transposed convolution is the
 * input gradient of the convolution with the same weight, so conv2d's
 * ct_conv2d_backward_input computes it (im2col + GEMM, or oneDNN) and its
 * derivatives (conv2d for the input, conv2d_backward_weight for the weight)
 * give every order of gradient; the bias is an add. output_padding adds
 * rows at the end that only the kernel taps past the input reach: when it
 * is at least the stride (allowed while below the dilation), x gets
 * floor(output_padding / stride) zero rows at the end first, so that the
 * convolution over the output size again yields x's size. */
#include "ctorch/nn_conv.h"
#include "ctorch/pointwise.h"
#include "ctorch/shape.h"
#include "nn/nn_internal.h"

#include <stdio.h>

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static int64_t at(const int64_t *a, int i, int64_t dflt) { return a ? a[i] : dflt; }

static int check(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b, const int64_t s[2],
                 const int64_t p[2], const int64_t op[2], const int64_t d[2], int64_t groups) {
    if (w->ndim != 4) {
        ct_set_error(CT_ERR_RUNTIME,
                     "conv_transpose2d: Expected 4-dimensional weight for 4-dimensional input %s, "
                     "but got %d-dimensional weight of size %s instead",
                     ct__shp(x), w->ndim, ct__shp(w));
        return -1;
    }
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        const ct_tensor *o = x->dtype != w->dtype ? w : b;
        ct_set_error(CT_ERR_RUNTIME, "conv_transpose2d: expected scalar type %s but found %s",
                     type_name(x->dtype), type_name(o->dtype));
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "conv_transpose2d: not implemented for '%s'",
                     type_name(x->dtype));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (s[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv_transpose2d: non-positive stride is not supported");
            return -1;
        }
        if (p[i] < 0 || op[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv_transpose2d: negative padding is not supported");
            return -1;
        }
        if (d[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv_transpose2d: dilation should be greater than zero");
            return -1;
        }
    }
    if (groups <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "conv_transpose2d: non-positive groups is not supported");
        return -1;
    }
    if (w->sizes[0] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                     "but got weight of size [%s] instead",
                     (long long)groups, (long long)groups, ct__shp(w));
        return -1;
    }
    if (x->sizes[1] != w->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given transposed=1, weight of size %s, expected input%s to have %lld "
                     "channels, but got %lld channels instead",
                     ct__shp(w), ct__shp(x), (long long)w->sizes[0], (long long)x->sizes[1]);
        return -1;
    }
    if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[1] * groups)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given transposed=1, weight of size %s, expected bias to be 1-dimensional "
                     "with %lld elements, but got bias of size %s instead",
                     ct__shp(w), (long long)(w->sizes[1] * groups), ct__shp(b));
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (op[i] >= s[i] && op[i] >= d[i]) {
            ct_set_error(CT_ERR_RUNTIME,
                         "output padding must be smaller than either stride or dilation, but got "
                         "output_padding_height: %lld output_padding_width: %lld stride_height: "
                         "%lld stride_width: %lld dilation_height: %lld dilation_width: %lld",
                         (long long)op[0], (long long)op[1], (long long)s[0], (long long)s[1],
                         (long long)d[0], (long long)d[1]);
            return -1;
        }
    int64_t o[2];
    for (int i = 0; i < 2; i++)
        o[i] = (x->sizes[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w->sizes[2 + i] - 1) + op[i] + 1;
    if (o[0] <= 0 || o[1] <= 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given input size per channel: (%lld x %lld). Calculated output size per "
                     "channel: (%lld x %lld). Output size is too small",
                     (long long)x->sizes[2], (long long)x->sizes[3], (long long)o[0],
                     (long long)o[1]);
        return -1;
    }
    return 0;
}

ct_tensor *ct_conv_transpose2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                               const int64_t stride[2], const int64_t padding[2],
                               const int64_t output_padding[2], int64_t groups,
                               const int64_t dilation[2]) {
    int64_t s[2] = {at(stride, 0, 1), at(stride, 1, 1)};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t op[2] = {at(output_padding, 0, 0), at(output_padding, 1, 0)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    if (x->ndim != 3 && x->ndim != 4)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got "
                       "input of size: %s",
                       ct__shp(x));
    ct_scope sc = ct_scope_begin();
    const ct_tensor *xx = x->ndim == 3 ? ct_unsqueeze(x, 0) : x;
    ct_tensor *r = NULL;
    if (xx && check(xx, weight, bias, s, p, op, d, groups) == 0) {
        int64_t hw[2];
        for (int i = 0; i < 2; i++)
            hw[i] = (xx->sizes[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (weight->sizes[2 + i] - 1) +
                    op[i] + 1;
        int64_t extra[2] = {op[0] / s[0], op[1] / s[1]};
        if (extra[0] || extra[1])
            xx = ct_pad(xx, (int64_t[]){0, extra[1], 0, extra[0]}, 4, "constant", 0.0);
        r = xx ? ct_conv2d_backward_input(xx, weight, hw, s, p, d, groups) : NULL;
        if (r && bias) r = ct_add(r, ct_reshape(bias, (int64_t[]){1, bias->sizes[0], 1, 1}, 4));
        if (r && x->ndim == 3) r = ct_squeeze_dim(r, 0);
    }
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
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
        /* conv_transpose2d's messages name it: say which op the caller used */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ct_last_error());
        ct_error_kind k = ct_last_error_kind();
        if (strncmp(msg, "conv_transpose2d: ", 18) == 0)
            ct_set_error(k, "conv_transpose1d: %s", msg + 18);
        return NULL;
    }
    return ct_autorelease(r);
}
