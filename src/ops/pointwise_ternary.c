/* Pointwise ops of three operands or with bounds: lerp, addcmul, addcdiv,
 * where, clamp (scalar and tensor bounds), clamp_min/max, hardtanh. */
#include "pointwise_internal.h"

#include <math.h>

/* double to int64 without undefined behaviour for huge values or NaN */
static int64_t sat_i64(double v) {
    if (v != v) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)v;
}

static ct_op_args no_args(void) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    return a;
}

/* ---------------------------------------------------------------- lerp */

/* PyTorch's lerp does not promote: end (and a tensor weight) must have
 * self's dtype. */
static int lerp_check(const ct_tensor *a, const ct_tensor *b, const ct_tensor *w) {
    const char *which = NULL;
    ct_dtype got = a->dtype;
    if (b->dtype != a->dtype) which = "end", got = b->dtype;
    else if (w && w->dtype != a->dtype) which = "weight", got = w->dtype;
    if (!which) return 0;
    ct_set_error(CT_ERR_RUNTIME, "expected dtype %s for `%s` but got dtype %s",
                 a->dtype == CT_FLOAT32 ? "float" : ct_dtype_name(a->dtype), which,
                 got == CT_FLOAT32 ? "float" : got == CT_FLOAT64 ? "double" : ct_dtype_name(got));
    return -1;
}

static ct_tensor *lerp_scalar(ct_pw_mode mode, ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                              double w) {
    const ct_tensor *in[2] = {a, b};
    if (lerp_check(a, b, NULL) < 0 || ct__pw_check_out_grad("lerp", CT_OP_lerp, mode, in, 2) < 0) return NULL;
    ct_pw_ctx ctx = {{w}, {0}, 0};
    ct_op_args args = no_args();
    args.f[0] = w;
    ct_tensor *r = ct__pw_run("lerp_kernel_scalar", CT_PW_LERP_SCALAR, mode, out, 2, in, 3u, a->dtype,
                              a->dtype, &ctx);
    return ct__pw_finish(r, mode, CT_OP_lerp, in, 2, &args);
}

static ct_tensor *lerp_tensor(ct_pw_mode mode, ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                              const ct_tensor *w) {
    const ct_tensor *in[3] = {a, b, w};
    if (lerp_check(a, b, w) < 0 || ct__pw_check_out_grad("lerp", CT_OP_lerp, mode, in, 3) < 0) return NULL;
    ct_op_args args = no_args();
    args.b[0] = true;
    ct_tensor *r = ct__pw_run("lerp_kernel_tensor", CT_PW_LERP, mode, out, 3, in, 7u, a->dtype,
                              a->dtype, NULL);
    return ct__pw_finish(r, mode, CT_OP_lerp, in, 3, &args);
}

ct_tensor *ct_lerp(const ct_tensor *a, const ct_tensor *b, double weight) {
    return lerp_scalar(CT_PW_NEW, NULL, a, b, weight);
}
ct_tensor *ct_lerp_(ct_tensor *a, const ct_tensor *b, double weight) {
    return lerp_scalar(CT_PW_INPLACE, a, a, b, weight);
}
ct_tensor *ct_lerp_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double weight) {
    return lerp_scalar(CT_PW_OUT, out, a, b, weight);
}
ct_tensor *ct_lerp_tensor(const ct_tensor *a, const ct_tensor *b, const ct_tensor *weight) {
    return lerp_tensor(CT_PW_NEW, NULL, a, b, weight);
}
ct_tensor *ct_lerp_tensor_(ct_tensor *a, const ct_tensor *b, const ct_tensor *weight) {
    return lerp_tensor(CT_PW_INPLACE, a, a, b, weight);
}
ct_tensor *ct_lerp_tensor_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                              const ct_tensor *weight) {
    return lerp_tensor(CT_PW_OUT, out, a, b, weight);
}

/* ---------------------------------------------------------------- addcmul, addcdiv */

static ct_tensor *addc(bool divide, ct_pw_mode mode, ct_tensor *out, const ct_tensor *x,
                       const ct_tensor *t1, const ct_tensor *t2, double value) {
    const ct_tensor *in[3] = {x, t1, t2};
    const char *name = divide ? "addcdiv" : "addcmul";
    if (divide && !ct_dtype_is_floating(t1->dtype) && !ct_dtype_is_floating(t2->dtype))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Integer division with addcdiv is no longer supported, and in a future  "
                       "release addcdiv will perform a true division of tensor1 and tensor2. The "
                       "historic addcdiv behavior can be implemented as (input + value * "
                       "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                       "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                       "behavior is just the latter implementation: (input + value * tensor1 / "
                       "tensor2), for all dtypes.");
    if (ct__pw_check_out_grad(name, divide ? CT_OP_addcdiv : CT_OP_addcmul, mode, in, 3) < 0)
        return NULL;
    ct_dtype dt = ct_result_type_n(in, 3);
    ct_pw_ctx ctx = {{value}, {sat_i64(value)}, 0};
    ct_op_args args = no_args();
    args.f[0] = value;
    ct_tensor *r = ct__pw_run(name, divide ? CT_PW_ADDCDIV : CT_PW_ADDCMUL, mode, out, 3, in, 7u, dt,
                              dt, &ctx);
    return ct__pw_finish(r, mode, divide ? CT_OP_addcdiv : CT_OP_addcmul, in, 3, &args);
}

