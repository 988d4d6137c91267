/* Pixel shuffles (views and a reshape), one_hot, max_unpool2d (values
 * scattered to their indices; its derivative gathers there) and bilinear
 * (an einsum). The composed ops open a scope, keep their result and hand it
 * to the caller's scope; their parts record themselves for autograd. */
#include "nn/nn_internal.h"
#include "nn/nn_gpu_internal.h"

#include "ctorch/nn_extra.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

/* Ends the scope, handing r (scope-owned or NULL) to the caller's scope. */
static ct_tensor *finish(ct_scope sc, ct_tensor *r) {
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

/* ---------------------------------------------------------------- pixel shuffles */
static int shuffle_check(const char *op, const char *what, const ct_tensor *x, int64_t r) {
    if (!x) {
        ct_set_error(CT_ERR_VALUE, "%s: input is required", op);
        return -1;
    }
    if (x->ndim < 3) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s expects input to have at least 3 dimensions, but got input with %d dimension(s)",
                     op, x->ndim);
        return -1;
    }
    if (r <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s expects a positive %s, but got %lld", op, what, (long long)r);
        return -1;
    }
    if (x->ndim + 2 > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "%s: input of %d dimensions has more than %d once split", op,
                     x->ndim, CT_MAX_DIMS);
        return -1;
    }
    return 0;
}

/* [*, C, H, W] split into [*, s0, s1, s2, s3, s4], permuted by perm (over
 * the last 5 dims) and reshaped to [*, o0, o1, o2]. */
static ct_tensor *shuffle(const ct_tensor *x, const int64_t split[5], const int perm5[5],
                          const int64_t outs[3]) {
    int nb = x->ndim - 3;
    int64_t s[CT_MAX_DIMS], o[CT_MAX_DIMS];
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nb; i++) s[i] = o[i] = x->sizes[i], perm[i] = i;
    for (int i = 0; i < 5; i++) s[nb + i] = split[i], perm[nb + i] = nb + perm5[i];
    for (int i = 0; i < 3; i++) o[nb + i] = outs[i];
    ct_scope sc = ct_scope_begin();
    ct_tensor *v = ct_reshape(x, s, nb + 5);
    ct_tensor *p = v ? ct_permute(v, perm, nb + 5) : NULL;
    return finish(sc, p ? ct_reshape(p, o, nb + 3) : NULL);
}

ct_tensor *ct_pixel_shuffle(const ct_tensor *x, int64_t r) {
    if (shuffle_check("pixel_shuffle", "upscale_factor", x, r) < 0) return NULL;
    int nd = x->ndim;
    int64_t c = x->sizes[nd - 3], h = x->sizes[nd - 2], w = x->sizes[nd - 1];
    if (c % (r * r) != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                       "square of upscale_factor, but input.size(-3)=%lld is not divisible by %lld",
                       (long long)c, (long long)(r * r));
    const int64_t split[5] = {c / (r * r), r, r, h, w}, outs[3] = {c / (r * r), h * r, w * r};
    return shuffle(x, split, (const int[]){0, 3, 1, 4, 2}, outs);
}

ct_tensor *ct_pixel_unshuffle(const ct_tensor *x, int64_t r) {
    if (shuffle_check("pixel_unshuffle", "downscale_factor", x, r) < 0) return NULL;
    int nd = x->ndim;
    int64_t c = x->sizes[nd - 3], h = x->sizes[nd - 2], w = x->sizes[nd - 1];
    if (h % r != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "pixel_unshuffle expects height to be divisible by downscale_factor, but "
                       "input.size(-2)=%lld is not divisible by %lld",
                       (long long)h, (long long)r);
    if (w % r != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "pixel_unshuffle expects width to be divisible by downscale_factor, but "
                       "input.size(-1)=%lld is not divisible by %lld",
                       (long long)w, (long long)r);
    const int64_t split[5] = {c, h / r, r, w / r, r}, outs[3] = {c * r * r, h / r, w / r};
    return shuffle(x, split, (const int[]){0, 2, 4, 1, 3}, outs);
}

