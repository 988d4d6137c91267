/* SLEEF loops for the transcendental unary kernels on float32/float64.
 * Why: glibc's scalar expf/tanhf do not vectorize; SLEEF's u10 functions
 * (1.0 ulp, like PyTorch's) process 16 floats per AVX-512 instruction
 * stream. Contiguous runs are read in whole vectors; the tail and strided
 * data go through a small buffer, so every element sees the same function.
 * Without AVX-512/AVX2 at compile time, ct__pw_sleef_loop returns NULL and
 * the libm loops of unary.c run. */
#include "pointwise_loops.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#include <sleef.h>

#if defined(__AVX512F__)
#define WF 16
#define WD 8
#define VF __m512
#define VD __m512d
#define LOADF _mm512_loadu_ps
#define STOREF _mm512_storeu_ps
#define LOADD _mm512_loadu_pd
#define STORED _mm512_storeu_pd
#define SF(name, u) Sleef_##name##f16_##u
#define SD(name, u) Sleef_##name##d8_##u
#else
#define WF 8
#define WD 4
#define VF __m256
#define VD __m256d
#define LOADF _mm256_loadu_ps
#define STOREF _mm256_storeu_ps
#define LOADD _mm256_loadu_pd
#define STORED _mm256_storeu_pd
#define SF(name, u) Sleef_##name##f8_##u
#define SD(name, u) Sleef_##name##d4_##u
#endif

#define SLEEF_LOOP(NAME, T, W, LOAD, STORE, FN)                                        \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {               \
        (void)ctx;                                                                     \
        T buf[W];                                                                      \
        int64_t k = 0;                                                                 \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                  \
            T *o = (T *)d[0];                                                          \
            const T *x = (const T *)d[1];                                              \
            for (; k + W <= n; k += W) STORE(o + k, FN(LOAD(x + k)));                  \
            if (k < n) {                                                               \
                int64_t m = n - k;                                                     \
                for (int j = 0; j < W; j++) buf[j] = j < m ? x[k + j] : 0;             \
                STORE(buf, FN(LOAD(buf)));                                             \
                for (int64_t j = 0; j < m; j++) o[k + j] = buf[j];                     \
            }                                                                          \
            return;                                                                    \
        }                                                                              \
        char *o = d[0];                                                                \
        const char *x = d[1];                                                          \
        for (; k < n; k += W) {                                                        \
            int64_t m = n - k < W ? n - k : W;                                         \
            for (int j = 0; j < W; j++) buf[j] = j < m ? *(const T *)(x + j * s[1]) : 0; \
            STORE(buf, FN(LOAD(buf)));                                                 \
            for (int64_t j = 0; j < m; j++) *(T *)(o + j * s[0]) = buf[j];             \
            o += W * s[0];                                                             \
            x += W * s[1];                                                             \
        }                                                                              \
    }

#define PAIR(name, fname, u)                                                           \
    SLEEF_LOOP(sleef_##name##_f32, float, WF, LOADF, STOREF, SF(fname, u))             \
    SLEEF_LOOP(sleef_##name##_f64, double, WD, LOADD, STORED, SD(fname, u))

PAIR(exp, exp, u10)
PAIR(exp2, exp2, u10)
PAIR(expm1, expm1, u10)
PAIR(log, log, u10)
PAIR(log2, log2, u10)
PAIR(log10, log10, u10)
PAIR(log1p, log1p, u10)
PAIR(sin, sin, u10)
PAIR(cos, cos, u10)
PAIR(tan, tan, u10)
PAIR(asin, asin, u10)
PAIR(acos, acos, u10)
PAIR(atan, atan, u10)
PAIR(sinh, sinh, u10)
PAIR(cosh, cosh, u10)
PAIR(tanh, tanh, u10)
PAIR(asinh, asinh, u10)
PAIR(acosh, acosh, u10)
PAIR(atanh, atanh, u10)
PAIR(erf, erf, u10)
PAIR(erfc, erfc, u15)

#define R(KOP, name) [KOP - CT_PW_BINARY_END] = {sleef_##name##_f32, sleef_##name##_f64},
static const ct_loop_fn table[CT_PW_UNARY_END - CT_PW_BINARY_END][2] = {
    R(CT_PW_EXP, exp) R(CT_PW_EXP2, exp2) R(CT_PW_EXPM1, expm1) R(CT_PW_LOG, log)
    R(CT_PW_LOG2, log2) R(CT_PW_LOG10, log10) R(CT_PW_LOG1P, log1p) R(CT_PW_SIN, sin)
    R(CT_PW_COS, cos) R(CT_PW_TAN, tan) R(CT_PW_ASIN, asin) R(CT_PW_ACOS, acos)
    R(CT_PW_ATAN, atan) R(CT_PW_SINH, sinh) R(CT_PW_COSH, cosh) R(CT_PW_TANH, tanh)
    R(CT_PW_ASINH, asinh) R(CT_PW_ACOSH, acosh) R(CT_PW_ATANH, atanh) R(CT_PW_ERF, erf)
    R(CT_PW_ERFC, erfc)
};

ct_loop_fn ct__pw_sleef_loop(int kop, ct_dtype dt) {
    if (kop < CT_PW_BINARY_END || kop >= CT_PW_UNARY_END) return NULL;
    if (dt == CT_FLOAT32) return table[kop - CT_PW_BINARY_END][0];
    if (dt == CT_FLOAT64) return table[kop - CT_PW_BINARY_END][1];
    return NULL;
}

#else
ct_loop_fn ct__pw_sleef_loop(int kop, ct_dtype dt) {
    (void)kop;
    (void)dt;
    return NULL;
}
#endif
