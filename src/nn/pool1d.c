/* The 1-d poolings (max, avg, adaptive avg, adaptive max) and the
 * gradients of the average ones: checks with PyTorch's messages and flat
 * loops over contiguous rows [np][L] (one thread per range of rows), their
 * windows from nn/window.h; on a GPU the kernels of src/cuda/pool.cu. The
 * max poolings' gradient is max_pool2d_backward over a unit height. */
#include "ctorch/ctorch.h"
#include "nn/embpool_internal.h"
#include "nn/pool_internal.h"

#include <math.h>

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

typedef struct win1d {
    int64_t L, OL, k, s, p, d;
} win1d;

/* x [N, C, L] or [C, L] with every non-batch dim non-empty. */
static bool shape_ok(const ct_tensor *x) {
    if (x->ndim != 2 && x->ndim != 3) return false;
    for (int d = x->ndim - 2; d < x->ndim; d++)
        if (x->sizes[d] == 0) return false;
    return true;
}

/* Owned result of x's shape with last dim OL, on x's device. */
static ct_tensor *pooled_empty(const ct_tensor *x, int64_t OL, ct_dtype dt) {
    int64_t sizes[3];
    for (int i = 0; i < x->ndim - 1; i++) sizes[i] = x->sizes[i];
    sizes[x->ndim - 1] = OL;
    return ct__empty_on(sizes, x->ndim, dt, x->storage->device);
}

/* The window of output o (nn/window.h): [l0, l1) read with step, and the
 * divisor of the averages; cip = count_include_pad. */
#define WIN_MAX                                                                          \
    int64_t l0, l1, step = g->d, div = 1;                                                \
    ct_win_max(o, g->s, g->p, g->k, g->d, g->L, &l0, &l1);
#define WIN_ADAPTIVE                                                                     \
    int64_t l0, l1, step = 1;                                                            \
    ct_win_adaptive(o, g->L, g->OL, &l0, &l1);                                           \
    int64_t div = l1 - l0;
#define WIN_AVG                                                                          \
    int64_t l0, l1, step = 1;                                                            \
    int64_t pool = ct_win_avg(o, g->s, g->p, g->k, g->L, &l0, &l1);                      \
    int64_t div = cip ? pool : l1 - l0;

/* rows [np][L] -> [np][OL]; work: the elements one output reads at most */
#define ROWS(...)                                                                        \
    _Pragma("omp parallel for schedule(static) if (np * (g->OL * g->k + g->L) >= CT_GRAIN)") \
    for (int64_t r = 0; r < np; r++) {                                                   \
        __VA_ARGS__                                                                      \
    }

/* A NaN wins (the last one), else the first strict maximum; a window of
 * padding only keeps -inf at its first position (PyTorch's rule). */
#define MAX1D(T, WIN)                                                                    \
    do {                                                                                 \
        const T *xs = (const T *)xp;                                                     \
        T *os = (T *)outp;                                                               \
        ROWS(const T *xr = xs + r * g->L; for (int64_t o = 0; o < g->OL; o++) {          \
            WIN int64_t best = l0;                                                       \
            (void)div;                                                                   \
            T m = -(T)INFINITY;                                                          \
            for (int64_t l = l0; l < l1; l += step) {                                    \
                T v = xr[l];                                                             \
                if (v > m || v != v) m = v, best = l;                                    \
            }                                                                            \
            os[r * g->OL + o] = m;                                                       \
            idx[r * g->OL + o] = best;                                                   \
        })                                                                               \
    } while (0)

/* The averages; integers divide truncating (C division, as PyTorch). */
#define AVG1D(T, ACC, WIN)                                                               \
    do {                                                                                 \
        const T *xs = (const T *)xp;                                                     \
        T *os = (T *)outp;                                                               \
        ROWS(const T *xr = xs + r * g->L; for (int64_t o = 0; o < g->OL; o++) {          \
            WIN ACC s = 0;                                                               \
            for (int64_t l = l0; l < l1; l += step) s += xr[l];                          \
            os[r * g->OL + o] = div ? (T)(s / (ACC)div) : (T)0;                          \
        })                                                                               \
    } while (0)

