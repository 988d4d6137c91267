/* Binary pointwise ops against double-precision references. */
#include "test_pointwise_util.h"

static double r_floordiv(double a, double b) { return floor(a / b); }
static double r_rem(double a, double b) {
    double m = fmod(a, b);
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
static double r_fmod(double a, double b) { return fmod(a, b); }
static double r_pow(double a, double b) { return pow(a, b); }
static double r_atan2(double a, double b) { return atan2(a, b); }
static double r_hypot(double a, double b) { return hypot(a, b); }
static double r_max(double a, double b) { return isnan(a) || isnan(b) ? NAN : (a > b ? a : b); }
static double r_min(double a, double b) { return isnan(a) || isnan(b) ? NAN : (a < b ? a : b); }
static double r_eq(double a, double b) { return a == b; }
static double r_ne(double a, double b) { return a != b; }
static double r_lt(double a, double b) { return a < b; }
static double r_le(double a, double b) { return a <= b; }
static double r_gt(double a, double b) { return a > b; }
static double r_ge(double a, double b) { return a >= b; }
static double r_land(double a, double b) { return a != 0 && b != 0; }
static double r_lor(double a, double b) { return a != 0 || b != 0; }
static double r_lxor(double a, double b) { return (a != 0) != (b != 0); }
static double r_band(double a, double b) { return (double)((int64_t)a & (int64_t)b); }
static double r_bor(double a, double b) { return (double)((int64_t)a | (int64_t)b); }
static double r_bxor(double a, double b) { return (double)((int64_t)a ^ (int64_t)b); }
static double r_shl(double a, double b) { return (double)((int64_t)a * ((int64_t)1 << (int64_t)b)); }
static double r_shr(double a, double b) { return floor(a / (double)((int64_t)1 << (int64_t)b)); }

/* Values of dtype dt in [lo, hi) without zeros (divisors). */
static ct_tensor *nonzero(const int64_t *shape, int nd, ct_dtype dt, double lo, double hi, unsigned seed) {
    ct_tensor *t = tt_rand(shape, nd, dt, lo, hi, seed);
    for (int64_t i = 0; i < t->numel; i++)
        if (ct_item_at(t, i) == 0) {
            ct_tensor *one = ct_scalar_tensor(1, dt);
            ct_copy_(ct_select(ct_reshape(t, SHAPE(-1), 1), 0, i), one);
        }
    return t;
}

TEST(floor_divide, integers_and_floats_round_toward_minus_infinity) {
    const ct_dtype dts[] = {CT_INT8, CT_INT32, CT_INT64, CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 5; k++) {
        ct_tensor *a = tt_rand(SHAPE(4, 6), 2, dts[k], -50, 50, 200 + k);
        ct_tensor *b = nonzero(SHAPE(6), 1, dts[k], -7, 7, 210 + k);
        CHECK2(ct_floor_divide(a, b), a, b, r_floordiv, dts[k], pw_tol(dts[k]));
    }
    ct_tensor *u = tt_tensor(VALS(7, 200), SHAPE(2), 1, CT_UINT8);
    CHECK_TENSOR(ct_floor_divide(u, ct_wrapped_int(3)), SHAPE(2), 1, VALS(2, 66), 0);
    ct_tensor *i = tt_tensor(VALS(7, -7), SHAPE(2), 1, CT_INT64);
    ct_tensor *r = ct_floor_divide_scalar(i, 2);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(3, -4), 0);
    CHECK_ERR(ct_floor_divide(i, ct_wrapped_int(0)), "ZeroDivisionError");
    ct_tensor *c = ct_clone(i);
    CHECK(ct_floor_divide_(c, ct_wrapped_int(-2)) == c);
    CHECK_TENSOR(c, SHAPE(2), 1, VALS(-4, 3), 0);
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_FLOAT32);
    CHECK(ct_floor_divide_out(o, i, ct_wrapped_int(2)) == o);
    CHECK_TENSOR(o, SHAPE(2), 1, VALS(3, -4), 0);
    CHECK_ERR(ct_floor_divide(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL), tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)),
              "\"div_floor_cpu\" not implemented for 'Bool'");
}

