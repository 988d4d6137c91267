/* Creation ops: zeros, ones, full, *_like, arange, linspace, logspace, eye,
 * tensor from doubles, and the in-place fills fill_ / zero_. */
#include "ops/factory_internal.h"
#include "autograd/inplace.h"

#include <math.h>

static bool dtype_ok(const char *op, ct_dtype dt) {
    if ((unsigned)dt >= CT_NUM_DTYPES) {
        ct_set_error(CT_ERR_TYPE, "%s: invalid dtype %d", op, (int)dt);
        return false;
    }
    return true;
}

/* c10's checked_convert: a value that does not fit the element type is an
 * error (inf and nan are fine for floating types). Integer values (is_int)
 * may be negative for unsigned types and wrap, as in PyTorch. */
static bool value_fits_as(const char *op, ct_dtype dt, double v, bool is_int) {
    static const char *names[CT_NUM_DTYPES] = {"bool",  "uint8_t",  "int8_t",       "int16_t",
                                               "int",   "int64_t",  "at::Half",     "at::BFloat16",
                                               "float", "double"};
    double lo, hi;
    switch (dt) {
    case CT_BOOL: return true;
    case CT_UINT8: lo = is_int ? -255 : 0; hi = 255; break;
    case CT_INT8: lo = -128; hi = 127; break;
    case CT_INT16: lo = -32768; hi = 32767; break;
    case CT_INT32: lo = -2147483648.0; hi = 2147483647.0; break;
    case CT_INT64: lo = -9223372036854775808.0; hi = 9223372036854775807.0; break;
    case CT_FLOAT16: lo = -65504; hi = 65504; break;
    case CT_BFLOAT16: lo = -3.3895313892515355e38; hi = 3.3895313892515355e38; break;
    case CT_FLOAT32: lo = -3.4028234663852886e38; hi = 3.4028234663852886e38; break;
    default: return true;
    }
    bool ok = ct_dtype_is_floating(dt) ? (isinf(v) || isnan(v) || (v >= lo && v <= hi))
                                       : (v >= lo && (dt == CT_INT64 ? v < hi : v <= hi));
    if (!ok)
        ct_set_error(CT_ERR_RUNTIME, "%s: value cannot be converted to type %s without overflow",
                     op, names[dt]);
    return ok;
}

static bool value_fits(const char *op, ct_dtype dt, double v) {
    return value_fits_as(op, dt, v, false);
}
static bool int_fits(const char *op, ct_dtype dt, int64_t v) {
    return dt == CT_INT64 || value_fits_as(op, dt, (double)v, true);
}

/* CT_DTYPE_DEFAULT resolves to def. */
static ct_dtype pick(ct_dtype dt, ct_dtype def) { return dt == CT_DTYPE_DEFAULT ? def : dt; }

/* Owned, filled tensor of the given shape (errors name op). */
static ct_tensor *filled(const char *op, const int64_t *sizes, int ndim, ct_dtype dt,
                         uint64_t bits) {
    if (!dtype_ok(op, dt)) return NULL;
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "%s: %d dimensions requested, at most %d supported", op,
                       ndim, CT_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (sizes[i] < 0) {
            char b[160];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s: Trying to create tensor with negative dimension %lld: %s", op,
                           (long long)sizes[i], ct_shape_str(sizes, ndim, b, sizeof b));
        }
    ct_tensor *t = ct__empty(sizes, ndim, dt);
    if (t) ct__fill_pattern(t, bits);
    return t;
}

static uint64_t bits_f64(ct_dtype dt, double v) {
    uint64_t b = 0;
    if ((unsigned)dt < CT_NUM_DTYPES) ct__store_f64(&b, dt, v);
    return b;
}
static uint64_t bits_i64(ct_dtype dt, int64_t v) {
    uint64_t b = 0;
    if ((unsigned)dt < CT_NUM_DTYPES) ct__store_i64(&b, dt, v);
    return b;
}

