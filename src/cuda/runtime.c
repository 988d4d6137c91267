/* The CUDA device API (torch.cuda's functions), the device caching
 * allocator, and the hooks through which device-independent code reaches
 * the GPU (ct__cuda, internal.h). Compiled only when nvcc is found.
 *
 * Allocator: freed blocks go to a per-device cache keyed by their rounded
 * size (512-byte steps below 1 MiB, 2 MiB steps above) and are reused for
 * the next request of that size on the same stream, so a training loop
 * stops calling cudaMalloc after its first iterations. A block freed by the
 * host is safe to hand out again to work on the stream it was allocated
 * for: later kernels there are ordered after the ones that used it
 * (stream.c: streams and their current-stream slots). */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define MAX_DEVICES CT_CUDA_MAX_DEVICES

int ct__cuda_check(int code, const char *what) {
    if (code == cudaSuccess) return 0;
    ct_set_error(code == cudaErrorMemoryAllocation ? CT_ERR_MEMORY : CT_ERR_RUNTIME,
                 "CUDA error: %s (%s)", cudaGetErrorString((cudaError_t)code), what);
    return -1;
}

int ct__cuda_dlopen(const char *versioned, const char *plain, int n, const char *const *names,
                    void **const *slots, char *err, size_t errlen) {
    void *lib = dlopen(versioned, RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen(plain, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(err, errlen, "%s", e ? e : "dlopen failed");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(lib, names[i]))) {
            snprintf(err, errlen, "symbol %s not found", names[i]);
            return -1;
        }
    return 0;
}

const char *ct_cuda_version(void) {
    static char v[16];
    if (!v[0]) snprintf(v, sizeof v, "%d.%d", CUDART_VERSION / 1000, (CUDART_VERSION % 1000) / 10);
    return v;
}

int ct_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError(); /* no driver / no device: not sticky */
        return 0;
    }
    return n;
}

bool ct_cuda_is_available(void) { return ct_cuda_device_count() > 0; }

static int require_gpu(void) {
    if (ct_cuda_device_count() > 0) return 0;
    ct_set_error(CT_ERR_RUNTIME, "Found no NVIDIA driver on your system. Please check that you "
                                 "have an NVIDIA GPU and installed a driver");
    return -1;
}

int ct_cuda_current_device(void) {
    if (require_gpu() < 0) return -1;
    int d = 0;
    if (ct__cuda_check(cudaGetDevice(&d), "cudaGetDevice") < 0) return -1;
    return d;
}

int ct_cuda_set_device(int index) {
    if (require_gpu() < 0) return -1;
    if (index < 0 || index >= ct_cuda_device_count()) {
        ct_set_error(CT_ERR_RUNTIME, "CUDA error: invalid device ordinal %d (%d devices)", index,
                     ct_cuda_device_count());
        return -1;
    }
    return ct__cuda_check(cudaSetDevice(index), "cudaSetDevice");
}

/* Runs with device `index` current (-1: the current one); restores it. */
static int with_device(int index, int *prev) {
    if (require_gpu() < 0) return -1;
    if (ct__cuda_check(cudaGetDevice(prev), "cudaGetDevice") < 0) return -1;
    if (index >= 0 && index != *prev) return ct_cuda_set_device(index);
    return 0;
}

int ct_cuda_synchronize(int index) {
    int prev;
    if (with_device(index, &prev) < 0) return -1;
    int rc = ct__cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    if (index >= 0) cudaSetDevice(prev);
    if (rc == 0) rc = ct__cuda_index_errcheck();
    return rc;
}

int ct_cuda_get_device_name(int index, char *buf, size_t len) {
    if (require_gpu() < 0) return -1;
    if (index < 0) index = ct_cuda_current_device();
    struct cudaDeviceProp p;
    if (ct__cuda_check(cudaGetDeviceProperties(&p, index), "cudaGetDeviceProperties") < 0)
        return -1;
    snprintf(buf, len, "%s", p.name);
    return 0;
}

/* ---------------------------------------------------------------- streams */
/* The current stream of each device, per thread (torch.cuda.current_stream):
 * NULL is the legacy default stream. */
static _Thread_local void *cur_stream[MAX_DEVICES];

void **ct__cuda_stream_slot(int d) { return &cur_stream[d]; }

void *ct__cuda_stream(void) {
    int d = 0;
    if (cudaGetDevice(&d) != cudaSuccess || d < 0 || d >= MAX_DEVICES) {
        (void)cudaGetLastError();
        return NULL;
    }
    return cur_stream[d];
}

