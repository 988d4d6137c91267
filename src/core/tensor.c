/* Storage and tensor objects, reference counting, scopes, creation. */
#include "internal.h"

#include <pthread.h>

void (*ct__autograd_meta_free)(struct ct_autograd_meta *m);

/* Per-thread free lists of tensor and storage structs: creating a tensor is
 * a pop, not a malloc. */
#define FREELIST_MAX 256
typedef struct obj_cache {
    void *tensors[FREELIST_MAX];
    int ntensors;
    void *storages[FREELIST_MAX];
    int nstorages;
} obj_cache;
static _Thread_local obj_cache *ocache;
static pthread_key_t ocache_key;
static pthread_once_t ocache_once = PTHREAD_ONCE_INIT;

static void ocache_destroy(void *p) {
    obj_cache *c = p;
    for (int i = 0; i < c->ntensors; i++) free(c->tensors[i]);
    for (int i = 0; i < c->nstorages; i++) free(c->storages[i]);
    free(c);
}
static void ocache_key_init(void) { pthread_key_create(&ocache_key, ocache_destroy); }
static obj_cache *get_ocache(void) {
    if (CT_LIKELY(ocache != NULL)) return ocache;
    pthread_once(&ocache_once, ocache_key_init);
    ocache = calloc(1, sizeof *ocache);
    if (ocache) pthread_setspecific(ocache_key, ocache);
    return ocache;
}

static void *obj_alloc(bool tensor) {
    obj_cache *c = get_ocache();
    if (c) {
        if (tensor && c->ntensors) return c->tensors[--c->ntensors];
        if (!tensor && c->nstorages) return c->storages[--c->nstorages];
    }
    return malloc(tensor ? sizeof(ct_tensor) : sizeof(ct_storage));
}
static void obj_free(void *p, bool tensor) {
    obj_cache *c = get_ocache();
    if (c) {
        if (tensor && c->ntensors < FREELIST_MAX) {
            c->tensors[c->ntensors++] = p;
            return;
        }
        if (!tensor && c->nstorages < FREELIST_MAX) {
            c->storages[c->nstorages++] = p;
            return;
        }
    }
    free(p);
}

/* ---------------------------------------------------------------- storage */
ct_storage *ct__storage_new(size_t nbytes) {
    ct_storage *s = obj_alloc(false);
    if (!s) return NULL;
    s->data = ct_host_alloc(nbytes);
    if (!s->data) {
        obj_free(s, false);
        ct_set_error(CT_ERR_MEMORY, "out of memory: could not allocate %zu bytes", nbytes);
        return NULL;
    }
    atomic_init(&s->refcount, 1);
    s->nbytes = nbytes;
    s->device = CT_DEVICE_CPU;
    s->deleter = NULL;
    s->deleter_ctx = NULL;
    atomic_init(&s->version, 0);
    return s;
}

ct_storage *ct__storage_wrap(void *data, size_t nbytes, ct_device dev,
                             void (*deleter)(void *ctx, void *data), void *deleter_ctx) {
    ct_storage *s = obj_alloc(false);
    if (!s) {
        ct_set_error(CT_ERR_MEMORY, "out of memory allocating a storage");
        return NULL;
    }
    atomic_init(&s->refcount, 1);
    s->data = data;
    s->nbytes = nbytes;
    s->device = dev;
    s->deleter = deleter;
    s->deleter_ctx = deleter_ctx;
    atomic_init(&s->version, 0);
    return s;
}

void ct__storage_release(ct_storage *s) {
    if (!s) return;
    if (atomic_fetch_sub_explicit(&s->refcount, 1, memory_order_acq_rel) != 1) return;
    if (s->deleter) s->deleter(s->deleter_ctx, s->data);
    else ct_host_free(s->data, s->nbytes);
    obj_free(s, false);
}

/* ---------------------------------------------------------------- tensors */
void ct__contiguous_strides(const int64_t *sizes, int ndim, int64_t *strides) {
    int64_t st = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = st;
        st *= sizes[i] > 1 ? sizes[i] : 1;
    }
}

int64_t ct__shape_numel(const int64_t *sizes, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= sizes[i];
    return n;
}

ct_tensor *ct__tensor_new(ct_storage *s, ct_dtype dt, const int64_t *sizes,
                          const int64_t *strides, int ndim, int64_t offset) {
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "tensor: %d dimensions requested, at most %d supported",
                       ndim, CT_MAX_DIMS);
    ct_tensor *t = obj_alloc(true);
    if (!t) return CT_FAIL(CT_ERR_MEMORY, "out of memory allocating a tensor");
    atomic_init(&t->refcount, 1);
    t->dtype = dt;
    t->ndim = ndim;
    t->offset = offset;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        t->sizes[i] = sizes[i];
        n *= sizes[i];
    }
    t->numel = n;
    if (strides)
        for (int i = 0; i < ndim; i++) t->strides[i] = strides[i];
    else
        ct__contiguous_strides(sizes, ndim, t->strides);
    atomic_fetch_add_explicit(&s->refcount, 1, memory_order_relaxed);
    t->storage = s;
    t->wrapped_number = false;
    t->requires_grad = false;
    t->autograd = NULL;
    t->pyobj = NULL;
    return t;
}

