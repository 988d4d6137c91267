/* Derivatives that were missing: pad in reflect/replicate/circular modes,
 * scatter_reduce prod/amax/amin (PyTorch 1.13's formulas, include_self both
 * ways), and PyTorch's errors for scatter(reduce='multiply') and
 * linalg.qr(mode='r'). gradcheck/gradgradcheck in float64 on
 * non-contiguous inputs; values with distinct magnitudes so that amax/amin
 * have no ties. */
#include "test_autograd.h"

static ct_tensor *ix(const double *v, const int64_t *shape, int nd) { return tt_tensor(v, shape, nd, CT_INT64); }

/* x[0]: (2, 3) -> (1, 2, 3) padded along the last dim, then 2-d */
FN(f_pad_reflect, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){2, 1}, 2, "reflect", 0.0))
FN(f_pad_replicate, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){2, 3}, 2, "replicate", 0.0))
FN(f_pad_circular, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){1, 2}, 2, "circular", 0.0))
FN(f_pad_reflect2d, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){1, 2, 1, 0}, 4, "reflect", 0.0))
FN(f_pad_replicate2d, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){0, 2, 1, 1}, 4, "replicate", 0.0))
FN(f_pad_crop_reflect, ct_pad(ct_unsqueeze(x[0], 0), (const int64_t[]){-1, 1}, 2, "reflect", 0.0))

#define SIDX ix(VALS(0, 1, 0, 1, 2, 2), SHAPE(2, 3), 2)
FN(f_sr_prod, ct_scatter_reduce(x[0], 1, SIDX, x[1], "prod", true))
FN(f_sr_prod_x, ct_scatter_reduce(x[0], 1, SIDX, x[1], "prod", false))
FN(f_sr_amax, ct_scatter_reduce(x[0], 1, SIDX, x[1], "amax", true))
FN(f_sr_amax_x, ct_scatter_reduce(x[0], 1, SIDX, x[1], "amax", false))
FN(f_sr_amin, ct_scatter_reduce(x[0], 1, SIDX, x[1], "amin", true))
FN(f_sr_amin_x, ct_scatter_reduce(x[0], 1, SIDX, x[1], "amin", false))
FN(f_sr_sum_x, ct_scatter_reduce(x[0], 1, SIDX, x[1], "sum", false))

static ct_tensor *distinct(const double *v, int64_t a, int64_t b) {
    /* a transposed (non-contiguous) leaf of shape (a, b) holding v row-major */
    double t[16];
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++) t[j * a + i] = v[i * b + j];
    ct_tensor *x = ct_transpose(tt_tensor(t, SHAPE(b, a), 2, CT_FLOAT64), 0, 1);
    ct_set_requires_grad(x, true);
    return x;
}

TEST(pad, derivative_of_reflect_replicate_circular) {
    GRADCHECK(f_pad_reflect, ncr(2, 3, -1, 1, 1));
    GRADCHECK(f_pad_replicate, ncr(2, 3, -1, 1, 2));
    GRADCHECK(f_pad_circular, ncr(2, 3, -1, 1, 3));
    GRADCHECK(f_pad_reflect2d, ncr(2, 3, -1, 1, 4));
    GRADCHECK(f_pad_replicate2d, ncr(2, 3, -1, 1, 5));
    GRADCHECK(f_pad_crop_reflect, ncr(2, 4, -1, 1, 6));
}

TEST(pad, replicate_gradient_sums_the_copies_of_the_edge) {
    /* pad (2, 3) replicate of [a, b, c]: a appears 3 times, c 4 times */
    ct_tensor *x = tt_tensor(VALS(1, 2, 3), SHAPE(1, 3), 2, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *y = ct_pad(x, (const int64_t[]){2, 3}, 2, "replicate", 0.0);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(1, 3), 2, VALS(3, 1, 4), 0);
}

TEST(scatter_reduce, derivative_of_prod_amax_amin) {
    static const double xs[] = {0.5, -1.3, 0.9, 1.7, -0.6, 1.1};
    static const double ss[] = {0.8, -1.5, 1.2, 0.7, 1.9, -0.4};
    ct_check_fn fns[] = {f_sr_prod, f_sr_prod_x, f_sr_amax, f_sr_amax_x, f_sr_amin, f_sr_amin_x,
                         f_sr_sum_x};
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
        GRADCHECK(fns[k], distinct(xs, 2, 3), distinct(ss, 2, 3));
}