TEST(remainder, python_sign_convention) {
    const ct_dtype dts[] = {CT_INT16, CT_INT64, CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 4; k++) {
        ct_tensor *a = tt_rand(SHAPE(5, 5), 2, dts[k], -50, 50, 220 + k);
        ct_tensor *b = nonzero(SHAPE(5, 1), 2, dts[k], -9, 9, 230 + k);
        CHECK2(ct_remainder(a, b), a, b, r_rem, dts[k], pw_tol(dts[k]) * 10);
    }
    /* torch.remainder(torch.tensor([-3., 3., 0.]), torch.tensor([2., -2., 0.])) -> [1, -1, nan] */
    ct_tensor *a = tt_tensor(VALS(-3, 3, 0), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *b = tt_tensor(VALS(2, -2, 0), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_remainder(a, b), SHAPE(3), 1, VALS(1, -1, NAN), 0);
    CHECK_ERR(ct_remainder(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT32), ct_wrapped_int(0)), "ZeroDivisionError");
    ct_tensor *i = tt_tensor(VALS(-3, 4), SHAPE(2), 1, CT_INT64);
    CHECK_TENSOR(ct_remainder(i, tt_tensor(VALS(2, -3), SHAPE(2), 1, CT_INT64)), SHAPE(2), 1, VALS(1, -2), 0);
    CHECK_TENSOR(ct_remainder_scalar(i, 2.5), SHAPE(2), 1, VALS(2, 1.5), 0);
    ct_tensor *c = ct_clone(i);
    CHECK(ct_remainder_(c, ct_wrapped_int(3)) == c);
    CHECK_TENSOR(c, SHAPE(2), 1, VALS(0, 1), 0);
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_INT64);
    CHECK(ct_remainder_out(o, i, ct_wrapped_int(-3)) == o);
    CHECK_TENSOR(o, SHAPE(2), 1, VALS(0, -2), 0);
    CHECK_ERR(ct_remainder(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL), tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)),
              "\"remainder_cpu\" not implemented for 'Bool'");
}

TEST(fmod, sign_of_the_dividend) {
    const ct_dtype dts[] = {CT_INT8, CT_INT32, CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 4; k++) {
        ct_tensor *a = tt_rand(SHAPE(30), 1, dts[k], -50, 50, 240 + k);
        ct_tensor *b = nonzero(SHAPE(30), 1, dts[k], -9, 9, 250 + k);
        CHECK2(ct_fmod(a, b), a, b, r_fmod, dts[k], 0);
    }
    ct_tensor *a = tt_tensor(VALS(-3, 3), SHAPE(2), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_fmod(a, tt_tensor(VALS(2, -2), SHAPE(2), 1, CT_FLOAT32)), SHAPE(2), 1, VALS(-1, 1), 0);
    CHECK_TENSOR(ct_fmod_scalar(a, 2), SHAPE(2), 1, VALS(-1, 1), 0);
    CHECK_ERR(ct_fmod(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), ct_wrapped_int(0)), "ZeroDivisionError");
    ct_tensor *c = ct_clone(a);
    CHECK(ct_fmod_(c, ct_wrapped_float(2)) == c);
    CHECK_TENSOR(c, SHAPE(2), 1, VALS(-1, 1), 0);
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_FLOAT64);
    CHECK(ct_fmod_out(o, a, ct_wrapped_float(2)) == o);
    CHECK_TENSOR(o, SHAPE(2), 1, VALS(-1, 1), 0);
}

