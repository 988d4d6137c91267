/* Reduction kernels: one driver for every reduction, two loop shapes.
 *
 *   INNER: each output folds runs along the reduced dim with the smallest
 *          stride (contiguous for a row sum or a full sum); a run is summed
 *          pairwise over 16 lanes, which vectorizes and keeps float sums as
 *          accurate as PyTorch's cascade.
 *   OUTER: the kept dim with the smallest stride is innermost (column sums):
 *          each reduced row is folded into a block of accumulators, one per
 *          output, which vectorizes across the kept dim.
 *
 * Threads split outputs, or, when there are few outputs, fixed-size chunks of
 * the reduced range whose partial results are combined in chunk order. Chunk
 * sizes depend only on the shapes, never on the thread count, so results are
 * identical for any number of threads. */
#include "internal.h"
#include "ops/reduce_internal.h"

#include <math.h>
#include <omp.h>

#define LANES 16
#define PW_LEAF 1024          /* pairwise summation leaf */
#define CHUNK 65536           /* reduced elements per parallel chunk (INNER) */
#define ROW_CHUNK_ELEMS 262144 /* input elements per parallel row chunk (OUTER) */
#define JB 1024               /* kept elements per OUTER block */

typedef void (*run_fn)(const void *x, int64_t st, int64_t n, int64_t idx0, double c, double p,
                       void *acc, int64_t *idx);
typedef void (*row_fn)(const void *x, int64_t st, int64_t n, int64_t ridx, bool first,
                       const double *c, int64_t cs, double p, void *acc, int64_t *idx);
typedef struct {
    run_fn run;
    row_fn row;
} rfns;

/* ------------------------------------------------------------ sum-like kinds */
/* CONV turns an element into ACC; EXPR maps that value v with centre c and
 * power p. */
#define DEF_SUMLIKE(NAME, T, ACC, CONV, EXPR)                                                     \
    static ACC NAME##_leaf(const T *restrict x, int64_t st, int64_t n, double c, double p) { \
        ACC a[LANES] = {0};                                                                 \
        int64_t i = 0;                                                                      \
        if (st == 1) {                                                                      \
            for (; i + LANES <= n; i += LANES)                                              \
                for (int k = 0; k < LANES; k++) {                                           \
                    ACC v = CONV(x[i + k]);                                                  \
                    a[k] += (EXPR);                                                         \
                }                                                                           \
        } else {                                                                            \
            for (; i + LANES <= n; i += LANES)                                              \
                for (int k = 0; k < LANES; k++) {                                           \
                    ACC v = CONV(x[(i + k) * st]);                                           \
                    a[k] += (EXPR);                                                         \
                }                                                                           \
        }                                                                                   \
        for (int k = 0; i < n; i++, k++) {                                                  \
            ACC v = CONV(x[i * st]);                                                         \
            a[k] += (EXPR);                                                                 \
        }                                                                                   \
        for (int w = LANES / 2; w > 0; w /= 2)                                              \
            for (int k = 0; k < w; k++) a[k] += a[k + w];                                   \
        return a[0];                                                                        \
    }                                                                                       \
    static ACC NAME##_pw(const T *x, int64_t st, int64_t n, double c, double p) {           \
        if (n <= PW_LEAF) return NAME##_leaf(x, st, n, c, p);                               \
        int64_t h = (n / 2 + LANES - 1) / LANES * LANES;                                    \
        return NAME##_pw(x, st, h, c, p) + NAME##_pw(x + h * st, st, n - h, c, p);           \
    }                                                                                       \
    static void NAME##_run(const void *x, int64_t st, int64_t n, int64_t idx0, double c,    \
                           double p, void *acc, int64_t *idx) {                             \
        *(ACC *)acc = NAME##_pw((const T *)x, st, n, c, p);                                 \
    }                                                                                       \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *restrict x = xv;                                                           \
        ACC *restrict acc = accv;                                                           \
        if (first)                                                                          \
            for (int64_t j = 0; j < n; j++) acc[j] = 0;                                     \
        if (cc) {                                                                           \
            for (int64_t j = 0; j < n; j++) {                                               \
                ACC v = CONV(x[j * st]);                                                     \
                double c = cc[j * cs];                                                      \
                (void)c;                                                                    \
                acc[j] += (EXPR);                                                           \
            }                                                                               \
        } else if (st == 1) {                                                               \
            const double c = 0;                                                             \
            (void)c;                                                                        \
            for (int64_t j = 0; j < n; j++) {                                               \
                ACC v = CONV(x[j]);                                                          \
                acc[j] += (EXPR);                                                           \
            }                                                                               \
        } else {                                                                            \
            const double c = 0;                                                             \
            (void)c;                                                                        \
            for (int64_t j = 0; j < n; j++) {                                               \
                ACC v = CONV(x[j * st]);                                                     \
                acc[j] += (EXPR);                                                           \
            }                                                                               \
        }                                                                                   \
    }

