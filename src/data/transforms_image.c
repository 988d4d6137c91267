/* Image transforms with torchvision 0.14's semantics and random draws:
 * every random parameter is drawn with the torch op torchvision uses
 * (torch.rand, torch.randint, torch.empty(1).uniform_, torch.randperm) from
 * the transform's generator, so after ct_manual_seed(s) a transform draws
 * what torchvision draws after torch.manual_seed(s). */
#include "data_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const ct_transform NONE = {NULL, NULL, NULL};

/* A ctx block copied to the heap (the transforms' parameters). */
static void *dup_ctx(const void *p, size_t n) {
    void *c = malloc(n);
    if (!c) ct_set_error(CT_ERR_MEMORY, "transform: out of memory");
    else memcpy(c, p, n);
    return c;
}

static ct_transform make(ct_tensor *(*apply)(void *, const ct_tensor *, ct_generator *),
                         const void *params, size_t n) {
    void *c = dup_ctx(params, n);
    if (!c) return NONE;
    return (ct_transform){apply, c, free};
}

/* ---------------------------------------------------------------- draws */
static ct_generator *gen(ct_generator *g) { return g ? g : ct_data_generator(); }

/* torch.rand(1).item() (float32), -1 on error. */
static int draw_rand(ct_generator *g, double *v) {
    ct_scope s = ct_scope_begin();
    ct_tensor *t = ct_rand((const int64_t[]){1}, 1, CT_FLOAT32, gen(g));
    if (t) *v = ct_item_at(t, 0);
    ct_scope_end(s);
    return t ? 0 : -1;
}

/* float(torch.empty(1).uniform_(lo, hi)) (float32). */
static int draw_uniform(ct_generator *g, double lo, double hi, double *v) {
    ct_scope s = ct_scope_begin();
    ct_tensor *t = ct_empty((const int64_t[]){1}, 1, CT_FLOAT32);
    if (t) t = ct_uniform_(t, lo, hi, gen(g));
    if (t) *v = ct_item_at(t, 0);
    ct_scope_end(s);
    return t ? 0 : -1;
}

/* torch.randint(lo, hi, size=(1,)).item(). */
static int draw_randint(ct_generator *g, int64_t lo, int64_t hi, int64_t *v) {
    ct_scope s = ct_scope_begin();
    ct_tensor *t = ct_randint(lo, hi, (const int64_t[]){1}, 1, CT_INT64, gen(g));
    if (t) *v = ct_item_at_int(t, 0);
    ct_scope_end(s);
    return t ? 0 : -1;
}

/* torch.randperm(n) into out. */
static int draw_randperm(ct_generator *g, int64_t n, int64_t *out) {
    ct_scope s = ct_scope_begin();
    ct_tensor *t = ct_randperm(n, CT_INT64, gen(g));
    for (int64_t i = 0; t && i < n; i++) out[i] = ct_item_at_int(t, i);
    ct_scope_end(s);
    return t ? 0 : -1;
}

/* Python's round() (half to even) as an int. */
static int64_t py_round(double v) { return (int64_t)nearbyint(v); }

static int image_hw(const ct_tensor *x, const char *op, int64_t *h, int64_t *w) {
    if (x->ndim < 2) {
        ct_set_error(CT_ERR_TYPE, "%s: Tensor is not a torch image: expected [..., H, W], got %s",
                     op, ct__shp(x));
        return -1;
    }
    *h = x->sizes[x->ndim - 2];
    *w = x->sizes[x->ndim - 1];
    return 0;
}

/* ---------------------------------------------------------------- Resize */
typedef struct resize_p {
    int64_t size[2];
    int nsize;
    ct_interp interp;
    int64_t max_size;
    bool antialias;
} resize_p;

/* torchvision's _compute_resized_output_size. */
static int resized_size(const resize_p *p, int64_t h, int64_t w, int64_t *oh, int64_t *ow) {
    if (p->nsize == 2) {
        *oh = p->size[0];
        *ow = p->size[1];
        return 0;
    }
    int64_t sh = w <= h ? w : h, lg = w <= h ? h : w;
    int64_t ns = p->size[0], nl = (int64_t)((double)ns * (double)lg / (double)sh);
    if (p->max_size > 0 && nl > p->max_size) {
        ns = (int64_t)((double)p->max_size * (double)ns / (double)nl);
        nl = p->max_size;
    }
    *ow = w <= h ? ns : nl;
    *oh = w <= h ? nl : ns;
    return 0;
}

