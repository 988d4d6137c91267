/* max_pool2d, avg_pool2d, adaptive_avg_pool2d: checks and shapes (PyTorch's
 * pooling_output_shape); kernels in src/kernels/cpu/pool.c, on a GPU
 * src/cuda/pool.cu (ct__cuda->window). */
#include "nn/pool_internal.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static int input_check(const char *op, const ct_tensor *x) {
    if ((x->ndim != 3 && x->ndim != 4) || x->sizes[x->ndim - 1] == 0 ||
        x->sizes[x->ndim - 2] == 0 || (x->ndim == 4 && x->sizes[1] == 0)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: non-empty 3D or 4D (batch mode) tensor expected for input, got %s", op,
                     ct__shp(x));
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "\"%s\" not implemented for '%s'", op, type_name(x->dtype));
        return -1;
    }
    return 0;
}

/* Fills the window geometry; 0 or -1 with PyTorch's messages. */
static int window(const char *op, const ct_tensor *x, const int64_t k[2], const int64_t s[2],
                  const int64_t p[2], const int64_t d[2], bool ceil_mode, ct_win2d *g) {
    if (input_check(op, x) < 0) return -1;
    if (k[0] <= 0 || k[1] <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: kernel size should be greater than zero, but got kH: %lld kW: %lld",
                     op, (long long)k[0], (long long)k[1]);
        return -1;
    }
    if (s[0] <= 0 || s[1] <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: stride should be greater than zero, but got dH: %lld dW: %lld",
                     op, (long long)s[0], (long long)s[1]);
        return -1;
    }
    if (d[0] <= 0 || d[1] <= 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: dilation should be greater than zero, but got dilationH: %lld dilationW: %lld",
                     op, (long long)d[0], (long long)d[1]);
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (p[i] < 0 || p[i] > k[i] / 2) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: pad should be at most half of kernel size, but got pad=%lld and "
                         "kernel_size=%lld",
                         op, (long long)p[i], (long long)k[i]);
            return -1;
        }
    g->H = x->sizes[x->ndim - 2];
    g->W = x->sizes[x->ndim - 1];
    g->kh = k[0], g->kw = k[1], g->sh = s[0], g->sw = s[1];
    g->ph = p[0], g->pw = p[1], g->dh = d[0], g->dw = d[1];
    g->OH = ct_pool_out_size(g->H, k[0], p[0], s[0], d[0], ceil_mode);
    g->OW = ct_pool_out_size(g->W, k[1], p[1], s[1], d[1], ceil_mode);
    if (g->OH < 1 || g->OW < 1) {
        int64_t C = x->sizes[x->ndim - 3];
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: Given input size: (%lldx%lldx%lld). Calculated output size: "
                     "(%lldx%lldx%lld). Output size is too small",
                     op, (long long)C, (long long)g->H, (long long)g->W, (long long)C,
                     (long long)g->OH, (long long)g->OW);
        return -1;
    }
    return 0;
}

/* Owned result of x's shape with the last two dims (OH, OW). */
static ct_tensor *pooled_empty(const ct_tensor *x, int64_t OH, int64_t OW, ct_dtype dt) {
    int64_t sizes[4];
    for (int i = 0; i < x->ndim - 2; i++) sizes[i] = x->sizes[i];
    sizes[x->ndim - 2] = OH;
    sizes[x->ndim - 1] = OW;
    return ct__empty_on(sizes, x->ndim, dt, x->storage->device);
}

static int64_t at(const int64_t *a, int i, int64_t dflt) { return a ? a[i] : dflt; }

