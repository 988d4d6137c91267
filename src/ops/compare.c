/* isclose, allclose, equal: closeness and equality of whole tensors, with
 * PyTorch 1.13's rules (same dtype for isclose, broadcasting, integers
 * compared in the default dtype, NaN never equal unless asked). On a GPU
 * isclose is one kernel (ct__cuda->isclose) and the truth values of
 * allclose/equal come from a GPU all() and one copy. */
#include "internal.h"

#include <math.h>

/* PyTorch's ScalarType names, used in its error wording. */
static const char *scalar_type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

typedef struct close_ctx {
    double rtol, atol;
    bool equal_nan;
    ct_dtype dt; /* of the operands, for the loading loops */
} close_ctx;

/* out = a == b || (equal_nan && both NaN) || (tolerances and |a - b|
 * finite and <= atol + |rtol * b|), in the compute type C. LOAD(p) reads
 * one operand as C. */
#define CLOSE_LOOP(NAME, C, ABS, LOAD)                                                     \
    static void NAME(char **d, const int64_t *s, int64_t n, void *vctx) {                  \
        const close_ctx *c = vctx;                                                         \
        const C rtol = (C)c->rtol, atol = (C)c->atol;                                      \
        const bool tol = c->rtol != 0 || c->atol != 0, en = c->equal_nan;                  \
        char *o = d[0];                                                                    \
        const char *pa = d[1], *pb = d[2];                                                 \
        for (int64_t k = 0; k < n; k++, o += s[0], pa += s[1], pb += s[2]) {               \
            C a = LOAD(pa), b = LOAD(pb);                                                  \
            bool close = a == b || (en && a != a && b != b);                               \
            if (!close && tol) {                                                           \
                C e = ABS(a - b);                                                          \
                close = isfinite(e) && e <= atol + ABS(rtol * b);                          \
            }                                                                              \
            *(bool *)o = close;                                                            \
        }                                                                                  \
    }
#define LOAD_F32(p) (*(const float *)(p))
#define LOAD_F64(p) (*(const double *)(p))
#define LOAD_ANY_F(p) ((float)ct__load_f64((p), c->dt))
#define LOAD_ANY_D(p) (ct__load_f64((p), c->dt))
CLOSE_LOOP(close_f32, float, fabsf, LOAD_F32)
CLOSE_LOOP(close_f64, double, fabs, LOAD_F64)
CLOSE_LOOP(close_any_f, float, fabsf, LOAD_ANY_F)
CLOSE_LOOP(close_any_d, double, fabs, LOAD_ANY_D)

/* a and b on one device; else PyTorch's error. 0 or -1. */
static int same_device(const char *op, const ct_tensor *a, const ct_tensor *b) {
    ct_device x = a->storage->device, y = b->storage->device;
    if (x.type == y.type && x.index == y.index) return 0;
    char b1[16], b2[16];
    ct_set_error(CT_ERR_RUNTIME,
                 "%s: Expected all tensors to be on the same device, but found at least two "
                 "devices, %s and %s!",
                 op, ct_device_str(x, b1, sizeof b1), ct_device_str(y, b2, sizeof b2));
    return -1;
}

static ct_tensor *isclose_owned(const ct_tensor *a, const ct_tensor *b, double rtol, double atol,
                                bool equal_nan) {
    if (same_device("isclose", a, b) < 0) return NULL;
    if (a->dtype != b->dtype)
        return CT_FAIL(CT_ERR_RUNTIME, "%s did not match %s", scalar_type_name(a->dtype),
                       scalar_type_name(b->dtype));
    if (!(rtol >= 0))
        return CT_FAIL(CT_ERR_RUNTIME, "rtol must be greater than or equal to zero, but got %g", rtol);
    if (!(atol >= 0))
        return CT_FAIL(CT_ERR_RUNTIME, "atol must be greater than or equal to zero, but got %g", atol);
    int64_t shape[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("isclose", a->sizes, a->ndim, b->sizes, b->ndim, shape);
    if (nd < 0) return NULL;
    const ct_tensor *in[2] = {a, b};
    int64_t st[CT_MAX_DIMS]; /* laid out as the inputs, as torch's == and & do */
    ct__out_strides(2, in, shape, nd, st);
    /* the GPU kernel writes a contiguous result */
    ct_tensor *out = ct__on_cpu(a) ? ct__empty_strided_on(shape, st, nd, CT_BOOL, CT_DEVICE_CPU)
                                   : ct__empty_on(shape, nd, CT_BOOL, a->storage->device);
    if (!out || out->numel == 0) return out;
    if (!ct__on_cpu(a)) {
        /* the compute type of the CPU loops below */
        bool dbl = a->dtype == CT_FLOAT64 ||
                   (!ct_dtype_is_floating(a->dtype) && ct_default_dtype() == CT_FLOAT64);
        if (ct__cuda->isclose(a, b, rtol, atol, equal_nan, dbl, out) < 0) {
            ct_release(out);
            return NULL;
        }
        return out;
    }
    close_ctx c = {rtol, atol, equal_nan, a->dtype};
    ct_loop_fn fn = a->dtype == CT_FLOAT32   ? close_f32
                    : a->dtype == CT_FLOAT64 ? close_f64
                    : (ct_dtype_is_floating(a->dtype) || ct_default_dtype() != CT_FLOAT64)
                        ? close_any_f /* float16/bfloat16, or integers in float32 */
                        : close_any_d;
    const ct_tensor *ops[3] = {out, a, b};
    ct_iter it;
    ct_iter_init(&it, 3, ops, shape, nd);
    ct_iter_run(&it, fn, &c, CT_GRAIN);
    return out;
}

ct_tensor *ct_isclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol,
                      bool equal_nan) {
    ct_tensor *r = isclose_owned(a, b, rtol, atol, equal_nan);
    return r ? ct_autorelease(r) : NULL;
}

/* every element of a fresh dense bool tensor is true (any dim order): 1,
 * 0, or -1 on an error (a GPU tensor reduces there; one copy of the answer) */
static int all_true(const ct_tensor *t) {
    if (!ct__on_cpu(t)) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *r = ct_all(t);
        double v = 0;
        int rc = r && ct_item(r, &v) == 0 ? v != 0 : -1;
        ct_scope_end(sc);
        return rc;
    }
    const bool *p = ct_data_ptr(t);
    for (int64_t i = 0; i < t->numel; i++)
        if (!p[i]) return 0;
    return 1;
}

int ct_allclose(const ct_tensor *a, const ct_tensor *b, double rtol, double atol, bool equal_nan) {
    ct_tensor *r = isclose_owned(a, b, rtol, atol, equal_nan);
    if (!r) return -1;
    int all = all_true(r);
    ct_release(r);
    return all;
}

int ct_equal(const ct_tensor *a, const ct_tensor *b) {
    if (same_device("equal", a, b) < 0) return -1;
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->sizes[i] != b->sizes[i]) return 0;
    ct_scope sc = ct_scope_begin();
    ct_tensor *e = ct_eq(a, b);
    ct_tensor *c = e ? ct_contiguous(e) : NULL;
    int rc = c ? all_true(c) : -1;
    ct_scope_end(sc);
    return rc;
}