TEST(pow, tensor_tensor_tensor_scalar_and_scalar_tensor) {
    ct_tensor *a = tt_rand(SHAPE(3, 20), 2, CT_FLOAT32, 0.1, 5, 260);
    ct_tensor *b = tt_rand(SHAPE(20), 1, CT_FLOAT32, -3, 3, 261);
    CHECK2(ct_pow(a, b), a, b, r_pow, CT_FLOAT32, 3e-7);
    ct_tensor *d = tt_rand(SHAPE(20), 1, CT_FLOAT64, 0.1, 5, 262);
    CHECK2(ct_pow(d, ct_t(d)), d, ct_t(d), r_pow, CT_FLOAT64, 1e-14);
    ct_tensor *w = ct_wrapped_float(2.5);
    CHECK2(ct_pow_scalar(a, 2.5), a, w, r_pow, CT_FLOAT32, 3e-7);
    CHECK2(ct_pow_scalar_base(2.5, b), w, b, r_pow, CT_FLOAT32, 3e-7);
    /* integers: exact powers; negative tensor exponents give 0 except for 1 and -1 */
    ct_tensor *i = tt_tensor(VALS(2, 1, -1, 0, 3), SHAPE(5), 1, CT_INT64);
    ct_tensor *e = tt_tensor(VALS(-1, -1, -1, -1, 0), SHAPE(5), 1, CT_INT64);
    CHECK_TENSOR(ct_pow(i, e), SHAPE(5), 1, VALS(0, 1, -1, 0, 1), 0);
    CHECK_TENSOR(ct_pow(i, ct_wrapped_int(3)), SHAPE(5), 1, VALS(8, 1, -1, 0, 27), 0);
    CHECK_ERR(ct_pow(i, ct_wrapped_int(-1)), "Integers to negative integer powers are not allowed.");
    /* a Python float exponent promotes: torch.pow(torch.tensor([3]), 2.5) = 15.5885 */
    ct_tensor *r = ct_pow_scalar(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), 2.5);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(1), 1, VALS(15.588457), 1e-6);
    r = ct_pow_scalar_base(2.5, tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64));
    CHECK_TENSOR(r, SHAPE(1), 1, VALS(15.625), 0);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_pow_(c, b) == c);
    CHECK2(c, a, b, r_pow, CT_FLOAT32, 3e-7);
    ct_tensor *o = ct_empty(SHAPE(3, 20), 2, CT_FLOAT64);
    CHECK(ct_pow_out(o, a, b) == o);
    CHECK2(o, a, b, r_pow, CT_FLOAT64, 3e-7);
    CHECK_ERR(ct_pow(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL), tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)),
              "not implemented for 'Bool'");
}

TEST(atan2, quadrants_and_integer_promotion) {
    ct_tensor *a = tt_rand(SHAPE(4, 25), 2, CT_FLOAT32, -5, 5, 270);
    ct_tensor *b = tt_rand(SHAPE(25), 1, CT_FLOAT32, -5, 5, 271);
    CHECK2(ct_atan2(a, b), a, b, r_atan2, CT_FLOAT32, 3e-7);
    ct_tensor *ia = tt_tensor(VALS(3, -3), SHAPE(2), 1, CT_INT64), *ib = tt_tensor(VALS(2, -2), SHAPE(2), 1, CT_INT32);
    CHECK2(ct_atan2(ia, ib), ia, ib, r_atan2, CT_FLOAT32, 3e-7);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_atan2_(c, b) == c);
    CHECK2(c, a, b, r_atan2, CT_FLOAT32, 3e-7);
    ct_tensor *o = ct_empty(SHAPE(4, 25), 2, CT_FLOAT64);
    CHECK(ct_atan2_out(o, a, b) == o);
    CHECK2(o, a, b, r_atan2, CT_FLOAT64, 3e-7);
}

TEST(hypot, floats_only) {
    ct_tensor *a = tt_rand(SHAPE(40), 1, CT_FLOAT64, -1e3, 1e3, 272);
    ct_tensor *b = tt_rand(SHAPE(40), 1, CT_FLOAT64, -1e3, 1e3, 273);
    CHECK2(ct_hypot(a, b), a, b, r_hypot, CT_FLOAT64, 1e-15);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_hypot_(c, b) == c);
    CHECK2(c, a, b, r_hypot, CT_FLOAT64, 1e-15);
    ct_tensor *o = ct_empty(SHAPE(40), 1, CT_FLOAT64);
    CHECK(ct_hypot_out(o, a, b) == o);
    CHECK2(o, a, b, r_hypot, CT_FLOAT64, 1e-15);
    ct_tensor *i = tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64);
    CHECK_ERR(ct_hypot(i, i), "\"hypot_cpu\" not implemented for 'Long'");
}

