/* Random ops. Exact streams are compared with values printed by PyTorch 1.13
 * after torch.manual_seed(0) (noted at each test); distributions are checked
 * with moments on 100k samples within 5 standard errors. */
#include "harness.h"

#include <omp.h>
#include <stdlib.h>

static void moments(const ct_tensor *t, double *mean, double *var) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = ct_item_at(t, i);
        s += v;
        s2 += v * v;
    }
    *mean = s / (double)t->numel;
    *var = s2 / (double)t->numel - *mean * *mean;
}

/* |mean - mu| within 5 standard errors and var within 5 of its own. */
#define CHECK_MOMENTS(t, mu, sigma2, kurt_excess)                                  \
    do {                                                                           \
        double m_, v_, n_ = (double)(t)->numel;                                    \
        moments((t), &m_, &v_);                                                    \
        CHECK(fabs(m_ - (mu)) < 5 * sqrt((sigma2) / n_));                          \
        CHECK(fabs(v_ - (sigma2)) < 5 * (sigma2) * sqrt((2 + (kurt_excess)) / n_)); \
    } while (0)

TEST(rand, matches_pytorch_stream_float32_and_float64) {
    /* torch.manual_seed(0); torch.rand(5).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_rand(SHAPE(5), 1, CT_DTYPE_DEFAULT, NULL), SHAPE(5), 1,
                 VALS(0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                      0.13203048706054688, 0.30742281675338745),
                 0);
    /* torch.manual_seed(0); torch.rand(5, dtype=torch.float64).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_rand(SHAPE(5), 1, CT_FLOAT64, NULL), SHAPE(5), 1,
                 VALS(0.9700530018065531, 0.707819864399788, 0.45938294312745087,
                      0.9207476841219603, 0.6450241201227648),
                 0);
    /* torch.manual_seed(123456789123); torch.rand(3); torch.initial_seed() */
    ct_manual_seed(UINT64_C(123456789123));
    CHECK_TENSOR(ct_rand(SHAPE(3), 1, CT_FLOAT32, NULL), SHAPE(3), 1,
                 VALS(0.2663266658782959, 0.42868196964263916, 0.5406211614608765), 0);
    CHECK(ct_initial_seed() == UINT64_C(123456789123));
}

TEST(rand, uniform_moments_and_range) {
    ct_generator *g = ct_generator_new(7);
    ct_tensor *t = ct_rand(SHAPE(100000), 1, CT_FLOAT32, g);
    ct_generator_free(g);
    for (int64_t i = 0; i < t->numel; i++) CHECK(ct_item_at(t, i) >= 0 && ct_item_at(t, i) < 1);
    CHECK_MOMENTS(t, 0.5, 1.0 / 12, -1.2);
    CHECK_ERR(ct_rand(SHAPE(2), 1, CT_INT64, NULL),
              "\"check_uniform_bounds\" not implemented for 'Long'");
    CHECK_ERR(ct_rand(SHAPE(-2), 1, CT_FLOAT32, NULL), "negative dimension -2");
    CHECK(ct_rand(SHAPE(0, 4), 2, CT_FLOAT32, NULL)->numel == 0);
    CHECK(ct_rand(NULL, 0, CT_FLOAT64, NULL)->ndim == 0);
}

TEST(rand, same_seed_same_values_and_generators_are_independent) {
    ct_generator *a = ct_generator_new(42), *b = ct_generator_new(42);
    ct_tensor *x = ct_rand(SHAPE(1000), 1, CT_FLOAT64, a);
    ct_manual_seed(1); /* the default generator does not affect a or b */
    ct_rand(SHAPE(10), 1, CT_FLOAT64, NULL);
    ct_tensor *y = ct_rand(SHAPE(1000), 1, CT_FLOAT64, b);
    for (int i = 0; i < 1000; i++) CHECK(ct_item_at(x, i) == ct_item_at(y, i));
    ct_tensor *x2 = ct_rand(SHAPE(1000), 1, CT_FLOAT64, a);
    int same = 0;
    for (int i = 0; i < 1000; i++) same += ct_item_at(x, i) == ct_item_at(x2, i);
    CHECK(same < 5);
    CHECK(ct_generator_initial_seed(a) == 42);
    ct_generator_manual_seed(a, 42);
    ct_tensor *x3 = ct_rand(SHAPE(1000), 1, CT_FLOAT64, a);
    for (int i = 0; i < 1000; i++) CHECK(ct_item_at(x, i) == ct_item_at(x3, i));
    ct_generator_free(a);
    ct_generator_free(b);
}

