/* Closeness and equality of tensors (torch.isclose, allclose, equal). */
#ifndef CTORCH_COMPARE_H
#define CTORCH_COMPARE_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bool tensor of the broadcast shape: a == b, or (when rtol or atol is
 * nonzero) |a - b| finite and <= atol + |rtol * b|; equal_nan counts two
 * NaNs as close. a and b must have the same dtype; rtol, atol >= 0.
 * Floating inputs compute in their dtype (float16/bfloat16 in float32),
 * integer and bool inputs in the default dtype, as PyTorch does.
 * PyTorch's defaults: rtol 1e-05, atol 1e-08, equal_nan false. */
ct_tensor *ct_isclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol,
                      bool equal_nan);
/* 1 when isclose holds everywhere (also for empty tensors), 0 when not,
 * -1 with an error (different dtypes, shapes that do not broadcast). */
int ct_allclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol, bool equal_nan);
/* 1 when a and b have the same sizes and equal values (compared after type
 * promotion; NaN is never equal), 0 otherwise, -1 with an error. */
int ct_equal(const ct_tensor *a, const ct_tensor *b);

#ifdef __cplusplus
}
#endif
#endif
