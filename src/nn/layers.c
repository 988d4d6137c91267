/* The standard layers of torch.nn as C modules: each is a config struct, a
 * forward calling the functional op of include/ctorch/nn.h, and PyTorch
 * 1.13's reset_parameters (same draws in the same order). */
#include "ctorch/ctorch.h"
#include "ctorch/module.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static void *alloc_config(size_t size) {
    void *c = calloc(1, size);
    if (!c) ct_set_error(CT_ERR_MEMORY, "Module: out of memory");
    return c;
}

/* A new module of kind vt with a config of `size` bytes copied from cfg. */
static ct_module *new_module(const ct_module_vtable *vt, const void *cfg, size_t size) {
    void *c = NULL;
    if (size) {
        if (!(c = alloc_config(size))) return NULL;
        memcpy(c, cfg, size);
    }
    return ct_module_new(vt, c);
}

/* Registers an uninitialised parameter (default dtype) and returns it
 * (borrowed: the module holds it), or NULL. */
static ct_tensor *add_param(ct_module *m, const char *name, const int64_t *sizes, int ndim) {
    ct_scope sc = ct_scope_begin();
    ct_tensor *t = ct_empty(sizes, ndim, ct_default_dtype());
    int rc = t ? ct_module_register_parameter(m, name, t) : -1;
    ct_scope_end(sc);
    return rc < 0 ? NULL : t;
}

static ct_tensor *add_buffer(ct_module *m, const char *name, const int64_t *sizes, int ndim,
                             ct_dtype dt, double value) {
    ct_scope sc = ct_scope_begin();
    ct_tensor *t = ct_full(sizes, ndim, value, dt);
    int rc = t ? ct_module_register_buffer(m, name, t) : -1;
    ct_scope_end(sc);
    return rc < 0 ? NULL : t;
}

/* Python's repr of a float: the shortest digits that read back the same,
 * with ".0" on whole numbers. */
static const char *pyfloat(double v, char buf[32]) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eni")) strcat(buf, ".0");
    return buf;
}

/* "3" when both entries agree (PyTorch prints what was given: an int for
 * the square forms), else "(3, 2)". */
static const char *int_or_pair(const int64_t v[2], char buf[48]) {
    if (v[0] == v[1]) snprintf(buf, 48, "%lld", (long long)v[0]);
    else snprintf(buf, 48, "(%lld, %lld)", (long long)v[0], (long long)v[1]);
    return buf;
}

/* "(3, 2)" or "(3,)" for 1-d. */
static const char *tuple(const int64_t *v, int n, char buf[48]) {
    if (n == 1) snprintf(buf, 48, "(%lld,)", (long long)v[0]);
    else snprintf(buf, 48, "(%lld, %lld)", (long long)v[0], (long long)v[1]);
    return buf;
}

/* Fails a constructor: frees m and returns NULL (the error is set). */
static ct_module *fail(ct_module *m) {
    ct_module_free(m);
    return NULL;
}

/* Linear's and the convolutions' reset_parameters: kaiming_uniform_(w,
 * a=sqrt(5)), then the bias uniform in +-1/sqrt(fan_in). conv skips the
 * bias draw when fan_in is 0; linear draws it from [0, 0). */
static int reset_weight_bias(ct_tensor *w, ct_tensor *b, bool is_conv, ct_generator *g) {
    if (!ct_init_kaiming_uniform_(w, sqrt(5.0), "fan_in", "leaky_relu", g)) return -1;
    if (!b) return 0;
    int64_t fan_in, fan_out;
    if (ct_init_calculate_fan_in_and_fan_out(w, &fan_in, &fan_out) < 0) return -1;
    if (is_conv && fan_in == 0) return ct_init_zeros_(b) ? 0 : -1;
    double bound = fan_in > 0 ? 1 / sqrt((double)fan_in) : 0;
    return ct_init_uniform_(b, -bound, bound, g) ? 0 : -1;
}

/* ------------------------------------------------------------ Linear */

typedef struct {
    int64_t in, out;
    ct_tensor *weight, *bias; /* borrowed from the module's parameters */
} linear_cfg;

static ct_tensor *linear_forward(ct_module *m, const ct_tensor *x) {
    linear_cfg *c = m->config;
    return ct_linear(x, c->weight, c->bias);
}
static int linear_reset(ct_module *m, ct_generator *g) {
    linear_cfg *c = m->config;
    return reset_weight_bias(c->weight, c->bias, false, g);
}
static void linear_repr(const ct_module *m, char *buf, size_t len) {
    const linear_cfg *c = m->config;
    snprintf(buf, len, "in_features=%lld, out_features=%lld, bias=%s", (long long)c->in,
             (long long)c->out, c->bias ? "True" : "False");
}
static const ct_module_vtable linear_vt = {"Linear", linear_forward, linear_reset, NULL, linear_repr};

