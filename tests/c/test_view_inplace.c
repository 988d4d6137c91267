/* In-place view ops and storage ops (src/ops/view_inplace.c). Expected
 * geometry and values follow from the index arithmetic (and PyTorch 1.13's
 * behaviour, noted where a rule is PyTorch's: fill_diagonal_'s wrap,
 * resize_ keeping the strides of an unchanged shape, set_ growing a
 * storage). */
#include "harness.h"

static ct_tensor *arange_f(int64_t n, const int64_t *shape, int ndim) {
    ct_tensor *t = ct_empty(shape, ndim, CT_FLOAT32);
    for (int64_t i = 0; i < n; i++) ((float *)ct_data_ptr(t))[i] = (float)i;
    return t;
}

static bool geom(const ct_tensor *t, int ndim, const int64_t *sizes, const int64_t *strides) {
    if (t->ndim != ndim) return false;
    for (int i = 0; i < ndim; i++)
        if (t->sizes[i] != sizes[i] || t->strides[i] != strides[i]) return false;
    return true;
}

static ct_tensor *leaf64(const int64_t *shape, int ndim, unsigned seed) {
    ct_tensor *t = tt_rand(shape, ndim, CT_FLOAT64, -1, 1, seed);
    ct_set_requires_grad(t, true);
    return t;
}

TEST(t_, transposes_in_place_bumps_the_version_and_keeps_the_object) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    uint64_t v0 = ct_version(a);
    CHECK(ct_t_(a) == a);
    CHECK(geom(a, 2, SHAPE(3, 2), SHAPE(1, 3)));
    CHECK_TENSOR(a, SHAPE(3, 2), 2, VALS(0, 3, 1, 4, 2, 5), 0);
    CHECK(ct_version(a) == v0 + 1);
    ct_tensor *v = arange_f(3, SHAPE(3), 1);
    CHECK(ct_t_(v) == v && geom(v, 1, SHAPE(3), SHAPE(1)));
    CHECK_ERR(ct_t_(arange_f(8, SHAPE(2, 2, 2), 3)), "t_() expects a tensor with <= 2 dimensions");
}

TEST(t_, autograd_records_t_over_the_old_history_and_refuses_leaves) {
    ct_tensor *x = leaf64(SHAPE(2, 3), 2, 1);
    CHECK_ERR(ct_t_(x), "a leaf Variable that requires grad is being used in an in-place operation.");
    CHECK(geom(x, 2, SHAPE(2, 3), SHAPE(3, 1))); /* untouched */
    CHECK_ERR(ct_t_(ct_slice(x, 0, 0, 2, 1)), "a view of a leaf Variable that requires grad");
    ct_tensor *y = ct_mul_scalar(x, 2);
    CHECK(ct_t_(y) == y);
    CHECK(strcmp(ct_node_name(ct_grad_fn(y)), "TBackward0") == 0 ||
          strstr(ct_node_name(ct_grad_fn(y)), "TBackward") != NULL);
    /* d/dx sum(t(2x) * w) = 2 * t(w) */
    ct_tensor *w = tt_rand(SHAPE(3, 2), 2, CT_FLOAT64, -1, 1, 2);
    CHECK(ct_backward(ct_sum(ct_mul(y, w)), NULL, false, false, NULL, 0) == 0);
    double e[6];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) e[i * 3 + j] = 2 * ct_item_at(w, j * 2 + i);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 3), 2, e, 1e-12);
}

TEST(transpose_, swaps_dims_in_place_with_negative_dims_and_errors) {
    ct_tensor *a = arange_f(24, SHAPE(2, 3, 4), 3);
    CHECK(ct_transpose_(a, 0, -1) == a);
    CHECK(geom(a, 3, SHAPE(4, 3, 2), SHAPE(1, 4, 12)));
    CHECK(ct_item_at(a, 1 * 6 + 2 * 2 + 1) == 12 * 1 + 4 * 2 + 1); /* a[1][2][1] = old[1][2][1] */
    CHECK_ERR(ct_transpose_(a, 0, 5), "Dimension out of range");
    CHECK(geom(a, 3, SHAPE(4, 3, 2), SHAPE(1, 4, 12)));
    /* a non-leaf: gradient through transpose */
    ct_tensor *x = leaf64(SHAPE(2, 3), 2, 3);
    ct_tensor *y = ct_mul_scalar(x, 3);
    CHECK(ct_transpose_(y, 0, 1) == y && strstr(ct_node_name(ct_grad_fn(y)), "Transpose"));
    CHECK(ct_backward(ct_sum(ct_mul(y, y)), NULL, false, false, NULL, 0) == 0);
    double e[6];
    for (int i = 0; i < 6; i++) e[i] = 18 * ct_item_at(x, i); /* d/dx sum(9x^2) */
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 3), 2, e, 1e-12);
}

