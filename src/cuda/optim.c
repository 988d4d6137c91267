/* Host side of the fused optimizer steps on a GPU (optim.cu): the
 * coefficients of src/optim/update_impl.h, one launch per parameter.
 * Arguments were checked by src/optim/update.c (same device, dtype, shape,
 * contiguous). */
#include "internal.h"
#include "optim/optim_internal.h"
#include "cuda/optim_kern.h"

#include <cuda_runtime_api.h>
#include <math.h>

/* Runs on param's device; 0 or -1. */
static int on_device(const ct_tensor *param, int *prev, const char *op) {
    int d = param->storage->device.index;
    if (ct__cuda_check(cudaGetDevice(prev), op) < 0) return -1;
    if (d >= 0 && d != *prev) return ct__cuda_check(cudaSetDevice(d), op);
    return 0;
}

int ct__cuda_sgd(ct_tensor *param, const ct_tensor *grad, ct_tensor *buf, bool first,
                    const ct_sgd_options *o) {
    ct_cuda_sgd a = {
        .gs = o->maximize ? -1 : 1, .wd = o->weight_decay, .mom = o->momentum,
        .damp1 = 1 - o->dampening, .neg_lr = -o->lr, .use_wd = o->weight_decay != 0,
        .use_mom = o->momentum != 0, .first = first, .nesterov = o->nesterov,
    };
    if (param->numel == 0) return 0;
    int prev = -1;
    if (on_device(param, &prev, "sgd_update_") < 0) return -1;
    int rc = ct__cuda_sgd_launch(param->dtype == CT_FLOAT64, ct_data_ptr(param), ct_data_ptr(grad),
                                 a.use_mom ? ct_data_ptr(buf) : NULL, param->numel, &a);
    if (param->storage->device.index >= 0 && param->storage->device.index != prev) cudaSetDevice(prev);
    return rc;
}

int ct__cuda_adam(ct_tensor *param, const ct_tensor *grad, ct_tensor *m, ct_tensor *v,
                     ct_tensor *vmax, double step, const ct_adam_options *o, bool decoupled) {
    const double bc1 = 1 - pow(o->beta1, step), bc2 = 1 - pow(o->beta2, step);
    ct_cuda_adam a = {
        .gs = o->maximize ? -1 : 1, .b1 = o->beta1, .c1 = 1 - o->beta1, .b2 = o->beta2,
        .c2 = 1 - o->beta2, .bc2_sqrt = sqrt(bc2), .eps = o->eps, .neg_step = -(o->lr / bc1),
        .wd = o->weight_decay, .decay = decoupled ? 1 - o->lr * o->weight_decay : 1,
        .coupled_wd = !decoupled && o->weight_decay != 0, .amsgrad = o->amsgrad,
    };
    if (param->numel == 0) return 0;
    const char *op = decoupled ? "adamw_update_" : "adam_update_";
    int prev = -1;
    if (on_device(param, &prev, op) < 0) return -1;
    int rc = ct__cuda_adam_launch(param->dtype == CT_FLOAT64, ct_data_ptr(param), ct_data_ptr(grad),
                                  ct_data_ptr(m), ct_data_ptr(v),
                                  a.amsgrad ? ct_data_ptr(vmax) : NULL, param->numel, &a);
    if (param->storage->device.index >= 0 && param->storage->device.index != prev) cudaSetDevice(prev);
    return rc;
}

