/* Joining, splitting and rearranging ops against reference loops written
 * here (multi-index arithmetic over the logical order of the inputs), and
 * error messages checked against Debian's PyTorch 1.13. */
#include "harness.h"

#include <stdlib.h>

/* Values 0, 1, 2, ... in the given shape and dtype. */
static ct_tensor *seq(const int64_t *shape, int ndim, ct_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = (double)i;
    ct_tensor *t = tt_tensor(v, shape, ndim, dt);
    free(v);
    return t;
}

/* Logical flat index of a multi-index. */
static int64_t flat(const ct_tensor *t, const int64_t *idx) {
    int64_t f = 0;
    for (int i = 0; i < t->ndim; i++) f = f * t->sizes[i] + idx[i];
    return f;
}
static double at(const ct_tensor *t, const int64_t *idx) { return ct_item_at(t, flat(t, idx)); }

/* Advances a multi-index over sizes; false after the last one. */
static bool next_idx(int64_t *idx, const int64_t *sizes, int ndim) {
    for (int i = ndim - 1; i >= 0; i--) {
        if (++idx[i] < sizes[i]) return true;
        idx[i] = 0;
    }
    return false;
}

static bool same_shape(const ct_tensor *t, const int64_t *s, int nd) {
    if (t->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (t->sizes[i] != s[i]) return false;
    return true;
}

/* ------------------------------------------------------------------ cat */
TEST(cat, concatenates_along_dims_with_negative_dim) {
    ct_tensor *a = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *b = tt_rand(SHAPE(2, 4), 2, CT_FLOAT32, -1, 1, 3);
    const ct_tensor *xs[2] = {a, b};
    ct_tensor *c = ct_cat(xs, 2, -1);
    CHECK_OK(c);
    CHECK(same_shape(c, SHAPE(2, 7), 2) && c->dtype == CT_FLOAT32);
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 7; j++) {
            double want = j < 3 ? at(a, (int64_t[]){i, j}) : at(b, (int64_t[]){i, j - 3});
            CHECK(at(c, (int64_t[]){i, j}) == want);
        }
    ct_tensor *r = ct_cat((const ct_tensor *[]){a, a, a}, 3, 0);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(6, 3), 2));
    for (int64_t i = 0; i < 18; i++) CHECK(ct_item_at(r, i) == (double)(i % 6));
}

TEST(cat, promotes_dtypes_across_inputs) {
    ct_tensor *a = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    ct_tensor *b = tt_tensor(VALS(200, 3), SHAPE(2), 1, CT_UINT8);
    ct_tensor *c = tt_tensor(VALS(-5, 7), SHAPE(2), 1, CT_INT8);
    ct_tensor *r = ct_cat((const ct_tensor *[]){a, b, c}, 3, 0);
    CHECK_OK(r);
    CHECK(r->dtype == CT_INT16); /* torch: bool, uint8, int8 -> int16 */
    CHECK_TENSOR(r, SHAPE(6), 1, VALS(1, 0, 200, 3, -5, 7), 0);
    ct_tensor *f = tt_tensor(VALS(0.5), SHAPE(1), 1, CT_FLOAT64);
    ct_tensor *h = tt_tensor(VALS(1.5, 2), SHAPE(2), 1, CT_FLOAT16);
    ct_tensor *r2 = ct_cat((const ct_tensor *[]){h, f, b}, 3, 0);
    CHECK_OK(r2);
    CHECK(r2->dtype == CT_FLOAT64);
    CHECK_TENSOR(r2, SHAPE(5), 1, VALS(1.5, 2, 0.5, 200, 3), 0);
}

TEST(cat, skips_legacy_empty_1d_tensors) {
    ct_tensor *a = seq(SHAPE(2, 2), 2, CT_FLOAT32);
    ct_tensor *e = ct_empty(SHAPE(0), 1, CT_INT64);
    ct_tensor *r = ct_cat((const ct_tensor *[]){e, a, e}, 3, 1);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(2, 2), 2) && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2, 2), 2, VALS(0, 1, 2, 3), 0);
    /* all empty: [0] with the promoted dtype (torch: int64 + int32 -> int64) */
    ct_tensor *i32 = ct_empty(SHAPE(0), 1, CT_INT32);
    ct_tensor *r2 = ct_cat((const ct_tensor *[]){e, i32}, 2, 0);
    CHECK_OK(r2);
    CHECK(same_shape(r2, SHAPE(0), 1) && r2->dtype == CT_INT64);
    CHECK_OK(ct_cat((const ct_tensor *[]){e, e}, 2, 3)); /* torch accepts any dim here */
    /* zero-size dims that are not legacy-empty take part */
    ct_tensor *z = ct_empty(SHAPE(0, 2), 2, CT_FLOAT32);
    ct_tensor *r3 = ct_cat((const ct_tensor *[]){z, a, z}, 3, 0);
    CHECK_OK(r3);
    CHECK_TENSOR(r3, SHAPE(2, 2), 2, VALS(0, 1, 2, 3), 0);
}

TEST(cat, reads_non_contiguous_inputs) {
    ct_tensor *a = seq(SHAPE(3, 2), 2, CT_FLOAT64);
    ct_tensor *t = ct_t(a); /* [2, 3] transposed */
    ct_tensor *s = ct_slice(seq(SHAPE(2, 6), 2, CT_INT32), 1, 0, 6, 2); /* [2, 3] stepped */
    ct_tensor *r = ct_cat((const ct_tensor *[]){t, s}, 2, 0);
    CHECK_OK(r);
    CHECK(r->dtype == CT_FLOAT64);
    CHECK_TENSOR(r, SHAPE(4, 3), 2, VALS(0, 2, 4, 1, 3, 5, 0, 2, 4, 6, 8, 10), 0);
}

