/* Advanced indexing (index, index_put, ct_index_get/set), masks, nonzero,
 * take and put. Inputs are aranges, so each output value names the input
 * element it came from; each case states, as a loop, which element NumPy's
 * rules pick (shapes checked against PyTorch 1.13). */
#include "harness.h"

#include <stdlib.h>

static ct_tensor *arange(const int64_t *shape, int nd, ct_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = (double)i;
    ct_tensor *t = tt_tensor(v, shape, nd, dt);
    free(v);
    return t;
}

static ct_tensor *longs(const double *v, const int64_t *shape, int nd) {
    return tt_tensor(v, shape, nd, CT_INT64);
}

static ct_tensor *bools(const double *v, const int64_t *shape, int nd) {
    return tt_tensor(v, shape, nd, CT_BOOL);
}

#define I_INT(v) ((ct_index_item){.kind = CT_IDX_INT, .i = (v)})
#define I_ALL ((ct_index_item){.kind = CT_IDX_SLICE, .step = 1})
#define I_SL(a, b, s) \
    ((ct_index_item){.kind = CT_IDX_SLICE, .start = (a), .stop = (b), .step = (s), .has_start = true, .has_stop = true})
#define I_NONE ((ct_index_item){.kind = CT_IDX_NONE})
#define I_ELL ((ct_index_item){.kind = CT_IDX_ELLIPSIS})
#define I_T(t) ((ct_index_item){.kind = CT_IDX_TENSOR, .tensor = (t)})
#define ITEMS(...)                                                                   \
    ((const ct_index_item[]){__VA_ARGS__}),                                          \
        (int)(sizeof((const ct_index_item[]){__VA_ARGS__}) / sizeof(ct_index_item))

/* x = arange(2, 3, 4, 5): the value at x[a][b][c][d] is 60a + 20b + 5c + d. */
#define X4(a, b, c, d) ((a) * 60 + (b) * 20 + (c) * 5 + (d))

/* Fills expected[] by walking the result shape (up to 4 dims) and calling
 * the case's map from result coordinates to the value. */
typedef double (*map_fn)(const int64_t *c);
static double *expect_by_map(const int64_t *shape, int nd, map_fn f) {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    double *e = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int64_t c[8] = {0};
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i;
        for (int d = nd - 1; d >= 0; d--) {
            c[d] = r % shape[d];
            r /= shape[d];
        }
        e[i] = f(c);
    }
    return e;
}

#define CHECK_MAP(t, shape, nd, f)                                                   \
    do {                                                                             \
        double *e_ = expect_by_map((shape), (nd), (f));                              \
        int bad_ = tt_expect(__FILE__, __LINE__, (t), (shape), (nd), e_, 0);         \
        free(e_);                                                                    \
        if (bad_ < 0) return;                                                        \
    } while (0)

/* x[:, [[0],[1]], :, [1,2]]: separated -> index dims [2,2] in front. */
static double m_separated(const int64_t *c) { return X4(c[2], c[0], c[3], 1 + c[1]); }
/* x[:, [[0],[1]], [1,2]]: adjacent -> in place. */
static double m_adjacent(const int64_t *c) { return X4(c[0], c[1], 1 + c[2], c[3]); }
/* x[[0], None, [1]]: separated by None -> front; then the None dim. */
static double m_none_between(const int64_t *c) { return X4(0, 1, c[2], c[3]); }
/* x[[0], ..., [1]]: separated by the ellipsis -> front. */
static double m_ellipsis_between(const int64_t *c) { return X4(0, c[1], c[2], 1); }
/* x[None, [0], 1, [1]]: the int is applied first, leaving [0] and [1] adjacent. */
static double m_none_int(const int64_t *c) { return X4(0, 1, 1, c[2]); }
/* x[1, [0, 2]] */
static double m_int_then_tensor(const int64_t *c) { return X4(1, c[0] ? 2 : 0, c[1], c[2]); }
/* x[:, 1, :, [0, 1]]: the int leaves one tensor index, kept in place. */
static double m_int_gap(const int64_t *c) { return X4(c[0], 1, c[1], c[2]); }
/* x[[[0],[1]], [2, 0, 1]]: [2,1] and [3] broadcast to [2,3]. */
static double m_broadcast(const int64_t *c) {
    static const int j[3] = {2, 0, 1};
    return X4(c[0], j[c[1]], c[2], c[3]);
}
/* x[[-1], [-3]] wraps negatives */
static double m_negative(const int64_t *c) { return X4(1, 0, c[1], c[2]); }

