/* Unary pointwise ops: dtype rules per op, then ct__pw_run. */
#include "pointwise_internal.h"

#include <math.h>

enum {
    U_KEEP = 0,         /* compute in the input dtype */
    U_INT_TO_FLOAT = 1, /* integral/bool inputs compute in the default dtype */
    U_BOOL_OUT = 2,     /* result is bool */
};

typedef struct unop {
    const char *name;
    const char *kname;
    int op_id;
    int kop;
    unsigned rules;
} unop;

static ct_tensor *run_unary(const unop *op, ct_pw_mode mode, ct_tensor *out, const ct_tensor *x,
                            ct_pw_ctx *ctx, const ct_op_args *args) {
    if (ct__pw_check_out_grad(op->name, op->op_id, mode, &x, 1) < 0) return NULL;
    ct_dtype compute = x->dtype;
    if ((op->rules & U_INT_TO_FLOAT) && !ct_dtype_is_floating(compute)) compute = ct_default_dtype();
    ct_dtype result = (op->rules & U_BOOL_OUT) ? CT_BOOL : compute;
    ct_tensor *r = ct__pw_run(op->kname, op->kop, mode, out, 1, &x, 1u, compute, result, ctx);
    return ct__pw_finish(r, mode, op->op_id, &x, 1, args);
}

/* The three generated variants of a UNARY op of the table. */
#define UNARY_OP(NAME, KNAME, KOP, RULES)                                                  \
    static const unop op_##NAME = {#NAME, KNAME, CT_OP_##NAME, KOP, RULES};                \
    ct_tensor *ct_##NAME(const ct_tensor *x) {                                             \
        return run_unary(&op_##NAME, CT_PW_NEW, NULL, x, NULL, NULL);                      \
    }                                                                                      \
    ct_tensor *ct_##NAME##_(ct_tensor *x) {                                                \
        return run_unary(&op_##NAME, CT_PW_INPLACE, x, x, NULL, NULL);                     \
    }                                                                                      \
    ct_tensor *ct_##NAME##_out(ct_tensor *out, const ct_tensor *x) {                       \
        return run_unary(&op_##NAME, CT_PW_OUT, out, x, NULL, NULL);                       \
    }

