/* Internal declarations of the shape family (shaping, sorting, counting).
 * Kernels in src/kernels/cpu/shape.c and sort.c; ops in src/ops/shape*.c, sort*.c. */
#ifndef CTORCH_SHAPE_INTERNAL_H
#define CTORCH_SHAPE_INTERNAL_H

#include "internal.h"

/* ---------------------------------------------------------------- shape kernels */
/* out[o][j][:] = in[o][idx[j]][:] for o < outer, j < n_out, rows of
 * row_bytes bytes; in holds outer blocks of n_in rows. Both contiguous. */
void ct__take_rows(char *out, const char *in, int64_t outer, int64_t n_in, int64_t n_out,
                   size_t row_bytes, const int64_t *idx);
/* Zeroes, in place, the part of each rows x cols matrix (batch of them,
 * contiguous) outside the triangle: upper=false keeps j - i <= k (tril),
 * upper=true keeps j - i >= k (triu). All-zero bytes are 0 for every dtype. */
void ct__tri_zero(char *data, int64_t batch, int64_t rows, int64_t cols, size_t isz, int64_t k,
                  bool upper);
/* Fills n elements of isz bytes with the element at elem. */
void ct__fill_bytes(char *data, int64_t n, const void *elem, size_t isz);

/* ---------------------------------------------------------------- sort kernels */
/* Sorts each of rows contiguous rows of n elements of dtype dt (a native
 * dtype: bool, integers, float32, float64). vals (may be NULL) receives the
 * sorted values, idx the int64 positions in the row. Stable; NaN greatest. */
int ct__sort_rows(ct_dtype dt, const void *in, void *vals, int64_t *idx, int64_t rows,
                  int64_t n, bool descending); /* 0, or -1 when out of memory (no error set) */
/* The k first elements of each row in the order of a stable sort (largest:
 * descending), into rows x k outputs vals (may be NULL) and idx. 0 < k <= n. */
int ct__topk_rows(ct_dtype dt, const void *in, void *vals, int64_t *idx, int64_t rows,
                  int64_t n, int64_t k, bool largest); /* 0 or -1 like ct__sort_rows */
/* Given n sorted values, writes group[i] = number of the run of equal values
 * element i belongs to (each NaN is a run of its own) and returns
 * the number of runs. */
int64_t ct__group_runs(ct_dtype dt, const void *vals, int64_t n, int64_t *group);

/* ---------------------------------------------------------------- helpers */
/* PyTorch's name of a dtype in "not implemented for 'Float'" messages. */
const char *ct__torch_type_name(ct_dtype dt);

#endif
