/* Random distributions and decompositions on the GPU. The samplers are
 * checked by their statistics (mean and variance within a few standard
 * errors of the sample size, chi-square for multinomial), their support,
 * reproducibility under ct_manual_seed and their errors; the decompositions
 * against the CPU's results, or, where factors may legitimately differ in
 * sign or order, by rebuilding A from them. Each test counts itself as
 * skipped without a GPU. */
#define CUDA_TEST_GROUP "cuda random/linalg"
#include "cuda_check.h"

#define CLOSE(g, c, tol) CLOSE_GPU(g, c, tol, true)
#define MT(x) ct_transpose((x), -2, -1)

/* ---------------------------------------------------------------- helpers */
typedef struct {
    double mean, var, min, max;
    int64_t n;
} stats;

/* Statistics of every element of t (any device), or of one column of a 2-d t. */
static stats stats_of(const ct_tensor *t, int64_t col) {
    stats s = {0, 0, INFINITY, -INFINITY, 0};
    ct_tensor *h = ct_contiguous(ct_to_dtype(ct_cpu(t), CT_FLOAT64, false));
    if (!h) return s;
    const double *v = ct_data_ptr(h);
    int64_t step = col < 0 ? 1 : h->sizes[1], start = col < 0 ? 0 : col;
    for (int64_t i = start; i < h->numel; i += step) {
        s.mean += v[i];
        s.n++;
        if (v[i] < s.min) s.min = v[i];
        if (v[i] > s.max) s.max = v[i];
    }
    s.mean /= (double)(s.n ? s.n : 1);
    for (int64_t i = start; i < h->numel; i += step) s.var += (v[i] - s.mean) * (v[i] - s.mean);
    s.var /= (double)(s.n > 1 ? s.n - 1 : 1);
    return s;
}

/* The sample mean is within 6 standard errors of mu, and the sample
 * variance within 6 standard errors of var (its standard error from the
 * fourth central moment mu4). */
#define CHECK_MOMENTS(s, mu, var_, mu4)                                                  \
    do {                                                                                 \
        double se_m = sqrt((var_) / (double)(s).n);                                      \
        double se_v = sqrt(((mu4) - (var_) * (var_)) / (double)(s).n);                   \
        CHECK(fabs((s).mean - (mu)) < 6 * se_m + 1e-12);                                 \
        CHECK(fabs((s).var - (var_)) < 6 * se_v + 1e-12);                                \
    } while (0)

static ct_tensor *gpu_empty(const int64_t *shape, int nd, ct_dtype dt) {
    return ct_cuda(ct_zeros(shape, nd, dt));
}

static bool all_integers(const ct_tensor *t) {
    ct_tensor *h = ct_contiguous(ct_to_dtype(ct_cpu(t), CT_FLOAT64, false));
    const double *v = ct_data_ptr(h);
    for (int64_t i = 0; i < h->numel; i++)
        if (v[i] != floor(v[i])) return false;
    return true;
}

#define N_SAMPLES 200000

/* ---------------------------------------------------------------- in place */
TEST(cuda_random, uniform_normal_exponential_moments) {
    if (!gpu()) return;
    ct_tensor *t = gpu_empty(SHAPE(N_SAMPLES), 1, CT_FLOAT64);
    stats s = stats_of(ct_uniform_(t, -2, 3, NULL), -1);
    CHECK_MOMENTS(s, 0.5, 25.0 / 12, 625.0 / 80);
    CHECK(s.min >= -2 && s.max < 3);
    s = stats_of(ct_normal_(t, 1.5, 2, NULL), -1);
    CHECK_MOMENTS(s, 1.5, 4.0, 3 * 16.0);
    s = stats_of(ct_exponential_(t, 2, NULL), -1);
    CHECK_MOMENTS(s, 0.5, 0.25, 9.0 / 16);
    CHECK(s.min >= 0);
    ct_tensor *f = gpu_empty(SHAPE(N_SAMPLES), 1, CT_FLOAT32);
    s = stats_of(ct_uniform_(f, 0, 1, NULL), -1);
    CHECK_MOMENTS(s, 0.5, 1.0 / 12, 1.0 / 80);
    CHECK(s.min >= 0 && s.max < 1);
    CHECK(f->dtype == CT_FLOAT32 && f->storage->device.type == CT_CUDA);
}

