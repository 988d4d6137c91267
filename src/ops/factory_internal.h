/* Internal declarations of the factory family (creation, random, printing):
 * the fill kernels of src/kernels/cpu/fill*.c. Not installed. */
#ifndef CTORCH_FACTORY_INTERNAL_H
#define CTORCH_FACTORY_INTERNAL_H

#include "internal.h"

/* Writes v (converted to t's dtype) into every element of t, any strides.
 * No version bump, no autograd. */
void ct__fill_f64(ct_tensor *t, double v);
void ct__fill_i64(ct_tensor *t, int64_t v);
/* Writes the element-sized bit pattern in the low bytes of bits. */
void ct__fill_pattern(ct_tensor *t, uint64_t bits);

/* Ranges into a fresh contiguous 1-d tensor t of n = t->numel elements. */
/* t[i] = start + i * step, computed in double (int64 for ct__fill_arange_i64). */
void ct__fill_arange_f64(ct_tensor *t, double start, double step);
void ct__fill_arange_i64(ct_tensor *t, int64_t start, int64_t step);
/* PyTorch's linspace: first half from start, second half back from end. */
void ct__fill_linspace(ct_tensor *t, double start, double end);
void ct__fill_logspace(ct_tensor *t, double start, double end, double base);

/* ---------------------------------------------------------------- generators */
#include <pthread.h>

#define CT_MT_N 624
#define CT_MT_M 397

/* PyTorch's CPUGeneratorImpl: mt19937 plus the cached second Box-Muller
 * sample of normal_distribution<double> (and the float one, kept only so that
 * states round-trip). */
struct ct_generator {
    pthread_mutex_t lock;
    uint64_t seed;
    int left, seeded;
    uint32_t next;
    uint32_t state[CT_MT_N];
    bool has_next_double, has_next_float;
    double next_double;
    float next_float;
};

void ct__mt_next_state(ct_generator *g);

static inline uint32_t ct__mt_u32(ct_generator *g) {
    if (--g->left == 0) ct__mt_next_state(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}
static inline uint64_t ct__mt_u64(ct_generator *g) {
    uint64_t hi = ct__mt_u32(g);
    return (hi << 32) | ct__mt_u32(g);
}
/* PyTorch's uniform_real_distribution: the low 53 (24) bits of a 64 (32)
 * bit draw, times 2^-53 (2^-24). */
static inline double ct__uniform_f64(ct_generator *g) {
    return (double)(ct__mt_u64(g) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
}
static inline float ct__uniform_f32(ct_generator *g) {
    return (float)(ct__mt_u32(g) & ((1u << 24) - 1)) * 0x1p-24f;
}
/* NULL -> the default generator. */
ct_generator *ct__gen(ct_generator *g);

#endif