TEST(index, places_adjacent_indices_in_place_and_separated_ones_in_front) {
    ct_tensor *x = arange(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64);
    ct_tensor *i01 = longs(VALS(0, 1), SHAPE(2, 1), 2);
    ct_tensor *i12 = longs(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *r = ct_index_get(x, ITEMS(I_ALL, I_T(i01), I_ALL, I_T(i12)));
    CHECK_MAP(r, SHAPE(2, 2, 2, 4), 4, m_separated);
    r = ct_index_get(x, ITEMS(I_ALL, I_T(i01), I_T(i12)));
    CHECK_MAP(r, SHAPE(2, 2, 2, 5), 4, m_adjacent);
    ct_tensor *z = longs(VALS(0), SHAPE(1), 1), *o = longs(VALS(1), SHAPE(1), 1);
    r = ct_index_get(x, ITEMS(I_T(z), I_NONE, I_T(o)));
    CHECK_MAP(r, SHAPE(1, 1, 4, 5), 4, m_none_between);
    r = ct_index_get(x, ITEMS(I_T(z), I_ELL, I_T(o)));
    CHECK_MAP(r, SHAPE(1, 3, 4), 3, m_ellipsis_between);
    r = ct_index_get(x, ITEMS(I_NONE, I_T(z), I_INT(1), I_T(o)));
    CHECK_MAP(r, SHAPE(1, 1, 5), 3, m_none_int);
    r = ct_index_get(x, ITEMS(I_INT(1), I_T(longs(VALS(0, 2), SHAPE(2), 1))));
    CHECK_MAP(r, SHAPE(2, 4, 5), 3, m_int_then_tensor);
    r = ct_index_get(x, ITEMS(I_ALL, I_INT(1), I_ALL, I_T(longs(VALS(0, 1), SHAPE(2), 1))));
    CHECK_MAP(r, SHAPE(2, 4, 2), 3, m_int_gap);
}

TEST(index, broadcasts_index_tensors_wraps_negatives_and_takes_int32) {
    ct_tensor *x = arange(SHAPE(2, 3, 4, 5), 4, CT_FLOAT32);
    ct_tensor *a = longs(VALS(0, 1), SHAPE(2, 1), 2);
    ct_tensor *b = tt_tensor(VALS(2, 0, 1), SHAPE(3), 1, CT_INT32);
    CHECK_MAP(ct_index_get(x, ITEMS(I_T(a), I_T(b))), SHAPE(2, 3, 4, 5), 4, m_broadcast);
    CHECK_MAP(ct_index_get(x, ITEMS(I_T(longs(VALS(-1), SHAPE(1), 1)), I_T(longs(VALS(-3), SHAPE(1), 1)))),
              SHAPE(1, 4, 5), 3, m_negative);
    /* aten-level form with a NULL (whole-dim) slot */
    const ct_tensor *idx[2] = {NULL, longs(VALS(2, 2), SHAPE(2), 1)};
    ct_tensor *r = ct_index(arange(SHAPE(2, 3), 2, CT_INT64), idx, 2);
    CHECK_TENSOR(r, SHAPE(2, 2), 2, VALS(2, 2, 5, 5), 0);
    /* empty index tensor */
    r = ct_index_get(arange(SHAPE(2, 3), 2, CT_FLOAT32), ITEMS(I_T(longs(NULL, SHAPE(0), 1))));
    CHECK_OK(r);
    CHECK(r->ndim == 2 && r->sizes[0] == 0 && r->sizes[1] == 3);
    /* 0-d index tensor selects like an int but copies */
    r = ct_index_get(arange(SHAPE(2, 3), 2, CT_FLOAT32), ITEMS(I_T(longs(VALS(1), NULL, 0))));
    CHECK_TENSOR(r, SHAPE(3), 1, VALS(3, 4, 5), 0);
}

/* x[:, mask] for a [3,4] mask over dims 1,2 of x = arange(2,3,4,5) */
static const double mask34[12] = {1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0};
static double m_mask(const int64_t *c) {
    static const int rows[4] = {0, 0, 2, 2}, cols[4] = {0, 3, 1, 2};
    return X4(c[0], rows[c[1]], cols[c[1]], c[2]);
}

TEST(index, takes_bool_masks_of_several_dims_and_0d_bools) {
    ct_tensor *x = arange(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64);
    ct_tensor *m = bools(mask34, SHAPE(3, 4), 2);
    CHECK_MAP(ct_index_get(x, ITEMS(I_ALL, I_T(m))), SHAPE(2, 4, 5), 3, m_mask);
    /* uint8 masks act like bool ones */
    ct_tensor *mu = tt_tensor(mask34, SHAPE(3, 4), 2, CT_UINT8);
    CHECK_MAP(ct_index_get(x, ITEMS(I_ALL, I_T(mu))), SHAPE(2, 4, 5), 3, m_mask);
    ct_tensor *y = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *t = ct_scalar_tensor(1, CT_BOOL), *f = ct_scalar_tensor(0, CT_BOOL);
    CHECK_TENSOR(ct_index_get(y, ITEMS(I_T(t))), SHAPE(1, 2, 3), 3, VALS(0, 1, 2, 3, 4, 5), 0);
    ct_tensor *e = ct_index_get(y, ITEMS(I_T(f)));
    CHECK_OK(e);
    CHECK(e->ndim == 3 && e->sizes[0] == 0);
    /* PyTorch: ones(2,3)[None, True].shape == [1, 1, 2, 3]; [True, 0] -> [1, 3] */
    e = ct_index_get(y, ITEMS(I_NONE, I_T(t)));
    CHECK_OK(e);
    CHECK(e->ndim == 4 && e->sizes[0] == 1 && e->sizes[1] == 1 && e->sizes[2] == 2);
    CHECK_TENSOR(ct_index_get(y, ITEMS(I_T(t), I_INT(1))), SHAPE(1, 3), 2, VALS(3, 4, 5), 0);
    /* a mask consumes all its dims before the next index applies (NumPy:
     * arange(16).reshape(4,2,2)[m, array(-2)] == [0, 2, 6, 8, 14]; torch 1.13
     * applies the next index one dim too early) */
    ct_tensor *z = arange(SHAPE(4, 2, 2), 3, CT_INT64);
    ct_tensor *mz = bools(VALS(1, 1, 0, 1, 1, 0, 0, 1), SHAPE(4, 2), 2);
    CHECK_TENSOR(ct_index_get(z, ITEMS(I_T(mz), I_T(longs(VALS(-2), NULL, 0)))), SHAPE(5), 1, VALS(0, 2, 6, 8, 14), 0);
    e = ct_index_get(z, ITEMS(I_T(mz), I_ELL, I_NONE));
    CHECK(e && e->ndim == 3 && e->sizes[0] == 5 && e->sizes[1] == 2 && e->sizes[2] == 1);
    /* a full mask over a 0-d tensor */
    CHECK_TENSOR(ct_index_get(ct_scalar_tensor(7, CT_INT32), ITEMS(I_T(t))), SHAPE(1), 1, VALS(7), 0);
}

TEST(index, basic_indexing_returns_views_with_steps_and_negative_bounds) {
    ct_tensor *x = arange(SHAPE(4, 6), 2, CT_INT32);
    /* x[1:, ::2] ; x[-3:-1, 5:1000:2] ; x[-1] ; x[..., None, 2] */
    ct_tensor *v = ct_index_get(x, ITEMS(I_SL(1, INT64_MAX, 1), ((ct_index_item){.kind = CT_IDX_SLICE, .step = 2})));
    CHECK_TENSOR(v, SHAPE(3, 3), 2, VALS(6, 8, 10, 12, 14, 16, 18, 20, 22), 0);
    CHECK(v->storage == x->storage);
    v = ct_index_get(x, ITEMS(I_SL(-3, -1, 1), I_SL(1, 1000, 3)));
    CHECK_TENSOR(v, SHAPE(2, 2), 2, VALS(7, 10, 13, 16), 0);
    CHECK_TENSOR(ct_index_get(x, ITEMS(I_INT(-1))), SHAPE(6), 1, VALS(18, 19, 20, 21, 22, 23), 0);
    v = ct_index_get(x, ITEMS(I_ELL, I_NONE, I_INT(2)));
    CHECK_TENSOR(v, SHAPE(4, 1), 2, VALS(2, 8, 14, 20), 0);
    CHECK(v->storage == x->storage);
    v = ct_index_get(x, ITEMS(I_ELL));
    CHECK(v && v != x && v->storage == x->storage);
}

TEST(index, reports_pytorch_errors) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_ERR(ct_index_get(x, ITEMS(I_T(longs(VALS(5), SHAPE(1), 1)))),
              "index 5 is out of bounds for dimension 0 with size 2");
    CHECK(ct_last_error_kind() == CT_ERR_INDEX);
    CHECK_ERR(ct_index_get(x, ITEMS(I_ALL, I_T(longs(VALS(-4), SHAPE(1), 1)))),
              "index -4 is out of bounds for dimension 1 with size 3");
    CHECK_ERR(ct_index_get(x, ITEMS(I_T(tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT32)))),
              "tensors used as indices must be long, int, byte or bool tensors");
    CHECK_ERR(ct_index_get(x, ITEMS(I_T(tt_tensor(VALS(0), SHAPE(1), 1, CT_INT16)))),
              "tensors used as indices must be long, int, byte or bool tensors");
    CHECK_ERR(ct_index_get(x, ITEMS(I_T(bools(VALS(1, 0, 1), SHAPE(3), 1)))),
              "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3] at index 0");
    CHECK_ERR(ct_index_get(x, ITEMS(I_T(longs(VALS(0, 1), SHAPE(2), 1)), I_T(longs(VALS(0, 1, 2), SHAPE(3), 1)))),
              "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]");
    CHECK_ERR(ct_index_get(x, ITEMS(I_INT(5))), "index 5 is out of bounds for dimension 0 with size 2");
    CHECK_ERR(ct_index_get(x, ITEMS(I_INT(0), I_INT(0), I_INT(0))), "too many indices for tensor of dimension 2");
    CHECK_ERR(ct_index_get(x, ITEMS(I_ELL, I_ELL)), "an index can only have a single ellipsis");
    CHECK_ERR(ct_index_get(x, ITEMS(I_SL(0, 2, -1))), "step must be greater than zero");
    CHECK(ct_last_error_kind() == CT_ERR_VALUE);
    CHECK_ERR(ct_index_get(x, ITEMS(I_SL(0, 2, 0))), "step must be greater than zero");
}

