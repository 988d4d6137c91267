/* Ops along one dim (index_select, gather, scatter*, index_add/copy/fill,
 * take_along_dim) against reference loops over row-major doubles. */
#include "harness.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- helpers */

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

static void unravel(int64_t i, const int64_t *sh, int nd, int64_t *c) {
    for (int d = nd - 1; d >= 0; d--) {
        c[d] = i % sh[d];
        i /= sh[d];
    }
}

static int64_t ravel(const int64_t *c, const int64_t *sh, int nd) {
    int64_t i = 0;
    for (int d = 0; d < nd; d++) i = i * sh[d] + c[d];
    return i;
}

/* Reference gather: out[c] = x[c with c[dim] = idx[c]]. */
static double *ref_gather(const ct_tensor *x, int dim, const ct_tensor *idx) {
    double *xv = tt_values(x), *iv = tt_values(idx);
    double *out = malloc(sizeof(double) * (size_t)(idx->numel ? idx->numel : 1));
    int64_t c[CT_MAX_DIMS];
    for (int64_t i = 0; i < idx->numel; i++) {
        unravel(i, idx->sizes, idx->ndim, c);
        c[dim] = (int64_t)iv[i];
        out[i] = xv[ravel(c, x->sizes, x->ndim)];
    }
    free(xv);
    free(iv);
    return out;
}

/* Reference scatter with a reduction over x's values (row-major doubles):
 * op 0 copy, 1 sum, 2 prod, 3 mean, 4 amax, 5 amin; include_self as PyTorch. */
static double *ref_scatter(const ct_tensor *x, int dim, const ct_tensor *idx, const ct_tensor *src,
                           int op, bool include_self, bool integral) {
    double *out = tt_values(x), *iv = tt_values(idx), *sv = tt_values(src);
    int64_t *cnt = calloc((size_t)(x->numel ? x->numel : 1), sizeof(int64_t));
    bool *touched = calloc((size_t)(x->numel ? x->numel : 1), 1);
    int64_t c[CT_MAX_DIMS];
    for (int64_t i = 0; i < idx->numel; i++) {
        unravel(i, idx->sizes, idx->ndim, c);
        double s = sv[ravel(c, src->sizes, src->ndim)];
        c[dim] = (int64_t)iv[i];
        int64_t o = ravel(c, x->sizes, x->ndim);
        if (op == 0) {
            out[o] = s;
            continue;
        }
        if (!touched[o] && !include_self) {
            out[o] = s;
        } else {
            switch (op) {
            case 1: case 3: out[o] += s; break;
            case 2: out[o] *= s; break;
            case 4: out[o] = (s > out[o] || isnan(s)) ? s : out[o]; break;
            case 5: out[o] = (s < out[o] || isnan(s)) ? s : out[o]; break;
            }
        }
        if (!touched[o]) cnt[o] = include_self ? 1 : 0;
        touched[o] = true;
        cnt[o]++;
    }
    if (op == 3)
        for (int64_t o = 0; o < x->numel; o++)
            if (touched[o]) out[o] = integral ? floor(out[o] / (double)cnt[o]) : out[o] / (double)cnt[o];
    free(iv);
    free(sv);
    free(cnt);
    free(touched);
    return out;
}

/* Random int64 index in [0, hi) of a shape. */
static ct_tensor *rand_index(const int64_t *shape, int nd, int64_t hi, unsigned seed) {
    return tt_rand(shape, nd, CT_INT64, 0, (double)hi, seed);
}

#define CHECK_REF(t, ref)                                                             \
    do {                                                                              \
        double *ref_ = (ref);                                                         \
        int bad_ = tt_expect(__FILE__, __LINE__, (t), (t) ? (t)->sizes : NULL,        \
                             (t) ? (t)->ndim : 0, ref_, 1e-6);                        \
        free(ref_);                                                                   \
        if (bad_ < 0) return;                                                         \
    } while (0)

/* ---------------------------------------------------------------- index_select */

