/* mean, prod, extremes, statistics, norms, logical reductions: against
 * reference loops in double precision written here, and literal results
 * printed by PyTorch 1.13 where noted. */
#include "harness.h"

#include <stdlib.h>

/* Reference of one reduction along a single dim d of a contiguous-order walk:
 * kind 0 sum, 1 prod, 2 max, 3 min, 4 argmax, 5 argmin, 6 var(corr), 7 lse,
 * 8 count nonzero, 9 p-norm. dims NULL = all (flattened). */
static double *ref1(const ct_tensor *x, const int *dims, int ndims, int kind, double p,
                    double corr, int64_t *nout_out) {
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
    /* gather each output's values in reduction order */
    double *vals = malloc(sizeof(double) * (size_t)(x->numel ? x->numel : 1));
    int64_t *fill = calloc((size_t)(nout ? nout : 1), sizeof(int64_t));
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t rest = i, o = 0, om = 1;
        for (int d = nd - 1; d >= 0; d--) {
            int64_t id = rest % x->sizes[d];
            rest /= x->sizes[d];
            if (!mask[d]) o += id * om, om *= x->sizes[d];
        }
        vals[o * nred + fill[o]++] = ct_item_at(x, i);
    }
    double *r = malloc(sizeof(double) * (size_t)(nout ? nout : 1));
    for (int64_t o = 0; o < nout; o++) {
        const double *v = vals + o * nred;
        double a = 0, m = 0;
        int64_t bi = 0;
        switch (kind) {
        case 0: for (int64_t k = 0; k < nred; k++) a += v[k]; break;
        case 1: a = 1; for (int64_t k = 0; k < nred; k++) a *= v[k]; break;
        case 2: case 3: case 4: case 5: {
            bool mx = kind == 2 || kind == 4;
            a = v[0];
            for (int64_t k = 1; k < nred; k++)
                if (!isnan(a) && (isnan(v[k]) || (mx ? v[k] > a : v[k] < a))) a = v[k], bi = k;
            if (kind >= 4) a = (double)bi;
            break;
        }
        case 6:
            for (int64_t k = 0; k < nred; k++) m += v[k];
            m /= (double)nred;
            for (int64_t k = 0; k < nred; k++) a += (v[k] - m) * (v[k] - m);
            a /= (double)nred - corr;
            break;
        case 7:
            m = -INFINITY;
            for (int64_t k = 0; k < nred; k++) m = v[k] > m ? v[k] : m;
            if (isinf(m)) m = 0;
            for (int64_t k = 0; k < nred; k++) a += exp(v[k] - m);
            a = log(a) + m;
            break;
        case 8: for (int64_t k = 0; k < nred; k++) a += v[k] != 0; break;
        case 9:
            if (isinf(p)) {
                a = fabs(v[0]);
                for (int64_t k = 1; k < nred; k++)
                    a = isnan(a) || isnan(v[k]) ? NAN : p > 0 ? fmax(a, fabs(v[k])) : fmin(a, fabs(v[k]));
            } else if (p == 0) {
                for (int64_t k = 0; k < nred; k++) a += v[k] != 0;
            } else {
                for (int64_t k = 0; k < nred; k++) a += pow(fabs(v[k]), p);
                a = pow(a, 1 / p);
            }
            break;
        }
        r[o] = a;
    }
    free(vals);
    free(fill);
    *nout_out = nout;
    return r;
}