/* ---------------------------------------------------------------- set / index_put */

TEST(index_put, accumulates_duplicates_and_lets_the_last_write_win) {
    ct_tensor *x = arange(SHAPE(3, 2), 2, CT_FLOAT32);
    const ct_tensor *idx[1] = {longs(VALS(1, 1, 0, 1), SHAPE(4), 1)};
    ct_tensor *v = tt_tensor(VALS(1, 2, 3, 4, 5, 6, 7, 8), SHAPE(4, 2), 2, CT_FLOAT32);
    /* row 1 += rows 0,1,3 of v; row 0 += row 2 */
    CHECK_TENSOR(ct_index_put(x, idx, 1, v, true), SHAPE(3, 2), 2, VALS(5, 7, 13, 17, 4, 5), 0);
    CHECK_TENSOR(ct_index_put(x, idx, 1, v, false), SHAPE(3, 2), 2, VALS(5, 6, 7, 8, 4, 5), 0);
    CHECK_TENSOR(x, SHAPE(3, 2), 2, VALS(0, 1, 2, 3, 4, 5), 0); /* out of place */
    /* a NULL slot keeps dim 0 whole; values broadcast over it */
    const ct_tensor *idx2[2] = {NULL, longs(VALS(0, 0), SHAPE(2), 1)};
    uint64_t v0 = ct_version(x);
    CHECK(ct_index_put_(x, idx2, 2, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), true) == x);
    CHECK(ct_version(x) == v0 + 1);
    CHECK_TENSOR(x, SHAPE(3, 2), 2, VALS(3, 1, 5, 3, 7, 5), 0);
    /* crossing the grain with heavy duplication: sum per row of 64 bins */
    ct_tensor *bins = ct_empty(SHAPE(64), 1, CT_FLOAT64);
    memset(ct_data_ptr(bins), 0, 64 * sizeof(double));
    ct_tensor *ii = tt_rand(SHAPE(40000), 1, CT_INT64, 0, 64, 3);
    ct_tensor *vals = tt_rand(SHAPE(40000), 1, CT_FLOAT64, -1, 1, 4);
    double ref[64] = {0};
    for (int k = 0; k < 40000; k++) ref[ct_item_at_int(ii, k)] += ct_item_at(vals, k);
    const ct_tensor *idx3[1] = {ii};
    CHECK_OK(ct_index_put_(bins, idx3, 1, vals, true));
    CHECK_TENSOR(bins, SHAPE(64), 1, ref, 1e-9);
}