/* ------------------------------------------------------------ products */
#define DEF_PROD(NAME, T, ACC)                                                              \
    static void NAME##_run(const void *xv, int64_t st, int64_t n, int64_t idx0, double c,   \
                           double p, void *acc, int64_t *idx) {                             \
        const T *restrict x = xv;                                                           \
        ACC a[LANES];                                                                       \
        for (int k = 0; k < LANES; k++) a[k] = 1;                                           \
        int64_t i = 0;                                                                      \
        if (st == 1)                                                                        \
            for (; i + LANES <= n; i += LANES)                                              \
                for (int k = 0; k < LANES; k++) a[k] *= (ACC)x[i + k];                      \
        for (; i < n; i++) a[0] *= (ACC)x[i * st];                                          \
        for (int w = LANES / 2; w > 0; w /= 2)                                              \
            for (int k = 0; k < w; k++) a[k] *= a[k + w];                                   \
        *(ACC *)acc = a[0];                                                                 \
    }                                                                                       \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *restrict x = xv;                                                           \
        ACC *restrict acc = accv;                                                           \
        if (first)                                                                          \
            for (int64_t j = 0; j < n; j++) acc[j] = (ACC)x[j * st];                        \
        else                                                                                \
            for (int64_t j = 0; j < n; j++) acc[j] *= (ACC)x[j * st];                       \
    }

/* ------------------------------------------------------------ extremes */
/* BETTER(v, a): v replaces the current a. NaN wins in floating kinds. */
#define FMAX_BETTER(v, a) ((v) > (a) || (v) != (v))
#define FMIN_BETTER(v, a) ((v) < (a) || (v) != (v))
#define IMAX_BETTER(v, a) ((v) > (a))
#define IMIN_BETTER(v, a) ((v) < (a))
/* Strict variants for the arg kinds: the first NaN and the first extreme win. */
#define FAMAX_BETTER(v, a) ((v) > (a) || ((v) != (v) && (a) == (a)))
#define FAMIN_BETTER(v, a) ((v) < (a) || ((v) != (v) && (a) == (a)))
#define MAP_ID(v) (v)
#define MAP_ABS(v) fabs(v)

#define DEF_EXT(NAME, T, ACC, MAP, BETTER)                                                  \
    static void NAME##_run(const void *xv, int64_t st, int64_t n, int64_t idx0, double c,   \
                           double p, void *acc, int64_t *idx) {                             \
        const T *restrict x = xv;                                                           \
        ACC a[LANES];                                                                       \
        for (int k = 0; k < LANES; k++) a[k] = MAP((ACC)x[0]);                              \
        int64_t i = 0;                                                                      \
        if (st == 1)                                                                        \
            for (; i + LANES <= n; i += LANES)                                              \
                for (int k = 0; k < LANES; k++) {                                           \
                    ACC v = MAP((ACC)x[i + k]);                                             \
                    a[k] = BETTER(v, a[k]) ? v : a[k];                                      \
                }                                                                           \
        for (; i < n; i++) {                                                                \
            ACC v = MAP((ACC)x[i * st]);                                                    \
            a[0] = BETTER(v, a[0]) ? v : a[0];                                              \
        }                                                                                   \
        for (int k = 1; k < LANES; k++) a[0] = BETTER(a[k], a[0]) ? a[k] : a[0];            \
        *(ACC *)acc = a[0];                                                                 \
    }                                                                                       \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *restrict x = xv;                                                           \
        ACC *restrict acc = accv;                                                           \
        if (first) {                                                                        \
            for (int64_t j = 0; j < n; j++) acc[j] = MAP((ACC)x[j * st]);                   \
        } else {                                                                            \
            for (int64_t j = 0; j < n; j++) {                                               \
                ACC v = MAP((ACC)x[j * st]);                                                \
                acc[j] = BETTER(v, acc[j]) ? v : acc[j];                                    \
            }                                                                               \
        }                                                                                   \
    }

