/* The convolutions on the GPU through cuDNN: the ct__cuda->conv hook behind
 * conv2d, conv3d, their input and weight gradients and the transposed
 * convolutions (src/nn/conv_nd.c does the checks and shapes for every
 * device). One code for 2 and 3 spatial dims: cuDNN's Nd descriptors.
 *
 * cuDNN is opened with dlopen on the first GPU convolution, like cuBLAS
 * (blas.c): import stays fast, and a machine without cuDNN runs everything
 * else (a GPU convolution then fails with a clear error). The legacy
 * descriptor API (cudnnConvolutionForward / BackwardData / BackwardFilter)
 * with the algorithm cuDNN's heuristics rank first among those that
 * succeed; workspace from the caching allocator on the current stream.
 * float32 runs with CUDNN_FMA_MATH (no TF32: results close to the CPU's;
 * PyTorch's cudnn.allow_tf32 defaults to True, we do not follow it yet). */
#include "internal.h"
#include "nn/nn_internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#define CT_CUDNN_FNS(X)                                                                       \
    X(cudnnCreate) X(cudnnSetStream) X(cudnnGetErrorString) X(cudnnCreateTensorDescriptor)     \
    X(cudnnSetTensorNdDescriptor) X(cudnnDestroyTensorDescriptor)                              \
    X(cudnnCreateFilterDescriptor) X(cudnnSetFilterNdDescriptor)                               \
    X(cudnnDestroyFilterDescriptor) X(cudnnCreateConvolutionDescriptor)                        \
    X(cudnnSetConvolutionNdDescriptor) X(cudnnSetConvolutionGroupCount)                        \
    X(cudnnSetConvolutionMathType) X(cudnnDestroyConvolutionDescriptor)                        \
    X(cudnnGetConvolutionForwardAlgorithm_v7) X(cudnnGetConvolutionForwardWorkspaceSize)       \
    X(cudnnConvolutionForward) X(cudnnGetConvolutionBackwardDataAlgorithm_v7)                  \
    X(cudnnGetConvolutionBackwardDataWorkspaceSize) X(cudnnConvolutionBackwardData)            \
    X(cudnnGetConvolutionBackwardFilterAlgorithm_v7)                                           \
    X(cudnnGetConvolutionBackwardFilterWorkspaceSize) X(cudnnConvolutionBackwardFilter)        \
    X(cudnnAddTensor)
#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
static struct {
#define X(f) __typeof__(f) *f;
    CT_CUDNN_FNS(X)
#undef X
} dn;
static pthread_once_t cudnn_once = PTHREAD_ONCE_INIT;
static char cudnn_error[256];

static void cudnn_open(void) {
#define X(f) CT_STR(f),
    static const char *const names[] = {CT_CUDNN_FNS(X)};
#undef X
#define X(f) (void **)&dn.f,
    void **const slots[] = {CT_CUDNN_FNS(X)};
#undef X
    ct__cuda_dlopen("libcudnn.so." CT_STR(CUDNN_MAJOR), "libcudnn.so", (int)(sizeof names / sizeof names[0]),
                    names, slots, cudnn_error, sizeof cudnn_error);
}

static int cudnn_load(const char *op) {
    pthread_once(&cudnn_once, cudnn_open);
    if (!cudnn_error[0]) return 0;
    ct_set_error(CT_ERR_NOT_IMPL, "%s: CUDA tensors need cuDNN (libcudnn.so.%d), which cannot be loaded: %s",
                 op, CUDNN_MAJOR, cudnn_error);
    return -1;
}

