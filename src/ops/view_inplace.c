/* In-place view ops (t_, transpose_, squeeze_, unsqueeze_, as_strided_) and
 * storage ops (resize_, resize_as_, set_), plus fill_diagonal_.
 *
 * A view op in place is its out-of-place view whose geometry (and, under
 * autograd, whose history) the tensor then takes over: the out-of-place op
 * has done every check and recorded its node over the tensor's old history,
 * so the graph is PyTorch's (x.t_() has grad_fn TBackward whose input is
 * the old x) with no derivative of its own. */
#include "internal.h"
#include "autograd/ag_internal.h"
#include "autograd/inplace.h"

/* True when an in-place op on t would be recorded; then refuses a leaf that
 * requires grad (or a view of one) with PyTorch's message (-1). */
static int grad_check(ct_tensor *t, bool *grad) {
    const ct_tensor *in[1] = {t};
    *grad = ct__needs_grad(in, 1);
    if (*grad && ct__ag_inplace_begin(-1, t, in, 1) < 0) return -1;
    return 0;
}

static void take_geometry(ct_tensor *t, const ct_tensor *v) {
    t->ndim = v->ndim;
    t->numel = v->numel;
    t->offset = v->offset;
    memcpy(t->sizes, v->sizes, sizeof(int64_t) * (size_t)v->ndim);
    memcpy(t->strides, v->strides, sizeof(int64_t) * (size_t)v->ndim);
}

/* t takes the geometry of v (a view of t made by a public view op in the
 * current scope) and, when grad is set, v's history. Returns t or NULL. */
static ct_tensor *become(ct_tensor *t, ct_tensor *v, bool grad) {
    if (!v) return NULL;
    if (grad && v->autograd && v->autograd->grad_fn) {
        ct_node *n = v->autograd->grad_fn;
        ct_node_retain(n);
        if (ct__ag_set_history(t, n, v->autograd->output_nr) < 0) return NULL;
    }
    take_geometry(t, v);
    ct_bump_version(t);
    return t;
}

/* Runs VIEW (an expression over t) in its own scope and makes t that view. */
#define INPLACE_VIEW(t, VIEW)                                                                  \
    do {                                                                                       \
        bool grad_;                                                                            \
        if (grad_check((t), &grad_) < 0) return NULL;                                          \
        ct_scope sc_ = ct_scope_begin();                                                       \
        ct_tensor *r_ = become((t), (VIEW), grad_);                                            \
        ct_scope_end(sc_);                                                                     \
        return r_;                                                                             \
    } while (0)

ct_tensor *ct_t_(ct_tensor *t) {
    if (t->ndim > 2)
        return CT_FAIL(CT_ERR_RUNTIME, "t_() expects a tensor with <= 2 dimensions, but self is %dD",
                       t->ndim);
    INPLACE_VIEW(t, ct_t(t));
}

ct_tensor *ct_transpose_(ct_tensor *t, int d0, int d1) { INPLACE_VIEW(t, ct_transpose(t, d0, d1)); }
ct_tensor *ct_squeeze_(ct_tensor *t) { INPLACE_VIEW(t, ct_squeeze(t)); }
ct_tensor *ct_squeeze_dim_(ct_tensor *t, int dim) { INPLACE_VIEW(t, ct_squeeze_dim(t, dim)); }
ct_tensor *ct_unsqueeze_(ct_tensor *t, int dim) { INPLACE_VIEW(t, ct_unsqueeze(t, dim)); }

/* PyTorch's bounds check of a geometry against a storage (setStorage). */
static int check_storage_bounds(const ct_tensor *t, const ct_storage *s, const int64_t *sizes,
                                const int64_t *strides, int ndim, int64_t offset) {
    int64_t isz = (int64_t)ct_dtype_size(t->dtype), need = 0;
    bool empty = false;
    for (int i = 0; i < ndim; i++) empty |= sizes[i] == 0;
    if (!empty) {
        need = offset + 1;
        for (int i = 0; i < ndim; i++) need += (sizes[i] - 1) * strides[i];
        need *= isz;
    }
    if (need > (int64_t)s->nbytes) {
        char b1[160], b2[160];
        ct_set_error(CT_ERR_RUNTIME,
                     "setStorage: sizes %s, strides %s, storage offset %lld, and itemsize %lld "
                     "requiring a storage size of %lld are out of bounds for storage of size %lld",
                     ct_shape_str(sizes, ndim, b1, sizeof b1),
                     ct_shape_str(strides, ndim, b2, sizeof b2), (long long)offset,
                     (long long)isz, (long long)need, (long long)s->nbytes);
        return -1;
    }
    return 0;
}

