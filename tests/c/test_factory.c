/* Creation ops. Expected values come from PyTorch 1.13 (noted where so) or
 * from the defining formula evaluated in double in the test. */
#include "harness.h"

#include <float.h>

static int all_equal(const ct_tensor *t, double v) {
    for (int64_t i = 0; i < t->numel; i++)
        if (ct_item_at(t, i) != v) return 0;
    return 1;
}

TEST(zeros, fills_every_dtype_and_crosses_the_grain) {
    for (int dt = 0; dt < CT_NUM_DTYPES; dt++) {
        ct_tensor *z = ct_zeros(SHAPE(3, 5), 2, (ct_dtype)dt);
        CHECK_OK(z);
        CHECK(z->dtype == (ct_dtype)dt && z->numel == 15);
        CHECK(all_equal(z, 0));
    }
    ct_tensor *big = ct_zeros(SHAPE(300001), 1, CT_DTYPE_DEFAULT);
    CHECK(big->dtype == CT_FLOAT32 && all_equal(big, 0));
    ct_tensor *s = ct_zeros(NULL, 0, CT_INT64);
    CHECK(s->ndim == 0 && s->numel == 1 && ct_item_at(s, 0) == 0);
    ct_tensor *e = ct_zeros(SHAPE(0, 3), 2, CT_FLOAT32);
    CHECK(e->numel == 0 && e->sizes[1] == 3);
}

TEST(zeros, rejects_negative_sizes_and_bad_dtypes) {
    CHECK_ERR(ct_zeros(SHAPE(-1), 1, CT_FLOAT32),
              "Trying to create tensor with negative dimension -1: [-1]");
    CHECK_ERR(ct_zeros(SHAPE(2), 1, (ct_dtype)42), "invalid dtype");
}

TEST(ones, default_dtype_and_every_dtype) {
    ct_tensor *o = ct_ones(SHAPE(2, 3), 2, CT_DTYPE_DEFAULT);
    CHECK(o->dtype == CT_FLOAT32);
    CHECK_TENSOR(o, SHAPE(2, 3), 2, VALS(1, 1, 1, 1, 1, 1), 0);
    for (int dt = 0; dt < CT_NUM_DTYPES; dt++) {
        ct_tensor *t = ct_ones(SHAPE(40000), 1, (ct_dtype)dt);
        CHECK_OK(t);
        CHECK(all_equal(t, 1));
    }
    ct_set_default_dtype(CT_FLOAT64);
    ct_tensor *d = ct_ones(SHAPE(2), 1, CT_DTYPE_DEFAULT);
    ct_set_default_dtype(CT_FLOAT32);
    CHECK(d->dtype == CT_FLOAT64);
}

TEST(full, converts_the_value_like_pytorch) {
    /* torch.full((2,), 1.5, dtype=torch.int64) -> [1, 1];
     * torch.full((2,), -7, dtype=torch.uint8) -> [249, 249] */
    CHECK_TENSOR(ct_full(SHAPE(2), 1, 1.5, CT_INT64), SHAPE(2), 1, VALS(1, 1), 0);
    CHECK_TENSOR(ct_full_int(SHAPE(2), 1, -7, CT_UINT8), SHAPE(2), 1, VALS(249, 249), 0);
    CHECK_TENSOR(ct_full(SHAPE(2), 1, 0.25, CT_BOOL), SHAPE(2), 1, VALS(1, 1), 0);
    ct_tensor *f = ct_full(SHAPE(3), 1, -2.5, CT_DTYPE_DEFAULT);
    CHECK(f->dtype == CT_FLOAT32);
    CHECK_TENSOR(f, SHAPE(3), 1, VALS(-2.5, -2.5, -2.5), 0);
    /* int64 values keep all their bits: torch.full((2,), 2**40+1) */
    ct_tensor *i = ct_full_int(SHAPE(2), 1, (INT64_C(1) << 53) + 1, CT_DTYPE_DEFAULT);
    CHECK(i->dtype == CT_INT64);
    CHECK(ct_item_at_int(i, 1) == (INT64_C(1) << 53) + 1);
    ct_tensor *h = ct_full(SHAPE(5), 1, 3.5, CT_FLOAT16);
    CHECK(all_equal(h, 3.5));
    ct_tensor *nanf = ct_full(SHAPE(2), 1, NAN, CT_FLOAT64);
    CHECK(isnan(ct_item_at(nanf, 0)));
    ct_tensor *big = ct_full(SHAPE(3, 100000), 2, 7, CT_FLOAT64);
    CHECK(all_equal(big, 7));
    CHECK_ERR(ct_full(SHAPE(2, -3), 2, 1, CT_FLOAT32), "negative dimension");
}