static int dn_check(cudnnStatus_t st, const char *what) {
    if (st == CUDNN_STATUS_SUCCESS) return 0;
    ct_set_error(st == CUDNN_STATUS_ALLOC_FAILED ? CT_ERR_MEMORY : CT_ERR_RUNTIME,
                 "cuDNN error: %s when calling `%s`", dn.cudnnGetErrorString(st), what);
    return -1;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cudnnHandle_t handles[CT_CUDA_MAX_DEVICES];

/* The current device's handle on the current stream; lock held. */
static cudnnHandle_t handle_locked(void) {
    int dev = 0;
    if (ct__cuda_check(cudaGetDevice(&dev), "cudaGetDevice") < 0) return NULL;
    if (dev < 0 || dev >= CT_CUDA_MAX_DEVICES) {
        ct_set_error(CT_ERR_RUNTIME, "CUDA error: device %d beyond the %d supported", dev,
                     CT_CUDA_MAX_DEVICES);
        return NULL;
    }
    if (!handles[dev] && dn_check(dn.cudnnCreate(&handles[dev]), "cudnnCreate") < 0) {
        handles[dev] = NULL;
        return NULL;
    }
    if (dn_check(dn.cudnnSetStream(handles[dev], (cudaStream_t)ct__cuda_stream()), "cudnnSetStream") < 0)
        return NULL;
    return handles[dev];
}

static bool fits_int(const int64_t *v, int n) {
    for (int i = 0; i < n; i++)
        if (v[i] < 0 || v[i] > INT_MAX) return false;
    return true;
}

typedef struct {
    cudnnTensorDescriptor_t x, y, bias;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
} descs;

static void descs_free(descs *d) {
    if (d->x) dn.cudnnDestroyTensorDescriptor(d->x);
    if (d->y) dn.cudnnDestroyTensorDescriptor(d->y);
    if (d->bias) dn.cudnnDestroyTensorDescriptor(d->bias);
    if (d->w) dn.cudnnDestroyFilterDescriptor(d->w);
    if (d->conv) dn.cudnnDestroyConvolutionDescriptor(d->conv);
}

/* A packed NC... tensor descriptor of n dims. */
static int set_tensor(cudnnTensorDescriptor_t t, cudnnDataType_t dt, int n, const int *dims) {
    int strides[5];
    strides[n - 1] = 1;
    for (int i = n - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return dn_check(dn.cudnnSetTensorNdDescriptor(t, dt, n, dims, strides), "cudnnSetTensorNdDescriptor");
}

/* Runs with dev current and the lock held. */
static int run(int which, const ct_tensor *a, const ct_tensor *b, const ct_tensor *bias,
               ct_tensor *out, int64_t groups, const ct_win3d *g, const char *op) {
    cudnnHandle_t h = handle_locked();
    if (!h) return -1;
    /* x [N, C, sp...], w [O, C / groups, k...], y [N, O, osp...] (y: out of
     * the forward, a of the backward passes); nd spatial dims, the last nd
     * of g's three */
    const ct_tensor *xt = which == 0 ? a : which == 1 ? out : b;
    const ct_tensor *wt = which == 2 ? out : b;
    int nd = out->ndim - 2, o = 3 - nd;
    int64_t N = xt->sizes[0], C = xt->sizes[1], O = wt->sizes[0];
    const int64_t sp[3] = {g->D, g->H, g->W}, osp[3] = {g->OD, g->OH, g->OW},
                  k[3] = {g->kd, g->kh, g->kw}, st[3] = {g->sd, g->sh, g->sw},
                  pd[3] = {g->pd, g->ph, g->pw}, dl[3] = {g->dd, g->dh, g->dw};
    int64_t all[5 + 6 * 3] = {N, C, O, wt->sizes[1], groups};
    for (int i = 0; i < 3; i++) {
        all[5 + i] = sp[i], all[8 + i] = osp[i], all[11 + i] = k[i];
        all[14 + i] = st[i], all[17 + i] = pd[i], all[20 + i] = dl[i];
    }
    if (!fits_int(all, (int)(sizeof all / sizeof all[0]))) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: sizes beyond int32 are not implemented for CUDA tensors", op);
        return -1;
    }
    int xd[5] = {(int)N, (int)C}, yd[5] = {(int)N, (int)O}, wd[5] = {(int)O, (int)wt->sizes[1]},
        bd[5] = {1, (int)O, 1, 1, 1}, pads[3], strides[3], dils[3];
    for (int i = 0; i < nd; i++) {
        xd[2 + i] = (int)sp[o + i], yd[2 + i] = (int)osp[o + i], wd[2 + i] = (int)k[o + i];
        pads[i] = (int)pd[o + i], strides[i] = (int)st[o + i], dils[i] = (int)dl[o + i];
    }
    cudnnDataType_t dt = xt->dtype == CT_FLOAT64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    descs d = {0};
    int rc = -1;
    ct_tensor *ws = NULL;
    if (dn_check(dn.cudnnCreateTensorDescriptor(&d.x), "cudnnCreateTensorDescriptor") < 0 ||
        dn_check(dn.cudnnCreateTensorDescriptor(&d.y), "cudnnCreateTensorDescriptor") < 0 ||
        dn_check(dn.cudnnCreateFilterDescriptor(&d.w), "cudnnCreateFilterDescriptor") < 0 ||
        dn_check(dn.cudnnCreateConvolutionDescriptor(&d.conv), "cudnnCreateConvolutionDescriptor") < 0)
        goto done;
    if (set_tensor(d.x, dt, nd + 2, xd) < 0 || set_tensor(d.y, dt, nd + 2, yd) < 0 ||
        dn_check(dn.cudnnSetFilterNdDescriptor(d.w, dt, CUDNN_TENSOR_NCHW, nd + 2, wd),
                 "cudnnSetFilterNdDescriptor") < 0 ||
        dn_check(dn.cudnnSetConvolutionNdDescriptor(d.conv, nd, pads, strides, dils,
                                                    CUDNN_CROSS_CORRELATION, dt),
                 "cudnnSetConvolutionNdDescriptor") < 0 ||
        dn_check(dn.cudnnSetConvolutionGroupCount(d.conv, (int)groups), "cudnnSetConvolutionGroupCount") < 0 ||
        dn_check(dn.cudnnSetConvolutionMathType(d.conv, dt == CUDNN_DATA_FLOAT ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH),
                 "cudnnSetConvolutionMathType") < 0)
        goto done;
    float f1 = 1, f0 = 0;
    double d1 = 1, d0 = 0;
    const void *one = dt == CUDNN_DATA_DOUBLE ? (const void *)&d1 : (const void *)&f1;
    const void *zero = dt == CUDNN_DATA_DOUBLE ? (const void *)&d0 : (const void *)&f0;
    size_t wsz = 0;
    int got = 0, algo = -1;
    enum { NALGO = 16 };
    if (which == 0) {
        cudnnConvolutionFwdAlgoPerf_t perf[NALGO];
        if (dn_check(dn.cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, NALGO, &got, perf),
                     "cudnnGetConvolutionForwardAlgorithm_v7") < 0)
            goto done;
        for (int i = 0; i < got && algo < 0; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS) algo = (int)perf[i].algo;
        if (algo >= 0 && dn_check(dn.cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y,
                                                                             (cudnnConvolutionFwdAlgo_t)algo, &wsz),
                                  "cudnnGetConvolutionForwardWorkspaceSize") < 0)
            goto done;
    } else if (which == 1) {
        cudnnConvolutionBwdDataAlgoPerf_t perf[NALGO];
        if (dn_check(dn.cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, NALGO, &got, perf),
                     "cudnnGetConvolutionBackwardDataAlgorithm_v7") < 0)
            goto done;
        for (int i = 0; i < got && algo < 0; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS) algo = (int)perf[i].algo;
        if (algo >= 0 && dn_check(dn.cudnnGetConvolutionBackwardDataWorkspaceSize(
                                      h, d.w, d.y, d.conv, d.x, (cudnnConvolutionBwdDataAlgo_t)algo, &wsz),
                                  "cudnnGetConvolutionBackwardDataWorkspaceSize") < 0)
            goto done;
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[NALGO];
        if (dn_check(dn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, NALGO, &got, perf),
                     "cudnnGetConvolutionBackwardFilterAlgorithm_v7") < 0)
            goto done;
        for (int i = 0; i < got && algo < 0; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS) algo = (int)perf[i].algo;
        if (algo >= 0 && dn_check(dn.cudnnGetConvolutionBackwardFilterWorkspaceSize(
                                      h, d.x, d.y, d.conv, d.w, (cudnnConvolutionBwdFilterAlgo_t)algo, &wsz),
                                  "cudnnGetConvolutionBackwardFilterWorkspaceSize") < 0)
            goto done;
    }
    if (algo < 0) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: cuDNN has no algorithm for input %s, weight %s", op,
                     ct__shp(xt), ct__shp(wt));
        goto done;
    }
    if (wsz > 0) {
        int64_t nb = (int64_t)wsz;
        ws = ct__empty_on(&nb, 1, CT_UINT8, out->storage->device);
        if (!ws) goto done;
    }
    void *wp = ws ? ct_data_ptr(ws) : NULL;
    if (which == 0) {
        if (dn_check(dn.cudnnConvolutionForward(h, one, d.x, ct_data_ptr(a), d.w, ct_data_ptr(b), d.conv,
                                                (cudnnConvolutionFwdAlgo_t)algo, wp, wsz, zero, d.y,
                                                ct_data_ptr(out)),
                     "cudnnConvolutionForward") < 0)
            goto done;
        if (bias) {
            if (dn_check(dn.cudnnCreateTensorDescriptor(&d.bias), "cudnnCreateTensorDescriptor") < 0 ||
                set_tensor(d.bias, dt, nd + 2, bd) < 0 ||
                dn_check(dn.cudnnAddTensor(h, one, d.bias, ct_data_ptr(bias), one, d.y, ct_data_ptr(out)),
                         "cudnnAddTensor") < 0)
                goto done;
        }
    } else if (which == 1) {
        if (dn_check(dn.cudnnConvolutionBackwardData(h, one, d.w, ct_data_ptr(b), d.y, ct_data_ptr(a), d.conv,
                                                     (cudnnConvolutionBwdDataAlgo_t)algo, wp, wsz, zero,
                                                     d.x, ct_data_ptr(out)),
                     "cudnnConvolutionBackwardData") < 0)
            goto done;
    } else {
        if (dn_check(dn.cudnnConvolutionBackwardFilter(h, one, d.x, ct_data_ptr(b), d.y, ct_data_ptr(a),
                                                       d.conv, (cudnnConvolutionBwdFilterAlgo_t)algo, wp,
                                                       wsz, zero, d.w, ct_data_ptr(out)),
                     "cudnnConvolutionBackwardFilter") < 0)
            goto done;
    }
    rc = 0;