TEST(cat, large_inputs_cross_the_threading_threshold) {
    ct_tensor *a = tt_rand(SHAPE(300, 200), 2, CT_FLOAT32, -1, 1, 5);
    ct_tensor *b = tt_rand(SHAPE(300, 100), 2, CT_FLOAT32, -1, 1, 6);
    ct_tensor *r = ct_cat((const ct_tensor *[]){a, b}, 2, 1);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(300, 300), 2));
    const float *pa = ct_data_ptr(a), *pb = ct_data_ptr(b), *pr = ct_data_ptr(r);
    for (int64_t i = 0; i < 300; i++)
        for (int64_t j = 0; j < 300; j++)
            CHECK(pr[i * 300 + j] == (j < 200 ? pa[i * 200 + j] : pb[i * 100 + j - 200]));
}

TEST(cat, reports_pytorch_errors) {
    ct_tensor *a = ct_empty(SHAPE(2, 2), 2, CT_FLOAT32);
    ct_tensor *b = ct_empty(SHAPE(3, 3), 2, CT_FLOAT32);
    CHECK_ERR(ct_cat((const ct_tensor *[]){a, b}, 2, 1),
              "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 "
              "for tensor number 1 in the list.");
    ct_tensor *c = ct_empty(SHAPE(2, 2, 2), 3, CT_FLOAT32);
    CHECK_ERR(ct_cat((const ct_tensor *[]){a, c}, 2, 1),
              "Tensors must have same number of dimensions: got 2 and 3");
    CHECK_ERR(ct_cat(NULL, 0, 0), "expected a non-empty list of Tensors");
    ct_tensor *z = ct_scalar_tensor(1, CT_FLOAT32);
    CHECK_ERR(ct_cat((const ct_tensor *[]){z}, 1, 0),
              "zero-dimensional tensor (at position 0) cannot be concatenated");
    CHECK_ERR(ct_cat((const ct_tensor *[]){a}, 1, 2), "Dimension out of range");
}

/* ------------------------------------------------------------------ stack */
TEST(stack, joins_along_a_new_dim) {
    ct_tensor *a = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *b = tt_rand(SHAPE(2, 3), 2, CT_FLOAT32, -1, 1, 9);
    for (int dim = -3; dim <= 2; dim++) {
        ct_tensor *r = ct_stack((const ct_tensor *[]){a, b}, 2, dim);
        CHECK_OK(r);
        int d = dim < 0 ? dim + 3 : dim;
        int64_t want[3];
        for (int i = 0, j = 0; i < 3; i++) want[i] = i == d ? 2 : a->sizes[j++];
        CHECK(same_shape(r, want, 3));
        int64_t idx[3] = {0, 0, 0};
        do {
            int64_t sub[2];
            for (int i = 0, j = 0; i < 3; i++)
                if (i != d) sub[j++] = idx[i];
            CHECK(at(r, idx) == at(idx[d] ? b : a, sub));
        } while (next_idx(idx, want, 3));
    }
    /* 0-d inputs stack into a 1-d tensor */
    ct_tensor *s = ct_stack((const ct_tensor *[]){ct_scalar_tensor(1, CT_INT64),
                                                  ct_scalar_tensor(2, CT_INT64)},
                            2, 0);
    CHECK_TENSOR(s, SHAPE(2), 1, VALS(1, 2), 0);
}

TEST(stack, reports_pytorch_errors) {
    ct_tensor *a = ct_empty(SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *b = ct_empty(SHAPE(3), 1, CT_FLOAT32);
    CHECK_ERR(ct_stack((const ct_tensor *[]){a, b}, 2, 0),
              "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1");
    CHECK_ERR(ct_stack(NULL, 0, 0), "stack expects a non-empty TensorList");
    CHECK_ERR(ct_stack((const ct_tensor *[]){a}, 1, 2), "Dimension out of range");
}

TEST(hstack, joins_1d_along_0_and_others_along_1) {
    ct_tensor *r = ct_hstack((const ct_tensor *[]){ct_scalar_tensor(1, CT_FLOAT32),
                                                   ct_scalar_tensor(2, CT_FLOAT32)},
                             2);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(1, 2), 0);
    ct_tensor *a = seq(SHAPE(2, 1), 2, CT_FLOAT32), *b = seq(SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_hstack((const ct_tensor *[]){a, b}, 2), SHAPE(2, 3), 2, VALS(0, 0, 1, 1, 2, 3), 0);
}

TEST(vstack, promotes_1d_to_rows) {
    ct_tensor *a = seq(SHAPE(3), 1, CT_FLOAT32), *b = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_vstack((const ct_tensor *[]){a, b}, 2), SHAPE(3, 3), 2,
                 VALS(0, 1, 2, 0, 1, 2, 3, 4, 5), 0);
    CHECK_TENSOR(ct_vstack((const ct_tensor *[]){ct_scalar_tensor(1, CT_FLOAT32),
                                                 ct_scalar_tensor(2, CT_FLOAT32)},
                           2),
                 SHAPE(2, 1), 2, VALS(1, 2), 0);
}

TEST(dstack, stacks_along_the_third_dim) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *b = tt_tensor(VALS(2, 3), SHAPE(2), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_dstack((const ct_tensor *[]){a, b}, 2), SHAPE(1, 2, 2), 3, VALS(1, 2, 2, 3), 0);
}

TEST(column_stack, turns_vectors_into_columns) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    ct_tensor *b = tt_tensor(VALS(3, 4), SHAPE(2, 1), 2, CT_INT64);
    CHECK_TENSOR(ct_column_stack((const ct_tensor *[]){a, b, ct_t(tt_tensor(VALS(5, 6, 7, 8), SHAPE(2, 2), 2, CT_INT64))},
                                 3),
                 SHAPE(2, 4), 2, VALS(1, 3, 5, 7, 2, 4, 6, 8), 0);
    /* torch: a 0-d input becomes a [1, 1] column, which mismatches 2 rows */
    CHECK_ERR(ct_column_stack((const ct_tensor *[]){a, b, ct_scalar_tensor(5, CT_INT64)}, 3),
              "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 1 "
              "for tensor number 2 in the list.");
    CHECK_ERR(ct_column_stack(NULL, 0), "column_stack expects a non-empty TensorList");
}