TEST(maximum, nan_propagation_and_dtypes) {
    const ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT8, CT_UINT8, CT_INT64};
    for (int k = 0; k < 5; k++) {
        ct_tensor *a = tt_rand(SHAPE(6, 7), 2, dts[k], 0, 100, 280 + k);
        ct_tensor *b = tt_rand(SHAPE(7), 1, dts[k], 0, 100, 290 + k);
        CHECK2(ct_maximum(a, b), a, b, r_max, dts[k], 0);
        CHECK2(ct_maximum(ct_t(a), ct_unsqueeze(b, 1)), ct_t(a), ct_unsqueeze(b, 1), r_max, dts[k], 0);
    }
    ct_tensor *x = tt_tensor(VALS(NAN, 1, 2), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *y = tt_tensor(VALS(0, NAN, 1), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_maximum(x, y), SHAPE(3), 1, VALS(NAN, NAN, 2), 0);
    ct_tensor *r = ct_maximum(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), tt_tensor(VALS(2.5), SHAPE(1), 1, CT_FLOAT32));
    CHECK(r && r->dtype == CT_FLOAT32 && ct_item_at(r, 0) == 3);
    CHECK_TENSOR(ct_maximum(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL), tt_tensor(VALS(0, 0), SHAPE(2), 1, CT_BOOL)),
                 SHAPE(2), 1, VALS(1, 0), 0);
    ct_tensor *o = ct_empty(SHAPE(3), 1, CT_FLOAT64);
    CHECK(ct_maximum_out(o, x, y) == o);
    CHECK_TENSOR(o, SHAPE(3), 1, VALS(NAN, NAN, 2), 0);
}

TEST(minimum, nan_propagation_and_dtypes) {
    const ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT16, CT_INT32};
    for (int k = 0; k < 4; k++) {
        ct_tensor *a = tt_rand(SHAPE(6, 7), 2, dts[k], -100, 100, 300 + k);
        ct_tensor *b = tt_rand(SHAPE(6, 1), 2, dts[k], -100, 100, 310 + k);
        CHECK2(ct_minimum(a, b), a, b, r_min, dts[k], 0);
    }
    ct_tensor *x = tt_tensor(VALS(NAN, 1, 2), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *y = tt_tensor(VALS(0, NAN, 1), SHAPE(3), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_minimum(x, y), SHAPE(3), 1, VALS(NAN, NAN, 1), 0);
    ct_tensor *o = ct_empty(SHAPE(3), 1, CT_FLOAT64);
    CHECK(ct_minimum_out(o, x, y) == o);
    CHECK_TENSOR(o, SHAPE(3), 1, VALS(NAN, NAN, 1), 0);
}

/* ---------------------------------------------------------------- comparisons */

typedef ct_tensor *(*bin_fn)(const ct_tensor *, const ct_tensor *);
typedef ct_tensor *(*bin_ip)(ct_tensor *, const ct_tensor *);
typedef ct_tensor *(*bin_out)(ct_tensor *, const ct_tensor *, const ct_tensor *);
typedef ct_tensor *(*bin_sc)(const ct_tensor *, double);

