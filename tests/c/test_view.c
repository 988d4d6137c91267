/* Views share storage; expected values follow from the index arithmetic. */
#include "harness.h"

static ct_tensor *arange_f(int64_t n, const int64_t *shape, int ndim) {
    ct_tensor *t = ct_empty(shape, ndim, CT_FLOAT32);
    for (int64_t i = 0; i < n; i++) ((float *)ct_data_ptr(t))[i] = (float)i;
    return t;
}

TEST(view, infers_minus_one_and_shares_storage) {
    ct_tensor *a = arange_f(6, SHAPE(6), 1);
    ct_tensor *v = ct_view(a, SHAPE(-1, 3), 2);
    CHECK_TENSOR(v, SHAPE(2, 3), 2, VALS(0, 1, 2, 3, 4, 5), 0);
    CHECK(v->storage == a->storage);
    ((float *)ct_data_ptr(a))[4] = 40;
    CHECK(ct_item_at(v, 4) == 40);
}

TEST(view, rejects_incompatible_strides_and_bad_sizes) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    ct_tensor *t = ct_t(a);
    CHECK_ERR(ct_view(t, SHAPE(6), 1), "view: size [6] is not compatible");
    CHECK_ERR(ct_view(a, SHAPE(4, -1), 2), "invalid for input of size 6");
    CHECK_ERR(ct_view(a, SHAPE(-1, -1), 2), "only one dimension can be inferred");
    /* a transposed view can still split a dim that is contiguous on its own */
    ct_tensor *ok = ct_view(t, SHAPE(3, 2, 1), 3);
    CHECK_OK(ok);
}

TEST(reshape, copies_when_a_view_is_impossible) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    ct_tensor *r = ct_reshape(ct_t(a), SHAPE(6), 1);
    CHECK_TENSOR(r, SHAPE(6), 1, VALS(0, 3, 1, 4, 2, 5), 0);
    CHECK(r->storage != a->storage);
    ct_tensor *v = ct_reshape(a, SHAPE(3, 2), 2);
    CHECK(v->storage == a->storage);
}

TEST(permute, reorders_sizes_and_strides) {
    ct_tensor *a = arange_f(24, SHAPE(2, 3, 4), 3);
    ct_tensor *p = ct_permute(a, (const int[]){2, 0, 1}, 3);
    CHECK_OK(p);
    CHECK(p->sizes[0] == 4 && p->sizes[1] == 2 && p->sizes[2] == 3);
    CHECK(p->strides[0] == 1 && p->strides[1] == 12 && p->strides[2] == 4);
    /* p[k][i][j] = a[i][j][k] = 12i + 4j + k */
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) CHECK(ct_item_at(p, k * 6 + i * 3 + j) == 12 * i + 4 * j + k);
    CHECK_ERR(ct_permute(a, (const int[]){0, 0, 1}, 3), "repeated dim");
    CHECK_ERR(ct_permute(a, (const int[]){0, 1}, 2), "does not match");
}

TEST(transpose, swaps_two_dims_with_negative_indices) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    ct_tensor *t = ct_transpose(a, 0, -1);
    CHECK_TENSOR(t, SHAPE(3, 2), 2, VALS(0, 3, 1, 4, 2, 5), 0);
    CHECK_ERR(ct_transpose(a, 0, 2), "Dimension out of range");
}

TEST(t, transposes_2d_and_keeps_1d) {
    ct_tensor *a = arange_f(3, SHAPE(3), 1);
    CHECK_TENSOR(ct_t(a), SHAPE(3), 1, VALS(0, 1, 2), 0);
    ct_tensor *b = arange_f(8, SHAPE(2, 2, 2), 3);
    CHECK_ERR(ct_t(b), "expects a tensor with <= 2 dimensions");
}

TEST(expand, broadcasts_with_zero_stride) {
    ct_tensor *a = arange_f(3, SHAPE(3, 1), 2);
    ct_tensor *e = ct_expand(a, SHAPE(2, 3, 4), 3);
    CHECK_OK(e);
    CHECK(e->strides[0] == 0 && e->strides[2] == 0);
    for (int i = 0; i < 24; i++) CHECK(ct_item_at(e, i) == (i / 4) % 3);
    CHECK_OK(ct_expand(a, SHAPE(-1, 5), 2));
    CHECK_ERR(ct_expand(a, SHAPE(2, 4), 2), "must match the existing size");
}

