/* Byte-level kernels of the shape family: they move whole elements and never
 * look at values, so one source serves every dtype. */
#include "ops/shape_internal.h"

#include <omp.h>

#define TAKE_TYPED(T)                                                                      \
    do {                                                                                   \
        T *o = (T *)out;                                                                   \
        const T *in_ = (const T *)in;                                                      \
        _Pragma("omp parallel for collapse(2) schedule(static) if (par)")                  \
        for (int64_t b = 0; b < outer; b++)                                                \
            for (int64_t j = 0; j < n_out; j++) o[b * n_out + j] = in_[b * n_in + idx[j]]; \
    } while (0)

void ct__take_rows(char *out, const char *in, int64_t outer, int64_t n_in, int64_t n_out,
                   size_t row_bytes, const int64_t *idx) {
    int64_t total = outer * n_out;
    int par = total * (int64_t)row_bytes >= CT_GRAIN * 8 && total > 1;
    switch (row_bytes) { /* one element per row: typed loads, no memcpy calls */
    case 1: TAKE_TYPED(uint8_t); return;
    case 2: TAKE_TYPED(uint16_t); return;
    case 4: TAKE_TYPED(uint32_t); return;
    case 8: TAKE_TYPED(uint64_t); return;
    default: break;
    }
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (int64_t b = 0; b < outer; b++)
        for (int64_t j = 0; j < n_out; j++)
            memcpy(out + (size_t)(b * n_out + j) * row_bytes,
                   in + (size_t)(b * n_in + idx[j]) * row_bytes, row_bytes);
}

void ct__tri_zero(char *data, int64_t batch, int64_t rows, int64_t cols, size_t isz, int64_t k,
                  bool upper) {
    int64_t total = batch * rows;
#pragma omp parallel for schedule(static) if (total * cols >= CT_GRAIN && total > 1)
    for (int64_t r = 0; r < total; r++) {
        int64_t i = r % rows;
        char *row = data + (size_t)(r * cols) * isz;
        /* tril keeps columns [0, i + k], triu keeps [i + k, cols) */
        int64_t edge = i + k;
        if (upper) {
            int64_t z = edge < 0 ? 0 : (edge > cols ? cols : edge); /* zero [0, z) */
            memset(row, 0, (size_t)z * isz);
        } else {
            int64_t s = edge + 1 < 0 ? 0 : (edge + 1 > cols ? cols : edge + 1); /* zero [s, cols) */
            memset(row + (size_t)s * isz, 0, (size_t)(cols - s) * isz);
        }
    }
}

void ct__fill_bytes(char *data, int64_t n, const void *elem, size_t isz) {
    if (n <= 0) return;
    memcpy(data, elem, isz);
    /* doubling copies: log2(n) memcpys */
    int64_t have = 1;
    while (have < n) {
        int64_t m = have < n - have ? have : n - have;
        memcpy(data + (size_t)have * isz, data, (size_t)m * isz);
        have += m;
    }
}
