/* ctorch core: dtypes, devices, errors, storage, tensors, views, scopes.
 *
 * Ownership rule (the one rule of the C API):
 *   Every function that returns a NEW tensor returns one reference owned by
 *   the caller. If a scope is open on this thread (ct_scope_begin), that
 *   reference is handed to the innermost scope instead, and released when the
 *   scope ends; call ct_keep(t) to take a reference of your own out of it.
 *   In-place ops (names ending in '_') return their first argument, borrowed.
 *   On error a function returns NULL (or a negative status) and
 *   ct_last_error() says why; nothing aborts, exits or prints.
 */
#ifndef CTORCH_CORE_H
#define CTORCH_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_MAX_DIMS 16

/* ---------------------------------------------------------------- dtypes */
/* The order is the promotion order inside one category. */
typedef enum ct_dtype {
    CT_BOOL = 0,
    CT_UINT8,
    CT_INT8,
    CT_INT16,
    CT_INT32,
    CT_INT64,
    CT_FLOAT16,
    CT_BFLOAT16,
    CT_FLOAT32,
    CT_FLOAT64,
    CT_NUM_DTYPES
} ct_dtype;

size_t ct_dtype_size(ct_dtype dt);
const char *ct_dtype_name(ct_dtype dt); /* "float32", "int64", ... */
bool ct_dtype_is_floating(ct_dtype dt);
bool ct_dtype_is_integral(ct_dtype dt); /* excludes bool */
ct_dtype ct_default_dtype(void);        /* float32 unless changed */
void ct_set_default_dtype(ct_dtype dt);
/* Promotion of two tensor dtypes of the same priority (torch.promote_types). */
ct_dtype ct_promote_types(ct_dtype a, ct_dtype b);

/* float16 / bfloat16 conversion (storage types). */
float ct_half_to_float(uint16_t h);
uint16_t ct_float_to_half(float f);
float ct_bf16_to_float(uint16_t h);
uint16_t ct_float_to_bf16(float f);

/* ---------------------------------------------------------------- devices */
typedef enum ct_device_type { CT_CPU = 0, CT_CUDA = 1 } ct_device_type;
typedef struct ct_device {
    int8_t type;  /* ct_device_type */
    int8_t index; /* -1 = current */
} ct_device;
#define CT_DEVICE_CPU ((ct_device){CT_CPU, -1})

/* ---------------------------------------------------------------- errors */
typedef enum ct_error_kind {
    CT_OK = 0,
    CT_ERR_RUNTIME,   /* RuntimeError */
    CT_ERR_INDEX,     /* IndexError */
    CT_ERR_TYPE,      /* TypeError */
    CT_ERR_VALUE,     /* ValueError */
    CT_ERR_NOT_IMPL,  /* NotImplementedError */
    CT_ERR_MEMORY,    /* MemoryError / out of memory */
} ct_error_kind;