TEST(squeeze, drops_all_or_one_size_one_dim) {
    ct_tensor *a = arange_f(3, SHAPE(1, 3, 1), 3);
    ct_tensor *s = ct_squeeze(a);
    CHECK(s->ndim == 1 && s->sizes[0] == 3);
    ct_tensor *s0 = ct_squeeze_dim(a, 0);
    CHECK(s0->ndim == 2 && s0->sizes[0] == 3 && s0->sizes[1] == 1);
    ct_tensor *s1 = ct_squeeze_dim(a, 1); /* size 3: unchanged */
    CHECK(s1->ndim == 3);
}

TEST(unsqueeze, inserts_size_one_dims) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    ct_tensor *u = ct_unsqueeze(a, -1);
    CHECK(u->ndim == 3 && u->sizes[2] == 1 && u->strides[2] == 1);
    ct_tensor *u0 = ct_unsqueeze(a, 0);
    CHECK(u0->sizes[0] == 1 && u0->sizes[1] == 2);
    CHECK_ERR(ct_unsqueeze(a, 4), "Dimension out of range");
}

TEST(narrow, takes_a_range_of_one_dim) {
    ct_tensor *a = arange_f(12, SHAPE(3, 4), 2);
    CHECK_TENSOR(ct_narrow(a, 1, 1, 2), SHAPE(3, 2), 2, VALS(1, 2, 5, 6, 9, 10), 0);
    CHECK_ERR(ct_narrow(a, 0, 2, 2), "exceeds dimension size");
}

TEST(select, removes_a_dim_at_an_index) {
    ct_tensor *a = arange_f(12, SHAPE(3, 4), 2);
    CHECK_TENSOR(ct_select(a, 1, -1), SHAPE(3), 1, VALS(3, 7, 11), 0);
    CHECK_ERR(ct_select(a, 0, 3), "out of range");
}

TEST(slice, steps_and_clamps_like_python) {
    ct_tensor *a = arange_f(10, SHAPE(10), 1);
    CHECK_TENSOR(ct_slice(a, 0, 1, 100, 3), SHAPE(3), 1, VALS(1, 4, 7), 0);
    CHECK_TENSOR(ct_slice(a, 0, -3, 10, 1), SHAPE(3), 1, VALS(7, 8, 9), 0);
    CHECK_TENSOR(ct_slice(a, 0, 5, 2, 1), SHAPE(0), 1, VALS(0), 0);
    CHECK_ERR(ct_slice(a, 0, 0, 5, 0), "step must be greater than zero");
}

TEST(flatten, merges_a_dim_range) {
    ct_tensor *a = arange_f(24, SHAPE(2, 3, 4), 3);
    ct_tensor *f = ct_flatten(a, 1, -1);
    CHECK(f->ndim == 2 && f->sizes[1] == 12 && f->storage == a->storage);
    ct_tensor *z = ct_flatten(ct_scalar_tensor(3, CT_FLOAT32), 0, -1);
    CHECK_TENSOR(z, SHAPE(1), 1, VALS(3), 0);
}

TEST(unflatten, splits_one_dim) {
    ct_tensor *a = arange_f(12, SHAPE(12), 1);
    ct_tensor *u = ct_unflatten(a, 0, SHAPE(3, -1), 2);
    CHECK(u && u->ndim == 2 && u->sizes[0] == 3 && u->sizes[1] == 4);
    CHECK_ERR(ct_unflatten(a, 0, SHAPE(5, 2), 2), "don't multiply up");
}

TEST(unfold, makes_sliding_windows) {
    ct_tensor *a = arange_f(7, SHAPE(7), 1);
    CHECK_TENSOR(ct_unfold(a, 0, 3, 2), SHAPE(3, 3), 2, VALS(0, 1, 2, 2, 3, 4, 4, 5, 6), 0);
    CHECK_ERR(ct_unfold(a, 0, 8, 1), "maximum size");
}

TEST(diagonal, views_offsets_of_the_diagonal) {
    ct_tensor *a = arange_f(12, SHAPE(3, 4), 2);
    CHECK_TENSOR(ct_diagonal(a, 0, 0, 1), SHAPE(3), 1, VALS(0, 5, 10), 0);
    CHECK_TENSOR(ct_diagonal(a, 1, 0, 1), SHAPE(3), 1, VALS(1, 6, 11), 0);
    CHECK_TENSOR(ct_diagonal(a, -1, 0, 1), SHAPE(2), 1, VALS(4, 9), 0);
    CHECK_TENSOR(ct_diagonal(a, 5, 0, 1), SHAPE(0), 1, VALS(0), 0);
}

