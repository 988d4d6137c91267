/* Datasets (the vtable, TensorDataset, transformed datasets), transforms
 * (ToTensor, Normalize, Compose) and collation. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- datasets */
ct_dataset *ct_dataset_new(const ct_dataset_vtable *vt, int nfields, void *ctx) {
    if (!vt || !vt->length || !vt->get_item)
        return CT_DFAIL(CT_ERR_VALUE, "dataset: the vtable needs length and get_item");
    if (nfields < 1 || nfields > CT_DATA_MAX_FIELDS)
        return CT_DFAIL(CT_ERR_VALUE, "dataset: nfields must be in [1, %d], got %d",
                       CT_DATA_MAX_FIELDS, nfields);
    ct_dataset *ds = malloc(sizeof *ds);
    if (!ds) return CT_DFAIL(CT_ERR_MEMORY, "dataset: out of memory");
    ds->vt = vt;
    ds->nfields = nfields;
    ds->ctx = ctx;
    return ds;
}

void ct_dataset_free(ct_dataset *ds) {
    if (!ds) return;
    if (ds->vt->free) ds->vt->free(ds);
    free(ds);
}

int64_t ct_dataset_length(const ct_dataset *ds) { return ds->vt->length(ds); }
int ct_dataset_nfields(const ct_dataset *ds) { return ds->nfields; }

int ct__dataset_get_owned(ct_dataset *ds, int64_t index, ct_tensor **out) {
    ct_tensor *tmp[CT_DATA_MAX_FIELDS] = {0};
    ct_clear_error(); /* so that a get_item failing without a message is seen */
    if (ds->vt->get_item(ds, index, tmp) < 0) {
        if (!ct_last_error()[0])
            ct_set_error(CT_ERR_RUNTIME, "%s: get_item failed without a message",
                         ds->vt->name ? ds->vt->name : "dataset");
        return -1;
    }
    for (int f = 0; f < ds->nfields; f++) {
        if (!tmp[f]) {
            ct__data_release_all(tmp, ds->nfields);
            ct_set_error(CT_ERR_RUNTIME, "%s: get_item left field %d empty",
                         ds->vt->name ? ds->vt->name : "dataset", f);
            return -1;
        }
    }
    memcpy(out, tmp, sizeof(ct_tensor *) * (size_t)ds->nfields);
    return 0;
}

int ct_dataset_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    int64_t n = ct_dataset_length(ds);
    if (n < 0) return -1;
    int64_t i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) {
        ct_set_error(CT_ERR_INDEX, "%s: index %lld is out of range for a dataset of length %lld",
                     ds->vt->name ? ds->vt->name : "dataset", (long long)index, (long long)n);
        return -1;
    }
    if (ct__dataset_get_owned(ds, i, out) < 0) return -1;
    for (int f = 0; f < ds->nfields; f++) ct_autorelease(out[f]);
    return 0;
}

/* ---------------------------------------------------------------- TensorDataset */
typedef struct tensor_ds {
    int n;
    ct_tensor *ts[CT_DATA_MAX_FIELDS];
} tensor_ds;

static int64_t tensor_ds_length(const ct_dataset *ds) {
    const tensor_ds *c = ds->ctx;
    return c->ts[0]->sizes[0];
}

/* t[i] as an owned view, built without a scope. */
static ct_tensor *select0_owned(const ct_tensor *t, int64_t i) {
    ct_tensor *v = ct__tensor_new(t->storage, t->dtype, t->sizes + 1, t->strides + 1, t->ndim - 1,
                                  t->offset + i * t->strides[0]);
    return v;
}

static int tensor_ds_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    tensor_ds *c = ds->ctx;
    for (int f = 0; f < c->n; f++) {
        out[f] = select0_owned(c->ts[f], index);
        if (!out[f]) {
            ct__data_release_all(out, f);
            return -1;
        }
    }
    return 0;
}

static void tensor_ds_free(ct_dataset *ds) {
    tensor_ds *c = ds->ctx;
    for (int f = 0; f < c->n; f++) ct_release(c->ts[f]);
    free(c);
}

static const ct_dataset_vtable tensor_ds_vts[] = {
    {"TensorDataset", tensor_ds_length, tensor_ds_get, tensor_ds_free},
    {"MNIST", tensor_ds_length, tensor_ds_get, tensor_ds_free},
    {"CIFAR10", tensor_ds_length, tensor_ds_get, tensor_ds_free},
    {"CIFAR100", tensor_ds_length, tensor_ds_get, tensor_ds_free},
};