TEST(index_select, selects_rows_and_columns_with_duplicates_and_negative_dim) {
    ct_tensor *x = arange(SHAPE(3, 4), 2, CT_FLOAT32);
    ct_tensor *i = longs(VALS(2, 0, 2), SHAPE(3), 1);
    CHECK_TENSOR(ct_index_select(x, 0, i), SHAPE(3, 4), 2,
                 VALS(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11), 0);
    ct_tensor *i32 = tt_tensor(VALS(3, 1), SHAPE(2), 1, CT_INT32);
    CHECK_TENSOR(ct_index_select(x, -1, i32), SHAPE(3, 2), 2, VALS(3, 1, 7, 5, 11, 9), 0);
}

TEST(index_select, matches_reference_on_noncontiguous_input_across_grain) {
    /* x is a transposed [300, 160] view; 400 selected rows -> 64000 outputs */
    ct_tensor *base = tt_rand(SHAPE(160, 300), 2, CT_FLOAT64, -1, 1, 1);
    ct_tensor *x = ct_t(base);
    ct_tensor *i = rand_index(SHAPE(400), 1, 300, 2);
    ct_tensor *r = ct_index_select(x, 0, i);
    CHECK_OK(r);
    double *xv = tt_values(x), *iv = tt_values(i), *ref = malloc(sizeof(double) * 400 * 160);
    for (int a = 0; a < 400; a++)
        for (int b = 0; b < 160; b++) ref[a * 160 + b] = xv[(int64_t)iv[a] * 160 + b];
    free(xv);
    free(iv);
    CHECK_REF(r, ref);
    /* along the inner dim of a sliced (step 2) view */
    ct_tensor *y = ct_slice(arange(SHAPE(4, 10), 2, CT_INT32), 1, 0, 10, 2); /* [4,5] */
    CHECK_TENSOR(ct_index_select(y, 1, longs(VALS(4, 0), SHAPE(2), 1)), SHAPE(4, 2), 2,
                 VALS(8, 0, 18, 10, 28, 20, 38, 30), 0);
}

TEST(index_select, reads_strided_index_vectors) {
    ct_tensor *x = arange(SHAPE(5, 2), 2, CT_FLOAT32);
    ct_tensor *i = ct_slice(longs(VALS(4, 9, 0, 9, 3), SHAPE(5), 1), 0, 0, 5, 2); /* [4, 0, 3] */
    CHECK_TENSOR(ct_index_select(x, 0, i), SHAPE(3, 2), 2, VALS(8, 9, 0, 1, 6, 7), 0);
    ct_tensor *i32 = ct_slice(tt_tensor(VALS(1, 7, 0), SHAPE(3), 1, CT_INT32), 0, 0, 3, 2); /* [1, 0] */
    CHECK_TENSOR(ct_index_add(x, 1, i32, tt_tensor(VALS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), SHAPE(5, 2), 2, CT_FLOAT32), 1),
                 SHAPE(5, 2), 2, VALS(2, 2, 6, 6, 10, 10, 14, 14, 18, 18), 0);
}

TEST(index_select, handles_empty_index_and_0d_input) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *e = ct_index_select(x, 1, longs(NULL, SHAPE(0), 1));
    CHECK_OK(e);
    CHECK(e->ndim == 2 && e->sizes[0] == 2 && e->sizes[1] == 0);
    ct_tensor *s = ct_scalar_tensor(7, CT_FLOAT64);
    ct_tensor *r = ct_index_select(s, 0, longs(VALS(0), SHAPE(1), 1));
    CHECK_TENSOR(r, NULL, 0, VALS(7), 0);
    /* 0-d index into a vector keeps one element */
    CHECK_TENSOR(ct_index_select(arange(SHAPE(3), 1, CT_INT64), 0, longs(VALS(2), NULL, 0)),
                 SHAPE(1), 1, VALS(2), 0);
}

TEST(index_select, rejects_bad_indices_dtypes_and_shapes) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_ERR(ct_index_select(x, 0, longs(VALS(2), SHAPE(1), 1)), "index out of range in self");
    CHECK_ERR(ct_index_select(x, 0, longs(VALS(-1), SHAPE(1), 1)), "index out of range in self");
    CHECK(ct_last_error_kind() == CT_ERR_INDEX);
    CHECK_ERR(ct_index_select(x, 0, tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT32)),
              "Expected dtype int32 or int64 for index");
    CHECK_ERR(ct_index_select(x, 0, longs(VALS(0), SHAPE(1, 1), 2)), "Index is supposed to be a vector");
    CHECK_ERR(ct_index_select(x, 2, longs(VALS(0), SHAPE(1), 1)), "Dimension out of range");
}