static ct_tensor *resize_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const resize_p *p = ctx;
    int64_t h, w, oh, ow;
    if (image_hw(x, "Resize", &h, &w) < 0) return NULL;
    if (h == 0 || w == 0)
        return CT_DFAIL(CT_ERR_VALUE, "Resize: cannot resize an empty image of shape %s",
                        ct__shp(x));
    resized_size(p, h, w, &oh, &ow);
    return ct__image_resize(x, oh, ow, p->interp, p->antialias);
}

ct_transform ct_transform_resize(const int64_t *size, int nsize, ct_interp interpolation,
                                 int64_t max_size, bool antialias) {
    if (!size || (nsize != 1 && nsize != 2)) {
        ct_set_error(CT_ERR_VALUE, "Size should be int or sequence. Got %d values", nsize);
        return NONE;
    }
    if (max_size > 0 && nsize != 1) {
        ct_set_error(CT_ERR_VALUE, "max_size should only be passed if size specifies the length "
                     "of the smaller edge, i.e. size should be an int or a sequence of length 1 "
                     "in torchscript mode.");
        return NONE;
    }
    if (max_size > 0 && max_size <= size[0]) {
        ct_set_error(CT_ERR_VALUE, "max_size = %lld must be strictly greater than the requested "
                     "size for the smaller edge size = [%lld]", (long long)max_size,
                     (long long)size[0]);
        return NONE;
    }
    for (int i = 0; i < nsize; i++)
        if (size[i] <= 0) {
            ct_set_error(CT_ERR_VALUE, "Resize: size must be positive, got %lld",
                         (long long)size[i]);
            return NONE;
        }
    if (interpolation != CT_INTERP_BILINEAR && interpolation != CT_INTERP_NEAREST) {
        ct_set_error(CT_ERR_VALUE, "Resize: unknown interpolation %d", (int)interpolation);
        return NONE;
    }
    if (antialias && interpolation != CT_INTERP_BILINEAR) {
        ct_set_error(CT_ERR_VALUE, "Antialias option is supported for bilinear and bicubic "
                     "interpolation modes only");
        return NONE;
    }
    resize_p p = {{size[0], nsize == 2 ? size[1] : 0}, nsize, interpolation, max_size, antialias};
    return make(resize_apply, &p, sizeof p);
}

/* ---------------------------------------------------------------- CenterCrop, Pad */
typedef struct crop_p {
    int64_t h, w;
} crop_p;

static ct_tensor *center_crop_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const crop_p *p = ctx;
    return ct__image_center_crop(x, p->h, p->w);
}

ct_transform ct_transform_center_crop(int64_t h, int64_t w) {
    if (h <= 0 || w <= 0) {
        ct_set_error(CT_ERR_VALUE, "CenterCrop: size must be positive, got (%lld, %lld)",
                     (long long)h, (long long)w);
        return NONE;
    }
    crop_p p = {h, w};
    return make(center_crop_apply, &p, sizeof p);
}

typedef struct pad_p {
    int64_t ltrb[4];
    bool has_padding;
    double fill;
    ct_padding_mode mode;
} pad_p;

/* torchvision's padding forms: 1 (all), 2 (left/right, top/bottom), 4 (l, t, r, b). */
static int parse_padding(const int64_t *padding, int n, int64_t ltrb[4]) {
    if (!padding || (n != 1 && n != 2 && n != 4)) {
        ct_set_error(CT_ERR_VALUE, "Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     "%d element tuple", n);
        return -1;
    }
    if (n == 1) ltrb[0] = ltrb[1] = ltrb[2] = ltrb[3] = padding[0];
    else if (n == 2) ltrb[0] = ltrb[2] = padding[0], ltrb[1] = ltrb[3] = padding[1];
    else memcpy(ltrb, padding, sizeof(int64_t) * 4);
    return 0;
}

static int check_mode(ct_padding_mode mode) {
    if ((int)mode < CT_PAD_CONSTANT || (int)mode > CT_PAD_SYMMETRIC) {
        ct_set_error(CT_ERR_VALUE, "Padding mode should be either constant, edge, reflect or "
                     "symmetric");
        return -1;
    }
    return 0;
}

static ct_tensor *pad_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const pad_p *p = ctx;
    return ct__image_pad(x, p->ltrb, p->fill, p->mode);
}

