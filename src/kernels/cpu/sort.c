/* Row sorts, one typed copy per native dtype, all stable: rows of at least
 * RADIX_MIN elements go through an LSD radix sort of order-preserving
 * unsigned keys, shorter rows through a bottom-up merge sort of (value,
 * index) pairs. topk selects with a quickselect on (value, index) and sorts
 * only the k kept. NaN orders after every number (PyTorch's rule); for
 * integer types the NaN tests fold away. Rows run in parallel above the grain. */
#include "ops/shape_internal.h"

#include <omp.h>

/* a strictly before b: ascending puts NaN last, descending puts NaN first. */
#define ASC_BEFORE(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))
#define DESC_BEFORE(a, b) ((a) > (b) || ((a) != (a) && (b) == (b)))

#define RUN 32

#define DEFINE_SORT(TN, T, BEFORE, SUF)                                                        \
    static void isort_##TN##SUF(T *k, int64_t *ix, int64_t n) {                                \
        for (int64_t i = 1; i < n; i++) {                                                      \
            T kv = k[i];                                                                       \
            int64_t iv = ix[i], j = i - 1;                                                     \
            while (j >= 0 && BEFORE(kv, k[j])) {                                               \
                k[j + 1] = k[j];                                                               \
                ix[j + 1] = ix[j];                                                             \
                j--;                                                                           \
            }                                                                                  \
            k[j + 1] = kv;                                                                     \
            ix[j + 1] = iv;                                                                    \
        }                                                                                      \
    }                                                                                          \
    /* sorts k/ix in place using tk/ti (n elements each) as scratch */                        \
    static void msort_##TN##SUF(T *k, int64_t *ix, T *tk, int64_t *ti, int64_t n) {            \
        for (int64_t s = 0; s < n; s += RUN)                                                   \
            isort_##TN##SUF(k + s, ix + s, n - s < RUN ? n - s : RUN);                         \
        T *sk = k, *dk = tk;                                                                   \
        int64_t *si = ix, *di = ti;                                                            \
        for (int64_t w = RUN; w < n; w *= 2) {                                                 \
            for (int64_t lo = 0; lo < n; lo += 2 * w) {                                        \
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;   \
                int64_t a = lo, b = mid, o = lo;                                               \
                if (mid == hi || !BEFORE(sk[mid], sk[mid - 1])) { /* already ordered */       \
                    memcpy(dk + lo, sk + lo, sizeof(T) * (size_t)(hi - lo));                   \
                    memcpy(di + lo, si + lo, sizeof(int64_t) * (size_t)(hi - lo));             \
                    continue;                                                                  \
                }                                                                              \
                while (a < mid && b < hi) {                                                    \
                    if (BEFORE(sk[b], sk[a])) {                                                \
                        dk[o] = sk[b];                                                         \
                        di[o++] = si[b++];                                                     \
                    } else {                                                                   \
                        dk[o] = sk[a];                                                         \
                        di[o++] = si[a++];                                                     \
                    }                                                                          \
                }                                                                              \
                while (a < mid) {                                                              \
                    dk[o] = sk[a];                                                             \
                    di[o++] = si[a++];                                                         \
                }                                                                              \
                while (b < hi) {                                                               \
                    dk[o] = sk[b];                                                             \
                    di[o++] = si[b++];                                                         \
                }                                                                              \
            }                                                                                  \
            T *t1 = sk; sk = dk; dk = t1;                                                      \
            int64_t *t2 = si; si = di; di = t2;                                                \
        }                                                                                      \
        if (sk != k) {                                                                         \
            memcpy(k, sk, sizeof(T) * (size_t)n);                                              \
            memcpy(ix, si, sizeof(int64_t) * (size_t)n);                                       \
        }                                                                                      \
    }

/* ---- LSD radix sort of (unsigned key, index) pairs: stable, 8-bit digits,
 * passes whose digit is the same for every key are skipped (so narrow types
 * widened to 32 bits cost one or two passes). */
