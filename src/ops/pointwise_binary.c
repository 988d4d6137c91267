/* Binary pointwise ops: dtype rules per op, then ct__pw_run. */
#include "pointwise_internal.h"

#include <math.h>

/* Dtype rules of a binary op. */
enum {
    R_KEEP = 0,           /* compute in the result type of the operands */
    R_INT_TO_FLOAT = 1,   /* integral/bool results compute in the default dtype */
    R_BOOL_OUT = 2,       /* result is bool (comparisons, logical ops) */
};

typedef struct binop {
    const char *name;  /* in messages: "add" */
    const char *kname; /* kernel name of "not implemented" messages */
    int op_id;         /* CT_OP_* for autograd, -1 for none, CT__PW_NO_AUTOGRAD */
    int kop;
    unsigned rules;
} binop;

static ct_dtype compute_dtype(const binop *op, ct_dtype common) {
    if ((op->rules & R_INT_TO_FLOAT) && !ct_dtype_is_floating(common)) return ct_default_dtype();
    return common;
}

static ct_tensor *run_binary(const binop *op, ct_pw_mode mode, ct_tensor *out, const ct_tensor *a,
                             const ct_tensor *b, ct_pw_ctx *ctx, const ct_op_args *args) {
    const ct_tensor *in[2] = {a, b};
    if (ct__pw_check_out_grad(op->name, op->op_id, mode, in, 2) < 0) return NULL;
    /* same dtype, no wrapped number: the promotion is the identity */
    ct_dtype common = (a->dtype == b->dtype && !a->wrapped_number && !b->wrapped_number)
                          ? a->dtype
                          : ct_result_type(a, b);
    ct_dtype compute = compute_dtype(op, common);
    ct_dtype result = (op->rules & R_BOOL_OUT) ? CT_BOOL : compute;
    ct_tensor *r = ct__pw_run(op->kname, op->kop, mode, out, 2, in, 3u, compute, result, ctx);
    return ct__pw_finish(r, mode, op->op_id, in, 2, args);
}

/* a op (Python float s): the number is a wrapped float64 0-d tensor. */
/* The number is allocated only when autograd will keep it. */
static ct_tensor *run_scalar(const binop *op, const ct_tensor *a, double s, ct_pw_ctx *ctx,
                             const ct_op_args *args) {
    ct_pw_scalar sl;
    ct_tensor *owned;
    const ct_tensor *b = ct__pw_number(&sl, &owned, s, false, ct__needs_grad(&a, 1));
    if (!b) return NULL;
    ct_tensor *r = run_binary(op, CT_PW_NEW, NULL, a, b, ctx, args);
    ct_release(owned);
    return r;
}

/* ---------------------------------------------------------------- add, sub */

static const binop op_add = {"add", "add", CT_OP_add, CT_PW_ADD, R_KEEP};
static const binop op_add_alpha = {"add", "add", CT_OP_add, CT_PW_ADD_ALPHA, R_KEEP};
static const binop op_sub = {"sub", "sub", CT_OP_sub, CT_PW_SUB, R_KEEP};
static const binop op_sub_alpha = {"sub", "sub", CT_OP_sub, CT_PW_ADD_ALPHA, R_KEEP};

static int sub_check(const ct_tensor *a, const ct_tensor *b) {
    if (a->dtype == CT_BOOL && b->dtype == CT_BOOL) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                     "the `^` or `logical_xor()` operator instead.");
        return -1;
    }
    if (a->dtype == CT_BOOL || b->dtype == CT_BOOL) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                     "are trying to invert a mask, use the `~` or `logical_not()` operator "
                     "instead.");
        return -1;
    }
    return 0;
}

/* add/sub with alpha: a whole alpha is usable by integer kernels. */
static ct_tensor *add_alpha(bool subtract, ct_pw_mode mode, ct_tensor *out, const ct_tensor *a,
                            const ct_tensor *b, double alpha) {
    if (subtract && sub_check(a, b) < 0) return NULL;
    ct_op_args args;
    memset(&args, 0, sizeof args);
    args.f[0] = alpha;
    const binop *plain = subtract ? &op_sub : &op_add;
    if (alpha == 1) return run_binary(plain, mode, out, a, b, NULL, &args);
    ct_dtype common = ct_result_type(a, b);
    if (!ct_dtype_is_floating(common) && alpha != floor(alpha))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "For integral input tensors, argument alpha must not be a floating point "
                       "number.");
    ct_pw_ctx ctx = {{0}, {0}, 0};
    double k = subtract ? -alpha : alpha;
    ctx.f[0] = k;
    ctx.i[0] = fabs(k) < 9.2e18 ? (int64_t)k : 0; /* used by integer kernels only */
    return run_binary(subtract ? &op_sub_alpha : &op_add_alpha, mode, out, a, b, &ctx, &args);
}