/* ---------------------------------------------------------------- allocator */
typedef struct block {
    void *ptr;
    size_t size; /* rounded */
    int device;
    void *stream; /* the stream it was allocated for: reused only there */
    struct block *next;
} block;

static struct {
    pthread_mutex_t lock;
    block *cached[MAX_DEVICES]; /* free blocks */
    ct_cuda_memory_stats stats[MAX_DEVICES];
} A = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t round_size(size_t n) {
    if (n == 0) n = 1;
    if (n < (1u << 20)) return (n + 511) & ~(size_t)511;
    return (n + (2u << 20) - 1) & ~(((size_t)2 << 20) - 1);
}

static void free_cached_locked(int dev) {
    int prev = -1;
    cudaGetDevice(&prev);
    for (int d = 0; d < MAX_DEVICES; d++) {
        if (dev >= 0 && d != dev) continue;
        block *b = A.cached[d];
        A.cached[d] = NULL;
        if (b) cudaSetDevice(d);
        while (b) {
            block *n = b->next;
            cudaFree(b->ptr);
            A.stats[d].reserved -= b->size;
            free(b);
            b = n;
        }
    }
    if (prev >= 0) cudaSetDevice(prev);
}

void ct__cuda_pinned_empty(void); /* pinned.c */

void ct_cuda_empty_cache(void) {
    pthread_mutex_lock(&A.lock);
    free_cached_locked(-1);
    pthread_mutex_unlock(&A.lock);
    ct__cuda_pinned_empty();
}

ct_cuda_memory_stats ct_cuda_memory_stats_get(int index) {
    ct_cuda_memory_stats s = {0};
    if (index < 0) {
        index = 0;
        if (ct_cuda_device_count() > 0) cudaGetDevice(&index);
    }
    if (index >= MAX_DEVICES) return s;
    pthread_mutex_lock(&A.lock);
    s = A.stats[index];
    pthread_mutex_unlock(&A.lock);
    return s;
}

void ct_cuda_reset_peak_memory_stats(int index) {
    if (index < 0) {
        index = 0;
        if (ct_cuda_device_count() > 0) cudaGetDevice(&index);
    }
    if (index >= MAX_DEVICES) return;
    pthread_mutex_lock(&A.lock);
    A.stats[index].max_allocated = A.stats[index].allocated;
    pthread_mutex_unlock(&A.lock);
}

static block *block_alloc(size_t nbytes, int dev) {
    size_t size = round_size(nbytes);
    void *stream = cur_stream[dev];
    pthread_mutex_lock(&A.lock);
    block **pp = &A.cached[dev], *b = NULL;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->size == size && (*pp)->stream == stream) {
            b = *pp;
            *pp = b->next;
            break;
        }
    if (!b) {
        void *p = NULL;
        cudaError_t e = cudaMalloc(&p, size);
        if (e != cudaSuccess) { /* give the cache back to the driver and retry */
            (void)cudaGetLastError();
            free_cached_locked(dev);
            cudaSetDevice(dev);
            e = cudaMalloc(&p, size);
        }
        if (e != cudaSuccess) {
            (void)cudaGetLastError();
            pthread_mutex_unlock(&A.lock);
            ct_set_error(CT_ERR_MEMORY,
                         "CUDA out of memory. Tried to allocate %zu bytes on cuda:%d (%zu bytes "
                         "allocated by tensors)", size, dev, A.stats[dev].allocated);
            return NULL;
        }
        b = malloc(sizeof *b);
        if (!b) {
            cudaFree(p);
            pthread_mutex_unlock(&A.lock);
            ct_set_error(CT_ERR_MEMORY, "out of memory");
            return NULL;
        }
        b->ptr = p;
        b->size = size;
        b->device = dev;
        b->stream = stream;
        A.stats[dev].reserved += size;
        A.stats[dev].driver_allocs++;
    }
    A.stats[dev].allocated += size;
    if (A.stats[dev].allocated > A.stats[dev].max_allocated)
        A.stats[dev].max_allocated = A.stats[dev].allocated;
    pthread_mutex_unlock(&A.lock);
    return b;
}

static void block_free(void *ctx, void *data) {
    block *b = ctx;
    pthread_mutex_lock(&A.lock);
    A.stats[b->device].allocated -= b->size;
    b->next = A.cached[b->device];
    A.cached[b->device] = b;
    pthread_mutex_unlock(&A.lock);
}

