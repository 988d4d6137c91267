/* Fill kernels: one bit pattern written into every element. Contiguous
 * tensors get memset (zeros) or a flat typed store loop the compiler
 * vectorizes, split across threads above the grain; strided tensors go
 * through the iterator. */
#include "ops/factory_internal.h"

#include <omp.h>

static void fill_run(char *p, int64_t n, size_t isz, uint64_t bits) {
    if (bits == 0) {
        memset(p, 0, (size_t)n * isz);
        return;
    }
    switch (isz) {
    case 1: memset(p, (int)(uint8_t)bits, (size_t)n); break;
    case 2: {
        uint16_t v = (uint16_t)bits, *restrict q = (uint16_t *)p;
        for (int64_t i = 0; i < n; i++) q[i] = v;
        break;
    }
    case 4: {
        uint32_t v = (uint32_t)bits, *restrict q = (uint32_t *)p;
        for (int64_t i = 0; i < n; i++) q[i] = v;
        break;
    }
    default: {
        uint64_t *restrict q = (uint64_t *)p;
        for (int64_t i = 0; i < n; i++) q[i] = bits;
        break;
    }
    }
}

typedef struct {
    uint64_t bits;
    size_t isz;
} fill_ctx;

static void fill_strided(char **d, const int64_t *s, int64_t n, void *ctx) {
    const fill_ctx *c = ctx;
    if (s[0] == (int64_t)c->isz) {
        fill_run(d[0], n, c->isz, c->bits);
        return;
    }
    char *p = d[0];
    switch (c->isz) {
    case 1: for (int64_t i = 0; i < n; i++, p += s[0]) *(uint8_t *)p = (uint8_t)c->bits; break;
    case 2: for (int64_t i = 0; i < n; i++, p += s[0]) *(uint16_t *)p = (uint16_t)c->bits; break;
    case 4: for (int64_t i = 0; i < n; i++, p += s[0]) *(uint32_t *)p = (uint32_t)c->bits; break;
    default: for (int64_t i = 0; i < n; i++, p += s[0]) *(uint64_t *)p = c->bits; break;
    }
}

void ct__fill_pattern(ct_tensor *t, uint64_t bits) {
    int64_t n = t->numel;
    if (n == 0) return;
    size_t isz = ct_dtype_size(t->dtype);
    if (ct_is_contiguous(t)) {
        char *p = ct_data_ptr(t);
        if (n < CT_GRAIN * 4 || omp_get_max_threads() == 1) {
            fill_run(p, n, isz, bits);
            return;
        }
        /* chunks of whole cache lines per thread */
        int64_t chunk = CT_GRAIN;
        int64_t nchunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < nchunks; c++) {
            int64_t b = c * chunk, e = b + chunk < n ? b + chunk : n;
            fill_run(p + b * (int64_t)isz, e - b, isz, bits);
        }
        return;
    }
    /* broadcast dims (stride 0) hold one element each: fill that one, so
     * that no two threads write the same memory */
    int64_t sz[CT_MAX_DIMS];
    int64_t m = 1;
    for (int i = 0; i < t->ndim; i++) {
        sz[i] = t->strides[i] == 0 ? 1 : t->sizes[i];
        m *= sz[i];
    }
    ct_tensor v = *t; /* a stack view: same storage, no new reference */
    memcpy(v.sizes, sz, sizeof(int64_t) * (size_t)t->ndim);
    v.numel = m;
    ct_iter it;
    const ct_tensor *ops[1] = {&v};
    ct_iter_init(&it, 1, ops, v.sizes, v.ndim);
    fill_ctx c = {bits, isz};
    ct_iter_run(&it, fill_strided, &c, CT_GRAIN * 4);
}

void ct__fill_f64(ct_tensor *t, double v) {
    uint64_t bits = 0;
    ct__store_f64(&bits, t->dtype, v);
    ct__fill_pattern(t, bits);
}

void ct__fill_i64(ct_tensor *t, int64_t v) {
    uint64_t bits = 0;
    ct__store_i64(&bits, t->dtype, v);
    ct__fill_pattern(t, bits);
}