TEST(full, values_that_overflow_the_dtype_are_errors_like_pytorch) {
    /* PyTorch 1.13: torch.full((2,), v, dtype=...) */
    CHECK_ERR(ct_full(SHAPE(2), 1, NAN, CT_INT64), "value cannot be converted to type int64_t without overflow");
    CHECK_ERR(ct_full_int(SHAPE(2), 1, 300, CT_UINT8), "value cannot be converted to type uint8_t without overflow");
    CHECK_TENSOR(ct_full_int(SHAPE(2), 1, -1, CT_UINT8), SHAPE(2), 1, VALS(255, 255), 0);
    CHECK_ERR(ct_full(SHAPE(2), 1, 1e10, CT_INT32), "type int without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, 255.5, CT_UINT8), "type uint8_t without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, 127.9, CT_INT8), "type int8_t without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, 1e300, CT_FLOAT32), "type float without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, 70000, CT_FLOAT16), "type at::Half without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, 1e39, CT_BFLOAT16), "type at::BFloat16 without overflow");
    CHECK_TENSOR(ct_full(SHAPE(2), 1, INFINITY, CT_FLOAT16), SHAPE(2), 1, VALS(INFINITY, INFINITY), 0);
    CHECK_TENSOR(ct_full(SHAPE(2), 1, 1e300, CT_FLOAT64), SHAPE(2), 1, VALS(1e300, 1e300), 0);
    CHECK_TENSOR(ct_full(SHAPE(2), 1, 5, CT_BOOL), SHAPE(2), 1, VALS(1, 1), 0);
    ct_tensor *i = ct_zeros(SHAPE(2), 1, CT_INT32);
    CHECK_ERR(ct_fill_(i, INFINITY), "type int without overflow");
    CHECK_ERR(ct_fill_tensor_(ct_zeros(SHAPE(2), 1, CT_INT8), ct_full_int(NULL, 0, 200, CT_INT64)),
              "type int8_t without overflow");
    CHECK_ERR(ct_full_like(i, -1.5, CT_UINT8), "type uint8_t without overflow");
    CHECK_ERR(ct_full(SHAPE(2), 1, -1.0, CT_UINT8), "type uint8_t without overflow");
    CHECK_TENSOR(ct_full_int(SHAPE(2), 1, -255, CT_UINT8), SHAPE(2), 1, VALS(1, 1), 0);
}

TEST(zeros_like, keeps_shape_and_dtype_of_noncontiguous_input) {
    ct_tensor *a = ct_ones(SHAPE(3, 4), 2, CT_INT32);
    ct_tensor *t = ct_t(a);
    ct_tensor *z = ct_zeros_like(t, CT_DTYPE_DEFAULT);
    CHECK(z->dtype == CT_INT32 && z->sizes[0] == 4 && z->sizes[1] == 3);
    /* preserve_format, as torch.zeros_like: laid out as t */
    CHECK(z->strides[0] == 1 && z->strides[1] == 4 && all_equal(z, 0));
    ct_tensor *zd = ct_zeros_like(t, CT_FLOAT64);
    CHECK(zd->dtype == CT_FLOAT64);
}

TEST(ones_like, zero_d_and_empty) {
    ct_tensor *s = ct_ones_like(ct_scalar_tensor(5, CT_FLOAT64), CT_DTYPE_DEFAULT);
    CHECK(s->ndim == 0 && s->dtype == CT_FLOAT64 && ct_item_at(s, 0) == 1);
    ct_tensor *e = ct_ones_like(ct_zeros(SHAPE(2, 0), 2, CT_FLOAT32), CT_BOOL);
    CHECK(e->numel == 0 && e->dtype == CT_BOOL && e->sizes[0] == 2);
}

