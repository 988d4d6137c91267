/* Scans along one dim of a contiguous tensor viewed as [outer, L, inner]:
 * with inner == 1 each line is scanned on its own (threads split lines);
 * otherwise whole rows of `inner` elements advance together, which
 * vectorizes across the row (threads split blocks of columns). */
#include "internal.h"
#include "ops/reduce_internal.h"

#include <omp.h>

/* for (VAR = 0; VAR < N; VAR++) BODY, split across threads when par is set;
 * a serial call never enters OpenMP. */
#define PAR_FOR(VAR, N, ...)                                                                \
    do {                                                                                    \
        if (par) {                                                                          \
            _Pragma("omp parallel for schedule(static)")                                    \
            for (int64_t VAR = 0; VAR < (N); VAR++) __VA_ARGS__                             \
        } else {                                                                            \
            for (int64_t VAR = 0; VAR < (N); VAR++) __VA_ARGS__                             \
        }                                                                                   \
    } while (0)

#define SB 512         /* columns per block when inner > 1 */
#define SCAN_CH 65536  /* elements per chunk of a long line (fixed: results do not depend on threads) */

/* cumsum / cumprod with accumulator type ACC (double or wrapping uint64). */
#define SCAN_ARITH(T, ACC, OP, INIT)                                                        \
    do {                                                                                    \
        const T *xp = ct_data_ptr(x);                                                       \
        T *yp = ct_data_ptr(out);                                                           \
        if (inner == 1 && outer < 8 && L >= 2 * SCAN_CH) {                                  \
            /* Few long lines: chunk totals in parallel, their running total,               \
             * then every chunk rescanned from its offset in parallel. */                   \
            int64_t nch = (L + SCAN_CH - 1) / SCAN_CH;                                      \
            ACC tot[nch];                                                                   \
            for (int64_t o = 0; o < outer; o++) {                                           \
                const T *a = xp + o * L;                                                    \
                T *y = yp + o * L;                                                          \
                PAR_FOR(ch, nch, {                                                          \
                    int64_t e = (ch + 1) * SCAN_CH < L ? (ch + 1) * SCAN_CH : L;            \
                    ACC s8[8] = {INIT, INIT, INIT, INIT, INIT, INIT, INIT, INIT};           \
                    int64_t i = ch * SCAN_CH;                                               \
                    for (; i + 8 <= e; i += 8)                                              \
                        for (int k = 0; k < 8; k++) s8[k] = s8[k] OP (ACC)a[i + k];         \
                    for (; i < e; i++) s8[0] = s8[0] OP (ACC)a[i];                          \
                    tot[ch] = ((s8[0] OP s8[1]) OP (s8[2] OP s8[3])) OP                     \
                              ((s8[4] OP s8[5]) OP (s8[6] OP s8[7]));                       \
                });                                                                         \
                ACC run = INIT;                                                             \
                for (int64_t ch = 0; ch < nch; ch++) {                                      \
                    ACC t = tot[ch];                                                        \
                    tot[ch] = run;                                                          \
                    run = run OP t;                                                         \
                }                                                                           \
                PAR_FOR(ch, nch, {                                                          \
                    int64_t e = (ch + 1) * SCAN_CH < L ? (ch + 1) * SCAN_CH : L;            \
                    ACC s = tot[ch];                                                        \
                    for (int64_t i = ch * SCAN_CH; i < e; i++) {                            \
                        s = s OP (ACC)a[i];                                                 \
                        y[i] = (T)s;                                                        \
                    }                                                                       \
                });                                                                         \
            }                                                                               \
        } else if (inner == 1) {                                                            \
            PAR_FOR(o, outer, {                                                             \
                const T *a = xp + o * L;                                                    \
                T *y = yp + o * L;                                                          \
                ACC s = INIT;                                                               \
                for (int64_t i = 0; i < L; i++) {                                           \
                    s = s OP (ACC)a[i];                                                     \
                    y[i] = (T)s;                                                            \
                }                                                                           \
            });                                                                             \
        } else {                                                                            \
            PAR_FOR(t, outer * nb, {                                                        \
                int64_t o = t / nb, j0 = (t % nb) * SB;                                     \
                int64_t jn = inner - j0 < SB ? inner - j0 : SB;                             \
                ACC s[SB];                                                                  \
                for (int64_t j = 0; j < jn; j++) s[j] = INIT;                               \
                for (int64_t i = 0; i < L; i++) {                                           \
                    const T *a = xp + (o * L + i) * inner + j0;                             \
                    T *y = yp + (o * L + i) * inner + j0;                                   \
                    for (int64_t j = 0; j < jn; j++) {                                      \
                        s[j] = s[j] OP (ACC)a[j];                                           \
                        y[j] = (T)s[j];                                                     \
                    }                                                                       \
                }                                                                           \
            });                                                                             \
        }                                                                                   \
    } while (0)

/* cummax / cummin: BETTER(v, best) means v becomes the running extreme; ties
 * move the index forward and a NaN sticks, as in PyTorch. */
