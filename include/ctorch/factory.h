/* factory ops: creating tensors and filling them (src/ops/factory.c), plus the
 * random (ctorch/random.h) and printing (ctorch/print.h) APIs of the same
 * family. Ownership: see core.h (new tensors go to the innermost scope;
 * in-place ops return their first argument, borrowed).
 *
 * dtype arguments: pass CT_DTYPE_DEFAULT to get PyTorch's default for the
 * op: ct_default_dtype() for float-valued creation (zeros, ones, full,
 * arange, linspace, logspace, eye, tensor_from_doubles), int64 for the
 * *_int variants, and the input's dtype for *_like ops. */
#ifndef CTORCH_FACTORY_H
#define CTORCH_FACTORY_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CT_DTYPE_DEFAULT ((ct_dtype)-1)

ct_tensor *ct_zeros(const int64_t *sizes, int ndim, ct_dtype dt);
ct_tensor *ct_ones(const int64_t *sizes, int ndim, ct_dtype dt);
/* torch.full(size, value): default dtype is the default float dtype; Python
 * passes int64 for an int value and bool for a bool value (as PyTorch
 * infers). ct_full_int keeps all 64 bits of an integer value and defaults to
 * int64. */
ct_tensor *ct_full(const int64_t *sizes, int ndim, double value, ct_dtype dt);
ct_tensor *ct_full_int(const int64_t *sizes, int ndim, int64_t value, ct_dtype dt);

/* *_like: the shape of t; dt = CT_DTYPE_DEFAULT keeps t's dtype. The result
 * is contiguous (PyTorch's preserve_format gives t's strides when t is
 * dense; ctorch always returns row-major). */
ct_tensor *ct_zeros_like(const ct_tensor *t, ct_dtype dt);
ct_tensor *ct_ones_like(const ct_tensor *t, ct_dtype dt);
ct_tensor *ct_full_like(const ct_tensor *t, double value, ct_dtype dt);
ct_tensor *ct_empty_like_dtype(const ct_tensor *t, ct_dtype dt);

/* torch.arange(start, end, step). ct_arange takes doubles and defaults to
 * the default float dtype; ct_arange_int takes integers and defaults to
 * int64 (PyTorch gives int64 when every argument is an integer). The length
 * is ceil((end - start) / step) computed in double, as in PyTorch. */
ct_tensor *ct_arange(double start, double end, double step, ct_dtype dt);
ct_tensor *ct_arange_int(int64_t start, int64_t end, int64_t step, ct_dtype dt);
/* steps points from start to end inclusive (steps >= 0). */
ct_tensor *ct_linspace(double start, double end, int64_t steps, ct_dtype dt);
/* base ** linspace(start, end, steps). */
ct_tensor *ct_logspace(double start, double end, int64_t steps, double base, ct_dtype dt);
/* n x m identity matrix; torch.eye(n) is ct_eye(n, n, dt). */
ct_tensor *ct_eye(int64_t n, int64_t m, ct_dtype dt);

/* Uninitialised tensor with the given strides (in elements, >= 0) over a
 * storage just large enough (torch.empty_strided). */
ct_tensor *ct_empty_strided(const int64_t *sizes, const int64_t *strides, int ndim, ct_dtype dt);

/* 2 x N indices (row; col) of the lower (upper) triangle of a row x col
 * matrix, diagonal offset like torch.tril_indices; dt int64 (default) or
 * int32. */
ct_tensor *ct_tril_indices(int64_t row, int64_t col, int64_t offset, ct_dtype dt);
ct_tensor *ct_triu_indices(int64_t row, int64_t col, int64_t offset, ct_dtype dt);

/* Copies ndim/sizes-shaped row-major values, converted to dt (torch.tensor
 * of a nested list of floats). */
ct_tensor *ct_tensor_from_doubles(const double *values, const int64_t *sizes, int ndim,
                                  ct_dtype dt);

/* In place: every element of t becomes value (converted like PyTorch:
 * truncation toward zero for integers, != 0 for bool). Bumps t's version.
 * Autograd: recorded when t requires grad (args: f[0] = value; the gradient
 * flowing to t's old value is zero). */
ct_tensor *ct_fill_(ct_tensor *t, double value);
/* value must be a 0-d tensor (autograd: args empty; grad of value = sum of
 * grad, grad of t's old value = 0). */
ct_tensor *ct_fill_tensor_(ct_tensor *t, const ct_tensor *value);
ct_tensor *ct_zero_(ct_tensor *t);

#ifdef __cplusplus
}
#endif

#include "ctorch/random.h"
#include "ctorch/print.h"

#endif