static int rshape(const ct_tensor *x, const int *dims, int ndims, bool keepdim, int64_t *shape) {
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

#define CHECK_R(out, x, dims, ndims, keepdim, kind, p, corr, tol)                          \
    do {                                                                                   \
        int64_t shp_[CT_MAX_DIMS], nout_;                                                  \
        int nd_ = rshape((x), (dims), (ndims), (keepdim), shp_);                           \
        double *ref_ = ref1((x), (dims), (ndims), (kind), (p), (corr), &nout_);            \
        int bad_ = tt_expect(__FILE__, __LINE__, (out), shp_, nd_, ref_, (tol));           \
        free(ref_);                                                                        \
        if (bad_) return;                                                                  \
    } while (0)

static const int D0[] = {0}, D1[] = {1}, D2[] = {2}, DM1[] = {-1}, D02[] = {0, 2},
                 D01[] = {0, 1};

static ct_tensor *cube(ct_dtype dt, unsigned seed) {
    return tt_rand(SHAPE(4, 5, 6), 3, dt, -2, 2, seed);
}
/* The same values seen through a transposed, stepped view: [3, 5, 4]. */
static ct_tensor *odd_view(ct_dtype dt, unsigned seed) {
    ct_tensor *big = tt_rand(SHAPE(4, 5, 6), 3, dt, -2, 2, seed);
    return ct_slice(ct_transpose(big, 0, 2), 0, 0, 6, 2);
}

/* ------------------------------------------------------------------ mean */
TEST(mean, matches_reference_over_dims_and_views) {
    ct_tensor *x = cube(CT_FLOAT32, 1), *v = odd_view(CT_FLOAT64, 2);
    CHECK_TENSOR(ct_mean(ct_from_data((float[]){1, 2, 3, 4}, SHAPE(4), 1, CT_FLOAT32)), SHAPE(0),
                 0, VALS(2.5), 0);
    ct_tensor *m = ct_mean_dims(x, D02, 2, true, -1);
    int64_t no;
    double *s = ref1(x, D02, 2, 0, 0, 0, &no);
    for (int64_t i = 0; i < no; i++) s[i] /= 24;
    CHECK_TENSOR(m, SHAPE(1, 5, 1), 3, s, 1e-6);
    free(s);
    ct_tensor *mv = ct_mean_dims(v, DM1, 1, false, -1);
    s = ref1(v, DM1, 1, 0, 0, 0, &no);
    for (int64_t i = 0; i < no; i++) s[i] /= 4;
    CHECK_TENSOR(mv, SHAPE(3, 5), 2, s, 1e-12);
    free(s);
}

TEST(mean, integer_input_needs_a_float_dtype_and_empty_gives_nan) {
    ct_tensor *i = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    CHECK_ERR(ct_mean(i), "mean(): could not infer output dtype");
    ct_tensor *m = ct_mean_dims(i, NULL, 0, false, CT_FLOAT32);
    CHECK(m->dtype == CT_FLOAT32 && ct_item_at(m, 0) == 1.5);
    CHECK_ERR(ct_mean_dims(ct_empty(SHAPE(0), 1, CT_FLOAT32), NULL, 0, false, CT_INT64),
              "could not infer output dtype");
    ct_tensor *e = ct_mean(ct_empty(SHAPE(0), 1, CT_FLOAT32));
    CHECK(isnan(ct_item_at(e, 0)));
    CHECK_TENSOR(ct_mean_dims(ct_empty(SHAPE(2, 0), 2, CT_FLOAT64), D1, 1, false, -1), SHAPE(2),
                 1, VALS(NAN, NAN), 0);
    ct_tensor *h = ct_mean(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT16));
    CHECK(h->dtype == CT_FLOAT16 && ct_item_at(h, 0) == 1.5);
}

/* ------------------------------------------------------------------ prod */
TEST(prod, full_and_one_dim_with_integer_promotion_and_empty) {
    ct_tensor *x = tt_rand(SHAPE(4, 5, 6), 3, CT_FLOAT64, 0.5, 1.5, 3);
    CHECK_R(ct_prod(x), x, NULL, 0, false, 1, 0, 0, 1e-12);
    CHECK_R(ct_prod_dim(x, 1, true, -1), x, D1, 1, true, 1, 0, 0, 1e-12);
    ct_tensor *v = odd_view(CT_FLOAT64, 4);
    CHECK_R(ct_prod_dim(v, -1, false, -1), v, DM1, 1, false, 1, 0, 0, 1e-12);
    CHECK_R(ct_prod_dim(v, 0, false, -1), v, D0, 1, false, 1, 0, 0, 1e-12);
    ct_tensor *i = tt_tensor(VALS(1, 2, 3, -4), SHAPE(2, 2), 2, CT_INT32);
    ct_tensor *pi = ct_prod(i);
    CHECK(pi->dtype == CT_INT64 && ct_item_at(pi, 0) == -24);
    ct_tensor *b = ct_prod(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL));
    CHECK(b->dtype == CT_INT64 && ct_item_at(b, 0) == 0);
    CHECK_TENSOR(ct_prod(ct_empty(SHAPE(0), 1, CT_FLOAT32)), SHAPE(0), 0, VALS(1), 0);
    CHECK_TENSOR(ct_prod_dim(ct_empty(SHAPE(2, 0), 2, CT_INT64), 1, false, -1), SHAPE(2), 1,
                 VALS(1, 1), 0);
    CHECK_ERR(ct_prod_dim(x, 3, false, -1), "Dimension out of range");
}

/* ------------------------------------------------------------------ max, min */
TEST(max, full_reduction_propagates_nan_and_rejects_empty) {
    ct_tensor *x = cube(CT_FLOAT32, 5);
    CHECK_R(ct_max(x), x, NULL, 0, false, 2, 0, 0, 0);
    ct_tensor *n = tt_tensor(VALS(1, NAN, 3), SHAPE(3), 1, CT_FLOAT32);
    CHECK(isnan(ct_item_at(ct_max(n), 0)));
    ct_tensor *i = tt_tensor(VALS(-5, 7, 2), SHAPE(3), 1, CT_INT8);
    ct_tensor *mi = ct_max(i);
    CHECK(mi->dtype == CT_INT8 && ct_item_at(mi, 0) == 7);
    ct_tensor *b = ct_max(tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_BOOL));
    CHECK(b->dtype == CT_BOOL && ct_item_at(b, 0) == 1);
    CHECK_ERR(ct_max(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32)),
              "max(): Expected reduction dim to be specified for input.numel() == 0");
}

