/* A small test harness: TEST(group, name) registers a test; the group is the
 * op under test (the op-coverage test looks groups up in the op table). Each
 * test runs inside a ct_scope, so tensors need no release. */
#ifndef CT_TEST_HARNESS_H
#define CT_TEST_HARNESS_H

#include "ctorch/ctorch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*ct_test_fn)(void);
void ct_test_register(const char *group, const char *name, ct_test_fn fn, const char *file);
void ct_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ct_test_failed(void); /* current test has failed */

#define TEST(group, name)                                                          \
    static void test_##group##__##name(void);                                      \
    __attribute__((constructor)) static void reg_##group##__##name(void) {         \
        ct_test_register(#group, #name, test_##group##__##name, __FILE__);         \
    }                                                                              \
    static void test_##group##__##name(void)

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            ct_test_fail(__FILE__, __LINE__, "CHECK(%s) failed (last error: %s)",  \
                         #cond, ct_last_error());                                  \
            return;                                                                \
        }                                                                          \
    } while (0)

/* t must be non-NULL (the op succeeded). */
#define CHECK_OK(t)                                                                \
    do {                                                                           \
        if (!(t)) {                                                                \
            ct_test_fail(__FILE__, __LINE__, "%s returned NULL: %s", #t,           \
                         ct_last_error());                                         \
            return;                                                                \
        }                                                                          \
    } while (0)

/* expr must fail (NULL) and the error message must contain substr. */
#define CHECK_ERR(expr, substr)                                                    \
    do {                                                                           \
        ct_clear_error();                                                          \
        if ((expr) != NULL) {                                                      \
            ct_test_fail(__FILE__, __LINE__, "%s succeeded, expected an error",    \
                         #expr);                                                   \
            return;                                                                \
        }                                                                          \
        if (!strstr(ct_last_error(), (substr))) {                                  \
            ct_test_fail(__FILE__, __LINE__, "error of %s was '%s', expected '%s'", \
                         #expr, ct_last_error(), (substr));                        \
            return;                                                                \
        }                                                                          \
    } while (0)

#define CHECK_CLOSE(a, b, tol)                                                     \
    do {                                                                           \
        double a_ = (a), b_ = (b);                                                 \
        if (!(fabs(a_ - b_) <= (tol) * (1 + fabs(b_))) &&                          \
            !(isnan(a_) && isnan(b_)) && !(a_ == b_)) {                            \
            ct_test_fail(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g",    \
                         #a, a_, #b, b_);                                          \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Test helpers (harness.c). */
/* Tensor of given shape/dtype filled from doubles (row-major). */
ct_tensor *tt_tensor(const double *vals, const int64_t *shape, int ndim, ct_dtype dt);
/* Tensor of shape filled with deterministic pseudo-random values in [lo, hi). */
ct_tensor *tt_rand(const int64_t *shape, int ndim, ct_dtype dt, double lo, double hi,
                   unsigned seed);
/* Checks shape and every element against expected (row-major doubles);
 * returns 0 if equal within tol (relative+absolute), else reports and returns -1. */
int tt_expect(const char *file, int line, const ct_tensor *t, const int64_t *shape, int ndim,
              const double *expected, double tol);
#define CHECK_TENSOR(t, shape, ndim, expected, tol)                                \
    do {                                                                           \
        if (tt_expect(__FILE__, __LINE__, (t), (shape), (ndim), (expected), (tol)) < 0) \
            return;                                                                \
    } while (0)
/* Values of t in row-major order as doubles (scope-free malloc; free it). */
double *tt_values(const ct_tensor *t);

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define VALS(...) ((const double[]){__VA_ARGS__})

#endif