/* Their gradients: dx [np][L] (zeroed here) += g / div over each window. */
#define AVG1D_BWD(T, WIN)                                                                \
    do {                                                                                 \
        const T *gs = (const T *)gp;                                                     \
        T *ds = (T *)dxp;                                                                \
        ROWS(T *dr = ds + r * g->L; const T *gr = gs + r * g->OL;                        \
             for (int64_t l = 0; l < g->L; l++) dr[l] = 0;                               \
             for (int64_t o = 0; o < g->OL; o++) {                                       \
                 WIN if (!div) continue;                                                 \
                 T v = gr[o] / (T)div;                                                   \
                 for (int64_t l = l0; l < l1; l += step) dr[l] += v;                     \
             })                                                                          \
    } while (0)

/* Runs w (over planes of one row) on the GPU; 0 or -1. */
static int on_gpu(int kind, const ct_tensor *x, ct_tensor *out, ct_tensor *idx, const win1d *g,
                  bool cip) {
    ct_window_op w = ct__window_op(kind, x->dtype, out->numel / (kind == CT_WIN_AVG_BWD ||
                                                              kind == CT_WIN_ADAPTIVE_AVG_BWD
                                                                  ? g->L
                                                                  : g->OL),
                                   1, &g->L, &g->OL);
    w.k[2] = g->k, w.s[2] = g->s, w.p[2] = g->p, w.d[2] = g->d;
    w.count_include_pad = cip;
    return ct__cuda->window(&w, x, out, idx);
}

/* ---------------------------------------------------------------- max_pool1d */
ct_tensor *ct_max_pool1d(const ct_tensor *x, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                         bool ceil_mode, ct_tensor **indices) {
    const char *op = "max_pool1d";
    if (indices) *indices = NULL;
    if (!x) return CT_FAIL(CT_ERR_VALUE, "%s: input must not be NULL", op);
    if (!shape_ok(x))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                       "input, but got:%s",
                       ct__shp(x));
    if (kernel <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "max_pool1d() kernel_size must be greater than zero, but got %lld",
                       (long long)kernel);
    if (stride <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "max_pool1d() stride must be greater than zero, but got %lld", (long long)stride);
    if (padding < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "max_pool1d() padding must be non-negative, but got %lld", (long long)padding);
    if (padding > kernel / 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "max_pool1d() padding should be at most half of kernel size, but got padding=%lld and "
                       "kernel_size=%lld",
                       (long long)padding, (long long)kernel);
    if (dilation <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "max_pool1d() dilation must be greater than zero, but got %lld",
                       (long long)dilation);
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME, "\"max_pool1d_impl\" not implemented for '%s'", type_name(x->dtype));
    win1d w = {x->sizes[x->ndim - 1], 0, kernel, stride, padding, dilation}, *g = &w;
    w.OL = ct_pool_out_size(w.L, kernel, padding, stride, dilation, ceil_mode);
    if (w.OL < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "max_pool1d() Invalid computed output size: %lld", (long long)w.OL);
    ct_tensor *xc = ct__contiguous(x), *out = pooled_empty(x, w.OL, x->dtype), *it = pooled_empty(x, w.OL, CT_INT64);
    if (!xc || !out || !it) {
        ct_release(xc), ct_release(out), ct_release(it);
        return NULL;
    }
    int64_t np = x->numel / w.L, *idx = ct_data_ptr(it);
    const void *xp = ct_data_ptr(xc);
    void *outp = ct_data_ptr(out);
    int rc = 0;
    if (!ct__on_cpu(x)) rc = out->numel ? on_gpu(CT_WIN_MAX, xc, out, it, g, false) : 0;
    else CT_DISPATCH_FLOATING(xc->dtype, MAX1D(T, WIN_MAX));
    ct_release(xc);
    if (rc < 0) {
        ct_release(out), ct_release(it);
        return NULL;
    }
    ct_op_args a = {.i = {kernel, stride, padding, dilation}, .b = {ceil_mode}};
    out = ct__nn_record(CT_OP_max_pool1d, out, (const ct_tensor *[]){x}, 1, (const ct_tensor *[]){it}, 1, &a);
    if (!out) {
        ct_release(it);
        return NULL;
    }
    if (indices) *indices = ct_autorelease(it);
    else ct_release(it);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- avg_pool1d */
