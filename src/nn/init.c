/* torch.nn.init in C, following PyTorch 1.13's init.py step by step (same
 * formulas in double, same draws in the same order), so that with the same
 * seed the same values come out. Everything runs under no_grad. */
#include "ctorch/ctorch.h"
#include "ctorch/module.h"
#include "internal.h"

#include <math.h>
#include <strings.h>

/* ------------------------------------------------------------ helpers */

static int fan_in_out(const char *op, const ct_tensor *t, int64_t *fan_in, int64_t *fan_out) {
    if (t->ndim < 2) {
        ct_set_error(CT_ERR_VALUE,
                     "%s: Fan in and fan out can not be computed for tensor with fewer than 2 "
                     "dimensions",
                     op);
        return -1;
    }
    int64_t rf = 1;
    for (int d = 2; d < t->ndim; d++) rf *= t->sizes[d];
    *fan_in = t->sizes[1] * rf;
    *fan_out = t->sizes[0] * rf;
    return 0;
}

int ct_init_calculate_fan_in_and_fan_out(const ct_tensor *t, int64_t *fan_in, int64_t *fan_out) {
    return fan_in_out("calculate_fan_in_and_fan_out", t, fan_in, fan_out);
}

int ct_init_calculate_gain(const char *nl, const double *param, double *gain) {
    static const char *const linear_fns[] = {"linear",           "conv1d",           "conv2d",
                                             "conv3d",           "conv_transpose1d", "conv_transpose2d",
                                             "conv_transpose3d", "sigmoid"};
    if (!nl) nl = "leaky_relu";
    for (size_t i = 0; i < sizeof linear_fns / sizeof *linear_fns; i++)
        if (!strcmp(nl, linear_fns[i])) return *gain = 1.0, 0;
    if (!strcmp(nl, "tanh")) return *gain = 5.0 / 3, 0;
    if (!strcmp(nl, "relu")) return *gain = sqrt(2.0), 0;
    if (!strcmp(nl, "leaky_relu")) {
        double ns = param ? *param : 0.01;
        return *gain = sqrt(2.0 / (1 + pow(ns, 2))), 0;
    }
    if (!strcmp(nl, "selu")) return *gain = 3.0 / 4, 0;
    ct_set_error(CT_ERR_VALUE, "Unsupported nonlinearity %s", nl);
    return -1;
}

/* Runs one in-place fill under no_grad; returns t or NULL. */
#define NO_GRAD(expr)                                   \
    do {                                                \
        ct_grad_mode gm_ = ct_no_grad_begin();          \
        ct_tensor *r_ = (expr);                         \
        ct_grad_mode_end(gm_);                          \
        return r_ ? t : NULL;                           \
    } while (0)

static bool has_zero_dim(const ct_tensor *t) {
    for (int d = 0; d < t->ndim; d++)
        if (t->sizes[d] == 0) return true;
    return false;
}

/* ------------------------------------------------------------ simple fills */

ct_tensor *ct_init_uniform_(ct_tensor *t, double a, double b, ct_generator *g) {
    NO_GRAD(ct_uniform_(t, a, b, g));
}

ct_tensor *ct_init_normal_(ct_tensor *t, double mean, double std, ct_generator *g) {
    NO_GRAD(ct_normal_(t, mean, std, g));
}

ct_tensor *ct_init_constant_(ct_tensor *t, double val) { NO_GRAD(ct_fill_(t, val)); }
ct_tensor *ct_init_ones_(ct_tensor *t) { NO_GRAD(ct_fill_(t, 1.0)); }
ct_tensor *ct_init_zeros_(ct_tensor *t) { NO_GRAD(ct_zero_(t)); }

ct_tensor *ct_init_eye_(ct_tensor *t) {
    if (t->ndim != 2)
        return CT_FAIL(CT_ERR_VALUE, "eye_: Only tensors with 2 dimensions are supported (got %s)",
                       ct__shp(t));
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *e = ct_eye(t->sizes[0], t->sizes[1], t->dtype);
    ct_tensor *r = e ? ct_copy_(t, e) : NULL;
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    return r ? t : NULL;
}

ct_tensor *ct_init_dirac_(ct_tensor *t, int64_t groups) {
    int nd = t->ndim;
    if (nd < 3 || nd > 5)
        return CT_FAIL(CT_ERR_VALUE,
                       "dirac_: Only tensors with 3, 4, or 5 dimensions are supported (got %s)",
                       ct__shp(t));
    if (groups <= 0 || t->sizes[0] % groups != 0)
        return CT_FAIL(CT_ERR_VALUE, "dirac_: dim 0 must be divisible by groups (got %s, groups=%lld)",
                       ct__shp(t), (long long)groups);
    int64_t per = t->sizes[0] / groups;
    int64_t min_dim = per < t->sizes[1] ? per : t->sizes[1];
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    bool ok = ct_zero_(t) != NULL;
    for (int64_t gi = 0; ok && gi < groups; gi++)
        for (int64_t d = 0; ok && d < min_dim; d++) {
            ct_tensor *v = ct_select(t, 0, gi * per + d);
            v = v ? ct_select(v, 0, d) : NULL;
            for (int k = 2; v && k < nd; k++) v = ct_select(v, 0, t->sizes[k] / 2);
            ok = v && ct_fill_(v, 1.0);
        }
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    return ok ? t : NULL;
}

