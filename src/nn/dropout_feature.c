/* Feature dropout (dropout1d/2d/3d) and alpha dropout (plain and feature),
 * PyTorch 1.13's _dropout_impl: one Bernoulli(1 - p) draw per channel (per
 * element for alpha_dropout) into a noise tensor of the mask's shape, drawn
 * like PyTorch's empty(mask shape).bernoulli_(1 - p), then
 * out = x * mul (+ add), where mul and add are per channel. The gradient is
 * g * mul. The in-place forms apply the same tensors with mul_ / add_. */
#include "ctorch/ctorch.h"
#include "nn/embpool_internal.h"

#include <math.h>

enum { M_ELEMENT, M_BATCHED, M_DROPOUT1D, M_DROPOUT3D };

#define SELU_ALPHA 1.7580993408473766

/* out [np][inner] = x * mul[r] (+ add[r]), x contiguous. */
#define APPLY(T)                                                                         \
    do {                                                                                 \
        const T *xs = (const T *)xp, *ms = (const T *)mp, *as = (const T *)ap;           \
        T *os = (T *)op;                                                                 \
        _Pragma("omp parallel for schedule(static) if (np * inner >= CT_GRAIN)")         \
        for (int64_t r = 0; r < np; r++) {                                               \
            const T *xr = xs + r * inner;                                                \
            T *orow = os + r * inner, m = ms[r];                                         \
            if (as) {                                                                    \
                T a = as[r];                                                             \
                for (int64_t j = 0; j < inner; j++) orow[j] = xr[j] * m + a;             \
            } else {                                                                     \
                for (int64_t j = 0; j < inner; j++) orow[j] = xr[j] * m;                 \
            }                                                                            \
        }                                                                                \
    } while (0)

/* The mask's shape for x (same ndim); -1 with PyTorch's messages. */
static int mask_shape(const char *name, int mode, const ct_tensor *x, int64_t *ms) {
    int nd = x->ndim, nfeat; /* leading dims of x the mask keeps */
    switch (mode) {
    case M_ELEMENT: nfeat = nd; break;
    case M_BATCHED: nfeat = 2; break;
    case M_DROPOUT1D: nfeat = nd == 3 ? 2 : 1; break;
    default: nfeat = nd == 5 ? 2 : 1; break;
    }
    if ((mode == M_BATCHED && nd < 2) || (mode == M_DROPOUT3D && nd < 1)) {
        ct_set_error(CT_ERR_RUNTIME, "Feature dropout requires at least 2 dimensions in the input");
        return -1;
    }
    (void)name;
    for (int d = 0; d < nd; d++) ms[d] = d < nfeat ? x->sizes[d] : 1;
    return 0;
}

/* The mul (and for alpha, add) tensors of the mask's shape; owned. */
static int draw_masks(const ct_tensor *x, const int64_t *ms, double p, bool alpha, ct_generator *g,
                      ct_tensor **mul, ct_tensor **add) {
    *mul = *add = NULL;
    ct_tensor *noise = ct__empty(ms, x->ndim, x->dtype);
    ct_tensor *a = alpha ? ct__empty(ms, x->ndim, x->dtype) : NULL;
    if (!noise || (alpha && !a)) goto fail;
    int64_t n = noise->numel;
    if (p < 1 && n > 0) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *ok = ct_bernoulli_(noise, 1.0 - p, g);
        ct_scope_end(sc);
        if (!ok) goto fail;
    }
    char *np_ = ct_data_ptr(noise), *ap_ = a ? ct_data_ptr(a) : NULL;
    size_t es = ct_dtype_size(x->dtype);
    double am = 1.0 / sqrt((SELU_ALPHA * SELU_ALPHA * p + 1) * (1 - p));
    for (int64_t i = 0; i < n; i++) {
        double keep = p < 1 ? ct__load_f64(np_ + i * es, x->dtype) : 0.0;
        if (p >= 1) {
            ct__store_f64(np_ + i * es, x->dtype, 0.0);
            if (a) ct__store_f64(ap_ + i * es, x->dtype, 0.0);
        } else if (alpha) {
            ct__store_f64(np_ + i * es, x->dtype, keep * am);
            ct__store_f64(ap_ + i * es, x->dtype, (keep - 1) * SELU_ALPHA * am + SELU_ALPHA * am * p);
        } else {
            ct__store_f64(np_ + i * es, x->dtype, keep / (1 - p));
        }
    }
    *mul = noise, *add = a;
    return 0;
fail:
    ct_release(noise), ct_release(a);
    return -1;
}