TEST(atleast_1d, views_0d_as_1d) {
    ct_tensor *z = ct_scalar_tensor(4, CT_FLOAT32);
    CHECK_TENSOR(ct_atleast_1d(z), SHAPE(1), 1, VALS(4), 0);
    ct_tensor *m = seq(SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK(ct_atleast_1d(m)->ndim == 2 && ct_atleast_1d(m)->storage == m->storage);
}

TEST(atleast_2d, puts_vectors_in_a_row) {
    CHECK(same_shape(ct_atleast_2d(seq(SHAPE(3), 1, CT_FLOAT32)), SHAPE(1, 3), 2));
    CHECK(same_shape(ct_atleast_2d(ct_scalar_tensor(1, CT_INT32)), SHAPE(1, 1), 2));
}

TEST(atleast_3d, follows_numpys_rule) {
    CHECK(same_shape(ct_atleast_3d(seq(SHAPE(2), 1, CT_FLOAT32)), SHAPE(1, 2, 1), 3)); /* torch: [1, 2, 1] */
    CHECK(same_shape(ct_atleast_3d(seq(SHAPE(2, 3), 2, CT_FLOAT32)), SHAPE(2, 3, 1), 3));
    CHECK(same_shape(ct_atleast_3d(ct_scalar_tensor(1, CT_INT32)), SHAPE(1, 1, 1), 3));
}

/* ------------------------------------------------------------------ splits */
TEST(split, returns_views_of_equal_size) {
    ct_tensor *x = seq(SHAPE(2, 5), 2, CT_FLOAT32);
    ct_tensor *p[8];
    int n = ct_split(x, 2, -1, p, 8);
    CHECK(n == 3);
    CHECK_TENSOR(p[0], SHAPE(2, 2), 2, VALS(0, 1, 5, 6), 0);
    CHECK_TENSOR(p[1], SHAPE(2, 2), 2, VALS(2, 3, 7, 8), 0);
    CHECK_TENSOR(p[2], SHAPE(2, 1), 2, VALS(4, 9), 0);
    CHECK(p[2]->storage == x->storage);
    /* empty dim with size 0 gives one empty piece; too small arrays fail */
    ct_tensor *e = ct_empty(SHAPE(0), 1, CT_FLOAT32);
    CHECK(ct_split(e, 0, 0, p, 8) == 1 && p[0]->numel == 0);
    ct_clear_error();
    CHECK(ct_split(x, 2, 1, p, 2) == -1 && strstr(ct_last_error(), "produces 3 tensors"));
    CHECK(ct_split(x, 0, 1, p, 8) == -1 &&
          strstr(ct_last_error(), "split_size can only be 0 if dimension size is 0, but got "
                                  "dimension size of 5"));
    CHECK(ct_split(x, -1, 1, p, 8) == -1 &&
          strstr(ct_last_error(), "split expects split_size be non-negative, but got split_size=-1"));
    CHECK(ct_split(ct_scalar_tensor(1, CT_FLOAT32), 1, 0, p, 8) == -1 &&
          strstr(ct_last_error(), "split expects at least a 1-dimensional tensor"));
}

TEST(split_with_sizes, splits_by_a_list_and_checks_the_sum) {
    ct_tensor *x = seq(SHAPE(5, 2), 2, CT_INT64);
    ct_tensor *p[4];
    CHECK(ct_split_with_sizes(x, SHAPE(1, 0, 4), 3, 0, p, 4) == 3);
    CHECK_TENSOR(p[0], SHAPE(1, 2), 2, VALS(0, 1), 0);
    CHECK(same_shape(p[1], SHAPE(0, 2), 2));
    CHECK_TENSOR(p[2], SHAPE(4, 2), 2, VALS(2, 3, 4, 5, 6, 7, 8, 9), 0);
    CHECK(ct_split_with_sizes(x, SHAPE(2, 2), 2, 0, p, 4) == -1 &&
          strstr(ct_last_error(), "split_with_sizes expects split_sizes to sum exactly to 5 "
                                  "(input tensor's size at dimension 0), but got split_sizes=[2, 2]"));
}

TEST(chunk, gives_ceil_sized_pieces_and_fewer_when_needed) {
    ct_tensor *x = seq(SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *p[8];
    CHECK(ct_chunk(x, 4, 0, p, 8) == 3); /* torch: sizes 2, 2, 1 */
    CHECK_TENSOR(p[2], SHAPE(1), 1, VALS(4), 0);
    CHECK(ct_chunk(ct_empty(SHAPE(0), 1, CT_FLOAT32), 4, 0, p, 8) == 4);
    CHECK(ct_chunk(x, 0, 0, p, 8) == -1 &&
          strstr(ct_last_error(), "chunk expects `chunks` to be greater than 0, got: 0"));
}

TEST(unbind, selects_every_index) {
    ct_tensor *x = ct_t(seq(SHAPE(3, 2), 2, CT_FLOAT32)); /* [2, 3] non-contiguous */
    ct_tensor *p[4];
    CHECK(ct_unbind(x, -1, p, 4) == 3);
    CHECK_TENSOR(p[1], SHAPE(2), 1, VALS(2, 3), 0);
    CHECK(ct_unbind(ct_scalar_tensor(1, CT_FLOAT32), 0, p, 4) == -1 &&
          strstr(ct_last_error(), "Dimension specified as 0 but tensor has no dimensions"));
}

TEST(tensor_split, splits_by_sections_or_indices) {
    ct_tensor *x = seq(SHAPE(7), 1, CT_FLOAT32);
    ct_tensor *p[8];
    CHECK(ct_tensor_split(x, 3, 0, p, 8) == 3); /* torch: 3, 2, 2 */
    CHECK_TENSOR(p[0], SHAPE(3), 1, VALS(0, 1, 2), 0);
    CHECK_TENSOR(p[2], SHAPE(2), 1, VALS(5, 6), 0);
    CHECK(ct_tensor_split_indices(x, SHAPE(1, 5, 3, 9), 4, 0, p, 8) == 5);
    int64_t want[5] = {1, 4, 0, 4, 0}; /* torch: [1], [4], [0], [4], [0] */
    for (int k = 0; k < 5; k++) CHECK(p[k]->sizes[0] == want[k]);
    CHECK_TENSOR(p[3], SHAPE(4), 1, VALS(3, 4, 5, 6), 0);
    CHECK(ct_tensor_split(x, 0, 0, p, 8) == -1 &&
          strstr(ct_last_error(), "number of sections must be larger than 0, got 0"));
}

TEST(hsplit, splits_columns_or_1d_and_checks_divisibility) {
    ct_tensor *x = seq(SHAPE(4, 4), 2, CT_FLOAT32);
    ct_tensor *p[4];
    CHECK(ct_hsplit(x, 2, p, 4) == 2);
    CHECK_TENSOR(p[1], SHAPE(4, 2), 2, VALS(2, 3, 6, 7, 10, 11, 14, 15), 0);
    CHECK(ct_hsplit_indices(x, SHAPE(1, 3), 2, p, 4) == 3); /* torch: [4,1], [4,2], [4,1] */
    CHECK(p[0]->sizes[1] == 1 && p[1]->sizes[1] == 2 && p[2]->sizes[1] == 1);
    CHECK(ct_hsplit(seq(SHAPE(6), 1, CT_FLOAT32), 2, p, 4) == 2 && p[1]->sizes[0] == 3);
    CHECK(ct_hsplit(x, 3, p, 4) == -1 &&
          strstr(ct_last_error(), "torch.hsplit attempted to split along dimension 1, but the size "
                                  "of the dimension 4 is not divisible by the split_size 3!"));
    CHECK(ct_hsplit(ct_scalar_tensor(1, CT_FLOAT32), 2, p, 4) == -1 &&
          strstr(ct_last_error(), "torch.hsplit requires a tensor with at least 1 dimension, but "
                                  "got a tensor with 0 dimensions!"));
}

TEST(vsplit, splits_rows_of_2d) {
    ct_tensor *x = seq(SHAPE(4, 2), 2, CT_FLOAT32);
    ct_tensor *p[4];
    CHECK(ct_vsplit(x, 2, p, 4) == 2);
    CHECK_TENSOR(p[1], SHAPE(2, 2), 2, VALS(4, 5, 6, 7), 0);
    CHECK(ct_vsplit_indices(x, SHAPE(3), 1, p, 4) == 2 && p[1]->sizes[0] == 1);
    CHECK(ct_vsplit(seq(SHAPE(6), 1, CT_FLOAT32), 2, p, 4) == -1 &&
          strstr(ct_last_error(), "torch.vsplit requires a tensor with at least 2 dimension, but "
                                  "got a tensor with 1 dimensions!"));
}

TEST(dsplit, splits_the_third_dim) {
    ct_tensor *x = seq(SHAPE(1, 2, 4), 3, CT_FLOAT32);
    ct_tensor *p[4];
    CHECK(ct_dsplit(x, 2, p, 4) == 2);
    CHECK_TENSOR(p[0], SHAPE(1, 2, 2), 3, VALS(0, 1, 4, 5), 0);
    CHECK(ct_dsplit_indices(x, SHAPE(1), 1, p, 4) == 2 && p[1]->sizes[2] == 3);
    CHECK(ct_dsplit(seq(SHAPE(2, 2), 2, CT_FLOAT32), 2, p, 4) == -1 &&
          strstr(ct_last_error(), "torch.dsplit requires a tensor with at least 3 dimension"));
}

TEST(block_diag, places_blocks_on_the_diagonal_with_promotion) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(1, 2), 2, CT_INT64);
    ct_tensor *b = ct_scalar_tensor(3, CT_INT64);
    ct_tensor *c = tt_tensor(VALS(4, 5), SHAPE(2), 1, CT_FLOAT32);
    /* torch: [[1,2,0,0,0],[0,0,3,0,0],[0,0,0,4,5]] float32 */
    ct_tensor *r = ct_block_diag((const ct_tensor *[]){a, b, c}, 3);
    CHECK_TENSOR(r, SHAPE(3, 5), 2, VALS(1, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 5), 0);
    CHECK(r->dtype == CT_FLOAT32);
    ct_tensor *t = ct_t(seq(SHAPE(3, 2), 2, CT_FLOAT64)); /* [2, 3] strided */
    CHECK_TENSOR(ct_block_diag((const ct_tensor *[]){t, b}, 2), SHAPE(3, 4), 2,
                 VALS(0, 2, 4, 0, 1, 3, 5, 0, 0, 0, 0, 3), 0);
    CHECK(same_shape(ct_block_diag(NULL, 0), SHAPE(1, 0), 2));
    CHECK_ERR(ct_block_diag((const ct_tensor *[]){ct_empty(SHAPE(2, 2, 2), 3, CT_FLOAT32)}, 1),
              "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions");
}

