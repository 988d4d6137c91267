/* The shape, indexing and counting ops on the GPU (src/cuda/shape.c,
 * shape.cu and the compositions in src/ops) against the same ops on the CPU:
 * roll, repeat, repeat_interleave, tril/triu, pad; index_fill,
 * scatter_reduce mean, masked_scatter, take, put, nonzero, x[0-dim mask];
 * unique, unique_consecutive, searchsorted, bincount, histc, histogram;
 * isclose, allclose, equal. Without a GPU each test counts itself as
 * skipped (`make test-cuda` runs them on a GPU). */
#define CUDA_TEST_GROUP "cuda shape"
#include "cuda_check.h"

#define SAME(g, c) CLOSE_GPU(g, c, 0, true)

static const ct_dtype DTS[] = {CT_FLOAT32, CT_INT64, CT_BOOL, CT_FLOAT16, CT_FLOAT64};
#define NDT ((int)(sizeof DTS / sizeof DTS[0]))

static ct_tensor *rnd(const int64_t *shape, int nd, ct_dtype dt, unsigned seed) {
    return tt_rand(shape, nd, dt, dt == CT_BOOL ? 0 : -5, dt == CT_BOOL ? 2 : 5, seed);
}

/* a transposed (non-contiguous) copy of x's shape with its last two dims swapped */
static ct_tensor *noncontig(const ct_tensor *x) { return ct_transpose(ct_contiguous(ct_transpose(x, -1, -2)), -1, -2); }

TEST(cuda_shape, roll_repeat_tile) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(4, 5, 6), 3, dt, 1 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            CHECK_OK(g);
            SAME(ct_roll(g, SHAPE(2, -3), 2, (const int[]){0, -1}, 2),
                 ct_roll(c, SHAPE(2, -3), 2, (const int[]){0, -1}, 2));
            SAME(ct_roll(g, SHAPE(7), 1, NULL, 0), ct_roll(c, SHAPE(7), 1, NULL, 0));
            SAME(ct_roll(g, SHAPE(-11), 1, (const int[]){1}, 1), ct_roll(c, SHAPE(-11), 1, (const int[]){1}, 1));
            SAME(ct_repeat(g, SHAPE(2, 1, 3, 1), 4), ct_repeat(c, SHAPE(2, 1, 3, 1), 4));
            SAME(ct_repeat(g, SHAPE(1, 2, 1), 3), ct_repeat(c, SHAPE(1, 2, 1), 3));
            SAME(ct_tile(g, SHAPE(2, 2), 2), ct_tile(c, SHAPE(2, 2), 2));
        }
    }
    /* empty and 0-d inputs, and errors */
    ct_tensor *e = ct_zeros(SHAPE(0, 3), 2, CT_FLOAT32), *ge = ct_cuda(e);
    SAME(ct_roll(ge, SHAPE(1), 1, (const int[]){1}, 1), ct_roll(e, SHAPE(1), 1, (const int[]){1}, 1));
    SAME(ct_repeat(ge, SHAPE(2, 2), 2), ct_repeat(e, SHAPE(2, 2), 2));
    ct_tensor *s = ct_full(NULL, 0, 3.5, CT_FLOAT32), *gs = ct_cuda(s);
    SAME(ct_repeat(gs, SHAPE(3), 1), ct_repeat(s, SHAPE(3), 1));
    SAME(ct_roll(gs, SHAPE(1), 1, NULL, 0), ct_roll(s, SHAPE(1), 1, NULL, 0));
    CHECK_ERR(ct_repeat(ct_cuda(rnd(SHAPE(2, 3), 2, CT_FLOAT32, 3)), SHAPE(2), 1), "can not be smaller");
    /* above the threading grain */
    ct_tensor *big = rnd(SHAPE(300, 257), 2, CT_FLOAT32, 4);
    SAME(ct_roll(ct_cuda(big), SHAPE(5, 100), 2, (const int[]){0, 1}, 2),
         ct_roll(big, SHAPE(5, 100), 2, (const int[]){0, 1}, 2));
}

