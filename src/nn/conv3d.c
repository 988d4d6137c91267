/* conv3d and its two gradients, conv3d_backward_input and
 * conv3d_backward_weight (torch.nn.grad.conv3d_input / conv3d_weight):
 * the same im2col + GEMM kernels as conv2d (src/kernels/cpu/conv.c, a 2-d
 * convolution being a 3-d one over a depth of 1), oneDNN's 3-d kernels for
 * float32 where it is built. The gradients are ops of their own, bilinear,
 * so that every order of derivative is one more of these three ops
 * (src/autograd/derivatives_nn_conv.c). */
#include "ctorch/nn_conv.h"
#include "nn/nn_internal.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static int64_t at(const int64_t *a, int i, int64_t dflt) { return a ? a[i] : dflt; }

static void triple(const int64_t *a, int64_t dflt, int64_t out[3]) {
    for (int i = 0; i < 3; i++) out[i] = at(a, i, dflt);
}

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
    int64_t ext = d * (k - 1) + 1;
    return in + 2 * p >= ext ? (in + 2 * p - ext) / s + 1 : -1;
}

static ct_win3d geometry(const int64_t in[3], const int64_t k[3], const int64_t s[3],
                         const int64_t p[3], const int64_t d[3]) {
    ct_win3d g = {.D = in[0], .H = in[1], .W = in[2], .kd = k[0], .kh = k[1], .kw = k[2],
                  .sd = s[0], .sh = s[1], .sw = s[2], .pd = p[0], .ph = p[1], .pw = p[2],
                  .dd = d[0], .dh = d[1], .dw = d[2]};
    g.OD = out_size(g.D, g.kd, g.sd, g.pd, g.dd);
    g.OH = out_size(g.H, g.kh, g.sh, g.ph, g.dh);
    g.OW = out_size(g.W, g.kw, g.sw, g.pw, g.dw);
    return g;
}

