/* Unary pointwise ops against double-precision libm references. */
#include "test_pointwise_util.h"

typedef ct_tensor *(*un_fn)(const ct_tensor *);
typedef ct_tensor *(*un_ip)(ct_tensor *);
typedef ct_tensor *(*un_out)(ct_tensor *, const ct_tensor *);

/* The usual battery for a floating function over [lo, hi):
 * float32 (vector body and tail), float64, strided input, integer input
 * (promoted to the default dtype), float16 (through float32), in-place,
 * out into another dtype, 0-d and empty inputs; big adds a size above the
 * threading threshold. */
static int check_float_unary(const char *file, int line, un_fn f, un_ip fi, un_out fo, pw_ref1 ref,
                             double lo, double hi, double tol32, bool big) {
    ct_tensor *x32 = tt_rand(SHAPE(1000), 1, CT_FLOAT32, lo, hi, 101);
    if (pw_check1(file, line, f(x32), x32, ref, CT_FLOAT32, tol32) < 0) return -1;
    ct_tensor *x64 = tt_rand(SHAPE(37), 1, CT_FLOAT64, lo, hi, 102);
    if (pw_check1(file, line, f(x64), x64, ref, CT_FLOAT64, 1e-14) < 0) return -1;
    ct_tensor *xt = pw_transposed(13, 11, CT_FLOAT32, lo, hi, 103);
    if (pw_check1(file, line, f(xt), xt, ref, CT_FLOAT32, tol32) < 0) return -1;
    ct_tensor *xs = ct_slice(tt_rand(SHAPE(41), 1, CT_FLOAT64, lo, hi, 104), 0, 1, 41, 3);
    if (pw_check1(file, line, f(xs), xs, ref, CT_FLOAT64, 1e-14) < 0) return -1;
    double ilo = ceil(lo), ihi = floor(hi);
    if (ihi > ilo) {
        ct_tensor *xi = tt_rand(SHAPE(9), 1, CT_INT32, ilo, ihi, 105);
        if (pw_check1(file, line, f(xi), xi, ref, CT_FLOAT32, tol32) < 0) return -1;
    }
    ct_tensor *xh = ct_to_dtype(tt_rand(SHAPE(7), 1, CT_FLOAT32, lo, hi, 106), CT_FLOAT16, false);
    if (pw_check1(file, line, f(xh), xh, ref, CT_FLOAT16, 2e-3) < 0) return -1;
    ct_tensor *c = ct_clone(x32);
    if (fi(c) != c) {
        ct_test_fail(file, line, "in-place variant did not return its argument: %s", ct_last_error());
        return -1;
    }
    if (pw_check1(file, line, c, x32, ref, CT_FLOAT32, tol32) < 0) return -1;
    ct_tensor *o = ct_empty(SHAPE(37), 1, CT_FLOAT64);
    if (fo(o, x64) != o) {
        ct_test_fail(file, line, "out variant did not return out: %s", ct_last_error());
        return -1;
    }
    if (pw_check1(file, line, o, x64, ref, CT_FLOAT64, 1e-14) < 0) return -1;
    ct_tensor *s = ct_scalar_tensor((lo + hi) / 2, CT_FLOAT64);
    if (pw_check1(file, line, f(s), s, ref, CT_FLOAT64, 1e-14) < 0) return -1;
    ct_tensor *e = f(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32));
    if (!e || e->numel != 0 || e->ndim != 2) {
        ct_test_fail(file, line, "empty input: %s", ct_last_error());
        return -1;
    }
    if (big) {
        ct_tensor *xb = tt_rand(SHAPE(100003), 1, CT_FLOAT32, lo, hi, 107);
        if (pw_check1(file, line, f(xb), xb, ref, CT_FLOAT32, tol32) < 0) return -1;
    }
    ct_tensor *ii = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    ct_clear_error();
    if (fi(ii) != NULL || !strstr(ct_last_error(), "result type Float can't be cast to the desired output type Long")) {
        ct_test_fail(file, line, "in place on int64 gave '%s'", ct_last_error());
        return -1;
    }
    return 0;
}
#define FLOAT_UNARY(name, ref, lo, hi, tol, big)                                                   \
    do {                                                                                           \
        if (check_float_unary(__FILE__, __LINE__, ct_##name, ct_##name##_, ct_##name##_out, ref, \
                              lo, hi, tol, big) < 0)                                               \
            return;                                                                                \
    } while (0)