ct_tensor *ct_zeros(const int64_t *sizes, int ndim, ct_dtype dt) {
    return ct_autorelease(filled("zeros", sizes, ndim, pick(dt, ct_default_dtype()), 0));
}

ct_tensor *ct_ones(const int64_t *sizes, int ndim, ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    return ct_autorelease(filled("ones", sizes, ndim, dt, bits_i64(dt, 1)));
}

ct_tensor *ct_full(const int64_t *sizes, int ndim, double value, ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("full", dt) || !value_fits("full", dt, value)) return NULL;
    return ct_autorelease(filled("full", sizes, ndim, dt, bits_f64(dt, value)));
}

ct_tensor *ct_full_int(const int64_t *sizes, int ndim, int64_t value, ct_dtype dt) {
    dt = pick(dt, CT_INT64);
    if (!dtype_ok("full", dt)) return NULL;
    if (!int_fits("full", dt, value)) return NULL;
    return ct_autorelease(filled("full", sizes, ndim, dt, bits_i64(dt, value)));
}

/* The *_like factories keep t's device, as PyTorch's do. */
/* They lay the result out as t (preserve_format): t's strides when t is
 * dense, else dense strides in t's dim order. */
static ct_tensor *filled_like(const char *op, const ct_tensor *t, ct_dtype dt, uint64_t bits,
                              double value) {
    if (!dtype_ok(op, dt)) return NULL;
    ct_tensor *r = ct__empty_like_layout(t, dt, t->storage->device);
    if (r && ct__on_cpu(r)) {
        ct__fill_pattern(r, bits);
        return r;
    }
    if (r && r->numel && ct__cuda->fill(r, value) < 0) {
        ct_release(r);
        return NULL;
    }
    return r;
}

ct_tensor *ct_zeros_like(const ct_tensor *t, ct_dtype dt) {
    return ct_autorelease(filled_like("zeros_like", t, pick(dt, t->dtype), 0, 0));
}

ct_tensor *ct_ones_like(const ct_tensor *t, ct_dtype dt) {
    dt = pick(dt, t->dtype);
    return ct_autorelease(filled_like("ones_like", t, dt, bits_i64(dt, 1), 1));
}

ct_tensor *ct_full_like(const ct_tensor *t, double value, ct_dtype dt) {
    dt = pick(dt, t->dtype);
    if (!dtype_ok("full_like", dt) || !value_fits("full_like", dt, value)) return NULL;
    return ct_autorelease(filled_like("full_like", t, dt, bits_f64(dt, value), value));
}

ct_tensor *ct_empty_like_dtype(const ct_tensor *t, ct_dtype dt) {
    dt = pick(dt, t->dtype);
    if (!dtype_ok("empty_like", dt)) return NULL;
    return ct_autorelease(ct__empty_like_layout(t, dt, t->storage->device));
}

/* ---------------------------------------------------------------- ranges */
static bool range_dtype_ok(const char *op, ct_dtype dt) {
    if (!dtype_ok(op, dt)) return false;
    if (dt == CT_BOOL) {
        ct_set_error(CT_ERR_RUNTIME, "\"%s_cpu\" not implemented for 'Bool'", op);
        return false;
    }
    return true;
}

/* PyTorch's arange checks, on the values in the accumulation type. */
static int64_t arange_len(double xstart, double xend, double xstep, double size_d) {
    if (!(xstep > 0 || xstep < 0)) {
        ct_set_error(CT_ERR_RUNTIME, "arange: step must be nonzero");
        return -1;
    }
    if (!isfinite(xstart) || !isfinite(xend)) {
        ct_set_error(CT_ERR_RUNTIME, "arange: unsupported range: %g -> %g", xstart, xend);
        return -1;
    }
    if (!((xstep > 0 && xend >= xstart) || (xstep < 0 && xend <= xstart))) {
        ct_set_error(CT_ERR_RUNTIME, "arange: upper bound and larger bound inconsistent with "
                                     "step sign");
        return -1;
    }
    if (!(size_d >= 0 && size_d <= 9.2233720368547758e18)) {
        ct_set_error(CT_ERR_RUNTIME, "arange: invalid size, possible overflow?");
        return -1;
    }
    return (int64_t)size_d;
}