TEST(cartesian_prod, enumerates_every_combination) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    ct_tensor *b = tt_tensor(VALS(3, 4, 5), SHAPE(3), 1, CT_INT64);
    /* torch: [[1,3],[1,4],[1,5],[2,3],[2,4],[2,5]] */
    CHECK_TENSOR(ct_cartesian_prod((const ct_tensor *[]){a, b}, 2), SHAPE(6, 2), 2,
                 VALS(1, 3, 1, 4, 1, 5, 2, 3, 2, 4, 2, 5), 0);
    CHECK_TENSOR(ct_cartesian_prod((const ct_tensor *[]){a}, 1), SHAPE(2), 1, VALS(1, 2), 0);
    CHECK_ERR(ct_cartesian_prod((const ct_tensor *[]){seq(SHAPE(2, 2), 2, CT_INT64)}, 1),
              "Expect a 1D vector, but got shape [2, 2]");
}

/* ------------------------------------------------------------------ flip */
TEST(flip, reverses_given_dims_of_strided_inputs) {
    ct_tensor *x0 = seq(SHAPE(3, 2, 4), 3, CT_FLOAT64);
    ct_tensor *x = ct_permute(x0, (const int[]){1, 0, 2}, 3); /* [2, 3, 4] */
    ct_tensor *r = ct_flip(x, (const int[]){0, -1}, 2);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(2, 3, 4), 3));
    int64_t idx[3] = {0, 0, 0};
    do {
        int64_t src[3] = {1 - idx[0], idx[1], 3 - idx[2]};
        CHECK(at(r, idx) == at(x, src));
    } while (next_idx(idx, SHAPE(2, 3, 4), 3));
    CHECK_TENSOR(ct_flip(ct_scalar_tensor(3, CT_FLOAT32), (const int[]){0}, 1), SHAPE(), 0, VALS(3), 0);
    CHECK(ct_flip(ct_empty(SHAPE(0, 3), 2, CT_INT8), (const int[]){0, 1}, 2)->numel == 0);
    ct_tensor *h = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_BFLOAT16);
    CHECK_TENSOR(ct_flip(h, (const int[]){0}, 1), SHAPE(3), 1, VALS(3, 2, 1), 0);
    CHECK_ERR(ct_flip(x, (const int[]){0, 0}, 2), "dim 0 appears multiple times in the list of dims");
    CHECK_ERR(ct_flip(x, (const int[]){3}, 1), "Dimension out of range");
}