/* ---------------------------------------------------------------- gather */

TEST(gather, matches_reference_along_every_dim_with_smaller_index) {
    ct_tensor *x = tt_rand(SHAPE(4, 5, 6), 3, CT_FLOAT32, -5, 5, 3);
    for (int dim = 0; dim < 3; dim++) {
        int64_t ish[3] = {3, 4, 5};
        ish[dim] = 7; /* longer than x along dim: allowed */
        ct_tensor *i = rand_index(ish, 3, x->sizes[dim], 10 + dim);
        ct_tensor *r = ct_gather(x, dim - 3, i);
        CHECK_OK(r);
        CHECK_REF(r, ref_gather(x, dim, i));
    }
}

TEST(gather, copies_rows_for_an_expanded_index_and_reads_noncontiguous_input) {
    /* index [B, K, 1] expanded over the inner dim: the row fast path; x is
     * a permuted view. 8*64*80 = 40960 outputs cross the grain. */
    ct_tensor *base = tt_rand(SHAPE(100, 8, 80), 3, CT_FLOAT64, -1, 1, 4);
    ct_tensor *x = ct_permute(base, (const int[]){1, 0, 2}, 3); /* [8,100,80] */
    ct_tensor *i1 = rand_index(SHAPE(8, 64, 1), 3, 100, 5);
    ct_tensor *i = ct_expand(i1, SHAPE(8, 64, 80), 3);
    ct_tensor *r = ct_gather(x, 1, i);
    CHECK_OK(r);
    CHECK_REF(r, ref_gather(x, 1, i));
    ct_tensor *h = tt_tensor(VALS(1.5, -2, 3.25), SHAPE(3), 1, CT_FLOAT16);
    CHECK_TENSOR(ct_gather(h, 0, longs(VALS(2, 2, 0), SHAPE(3), 1)), SHAPE(3), 1,
                 VALS(3.25, 3.25, 1.5), 0);
}

TEST(gather, splits_a_long_1d_gather_and_still_reports_bad_indices) {
    ct_tensor *x = tt_rand(SHAPE(1000), 1, CT_FLOAT32, -1, 1, 22);
    ct_tensor *i = rand_index(SHAPE(50000), 1, 1000, 23);
    ct_tensor *r = ct_gather(x, 0, i);
    CHECK_OK(r);
    CHECK_REF(r, ref_gather(x, 0, i));
    /* narrow rows: 16 positions, 4000 indices */
    ct_tensor *w = tt_rand(SHAPE(900, 16), 2, CT_FLOAT32, -1, 1, 27);
    ct_tensor *wi = rand_index(SHAPE(4000), 1, 900, 28);
    ct_tensor *ws = ct_index_select(w, 0, wi);
    CHECK_OK(ws);
    double *wv = tt_values(w), *wref = malloc(sizeof(double) * 4000 * 16);
    for (int a = 0; a < 4000; a++)
        for (int b = 0; b < 16; b++) wref[a * 16 + b] = wv[ct_item_at_int(wi, a) * 16 + b];
    free(wv);
    CHECK_REF(ws, wref);
    ((int64_t *)ct_data_ptr(i))[45000] = 1000;
    CHECK_ERR(ct_gather(x, 0, i), "index 1000 is out of bounds for dimension 0 with size 1000");
}

TEST(gather, reads_a_transposed_index_and_scatters_through_it) {
    ct_tensor *x = tt_rand(SHAPE(6, 7), 2, CT_FLOAT64, -1, 1, 24);
    ct_tensor *i = ct_t(rand_index(SHAPE(7, 6), 2, 6, 25)); /* [6, 7], strides (1, 6) */
    CHECK_REF(ct_gather(x, 0, i), ref_gather(x, 0, i));
    ct_tensor *src = tt_rand(SHAPE(6, 7), 2, CT_FLOAT64, -1, 1, 26);
    CHECK_REF(ct_scatter_add(x, 0, i, src), ref_scatter(x, 0, i, src, 1, true, false));
}