static double r_rsqrt(double x) { return 1 / sqrt(x); }
static double r_recip(double x) { return 1 / x; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_exp2(double x) { return exp2(x); }

TEST(exp2, matches_libm) { FLOAT_UNARY(exp2, r_exp2, -100, 100, 3e-7, false); }
TEST(expm1, matches_libm) { FLOAT_UNARY(expm1, expm1, -20, 20, 3e-7, false); }
TEST(log2, matches_libm) { FLOAT_UNARY(log2, log2, 1e-3, 1e4, 3e-7, false); }
TEST(log10, matches_libm) { FLOAT_UNARY(log10, log10, 1e-3, 1e4, 3e-7, false); }
TEST(log1p, matches_libm) { FLOAT_UNARY(log1p, log1p, -0.99, 100, 3e-7, false); }
TEST(sqrt, matches_libm) { FLOAT_UNARY(sqrt, sqrt, 0, 1e4, 2e-7, false); }
TEST(rsqrt, matches_libm) { FLOAT_UNARY(rsqrt, r_rsqrt, 1e-3, 1e4, 3e-7, false); }
TEST(sin, matches_libm) { FLOAT_UNARY(sin, sin, -10, 10, 3e-7, true); }
TEST(cos, matches_libm) { FLOAT_UNARY(cos, cos, -10, 10, 3e-7, false); }
TEST(tan, matches_libm) { FLOAT_UNARY(tan, tan, -1.5, 1.5, 3e-7, false); }
TEST(asin, matches_libm) { FLOAT_UNARY(asin, asin, -1, 1, 3e-7, false); }
TEST(acos, matches_libm) { FLOAT_UNARY(acos, acos, -1, 1, 3e-7, false); }
TEST(atan, matches_libm) { FLOAT_UNARY(atan, atan, -50, 50, 3e-7, false); }
TEST(sinh, matches_libm) { FLOAT_UNARY(sinh, sinh, -20, 20, 3e-7, false); }
TEST(cosh, matches_libm) { FLOAT_UNARY(cosh, cosh, -20, 20, 3e-7, false); }
TEST(tanh, matches_libm) { FLOAT_UNARY(tanh, tanh, -12, 12, 3e-7, true); }
TEST(asinh, matches_libm) { FLOAT_UNARY(asinh, asinh, -100, 100, 3e-7, false); }
TEST(acosh, matches_libm) { FLOAT_UNARY(acosh, acosh, 1, 100, 3e-7, false); }
TEST(atanh, matches_libm) { FLOAT_UNARY(atanh, atanh, -0.99, 0.99, 3e-7, false); }
TEST(erf, matches_libm) { FLOAT_UNARY(erf, erf, -4, 4, 3e-7, false); }
TEST(erfc, matches_libm) { FLOAT_UNARY(erfc, erfc, -4, 9, 3e-7, false); }
TEST(reciprocal, matches_one_over_x) { FLOAT_UNARY(reciprocal, r_recip, 0.01, 100, 2e-7, false); }
TEST(sigmoid, matches_reference) { FLOAT_UNARY(sigmoid, r_sigmoid, -30, 30, 3e-7, true); }

TEST(tanh, saturates_and_keeps_specials) {
    ct_tensor *x = tt_tensor(VALS(-INFINITY, -20, -0.0, 0, 20, INFINITY, NAN), SHAPE(7), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_tanh(x), SHAPE(7), 1, VALS(-1, -1, 0, 0, 1, 1, NAN), 0);
    CHECK(signbit(ct_item_at(ct_tanh(x), 2)));
}

TEST(sqrt, negative_gives_nan_and_bool_promotes) {
    ct_tensor *x = tt_tensor(VALS(-1, 4), SHAPE(2), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_sqrt(x), SHAPE(2), 1, VALS(NAN, 2), 0);
    ct_tensor *b = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    ct_tensor *r = ct_sqrt(b);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(1, 0), 0);
}

TEST(reciprocal, of_zero_and_integers) {
    ct_tensor *x = tt_tensor(VALS(0, -0.0, 4), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_reciprocal(x), SHAPE(3), 1, VALS(INFINITY, -INFINITY, 0.25), 0);
    ct_tensor *i = tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64);
    CHECK(ct_reciprocal(i)->dtype == CT_FLOAT32);
}

/* ---------------------------------------------------------------- dtype-keeping unary ops */

