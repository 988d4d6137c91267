/* shape ops: declarations of the CUSTOM-signature ops of include/ctorch/def/shape.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h.
 *
 * Ops returning several tensors:
 * - Lists of views (split, chunk, unbind, tensor_split, meshgrid) write their
 *   results into a caller array: `int ct_split(x, ..., ct_tensor **out, int
 *   max_out)` returns the number of pieces n and fills out[0..n) with new
 *   references (each handed to the current scope, like any op result). When
 *   n > max_out nothing is written, and -1 is returned with an error that names
 *   n; pass out = NULL, max_out = 0 to learn n without creating tensors (the
 *   error is set in that case too).
 * - Value/index pairs (sort, topk, kthvalue) return the values and write the
 *   int64 indices to *indices when indices is not NULL.
 * - unique/unique_consecutive return the values and write the optional
 *   inverse/counts when their pointers are not NULL (PyTorch's return_inverse /
 *   return_counts flags).
 */
#ifndef CTORCH_SHAPE_H
#define CTORCH_SHAPE_H

#include <limits.h>

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "dim=None" for ops where the dim is optional (repeat_interleave). */
#ifndef CT_DIM_NONE
#define CT_DIM_NONE INT_MIN
#endif

/* ------------------------------------------------------------- joining */
/* torch.cat: promotes dtypes across inputs; 1-d empty tensors are skipped
 * (the legacy rule of PyTorch 1.13); negative dim counts from the end. */
ct_tensor *ct_cat(const ct_tensor *const *xs, int n, int dim);
ct_tensor *ct_stack(const ct_tensor *const *xs, int n, int dim);
ct_tensor *ct_hstack(const ct_tensor *const *xs, int n);
ct_tensor *ct_vstack(const ct_tensor *const *xs, int n);
ct_tensor *ct_dstack(const ct_tensor *const *xs, int n);
ct_tensor *ct_column_stack(const ct_tensor *const *xs, int n);
/* Views with at least 1/2/3 dims (as torch.atleast_Nd of one tensor). */
ct_tensor *ct_atleast_1d(const ct_tensor *x);
ct_tensor *ct_atleast_2d(const ct_tensor *x);
ct_tensor *ct_atleast_3d(const ct_tensor *x);

/* ------------------------------------------------------------- splitting (views) */
int ct_split(const ct_tensor *x, int64_t size, int dim, ct_tensor **out, int max_out);
int ct_split_with_sizes(const ct_tensor *x, const int64_t *sizes, int nsizes, int dim,
                        ct_tensor **out, int max_out);
int ct_chunk(const ct_tensor *x, int64_t chunks, int dim, ct_tensor **out, int max_out);
int ct_unbind(const ct_tensor *x, int dim, ct_tensor **out, int max_out);
/* tensor_split(x, sections, dim) and tensor_split(x, indices, dim). */
int ct_tensor_split(const ct_tensor *x, int64_t sections, int dim, ct_tensor **out, int max_out);
int ct_tensor_split_indices(const ct_tensor *x, const int64_t *indices, int nindices, int dim,
                            ct_tensor **out, int max_out);

/* torch.hsplit/vsplit/dsplit: by a number of equal sections (which must
 * divide the size) or by indices. */
int ct_hsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out);
int ct_hsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out);
int ct_vsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out);
int ct_vsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out);
int ct_dsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out);
int ct_dsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out);

/* ------------------------------------------------------------- rearranging (copies) */
/* torch.block_diag: 0-d/1-d/2-d inputs, dtypes promoted; n == 0 gives [1, 0]. */
ct_tensor *ct_block_diag(const ct_tensor *const *xs, int n);
/* torch.cartesian_prod of n 1-d tensors of one dtype: [prod(len), n] (n == 1: x itself). */
ct_tensor *ct_cartesian_prod(const ct_tensor *const *xs, int n);
ct_tensor *ct_flip(const ct_tensor *x, const int *dims, int ndims);
ct_tensor *ct_fliplr(const ct_tensor *x);
ct_tensor *ct_flipud(const ct_tensor *x);
/* torch.rot90(x, k, dims): dims NULL means {0, 1}. The result of odd k is a
 * transposed view of a flipped copy, as in PyTorch. */
ct_tensor *ct_rot90(const ct_tensor *x, int64_t k, const int *dims, int ndims);
/* ndims == 0: roll the flattened tensor by shifts[0] (nshifts must be 1). */
ct_tensor *ct_roll(const ct_tensor *x, const int64_t *shifts, int nshifts, const int *dims,
                   int ndims);