TEST(gather, handles_0d_and_empty) {
    ct_tensor *s = ct_scalar_tensor(4, CT_INT32);
    CHECK_TENSOR(ct_gather(s, 0, longs(VALS(0), NULL, 0)), NULL, 0, VALS(4), 0);
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *e = ct_gather(x, 1, longs(NULL, SHAPE(2, 0), 2));
    CHECK_OK(e);
    CHECK(e->numel == 0 && e->sizes[0] == 2);
}

TEST(gather, rejects_out_of_range_negative_and_bad_shapes) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_ERR(ct_gather(x, 0, longs(VALS(2), SHAPE(1, 1), 2)),
              "index 2 is out of bounds for dimension 0 with size 2");
    CHECK_ERR(ct_gather(x, 1, longs(VALS(-1), SHAPE(1, 1), 2)),
              "index -1 is out of bounds for dimension 1 with size 3");
    CHECK_ERR(ct_gather(x, 0, tt_tensor(VALS(0), SHAPE(1, 1), 2, CT_INT32)),
              "Expected dtype int64 for index");
    CHECK_ERR(ct_gather(x, 0, longs(VALS(0), SHAPE(1), 1)), "same number of dimensions");
    CHECK_ERR(ct_gather(x, 0, longs(VALS(0, 0, 0, 0), SHAPE(1, 4), 2)), "Size does not match at dimension 1");
}

/* ---------------------------------------------------------------- scatter */

TEST(scatter, writes_src_and_values_and_reductions) {
    ct_tensor *x = tt_rand(SHAPE(4, 5), 2, CT_FLOAT64, -1, 1, 6);
    ct_tensor *src = tt_rand(SHAPE(3, 6), 2, CT_FLOAT64, -1, 1, 7);
    /* unique positions per column so copy order does not matter */
    ct_tensor *i = longs(VALS(3, 0, 1, 2, 0, 1, 2, 3, 2, 0, 0, 1, 1, 1, 3), SHAPE(3, 5), 2);
    CHECK_REF(ct_scatter(x, 0, i, src), ref_scatter(x, 0, i, src, 0, true, false));
    CHECK_REF(ct_scatter_with_reduce(x, 0, i, src, "add"), ref_scatter(x, 0, i, src, 1, true, false));
    CHECK_REF(ct_scatter_with_reduce(x, 0, i, src, "multiply"), ref_scatter(x, 0, i, src, 2, true, false));
    ct_tensor *v = ct_scatter_value(arange(SHAPE(2, 3), 2, CT_INT64), 1, longs(VALS(2, 0), SHAPE(2, 1), 2), 9.7);
    CHECK_TENSOR(v, SHAPE(2, 3), 2, VALS(0, 1, 9, 9, 4, 5), 0);
    CHECK_ERR(ct_scatter_with_reduce(x, 0, i, src, "max"), "reduce argument must be either add or multiply");
    /* value with a reduction; duplicates apply once each:
     * PyTorch: ones(2,3).scatter(1, [[0,0],[2,1]], 2.0, reduce='multiply') = [[4,1,1],[1,2,2]] */
    ct_tensor *o = ct_empty(SHAPE(2, 3), 2, CT_FLOAT32);
    for (int k = 0; k < 6; k++) ((float *)ct_data_ptr(o))[k] = 1;
    ct_tensor *oi = longs(VALS(0, 0, 2, 1), SHAPE(2, 2), 2);
    CHECK_TENSOR(ct_scatter_value_with_reduce(o, 1, oi, 2, "multiply"), SHAPE(2, 3), 2, VALS(4, 1, 1, 1, 2, 2), 0);
    CHECK(ct_scatter_value_with_reduce_(o, 1, oi, 0.5, "add") == o);
    CHECK_TENSOR(o, SHAPE(2, 3), 2, VALS(2, 1, 1, 1, 1.5, 1.5), 0);
}