ct_module *ct_linear_module(int64_t in_features, int64_t out_features, bool bias) {
    if (in_features < 0 || out_features < 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                    "Linear: Trying to create tensor with negative dimension: "
                                    "in_features=%lld, out_features=%lld",
                                    (long long)in_features, (long long)out_features);
    ct_module *m = new_module(&linear_vt, &(linear_cfg){in_features, out_features, NULL, NULL},
                              sizeof(linear_cfg));
    if (!m) return NULL;
    linear_cfg *c = m->config;
    if (!(c->weight = add_param(m, "weight", (int64_t[]){out_features, in_features}, 2)))
        return fail(m);
    if (bias && !(c->bias = add_param(m, "bias", (int64_t[]){out_features}, 1))) return fail(m);
    if (linear_reset(m, NULL) < 0) return fail(m);
    return m;
}

/* ------------------------------------------------------------ Conv1d, Conv2d */

typedef struct {
    int dims; /* 1 or 2 */
    int64_t in, out, k[2], stride[2], padding[2], dilation[2], groups;
    int padding_str; /* 0: numbers, 1: "same", 2: "valid" */
    ct_tensor *weight, *bias;
} conv_cfg;

static ct_tensor *conv_forward(ct_module *m, const ct_tensor *x) {
    conv_cfg *c = m->config;
    const char *mode = c->padding_str == 1 ? "same" : c->padding_str == 2 ? "valid" : NULL;
    if (c->dims == 1)
        return mode ? ct_conv1d_mode(x, c->weight, c->bias, c->stride[0], mode, c->dilation[0],
                                     c->groups)
                    : ct_conv1d(x, c->weight, c->bias, c->stride[0], c->padding[0], c->dilation[0],
                                c->groups);
    return mode ? ct_conv2d_mode(x, c->weight, c->bias, c->stride, mode, c->dilation, c->groups)
                : ct_conv2d(x, c->weight, c->bias, c->stride, c->padding, c->dilation, c->groups);
}
static int conv_reset(ct_module *m, ct_generator *g) {
    conv_cfg *c = m->config;
    return reset_weight_bias(c->weight, c->bias, true, g);
}
static void conv_repr(const ct_module *m, char *buf, size_t len) {
    const conv_cfg *c = m->config;
    char k[48], st[48], x[48];
    int n = snprintf(buf, len, "%lld, %lld, kernel_size=%s, stride=%s", (long long)c->in,
                     (long long)c->out, tuple(c->k, c->dims, k), tuple(c->stride, c->dims, st));
    bool pad0 = c->padding[0] == 0 && (c->dims == 1 || c->padding[1] == 0);
    bool dil1 = c->dilation[0] == 1 && (c->dims == 1 || c->dilation[1] == 1);
    if (c->padding_str && n < (int)len)
        n += snprintf(buf + n, len - n, ", padding=%s", c->padding_str == 1 ? "same" : "valid");
    else if (!pad0 && n < (int)len)
        n += snprintf(buf + n, len - n, ", padding=%s", tuple(c->padding, c->dims, x));
    if (!dil1 && n < (int)len)
        n += snprintf(buf + n, len - n, ", dilation=%s", tuple(c->dilation, c->dims, x));
    if (c->groups != 1 && n < (int)len) n += snprintf(buf + n, len - n, ", groups=%lld", (long long)c->groups);
    if (!c->bias && n < (int)len) snprintf(buf + n, len - n, ", bias=False");
}
static const ct_module_vtable conv1d_vt = {"Conv1d", conv_forward, conv_reset, NULL, conv_repr};
static const ct_module_vtable conv2d_vt = {"Conv2d", conv_forward, conv_reset, NULL, conv_repr};