TEST(full_like, value_and_dtype) {
    ct_tensor *a = ct_zeros(SHAPE(2, 2), 2, CT_INT16);
    ct_tensor *f = ct_full_like(a, -3.9, CT_DTYPE_DEFAULT);
    CHECK(f->dtype == CT_INT16);
    CHECK_TENSOR(f, SHAPE(2, 2), 2, VALS(-3, -3, -3, -3), 0);
    CHECK_TENSOR(ct_full_like(a, 0.5, CT_FLOAT32), SHAPE(2, 2), 2, VALS(.5, .5, .5, .5), 0);
}

TEST(empty_like, shape_and_dtype) {
    ct_tensor *a = ct_zeros(SHAPE(2, 3, 4), 3, CT_FLOAT64);
    ct_tensor *e = ct_empty_like_dtype(ct_permute(a, (const int[]){2, 0, 1}, 3), CT_INT8);
    CHECK(e->dtype == CT_INT8 && e->ndim == 3 && e->sizes[0] == 4);
    /* torch.empty_like keeps the permuted layout: strides (1, 12, 4) */
    CHECK(e->strides[0] == 1 && e->strides[1] == 12 && e->strides[2] == 4);
    CHECK(ct_empty_like_dtype(a, CT_DTYPE_DEFAULT)->dtype == CT_FLOAT64);
}

TEST(arange, float_steps_have_pytorch_lengths_and_values) {
    /* torch.arange(0, 1, 0.1).shape == (10,) */
    ct_tensor *a = ct_arange(0, 1, 0.1, CT_DTYPE_DEFAULT);
    CHECK(a->dtype == CT_FLOAT32 && a->numel == 10);
    for (int i = 0; i < 10; i++) CHECK(ct_item_at(a, i) == (float)(0.1 * i));
    /* torch.arange(0, 1, 0.3, dtype=torch.float64) -> [0, .3, .6, .8999999999999999] */
    CHECK_TENSOR(ct_arange(0, 1, 0.3, CT_FLOAT64), SHAPE(4), 1,
                 VALS(0.0, 0.3, 0.6, 0.8999999999999999), 0);
    CHECK_TENSOR(ct_arange(1, 2.5, 0.5, CT_DTYPE_DEFAULT), SHAPE(3), 1, VALS(1, 1.5, 2), 0);
    CHECK(ct_arange(1, 1, 1, CT_FLOAT32)->numel == 0);
    /* torch.arange(0, 100, 0.1)[8:24].tolist(): PyTorch's blockwise rounding */
    ct_tensor *b = ct_arange(0, 100, 0.1, CT_FLOAT32);
    CHECK(b->numel == 1000);
    const double b8[] = {0.800000011920929, 0.9000000357627869, 1.0, 1.100000023841858,
                         1.2000000476837158, 1.2999999523162842, 1.399999976158142, 1.5,
                         1.600000023841858, 1.7000000476837158, 1.8000000715255737,
                         1.899999976158142, 2.0, 2.0999999046325684, 2.200000047683716,
                         2.299999952316284};
    for (int i = 0; i < 16; i++) CHECK(ct_item_at(b, 8 + i) == b8[i]);
    /* torch.arange(-3.3, 50, 0.37, dtype=torch.float64)[40:64].tolist() */
    ct_tensor *d = ct_arange(-3.3, 50, 0.37, CT_FLOAT64);
    CHECK(d->numel == 145);
    const double d40[] = {11.5, 11.87, 12.24, 12.61, 12.98, 13.35, 13.72, 14.09, 14.46, 14.83,
                          15.200000000000001, 15.57, 15.94, 16.31, 16.68, 17.05, 17.42,
                          17.790000000000003, 18.16, 18.53, 18.9, 19.27, 19.639999999999997,
                          20.009999999999998};
    for (int i = 0; i < 24; i++) CHECK(ct_item_at(d, 40 + i) == d40[i]);
    /* large: crosses the threading grain */
    ct_tensor *big = ct_arange(0, 200000, 1, CT_FLOAT64);
    CHECK(big->numel == 200000 && ct_item_at(big, 199999) == 199999 && ct_item_at(big, 77777) == 77777);
    ct_tensor *h = ct_arange(1, 4, 1, CT_FLOAT16);
    CHECK_TENSOR(h, SHAPE(3), 1, VALS(1, 2, 3), 0);
}

