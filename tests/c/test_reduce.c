/* Reductions against reference loops written here in double precision (and a
 * few literal results printed by PyTorch 1.13, noted where used). */
#include "harness.h"

#include <stdlib.h>

enum { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_VAR, R_NORM, R_LSE, R_NZ };

/* Reference reduction of x over dims (NULL/0 = all): one double per output,
 * outputs in row-major order of the kept dims. Arg kinds give the index
 * along the reduced dims (row-major over them). Caller frees. */
static double *ref_reduce(const ct_tensor *x, const int *dims, int ndims, int kind, double p,
                          double correction, int64_t *nout_out) {
    int nd = x->ndim;
    bool mask[CT_MAX_DIMS] = {false};
    if (!dims || ndims == 0)
        for (int d = 0; d < nd; d++) mask[d] = true;
    for (int i = 0; i < ndims; i++) mask[dims[i] < 0 ? dims[i] + nd : dims[i]] = true;
    int64_t nout = 1, nred = 1;
    for (int d = 0; d < nd; d++) {
        if (mask[d]) nred *= x->sizes[d];
        else nout *= x->sizes[d];
    }
    double *r = calloc((size_t)(nout ? nout : 1), sizeof(double));
    double *aux = calloc((size_t)(nout ? nout : 1), sizeof(double));
    int64_t *cnt = calloc((size_t)(nout ? nout : 1), sizeof(int64_t));
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = 0; i < x->numel; i++) {
            int64_t rest = i, o = 0, ro = 0, om = 1, rm = 1;
            for (int d = nd - 1; d >= 0; d--) {
                int64_t id = rest % x->sizes[d];
                rest /= x->sizes[d];
                if (mask[d]) ro += id * rm, rm *= x->sizes[d];
                else o += id * om, om *= x->sizes[d];
            }
            double v = ct_item_at(x, i);
            bool first = cnt[o]++ == 0;
            switch (kind) {
            case R_SUM: r[o] += v; break;
            case R_PROD: r[o] = first ? v : r[o] * v; break;
            case R_NZ: r[o] += v != 0; break;
            case R_NORM:
                if (isinf(p)) {
                    double a = fabs(v);
                    if (first || isnan(a) || (p > 0 ? a > r[o] : a < r[o])) r[o] = isnan(r[o]) && !first ? r[o] : a;
                } else if (p == 0) r[o] += v != 0;
                else r[o] += pow(fabs(v), p);
                break;
            case R_MAX: case R_MIN: case R_ARGMAX: case R_ARGMIN: {
                bool mx = kind == R_MAX || kind == R_ARGMAX;
                if (first || (!isnan(aux[o]) && (isnan(v) || (mx ? v > aux[o] : v < aux[o])))) {
                    aux[o] = v;
                    r[o] = (kind == R_MAX || kind == R_MIN) ? v : (double)ro;
                }
                break;
            }
            case R_VAR:
                if (pass == 0) r[o] += v;
                else aux[o] += (v - r[o]) * (v - r[o]);
                break;
            case R_LSE:
                if (pass == 0) r[o] = first ? v : (v > r[o] ? v : r[o]);
                else aux[o] += exp(v - r[o]);
                break;
            }
        }
        if (kind != R_VAR && kind != R_LSE) break;
        for (int64_t o = 0; o < nout; o++) {
            if (pass == 0 && kind == R_VAR) r[o] /= (double)nred;
            cnt[o] = 0;
        }
    }
    for (int64_t o = 0; o < nout; o++) {
        if (kind == R_VAR) r[o] = aux[o] / ((double)nred - correction);
        if (kind == R_LSE) r[o] = log(aux[o]) + r[o];
        if (kind == R_NORM && !isinf(p) && p != 0) r[o] = pow(r[o], 1.0 / p);
    }
    free(aux);
    free(cnt);
    *nout_out = nout;
    return r;
}

/* Output shape of reducing x over dims. */
static int red_shape(const ct_tensor *x, const int *dims, int ndims, bool keepdim,
                     int64_t *shape) {
    bool mask[CT_MAX_DIMS] = {false};
    if (!dims || ndims == 0)
        for (int d = 0; d < x->ndim; d++) mask[d] = true;
    for (int i = 0; i < ndims; i++) mask[dims[i] < 0 ? dims[i] + x->ndim : dims[i]] = true;
    int n = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!mask[d]) shape[n++] = x->sizes[d];
        else if (keepdim) shape[n++] = 1;
    return n;
}

