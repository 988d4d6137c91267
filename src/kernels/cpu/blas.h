/* Matrix products over strided memory: OpenBLAS (CBLAS) for float32/float64,
 * oneDNN's sgemm for the larger float32 ones, plain loops for the integer
 * dtypes. Strides are in elements. Internal to
 * the linalg family (src/ops/linalg*.c). */
#ifndef CT_KERNELS_CPU_BLAS_H
#define CT_KERNELS_CPU_BLAS_H

#include "internal.h"

/* True when a rows x cols operand with strides (rs, cs) can be handed to
 * CBLAS as it is: one of the two strides is 1 and the other is a valid
 * leading dimension. Otherwise the caller makes the operand contiguous. */
bool ct__blas_layout_ok(int64_t rows, int64_t cols, int64_t rs, int64_t cs);
/* Largest size CBLAS (32-bit int) takes. */
bool ct__blas_fits(int64_t n);

/* C[b] = alpha * A[b] @ B[b] + beta * C[b] for b < batch, where A[b] is
 * M x K at A + b*a_bs with strides (a_rs, a_cs), B[b] is K x N likewise, and
 * C[b] is M x N row-major at C + b*c_bs with row stride ldc. beta == 0 never
 * reads C (it may be uninitialised). c_bs == 0 accumulates every batch into
 * the one C (beta applies once): addbmm. Float operands must pass
 * ct__blas_layout_ok; integer dtypes take any strides. dt is float32,
 * float64 or an integer dtype. Returns 0, or -1 with the error set when
 * oneDNN ran out of memory in a product with beta != 0 (blas.c's top): C
 * is then partly written. Called inside a parallel region, the error is set
 * on that thread: the caller sets its own after the region. */
int ct__gemm(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
             const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
             int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
             int64_t ldc);
/* Test hook: the next n oneDNN products run and then report failure, as an
 * out-of-memory failure after writing C would. */
void ct__gemm_inject_dnnl_failures(int n);

/* The library of float32 products (blas.c's top comment says where each
 * wins): AUTO (the default) oneDNN above a size threshold, else OpenBLAS;
 * the environment's CT_GEMM=auto|dnnl|openblas sets it on first use. Without
 * oneDNN in the build it is always OPENBLAS. set_backend is for tests and
 * benchmarks (not synchronised with products running at the same time). */
typedef enum { CT_GEMM_AUTO, CT_GEMM_OPENBLAS, CT_GEMM_DNNL } ct_gemm_backend;
ct_gemm_backend ct__gemm_backend(void);
void ct__gemm_set_backend(ct_gemm_backend b);

/* y = alpha * A @ x + beta * y with A M x K (strides rs, cs), x of stride incx,
 * y contiguous. Float: A passes ct__blas_layout_ok and incx > 0. */
void ct__gemv(ct_dtype dt, int64_t M, int64_t K, double alpha, const void *A, int64_t rs,
              int64_t cs, const void *x, int64_t incx, double beta, void *y);

/* *out = sum_i x[i] * y[i] (out points to one element of dtype dt). */
void ct__dot(ct_dtype dt, int64_t n, const void *x, int64_t incx, const void *y, int64_t incy,
             void *out);

#endif

/* ---------------------------------------------------------------- LAPACK
 * Batches of column-major matrices, contiguous one after another (an m x n
 * matrix occupies m*n elements, leading dimension m), float32 or float64,
 * through LAPACKE's _work entry points (no NaN pre-check: NaN in, NaN out).
 * Functions return 0, a positive LAPACK info of the first failing matrix
 * (its batch index in *bad), or -1 with an error set (out of memory). */

/* a <- inverse of a (getrf + getri); info > 0: U(info, info) is zero. */
int ct__lapack_inv(ct_dtype dt, int64_t batch, int64_t n, void *a, int64_t *bad);
/* b <- solution of a x = b for n x k right-hand sides (gesv); a is destroyed. */
int ct__lapack_solve(ct_dtype dt, int64_t batch, int64_t n, int64_t k, void *a, void *b,
                     int64_t *bad);
/* det[b] (or sign[b] and log|det|[b] when sign != NULL) from an LU of a. */
int ct__lapack_det(ct_dtype dt, int64_t batch, int64_t n, void *a, void *sign, void *out);
/* a <- its Cholesky factor (upper: U with a = U^T U, else L with a = L L^T),
 * the other triangle zeroed; info > 0: that leading minor is not positive-definite. */
int ct__lapack_cholesky(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper,
                        int64_t *bad);
/* a = Q R for a m x n: r gets the rrows x n upper trapezoid (rrows = k or m),
 * q (may be NULL) the first qcols columns of Q (qcols = k or m); k = min(m, n). */
int ct__lapack_qr(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, void *q,
                  int64_t qcols, void *r, int64_t rrows);
/* a = U diag(s) Vt (gesdd): u m x ucols, vt vrows x n where ucols = vrows =
 * k = min(m, n), or m and n with full; s descending; a is destroyed. */
int ct__lapack_svd(ct_dtype dt, int64_t batch, int64_t m, int64_t n, void *a, bool full,
                   void *u, void *s, void *vt, int64_t *bad);
/* w <- eigenvalues ascending, a <- eigenvectors in its columns (syevd),
 * reading the upper or lower triangle of a. */
int ct__lapack_eigh(ct_dtype dt, int64_t batch, int64_t n, void *a, bool upper, void *w,
                    int64_t *bad);