TEST(cuda_shape, repeat_interleave_forms) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(3, 4, 5), 3, dt, 10 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            SAME(ct_repeat_interleave(g, 3, -2), ct_repeat_interleave(c, 3, -2));
            SAME(ct_repeat_interleave(g, 2, CT_DIM_NONE), ct_repeat_interleave(c, 2, CT_DIM_NONE));
            SAME(ct_repeat_interleave(g, 0, 0), ct_repeat_interleave(c, 0, 0));
            ct_tensor *r = tt_tensor(VALS(2, 0, 1, 3), SHAPE(4), 1, CT_INT64);
            SAME(ct_repeat_interleave_tensor(g, ct_cuda(r), 1), ct_repeat_interleave_tensor(c, r, 1));
            ct_tensor *r1 = tt_tensor(VALS(2), SHAPE(1), 1, CT_INT64);
            SAME(ct_repeat_interleave_tensor(g, ct_cuda(r1), 0), ct_repeat_interleave_tensor(c, r1, 0));
        }
    }
    ct_tensor *r = tt_tensor(VALS(1, 0, 3, 2), SHAPE(4), 1, CT_INT64);
    SAME(ct_repeat_interleave_self(ct_cuda(r)), ct_repeat_interleave_self(r));
    ct_tensor *r32 = ct_to_dtype(r, CT_INT32, false);
    SAME(ct_repeat_interleave_self(ct_cuda(r32)), ct_repeat_interleave_self(r32));
    ct_tensor *e = ct_zeros(SHAPE(0), 1, CT_INT64);
    SAME(ct_repeat_interleave_self(ct_cuda(e)), ct_repeat_interleave_self(e));
    ct_tensor *x = rnd(SHAPE(4, 2), 2, CT_FLOAT32, 20);
    CHECK_ERR(ct_repeat_interleave_tensor(ct_cuda(x), ct_cuda(tt_tensor(VALS(1, -1, 1, 1), SHAPE(4), 1, CT_INT64)), 0),
              "repeats can not be negative");
    CHECK_ERR(ct_repeat_interleave_tensor(ct_cuda(x), ct_cuda(tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_INT64)), 0),
              "same size as input along dim");
}

TEST(cuda_shape, tril_triu) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(2, 5, 7), 3, dt, 30 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            for (int64_t d = -2; d <= 3; d++) {
                SAME(ct_triu(g, d), ct_triu(c, d));
                SAME(ct_tril(g, d), ct_tril(c, d));
            }
            /* in place, on a non-contiguous GPU tensor too */
            ct_tensor *gc = ct_clone(g), *cc = ct_clone(c);
            CHECK_OK(ct_triu_(gc, 1));
            SAME(gc, ct_triu_(cc, 1));
            ct_tensor *gt = ct_transpose(ct_cuda(ct_clone(c)), 1, 2), *ct = ct_transpose(ct_clone(c), 1, 2);
            CHECK_OK(ct_tril_(gt, -1));
            SAME(gt, ct_tril_(ct, -1));
        }
    }
    ct_tensor *e = ct_zeros(SHAPE(3, 0, 4), 3, CT_FLOAT32);
    SAME(ct_triu(ct_cuda(e), 0), ct_triu(e, 0));
    ct_tensor *big = rnd(SHAPE(200, 300), 2, CT_FLOAT32, 39);
    SAME(ct_tril(ct_cuda(big), 5), ct_tril(big, 5));
    CHECK_ERR(ct_triu(ct_cuda(rnd(SHAPE(4), 1, CT_FLOAT32, 1)), 0), "Dimension out of range");
}