TEST(rand, state_round_trips_in_pytorch_layout) {
    ct_manual_seed(0);
    ct_randn(SHAPE(1), 1, CT_FLOAT64, NULL);
    ct_tensor *st = ct_get_rng_state();
    /* torch.manual_seed(0); torch.randn(1); s = torch.get_rng_state():
     * 5056 bytes; seed 0, left 621, seeded 1, next 4 (struct "<QiiQ") and
     * the cached normal -0.2934289057609464 at offset 5024, valid at 5040 */
    CHECK(st->numel == 5056 && st->dtype == CT_UINT8);
    const unsigned char *b = ct_data_ptr(st);
    int32_t left, seeded, valid;
    uint64_t next;
    double ny;
    memcpy(&left, b + 8, 4);
    memcpy(&seeded, b + 12, 4);
    memcpy(&next, b + 16, 8);
    memcpy(&ny, b + 5024, 8);
    memcpy(&valid, b + 5040, 4);
    CHECK(left == 621 && seeded == 1 && next == 4 && valid == 1);
    CHECK(ny == -0.2934289057609464);
    ct_tensor *a = ct_randn(SHAPE(7), 1, CT_FLOAT64, NULL);
    CHECK(ct_set_rng_state(st) == 0);
    ct_tensor *c = ct_randn(SHAPE(7), 1, CT_FLOAT64, NULL);
    for (int i = 0; i < 7; i++) CHECK(ct_item_at(a, i) == ct_item_at(c, i));
    CHECK(ct_item_at(c, 0) == -0.2934289057609464);
    ct_generator *g = ct_generator_new(5);
    CHECK(ct_generator_set_state(g, st) == 0);
    CHECK(ct_item_at(ct_randn(SHAPE(1), 1, CT_FLOAT64, g), 0) == -0.2934289057609464);
    ct_generator_free(g);
    CHECK(ct_set_rng_state(ct_zeros(SHAPE(10), 1, CT_UINT8)) < 0);
    CHECK(strstr(ct_last_error(), "CPUGeneratorImplState of size 5056"));
    CHECK(ct_set_rng_state(ct_zeros(SHAPE(5056), 1, CT_FLOAT32)) < 0);
    CHECK(ct_set_rng_state(ct_zeros(SHAPE(5056), 1, CT_UINT8)) < 0); /* left = 0 */
    CHECK(strstr(ct_last_error(), "invalid mt19937 state"));
    uint64_t s = ct_seed();
    CHECK(ct_initial_seed() == s);
}

TEST(randn, matches_pytorch_both_paths) {
    /* torch.manual_seed(0); torch.randn(5, dtype=torch.float64).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_randn(SHAPE(5), 1, CT_FLOAT64, NULL), SHAPE(5), 1,
                 VALS(1.5409961082440433, -0.2934289057609464, -2.1787893820745574,
                      0.5684312772806678, -1.084522342424021),
                 1e-15);
    /* torch.manual_seed(0); torch.randn(5).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_randn(SHAPE(5), 1, CT_DTYPE_DEFAULT, NULL), SHAPE(5), 1,
                 VALS(1.5409960746765137, -0.293428897857666, -2.1787893772125244,
                      0.5684312582015991, -1.0845223665237427),
                 0);
    /* torch.manual_seed(0); torch.randn(20).tolist(): normal_fill path with
     * PyTorch's approximate AVX2 math, so float rounding apart */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_randn(SHAPE(4, 5), 2, CT_FLOAT32, NULL), SHAPE(4, 5), 2,
                 VALS(-1.1258398294448853, -1.152360200881958, -0.2505785822868347,
                      -0.4338788092136383, 0.5988394618034363, -1.5550950765609741,
                      -0.3413603901863098, 1.85300612449646, 0.46809640526771545,
                      -0.1577124446630478, 1.4436601400375366, 0.26604941487312317,
                      1.3893661499023438, 1.586334228515625, 0.946298360824585,
                      -0.843676745891571, 0.9318265914916992, 1.2590092420578003,
                      2.0049805641174316, 0.05373690277338028),
                 1e-6);
    /* torch.manual_seed(0); torch.randn(20, dtype=torch.float64).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_randn(SHAPE(20), 1, CT_FLOAT64, NULL), SHAPE(20), 1,
                 VALS(-2.310411800234176, -0.3732508612577643, -1.0608166785462863,
                      0.9995093547811761, -0.019964750907762653, 0.2102998901016947,
                      0.17718935139366584, -0.830510051008449, 0.23871805816817063,
                      0.7335283685272841, -1.3218818291421377, 1.3148113651971234,
                      -0.6870036940435463, 1.4880743158106724, -0.4484158047114511,
                      -0.8910030351707375, 0.6748575435940039, 1.0468653769814655,
                      0.15429517864658948, -0.7498915228391941),
                 1e-14);
    /* torch.manual_seed(0); torch.randn(3); torch.randn(1, dtype=torch.float64):
     * the cached second Box-Muller sample carries over between calls */
    ct_manual_seed(0);
    ct_randn(SHAPE(3), 1, CT_FLOAT32, NULL);
    CHECK_CLOSE(ct_item_at(ct_randn(SHAPE(1), 1, CT_FLOAT64, NULL), 0), 0.5684312772806678, 1e-15);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

TEST(rand, default_generator_is_safe_across_threads) {
    /* 4 threads x 2000 draws from the shared default generator: each op
     * holds the lock, so no draw is lost or duplicated (a race on the
     * mt19937 state would repeat outputs) */
    enum { NT = 4, N = 2000 };
    static double vals[NT * N];
    int failed = 0;
#pragma omp parallel num_threads(NT)
    {
        int id = omp_get_thread_num();
        for (int k = 0; k < N / 100; k++) {
            ct_tensor *t = ct_rand(SHAPE(100), 1, CT_FLOAT64, NULL);
            if (!t) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            memcpy(vals + id * N + k * 100, ct_data_ptr(t), 100 * sizeof(double));
            ct_release(t);
        }
    }
    CHECK(!failed);
    int64_t sz = NT * N;
    ct_tensor *all = ct_from_data(vals, &sz, 1, CT_FLOAT64);
    double *v = tt_values(all);
    qsort(v, NT * N, sizeof(double), cmp_double);
    int dups = 0;
    for (int i = 1; i < NT * N; i++) dups += v[i] == v[i - 1];
    free(v);
    CHECK(dups == 0);
}

