/* Derivatives of the pointwise ops (include/ctorch/def/pointwise.def),
 * written with differentiable ops. Gradients may keep the broadcast shape
 * and the computation dtype: the engine sums and casts them back. */
#include "autograd/ag_internal.h"

#include <math.h>

#define NEED(i) ct__ag_needs(n, i)
#define SET(i, expr)                      \
    do {                                  \
        if (NEED(i)) {                    \
            gin[i] = (expr);              \
            if (!gin[i]) return -1;       \
        }                                 \
    } while (0)

static int d_add(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double alpha = n->args.f[0];
    SET(0, g[0]);
    SET(1, alpha == 1 ? g[0] : ct_mul_scalar(g[0], alpha));
    return 0;
}

static int d_sub(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double alpha = n->args.f[0];
    SET(0, g[0]);
    SET(1, alpha == 1 ? ct_neg(g[0]) : ct_mul_scalar(g[0], -alpha));
    return 0;
}

static int d_mul(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (NEED(0)) {
        ct_tensor *b = ct__ag_input(n, 1);
        SET(0, b ? ct_mul(g[0], b) : NULL);
    }
    if (NEED(1)) {
        ct_tensor *a = ct__ag_input(n, 0);
        SET(1, a ? ct_mul(g[0], a) : NULL);
    }
    return 0;
}

/* true division: da = g / b, db = -g a / b^2; rounding modes are piecewise
 * constant (zero gradient, as in PyTorch) */
static int d_div(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (n->args.i[0] != 0) {
        SET(0, ct_mul_scalar(g[0], 0.0));
        SET(1, ct_mul_scalar(g[0], 0.0));
        return 0;
    }
    ct_tensor *b = ct__ag_input(n, 1);
    if (!b) return -1;
    SET(0, ct_div(g[0], b));
    if (NEED(1)) {
        ct_tensor *a = ct__ag_input(n, 0);
        if (!a) return -1;
        ct_tensor *q = ct_div(ct_mul(g[0], a), ct_mul(b, b));
        SET(1, q ? ct_neg(q) : NULL);
    }
    return 0;
}

static int d_neg(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, ct_neg(g[0]));
    return 0;
}

static int d_exp(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = ct__ag_output(n);
    SET(0, y ? ct_mul(g[0], y) : NULL);
    return 0;
}

static int d_log(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = ct__ag_input(n, 0);
    SET(0, x ? ct_div(g[0], x) : NULL);
    return 0;
}


#define IN(i) ct__ag_input(n, i)
#define OUT() ct__ag_output(n)
#define W(v) ct_wrapped_float(v)

/* v where cond holds, 0 elsewhere */
static ct_tensor *keep(ct_tensor *cond, ct_tensor *v) {
    return cond && v ? ct_where(cond, v, W(0)) : NULL;
}
static ct_tensor *mul(ct_tensor *a, ct_tensor *b) { return a && b ? ct_mul(a, b) : NULL; }
static ct_tensor *dv(ct_tensor *a, ct_tensor *b) { return a && b ? ct_div(a, b) : NULL; }
static ct_tensor *sq(ct_tensor *a) { return a ? ct_mul(a, a) : NULL; }
static ct_tensor *ms(ct_tensor *a, double s) { return a ? ct_mul_scalar(a, s) : NULL; }
static ct_tensor *as(ct_tensor *a, double s) { return a ? ct_add_scalar(a, s) : NULL; }
static ct_tensor *rs(double s, ct_tensor *a) { return a ? ct_add_scalar(ct_neg(a), s) : NULL; }
static ct_tensor *zero_like_g(ct_tensor *g) { return ct_mul_scalar(g, 0.0); }

