/* Window arithmetic of the poolings, shared by the CPU loops (src/nn/pool*.c)
 * and the GPU kernels (src/cuda/pool.cu, compiled by nvcc), so that both
 * pick the same elements; and the description of one GPU window op or
 * resampling (ct__cuda->window). Plain C, no ctorch types. Not installed. */
#ifndef CT_NN_WINDOW_H
#define CT_NN_WINDOW_H

#include <stdint.h>

#ifdef __CUDACC__
#define CT_WIN_FN static __host__ __device__ __forceinline__
#else
#define CT_WIN_FN static inline
#endif

/* PyTorch's pooling_output_shape: outputs of a window of k taps, dilation
 * d, stride s over in + 2p; ceil_mode rounds up but never starts a window
 * in the right padding. */
CT_WIN_FN int64_t ct_pool_out_size(int64_t in, int64_t k, int64_t p, int64_t s, int64_t d,
                                   int ceil_mode) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t q = num >= 0 ? num / s : -((-num + s - 1) / s);
    int64_t out = q + 1;
    if (ceil_mode && (out - 1) * s >= in + p) out--;
    return out;
}

/* Max pooling: output o reads l0, l0 + d, ... below l1 (inside [0, L)). */
CT_WIN_FN void ct_win_max(int64_t o, int64_t s, int64_t p, int64_t k, int64_t d, int64_t L,
                          int64_t *l0, int64_t *l1) {
    int64_t a = o * s - p, b = a + (k - 1) * d + 1;
    if (b > L) b = L;
    while (a < 0) a += d;
    *l0 = a, *l1 = b;
}

/* Average pooling: output o sums [l0, l1) (inside [0, L)); returns the
 * window's extent inside [-p, L + p), the divisor with count_include_pad. */
CT_WIN_FN int64_t ct_win_avg(int64_t o, int64_t s, int64_t p, int64_t k, int64_t L, int64_t *l0,
                             int64_t *l1) {
    int64_t a = o * s - p, b = a + k;
    if (b > L + p) b = L + p;
    int64_t pool = b - a;
    if (a < 0) a = 0;
    if (b > L) b = L;
    *l0 = a, *l1 = b;
    return pool;
}

/* Adaptive pooling: cell o of O over L covers [floor(o L / O), ceil((o + 1) L / O)). */
CT_WIN_FN void ct_win_adaptive(int64_t o, int64_t L, int64_t O, int64_t *l0, int64_t *l1) {
    *l0 = o * L / O;
    *l1 = ((o + 1) * L + O - 1) / O;
}

/* ---------------------------------------------------------------- GPU ops */
/* One window op or resampling over np contiguous planes on the GPU. Up to 3
 * spatial dims, padded with leading 1s (1-d and 2-d ops are 3-d ones);
 * in[] the input's sizes, out[] the output's (of the forward op: for the
 * gradients x is the gradient of out[] and the result has in[]). */
enum {
    CT_WIN_MAX,         /* out, idx (flat within the plane) = max over each window */
    CT_WIN_AVG,         /* out = mean over each window (divisor rules below) */
    CT_WIN_ADAPTIVE_MAX,
    CT_WIN_ADAPTIVE_AVG,
    CT_WIN_MAX_BWD,     /* result (zeroed) += x at idx; an idx outside the plane: 1 */
    CT_WIN_AVG_BWD,     /* the gradient of CT_WIN_AVG (a gather, exact) */
    CT_WIN_ADAPTIVE_AVG_BWD,
    CT_WIN_NEAREST,     /* out = x at the source indices i0 of each dim */
    CT_WIN_NEAREST_BWD, /* result (zeroed) += x at the source indices */
    CT_WIN_LINEAR,      /* bilinear over the last two dims: i0, i1, l0, l1 */
    CT_WIN_LINEAR_BWD,
};

typedef struct ct_window_op {
    int kind;
    int dt;    /* ct_dtype of x and the result (float32/float64; uint8 for NEAREST) */
    int64_t np;
    int64_t in[3], out[3];
    int64_t k[3], s[3], p[3], d[3]; /* MAX, AVG and their gradients */
    int count_include_pad;
    int64_t divisor;                /* AVG: divisor_override, 0 = none */
    /* NEAREST, LINEAR: host tables of out[i] entries per dim (the host side
     * copies them to the device): source indices i0 (and i1 for LINEAR),
     * weights l0, l1 of dtype dt (LINEAR, dims 1 and 2 only). */
    const int64_t *i0[3], *i1[3];
    const void *l0[3], *l1[3];
} ct_window_op;

#endif