TEST(arange, integer_arguments_give_int64) {
    ct_tensor *a = ct_arange_int(0, 10, 3, CT_DTYPE_DEFAULT);
    CHECK(a->dtype == CT_INT64);
    CHECK_TENSOR(a, SHAPE(4), 1, VALS(0, 3, 6, 9), 0);
    CHECK_TENSOR(ct_arange_int(-1, -10, -4, CT_DTYPE_DEFAULT), SHAPE(3), 1, VALS(-1, -5, -9), 0);
    CHECK_TENSOR(ct_arange_int(10, 0, -3, CT_INT32), SHAPE(4), 1, VALS(10, 7, 4, 1), 0);
    ct_tensor *f = ct_arange_int(0, 3, 1, CT_FLOAT64);
    CHECK(f->dtype == CT_FLOAT64);
    CHECK_TENSOR(f, SHAPE(3), 1, VALS(0, 1, 2), 0);
    /* torch.arange(0.5, 3.7, 1, dtype=torch.int64) -> [0, 1, 2] */
    CHECK_TENSOR(ct_arange(0.5, 3.7, 1, CT_INT64), SHAPE(3), 1, VALS(0, 1, 2), 0);
    ct_tensor *big = ct_arange_int(0, 100000, 1, CT_INT64);
    CHECK(ct_item_at_int(big, 99999) == 99999);
}

TEST(arange, errors_like_pytorch) {
    CHECK_ERR(ct_arange(0, 5, 0, CT_FLOAT32), "step must be nonzero");
    CHECK_ERR(ct_arange_int(0, 5, 0, CT_DTYPE_DEFAULT), "step must be nonzero");
    CHECK_ERR(ct_arange(5, 0, 1, CT_FLOAT32),
              "upper bound and larger bound inconsistent with step sign");
    CHECK_ERR(ct_arange(0, INFINITY, 1, CT_FLOAT32), "unsupported range: 0 -> inf");
    CHECK_ERR(ct_arange(0, 2.5, 0.5, CT_INT64), "step must be nonzero");
    CHECK_ERR(ct_arange(0, 3, 1, CT_BOOL), "\"arange_cpu\" not implemented for 'Bool'");
}