static int check_sdp(const char *op, const int64_t s[3], const int64_t p[3], const int64_t d[3],
                     int64_t groups) {
    for (int i = 0; i < 3; i++) {
        if (s[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: non-positive stride is not supported", op);
            return -1;
        }
        if (p[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: negative padding is not supported", op);
            return -1;
        }
        if (d[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: dilation should be greater than zero", op);
            return -1;
        }
    }
    if (groups <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: non-positive groups is not supported", op);
        return -1;
    }
    return 0;
}

/* conv3d's checks; x is 5-d. */
static int conv3d_check(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                        const int64_t s[3], const int64_t p[3], const int64_t d[3],
                        int64_t groups) {
    if (w->ndim != 5) {
        ct_set_error(CT_ERR_RUNTIME,
                     "conv3d: Expected 5-dimensional weight for 5-dimensional input %s, but got "
                     "%d-dimensional weight of size %s instead",
                     ct__shp(x), w->ndim, ct__shp(w));
        return -1;
    }
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        const ct_tensor *o = x->dtype != w->dtype ? w : b;
        ct_set_error(CT_ERR_RUNTIME, "conv3d: expected scalar type %s but found %s",
                     type_name(x->dtype), type_name(o->dtype));
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "conv3d: not implemented for '%s'", type_name(x->dtype));
        return -1;
    }
    if (check_sdp("conv3d", s, p, d, groups) < 0) return -1;
    if (w->sizes[0] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                     "but got weight of size %s instead",
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
    for (int i = 0; i < 3; i++) {
        int64_t padded = x->sizes[2 + i] + 2 * p[i], ext = d[i] * (w->sizes[2 + i] - 1) + 1;
        if (padded < ext) {
            ct_set_error(CT_ERR_RUNTIME,
                         "Calculated padded input size per channel: (%lld x %lld x %lld). Kernel "
                         "size: (%lld x %lld x %lld). Kernel size can't be greater than actual "
                         "input size",
                         (long long)(x->sizes[2] + 2 * p[0]), (long long)(x->sizes[3] + 2 * p[1]),
                         (long long)(x->sizes[4] + 2 * p[2]),
                         (long long)(d[0] * (w->sizes[2] - 1) + 1),
                         (long long)(d[1] * (w->sizes[3] - 1) + 1),
                         (long long)(d[2] * (w->sizes[4] - 1) + 1));
            return -1;
        }
    }
    return 0;
}

static ct_op_args conv3d_args(const int64_t s[3], const int64_t p[3], const int64_t d[3],
                              int64_t groups, const int64_t *sizes3) {
    ct_op_args a = {.i = {s[0], s[1], s[2], p[0], p[1], p[2]},
                    .dims = {d[0], d[1], d[2], groups},
                    .ndims = 4};
    if (sizes3) {
        for (int i = 0; i < 3; i++) a.dims[4 + i] = sizes3[i];
        a.ndims = 7;
    }
    return a;
}

/* conv3d of a 5-d x with symmetric padding: owned, recorded. */
static ct_tensor *conv3d5(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                          const int64_t s[3], const int64_t p[3], const int64_t d[3],
                          int64_t groups) {
    if (ct__require_cpu("conv3d", x) < 0 || ct__require_cpu("conv3d", w) < 0 ||
        (b && ct__require_cpu("conv3d", b) < 0))
        return NULL;
    if (conv3d_check(x, w, b, s, p, d, groups) < 0) return NULL;
    ct_win3d g = geometry(&x->sizes[2], &w->sizes[2], s, p, d);
    int64_t N = x->sizes[0], C = x->sizes[1], O = w->sizes[0];
    ct_tensor *out = ct__empty((int64_t[]){N, O, g.OD, g.OH, g.OW}, 5, x->dtype);
    if (!out) return NULL;
    if (out->numel > 0) {
        ct_tensor *xc = ct__contiguous(x), *wc = ct__contiguous(w),
                  *bc = b ? ct__contiguous(b) : NULL;
        int rc = xc && wc && (!b || bc) ? 0 : -1;
        if (rc == 0) {
            CT_CONV_NOTE(wc, NULL);
            rc = ct__conv3d_forward_kernel(x->dtype, ct_data_ptr(xc), ct_data_ptr(wc),
                                           bc ? ct_data_ptr(bc) : NULL, ct_data_ptr(out), N, C, O,
                                           groups, &g);
            CT_CONV_NOTE(NULL, NULL);
        }
        ct_release(xc);
        ct_release(wc);
        ct_release(bc);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    }
    ct_op_args a = conv3d_args(s, p, d, groups, NULL);
    return ct__nn_record(CT_OP_conv3d, out, (const ct_tensor *[]){x, w, b}, 3, NULL, 0, &a);
}

/* 4-d (unbatched) or 5-d x; pads asymmetrically first when lo != hi. */
static ct_tensor *conv3d_front(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                               const int64_t s[3], const int64_t lo[3], const int64_t hi[3],
                               const int64_t d[3], int64_t groups) {
    if (x->ndim != 4 && x->ndim != 5)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input "
                       "of size: %s",
                       ct__shp(x));
    ct_scope sc = ct_scope_begin();
    const ct_tensor *xx = x->ndim == 4 ? ct_unsqueeze(x, 0) : x;
    int64_t p[3] = {lo[0], lo[1], lo[2]};
    if (xx && (lo[0] != hi[0] || lo[1] != hi[1] || lo[2] != hi[2])) {
        int64_t pad[6] = {lo[2], hi[2], lo[1], hi[1], lo[0], hi[0]};
        xx = ct_pad(xx, pad, 6, "constant", 0.0);
        p[0] = p[1] = p[2] = 0;
    }
    ct_tensor *r = xx ? conv3d5(xx, w, b, s, p, d, groups) : NULL;
    if (r && x->ndim == 4) {
        ct_autorelease(r);
        r = ct_squeeze_dim(r, 0);
        if (r) ct_keep(r);
    }
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_conv3d(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                     const int64_t stride[3], const int64_t padding[3],
                     const int64_t dilation[3], int64_t groups) {
    int64_t s[3], p[3], d[3];
    triple(stride, 1, s);
    triple(padding, 0, p);
    triple(dilation, 1, d);
    return conv3d_front(x, weight, bias, s, p, p, d, groups);
}

ct_tensor *ct_conv3d_mode(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                          const int64_t stride[3], const char *padding,
                          const int64_t dilation[3], int64_t groups) {
    int64_t s[3], d[3], lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    triple(stride, 1, s);
    triple(dilation, 1, d);
    if (!padding || (strcmp(padding, "same") != 0 && strcmp(padding, "valid") != 0))
        return CT_FAIL(CT_ERR_VALUE,
                       "Invalid padding string '%s', should be one of {'valid', 'same'}",
                       padding ? padding : "(null)");
    if (strcmp(padding, "same") == 0) {
        if (s[0] != 1 || s[1] != 1 || s[2] != 1)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "padding='same' is not supported for strided convolutions");
        if (weight->ndim != 5)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "conv3d: Expected 5-dimensional weight, but got %d-dimensional weight "
                           "of size %s instead",
                           weight->ndim, ct__shp(weight));
        for (int i = 0; i < 3; i++) {
            int64_t total = d[i] * (weight->sizes[2 + i] - 1);
            lo[i] = total / 2;
            hi[i] = total - lo[i];
        }
    }
    return conv3d_front(x, weight, bias, s, lo, hi, d, groups);
}

