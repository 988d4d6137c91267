/* SLEEF loops for the transcendental unary kernels on float32/float64.
 * Why: glibc's scalar expf/tanhf do not vectorize; SLEEF's u10 functions
 * (1.0 ulp, like PyTorch's) are 5-9x faster per element here (exp 0.36 vs
 * 1.9 ns, tanh 1.2 vs 10.8 ns, log 0.36 vs 2.3 ns on one core, AVX-512).
 * Contiguous runs are read in whole vectors; heads, tails and strided data
 * go through a small buffer, so every element sees the same function.
 *
 * Two widths: AVX2 (8 floats, built when the compiler targets AVX2) and
 * AVX-512 (16 floats, unary_sleef_avx512.c, built for any x86-64 and used
 * when the CPU has it, so an x86-64-v3 build still runs 16-wide). */
#include "pointwise_loops.h"

#include <stdatomic.h>

#if defined(__AVX2__)
#include <sleef.h>

#define WF 8
#define WD 4
#define VF __m256
#define VD __m256d
#define LOADF _mm256_loadu_ps
#define STOREF _mm256_storeu_ps
#define STREAMF _mm256_stream_ps
#define LOADD _mm256_loadu_pd
#define STORED _mm256_storeu_pd
#define STREAMD _mm256_stream_pd
#define SF(name, u) Sleef_##name##f8_##u
#define SD(name, u) Sleef_##name##d4_##u
#define CT_PW_SLEEF_LOOKUP sleef_loop_avx2
#include "pointwise_sleef_body.h"
#endif

#if defined(__x86_64__)
ct_loop_fn ct__pw_sleef_loop_avx512(int kop, ct_dtype dt);
#endif

/* 0: libm loops, 1: SLEEF AVX2, 2: SLEEF AVX-512. Chosen once from the CPU
 * (threads racing to set it compute the same value). */
static _Atomic int simd_level = -1;

static int detect_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
#endif
#if defined(__AVX2__)
    return 1;
#else
    return 0;
#endif
}

int ct__pw_simd_level(int force) {
    int level = atomic_load_explicit(&simd_level, memory_order_relaxed);
    if (force >= 0) {
        int best = detect_level();
        level = force < best ? force : best;
        atomic_store_explicit(&simd_level, level, memory_order_relaxed);
    } else if (level < 0) {
        level = detect_level();
        atomic_store_explicit(&simd_level, level, memory_order_relaxed);
    }
    return level;
}

ct_loop_fn ct__pw_sleef_loop(int kop, ct_dtype dt) {
    int level = atomic_load_explicit(&simd_level, memory_order_relaxed);
    if (CT_UNLIKELY(level < 0)) level = ct__pw_simd_level(-1);
#if defined(__x86_64__)
    if (level == 2) return ct__pw_sleef_loop_avx512(kop, dt);
#endif
#if defined(__AVX2__)
    if (level >= 1) return sleef_loop_avx2(kop, dt);
#endif
    (void)level;
    (void)kop;
    (void)dt;
    return NULL;
}