TEST(index_put, without_indices_writes_or_adds_everywhere) {
    ct_tensor *x = arange(SHAPE(2, 2), 2, CT_FLOAT32);
    ct_tensor *v = tt_tensor(VALS(10, 20), SHAPE(2), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_index_put(x, NULL, 0, v, true), SHAPE(2, 2), 2, VALS(10, 21, 12, 23), 0);
    CHECK_TENSOR(ct_index_put(x, NULL, 0, v, false), SHAPE(2, 2), 2, VALS(10, 20, 10, 20), 0);
    ct_tensor *s = ct_scalar_tensor(2, CT_INT64);
    CHECK_TENSOR(ct_index_put(s, NULL, 0, ct_scalar_tensor(5, CT_INT64), true), NULL, 0, VALS(7), 0);
    CHECK_TENSOR(ct_index(x, NULL, 0), SHAPE(2, 2), 2, VALS(0, 1, 2, 3), 0);
}

TEST(index_put, accumulates_rows_across_the_grain_like_an_embedding_backward) {
    /* w[idx] += g for idx [500] into w [40, 300]: the row dim splits across threads */
    ct_tensor *w = ct_empty(SHAPE(40, 300), 2, CT_FLOAT64);
    memset(ct_data_ptr(w), 0, 40 * 300 * sizeof(double));
    ct_tensor *idx = tt_rand(SHAPE(500), 1, CT_INT64, -40, 40, 40);
    ct_tensor *g = tt_rand(SHAPE(500, 300), 2, CT_FLOAT64, -1, 1, 41);
    double *ref = calloc(40 * 300, sizeof(double)), *last = calloc(40 * 300, sizeof(double));
    for (int a = 0; a < 500; a++) {
        int64_t r = ct_item_at_int(idx, a);
        if (r < 0) r += 40;
        for (int b = 0; b < 300; b++) {
            ref[r * 300 + b] += ct_item_at(g, a * 300 + b);
            last[r * 300 + b] = ct_item_at(g, a * 300 + b);
        }
    }
    const ct_tensor *ii[1] = {idx};
    int bad = tt_expect(__FILE__, __LINE__, ct_index_put_(w, ii, 1, g, true), SHAPE(40, 300), 2, ref, 1e-12);
    memset(ct_data_ptr(w), 0, 40 * 300 * sizeof(double));
    if (!bad) bad = tt_expect(__FILE__, __LINE__, ct_index_put_(w, ii, 1, g, false), SHAPE(40, 300), 2, last, 0);
    free(ref);
    free(last);
    if (bad) return;
}