/* Checks shared by both gradients: gout [N, O, OD, OH, OW] and t (weight or
 * input) 5-d, one floating dtype, sane stride/padding/dilation/groups; fills
 * g from the input size in[] and kernel size k[] and checks that gout's
 * spatial size is what conv3d makes of them. */
static int check_grad(const char *op, const ct_tensor *gout, const ct_tensor *t,
                      const char *tname, const int64_t in[3], const int64_t k[3],
                      const int64_t s[3], const int64_t p[3], const int64_t d[3], int64_t groups,
                      ct_win3d *g) {
    if (gout->ndim != 5 || t->ndim != 5) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected 5-d grad_output and %s, got %s and %s", op,
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
    if (check_sdp(op, s, p, d, groups) < 0) return -1;
    if (gout->sizes[1] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: groups=%lld must divide the %lld channels of "
                     "grad_output %s", op, (long long)groups, (long long)gout->sizes[1],
                     ct__shp(gout));
        return -1;
    }
    for (int i = 0; i < 3; i++)
        if (in[i] < 0 || k[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: bad input size (%lld, %lld, %lld) or kernel size (%lld, %lld, %lld)",
                         op, (long long)in[0], (long long)in[1], (long long)in[2], (long long)k[0],
                         (long long)k[1], (long long)k[2]);
            return -1;
        }
    *g = geometry(in, k, s, p, d);
    if (g->OD != gout->sizes[2] || g->OH != gout->sizes[3] || g->OW != gout->sizes[4]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: grad_output %s does not match the output size (%lld, %lld, %lld) of "
                     "conv3d over (%lld, %lld, %lld) inputs with a (%lld, %lld, %lld) kernel",
                     op, ct__shp(gout), (long long)g->OD, (long long)g->OH, (long long)g->OW,
                     (long long)in[0], (long long)in[1], (long long)in[2], (long long)k[0],
                     (long long)k[1], (long long)k[2]);
        return -1;
    }
    return 0;
}