TEST(cuda_random, geometric_log_normal_cauchy) {
    if (!gpu()) return;
    ct_tensor *t = gpu_empty(SHAPE(N_SAMPLES), 1, CT_FLOAT64);
    double p = 0.3, q = 1 - p;
    stats s = stats_of(ct_geometric_(t, p, NULL), -1);
    /* number of trials: mean 1/p, variance q/p^2, fourth central moment
     * q (p^2 + 9 q) / p^4 */
    CHECK_MOMENTS(s, 1 / p, q / (p * p), q * (p * p + 9 * q) / (p * p * p * p));
    CHECK(s.min >= 1 && all_integers(t));
    ct_tensor *gi = gpu_empty(SHAPE(1000), 1, CT_INT64);
    CHECK(stats_of(ct_geometric_(gi, 0.5, NULL), -1).min >= 1);
    /* log of a log-normal sample is normal */
    s = stats_of(ct_log(ct_log_normal_(t, 0.5, 0.75, NULL)), -1);
    CHECK_MOMENTS(s, 0.5, 0.5625, 3 * 0.5625 * 0.5625);
    /* Cauchy(2, 3): half the mass within one sigma of the median */
    ct_cauchy_(t, 2, 3, NULL);
    ct_tensor *in = ct_lt_scalar(ct_abs(ct_sub_scalar(ct_cpu(t), 2)), 3);
    double frac = -1;
    CHECK(ct_item(ct_mean(ct_to_dtype(in, CT_FLOAT64, false)), &frac) == 0);
    CHECK(fabs(frac - 0.5) < 6 * sqrt(0.25 / N_SAMPLES));
    CHECK_ERR(ct_exponential_(gpu_empty(SHAPE(2), 1, CT_INT64), 1, NULL), "not implemented for 'Long'");
}

TEST(cuda_random, random_from_to_and_full_ranges) {
    if (!gpu()) return;
    ct_tensor *t = gpu_empty(SHAPE(N_SAMPLES), 1, CT_INT64);
    stats s = stats_of(ct_random_(t, -5, 11, NULL), -1);
    /* discrete uniform on 16 values */
    CHECK_MOMENTS(s, 2.5, (256.0 - 1) / 12, (16.0 * 16 - 1) * (3 * 16.0 * 16 - 7) / 240);
    CHECK(s.min == -5 && s.max == 10);
    /* a range above 2^53 stays exact in int64 */
    int64_t big = INT64_C(1) << 60;
    ct_random_(t, big, big + 3, NULL);
    ct_tensor *h = ct_cpu(t);
    const int64_t *v = ct_data_ptr(h);
    bool ok = true;
    for (int64_t i = 0; i < h->numel; i++) ok = ok && v[i] >= big && v[i] < big + 3;
    CHECK(ok);
    ct_tensor *u8 = gpu_empty(SHAPE(50000), 1, CT_UINT8);
    s = stats_of(ct_random_full_(u8, NULL), -1);
    CHECK(s.min == 0 && s.max == 255 && fabs(s.mean - 127.5) < 6 * sqrt(5461.25 / 50000));
    ct_tensor *f = gpu_empty(SHAPE(50000), 1, CT_FLOAT32);
    s = stats_of(ct_random_(f, 0, 7, NULL), -1);
    CHECK(s.min == 0 && s.max == 6 && all_integers(f));
    ct_tensor *b = gpu_empty(SHAPE(10000), 1, CT_BOOL);
    s = stats_of(ct_random_full_(b, NULL), -1);
    CHECK(s.min == 0 && s.max == 1);
    CHECK_ERR(ct_random_(gpu_empty(SHAPE(2), 1, CT_INT8), 0, 300, NULL), "out of bounds");
}

TEST(cuda_random, manual_seed_reproduces_and_any_strides_give_the_same_values) {
    if (!gpu()) return;
    ct_tensor *a = gpu_empty(SHAPE(300, 70), 2, CT_FLOAT32);
    ct_tensor *b = gpu_empty(SHAPE(300, 70), 2, CT_FLOAT32);
    ct_manual_seed(42);
    ct_normal_(a, 0, 1, NULL);
    ct_tensor *a2 = ct_clone(ct_exponential_(ct_clone(a), 1, NULL));
    ct_manual_seed(42);
    ct_normal_(b, 0, 1, NULL);
    CLOSE(b, ct_cpu(a), 0);
    CLOSE(ct_exponential_(b, 1, NULL), ct_cpu(a2), 0);
    CHECK(gpu_cpu_diff(ct_normal_(b, 0, 1, NULL), ct_cpu(a), true) > 0); /* a fresh key per call */
    /* values follow the logical index: a transposed view gets what a
     * contiguous tensor of its shape gets */
    ct_tensor *c = gpu_empty(SHAPE(70, 300), 2, CT_FLOAT32), *ct = ct_t(c);
    ct_manual_seed(7);
    ct_uniform_(a, -1, 1, NULL);
    ct_manual_seed(7);
    ct_uniform_(ct, -1, 1, NULL);
    CLOSE(ct, ct_cpu(a), 0);
    /* a stepped slice: only its elements change */
    ct_tensor *z = gpu_empty(SHAPE(10, 8), 2, CT_FLOAT64);
    ct_tensor *sl = ct_slice(z, 1, 0, 8, 2);
    ct_uniform_(sl, 1, 2, NULL);
    ct_tensor *hz = ct_cpu(z);
    bool ok = true;
    for (int64_t i = 0; i < 80; i++) {
        double v = ((double *)ct_data_ptr(hz))[i];
        ok = ok && (i % 2 ? v == 0 : v >= 1 && v < 2);
    }
    CHECK(ok);
    CHECK_ERR(ct_uniform_(ct_expand(gpu_empty(SHAPE(1), 1, CT_FLOAT32), SHAPE(4), 1), 0, 1, NULL),
              "more than one element");
}