static ct_module *conv_new(int dims, int64_t in, int64_t out, const int64_t k[2],
                           const ct_conv_options *opt) {
    const char *op = dims == 1 ? "Conv1d" : "Conv2d";
    ct_conv_options o = opt ? *opt : (ct_conv_options){0};
    conv_cfg c = {.dims = dims, .in = in, .out = out, .groups = o.groups ? o.groups : 1};
    for (int i = 0; i < dims; i++) {
        c.k[i] = k[i];
        c.stride[i] = o.stride[i] ? o.stride[i] : 1;
        c.padding[i] = o.padding[i];
        c.dilation[i] = o.dilation[i] ? o.dilation[i] : 1;
        if (k[i] <= 0 || c.stride[i] <= 0 || c.padding[i] < 0 || c.dilation[i] <= 0)
            return (ct_module *)CT_FAIL(
                CT_ERR_RUNTIME,
                "%s: kernel_size, stride and dilation must be positive and padding non-negative "
                "(got kernel_size=%lld, stride=%lld, padding=%lld, dilation=%lld)",
                op, (long long)k[i], (long long)c.stride[i], (long long)c.padding[i],
                (long long)c.dilation[i]);
    }
    if (c.groups <= 0) return (ct_module *)CT_FAIL(CT_ERR_VALUE, "groups must be a positive integer");
    if (in < 0 || out < 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                    "%s: Trying to create tensor with negative dimension "
                                    "(in_channels=%lld, out_channels=%lld)",
                                    op, (long long)in, (long long)out);
    if (in % c.groups) return (ct_module *)CT_FAIL(CT_ERR_VALUE, "in_channels must be divisible by groups");
    if (out % c.groups) return (ct_module *)CT_FAIL(CT_ERR_VALUE, "out_channels must be divisible by groups");
    if (o.padding_str) {
        if (!strcmp(o.padding_str, "same")) c.padding_str = 1;
        else if (!strcmp(o.padding_str, "valid")) c.padding_str = 2;
        else
            return (ct_module *)CT_FAIL(CT_ERR_VALUE,
                                        "Invalid padding string '%s', should be one of {'valid', 'same'}",
                                        o.padding_str);
        for (int i = 0; i < dims && c.padding_str == 1; i++)
            if (c.stride[i] != 1)
                return (ct_module *)CT_FAIL(CT_ERR_VALUE,
                                            "padding='same' is not supported for strided convolutions");
    }
    ct_module *m = new_module(dims == 1 ? &conv1d_vt : &conv2d_vt, &c, sizeof c);
    if (!m) return NULL;
    conv_cfg *mc = m->config;
    int64_t ws[4] = {out, in / c.groups, k[0], k[1]};
    if (!(mc->weight = add_param(m, "weight", ws, 2 + dims))) return fail(m);
    if (!o.no_bias && !(mc->bias = add_param(m, "bias", (int64_t[]){out}, 1))) return fail(m);
    if (conv_reset(m, NULL) < 0) return fail(m);
    return m;
}

ct_module *ct_conv2d_module_ex(int64_t in_channels, int64_t out_channels,
                               const int64_t kernel_size[2], const ct_conv_options *opt) {
    return conv_new(2, in_channels, out_channels, kernel_size, opt);
}

ct_module *ct_conv2d_module(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            int64_t stride, int64_t padding) {
    ct_conv_options o = {.stride = {stride, stride}, .padding = {padding, padding}};
    if (stride <= 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME, "Conv2d: stride must be positive, got %lld",
                                    (long long)stride);
    return conv_new(2, in_channels, out_channels, (int64_t[]){kernel_size, kernel_size}, &o);
}

ct_module *ct_conv1d_module(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            const ct_conv_options *opt) {
    return conv_new(1, in_channels, out_channels, (int64_t[]){kernel_size, 1}, opt);
}

/* ------------------------------------------------------------ pooling */

typedef struct {
    int64_t k[2], stride[2], padding[2], dilation[2], divisor_override;
    bool ceil_mode, count_include_pad;
} pool_cfg;

static ct_tensor *max_pool_forward(ct_module *m, const ct_tensor *x) {
    pool_cfg *c = m->config;
    return ct_max_pool2d(x, c->k, c->stride, c->padding, c->dilation, c->ceil_mode, NULL);
}
static ct_tensor *avg_pool_forward(ct_module *m, const ct_tensor *x) {
    pool_cfg *c = m->config;
    return ct_avg_pool2d(x, c->k, c->stride, c->padding, c->ceil_mode, c->count_include_pad,
                         c->divisor_override);
}
static ct_tensor *adaptive_avg_forward(ct_module *m, const ct_tensor *x) {
    pool_cfg *c = m->config;
    return ct_adaptive_avg_pool2d(x, c->k);
}
static void max_pool_repr(const ct_module *m, char *buf, size_t len) {
    const pool_cfg *c = m->config;
    char k[48], s[48], p[48], d[48];
    snprintf(buf, len, "kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s",
             int_or_pair(c->k, k), int_or_pair(c->stride, s), int_or_pair(c->padding, p),
             int_or_pair(c->dilation, d), c->ceil_mode ? "True" : "False");
}
static void avg_pool_repr(const ct_module *m, char *buf, size_t len) {
    const pool_cfg *c = m->config;
    char k[48], s[48], p[48];
    snprintf(buf, len, "kernel_size=%s, stride=%s, padding=%s", int_or_pair(c->k, k),
             int_or_pair(c->stride, s), int_or_pair(c->padding, p));
}
static void adaptive_repr(const ct_module *m, char *buf, size_t len) {
    const pool_cfg *c = m->config;
    char k[48];
    snprintf(buf, len, "output_size=%s", int_or_pair(c->k, k));
}
static const ct_module_vtable max_pool2d_vt = {"MaxPool2d", max_pool_forward, NULL, NULL, max_pool_repr};
static const ct_module_vtable avg_pool2d_vt = {"AvgPool2d", avg_pool_forward, NULL, NULL, avg_pool_repr};
static const ct_module_vtable adaptive_avg_pool2d_vt = {"AdaptiveAvgPool2d", adaptive_avg_forward,
                                                        NULL, NULL, adaptive_repr};