/* PyTorch's avg_pool checks; fills g. 0 or -1. */
static int avg_window(const char *op, int64_t L, int64_t C, int64_t kernel, int64_t stride, int64_t padding,
                      bool ceil_mode, win1d *g) {
    if (kernel <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: kernel size should be greater than zero, but got kW: %lld", op,
                     (long long)kernel);
        return -1;
    }
    if (stride <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: stride should not be zero or negative, but got %lld", op, (long long)stride);
        return -1;
    }
    if (padding < 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: pad must be non-negative, but got pad: %lld", op, (long long)padding);
        return -1;
    }
    if (padding > kernel / 2) {
        ct_set_error(CT_ERR_RUNTIME, "%s: pad should be at most half of kernel size, but got pad=%lld and kernel_size=%lld",
                     op, (long long)padding, (long long)kernel);
        return -1;
    }
    *g = (win1d){L, ct_pool_out_size(L, kernel, padding, stride, 1, ceil_mode), kernel, stride, padding, 1};
    if (g->OL < 1) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: Given input size: (%lldx1x%lld). Calculated output size: (%lldx1x%lld). Output size is "
                     "too small",
                     op, (long long)C, (long long)L, (long long)C, (long long)g->OL);
        return -1;
    }
    return 0;
}

ct_tensor *ct_avg_pool1d(const ct_tensor *x, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode,
                         bool count_include_pad) {
    const char *op = "avg_pool1d";
    if (!x) return CT_FAIL(CT_ERR_VALUE, "%s: input must not be NULL", op);
    if (x->ndim != 2 && x->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 2 to 3 dimensions, but got %d-dimensional tensor for argument #1 'self' (while "
                       "checking arguments for avg_pool1d)",
                       x->ndim);
    if (!shape_ok(x))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "avg_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                       "input, but got:%s",
                       ct__shp(x));
    if (x->dtype == CT_BOOL || x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16)
        return CT_FAIL(CT_ERR_RUNTIME, "\"avg_pool2d\" not implemented for '%s'", type_name(x->dtype));
    win1d w, *g = &w;
    if (avg_window(op, x->sizes[x->ndim - 1], x->sizes[x->ndim - 2], kernel, stride, padding, ceil_mode, &w) < 0)
        return NULL;
    if (!ct__on_cpu(x) && x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_NOT_IMPL, "\"avg_pool2d_out_cuda_frame\" not implemented for '%s'",
                       type_name(x->dtype));
    ct_tensor *xc = ct__contiguous(x), *out = pooled_empty(x, w.OL, x->dtype);
    if (!xc || !out) {
        ct_release(xc), ct_release(out);
        return NULL;
    }
    int64_t np = x->numel / w.L;
    bool cip = count_include_pad;
    const void *xp = ct_data_ptr(xc);
    void *outp = ct_data_ptr(out);
    int rc = 0;
    if (!ct__on_cpu(x)) {
        rc = out->numel ? on_gpu(CT_WIN_AVG, xc, out, NULL, g, cip) : 0;
    } else {
        switch (xc->dtype) {
        case CT_FLOAT32: AVG1D(float, float, WIN_AVG); break;
        case CT_FLOAT64: AVG1D(double, double, WIN_AVG); break;
        case CT_UINT8: AVG1D(uint8_t, int64_t, WIN_AVG); break;
        case CT_INT8: AVG1D(int8_t, int64_t, WIN_AVG); break;
        case CT_INT16: AVG1D(int16_t, int64_t, WIN_AVG); break;
        case CT_INT32: AVG1D(int32_t, int64_t, WIN_AVG); break;
        case CT_INT64: AVG1D(int64_t, int64_t, WIN_AVG); break;
        default: break;
        }
    }
    ct_release(xc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    ct_op_args a = {.i = {kernel, stride, padding}, .b = {ceil_mode, count_include_pad}, .dims = {w.L}, .ndims = 1};
    out = ct__nn_record(CT_OP_avg_pool1d, out, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return out ? ct_autorelease(out) : NULL;
}

/* grad_out [.., OL] against an input [.., L]: the geometry must give OL. */
static int grad_shape(const char *op, const ct_tensor *grad_out, int64_t L, int64_t OL) {
    if ((grad_out->ndim != 2 && grad_out->ndim != 3) || grad_out->sizes[grad_out->ndim - 1] != OL || L <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: grad_output %s does not match an input of length %lld (%lld outputs)", op,
                     ct__shp(grad_out), (long long)L, (long long)OL);
        return -1;
    }
    if (grad_out->dtype != CT_FLOAT32 && grad_out->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, type_name(grad_out->dtype));
        return -1;
    }
    return 0;
}

