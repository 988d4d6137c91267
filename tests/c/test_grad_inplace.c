/* In-place ops under autograd, as PyTorch 1.13 does them: derivatives that
 * read the old value of self get a copy taken before the write; a leaf (or
 * a view of a leaf) that requires grad is refused before anything is
 * written; an in-place write into a view puts the base into the graph
 * (CopySlices) also when the base did not require grad. Expected gradients
 * are the chain rule written out in double precision next to each check. */
#include "test_autograd.h"

#include <math.h>

#define N 4
static const double XV[N] = {0.3, -0.7, 1.2, 0.5};
static const double YV[N] = {1.5, 0.4, -0.8, 2.0};
static const double CV[N] = {1, 2, 3, 4};

static ct_tensor *lf(const double *v) {
    ct_tensor *t = tt_tensor(v, SHAPE(N), 1, CT_FLOAT64);
    ct_set_requires_grad(t, true);
    return t;
}
static ct_tensor *cw(void) { return tt_tensor(CV, SHAPE(N), 1, CT_FLOAT64); }

TEST(autograd_inplace, mul_keeps_the_old_self_for_the_other_gradient) {
    ct_tensor *x = lf(XV), *y = lf(YV);
    ct_tensor *a = ct_clone(x);
    CHECK(ct_mul_(a, y) == a);
    CHECK(strcmp(ct_node_name(ct_grad_fn(a)), "MulBackward0") == 0);
    CHECK(ct_backward(ct_sum(ct_mul(a, cw())), NULL, false, false, NULL, 0) == 0);
    double gx[N], gy[N];
    for (int i = 0; i < N; i++) gx[i] = CV[i] * YV[i], gy[i] = CV[i] * XV[i];
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, gx, 1e-12);
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(N), 1, gy, 1e-12);
}

TEST(autograd_inplace, plain_self_times_a_tensor_that_requires_grad) {
    /* a does not require grad: d/dy of a*y is the old a */
    ct_tensor *a = tt_tensor(XV, SHAPE(N), 1, CT_FLOAT64), *y = lf(YV);
    CHECK(ct_mul_(a, y) == a && a->requires_grad);
    CHECK(ct_backward(ct_sum(ct_mul(a, cw())), NULL, false, false, NULL, 0) == 0);
    double gy[N];
    for (int i = 0; i < N; i++) gy[i] = CV[i] * XV[i];
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(N), 1, gy, 1e-12);
}

TEST(autograd_inplace, div_pow_sin_log_clamp_use_the_old_self) {
    double gx[N], gy[N];
    /* div_: d/dx = c / y, d/dy = -c x / y^2 */
    ct_tensor *x = lf(XV), *y = lf(YV);
    ct_tensor *a = ct_div_(ct_clone(x), y);
    CHECK_OK(a);
    CHECK(ct_backward(ct_sum(ct_mul(a, cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) gx[i] = CV[i] / YV[i], gy[i] = -CV[i] * XV[i] / (YV[i] * YV[i]);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, gx, 1e-12);
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(N), 1, gy, 1e-12);
    /* pow_(|x|, y): d/dx = c y |x|^(y-1), d/dy = c |x|^y log|x| */
    ct_tensor *x2 = lf(XV), *y2 = lf(YV);
    a = ct_pow_(ct_abs(x2), y2);
    CHECK_OK(a);
    CHECK(ct_backward(ct_sum(ct_mul(a, cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) {
        double ax = fabs(XV[i]);
        gx[i] = CV[i] * YV[i] * pow(ax, YV[i] - 1) * (XV[i] < 0 ? -1 : 1);
        gy[i] = CV[i] * pow(ax, YV[i]) * log(ax);
    }
    CHECK_TENSOR(ct_tensor_grad(x2), SHAPE(N), 1, gx, 1e-12);
    CHECK_TENSOR(ct_tensor_grad(y2), SHAPE(N), 1, gy, 1e-12);
    /* sin_: c cos x */
    ct_tensor *x3 = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_sin_(ct_clone(x3)), cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) gx[i] = CV[i] * cos(XV[i]);
    CHECK_TENSOR(ct_tensor_grad(x3), SHAPE(N), 1, gx, 1e-12);
    /* log_(|x|): c / x */
    ct_tensor *x4 = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_log_(ct_abs(x4)), cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) gx[i] = CV[i] / XV[i];
    CHECK_TENSOR(ct_tensor_grad(x4), SHAPE(N), 1, gx, 1e-12);
    /* clamp_(-0.5, 0.5): c inside the bounds, 0 outside */
    ct_tensor *x5 = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_clamp_(ct_clone(x5), &(double){-0.5}, &(double){0.5}), cw())),
                      NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) gx[i] = fabs(XV[i]) <= 0.5 ? CV[i] : 0;
    CHECK_TENSOR(ct_tensor_grad(x5), SHAPE(N), 1, gx, 1e-12);
}