TEST(max, with_dim_gives_values_and_first_indices) {
    /* PyTorch: torch.max(tensor([[1., 3., 3., nan, nan]]), 1) -> (nan, 3) */
    ct_tensor *x = tt_tensor(VALS(1, 3, 3, NAN, NAN, 2, 5, 5, 1, 0), SHAPE(2, 5), 2, CT_FLOAT32);
    ct_tensor *idx = NULL;
    ct_tensor *v = ct_max_dim(x, 1, false, &idx);
    CHECK_TENSOR(v, SHAPE(2), 1, VALS(NAN, 5), 0);
    CHECK_TENSOR(idx, SHAPE(2), 1, VALS(3, 1), 0);
    CHECK(idx->dtype == CT_INT64);
    ct_tensor *c = cube(CT_FLOAT64, 6);
    for (int d = -3; d < 3; d++) {
        int dd = d;
        v = ct_max_dim(c, d, true, &idx);
        CHECK_R(v, c, &dd, 1, true, 2, 0, 0, 0);
        CHECK_R(idx, c, &dd, 1, true, 4, 0, 0, 0);
    }
    ct_tensor *ov = odd_view(CT_FLOAT32, 7);
    v = ct_max_dim(ov, 2, false, &idx);
    CHECK_R(v, ov, D2, 1, false, 2, 0, 0, 0);
    CHECK_R(idx, ov, D2, 1, false, 4, 0, 0, 0);
    ct_tensor *z = ct_scalar_tensor(5, CT_FLOAT32);
    v = ct_max_dim(z, 0, false, &idx);
    CHECK_TENSOR(v, SHAPE(0), 0, VALS(5), 0);
    CHECK_TENSOR(idx, SHAPE(0), 0, VALS(0), 0);
    CHECK_ERR(ct_max_dim(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 1, false, &idx),
              "max(): Expected reduction dim 1 to have non-zero size");
    CHECK_OK(ct_max_dim(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), 0, false, NULL));
    CHECK_ERR(ct_max_dim(c, 3, false, &idx), "Dimension out of range");
}

TEST(max, large_inputs_in_both_layouts) {
    ct_tensor *x = tt_rand(SHAPE(400, 300), 2, CT_FLOAT32, -100, 100, 8);
    ct_tensor *idx;
    for (int d = 0; d < 2; d++) {
        ct_tensor *v = ct_max_dim(x, d, false, &idx);
        CHECK_R(v, x, ((const int[]){d}), 1, false, 2, 0, 0, 0);
        CHECK_R(idx, x, ((const int[]){d}), 1, false, 4, 0, 0, 0);
    }
    ct_tensor *tall = tt_rand(SHAPE(100000, 2), 2, CT_INT32, -1000000, 1000000, 9);
    ct_tensor *v = ct_max_dim(tall, 0, false, &idx);
    CHECK_R(v, tall, D0, 1, false, 2, 0, 0, 0);
    CHECK_R(idx, tall, D0, 1, false, 4, 0, 0, 0);
    ct_tensor *wide = tt_rand(SHAPE(2, 150000), 2, CT_FLOAT64, -1, 1, 10);
    ((double *)ct_data_ptr(wide))[150000 + 123456] = NAN;
    v = ct_min_dim(wide, 1, true, &idx);
    CHECK_R(v, wide, D1, 1, true, 3, 0, 0, 0);
    CHECK_R(idx, wide, D1, 1, true, 5, 0, 0, 0);
    CHECK(ct_item_at(idx, 1) == 123456);
    CHECK_R(ct_max(wide), wide, NULL, 0, false, 2, 0, 0, 0);
}

TEST(min, full_and_dim_with_ties_and_nan) {
    ct_tensor *x = tt_tensor(VALS(2, 0, 0, 1, 7, NAN, 4, NAN), SHAPE(2, 4), 2, CT_FLOAT64);
    ct_tensor *idx;
    ct_tensor *v = ct_min_dim(x, -1, false, &idx);
    CHECK_TENSOR(v, SHAPE(2), 1, VALS(0, NAN), 0);
    CHECK_TENSOR(idx, SHAPE(2), 1, VALS(1, 1), 0);
    CHECK(isnan(ct_item_at(ct_min(x), 0)));
    ct_tensor *c = cube(CT_INT16, 11);
    CHECK_R(ct_min(c), c, NULL, 0, false, 3, 0, 0, 0);
    CHECK(ct_min(c)->dtype == CT_INT16);
    CHECK_ERR(ct_min(ct_empty(SHAPE(0), 1, CT_INT32)), "min(): Expected reduction dim");
}

TEST(amax, over_several_dims_with_keepdim_and_views) {
    ct_tensor *x = cube(CT_FLOAT32, 12), *v = odd_view(CT_FLOAT64, 13);
    CHECK_R(ct_amax(x, D02, 2, true), x, D02, 2, true, 2, 0, 0, 0);
    CHECK_R(ct_amax(x, NULL, 0, false), x, NULL, 0, false, 2, 0, 0, 0);
    CHECK_R(ct_amax(v, D01, 2, false), v, D01, 2, false, 2, 0, 0, 0);
    CHECK_R(ct_amax(v, DM1, 1, false), v, DM1, 1, false, 2, 0, 0, 0);
    ct_tensor *i = tt_tensor(VALS(3, -9, 4, 4), SHAPE(2, 2), 2, CT_INT64);
    CHECK_TENSOR(ct_amax(i, D0, 1, false), SHAPE(2), 1, VALS(4, 4), 0);
    CHECK_ERR(ct_amax(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), D1, 1, false),
              "amax(): Expected reduction dim 1 to have non-zero size");
    CHECK_ERR(ct_amax(ct_empty(SHAPE(0), 1, CT_FLOAT32), NULL, 0, false),
              "amax(): Expected reduction dim to be specified");
    CHECK_TENSOR(ct_amax(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), D0, 1, false), SHAPE(0), 1,
                 VALS(0), 0);
    CHECK_ERR(ct_amax(x, ((const int[]){1, 1}), 2, false), "appears multiple times");
}