ct_transform ct_transform_pad(const int64_t *padding, int npadding, double fill,
                              ct_padding_mode padding_mode) {
    pad_p p = {{0}, true, fill, padding_mode};
    if (parse_padding(padding, npadding, p.ltrb) < 0 || check_mode(padding_mode) < 0) return NONE;
    return make(pad_apply, &p, sizeof p);
}

/* ---------------------------------------------------------------- RandomCrop */
typedef struct random_crop_p {
    int64_t h, w;
    pad_p pad;
    bool pad_if_needed;
} random_crop_p;

static ct_tensor *random_crop_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const random_crop_p *p = ctx;
    int64_t H, W;
    if (image_hw(x, "RandomCrop", &H, &W) < 0) return NULL;
    ct_tensor *cur = ct_retain((ct_tensor *)x);
    if (p->pad.has_padding) {
        ct_tensor *nx = ct__image_pad(cur, p->pad.ltrb, p->pad.fill, p->pad.mode);
        ct_release(cur);
        if (!(cur = nx)) return NULL;
    }
    H = cur->sizes[cur->ndim - 2], W = cur->sizes[cur->ndim - 1];
    /* torchvision pads by the missing amount on BOTH sides ([size - w, 0]) */
    if (p->pad_if_needed && W < p->w) {
        int64_t d = p->w - W, ltrb[4] = {d, 0, d, 0};
        ct_tensor *nx = ct__image_pad(cur, ltrb, p->pad.fill, p->pad.mode);
        ct_release(cur);
        if (!(cur = nx)) return NULL;
    }
    H = cur->sizes[cur->ndim - 2], W = cur->sizes[cur->ndim - 1];
    if (p->pad_if_needed && H < p->h) {
        int64_t d = p->h - H, ltrb[4] = {0, d, 0, d};
        ct_tensor *nx = ct__image_pad(cur, ltrb, p->pad.fill, p->pad.mode);
        ct_release(cur);
        if (!(cur = nx)) return NULL;
    }
    H = cur->sizes[cur->ndim - 2], W = cur->sizes[cur->ndim - 1];
    if (H < p->h || W < p->w) {
        ct_release(cur);
        return CT_DFAIL(CT_ERR_VALUE, "Required crop size (%lld, %lld) is larger than input image "
                        "size (%lld, %lld)", (long long)p->h, (long long)p->w, (long long)H,
                        (long long)W);
    }
    if (H == p->h && W == p->w) return cur;
    int64_t top, left;
    if (draw_randint(g, 0, H - p->h + 1, &top) < 0 || draw_randint(g, 0, W - p->w + 1, &left) < 0) {
        ct_release(cur);
        return NULL;
    }
    ct_tensor *out = ct__image_crop(cur, top, left, p->h, p->w);
    ct_release(cur);
    return out;
}

ct_transform ct_transform_random_crop(int64_t h, int64_t w, const int64_t *padding,
                                      int npadding, bool pad_if_needed, double fill,
                                      ct_padding_mode padding_mode) {
    if (h <= 0 || w <= 0) {
        ct_set_error(CT_ERR_VALUE, "RandomCrop: size must be positive, got (%lld, %lld)",
                     (long long)h, (long long)w);
        return NONE;
    }
    random_crop_p p = {h, w, {{0}, false, fill, padding_mode}, pad_if_needed};
    if (check_mode(padding_mode) < 0) return NONE;
    if (padding && npadding > 0) {
        if (parse_padding(padding, npadding, p.pad.ltrb) < 0) return NONE;
        p.pad.has_padding = true;
    }
    return make(random_crop_apply, &p, sizeof p);
}