/* one-input ops: d = g * f'(x) or f'(out) */
#define UNARY_D(name, expr)                                                        \
    static int name(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {            \
        ct_tensor *G = g[0];                                                       \
        (void)G;                                                                   \
        SET(0, (expr));                                                            \
        return 0;                                                                  \
    }

UNARY_D(d_abs, mul(G, IN(0) ? ct_sign(IN(0)) : NULL))
UNARY_D(d_zero, zero_like_g(G))
UNARY_D(d_square, mul(ms(G, 2), IN(0)))
UNARY_D(d_reciprocal, ct_neg(mul(G, sq(OUT()))))
UNARY_D(d_exp2, mul(ms(G, M_LN2), OUT()))
UNARY_D(d_expm1, mul(G, as(OUT(), 1)))
UNARY_D(d_log2, dv(G, ms(IN(0), M_LN2)))
UNARY_D(d_log10, dv(G, ms(IN(0), M_LN10)))
UNARY_D(d_log1p, dv(G, as(IN(0), 1)))
UNARY_D(d_sqrt, dv(G, ms(OUT(), 2)))
UNARY_D(d_rsqrt, mul(ms(G, -0.5), mul(OUT(), sq(OUT()))))
UNARY_D(d_sin, mul(G, IN(0) ? ct_cos(IN(0)) : NULL))
UNARY_D(d_cos, mul(ct_neg(G), IN(0) ? ct_sin(IN(0)) : NULL))
UNARY_D(d_tan, mul(G, as(sq(OUT()), 1)))
UNARY_D(d_asin, dv(G, IN(0) ? ct_sqrt(rs(1, sq(IN(0)))) : NULL))
UNARY_D(d_acos, dv(ct_neg(G), IN(0) ? ct_sqrt(rs(1, sq(IN(0)))) : NULL))
UNARY_D(d_atan, dv(G, as(sq(IN(0)), 1)))
UNARY_D(d_sinh, mul(G, IN(0) ? ct_cosh(IN(0)) : NULL))
UNARY_D(d_cosh, mul(G, IN(0) ? ct_sinh(IN(0)) : NULL))
UNARY_D(d_tanh, mul(G, rs(1, sq(OUT()))))
UNARY_D(d_asinh, dv(G, IN(0) ? ct_sqrt(as(sq(IN(0)), 1)) : NULL))
UNARY_D(d_acosh, dv(G, IN(0) ? ct_sqrt(as(sq(IN(0)), -1)) : NULL))
UNARY_D(d_atanh, dv(G, rs(1, sq(IN(0)))))
UNARY_D(d_erf, mul(ms(G, M_2_SQRTPI), IN(0) ? ct_exp(ct_neg(sq(IN(0)))) : NULL))
UNARY_D(d_erfc, mul(ms(G, -M_2_SQRTPI), IN(0) ? ct_exp(ct_neg(sq(IN(0)))) : NULL))
UNARY_D(d_frac, G)
UNARY_D(d_nan_to_num, keep(IN(0) ? ct_isfinite(IN(0)) : NULL, G))
UNARY_D(d_sigmoid, mul(G, mul(OUT(), rs(1, OUT()))))
UNARY_D(d_relu, keep(OUT() ? ct_gt_scalar(OUT(), 0) : NULL, G))
UNARY_D(d_silu, mul(G, IN(0) ? mul(ct_sigmoid(IN(0)),
                                    as(mul(IN(0), rs(1, ct_sigmoid(IN(0)))), 1))
                              : NULL))

static int d_logit(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    ct_tensor *d = dv(g[0], mul(x, rs(1, x)));
    double eps = n->args.f[0];
    if (d) { /* as PyTorch: 0 outside [eps, 1 - eps]; without eps, NaN outside [0, 1] */
        double lo = eps >= 0 ? eps : 0;
        ct_tensor *inside = ct_logical_and(ct_ge_scalar(x, lo), ct_le_scalar(x, 1 - lo));
        d = inside ? ct_where(inside, d, W(eps >= 0 ? 0.0 : NAN)) : NULL;
    }
    SET(0, d);
    return 0;
}

/* comparisons written in place (x.eq_(y)): the result is constant */
static int d_compare(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, zero_like_g(g[0]));
    SET(1, zero_like_g(g[0]));
    return 0;
}

/* ops PyTorch 1.13 has no derivative for: the node fails at backward */
static int d_not_implemented(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)g; (void)gin;
    ct_set_error(CT_ERR_RUNTIME, "derivative for aten::%s%s is not implemented",
                 ct_op_table[n->op].name, n->inplace ? "_" : "");
    return -1;
}

static int d_gelu(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    if (n->args.i[0] == 1) { /* tanh approximation */
        const double k = M_SQRT2 * M_2_SQRTPI * 0.5, c = 0.044715;
        ct_tensor *x2 = sq(x);
        ct_tensor *t = ct_tanh(ms(mul(x, as(ms(x2, c), 1)), k));
        ct_tensor *left = ms(as(t, 1), 0.5);
        ct_tensor *right = mul(ms(x, 0.5 * k), mul(rs(1, sq(t)), as(ms(x2, 3 * c), 1)));
        SET(0, mul(g[0], left && right ? ct_add(left, right) : NULL));
    } else { /* Phi(x) + x phi(x) */
        ct_tensor *cdf = ms(as(ct_erf(ms(x, M_SQRT1_2)), 1), 0.5);
        ct_tensor *pdf = ms(ct_exp(ms(sq(x), -0.5)), M_2_SQRTPI * M_SQRT1_2 * 0.5);
        ct_tensor *d = cdf && pdf ? ct_add(cdf, mul(x, pdf)) : NULL;
        SET(0, mul(g[0], d));
    }
    return 0;
}

