/* Matrix products against double-precision triple loops written here. */
#include "harness.h"

#include <stdlib.h>

/* out[b][i][j] = sum_k a[b][i][k] * b[b][k][j], row-major doubles. */
static void ref_bmm(const double *a, const double *b, int64_t batch, int64_t M, int64_t K,
                    int64_t N, double *out) {
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++) s += a[(t * M + i) * K + k] * b[(t * K + k) * N + j];
                out[(t * M + i) * N + j] = s;
            }
}

/* torch.matmul semantics from first principles: 1-d operands become a row
 * (left) or a column (right), batch dims broadcast, the added dims dropped. */
static int ref_matmul(const ct_tensor *a, const ct_tensor *b, int64_t *oshape, double **out) {
    int da = a->ndim, db = b->ndim;
    int64_t n = da > 1 ? a->sizes[da - 2] : 1, k = a->sizes[da - 1];
    int64_t p = db > 1 ? b->sizes[db - 1] : 1;
    int nba = da > 2 ? da - 2 : 0, nbb = db > 2 ? db - 2 : 0;
    int nb = nba > nbb ? nba : nbb;
    int64_t bs[16], batch = 1;
    for (int i = 0; i < nb; i++) {
        int ia = nba - nb + i, ib = nbb - nb + i;
        int64_t sa = ia >= 0 ? a->sizes[ia] : 1, sb = ib >= 0 ? b->sizes[ib] : 1;
        bs[i] = sa > sb ? sa : sb;
        batch *= bs[i];
    }
    double *av = tt_values(a), *bv = tt_values(b);
    double *o = malloc(sizeof(double) * (size_t)(batch * n * p + 1));
    for (int64_t t = 0; t < batch; t++) {
        /* batch index -> offsets in a and b (broadcast) */
        int64_t rem = t, offa = 0, offb = 0, stra = 1, strb = 1;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t idx = rem % bs[i];
            rem /= bs[i];
            int ia = nba - nb + i, ib = nbb - nb + i;
            if (ia >= 0) {
                if (a->sizes[ia] != 1) offa += idx * stra;
                stra *= a->sizes[ia];
            }
            if (ib >= 0) {
                if (b->sizes[ib] != 1) offb += idx * strb;
                strb *= b->sizes[ib];
            }
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < p; j++) {
                double s = 0;
                for (int64_t q = 0; q < k; q++)
                    s += av[offa * n * k + i * k + q] * bv[offb * k * p + q * p + j];
                o[(t * n + i) * p + j] = s;
            }
    }
    int no = 0;
    for (int i = 0; i < nb; i++) oshape[no++] = bs[i];
    if (da > 1) oshape[no++] = n;
    if (db > 1) oshape[no++] = p;
    free(av);
    free(bv);
    *out = o;
    return no;
}

/* Checks r == a @ b (matmul semantics) within tol. */
#define CHECK_MATMUL(r, a, b, tol)                                                   \
    do {                                                                             \
        int64_t os_[16];                                                             \
        double *ex_;                                                                 \
        int no_ = ref_matmul((a), (b), os_, &ex_);                                   \
        int bad_ = tt_expect(__FILE__, __LINE__, (r), os_, no_, ex_, (tol));         \
        free(ex_);                                                                   \
        if (bad_) return;                                                            \
    } while (0)

static ct_tensor *rnd(const int64_t *shape, int nd, ct_dtype dt, unsigned seed) {
    return tt_rand(shape, nd, dt, -1, 1, seed);
}

/* ------------------------------------------------------------ mm */
TEST(mm, float32_and_float64_match_triple_loop) {
    ct_tensor *a = rnd(SHAPE(5, 7), 2, CT_FLOAT32, 1), *b = rnd(SHAPE(7, 3), 2, CT_FLOAT32, 2);
    ct_tensor *r = ct_mm(a, b);
    CHECK(r && r->dtype == CT_FLOAT32 && ct_is_contiguous(r));
    CHECK_MATMUL(r, a, b, 1e-5);
    ct_tensor *a64 = rnd(SHAPE(4, 6), 2, CT_FLOAT64, 3), *b64 = rnd(SHAPE(6, 9), 2, CT_FLOAT64, 4);
    ct_tensor *r64 = ct_mm(a64, b64);
    CHECK(r64 && r64->dtype == CT_FLOAT64);
    CHECK_MATMUL(r64, a64, b64, 1e-12);
}

