/* Loop templates of the pointwise kernels. A loop has the iterator's
 * signature: data[0] is the output, data[1..] the inputs, s[] byte strides,
 * n elements. Each template has a contiguous path that the compiler
 * vectorizes, a path for a broadcast last operand (tensor op scalar), and a
 * strided path. T is the input type, OT the output type. EXPR reads the inputs as x (and y, z), the context as c. */
#ifndef CTORCH_POINTWISE_LOOPS_H
#define CTORCH_POINTWISE_LOOPS_H

#include "ops/pointwise_internal.h"

#include <math.h>
#include <stdint.h>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* Large outputs are written with non-temporal stores: a 16M-element result
 * does not fit any cache, and streaming it saves the read-for-ownership of
 * every output line (a quarter of the traffic of a binary op). The loop
 * computes a block into an L1-resident buffer and streams the buffer out.
 * Below the threshold (per thread) ordinary stores keep results in cache
 * for the next op. */
#define CT_PW_STREAM_MIN_BYTES ((int64_t)4 << 20)
#define CT_PW_STREAM_BLOCK 4096

static inline void ct_pw_stream(void *dst, const void *src, size_t nbytes) {
#if defined(__AVX512F__)
    for (size_t i = 0; i < nbytes; i += 64)
        _mm512_stream_si512((__m512i *)((char *)dst + i), _mm512_load_si512((const char *)src + i));
#elif defined(__AVX2__)
    for (size_t i = 0; i < nbytes; i += 32)
        _mm256_stream_si256((__m256i *)((char *)dst + i),
                            _mm256_load_si256((const __m256i *)((const char *)src + i)));
#else
    memcpy(dst, src, nbytes);
#endif
}
static inline void ct_pw_stream_fence(void) {
#if defined(__AVX512F__) || defined(__AVX2__)
    _mm_sfence();
#endif
}

/* Contiguous output o[0..n): element k is (OT)(EXPR) after the
 * declarations DECL (which read index k); streams when n is large. */
#define CT_PW_CONTIG_OUT(OT, o, n, DECL, EXPR)                                           \
    if ((n) * (int64_t)sizeof(OT) >= CT_PW_STREAM_MIN_BYTES) {                           \
        int64_t k_ = 0;                                                                  \
        for (; k_ < (n) && ((uintptr_t)((o) + k_) & 63); k_++) {                         \
            const int64_t k = k_;                                                        \
            DECL;                                                                        \
            (o)[k] = (OT)(EXPR);                                                         \
        }                                                                                \
        OT buf_[CT_PW_STREAM_BLOCK / sizeof(OT)] __attribute__((aligned(64)));           \
        const int64_t b_ = (int64_t)(CT_PW_STREAM_BLOCK / sizeof(OT));                    \
        for (; k_ + b_ <= (n); k_ += b_) {                                               \
            for (int64_t j_ = 0; j_ < b_; j_++) {                                        \
                const int64_t k = k_ + j_;                                               \
                DECL;                                                                    \
                buf_[j_] = (OT)(EXPR);                                                   \
            }                                                                            \
            ct_pw_stream((o) + k_, buf_, sizeof buf_);                                   \
        }                                                                                \
        for (; k_ < (n); k_++) {                                                         \
            const int64_t k = k_;                                                        \
            DECL;                                                                        \
            (o)[k] = (OT)(EXPR);                                                         \
        }                                                                                \
        ct_pw_stream_fence();                                                            \
    } else {                                                                             \
        for (int64_t k = 0; k < (n); k++) {                                              \
            DECL;                                                                        \
            (o)[k] = (OT)(EXPR);                                                         \
        }                                                                                \
    }

#define CT_PW_LOOP1(NAME, TT, OTT, EXPR)                                                   \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx_) {                \
        typedef TT T;                                                                    \
        typedef OTT OT;                                                                  \
        const ct_pw_ctx *c = ctx_;                                                       \
        (void)c;                                                                         \
        if (s[0] == sizeof(OT) && s[1] == sizeof(T)) {                                   \
            OT *restrict o = (OT *)d[0];                                                 \
            const T *restrict px = (const T *)d[1];                                      \
            CT_PW_CONTIG_OUT(OT, o, n, T x = px[k], EXPR)                                \
        } else {                                                                         \
            char *o = d[0], *px = d[1];                                                  \
            for (int64_t k = 0; k < n; k++, o += s[0], px += s[1]) {                     \
                T x = *(const T *)px;                                                    \
                *(OT *)o = (OT)(EXPR);                                                   \
            }                                                                            \
        }                                                                                \
    }