static int d_softplus(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double beta = n->args.f[0], thr = n->args.f[1];
    ct_tensor *x = IN(0);
    if (!x) return -1;
    ct_tensor *bx = ms(x, beta);
    ct_tensor *d = mul(g[0], ct_sigmoid(bx));
    SET(0, d ? ct_where(ct_gt_scalar(bx, thr), g[0], d) : NULL);
    return 0;
}

static int d_elu(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0), *y = OUT();
    if (!x || !y) return -1;
    ct_tensor *neg = mul(g[0], as(y, n->args.f[0]));
    SET(0, neg ? ct_where(ct_gt_scalar(x, 0), g[0], neg) : NULL);
    return 0;
}

static int d_leaky_relu(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    SET(0, ct_where(ct_gt_scalar(x, 0), g[0], ms(g[0], n->args.f[0])));
    return 0;
}

static int d_hardtanh(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    ct_tensor *inside = ct_logical_and(ct_gt_scalar(x, n->args.f[0]), ct_lt_scalar(x, n->args.f[1]));
    SET(0, keep(inside, g[0]));
    return 0;
}

/* remainder: da = g, db = -g * floor(a / b); fmod: trunc instead */
static int d_remainder(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    SET(0, g[0]);
    if (NEED(1)) {
        ct_tensor *a = IN(0), *b = IN(1);
        SET(1, a && b ? ct_neg(mul(g[0], ct_div_mode(a, b, n->op == CT_OP_fmod ? "trunc" : "floor")))
                      : NULL);
    }
    return 0;
}

/* pow: da = g b a^(b-1); db = g out log(a), 0 where a == 0 and b >= 0.
 * pow_scalar_base records {wrapped base, x}. */
static int d_pow(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0), *b = IN(1);
    if (!a || !b) return -1;
    if (NEED(0)) SET(0, mul(g[0], mul(b, ct_pow(a, as(b, -1)))));
    if (NEED(1)) {
        ct_tensor *y = OUT();
        ct_tensor *d = mul(g[0], mul(y, ct_log(a)));
        ct_tensor *z = ct_logical_and(ct_eq_scalar(a, 0), ct_ge_scalar(b, 0));
        SET(1, d && z ? ct_where(z, W(0), d) : NULL);
    }
    return 0;
}

static int d_atan2(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0), *b = IN(1);
    if (!a || !b) return -1;
    ct_tensor *den = ct_add(sq(a), sq(b));
    SET(0, mul(g[0], dv(b, den)));
    SET(1, mul(g[0], dv(ct_neg(a), den)));
    return 0;
}

static int d_hypot(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *y = OUT();
    if (NEED(0)) SET(0, mul(g[0], dv(IN(0), y)));
    if (NEED(1)) SET(1, mul(g[0], dv(IN(1), y)));
    return 0;
}

/* maximum/minimum: the winner gets g, ties split it */
static int d_maxmin(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *a = IN(0), *b = IN(1);
    if (!a || !b) return -1;
    bool mx = n->op == CT_OP_maximum;
    ct_tensor *half = ms(g[0], 0.5), *eq = ct_eq(a, b);
    if (NEED(0)) SET(0, ct_where(eq, half, keep(mx ? ct_gt(a, b) : ct_lt(a, b), g[0])));
    if (NEED(1)) SET(1, ct_where(eq, half, keep(mx ? ct_lt(a, b) : ct_gt(a, b), g[0])));
    return 0;
}

static int d_lerp(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!n->args.b[0]) {
        double w = n->args.f[0];
        SET(0, ms(g[0], 1 - w));
        SET(1, ms(g[0], w));
        return 0;
    }
    ct_tensor *w = IN(2);
    if (!w) return -1;
    SET(0, mul(g[0], rs(1, w)));
    SET(1, mul(g[0], w));
    if (NEED(2)) SET(2, mul(g[0], IN(0) && IN(1) ? ct_sub(IN(1), IN(0)) : NULL));
    return 0;
}

static int d_addcmul(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double v = n->args.f[0];
    SET(0, g[0]);
    if (NEED(1)) SET(1, mul(ms(g[0], v), IN(2)));
    if (NEED(2)) SET(2, mul(ms(g[0], v), IN(1)));
    return 0;
}

