/* Internal interface between the reduction ops (src/ops/reduce.c) and their
 * CPU kernels (src/kernels/cpu/reduce.c, scan.c). Not installed. */
#ifndef CTORCH_REDUCE_INTERNAL_H
#define CTORCH_REDUCE_INTERNAL_H

#include "internal.h"

/* What a reduction folds. The "sum-like" kinds add up a map of each element
 * (c is a per-output centre, p the norm's exponent); the others keep an
 * extreme value (and its index for the arg kinds). */
typedef enum ct_rkind {
    CT_RK_SUM,    /* x */
    CT_RK_SQDEV,  /* (x - c)^2, c = 0 without centres */
    CT_RK_EXPDEV, /* exp(x - c) */
    CT_RK_ABS,    /* |x| */
    CT_RK_POW,    /* |x|^p */
    CT_RK_NZ,     /* x != 0 (counts) */
    CT_RK_PROD,   /* product */
    CT_RK_MAX,    /* largest, NaN wins */
    CT_RK_MIN,    /* smallest, NaN wins */
    CT_RK_ABSMAX, /* largest |x|, NaN wins */
    CT_RK_ABSMIN, /* smallest |x|, NaN wins */
    CT_RK_ARGMAX, /* largest and its first index, first NaN wins */
    CT_RK_ARGMIN,
    CT_RK_NKINDS
} ct_rkind;

/* How an accumulator becomes a result value (s: the scale, the norm's p,
 * or the count all() compares with). */
typedef enum ct_rpost {
    CT_RP_NONE,  /* v */
    CT_RP_SCALE, /* v * s */
    CT_RP_SQRT,  /* sqrt(v * s) */
    CT_RP_LOG,   /* log(v) + centre */
    CT_RP_ROOT,  /* v^(1/s) */
    CT_RP_ANY,   /* v != 0 */
    CT_RP_ALL,   /* v == s */
} ct_rpost;

/* Accumulators are 8 bytes: double for floating inputs, and for integral or
 * bool inputs uint64_t (sums and products wrap like int64) or int64_t
 * (extremes). Counts (CT_RK_NZ) are uint64_t for every input dtype. */
static inline bool ct__rk_int_acc(ct_rkind k, ct_dtype dt) {
    return k == CT_RK_NZ || !ct_dtype_is_floating(dt);
}

/* Reduces x over the dims where mask[d] is true. Writes one accumulator per
 * output element into acc (row-major over the kept dims, as a contiguous
 * result would hold them), and for the arg kinds the index along the single
 * reduced dim into idx. centre (may be NULL) holds one double per output, in
 * the same order. x must have a native dtype (not float16/bfloat16); the
 * output count and the reduced count must both be > 0; the arg kinds reduce
 * exactly one dim. Results do not depend on the number of threads.
 * Returns 0, or -1 with an error. */
int ct__reduce_kernel(const ct_tensor *x, const bool *mask, ct_rkind kind, double p,
                      const double *centre, void *acc, int64_t *idx);

typedef enum ct_skind { CT_SK_CUMSUM, CT_SK_CUMPROD, CT_SK_CUMMAX, CT_SK_CUMMIN } ct_skind;

/* Inclusive scan of x along dim into out (contiguous, same shape and dtype as
 * x; x is contiguous). idx (contiguous int64, same shape) receives the
 * indices of cummax/cummin. Sums and products accumulate in double (floats)
 * or wrapping 64-bit integers. Returns 0, or -1 with an error. */
int ct__scan_kernel(const ct_tensor *x, int dim, ct_skind kind, ct_tensor *out, ct_tensor *idx);

#endif