TEST(linspace, matches_pytorch_float32_and_float64) {
    /* torch.linspace(-1, 1, 7).tolist() */
    CHECK_TENSOR(ct_linspace(-1, 1, 7, CT_DTYPE_DEFAULT), SHAPE(7), 1,
                 VALS(-1.0, -0.6666666269302368, -0.3333333134651184, -2.9802322387695312e-08,
                      0.3333333134651184, 0.6666666269302368, 1.0),
                 0);
    /* torch.linspace(0, 1, 10, dtype=torch.float64).tolist() */
    CHECK_TENSOR(ct_linspace(0, 1, 10, CT_FLOAT64), SHAPE(10), 1,
                 VALS(0.0, 0.1111111111111111, 0.2222222222222222, 0.3333333333333333,
                      0.4444444444444444, 0.5555555555555556, 0.6666666666666666,
                      0.7777777777777777, 0.8888888888888888, 1.0),
                 0);
    /* torch.linspace(3, -3, 4, dtype=torch.int32) -> [3, 1, -1, -3];
     * torch.linspace(0, 10, 5, dtype=torch.int64) -> [0, 2, 5, 7, 10] */
    CHECK_TENSOR(ct_linspace(3, -3, 4, CT_INT32), SHAPE(4), 1, VALS(3, 1, -1, -3), 0);
    CHECK_TENSOR(ct_linspace(0, 10, 5, CT_INT64), SHAPE(5), 1, VALS(0, 2, 5, 7, 10), 0);
    /* torch.linspace(-3.3, 7.1, 37).tolist()[8:16]: PyTorch's blockwise rounding */
    ct_tensor *l = ct_linspace(-3.3, 7.1, 37, CT_FLOAT32);
    const double l8[] = {-0.9888889789581299, -0.7000001072883606, -0.4111112356185913,
                         -0.12222236394882202, 0.16666650772094727, 0.45555543899536133,
                         0.7444442510604858, 1.0333330631256104};
    for (int i = 0; i < 8; i++) CHECK(ct_item_at(l, 8 + i) == l8[i]);
    /* torch.linspace(0.5, 100.25, 101, dtype=torch.float64).tolist()[40:64] */
    ct_tensor *ld = ct_linspace(0.5, 100.25, 101, CT_FLOAT64);
    const double l40[] = {40.400000000000006, 41.39750000000001, 42.395, 43.392500000000005,
                          44.39, 45.3875, 46.385, 47.3825, 48.38, 49.377500000000005, 50.375,
                          51.3725, 52.37, 53.3675, 54.364999999999995, 55.3625, 56.36, 57.3575,
                          58.355, 59.3525, 60.349999999999994, 61.3475, 62.34499999999999,
                          63.342499999999994};
    for (int i = 0; i < 24; i++) CHECK(ct_item_at(ld, 40 + i) == l40[i]);
    CHECK_TENSOR(ct_linspace(0, 1, 1, CT_FLOAT32), SHAPE(1), 1, VALS(0), 0);
    CHECK(ct_linspace(0, 1, 0, CT_FLOAT32)->numel == 0);
    ct_tensor *big = ct_linspace(0, 1, 100001, CT_FLOAT64);
    CHECK(ct_item_at(big, 0) == 0 && ct_item_at(big, 100000) == 1);
    CHECK_CLOSE(ct_item_at(big, 25000), 0.25, 1e-15);
    CHECK_CLOSE(ct_item_at(big, 75000), 0.75, 1e-15);
    CHECK_ERR(ct_linspace(0, 1, -1, CT_FLOAT32), "number of steps must be non-negative");
    CHECK_ERR(ct_linspace(0, 1, 3, CT_BOOL), "not implemented for 'Bool'");
}

TEST(logspace, matches_pytorch) {
    /* torch.logspace(-2, 2, 5).tolist() */
    CHECK_TENSOR(ct_logspace(-2, 2, 5, 10, CT_DTYPE_DEFAULT), SHAPE(5), 1,
                 VALS(0.009999999776482582, 0.10000000149011612, 1.0, 10.0, 100.0), 0);
    /* torch.logspace(0, 1, 4, base=2, dtype=torch.float64).tolist() */
    CHECK_TENSOR(ct_logspace(0, 1, 4, 2, CT_FLOAT64), SHAPE(4), 1,
                 VALS(1.0, 1.2599210498948732, 1.5874010519681996, 2.0), 1e-15);
    /* torch.logspace(0, 3, 4, base=2, dtype=torch.int64) -> [1, 2, 4, 8] */
    CHECK_TENSOR(ct_logspace(0, 3, 4, 2, CT_INT64), SHAPE(4), 1, VALS(1, 2, 4, 8), 0);
    CHECK_ERR(ct_logspace(0, 1, -2, 10, CT_FLOAT32), "number of steps must be non-negative");
}

TEST(eye, square_rectangular_and_errors) {
    ct_tensor *e = ct_eye(2, 3, CT_DTYPE_DEFAULT);
    CHECK(e->dtype == CT_FLOAT32);
    CHECK_TENSOR(e, SHAPE(2, 3), 2, VALS(1, 0, 0, 0, 1, 0), 0);
    CHECK_TENSOR(ct_eye(3, 2, CT_BOOL), SHAPE(3, 2), 2, VALS(1, 0, 0, 1, 0, 0), 0);
    CHECK_TENSOR(ct_eye(2, 2, CT_INT64), SHAPE(2, 2), 2, VALS(1, 0, 0, 1), 0);
    CHECK(ct_eye(0, 4, CT_FLOAT32)->numel == 0);
    CHECK_ERR(ct_eye(-1, 1, CT_FLOAT32), "n must be greater or equal to 0, got -1");
    CHECK_ERR(ct_eye(2, -3, CT_FLOAT32), "m must be greater or equal to 0, got -3");
}