TEST(scatter, in_place_writes_through_a_transposed_view_and_bumps_version) {
    ct_tensor *base = ct_empty(SHAPE(3, 2), 2, CT_FLOAT32);
    memset(ct_data_ptr(base), 0, 6 * sizeof(float));
    ct_tensor *x = ct_t(base); /* [2,3] view */
    uint64_t v0 = ct_version(x);
    ct_tensor *r = ct_scatter_(x, 1, longs(VALS(2, 0), SHAPE(2, 1), 2),
                               tt_tensor(VALS(5, 6), SHAPE(2, 1), 2, CT_FLOAT32));
    CHECK(r == x);
    CHECK(ct_version(x) == v0 + 1);
    CHECK_TENSOR(x, SHAPE(2, 3), 2, VALS(0, 0, 5, 6, 0, 0), 0);
    CHECK_TENSOR(base, SHAPE(3, 2), 2, VALS(0, 6, 0, 0, 5, 0), 0);
    ct_scatter_value_(x, 0, longs(VALS(1), SHAPE(1, 1), 2), -1);
    CHECK(ct_version(x) == v0 + 2);
    CHECK(ct_item_at(x, 3) == -1);
}

TEST(scatter, reads_a_source_that_aliases_the_destination_before_writing) {
    /* x[i][idx[i][j]] = x[i][j] for a row rotation: every read sees the old x */
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *i = longs(VALS(1, 2, 0, 1, 2, 0), SHAPE(2, 3), 2);
    CHECK(ct_scatter_(x, 1, i, x) == x);
    CHECK_TENSOR(x, SHAPE(2, 3), 2, VALS(2, 0, 1, 5, 3, 4), 0);
    ct_tensor *y = arange(SHAPE(3), 1, CT_INT64);
    CHECK(ct_index_add_(y, 0, longs(VALS(1, 2, 0), SHAPE(3), 1), y, 1) == y);
    CHECK_TENSOR(y, SHAPE(3), 1, VALS(2, 1, 3), 0);
}

TEST(scatter, rejects_bad_dtypes_shapes_and_indices) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *one = tt_tensor(VALS(1), SHAPE(1, 1), 2, CT_FLOAT32);
    CHECK_ERR(ct_scatter(x, 0, longs(VALS(2), SHAPE(1, 1), 2), one),
              "index 2 is out of bounds for dimension 0 with size 2");
    CHECK_ERR(ct_scatter(x, 0, longs(VALS(0), SHAPE(1, 1), 2), tt_tensor(VALS(1), SHAPE(1, 1), 2, CT_FLOAT64)),
              "Expected self.dtype to be equal to src.dtype");
    CHECK_ERR(ct_scatter(x, 0, longs(VALS(0, 0), SHAPE(1, 2), 2), one),
              "to be smaller size than src");
    CHECK_ERR(ct_scatter(x, 0, longs(VALS(0), SHAPE(1), 1), one), "same number of dimensions");
    CHECK_ERR(ct_scatter(x, 2, longs(VALS(0), SHAPE(1, 1), 2), one), "Dimension out of range");
}