ct_tensor *ct_conv3d_backward_input(const ct_tensor *grad_out, const ct_tensor *weight,
                                    const int64_t input_dhw[3], const int64_t stride[3],
                                    const int64_t padding[3], const int64_t dilation[3],
                                    int64_t groups) {
    const char *op = "conv3d_backward_input";
    int64_t s[3], p[3], d[3];
    triple(stride, 1, s);
    triple(padding, 0, p);
    triple(dilation, 1, d);
    if (ct__require_cpu(op, grad_out) < 0 || ct__require_cpu(op, weight) < 0) return NULL;
    if (!input_dhw) return CT_FAIL(CT_ERR_VALUE, "%s: input_dhw is required", op);
    int64_t k[3] = {1, 1, 1};
    if (weight->ndim == 5) k[0] = weight->sizes[2], k[1] = weight->sizes[3], k[2] = weight->sizes[4];
    ct_win3d g;
    if (check_grad(op, grad_out, weight, "weight", input_dhw, k, s, p, d, groups, &g) < 0)
        return NULL;
    if (weight->sizes[0] != grad_out->sizes[1])
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s: weight %s has %lld output channels, grad_output %s has %lld", op,
                       ct__shp(weight), (long long)weight->sizes[0], ct__shp(grad_out),
                       (long long)grad_out->sizes[1]);
    int64_t N = grad_out->sizes[0], O = grad_out->sizes[1], C = weight->sizes[1] * groups;
    ct_tensor *dx = ct__empty((int64_t[]){N, C, g.D, g.H, g.W}, 5, grad_out->dtype);
    if (!dx) return NULL;
    if (dx->numel > 0) {
        ct_tensor *gc = ct__contiguous(grad_out), *wc = ct__contiguous(weight);
        CT_CONV_NOTE(wc, gc);
        int rc = gc && wc ? ct__conv3d_backward_input_kernel(grad_out->dtype, ct_data_ptr(gc),
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
    ct_op_args a = conv3d_args(s, p, d, groups, input_dhw);
    dx = ct__nn_record(CT_OP_conv3d_backward_input, dx, (const ct_tensor *[]){grad_out, weight}, 2,
                       NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}

ct_tensor *ct_conv3d_backward_weight(const ct_tensor *grad_out, const ct_tensor *input,
                                     const int64_t kernel_dhw[3], const int64_t stride[3],
                                     const int64_t padding[3], const int64_t dilation[3],
                                     int64_t groups) {
    const char *op = "conv3d_backward_weight";
    int64_t s[3], p[3], d[3];
    triple(stride, 1, s);
    triple(padding, 0, p);
    triple(dilation, 1, d);
    if (ct__require_cpu(op, grad_out) < 0 || ct__require_cpu(op, input) < 0) return NULL;
    if (!kernel_dhw) return CT_FAIL(CT_ERR_VALUE, "%s: kernel_dhw is required", op);
    int64_t in[3] = {0, 0, 0};
    if (input->ndim == 5) in[0] = input->sizes[2], in[1] = input->sizes[3], in[2] = input->sizes[4];
    ct_win3d g;
    if (check_grad(op, grad_out, input, "input", in, kernel_dhw, s, p, d, groups, &g) < 0)
        return NULL;
    if (input->sizes[0] != grad_out->sizes[0] || input->sizes[1] % groups != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s: input %s and grad_output %s need the same batch size and groups=%lld "
                       "dividing the input channels",
                       op, ct__shp(input), ct__shp(grad_out), (long long)groups);
    int64_t N = grad_out->sizes[0], O = grad_out->sizes[1], C = input->sizes[1];
    ct_tensor *dw = ct__empty((int64_t[]){O, C / groups, g.kd, g.kh, g.kw}, 5, grad_out->dtype);
    if (!dw) return NULL;
    if (dw->numel > 0) {
        ct_tensor *gc = ct__contiguous(grad_out), *xc = ct__contiguous(input);
        CT_CONV_NOTE(NULL, gc);
        int rc = gc && xc ? ct__conv3d_backward_weight_kernel(grad_out->dtype, ct_data_ptr(gc),
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
    ct_op_args a = conv3d_args(s, p, d, groups, kernel_dhw);
    dw = ct__nn_record(CT_OP_conv3d_backward_weight, dw, (const ct_tensor *[]){grad_out, input}, 2,
                       NULL, 0, &a);
    return dw ? ct_autorelease(dw) : NULL;
}
