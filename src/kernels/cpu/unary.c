/* Unary pointwise kernels: one loop per (kernel op, dtype), out = f(x).
 * Floating functions use libm through <tgmath.h> (float or double version by
 * type); the hot transcendental ones (exp, log, tanh, ...) have SLEEF loops
 * for contiguous float32/float64 data (unary_sleef.c). */
#include "pointwise_loops.h"

#include <tgmath.h>

/* the integer templates test "x < 0" for unsigned types too */
#pragma GCC diagnostic ignored "-Wtype-limits"

#define L1(NAME, T, OT, ...) CT_PW_LOOP1(NAME, T, OT, (__VA_ARGS__))
#define SAME(T) T
#define BOOL(T) bool
#define DEF(T, S, DT, NAME, OTK, ...) L1(NAME##_##S, T, OTK(T), __VA_ARGS__)
#define REG(T, S, DT, KOP, NAME) [KOP][DT] = NAME##_##S,
#define ALLNUM CT_PW_ALLNUM
#define ALL CT_PW_ALL
#define FLOATS CT_PW_FLOATS
#define INTS CT_PW_INTS
#define BOOLS CT_PW_BOOLS

/* constants in the precision of T */
#define K(v) ((T)(v))

static inline float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline double sigmoidd_(double x) { return 1.0 / (1.0 + exp(-x)); }
#define SIGMOID(x) _Generic((x), float: sigmoidf_, default: sigmoidd_)(x)

static inline float roundecf(float x, const ct_pw_ctx *c) {
    float p = (float)c->f[0];
    return c->i[0] < 0 ? nearbyintf(x / p) * p : nearbyintf(x * p) / p;
}
static inline double roundecd(double x, const ct_pw_ctx *c) {
    double p = c->f[0];
    return c->i[0] < 0 ? nearbyint(x / p) * p : nearbyint(x * p) / p;
}
#define ROUNDDEC(x) _Generic((x), float: roundecf, default: roundecd)(x, c)

static inline float logitf_(float x, const ct_pw_ctx *c) {
    if (c->f[1] != 0) {
        float lo = (float)c->f[0], hi = 1.0f - (float)c->f[0];
        x = x < lo ? lo : (x > hi ? hi : x);
    }
    return logf(x / (1.0f - x));
}
static inline double logitd_(double x, const ct_pw_ctx *c) {
    if (c->f[1] != 0) {
        double lo = c->f[0], hi = 1.0 - c->f[0];
        x = x < lo ? lo : (x > hi ? hi : x);
    }
    return log(x / (1.0 - x));
}
#define LOGIT(x) _Generic((x), float: logitf_, default: logitd_)(x, c)

/* ---------------------------------------------------------------- loops */
/* integer results wrap around (computed unsigned so that overflow is defined) */
#define W(e) ((T)(uint64_t)(e))
#define U(v) ((uint64_t)(v))
FLOATS(DEF, neg, SAME, -x)
INTS(DEF, neg, SAME, W(0 - U(x)))
FLOATS(DEF, abs, SAME, fabs(x))
INTS(DEF, abs, SAME, x < 0 ? W(0 - U(x)) : x)
ALLNUM(DEF, sign, SAME, (x > 0) - (x < 0))
BOOLS(DEF, sign, SAME, x)
FLOATS(DEF, square, SAME, x * x)
INTS(DEF, square, SAME, W(U(x) * U(x)))
FLOATS(DEF, reciprocal, SAME, K(1) / x)
FLOATS(DEF, exp, SAME, exp(x))
FLOATS(DEF, exp2, SAME, exp2(x))
FLOATS(DEF, expm1, SAME, expm1(x))
FLOATS(DEF, log, SAME, log(x))
FLOATS(DEF, log2, SAME, log2(x))
FLOATS(DEF, log10, SAME, log10(x))
FLOATS(DEF, log1p, SAME, log1p(x))
FLOATS(DEF, sqrt, SAME, sqrt(x))
FLOATS(DEF, rsqrt, SAME, K(1) / sqrt(x))
FLOATS(DEF, sin, SAME, sin(x))
FLOATS(DEF, cos, SAME, cos(x))
FLOATS(DEF, tan, SAME, tan(x))
FLOATS(DEF, asin, SAME, asin(x))
FLOATS(DEF, acos, SAME, acos(x))
FLOATS(DEF, atan, SAME, atan(x))
FLOATS(DEF, sinh, SAME, sinh(x))
FLOATS(DEF, cosh, SAME, cosh(x))
FLOATS(DEF, tanh, SAME, tanh(x))
FLOATS(DEF, asinh, SAME, asinh(x))
FLOATS(DEF, acosh, SAME, acosh(x))
FLOATS(DEF, atanh, SAME, atanh(x))
FLOATS(DEF, sigmoid, SAME, SIGMOID(x))
FLOATS(DEF, logit, SAME, LOGIT(x))
FLOATS(DEF, relu, SAME, x < 0 ? K(0) : x)
INTS(DEF, relu, SAME, x < 0 ? 0 : x)
FLOATS(DEF, gelu, SAME,
       c->i[0] ? K(0.5) * x * (K(1) + tanh(K(0.7978845608028654) * (x + K(0.044715) * x * x * x)))
               : K(0.5) * x * (K(1) + erf(x * K(0.70710678118654752))))