TEST(cuda_random, like_samplers_stay_on_the_input_device) {
    if (!gpu()) return;
    ct_tensor *x = gpu_empty(SHAPE(400, 100), 2, CT_FLOAT32);
    ct_tensor *r = ct_randn_like(x, CT_DTYPE_DEFAULT, NULL);
    CHECK(r && r->storage->device.type == CT_CUDA && r->dtype == CT_FLOAT32);
    CHECK_MOMENTS(stats_of(r, -1), 0, 1, 3);
    r = ct_rand_like(x, CT_FLOAT64, NULL);
    CHECK(r && r->storage->device.type == CT_CUDA && r->dtype == CT_FLOAT64);
    CHECK_MOMENTS(stats_of(r, -1), 0.5, 1.0 / 12, 1.0 / 80);
    r = ct_randint_like(x, 3, 5, CT_INT32, NULL);
    stats s = stats_of(r, -1);
    CHECK(r && r->storage->device.type == CT_CUDA && s.min == 3 && s.max == 4);
    CHECK_ERR(ct_randn_like(x, CT_INT64, NULL), "not implemented for 'Long'");
}

/* ---------------------------------------------------------------- tensor parameters */
TEST(cuda_random, bernoulli_with_a_tensor_of_probabilities) {
    if (!gpu()) return;
    ct_tensor *p = tt_tensor(VALS(0, 0.1, 0.5, 0.9, 1), SHAPE(5), 1, CT_FLOAT64);
    ct_tensor *t = gpu_empty(SHAPE(40000, 5), 2, CT_FLOAT32);
    ct_bernoulli_tensor_(t, ct_cuda(p), NULL);
    for (int j = 0; j < 5; j++) {
        double pj = ((double *)ct_data_ptr(p))[j];
        stats s = stats_of(t, j);
        CHECK(fabs(s.mean - pj) < 6 * sqrt(pj * (1 - pj) / 40000) + 1e-12);
    }
    /* torch.bernoulli(p): p's shape and dtype, on its GPU; transposed p */
    ct_tensor *pp = ct_cuda(ct_expand(ct_reshape(p, SHAPE(5, 1), 2), SHAPE(5, 30000), 2));
    ct_tensor *r = ct_bernoulli(ct_t(ct_contiguous(pp)), NULL);
    CHECK(r && r->ndim == 2 && r->sizes[0] == 30000 && r->sizes[1] == 5 && r->dtype == CT_FLOAT64);
    CHECK(fabs(stats_of(r, 2).mean - 0.5) < 6 * sqrt(0.25 / 30000));
    CHECK(stats_of(r, 0).max == 0 && stats_of(r, 4).min == 1);
    /* bad probabilities leave t untouched */
    ct_tensor *before = ct_cpu(t);
    CHECK_ERR(ct_bernoulli_tensor_(t, ct_cuda(tt_tensor(VALS(0.5, 1.5, 0, 0, 0), SHAPE(5), 1, CT_FLOAT64)),
                                   NULL),
              "Expected p_in >= 0 && p_in <= 1");
    CLOSE(t, before, 0);
    CHECK_ERR(ct_bernoulli_tensor_(t, p, NULL), "same device");
    CHECK_ERR(ct_bernoulli_tensor_(t, ct_cuda(ct_ones(SHAPE(3), 1, CT_FLOAT32)), NULL), "must match the size");
}

