/* adaptive_max_pool2d: checks, shapes (adaptive_max_pool1d is in pool1d.c)
 * and the kernel over contiguous planes [np][H][W] (on a GPU: src/cuda/pool.cu). The gradient is
 * max_pool2d_backward: the indices share its format (flat h*W+w per plane). */
#include "ctorch/ctorch.h"
#include "nn/pool_internal.h"

#include <math.h>

/* PyTorch's scalar type names, for its "not implemented for" messages. */
static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

/* One plane: window rows [floor(i*H/OH), ceil((i+1)*H/OH)), columns likewise;
 * a NaN wins (the last one), else the first strict maximum (PyTorch's rule). */
#define ADAPTIVE_MAX(T)                                                                  \
    do {                                                                                 \
        const T *xs = (const T *)x;                                                      \
        T *os = (T *)out;                                                                \
        int64_t HW = H * W, L = OH * OW;                                                 \
        _Pragma("omp parallel for schedule(static) if (np * HW >= CT_GRAIN)")           \
        for (int64_t p = 0; p < np; p++) {                                               \
            const T *xp = xs + p * HW;                                                   \
            T *op = os + p * L;                                                          \
            int64_t *ip = idx + p * L;                                                   \
            for (int64_t i = 0; i < OH; i++) {                                           \
                int64_t h0, h1, w0, w1;                                                  \
                ct_win_adaptive(i, H, OH, &h0, &h1);                                     \
                for (int64_t j = 0; j < OW; j++) {                                       \
                    ct_win_adaptive(j, W, OW, &w0, &w1);                                 \
                    T m = -(T)INFINITY;                                                  \
                    int64_t mi = h0 * W + w0;                                            \
                    for (int64_t h = h0; h < h1; h++)                                    \
                        for (int64_t w = w0; w < w1; w++) {                              \
                            T v = xp[h * W + w];                                         \
                            if (v > m || v != v) {                               \
                                m = v;                                                   \
                                mi = h * W + w;                                          \
                            }                                                            \
                        }                                                                \
                    op[i * OW + j] = m;                                                  \
                    ip[i * OW + j] = mi;                                                 \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    } while (0)

static void adaptive_max_kernel(ct_dtype dt, const void *x, int64_t np, int64_t H, int64_t W, int64_t OH,
                                int64_t OW, void *out, int64_t *idx) {
    CT_DISPATCH_FLOATING(dt, ADAPTIVE_MAX(T));
}

ct_tensor *ct_adaptive_max_pool2d(const ct_tensor *x, const int64_t output_size[2], ct_tensor **indices) {
    const char *op = "adaptive_max_pool2d";
    if (indices) *indices = NULL;
    if (!x || !output_size) return CT_FAIL(CT_ERR_VALUE, "%s: input and output_size must not be NULL", op);
    if (x->ndim != 3 && x->ndim != 4)
        return CT_FAIL(CT_ERR_RUNTIME, "%s(): Expected 3D or 4D tensor, but got: %s", op, ct__shp(x));
    for (int d = x->ndim - 3; d < x->ndim; d++)
        if (x->sizes[d] == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s(): Expected input to have non-zero size for non-batch dimensions, but input "
                           "has sizes %s with dimension %d being empty",
                           op, ct__shp(x), d);
    int64_t OH = output_size[0], OW = output_size[1];
    if (OH < 0 || OW < 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s(): elements of output_size must be greater than or equal to 0 but received "
                       "{%lld, %lld}",
                       op, (long long)OH, (long long)OW);
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_NOT_IMPL, "\"%s\" not implemented for '%s'", op, type_name(x->dtype));
    int nd = x->ndim;
    int64_t H = x->sizes[nd - 2], W = x->sizes[nd - 1], sizes[4];
    for (int i = 0; i < nd - 2; i++) sizes[i] = x->sizes[i];
    sizes[nd - 2] = OH, sizes[nd - 1] = OW;
    ct_tensor *xc = ct__contiguous(x);
    ct_device dev = x->storage->device;
    ct_tensor *out = ct__empty_on(sizes, nd, x->dtype, dev), *idx = ct__empty_on(sizes, nd, CT_INT64, dev);
    if (!xc || !out || !idx) {
        ct_release(xc), ct_release(out), ct_release(idx);
        return NULL;
    }
    int64_t np = x->numel / (H * W);
    int rc = 0;
    if (out->numel && !ct__on_cpu(x)) {
        ct_window_op w = ct__window_op(CT_WIN_ADAPTIVE_MAX, x->dtype, np, 2, (int64_t[]){H, W},
                                       (int64_t[]){OH, OW});
        rc = ct__cuda->window(&w, xc, out, idx);
    } else if (out->numel) {
        adaptive_max_kernel(x->dtype, ct_data_ptr(xc), np, H, W, OH, OW, ct_data_ptr(out), ct_data_ptr(idx));
    }
    ct_release(xc);
    if (rc < 0) {
        ct_release(out), ct_release(idx);
        return NULL;
    }
    ct_op_args a = {.dims = {OH, OW}, .ndims = 2};
    out = ct__nn_record(CT_OP_adaptive_max_pool2d, out, (const ct_tensor *[]){x}, 1, (const ct_tensor *[]){idx},
                        1, &a);
    if (!out) {
        ct_release(idx);
        return NULL;
    }
    if (indices) *indices = ct_autorelease(idx);
    else ct_release(idx);
    return ct_autorelease(out);
}
