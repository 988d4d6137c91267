/* Copy with broadcasting and dtype conversion; the basis of contiguous(),
 * clone() and to(dtype). */
#include "internal.h"

#include <omp.h>

/* One loop per (destination, source) pair of native types. */
#define CONV_LOOP(NAME, TO, FROM)                                                  \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        char *o = d[0];                                                            \
        const char *i = d[1];                                                      \
        if (s[0] == sizeof(TO) && s[1] == sizeof(FROM)) {                          \
            TO *restrict op = (TO *)o;                                             \
            const FROM *restrict ip = (const FROM *)i;                             \
            for (int64_t k = 0; k < n; k++) op[k] = (TO)ip[k];                     \
        } else {                                                                   \
            for (int64_t k = 0; k < n; k++, o += s[0], i += s[1])                  \
                *(TO *)o = (TO)*(const FROM *)i;                                   \
        }                                                                          \
    }

#define CONV_FROM_ALL(TN, TO)                                                      \
    CONV_LOOP(conv_##TN##_b, TO, bool)                                             \
    CONV_LOOP(conv_##TN##_u8, TO, uint8_t)                                         \
    CONV_LOOP(conv_##TN##_i8, TO, int8_t)                                          \
    CONV_LOOP(conv_##TN##_i16, TO, int16_t)                                        \
    CONV_LOOP(conv_##TN##_i32, TO, int32_t)                                        \
    CONV_LOOP(conv_##TN##_i64, TO, int64_t)                                        \
    CONV_LOOP(conv_##TN##_f32, TO, float)                                          \
    CONV_LOOP(conv_##TN##_f64, TO, double)

CONV_FROM_ALL(b, bool)
CONV_FROM_ALL(u8, uint8_t)
CONV_FROM_ALL(i8, int8_t)
CONV_FROM_ALL(i16, int16_t)
CONV_FROM_ALL(i32, int32_t)
CONV_FROM_ALL(i64, int64_t)
CONV_FROM_ALL(f32, float)
CONV_FROM_ALL(f64, double)

#define ROW(TN)                                                                    \
    {conv_##TN##_b, conv_##TN##_u8, conv_##TN##_i8, conv_##TN##_i16,               \
     conv_##TN##_i32, conv_##TN##_i64, NULL, NULL, conv_##TN##_f32, conv_##TN##_f64}
static const ct_loop_fn conv_table[CT_NUM_DTYPES][CT_NUM_DTYPES] = {
    ROW(b), ROW(u8), ROW(i8), ROW(i16), ROW(i32), ROW(i64), {0}, {0}, ROW(f32), ROW(f64)};

/* Same-dtype copy of any element size. */
static void copy_bytes(char **d, const int64_t *s, int64_t n, void *ctx) {
    size_t isz = *(size_t *)ctx;
    if (s[0] == (int64_t)isz && s[1] == (int64_t)isz) {
        memcpy(d[0], d[1], (size_t)n * isz);
        return;
    }
    char *o = d[0];
    const char *i = d[1];
    switch (isz) {
    case 1: for (int64_t k = 0; k < n; k++, o += s[0], i += s[1]) *o = *i; break;
    case 2: for (int64_t k = 0; k < n; k++, o += s[0], i += s[1]) *(uint16_t *)o = *(const uint16_t *)i; break;
    case 4: for (int64_t k = 0; k < n; k++, o += s[0], i += s[1]) *(uint32_t *)o = *(const uint32_t *)i; break;
    default: for (int64_t k = 0; k < n; k++, o += s[0], i += s[1]) *(uint64_t *)o = *(const uint64_t *)i; break;
    }
}

/* Conversions that involve float16/bfloat16 go through double. */
typedef struct { ct_dtype to, from; } slow_ctx;
static void conv_slow(char **d, const int64_t *s, int64_t n, void *ctx) {
    slow_ctx *c = ctx;
    char *o = d[0];
    const char *i = d[1];
    bool int_path = !ct_dtype_is_floating(c->to) && !ct_dtype_is_floating(c->from);
    for (int64_t k = 0; k < n; k++, o += s[0], i += s[1]) {
        if (int_path) ct__store_i64(o, c->to, ct__load_i64(i, c->from));
        else ct__store_f64(o, c->to, ct__load_f64(i, c->from));
    }
}

/* Internal copy: no autograd, no version bump. Returns 0 or -1. */
int ct__copy_into(ct_tensor *dst, const ct_tensor *src) {
    int64_t bshape[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("copy_", dst->sizes, dst->ndim, src->sizes, src->ndim, bshape);
    if (nd < 0) return -1;
    if (nd != dst->ndim || memcmp(bshape, dst->sizes, sizeof(int64_t) * (size_t)nd) != 0) {
        ct_set_error(CT_ERR_RUNTIME, "copy_: source of shape %s cannot be broadcast to %s",
                     ct__shp(src), ct__shp(dst));
        return -1;
    }
    if (dst->numel == 0) return 0;
    if (!ct__on_cpu(dst) || !ct__on_cpu(src)) {
        if (!ct__cuda) {
            ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
            return -1;
        }
        return ct__cuda->copy(dst, src);
    }
    const ct_tensor *ops[2] = {dst, src};
    ct_iter it;
    ct_iter_init(&it, 2, ops, dst->sizes, dst->ndim);
    if (dst->dtype == src->dtype) {
        size_t isz = ct_dtype_size(dst->dtype);
        ct_iter_run(&it, copy_bytes, &isz, CT_GRAIN * 4);
    } else if (conv_table[dst->dtype][src->dtype]) {
        ct_iter_run(&it, conv_table[dst->dtype][src->dtype], NULL, CT_GRAIN);
    } else {
        slow_ctx c = {dst->dtype, src->dtype};
        ct_iter_run(&it, conv_slow, &c, CT_GRAIN);
    }
    return 0;
}

ct_tensor *ct__contiguous(const ct_tensor *t) {
    if (ct_is_contiguous(t)) return ct_retain((ct_tensor *)t);
    ct_tensor *r = ct__empty_on(t->sizes, t->ndim, t->dtype, t->storage->device);
    if (!r) return NULL;
    if (ct__copy_into(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return r;
}

ct_tensor *ct__to_dtype(const ct_tensor *t, ct_dtype dt, bool copy) {
    if ((unsigned)dt >= CT_NUM_DTYPES) return CT_FAIL(CT_ERR_TYPE, "to: invalid dtype %d", dt);
    if (dt == t->dtype && !copy) return ct_retain((ct_tensor *)t);
    ct_tensor *r = ct__empty_on(t->sizes, t->ndim, dt, t->storage->device);
    if (!r) return NULL;
    if (ct__copy_into(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return r;
}