ct_tensor *ct_repeat(const ct_tensor *x, const int64_t *repeats, int nrepeats);
ct_tensor *ct_tile(const ct_tensor *x, const int64_t *reps, int nreps);
/* dim = CT_DIM_NONE flattens the input first. */
ct_tensor *ct_repeat_interleave(const ct_tensor *x, int64_t repeats, int dim);
ct_tensor *ct_repeat_interleave_tensor(const ct_tensor *x, const ct_tensor *repeats, int dim);
/* torch.repeat_interleave(repeats): [0]*r0 + [1]*r1 + ... (int64). */
ct_tensor *ct_repeat_interleave_self(const ct_tensor *repeats);
ct_tensor *ct_tril(const ct_tensor *x, int64_t diagonal);
ct_tensor *ct_triu(const ct_tensor *x, int64_t diagonal);
/* In place (Tensor.tril_/triu_): return x, borrowed. */
ct_tensor *ct_tril_(ct_tensor *x, int64_t diagonal);
ct_tensor *ct_triu_(ct_tensor *x, int64_t diagonal);
/* torch.nn.functional.pad: pad = (last_left, last_right, prev_left, ...);
 * mode "constant" (negative pads crop), "reflect", "replicate", "circular";
 * value is used by "constant" only. */
ct_tensor *ct_pad(const ct_tensor *x, const int64_t *pad, int npad, const char *mode,
                  double value);
ct_tensor *ct_broadcast_to(const ct_tensor *x, const int64_t *sizes, int ndim);
/* torch.meshgrid of n 0-d/1-d tensors; indexing "ij" (or NULL) or "xy". Views. */
int ct_meshgrid(const ct_tensor *const *xs, int n, const char *indexing, ct_tensor **out,
                int max_out);

/* ------------------------------------------------------------- sorting */
/* NaN sorts as greater than every number (last ascending, first descending).
 * The sort is always stable (a merge sort); `stable` is accepted for API parity. */
ct_tensor *ct_sort(const ct_tensor *x, int dim, bool descending, bool stable,
                   ct_tensor **indices);
ct_tensor *ct_argsort(const ct_tensor *x, int dim, bool descending, bool stable);
ct_tensor *ct_msort(const ct_tensor *x);
/* Results are always sorted (sorted=false allows any order in PyTorch). */
ct_tensor *ct_topk(const ct_tensor *x, int64_t k, int dim, bool largest, bool sorted,
                   ct_tensor **indices);
ct_tensor *ct_kthvalue(const ct_tensor *x, int64_t k, int dim, bool keepdim,
                       ct_tensor **indices);

/* ------------------------------------------------------------- counting */
/* torch.unique with dim=None (the input is flattened); results are always
 * sorted; each NaN is a distinct value (sorted last). inverse has x's shape. */
ct_tensor *ct_unique(const ct_tensor *x, bool sorted, ct_tensor **inverse, ct_tensor **counts);
ct_tensor *ct_unique_consecutive(const ct_tensor *x, ct_tensor **inverse, ct_tensor **counts);
/* unique(x, dim=dim): distinct slices along dim, in lexicographic order;
 * inverse and counts are 1-d over that dim. A slice holding a NaN equals no
 * other slice. */
ct_tensor *ct_unique_dim(const ct_tensor *x, int dim, bool sorted, ct_tensor **inverse,
                         ct_tensor **counts);
ct_tensor *ct_unique_consecutive_dim(const ct_tensor *x, int dim, ct_tensor **inverse,
                                     ct_tensor **counts);
/* side: NULL, "left" or "right" (must agree with right when given). */
ct_tensor *ct_searchsorted(const ct_tensor *sorted_sequence, const ct_tensor *values,
                           bool out_int32, bool right, const char *side);
ct_tensor *ct_searchsorted_scalar(const ct_tensor *sorted_sequence, double value, bool out_int32,
                                  bool right, const char *side);
/* torch.bucketize: searchsorted with 1-d boundaries and the values first. */
ct_tensor *ct_bucketize(const ct_tensor *values, const ct_tensor *boundaries, bool out_int32,
                        bool right);
ct_tensor *ct_bucketize_scalar(double value, const ct_tensor *boundaries, bool out_int32,
                               bool right);
/* weights may be NULL. Result: int64 without weights; float32 for float32
 * weights, else float64 (as PyTorch). */
ct_tensor *ct_bincount(const ct_tensor *x, const ct_tensor *weights, int64_t minlength);
/* min == max == 0 uses the data's range. Result has x's (floating) dtype. */
ct_tensor *ct_histc(const ct_tensor *x, int64_t bins, double min, double max);
/* torch.histogram: bins equal-width bins over range[0..1] (range NULL: the
 * data's range, [0, 1] for an empty input; a zero-width range widens by 0.5
 * each side), or over the edges of a 1-d bins tensor of x's dtype. weight
 * (x's shape and dtype) and bin_edges may be NULL. Returns the histogram. */
ct_tensor *ct_histogram(const ct_tensor *x, int64_t bins, const double *range,
                        const ct_tensor *weight, bool density, ct_tensor **bin_edges);
ct_tensor *ct_histogram_edges(const ct_tensor *x, const ct_tensor *bins, const ct_tensor *weight,
                              bool density, ct_tensor **bin_edges);

#ifdef __cplusplus
}
#endif
#endif