static int check_cmp(const char *file, int line, bin_fn f, bin_ip fi, bin_out fo, bin_sc fs, pw_ref2 ref) {
    const ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT8, CT_UINT8, CT_INT32, CT_INT64, CT_BOOL, CT_FLOAT16};
    for (int k = 0; k < 8; k++) {
        double hi = dts[k] == CT_BOOL ? 2 : 4;
        ct_tensor *a = tt_rand(SHAPE(5, 8), 2, dts[k], 0, hi, 320 + k);
        ct_tensor *b = tt_rand(SHAPE(8), 1, dts[k], 0, hi, 330 + k);
        if (pw_check2(file, line, f(a, b), a, b, ref, CT_BOOL, 0) < 0) return -1;
        if (pw_check2(file, line, f(ct_t(a), ct_unsqueeze(b, 1)), ct_t(a), ct_unsqueeze(b, 1), ref, CT_BOOL, 0) < 0)
            return -1;
    }
    /* mixed dtypes compare in the promoted dtype: 1 vs 1.5 */
    ct_tensor *i = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    ct_tensor *w = ct_wrapped_float(1.5);
    if (pw_check2(file, line, fs(i, 1.5), i, w, ref, CT_BOOL, 0) < 0) return -1;
    ct_tensor *fl = tt_tensor(VALS(NAN, 1), SHAPE(2), 1, CT_FLOAT32);
    if (pw_check2(file, line, f(fl, fl), fl, fl, ref, CT_BOOL, 0) < 0) return -1;
    /* in place writes 1/0 in the first operand's dtype */
    ct_tensor *c = ct_clone(i);
    if (fi(c, w) != c || c->dtype != CT_INT64 || pw_check2(file, line, c, i, w, ref, CT_INT64, 0) < 0) {
        ct_test_fail(file, line, "in place: %s", ct_last_error());
        return -1;
    }
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_FLOAT32);
    if (fo(o, i, w) != o || pw_check2(file, line, o, i, w, ref, CT_FLOAT32, 0) < 0) return -1;
    ct_tensor *big = tt_rand(SHAPE(70000), 1, CT_FLOAT32, 0, 4, 340);
    ct_tensor *bb = tt_rand(SHAPE(70000), 1, CT_FLOAT32, 0, 4, 341);
    if (pw_check2(file, line, f(big, bb), big, bb, ref, CT_BOOL, 0) < 0) return -1;
    return 0;
}
#define CMP(name, ref)                                                                              \
    do {                                                                                            \
        if (check_cmp(__FILE__, __LINE__, ct_##name, ct_##name##_, ct_##name##_out, ct_##name##_scalar, \
                      ref) < 0)                                                                     \
            return;                                                                                 \
    } while (0)

TEST(eq, all_dtypes_broadcast_scalar_in_place_out) { CMP(eq, r_eq); }
TEST(ne, all_dtypes_broadcast_scalar_in_place_out) { CMP(ne, r_ne); }
TEST(lt, all_dtypes_broadcast_scalar_in_place_out) { CMP(lt, r_lt); }
TEST(le, all_dtypes_broadcast_scalar_in_place_out) { CMP(le, r_le); }
TEST(gt, all_dtypes_broadcast_scalar_in_place_out) { CMP(gt, r_gt); }
TEST(ge, all_dtypes_broadcast_scalar_in_place_out) { CMP(ge, r_ge); }

TEST(eq, out_of_bool_refuses_nothing_and_bool_out_of_float_is_fine) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_BOOL);
    CHECK(ct_eq_out(o, a, ct_wrapped_int(2)) == o);
    CHECK_TENSOR(o, SHAPE(2), 1, VALS(0, 1), 0);
    CHECK_ERR(ct_eq_out(ct_empty(SHAPE(3), 1, CT_BOOL), a, a), "doesn't match the broadcast shape");
}

/* ---------------------------------------------------------------- logical */

