/* lerp, addcmul, addcdiv, where, clamp and friends against double references. */
#include "test_pointwise_util.h"

static double r_lerp03(double a, double b) { return a + 0.3 * (b - a); }
static double r_lerp08(double a, double b) { return a + 0.8 * (b - a); }

/* Expected values of f over three broadcast operands. */
static double *expect3(const ct_tensor *x, const ct_tensor *y, const ct_tensor *z, int64_t *shape,
                       int *nd, double (*f)(double, double, double)) {
    int64_t s1[CT_MAX_DIMS];
    int n1 = ct_broadcast_shapes("t", x->sizes, x->ndim, y->sizes, y->ndim, s1);
    *nd = ct_broadcast_shapes("t", s1, n1, z->sizes, z->ndim, shape);
    double *vx = pw_bvals(x, shape, *nd), *vy = pw_bvals(y, shape, *nd), *vz = pw_bvals(z, shape, *nd);
    int64_t n = 1;
    for (int i = 0; i < *nd; i++) n *= shape[i];
    double *e = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) e[i] = f(vx[i], vy[i], vz[i]);
    free(vx);
    free(vy);
    free(vz);
    return e;
}
#define CHECK3(r, x, y, z, f, tol)                                                                  \
    do {                                                                                            \
        int64_t shp_[CT_MAX_DIMS];                                                                  \
        int nd_;                                                                                    \
        double *e_ = expect3((x), (y), (z), shp_, &nd_, (f));                                       \
        int rc_ = tt_expect(__FILE__, __LINE__, (r), shp_, nd_, e_, (tol));                         \
        free(e_);                                                                                   \
        if (rc_ < 0) return;                                                                        \
    } while (0)

static double r_lerp3(double a, double b, double w) { return a + w * (b - a); }
static double r_addcmul(double x, double a, double b) { return x + 0.5 * a * b; }
static double r_addcmul_i(double x, double a, double b) { return x + 2 * a * b; }
static double r_addcdiv(double x, double a, double b) { return x + 0.5 * a / b; }
static double r_where(double c, double a, double b) { return c != 0 ? a : b; }
static double r_clamp3(double x, double lo, double hi) {
    if (isnan(x) || isnan(lo) || isnan(hi)) return NAN;
    double r = x < lo ? lo : x;
    return r > hi ? hi : r;
}

TEST(lerp, scalar_weight) {
    ct_tensor *a = tt_rand(SHAPE(4, 10), 2, CT_FLOAT32, -5, 5, 400);
    ct_tensor *b = tt_rand(SHAPE(10), 1, CT_FLOAT32, -5, 5, 401);
    CHECK2(ct_lerp(a, b, 0.3), a, b, r_lerp03, CT_FLOAT32, 1e-6);
    CHECK2(ct_lerp(a, b, 0.8), a, b, r_lerp08, CT_FLOAT32, 1e-6);
    ct_tensor *d = tt_rand(SHAPE(10, 10), 2, CT_FLOAT64, -5, 5, 402);
    CHECK2(ct_lerp(d, ct_t(d), 0.3), d, ct_t(d), r_lerp03, CT_FLOAT64, 1e-14);
    /* exact at both ends */
    ct_tensor *one = ct_lerp(a, b, 1);
    ct_tensor *bb = ct_expand(b, SHAPE(4, 10), 2);
    for (int64_t i = 0; i < 40; i++) CHECK(ct_item_at(one, i) == ct_item_at(bb, i));
    ct_tensor *c = ct_clone(a);
    CHECK(ct_lerp_(c, b, 0.3) == c);
    CHECK2(c, a, b, r_lerp03, CT_FLOAT32, 1e-6);
    ct_tensor *o = ct_empty(SHAPE(4, 10), 2, CT_FLOAT64);
    CHECK(ct_lerp_out(o, a, b, 0.3) == o);
    CHECK2(o, a, b, r_lerp03, CT_FLOAT64, 1e-6);
    CHECK_ERR(ct_lerp(a, tt_rand(SHAPE(10), 1, CT_FLOAT64, 0, 1, 1), 0.5),
              "expected dtype float for `end` but got dtype double");
    ct_tensor *i = tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64);
    CHECK_ERR(ct_lerp(i, i, 0.5), "\"lerp_kernel_scalar_cpu\" not implemented for 'Long'");
}

