/* Reduction kernels: one driver for every reduction, two loop shapes.
 *
 *   INNER: each output folds runs along the reduced dim with the smallest
 *          stride (contiguous for a row sum or a full sum). float32/float64
 *          sums run as a cascade in float lanes (see "float sums" below),
 *          the other sum-like kinds pairwise over 32 lanes of double
 *          accumulators, extremes on vector registers.
 *   OUTER: the kept dim with the smallest stride is innermost (column sums):
 *          rows are folded into a block of accumulators, one per output,
 *          vectorized across the kept dim, four rows at a time.
 *
 * Threads split outputs, or, when there are few outputs, fixed-size chunks of
 * the reduced range whose partial results are combined in chunk order
 * (pairwise for sums). Chunk sizes depend only on the shapes, never on the
 * thread count, so results are identical for any number of threads. The
 * chunks are split statically: each thread streams one contiguous range,
 * the same range call after call, as PyTorch splits. On this VM a core
 * reads 8 MB it cached itself at ~300 GB/s and 8 MB the other core cached
 * at ~70 GB/s, so a repeated reduction keeps its data near its thread. */
#include "internal.h"
#include "ops/reduce_internal.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <sleef.h>

#define LANES 16
#define SL_LANES 32 /* sum-like kinds: eight double vector accumulators */
#define PW_LEAF 1024          /* pairwise summation leaf */
#define CHUNK 32768           /* reduced elements per parallel chunk (INNER) */
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
#define DEF_SUMLIKE_RUN(NAME, T, ACC, CONV, EXPR)                                           \
    static ACC NAME##_leaf(const T *restrict x, int64_t st, int64_t n, double c, double p) { \
        ACC a[SL_LANES] = {0};                                                                 \
        int64_t i = 0;                                                                      \
        if (st == 1) {                                                                      \
            for (; i + SL_LANES <= n; i += SL_LANES)                                              \
                for (int k = 0; k < SL_LANES; k++) {                                           \
                    ACC v = CONV(x[i + k]);                                                  \
                    a[k] += (EXPR);                                                         \
                }                                                                           \
        } else {                                                                            \
            for (; i + SL_LANES <= n; i += SL_LANES)                                              \
                for (int k = 0; k < SL_LANES; k++) {                                           \
                    ACC v = CONV(x[(i + k) * st]);                                           \
                    a[k] += (EXPR);                                                         \
                }                                                                           \
        }                                                                                   \
        for (int k = 0; i < n; i++, k++) {                                                  \
            ACC v = CONV(x[i * st]);                                                         \
            a[k] += (EXPR);                                                                 \
        }                                                                                   \
        for (int w = SL_LANES / 2; w > 0; w /= 2)                                              \
            for (int k = 0; k < w; k++) a[k] += a[k + w];                                   \
        return a[0];                                                                        \
    }                                                                                       \
    static ACC NAME##_pw(const T *x, int64_t st, int64_t n, double c, double p) {           \
        if (n <= PW_LEAF) return NAME##_leaf(x, st, n, c, p);                               \
        int64_t h = (n / 2 + SL_LANES - 1) / SL_LANES * SL_LANES;                                    \
        return NAME##_pw(x, st, h, c, p) + NAME##_pw(x + h * st, st, n - h, c, p);           \
    }                                                                                       \
    static void NAME##_run(const void *x, int64_t st, int64_t n, int64_t idx0, double c,    \
                           double p, void *acc, int64_t *idx) {                             \
        *(ACC *)acc = NAME##_pw((const T *)x, st, n, c, p);                                 \
    }
#define DEF_SUMLIKE(NAME, T, ACC, CONV, EXPR)                                               \
    DEF_SUMLIKE_RUN(NAME, T, ACC, CONV, EXPR)                                               \
    DEF_SUMLIKE_ROW(NAME, T, ACC, CONV, EXPR)

/* ------------------------------------------------------------ float sums */
/* One AVX2 register of each type (GCC vector extensions). */
typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef double f64x4 __attribute__((vector_size(32)));
typedef int64_t i64x4 __attribute__((vector_size(32)));
typedef float f32x4 __attribute__((vector_size(16)));