TEST(autograd_inplace, results_saved_by_exp_sigmoid_tanh_stay_valid) {
    double g[N];
    ct_tensor *x = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_exp_(ct_clone(x)), cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) g[i] = CV[i] * exp(XV[i]);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, g, 1e-12);
    ct_tensor *x2 = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_sigmoid_(ct_clone(x2)), cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) {
        double s = 1 / (1 + exp(-XV[i]));
        g[i] = CV[i] * s * (1 - s);
    }
    CHECK_TENSOR(ct_tensor_grad(x2), SHAPE(N), 1, g, 1e-12);
    ct_tensor *x3 = lf(XV);
    CHECK(ct_backward(ct_sum(ct_mul(ct_tanh_(ct_clone(x3)), cw())), NULL, false, false, NULL, 0) == 0);
    for (int i = 0; i < N; i++) g[i] = CV[i] * (1 - tanh(XV[i]) * tanh(XV[i]));
    CHECK_TENSOR(ct_tensor_grad(x3), SHAPE(N), 1, g, 1e-12);
}

TEST(autograd_inplace, self_times_self_still_errors_like_pytorch) {
    /* PyTorch keeps the other operand (x itself) as is: modified, error */
    ct_tensor *x = lf(XV);
    ct_tensor *a = ct_clone(x);
    CHECK(ct_mul_(a, a) == a);
    ct_clear_error();
    CHECK(ct_backward(ct_sum(a), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "modified by an inplace operation"));
}

TEST(autograd_inplace, second_order_through_the_saved_old_self) {
    /* a = clone(x); a *= x (a = x^2); s = sum(a): ds/dx = 2x, d2 = 2 */
    ct_tensor *x = lf(XV);
    ct_tensor *a = ct_mul_(ct_clone(x), x);
    CHECK_OK(a);
    ct_tensor *s = ct_sum(a);
    ct_tensor *g = NULL;
    CHECK(ct_grad(&s, 1, &x, 1, NULL, true, true, false, &g) == 0);
    double e[N];
    for (int i = 0; i < N; i++) e[i] = 2 * XV[i];
    CHECK_TENSOR(g, SHAPE(N), 1, e, 1e-12);
    ct_tensor *gs = ct_sum(ct_mul(g, cw()));
    ct_tensor *g2 = NULL;
    CHECK(ct_grad(&gs, 1, &x, 1, NULL, false, false, false, &g2) == 0);
    for (int i = 0; i < N; i++) e[i] = 2 * CV[i];
    CHECK_TENSOR(g2, SHAPE(N), 1, e, 1e-12);
}

TEST(autograd_inplace, view_of_a_non_leaf_multiplied_in_place) {
    /* a = clone(x); a[0:2] *= y[0:2]: x gets c*y on 0..1, c elsewhere */
    ct_tensor *x = lf(XV), *y = lf(YV);
    ct_tensor *a = ct_clone(x);
    ct_tensor *v = ct_narrow(a, 0, 0, 2);
    CHECK(ct_mul_(v, ct_narrow(y, 0, 0, 2)) == v);
    CHECK(strcmp(ct_node_name(ct_grad_fn(a)), "CopySlices") == 0);
    CHECK(ct_backward(ct_sum(ct_mul(a, cw())), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, VALS(1 * 1.5, 2 * 0.4, 3, 4), 1e-12);
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(N), 1, VALS(1 * 0.3, 2 * -0.7, 0, 0), 1e-12);
}