TEST(squeeze_, drops_all_or_one_size_one_dim_in_place) {
    ct_tensor *a = arange_f(3, SHAPE(1, 3, 1), 3);
    CHECK(ct_squeeze_dim_(a, 1) == a && geom(a, 3, SHAPE(1, 3, 1), SHAPE(3, 1, 1)));
    CHECK(ct_squeeze_dim_(a, -1) == a && geom(a, 2, SHAPE(1, 3), SHAPE(3, 1)));
    CHECK(ct_squeeze_(a) == a && geom(a, 1, SHAPE(3), SHAPE(1)));
    CHECK_ERR(ct_squeeze_dim_(a, 5), "Dimension out of range");
    ct_tensor *x = leaf64(SHAPE(1, 4), 2, 4);
    CHECK_ERR(ct_squeeze_(x), "a leaf Variable that requires grad");
    ct_tensor *y = ct_mul_scalar(x, 1);
    CHECK(ct_squeeze_(y) == y && y->ndim == 1 && strstr(ct_node_name(ct_grad_fn(y)), "Squeeze"));
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(1, 4), 2, VALS(1, 1, 1, 1), 0);
}

TEST(unsqueeze_, inserts_a_dim_in_place) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    CHECK(ct_unsqueeze_(a, -1) == a && geom(a, 3, SHAPE(2, 3, 1), SHAPE(3, 1, 1)));
    CHECK(ct_unsqueeze_(a, 0) == a && geom(a, 4, SHAPE(1, 2, 3, 1), SHAPE(6, 3, 1, 1)));
    CHECK_ERR(ct_unsqueeze_(a, 9), "Dimension out of range");
    ct_tensor *s = ct_scalar_tensor(2, CT_FLOAT32);
    CHECK(ct_unsqueeze_(s, 0) == s && geom(s, 1, SHAPE(1), SHAPE(1)));
}

TEST(as_strided_, takes_any_geometry_inside_the_storage) {
    ct_tensor *a = arange_f(6, SHAPE(2, 3), 2);
    CHECK(ct_as_strided_(a, SHAPE(3, 2), SHAPE(1, 3), 2, 0) == a);
    CHECK_TENSOR(a, SHAPE(3, 2), 2, VALS(0, 3, 1, 4, 2, 5), 0);
    CHECK(ct_as_strided_(a, SHAPE(2, 2), SHAPE(2, 1), 2, 1) == a && a->offset == 1);
    CHECK_TENSOR(a, SHAPE(2, 2), 2, VALS(1, 2, 3, 4), 0);
    CHECK_ERR(ct_as_strided_(a, SHAPE(3, 2), SHAPE(1, 3), 2, 1),
              "setStorage: sizes [3, 2], strides [1, 3], storage offset 1, and itemsize 4 "
              "requiring a storage size of 28 are out of bounds for storage of size 24");
    CHECK(a->offset == 1 && a->sizes[0] == 2);
    CHECK_ERR(ct_as_strided_(a, SHAPE(-1), SHAPE(1), 1, 0), "Negative sizes");
    ct_tensor *x = leaf64(SHAPE(4), 1, 5);
    ct_tensor *y = ct_mul_scalar(x, 1);
    CHECK(ct_as_strided_(y, SHAPE(2, 2), SHAPE(1, 2), 2, 0) == y);
    CHECK(ct_backward(ct_sum(ct_mul(y, tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT64))),
                      NULL, false, false, NULL, 0) == 0);
    /* y[i][j] = x[i + 2j]: x0 <- w00, x2 <- w01, x1 <- w10, x3 <- w11 */
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(4), 1, VALS(1, 3, 2, 4), 1e-12);
}

