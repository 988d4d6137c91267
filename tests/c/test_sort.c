/* Sorting and counting ops against reference loops written here (a stable
 * insertion sort of (value, index) pairs with NaN greatest) and values
 * printed by Debian's PyTorch 1.13. */
#include "harness.h"

#include <stdlib.h>

static const double NaN_ = NAN;

/* Reference: stable sort of row values v[0..n) -> order[] (NaN greatest). */
static bool ref_before(double a, double b, bool desc) {
    if (desc) return a > b || (isnan(a) && !isnan(b));
    return a < b || (isnan(b) && !isnan(a));
}
static void ref_sort(const double *v, int64_t n, bool desc, int64_t *order) {
    for (int64_t i = 0; i < n; i++) order[i] = i;
    /* binary-insertion would do; plain insertion is fine for test sizes, but
     * large rows use a merge below */
    int64_t *tmp = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = ref_before(v[order[b]], v[order[a]], desc) ? order[b++] : order[a++];
            while (a < mid) tmp[o++] = order[a++];
            while (b < hi) tmp[o++] = order[b++];
        }
        memcpy(order, tmp, sizeof(int64_t) * (size_t)n);
    }
    free(tmp);
}

/* Checks sort(x, dim) of a 2-d x against the reference, row by row. */
static int check_sort_2d(const ct_tensor *x, int dim, bool desc) {
    ct_tensor *idx = NULL;
    ct_tensor *v = ct_sort(x, dim, desc, true, &idx);
    if (!v || !idx || idx->dtype != CT_INT64 || v->dtype != x->dtype) return -1;
    int64_t R = x->sizes[1 - dim], n = x->sizes[dim];
    double *row = calloc((size_t)(n ? n : 1), sizeof(double));
    int64_t *order = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int rc = 0;
    for (int64_t r = 0; r < R && rc == 0; r++) {
        for (int64_t i = 0; i < n; i++) row[i] = ct_item_at(x, dim == 1 ? r * n + i : i * R + r);
        ref_sort(row, n, desc, order);
        for (int64_t i = 0; i < n; i++) {
            int64_t f = dim == 1 ? r * n + i : i * R + r;
            double got = ct_item_at(v, f), want = row[order[i]];
            if (ct_item_at_int(idx, f) != order[i] || !(got == want || (isnan(got) && isnan(want)))) {
                rc = -1;
                break;
            }
        }
    }
    free(row);
    free(order);
    return rc;
}

/* ------------------------------------------------------------------ sort */
TEST(sort, orders_nan_last_ascending_and_first_descending) {
    ct_tensor *a = tt_tensor(VALS(3, NaN_, 1, 2, NaN_, -1), SHAPE(6), 1, CT_FLOAT32);
    ct_tensor *i;
    /* torch: values [-1, 1, 2, 3, nan, nan], indices [5, 2, 3, 0, 1, 4] */
    CHECK_TENSOR(ct_sort(a, 0, false, false, &i), SHAPE(6), 1, VALS(-1, 1, 2, 3, NaN_, NaN_), 0);
    CHECK_TENSOR(i, SHAPE(6), 1, VALS(5, 2, 3, 0, 1, 4), 0);
    /* torch: values [nan, nan, 3, 2, 1, -1], indices [1, 4, 0, 3, 2, 5] */
    CHECK_TENSOR(ct_sort(a, -1, true, false, &i), SHAPE(6), 1, VALS(NaN_, NaN_, 3, 2, 1, -1), 0);
    CHECK_TENSOR(i, SHAPE(6), 1, VALS(1, 4, 0, 3, 2, 5), 0);
}

TEST(sort, matches_reference_on_strided_rows_of_every_dtype) {
    ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT64, CT_INT32, CT_INT16, CT_INT8, CT_UINT8,
                      CT_BOOL, CT_FLOAT16, CT_BFLOAT16};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        double hi = dts[k] == CT_BOOL ? 2 : 50;
        ct_tensor *x = tt_rand(SHAPE(7, 45), 2, dts[k], 0, hi, (unsigned)k + 1);
        for (int dim = 0; dim < 2; dim++) {
            CHECK(check_sort_2d(x, dim, false) == 0);
            CHECK(check_sort_2d(x, dim, true) == 0);
        }
        CHECK(check_sort_2d(ct_t(x), 1, false) == 0);
    }
}

TEST(sort, long_rows_of_every_dtype_with_ties_nans_and_signed_zeros) {
    ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT64, CT_INT32, CT_INT16, CT_INT8, CT_UINT8,
                      CT_BOOL, CT_FLOAT16};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        double lo = ct_dtype_is_floating(dts[k]) || dts[k] == CT_INT8 || dts[k] == CT_INT16 ||
                            dts[k] == CT_INT32 || dts[k] == CT_INT64
                        ? -60
                        : 0;
        double hi = dts[k] == CT_BOOL ? 2 : 60;
        ct_tensor *x = tt_rand(SHAPE(3, 700), 2, dts[k], lo, hi, (unsigned)k + 40);
        if (ct_dtype_is_floating(dts[k])) { /* NaNs, infinities and both zeros */
            for (int64_t i = 0; i < 2100; i += 17) {
                double v = (i / 17) % 5 == 0 ? NAN : (i / 17) % 5 == 1 ? -0.0 : (i / 17) % 5 == 2 ? 0.0
                         : (i / 17) % 5 == 3 ? INFINITY : -INFINITY;
                ct_tensor *e = ct_narrow(ct_flatten(x, 0, -1), 0, i, 1);
                ct_copy_(e, ct_scalar_tensor(v, CT_FLOAT64));
            }
        }
        CHECK(check_sort_2d(x, 1, false) == 0);
        CHECK(check_sort_2d(x, 1, true) == 0);
    }
}

