/* Gradients of the pointwise ops: gradcheck and gradgradcheck in float64
 * with broadcasting and non-contiguous operands, plus engine behaviour that
 * needs real ops (version errors naming the node, create_graph). */
#include "test_autograd.h"

#define BIN_FN(name, expr)                                                         \
    static ct_tensor *name(ct_tensor *const *x, int n, void *c) {                  \
        (void)n; (void)c;                                                          \
        return expr;                                                               \
    }

BIN_FN(f_add, ct_add(x[0], x[1]))
BIN_FN(f_add_alpha, ct_add_alpha(x[0], x[1], -2.5))
BIN_FN(f_sub, ct_sub_alpha(x[0], x[1], 3.0))
BIN_FN(f_mul, ct_mul(x[0], x[1]))
BIN_FN(f_div, ct_div(x[0], x[1]))
BIN_FN(f_div_floor, ct_div_mode(x[0], x[1], "floor"))
BIN_FN(f_neg, ct_neg(x[0]))
BIN_FN(f_exp, ct_exp(x[0]))
BIN_FN(f_log, ct_log(x[0]))
BIN_FN(f_mul_scalar, ct_mul_scalar(x[0], 1.5))
BIN_FN(f_sub_scalar, ct_sub_scalar(x[0], 1.5))

TEST(grad_add, broadcasts_and_scales_by_alpha) {
    GRADCHECK(f_add, noncontig2(3, 4, 1), rleaf(SHAPE(4), 1, -1, 1, 2));
    GRADCHECK(f_add_alpha, rleaf(SHAPE(2, 1, 3), 3, -1, 1, 3), strided3(1, 4, 3, 4));
}

TEST(grad_sub, broadcasts_and_scales_by_alpha) {
    GRADCHECK(f_sub, rleaf(SHAPE(3, 1), 2, -1, 1, 5), noncontig2(3, 2, 6));
    GRADCHECK(f_sub_scalar, noncontig2(2, 3, 7));
}

TEST(grad_mul, broadcasts_both_ways) {
    GRADCHECK(f_mul, rleaf(SHAPE(3, 1), 2, -1, 1, 8), noncontig2(1, 4, 9));
    GRADCHECK(f_mul_scalar, strided3(2, 2, 2, 10));
    GRADCHECK(f_mul, rleaf(SHAPE(0), 0, -1, 1, 11), rleaf(SHAPE(3), 1, -1, 1, 12));
}

TEST(grad_div, true_division_and_zero_for_rounding_modes) {
    GRADCHECK(f_div, noncontig2(2, 3, 13), rleaf(SHAPE(3), 1, 1, 2, 14));
    /* floor division has zero gradient (piecewise constant) */
    ct_tensor *a = rleaf(SHAPE(3), 1, 1, 5, 15), *b = rleaf(SHAPE(3), 1, 1, 2, 16);
    ct_tensor *y = f_div_floor((ct_tensor *[]){a, b}, 2, NULL);
    CHECK_OK(y);
    CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(a), SHAPE(3), 1, VALS(0, 0, 0), 0);
}

TEST(grad_neg, negates) { GRADCHECK(f_neg, strided3(2, 1, 3, 17)); }

TEST(grad_exp, uses_its_result) {
    GRADCHECK(f_exp, noncontig2(3, 3, 18));
    ct_tensor *x = rleaf(SHAPE(2), 1, -1, 1, 19);
    CHECK(strcmp(ct_node_name(ct_grad_fn(ct_exp(x))), "ExpBackward0") == 0);
}

TEST(grad_log, divides_by_the_input) {
    ct_tensor *base = tt_rand(SHAPE(3, 2), 2, CT_FLOAT64, 0.5, 2, 20);
    ct_tensor *x = ct_t(base); /* positive and transposed */
    ct_set_requires_grad(x, true);
    GRADCHECK(f_log, x);
}

TEST(autograd, version_error_names_the_node_of_the_saved_result) {
    /* PyTorch: a = x.exp(); a.mul_(2); a.sum().backward() */
    ct_tensor *x = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT32);
    ct_set_requires_grad(x, true);
    ct_tensor *a = ct_exp(x);
    CHECK_OK(ct_mul_(a, ct_wrapped_float(2)));
    ct_clear_error();
    CHECK(ct_backward(ag_sum(a), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(),
                 "one of the variables needed for gradient computation has been modified by an "
                 "inplace operation: [torch.FloatTensor [3]], which is output 0 of ExpBackward0, "
                 "is at version 1; expected version 0 instead."));
}

