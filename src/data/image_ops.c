/* Image functions on tensors [..., C, H, W] with torchvision 0.14's tensor
 * semantics (torchvision/transforms/functional_tensor.py): resize, crop,
 * pad, flips, the color adjustments and grayscale.
 *
 * Every function makes the input contiguous and sees it as n planes of
 * H x W (or n images of C x H x W). Integer images are computed in float32
 * and converted back the way torchvision does (round after interpolation,
 * truncation after a blend); float64 images are computed in double. */
#include "data_image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct img_geom {
    int64_t n, c, h, w; /* n: product of the dims before C (or before H when c is 0) */
} img_geom;

static bool img_dtype_ok(ct_dtype dt) {
    return dt == CT_UINT8 || dt == CT_FLOAT32 || dt == CT_FLOAT64;
}

/* Checks x ([..., H, W], or [..., C, H, W] with channels != 0: C must be one
 * of the allowed counts, bit i of channels allowing i channels). */
static int img_check(const ct_tensor *x, const char *op, unsigned channels, img_geom *g) {
    if (!x) {
        ct_set_error(CT_ERR_VALUE, "%s: image is NULL", op);
        return -1;
    }
    int need = channels ? 3 : 2;
    if (x->ndim < need) {
        ct_set_error(CT_ERR_TYPE, "%s: Tensor is not a torch image: expected at least %d dims "
                     "([..., %sH, W]), got %s", op, need, channels ? "C, " : "", ct__shp(x));
        return -1;
    }
    if (!img_dtype_ok(x->dtype)) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: images of dtype %s are not implemented (uint8, "
                     "float32, float64)", op, ct_dtype_name(x->dtype));
        return -1;
    }
    if (x->storage->device.type != CT_CPU) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: only CPU images are implemented", op);
        return -1;
    }
    g->h = x->sizes[x->ndim - 2];
    g->w = x->sizes[x->ndim - 1];
    g->c = channels ? x->sizes[x->ndim - 3] : 0;
    g->n = 1;
    for (int d = 0; d < x->ndim - need; d++) g->n *= x->sizes[d];
    if (channels && (g->c > 31 || !(channels >> g->c & 1u))) {
        char allowed[64] = "";
        for (int i = 0; i < 31; i++)
            if (channels >> i & 1u)
                snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%d",
                         allowed[0] ? ", " : "", i);
        ct_set_error(CT_ERR_TYPE, "%s: Input image tensor permitted channel values are [%s], "
                     "but found %lld", op, allowed, (long long)g->c);
        return -1;
    }
    return 0;
}

/* x's sizes with the last two replaced. */
static ct_tensor *img_empty(const ct_tensor *x, int64_t h, int64_t w, ct_dtype dt) {
    int64_t sizes[CT_MAX_DIMS];
    memcpy(sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    sizes[x->ndim - 2] = h;
    sizes[x->ndim - 1] = w;
    return ct__empty(sizes, x->ndim, dt);
}

/* ---------------------------------------------------------------- remapping */
/* Out pixel (y, x) takes in pixel (ys[y], xs[x]), or fill where either is
 * -1. Crops, pads and flips are all this. */
static ct_tensor *remap(const ct_tensor *x, const img_geom *g, const int64_t *ys, int64_t oh,
                        const int64_t *xs, int64_t ow, double fill) {
    ct_tensor *xc = ct__contiguous(x);
    if (!xc) return NULL;
    ct_tensor *out = img_empty(x, oh, ow, x->dtype);
    if (!out) {
        ct_release(xc);
        return NULL;
    }
    int64_t H = g->h, W = g->w;
    switch (x->dtype) {
#define REMAP(T)                                                                          \
    {                                                                                     \
        const T *src = ct_data_ptr(xc);                                                   \
        T *dst = ct_data_ptr(out);                                                        \
        T f = (T)fill;                                                                    \
        int64_t np = oh > 0 && ow > 0 ? out->numel / (oh * ow) : 0;                                \
        for (int64_t p = 0; p < np; p++) {                                                \
            const T *s = src + p * H * W;                                                 \
            T *d = dst + p * oh * ow;                                                     \
            for (int64_t y = 0; y < oh; y++) {                                            \
                T *drow = d + y * ow;                                                     \
                if (ys[y] < 0) {                                                          \
                    for (int64_t i = 0; i < ow; i++) drow[i] = f;                         \
                    continue;                                                             \
                }                                                                         \
                const T *srow = s + ys[y] * W;                                            \
                for (int64_t i = 0; i < ow; i++) drow[i] = xs[i] < 0 ? f : srow[xs[i]];   \
            }                                                                             \
        }                                                                                 \
    } break;
    case CT_UINT8: REMAP(uint8_t)
    case CT_FLOAT32: REMAP(float)
    default: REMAP(double)
#undef REMAP
    }
    ct_release(xc);
    return out;
}

/* Index of out position o for padding `before` on an axis of n: -1 for the
 * constant fill. */
static int64_t pad_index(int64_t o, int64_t before, int64_t n, ct_padding_mode mode) {
    int64_t i = o - before;
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case CT_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case CT_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    case CT_PAD_SYMMETRIC: return i < 0 ? -i - 1 : 2 * n - 1 - i;
    default: return -1;
    }
}