TEST(lerp, tensor_weight) {
    ct_tensor *a = tt_rand(SHAPE(3, 5), 2, CT_FLOAT32, -5, 5, 403);
    ct_tensor *b = tt_rand(SHAPE(5), 1, CT_FLOAT32, -5, 5, 404);
    ct_tensor *w = tt_rand(SHAPE(3, 1), 2, CT_FLOAT32, -1, 2, 405);
    CHECK3(ct_lerp_tensor(a, b, w), a, b, w, r_lerp3, 1e-6);
    /* torch.lerp(torch.tensor([1., 2.]), torch.tensor([3., 5.]), torch.tensor([0.5, 2.])) -> [2, 8] */
    CHECK_TENSOR(ct_lerp_tensor(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32),
                                tt_tensor(VALS(3, 5), SHAPE(2), 1, CT_FLOAT32),
                                tt_tensor(VALS(0.5, 2), SHAPE(2), 1, CT_FLOAT32)),
                 SHAPE(2), 1, VALS(2, 8), 0);
    ct_tensor *c = ct_clone(a);
    CHECK(ct_lerp_tensor_(c, b, w) == c);
    CHECK3(c, a, b, w, r_lerp3, 1e-6);
    ct_tensor *o = ct_empty(SHAPE(3, 5), 2, CT_FLOAT32);
    CHECK(ct_lerp_tensor_out(o, a, b, w) == o);
    CHECK3(o, a, b, w, r_lerp3, 1e-6);
    CHECK_ERR(ct_lerp_tensor(a, b, ct_scalar_tensor(0.5, CT_FLOAT64)),
              "expected dtype float for `weight` but got dtype double");
}

TEST(addcmul, floats_integers_and_promotion) {
    ct_tensor *x = tt_rand(SHAPE(4, 6), 2, CT_FLOAT32, -5, 5, 410);
    ct_tensor *a = tt_rand(SHAPE(6), 1, CT_FLOAT32, -5, 5, 411);
    ct_tensor *b = tt_rand(SHAPE(4, 1), 2, CT_FLOAT32, -5, 5, 412);
    CHECK3(ct_addcmul(x, a, b, 0.5), x, a, b, r_addcmul, 1e-6);
    ct_tensor *xi = tt_rand(SHAPE(8), 1, CT_INT64, -9, 9, 413), *ai = tt_rand(SHAPE(8), 1, CT_INT64, -9, 9, 414);
    ct_tensor *r = ct_addcmul(xi, ai, ai, 2);
    CHECK(r && r->dtype == CT_INT64);
    CHECK3(r, xi, ai, ai, r_addcmul_i, 0);
    /* torch.addcmul(torch.tensor([1., 2.]), torch.tensor([3, 5]), torch.tensor([2, 2]), value=0.5) */
    CHECK_TENSOR(ct_addcmul(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), tt_tensor(VALS(3, 5), SHAPE(2), 1, CT_INT64),
                            tt_tensor(VALS(2, 2), SHAPE(2), 1, CT_INT64), 0.5),
                 SHAPE(2), 1, VALS(4, 7), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_addcmul_(c, a, b, 0.5) == c);
    CHECK3(c, x, a, b, r_addcmul, 1e-6);
    ct_tensor *o = ct_empty(SHAPE(4, 6), 2, CT_FLOAT64);
    CHECK(ct_addcmul_out(o, x, a, b, 0.5) == o);
    CHECK3(o, x, a, b, r_addcmul, 1e-6);
}