TEST(cuda_shape, pad_modes) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(2, 3, 5, 6), 4, dt, 40 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            SAME(ct_pad(g, SHAPE(1, 2, 0, 3), 4, "constant", 1), ct_pad(c, SHAPE(1, 2, 0, 3), 4, "constant", 1));
            SAME(ct_pad(g, SHAPE(-1, 2, 3, -2), 4, "constant", 0), ct_pad(c, SHAPE(-1, 2, 3, -2), 4, "constant", 0));
            SAME(ct_pad(g, SHAPE(2, 1, 1, 1, 1, 0), 6, NULL, 0), ct_pad(c, SHAPE(2, 1, 1, 1, 1, 0), 6, NULL, 0));
            if (dt == CT_BOOL || dt == CT_INT64) continue;
            static const char *modes[] = {"reflect", "replicate", "circular"};
            for (int m = 0; m < 3; m++) {
                SAME(ct_pad(g, SHAPE(2, 3, 1, 4), 4, modes[m], 0), ct_pad(c, SHAPE(2, 3, 1, 4), 4, modes[m], 0));
                SAME(ct_pad(g, SHAPE(-1, 3, 0, 1), 4, modes[m], 0), ct_pad(c, SHAPE(-1, 3, 0, 1), 4, modes[m], 0));
            }
        }
    }
    ct_tensor *e = ct_zeros(SHAPE(0, 4), 2, CT_FLOAT32);
    SAME(ct_pad(ct_cuda(e), SHAPE(1, 1), 2, "constant", 2), ct_pad(e, SHAPE(1, 1), 2, "constant", 2));
    CHECK_ERR(ct_pad(ct_cuda(rnd(SHAPE(1, 2, 3), 3, CT_FLOAT32, 1)), SHAPE(3, 0), 2, "reflect", 0),
              "Padding size should be less than");
}

TEST(cuda_shape_index, index_fill_and_scatter_mean) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(4, 6), 2, dt, 50 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        ct_tensor *ix = tt_tensor(VALS(0, -1, 2, 2), SHAPE(4), 1, CT_INT64);
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            SAME(ct_index_fill(g, -1, ct_cuda(ix), 1), ct_index_fill(c, -1, ix, 1));
            SAME(ct_index_fill(g, 0, ct_cuda(ix), 0), ct_index_fill(c, 0, ix, 0));
            ct_tensor *vt = ct_full(NULL, 0, 2, dt);
            SAME(ct_index_fill_tensor(g, 1, ct_cuda(ix), ct_cuda(vt)), ct_index_fill_tensor(c, 1, ix, vt));
            ct_tensor *gi = ct_clone(g), *ci = ct_clone(c);
            CHECK_OK(ct_index_fill_(gi, 1, ct_cuda(ix), 0));
            SAME(gi, ct_index_fill_(ci, 1, ix, 0));
        }
        ct_tensor *e = ct_zeros(SHAPE(0), 1, CT_INT64);
        SAME(ct_index_fill(ct_cuda(x), 0, ct_cuda(e), 3), ct_index_fill(x, 0, e, 3));
        CHECK_ERR(ct_index_fill(ct_cuda(x), 0, ct_cuda(tt_tensor(VALS(4), SHAPE(1), 1, CT_INT64)), 1),
                  "out of bounds for dimension 0 with size 4");
        if (dt == CT_BOOL) continue;
        ct_tensor *src = rnd(SHAPE(4, 9), 2, dt, 60 + k);
        ct_tensor *si = tt_rand(SHAPE(4, 9), 2, CT_INT64, 0, 6, 61);
        for (int self = 0; self < 2; self++) {
            SAME(ct_scatter_reduce(ct_cuda(x), 1, ct_cuda(si), ct_cuda(src), "mean", self),
                 ct_scatter_reduce(x, 1, si, src, "mean", self));
            SAME(ct_scatter_reduce(ct_cuda(xs[1]), 1, ct_cuda(si), ct_cuda(src), "mean", self),
                 ct_scatter_reduce(xs[1], 1, si, src, "mean", self));
        }
    }
    ct_tensor *x = rnd(SHAPE(3, 4), 2, CT_FLOAT32, 70);
    CHECK_ERR(ct_scatter_reduce(ct_cuda(x), 0, ct_cuda(tt_tensor(VALS(5), SHAPE(1, 1), 2, CT_INT64)),
                                ct_cuda(x), "mean", true),
              "out of bounds");
}

