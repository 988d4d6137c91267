/* Gradients of the shape ops: gradcheck and gradgradcheck in float64 on
 * non-contiguous inputs; composed ops are checked through their parts. */
#include "test_autograd.h"


FN(f_cat, ct_cat((const ct_tensor *const *)x, n, 1))
FN(f_stack, ct_stack((const ct_tensor *const *)x, n, -1))
FN(f_hstack, ct_hstack((const ct_tensor *const *)x, n))
FN(f_vstack, ct_vstack((const ct_tensor *const *)x, n))
FN(f_dstack, ct_dstack((const ct_tensor *const *)x, n))
FN(f_flip, ct_flip(x[0], (const int[]){0, -1}, 2))
FN(f_roll, ct_roll(x[0], (const int64_t[]){1, -2}, 2, (const int[]){0, 1}, 2))
FN(f_roll_flat, ct_roll(x[0], (const int64_t[]){4}, 1, NULL, 0))
FN(f_repeat, ct_repeat(x[0], (const int64_t[]){2, 1, 3}, 3))
FN(f_tile, ct_tile(x[0], (const int64_t[]){2}, 1))
FN(f_rep_int, ct_repeat_interleave(x[0], 2, 1))
FN(f_tril, ct_tril(x[0], -1))
FN(f_triu, ct_triu(x[0], 1))
FN(f_pad, ct_pad(x[0], (const int64_t[]){1, 2, -1, 0}, 4, "constant", 0.5))
FN(f_broadcast_to, ct_broadcast_to(x[0], SHAPE(2, 3, 2), 3))

static ct_tensor *f_rep_tensor(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *r = tt_tensor(VALS(2, 0, 3), SHAPE(3), 1, CT_INT64);
    return ct_repeat_interleave_tensor(x[0], r, 0);
}

/* pieces of split/chunk/unbind/tensor_split joined back with weights so
 * each piece matters differently */
