/* Pooling kernels over contiguous planes [np][H][W] (src/nn/pool.c). One
 * thread per plane range above the grain; PyTorch's window rules. */
#include "nn/nn_internal.h"

#include <math.h>

/* The common 2x2 window with stride 2, no padding or dilation, every
 * window inside the plane: the same scan order and NaN rule as below (a NaN
 * wins, the last one; otherwise the first strict maximum), branch-free (the
 * comparisons of random data do not predict), sizes in locals (the int64
 * index stores could alias a ct_win2d field). */
#define DEF_MAXPOOL_2X2(T, S)                                                            \
    static void maxpool_2x2_##S(const T *restrict xp, int64_t W, int64_t OH, int64_t OW, \
                                T *restrict o, int64_t *restrict ix) {                   \
        for (int64_t oh = 0; oh < OH; oh++) {                                            \
            const T *r0 = xp + 2 * oh * W, *r1 = r0 + W;                                 \
            for (int64_t ow = 0; ow < OW; ow++) {                                        \
                T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1]; \
                int64_t k = 2 * oh * W + 2 * ow;                                         \
                bool tb = (b > a) | (b != b);                                            \
                T m = tb ? b : a;                                                        \
                int64_t i = tb ? k + 1 : k;                                              \
                bool tc = (c > m) | (c != c);                                            \
                m = tc ? c : m;                                                          \
                i = tc ? k + W : i;                                                      \
                bool td = (d > m) | (d != d);                                            \
                o[oh * OW + ow] = td ? d : m;                                            \
                ix[oh * OW + ow] = td ? k + W + 1 : i;                                   \
            }                                                                            \
        }                                                                                \
    }
DEF_MAXPOOL_2X2(float, f32)
DEF_MAXPOOL_2X2(double, f64)
#define MAXPOOL_2X2_CALL(T) \
    _Generic((T)0, float: maxpool_2x2_f32, double: maxpool_2x2_f64)(xp, g->W, g->OH, g->OW, os + p * L, idx + p * L)