/* ------------------------------------------------------------ xavier, kaiming */

ct_tensor *ct_init_xavier_uniform_(ct_tensor *t, double gain, ct_generator *g) {
    int64_t fi, fo;
    if (fan_in_out("xavier_uniform_", t, &fi, &fo) < 0) return NULL;
    double std = gain * sqrt(2.0 / (double)(fi + fo));
    double a = sqrt(3.0) * std;
    NO_GRAD(ct_uniform_(t, -a, a, g));
}

ct_tensor *ct_init_xavier_normal_(ct_tensor *t, double gain, ct_generator *g) {
    int64_t fi, fo;
    if (fan_in_out("xavier_normal_", t, &fi, &fo) < 0) return NULL;
    double std = gain * sqrt(2.0 / (double)(fi + fo));
    NO_GRAD(ct_normal_(t, 0.0, std, g));
}

/* The std of kaiming_*: gain / sqrt(fan); -1 with an error. */
static int kaiming_std(const char *op, const ct_tensor *t, double a, const char *mode,
                       const char *nl, double *std) {
    if (!mode) mode = "fan_in";
    bool in = !strcasecmp(mode, "fan_in");
    if (!in && strcasecmp(mode, "fan_out")) {
        ct_set_error(CT_ERR_VALUE, "%s: Mode %s not supported, please use one of ['fan_in', 'fan_out']",
                     op, mode);
        return -1;
    }
    int64_t fi, fo;
    double gain;
    if (fan_in_out(op, t, &fi, &fo) < 0 || ct_init_calculate_gain(nl, &a, &gain) < 0) return -1;
    *std = gain / sqrt((double)(in ? fi : fo));
    return 0;
}

ct_tensor *ct_init_kaiming_uniform_(ct_tensor *t, double a, const char *mode, const char *nl,
                                    ct_generator *g) {
    if (has_zero_dim(t)) return t; /* PyTorch: "Initializing zero-element tensors is a no-op" */
    double std;
    if (kaiming_std("kaiming_uniform_", t, a, mode, nl, &std) < 0) return NULL;
    double bound = sqrt(3.0) * std;
    NO_GRAD(ct_uniform_(t, -bound, bound, g));
}

ct_tensor *ct_init_kaiming_normal_(ct_tensor *t, double a, const char *mode, const char *nl,
                                   ct_generator *g) {
    if (has_zero_dim(t)) return t;
    double std;
    if (kaiming_std("kaiming_normal_", t, a, mode, nl, &std) < 0) return NULL;
    NO_GRAD(ct_normal_(t, 0.0, std, g));
}

/* ------------------------------------------------------------ trunc_normal_ */

/* PyTorch's calc_erfinv (ATen/native/Math.h): a rational first guess and
 * two Newton steps, in the element type (float math for float32). */
