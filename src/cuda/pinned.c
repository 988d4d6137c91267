/* Pinned host memory (Tensor.pin_memory) through a caching host allocator,
 * as PyTorch's CachingHostAllocator: cudaHostAlloc is slow (it maps the
 * pages for the GPU), and a DataLoader with pin_memory asks for a block of
 * the same size every batch. Freed blocks go to a cache keyed by their size
 * class (powers of two from 512 bytes) and are handed out again. A block
 * that a non-blocking copy still reads or writes must not be reused before
 * the copy is done: ct_cuda_copy_nonblocking records an event on the
 * copy's stream for the block, and a freed block with events pending waits
 * in a list until every one of them has completed (queried, never waited
 * for, at each allocation and at ct_cuda_empty_cache). */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>
#include <pthread.h>

#define MIN_CLASS 9 /* 512 bytes */
#define NCLASS 48

typedef struct hblock {
    void *ptr;
    size_t size; /* its class's size */
    int cls;
    int nev, cap;
    cudaEvent_t *ev; /* recorded after the copies that use it */
    struct hblock *next;
} hblock;

static struct {
    pthread_mutex_t lock;
    hblock *cached[NCLASS]; /* free, reusable now */
    hblock *pending;        /* freed, waiting for their events */
    cudaEvent_t *spare;     /* completed events, reused */
    int nspare, capspare;
    ct_cuda_host_memory_stats st;
} H = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int size_class(size_t n) {
    int c = MIN_CLASS;
    while (c < NCLASS - 1 && ((size_t)1 << c) < n) c++;
    return c;
}

/* Gives the block's completed events to the spare list; true when none is left. */
static bool events_done_locked(hblock *b) {
    int keep = 0;
    for (int i = 0; i < b->nev; i++) {
        cudaError_t e = cudaEventQuery(b->ev[i]);
        if (e == cudaErrorNotReady) {
            (void)cudaGetLastError();
            b->ev[keep++] = b->ev[i];
            continue;
        }
        if (e != cudaSuccess) (void)cudaGetLastError(); /* a failed copy no longer uses it */
        if (H.nspare == H.capspare) {
            int cap = H.capspare ? 2 * H.capspare : 16;
            cudaEvent_t *s = realloc(H.spare, sizeof *s * (size_t)cap);
            if (!s) {
                cudaEventDestroy(b->ev[i]);
                continue;
            }
            H.spare = s;
            H.capspare = cap;
        }
        H.spare[H.nspare++] = b->ev[i];
    }
    b->nev = keep;
    return keep == 0;
}

/* Moves pending blocks whose copies are done to the cache. */
static void process_pending_locked(void) {
    hblock **pp = &H.pending;
    while (*pp) {
        hblock *b = *pp;
        if (events_done_locked(b)) {
            *pp = b->next;
            b->next = H.cached[b->cls];
            H.cached[b->cls] = b;
            H.st.pending_blocks--;
        } else {
            pp = &b->next;
        }
    }
}

static void pinned_free(void *ctx, void *data) {
    (void)data;
    hblock *b = ctx;
    pthread_mutex_lock(&H.lock);
    H.st.allocated -= b->size;
    if (b->nev && !events_done_locked(b)) {
        b->next = H.pending;
        H.pending = b;
        H.st.pending_blocks++;
    } else {
        b->next = H.cached[b->cls];
        H.cached[b->cls] = b;
    }
    pthread_mutex_unlock(&H.lock);
}

static hblock *pinned_alloc(size_t nbytes) {
    int cls = size_class(nbytes ? nbytes : 1);
    pthread_mutex_lock(&H.lock);
    if (H.pending) process_pending_locked();
    hblock *b = H.cached[cls];
    if (b) {
        H.cached[cls] = b->next;
        H.st.cache_hits++;
    } else {
        size_t size = (size_t)1 << cls;
        void *p = NULL;
        cudaError_t e = cudaHostAlloc(&p, size, cudaHostAllocDefault);
        if (e != cudaSuccess || !(b = calloc(1, sizeof *b))) {
            if (e == cudaSuccess) cudaFreeHost(p);
            pthread_mutex_unlock(&H.lock);
            if (e != cudaSuccess) ct__cuda_check(e, "cudaHostAlloc");
            else ct_set_error(CT_ERR_MEMORY, "out of memory");
            return NULL;
        }
        b->ptr = p;
        b->size = size;
        b->cls = cls;
        H.st.reserved += size;
        H.st.driver_allocs++;
    }
    b->next = NULL;
    H.st.allocated += b->size;
    if (H.st.allocated > H.st.max_allocated) H.st.max_allocated = H.st.allocated;
    pthread_mutex_unlock(&H.lock);
    return b;
}

