/* The float32 GEMM backends of src/kernels/cpu/blas.c (oneDNN's dnnl_sgemm
 * above a size threshold, OpenBLAS below; CT_GEMM / ct__gemm_set_backend
 * picks): ct__gemm itself against a double-precision triple loop written
 * here, with every backend forced in turn, over shapes on both sides of the
 * thresholds (one-row and one-column products, K = 1, products big enough
 * to be threaded), each operand transposed or not, operands with padded
 * rows (lda > cols), alpha/beta (beta == 0 must not read C, which holds
 * NaN), zero-size dims, batches (one product per thread, one after
 * another, summed into one C); then the public products (mm, bmm, addmm,
 * baddbmm, addbmm, matmul, linear), the im2col convolution and a recurrent
 * layer on the oneDNN backend against references. Without oneDNN in the
 * build every backend is OpenBLAS and the same checks run. */
#include "harness.h"

#include "ctorch/nn.h"
#include "ctorch/rnn.h"
#include "kernels/cpu/blas.h"
#include "nn/nn_internal.h"

#include <stdlib.h>

static const ct_gemm_backend backends[3] = {CT_GEMM_AUTO, CT_GEMM_DNNL, CT_GEMM_OPENBLAS};

/* Deterministic values in [-1, 1). */
static double lcg(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (double)((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

typedef struct gcase {
    int64_t batch, M, N, K;
    bool ta, tb;      /* operand stored transposed (read with stride 1 down a column) */
    int64_t pad;      /* extra elements at the end of each stored row of A, B and C */
    double alpha, beta;
    bool accumulate;  /* every product summed into one C (c_bs == 0) */
} gcase;

/* Runs case q through ct__gemm in dtype dt and checks every element of C
 * (and that the padding of C is untouched). Returns 0 or -1 (reported). */
static int run_case(const char *file, int line, const gcase *q, ct_dtype dt) {
    int64_t bt = q->batch, M = q->M, N = q->N, K = q->K, pad = q->pad;
    /* A[b] is M x K: stored M rows of K (+pad), or K rows of M (+pad) when ta */
    int64_t a_ld = (q->ta ? M : K) + pad, a_rows = q->ta ? K : M, a_bs = a_rows * a_ld;
    int64_t b_ld = (q->tb ? K : N) + pad, b_rows = q->tb ? N : K, b_bs = b_rows * b_ld;
    int64_t ldc = N + pad, nc = q->accumulate ? 1 : bt, c_bs = q->accumulate ? 0 : M * ldc;
    size_t na = (size_t)(bt * a_bs), nb = (size_t)(bt * b_bs), ncv = (size_t)(nc * M * ldc);
    double *a = malloc(sizeof(double) * (na + 1)), *b = malloc(sizeof(double) * (nb + 1));
    double *c0 = malloc(sizeof(double) * (ncv + 1));
    size_t es = dt == CT_FLOAT32 ? 4 : 8;
    char *A = malloc(es * (na + 1)), *B = malloc(es * (nb + 1)), *C = malloc(es * (ncv + 1));
    unsigned s = (unsigned)(M * 131 + N * 17 + K * 7 + bt);
    for (size_t i = 0; i < na; i++) a[i] = lcg(&s);
    for (size_t i = 0; i < nb; i++) b[i] = lcg(&s);
    for (size_t i = 0; i < ncv; i++) c0[i] = q->beta == 0 && (int64_t)(i % (size_t)ldc) < N ? NAN : lcg(&s);
#define STORE(dst, src, n)                                                             \
    for (size_t i_ = 0; i_ < (n); i_++) {                                              \
        if (dt == CT_FLOAT32) ((float *)(dst))[i_] = (float)(src)[i_];                 \
        else ((double *)(dst))[i_] = (src)[i_];                                        \
    }
    STORE(A, a, na);
    STORE(B, b, nb);
    STORE(C, c0, ncv);
#undef STORE
    /* the stored (float) values are the reference's inputs */
    for (size_t i = 0; i < na; i++) a[i] = dt == CT_FLOAT32 ? ((float *)A)[i] : a[i];
    for (size_t i = 0; i < nb; i++) b[i] = dt == CT_FLOAT32 ? ((float *)B)[i] : b[i];
    for (size_t i = 0; i < ncv; i++) c0[i] = dt == CT_FLOAT32 ? ((float *)C)[i] : c0[i];
    ct__gemm(dt, bt, M, N, K, q->alpha, A, a_bs, q->ta ? 1 : a_ld, q->ta ? a_ld : 1, B, b_bs,
             q->tb ? 1 : b_ld, q->tb ? b_ld : 1, q->beta, C, c_bs, ldc);
    int bad = 0;
    double eps = dt == CT_FLOAT32 ? 0x1p-23 : 0x1p-52;
    for (int64_t o = 0; o < nc && !bad; o++)
        for (int64_t i = 0; i < M && !bad; i++)
            for (int64_t j = 0; j < ldc && !bad; j++) {
                size_t ci = (size_t)(o * M * ldc + i * ldc + j);
                double got = dt == CT_FLOAT32 ? ((float *)C)[ci] : ((double *)C)[ci];
                if (j >= N) { /* padding: untouched */
                    if (got != c0[ci]) bad = 1;
                    continue;
                }
                double sum = 0, mag = 0;
                for (int64_t p = q->accumulate ? 0 : o; p < (q->accumulate ? bt : o + 1); p++)
                    for (int64_t k = 0; k < K; k++) {
                        double av = a[p * a_bs + (q->ta ? k * a_ld + i : i * a_ld + k)];
                        double bv = b[p * b_bs + (q->tb ? j * b_ld + k : k * b_ld + j)];
                        sum += av * bv;
                        mag += fabs(av * bv);
                    }
                double want = q->alpha * sum, size = fabs(q->alpha) * mag;
                if (q->beta != 0) {
                    want += q->beta * c0[ci];
                    size += fabs(q->beta * c0[ci]);
                }
                double tol = (double)(K * (q->accumulate ? bt : 1) + 4) * eps * size + 1e-300;
                if (!(fabs(got - want) <= tol)) bad = 1;
                if (bad)
                    ct_test_fail(file, line,
                                 "backend %d %s batch %lld M %lld N %lld K %lld ta %d tb %d pad "
                                 "%lld alpha %g beta %g acc %d: C[%lld][%lld][%lld] = %.9g, "
                                 "expected %.9g",
                                 (int)ct__gemm_backend(), ct_dtype_name(dt), (long long)bt,
                                 (long long)M, (long long)N, (long long)K, q->ta, q->tb,
                                 (long long)pad, q->alpha, q->beta, q->accumulate, (long long)o,
                                 (long long)i, (long long)j, got, want);
            }
    if (bad == 1 && !ct_test_failed()) ct_test_fail(file, line, "padding of C was written");
    free(a), free(b), free(c0), free(A), free(B), free(C);
    return bad ? -1 : 0;
}

/* Every backend, both transposes of both operands, with and without padded
 * rows, beta 0 (C holds NaN) and alpha 0.5 / beta -2. */
static int sweep(const char *file, int line, int64_t batch, int64_t M, int64_t N, int64_t K,
                 bool accumulate) {
    ct_gemm_backend saved = ct__gemm_backend();
    int rc = 0;
    for (int be = 0; be < 3 && rc == 0; be++) {
        ct__gemm_set_backend(backends[be]);
        for (int t = 0; t < 4 && rc == 0; t++)
            for (int v = 0; v < 2 && rc == 0; v++) {
                gcase q = {batch, M, N, K, t & 1, t >> 1, v ? 3 : 0, v ? 0.5 : 1.0,
                           v ? -2.0 : 0.0, accumulate};
                rc = run_case(file, line, &q, CT_FLOAT32);
            }
    }
    ct__gemm_set_backend(saved);
    return rc;
}
#define SWEEP(batch, M, N, K, acc)                                             \
    do {                                                                       \
        if (sweep(__FILE__, __LINE__, (batch), (M), (N), (K), (acc)) < 0) return; \
    } while (0)

TEST(gemm_backend, shapes_around_the_thresholds) {
    /* below, at and above M*N*K = 16384 and, for one-row / one-column
     * products, 1024; K = 1 (an outer product); a dot product (M = N = 1) */
    static const int64_t s[][3] = {{4, 4, 4},     {20, 20, 20}, {16, 16, 64},  {25, 26, 27},
                                   {32, 32, 16},  {64, 8, 32},  {1, 31, 33},   {33, 1, 31},
                                   {1, 16, 16},   {1, 1, 300},  {128, 128, 1}, {3, 200, 50},
                                   {1, 300, 100}, {17, 5, 400}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) SWEEP(1, s[i][0], s[i][1], s[i][2], false);
}

TEST(gemm_backend, threaded_products_and_mlp_shapes) {
    /* above 2^20 multiply-adds oneDNN threads the product; the 784-256-10
     * MLP's forward and backward products at batch 64 */
    ct_gemm_backend saved = ct__gemm_backend();
    static const int64_t s[][3] = {{70, 130, 150}, {64, 256, 784}, {64, 784, 256},
                                   {784, 256, 64}, {64, 10, 256},  {10, 256, 64}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        for (int be = 0; be < 2; be++) {
            ct__gemm_set_backend(backends[be]);
            gcase q = {1, s[i][0], s[i][1], s[i][2], i % 2 == 1, i % 3 == 1, 1, 1.0, i % 2 ? 1.0 : 0.0, false};
            if (run_case(__FILE__, __LINE__, &q, CT_FLOAT32) < 0) break;
        }
    ct__gemm_set_backend(saved);
}

TEST(gemm_backend, batched_parallel_serial_and_summed) {
    SWEEP(8, 40, 40, 40, false);  /* one product per thread */
    SWEEP(3, 2, 9, 1024, false);  /* small batch: one after another */
    SWEEP(5, 30, 30, 30, true);   /* addbmm: summed into one C */
    SWEEP(2, 100, 90, 120, false); /* threaded products one after another */
}

TEST(gemm_backend, zero_size_dims) {
    ct_gemm_backend saved = ct__gemm_backend();
    for (int be = 0; be < 3; be++) {
        ct__gemm_set_backend(backends[be]);
        float c[6] = {1, 2, 3, 4, 5, 6}, a[1] = {7}, b[1] = {8};
        ct__gemm(CT_FLOAT32, 1, 0, 3, 5, 1.0, a, 0, 5, 1, b, 0, 3, 1, 0.0, c, 0, 3);
        ct__gemm(CT_FLOAT32, 1, 2, 0, 5, 1.0, a, 0, 5, 1, b, 0, 0, 1, 0.0, c, 0, 3);
        ct__gemm(CT_FLOAT32, 0, 2, 3, 5, 1.0, a, 0, 5, 1, b, 0, 3, 1, 0.0, c, 0, 3);
        for (int i = 0; i < 6; i++) CHECK(c[i] == i + 1); /* nothing written */
        ct__gemm(CT_FLOAT32, 1, 2, 3, 0, 1.0, a, 0, 0, 1, b, 0, 3, 1, 0.5, c, 0, 3);
        for (int i = 0; i < 6; i++) CHECK(c[i] == 0.5f * (float)(i + 1)); /* K = 0: beta * C */
        for (int i = 0; i < 6; i++) c[i] = NAN;
        ct__gemm(CT_FLOAT32, 1, 2, 3, 0, 1.0, a, 0, 0, 1, b, 0, 3, 1, 0.0, c, 0, 3);
        for (int i = 0; i < 6; i++) CHECK(c[i] == 0); /* beta 0: NaN not read */
    }
    ct__gemm_set_backend(saved);
}

TEST(gemm_backend, float64_stays_exact_to_double_rounding) {
    gcase q = {2, 33, 35, 40, true, false, 2, 0.5, -1.0, false};
    gcase r = {1, 70, 130, 150, false, true, 0, 1.0, 0.0, false};
    ct_gemm_backend saved = ct__gemm_backend();
    ct__gemm_set_backend(CT_GEMM_DNNL); /* float64 ignores it */
    int rc = run_case(__FILE__, __LINE__, &q, CT_FLOAT64);
    if (rc == 0) run_case(__FILE__, __LINE__, &r, CT_FLOAT64);
    ct__gemm_set_backend(saved);
}

TEST(gemm_backend, thread_setting_survives_single_threaded_products) {
    /* small oneDNN products run with one OpenMP thread and restore the
     * caller's setting afterwards */
    ct_gemm_backend saved = ct__gemm_backend();
    int nt = ct_get_num_threads();
    ct__gemm_set_backend(CT_GEMM_DNNL);
    ct_set_num_threads(3);
    gcase q = {1, 40, 40, 40, false, false, 0, 1.0, 0.0, false};
    int rc = run_case(__FILE__, __LINE__, &q, CT_FLOAT32);
    int after = ct_get_num_threads();
    ct_set_num_threads(1);
    gcase r = {1, 130, 130, 130, false, true, 0, 1.0, 0.0, false};
    if (rc == 0) rc = run_case(__FILE__, __LINE__, &r, CT_FLOAT32);
    int after1 = ct_get_num_threads();
    ct_set_num_threads(nt);
    ct__gemm_set_backend(saved);
    if (rc < 0) return;
    CHECK(after == 3);
    CHECK(after1 == 1);
#ifdef CT_HAVE_DNNL
    CHECK(saved != CT_GEMM_OPENBLAS || getenv("CT_GEMM"));
#else
    CHECK(saved == CT_GEMM_OPENBLAS);
#endif
}

/* ------------------------------------------------ public products */
/* r[..., i, j] == beta * self + alpha * sum_k a[..., i, k] b[..., k, j]
 * (a, b of equal batch; acc sums the batch; self broadcast, NULL = 0). */
static int check_product(const char *file, int line, const ct_tensor *r, const ct_tensor *a,
                         const ct_tensor *b, const ct_tensor *self, double beta, double alpha,
                         bool acc) {
    if (!r) {
        ct_test_fail(file, line, "product failed: %s", ct_last_error());
        return -1;
    }
    int nd = a->ndim;
    int64_t bt = nd == 3 ? a->sizes[0] : 1, M = a->sizes[nd - 2], K = a->sizes[nd - 1];
    int64_t N = b->sizes[nd - 1], no = acc ? 1 : bt;
    double *av = tt_values(a), *bv = tt_values(b), *ex = malloc(sizeof(double) * (size_t)(no * M * N + 1));
    bool three = nd == 3 && !acc;
    int64_t shp[3] = {no, M, N};
    ct_tensor *sx = self ? ct_contiguous(ct_expand(self, three ? shp : shp + 1, three ? 3 : 2)) : NULL;
    double *sv = sx ? tt_values(sx) : NULL;
    for (int64_t o = 0; o < no; o++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t p = acc ? 0 : o; p < (acc ? bt : o + 1); p++)
                    for (int64_t k = 0; k < K; k++) s += av[(p * M + i) * K + k] * bv[(p * K + k) * N + j];
                ex[(o * M + i) * N + j] = alpha * s + (sv ? beta * sv[(o * M + i) * N + j] : 0);
            }
    int rc = tt_expect(file, line, r, three ? shp : shp + 1, three ? 3 : 2, ex, 1e-5);
    free(av), free(bv), free(ex), free(sv);
    return rc;
}
#define CHECK_PRODUCT(r, a, b, self, beta, alpha, acc)                                    \
    do {                                                                                  \
        if (check_product(__FILE__, __LINE__, (r), (a), (b), (self), (beta), (alpha), (acc)) < 0) \
            return;                                                                       \
    } while (0)

static ct_tensor *rnd(const int64_t *shape, int nd, unsigned seed) {
    return tt_rand(shape, nd, CT_FLOAT32, -1, 1, seed);
}
#define RND(seed, ...) rnd(SHAPE(__VA_ARGS__), (int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)), (seed))

/* The public products on one backend: transposed and sliced operands. */
static void products_on(ct_gemm_backend be) {
    ct_gemm_backend saved = ct__gemm_backend();
    ct__gemm_set_backend(be);
    ct_tensor *a = RND(1, 48, 70), *b = RND(2, 70, 36);
    ct_tensor *at = ct_t(RND(3, 70, 48)), *bt = ct_t(RND(4, 36, 70));
    /* sliced: rows of 90 read 70 wide (lda 90), and every other row */
    ct_tensor *as = ct_narrow(RND(5, 48, 90), 1, 10, 70);
    ct_tensor *bs = ct_slice(RND(6, 140, 36), 0, 0, 140, 2);
    ct_tensor *ops[][2] = {{a, b}, {at, b}, {a, bt}, {at, bt}, {as, b}, {a, bs}, {as, bt}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        CHECK_PRODUCT(ct_mm(ops[i][0], ops[i][1]), ops[i][0], ops[i][1], NULL, 0, 1, false);
    ct_tensor *self = RND(7, 36), *self2 = RND(8, 48, 36);
    CHECK_PRODUCT(ct_addmm(self, at, b, 0.5, 2.0), at, b, self, 0.5, 2.0, false);
    CHECK_PRODUCT(ct_addmm(self2, a, bs, -1.0, 0.25), a, bs, self2, -1.0, 0.25, false);
    CHECK_PRODUCT(ct_linear(a, ct_t(b), self), a, b, self, 1.0, 1.0, false);
    CHECK_PRODUCT(ct_matmul(a, b), a, b, NULL, 0, 1, false);
    ct_tensor *ba = RND(9, 6, 30, 40), *bb = RND(10, 6, 40, 25);
    ct_tensor *bat = ct_transpose(RND(11, 6, 40, 30), 1, 2), *bbt = ct_transpose(RND(12, 6, 25, 40), 1, 2);
    CHECK_PRODUCT(ct_bmm(ba, bb), ba, bb, NULL, 0, 1, false);
    CHECK_PRODUCT(ct_bmm(bat, bbt), bat, bbt, NULL, 0, 1, false);
    CHECK_PRODUCT(ct_matmul(bat, bb), bat, bb, NULL, 0, 1, false);
    ct_tensor *bself = RND(13, 30, 25);
    CHECK_PRODUCT(ct_baddbmm(bself, ba, bbt, 0.5, -1.5), ba, bbt, bself, 0.5, -1.5, false);
    CHECK_PRODUCT(ct_addbmm(bself, bat, bb, 2.0, 0.5), bat, bb, bself, 2.0, 0.5, true);
    ct__gemm_set_backend(saved);
}

TEST(gemm_backend, public_products_on_each_backend) {
    for (int be = 0; be < 3; be++) {
        products_on(backends[be]);
        if (ct_test_failed()) return;
    }
}

/* conv2d through im2col + GEMM (oneDNN's convolution off) with GEMM on
 * oneDNN, against a direct double-precision sum. */
TEST(gemm_backend, im2col_convolution_on_dnnl_gemm) {
    ct_gemm_backend saved = ct__gemm_backend();
#ifdef CT_HAVE_DNNL
    bool conv_saved = ct__conv_dnnl_on;
    ct__conv_dnnl_on = false;
#endif
    ct__gemm_set_backend(CT_GEMM_DNNL);
    int64_t N = 2, C = 5, H = 11, W = 9, O = 7, kh = 3, kw = 2, st[2] = {2, 1}, pd[2] = {1, 0},
            dl[2] = {1, 1};
    ct_tensor *x = RND(21, N, C, H, W), *w = RND(22, O, C, kh, kw), *bias = RND(23, O);
    ct_tensor *y = ct_conv2d(x, w, bias, st, pd, dl, 1);
    ct__gemm_set_backend(saved);
#ifdef CT_HAVE_DNNL
    ct__conv_dnnl_on = conv_saved;
#endif
    CHECK_OK(y);
    int64_t Ho = (H + 2 * pd[0] - kh) / st[0] + 1, Wo = (W + 2 * pd[1] - kw) / st[1] + 1;
    double *xv = tt_values(x), *wv = tt_values(w), *bv = tt_values(bias);
    double *ex = malloc(sizeof(double) * (size_t)(N * O * Ho * Wo));
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    double s = bv[o];
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t u = 0; u < kh; u++)
                            for (int64_t v = 0; v < kw; v++) {
                                int64_t yy = i * st[0] - pd[0] + u, xx = j * st[1] - pd[1] + v;
                                if (yy >= 0 && yy < H && xx >= 0 && xx < W)
                                    s += wv[((o * C + c) * kh + u) * kw + v] * xv[((n * C + c) * H + yy) * W + xx];
                            }
                    ex[((n * O + o) * Ho + i) * Wo + j] = s;
                }
    int rc = tt_expect(__FILE__, __LINE__, y, SHAPE(N, O, Ho, Wo), 4, ex, 1e-5);
    free(xv), free(wv), free(bv), free(ex);
    (void)rc;
}

/* A GRU layer (its recurrent GEMMs call ct__gemm with a transposed weight,
 * beta 1, and one GEMM over every step for dW_hh) on the oneDNN backend
 * agrees with the OpenBLAS backend (test_rnn_layer.c checks that one
 * against a double-precision reference), forward and backward. */
TEST(gemm_backend, recurrent_layer_on_dnnl_gemm) {
    int64_t T = 5, B = 16, H = 40;
    ct_tensor *res[2][4];
    ct_gemm_backend saved = ct__gemm_backend();
    for (int p = 0; p < 2; p++) {
        ct__gemm_set_backend(p ? CT_GEMM_DNNL : CT_GEMM_OPENBLAS);
        ct_tensor *gi = ct_requires_grad_(RND(31, T, B, 3 * H), true);
        ct_tensor *h0 = ct_requires_grad_(RND(32, B, H), true);
        ct_tensor *w = ct_requires_grad_(ct_mul_scalar(RND(33, 3 * H, H), 0.3), true);
        ct_tensor *hs = ct_gru_layer(gi, h0, w, NULL, false);
        CHECK_OK(hs);
        CHECK(ct_backward(ct_sum(ct_mul(hs, RND(34, T, B, H))), NULL, false, false, NULL, 0) == 0);
        res[p][0] = hs, res[p][1] = ct_tensor_grad(gi), res[p][2] = ct_tensor_grad(h0), res[p][3] = ct_tensor_grad(w);
    }
    ct__gemm_set_backend(saved);
    for (int i = 0; i < 4; i++) {
        CHECK_OK(res[0][i]);
        CHECK_OK(res[1][i]);
        double *e = tt_values(res[0][i]);
        int rc = tt_expect(__FILE__, __LINE__, res[1][i], res[0][i]->sizes, res[0][i]->ndim, e, 2e-5);
        free(e);
        if (rc) return;
    }
}

/* oneDNN failing (out of memory) after it has written C: with beta == 0 the
 * product is redone by OpenBLAS and comes out right; with beta != 0 it
 * would be accumulated twice, so it fails with an error instead, and
 * addmm's self is left as it was. ct__gemm_inject_dnnl_failures makes the
 * next oneDNN products run and then report failure, the worst case. */
TEST(gemm_backend, dnnl_failure_redone_or_reported) {
#ifdef CT_HAVE_DNNL
    ct_gemm_backend saved = ct__gemm_backend();
    ct__gemm_set_backend(CT_GEMM_DNNL);
    gcase q0 = {1, 32, 24, 40, false, false, 0, 1.0, 0.0, false};
    ct__gemm_inject_dnnl_failures(1);
    int rc = run_case(__FILE__, __LINE__, &q0, CT_FLOAT32);
    ct__gemm_inject_dnnl_failures(0);
    if (rc < 0) goto done;
    enum { M = 32, N = 24, K = 40 };
    static float A[M * K], B[K * N], C[M * N], C0[M * N];
    for (int i = 0; i < M * K; i++) A[i] = (float)((i * 7) % 11) - 5;
    for (int i = 0; i < K * N; i++) B[i] = (float)((i * 5) % 13) - 6;
    for (int i = 0; i < M * N; i++) C0[i] = C[i] = (float)(i % 9);
    ct_clear_error();
    ct__gemm_inject_dnnl_failures(1);
    rc = ct__gemm(CT_FLOAT32, 1, M, N, K, 1.0, A, 0, K, 1, B, 0, N, 1, 1.0, C, 0, N);
    ct__gemm_inject_dnnl_failures(0);
    if (rc != -1 || ct_last_error_kind() != CT_ERR_MEMORY || !strstr(ct_last_error(), "oneDNN")) {
        ct_test_fail(__FILE__, __LINE__, "accumulating product after a oneDNN failure: rc %d, '%s'",
                     rc, ct_last_error());
        goto done;
    }
    {
        ct_scope s = ct_scope_begin();
        ct_tensor *self = ct_from_data(C0, (int64_t[]){M, N}, 2, CT_FLOAT32);
        ct_tensor *m1 = ct_from_data(A, (int64_t[]){M, K}, 2, CT_FLOAT32);
        ct_tensor *m2 = ct_from_data(B, (int64_t[]){K, N}, 2, CT_FLOAT32);
        ct_tensor *keep = self ? ct_clone(self) : NULL;
        ct__gemm_inject_dnnl_failures(1);
        ct_clear_error();
        ct_tensor *r = self && m1 && m2 ? ct_addmm(self, m1, m2, 1.0, 1.0) : NULL;
        ct__gemm_inject_dnnl_failures(0);
        if (r || !strstr(ct_last_error(), "oneDNN"))
            ct_test_fail(__FILE__, __LINE__, "addmm after a oneDNN failure: %s",
                         r ? "succeeded" : ct_last_error());
        else if (!keep || ct_equal(self, keep) != 1)
            ct_test_fail(__FILE__, __LINE__, "addmm's self changed by a failed product");
        ct_scope_end(s);
    }
done:
    ct__gemm_set_backend(saved);
#endif
}
