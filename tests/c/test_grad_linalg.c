/* Gradients of the linalg ops: gradcheck and gradgradcheck in float64 with
 * transposed (non-contiguous) and broadcast operands. */
#include "test_autograd.h"


FN(f_mm, ct_mm(x[0], x[1]))
FN(f_bmm, ct_bmm(x[0], x[1]))
FN(f_mv, ct_mv(x[0], x[1]))
FN(f_dot, ct_dot(x[0], x[1]))
FN(f_vdot, ct_vdot(x[0], x[1]))
FN(f_matmul, ct_matmul(x[0], x[1]))
FN(f_addmm, ct_addmm(x[0], x[1], x[2], 0.5, -2))
FN(f_addbmm, ct_addbmm(x[0], x[1], x[2], 1.5, 0.5))
FN(f_baddbmm, ct_baddbmm(x[0], x[1], x[2], -1, 2))
FN(f_addmv, ct_addmv(x[0], x[1], x[2], 2, 3))
FN(f_outer, ct_outer(x[0], x[1]))
FN(f_kron, ct_kron(x[0], x[1]))

TEST(grad_mm, transposed_operands) {
    GRADCHECK(f_mm, noncontig2(2, 3, 1), rleaf(SHAPE(3, 4), 2, -1, 1, 2));
    GRADCHECK(f_mm, rleaf(SHAPE(2, 3), 2, -1, 1, 3), noncontig2(3, 2, 4));
}

TEST(grad_bmm, batched) {
    ct_tensor *b = strided3(2, 3, 2, 6);
    GRADCHECK(f_bmm, rleaf(SHAPE(2, 2, 3), 3, -1, 1, 5), b);
}

TEST(grad_mv, matrix_vector) { GRADCHECK(f_mv, noncontig2(2, 3, 7), rleaf(SHAPE(3), 1, -1, 1, 8)); }

TEST(grad_dot, inner_product) {
    GRADCHECK(f_dot, rleaf(SHAPE(4), 1, -1, 1, 9), rleaf(SHAPE(4), 1, -1, 1, 10));
}

TEST(grad_vdot, inner_product) {
    GRADCHECK(f_vdot, rleaf(SHAPE(3), 1, -1, 1, 11), rleaf(SHAPE(3), 1, -1, 1, 12));
}

TEST(grad_matmul, broadcast_batches_through_recorded_ops) {
    GRADCHECK(f_matmul, rleaf(SHAPE(2, 1, 2, 3), 4, -1, 1, 13), rleaf(SHAPE(3, 3, 2), 3, -1, 1, 14));
    GRADCHECK(f_matmul, rleaf(SHAPE(3), 1, -1, 1, 15), noncontig2(3, 2, 16));
}

TEST(grad_addmm, broadcast_self_and_scales) {
    GRADCHECK(f_addmm, rleaf(SHAPE(3), 1, -1, 1, 17), noncontig2(2, 4, 18), rleaf(SHAPE(4, 3), 2, -1, 1, 19));
}

TEST(grad_addbmm, sums_over_batches) {
    GRADCHECK(f_addbmm, rleaf(SHAPE(2, 1), 2, -1, 1, 20), rleaf(SHAPE(3, 2, 2), 3, -1, 1, 21),
              rleaf(SHAPE(3, 2, 4), 3, -1, 1, 22));
}

TEST(grad_baddbmm, batched_with_broadcast_self) {
    GRADCHECK(f_baddbmm, rleaf(SHAPE(1, 3), 2, -1, 1, 23), rleaf(SHAPE(2, 2, 2), 3, -1, 1, 24),
              strided3(2, 2, 3, 25));
}

TEST(grad_addmv, scales_each_term) {
    GRADCHECK(f_addmv, rleaf(SHAPE(1), 1, -1, 1, 26), noncontig2(2, 3, 27), rleaf(SHAPE(3), 1, -1, 1, 28));
}

TEST(grad_outer, outer_product) { GRADCHECK(f_outer, rleaf(SHAPE(2), 1, -1, 1, 29), rleaf(SHAPE(3), 1, -1, 1, 30)); }

TEST(grad_kron, blocks_of_products) {
    GRADCHECK(f_kron, noncontig2(2, 3, 31), rleaf(SHAPE(2, 2), 2, -1, 1, 32));
    GRADCHECK(f_kron, rleaf(SHAPE(2), 1, -1, 1, 33), rleaf(SHAPE(2, 3), 2, -1, 1, 34));
}