static ct_tensor *arange_int_impl(int64_t start, int64_t end, int64_t step, ct_dtype dt) {
    if (step == 0) return CT_FAIL(CT_ERR_RUNTIME, "arange: step must be nonzero");
    double size_d = ceil((double)(end - start) / (double)step);
    int64_t n = arange_len((double)start, (double)end, (double)step, size_d);
    if (n < 0) return NULL;
    ct_tensor *t = ct__empty(&n, 1, dt);
    if (t) ct__fill_arange_i64(t, start, step);
    return t;
}

ct_tensor *ct_arange(double start, double end, double step, ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    if (!range_dtype_ok("arange", dt)) return NULL;
    if (!ct_dtype_is_floating(dt)) {
        /* integer element types accumulate in int64, as PyTorch does */
        if (!isfinite(start) || !isfinite(end))
            return CT_FAIL(CT_ERR_RUNTIME, "arange: unsupported range: %g -> %g", start, end);
        return ct_autorelease(
            arange_int_impl((int64_t)start, (int64_t)end, (int64_t)step, dt));
    }
    int64_t n = arange_len(start, end, step, ceil((end - start) / step));
    if (n < 0) return NULL;
    ct_tensor *t = ct__empty(&n, 1, dt);
    if (t) ct__fill_arange_f64(t, start, step);
    return ct_autorelease(t);
}

ct_tensor *ct_arange_int(int64_t start, int64_t end, int64_t step, ct_dtype dt) {
    dt = pick(dt, CT_INT64);
    if (!range_dtype_ok("arange", dt)) return NULL;
    if (ct_dtype_is_floating(dt))
        return ct_arange((double)start, (double)end, (double)step, dt);
    return ct_autorelease(arange_int_impl(start, end, step, dt));
}

static ct_tensor *spaced(const char *op, int64_t steps, ct_dtype dt) {
    if (!range_dtype_ok(op, dt)) return NULL;
    if (steps < 0) return CT_FAIL(CT_ERR_RUNTIME, "%s: number of steps must be non-negative", op);
    return ct__empty(&steps, 1, dt);
}

ct_tensor *ct_linspace(double start, double end, int64_t steps, ct_dtype dt) {
    ct_tensor *t = spaced("linspace", steps, pick(dt, ct_default_dtype()));
    if (t) ct__fill_linspace(t, start, end);
    return ct_autorelease(t);
}

ct_tensor *ct_logspace(double start, double end, int64_t steps, double base, ct_dtype dt) {
    ct_tensor *t = spaced("logspace", steps, pick(dt, ct_default_dtype()));
    if (t) ct__fill_logspace(t, start, end, base);
    return ct_autorelease(t);
}

ct_tensor *ct_eye(int64_t n, int64_t m, ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    if (n < 0) return CT_FAIL(CT_ERR_RUNTIME, "eye: n must be greater or equal to 0, got %lld",
                              (long long)n);
    if (m < 0) return CT_FAIL(CT_ERR_RUNTIME, "eye: m must be greater or equal to 0, got %lld",
                              (long long)m);
    int64_t sz[2] = {n, m};
    ct_tensor *t = filled("eye", sz, 2, dt, 0);
    if (!t) return NULL;
    uint64_t one = bits_i64(dt, 1);
    size_t isz = ct_dtype_size(dt);
    char *p = ct_data_ptr(t);
    int64_t k = n < m ? n : m;
    for (int64_t i = 0; i < k; i++) memcpy(p + (i * m + i) * (int64_t)isz, &one, isz);
    return ct_autorelease(t);
}

