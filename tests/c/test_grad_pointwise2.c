/* Gradients of the rest of the pointwise family: gradcheck and
 * gradgradcheck in float64 on transposed inputs, each inside the op's
 * domain and away from its kinks. */
#include "test_autograd.h"

#define UNARY_GRAD(op, lo, hi, seed)                                               \
    FN(f_##op, ct_##op(x[0]))                                                      \
    TEST(grad_##op, gradcheck_on_a_transposed_input) { GRADCHECK(f_##op, ncr(2, 3, lo, hi, seed)); }

UNARY_GRAD(abs, 0.2, 1, 1)
UNARY_GRAD(sign, 0.2, 1, 2)
UNARY_GRAD(square, -1, 1, 3)
UNARY_GRAD(reciprocal, 0.5, 2, 4)
UNARY_GRAD(exp2, -1, 1, 5)
UNARY_GRAD(expm1, -1, 1, 6)
UNARY_GRAD(log2, 0.5, 2, 7)
UNARY_GRAD(log10, 0.5, 2, 8)
UNARY_GRAD(log1p, -0.5, 1, 9)
UNARY_GRAD(sqrt, 0.5, 2, 10)
UNARY_GRAD(rsqrt, 0.5, 2, 11)
UNARY_GRAD(sin, -2, 2, 12)
UNARY_GRAD(cos, -2, 2, 13)
UNARY_GRAD(tan, -1, 1, 14)
UNARY_GRAD(asin, -0.8, 0.8, 15)
UNARY_GRAD(acos, -0.8, 0.8, 16)
UNARY_GRAD(atan, -2, 2, 17)
UNARY_GRAD(sinh, -1, 1, 18)
UNARY_GRAD(cosh, -1, 1, 19)
UNARY_GRAD(tanh, -1, 1, 20)
UNARY_GRAD(asinh, -2, 2, 21)
UNARY_GRAD(acosh, 1.5, 3, 22)
UNARY_GRAD(atanh, -0.8, 0.8, 23)
UNARY_GRAD(erf, -1.5, 1.5, 24)
UNARY_GRAD(erfc, -1.5, 1.5, 25)
UNARY_GRAD(floor, 0.1, 0.9, 26)
UNARY_GRAD(ceil, 0.1, 0.9, 27)
UNARY_GRAD(round, 0.1, 0.4, 28)
UNARY_GRAD(trunc, 0.1, 0.9, 29)
UNARY_GRAD(frac, 0.1, 0.9, 30)
UNARY_GRAD(sigmoid, -2, 2, 31)
UNARY_GRAD(relu, 0.1, 1, 32)
UNARY_GRAD(silu, -2, 2, 33)

FN(f_relu_neg, ct_relu(x[0]))
TEST(grad_relu, zero_for_negative_inputs) {
    GRADCHECK(f_relu_neg, ncr(2, 2, -1, -0.1, 34));
}

FN(f_nan_to_num, ct_nan_to_num(x[0], 0.0, NULL, NULL))
TEST(grad_nan_to_num, identity_on_finite_values) { GRADCHECK(f_nan_to_num, ncr(2, 3, -1, 1, 35)); }

FN(f_logit, ct_logit(x[0], -1))
FN(f_logit_eps, ct_logit(x[0], 0.3))
TEST(grad_logit, with_and_without_eps) {
    GRADCHECK(f_logit, ncr(2, 3, 0.2, 0.8, 36));
    GRADCHECK(f_logit_eps, ncr(2, 3, 0.35, 0.65, 37));
    GRADCHECK(f_logit_eps, ncr(2, 2, 0.05, 0.25, 38)); /* clamped: zero gradient */
}

FN(f_gelu, ct_gelu(x[0], "none"))
FN(f_gelu_tanh, ct_gelu(x[0], "tanh"))
TEST(grad_gelu, exact_and_tanh) {
    GRADCHECK(f_gelu, ncr(2, 3, -2, 2, 39));
    GRADCHECK(f_gelu_tanh, ncr(2, 3, -2, 2, 40));
}

FN(f_softplus, ct_softplus(x[0], 2, 1.5))
TEST(grad_softplus, below_and_above_threshold) { GRADCHECK(f_softplus, ncr(3, 3, -1, 1.5, 41)); }

FN(f_elu, ct_elu(x[0], 0.7))
TEST(grad_elu, both_sides) {
    GRADCHECK(f_elu, ncr(2, 2, 0.1, 1, 42));
    GRADCHECK(f_elu, ncr(2, 2, -1, -0.1, 43));
}

FN(f_leaky_relu, ct_leaky_relu(x[0], 0.2))
TEST(grad_leaky_relu, both_sides) {
    GRADCHECK(f_leaky_relu, ncr(2, 2, 0.1, 1, 44));
    GRADCHECK(f_leaky_relu, ncr(2, 2, -1, -0.1, 45));
}

FN(f_hardtanh, ct_hardtanh(x[0], -0.5, 0.5))
TEST(grad_hardtanh, inside_and_outside) {
    GRADCHECK(f_hardtanh, ncr(2, 2, -0.4, 0.4, 46));
    GRADCHECK(f_hardtanh, ncr(2, 2, 0.6, 1, 47));
}

FN(f_remainder, ct_remainder(x[0], x[1]))
FN(f_fmod, ct_fmod(x[0], x[1]))
TEST(grad_remainder, both_operands) {
    GRADCHECK(f_remainder, ncr(2, 3, 2.1, 2.9, 48), rleaf(SHAPE(3), 1, 1.1, 1.9, 49));
}
TEST(grad_fmod, both_operands) {
    GRADCHECK(f_fmod, ncr(2, 3, -2.9, -2.1, 50), rleaf(SHAPE(3), 1, 1.1, 1.9, 51));
}

FN(f_pow, ct_pow(x[0], x[1]))
FN(f_pow_scalar, ct_pow_scalar(x[0], 2.5))
FN(f_pow_base, ct_pow_scalar_base(1.7, x[0]))
TEST(grad_pow, tensor_scalar_and_scalar_base) {
    GRADCHECK(f_pow, ncr(2, 3, 0.5, 2, 52), rleaf(SHAPE(2, 1), 2, -1, 2, 53));
    GRADCHECK(f_pow_scalar, ncr(2, 3, 0.5, 2, 54));
    GRADCHECK(f_pow_base, ncr(2, 3, -1, 1, 55));
}

FN(f_atan2, ct_atan2(x[0], x[1]))
TEST(grad_atan2, broadcast) { GRADCHECK(f_atan2, ncr(2, 3, -1, 1, 56), rleaf(SHAPE(3), 1, 0.5, 1, 57)); }

FN(f_hypot, ct_hypot(x[0], x[1]))
TEST(grad_hypot, broadcast) { GRADCHECK(f_hypot, ncr(2, 3, 0.5, 1, 58), rleaf(SHAPE(1, 3), 2, -1, -0.5, 59)); }

FN(f_maximum, ct_maximum(x[0], x[1]))
FN(f_minimum, ct_minimum(x[0], x[1]))
TEST(grad_maximum, winner_takes_the_gradient) {
    GRADCHECK(f_maximum, ncr(2, 3, -1, 1, 60), rleaf(SHAPE(3), 1, -1, 1, 61));
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT64), *b = tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_FLOAT64);
    ct_set_requires_grad(a, true);
    ct_set_requires_grad(b, true);
    CHECK(ct_backward(ag_sum(ct_maximum(a, b)), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(a), SHAPE(2), 1, VALS(0.5, 0), 0); /* tie split */
    CHECK_TENSOR(ct_tensor_grad(b), SHAPE(2), 1, VALS(0.5, 1), 0);
}
TEST(grad_minimum, winner_takes_the_gradient) {
    GRADCHECK(f_minimum, ncr(2, 3, -1, 1, 62), rleaf(SHAPE(2, 1), 2, -1, 1, 63));
}

FN(f_lerp, ct_lerp(x[0], x[1], 0.3))
FN(f_lerp_t, ct_lerp_tensor(x[0], x[1], x[2]))
TEST(grad_lerp, scalar_and_tensor_weight) {
    GRADCHECK(f_lerp, ncr(2, 3, -1, 1, 64), rleaf(SHAPE(3), 1, -1, 1, 65));
    GRADCHECK(f_lerp_t, ncr(2, 3, -1, 1, 66), rleaf(SHAPE(3), 1, -1, 1, 67), rleaf(SHAPE(2, 1), 2, 0, 1, 68));
}

FN(f_addcmul, ct_addcmul(x[0], x[1], x[2], 0.5))
FN(f_addcdiv, ct_addcdiv(x[0], x[1], x[2], -1.5))
TEST(grad_addcmul, three_operands) {
    GRADCHECK(f_addcmul, rleaf(SHAPE(3), 1, -1, 1, 69), ncr(2, 3, -1, 1, 70), rleaf(SHAPE(2, 1), 2, -1, 1, 71));
}
TEST(grad_addcdiv, three_operands) {
    GRADCHECK(f_addcdiv, rleaf(SHAPE(3), 1, -1, 1, 72), ncr(2, 3, -1, 1, 73), rleaf(SHAPE(2, 1), 2, 0.5, 1, 74));
}

FN(f_clamp, ct_clamp(x[0], (const double[]){-0.3}, (const double[]){0.4}))
FN(f_clamp_t, ct_clamp_tensor(x[0], x[1], x[2]))
FN(f_clamp_min, ct_clamp_min(x[0], 0.1))
FN(f_clamp_min_t, ct_clamp_min_tensor(x[0], x[1]))
FN(f_clamp_max, ct_clamp_max(x[0], 0.1))
FN(f_clamp_max_t, ct_clamp_max_tensor(x[0], x[1]))
/* values kept away from the bounds so finite differences do not cross them */
static ct_tensor *spread(unsigned seed) {
    ct_tensor *x = tt_tensor(VALS(-0.9, -0.1, 0.2, 0.7, -0.5, 0.9), SHAPE(3, 2), 2, CT_FLOAT64);
    (void)seed;
    ct_tensor *t = ct_t(x);
    ct_set_requires_grad(t, true);
    return t;
}
TEST(grad_clamp, scalar_and_tensor_bounds) {
    GRADCHECK(f_clamp, spread(75));
    ct_tensor *lo = tt_tensor(VALS(-0.6, 0, -0.3), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *hi = tt_tensor(VALS(0.5, 0.1, 0.8), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(lo, true);
    ct_set_requires_grad(hi, true);
    GRADCHECK(f_clamp_t, spread(76), lo, hi);
}
TEST(grad_clamp_min, scalar_and_tensor_bound) {
    GRADCHECK(f_clamp_min, spread(77));
    ct_tensor *lo = tt_tensor(VALS(-0.6, 0, -0.3), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(lo, true);
    GRADCHECK(f_clamp_min_t, spread(78), lo);
}
TEST(grad_clamp_max, scalar_and_tensor_bound) {
    GRADCHECK(f_clamp_max, spread(79));
    ct_tensor *hi = tt_tensor(VALS(0.5, 0.1, 0.8), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(hi, true);
    GRADCHECK(f_clamp_max_t, spread(80), hi);
}

static ct_tensor *f_where(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *cond = tt_tensor(VALS(1, 0, 1, 0, 0, 1), SHAPE(2, 3), 2, CT_BOOL);
    return ct_where(cond, x[0], x[1]);
}
TEST(grad_where, routes_by_condition) { GRADCHECK(f_where, ncr(2, 3, -1, 1, 81), rleaf(SHAPE(3), 1, -1, 1, 82)); }
