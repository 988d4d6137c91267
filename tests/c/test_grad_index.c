/* Gradients of the index ops and the in-place fills: gradcheck and
 * gradgradcheck in float64 on non-contiguous inputs, repeated indices
 * included. */
#include "test_autograd.h"

static ct_tensor *ix(const double *v, const int64_t *shape, int nd) { return tt_tensor(v, shape, nd, CT_INT64); }

FN(f_index_select, ct_index_select(x[0], 1, ix(VALS(2, 0, 2), SHAPE(3), 1)))
FN(f_gather, ct_gather(x[0], 1, ix(VALS(0, 2, 2, 1, 1, 0), SHAPE(2, 3), 2)))
FN(f_scatter, ct_scatter(x[0], 1, ix(VALS(0, 2, 1, 0), SHAPE(2, 2), 2), x[1]))
FN(f_scatter_v, ct_scatter_value(x[0], 0, ix(VALS(1, 0, 1), SHAPE(1, 3), 2), 2.5))
FN(f_scatter_add, ct_scatter_add(x[0], 1, ix(VALS(0, 0, 1, 2), SHAPE(2, 2), 2), x[1]))
FN(f_scatter_sum, ct_scatter_reduce(x[0], 1, ix(VALS(0, 0, 1, 2), SHAPE(2, 2), 2), x[1], "sum", true))
FN(f_scatter_mean, ct_scatter_reduce(x[0], 1, ix(VALS(0, 0, 1, 2), SHAPE(2, 2), 2), x[1], "mean", true))
FN(f_scatter_mean_x, ct_scatter_reduce(x[0], 1, ix(VALS(0, 0, 1, 2), SHAPE(2, 2), 2), x[1], "mean", false))
FN(f_index_add, ct_index_add(x[0], 0, ix(VALS(1, 1), SHAPE(2), 1), x[1], -2.0))
FN(f_index_copy, ct_index_copy(x[0], 1, ix(VALS(2, 0), SHAPE(2), 1), x[1]))
FN(f_index_fill, ct_index_fill(x[0], 1, ix(VALS(1), SHAPE(1), 1), 3.0))
FN(f_index_fill_t, ct_index_fill_tensor(x[0], 0, ix(VALS(0, 0), SHAPE(2), 1), x[1]))
FN(f_index, ct_index(x[0], (const ct_tensor *[]){NULL, ix(VALS(2, 0, 2), SHAPE(3), 1)}, 2))
FN(f_index_put, ct_index_put(x[0], (const ct_tensor *[]){ix(VALS(1, 0), SHAPE(2), 1)}, 1, x[1], false))
FN(f_index_put_acc, ct_index_put(x[0], (const ct_tensor *[]){ix(VALS(1, 1), SHAPE(2), 1)}, 1, x[1], true))
FN(f_masked_fill, ct_masked_fill(x[0], tt_tensor(VALS(1, 0, 0, 1, 1, 0), SHAPE(2, 3), 2, CT_BOOL), -1.0))
FN(f_masked_fill_t, ct_masked_fill_tensor(x[0], tt_tensor(VALS(0, 1, 1), SHAPE(3), 1, CT_BOOL), x[1]))
FN(f_masked_select, ct_masked_select(x[0], tt_tensor(VALS(1, 0, 1), SHAPE(3), 1, CT_BOOL)))
FN(f_masked_scatter, ct_masked_scatter(x[0], tt_tensor(VALS(0, 1, 1, 0, 0, 1), SHAPE(2, 3), 2, CT_BOOL), x[1]))
FN(f_take, ct_take(x[0], ix(VALS(5, 0, 5, 2), SHAPE(2, 2), 2)))
FN(f_take_along_dim, ct_take_along_dim(x[0], ix(VALS(2, 0, 1, 1), SHAPE(2, 2), 2), 1))
FN(f_put, ct_put(x[0], ix(VALS(4, 1), SHAPE(2), 1), x[1], false))
FN(f_put_acc, ct_put(x[0], ix(VALS(4, 4), SHAPE(2), 1), x[1], true))