static int neg_check(const ct_tensor *x) {
    if (x->dtype != CT_BOOL) return 0;
    ct_set_error(CT_ERR_RUNTIME,
                 "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                 "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    return -1;
}

static const unop op_neg = {"neg", "neg", CT_OP_neg, CT_PW_NEG, U_KEEP};
ct_tensor *ct_neg(const ct_tensor *x) {
    return neg_check(x) < 0 ? NULL : run_unary(&op_neg, CT_PW_NEW, NULL, x, NULL, NULL);
}
ct_tensor *ct_neg_(ct_tensor *x) {
    return neg_check(x) < 0 ? NULL : run_unary(&op_neg, CT_PW_INPLACE, x, x, NULL, NULL);
}
ct_tensor *ct_neg_out(ct_tensor *out, const ct_tensor *x) {
    return neg_check(x) < 0 ? NULL : run_unary(&op_neg, CT_PW_OUT, out, x, NULL, NULL);
}

UNARY_OP(abs, "abs", CT_PW_ABS, U_KEEP)
UNARY_OP(sign, "sign", CT_PW_SIGN, U_KEEP)
UNARY_OP(reciprocal, "reciprocal", CT_PW_RECIPROCAL, U_INT_TO_FLOAT)
UNARY_OP(exp, "exp", CT_PW_EXP, U_INT_TO_FLOAT)
UNARY_OP(exp2, "exp2", CT_PW_EXP2, U_INT_TO_FLOAT)
UNARY_OP(expm1, "expm1", CT_PW_EXPM1, U_INT_TO_FLOAT)
UNARY_OP(log, "log", CT_PW_LOG, U_INT_TO_FLOAT)
UNARY_OP(log2, "log2", CT_PW_LOG2, U_INT_TO_FLOAT)
UNARY_OP(log10, "log10", CT_PW_LOG10, U_INT_TO_FLOAT)
UNARY_OP(log1p, "log1p", CT_PW_LOG1P, U_INT_TO_FLOAT)
UNARY_OP(sqrt, "sqrt", CT_PW_SQRT, U_INT_TO_FLOAT)
UNARY_OP(rsqrt, "rsqrt", CT_PW_RSQRT, U_INT_TO_FLOAT)
UNARY_OP(sin, "sin", CT_PW_SIN, U_INT_TO_FLOAT)
UNARY_OP(cos, "cos", CT_PW_COS, U_INT_TO_FLOAT)
UNARY_OP(tan, "tan", CT_PW_TAN, U_INT_TO_FLOAT)
UNARY_OP(asin, "asin", CT_PW_ASIN, U_INT_TO_FLOAT)
UNARY_OP(acos, "acos", CT_PW_ACOS, U_INT_TO_FLOAT)
UNARY_OP(atan, "atan", CT_PW_ATAN, U_INT_TO_FLOAT)
UNARY_OP(sinh, "sinh", CT_PW_SINH, U_INT_TO_FLOAT)
UNARY_OP(cosh, "cosh", CT_PW_COSH, U_INT_TO_FLOAT)
UNARY_OP(tanh, "tanh", CT_PW_TANH, U_INT_TO_FLOAT)
UNARY_OP(asinh, "asinh", CT_PW_ASINH, U_INT_TO_FLOAT)
UNARY_OP(acosh, "acosh", CT_PW_ACOSH, U_INT_TO_FLOAT)
UNARY_OP(atanh, "atanh", CT_PW_ATANH, U_INT_TO_FLOAT)
UNARY_OP(erf, "erf", CT_PW_ERF, U_INT_TO_FLOAT)
UNARY_OP(erfc, "erfc", CT_PW_ERFC, U_INT_TO_FLOAT)
UNARY_OP(sigmoid, "sigmoid", CT_PW_SIGMOID, U_INT_TO_FLOAT)
UNARY_OP(floor, "floor", CT_PW_FLOOR, U_KEEP)
UNARY_OP(ceil, "ceil", CT_PW_CEIL, U_KEEP)
UNARY_OP(round, "round", CT_PW_ROUND, U_KEEP)
UNARY_OP(trunc, "trunc", CT_PW_TRUNC, U_KEEP)
UNARY_OP(frac, "frac", CT_PW_FRAC, U_KEEP)
UNARY_OP(bitwise_not, "bitwise_not", CT_PW_BITWISE_NOT, U_KEEP)

/* logical_not: bool result; in place it writes 1/0 in x's dtype. */
static const unop op_logical_not = {"logical_not", "logical_not", CT__PW_NO_AUTOGRAD, CT_PW_LOGICAL_NOT, U_BOOL_OUT};
ct_tensor *ct_logical_not(const ct_tensor *x) {
    return run_unary(&op_logical_not, CT_PW_NEW, NULL, x, NULL, NULL);
}
ct_tensor *ct_logical_not_(ct_tensor *x) {
    return run_unary(&op_logical_not, CT_PW_INPLACE, x, x, NULL, NULL);
}
ct_tensor *ct_logical_not_out(ct_tensor *out, const ct_tensor *x) {
    return run_unary(&op_logical_not, CT_PW_OUT, out, x, NULL, NULL);
}

/* square of bool is int64 in PyTorch (it is pow(x, 2)). */
static const unop op_square = {"square", "square", CT_OP_square, CT_PW_SQUARE, U_KEEP};
static ct_tensor *square(ct_pw_mode mode, ct_tensor *out, const ct_tensor *x) {
    if (ct__pw_check_out_grad("square", CT_OP_square, mode, &x, 1) < 0) return NULL;
    ct_dtype dt = x->dtype == CT_BOOL ? CT_INT64 : x->dtype;
    ct_tensor *r = ct__pw_run("square", CT_PW_SQUARE, mode, out, 1, &x, 1u, dt, dt, NULL);
    return ct__pw_finish(r, mode, op_square.op_id, &x, 1, NULL);
}
ct_tensor *ct_square(const ct_tensor *x) { return square(CT_PW_NEW, NULL, x); }
ct_tensor *ct_square_(ct_tensor *x) { return square(CT_PW_INPLACE, x, x); }
ct_tensor *ct_square_out(ct_tensor *out, const ct_tensor *x) { return square(CT_PW_OUT, out, x); }

/* ---------------------------------------------------------------- predicates */

static const unop op_isnan = {"isnan", "isnan", -1, CT_PW_ISNAN, U_BOOL_OUT};
static const unop op_isinf = {"isinf", "isinf", -1, CT_PW_ISINF, U_BOOL_OUT};
static const unop op_isfinite = {"isfinite", "isfinite", -1, CT_PW_ISFINITE, U_BOOL_OUT};
ct_tensor *ct_isnan(const ct_tensor *x) { return run_unary(&op_isnan, CT_PW_NEW, NULL, x, NULL, NULL); }
ct_tensor *ct_isinf(const ct_tensor *x) { return run_unary(&op_isinf, CT_PW_NEW, NULL, x, NULL, NULL); }
ct_tensor *ct_isfinite(const ct_tensor *x) {
    return run_unary(&op_isfinite, CT_PW_NEW, NULL, x, NULL, NULL);
}

/* ---------------------------------------------------------------- with parameters */

static const unop op_round_dec = {"round", "round", CT_OP_round, CT_PW_ROUND_DECIMALS, U_KEEP};
static ct_tensor *round_decimals(ct_pw_mode mode, ct_tensor *out, const ct_tensor *x, int decimals) {
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.i[0] = decimals;
    if (decimals == 0) {
        static const unop op_r = {"round", "round", CT_OP_round, CT_PW_ROUND, U_KEEP};
        return run_unary(&op_r, mode, out, x, NULL, &args);
    }
    ct_pw_ctx ctx = {{0}, {0}, 0};
    ctx.f[0] = pow(10.0, abs(decimals));
    ctx.i[0] = decimals;
    return run_unary(&op_round_dec, mode, out, x, &ctx, &args);
}
ct_tensor *ct_round_decimals(const ct_tensor *x, int decimals) {
    return round_decimals(CT_PW_NEW, NULL, x, decimals);
}
ct_tensor *ct_round_decimals_(ct_tensor *x, int decimals) {
    return round_decimals(CT_PW_INPLACE, x, x, decimals);
}
ct_tensor *ct_round_decimals_out(ct_tensor *out, const ct_tensor *x, int decimals) {
    return round_decimals(CT_PW_OUT, out, x, decimals);
}

/* largest finite value of a floating dtype */
static double dtype_max(ct_dtype dt) {
    switch (dt) {
    case CT_FLOAT16: return 65504.0;
    case CT_BFLOAT16: return 3.3895313892515355e38;
    case CT_FLOAT32: return 3.4028234663852886e38;
    default: return 1.7976931348623157e308;
    }
}

static const unop op_nan_to_num = {"nan_to_num", "nan_to_num", CT_OP_nan_to_num, CT_PW_NAN_TO_NUM,
                                   U_KEEP};
static ct_tensor *nan_to_num(ct_pw_mode mode, ct_tensor *out, const ct_tensor *x, double nan,
                             const double *posinf, const double *neginf) {
    ct_pw_ctx ctx = {{0}, {0}, 0};
    ctx.f[0] = nan;
    ctx.f[1] = posinf ? *posinf : dtype_max(x->dtype);
    ctx.f[2] = neginf ? *neginf : -dtype_max(x->dtype);
    ct_op_args args;
    memset(&args, 0, sizeof args);
    memcpy(args.f, ctx.f, sizeof(double) * 3);
    return run_unary(&op_nan_to_num, mode, out, x, &ctx, &args);
}
ct_tensor *ct_nan_to_num(const ct_tensor *x, double nan, const double *posinf, const double *neginf) {
    return nan_to_num(CT_PW_NEW, NULL, x, nan, posinf, neginf);
}
ct_tensor *ct_nan_to_num_(ct_tensor *x, double nan, const double *posinf, const double *neginf) {
    return nan_to_num(CT_PW_INPLACE, x, x, nan, posinf, neginf);
}
ct_tensor *ct_nan_to_num_out(ct_tensor *out, const ct_tensor *x, double nan, const double *posinf,
                             const double *neginf) {
    return nan_to_num(CT_PW_OUT, out, x, nan, posinf, neginf);
}

/* ---------------------------------------------------------------- activations */

static int relu_check(const ct_tensor *x) {
    if (x->dtype != CT_BOOL) return 0;
    ct_set_error(CT_ERR_RUNTIME, "Boolean inputs not supported for relu");
    return -1;
}
static const unop op_relu = {"relu", "relu", CT_OP_relu, CT_PW_RELU, U_KEEP};
ct_tensor *ct_relu(const ct_tensor *x) {
    return relu_check(x) < 0 ? NULL : run_unary(&op_relu, CT_PW_NEW, NULL, x, NULL, NULL);
}
ct_tensor *ct_relu_(ct_tensor *x) {
    return relu_check(x) < 0 ? NULL : run_unary(&op_relu, CT_PW_INPLACE, x, x, NULL, NULL);
}

static const unop op_logit = {"logit", "logit", CT_OP_logit, CT_PW_LOGIT, U_INT_TO_FLOAT};
static ct_tensor *logit(ct_pw_mode mode, ct_tensor *out, const ct_tensor *x, double eps) {
    ct_pw_ctx ctx = {{eps, eps >= 0 ? 1 : 0}, {0}, 0};
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.f[0] = eps;
    return run_unary(&op_logit, mode, out, x, &ctx, &args);
}
ct_tensor *ct_logit(const ct_tensor *x, double eps) { return logit(CT_PW_NEW, NULL, x, eps); }
ct_tensor *ct_logit_(ct_tensor *x, double eps) { return logit(CT_PW_INPLACE, x, x, eps); }
ct_tensor *ct_logit_out(ct_tensor *out, const ct_tensor *x, double eps) {
    return logit(CT_PW_OUT, out, x, eps);
}

static const unop op_gelu = {"gelu", "GeluKernelImpl", CT_OP_gelu, CT_PW_GELU, U_KEEP};
static ct_tensor *gelu(ct_pw_mode mode, ct_tensor *x, const char *approximate) {
    ct_pw_ctx ctx = {{0}, {0}, 0};
    if (approximate && strcmp(approximate, "tanh") == 0) ctx.i[0] = 1;
    else if (approximate && strcmp(approximate, "none") != 0)
        return CT_FAIL(CT_ERR_RUNTIME, "approximate argument must be either none or tanh.");
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.i[0] = ctx.i[0];
    return run_unary(&op_gelu, mode, mode == CT_PW_INPLACE ? x : NULL, x, &ctx, &args);
}
ct_tensor *ct_gelu(const ct_tensor *x, const char *approximate) {
    return gelu(CT_PW_NEW, (ct_tensor *)x, approximate);
}
ct_tensor *ct_gelu_(ct_tensor *x, const char *approximate) { return gelu(CT_PW_INPLACE, x, approximate); }

static const unop op_silu = {"silu", "silu", CT_OP_silu, CT_PW_SILU, U_KEEP};
ct_tensor *ct_silu(const ct_tensor *x) { return run_unary(&op_silu, CT_PW_NEW, NULL, x, NULL, NULL); }
ct_tensor *ct_silu_(ct_tensor *x) { return run_unary(&op_silu, CT_PW_INPLACE, x, x, NULL, NULL); }

static const unop op_softplus = {"softplus", "softplus", CT_OP_softplus, CT_PW_SOFTPLUS, U_KEEP};
ct_tensor *ct_softplus(const ct_tensor *x, double beta, double threshold) {
    ct_pw_ctx ctx = {{beta, threshold}, {0}, 0};
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.f[0] = beta;
    args.f[1] = threshold;
    return run_unary(&op_softplus, CT_PW_NEW, NULL, x, &ctx, &args);
}

static const unop op_elu = {"elu", "elu", CT_OP_elu, CT_PW_ELU, U_KEEP};
static ct_tensor *elu(ct_pw_mode mode, ct_tensor *x, double alpha) {
    ct_pw_ctx ctx = {{alpha}, {0}, 0};
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.f[0] = alpha;
    return run_unary(&op_elu, mode, mode == CT_PW_INPLACE ? x : NULL, x, &ctx, &args);
}
ct_tensor *ct_elu(const ct_tensor *x, double alpha) { return elu(CT_PW_NEW, (ct_tensor *)x, alpha); }
ct_tensor *ct_elu_(ct_tensor *x, double alpha) { return elu(CT_PW_INPLACE, x, alpha); }

static const unop op_leaky = {"leaky_relu", "leaky_relu", CT_OP_leaky_relu, CT_PW_LEAKY_RELU, U_KEEP};
static ct_tensor *leaky(ct_pw_mode mode, ct_tensor *x, double slope) {
    ct_pw_ctx ctx = {{slope}, {0}, 0};
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.f[0] = slope;
    return run_unary(&op_leaky, mode, mode == CT_PW_INPLACE ? x : NULL, x, &ctx, &args);
}
ct_tensor *ct_leaky_relu(const ct_tensor *x, double negative_slope) {
    return leaky(CT_PW_NEW, (ct_tensor *)x, negative_slope);
}
ct_tensor *ct_leaky_relu_(ct_tensor *x, double negative_slope) {
    return leaky(CT_PW_INPLACE, x, negative_slope);
}