FLOATS(DEF, silu, SAME, x / (K(1) + exp(-x)))
FLOATS(DEF, softplus, SAME,
       x * K(c->f[0]) > K(c->f[1]) ? x : log1p(exp(x * K(c->f[0]))) / K(c->f[0]))
FLOATS(DEF, elu, SAME, x > 0 ? x : K(c->f[0]) * expm1(x))
FLOATS(DEF, leaky_relu, SAME, x > 0 ? x : x * K(c->f[0]))
/* clamp with scalar bounds: NaN input stays NaN, a NaN bound is ignored */
FLOATS(DEF, clamp, SAME,
       (x != x) ? x
                : ((c->i[2] & 2) && K(c->f[1]) < ((c->i[2] & 1) && x < K(c->f[0]) ? K(c->f[0]) : x)
                       ? K(c->f[1])
                       : ((c->i[2] & 1) && x < K(c->f[0]) ? K(c->f[0]) : x)))
INTS(DEF, clamp, SAME,
     (c->i[2] & 2) && K(c->i[1]) < ((c->i[2] & 1) && x < K(c->i[0]) ? K(c->i[0]) : x)
         ? K(c->i[1])
         : ((c->i[2] & 1) && x < K(c->i[0]) ? K(c->i[0]) : x))
FLOATS(DEF, erf, SAME, erf(x))
FLOATS(DEF, erfc, SAME, erfc(x))
FLOATS(DEF, floor, SAME, floor(x))
FLOATS(DEF, ceil, SAME, ceil(x))
FLOATS(DEF, round, SAME, nearbyint(x))
FLOATS(DEF, trunc, SAME, trunc(x))
INTS(DEF, identity, SAME, x)
FLOATS(DEF, frac, SAME, x - trunc(x))
FLOATS(DEF, round_decimals, SAME, ROUNDDEC(x))
FLOATS(DEF, isnan, BOOL, x != x)
FLOATS(DEF, isinf, BOOL, fabs(x) == (T)INFINITY)
FLOATS(DEF, isfinite, BOOL, isfinite(x))
INTS(DEF, allfalse, BOOL, (void)x, 0)
INTS(DEF, alltrue, BOOL, (void)x, 1)
BOOLS(DEF, allfalse, BOOL, (void)x, 0)
BOOLS(DEF, alltrue, BOOL, (void)x, 1)
ALL(DEF, logical_not, BOOL, x == 0)
INTS(DEF, bitwise_not, SAME, ~x)
BOOLS(DEF, bitwise_not, SAME, !x)
FLOATS(DEF, nan_to_num, SAME,
       x != x ? K(c->f[0]) : (x == (T)INFINITY ? K(c->f[1]) : (x == -(T)INFINITY ? K(c->f[2]) : x)))

