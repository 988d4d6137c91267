/* Interface between the host side of the GPU decompositions
 * (src/cuda/solver.c, cuSOLVER) and their helper kernels (solver.cu).
 * Batches of column-major matrices, contiguous one after another; dt is
 * CT_FLOAT32 or CT_FLOAT64 (ct_dtype values). Every launch goes to the
 * current stream; 0, or -1 with ct_set_error called. Not installed. */
#ifndef CTORCH_CUDA_SOLVER_KERN_H
#define CTORCH_CUDA_SOLVER_KERN_H

#include <stdint.h>

#include "cuda/cuda_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every m x c matrix of a = the identity's first c columns. */
int ct__cuda_lak_eye(int dt, void *a, int64_t batch, int64_t m, int64_t c);
/* Zeroes the triangle of every n x n matrix of a that a Cholesky factor
 * leaves alone: below the diagonal when upper, else above it. */
int ct__cuda_lak_zero_tri(int dt, void *a, int64_t batch, int64_t n, int upper);
/* From LU factors (getrf: lu, 1-based pivots ipiv, n per matrix): out[b] =
 * det, or, when sign is not NULL, sign[b] and out[b] = log|det| (sign 0
 * and -inf for a singular matrix), as kernels/cpu/blas_lapack.c. */
int ct__cuda_lak_det(int dt, const void *lu, const int *ipiv, int64_t batch, int64_t n, void *sign,
                     void *out);
/* r (rrows x n per matrix) = the upper trapezoid of a (m x n) after geqrf. */
int ct__cuda_lak_qr_r(int dt, const void *a, void *r, int64_t batch, int64_t m, int64_t n,
                      int64_t rrows);
/* dst (cols x rows per matrix) = the transpose of src (rows x cols). */
int ct__cuda_lak_transpose(int dt, const void *src, void *dst, int64_t batch, int64_t rows,
                           int64_t cols);

#ifdef __cplusplus
}
#endif
#endif