TEST(mm, transposed_operands_are_read_in_place) {
    ct_tensor *a = rnd(SHAPE(7, 5), 2, CT_FLOAT32, 5), *b = rnd(SHAPE(3, 7), 2, CT_FLOAT32, 6);
    ct_tensor *at = ct_t(a), *bt = ct_t(b);
    CHECK_MATMUL(ct_mm(at, bt), at, bt, 1e-5);
    ct_tensor *a2 = rnd(SHAPE(5, 7), 2, CT_FLOAT32, 7);
    CHECK_MATMUL(ct_mm(a2, bt), a2, bt, 1e-5);
    CHECK_MATMUL(ct_mm(at, ct_t(rnd(SHAPE(4, 7), 2, CT_FLOAT32, 8))), at,
                 ct_t(rnd(SHAPE(4, 7), 2, CT_FLOAT32, 8)), 1e-5);
}

TEST(mm, strided_and_expanded_operands) {
    /* columns with step 2: neither stride is 1, so a copy is made */
    ct_tensor *big = rnd(SHAPE(6, 10), 2, CT_FLOAT32, 9);
    ct_tensor *a = ct_slice(big, 1, 0, 10, 2); /* [6, 5] */
    ct_tensor *b = ct_slice(ct_t(rnd(SHAPE(8, 5), 2, CT_FLOAT32, 10)), 1, 1, 8, 3); /* [5, 3] */
    CHECK_MATMUL(ct_mm(a, b), a, b, 1e-5);
    /* rows with step: stride 1 inner, leading dimension 20 */
    ct_tensor *rows = ct_slice(rnd(SHAPE(8, 10), 2, CT_FLOAT64, 11), 0, 0, 8, 2); /* [4, 10] */
    ct_tensor *c = rnd(SHAPE(10, 2), 2, CT_FLOAT64, 12);
    CHECK_MATMUL(ct_mm(rows, c), rows, c, 1e-12);
    /* an expanded (stride 0) operand */
    ct_tensor *e = ct_expand(rnd(SHAPE(1, 10), 2, CT_FLOAT64, 13), SHAPE(3, 10), 2);
    CHECK_MATMUL(ct_mm(e, c), e, c, 1e-12);
}

TEST(mm, empty_dims_and_k_zero_gives_zeros) {
    ct_tensor *r = ct_mm(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), ct_empty(SHAPE(0, 3), 2, CT_FLOAT32));
    CHECK_TENSOR(r, SHAPE(2, 3), 2, VALS(0, 0, 0, 0, 0, 0), 0);
    ct_tensor *ri = ct_mm(ct_empty(SHAPE(2, 0), 2, CT_INT64), ct_empty(SHAPE(0, 2), 2, CT_INT64));
    CHECK_TENSOR(ri, SHAPE(2, 2), 2, VALS(0, 0, 0, 0), 0);
    ct_tensor *e = ct_mm(ct_empty(SHAPE(0, 4), 2, CT_FLOAT64), rnd(SHAPE(4, 3), 2, CT_FLOAT64, 1));
    CHECK(e && e->ndim == 2 && e->sizes[0] == 0 && e->sizes[1] == 3);
}

TEST(mm, integer_dtypes_use_exact_loops) {
    ct_dtype dts[] = {CT_UINT8, CT_INT8, CT_INT16, CT_INT32, CT_INT64};
    for (int d = 0; d < 5; d++) {
        ct_tensor *a = tt_rand(SHAPE(4, 5), 2, dts[d], 0, 4, 20 + d);
        ct_tensor *b = tt_rand(SHAPE(5, 3), 2, dts[d], 0, 4, 30 + d);
        ct_tensor *r = ct_mm(a, b);
        CHECK(r && r->dtype == dts[d]);
        CHECK_MATMUL(r, a, b, 0);
        CHECK_MATMUL(ct_mm(ct_t(b), ct_t(a)), ct_t(b), ct_t(a), 0);
    }
    /* int64 large values stay exact */
    ct_tensor *x = tt_tensor(VALS(3000000000.0, 1, 2, 5), SHAPE(2, 2), 2, CT_INT64);
    CHECK_TENSOR(ct_mm(x, x), SHAPE(2, 2), 2,
                 VALS(3000000000.0 * 3000000000.0 + 2, 3000000000.0 + 5, 6000000000.0 + 10, 27), 0);
}

TEST(mm, half_and_bfloat16_compute_in_float32) {
    ct_dtype dts[] = {CT_FLOAT16, CT_BFLOAT16};
    for (int d = 0; d < 2; d++) {
        ct_tensor *a = rnd(SHAPE(3, 4), 2, dts[d], 40), *b = rnd(SHAPE(4, 2), 2, dts[d], 41);
        ct_tensor *r = ct_mm(a, b);
        CHECK(r && r->dtype == dts[d]);
        CHECK_MATMUL(r, a, b, 1e-2);
    }
}