TEST(autograd, in_place_ops_rebase_and_chain) {
    /* y = (x * 3) then y += x; y *= 2 -> dy/dx = (3 + 1) * 2 = 8 */
    ct_tensor *x = rleaf(SHAPE(3), 1, -1, 1, 21);
    ct_tensor *y = ct_mul_scalar(x, 3);
    CHECK_OK(ct_add_(y, x));
    CHECK_OK(ct_mul_(y, ct_wrapped_float(2)));
    CHECK(strcmp(ct_node_name(ct_grad_fn(y)), "MulBackward0") == 0);
    CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(8, 8, 8), 0);
}

TEST(autograd, in_place_add_through_a_view_of_a_non_leaf) {
    /* a = x * 1; a[1:3] += w; loss = sum(a * c): dx = c, dw = c[1:3] */
    ct_tensor *x = rleaf(SHAPE(4), 1, -1, 1, 22);
    ct_tensor *w = rleaf(SHAPE(2), 1, -1, 1, 23);
    ct_tensor *a = ct_mul_scalar(x, 1);
    CHECK_OK(ct_add_(ct_slice(a, 0, 1, 3, 1), w));
    ct_tensor *c = tt_tensor(VALS(1, 2, 3, 4), SHAPE(4), 1, CT_FLOAT64);
    CHECK(ct_backward(ag_sum(ct_mul(a, c)), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(4), 1, VALS(1, 2, 3, 4), 1e-12);
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(2), 1, VALS(2, 3), 1e-12);
}