ct_tensor *ct_as_strided_(ct_tensor *t, const int64_t *sizes, const int64_t *strides, int ndim,
                          int64_t storage_offset) {
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "as_strided_: bad number of dims %d", ndim);
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0)
            return CT_FAIL(CT_ERR_RUNTIME, "as_strided_: Negative sizes are not allowed");
        if (strides[i] < 0)
            return CT_FAIL(CT_ERR_RUNTIME, "as_strided_: Negative strides are not supported at the "
                                           "moment, got strides: %lld", (long long)strides[i]);
    }
    if (storage_offset < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Tensor: invalid storage offset %lld", (long long)storage_offset);
    if (check_storage_bounds(t, t->storage, sizes, strides, ndim, storage_offset) < 0) return NULL;
    INPLACE_VIEW(t, ct_as_strided(t, sizes, strides, ndim, storage_offset));
}

/* ------------------------------------------------------------ fill_diagonal_ */
ct_tensor *ct_fill_diagonal_(ct_tensor *t, double value, bool wrap) {
    if (t->ndim < 2) return CT_FAIL(CT_ERR_RUNTIME, "dimensions must larger than 1");
    int64_t h = t->sizes[0], w = t->sizes[1], size = h < w ? h : w, ssum = 0;
    if (t->ndim > 2) {
        for (int i = 1; i < t->ndim; i++)
            if (t->sizes[i] != h)
                return CT_FAIL(CT_ERR_RUNTIME, "all dimensions of input must be of equal length");
    }
    for (int i = 0; i < t->ndim; i++) ssum += t->strides[i];
    ct_scope sc = ct_scope_begin();
    ct_tensor *d = ct_as_strided(t, &size, &ssum, 1, t->offset);
    bool ok = d && ct_fill_(d, value);
    /* PyTorch's wrap: one more run of the diagonal starting N+1 rows down,
     * as long as the flat length allows */
    if (ok && wrap && t->ndim == 2 && h > w + 1) {
        int64_t step = w + 1, wsize = (t->numel + step - 1) / step - size;
        if (wsize > 0) {
            ct_tensor *d2 = ct_as_strided(t, &wsize, &ssum, 1, t->offset + t->strides[0] * (w + 1));
            ok = d2 && ct_fill_(d2, value);
        }
    }
    ct_scope_end(sc);
    return ok ? t : NULL;
}

/* ------------------------------------------------------------ storage ops */
/* Grows s to at least nbytes, keeping its bytes (PyTorch's resize of a
 * storage: every tensor over s sees the new memory). */
static int storage_grow(ct_storage *s, size_t nbytes) {
    if (nbytes <= s->nbytes) return 0;
    if (s->device.type != CT_CPU) {
        ct_set_error(CT_ERR_NOT_IMPL, "resize_: growing a storage on a CUDA device is not implemented");
        return -1;
    }
    if (s->deleter) { /* memory of NumPy, from_blob, DLPack */
        ct_set_error(CT_ERR_RUNTIME, "Trying to resize storage that is not resizable");
        return -1;
    }
    void *p = ct_host_alloc(nbytes);
    if (!p) {
        ct_set_error(CT_ERR_MEMORY, "resize_: out of memory allocating %zu bytes", nbytes);
        return -1;
    }
    if (s->nbytes) memcpy(p, s->data, s->nbytes);
    ct_host_free(s->data, s->nbytes);
    s->data = p;
    s->nbytes = nbytes;
    return 0;
}

static int check_sizes(const char *op, const int64_t *sizes, int ndim) {
    if (ndim < 0 || ndim > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "%s: %d dimensions requested, at most %d supported", op, ndim,
                     CT_MAX_DIMS);
        return -1;
    }
    for (int i = 0; i < ndim; i++)
        if (sizes[i] < 0) {
            char b[160];
            ct_set_error(CT_ERR_RUNTIME, "Trying to create tensor with negative dimension %lld: %s",
                         (long long)sizes[i], ct_shape_str(sizes, ndim, b, sizeof b));
            return -1;
        }
    return 0;
}