static ct_tensor *feature_dropout(int opid, const char *name, int mode, bool alpha, ct_tensor *x, double p,
                                  bool training, ct_generator *g, bool inplace) {
    if (!x) return CT_FAIL(CT_ERR_VALUE, "%s: input must not be NULL", name);
    if (!(p >= 0 && p <= 1))
        return CT_FAIL(CT_ERR_VALUE, "dropout probability has to be between 0 and 1, but got %g", p);
    if (mode == M_DROPOUT1D && x->ndim != 2 && x->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "dropout1d: Expected 2D or 3D input, but received a %dD input. Note that dropout1d exists "
                       "to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, "
                       "and an optional batch dimension (i.e. 2D or 3D inputs).",
                       x->ndim);
    if (!training || p == 0 || x->numel == 0) return inplace ? x : ct_alias(x);
    if (!ct_dtype_is_floating(x->dtype)) {
        static const char *const names[CT_NUM_DTYPES] = {"Bool", "Byte", "Char", "Short", "Int",
                                                         "Long", "Half", "BFloat16", "Float", "Double"};
        return CT_FAIL(CT_ERR_RUNTIME, "result type Float can't be cast to the desired output type %s",
                       names[x->dtype]);
    }
    int64_t ms[CT_MAX_DIMS];
    ct_tensor *mul, *add;
    if (mask_shape(name, mode, x, ms) < 0 || draw_masks(x, ms, p, alpha, g, &mul, &add) < 0) return NULL;
    if (!ct__on_cpu(x)) {
        /* x on a GPU: the masks (drawn on the CPU) move there, the product
         * goes through the pointwise ops (which record themselves) */
        ct_device dev = x->storage->device;
        ct_scope sc = ct_scope_begin();
        ct_tensor *m = ct_to_device(mul, dev), *a = add ? ct_to_device(add, dev) : NULL, *r = NULL;
        if (m && (!add || a)) {
            if (inplace) {
                r = ct_mul_(x, m);
                if (r && a) r = ct_add_(x, a);
            } else {
                r = ct_mul(x, m);
                if (r && a) r = ct_add(r, a);
                if (r) ct_keep(r);
            }
        }
        ct_scope_end(sc);
        ct_release(mul), ct_release(add);
        return r && !inplace ? ct_autorelease(r) : r;
    }
    if (inplace) {
        ct_tensor *r = ct_mul_(x, mul);
        if (r && add) r = ct_add_(x, add);
        ct_release(mul), ct_release(add);
        return r;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        /* float16 / bfloat16: the same product through the pointwise ops */
        ct_scope sc = ct_scope_begin();
        ct_tensor *r = ct_mul(x, mul);
        if (r && add) r = ct_add(r, add);
        if (r) ct_keep(r);
        ct_scope_end(sc);
        ct_release(mul), ct_release(add);
        return r ? ct_autorelease(r) : NULL;
    }
    ct_tensor *xc = ct__contiguous(x), *out = ct__empty(x->sizes, x->ndim, x->dtype);
    if (!xc || !out) {
        ct_release(xc), ct_release(out), ct_release(mul), ct_release(add);
        return NULL;
    }
    int64_t np = mul->numel, inner = x->numel / np;
    const void *xp = ct_data_ptr(xc), *mp = ct_data_ptr(mul), *ap = add ? ct_data_ptr(add) : NULL;
    void *op = ct_data_ptr(out);
    CT_DISPATCH_FLOATING(x->dtype, APPLY(T));
    ct_release(xc), ct_release(add);
    ct_op_args a = {0};
    out = ct__nn_record(opid, out, (const ct_tensor *[]){x}, 1, (const ct_tensor *[]){mul}, 1, &a);
    ct_release(mul);
    return out ? ct_autorelease(out) : NULL;
}

#define DEF_DROPOUT(NAME, MODE, ALPHA)                                                                      \
    ct_tensor *ct_##NAME(const ct_tensor *x, double p, bool training, ct_generator *g) {                   \
        return feature_dropout(CT_OP_##NAME, #NAME, MODE, ALPHA, (ct_tensor *)x, p, training, g, false);   \
    }                                                                                                       \
    ct_tensor *ct_##NAME##_(ct_tensor *x, double p, bool training, ct_generator *g) {                      \
        return feature_dropout(CT_OP_##NAME, #NAME, MODE, ALPHA, x, p, training, g, true);                 \
    }
DEF_DROPOUT(dropout1d, M_DROPOUT1D, false)
DEF_DROPOUT(dropout2d, M_BATCHED, false)
DEF_DROPOUT(dropout3d, M_DROPOUT3D, false)
DEF_DROPOUT(alpha_dropout, M_ELEMENT, true)
DEF_DROPOUT(feature_alpha_dropout, M_BATCHED, true)