TEST(fill_diagonal_, fills_the_diagonal_with_and_without_wrap) {
    ct_tensor *a = ct_zeros(SHAPE(7, 3), 2, CT_FLOAT32);
    CHECK(ct_fill_diagonal_(a, 5, false) == a);
    double e[21] = {0};
    for (int i = 0; i < 3; i++) e[i * 3 + i] = 5;
    CHECK_TENSOR(a, SHAPE(7, 3), 2, e, 0);
    /* PyTorch's wrap: rows 4, 5, 6 start the diagonal again */
    CHECK(ct_fill_diagonal_(a, 5, true) == a);
    for (int i = 0; i < 3; i++) e[(i + 4) * 3 + i] = 5;
    CHECK_TENSOR(a, SHAPE(7, 3), 2, e, 0);
    /* wide: no wrap; transposed (non-contiguous) input */
    ct_tensor *b = ct_t(ct_zeros(SHAPE(4, 3), 2, CT_FLOAT64));
    CHECK(ct_fill_diagonal_(b, -1.5, true) == b);
    CHECK_TENSOR(b, SHAPE(3, 4), 2, VALS(-1.5, 0, 0, 0, 0, -1.5, 0, 0, 0, 0, -1.5, 0), 0);
    /* 3-d cube, integer dtype (the value is truncated, as PyTorch casts) */
    ct_tensor *c = ct_zeros(SHAPE(2, 2, 2), 3, CT_INT64);
    CHECK(ct_fill_diagonal_(c, 5.7, false) == c);
    CHECK_TENSOR(c, SHAPE(2, 2, 2), 3, VALS(5, 0, 0, 0, 0, 0, 0, 5), 0);
    CHECK_ERR(ct_fill_diagonal_(ct_zeros(SHAPE(2), 1, CT_FLOAT32), 1, false),
              "dimensions must larger than 1");
    CHECK_ERR(ct_fill_diagonal_(ct_zeros(SHAPE(2, 3, 2), 3, CT_FLOAT32), 1, false),
              "all dimensions of input must be of equal length");
    /* autograd: refused on a leaf; through a non-leaf, the diagonal gets no gradient */
    ct_tensor *x = leaf64(SHAPE(2, 2), 2, 6);
    CHECK_ERR(ct_fill_diagonal_(x, 0, false), "leaf Variable that requires grad");
    CHECK_TENSOR(ct_eq_scalar(x, 0), SHAPE(2, 2), 2, VALS(0, 0, 0, 0), 0);
    ct_tensor *y = ct_mul_scalar(x, 2);
    CHECK(ct_fill_diagonal_(y, 0, false) == y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 2), 2, VALS(0, 2, 2, 0), 0);
}