static double r_abs(double x) { return fabs(x); }
static double r_sign(double x) { return (x > 0) - (x < 0); }
static double r_sq(double x) { return x * x; }
static double r_frac(double x) { return x - trunc(x); }
static double r_round(double x) { return nearbyint(x); }

/* f over float32/float64 (and integers when ints) keeping the dtype. */
static int check_keep(const char *file, int line, un_fn f, un_ip fi, un_out fo, pw_ref1 ref,
                      bool ints) {
    const ct_dtype fl[] = {CT_FLOAT32, CT_FLOAT64};
    for (int k = 0; k < 2; k++) {
        ct_tensor *x = tt_rand(SHAPE(5, 40), 2, fl[k], -20, 20, 110 + k);
        if (pw_check1(file, line, f(x), x, ref, fl[k], 0) < 0) return -1;
        if (pw_check1(file, line, f(ct_t(x)), ct_t(x), ref, fl[k], 0) < 0) return -1;
        ct_tensor *c = ct_clone(x);
        if (fi(c) != c || pw_check1(file, line, c, x, ref, fl[k], 0) < 0) return -1;
        ct_tensor *o = ct_empty(SHAPE(5, 40), 2, CT_FLOAT64);
        /* computed in x's dtype, stored as float64 */
        if (fo(o, x) != o || pw_check1(file, line, o, x, ref, CT_FLOAT64, pw_tol(fl[k])) < 0) return -1;
    }
    ct_tensor *h = tt_tensor(VALS(-2.5, 0.5, 1.5, 3.75), SHAPE(4), 1, CT_BFLOAT16);
    if (pw_check1(file, line, f(h), h, ref, CT_BFLOAT16, 0) < 0) return -1;
    if (ints) {
        const ct_dtype it[] = {CT_INT8, CT_INT16, CT_INT32, CT_INT64};
        for (int k = 0; k < 4; k++) {
            ct_tensor *x = tt_rand(SHAPE(30), 1, it[k], -11, 11, 120 + k);
            if (pw_check1(file, line, f(x), x, ref, it[k], 0) < 0) return -1;
        }
        ct_tensor *u = tt_rand(SHAPE(30), 1, CT_UINT8, 0, 15, 125);
        if (pw_check1(file, line, f(u), u, ref, CT_UINT8, 0) < 0) return -1;
    }
    return 0;
}
#define KEEP_UNARY(name, ref, ints)                                                              \
    do {                                                                                         \
        if (check_keep(__FILE__, __LINE__, ct_##name, ct_##name##_, ct_##name##_out, ref, ints) < 0) \
            return;                                                                              \
    } while (0)

TEST(abs, floats_and_integers) {
    KEEP_UNARY(abs, r_abs, true);
    CHECK_ERR(ct_abs(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)), "\"abs_cpu\" not implemented for 'Bool'");
    ct_tensor *m = tt_tensor(VALS(-128), SHAPE(1), 1, CT_INT8);
    CHECK_TENSOR(ct_abs(m), SHAPE(1), 1, VALS(-128), 0); /* wraps like PyTorch */
}
TEST(sign, floats_integers_bool_and_nan) {
    KEEP_UNARY(sign, r_sign, true);
    ct_tensor *x = tt_tensor(VALS(NAN, -0.0, 2), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_sign(x), SHAPE(3), 1, VALS(0, 0, 1), 0); /* PyTorch: sign(nan) = 0 */
    ct_tensor *b = ct_sign(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL));
    CHECK(b && b->dtype == CT_BOOL);
    CHECK_TENSOR(b, SHAPE(2), 1, VALS(1, 0), 0);
}
TEST(square, floats_integers_and_bool_to_int64) {
    KEEP_UNARY(square, r_sq, true);
    ct_tensor *b = ct_square(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL));
    CHECK(b && b->dtype == CT_INT64);
    CHECK_TENSOR(b, SHAPE(2), 1, VALS(1, 0), 0);
}
TEST(floor, floats_and_integers_unchanged) {
    KEEP_UNARY(floor, floor, true);
    CHECK_ERR(ct_floor(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)), "not implemented for 'Bool'");
}
TEST(ceil, floats_and_integers_unchanged) { KEEP_UNARY(ceil, ceil, true); }
TEST(trunc, floats_and_integers_unchanged) { KEEP_UNARY(trunc, trunc, true); }
TEST(round, half_to_even) {
    KEEP_UNARY(round, r_round, true);
    ct_tensor *x = tt_tensor(VALS(0.5, 1.5, 2.5, -0.5, -2.5), SHAPE(5), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_round(x), SHAPE(5), 1, VALS(0, 2, 2, 0, -2), 0);
}
TEST(round, decimals_like_pytorch) {
    /* torch.round(torch.tensor([2.5, 0.125, 1234.5]), decimals=2) and decimals=-2 (PyTorch 1.13) */
    ct_tensor *x = tt_tensor(VALS(2.5, 0.125, 1234.5), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_round_decimals(x, 2), SHAPE(3), 1, VALS(2.5, 0.12, 1234.5), 1e-7);
    ct_tensor *y = tt_tensor(VALS(2.5, 0.125, 1250), SHAPE(3), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_round_decimals(y, -2), SHAPE(3), 1, VALS(0, 0, 1200), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_round_decimals_(c, 1) == c);
    CHECK_TENSOR(c, SHAPE(3), 1, VALS(2.5, 0.1, 1234.5), 1e-7);
    ct_tensor *o = ct_empty(SHAPE(3), 1, CT_FLOAT64);
    CHECK(ct_round_decimals_out(o, x, 0) == o);
    CHECK_TENSOR(o, SHAPE(3), 1, VALS(2, 0, 1234), 0);
    CHECK_ERR(ct_round_decimals(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), 1),
              "\"round_cpu\" not implemented for 'Long'");
}
TEST(frac, floats_only) {
    KEEP_UNARY(frac, r_frac, false);
    CHECK_ERR(ct_frac(tt_tensor(VALS(1), SHAPE(1), 1, CT_INT64)), "\"frac_cpu\" not implemented for 'Long'");
}