TEST(sort, stable_keeps_equal_keys_in_input_order) {
    double v[40];
    for (int i = 0; i < 40; i++) v[i] = (i * 7) % 3; /* many ties */
    ct_tensor *x = tt_tensor(v, SHAPE(40), 1, CT_INT64);
    ct_tensor *i;
    ct_tensor *s = ct_sort(x, 0, false, true, &i);
    CHECK_OK(s);
    for (int k = 1; k < 40; k++) {
        CHECK(ct_item_at(s, k - 1) <= ct_item_at(s, k));
        if (ct_item_at(s, k - 1) == ct_item_at(s, k)) CHECK(ct_item_at_int(i, k - 1) < ct_item_at_int(i, k));
    }
    ct_sort(x, 0, true, true, &i);
    for (int k = 1; k < 40; k++)
        if (v[ct_item_at_int(i, k - 1)] == v[ct_item_at_int(i, k)])
            CHECK(ct_item_at_int(i, k - 1) < ct_item_at_int(i, k));
}

TEST(sort, large_rows_above_the_threading_threshold) {
    ct_tensor *x = tt_rand(SHAPE(40, 2000), 2, CT_FLOAT32, -100, 100, 21);
    /* some NaNs and ties */
    float *p = ct_data_ptr(x);
    for (int64_t i = 0; i < 80000; i += 97) p[i] = NAN;
    for (int64_t i = 5; i < 80000; i += 13) p[i] = 1.5f;
    CHECK(check_sort_2d(x, 1, false) == 0);
    CHECK(check_sort_2d(x, 0, true) == 0);
    ct_tensor *one = tt_rand(SHAPE(50000, 1), 2, CT_INT32, -1000, 1000, 22);
    CHECK(check_sort_2d(one, 0, false) == 0);
}

TEST(sort, handles_0d_and_empty_and_bad_dims) {
    ct_tensor *i;
    CHECK_TENSOR(ct_sort(ct_scalar_tensor(3, CT_FLOAT32), 0, false, false, &i), SHAPE(), 0, VALS(3), 0);
    CHECK(i->ndim == 0 && ct_item_at_int(i, 0) == 0);
    ct_tensor *e = ct_sort(ct_empty(SHAPE(3, 0), 2, CT_FLOAT32), 1, false, false, &i);
    CHECK_OK(e);
    CHECK(e->numel == 0 && i->sizes[0] == 3 && i->sizes[1] == 0);
    CHECK_ERR(ct_sort(ct_empty(SHAPE(3), 1, CT_FLOAT32), 1, false, false, NULL), "Dimension out of range");
}

TEST(argsort, returns_the_sort_indices) {
    ct_tensor *a = tt_tensor(VALS(3, NaN_, 1, 2, NaN_, -1), SHAPE(6), 1, CT_FLOAT64);
    /* torch.argsort: [5, 2, 3, 0, 1, 4] */
    CHECK_TENSOR(ct_argsort(a, 0, false, false), SHAPE(6), 1, VALS(5, 2, 3, 0, 1, 4), 0);
    CHECK(ct_argsort(a, 0, false, false)->dtype == CT_INT64);
}

TEST(msort, sorts_along_the_first_dim) {
    ct_tensor *x = tt_tensor(VALS(3, 1, 1, 2), SHAPE(2, 2), 2, CT_FLOAT32);
    /* torch.msort: [[1, 1], [3, 2]] */
    CHECK_TENSOR(ct_msort(x), SHAPE(2, 2), 2, VALS(1, 1, 3, 2), 0);
}

/* ------------------------------------------------------------------ topk */
TEST(topk, takes_largest_or_smallest_with_nan_largest) {
    ct_tensor *a = tt_tensor(VALS(3, NaN_, 1, 2, NaN_, -1), SHAPE(6), 1, CT_FLOAT32);
    ct_tensor *i;
    /* torch: values [nan, nan], indices [1, 4] */
    CHECK_TENSOR(ct_topk(a, 2, 0, true, true, &i), SHAPE(2), 1, VALS(NaN_, NaN_), 0);
    CHECK_TENSOR(i, SHAPE(2), 1, VALS(1, 4), 0);
    /* torch: largest=False: [-1, 1], [5, 2] */
    CHECK_TENSOR(ct_topk(a, 2, 0, false, true, &i), SHAPE(2), 1, VALS(-1, 1), 0);
    CHECK_TENSOR(i, SHAPE(2), 1, VALS(5, 2), 0);
    CHECK_ERR(ct_topk(a, 7, 0, true, true, NULL), "selected index k out of range");
    CHECK_ERR(ct_topk(a, -1, 0, true, true, NULL), "selected index k out of range");
    CHECK_TENSOR(ct_topk(ct_scalar_tensor(3, CT_FLOAT32), 1, 0, true, true, &i), SHAPE(), 0, VALS(3), 0);
    CHECK(ct_topk(ct_empty(SHAPE(3, 0), 2, CT_FLOAT32), 0, -1, true, true, &i)->numel == 0);
}

