/* The kernel ops of the pointwise family, in a header without other
 * dependencies so that the CUDA kernels (C++ files src/cuda/NAME.cu) share them. */
#ifndef CTORCH_POINTWISE_KOPS_H
#define CTORCH_POINTWISE_KOPS_H

/* Error codes a kernel sets in ct_pw_ctx.err. */
enum {
    CT_PW_ERR_NONE = 0,
    CT_PW_ERR_ZERO_DIV,    /* integer division or remainder by zero */
    CT_PW_ERR_NEG_POW,     /* integer to a negative integer power */
};

/* Kernel ops. data[0] is the output; inputs follow. Unless noted, every
 * operand has the kernel's dtype, except comparison/predicate outputs (bool). */
typedef enum ct_pw_kop {
    /* binary: out = f(x, y) */
    CT_PW_ADD,          /* x + y */
    CT_PW_ADD_ALPHA,    /* x + alpha*y; alpha in f[0] (floats) / i[0] (integers) */
    CT_PW_SUB,          /* x - y */
    CT_PW_MUL,
    CT_PW_DIV,          /* true division, floating only */
    CT_PW_DIV_TRUNC,
    CT_PW_DIV_FLOOR,
    CT_PW_REMAINDER,    /* sign of the divisor (Python %) */
    CT_PW_FMOD,         /* sign of the dividend (C fmod) */
    CT_PW_POW,
    CT_PW_ATAN2,
    CT_PW_HYPOT,
    CT_PW_MAXIMUM,      /* NaN-propagating */
    CT_PW_MINIMUM,
    CT_PW_EQ, CT_PW_NE, CT_PW_LT, CT_PW_LE, CT_PW_GT, CT_PW_GE, /* bool out */
    CT_PW_LOGICAL_AND, CT_PW_LOGICAL_OR, CT_PW_LOGICAL_XOR,     /* bool out */
    CT_PW_BITWISE_AND, CT_PW_BITWISE_OR, CT_PW_BITWISE_XOR,
    CT_PW_LSHIFT, CT_PW_RSHIFT,
    CT_PW_CLAMP_MIN_T,  /* max(x, y) with NaN of x kept: clamp(x, min=y) */
    CT_PW_CLAMP_MAX_T,  /* min(x, y) with NaN of x kept: clamp(x, max=y) */
    CT_PW_BINARY_END,
    /* unary: out = f(x) */
    CT_PW_NEG = CT_PW_BINARY_END,
    CT_PW_ABS, CT_PW_SIGN, CT_PW_SQUARE, CT_PW_RECIPROCAL,
    CT_PW_EXP, CT_PW_EXP2, CT_PW_EXPM1, CT_PW_LOG, CT_PW_LOG2, CT_PW_LOG10, CT_PW_LOG1P,
    CT_PW_SQRT, CT_PW_RSQRT,
    CT_PW_SIN, CT_PW_COS, CT_PW_TAN, CT_PW_ASIN, CT_PW_ACOS, CT_PW_ATAN,
    CT_PW_SINH, CT_PW_COSH, CT_PW_TANH, CT_PW_ASINH, CT_PW_ACOSH, CT_PW_ATANH,
    CT_PW_SIGMOID,
    CT_PW_LOGIT,        /* f[0] = eps, f[1] = 1 when eps is given */
    CT_PW_RELU,
    CT_PW_GELU,         /* i[0] = 1 for the tanh approximation */
    CT_PW_SILU,
    CT_PW_SOFTPLUS,     /* f[0] = beta, f[1] = threshold */
    CT_PW_ELU,          /* f[0] = alpha */
    CT_PW_LEAKY_RELU,   /* f[0] = negative_slope */
    CT_PW_CLAMP,        /* f[0], f[1] = min, max; i[0], i[1] for integers; i[2] bit0 min given, bit1 max given */
    CT_PW_ERF, CT_PW_ERFC,
    CT_PW_FLOOR, CT_PW_CEIL, CT_PW_ROUND, CT_PW_TRUNC, CT_PW_FRAC,
    CT_PW_ROUND_DECIMALS, /* f[0] = 10^decimals, i[0] = decimals */
    CT_PW_ISNAN, CT_PW_ISINF, CT_PW_ISFINITE, CT_PW_LOGICAL_NOT, /* bool out */
    CT_PW_BITWISE_NOT,
    CT_PW_NAN_TO_NUM,   /* f[0] nan, f[1] posinf, f[2] neginf */
    CT_PW_UNARY_END,
    /* ternary: out = f(x, y, z) */
    CT_PW_LERP = CT_PW_UNARY_END, /* x + w*(y - x), w = z */
    CT_PW_LERP_SCALAR,  /* x + w*(y - x), w = f[0]; binary */
    CT_PW_ADDCMUL,      /* x + value*y*z, value f[0] / i[0] */
    CT_PW_ADDCDIV,      /* x + value*y/z, value f[0] */
    CT_PW_WHERE,        /* data[1] is the bool condition: c ? y : z */
    CT_PW_CLAMP_T,      /* min(max(x, lo), hi) with tensor bounds, NaN of x kept */
    CT_PW_NUM_KOPS
} ct_pw_kop;

#endif