TEST(addcdiv, floats_and_integer_refusal) {
    ct_tensor *x = tt_rand(SHAPE(4, 6), 2, CT_FLOAT64, -5, 5, 420);
    ct_tensor *a = tt_rand(SHAPE(6), 1, CT_FLOAT64, -5, 5, 421);
    ct_tensor *b = tt_rand(SHAPE(4, 1), 2, CT_FLOAT64, 0.5, 5, 422);
    CHECK3(ct_addcdiv(x, a, b, 0.5), x, a, b, r_addcdiv, 1e-14);
    /* torch.addcdiv(torch.tensor([1, 2]), torch.tensor([3., 5]), torch.tensor([2., 2]), value=0.5) */
    CHECK_TENSOR(ct_addcdiv(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), tt_tensor(VALS(3, 5), SHAPE(2), 1, CT_FLOAT32),
                            tt_tensor(VALS(2, 2), SHAPE(2), 1, CT_FLOAT32), 0.5),
                 SHAPE(2), 1, VALS(1.75, 3.25), 0);
    ct_tensor *i = tt_tensor(VALS(3), SHAPE(1), 1, CT_INT64);
    CHECK_ERR(ct_addcdiv(x, i, i, 1), "Integer division with addcdiv is no longer supported");
    ct_tensor *c = ct_clone(x);
    CHECK(ct_addcdiv_(c, a, b, 0.5) == c);
    CHECK3(c, x, a, b, r_addcdiv, 1e-14);
    ct_tensor *o = ct_empty(SHAPE(4, 6), 2, CT_FLOAT64);
    CHECK(ct_addcdiv_out(o, x, a, b, 0.5) == o);
    CHECK3(o, x, a, b, r_addcdiv, 1e-14);
}

TEST(where, broadcast_and_promotion) {
    ct_tensor *cond = tt_rand(SHAPE(3, 1), 2, CT_BOOL, 0, 2, 430);
    ct_tensor *a = tt_rand(SHAPE(4), 1, CT_FLOAT32, -5, 5, 431);
    ct_tensor *b = tt_rand(SHAPE(3, 4), 2, CT_FLOAT32, -5, 5, 432);
    ct_tensor *r = ct_where(cond, a, b);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK3(r, cond, a, b, r_where, 0);
    CHECK3(ct_where(ct_t(cond), ct_unsqueeze(a, 1), ct_t(b)), ct_t(cond), ct_unsqueeze(a, 1), ct_t(b), r_where, 0);
    /* torch.where(torch.tensor([True, False]), torch.tensor([1, 2], dtype=torch.int8),
     *             torch.tensor([1.5, 2.5], dtype=torch.float64)) -> float64 [1, 2.5] */
    ct_tensor *c2 = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    r = ct_where(c2, tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT8), tt_tensor(VALS(1.5, 2.5), SHAPE(2), 1, CT_FLOAT64));
    CHECK(r && r->dtype == CT_FLOAT64);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(1, 2.5), 0);
    r = ct_where(c2, tt_tensor(VALS(3, 4), SHAPE(2), 1, CT_INT64), ct_wrapped_float(2.5));
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(3, 2.5), 0);
    ct_tensor *o = ct_empty(SHAPE(3, 4), 2, CT_FLOAT64);
    CHECK(ct_where_out(o, cond, a, b) == o);
    CHECK3(o, cond, a, b, r_where, 0);
    CHECK_ERR(ct_where(tt_tensor(VALS(1), SHAPE(1), 1, CT_INT64), a, b),
              "where expected condition to be a boolean tensor, but got a tensor with dtype Long");
    ct_tensor *big = tt_rand(SHAPE(50001), 1, CT_BOOL, 0, 2, 433);
    ct_tensor *ba = tt_rand(SHAPE(50001), 1, CT_INT32, -9, 9, 434);
    CHECK3(ct_where(big, ba, ct_scalar_tensor(0, CT_INT32)), big, ba, ct_scalar_tensor(0, CT_INT32), r_where, 0);
}

/* ---------------------------------------------------------------- clamp */

static double r_clamp_m1_2(double x) { return isnan(x) ? x : x < -1 ? -1 : x > 2 ? 2 : x; }
static double r_clamp_min05(double x) { return isnan(x) ? x : x < 0.5 ? 0.5 : x; }
static double r_clamp_max05(double x) { return isnan(x) ? x : x > 0.5 ? 0.5 : x; }
static double r_clamp_min_t(double x, double m) { return isnan(x) || isnan(m) ? NAN : x < m ? m : x; }
static double r_clamp_max_t(double x, double m) { return isnan(x) || isnan(m) ? NAN : x > m ? m : x; }