/* Fills c's windows; stride NULL (or 0 entries) = kernel_size. */
static int pool_windows(const char *op, pool_cfg *c, const int64_t k[2], const int64_t s[2],
                        const int64_t p[2], const int64_t d[2]) {
    for (int i = 0; i < 2; i++) {
        c->k[i] = k[i];
        c->stride[i] = s && s[i] ? s[i] : k[i];
        c->padding[i] = p ? p[i] : 0;
        c->dilation[i] = d ? d[i] : 1;
        if (c->k[i] <= 0 || c->stride[i] <= 0 || c->padding[i] < 0 || c->dilation[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: kernel_size, stride and dilation must be greater than zero and "
                         "padding non-negative (got kernel_size=%lld, stride=%lld, padding=%lld, "
                         "dilation=%lld)",
                         op, (long long)c->k[i], (long long)c->stride[i], (long long)c->padding[i],
                         (long long)c->dilation[i]);
            return -1;
        }
    }
    return 0;
}

ct_module *ct_max_pool2d_module_ex(const int64_t kernel_size[2], const int64_t stride[2],
                                   const int64_t padding[2], const int64_t dilation[2],
                                   bool ceil_mode) {
    pool_cfg c = {.ceil_mode = ceil_mode};
    if (pool_windows("MaxPool2d", &c, kernel_size, stride, padding, dilation) < 0) return NULL;
    return new_module(&max_pool2d_vt, &c, sizeof c);
}

ct_module *ct_max_pool2d_module(int64_t kernel_size, int64_t stride, int64_t padding) {
    return ct_max_pool2d_module_ex((int64_t[]){kernel_size, kernel_size},
                                   (int64_t[]){stride, stride}, (int64_t[]){padding, padding},
                                   NULL, false);
}

ct_module *ct_avg_pool2d_module_ex(const int64_t kernel_size[2], const int64_t stride[2],
                                   const int64_t padding[2], bool ceil_mode,
                                   bool count_include_pad, int64_t divisor_override) {
    pool_cfg c = {.ceil_mode = ceil_mode,
                  .count_include_pad = count_include_pad,
                  .divisor_override = divisor_override};
    if (pool_windows("AvgPool2d", &c, kernel_size, stride, padding, NULL) < 0) return NULL;
    if (divisor_override < 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME, "AvgPool2d: divisor must be not zero");
    return new_module(&avg_pool2d_vt, &c, sizeof c);
}

ct_module *ct_avg_pool2d_module(int64_t kernel_size, int64_t stride, int64_t padding) {
    return ct_avg_pool2d_module_ex((int64_t[]){kernel_size, kernel_size},
                                   (int64_t[]){stride, stride}, (int64_t[]){padding, padding},
                                   false, true, 0);
}

ct_module *ct_adaptive_avg_pool2d_module(int64_t out_h, int64_t out_w) {
    if (out_h < 0 || out_w < 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                    "AdaptiveAvgPool2d: output_size must be non-negative, got (%lld, %lld)",
                                    (long long)out_h, (long long)out_w);
    pool_cfg c = {.k = {out_h, out_w}};
    return new_module(&adaptive_avg_pool2d_vt, &c, sizeof c);
}

/* ------------------------------------------------------------ BatchNorm */

typedef struct {
    int dims; /* 1 or 2 (BatchNorm1d / BatchNorm2d) */
    int64_t num_features;
    double eps, momentum; /* momentum < 0: None */
    bool affine, track;
    ct_tensor *weight, *bias, *running_mean, *running_var, *num_batches_tracked;
} bn_cfg;