ct_tensor *ct_add(const ct_tensor *a, const ct_tensor *b) {
    static const ct_op_args one = {.f = {1}};
    return run_binary(&op_add, CT_PW_NEW, NULL, a, b, NULL, &one);
}
ct_tensor *ct_add_(ct_tensor *a, const ct_tensor *b) { return add_alpha(false, CT_PW_INPLACE, a, a, b, 1); }
ct_tensor *ct_add_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {
    return add_alpha(false, CT_PW_OUT, out, a, b, 1);
}
ct_tensor *ct_add_scalar(const ct_tensor *a, double s) {
    static const ct_op_args one = {.f = {1}};
    return run_scalar(&op_add, a, s, NULL, &one);
}
ct_tensor *ct_add_alpha(const ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(false, CT_PW_NEW, NULL, a, b, alpha);
}
ct_tensor *ct_add_alpha_(ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(false, CT_PW_INPLACE, a, a, b, alpha);
}
ct_tensor *ct_add_alpha_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(false, CT_PW_OUT, out, a, b, alpha);
}

ct_tensor *ct_sub(const ct_tensor *a, const ct_tensor *b) { return add_alpha(true, CT_PW_NEW, NULL, a, b, 1); }
ct_tensor *ct_sub_(ct_tensor *a, const ct_tensor *b) { return add_alpha(true, CT_PW_INPLACE, a, a, b, 1); }
ct_tensor *ct_sub_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {
    return add_alpha(true, CT_PW_OUT, out, a, b, 1);
}
ct_tensor *ct_sub_scalar(const ct_tensor *a, double s) {
    ct_pw_scalar sl;
    ct_tensor *owned;
    const ct_tensor *b = ct__pw_number(&sl, &owned, s, false, ct__needs_grad(&a, 1));
    if (!b) return NULL;
    ct_tensor *r = add_alpha(true, CT_PW_NEW, NULL, a, b, 1);
    ct_release(owned);
    return r;
}
ct_tensor *ct_sub_alpha(const ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(true, CT_PW_NEW, NULL, a, b, alpha);
}
ct_tensor *ct_sub_alpha_(ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(true, CT_PW_INPLACE, a, a, b, alpha);
}
ct_tensor *ct_sub_alpha_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double alpha) {
    return add_alpha(true, CT_PW_OUT, out, a, b, alpha);
}

/* ---------------------------------------------------------------- mul, div */

static const binop op_mul = {"mul", "mul", CT_OP_mul, CT_PW_MUL, R_KEEP};
ct_tensor *ct_mul(const ct_tensor *a, const ct_tensor *b) { return run_binary(&op_mul, CT_PW_NEW, NULL, a, b, NULL, NULL); }
ct_tensor *ct_mul_(ct_tensor *a, const ct_tensor *b) { return run_binary(&op_mul, CT_PW_INPLACE, a, a, b, NULL, NULL); }
ct_tensor *ct_mul_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {
    return run_binary(&op_mul, CT_PW_OUT, out, a, b, NULL, NULL);
}
ct_tensor *ct_mul_scalar(const ct_tensor *a, double s) { return run_scalar(&op_mul, a, s, NULL, NULL); }

static const binop op_div = {"div", "div_true", CT_OP_div, CT_PW_DIV, R_INT_TO_FLOAT};
static const binop op_div_trunc = {"div", "div_trunc", CT_OP_div, CT_PW_DIV_TRUNC, R_KEEP};
static const binop op_div_floor = {"div", "div_floor", CT_OP_div, CT_PW_DIV_FLOOR, R_KEEP};

/* The binop of a rounding mode, or NULL with PyTorch's error. */
static const binop *div_op(const char *mode, ct_op_args *args) {
    memset(args, 0, sizeof *args);
    if (!mode) return &op_div;
    if (strcmp(mode, "trunc") == 0) {
        args->i[0] = 1;
        return &op_div_trunc;
    }
    if (strcmp(mode, "floor") == 0) {
        args->i[0] = 2;
        return &op_div_floor;
    }
    ct_set_error(CT_ERR_RUNTIME,
                 "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '%s'",
                 mode);
    return NULL;
}

static ct_tensor *div_mode(ct_pw_mode mode, ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                           const char *rounding) {
    ct_op_args args;
    const binop *op = div_op(rounding, &args);
    if (!op) return NULL;
    ct_pw_ctx ctx = {{0}, {0}, 0};
    return run_binary(op, mode, out, a, b, &ctx, &args);
}