ct_tensor *ct_avg_pool1d_backward(const ct_tensor *grad_out, int64_t L, int64_t kernel, int64_t stride,
                                  int64_t padding, bool ceil_mode, bool count_include_pad) {
    const char *op = "avg_pool1d_backward";
    if (!grad_out) return CT_FAIL(CT_ERR_VALUE, "%s: grad_output must not be NULL", op);
    win1d w, *g = &w;
    if (L <= 0 || avg_window(op, L, 1, kernel, stride, padding, ceil_mode, &w) < 0 ||
        grad_shape(op, grad_out, L, w.OL) < 0) {
        if (L <= 0) grad_shape(op, grad_out, L, 0);
        return NULL;
    }
    ct_tensor *gc = ct__contiguous(grad_out), *dx = pooled_empty(grad_out, L, grad_out->dtype);
    if (!gc || !dx) {
        ct_release(gc), ct_release(dx);
        return NULL;
    }
    int64_t np = dx->numel / L;
    bool cip = count_include_pad;
    const void *gp = ct_data_ptr(gc);
    void *dxp = ct_data_ptr(dx);
    int rc = 0;
    if (!ct__on_cpu(grad_out)) rc = dx->numel ? on_gpu(CT_WIN_AVG_BWD, gc, dx, NULL, g, cip) : 0;
    else CT_DISPATCH_FLOATING(grad_out->dtype, AVG1D_BWD(T, WIN_AVG));
    ct_release(gc);
    if (rc < 0) {
        ct_release(dx);
        return NULL;
    }
    ct_op_args a = {.i = {kernel, stride, padding}, .b = {ceil_mode, count_include_pad}, .dims = {L}, .ndims = 1};
    dx = ct__nn_record(CT_OP_avg_pool1d_backward, dx, (const ct_tensor *[]){grad_out}, 1, NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}

/* ---------------------------------------------------------------- adaptive */
/* Shared checks of the adaptive poolings; 0 or -1. */
static int adaptive_check(const char *op, const ct_tensor *x, int64_t O) {
    if (!x) {
        ct_set_error(CT_ERR_VALUE, "%s: input must not be NULL", op);
        return -1;
    }
    if (x->ndim != 2 && x->ndim != 3) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): Expected 2D or 3D tensor, but got: %s (expected 2 to 3 dimensions, but got "
                     "%d-dimensional tensor for argument #1 'self')",
                     op, ct__shp(x), x->ndim);
        return -1;
    }
    if (x->sizes[x->ndim - 1] == 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): Expected input to have non-zero size for non-batch dimensions, but input has sizes %s "
                     "with dimension %d being empty",
                     op, ct__shp(x), x->ndim - 1);
        return -1;
    }
    if (O < 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s(): elements of output_size must be greater than or equal to 0 but received {%lld}",
                     op, (long long)O);
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, type_name(x->dtype));
        return -1;
    }
    return 0;
}

