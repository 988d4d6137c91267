/* embedding, embedding_dense_backward and embedding_bag
 * (include/ctorch/nn_embpool.h) against double-precision reference loops
 * written here; errors with PyTorch's wording; gradcheck/gradgradcheck in
 * float64. */
#include "test_autograd.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/nn_embpool.h"

static ct_tensor *ids(const double *v, const int64_t *shape, int nd) { return tt_tensor(v, shape, nd, CT_INT64); }

TEST(embedding, rows_shapes_dtypes_and_layouts) {
    ct_tensor *w = tt_rand(SHAPE(5, 3), 2, CT_FLOAT64, -1, 1, 1);
    double *wv = tt_values(w);
    double iv[] = {0, 4, 2, 2}, ex[12];
    for (int i = 0; i < 4; i++)
        for (int d = 0; d < 3; d++) ex[i * 3 + d] = wv[(int)iv[i] * 3 + d];
    CHECK_TENSOR(ct_embedding_ex(w, ids(iv, SHAPE(2, 2), 2), CT_NO_PADDING_IDX, NAN, 2, false, false),
                 SHAPE(2, 2, 3), 3, ex, 0);
    CHECK_TENSOR(ct_embedding_ex(w, tt_tensor(iv, SHAPE(4), 1, CT_INT32), -1, NAN, 2, false, false), SHAPE(4, 3),
                 2, ex, 0);
    /* transposed weight, strided indices, 0-d and empty indices, an integer weight */
    ct_tensor *wt = ct_transpose(ct_contiguous(ct_transpose(w, 0, 1)), 0, 1);
    ct_tensor *istep = ct_slice(ids(VALS(0, 9, 4, 9, 2, 9, 2, 9), SHAPE(8), 1), 0, 0, 8, 2);
    CHECK_TENSOR(ct_embedding_ex(wt, istep, CT_NO_PADDING_IDX, NAN, 2, false, false), SHAPE(4, 3), 2, ex, 0);
    CHECK_TENSOR(ct_embedding_ex(w, ids(VALS(4), SHAPE(0), 0), CT_NO_PADDING_IDX, NAN, 2, false, false), SHAPE(3),
                 1, ex + 3, 0);
    ct_tensor *e = ct_embedding_ex(w, ct_zeros(SHAPE(0, 2), 2, CT_INT64), 0, NAN, 2, false, false);
    CHECK_OK(e);
    CHECK(e->ndim == 3 && e->sizes[0] == 0 && e->sizes[1] == 2 && e->sizes[2] == 3);
    ct_tensor *wi = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_INT32);
    ct_tensor *ei = ct_embedding_ex(wi, ids(VALS(1, 0), SHAPE(2), 1), CT_NO_PADDING_IDX, NAN, 2, false, false);
    CHECK_OK(ei);
    CHECK(ei->dtype == CT_INT32);
    CHECK_TENSOR(ei, SHAPE(2, 2), 2, VALS(3, 4, 1, 2), 0);
    /* across the threading grain: 20000 rows of 4 */
    int64_t n = 20000;
    double *big = malloc(sizeof(double) * n), *bex = malloc(sizeof(double) * n * 3);
    for (int64_t i = 0; i < n; i++) big[i] = (double)((i * 7) % 5);
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) bex[i * 3 + d] = wv[(int)big[i] * 3 + d];
    ct_tensor *eb = ct_embedding_ex(w, ids(big, SHAPE(n), 1), CT_NO_PADDING_IDX, NAN, 2, false, false);
    int rc = eb ? tt_expect(__FILE__, __LINE__, eb, SHAPE(n, 3), 2, bex, 0) : -1;
    free(big), free(bex), free(wv);
    CHECK(rc == 0);
    /* the 3-argument form of rnn.h */
    CHECK_TENSOR(ct_embedding(w, ids(iv, SHAPE(4), 1), 2), SHAPE(4, 3), 2, ex, 0);
}