static ct_tensor *bn_forward(ct_module *m, const ct_tensor *x) {
    bn_cfg *c = m->config;
    const char *name = ct_module_name(m);
    if (c->dims == 1 ? (x->ndim != 2 && x->ndim != 3) : x->ndim != 4)
        return CT_FAIL(CT_ERR_VALUE, "%s: expected %s input (got %dD input)", name,
                       c->dims == 1 ? "2D or 3D" : "4D", x->ndim);
    double eaf = c->momentum < 0 ? 0.0 : c->momentum;
    if (m->training && c->track) {
        ct_grad_mode gm = ct_no_grad_begin();
        ct_scope sc = ct_scope_begin();
        bool ok = ct_add_(c->num_batches_tracked, ct_wrapped_int(1)) != NULL;
        ct_scope_end(sc);
        ct_grad_mode_end(gm);
        if (!ok) return NULL;
        if (c->momentum < 0) eaf = 1.0 / (double)ct_item_at_int(c->num_batches_tracked, 0);
    }
    bool use_running = !m->training || c->track;
    bool bn_training = m->training || !c->running_mean;
    return ct_batch_norm(x, use_running ? c->running_mean : NULL,
                         use_running ? c->running_var : NULL, c->weight, c->bias, bn_training, eaf,
                         c->eps);
}
static int bn_reset(ct_module *m, ct_generator *g) {
    bn_cfg *c = m->config;
    if (c->track && (!ct_init_zeros_(c->running_mean) || !ct_init_ones_(c->running_var) ||
                     !ct_init_zeros_(c->num_batches_tracked)))
        return -1;
    if (c->affine && (!ct_init_ones_(c->weight) || !ct_init_zeros_(c->bias))) return -1;
    return 0;
}
static void bn_repr(const ct_module *m, char *buf, size_t len) {
    const bn_cfg *c = m->config;
    char e[32], mo[32];
    snprintf(buf, len, "%lld, eps=%s, momentum=%s, affine=%s, track_running_stats=%s",
             (long long)c->num_features, pyfloat(c->eps, e),
             c->momentum < 0 ? "None" : pyfloat(c->momentum, mo), c->affine ? "True" : "False",
             c->track ? "True" : "False");
}
static const ct_module_vtable bn1d_vt = {"BatchNorm1d", bn_forward, bn_reset, NULL, bn_repr};
static const ct_module_vtable bn2d_vt = {"BatchNorm2d", bn_forward, bn_reset, NULL, bn_repr};

static ct_module *bn_new(int dims, int64_t nf, double eps, double momentum, bool affine,
                         bool track) {
    if (nf < 0)
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                    "BatchNorm%dd: Trying to create tensor with negative dimension %lld",
                                    dims, (long long)nf);
    bn_cfg c = {dims, nf, eps, momentum, affine, track, NULL, NULL, NULL, NULL, NULL};
    ct_module *m = new_module(dims == 1 ? &bn1d_vt : &bn2d_vt, &c, sizeof c);
    if (!m) return NULL;
    bn_cfg *mc = m->config;
    int64_t s[1] = {nf};
    if (affine && (!(mc->weight = add_param(m, "weight", s, 1)) ||
                   !(mc->bias = add_param(m, "bias", s, 1))))
        return fail(m);
    if (track && (!(mc->running_mean = add_buffer(m, "running_mean", s, 1, ct_default_dtype(), 0)) ||
                  !(mc->running_var = add_buffer(m, "running_var", s, 1, ct_default_dtype(), 1)) ||
                  !(mc->num_batches_tracked = add_buffer(m, "num_batches_tracked", NULL, 0, CT_INT64, 0))))
        return fail(m);
    if (bn_reset(m, NULL) < 0) return fail(m);
    return m;
}

ct_module *ct_batch_norm1d_module_ex(int64_t num_features, double eps, double momentum,
                                     bool affine, bool track_running_stats) {
    return bn_new(1, num_features, eps, momentum, affine, track_running_stats);
}
ct_module *ct_batch_norm2d_module_ex(int64_t num_features, double eps, double momentum,
                                     bool affine, bool track_running_stats) {
    return bn_new(2, num_features, eps, momentum, affine, track_running_stats);
}
ct_module *ct_batch_norm1d_module(int64_t num_features) {
    return bn_new(1, num_features, 1e-5, 0.1, true, true);
}
ct_module *ct_batch_norm2d_module(int64_t num_features) {
    return bn_new(2, num_features, 1e-5, 0.1, true, true);
}

/* ------------------------------------------------------------ LayerNorm */

typedef struct {
    int nshape;
    int64_t shape[CT_MAX_DIMS];
    double eps;
    ct_tensor *weight, *bias;
} ln_cfg;

static ct_tensor *ln_forward(ct_module *m, const ct_tensor *x) {
    ln_cfg *c = m->config;
    return ct_layer_norm(x, c->shape, c->nshape, c->weight, c->bias, c->eps);
}
static int ln_reset(ct_module *m, ct_generator *g) {
    ln_cfg *c = m->config;
    if (c->weight && (!ct_init_ones_(c->weight) || !ct_init_zeros_(c->bias))) return -1;
    return 0;
}
static void ln_repr(const ct_module *m, char *buf, size_t len) {
    const ln_cfg *c = m->config;
    char sh[256] = "(", e[32];
    for (int i = 0; i < c->nshape; i++) {
        char d[24];
        snprintf(d, sizeof d, i ? ", %lld" : "%lld", (long long)c->shape[i]);
        strcat(sh, d);
    }
    strcat(sh, c->nshape == 1 ? ",)" : ")");
    snprintf(buf, len, "%s, eps=%s, elementwise_affine=%s", sh, pyfloat(c->eps, e),
             c->weight ? "True" : "False");
}
static const ct_module_vtable ln_vt = {"LayerNorm", ln_forward, ln_reset, NULL, ln_repr};