TEST(randn, normal_moments_and_errors) {
    ct_generator *g = ct_generator_new(3);
    ct_tensor *t = ct_randn(SHAPE(100003), 1, CT_FLOAT64, g);
    CHECK_MOMENTS(t, 0, 1, 0);
    ct_tensor *f = ct_randn(SHAPE(317, 331), 2, CT_FLOAT32, g);
    CHECK_MOMENTS(f, 0, 1, 0);
    ct_generator_free(g);
    CHECK_ERR(ct_randn(SHAPE(2), 1, CT_INT64, NULL), "\"normal_kernel_cpu\" not implemented for 'Long'");
}

TEST(randint, matches_pytorch_and_checks_bounds) {
    /* torch.manual_seed(0); torch.randint(0, 10, (5,)).tolist() */
    ct_manual_seed(0);
    ct_tensor *r = ct_randint(0, 10, SHAPE(5), 1, CT_DTYPE_DEFAULT, NULL);
    CHECK(r->dtype == CT_INT64);
    CHECK_TENSOR(r, SHAPE(5), 1, VALS(4, 9, 3, 0, 3), 0);
    /* torch.manual_seed(0); torch.randint(-2**40, 2**40, (3,)).tolist() */
    ct_manual_seed(0);
    ct_tensor *w = ct_randint(-(INT64_C(1) << 40), INT64_C(1) << 40, SHAPE(3), 1, CT_INT64, NULL);
    CHECK(ct_item_at_int(w, 0) == INT64_C(-358231004625));
    CHECK(ct_item_at_int(w, 1) == INT64_C(-593374360384));
    CHECK(ct_item_at_int(w, 2) == INT64_C(291447657211));
    ct_tensor *u = ct_randint(-3, 4, SHAPE(100000), 1, CT_INT8, NULL);
    int counts[7] = {0};
    for (int64_t i = 0; i < u->numel; i++) {
        int64_t v = ct_item_at_int(u, i);
        CHECK(v >= -3 && v < 4);
        counts[v + 3]++;
    }
    /* each value has p = 1/7: binomial sd ~ 111 */
    for (int k = 0; k < 7; k++) CHECK(fabs(counts[k] - 100000.0 / 7) < 5 * 111);
    CHECK_ERR(ct_randint(5, 5, SHAPE(3), 1, CT_INT64, NULL),
              "random_ expects 'from' to be less than 'to', but got from=5 >= to=5");
    CHECK_ERR(ct_randint(-1, 3, SHAPE(2), 1, CT_UINT8, NULL), "from is out of bounds for unsigned char");
    CHECK_ERR(ct_randint(0, INT64_C(1) << 40, SHAPE(2), 1, CT_INT32, NULL),
              "to - 1 is out of bounds for int");
    CHECK_ERR(ct_randint(0, 10, SHAPE(2), 1, CT_BOOL, NULL), "to - 1 is out of bounds for bool");
    CHECK_TENSOR(ct_randint(0, 1, SHAPE(3), 1, CT_FLOAT32, NULL), SHAPE(3), 1, VALS(0, 0, 0), 0);
}

TEST(randperm, matches_pytorch_and_is_a_permutation) {
    /* torch.manual_seed(0); torch.randperm(10).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_randperm(10, CT_DTYPE_DEFAULT, NULL), SHAPE(10), 1,
                 VALS(4, 1, 7, 5, 3, 9, 0, 8, 6, 2), 0);
    ct_tensor *p = ct_randperm(50000, CT_INT32, NULL);
    CHECK(p->dtype == CT_INT32);
    char *seen = calloc(50000, 1);
    int ok = 1, fixed = 0;
    for (int64_t i = 0; i < 50000; i++) {
        int64_t v = ct_item_at_int(p, i);
        if (v < 0 || v >= 50000 || seen[v]) ok = 0;
        else seen[v] = 1;
        fixed += v == i;
    }
    free(seen);
    CHECK(ok);
    CHECK(fixed < 10); /* expected number of fixed points is 1 */
    CHECK(ct_randperm(0, CT_INT64, NULL)->numel == 0);
    CHECK_ERR(ct_randperm(-1, CT_INT64, NULL), "negative dimension -1");
    CHECK_ERR(ct_randperm(300, CT_UINT8, NULL), "cannot be represented exactly");
}

TEST(rand_like, shape_dtype_and_range) {
    ct_tensor *a = ct_zeros(SHAPE(3, 4), 2, CT_FLOAT64);
    ct_tensor *r = ct_rand_like(ct_t(a), CT_DTYPE_DEFAULT, NULL);
    CHECK(r->dtype == CT_FLOAT64 && r->sizes[0] == 4 && r->sizes[1] == 3);
    CHECK_ERR(ct_rand_like(ct_zeros(SHAPE(2), 1, CT_INT32), CT_DTYPE_DEFAULT, NULL),
              "not implemented for 'Int'");
    CHECK(ct_rand_like(ct_zeros(SHAPE(2), 1, CT_INT32), CT_FLOAT32, NULL)->dtype == CT_FLOAT32);
}

TEST(randn_like, shape_and_dtype) {
    ct_tensor *r = ct_randn_like(ct_zeros(SHAPE(2, 0, 3), 3, CT_FLOAT32), CT_DTYPE_DEFAULT, NULL);
    CHECK(r->numel == 0 && r->ndim == 3 && r->dtype == CT_FLOAT32);
    CHECK(ct_randn_like(ct_zeros(NULL, 0, CT_FLOAT64), CT_DTYPE_DEFAULT, NULL)->ndim == 0);
}

TEST(randint_like, keeps_dtype) {
    ct_tensor *r = ct_randint_like(ct_zeros(SHAPE(100), 1, CT_INT16), 10, 20, CT_DTYPE_DEFAULT, NULL);
    CHECK(r->dtype == CT_INT16);
    for (int i = 0; i < 100; i++) CHECK(ct_item_at(r, i) >= 10 && ct_item_at(r, i) < 20);
}