TEST(embedding, errors_with_torch_messages) {
    ct_tensor *w = tt_rand(SHAPE(5, 3), 2, CT_FLOAT32, -1, 1, 2);
    ct_tensor *i = ids(VALS(1), SHAPE(1), 1);
    CHECK_ERR(ct_embedding_ex(w, ids(VALS(5), SHAPE(1), 1), CT_NO_PADDING_IDX, NAN, 2, false, false),
              "index out of range in self");
    CHECK(ct_last_error_kind() == CT_ERR_INDEX);
    CHECK_ERR(ct_embedding_ex(w, ids(VALS(-1), SHAPE(1), 1), CT_NO_PADDING_IDX, NAN, 2, false, false),
              "index out of range in self");
    CHECK_ERR(ct_embedding_ex(w, tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT32), CT_NO_PADDING_IDX, NAN, 2, false,
                              false),
              "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int");
    CHECK_ERR(ct_embedding_ex(ct_zeros(SHAPE(5), 1, CT_FLOAT32), i, CT_NO_PADDING_IDX, NAN, 2, false, false),
              "'weight' must be 2-D");
    CHECK_ERR(ct_embedding_ex(w, i, 5, NAN, 2, false, false), "Padding_idx must be within num_embeddings");
    CHECK_ERR(ct_embedding_ex(w, i, -6, NAN, 2, false, false), "Padding_idx must be within num_embeddings");
    CHECK_ERR(ct_embedding_ex(w, i, CT_NO_PADDING_IDX, NAN, 2, false, true), "sparse=True is not implemented");
    CHECK(ct_last_error_kind() == CT_ERR_NOT_IMPL);
    CHECK_ERR(ct_embedding_ex(ct_zeros(SHAPE(5, 3), 2, CT_INT64), i, CT_NO_PADDING_IDX, 1.0, 2, false, false),
              "input dtype should be either floating point");
}

/* ||row||_p of a row of doubles (p inf: max |x|). */
static double pnorm(const double *r, int D, double p) {
    double acc = 0;
    for (int d = 0; d < D; d++) acc = isinf(p) ? fmax(acc, fabs(r[d])) : acc + pow(fabs(r[d]), p);
    return isinf(p) ? acc : pow(acc, 1.0 / p);
}

TEST(embedding, max_norm_renormalises_looked_up_rows_in_place) {
    double ps[] = {2, 1, 3, INFINITY};
    for (int k = 0; k < 4; k++) {
        ct_tensor *w = tt_rand(SHAPE(6, 4), 2, CT_FLOAT64, -2, 2, 3 + k);
        double *before = tt_values(w), ex[24];
        memcpy(ex, before, sizeof ex);
        int rows[] = {1, 3, 1, 4};
        for (int r = 0; r < 6; r++) {
            bool used = r == 1 || r == 3 || r == 4;
            double nv = pnorm(before + r * 4, 4, ps[k]);
            if (used && nv > 0.5)
                for (int d = 0; d < 4; d++) ex[r * 4 + d] = before[r * 4 + d] * 0.5 / (nv + 1e-7);
        }
        double iv[4];
        for (int i = 0; i < 4; i++) iv[i] = rows[i];
        uint64_t v0 = ct_version(w);
        ct_tensor *e = ct_embedding_ex(w, ids(iv, SHAPE(4), 1), CT_NO_PADDING_IDX, 0.5, ps[k], false, false);
        free(before);
        CHECK_OK(e);
        CHECK(ct_version(w) > v0);
        CHECK_TENSOR(w, SHAPE(6, 4), 2, ex, 1e-12);
        double eex[16];
        for (int i = 0; i < 4; i++) memcpy(eex + i * 4, ex + rows[i] * 4, sizeof(double) * 4);
        CHECK_TENSOR(e, SHAPE(4, 4), 2, eex, 1e-12);
    }
}