TEST(mm, errors_name_shapes_and_dtypes) {
    ct_tensor *a = rnd(SHAPE(2, 3), 2, CT_FLOAT32, 1);
    CHECK_ERR(ct_mm(a, rnd(SHAPE(4, 5), 2, CT_FLOAT32, 2)),
              "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
    CHECK_ERR(ct_mm(a, rnd(SHAPE(3, 2), 2, CT_FLOAT64, 2)), "expected scalar type Float but found Double");
    CHECK_ERR(ct_mm(a, rnd(SHAPE(3), 1, CT_FLOAT32, 2)), "mat2 must be a matrix");
    CHECK_ERR(ct_mm(rnd(SHAPE(3), 1, CT_FLOAT32, 2), a), "self must be a matrix");
    ct_tensor *bl = ct_empty(SHAPE(2, 2), 2, CT_BOOL);
    CHECK_ERR(ct_mm(bl, bl), "not implemented for 'Bool'");
    CHECK_ERR(ct_mm(ct_empty(SHAPE(2, 2), 2, CT_INT32), ct_empty(SHAPE(2, 2), 2, CT_INT64)),
              "expected scalar type Int but found Long");
}

TEST(mm, large_product_above_threading_threshold) {
    /* 200x200 output (40000 elements > CT_GRAIN): OpenBLAS threads it */
    ct_tensor *a = rnd(SHAPE(200, 150), 2, CT_FLOAT64, 50), *b = rnd(SHAPE(150, 200), 2, CT_FLOAT64, 51);
    CHECK_MATMUL(ct_mm(a, b), a, b, 1e-12);
    ct_tensor *ai = tt_rand(SHAPE(200, 150), 2, CT_INT32, -5, 5, 52);
    ct_tensor *bi = tt_rand(SHAPE(150, 200), 2, CT_INT32, -5, 5, 53);
    CHECK_MATMUL(ct_mm(ai, bi), ai, bi, 0);
}

/* ------------------------------------------------------------ bmm */
TEST(bmm, batches_match_triple_loop) {
    ct_tensor *a = rnd(SHAPE(3, 4, 5), 3, CT_FLOAT32, 60), *b = rnd(SHAPE(3, 5, 2), 3, CT_FLOAT32, 61);
    ct_tensor *r = ct_bmm(a, b);
    CHECK(r && ct_is_contiguous(r));
    CHECK_MATMUL(r, a, b, 1e-5);
    /* transposed matrices inside the batch, expanded batch dim */
    ct_tensor *at = ct_transpose(rnd(SHAPE(3, 5, 4), 3, CT_FLOAT64, 62), 1, 2);
    ct_tensor *be = ct_expand(rnd(SHAPE(1, 5, 2), 3, CT_FLOAT64, 63), SHAPE(3, 5, 2), 3);
    CHECK_MATMUL(ct_bmm(at, be), at, be, 1e-12);
    ct_tensor *ai = tt_rand(SHAPE(2, 3, 4), 3, CT_INT64, -3, 3, 64);
    ct_tensor *bi = tt_rand(SHAPE(2, 4, 3), 3, CT_INT64, -3, 3, 65);
    CHECK_MATMUL(ct_bmm(ai, bi), ai, bi, 0);
}

TEST(bmm, many_small_matrices_in_parallel) {
    ct_tensor *a = rnd(SHAPE(64, 16, 16), 3, CT_FLOAT32, 66), *b = rnd(SHAPE(64, 16, 16), 3, CT_FLOAT32, 67);
    CHECK_MATMUL(ct_bmm(a, b), a, b, 1e-5);
}

TEST(bmm, errors_and_empty_batch) {
    ct_tensor *a = rnd(SHAPE(2, 2, 3), 3, CT_FLOAT32, 1);
    CHECK_ERR(ct_bmm(a, rnd(SHAPE(3, 3, 3), 3, CT_FLOAT32, 2)),
              "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].");
    CHECK_ERR(ct_bmm(rnd(SHAPE(2, 3), 2, CT_FLOAT32, 1), a), "batch1 must be a 3D tensor");
    CHECK_ERR(ct_bmm(a, rnd(SHAPE(2, 3, 3), 3, CT_FLOAT64, 2)), "expected scalar type Float but found Double");
    ct_tensor *e = ct_bmm(ct_empty(SHAPE(0, 2, 3), 3, CT_FLOAT32), ct_empty(SHAPE(0, 3, 4), 3, CT_FLOAT32));
    CHECK(e && e->sizes[0] == 0 && e->sizes[1] == 2 && e->sizes[2] == 4);
    ct_tensor *z = ct_bmm(ct_empty(SHAPE(2, 2, 0), 3, CT_FLOAT64), ct_empty(SHAPE(2, 0, 1), 3, CT_FLOAT64));
    CHECK_TENSOR(z, SHAPE(2, 2, 1), 3, VALS(0, 0, 0, 0), 0);
}

/* ------------------------------------------------------------ mv, dot */
TEST(mv, matrix_vector_with_strides) {
    ct_tensor *m = rnd(SHAPE(4, 6), 2, CT_FLOAT32, 70), *v = rnd(SHAPE(6), 1, CT_FLOAT32, 71);
    CHECK_MATMUL(ct_mv(m, v), m, v, 1e-5);
    ct_tensor *mt = ct_t(rnd(SHAPE(4, 6), 2, CT_FLOAT64, 72));
    ct_tensor *vs = ct_slice(rnd(SHAPE(12), 1, CT_FLOAT64, 73), 0, 0, 12, 3); /* [4] step 3 */
    CHECK_MATMUL(ct_mv(mt, vs), mt, vs, 1e-12);
    ct_tensor *ve = ct_expand(rnd(SHAPE(1), 1, CT_FLOAT64, 74), SHAPE(4), 1);
    CHECK_MATMUL(ct_mv(mt, ve), mt, ve, 1e-12);
    ct_tensor *mi = tt_rand(SHAPE(3, 4), 2, CT_INT32, -4, 4, 75), *vi = tt_rand(SHAPE(4), 1, CT_INT32, -4, 4, 76);
    CHECK_MATMUL(ct_mv(mi, vi), mi, vi, 0);
    CHECK_TENSOR(ct_mv(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), ct_empty(SHAPE(0), 1, CT_FLOAT32)),
                 SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_ERR(ct_mv(m, rnd(SHAPE(4), 1, CT_FLOAT32, 1)), "size mismatch, got 4, 4x6,4");
    CHECK_ERR(ct_mv(m, rnd(SHAPE(6, 1), 2, CT_FLOAT32, 1)), "vector + matrix @ vector expected, got 1, 2, 2");
    CHECK_ERR(ct_mv(m, v->dtype == CT_FLOAT32 ? rnd(SHAPE(6), 1, CT_FLOAT64, 1) : v),
              "expected scalar type Float but found Double");
}

TEST(dot, inner_products_every_dtype) {
    ct_tensor *a = rnd(SHAPE(100), 1, CT_FLOAT32, 80), *b = rnd(SHAPE(100), 1, CT_FLOAT32, 81);
    ct_tensor *r = ct_dot(a, b);
    CHECK(r && r->ndim == 0 && r->dtype == CT_FLOAT32);
    CHECK_MATMUL(r, a, b, 1e-5);
    ct_tensor *s = ct_slice(rnd(SHAPE(20), 1, CT_FLOAT64, 82), 0, 1, 20, 2);
    ct_tensor *e = ct_expand(rnd(SHAPE(1), 1, CT_FLOAT64, 83), SHAPE(10), 1);
    CHECK_MATMUL(ct_dot(s, e), s, e, 1e-12);
    ct_tensor *ai = tt_rand(SHAPE(9), 1, CT_INT16, -9, 9, 84), *bi = tt_rand(SHAPE(9), 1, CT_INT16, -9, 9, 85);
    ct_tensor *ri = ct_dot(ai, bi);
    CHECK(ri && ri->dtype == CT_INT16);
    CHECK_MATMUL(ri, ai, bi, 0);
    ct_tensor *h = rnd(SHAPE(5), 1, CT_BFLOAT16, 86);
    CHECK_MATMUL(ct_dot(h, h), h, h, 1e-2);
    CHECK_TENSOR(ct_dot(ct_empty(SHAPE(0), 1, CT_FLOAT32), ct_empty(SHAPE(0), 1, CT_FLOAT32)),
                 SHAPE(0), 0, VALS(0), 0);
}

TEST(dot, errors) {
    ct_tensor *a = rnd(SHAPE(3), 1, CT_FLOAT32, 1);
    CHECK_ERR(ct_dot(a, rnd(SHAPE(4), 1, CT_FLOAT32, 2)),
              "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively");
    CHECK_ERR(ct_dot(rnd(SHAPE(3, 1), 2, CT_FLOAT32, 2), a), "1D tensors expected, but got 2D and 1D tensors");
    CHECK_ERR(ct_dot(a, rnd(SHAPE(3), 1, CT_FLOAT64, 2)),
              "dot : expected both vectors to have same dtype, but found Float and Double");
}

TEST(vdot, equals_dot_for_real_dtypes) {
    ct_tensor *a = rnd(SHAPE(7), 1, CT_FLOAT64, 90), *b = rnd(SHAPE(7), 1, CT_FLOAT64, 91);
    CHECK_MATMUL(ct_vdot(a, b), a, b, 1e-12);
    CHECK_ERR(ct_vdot(a, rnd(SHAPE(7), 1, CT_FLOAT32, 2)), "expected both vectors to have same dtype");
}

/* ------------------------------------------------------------ matmul */
TEST(matmul, every_broadcasting_case) {
    struct { int64_t sa[4]; int na; int64_t sb[4]; int nb; } cases[] = {
        {{5}, 1, {5}, 1},                    /* dot */
        {{3, 5}, 2, {5}, 1},                 /* mv */
        {{5}, 1, {5, 4}, 2},                 /* row vector @ matrix */
        {{3, 5}, 2, {5, 4}, 2},              /* mm */
        {{2, 3, 5}, 3, {5}, 1},              /* folded mv */
        {{2, 3, 5}, 3, {5, 4}, 2},           /* folded mm */
        {{5}, 1, {2, 5, 4}, 3},              /* vector @ batch */
        {{3, 5}, 2, {2, 5, 4}, 3},           /* matrix @ batch (transposed fold) */
        {{2, 3, 5}, 3, {2, 5, 4}, 3},        /* bmm */
        {{2, 1, 3, 5}, 4, {6, 5, 4}, 3},     /* broadcast batch dims */
        {{1, 3, 5}, 3, {4, 1, 5, 2}, 4},     /* broadcast both ways */
        {{2, 2, 3, 5}, 4, {5}, 1},           /* 4-d @ 1-d */
        {{5}, 1, {2, 2, 5, 3}, 4},           /* 1-d @ 4-d */
        {{2, 3, 0}, 3, {0, 4}, 2},           /* k = 0 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ct_tensor *a = rnd(cases[c].sa, cases[c].na, CT_FLOAT64, 100 + (unsigned)c);
        ct_tensor *b = rnd(cases[c].sb, cases[c].nb, CT_FLOAT64, 200 + (unsigned)c);
        ct_tensor *r = ct_matmul(a, b);
        CHECK_OK(r);
        CHECK_MATMUL(r, a, b, 1e-12);
    }
}

TEST(matmul, permuted_batch_and_integer_operands) {
    /* [b, n, m] permuted from [b, m, n]: goes through bmm with transposed matrices */
    ct_tensor *a = ct_transpose(rnd(SHAPE(3, 5, 4), 3, CT_FLOAT32, 110), 1, 2);
    ct_tensor *b = rnd(SHAPE(5, 2), 2, CT_FLOAT32, 111);
    CHECK_MATMUL(ct_matmul(a, b), a, b, 1e-5);
    ct_tensor *ai = tt_rand(SHAPE(2, 3, 4), 3, CT_INT64, -5, 5, 112);
    ct_tensor *bi = tt_rand(SHAPE(4), 1, CT_INT64, -5, 5, 113);
    CHECK_MATMUL(ct_matmul(ai, bi), ai, bi, 0);
    ct_tensor *big = rnd(SHAPE(4, 64, 32), 3, CT_FLOAT32, 114), *w = rnd(SHAPE(32, 200), 2, CT_FLOAT32, 115);
    CHECK_MATMUL(ct_matmul(big, w), big, w, 1e-5);
}

TEST(matmul, errors) {
    ct_tensor *s = ct_scalar_tensor(1, CT_FLOAT32), *v = rnd(SHAPE(3), 1, CT_FLOAT32, 1);
    CHECK_ERR(ct_matmul(s, v), "both arguments to matmul need to be at least 1D, but they are 0D and 1D");
    CHECK_ERR(ct_matmul(rnd(SHAPE(2, 3, 4), 3, CT_FLOAT32, 1), rnd(SHAPE(3, 4, 6), 3, CT_FLOAT32, 2)),
              "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
    CHECK_ERR(ct_matmul(rnd(SHAPE(2, 3, 4), 3, CT_FLOAT32, 1), rnd(SHAPE(5), 1, CT_FLOAT32, 2)),
              "size mismatch, got 6, 6x4,5");
    CHECK_ERR(ct_matmul(rnd(SHAPE(2, 3), 2, CT_FLOAT32, 1), rnd(SHAPE(3), 1, CT_FLOAT64, 2)),
              "expected scalar type Float but found Double");
    CHECK_ERR(ct_matmul(v, rnd(SHAPE(4), 1, CT_FLOAT32, 2)), "inconsistent tensor size");
}

/* ------------------------------------------------------------ add* */
TEST(addmm, beta_alpha_and_broadcast_self) {
    ct_tensor *m1 = rnd(SHAPE(3, 4), 2, CT_FLOAT64, 120), *m2 = rnd(SHAPE(4, 5), 2, CT_FLOAT64, 121);
    ct_tensor *self = rnd(SHAPE(5), 1, CT_FLOAT64, 122);
    ct_tensor *r = ct_addmm(self, m1, m2, 0.5, 2.0);
    int64_t os[16];
    double *p;
    ref_matmul(m1, m2, os, &p);
    double *sv = tt_values(self), ex[15];
    for (int i = 0; i < 15; i++) ex[i] = 0.5 * sv[i % 5] + 2.0 * p[i];
    free(p);
    free(sv);
    CHECK_TENSOR(r, SHAPE(3, 5), 2, ex, 1e-12);
    /* beta = 0 ignores self, NaN included */
    ct_tensor *nan = tt_tensor(VALS(NAN), SHAPE(1, 1), 2, CT_FLOAT64);
    ct_tensor *r0 = ct_addmm(nan, m1, m2, 0, 1);
    CHECK_MATMUL(r0, m1, m2, 1e-12);
    /* integers: beta and alpha truncate (PyTorch 1.13: beta=0.5 -> [[7,10],[15,22]],
     * alpha=2.7 -> [[15,22],[33,48]]) */
    ct_tensor *si = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_INT32);
    CHECK_TENSOR(ct_addmm(si, si, si, 0.5, 1), SHAPE(2, 2), 2, VALS(7, 10, 15, 22), 0);
    CHECK_TENSOR(ct_addmm(si, si, si, 1, 2.7), SHAPE(2, 2), 2, VALS(15, 22, 33, 48), 0);
    CHECK_ERR(ct_addmm(rnd(SHAPE(3, 5), 2, CT_FLOAT64, 1), m1, rnd(SHAPE(3, 5), 2, CT_FLOAT64, 1), 1, 1),
              "mat1 and mat2 shapes cannot be multiplied (3x4 and 3x5)");
    CHECK_ERR(ct_addmm(rnd(SHAPE(2, 5), 2, CT_FLOAT64, 1), m1, m2, 1, 1),
              "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0");
    CHECK_ERR(ct_addmm(rnd(SHAPE(3, 5), 2, CT_FLOAT32, 1), m1, m2, 1, 1), "self and mat2 must have the same dtype");
    CHECK_ERR(ct_addmm(self, rnd(SHAPE(3), 1, CT_FLOAT64, 1), m2, 1, 1), "mat1 must be a matrix, got 1-D tensor");
}

TEST(addbmm, sums_products_over_the_batch) {
    ct_tensor *b1 = rnd(SHAPE(4, 2, 3), 3, CT_FLOAT32, 130), *b2 = rnd(SHAPE(4, 3, 5), 3, CT_FLOAT32, 131);
    ct_tensor *self = rnd(SHAPE(2, 5), 2, CT_FLOAT32, 132);
    ct_tensor *r = ct_addbmm(self, b1, b2, 0.25, -1.5);
    double *av = tt_values(b1), *bv = tt_values(b2), *sv = tt_values(self), p[40], ex[10];
    ref_bmm(av, bv, 4, 2, 3, 5, p);
    for (int i = 0; i < 10; i++) ex[i] = 0.25 * sv[i] - 1.5 * (p[i] + p[10 + i] + p[20 + i] + p[30 + i]);
    free(av);
    free(bv);
    free(sv);
    CHECK_TENSOR(r, SHAPE(2, 5), 2, ex, 1e-5);
    /* zero batches: beta * self */
    ct_tensor *z = ct_addbmm(self, ct_empty(SHAPE(0, 2, 3), 3, CT_FLOAT32), ct_empty(SHAPE(0, 3, 5), 3, CT_FLOAT32), 2, 1);
    double *sv2 = tt_values(self), ex2[10];
    for (int i = 0; i < 10; i++) ex2[i] = 2 * sv2[i];
    free(sv2);
    CHECK_TENSOR(z, SHAPE(2, 5), 2, ex2, 1e-6);
    CHECK_ERR(ct_addbmm(self, b1, rnd(SHAPE(5, 3, 5), 3, CT_FLOAT32, 1), 1, 1),
              "batch1 and batch2 must have same number of batches, got 4 and 5");
    CHECK_ERR(ct_addbmm(self, b1, rnd(SHAPE(4, 4, 5), 3, CT_FLOAT32, 1), 1, 1),
              "Incompatible matrix sizes for bmm (2x3 and 4x5)");
}

TEST(baddbmm, batched_beta_alpha) {
    ct_tensor *b1 = rnd(SHAPE(3, 2, 4), 3, CT_FLOAT64, 140), *b2 = ct_transpose(rnd(SHAPE(3, 5, 4), 3, CT_FLOAT64, 141), 1, 2);
    ct_tensor *self = rnd(SHAPE(2, 1), 2, CT_FLOAT64, 142); /* broadcast to [3, 2, 5] */
    ct_tensor *r = ct_baddbmm(self, b1, b2, -1, 3);
    int64_t os[16];
    double *p;
    ref_matmul(b1, b2, os, &p);
    double *sv = tt_values(self), ex[30];
    for (int i = 0; i < 30; i++) ex[i] = -sv[(i / 5) % 2] + 3 * p[i];
    free(p);
    free(sv);
    CHECK_TENSOR(r, SHAPE(3, 2, 5), 3, ex, 1e-12);
    CHECK_ERR(ct_baddbmm(rnd(SHAPE(3, 2), 2, CT_FLOAT64, 1), b1, b2, 1, 1),
              "The expanded size of the tensor (2) must match the existing size (3)");
}

TEST(addmv, beta_alpha) {
    ct_tensor *m = ct_t(rnd(SHAPE(4, 3), 2, CT_FLOAT32, 150)), *v = rnd(SHAPE(4), 1, CT_FLOAT32, 151);
    ct_tensor *self = rnd(SHAPE(3), 1, CT_FLOAT32, 152);
    ct_tensor *r = ct_addmv(self, m, v, 2, 0.5);
    int64_t os[16];
    double *p;
    ref_matmul(m, v, os, &p);
    double *sv = tt_values(self), ex[3];
    for (int i = 0; i < 3; i++) ex[i] = 2 * sv[i] + 0.5 * p[i];
    free(p);
    free(sv);
    CHECK_TENSOR(r, SHAPE(3), 1, ex, 1e-5);
    CHECK_ERR(ct_addmv(rnd(SHAPE(2), 1, CT_FLOAT32, 1), m, v, 1, 1), "size mismatch, got 2, 3x4,4");
    /* k = 0: beta * self (PyTorch: [3., 6.]) */
    CHECK_TENSOR(ct_addmv(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32), ct_empty(SHAPE(2, 0), 2, CT_FLOAT32),
                          ct_empty(SHAPE(0), 1, CT_FLOAT32), 3, 1),
                 SHAPE(2), 1, VALS(3, 6), 0);
}

/* ------------------------------------------------------------ outer, kron */
TEST(outer, promotes_and_multiplies) {
    ct_tensor *a = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_INT32);
    ct_tensor *b = tt_tensor(VALS(0.5, -1), SHAPE(2), 1, CT_FLOAT64);
    ct_tensor *r = ct_outer(a, b);
    CHECK(r && r->dtype == CT_FLOAT64);
    CHECK_TENSOR(r, SHAPE(3, 2), 2, VALS(0.5, -1, 1, -2, 1.5, -3), 0);
    ct_tensor *s = ct_slice(rnd(SHAPE(8), 1, CT_FLOAT32, 1), 0, 0, 8, 2);
    double *sv = tt_values(s), ex[16];
    for (int i = 0; i < 16; i++) ex[i] = sv[i / 4] * sv[i % 4];
    free(sv);
    CHECK_TENSOR(ct_outer(s, s), SHAPE(4, 4), 2, ex, 1e-6);
    ct_tensor *bl = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    ct_tensor *rb = ct_outer(bl, bl);
    CHECK(rb && rb->dtype == CT_BOOL);
    CHECK_TENSOR(rb, SHAPE(2, 2), 2, VALS(1, 0, 0, 0), 0);
    CHECK_ERR(ct_outer(a, rnd(SHAPE(3, 2), 2, CT_FLOAT32, 1)), "outer: Expected 1-D argument vec2, but got 2-D");
}