TEST(scatter_add, sums_duplicates_like_the_reference) {
    ct_tensor *x = arange(SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *r = ct_scatter_add(x, 0, longs(VALS(1, 1, 1, 0), SHAPE(4), 1),
                                  tt_tensor(VALS(1, 2, 3, 10), SHAPE(4), 1, CT_FLOAT32));
    CHECK_TENSOR(r, SHAPE(3), 1, VALS(10, 7, 2), 0);
    /* many duplicates per column, crossing the grain: threads split columns only */
    ct_tensor *y = tt_rand(SHAPE(7, 600), 2, CT_FLOAT64, -1, 1, 8);
    ct_tensor *src = tt_rand(SHAPE(80, 600), 2, CT_FLOAT64, -1, 1, 9);
    ct_tensor *i = rand_index(SHAPE(80, 600), 2, 7, 10);
    CHECK_REF(ct_scatter_add(y, 0, i, src), ref_scatter(y, 0, i, src, 1, true, false));
    /* the same along the inner dim, in place */
    ct_tensor *z = tt_rand(SHAPE(600, 7), 2, CT_INT32, -100, 100, 11);
    ct_tensor *zs = tt_rand(SHAPE(600, 80), 2, CT_INT32, -100, 100, 12);
    ct_tensor *zi = rand_index(SHAPE(600, 80), 2, 7, 13);
    double *ref = ref_scatter(z, 1, zi, zs, 1, true, true);
    CHECK_OK(ct_scatter_add_(z, 1, zi, zs));
    CHECK_REF(z, ref);
}

TEST(scatter_add, rejects_int32_index) {
    ct_tensor *x = arange(SHAPE(3), 1, CT_FLOAT32);
    CHECK_ERR(ct_scatter_add(x, 0, tt_tensor(VALS(0), SHAPE(1), 1, CT_INT32), x),
              "scatter_add(): Expected dtype int64 for index");
}

TEST(scatter_reduce, every_reduction_with_and_without_self) {
    static const char *names[] = {"", "sum", "prod", "mean", "amax", "amin"};
    ct_tensor *x = tt_rand(SHAPE(5, 4), 2, CT_FLOAT64, -2, 2, 14);
    ct_tensor *src = tt_rand(SHAPE(9, 4), 2, CT_FLOAT64, -2, 2, 15);
    ct_tensor *i = rand_index(SHAPE(9, 4), 2, 4, 16); /* row 4 never hit */
    ct_tensor *xi = tt_rand(SHAPE(5, 4), 2, CT_INT64, -20, 20, 17);
    ct_tensor *si = tt_rand(SHAPE(9, 4), 2, CT_INT64, -20, 20, 18);
    for (int op = 1; op <= 5; op++)
        for (int inc = 0; inc < 2; inc++) {
            CHECK_REF(ct_scatter_reduce(x, 0, i, src, names[op], inc), ref_scatter(x, 0, i, src, op, inc, false));
            CHECK_REF(ct_scatter_reduce(xi, 0, i, si, names[op], inc), ref_scatter(xi, 0, i, si, op, inc, true));
        }
}

TEST(scatter_reduce, works_on_float16_and_bfloat16) {
    /* values exact in both formats, so the reference needs no rounding */
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = k ? CT_BFLOAT16 : CT_FLOAT16;
        ct_tensor *x = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, dt);
        ct_tensor *i = longs(VALS(0, 0, 2, 2), SHAPE(4), 1);
        ct_tensor *s = tt_tensor(VALS(0.5, 4, -8, 2), SHAPE(4), 1, dt);
        CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "sum", true), SHAPE(3), 1, VALS(5.5, 2, -3), 0);
        CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "amax", false), SHAPE(3), 1, VALS(4, 2, 2), 0);
        CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "amin", true), SHAPE(3), 1, VALS(0.5, 2, -8), 0);
        CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "prod", true), SHAPE(3), 1, VALS(2, 2, -48), 0);
        CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "mean", false), SHAPE(3), 1, VALS(2.25, 2, -3), 0);
        CHECK_TENSOR(ct_index_add(x, 0, longs(VALS(1, 1), SHAPE(2), 1), tt_tensor(VALS(1, 2), SHAPE(2), 1, dt), 2),
                     SHAPE(3), 1, VALS(1, 8, 3), 0);
    }
}