ct_tensor *ct_resize_(ct_tensor *t, const int64_t *sizes, int ndim) {
    if (t->requires_grad)
        return CT_FAIL(CT_ERR_RUNTIME, "cannot resize variables that require grad");
    if (check_sizes("resize_", sizes, ndim) < 0) return NULL;
    if (ndim == t->ndim && (ndim == 0 || !memcmp(sizes, t->sizes, sizeof(int64_t) * (size_t)ndim)))
        return t; /* PyTorch keeps the strides of an unchanged shape */
    int64_t st[CT_MAX_DIMS], numel = ct__shape_numel(sizes, ndim);
    ct__contiguous_strides(sizes, ndim, st);
    if (numel > 0) {
        size_t need = (size_t)(t->offset + numel) * ct_dtype_size(t->dtype);
        if (storage_grow(t->storage, need) < 0) return NULL;
    }
    t->ndim = ndim;
    t->numel = numel;
    if (ndim > 0) { /* sizes may be NULL for a 0-d shape */
        memcpy(t->sizes, sizes, sizeof(int64_t) * (size_t)ndim);
        memcpy(t->strides, st, sizeof(int64_t) * (size_t)ndim);
    }
    return t;
}

ct_tensor *ct_resize_as_(ct_tensor *t, const ct_tensor *like) {
    return ct_resize_(t, like->sizes, like->ndim);
}

/* t's storage becomes s (retained) with the given geometry. */
static void rebind(ct_tensor *t, ct_storage *s, int64_t offset, const int64_t *sizes,
                   const int64_t *strides, int ndim) {
    ct_bump_version(t); /* the old storage's views see the change, as PyTorch's do */
    if (s != t->storage) {
        atomic_fetch_add_explicit(&s->refcount, 1, memory_order_relaxed);
        ct_storage *old = t->storage;
        t->storage = s;
        ct__storage_release(old);
    }
    t->ndim = ndim;
    t->offset = offset;
    t->numel = ct__shape_numel(sizes, ndim);
    if (ndim > 0) {
        memcpy(t->sizes, sizes, sizeof(int64_t) * (size_t)ndim);
        memcpy(t->strides, strides, sizeof(int64_t) * (size_t)ndim);
    }
}

/* set_ builds no graph: PyTorch records a node whose backward fails. */
static int set_grad_check(ct_tensor *t, const ct_tensor *src) {
    bool grad;
    if (grad_check(t, &grad) < 0) return -1;
    const ct_tensor *in[1] = {src};
    if (grad || (src && ct__needs_grad(in, 1))) {
        ct_set_error(CT_ERR_NOT_IMPL,
                     "set_: not implemented for tensors that require grad (the derivative of "
                     "set_ is not implemented in PyTorch either); detach() them first");
        return -1;
    }
    return 0;
}

static int same_dtype(const ct_tensor *t, const ct_tensor *src) {
    if (src->dtype == t->dtype) return 0;
    ct_set_error(CT_ERR_RUNTIME,
                 "set_: expected the source to have the dtype of self (%s), but got %s",
                 ct_dtype_name(t->dtype), ct_dtype_name(src->dtype));
    return -1;
}

ct_tensor *ct_set_(ct_tensor *t, const ct_tensor *src) {
    if (set_grad_check(t, src) < 0) return NULL;
    if (!src) {
        ct_storage *s = ct__storage_new(0);
        if (!s) return NULL;
        int64_t z = 0, one = 1;
        rebind(t, s, 0, &z, &one, 1);
        ct__storage_release(s); /* t holds it now */
        return t;
    }
    if (same_dtype(t, src) < 0) return NULL;
    if (src == t) return t;
    rebind(t, src->storage, src->offset, src->sizes, src->strides, src->ndim);
    return t;
}

ct_tensor *ct_set_storage_(ct_tensor *t, const ct_tensor *src, int64_t storage_offset,
                           const int64_t *sizes, const int64_t *strides, int ndim) {
    if (set_grad_check(t, src) < 0) return NULL;
    if (same_dtype(t, src) < 0 || check_sizes("set_", sizes, ndim) < 0) return NULL;
    if (storage_offset < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Tensor: invalid storage offset %lld", (long long)storage_offset);
    int64_t st[CT_MAX_DIMS];
    if (strides) memcpy(st, strides, sizeof(int64_t) * (size_t)ndim);
    else ct__contiguous_strides(sizes, ndim, st);
    int64_t numel = ct__shape_numel(sizes, ndim);
    if (numel > 0) {
        int64_t last = storage_offset;
        for (int i = 0; i < ndim; i++) {
            if (st[i] < 0)
                return CT_FAIL(CT_ERR_RUNTIME, "set_: negative strides are not supported, got %lld",
                               (long long)st[i]);
            last += (sizes[i] - 1) * st[i];
        }
        /* PyTorch grows a storage too small for the new geometry */
        if (storage_grow(src->storage, (size_t)(last + 1) * ct_dtype_size(t->dtype)) < 0)
            return NULL;
    }
    rebind(t, src->storage, storage_offset, sizes, st, ndim);
    return t;
}
