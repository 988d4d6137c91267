/* The normalisation kernels, written once and compiled per dtype: norm.c
 * includes this file with T (the element type) and SUF (a name suffix)
 * defined. Every buffer is contiguous. Statistics accumulate in double;
 * the per-channel / per-row scalars are cast to T once, so the inner loops
 * are one multiply-add per element in T, which the compiler vectorizes.
 *
 * Shapes: batch, group and instance norm see x as [N, C, S] (S the product
 * of the trailing dims); layer norm sees x as [R, D] (D the normalised
 * elements). */
#define FN_(name, suf) name##_##suf
#define FN2(name, suf) FN_(name, suf)
#define FN(name) FN2(name, SUF)

/* Mean and biased variance of nb blocks of L elements, block k at
 * x + k * bstride. float: one pass over the data, shifted by the first
 * element (the shifted-data algorithm; the double sums keep far more digits
 * than float has). double: two passes (mean, then squared deviations). */
/* s1 += sum(p - x0), s2 += sum((p - x0)^2) over L elements. The block
 * helpers are kept out of line and uncloned: GCC's constant-propagated
 * clones of them (nb = 1) lost the vectorization of the omp simd loops. */
static NOCLONE void FN(shifted_sums)(const T *restrict p, int64_t L, double x0, double *s1,
                                     double *s2) {
    double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
    for (int64_t i = 0; i < L; i++) {
        double d = (double)p[i] - x0;
        a += d;
        b += d * d;
    }
    *s1 += a, *s2 += b;
}

static void FN(moments)(const T *x, int64_t nb, int64_t bstride, int64_t L, double *mean,
                        double *var) {
    int64_t n = nb * L;
    if (n == 0) {
        *mean = NAN, *var = NAN;
        return;
    }
    if (sizeof(T) == sizeof(float)) {
        const double x0 = (double)x[0];
        double s1 = 0, s2 = 0;
        for (int64_t k = 0; k < nb; k++) FN(shifted_sums)(x + k * bstride, L, x0, &s1, &s2);
        double m1 = s1 / (double)n, v = s2 / (double)n - m1 * m1;
        *mean = x0 + m1;
        *var = v > 0 ? v : 0;
        return;
    }
    double s = 0, q = 0, unused = 0;
    for (int64_t k = 0; k < nb; k++) FN(shifted_sums)(x + k * bstride, L, 0.0, &s, &unused);
    const double m = s / (double)n;
    for (int64_t k = 0; k < nb; k++) FN(shifted_sums)(x + k * bstride, L, m, &unused, &q);
    *mean = m;
    *var = q / (double)n;
}

/* sum(g) and sum(g * (x - m)) over one block of L elements, added to *sg, *sgx. */
static NOCLONE void FN(grad_block)(const T *restrict g, const T *restrict x, int64_t L, double m,
                                   double *sg, double *sgx) {
    double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
    for (int64_t i = 0; i < L; i++) {
        double gi = (double)g[i];
        a += gi;
        b += gi * ((double)x[i] - m);
    }
    *sg += a, *sgx += b;
}

/* The same over nb blocks, block k at offset k * bstride. */
static void FN(grad_sums)(const T *g, const T *x, int64_t nb, int64_t bstride, int64_t L,
                          double m, double *sg, double *sgx) {
    *sg = 0, *sgx = 0;
    for (int64_t k = 0; k < nb; k++) FN(grad_block)(g + k * bstride, x + k * bstride, L, m, sg, sgx);
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

/* Per row, with u = w g: dx = rstd (u - sum(u)/D - xhat sum(u xhat)/D),
 * xhat = (x - mean) rstd. dw = sum_r g xhat, db = sum_r g: per-thread
 * partial sums in ws (2 D doubles per thread of nt), reduced at the end. */
static void FN(ln_backward)(const T *g, const T *x, T *dx, int64_t R, int64_t D, const T *w,
                            const double *mean, const double *rstd, double *dw, double *db,
                            double *ws, int nt) {
    const double Dd = (double)D;
    memset(ws, 0, sizeof(double) * 2 * (size_t)D * (size_t)nt);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *pw = ws + 2 * D * tid, *pb = pw + D;
#pragma omp for schedule(static)
        for (int64_t r = 0; r < R; r++) {
            const T *gr = g + r * D, *xr = x + r * D;
            const double m = mean[r], s = rstd[r];
            if (dw || db) {
                const double sm = -m * s;
#pragma omp simd
                for (int64_t i = 0; i < D; i++) {
                    double gi = (double)gr[i];
                    pw[i] += gi * ((double)xr[i] * s + sm);
                    pb[i] += gi;
                }
            }
            if (!dx) continue;
            double su = 0, sux = 0;
            if (w) {
#pragma omp simd reduction(+ : su, sux)
                for (int64_t i = 0; i < D; i++) {
                    double u = (double)gr[i] * (double)w[i];
                    su += u;
                    sux += u * ((double)xr[i] - m);
                }
            } else {
                FN(grad_sums)(gr, xr, 1, 0, D, m, &su, &sux);
            }
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
    }
    for (int64_t i = 0; i < D; i++) {
        double s1 = 0, s2 = 0;
        for (int t = 0; t < nt; t++) s1 += ws[2 * D * t + i], s2 += ws[2 * D * t + D + i];
        if (dw) dw[i] = s1;
        if (db) db[i] = s2;
    }
}

#undef PAR_IF
#undef FN
#undef FN2
#undef FN_