TEST(cuda_random, normal_with_tensor_mean_and_std) {
    if (!gpu()) return;
    ct_tensor *mean = ct_cuda(tt_tensor(VALS(-3, 0, 10), SHAPE(3), 1, CT_FLOAT64));
    ct_tensor *std = ct_cuda(tt_tensor(VALS(0.5, 1, 4), SHAPE(3), 1, CT_FLOAT64));
    ct_tensor *mean_big = ct_contiguous(ct_expand(mean, SHAPE(50000, 3), 2));
    ct_tensor *r = ct_normal(mean_big, std, NULL);
    const double m[3] = {-3, 0, 10}, sd[3] = {0.5, 1, 4};
    CHECK(r && r->sizes[0] == 50000 && r->sizes[1] == 3 && r->storage->device.type == CT_CUDA);
    for (int j = 0; j < 3; j++) {
        stats s = stats_of(r, j);
        CHECK_MOMENTS(s, m[j], sd[j] * sd[j], 3 * pow(sd[j], 4));
    }
    r = ct_normal_std_scalar(mean_big, 2, NULL);
    for (int j = 0; j < 3; j++) CHECK_MOMENTS(stats_of(r, j), m[j], 4.0, 48.0);
    ct_tensor *std_big = ct_contiguous(ct_expand(ct_to_dtype(std, CT_FLOAT32, false), SHAPE(50000, 3), 2));
    r = ct_normal_mean_scalar(1, ct_t(ct_contiguous(ct_t(std_big))), NULL);
    CHECK(r && r->dtype == CT_FLOAT32);
    for (int j = 0; j < 3; j++) CHECK_MOMENTS(stats_of(r, j), 1, sd[j] * sd[j], 3 * pow(sd[j], 4));
    ct_manual_seed(3);
    ct_tensor *r1 = ct_normal(mean, std, NULL);
    ct_manual_seed(3);
    CLOSE(ct_normal(mean, std, NULL), ct_cpu(r1), 0);
    CHECK_ERR(ct_normal(mean, ct_neg(std), NULL), "normal expects all elements of std >= 0.0");
    CHECK_ERR(ct_normal(mean, ct_cpu(std), NULL), "same device");
    CHECK_ERR(ct_normal(ct_to_dtype(mean, CT_INT64, false), std, NULL), "not implemented for 'Long'");
}

TEST(cuda_random, poisson_moments_for_small_and_large_rates) {
    if (!gpu()) return;
    const double lam[4] = {0, 0.7, 4, 35};
    ct_tensor *rates = ct_cuda(ct_contiguous(
        ct_expand(tt_tensor(lam, SHAPE(4), 1, CT_FLOAT64), SHAPE(50000, 4), 2)));
    ct_tensor *r = ct_poisson(rates, NULL);
    CHECK(r && r->dtype == CT_FLOAT64 && r->storage->device.type == CT_CUDA && all_integers(r));
    for (int j = 0; j < 4; j++) {
        stats s = stats_of(r, j);
        /* Poisson: mean = variance = lambda, fourth central moment lambda (1 + 3 lambda) */
        CHECK_MOMENTS(s, lam[j], lam[j], lam[j] * (1 + 3 * lam[j]));
        CHECK(s.min >= 0);
    }
    CHECK(ct_poisson(ct_to_dtype(rates, CT_FLOAT32, false), NULL)->dtype == CT_FLOAT32);
    CHECK_ERR(ct_poisson(ct_cuda(tt_tensor(VALS(1, -1), SHAPE(2), 1, CT_FLOAT64)), NULL),
              "invalid Poisson rate");
}

/* ---------------------------------------------------------------- multinomial */
/* chi-square of counts[k] against n * p[k] over the categories with p > 0 */
static double chi2(const int64_t *counts, const double *p, int k, int64_t n) {
    double c = 0;
    for (int j = 0; j < k; j++)
        if (p[j] > 0) c += pow((double)counts[j] - n * p[j], 2) / (n * p[j]);
    return c;
}

TEST(cuda_multinomial, with_replacement_chi_square_per_row) {
    if (!gpu()) return;
    const double w[2][5] = {{1, 2, 3, 4, 0}, {0, 0, 5, 0, 5}};
    ct_tensor *p = ct_cuda(tt_tensor(&w[0][0], SHAPE(2, 5), 2, CT_FLOAT32));
    int64_t n = 40000;
    ct_tensor *r = ct_cpu(ct_multinomial(p, n, true, NULL));
    CHECK(r && r->dtype == CT_INT64 && r->sizes[0] == 2 && r->sizes[1] == n);
    const int64_t *v = ct_data_ptr(r);
    for (int row = 0; row < 2; row++) {
        int64_t counts[5] = {0};
        double pr[5], sum = 0;
        for (int j = 0; j < 5; j++) sum += w[row][j];
        for (int j = 0; j < 5; j++) pr[j] = w[row][j] / sum;
        for (int64_t i = 0; i < n; i++) counts[v[row * n + i]]++;
        for (int j = 0; j < 5; j++)
            if (w[row][j] == 0) CHECK(counts[j] == 0);
        /* 3 and 1 degrees of freedom: 0.9999 quantiles 21.1 and 15.1 */
        CHECK(chi2(counts, pr, 5, n) < (row ? 15.1 : 21.1));
    }
    /* 1-d p */
    ct_tensor *r1 = ct_multinomial(ct_cuda(tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_FLOAT64)), 7, true, NULL);
    CHECK(r1 && r1->ndim == 1 && r1->sizes[0] == 7 && stats_of(r1, -1).min == 1);
}

