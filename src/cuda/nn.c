/* Host side of the nn family's kernels (nn.cu): the ct__cuda hooks
 * emb_backward, emb_bag and trunc_normal. The callers in src/nn checked
 * shapes, dtypes and index ranges and made every operand contiguous on one
 * GPU; this file selects that GPU and launches. */
#include "internal.h"
#include "cuda/nn_kern.h"

#include <cuda_runtime_api.h>
#include <math.h>

/* Makes t's device current (the previous one in *prev); 0 or -1. */
static int enter(const ct_tensor *t, int *prev, const char *op) {
    int d = t->storage->device.index;
    if (ct__cuda_check(cudaGetDevice(prev), op) < 0) return -1;
    if (d >= 0 && d != *prev) return ct__cuda_check(cudaSetDevice(d), op);
    return 0;
}

static void leave(const ct_tensor *t, int prev) {
    int d = t->storage->device.index;
    if (d >= 0 && d != prev) cudaSetDevice(prev);
}

int ct__cuda_emb_backward(const ct_tensor *grad, const ct_tensor *order, const ct_tensor *start,
                          int64_t pad, bool scaled, ct_tensor *out) {
    const char *op = "embedding_dense_backward";
    int prev = -1;
    if (out->numel == 0) return 0;
    if (enter(out, &prev, op) < 0) return -1;
    int rc = ct__cuda_emb_bwd_launch(out->dtype == CT_FLOAT64, grad->numel ? ct_data_ptr(grad) : NULL,
                                     order->numel ? ct_data_ptr(order) : NULL, ct_data_ptr(start),
                                     out->sizes[0], out->sizes[1], pad, scaled, ct_data_ptr(out));
    leave(out, prev);
    return rc;
}

int ct__cuda_emb_bag(const ct_tensor *w, const ct_tensor *idx, const ct_tensor *bounds,
                     const ct_tensor *psw, int mode, int64_t pad, ct_tensor *out, ct_tensor *mi) {
    const char *op = "embedding_bag";
    int prev = -1;
    if (out->numel == 0) return 0;
    if (enter(out, &prev, op) < 0) return -1;
    int rc = ct__cuda_emb_bag_launch(out->dtype == CT_FLOAT64, w->numel ? ct_data_ptr(w) : NULL,
                                     idx->numel ? ct_data_ptr(idx) : NULL, ct_data_ptr(bounds),
                                     psw && psw->numel ? ct_data_ptr(psw) : NULL, out->sizes[0],
                                     out->sizes[1], mode, pad, ct_data_ptr(out),
                                     mi ? ct_data_ptr(mi) : NULL);
    leave(out, prev);
    return rc;
}

int ct__cuda_trunc_normal(ct_tensor *t, double mean, double std, double a, double b) {
    const char *op = "trunc_normal_";
    int prev = -1;
    if (t->numel == 0) return 0;
    if (enter(t, &prev, op) < 0) return -1;
    int rc = ct__cuda_trunc_normal_launch(t->dtype == CT_FLOAT64, ct_data_ptr(t), t->numel, mean,
                                          std * sqrt(2.), a, b);
    leave(t, prev);
    return rc;
}