TEST(scatter_reduce, propagates_nan_floors_integer_means_and_runs_in_place) {
    double nan = NAN;
    ct_tensor *x = tt_tensor(VALS(0, 0), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *i = longs(VALS(0, 0, 1), SHAPE(3), 1);
    ct_tensor *s = tt_tensor((const double[]){1, nan, 3}, SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_scatter_reduce(x, 0, i, s, "amax", false), SHAPE(2), 1, ((const double[]){nan, 3}), 0);
    /* PyTorch: tensor([5, 7]).scatter_reduce(0, [0, 0, 1], [-1, -2, 4], 'mean', include_self=False) = [-2, 4] */
    ct_tensor *y = tt_tensor(VALS(5, 7), SHAPE(2), 1, CT_INT64);
    CHECK_TENSOR(ct_scatter_reduce(y, 0, i, longs(VALS(-1, -2, 4), SHAPE(3), 1), "mean", false), SHAPE(2), 1,
                 VALS(-2, 4), 0);
    uint64_t v0 = ct_version(y);
    CHECK(ct_scatter_reduce_(y, 0, i, longs(VALS(1, 2, 4), SHAPE(3), 1), "mean", true) == y);
    CHECK(ct_version(y) == v0 + 1);
    CHECK_TENSOR(y, SHAPE(2), 1, VALS(2, 5), 0);
    CHECK_ERR(ct_scatter_reduce(y, 0, i, y, "max", true), "reduce argument must be either sum, prod, mean, amax or amin");
}

/* ---------------------------------------------------------------- index_add / copy / fill */

TEST(index_add, accumulates_duplicates_with_alpha) {
    ct_tensor *x = arange(SHAPE(3, 2), 2, CT_FLOAT32);
    ct_tensor *src = tt_tensor(VALS(1, 2, 3, 4, 5, 6), SHAPE(3, 2), 2, CT_FLOAT32);
    ct_tensor *i = longs(VALS(2, 0, 2), SHAPE(3), 1);
    /* x[2] += 2*(src[0] + src[2]); x[0] += 2*src[1] */
    CHECK_TENSOR(ct_index_add(x, 0, i, src, 2), SHAPE(3, 2), 2, VALS(6, 9, 2, 3, 16, 21), 1e-6);
    CHECK_TENSOR(ct_index_add(x, 1, tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_INT32),
                              tt_tensor(VALS(1, 2, 3, 4, 5, 6), SHAPE(3, 2), 2, CT_FLOAT32), 1),
                 SHAPE(3, 2), 2, VALS(0, 4, 2, 10, 4, 16), 1e-6);
    /* integer alpha truncates like PyTorch: [1,2] + 2.5*[1,1] -> [3,4] */
    ct_tensor *y = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    CHECK_TENSOR(ct_index_add(y, 0, longs(VALS(0, 1), SHAPE(2), 1), longs(VALS(1, 1), SHAPE(2), 1), 2.5),
                 SHAPE(2), 1, VALS(3, 4), 0);
}

TEST(index_add, in_place_across_grain_matches_reference) {
    ct_tensor *x = tt_rand(SHAPE(50, 700), 2, CT_FLOAT64, -1, 1, 19);
    ct_tensor *src = tt_rand(SHAPE(60, 700), 2, CT_FLOAT64, -1, 1, 20);
    ct_tensor *i = rand_index(SHAPE(60), 1, 50, 21);
    double *xv = tt_values(x), *sv = tt_values(src), *iv = tt_values(i);
    for (int a = 0; a < 60; a++)
        for (int b = 0; b < 700; b++) xv[(int64_t)iv[a] * 700 + b] += -0.5 * sv[a * 700 + b];
    uint64_t v0 = ct_version(x);
    CHECK(ct_index_add_(x, 0, i, src, -0.5) == x);
    CHECK(ct_version(x) == v0 + 1);
    free(sv);
    free(iv);
    CHECK_REF(x, xv);
}

TEST(index_add, rejects_bad_arguments) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *one = tt_tensor(VALS(1, 1, 1), SHAPE(1, 3), 2, CT_FLOAT32);
    CHECK_ERR(ct_index_add(x, 0, longs(VALS(5), SHAPE(1), 1), one, 1), "index out of range in self");
    CHECK_ERR(ct_index_add(x, 0, longs(VALS(-1), SHAPE(1), 1), one, 1), "index out of range in self");
    CHECK_ERR(ct_index_add(x, 0, longs(VALS(0, 1), SHAPE(2), 1), one, 1), "Number of indices (2) should be equal");
    CHECK_ERR(ct_index_add(x, 0, longs(VALS(0), SHAPE(1), 1), tt_tensor(VALS(1, 1, 1), SHAPE(1, 3), 2, CT_FLOAT64), 1),
              "must have the same scalar type");
    CHECK_ERR(ct_index_add(x, 0, tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT32), one, 1), "Expected dtype int32/int64");
    CHECK_ERR(ct_index_add(x, 0, longs(VALS(0), SHAPE(1), 1), tt_tensor(VALS(1, 1, 1, 1), SHAPE(1, 4), 2, CT_FLOAT32), 1),
              "source tensor shape must match self tensor shape");
}