TEST(index_put, rejects_dtype_and_shape_mismatches) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    const ct_tensor *idx[1] = {longs(VALS(0), SHAPE(1), 1)};
    CHECK_ERR(ct_index_put(x, idx, 1, tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_FLOAT32), false),
              "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape [1, 3]");
    CHECK_ERR(ct_index_put(x, idx, 1, tt_tensor(VALS(1), NULL, 0, CT_FLOAT64), false),
              "Index put requires the source and destination dtypes match");
    const ct_tensor *idx3[3] = {idx[0], idx[0], idx[0]};
    CHECK_ERR(ct_index_put(x, idx3, 3, tt_tensor(VALS(1), NULL, 0, CT_FLOAT32), false), "too many indices");
}

/* x[:, [[0],[1]], :, [1,2]] = v for v of shape [2, 4] broadcast over [2,2,2,4] */
TEST(index_put, set_writes_every_placement_and_casts) {
    ct_tensor *x = arange(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64);
    ct_tensor *v = tt_rand(SHAPE(2, 4), 2, CT_FLOAT64, 100, 200, 5);
    ct_tensor *i01 = longs(VALS(0, 1), SHAPE(2, 1), 2), *i12 = longs(VALS(1, 2), SHAPE(2), 1);
    double *ref = tt_values(x);
    for (int b0 = 0; b0 < 2; b0++)
        for (int b1 = 0; b1 < 2; b1++)
            for (int i = 0; i < 2; i++)
                for (int k = 0; k < 4; k++) ref[X4(i, b0, k, 1 + b1)] = ct_item_at(v, i * 4 + k);
    uint64_t v0 = ct_version(x);
    CHECK(ct_index_set(x, ITEMS(I_ALL, I_T(i01), I_ALL, I_T(i12)), v) == 0);
    CHECK(ct_version(x) > v0);
    int bad = tt_expect(__FILE__, __LINE__, x, SHAPE(2, 3, 4, 5), 4, ref, 0);
    free(ref);
    if (bad) return;
    /* mask set with a scalar; int x gets a float value truncated */
    ct_tensor *y = arange(SHAPE(3, 4), 2, CT_INT32);
    CHECK(ct_index_set(y, ITEMS(I_T(bools(mask34, SHAPE(3, 4), 2))), ct_scalar_tensor(-7.9, CT_FLOAT64)) == 0);
    CHECK_TENSOR(y, SHAPE(3, 4), 2, VALS(-7, 1, 2, -7, 4, 5, 6, 7, 8, -7, -7, 11), 0);
    /* a mask set with one value per selected element */
    ct_tensor *w = arange(SHAPE(3, 4), 2, CT_INT32);
    CHECK(ct_index_set(w, ITEMS(I_T(bools(mask34, SHAPE(3, 4), 2))), tt_tensor(VALS(10, 20, 30, 40), SHAPE(4), 1, CT_INT32)) == 0);
    CHECK_TENSOR(w, SHAPE(3, 4), 2, VALS(10, 1, 2, 20, 4, 5, 6, 7, 8, 30, 40, 11), 0);
    /* a mask over the leading dim with a scalar fills whole rows */
    CHECK(ct_index_set(w, ITEMS(I_T(bools(VALS(0, 1, 0), SHAPE(3), 1))), tt_tensor(VALS(-5), SHAPE(1), 1, CT_INT32)) == 0);
    CHECK_TENSOR(w, SHAPE(3, 4), 2, VALS(10, 1, 2, 20, -5, -5, -5, -5, 8, 30, 40, 11), 0);
    CHECK_TENSOR(ct_index_get(w, ITEMS(I_T(bools(mask34, SHAPE(3, 4), 2)))), SHAPE(4), 1, VALS(10, 20, 30, 40), 0);
    /* basic set through a strided view, value with leading size-1 dims */
    CHECK(ct_index_set(y, ITEMS(I_INT(1), I_SL(0, 4, 2)), tt_tensor(VALS(50, 60), SHAPE(1, 1, 2), 3, CT_INT32)) == 0);
    CHECK_TENSOR(y, SHAPE(3, 4), 2, VALS(-7, 1, 2, -7, 50, 5, 60, 7, 8, -7, -7, 11), 0);
    /* duplicates in a set: the last write wins */
    CHECK(ct_index_set(y, ITEMS(I_ALL, I_T(longs(VALS(0, 0), SHAPE(2), 1))),
                       tt_tensor(VALS(1, 2, 3, 4, 5, 6), SHAPE(3, 2), 2, CT_INT32)) == 0);
    CHECK(ct_item_at(y, 0) == 2 && ct_item_at(y, 4) == 4 && ct_item_at(y, 8) == 6);
    /* value aliasing x: x[[1, 0]] = x[[0, 1]] swaps rows */
    ct_tensor *z = arange(SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK(ct_index_set(z, ITEMS(I_T(longs(VALS(1, 0), SHAPE(2), 1))), z) == 0);
    CHECK_TENSOR(z, SHAPE(2, 2), 2, VALS(2, 3, 0, 1), 0);
    /* errors */
    ct_clear_error();
    CHECK(ct_index_set(y, ITEMS(I_T(longs(VALS(3), SHAPE(1), 1))), ct_scalar_tensor(0, CT_INT32)) == -1);
    CHECK(strstr(ct_last_error(), "index 3 is out of bounds for dimension 0 with size 3") != NULL);
}

/* ---------------------------------------------------------------- masks */

TEST(masked_fill, fills_with_broadcast_masks_in_place_and_out) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *m = bools(VALS(1, 0, 1), SHAPE(3), 1);
    CHECK_TENSOR(ct_masked_fill(x, m, -1), SHAPE(2, 3), 2, VALS(-1, 1, -1, -1, 4, -1), 0);
    /* out of place grows to the broadcast shape (PyTorch: [2] with [[T],[F]] -> [2, 2]) */
    ct_tensor *v = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_masked_fill(v, bools(VALS(1, 0), SHAPE(2, 1), 2), 5), SHAPE(2, 2), 2, VALS(5, 5, 1, 2), 0);
    CHECK_ERR(ct_masked_fill_(v, bools(VALS(1, 0), SHAPE(2, 1), 2), 5), "doesn't match the broadcast shape");
    /* in place through a transposed view, 0-d tensor value, int truncation */
    ct_tensor *y = arange(SHAPE(3, 2), 2, CT_INT64);
    ct_tensor *t = ct_t(y);
    uint64_t v0 = ct_version(y);
    CHECK(ct_masked_fill_tensor_(t, m, ct_scalar_tensor(3.7, CT_FLOAT64)) == t);
    CHECK(ct_version(y) == v0 + 1);
    CHECK_TENSOR(y, SHAPE(3, 2), 2, VALS(3, 3, 2, 3, 3, 3), 0);
    CHECK_ERR(ct_masked_fill(x, longs(VALS(1, 0, 1), SHAPE(3), 1), 1), "only supports boolean masks");
    CHECK_ERR(ct_masked_fill_tensor(x, m, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32)),
              "only supports a 0-dimensional value tensor");
    CHECK_ERR(ct_masked_fill(x, bools(VALS(1, 0), SHAPE(2), 1), 1), "must match the size");
    /* float16 and across the grain */
    ct_tensor *h = tt_rand(SHAPE(300, 200), 2, CT_FLOAT16, -1, 1, 6);
    ct_tensor *hm = tt_rand(SHAPE(200), 1, CT_UINT8, 0, 2, 7);
    double *ref = tt_values(h);
    for (int i = 0; i < 300 * 200; i++)
        if (ct_item_at(hm, i % 200)) ref[i] = 0.5;
    CHECK_OK(ct_masked_fill_(h, hm, 0.5));
    int bad = tt_expect(__FILE__, __LINE__, h, SHAPE(300, 200), 2, ref, 0);
    free(ref);
    if (bad) return;
}