static ct_tensor *cuda_empty(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev) {
    int d = dev.index;
    if (d < 0 && (d = ct_cuda_current_device()) < 0) return NULL;
    if (d >= MAX_DEVICES || d >= ct_cuda_device_count())
        return CT_FAIL(CT_ERR_RUNTIME, "CUDA error: invalid device ordinal %d", d);
    int64_t numel = ct__shape_numel(sizes, ndim);
    if (numel < 0) return CT_FAIL(CT_ERR_RUNTIME, "empty: negative dimension");
    size_t nbytes = (size_t)numel * ct_dtype_size(dt);
    int prev = -1;
    cudaGetDevice(&prev);
    if (prev != d) cudaSetDevice(d);
    block *b = block_alloc(nbytes, d);
    if (prev != d) cudaSetDevice(prev);
    if (!b) return NULL;
    ct_storage *s = ct__storage_wrap(b->ptr, nbytes, (ct_device){CT_CUDA, (int8_t)d}, block_free, b);
    if (!s) {
        block_free(b, b->ptr);
        return NULL;
    }
    ct_tensor *t = ct__tensor_new(s, dt, sizes, NULL, ndim, 0);
    ct__storage_release(s);
    return t;
}

/* ---------------------------------------------------------------- copies */
static void fill_ew_operand(ct_cuda_ew *a, int k, const ct_tensor *t, const int64_t *shape, int nd) {
    /* t viewed broadcast to shape: size-1 or missing dims get stride 0 */
    int off = nd - t->ndim;
    for (int d = 0; d < nd; d++) {
        int td = d - off;
        a->strides[k][d] = (td < 0 || t->sizes[td] == 1) ? 0 : t->strides[td];
    }
    a->data[k] = (char *)t->storage->data + t->offset * (int64_t)ct_dtype_size(t->dtype);
    a->dtype[k] = t->dtype;
}

/* dst (on a GPU) = src (on the same GPU), broadcast and converted. */
static int copy_on_device(ct_tensor *dst, const ct_tensor *src) {
    ct_cuda_ew a;
    memset(&a, 0, sizeof a);
    a.kop = CT_CUDA_COPY;
    a.nin = 1;
    a.nd = dst->ndim;
    a.numel = dst->numel;
    a.compute_dt = dst->dtype;
    memcpy(a.sizes, dst->sizes, sizeof(int64_t) * (size_t)dst->ndim);
    fill_ew_operand(&a, 0, dst, dst->sizes, dst->ndim);
    fill_ew_operand(&a, 1, src, dst->sizes, dst->ndim);
    return ct__cuda_ew_launch(&a);
}