ct_module *ct_layer_norm_module(const int64_t *normalized_shape, int nshape, double eps,
                                bool elementwise_affine) {
    if (nshape < 0 || nshape > CT_MAX_DIMS || (nshape > 0 && !normalized_shape))
        return (ct_module *)CT_FAIL(CT_ERR_VALUE, "LayerNorm: normalized_shape of %d dims is invalid",
                                    nshape);
    ln_cfg c = {.nshape = nshape, .eps = eps};
    for (int i = 0; i < nshape; i++) {
        if (normalized_shape[i] < 0)
            return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                        "LayerNorm: Trying to create tensor with negative dimension %lld",
                                        (long long)normalized_shape[i]);
        c.shape[i] = normalized_shape[i];
    }
    ct_module *m = new_module(&ln_vt, &c, sizeof c);
    if (!m) return NULL;
    ln_cfg *mc = m->config;
    if (elementwise_affine && (!(mc->weight = add_param(m, "weight", c.shape, nshape)) ||
                               !(mc->bias = add_param(m, "bias", c.shape, nshape))))
        return fail(m);
    if (ln_reset(m, NULL) < 0) return fail(m);
    return m;
}

/* ------------------------------------------------------------ Dropout */

typedef struct {
    double p;
} dropout_cfg;

static ct_tensor *dropout_forward(ct_module *m, const ct_tensor *x) {
    dropout_cfg *c = m->config;
    return ct_dropout(x, c->p, m->training, NULL);
}
static void dropout_repr(const ct_module *m, char *buf, size_t len) {
    char p[32];
    snprintf(buf, len, "p=%s, inplace=False", pyfloat(((const dropout_cfg *)m->config)->p, p));
}
static const ct_module_vtable dropout_vt = {"Dropout", dropout_forward, NULL, NULL, dropout_repr};

ct_module *ct_dropout_module(double p) {
    if (!(p >= 0 && p <= 1))
        return (ct_module *)CT_FAIL(CT_ERR_VALUE,
                                    "dropout probability has to be between 0 and 1, but got %g", p);
    return new_module(&dropout_vt, &(dropout_cfg){p}, sizeof(dropout_cfg));
}

/* ------------------------------------------------------------ activations */

typedef struct {
    double slope;
    int dim, end_dim;
    bool tanh_approx;
} act_cfg;

static ct_tensor *relu_fw(ct_module *m, const ct_tensor *x) { return ct_relu(x); }
static ct_tensor *leaky_fw(ct_module *m, const ct_tensor *x) {
    return ct_leaky_relu(x, ((act_cfg *)m->config)->slope);
}
static ct_tensor *gelu_fw(ct_module *m, const ct_tensor *x) {
    return ct_gelu(x, ((act_cfg *)m->config)->tanh_approx ? "tanh" : "none");
}
static ct_tensor *silu_fw(ct_module *m, const ct_tensor *x) { return ct_silu(x); }
static ct_tensor *tanh_fw(ct_module *m, const ct_tensor *x) { return ct_tanh(x); }
static ct_tensor *sigmoid_fw(ct_module *m, const ct_tensor *x) { return ct_sigmoid(x); }
static ct_tensor *softmax_fw(ct_module *m, const ct_tensor *x) {
    return ct_softmax(x, ((act_cfg *)m->config)->dim);
}
static ct_tensor *log_softmax_fw(ct_module *m, const ct_tensor *x) {
    return ct_log_softmax(x, ((act_cfg *)m->config)->dim);
}
static ct_tensor *flatten_fw(ct_module *m, const ct_tensor *x) {
    act_cfg *c = m->config;
    return ct_flatten(x, c->dim, c->end_dim);
}
/* nn.Identity returns its input itself: a new reference to the same tensor. */
static ct_tensor *identity_fw(ct_module *m, const ct_tensor *x) {
    return ct_autorelease(ct_retain((ct_tensor *)x));
}

static void leaky_repr(const ct_module *m, char *buf, size_t len) {
    char v[32];
    snprintf(buf, len, "negative_slope=%s", pyfloat(((const act_cfg *)m->config)->slope, v));
}
static void gelu_repr(const ct_module *m, char *buf, size_t len) {
    snprintf(buf, len, "approximate='%s'", ((const act_cfg *)m->config)->tanh_approx ? "tanh" : "none");
}
static void dim_repr(const ct_module *m, char *buf, size_t len) {
    snprintf(buf, len, "dim=%d", ((const act_cfg *)m->config)->dim);
}
static void flatten_repr(const ct_module *m, char *buf, size_t len) {
    const act_cfg *c = m->config;
    snprintf(buf, len, "start_dim=%d, end_dim=%d", c->dim, c->end_dim);
}

