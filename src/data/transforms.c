/* Transforms: the ct_transform object, Compose, the tensor conversions
 * (ToTensor, PILToTensor, ConvertImageDtype, Normalize) and the data
 * generator that random transforms draw from. The image transforms are in
 * transforms_image.c. */
#include "data_image.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- generator */
static _Thread_local ct_generator *thread_gen;

ct_generator *ct_data_generator(void) { return thread_gen ? thread_gen : ct_default_generator(); }

ct_generator *ct_data_set_generator(ct_generator *g) {
    ct_generator *prev = thread_gen;
    thread_gen = g;
    return prev;
}

/* ---------------------------------------------------------------- basics */
void ct_transform_free(ct_transform t) {
    if (t.free_ctx) t.free_ctx(t.ctx);
}

ct_tensor *ct_transform_apply(const ct_transform *t, const ct_tensor *x, ct_generator *g) {
    if (!t || !t->apply) return CT_DFAIL(CT_ERR_VALUE, "transform: no apply function");
    if (!x) return CT_DFAIL(CT_ERR_VALUE, "transform: input is NULL");
    return ct_autorelease(t->apply(t->ctx, x, g));
}

typedef struct compose_ctx {
    int n;
    ct_transform ts[];
} compose_ctx;

static ct_tensor *compose_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    compose_ctx *c = ctx;
    ct_tensor *cur = ct_retain((ct_tensor *)x);
    for (int i = 0; i < c->n && cur; i++) {
        ct_tensor *next = c->ts[i].apply(c->ts[i].ctx, cur, g);
        ct_release(cur);
        cur = next;
    }
    return cur;
}

static void compose_free(void *p) {
    compose_ctx *c = p;
    for (int i = 0; i < c->n; i++) ct_transform_free(c->ts[i]);
    free(c);
}

ct_transform ct_transform_compose_n(ct_transform *ts, int n) {
    ct_transform none = {NULL, NULL, NULL};
    bool ok = n >= 1 && ts;
    for (int i = 0; ok && i < n; i++) ok = ts[i].apply != NULL;
    compose_ctx *c = ok ? malloc(sizeof *c + sizeof(ct_transform) * (size_t)n) : NULL;
    if (!c) {
        for (int i = 0; ts && i < n; i++) ct_transform_free(ts[i]);
        if (ok) ct_set_error(CT_ERR_MEMORY, "Compose: out of memory");
        else ct_set_error(CT_ERR_VALUE, "Compose: needs at least one transform, each with an apply "
                          "function");
        return none;
    }
    c->n = n;
    memcpy(c->ts, ts, sizeof(ct_transform) * (size_t)n);
    return (ct_transform){compose_apply, c, compose_free};
}

ct_transform ct_transform_compose(ct_transform a, ct_transform b) {
    ct_transform ts[2] = {a, b};
    return ct_transform_compose_n(ts, 2);
}

/* ---------------------------------------------------------------- conversions */
/* uint8 [H, W] or [H, W, C] -> [C, H, W] of dt, each value times scale. */
static ct_tensor *hwc_to_chw(const ct_tensor *x, ct_dtype dt, float scale, const char *op) {
    if (x->dtype != CT_UINT8 || (x->ndim != 2 && x->ndim != 3))
        return CT_DFAIL(CT_ERR_TYPE, "%s: expects a uint8 image [H, W] or [H, W, C], got %s of "
                        "dtype %s", op, ct__shp(x), ct_dtype_name(x->dtype));
    int64_t H = x->sizes[0], W = x->sizes[1], C = x->ndim == 3 ? x->sizes[2] : 1;
    int64_t sh = x->strides[0], sw = x->strides[1], sc = x->ndim == 3 ? x->strides[2] : 0;
    ct_tensor *out = ct__empty((const int64_t[]){C, H, W}, 3, dt);
    if (!out) return NULL;
    const uint8_t *src = ct_data_ptr(x);
    for (int64_t c = 0; c < C; c++)
        for (int64_t h = 0; h < H; h++) {
            const uint8_t *row = src + c * sc + h * sh;
            if (dt == CT_UINT8) {
                uint8_t *orow = (uint8_t *)ct_data_ptr(out) + (c * H + h) * W;
                for (int64_t w = 0; w < W; w++) orow[w] = row[w * sw];
            } else {
                float *orow = (float *)ct_data_ptr(out) + (c * H + h) * W;
                for (int64_t w = 0; w < W; w++) orow[w] = (float)row[w * sw] / scale;
            }
        }
    return out;
}

static ct_tensor *to_tensor_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    return hwc_to_chw(x, CT_FLOAT32, 255.0f, "ToTensor");
}

ct_transform ct_transform_to_tensor(void) { return (ct_transform){to_tensor_apply, NULL, NULL}; }

static ct_tensor *pil_to_tensor_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    return hwc_to_chw(x, CT_UINT8, 1.0f, "PILToTensor");
}

ct_transform ct_transform_pil_to_tensor(void) {
    return (ct_transform){pil_to_tensor_apply, NULL, NULL};
}