TEST(topk, matches_reference_along_dim_0) {
    ct_tensor *x = tt_rand(SHAPE(30, 5), 2, CT_FLOAT64, -1, 1, 31); /* distinct values */
    ct_tensor *i;
    ct_tensor *v = ct_topk(x, 4, 0, true, true, &i);
    CHECK_OK(v);
    CHECK(v->sizes[0] == 4 && v->sizes[1] == 5);
    double col[30];
    int64_t order[30];
    for (int64_t c = 0; c < 5; c++) {
        for (int64_t r = 0; r < 30; r++) col[r] = ct_item_at(x, r * 5 + c);
        ref_sort(col, 30, true, order);
        for (int64_t r = 0; r < 4; r++) {
            CHECK(ct_item_at(v, r * 5 + c) == col[order[r]]);
            CHECK(ct_item_at_int(i, r * 5 + c) == order[r]);
        }
    }
}

TEST(topk, selection_equals_the_stable_sort_prefix_with_ties) {
    ct_tensor *x = tt_rand(SHAPE(6, 3000), 2, CT_INT16, -20, 20, 33); /* many ties */
    double *row = malloc(sizeof(double) * 3000);
    int64_t *order = malloc(sizeof(int64_t) * 3000);
    for (int largest = 0; largest < 2; largest++) {
        ct_tensor *i;
        ct_tensor *v = ct_topk(x, 50, 1, largest, true, &i);
        CHECK_OK(v);
        for (int64_t r = 0; r < 6; r++) {
            for (int64_t j = 0; j < 3000; j++) row[j] = ct_item_at(x, r * 3000 + j);
            ref_sort(row, 3000, largest, order);
            for (int64_t j = 0; j < 50; j++) {
                CHECK(ct_item_at(v, r * 50 + j) == row[order[j]]);
                CHECK(ct_item_at_int(i, r * 50 + j) == order[j]);
            }
        }
    }
    free(row);
    free(order);
}

/* ------------------------------------------------------------------ kthvalue */
TEST(kthvalue, picks_the_kth_smallest_with_keepdim) {
    ct_tensor *a = tt_tensor(VALS(3, NaN_, 1, 2, NaN_, -1), SHAPE(6), 1, CT_FLOAT32);
    ct_tensor *i;
    /* torch.kthvalue(a, 2) = (1., 2) */
    CHECK_TENSOR(ct_kthvalue(a, 2, 0, false, &i), SHAPE(), 0, VALS(1), 0);
    CHECK(ct_item_at_int(i, 0) == 2);
    ct_tensor *x = tt_tensor(VALS(5, 1, 4, 2, 8, 0), SHAPE(2, 3), 2, CT_INT32);
    CHECK_TENSOR(ct_kthvalue(x, 2, 1, true, &i), SHAPE(2, 1), 2, VALS(4, 2), 0);
    CHECK_TENSOR(i, SHAPE(2, 1), 2, VALS(2, 0), 0);
    CHECK_TENSOR(ct_kthvalue(x, 1, 0, false, &i), SHAPE(3), 1, VALS(2, 1, 0), 0);
    CHECK_TENSOR(i, SHAPE(3), 1, VALS(1, 0, 1), 0);
    CHECK_ERR(ct_kthvalue(a, 0, 0, false, NULL), "kthvalue(): selected number k out of range for dimension 0");
    CHECK_ERR(ct_kthvalue(a, 7, 0, false, NULL), "selected number k out of range");
    CHECK_ERR(ct_kthvalue(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 1, 1, false, NULL),
              "kthvalue(): Expected reduction dim 1 to have non-zero size.");
    CHECK_TENSOR(ct_kthvalue(ct_scalar_tensor(3, CT_FLOAT32), 1, 0, false, &i), SHAPE(), 0, VALS(3), 0);
}

/* ------------------------------------------------------------------ unique */
TEST(unique, sorts_and_returns_inverse_and_counts) {
    ct_tensor *x = tt_tensor(VALS(3, 1, 3, 2, 1, 3), SHAPE(2, 3), 2, CT_INT64);
    ct_tensor *inv, *cnt;
    CHECK_TENSOR(ct_unique(x, true, &inv, &cnt), SHAPE(3), 1, VALS(1, 2, 3), 0);
    CHECK_TENSOR(inv, SHAPE(2, 3), 2, VALS(2, 0, 2, 1, 0, 2), 0);
    CHECK_TENSOR(cnt, SHAPE(3), 1, VALS(2, 1, 3), 0);
    /* torch.unique(tensor(3)) = [3] */
    CHECK_TENSOR(ct_unique(ct_scalar_tensor(3, CT_INT64), false, NULL, NULL), SHAPE(1), 1, VALS(3), 0);
    CHECK_TENSOR(ct_unique(tt_tensor(VALS(1, 0, 1), SHAPE(3), 1, CT_BOOL), true, NULL, NULL), SHAPE(2),
                 1, VALS(0, 1), 0);
    CHECK(ct_unique(ct_empty(SHAPE(0), 1, CT_FLOAT32), true, &inv, &cnt)->numel == 0);
    CHECK(cnt->numel == 0 && inv->numel == 0);
}