TEST(cuda_shape_index, masked_scatter_take_nonzero) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = rnd(SHAPE(5, 7), 2, dt, 80 + k);
        ct_tensor *m = tt_rand(SHAPE(5, 7), 2, CT_BOOL, 0, 2, 81);
        ct_tensor *src = rnd(SHAPE(40), 1, dt, 82 + k);
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            SAME(ct_masked_scatter(g, ct_cuda(m), ct_cuda(src)), ct_masked_scatter(c, m, src));
            /* a broadcast mask row */
            ct_tensor *mr = ct_select(m, 0, 1);
            SAME(ct_masked_scatter(g, ct_cuda(mr), ct_cuda(src)), ct_masked_scatter(c, mr, src));
            ct_tensor *gi = ct_clone(g), *ci = ct_clone(c);
            CHECK_OK(ct_masked_scatter_(gi, ct_cuda(m), ct_cuda(src)));
            SAME(gi, ct_masked_scatter_(ci, m, src));
            ct_tensor *ix = tt_rand(SHAPE(3, 4), 2, CT_INT64, -35, 35, 83);
            SAME(ct_take(g, ct_cuda(ix)), ct_take(c, ix));
            /* put: distinct indices, or duplicates summed */
            ct_tensor *pu = tt_tensor(VALS(0, -1, 5, 17, 33, -20), SHAPE(2, 3), 2, CT_INT64);
            ct_tensor *pv = rnd(SHAPE(2, 3), 2, dt, 87);
            SAME(ct_put(g, ct_cuda(pu), ct_cuda(pv), false), ct_put(c, pu, pv, false));
            if (dt != CT_BOOL) {
                ct_tensor *pd = rnd(SHAPE(3, 4), 2, dt, 88);
                CLOSE_GPU(ct_put(g, ct_cuda(ix), ct_cuda(pd), true), ct_put(c, ix, pd, true),
                          dt == CT_FLOAT16 ? 1e-2 : 1e-6, true);
            }
            SAME(ct_nonzero(g), ct_nonzero(c));
        }
        CHECK_ERR(ct_masked_scatter(ct_cuda(x), ct_cuda(m), ct_cuda(rnd(SHAPE(3), 1, dt, 1))),
                  "Number of elements of source < number of ones in mask");
        CHECK_ERR(ct_take(ct_cuda(x), ct_cuda(tt_tensor(VALS(0, 35), SHAPE(2), 1, CT_INT64))),
                  "out of range: tried to access index 35 on a tensor of 35 elements");
        CHECK_ERR(ct_take(ct_cuda(x), ct_cuda(tt_tensor(VALS(-36), SHAPE(1), 1, CT_INT64))),
                  "tried to access index -36");
        CHECK_ERR(ct_put(ct_cuda(x), ct_cuda(tt_tensor(VALS(35), SHAPE(1), 1, CT_INT64)),
                         ct_cuda(rnd(SHAPE(1), 1, dt, 2)), false),
                  "out of range");
    }
    /* 0-d, empty and large inputs of nonzero; nonzero as a tuple */
    ct_tensor *s = ct_full(NULL, 0, 2, CT_FLOAT32), *z = ct_zeros(NULL, 0, CT_FLOAT32);
    SAME(ct_nonzero(ct_cuda(s)), ct_nonzero(s));
    SAME(ct_nonzero(ct_cuda(z)), ct_nonzero(z));
    ct_tensor *e = ct_zeros(SHAPE(3, 0), 2, CT_INT64);
    SAME(ct_nonzero(ct_cuda(e)), ct_nonzero(e));
    ct_tensor *big = tt_rand(SHAPE(70, 1000), 2, CT_INT64, -1, 2, 84); /* about a third zeros */
    SAME(ct_nonzero(ct_cuda(big)), ct_nonzero(big));
    SAME(ct_take(ct_cuda(big), ct_cuda(tt_rand(SHAPE(5000), 1, CT_INT64, -70000, 70000, 85))),
         ct_take(big, tt_rand(SHAPE(5000), 1, CT_INT64, -70000, 70000, 85)));
    ct_tensor *nan = tt_tensor(VALS(0, NAN, -0.0, 1), SHAPE(4), 1, CT_FLOAT32);
    SAME(ct_nonzero(ct_cuda(nan)), ct_nonzero(nan));
    ct_tensor *out[CT_MAX_DIMS], *cout[CT_MAX_DIMS];
    ct_tensor *x = rnd(SHAPE(3, 4), 2, CT_INT64, 86);
    CHECK(ct_nonzero_tuple(ct_cuda(x), out) == 2 && ct_nonzero_tuple(x, cout) == 2);
    SAME(out[0], cout[0]);
    SAME(out[1], cout[1]);
    ct_tensor *bm = ct_zeros(SHAPE(5000), 1, CT_BOOL);
    SAME(ct_masked_scatter(ct_cuda(ct_zeros(SHAPE(5000), 1, CT_FLOAT32)), ct_cuda(ct_logical_not(bm)),
                           ct_cuda(ct_arange(0, 5000, 1, CT_FLOAT32))),
         ct_arange(0, 5000, 1, CT_FLOAT32));
}