/* ---------------------------------------------------------------- predicates, logical, bitwise */

TEST(isnan, floats_and_integers) {
    ct_tensor *x = tt_tensor(VALS(NAN, INFINITY, -INFINITY, 0, -1), SHAPE(5), 1, CT_FLOAT32);
    ct_tensor *r = ct_isnan(x);
    CHECK(r && r->dtype == CT_BOOL);
    CHECK_TENSOR(r, SHAPE(5), 1, VALS(1, 0, 0, 0, 0), 0);
    CHECK_TENSOR(ct_isnan(ct_t(tt_tensor(VALS(NAN, 1, 2, NAN), SHAPE(2, 2), 2, CT_FLOAT64))), SHAPE(2, 2),
                 2, VALS(1, 0, 0, 1), 0);
    CHECK_TENSOR(ct_isnan(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT32)), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_isnan(tt_tensor(VALS(NAN, 1), SHAPE(2), 1, CT_FLOAT16)), SHAPE(2), 1, VALS(1, 0), 0);
}
TEST(isinf, floats_and_integers) {
    ct_tensor *x = tt_tensor(VALS(NAN, INFINITY, -INFINITY, 0, 3e38), SHAPE(5), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_isinf(x), SHAPE(5), 1, VALS(0, 1, 1, 0, 0), 0);
    CHECK_TENSOR(ct_isinf(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64)), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_isinf(tt_tensor(VALS(INFINITY, 1), SHAPE(2), 1, CT_BFLOAT16)), SHAPE(2), 1, VALS(1, 0), 0);
}
TEST(isfinite, floats_and_integers) {
    ct_tensor *x = tt_tensor(VALS(NAN, INFINITY, -INFINITY, 0, 1e308), SHAPE(5), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_isfinite(x), SHAPE(5), 1, VALS(0, 0, 0, 1, 1), 0);
    CHECK_TENSOR(ct_isfinite(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL)), SHAPE(2), 1, VALS(1, 1), 0);
}
TEST(logical_not, any_dtype_to_bool_and_in_place_keeps_dtype) {
    ct_tensor *x = tt_tensor(VALS(0, 2, -0.0, NAN), SHAPE(4), 1, CT_FLOAT32);
    ct_tensor *r = ct_logical_not(x);
    CHECK(r && r->dtype == CT_BOOL);
    CHECK_TENSOR(r, SHAPE(4), 1, VALS(1, 0, 1, 0), 0);
    CHECK_TENSOR(ct_logical_not(tt_tensor(VALS(0, -3), SHAPE(2), 1, CT_INT8)), SHAPE(2), 1, VALS(1, 0), 0);
    /* PyTorch: torch.tensor([2.]).logical_not_() -> tensor([0.]) */
    ct_tensor *f = tt_tensor(VALS(2, 0), SHAPE(2), 1, CT_FLOAT32);
    CHECK(ct_logical_not_(f) == f && f->dtype == CT_FLOAT32);
    CHECK_TENSOR(f, SHAPE(2), 1, VALS(0, 1), 0);
    ct_tensor *o = ct_empty(SHAPE(2), 1, CT_INT64);
    CHECK(ct_logical_not_out(o, tt_tensor(VALS(0, 5), SHAPE(2), 1, CT_INT32)) == o);
    CHECK_TENSOR(o, SHAPE(2), 1, VALS(1, 0), 0);
}
TEST(bitwise_not, integers_and_bool) {
    ct_tensor *x = tt_tensor(VALS(0, 5, -1, 127), SHAPE(4), 1, CT_INT8);
    CHECK_TENSOR(ct_bitwise_not(x), SHAPE(4), 1, VALS(-1, -6, 0, -128), 0);
    ct_tensor *u = tt_tensor(VALS(0, 5), SHAPE(2), 1, CT_UINT8);
    CHECK_TENSOR(ct_bitwise_not(u), SHAPE(2), 1, VALS(255, 250), 0);
    ct_tensor *b = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    CHECK_TENSOR(ct_bitwise_not(b), SHAPE(2), 1, VALS(0, 1), 0);
    CHECK(ct_bitwise_not_(b) == b);
    CHECK_TENSOR(b, SHAPE(2), 1, VALS(0, 1), 0);
    ct_tensor *o = ct_empty(SHAPE(4), 1, CT_INT64);
    CHECK(ct_bitwise_not_out(o, x) == o);
    CHECK_TENSOR(o, SHAPE(4), 1, VALS(-1, -6, 0, -128), 0);
    CHECK_ERR(ct_bitwise_not(tt_tensor(VALS(2), SHAPE(1), 1, CT_FLOAT32)),
              "\"bitwise_not_cpu\" not implemented for 'Float'");
}