TEST(bernoulli, matches_pytorch_with_float_and_double_probabilities) {
    /* torch.manual_seed(0);
     * torch.bernoulli(torch.tensor([.1, .5, .9, .3, .7, .5])).tolist() */
    const double pv[] = {0.1, 0.5, 0.9, 0.3, 0.7, 0.5};
    ct_manual_seed(0);
    ct_tensor *b = ct_bernoulli(ct_tensor_from_doubles(pv, SHAPE(6), 1, CT_FLOAT32), NULL);
    CHECK(b->dtype == CT_FLOAT32);
    CHECK_TENSOR(b, SHAPE(6), 1, VALS(0, 0, 1, 1, 1, 0), 0);
    /* same with dtype=torch.float64 */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_bernoulli(ct_tensor_from_doubles(pv, SHAPE(6), 1, CT_FLOAT64), NULL), SHAPE(6),
                 1, VALS(0, 0, 1, 0, 1, 0), 0);
    CHECK_ERR(ct_bernoulli(ct_tensor_from_doubles(VALS(1.5), SHAPE(1), 1, CT_FLOAT32), NULL),
              "Expected p_in >= 0 && p_in <= 1");
    CHECK_ERR(ct_bernoulli(ct_zeros(SHAPE(2), 1, CT_INT64), NULL), "floating point");
    ct_tensor *bp = ct_bernoulli_p(ct_zeros(SHAPE(100000), 1, CT_FLOAT64), 0.25, NULL);
    CHECK_MOMENTS(bp, 0.25, 0.1875, 1 / 0.1875 - 6);
}

TEST(bernoulli_, frequency_broadcast_and_versions) {
    /* torch.manual_seed(0); torch.empty(8).bernoulli_(0.5).tolist() */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(8), 1, CT_FLOAT32);
    uint64_t v0 = ct_version(t);
    CHECK(ct_bernoulli_(t, 0.5, NULL) == t);
    CHECK(ct_version(t) == v0 + 1);
    CHECK_TENSOR(t, SHAPE(8), 1, VALS(0, 0, 1, 0, 0, 0, 1, 1), 0);
    CHECK_ERR(ct_bernoulli_(t, 1.5, NULL), "bernoulli_ expects p to be in [0, 1], but got p=1.5");
    /* probabilities of a column broadcast over rows: row 0 never, row 1 always */
    ct_tensor *m = ct_empty(SHAPE(2, 50000), 2, CT_BOOL);
    ct_tensor *p = ct_tensor_from_doubles(VALS(0, 1), SHAPE(2, 1), 2, CT_FLOAT32);
    CHECK(ct_bernoulli_tensor_(m, p, NULL) == m);
    for (int64_t i = 0; i < 100000; i++) CHECK(ct_item_at(m, i) == (i >= 50000));
    ct_tensor *q = ct_empty(SHAPE(100000), 1, CT_INT32);
    ct_bernoulli_tensor_(q, ct_full(NULL, 0, 0.3, CT_FLOAT64), NULL);
    CHECK_MOMENTS(q, 0.3, 0.21, 1 / 0.21 - 6);
    CHECK_ERR(ct_bernoulli_tensor_(q, ct_zeros(SHAPE(3), 1, CT_FLOAT32), NULL), "bernoulli_");
    /* a transposed output with per-column probabilities 0 and 1 */
    ct_tensor *base = ct_zeros(SHAPE(2, 3), 2, CT_INT64);
    ct_tensor *tt = ct_t(base); /* [3, 2] */
    ct_bernoulli_tensor_(tt, ct_tensor_from_doubles(VALS(1, 0), SHAPE(2), 1, CT_FLOAT64), NULL);
    CHECK_TENSOR(base, SHAPE(2, 3), 2, VALS(1, 1, 1, 0, 0, 0), 0);
}

TEST(uniform_, rejects_outputs_with_internal_overlap) {
    ct_tensor *e = ct_expand(ct_zeros(SHAPE(3, 1), 2, CT_FLOAT32), SHAPE(3, 4), 2);
    CHECK_ERR(ct_uniform_(e, 0, 1, NULL), "more than one element of the written-to tensor");
    CHECK_ERR(ct_normal_(e, 0, 1, NULL), "more than one element of the written-to tensor");
    CHECK_ERR(ct_bernoulli_(e, 0.5, NULL), "more than one element of the written-to tensor");
    CHECK_ERR(ct_bernoulli_tensor_(e, ct_full(NULL, 0, 0.5, CT_FLOAT32), NULL),
              "more than one element of the written-to tensor");
}