static int d_addcdiv(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    double v = n->args.f[0];
    SET(0, g[0]);
    ct_tensor *t2 = IN(2);
    if (!t2) return -1;
    if (NEED(1)) SET(1, dv(ms(g[0], v), t2));
    if (NEED(2)) SET(2, ct_neg(dv(mul(ms(g[0], v), IN(1)), sq(t2))));
    return 0;
}

/* clamp family: the gradient passes where x is within the bounds; a tensor
 * bound gets it where it was the one chosen */
static int d_clamp(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *x = IN(0);
    if (!x) return -1;
    bool tensor = n->args.b[2] || (n->op != CT_OP_clamp && n->nin > 1);
    bool has_min, has_max;
    ct_tensor *lo = NULL, *hi = NULL; /* tensor bounds */
    int ilo = -1, ihi = -1;
    if (n->op == CT_OP_clamp) {
        has_min = n->args.b[0];
        has_max = n->args.b[1];
        if (tensor) {
            ilo = has_min ? 1 : -1;
            ihi = has_max ? (n->nin > 2 ? 2 : 1) : -1;
        }
    } else {
        has_min = n->op == CT_OP_clamp_min;
        has_max = !has_min;
        if (tensor) {
            if (has_min) ilo = 1;
            else ihi = 1;
        }
    }
    if (ilo >= 0 && !(lo = IN(ilo))) return -1;
    if (ihi >= 0 && !(hi = IN(ihi))) return -1;
    ct_tensor *ok = NULL;
    if (has_min) {
        ok = lo ? ct_ge(x, lo)
                : ct_ge_scalar(x, n->op == CT_OP_clamp ? n->args.f[0] : n->args.f[0]);
        if (!ok) return -1;
    }
    if (has_max) {
        double m = n->op == CT_OP_clamp ? n->args.f[1] : n->args.f[0];
        ct_tensor *c = hi ? ct_le(x, hi) : ct_le_scalar(x, m);
        ok = ok ? ct_logical_and(ok, c) : c;
        if (!ok) return -1;
    }
    SET(0, keep(ok, g[0]));
    if (ilo >= 0 && NEED(ilo)) SET(ilo, keep(ct_lt(x, lo), g[0]));
    if (ihi >= 0 && NEED(ihi)) SET(ihi, keep(ct_gt(x, hi), g[0]));
    return 0;
}

static int d_where(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *c = IN(0);
    if (!c) return -1;
    if (NEED(1)) SET(1, ct_where(c, g[0], W(0)));
    if (NEED(2)) SET(2, ct_where(c, W(0), g[0]));
    return 0;
}