TEST(amin, over_several_dims_with_nan) {
    ct_tensor *x = cube(CT_FLOAT64, 14);
    ((double *)ct_data_ptr(x))[37] = NAN;
    CHECK_R(ct_amin(x, D02, 2, false), x, D02, 2, false, 3, 0, 0, 0);
    CHECK_R(ct_amin(x, D1, 1, true), x, D1, 1, true, 3, 0, 0, 0);
    ct_tensor *big = tt_rand(SHAPE(50, 40, 60), 3, CT_FLOAT32, -1, 1, 15);
    CHECK_R(ct_amin(big, D02, 2, false), big, D02, 2, false, 3, 0, 0, 0);
    CHECK_ERR(ct_amin(ct_empty(SHAPE(0), 1, CT_FLOAT32), D0, 1, false),
              "amin(): Expected reduction dim 0 to have non-zero size");
}

TEST(aminmax, gives_both_extremes_and_rejects_empty) {
    ct_tensor *x = cube(CT_FLOAT32, 16), *mx = NULL;
    ct_tensor *mn = ct_aminmax(x, NULL, false, &mx);
    CHECK_R(mn, x, NULL, 0, false, 3, 0, 0, 0);
    CHECK_R(mx, x, NULL, 0, false, 2, 0, 0, 0);
    int d = 1;
    mn = ct_aminmax(x, &d, true, &mx);
    CHECK_R(mn, x, D1, 1, true, 3, 0, 0, 0);
    CHECK_R(mx, x, D1, 1, true, 2, 0, 0, 0);
    CHECK_ERR(ct_aminmax(ct_empty(SHAPE(0), 1, CT_FLOAT32), NULL, false, &mx),
              "aminmax(): cannot compute aminmax over an empty dimension");
}

TEST(argmax, flattened_and_along_a_dim_first_occurrence) {
    ct_tensor *x = tt_tensor(VALS(1, 9, 9, 3, 0, 9), SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_argmax(x, NULL, false), SHAPE(0), 0, VALS(1), 0);
    /* PyTorch: zeros(2,3).argmax(keepdim=True) has shape [1, 1] */
    CHECK_TENSOR(ct_argmax(x, NULL, true), SHAPE(1, 1), 2, VALS(1), 0);
    /* flattened order is the logical order of a transposed view: [[1,3],[9,0],[9,9]] */
    CHECK_TENSOR(ct_argmax(ct_t(x), NULL, false), SHAPE(0), 0, VALS(2), 0);
    int d = 0;
    CHECK_TENSOR(ct_argmax(x, &d, true), SHAPE(1, 3), 2, VALS(1, 0, 0), 0);
    ct_tensor *n = tt_tensor(VALS(1, NAN, 5, NAN), SHAPE(4), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_argmax(n, NULL, false), SHAPE(0), 0, VALS(1), 0);
    ct_tensor *c = odd_view(CT_INT32, 17);
    for (int k = 0; k < 3; k++) CHECK_R(ct_argmax(c, &k, false), c, &k, 1, false, 4, 0, 0, 0);
    CHECK_ERR(ct_argmax(ct_empty(SHAPE(0), 1, CT_FLOAT32), NULL, false),
              "argmax(): Expected reduction dim to be specified for input.numel() == 0");
    d = 1;
    CHECK_ERR(ct_argmax(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), &d, false),
              "argmax(): Expected reduction dim 1 to have non-zero size");
}

TEST(argmin, along_dims_and_large) {
    /* PyTorch: argmin(tensor([[1., 0., 0., nan, nan]]), 1) == 3 */
    ct_tensor *x = tt_tensor(VALS(1, 0, 0, NAN, NAN), SHAPE(1, 5), 2, CT_FLOAT32);
    int d = 1;
    CHECK_TENSOR(ct_argmin(x, &d, false), SHAPE(1), 1, VALS(3), 0);
    ct_tensor *big = tt_rand(SHAPE(300, 400), 2, CT_FLOAT32, -1, 1, 18);
    for (d = 0; d < 2; d++) CHECK_R(ct_argmin(big, &d, false), big, &d, 1, false, 5, 0, 0, 0);
    CHECK_R(ct_argmin(big, NULL, false), big, NULL, 0, false, 5, 0, 0, 0);
    CHECK_TENSOR(ct_argmin(tt_tensor(VALS(1, 0, 1), SHAPE(3), 1, CT_BOOL), NULL, false), SHAPE(0),
                 0, VALS(1), 0);
}