ct_dataset *ct_tensor_dataset(ct_tensor *const *ts, int n) {
    return ct__tensor_dataset_kind(ts, n, CT__DS_TENSOR);
}

ct_dataset *ct__tensor_dataset_kind(ct_tensor *const *ts, int n, int kind) {
    if (n < 1 || n > CT_DATA_MAX_FIELDS)
        return CT_DFAIL(CT_ERR_VALUE, "TensorDataset: expects 1 to %d tensors, got %d",
                       CT_DATA_MAX_FIELDS, n);
    for (int f = 0; f < n; f++) {
        if (!ts[f]) return CT_DFAIL(CT_ERR_VALUE, "TensorDataset: tensor %d is NULL", f);
        if (ts[f]->ndim < 1)
            return CT_DFAIL(CT_ERR_VALUE, "TensorDataset: tensor %d is 0-d; every tensor needs "
                           "a dim 0 to index", f);
        if (ts[f]->sizes[0] != ts[0]->sizes[0])
            return CT_DFAIL(CT_ERR_VALUE, "Size mismatch between tensors: tensor 0 has shape %s "
                           "and tensor %d has shape %s", ct__shp(ts[0]), f, ct__shp(ts[f]));
        if (ts[f]->storage->device.type != CT_CPU)
            return CT_DFAIL(CT_ERR_NOT_IMPL, "TensorDataset: only CPU tensors are supported");
    }
    tensor_ds *c = calloc(1, sizeof *c);
    if (!c) return CT_DFAIL(CT_ERR_MEMORY, "TensorDataset: out of memory");
    ct_dataset *ds = ct_dataset_new(&tensor_ds_vts[kind], n, c);
    if (!ds) {
        free(c);
        return NULL;
    }
    c->n = n;
    for (int f = 0; f < n; f++) c->ts[f] = ct_retain(ts[f]);
    return ds;
}

/* ---------------------------------------------------------------- transforms */
static ct_tensor *to_tensor_apply(void *ctx, const ct_tensor *x) {
    (void)ctx;
    if (x->dtype != CT_UINT8 || (x->ndim != 2 && x->ndim != 3))
        return CT_DFAIL(CT_ERR_TYPE, "ToTensor: expects a uint8 image [H, W] or [H, W, C], "
                       "got %s of dtype %s", ct__shp(x), ct_dtype_name(x->dtype));
    int64_t H = x->sizes[0], W = x->sizes[1], C = x->ndim == 3 ? x->sizes[2] : 1;
    int64_t sh = x->strides[0], sw = x->strides[1], sc = x->ndim == 3 ? x->strides[2] : 0;
    ct_tensor *out = ct__empty((const int64_t[]){C, H, W}, 3, CT_FLOAT32);
    if (!out) return NULL;
    const uint8_t *src = ct_data_ptr(x);
    float *dst = ct_data_ptr(out);
    for (int64_t c = 0; c < C; c++)
        for (int64_t h = 0; h < H; h++) {
            const uint8_t *row = src + c * sc + h * sh;
            float *orow = dst + (c * H + h) * W;
            for (int64_t w = 0; w < W; w++) orow[w] = (float)row[w * sw] / 255.0f;
        }
    return out;
}