TEST(tensor, from_doubles_converts_to_dtype) {
    ct_tensor *t = ct_tensor_from_doubles(VALS(1.5, -2.7, 3), SHAPE(3), 1, CT_DTYPE_DEFAULT);
    CHECK(t->dtype == CT_FLOAT32);
    CHECK_TENSOR(t, SHAPE(3), 1, VALS(1.5, (float)-2.7, 3), 0);
    /* torch.tensor([1.5, -2.7]).to(torch.int32) -> [1, -2] */
    CHECK_TENSOR(ct_tensor_from_doubles(VALS(1.5, -2.7), SHAPE(2), 1, CT_INT32), SHAPE(2), 1,
                 VALS(1, -2), 0);
    CHECK_TENSOR(ct_tensor_from_doubles(VALS(0.1, 0.2, 0.3, 0.4), SHAPE(2, 2), 2, CT_FLOAT64),
                 SHAPE(2, 2), 2, VALS(0.1, 0.2, 0.3, 0.4), 0);
    ct_tensor *s = ct_tensor_from_doubles(VALS(4), NULL, 0, CT_INT64);
    CHECK(s->ndim == 0 && ct_item_at(s, 0) == 4);
    CHECK_ERR(ct_tensor_from_doubles(VALS(1), SHAPE(-1), 1, CT_FLOAT32), "negative dimension");
}

TEST(fill_, strided_views_bump_version_and_leave_the_rest) {
    ct_tensor *a = ct_zeros(SHAPE(4, 6), 2, CT_FLOAT64);
    ct_tensor *col = ct_slice(a, 1, 1, 6, 2); /* columns 1, 3, 5 */
    uint64_t v0 = ct_version(a);
    CHECK(ct_fill_(col, 2.5) == col);
    CHECK(ct_version(a) == v0 + 1);
    for (int i = 0; i < 24; i++) CHECK(ct_item_at(a, i) == ((i % 6) % 2 == 1 ? 2.5 : 0));
    /* torch.zeros(3, dtype=torch.int32).fill_(2.7) -> [2, 2, 2] */
    ct_tensor *i = ct_zeros(SHAPE(3), 1, CT_INT32);
    CHECK_TENSOR(ct_fill_(i, 2.7), SHAPE(3), 1, VALS(2, 2, 2), 0);
    ct_tensor *b = ct_zeros(SHAPE(3), 1, CT_BOOL);
    CHECK_TENSOR(ct_fill_(b, 0.1), SHAPE(3), 1, VALS(1, 1, 1), 0);
    /* large transposed fill goes through the iterator on several threads */
    ct_tensor *big = ct_zeros(SHAPE(300, 400), 2, CT_FLOAT32);
    ct_fill_(ct_t(big), -1);
    CHECK(all_equal(big, -1));
    ct_tensor *bigc = ct_zeros(SHAPE(200000), 1, CT_INT16);
    ct_fill_(bigc, 300);
    CHECK(all_equal(bigc, 300));
    ct_tensor *s = ct_zeros(NULL, 0, CT_FLOAT32);
    CHECK(ct_item_at(ct_fill_(s, 9), 0) == 9);
}

TEST(fill_, expanded_tensor_fills_its_storage_once) {
    /* torch.zeros(3, 1).expand(3, 4).fill_(1) is allowed */
    ct_tensor *base = ct_zeros(SHAPE(3, 1), 2, CT_FLOAT32);
    ct_tensor *e = ct_expand(base, SHAPE(3, 40000), 2);
    CHECK(ct_fill_(e, 1) == e);
    CHECK_TENSOR(base, SHAPE(3, 1), 2, VALS(1, 1, 1), 0);
    CHECK(ct_zero_(e) == e);
    CHECK_TENSOR(base, SHAPE(3, 1), 2, VALS(0, 0, 0), 0);
}