TEST(masked_select, selects_in_row_major_order_over_the_broadcast) {
    ct_tensor *x = arange(SHAPE(3, 4), 2, CT_FLOAT64);
    ct_tensor *m = bools(mask34, SHAPE(3, 4), 2);
    CHECK_TENSOR(ct_masked_select(x, m), SHAPE(4), 1, VALS(0, 3, 9, 10), 0);
    /* non-contiguous x */
    CHECK_TENSOR(ct_masked_select(ct_t(arange(SHAPE(4, 3), 2, CT_INT32)), m), SHAPE(4), 1, VALS(0, 9, 5, 8), 0);
    /* PyTorch: tensor([1., 2]).masked_select([[True], [False]]) == [1., 2.] */
    CHECK_TENSOR(ct_masked_select(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), bools(VALS(1, 0), SHAPE(2, 1), 2)),
                 SHAPE(2), 1, VALS(1, 2), 0);
    ct_tensor *e = ct_masked_select(ct_empty(SHAPE(0, 4), 2, CT_FLOAT32), bools(VALS(1, 0, 1, 0), SHAPE(4), 1));
    CHECK_OK(e);
    CHECK(e->ndim == 1 && e->sizes[0] == 0);
    CHECK_ERR(ct_masked_select(x, longs(VALS(1, 0, 1, 0), SHAPE(4), 1)), "expected BoolTensor or ByteTensor for mask");
    CHECK_ERR(ct_masked_select(x, bools(VALS(1, 0), SHAPE(2), 1)), "must match the size");
}