/* ------------------------------------------------------------------ var, std */
TEST(var, matches_two_pass_reference_with_corrections) {
    ct_tensor *x = cube(CT_FLOAT64, 19), *v = odd_view(CT_FLOAT32, 20);
    CHECK_R(ct_var(x, NULL, 0, 1, false), x, NULL, 0, false, 6, 0, 1, 1e-12);
    CHECK_R(ct_var(x, D02, 2, 0, true), x, D02, 2, true, 6, 0, 0, 1e-12);
    CHECK_R(ct_var(x, DM1, 1, 2, false), x, DM1, 1, false, 6, 0, 2, 1e-12);
    CHECK_R(ct_var(v, D1, 1, 1, false), v, D1, 1, false, 6, 0, 1, 1e-5);
    CHECK_R(ct_var(v, D02, 2, 1, false), v, D02, 2, false, 6, 0, 1, 1e-5);
    /* PyTorch: tensor([1.]).var() is nan; zeros(2,3).var(1, correction=5) is nan */
    CHECK(isnan(ct_item_at(ct_var(tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT32), NULL, 0, 1, false), 0)));
    CHECK_TENSOR(ct_var(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), D1, 1, 1, false), SHAPE(2), 1,
                 VALS(NAN, NAN), 0);
    CHECK_ERR(ct_var(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), NULL, 0, 1, false),
              "std and var only support floating point");
}

TEST(var, stable_for_a_large_mean_in_float32) {
    /* values 1e4 + u, u in [0,1): a one-pass sum-of-squares in float would lose it all */
    ct_tensor *x = tt_rand(SHAPE(1000, 200), 2, CT_FLOAT32, 0, 1, 21);
    float *p = ct_data_ptr(x);
    for (int i = 0; i < 200000; i++) p[i] += 10000.0f;
    CHECK_R(ct_var(x, D0, 1, 1, false), x, D0, 1, false, 6, 0, 1, 1e-3);
    CHECK_R(ct_var(x, D1, 1, 1, false), x, D1, 1, false, 6, 0, 1, 1e-3);
    CHECK_R(ct_var(x, NULL, 0, 1, false), x, NULL, 0, false, 6, 0, 1, 1e-3);
}

TEST(std, is_the_root_of_var) {
    ct_tensor *x = cube(CT_FLOAT64, 22);
    int64_t no;
    double *r = ref1(x, D1, 1, 6, 0, 1, &no);
    for (int64_t i = 0; i < no; i++) r[i] = sqrt(r[i]);
    CHECK_TENSOR(ct_std(x, D1, 1, 1, false), SHAPE(4, 6), 2, r, 1e-12);
    free(r);
    CHECK_ERR(ct_std(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT32), NULL, 0, 1, false),
              "std and var only support");
    CHECK_ERR(ct_std(x, ((const int[]){5}), 1, 1, false), "Dimension out of range");
}

TEST(var_mean, returns_both) {
    ct_tensor *x = cube(CT_FLOAT32, 23), *m = NULL;
    ct_tensor *v = ct_var_mean(x, D02, 2, 1, false, &m);
    CHECK_R(v, x, D02, 2, false, 6, 0, 1, 1e-5);
    int64_t no;
    double *r = ref1(x, D02, 2, 0, 0, 0, &no);
    for (int64_t i = 0; i < no; i++) r[i] /= 24;
    CHECK_TENSOR(m, SHAPE(5), 1, r, 1e-5);
    free(r);
}

TEST(std_mean, returns_both) {
    ct_tensor *x = cube(CT_FLOAT64, 24), *m = NULL;
    ct_tensor *s = ct_std_mean(x, NULL, 0, 0, true, &m);
    int64_t no;
    double *r = ref1(x, NULL, 0, 6, 0, 0, &no);
    r[0] = sqrt(r[0]);
    CHECK_TENSOR(s, SHAPE(1, 1, 1), 3, r, 1e-12);
    free(r);
    r = ref1(x, NULL, 0, 0, 0, 0, &no);
    r[0] /= 120;
    CHECK_TENSOR(m, SHAPE(1, 1, 1), 3, r, 1e-12);
    free(r);
}

/* ------------------------------------------------------------------ norm */
TEST(norm, every_p_over_dims) {
    ct_tensor *x = cube(CT_FLOAT64, 25), *v = odd_view(CT_FLOAT32, 26);
    ((double *)ct_data_ptr(x))[5] = 0;
    double ps[] = {1, 2, 3, 0.5, -1.5, 0, INFINITY, -INFINITY};
    for (int i = 0; i < 8; i++) {
        CHECK_R(ct_norm(x, ps[i], NULL, 0, false), x, NULL, 0, false, 9, ps[i], 0, 1e-12);
        CHECK_R(ct_norm(x, ps[i], D02, 2, true), x, D02, 2, true, 9, ps[i], 0, 1e-12);
        CHECK_R(ct_norm(v, ps[i], D1, 1, false), v, D1, 1, false, 9, ps[i], 0, 1e-5);
    }
    CHECK_R(ct_norm_fro(x, D01, 2, false), x, D01, 2, false, 9, 2, 0, 1e-12);
    /* PyTorch: tensor([2., -3]).norm(p=-1.5) = 1.4969 */
    CHECK_TENSOR(ct_norm(tt_tensor(VALS(2, -3), SHAPE(2), 1, CT_FLOAT32), -1.5, NULL, 0, false),
                 SHAPE(0), 0, VALS(1.4969), 1e-4);
    CHECK_TENSOR(ct_norm(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), INFINITY, D1, 1, false), SHAPE(2),
                 1, VALS(0, 0), 0);
    CHECK_ERR(ct_norm(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64), 2, NULL, 0, false),
              "norm(): input dtype should be either floating point");
    ct_tensor *big = tt_rand(SHAPE(300, 500), 2, CT_FLOAT32, -1, 1, 27);
    CHECK_R(ct_norm(big, 2, D0, 1, false), big, D0, 1, false, 9, 2, 0, 1e-5);
    CHECK_R(ct_norm(big, 2, NULL, 0, false), big, NULL, 0, false, 9, 2, 0, 1e-5);
}