/* dW[r] = sum of g rows at idx == r (scaled by 1/count), zero at pad. */
static void ref_dense_backward(const double *g, const double *idx, int64_t n, int64_t D, int64_t num, int64_t pad,
                               bool scale, double *dw) {
    double *cnt = calloc((size_t)num, sizeof(double));
    for (int64_t i = 0; i < n; i++) cnt[(int64_t)idx[i]] += 1;
    memset(dw, 0, sizeof(double) * (size_t)(num * D));
    for (int64_t i = 0; i < n; i++) {
        int64_t r = (int64_t)idx[i];
        if (r == pad) continue;
        for (int64_t d = 0; d < D; d++) dw[r * D + d] += g[i * D + d] * (scale ? 1.0 / cnt[r] : 1.0);
    }
    free(cnt);
}

TEST(embedding_dense_backward, accumulates_rows_deterministically_across_threads) {
    int64_t n = 30000, D = 3, num = 7;
    double *iv = malloc(sizeof(double) * n), *dw = malloc(sizeof(double) * num * D);
    for (int64_t i = 0; i < n; i++) iv[i] = (double)((i * i + 3 * i) % num);
    ct_tensor *idx = ids(iv, SHAPE(n), 1);
    ct_tensor *g = tt_rand(SHAPE(n, D), 2, CT_FLOAT64, -1, 1, 9);
    double *gv = tt_values(g);
    int rc = 0;
    for (int c = 0; c < 3 && rc == 0; c++) {
        int64_t pad = c == 1 ? 2 : -1;
        bool scale = c == 2;
        ref_dense_backward(gv, iv, n, D, num, pad, scale, dw);
        ct_tensor *r = ct_embedding_dense_backward(g, idx, num, pad, scale);
        rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(num, D), 2, dw, 1e-9) : -1;
        /* float32 grad reshaped [n/2, 2, D] against [n/2, 2] indices */
        ct_tensor *g32 = ct_to_dtype(ct_reshape(g, SHAPE(n / 2, 2, D), 3), CT_FLOAT32, false);
        ct_tensor *r32 = rc ? NULL : ct_embedding_dense_backward(g32, ct_reshape(idx, SHAPE(n / 2, 2), 2), num, pad, scale);
        if (rc == 0) rc = r32 ? tt_expect(__FILE__, __LINE__, r32, SHAPE(num, D), 2, dw, 1e-4) : -1;
    }
    free(iv), free(dw), free(gv);
    CHECK(rc == 0);
    CHECK_ERR(ct_embedding_dense_backward(g, idx, 5, -1, false), "index out of range in self");
    CHECK_ERR(ct_embedding_dense_backward(ct_zeros(SHAPE(3, 2), 2, CT_FLOAT64), idx, 7, -1, false), "does not match");
}

static ct_tensor *fixed_ids(void) { return ids(VALS(1, 3, 1, 0, 4, 1), SHAPE(2, 3), 2); }
FN(f_emb, ct_embedding_ex(x[0], fixed_ids(), CT_NO_PADDING_IDX, NAN, 2, false, false))
FN(f_emb_2d, ct_embedding_ex(x[0], ct_reshape(fixed_ids(), SHAPE(3, 2), 2), CT_NO_PADDING_IDX, NAN, 2, false, false))
FN(f_emb_nc, ct_embedding_ex(x[0], fixed_ids(), CT_NO_PADDING_IDX, NAN, 2, false, false))
FN(f_edb, ct_embedding_dense_backward(x[0], fixed_ids(), 5, 1, true))
FN(f_edb2, ct_embedding_dense_backward(x[0], fixed_ids(), 6, -1, false))