static const ct_module_vtable relu_vt = {"ReLU", relu_fw, NULL, NULL, NULL};
static const ct_module_vtable leaky_vt = {"LeakyReLU", leaky_fw, NULL, NULL, leaky_repr};
static const ct_module_vtable gelu_vt = {"GELU", gelu_fw, NULL, NULL, gelu_repr};
static const ct_module_vtable silu_vt = {"SiLU", silu_fw, NULL, NULL, NULL};
static const ct_module_vtable tanh_vt = {"Tanh", tanh_fw, NULL, NULL, NULL};
static const ct_module_vtable sigmoid_vt = {"Sigmoid", sigmoid_fw, NULL, NULL, NULL};
static const ct_module_vtable softmax_vt = {"Softmax", softmax_fw, NULL, NULL, dim_repr};
static const ct_module_vtable log_softmax_vt = {"LogSoftmax", log_softmax_fw, NULL, NULL, dim_repr};
static const ct_module_vtable flatten_vt = {"Flatten", flatten_fw, NULL, NULL, flatten_repr};
static const ct_module_vtable identity_vt = {"Identity", identity_fw, NULL, NULL, NULL};

static ct_module *act_new(const ct_module_vtable *vt, act_cfg c) {
    return new_module(vt, &c, sizeof c);
}

ct_module *ct_relu_module(void) { return ct_module_new(&relu_vt, NULL); }
ct_module *ct_leaky_relu_module(double negative_slope) {
    return act_new(&leaky_vt, (act_cfg){.slope = negative_slope});
}
ct_module *ct_gelu_module(const char *approximate) {
    bool t = approximate && !strcmp(approximate, "tanh");
    if (approximate && !t && strcmp(approximate, "none"))
        return (ct_module *)CT_FAIL(CT_ERR_RUNTIME,
                                    "GELU: approximate argument must be either none or tanh, got '%s'",
                                    approximate);
    return act_new(&gelu_vt, (act_cfg){.tanh_approx = t});
}
ct_module *ct_silu_module(void) { return ct_module_new(&silu_vt, NULL); }
ct_module *ct_tanh_module(void) { return ct_module_new(&tanh_vt, NULL); }
ct_module *ct_sigmoid_module(void) { return ct_module_new(&sigmoid_vt, NULL); }
ct_module *ct_softmax_module(int dim) { return act_new(&softmax_vt, (act_cfg){.dim = dim}); }
ct_module *ct_log_softmax_module(int dim) { return act_new(&log_softmax_vt, (act_cfg){.dim = dim}); }
ct_module *ct_flatten_module(int start_dim, int end_dim) {
    return act_new(&flatten_vt, (act_cfg){.dim = start_dim, .end_dim = end_dim});
}
ct_module *ct_identity_module(void) { return ct_module_new(&identity_vt, NULL); }

/* ------------------------------------------------------------ Sequential */