TEST(cuda_multinomial, without_replacement_permutations_and_first_draws) {
    if (!gpu()) return;
    const double w[4] = {1, 2, 3, 4};
    ct_tensor *p1 = tt_tensor(w, SHAPE(4), 1, CT_FLOAT64);
    int64_t rows = 20000;
    ct_tensor *p = ct_cuda(ct_contiguous(ct_expand(p1, SHAPE(rows, 4), 2)));
    ct_tensor *r = ct_cpu(ct_multinomial(p, 4, false, NULL));
    CHECK(r && r->sizes[0] == rows && r->sizes[1] == 4);
    const int64_t *v = ct_data_ptr(r);
    int64_t first[4] = {0};
    bool perm = true;
    for (int64_t i = 0; i < rows; i++) {
        int seen = 0;
        for (int k = 0; k < 4; k++) seen |= 1 << v[i * 4 + k];
        perm = perm && seen == 15;
        first[v[i * 4]]++;
    }
    CHECK(perm);
    const double pr[4] = {0.1, 0.2, 0.3, 0.4};
    CHECK(chi2(first, pr, 4, rows) < 21.1);
    /* one sample per row of a long row (the GPU sort's global-memory path) */
    ct_tensor *wide = ct_cuda(ct_ones(SHAPE(3, 5000), 2, CT_FLOAT32));
    ct_tensor *o = ct_multinomial(wide, 2, false, NULL);
    CHECK(o && o->sizes[1] == 2 && stats_of(o, -1).max < 5000);
    ct_manual_seed(11);
    ct_tensor *o1 = ct_multinomial(p, 3, false, NULL);
    ct_manual_seed(11);
    CLOSE(ct_multinomial(p, 3, false, NULL), ct_cpu(o1), 0);
}

TEST(cuda_multinomial, errors_match_the_cpu) {
    if (!gpu()) return;
    ct_tensor *neg = ct_cuda(tt_tensor(VALS(1, -1, 2, 1, 1, 1), SHAPE(2, 3), 2, CT_FLOAT64));
    CHECK_ERR(ct_multinomial(neg, 2, true, NULL), "encountering probability entry < 0");
    CHECK_ERR(ct_multinomial(neg, 1, true, NULL), "probability tensor contains either `inf`, `nan` or element < 0");
    ct_tensor *inf = ct_cuda(tt_tensor(VALS(1, 1, 1, 1, INFINITY, 1), SHAPE(2, 3), 2, CT_FLOAT64));
    CHECK_ERR(ct_multinomial(inf, 2, true, NULL), "infinity or NaN");
    CHECK_ERR(ct_multinomial(ct_cuda(ct_zeros(SHAPE(3), 1, CT_FLOAT32)), 2, true, NULL),
              "sum of probabilities <= 0");
    CHECK_ERR(ct_multinomial(ct_cuda(ct_ones(SHAPE(3), 1, CT_FLOAT32)), 4, false, NULL),
              "cannot sample n_sample > prob_dist.size(-1)");
    CHECK_ERR(ct_multinomial(ct_cuda(ct_ones(SHAPE(3), 1, CT_INT64)), 1, false, NULL),
              "floating-point dtypes");
}

/* ---------------------------------------------------------------- linalg */
/* A batch of well-conditioned matrices: random entries plus n on the diagonal. */
static ct_tensor *well_conditioned(const int64_t *shape, int nd, ct_dtype dt, uint64_t seed) {
    ct_tensor *a = tt_rand(shape, nd, dt, -1, 1, seed);
    ct_tensor *eye = ct_mul_scalar(ct_eye(shape[nd - 1], shape[nd - 1], dt), (double)shape[nd - 1]);
    return ct_add(a, eye);
}

/* Symmetric positive-definite: M M^T + n I. */
static ct_tensor *spd(const int64_t *shape, int nd, ct_dtype dt, uint64_t seed) {
    ct_tensor *m = tt_rand(shape, nd, dt, -1, 1, seed);
    ct_tensor *eye = ct_mul_scalar(ct_eye(shape[nd - 1], shape[nd - 1], dt), (double)shape[nd - 1]);
    return ct_add(ct_matmul(m, MT(m)), eye);
}