TEST(grad_embedding, padding_row_and_frequency_scaling) {
    ct_tensor *w = rleaf(SHAPE(5, 2), 2, -1, 1, 11);
    ct_tensor *y = ct_embedding_ex(w, fixed_ids(), 1, NAN, 2, true, false);
    CHECK_OK(y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    /* counts: 1 x3 (padding), 3 x1, 0 x1, 4 x1 */
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(5, 2), 2, VALS(1, 1, 0, 0, 0, 0, 1, 1, 1, 1), 0);
    GRADCHECK(f_emb, rleaf(SHAPE(5, 2), 2, -1, 1, 12));
    GRADCHECK(f_emb_2d, rleaf(SHAPE(5, 3), 2, -1, 1, 13));
    /* scaled by frequency (not a true derivative: PyTorch's rule): each used row gets count * 1/count */
    ct_tensor *w2 = rleaf(SHAPE(5, 2), 2, -1, 1, 17);
    y = ct_embedding_ex(w2, fixed_ids(), CT_NO_PADDING_IDX, NAN, 2, true, false);
    CHECK(y && ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(w2), SHAPE(5, 2), 2, VALS(1, 1, 1, 1, 0, 0, 1, 1, 1, 1), 1e-15);
    GRADCHECK(f_emb_nc, ncr(5, 2, -1, 1, 14));
}

TEST(grad_embedding_dense_backward, gradcheck) {
    GRADCHECK(f_edb, rleaf(SHAPE(2, 3, 2), 3, -1, 1, 15));
    GRADCHECK(f_edb2, rleaf(SHAPE(6, 3), 2, -1, 1, 16));
}

/* ---------------------------------------------------------------- embedding_bag */
/* Reference: bags [bounds[b], bounds[b+1]) of idx, psw may be NULL. */
static void ref_bag(const double *w, int64_t D, const double *idx, const double *psw, const int64_t *bounds,
                    int64_t B, int mode, int64_t pad, double *out) {
    for (int64_t b = 0; b < B; b++) {
        int64_t cnt = 0;
        for (int64_t d = 0; d < D; d++) out[b * D + d] = 0;
        for (int64_t i = bounds[b]; i < bounds[b + 1]; i++) {
            int64_t r = (int64_t)idx[i];
            if (r == pad) continue;
            cnt++;
            for (int64_t d = 0; d < D; d++) {
                double v = w[r * D + d] * (psw ? psw[i] : 1);
                if (mode == CT_BAG_MAX) out[b * D + d] = cnt == 1 ? v : fmax(out[b * D + d], v);
                else out[b * D + d] += v;
            }
        }
        if (mode == CT_BAG_MEAN && cnt)
            for (int64_t d = 0; d < D; d++) out[b * D + d] /= (double)cnt;
    }
}