done:
    ct_release(ws); /* stream-ordered reuse: see the caching allocator */
    descs_free(&d);
    return rc;
}

int ct__cuda_conv(int which, const ct_tensor *a, const ct_tensor *b, const ct_tensor *bias,
                  ct_tensor *out, int64_t groups, const ct_win3d *g) {
    static const char *names[2][3] = {
        {"conv2d", "conv2d_backward_input", "conv2d_backward_weight"},
        {"conv3d", "conv3d_backward_input", "conv3d_backward_weight"}};
    bool nd3 = out->ndim == 5;
    const char *op = which >= 0 && which <= 2 ? names[nd3][which] : names[nd3][0];
    ct_device dev = out->storage->device;
    const ct_tensor *ts[3] = {a, b, bias};
    for (int k = 0; k < 3; k++) {
        if (!ts[k]) continue;
        ct_device e = ts[k]->storage->device;
        if (e.type != dev.type || e.index != dev.index) {
            char b1[16], b2[16];
            ct_set_error(CT_ERR_RUNTIME,
                         "Expected all tensors to be on the same device, but found at least two "
                         "devices, %s and %s! (%s)",
                         ct_device_str(dev, b1, sizeof b1), ct_device_str(e, b2, sizeof b2), op);
            return -1;
        }
        if (!ct_is_contiguous(ts[k]) || ts[k]->dtype != out->dtype) {
            ct_set_error(CT_ERR_RUNTIME, "%s: internal error: non-contiguous or mixed-dtype operand", op);
            return -1;
        }
    }
    if (which < 0 || which > 2 || (out->dtype != CT_FLOAT32 && out->dtype != CT_FLOAT64) ||
        !ct_is_contiguous(out) || (out->ndim != 4 && out->ndim != 5)) {
        ct_set_error(CT_ERR_RUNTIME, "%s: internal error: unexpected CUDA convolution operands", op);
        return -1;
    }
    if (out->numel == 0) return 0;
    if (a->numel == 0 || b->numel == 0) { /* an empty sum: zeros (cuDNN refuses empty tensors) */
        if (which == 0 && bias) {
            ct_set_error(CT_ERR_NOT_IMPL, "%s: zero input channels with a bias is not implemented for CUDA tensors", op);
            return -1;
        }
        return ct__cuda->fill(out, 0);
    }
    if (cudnn_load(op) < 0) return -1;
    int prev = -1;
    if (ct__cuda_check(cudaGetDevice(&prev), op) < 0) return -1;
    if (dev.index >= 0 && dev.index != prev && ct__cuda_check(cudaSetDevice(dev.index), op) < 0)
        return -1;
    pthread_mutex_lock(&lock);
    int rc = run(which, a, b, bias, out, groups, g, op);
    pthread_mutex_unlock(&lock);
    if (dev.index >= 0 && dev.index != prev) cudaSetDevice(prev);
    return rc;
}