ct_tensor *ct_addcmul(const ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value) {
    return addc(false, CT_PW_NEW, NULL, x, t1, t2, value);
}
ct_tensor *ct_addcmul_(ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value) {
    return addc(false, CT_PW_INPLACE, x, x, t1, t2, value);
}
ct_tensor *ct_addcmul_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *t1,
                          const ct_tensor *t2, double value) {
    return addc(false, CT_PW_OUT, out, x, t1, t2, value);
}
ct_tensor *ct_addcdiv(const ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value) {
    return addc(true, CT_PW_NEW, NULL, x, t1, t2, value);
}
ct_tensor *ct_addcdiv_(ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value) {
    return addc(true, CT_PW_INPLACE, x, x, t1, t2, value);
}
ct_tensor *ct_addcdiv_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *t1,
                          const ct_tensor *t2, double value) {
    return addc(true, CT_PW_OUT, out, x, t1, t2, value);
}

/* ---------------------------------------------------------------- where */

static ct_tensor *where(ct_pw_mode mode, ct_tensor *out, const ct_tensor *cond, const ct_tensor *a,
                        const ct_tensor *b) {
    const ct_tensor *in[3] = {cond, a, b};
    if (ct__pw_check_out_grad("where", CT_OP_where, mode, in, 3) < 0) return NULL;
    if (cond->dtype != CT_BOOL)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "where expected condition to be a boolean tensor, but got a tensor with "
                       "dtype %s",
                       ct__pw_torch_name(cond->dtype));
    ct_dtype dt = ct_result_type(a, b);
    /* the condition keeps its dtype (bit 0 clear); a and b convert */
    ct_tensor *r = ct__pw_run("where", CT_PW_WHERE, mode, out, 3, in, 6u, dt, dt, NULL);
    return ct__pw_finish(r, mode, CT_OP_where, in, 3, NULL);
}
ct_tensor *ct_where(const ct_tensor *cond, const ct_tensor *a, const ct_tensor *b) {
    return where(CT_PW_NEW, NULL, cond, a, b);
}
ct_tensor *ct_where_out(ct_tensor *out, const ct_tensor *cond, const ct_tensor *a,
                        const ct_tensor *b) {
    return where(CT_PW_OUT, out, cond, a, b);
}

/* ---------------------------------------------------------------- clamp */

/* Scalar bounds: the kernel reads f[0], f[1] (floats) or i[0], i[1]
 * (integers) and the presence bits in i[2]. */
static ct_tensor *clamp_scalar(const char *name, int op_id, ct_pw_mode mode, ct_tensor *out,
                               const ct_tensor *x, const double *min, const double *max,
                               bool promote) {
    if (!min && !max)
        return CT_FAIL(CT_ERR_RUNTIME, "torch.clamp: At least one of 'min' or 'max' must not be None");
    if (ct__pw_check_out_grad(name, op_id, mode, &x, 1) < 0) return NULL;
    ct_dtype dt = x->dtype;
    if (promote) {
        /* whole bounds act as Python ints (clamp(int_tensor, 0) stays
         * integral), fractional ones promote integer tensors */
        ct_pw_scalar s0, s1;
        ct_tensor *o0, *o1;
        const ct_tensor *ts[3] = {x, min ? ct__pw_number(&s0, &o0, *min, true, false) : NULL,
                                  max ? ct__pw_number(&s1, &o1, *max, true, false) : NULL};
        dt = ct_result_type_n(ts, 3);
    }
    ct_pw_ctx ctx = {{0}, {0}, 0};
    ct_op_args args = no_args();
    if (min) {
        ctx.f[0] = args.f[0] = *min;
        ctx.i[0] = sat_i64(*min);
        ctx.i[2] |= 1;
        args.b[0] = true;
    }
    if (max) {
        ctx.f[1] = args.f[1] = *max;
        ctx.i[1] = sat_i64(*max);
        ctx.i[2] |= 2;
        args.b[1] = true;
    }
    if (op_id == CT_OP_clamp_max) args.f[0] = *max;
    ct_tensor *r = ct__pw_run("clamp", CT_PW_CLAMP, mode, out, 1, &x, 1u, dt, dt, &ctx);
    return ct__pw_finish(r, mode, op_id, &x, 1, &args);
}

