/* im2col for the 2-d convolution (src/nn/conv.c): each image [C, H, W]
 * becomes a matrix [C*kh*kw][OH*OW] whose row (c, i, j) holds the input
 * pixel under kernel tap (i, j) of channel c for every output position
 * (zero where the tap falls in the padding). The GEMM is OpenBLAS's. */
#include "nn/nn_internal.h"

#define IM2COL(T)                                                                        \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *cs = (T *)col;                                                                \
        int64_t L = g->OH * g->OW, rows = C * g->kh * g->kw;                             \
        int64_t total = nb * rows;                                                       \
        _Pragma("omp parallel for schedule(static) if (total * L >= CT_GRAIN)")          \
        for (int64_t r = 0; r < total; r++) {                                            \
            int64_t b = r / rows, row = r % rows;                                        \
            int64_t c = row / (g->kh * g->kw), i = (row / g->kw) % g->kh, j = row % g->kw; \
            const T *xp = xs + b * x_bs + c * g->H * g->W;                               \
            T *dst = cs + r * L;                                                         \
            for (int64_t oh = 0; oh < g->OH; oh++) {                                     \
                int64_t ih = oh * g->sh - g->ph + i * g->dh;                             \
                T *d = dst + oh * g->OW;                                                 \
                if (ih < 0 || ih >= g->H) {                                              \
                    for (int64_t ow = 0; ow < g->OW; ow++) d[ow] = 0;                    \
                    continue;                                                            \
                }                                                                        \
                const T *xr = xp + ih * g->W;                                            \
                int64_t off = j * g->dw - g->pw;                                         \
                if (g->sw == 1 && off >= 0 && off + g->OW <= g->W) {                     \
                    for (int64_t ow = 0; ow < g->OW; ow++) d[ow] = xr[ow + off];         \
                } else {                                                                 \
                    for (int64_t ow = 0; ow < g->OW; ow++) {                             \
                        int64_t iw = ow * g->sw + off;                                   \
                        d[ow] = (iw >= 0 && iw < g->W) ? xr[iw] : (T)0;                  \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

void ct__im2col(ct_dtype dt, const void *x, int64_t nb, int64_t x_bs, int64_t C,
                const ct_win2d *g, void *col) {
    if (dt == CT_FLOAT32) IM2COL(float);
    else IM2COL(double);
}