TEST(kron, block_products) {
    ct_tensor *a = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT32);
    ct_tensor *b = tt_tensor(VALS(0, 1, 1, 0, 2, 3), SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *r = ct_kron(a, b);
    double ex[24];
    double av[4] = {1, 2, 3, 4}, bv[6] = {0, 1, 1, 0, 2, 3};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++) ex[i * 6 + j] = av[(i / 2) * 2 + j / 3] * bv[(i % 2) * 3 + j % 3];
    CHECK_TENSOR(r, SHAPE(4, 6), 2, ex, 0);
    /* fewer dims on one side: [2, 3] kron [4] -> [2, 12] */
    ct_tensor *v = tt_tensor(VALS(1, -1, 2, 0), SHAPE(4), 1, CT_INT64);
    ct_tensor *rv = ct_kron(b, v);
    CHECK(rv && rv->dtype == CT_FLOAT32);
    double ex2[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 12; j++) ex2[i * 12 + j] = bv[i * 3 + j / 4] * (double[]){1, -1, 2, 0}[j % 4];
    CHECK_TENSOR(rv, SHAPE(2, 12), 2, ex2, 0);
}

TEST(mm, negative_strides) {
    /* rows in reverse order through a negative row stride */
    ct_tensor *base = rnd(SHAPE(12), 1, CT_FLOAT32, 160);
    ct_tensor *a = ct_as_strided(base, SHAPE(3, 4), SHAPE(-4, 1), 2, 8);
    ct_tensor *b = ct_as_strided(base, SHAPE(4, 2), SHAPE(1, -4), 2, 4);
    CHECK_OK(a);
    CHECK_OK(b);
    CHECK_MATMUL(ct_mm(a, b), a, b, 1e-5);
    ct_tensor *ib = tt_rand(SHAPE(12), 1, CT_INT32, -5, 5, 161);
    ct_tensor *ia = ct_as_strided(ib, SHAPE(3, 4), SHAPE(-4, 1), 2, 8);
    CHECK_MATMUL(ct_mm(ia, ct_t(ia)), ia, ct_t(ia), 0);
    ct_tensor *rv = ct_as_strided(base, SHAPE(4), SHAPE(-2), 1, 7);
    ct_tensor *fv = ct_slice(base, 0, 0, 4, 1);
    CHECK_MATMUL(ct_dot(rv, fv), rv, fv, 1e-5);
    CHECK_MATMUL(ct_mv(a, rv), a, rv, 1e-5);
}