static ct_tensor *join(ct_tensor **p, int k) {
    ct_tensor *acc = NULL;
    for (int i = 0; i < k; i++) {
        ct_tensor *t = ct_mul_scalar(ag_sum(ct_mul(p[i], p[i])), i + 1.0);
        acc = acc ? ct_add(acc, t) : t;
    }
    return acc;
}
static ct_tensor *f_split(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_split(x[0], 2, 1, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_split_sizes(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_split_with_sizes(x[0], (const int64_t[]){1, 3}, 2, 1, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_chunk(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_chunk(x[0], 3, 0, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_unbind(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_unbind(x[0], 1, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_tensor_split(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    ct_tensor *p[8];
    int k = ct_tensor_split(x[0], 3, 1, p, 8);
    return k < 0 ? NULL : join(p, k);
}
static ct_tensor *f_meshgrid(ct_tensor *const *x, int n, void *c) {
    (void)c;
    ct_tensor *p[2];
    if (ct_meshgrid((const ct_tensor *const *)x, n, "ij", p, 2) < 0) return NULL;
    return ct_mul(p[0], p[1]);
}

TEST(grad_cat, slices_the_gradient_per_input) {
    GRADCHECK(f_cat, noncontig2(2, 3, 1), rleaf(SHAPE(2, 1), 2, -1, 1, 2), rleaf(SHAPE(2, 2), 2, -1, 1, 3));
}
TEST(grad_stack, selects_per_input) { GRADCHECK(f_stack, noncontig2(2, 3, 4), rleaf(SHAPE(2, 3), 2, -1, 1, 5)); }
TEST(grad_hstack, composed_of_cat) { GRADCHECK(f_hstack, rleaf(SHAPE(3), 1, -1, 1, 6), rleaf(SHAPE(2), 1, -1, 1, 7)); }
TEST(grad_vstack, composed_of_cat) { GRADCHECK(f_vstack, rleaf(SHAPE(3), 1, -1, 1, 8), noncontig2(2, 3, 9)); }
TEST(grad_dstack, composed_of_cat) { GRADCHECK(f_dstack, noncontig2(2, 3, 10), rleaf(SHAPE(2, 3), 2, -1, 1, 11)); }
TEST(grad_split, pieces_are_views) { GRADCHECK(f_split, noncontig2(2, 5, 12)); }
TEST(grad_split_with_sizes, pieces_are_views) { GRADCHECK(f_split_sizes, noncontig2(2, 4, 13)); }
TEST(grad_chunk, pieces_are_views) { GRADCHECK(f_chunk, noncontig2(5, 2, 14)); }
TEST(grad_unbind, pieces_are_views) { GRADCHECK(f_unbind, noncontig2(2, 3, 15)); }
TEST(grad_tensor_split, pieces_are_views) { GRADCHECK(f_tensor_split, noncontig2(2, 5, 16)); }
TEST(grad_flip, flips_back) { GRADCHECK(f_flip, strided3(2, 3, 2, 17)); }
TEST(grad_roll, rolls_back) {
    GRADCHECK(f_roll, noncontig2(3, 4, 18));
    GRADCHECK(f_roll_flat, noncontig2(3, 2, 19));
}
TEST(grad_repeat, sums_the_copies) { GRADCHECK(f_repeat, noncontig2(2, 3, 20)); }
TEST(grad_tile, sums_the_copies) { GRADCHECK(f_tile, noncontig2(2, 3, 21)); }
TEST(grad_repeat_interleave, sums_each_group) {
    GRADCHECK(f_rep_int, noncontig2(2, 3, 22));
    GRADCHECK(f_rep_tensor, noncontig2(3, 2, 23));
}
TEST(grad_tril, masks_the_gradient) { GRADCHECK(f_tril, noncontig2(3, 4, 24)); }
TEST(grad_triu, masks_the_gradient) { GRADCHECK(f_triu, strided3(2, 3, 3, 25)); }
TEST(grad_pad, constant_mode_crops_the_gradient) {
    GRADCHECK(f_pad, noncontig2(3, 2, 26));
    ct_tensor *x = rleaf(SHAPE(4), 1, -1, 1, 27);
    ct_tensor *y = ct_pad(x, (const int64_t[]){1, 1}, 2, "reflect", 0);
    if (y) {
        ct_clear_error();
        CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) < 0);
        CHECK(strstr(ct_last_error(), "the derivative for 'pad' in mode 'reflect' is not implemented"));
    }
}
TEST(grad_broadcast_to, recorded_as_expand) { GRADCHECK(f_broadcast_to, rleaf(SHAPE(3, 1), 2, -1, 1, 28)); }
TEST(grad_meshgrid, views_of_each_input) {
    GRADCHECK(f_meshgrid, rleaf(SHAPE(3), 1, -1, 1, 29), rleaf(SHAPE(2), 1, -1, 1, 30));
}

static ct_tensor *f_sort(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_sort(x[0], 0, true, true, NULL);
}
static ct_tensor *f_msort(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_msort(x[0]);
}
static ct_tensor *f_topk(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_topk(x[0], 2, -1, true, true, NULL);
}
static ct_tensor *f_kth(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_kthvalue(x[0], 2, 1, false, NULL);
}
static ct_tensor *f_kth_keep(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ct_kthvalue(x[0], 1, 0, true, NULL);
}

/* distinct values (ties make sorting non-differentiable) */
TEST(grad_sort, scatters_back_through_the_indices) {
    GRADCHECK(f_sort, noncontig2(4, 3, 31));
    ct_tensor *x = tt_tensor(VALS(3, 1, 2), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *y = ct_sort(x, 0, false, true, NULL); /* [1, 2, 3] from [1, 2, 0] */
    CHECK(ct_backward(y, tt_tensor(VALS(10, 20, 30), SHAPE(3), 1, CT_FLOAT64), false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(30, 10, 20), 0);
}
TEST(grad_msort, scatters_back_through_the_indices) { GRADCHECK(f_msort, noncontig2(3, 2, 32)); }
TEST(grad_topk, scatters_back_through_the_indices) { GRADCHECK(f_topk, noncontig2(2, 4, 33)); }
TEST(grad_kthvalue, with_and_without_keepdim) {
    GRADCHECK(f_kth, noncontig2(2, 4, 34));
    GRADCHECK(f_kth_keep, strided3(3, 2, 2, 35));
}