TEST(cuda_shape_index, zero_dim_mask) {
    if (!gpu()) return;
    ct_tensor *x = rnd(SHAPE(2, 3), 2, CT_FLOAT32, 90), *g = ct_cuda(x);
    for (int t = 0; t < 2; t++) {
        ct_tensor *m = ct_full(NULL, 0, t, CT_BOOL);
        ct_index_item it = {.kind = CT_IDX_TENSOR, .tensor = ct_cuda(m)};
        ct_index_item ic = {.kind = CT_IDX_TENSOR, .tensor = m};
        SAME(ct_index_get(g, &it, 1), ct_index_get(x, &ic, 1));
        ct_tensor *gc = ct_clone(g), *cc = ct_clone(x);
        ct_tensor *v = ct_full(NULL, 0, 7, CT_FLOAT32);
        CHECK(ct_index_set(gc, &it, 1, ct_cuda(v)) == 0 && ct_index_set(cc, &ic, 1, v) == 0);
        SAME(gc, cc);
    }
}

TEST(cuda_count, unique_forms) {
    if (!gpu()) return;
    for (int k = 0; k < NDT; k++) {
        ct_dtype dt = DTS[k];
        ct_tensor *x = tt_rand(SHAPE(6, 9), 2, dt, dt == CT_BOOL ? 0 : -4, dt == CT_BOOL ? 2 : 4, 100 + k);
        if (!ct_dtype_is_floating(dt)) x = ct_sort(x, -1, false, false, NULL); /* runs for unique_consecutive */
        ct_tensor *xs[2] = {x, noncontig(x)};
        for (int v = 0; v < 2; v++) {
            ct_tensor *c = xs[v], *g = ct_cuda(c);
            ct_tensor *gi, *gc, *ci, *cc;
            SAME(ct_unique(g, true, &gi, &gc), ct_unique(c, true, &ci, &cc));
            SAME(gi, ci);
            SAME(gc, cc);
            SAME(ct_unique(g, false, NULL, NULL), ct_unique(c, false, NULL, NULL));
            SAME(ct_unique_consecutive(g, &gi, &gc), ct_unique_consecutive(c, &ci, &cc));
            SAME(gi, ci);
            SAME(gc, cc);
        }
    }
    /* NaNs stay apart; empty, 0-d and large inputs */
    ct_tensor *nan = tt_tensor(VALS(NAN, 1, NAN, 1, -0.0, 0), SHAPE(6), 1, CT_FLOAT64);
    ct_tensor *gi, *gc, *ci, *cc;
    SAME(ct_unique(ct_cuda(nan), true, &gi, &gc), ct_unique(nan, true, &ci, &cc));
    SAME(gi, ci);
    SAME(gc, cc);
    ct_tensor *e = ct_zeros(SHAPE(0, 2), 2, CT_INT64);
    SAME(ct_unique(ct_cuda(e), true, &gi, &gc), ct_unique(e, true, &ci, &cc));
    SAME(gi, ci);
    SAME(gc, cc);
    ct_tensor *s = ct_full(NULL, 0, 3, CT_INT64);
    SAME(ct_unique(ct_cuda(s), true, &gi, &gc), ct_unique(s, true, &ci, &cc));
    SAME(gi, ci);
    ct_tensor *big = tt_rand(SHAPE(20000), 1, CT_INT64, 0, 3000, 110);
    SAME(ct_unique(ct_cuda(big), true, &gi, &gc), ct_unique(big, true, &ci, &cc));
    SAME(gi, ci);
    SAME(gc, cc);
}