/* sum and mean of float32 and float64 (and var's first pass) run as a
 * cascade. A block of BLOCK elements is folded in the element type into
 * eight vector accumulators (64 float lanes or 32 double lanes; no add waits
 * for the previous one, and float32 moves twice the elements per
 * instruction of the double lanes the other kinds use): each lane adds 16
 * (float32) or 64 (float64) elements in order. The accumulators are then
 * widened to double and combined pairwise, and the block sums pairwise in
 * double. The float32 error is that of 16-term float sums; PyTorch's float
 * cascade adds 16 terms at every level, one level per factor of 16 in the
 * length (on 16M values of varied magnitude our error is ~4x smaller). The
 * per-block step is written on vectors: the same step through arrays of
 * lanes went through the stack and cost a third of the loop. Strided runs
 * and tails add in double. */
#define FSUM_ACC 8
/* A vector accumulator as four doubles: float32's two halves widened and
 * added, float64's as it is. */
static inline void widen_f32(const f32x8 *a, f64x4 *d) {
#if defined(__AVX2__)
    __m256 v;
    memcpy(&v, a, sizeof v);
    __m256d w = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                              _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    memcpy(d, &w, sizeof w);
#else
    f32x4 h[2];
    memcpy(h, a, sizeof h);
    *d = __builtin_convertvector(h[0], f64x4) + __builtin_convertvector(h[1], f64x4);
#endif
}
static inline void widen_f64(const f64x4 *a, f64x4 *d) { *d = *a; }

#define DEF_FSUM(NAME, T, VT, WIDEN, BLOCK)                                                 \
    static double NAME##_blk(const T *restrict x, int64_t st, int64_t n) {                 \
        enum { W = sizeof(VT) / sizeof(T) };                                                \
        double r[4] = {0};                                                                  \
        int64_t i = 0;                                                                      \
        if (st == 1 && n >= W * FSUM_ACC) {                                                 \
            VT a[FSUM_ACC];                                                                 \
            for (int u = 0; u < FSUM_ACC; u++) a[u] = (VT){0};                              \
            for (; i + W * FSUM_ACC <= n; i += W * FSUM_ACC)                                \
                for (int u = 0; u < FSUM_ACC; u++) {                                        \
                    VT v;                                                                   \
                    memcpy(&v, x + i + W * u, sizeof v);                                    \
                    a[u] += v;                                                              \
                }                                                                           \
            f64x4 d[FSUM_ACC];                                                              \
            for (int u = 0; u < FSUM_ACC; u++) WIDEN(&a[u], &d[u]);                         \
            for (int w = FSUM_ACC / 2; w > 0; w /= 2)                                       \
                for (int k = 0; k < w; k++) d[k] += d[k + w];                               \
            r[0] = d[0][0] + d[0][2];                                                       \
            r[1] = d[0][1] + d[0][3];                                                       \
        }                                                                                   \
        for (; i + 4 <= n; i += 4)                                                          \
            for (int k = 0; k < 4; k++) r[k] += x[(i + k) * st];                            \
        for (; i < n; i++) r[0] += x[i * st];                                               \
        return (r[0] + r[1]) + (r[2] + r[3]);                                               \
    }                                                                                       \
    static double NAME##_pw(const T *x, int64_t st, int64_t n) {                            \
        if (n <= (BLOCK)) return NAME##_blk(x, st, n);                                      \
        int64_t h = (n / 2 + (BLOCK) - 1) / (BLOCK) * (BLOCK);                              \
        return NAME##_pw(x, st, h) + NAME##_pw(x + h * st, st, n - h);                      \
    }                                                                                       \
    static void NAME##_run(const void *x, int64_t st, int64_t n, int64_t idx0, double c,    \
                           double p, void *acc, int64_t *idx) {                             \
        *(double *)acc = NAME##_pw((const T *)x, st, n);                                    \
    }

#define DEF_SUMLIKE_ROW(NAME, T, ACC, CONV, EXPR)                                           \
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

/* exp over a buffer through SLEEF's vector functions (1 ulp); libm's
 * scalar exp made logsumexp ~30x slower than a sum. */
static void exp_inplace(double *v, int64_t n) {
    int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(v + i, Sleef_expd8_u10avx512f(_mm512_loadu_pd(v + i)));
#elif defined(__AVX2__)
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(v + i, Sleef_expd4_u10avx2(_mm256_loadu_pd(v + i)));
#endif
    for (; i < n; i++) v[i] = exp(v[i]);
}

/* sum of exp(x - c) in blocks of 256 (terms are positive: a double sum in
 * eight lanes is accurate without pairing). */
