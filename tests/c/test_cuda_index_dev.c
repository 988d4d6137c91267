/* Advanced indexing with the offsets computed on the GPU, masks turned
 * into positions on the GPU (masked_select, nonzero), and out-of-range
 * indices reported at the next synchronising point with the CPU's
 * IndexError message. Each GPU test counts itself as skipped without a GPU. */
#define CUDA_TEST_GROUP "cuda index offsets"
#include "cuda_check.h"

#define SAME(g, c) CLOSE_GPU(g, c, 0, true)

static ct_tensor *ints(const double *v, int64_t n, ct_dtype dt) {
    return ct_to_dtype(tt_tensor(v, &n, 1, CT_FLOAT64), dt, false);
}

TEST(cuda_index_offsets, gpu_indices_broadcast_negative_int32) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(5, 6, 7), 3, CT_FLOAT32, -1, 1, 1), *g = ct_cuda(x);
    ct_tensor *i0 = ct_reshape(ints(VALS(0, -1, 4, 2, -5, 3), 6, CT_INT64), SHAPE(3, 2), 2);
    ct_tensor *i2 = ints(VALS(6, -7), 2, CT_INT32);
    const ct_tensor *c1[3] = {i0, NULL, i2}, *g1[3] = {ct_cuda(i0), NULL, ct_cuda(i2)};
    SAME(ct_index(g, g1, 3), ct_index(x, c1, 3));
    /* a CPU index next to a GPU one, on a transposed source */
    ct_tensor *i1 = ints(VALS(5, -6), 2, CT_INT32); /* dim 1 has size 6 */
    const ct_tensor *c2[2] = {NULL, i1}, *g2[2] = {NULL, ct_cuda(i1)}, *m2[2] = {NULL, i1};
    SAME(ct_index(ct_t(ct_select(g, 0, 1)), g2, 2), ct_index(ct_t(ct_select(x, 0, 1)), c2, 2));
    SAME(ct_index(g, m2, 2), ct_index(x, c2, 2));
    /* index_put with duplicates accumulates on both */
    ct_tensor *v = tt_rand(SHAPE(3, 2, 6, 7), 4, CT_FLOAT32, -1, 1, 2);
    const ct_tensor *cp[1] = {i0}, *gp[1] = {ct_cuda(i0)};
    CLOSE_GPU(ct_index_put(g, gp, 1, ct_cuda(v), true), ct_index_put(x, cp, 1, v, true), 1e-6, true);
    CHECK(ct_cuda_synchronize(-1) == 0);
}

TEST(cuda_index_offsets, bool_mask_index_and_masked_select_long) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(40, 70), 2, CT_FLOAT64, -1, 1, 3), *g = ct_cuda(x);
    ct_tensor *m = ct_gt_scalar(tt_rand(SHAPE(40, 70), 2, CT_FLOAT32, -1, 1, 4), 0.3);
    const ct_tensor *cm[1] = {m}, *gm[1] = {ct_cuda(m)};
    SAME(ct_index(g, gm, 1), ct_index(x, cm, 1));
    SAME(ct_masked_select(g, ct_cuda(m)), ct_masked_select(x, m));
    SAME(ct_masked_select(ct_t(g), ct_cuda(ct_t(m))), ct_masked_select(ct_t(x), ct_t(m)));
    /* a row mask, then an integer index on the next dim */
    ct_tensor *rm = ct_gt_scalar(tt_rand(SHAPE(40), 1, CT_FLOAT32, -1, 1, 5), 0);
    ct_tensor *ci = ints(VALS(3), 1, CT_INT64);
    const ct_tensor *c2[2] = {rm, ci}, *g2[2] = {ct_cuda(rm), ct_cuda(ci)};
    SAME(ct_index(g, g2, 2), ct_index(x, c2, 2));
    /* no true element, every element */
    ct_tensor *none = ct_gt_scalar(x, 5), *all = ct_lt_scalar(x, 5);
    SAME(ct_masked_select(g, ct_cuda(none)), ct_masked_select(x, none));
    SAME(ct_masked_select(g, ct_cuda(all)), ct_masked_select(x, all));
}

/* The CPU's message for x[idx] (one bad index) into buf. */
static void cpu_message(const ct_tensor *x, const ct_tensor *const *idx, int n, char *buf, size_t len) {
    ct_clear_error();
    buf[0] = 0;
    if (!ct_index(x, idx, n)) snprintf(buf, len, "%s", ct_last_error());
}

TEST(cuda_index_offsets, out_of_range_is_an_index_error_at_the_next_sync) {
    if (!gpu()) return;
    ct_tensor *x = tt_rand(SHAPE(4, 5), 2, CT_FLOAT32, -1, 1, 6), *g = ct_cuda(x);
    ct_tensor *bad = ints(VALS(1, 5, 0), 3, CT_INT64);
    const ct_tensor *cb[2] = {NULL, bad}, *gb[2] = {NULL, ct_cuda(bad)};
    char want[256];
    cpu_message(x, cb, 2, want, sizeof want);
    CHECK(strstr(want, "index 5 is out of bounds for dimension 1 with size 5") != NULL);
    CHECK(ct_index(g, gb, 2) != NULL); /* queued, not waited for */
    ct_clear_error();
    CHECK(ct_cuda_synchronize(-1) == -1);
    CHECK(ct_last_error_kind() == CT_ERR_INDEX);
    CHECK(strcmp(ct_last_error(), want) == 0);
    CHECK(ct_cuda_synchronize(-1) == 0); /* reported once */
    /* a copy to the host is a synchronising point too; negative indices */
    ct_tensor *neg = ints(VALS(-5), 1, CT_INT64);
    const ct_tensor *gn[1] = {ct_cuda(neg)}, *cn[1] = {neg};
    cpu_message(x, cn, 1, want, sizeof want);
    ct_tensor *r = ct_index(g, gn, 1);
    CHECK(r != NULL);
    CHECK_ERR(ct_cpu(r), want);
    /* index_put reports the same way, and the tensor stays usable */
    ct_tensor *v = ct_ones(SHAPE(1), 1, CT_FLOAT32);
    const ct_tensor *gp[2] = {NULL, ct_cuda(bad)};
    CHECK(ct_index_put_(g, gp, 2, ct_cuda(v), true) != NULL);
    CHECK(ct_cuda_synchronize(-1) == -1);
    CHECK(strstr(ct_last_error(), "out of bounds for dimension 1 with size 5") != NULL);
    CHECK(ct_cuda_synchronize(-1) == 0);
}