/* Tensor bounds (NULL = None), promoted with x. */
static ct_tensor *clamp_tensor(int op_id, ct_pw_mode mode, ct_tensor *out, const ct_tensor *x,
                               const ct_tensor *min, const ct_tensor *max) {
    const ct_tensor *all[3] = {x, min, max};
    if (!min && !max)
        return CT_FAIL(CT_ERR_RUNTIME, "torch.clamp: At least one of 'min' or 'max' must not be None");
    if (ct__pw_check_out_grad("clamp", op_id, mode, all, 3) < 0) return NULL;
    ct_dtype dt = ct_result_type_n(all, 3);
    ct_op_args args = no_args();
    args.b[0] = min != NULL;
    args.b[1] = max != NULL;
    args.b[2] = true;
    ct_tensor *r;
    if (min && max) {
        r = ct__pw_run("clamp", CT_PW_CLAMP_T, mode, out, 3, all, 7u, dt, dt, NULL);
    } else {
        const ct_tensor *in[2] = {x, min ? min : max};
        r = ct__pw_run(min ? "clamp_min" : "clamp_max", min ? CT_PW_CLAMP_MIN_T : CT_PW_CLAMP_MAX_T,
                       mode, out, 2, in, 3u, dt, dt, NULL);
    }
    if (op_id != CT_OP_clamp) {
        const ct_tensor *in[2] = {x, min ? min : max};
        return ct__pw_finish(r, mode, op_id, in, 2, &args);
    }
    return ct__pw_finish(r, mode, op_id, all, 3, &args);
}

ct_tensor *ct_clamp(const ct_tensor *x, const double *min, const double *max) {
    return clamp_scalar("clamp", CT_OP_clamp, CT_PW_NEW, NULL, x, min, max, true);
}
ct_tensor *ct_clamp_(ct_tensor *x, const double *min, const double *max) {
    return clamp_scalar("clamp", CT_OP_clamp, CT_PW_INPLACE, x, x, min, max, true);
}
ct_tensor *ct_clamp_out(ct_tensor *out, const ct_tensor *x, const double *min, const double *max) {
    return clamp_scalar("clamp", CT_OP_clamp, CT_PW_OUT, out, x, min, max, true);
}
ct_tensor *ct_clamp_tensor(const ct_tensor *x, const ct_tensor *min, const ct_tensor *max) {
    return clamp_tensor(CT_OP_clamp, CT_PW_NEW, NULL, x, min, max);
}
ct_tensor *ct_clamp_tensor_(ct_tensor *x, const ct_tensor *min, const ct_tensor *max) {
    return clamp_tensor(CT_OP_clamp, CT_PW_INPLACE, x, x, min, max);
}
ct_tensor *ct_clamp_tensor_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *min,
                               const ct_tensor *max) {
    return clamp_tensor(CT_OP_clamp, CT_PW_OUT, out, x, min, max);
}
ct_tensor *ct_clamp_min(const ct_tensor *x, double min) {
    return clamp_scalar("clamp_min", CT_OP_clamp_min, CT_PW_NEW, NULL, x, &min, NULL, true);
}
ct_tensor *ct_clamp_min_(ct_tensor *x, double min) {
    return clamp_scalar("clamp_min", CT_OP_clamp_min, CT_PW_INPLACE, x, x, &min, NULL, true);
}
ct_tensor *ct_clamp_min_tensor(const ct_tensor *x, const ct_tensor *min) {
    if (!min) return CT_FAIL(CT_ERR_RUNTIME, "clamp_min: min must be a tensor");
    return clamp_tensor(CT_OP_clamp_min, CT_PW_NEW, NULL, x, min, NULL);
}
ct_tensor *ct_clamp_max(const ct_tensor *x, double max) {
    return clamp_scalar("clamp_max", CT_OP_clamp_max, CT_PW_NEW, NULL, x, NULL, &max, true);
}
ct_tensor *ct_clamp_max_(ct_tensor *x, double max) {
    return clamp_scalar("clamp_max", CT_OP_clamp_max, CT_PW_INPLACE, x, x, NULL, &max, true);
}
ct_tensor *ct_clamp_max_tensor(const ct_tensor *x, const ct_tensor *max) {
    if (!max) return CT_FAIL(CT_ERR_RUNTIME, "clamp_max: max must be a tensor");
    return clamp_tensor(CT_OP_clamp_max, CT_PW_NEW, NULL, x, NULL, max);
}

/* hardtanh is clamp in x's own dtype (no promotion). */
static ct_tensor *hardtanh(ct_pw_mode mode, ct_tensor *x, double lo, double hi) {
    if (x->dtype == CT_BOOL) return CT_FAIL(CT_ERR_RUNTIME, "Bool inputs not supported for hardtanh");
    if (x->dtype == CT_UINT8 && (lo < 0 || hi < 0))
        return CT_FAIL(CT_ERR_RUNTIME, "cannot do hardtanh on an unsigned type with negative limits");
    return clamp_scalar("hardtanh", CT_OP_hardtanh, mode, mode == CT_PW_INPLACE ? x : NULL, x, &lo,
                        &hi, false);
}
ct_tensor *ct_hardtanh(const ct_tensor *x, double min_val, double max_val) {
    return hardtanh(CT_PW_NEW, (ct_tensor *)x, min_val, max_val);
}
ct_tensor *ct_hardtanh_(ct_tensor *x, double min_val, double max_val) {
    return hardtanh(CT_PW_INPLACE, x, min_val, max_val);
}