ct_tensor *ct__empty(const int64_t *sizes, int ndim, ct_dtype dt) {
    if ((unsigned)dt >= CT_NUM_DTYPES) return CT_FAIL(CT_ERR_TYPE, "empty: invalid dtype %d", dt);
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "empty: %d dimensions requested, at most %d supported",
                       ndim, CT_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0) {
            char b[160];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "empty: Trying to create tensor with negative dimension %lld: %s",
                           (long long)sizes[i], ct_shape_str(sizes, ndim, b, sizeof b));
        }
        if (sizes[i] && n > INT64_MAX / sizes[i] / 8) {
            char b[160];
            return CT_FAIL(CT_ERR_MEMORY, "empty: tensor of shape %s is too large",
                           ct_shape_str(sizes, ndim, b, sizeof b));
        }
        n *= sizes[i];
    }
    ct_storage *s = ct__storage_new((size_t)n * ct_dtype_size(dt));
    if (!s) {
        char b[160];
        return CT_FAIL(CT_ERR_MEMORY,
                       "empty: out of memory allocating %lld bytes for a %s tensor of shape %s",
                       (long long)(n * (int64_t)ct_dtype_size(dt)), ct_dtype_name(dt),
                       ct_shape_str(sizes, ndim, b, sizeof b));
    }
    /* Hand the storage's only reference to the tensor: no retain/release
     * pair (two atomic ops) on the hot path of every new tensor. */
    atomic_store_explicit(&s->refcount, 0, memory_order_relaxed);
    ct_tensor *t = ct__tensor_new(s, dt, sizes, NULL, ndim, 0);
    if (!t) {
        atomic_store_explicit(&s->refcount, 1, memory_order_relaxed);
        ct__storage_release(s);
    }
    return t;
}

ct_tensor *ct_retain(ct_tensor *t) {
    if (t) atomic_fetch_add_explicit(&t->refcount, 1, memory_order_relaxed);
    return t;
}

void ct_release(ct_tensor *t) {
    if (!t) return;
    if (atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) != 1) return;
    if (t->autograd && ct__autograd_meta_free) ct__autograd_meta_free(t->autograd);
    ct__storage_release(t->storage);
    obj_free(t, true);
}

int64_t ct_size(const ct_tensor *t, int d) { return t->sizes[d < 0 ? d + t->ndim : d]; }
int64_t ct_stride(const ct_tensor *t, int d) { return t->strides[d < 0 ? d + t->ndim : d]; }

bool ct_is_contiguous(const ct_tensor *t) {
    int64_t st = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->sizes[i] == 1) continue;
        if (t->strides[i] != st) return t->numel == 0;
        st *= t->sizes[i];
    }
    return true;
}

/* ---------------------------------------------------------------- scopes */
typedef struct scope_stack {
    ct_tensor **items;
    size_t len, cap;
    int open; /* number of open scopes */
} scope_stack;
static _Thread_local scope_stack scopes;
/* The item array of a thread's scope stack is freed when the thread exits. */
static pthread_key_t scopes_key;
static pthread_once_t scopes_once = PTHREAD_ONCE_INIT;
static void scopes_destroy(void *p) {
    scope_stack *st = p;
    while (st->len > 0) ct_release(st->items[--st->len]);
    free(st->items);
    st->items = NULL;
    st->cap = 0;
}
static void scopes_key_init(void) { pthread_key_create(&scopes_key, scopes_destroy); }

ct_scope ct_scope_begin(void) {
    scopes.open++;
    return (ct_scope){scopes.len};
}

void ct_scope_end(ct_scope s) {
    /* Release in reverse order of creation: later tensors may depend on
     * earlier ones only through references they hold themselves. */
    while (scopes.len > s.mark) ct_release(scopes.items[--scopes.len]);
    if (scopes.open > 0) scopes.open--;
    if (scopes.open == 0 && scopes.cap > 4096) {
        free(scopes.items);
        scopes.items = NULL;
        scopes.cap = 0;
    }
}

ct_tensor *ct_autorelease(ct_tensor *t) {
    if (!t || scopes.open == 0) return t;
    if (CT_UNLIKELY(scopes.len == scopes.cap)) {
        size_t cap = scopes.cap ? scopes.cap * 2 : 64;
        ct_tensor **n = realloc(scopes.items, cap * sizeof *n);
        if (!n) { /* cannot track it: leak rather than free a live tensor */
            return t;
        }
        if (!scopes.items) {
            pthread_once(&scopes_once, scopes_key_init);
            pthread_setspecific(scopes_key, &scopes);
        }
        scopes.items = n;
        scopes.cap = cap;
    }
    scopes.items[scopes.len++] = t;
    return t;
}

ct_tensor *ct_keep(ct_tensor *t) { return ct_retain(t); }

size_t ct_scope_depth_items(void) { return scopes.len; }

/* ---------------------------------------------------------------- creation */
ct_tensor *ct_empty(const int64_t *sizes, int ndim, ct_dtype dtype) {
    return ct_autorelease(ct__empty(sizes, ndim, dtype));
}