/* ---------------------------------------------------------------- RandomResizedCrop */
typedef struct rrc_p {
    int64_t h, w;
    double scale[2], ratio[2];
    ct_interp interp;
    bool antialias;
} rrc_p;

/* torchvision's RandomResizedCrop.get_params. */
static int rrc_params(const rrc_p *p, int64_t height, int64_t width, ct_generator *g,
                      int64_t *i, int64_t *j, int64_t *h, int64_t *w) {
    double area = (double)height * (double)width;
    /* log_ratio = torch.log(torch.tensor(ratio)): float32 */
    float lr0 = logf((float)p->ratio[0]), lr1 = logf((float)p->ratio[1]);
    for (int t = 0; t < 10; t++) {
        double u, lr;
        if (draw_uniform(g, p->scale[0], p->scale[1], &u) < 0) return -1;
        double target_area = area * u;
        if (draw_uniform(g, lr0, lr1, &lr) < 0) return -1;
        double aspect = (double)expf((float)lr);
        int64_t cw = py_round(sqrt(target_area * aspect));
        int64_t ch = py_round(sqrt(target_area / aspect));
        if (0 < cw && cw <= width && 0 < ch && ch <= height) {
            if (draw_randint(g, 0, height - ch + 1, i) < 0 ||
                draw_randint(g, 0, width - cw + 1, j) < 0)
                return -1;
            *h = ch, *w = cw;
            return 0;
        }
    }
    double in_ratio = (double)width / (double)height;
    double rmin = p->ratio[0] < p->ratio[1] ? p->ratio[0] : p->ratio[1];
    double rmax = p->ratio[0] < p->ratio[1] ? p->ratio[1] : p->ratio[0];
    if (in_ratio < rmin) {
        *w = width;
        *h = py_round((double)*w / rmin);
    } else if (in_ratio > rmax) {
        *h = height;
        *w = py_round((double)*h * rmax);
    } else {
        *w = width;
        *h = height;
    }
    /* Python's // floors */
    int64_t di = height - *h, dj = width - *w;
    *i = di >= 0 ? di / 2 : -((-di + 1) / 2);
    *j = dj >= 0 ? dj / 2 : -((-dj + 1) / 2);
    return 0;
}

static ct_tensor *rrc_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const rrc_p *p = ctx;
    int64_t H, W, i, j, h, w;
    if (image_hw(x, "RandomResizedCrop", &H, &W) < 0) return NULL;
    if (H == 0 || W == 0)
        return CT_DFAIL(CT_ERR_VALUE, "RandomResizedCrop: empty image of shape %s", ct__shp(x));
    if (rrc_params(p, H, W, g, &i, &j, &h, &w) < 0) return NULL;
    ct_tensor *c = ct__image_crop(x, i, j, h, w);
    if (!c) return NULL;
    ct_tensor *out = ct__image_resize(c, p->h, p->w, p->interp, p->antialias);
    ct_release(c);
    return out;
}

ct_transform ct_transform_random_resized_crop(int64_t h, int64_t w, const double scale[2],
                                              const double ratio[2], ct_interp interpolation,
                                              bool antialias) {
    rrc_p p = {h, w, {0.08, 1.0}, {3.0 / 4.0, 4.0 / 3.0}, interpolation, antialias};
    if (scale) p.scale[0] = scale[0], p.scale[1] = scale[1];
    if (ratio) p.ratio[0] = ratio[0], p.ratio[1] = ratio[1];
    if (h <= 0 || w <= 0) {
        ct_set_error(CT_ERR_VALUE, "RandomResizedCrop: size must be positive, got (%lld, %lld)",
                     (long long)h, (long long)w);
        return NONE;
    }
    if (!(p.scale[0] <= p.scale[1]) || !(p.ratio[0] <= p.ratio[1]) || !(p.scale[0] >= 0) ||
        !(p.ratio[0] > 0)) {
        ct_set_error(CT_ERR_VALUE, "RandomResizedCrop: Scale and ratio should be of kind (min, "
                     "max) (scale >= 0, ratio > 0), got scale (%g, %g) ratio (%g, %g)",
                     p.scale[0], p.scale[1], p.ratio[0], p.ratio[1]);
        return NONE;
    }
    if (antialias && interpolation != CT_INTERP_BILINEAR) {
        ct_set_error(CT_ERR_VALUE, "Antialias option is supported for bilinear and bicubic "
                     "interpolation modes only");
        return NONE;
    }
    return make(rrc_apply, &p, sizeof p);
}