TEST(cuda_count, searchsorted_bincount) {
    if (!gpu()) return;
    static const ct_dtype sdt[] = {CT_FLOAT32, CT_INT64, CT_FLOAT64, CT_FLOAT16};
    for (int k = 0; k < 4; k++) {
        ct_tensor *seq = ct_sort(tt_rand(SHAPE(3, 10), 2, sdt[k], -5, 5, 120 + k), -1, false, false, NULL);
        ct_tensor *v = tt_rand(SHAPE(3, 7), 2, sdt[k], -6, 6, 121);
        ct_tensor *g = ct_cuda(seq), *gv = ct_cuda(v);
        for (int right = 0; right < 2; right++)
            for (int o32 = 0; o32 < 2; o32++) {
                SAME(ct_searchsorted(g, gv, o32, right, NULL), ct_searchsorted(seq, v, o32, right, NULL));
                ct_tensor *row = ct_select(seq, 0, 1), *vt = ct_t(v);
                SAME(ct_searchsorted(ct_cuda(row), ct_cuda(vt), o32, right, NULL),
                     ct_searchsorted(row, vt, o32, right, NULL));
                SAME(ct_searchsorted_scalar(ct_cuda(row), 0.5, o32, right, NULL),
                     ct_searchsorted_scalar(row, 0.5, o32, right, NULL));
            }
        SAME(ct_searchsorted(g, gv, false, false, "right"), ct_searchsorted(seq, v, false, false, "right"));
    }
    ct_tensor *seq = ct_sort(tt_rand(SHAPE(10), 1, CT_FLOAT32, 0, 1, 1), -1, false, false, NULL);
    ct_tensor *e = ct_zeros(SHAPE(0), 1, CT_FLOAT32);
    SAME(ct_searchsorted(ct_cuda(seq), ct_cuda(e), false, false, NULL), ct_searchsorted(seq, e, false, false, NULL));
    CHECK_ERR(ct_searchsorted(ct_cuda(seq), e, false, false, NULL), "same device");
    CHECK_ERR(ct_searchsorted(ct_cuda(ct_zeros(SHAPE(2, 3), 2, CT_FLOAT32)), ct_cuda(ct_zeros(SHAPE(3, 3), 2, CT_FLOAT32)),
                              false, false, NULL),
              "first N-1 dimensions");

    ct_tensor *x = tt_rand(SHAPE(500), 1, CT_INT64, 0, 40, 130);
    ct_tensor *w = tt_rand(SHAPE(500), 1, CT_FLOAT32, -1, 1, 131);
    SAME(ct_bincount(ct_cuda(x), NULL, 0), ct_bincount(x, NULL, 0));
    SAME(ct_bincount(ct_cuda(x), NULL, 60), ct_bincount(x, NULL, 60));
    CLOSE_GPU(ct_bincount(ct_cuda(x), ct_cuda(w), 0), ct_bincount(x, w, 0), 1e-6, true);
    ct_tensor *w64 = ct_to_dtype(w, CT_FLOAT64, false);
    CLOSE_GPU(ct_bincount(ct_cuda(x), ct_cuda(w64), 3), ct_bincount(x, w64, 3), 1e-12, true);
    ct_tensor *x8 = ct_to_dtype(ct_slice(x, 0, 0, 500, 3), CT_UINT8, false);
    SAME(ct_bincount(ct_cuda(x8), NULL, 0), ct_bincount(x8, NULL, 0));
    ct_tensor *ei = ct_zeros(SHAPE(0), 1, CT_INT64);
    SAME(ct_bincount(ct_cuda(ei), NULL, 0), ct_bincount(ei, NULL, 0));
    SAME(ct_bincount(ct_cuda(ei), NULL, 4), ct_bincount(ei, NULL, 4));
    CHECK_ERR(ct_bincount(ct_cuda(tt_tensor(VALS(1, -1), SHAPE(2), 1, CT_INT64)), NULL, 0), "non-negative");
    CHECK_ERR(ct_bincount(ct_cuda(x), w, 0), "same device");
}