TEST(cuda_linalg_inv, batched_transposed_and_singular) {
    if (!gpu()) return;
    ct_tensor *a = well_conditioned(SHAPE(3, 6, 6), 3, CT_FLOAT64, 1);
    CLOSE(ct_linalg_inv(ct_cuda(a)), ct_linalg_inv(a), 1e-10);
    CLOSE(ct_linalg_inv(MT(ct_cuda(a))), ct_linalg_inv(MT(a)), 1e-10);
    ct_tensor *f = ct_to_dtype(a, CT_FLOAT32, false);
    CLOSE(ct_linalg_inv(ct_cuda(f)), ct_linalg_inv(f), 1e-4);
    CHECK(ct_linalg_inv(ct_cuda(ct_zeros(SHAPE(2, 0, 0), 3, CT_FLOAT64)))->numel == 0);
    ct_tensor *sing = tt_tensor(VALS(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 0, 2, 4, 0, 0, 0, 1), SHAPE(2, 3, 3), 3,
                                CT_FLOAT64);
    CHECK(!ct_linalg_inv(sing));
    char cpu_msg[512];
    snprintf(cpu_msg, sizeof cpu_msg, "%s", ct_last_error());
    CHECK_ERR(ct_linalg_inv(ct_cuda(sing)), cpu_msg);
    CHECK_ERR(ct_linalg_inv(ct_cuda(ct_ones(SHAPE(2, 3), 2, CT_FLOAT64))), "square");
    CHECK_ERR(ct_linalg_inv(ct_cuda(ct_ones(SHAPE(2, 2), 2, CT_INT64))), "floating point");
}

TEST(cuda_linalg_solve, matrix_vector_and_broadcast_right_hand_sides) {
    if (!gpu()) return;
    ct_tensor *a = well_conditioned(SHAPE(2, 5, 5), 3, CT_FLOAT64, 2);
    ct_tensor *b = tt_rand(SHAPE(2, 5, 3), 3, CT_FLOAT64, -1, 1, 3);
    ct_tensor *ga = ct_cuda(a);
    CLOSE(ct_linalg_solve(ga, ct_cuda(b)), ct_linalg_solve(a, b), 1e-10);
    ct_tensor *v = tt_rand(SHAPE(5), 1, CT_FLOAT64, -1, 1, 4);
    CLOSE(ct_linalg_solve(ga, ct_cuda(v)), ct_linalg_solve(a, v), 1e-10);
    ct_tensor *b1 = tt_rand(SHAPE(5, 2), 2, CT_FLOAT64, -1, 1, 5); /* broadcast over A's batch */
    CLOSE(ct_linalg_solve(MT(ga), ct_cuda(b1)), ct_linalg_solve(MT(a), b1), 1e-10);
    ct_tensor *f = ct_to_dtype(a, CT_FLOAT32, false), *fb = ct_to_dtype(b, CT_FLOAT32, false);
    CLOSE(ct_linalg_solve(ct_cuda(f), ct_cuda(fb)), ct_linalg_solve(f, fb), 1e-4);
    ct_tensor *sing = ct_zeros(SHAPE(3, 3), 2, CT_FLOAT64);
    CHECK_ERR(ct_linalg_solve(ct_cuda(sing), ct_cuda(ct_ones(SHAPE(3), 1, CT_FLOAT64))), "singular");
    CHECK_ERR(ct_linalg_solve(ga, b), "same device");
}

TEST(cuda_linalg_det, det_and_slogdet_against_the_cpu) {
    if (!gpu()) return;
    ct_tensor *a = tt_rand(SHAPE(4, 5, 5), 3, CT_FLOAT64, -1, 1, 6);
    CLOSE(ct_linalg_det(ct_cuda(a)), ct_linalg_det(a), 1e-10);
    CLOSE(ct_linalg_det(MT(ct_cuda(a))), ct_linalg_det(a), 1e-10);
    ct_tensor *gs, *gl, *cs, *cl;
    CHECK(ct_linalg_slogdet(ct_cuda(a), &gs, &gl) == 0 && ct_linalg_slogdet(a, &cs, &cl) == 0);
    CLOSE(gs, cs, 0);
    CLOSE(gl, cl, 1e-10);
    ct_tensor *sing = tt_tensor(VALS(1, 2, 2, 4), SHAPE(2, 2), 2, CT_FLOAT32);
    CLOSE(ct_linalg_det(ct_cuda(sing)), ct_linalg_det(sing), 0);
    CHECK(ct_linalg_slogdet(ct_cuda(sing), &gs, &gl) == 0 && ct_linalg_slogdet(sing, &cs, &cl) == 0);
    CLOSE(gs, cs, 0);
    CLOSE(gl, cl, 0);
    CLOSE(ct_linalg_det(ct_cuda(ct_zeros(SHAPE(3, 0, 0), 3, CT_FLOAT64))),
          ct_linalg_det(ct_zeros(SHAPE(3, 0, 0), 3, CT_FLOAT64)), 0);
}