TEST(embedding_bag, modes_offsets_padding_and_empty_bags) {
    ct_tensor *w = tt_rand(SHAPE(6, 3), 2, CT_FLOAT64, -1, 1, 20);
    double *wv = tt_values(w), out[5 * 3];
    double iv[] = {1, 2, 4, 5, 4, 3, 2, 0};
    double pv[] = {0.5, -1, 2, 1.5, 0.25, -0.75, 3, 1};
    ct_tensor *in = ids(iv, SHAPE(8), 1), *psw = tt_tensor(pv, SHAPE(8), 1, CT_FLOAT64);
    ct_tensor *off = ids(VALS(0, 2, 2, 5), SHAPE(4), 1);
    int rc = 0;
    for (int mode = 0; mode < 3 && rc == 0; mode++)
        for (int pad = 0; pad < 2 && rc == 0; pad++) {
            int64_t p = pad ? 4 : -1;
            ref_bag(wv, 3, iv, NULL, (const int64_t[]){0, 2, 2, 5, 8}, 4, mode, p, out);
            ct_tensor *mi = NULL;
            ct_tensor *r = ct_embedding_bag(w, in, off, mode, NULL, false, pad ? 4 : CT_NO_PADDING_IDX, NAN, 2, false,
                                            false, &mi);
            rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(4, 3), 2, out, 1e-12) : -1;
            if (rc == 0 && mode == CT_BAG_MAX) rc = mi && mi->sizes[0] == 4 ? 0 : -1;
            /* include_last_offset: the last offset ends the last bag; entries after it are left out */
            ref_bag(wv, 3, iv, NULL, (const int64_t[]){0, 2, 2, 5}, 3, mode, p, out);
            r = rc ? NULL
                   : ct_embedding_bag(w, in, off, mode, NULL, true, pad ? -2 : CT_NO_PADDING_IDX, NAN, 2, false,
                                      false, NULL);
            if (rc == 0) rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(3, 3), 2, out, 1e-12) : -1;
            /* a 2-d input of int32: bags of 4 */
            ref_bag(wv, 3, iv, NULL, (const int64_t[]){0, 4, 8}, 2, mode, p, out);
            r = rc ? NULL
                   : ct_embedding_bag(w, tt_tensor(iv, SHAPE(2, 4), 2, CT_INT32), NULL, mode, NULL, false,
                                      pad ? 4 : CT_NO_PADDING_IDX, NAN, 2, false, false, NULL);
            if (rc == 0) rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(2, 3), 2, out, 1e-12) : -1;
        }
    /* per_sample_weights (sum), int32 offsets */
    ref_bag(wv, 3, iv, pv, (const int64_t[]){0, 2, 2, 5, 8}, 4, CT_BAG_SUM, -1, out);
    ct_tensor *r = rc ? NULL
                      : ct_embedding_bag(w, in, tt_tensor(VALS(0, 2, 2, 5), SHAPE(4), 1, CT_INT32), CT_BAG_SUM, psw,
                                         false, CT_NO_PADDING_IDX, NAN, 2, false, false, NULL);
    if (rc == 0) rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(4, 3), 2, out, 1e-12) : -1;
    free(wv);
    CHECK(rc == 0);
    /* no bags at all, and an input of length 0 */
    ct_tensor *e = ct_embedding_bag(w, in, ct_zeros(SHAPE(0), 1, CT_INT64), CT_BAG_MEAN, NULL, false,
                                    CT_NO_PADDING_IDX, NAN, 2, false, false, NULL);
    CHECK_OK(e);
    CHECK(e->sizes[0] == 0 && e->sizes[1] == 3);
    e = ct_embedding_bag(w, ct_zeros(SHAPE(0), 1, CT_INT64), ct_zeros(SHAPE(2), 1, CT_INT64), CT_BAG_MAX, NULL,
                         false, CT_NO_PADDING_IDX, NAN, 2, false, false, NULL);
    CHECK_TENSOR(e, SHAPE(2, 3), 2, VALS(0, 0, 0, 0, 0, 0), 0);
}

TEST(embedding_bag, large_bags_cross_the_grain) {
    int64_t n = 24000, D = 4, B = 300;
    ct_tensor *w = tt_rand(SHAPE(50, D), 2, CT_FLOAT32, -1, 1, 21);
    double *wv = tt_values(w), *iv = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * B * D);
    int64_t *bounds = malloc(sizeof(int64_t) * (B + 1));
    double *ov = malloc(sizeof(double) * B);
    for (int64_t i = 0; i < n; i++) iv[i] = (double)((i * 13) % 50);
    for (int64_t b = 0; b < B; b++) bounds[b] = b * (n / B), ov[b] = (double)bounds[b];
    bounds[B] = n;
    ref_bag(wv, D, iv, NULL, bounds, B, CT_BAG_MEAN, 7, out);
    ct_tensor *r = ct_embedding_bag(w, ids(iv, SHAPE(n), 1), ids(ov, SHAPE(B), 1), CT_BAG_MEAN, NULL, false, 7, NAN,
                                    2, false, false, NULL);
    int rc = r ? tt_expect(__FILE__, __LINE__, r, SHAPE(B, D), 2, out, 1e-5) : -1;
    free(wv), free(iv), free(out), free(bounds), free(ov);
    CHECK(rc == 0);
}

