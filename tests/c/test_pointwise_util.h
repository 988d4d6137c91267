/* Helpers of the pointwise tests: references are computed here in double
 * precision with libm over the broadcast inputs, and compared with the op. */
#ifndef CT_TEST_POINTWISE_UTIL_H
#define CT_TEST_POINTWISE_UTIL_H

#include "harness.h"

#include <stdlib.h>

typedef double (*pw_ref1)(double);
typedef double (*pw_ref2)(double, double);

/* Values of t broadcast to shape, row-major (malloc'd). */
static inline double *pw_bvals(const ct_tensor *t, const int64_t *shape, int nd) {
    ct_tensor *e = ct_expand(t, shape, nd);
    if (!e) return NULL;
    return tt_values(e);
}

/* v as stored in dtype dt (C conversion, as PyTorch's kernels do). */
static inline double pw_as(ct_dtype dt, double v) {
    if (dt == CT_FLOAT64) return v;
    if (dt == CT_FLOAT32) return (float)v;
    if (!ct_dtype_is_floating(dt) && (isnan(v) || isinf(v))) return v;
    return ct_item_at(ct_scalar_tensor(v, dt), 0);
}

/* r must have dtype dt, the broadcast shape of a and b, and r[i] = f(a[i], b[i])
 * (computed in double, rounded to dt) within tol. */
static inline int pw_check2(const char *file, int line, const ct_tensor *r, const ct_tensor *a,
                            const ct_tensor *b, pw_ref2 f, ct_dtype dt, double tol) {
    if (!r) {
        ct_test_fail(file, line, "result is NULL: %s", ct_last_error());
        return -1;
    }
    if (r->dtype != dt) {
        ct_test_fail(file, line, "dtype %s, expected %s", ct_dtype_name(r->dtype), ct_dtype_name(dt));
        return -1;
    }
    int64_t shape[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("test", a->sizes, a->ndim, b->sizes, b->ndim, shape);
    double *va = pw_bvals(a, shape, nd), *vb = pw_bvals(b, shape, nd);
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *e = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) e[i] = pw_as(dt, f(va[i], vb[i]));
    int rc = tt_expect(file, line, r, shape, nd, e, tol);
    free(va);
    free(vb);
    free(e);
    return rc;
}
#define CHECK2(r, a, b, f, dt, tol)                                                     \
    do {                                                                                \
        if (pw_check2(__FILE__, __LINE__, (r), (a), (b), (f), (dt), (tol)) < 0) return; \
    } while (0)

static inline int pw_check1(const char *file, int line, const ct_tensor *r, const ct_tensor *x,
                            pw_ref1 f, ct_dtype dt, double tol) {
    if (!r) {
        ct_test_fail(file, line, "result is NULL: %s", ct_last_error());
        return -1;
    }
    if (r->dtype != dt) {
        ct_test_fail(file, line, "dtype %s, expected %s", ct_dtype_name(r->dtype), ct_dtype_name(dt));
        return -1;
    }
    double *v = tt_values(x);
    double *e = malloc(sizeof(double) * (size_t)(x->numel ? x->numel : 1));
    for (int64_t i = 0; i < x->numel; i++) e[i] = pw_as(dt, f(v[i]));
    int rc = tt_expect(file, line, r, x->sizes, x->ndim, e, tol);
    free(v);
    free(e);
    return rc;
}
#define CHECK1(r, x, f, dt, tol)                                                        \
    do {                                                                                \
        if (pw_check1(__FILE__, __LINE__, (r), (x), (f), (dt), (tol)) < 0) return;      \
    } while (0)

/* A [rows, cols] float tensor viewed transposed: non-contiguous [cols, rows]. */
static inline ct_tensor *pw_transposed(int64_t rows, int64_t cols, ct_dtype dt, double lo,
                                       double hi, unsigned seed) {
    return ct_t(tt_rand(SHAPE(rows, cols), 2, dt, lo, hi, seed));
}

/* Tolerance for results of dtype dt computed from exact double references. */
static inline double pw_tol(ct_dtype dt) {
    switch (dt) {
    case CT_FLOAT32: return 2e-6;
    case CT_FLOAT64: return 1e-14;
    case CT_FLOAT16: return 2e-3;
    case CT_BFLOAT16: return 1.6e-2;
    default: return 0;
    }
}

#endif