TEST(unique, treats_every_nan_as_distinct_and_sorts_it_last) {
    /* PyTorch 1.13 also keeps each NaN apart ([1, nan, nan, 2], unsorted);
     * we sort NaNs last as the sort does. */
    ct_tensor *x = tt_tensor(VALS(2, NaN_, 1, NaN_, 2), SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *inv, *cnt;
    CHECK_TENSOR(ct_unique(x, true, &inv, &cnt), SHAPE(4), 1, VALS(1, 2, NaN_, NaN_), 0);
    CHECK_TENSOR(inv, SHAPE(5), 1, VALS(1, 2, 0, 3, 1), 0);
    CHECK_TENSOR(cnt, SHAPE(4), 1, VALS(1, 2, 1, 1), 0);
}

TEST(unique, large_inputs_match_a_counting_reference) {
    ct_tensor *x = tt_rand(SHAPE(50000), 1, CT_INT32, -100, 100, 41);
    ct_tensor *inv, *cnt;
    ct_tensor *u = ct_unique(x, true, &inv, &cnt);
    CHECK_OK(u);
    int64_t ref[200] = {0};
    for (int64_t i = 0; i < 50000; i++) ref[ct_item_at_int(x, i) + 100]++;
    int64_t g = 0;
    for (int v = 0; v < 200; v++) {
        if (!ref[v]) continue;
        CHECK(ct_item_at_int(u, g) == v - 100 && ct_item_at_int(cnt, g) == ref[v]);
        g++;
    }
    CHECK(u->numel == g);
    for (int64_t i = 0; i < 50000; i++) CHECK(ct_item_at_int(u, ct_item_at_int(inv, i)) == ct_item_at_int(x, i));
}

TEST(unique, reads_strided_inputs_and_keeps_float16) {
    ct_tensor *x = ct_t(tt_tensor(VALS(2, 0.5, 2, -1, 0.5, 7), SHAPE(2, 3), 2, CT_FLOAT16)); /* [3, 2] */
    ct_tensor *inv, *cnt;
    ct_tensor *u = ct_unique(x, true, &inv, &cnt);
    CHECK_OK(u);
    CHECK(u->dtype == CT_FLOAT16);
    /* x = [[2, -1], [0.5, 0.5], [2, 7]] */
    CHECK_TENSOR(u, SHAPE(4), 1, VALS(-1, 0.5, 2, 7), 0);
    CHECK_TENSOR(inv, SHAPE(3, 2), 2, VALS(2, 0, 1, 1, 2, 3), 0);
    CHECK_TENSOR(cnt, SHAPE(4), 1, VALS(1, 2, 2, 1), 0);
}

TEST(unique, along_a_dim_sorts_slices_lexicographically) {
    ct_tensor *x = tt_tensor(VALS(1, 2, 0, 5, 1, 2, 0, 3), SHAPE(4, 2), 2, CT_INT64);
    ct_tensor *inv, *cnt;
    /* torch.unique(x, dim=0): [[0, 3], [0, 5], [1, 2]], inverse [2, 1, 2, 0], counts [1, 1, 2] */
    CHECK_TENSOR(ct_unique_dim(x, 0, true, &inv, &cnt), SHAPE(3, 2), 2, VALS(0, 3, 0, 5, 1, 2), 0);
    CHECK_TENSOR(inv, SHAPE(4), 1, VALS(2, 1, 2, 0), 0);
    CHECK_TENSOR(cnt, SHAPE(3), 1, VALS(1, 1, 2), 0);
    /* dim=1 (non-contiguous slices): columns [1,0,1,0] and [2,5,2,3] differ */
    CHECK_TENSOR(ct_unique_dim(x, -1, true, &inv, &cnt), SHAPE(4, 2), 2, VALS(1, 2, 0, 5, 1, 2, 0, 3), 0);
    CHECK_TENSOR(inv, SHAPE(2), 1, VALS(0, 1), 0);
    /* slices holding NaN stay apart (torch: two rows [1, nan]) */
    ct_tensor *f = tt_tensor(VALS(1, NaN_, 1, NaN_), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_unique_dim(f, 0, true, NULL, NULL), SHAPE(2, 2), 2, VALS(1, NaN_, 1, NaN_), 0);
    CHECK(ct_unique_dim(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), 0, true, &inv, &cnt)->sizes[0] == 0);
    CHECK_ERR(ct_unique_dim(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 0, true, NULL, NULL),
              "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
    CHECK_ERR(ct_unique_dim(ct_scalar_tensor(3, CT_INT64), 0, true, NULL, NULL),
              "Dimension specified as 0 but tensor has no dimensions");
}

TEST(unique_consecutive, collapses_runs) {
    ct_tensor *x = tt_tensor(VALS(3, 3, 1, 3), SHAPE(4), 1, CT_INT64);
    ct_tensor *inv, *cnt;
    /* torch: ([3, 1, 3], [0, 0, 1, 2], [2, 1, 1]) */
    CHECK_TENSOR(ct_unique_consecutive(x, &inv, &cnt), SHAPE(3), 1, VALS(3, 1, 3), 0);
    CHECK_TENSOR(inv, SHAPE(4), 1, VALS(0, 0, 1, 2), 0);
    CHECK_TENSOR(cnt, SHAPE(3), 1, VALS(2, 1, 1), 0);
    ct_tensor *h = tt_tensor(VALS(1, 1, 2, 2, 2, 1), SHAPE(2, 3), 2, CT_FLOAT16);
    CHECK_TENSOR(ct_unique_consecutive(ct_t(h), NULL, &cnt), SHAPE(5), 1, VALS(1, 2, 1, 2, 1), 0);
    CHECK_TENSOR(cnt, SHAPE(5), 1, VALS(1, 1, 1, 2, 1), 0);
    /* along dim 0: rows [1,2] [1,2] [0,3] -> [[1,2],[0,3]], counts [2, 1] */
    ct_tensor *x2 = tt_tensor(VALS(1, 2, 1, 2, 0, 3), SHAPE(3, 2), 2, CT_INT32);
    CHECK_TENSOR(ct_unique_consecutive_dim(x2, 0, &inv, &cnt), SHAPE(2, 2), 2, VALS(1, 2, 0, 3), 0);
    CHECK_TENSOR(inv, SHAPE(3), 1, VALS(0, 0, 1), 0);
    CHECK_TENSOR(cnt, SHAPE(2), 1, VALS(2, 1), 0);
}

/* ------------------------------------------------------------------ searchsorted */
TEST(searchsorted, finds_left_and_right_insertion_points) {
    ct_tensor *s = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *v = tt_tensor(VALS(0, 2, 4), SHAPE(3), 1, CT_FLOAT32);
    /* torch: left [0, 1, 3], right [0, 2, 3] */
    CHECK_TENSOR(ct_searchsorted(s, v, false, false, NULL), SHAPE(3), 1, VALS(0, 1, 3), 0);
    CHECK_TENSOR(ct_searchsorted(s, v, false, true, NULL), SHAPE(3), 1, VALS(0, 2, 3), 0);
    CHECK_TENSOR(ct_searchsorted(s, v, false, false, "right"), SHAPE(3), 1, VALS(0, 2, 3), 0);
    CHECK(ct_searchsorted(s, v, false, false, NULL)->dtype == CT_INT64);
    /* mixed dtypes and scalars: torch gives [0, 1, 3] and 2 */
    CHECK_TENSOR(ct_searchsorted(s, tt_tensor(VALS(0, 2, 4), SHAPE(3), 1, CT_INT64), false, false, NULL),
                 SHAPE(3), 1, VALS(0, 1, 3), 0);
    CHECK_TENSOR(ct_searchsorted_scalar(s, 2.5, false, false, NULL), SHAPE(), 0, VALS(2), 0);
    CHECK_TENSOR(ct_searchsorted_scalar(tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_INT64), 2.5, false, false, NULL),
                 SHAPE(), 0, VALS(2), 0);
    /* NaN: torch gives [3, 3] for values [nan, 3] in [1, 2, nan] */
    CHECK_TENSOR(ct_searchsorted(tt_tensor(VALS(1, 2, NaN_), SHAPE(3), 1, CT_FLOAT64),
                                 tt_tensor(VALS(NaN_, 3), SHAPE(2), 1, CT_FLOAT64), false, false, NULL),
                 SHAPE(2), 1, VALS(3, 3), 0);
    CHECK_ERR(ct_searchsorted(s, v, false, true, "left"),
              "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True");
    CHECK_ERR(ct_searchsorted(ct_scalar_tensor(1, CT_FLOAT32), v, false, false, NULL),
              "boundaries tensor should have positive dimension, but got 0 dimension");
}