TEST(nan_to_num, defaults_are_the_dtype_limits) {
    ct_tensor *x = tt_tensor(VALS(NAN, INFINITY, -INFINITY, 1.5), SHAPE(4), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_nan_to_num(x, 0, NULL, NULL), SHAPE(4), 1,
                 VALS(0, 3.4028234663852886e38, -3.4028234663852886e38, 1.5), 0);
    ct_tensor *d = tt_tensor(VALS(NAN, INFINITY, -INFINITY, 1.5), SHAPE(4), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_nan_to_num(d, 0, NULL, NULL), SHAPE(4), 1,
                 VALS(0, 1.7976931348623157e308, -1.7976931348623157e308, 1.5), 0);
    ct_tensor *h = tt_tensor(VALS(NAN, INFINITY, -INFINITY), SHAPE(3), 1, CT_FLOAT16);
    CHECK_TENSOR(ct_nan_to_num(h, 0, NULL, NULL), SHAPE(3), 1, VALS(0, 65504, -65504), 0);
    double pi = 7, ni = -8;
    CHECK_TENSOR(ct_nan_to_num(x, 2, &pi, &ni), SHAPE(4), 1, VALS(2, 7, -8, 1.5), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_nan_to_num_(c, 1, &pi, NULL) == c);
    CHECK_TENSOR(c, SHAPE(4), 1, VALS(1, 7, -3.4028234663852886e38, 1.5), 0);
    ct_tensor *o = ct_empty(SHAPE(4), 1, CT_FLOAT64);
    CHECK(ct_nan_to_num_out(o, x, 3, &pi, &ni) == o);
    CHECK_TENSOR(o, SHAPE(4), 1, VALS(3, 7, -8, 1.5), 0);
    ct_tensor *i = tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT64);
    ct_tensor *ri = ct_nan_to_num(i, 0, NULL, NULL);
    CHECK(ri && ri->dtype == CT_INT64);
    CHECK_TENSOR(ri, SHAPE(2), 1, VALS(3, -4), 0);
}

/* ---------------------------------------------------------------- activations */

