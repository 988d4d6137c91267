/* Caching host allocator.
 *
 * Why: a fresh malloc of a large buffer is an mmap whose pages fault on first
 * touch; an out-of-place op on 16M floats spends most of its time there. Freed
 * blocks are kept by size class and handed out again. Small blocks live in a
 * per-thread cache (no lock on the hot path of a small op); large blocks in a
 * global cache under a mutex (amortised by the size of the op).
 *
 * Blocks of 2 MiB and more are 2 MiB-aligned and asked to be backed by
 * transparent huge pages (madvise; the kernel's default THP mode on Debian).
 * On this virtual machine a TLB miss walks two page tables: streaming 16M
 * floats on 4 KiB pages spent ~40% of a sum's CPU time in misses, and a
 * first touch faults once per 2 MiB instead of once per 4 KiB.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#define ALIGN 64
#define HUGE_PAGE ((size_t)2 << 20)
#define SMALL_MAX (64 * 1024)
#define SMALL_PER_CLASS 64
#define NCLASSES 256

/* Size classes: multiples of 64 up to 512, then four steps per power of two
 * (waste under 25%). Returns the class index and writes the rounded size. */
static int size_class(size_t n, size_t *rounded) {
    if (n <= 512) {
        size_t r = n <= 64 ? 64 : (n + 63) & ~(size_t)63;
        *rounded = r;
        return (int)(r / 64) - 1; /* 0..7 */
    }
    int lg = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^lg < n <= 2^(lg+1) */
    size_t base = (size_t)1 << lg, step = base / 4;
    size_t q = (n - base + step - 1) / step; /* 1..4 */
    *rounded = base + q * step;
    int idx = 8 + (lg - 9) * 4 + (int)(q - 1);
    return idx < NCLASSES ? idx : -1; /* -1: too large to cache */
}

typedef struct block { struct block *next; } block;

typedef struct thread_cache {
    block *lists[NCLASSES];
    int counts[NCLASSES];
} thread_cache;

static _Thread_local thread_cache *tcache;
static pthread_key_t tcache_key;
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;

static struct {
    pthread_mutex_t mu;
    block *lists[NCLASSES];
    size_t cached_bytes;
    size_t limit;
} global = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0};

static atomic_size_t in_use, peak;
static atomic_uint_fast64_t hits, misses;

static void tcache_destroy(void *p) {
    thread_cache *c = p;
    for (int i = 0; i < NCLASSES; i++) {
        while (c->lists[i]) {
            block *b = c->lists[i];
            c->lists[i] = b->next;
            free(b);
        }
    }
    free(c);
}

static void tcache_key_init(void) { pthread_key_create(&tcache_key, tcache_destroy); }

static thread_cache *get_tcache(void) {
    if (CT_LIKELY(tcache != NULL)) return tcache;
    pthread_once(&tcache_once, tcache_key_init);
    tcache = calloc(1, sizeof *tcache);
    if (tcache) pthread_setspecific(tcache_key, tcache);
    return tcache;
}

static size_t cache_limit(void) {
    if (!global.limit) {
        const char *e = getenv("CTORCH_HOST_CACHE_MB");
        size_t mb = e ? (size_t)strtoull(e, NULL, 10) : 4096;
        global.limit = mb * 1024 * 1024 + 1;
    }
    return global.limit - 1;
}

static void note_alloc(size_t r) {
    size_t now = atomic_fetch_add_explicit(&in_use, r, memory_order_relaxed) + r;
    size_t p = atomic_load_explicit(&peak, memory_order_relaxed);
    while (now > p && !atomic_compare_exchange_weak(&peak, &p, now)) {
    }
}

void *ct_host_alloc(size_t nbytes) {
    size_t r;
    int c = size_class(nbytes ? nbytes : 1, &r);
    void *p = NULL;
    if (c >= 0 && r <= SMALL_MAX) {
        thread_cache *tc = get_tcache();
        if (tc && tc->lists[c]) {
            block *b = tc->lists[c];
            tc->lists[c] = b->next;
            tc->counts[c]--;
            atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
            note_alloc(r);
            return b;
        }
    } else if (c >= 0) {
        pthread_mutex_lock(&global.mu);
        block *b = global.lists[c];
        if (b) {
            global.lists[c] = b->next;
            global.cached_bytes -= r;
        }
        pthread_mutex_unlock(&global.mu);
        if (b) {
            atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
            note_alloc(r);
            return b;
        }
    } else {
        r = nbytes;
    }
    atomic_fetch_add_explicit(&misses, 1, memory_order_relaxed);
    size_t align = r >= HUGE_PAGE ? HUGE_PAGE : ALIGN;
    if (posix_memalign(&p, align, r) != 0) {
        /* Give the cache back to the system and try once more. */
        ct_host_cache_empty();
        if (posix_memalign(&p, align, r) != 0) return NULL;
    }
#ifdef MADV_HUGEPAGE
    if (r >= HUGE_PAGE) madvise(p, r & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* a hint: may fail */
#endif
    note_alloc(r);
    return p;
}

void ct_host_free(void *p, size_t nbytes) {
    if (!p) return;
    size_t r;
    int c = size_class(nbytes ? nbytes : 1, &r);
    if (c < 0) r = nbytes;
    atomic_fetch_sub_explicit(&in_use, r, memory_order_relaxed);
    if (c >= 0 && r <= SMALL_MAX) {
        thread_cache *tc = get_tcache();
        if (tc && tc->counts[c] < SMALL_PER_CLASS) {
            block *b = p;
            b->next = tc->lists[c];
            tc->lists[c] = b;
            tc->counts[c]++;
            return;
        }
    } else if (c >= 0) {
        pthread_mutex_lock(&global.mu);
        if (global.cached_bytes + r <= cache_limit()) {
            block *b = p;
            b->next = global.lists[c];
            global.lists[c] = b;
            global.cached_bytes += r;
            pthread_mutex_unlock(&global.mu);
            return;
        }
        pthread_mutex_unlock(&global.mu);
    }
    free(p);
}

void ct_host_cache_empty(void) {
    pthread_mutex_lock(&global.mu);
    for (int i = 0; i < NCLASSES; i++) {
        while (global.lists[i]) {
            block *b = global.lists[i];
            global.lists[i] = b->next;
            free(b);
        }
    }
    global.cached_bytes = 0;
    pthread_mutex_unlock(&global.mu);
    thread_cache *tc = tcache;
    if (tc) {
        for (int i = 0; i < NCLASSES; i++) {
            while (tc->lists[i]) {
                block *b = tc->lists[i];
                tc->lists[i] = b->next;
                free(b);
            }
            tc->counts[i] = 0;
        }
    }
}

/* Library teardown (process exit, or unloading the shared library): the
 * cached blocks go back to the system, so that leak checkers (valgrind,
 * LeakSanitizer) see only memory that tensors still hold. A block freed
 * after this point is cached again and reachable, never lost. */
__attribute__((destructor)) static void host_cache_teardown(void) {
    ct_host_cache_empty();
    thread_cache *tc = tcache;
    if (tc) {
        tcache = NULL;
        pthread_setspecific(tcache_key, NULL);
        free(tc);
    }
}

ct_alloc_stats ct_host_alloc_stats(void) {
    ct_alloc_stats s;
    s.bytes_in_use = atomic_load(&in_use);
    pthread_mutex_lock(&global.mu);
    s.bytes_cached = global.cached_bytes;
    pthread_mutex_unlock(&global.mu);
    s.peak_bytes_in_use = atomic_load(&peak);
    s.cache_hits = atomic_load(&hits);
    s.cache_misses = atomic_load(&misses);
    return s;
}
