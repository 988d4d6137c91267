/* isclose, allclose, equal against PyTorch 1.13 (values printed by Debian's
 * torch next to each check) and a double-precision reference. */
#include "harness.h"

static const double NaN = NAN, Inf = INFINITY;

static ct_tensor *f32(const double *v, const int64_t *shape, int nd) { return tt_tensor(v, shape, nd, CT_FLOAT32); }

/* reference: |a - b| <= atol + rtol |b| in double, with ==, NaN rules */
static bool ref_close(double a, double b, double rtol, double atol, bool en) {
    if (a == b || (en && isnan(a) && isnan(b))) return true;
    if (rtol == 0 && atol == 0) return false;
    double e = fabs(a - b);
    return isfinite(e) && e <= atol + fabs(rtol * b);
}

TEST(isclose, matches_the_formula_with_nan_and_inf_rules) {
    ct_tensor *a = tt_tensor(VALS(1, Inf, -Inf, NaN, 1e-9, 1, 2.5, 0), SHAPE(8), 1, CT_FLOAT64);
    ct_tensor *b = tt_tensor(VALS(1, Inf, Inf, NaN, 0, 1 + 1e-5, 2.6, -0.0), SHAPE(8), 1, CT_FLOAT64);
    for (int en = 0; en < 2; en++) {
        double e[8];
        for (int i = 0; i < 8; i++)
            e[i] = ref_close(ct_item_at(a, i), ct_item_at(b, i), 1e-5, 1e-8, en);
        CHECK_TENSOR(ct_isclose(a, b, 1e-5, 1e-8, en), SHAPE(8), 1, e, 0);
    }
    /* torch.isclose([1, inf, -inf, nan], [1, inf, inf, nan], equal_nan=True) */
    CHECK_TENSOR(ct_isclose(f32(VALS(1, Inf, -Inf, NaN), SHAPE(4), 1), f32(VALS(1, Inf, Inf, NaN), SHAPE(4), 1),
                            1e-5, 1e-8, true),
                 SHAPE(4), 1, VALS(1, 1, 0, 1), 0);
    /* torch: isclose(1e-9, 0) True; isclose(1, 1 + 1e-5) False (float32) */
    CHECK_TENSOR(ct_isclose(f32(VALS(1e-9, 1), SHAPE(2), 1), f32(VALS(0, 1 + 1e-5), SHAPE(2), 1), 1e-5, 1e-8, false),
                 SHAPE(2), 1, VALS(1, 0), 0);
    /* rtol is relative to b: isclose(1, 2, rtol=.5) True, isclose(2, 1) False */
    ct_tensor *one = ct_scalar_tensor(1, CT_FLOAT32), *two = ct_scalar_tensor(2, CT_FLOAT32);
    CHECK_TENSOR(ct_isclose(one, two, 0.5, 0, false), SHAPE(0), 0, VALS(1), 0);
    CHECK_TENSOR(ct_isclose(two, one, 0.5, 0, false), SHAPE(0), 0, VALS(0), 0);
}

TEST(isclose, integers_compare_in_the_default_dtype) {
    /* torch: uint8 3 vs 250 atol 10 -> False both ways (no wraparound);
     * int8 100 vs -100 atol 60 -> False; 2**40+1 vs 2**40 rtol 1e-13 -> True
     * (both round to 2**40 in float32); 16777217 vs 16777216 atol .5 -> True */
    ct_tensor *u3 = tt_tensor(VALS(3, 250), SHAPE(2), 1, CT_UINT8), *u250 = tt_tensor(VALS(250, 3), SHAPE(2), 1, CT_UINT8);
    CHECK_TENSOR(ct_isclose(u3, u250, 0, 10, false), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_isclose(u3, u3, 0, 0, false), SHAPE(2), 1, VALS(1, 1), 0);
    CHECK_TENSOR(ct_isclose(tt_tensor(VALS(100), SHAPE(1), 1, CT_INT8), tt_tensor(VALS(-100), SHAPE(1), 1, CT_INT8), 0,
                            60, false),
                 SHAPE(1), 1, VALS(0), 0);
    int64_t big[2] = {((int64_t)1 << 40) + 1, 16777217}, big2[2] = {(int64_t)1 << 40, 16777216};
    ct_tensor *p = ct_from_data(big, SHAPE(2), 1, CT_INT64), *q = ct_from_data(big2, SHAPE(2), 1, CT_INT64);
    CHECK_TENSOR(ct_isclose(p, q, 1e-13, 0, false), SHAPE(2), 1, VALS(1, 1), 0);
    /* torch: isclose([1, 2], [1, 3], atol=1) -> [True, True]; bools */
    CHECK_TENSOR(ct_isclose(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_INT64),
                            1e-5, 1, false),
                 SHAPE(2), 1, VALS(1, 1), 0);
    CHECK_TENSOR(ct_isclose(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL), tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_BOOL),
                            1e-5, 1e-8, false),
                 SHAPE(2), 1, VALS(1, 0), 0);
    /* float16: torch.isclose([1, 2], [1.001, 2.001]) (half) -> [False, False] */
    ct_tensor *h = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT16);
    CHECK_TENSOR(ct_isclose(h, ct_add_scalar(h, 0.001), 1e-5, 1e-8, false), SHAPE(2), 1, VALS(0, 0), 0);
}