TEST(searchsorted, batched_rows_and_int32_output) {
    ct_tensor *s = tt_tensor(VALS(1, 2, 3, 4, 5, 6), SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *v = tt_tensor(VALS(2, 5), SHAPE(2, 1), 2, CT_FLOAT32);
    ct_tensor *r = ct_searchsorted(s, v, true, false, NULL);
    CHECK_TENSOR(r, SHAPE(2, 1), 2, VALS(1, 1), 0); /* torch: [[1], [1]] int32 */
    CHECK(r->dtype == CT_INT32);
    /* transposed sequence rows and values */
    ct_tensor *st = ct_t(tt_tensor(VALS(1, 4, 2, 5, 3, 6), SHAPE(3, 2), 2, CT_FLOAT64)); /* [[1,2,3],[4,5,6]] */
    ct_tensor *vt = ct_t(tt_tensor(VALS(0, 6, 3, 4), SHAPE(2, 2), 2, CT_FLOAT64));      /* [[0,3],[6,4]] */
    CHECK_TENSOR(ct_searchsorted(st, vt, false, true, NULL), SHAPE(2, 2), 2, VALS(0, 3, 3, 1), 0);
    CHECK_ERR(ct_searchsorted(s, tt_tensor(VALS(2, 5, 6), SHAPE(3, 1), 2, CT_FLOAT32), false, false, NULL),
              "first N-1 dimensions of boundaries tensor and input value tensor must match, but we "
              "got boundaries tensor [2, 3] and input value tensor [3, 1]");
    CHECK_ERR(ct_searchsorted_scalar(s, 1, false, false, NULL),
              "input value can be a scalar only when boundaries tensor dimension is 1");
    /* many values against a long sorted row vs a linear-scan reference */
    ct_tensor *big = ct_sort(tt_rand(SHAPE(1000), 1, CT_FLOAT64, 0, 1, 51), 0, false, false, NULL);
    ct_tensor *q = tt_rand(SHAPE(40000), 1, CT_FLOAT64, -0.1, 1.1, 52);
    ct_tensor *res = ct_searchsorted(big, q, false, true, NULL);
    CHECK_OK(res);
    const double *b = ct_data_ptr(big), *qq = ct_data_ptr(q);
    for (int64_t i = 0; i < 40000; i += 7) {
        int64_t want = 0;
        while (want < 1000 && b[want] <= qq[i]) want++;
        CHECK(ct_item_at_int(res, i) == want);
    }
}

TEST(bucketize, buckets_values_by_1d_boundaries) {
    ct_tensor *b = tt_tensor(VALS(1, 3, 5), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *v = tt_tensor(VALS(0, 3, 6, 5), SHAPE(2, 2), 2, CT_FLOAT32);
    /* torch: [[0, 1], [3, 2]]; right=True, out_int32: [[0, 2], [3, 3]] */
    CHECK_TENSOR(ct_bucketize(v, b, false, false), SHAPE(2, 2), 2, VALS(0, 1, 3, 2), 0);
    ct_tensor *r = ct_bucketize(v, b, true, true);
    CHECK_TENSOR(r, SHAPE(2, 2), 2, VALS(0, 2, 3, 3), 0);
    CHECK(r->dtype == CT_INT32);
    CHECK_TENSOR(ct_bucketize_scalar(3, b, false, false), SHAPE(), 0, VALS(1), 0);
    /* torch: int values into float boundaries [1, 2]: [0, 2] */
    CHECK_TENSOR(ct_bucketize(tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_INT64),
                              tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), false, false),
                 SHAPE(2), 1, VALS(0, 2), 0);
    CHECK_ERR(ct_bucketize(v, tt_tensor(VALS(1), SHAPE(1, 1), 2, CT_FLOAT32), false, false),
              "boundaries tensor must be 1 dimension, but got dim(2)");
}

