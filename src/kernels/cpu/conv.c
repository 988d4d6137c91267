/* The 2-d and 3-d convolutions and their two first-order backward passes
 * (src/nn/conv.c, conv_backward.c, conv3d.c), by im2col + OpenBLAS GEMM,
 * or by oneDNN (conv_dnnl.c) for float32 where it is built. One code serves
 * both: a 2-d convolution is a 3-d one over a depth of 1.
 *
 * im2col turns one volume [C, D, H, W] into a matrix [C*kd*kh*kw][OD*OH*OW]
 * whose row (c, a, i, j) holds the input pixel under kernel tap (a, i, j)
 * of channel c for
 * every output position (zero where the tap falls in the padding); col2im
 * is its adjoint (adds each entry back onto its pixel). Per group g:
 *   forward:       out[n, g]  = W[g] @ col(x[n])[g]
 *   grad of input: col[g]     = W[g]^T @ gout[n, g];  dx[n] = col2im(col)
 *   grad of weight: dW[g]    += gout[n, g] @ col(x[n])[g]^T
 * With several images and threads, each thread takes whole images with a
 * single-threaded GEMM (OpenBLAS runs single-threaded inside a parallel
 * region) and its own col buffer: no synchronisation inside a step, which is
 * what keeps both cores busy on the small GEMMs of a small CNN. With one
 * image, OpenBLAS threads the GEMM itself. A 1x1 kernel with stride 1 and no
 * padding needs no im2col: col is the image itself. */
#include "kernels/cpu/blas.h"
#include "nn/nn_internal.h"

#include <omp.h>
#include <string.h>