TEST(masked_select, matches_reference_across_the_grain) {
    ct_tensor *x = tt_rand(SHAPE(300, 200), 2, CT_FLOAT32, -1, 1, 30);
    ct_tensor *m = tt_rand(SHAPE(300, 200), 2, CT_BOOL, 0, 2, 31);
    double *xv = tt_values(x), *mv = tt_values(m), *ref = malloc(sizeof(double) * 60000);
    int64_t n = 0;
    for (int i = 0; i < 60000; i++)
        if (mv[i] != 0) ref[n++] = xv[i];
    int bad = tt_expect(__FILE__, __LINE__, ct_masked_select(x, m), SHAPE(n), 1, ref, 0);
    /* and back: scatter -(1..n) into the masked places */
    ct_tensor *src = ct_empty(SHAPE(n), 1, CT_FLOAT32);
    for (int64_t k = 0; k < n; k++) ((float *)ct_data_ptr(src))[k] = (float)-(k + 1);
    for (int64_t i = 0, k = 0; i < 60000; i++)
        if (mv[i] != 0) xv[i] = (double)-(++k);
    if (!bad) bad = tt_expect(__FILE__, __LINE__, ct_masked_scatter_(x, m, src), SHAPE(300, 200), 2, xv, 0);
    free(xv);
    free(mv);
    free(ref);
    if (bad) return;
}

TEST(masked_scatter, writes_source_elements_in_order) {
    ct_tensor *x = arange(SHAPE(3, 4), 2, CT_FLOAT32);
    ct_tensor *m = bools(mask34, SHAPE(3, 4), 2);
    ct_tensor *src = tt_tensor(VALS(-1, -2, -3, -4, -5), SHAPE(5), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_masked_scatter(x, m, src), SHAPE(3, 4), 2, VALS(-1, 1, 2, -2, 4, 5, 6, 7, 8, -3, -4, 11), 0);
    /* in place through a transposed view: the order is the view's row-major order */
    ct_tensor *y = arange(SHAPE(4, 3), 2, CT_FLOAT32);
    ct_tensor *t = ct_t(y);
    uint64_t v0 = ct_version(y);
    CHECK(ct_masked_scatter_(t, m, src) == t);
    CHECK(ct_version(y) == v0 + 1);
    CHECK_TENSOR(t, SHAPE(3, 4), 2, VALS(-1, 3, 6, -2, 1, 4, 7, 10, 2, -3, -4, 11), 0);
    /* out of place broadcasts x (PyTorch: ones(2,3).masked_scatter(ones(2,2,3), arange(12)) = arange) */
    ct_tensor *o = ct_empty(SHAPE(2, 3), 2, CT_FLOAT64);
    for (int i = 0; i < 6; i++) ((double *)ct_data_ptr(o))[i] = 1;
    ct_tensor *all = bools(VALS(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), SHAPE(2, 2, 3), 3);
    ct_tensor *r = ct_masked_scatter(o, all, arange(SHAPE(12), 1, CT_FLOAT64));
    CHECK_TENSOR(r, SHAPE(2, 2, 3), 3, VALS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 0);
    CHECK_ERR(ct_masked_scatter(x, m, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32)),
              "Number of elements of source < number of ones in mask");
    CHECK_ERR(ct_masked_scatter(x, m, arange(SHAPE(5), 1, CT_FLOAT64)), "expected self and source to have same dtypes");
    CHECK_ERR(ct_masked_scatter_(o, all, arange(SHAPE(12), 1, CT_FLOAT64)), "doesn't match the broadcast shape");
}

