/* The caching host allocator (src/core/alloc.c): alignment and sizes,
 * reuse of freed blocks, ct_host_cache_empty giving memory back, and
 * concurrent use from threads. Other tests run in the same process, so the
 * checks look at differences of the statistics, never at absolute values. */
#include "harness.h"

#include <omp.h>
#include <stdint.h>

TEST(alloc, blocks_are_64_byte_aligned_and_hold_their_size) {
    const size_t sizes[] = {0, 1, 63, 64, 65, 511, 512, 513, 4095, 65535, 65536, 65537,
                            (1 << 20) + 3, (10 << 20) + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        unsigned char *p = ct_host_alloc(n);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & 63) == 0);
        /* every requested byte is writable (ASan reports an overflow) */
        for (size_t k = 0; k < n; k++) p[k] = (unsigned char)k;
        bool ok = true;
        for (size_t k = 0; k < n; k++) ok &= p[k] == (unsigned char)k;
        CHECK(ok);
        ct_host_free(p, n);
    }
}

TEST(alloc, blocks_of_2_MiB_and_more_start_on_a_huge_page_boundary) {
    /* so that transparent huge pages can back them whole */
    const size_t sizes[] = {(size_t)2 << 20, ((size_t)2 << 20) + 1, (size_t)24 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        ct_host_cache_empty(); /* a fresh block, not a cached one */
        unsigned char *p = ct_host_alloc(sizes[i]);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & (((uintptr_t)2 << 20) - 1)) == 0);
        p[0] = 1;
        p[sizes[i] - 1] = 2;
        ct_host_free(p, sizes[i]);
    }
    unsigned char *q = ct_host_alloc((2 << 20) - 64); /* below: 64-byte alignment only */
    CHECK(q != NULL && ((uintptr_t)q & 63) == 0);
    ct_host_free(q, (2 << 20) - 64);
}

TEST(alloc, a_freed_large_block_is_handed_out_again_for_sizes_of_its_class) {
    size_t n = (6 << 20) + 100; /* rounds up to 7 MiB */
    void *p = ct_host_alloc(n);
    CHECK(p != NULL);
    ct_host_free(p, n);
    ct_alloc_stats s0 = ct_host_alloc_stats();
    CHECK(s0.bytes_cached >= n);
    void *q = ct_host_alloc((6 << 20) + 200); /* same class */
    ct_alloc_stats s1 = ct_host_alloc_stats();
    CHECK(q == p);
    CHECK(s1.cache_hits == s0.cache_hits + 1);
    CHECK(s1.cache_misses == s0.cache_misses);
    CHECK(s1.bytes_cached + n <= s0.bytes_cached + 1024 * 1024); /* the block left the cache */
    ct_host_free(q, (6 << 20) + 200);
}

TEST(alloc, cache_empty_gives_every_cached_block_back) {
    size_t n = 3 << 20;
    void *p = ct_host_alloc(n);
    ct_host_free(p, n);
    CHECK(ct_host_alloc_stats().bytes_cached >= n);
    ct_host_cache_empty();
    ct_alloc_stats s0 = ct_host_alloc_stats();
    CHECK(s0.bytes_cached == 0);
    /* the next allocation of that size comes from the system */
    void *q = ct_host_alloc(n);
    ct_alloc_stats s1 = ct_host_alloc_stats();
    CHECK(s1.cache_misses == s0.cache_misses + 1);
    CHECK(s1.cache_hits == s0.cache_hits);
    ct_host_free(q, n);
    /* tensors: a freed 16M-element float tensor is cached, then released */
    ct_scope s = ct_scope_begin();
    ct_empty(SHAPE(1 << 24), 1, CT_FLOAT32);
    ct_scope_end(s);
    CHECK(ct_host_alloc_stats().bytes_cached >= ((size_t)64 << 20));
    ct_host_cache_empty();
    CHECK(ct_host_alloc_stats().bytes_cached == 0);
}

TEST(alloc, threads_allocate_and_free_concurrently) {
    ct_alloc_stats s0 = ct_host_alloc_stats();
    int bad = 0;
#pragma omp parallel for num_threads(4) reduction(+ : bad) schedule(static)
    for (int i = 0; i < 400; i++) {
        size_t n = (size_t)(i % 7 + 1) << (i % 2 ? 20 : 10); /* large and small classes */
        unsigned char *p = ct_host_alloc(n);
        if (!p || ((uintptr_t)p & 63)) {
            bad++;
            continue;
        }
        p[0] = (unsigned char)i;
        p[n - 1] = (unsigned char)i;
        bad += p[0] != (unsigned char)i || p[n - 1] != (unsigned char)i;
        ct_host_free(p, n);
    }
    ct_alloc_stats s1 = ct_host_alloc_stats();
    CHECK(bad == 0);
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
    CHECK(s1.cache_hits + s1.cache_misses == s0.cache_hits + s0.cache_misses + 400);
}