static const ct_loop_fn table[CT_PW_UNARY_END - CT_PW_BINARY_END][CT_NUM_DTYPES] = {
#define UX(KOP) (KOP - CT_PW_BINARY_END)
    ALLNUM(REG, UX(CT_PW_NEG), neg)
    FLOATS(REG, UX(CT_PW_ABS), abs) INTS(REG, UX(CT_PW_ABS), abs)
    ALL(REG, UX(CT_PW_SIGN), sign)
    ALLNUM(REG, UX(CT_PW_SQUARE), square)
    FLOATS(REG, UX(CT_PW_RECIPROCAL), reciprocal)
    FLOATS(REG, UX(CT_PW_EXP), exp)
    FLOATS(REG, UX(CT_PW_EXP2), exp2)
    FLOATS(REG, UX(CT_PW_EXPM1), expm1)
    FLOATS(REG, UX(CT_PW_LOG), log)
    FLOATS(REG, UX(CT_PW_LOG2), log2)
    FLOATS(REG, UX(CT_PW_LOG10), log10)
    FLOATS(REG, UX(CT_PW_LOG1P), log1p)
    FLOATS(REG, UX(CT_PW_SQRT), sqrt)
    FLOATS(REG, UX(CT_PW_RSQRT), rsqrt)
    FLOATS(REG, UX(CT_PW_SIN), sin)
    FLOATS(REG, UX(CT_PW_COS), cos)
    FLOATS(REG, UX(CT_PW_TAN), tan)
    FLOATS(REG, UX(CT_PW_ASIN), asin)
    FLOATS(REG, UX(CT_PW_ACOS), acos)
    FLOATS(REG, UX(CT_PW_ATAN), atan)
    FLOATS(REG, UX(CT_PW_SINH), sinh)
    FLOATS(REG, UX(CT_PW_COSH), cosh)
    FLOATS(REG, UX(CT_PW_TANH), tanh)
    FLOATS(REG, UX(CT_PW_ASINH), asinh)
    FLOATS(REG, UX(CT_PW_ACOSH), acosh)
    FLOATS(REG, UX(CT_PW_ATANH), atanh)
    FLOATS(REG, UX(CT_PW_SIGMOID), sigmoid)
    FLOATS(REG, UX(CT_PW_LOGIT), logit)
    FLOATS(REG, UX(CT_PW_RELU), relu) INTS(REG, UX(CT_PW_RELU), relu)
    FLOATS(REG, UX(CT_PW_GELU), gelu)
    FLOATS(REG, UX(CT_PW_SILU), silu)
    FLOATS(REG, UX(CT_PW_SOFTPLUS), softplus)
    FLOATS(REG, UX(CT_PW_ELU), elu)
    FLOATS(REG, UX(CT_PW_LEAKY_RELU), leaky_relu)
    ALLNUM(REG, UX(CT_PW_CLAMP), clamp)
    FLOATS(REG, UX(CT_PW_ERF), erf)
    FLOATS(REG, UX(CT_PW_ERFC), erfc)
    FLOATS(REG, UX(CT_PW_FLOOR), floor) INTS(REG, UX(CT_PW_FLOOR), identity)
    FLOATS(REG, UX(CT_PW_CEIL), ceil) INTS(REG, UX(CT_PW_CEIL), identity)
    FLOATS(REG, UX(CT_PW_ROUND), round) INTS(REG, UX(CT_PW_ROUND), identity)
    FLOATS(REG, UX(CT_PW_TRUNC), trunc) INTS(REG, UX(CT_PW_TRUNC), identity)
    FLOATS(REG, UX(CT_PW_FRAC), frac)
    FLOATS(REG, UX(CT_PW_ROUND_DECIMALS), round_decimals)
    FLOATS(REG, UX(CT_PW_ISNAN), isnan) INTS(REG, UX(CT_PW_ISNAN), allfalse) BOOLS(REG, UX(CT_PW_ISNAN), allfalse)
    FLOATS(REG, UX(CT_PW_ISINF), isinf) INTS(REG, UX(CT_PW_ISINF), allfalse) BOOLS(REG, UX(CT_PW_ISINF), allfalse)
    FLOATS(REG, UX(CT_PW_ISFINITE), isfinite) INTS(REG, UX(CT_PW_ISFINITE), alltrue)
    BOOLS(REG, UX(CT_PW_ISFINITE), alltrue)
    ALL(REG, UX(CT_PW_LOGICAL_NOT), logical_not)
    INTS(REG, UX(CT_PW_BITWISE_NOT), bitwise_not) BOOLS(REG, UX(CT_PW_BITWISE_NOT), bitwise_not)
    FLOATS(REG, UX(CT_PW_NAN_TO_NUM), nan_to_num) INTS(REG, UX(CT_PW_NAN_TO_NUM), identity)
#undef UX
};

ct_loop_fn ct__pw_unary_loop(int kop, ct_dtype dt) {
    if (kop < CT_PW_BINARY_END || kop >= CT_PW_UNARY_END || (unsigned)dt >= CT_NUM_DTYPES)
        return NULL;
    ct_loop_fn f = table[kop - CT_PW_BINARY_END][dt];
    if (!f) return NULL;
    ct_loop_fn s = ct__pw_sleef_loop(kop, dt);
    return s ? s : f;
}
