/* linear, conv2d, conv1d. conv2d is im2col + OpenBLAS GEMM
 * (src/kernels/cpu/conv.c); its backward goes through conv2d_backward_input
 * and conv2d_backward_weight (src/nn/conv_backward.c); conv1d is conv2d over
 * a height-1 image; linear is addmm/matmul. */
#include "nn/nn_internal.h"

#include <stdio.h>

/* PyTorch's ScalarType names, used in its "expected scalar type" wording. */
static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

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

/* Owned 4-d result of the convolution of 4-d x; checks done by the caller. */
static ct_tensor *conv2d_forward(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                                 const ct_win2d *g, int64_t groups) {
    bool gpu = !ct__on_cpu(x) || !ct__on_cpu(w) || (b && !ct__on_cpu(b)); /* cuDNN */
    int64_t N = x->sizes[0], C = x->sizes[1], O = w->sizes[0];
    ct_tensor *out = ct__empty_on((int64_t[]){N, O, g->OH, g->OW}, 4, x->dtype, x->storage->device);
    if (!out || out->numel == 0) return out;
    ct_tensor *xc = ct__contiguous(x), *wc = ct__contiguous(w), *bc = b ? ct__contiguous(b) : NULL;
    int rc = xc && wc && (!b || bc) ? 0 : -1;
    if (rc == 0 && gpu) {
        rc = ct__cuda->conv2d(0, xc, wc, bc, out, groups, g);
    } else if (rc == 0) {
        CT_CONV_NOTE(wc, NULL);
        rc = ct__conv2d_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(wc),
                                       bc ? ct_data_ptr(bc) : NULL, ct_data_ptr(out), N, C, O,
                                       groups, g);
        CT_CONV_NOTE(NULL, NULL);
    }
    ct_release(xc);
    ct_release(wc);
    ct_release(bc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return out;
}

static int64_t at(const int64_t *a, int i, int64_t dflt) { return a ? a[i] : dflt; }

/* Checks shared by conv2d and its 'same'/'valid' form; x is 4-d. */
static int conv2d_check(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                        const int64_t s[2], const int64_t p[2], const int64_t d[2],
                        int64_t groups) {
    if (w->ndim != 4) {
        ct_set_error(CT_ERR_RUNTIME,
                     "conv2d: Expected 4-dimensional weight for 4-dimensional input %s, but got "
                     "%d-dimensional weight of size %s instead",
                     ct__shp(x), w->ndim, ct__shp(w));
        return -1;
    }
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        const ct_tensor *o = x->dtype != w->dtype ? w : b;
        ct_set_error(CT_ERR_RUNTIME, "conv2d: expected scalar type %s but found %s",
                     type_name(x->dtype), type_name(o->dtype));
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "conv2d: not implemented for '%s'", type_name(x->dtype));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (s[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv2d: non-positive stride is not supported");
            return -1;
        }
        if (p[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv2d: negative padding is not supported");
            return -1;
        }
        if (d[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "conv2d: dilation should be greater than zero");
            return -1;
        }
    }
    if (groups <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "conv2d: non-positive groups is not supported");
        return -1;
    }
    if (w->sizes[0] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                     "but got weight of size [%s] instead",
                     (long long)groups, (long long)groups, ct__shp(w));
        return -1;
    }
    if (x->sizes[1] != w->sizes[1] * groups) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given groups=%lld, weight of size %s, expected input%s to have %lld "
                     "channels, but got %lld channels instead",
                     (long long)groups, ct__shp(w), ct__shp(x),
                     (long long)(w->sizes[1] * groups), (long long)x->sizes[1]);
        return -1;
    }
    if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[0])) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given weight of size %s, expected bias to be 1-dimensional with %lld "
                     "elements, but got bias of size %s instead",
                     ct__shp(w), (long long)w->sizes[0], ct__shp(b));
        return -1;
    }
    int64_t ph = x->sizes[2] + 2 * p[0], pw = x->sizes[3] + 2 * p[1];
    int64_t kh = d[0] * (w->sizes[2] - 1) + 1, kw = d[1] * (w->sizes[3] - 1) + 1;
    if (ph < kh || pw < kw) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Calculated padded input size per channel: (%lld x %lld). Kernel size: "
                     "(%lld x %lld). Kernel size can't be greater than actual input size",
                     (long long)ph, (long long)pw, (long long)kh, (long long)kw);
        return -1;
    }
    return 0;
}