static int check_logical(const char *file, int line, bin_fn f, bin_ip fi, bin_out fo, pw_ref2 ref) {
    ct_tensor *a = tt_tensor(VALS(0, 0, 1, 1, 2.5, -0.0), SHAPE(6), 1, CT_FLOAT32);
    ct_tensor *b = tt_tensor(VALS(0, 3, 0, 7, NAN, 1), SHAPE(6), 1, CT_INT64);
    if (pw_check2(file, line, f(a, b), a, b, ref, CT_BOOL, 0) < 0) return -1;
    ct_tensor *m = tt_rand(SHAPE(3, 4), 2, CT_INT8, -1, 2, 350);
    ct_tensor *n = tt_rand(SHAPE(4, 1), 2, CT_BOOL, 0, 2, 351);
    if (pw_check2(file, line, f(m, ct_t(n)), m, ct_t(n), ref, CT_BOOL, 0) < 0) return -1;
    ct_tensor *c = ct_clone(a);
    ct_tensor *bf = ct_to_dtype(b, CT_FLOAT32, false);
    if (fi(c, bf) != c || c->dtype != CT_FLOAT32 || pw_check2(file, line, c, a, bf, ref, CT_FLOAT32, 0) < 0) {
        ct_test_fail(file, line, "in place: %s", ct_last_error());
        return -1;
    }
    ct_tensor *o = ct_empty(SHAPE(6), 1, CT_INT32);
    if (fo(o, a, b) != o || pw_check2(file, line, o, a, b, ref, CT_INT32, 0) < 0) return -1;
    return 0;
}
#define LOGICAL(name, ref)                                                                          \
    do {                                                                                            \
        if (check_logical(__FILE__, __LINE__, ct_##name, ct_##name##_, ct_##name##_out, ref) < 0)   \
            return;                                                                                 \
    } while (0)

TEST(logical_and, mixed_dtypes_to_bool) { LOGICAL(logical_and, r_land); }
TEST(logical_or, mixed_dtypes_to_bool) { LOGICAL(logical_or, r_lor); }
TEST(logical_xor, mixed_dtypes_to_bool) { LOGICAL(logical_xor, r_lxor); }

/* ---------------------------------------------------------------- bitwise */

static int check_bitwise(const char *file, int line, bin_fn f, bin_ip fi, bin_out fo, bin_sc fs,
                         pw_ref2 ref, const char *kname) {
    const ct_dtype dts[] = {CT_INT8, CT_INT16, CT_INT32, CT_INT64};
    for (int k = 0; k < 4; k++) {
        ct_tensor *a = tt_rand(SHAPE(4, 9), 2, dts[k], -100, 100, 360 + k);
        ct_tensor *b = tt_rand(SHAPE(9), 1, dts[k], -100, 100, 370 + k);
        if (pw_check2(file, line, f(a, b), a, b, ref, dts[k], 0) < 0) return -1;
    }
    ct_tensor *u = tt_rand(SHAPE(20), 1, CT_UINT8, 0, 255, 380);
    if (pw_check2(file, line, f(u, ct_t(u)), u, u, ref, CT_UINT8, 0) < 0) return -1;
    ct_tensor *x = tt_tensor(VALS(12, -7), SHAPE(2), 1, CT_INT64);
    ct_tensor *three = ct_wrapped_int(3);
    ct_tensor *r = fs(x, 3);
    if (!r || r->dtype != CT_INT64 || pw_check2(file, line, r, x, three, ref, CT_INT64, 0) < 0) {
        ct_test_fail(file, line, "scalar form: %s", ct_last_error());
        return -1;
    }
    ct_tensor *c = ct_clone(x);
    if (fi(c, three) != c || pw_check2(file, line, c, x, three, ref, CT_INT64, 0) < 0) return -1;
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_INT64);
    if (fo(o, x, three) != o || pw_check2(file, line, o, x, three, ref, CT_INT64, 0) < 0) return -1;
    ct_tensor *fl = tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT32);
    char msg[80];
    snprintf(msg, sizeof msg, "\"%s_cpu\" not implemented for 'Float'", kname);
    ct_clear_error();
    if (f(fl, fl) != NULL || !strstr(ct_last_error(), msg)) {
        ct_test_fail(file, line, "float operands gave '%s', expected '%s'", ct_last_error(), msg);
        return -1;
    }
    return 0;
}
#define BITWISE(name, ref, kname)                                                                   \
    do {                                                                                            \
        if (check_bitwise(__FILE__, __LINE__, ct_##name, ct_##name##_, ct_##name##_out,             \
                          ct_##name##_scalar, ref, kname) < 0)                                      \
            return;                                                                                 \
    } while (0)

TEST(bitwise_and, integers_and_bool) {
    BITWISE(bitwise_and, r_band, "bitwise_and");
    ct_tensor *a = tt_tensor(VALS(0, 0, 1, 1), SHAPE(4), 1, CT_BOOL), *b = tt_tensor(VALS(0, 1, 0, 1), SHAPE(4), 1, CT_BOOL);
    ct_tensor *r = ct_bitwise_and(a, b);
    CHECK(r && r->dtype == CT_BOOL);
    CHECK_TENSOR(r, SHAPE(4), 1, VALS(0, 0, 0, 1), 0);
}
TEST(bitwise_or, integers_and_bool) {
    BITWISE(bitwise_or, r_bor, "bitwise_or");
    ct_tensor *a = tt_tensor(VALS(0, 0, 1, 1), SHAPE(4), 1, CT_BOOL), *b = tt_tensor(VALS(0, 1, 0, 1), SHAPE(4), 1, CT_BOOL);
    CHECK_TENSOR(ct_bitwise_or(a, b), SHAPE(4), 1, VALS(0, 1, 1, 1), 0);
}
TEST(bitwise_xor, integers_and_bool) {
    BITWISE(bitwise_xor, r_bxor, "bitwise_xor");
    ct_tensor *a = tt_tensor(VALS(0, 0, 1, 1), SHAPE(4), 1, CT_BOOL), *b = tt_tensor(VALS(0, 1, 0, 1), SHAPE(4), 1, CT_BOOL);
    CHECK_TENSOR(ct_bitwise_xor(a, b), SHAPE(4), 1, VALS(0, 1, 1, 0), 0);
}

TEST(bitwise_left_shift, small_shifts_and_out_of_range) {
    ct_tensor *a = tt_rand(SHAPE(30), 1, CT_INT32, -1000, 1000, 390);
    ct_tensor *s = tt_rand(SHAPE(30), 1, CT_INT32, 0, 8, 391);
    CHECK2(ct_bitwise_left_shift(a, s), a, s, r_shl, CT_INT32, 0);
    /* torch.tensor([1, 2], dtype=torch.int8) << 9 -> [0, 0] */
    ct_tensor *i8 = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT8);
    CHECK_TENSOR(ct_bitwise_left_shift_scalar(i8, 9), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_bitwise_left_shift_scalar(i8, 6), SHAPE(2), 1, VALS(64, -128), 0);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_bitwise_left_shift_(c, s) == c);
    CHECK2(c, a, s, r_shl, CT_INT32, 0);
    ct_tensor *o = ct_empty(SHAPE(30), 1, CT_INT64);
    CHECK(ct_bitwise_left_shift_out(o, a, s) == o);
    CHECK2(o, a, s, r_shl, CT_INT64, 0);
    CHECK_ERR(ct_bitwise_left_shift(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL), tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)),
              "\"lshift_cpu\" not implemented for 'Bool'");
}