#define DEFINE_RADIX(KT, NB)                                                                   \
    static void radix_##KT(KT *k, int64_t *ix, KT *tk, int64_t *ti, int64_t n) {               \
        int64_t hist[NB][256];                                                                 \
        memset(hist, 0, sizeof hist);                                                          \
        for (int64_t i = 0; i < n; i++)                                                        \
            for (int b = 0; b < NB; b++) hist[b][(k[i] >> (8 * b)) & 255]++;                   \
        KT *sk = k, *dk = tk;                                                                  \
        int64_t *si = ix, *di = ti;                                                            \
        for (int b = 0; b < NB; b++) {                                                         \
            if (hist[b][(sk[0] >> (8 * b)) & 255] == n) continue;                              \
            int64_t off[256], s = 0;                                                           \
            for (int d = 0; d < 256; d++) {                                                    \
                off[d] = s;                                                                    \
                s += hist[b][d];                                                               \
            }                                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                  \
                int64_t o = off[(sk[i] >> (8 * b)) & 255]++;                                   \
                dk[o] = sk[i];                                                                 \
                di[o] = si[i];                                                                 \
            }                                                                                  \
            KT *t1 = sk; sk = dk; dk = t1;                                                     \
            int64_t *t2 = si; si = di; di = t2;                                                \
        }                                                                                      \
        if (sk != k) {                                                                         \
            memcpy(k, sk, sizeof(KT) * (size_t)n);                                             \
            memcpy(ix, si, sizeof(int64_t) * (size_t)n);                                       \
        }                                                                                      \
    }
DEFINE_RADIX(uint32_t, 4)
DEFINE_RADIX(uint64_t, 8)

/* Order-preserving unsigned keys (ascending). NaN -> the largest key,
 * -0.0 -> +0.0 so that the two zeros stay in input order as they compare equal. */
static inline uint32_t key_b(bool v) { return v; }
static inline uint32_t key_u8(uint8_t v) { return v; }
static inline uint32_t key_i8(int8_t v) { return (uint32_t)((int32_t)v + 128); }
static inline uint32_t key_i16(int16_t v) { return (uint32_t)((int32_t)v + 32768); }
static inline uint32_t key_i32(int32_t v) { return (uint32_t)v ^ 0x80000000u; }
static inline uint64_t key_i64(int64_t v) { return (uint64_t)v ^ 0x8000000000000000ull; }
static inline uint32_t key_f32(float v) {
    if (v != v) return 0xffffffffu;
    if (v == 0) v = 0;
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
static inline uint64_t key_f64(double v) {
    if (v != v) return ~0ull;
    if (v == 0) v = 0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
}

/* Rows at least this long use the radix sort, shorter ones the merge sort. */
#define RADIX_MIN 256

/* (a, ia) strictly before (b, ib): value order, ties broken by index, so
 * selection gives the same set and order as the stable full sort. */
#define PAIR_BEFORE(BEFORE, a, ia, b, ib) (BEFORE(a, b) || (!BEFORE(b, a) && (ia) < (ib)))

#define DEFINE_SELECT(TN, T, BEFORE, SUF)                                                      \
    /* moves the kk first elements of the total order to k[0..kk) */                          \
    static void select_##TN##SUF(T *k, int64_t *ix, int64_t n, int64_t kk) {                   \
        int64_t lo = 0, hi = n - 1, want = kk - 1;                                             \
        while (hi > lo) {                                                                      \
            int64_t mid = lo + (hi - lo) / 2;                                                  \
            /* median of three as pivot */                                                     \
            int64_t a = lo, b = mid, c = hi, m;                                                \
            if (PAIR_BEFORE(BEFORE, k[a], ix[a], k[b], ix[b]))                                 \
                m = PAIR_BEFORE(BEFORE, k[b], ix[b], k[c], ix[c])                              \
                        ? b                                                                    \
                        : (PAIR_BEFORE(BEFORE, k[a], ix[a], k[c], ix[c]) ? c : a);             \
            else                                                                               \
                m = PAIR_BEFORE(BEFORE, k[a], ix[a], k[c], ix[c])                              \
                        ? a                                                                    \
                        : (PAIR_BEFORE(BEFORE, k[b], ix[b], k[c], ix[c]) ? c : b);             \
            T pv = k[m];                                                                       \
            int64_t pi = ix[m], i = lo, j = hi;                                                \
            while (i <= j) {                                                                   \
                while (PAIR_BEFORE(BEFORE, k[i], ix[i], pv, pi)) i++;                          \
                while (PAIR_BEFORE(BEFORE, pv, pi, k[j], ix[j])) j--;                          \
                if (i <= j) {                                                                  \
                    T tv = k[i]; k[i] = k[j]; k[j] = tv;                                       \
                    int64_t t = ix[i]; ix[i] = ix[j]; ix[j] = t;                               \
                    i++;                                                                       \
                    j--;                                                                       \
                }                                                                              \
            }                                                                                  \
            if (want <= j) hi = j;                                                             \
            else if (want >= i) lo = i;                                                        \
            else break;                                                                        \
        }                                                                                      \
    }