/* ------------------------------------------------------------------ bincount */
TEST(bincount, counts_and_sums_weights) {
    ct_tensor *x = tt_tensor(VALS(1, 1, 3), SHAPE(3), 1, CT_INT64);
    /* torch: [0, 2, 0, 1]; weights float32 -> float32 [0, 3, 0, 3]; int -> float64 */
    ct_tensor *c = ct_bincount(x, NULL, 2);
    CHECK_TENSOR(c, SHAPE(4), 1, VALS(0, 2, 0, 1), 0);
    CHECK(c->dtype == CT_INT64);
    ct_tensor *w = ct_bincount(x, tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT32), 0);
    CHECK_TENSOR(w, SHAPE(4), 1, VALS(0, 3, 0, 3), 0);
    CHECK(w->dtype == CT_FLOAT32);
    CHECK(ct_bincount(x, tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_INT64), 0)->dtype == CT_FLOAT64);
    CHECK_TENSOR(ct_bincount(ct_empty(SHAPE(0), 1, CT_INT64), NULL, 3), SHAPE(3), 1, VALS(0, 0, 0), 0);
    CHECK(ct_bincount(tt_tensor(VALS(1), SHAPE(1), 1, CT_UINT8), NULL, 0)->dtype == CT_INT64);
    CHECK_ERR(ct_bincount(tt_tensor(VALS(1, -1, 3), SHAPE(3), 1, CT_INT64), NULL, 0),
              "bincount only supports 1-d non-negative integral inputs.");
    CHECK_ERR(ct_bincount(tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_FLOAT32), NULL, 0),
              "\"bincount_cpu\" not implemented for 'Float'");
    CHECK_ERR(ct_bincount(x, NULL, -1), "minlength should be >= 0");
    /* strided input and weights: every other element of [1, 9, 1, 9, 3, 9] */
    ct_tensor *xs = ct_slice(tt_tensor(VALS(1, 9, 1, 9, 3, 9), SHAPE(6), 1, CT_INT32), 0, 0, 6, 2);
    ct_tensor *ws = ct_slice(tt_tensor(VALS(0.5, 0, 0.25, 0, 2, 0), SHAPE(6), 1, CT_FLOAT64), 0, 0, 6, 2);
    CHECK_TENSOR(ct_bincount(xs, ws, 0), SHAPE(4), 1, VALS(0, 0.75, 0, 2), 0);
    CHECK_ERR(ct_bincount(x, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), 0),
              "weights should be 1-d and have the same length as input");
}