TEST(cuda_count, histc_histogram) {
    if (!gpu()) return;
    static const ct_dtype fdt[] = {CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 2; k++) {
        ct_tensor *x = tt_rand(SHAPE(40, 30), 2, fdt[k], -3, 3, 140 + k);
        ct_tensor *xt = ct_t(x), *g = ct_cuda(xt);
        SAME(ct_histc(g, 10, -2, 2), ct_histc(xt, 10, -2, 2));
        SAME(ct_histc(g, 7, 0, 0), ct_histc(xt, 7, 0, 0));
        ct_tensor *ge, *ce;
        SAME(ct_histogram(g, 9, NULL, NULL, false, &ge), ct_histogram(xt, 9, NULL, NULL, false, &ce));
        SAME(ge, ce);
        ct_tensor *w = tt_rand(SHAPE(30, 40), 2, fdt[k], 0, 1, 142);
        double range[2] = {-1, 2.5};
        CLOSE_GPU(ct_histogram(g, 6, range, ct_cuda(w), true, &ge), ct_histogram(xt, 6, range, w, true, &ce),
                  1e-5, true);
        SAME(ge, ce);
        ct_tensor *edges = tt_tensor(VALS(-2, -1.5, 0, 0.25, 3), SHAPE(5), 1, fdt[k]);
        CLOSE_GPU(ct_histogram_edges(g, ct_cuda(edges), ct_cuda(w), false, &ge),
                  ct_histogram_edges(xt, edges, w, false, &ce), 1e-5, true);
        SAME(ge, ce);
        SAME(ct_histogram_edges(g, ct_cuda(edges), NULL, true, &ge), ct_histogram_edges(xt, edges, NULL, true, &ce));
    }
    ct_tensor *e = ct_zeros(SHAPE(0), 1, CT_FLOAT32);
    SAME(ct_histc(ct_cuda(e), 4, 0, 0), ct_histc(e, 4, 0, 0));
    SAME(ct_histogram(ct_cuda(e), 3, NULL, NULL, false, NULL), ct_histogram(e, 3, NULL, NULL, false, NULL));
    ct_tensor *nan = tt_tensor(VALS(1, NAN, 2), SHAPE(3), 1, CT_FLOAT32);
    CHECK_ERR(ct_histc(ct_cuda(nan), 4, 0, 0), "not finite");
    SAME(ct_histc(ct_cuda(nan), 4, 0, 3), ct_histc(nan, 4, 0, 3));
    CHECK_ERR(ct_histc(ct_cuda(ct_zeros(SHAPE(2), 1, CT_INT64)), 4, 0, 1), "not implemented for 'Long'");
    CHECK_ERR(ct_histogram_edges(ct_cuda(nan), ct_zeros(SHAPE(3), 1, CT_FLOAT32), NULL, false, NULL), "same device");
}