/* conv2d of a 4-d x with symmetric padding: owned, recorded. */
static ct_tensor *conv2d4(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                          const int64_t s[2], const int64_t p[2], const int64_t d[2],
                          int64_t groups) {
    if (conv2d_check(x, w, b, s, p, d, groups) < 0) return NULL;
    ct_win2d g = {.H = x->sizes[2], .W = x->sizes[3], .kh = w->sizes[2], .kw = w->sizes[3],
                  .sh = s[0], .sw = s[1], .ph = p[0], .pw = p[1], .dh = d[0], .dw = d[1]};
    g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    ct_tensor *out = conv2d_forward(x, w, b, &g, groups);
    ct_op_args a = {.i = {s[0], s[1], p[0], p[1], d[0], d[1]}, .dims = {groups}, .ndims = 1};
    return ct__nn_record(CT_OP_conv2d, out, (const ct_tensor *[]){x, w, b}, 3, NULL, 0, &a);
}

/* Shared front: 3-d (unbatched) or 4-d x; pads asymmetrically first when
 * lo != hi. */
static ct_tensor *conv2d_front(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                               const int64_t s[2], const int64_t lo[2], const int64_t hi[2],
                               const int64_t d[2], int64_t groups) {
    if (x->ndim != 3 && x->ndim != 4)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input "
                       "of size: %s",
                       ct__shp(x));
    ct_scope sc = ct_scope_begin();
    const ct_tensor *xx = x->ndim == 3 ? ct_unsqueeze(x, 0) : x;
    int64_t p[2] = {lo[0], lo[1]};
    if (xx && (lo[0] != hi[0] || lo[1] != hi[1])) {
        int64_t pad[4] = {lo[1], hi[1], lo[0], hi[0]};
        xx = ct_pad(xx, pad, 4, "constant", 0.0);
        p[0] = p[1] = 0;
    }
    ct_tensor *r = xx ? conv2d4(xx, w, b, s, p, d, groups) : NULL;
    if (r && x->ndim == 3) {
        ct_autorelease(r);
        r = ct_squeeze_dim(r, 0);
        if (r) ct_keep(r);
    }
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[2], const int64_t padding[2],
                     const int64_t dilation[2], int64_t groups) {
    int64_t s[2] = {at(stride, 0, 1), at(stride, 1, 1)};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    return conv2d_front(x, weight, bias, s, p, p, d, groups);
}

ct_tensor *ct_conv2d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[2], const char *padding,
                          const int64_t dilation[2], int64_t groups) {
    int64_t s[2] = {at(stride, 0, 1), at(stride, 1, 1)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    int64_t lo[2] = {0, 0}, hi[2] = {0, 0};
    if (!padding || (strcmp(padding, "same") != 0 && strcmp(padding, "valid") != 0))
        return CT_FAIL(CT_ERR_VALUE,
                       "Invalid padding string '%s', should be one of {'valid', 'same'}",
                       padding ? padding : "(null)");
    if (strcmp(padding, "same") == 0) {
        if (s[0] != 1 || s[1] != 1)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "padding='same' is not supported for strided convolutions");
        if (weight->ndim != 4)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "conv2d: Expected 4-dimensional weight, but got %d-dimensional weight "
                           "of size %s instead",
                           weight->ndim, ct__shp(weight));
        for (int i = 0; i < 2; i++) {
            int64_t total = d[i] * (weight->sizes[2 + i] - 1);
            lo[i] = total / 2;
            hi[i] = total - lo[i];
        }
    }
    return conv2d_front(x, weight, bias, s, lo, hi, d, groups);
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
        /* conv2d's messages name conv2d: say which op the caller used. */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ct_last_error());
        ct_error_kind k = ct_last_error_kind();
        if (strncmp(msg, "conv2d: ", 8) == 0) ct_set_error(k, "conv1d: %s", msg + 8);
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