static double r_relu(double x) { return x < 0 ? 0 : x; }
static double r_silu(double x) { return x / (1 + exp(-x)); }
static double r_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double r_gelu_tanh(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double r_softplus2(double x) { return 2 * x > 20 ? x : log1p(exp(2 * x)) / 2; }
static double r_elu07(double x) { return x > 0 ? x : 0.7 * (exp(x) - 1); }
static double r_leaky(double x) { return x > 0 ? x : 0.2 * x; }
static double r_logit(double x) { return log(x / (1 - x)); }
static double r_logit_eps(double x) {
    x = x < 0.1 ? 0.1 : x > 0.9 ? 0.9 : x;
    return log(x / (1 - x));
}

TEST(relu, floats_integers_nan_and_in_place) {
    ct_tensor *x = tt_rand(SHAPE(7, 9), 2, CT_FLOAT32, -5, 5, 130);
    CHECK1(ct_relu(x), x, r_relu, CT_FLOAT32, 0);
    CHECK1(ct_relu(ct_t(x)), ct_t(x), r_relu, CT_FLOAT32, 0);
    ct_tensor *i = tt_rand(SHAPE(20), 1, CT_INT32, -5, 5, 131);
    CHECK1(ct_relu(i), i, r_relu, CT_INT32, 0);
    CHECK_TENSOR(ct_relu(tt_tensor(VALS(NAN, -1), SHAPE(2), 1, CT_FLOAT64)), SHAPE(2), 1, VALS(NAN, 0), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_relu_(c) == c);
    CHECK1(c, x, r_relu, CT_FLOAT32, 0);
    CHECK_ERR(ct_relu(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL)), "Boolean inputs not supported for relu");
}

TEST(gelu, exact_and_tanh_approximation) {
    ct_tensor *x = tt_rand(SHAPE(300), 1, CT_FLOAT32, -6, 6, 132);
    CHECK1(ct_gelu(x, NULL), x, r_gelu, CT_FLOAT32, 3e-7);
    CHECK1(ct_gelu(x, "none"), x, r_gelu, CT_FLOAT32, 3e-7);
    CHECK1(ct_gelu(x, "tanh"), x, r_gelu_tanh, CT_FLOAT32, 3e-7);
    ct_tensor *d = tt_rand(SHAPE(30), 1, CT_FLOAT64, -6, 6, 133);
    CHECK1(ct_gelu(d, "tanh"), d, r_gelu_tanh, CT_FLOAT64, 1e-14);
    ct_tensor *c = ct_clone(d);
    CHECK(ct_gelu_(c, NULL) == c);
    CHECK1(c, d, r_gelu, CT_FLOAT64, 1e-14);
    CHECK_ERR(ct_gelu(x, "x"), "approximate argument must be either none or tanh.");
    CHECK_ERR(ct_gelu(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), NULL),
              "\"GeluKernelImpl\" not implemented for 'Long'");
}

TEST(silu, matches_reference_floats_only) {
    ct_tensor *x = tt_rand(SHAPE(301), 1, CT_FLOAT32, -30, 30, 134);
    CHECK1(ct_silu(x), x, r_silu, CT_FLOAT32, 3e-7);
    ct_tensor *d = pw_transposed(6, 5, CT_FLOAT64, -30, 30, 135);
    CHECK1(ct_silu(d), d, r_silu, CT_FLOAT64, 1e-14);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_silu_(c) == c);
    CHECK1(c, x, r_silu, CT_FLOAT32, 3e-7);
    CHECK_ERR(ct_silu(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64)), "\"silu_cpu\" not implemented for 'Long'");
}

TEST(softplus, beta_and_threshold) {
    ct_tensor *x = tt_rand(SHAPE(200), 1, CT_FLOAT32, -20, 20, 136);
    CHECK1(ct_softplus(x, 2, 20), x, r_softplus2, CT_FLOAT32, 3e-7);
    /* torch.nn.functional.softplus(torch.tensor([1., 30.]), beta=2, threshold=20) */
    CHECK_TENSOR(ct_softplus(tt_tensor(VALS(1, 30), SHAPE(2), 1, CT_FLOAT32), 2, 20), SHAPE(2), 1,
                 VALS(1.0634640, 30), 1e-6);
    CHECK_ERR(ct_softplus(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), 1, 20),
              "\"softplus_cpu\" not implemented for 'Long'");
}

TEST(elu, alpha) {
    ct_tensor *x = tt_rand(SHAPE(200), 1, CT_FLOAT64, -10, 10, 137);
    CHECK1(ct_elu(x, 0.7), x, r_elu07, CT_FLOAT64, 1e-14);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_elu_(c, 0.7) == c);
    CHECK1(c, x, r_elu07, CT_FLOAT64, 1e-14);
    CHECK_ERR(ct_elu(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), 1), "\"elu_cpu\" not implemented for 'Long'");
}