TEST(cuda_compare, isclose_allclose_equal) {
    if (!gpu()) return;
    static const ct_dtype cdt[] = {CT_FLOAT32, CT_FLOAT64, CT_INT64, CT_FLOAT16, CT_BOOL};
    for (int k = 0; k < 5; k++) {
        ct_tensor *a = rnd(SHAPE(4, 6), 2, cdt[k], 150 + k);
        ct_tensor *b = ct_to_dtype(ct_add(a, ct_mul_scalar(rnd(SHAPE(4, 6), 2, CT_FLOAT64, 151), 1e-3)), cdt[k], false);
        if (cdt[k] == CT_BOOL) b = rnd(SHAPE(4, 6), 2, CT_BOOL, 152);
        ct_tensor *bt = noncontig(b), *brow = ct_select(b, 0, 2);
        for (int en = 0; en < 2; en++) {
            SAME(ct_isclose(ct_cuda(a), ct_cuda(b), 1e-5, 1e-8, en), ct_isclose(a, b, 1e-5, 1e-8, en));
            SAME(ct_isclose(ct_cuda(a), ct_cuda(bt), 1e-2, 1e-3, en), ct_isclose(a, bt, 1e-2, 1e-3, en));
            SAME(ct_isclose(ct_cuda(a), ct_cuda(brow), 0, 0, en), ct_isclose(a, brow, 0, 0, en));
        }
        CHECK(ct_allclose(ct_cuda(a), ct_cuda(b), 1e-5, 1e-8, false) == ct_allclose(a, b, 1e-5, 1e-8, false));
        CHECK(ct_allclose(ct_cuda(a), ct_cuda(a), 0, 0, false) == 1);
        CHECK(ct_equal(ct_cuda(a), ct_cuda(noncontig(a))) == 1);
        CHECK(ct_equal(ct_cuda(a), ct_cuda(b)) == ct_equal(a, b));
        CHECK(ct_equal(ct_cuda(a), ct_cuda(ct_t(a))) == 0);
    }
    ct_tensor *n = tt_tensor(VALS(NAN, 1, INFINITY, -INFINITY, 2), SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *m = tt_tensor(VALS(NAN, 1.0000001, INFINITY, INFINITY, NAN), SHAPE(5), 1, CT_FLOAT32);
    for (int en = 0; en < 2; en++)
        SAME(ct_isclose(ct_cuda(n), ct_cuda(m), 1e-5, 1e-8, en), ct_isclose(n, m, 1e-5, 1e-8, en));
    CHECK(ct_equal(ct_cuda(n), ct_cuda(n)) == 0); /* NaN != NaN */
    ct_tensor *e = ct_zeros(SHAPE(0, 3), 2, CT_FLOAT32);
    SAME(ct_isclose(ct_cuda(e), ct_cuda(e), 1e-5, 1e-8, false), ct_isclose(e, e, 1e-5, 1e-8, false));
    CHECK(ct_equal(ct_cuda(e), ct_cuda(e)) == 1);
    CHECK_ERR(ct_isclose(ct_cuda(n), n, 1e-5, 1e-8, false), "same device");
    CHECK_ERR(ct_isclose(ct_cuda(n), ct_cuda(ct_to_dtype(n, CT_FLOAT64, false)), 1e-5, 1e-8, false),
              "Float did not match Double");
    ct_clear_error();
    CHECK(ct_equal(ct_cuda(n), n) == -1);
}