TEST(bitwise_right_shift, arithmetic_shift_and_out_of_range) {
    ct_tensor *a = tt_rand(SHAPE(30), 1, CT_INT64, -1000, 1000, 392);
    ct_tensor *s = tt_rand(SHAPE(30), 1, CT_INT64, 0, 12, 393);
    CHECK2(ct_bitwise_right_shift(a, s), a, s, r_shr, CT_INT64, 0);
    /* torch.tensor([-5, 2], dtype=torch.int8) >> 9 -> [-1, 0] */
    ct_tensor *i8 = tt_tensor(VALS(-5, 2), SHAPE(2), 1, CT_INT8);
    CHECK_TENSOR(ct_bitwise_right_shift_scalar(i8, 9), SHAPE(2), 1, VALS(-1, 0), 0);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_bitwise_right_shift_(c, s) == c);
    CHECK2(c, a, s, r_shr, CT_INT64, 0);
    ct_tensor *o = ct_empty(SHAPE(30), 1, CT_INT64);
    CHECK(ct_bitwise_right_shift_out(o, a, s) == o);
    CHECK2(o, a, s, r_shr, CT_INT64, 0);
    CHECK_ERR(ct_bitwise_right_shift_scalar(i8, 1.5), "\"rshift_cpu\" not implemented for 'Float'");
}