ct_tensor *ct_div(const ct_tensor *a, const ct_tensor *b) { return div_mode(CT_PW_NEW, NULL, a, b, NULL); }
ct_tensor *ct_div_(ct_tensor *a, const ct_tensor *b) { return div_mode(CT_PW_INPLACE, a, a, b, NULL); }
ct_tensor *ct_div_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {
    return div_mode(CT_PW_OUT, out, a, b, NULL);
}
ct_tensor *ct_div_scalar(const ct_tensor *a, double s) { return ct_div_mode_scalar(a, s, NULL); }
ct_tensor *ct_div_mode(const ct_tensor *a, const ct_tensor *b, const char *rounding_mode) {
    return div_mode(CT_PW_NEW, NULL, a, b, rounding_mode);
}
ct_tensor *ct_div_mode_(ct_tensor *a, const ct_tensor *b, const char *rounding_mode) {
    return div_mode(CT_PW_INPLACE, a, a, b, rounding_mode);
}
ct_tensor *ct_div_mode_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                           const char *rounding_mode) {
    return div_mode(CT_PW_OUT, out, a, b, rounding_mode);
}
ct_tensor *ct_div_mode_scalar(const ct_tensor *a, double s, const char *rounding_mode) {
    ct_pw_scalar sl;
    ct_tensor *owned;
    const ct_tensor *b = ct__pw_number(&sl, &owned, s, false, ct__needs_grad(&a, 1));
    if (!b) return NULL;
    ct_tensor *r = div_mode(CT_PW_NEW, NULL, a, b, rounding_mode);
    ct_release(owned);
    return r;
}

/* ---------------------------------------------------------------- generated families */

/* a number operand: a Python int when int_if_whole and s is whole */
static ct_tensor *run_number(const binop *op, const ct_tensor *a, double s, bool int_if_whole) {
    ct_pw_scalar sl;
    ct_tensor *owned;
    const ct_tensor *b = ct__pw_number(&sl, &owned, s, int_if_whole, ct__needs_grad(&a, 1));
    if (!b) return NULL;
    ct_tensor *r = run_binary(op, CT_PW_NEW, NULL, a, b, NULL, NULL);
    ct_release(owned);
    return r;
}

/* The four generated variants of a BINARY op of the table. */
#define BINARY_OP(NAME, KNAME, OPID, KOP, RULES, INT_NUMBER)                                    \
    static const binop op_##NAME = {#NAME, KNAME, OPID, KOP, RULES};                             \
    ct_tensor *ct_##NAME(const ct_tensor *a, const ct_tensor *b) {                               \
        return run_binary(&op_##NAME, CT_PW_NEW, NULL, a, b, NULL, NULL);                        \
    }                                                                                            \
    ct_tensor *ct_##NAME##_(ct_tensor *a, const ct_tensor *b) {                                  \
        return run_binary(&op_##NAME, CT_PW_INPLACE, a, a, b, NULL, NULL);                       \
    }                                                                                            \
    ct_tensor *ct_##NAME##_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {         \
        return run_binary(&op_##NAME, CT_PW_OUT, out, a, b, NULL, NULL);                         \
    }                                                                                            \
    ct_tensor *ct_##NAME##_scalar(const ct_tensor *a, double s) {                                \
        return run_number(&op_##NAME, a, s, INT_NUMBER);                                         \
    }

BINARY_OP(floor_divide, "div_floor", CT_OP_floor_divide, CT_PW_DIV_FLOOR, R_KEEP, false)
BINARY_OP(remainder, "remainder", CT_OP_remainder, CT_PW_REMAINDER, R_KEEP, false)
BINARY_OP(fmod, "fmod", CT_OP_fmod, CT_PW_FMOD, R_KEEP, false)
BINARY_OP(eq, "eq", CT_OP_eq, CT_PW_EQ, R_BOOL_OUT, false)
BINARY_OP(ne, "ne", CT_OP_ne, CT_PW_NE, R_BOOL_OUT, false)
BINARY_OP(lt, "lt", CT_OP_lt, CT_PW_LT, R_BOOL_OUT, false)
BINARY_OP(le, "le", CT_OP_le, CT_PW_LE, R_BOOL_OUT, false)
BINARY_OP(gt, "gt", CT_OP_gt, CT_PW_GT, R_BOOL_OUT, false)
BINARY_OP(ge, "ge", CT_OP_ge, CT_PW_GE, R_BOOL_OUT, false)
BINARY_OP(bitwise_and, "bitwise_and", -1, CT_PW_BITWISE_AND, R_KEEP, true)
BINARY_OP(bitwise_or, "bitwise_or", -1, CT_PW_BITWISE_OR, R_KEEP, true)
BINARY_OP(bitwise_xor, "bitwise_xor", -1, CT_PW_BITWISE_XOR, R_KEEP, true)
BINARY_OP(bitwise_left_shift, "lshift", -1, CT_PW_LSHIFT, R_KEEP, true)
BINARY_OP(bitwise_right_shift, "rshift", -1, CT_PW_RSHIFT, R_KEEP, true)