#define CHECK_REF(out, x, dims, ndims, keepdim, kind, p, corr, tol)                        \
    do {                                                                                   \
        int64_t shp_[CT_MAX_DIMS], nout_;                                                  \
        int nd_ = red_shape((x), (dims), (ndims), (keepdim), shp_);                        \
        double *ref_ = ref_reduce((x), (dims), (ndims), (kind), (p), (corr), &nout_);      \
        int bad_ = tt_expect(__FILE__, __LINE__, (out), shp_, nd_, ref_, (tol));           \
        free(ref_);                                                                        \
        if (bad_) return;                                                                  \
    } while (0)

/* A [4, 5, 6] float tensor and its non-contiguous relatives. */
static ct_tensor *cube(ct_dtype dt, unsigned seed) {
    return tt_rand(SHAPE(4, 5, 6), 3, dt, -2, 2, seed);
}

static const int D0[] = {0}, D1[] = {1}, D2[] = {2}, DM1[] = {-1}, D02[] = {0, 2},
                 D12[] = {1, 2}, DM3M1[] = {-3, -1};

/* ------------------------------------------------------------------ sum */
TEST(sum, full_and_dims_match_reference_with_keepdim_and_negative_dims) {
    ct_tensor *x = cube(CT_FLOAT32, 1);
    CHECK_REF(ct_sum(x), x, NULL, 0, false, R_SUM, 0, 0, 1e-6);
    const int *ds[] = {D0, D1, D2, DM1, D02, D12, DM3M1};
    int ns[] = {1, 1, 1, 1, 2, 2, 2};
    for (int i = 0; i < 7; i++)
        for (int k = 0; k < 2; k++) {
            ct_tensor *y = ct_sum_dims(x, ds[i], ns[i], k, -1);
            CHECK(y->dtype == CT_FLOAT32);
            CHECK_REF(y, x, ds[i], ns[i], k, R_SUM, 0, 0, 1e-6);
        }
    ct_tensor *d = cube(CT_FLOAT64, 2);
    CHECK_REF(ct_sum_dims(d, D02, 2, true, -1), d, D02, 2, true, R_SUM, 0, 0, 1e-12);
}

TEST(sum, non_contiguous_inputs_transposed_and_stepped) {
    ct_tensor *x = cube(CT_FLOAT64, 3);
    ct_tensor *t = ct_transpose(x, 0, 2); /* [6, 5, 4] */
    for (int i = 0; i < 3; i++)
        CHECK_REF(ct_sum_dims(t, (const int[]){i}, 1, false, -1), t, ((const int[]){i}), 1,
                  false, R_SUM, 0, 0, 1e-12);
    CHECK_REF(ct_sum_dims(t, D02, 2, false, -1), t, D02, 2, false, R_SUM, 0, 0, 1e-12);
    ct_tensor *s = ct_slice(ct_slice(x, 2, 1, 6, 2), 0, 0, 4, 3); /* [2, 5, 3] */
    CHECK_REF(ct_sum_dims(s, D12, 2, false, -1), s, D12, 2, false, R_SUM, 0, 0, 1e-12);
    CHECK_REF(ct_sum_dims(s, D0, 1, true, -1), s, D0, 1, true, R_SUM, 0, 0, 1e-12);
    ct_tensor *e = ct_expand(ct_slice(x, 0, 0, 1, 1), SHAPE(3, 5, 6), 3);
    CHECK_REF(ct_sum_dims(e, D0, 1, false, -1), e, D0, 1, false, R_SUM, 0, 0, 1e-12);
    CHECK_REF(ct_sum(e), e, NULL, 0, false, R_SUM, 0, 0, 1e-12);
}