/* The message of the last error on this thread ("" if none). */
const char *ct_last_error(void);
ct_error_kind ct_last_error_kind(void);
void ct_clear_error(void);
/* Library-internal, but usable by extensions: set the thread's error. */
void ct_set_error(ct_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- storage */
typedef struct ct_storage {
    atomic_int refcount;
    void *data;
    size_t nbytes;
    ct_device device;
    /* Who frees data: NULL = ctorch's caching allocator; otherwise called
     * with deleter_ctx (external memory: NumPy arrays, DLPack, mmap). */
    void (*deleter)(void *ctx, void *data);
    void *deleter_ctx;
    /* Bumped by every in-place write through any view of this storage. */
    atomic_uint_fast64_t version;
} ct_storage;

/* ---------------------------------------------------------------- tensors */
typedef struct ct_tensor {
    atomic_int refcount;
    ct_dtype dtype;
    int ndim;
    int64_t numel;
    int64_t offset; /* in elements */
    int64_t sizes[CT_MAX_DIMS];
    int64_t strides[CT_MAX_DIMS]; /* in elements */
    ct_storage *storage;
    /* Set by scalar wrappers: a Python/C number, lowest promotion priority. */
    bool wrapped_number;
    bool requires_grad;
    /* Autograd state (grad, grad_fn, hooks); NULL for plain tensors. Owned. */
    struct ct_autograd_meta *autograd;
    /* Back-pointer to the Python object wrapping this tensor, if any. */
    void *pyobj;
} ct_tensor;

static inline int ct_ndim(const ct_tensor *t) { return t->ndim; }
static inline int64_t ct_numel(const ct_tensor *t) { return t->numel; }
static inline ct_dtype ct_tensor_dtype(const ct_tensor *t) { return t->dtype; }
static inline const int64_t *ct_sizes(const ct_tensor *t) { return t->sizes; }
static inline const int64_t *ct_strides(const ct_tensor *t) { return t->strides; }
/* Size/stride of dim d; negative d counts from the end. No check. */
int64_t ct_size(const ct_tensor *t, int d);
int64_t ct_stride(const ct_tensor *t, int d);
static inline ct_device ct_tensor_device(const ct_tensor *t) { return t->storage->device; }
/* Address of element 0 of the view. */
static inline void *ct_data_ptr(const ct_tensor *t) {
    return (char *)t->storage->data + t->offset * (int64_t)ct_dtype_size(t->dtype);
}
bool ct_is_contiguous(const ct_tensor *t);
static inline uint64_t ct_version(const ct_tensor *t) {
    return atomic_load_explicit(&t->storage->version, memory_order_relaxed);
}
/* Every in-place write calls this (autograd checks saved versions). */
static inline void ct_bump_version(ct_tensor *t) {
    atomic_fetch_add_explicit(&t->storage->version, 1, memory_order_relaxed);
}

/* Reference counting. ct_retain returns t. ct_release(NULL) is a no-op. */
ct_tensor *ct_retain(ct_tensor *t);
void ct_release(ct_tensor *t);

/* ---------------------------------------------------------------- scopes */
/* A scope is an autorelease pool: see the ownership rule at the top. */
typedef struct ct_scope { size_t mark; } ct_scope;
ct_scope ct_scope_begin(void);
void ct_scope_end(ct_scope s);
/* Take a reference out of the current scope: the caller owns it afterwards
 * (release it, or let an outer scope have it with ct_autorelease). */
ct_tensor *ct_keep(ct_tensor *t);
/* Hand an owned reference to the innermost scope (no-op without a scope).
 * Every op ends with this; returns t. */
ct_tensor *ct_autorelease(ct_tensor *t);
/* Number of references held by scopes on this thread (for tests). */
size_t ct_scope_depth_items(void);

/* ---------------------------------------------------------------- creation */
/* Uninitialised contiguous tensor. sizes may be NULL when ndim == 0. */
ct_tensor *ct_empty(const int64_t *sizes, int ndim, ct_dtype dtype);
ct_tensor *ct_empty_like(const ct_tensor *t);
/* Wraps external memory (not copied); deleter(ctx, data) runs when the last
 * view goes. strides in elements; NULL strides = contiguous. */
ct_tensor *ct_from_blob(void *data, const int64_t *sizes, const int64_t *strides,
                        int ndim, ct_dtype dtype, void (*deleter)(void *, void *),
                        void *deleter_ctx);
/* Copies ndim/sizes-shaped contiguous data of the given dtype. */
ct_tensor *ct_from_data(const void *data, const int64_t *sizes, int ndim, ct_dtype dtype);
/* 0-d tensors holding a number; *_wrapped variants mark them as scalar
 * operands (lowest promotion priority, like Python numbers in PyTorch). */
ct_tensor *ct_scalar_tensor(double v, ct_dtype dtype);
ct_tensor *ct_wrapped_float(double v);   /* float64 storage, wrapped */
ct_tensor *ct_wrapped_int(int64_t v);    /* int64 storage, wrapped */
ct_tensor *ct_wrapped_bool(bool v);      /* bool storage, wrapped */

/* Element access for tests and printing: reads element at a flat index of
 * the logical (row-major) order, converted. */
double ct_item_at(const ct_tensor *t, int64_t flat_index);
int64_t ct_item_at_int(const ct_tensor *t, int64_t flat_index);
/* The single value of a one-element tensor; errors if numel != 1. */
int ct_item(const ct_tensor *t, double *out);

/* ---------------------------------------------------------------- views */
/* All views share storage with their input and return a new tensor. */
ct_tensor *ct_as_strided(const ct_tensor *t, const int64_t *sizes, const int64_t *strides,
                         int ndim, int64_t storage_offset);
/* sizes may contain one -1. Fails if the strides do not allow a view. */
ct_tensor *ct_view(const ct_tensor *t, const int64_t *sizes, int ndim);
/* A view when possible, else a contiguous copy. */
ct_tensor *ct_reshape(const ct_tensor *t, const int64_t *sizes, int ndim);
ct_tensor *ct_permute(const ct_tensor *t, const int *dims, int ndim);
ct_tensor *ct_transpose(const ct_tensor *t, int d0, int d1);
ct_tensor *ct_t(const ct_tensor *t); /* 0-d,1-d unchanged; 2-d transposed */
ct_tensor *ct_expand(const ct_tensor *t, const int64_t *sizes, int ndim); /* -1 keeps */
ct_tensor *ct_squeeze(const ct_tensor *t);
ct_tensor *ct_squeeze_dim(const ct_tensor *t, int dim);
ct_tensor *ct_unsqueeze(const ct_tensor *t, int dim);
ct_tensor *ct_narrow(const ct_tensor *t, int dim, int64_t start, int64_t length);
ct_tensor *ct_select(const ct_tensor *t, int dim, int64_t index);
/* Python-style slice: start/stop clamped, step > 0. */
ct_tensor *ct_slice(const ct_tensor *t, int dim, int64_t start, int64_t stop, int64_t step);
ct_tensor *ct_flatten(const ct_tensor *t, int start_dim, int end_dim);
ct_tensor *ct_unflatten(const ct_tensor *t, int dim, const int64_t *sizes, int nsizes);
ct_tensor *ct_unfold(const ct_tensor *t, int dim, int64_t size, int64_t step);
ct_tensor *ct_diagonal(const ct_tensor *t, int64_t offset, int dim1, int dim2);
ct_tensor *ct_alias(const ct_tensor *t); /* same view, new tensor object */
/* The same bytes read as another dtype (Tensor.view(dtype)); not differentiable. */
ct_tensor *ct_view_dtype(const ct_tensor *t, ct_dtype dt);
/* Contiguous tensor with the same values: returns a new reference to t itself
 * when already contiguous. */
ct_tensor *ct_contiguous(const ct_tensor *t);
/* Copy src into dst (broadcasting src, converting dtype). Returns dst. */
ct_tensor *ct_copy_(ct_tensor *dst, const ct_tensor *src);
/* New tensor of another dtype (a new reference to t when dt == t->dtype
 * and copy is false). */
ct_tensor *ct_to_dtype(const ct_tensor *t, ct_dtype dt, bool copy);
ct_tensor *ct_clone(const ct_tensor *t);

/* ---------------------------------------------------------------- helpers */
/* Normalises a possibly negative dim against ndim; -1 and an error if out of
 * range (op names the caller). */
int ct_wrap_dim(const char *op, int dim, int ndim);
/* Writes "[2, 3]" into buf; returns buf. */
char *ct_shape_str(const int64_t *sizes, int ndim, char *buf, size_t len);
/* Broadcast two shapes; returns ndim or -1 with an error naming op. */
int ct_broadcast_shapes(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                        int64_t *out);

/* Threads used by kernels (OpenMP pool shared with OpenBLAS). */
int ct_get_num_threads(void);
void ct_set_num_threads(int n);

/* Caching host allocator. */
void *ct_host_alloc(size_t nbytes);
void ct_host_free(void *p, size_t nbytes);
void ct_host_cache_empty(void);
typedef struct ct_alloc_stats {
    size_t bytes_in_use, bytes_cached, peak_bytes_in_use;
    uint64_t cache_hits, cache_misses;
} ct_alloc_stats;
ct_alloc_stats ct_host_alloc_stats(void);

#ifdef __cplusplus
}
#endif
#endif
