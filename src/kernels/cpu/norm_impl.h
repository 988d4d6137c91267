/* The normalisation kernels, written once and compiled per dtype: norm.c
 * includes this file with T (the element type) and SUF (a name suffix)
 * defined. Every buffer is contiguous. Statistics accumulate in T over
 * short chunks and in double across them (see VW below);
 * the per-channel / per-row scalars are cast to T once, so the inner loops
 * are one multiply-add per element in T, which the compiler vectorizes.
 *
 * Shapes: batch, group and instance norm see x as [N, C, S] (S the product
 * of the trailing dims); layer norm sees x as [R, D] (D the normalised
 * elements). */
#define FN_(name, suf) name##_##suf
#define FN2(name, suf) FN_(name, suf)
#define FN(name) FN2(name, SUF)

/* Sums run in T over chunks of at most CHUNK elements, in four vector
 * accumulators of VW lanes (GCC vector types: 32 bytes, one AVX2 register
 * each, so no add waits on the previous one), and each chunk's sums are
 * added into double: a float sum never runs over more than CHUNK / (4 VW)
 * terms per lane, and the totals keep double's digits. */
#define VW ((int)(32 / sizeof(T)))
#define CHUNK 2048
typedef T FN(vec) __attribute__((vector_size(32)));

static inline FN(vec) FN(vld)(const T *p) {
    FN(vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline T FN(vsum)(FN(vec) v) {
    T s = 0;
    for (int j = 0; j < VW; j++) s += v[j];
    return s;
}

/* sum(p - c) over L <= CHUNK elements, in T (c near the values: the sum
 * then keeps the digits of their spread, not of their offset). */
static inline T FN(csum)(const T *restrict p, int64_t L, T c) {
    FN(vec) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int64_t i = 0;
    for (; i + 4 * VW <= L; i += 4 * VW) {
        a0 += FN(vld)(p + i) - c, a1 += FN(vld)(p + i + VW) - c;
        a2 += FN(vld)(p + i + 2 * VW) - c, a3 += FN(vld)(p + i + 3 * VW) - c;
    }
    for (; i + VW <= L; i += VW) a0 += FN(vld)(p + i) - c;
    T s = FN(vsum)((a0 + a1) + (a2 + a3));
    for (; i < L; i++) s += p[i] - c;
    return s;
}

/* sum((p - c)^2) over L <= CHUNK elements, in T. */
static inline T FN(csq)(const T *restrict p, int64_t L, T c) {
    FN(vec) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, d0, d1, d2, d3;
    int64_t i = 0;
    for (; i + 4 * VW <= L; i += 4 * VW) {
        d0 = FN(vld)(p + i) - c, d1 = FN(vld)(p + i + VW) - c;
        d2 = FN(vld)(p + i + 2 * VW) - c, d3 = FN(vld)(p + i + 3 * VW) - c;
        a0 += d0 * d0, a1 += d1 * d1, a2 += d2 * d2, a3 += d3 * d3;
    }
    for (; i + VW <= L; i += VW) {
        d0 = FN(vld)(p + i) - c;
        a0 += d0 * d0;
    }
    T s = FN(vsum)((a0 + a1) + (a2 + a3));
    for (; i < L; i++) s += (p[i] - c) * (p[i] - c);
    return s;
}

/* sum(u) and sum(u (x - c)) over L <= CHUNK elements in T, u = g w (w may
 * be NULL: u = g). Out of line: inlined into the OpenMP bodies, GCC kept
 * an accumulator on the stack. */
static NOCLONE void FN(cgrad)(const T *restrict g, const T *restrict x, const T *restrict w,
                              int64_t L, T c, T *sg, T *sgx) {
    FN(vec) a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, u0, u1;
    int64_t i = 0;
    if (w) {
        for (; i + 2 * VW <= L; i += 2 * VW) {
            u0 = FN(vld)(g + i) * FN(vld)(w + i), u1 = FN(vld)(g + i + VW) * FN(vld)(w + i + VW);
            a0 += u0, a1 += u1;
            b0 += u0 * (FN(vld)(x + i) - c), b1 += u1 * (FN(vld)(x + i + VW) - c);
        }
    } else {
        for (; i + 2 * VW <= L; i += 2 * VW) {
            u0 = FN(vld)(g + i), u1 = FN(vld)(g + i + VW);
            a0 += u0, a1 += u1;
            b0 += u0 * (FN(vld)(x + i) - c), b1 += u1 * (FN(vld)(x + i + VW) - c);
        }
    }
    T s = FN(vsum)(a0 + a1), t = FN(vsum)(b0 + b1);
    for (; i < L; i++) {
        T u = w ? g[i] * w[i] : g[i];
        s += u, t += u * (x[i] - c);
    }
    *sg = s, *sgx = t;
}

/* Running (count, mean, sum of squared deviations) in double; a chunk's
 * own mean and deviations are computed from the chunk (two passes over it
 * while it is in L1) and merged with Chan et al.'s formula. */
typedef struct FN(mom_acc) {
    double n, mean, m2;
} FN(mom_acc);

static void FN(mom_add)(FN(mom_acc) *a, const T *restrict p, int64_t L) {
    for (int64_t i = 0; i < L; i += CHUNK) {
        int64_t nc = L - i < CHUNK ? L - i : CHUNK;
        /* shifted by the mean so far (the chunk's first element at first) */
        const T sh = a->n > 0 ? (T)a->mean : p[i];
        double s = (double)FN(csum)(p + i, nc, sh), dn = (double)nc;
        double mc = (double)sh + s / dn;
        T ct = (T)mc;
        /* deviations from the rounded mean ct: remove the offset's share */
        double off = s + dn * ((double)sh - (double)ct);
        double q = (double)FN(csq)(p + i, nc, ct) - off * off / dn;
        double n = a->n + dn, d = mc - a->mean;
        a->mean += d * dn / n;
        a->m2 += q + d * d * a->n * dn / n;
        a->n = n;
    }
}

/* Mean and biased variance of nb blocks of L elements, block k at
 * x + k * bstride. */
static void FN(moments)(const T *x, int64_t nb, int64_t bstride, int64_t L, double *mean,
                        double *var) {
    if (nb * L == 0) {
        *mean = NAN, *var = NAN;
        return;
    }
    FN(mom_acc) a = {0, 0, 0};
    for (int64_t k = 0; k < nb; k++) FN(mom_add)(&a, x + k * bstride, L);
    *mean = a.mean;
    *var = a.m2 > 0 ? a.m2 / a.n : 0;
}

/* sum(g) and sum(g * (x - m)) over nb blocks of L elements, block k at
 * offset k * bstride: sums of g (x - (T)m) in T per chunk, then the
 * rounding of m corrected in double. */
static void FN(grad_sums)(const T *g, const T *x, int64_t nb, int64_t bstride, int64_t L,
                          double m, double *sg, double *sgx) {
    const T mt = (T)m;
    double a = 0, b = 0;
    for (int64_t k = 0; k < nb; k++)
        for (int64_t i = 0; i < L; i += CHUNK) {
            int64_t nc = L - i < CHUNK ? L - i : CHUNK;
            T s, t;
            FN(cgrad)(g + k * bstride + i, x + k * bstride + i, NULL, nc, mt, &s, &t);
            a += (double)s, b += (double)t;
        }
    *sg = a;
    *sgx = b + ((double)mt - m) * a;
}

/* y = x * a + c over L elements. */
static NOCLONE void FN(axpc)(const T *restrict x, T *restrict y, int64_t L, T a, T c) {
#pragma omp simd
    for (int64_t i = 0; i < L; i++) y[i] = x[i] * a + c;
}

/* dx = g * a + x * p + q over L elements. */
static NOCLONE void FN(gxpq)(const T *restrict g, const T *restrict x, T *restrict dx, int64_t L,
                            T a, T p, T q) {
#pragma omp simd
    for (int64_t i = 0; i < L; i++) dx[i] = g[i] * a + x[i] * p + q;
}

/* threads only above the grain (each loop names its element count work) */
#define PAR_IF _Pragma("omp parallel for schedule(static) if (work >= CT_GRAIN)")

/* ------------------------------------------------------------ batch norm */
/* Training: per channel c, mean/var over N x S, then y = x * a + c with
 * a = invstd * w[c], c = b[c] - mean * a, while the channel is still in
 * cache. Eval (stats given in mean/invstd, var NULL): the same pass. */
static void FN(bn_forward)(const T *x, T *y, int64_t N, int64_t C, int64_t S, const double *w,
                           const double *b, double eps, bool training, double *mean,
                           double *var, double *invstd) {
    int64_t work = N * C * S;
    PAR_IF
    for (int64_t c = 0; c < C; c++) {
        if (training) {
            FN(moments)(x + c * S, N, C * S, S, &mean[c], &var[c]);
            invstd[c] = 1.0 / sqrt(var[c] + eps);
        }
        double a = invstd[c] * (w ? w[c] : 1.0);
        double sh = (b ? b[c] : 0.0) - mean[c] * a;
        for (int64_t n = 0; n < N; n++)
            FN(axpc)(x + (n * C + c) * S, y + (n * C + c) * S, S, (T)a, (T)sh);
    }
}

/* Per channel: sg = sum(g), sgx = sum(g (x - mean)) over N x S; then
 * training: dx = w invstd (g - sg/M - (x - mean) invstd^2 sgx/M);
 * eval: dx = w invstd g. dw[c] = sgx invstd, db[c] = sg (each may be
 * NULL, and dx may be NULL). */
static void FN(bn_backward)(const T *g, const T *x, T *dx, int64_t N, int64_t C, int64_t S,
                            const double *w, const double *mean, const double *invstd,
                            bool training, double *dw, double *db) {
    int64_t work = N * C * S;
    const double M = (double)(N * S);
    PAR_IF
    for (int64_t c = 0; c < C; c++) {
        double sg = 0, sgx = 0, r = invstd[c], m = mean[c];
        if (dw || db || (dx && training))
            FN(grad_sums)(g + c * S, x + c * S, N, C * S, S, m, &sg, &sgx);
        if (dw) dw[c] = sgx * r;
        if (db) db[c] = sg;
        if (!dx) continue;
        double a = r * (w ? w[c] : 1.0), p = 0, q = 0;
        if (training) {
            p = -a * r * r * sgx / M;
            q = -p * m - a * sg / M;
        }
        for (int64_t n = 0; n < N; n++) {
            int64_t o = (n * C + c) * S;
            FN(gxpq)(g + o, x + o, dx + o, S, (T)a, (T)p, (T)q);
        }
    }
}

/* Short channel runs (S small: [N, C] inputs of BatchNorm1d): the block
 * loops above would run a few elements per call. Here x is N rows of
 * K = C S columns and every pass runs along rows, vectorized across the
 * columns [k0, k1) of whole channels [c0, c1); column statistics combine
 * per channel. col: scratch of 2 K doubles; at, bt: K elements of T. */
static void FN(bn_forward_cols)(const T *x, T *y, int64_t N, int64_t C, int64_t S, int64_t c0,
                                int64_t c1, const double *w, const double *b, double eps,
                                bool training, double *mean, double *var, double *invstd,
                                double *col, T *at, T *bt) {
    const int64_t K = C * S, k0 = c0 * S, k1 = c1 * S;
    double *s1 = col, *s2 = col + K;
    if (training) {
        const T *sh = x; /* row 0 shifts its columns */
        for (int64_t k = k0; k < k1; k++) s1[k] = s2[k] = 0;
        for (int64_t n = 0; n < N; n++) {
            const T *r = x + n * K;
#pragma omp simd
            for (int64_t k = k0; k < k1; k++) {
                double d = (double)r[k] - (double)sh[k];
                s1[k] += d;
                s2[k] += d * d;
            }
        }
        const double M = (double)(N * S);
        for (int64_t c = c0; c < c1; c++) {
            double t = 0;
            for (int64_t j = c * S; j < (c + 1) * S; j++) t += s1[j] + (double)N * (double)sh[j];
            double m = t / M, q = 0;
            for (int64_t j = c * S; j < (c + 1) * S; j++) {
                double e = (double)sh[j] - m;
                q += s2[j] + 2 * e * s1[j] + (double)N * e * e;
            }
            mean[c] = m, var[c] = q > 0 ? q / M : 0;
            invstd[c] = 1.0 / sqrt(var[c] + eps);
        }
    }
    for (int64_t c = c0; c < c1; c++) {
        double a = invstd[c] * (w ? w[c] : 1.0), sh = (b ? b[c] : 0.0) - mean[c] * a;
        for (int64_t j = c * S; j < (c + 1) * S; j++) at[j] = (T)a, bt[j] = (T)sh;
    }
    for (int64_t n = 0; n < N; n++) {
        const T *r = x + n * K;
        T *o = y + n * K;
#pragma omp simd
        for (int64_t k = k0; k < k1; k++) o[k] = r[k] * at[k] + bt[k];
    }
}

/* The backward of the same layout: column sums of g and g (x - mean),
 * combined per channel, then dx = g a + x p + q along the rows. */
static void FN(bn_backward_cols)(const T *g, const T *x, T *dx, int64_t N, int64_t C, int64_t S,
                                 int64_t c0, int64_t c1, const double *w, const double *mean,
                                 const double *invstd, bool training, double *dw, double *db,
                                 double *col, T *at, T *bt, T *ct) {
    const int64_t K = C * S, k0 = c0 * S, k1 = c1 * S;
    const double M = (double)(N * S);
    double *sg = col, *sgx = col + K;
    for (int64_t c = c0; c < c1; c++)
        for (int64_t j = c * S; j < (c + 1) * S; j++) bt[j] = (T)mean[c];
    for (int64_t k = k0; k < k1; k++) sg[k] = sgx[k] = 0;
    if (dw || db || (dx && training))
        for (int64_t n = 0; n < N; n++) {
            const T *gr = g + n * K, *xr = x + n * K;
#pragma omp simd
            for (int64_t k = k0; k < k1; k++) {
                double gi = (double)gr[k];
                sg[k] += gi;
                sgx[k] += gi * ((double)xr[k] - (double)bt[k]);
            }
        }
    for (int64_t c = c0; c < c1; c++) {
        double a1 = 0, a2 = 0, r = invstd[c], m = mean[c];
        for (int64_t j = c * S; j < (c + 1) * S; j++) a1 += sg[j], a2 += sgx[j];
        /* the shift was mean rounded to T: correct sum(g (x - mean)) */
        a2 -= a1 * (m - (double)(T)m);
        if (dw) dw[c] = a2 * r;
        if (db) db[c] = a1;
        double a = r * (w ? w[c] : 1.0), p = 0, q = 0;
        if (training) {
            p = -a * r * r * a2 / M;
            q = -p * m - a * a1 / M;
        }
        for (int64_t j = c * S; j < (c + 1) * S; j++) at[j] = (T)a, bt[j] = (T)p, ct[j] = (T)q;
    }
    if (!dx) return;
    for (int64_t n = 0; n < N; n++) {
        const T *gr = g + n * K, *xr = x + n * K;
        T *o = dx + n * K;
#pragma omp simd
        for (int64_t k = k0; k < k1; k++) o[k] = gr[k] * at[k] + xr[k] * bt[k] + ct[k];
    }
}

/* The column drivers: whole channels split across threads. tmp holds 3 K
 * elements of T. */
static void FN(bn_forward_small)(const T *x, T *y, int64_t N, int64_t C, int64_t S,
                                 const double *w, const double *b, double eps, bool training,
                                 double *mean, double *var, double *invstd, double *col, T *tmp) {
    int64_t work = N * C * S, K = C * S;
    int64_t nch = work >= CT_GRAIN ? ct_get_num_threads() : 1;
    nch = nch < C ? nch : C;
    PAR_IF
    for (int64_t j = 0; j < nch; j++)
        FN(bn_forward_cols)(x, y, N, C, S, C * j / nch, C * (j + 1) / nch, w, b, eps, training,
                            mean, var, invstd, col, tmp, tmp + K);
}

static void FN(bn_backward_small)(const T *g, const T *x, T *dx, int64_t N, int64_t C, int64_t S,
                                  const double *w, const double *mean, const double *invstd,
                                  bool training, double *dw, double *db, double *col, T *tmp) {
    int64_t work = N * C * S, K = C * S;
    int64_t nch = work >= CT_GRAIN ? ct_get_num_threads() : 1;
    nch = nch < C ? nch : C;
    PAR_IF
    for (int64_t j = 0; j < nch; j++)
        FN(bn_backward_cols)(g, x, dx, N, C, S, C * j / nch, C * (j + 1) / nch, w, mean, invstd,
                             training, dw, db, col, tmp, tmp + K, tmp + 2 * K);
}

/* ------------------------------------------------------------ group norm */
/* Per (n, group): mean/rstd over the group's Cg = C/G channels x S (one
 * contiguous block); y = x * a_c + c_c per channel. var (biased, [N*G]) may
 * be NULL; instance norm (G = C) keeps it for the running statistics. */
static void FN(gn_forward)(const T *x, T *y, int64_t N, int64_t C, int64_t S, int64_t G,
                           const double *w, const double *b, double eps, double *mean,
                           double *rstd, double *var) {
    int64_t Cg = C / G, work = N * C * S;
    PAR_IF
    for (int64_t k = 0; k < N * G; k++) {
        double m, v;
        const T *xk = x + k * Cg * S;
        FN(moments)(xk, 1, 0, Cg * S, &m, &v);
        double r = 1.0 / sqrt(v + eps);
        mean[k] = m, rstd[k] = r;
        if (var) var[k] = v;
        int64_t c0 = (k % G) * Cg;
        for (int64_t j = 0; j < Cg; j++) {
            double a = r * (w ? w[c0 + j] : 1.0);
            double sh = (b ? b[c0 + j] : 0.0) - m * a;
            FN(axpc)(xk + j * S, y + k * Cg * S + j * S, S, (T)a, (T)sh);
        }
    }
}

/* Per (n, group), with per channel sg_c = sum(g), sgx_c = sum(g (x - mean))
 * over S: sw = sum_c w_c sg_c, swx = sum_c w_c sgx_c (over the group), and
 * dx = rstd (w_c g - sw/L - (x - mean) rstd^2 swx/L), L = Cg S.
 * dw_c = sum_n rstd sgx_c, db_c = sum_n sg_c; ws is scratch of 2 N C
 * doubles (the per-sample channel sums, reduced over n at the end). */
static void FN(gn_backward)(const T *g, const T *x, T *dx, int64_t N, int64_t C, int64_t S,
                            int64_t G, const double *w, const double *mean, const double *rstd,
                            double *dw, double *db, double *ws) {
    int64_t Cg = C / G, work = N * C * S;
    const double L = (double)(Cg * S);
    double *psg = ws, *psgx = ws + N * C;
    PAR_IF
    for (int64_t k = 0; k < N * G; k++) {
        double m = mean[k], r = rstd[k], sw = 0, swx = 0;
        int64_t n = k / G, c0 = (k % G) * Cg;
        const T *gk = g + k * Cg * S, *xk = x + k * Cg * S;
        for (int64_t j = 0; j < Cg; j++) {
            double sg, sgx, wc = w ? w[c0 + j] : 1.0;
            FN(grad_sums)(gk + j * S, xk + j * S, 1, 0, S, m, &sg, &sgx);
            psg[n * C + c0 + j] = sg, psgx[n * C + c0 + j] = sgx * r;
            sw += wc * sg, swx += wc * sgx;
        }
        if (!dx) continue;
        double p = -r * r * r * swx / L, q = -p * m - r * sw / L;
        for (int64_t j = 0; j < Cg; j++) {
            double a = r * (w ? w[c0 + j] : 1.0);
            FN(gxpq)(gk + j * S, xk + j * S, dx + k * Cg * S + j * S, S, (T)a, (T)p, (T)q);
        }
    }
    for (int64_t c = 0; c < C; c++) {
        double s1 = 0, s2 = 0;
        for (int64_t n = 0; n < N; n++) s1 += psg[n * C + c], s2 += psgx[n * C + c];
        if (db) db[c] = s1;
        if (dw) dw[c] = s2;
    }
}

/* ------------------------------------------------------------ layer norm */
/* Per row: mean/rstd over D, y = (x - mean) rstd w + b (w, b [D] in T or
 * NULL). */
static void FN(ln_forward)(const T *x, T *y, int64_t R, int64_t D, const T *w, const T *b,
                           double eps, double *mean, double *rstd) {
    int64_t work = R * D;
    PAR_IF
    for (int64_t r = 0; r < R; r++) {
        double m, v;
        const T *xr = x + r * D;
        T *yr = y + r * D;
        FN(moments)(xr, 1, 0, D, &m, &v);
        double s = 1.0 / sqrt(v + eps);
        mean[r] = m, rstd[r] = s;
        const T a = (T)s, c = (T)(-m * s);
        if (w && b) {
#pragma omp simd
            for (int64_t i = 0; i < D; i++) yr[i] = (xr[i] * a + c) * w[i] + b[i];
        } else if (w) {
#pragma omp simd
            for (int64_t i = 0; i < D; i++) yr[i] = (xr[i] * a + c) * w[i];
        } else if (b) {
#pragma omp simd
            for (int64_t i = 0; i < D; i++) yr[i] = (xr[i] * a + c) + b[i];
        } else {
            FN(axpc)(xr, yr, D, a, c);
        }
    }
}

/* pw += tw, pb += tb (T partials into double), then tw = tb = 0. */
static void FN(ln_flush)(double *restrict pw, double *restrict pb, T *restrict tw,
                         T *restrict tb, int64_t D) {
    for (int64_t i = 0; i < D; i++) {
        pw[i] += (double)tw[i], pb[i] += (double)tb[i];
        tw[i] = tb[i] = 0;
    }
}

/* A row's sum(u) and sum(u (x - m)), u = w g (w may be NULL): T per chunk
 * against (T)m, the rounding of m corrected in double. */
static void FN(row_usums)(const T *restrict g, const T *restrict x, const T *restrict w,
                          int64_t D, double m, double *su, double *sux) {
    const T mt = (T)m;
    double a = 0, b = 0;
    for (int64_t i0 = 0; i0 < D; i0 += CHUNK) {
        int64_t nc = D - i0 < CHUNK ? D - i0 : CHUNK;
        T s, t;
        FN(cgrad)(g + i0, x + i0, w ? w + i0 : NULL, nc, mt, &s, &t);
        a += (double)s, b += (double)t;
    }
    *su = a;
    *sux = b + ((double)mt - m) * a;
}

/* Per row, with u = w g: dx = rstd (u - sum(u)/D - xhat sum(u xhat)/D),
 * xhat = (x - mean) rstd. dw = sum_r g xhat, db = sum_r g: per-thread
 * partial sums, added in T over LN_FLUSH rows and then into double; ws
 * holds 4 D doubles per thread of nt (2 D double partials, 2 D T ones),
 * reduced at the end. */
#define LN_FLUSH 32
static void FN(ln_backward)(const T *g, const T *x, T *dx, int64_t R, int64_t D, const T *w,
                            const double *mean, const double *rstd, double *dw, double *db,
                            double *ws, int nt) {
    const double Dd = (double)D;
    const bool acc = dw || db;
    memset(ws, 0, sizeof(double) * 4 * (size_t)D * (size_t)nt);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *pw = ws + 4 * D * tid, *pb = pw + D;
        T *tw = (T *)(pb + D), *tb = tw + D;
        int rows = 0;
#pragma omp for schedule(static)
        for (int64_t r = 0; r < R; r++) {
            const T *gr = g + r * D, *xr = x + r * D;
            const double m = mean[r], s = rstd[r];
            if (acc) {
                const T st = (T)s, sm = (T)(-m * s);
#pragma omp simd
                for (int64_t i = 0; i < D; i++) {
                    tw[i] += gr[i] * (xr[i] * st + sm);
                    tb[i] += gr[i];
                }
                if (++rows == LN_FLUSH) {
                    FN(ln_flush)(pw, pb, tw, tb, D);
                    rows = 0;
                }
            }
            if (!dx) continue;
            double su, sux;
            FN(row_usums)(gr, xr, w, D, m, &su, &sux);
            const double p = -s * s * s * sux / Dd, q = -p * m - s * su / Dd;
            T *dr = dx + r * D;
            const T a = (T)s, pt = (T)p, qt = (T)q;
            if (w) {
#pragma omp simd
                for (int64_t i = 0; i < D; i++) dr[i] = gr[i] * w[i] * a + xr[i] * pt + qt;
            } else {
                FN(gxpq)(gr, xr, dr, D, a, pt, qt);
            }
        }
        if (acc && rows) FN(ln_flush)(pw, pb, tw, tb, D);
    }
    for (int64_t i = 0; i < D; i++) {
        double s1 = 0, s2 = 0;
        for (int t = 0; t < nt; t++) s1 += ws[4 * D * t + i], s2 += ws[4 * D * t + D + i];
        if (dw) dw[i] = s1;
        if (db) db[i] = s2;
    }
}
#undef LN_FLUSH

#undef PAR_IF
#undef VW
#undef CHUNK
#undef FN
#undef FN2
#undef FN_