#define DEFINE_SORT_BOTH(TN, T, KT)                                                            \
    DEFINE_SORT(TN, T, ASC_BEFORE, _asc)                                                       \
    DEFINE_SORT(TN, T, DESC_BEFORE, _desc)                                                     \
    DEFINE_SELECT(TN, T, ASC_BEFORE, _asc)                                                     \
    DEFINE_SELECT(TN, T, DESC_BEFORE, _desc)                                                   \
    /* one row: sorted positions into ix, using scratch of 2n keys + n indices */             \
    static void sort_row_##TN(const T *src, int64_t *ix, int64_t n, bool desc, void *scratch,  \
                              int64_t *ti) {                                                   \
        for (int64_t i = 0; i < n; i++) ix[i] = i;                                             \
        if (n >= RADIX_MIN) {                                                                  \
            KT *k = scratch;                                                                   \
            for (int64_t i = 0; i < n; i++) k[i] = desc ? (KT)~key_##TN(src[i]) : key_##TN(src[i]); \
            radix_##KT(k, ix, k + n, ti, n);                                                   \
        } else {                                                                               \
            T *k = scratch;                                                                    \
            memcpy(k, src, sizeof(T) * (size_t)n);                                             \
            if (desc) msort_##TN##_desc(k, ix, k + n, ti, n);                                  \
            else msort_##TN##_asc(k, ix, k + n, ti, n);                                        \
        }                                                                                      \
    }                                                                                          \
    static int sort_rows_##TN(const T *in, T *vals, int64_t *idx, int64_t rows, int64_t n,     \
                              bool desc) {                                                     \
        int par = rows > 1 && rows * n >= CT_GRAIN, failed = 0;                                \
        size_t ksz = sizeof(T) > sizeof(KT) ? sizeof(T) : sizeof(KT);                          \
        _Pragma("omp parallel if (par)")                                                       \
        {                                                                                      \
            void *scratch = malloc(ksz * (size_t)n * 2);                                       \
            int64_t *ti = malloc(sizeof(int64_t) * (size_t)n);                                 \
            if (!scratch || !ti) {                                                             \
                _Pragma("omp atomic write")                                                    \
                failed = 1;                                                                    \
            }                                                                                  \
            _Pragma("omp for schedule(dynamic, 1)")                                            \
            for (int64_t r = 0; r < rows; r++) {                                               \
                if (!scratch || !ti) continue;                                                 \
                const T *src = in + r * n;                                                     \
                int64_t *ix = idx + r * n;                                                     \
                sort_row_##TN(src, ix, n, desc, scratch, ti);                                  \
                if (vals)                                                                      \
                    for (int64_t i = 0; i < n; i++) vals[r * n + i] = src[ix[i]];              \
            }                                                                                  \
            free(scratch);                                                                     \
            free(ti);                                                                          \
        }                                                                                      \
        return failed ? -1 : 0;                                                                \
    }                                                                                          \
    /* k best of each row, in sorted order, into rows x kk outputs */                         \
    static int topk_rows_##TN(const T *in, T *vals, int64_t *idx, int64_t rows, int64_t n,     \
                              int64_t kk, bool desc) {                                         \
        int par = rows > 1 && rows * n >= CT_GRAIN, failed = 0;                                \
        _Pragma("omp parallel if (par)")                                                       \
        {                                                                                      \
            T *k = malloc(sizeof(T) * (size_t)n * 2);                                          \
            int64_t *ix = malloc(sizeof(int64_t) * (size_t)n * 2);                             \
            if (!k || !ix) {                                                                   \
                _Pragma("omp atomic write")                                                    \
                failed = 1;                                                                    \
            }                                                                                  \
            _Pragma("omp for schedule(dynamic, 1)")                                            \
            for (int64_t r = 0; r < rows; r++) {                                               \
                if (!k || !ix) continue;                                                       \
                const T *src = in + r * n;                                                     \
                memcpy(k, src, sizeof(T) * (size_t)n);                                         \
                for (int64_t i = 0; i < n; i++) ix[i] = i;                                     \
                if (desc) select_##TN##_desc(k, ix, n, kk);                                    \
                else select_##TN##_asc(k, ix, n, kk);                                          \
                /* back to index order, then the stable sort orders ties by index */          \
                sort_idx(ix, ix + n, kk);                                                      \
                for (int64_t i = 0; i < kk; i++) k[i] = src[ix[i]];                            \
                if (desc) msort_##TN##_desc(k, ix, k + n, ix + n, kk);                         \
                else msort_##TN##_asc(k, ix, k + n, ix + n, kk);                               \
                memcpy(idx + r * kk, ix, sizeof(int64_t) * (size_t)kk);                        \
                if (vals) memcpy(vals + r * kk, k, sizeof(T) * (size_t)kk);                    \
            }                                                                                  \
            free(k);                                                                           \
            free(ix);                                                                          \
        }                                                                                      \
        return failed ? -1 : 0;                                                                \
    }                                                                                          \
    static int64_t runs_##TN(const T *v, int64_t n, int64_t *g) {                              \
        int64_t cur = -1;                                                                      \
        for (int64_t i = 0; i < n; i++) {                                                      \
            if (i == 0 || !(v[i] == v[i - 1])) cur++;                                          \
            g[i] = cur;                                                                        \
        }                                                                                      \
        return cur + 1;                                                                        \
    }

