/* Gradients of the view ops: gradcheck and gradgradcheck (float64, central
 * differences) on non-contiguous inputs, plus hand-derived values. */
#include "test_autograd.h"

static ct_tensor *f_view(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_view(x[0], SHAPE(3, 4), 2);
}
TEST(grad_view, splits_dims_of_a_strided_input) {
    ct_tensor *base = tt_rand(SHAPE(12), 1, CT_FLOAT64, -1, 1, 1);
    ct_set_requires_grad(base, true);
    GRADCHECK(f_view, base);
}

static ct_tensor *f_reshape(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_reshape(x[0], SHAPE(-1), 1);
}
TEST(grad_reshape, copies_a_transposed_input) {
    GRADCHECK(f_reshape, noncontig2(3, 4, 2));
}

static ct_tensor *f_as_strided(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    /* overlapping windows: element 1..3 appear twice */
    return ct_as_strided(x[0], SHAPE(3, 2), SHAPE(1, 1), 2, x[0]->offset + 1);
}
TEST(grad_as_strided, sums_overlapping_windows) {
    ct_tensor *base = tt_rand(SHAPE(8), 1, CT_FLOAT64, -1, 1, 3);
    ct_tensor *x = ct_narrow(base, 0, 2, 5); /* contiguous with an offset */
    ct_set_requires_grad(x, true);
    GRADCHECK(f_as_strided, x);
    /* by hand: d sum(y * c)/dx with c = 0..5 over y[i][j] = x[1 + i + j] */
    ct_tensor *y = f_as_strided(&x, 1, NULL);
    CHECK(ct_backward(ag_dot(y, ag_arange(6, SHAPE(3, 2), 2)), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(5), 1, VALS(0, 0, 1 + 2, 3 + 4, 5), 0);
    ct_tensor *nc = noncontig2(2, 3, 4);
    ct_tensor *z = ct_as_strided(nc, SHAPE(2), SHAPE(1), 1, nc->offset);
    ct_clear_error();
    CHECK(ct_backward(ag_sum(z), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "was not contiguous"));
}

static ct_tensor *f_permute(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_permute(x[0], (const int[]){2, 0, 1}, 3);
}
TEST(grad_permute, inverts_the_permutation) { GRADCHECK(f_permute, strided3(2, 3, 2, 5)); }

static ct_tensor *f_transpose(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_transpose(x[0], 0, -1);
}
TEST(grad_transpose, swaps_back) { GRADCHECK(f_transpose, strided3(2, 3, 2, 6)); }

static ct_tensor *f_t(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_t(x[0]);
}
TEST(grad_t, transposes_back) { GRADCHECK(f_t, noncontig2(2, 3, 7)); }

static ct_tensor *f_expand(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_expand(x[0], SHAPE(2, 3, 4), 3);
}
TEST(grad_expand, sums_over_broadcast_dims) {
    ct_tensor *x = tt_rand(SHAPE(3, 1), 2, CT_FLOAT64, -1, 1, 8);
    ct_set_requires_grad(x, true);
    GRADCHECK(f_expand, x);
    /* d sum(expand(x) * c) / dx[i] = sum over a, k of c[a][i][k], c = 0..23 */
    ct_tensor *y = f_expand(&x, 1, NULL);
    CHECK(ct_backward(ag_dot(y, ag_arange(24, SHAPE(2, 3, 4), 3)), NULL, false, false, NULL,
                      0) == 0);
    double e[3];
    for (int i = 0; i < 3; i++) {
        e[i] = 0;
        for (int a = 0; a < 2; a++)
            for (int k = 0; k < 4; k++) e[i] += a * 12 + i * 4 + k;
    }
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3, 1), 2, e, 0);
}

static ct_tensor *f_squeeze(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_squeeze(x[0]);
}
static ct_tensor *f_unsqueeze(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_unsqueeze(x[0], -1);
}
TEST(grad_squeeze, restores_size_one_dims) {
    ct_tensor *x = strided3(1, 3, 2, 9);
    GRADCHECK(f_squeeze, x);
}
TEST(grad_unsqueeze, drops_the_new_dim) { GRADCHECK(f_unsqueeze, noncontig2(2, 3, 10)); }

static ct_tensor *f_narrow(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_narrow(x[0], 1, 1, 2);
}
TEST(grad_narrow, scatters_into_zeros) {
    ct_tensor *x = noncontig2(2, 4, 11);
    GRADCHECK(f_narrow, x);
    ct_tensor *y = f_narrow(&x, 1, NULL);
    CHECK(ct_backward(ag_dot(y, ag_arange(4, SHAPE(2, 2), 2)), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 4), 2, VALS(0, 0, 1, 0, 0, 2, 3, 0), 0);
}

