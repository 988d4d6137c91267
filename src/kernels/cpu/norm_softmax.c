/* Softmax and log-softmax over contiguous [outer][D][inner] (src/nn/softmax.c):
 * max, then sum of exp(x - max) in the accumulation type, then one write pass.
 * inner == 1 (the last dim) runs over contiguous rows. */
#include "nn/nn_internal.h"

#include <math.h>

#define SOFTMAX(T)                                                                       \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *os = (T *)out;                                                                \
        int64_t rows = outer * inner;                                                    \
        _Pragma("omp parallel for schedule(static) if (rows * D >= CT_GRAIN)")           \
        for (int64_t r = 0; r < rows; r++) {                                             \
            int64_t o = r / inner, in = r % inner;                                       \
            const T *xp = xs + o * D * inner + in;                                       \
            T *op = os + o * D * inner + in;                                             \
            T m = -(T)INFINITY;                                                          \
            for (int64_t d = 0; d < D; d++) m = xp[d * inner] > m || isnan(xp[d * inner]) ? xp[d * inner] : m; \
            if (isinf(m) && m < 0) m = 0;                                                \
            double s = 0;                                                                \
            if (take_log) {                                                                   \
                for (int64_t d = 0; d < D; d++) s += exp((double)(xp[d * inner] - m));   \
                T ls = (T)log(s);                                                        \
                for (int64_t d = 0; d < D; d++) op[d * inner] = xp[d * inner] - m - ls;  \
            } else {                                                                     \
                for (int64_t d = 0; d < D; d++) {                                        \
                    T e = (T)exp((double)(xp[d * inner] - m));                           \
                    op[d * inner] = e;                                                   \
                    s += e;                                                              \
                }                                                                        \
                T inv = (T)(1.0 / s);                                                    \
                for (int64_t d = 0; d < D; d++) op[d * inner] *= inv;                    \
            }                                                                            \
        }                                                                                \
    } while (0)

void ct__softmax_kernel(ct_dtype dt, const void *x, int64_t outer, int64_t D, int64_t inner,
                        bool take_log, void *out) {
    if (dt == CT_FLOAT32) SOFTMAX(float);
    else SOFTMAX(double);
}