void ct__ag_register_pointwise(void) {
    ct_deriv *t = ct__ag_derivs;
    t[CT_OP_add] = (ct_deriv){d_add, 0, 0, 0, 0};
    t[CT_OP_sub] = (ct_deriv){d_sub, 0, 0, 0, 0};
    t[CT_OP_mul] = (ct_deriv){d_mul, 0x3, 0, 0, 0x3};
    t[CT_OP_div] = (ct_deriv){d_div, 0x3, 0, 0, 0x1};
    t[CT_OP_neg] = (ct_deriv){d_neg, 0, 0, 0, 0};
    t[CT_OP_exp] = (ct_deriv){d_exp, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_log] = (ct_deriv){d_log, 0x1, 0, 0, 0};
    t[CT_OP_remainder] = (ct_deriv){d_remainder, 0x3, 0, 0, 0};
    t[CT_OP_fmod] = (ct_deriv){d_remainder, 0x3, 0, 0, 0};
    t[CT_OP_pow] = (ct_deriv){d_pow, 0x3 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_atan2] = (ct_deriv){d_atan2, 0x3, 0, 0, 0};
    t[CT_OP_hypot] = (ct_deriv){d_hypot, 0x3 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_maximum] = (ct_deriv){d_maxmin, 0x3, 0, 0, 0};
    t[CT_OP_minimum] = (ct_deriv){d_maxmin, 0x3, 0, 0, 0};
    t[CT_OP_lerp] = (ct_deriv){d_lerp, 0x7, 0, 0, 0};
    t[CT_OP_addcmul] = (ct_deriv){d_addcmul, 0x6, 0, 0, 0x6};
    t[CT_OP_addcdiv] = (ct_deriv){d_addcdiv, 0x6, 0, 0, 0};
    t[CT_OP_clamp] = (ct_deriv){d_clamp, 0x7, 0, 0, 0};
    t[CT_OP_clamp_min] = (ct_deriv){d_clamp, 0x3, 0, 0, 0};
    t[CT_OP_clamp_max] = (ct_deriv){d_clamp, 0x3, 0, 0, 0};
    t[CT_OP_where] = (ct_deriv){d_where, 0x1, 0, 0, 0};
    t[CT_OP_abs] = (ct_deriv){d_abs, 0x1, 0, 0, 0};
    t[CT_OP_sign] = (ct_deriv){d_zero, 0, 0, 0, 0};
    /* recorded only when written in place into a floating tensor */
    t[CT_OP_eq] = t[CT_OP_ne] = t[CT_OP_lt] = (ct_deriv){d_compare, 0, 0, 0, 0};
    t[CT_OP_le] = t[CT_OP_gt] = t[CT_OP_ge] = (ct_deriv){d_compare, 0, 0, 0, 0};
    t[CT_OP_floor_divide] = (ct_deriv){d_not_implemented, 0, 0, 0, 0};
    t[CT_OP_square] = (ct_deriv){d_square, 0x1, 0, 0, 0};
    t[CT_OP_reciprocal] = (ct_deriv){d_reciprocal, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_exp2] = (ct_deriv){d_exp2, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_expm1] = (ct_deriv){d_expm1, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_log2] = (ct_deriv){d_log2, 0x1, 0, 0, 0};
    t[CT_OP_log10] = (ct_deriv){d_log10, 0x1, 0, 0, 0};
    t[CT_OP_log1p] = (ct_deriv){d_log1p, 0x1, 0, 0, 0};
    t[CT_OP_sqrt] = (ct_deriv){d_sqrt, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_rsqrt] = (ct_deriv){d_rsqrt, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_sin] = (ct_deriv){d_sin, 0x1, 0, 0, 0};
    t[CT_OP_cos] = (ct_deriv){d_cos, 0x1, 0, 0, 0};
    t[CT_OP_tan] = (ct_deriv){d_tan, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_asin] = (ct_deriv){d_asin, 0x1, 0, 0, 0};
    t[CT_OP_acos] = (ct_deriv){d_acos, 0x1, 0, 0, 0};
    t[CT_OP_atan] = (ct_deriv){d_atan, 0x1, 0, 0, 0};
    t[CT_OP_sinh] = (ct_deriv){d_sinh, 0x1, 0, 0, 0};
    t[CT_OP_cosh] = (ct_deriv){d_cosh, 0x1, 0, 0, 0};
    t[CT_OP_tanh] = (ct_deriv){d_tanh, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_asinh] = (ct_deriv){d_asinh, 0x1, 0, 0, 0};
    t[CT_OP_acosh] = (ct_deriv){d_acosh, 0x1, 0, 0, 0};
    t[CT_OP_atanh] = (ct_deriv){d_atanh, 0x1, 0, 0, 0};
    t[CT_OP_erf] = (ct_deriv){d_erf, 0x1, 0, 0, 0};
    t[CT_OP_erfc] = (ct_deriv){d_erfc, 0x1, 0, 0, 0};
    t[CT_OP_floor] = (ct_deriv){d_zero, 0, 0, 0, 0};
    t[CT_OP_ceil] = (ct_deriv){d_zero, 0, 0, 0, 0};
    t[CT_OP_round] = (ct_deriv){d_zero, 0, 0, 0, 0};
    t[CT_OP_trunc] = (ct_deriv){d_zero, 0, 0, 0, 0};
    t[CT_OP_frac] = (ct_deriv){d_frac, 0, 0, 0, 0};
    t[CT_OP_nan_to_num] = (ct_deriv){d_nan_to_num, 0x1, 0, 0, 0};
    t[CT_OP_sigmoid] = (ct_deriv){d_sigmoid, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_logit] = (ct_deriv){d_logit, 0x1, 0, 0, 0};
    t[CT_OP_relu] = (ct_deriv){d_relu, CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_gelu] = (ct_deriv){d_gelu, 0x1, 0, 0, 0};
    t[CT_OP_silu] = (ct_deriv){d_silu, 0x1, 0, 0, 0};
    t[CT_OP_softplus] = (ct_deriv){d_softplus, 0x1, 0, 0, 0};
    t[CT_OP_elu] = (ct_deriv){d_elu, 0x1 | CT_SAVE_OUTPUT, 0, 0, 0};
    t[CT_OP_leaky_relu] = (ct_deriv){d_leaky_relu, 0x1, 0, 0, 0};
    t[CT_OP_hardtanh] = (ct_deriv){d_hardtanh, 0x1, 0, 0, 0};
}
