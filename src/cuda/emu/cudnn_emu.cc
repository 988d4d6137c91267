/* cuDNN of the CPU emulator: the legacy convolution API that
 * src/cuda/conv.c calls (NCHW 4-d tensors, float32 and float64, groups,
 * padding, stride, dilation, cross-correlation), computed by direct loops
 * with double accumulators. cuDNN's own checks come first (descriptor
 * shapes that do not agree are CUDNN_STATUS_BAD_PARAM), then every data
 * pointer must be memory of the handle's device, and the algorithms ask
 * for a small workspace so that conv.c's workspace path runs too. */
#include "cuda/emu/emu_internal.hh"

#include <cudnn.h>

#include <stdio.h>
#include <string.h>

#include <type_traits>
#include <vector>

using namespace ct_emu;

struct cudnnContext {
    uint32_t magic;
    int device;
    cudaStream_t stream;
};
struct cudnnTensorStruct {
    int set, n, c, h, w;
    cudnnDataType_t dt;
};
struct cudnnFilterStruct {
    int set, k, c, h, w;
    cudnnDataType_t dt;
};
struct cudnnConvolutionStruct {
    int set, ph, pw, sh, sw, dh, dw, groups;
    cudnnConvolutionMode_t mode;
    cudnnDataType_t dt;
};

