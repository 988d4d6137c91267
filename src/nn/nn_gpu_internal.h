/* Small host-side helpers of the nn ops' GPU paths (embedding, embedding_bag,
 * one_hot, max_unpool, the losses with index targets, ctc_loss, the fused
 * recurrent layers): index tensors are checked on the host from a copy, and
 * the tensors built there move to the GPU of the data. Not installed. */
#ifndef CTORCH_NN_GPU_INTERNAL_H
#define CTORCH_NN_GPU_INTERNAL_H

#include "internal.h"

static inline bool ct__nn_same_dev(const ct_tensor *a, const ct_tensor *b) {
    ct_device x = a->storage->device, y = b->storage->device;
    return x.type == y.type && (x.type == CT_CPU || x.index == y.index);
}

/* 0, or -1 with PyTorch's "Expected all tensors to be on the same device"
 * when b (may be NULL) is not on a's device. */
static inline int ct__nn_check_dev(const char *op, const ct_tensor *a, const ct_tensor *b) {
    if (!b || ct__nn_same_dev(a, b)) return 0;
    char s1[16], s2[16];
    ct_set_error(CT_ERR_RUNTIME,
                 "Expected all tensors to be on the same device, but found at least two devices, %s and "
                 "%s! (while checking arguments for %s)",
                 ct_device_str(a->storage->device, s1, sizeof s1), ct_device_str(b->storage->device, s2, sizeof s2),
                 op);
    return -1;
}

/* A contiguous CPU copy of t (any device) in dtype dt; owned. */
static inline ct_tensor *ct__nn_host(const ct_tensor *t, ct_dtype dt) {
    ct_tensor *h = ct__empty(t->sizes, t->ndim, dt);
    if (h && t->numel && ct__copy_into(h, t) < 0) {
        ct_release(h);
        return NULL;
    }
    return h;
}

/* A contiguous copy of t on dev (t's dtype); owned. */
static inline ct_tensor *ct__nn_on(const ct_tensor *t, ct_device dev) {
    ct_tensor *h = ct__empty_on(t->sizes, t->ndim, t->dtype, dev);
    if (h && t->numel && ct__copy_into(h, t) < 0) {
        ct_release(h);
        return NULL;
    }
    return h;
}

/* Zeros on dev; owned. */
static inline ct_tensor *ct__nn_zeros_on(const int64_t *sizes, int nd, ct_dtype dt, ct_device dev) {
    ct_tensor *z = ct__empty_on(sizes, nd, dt, dev);
    if (!z || !z->numel) return z;
    if (dev.type == CT_CPU) {
        memset(ct_data_ptr(z), 0, (size_t)z->numel * ct_dtype_size(dt));
        return z;
    }
    if (ct__cuda->fill(z, 0) < 0) {
        ct_release(z);
        return NULL;
    }
    return z;
}

#endif