TEST(autograd, create_graph_gives_second_derivatives) {
    /* y = sum(exp(x) * x): dy/dx = e^x (1 + x), d2y/dx2 = e^x (2 + x) */
    ct_tensor *x = tt_tensor(VALS(0.5, -1), SHAPE(2), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *y = ag_sum(ct_mul(ct_exp(x), x));
    ct_tensor *g = NULL;
    CHECK(ct_grad(&y, 1, &x, 1, NULL, true, true, false, &g) == 0);
    CHECK(ct_requires_grad(g));
    CHECK_TENSOR(g, SHAPE(2), 1, VALS(exp(0.5) * 1.5, exp(-1) * 0), 1e-12);
    CHECK(ct_backward(ag_sum(g), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(exp(0.5) * 2.5, exp(-1) * 1), 1e-12);
    /* .grad accumulated with create_graph is itself differentiable */
    ct_tensor *x2 = tt_tensor(VALS(2), SHAPE(1), 1, CT_FLOAT64);
    ct_set_requires_grad(x2, true);
    CHECK(ct_backward(ag_sum(ct_mul(x2, x2)), NULL, false, true, NULL, 0) == 0);
    CHECK(ct_requires_grad(ct_tensor_grad(x2))); /* 2 x */
    /* as in PyTorch, x2 and its differentiable .grad form a reference
     * cycle: clearing .grad breaks it */
    ct_set_grad(x2, NULL);
}

TEST(autograd, hessian_vector_product) {
    /* f(x) = sum(exp(x0 * x1) + x0^2 x1): H v by double backward, checked
     * against the analytic Hessian */
    double a = 0.3, b = -0.7, v0 = 1.5, v1 = -2;
    ct_tensor *x0 = tt_tensor(VALS(a), SHAPE(1), 1, CT_FLOAT64);
    ct_tensor *x1 = tt_tensor(VALS(b), SHAPE(1), 1, CT_FLOAT64);
    ct_set_requires_grad(x0, true);
    ct_set_requires_grad(x1, true);
    ct_tensor *f = ag_sum(ct_add(ct_exp(ct_mul(x0, x1)), ct_mul(ct_mul(x0, x0), x1)));
    ct_tensor *g[2];
    ct_tensor *xs[2] = {x0, x1};
    CHECK(ct_grad(&f, 1, xs, 2, NULL, true, true, false, g) == 0);
    ct_tensor *gv = ct_add(ct_mul_scalar(g[0], v0), ct_mul_scalar(g[1], v1));
    ct_tensor *hv[2];
    CHECK(ct_grad(&gv, 1, xs, 2, NULL, false, false, false, hv) == 0);
    double e = exp(a * b);
    double h00 = b * b * e + 2 * b, h01 = e + a * b * e + 2 * a, h11 = a * a * e;
    CHECK_CLOSE(ct_item_at(hv[0], 0), h00 * v0 + h01 * v1, 1e-12);
    CHECK_CLOSE(ct_item_at(hv[1], 0), h01 * v0 + h11 * v1, 1e-12);
}

/* Taylor coefficients of sqrt(c + 2 b t + a t^2) up to t^6, by power series
 * in double: sqrt(c) * sum_k binom(1/2, k) u^k with u = (2 b t + a t^2) / c. */
static void sqrt_quadratic_series(double a, double b, double c, double *coef) {
    double u[7] = {0, 2 * b / c, a / c, 0, 0, 0, 0}, p[7] = {1, 0, 0, 0, 0, 0, 0};
    double binom = 1;
    for (int i = 0; i < 7; i++) coef[i] = 0;
    for (int k = 0; k <= 6; k++) {
        for (int i = 0; i < 7; i++) coef[i] += binom * p[i];
        double q[7] = {0};
        for (int i = 0; i < 7; i++)
            for (int j = 0; i + j < 7; j++) q[i + j] += p[i] * u[j];
        for (int i = 0; i < 7; i++) p[i] = q[i];
        binom *= (0.5 - k) / (k + 1);
    }
    for (int i = 0; i < 7; i++) coef[i] *= sqrt(c);
}

TEST(autograd, sixth_derivative_of_a_norm) {
    /* f(t) = ||x0 + t v||: d^6 f / dt^6 at t = 0 by six nested grads */
    ct_tensor *x0 = tt_tensor(VALS(0.3, -1.2, 0.8), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *v = tt_tensor(VALS(1.1, 0.4, -0.5), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *t = ct_scalar_tensor(0, CT_FLOAT64);
    ct_set_requires_grad(t, true);
    ct_tensor *x = ct_add(x0, ct_mul(t, v));
    ct_tensor *f = ct_norm(x, 2, NULL, 0, false);
    CHECK_OK(f);
    for (int k = 0; k < 6; k++) {
        ct_tensor *g = NULL;
        CHECK(ct_grad(&f, 1, &t, 1, NULL, true, true, false, &g) == 0);
        f = g;
    }
    double a = 1.1 * 1.1 + 0.4 * 0.4 + 0.25, b = 0.3 * 1.1 - 1.2 * 0.4 - 0.8 * 0.5,
           c = 0.09 + 1.44 + 0.64, coef[7];
    sqrt_quadratic_series(a, b, c, coef);
    CHECK_CLOSE(ct_item_at(f, 0), coef[6] * 720, 1e-9);
    /* the same through sqrt(sum(x * x)) */
    ct_tensor *h = ct_sqrt(ct_sum(ct_mul(x, x)));
    for (int k = 0; k < 6; k++) {
        ct_tensor *g = NULL;
        CHECK(ct_grad(&h, 1, &t, 1, NULL, true, true, false, &g) == 0);
        h = g;
    }
    CHECK_CLOSE(ct_item_at(h, 0), coef[6] * 720, 1e-9);
}

TEST(autograd, in_place_op_needing_its_overwritten_input_fails_clearly) {
    /* y = x * 1; y.mul_(y): the derivative needs y before the write */
    ct_tensor *x = rleaf(SHAPE(2), 1, -1, 1, 90);
    ct_tensor *y = ct_mul_scalar(x, 1);
    CHECK_OK(ct_mul_(y, y));
    ct_clear_error();
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "modified by an inplace operation"));
    /* ops that do not need it work: y.add_(y) doubles the gradient */
    ct_tensor *z = ct_mul_scalar(x, 1);
    CHECK_OK(ct_add_(z, z));
    CHECK(ct_backward(ct_sum(z), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(2, 2), 0);
}

TEST(autograd, mul_by_a_constant_does_not_keep_its_input) {
    /* b = (x + 1) * c with c constant: d b / d(x+1) = c, so x + 1 itself
     * need not be kept; its 1 MiB goes when the caller drops it */
    ct_scope s = ct_scope_begin();
    ct_tensor *x = ct_keep(rleaf(SHAPE(1 << 17), 1, -1, 1, 91));
    ct_tensor *c = ct_keep(tt_rand(SHAPE(1 << 17), 1, CT_FLOAT64, -1, 1, 92));
    ct_tensor *a = ct_keep(ct_add_scalar(x, 1));
    ct_tensor *b = ct_keep(ct_mul(a, c));
    ct_scope_end(s);
    size_t before = ct_host_alloc_stats().bytes_in_use;
    ct_release(a);
    size_t after = ct_host_alloc_stats().bytes_in_use;
    CHECK(before - after >= (size_t)(1 << 20));
    CHECK(ct_backward(b, c, false, false, NULL, 0) == 0);
    /* d <c, (x + 1) c> / dx = c^2 */
    for (int i = 0; i < 3; i++)
        CHECK_CLOSE(ct_item_at(ct_tensor_grad(x), i), ct_item_at(c, i) * ct_item_at(c, i), 1e-15);
    ct_release(b);
    ct_release(c);
    ct_release(x);
}