ct_tensor *ct_empty_like(const ct_tensor *t) {
    /* preserve_format: laid out as t (kernels/cpu/iter.c) */
    return ct_autorelease(ct__empty_like_layout(t, t->dtype, CT_DEVICE_CPU));
}

static void borrowed_memory(void *ctx, void *data) {
    (void)ctx;
    (void)data; /* owned by the caller of ct_from_blob */
}

ct_tensor *ct_from_blob(void *data, const int64_t *sizes, const int64_t *strides, int ndim,
                        ct_dtype dtype, void (*deleter)(void *, void *), void *deleter_ctx) {
    ct_storage *s = obj_alloc(false);
    if (!s) return CT_FAIL(CT_ERR_MEMORY, "from_blob: out of memory");
    atomic_init(&s->refcount, 1);
    s->data = data;
    /* nbytes: the extent the view addresses */
    int64_t extent = 1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] == 0) extent = 0;
        else if (extent) extent += (sizes[i] - 1) * (strides ? strides[i] : 0);
    }
    if (!strides) extent = ct__shape_numel(sizes, ndim);
    s->nbytes = (size_t)extent * ct_dtype_size(dtype);
    s->device = CT_DEVICE_CPU;
    s->deleter = deleter ? deleter : borrowed_memory;
    s->deleter_ctx = deleter_ctx;
    atomic_init(&s->version, 0);
    ct_tensor *t = ct__tensor_new(s, dtype, sizes, strides, ndim, 0);
    ct__storage_release(s);
    return ct_autorelease(t);
}

ct_tensor *ct_from_data(const void *data, const int64_t *sizes, int ndim, ct_dtype dtype) {
    ct_tensor *t = ct__empty(sizes, ndim, dtype);
    if (!t) return NULL;
    memcpy(ct_data_ptr(t), data, (size_t)t->numel * ct_dtype_size(dtype));
    return ct_autorelease(t);
}

ct_tensor *ct_scalar_tensor(double v, ct_dtype dtype) {
    ct_tensor *t = ct__empty(NULL, 0, dtype);
    if (!t) return NULL;
    ct__store_f64(ct_data_ptr(t), dtype, v);
    return ct_autorelease(t);
}

static ct_tensor *wrapped(ct_dtype dt) {
    ct_tensor *t = ct__empty(NULL, 0, dt);
    if (t) t->wrapped_number = true;
    return t;
}
ct_tensor *ct_wrapped_float(double v) {
    ct_tensor *t = wrapped(CT_FLOAT64);
    if (t) *(double *)ct_data_ptr(t) = v;
    return ct_autorelease(t);
}
ct_tensor *ct_wrapped_int(int64_t v) {
    ct_tensor *t = wrapped(CT_INT64);
    if (t) *(int64_t *)ct_data_ptr(t) = v;
    return ct_autorelease(t);
}
ct_tensor *ct_wrapped_bool(bool v) {
    ct_tensor *t = wrapped(CT_BOOL);
    if (t) *(bool *)ct_data_ptr(t) = v;
    return ct_autorelease(t);
}

static const char *elem_ptr(const ct_tensor *t, int64_t flat) {
    int64_t off = t->offset;
    for (int i = t->ndim - 1; i >= 0; i--) {
        int64_t sz = t->sizes[i];
        off += (flat % sz) * t->strides[i];
        flat /= sz;
    }
    return (const char *)t->storage->data + off * (int64_t)ct_dtype_size(t->dtype);
}

/* The element's bytes where the host can read them: in place on the CPU,
 * copied into *buf from a GPU (a synchronising copy, as PyTorch's item()). */
static const char *elem_host(const ct_tensor *t, int64_t flat, uint64_t *buf) {
    if (ct__on_cpu(t)) return elem_ptr(t, flat);
    *buf = 0;
    int64_t off = (elem_ptr(t, flat) - (const char *)t->storage->data) /
                  (int64_t)ct_dtype_size(t->dtype);
    ct_tensor *v = ct__tensor_new(t->storage, t->dtype, NULL, NULL, 0, off);
    ct_tensor *h = v ? ct__empty(NULL, 0, t->dtype) : NULL;
    if (h && ct__cuda->copy(h, v) == 0) memcpy(buf, ct_data_ptr(h), ct_dtype_size(t->dtype));
    ct_release(v);
    ct_release(h);
    return (const char *)buf;
}

double ct_item_at(const ct_tensor *t, int64_t flat) {
    uint64_t buf;
    return ct__load_f64(elem_host(t, flat, &buf), t->dtype);
}
int64_t ct_item_at_int(const ct_tensor *t, int64_t flat) {
    uint64_t buf;
    return ct__load_i64(elem_host(t, flat, &buf), t->dtype);
}

int ct_item(const ct_tensor *t, double *out) {
    if (t->numel != 1) {
        ct_set_error(CT_ERR_RUNTIME,
                     "item: a Tensor with %lld elements cannot be converted to Scalar (shape %s)",
                     (long long)t->numel, ct__shp(t));
        return -1;
    }
    *out = ct_item_at(t, 0);
    return 0;
}
