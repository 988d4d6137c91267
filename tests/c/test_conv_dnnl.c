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