/* ---------------------------------------------------------------- one_hot */
ct_tensor *ct_one_hot(const ct_tensor *x, int64_t num_classes) {
    if (!x || x->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "one_hot is only applicable to index tensor.");
    if (x->ndim + 1 > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "one_hot: input of %d dimensions has no room for the classes",
                       x->ndim);
    int64_t sizes[CT_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) sizes[i] = x->sizes[i];
    if (x->numel == 0 && num_classes <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Can not infer total number of classes from empty tensor.");
    /* the values are checked on the host (a copy from a GPU, where the
     * result is zeros with ones scattered along the last dim) */
    ct_tensor *xc = ct__on_cpu(x) ? ct__contiguous(x) : ct__nn_host(x, CT_INT64);
    if (!xc) return NULL;
    const int64_t *v = ct_data_ptr(xc);
    int64_t n = x->numel, lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || v[i] < lo) lo = v[i];
        if (i == 0 || v[i] > hi) hi = v[i];
    }
    const char *err = NULL;
    if (n > 0 && lo < 0) err = "Class values must be non-negative.";
    else if (n > 0 && num_classes == -1) num_classes = hi + 1;
    else if (n > 0 && num_classes <= hi) err = "Class values must be smaller than num_classes.";
    if (err) {
        ct_release(xc);
        return CT_FAIL(CT_ERR_RUNTIME, "%s", err);
    }
    sizes[x->ndim] = num_classes;
    if (!ct__on_cpu(x)) {
        ct_release(xc);
        ct_tensor *z = ct__nn_zeros_on(sizes, x->ndim + 1, CT_INT64, x->storage->device), *r = NULL;
        if (!z || n == 0) return z ? ct_autorelease(z) : NULL;
        ct_scope sc = ct_scope_begin();
        ct_tensor *xi = ct_unsqueeze(x, -1);
        if (xi && ct_scatter_value_(z, -1, xi, 1)) r = z;
        ct_scope_end(sc);
        if (!r) ct_release(z);
        return r ? ct_autorelease(r) : NULL;
    }
    ct_tensor *y = ct__empty(sizes, x->ndim + 1, CT_INT64);
    if (y) {
        int64_t *o = ct_data_ptr(y);
        memset(o, 0, (size_t)y->numel * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) o[i * num_classes + v[i]] = 1;
    }
    ct_release(xc);
    return y ? ct_autorelease(y) : NULL;
}

/* ---------------------------------------------------------------- max_unpool */
/* y [np][ohw] = 0 except y[p][idx[p][k]] = x[p][k]; returns -1 and an
 * offending index in *bad when any is out of range (the last one, as
 * PyTorch reports it, when a single thread runs). */
#define UNPOOL(NAME, T)                                                                           \
    static int NAME(const T *x, const int64_t *idx, T *y, int64_t np, int64_t hw, int64_t ohw,    \
                    int64_t *bad) {                                                               \
        int failed = 0;                                                                           \
        int64_t badv = 0;                                                                         \
        _Pragma("omp parallel for schedule(static) if (np * (hw + ohw) >= CT_GRAIN)")            \
        for (int64_t p = 0; p < np; p++) {                                                        \
            T *yp = y + p * ohw;                                                                  \
            const T *xp = x + p * hw;                                                             \
            const int64_t *ip = idx + p * hw;                                                     \
            for (int64_t i = 0; i < ohw; i++) yp[i] = 0;                                          \
            for (int64_t k = 0; k < hw; k++) {                                                    \
                int64_t j = ip[k];                                                                \
                if (j < 0 || j >= ohw) {                                                          \
                    _Pragma("omp critical(ct_unpool_bad)") {                                      \
                        failed = 1;                                                               \
                        badv = j;                                                                 \
                    }                                                                             \
                    continue;                                                                     \
                }                                                                                 \
                yp[j] = xp[k];                                                                    \
            }                                                                                     \
        }                                                                                         \
        *bad = badv;                                                                              \
        return failed ? -1 : 0;                                                                   \
    }
UNPOOL(unpool_f32, float)
UNPOOL(unpool_f64, double)

/* max_unpool2d on a GPU (arguments checked): the indices are checked on a
 * host copy, then the values are scattered into zeros along the flattened
 * plane (ct_scatter: differentiable, its backward a gather). Where an
 * index repeats within a plane, which value lands is unspecified, as in
 * PyTorch's CUDA kernel. */
