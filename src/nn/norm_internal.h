/* Internal declarations of the normalisation ops (src/nn/norm.c,
 * src/nn/norm_group.c) and their kernels (src/kernels/cpu/norm.c).
 *
 * The kernels take contiguous float32/float64 buffers of x's dtype; the
 * per-channel parameters and statistics are double arrays (layer norm's
 * per-element weight and bias are in x's dtype). */
#ifndef CT_NN_NORM_INTERNAL_H
#define CT_NN_NORM_INTERNAL_H

#include "nn/nn_internal.h"

/* Batch norm over x [N, C, S]. training: fills mean, var (biased) and
 * invstd [C]; otherwise reads mean and invstd (var unused). w, b [C] or NULL. */
int ct__bn_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t N, int64_t C, int64_t S,
                          const double *w, const double *b, double eps, bool training,
                          double *mean, double *var, double *invstd);
/* dx (may be NULL), dw, db [C] (each may be NULL). Both return 0, or -1
 * (out of memory for the scratch of short channel runs, error set). */
int ct__bn_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t N,
                           int64_t C, int64_t S, const double *w, const double *mean,
                           const double *invstd, bool training, double *dw, double *db);
/* Group norm over x [N, C, S] with G groups: mean, rstd [N*G]; var [N*G]
 * (biased) or NULL. */
void ct__gn_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t N, int64_t C, int64_t S,
                           int64_t G, const double *w, const double *b, double eps,
                           double *mean, double *rstd, double *var);
/* dx may be NULL; dw, db [C] may be NULL. -1 (out of memory, error set) or 0. */
int ct__gn_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t N,
                           int64_t C, int64_t S, int64_t G, const double *w, const double *mean,
                           const double *rstd, double *dw, double *db);
/* Layer norm over x [R, D]; w, b [D] of x's dtype or NULL; mean, rstd [R]. */
void ct__ln_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t R, int64_t D,
                           const void *w, const void *b, double eps, double *mean, double *rstd);
/* dx may be NULL; dw, db [D] may be NULL. -1 (out of memory) or 0. */
int ct__ln_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t R,
                           int64_t D, const void *w, const double *mean, const double *rstd,
                           double *dw, double *db);

/* The fused gradients of layer_norm (mean/rstd [R], nshape trailing dims)
 * and group/instance norm (mean/rstd [N*G]), for the derivatives when no
 * graph is being built (they do not record). Each output wanted is asked
 * for by a non-NULL pointer and handed to the current scope. 0 or -1. */
int ct__layer_norm_backward(const ct_tensor *g, const ct_tensor *x, const ct_tensor *weight,
                            const ct_tensor *mean, const ct_tensor *rstd, int nshape,
                            ct_tensor **dx, ct_tensor **dw, ct_tensor **db);
int ct__group_norm_backward(const ct_tensor *g, const ct_tensor *x, const ct_tensor *weight,
                            const ct_tensor *mean, const ct_tensor *rstd, int64_t G,
                            ct_tensor **dx, ct_tensor **dw, ct_tensor **db);

/* Shared by the ops (src/nn/norm.c). */
/* A contiguous [numel] copy of t's values as doubles (malloc'd), NULL for a
 * NULL t or on out of memory (error set; *err = true). */
double *ct__norm_doubles(const ct_tensor *t, bool *err);
/* Writes v[0..numel) into t (any strides, any floating dtype) and bumps its
 * version: the in-place update of running statistics. */
void ct__norm_store(ct_tensor *t, const double *v);
/* A new owned tensor of shape sizes/ndim and dtype dt from doubles. */
ct_tensor *ct__norm_from_doubles(const double *v, const int64_t *sizes, int ndim, ct_dtype dt);
/* t converted to dtype dt and made contiguous (t itself, one more
 * reference, when it already is): owned, NULL on error. */
ct_tensor *ct__norm_contig(const ct_tensor *t, ct_dtype dt);
/* Records op on y (inputs {x, weight, bias}) with extra = the two [n]
 * statistics s0, s1 (doubles, stored in dtype dt) and args a. 0 or -1. */
int ct__norm_record(int op, ct_tensor *y, const ct_tensor *const *in, const double *s0,
                    const double *s1, int64_t n, ct_dtype dt, const ct_op_args *a);
/* The end of a backward helper: on rc == 0 each outs[k] goes to *dst[k]
 * (handed to the current scope; a NULL dst[k] drops it), else every
 * output is released. Returns rc. */
int ct__norm_hand_out(int rc, ct_tensor *const *outs, ct_tensor **const *dst);
/* The gradients of the fused backward kernels from the kernel's double
 * sums: *gw from dw, *gb from db (each asked for by a non-NULL dw/db), of
 * shape sizes/ndim and dtype dt. 0 or -1. */
int ct__norm_param_grads(const double *dw, const double *db, const int64_t *sizes, int ndim,
                         ct_dtype dt, ct_tensor **gw, ct_tensor **gb);

#endif