TEST(fill_, with_a_zero_d_tensor) {
    ct_tensor *a = ct_zeros(SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK(ct_fill_tensor_(a, ct_scalar_tensor(-4.5, CT_FLOAT64)) == a);
    CHECK(all_equal(a, -4.5));
    ct_tensor *i = ct_zeros(SHAPE(2), 1, CT_INT64);
    ct_fill_tensor_(i, ct_full_int(NULL, 0, (INT64_C(1) << 60) + 3, CT_INT64));
    CHECK(ct_item_at_int(i, 1) == (INT64_C(1) << 60) + 3);
    CHECK_ERR(ct_fill_tensor_(a, ct_zeros(SHAPE(2), 1, CT_FLOAT32)),
              "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.");
}

TEST(zero_, zeroes_views_and_bumps_version) {
    ct_tensor *a = ct_ones(SHAPE(3, 3), 2, CT_FLOAT32);
    ct_tensor *d = ct_diagonal(a, 0, 0, 1);
    uint64_t v0 = ct_version(a);
    CHECK(ct_zero_(d) == d);
    CHECK(ct_version(a) == v0 + 1);
    CHECK_TENSOR(a, SHAPE(3, 3), 2, VALS(0, 1, 1, 1, 0, 1, 1, 1, 0), 0);
    ct_tensor *n = ct_full(SHAPE(2), 1, -0.0, CT_FLOAT64);
    ct_zero_(n);
    CHECK(!signbit(ct_item_at(n, 0)));
    ct_zero_(ct_zeros(SHAPE(0), 1, CT_FLOAT32)); /* empty: no-op */
}

TEST(empty_strided, strides_and_storage_extent) {
    ct_tensor *t = ct_empty_strided(SHAPE(2, 3), SHAPE(1, 2), 2, CT_DTYPE_DEFAULT);
    CHECK_OK(t);
    CHECK(t->dtype == CT_FLOAT32 && t->strides[0] == 1 && t->strides[1] == 2);
    CHECK(t->storage->nbytes >= 6 * sizeof(float));
    ct_fill_(t, 2);
    CHECK(ct_item_at(t, 5) == 2);
    ct_tensor *e = ct_empty_strided(SHAPE(0, 3), SHAPE(3, 1), 2, CT_INT64);
    CHECK(e->numel == 0);
    CHECK_ERR(ct_empty_strided(SHAPE(-1), SHAPE(1), 1, CT_FLOAT32), "negative dimension");
}

TEST(tril_indices, match_pytorch) {
    /* torch.tril_indices(3, 3) and torch.tril_indices(4, 3, -1) */
    CHECK_TENSOR(ct_tril_indices(3, 3, 0, CT_DTYPE_DEFAULT), SHAPE(2, 6), 2,
                 VALS(0, 1, 1, 2, 2, 2, 0, 0, 1, 0, 1, 2), 0);
    CHECK_TENSOR(ct_tril_indices(4, 3, -1, CT_INT64), SHAPE(2, 6), 2,
                 VALS(1, 2, 2, 3, 3, 3, 0, 0, 1, 0, 1, 2), 0);
    /* torch.tril_indices(0, 3) has size (2, 0) */
    ct_tensor *e = ct_tril_indices(0, 3, 0, CT_INT64);
    CHECK(e->ndim == 2 && e->sizes[0] == 2 && e->sizes[1] == 0);
    CHECK_ERR(ct_tril_indices(-1, 3, 0, CT_INT64), "row must be non-negative, got-1");
    CHECK_ERR(ct_tril_indices(3, 3, 0, CT_FLOAT32), "\"tril_indices\" not implemented for 'Float'");
}

TEST(triu_indices, match_pytorch) {
    /* torch.triu_indices(3, 4, 1), torch.triu_indices(3, 3, -5),
     * torch.triu_indices(2, 2, dtype=torch.int32) */
    CHECK_TENSOR(ct_triu_indices(3, 4, 1, CT_DTYPE_DEFAULT), SHAPE(2, 6), 2,
                 VALS(0, 0, 0, 1, 1, 2, 1, 2, 3, 2, 3, 3), 0);
    CHECK_TENSOR(ct_triu_indices(3, 3, -5, CT_INT64), SHAPE(2, 9), 2,
                 VALS(0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2), 0);
    ct_tensor *i = ct_triu_indices(2, 2, 0, CT_INT32);
    CHECK(i->dtype == CT_INT32);
    CHECK_TENSOR(i, SHAPE(2, 3), 2, VALS(0, 0, 1, 0, 1, 1), 0);
    CHECK_ERR(ct_triu_indices(2, -2, 0, CT_INT64), "col must be non-negative");
}