ct_tensor *ct_adaptive_avg_pool1d(const ct_tensor *x, int64_t output_size) {
    const char *op = "adaptive_avg_pool1d";
    int64_t O = output_size;
    if (adaptive_check(op, x, O) < 0) return NULL;
    int64_t L = x->sizes[x->ndim - 1], np = x->numel / L;
    ct_tensor *xc = ct__contiguous(x), *out = pooled_empty(x, O, x->dtype);
    if (!xc || !out) {
        ct_release(xc), ct_release(out);
        return NULL;
    }
    const void *xp = ct_data_ptr(xc);
    void *outp = ct_data_ptr(out);
    win1d w = {L, O, L / (O ? O : 1) + 1, 1, 0, 1}, *g = &w;
    int rc = 0;
    if (!ct__on_cpu(x)) rc = out->numel ? on_gpu(CT_WIN_ADAPTIVE_AVG, xc, out, NULL, g, false) : 0;
    else CT_DISPATCH_FLOATING(x->dtype, AVG1D(T, T, WIN_ADAPTIVE));
    ct_release(xc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    ct_op_args a = {.dims = {L, O}, .ndims = 2};
    out = ct__nn_record(CT_OP_adaptive_avg_pool1d, out, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_adaptive_avg_pool1d_backward(const ct_tensor *grad_out, int64_t L) {
    const char *op = "adaptive_avg_pool1d_backward";
    if (!grad_out) return CT_FAIL(CT_ERR_VALUE, "%s: grad_output must not be NULL", op);
    int64_t O = grad_out->ndim >= 2 ? grad_out->sizes[grad_out->ndim - 1] : -1;
    if (grad_shape(op, grad_out, L, O) < 0) return NULL;
    ct_tensor *gc = ct__contiguous(grad_out), *dx = pooled_empty(grad_out, L, grad_out->dtype);
    if (!gc || !dx) {
        ct_release(gc), ct_release(dx);
        return NULL;
    }
    int64_t np = dx->numel / L;
    const void *gp = ct_data_ptr(gc);
    void *dxp = ct_data_ptr(dx);
    win1d w = {L, O, L / (O ? O : 1) + 1, 1, 0, 1}, *g = &w;
    int rc = 0;
    if (!ct__on_cpu(grad_out)) rc = dx->numel ? on_gpu(CT_WIN_ADAPTIVE_AVG_BWD, gc, dx, NULL, g, false) : 0;
    else CT_DISPATCH_FLOATING(grad_out->dtype, AVG1D_BWD(T, WIN_ADAPTIVE));
    ct_release(gc);
    if (rc < 0) {
        ct_release(dx);
        return NULL;
    }
    ct_op_args a = {.dims = {L, O}, .ndims = 2};
    dx = ct__nn_record(CT_OP_adaptive_avg_pool1d_backward, dx, (const ct_tensor *[]){grad_out}, 1, NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}

ct_tensor *ct_adaptive_max_pool1d(const ct_tensor *x, int64_t output_size, ct_tensor **indices) {
    const char *op = "adaptive_max_pool1d";
    int64_t O = output_size;
    if (indices) *indices = NULL;
    if (adaptive_check(op, x, O) < 0) return NULL;
    int64_t L = x->sizes[x->ndim - 1], np = x->numel / L;
    ct_tensor *xc = ct__contiguous(x), *out = pooled_empty(x, O, x->dtype), *it = pooled_empty(x, O, CT_INT64);
    if (!xc || !out || !it) {
        ct_release(xc), ct_release(out), ct_release(it);
        return NULL;
    }
    const void *xp = ct_data_ptr(xc);
    void *outp = ct_data_ptr(out);
    int64_t *idx = ct_data_ptr(it);
    win1d w = {L, O, L / (O ? O : 1) + 1, 1, 0, 1}, *g = &w;
    int rc = 0;
    if (!ct__on_cpu(x)) rc = out->numel ? on_gpu(CT_WIN_ADAPTIVE_MAX, xc, out, it, g, false) : 0;
    else CT_DISPATCH_FLOATING(x->dtype, MAX1D(T, WIN_ADAPTIVE));
    ct_release(xc);
    if (rc < 0) {
        ct_release(out), ct_release(it);
        return NULL;
    }
    ct_op_args a = {.dims = {L}, .ndims = 1};
    out = ct__nn_record(CT_OP_adaptive_max_pool1d, out, (const ct_tensor *[]){x}, 1, (const ct_tensor *[]){it}, 1,
                        &a);
    if (!out) {
        ct_release(it);
        return NULL;
    }
    if (indices) *indices = ct_autorelease(it);
    else ct_release(it);
    return ct_autorelease(out);
}
