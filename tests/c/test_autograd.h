/* Helpers for the autograd tests: small custom functions computed with raw
 * loops in double precision, so engine tests need no other op family. */
#ifndef CT_TEST_AUTOGRAD_H
#define CT_TEST_AUTOGRAD_H

#include "harness.h"

/* y = sum(x * c) as a 0-d tensor; c is a constant (no gradient). The
 * backward is g * c (not differentiable further). */
ct_tensor *ag_dot(const ct_tensor *x, const ct_tensor *c);
/* y = x * x elementwise; saves x; backward 2 x g (raw loops). */
ct_tensor *ag_square(const ct_tensor *x);
/* y = k * x elementwise; saves x (like mul would) to test memory release;
 * backward k g. */
ct_tensor *ag_scale(const ct_tensor *x, double k);
/* y = sum(x) (0-d); backward: g expanded to x's shape (differentiable). */
ct_tensor *ag_sum(const ct_tensor *x);
/* double-valued tensor 0..n-1 with a shape */
ct_tensor *ag_arange(int64_t n, const int64_t *shape, int ndim);
/* gradient of sum(view(x) * c) with c = 1..numel(view): checks in tests */

#define EPS 1e-6
#define ATOL 1e-5
#define RTOL 1e-3

/* A leaf of shape (a, b) that is a transposed view of a (b, a) buffer. */
static inline ct_tensor *noncontig2(int64_t a, int64_t b, unsigned seed) {
    ct_tensor *base = tt_rand(SHAPE(b, a), 2, CT_FLOAT64, -1, 1, seed);
    ct_tensor *x = ct_transpose(base, 0, 1);
    ct_set_requires_grad(x, true);
    return x;
}

/* A leaf of shape (a, b, c) whose last dim steps by 2. */
static inline ct_tensor *strided3(int64_t a, int64_t b, int64_t c, unsigned seed) {
    ct_tensor *base = tt_rand(SHAPE(a, b, 2 * c), 3, CT_FLOAT64, -1, 1, seed);
    ct_tensor *x = ct_slice(base, 2, 0, 2 * c, 2);
    ct_set_requires_grad(x, true);
    return x;
}

static inline int checks(ct_check_fn f, ct_tensor **in, int n) {
    if (ct_gradcheck(f, NULL, in, n, EPS, ATOL, RTOL) < 0) return -1;
    return ct_gradgradcheck(f, NULL, in, n, EPS, ATOL, RTOL);
}
#define GRADCHECK(f, ...)                                                          \
    do {                                                                           \
        ct_tensor *in_[] = {__VA_ARGS__};                                          \
        CHECK(checks(f, in_, (int)(sizeof in_ / sizeof in_[0])) == 0);             \
    } while (0)

/* A transposed (non-contiguous) leaf of shape (a, b) with values in [lo, hi). */
static inline ct_tensor *ncr(int64_t a, int64_t b, double lo, double hi, unsigned seed) {
    ct_tensor *base = tt_rand(SHAPE(b, a), 2, CT_FLOAT64, lo, hi, seed);
    ct_tensor *x = ct_transpose(base, 0, 1);
    ct_set_requires_grad(x, true);
    return x;
}

/* A float64 leaf requiring grad with random values in [lo, hi). */
static inline ct_tensor *rleaf(const int64_t *shape, int ndim, double lo, double hi, unsigned seed) {
    ct_tensor *x = tt_rand(shape, ndim, CT_FLOAT64, lo, hi, seed);
    ct_set_requires_grad(x, true);
    return x;
}

#define FN(name, expr)                                                             \
    static ct_tensor *name(ct_tensor *const *x, int n, void *c) {                  \
        (void)n; (void)c; (void)x;                                                 \
        return expr;                                                               \
    }

#endif
