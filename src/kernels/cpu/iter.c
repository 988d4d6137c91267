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

/* ---------------------------------------------------------------- result layout */

/* PyTorch's is_non_overlapping_and_dense: the elements fill a block of
 * memory of numel elements exactly, in some order of the dims. */
bool ct__is_dense(const ct_tensor *t) {
    int nd = t->ndim, perm[CT_MAX_DIMS], n = 0;
    for (int d = 0; d < nd; d++) {
        if (t->sizes[d] == 0) return true;
        if (t->sizes[d] > 1) perm[n++] = d;
    }
    for (int i = 1; i < n; i++) /* by stride, smallest first */
        for (int j = i; j > 0 && t->strides[perm[j]] < t->strides[perm[j - 1]]; j--) {
            int s = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = s;
        }
    int64_t want = 1;
    for (int i = 0; i < n; i++) {
        if (t->strides[perm[i]] != want) return false;
        want *= t->sizes[perm[i]];
    }
    return true;
}

static bool channels_last(const ct_tensor *t) {
    if (t->ndim != 4) return false;
    static const int order[4] = {1, 3, 2, 0};
    int64_t want = 1;
    for (int i = 0; i < 4; i++) {
        int d = order[i];
        if (t->sizes[d] == 1) continue;
        if (t->strides[d] != want) return false;
        want *= t->sizes[d];
    }
    return true;
}

static bool same_shape(const ct_tensor *t, const int64_t *shape, int nd) {
    return t->ndim == nd && memcmp(t->sizes, shape, sizeof(int64_t) * (size_t)nd) == 0;
}

/* Dense strides for shape with the dims innermost-first in perm[0..nd):
 * contiguous when perm is the natural order. */
static void strides_from_perm(const int *perm, const int64_t *shape, int nd, int64_t *strides) {
    bool natural = true;
    for (int i = 0; i < nd; i++) natural &= perm[i] == nd - 1 - i;
    if (natural) {
        ct__contiguous_strides(shape, nd, strides);
        return;
    }
    int64_t next = 1;
    for (int i = 0; i < nd; i++) {
        strides[perm[i]] = next;
        next *= shape[perm[i]];
    }
}

void ct__out_strides(int n, const ct_tensor *const *in, const int64_t *shape, int nd,
                     int64_t *strides) {
    /* TensorIterator's fast setup: inputs of one shape (0-d ones included)
     * that are all contiguous, all channels-last, or all dense with the
     * same strides give a result laid out alike. */
    bool same = true, contig = true, cl = true, dense = true;
    for (int k = 0; k < n && same; k++) same = same_shape(in[k], shape, nd);
    for (int k = 0; k < n && same; k++) {
        contig &= ct_is_contiguous(in[k]);
        cl &= channels_last(in[k]);
        dense &= ct__is_dense(in[k]);
    }
    if (same && (contig || n == 0)) {
        ct__contiguous_strides(shape, nd, strides);
        return;
    }
    if (same && cl) {
        strides[1] = 1;
        strides[3] = shape[1];
        strides[2] = strides[3] * shape[3];
        strides[0] = strides[2] * shape[2];
        return;
    }
    if (same && dense) {
        bool alike = true;
        for (int k = 1; k < n && alike; k++)
            alike = memcmp(in[k]->strides, in[0]->strides, sizeof(int64_t) * (size_t)nd) == 0;
        if (alike) {
            memcpy(strides, in[0]->strides, sizeof(int64_t) * (size_t)nd);
            return;
        }
    }
    /* The general rule (TensorIterator::reorder_dimensions): sort the dims
     * innermost first by the inputs' strides; the first input that tells
     * two dims apart decides, broadcast dims (stride 0) tell nothing, equal
     * strides put the smaller dim inside. */
    int64_t st[CT_MAX_OPERANDS][CT_MAX_DIMS];
    for (int k = 0; k < n; k++) {
        const ct_tensor *t = in[k];
        for (int d = 0; d < nd; d++) {
            int td = t->ndim - nd + d;
            st[k][d] = td < 0 || (t->sizes[td] == 1 && shape[d] != 1) ? 0 : t->strides[td];
        }
    }
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
    for (int i = 1; i < nd; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int a = perm[d0], b = perm[d1], cmp = 0; /* 1: a goes outside b */
            for (int k = 0; k < n && !cmp; k++) {
                int64_t sa = st[k][a], sb = st[k][b];
                if (sa == 0 || sb == 0) continue;
                if (sa != sb) cmp = sa < sb ? -1 : 1;
                else if (shape[a] > shape[b]) cmp = 1;
            }
            if (cmp > 0) {
                perm[d0] = b;
                perm[d1] = a;
                d1 = d0;
            } else if (cmp < 0) {
                break;
            }
        }
    }
    strides_from_perm(perm, shape, nd, strides);
}

void ct__like_strides(const ct_tensor *t, int64_t *strides) {
    int nd = t->ndim;
    if (ct__is_dense(t)) {
        memcpy(strides, t->strides, sizeof(int64_t) * (size_t)nd);
        return;
    }
    /* infer_dense_strides: the same sort on t's own strides */
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
    for (int i = 1; i < nd; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int a = perm[d0], b = perm[d1], cmp = 0;
            int64_t sa = t->strides[a], sb = t->strides[b];
            if (sa != 0 && sb != 0) {
                if (sa != sb) cmp = sa < sb ? -1 : 1;
                else if (t->sizes[a] > t->sizes[b]) cmp = 1;
            }
            if (cmp > 0) {
                perm[d0] = b;
                perm[d1] = a;
                d1 = d0;
            } else if (cmp < 0) {
                break;
            }
        }
    }
    int64_t next = 1;
    for (int i = 0; i < nd; i++) {
        strides[perm[i]] = next;
        if (t->sizes[perm[i]] > 1) next *= t->sizes[perm[i]];
    }
}

ct_tensor *ct__empty_strided_on(const int64_t *sizes, const int64_t *strides, int nd, ct_dtype dt,
                                ct_device dev) {
    ct_tensor *r = ct__empty_on(sizes, nd, dt, dev);
    if (!r || !strides || memcmp(r->strides, strides, sizeof(int64_t) * (size_t)nd) == 0) return r;
    ct_tensor *v = ct__tensor_new(r->storage, dt, sizes, strides, nd, 0);
    ct_release(r);
    return v;
}

ct_tensor *ct__empty_like_layout(const ct_tensor *t, ct_dtype dt, ct_device dev) {
    int64_t st[CT_MAX_DIMS];
    ct__like_strides(t, st);
    return ct__empty_strided_on(t->sizes, st, t->ndim, dt, dev);
}