TEST(uniform_, matches_pytorch_and_respects_bounds) {
    /* torch.manual_seed(0); torch.empty(6).uniform_(-3.3, 7.1).tolist() */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(6), 1, CT_FLOAT32);
    CHECK(ct_uniform_(t, -3.3, 7.1, NULL) == t);
    CHECK_TENSOR(t, SHAPE(6), 1,
                 VALS(1.8610683679580688, 4.689506530761719, -2.3798346519470215,
                      -1.9268829822540283, -0.10280277580022812, 3.2944180965423584),
                 0);
    ct_tensor *big = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    ct_uniform_(big, -2, 6, NULL);
    for (int64_t i = 0; i < big->numel; i++) CHECK(ct_item_at(big, i) >= -2 && ct_item_at(big, i) < 6);
    CHECK_MOMENTS(big, 2, 64.0 / 12, -1.2);
    CHECK_ERR(ct_uniform_(t, 2, 1, NULL),
              "uniform_ expects to return a [from, to) range, but found from=2 > to=1");
    CHECK_ERR(ct_uniform_(t, 0, INFINITY, NULL), "to is out of bounds for float");
    CHECK_ERR(ct_uniform_(t, -3e38, 3e38, NULL), "to-from to exceed the limit");
    CHECK_ERR(ct_uniform_(ct_zeros(SHAPE(2), 1, CT_INT64), 0, 1, NULL),
              "\"check_uniform_bounds\" not implemented for 'Long'");
    /* torch.manual_seed(0); torch.empty(6, dtype=torch.float16).uniform_(-3.3, 7.1),
     * the same in bfloat16, and torch.rand(6, dtype=torch.float16) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_uniform_(ct_empty(SHAPE(6), 1, CT_FLOAT16), -3.3, 7.1, NULL), SHAPE(6), 1,
                 VALS(0.1748046875, -0.46044921875, 5.09765625, 2.87890625, 0.94189453125,
                      0.576171875),
                 0);
    ct_manual_seed(0);
    CHECK_TENSOR(ct_uniform_(ct_empty(SHAPE(6), 1, CT_BFLOAT16), -3.3, 7.1, NULL), SHAPE(6), 1,
                 VALS(3.671875, -1.390625, 1.4453125, 4.5, -0.58203125, 6.875), 0);
    ct_manual_seed(0);
    CHECK_TENSOR(ct_rand(SHAPE(6), 1, CT_FLOAT16, NULL), SHAPE(6), 1,
                 VALS(0.333984375, 0.27294921875, 0.80712890625, 0.59375, 0.40771484375,
                      0.37255859375),
                 0);
    ct_tensor *h = ct_empty(SHAPE(100), 1, CT_FLOAT16);
    ct_uniform_(h, 1, 2, NULL);
    for (int i = 0; i < 100; i++) CHECK(ct_item_at(h, i) >= 1 && ct_item_at(h, i) <= 2);
}

TEST(normal_, matches_pytorch_in_memory_order_and_dense) {
    /* torch.manual_seed(0); x = torch.empty(3, 4).t(); x.normal_(2, 3);
     * x.flatten().tolist(): drawn in memory order (per-element path) */
    ct_manual_seed(0);
    ct_tensor *x = ct_t(ct_empty(SHAPE(3, 4), 2, CT_FLOAT32));
    uint64_t v0 = ct_version(x);
    CHECK(ct_normal_(x, 2, 3, NULL) == x);
    CHECK(ct_version(x) == v0 + 1);
    CHECK_TENSOR(x, SHAPE(4, 3), 2,
                 VALS(6.622988224029541, -1.2535669803619385, -0.1577727347612381,
                      1.119713306427002, -2.195786237716675, 0.7899694442749023,
                      -4.536368370056152, 3.21004056930542, 0.2100939154624939,
                      3.705293893814087, 4.5140790939331055, 2.546109437942505),
                 1e-6);
    /* torch.manual_seed(0); torch.empty(4, 5).normal_(2, 3).flatten().tolist() */
    ct_manual_seed(0);
    ct_tensor *y = ct_empty(SHAPE(4, 5), 2, CT_FLOAT32);
    ct_normal_(y, 2, 3, NULL);
    CHECK_TENSOR(y, SHAPE(4, 5), 2,
                 VALS(-1.3775194883346558, -1.457080602645874, 1.2482643127441406,
                      0.6983635425567627, 3.796518325805664, -2.665285110473633,
                      0.9759188294410706, 7.559018135070801, 3.4042892456054688,
                      1.526862621307373, 6.33098030090332, 2.7981481552124023,
                      6.168098449707031, 6.759002685546875, 4.838894844055176,
                      -0.5310302376747131, 4.795479774475098, 5.777027606964111,
                      8.014942169189453, 2.161210775375366),
                 1e-6);
    ct_tensor *big = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    ct_normal_(ct_slice(big, 0, 0, 100000, 1), -1, 0.5, NULL);
    CHECK_MOMENTS(big, -1, 0.25, 0);
    CHECK_ERR(ct_normal_(y, 0, -1, NULL), "normal expects std >= 0.0, but found std -1");
    CHECK_ERR(ct_normal_(ct_zeros(SHAPE(2), 1, CT_INT64), 0, 1, NULL),
              "\"normal_kernel_cpu\" not implemented for 'Long'");
}

TEST(random_, matches_pytorch_ranges_and_full_range) {
    /* torch.manual_seed(0); torch.empty(5, dtype=torch.int32).random_(0, 100) */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(5), 1, CT_INT32);
    CHECK(ct_random_(t, 0, 100, NULL) == t);
    CHECK_TENSOR(t, SHAPE(5), 1, VALS(44, 39, 33, 60, 63), 0);
    /* torch.manual_seed(0); torch.empty(5).random_() */
    ct_manual_seed(0);
    ct_tensor *f = ct_empty(SHAPE(5), 1, CT_FLOAT32);
    CHECK(ct_random_full_(f, NULL) == f);
    CHECK_TENSOR(f, SHAPE(5), 1, VALS(8325664, 12888472, 1484222, 2214888, 5157545), 0);
    /* torch.manual_seed(0); torch.empty(3, dtype=torch.int64).random_() */
    ct_manual_seed(0);
    ct_tensor *l = ct_empty(SHAPE(3), 1, CT_INT64);
    ct_random_full_(l, NULL);
    CHECK(ct_item_at_int(l, 0) == INT64_C(900450186894289455));
    CHECK(ct_item_at_int(l, 1) == INT64_C(3969543146641149120));
    CHECK(ct_item_at_int(l, 2) == INT64_C(1895649597198586619));
    ct_tensor *b = ct_empty(SHAPE(1000), 1, CT_BOOL);
    ct_random_full_(b, NULL);
    int ones = 0;
    for (int i = 0; i < 1000; i++) ones += ct_item_at(b, i) != 0;
    CHECK(ones > 400 && ones < 600);
    CHECK_ERR(ct_random_(t, 3, 3, NULL), "random_ expects 'from' to be less than 'to'");
}