TEST(sum, integer_and_bool_inputs_give_int64_and_dtype_argument_casts_first) {
    ct_tensor *b = tt_tensor(VALS(1, 0, 1, 1), SHAPE(2, 2), 2, CT_BOOL);
    ct_tensor *sb = ct_sum(b);
    CHECK(sb->dtype == CT_INT64 && ct_item_at(sb, 0) == 3);
    ct_tensor *i8 = tt_tensor(VALS(100, 100, 100, -7), SHAPE(4), 1, CT_INT8);
    ct_tensor *s8 = ct_sum(i8);
    CHECK(s8->dtype == CT_INT64 && ct_item_at_int(s8, 0) == 293);
    ct_tensor *big = tt_tensor(VALS(4e18, 4e18, 4e18), SHAPE(3), 1, CT_INT64);
    /* int64 sums wrap around like PyTorch's */
    CHECK(ct_item_at_int(ct_sum(big), 0) == (int64_t)(12000000000000000000ULL));
    /* PyTorch: tensor([1.5, 2.5, -1.7]).sum(dtype=torch.int32) == 2 */
    ct_tensor *f = tt_tensor(VALS(1.5, 2.5, -1.7), SHAPE(3), 1, CT_FLOAT32);
    ct_tensor *si = ct_sum_dims(f, NULL, 0, false, CT_INT32);
    CHECK(si->dtype == CT_INT32 && ct_item_at(si, 0) == 2);
    ct_tensor *i32 = tt_rand(SHAPE(3, 7), 2, CT_INT32, -50, 50, 4);
    ct_tensor *s16 = ct_sum_dims(i32, D1, 1, false, CT_INT16);
    CHECK(s16->dtype == CT_INT16);
    CHECK_REF(s16, i32, D1, 1, false, R_SUM, 0, 0, 0);
    ct_tensor *sd = ct_sum_dims(i32, D0, 1, false, CT_FLOAT64);
    CHECK(sd->dtype == CT_FLOAT64);
    CHECK_REF(sd, i32, D0, 1, false, R_SUM, 0, 0, 0);
    ct_tensor *h = tt_tensor(VALS(1, 2, 3.5), SHAPE(3), 1, CT_FLOAT16);
    ct_tensor *sh = ct_sum(h);
    CHECK(sh->dtype == CT_FLOAT16 && ct_item_at(sh, 0) == 6.5);
}

TEST(sum, empty_and_zero_d_tensors) {
    ct_tensor *e = ct_empty(SHAPE(2, 0), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_sum(e), SHAPE(0), 0, VALS(0), 0);
    CHECK_TENSOR(ct_sum_dims(e, D1, 1, false, -1), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_sum_dims(e, D0, 1, true, -1), SHAPE(1, 0), 2, VALS(0), 0);
    ct_tensor *z = ct_scalar_tensor(5, CT_FLOAT32);
    CHECK_TENSOR(ct_sum(z), SHAPE(0), 0, VALS(5), 0);
    CHECK_TENSOR(ct_sum_dims(z, D0, 1, false, -1), SHAPE(0), 0, VALS(5), 0);
    CHECK_TENSOR(ct_sum_dims(z, DM1, 1, true, -1), SHAPE(0), 0, VALS(5), 0);
}

TEST(sum, float32_sum_of_ten_million_is_accurate) {
    int64_t n = 10000000;
    ct_tensor *x = ct_empty(&n, 1, CT_FLOAT32);
    float *p = ct_data_ptr(x);
    for (int64_t i = 0; i < n; i++) p[i] = 0.1f;
    double exact = (double)0.1f * (double)n;
    double s;
    CHECK(ct_item(ct_sum(x), &s) == 0);
    CHECK(fabs(s - exact) / exact < 1e-6);
    CHECK(ct_item(ct_mean(x), &s) == 0);
    CHECK(fabs(s - 0.1f) / 0.1f < 1e-6);
}

/* float32 sums run as a cascade in float lanes (16 terms a lane, then
 * double): its worst-case error is below 17 float roundings of the sum of
 * magnitudes. On 16M values spanning 12 decades with random
 * signs, checked against a compensated double reference; the constant 0.1f
 * case (where rounding errors do not cancel) against PyTorch 1.13's own
 * error on the same data, torch.full((1 << 24,), 0.1).sum(): 8.94e-7. */
TEST(sum, float32_cascade_on_16M_varied_magnitudes_stays_within_its_bound) {
    int64_t n = 1 << 24;
    ct_tensor *x = ct_empty(&n, 1, CT_FLOAT32);
    float *p = ct_data_ptr(x);
    uint64_t r = 88172645463325252ull;
    double ref = 0, comp = 0, sabs = 0;
    for (int64_t i = 0; i < n; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        double u = (double)(r >> 11) * 0x1p-53;              /* [0, 1) */
        int e = (int)((r >> 3) % 41) - 20;                   /* 2^-20 .. 2^20 */
        p[i] = (float)((2 * u - 1) * ldexp(1.0, e));
        double v = p[i], t = ref + v; /* Neumaier's compensated sum */
        comp += fabs(ref) >= fabs(v) ? (ref - t) + v : (v - t) + ref;
        ref = t;
        sabs += fabs(v);
    }
    ref += comp;
    double s, m;
    CHECK(ct_item(ct_sum(x), &s) == 0);
    CHECK(ct_item(ct_mean(x), &m) == 0);
    double bound = 17 * 0x1p-24 * sabs;
    CHECK(fabs(s - ref) <= bound);
    CHECK(fabs(m - ref / (double)n) <= bound / (double)n);
    float *q = ct_data_ptr(x);
    for (int64_t i = 0; i < n; i++) q[i] = 0.1f;
    double exact = (double)0.1f * (double)n;
    CHECK(ct_item(ct_sum(x), &s) == 0);
    CHECK(fabs(s - exact) / exact <= 8.94e-7);
    CHECK(fabs(s - exact) / exact <= 2e-7); /* 16-term lanes: 1.49e-7 */
}