static ct_tensor *max_unpool2d_gpu(const ct_tensor *x, const ct_tensor *indices, int64_t OH, int64_t OW) {
    int nd = x->ndim;
    int64_t sizes[4], hw = x->sizes[nd - 2] * x->sizes[nd - 1], ohw = OH * OW;
    int64_t np = hw ? x->numel / hw : 0;
    for (int i = 0; i < nd - 2; i++) sizes[i] = x->sizes[i];
    sizes[nd - 2] = OH, sizes[nd - 1] = OW;
    ct_tensor *h = ct__nn_host(indices, CT_INT64);
    if (!h) return NULL;
    const int64_t *iv = ct_data_ptr(h);
    int64_t bad = 0;
    bool any = false;
    for (int64_t k = 0; ohw && k < h->numel; k++) /* the last one, as PyTorch reports it */
        if (iv[k] < 0 || iv[k] >= ohw) bad = iv[k], any = true;
    ct_release(h);
    if (any)
        return CT_FAIL(CT_ERR_RUNTIME, "Found an invalid max index: %lld (output volumes are of size %lldx%lld)",
                       (long long)bad, (long long)OH, (long long)OW);
    ct_tensor *z = ct__nn_zeros_on((const int64_t[]){np, ohw}, 2, x->dtype, x->storage->device), *r = NULL;
    if (!z) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_autorelease(z);
    ct_tensor *y = z;
    if (np && ohw) {
        ct_tensor *x2 = ct_reshape(x, (const int64_t[]){np, hw}, 2);
        ct_tensor *i2 = x2 ? ct_reshape(indices, (const int64_t[]){np, hw}, 2) : NULL;
        y = i2 ? ct_scatter(z, 1, i2, x2) : NULL;
    }
    y = y ? ct_reshape(y, sizes, nd) : NULL;
    if (y) r = ct_keep(y);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_max_unpool2d(const ct_tensor *x, const ct_tensor *indices,
                           const int64_t output_size[2]) {
    const char *op = "max_unpool2d";
    if (!x || !indices || !output_size)
        return CT_FAIL(CT_ERR_VALUE, "%s: input, indices and output_size are required", op);
    if (indices->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "elements in indices should be type int64 but got: %s",
                       type_name(indices->dtype));
    if (x->ndim != 3 && x->ndim != 4)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with %d dimensions.",
                       x->ndim);
    bool same = x->ndim == indices->ndim;
    for (int i = 0; same && i < x->ndim; i++) same = x->sizes[i] == indices->sizes[i];
    if (!same)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected shape of indices to be same as that of the input tensor (%s) but got indices tensor with shape: %s",
                       ct__shp(x), ct__shp(indices));
    for (int i = 1; i < x->ndim; i++)
        if (x->sizes[i] == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "max_unpooling2d_forward_out_cpu(): Expected input to have non-zero size for non-batch dimensions, but got %s with dimension %d being empty.",
                           ct__shp(x), i);
    int64_t OH = output_size[0], OW = output_size[1];
    if (OH < 0 || OW < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "%s: output_size must be non-negative, got (%lld, %lld)", op,
                       (long long)OH, (long long)OW);
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, type_name(x->dtype));
    if (ct__nn_check_dev(op, x, indices) < 0) return NULL;
    if (!ct__on_cpu(x)) return max_unpool2d_gpu(x, indices, OH, OW);
    int nd = x->ndim;
    int64_t sizes[4];
    for (int i = 0; i < nd - 2; i++) sizes[i] = x->sizes[i];
    sizes[nd - 2] = OH, sizes[nd - 1] = OW;
    ct_tensor *y = ct__empty(sizes, nd, x->dtype);
    if (!y) return NULL;
    int64_t hw = x->sizes[nd - 2] * x->sizes[nd - 1], ohw = OH * OW;
    int64_t np = hw ? x->numel / hw : 0;
    if (ohw == 0 || np == 0) {
        if (y->numel) memset(ct_data_ptr(y), 0, (size_t)y->numel * ct_dtype_size(y->dtype));
    } else {
        ct_tensor *xc = ct__contiguous(x), *ic = xc ? ct__contiguous(indices) : NULL;
        int64_t bad = 0;
        int rc = -1;
        if (ic)
            rc = x->dtype == CT_FLOAT32
                     ? unpool_f32(ct_data_ptr(xc), ct_data_ptr(ic), ct_data_ptr(y), np, hw, ohw, &bad)
                     : unpool_f64(ct_data_ptr(xc), ct_data_ptr(ic), ct_data_ptr(y), np, hw, ohw, &bad);
        if (ic && rc < 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "Found an invalid max index: %lld (output volumes are of size %lldx%lld)",
                         (long long)bad, (long long)OH, (long long)OW);
        ct_release(xc);
        ct_release(ic);
        if (rc < 0) {
            ct_release(y);
            return NULL;
        }
    }
    ct_op_args a = {.dims = {OH, OW}, .ndims = 2};
    y = ct__nn_record(CT_OP_max_unpool2d, y, (const ct_tensor *[]){x}, 1,
                      (const ct_tensor *[]){indices}, 1, &a);
    return y ? ct_autorelease(y) : NULL;
}