TEST(clamp, scalar_bounds) {
    double lo = -1, hi = 2;
    const ct_dtype dts[] = {CT_FLOAT32, CT_FLOAT64, CT_INT8, CT_INT32, CT_INT64};
    for (int k = 0; k < 5; k++) {
        ct_tensor *x = tt_rand(SHAPE(5, 30), 2, dts[k], -4, 4, 440 + k);
        CHECK1(ct_clamp(x, &lo, &hi), x, r_clamp_m1_2, dts[k], 0);
        CHECK1(ct_clamp(ct_t(x), &lo, &hi), ct_t(x), r_clamp_m1_2, dts[k], 0);
    }
    double h = 0.5;
    ct_tensor *x = tt_rand(SHAPE(40), 1, CT_FLOAT32, -2, 2, 450);
    CHECK1(ct_clamp(x, &h, NULL), x, r_clamp_min05, CT_FLOAT32, 0);
    CHECK1(ct_clamp(x, NULL, &h), x, r_clamp_max05, CT_FLOAT32, 0);
    /* torch.clamp(torch.tensor([1., nan]), min=nan) -> [1, nan]: NaN input stays, NaN bound ignored */
    double nan = NAN;
    CHECK_TENSOR(ct_clamp(tt_tensor(VALS(1, NAN), SHAPE(2), 1, CT_FLOAT32), &nan, NULL), SHAPE(2), 1, VALS(1, NAN), 0);
    /* min > max gives max */
    CHECK_TENSOR(ct_clamp(tt_tensor(VALS(3), SHAPE(1), 1, CT_FLOAT32), &hi, &lo), SHAPE(1), 1, VALS(-1), 0);
    /* a fractional bound promotes an integer tensor: torch.clamp(torch.tensor([3, -4]), min=1.5) */
    double m15 = 1.5;
    ct_tensor *r = ct_clamp(tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT64), &m15, NULL);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(3, 1.5), 0);
    r = ct_clamp(tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT64), &lo, NULL);
    CHECK(r && r->dtype == CT_INT64);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(3, -1), 0);
    CHECK_ERR(ct_clamp(x, NULL, NULL), "torch.clamp: At least one of 'min' or 'max' must not be None");
    ct_tensor *c = ct_clone(x);
    CHECK(ct_clamp_(c, &lo, &h) == c);
    ct_tensor *o = ct_empty(SHAPE(40), 1, CT_FLOAT64);
    CHECK(ct_clamp_out(o, c, &h, NULL) == o);
    for (int64_t i = 0; i < 40; i++) CHECK(ct_item_at(o, i) == 0.5);
    CHECK_ERR(ct_clamp_(tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT64), &m15, NULL),
              "result type Float can't be cast to the desired output type Long");
    ct_tensor *big = tt_rand(SHAPE(100000), 1, CT_FLOAT32, -3, 3, 451);
    CHECK1(ct_clamp(big, &lo, &hi), big, r_clamp_m1_2, CT_FLOAT32, 0);
}

