/* Core: dtypes, promotion, storage sharing, scopes, allocator, errors. */
#include "harness.h"

#include <stdlib.h>

TEST(core, dtype_sizes_and_names) {
    CHECK(ct_dtype_size(CT_FLOAT32) == 4 && ct_dtype_size(CT_FLOAT64) == 8);
    CHECK(ct_dtype_size(CT_BOOL) == 1 && ct_dtype_size(CT_BFLOAT16) == 2);
    CHECK(strcmp(ct_dtype_name(CT_INT64), "int64") == 0);
    CHECK(ct_default_dtype() == CT_FLOAT32);
}

TEST(core, promote_types_matches_torch_promote_types) {
    /* torch.promote_types, as printed by PyTorch 1.13 */
    CHECK(ct_promote_types(CT_UINT8, CT_INT8) == CT_INT16);
    CHECK(ct_promote_types(CT_BOOL, CT_UINT8) == CT_UINT8);
    CHECK(ct_promote_types(CT_INT32, CT_FLOAT16) == CT_FLOAT16);
    CHECK(ct_promote_types(CT_FLOAT16, CT_BFLOAT16) == CT_FLOAT32);
    CHECK(ct_promote_types(CT_INT64, CT_FLOAT32) == CT_FLOAT32);
    CHECK(ct_promote_types(CT_FLOAT32, CT_FLOAT64) == CT_FLOAT64);
    CHECK(ct_promote_types(CT_UINT8, CT_INT64) == CT_INT64);
    CHECK(ct_promote_types(CT_BFLOAT16, CT_INT64) == CT_BFLOAT16);
}

TEST(core, half_and_bfloat16_round_trip) {
    float vals[] = {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        CHECK(ct_half_to_float(ct_float_to_half(vals[i])) == vals[i]);
    CHECK(ct_float_to_half(1e6f) == 0x7c00);           /* overflow to inf */
    CHECK(ct_half_to_float(ct_float_to_half(1.0009765625f)) == 1.0009765625f);
    CHECK(ct_half_to_float(ct_float_to_half(1.00048828125f)) == 1.0f); /* ties to even */
    CHECK(ct_bf16_to_float(ct_float_to_bf16(1.0f)) == 1.0f);
    CHECK(ct_bf16_to_float(ct_float_to_bf16(3.140625f)) == 3.140625f);
    CHECK(isnan(ct_bf16_to_float(ct_float_to_bf16(NAN))));
}

TEST(core, empty_rejects_negative_sizes_with_message) {
    CHECK_ERR(ct_empty(SHAPE(2, -3), 2, CT_FLOAT32), "negative dimension -3");
    CHECK_ERR(ct_empty(SHAPE(1LL << 40, 1LL << 40), 2, CT_FLOAT32), "too large");
}

TEST(core, scope_releases_every_returned_tensor) {
    size_t before = ct_scope_depth_items();
    ct_scope s = ct_scope_begin();
    ct_tensor *a = ct_empty(SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *b = ct_view(a, SHAPE(3, 1), 2);
    CHECK_OK(b);
    CHECK(ct_scope_depth_items() == before + 2);
    ct_tensor *kept = ct_keep(b);
    ct_scope_end(s);
    CHECK(ct_scope_depth_items() == before);
    CHECK(atomic_load(&kept->refcount) == 1);
    /* b keeps its base a (PyTorch's _base: an in-place write through b puts
     * a into the graph) */
    CHECK(atomic_load(&kept->storage->refcount) == 2);
    ct_release(kept);
    /* without grad mode no base is kept: a is gone, b holds the storage */
    ct_grad_mode g = ct_no_grad_begin();
    s = ct_scope_begin();
    a = ct_empty(SHAPE(3), 1, CT_FLOAT32);
    kept = ct_keep(ct_view(a, SHAPE(3, 1), 2));
    ct_scope_end(s);
    ct_grad_mode_end(g);
    CHECK(atomic_load(&kept->storage->refcount) == 1);
    ct_release(kept);
}

TEST(core, keep_outlives_the_scope_and_release_frees) {
    ct_tensor *kept;
    {
        ct_scope s = ct_scope_begin();
        kept = ct_keep(ct_empty(SHAPE(2), 1, CT_FLOAT64));
        ct_scope_end(s);
    }
    CHECK(atomic_load(&kept->refcount) == 1);
    ct_release(kept);
}

TEST(core, allocator_reuses_freed_large_blocks) {
    ct_scope s = ct_scope_begin();
    void *p = ct_data_ptr(ct_empty(SHAPE(1 << 20), 1, CT_FLOAT32));
    ct_scope_end(s); /* frees the 4 MiB block into the cache */
    ct_alloc_stats s0 = ct_host_alloc_stats();
    ct_tensor *b = ct_empty(SHAPE(1 << 20), 1, CT_FLOAT32);
    ct_alloc_stats s1 = ct_host_alloc_stats();
    CHECK(s1.cache_hits == s0.cache_hits + 1);
    CHECK(ct_data_ptr(b) == p);
    CHECK(s1.bytes_in_use >= (size_t)4 << 20);
}

TEST(core, from_blob_shares_caller_memory) {
    float buf[6] = {1, 2, 3, 4, 5, 6};
    ct_tensor *t = ct_from_blob(buf, SHAPE(2, 3), NULL, 2, CT_FLOAT32, NULL, NULL);
    CHECK_OK(t);
    CHECK(ct_item_at(t, 4) == 5);
    buf[4] = 50;
    CHECK(ct_item_at(t, 4) == 50);
    ct_tensor *tt = ct_from_blob(buf, SHAPE(3, 2), SHAPE(1, 3), 2, CT_FLOAT32, NULL, NULL);
    CHECK_TENSOR(tt, SHAPE(3, 2), 2, VALS(1, 4, 2, 50, 3, 6), 0);
}

TEST(core, item_requires_one_element) {
    double v;
    ct_tensor *t = tt_tensor(VALS(7), SHAPE(1, 1), 2, CT_INT32);
    CHECK(ct_item(t, &v) == 0 && v == 7);
    ct_tensor *u = ct_empty(SHAPE(2), 1, CT_FLOAT32);
    CHECK(ct_item(u, &v) < 0);
    CHECK(strstr(ct_last_error(), "2 elements") != NULL);
}

TEST(core, wrapped_numbers_are_marked) {
    ct_tensor *f = ct_wrapped_float(2.5), *i = ct_wrapped_int(-3), *b = ct_wrapped_bool(true);
    CHECK(f->wrapped_number && f->dtype == CT_FLOAT64 && f->ndim == 0 && ct_item_at(f, 0) == 2.5);
    CHECK(i->wrapped_number && i->dtype == CT_INT64 && ct_item_at_int(i, 0) == -3);
    CHECK(b->wrapped_number && b->dtype == CT_BOOL && ct_item_at(b, 0) == 1);
}