#define ERFINV_BODY(T, ERF, EXP, LOG, SQRT, COPYSIGN, FABS)                                 \
    {                                                                                       \
        const T a[4] = {(T)0.886226899, (T)-1.645349621, (T)0.914624893, (T)-0.140543331};  \
        const T b[4] = {(T)-2.118377725, (T)1.442710462, (T)-0.329097515, (T)0.012229801};  \
        const T c[4] = {(T)-1.970840454, (T)-1.624906493, (T)3.429567803, (T)1.641345311};  \
        const T d[2] = {(T)3.543889200, (T)1.637067800};                                    \
        T ya = FABS(y), x, z, num, dem;                                                     \
        if (ya > (T)1.0) return (T)NAN;                                                     \
        if (ya == (T)1.0) return COPYSIGN((T)INFINITY, y);                                  \
        if (ya <= (T)0.7) {                                                                 \
            z = y * y;                                                                      \
            num = (((a[3] * z + a[2]) * z + a[1]) * z + a[0]);                              \
            dem = ((((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + (T)1.0);               \
            x = y * num / dem;                                                              \
        } else {                                                                            \
            z = SQRT(-LOG(((T)1.0 - ya) / (T)2.0));                                         \
            num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0];                                \
            dem = (d[1] * z + d[0]) * z + (T)1.0;                                           \
            x = COPYSIGN(num, y) / dem;                                                     \
        }                                                                                   \
        const T k = (T)2.0 / (T)sqrt(3.14159265358979323846);                               \
        x = x - (ERF(x) - y) / (k * EXP(-x * x));                                           \
        x = x - (ERF(x) - y) / (k * EXP(-x * x));                                           \
        return x;                                                                           \
    }
static float erfinv_f(float y) ERFINV_BODY(float, erff, expf, logf, sqrtf, copysignf, fabsf)
static double erfinv_d(double y) ERFINV_BODY(double, erf, exp, log, sqrt, copysign, fabs)

/* t = erfinv(t) elementwise, t floating. Returns 0 or -1. */
static int erfinv_inplace(ct_tensor *t) {
    ct_scope sc = ct_scope_begin();
    int rc = -1;
    ct_dtype work = t->dtype == CT_FLOAT64 ? CT_FLOAT64 : CT_FLOAT32;
    ct_tensor *c = ct_to_dtype(t, work, true); /* a private copy */
    if (c) c = ct_contiguous(c);
    if (!c) goto done;
    if (work == CT_FLOAT64) {
        double *p = ct_data_ptr(c);
        for (int64_t i = 0; i < c->numel; i++) p[i] = erfinv_d(p[i]);
    } else {
        float *p = ct_data_ptr(c);
        for (int64_t i = 0; i < c->numel; i++) p[i] = erfinv_f(p[i]);
    }
    rc = ct_copy_(t, c) ? 0 : -1;
done:
    ct_scope_end(sc);
    return rc;
}

ct_tensor *ct_init_trunc_normal_(ct_tensor *t, double mean, double std, double a, double b,
                                 ct_generator *g) {
    if (!ct_dtype_is_floating(t->dtype))
        return CT_FAIL(CT_ERR_NOT_IMPL, "trunc_normal_: \"erfinv_vml_cpu\" not implemented for '%s'",
                       ct_dtype_name(t->dtype));
    double l = (1. + erf((a - mean) / std / sqrt(2.))) / 2.;
    double u = (1. + erf((b - mean) / std / sqrt(2.))) / 2.;
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    if (!ct__on_cpu(t)) {
        /* on a GPU: Philox uniform draws, then one kernel for erfinv, the
         * affine map and the clamp (in a float32/float64 contiguous work
         * tensor when t is another dtype or strided) */
        ct_dtype work = t->dtype == CT_FLOAT64 ? CT_FLOAT64 : CT_FLOAT32;
        bool direct = t->dtype == work && ct_is_contiguous(t);
        ct_tensor *w = direct ? t : ct_empty_device(t->sizes, t->ndim, work, t->storage->device);
        bool ok = w && ct_uniform_(w, 2 * l - 1, 2 * u - 1, g) &&
                  ct__cuda->trunc_normal(w, mean, std, a, b) == 0 && (direct || ct_copy_(t, w));
        if (ok && direct) ct_bump_version(t);
        ct_scope_end(sc);
        ct_grad_mode_end(gm);
        return ok ? t : NULL;
    }
    bool ok = ct_uniform_(t, 2 * l - 1, 2 * u - 1, g) && erfinv_inplace(t) == 0 &&
              ct_mul_(t, ct_wrapped_float(std * sqrt(2.))) && ct_add_(t, ct_wrapped_float(mean)) &&
              ct_clamp_(t, &a, &b);
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    return ok ? t : NULL;
}

/* ------------------------------------------------------------ orthogonal_ */

ct_tensor *ct_init_orthogonal_(ct_tensor *t, double gain, ct_generator *g) {
    if (t->ndim < 2)
        return CT_FAIL(CT_ERR_VALUE,
                       "orthogonal_: Only tensors with 2 or more dimensions are supported (got %s)",
                       ct__shp(t));
    if (t->numel == 0) return t;
    int64_t rows = t->sizes[0], cols = t->numel / rows;
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    bool ok = false;
    ct_tensor *flat = ct_empty((int64_t[]){rows, cols}, 2, t->dtype), *q = NULL, *r = NULL;
    if (!flat || !ct_normal_(flat, 0, 1, g)) goto done;
    if (rows < cols) flat = ct_t(flat);
    if (!flat || ct_linalg_qr(flat, "reduced", &q, &r) < 0) goto done;
    ct_tensor *ph = ct_sign(ct_diagonal(r, 0, 0, 1));
    if (!ph || !(q = ct_mul(q, ph))) goto done;
    if (rows < cols && !(q = ct_t(q))) goto done;
    ct_tensor *qv = ct_reshape(q, t->sizes, t->ndim);
    ok = qv && ct_copy_(t, qv) && ct_mul_(t, ct_wrapped_float(gain));
done:
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    return ok ? t : NULL;
}