ct_tensor *ct_tensor_from_doubles(const double *values, const int64_t *sizes, int ndim,
                                  ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("tensor", dt)) return NULL;
    ct_tensor *t = ct__empty(sizes, ndim, dt);
    if (!t) return NULL;
    char *p = ct_data_ptr(t);
    size_t isz = ct_dtype_size(dt);
    if (dt == CT_FLOAT64) {
        if (t->numel) memcpy(p, values, (size_t)t->numel * isz);
    } else {
        for (int64_t i = 0; i < t->numel; i++) ct__store_f64(p + i * (int64_t)isz, dt, values[i]);
    }
    return ct_autorelease(t);
}

/* ---------------------------------------------------------------- in place */
/* Before the write: PyTorch's leaf errors (nothing is written then). */
static int begin_inplace(int op, ct_tensor *t, const ct_tensor *value) {
    const ct_tensor *in[2] = {t, value};
    int n = value ? 2 : 1;
    return ct__needs_grad(in, n) ? ct__ag_inplace_begin(op, t, in, n) : 0;
}

static ct_tensor *record_inplace(int op, ct_tensor *t, const ct_tensor *value,
                                 const ct_op_args *a) {
    const ct_tensor *in[2] = {t, value};
    int n = value ? 2 : 1;
    if (ct__needs_grad(in, n) && ct__ag_record(op, t, in, n, NULL, 0, a) < 0) return NULL;
    return t;
}

/* Fills t on the CPU or a GPU; the GPU path takes the value as a double. */
static int fill_any(ct_tensor *t, double v, bool integral, int64_t iv) {
    if (ct__on_cpu(t)) {
        if (integral) ct__fill_i64(t, iv);
        else ct__fill_f64(t, v);
        return 0;
    }
    if (!ct__cuda) {
        ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
        return -1;
    }
    return ct__cuda->fill(t, integral ? (double)iv : v);
}

ct_tensor *ct_fill_(ct_tensor *t, double value) {
    if (!value_fits("fill_", t->dtype, value) || begin_inplace(CT_OP_fill_, t, NULL) < 0) return NULL;
    if (fill_any(t, value, false, 0) < 0) return NULL;
    ct_bump_version(t);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.f[0] = value;
    return record_inplace(CT_OP_fill_, t, NULL, &a);
}

ct_tensor *ct_fill_tensor_(ct_tensor *t, const ct_tensor *value) {
    if (value->ndim != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "fill_: fill_ only supports 0-dimension value tensor but got tensor with "
                       "%d dimensions.",
                       value->ndim);
    if (begin_inplace(CT_OP_fill_, t, value) < 0) return NULL;
    ct_tensor *host = NULL; /* a value on a GPU is read through a host copy */
    if (!ct__on_cpu(value)) {
        host = ct__empty(NULL, 0, value->dtype);
        if (!host || ct__copy_into(host, value) < 0) {
            ct_release(host);
            return NULL;
        }
    }
    const void *vp = ct_data_ptr(host ? host : value);
    int rc;
    if (ct_dtype_is_floating(value->dtype)) {
        double v = ct__load_f64(vp, value->dtype);
        rc = value_fits("fill_", t->dtype, v) ? fill_any(t, v, false, 0) : -1;
    } else {
        int64_t v = ct__load_i64(vp, value->dtype);
        rc = int_fits("fill_", t->dtype, v) ? fill_any(t, 0, true, v) : -1;
    }
    ct_release(host);
    if (rc < 0) return NULL;
    ct_bump_version(t);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    return record_inplace(CT_OP_fill_, t, value, &a);
}

ct_tensor *ct_zero_(ct_tensor *t) {
    if (begin_inplace(CT_OP_zero_, t, NULL) < 0) return NULL;
    if (!ct__on_cpu(t)) {
        if (fill_any(t, 0, false, 0) < 0) return NULL;
    } else {
        ct__fill_pattern(t, 0);
    }
    ct_bump_version(t);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    return record_inplace(CT_OP_zero_, t, NULL, &a);
}

