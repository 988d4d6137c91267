/* Resampling: nearest (1-, 2-, 3-d) and bilinear (2-d) upsampling and their
 * gradients, each an op of its own: the four kinds are linear, so each
 * one's derivative is its partner (src/autograd/derivatives_nn_extra.c).
 *
 * The source positions follow PyTorch's CPU kernels (UpSample.h): nearest
 * maps o to min(floor(o * s), in - 1) with s = 1/scale or in/out in float
 * (and o itself when out == in, o >> 1 when out == 2 in); bilinear computes
 * its indices and weights in the input's precision. One kernel serves every
 * rank: 1-d and 2-d inputs are 3-d ones with leading spatial sizes of 1.
 * On a GPU the same tables (built here) drive src/cuda/pool.cu's kernels. */
#include "nn/pool_internal.h"

#include <math.h>
#include <stdio.h>

#include "ctorch/nn_extra.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static const char *const op_names[2][3] = {
    {"upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d"},
    {"upsample_nearest1d_backward", "upsample_nearest2d_backward", "upsample_nearest3d_backward"}};
static const int op_ids[2][3] = {
    {CT_OP_upsample_nearest1d, CT_OP_upsample_nearest2d, CT_OP_upsample_nearest3d},
    {CT_OP_upsample_nearest1d_backward, CT_OP_upsample_nearest2d_backward,
     CT_OP_upsample_nearest3d_backward}};

/* "(H: 4, W: 5)" for k spatial sizes. */
static void spatial_str(char *buf, size_t len, int k, const int64_t *s) {
    static const char *const names[3][3] = {{"W"}, {"H", "W"}, {"D", "H", "W"}};
    size_t n = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < k && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s: %lld", i ? ", " : "", names[k - 1][i],
                              (long long)s[i]);
    if (n < len) snprintf(buf + n, len - n, ")");
}

/* PyTorch's upsample_{1,2,3}d_common_check and the non-empty check of the
 * meta functions. in: the input's k + 2 sizes, out: k output sizes. */
static int check_geometry(const char *op, int k, int ndim, const int64_t *in, const int64_t *out) {
    if (ndim != k + 2) {
        ct_set_error(CT_ERR_RUNTIME, "%s: It is expected input_size equals to %d, but got size %d",
                     op, k + 2, ndim);
        return -1;
    }
    bool ok = true;
    for (int i = 0; i < k; i++) ok = ok && in[i + 2] > 0 && out[i] > 0;
    if (!ok) {
        char a[96], b[96];
        spatial_str(a, sizeof a, k, in + 2);
        spatial_str(b, sizeof b, k, out);
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: Input and output sizes should be greater than 0, but got input %s output %s",
                     op, a, b);
        return -1;
    }
    if (in[1] == 0) {
        char s[96];
        ct_shape_str(in, ndim, s, sizeof s);
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: Non-empty %dD data tensor expected but got a tensor with sizes %s", op, k + 2,
                     s);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- tables */
static int64_t nearest_src(int64_t o, int64_t in, int64_t out, double scale) {
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    float s = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
    int64_t src = (int64_t)floorf((float)o * s);
    return src < in - 1 ? src : in - 1;
}

/* Source index of every output position of each of the 3 (padded) dims, in
 * one allocation: tab[d] has out[d] entries. */
static int64_t *nearest_tables(const int64_t in[3], const int64_t out[3], const double sc[3],
                               int64_t *tab[3]) {
    int64_t *buf = malloc((size_t)(out[0] + out[1] + out[2]) * sizeof(int64_t));
    if (!buf) {
        ct_set_error(CT_ERR_MEMORY, "upsample_nearest: out of memory");
        return NULL;
    }
    int64_t *p = buf;
    for (int d = 0; d < 3; d++) {
        tab[d] = p;
        for (int64_t o = 0; o < out[d]; o++) p[o] = nearest_src(o, in[d], out[d], sc[d]);
        p += out[d];
    }
    return buf;
}

/* ---------------------------------------------------------------- nearest kernels
 * planes of ID x IH x IW (contiguous) <-> planes of OD x OH x OW. */