TEST(resize_, grows_by_reallocating_and_shrinks_keeping_the_storage) {
    ct_tensor *a = arange_f(6, SHAPE(6), 1);
    ct_tensor *v = ct_slice(a, 0, 1, 3, 1); /* shares the storage */
    uint64_t ver = ct_version(a);
    CHECK(ct_resize_(a, SHAPE(10, 10), 2) == a);
    CHECK(geom(a, 2, SHAPE(10, 10), SHAPE(10, 1)) && a->numel == 100);
    CHECK(a->storage->nbytes >= 400 && v->storage == a->storage);
    for (int i = 0; i < 6; i++) CHECK(ct_item_at(a, i) == i); /* old bytes kept */
    CHECK_TENSOR(v, SHAPE(2), 1, VALS(1, 2), 0);                /* the view sees the new memory */
    CHECK(ct_version(a) == ver);                                /* PyTorch: no version bump */
    size_t nb = a->storage->nbytes;
    CHECK(ct_resize_(a, SHAPE(2), 1) == a && a->storage->nbytes == nb);
    CHECK_TENSOR(a, SHAPE(2), 1, VALS(0, 1), 0);
    /* an unchanged shape keeps its strides; another shape gets contiguous ones */
    ct_tensor *t = ct_t(arange_f(6, SHAPE(2, 3), 2));
    CHECK(ct_resize_(t, SHAPE(3, 2), 2) == t && geom(t, 2, SHAPE(3, 2), SHAPE(1, 3)));
    CHECK(ct_resize_(t, SHAPE(2, 3), 2) == t && geom(t, 2, SHAPE(2, 3), SHAPE(3, 1)));
    CHECK_TENSOR(t, SHAPE(2, 3), 2, VALS(0, 1, 2, 3, 4, 5), 0);
    /* an offset counts toward the needed storage; 0-d and empty shapes */
    ct_tensor *o = ct_slice(arange_f(6, SHAPE(6), 1), 0, 2, 6, 1);
    CHECK(ct_resize_(o, SHAPE(2, 3), 2) == o && o->storage->nbytes >= 32 && o->offset == 2);
    CHECK(ct_item_at(o, 3) == 5);
    CHECK(ct_resize_(o, NULL, 0) == o && o->ndim == 0 && o->numel == 1);
    CHECK(ct_resize_(o, SHAPE(0, 4), 2) == o && o->numel == 0);
    CHECK_ERR(ct_resize_(o, SHAPE(-1, 3), 2), "Trying to create tensor with negative dimension -1: [-1, 3]");
    ct_tensor *x = leaf64(SHAPE(2), 1, 7);
    CHECK_ERR(ct_resize_(x, SHAPE(3), 1), "cannot resize variables that require grad");
    CHECK_ERR(ct_resize_(ct_mul_scalar(x, 1), SHAPE(3), 1), "cannot resize variables that require grad");
    static float ext[4];
    ct_tensor *e = ct_from_blob(ext, SHAPE(4), NULL, 1, CT_FLOAT32, NULL, NULL);
    CHECK(ct_resize_(e, SHAPE(2), 1) == e);
    CHECK_ERR(ct_resize_(e, SHAPE(8), 1), "Trying to resize storage that is not resizable");
}

TEST(resize_as_, takes_the_sizes_of_another_tensor) {
    ct_tensor *a = arange_f(2, SHAPE(2), 1);
    CHECK(ct_resize_as_(a, ct_zeros(SHAPE(3, 3), 2, CT_FLOAT64)) == a);
    CHECK(geom(a, 2, SHAPE(3, 3), SHAPE(3, 1)));
    CHECK(ct_item_at(a, 1) == 1);
}

TEST(set_, views_another_tensors_storage_or_an_empty_one) {
    ct_tensor *a = ct_zeros(SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *src = arange_f(6, SHAPE(2, 3), 2);
    ct_tensor *tsrc = ct_t(src);
    CHECK(ct_set_(a, tsrc) == a);
    CHECK(a->storage == src->storage && geom(a, 2, SHAPE(3, 2), SHAPE(1, 3)));
    ((float *)ct_data_ptr(src))[1] = 10;
    CHECK(ct_item_at(a, 2) == 10);
    CHECK(ct_set_(a, NULL) == a && geom(a, 1, SHAPE(0), SHAPE(1)) && a->numel == 0);
    /* a geometry over another tensor's storage; a too small storage grows */
    CHECK(ct_set_storage_(a, src, 1, SHAPE(2, 2), SHAPE(2, 1), 2) == a);
    CHECK_TENSOR(a, SHAPE(2, 2), 2, VALS(10, 2, 3, 4), 0);
    CHECK(ct_set_storage_(a, src, 4, SHAPE(2, 2), NULL, 2) == a);
    CHECK(src->storage->nbytes >= 32 && a->storage == src->storage);
    CHECK(ct_item_at(a, 0) == 4 && ct_item_at(a, 1) == 5);
    CHECK_ERR(ct_set_(a, ct_zeros(SHAPE(2), 1, CT_FLOAT64)), "dtype");
    ct_tensor *x = leaf64(SHAPE(2), 1, 8);
    CHECK_ERR(ct_set_(x, ct_zeros(SHAPE(2), 1, CT_FLOAT64)), "a leaf Variable that requires grad");
    CHECK_ERR(ct_set_(ct_zeros(SHAPE(2), 1, CT_FLOAT64), x), "set_: not implemented for tensors that require grad");
}