TEST(bincount, large_input_matches_a_counting_loop) {
    ct_tensor *x = tt_rand(SHAPE(60000), 1, CT_INT16, 0, 300, 71);
    ct_tensor *w = tt_rand(SHAPE(60000), 1, CT_FLOAT64, -1, 1, 72);
    ct_tensor *c = ct_bincount(x, w, 10);
    CHECK_OK(c);
    double ref[300] = {0};
    int64_t mx = 0;
    for (int64_t i = 0; i < 60000; i++) {
        int64_t b = ct_item_at_int(x, i);
        ref[b] += ct_item_at(w, i);
        if (b > mx) mx = b;
    }
    CHECK(c->sizes[0] == mx + 1 && c->dtype == CT_FLOAT64);
    for (int64_t b = 0; b <= mx; b++) CHECK_CLOSE(ct_item_at(c, b), ref[b], 1e-12);
}

/* ------------------------------------------------------------------ histogram */
TEST(histogram, equal_bins_match_pytorch_edges_and_counts) {
    ct_tensor *x = tt_tensor(VALS(1, 2, 1), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *e;
    /* torch.histogram(x, 4, range=(0, 3)): [0, 2, 1, 0], edges [0, .75, 1.5, 2.25, 3] */
    CHECK_TENSOR(ct_histogram(x, 4, (const double[]){0, 3}, NULL, false, &e), SHAPE(4), 1,
                 VALS(0, 2, 1, 0), 0);
    CHECK_TENSOR(e, SHAPE(5), 1, VALS(0, 0.75, 1.5, 2.25, 3), 0);
    /* no range: [2, 0, 0, 1] over [1, 2]; weights + density: [2.8571, 0, 0, 1.1429] */
    CHECK_TENSOR(ct_histogram(x, 4, NULL, NULL, false, &e), SHAPE(4), 1, VALS(2, 0, 0, 1), 0);
    CHECK_TENSOR(e, SHAPE(5), 1, VALS(1, 1.25, 1.5, 1.75, 2), 0);
    CHECK_TENSOR(ct_histogram(x, 4, NULL, tt_tensor(VALS(1, 2, 4), SHAPE(3), 1, CT_FLOAT32), true, NULL),
                 SHAPE(4), 1, VALS(20.0 / 7, 0, 0, 8.0 / 7), 1e-6);
    /* float32 linspace edges: 0.7 falls in bin 1 (torch: [3, 1, 1]) */
    CHECK_TENSOR(ct_histogram(tt_tensor(VALS(0.1, 0.2, 0.3, 0.7, 1.0), SHAPE(5), 1, CT_FLOAT32), 3,
                              NULL, NULL, false, NULL),
                 SHAPE(3), 1, VALS(3, 1, 1), 0);
    /* zero-width and empty ranges: torch gives edges [0.5, 1, 1.5] and [0, 0.5, 1] */
    CHECK_TENSOR(ct_histogram(x, 2, (const double[]){1, 1}, NULL, false, &e), SHAPE(2), 1, VALS(0, 2), 0);
    CHECK_TENSOR(e, SHAPE(3), 1, VALS(0.5, 1, 1.5), 0);
    ct_histogram(ct_empty(SHAPE(0), 1, CT_FLOAT32), 2, NULL, NULL, false, &e);
    CHECK_TENSOR(e, SHAPE(3), 1, VALS(0, 0.5, 1), 0);
    CHECK_ERR(ct_histogram(x, 2, (const double[]){3, 1}, NULL, false, NULL),
              "torch.histogramdd: min should not exceed max, but got min 3 max 1 for dimension 0");
    CHECK_ERR(ct_histogram(tt_tensor(VALS(1, NaN_), SHAPE(2), 1, CT_FLOAT32), 2, NULL, NULL, false, NULL),
              "torch.histogramdd: dimension 0's range [nan, nan] is not finite");
    CHECK_ERR(ct_histogram(x, 0, NULL, NULL, false, NULL), "torch.histogram(): bins must be > 0, but got 0");
    CHECK_ERR(ct_histogram(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), 2, NULL, NULL, false, NULL),
              "\"histogramdd\" not implemented for 'Long'");
    CHECK_ERR(ct_histogram(x, 2, NULL, tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT64), false, NULL),
              "input tensor and weight tensor should have the same dtype");
}