TEST(autograd_inplace, leaf_error_comes_before_any_write) {
    static const char leaf_msg[] =
        "a leaf Variable that requires grad is being used in an in-place operation.";
    static const char view_msg[] =
        "a view of a leaf Variable that requires grad is being used in an in-place operation.";
    ct_tensor *x = lf(XV);
    ct_tensor *y = tt_tensor(YV, SHAPE(N), 1, CT_FLOAT64);
    uint64_t v0 = ct_version(x);
    CHECK_ERR(ct_mul_(x, y), leaf_msg);
    CHECK_ERR(ct_add_(x, y), leaf_msg);
    CHECK_ERR(ct_exp_(x), leaf_msg);
    CHECK_ERR(ct_clamp_(x, &(double){0.0}, NULL), leaf_msg);
    CHECK_ERR(ct_addcmul_(x, y, y, 2.0), leaf_msg);
    CHECK_ERR(ct_copy_(x, y), leaf_msg);
    CHECK_ERR(ct_fill_(x, 7.0), leaf_msg);
    CHECK_ERR(ct_zero_(x), leaf_msg);
    ct_tensor *mask = tt_tensor(VALS(1, 0, 1, 0), SHAPE(N), 1, CT_BOOL);
    CHECK_ERR(ct_masked_fill_(x, mask, 9.0), leaf_msg);
    ct_tensor *idx = tt_tensor(VALS(1, 3), SHAPE(2), 1, CT_INT64);
    CHECK_ERR(ct_index_fill_(x, 0, idx, 9.0), leaf_msg);
    CHECK_ERR(ct_scatter_(x, 0, idx, y), leaf_msg);
    ct_tensor *v = ct_narrow(x, 0, 1, 2);
    CHECK_ERR(ct_mul_(v, ct_narrow(y, 0, 0, 2)), view_msg);
    CHECK_ERR(ct_copy_(v, ct_narrow(y, 0, 0, 2)), view_msg);
    CHECK_TENSOR(x, SHAPE(N), 1, XV, 0);
    CHECK(ct_version(x) == v0);
    /* without grad mode the write is allowed */
    ct_grad_mode g = ct_no_grad_begin();
    CHECK(ct_mul_(x, y) == x);
    ct_grad_mode_end(g);
    double e[N];
    for (int i = 0; i < N; i++) e[i] = XV[i] * YV[i];
    CHECK_TENSOR(x, SHAPE(N), 1, e, 1e-15);
}