/* Binary ops without the number form. */
#define BINARY_NO_NUMBER(NAME, KNAME, OPID, KOP, RULES)                                          \
    static const binop op_##NAME = {#NAME, KNAME, OPID, KOP, RULES};                             \
    ct_tensor *ct_##NAME(const ct_tensor *a, const ct_tensor *b) {                               \
        return run_binary(&op_##NAME, CT_PW_NEW, NULL, a, b, NULL, NULL);                        \
    }                                                                                            \
    ct_tensor *ct_##NAME##_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {         \
        return run_binary(&op_##NAME, CT_PW_OUT, out, a, b, NULL, NULL);                         \
    }
#define BINARY_INPLACE(NAME)                                                                     \
    ct_tensor *ct_##NAME##_(ct_tensor *a, const ct_tensor *b) {                                  \
        return run_binary(&op_##NAME, CT_PW_INPLACE, a, a, b, NULL, NULL);                       \
    }

BINARY_NO_NUMBER(atan2, "atan2", CT_OP_atan2, CT_PW_ATAN2, R_INT_TO_FLOAT)
BINARY_INPLACE(atan2)
BINARY_NO_NUMBER(hypot, "hypot", CT_OP_hypot, CT_PW_HYPOT, R_KEEP)
BINARY_INPLACE(hypot)
BINARY_NO_NUMBER(maximum, "maximum", CT_OP_maximum, CT_PW_MAXIMUM, R_KEEP)
BINARY_NO_NUMBER(minimum, "minimum", CT_OP_minimum, CT_PW_MINIMUM, R_KEEP)
BINARY_NO_NUMBER(logical_and, "logical_and", CT__PW_NO_AUTOGRAD, CT_PW_LOGICAL_AND, R_BOOL_OUT)
BINARY_INPLACE(logical_and)
BINARY_NO_NUMBER(logical_or, "logical_or", CT__PW_NO_AUTOGRAD, CT_PW_LOGICAL_OR, R_BOOL_OUT)
BINARY_INPLACE(logical_or)
BINARY_NO_NUMBER(logical_xor, "logical_xor", CT__PW_NO_AUTOGRAD, CT_PW_LOGICAL_XOR, R_BOOL_OUT)
BINARY_INPLACE(logical_xor)

/* ---------------------------------------------------------------- pow */

static const binop op_pow = {"pow", "pow", CT_OP_pow, CT_PW_POW, R_KEEP};

/* PyTorch refuses an integer base with a negative integer number exponent
 * (a tensor exponent gives 0 instead). */
static int pow_check(const ct_tensor *a, const ct_tensor *b) {
    if (!ct_dtype_is_floating(a->dtype) && b->wrapped_number && ct_dtype_is_integral(b->dtype) &&
        *(const int64_t *)ct_data_ptr(b) < 0) {
        ct_set_error(CT_ERR_RUNTIME, "Integers to negative integer powers are not allowed.");
        return -1;
    }
    return 0;
}
ct_tensor *ct_pow(const ct_tensor *a, const ct_tensor *b) {
    return pow_check(a, b) < 0 ? NULL : run_binary(&op_pow, CT_PW_NEW, NULL, a, b, NULL, NULL);
}
ct_tensor *ct_pow_(ct_tensor *a, const ct_tensor *b) {
    return pow_check(a, b) < 0 ? NULL : run_binary(&op_pow, CT_PW_INPLACE, a, a, b, NULL, NULL);
}
ct_tensor *ct_pow_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b) {
    return pow_check(a, b) < 0 ? NULL : run_binary(&op_pow, CT_PW_OUT, out, a, b, NULL, NULL);
}
ct_tensor *ct_pow_scalar(const ct_tensor *a, double s) { return run_number(&op_pow, a, s, false); }
ct_tensor *ct_pow_scalar_base(double base, const ct_tensor *x) {
    ct_pw_scalar sl;
    ct_tensor *owned;
    const ct_tensor *b = ct__pw_number(&sl, &owned, base, false, ct__needs_grad(&x, 1));
    if (!b) return NULL;
    ct_tensor *r = run_binary(&op_pow, CT_PW_NEW, NULL, b, x, NULL, NULL);
    ct_release(owned);
    return r;
}