/* Pads (negative amounts crop) an owned result; ltrb = left, top, right, bottom. */
static ct_tensor *pad_owned(const ct_tensor *x, const int64_t ltrb[4], double fill,
                            ct_padding_mode mode, const char *op) {
    img_geom g;
    if (img_check(x, op, 0, &g) < 0) return NULL;
    if ((int)mode < CT_PAD_CONSTANT || (int)mode > CT_PAD_SYMMETRIC)
        return CT_DFAIL(CT_ERR_VALUE, "Padding mode should be either constant, edge, reflect or "
                        "symmetric");
    int64_t l = ltrb[0], t = ltrb[1], r = ltrb[2], b = ltrb[3];
    /* negative padding crops first (torchvision, and torch.nn.functional.pad) */
    int64_t cl = l < 0 ? -l : 0, ct = t < 0 ? -t : 0, cr = r < 0 ? -r : 0, cb = b < 0 ? -b : 0;
    int64_t H = g.h - ct - cb, W = g.w - cl - cr;
    if (H < 0 || W < 0 || (H == 0 && mode != CT_PAD_CONSTANT) || (W == 0 && mode != CT_PAD_CONSTANT))
        return CT_DFAIL(CT_ERR_VALUE, "%s: padding (%lld, %lld, %lld, %lld) leaves no pixels of an "
                        "image of shape %s", op, (long long)l, (long long)t, (long long)r,
                        (long long)b, ct__shp(x));
    l = l > 0 ? l : 0, t = t > 0 ? t : 0, r = r > 0 ? r : 0, b = b > 0 ? b : 0;
    if (mode == CT_PAD_REFLECT && (l >= W || r >= W || t >= H || b >= H))
        return CT_DFAIL(CT_ERR_VALUE, "%s: Padding size should be less than the corresponding "
                        "input dimension, but got: padding (%lld, %lld, %lld, %lld) for an image "
                        "of shape %s", op, (long long)l, (long long)t, (long long)r,
                        (long long)b, ct__shp(x));
    if (mode == CT_PAD_SYMMETRIC && (l > W || r > W || t > H || b > H))
        return CT_DFAIL(CT_ERR_VALUE, "%s: symmetric padding (%lld, %lld, %lld, %lld) is larger "
                        "than the image of shape %s", op, (long long)l, (long long)t,
                        (long long)r, (long long)b, ct__shp(x));
    int64_t oh = H + t + b, ow = W + l + r;
    int64_t *ys = malloc(sizeof(int64_t) * (size_t)(oh + ow + 1));
    if (!ys) return CT_DFAIL(CT_ERR_MEMORY, "%s: out of memory", op);
    int64_t *xs = ys + oh;
    for (int64_t y = 0; y < oh; y++) {
        int64_t i = pad_index(y, t, H, mode);
        ys[y] = i < 0 ? -1 : i + ct;
    }
    for (int64_t i = 0; i < ow; i++) {
        int64_t j = pad_index(i, l, W, mode);
        xs[i] = j < 0 ? -1 : j + cl;
    }
    ct_tensor *out = remap(x, &g, ys, oh, xs, ow, fill);
    free(ys);
    return out;
}

ct_tensor *ct__image_pad(const ct_tensor *x, const int64_t ltrb[4], double fill,
                         ct_padding_mode mode) {
    return pad_owned(x, ltrb, fill, mode, "pad");
}

ct_tensor *ct__image_crop(const ct_tensor *x, int64_t top, int64_t left, int64_t h, int64_t w) {
    img_geom g;
    if (img_check(x, "crop", 0, &g) < 0) return NULL;
    if (h < 0 || w < 0)
        return CT_DFAIL(CT_ERR_VALUE, "crop: height and width must be >= 0, got %lld and %lld",
                        (long long)h, (long long)w);
    int64_t *ys = malloc(sizeof(int64_t) * (size_t)(h + w + 1));
    if (!ys) return CT_DFAIL(CT_ERR_MEMORY, "crop: out of memory");
    int64_t *xs = ys + h;
    for (int64_t y = 0; y < h; y++) ys[y] = top + y >= 0 && top + y < g.h ? top + y : -1;
    for (int64_t i = 0; i < w; i++) xs[i] = left + i >= 0 && left + i < g.w ? left + i : -1;
    ct_tensor *out = remap(x, &g, ys, h, xs, w, 0);
    free(ys);
    return out;
}