TEST(clamp, tensor_bounds) {
    ct_tensor *x = tt_rand(SHAPE(4, 7), 2, CT_FLOAT32, -5, 5, 460);
    ct_tensor *lo = tt_rand(SHAPE(7), 1, CT_FLOAT32, -3, 0, 461);
    ct_tensor *hi = tt_rand(SHAPE(4, 1), 2, CT_FLOAT32, 0, 3, 462);
    CHECK3(ct_clamp_tensor(x, lo, hi), x, lo, hi, r_clamp3, 0);
    CHECK2(ct_clamp_tensor(x, lo, NULL), x, lo, r_clamp_min_t, CT_FLOAT32, 0);
    CHECK2(ct_clamp_tensor(x, NULL, hi), x, hi, r_clamp_max_t, CT_FLOAT32, 0);
    /* torch.clamp(torch.tensor([1., nan]), min=torch.tensor([nan, 0.])) -> [nan, nan] */
    CHECK_TENSOR(ct_clamp_tensor(tt_tensor(VALS(1, NAN), SHAPE(2), 1, CT_FLOAT32),
                                 tt_tensor(VALS(NAN, 0), SHAPE(2), 1, CT_FLOAT32), NULL),
                 SHAPE(2), 1, VALS(NAN, NAN), 0);
    /* torch.clamp(torch.tensor([3, -4], dtype=torch.int32), min=torch.tensor(1), max=torch.tensor(2)) */
    ct_tensor *r = ct_clamp_tensor(tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT32), ct_scalar_tensor(1, CT_INT64),
                                   ct_scalar_tensor(2, CT_INT64));
    CHECK(r && r->dtype == CT_INT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(2, 1), 0);
    r = ct_clamp_tensor(tt_tensor(VALS(3, -4), SHAPE(2), 1, CT_INT64), tt_tensor(VALS(1.5), SHAPE(1), 1, CT_FLOAT32), NULL);
    CHECK(r && r->dtype == CT_FLOAT32);
    CHECK_TENSOR(r, SHAPE(2), 1, VALS(3, 1.5), 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_clamp_tensor_(c, lo, hi) == c);
    CHECK3(c, x, lo, hi, r_clamp3, 0);
    ct_tensor *o = ct_empty(SHAPE(4, 7), 2, CT_FLOAT32);
    CHECK(ct_clamp_tensor_out(o, x, lo, hi) == o);
    CHECK3(o, x, lo, hi, r_clamp3, 0);
    CHECK_ERR(ct_clamp_tensor(x, NULL, NULL), "At least one of 'min' or 'max' must not be None");
}

TEST(clamp_min, scalar_and_tensor) {
    ct_tensor *x = tt_rand(SHAPE(50), 1, CT_FLOAT64, -2, 2, 470);
    CHECK1(ct_clamp_min(x, 0.5), x, r_clamp_min05, CT_FLOAT64, 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_clamp_min_(c, 0.5) == c);
    CHECK1(c, x, r_clamp_min05, CT_FLOAT64, 0);
    ct_tensor *m = tt_rand(SHAPE(50), 1, CT_FLOAT64, -2, 2, 471);
    CHECK2(ct_clamp_min_tensor(x, m), x, m, r_clamp_min_t, CT_FLOAT64, 0);
}

TEST(clamp_max, scalar_and_tensor) {
    ct_tensor *x = tt_rand(SHAPE(50), 1, CT_FLOAT32, -2, 2, 472);
    CHECK1(ct_clamp_max(x, 0.5), x, r_clamp_max05, CT_FLOAT32, 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_clamp_max_(c, 0.5) == c);
    CHECK1(c, x, r_clamp_max05, CT_FLOAT32, 0);
    ct_tensor *m = tt_rand(SHAPE(50), 1, CT_FLOAT32, -2, 2, 473);
    CHECK2(ct_clamp_max_tensor(x, m), x, m, r_clamp_max_t, CT_FLOAT32, 0);
}

TEST(hardtanh, clamps_in_the_input_dtype) {
    ct_tensor *x = tt_rand(SHAPE(60), 1, CT_FLOAT32, -4, 4, 480);
    CHECK1(ct_hardtanh(x, -1, 2), x, r_clamp_m1_2, CT_FLOAT32, 0);
    ct_tensor *c = ct_clone(x);
    CHECK(ct_hardtanh_(c, -1, 2) == c);
    CHECK1(c, x, r_clamp_m1_2, CT_FLOAT32, 0);
    /* torch.nn.functional.hardtanh(torch.tensor([3])) -> tensor([1]) (int64) */
    ct_tensor *r = ct_hardtanh(tt_tensor(VALS(3, -4, 0), SHAPE(3), 1, CT_INT64), -1, 1);
    CHECK(r && r->dtype == CT_INT64);
    CHECK_TENSOR(r, SHAPE(3), 1, VALS(1, -1, 0), 0);
    CHECK_ERR(ct_hardtanh(tt_tensor(VALS(1), SHAPE(1), 1, CT_BOOL), -1, 1), "Bool inputs not supported for hardtanh");
    CHECK_ERR(ct_hardtanh(tt_tensor(VALS(1), SHAPE(1), 1, CT_UINT8), -1.5, 2.5),
              "cannot do hardtanh on an unsigned type with negative limits");
}