static int cuda_copy(ct_tensor *dst, const ct_tensor *src) {
    int64_t bshape[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("copy_", dst->sizes, dst->ndim, src->sizes, src->ndim, bshape);
    if (nd < 0) return -1;
    if (nd != dst->ndim || memcmp(bshape, dst->sizes, sizeof(int64_t) * (size_t)nd) != 0) {
        ct_set_error(CT_ERR_RUNTIME, "copy_: source of shape %s cannot be broadcast to %s",
                     ct__shp(src), ct__shp(dst));
        return -1;
    }
    if (dst->numel == 0) return 0;
    bool dcpu = ct__on_cpu(dst), scpu = ct__on_cpu(src);
    int rc = -1;
    if (!dcpu && !scpu) {
        if (dst->storage->device.index == src->storage->device.index) return copy_on_device(dst, src);
        /* between GPUs: through a contiguous block of src's dtype */
        ct_tensor *c = cuda_empty(src->sizes, src->ndim, src->dtype, src->storage->device);
        if (!c) return -1;
        ct_tensor *c2 = NULL;
        if (copy_on_device(c, src) == 0 &&
            (c2 = cuda_empty(src->sizes, src->ndim, src->dtype, dst->storage->device)) &&
            ct__cuda_check(cudaMemcpyPeer(c2->storage->data, c2->storage->device.index,
                                          c->storage->data, c->storage->device.index,
                                          c->storage->nbytes), "cudaMemcpyPeer") == 0)
            rc = copy_on_device(dst, c2);
        ct_release(c);
        ct_release(c2);
        return rc;
    }
    if (!dcpu) { /* host to device: a contiguous host block of src's dtype, then convert on the GPU */
        ct_tensor *h = ct__contiguous(src);
        if (!h) return -1;
        ct_tensor *g = cuda_empty(src->sizes, src->ndim, src->dtype, dst->storage->device);
        if (g && ct__cuda_check(cudaMemcpy(g->storage->data, ct_data_ptr(h),
                                           (size_t)h->numel * ct_dtype_size(h->dtype),
                                           cudaMemcpyHostToDevice), "cudaMemcpy to device") == 0)
            rc = copy_on_device(dst, g);
        ct_release(h);
        ct_release(g);
        return rc;
    }
    /* device to host: contiguous on the GPU, one transfer, convert on the CPU */
    ct_tensor *g = cuda_empty(src->sizes, src->ndim, src->dtype, src->storage->device);
    if (!g) return -1;
    ct_tensor *h = NULL;
    if (copy_on_device(g, src) == 0 && (h = ct__empty(src->sizes, src->ndim, src->dtype)) &&
        ct__cuda_check(cudaMemcpy(ct_data_ptr(h), g->storage->data,
                                  (size_t)g->numel * ct_dtype_size(g->dtype), cudaMemcpyDeviceToHost),
                       "cudaMemcpy to host") == 0 &&
        ct__cuda_index_errcheck() == 0)
        rc = ct__copy_into(dst, h);
    ct_release(g);
    ct_release(h);
    return rc;
}

static int cuda_fill(ct_tensor *t, double v) {
    if (t->numel == 0) return 0;
    ct_cuda_ew a;
    memset(&a, 0, sizeof a);
    a.kop = CT_CUDA_COPY;
    a.nin = 1;
    a.nd = t->ndim;
    a.numel = t->numel;
    a.compute_dt = t->dtype == CT_INT64 ? CT_INT64 : CT_FLOAT64;
    memcpy(a.sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    fill_ew_operand(&a, 0, t, t->sizes, t->ndim);
    a.is_scalar[1] = 1;
    a.scalar[1] = v;
    a.dtype[1] = CT_FLOAT64;
    return ct__cuda_ew_launch(&a);
}

/* ---------------------------------------------------------------- hooks */
ct_tensor *ct__cuda_pw_run(const char *kname, int kop, int mode, ct_tensor *out, int nin,
                           const ct_tensor *const *in, unsigned cast_mask, ct_dtype compute_dt,
                           ct_dtype result_dt, void *ctx);

int ct__cuda_gemm(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
                  const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
                  int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
                  int64_t ldc);
int ct__cuda_reduce(const ct_tensor *x, const bool *mask, int kind, double p,
                    const ct_tensor *centre, int post, double s, ct_tensor *out, ct_tensor *idx);
int ct__cuda_softmax(const ct_tensor *x, int dim, bool log, ct_tensor *out);
int ct__cuda_sg_run(int op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other,
                    int dim, double value, int64_t *bad);
int ct__cuda_sgd(ct_tensor *param, const ct_tensor *grad, ct_tensor *buf, bool first,
                 const ct_sgd_options *o);
int ct__cuda_adam(ct_tensor *param, const ct_tensor *grad, ct_tensor *m, ct_tensor *v,
                  ct_tensor *vmax, double step, const ct_adam_options *o, bool decoupled);
int ct__cuda_sort(const ct_tensor *work, ct_tensor *vals, ct_tensor *idx, bool desc);
int ct__cuda_scan(const ct_tensor *x, int dim, int kind, ct_tensor *out, ct_tensor *idx);
int ct__cuda_index_offsets(ct_tensor *a, const ct_tensor *b, const ct_tensor *off, bool put,
                           bool accumulate);
/* the shape, indexing and counting family (shape.c) */
int ct__cuda_tri(ct_tensor *t, int64_t k, bool upper);
int64_t ct__cuda_compact(const ct_tensor *x, bool newrun, const int64_t *sizes, int nd,
                         ct_tensor **pos, ct_tensor **rank, ct_tensor *dst, const ct_tensor *src);
int ct__cuda_take(ct_tensor *out, const ct_tensor *x, const ct_tensor *idx, int64_t *bad);
int ct__cuda_searchsorted(const ct_tensor *seq, const ct_tensor *vals, ct_tensor *out, bool right);
int ct__cuda_hist(const ct_tensor *x, const ct_tensor *w, int mode, const ct_tensor *edges,
                  int64_t nb, double lo, double hi, ct_tensor *acc);
int ct__cuda_isclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol,
                     bool equal_nan, bool dbl, ct_tensor *out);
/* conv.c, pool.c: the convolutions (cuDNN), the poolings and resamplings */
int ct__cuda_conv(int which, const ct_tensor *a, const ct_tensor *b, const ct_tensor *bias,
                  ct_tensor *out, int64_t groups, const struct ct_win3d *g);
int ct__cuda_window(const struct ct_window_op *a, const ct_tensor *x, ct_tensor *out,
                    ct_tensor *idx);
/* the nn family (nn.c) */
int ct__cuda_emb_backward(const ct_tensor *grad, const ct_tensor *order, const ct_tensor *start,
                          int64_t pad, bool scaled, ct_tensor *out);
int ct__cuda_emb_bag(const ct_tensor *w, const ct_tensor *idx, const ct_tensor *bounds,
                     const ct_tensor *psw, int mode, int64_t pad, ct_tensor *out, ct_tensor *mi);
int ct__cuda_trunc_normal(ct_tensor *t, double mean, double std, double a, double b);
/* random distributions (random.c) and decompositions (solver.c) */
int ct__cuda_random(int device, const ct_cuda_rand *r);
int ct__cuda_multinomial(const ct_tensor *p, ct_tensor *out, bool keyed, bool single, uint64_t seed,
                         int *code);
int ct__cuda_la_inv(ct_tensor *a, int64_t batch, int64_t n, int64_t *bad);
int ct__cuda_la_solve(ct_tensor *a, ct_tensor *b, int64_t batch, int64_t n, int64_t k, int64_t *bad);
int ct__cuda_la_det(ct_tensor *a, ct_tensor *sign, ct_tensor *out, int64_t batch, int64_t n);
int ct__cuda_la_cholesky(ct_tensor *a, int64_t batch, int64_t n, bool upper, int64_t *bad);
int ct__cuda_la_qr(ct_tensor *a, ct_tensor *q, ct_tensor *r, int64_t batch, int64_t m, int64_t n,
                   int64_t qcols, int64_t rrows);
int ct__cuda_la_svd(ct_tensor *a, ct_tensor *u, ct_tensor *s, ct_tensor *vt, int64_t batch, int64_t m,
                    int64_t n, bool full, int64_t *bad);
int ct__cuda_la_eigh(ct_tensor *a, ct_tensor *w, int64_t batch, int64_t n, bool upper, int64_t *bad);
/* sort.c, index.c, pinned.c (the infrastructure family's hooks) */
int ct__cuda_topk(const ct_tensor *work, int64_t k, bool largest, ct_tensor *vals, ct_tensor *idx);
int ct__cuda_index_add_offsets(ct_tensor *off, const ct_tensor *idx, int64_t size, int64_t stride,
                               int dim);
ct_tensor *ct__cuda_nonzero(const ct_tensor *x);

static const ct_device_hooks hooks = {
    .empty = cuda_empty,
    .copy = cuda_copy,
    .fill = cuda_fill,
    .pw_run = ct__cuda_pw_run,
    .gemm = ct__cuda_gemm,
    .reduce = ct__cuda_reduce,
    .softmax = ct__cuda_softmax,
    .sg_run = ct__cuda_sg_run,
    .sgd = ct__cuda_sgd,
    .adam = ct__cuda_adam,
    .sort = ct__cuda_sort,
    .scan = ct__cuda_scan,
    .index_offsets = ct__cuda_index_offsets,
    /* the shape, indexing and counting family (shape.c) */
    .tri = ct__cuda_tri,
    .compact = ct__cuda_compact,
    .take = ct__cuda_take,
    .searchsorted = ct__cuda_searchsorted,
    .hist = ct__cuda_hist,
    .isclose = ct__cuda_isclose,
    .conv = ct__cuda_conv,
    .window = ct__cuda_window,
    .emb_backward = ct__cuda_emb_backward,
    .emb_bag = ct__cuda_emb_bag,
    .trunc_normal = ct__cuda_trunc_normal,
    /* random distributions and decompositions */
    .random = ct__cuda_random,
    .multinomial = ct__cuda_multinomial,
    .la_inv = ct__cuda_la_inv,
    .la_solve = ct__cuda_la_solve,
    .la_det = ct__cuda_la_det,
    .la_cholesky = ct__cuda_la_cholesky,
    .la_qr = ct__cuda_la_qr,
    .la_svd = ct__cuda_la_svd,
    .la_eigh = ct__cuda_la_eigh,
    /* the infrastructure family's hooks */
    .topk = ct__cuda_topk,
    .index_add_offsets = ct__cuda_index_add_offsets,
    .nonzero = ct__cuda_nonzero,
};
const ct_device_hooks *const ct__cuda = &hooks;