#define IM2COL(T)                                                                        \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *cs = (T *)col;                                                                \
        const int64_t HW = g->OH * g->OW, L = g->OD * HW, kk = g->kd * g->kh * g->kw;    \
        for (int64_t r = 0; r < C * kk; r++) {                                           \
            int64_t c = r / kk, a = (r / (g->kh * g->kw)) % g->kd;                       \
            int64_t i = (r / g->kw) % g->kh, j = r % g->kw;                              \
            int64_t off = j * g->dw - g->pw;                                             \
            for (int64_t od = 0; od < g->OD; od++) {                                     \
                int64_t id = od * g->sd - g->pd + a * g->dd;                             \
                T *dst = cs + r * L + od * HW;                                           \
                if (id < 0 || id >= g->D) {                                              \
                    for (int64_t l = 0; l < HW; l++) dst[l] = 0;                         \
                    continue;                                                            \
                }                                                                        \
                const T *xp = xs + (c * g->D + id) * g->H * g->W;                        \
                for (int64_t oh = 0; oh < g->OH; oh++) {                                 \
                    int64_t ih = oh * g->sh - g->ph + i * g->dh;                         \
                    T *d = dst + oh * g->OW;                                             \
                    if (ih < 0 || ih >= g->H) {                                          \
                        for (int64_t ow = 0; ow < g->OW; ow++) d[ow] = 0;                \
                        continue;                                                        \
                    }                                                                    \
                    const T *xr = xp + ih * g->W;                                        \
                    if (g->sw == 1 && off >= 0 && off + g->OW <= g->W) {                 \
                        for (int64_t ow = 0; ow < g->OW; ow++) d[ow] = xr[ow + off];     \
                    } else if (g->sw == 1) {                                             \
                        /* interior [lo, hi) copied, the padded ends zeroed */           \
                        int64_t lo = off < 0 ? -off : 0, hi = g->W - off;                \
                        if (hi > g->OW) hi = g->OW;                                      \
                        if (lo > hi) lo = hi;                                            \
                        for (int64_t ow = 0; ow < lo; ow++) d[ow] = 0;                   \
                        for (int64_t ow = lo; ow < hi; ow++) d[ow] = xr[ow + off];       \
                        for (int64_t ow = hi; ow < g->OW; ow++) d[ow] = 0;               \
                    } else {                                                             \
                        for (int64_t ow = 0; ow < g->OW; ow++) {                         \
                            int64_t iw = ow * g->sw + off;                               \
                            d[ow] = (iw >= 0 && iw < g->W) ? xr[iw] : (T)0;              \
                        }                                                                \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

/* One image x [C, D, H, W] (contiguous) into col [C*kd*kh*kw][OD*OH*OW]. */
static void im2col(ct_dtype dt, const void *x, int64_t C, const ct_win3d *g, void *col) {
    if (dt == CT_FLOAT32) IM2COL(float);
    else IM2COL(double);
}

#define COL2IM(T)                                                                        \
    do {                                                                                 \
        const T *cs = (const T *)col;                                                    \
        T *xs = (T *)x;                                                                  \
        const int64_t HW = g->OH * g->OW, L = g->OD * HW, kk = g->kd * g->kh * g->kw;    \
        memset(xs, 0, (size_t)(C * g->D * g->H * g->W) * sizeof(T));                     \
        for (int64_t r = 0; r < C * kk; r++) {                                           \
            int64_t c = r / kk, a = (r / (g->kh * g->kw)) % g->kd;                       \
            int64_t i = (r / g->kw) % g->kh, j = r % g->kw;                              \
            int64_t off = j * g->dw - g->pw;                                             \
            for (int64_t od = 0; od < g->OD; od++) {                                     \
                int64_t id = od * g->sd - g->pd + a * g->dd;                             \
                if (id < 0 || id >= g->D) continue;                                      \
                T *xp = xs + (c * g->D + id) * g->H * g->W;                              \
                const T *src = cs + r * L + od * HW;                                     \
                for (int64_t oh = 0; oh < g->OH; oh++) {                                 \
                    int64_t ih = oh * g->sh - g->ph + i * g->dh;                         \
                    if (ih < 0 || ih >= g->H) continue;                                  \
                    const T *s = src + oh * g->OW;                                       \
                    T *xr = xp + ih * g->W;                                              \
                    if (g->sw == 1) {                                                    \
                        int64_t lo = off < 0 ? -off : 0, hi = g->W - off;                \
                        if (hi > g->OW) hi = g->OW;                                      \
                        for (int64_t ow = lo; ow < hi; ow++) xr[ow + off] += s[ow];      \
                    } else {                                                             \
                        for (int64_t ow = 0; ow < g->OW; ow++) {                         \
                            int64_t iw = ow * g->sw + off;                               \
                            if (iw >= 0 && iw < g->W) xr[iw] += s[ow];                   \
                        }                                                                \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

/* The adjoint of im2col: x [C, D, H, W] = the sum of col's entries onto the
 * pixels they were read from (x is overwritten). */
static void col2im(ct_dtype dt, const void *col, int64_t C, const ct_win3d *g, void *x) {
    if (dt == CT_FLOAT32) COL2IM(float);
    else COL2IM(double);
}

static bool is_direct(const ct_win3d *g) {
    return g->kd == 1 && g->kh == 1 && g->kw == 1 && g->sd == 1 && g->sh == 1 && g->sw == 1 &&
           g->pd == 0 && g->ph == 0 && g->pw == 0;
}

/* Threads that take whole images: 1 when there are too few images or too
 * little work to be worth a parallel region. */
static int image_threads(int64_t N, double flops_per_image) {
    int nt = omp_get_max_threads();
    if (nt < 2 || N < nt || flops_per_image * (double)N < 2e6) return 1;
    return nt;
}

/* The GEMM view shared by the three kernels: per image and group, weight
 * [Og, K] times columns [K, L]; per = column elements of one image, img =
 * input elements of one image; nt threads take whole images. */
typedef struct conv_gemm {
    size_t es;
    int64_t Og, K, L, per, img;
    bool direct;
    int nt;
} conv_gemm;

static conv_gemm conv_gemm_of(ct_dtype dt, int64_t N, int64_t C, int64_t O, int64_t groups,
                              const ct_win3d *g) {
    conv_gemm c;
    c.es = ct_dtype_size(dt);
    c.Og = O / groups;
    c.K = C / groups * g->kd * g->kh * g->kw;
    c.L = g->OD * g->OH * g->OW;
    c.per = C * g->kd * g->kh * g->kw * c.L;
    c.img = C * g->D * g->H * g->W;
    c.direct = is_direct(g);
    c.nt = image_threads(N, 2.0 * (double)O * c.K * c.L);
    return c;
}

/* One column buffer per thread (none for a direct convolution): *buf owned. */
static int col_buffers(ct_dtype dt, int64_t N, const conv_gemm *c, ct_tensor **buf, char **bp) {
    *buf = NULL;
    if (!c->direct && N > 0) {
        *buf = ct__empty((int64_t[]){c->nt * c->per}, 1, dt);
        if (!*buf) return -1;
    }
    *bp = *buf ? ct_data_ptr(*buf) : NULL;
    return 0;
}

/* oneDNN's convolution of kind 0/1/2 (see nn_internal.h) when it is built
 * and takes the case: 1 done, 0 run im2col. A depth-1 geometry is a 2-d
 * convolution (oneDNN's 2-d kernels). */
static int via_dnnl(int kind, ct_dtype dt, const void *a, const void *b, const void *bias, void *out,
                    int64_t N, int64_t C, int64_t O, int64_t groups, const ct_win3d *g) {
#ifdef CT_HAVE_DNNL
    /* oneDNN's input gradient pads few input channels to its 16-channel
     * blocks: 4x slower than im2col for the 1-channel first layer of the
     * demo's CNN (and 1.2x faster than PyTorch's, which is oneDNN's). */
    if (kind == 1 && C / groups < 16) return 0;
    bool flat = g->D == 1 && g->OD == 1 && g->kd == 1 && g->pd == 0;
    int nd = flat ? 2 : 3, o = flat ? 1 : 0;
    if (dt == CT_FLOAT32)
        return ct__conv_dnnl(kind, nd, a, b, bias, out, N, C, O, groups,
                             (int64_t[]){g->D, g->H, g->W} + o, (int64_t[]){g->OD, g->OH, g->OW} + o,
                             (int64_t[]){g->kd, g->kh, g->kw} + o, (int64_t[]){g->sd, g->sh, g->sw} + o,
                             (int64_t[]){g->pd, g->ph, g->pw} + o, (int64_t[]){g->dd, g->dh, g->dw} + o);
#endif
    return 0;
}

int ct__conv3d_forward_kernel(ct_dtype dt, const void *x, const void *w, const void *b, void *out,
                              int64_t N, int64_t C, int64_t O, int64_t groups, const ct_win3d *g) {
    if (via_dnnl(0, dt, x, w, b, out, N, C, O, groups, g)) return 0;
    const conv_gemm c = conv_gemm_of(dt, N, C, O, groups, g);
    const size_t es = c.es;
    const int64_t Og = c.Og, K = c.K, L = c.L, per = c.per, img = c.img;
    const bool direct = c.direct;
    const int nt = c.nt;
    ct_tensor *buf;
    char *bp;
    if (col_buffers(dt, N, &c, &buf, &bp) < 0) return -1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t n = 0; n < N; n++) {
        const char *src = (const char *)x + (size_t)(n * img) * es;
        char *o = (char *)out + (size_t)(n * O * L) * es;
        if (!direct) {
            char *col = bp + (size_t)(omp_get_thread_num() * per) * es;
            im2col(dt, src, C, g, col);
            src = col;
        }
        for (int64_t gi = 0; gi < groups; gi++)
            ct__gemm(dt, 1, Og, L, K, 1.0, (const char *)w + (size_t)(gi * Og * K) * es, 0, K, 1,
                     src + (size_t)(gi * K * L) * es, 0, L, 1, 0.0,
                     o + (size_t)(gi * Og * L) * es, 0, L);
        if (b) {
            if (dt == CT_FLOAT32) {
                float *op = (float *)o;
                for (int64_t r = 0; r < O; r++)
                    for (int64_t l = 0; l < L; l++) op[r * L + l] += ((const float *)b)[r];
            } else {
                double *op = (double *)o;
                for (int64_t r = 0; r < O; r++)
                    for (int64_t l = 0; l < L; l++) op[r * L + l] += ((const double *)b)[r];
            }
        }
    }
    ct_release(buf);
    return 0;
}

int ct__conv3d_backward_input_kernel(ct_dtype dt, const void *gout, const void *w, void *dx,
                                     int64_t N, int64_t C, int64_t O, int64_t groups,
                                     const ct_win3d *g) {
    if (via_dnnl(1, dt, gout, w, NULL, dx, N, C, O, groups, g)) return 0;
    const conv_gemm c = conv_gemm_of(dt, N, C, O, groups, g);
    const size_t es = c.es;
    const int64_t Og = c.Og, K = c.K, L = c.L, per = c.per, img = c.img;
    const bool direct = c.direct;
    const int nt = c.nt;
    ct_tensor *buf;
    char *bp;
    if (col_buffers(dt, N, &c, &buf, &bp) < 0) return -1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t n = 0; n < N; n++) {
        const char *gn = (const char *)gout + (size_t)(n * O * L) * es;
        char *dst = (char *)dx + (size_t)(n * img) * es;
        char *col = direct ? dst : bp + (size_t)(omp_get_thread_num() * per) * es;
        for (int64_t gi = 0; gi < groups; gi++)
            ct__gemm(dt, 1, K, L, Og, 1.0, (const char *)w + (size_t)(gi * Og * K) * es, 0, 1, K,
                     gn + (size_t)(gi * Og * L) * es, 0, L, 1, 0.0,
                     col + (size_t)(gi * K * L) * es, 0, L);
        if (!direct) col2im(dt, col, C, g, dst);
    }
    ct_release(buf);
    return 0;
}

int ct__conv3d_backward_weight_kernel(ct_dtype dt, const void *gout, const void *x, void *dw,
                                      int64_t N, int64_t C, int64_t O, int64_t groups,
                                      const ct_win3d *g) {
    if (via_dnnl(2, dt, gout, x, NULL, dw, N, C, O, groups, g)) return 0;
    const conv_gemm c = conv_gemm_of(dt, N, C, O, groups, g);
    const size_t es = c.es;
    const int64_t Og = c.Og, K = c.K, L = c.L, per = c.per, img = c.img, wn = O * K;
    const bool direct = c.direct;
    const int nt = c.nt;
    /* per thread: a col buffer (unless direct) and a partial dW */
    int64_t slot = (direct ? 0 : per) + wn;
    ct_tensor *buf = ct__empty((int64_t[]){nt * slot > 0 ? nt * slot : 1}, 1, dt);
    if (!buf) return -1;
    char *bp = ct_data_ptr(buf);
    /* only the partial sums need zeros: the col buffers are overwritten */
    for (int t = 0; t < nt; t++) memset(bp + (size_t)(t * slot + slot - wn) * es, 0, (size_t)wn * es);
    int failed = 0;
#pragma omp parallel num_threads(nt) if (nt > 1) reduction(| : failed)
    {
        int t = omp_get_thread_num();
        char *col = bp + (size_t)(t * slot) * es, *part = col + (size_t)(slot - wn) * es;
#pragma omp for schedule(static)
        for (int64_t n = 0; n < N; n++) {
            const char *src = (const char *)x + (size_t)(n * img) * es;
            const char *gn = (const char *)gout + (size_t)(n * O * L) * es;
            if (!direct) {
                im2col(dt, src, C, g, col);
                src = col;
            }
            for (int64_t gi = 0; gi < groups; gi++)
                failed |= ct__gemm(dt, 1, Og, K, L, 1.0, gn + (size_t)(gi * Og * L) * es, 0, L,
                                   1, src + (size_t)(gi * K * L) * es, 0, 1, L, 1.0,
                                   part + (size_t)(gi * Og * K) * es, 0, K) < 0;
        }
    }
    if (failed) { /* the error was set on a worker thread */
        ct_release(buf);
        ct_set_error(CT_ERR_MEMORY, "conv backward (weight): out of memory in oneDNN's sgemm");
        return -1;
    }
    /* dw = the sum of the partials */
    if (dt == CT_FLOAT32) {
        float *d = dw;
        for (int64_t i = 0; i < wn; i++) {
            float s = 0;
            for (int t = 0; t < nt; t++) s += ((const float *)bp)[t * slot + slot - wn + i];
            d[i] = s;
        }
    } else {
        double *d = dw;
        for (int64_t i = 0; i < wn; i++) {
            double s = 0;
            for (int t = 0; t < nt; t++) s += ((const double *)bp)[t * slot + slot - wn + i];
            d[i] = s;
        }
    }
    ct_release(buf);
    return 0;
}

/* The 2-d kernels: the 3-d ones over a depth of 1. */
static ct_win3d flat(const ct_win2d *g) {
    return (ct_win3d){.D = 1, .H = g->H, .W = g->W, .OD = 1, .OH = g->OH, .OW = g->OW, .kd = 1,
                      .kh = g->kh, .kw = g->kw, .sd = 1, .sh = g->sh, .sw = g->sw, .pd = 0,
                      .ph = g->ph, .pw = g->pw, .dd = 1, .dh = g->dh, .dw = g->dw};
}

int ct__conv2d_forward_kernel(ct_dtype dt, const void *x, const void *w, const void *b, void *out,
                              int64_t N, int64_t C, int64_t O, int64_t groups, const ct_win2d *g) {
    ct_win3d g3 = flat(g);
    return ct__conv3d_forward_kernel(dt, x, w, b, out, N, C, O, groups, &g3);
}

int ct__conv2d_backward_input_kernel(ct_dtype dt, const void *gout, const void *w, void *dx,
                                     int64_t N, int64_t C, int64_t O, int64_t groups,
                                     const ct_win2d *g) {
    ct_win3d g3 = flat(g);
    return ct__conv3d_backward_input_kernel(dt, gout, w, dx, N, C, O, groups, &g3);
}

int ct__conv2d_backward_weight_kernel(ct_dtype dt, const void *gout, const void *x, void *dw,
                                      int64_t N, int64_t C, int64_t O, int64_t groups,
                                      const ct_win2d *g) {
    ct_win3d g3 = flat(g);
    return ct__conv3d_backward_weight_kernel(dt, gout, x, dw, N, C, O, groups, &g3);
}
