/* Internal declarations of the nn family (src/nn/, src/kernels/cpu/{conv,pool,norm}.c). */
#ifndef CT_NN_INTERNAL_H
#define CT_NN_INTERNAL_H

#include "internal.h"

/* Records out = op(inputs) when an input requires grad; on failure releases
 * out and returns NULL. Returns out (still owned) otherwise. */
static inline ct_tensor *ct__nn_record(int op, ct_tensor *out, const ct_tensor *const *in, int n,
                                       const ct_tensor *const *extra, int nextra,
                                       const ct_op_args *args) {
    if (out && ct__needs_grad(in, n) && ct__ag_record(op, out, in, n, extra, nextra, args) < 0) {
        ct_release(out);
        return NULL;
    }
    return out;
}

/* Geometry of one 2-d window op over planes of H x W. */
typedef struct ct_win2d {
    int64_t H, W, OH, OW;
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
} ct_win2d;

/* im2col of nb contiguous images [C, H, W] (x, image stride x_bs elements)
 * into col [nb][C*kh*kw][OH*OW] (contiguous). dt float32/float64. */
void ct__im2col(ct_dtype dt, const void *x, int64_t nb, int64_t x_bs, int64_t C,
                const ct_win2d *g, void *col);
/* Max pooling of np contiguous planes; out/idx contiguous [np][OH][OW]. */
void ct__max_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g, void *out,
                           int64_t *idx);
/* Average pooling (PyTorch's divisor rules); divisor_override 0 = none. */
void ct__avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g,
                           bool count_include_pad, int64_t divisor_override, void *out);
void ct__adaptive_avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, int64_t H, int64_t W,
                                    int64_t OH, int64_t OW, void *out);
/* Softmax / log-softmax of contiguous [outer][D][inner] into out (same layout). */
void ct__softmax_kernel(ct_dtype dt, const void *x, int64_t outer, int64_t D, int64_t inner,
                        bool take_log, void *out);

#endif