static ct_tensor *convert_dtype_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    ct_dtype dt = (ct_dtype)(intptr_t)ctx;
    if (ct_dtype_is_floating(x->dtype)) return ct__to_dtype(x, dt, true);
    if (x->dtype != CT_UINT8)
        return CT_DFAIL(CT_ERR_NOT_IMPL, "ConvertImageDtype: converting %s images is not "
                        "implemented", ct_dtype_name(x->dtype));
    /* torchvision: image.to(float) / 255 */
    ct_tensor *out = ct__to_dtype(x, dt, true);
    if (!out) return NULL;
    if (dt == CT_FLOAT32) {
        float *p = ct_data_ptr(out);
        for (int64_t i = 0; i < out->numel; i++) p[i] /= 255.0f;
    } else {
        double *p = ct_data_ptr(out);
        for (int64_t i = 0; i < out->numel; i++) p[i] /= 255.0;
    }
    return out;
}

ct_transform ct_transform_convert_image_dtype(ct_dtype dt) {
    if (dt != CT_FLOAT32 && dt != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "ConvertImageDtype: conversion to %s is not implemented "
                     "(float32, float64)", ct_dtype_name(dt));
        return (ct_transform){NULL, NULL, NULL};
    }
    return (ct_transform){convert_dtype_apply, (void *)(intptr_t)dt, NULL};
}

typedef struct normalize_ctx {
    int n;
    double *mean, *std;
} normalize_ctx;

static void normalize_free(void *p) {
    normalize_ctx *c = p;
    if (!c) return;
    free(c->mean);
    free(c->std);
    free(c);
}

static ct_tensor *normalize_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const normalize_ctx *c = ctx;
    if (!ct_dtype_is_floating(x->dtype) || x->ndim < 1)
        return CT_DFAIL(CT_ERR_TYPE, "Normalize: expects a floating tensor [C, ...], got %s of "
                       "dtype %s", ct__shp(x), ct_dtype_name(x->dtype));
    /* [..., C, H, W] like torchvision (C = dim -3), or [C] / [C, N] tensors */
    int cdim = x->ndim >= 3 ? x->ndim - 3 : 0;
    int64_t C = x->sizes[cdim];
    if (c->n != 1 && c->n != C)
        return CT_DFAIL(CT_ERR_RUNTIME, "Normalize: %d mean/std values for a tensor of shape %s "
                       "(%lld channels)", c->n, ct__shp(x), (long long)C);
    ct_tensor *xc = ct__contiguous(x);
    if (!xc) return NULL;
    ct_tensor *out = ct__empty(x->sizes, x->ndim, x->dtype);
    if (!out) {
        ct_release(xc);
        return NULL;
    }
    int64_t inner = 1, outer = 1;
    for (int d = cdim + 1; d < x->ndim; d++) inner *= x->sizes[d];
    for (int d = 0; d < cdim; d++) outer *= x->sizes[d];
    const char *src = ct_data_ptr(xc);
    char *dst = ct_data_ptr(out);
    size_t es = ct_dtype_size(x->dtype);
    for (int64_t b = 0; b < outer; b++)
        for (int64_t ch = 0; ch < C; ch++) {
            double m = c->mean[c->n == 1 ? 0 : ch], s = c->std[c->n == 1 ? 0 : ch];
            int64_t base = (b * C + ch) * inner;
            if (x->dtype == CT_FLOAT32) {
                const float *a = (const float *)src + base;
                float *o = (float *)dst + base;
                float mf = (float)m, sf = (float)s;
                for (int64_t i = 0; i < inner; i++) o[i] = (a[i] - mf) / sf;
            } else {
                for (int64_t i = 0; i < inner; i++) {
                    size_t off = (size_t)(base + i) * es;
                    ct__store_f64(dst + off, x->dtype, (ct__load_f64(src + off, x->dtype) - m) / s);
                }
            }
        }
    ct_release(xc);
    return out;
}

ct_transform ct_transform_normalize(const double *mean, const double *std, int n) {
    ct_transform none = {NULL, NULL, NULL};
    if (n < 1 || !mean || !std) {
        ct_set_error(CT_ERR_VALUE, "Normalize: needs at least one mean and std value");
        return none;
    }
    for (int i = 0; i < n; i++)
        if (std[i] == 0) {
            ct_set_error(CT_ERR_VALUE, "std evaluated to zero after conversion to float32, "
                         "leading to division by zero.");
            return none;
        }
    normalize_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->mean = malloc(sizeof(double) * (size_t)n);
        c->std = malloc(sizeof(double) * (size_t)n);
    }
    if (!c || !c->mean || !c->std) {
        normalize_free(c);
        ct_set_error(CT_ERR_MEMORY, "Normalize: out of memory");
        return none;
    }
    c->n = n;
    memcpy(c->mean, mean, sizeof(double) * (size_t)n);
    memcpy(c->std, std, sizeof(double) * (size_t)n);
    return (ct_transform){normalize_apply, c, normalize_free};
}