static uint64_t alloc_count(void) {
    ct_alloc_stats s = ct_host_alloc_stats();
    return s.cache_hits + s.cache_misses;
}

TEST(mm, transposed_operands_are_not_copied) {
    ct_tensor *a = rnd(SHAPE(300, 40), 2, CT_FLOAT32, 170), *b = rnd(SHAPE(2, 300), 2, CT_FLOAT32, 171);
    ct_tensor *at = ct_t(a), *bt = ct_t(b);
    uint64_t n0 = alloc_count();
    ct_tensor *r = ct_mm(at, bt); /* [40, 300] @ [300, 2]: both read as CblasTrans */
    uint64_t n1 = alloc_count();
    CHECK_OK(r);
    CHECK(n1 - n0 == 1); /* the output only */
    CHECK_MATMUL(r, at, bt, 1e-5);
    /* a column step of 2 cannot go to BLAS as it is: one copy, then the output */
    ct_tensor *s = ct_slice(rnd(SHAPE(40, 600), 2, CT_FLOAT32, 172), 1, 0, 600, 2);
    n0 = alloc_count();
    r = ct_mm(s, bt);
    n1 = alloc_count();
    CHECK(n1 - n0 == 2);
    CHECK_MATMUL(r, s, bt, 1e-5);
}