TEST(exponential_, moments) {
    ct_tensor *t = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    CHECK(ct_exponential_(t, 2, NULL) == t);
    for (int64_t i = 0; i < t->numel; i++) CHECK(ct_item_at(t, i) >= 0 && isfinite(ct_item_at(t, i)));
    CHECK_MOMENTS(t, 0.5, 0.25, 6);
    CHECK_ERR(ct_exponential_(t, -1, NULL), "exponential_ expects lambda >= 0.0, but found lambda=-1");
    CHECK_ERR(ct_exponential_(ct_zeros(SHAPE(2), 1, CT_INT64), 1, NULL),
              "\"exponential_cpu\" not implemented for 'Long'");
}

TEST(geometric_, moments_on_integers) {
    ct_tensor *t = ct_empty(SHAPE(100000), 1, CT_INT32);
    CHECK(ct_geometric_(t, 0.25, NULL) == t);
    for (int64_t i = 0; i < t->numel; i++) CHECK(ct_item_at(t, i) >= 1);
    /* mean 1/p = 4, variance (1-p)/p^2 = 12; excess kurtosis 6 + p^2/(1-p) */
    CHECK_MOMENTS(t, 4, 12, 6 + 0.0625 / 0.75);
    CHECK_ERR(ct_geometric_(t, 1.5, NULL), "geometric_ expects p to be in (0, 1), but got p=1.5");
}

TEST(log_normal_, log_is_normal) {
    ct_tensor *t = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    CHECK(ct_log_normal_(t, 1, 0.5, NULL) == t);
    ct_tensor *lg = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    for (int64_t i = 0; i < t->numel; i++) ((double *)ct_data_ptr(lg))[i] = log(ct_item_at(t, i));
    CHECK_MOMENTS(lg, 1, 0.25, 0);
    CHECK_ERR(ct_log_normal_(t, 0, -1, NULL), "log_normal_ expects std > 0.0, but found std=-1");
}

TEST(cauchy_, median_and_quartiles) {
    ct_tensor *t = ct_empty(SHAPE(100000), 1, CT_FLOAT64);
    CHECK(ct_cauchy_(t, 3, 2, NULL) == t);
    /* P(X < median) = 1/2, P(X < median + sigma) = 3/4 */
    int below = 0, below_q3 = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        below += ct_item_at(t, i) < 3;
        below_q3 += ct_item_at(t, i) < 5;
    }
    CHECK(fabs((double)below - 50000) < 5 * 158);
    CHECK(fabs((double)below_q3 - 75000) < 5 * 137);
}

TEST(multinomial, without_replacement_never_repeats_and_follows_weights) {
    ct_tensor *p = ct_tensor_from_doubles(VALS(1, 0, 3, 6, 0.5, 0, 2, 2), SHAPE(2, 4), 2, CT_FLOAT32);
    for (int rep = 0; rep < 50; rep++) {
        ct_tensor *s = ct_multinomial(p, 2, false, NULL);
        CHECK(s->dtype == CT_INT64 && s->sizes[0] == 2 && s->sizes[1] == 2);
        for (int r = 0; r < 2; r++) {
            int64_t a = ct_item_at_int(s, r * 2), b = ct_item_at_int(s, r * 2 + 1);
            CHECK(a != b);
            CHECK(ct_item_at(p, r * 4 + a) > 0 && ct_item_at(p, r * 4 + b) > 0);
        }
    }
    /* all categories drawn once each is a permutation */
    ct_tensor *all = ct_multinomial(ct_ones(SHAPE(6), 1, CT_FLOAT64), 6, false, NULL);
    int seen = 0;
    for (int i = 0; i < 6; i++) seen |= 1 << ct_item_at_int(all, i);
    CHECK(seen == 63);
    /* first draw frequency follows the weights [1, 3]: P(1) = 3/4 */
    ct_tensor *w = ct_tensor_from_doubles(VALS(1, 3), SHAPE(2), 1, CT_FLOAT64);
    int ones = 0;
    for (int i = 0; i < 4000; i++) ones += ct_item_at_int(ct_multinomial(w, 1, false, NULL), 0) == 1;
    CHECK(fabs((double)ones - 3000) < 5 * 27.4);
}

TEST(multinomial, with_replacement_frequencies) {
    ct_tensor *w = ct_tensor_from_doubles(VALS(0.2, 0, 0.5, 0.3), SHAPE(4), 1, CT_FLOAT64);
    ct_tensor *s = ct_multinomial(w, 100000, true, NULL);
    CHECK(s->ndim == 1 && s->numel == 100000);
    int c[4] = {0};
    for (int64_t i = 0; i < s->numel; i++) c[ct_item_at_int(s, i)]++;
    CHECK(c[1] == 0);
    CHECK(fabs((double)c[0] - 20000) < 5 * 126.5);
    CHECK(fabs((double)c[2] - 50000) < 5 * 158.2);
    CHECK(fabs((double)c[3] - 30000) < 5 * 144.9);
}

