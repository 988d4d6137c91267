/* The strided iterator: broadcasting, dim reordering, coalescing, threading. */
#include "internal.h"

#include <omp.h>

void ct_iter_init(ct_iter *it, int nops, const ct_tensor *const *ops, const int64_t *shape,
                  int ndim) {
    int64_t st[CT_MAX_OPERANDS][CT_MAX_DIMS];
    it->nops = nops;
    it->numel = ct__shape_numel(shape, ndim);
    for (int k = 0; k < nops; k++) {
        const ct_tensor *t = ops[k];
        int64_t isz = (int64_t)ct_dtype_size(t->dtype);
        it->data[k] = (char *)ct_data_ptr(t);
        for (int d = 0; d < ndim; d++) {
            int td = t->ndim - ndim + d;
            st[k][d] = (td >= 0 && t->sizes[td] != 1) ? t->strides[td] * isz : 0;
        }
    }
    /* perm[0] is the innermost dim. Start from the natural order (last dim
     * innermost), then move dims inward while an operand says so. */
    int perm[CT_MAX_DIMS], n = 0;
    for (int d = ndim - 1; d >= 0; d--)
        if (shape[d] != 1) perm[n++] = d;
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0; j--) {
            int a = perm[j], b = perm[j - 1]; /* is a more inner than b? */
            int verdict = 0;
            for (int k = 0; k < nops && !verdict; k++) {
                int64_t sa = st[k][a] < 0 ? -st[k][a] : st[k][a];
                int64_t sb = st[k][b] < 0 ? -st[k][b] : st[k][b];
                if (sa == 0 || sb == 0) continue;
                if (sa < sb) verdict = 1;
                else if (sa > sb) verdict = -1;
            }
            if (verdict != 1) break;
            perm[j] = b;
            perm[j - 1] = a;
        }
    }
    /* Coalesce: outer dim merges into inner when every operand steps evenly. */
    int m = 0;
    for (int i = 0; i < n; i++) {
        int d = perm[i];
        if (m > 0) {
            bool ok = true;
            for (int k = 0; k < nops && ok; k++)
                ok = st[k][d] == it->strides[k][m - 1] * it->shape[m - 1];
            if (ok) {
                it->shape[m - 1] *= shape[d];
                continue;
            }
        }
        it->shape[m] = shape[d];
        for (int k = 0; k < nops; k++) it->strides[k][m] = st[k][d];
        m++;
    }
    if (m == 0) {
        it->shape[0] = 1;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
        m = 1;
    }
    it->ndim = m;
}

void ct_iter_run_range(const ct_iter *it, ct_loop_fn fn, void *ctx, int64_t begin, int64_t end) {
    if (begin >= end) return;
    int nops = it->nops, nd = it->ndim;
    int64_t inner = it->shape[0];
    int64_t idx[CT_MAX_DIMS];
    char *ptr[CT_MAX_OPERANDS];
    int64_t inner_st[CT_MAX_OPERANDS];
    /* multi-index of begin */
    int64_t rest = begin;
    for (int d = 0; d < nd; d++) {
        idx[d] = rest % it->shape[d];
        rest /= it->shape[d];
    }
    for (int k = 0; k < nops; k++) {
        inner_st[k] = it->strides[k][0];
        int64_t off = 0;
        for (int d = 0; d < nd; d++) off += idx[d] * it->strides[k][d];
        ptr[k] = it->data[k] + off;
    }
    int64_t pos = begin;
    while (pos < end) {
        int64_t n = inner - idx[0];
        if (n > end - pos) n = end - pos;
        fn(ptr, inner_st, n, ctx);
        pos += n;
        if (pos >= end) break;
        /* advance: inner dim wraps to 0, carry into outer dims */
        for (int k = 0; k < nops; k++) ptr[k] += (inner - idx[0]) * inner_st[k];
        /* ptr now points one past the row end (start of row + inner) */
        for (int k = 0; k < nops; k++) ptr[k] -= inner * inner_st[k];
        idx[0] = 0;
        for (int d = 1; d < nd; d++) {
            idx[d]++;
            for (int k = 0; k < nops; k++) ptr[k] += it->strides[k][d];
            if (idx[d] < it->shape[d]) break;
            for (int k = 0; k < nops; k++) ptr[k] -= it->shape[d] * it->strides[k][d];
            idx[d] = 0;
        }
    }
}

void ct_iter_run(const ct_iter *it, ct_loop_fn fn, void *ctx, int64_t grain) {
    int64_t n = it->numel;
    if (n == 0) return;
    int nt = 1;
    if (grain > 0 && n >= grain && !omp_in_parallel()) {
        nt = omp_get_max_threads();
        if ((int64_t)nt > n / (grain / 2 > 0 ? grain / 2 : 1)) nt = (int)(n / (grain / 2 > 0 ? grain / 2 : 1));
        if (nt < 1) nt = 1;
    }
    if (nt == 1) {
        ct_iter_run_range(it, fn, ctx, 0, n);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), T = omp_get_num_threads();
        /* chunk boundaries on 64-element multiples keep SIMD loops whole */
        int64_t chunk = ((n + T - 1) / T + 63) & ~(int64_t)63;
        int64_t b = (int64_t)tid * chunk, e = b + chunk;
        if (e > n) e = n;
        ct_iter_run_range(it, fn, ctx, b, e);
    }
}

int ct_get_num_threads(void) { return omp_get_max_threads(); }

extern void openblas_set_num_threads(int) __attribute__((weak));
void ct_set_num_threads(int n) {
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    if (openblas_set_num_threads) openblas_set_num_threads(n);
}
