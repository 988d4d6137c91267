/* The caching host allocator behind ct_pin_memory: blocks are reused by
 * size class, a block read by a pending non-blocking copy is not handed out
 * before the copy is done, statistics, ct_cuda_empty_cache. Each GPU test
 * counts itself as skipped without a GPU. */
#define CUDA_TEST_GROUP "cuda pinned"
#include "cuda_check.h"

TEST(cuda_pinned, freed_blocks_are_reused_by_size_class) {
    if (!gpu()) return;
    ct_cuda_empty_cache();
    ct_tensor *x = tt_rand(SHAPE(1000), 1, CT_FLOAT32, -1, 1, 1);
    ct_cuda_host_memory_stats s0 = ct_cuda_host_memory_stats_get();
    ct_scope sc = ct_scope_begin();
    ct_tensor *p = ct_pin_memory(x);
    CHECK(p && ct_is_pinned(p) && ct_equal(p, x) == 1);
    void *first = ct_data_ptr(p);
    ct_scope_end(sc);
    ct_cuda_host_memory_stats s1 = ct_cuda_host_memory_stats_get();
    CHECK(s1.driver_allocs == s0.driver_allocs + 1);
    CHECK(s1.allocated == s0.allocated);
    CHECK(s1.reserved >= s0.reserved + 4000);
    /* 3900 bytes: the same 4096-byte class, the same block */
    ct_tensor *q = ct_pin_memory(tt_rand(SHAPE(975), 1, CT_FLOAT32, -1, 1, 2));
    CHECK(q && ct_data_ptr(q) == first);
    ct_cuda_host_memory_stats s2 = ct_cuda_host_memory_stats_get();
    CHECK(s2.driver_allocs == s1.driver_allocs && s2.cache_hits == s1.cache_hits + 1);
    CHECK(s2.allocated == s1.allocated + 4096 && s2.max_allocated >= s2.allocated);
    CHECK(ct_is_pinned(ct_pin_memory(q)));
}

TEST(cuda_pinned, a_block_under_a_pending_copy_is_not_reused_early) {
    if (!gpu()) return;
    int64_t n = 1 << 20;
    ct_tensor *x = tt_rand(&n, 1, CT_FLOAT32, -1, 1, 3), *g = ct_empty_device(&n, 1, CT_FLOAT32, (ct_device){CT_CUDA, 0});
    for (int round = 0; round < 3; round++) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *p = ct_pin_memory(x);
        CHECK(ct_cuda_copy_nonblocking(g, p) == 0);
        ct_scope_end(sc); /* freed while the copy may still read it */
        /* the next block of that size is another one, or this one after the
         * copy completed: overwriting it cannot change what the GPU got */
        ct_tensor *q = ct_pin_memory(ct_zeros(&n, 1, CT_FLOAT32));
        memset(ct_data_ptr(q), 0xff, (size_t)n * 4);
        CHECK(ct_cuda_synchronize(-1) == 0);
        CLOSE_GPU(g, x, 0, true);
    }
    /* after the copies are done, freed blocks come back to the cache */
    CHECK(ct_cuda_synchronize(-1) == 0);
    CHECK(ct_pin_memory(ct_zeros(SHAPE(1), 1, CT_UINT8)) != NULL);
    CHECK(ct_cuda_host_memory_stats_get().pending_blocks == 0);
}

TEST(cuda_pinned, device_to_host_into_a_pinned_block_and_empty_cache) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(3, 500), 2, CT_FLOAT64, -1, 1, 4), *g = ct_cuda(x);
    ct_tensor *h = ct_pin_memory(ct_zeros(SHAPE(3, 500), 2, CT_FLOAT64));
    CHECK(ct_cuda_copy_nonblocking(h, g) == 0);
    CHECK(ct_cuda_synchronize(-1) == 0);
    CHECK(ct_equal(h, x) == 1);
    ct_cuda_host_memory_stats a = ct_cuda_host_memory_stats_get();
    ct_cuda_empty_cache(); /* h is in use: it stays */
    ct_cuda_host_memory_stats b = ct_cuda_host_memory_stats_get();
    CHECK(b.allocated == a.allocated && b.reserved <= a.reserved && b.reserved >= b.allocated);
    CHECK(ct_equal(h, x) == 1);
    CHECK_ERR(ct_pin_memory(g), "only dense CPU tensors can be pinned");
}