TEST(multinomial, errors_like_pytorch) {
    ct_tensor *z = ct_zeros(SHAPE(2), 1, CT_FLOAT32);
    CHECK_ERR(ct_multinomial(z, 1, false, NULL), "invalid multinomial distribution (sum of probabilities <= 0)");
    CHECK_ERR(ct_multinomial(z, 2, true, NULL), "invalid multinomial distribution (sum of probabilities <= 0)");
    ct_tensor *neg = ct_tensor_from_doubles(VALS(-1, 2), SHAPE(2), 1, CT_FLOAT32);
    CHECK_ERR(ct_multinomial(neg, 1, false, NULL), "probability tensor contains either `inf`, `nan` or element < 0");
    CHECK_ERR(ct_multinomial(neg, 2, true, NULL), "(encountering probability entry < 0)");
    ct_tensor *nan = ct_tensor_from_doubles(VALS(1, NAN), SHAPE(2), 1, CT_FLOAT32);
    CHECK_ERR(ct_multinomial(nan, 1, false, NULL), "`inf`, `nan` or element < 0");
    ct_tensor *ok = ct_ones(SHAPE(3), 1, CT_FLOAT32);
    CHECK_ERR(ct_multinomial(ok, 4, false, NULL),
              "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
    CHECK_ERR(ct_multinomial(ok, 0, true, NULL), "cannot sample n_sample <= 0 samples");
    CHECK_ERR(ct_multinomial(ct_ones(SHAPE(2, 2, 2), 3, CT_FLOAT32), 1, false, NULL),
              "prob_dist must be 1 or 2 dim");
    CHECK_ERR(ct_multinomial(ct_ones(SHAPE(3), 1, CT_INT64), 1, false, NULL),
              "multinomial only supports floating-point dtypes for input, got: Long");
}

TEST(normal, tensor_mean_and_std_match_pytorch) {
    /* torch.manual_seed(0); torch.normal(torch.arange(5.), 2.).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_normal_std_scalar(ct_arange(0, 5, 1, CT_FLOAT32), 2, NULL), SHAPE(5), 1,
                 VALS(3.0819921493530273, 0.41314220428466797, -2.357578754425049,
                      4.136862754821777, 1.8309552669525146),
                 0);
    /* torch.manual_seed(0); torch.normal(1.5, torch.arange(5.)).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_normal_mean_scalar(1.5, ct_arange(0, 5, 1, CT_FLOAT32), NULL), SHAPE(5), 1,
                 VALS(1.5, 1.206571102142334, -2.857578754425049, 3.205293655395508,
                      -2.8380894660949707),
                 0);
    /* torch.manual_seed(0);
     * torch.normal(torch.arange(20.).reshape(4, 5), torch.arange(5.) / 3) */
    ct_manual_seed(0);
    ct_tensor *sd = ct_arange(0, 5, 1, CT_FLOAT32);
    for (int i = 0; i < 5; i++) ((float *)ct_data_ptr(sd))[i] /= 3.0f;
    ct_tensor *r = ct_normal(ct_reshape(ct_arange(0, 20, 1, CT_FLOAT32), SHAPE(4, 5), 2), sd, NULL);
    CHECK_TENSOR(r, SHAPE(4, 5), 2,
                 VALS(0.0, 0.6158798933029175, 1.8329476118087769, 2.5661211013793945,
                      4.798452377319336, 5.0, 5.886213302612305, 8.235337257385254,
                      8.468096733093262, 8.789716720581055, 10.0, 11.088683128356934,
                      12.926243782043457, 14.586334228515625, 15.261731147766113, 15.0,
                      16.31060791015625, 17.839340209960938, 20.004980087280273,
                      19.0716495513916),
                 1e-6);
    /* torch.manual_seed(0); torch.normal(2., 3., (5,)).tolist() */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_normal_sized(2, 3, SHAPE(5), 1, CT_DTYPE_DEFAULT, NULL), SHAPE(5), 1,
                 VALS(6.622988224029541, 1.119713306427002, -4.536368370056152,
                      3.705293893814087, -1.2535669803619385),
                 1e-7);
}

TEST(normal, errors_and_moments) {
    CHECK_ERR(ct_normal(ct_zeros(SHAPE(2), 1, CT_FLOAT32),
                        ct_tensor_from_doubles(VALS(1, -1), SHAPE(2), 1, CT_FLOAT32), NULL),
              "normal expects all elements of std >= 0.0");
    CHECK_ERR(ct_normal(ct_zeros(SHAPE(2), 1, CT_FLOAT32), ct_ones(SHAPE(3), 1, CT_FLOAT32), NULL),
              "normal");
    CHECK_ERR(ct_normal_std_scalar(ct_zeros(SHAPE(2), 1, CT_INT64), 1, NULL),
              "\"normal_kernel_cpu\" not implemented for 'Long'");
    CHECK_ERR(ct_normal_std_scalar(ct_zeros(SHAPE(2), 1, CT_FLOAT32), -1, NULL),
              "normal expects std >= 0.0, but found std -1");
    ct_tensor *m = ct_full(SHAPE(2, 1), 2, 3, CT_FLOAT64);
    ct_tensor *s = ct_full(SHAPE(50000), 1, 2, CT_FLOAT64);
    ct_tensor *r = ct_normal(m, s, NULL);
    CHECK(r->ndim == 2 && r->sizes[0] == 2 && r->sizes[1] == 50000 && r->dtype == CT_FLOAT64);
    CHECK_MOMENTS(r, 3, 4, 0);
}

