/* Gradients of the linalg ops: gradcheck and gradgradcheck in float64 with
 * transposed (non-contiguous) and broadcast operands. */
#include "test_autograd.h"

#include <stdlib.h>


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

/* A column-major operand (linear's transposed weight) gets its gradient in
 * its own layout, so the leaf's .grad is contiguous (PyTorch's
 * mm_mat2_backward); values against a triple loop in double. create_graph
 * keeps the gradient as the derivative made it (no copy into .grad). */
TEST(grad_addmm, column_major_weight_gets_contiguous_grad) {
    const int64_t B = 5, I = 7, O = 3;
    ct_tensor *x = tt_rand(SHAPE(B, I), 2, CT_FLOAT32, -1, 1, 40);
    ct_tensor *w = rleaf(SHAPE(O, I), 2, -1, 1, 41);
    ct_tensor *w32 = ct_to_dtype(ct_detach(w), CT_FLOAT32, false);
    ct_set_requires_grad(w32, true);
    ct_tensor *b = rleaf(SHAPE(O), 1, -1, 1, 42);
    ct_tensor *b32 = ct_to_dtype(ct_detach(b), CT_FLOAT32, false);
    ct_set_requires_grad(b32, true);
    ct_tensor *go = tt_rand(SHAPE(B, O), 2, CT_FLOAT32, -1, 1, 43);
    ct_tensor *y = ct_linear(x, w32, b32);
    CHECK_OK(y);
    CHECK(ct_backward(y, go, true, true, NULL, 0) == 0);
    ct_tensor *gw = ct_tensor_grad(w32);
    CHECK_OK(gw);
    CHECK(ct_is_contiguous(gw));
    double *xv = tt_values(x), *gv = tt_values(go), want[3 * 7];
    for (int64_t o = 0; o < O; o++)
        for (int64_t i = 0; i < I; i++) {
            double s = 0;
            for (int64_t k = 0; k < B; k++) s += gv[k * O + o] * xv[k * I + i];
            want[o * I + i] = s;
        }
    free(xv);
    free(gv);
    CHECK_TENSOR(gw, SHAPE(O, I), 2, want, 1e-5);
}

TEST(grad_mm, column_major_first_operand_gets_contiguous_grad) {
    ct_tensor *base = tt_rand(SHAPE(3, 2), 2, CT_FLOAT64, -1, 1, 44);
    ct_set_requires_grad(base, true);
    ct_tensor *a = ct_t(base); /* (2, 3), column-major */
    ct_tensor *bm = tt_rand(SHAPE(3, 4), 2, CT_FLOAT64, -1, 1, 45);
    ct_tensor *go = tt_rand(SHAPE(2, 4), 2, CT_FLOAT64, -1, 1, 46);
    ct_tensor *y = ct_mm(a, bm);
    CHECK_OK(y);
    CHECK(ct_backward(y, go, true, true, NULL, 0) == 0);
    ct_tensor *gb = ct_tensor_grad(base);
    CHECK_OK(gb);
    CHECK(ct_is_contiguous(gb));
    /* d base[j][i] = dA[i][j] = sum_k G[i][k] B[j][k] */
    double *bv = tt_values(bm), *gv = tt_values(go), want[6];
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 2; i++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += gv[i * 4 + k] * bv[j * 4 + k];
            want[j * 2 + i] = s;
        }
    free(bv);
    free(gv);
    CHECK_TENSOR(gb, SHAPE(3, 2), 2, want, 1e-12);
}