TEST(cuda_linalg_cholesky, lower_upper_and_not_positive_definite) {
    if (!gpu()) return;
    ct_tensor *a = spd(SHAPE(3, 6, 6), 3, CT_FLOAT64, 7);
    CLOSE(ct_linalg_cholesky(ct_cuda(a), false), ct_linalg_cholesky(a, false), 1e-10);
    CLOSE(ct_linalg_cholesky(ct_cuda(a), true), ct_linalg_cholesky(a, true), 1e-10);
    ct_tensor *f = ct_to_dtype(a, CT_FLOAT32, false);
    CLOSE(ct_linalg_cholesky(MT(ct_cuda(f)), false), ct_linalg_cholesky(MT(f), false), 1e-4);
    ct_tensor *bad = ct_clone(a);
    ((double *)ct_data_ptr(bad))[36 + 7 * 1] = -100; /* batch 1, entry (1, 1) */
    CHECK(!ct_linalg_cholesky(bad, false));
    char cpu_msg[512];
    snprintf(cpu_msg, sizeof cpu_msg, "%s", ct_last_error());
    CHECK_ERR(ct_linalg_cholesky(ct_cuda(bad), false), cpu_msg);
    CHECK(strstr(cpu_msg, "(Batch element 1)") && strstr(cpu_msg, "order 2"));
}

/* max |a - b| over the elements (any devices) */
static double max_abs_diff(const ct_tensor *a, const ct_tensor *b) {
    ct_tensor *d = ct_contiguous(ct_to_dtype(ct_abs(ct_sub(ct_cpu(a), ct_cpu(b))), CT_FLOAT64, false));
    if (!d) return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < d->numel; i++) m = fmax(m, ((double *)ct_data_ptr(d))[i]);
    return m;
}

TEST(cuda_linalg_qr, reconstruction_orthogonality_and_modes) {
    if (!gpu()) return;
    const int64_t shapes[3][3] = {{1, 7, 4}, {1, 4, 7}, {3, 5, 5}};
    const char *modes[3] = {"reduced", "complete", "r"};
    for (int s = 0; s < 3; s++)
        for (int md = 0; md < 3; md++) {
            ct_tensor *a = tt_rand(shapes[s], 3, CT_FLOAT64, -1, 1, 8 + s);
            ct_tensor *gq, *gr, *cq, *cr;
            CHECK(ct_linalg_qr(ct_cuda(a), modes[md], &gq, &gr) == 0);
            CHECK(ct_linalg_qr(a, modes[md], &cq, &cr) == 0);
            CHECK(gr->storage->device.type == CT_CUDA);
            /* R is unique up to the signs of its rows */
            CHECK(max_abs_diff(ct_abs(gr), ct_abs(cr)) < 1e-10);
            if (md == 2) {
                CHECK(gq->numel == 0);
                continue;
            }
            CHECK(max_abs_diff(ct_matmul(gq, gr), a) < 1e-10);
            int64_t qc = gq->sizes[2];
            CHECK(max_abs_diff(ct_matmul(MT(gq), gq), ct_eye(qc, qc, CT_FLOAT64)) < 1e-10);
        }
    ct_tensor *a = tt_rand(SHAPE(6, 3), 2, CT_FLOAT32, -1, 1, 12), *q, *r;
    CHECK(ct_linalg_qr(MT(ct_cuda(a)), "reduced", &q, &r) == 0);
    CHECK(max_abs_diff(ct_matmul(q, r), MT(a)) < 1e-5);
    CHECK(ct_linalg_qr(ct_cuda(ct_zeros(SHAPE(3, 0), 2, CT_FLOAT64)), "complete", &q, &r) == 0);
    CHECK(max_abs_diff(q, ct_eye(3, 3, CT_FLOAT64)) == 0 && r->sizes[0] == 3 && r->sizes[1] == 0);
}