/* Python's round() of k / 2 (half to even). */
static int64_t round_half_even_div2(int64_t k) {
    int64_t q = k >= 0 ? k / 2 : -((-k + 1) / 2);
    if (k % 2 == 0) return q;
    return q % 2 == 0 ? q : q + 1; /* k/2 = q + 0.5 */
}

ct_tensor *ct__image_center_crop(const ct_tensor *x, int64_t ch, int64_t cw) {
    img_geom g;
    if (img_check(x, "center_crop", 0, &g) < 0) return NULL;
    if (ch <= 0 || cw <= 0)
        return CT_DFAIL(CT_ERR_VALUE, "center_crop: crop size must be positive, got (%lld, %lld)",
                        (long long)ch, (long long)cw);
    if (cw > g.w || ch > g.h) {
        int64_t ltrb[4] = {cw > g.w ? (cw - g.w) / 2 : 0, ch > g.h ? (ch - g.h) / 2 : 0,
                           cw > g.w ? (cw - g.w + 1) / 2 : 0, ch > g.h ? (ch - g.h + 1) / 2 : 0};
        ct_tensor *p = pad_owned(x, ltrb, 0, CT_PAD_CONSTANT, "center_crop");
        if (!p) return NULL;
        int64_t H = p->sizes[p->ndim - 2], W = p->sizes[p->ndim - 1];
        if (H == ch && W == cw) return p;
        ct_tensor *out = ct__image_crop(p, round_half_even_div2(H - ch),
                                        round_half_even_div2(W - cw), ch, cw);
        ct_release(p);
        return out;
    }
    return ct__image_crop(x, round_half_even_div2(g.h - ch), round_half_even_div2(g.w - cw), ch,
                          cw);
}

static ct_tensor *flip(const ct_tensor *x, bool horizontal, const char *op) {
    img_geom g;
    if (img_check(x, op, 0, &g) < 0) return NULL;
    int64_t *ys = malloc(sizeof(int64_t) * (size_t)(g.h + g.w + 1));
    if (!ys) return CT_DFAIL(CT_ERR_MEMORY, "%s: out of memory", op);
    int64_t *xs = ys + g.h;
    for (int64_t y = 0; y < g.h; y++) ys[y] = horizontal ? y : g.h - 1 - y;
    for (int64_t i = 0; i < g.w; i++) xs[i] = horizontal ? g.w - 1 - i : i;
    ct_tensor *out = remap(x, &g, ys, g.h, xs, g.w, 0);
    free(ys);
    return out;
}

ct_tensor *ct__image_hflip(const ct_tensor *x) { return flip(x, true, "hflip"); }
ct_tensor *ct__image_vflip(const ct_tensor *x) { return flip(x, false, "vflip"); }

/* ---------------------------------------------------------------- resize */
/* The working copy: float32 (uint8, float32) or float64, contiguous, owned. */
static ct_tensor *to_work(const ct_tensor *x) {
    if (x->dtype == CT_UINT8) return ct__to_dtype(x, CT_FLOAT32, true);
    return ct__contiguous(x);
}

/* Converts a float32 working result back to uint8 (round or truncate,
 * clamped to [0, 255] since torch's float -> uint8 of values out of range
 * is not defined) or returns it. */
static ct_tensor *from_work(ct_tensor *wk, ct_dtype dt, bool round_it) {
    if (dt != CT_UINT8) return wk;
    ct_tensor *out = ct__empty(wk->sizes, wk->ndim, CT_UINT8);
    if (!out) {
        ct_release(wk);
        return NULL;
    }
    const float *s = ct_data_ptr(wk);
    uint8_t *d = ct_data_ptr(out);
    for (int64_t i = 0; i < wk->numel; i++) {
        float v = round_it ? nearbyintf(s[i]) : s[i];
        d[i] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
    }
    ct_release(wk);
    return out;
}

/* PyTorch's upsample_bilinear2d (align_corners=False) index/weight tables. */
#define LINEAR_TABLE(T)                                                                    \
    static void linear_table_##T(int64_t in, int64_t out, int64_t *i0, int64_t *i1, T *l0, \
                                 T *l1) {                                                  \
        T scale = (T)in / (T)out;                                                          \
        for (int64_t i = 0; i < out; i++) {                                                \
            /* the source position stays in double (PyTorch's float kernel agrees  \
             * with this to an ulp; rounding it to float first is 20+ ulps off) */  \
            double src = (double)scale * ((double)i + 0.5) - 0.5;                          \
            if (src < 0) src = 0;                                                          \
            int64_t k = (int64_t)src;                                                      \
            i0[i] = k;                                                                     \
            i1[i] = k + (k < in - 1 ? 1 : 0);                                              \
            l1[i] = (T)(src - (double)k);                                                  \
            l0[i] = (T)1 - l1[i];                                                          \
        }                                                                                  \
    }
LINEAR_TABLE(float)
LINEAR_TABLE(double)

