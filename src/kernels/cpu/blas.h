/* Matrix products over strided memory: OpenBLAS (CBLAS) for float32/float64,
 * plain loops for the integer dtypes. Strides are in elements. Internal to
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
 * float64 or an integer dtype. */
void ct__gemm(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
              const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
              int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
              int64_t ldc);

/* y = alpha * A @ x + beta * y with A M x K (strides rs, cs), x of stride incx,
 * y contiguous. Float: A passes ct__blas_layout_ok and incx > 0. */
void ct__gemv(ct_dtype dt, int64_t M, int64_t K, double alpha, const void *A, int64_t rs,
              int64_t cs, const void *x, int64_t incx, double beta, void *y);

/* *out = sum_i x[i] * y[i] (out points to one element of dtype dt). */
void ct__dot(ct_dtype dt, int64_t n, const void *x, int64_t incx, const void *y, int64_t incy,
             void *out);

#endif
