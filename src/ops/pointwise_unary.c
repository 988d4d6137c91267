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
    if (ct__pw_check_out_grad(op->name, mode, &x, 1) < 0) return NULL;
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

UNARY_OP(exp, "exp", CT_PW_EXP, U_INT_TO_FLOAT)
UNARY_OP(log, "log", CT_PW_LOG, U_INT_TO_FLOAT)