ct_transform ct_transform_to_tensor(void) {
    return (ct_transform){to_tensor_apply, NULL, NULL};
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

static ct_tensor *normalize_apply(void *ctx, const ct_tensor *x) {
    const normalize_ctx *c = ctx;
    if (!ct_dtype_is_floating(x->dtype) || x->ndim < 1)
        return CT_DFAIL(CT_ERR_TYPE, "Normalize: expects a floating tensor [C, ...], got %s of "
                       "dtype %s", ct__shp(x), ct_dtype_name(x->dtype));
    int64_t C = x->sizes[0];
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
    int64_t inner = C ? x->numel / C : 0;
    const char *src = ct_data_ptr(xc);
    char *dst = ct_data_ptr(out);
    size_t es = ct_dtype_size(x->dtype);
    for (int64_t ch = 0; ch < C; ch++) {
        double m = c->mean[c->n == 1 ? 0 : ch], s = c->std[c->n == 1 ? 0 : ch];
        if (x->dtype == CT_FLOAT32) {
            const float *a = (const float *)src + ch * inner;
            float *o = (float *)dst + ch * inner;
            float mf = (float)m, sf = (float)s;
            for (int64_t i = 0; i < inner; i++) o[i] = (a[i] - mf) / sf;
        } else {
            for (int64_t i = 0; i < inner; i++) {
                size_t off = (size_t)(ch * inner + i) * es;
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

typedef struct compose_ctx {
    ct_transform a, b;
} compose_ctx;

static ct_tensor *compose_apply(void *ctx, const ct_tensor *x) {
    compose_ctx *c = ctx;
    ct_tensor *y = c->a.apply(c->a.ctx, x);
    if (!y) return NULL;
    ct_tensor *z = c->b.apply(c->b.ctx, y);
    ct_release(y);
    return z;
}

static void compose_free(void *p) {
    compose_ctx *c = p;
    ct_transform_free(c->a);
    ct_transform_free(c->b);
    free(c);
}

void ct_transform_free(ct_transform t) {
    if (t.free_ctx) t.free_ctx(t.ctx);
}

ct_transform ct_transform_compose(ct_transform a, ct_transform b) {
    ct_transform none = {NULL, NULL, NULL};
    if (!a.apply || !b.apply) {
        ct_transform_free(a);
        ct_transform_free(b);
        ct_set_error(CT_ERR_VALUE, "Compose: a transform has no apply function");
        return none;
    }
    compose_ctx *c = malloc(sizeof *c);
    if (!c) {
        ct_transform_free(a);
        ct_transform_free(b);
        ct_set_error(CT_ERR_MEMORY, "Compose: out of memory");
        return none;
    }
    c->a = a;
    c->b = b;
    return (ct_transform){compose_apply, c, compose_free};
}

/* ---------------------------------------------------------------- transformed dataset */
typedef struct transformed_ds {
    ct_dataset *base;
    int field;
    ct_transform tf;
} transformed_ds;

static int64_t transformed_length(const ct_dataset *ds) {
    const transformed_ds *c = ds->ctx;
    return ct_dataset_length(c->base);
}

static int transformed_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    transformed_ds *c = ds->ctx;
    if (ct__dataset_get_owned(c->base, index, out) < 0) return -1;
    ct_tensor *y = c->tf.apply(c->tf.ctx, out[c->field]);
    if (!y) {
        ct__data_release_all(out, ds->nfields);
        return -1;
    }
    ct_release(out[c->field]);
    out[c->field] = y;
    return 0;
}

static void transformed_free(ct_dataset *ds) {
    transformed_ds *c = ds->ctx;
    ct_dataset_free(c->base);
    ct_transform_free(c->tf);
    free(c);
}

static const ct_dataset_vtable transformed_vt = {"TransformedDataset", transformed_length,
                                                 transformed_get, transformed_free};

ct_dataset *ct_dataset_transform(ct_dataset *base, int field, ct_transform tf) {
    if (!base || !tf.apply) {
        ct_dataset_free(base);
        ct_transform_free(tf);
        return CT_DFAIL(CT_ERR_VALUE, "dataset_transform: needs a dataset and a transform");
    }
    if (field < 0 || field >= base->nfields) {
        int nf = base->nfields;
        ct_dataset_free(base);
        ct_transform_free(tf);
        return CT_DFAIL(CT_ERR_INDEX, "dataset_transform: field %d is out of range for items "
                       "of %d fields", field, nf);
    }
    transformed_ds *c = malloc(sizeof *c);
    ct_dataset *ds = c ? ct_dataset_new(&transformed_vt, base->nfields, c) : NULL;
    if (!ds) {
        free(c);
        ct_dataset_free(base);
        ct_transform_free(tf);
        if (!c) ct_set_error(CT_ERR_MEMORY, "dataset_transform: out of memory");
        return NULL;
    }
    c->base = base;
    c->field = field;
    c->tf = tf;
    return ds;
}

/* ---------------------------------------------------------------- collation */
ct_tensor *ct__collate_owned(ct_tensor *const *items, int64_t n) {
    if (n < 1 || n > INT32_MAX)
        return CT_DFAIL(CT_ERR_VALUE, "collate: expects 1 to %d items, got %lld", INT32_MAX,
                       (long long)n);
    for (int64_t i = 1; i < n; i++)
        if (items[i]->dtype != items[0]->dtype)
            return CT_DFAIL(CT_ERR_TYPE, "collate: item 0 has dtype %s but item %lld has dtype %s",
                           ct_dtype_name(items[0]->dtype), (long long)i,
                           ct_dtype_name(items[i]->dtype));
    ct_scope s = ct_scope_begin();
    ct_tensor *out = ct_stack((const ct_tensor *const *)items, (int)n, 0);
    if (out) ct_keep(out);
    ct_scope_end(s);
    return out;
}

ct_tensor *ct_collate(ct_tensor *const *items, int64_t n) {
    return ct_autorelease(ct__collate_owned(items, n));
}
