/* The oneDNN convolution path (src/kernels/cpu/conv_dnnl.c, built where
 * libdnnl-dev is installed) against the im2col + GEMM path, which the other
 * conv tests check against double-precision sums and PyTorch: the forward
 * and both gradients agree in float32 over strides (with rows left over
 * past the last window), paddings, dilations, groups, 1x1 kernels, and a
 * size above the threading grain. Without oneDNN the test checks only that
 * both calls succeed. */
#include "harness.h"

#include "ctorch/nn.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>

#define RND(seed, ...) \
    tt_rand(SHAPE(__VA_ARGS__), (int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)), CT_FLOAT32, -1, 1, (seed))
#define I2(a, b) ((const int64_t[]){(a), (b)})

static void set_dnnl(bool on) {
#ifdef CT_HAVE_DNNL
    ct__conv_dnnl_on = on;
#else
    (void)on;
#endif
}

typedef struct dcase {
    int64_t N, C, H, W, O, kh, kw, s[2], p[2], d[2], G;
    bool bias;
} dcase;

/* y, dx, dw of case q with oneDNN on (path 1) or off (path 0). */
static int run(const dcase *q, bool on, ct_tensor **r) {
    set_dnnl(on);
    ct_tensor *x = RND(1, q->N, q->C, q->H, q->W), *w = RND(2, q->O, q->C / q->G, q->kh, q->kw);
    ct_tensor *b = q->bias ? RND(3, q->O) : NULL;
    r[0] = ct_conv2d(x, w, b, q->s, q->p, q->d, q->G);
    if (!r[0]) return -1;
    ct_tensor *gy = tt_rand(r[0]->sizes, 4, CT_FLOAT32, -1, 1, 4);
    r[1] = ct_conv2d_backward_input(gy, w, I2(q->H, q->W), q->s, q->p, q->d, q->G);
    r[2] = ct_conv2d_backward_weight(gy, x, I2(q->kh, q->kw), q->s, q->p, q->d, q->G);
    set_dnnl(true);
    return r[1] && r[2] ? 0 : -1;
}

TEST(conv2d, onednn_path_matches_im2col) {
    const dcase cases[] = {
        {2, 16, 9, 9, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true},
        {2, 32, 8, 8, 16, 3, 3, {2, 2}, {0, 0}, {1, 1}, 1, false}, /* a row left over */
        {3, 16, 11, 10, 32, 3, 2, {2, 1}, {1, 0}, {2, 1}, 1, true},
        {2, 32, 7, 7, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 2, true},
        {2, 16, 6, 6, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 16, false}, /* depthwise */
        {2, 3, 9, 9, 8, 5, 5, {2, 2}, {2, 2}, {1, 1}, 1, true},     /* few channels */
        {2, 16, 5, 5, 8, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, true},
        {4, 32, 20, 20, 32, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true}, /* above the grain */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ct_tensor *a[3], *b[3];
        CHECK(run(&cases[k], true, a) == 0);
        CHECK(run(&cases[k], false, b) == 0);
        for (int i = 0; i < 3; i++) {
            double *av = tt_values(a[i]);
            CHECK_TENSOR(b[i], a[i]->sizes, a[i]->ndim, av, 1e-4);
            free(av);
        }
    }
}

/* The reordered weights are cached across calls (keyed on the weight's
 * storage and version): every result below is checked against the
 * im2col path computed at the same moment. */
static int agree(const ct_tensor *x, const ct_tensor *w, const int64_t *s, const int64_t *p,
                 const int64_t *d, int64_t G) {
    set_dnnl(true);
    ct_tensor *a = ct_conv2d(x, w, NULL, s, p, d, G);
    ct_tensor *ga = a ? ct_conv2d_backward_input(a, w, &x->sizes[2], s, p, d, G) : NULL;
    set_dnnl(false);
    ct_tensor *b = ct_conv2d(x, w, NULL, s, p, d, G);
    ct_tensor *gb = b ? ct_conv2d_backward_input(b, w, &x->sizes[2], s, p, d, G) : NULL;
    set_dnnl(true);
    if (!a || !b || !ga || !gb) return -1;
    double *av = tt_values(a), *bv = tt_values(b), *gav = tt_values(ga), *gbv = tt_values(gb);
    int bad = 0;
    for (int64_t i = 0; i < a->numel; i++) bad |= fabs(av[i] - bv[i]) > 1e-4 * (1 + fabs(bv[i]));
    for (int64_t i = 0; i < ga->numel; i++)
        bad |= fabs(gav[i] - gbv[i]) > 1e-4 * (1 + fabs(gbv[i]));
    free(av), free(bv), free(gav), free(gbv);
    return bad ? -1 : 0;
}