#define NEAREST_FWD(NAME, T)                                                                      \
    static void NAME(const T *x, T *y, int64_t np, const int64_t *in, const int64_t *out,         \
                     int64_t *const *tab) {                                                       \
        const int64_t IH = in[1], IW = in[2], OD = out[0], OH = out[1], OW = out[2];              \
        const int64_t ip = in[0] * IH * IW, op = OD * OH * OW;                                    \
        const int64_t *td = tab[0], *th = tab[1], *tw = tab[2];                                   \
        _Pragma("omp parallel for schedule(static) if (np * op >= CT_GRAIN)")                     \
        for (int64_t p = 0; p < np; p++) {                                                        \
            const T *xp = x + p * ip;                                                             \
            T *yp = y + p * op;                                                                   \
            for (int64_t od = 0; od < OD; od++)                                                   \
                for (int64_t oh = 0; oh < OH; oh++) {                                             \
                    const T *row = xp + (td[od] * IH + th[oh]) * IW;                              \
                    T *yr = yp + (od * OH + oh) * OW;                                             \
                    for (int64_t ow = 0; ow < OW; ow++) yr[ow] = row[tw[ow]];                     \
                }                                                                                 \
        }                                                                                         \
    }
NEAREST_FWD(nearest_fwd_u8, uint8_t)
NEAREST_FWD(nearest_fwd_f32, float)
NEAREST_FWD(nearest_fwd_f64, double)

/* dx (zeroed here) += g at every output's source. */
#define NEAREST_BWD(NAME, T)                                                                      \
    static void NAME(const T *g, T *dx, int64_t np, const int64_t *in, const int64_t *out,        \
                     int64_t *const *tab) {                                                       \
        const int64_t IH = in[1], IW = in[2], OD = out[0], OH = out[1], OW = out[2];              \
        const int64_t ip = in[0] * IH * IW, op = OD * OH * OW;                                    \
        const int64_t *td = tab[0], *th = tab[1], *tw = tab[2];                                   \
        _Pragma("omp parallel for schedule(static) if (np * op >= CT_GRAIN)")                     \
        for (int64_t p = 0; p < np; p++) {                                                        \
            const T *gp = g + p * op;                                                             \
            T *dp = dx + p * ip;                                                                  \
            for (int64_t i = 0; i < ip; i++) dp[i] = 0;                                           \
            for (int64_t od = 0; od < OD; od++)                                                   \
                for (int64_t oh = 0; oh < OH; oh++) {                                             \
                    T *row = dp + (td[od] * IH + th[oh]) * IW;                                    \
                    const T *gr = gp + (od * OH + oh) * OW;                                       \
                    for (int64_t ow = 0; ow < OW; ow++) row[tw[ow]] += gr[ow];                    \
                }                                                                                 \
        }                                                                                         \
    }
NEAREST_BWD(nearest_bwd_f32, float)
NEAREST_BWD(nearest_bwd_f64, double)

/* The nearest kernels over np planes of src into dst, on src's device. */
static int nearest_run(int kind, const ct_tensor *src, ct_tensor *dst, int64_t np, const int64_t *in,
                       const int64_t *out, int64_t *const *tab) {
    if (!ct__on_cpu(src)) {
        ct_window_op w = ct__window_op(kind, src->dtype, np, 3, in, out);
        for (int d = 0; d < 3; d++) w.i0[d] = tab[d];
        return ct__cuda->window(&w, src, dst, NULL);
    }
    const void *sp = ct_data_ptr(src);
    void *dp = ct_data_ptr(dst);
    if (kind == CT_WIN_NEAREST_BWD) {
        if (src->dtype == CT_FLOAT32) nearest_bwd_f32(sp, dp, np, in, out, tab);
        else nearest_bwd_f64(sp, dp, np, in, out, tab);
    } else if (src->dtype == CT_UINT8) {
        nearest_fwd_u8(sp, dp, np, in, out, tab);
    } else if (src->dtype == CT_FLOAT32) {
        nearest_fwd_f32(sp, dp, np, in, out, tab);
    } else {
        nearest_fwd_f64(sp, dp, np, in, out, tab);
    }
    return 0;
}