TEST(as_strided, builds_overlapping_windows_and_checks_bounds) {
    ct_tensor *a = arange_f(5, SHAPE(5), 1);
    CHECK_TENSOR(ct_as_strided(a, SHAPE(3, 2), SHAPE(1, 1), 2, 1), SHAPE(3, 2), 2,
                 VALS(1, 2, 2, 3, 3, 4), 0);
    CHECK_ERR(ct_as_strided(a, SHAPE(3, 2), SHAPE(2, 1), 2, 1), "require a storage");
}

TEST(contiguous, copies_only_when_needed) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    CHECK(ct_contiguous(a) == a);
    ct_tensor *c = ct_contiguous(ct_t(a));
    CHECK(ct_is_contiguous(c) && c->storage != a->storage);
    CHECK_TENSOR(c, SHAPE(3, 2), 2, VALS(0, 3, 1, 4, 2, 5), 0);
}

TEST(copy_, broadcasts_converts_and_bumps_version) {
    ct_tensor *dst = ct_empty(SHAPE(2, 3), 2, CT_INT32);
    ct_tensor *src = tt_tensor(VALS(1.9, -2.5, 3), SHAPE(3), 1, CT_FLOAT64);
    uint64_t v0 = ct_version(dst);
    CHECK(ct_copy_(dst, src) == dst);
    CHECK(ct_version(dst) == v0 + 1);
    CHECK_TENSOR(dst, SHAPE(2, 3), 2, VALS(1, -2, 3, 1, -2, 3), 0); /* truncation toward 0 */
    CHECK_ERR(ct_copy_(src, dst), "cannot be broadcast");
}

TEST(copy_, threads_over_large_strided_copies) {
    int64_t n = 600, m = 700;
    ct_tensor *a = tt_rand(SHAPE(n, m), 2, CT_FLOAT64, -1, 1, 3);
    ct_tensor *d = ct_empty(SHAPE(m, n), 2, CT_FLOAT32);
    CHECK_OK(ct_copy_(d, ct_t(a)));
    for (int64_t i = 0; i < m; i += 37)
        for (int64_t j = 0; j < n; j += 11)
            CHECK(ct_item_at(d, i * n + j) == (float)ct_item_at(a, j * m + i));
}

TEST(to_dtype, converts_between_all_dtypes) {
    ct_tensor *a = tt_tensor(VALS(0, 1, -1, 2.5, 100), SHAPE(5), 1, CT_FLOAT32);
    ct_dtype all[] = {CT_BOOL, CT_UINT8, CT_INT8, CT_INT16, CT_INT32, CT_INT64,
                      CT_FLOAT16, CT_BFLOAT16, CT_FLOAT32, CT_FLOAT64};
    for (size_t i = 0; i < 10; i++) {
        ct_tensor *b = ct_to_dtype(a, all[i], false);
        CHECK_OK(b);
        CHECK(b->dtype == all[i]);
        ct_tensor *back = ct_to_dtype(b, CT_FLOAT64, false);
        double e[5] = {0, 1, -1, 2.5, 100};
        for (int k = 0; k < 5; k++) {
            if (all[i] == CT_BOOL) e[k] = e[k] != 0;
            else if (!ct_dtype_is_floating(all[i])) e[k] = (double)(int64_t)e[k];
            if (all[i] == CT_UINT8 && k == 2) e[k] = 255;
        }
        CHECK_TENSOR(back, SHAPE(5), 1, e, 0);
    }
    CHECK(ct_to_dtype(a, CT_FLOAT32, false) == a);
}

TEST(clone, makes_an_independent_copy) {
    ct_tensor *a = arange_f(4, SHAPE(2, 2), 2);
    ct_tensor *c = ct_clone(ct_t(a));
    /* preserve_format, as torch's clone(): the transposed layout, dense */
    CHECK(c->storage != a->storage && c->strides[0] == 1 && c->strides[1] == 2);
    ((float *)ct_data_ptr(a))[1] = 9;
    CHECK_TENSOR(c, SHAPE(2, 2), 2, VALS(0, 2, 1, 3), 0);
}