/* ------------------------------------------------------------------ logsumexp */
TEST(logsumexp, stable_for_large_values_and_infinities) {
    ct_tensor *x = cube(CT_FLOAT64, 28);
    CHECK_R(ct_logsumexp(x, D1, 1, false), x, D1, 1, false, 7, 0, 0, 1e-12);
    CHECK_R(ct_logsumexp(x, D02, 2, true), x, D02, 2, true, 7, 0, 0, 1e-12);
    ct_tensor *v = odd_view(CT_FLOAT32, 29);
    CHECK_R(ct_logsumexp(v, NULL, 0, false), v, NULL, 0, false, 7, 0, 0, 1e-6);
    ct_tensor *big = tt_tensor(VALS(1000, 1000, -INFINITY, -INFINITY), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK_TENSOR(ct_logsumexp(big, D1, 1, false), SHAPE(2), 1, VALS(1000 + log(2.0), -INFINITY),
                 1e-6);
    ct_tensor *pinf = tt_tensor(VALS(INFINITY, 1), SHAPE(2), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_logsumexp(pinf, NULL, 0, false), SHAPE(0), 0, VALS(INFINITY), 0);
    /* PyTorch: tensor([True, False]).logsumexp(0) = 1.3133 (float32) */
    ct_tensor *b = ct_logsumexp(tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL), D0, 1, false);
    CHECK(b->dtype == CT_FLOAT32);
    CHECK_TENSOR(b, SHAPE(0), 0, VALS(1.3133), 1e-4);
    CHECK_TENSOR(ct_logsumexp(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), D1, 1, false), SHAPE(2), 1,
                 VALS(-INFINITY, -INFINITY), 0);
    CHECK_ERR(ct_logsumexp(x, ((const int[]){-4}), 1, false), "Dimension out of range");
}

/* ------------------------------------------------------------------ all, any, count_nonzero */
TEST(all, any_dtype_gives_bool_or_uint8) {
    ct_tensor *f = tt_tensor(VALS(1, 0.5, NAN, 2, 0, 3), SHAPE(2, 3), 2, CT_FLOAT32);
    ct_tensor *a = ct_all(f);
    CHECK(a->dtype == CT_BOOL && ct_item_at(a, 0) == 0);
    CHECK_TENSOR(ct_all_dims(f, D1, 1, false), SHAPE(2), 1, VALS(1, 0), 0);
    CHECK_TENSOR(ct_all_dims(f, D0, 1, true), SHAPE(1, 3), 2, VALS(1, 0, 1), 0);
    /* PyTorch: tensor([1, 2], dtype=uint8).all() is tensor(1, dtype=uint8) */
    ct_tensor *u = ct_all(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_UINT8));
    CHECK(u->dtype == CT_UINT8 && ct_item_at(u, 0) == 1);
    CHECK_TENSOR(ct_all_dims(ct_empty(SHAPE(2, 0), 2, CT_INT32), D1, 1, false), SHAPE(2), 1,
                 VALS(1, 1), 0);
    ct_tensor *big = ct_t(tt_rand(SHAPE(400, 300), 2, CT_INT64, 1, 5, 30));
    CHECK(ct_item_at(ct_all(big), 0) == 1);
    ((int64_t *)big->storage->data)[77777] = 0;
    CHECK(ct_item_at(ct_all(big), 0) == 0);
}

TEST(any, over_dims_and_empty) {
    ct_tensor *b = tt_tensor(VALS(0, 0, 1, 0), SHAPE(2, 2), 2, CT_BOOL);
    CHECK_TENSOR(ct_any_dims(b, D1, 1, false), SHAPE(2), 1, VALS(0, 1), 0);
    CHECK(ct_any(b)->dtype == CT_BOOL && ct_item_at(ct_any(b), 0) == 1);
    CHECK_TENSOR(ct_any(ct_empty(SHAPE(0), 1, CT_FLOAT32)), SHAPE(0), 0, VALS(0), 0);
    ct_tensor *h = tt_tensor(VALS(0, 0.5), SHAPE(2), 1, CT_FLOAT16);
    CHECK(ct_item_at(ct_any(h), 0) == 1);
    CHECK_ERR(ct_any_dims(b, ((const int[]){2}), 1, false), "Dimension out of range");
}