/* ---------------------------------------------------------------- flips */
typedef struct flip_p {
    double p;
    bool horizontal;
} flip_p;

static ct_tensor *flip_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const flip_p *p = ctx;
    double u;
    if (draw_rand(g, &u) < 0) return NULL;
    if (u < p->p) return p->horizontal ? ct__image_hflip(x) : ct__image_vflip(x);
    return ct_retain((ct_tensor *)x);
}

static ct_transform flip_make(double prob, bool horizontal) {
    if (!(prob >= 0 && prob <= 1)) {
        ct_set_error(CT_ERR_VALUE, "Random%sFlip: p must be in [0, 1], got %g",
                     horizontal ? "Horizontal" : "Vertical", prob);
        return NONE;
    }
    flip_p p = {prob, horizontal};
    return make(flip_apply, &p, sizeof p);
}

ct_transform ct_transform_random_horizontal_flip(double p) { return flip_make(p, true); }
ct_transform ct_transform_random_vertical_flip(double p) { return flip_make(p, false); }

/* ---------------------------------------------------------------- ColorJitter */
typedef struct jitter_p {
    bool has[4];
    double range[4][2];
} jitter_p;

static ct_tensor *jitter_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    const jitter_p *p = ctx;
    int64_t order[4];
    double f[4] = {0};
    if (draw_randperm(g, 4, order) < 0) return NULL;
    for (int k = 0; k < 4; k++)
        if (p->has[k] && draw_uniform(g, p->range[k][0], p->range[k][1], &f[k]) < 0) return NULL;
    ct_tensor *cur = ct_retain((ct_tensor *)x);
    for (int k = 0; k < 4 && cur; k++) {
        int64_t id = order[k];
        if (!p->has[id]) continue;
        ct_tensor *nx = id == 0   ? ct__image_adjust_brightness(cur, f[0])
                        : id == 1 ? ct__image_adjust_contrast(cur, f[1])
                        : id == 2 ? ct__image_adjust_saturation(cur, f[2])
                                  : ct__image_adjust_hue(cur, f[3]);
        ct_release(cur);
        cur = nx;
    }
    return cur;
}

ct_transform ct_transform_color_jitter(const double brightness[2], const double contrast[2],
                                       const double saturation[2], const double hue[2]) {
    static const char *names[] = {"brightness", "contrast", "saturation", "hue"};
    const double *r[4] = {brightness, contrast, saturation, hue};
    jitter_p p = {{false}, {{0}}};
    for (int k = 0; k < 4; k++) {
        if (!r[k]) continue;
        double center = k == 3 ? 0 : 1, lo = k == 3 ? -0.5 : 0, hi = k == 3 ? 0.5 : INFINITY;
        if (!(lo <= r[k][0] && r[k][0] <= r[k][1] && r[k][1] <= hi)) {
            ct_set_error(CT_ERR_VALUE, "%s values should be between (%g, %g), got (%g, %g)",
                         names[k], lo, hi, r[k][0], r[k][1]);
            return NONE;
        }
        /* torchvision: a range (center, center) means "do nothing" (no draw) */
        if (r[k][0] == center && r[k][1] == center) continue;
        p.has[k] = true;
        p.range[k][0] = r[k][0];
        p.range[k][1] = r[k][1];
    }
    return make(jitter_apply, &p, sizeof p);
}

/* ---------------------------------------------------------------- Grayscale */
static ct_tensor *grayscale_apply(void *ctx, const ct_tensor *x, ct_generator *g) {
    return ct__image_rgb_to_grayscale(x, (int)(intptr_t)ctx);
}

ct_transform ct_transform_grayscale(int num_output_channels) {
    if (num_output_channels != 1 && num_output_channels != 3) {
        ct_set_error(CT_ERR_VALUE, "num_output_channels should be either 1 or 3");
        return NONE;
    }
    return (ct_transform){grayscale_apply, (void *)(intptr_t)num_output_channels, NULL};
}