TEST(grad_index_select, repeated_indices_accumulate) { GRADCHECK(f_index_select, ncr(2, 3, -1, 1, 1)); }
TEST(grad_gather, repeated_indices_accumulate) { GRADCHECK(f_gather, ncr(2, 3, -1, 1, 2)); }
TEST(grad_scatter, tensor_and_value_forms) {
    GRADCHECK(f_scatter, ncr(2, 3, -1, 1, 3), ncr(2, 2, -1, 1, 4));
    GRADCHECK(f_scatter_v, ncr(2, 3, -1, 1, 5));
}
TEST(grad_scatter_add, both_inputs) { GRADCHECK(f_scatter_add, ncr(2, 3, -1, 1, 6), ncr(2, 2, -1, 1, 7)); }
TEST(grad_scatter_reduce, sum_and_mean) {
    GRADCHECK(f_scatter_sum, ncr(2, 3, -1, 1, 8), ncr(2, 2, -1, 1, 9));
    GRADCHECK(f_scatter_mean, ncr(2, 3, -1, 1, 10), ncr(2, 2, -1, 1, 11));
    GRADCHECK(f_scatter_mean_x, ncr(2, 3, -1, 1, 12), ncr(2, 2, -1, 1, 13));
}
TEST(grad_index_add, repeated_indices_and_alpha) {
    GRADCHECK(f_index_add, ncr(3, 2, -1, 1, 14), rleaf(SHAPE(2, 2), 2, -1, 1, 15));
}
TEST(grad_index_copy, both_inputs) { GRADCHECK(f_index_copy, ncr(2, 3, -1, 1, 16), ncr(2, 2, -1, 1, 17)); }
TEST(grad_index_fill, value_and_tensor_value) {
    GRADCHECK(f_index_fill, ncr(2, 3, -1, 1, 18));
    GRADCHECK(f_index_fill_t, ncr(2, 3, -1, 1, 19), rleaf(NULL, 0, -1, 1, 20));
}
TEST(grad_index, advanced_indexing_with_repeats) { GRADCHECK(f_index, ncr(2, 3, -1, 1, 21)); }
TEST(grad_index_put, set_and_accumulate) {
    GRADCHECK(f_index_put, ncr(2, 3, -1, 1, 22), rleaf(SHAPE(2, 3), 2, -1, 1, 23));
    GRADCHECK(f_index_put_acc, ncr(2, 3, -1, 1, 24), rleaf(SHAPE(3), 1, -1, 1, 25));
}
TEST(grad_masked_fill, value_and_tensor_value) {
    GRADCHECK(f_masked_fill, ncr(2, 3, -1, 1, 26));
    GRADCHECK(f_masked_fill_t, ncr(2, 3, -1, 1, 27), rleaf(NULL, 0, -1, 1, 28));
}
TEST(grad_masked_select, broadcast_mask) { GRADCHECK(f_masked_select, ncr(2, 3, -1, 1, 29)); }
TEST(grad_masked_scatter, unused_source_gets_zero) {
    GRADCHECK(f_masked_scatter, ncr(2, 3, -1, 1, 30), rleaf(SHAPE(5), 1, -1, 1, 31));
}
TEST(grad_take, repeated_indices_accumulate) { GRADCHECK(f_take, ncr(2, 3, -1, 1, 32)); }
TEST(grad_take_along_dim, composed_of_gather) { GRADCHECK(f_take_along_dim, ncr(2, 3, -1, 1, 33)); }
TEST(grad_put, set_and_accumulate) {
    GRADCHECK(f_put, ncr(2, 3, -1, 1, 34), rleaf(SHAPE(2), 1, -1, 1, 35));
    GRADCHECK(f_put_acc, ncr(2, 3, -1, 1, 36), rleaf(SHAPE(2), 1, -1, 1, 37));
}

static ct_tensor *f_fill(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *a = ct_mul_scalar(x[0], 2);
    ct_tensor *v = ct_narrow(a, 0, 0, 1);
    if (!ct_fill_(v, 3.0)) return NULL; /* through a view: CopySlices */
    return ct_mul(a, a);
}
static ct_tensor *f_fill_t(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *a = ct_mul_scalar(x[0], 2);
    if (!ct_fill_tensor_(a, x[1])) return NULL;
    return ct_mul(a, x[0]);
}
static ct_tensor *f_zero(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *a = ct_mul(x[0], x[0]);
    if (!ct_zero_(ct_select(a, 1, 1))) return NULL;
    return ct_mul(a, x[0]);
}
TEST(grad_fill_, overwritten_values_get_no_gradient) {
    GRADCHECK(f_fill, ncr(3, 2, -1, 1, 38));
    GRADCHECK(f_fill_t, ncr(2, 2, -1, 1, 39), rleaf(NULL, 0, -1, 1, 40));
}
TEST(grad_zero_, through_a_view) { GRADCHECK(f_zero, ncr(2, 3, -1, 1, 41)); }