TEST(leaky_relu, negative_slope) {
    ct_tensor *x = tt_rand(SHAPE(200), 1, CT_FLOAT32, -10, 10, 138);
    CHECK1(ct_leaky_relu(x, 0.2), x, r_leaky, CT_FLOAT32, 1e-7);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_leaky_relu_(c, 0.2) == c);
    CHECK1(c, x, r_leaky, CT_FLOAT32, 1e-7);
    CHECK_ERR(ct_leaky_relu(tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64), 0.01),
              "\"leaky_relu_cpu\" not implemented for 'Long'");
}

TEST(logit, with_and_without_eps) {
    ct_tensor *x = tt_rand(SHAPE(200), 1, CT_FLOAT32, 0.001, 0.999, 139);
    CHECK1(ct_logit(x, -1), x, r_logit, CT_FLOAT32, 1e-6);
    CHECK1(ct_logit(x, 0.1), x, r_logit_eps, CT_FLOAT32, 1e-6);
    /* torch.logit(torch.tensor([0., 0.5, 1.]), eps=0.1) -> [-2.1972, 0, 2.1972] */
    CHECK_TENSOR(ct_logit(tt_tensor(VALS(0, 0.5, 1), SHAPE(3), 1, CT_FLOAT32), 0.1), SHAPE(3), 1,
                 VALS(-2.1972246, 0, 2.1972246), 1e-6);
    ct_tensor *i = tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64);
    CHECK_TENSOR(ct_logit(i, -1), SHAPE(1), 1, VALS(NAN), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_logit_(c, 0.1) == c);
    CHECK1(c, x, r_logit_eps, CT_FLOAT32, 1e-6);
    ct_tensor *o = ct_empty(SHAPE(200), 1, CT_FLOAT64);
    CHECK(ct_logit_out(o, x, -1) == o);
    CHECK1(o, x, r_logit, CT_FLOAT64, 1e-6);
}

/* The SLEEF loops exist in two widths (AVX-512 when the CPU has it, AVX2)
 * and level 0 is plain libm: every level must agree with the reference,
 * contiguous (vector body, head, tail, streaming) and strided. */
int ct__pw_simd_level(int force);

TEST(tanh, every_simd_level_matches_libm) {
    int best = ct__pw_simd_level(-1);
    ct_tensor *x = tt_rand(SHAPE(1037), 1, CT_FLOAT32, -9, 9, 150);
    ct_tensor *d = tt_rand(SHAPE(301), 1, CT_FLOAT64, -9, 9, 151);
    ct_tensor *xt = pw_transposed(17, 19, CT_FLOAT32, -9, 9, 152);
    ct_tensor *big = tt_rand(SHAPE(2200003), 1, CT_FLOAT32, -9, 9, 153);
    for (int level = best; level >= 0; level--) {
        CHECK(ct__pw_simd_level(level) == level);
        CHECK1(ct_tanh(x), x, tanh, CT_FLOAT32, 3e-7);
        CHECK1(ct_exp(x), x, exp, CT_FLOAT32, 3e-7);
        CHECK1(ct_sigmoid(d), d, r_sigmoid, CT_FLOAT64, 1e-14);
        CHECK1(ct_gelu(xt, "tanh"), xt, r_gelu_tanh, CT_FLOAT32, 3e-7);
        CHECK1(ct_silu(xt), xt, r_silu, CT_FLOAT32, 3e-7);
        CHECK1(ct_erf(d), d, erf, CT_FLOAT64, 1e-14);
        /* 8.8 MB into an unaligned out: streamed with up to 2 threads */
        ct_tensor *o = ct_slice(ct_empty(SHAPE(2200004), 1, CT_FLOAT32), 0, 1, 2200004, 1);
        CHECK(ct_tanh_out(o, big) == o);
        const float *pb = ct_data_ptr(big), *po = ct_data_ptr(o);
        for (int64_t i = 0; i < 2200003; i += 97) CHECK_CLOSE(po[i], tanh((double)pb[i]), 3e-7);
        CHECK_CLOSE(po[2200002], tanh((double)pb[2200002]), 3e-7);
    }
    ct__pw_simd_level(best);
}