TEST(conv2d, onednn_weight_cache_sees_in_place_updates) {
    ct_tensor *x = RND(11, 2, 16, 9, 9), *w = RND(12, 16, 16, 3, 3);
    const int64_t *one = I2(1, 1);
    CHECK(agree(x, w, one, one, one, 1) == 0);
    CHECK(agree(x, w, one, one, one, 1) == 0); /* a cache hit */
    /* an in-place write (an optimizer step) between calls */
    CHECK(ct_copy_(w, RND(13, 16, 16, 3, 3)) == w);
    CHECK(agree(x, w, one, one, one, 1) == 0);
    /* a write through a view of the weight's storage */
    ct_tensor *row = ct_select(w, 0, 3);
    CHECK(row && ct_fill_(row, 0.5) == row);
    CHECK(agree(x, w, one, one, one, 1) == 0);
    /* the same weight over other image sizes, strides, dilations */
    CHECK(agree(RND(14, 3, 16, 12, 7), w, one, one, one, 1) == 0);
    CHECK(agree(RND(15, 1, 16, 13, 11), w, I2(2, 1), I2(0, 1), I2(2, 1), 1) == 0);
    /* a weight slice starting past element 0 of its storage */
    ct_tensor *big = RND(16, 32, 16, 3, 3);
    ct_tensor *half = ct_narrow(big, 0, 16, 16);
    CHECK(half && ct_is_contiguous(half));
    CHECK(agree(x, half, one, one, one, 1) == 0);
    CHECK(ct_copy_(big, RND(17, 32, 16, 3, 3)) == big); /* written through the parent */
    CHECK(agree(x, half, one, one, one, 1) == 0);
}

TEST(conv2d, onednn_weight_cache_new_weight_at_a_freed_address) {
    ct_tensor *x = RND(21, 2, 16, 8, 8);
    const int64_t *one = I2(1, 1);
    for (unsigned k = 0; k < 4; k++) {
        /* each weight is freed before the next one is made, so without the
         * cache's reference the allocator would hand back the same block
         * at version 0 */
        ct_scope sc = ct_scope_begin();
        ct_tensor *w = RND(22 + k, 16, 16, 3, 3);
        int rc = agree(x, w, one, one, one, 1);
        ct_scope_end(sc);
        CHECK(rc == 0);
    }
}

TEST(conv2d, onednn_weight_cache_groups_and_depthwise) {
    const int64_t *one = I2(1, 1);
    ct_tensor *x = RND(31, 2, 32, 10, 10);
    ct_tensor *wg = RND(32, 32, 8, 3, 3), *wd = RND(33, 32, 1, 3, 3);
    for (int rep = 0; rep < 2; rep++) {
        CHECK(agree(x, wg, one, one, one, 4) == 0);
        CHECK(agree(x, wd, I2(2, 2), one, I2(2, 2), 32) == 0);
    }
    CHECK(ct_copy_(wg, RND(34, 32, 8, 3, 3)) == wg);
    CHECK(agree(x, wg, one, one, one, 4) == 0);
}

/* oneDNN's kernels fix their split over threads when the primitive is
 * made: a change of thread count makes a new primitive (the result is the
 * same either way). */
TEST(conv2d, onednn_follows_thread_count) {
    int nt = ct_get_num_threads();
    ct_tensor *x = RND(41, 4, 32, 20, 20), *w = RND(42, 32, 32, 3, 3);
    const int64_t *one = I2(1, 1);
    ct_set_num_threads(1);
    int r1 = agree(x, w, one, one, one, 1);
    ct_set_num_threads(2);
    int r2 = agree(x, w, one, one, one, 1);
    ct_set_num_threads(nt);
    CHECK(r1 == 0 && r2 == 0);
}

/* dw of (gy, x) by oneDNN right after dx of (gy_first, w), against im2col. */
static int weight_grad_agrees(const ct_tensor *gy_first, const ct_tensor *gy, const ct_tensor *x,
                              const ct_tensor *w, bool write_between) {
    const int64_t *one = I2(1, 1);
    set_dnnl(true);
    ct_tensor *dx = ct_conv2d_backward_input(gy_first, w, &x->sizes[2], one, one, one, 1);
    if (write_between && ct_fill_((ct_tensor *)gy, 0.25) != gy) return -1;
    ct_tensor *a = ct_conv2d_backward_weight(gy, x, I2(3, 3), one, one, one, 1);
    set_dnnl(false);
    ct_tensor *b = ct_conv2d_backward_weight(gy, x, I2(3, 3), one, one, one, 1);
    set_dnnl(true);
    if (!dx || !a || !b) return -1;
    double *av = tt_values(a), *bv = tt_values(b);
    int bad = 0;
    for (int64_t i = 0; i < a->numel; i++) bad |= fabs(av[i] - bv[i]) > 1e-4 * (1 + fabs(bv[i]));
    free(av), free(bv);
    return bad ? -1 : 0;
}

/* The input gradient keeps its blocked copy of gy for the weight gradient:
 * taken only for the same gy, unchanged. */
TEST(conv2d_backward_weight, onednn_reuses_grad_output_only_when_unchanged) {
    ct_tensor *x = RND(51, 2, 16, 9, 9), *w = RND(52, 16, 16, 3, 3);
    ct_tensor *gy = RND(53, 2, 16, 9, 9), *gy2 = RND(54, 2, 16, 9, 9);
    CHECK(weight_grad_agrees(gy, gy, x, w, false) == 0);  /* reused */
    CHECK(weight_grad_agrees(gy, gy2, x, w, false) == 0); /* another gy */
    CHECK(weight_grad_agrees(gy, gy, x, w, true) == 0);   /* gy written in between */
    /* a non-contiguous gy (a temporary contiguous copy per op) */
    ct_tensor *gt = ct_transpose(RND(55, 2, 16, 9, 9), 2, 3);
    CHECK(weight_grad_agrees(gt, gt, x, w, false) == 0);
}
