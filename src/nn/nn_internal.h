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

/* Geometry of one 3-d window op over volumes of D x H x W. */
typedef struct ct_win3d {
    int64_t D, H, W, OD, OH, OW;
    int64_t kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw;
} ct_win3d;

/* Convolution kernels (src/kernels/cpu/conv.c) over contiguous float32 /
 * float64 buffers: x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or NULL,
 * out and gout [N, O, OH, OW]. Every output element is written. 0, or -1
 * with an error (out of memory for the im2col buffers). */
int ct__conv2d_forward_kernel(ct_dtype dt, const void *x, const void *w, const void *b, void *out,
                              int64_t N, int64_t C, int64_t O, int64_t groups, const ct_win2d *g);
int ct__conv2d_backward_input_kernel(ct_dtype dt, const void *gout, const void *w, void *dx,
                                     int64_t N, int64_t C, int64_t O, int64_t groups,
                                     const ct_win2d *g);
int ct__conv2d_backward_weight_kernel(ct_dtype dt, const void *gout, const void *x, void *dw,
                                      int64_t N, int64_t C, int64_t O, int64_t groups,
                                      const ct_win2d *g);
#ifdef CT_HAVE_DNNL
/* The convolution of nd (2 or 3) spatial dims through oneDNN
 * (src/kernels/cpu/conv_dnnl.c), float32, contiguous NC... buffers; kind 0
 * forward (a = x, b = w, bias or NULL, out = y), 1 input gradient (a = gy,
 * b = w, out = dx), 2 weight gradient (a = gy, b = x, out = dw). in, outsz,
 * k, s, p, d: nd sizes each. 1 when done, 0 when oneDNN cannot (the caller
 * runs im2col; no error set). ct__conv_dnnl_on: false routes everything to
 * im2col (the tests compare both). */
extern bool ct__conv_dnnl_on;
int ct__conv_dnnl(int kind, int nd, const void *a, const void *b, const void *bias, void *out,
                  int64_t N, int64_t C, int64_t O, int64_t groups, const int64_t *in,
                  const int64_t *outsz, const int64_t *k, const int64_t *s, const int64_t *p,
                  const int64_t *d);
/* Names the tensors whose data pointers this thread's next kernel calls
 * pass as the weight and the output gradient, so that oneDNN's reordered
 * copies are kept across calls (keyed on storage and version: the weight
 * across calls, the output gradient from the input gradient to the weight
 * gradient); NULLs after the call. */
void ct__conv_dnnl_note(const ct_tensor *weight, const ct_tensor *grad_out);
#define CT_CONV_NOTE(w, gy) ct__conv_dnnl_note((w), (gy))
#else
#define CT_CONV_NOTE(w, gy) ((void)0)
#endif
/* The same over volumes: x [N, C, D, H, W], w [O, C/groups, kd, kh, kw],
 * out and gout [N, O, OD, OH, OW]. */
int ct__conv3d_forward_kernel(ct_dtype dt, const void *x, const void *w, const void *b, void *out,
                              int64_t N, int64_t C, int64_t O, int64_t groups, const ct_win3d *g);
int ct__conv3d_backward_input_kernel(ct_dtype dt, const void *gout, const void *w, void *dx,
                                     int64_t N, int64_t C, int64_t O, int64_t groups,
                                     const ct_win3d *g);
int ct__conv3d_backward_weight_kernel(ct_dtype dt, const void *gout, const void *x, void *dw,
                                      int64_t N, int64_t C, int64_t O, int64_t groups,
                                      const ct_win3d *g);
/* Max pooling of np contiguous planes; out/idx contiguous [np][OH][OW]. */
void ct__max_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g, void *out,
                           int64_t *idx);
/* max_pool2d's gradient: dx [np][hw] = g [np][ohw] added at the flat
 * indices idx [np][ohw]; -1 (no error set) when an index is out of range. */
int ct__max_pool2d_backward_kernel(ct_dtype dt, const void *g, const int64_t *idx, int64_t np,
                                   int64_t hw, int64_t ohw, void *dx);
/* Average pooling (PyTorch's divisor rules); divisor_override 0 = none. */
void ct__avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, const ct_win2d *g,
                           bool count_include_pad, int64_t divisor_override, void *out);
void ct__adaptive_avg_pool2d_kernel(ct_dtype dt, const void *x, int64_t np, int64_t H, int64_t W,
                                    int64_t OH, int64_t OW, void *out);
/* Softmax / log-softmax of contiguous [outer][D][inner] into out (same layout). */
void ct__softmax_kernel(ct_dtype dt, const void *x, int64_t outer, int64_t D, int64_t inner,
                        bool take_log, void *out);

#endif