#define BILINEAR(T)                                                                            \
    static void bilinear_##T(const T *src, T *dst, int64_t np, int64_t H, int64_t W,          \
                             int64_t oh, int64_t ow, int64_t *tab) {                          \
        int64_t *y0 = tab, *y1 = tab + oh, *x0 = tab + 2 * oh, *x1 = tab + 2 * oh + ow;         \
        T *wy0 = (T *)(tab + 2 * oh + 2 * ow), *wy1 = wy0 + oh, *wx0 = wy1 + oh, *wx1 = wx0 + ow; \
        linear_table_##T(H, oh, y0, y1, wy0, wy1);                                            \
        linear_table_##T(W, ow, x0, x1, wx0, wx1);                                            \
        for (int64_t p = 0; p < np; p++) {                                                    \
            const T *s = src + p * H * W;                                                     \
            T *d = dst + p * oh * ow;                                                         \
            for (int64_t y = 0; y < oh; y++) {                                                \
                const T *r0 = s + y0[y] * W, *r1 = s + y1[y] * W;                             \
                T a = wy0[y], b = wy1[y];                                                     \
                for (int64_t i = 0; i < ow; i++) {                                            \
                    T t0 = r0[x0[i]] * wx0[i] + r0[x1[i]] * wx1[i];                           \
                    T t1 = r1[x0[i]] * wx0[i] + r1[x1[i]] * wx1[i];                           \
                    d[y * ow + i] = t0 * a + t1 * b;                                          \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }
BILINEAR(float)
BILINEAR(double)

/* PyTorch's nearest (legacy, not nearest-exact) source index. */
static int64_t nearest_index(int64_t o, int64_t in, int64_t out) {
    if (in == out) return o;
    if (out == 2 * in) return o >> 1;
    float scale = (float)in / (float)out;
    int64_t i = (int64_t)floorf((float)o * scale);
    return i < in - 1 ? i : in - 1;
}

/* One antialiased pass (PyTorch's _upsample_bilinear2d_aa, separable):
 * resamples axis of length in (stride st, `count` lines, line step ls) to
 * out. */
#define AA_PASS(T)                                                                                 \
    static int aa_pass_##T(const T *src, T *dst, int64_t lines, int64_t in, int64_t out,           \
                           bool along_w, int64_t W_or_H_other) {                                   \
        T scale = (T)in / (T)out;                                                                  \
        T support = scale >= 1 ? scale : (T)1;                                                     \
        T invscale = scale >= 1 ? (T)1 / scale : (T)1;                                             \
        int64_t maxk = (int64_t)ceil((double)support) * 2 + 1;                                     \
        int64_t *xmin = malloc(sizeof(int64_t) * (size_t)(2 * out));                               \
        T *wts = malloc(sizeof(T) * (size_t)(out * maxk));                                         \
        if (!xmin || !wts) {                                                                       \
            free(xmin);                                                                            \
            free(wts);                                                                             \
            return -1;                                                                             \
        }                                                                                          \
        int64_t *xsize = xmin + out;                                                               \
        for (int64_t i = 0; i < out; i++) {                                                        \
            T center = scale * (T)((double)i + 0.5);                                               \
            int64_t lo = (int64_t)(center - support + (T)0.5);                                     \
            if (lo < 0) lo = 0;                                                                    \
            int64_t hi = (int64_t)(center + support + (T)0.5);                                     \
            if (hi > in) hi = in;                                                                  \
            xmin[i] = lo;                                                                          \
            xsize[i] = hi - lo > maxk ? maxk : hi - lo;                                            \
            T total = 0;                                                                           \
            T *w = wts + i * maxk;                                                                 \
            for (int64_t j = 0; j < xsize[i]; j++) {                                               \
                T v = ((T)(j + lo) - center + (T)0.5) * invscale;                                  \
                v = v < 0 ? -v : v;                                                                \
                w[j] = v < 1 ? (T)1 - v : (T)0;                                                    \
                total += w[j];                                                                     \
            }                                                                                      \
            if (total != 0)                                                                        \
                for (int64_t j = 0; j < xsize[i]; j++) w[j] /= total;                              \
        }                                                                                          \
        /* along W: lines are rows of in values; along H: planes of in x other */                  \
        if (along_w) {                                                                             \
            for (int64_t l = 0; l < lines; l++) {                                                  \
                const T *s = src + l * in;                                                         \
                T *d = dst + l * out;                                                              \
                for (int64_t i = 0; i < out; i++) {                                                \
                    const T *w = wts + i * maxk, *sp = s + xmin[i];                                \
                    T t = sp[0] * w[0];                                                            \
                    for (int64_t j = 1; j < xsize[i]; j++) t += sp[j] * w[j];                      \
                    d[i] = t;                                                                      \
                }                                                                                  \
            }                                                                                      \
        } else {                                                                                   \
            int64_t Wd = W_or_H_other;                                                             \
            for (int64_t l = 0; l < lines; l++) {                                                  \
                const T *s = src + l * in * Wd;                                                    \
                T *d = dst + l * out * Wd;                                                         \
                for (int64_t i = 0; i < out; i++) {                                                \
                    const T *w = wts + i * maxk;                                                   \
                    for (int64_t x = 0; x < Wd; x++) {                                             \
                        T t = s[xmin[i] * Wd + x] * w[0];                                          \
                        for (int64_t j = 1; j < xsize[i]; j++) t += s[(xmin[i] + j) * Wd + x] * w[j]; \
                        d[i * Wd + x] = t;                                                         \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        free(xmin);                                                                                \
        free(wts);                                                                                 \
        return 0;                                                                                  \
    }
AA_PASS(float)
AA_PASS(double)

ct_tensor *ct__image_resize(const ct_tensor *x, int64_t oh, int64_t ow, ct_interp interp,
                            bool antialias) {
    img_geom g;
    if (img_check(x, "resize", 0, &g) < 0) return NULL;
    if (oh <= 0 || ow <= 0)
        return CT_DFAIL(CT_ERR_VALUE, "resize: output size must be positive, got (%lld, %lld)",
                        (long long)oh, (long long)ow);
    if (interp != CT_INTERP_BILINEAR && interp != CT_INTERP_NEAREST)
        return CT_DFAIL(CT_ERR_VALUE, "resize: unknown interpolation %d", (int)interp);
    if (antialias && interp != CT_INTERP_BILINEAR)
        return CT_DFAIL(CT_ERR_VALUE, "Antialias option is supported for bilinear and bicubic "
                        "interpolation modes only");
    if (g.h == 0 || g.w == 0)
        return CT_DFAIL(CT_ERR_VALUE, "resize: Input and output sizes should be greater than 0, "
                        "but got input (H: %lld, W: %lld) output (H: %lld, W: %lld)",
                        (long long)g.h, (long long)g.w, (long long)oh, (long long)ow);
    /* torchvision returns the image itself when the size does not change */
    if (g.h == oh && g.w == ow) return ct_retain((ct_tensor *)x);
    int64_t np = x->numel / (g.h * g.w);
    if (interp == CT_INTERP_NEAREST) {
        int64_t *ys = malloc(sizeof(int64_t) * (size_t)(oh + ow));
        if (!ys) return CT_DFAIL(CT_ERR_MEMORY, "resize: out of memory");
        for (int64_t y = 0; y < oh; y++) ys[y] = nearest_index(y, g.h, oh);
        for (int64_t i = 0; i < ow; i++) ys[oh + i] = nearest_index(i, g.w, ow);
        ct_tensor *out = remap(x, &g, ys, oh, ys + oh, ow, 0);
        free(ys);
        return out;
    }
    ct_tensor *wk = to_work(x);
    if (!wk) return NULL;
    bool dbl = wk->dtype == CT_FLOAT64;
    ct_tensor *res = img_empty(x, oh, ow, wk->dtype);
    if (!res) {
        ct_release(wk);
        return NULL;
    }
    int rc = 0;
    if (!antialias) {
        int64_t *tab = malloc(sizeof(int64_t) * (size_t)(4 * (oh + ow)));
        if (!tab) rc = -1;
        else if (dbl) bilinear_double(ct_data_ptr(wk), ct_data_ptr(res), np, g.h, g.w, oh, ow, tab);
        else bilinear_float(ct_data_ptr(wk), ct_data_ptr(res), np, g.h, g.w, oh, ow, tab);
        free(tab);
    } else {
        /* horizontal pass first, then vertical, each only when its size changes */
        size_t es = dbl ? sizeof(double) : sizeof(float);
        void *mid = NULL;
        const void *cur = ct_data_ptr(wk);
        int64_t cw = g.w;
        if (ow != g.w) {
            mid = g.h == oh ? ct_data_ptr(res) : malloc(es * (size_t)(np * g.h * ow));
            if (!mid) rc = -1;
            else if (dbl) rc = aa_pass_double(cur, mid, np * g.h, g.w, ow, true, 0);
            else rc = aa_pass_float(cur, mid, np * g.h, g.w, ow, true, 0);
            cur = mid;
            cw = ow;
        }
        if (rc == 0 && oh != g.h) {
            if (dbl) rc = aa_pass_double(cur, ct_data_ptr(res), np, g.h, oh, false, cw);
            else rc = aa_pass_float(cur, ct_data_ptr(res), np, g.h, oh, false, cw);
        }
        if (mid && mid != ct_data_ptr(res)) free(mid);
    }
    ct_release(wk);
    if (rc < 0) {
        ct_release(res);
        return CT_DFAIL(CT_ERR_MEMORY, "resize: out of memory");
    }
    return from_work(res, x->dtype, true);
}

/* ---------------------------------------------------------------- color */
/* 0.2989 r + 0.587 g + 0.114 b of each image into gray (n images of C=3),
 * computed in T like torchvision's expression (left to right). */
#define GRAY(T)                                                                          \
    static void gray_##T(const T *src, T *dst, int64_t n, int64_t hw) {                  \
        for (int64_t k = 0; k < n; k++) {                                                \
            const T *r = src + k * 3 * hw, *g = r + hw, *b = g + hw;                     \
            T *d = dst + k * hw;                                                         \
            for (int64_t i = 0; i < hw; i++)                                             \
                d[i] = (T)0.2989 * r[i] + (T)0.587 * g[i] + (T)0.114 * b[i];             \
        }                                                                                \
    }
GRAY(float)
GRAY(double)

/* Truncation toward zero into the image's dtype for uint8 (torch's
 * .to(uint8) of the non-negative values here); identity for floats. */
static inline float trunc_u8(float v, bool u8) { return u8 ? truncf(v) : v; }

ct_tensor *ct__image_rgb_to_grayscale(const ct_tensor *x, int num_output_channels) {
    img_geom g;
    if (img_check(x, "rgb_to_grayscale", 1u << 1 | 1u << 3, &g) < 0) return NULL;
    if (num_output_channels != 1 && num_output_channels != 3)
        return CT_DFAIL(CT_ERR_VALUE, "num_output_channels should be either 1 or 3");
    int64_t hw = g.h * g.w;
    ct_tensor *wk = to_work(x);
    if (!wk) return NULL;
    int64_t sizes[CT_MAX_DIMS];
    memcpy(sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    sizes[x->ndim - 3] = num_output_channels;
    ct_tensor *res = ct__empty(sizes, x->ndim, wk->dtype);
    if (!res) {
        ct_release(wk);
        return NULL;
    }
    bool u8 = x->dtype == CT_UINT8;
    for (int64_t k = 0; k < g.n; k++) {
        if (wk->dtype == CT_FLOAT64) {
            const double *s = (const double *)ct_data_ptr(wk) + k * g.c * hw;
            double *d = (double *)ct_data_ptr(res) + k * num_output_channels * hw;
            if (g.c == 3) gray_double(s, d, 1, hw);
            else memcpy(d, s, sizeof(double) * (size_t)hw);
            for (int c = 1; c < num_output_channels; c++) memcpy(d + c * hw, d, sizeof(double) * (size_t)hw);
        } else {
            const float *s = (const float *)ct_data_ptr(wk) + k * g.c * hw;
            float *d = (float *)ct_data_ptr(res) + k * num_output_channels * hw;
            if (g.c == 3) {
                gray_float(s, d, 1, hw);
                for (int64_t i = 0; i < hw; i++) d[i] = trunc_u8(d[i], u8);
            } else {
                memcpy(d, s, sizeof(float) * (size_t)hw);
            }
            for (int c = 1; c < num_output_channels; c++) memcpy(d + c * hw, d, sizeof(float) * (size_t)hw);
        }
    }
    ct_release(wk);
    return from_work(res, x->dtype, false);
}

/* _blend(img, other, ratio) = clamp(ratio * img + (1 - ratio) * other, 0,
 * bound) in the image's dtype; other is per pixel (ostride 1), per image
 * (a mean: ostride 0 within an image) or 0. */
#define BLEND(T)                                                                            \
    static void blend_##T(T *x, int64_t n, const T *other, int64_t osz, double ratio,       \
                          T bound, bool u8) {                                               \
        T r = (T)ratio, r1 = (T)(1.0 - ratio);                                              \
        for (int64_t i = 0; i < n; i++) {                                                   \
            T o = other ? other[osz ? i % osz : 0] : (T)0;                                  \
            T v = r * x[i] + r1 * o;                                                        \
            v = v < 0 ? 0 : v > bound ? bound : v;                                          \
            x[i] = u8 ? (T)trunc((double)v) : v;                                            \
        }                                                                                   \
    }
BLEND(float)
BLEND(double)

typedef enum { ADJ_BRIGHTNESS, ADJ_CONTRAST, ADJ_SATURATION } adj_kind;

static ct_tensor *adjust(const ct_tensor *x, double factor, adj_kind kind) {
    static const char *names[] = {"adjust_brightness", "adjust_contrast", "adjust_saturation"};
    static const char *fnames[] = {"brightness_factor", "contrast_factor", "saturation_factor"};
    const char *op = names[kind];
    if (!(factor >= 0))
        return CT_DFAIL(CT_ERR_VALUE, "%s (%g) is not non-negative.", fnames[kind], factor);
    img_geom g;
    if (img_check(x, op, 1u << 1 | 1u << 3, &g) < 0) return NULL;
    if (kind == ADJ_SATURATION && g.c == 1) return ct_retain((ct_tensor *)x); /* PIL's behaviour */
    bool u8 = x->dtype == CT_UINT8;
    ct_tensor *wk = to_work(x);
    if (!wk) return NULL;
    /* to_work may hand back x itself (contiguous float): blend into a copy */
    if (wk == x || wk->storage == x->storage) {
        ct_tensor *cp = ct__empty(wk->sizes, wk->ndim, wk->dtype);
        if (cp) memcpy(ct_data_ptr(cp), ct_data_ptr(wk), ct_dtype_size(wk->dtype) * (size_t)wk->numel);
        ct_release(wk);
        wk = cp;
        if (!wk) return NULL;
    }
    int64_t hw = g.h * g.w, per = g.c * hw;
    bool dbl = wk->dtype == CT_FLOAT64;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    void *gray = NULL;
    if (kind != ADJ_BRIGHTNESS && g.c == 3) {
        gray = malloc(es * (size_t)(hw ? hw : 1));
        if (!gray) {
            ct_release(wk);
            return CT_DFAIL(CT_ERR_MEMORY, "%s: out of memory", op);
        }
    }
    for (int64_t k = 0; k < g.n; k++) {
        char *img = (char *)ct_data_ptr(wk) + (size_t)(k * per) * es;
        const void *other = NULL;
        int64_t osz = 0;
        double mean = 0;
        if (kind != ADJ_BRIGHTNESS) {
            if (g.c == 3) {
                if (dbl) gray_double((const double *)img, gray, 1, hw);
                else {
                    gray_float((const float *)img, gray, 1, hw);
                    if (u8)
                        for (int64_t i = 0; i < hw; i++) ((float *)gray)[i] = truncf(((float *)gray)[i]);
                }
            }
            if (kind == ADJ_SATURATION) {
                other = gray;
                osz = hw;
            } else {
                const void *src = g.c == 3 ? gray : img;
                for (int64_t i = 0; i < hw; i++)
                    mean += dbl ? ((const double *)src)[i] : ((const float *)src)[i];
                mean = hw ? mean / (double)hw : NAN;
            }
        }
        if (dbl) {
            double m = mean;
            blend_double((double *)img, per, kind == ADJ_CONTRAST ? &m : other, osz, factor, 1.0, false);
        } else {
            float m = (float)mean;
            blend_float((float *)img, per, kind == ADJ_CONTRAST ? &m : other, osz, factor,
                        u8 ? 255.0f : 1.0f, u8);
        }
    }
    free(gray);
    return from_work(wk, x->dtype, false);
}

ct_tensor *ct__image_adjust_brightness(const ct_tensor *x, double f) { return adjust(x, f, ADJ_BRIGHTNESS); }
ct_tensor *ct__image_adjust_contrast(const ct_tensor *x, double f) { return adjust(x, f, ADJ_CONTRAST); }
ct_tensor *ct__image_adjust_saturation(const ct_tensor *x, double f) { return adjust(x, f, ADJ_SATURATION); }

/* torchvision's _rgb2hsv, hue shift, _hsv2rgb on one pixel, in T. */
#define HUE(T, FLOOR, FMOD)                                                                  \
    static void hue_##T(T *r, T *g, T *b, int64_t n, T hue) {                                \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T R = r[i], G = g[i], B = b[i];                                                  \
            T maxc = R > G ? R : G;                                                          \
            maxc = maxc > B ? maxc : B;                                                      \
            T minc = R < G ? R : G;                                                          \
            minc = minc < B ? minc : B;                                                      \
            bool eqc = maxc == minc;                                                         \
            T cr = maxc - minc;                                                              \
            T s = cr / (eqc ? (T)1 : maxc);                                                  \
            T crd = eqc ? (T)1 : cr;                                                         \
            T rc = (maxc - R) / crd, gc = (maxc - G) / crd, bc = (maxc - B) / crd;           \
            T hr = (maxc == R) ? (bc - gc) : (T)0;                                           \
            T hg = (maxc == G && maxc != R) ? ((T)2.0 + rc - bc) : (T)0;                     \
            T hb = (maxc != G && maxc != R) ? ((T)4.0 + gc - rc) : (T)0;                     \
            T h = hr + hg + hb;                                                              \
            h = FMOD(h / (T)6.0 + (T)1.0, (T)1.0);                                           \
            /* (h + hue) % 1.0, Python's sign convention */                                  \
            h = h + hue;                                                                     \
            h = h - FLOOR(h / (T)1.0) * (T)1.0;                                              \
            T v = maxc;                                                                      \
            T fi = FLOOR(h * (T)6.0);                                                        \
            T f = h * (T)6.0 - fi;                                                           \
            int k = (int)fi;                                                                 \
            k = ((k % 6) + 6) % 6;                                                           \
            T p = v * ((T)1.0 - s), q = v * ((T)1.0 - s * f), t = v * ((T)1.0 - s * ((T)1.0 - f)); \
            p = p < 0 ? 0 : p > 1 ? 1 : p;                                                   \
            q = q < 0 ? 0 : q > 1 ? 1 : q;                                                   \
            t = t < 0 ? 0 : t > 1 ? 1 : t;                                                   \
            switch (k) {                                                                     \
            case 0: R = v, G = t, B = p; break;                                              \
            case 1: R = q, G = v, B = p; break;                                              \
            case 2: R = p, G = v, B = t; break;                                              \
            case 3: R = p, G = q, B = v; break;                                              \
            case 4: R = t, G = p, B = v; break;                                              \
            default: R = v, G = p, B = q; break;                                             \
            }                                                                                \
            r[i] = R, g[i] = G, b[i] = B;                                                    \
        }                                                                                    \
    }
HUE(float, floorf, fmodf)
HUE(double, floor, fmod)

ct_tensor *ct__image_adjust_hue(const ct_tensor *x, double hue_factor) {
    if (!(hue_factor >= -0.5 && hue_factor <= 0.5))
        return CT_DFAIL(CT_ERR_VALUE, "hue_factor (%g) is not in [-0.5, 0.5].", hue_factor);
    img_geom g;
    if (img_check(x, "adjust_hue", 1u << 1 | 1u << 3, &g) < 0) return NULL;
    if (g.c == 1) return ct_retain((ct_tensor *)x);
    bool u8 = x->dtype == CT_UINT8;
    ct_tensor *wk = ct__empty(x->sizes, x->ndim, x->dtype == CT_FLOAT64 ? CT_FLOAT64 : CT_FLOAT32);
    ct_tensor *xc = wk ? ct__contiguous(x) : NULL;
    if (!xc) {
        ct_release(wk);
        return NULL;
    }
    int64_t hw = g.h * g.w;
    if (x->dtype == CT_FLOAT64) {
        memcpy(ct_data_ptr(wk), ct_data_ptr(xc), sizeof(double) * (size_t)x->numel);
        double *d = ct_data_ptr(wk);
        for (int64_t k = 0; k < g.n; k++) hue_double(d + k * 3 * hw, d + k * 3 * hw + hw, d + k * 3 * hw + 2 * hw, hw, hue_factor);
    } else {
        float *d = ct_data_ptr(wk);
        if (u8) {
            const uint8_t *s = ct_data_ptr(xc);
            for (int64_t i = 0; i < x->numel; i++) d[i] = (float)s[i] / 255.0f;
        } else {
            memcpy(d, ct_data_ptr(xc), sizeof(float) * (size_t)x->numel);
        }
        for (int64_t k = 0; k < g.n; k++) hue_float(d + k * 3 * hw, d + k * 3 * hw + hw, d + k * 3 * hw + 2 * hw, hw, (float)hue_factor);
        if (u8)
            for (int64_t i = 0; i < x->numel; i++) d[i] = truncf(d[i] * 255.0f);
    }
    ct_release(xc);
    return from_work(wk, x->dtype, false);
}

/* ---------------------------------------------------------------- public wrappers */
ct_tensor *ct_image_resize(const ct_tensor *img, int64_t h, int64_t w, ct_interp interpolation,
                           bool antialias) {
    return ct_autorelease(ct__image_resize(img, h, w, interpolation, antialias));
}
ct_tensor *ct_image_crop(const ct_tensor *img, int64_t top, int64_t left, int64_t height,
                         int64_t width) {
    return ct_autorelease(ct__image_crop(img, top, left, height, width));
}
ct_tensor *ct_image_center_crop(const ct_tensor *img, int64_t h, int64_t w) {
    return ct_autorelease(ct__image_center_crop(img, h, w));
}
ct_tensor *ct_image_pad(const ct_tensor *img, const int64_t ltrb[4], double fill,
                        ct_padding_mode mode) {
    return ct_autorelease(ct__image_pad(img, ltrb, fill, mode));
}
ct_tensor *ct_image_hflip(const ct_tensor *img) { return ct_autorelease(ct__image_hflip(img)); }
ct_tensor *ct_image_vflip(const ct_tensor *img) { return ct_autorelease(ct__image_vflip(img)); }
ct_tensor *ct_image_adjust_brightness(const ct_tensor *img, double factor) {
    return ct_autorelease(ct__image_adjust_brightness(img, factor));
}
ct_tensor *ct_image_adjust_contrast(const ct_tensor *img, double factor) {
    return ct_autorelease(ct__image_adjust_contrast(img, factor));
}
ct_tensor *ct_image_adjust_saturation(const ct_tensor *img, double factor) {
    return ct_autorelease(ct__image_adjust_saturation(img, factor));
}
ct_tensor *ct_image_adjust_hue(const ct_tensor *img, double hue_factor) {
    return ct_autorelease(ct__image_adjust_hue(img, hue_factor));
}
ct_tensor *ct_image_rgb_to_grayscale(const ct_tensor *img, int num_output_channels) {
    return ct_autorelease(ct__image_rgb_to_grayscale(img, num_output_channels));
}