#define DEF_ARG(NAME, T, ACC, BETTER)                                                       \
    static void NAME##_run(const void *xv, int64_t st, int64_t n, int64_t idx0, double c,   \
                           double p, void *acc, int64_t *idx) {                             \
        const T *restrict x = xv;                                                           \
        ACC best = (ACC)x[0];                                                               \
        int64_t bi = 0;                                                                     \
        for (int64_t i = 1; i < n; i++) {                                                   \
            ACC v = (ACC)x[i * st];                                                         \
            if (BETTER(v, best)) {                                                          \
                best = v;                                                                   \
                bi = i;                                                                     \
            }                                                                               \
        }                                                                                   \
        *(ACC *)acc = best;                                                                 \
        *idx = idx0 + bi;                                                                   \
    }                                                                                       \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *restrict x = xv;                                                           \
        ACC *restrict acc = accv;                                                           \
        if (first) {                                                                        \
            for (int64_t j = 0; j < n; j++) {                                               \
                acc[j] = (ACC)x[j * st];                                                    \
                idx[j] = ridx;                                                              \
            }                                                                               \
        } else {                                                                            \
            for (int64_t j = 0; j < n; j++) {                                               \
                ACC v = (ACC)x[j * st];                                                     \
                bool b = BETTER(v, acc[j]);                                                 \
                acc[j] = b ? v : acc[j];                                                    \
                idx[j] = b ? ridx : idx[j];                                                 \
            }                                                                               \
        }                                                                                   \
    }

/* ------------------------------------------------------------ instances */
#define TO_F64(t) ((double)(t))
#define TO_U64(t) ((uint64_t)(t)) /* integers wrap like int64 */
#define IS_NZ(t) ((uint64_t)((t) != 0))