TEST(mm, uninitialised_output_memory_is_never_read) {
    /* leave NaN in the allocator's cache, then ask for outputs of that size */
    for (int rep = 0; rep < 2; rep++) {
        ct_scope s = ct_scope_begin();
        ct_tensor *junk = ct_empty(SHAPE(24, 24), 2, CT_FLOAT64);
        for (int i = 0; i < 576; i++) ((double *)ct_data_ptr(junk))[i] = NAN;
        ct_scope_end(s);
        ct_tensor *a = rnd(SHAPE(24, 5), 2, CT_FLOAT64, 180), *b = rnd(SHAPE(5, 24), 2, CT_FLOAT64, 181);
        if (rep == 0) CHECK_MATMUL(ct_mm(a, b), a, b, 1e-12);
        else CHECK_MATMUL(ct_mv(ct_reshape(ct_mm(a, b), SHAPE(576, 1), 2), rnd(SHAPE(1), 1, CT_FLOAT64, 1)),
                          ct_reshape(ct_mm(a, b), SHAPE(576, 1), 2), rnd(SHAPE(1), 1, CT_FLOAT64, 1), 1e-12);
    }
}

TEST(mm, integer_overflow_wraps_like_pytorch) {
    /* PyTorch 1.13: [[2^62, 2^62]] @ [[2], [2]] = [[0]]; int8 100+100 = -56; uint8 200+100 = 44 */
    int64_t big[2] = {INT64_C(1) << 62, INT64_C(1) << 62}, two[2] = {2, 2};
    ct_tensor *a = ct_from_data(big, SHAPE(1, 2), 2, CT_INT64), *b = ct_from_data(two, SHAPE(2, 1), 2, CT_INT64);
    ct_tensor *r = ct_mm(a, b);
    CHECK(r && ct_item_at_int(r, 0) == 0);
    ct_tensor *i8 = tt_tensor(VALS(100, 100), SHAPE(1, 2), 2, CT_INT8), *o8 = tt_tensor(VALS(1, 1), SHAPE(2, 1), 2, CT_INT8);
    CHECK_TENSOR(ct_mm(i8, o8), SHAPE(1, 1), 2, VALS(-56), 0);
    ct_tensor *u8 = tt_tensor(VALS(200, 100), SHAPE(1, 2), 2, CT_UINT8), *v8 = tt_tensor(VALS(1, 1), SHAPE(2, 1), 2, CT_UINT8);
    CHECK_TENSOR(ct_mm(u8, v8), SHAPE(1, 1), 2, VALS(44), 0);
}