namespace {

constexpr uint32_t LIVE = 0x43444e4e;
constexpr size_t WORKSPACE = 1024;

cudnnStatus_t create(cudnnHandle_t *h) {
    int d;
    if (cudaGetDevice(&d) != cudaSuccess) return CUDNN_STATUS_NOT_INITIALIZED;
    *h = new cudnnContext{LIVE, d, nullptr};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t set_stream(cudnnHandle_t h, cudaStream_t s) {
    if (!h || h->magic != LIVE) return CUDNN_STATUS_BAD_PARAM;
    if (stream_device(s) != h->device) return CUDNN_STATUS_BAD_PARAM;
    h->stream = s;
    return CUDNN_STATUS_SUCCESS;
}
const char *error_string(cudnnStatus_t s) {
    switch (s) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_STATUS_INTERNAL_ERROR";
    }
}

template <typename T> cudnnStatus_t make(T **d) {
    *d = new T();
    return CUDNN_STATUS_SUCCESS;
}
template <typename T> cudnnStatus_t destroy(T *d) {
    delete d;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t create_tensor(cudnnTensorDescriptor_t *d) { return make(d); }
cudnnStatus_t create_filter(cudnnFilterDescriptor_t *d) { return make(d); }
cudnnStatus_t create_conv(cudnnConvolutionDescriptor_t *d) { return make(d); }
cudnnStatus_t destroy_tensor(cudnnTensorDescriptor_t d) { return destroy(d); }
cudnnStatus_t destroy_filter(cudnnFilterDescriptor_t d) { return destroy(d); }
cudnnStatus_t destroy_conv(cudnnConvolutionDescriptor_t d) { return destroy(d); }

bool float_type(cudnnDataType_t t) { return t == CUDNN_DATA_FLOAT || t == CUDNN_DATA_DOUBLE; }

cudnnStatus_t set_tensor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t f, cudnnDataType_t t, int n, int c,
                         int h, int w) {
    if (!d || n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
    if (f != CUDNN_TENSOR_NCHW || !float_type(t)) return CUDNN_STATUS_NOT_SUPPORTED;
    *d = cudnnTensorStruct{1, n, c, h, w, t};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t set_filter(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f, int k, int c,
                         int h, int w) {
    if (!d || k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
    if (f != CUDNN_TENSOR_NCHW || !float_type(t)) return CUDNN_STATUS_NOT_SUPPORTED;
    *d = cudnnFilterStruct{1, k, c, h, w, t};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t set_conv(cudnnConvolutionDescriptor_t d, int ph, int pw, int sh, int sw, int dh, int dw,
                       cudnnConvolutionMode_t mode, cudnnDataType_t t) {
    if (!d || ph < 0 || pw < 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0) return CUDNN_STATUS_BAD_PARAM;
    if (mode != CUDNN_CROSS_CORRELATION || !float_type(t)) return CUDNN_STATUS_NOT_SUPPORTED;
    *d = cudnnConvolutionStruct{1, ph, pw, sh, sw, dh, dw, 1, mode, t};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t set_groups(cudnnConvolutionDescriptor_t d, int g) {
    if (!d || g <= 0) return CUDNN_STATUS_BAD_PARAM;
    d->groups = g;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t set_math(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) {
    return d ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_BAD_PARAM;
}

/* cuDNN's agreement checks of x, w, conv and y */
cudnnStatus_t agree(cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t c,
                    cudnnTensorDescriptor_t y) {
    if (!x || !w || !c || !y || !x->set || !w->set || !c->set || !y->set) return CUDNN_STATUS_BAD_PARAM;
    if (x->dt != w->dt || x->dt != y->dt || x->dt != c->dt) return CUDNN_STATUS_BAD_PARAM;
    if (x->c != w->c * c->groups || w->k % c->groups || y->c != w->k || y->n != x->n)
        return CUDNN_STATUS_BAD_PARAM;
    int oh = (x->h + 2 * c->ph - c->dh * (w->h - 1) - 1) / c->sh + 1;
    int ow = (x->w + 2 * c->pw - c->dw * (w->w - 1) - 1) / c->sw + 1;
    if (oh <= 0 || ow <= 0 || y->h != oh || y->w != ow) return CUDNN_STATUS_BAD_PARAM;
    return CUDNN_STATUS_SUCCESS;
}

template <typename P>
cudnnStatus_t algos(int req, int *got, P *perf, cudnnStatus_t st) {
    if (st != CUDNN_STATUS_SUCCESS) return st;
    if (req < 1) return CUDNN_STATUS_BAD_PARAM;
    memset(perf, 0, sizeof *perf);
    perf->algo = (decltype(perf->algo))0;
    perf->status = CUDNN_STATUS_SUCCESS;
    perf->memory = WORKSPACE;
    perf->determinism = CUDNN_DETERMINISTIC;
    *got = 1;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t fwd_algo(cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                       cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t y, int req, int *got,
                       cudnnConvolutionFwdAlgoPerf_t *perf) {
    return algos(req, got, perf, agree(x, w, c, y));
}
cudnnStatus_t bwd_data_algo(cudnnHandle_t h, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
                            cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t dx, int req, int *got,
                            cudnnConvolutionBwdDataAlgoPerf_t *perf) {
    return algos(req, got, perf, agree(dx, w, c, dy));
}
cudnnStatus_t bwd_filter_algo(cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
                              cudnnConvolutionDescriptor_t c, cudnnFilterDescriptor_t dw, int req, int *got,
                              cudnnConvolutionBwdFilterAlgoPerf_t *perf) {
    return algos(req, got, perf, agree(x, dw, c, dy));
}
cudnnStatus_t fwd_ws(cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                     cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t y, cudnnConvolutionFwdAlgo_t a,
                     size_t *sz) {
    cudnnStatus_t st = agree(x, w, c, y);
    *sz = WORKSPACE;
    return st;
}
cudnnStatus_t bwd_data_ws(cudnnHandle_t h, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
                          cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t dx,
                          cudnnConvolutionBwdDataAlgo_t a, size_t *sz) {
    cudnnStatus_t st = agree(dx, w, c, dy);
    *sz = WORKSPACE;
    return st;
}
cudnnStatus_t bwd_filter_ws(cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
                            cudnnConvolutionDescriptor_t c, cudnnFilterDescriptor_t dw,
                            cudnnConvolutionBwdFilterAlgo_t a, size_t *sz) {
    cudnnStatus_t st = agree(x, dw, c, dy);
    *sz = WORKSPACE;
    return st;
}

/* the handle, its device, and every operand on that device */
cudnnStatus_t on_device(cudnnHandle_t h, const char *what, std::initializer_list<std::pair<const void *, size_t>> ops) {
    if (!h || h->magic != LIVE) return CUDNN_STATUS_BAD_PARAM;
    if (current_device() != h->device || stream_device(h->stream) != h->device) {
        launch_error(cudaErrorInvalidResourceHandle, "%s: cuDNN handle of device %d used on device %d", what,
                     h->device, current_device());
        return CUDNN_STATUS_EXECUTION_FAILED;
    }
    for (auto &o : ops)
        if (device_of(o.first, o.second) != h->device) {
            launch_error(cudaErrorIllegalAddress, "%s: operand %p (%zu bytes) is not memory of device %d", what,
                         o.first, o.second, h->device);
            return CUDNN_STATUS_EXECUTION_FAILED;
        }
    return CUDNN_STATUS_SUCCESS;
}

size_t bytes(cudnnTensorDescriptor_t t) {
    return (size_t)t->n * t->c * t->h * t->w * (t->dt == CUDNN_DATA_DOUBLE ? 8 : 4);
}
size_t bytes(cudnnFilterDescriptor_t t) {
    return (size_t)t->k * t->c * t->h * t->w * (t->dt == CUDNN_DATA_DOUBLE ? 8 : 4);
}

enum { FWD, BWD_DATA, BWD_FILTER };

/* The three passes over (n, o, oh, ow, c, i, j); the result goes to acc
 * (laid out as the written operand), then out = alpha * acc + beta * out
 * (beta == 0: out not read). */
template <typename T>
void conv(int pass, const cudnnTensorStruct &X, const cudnnFilterStruct &W, const cudnnConvolutionStruct &C,
          const cudnnTensorStruct &Y, const T *x, const T *w, const T *y, T *out, double alpha, double beta) {
    int G = C.groups, Cg = W.c, Og = W.k / G;
    size_t nout = pass == FWD ? (size_t)Y.n * Y.c * Y.h * Y.w
                  : pass == BWD_DATA ? (size_t)X.n * X.c * X.h * X.w
                                     : (size_t)W.k * W.c * W.h * W.w;
    std::vector<double> acc(nout, 0.0);
    for (int n = 0; n < X.n; n++)
        for (int o = 0; o < W.k; o++) {
            int g = o / Og;
            for (int oh = 0; oh < Y.h; oh++)
                for (int ow = 0; ow < Y.w; ow++) {
                    size_t yi = (((size_t)n * Y.c + o) * Y.h + oh) * Y.w + ow;
                    double f = 0;
                    for (int c = 0; c < Cg; c++)
                        for (int i = 0; i < W.h; i++) {
                            int ih = oh * C.sh - C.ph + i * C.dh;
                            if (ih < 0 || ih >= X.h) continue;
                            for (int j = 0; j < W.w; j++) {
                                int iw = ow * C.sw - C.pw + j * C.dw;
                                if (iw < 0 || iw >= X.w) continue;
                                size_t xi = (((size_t)n * X.c + g * Cg + c) * X.h + ih) * X.w + iw;
                                size_t wi = (((size_t)o * W.c + c) * W.h + i) * W.w + j;
                                if (pass == FWD) f += (double)x[xi] * (double)w[wi];
                                else if (pass == BWD_DATA) acc[xi] += (double)y[yi] * (double)w[wi];
                                else acc[wi] += (double)y[yi] * (double)x[xi];
                            }
                        }
                    if (pass == FWD) acc[yi] = f;
                }
        }
    for (size_t k = 0; k < nout; k++)
        out[k] = (T)(alpha * acc[k] + (beta != 0 ? beta * (double)out[k] : 0.0));
}

double scalar(cudnnDataType_t t, const void *p) {
    return t == CUDNN_DATA_DOUBLE ? *(const double *)p : (double)*(const float *)p;
}

cudnnStatus_t run(int pass, cudnnHandle_t h, const void *alpha, cudnnTensorDescriptor_t xd, const void *x,
                  cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd, const void *ws,
                  size_t wsz, const void *beta, cudnnTensorDescriptor_t yd, const void *y, void *out,
                  const char *what) {
    cudnnStatus_t st = agree(xd, wd, cd, yd);
    if (st != CUDNN_STATUS_SUCCESS) return st;
    if (wsz < WORKSPACE || !ws) return CUDNN_STATUS_BAD_PARAM;
    st = on_device(h, what, {{x ? x : out, bytes(xd)}, {w ? w : out, bytes(wd)}, {y ? y : out, bytes(yd)},
                             {ws, wsz}});
    if (st != CUDNN_STATUS_SUCCESS) return st;
    double a = scalar(xd->dt, alpha), b = scalar(xd->dt, beta);
    if (xd->dt == CUDNN_DATA_DOUBLE)
        conv<double>(pass, *xd, *wd, *cd, *yd, (const double *)x, (const double *)w, (const double *)y,
                     (double *)out, a, b);
    else
        conv<float>(pass, *xd, *wd, *cd, *yd, (const float *)x, (const float *)w, (const float *)y,
                    (float *)out, a, b);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t forward(cudnnHandle_t h, const void *alpha, cudnnTensorDescriptor_t xd, const void *x,
                      cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd,
                      cudnnConvolutionFwdAlgo_t algo, void *ws, size_t wsz, const void *beta,
                      cudnnTensorDescriptor_t yd, void *y) {
    return run(FWD, h, alpha, xd, x, wd, w, cd, ws, wsz, beta, yd, nullptr, y, "cudnnConvolutionForward");
}
cudnnStatus_t backward_data(cudnnHandle_t h, const void *alpha, cudnnFilterDescriptor_t wd, const void *w,
                            cudnnTensorDescriptor_t dyd, const void *dy, cudnnConvolutionDescriptor_t cd,
                            cudnnConvolutionBwdDataAlgo_t algo, void *ws, size_t wsz, const void *beta,
                            cudnnTensorDescriptor_t dxd, void *dx) {
    return run(BWD_DATA, h, alpha, dxd, nullptr, wd, w, cd, ws, wsz, beta, dyd, dy, dx,
               "cudnnConvolutionBackwardData");
}
cudnnStatus_t backward_filter(cudnnHandle_t h, const void *alpha, cudnnTensorDescriptor_t xd, const void *x,
                              cudnnTensorDescriptor_t dyd, const void *dy, cudnnConvolutionDescriptor_t cd,
                              cudnnConvolutionBwdFilterAlgo_t algo, void *ws, size_t wsz, const void *beta,
                              cudnnFilterDescriptor_t dwd, void *dw) {
    return run(BWD_FILTER, h, alpha, xd, x, dwd, nullptr, cd, ws, wsz, beta, dyd, dy, dw,
               "cudnnConvolutionBackwardFilter");
}

/* C = alpha * A + beta * C, A broadcast over the dims where it has size 1 */
cudnnStatus_t add_tensor(cudnnHandle_t h, const void *alpha, cudnnTensorDescriptor_t ad, const void *A,
                         const void *beta, cudnnTensorDescriptor_t cd, void *Cp) {
    if (!ad || !cd || !ad->set || !cd->set || ad->dt != cd->dt) return CUDNN_STATUS_BAD_PARAM;
    int as[4] = {ad->n, ad->c, ad->h, ad->w}, cs[4] = {cd->n, cd->c, cd->h, cd->w};
    for (int k = 0; k < 4; k++)
        if (as[k] != 1 && as[k] != cs[k]) return CUDNN_STATUS_BAD_PARAM;
    cudnnStatus_t st = on_device(h, "cudnnAddTensor", {{A, bytes(ad)}, {Cp, bytes(cd)}});
    if (st != CUDNN_STATUS_SUCCESS) return st;
    double a = scalar(ad->dt, alpha), b = scalar(ad->dt, beta);
    bool dbl = ad->dt == CUDNN_DATA_DOUBLE;
    size_t k = 0;
    for (int n = 0; n < cs[0]; n++)
        for (int c = 0; c < cs[1]; c++)
            for (int y = 0; y < cs[2]; y++)
                for (int x = 0; x < cs[3]; x++, k++) {
                    size_t ai = (((size_t)(as[0] > 1 ? n : 0) * as[1] + (as[1] > 1 ? c : 0)) * as[2] +
                                 (as[2] > 1 ? y : 0)) * as[3] + (as[3] > 1 ? x : 0);
                    if (dbl) {
                        double *C = (double *)Cp;
                        C[k] = a * ((const double *)A)[ai] + (b != 0 ? b * C[k] : 0.0);
                    } else {
                        float *C = (float *)Cp;
                        C[k] = (float)(a * ((const float *)A)[ai] + (b != 0 ? b * C[k] : 0.0));
                    }
                }
    return CUDNN_STATUS_SUCCESS;
}

#define CT_STR_(x) #x
#define CT_STR(x) CT_STR_(x)
#define SYM(name, fn)                                                                          \
    static_assert(std::is_same<decltype(&fn), decltype(&name)>::value, #name " prototype");   \
    const Sym sym_##name = {CT_STR(name), (void *)&fn};

struct Sym {
    const char *name;
    void *fn;
};
SYM(cudnnCreate, create)
SYM(cudnnSetStream, set_stream)
SYM(cudnnGetErrorString, error_string)
SYM(cudnnCreateTensorDescriptor, create_tensor)
SYM(cudnnSetTensor4dDescriptor, set_tensor)
SYM(cudnnDestroyTensorDescriptor, destroy_tensor)
SYM(cudnnCreateFilterDescriptor, create_filter)
SYM(cudnnSetFilter4dDescriptor, set_filter)
SYM(cudnnDestroyFilterDescriptor, destroy_filter)
SYM(cudnnCreateConvolutionDescriptor, create_conv)
SYM(cudnnSetConvolution2dDescriptor, set_conv)
SYM(cudnnSetConvolutionGroupCount, set_groups)
SYM(cudnnSetConvolutionMathType, set_math)
SYM(cudnnDestroyConvolutionDescriptor, destroy_conv)
SYM(cudnnGetConvolutionForwardAlgorithm_v7, fwd_algo)
SYM(cudnnGetConvolutionForwardWorkspaceSize, fwd_ws)
SYM(cudnnConvolutionForward, forward)
SYM(cudnnGetConvolutionBackwardDataAlgorithm_v7, bwd_data_algo)
SYM(cudnnGetConvolutionBackwardDataWorkspaceSize, bwd_data_ws)
SYM(cudnnConvolutionBackwardData, backward_data)
SYM(cudnnGetConvolutionBackwardFilterAlgorithm_v7, bwd_filter_algo)
SYM(cudnnGetConvolutionBackwardFilterWorkspaceSize, bwd_filter_ws)
SYM(cudnnConvolutionBackwardFilter, backward_filter)
SYM(cudnnAddTensor, add_tensor)

const Sym *const syms[] = {
    &sym_cudnnCreate, &sym_cudnnSetStream, &sym_cudnnGetErrorString, &sym_cudnnCreateTensorDescriptor,
    &sym_cudnnSetTensor4dDescriptor, &sym_cudnnDestroyTensorDescriptor, &sym_cudnnCreateFilterDescriptor,
    &sym_cudnnSetFilter4dDescriptor, &sym_cudnnDestroyFilterDescriptor, &sym_cudnnCreateConvolutionDescriptor,
    &sym_cudnnSetConvolution2dDescriptor, &sym_cudnnSetConvolutionGroupCount, &sym_cudnnSetConvolutionMathType,
    &sym_cudnnDestroyConvolutionDescriptor, &sym_cudnnGetConvolutionForwardAlgorithm_v7,
    &sym_cudnnGetConvolutionForwardWorkspaceSize, &sym_cudnnConvolutionForward,
    &sym_cudnnGetConvolutionBackwardDataAlgorithm_v7, &sym_cudnnGetConvolutionBackwardDataWorkspaceSize,
    &sym_cudnnConvolutionBackwardData, &sym_cudnnGetConvolutionBackwardFilterAlgorithm_v7,
    &sym_cudnnGetConvolutionBackwardFilterWorkspaceSize, &sym_cudnnConvolutionBackwardFilter,
    &sym_cudnnAddTensor,
};

} // namespace

/* cublas_emu.cc's loader asks here for the cuDNN names: NULL when not emulated */
void *ct__cuda_emu_cudnn_sym(const char *name) {
    for (const Sym *s : syms)
        if (!strcmp(s->name, name)) return s->fn;
    return nullptr;
}