TEST(embedding_bag, errors_with_torch_messages) {
    ct_tensor *w = tt_rand(SHAPE(5, 3), 2, CT_FLOAT32, -1, 1, 22);
    ct_tensor *in = ids(VALS(1, 2, 3), SHAPE(3), 1), *off = ids(VALS(0, 1), SHAPE(2), 1);
#define BAG(w_, in_, off_, mode, psw, pad) \
    ct_embedding_bag(w_, in_, off_, mode, psw, false, pad, NAN, 2, false, false, NULL)
    CHECK_ERR(BAG(w, ids(VALS(5), SHAPE(1), 1), ids(VALS(0), SHAPE(1), 1), 0, NULL, CT_NO_PADDING_IDX),
              "out of bounds: 5, range 0 to 5");
    CHECK_ERR(BAG(w, in, ids(VALS(1), SHAPE(1), 1), 0, NULL, CT_NO_PADDING_IDX), "offsets[0] has to be 0");
    CHECK_ERR(BAG(w, in, ids(VALS(0, 4), SHAPE(2), 1), 0, NULL, CT_NO_PADDING_IDX),
              "offsets[-1] can not be greater than input's length 3 but got offsets[-1] of 4");
    CHECK_ERR(BAG(w, in, ids(VALS(0, 2, 1), SHAPE(3), 1), 0, NULL, CT_NO_PADDING_IDX), "non-decreasing");
    CHECK_ERR(BAG(w, in, tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_FLOAT32), 0, NULL, CT_NO_PADDING_IDX),
              "Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding_bag)");
    CHECK_ERR(BAG(w, tt_tensor(VALS(0, 1), SHAPE(2), 1, CT_FLOAT64), off, 0, NULL, CT_NO_PADDING_IDX),
              "'indices' to have one of the following scalar types");
    CHECK_ERR(BAG(w, ct_zeros(SHAPE(1, 1, 1), 3, CT_INT64), NULL, 0, NULL, CT_NO_PADDING_IDX),
              "input has to be 1D or 2D Tensor, but got Tensor of dimension 3");
    CHECK(ct_last_error_kind() == CT_ERR_VALUE);
    CHECK_ERR(BAG(w, in, NULL, 0, NULL, CT_NO_PADDING_IDX), "offsets has to be a 1D Tensor but got None");
    CHECK_ERR(BAG(w, ct_zeros(SHAPE(1, 1), 2, CT_INT64), off, 0, NULL, CT_NO_PADDING_IDX),
              "if input is 2D, then offsets has to be None");
    CHECK_ERR(BAG(w, in, ct_zeros(SHAPE(1, 1), 2, CT_INT64), 0, NULL, CT_NO_PADDING_IDX), "offsets has to be a 1D Tensor");
    CHECK_ERR(BAG(w, in, off, 1, ct_ones(SHAPE(3), 1, CT_FLOAT32), CT_NO_PADDING_IDX),
              "per_sample_weights is only supported for mode='sum' (got mode='mean')");
    CHECK(ct_last_error_kind() == CT_ERR_NOT_IMPL);
    CHECK_ERR(BAG(w, in, off, 0, ct_ones(SHAPE(2), 1, CT_FLOAT32), CT_NO_PADDING_IDX),
              "then it must have the same shape as the input");
    CHECK_ERR(BAG(w, in, off, 0, ct_ones(SHAPE(3), 1, CT_FLOAT64), CT_NO_PADDING_IDX),
              "to have the same type as tensor for argument #1 'per_sample_weights'");
    CHECK_ERR(BAG(w, in, off, 3, NULL, CT_NO_PADDING_IDX), "mode has to be one of sum, mean or max");
    CHECK_ERR(BAG(ct_zeros(SHAPE(5, 3), 2, CT_INT64), in, off, 0, NULL, CT_NO_PADDING_IDX),
              "Expected tensor for argument #1 'weight' to have one of the following scalar types");
    CHECK_ERR(BAG(w, in, off, 0, NULL, 5), "padding_idx must be within the number of embeddings, -5 through 4, but got 5");
    CHECK_ERR(ct_embedding_bag(w, in, off, 2, NULL, false, CT_NO_PADDING_IDX, NAN, 2, true, false, NULL),
              "max mode does not support scaling the gradient by the frequency");
    CHECK_ERR(ct_embedding_bag(w, in, off, 0, NULL, false, CT_NO_PADDING_IDX, NAN, 2, false, true, NULL),
              "sparse=True is not implemented");