TEST(fliplr, flips_columns_and_needs_2d) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_fliplr(x), SHAPE(2, 3), 2, VALS(2, 1, 0, 5, 4, 3), 0);
    CHECK_ERR(ct_fliplr(seq(SHAPE(3), 1, CT_FLOAT32)), "Input must be >= 2-d.");
}

TEST(flipud, flips_rows_and_needs_1d) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_flipud(x), SHAPE(2, 3), 2, VALS(3, 4, 5, 0, 1, 2), 0); /* torch */
    CHECK_ERR(ct_flipud(ct_scalar_tensor(1, CT_FLOAT32)), "Input must be >= 1-d.");
}

TEST(rot90, rotates_in_the_plane_of_two_dims) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    /* torch.rot90(x) = [[2, 5], [1, 4], [0, 3]]; k=-1: [[3, 0], [4, 1], [5, 2]] */
    CHECK_TENSOR(ct_rot90(x, 1, NULL, 0), SHAPE(3, 2), 2, VALS(2, 5, 1, 4, 0, 3), 0);
    CHECK_TENSOR(ct_rot90(x, -1, NULL, 0), SHAPE(3, 2), 2, VALS(3, 0, 4, 1, 5, 2), 0);
    CHECK_TENSOR(ct_rot90(x, 2, (const int[]){1, 0}, 2), SHAPE(2, 3), 2, VALS(5, 4, 3, 2, 1, 0), 0);
    CHECK_TENSOR(ct_rot90(x, 4, NULL, 0), SHAPE(2, 3), 2, VALS(0, 1, 2, 3, 4, 5), 0);
    /* a 3-d reference: rot90 once in (1, 2): r[a][i][j] = x[a][j][W-1-i] */
    ct_tensor *y = seq(SHAPE(2, 3, 4), 3, CT_FLOAT64);
    ct_tensor *r = ct_rot90(y, 1, (const int[]){1, -1}, 2);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(2, 4, 3), 3));
    int64_t idx[3] = {0, 0, 0};
    do {
        CHECK(at(r, idx) == at(y, (int64_t[]){idx[0], idx[2], 3 - idx[1]}));
    } while (next_idx(idx, SHAPE(2, 4, 3), 3));
    CHECK_ERR(ct_rot90(x, 1, (const int[]){0, 0}, 2),
              "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0");
    CHECK_ERR(ct_rot90(x, 1, (const int[]){0}, 1), "expected total rotation dims == 2, but got dims = 1");
    CHECK_ERR(ct_rot90(seq(SHAPE(3), 1, CT_FLOAT32), 1, NULL, 0),
              "expected total dims >= 2, but got total dims = 1");
}

/* ------------------------------------------------------------------ roll */
TEST(roll, rotates_along_dims_and_flattened) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    /* torch.roll(x, 1) = [[5, 0, 1], [2, 3, 4]] */
    CHECK_TENSOR(ct_roll(x, SHAPE(1), 1, NULL, 0), SHAPE(2, 3), 2, VALS(5, 0, 1, 2, 3, 4), 0);
    ct_tensor *r = ct_roll(x, SHAPE(-4, 1), 2, (const int[]){1, 0}, 2);
    CHECK_OK(r);
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++) {
            int64_t si = ((i - 1) % 2 + 2) % 2, sj = ((j + 4) % 3 + 3) % 3;
            CHECK(at(r, (int64_t[]){i, j}) == at(x, (int64_t[]){si, sj}));
        }
    ct_tensor *t = ct_t(x); /* non-contiguous */
    CHECK_TENSOR(ct_roll(t, SHAPE(1), 1, (const int[]){0}, 1), SHAPE(3, 2), 2,
                 VALS(2, 5, 0, 3, 1, 4), 0);
    /* torch.roll(x.t(), 1) = [[5, 0], [3, 1], [4, 2]] */
    CHECK_TENSOR(ct_roll(t, SHAPE(1), 1, NULL, 0), SHAPE(3, 2), 2, VALS(5, 0, 3, 1, 4, 2), 0);
    CHECK_TENSOR(ct_roll(ct_scalar_tensor(3, CT_FLOAT32), SHAPE(1), 1, NULL, 0), SHAPE(), 0, VALS(3), 0);
    CHECK(ct_roll(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), SHAPE(1), 1, (const int[]){0}, 1)->numel == 0);
    CHECK_ERR(ct_roll(x, SHAPE(1, 2), 2, (const int[]){0}, 1),
              "shifts and dimensions must align. shifts: 2, dims:1");
}