TEST(count_nonzero, counts_nan_and_reduces_dims) {
    ct_tensor *x = cube(CT_INT8, 31);
    ct_tensor *c = ct_count_nonzero(x, D02, 2);
    CHECK(c->dtype == CT_INT64);
    CHECK_R(c, x, D02, 2, false, 8, 0, 0, 0);
    CHECK_R(ct_count_nonzero(x, NULL, 0), x, NULL, 0, false, 8, 0, 0, 0);
    ct_tensor *n = tt_tensor(VALS(NAN, 0, -0.0, 1), SHAPE(4), 1, CT_FLOAT64);
    CHECK_TENSOR(ct_count_nonzero(n, NULL, 0), SHAPE(0), 0, VALS(2), 0);
    CHECK_TENSOR(ct_count_nonzero(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), D1, 1), SHAPE(2), 1,
                 VALS(0, 0), 0);
}

TEST(amax, long_runs_find_nan_and_extremes_anywhere) {
    ct_tensor *x = tt_rand(SHAPE(1000), 1, CT_FLOAT32, -5, 5, 32);
    float *p = ct_data_ptr(x);
    p[700] = -9; /* largest magnitude, negative */
    p[333] = 8;
    CHECK_TENSOR(ct_amax(x, NULL, 0, false), SHAPE(0), 0, VALS(8), 0);
    CHECK_TENSOR(ct_amin(x, NULL, 0, false), SHAPE(0), 0, VALS(-9), 0);
    CHECK_TENSOR(ct_argmax(x, NULL, false), SHAPE(0), 0, VALS(333), 0);
    CHECK_TENSOR(ct_argmin(x, NULL, false), SHAPE(0), 0, VALS(700), 0);
    CHECK_TENSOR(ct_norm(x, INFINITY, NULL, 0, false), SHAPE(0), 0, VALS(9), 0);
    p[517] = NAN;
    p[901] = NAN;
    CHECK(isnan(ct_item_at(ct_amax(x, NULL, 0, false), 0)));
    CHECK(isnan(ct_item_at(ct_amin(x, NULL, 0, false), 0)));
    /* PyTorch: tensor([1., nan, 3.]).norm(p=-inf) is nan */
    CHECK(isnan(ct_item_at(ct_norm(x, -INFINITY, NULL, 0, false), 0)));
    CHECK_TENSOR(ct_argmax(x, NULL, false), SHAPE(0), 0, VALS(517), 0);
    CHECK_TENSOR(ct_argmin(x, NULL, false), SHAPE(0), 0, VALS(517), 0);
    ct_tensor *d = tt_rand(SHAPE(3, 999), 2, CT_FLOAT64, -5, 5, 33);
    ((double *)ct_data_ptr(d))[999 + 998] = NAN;
    int one = 1;
    CHECK_R(ct_amax(d, &one, 1, false), d, &one, 1, false, 2, 0, 0, 0);
    CHECK_R(ct_argmax(d, &one, false), d, &one, 1, false, 4, 0, 0, 0);
    CHECK_R(ct_argmin(d, &one, false), d, &one, 1, false, 5, 0, 0, 0);
    CHECK_R(ct_norm(d, -INFINITY, &one, 1, false), d, &one, 1, false, 9, -INFINITY, 0, 0);
}

TEST(max, column_reductions_propagate_nan_and_keep_first_indices) {
    ct_tensor *x = tt_rand(SHAPE(50, 40), 2, CT_FLOAT32, -3, 3, 34);
    float *p = ct_data_ptr(x);
    p[10 * 40 + 3] = NAN;
    p[20 * 40 + 3] = NAN;
    p[5 * 40 + 17] = NAN;
    p[0 * 40 + 39] = NAN;
    p[7 * 40 + 8] = 50; /* ties within a column: the first wins */
    p[9 * 40 + 8] = 50;
    ct_tensor *idx;
    for (int kind = 0; kind < 2; kind++) {
        ct_tensor *v = kind ? ct_min_dim(x, 0, false, &idx) : ct_max_dim(x, 0, false, &idx);
        CHECK_R(v, x, D0, 1, false, 2 + kind, 0, 0, 0);
        CHECK_R(idx, x, D0, 1, false, 4 + kind, 0, 0, 0);
    }
    CHECK(ct_item_at(idx, 3) == 10);
    CHECK_R(ct_amax(x, D0, 1, true), x, D0, 1, true, 2, 0, 0, 0);
    CHECK_R(ct_norm(x, INFINITY, D0, 1, false), x, D0, 1, false, 9, INFINITY, 0, 0);
    CHECK_R(ct_norm(x, -INFINITY, D0, 1, false), x, D0, 1, false, 9, -INFINITY, 0, 0);
    ct_tensor *d = ct_to_dtype(x, CT_FLOAT64, false);
    int zero = 0;
    CHECK_R(ct_argmax(d, &zero, false), d, D0, 1, false, 4, 0, 0, 0);
}