TEST(poisson, matches_pytorch_and_moments) {
    /* torch.manual_seed(0); torch.poisson(torch.tensor([0.5, 3., 12., 100., 0.])) */
    ct_manual_seed(0);
    ct_tensor *rates = ct_tensor_from_doubles(VALS(0.5, 3, 12, 100, 0), SHAPE(5), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_poisson(rates, NULL), SHAPE(5), 1, VALS(2, 4, 13, 99, 0), 0);
    ct_tensor *big = ct_poisson(ct_full(SHAPE(100000), 1, 4.5, CT_FLOAT64), NULL);
    CHECK(big->dtype == CT_FLOAT64);
    CHECK_MOMENTS(big, 4.5, 4.5, 1 / 4.5);
    ct_tensor *big2 = ct_poisson(ct_full(SHAPE(100000), 1, 30, CT_FLOAT32), NULL);
    CHECK_MOMENTS(big2, 30, 30, 1 / 30.0);
    CHECK_ERR(ct_poisson(ct_tensor_from_doubles(VALS(-1), SHAPE(1), 1, CT_FLOAT32), NULL),
              "invalid Poisson rate, expected rate to be non-negative");
    CHECK_ERR(ct_poisson(ct_zeros(SHAPE(1), 1, CT_INT64), NULL), "not implemented for 'Long'");
}

TEST(multinomial, matches_pytorch_streams) {
    const double a[] = {0.1, 0.2, 0.3, 0.4}, b[] = {0.1, 0.2, 0.3, 0.4, 5, 0, 1, 2};
    /* torch.manual_seed(0); torch.multinomial(torch.tensor([.1, .2, .3, .4]), 2) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_multinomial(ct_tensor_from_doubles(a, SHAPE(4), 1, CT_FLOAT32), 2, false, NULL),
                 SHAPE(2), 1, VALS(2, 1), 0);
    /* torch.multinomial(torch.tensor([[.1, .2, .3, .4], [5, 0, 1, 2.]]), 3) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_multinomial(ct_tensor_from_doubles(b, SHAPE(2, 4), 2, CT_FLOAT32), 3, false, NULL),
                 SHAPE(2, 3), 2, VALS(2, 1, 3, 2, 0, 3), 0);
    /* torch.multinomial(torch.arange(1., 11.), 10) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_multinomial(ct_arange(1, 11, 1, CT_FLOAT32), 10, false, NULL), SHAPE(10), 1,
                 VALS(6, 9, 7, 8, 2, 4, 5, 1, 3, 0), 0);
    /* torch.multinomial(torch.tensor([.1, .2, .3, .4]), 8, True) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_multinomial(ct_tensor_from_doubles(a, SHAPE(4), 1, CT_FLOAT32), 8, true, NULL),
                 SHAPE(8), 1, VALS(3, 3, 2, 3, 3, 3, 1, 2), 0);
    /* the 2-row tensor above, 5 samples with replacement */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_multinomial(ct_tensor_from_doubles(b, SHAPE(2, 4), 2, CT_FLOAT32), 5, true, NULL),
                 SHAPE(2, 5), 2, VALS(3, 3, 2, 3, 3, 3, 0, 0, 0, 0), 0);
}

TEST(geometric_, matches_pytorch_stream) {
    /* torch.manual_seed(0); torch.empty(6, dtype=torch.int32).geometric_(0.3) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_geometric_(ct_empty(SHAPE(6), 1, CT_INT32), 0.3, NULL), SHAPE(6), 1,
                 VALS(1, 1, 3, 1, 2, 1), 0);
}

TEST(exponential_, matches_pytorch_stream) {
    /* torch.manual_seed(0); torch.empty(4, dtype=torch.float64).exponential_(2) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_exponential_(ct_empty(SHAPE(4), 1, CT_FLOAT64), 2, NULL), SHAPE(4), 1,
                 VALS(1.754163093353821, 0.6151923820898384, 0.30752204694700574,
                      1.2675593221079409),
                 1e-15);
}

TEST(cauchy_, matches_pytorch_stream) {
    /* torch.manual_seed(0); torch.empty(4, dtype=torch.float64).cauchy_(1, 2) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_cauchy_(ct_empty(SHAPE(4), 1, CT_FLOAT64), 1, 2, NULL), SHAPE(4), 1,
                 VALS(22.195458653364593, 2.5295345192117997, 0.7434013158336519,
                      8.8661466219893),
                 1e-14);
}

TEST(log_normal_, matches_pytorch_stream) {
    /* torch.manual_seed(0); torch.empty(4, dtype=torch.float64).log_normal_(1, 2) */
    ct_manual_seed(0);
    CHECK_TENSOR(ct_log_normal_(ct_empty(SHAPE(4), 1, CT_FLOAT64), 1, 2, NULL), SHAPE(4), 1,
                 VALS(59.26341788010752, 1.5115599370617072, 0.03481946309690494,
                      8.472812895730142),
                 1e-14);
}

TEST(rand, raw_draws_for_other_families) {
    /* mt19937 seeded with 0 (std::mt19937(0) in C++, the engine of
     * torch.manual_seed(0)): first outputs 2357136044, 2546248239 */
    ct_generator *g = ct_generator_new(0);
    ct_generator_lock(g);
    CHECK(ct_generator_next_u32(g) == UINT32_C(2357136044));
    CHECK(ct_generator_next_u32(g) == UINT32_C(2546248239));
    ct_generator_unlock(g);
    /* torch.manual_seed(0); torch.rand(2, dtype=torch.float64)[1] comes from
     * draws 3 and 4: 0.707819864399788 */
    ct_generator_lock(g);
    CHECK(ct_generator_next_double(g) == 0.707819864399788);
    ct_generator_unlock(g);
    ct_generator_free(g);
    ct_generator_free(NULL);
    ct_generator_free(ct_default_generator()); /* never frees the default */
    CHECK(ct_rand(SHAPE(2), 1, CT_FLOAT32, NULL) != NULL);
}