/* Pads k spatial sizes (after the leading N, C) to 3 with leading 1s. */
static void pad3(int k, const int64_t *s, int64_t out[3]) {
    for (int d = 0; d < 3; d++) out[d] = d < 3 - k ? 1 : s[d - (3 - k)];
}
static void pad3f(int k, const double *s, double out[3]) {
    for (int d = 0; d < 3; d++) out[d] = d < 3 - k || !s ? 0 : s[d - (3 - k)];
}

static ct_tensor *nearest_forward(int k, const ct_tensor *x, const int64_t *output_size,
                                  const double *scales) {
    const char *op = op_names[0][k - 1];
    if (!x || !output_size) return CT_FAIL(CT_ERR_VALUE, "%s: input and output_size are required", op);
    if (check_geometry(op, k, x->ndim, x->sizes, output_size) < 0) return NULL;
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64 && x->dtype != CT_UINT8)
        return CT_FAIL(CT_ERR_RUNTIME, "\"compute_indices_weights_nearest\" not implemented for '%s'",
                       type_name(x->dtype));
    int64_t sizes[5] = {x->sizes[0], x->sizes[1]}, in[3], out[3], *tab[3];
    double sc[3];
    for (int i = 0; i < k; i++) sizes[i + 2] = output_size[i];
    pad3(k, x->sizes + 2, in);
    pad3(k, output_size, out);
    pad3f(k, scales, sc);
    ct_tensor *y = ct__empty_on(sizes, k + 2, x->dtype, x->storage->device);
    ct_tensor *xc = y ? ct__contiguous(x) : NULL;
    int64_t *buf = xc ? nearest_tables(in, out, sc, tab) : NULL;
    if (!buf) {
        ct_release(y);
        ct_release(xc);
        return NULL;
    }
    int64_t np = x->sizes[0] * x->sizes[1];
    int rc = nearest_run(CT_WIN_NEAREST, xc, y, np, in, out, tab);
    free(buf);
    ct_release(xc);
    if (rc < 0) {
        ct_release(y);
        return NULL;
    }
    ct_op_args a = {.ndims = k};
    for (int i = 0; i < k; i++) a.dims[i] = output_size[i], a.f[i] = sc[3 - k + i];
    y = ct__nn_record(op_ids[0][k - 1], y, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return y ? ct_autorelease(y) : NULL;
}

/* grad_out [N, C, *out] must match input_size in N and C. */
static int check_grad(const char *op, int k, const ct_tensor *g, const int64_t *input_size) {
    if (!g || !input_size) {
        ct_set_error(CT_ERR_VALUE, "%s: grad_output and input_size are required", op);
        return -1;
    }
    if (g->ndim != k + 2 || g->sizes[0] != input_size[0] || g->sizes[1] != input_size[1]) {
        char s[96];
        ct_shape_str(input_size, k + 2, s, sizeof s);
        ct_set_error(CT_ERR_RUNTIME, "%s: expected grad_output of %dD with the batch and channel sizes of the input %s, but got %s",
                     op, k + 2, s, ct__shp(g));
        return -1;
    }
    if (check_geometry(op, k, k + 2, input_size, g->sizes + 2) < 0) return -1;
    if (g->dtype != CT_FLOAT32 && g->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, type_name(g->dtype));
        return -1;
    }
    return 0;
}