/* ------------------------------------------------------------------ repeat, tile */
TEST(repeat, tiles_with_leading_dims) {
    ct_tensor *x = ct_t(seq(SHAPE(3, 2), 2, CT_INT32)); /* [2, 3]: [[0,2,4],[1,3,5]] */
    ct_tensor *r = ct_repeat(x, SHAPE(2, 1, 2), 3);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(2, 2, 6), 3) && r->dtype == CT_INT32);
    int64_t idx[3] = {0, 0, 0};
    do {
        CHECK(at(r, idx) == at(x, (int64_t[]){idx[1] % 2, idx[2] % 3}));
    } while (next_idx(idx, SHAPE(2, 2, 6), 3));
    CHECK(same_shape(ct_repeat(x, SHAPE(2, 0, 1), 3), SHAPE(2, 0, 3), 3));
    CHECK_TENSOR(ct_repeat(ct_scalar_tensor(3, CT_FLOAT32), NULL, 0), SHAPE(), 0, VALS(3), 0);
    CHECK_ERR(ct_repeat(x, SHAPE(2), 1),
              "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
    CHECK_ERR(ct_repeat(x, SHAPE(2, -1), 2), "Trying to create tensor with negative dimension -3: [4, -3]");
}

TEST(tile, pads_reps_with_ones) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *r = ct_tile(x, SHAPE(2), 1); /* torch: shape [2, 6] */
    CHECK_TENSOR(r, SHAPE(2, 6), 2, VALS(0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5), 0);
    CHECK(same_shape(ct_tile(x, SHAPE(2, 1, 1), 3), SHAPE(2, 2, 3), 3));
}

/* ------------------------------------------------------------------ repeat_interleave */
TEST(repeat_interleave, repeats_each_element_by_int_or_tensor) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_repeat_interleave(x, 2, CT_DIM_NONE), SHAPE(12), 1,
                 VALS(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5), 0);
    CHECK_TENSOR(ct_repeat_interleave(x, 2, -1), SHAPE(2, 6), 2,
                 VALS(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5), 0);
    ct_tensor *rep = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    CHECK_TENSOR(ct_repeat_interleave_tensor(x, rep, 0), SHAPE(3, 3), 2,
                 VALS(0, 1, 2, 3, 4, 5, 3, 4, 5), 0);
    ct_tensor *rep3 = tt_tensor(VALS(0, 3, 1), SHAPE(3), 1, CT_INT32);
    CHECK_TENSOR(ct_repeat_interleave_tensor(ct_t(seq(SHAPE(3, 2), 2, CT_FLOAT32)), rep3, 1),
                 SHAPE(2, 4), 2, VALS(2, 2, 2, 4, 3, 3, 3, 5), 0);
    CHECK_TENSOR(ct_repeat_interleave_tensor(x, tt_tensor(VALS(2), SHAPE(1), 1, CT_INT64), 0),
                 SHAPE(4, 3), 2, VALS(0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5), 0);
    CHECK_TENSOR(ct_repeat_interleave(ct_scalar_tensor(3, CT_FLOAT32), 2, CT_DIM_NONE), SHAPE(2), 1,
                 VALS(3, 3), 0);
    CHECK_TENSOR(ct_repeat_interleave_self(tt_tensor(VALS(1, 2, 0, 3), SHAPE(4), 1, CT_INT64)),
                 SHAPE(6), 1, VALS(0, 1, 1, 3, 3, 3), 0);
    CHECK_ERR(ct_repeat_interleave(x, -1, 0), "repeats can not be negative");
    CHECK_ERR(ct_repeat_interleave_tensor(x, tt_tensor(VALS(1, -2), SHAPE(2), 1, CT_INT64), 0),
              "repeats can not be negative");
    CHECK_ERR(ct_repeat_interleave_tensor(x, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), 1),
              "repeats must have the same size as input along dim");
    CHECK_ERR(ct_repeat_interleave_tensor(x, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), 0),
              "\"repeat_interleave_cpu\" not implemented for 'Float'");
    CHECK_ERR(ct_repeat_interleave_tensor(x, tt_tensor(VALS(1, 2), SHAPE(1, 2), 2, CT_INT64), 1),
              "repeats must be 0-dim or 1-dim tensor");
}

TEST(repeat_interleave, large_tensor_repeats_match_a_reference) {
    int64_t n = 20000;
    ct_tensor *x = tt_rand(SHAPE(n, 2), 2, CT_FLOAT64, -1, 1, 11);
    ct_tensor *rep = ct_empty(SHAPE(n), 1, CT_INT64);
    int64_t *rp = ct_data_ptr(rep), total = 0;
    for (int64_t i = 0; i < n; i++) total += rp[i] = i % 3;
    ct_tensor *r = ct_repeat_interleave_tensor(x, rep, 0);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(total, 2), 2));
    const double *px = ct_data_ptr(x), *pr = ct_data_ptr(r);
    for (int64_t i = 0, o = 0; i < n; i++)
        for (int64_t k = 0; k < rp[i]; k++, o++)
            CHECK(pr[2 * o] == px[2 * i] && pr[2 * o + 1] == px[2 * i + 1]);
}

/* ------------------------------------------------------------------ tril, triu */
static int check_tri(const ct_tensor *x, int64_t k, bool upper) {
    ct_tensor *r = upper ? ct_triu(x, k) : ct_tril(x, k);
    if (!r || !same_shape(r, x->sizes, x->ndim) || r->dtype != x->dtype) return -1;
    int nd = x->ndim;
    if (x->numel == 0) return 0;
    int64_t idx[CT_MAX_DIMS] = {0};
    do {
        int64_t i = idx[nd - 2], j = idx[nd - 1];
        bool keep = upper ? j - i >= k : j - i <= k;
        if (at(r, idx) != (keep ? at(x, idx) : 0)) return -1;
    } while (next_idx(idx, x->sizes, nd));
    return 0;
}

TEST(tril, keeps_the_lower_triangle_of_batches) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4), 3, CT_FLOAT32, 1, 2, 2);
    for (int64_t k = -4; k <= 5; k++) CHECK(check_tri(x, k, false) == 0);
    CHECK(check_tri(ct_transpose(x, 1, 2), 1, false) == 0);
    CHECK(check_tri(tt_rand(SHAPE(300, 300), 2, CT_INT64, 1, 9, 3), -2, false) == 0);
    CHECK(check_tri(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), 0, false) == 0);
    CHECK_ERR(ct_tril(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), 0),
              "Dimension out of range (expected to be in range of [-1, 0], but got -2)");
    CHECK_ERR(ct_tril(ct_scalar_tensor(1, CT_FLOAT32), 0),
              "Dimension specified as -2 but tensor has no dimensions");
}