/* Sorts n int64 positions ascending (they are distinct) using tmp. */
static void sort_idx(int64_t *a, int64_t *tmp, int64_t n) {
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi) tmp[o++] = a[y] < a[x] ? a[y++] : a[x++];
            while (x < mid) tmp[o++] = a[x++];
            while (y < hi) tmp[o++] = a[y++];
        }
        memcpy(a, tmp, sizeof(int64_t) * (size_t)n);
    }
}

DEFINE_SORT_BOTH(b, bool, uint32_t)
DEFINE_SORT_BOTH(u8, uint8_t, uint32_t)
DEFINE_SORT_BOTH(i8, int8_t, uint32_t)
DEFINE_SORT_BOTH(i16, int16_t, uint32_t)
DEFINE_SORT_BOTH(i32, int32_t, uint32_t)
DEFINE_SORT_BOTH(i64, int64_t, uint64_t)
DEFINE_SORT_BOTH(f32, float, uint32_t)
DEFINE_SORT_BOTH(f64, double, uint64_t)

int ct__sort_rows(ct_dtype dt, const void *in, void *vals, int64_t *idx, int64_t rows,
                  int64_t n, bool descending) {
    if (rows <= 0 || n <= 0) return 0;
    switch (dt) {
    case CT_BOOL: return sort_rows_b(in, vals, idx, rows, n, descending);
    case CT_UINT8: return sort_rows_u8(in, vals, idx, rows, n, descending);
    case CT_INT8: return sort_rows_i8(in, vals, idx, rows, n, descending);
    case CT_INT16: return sort_rows_i16(in, vals, idx, rows, n, descending);
    case CT_INT32: return sort_rows_i32(in, vals, idx, rows, n, descending);
    case CT_INT64: return sort_rows_i64(in, vals, idx, rows, n, descending);
    case CT_FLOAT32: return sort_rows_f32(in, vals, idx, rows, n, descending);
    case CT_FLOAT64: return sort_rows_f64(in, vals, idx, rows, n, descending);
    default: return -1;
    }
}

int ct__topk_rows(ct_dtype dt, const void *in, void *vals, int64_t *idx, int64_t rows,
                  int64_t n, int64_t k, bool largest) {
    if (rows <= 0 || k <= 0) return 0;
    switch (dt) {
    case CT_BOOL: return topk_rows_b(in, vals, idx, rows, n, k, largest);
    case CT_UINT8: return topk_rows_u8(in, vals, idx, rows, n, k, largest);
    case CT_INT8: return topk_rows_i8(in, vals, idx, rows, n, k, largest);
    case CT_INT16: return topk_rows_i16(in, vals, idx, rows, n, k, largest);
    case CT_INT32: return topk_rows_i32(in, vals, idx, rows, n, k, largest);
    case CT_INT64: return topk_rows_i64(in, vals, idx, rows, n, k, largest);
    case CT_FLOAT32: return topk_rows_f32(in, vals, idx, rows, n, k, largest);
    case CT_FLOAT64: return topk_rows_f64(in, vals, idx, rows, n, k, largest);
    default: return -1;
    }
}

int64_t ct__group_runs(ct_dtype dt, const void *vals, int64_t n, int64_t *group) {
    switch (dt) {
    case CT_BOOL: return runs_b(vals, n, group);
    case CT_UINT8: return runs_u8(vals, n, group);
    case CT_INT8: return runs_i8(vals, n, group);
    case CT_INT16: return runs_i16(vals, n, group);
    case CT_INT32: return runs_i32(vals, n, group);
    case CT_INT64: return runs_i64(vals, n, group);
    case CT_FLOAT32: return runs_f32(vals, n, group);
    case CT_FLOAT64: return runs_f64(vals, n, group);
    default: return 0;
    }
}