#define DEF_EXPDEV(NAME, T)                                                                 \
    static void NAME##_run(const void *xv, int64_t st, int64_t n, int64_t idx0, double c,   \
                           double p, void *acc, int64_t *idx) {                             \
        const T *x = xv;                                                                    \
        double buf[256], s[8] = {0};                                                        \
        for (int64_t b0 = 0; b0 < n; b0 += 256) {                                           \
            int64_t m = n - b0 < 256 ? n - b0 : 256, i = 0;                                 \
            for (int64_t k = 0; k < m; k++) buf[k] = (double)x[(b0 + k) * st] - c;          \
            exp_inplace(buf, m);                                                            \
            for (; i + 8 <= m; i += 8)                                                      \
                for (int k = 0; k < 8; k++) s[k] += buf[i + k];                             \
            for (; i < m; i++) s[0] += buf[i];                                              \
        }                                                                                   \
        *(double *)acc = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
    }                                                                                       \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *x = xv;                                                                    \
        double *acc = accv, buf[256];                                                       \
        if (first)                                                                          \
            for (int64_t j = 0; j < n; j++) acc[j] = 0;                                     \
        for (int64_t j0 = 0; j0 < n; j0 += 256) {                                           \
            int64_t m = n - j0 < 256 ? n - j0 : 256;                                        \
            for (int64_t k = 0; k < m; k++)                                                 \
                buf[k] = (double)x[(j0 + k) * st] - (cc ? cc[(j0 + k) * cs] : 0);           \
            exp_inplace(buf, m);                                                            \
            for (int64_t k = 0; k < m; k++) acc[j0 + k] += buf[k];                          \
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
#define IMAX_BETTER(v, a) ((v) > (a))
#define IMIN_BETTER(v, a) ((v) < (a))
/* Strict variants for the arg kinds: the first NaN and the first extreme win. */
#define FAMAX_BETTER(v, a) (((v) > (a)) | (((v) != (v)) & ((a) == (a))))
#define FAMIN_BETTER(v, a) (((v) < (a)) | (((v) != (v)) & ((a) == (a))))
#define F_ISNAN(v) ((v) != (v))
#define I_ISNAN(v) 0
#define MAP_ID(v) (v)

/* Extremes fold in the element type (16 lanes), NaN-propagating for floats. */
#define DEF_EXT_BLK(NAME, T, MAP, BETTER)                                                    \
    static T NAME##_blk(const T *restrict x, int64_t st, int64_t n) {                       \
        T a[LANES];                                                                         \
        for (int k = 0; k < LANES; k++) a[k] = MAP(x[0]);                                   \
        int64_t i = 0;                                                                      \
        if (st == 1)                                                                        \
            for (; i + LANES <= n; i += LANES)                                              \
                for (int k = 0; k < LANES; k++) {                                           \
                    T v = MAP(x[i + k]);                                                    \
                    a[k] = BETTER(v, a[k]) ? v : a[k];                                      \
                }                                                                           \
        for (; i < n; i++) {                                                                \
            T v = MAP(x[i * st]);                                                           \
            a[0] = BETTER(v, a[0]) ? v : a[0];                                              \
        }                                                                                   \
        for (int k = 1; k < LANES; k++) a[0] = BETTER(a[k], a[0]) ? a[k] : a[0];            \
        return a[0];                                                                        \
    }

#define DEF_EXT_RUN(NAME, T, ACC)                                                            \
    static void NAME##_run(const void *x, int64_t st, int64_t n, int64_t idx0, double c,    \
                           double p, void *acc, int64_t *idx) {                             \
        *(ACC *)acc = (ACC)NAME##_blk((const T *)x, st, n);                                 \
    }
#define DEF_EXT_ROW(NAME, T, ACC, MAP, BETTER)                                              \
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

/* The same for float and double through GCC vector types: gcc does not
 * if-convert a floating-point select without -ffast-math, so the blend is
 * written with masks. A NaN anywhere makes the result NaN. The types are
 * one AVX2 register wide: wider GCC vectors are split, and their compares
 * were split into scalar compares and branches (amax of 16M floats took
 * 45 ms instead of ~2). Four accumulators keep four compares in flight. */

