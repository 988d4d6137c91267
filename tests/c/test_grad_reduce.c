/* Gradients of the reductions and scans: gradcheck and gradgradcheck in
 * float64 on non-contiguous inputs, with and without keepdim, plus ties
 * and zeros checked by hand. */
#include "test_autograd.h"

static const int D1[1] = {1}, D0[1] = {0}, D02[2] = {0, 2};

FN(f_sum, ct_sum(x[0]))
FN(f_sum_d, ct_sum_dims(x[0], D02, 2, false, -1))
FN(f_sum_k, ct_sum_dims(x[0], D1, 1, true, -1))
FN(f_mean, ct_mean(x[0]))
FN(f_mean_d, ct_mean_dims(x[0], D02, 2, true, -1))
FN(f_prod, ct_prod(x[0]))
FN(f_prod_d, ct_prod_dim(x[0], 1, false, -1))
FN(f_max, ct_max(x[0]))
FN(f_min, ct_min(x[0]))
FN(f_max_d, ct_max_dim(x[0], 1, false, NULL))
FN(f_min_d, ct_min_dim(x[0], 0, true, NULL))
FN(f_amax, ct_amax(x[0], D1, 1, false))
FN(f_amin, ct_amin(x[0], D02, 2, true))
FN(f_var, ct_var(x[0], D1, 1, 1.0, false))
FN(f_var_all, ct_var(x[0], NULL, 0, 0.0, true))
FN(f_std, ct_std(x[0], D0, 1, 1.0, true))
FN(f_norm2, ct_norm(x[0], 2, D1, 1, false))
FN(f_norm3, ct_norm(x[0], 3, NULL, 0, false))
FN(f_norm1, ct_norm(x[0], 1, D0, 1, true))
FN(f_norminf, ct_norm(x[0], INFINITY, D1, 1, false))
FN(f_fro, ct_norm_fro(x[0], NULL, 0, false))
FN(f_lse, ct_logsumexp(x[0], D1, 1, false))
FN(f_lse_k, ct_logsumexp(x[0], D02, 2, true))
FN(f_cumsum, ct_cumsum(x[0], 1, -1))
FN(f_cumprod, ct_cumprod(x[0], 0, -1))
FN(f_cummax, ct_cummax(x[0], 1, NULL))
FN(f_cummin, ct_cummin(x[0], 0, NULL))

TEST(grad_sum, all_dims_and_keepdim) {
    GRADCHECK(f_sum, ncr(2, 3, -1, 1, 1));
    GRADCHECK(f_sum_d, strided3(2, 3, 2, 2));
    GRADCHECK(f_sum_k, ncr(2, 3, -1, 1, 3));
}
TEST(grad_mean, all_dims_and_keepdim) {
    GRADCHECK(f_mean, ncr(2, 3, -1, 1, 4));
    GRADCHECK(f_mean_d, strided3(2, 3, 2, 5));
}
TEST(grad_prod, all_and_one_dim_with_zeros) {
    GRADCHECK(f_prod, ncr(2, 3, 0.5, 1.5, 6));
    GRADCHECK(f_prod_d, ncr(3, 4, 0.5, 1.5, 7));
    /* d prod / dx_i = product of the others, also when some are zero */
    ct_tensor *x = tt_tensor(VALS(2, 0, 3, 0.5), SHAPE(4), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    CHECK(ct_backward(ct_prod(x), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(4), 1, VALS(0, 3, 0, 0), 0);
}
TEST(grad_max, full_ties_and_along_a_dim) {
    GRADCHECK(f_max, ncr(2, 3, -1, 1, 8));
    GRADCHECK(f_max_d, ncr(3, 4, -1, 1, 9));
    ct_tensor *x = tt_tensor(VALS(1, 5, 5, 2), SHAPE(4), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    CHECK(ct_backward(ct_max(x), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(4), 1, VALS(0, 0.5, 0.5, 0), 0);
}
TEST(grad_min, full_and_along_a_dim) {
    GRADCHECK(f_min, ncr(2, 3, -1, 1, 10));
    GRADCHECK(f_min_d, ncr(3, 2, -1, 1, 11));
}
TEST(grad_amax, over_dims) { GRADCHECK(f_amax, ncr(2, 4, -1, 1, 12)); }
TEST(grad_amin, over_dims_keepdim) { GRADCHECK(f_amin, strided3(2, 2, 3, 13)); }
TEST(grad_var, with_correction) {
    GRADCHECK(f_var, ncr(2, 4, -1, 1, 14));
    GRADCHECK(f_var_all, ncr(3, 2, -1, 1, 15));
}
TEST(grad_std, with_correction) { GRADCHECK(f_std, ncr(3, 2, -1, 1, 16)); }
TEST(grad_norm, p_two_three_one_inf_fro) {
    GRADCHECK(f_norm2, ncr(2, 3, -1, 1, 17));
    GRADCHECK(f_norm3, ncr(2, 3, 0.2, 1, 18));
    GRADCHECK(f_norm1, ncr(2, 3, 0.2, 1, 19));
    GRADCHECK(f_norminf, ncr(2, 3, -1, 1, 20));
    GRADCHECK(f_fro, strided3(2, 2, 2, 21));
}
TEST(grad_logsumexp, over_dims) {
    GRADCHECK(f_lse, ncr(2, 3, -1, 1, 22));
    GRADCHECK(f_lse_k, strided3(2, 3, 2, 23));
}
TEST(grad_cumsum, reverse_cumulative_sum) { GRADCHECK(f_cumsum, ncr(2, 4, -1, 1, 24)); }
TEST(grad_cumprod, nonzero_inputs) { GRADCHECK(f_cumprod, ncr(3, 2, 0.5, 1.5, 25)); }
TEST(grad_cummax, to_the_running_winner) { GRADCHECK(f_cummax, ncr(2, 4, -1, 1, 26)); }
TEST(grad_cummin, to_the_running_winner) { GRADCHECK(f_cummin, ncr(4, 2, -1, 1, 27)); }