/* ---------------------------------------------------------------- more creation */
ct_tensor *ct_empty_strided(const int64_t *sizes, const int64_t *strides, int ndim, ct_dtype dt) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("empty_strided", dt)) return NULL;
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "empty_strided: %d dimensions requested, at most %d supported",
                       ndim, CT_MAX_DIMS);
    int64_t extent = 1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0) {
            char b[160];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "empty_strided: Trying to create tensor with negative dimension %lld: %s",
                           (long long)sizes[i], ct_shape_str(sizes, ndim, b, sizeof b));
        }
        if (strides[i] < 0)
            return CT_FAIL(CT_ERR_RUNTIME, "empty_strided: negative strides are not supported");
    }
    for (int i = 0; i < ndim; i++)
        if (sizes[i] == 0) extent = 0;
    if (extent)
        for (int i = 0; i < ndim; i++) extent += (sizes[i] - 1) * strides[i];
    ct_tensor *base = ct__empty(&extent, 1, dt);
    if (!base) return NULL;
    ct_tensor *t = ct__tensor_new(base->storage, dt, sizes, strides, ndim, 0);
    ct_release(base);
    return ct_autorelease(t);
}

/* PyTorch's tril_indices/triu_indices: row-major over the triangle. */
static ct_tensor *tri_indices(const char *op, int64_t row, int64_t col, int64_t offset,
                              ct_dtype dt, bool lower) {
    dt = pick(dt, CT_INT64);
    if (!dtype_ok(op, dt)) return NULL;
    if (dt != CT_INT64 && dt != CT_INT32) {
        static const char *names[CT_NUM_DTYPES] = {"Bool", "Byte", "Char", "Short", "Int",
                                                   "Long", "Half", "BFloat16", "Float", "Double"};
        return CT_FAIL(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, names[dt]);
    }
    if (row < 0) return CT_FAIL(CT_ERR_RUNTIME, "%s: row must be non-negative, got%lld", op, (long long)row);
    if (col < 0) return CT_FAIL(CT_ERR_RUNTIME, "%s: col must be non-negative, got%lld", op, (long long)col);
    int64_t n = 0;
    for (int64_t i = 0; i < row; i++) {
        /* lower: j <= i + offset; upper: j >= i + offset */
        int64_t lim = i + offset;
        int64_t cnt = lower ? (lim < 0 ? 0 : lim >= col ? col : lim + 1)
                            : (lim <= 0 ? col : lim >= col ? 0 : col - lim);
        n += cnt;
    }
    int64_t sz[2] = {2, n};
    ct_tensor *t = ct__empty(sz, 2, dt);
    if (!t) return NULL;
    int64_t k = 0;
    char *p = ct_data_ptr(t);
    for (int64_t i = 0; i < row; i++) {
        int64_t lim = i + offset;
        int64_t j0 = lower ? 0 : (lim < 0 ? 0 : lim);
        int64_t j1 = lower ? (lim + 1 < col ? lim + 1 : col) : col;
        for (int64_t j = j0; j < j1; j++, k++) {
            if (dt == CT_INT64) {
                ((int64_t *)p)[k] = i;
                ((int64_t *)p)[n + k] = j;
            } else {
                ((int32_t *)p)[k] = (int32_t)i;
                ((int32_t *)p)[n + k] = (int32_t)j;
            }
        }
    }
    return ct_autorelease(t);
}

ct_tensor *ct_tril_indices(int64_t row, int64_t col, int64_t offset, ct_dtype dt) {
    return tri_indices("tril_indices", row, col, offset, dt, true);
}

ct_tensor *ct_triu_indices(int64_t row, int64_t col, int64_t offset, ct_dtype dt) {
    return tri_indices("triu_indices", row, col, offset, dt, false);
}