#define DEF_VEXT_BLK(NAME, T, VT, VI, W, ABSBITS, CMP)                                      \
    static T NAME##_blk(const T *restrict x, int64_t st, int64_t n) {                       \
        const VI keep = (VI){0} + (ABSBITS);                                                \
        T r = x[0];                                                                         \
        bool nan = false;                                                                   \
        int64_t i = 0;                                                                      \
        if (st == 1 && n >= 4 * W) {                                                        \
            VT a[4];                                                                        \
            VI hn = {0};                                                                    \
            for (int u = 0; u < 4; u++) {                                                   \
                memcpy(&a[u], x + u * W, sizeof a[u]);                                      \
                a[u] = (VT)((VI)a[u] & keep);                                               \
                hn |= a[u] != a[u];                                                         \
            }                                                                               \
            for (i = 4 * W; i + 4 * W <= n; i += 4 * W)                                     \
                for (int u = 0; u < 4; u++) {                                               \
                    VT v;                                                                   \
                    memcpy(&v, x + i + u * W, sizeof v);                                    \
                    v = (VT)((VI)v & keep);                                                 \
                    VI m = v CMP a[u];                                                      \
                    a[u] = (VT)(((VI)v & m) | ((VI)a[u] & ~m));                             \
                    hn |= v != v;                                                           \
                }                                                                           \
            r = a[0][0];                                                                    \
            for (int k = 0; k < W; k++) nan |= hn[k] != 0;                                  \
            for (int u = 0; u < 4; u++)                                                     \
                for (int k = 0; k < W; k++) r = a[u][k] CMP r ? a[u][k] : r;                \
        } else {                                                                            \
            T v = x[0];                                                                     \
            memcpy(&r, &v, sizeof r);                                                       \
            r = (ABSBITS) == -1 ? r : (r < 0 ? -r : r);                                     \
        }                                                                                   \
        for (; i < n; i++) {                                                                \
            T v = x[i * st];                                                                \
            if ((ABSBITS) != -1) v = v < 0 ? -v : v;                                        \
            nan |= v != v;                                                                  \
            r = v CMP r ? v : r;                                                            \
        }                                                                                   \
        return nan ? (T)NAN : r;                                                            \
    }

/* Rows of the float extremes, four double accumulators at a time; ARG
 * also keeps indices (the first extreme and the first NaN win). */