static ct_tensor *f_select(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_select(x[0], 1, -1);
}
TEST(grad_select, scatters_one_index) { GRADCHECK(f_select, strided3(2, 3, 2, 12)); }

static ct_tensor *f_slice(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_slice(x[0], 0, 1, 5, 2);
}
TEST(grad_slice, scatters_with_a_step) {
    ct_tensor *x = noncontig2(5, 2, 13);
    GRADCHECK(f_slice, x);
    ct_tensor *y = f_slice(&x, 1, NULL);
    CHECK(ct_backward(ag_dot(y, ag_arange(4, SHAPE(2, 2), 2)), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(5, 2), 2, VALS(0, 0, 0, 1, 0, 0, 2, 3, 0, 0), 0);
}

static ct_tensor *f_flatten(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_flatten(x[0], 0, 1);
}
TEST(grad_flatten, reshapes_back) { GRADCHECK(f_flatten, strided3(2, 3, 2, 14)); }

static ct_tensor *f_unflatten(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_unflatten(x[0], 1, SHAPE(2, 2), 2);
}
TEST(grad_unflatten, reshapes_back) { GRADCHECK(f_unflatten, noncontig2(3, 4, 15)); }

static ct_tensor *f_unfold(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_unfold(x[0], 1, 3, 1);
}
TEST(grad_unfold, sums_overlapping_windows) {
    ct_tensor *x = noncontig2(2, 5, 16);
    GRADCHECK(f_unfold, x);
    /* ones through the windows: element j of a row is in min(j+1, 3, 5-j) windows */
    ct_tensor *y = f_unfold(&x, 1, NULL);
    CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 5), 2, VALS(1, 2, 3, 2, 1, 1, 2, 3, 2, 1), 0);
}

static ct_tensor *f_diagonal(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_diagonal(x[0], 1, 0, 1);
}
TEST(grad_diagonal, scatters_onto_the_diagonal) {
    ct_tensor *x = noncontig2(3, 4, 17);
    GRADCHECK(f_diagonal, x);
    ct_tensor *y = f_diagonal(&x, 1, NULL);
    CHECK(ct_backward(ag_dot(y, tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT64)), NULL, false,
                      false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3, 4), 2, VALS(0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3), 0);
}

static ct_tensor *f_contiguous(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_contiguous(x[0]);
}
TEST(grad_contiguous, passes_the_gradient_through) { GRADCHECK(f_contiguous, noncontig2(3, 2, 18)); }

static ct_tensor *f_clone(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_clone(x[0]);
}
TEST(grad_clone, passes_the_gradient_through) { GRADCHECK(f_clone, strided3(2, 2, 3, 19)); }

static ct_tensor *f_to_dtype(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_to_dtype(x[0], CT_FLOAT64, true);
}
TEST(grad_to_dtype, casts_the_gradient_back) {
    GRADCHECK(f_to_dtype, noncontig2(2, 3, 20));
    ct_tensor *x = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    ct_set_requires_grad(x, true);
    ct_tensor *y = ct_to_dtype(x, CT_FLOAT64, false);
    CHECK(strcmp(ct_node_name(ct_grad_fn(y)), "ToDtypeBackward0") == 0);
    CHECK(ct_backward(y, tt_tensor(VALS(0.5, 3), SHAPE(2), 1, CT_FLOAT64), false, false, NULL,
                      0) == 0);
    ct_tensor *g = ct_tensor_grad(x);
    CHECK(g && g->dtype == CT_FLOAT32);
    CHECK_TENSOR(g, SHAPE(2), 1, VALS(0.5, 3), 0);
    /* integer results are not differentiable: no graph */
    CHECK(!ct_requires_grad(ct_to_dtype(x, CT_INT32, false)));
}

static ct_tensor *f_copy_(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *a = ct_clone(x[0]);
    return ct_copy_(a, x[1]);
}
TEST(grad_copy_, reduces_a_broadcast_source) {
    ct_tensor *x = noncontig2(3, 2, 21);
    ct_tensor *w = tt_rand(SHAPE(2), 1, CT_FLOAT64, -1, 1, 22);
    ct_set_requires_grad(w, true);
    GRADCHECK(f_copy_, x, w);
}