/* Reference sums over raw float data: rows [R, C] contiguous. */
static void row_col_sums(const float *p, int64_t R, int64_t C, double *rows, double *cols) {
    for (int64_t i = 0; i < R; i++) rows[i] = 0;
    for (int64_t j = 0; j < C; j++) cols[j] = 0;
    for (int64_t i = 0; i < R; i++)
        for (int64_t j = 0; j < C; j++) {
            rows[i] += p[i * C + j];
            cols[j] += p[i * C + j];
        }
}

TEST(sum, large_inputs_in_every_layout_cross_the_threading_threshold) {
    const int64_t R = 700, C = 300; /* 210k elements */
    ct_tensor *x = tt_rand(SHAPE(R, C), 2, CT_FLOAT32, -1, 1, 9);
    double *rows = malloc(sizeof(double) * R), *cols = malloc(sizeof(double) * C);
    row_col_sums(ct_data_ptr(x), R, C, rows, cols);
    ct_tensor *sr = ct_sum_dims(x, D1, 1, false, -1); /* inner */
    ct_tensor *sc = ct_sum_dims(x, D0, 1, false, -1); /* outer */
    ct_tensor *xt = ct_t(x);                          /* [C, R] transposed */
    ct_tensor *tr = ct_sum_dims(xt, D0, 1, false, -1);
    ct_tensor *tc = ct_sum_dims(xt, D1, 1, false, -1);
    double total = 0;
    for (int64_t i = 0; i < R; i++) total += rows[i];
    ct_tensor *all = ct_sum(xt);
    int bad = 0;
    for (int64_t i = 0; i < R && !bad; i++)
        bad = fabs(ct_item_at(sr, i) - rows[i]) > 1e-4 || fabs(ct_item_at(tr, i) - rows[i]) > 1e-4;
    for (int64_t j = 0; j < C && !bad; j++)
        bad = fabs(ct_item_at(sc, j) - cols[j]) > 1e-4 || fabs(ct_item_at(tc, j) - cols[j]) > 1e-4;
    free(rows);
    free(cols);
    CHECK(!bad);
    CHECK_CLOSE(ct_item_at(all, 0), total, 1e-5);
    /* few columns, very many rows: the row-chunked outer path */
    ct_tensor *tall = tt_rand(SHAPE(100000, 3), 2, CT_FLOAT64, -1, 1, 10);
    CHECK_REF(ct_sum_dims(tall, D0, 1, false, -1), tall, D0, 1, false, R_SUM, 0, 0, 1e-10);
    /* a few long rows: the chunked inner path */
    ct_tensor *wide = tt_rand(SHAPE(3, 140000), 2, CT_FLOAT64, -1, 1, 11);
    CHECK_REF(ct_sum_dims(wide, D1, 1, true, -1), wide, D1, 1, true, R_SUM, 0, 0, 1e-10);
    /* a general strided 3-d reduction */
    ct_tensor *g = ct_permute(tt_rand(SHAPE(40, 50, 60), 3, CT_FLOAT64, -1, 1, 12),
                              (const int[]){2, 0, 1}, 3);
    CHECK_REF(ct_sum_dims(g, D02, 2, false, -1), g, D02, 2, false, R_SUM, 0, 0, 1e-10);
    CHECK_REF(ct_sum_dims(g, D1, 1, false, -1), g, D1, 1, false, R_SUM, 0, 0, 1e-10);
}