TEST(index_copy, copies_slices_in_place_and_out) {
    ct_tensor *x = arange(SHAPE(3, 2), 2, CT_FLOAT32);
    ct_tensor *src = tt_tensor(VALS(-1, -2, -3, -4), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_index_copy(x, 0, longs(VALS(2, 0), SHAPE(2), 1), src), SHAPE(3, 2), 2,
                 VALS(-3, -4, 2, 3, -1, -2), 0);
    ct_tensor *t = ct_t(x); /* [2,3] view, copy along dim 1 in place */
    CHECK(ct_index_copy_(t, 1, longs(VALS(1), SHAPE(1), 1), tt_tensor(VALS(7, 8), SHAPE(2, 1), 2, CT_FLOAT32)) == t);
    CHECK_TENSOR(x, SHAPE(3, 2), 2, VALS(0, 1, 7, 8, 4, 5), 0);
    CHECK_ERR(ct_index_copy(x, 0, longs(VALS(5), SHAPE(1), 1), tt_tensor(VALS(0, 0), SHAPE(1, 2), 2, CT_FLOAT32)),
              "index 5 is out of bounds for dimension 0 with size 3");
    CHECK(ct_last_error_kind() == CT_ERR_INDEX);
}

TEST(index_fill, fills_with_negative_indices_scalars_and_0d_tensors) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_INT32);
    CHECK_TENSOR(ct_index_fill(x, 1, longs(VALS(-1, 0), SHAPE(2), 1), 9.7), SHAPE(2, 3), 2,
                 VALS(9, 1, 9, 9, 4, 9), 0);
    ct_tensor *f = arange(SHAPE(2, 3), 2, CT_FLOAT64);
    CHECK_TENSOR(ct_index_fill_tensor(f, 0, longs(VALS(1), NULL, 0), ct_scalar_tensor(-2.5, CT_FLOAT64)),
                 SHAPE(2, 3), 2, VALS(0, 1, 2, -2.5, -2.5, -2.5), 0);
    uint64_t v0 = ct_version(f);
    CHECK(ct_index_fill_(f, 0, longs(NULL, SHAPE(0), 1), 1) == f);
    CHECK(ct_version(f) == v0 + 1);
    CHECK_ERR(ct_index_fill(x, 0, longs(VALS(2), SHAPE(1), 1), 1), "index 2 is out of bounds for dimension 0 with size 2");
    CHECK_ERR(ct_index_fill(x, 0, tt_tensor(VALS(0), SHAPE(1), 1, CT_INT32), 1), "Expected dtype int64 for index");
    CHECK_ERR(ct_index_fill_tensor(f, 0, longs(VALS(0), SHAPE(1), 1), tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT64)),
              "only supports a 0-dimensional value tensor");
}

/* ---------------------------------------------------------------- take_along_dim */

TEST(take_along_dim, broadcasts_input_and_indices_off_dim) {
    ct_tensor *x = arange(SHAPE(2, 3), 2, CT_INT64);
    /* PyTorch: take_along_dim(arange(6).view(2,3), [[0,2]], 1) = [[0,2],[3,5]] */
    CHECK_TENSOR(ct_take_along_dim(x, longs(VALS(0, 2), SHAPE(1, 2), 2), 1), SHAPE(2, 2), 2,
                 VALS(0, 2, 3, 5), 0);
    CHECK_TENSOR(ct_take_along_dim(x, longs(VALS(0, 2), SHAPE(2, 1), 2), -1), SHAPE(2, 1), 2, VALS(0, 5), 0);
    CHECK_TENSOR(ct_take_along_dim_flat(x, longs(VALS(5, 1), SHAPE(2), 1)), SHAPE(2), 1, VALS(5, 1), 0);
    CHECK_ERR(ct_take_along_dim(x, longs(VALS(0), SHAPE(1), 1), 1), "should have the same number of dimensions");
    CHECK_ERR(ct_take_along_dim(x, longs(VALS(-1), SHAPE(1, 1), 2), 1), "index -1 is out of bounds for dimension 1 with size 3");
}