TEST(tril, in_place_on_contiguous_and_strided_tensors) {
    ct_tensor *x = tt_rand(SHAPE(3, 4), 2, CT_FLOAT32, 1, 2, 12);
    ct_tensor *ref = ct_clone(x);
    uint64_t v0 = ct_version(x);
    CHECK(ct_tril_(x, 1) == x);
    CHECK(ct_version(x) > v0);
    for (int64_t i = 0; i < 3; i++)
        for (int64_t j = 0; j < 4; j++)
            CHECK(at(x, (int64_t[]){i, j}) == (j - i <= 1 ? at(ref, (int64_t[]){i, j}) : 0));
    ct_tensor *base = tt_rand(SHAPE(4, 3), 2, CT_FLOAT64, 1, 2, 13);
    ct_tensor *bref = ct_clone(base);
    ct_tensor *t = ct_t(base); /* [3, 4] view */
    CHECK(ct_triu_(t, 0) == t);
    for (int64_t i = 0; i < 4; i++)
        for (int64_t j = 0; j < 3; j++) /* t[j][i] = base[i][j] kept when i >= j */
            CHECK(at(base, (int64_t[]){i, j}) == (i - j >= 0 ? at(bref, (int64_t[]){i, j}) : 0));
    CHECK_ERR(ct_tril_(ct_scalar_tensor(1, CT_FLOAT32), 0), "Dimension specified as -2");
}

TEST(triu, keeps_the_upper_triangle_of_batches) {
    ct_tensor *x = tt_rand(SHAPE(3, 4, 2), 3, CT_FLOAT64, 1, 2, 4);
    for (int64_t k = -3; k <= 3; k++) CHECK(check_tri(x, k, true) == 0);
    ct_tensor *b = tt_tensor(VALS(1, 1, 1, 1), SHAPE(2, 2), 2, CT_BOOL);
    CHECK_TENSOR(ct_triu(b, 1), SHAPE(2, 2), 2, VALS(0, 1, 0, 0), 0);
    ct_tensor *h = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT16);
    CHECK_TENSOR(ct_triu(h, 0), SHAPE(2, 2), 2, VALS(1, 2, 0, 4), 0);
}

/* ------------------------------------------------------------------ pad */
TEST(pad, constant_pads_last_dims_first_and_crops_negative) {
    ct_tensor *x = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    /* torch: F.pad(x, (1, 2), value=7) */
    CHECK_TENSOR(ct_pad(x, SHAPE(1, 2), 2, "constant", 7), SHAPE(2, 6), 2,
                 VALS(7, 0, 1, 2, 7, 7, 7, 3, 4, 5, 7, 7), 0);
    /* torch: F.pad(x, (-1, 1)) = [[1, 2, 0], [4, 5, 0]] */
    CHECK_TENSOR(ct_pad(x, SHAPE(-1, 1), 2, "constant", 0), SHAPE(2, 3), 2, VALS(1, 2, 0, 4, 5, 0), 0);
    ct_tensor *r = ct_pad(ct_t(x), SHAPE(0, 1, 2, 0), 4, "constant", -1);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(5, 3), 2));
    for (int64_t i = 0; i < 5; i++)
        for (int64_t j = 0; j < 3; j++) {
            double want = (i >= 2 && j < 2) ? at(x, (int64_t[]){j, i - 2}) : -1;
            CHECK(at(r, (int64_t[]){i, j}) == want);
        }
    ct_tensor *i8 = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT8);
    CHECK_TENSOR(ct_pad(i8, SHAPE(1, 0), 2, "constant", 5), SHAPE(3), 1, VALS(5, 1, 2), 0);
    CHECK_TENSOR(ct_pad(ct_empty(SHAPE(0), 1, CT_FLOAT32), SHAPE(1, 1), 2, NULL, 2), SHAPE(2), 1,
                 VALS(2, 2), 0);
    CHECK_ERR(ct_pad(x, SHAPE(1, 2, 1), 3, "constant", 0), "Padding length must be divisible by 2");
    CHECK_ERR(ct_pad(x, SHAPE(1, 1, 1, 1, 1, 1), 6, "constant", 0), "Padding length too large");
    CHECK_ERR(ct_pad(x, SHAPE(-2, -2), 2, "constant", 0), "resulted in a negative output size");
    CHECK_ERR(ct_pad(x, SHAPE(1, 1), 2, "foo", 0), "Unrecognised padding mode foo");
}

TEST(pad, constant_on_strided_input_matches_index_rule) {
    ct_tensor *x = ct_permute(tt_rand(SHAPE(4, 3, 5), 3, CT_FLOAT64, -1, 1, 14), (const int[]){1, 2, 0}, 3);
    /* x is [3, 5, 4]; pads: last (-1, 2), middle (3, -2), first (1, 0) */
    ct_tensor *r = ct_pad(x, SHAPE(-1, 2, 3, -2, 1, 0), 6, "constant", 0.5);
    CHECK_OK(r);
    CHECK(same_shape(r, SHAPE(4, 6, 5), 3));
    int64_t idx[3] = {0, 0, 0};
    do {
        int64_t src[3] = {idx[0] - 1, idx[1] - 3, idx[2] + 1};
        bool in = src[0] >= 0 && src[0] < 3 && src[1] >= 0 && src[1] < 5 && src[2] >= 0 && src[2] < 4;
        CHECK(at(r, idx) == (in ? at(x, src) : 0.5));
    } while (next_idx(idx, SHAPE(4, 6, 5), 3));
    /* torch: F.pad(arange(6.).view(1, 2, 3), (-1, 1), 'reflect') = [[[1, 2, 1], [4, 5, 4]]] */
    CHECK_TENSOR(ct_pad(seq(SHAPE(1, 2, 3), 3, CT_FLOAT32), SHAPE(-1, 1), 2, "reflect", 0), SHAPE(1, 2, 3), 3,
                 VALS(1, 2, 1, 4, 5, 4), 0);
}

