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

#endif
