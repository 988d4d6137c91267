/* linalg ops: declarations of the CUSTOM-signature ops of include/ctorch/def/linalg.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h.
 * Matrix ops work on float32/float64 through OpenBLAS, on integer dtypes
 * through plain loops, and on float16/bfloat16 through float32. The
 * decompositions (linalg_*) take float32/float64 and batch over leading dims.
 * Functions with several results return 0 (each result handed to the current
 * scope, like any op result) or -1 with an error. */
#ifndef CTORCH_LINALG_H
#define CTORCH_LINALG_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

ct_tensor *ct_mm(const ct_tensor *a, const ct_tensor *b);     /* [n,k] @ [k,m] */
ct_tensor *ct_bmm(const ct_tensor *a, const ct_tensor *b);    /* [b,n,k] @ [b,k,m] */
ct_tensor *ct_mv(const ct_tensor *mat, const ct_tensor *vec); /* [n,k] @ [k] */
ct_tensor *ct_dot(const ct_tensor *a, const ct_tensor *b);    /* 0-d */
ct_tensor *ct_vdot(const ct_tensor *a, const ct_tensor *b);
/* torch.matmul: every case (1-d/2-d/batched, broadcast batch dims). */
ct_tensor *ct_matmul(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_addmm(const ct_tensor *self, const ct_tensor *mat1, const ct_tensor *mat2,
                    double beta, double alpha);
ct_tensor *ct_addbmm(const ct_tensor *self, const ct_tensor *batch1, const ct_tensor *batch2,
                     double beta, double alpha);
ct_tensor *ct_baddbmm(const ct_tensor *self, const ct_tensor *batch1, const ct_tensor *batch2,
                      double beta, double alpha);
ct_tensor *ct_addmv(const ct_tensor *self, const ct_tensor *mat, const ct_tensor *vec,
                    double beta, double alpha);
ct_tensor *ct_outer(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_kron(const ct_tensor *a, const ct_tensor *b);

/* torch.einsum("ij,jk->ik", a, b): implicit or explicit output, '...',
 * repeated subscripts (diagonals, traces), size-1 broadcasting. */
ct_tensor *ct_einsum(const char *equation, const ct_tensor *const *operands, int n);
/* torch.tensordot(a, b, dims=n): the last n dims of a with the first n of b. */
ct_tensor *ct_tensordot(const ct_tensor *a, const ct_tensor *b, int n);
/* torch.tensordot(a, b, dims=(dims_a, dims_b)), both lists of length ndims. */
ct_tensor *ct_tensordot_dims(const ct_tensor *a, const ct_tensor *b, const int *dims_a,
                             const int *dims_b, int ndims);

/* Decompositions; A is [..., n, n] (qr/svd: [..., m, n]). */
ct_tensor *ct_linalg_inv(const ct_tensor *A);
/* B is [..., n, k] or a (batch of) vector(s) [..., n] as in torch.linalg.solve. */
ct_tensor *ct_linalg_solve(const ct_tensor *A, const ct_tensor *B);
ct_tensor *ct_linalg_det(const ct_tensor *A);
int ct_linalg_slogdet(const ct_tensor *A, ct_tensor **sign, ct_tensor **logabsdet);
ct_tensor *ct_linalg_cholesky(const ct_tensor *A, bool upper);
/* mode: "reduced" (default when NULL), "complete" or "r" (Q is empty). */
int ct_linalg_qr(const ct_tensor *A, const char *mode, ct_tensor **Q, ct_tensor **R);
/* U [..., m, k], S [..., k] descending, Vh [..., k, n]; k = min(m, n), or
 * U [..., m, m], Vh [..., n, n] with full_matrices. */
int ct_linalg_svd(const ct_tensor *A, bool full_matrices, ct_tensor **U, ct_tensor **S,
                  ct_tensor **Vh);
/* uplo: 'L' or 'U' (the triangle read). Eigenvalues ascending; the columns
 * of eigenvectors are the eigenvectors. */
int ct_linalg_eigh(const ct_tensor *A, char uplo, ct_tensor **eigenvalues,
                   ct_tensor **eigenvectors);

#ifdef __cplusplus
}
#endif
#endif