ct_tensor *ct_max_pool2d(const ct_tensor *x, const int64_t kernel_size[2], const int64_t stride[2],
                         const int64_t padding[2], const int64_t dilation[2], bool ceil_mode,
                         ct_tensor **indices) {
    if (indices) *indices = NULL;
    int64_t k[2] = {kernel_size[0], kernel_size[1]};
    int64_t s[2] = {at(stride, 0, k[0]), at(stride, 1, k[1])};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t d[2] = {at(dilation, 0, 1), at(dilation, 1, 1)};
    ct_win2d g;
    if (window("max_pool2d", x, k, s, p, d, ceil_mode, &g) < 0) return NULL;
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *out = pooled_empty(x, g.OH, g.OW, x->dtype);
    ct_tensor *idx = pooled_empty(x, g.OH, g.OW, CT_INT64);
    if (!xc || !out || !idx) {
        ct_release(xc), ct_release(out), ct_release(idx);
        return NULL;
    }
    int64_t np = x->numel / (g.H * g.W);
    int rc = 0;
    if (!ct__on_cpu(x)) {
        ct_window_op w = ct__window_op2d(CT_WIN_MAX, x->dtype, np, &g);
        rc = ct__cuda->window(&w, xc, out, idx);
    } else {
        ct__max_pool2d_kernel(x->dtype, ct_data_ptr(xc), np, &g, ct_data_ptr(out), ct_data_ptr(idx));
    }
    ct_release(xc);
    if (rc < 0) {
        ct_release(out), ct_release(idx);
        return NULL;
    }
    ct_op_args a = {.i = {k[0], k[1], s[0], s[1], p[0], p[1]}, .dims = {d[0], d[1]}, .ndims = 2,
                    .b = {ceil_mode}};
    out = ct__nn_record(CT_OP_max_pool2d, out, (const ct_tensor *[]){x}, 1,
                        (const ct_tensor *[]){idx}, 1, &a);
    if (!out) {
        ct_release(idx);
        return NULL;
    }
    if (indices) *indices = ct_autorelease(idx);
    else ct_release(idx);
    return ct_autorelease(out);
}