TEST(isclose, broadcasts_strided_inputs_and_checks_arguments) {
    ct_tensor *a = ct_t(tt_rand(SHAPE(40, 900), 2, CT_FLOAT32, -1, 1, 3)); /* 36000: threads */
    ct_tensor *b = ct_add(a, ct_mul_scalar(tt_rand(SHAPE(900, 1), 2, CT_FLOAT32, -1, 1, 4), 1e-5));
    ct_tensor *r = ct_isclose(a, ct_contiguous(b), 1e-5, 5e-6, false);
    CHECK_OK(r);
    CHECK(r->ndim == 2 && r->sizes[0] == 900 && r->sizes[1] == 40 && r->dtype == CT_BOOL);
    for (int64_t i = 0; i < r->numel; i++) {
        float x = (float)ct_item_at(a, i), y = (float)ct_item_at(b, i);
        float e = fabsf(x - y);
        bool ref = x == y || (isfinite(e) && e <= (float)5e-6 + fabsf((float)1e-5 * y));
        if ((ct_item_at(r, i) != 0) != ref) CHECK(!"isclose element differs from the float32 reference");
    }
    ct_tensor *row = f32(VALS(1, 2, 3), SHAPE(3), 1);
    CHECK_TENSOR(ct_isclose(ct_ones(SHAPE(2, 3), 2, CT_FLOAT32), row, 1e-5, 1e-8, false), SHAPE(2, 3), 2,
                 VALS(1, 0, 0, 1, 0, 0), 0);
    CHECK_TENSOR(ct_isclose(ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), row, 1e-5, 1e-8, false), SHAPE(0, 3), 2, NULL, 0);
    CHECK_ERR(ct_isclose(row, ct_ones(SHAPE(3), 1, CT_FLOAT64), 1e-5, 1e-8, false), "Float did not match Double");
    CHECK_ERR(ct_isclose(row, ct_ones(SHAPE(2), 1, CT_FLOAT32), 1e-5, 1e-8, false),
              "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
    CHECK_ERR(ct_isclose(row, row, -1, 1e-8, false), "rtol must be greater than or equal to zero, but got -1");
    CHECK_ERR(ct_isclose(row, row, 1e-5, -0.5, false), "atol must be greater than or equal to zero, but got -0.5");
}

TEST(allclose, is_isclose_everywhere) {
    ct_tensor *a = f32(VALS(1, 2), SHAPE(2), 1);
    CHECK(ct_allclose(a, f32(VALS(1, 2.0000001), SHAPE(2), 1), 1e-5, 1e-8, false) == 1);
    CHECK(ct_allclose(a, f32(VALS(1, 2.1), SHAPE(2), 1), 1e-5, 1e-8, false) == 0);
    CHECK(ct_allclose(a, ct_scalar_tensor(1, CT_FLOAT32), 1e-5, 1e-8, false) == 0);
    CHECK(ct_allclose(ct_ones(SHAPE(2, 3), 2, CT_FLOAT32), ct_ones(SHAPE(3), 1, CT_FLOAT32), 1e-5, 1e-8, false) == 1);
    CHECK(ct_allclose(ct_empty(SHAPE(0), 1, CT_FLOAT32), ct_empty(SHAPE(0), 1, CT_FLOAT32), 1e-5, 1e-8, false) == 1);
    ct_tensor *n = f32(VALS(NaN), SHAPE(1), 1);
    CHECK(ct_allclose(n, n, 1e-5, 1e-8, false) == 0);
    CHECK(ct_allclose(n, n, 1e-5, 1e-8, true) == 1);
    CHECK(ct_allclose(f32(VALS(Inf), SHAPE(1), 1), f32(VALS(Inf), SHAPE(1), 1), 1e-5, 1e-8, false) == 1);
    CHECK(ct_allclose(f32(VALS(1), SHAPE(1), 1), f32(VALS(1.1), SHAPE(1), 1), 0.1, 0, false) == 1);
    CHECK(ct_allclose(a, ct_ones(SHAPE(2), 1, CT_INT64), 1e-5, 1e-8, false) == -1);
    CHECK(strstr(ct_last_error(), "Float did not match Long"));
    CHECK(ct_allclose(a, ct_ones(SHAPE(3), 1, CT_FLOAT32), 1e-5, 1e-8, false) == -1);
}

TEST(equal, needs_same_sizes_and_values_after_promotion) {
    ct_tensor *a = f32(VALS(0.1, 2), SHAPE(2), 1);
    CHECK(ct_equal(a, a) == 1);
    CHECK(ct_equal(a, ct_t(a)) == 1);
    /* torch: equal(float32 0.1, float64 0.1) False; bool vs int True;
     * -0 == 0; NaN never; 0-d vs [1] False; empty float vs empty long True */
    CHECK(ct_equal(a, tt_tensor(VALS(0.1, 2), SHAPE(2), 1, CT_FLOAT64)) == 0);
    CHECK(ct_equal(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL), tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_INT64)) == 1);
    CHECK(ct_equal(f32(VALS(-0.0), SHAPE(1), 1), f32(VALS(0), SHAPE(1), 1)) == 1);
    CHECK(ct_equal(f32(VALS(NaN), SHAPE(1), 1), f32(VALS(NaN), SHAPE(1), 1)) == 0);
    CHECK(ct_equal(ct_scalar_tensor(1, CT_FLOAT32), f32(VALS(1), SHAPE(1), 1)) == 0);
    CHECK(ct_equal(ct_empty(SHAPE(0), 1, CT_FLOAT32), ct_empty(SHAPE(0), 1, CT_INT64)) == 1);
    CHECK(ct_equal(ct_ones(SHAPE(2), 1, CT_FLOAT32), ct_ones(SHAPE(3), 1, CT_FLOAT32)) == 0);
    ct_tensor *m = ct_t(ct_ones(SHAPE(2, 3), 2, CT_FLOAT32));
    CHECK(ct_equal(m, ct_ones(SHAPE(3, 2), 2, CT_FLOAT32)) == 1);
    CHECK(ct_equal(m, ct_zeros(SHAPE(3, 2), 2, CT_FLOAT32)) == 0);
}