#define DEF_FLOAT_KINDS(TN, T)                                                              \
    DEF_SUMLIKE(sum_##TN, T, double, TO_F64, v)                                             \
    DEF_SUMLIKE(sqdev_##TN, T, double, TO_F64, (v - c) * (v - c))                           \
    DEF_SUMLIKE(expdev_##TN, T, double, TO_F64, exp(v - c))                                 \
    DEF_SUMLIKE(abs_##TN, T, double, TO_F64, fabs(v))                                       \
    DEF_SUMLIKE(pow_##TN, T, double, TO_F64, pow(fabs(v), p))                               \
    DEF_SUMLIKE(nz_##TN, T, uint64_t, IS_NZ, v)                                             \
    DEF_PROD(prod_##TN, T, double)                                                          \
    DEF_EXT(max_##TN, T, double, MAP_ID, FMAX_BETTER)                                       \
    DEF_EXT(min_##TN, T, double, MAP_ID, FMIN_BETTER)                                       \
    DEF_EXT(absmax_##TN, T, double, MAP_ABS, FMAX_BETTER)                                   \
    DEF_EXT(absmin_##TN, T, double, MAP_ABS, FMIN_BETTER)                                   \
    DEF_ARG(argmax_##TN, T, double, FAMAX_BETTER)                                           \
    DEF_ARG(argmin_##TN, T, double, FAMIN_BETTER)

#define DEF_INT_KINDS(TN, T)                                                                \
    DEF_SUMLIKE(sum_##TN, T, uint64_t, TO_U64, v)                                           \
    DEF_SUMLIKE(nz_##TN, T, uint64_t, IS_NZ, v)                                             \
    DEF_PROD(prod_##TN, T, uint64_t)                                                        \
    DEF_EXT(max_##TN, T, int64_t, MAP_ID, IMAX_BETTER)                                      \
    DEF_EXT(min_##TN, T, int64_t, MAP_ID, IMIN_BETTER)                                      \
    DEF_ARG(argmax_##TN, T, int64_t, IMAX_BETTER)                                           \
    DEF_ARG(argmin_##TN, T, int64_t, IMIN_BETTER)

DEF_FLOAT_KINDS(f32, float)
DEF_FLOAT_KINDS(f64, double)
DEF_INT_KINDS(b, bool)
DEF_INT_KINDS(u8, uint8_t)
DEF_INT_KINDS(i8, int8_t)
DEF_INT_KINDS(i16, int16_t)
DEF_INT_KINDS(i32, int32_t)
DEF_INT_KINDS(i64, int64_t)

#define F(NAME) {NAME##_run, NAME##_row}
#define FLOAT_COL(TN)                                                                       \
    {F(sum_##TN), F(sqdev_##TN), F(expdev_##TN), F(abs_##TN), F(pow_##TN), F(nz_##TN),     \
     F(prod_##TN), F(max_##TN), F(min_##TN), F(absmax_##TN), F(absmin_##TN),               \
     F(argmax_##TN), F(argmin_##TN)}
#define INT_COL(TN)                                                                         \
    {F(sum_##TN), {0}, {0}, {0}, {0}, F(nz_##TN), F(prod_##TN), F(max_##TN), F(min_##TN),  \
     {0}, {0}, F(argmax_##TN), F(argmin_##TN)}

/* table[dtype][kind] */
static const rfns table[CT_NUM_DTYPES][CT_RK_NKINDS] = {
    [CT_BOOL] = INT_COL(b),     [CT_UINT8] = INT_COL(u8),   [CT_INT8] = INT_COL(i8),
    [CT_INT16] = INT_COL(i16),  [CT_INT32] = INT_COL(i32),  [CT_INT64] = INT_COL(i64),
    [CT_FLOAT32] = FLOAT_COL(f32), [CT_FLOAT64] = FLOAT_COL(f64),
};

/* Folds the later partial (b, bi) into the earlier one (a, ai). */
static void combine(ct_rkind k, bool isint, void *a, int64_t *ai, const void *b, int64_t bi) {
    if (isint) {
        if (k == CT_RK_SUM || k == CT_RK_NZ) {
            *(uint64_t *)a += *(const uint64_t *)b;
        } else if (k == CT_RK_PROD) {
            *(uint64_t *)a *= *(const uint64_t *)b;
        } else {
            int64_t x = *(int64_t *)a, y = *(const int64_t *)b;
            bool take = (k == CT_RK_MAX || k == CT_RK_ARGMAX) ? y > x : y < x;
            if (take) {
                *(int64_t *)a = y;
                if (ai) *ai = bi;
            }
        }
        return;
    }
    double x = *(double *)a, y = *(const double *)b;
    switch (k) {
    case CT_RK_PROD: *(double *)a = x * y; return;
    case CT_RK_MAX: case CT_RK_ABSMAX: case CT_RK_ARGMAX:
    case CT_RK_MIN: case CT_RK_ABSMIN: case CT_RK_ARGMIN: {
        bool mx = k == CT_RK_MAX || k == CT_RK_ABSMAX || k == CT_RK_ARGMAX;
        bool take = !isnan(x) && (isnan(y) || (mx ? y > x : y < x));
        if (take) {
            *(double *)a = y;
            if (ai) *ai = bi;
        }
        return;
    }
    default: *(double *)a = x + y; return;
    }
}

/* ------------------------------------------------------------ the plan */
typedef struct {
    int nk, nr;
    int64_t ks[CT_MAX_DIMS], kst[CT_MAX_DIMS], kos[CT_MAX_DIMS]; /* kept: size, in/out stride */
    int64_t rs[CT_MAX_DIMS], rst[CT_MAX_DIMS];                   /* reduced: size, stride */
    int64_t nout, nred;
    const char *base;
    int64_t isz;
    const rfns *f;
    ct_rkind kind;
    bool isint;
    double p;
    const double *centre;
} rplan;

static int64_t absi(int64_t v) { return v < 0 ? -v : v; }

/* Sorts dims by |stride| (innermost first, stable) when sort is set, and
 * merges neighbours that step evenly (in the output too, when os is given).
 * Returns the new count. */
static int sort_coalesce(int n, int64_t *sz, int64_t *st, int64_t *os, bool sort) {
    for (int i = 1; i < n && sort; i++)
        for (int j = i; j > 0 && absi(st[j]) < absi(st[j - 1]); j--) {
            int64_t t = sz[j]; sz[j] = sz[j - 1]; sz[j - 1] = t;
            t = st[j]; st[j] = st[j - 1]; st[j - 1] = t;
            if (os) { t = os[j]; os[j] = os[j - 1]; os[j - 1] = t; }
        }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && st[i] == st[m - 1] * sz[m - 1] && (!os || os[i] == os[m - 1] * sz[m - 1])) {
            sz[m - 1] *= sz[i];
            continue;
        }
        sz[m] = sz[i];
        st[m] = st[i];
        if (os) os[m] = os[i];
        m++;
    }
    return m;
}

/* Input offset (elements) of output o, using kept dims from `from` on. */
static int64_t kept_off(const rplan *pl, int64_t o, int from) {
    int64_t off = 0;
    for (int d = from; d < pl->nk; d++) off += (o / pl->kos[d]) % pl->ks[d] * pl->kst[d];
    return off;
}

/* INNER: folds the reduced elements [b, e) (flat, innermost reduced dim
 * fastest) starting at base into *acc / *idx. */
static void inner_range(const rplan *pl, const char *base, int64_t b, int64_t e, double c,
                        void *acc, int64_t *idx) {
    int64_t ri[CT_MAX_DIMS], off = 0, rest = b;
    for (int d = 0; d < pl->nr; d++) {
        ri[d] = rest % pl->rs[d];
        rest /= pl->rs[d];
        off += ri[d] * pl->rst[d];
    }
    bool first = true;
    int64_t pos = b;
    while (pos < e) {
        int64_t n = pl->rs[0] - ri[0];
        if (n > e - pos) n = e - pos;
        uint64_t ra;
        int64_t rix = 0;
        pl->f->run(base + off * pl->isz, pl->rst[0], n, pos, c, pl->p, &ra, &rix);
        if (first) {
            memcpy(acc, &ra, 8);
            *idx = rix;
            first = false;
        } else {
            combine(pl->kind, pl->isint, acc, idx, &ra, rix);
        }
        pos += n;
        off += n * pl->rst[0];
        ri[0] += n;
        if (ri[0] < pl->rs[0]) continue;
        off -= pl->rs[0] * pl->rst[0];
        ri[0] = 0;
        for (int d = 1; d < pl->nr; d++) {
            ri[d]++;
            off += pl->rst[d];
            if (ri[d] < pl->rs[d]) break;
            off -= pl->rs[d] * pl->rst[d];
            ri[d] = 0;
        }
    }
}

static bool may_thread(int64_t work) { return work >= CT_GRAIN && !omp_in_parallel(); }

static int run_inner(const rplan *pl, void *accv, int64_t *idx) {
    char *acc = accv;
    if (pl->nred >= 2 * CHUNK && pl->nout <= 64) {
        int64_t nch = (pl->nred + CHUNK - 1) / CHUNK;
        uint64_t *part = malloc(sizeof(uint64_t) * (size_t)nch);
        int64_t *pidx = malloc(sizeof(int64_t) * (size_t)nch);
        if (!part || !pidx) {
            free(part);
            free(pidx);
            ct_set_error(CT_ERR_MEMORY, "reduce: out of memory");
            return -1;
        }
        for (int64_t o = 0; o < pl->nout; o++) {
            const char *base = pl->base + kept_off(pl, o, 0) * pl->isz;
            double c = pl->centre ? pl->centre[o] : 0;
#pragma omp parallel for schedule(static) if (may_thread(pl->nred))
            for (int64_t ch = 0; ch < nch; ch++) {
                int64_t e = (ch + 1) * CHUNK;
                inner_range(pl, base, ch * CHUNK, e < pl->nred ? e : pl->nred, c, &part[ch],
                            &pidx[ch]);
            }
            int64_t bi = pidx[0];
            for (int64_t ch = 1; ch < nch; ch++)
                combine(pl->kind, pl->isint, &part[0], &bi, &part[ch], pidx[ch]);
            memcpy(acc + 8 * o, &part[0], 8);
            if (idx) idx[o] = bi;
        }
        free(part);
        free(pidx);
        return 0;
    }
    /* Many outputs: threads take contiguous ranges of outputs and walk the
     * kept dims (in output order) with an odometer. */
#pragma omp parallel if (pl->nout > 1 && may_thread(pl->nout * pl->nred))
    {
        int T = omp_get_num_threads(), tid = omp_get_thread_num();
        int64_t per = (pl->nout + T - 1) / T, b = tid * per;
        int64_t e = b + per < pl->nout ? b + per : pl->nout;
        int64_t ki[CT_MAX_DIMS], off = 0, rest = b;
        for (int d = 0; d < pl->nk; d++) {
            ki[d] = rest % pl->ks[d];
            rest /= pl->ks[d];
            off += ki[d] * pl->kst[d];
        }
        for (int64_t o = b; o < e; o++) {
            const char *base = pl->base + off * pl->isz;
            double c = pl->centre ? pl->centre[o] : 0;
            int64_t ix = 0;
            if (pl->nr == 1) pl->f->run(base, pl->rst[0], pl->rs[0], 0, c, pl->p, acc + 8 * o, &ix);
            else inner_range(pl, base, 0, pl->nred, c, acc + 8 * o, &ix);
            if (idx) idx[o] = ix;
            for (int d = 0; d < pl->nk; d++) {
                ki[d]++;
                off += pl->kst[d];
                if (ki[d] < pl->ks[d]) break;
                off -= pl->ks[d] * pl->kst[d];
                ki[d] = 0;
            }
        }
    }
    return 0;
}

/* Column sums of contiguous rows, four rows per pass: a quarter of the
 * accumulator traffic, and four memory streams in flight. */
#define DEF_COLSUM(NAME, T)                                                                 \
    static void NAME(const char *x, int64_t rstride, int64_t nrows, int64_t n, bool first,  \
                     double *restrict acc) {                                                \
        if (first)                                                                          \
            for (int64_t j = 0; j < n; j++) acc[j] = 0;                                     \
        int64_t r = 0;                                                                      \
        for (; r + 4 <= nrows; r += 4) {                                                    \
            const T *restrict a = (const T *)(x + r * rstride);                             \
            const T *restrict b = (const T *)(x + (r + 1) * rstride);                       \
            const T *restrict c = (const T *)(x + (r + 2) * rstride);                       \
            const T *restrict d = (const T *)(x + (r + 3) * rstride);                       \
            for (int64_t j = 0; j < n; j++)                                                 \
                acc[j] += ((double)a[j] + (double)b[j]) + ((double)c[j] + (double)d[j]);    \
        }                                                                                   \
        for (; r < nrows; r++) {                                                            \
            const T *restrict a = (const T *)(x + r * rstride);                             \
            for (int64_t j = 0; j < n; j++) acc[j] += (double)a[j];                         \
        }                                                                                   \
    }
DEF_COLSUM(colsum_f32, float)
DEF_COLSUM(colsum_f64, double)

/* OUTER: folds reduced rows [rb, re) into acc[0..jn) for the kept block
 * starting at input offset off0 (elements) and output index o0. */
static void outer_rows(const rplan *pl, int64_t off0, int64_t o0, int64_t jn, int64_t rb,
                       int64_t re, void *acc, int64_t *idx) {
    int64_t ri[CT_MAX_DIMS], off = 0, rest = rb;
    for (int d = 0; d < pl->nr; d++) {
        ri[d] = rest % pl->rs[d];
        rest /= pl->rs[d];
        off += ri[d] * pl->rst[d];
    }
    const double *c = pl->centre ? pl->centre + o0 : NULL;
    if (pl->nr == 1 && pl->kind == CT_RK_SUM && pl->kst[0] == 1 &&
        (pl->f == &table[CT_FLOAT32][CT_RK_SUM] || pl->f == &table[CT_FLOAT64][CT_RK_SUM])) {
        const char *x = pl->base + (off0 + off) * pl->isz;
        if (pl->isz == 4) colsum_f32(x, pl->rst[0] * 4, re - rb, jn, true, acc);
        else colsum_f64(x, pl->rst[0] * 8, re - rb, jn, true, acc);
        return;
    }
    for (int64_t r = rb; r < re; r++) {
        pl->f->row(pl->base + (off0 + off) * pl->isz, pl->kst[0], jn, r, r == rb, c, pl->kos[0],
                   pl->p, acc, idx);
        for (int d = 0; d < pl->nr; d++) {
            ri[d]++;
            off += pl->rst[d];
            if (ri[d] < pl->rs[d]) break;
            off -= pl->rs[d] * pl->rst[d];
            ri[d] = 0;
        }
    }
}

static int run_outer(const rplan *pl, void *accv, int64_t *idx) {
    char *acc = accv;
    int64_t K0 = pl->ks[0], os0 = pl->kos[0], nouter = pl->nout / K0;
    int64_t njb = (K0 + JB - 1) / JB;
    int64_t rch = ROW_CHUNK_ELEMS / K0;
    if (rch < 16) rch = 16;
    if (nouter * njb < 16 && pl->nred >= 2 * rch) {
        /* Few kept columns, many rows: chunks of rows with partial results. */
        int64_t nch = (pl->nred + rch - 1) / rch;
        int64_t ntask = nouter * nch;
        uint64_t *part = malloc(sizeof(uint64_t) * (size_t)(ntask * K0));
        int64_t *pidx = idx ? malloc(sizeof(int64_t) * (size_t)(ntask * K0)) : NULL;
        if (!part || (idx && !pidx)) {
            free(part);
            free(pidx);
            ct_set_error(CT_ERR_MEMORY, "reduce: out of memory");
            return -1;
        }
#pragma omp parallel for schedule(static) if (may_thread(pl->nout * pl->nred))
        for (int64_t t = 0; t < ntask; t++) {
            int64_t q = t / nch, ch = t % nch;
            int64_t o0 = 0, rest = q;
            for (int d = 1; d < pl->nk; d++) {
                o0 += rest % pl->ks[d] * pl->kos[d];
                rest /= pl->ks[d];
            }
            int64_t e = (ch + 1) * rch;
            outer_rows(pl, kept_off(pl, o0, 1), o0, K0, ch * rch, e < pl->nred ? e : pl->nred,
                       part + t * K0, pidx ? pidx + t * K0 : NULL);
        }
        for (int64_t q = 0; q < nouter; q++) {
            int64_t o0 = 0, rest = q;
            for (int d = 1; d < pl->nk; d++) {
                o0 += rest % pl->ks[d] * pl->kos[d];
                rest /= pl->ks[d];
            }
            uint64_t *p0 = part + q * nch * K0;
            int64_t *i0 = pidx ? pidx + q * nch * K0 : NULL;
            for (int64_t ch = 1; ch < nch; ch++)
                for (int64_t j = 0; j < K0; j++)
                    combine(pl->kind, pl->isint, &p0[j], i0 ? &i0[j] : NULL, &p0[ch * K0 + j],
                            i0 ? i0[ch * K0 + j] : 0);
            for (int64_t j = 0; j < K0; j++) {
                memcpy(acc + 8 * (o0 + j * os0), &p0[j], 8);
                if (idx) idx[o0 + j * os0] = i0[j];
            }
        }
        free(part);
        free(pidx);
        return 0;
    }
    int64_t ntask = nouter * njb;
#pragma omp parallel for schedule(static) if (ntask > 1 && may_thread(pl->nout * pl->nred))
    for (int64_t t = 0; t < ntask; t++) {
        uint64_t la[JB];
        int64_t li[JB];
        int64_t q = t / njb, j0 = (t % njb) * JB;
        int64_t jn = K0 - j0 < JB ? K0 - j0 : JB;
        int64_t o0 = 0, rest = q;
        for (int d = 1; d < pl->nk; d++) {
            o0 += rest % pl->ks[d] * pl->kos[d];
            rest /= pl->ks[d];
        }
        int64_t off0 = kept_off(pl, o0, 1) + j0 * pl->kst[0];
        o0 += j0 * os0;
        outer_rows(pl, off0, o0, jn, 0, pl->nred, la, idx ? li : NULL);
        for (int64_t j = 0; j < jn; j++) {
            memcpy(acc + 8 * (o0 + j * os0), &la[j], 8);
            if (idx) idx[o0 + j * os0] = li[j];
        }
    }
    return 0;
}

int ct__reduce_kernel(const ct_tensor *x, const bool *mask, ct_rkind kind, double p,
                      const double *centre, void *acc, int64_t *idx) {
    rplan pl;
    memset(&pl, 0, sizeof pl);
    if ((unsigned)x->dtype >= CT_NUM_DTYPES || !table[x->dtype][kind].run) {
        ct_set_error(CT_ERR_NOT_IMPL, "reduce: kernel %d not implemented for dtype %s", (int)kind,
                     ct_dtype_name(x->dtype));
        return -1;
    }
    pl.f = &table[x->dtype][kind];
    pl.kind = kind;
    pl.isint = ct__rk_int_acc(kind, x->dtype);
    pl.p = p;
    pl.centre = centre;
    pl.base = ct_data_ptr(x);
    pl.isz = (int64_t)ct_dtype_size(x->dtype);
    int64_t os = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        int64_t s = x->sizes[d];
        if (s == 1) continue;
        if (mask[d]) {
            pl.rs[pl.nr] = s;
            pl.rst[pl.nr++] = x->strides[d];
        } else {
            pl.ks[pl.nk] = s;
            pl.kst[pl.nk] = x->strides[d];
            pl.kos[pl.nk++] = os;
            os *= s;
        }
    }
    pl.nr = sort_coalesce(pl.nr, pl.rs, pl.rst, NULL, true);
    if (pl.nr == 0) {
        pl.rs[0] = 1;
        pl.rst[0] = 0;
        pl.nr = 1;
    }
    pl.nout = ct__shape_numel(pl.ks, pl.nk);
    pl.nred = ct__shape_numel(pl.rs, pl.nr);
    if (pl.nout == 0 || pl.nred == 0) return 0;
    /* OUTER when the kept dim with the smallest stride is more inner than
     * every reduced dim and long enough to vectorize over, or when each
     * output folds only a few elements (a block of outputs then stays in
     * cache while its rows are folded). INNER otherwise. */
    int kmin = -1;
    for (int d = 0; d < pl.nk; d++)
        if (kmin < 0 || absi(pl.kst[d]) < absi(pl.kst[kmin])) kmin = d;
    bool outer = kmin >= 0 && ((absi(pl.kst[kmin]) < absi(pl.rst[0]) && pl.ks[kmin] >= 16) ||
                               (pl.nred <= 16 && pl.nout >= 256));
    pl.nk = sort_coalesce(pl.nk, pl.ks, pl.kst, pl.kos, outer);
    return outer ? run_outer(&pl, acc, idx) : run_inner(&pl, acc, idx);
}