TEST(histogram, edges_tensor_uses_binary_search) {
    ct_tensor *x = tt_tensor(VALS(1, 2, 1), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *e;
    /* torch: bins [0, 1.5, 2, 4] -> [2, 0, 1]; unsorted [0, 2, 1] -> [2, 0] */
    CHECK_TENSOR(ct_histogram_edges(x, tt_tensor(VALS(0, 1.5, 2, 4), SHAPE(4), 1, CT_FLOAT32), NULL, false, &e),
                 SHAPE(3), 1, VALS(2, 0, 1), 0);
    CHECK_TENSOR(e, SHAPE(4), 1, VALS(0, 1.5, 2, 4), 0);
    CHECK_TENSOR(ct_histogram_edges(x, tt_tensor(VALS(0, 2, 1), SHAPE(3), 1, CT_FLOAT32), NULL, false, NULL),
                 SHAPE(2), 1, VALS(2, 0), 0);
    /* large strided input against a direct loop over the edges */
    ct_tensor *big = ct_t(tt_rand(SHAPE(200, 300), 2, CT_FLOAT64, -1, 3, 81));
    ct_tensor *edges = tt_tensor(VALS(-0.5, 0, 0.25, 1, 2.5), SHAPE(5), 1, CT_FLOAT64);
    ct_tensor *h = ct_histogram_edges(big, edges, NULL, false, NULL);
    CHECK_OK(h);
    double ref[4] = {0}, ev[5] = {-0.5, 0, 0.25, 1, 2.5};
    for (int64_t i = 0; i < 60000; i++) {
        double v = ct_item_at(big, i);
        if (v < ev[0] || v > ev[4]) continue;
        int b = 0;
        while (b < 3 && v >= ev[b + 1]) b++;
        ref[b] += 1;
    }
    CHECK_TENSOR(h, SHAPE(4), 1, ref, 0);
    CHECK_ERR(ct_histogram_edges(x, tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_FLOAT64), NULL, false, NULL),
              "input tensor and bins tensors should have the same dtype, but got input with dtype float32");
    CHECK_ERR(ct_histogram_edges(x, tt_tensor(VALS(0, 1), SHAPE(1, 2), 2, CT_FLOAT32), NULL, false, NULL),
              "bins tensor should have one dimension, but got 2 dimensions");
    CHECK_ERR(ct_histogram_edges(x, tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT32), NULL, false, NULL),
              "bins must be > 0, but got 0");
}

/* ------------------------------------------------------------------ histc */
TEST(histc, bins_within_range_and_uses_data_range_when_equal) {
    /* torch.histc([1, 2, 1], bins=4, min=0, max=3) = [0, 2, 1, 0] */
    CHECK_TENSOR(ct_histc(tt_tensor(VALS(1, 2, 1), SHAPE(3), 1, CT_FLOAT32), 4, 0, 3), SHAPE(4), 1,
                 VALS(0, 2, 1, 0), 0);
    /* torch.histc([1, 2, 1, 5, -1], bins=4) = [1, 2, 1, 1] */
    CHECK_TENSOR(ct_histc(tt_tensor(VALS(1, 2, 1, 5, -1), SHAPE(5), 1, CT_FLOAT32), 4, 0, 0), SHAPE(4), 1,
                 VALS(1, 2, 1, 1), 0);
    /* torch.histc([1, 1], bins=4) = [0, 0, 2, 0]; NaNs outside an explicit range are dropped */
    CHECK_TENSOR(ct_histc(tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_FLOAT64), 4, 0, 0), SHAPE(4), 1,
                 VALS(0, 0, 2, 0), 0);
    CHECK_TENSOR(ct_histc(tt_tensor(VALS(1, NaN_), SHAPE(2), 1, CT_FLOAT32), 4, 0, 3), SHAPE(4), 1,
                 VALS(0, 1, 0, 0), 0);
    CHECK_TENSOR(ct_histc(ct_empty(SHAPE(0), 1, CT_FLOAT32), 4, 0, 0), SHAPE(4), 1, VALS(0, 0, 0, 0), 0);
    CHECK_ERR(ct_histc(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), 4, 0, 0),
              "\"histogram_cpu\" not implemented for 'Long'");
    CHECK_ERR(ct_histc(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), 0, 0, 0), "bins must be > 0");
    CHECK_ERR(ct_histc(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), 4, 3, 1),
              "torch.histc: max must be larger than min");
    CHECK_ERR(ct_histc(tt_tensor(VALS(1, NaN_), SHAPE(2), 1, CT_FLOAT32), 4, 0, 0), "is not finite");
    CHECK_ERR(ct_histc(tt_tensor(VALS(1, INFINITY), SHAPE(2), 1, CT_FLOAT32), 4, 0, 0),
              "torch.histc: range of [1, inf] is not finite");
}

TEST(histc, large_input_matches_a_reference_loop) {
    ct_tensor *x = tt_rand(SHAPE(100, 500), 2, CT_FLOAT64, -2, 2, 61);
    ct_tensor *t = ct_t(x); /* non-contiguous */
    ct_tensor *h = ct_histc(t, 10, -1, 1);
    CHECK_OK(h);
    double ref[10] = {0};
    const double *p = ct_data_ptr(x);
    for (int64_t i = 0; i < 50000; i++) {
        if (p[i] < -1 || p[i] > 1) continue;
        int64_t b = (int64_t)((p[i] + 1) * 10 / 2);
        ref[b > 9 ? 9 : b] += 1;
    }
    CHECK_TENSOR(h, SHAPE(10), 1, ref, 0);
}
