/* The convolutions of 2 and 3 spatial dims share one implementation
 * (src/nn/conv_nd.c): checks with PyTorch's messages, shapes, the
 * unbatched and asymmetric-padding glue, the device dispatch (im2col +
 * GEMM or oneDNN on the CPU, cuDNN on a GPU) and the autograd records.
 * conv.c, conv_backward.c, conv3d.c and conv_transpose.c are the public
 * faces (default arguments, 1-d through 2-d). A 2-d geometry is a 3-d one
 * of depth 1 (ct_win3d with D = OD = kd = sd = dd = 1, pd = 0), as the CPU
 * kernels take it. Not installed. */
#ifndef CT_CONV_INTERNAL_H
#define CT_CONV_INTERNAL_H

#include "nn/nn_internal.h"

/* PyTorch's ScalarType names ("Float", "Long"), for its messages. */
const char *ct__conv_type_name(ct_dtype dt);
/* a[0..nd) or dflt where a is NULL, into out[0..nd). */
void ct__conv_args(int nd, const int64_t *a, int64_t dflt, int64_t out[3]);

/* F.conv2d / F.conv3d (nd 2 or 3) with padding lo before and hi after each
 * spatial dim (asymmetric: a constant pad first); x has nd + 1 (unbatched)
 * or nd + 2 dims. Autoreleased result, recorded. */
ct_tensor *ct__conv_front(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                          const int64_t *s, const int64_t *lo, const int64_t *hi,
                          const int64_t *d, int64_t groups);
/* The same with padding "same" or "valid". */
ct_tensor *ct__conv_mode(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                         const int64_t *s, const char *padding, const int64_t *d, int64_t groups);
/* The gradients: which 1 = of the input (t = weight, size = the input's
 * spatial sizes), 2 = of the weight (t = input, size = the kernel's).
 * Autoreleased result, recorded. */
ct_tensor *ct__conv_grad(int which, int nd, const ct_tensor *grad_out, const ct_tensor *t,
                         const int64_t *size, const int64_t *s, const int64_t *p,
                         const int64_t *d, int64_t groups);
/* F.conv_transpose2d / 3d: the input gradient of the convolution plus the
 * bias; x has nd + 1 or nd + 2 dims. Autoreleased. */
ct_tensor *ct__conv_transpose(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                              const int64_t *s, const int64_t *p, const int64_t *op,
                              int64_t groups, const int64_t *d);
/* A 1-d op made of its 2-d form: the last error, when it starts with
 * "<from>: ", is said again as "<to>: ...". */
void ct__conv_rename_error(const char *from, const char *to);

#endif