ct_tensor *ct_avg_pool2d(const ct_tensor *x, const int64_t kernel_size[2], const int64_t stride[2],
                         const int64_t padding[2], bool ceil_mode, bool count_include_pad,
                         int64_t divisor_override) {
    int64_t k[2] = {kernel_size[0], kernel_size[1]};
    int64_t s[2] = {at(stride, 0, k[0]), at(stride, 1, k[1])};
    int64_t p[2] = {at(padding, 0, 0), at(padding, 1, 0)};
    int64_t d[2] = {1, 1};
    ct_win2d g;
    if (window("avg_pool2d", x, k, s, p, d, ceil_mode, &g) < 0) return NULL;
    if (divisor_override < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "avg_pool2d: divisor must be not zero");
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *out = pooled_empty(x, g.OH, g.OW, x->dtype);
    if (!xc || !out) {
        ct_release(xc), ct_release(out);
        return NULL;
    }
    int64_t np = x->numel / (g.H * g.W);
    int rc = 0;
    if (!ct__on_cpu(x)) {
        ct_window_op w = ct__window_op2d(CT_WIN_AVG, x->dtype, np, &g);
        w.count_include_pad = count_include_pad, w.divisor = divisor_override;
        rc = ct__cuda->window(&w, xc, out, NULL);
    } else {
        ct__avg_pool2d_kernel(x->dtype, ct_data_ptr(xc), np, &g, count_include_pad,
                              divisor_override, ct_data_ptr(out));
    }
    ct_release(xc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    ct_op_args a = {.i = {k[0], k[1], s[0], s[1], p[0], p[1]},
                    .f = {(double)divisor_override},
                    .b = {ceil_mode, count_include_pad}};
    out = ct__nn_record(CT_OP_avg_pool2d, out, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_adaptive_avg_pool2d(const ct_tensor *x, const int64_t output_size[2]) {
    if (input_check("adaptive_avg_pool2d", x) < 0) return NULL;
    int64_t OH = output_size[0], OW = output_size[1];
    if (OH < 0 || OW < 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "adaptive_avg_pool2d: elements of output_size must be greater than or "
                       "equal to 0 but received {%lld, %lld}",
                       (long long)OH, (long long)OW);
    int64_t H = x->sizes[x->ndim - 2], W = x->sizes[x->ndim - 1];
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *out = pooled_empty(x, OH, OW, x->dtype);
    if (!xc || !out) {
        ct_release(xc), ct_release(out);
        return NULL;
    }
    int64_t np = x->numel / (H * W);
    int rc = 0;
    if (out->numel && !ct__on_cpu(x)) {
        ct_window_op w = ct__window_op(CT_WIN_ADAPTIVE_AVG, x->dtype, np, 2, (int64_t[]){H, W},
                                       (int64_t[]){OH, OW});
        rc = ct__cuda->window(&w, xc, out, NULL);
    } else if (out->numel) {
        ct__adaptive_avg_pool2d_kernel(x->dtype, ct_data_ptr(xc), np, H, W, OH, OW, ct_data_ptr(out));
    }
    ct_release(xc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    ct_op_args a = {.dims = {OH, OW}, .ndims = 2};
    out = ct__nn_record(CT_OP_adaptive_avg_pool2d, out, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return out ? ct_autorelease(out) : NULL;
}

static bool same_shape(const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->sizes[i] != b->sizes[i]) return false;
    return true;
}

ct_tensor *ct_max_pool2d_backward(const ct_tensor *grad_out, const ct_tensor *indices,
                                  const int64_t input_hw[2]) {
    const char *op = "max_pool2d_backward";
    if (!input_hw) return CT_FAIL(CT_ERR_VALUE, "%s: input_hw is required", op);
    if ((grad_out->ndim != 3 && grad_out->ndim != 4) || !same_shape(grad_out, indices))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s: expected 3-d or 4-d grad_output and indices of one shape, got %s and %s",
                       op, ct__shp(grad_out), ct__shp(indices));
    if (indices->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "%s: expected indices of scalar type Long but found %s", op,
                       type_name(indices->dtype));
    if (grad_out->dtype != CT_FLOAT32 && grad_out->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_NOT_IMPL, "\"%s\" not implemented for '%s'", op,
                       type_name(grad_out->dtype));
    int64_t H = input_hw[0], W = input_hw[1];
    if (H <= 0 || W <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "%s: bad input size (%lld, %lld)", op, (long long)H,
                       (long long)W);
    int nd = grad_out->ndim;
    int64_t sizes[4];
    for (int i = 0; i < nd - 2; i++) sizes[i] = grad_out->sizes[i];
    sizes[nd - 2] = H, sizes[nd - 1] = W;
    int64_t ohw = grad_out->sizes[nd - 2] * grad_out->sizes[nd - 1];
    ct_tensor *dx = ct__empty_on(sizes, nd, grad_out->dtype, grad_out->storage->device);
    ct_tensor *gc = ct__contiguous(grad_out), *ic = ct__contiguous(indices);
    int rc = dx && gc && ic ? 0 : -1;
    if (rc == 0 && dx->numel > 0) {
        int64_t np = dx->numel / (H * W);
        if (!ct__on_cpu(grad_out)) {
            ct_window_op w = ct__window_op(CT_WIN_MAX_BWD, grad_out->dtype, np, 2,
                                           (int64_t[]){H, W},
                                           (int64_t[]){grad_out->sizes[nd - 2], grad_out->sizes[nd - 1]});
            rc = ct__cuda->window(&w, gc, dx, ic);
        } else {
            rc = ct__max_pool2d_backward_kernel(grad_out->dtype, ct_data_ptr(gc), ct_data_ptr(ic), np,
                                                H * W, ohw, ct_data_ptr(dx)) < 0 ? 1 : 0;
        }
        if (rc == 1) {
            ct_set_error(CT_ERR_INDEX, "%s: an index of %s is out of range for %lld x %lld planes",
                         op, ct__shp(indices), (long long)H, (long long)W);
            rc = -1;
        }
    }
    ct_release(gc);
    ct_release(ic);
    if (rc < 0) {
        ct_release(dx);
        return NULL;
    }
    ct_op_args a = {.dims = {H, W}, .ndims = 2};
    dx = ct__nn_record(CT_OP_max_pool2d_backward, dx, (const ct_tensor *[]){grad_out}, 1,
                       (const ct_tensor *[]){indices}, 1, &a);
    return dx ? ct_autorelease(dx) : NULL;
}
