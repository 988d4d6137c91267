/* reduce ops: declarations of the CUSTOM-signature ops of include/ctorch/def/reduce.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h.
 *
 * Conventions shared by every function here:
 *   dims/ndims: the dims to reduce (negative dims count from the end); dims
 *     NULL or ndims 0 reduces every dim, like PyTorch's dim=(). A repeated dim
 *     is an error.
 *   keepdim: reduced dims stay as size 1.
 *   dtype: -1 for PyTorch's default result dtype, else a ct_dtype; the input
 *     is cast to it before reducing.
 *   Index outputs are int64 and returned through a pointer argument (may be
 *     NULL when not wanted) as a new reference handed to the current scope,
 *     like the main result.
 * Result dtypes follow PyTorch: sum/prod/cumsum/cumprod of integers or bool
 * give int64; mean of integers is an error; all/any give bool (uint8 for
 * uint8 input); count_nonzero gives int64; logsumexp of integers gives the
 * default float dtype. */
#ifndef CTORCH_REDUCE_H
#define CTORCH_REDUCE_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sums and products. Empty reductions give 0 (sum), 1 (prod), NaN (mean). */
ct_tensor *ct_sum(const ct_tensor *x);
ct_tensor *ct_sum_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim, int dtype);
ct_tensor *ct_mean(const ct_tensor *x);
ct_tensor *ct_mean_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim, int dtype);
ct_tensor *ct_prod(const ct_tensor *x);
ct_tensor *ct_prod_dim(const ct_tensor *x, int dim, bool keepdim, int dtype);

/* Extremes. NaN propagates; with a dim the index is the first occurrence of
 * the extreme (or of the first NaN). An empty reduction is an error. */
ct_tensor *ct_max(const ct_tensor *x);
ct_tensor *ct_min(const ct_tensor *x);
ct_tensor *ct_max_dim(const ct_tensor *x, int dim, bool keepdim, ct_tensor **indices);
ct_tensor *ct_min_dim(const ct_tensor *x, int dim, bool keepdim, ct_tensor **indices);
ct_tensor *ct_amax(const ct_tensor *x, const int *dims, int ndims, bool keepdim);
ct_tensor *ct_amin(const ct_tensor *x, const int *dims, int ndims, bool keepdim);
/* dim NULL: index into the flattened tensor. */
ct_tensor *ct_argmax(const ct_tensor *x, const int *dim, bool keepdim);
ct_tensor *ct_argmin(const ct_tensor *x, const int *dim, bool keepdim);
/* Returns the minimum; the maximum goes to *max_out. dim NULL: all dims. */
ct_tensor *ct_aminmax(const ct_tensor *x, const int *dim, bool keepdim, ct_tensor **max_out);

/* Statistics (floating inputs). Divisor N - correction (PyTorch's default
 * correction is 1); a divisor <= 0 gives inf/nan like PyTorch. */
ct_tensor *ct_var(const ct_tensor *x, const int *dims, int ndims, double correction, bool keepdim);
ct_tensor *ct_std(const ct_tensor *x, const int *dims, int ndims, double correction, bool keepdim);
/* Return var (std); the mean goes to *mean_out. */
ct_tensor *ct_var_mean(const ct_tensor *x, const int *dims, int ndims, double correction,
                       bool keepdim, ct_tensor **mean_out);
ct_tensor *ct_std_mean(const ct_tensor *x, const int *dims, int ndims, double correction,
                       bool keepdim, ct_tensor **mean_out);

/* Vector p-norm over dims (floating inputs): p may be any number, INFINITY
 * (max |x|), -INFINITY (min |x|), 0 (count of nonzeros). "fro" is p = 2. */
ct_tensor *ct_norm(const ct_tensor *x, double p, const int *dims, int ndims, bool keepdim);
ct_tensor *ct_norm_fro(const ct_tensor *x, const int *dims, int ndims, bool keepdim);
ct_tensor *ct_logsumexp(const ct_tensor *x, const int *dims, int ndims, bool keepdim);

/* Logical reductions of any dtype. */
ct_tensor *ct_all(const ct_tensor *x);
ct_tensor *ct_all_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim);
ct_tensor *ct_any(const ct_tensor *x);
ct_tensor *ct_any_dims(const ct_tensor *x, const int *dims, int ndims, bool keepdim);
ct_tensor *ct_count_nonzero(const ct_tensor *x, const int *dims, int ndims);

/* Inclusive scans along dim. cummax/cummin: ties and NaNs move the index to
 * the latest position, as in PyTorch. */
ct_tensor *ct_cumsum(const ct_tensor *x, int dim, int dtype);
ct_tensor *ct_cumprod(const ct_tensor *x, int dim, int dtype);
ct_tensor *ct_cummax(const ct_tensor *x, int dim, ct_tensor **indices);
ct_tensor *ct_cummin(const ct_tensor *x, int dim, ct_tensor **indices);

#ifdef __cplusplus
}
#endif
#endif