#define MAXPOOL(T)                                                                       \
    do {                                                                                 \
        bool fast2 = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && \
                     g->pw == 0 && g->dh == 1 && g->dw == 1 && 2 * g->OH <= g->H &&      \
                     2 * g->OW <= g->W && idx;                                           \
        const T *xs = (const T *)x;                                                      \
        T *os = (T *)out;                                                                \
        int64_t HW = g->H * g->W, L = g->OH * g->OW;                                     \
        _Pragma("omp parallel for schedule(static) if (np * L * g->kh * g->kw >= CT_GRAIN)") \
        for (int64_t p = 0; p < np; p++) {                                               \
            const T *xp = xs + p * HW;                                                   \
            if (fast2) {                                                                 \
                MAXPOOL_2X2_CALL(T);                                                     \
                continue;                                                                \
            }                                                                            \
            for (int64_t oh = 0; oh < g->OH; oh++) {                                     \
                int64_t h0 = oh * g->sh - g->ph;                                         \
                int64_t h1 = h0 + (g->kh - 1) * g->dh + 1;                               \
                if (h1 > g->H) h1 = g->H;                                                \
                while (h0 < 0) h0 += g->dh;                                              \
                for (int64_t ow = 0; ow < g->OW; ow++) {                                 \
                    int64_t w0 = ow * g->sw - g->pw;                                     \
                    int64_t w1 = w0 + (g->kw - 1) * g->dw + 1;                           \
                    if (w1 > g->W) w1 = g->W;                                            \
                    while (w0 < 0) w0 += g->dw;                                          \
                    int64_t best = h0 * g->W + w0;                                       \
                    T m = -(T)INFINITY;                                                  \
                    for (int64_t h = h0; h < h1; h += g->dh)                             \
                        for (int64_t w = w0; w < w1; w += g->dw) {                       \
                            T v = xp[h * g->W + w];                                      \
                            if (v > m || isnan(v)) {                                     \
                                m = v;                                                   \
                                best = h * g->W + w;                                     \
                            }                                                            \
                        }                                                                \
                    os[p * L + oh * g->OW + ow] = m;                                     \
                    if (idx) idx[p * L + oh * g->OW + ow] = best;                        \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

void ct__max_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g, void *out,
                           int64_t *idx) {
    if (dt == CT_FLOAT32) MAXPOOL(float);
    else MAXPOOL(double);
}

#define AVGPOOL(T)                                                                       \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *os = (T *)out;                                                                \
        int64_t HW = g->H * g->W, L = g->OH * g->OW;                                     \
        _Pragma("omp parallel for schedule(static) if (np * L * g->kh * g->kw >= CT_GRAIN)") \
        for (int64_t p = 0; p < np; p++) {                                               \
            const T *xp = xs + p * HW;                                                   \
            for (int64_t oh = 0; oh < g->OH; oh++) {                                     \
                for (int64_t ow = 0; ow < g->OW; ow++) {                                 \
                    int64_t h0 = oh * g->sh - g->ph, w0 = ow * g->sw - g->pw;            \
                    int64_t h1 = h0 + g->kh, w1 = w0 + g->kw;                            \
                    if (h1 > g->H + g->ph) h1 = g->H + g->ph;                            \
                    if (w1 > g->W + g->pw) w1 = g->W + g->pw;                            \
                    int64_t pool = (h1 - h0) * (w1 - w0);                                \
                    if (h0 < 0) h0 = 0;                                                  \
                    if (w0 < 0) w0 = 0;                                                  \
                    if (h1 > g->H) h1 = g->H;                                            \
                    if (w1 > g->W) w1 = g->W;                                            \
                    T s = 0;                                                             \
                    for (int64_t h = h0; h < h1; h++)                                    \
                        for (int64_t w = w0; w < w1; w++) s += xp[h * g->W + w];         \
                    int64_t div = divisor_override ? divisor_override                    \
                                  : count_include_pad ? pool : (h1 - h0) * (w1 - w0);    \
                    os[p * L + oh * g->OW + ow] = s / (T)div;                            \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

void ct__avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g,
                           bool count_include_pad, int64_t divisor_override, void *out) {
    if (dt == CT_FLOAT32) AVGPOOL(float);
    else AVGPOOL(double);
}

#define ADAPTIVE(T)                                                                      \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *os = (T *)out;                                                                \
        _Pragma("omp parallel for schedule(static) if (np * H * W >= CT_GRAIN)")         \
        for (int64_t p = 0; p < np; p++) {                                               \
            const T *xp = xs + p * H * W;                                                \
            for (int64_t oh = 0; oh < OH; oh++) {                                        \
                int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;             \
                for (int64_t ow = 0; ow < OW; ow++) {                                    \
                    int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;         \
                    T s = 0;                                                             \
                    for (int64_t h = h0; h < h1; h++)                                    \
                        for (int64_t w = w0; w < w1; w++) s += xp[h * W + w];            \
                    os[(p * OH + oh) * OW + ow] = s / (T)((h1 - h0) * (w1 - w0));        \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

void ct__adaptive_avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, int64_t H, int64_t W,
                                    int64_t OH, int64_t OW, void *out) {
    if (dt == CT_FLOAT32) ADAPTIVE(float);
    else ADAPTIVE(double);
}

/* dx[p][idx[p][l]] += g[p][l] over np planes (dx [np][hw] overwritten);
 * -1 when an index is outside [0, hw). */
#define MAXPOOL_BWD(T)                                                                   \
    do {                                                                                 \
        const T *gs = (const T *)g;                                                      \
        T *ds = (T *)dx;                                                                 \
        _Pragma("omp parallel for schedule(static) reduction(|:bad) if (np * (hw + ohw) >= CT_GRAIN)") \
        for (int64_t p = 0; p < np; p++) {                                               \
            T *d = ds + p * hw;                                                          \
            const T *gp = gs + p * ohw;                                                  \
            const int64_t *ip = idx + p * ohw;                                           \
            for (int64_t i = 0; i < hw; i++) d[i] = 0;                                   \
            for (int64_t l = 0; l < ohw; l++) {                                          \
                int64_t k = ip[l];                                                       \
                if (k < 0 || k >= hw) {                                                  \
                    bad |= 1;                                                            \
                    continue;                                                            \
                }                                                                        \
                d[k] += gp[l];                                                           \
            }                                                                            \
        }                                                                                \
    } while (0)

int ct__max_pool2d_backward_kernel(ct_dtype dt, const void *g, const int64_t *idx, int64_t np,
                                   int64_t hw, int64_t ohw, void *dx) {
    int bad = 0;
    if (dt == CT_FLOAT32) MAXPOOL_BWD(float);
    else MAXPOOL_BWD(double);
    return bad ? -1 : 0;
}