static ct_tensor *sequential_forward(ct_module *m, const ct_tensor *x) {
    if (m->nchildren == 0) return identity_fw(m, x);
    ct_scope sc = ct_scope_begin(); /* intermediates go when the forward ends */
    const ct_tensor *h = x;
    ct_tensor *r = NULL;
    for (int i = 0; i < m->nchildren; i++) {
        r = ct_module_forward(m->children[i].module, h);
        if (!r) break;
        h = r;
    }
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
static const ct_module_vtable sequential_vt = {"Sequential", sequential_forward, NULL, NULL, NULL};

int ct_sequential_append(ct_module *seq, ct_module *child) {
    char name[24];
    snprintf(name, sizeof name, "%d", seq->nchildren);
    return ct_module_add_child(seq, name, child);
}

ct_module *ct_sequential(int n, ct_module *const *mods) {
    bool bad = n < 0 || (n > 0 && !mods);
    for (int i = 0; !bad && i < n; i++) bad = !mods[i];
    ct_module *m = bad ? NULL : ct_module_new(&sequential_vt, NULL);
    if (!m) {
        if (n < 0 || (n > 0 && !mods))
            ct_set_error(CT_ERR_VALUE, "Sequential: invalid list of %d modules", n);
        for (int i = 0; mods && i < n; i++) ct_module_free(mods[i]);
        return NULL; /* a NULL entry: its constructor's error stays */
    }
    for (int i = 0; i < n; i++)
        if (ct_sequential_append(m, mods[i]) < 0) {
            for (int j = i + 1; j < n; j++) ct_module_free(mods[j]);
            return fail(m);
        }
    return m;
}

/* ------------------------------------------------------------ ModuleList, ModuleDict
 * Containers without a forward (PyTorch's raise NotImplementedError). */

static const ct_module_vtable module_list_vt = {"ModuleList", NULL, NULL, NULL, NULL};
static const ct_module_vtable module_dict_vt = {"ModuleDict", NULL, NULL, NULL, NULL};

static bool is_kind(const ct_module *m, const ct_module_vtable *vt, const char *op) {
    if (m && m->vt == vt) return true;
    ct_set_error(CT_ERR_TYPE, "%s: expected a %s, got %s", op, vt->name, m ? ct_module_name(m) : "NULL");
    return false;
}

/* Takes ownership of mods[0..n) in every case. */
static bool container_args(const char *kind, int n, ct_module *const *mods) {
    bool bad = n < 0 || (n > 0 && !mods);
    for (int i = 0; !bad && i < n; i++) bad = !mods[i];
    if (bad) {
        if (n < 0 || (n > 0 && !mods)) ct_set_error(CT_ERR_VALUE, "%s: invalid list of %d modules", kind, n);
        for (int i = 0; mods && i < n; i++) ct_module_free(mods[i]);
    }
    return !bad;
}

int ct_module_list_append(ct_module *list, ct_module *child) {
    if (!is_kind(list, &module_list_vt, "ModuleList.append")) {
        ct_module_free(child);
        return -1;
    }
    char name[24];
    snprintf(name, sizeof name, "%d", list->nchildren);
    return ct_module_add_child(list, name, child);
}

ct_module *ct_module_list(int n, ct_module *const *mods) {
    if (!container_args("ModuleList", n, mods)) return NULL;
    ct_module *m = ct_module_new(&module_list_vt, NULL);
    for (int i = 0; i < n; i++)
        if (!m || ct_module_list_append(m, mods[i]) < 0) {
            for (int j = m ? i + 1 : i; j < n; j++) ct_module_free(mods[j]);
            return m ? fail(m) : NULL;
        }
    return m;
}

int ct_module_list_insert(ct_module *list, int index, ct_module *child) {
    if (!is_kind(list, &module_list_vt, "ModuleList.insert")) {
        ct_module_free(child);
        return -1;
    }
    int n = list->nchildren;
    if (index < 0) index += n;
    index = index < 0 ? 0 : (index > n ? n : index);
    if (ct_module_list_append(list, child) < 0) return -1;
    /* rotate the new entry into place, then renumber from index on */
    ct_module_entry e = list->children[n];
    memmove(&list->children[index + 1], &list->children[index], (size_t)(n - index) * sizeof e);
    list->children[index] = e;
    for (int i = index; i <= n; i++) {
        char name[24];
        snprintf(name, sizeof name, "%d", i);
        char *s = strdup(name);
        if (!s) {
            ct_set_error(CT_ERR_MEMORY, "ModuleList.insert: out of memory");
            return -1;
        }
        free(list->children[i].name);
        list->children[i].name = s;
    }
    return 0;
}

ct_module *ct_module_dict(int n, const char *const *keys, ct_module *const *mods) {
    if (!container_args("ModuleDict", n, mods)) return NULL;
    ct_module *m = ct_module_new(&module_dict_vt, NULL);
    for (int i = 0; i < n; i++)
        if (!m || !keys || ct_module_dict_set(m, keys[i], mods[i]) < 0) {
            if (m && !keys) {
                ct_set_error(CT_ERR_VALUE, "ModuleDict: NULL keys");
                ct_module_free(mods[i]);
            }
            for (int j = m ? i + 1 : i; j < n; j++) ct_module_free(mods[j]);
            return m ? fail(m) : NULL;
        }
    return m;
}

static int dict_index(const ct_module *dict, const char *key) {
    for (int i = 0; key && i < dict->nchildren; i++)
        if (!strcmp(dict->children[i].name, key)) return i;
    return -1;
}

int ct_module_dict_set(ct_module *dict, const char *key, ct_module *child) {
    if (!child) return -1; /* the failed constructor has set the error */
    if (!is_kind(dict, &module_dict_vt, "ModuleDict.set")) {
        ct_module_free(child);
        return -1;
    }
    int i = dict_index(dict, key);
    if (i < 0) return ct_module_add_child(dict, key, child);
    if (dict->children[i].module != child) {
        ct_module_free(dict->children[i].module);
        dict->children[i].module = child;
    }
    return 0;
}

ct_module *ct_module_dict_get(const ct_module *dict, const char *key) {
    if (!is_kind(dict, &module_dict_vt, "ModuleDict.get")) return NULL;
    int i = dict_index(dict, key);
    if (i < 0) {
        ct_set_error(CT_ERR_INDEX, "ModuleDict: key '%s' not found", key ? key : "(null)");
        return NULL;
    }
    return dict->children[i].module;
}

int ct_module_dict_remove(ct_module *dict, const char *key) {
    if (!ct_module_dict_get(dict, key)) return -1;
    int i = dict_index(dict, key);
    ct_module_entry e = dict->children[i];
    memmove(&dict->children[i], &dict->children[i + 1], (size_t)(dict->nchildren - i - 1) * sizeof e);
    dict->nchildren--;
    free(e.name);
    ct_module_free(e.module);
    return 0;
}