TEST(pad, reflect_replicate_circular_match_index_rules) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64, -1, 1, 8);
    const char *modes[3] = {"reflect", "replicate", "circular"};
    int64_t pl = 2, pr = 3, pt = 1, pb = 2;
    for (int m = 0; m < 3; m++) {
        ct_tensor *r = ct_pad(x, SHAPE(pl, pr, pt, pb), 4, modes[m], 0);
        CHECK_OK(r);
        CHECK(same_shape(r, SHAPE(2, 3, 4 + pt + pb, 5 + pl + pr), 4));
        int64_t idx[4] = {0, 0, 0, 0};
        do {
            int64_t src[4] = {idx[0], idx[1], idx[2] - pt, idx[3] - pl};
            int64_t w[2] = {4, 5};
            for (int q = 0; q < 2; q++) {
                int64_t v = src[2 + q], n = w[q];
                if (m == 0) v = v < 0 ? -v : (v >= n ? 2 * (n - 1) - v : v);
                else if (m == 1) v = v < 0 ? 0 : (v >= n ? n - 1 : v);
                else v = ((v % n) + n) % n;
                src[2 + q] = v;
            }
            CHECK(at(r, idx) == at(x, src));
        } while (next_idx(idx, r->sizes, 4));
    }
    /* torch: F.pad(arange(6).view(2,3), (1,1), 'reflect') = [[1,0,1,2,1],[4,3,4,5,4]] */
    ct_tensor *s = seq(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_pad(s, SHAPE(1, 1), 2, "reflect", 0), SHAPE(2, 5), 2,
                 VALS(1, 0, 1, 2, 1, 4, 3, 4, 5, 4), 0);
    /* torch: circular (-1, 1) on [1, 2, 3] rows gives [[1, 2, 1], [4, 5, 4]] */
    CHECK_TENSOR(ct_pad(ct_view(s, SHAPE(1, 2, 3), 3), SHAPE(-1, 1), 2, "circular", 0), SHAPE(1, 2, 3),
                 3, VALS(1, 2, 1, 4, 5, 4), 0);
    CHECK_TENSOR(ct_pad(ct_t(s), SHAPE(2, 2), 2, "replicate", 0), SHAPE(3, 6), 2,
                 VALS(0, 0, 0, 3, 3, 3, 1, 1, 1, 4, 4, 4, 2, 2, 2, 5, 5, 5), 0);
    CHECK(same_shape(ct_pad(ct_empty(SHAPE(0, 2, 3), 3, CT_FLOAT32), SHAPE(1, 1), 2, "reflect", 0),
                     SHAPE(0, 2, 5), 3));
}

TEST(pad, non_constant_modes_report_pytorch_errors) {
    ct_tensor *x = ct_empty(SHAPE(1, 2, 3), 3, CT_FLOAT32);
    CHECK_ERR(ct_pad(x, SHAPE(3, 1), 2, "reflect", 0),
              "Argument #4: Padding size should be less than the corresponding input dimension, "
              "but got: padding (3, 1) at dimension 2 of input [1, 2, 3]");
    CHECK_ERR(ct_pad(x, SHAPE(1, 1), 2, "reflect", 1),
              "Padding mode \"reflect\" doesn't take in value argument");
    CHECK_ERR(ct_pad(x, SHAPE(4, 3), 2, "circular", 0),
              "Padding value causes wrapping around more than once.");
    CHECK_ERR(ct_pad(ct_empty(SHAPE(1, 1, 2, 3), 4, CT_FLOAT32), SHAPE(1, 1), 2, "reflect", 0),
              "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    CHECK_ERR(ct_pad(ct_empty(SHAPE(1, 2, 0), 3, CT_FLOAT32), SHAPE(1, 1), 2, "replicate", 0),
              "with possibly 0 batch size and other non-zero dimensions for input, but got: [1, 2, 0]");
}

/* ------------------------------------------------------------------ broadcast_to, meshgrid */
TEST(broadcast_to, expands_as_a_view) {
    ct_tensor *x = seq(SHAPE(3, 1), 2, CT_FLOAT32);
    ct_tensor *b = ct_broadcast_to(x, SHAPE(2, 3, 2), 3);
    CHECK_OK(b);
    CHECK(b->storage == x->storage);
    for (int64_t i = 0; i < 12; i++) CHECK(ct_item_at(b, i) == (double)((i / 2) % 3));
    CHECK_ERR(ct_broadcast_to(x, SHAPE(2, 2), 2), "must match the existing size");
}

TEST(meshgrid, builds_ij_and_xy_grids) {
    ct_tensor *a = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *b = tt_tensor(VALS(4, 5), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *g[2];
    CHECK(ct_meshgrid((const ct_tensor *[]){a, b}, 2, "ij", g, 2) == 2);
    CHECK_TENSOR(g[0], SHAPE(3, 2), 2, VALS(1, 1, 2, 2, 3, 3), 0);
    CHECK_TENSOR(g[1], SHAPE(3, 2), 2, VALS(4, 5, 4, 5, 4, 5), 0);
    CHECK(ct_meshgrid((const ct_tensor *[]){a, b}, 2, "xy", g, 2) == 2);
    CHECK_TENSOR(g[0], SHAPE(2, 3), 2, VALS(1, 2, 3, 1, 2, 3), 0);
    CHECK_TENSOR(g[1], SHAPE(2, 3), 2, VALS(4, 4, 4, 5, 5, 5), 0);
    CHECK(ct_meshgrid((const ct_tensor *[]){a, seq(SHAPE(2, 2), 2, CT_FLOAT32)}, 2, "ij", g, 2) == -1 &&
          strstr(ct_last_error(), "Expected 0D or 1D tensor in the tensor list but got: [2, 2]"));
    CHECK(ct_meshgrid((const ct_tensor *[]){a, tt_tensor(VALS(1), SHAPE(1), 1, CT_INT64)}, 2, NULL, g, 2) == -1 &&
          strstr(ct_last_error(), "meshgrid expects all tensors to have the same dtype"));
}