static ct_tensor *nearest_backward(int k, const ct_tensor *g, const int64_t *input_size,
                                   const double *scales) {
    const char *op = op_names[1][k - 1];
    if (check_grad(op, k, g, input_size) < 0) return NULL;
    int64_t in[3], out[3], *tab[3];
    double sc[3];
    pad3(k, input_size + 2, in);
    pad3(k, g->sizes + 2, out);
    pad3f(k, scales, sc);
    ct_tensor *dx = ct__empty_on(input_size, k + 2, g->dtype, g->storage->device);
    ct_tensor *gc = dx ? ct__contiguous(g) : NULL;
    int64_t *buf = gc ? nearest_tables(in, out, sc, tab) : NULL;
    if (!buf) {
        ct_release(dx);
        ct_release(gc);
        return NULL;
    }
    int64_t np = input_size[0] * input_size[1];
    int rc = nearest_run(CT_WIN_NEAREST_BWD, gc, dx, np, in, out, tab);
    free(buf);
    ct_release(gc);
    if (rc < 0) {
        ct_release(dx);
        return NULL;
    }
    ct_op_args a = {.ndims = k + 2};
    for (int i = 0; i < k + 2; i++) a.dims[i] = input_size[i];
    for (int i = 0; i < k; i++) a.f[i] = sc[3 - k + i];
    dx = ct__nn_record(op_ids[1][k - 1], dx, (const ct_tensor *[]){g}, 1, NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}

ct_tensor *ct_upsample_nearest1d(const ct_tensor *x, const int64_t output_size[1],
                                 const double scales[1]) {
    return nearest_forward(1, x, output_size, scales);
}
ct_tensor *ct_upsample_nearest2d(const ct_tensor *x, const int64_t output_size[2],
                                 const double scales[2]) {
    return nearest_forward(2, x, output_size, scales);
}
ct_tensor *ct_upsample_nearest3d(const ct_tensor *x, const int64_t output_size[3],
                                 const double scales[3]) {
    return nearest_forward(3, x, output_size, scales);
}
ct_tensor *ct_upsample_nearest1d_backward(const ct_tensor *grad_out, const int64_t input_size[3],
                                          const double scales[1]) {
    return nearest_backward(1, grad_out, input_size, scales);
}
ct_tensor *ct_upsample_nearest2d_backward(const ct_tensor *grad_out, const int64_t input_size[4],
                                          const double scales[2]) {
    return nearest_backward(2, grad_out, input_size, scales);
}
ct_tensor *ct_upsample_nearest3d_backward(const ct_tensor *grad_out, const int64_t input_size[5],
                                          const double scales[3]) {
    return nearest_backward(3, grad_out, input_size, scales);
}

/* ---------------------------------------------------------------- bilinear
 * Per output position o of one dim: sources i0[o], i1[o] (= i0 or i0 + 1)
 * and weights l0[o], l1[o] (PyTorch's compute_indices_weights_linear): the
 * scale in T, the source position in double, the weights rounded to T,
 * which reproduces PyTorch 1.13's float32 weights bit for bit. */
#define LINEAR_TABLE(NAME, T)                                                                     \
    static void NAME(int64_t in, int64_t out, bool align, double scale, int64_t *i0, int64_t *i1,  \
                     T *l0, T *l1) {                                                              \
        T s;                                                                                      \
        if (align) s = out > 1 ? (T)(in - 1) / (T)(out - 1) : (T)0;                               \
        else s = scale > 0 ? (T)(1.0 / scale) : (T)in / (T)out;                                   \
        for (int64_t o = 0; o < out; o++) {                                                       \
            double real = align ? (double)s * (double)o : (double)s * ((double)o + 0.5) - 0.5;    \
            if (real < 0) real = 0;                                                               \
            int64_t a = (int64_t)real;                                                            \
            double lam = real - (double)a;                                                       \
            lam = lam < 0 ? 0 : (lam > 1 ? 1 : lam);                                              \
            i0[o] = a, i1[o] = a + (a < in - 1 ? 1 : 0);                                          \
            l1[o] = (T)lam, l0[o] = (T)1 - l1[o];                                                 \
        }                                                                                         \
    }

#define BILINEAR_FWD(NAME, T)                                                                     \
    static void NAME(const T *x, T *y, int64_t np, int64_t IH, int64_t IW, int64_t OH, int64_t OW, \
                     const int64_t *h0, const int64_t *h1, const T *a0, const T *a1,              \
                     const int64_t *w0, const int64_t *w1, const T *b0, const T *b1) {            \
        const int64_t ip = IH * IW, op = OH * OW;                                                 \
        _Pragma("omp parallel for schedule(static) if (np * op >= CT_GRAIN)")                     \
        for (int64_t p = 0; p < np; p++) {                                                        \
            const T *xp = x + p * ip;                                                             \
            T *yp = y + p * op;                                                                   \
            for (int64_t oh = 0; oh < OH; oh++) {                                                 \
                const T *r0 = xp + h0[oh] * IW, *r1 = xp + h1[oh] * IW;                           \
                const T c0 = a0[oh], c1 = a1[oh];                                                 \
                T *yr = yp + oh * OW;                                                             \
                for (int64_t ow = 0; ow < OW; ow++) {                                             \
                    T t0 = r0[w0[ow]] * b0[ow] + r0[w1[ow]] * b1[ow];                             \
                    T t1 = r1[w0[ow]] * b0[ow] + r1[w1[ow]] * b1[ow];                             \
                    yr[ow] = t0 * c0 + t1 * c1;                                                   \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

#define BILINEAR_BWD(NAME, T)                                                                     \
    static void NAME(const T *g, T *dx, int64_t np, int64_t IH, int64_t IW, int64_t OH, int64_t OW, \
                     const int64_t *h0, const int64_t *h1, const T *a0, const T *a1,              \
                     const int64_t *w0, const int64_t *w1, const T *b0, const T *b1) {            \
        const int64_t ip = IH * IW, op = OH * OW;                                                 \
        _Pragma("omp parallel for schedule(static) if (np * op >= CT_GRAIN)")                     \
        for (int64_t p = 0; p < np; p++) {                                                        \
            const T *gp = g + p * op;                                                             \
            T *dp = dx + p * ip;                                                                  \
            for (int64_t i = 0; i < ip; i++) dp[i] = 0;                                           \
            for (int64_t oh = 0; oh < OH; oh++) {                                                 \
                T *r0 = dp + h0[oh] * IW, *r1 = dp + h1[oh] * IW;                                 \
                const T c0 = a0[oh], c1 = a1[oh];                                                 \
                const T *gr = gp + oh * OW;                                                       \
                for (int64_t ow = 0; ow < OW; ow++) {                                             \
                    T v = gr[ow];                                                                 \
                    r0[w0[ow]] += c0 * b0[ow] * v;                                                \
                    r0[w1[ow]] += c0 * b1[ow] * v;                                                \
                    r1[w0[ow]] += c1 * b0[ow] * v;                                                \
                    r1[w1[ow]] += c1 * b1[ow] * v;                                                \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

/* Builds the tables of both dims and runs the forward (dir 0) or backward
 * (dir 1) kernel over np planes of src into dst. */
#define BILINEAR_RUN(NAME, T)                                                                     \
    LINEAR_TABLE(NAME##_table, T)                                                                 \
    BILINEAR_FWD(NAME##_fwd, T)                                                                   \
    BILINEAR_BWD(NAME##_bwd, T)                                                                   \
    static int NAME(int dir, const ct_tensor *src, ct_tensor *dst, int64_t np, int64_t IH,         \
                    int64_t IW, int64_t OH, int64_t OW, bool align, const double *sc) {           \
        size_t n = (size_t)(OH + OW);                                                             \
        int64_t *idx = malloc(2 * n * sizeof(int64_t));                                           \
        T *lam = malloc(2 * n * sizeof(T));                                                       \
        if (!idx || !lam) {                                                                       \
            free(idx);                                                                            \
            free(lam);                                                                            \
            ct_set_error(CT_ERR_MEMORY, "upsample_bilinear2d: out of memory");                    \
            return -1;                                                                            \
        }                                                                                         \
        int64_t *h0 = idx, *h1 = idx + OH, *w0 = idx + 2 * OH, *w1 = w0 + OW;                     \
        T *a0 = lam, *a1 = lam + OH, *b0 = lam + 2 * OH, *b1 = b0 + OW;                           \
        NAME##_table(IH, OH, align, sc ? sc[0] : 0, h0, h1, a0, a1);                              \
        NAME##_table(IW, OW, align, sc ? sc[1] : 0, w0, w1, b0, b1);                              \
        int rc = 0;                                                                               \
        if (!ct__on_cpu(src)) {                                                                   \
            static const int64_t zero = 0;                                                        \
            ct_window_op w = ct__window_op(dir ? CT_WIN_LINEAR_BWD : CT_WIN_LINEAR, src->dtype,   \
                                           np, 2, (int64_t[]){IH, IW}, (int64_t[]){OH, OW});      \
            w.i0[0] = w.i1[0] = &zero;                                                            \
            w.i0[1] = h0, w.i1[1] = h1, w.l0[1] = a0, w.l1[1] = a1;                               \
            w.i0[2] = w0, w.i1[2] = w1, w.l0[2] = b0, w.l1[2] = b1;                               \
            rc = ct__cuda->window(&w, src, dst, NULL);                                            \
        } else if (dir == 0) {                                                                    \
            NAME##_fwd(ct_data_ptr(src), ct_data_ptr(dst), np, IH, IW, OH, OW, h0, h1, a0, a1,    \
                       w0, w1, b0, b1);                                                           \
        } else {                                                                                  \
            NAME##_bwd(ct_data_ptr(src), ct_data_ptr(dst), np, IH, IW, OH, OW, h0, h1, a0, a1,    \
                       w0, w1, b0, b1);                                                           \
        }                                                                                         \
        free(idx);                                                                                \
        free(lam);                                                                                \
        return rc;                                                                                \
    }
BILINEAR_RUN(bilinear_f32, float)
BILINEAR_RUN(bilinear_f64, double)

static int bilinear_run(ct_dtype dt, int dir, const ct_tensor *src, ct_tensor *dst, int64_t np,
                        int64_t IH, int64_t IW, int64_t OH, int64_t OW, bool align,
                        const double *sc) {
    return dt == CT_FLOAT32 ? bilinear_f32(dir, src, dst, np, IH, IW, OH, OW, align, sc)
                            : bilinear_f64(dir, src, dst, np, IH, IW, OH, OW, align, sc);
}

ct_tensor *ct_upsample_bilinear2d(const ct_tensor *x, const int64_t output_size[2],
                                  bool align_corners, const double scales[2]) {
    const char *op = "upsample_bilinear2d";
    if (!x || !output_size) return CT_FAIL(CT_ERR_VALUE, "%s: input and output_size are required", op);
    if (check_geometry(op, 2, x->ndim, x->sizes, output_size) < 0) return NULL;
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME, "\"compute_indices_weights_linear\" not implemented for '%s'",
                       type_name(x->dtype));
    const int64_t sizes[4] = {x->sizes[0], x->sizes[1], output_size[0], output_size[1]};
    ct_tensor *y = ct__empty_on(sizes, 4, x->dtype, x->storage->device);
    ct_tensor *xc = y ? ct__contiguous(x) : NULL;
    int rc = xc ? bilinear_run(x->dtype, 0, xc, y, sizes[0] * sizes[1],
                               x->sizes[2], x->sizes[3], sizes[2], sizes[3], align_corners, scales)
                : -1;
    ct_release(xc);
    if (rc < 0) {
        ct_release(y);
        return NULL;
    }
    ct_op_args a = {.dims = {output_size[0], output_size[1]}, .ndims = 2, .b = {align_corners}};
    a.f[0] = scales ? scales[0] : 0, a.f[1] = scales ? scales[1] : 0;
    y = ct__nn_record(CT_OP_upsample_bilinear2d, y, (const ct_tensor *[]){x}, 1, NULL, 0, &a);
    return y ? ct_autorelease(y) : NULL;
}

ct_tensor *ct_upsample_bilinear2d_backward(const ct_tensor *grad_out, const int64_t input_size[4],
                                           bool align_corners, const double scales[2]) {
    const char *op = "upsample_bilinear2d_backward";
    if (check_grad(op, 2, grad_out, input_size) < 0) return NULL;
    ct_tensor *dx = ct__empty_on(input_size, 4, grad_out->dtype, grad_out->storage->device);
    ct_tensor *gc = dx ? ct__contiguous(grad_out) : NULL;
    int rc = gc ? bilinear_run(grad_out->dtype, 1, gc, dx,
                               input_size[0] * input_size[1], input_size[2], input_size[3],
                               grad_out->sizes[2], grad_out->sizes[3], align_corners, scales)
                : -1;
    ct_release(gc);
    if (rc < 0) {
        ct_release(dx);
        return NULL;
    }
    ct_op_args a = {.dims = {input_size[0], input_size[1], input_size[2], input_size[3]},
                    .ndims = 4, .b = {align_corners}};
    a.f[0] = scales ? scales[0] : 0, a.f[1] = scales ? scales[1] : 0;
    dx = ct__nn_record(CT_OP_upsample_bilinear2d_backward, dx, (const ct_tensor *[]){grad_out}, 1,
                       NULL, 0, &a);
    return dx ? ct_autorelease(dx) : NULL;
}