TEST(scatter_reduce, prod_with_zeros_in_self_and_src) {
    /* out[0] = x0 * s0 * s2 (s0 = 0), out[1] = x1 * s1: d/ds0 = x0 s2 */
    ct_tensor *x = tt_tensor(VALS(2, 0, 5), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *s = tt_tensor(VALS(0, 3, 4), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_set_requires_grad(s, true);
    ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(0, 1, 0), SHAPE(3), 1), s, "prod", true);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(0 * 4, 3, 1), 0);
    CHECK_TENSOR(ct_tensor_grad(s), SHAPE(3), 1, VALS(2 * 4, 0, 2 * 0), 0);
}

TEST(scatter_reduce, prod_double_backward_fails_for_two_zeros_at_one_position) {
    /* PyTorch 1.13: x = [3, 4], s = [0, 0, 2] -> [0, 1]: ds = [0, 0, 4]
     * (first backward right), but ds's grad_fn is Error and any backward
     * through it raises; one zero per position differentiates normally. */
    const char *msg = "scatter_reduce(): Double backward is unsupported for src when >1 zeros "
                      "in src are scattered to the same position in self";
    for (int zeros = 1; zeros <= 2; zeros++) {
        ct_tensor *x = tt_tensor(VALS(3, 4), SHAPE(2), 1, CT_FLOAT64);
        ct_tensor *s = tt_tensor(zeros == 2 ? VALS(0, 0, 2) : VALS(0, 5, 2), SHAPE(3), 1, CT_FLOAT64);
        ct_set_requires_grad(x, true);
        ct_set_requires_grad(s, true);
        ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(0, 0, 1), SHAPE(3), 1), s, "prod", true);
        ct_tensor *g[2];
        CHECK(ct_grad((ct_tensor *[]){y}, 1, (ct_tensor *[]){x, s}, 2,
                      (const ct_tensor *[]){ct_ones_like(y, CT_FLOAT64)}, true, true, false, g) == 0);
        CHECK_TENSOR(g[0], SHAPE(2), 1, VALS(0, 2), 0);
        CHECK_TENSOR(g[1], SHAPE(3), 1, zeros == 2 ? VALS(0, 0, 4) : VALS(15, 0, 4), 0);
        ct_tensor *gg[1];
        int rc = ct_grad((ct_tensor *[]){ct_sum(g[1])}, 1, (ct_tensor *[]){s}, 1, NULL, true,
                         false, true, gg);
        if (zeros == 2) {
            CHECK(!strcmp(ct_node_name(ct_grad_fn(g[1])), "Error"));
            CHECK(rc < 0 && strstr(ct_last_error(), msg));
            CHECK(ct_grad((ct_tensor *[]){ct_sum(g[1])}, 1, (ct_tensor *[]){x}, 1, NULL, true,
                          false, true, gg) < 0 && strstr(ct_last_error(), msg));
            /* the gradient of self stays differentiable */
            CHECK(ct_grad((ct_tensor *[]){ct_sum(g[0])}, 1, (ct_tensor *[]){s}, 1, NULL, true,
                          false, true, gg) == 0);
            CHECK_TENSOR(gg[0], SHAPE(3), 1, VALS(0, 0, 1), 0);
        } else {
            CHECK(rc == 0);
            CHECK_TENSOR(gg[0], SHAPE(3), 1, VALS(3, 3, 0), 0);
        }
    }
    /* with the forward graph freed (retain_graph false), the double backward
     * through src's gradient meets the freed node: PyTorch's message */
    {
        ct_tensor *x = tt_tensor(VALS(3, 4), SHAPE(2), 1, CT_FLOAT64);
        ct_tensor *s = tt_tensor(VALS(0, 5, 2), SHAPE(3), 1, CT_FLOAT64);
        ct_set_requires_grad(s, true);
        ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(0, 0, 1), SHAPE(3), 1), s, "prod", true);
        ct_tensor *g[1], *gg[1];
        CHECK(ct_grad((ct_tensor *[]){y}, 1, (ct_tensor *[]){s}, 1,
                      (const ct_tensor *[]){ct_ones_like(y, CT_FLOAT64)}, false, true, false, g) == 0);
        CHECK(ct_grad((ct_tensor *[]){ct_sum(g[0])}, 1, (ct_tensor *[]){s}, 1, NULL, true, false,
                      true, gg) < 0);
        CHECK(strstr(ct_last_error(), "Trying to backward through the graph a second time"));
    }
    /* without create_graph: a plain gradient, no Error node */
    ct_tensor *x = tt_tensor(VALS(3, 4), SHAPE(2), 1, CT_FLOAT64);
    ct_tensor *s = tt_tensor(VALS(0, 0, 2), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(s, true);
    ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(0, 0, 1), SHAPE(3), 1), s, "prod", true);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(s), SHAPE(3), 1, VALS(0, 0, 4), 0);
    CHECK(ct_grad_fn(ct_tensor_grad(s)) == NULL);
}