TEST(cuda_linalg_svd, singular_values_and_reconstruction_tall_and_wide) {
    if (!gpu()) return;
    const int64_t shapes[3][3] = {{2, 6, 4}, {2, 4, 6}, {1, 5, 5}};
    for (int s = 0; s < 3; s++)
        for (int full = 0; full < 2; full++) {
            ct_tensor *a = tt_rand(shapes[s], 3, CT_FLOAT64, -1, 1, 13 + s);
            ct_tensor *u, *sv, *vh, *cu, *cs, *cvh;
            CHECK(ct_linalg_svd(ct_cuda(a), full, &u, &sv, &vh) == 0);
            CHECK(ct_linalg_svd(a, full, &cu, &cs, &cvh) == 0);
            CLOSE(sv, cs, 1e-10);
            CHECK(u->ndim == cu->ndim && u->sizes[1] == cu->sizes[1] && u->sizes[2] == cu->sizes[2]);
            CHECK(vh->sizes[1] == cvh->sizes[1] && vh->sizes[2] == cvh->sizes[2]);
            int64_t k = sv->sizes[1];
            ct_tensor *uk = ct_slice(u, 2, 0, k, 1), *vk = ct_slice(vh, 1, 0, k, 1);
            ct_tensor *us = ct_mul(uk, ct_unsqueeze(sv, 1));
            CHECK(max_abs_diff(ct_matmul(us, vk), a) < 1e-10);
            int64_t uc = u->sizes[2], vr = vh->sizes[1];
            CHECK(max_abs_diff(ct_matmul(MT(u), u), ct_eye(uc, uc, CT_FLOAT64)) < 1e-10);
            CHECK(max_abs_diff(ct_matmul(vh, MT(vh)), ct_eye(vr, vr, CT_FLOAT64)) < 1e-10);
        }
    ct_tensor *a = tt_rand(SHAPE(3, 5), 2, CT_FLOAT32, -1, 1, 20), *u, *sv, *vh, *cu, *cs, *cvh;
    CHECK(ct_linalg_svd(MT(ct_cuda(a)), false, &u, &sv, &vh) == 0);
    CHECK(ct_linalg_svd(MT(a), false, &cu, &cs, &cvh) == 0);
    CLOSE(sv, cs, 1e-5);
    CHECK(ct_linalg_svd(ct_cuda(ct_zeros(SHAPE(0, 3), 2, CT_FLOAT64)), true, &u, &sv, &vh) == 0);
    CHECK(sv->numel == 0 && max_abs_diff(vh, ct_eye(3, 3, CT_FLOAT64)) == 0);
}

TEST(cuda_linalg_eigh, eigenvalues_and_eigenvectors) {
    if (!gpu()) return;
    ct_tensor *m = tt_rand(SHAPE(3, 6, 6), 3, CT_FLOAT64, -1, 1, 21);
    ct_tensor *a = ct_add(m, MT(m));
    for (int up = 0; up < 2; up++) {
        ct_tensor *gl, *gv, *cl, *cv;
        CHECK(ct_linalg_eigh(ct_cuda(a), up ? 'U' : 'L', &gl, &gv) == 0);
        CHECK(ct_linalg_eigh(a, up ? 'U' : 'L', &cl, &cv) == 0);
        CLOSE(gl, cl, 1e-10);
        /* A V = V diag(L) */
        CHECK(max_abs_diff(ct_matmul(ct_cuda(a), gv), ct_mul(gv, ct_unsqueeze(gl, 1))) < 1e-10);
    }
    /* only one triangle is read */
    ct_tensor *gl, *gv, *cl, *cv;
    CHECK(ct_linalg_eigh(ct_cuda(m), 'U', &gl, &gv) == 0 && ct_linalg_eigh(m, 'U', &cl, &cv) == 0);
    CLOSE(gl, cl, 1e-10);
    ct_tensor *f = ct_to_dtype(a, CT_FLOAT32, false);
    CHECK(ct_linalg_eigh(MT(ct_cuda(f)), 'L', &gl, &gv) == 0 && ct_linalg_eigh(MT(f), 'L', &cl, &cv) == 0);
    CLOSE(gl, cl, 1e-4);
}

TEST(cuda_linalg_grad, decomposition_gradients_run_on_the_gpu) {
    if (!gpu()) return;
    ct_tensor *a = well_conditioned(SHAPE(2, 4, 4), 3, CT_FLOAT64, 22);
    ct_tensor *s = spd(SHAPE(4, 4), 2, CT_FLOAT64, 23);
    ct_tensor *ins[2] = {a, s};
    ct_tensor *gin[2], *cin[2];
    for (int dev = 0; dev < 2; dev++) {
        ct_tensor **x = dev ? gin : cin;
        for (int i = 0; i < 2; i++) {
            x[i] = dev ? ct_cuda(ins[i]) : ct_clone(ins[i]);
            CHECK(ct_set_requires_grad(x[i], true) == 0);
        }
        ct_tensor *l, *v;
        ct_tensor *loss = ct_add(ct_sum(ct_linalg_inv(x[0])),
                                 ct_sum(ct_linalg_det(x[0])));
        loss = ct_add(loss, ct_sum(ct_linalg_cholesky(x[1], false)));
        CHECK(ct_linalg_eigh(x[1], 'L', &l, &v) == 0);
        loss = ct_add(loss, ct_sum(l));
        CHECK(loss && ct_backward(loss, NULL, false, false, NULL, 0) == 0);
    }
    CLOSE(ct_tensor_grad(gin[0]), ct_tensor_grad(cin[0]), 1e-9);
    CLOSE(ct_tensor_grad(gin[1]), ct_tensor_grad(cin[1]), 1e-9);
}
