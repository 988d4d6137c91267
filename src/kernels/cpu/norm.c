/* Fused normalisation kernels (batch, group/instance, layer norm): one
 * statistics pass and one normalise pass forward, one sums pass and one
 * gradient pass backward, threaded over channels, groups or rows. The
 * loops are in norm_impl.h, compiled here once per floating dtype. */
#include "nn/norm_internal.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define NOCLONE __attribute__((noinline, noclone))

#define T float
#define SUF f32
#include "kernels/cpu/norm_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "kernels/cpu/norm_impl.h"
#undef T
#undef SUF

/* Channel runs of at most this many elements take the column path. */
#define BN_SHORT_RUN 16

int ct__bn_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t N, int64_t C, int64_t S,
                          const double *w, const double *b, double eps, bool training,
                          double *mean, double *var, double *invstd) {
    if (S > BN_SHORT_RUN) {
        if (dt == CT_FLOAT32)
            bn_forward_f32(x, y, N, C, S, w, b, eps, training, mean, var, invstd);
        else
            bn_forward_f64(x, y, N, C, S, w, b, eps, training, mean, var, invstd);
        return 0;
    }
    size_t K = (size_t)(C * S);
    double *col = malloc(sizeof(double) * 2 * K + ct_dtype_size(dt) * 3 * K + 1);
    if (!col) {
        ct_set_error(CT_ERR_MEMORY, "batch_norm: out of memory");
        return -1;
    }
    if (dt == CT_FLOAT32)
        bn_forward_small_f32(x, y, N, C, S, w, b, eps, training, mean, var, invstd, col,
                             (float *)(col + 2 * K));
    else
        bn_forward_small_f64(x, y, N, C, S, w, b, eps, training, mean, var, invstd, col,
                             col + 2 * K);
    free(col);
    return 0;
}

int ct__bn_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t N,
                           int64_t C, int64_t S, const double *w, const double *mean,
                           const double *invstd, bool training, double *dw, double *db) {
    if (S > BN_SHORT_RUN) {
        if (dt == CT_FLOAT32)
            bn_backward_f32(g, x, dx, N, C, S, w, mean, invstd, training, dw, db);
        else
            bn_backward_f64(g, x, dx, N, C, S, w, mean, invstd, training, dw, db);
        return 0;
    }
    size_t K = (size_t)(C * S);
    double *col = malloc(sizeof(double) * 2 * K + ct_dtype_size(dt) * 3 * K + 1);
    if (!col) {
        ct_set_error(CT_ERR_MEMORY, "batch_norm backward: out of memory");
        return -1;
    }
    if (dt == CT_FLOAT32)
        bn_backward_small_f32(g, x, dx, N, C, S, w, mean, invstd, training, dw, db, col,
                              (float *)(col + 2 * K));
    else
        bn_backward_small_f64(g, x, dx, N, C, S, w, mean, invstd, training, dw, db, col,
                              col + 2 * K);
    free(col);
    return 0;
}

void ct__gn_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t N, int64_t C, int64_t S,
                           int64_t G, const double *w, const double *b, double eps,
                           double *mean, double *rstd, double *var) {
    if (dt == CT_FLOAT32)
        gn_forward_f32(x, y, N, C, S, G, w, b, eps, mean, rstd, var);
    else
        gn_forward_f64(x, y, N, C, S, G, w, b, eps, mean, rstd, var);
}

int ct__gn_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t N,
                           int64_t C, int64_t S, int64_t G, const double *w, const double *mean,
                           const double *rstd, double *dw, double *db) {
    double *ws = malloc(sizeof(double) * (size_t)(2 * N * C > 0 ? 2 * N * C : 1));
    if (!ws) {
        ct_set_error(CT_ERR_MEMORY, "group_norm backward: out of memory");
        return -1;
    }
    if (dt == CT_FLOAT32)
        gn_backward_f32(g, x, dx, N, C, S, G, w, mean, rstd, dw, db, ws);
    else
        gn_backward_f64(g, x, dx, N, C, S, G, w, mean, rstd, dw, db, ws);
    free(ws);
    return 0;
}

void ct__ln_forward_kernel(ct_dtype dt, const void *x, void *y, int64_t R, int64_t D,
                           const void *w, const void *b, double eps, double *mean, double *rstd) {
    if (dt == CT_FLOAT32)
        ln_forward_f32(x, y, R, D, w, b, eps, mean, rstd);
    else
        ln_forward_f64(x, y, R, D, w, b, eps, mean, rstd);
}

int ct__ln_backward_kernel(ct_dtype dt, const void *g, const void *x, void *dx, int64_t R,
                           int64_t D, const void *w, const double *mean, const double *rstd,
                           double *dw, double *db) {
    int nt = R * D >= CT_GRAIN ? ct_get_num_threads() : 1;
    if (nt > R) nt = R > 0 ? (int)R : 1;
    double *ws = malloc(sizeof(double) * (size_t)(4 * D * nt > 0 ? 4 * D * nt : 1));
    if (!ws) {
        ct_set_error(CT_ERR_MEMORY, "layer_norm backward: out of memory");
        return -1;
    }
    if (dt == CT_FLOAT32)
        ln_backward_f32(g, x, dx, R, D, w, mean, rstd, dw, db, ws, nt);
    else
        ln_backward_f64(g, x, dx, R, D, w, mean, rstd, dw, db, ws, nt);
    free(ws);
    return 0;
}