#define DEF_VEXT_ROW(NAME, T, ABSBITS, CMP, ARG)                                            \
    static void NAME##_row(const void *xv, int64_t st, int64_t n, int64_t ridx, bool first, \
                           const double *cc, int64_t cs, double p, void *accv, int64_t *idx) { \
        const T *restrict x = xv;                                                           \
        double *restrict acc = accv;                                                        \
        if (first) {                                                                        \
            for (int64_t j = 0; j < n; j++) {                                               \
                double v = (double)x[j * st];                                               \
                acc[j] = (ABSBITS) == -1 ? v : fabs(v);                                     \
                if (ARG) idx[j] = ridx;                                                     \
            }                                                                               \
            return;                                                                         \
        }                                                                                   \
        int64_t j = 0;                                                                      \
        if (st == 1) {                                                                      \
            const i64x4 keep = (i64x4){0} + (int64_t)(ABSBITS);                             \
            const i64x4 rv = (i64x4){0} + ridx;                                             \
            for (; j + 4 <= n; j += 4) {                                                    \
                f64x4 v, a;                                                                 \
                if (sizeof(T) == 4) {                                                       \
                    f32x4 t;                                                                \
                    memcpy(&t, x + j, sizeof t);                                            \
                    v = __builtin_convertvector(t, f64x4);                                  \
                } else {                                                                    \
                    memcpy(&v, x + j, sizeof v);                                            \
                }                                                                           \
                v = (f64x4)((i64x4)v & keep);                                               \
                memcpy(&a, acc + j, sizeof a);                                              \
                i64x4 m = ARG ? (v CMP a) | ((v != v) & (a == a)) : (v CMP a) | (v != v);   \
                a = (f64x4)(((i64x4)v & m) | ((i64x4)a & ~m));                              \
                memcpy(acc + j, &a, sizeof a);                                              \
                if (ARG) {                                                                  \
                    i64x4 ix;                                                               \
                    memcpy(&ix, idx + j, sizeof ix);                                        \
                    ix = (rv & m) | (ix & ~m);                                              \
                    memcpy(idx + j, &ix, sizeof ix);                                        \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        for (; j < n; j++) {                                                                \
            double v = (double)x[j * st], a = acc[j];                                       \
            if ((ABSBITS) != -1) v = fabs(v);                                               \
            bool b = ARG ? (v CMP a) || (v != v && a == a) : (v CMP a) || v != v;           \
            if (b) {                                                                        \
                acc[j] = v;                                                                 \
                if (ARG) idx[j] = ridx;                                                     \
            }                                                                               \
        }                                                                                   \
    }

/* Arg extremes: the extreme of each block of 256 (vectorized through the
 * EXT kernel); a block that beats the best so far is scanned for the first
 * position of its extreme (or of its first NaN). */
#define DEF_ARG_RUN(NAME, T, ACC, BETTER, BLK, ISNAN)                                           \
    static void NAME##_run(const void *xv, int64_t st, int64_t n, int64_t idx0, double c,   \
                           double p, void *acc, int64_t *idx) {                             \
        const T *x = xv;                                                                    \
        T best = x[0];                                                                      \
        int64_t bi = 0;                                                                     \
        for (int64_t b0 = 0; b0 < n; b0 += 256) {                                           \
            int64_t bn = n - b0 < 256 ? n - b0 : 256;                                       \
            const T *xb = x + b0 * st;                                                      \
            T bm = BLK(xb, st, bn);                                                         \
            if (b0 > 0 && !(BETTER(bm, best))) continue;                                    \
            int64_t i = 0;                                                                  \
            if (ISNAN(bm))                                                                  \
                while (i < bn - 1 && !ISNAN(xb[i * st])) i++;                               \
            else                                                                            \
                while (i < bn - 1 && xb[i * st] != bm) i++;                                 \
            best = bm;                                                                      \
            bi = b0 + i;                                                                    \
        }                                                                                   \
        *(ACC *)acc = (ACC)best;                                                            \
        *idx = idx0 + bi;                                                                   \
    }
#define DEF_ARG_ROW(NAME, T, ACC, BETTER)                                                    \
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

#define DEF_FLOAT_KINDS(TN, T, VT, VI, W, ABSB, WIDEN, SUMBLOCK)                            \
    DEF_FSUM(sum_##TN, T, VT, WIDEN, SUMBLOCK)                                              \
    DEF_SUMLIKE_ROW(sum_##TN, T, double, TO_F64, v)                                         \
    DEF_SUMLIKE(sqdev_##TN, T, double, TO_F64, (v - c) * (v - c))                           \
    DEF_EXPDEV(expdev_##TN, T)                                                              \
    DEF_SUMLIKE(abs_##TN, T, double, TO_F64, fabs(v))                                       \
    DEF_SUMLIKE(pow_##TN, T, double, TO_F64, pow(fabs(v), p))                               \
    DEF_SUMLIKE(nz_##TN, T, uint64_t, IS_NZ, v)                                             \
    DEF_PROD(prod_##TN, T, double)                                                          \
    DEF_VEXT_BLK(max_##TN, T, VT, VI, W, -1, >)                                             \
    DEF_VEXT_BLK(min_##TN, T, VT, VI, W, -1, <)                                             \
    DEF_VEXT_BLK(absmax_##TN, T, VT, VI, W, ABSB, >)                                        \
    DEF_VEXT_BLK(absmin_##TN, T, VT, VI, W, ABSB, <)                                        \
    DEF_EXT_RUN(max_##TN, T, double)                                                        \
    DEF_EXT_RUN(min_##TN, T, double)                                                        \
    DEF_EXT_RUN(absmax_##TN, T, double)                                                     \
    DEF_EXT_RUN(absmin_##TN, T, double)                                                     \
    DEF_VEXT_ROW(max_##TN, T, -1, >, 0)                                                     \
    DEF_VEXT_ROW(min_##TN, T, -1, <, 0)                                                     \
    DEF_VEXT_ROW(absmax_##TN, T, INT64_MAX, >, 0)                                           \
    DEF_VEXT_ROW(absmin_##TN, T, INT64_MAX, <, 0)                                           \
    DEF_ARG_RUN(argmax_##TN, T, double, FAMAX_BETTER, max_##TN##_blk, F_ISNAN)              \
    DEF_ARG_RUN(argmin_##TN, T, double, FAMIN_BETTER, min_##TN##_blk, F_ISNAN)              \
    DEF_VEXT_ROW(argmax_##TN, T, -1, >, 1)                                                  \
    DEF_VEXT_ROW(argmin_##TN, T, -1, <, 1)

#define DEF_INT_KINDS(TN, T)                                                                \
    DEF_SUMLIKE(sum_##TN, T, uint64_t, TO_U64, v)                                           \
    DEF_SUMLIKE(nz_##TN, T, uint64_t, IS_NZ, v)                                             \
    DEF_PROD(prod_##TN, T, uint64_t)                                                        \
    DEF_EXT_BLK(max_##TN, T, MAP_ID, IMAX_BETTER)                                           \
    DEF_EXT_BLK(min_##TN, T, MAP_ID, IMIN_BETTER)                                           \
    DEF_EXT_RUN(max_##TN, T, int64_t)                                                       \
    DEF_EXT_RUN(min_##TN, T, int64_t)                                                       \
    DEF_EXT_ROW(max_##TN, T, int64_t, MAP_ID, IMAX_BETTER)                                  \
    DEF_EXT_ROW(min_##TN, T, int64_t, MAP_ID, IMIN_BETTER)                                  \
    DEF_ARG_RUN(argmax_##TN, T, int64_t, IMAX_BETTER, max_##TN##_blk, I_ISNAN)              \
    DEF_ARG_RUN(argmin_##TN, T, int64_t, IMIN_BETTER, min_##TN##_blk, I_ISNAN)              \
    DEF_ARG_ROW(argmax_##TN, T, int64_t, IMAX_BETTER)                                       \
    DEF_ARG_ROW(argmin_##TN, T, int64_t, IMIN_BETTER)

DEF_FLOAT_KINDS(f32, float, f32x8, i32x8, 8, INT32_MAX, widen_f32, 1024)
DEF_FLOAT_KINDS(f64, double, f64x4, i64x4, 4, INT64_MAX, widen_f64, 2048)
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

/* Pairwise sum of the chunk partials of a floating sum-like kind. */
static double pairwise_f64(const double *v, int64_t n) {
    if (n <= 8) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += v[i];
        return s;
    }
    return pairwise_f64(v, n / 2) + pairwise_f64(v + n / 2, n - n / 2);
}

/* A range of chunks [front, back) packed in one word (front in the low 32
 * bits): the owner takes from the front, other threads from the back. */
#define MAX_STEAL 64
typedef struct {
    _Atomic uint64_t r;
    char pad[56]; /* one cache line per range */
} steal_range;
static bool take_chunk(_Atomic uint64_t *r, bool front, int64_t *ch) {
    uint64_t v = atomic_load_explicit(r, memory_order_relaxed);
    for (;;) {
        uint64_t f = v & 0xffffffffu, b = v >> 32;
        if (f >= b) return false;
        uint64_t nv = front ? (b << 32 | (f + 1)) : ((b - 1) << 32 | f);
        if (atomic_compare_exchange_weak_explicit(r, &v, nv, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *ch = (int64_t)(front ? f : b - 1);
            return true;
        }
    }
}
static bool may_thread(int64_t work) { return work >= CT_GRAIN && !omp_in_parallel(); }

/* INNER over the outputs [b, e), walking the kept dims (in output order)
 * with an odometer. */
static void inner_outputs(const rplan *pl, char *acc, int64_t *idx, int64_t b, int64_t e) {
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

static int run_inner(const rplan *pl, void *accv, int64_t *idx) {
    char *acc = accv;
    if (pl->nred >= 2 * CHUNK && pl->nout <= 64) {
        steal_range ranges[MAX_STEAL];
        int64_t nch = (pl->nred + CHUNK - 1) / CHUNK;
        size_t pbytes = sizeof(uint64_t) * (size_t)nch;
        uint64_t *part = ct_host_alloc(pbytes);
        int64_t *pidx = ct_host_alloc(pbytes);
        if (!part || !pidx) {
            ct_host_free(part, pbytes);
            ct_host_free(pidx, pbytes);
            ct_set_error(CT_ERR_MEMORY, "reduce: out of memory");
            return -1;
        }
        for (int64_t o = 0; o < pl->nout; o++) {
            const char *base = pl->base + kept_off(pl, o, 0) * pl->isz;
            double c = pl->centre ? pl->centre[o] : 0;
            /* Each thread streams its own contiguous range of chunks from
             * the front; a thread that is done takes chunks from the back
             * of the others' ranges. With an even static split one thread
             * often finished early (interrupts, the other core's luck with
             * the cache) and spun at the barrier: ~5% of the CPU time of a
             * 16M-element float sum. Every chunk lands in its own slot of
             * part and the slots combine in a fixed order, so the result
             * does not depend on which thread summed which chunk. */
            int T = may_thread(pl->nred) && nch <= (int64_t)UINT32_MAX ? omp_get_max_threads() : 1;
            if (T > MAX_STEAL) T = MAX_STEAL;
            for (int t = 0; t < T; t++) {
                uint64_t f = (uint64_t)(nch * t / T), e = (uint64_t)(nch * (t + 1) / T);
                atomic_init(&ranges[t].r, e << 32 | f);
            }
#pragma omp parallel num_threads(T) if (T > 1)
            {
                int tid = omp_get_thread_num();
                int64_t ch;
                for (int k = 0; k < T; k++) {
                    int t = (tid + k) % T;
                    while (take_chunk(&ranges[t].r, k == 0, &ch)) {
                        int64_t e = (ch + 1) * CHUNK;
                        inner_range(pl, base, ch * CHUNK, e < pl->nred ? e : pl->nred, c,
                                    &part[ch], &pidx[ch]);
                    }
                }
            }
            int64_t bi = pidx[0];
            if (!pl->isint && pl->kind != CT_RK_PROD && pl->kind < CT_RK_MAX) {
                double s = pairwise_f64((const double *)part, nch);
                memcpy(&part[0], &s, 8);
            } else {
                for (int64_t ch = 1; ch < nch; ch++)
                    combine(pl->kind, pl->isint, &part[0], &bi, &part[ch], pidx[ch]);
            }
            memcpy(acc + 8 * o, &part[0], 8);
            if (idx) idx[o] = bi;
        }
        ct_host_free(part, pbytes);
        ct_host_free(pidx, pbytes);
        return 0;
    }
    /* Many outputs: threads take contiguous ranges of outputs. A serial
     * call skips OpenMP entirely (an inactive parallel region still costs
     * about a microsecond). */
    if (pl->nout > 1 && may_thread(pl->nout * pl->nred)) {
#pragma omp parallel
        {
            int T = omp_get_num_threads(), tid = omp_get_thread_num();
            int64_t per = (pl->nout + T - 1) / T, b = tid * per;
            inner_outputs(pl, acc, idx, b, b + per < pl->nout ? b + per : pl->nout);
        }
    } else {
        inner_outputs(pl, acc, idx, 0, pl->nout);
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
DEF_COLSUM(colsum_f64, double)

/* float32 column sums: the same cascade as the float sums. Each column folds
 * a group of CS_ROWS rows in float ((a + b) + (c + d), four rows per pass,
 * into a float accumulator per column), and the group's sum is added to the
 * column's double accumulator: the error of a 16-row float sum, and a
 * quarter of the instructions of widening every element to double (the
 * widening made column sums of 4096x4096 ~2.5x slower than reading the
 * data). Columns go in tiles of CS_TILE so the float accumulators stay in L1. */
#define CS_ROWS 16
#define CS_TILE 2048
static void colsum_f32(const char *x, int64_t rstride, int64_t nrows, int64_t n, bool first,
                       double *restrict acc) {
    float fa[CS_TILE];
    if (first)
        for (int64_t j = 0; j < n; j++) acc[j] = 0;
    for (int64_t j0 = 0; j0 < n; j0 += CS_TILE) {
        int64_t tn = n - j0 < CS_TILE ? n - j0 : CS_TILE;
        double *restrict ac = acc + j0;
        for (int64_t r0 = 0; r0 < nrows; r0 += CS_ROWS) {
            int64_t g = nrows - r0 < CS_ROWS ? nrows - r0 : CS_ROWS, r = 0;
            const char *xr = x + r0 * rstride + j0 * 4;
            for (int64_t j = 0; j < tn; j++) fa[j] = 0;
            for (; r + 4 <= g; r += 4) {
                const float *restrict a = (const float *)(xr + r * rstride);
                const float *restrict b = (const float *)(xr + (r + 1) * rstride);
                const float *restrict c = (const float *)(xr + (r + 2) * rstride);
                const float *restrict d = (const float *)(xr + (r + 3) * rstride);
                for (int64_t j = 0; j < tn; j++) fa[j] += (a[j] + b[j]) + (c[j] + d[j]);
            }
            for (; r < g; r++) {
                const float *restrict a = (const float *)(xr + r * rstride);
                for (int64_t j = 0; j < tn; j++) fa[j] += a[j];
            }
            for (int64_t j = 0; j < tn; j++) ac[j] += (double)fa[j];
        }
    }
}

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
    /* Evenly spaced rows go four at a time over tiles of 256 columns: four
     * memory streams in flight instead of one short run per page. Each
     * column still folds its rows in order. */
    if (pl->nr == 1) {
        int64_t rs_b = pl->rst[0] * pl->isz, cs_b = pl->kst[0] * pl->isz, os0 = pl->kos[0];
        const char *x0 = pl->base + (off0 + off) * pl->isz;
        for (int64_t r = rb; r < re; r += 4) {
            int64_t g = re - r < 4 ? re - r : 4;
            for (int64_t j0 = 0; j0 < jn; j0 += 256) {
                int64_t tn = jn - j0 < 256 ? jn - j0 : 256;
                for (int64_t k = 0; k < g; k++)
                    pl->f->row(x0 + (r - rb + k) * rs_b + j0 * cs_b, pl->kst[0], tn, r + k,
                               r + k == rb, c ? c + j0 * os0 : NULL, os0, pl->p,
                               (char *)acc + 8 * j0, idx ? idx + j0 : NULL);
            }
        }
        return;
    }
    for (int64_t r = rb; r < re; r++) {
        const char *row = pl->base + (off0 + off) * pl->isz;
        pl->f->row(row, pl->kst[0], jn, r, r == rb, c, pl->kos[0], pl->p, acc, idx);
        for (int d = 0; d < pl->nr; d++) {
            ri[d]++;
            off += pl->rst[d];
            if (ri[d] < pl->rs[d]) break;
            off -= pl->rs[d] * pl->rst[d];
            ri[d] = 0;
        }
    }
}

/* OUTER task t: kept block t % njb of outer output t / njb, all rows. */
static void outer_task(const rplan *pl, char *acc, int64_t *idx, int64_t t, int64_t njb) {
    int64_t K0 = pl->ks[0], os0 = pl->kos[0];
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
        size_t pbytes = sizeof(uint64_t) * (size_t)(ntask * K0);
        uint64_t *part = ct_host_alloc(pbytes);
        int64_t *pidx = idx ? ct_host_alloc(pbytes) : NULL;
        if (!part || (idx && !pidx)) {
            ct_host_free(part, pbytes);
            ct_host_free(pidx, pbytes);
            ct_set_error(CT_ERR_MEMORY, "reduce: out of memory");
            return -1;
        }
#pragma omp parallel for schedule(dynamic) if (may_thread(pl->nout * pl->nred))
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
            if (pl->kind == CT_RK_SUM && !pl->isint) {
                /* the common case (column sums) as a loop that vectorizes */
                double *restrict d0 = (double *)p0;
                for (int64_t ch = 1; ch < nch; ch++) {
                    const double *restrict dc = (const double *)(p0 + ch * K0);
                    for (int64_t j = 0; j < K0; j++) d0[j] += dc[j];
                }
            } else {
                for (int64_t ch = 1; ch < nch; ch++)
                    for (int64_t j = 0; j < K0; j++)
                        combine(pl->kind, pl->isint, &p0[j], i0 ? &i0[j] : NULL,
                                &p0[ch * K0 + j], i0 ? i0[ch * K0 + j] : 0);
            }
            for (int64_t j = 0; j < K0; j++) {
                memcpy(acc + 8 * (o0 + j * os0), &p0[j], 8);
                if (idx) idx[o0 + j * os0] = i0[j];
            }
        }
        ct_host_free(part, pbytes);
        ct_host_free(pidx, pbytes);
        return 0;
    }
    int64_t ntask = nouter * njb;
    if (ntask > 1 && may_thread(pl->nout * pl->nred)) {
#pragma omp parallel for schedule(dynamic)
        for (int64_t t = 0; t < ntask; t++) outer_task(pl, acc, idx, t, njb);
    } else {
        for (int64_t t = 0; t < ntask; t++) outer_task(pl, acc, idx, t, njb);
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
     * every reduced dim and long enough to vectorize over (any length for
     * float column sums, which fold four rows per pass), or when each
     * output folds only a few elements (a block of outputs then stays in
     * cache while its rows are folded). INNER otherwise. */
    int kmin = -1;
    for (int d = 0; d < pl.nk; d++)
        if (kmin < 0 || absi(pl.kst[d]) < absi(pl.kst[kmin])) kmin = d;
    bool colsum = kind == CT_RK_SUM && (x->dtype == CT_FLOAT32 || x->dtype == CT_FLOAT64) &&
                  pl.nr == 1 && kmin >= 0 && pl.kst[kmin] == 1;
    bool outer = kmin >= 0 && ((absi(pl.kst[kmin]) < absi(pl.rst[0]) &&
                                (pl.ks[kmin] >= 16 || colsum)) ||
                               (pl.nred <= 16 && pl.nout >= 256));
    pl.nk = sort_coalesce(pl.nk, pl.ks, pl.kst, pl.kos, outer);
    return outer ? run_outer(&pl, acc, idx) : run_inner(&pl, acc, idx);
}