#define CT_PW_LOOP2(NAME, TT, OTT, EXPR)                                                   \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx_) {                \
        typedef TT T;                                                                    \
        typedef OTT OT;                                                                  \
        const ct_pw_ctx *c = ctx_;                                                       \
        (void)c;                                                                         \
        if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == sizeof(T)) {              \
            OT *restrict o = (OT *)d[0];                                                 \
            const T *restrict px = (const T *)d[1], *restrict py = (const T *)d[2];      \
            CT_PW_CONTIG_OUT(OT, o, n, T x = px[k]; T y = py[k], EXPR)                   \
        } else if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == 0) {               \
            OT *restrict o = (OT *)d[0];                                                 \
            const T *restrict px = (const T *)d[1];                                      \
            const T y = *(const T *)d[2];                                                \
            CT_PW_CONTIG_OUT(OT, o, n, T x = px[k], EXPR)                                \
        } else {                                                                         \
            char *o = d[0], *px = d[1], *py = d[2];                                      \
            for (int64_t k = 0; k < n; k++, o += s[0], px += s[1], py += s[2]) {         \
                T x = *(const T *)px, y = *(const T *)py;                                \
                *(OT *)o = (OT)(EXPR);                                                   \
            }                                                                            \
        }                                                                                \
    }

/* Ternary: x, y, z of types T, TY, TZ (where's condition is bool). */
#define CT_PW_LOOP3(NAME, TT, TY, TZ, OTT, EXPR)                                           \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx_) {                \
        typedef TT T;                                                                    \
        typedef OTT OT;                                                                  \
        const ct_pw_ctx *c = ctx_;                                                       \
        (void)c;                                                                         \
        if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == sizeof(TY) &&             \
            s[3] == sizeof(TZ)) {                                                        \
            OT *restrict o = (OT *)d[0];                                                 \
            const T *restrict px = (const T *)d[1];                                      \
            const TY *restrict py = (const TY *)d[2];                                    \
            const TZ *restrict pz = (const TZ *)d[3];                                    \
            for (int64_t k = 0; k < n; k++) {                                            \
                T x = px[k];                                                             \
                TY y = py[k];                                                            \
                TZ z = pz[k];                                                            \
                o[k] = (OT)(EXPR);                                                       \
            }                                                                            \
        } else if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == sizeof(TY) &&      \
                   s[3] == 0) {                                                          \
            /* broadcast last operand (where(c, g, 0): relu's backward) */               \
            OT *restrict o = (OT *)d[0];                                                 \
            const T *restrict px = (const T *)d[1];                                      \
            const TY *restrict py = (const TY *)d[2];                                    \
            const TZ z = *(const TZ *)d[3];                                              \
            for (int64_t k = 0; k < n; k++) {                                            \
                T x = px[k];                                                             \
                TY y = py[k];                                                            \
                o[k] = (OT)(EXPR);                                                       \
            }                                                                            \
        } else {                                                                         \
            char *o = d[0], *px = d[1], *py = d[2], *pz = d[3];                          \
            for (int64_t k = 0; k < n; k++, o += s[0], px += s[1], py += s[2], pz += s[3]) { \
                T x = *(const T *)px;                                                    \
                TY y = *(const TY *)py;                                                  \
                TZ z = *(const TZ *)pz;                                                  \
                *(OT *)o = (OT)(EXPR);                                                   \
            }                                                                            \
        }                                                                                \
    }

/* Type lists: M(T, suffix, dtype enum, extra arguments...). */
#define CT_PW_FLOATS(M, ...) M(float, f32, CT_FLOAT32, __VA_ARGS__) M(double, f64, CT_FLOAT64, __VA_ARGS__)
#define CT_PW_INTS(M, ...)                                                               \
    M(uint8_t, u8, CT_UINT8, __VA_ARGS__) M(int8_t, i8, CT_INT8, __VA_ARGS__)            \
    M(int16_t, i16, CT_INT16, __VA_ARGS__) M(int32_t, i32, CT_INT32, __VA_ARGS__)        \
    M(int64_t, i64, CT_INT64, __VA_ARGS__)
#define CT_PW_BOOLS(M, ...) M(bool, b, CT_BOOL, __VA_ARGS__)
#define CT_PW_ALLNUM(M, ...) CT_PW_FLOATS(M, __VA_ARGS__) CT_PW_INTS(M, __VA_ARGS__)
#define CT_PW_ALL(M, ...) CT_PW_ALLNUM(M, __VA_ARGS__) CT_PW_BOOLS(M, __VA_ARGS__)

#endif