ct_tensor *ct_max_unpool1d(const ct_tensor *x, const ct_tensor *indices, int64_t output_size) {
    if (!x || !indices) return CT_FAIL(CT_ERR_VALUE, "max_unpool1d: input and indices are required");
    ct_scope sc = ct_scope_begin();
    ct_tensor *x2 = ct_unsqueeze(x, -1), *i2 = ct_unsqueeze(indices, -1), *r = NULL;
    if (x2 && i2) r = ct_max_unpool2d(x2, i2, (const int64_t[]){output_size, 1});
    return finish(sc, r ? ct_squeeze_dim(r, -1) : NULL);
}

int64_t ct_max_unpool_default_size(int64_t in, int64_t k, int64_t s, int64_t p) {
    return (in - 1) * s + k - 2 * p;
}

/* ---------------------------------------------------------------- bilinear */
ct_tensor *ct_bilinear(const ct_tensor *x1, const ct_tensor *x2, const ct_tensor *weight,
                       const ct_tensor *bias) {
    if (!x1 || !x2 || !weight)
        return CT_FAIL(CT_ERR_VALUE, "bilinear(): input1, input2 and weight are required");
    if (x1->ndim != x2->ndim)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): input dimensions do not match: got %d and %d",
                       x1->ndim, x2->ndim);
    int nd = x1->ndim;
    if (nd == 0)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): expected inputs of at least 1 dimension, got %s and %s",
                       ct__shp(x1), ct__shp(x2));
    int64_t batch = 1;
    for (int i = 0; i < nd - 1; i++) {
        if (x1->sizes[i] != x2->sizes[i])
            return CT_FAIL(CT_ERR_RUNTIME,
                           "bilinear(): input batch dimensions do not match at dim %d: got %lld and %lld",
                           i, (long long)x1->sizes[i], (long long)x2->sizes[i]);
        batch *= x1->sizes[i];
    }
    if (weight->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): expected a 3-d weight [out, in1, in2], but got %s",
                       ct__shp(weight));
    int64_t O = weight->sizes[0], I1 = weight->sizes[1], I2 = weight->sizes[2];
    if (x1->sizes[nd - 1] != I1)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): input1 size does not match weight size: got %lld but expected %lld",
                       (long long)x1->sizes[nd - 1], (long long)I1);
    if (x2->sizes[nd - 1] != I2)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): input2 size does not match weight size: got %lld but expected %lld",
                       (long long)x2->sizes[nd - 1], (long long)I2);
    if (bias && bias->ndim == 0)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): expected a bias of 1 dimension [%lld], but got a 0-d tensor",
                       (long long)O);
    if (bias && bias->sizes[0] != O)
        return CT_FAIL(CT_ERR_RUNTIME, "bilinear(): bias size does not match weight size: got %lld but expected %lld",
                       (long long)bias->sizes[0], (long long)O);
    int64_t out[CT_MAX_DIMS];
    for (int i = 0; i < nd - 1; i++) out[i] = x1->sizes[i];
    out[nd - 1] = O;
    ct_scope sc = ct_scope_begin();
    ct_tensor *a = ct_reshape(x1, (const int64_t[]){batch, I1}, 2);
    ct_tensor *b = a ? ct_reshape(x2, (const int64_t[]){batch, I2}, 2) : NULL;
    ct_tensor *y = b ? ct_einsum("bi,oij,bj->bo", (const ct_tensor *[]){a, weight, b}, 3) : NULL;
    if (y) y = ct_reshape(y, out, nd);
    if (y && bias) y = ct_add(y, bias);
    return finish(sc, y);
}