TEST(sum, result_does_not_depend_on_the_thread_count) {
    ct_tensor *x = tt_rand(SHAPE(1 << 20), 1, CT_FLOAT32, -1, 1, 13);
    ct_tensor *m = tt_rand(SHAPE(200000, 4), 2, CT_FLOAT32, -1, 1, 14);
    int nt = ct_get_num_threads();
    ct_set_num_threads(1);
    double a1 = ct_item_at(ct_sum(x), 0);
    ct_tensor *c1 = ct_sum_dims(m, D0, 1, false, -1);
    ct_set_num_threads(4);
    double a4 = ct_item_at(ct_sum(x), 0);
    ct_tensor *c4 = ct_sum_dims(m, D0, 1, false, -1);
    ct_set_num_threads(nt);
    CHECK(a1 == a4);
    for (int j = 0; j < 4; j++) CHECK(ct_item_at(c1, j) == ct_item_at(c4, j));
}

TEST(sum, rejects_bad_dims_and_dtypes) {
    ct_tensor *x = cube(CT_FLOAT32, 1);
    CHECK_ERR(ct_sum_dims(x, (const int[]){3}, 1, false, -1), "Dimension out of range");
    CHECK_ERR(ct_sum_dims(x, (const int[]){-4}, 1, false, -1), "Dimension out of range");
    CHECK_ERR(ct_sum_dims(x, (const int[]){0, -3}, 2, false, -1),
              "dim 0 appears multiple times in the list of dims");
    CHECK_ERR(ct_sum_dims(x, NULL, 0, false, 99), "invalid dtype");
    CHECK_ERR(ct_sum_dims(ct_scalar_tensor(1, CT_FLOAT32), (const int[]){1}, 1, false, -1),
              "Dimension out of range");
}

TEST(sum, reduced_dims_that_do_not_merge_in_both_walks) {
    /* inner walk over two reduced dims that cannot coalesce, chunked */
    ct_tensor *a = tt_rand(SHAPE(300, 4, 500), 3, CT_FLOAT64, -1, 1, 15);
    CHECK_REF(ct_sum_dims(a, D02, 2, false, -1), a, D02, 2, false, R_SUM, 0, 0, 1e-10);
    /* outer walk (kept inner dim contiguous) over rows that are not evenly spaced */
    ct_tensor *b = ct_slice(tt_rand(SHAPE(400, 70, 40), 3, CT_FLOAT32, -1, 1, 16), 0, 0, 400, 2);
    static const int D01[] = {0, 1};
    CHECK_REF(ct_sum_dims(b, D01, 2, false, -1), b, D01, 2, false, R_SUM, 0, 0, 1e-5);
    ct_tensor *c = ct_slice(tt_rand(SHAPE(60, 70, 40), 3, CT_FLOAT64, -1, 1, 17), 0, 0, 60, 2);
    CHECK_REF(ct_amax(c, D01, 2, true), c, D01, 2, true, R_MAX, 0, 0, 0);
    CHECK_REF(ct_sum_dims(c, D01, 2, true, -1), c, D01, 2, true, R_SUM, 0, 0, 1e-10);
    /* many outputs that each fold a few elements take the outer walk */
    ct_tensor *d = tt_rand(SHAPE(5000, 3), 2, CT_INT32, -100, 100, 18);
    CHECK_REF(ct_sum_dims(d, D1, 1, false, -1), d, D1, 1, false, R_SUM, 0, 0, 0);
    int one = 1;
    CHECK_REF(ct_argmax(d, &one, false), d, &one, 1, false, R_ARGMAX, 0, 0, 0);
    CHECK_REF(ct_prod_dim(d, 1, false, -1), d, &one, 1, false, R_PROD, 0, 0, 0);
}

TEST(sum, float32_column_sums_over_tiles_and_row_groups_with_remainders) {
    /* colsum_f32 folds 16 rows in float per column before adding in double,
     * over tiles of 2048 columns: 2500 columns cross a tile, 500 rows split
     * into chunks of 104 rows leave groups of 8 and 2 rows; the odd shapes
     * leave rows outside the four-row passes */
    ct_tensor *a = tt_rand(SHAPE(500, 2500), 2, CT_FLOAT32, -1, 1, 19);
    CHECK_REF(ct_sum_dims(a, D0, 1, false, -1), a, D0, 1, false, R_SUM, 0, 0, 1e-4);
    ct_tensor *b = tt_rand(SHAPE(19, 37), 2, CT_FLOAT32, -1, 1, 20);
    CHECK_REF(ct_sum_dims(b, D0, 1, false, -1), b, D0, 1, false, R_SUM, 0, 0, 1e-5);
    ct_tensor *c = tt_rand(SHAPE(3, 4099, 5), 3, CT_FLOAT32, -1, 1, 21);
    CHECK_REF(ct_sum_dims(c, D1, 1, false, -1), c, D1, 1, false, R_SUM, 0, 0, 1e-4);
}
