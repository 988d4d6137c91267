/* The AVX-512 SLEEF loops (16 floats per vector), compiled for AVX-512
 * whatever the build's -march, and used only when the CPU has it (see
 * ct__pw_sleef_loop in unary_sleef.c). */
#if defined(__x86_64__)
#pragma GCC target("avx512f")
#include "pointwise_loops.h"

#include <sleef.h>

#define WF 16
#define WD 8
#define VF __m512
#define VD __m512d
#define LOADF _mm512_loadu_ps
#define STOREF _mm512_storeu_ps
#define STREAMF _mm512_stream_ps
#define LOADD _mm512_loadu_pd
#define STORED _mm512_storeu_pd
#define STREAMD _mm512_stream_pd
#define SF(name, u) Sleef_##name##f16_##u
#define SD(name, u) Sleef_##name##d8_##u
#define CT_PW_SLEEF_LOOKUP ct__pw_sleef_loop_avx512
#include "pointwise_sleef_body.h"
#else
typedef int ct__pw_no_avx512; /* ISO C wants a declaration in every file */
#endif
