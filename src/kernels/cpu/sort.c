/* Row sorts: a stable bottom-up merge sort of (key, index) pairs, one typed
 * copy per native dtype. NaN orders after every number (PyTorch's rule);
 * for integer types the NaN tests fold away. Rows run in parallel above the
 * grain. */
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

#define DEFINE_SORT_BOTH(TN, T)                                                                \
    DEFINE_SORT(TN, T, ASC_BEFORE, _asc)                                                       \
    DEFINE_SORT(TN, T, DESC_BEFORE, _desc)                                                     \
    static void sort_rows_##TN(const T *in, T *vals, int64_t *idx, int64_t rows, int64_t n,    \
                               bool desc) {                                                    \
        int par = rows > 1 && rows * n >= CT_GRAIN;                                            \
        _Pragma("omp parallel if (par)")                                                       \
        {                                                                                      \
            T *k = malloc(sizeof(T) * (size_t)n * 2);                                          \
            int64_t *ti = malloc(sizeof(int64_t) * (size_t)n);                                 \
            _Pragma("omp for schedule(dynamic, 1)")                                            \
            for (int64_t r = 0; r < rows; r++) {                                               \
                const T *src = in + r * n;                                                     \
                int64_t *ix = idx + r * n;                                                     \
                memcpy(k, src, sizeof(T) * (size_t)n);                                         \
                for (int64_t i = 0; i < n; i++) ix[i] = i;                                     \
                if (desc) msort_##TN##_desc(k, ix, k + n, ti, n);                              \
                else msort_##TN##_asc(k, ix, k + n, ti, n);                                    \
                if (vals) memcpy(vals + r * n, k, sizeof(T) * (size_t)n);                      \
            }                                                                                  \
            free(k);                                                                           \
            free(ti);                                                                          \
        }                                                                                      \
    }                                                                                          \
    static int64_t runs_##TN(const T *v, int64_t n, int64_t *g) {                              \
        int64_t cur = -1;                                                                      \
        for (int64_t i = 0; i < n; i++) {                                                      \
            if (i == 0 || !(v[i] == v[i - 1])) cur++;                                          \
            g[i] = cur;                                                                        \
        }                                                                                      \
        return cur + 1;                                                                        \
    }

DEFINE_SORT_BOTH(b, bool)
DEFINE_SORT_BOTH(u8, uint8_t)
DEFINE_SORT_BOTH(i8, int8_t)
DEFINE_SORT_BOTH(i16, int16_t)
DEFINE_SORT_BOTH(i32, int32_t)
DEFINE_SORT_BOTH(i64, int64_t)
DEFINE_SORT_BOTH(f32, float)
DEFINE_SORT_BOTH(f64, double)

void ct__sort_rows(ct_dtype dt, const void *in, void *vals, int64_t *idx, int64_t rows,
                   int64_t n, bool descending) {
    if (rows <= 0 || n <= 0) return;
    switch (dt) {
    case CT_BOOL: sort_rows_b(in, vals, idx, rows, n, descending); break;
    case CT_UINT8: sort_rows_u8(in, vals, idx, rows, n, descending); break;
    case CT_INT8: sort_rows_i8(in, vals, idx, rows, n, descending); break;
    case CT_INT16: sort_rows_i16(in, vals, idx, rows, n, descending); break;
    case CT_INT32: sort_rows_i32(in, vals, idx, rows, n, descending); break;
    case CT_INT64: sort_rows_i64(in, vals, idx, rows, n, descending); break;
    case CT_FLOAT32: sort_rows_f32(in, vals, idx, rows, n, descending); break;
    case CT_FLOAT64: sort_rows_f64(in, vals, idx, rows, n, descending); break;
    default: break;
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