/* Records that work queued on stream uses block b (a pinned storage). */
static int record_use(hblock *b, cudaStream_t stream) {
    pthread_mutex_lock(&H.lock);
    int rc = -1;
    cudaEvent_t e = NULL;
    if (b->nev == b->cap) {
        int cap = b->cap ? 2 * b->cap : 4;
        cudaEvent_t *ev = realloc(b->ev, sizeof *ev * (size_t)cap);
        if (!ev) {
            ct_set_error(CT_ERR_MEMORY, "out of memory");
            goto out;
        }
        b->ev = ev;
        b->cap = cap;
    }
    if (H.nspare) e = H.spare[--H.nspare];
    else if (ct__cuda_check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming),
                            "cudaEventCreateWithFlags") < 0)
        goto out;
    if (ct__cuda_check(cudaEventRecord(e, stream), "cudaEventRecord") < 0) {
        cudaEventDestroy(e);
        goto out;
    }
    b->ev[b->nev++] = e;
    rc = 0;
out:
    pthread_mutex_unlock(&H.lock);
    return rc;
}

static void destroy_block(hblock *b) {
    for (int i = 0; i < b->nev; i++) cudaEventDestroy(b->ev[i]);
    free(b->ev);
    cudaFreeHost(b->ptr);
    H.st.reserved -= b->size;
    free(b);
}

/* ct_cuda_empty_cache: the cached blocks (and those whose copies are done)
 * go back to the driver, with the spare events. */
void ct__cuda_pinned_empty(void) {
    pthread_mutex_lock(&H.lock);
    process_pending_locked();
    for (int c = 0; c < NCLASS; c++) {
        hblock *b = H.cached[c];
        H.cached[c] = NULL;
        while (b) {
            hblock *n = b->next;
            destroy_block(b);
            b = n;
        }
    }
    for (int i = 0; i < H.nspare; i++) cudaEventDestroy(H.spare[i]);
    H.nspare = 0;
    pthread_mutex_unlock(&H.lock);
}

ct_cuda_host_memory_stats ct_cuda_host_memory_stats_get(void) {
    pthread_mutex_lock(&H.lock);
    ct_cuda_host_memory_stats s = H.st;
    pthread_mutex_unlock(&H.lock);
    return s;
}

bool ct_is_pinned(const ct_tensor *t) {
    return ct__on_cpu(t) && t->storage->deleter == pinned_free;
}

ct_tensor *ct_pin_memory(const ct_tensor *t) {
    if (!ct__on_cpu(t))
        return CT_FAIL(CT_ERR_RUNTIME, "cannot pin '%s' only dense CPU tensors can be pinned",
                       "torch.cuda.FloatTensor");
    if (ct_is_pinned(t)) return ct_autorelease(ct_retain((ct_tensor *)t));
    if (ct_cuda_device_count() <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Found no NVIDIA driver on your system. Please check that "
                                       "you have an NVIDIA GPU and installed a driver");
    size_t nbytes = (size_t)t->numel * ct_dtype_size(t->dtype);
    hblock *b = pinned_alloc(nbytes);
    if (!b) return NULL;
    ct_storage *s = ct__storage_wrap(b->ptr, nbytes, CT_DEVICE_CPU, pinned_free, b);
    if (!s) {
        pinned_free(b, b->ptr);
        return NULL;
    }
    ct_tensor *r = ct__tensor_new(s, t->dtype, t->sizes, NULL, t->ndim, 0);
    ct__storage_release(s);
    if (r && t->numel && ct__copy_into(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return r ? ct_autorelease(r) : NULL;
}

int ct_cuda_copy_nonblocking(ct_tensor *dst, const ct_tensor *src) {
    bool h2d = ct__on_cpu(src) && !ct__on_cpu(dst), d2h = !ct__on_cpu(src) && ct__on_cpu(dst);
    const ct_tensor *host = h2d ? src : dst;
    bool async = (h2d || d2h) && ct_is_pinned(host) && dst->dtype == src->dtype &&
                 ct_is_contiguous(dst) && ct_is_contiguous(src) && dst->ndim == src->ndim &&
                 memcmp(dst->sizes, src->sizes, sizeof(int64_t) * (size_t)dst->ndim) == 0;
    if (!async) return ct__copy_into(dst, src);
    if (dst->numel == 0) return 0;
    size_t n = (size_t)src->numel * ct_dtype_size(src->dtype);
    cudaStream_t s = (cudaStream_t)ct__cuda_stream();
    if (ct__cuda_check(cudaMemcpyAsync(ct_data_ptr(dst), ct_data_ptr(src), n,
                                       h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, s),
                       "cudaMemcpyAsync") < 0)
        return -1;
    /* the host block is not reused before this copy is done */
    return record_use(host->storage->deleter_ctx, s);
}