TEST(logsumexp, large_inputs_in_every_layout) {
    ct_tensor *x = tt_rand(SHAPE(300, 200), 2, CT_FLOAT64, -30, 30, 35);
    for (int d = 0; d < 2; d++) CHECK_R(ct_logsumexp(x, &d, 1, false), x, &d, 1, false, 7, 0, 0, 1e-12);
    CHECK_R(ct_logsumexp(ct_t(x), D1, 1, true), ct_t(x), D1, 1, true, 7, 0, 0, 1e-12);
    ct_tensor *tall = tt_rand(SHAPE(100000, 3), 2, CT_FLOAT32, -5, 5, 36);
    CHECK_R(ct_logsumexp(tall, D0, 1, false), tall, D0, 1, false, 7, 0, 0, 1e-6);
    ct_tensor *wide = tt_rand(SHAPE(3, 140000), 2, CT_FLOAT32, -5, 5, 37);
    CHECK_R(ct_logsumexp(wide, D1, 1, false), wide, D1, 1, false, 7, 0, 0, 1e-6);
}

TEST(var, large_inputs_in_every_layout) {
    ct_tensor *tall = tt_rand(SHAPE(100000, 3), 2, CT_FLOAT64, 100, 101, 38);
    CHECK_R(ct_var(tall, D0, 1, 1, false), tall, D0, 1, false, 6, 0, 1, 1e-9);
    ct_tensor *wide = tt_rand(SHAPE(3, 140000), 2, CT_FLOAT64, 100, 101, 39);
    CHECK_R(ct_var(wide, D1, 1, 0, true), wide, D1, 1, true, 6, 0, 0, 1e-9);
    ct_tensor *g = ct_permute(tt_rand(SHAPE(40, 50, 60), 3, CT_FLOAT32, -1, 1, 40),
                              (const int[]){2, 0, 1}, 3);
    int64_t no;
    double *r = ref1(g, D02, 2, 6, 0, 1, &no);
    for (int64_t i = 0; i < no; i++) r[i] = sqrt(r[i]);
    int bad = tt_expect(__FILE__, __LINE__, ct_std(g, D02, 2, 1, false), SHAPE(40), 1, r, 1e-5);
    free(r);
    CHECK(bad == 0);
}

TEST(prod, dtype_argument_and_half_precision_inputs) {
    ct_tensor *i = tt_tensor(VALS(3, 4, 5, 6), SHAPE(2, 2), 2, CT_INT32);
    ct_tensor *pd = ct_prod_dim(i, 0, true, CT_FLOAT64);
    CHECK(pd->dtype == CT_FLOAT64);
    CHECK_TENSOR(pd, SHAPE(1, 2), 2, VALS(15, 24), 0);
    ct_tensor *h = tt_tensor(VALS(1.5, -2, 4, 0.5), SHAPE(4), 1, CT_BFLOAT16);
    ct_tensor *ph = ct_prod(h);
    CHECK(ph->dtype == CT_BFLOAT16 && ct_item_at(ph, 0) == -6);
    ct_tensor *m = ct_mean_dims(tt_tensor(VALS(1, 2, 4), SHAPE(3), 1, CT_FLOAT32), NULL, 0, false,
                                CT_FLOAT64);
    CHECK(m->dtype == CT_FLOAT64);
    CHECK_CLOSE(ct_item_at(m, 0), 7.0 / 3.0, 1e-15);
}

TEST(var, half_precision_inputs_keep_their_dtype) {
    /* PyTorch: tensor([1., 2]).half().var() is 0.5 (float16), .norm() 2.2363 */
    ct_tensor *h = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT16);
    ct_tensor *v = ct_var(h, NULL, 0, 1, false);
    CHECK(v->dtype == CT_FLOAT16 && ct_item_at(v, 0) == 0.5);
    ct_tensor *n = ct_norm(h, 2, NULL, 0, false);
    CHECK(n->dtype == CT_FLOAT16);
    CHECK_CLOSE(ct_item_at(n, 0), 2.2363, 1e-3);
    ct_tensor *x = tt_tensor(VALS(3, -1, 7, 2), SHAPE(2, 2), 2, CT_FLOAT16), *idx;
    CHECK_TENSOR(ct_max_dim(x, 1, false, &idx), SHAPE(2), 1, VALS(3, 7), 0);
    CHECK(ct_max_dim(x, 1, false, &idx)->dtype == CT_FLOAT16);
    CHECK_TENSOR(idx, SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_argmin(x, NULL, false), SHAPE(0), 0, VALS(1), 0);
}

TEST(var, results_do_not_depend_on_the_thread_count) {
    ct_tensor *wide = tt_rand(SHAPE(2, 300000), 2, CT_FLOAT32, -1, 1, 41);
    ct_tensor *tall = tt_rand(SHAPE(300000, 3), 2, CT_FLOAT32, -1, 1, 42);
    int nt = ct_get_num_threads();
    ct_tensor *r[2][4];
    for (int k = 0; k < 2; k++) {
        ct_set_num_threads(k ? 3 : 1);
        ct_tensor *idx;
        r[k][0] = ct_var(wide, D1, 1, 1, false);
        r[k][1] = ct_var(tall, D0, 1, 1, false);
        r[k][2] = ct_max_dim(tall, 0, false, &idx);
        r[k][3] = idx;
    }
    ct_set_num_threads(nt);
    for (int i = 0; i < 4; i++)
        for (int64_t j = 0; j < r[0][i]->numel; j++) CHECK(ct_item_at(r[0][i], j) == ct_item_at(r[1][i], j));
}