TEST(nonzero, lists_coordinates_in_row_major_order) {
    ct_tensor *m = tt_tensor(VALS(0, 2, -0.0, 0, 0.5, 0), SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_nonzero(m), SHAPE(2, 2), 2, VALS(0, 1, 1, 1), 0);
    /* PyTorch: nonzero(tensor(1.)) is [1, 0]; nonzero(tensor(0.)) is [0, 0] */
    ct_tensor *a = ct_nonzero(ct_scalar_tensor(1, CT_FLOAT32));
    CHECK(a && a->ndim == 2 && a->sizes[0] == 1 && a->sizes[1] == 0);
    a = ct_nonzero(ct_scalar_tensor(0, CT_FLOAT32));
    CHECK(a && a->sizes[0] == 0 && a->sizes[1] == 0);
    ct_tensor *cols[CT_MAX_DIMS];
    CHECK(ct_nonzero_tuple(tt_tensor(VALS(0, 1, 1, 1), SHAPE(2, 2), 2, CT_INT64), cols) == 2);
    CHECK_TENSOR(cols[0], SHAPE(3), 1, VALS(0, 1, 1), 0);
    CHECK_TENSOR(cols[1], SHAPE(3), 1, VALS(1, 0, 1), 0);
    CHECK(ct_nonzero_tuple(ct_scalar_tensor(5, CT_INT32), cols) == 1);
    CHECK_TENSOR(cols[0], SHAPE(1), 1, VALS(0), 0);
    /* across the grain, on a transposed view, as int8 and as float16 */
    ct_tensor *big = ct_t(tt_rand(SHAPE(250, 200), 2, CT_INT8, -1, 2, 8)); /* [200, 250] */
    double *ref = malloc(sizeof(double) * 2 * 50000);
    int64_t n = 0;
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 250; j++)
            if (ct_item_at(big, i * 250 + j) != 0) {
                ref[2 * n] = i;
                ref[2 * n + 1] = j;
                n++;
            }
    int bad = tt_expect(__FILE__, __LINE__, ct_nonzero(big), SHAPE(n, 2), 2, ref, 0);
    if (!bad)
        bad = tt_expect(__FILE__, __LINE__, ct_nonzero(ct_to_dtype(big, CT_FLOAT16, false)), SHAPE(n, 2), 2, ref, 0);
    free(ref);
    if (bad) return;
    CHECK(n > 20000 && n < 40000);
}

/* ---------------------------------------------------------------- take / put */

TEST(take, reads_the_flattened_input_with_negative_indices) {
    ct_tensor *x = ct_t(arange(SHAPE(3, 2), 2, CT_FLOAT32)); /* [[0,2,4],[1,3,5]] */
    CHECK_TENSOR(ct_take(x, longs(VALS(0, -1, 4, 1), SHAPE(2, 2), 2)), SHAPE(2, 2), 2, VALS(0, 5, 3, 2), 0);
    ct_tensor *e = ct_take(x, longs(NULL, SHAPE(0), 1));
    CHECK(e && e->numel == 0);
    CHECK_TENSOR(ct_take(ct_scalar_tensor(3, CT_INT8), longs(VALS(0, -1), SHAPE(2), 1)), SHAPE(2), 1, VALS(3, 3), 0);
    CHECK_ERR(ct_take(x, longs(VALS(6), SHAPE(1), 1)), "out of range: tried to access index 6 on a tensor of 6 elements.");
    CHECK_ERR(ct_take(x, longs(VALS(-7), SHAPE(1), 1)), "tried to access index -7");
    CHECK_ERR(ct_take(x, tt_tensor(VALS(0), SHAPE(1), 1, CT_INT32)), "Expected a long tensor for index");
}

TEST(put, writes_and_accumulates_into_the_flattened_input) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT64);
    ct_tensor *i = longs(VALS(-1, 0, 5), SHAPE(3), 1);
    ct_tensor *s = tt_tensor(VALS(10, 20, 30), SHAPE(3), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_put(x, i, s, false), SHAPE(2, 3), 2, VALS(20, 1, 2, 3, 4, 30), 0);
    CHECK_TENSOR(ct_put(x, i, s, true), SHAPE(2, 3), 2, VALS(20, 1, 2, 3, 4, 45), 0);
    /* in place on a transposed view: flat order is the view's */
    ct_tensor *y = arange(SHAPE(3, 2), 2, CT_INT32);
    ct_tensor *t = ct_t(y); /* [[0,2,4],[1,3,5]] */
    uint64_t v0 = ct_version(y);
    CHECK(ct_put_(t, longs(VALS(1, 3), SHAPE(2), 1), tt_tensor(VALS(-1, -2), SHAPE(1, 2), 2, CT_INT32), false) == t);
    CHECK(ct_version(y) == v0 + 1);
    CHECK_TENSOR(y, SHAPE(3, 2), 2, VALS(0, -2, -1, 3, 4, 5), 0);
    CHECK_ERR(ct_put(x, i, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT64), false),
              "Expected source and index to have the same number of elements");
    CHECK_ERR(ct_put(x, i, tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT32), false), "expected to have the same dtype");
    CHECK_ERR(ct_put(x, longs(VALS(6), SHAPE(1), 1), tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT64), false),
              "tried to access index 6 on a tensor of 6 elements");
}
