/* Gradients of the composed shape ops (rot90, fliplr/flipud, column_stack,
 * atleast_Nd, hsplit/vsplit/dsplit, block_diag, cartesian_prod): gradcheck
 * and gradgradcheck in float64 on non-contiguous leaves. They record no node
 * of their own, so these check that every part they are built from is a
 * recorded, differentiable op. */
#include "test_autograd.h"

FN(f_rot90, ct_rot90(x[0], 1, NULL, 0))
FN(f_rot90_3, ct_rot90(x[0], 3, (const int[]){1, -1}, 2))
FN(f_rot90_2, ct_rot90(x[0], 2, NULL, 0))
FN(f_fliplr, ct_fliplr(x[0]))
FN(f_flipud, ct_flipud(x[0]))
FN(f_column_stack, ct_column_stack((const ct_tensor *const *)x, n))
FN(f_atleast_1d, ct_atleast_1d(x[0]))
FN(f_atleast_2d, ct_atleast_2d(x[0]))
FN(f_atleast_3d, ct_atleast_3d(x[0]))
FN(f_block_diag, ct_block_diag((const ct_tensor *const *)x, n))
FN(f_cartesian_prod, ct_cartesian_prod((const ct_tensor *const *)x, n))

/* pieces joined back with different weights so each piece matters */
static ct_tensor *join(ct_tensor **p, int k) {
    ct_tensor *acc = NULL;
    for (int i = 0; i < k; i++) {
        ct_tensor *t = ct_mul_scalar(ag_sum(ct_mul(p[i], p[i])), i + 1.0);
        acc = acc ? ct_add(acc, t) : t;
    }
    return acc;
}
static ct_tensor *f_hsplit(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_hsplit(x[0], 2, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_vsplit(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_vsplit_indices(x[0], (const int64_t[]){1}, 1, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_dsplit(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_dsplit(x[0], 3, p, 8);
    return k < 0 ? NULL : join(p, k);
}

TEST(grad_rot90, transposes_a_flip) {
    GRADCHECK(f_rot90, noncontig2(2, 3, 101));
    GRADCHECK(f_rot90_3, strided3(2, 3, 2, 102));
    GRADCHECK(f_rot90_2, noncontig2(3, 2, 103));
}
TEST(grad_fliplr, flips_back) { GRADCHECK(f_fliplr, noncontig2(2, 3, 104)); }
TEST(grad_flipud, flips_back) { GRADCHECK(f_flipud, noncontig2(3, 2, 105)); }
TEST(grad_column_stack, composed_of_views_and_cat) {
    GRADCHECK(f_column_stack, rleaf(SHAPE(3), 1, -1, 1, 106), noncontig2(3, 2, 107));
}
TEST(grad_atleast_1d, views_a_scalar) { GRADCHECK(f_atleast_1d, rleaf(NULL, 0, -1, 1, 108)); }
TEST(grad_atleast_2d, views_a_vector) { GRADCHECK(f_atleast_2d, rleaf(SHAPE(3), 1, -1, 1, 109)); }
TEST(grad_atleast_3d, views_a_matrix) { GRADCHECK(f_atleast_3d, noncontig2(2, 3, 110)); }
TEST(grad_hsplit, pieces_are_views) { GRADCHECK(f_hsplit, noncontig2(3, 4, 111)); }
TEST(grad_vsplit, pieces_are_views) { GRADCHECK(f_vsplit, noncontig2(3, 2, 112)); }
TEST(grad_dsplit, pieces_are_views) { GRADCHECK(f_dsplit, strided3(2, 2, 3, 113)); }
TEST(grad_block_diag, composed_of_pad_and_cat) {
    GRADCHECK(f_block_diag, noncontig2(2, 3, 114), rleaf(NULL, 0, -1, 1, 115), rleaf(SHAPE(2), 1, -1, 1, 116));
}
TEST(grad_cartesian_prod, composed_of_meshgrid_and_stack) {
    GRADCHECK(f_cartesian_prod, rleaf(SHAPE(2), 1, -1, 1, 117), rleaf(SHAPE(3), 1, -1, 1, 118));
}

static ct_tensor *f_tril_inplace(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *y = ct_mul_scalar(x[0], 2.0);
    return y ? ct_tril_(y, 0) : NULL;
}
static ct_tensor *f_triu_inplace(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *y = ct_mul_scalar(x[0], 2.0);
    return y ? ct_triu_(ct_transpose(y, 0, 1), 1) : NULL;
}
TEST(grad_tril, in_place_variant_masks_the_gradient) { GRADCHECK(f_tril_inplace, noncontig2(3, 4, 119)); }
TEST(grad_triu, in_place_on_a_strided_view) { GRADCHECK(f_triu_inplace, noncontig2(3, 4, 120)); }