#define F_CMAX(v, b) ((v) >= (b) || (v) != (v))
#define F_CMIN(v, b) ((v) <= (b) || (v) != (v))
#define I_CMAX(v, b) ((v) >= (b))
#define I_CMIN(v, b) ((v) <= (b))
#define SCAN_EXT(T, BETTER)                                                                 \
    do {                                                                                    \
        const T *xp = ct_data_ptr(x);                                                       \
        T *yp = ct_data_ptr(out);                                                           \
        int64_t *ip = ct_data_ptr(idx);                                                     \
        if (inner == 1) {                                                                   \
            PAR_FOR(o, outer, {                                                             \
                const T *a = xp + o * L;                                                    \
                T *y = yp + o * L;                                                          \
                int64_t *ix = ip + o * L;                                                   \
                T best = a[0];                                                              \
                int64_t bi = 0;                                                             \
                for (int64_t i = 0; i < L; i++) {                                           \
                    if (BETTER(a[i], best)) {                                               \
                        best = a[i];                                                        \
                        bi = i;                                                             \
                    }                                                                       \
                    y[i] = best;                                                            \
                    ix[i] = bi;                                                             \
                }                                                                           \
            });                                                                             \
        } else {                                                                            \
            PAR_FOR(t, outer * nb, {                                                        \
                int64_t o = t / nb, j0 = (t % nb) * SB;                                     \
                int64_t jn = inner - j0 < SB ? inner - j0 : SB;                             \
                int64_t r0 = o * L * inner + j0;                                            \
                for (int64_t j = 0; j < jn; j++) {                                          \
                    yp[r0 + j] = xp[r0 + j];                                                \
                    ip[r0 + j] = 0;                                                         \
                }                                                                           \
                for (int64_t i = 1; i < L; i++) {                                           \
                    const T *a = xp + r0 + i * inner;                                       \
                    T *y = yp + r0 + i * inner;                                             \
                    const T *py = y - inner;                                                \
                    int64_t *ix = ip + r0 + i * inner;                                      \
                    const int64_t *pix = ix - inner;                                        \
                    for (int64_t j = 0; j < jn; j++) {                                      \
                        bool b = BETTER(a[j], py[j]);                                       \
                        y[j] = b ? a[j] : py[j];                                            \
                        ix[j] = b ? i : pix[j];                                             \
                    }                                                                       \
                }                                                                           \
            });                                                                             \
        }                                                                                   \
    } while (0)

#define ARITH_CASES(OP, INIT)                                                      \
    switch (x->dtype) {                                                                     \
    case CT_FLOAT32: SCAN_ARITH(float, double, OP, INIT); break;                            \
    case CT_FLOAT64: SCAN_ARITH(double, double, OP, INIT); break;                           \
    case CT_BOOL: SCAN_ARITH(bool, uint64_t, OP, INIT); break;                              \
    case CT_UINT8: SCAN_ARITH(uint8_t, uint64_t, OP, INIT); break;                          \
    case CT_INT8: SCAN_ARITH(int8_t, uint64_t, OP, INIT); break;                            \
    case CT_INT16: SCAN_ARITH(int16_t, uint64_t, OP, INIT); break;                          \
    case CT_INT32: SCAN_ARITH(int32_t, uint64_t, OP, INIT); break;                          \
    case CT_INT64: SCAN_ARITH(int64_t, uint64_t, OP, INIT); break;                          \
    default: supported = false; break;                                                      \
    }

#define EXT_CASES(FB, IB)                                                                   \
    switch (x->dtype) {                                                                     \
    case CT_FLOAT32: SCAN_EXT(float, FB); break;                                            \
    case CT_FLOAT64: SCAN_EXT(double, FB); break;                                           \
    case CT_BOOL: SCAN_EXT(bool, IB); break;                                                \
    case CT_UINT8: SCAN_EXT(uint8_t, IB); break;                                            \
    case CT_INT8: SCAN_EXT(int8_t, IB); break;                                              \
    case CT_INT16: SCAN_EXT(int16_t, IB); break;                                            \
    case CT_INT32: SCAN_EXT(int32_t, IB); break;                                            \
    case CT_INT64: SCAN_EXT(int64_t, IB); break;                                            \
    default: supported = false; break;                                                      \
    }

int ct__scan_kernel(const ct_tensor *x, int dim, ct_skind kind, ct_tensor *out, ct_tensor *idx) {
    int64_t L = x->ndim ? x->sizes[dim] : 1, inner = 1, outer = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) outer *= x->sizes[d];
        if (d > dim) inner *= x->sizes[d];
    }
    if (x->numel == 0) return 0;
    int64_t nb = (inner + SB - 1) / SB;
    int64_t tasks = inner == 1 ? outer : outer * nb;
    if (inner == 1 && outer < 8 && L >= 2 * SCAN_CH) tasks = (L + SCAN_CH - 1) / SCAN_CH;
    bool par = tasks > 1 && x->numel >= CT_GRAIN && !omp_in_parallel();
    bool supported = true;
    switch (kind) {
    case CT_SK_CUMSUM: ARITH_CASES(+, 0); break;
    case CT_SK_CUMPROD: ARITH_CASES(*, 1); break;
    case CT_SK_CUMMAX: EXT_CASES(F_CMAX, I_CMAX); break;
    case CT_SK_CUMMIN: EXT_CASES(F_CMIN, I_CMIN); break;
    }
    if (!supported) {
        ct_set_error(CT_ERR_NOT_IMPL, "scan: not implemented for dtype %s",
                     ct_dtype_name(x->dtype));
        return -1;
    }
    return 0;
}