#undef BAG
}

static ct_tensor *bag_in(void) { return ids(VALS(1, 2, 4, 2, 4, 3, 2, 0), SHAPE(8), 1); }
static ct_tensor *bag_off(void) { return ids(VALS(0, 2, 2, 5), SHAPE(4), 1); }
FN(f_bag_sum_psw, ct_embedding_bag(x[0], bag_in(), bag_off(), CT_BAG_SUM, x[1], false, 4, NAN, 2, false, false, NULL))
FN(f_bag_sum_ilo,
   ct_embedding_bag(x[0], bag_in(), bag_off(), CT_BAG_SUM, x[1], true, CT_NO_PADDING_IDX, NAN, 2, false, false, NULL))
FN(f_bag_mean, ct_embedding_bag(x[0], bag_in(), bag_off(), CT_BAG_MEAN, NULL, false, 2, NAN, 2, false, false, NULL))
FN(f_bag_max, ct_embedding_bag(x[0], bag_in(), bag_off(), CT_BAG_MAX, NULL, false, 0, NAN, 2, false, false, NULL))
FN(f_bag_2d, ct_embedding_bag(x[0], ct_reshape(bag_in(), SHAPE(2, 4), 2), NULL, CT_BAG_MEAN, NULL, false,
                              CT_NO_PADDING_IDX, NAN, 2, false, false, NULL))

TEST(grad_embedding_bag, weight_and_per_sample_weights) {
    ct_tensor *w = rleaf(SHAPE(5, 2), 2, -1, 1, 23);
    ct_tensor *y = ct_embedding_bag(w, bag_in(), bag_off(), CT_BAG_MEAN, NULL, false, CT_NO_PADDING_IDX, NAN, 2,
                                    false, false, NULL);
    CHECK_OK(y);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    /* bags {1,2} /2, {} , {4,2,4} /3, {3,2,0} /3 */
    double g1 = 0.5, g2 = 0.5 + 1.0 / 3 + 1.0 / 3, g4 = 2.0 / 3, g3 = 1.0 / 3, g0 = 1.0 / 3;
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(5, 2), 2, VALS(g0, g0, g1, g1, g2, g2, g3, g3, g4, g4), 1e-12);
    /* scale_grad_by_freq (counts: 0 x1, 1 x1, 2 x3, 3 x1, 4 x2) */
    ct_tensor *w2 = rleaf(SHAPE(5, 2), 2, -1, 1, 31);
    y = ct_embedding_bag(w2, bag_in(), bag_off(), CT_BAG_MEAN, NULL, false, CT_NO_PADDING_IDX, NAN, 2, true, false,
                         NULL);
    CHECK(y && ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(w2), SHAPE(5, 2), 2, VALS(g0, g0, g1, g1, g2 / 3, g2 / 3, g3, g3, g4 / 2, g4 / 2), 1e-12);
    GRADCHECK(f_bag_sum_psw, rleaf(SHAPE(5, 2), 2, -1, 1, 24), rleaf(SHAPE(8), 1, -1, 1, 25));
    GRADCHECK(f_bag_sum_ilo, ncr(5, 3, -1, 1, 26), rleaf(SHAPE(8), 1, -1, 1, 27));
    GRADCHECK(f_bag_mean, rleaf(SHAPE(5, 2), 2, -1, 1, 28));
    GRADCHECK(f_bag_max, rleaf(SHAPE(5, 3), 2, -1, 1, 29));
    GRADCHECK(f_bag_2d, rleaf(SHAPE(5, 2), 2, -1, 1, 30));
}