TEST(autograd_inplace, copy_into_a_view_puts_the_base_into_the_graph) {
    /* x plain; x[1:3] = w: x becomes CopySlices, w gets c[1:3] */
    ct_tensor *x = tt_tensor(VALS(0, 0, 0, 0), SHAPE(N), 1, CT_FLOAT64);
    ct_tensor *w = tt_tensor(VALS(5, 6), SHAPE(2), 1, CT_FLOAT64);
    ct_set_requires_grad(w, true);
    ct_tensor *v = ct_slice(x, 0, 1, 3, 1);
    CHECK(ct_copy_(v, w) == v);
    CHECK(x->requires_grad && !ct_is_leaf(x));
    CHECK(strcmp(ct_node_name(ct_grad_fn(x)), "CopySlices") == 0);
    CHECK(strcmp(ct_node_name(ct_grad_fn(v)), "AsStridedBackward0") == 0);
    CHECK_TENSOR(x, SHAPE(N), 1, VALS(0, 5, 6, 0), 0);
    CHECK(ct_backward(ct_sum(ct_mul(ct_mul(x, x), cw())), NULL, false, false, NULL, 0) == 0);
    /* d/dw sum(c x^2) = 2 c x on 1..2 */
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(2), 1, VALS(2 * 2 * 5, 2 * 3 * 6), 1e-12);
    /* an in-place op on a view of a plain 2-d tensor, through a select */
    ct_tensor *m = tt_tensor(VALS(1, 2, 3, 4, 5, 6), SHAPE(2, 3), 2, CT_FLOAT64);
    ct_tensor *z = tt_tensor(VALS(2, 3, 4), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(z, true);
    CHECK_OK(ct_mul_(ct_select(m, 0, 1), z));
    CHECK(strcmp(ct_node_name(ct_grad_fn(m)), "CopySlices") == 0);
    CHECK(ct_backward(ct_sum(m), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(z), SHAPE(3), 1, VALS(4, 5, 6), 0); /* the old row 1 */
    /* under no_grad views keep no base and nothing is recorded */
    ct_grad_mode g = ct_no_grad_begin();
    ct_tensor *q = tt_tensor(VALS(0, 0), SHAPE(2), 1, CT_FLOAT64);
    CHECK_OK(ct_copy_(ct_narrow(q, 0, 0, 2), w));
    ct_grad_mode_end(g);
    CHECK(!q->requires_grad);
}

TEST(autograd_inplace, random_fills_refuse_leaves_and_cut_the_history) {
    ct_tensor *x = lf(XV);
    CHECK_ERR(ct_uniform_(x, 0, 1, NULL),
              "a leaf Variable that requires grad is being used in an in-place operation.");
    CHECK_ERR(ct_normal_(x, 0, 1, NULL), "a leaf Variable that requires grad");
    CHECK_TENSOR(x, SHAPE(N), 1, XV, 0);
    /* y = 2x; y.uniform_(): nothing of x reaches y any more (PyTorch: zeros) */
    ct_tensor *y = ct_mul_scalar(x, 2.0);
    CHECK(ct_uniform_(y, 0, 1, NULL) == y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, VALS(0, 0, 0, 0), 0);
}

TEST(autograd_inplace, comparisons_written_in_place_cut_the_gradient_to_zero) {
    /* PyTorch: y = 2x; y.eq_(z) records EqBackward: x.grad = 0, not the
     * stale 2c of MulBackward */
    ct_tensor *(*cmp[])(ct_tensor *, const ct_tensor *) = {ct_eq_, ct_ne_, ct_lt_, ct_le_, ct_gt_, ct_ge_};
    for (size_t k = 0; k < sizeof cmp / sizeof cmp[0]; k++) {
        ct_tensor *x = lf(XV);
        ct_tensor *y = ct_mul_scalar(x, 2.0);
        CHECK(cmp[k](y, tt_tensor(VALS(0.6, 0, 0, 1), SHAPE(N), 1, CT_FLOAT64)) == y);
        CHECK(y->requires_grad && !ct_is_leaf(y));
        CHECK(ct_backward(ct_sum(ct_mul(y, cw())), NULL, false, false, NULL, 0) == 0);
        CHECK_TENSOR(ct_tensor_grad(x), SHAPE(N), 1, VALS(0, 0, 0, 0), 0);
    }
    /* out= of a comparison is allowed with inputs that require grad */
    ct_tensor *x = lf(XV);
    ct_tensor *o = ct_empty(SHAPE(N), 1, CT_BOOL);
    CHECK(ct_gt_out(o, x, tt_tensor(VALS(0, 0, 0, 0), SHAPE(N), 1, CT_FLOAT64)) == o);
    CHECK_TENSOR(o, SHAPE(N), 1, VALS(1, 0, 1, 1), 0);
    CHECK(!ct_lt(x, x)->requires_grad);
}

TEST(autograd_inplace, floor_divide_has_no_derivative_like_pytorch) {
    ct_tensor *x = lf(XV);
    ct_tensor *y = ct_mul_scalar(x, 2.0);
    CHECK(ct_floor_divide_(y, tt_tensor(VALS(0.3, 0.2, 0.1, 1), SHAPE(N), 1, CT_FLOAT64)) == y);
    CHECK(ct_backward(ct_sum(y), NULL, true, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "derivative for aten::floor_divide_ is not implemented"));
    ct_tensor *z = ct_floor_divide_scalar(x, 2.0);
    CHECK(z->requires_grad);
    CHECK(ct_backward(ct_sum(z), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "derivative for aten::floor_divide is not implemented"));
}

TEST(autograd_inplace, logical_ops_in_place_are_invisible_to_autograd) {
    /* PyTorch allows x.logical_and_(y) on a leaf that requires grad: it
     * stays a leaf, and on a graph tensor the history is kept */
    ct_tensor *x = lf(XV);
    CHECK(ct_logical_and_(x, tt_tensor(VALS(1, 0, 1, 1), SHAPE(N), 1, CT_FLOAT64)) == x);
    CHECK_TENSOR(x, SHAPE(N), 1, VALS(1, 0, 1, 1), 0);
    CHECK(ct_is_leaf(x) && x->requires_grad);
    CHECK(ct_logical_not_(ct_narrow(x, 0, 0, 2)) != NULL);
    CHECK_TENSOR(x, SHAPE(N), 1, VALS(0, 1, 1, 1), 0);
    ct_tensor *w = lf(XV);
    ct_tensor *y = ct_mul_scalar(w, 2.0);
    CHECK(ct_logical_or_(y, tt_tensor(VALS(0, 0, 0, 0), SHAPE(N), 1, CT_FLOAT64)) == y);
    CHECK(strcmp(ct_node_name(ct_grad_fn(y)), "MulBackward0") == 0);
}

TEST(autograd_inplace, logit_gradient_is_nan_outside_the_unit_interval) {
    /* PyTorch: logit'(x) = 1/(x(1-x)) on [0, 1], NaN outside; with eps, 0
     * outside [eps, 1 - eps] */
    ct_tensor *x = tt_tensor(VALS(0.5, -0.3, 1.5, 0.2), SHAPE(N), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *g[1];
    CHECK(ct_grad((ct_tensor *[]){ct_sum(ct_logit(x, -1))}, 1, &x, 1, NULL, false, false, false, g) == 0);
    CHECK_TENSOR(g[0], SHAPE(N), 1, VALS(4, NAN, NAN, 1 / (0.2 * 0.8)), 1e-12);
    CHECK(ct_grad((ct_tensor *[]){ct_sum(ct_logit(x, 0.25))}, 1, &x, 1, NULL, false, false, false, g) == 0);
    CHECK_TENSOR(g[0], SHAPE(N), 1, VALS(4, 0, 0, 0), 1e-12);
}

/* Every in-place op of the C API on t (2 x 3, float64), for the table below. */
static ct_tensor *ones23(void) { return ct_ones(SHAPE(2, 3), 2, CT_FLOAT64); }
static ct_tensor *mask23(void) { return tt_tensor(VALS(1, 0, 1, 0, 1, 0), SHAPE(2, 3), 2, CT_BOOL); }
static ct_tensor *ix2(void) { return tt_tensor(VALS(0, 2), SHAPE(2), 1, CT_INT64); }
#define IP(name, expr) static ct_tensor *ip_##name(ct_tensor *t) { return (expr); }
IP(relu, ct_relu_(t))
IP(elu, ct_elu_(t, 1.0))
IP(leaky_relu, ct_leaky_relu_(t, 0.2))
IP(hardtanh, ct_hardtanh_(t, -0.1, 0.1))
IP(gelu, ct_gelu_(t, NULL))
IP(silu, ct_silu_(t))
IP(logit, ct_logit_(t, 0.1))
IP(clamp, ct_clamp_(t, &(double){-0.1}, &(double){0.1}))
IP(clamp_min, ct_clamp_min_(t, 0.1))
IP(clamp_max, ct_clamp_max_(t, 0.1))
IP(clamp_tensor, ct_clamp_tensor_(t, ct_zeros(SHAPE(3), 1, CT_FLOAT64), NULL))
IP(nan_to_num, ct_nan_to_num_(t, 0.0, NULL, NULL))
IP(round_decimals, ct_round_decimals_(t, 1))
IP(lerp, ct_lerp_(t, ones23(), 0.5))
IP(addcdiv, ct_addcdiv_(t, ones23(), ones23(), 0.5))
IP(tril, ct_tril_(t, 0))
IP(triu, ct_triu_(t, 0))
IP(fill, ct_fill_(t, 7.0))
IP(fill_tensor, ct_fill_tensor_(t, ct_scalar_tensor(7.0, CT_FLOAT64)))
IP(zero, ct_zero_(t))
IP(copy, ct_copy_(t, ones23()))
IP(index_put, ct_index_put_(t, (const ct_tensor *[]){tt_tensor(VALS(1), SHAPE(1), 1, CT_INT64)}, 1,
                            ct_scalar_tensor(9.0, CT_FLOAT64), false))
IP(masked_fill, ct_masked_fill_(t, mask23(), 9.0))
IP(masked_fill_tensor, ct_masked_fill_tensor_(t, mask23(), ct_scalar_tensor(9.0, CT_FLOAT64)))
IP(masked_scatter, ct_masked_scatter_(t, mask23(), ones23()))
IP(index_fill, ct_index_fill_(t, 1, ix2(), 9.0))
IP(index_add, ct_index_add_(t, 1, ix2(), ct_ones(SHAPE(2, 2), 2, CT_FLOAT64), 1.0))
IP(index_copy, ct_index_copy_(t, 1, ix2(), ct_ones(SHAPE(2, 2), 2, CT_FLOAT64)))
IP(put, ct_put_(t, ix2(), ct_ones(SHAPE(2), 1, CT_FLOAT64), false))
IP(scatter_add, ct_scatter_add_(t, 1, tt_tensor(VALS(0, 1), SHAPE(2, 1), 2, CT_INT64), ct_ones(SHAPE(2, 1), 2, CT_FLOAT64)))
IP(uniform, ct_uniform_(t, 0, 1, NULL))
IP(bernoulli, ct_bernoulli_(t, 0.5, NULL))

TEST(autograd_inplace, every_c_in_place_op_refuses_leaves_before_writing) {
    static const char leaf_msg[] =
        "a leaf Variable that requires grad is being used in an in-place operation.";
    static const char view_msg[] =
        "a view of a leaf Variable that requires grad is being used in an in-place operation.";
    static const double v[6] = {0.5, -0.3, 0.2, -0.7, 0.4, 0.25};
    struct { const char *name; ct_tensor *(*fn)(ct_tensor *); } ops[] = {
#define E(n) {#n, ip_##n}
        E(relu), E(elu), E(leaky_relu), E(hardtanh), E(gelu), E(silu), E(logit), E(clamp),
        E(clamp_min), E(clamp_max), E(clamp_tensor), E(nan_to_num), E(round_decimals), E(lerp),
        E(addcdiv), E(tril), E(triu), E(fill), E(fill_tensor), E(zero), E(copy), E(index_put),
        E(masked_fill), E(masked_fill_tensor), E(masked_scatter), E(index_fill), E(index_add),
        E(index_copy), E(put), E(scatter_add), E(uniform), E(bernoulli),
#undef E
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        ct_tensor *x = tt_tensor(v, SHAPE(2, 3), 2, CT_FLOAT64);
        ct_set_requires_grad(x, true);
        ct_clear_error();
        if (ops[k].fn(x) != NULL || !strstr(ct_last_error(), leaf_msg)) {
            ct_test_fail(__FILE__, __LINE__, "%s on a leaf: '%s'", ops[k].name, ct_last_error());
            return;
        }
        ct_clear_error();
        if (ops[k].fn(ct_narrow(x, 0, 0, 2)) != NULL || !strstr(ct_last_error(), view_msg)) {
            ct_test_fail(__FILE__, __LINE__, "%s on a view of a leaf: '%s'", ops[k].name, ct_last_error());
            return;
        }
        CHECK_TENSOR(x, SHAPE(2, 3), 2, v, 0);
        CHECK(ct_version(x) == 0);
        ct_grad_mode g = ct_no_grad_begin();
        ct_tensor *r = ops[k].fn(x);
        ct_grad_mode_end(g);
        if (r != x) {
            ct_test_fail(__FILE__, __LINE__, "%s under no_grad: '%s'", ops[k].name, ct_last_error());
            return;
        }
        CHECK(ct_version(x) > 0 && ct_is_leaf(x) && x->requires_grad);
    }
}

TEST(autograd_inplace, nn_init_writes_leaves_under_no_grad) {
    /* PyTorch's nn.init runs under no_grad: parameters are filled with no
     * error and stay leaves without history */
    ct_tensor *ts[12];
    for (int i = 0; i < 12; i++) {
        ts[i] = ct_zeros(SHAPE(3, 4), 2, CT_FLOAT32);
        ct_set_requires_grad(ts[i], true);
    }
    ct_tensor *d = ct_zeros(SHAPE(3, 3, 1), 3, CT_FLOAT32);
    ct_set_requires_grad(d, true);
    CHECK(ct_init_uniform_(ts[0], -1, 1, NULL) == ts[0]);
    CHECK(ct_init_normal_(ts[1], 0, 1, NULL) == ts[1]);
    CHECK(ct_init_trunc_normal_(ts[2], 0, 1, -2, 2, NULL) == ts[2]);
    CHECK(ct_init_constant_(ts[3], 0.5) == ts[3]);
    CHECK(ct_init_ones_(ts[4]) == ts[4]);
    CHECK(ct_init_zeros_(ts[5]) == ts[5]);
    CHECK(ct_init_eye_(ts[6]) == ts[6]);
    CHECK(ct_init_xavier_uniform_(ts[7], 1.0, NULL) == ts[7]);
    CHECK(ct_init_xavier_normal_(ts[8], 1.0, NULL) == ts[8]);
    CHECK(ct_init_kaiming_uniform_(ts[9], 0, "fan_in", "leaky_relu", NULL) == ts[9]);
    CHECK(ct_init_kaiming_normal_(ts[10], 0, "fan_in", "relu", NULL) == ts[10]);
    CHECK(ct_init_orthogonal_(ts[11], 1.0, NULL) == ts[11]);
    CHECK(ct_init_dirac_(d, 1) == d);
    for (int i = 0; i < 12; i++) CHECK(ct_is_leaf(ts[i]) && ts[i]->requires_grad && ct_grad_fn(ts[i]) == NULL);
    CHECK_CLOSE(ct_item_at(ts[3], 5), 0.5, 0);
    CHECK_CLOSE(ct_item_at(ts[6], 5), 1.0, 0);
    CHECK_CLOSE(ct_item_at(d, 4), 1.0, 0);
    CHECK(ct_is_grad_enabled());
}