TEST(scatter_reduce, amax_shares_the_gradient_between_ties) {
    /* self 1 ties with src 1 at position 0: each gets half */
    ct_tensor *x = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_FLOAT64);
    ct_tensor *s = tt_tensor(VALS(1, -2), SHAPE(2), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_set_requires_grad(s, true);
    ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(0, 1), SHAPE(2), 1), s, "amax", true);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(0.5, 1), 0);
    CHECK_TENSOR(ct_tensor_grad(s), SHAPE(2), 1, VALS(0.5, 0), 0);
}

TEST(scatter_reduce, sum_without_self_gives_self_no_gradient_where_written) {
    GRADCHECK(f_sr_sum_x, ncr(2, 3, -1, 1, 7), ncr(2, 3, -1, 1, 8));
    ct_tensor *x = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT64);
    ct_set_requires_grad(x, true);
    ct_tensor *y = ct_scatter_reduce(x, 0, ix(VALS(2), SHAPE(1), 1),
                                     tt_tensor(VALS(5), SHAPE(1), 1, CT_FLOAT64), "sum", false);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(1, 1, 0), 0);
}

TEST(scatter, multiply_derivative_raises_like_pytorch) {
    ct_tensor *x = rleaf(SHAPE(3), 1, -1, 1, 9);
    ct_tensor *y = ct_scatter_with_reduce(x, 0, ix(VALS(1), SHAPE(1), 1),
                                          tt_tensor(VALS(2), SHAPE(1), 1, CT_FLOAT64), "multiply");
    CHECK_OK(y);
    ct_clear_error();
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "derivative for aten::scatter is not implemented"));
}

TEST(linalg_qr, derivative_errors_match_pytorch) {
    ct_tensor *a = rleaf(SHAPE(3, 2), 2, -1, 1, 10);
    ct_tensor *q = NULL, *r = NULL;
    CHECK(ct_linalg_qr(a, "r", &q, &r) == 0);
    ct_clear_error();
    CHECK(ct_backward(ct_sum(r), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "The derivative of linalg.qr depends on Q, which is not computed "
                                  "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                                  "are going to differentiate through linalg.qr."));
    CHECK(ct_linalg_qr(a, "complete", &q, &r) == 0);
    ct_clear_error();
    CHECK(ct_backward(ct_sum(r), NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "The QR decomposition is not differentiable when mode='complete' "
                                  "and nrows > ncols."));
}

TEST(view, dtype_reinterprets_the_bytes_with_pytorch_rules) {
    /* 1.0f is 0x3f800000; as int16 (little endian) {0, 0x3f80} */
    ct_tensor *x = tt_tensor(VALS(1, 0, 2, 0), SHAPE(2, 2), 2, CT_FLOAT32);
    ct_tensor *i = ct_view_dtype(x, CT_INT32);
    CHECK_TENSOR(i, SHAPE(2, 2), 2, VALS(1065353216, 0, 1073741824, 0), 0);
    CHECK(i->storage == x->storage);
    ct_tensor *h = ct_view_dtype(x, CT_INT16);
    CHECK_TENSOR(h, SHAPE(2, 4), 2, VALS(0, 16256, 0, 0, 0, 16384, 0, 0), 0);
    CHECK(h->strides[0] == 4 && h->strides[1] == 1);
    ct_tensor *d = ct_view_dtype(x, CT_FLOAT64);
    CHECK(d->ndim == 2 && d->sizes[1] == 1 && d->strides[0] == 1);
    CHECK_ERR(ct_view_dtype(ct_transpose(x, 0, 1), CT_INT16),
              "self.stride(-1) must be 1 to view Float as Short (different element sizes), but got 2");
    CHECK_ERR(ct_view_dtype(ct_narrow(x, 1, 0, 1), CT_FLOAT64),
              "self.size(-1) must be divisible by 2 to view Float as Double");
    CHECK_ERR(ct_view_dtype(ct_select(ct_select(x, 0, 0), 0, 0), CT_INT16),
              "self.dim() cannot be 0 to view Float as Short (different element sizes)");
}
