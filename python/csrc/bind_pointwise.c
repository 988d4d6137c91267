/* Bindings of the pointwise family's CUSTOM ops (include/ctorch/pointwise.h). */
#include "bind.h"

typedef ct_tensor *(*bin_fn)(const ct_tensor *, const ct_tensor *);
typedef ct_tensor *(*bin_ip)(ct_tensor *, const ct_tensor *);
typedef ct_tensor *(*bin_out)(ct_tensor *, const ct_tensor *, const ct_tensor *);

/* Two operands (numbers become wrapped numbers), out= and in-place forms. */
static PyObject *binary(const char *f, bin_fn fn, bin_ip ip, bin_out of, PyObject *self, PyObject *const *args,
                        Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "other", "*", "out", NULL};
    PyObject *a[3];
    if (ctpy_parse(f, names, self, args, n, kwn, a, NULL) < 0) return NULL;
    if (!a[0] || !a[1]) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'other'", f);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *x, *y, *out = NULL;
    if (ctpy_operand(a[0], &x) < 0 || ctpy_operand(a[1], &y) < 0 ||
        (!CTPY_NOARG(a[2]) && ctpy_tensor_arg(f, "out", a[2], &out) < 0)) {
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s(): expected tensors or numbers", f);
        return NULL;
    }
    if (out && !of) {
        ct_scope_end(sc);
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument 'out'", f);
        return NULL;
    }
    bool big = x->numel > CTPY_NOGIL_NUMEL || y->numel > CTPY_NOGIL_NUMEL;
    ct_tensor *r;
    if (big) {
        Py_BEGIN_ALLOW_THREADS r = out ? of(out, x, y) : ip ? ip(x, y) : fn(x, y);
        Py_END_ALLOW_THREADS
    } else
        r = out ? of(out, x, y) : ip ? ip(x, y) : fn(x, y);
    return ctpy_finish(sc, r);
}
#define BINARY(name, ipfn, outfn)                                                                   \
    CTPY_IMPL(name) { return binary(#name, ct_##name, NULL, outfn, self, args, n, kwn); }           \
    CTPY_WRAPPERS(name)                                                                             \
    static PyObject *m_##name##_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {      \
        return binary(#name "_", ct_##name, ipfn, NULL, s, a, n, k);                                \
    }
BINARY(atan2, ct_atan2_, ct_atan2_out)
BINARY(hypot, ct_hypot_, ct_hypot_out)
BINARY(logical_and, ct_logical_and_, ct_logical_and_out)
BINARY(logical_or, ct_logical_or_, ct_logical_or_out)
BINARY(logical_xor, ct_logical_xor_, ct_logical_xor_out)
CTPY_IMPL(maximum) { return binary("maximum", ct_maximum, NULL, ct_maximum_out, self, args, n, kwn); }
CTPY_IMPL(minimum) { return binary("minimum", ct_minimum, NULL, ct_minimum_out, self, args, n, kwn); }
CTPY_WRAPPERS(maximum)
CTPY_WRAPPERS(minimum)

/* lerp(input, end, weight) */
static PyObject *lerp_common(int mode, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "end", "weight", "*", "out", NULL};
    PyObject *a[4];
    CTPY_PARSE("lerp", names, a, NULL);
    ct_tensor *e, *out = NULL;
    if (ctpy_tensor_arg("lerp", "end", a[1], &e) < 0 || (!CTPY_NOARG(a[3]) && ctpy_tensor_arg("lerp", "out", a[3], &out) < 0))
        return NULL;
    if (!a[2]) {
        PyErr_SetString(PyExc_TypeError, "lerp() missing required argument 'weight'");
        return NULL;
    }
    if (ctpy_Tensor_Check(a[2])) {
        ct_tensor *w = CTPY_T(a[2]);
        CTPY_RETURN(mode ? ct_lerp_tensor_(x, e, w) : out ? ct_lerp_tensor_out(out, x, e, w) : ct_lerp_tensor(x, e, w));
    }
    double w;
    if (ctpy_double("lerp", "weight", a[2], &w) < 0) return NULL;
    CTPY_RETURN(mode ? ct_lerp_(x, e, w) : out ? ct_lerp_out(out, x, e, w) : ct_lerp(x, e, w));
}
CTPY_IMPL(lerp) { return lerp_common(0, self, args, n, kwn); }
CTPY_IMPL(lerp_) { return lerp_common(1, self, args, n, kwn); }

#define ADDC(name)                                                                                 \
    static PyObject *name##_common(int ip, PyObject *self, PyObject *const *args, Py_ssize_t n,    \
                                   PyObject *kwn) {                                               \
        static const char *const names[] = {"input", "tensor1", "tensor2", "*", "value", "out", NULL}; \
        PyObject *a[5];                                                                            \
        CTPY_PARSE(#name, names, a, NULL);                                                         \
        ct_tensor *t1, *t2, *out = NULL;                                                           \
        double v;                                                                                  \
        if (ctpy_tensor_arg(#name, "tensor1", a[1], &t1) < 0 ||                                    \
            ctpy_tensor_arg(#name, "tensor2", a[2], &t2) < 0 ||                                    \
            ctpy_opt_double(#name, "value", a[3], 1.0, &v) < 0 ||                                  \
            (!CTPY_NOARG(a[4]) && ctpy_tensor_arg(#name, "out", a[4], &out) < 0))                  \
            return NULL;                                                                           \
        CTPY_RETURN(ip ? ct_##name##_(x, t1, t2, v) : out ? ct_##name##_out(out, x, t1, t2, v)     \
                       : ct_##name(x, t1, t2, v));                                                 \
    }                                                                                              \
    CTPY_IMPL(name) { return name##_common(0, self, args, n, kwn); }                               \
    CTPY_IMPL(name##_) { return name##_common(1, self, args, n, kwn); }
ADDC(addcmul)
ADDC(addcdiv)

/* clamp(input, min=None, max=None): numbers or tensors */
static PyObject *clamp_common(int ip, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "min", "max", "*", "out", NULL};
    PyObject *a[4];
    CTPY_PARSE("clamp", names, a, NULL);
    ct_tensor *out = NULL;
    if (!CTPY_NOARG(a[3]) && ctpy_tensor_arg("clamp", "out", a[3], &out) < 0) return NULL;
    bool tmin = a[1] && ctpy_Tensor_Check(a[1]), tmax = a[2] && ctpy_Tensor_Check(a[2]);
    if (CTPY_NOARG(a[1]) && CTPY_NOARG(a[2])) {
        PyErr_SetString(PyExc_RuntimeError, "torch.clamp: At least one of 'min' or 'max' must not be None");
        return NULL;
    }
    if (tmin || tmax) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *lo = NULL, *hi = NULL;
        if ((!CTPY_NOARG(a[1]) && ctpy_operand(a[1], &lo) < 0) || (!CTPY_NOARG(a[2]) && ctpy_operand(a[2], &hi) < 0)) {
            ct_scope_end(sc);
            return NULL;
        }
        return ctpy_finish(sc, ip ? ct_clamp_tensor_(x, lo, hi) : out ? ct_clamp_tensor_out(out, x, lo, hi)
                                                                       : ct_clamp_tensor(x, lo, hi));
    }
    double lo, hi;
    if ((!CTPY_NOARG(a[1]) && ctpy_double("clamp", "min", a[1], &lo) < 0) ||
        (!CTPY_NOARG(a[2]) && ctpy_double("clamp", "max", a[2], &hi) < 0))
        return NULL;
    const double *plo = CTPY_NOARG(a[1]) ? NULL : &lo, *phi = CTPY_NOARG(a[2]) ? NULL : &hi;
    CTPY_RETURN(ip ? ct_clamp_(x, plo, phi) : out ? ct_clamp_out(out, x, plo, phi) : ct_clamp(x, plo, phi));
}
CTPY_IMPL(clamp) { return clamp_common(0, self, args, n, kwn); }
CTPY_IMPL(clamp_) { return clamp_common(1, self, args, n, kwn); }
/* in place with a tensor bound: clamp_ with that one bound (LO, HI) */
#define CLAMP1(name, kw, LO, HI)                                                                  \
    static PyObject *name##_common(int ip, PyObject *self, PyObject *const *args, Py_ssize_t n,   \
                                   PyObject *kwn) {                                              \
        static const char *const names[] = {"input", kw, NULL};                                   \
        PyObject *a[2];                                                                           \
        CTPY_PARSE(#name, names, a, NULL);                                                        \
        if (a[1] && ctpy_Tensor_Check(a[1])) {                                                    \
            ct_tensor *b = CTPY_T(a[1]);                                                          \
            (void)b;                                                                              \
            if (ip) CTPY_RETURN(ct_clamp_tensor_(x, LO, HI));                                     \
            CTPY_RETURN(ct_##name##_tensor(x, b));                                                \
        }                                                                                         \
        double v;                                                                                 \
        if (!a[1] || ctpy_double(#name, kw, a[1], &v) < 0) {                                      \
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, #name "() missing '" kw "'"); \
            return NULL;                                                                          \
        }                                                                                         \
        CTPY_RETURN(ip ? ct_##name##_(x, v) : ct_##name(x, v));                                   \
    }                                                                                             \
    CTPY_IMPL(name) { return name##_common(0, self, args, n, kwn); }                              \
    CTPY_IMPL(name##_) { return name##_common(1, self, args, n, kwn); }
CLAMP1(clamp_min, "min", b, NULL)
CLAMP1(clamp_max, "max", NULL, b)

/* where(cond, a, b) with numbers allowed; where(cond) = nonzero(as_tuple) */
CTPY_IMPL(where) {
    static const char *const names[] = {"condition", "input", "other", "*", "out", NULL};
    PyObject *a[4];
    if (ctpy_parse("where", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    if (self) { /* x.where(cond, y) */
        PyObject *tmp = a[0];
        a[2] = a[1];
        a[1] = self;
        a[0] = tmp;
    }
    ct_tensor *c;
    if (ctpy_tensor_arg("where", "condition", a[0], &c) < 0) return NULL;
    if (!a[1] && !a[2]) {
        PyObject *ca[1] = {a[0]};
        PyObject *kw = Py_BuildValue("(s)", "as_tuple");
        PyObject *fn = PyObject_GetAttrString(ctpy_module, "nonzero");
        PyObject *r = NULL;
        if (kw && fn) {
            PyObject *cargs[2] = {ca[0], Py_True};
            r = PyObject_Vectorcall(fn, cargs, 1, kw);
        }
        Py_XDECREF(kw);
        Py_XDECREF(fn);
        return r;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *x, *y, *out = NULL;
    if (!a[1] || !a[2] || ctpy_operand(a[1], &x) < 0 || ctpy_operand(a[2], &y) < 0 ||
        (!CTPY_NOARG(a[3]) && ctpy_tensor_arg("where", "out", a[3], &out) < 0)) {
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "where(condition, input, other)");
        return NULL;
    }
    return ctpy_finish(sc, out ? ct_where_out(out, c, x, y) : ct_where(c, x, y));
}

static PyObject *nan_to_num_common(int ip, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "nan", "posinf", "neginf", "*", "out", NULL};
    PyObject *a[5];
    CTPY_PARSE("nan_to_num", names, a, NULL);
    double nan, pi, ni;
    ct_tensor *out = NULL;
    if (ctpy_opt_double("nan_to_num", "nan", a[1], 0.0, &nan) < 0 ||
        (!CTPY_NOARG(a[2]) && ctpy_double("nan_to_num", "posinf", a[2], &pi) < 0) ||
        (!CTPY_NOARG(a[3]) && ctpy_double("nan_to_num", "neginf", a[3], &ni) < 0) ||
        (!CTPY_NOARG(a[4]) && ctpy_tensor_arg("nan_to_num", "out", a[4], &out) < 0))
        return NULL;
    const double *ppi = CTPY_NOARG(a[2]) ? NULL : &pi, *pni = CTPY_NOARG(a[3]) ? NULL : &ni;
    CTPY_RETURN(ip ? ct_nan_to_num_(x, nan, ppi, pni) : out ? ct_nan_to_num_out(out, x, nan, ppi, pni)
                                                            : ct_nan_to_num(x, nan, ppi, pni));
}
CTPY_IMPL(nan_to_num) { return nan_to_num_common(0, self, args, n, kwn); }
CTPY_IMPL(nan_to_num_) { return nan_to_num_common(1, self, args, n, kwn); }

static PyObject *logit_common(int ip, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "eps", "*", "out", NULL};
    PyObject *a[3];
    CTPY_PARSE("logit", names, a, NULL);
    double eps;
    ct_tensor *out = NULL;
    if (ctpy_opt_double("logit", "eps", a[1], -1.0, &eps) < 0 ||
        (!CTPY_NOARG(a[2]) && ctpy_tensor_arg("logit", "out", a[2], &out) < 0))
        return NULL;
    CTPY_RETURN(ip ? ct_logit_(x, eps) : out ? ct_logit_out(out, x, eps) : ct_logit(x, eps));
}
CTPY_IMPL(logit) { return logit_common(0, self, args, n, kwn); }
CTPY_IMPL(logit_) { return logit_common(1, self, args, n, kwn); }

#define PRED(name)                                                     \
    CTPY_IMPL(name) {                                                  \
        static const char *const names[] = {"input", NULL};            \
        PyObject *a[1];                                                \
        CTPY_PARSE(#name, names, a, NULL);                             \
        CTPY_RETURN(ct_##name(x));                                     \
    }
PRED(isnan)
PRED(isinf)
PRED(isfinite)
CTPY_IMPL(relu) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("relu", names, a, NULL);
    CTPY_RETURN(ct_relu(x));
}
CTPY_IMPL(relu_) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("relu_", names, a, NULL);
    CTPY_RETURN(ct_relu_(x));
}

/* Activations for torch.nn.functional (exposed as _C._NAME(input, ..., inplace=False)). */
static PyObject *f_gelu(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "approximate", NULL};
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE("gelu", names, a, NULL);
    const char *ap;
    if (ctpy_opt_str("gelu", "approximate", a[1], &ap) < 0) return NULL;
    CTPY_RETURN(ct_gelu(x, ap ? ap : "none"));
}
static PyObject *f_silu(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "inplace", NULL};
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE("silu", names, a, NULL);
    bool ip;
    if (ctpy_opt_bool(a[1], false, &ip) < 0) return NULL;
    CTPY_RETURN(ip ? ct_silu_(x) : ct_silu(x));
}
static PyObject *f_softplus(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "beta", "threshold", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("softplus", names, a, NULL);
    double b, t;
    if (ctpy_opt_double("softplus", "beta", a[1], 1.0, &b) < 0 || ctpy_opt_double("softplus", "threshold", a[2], 20.0, &t) < 0)
        return NULL;
    CTPY_RETURN(ct_softplus(x, b, t));
}
static PyObject *f_elu(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "alpha", "inplace", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("elu", names, a, NULL);
    double al;
    bool ip;
    if (ctpy_opt_double("elu", "alpha", a[1], 1.0, &al) < 0 || ctpy_opt_bool(a[2], false, &ip) < 0) return NULL;
    CTPY_RETURN(ip ? ct_elu_(x, al) : ct_elu(x, al));
}
static PyObject *f_leaky_relu(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "negative_slope", "inplace", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("leaky_relu", names, a, NULL);
    double s;
    bool ip;
    if (ctpy_opt_double("leaky_relu", "negative_slope", a[1], 0.01, &s) < 0 || ctpy_opt_bool(a[2], false, &ip) < 0)
        return NULL;
    CTPY_RETURN(ip ? ct_leaky_relu_(x, s) : ct_leaky_relu(x, s));
}
static PyObject *f_hardtanh(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "min_val", "max_val", "inplace", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE("hardtanh", names, a, NULL);
    double lo, hi;
    bool ip;
    if (ctpy_opt_double("hardtanh", "min_val", a[1], -1.0, &lo) < 0 ||
        ctpy_opt_double("hardtanh", "max_val", a[2], 1.0, &hi) < 0 || ctpy_opt_bool(a[3], false, &ip) < 0)
        return NULL;
    CTPY_RETURN(ip ? ct_hardtanh_(x, lo, hi) : ct_hardtanh(x, lo, hi));
}

#define W(nm) CTPY_WRAPPERS(nm)
W(lerp) W(lerp_) W(addcmul) W(addcmul_) W(addcdiv) W(addcdiv_) W(clamp) W(clamp_) W(clamp_min) W(clamp_min_)
W(clamp_max) W(clamp_max_) W(where) W(nan_to_num) W(nan_to_num_) W(logit) W(logit_) W(isnan) W(isinf)
W(isfinite) W(relu) W(relu_)

#define M(nm) CTPY_METHOD(#nm, nm)
#define MI(nm) {#nm "_", (PyCFunction)(void (*)(void))m_##nm##_, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_pointwise_methods[] = {
    M(atan2), MI(atan2), M(hypot), MI(hypot), M(logical_and), MI(logical_and), M(logical_or), MI(logical_or),
    M(logical_xor), MI(logical_xor), M(maximum), M(minimum), M(lerp), M(lerp_), M(addcmul), M(addcmul_),
    M(addcdiv), M(addcdiv_), M(clamp), M(clamp_), CTPY_METHOD("clip", clamp), CTPY_METHOD("clip_", clamp_),
    M(clamp_min), M(clamp_min_), M(clamp_max), M(clamp_max_), M(where), M(nan_to_num), M(nan_to_num_),
    M(logit), M(logit_), M(isnan), M(isinf), M(isfinite), M(relu), M(relu_), {NULL}};
#define F(nm) CTPY_FUNCTION(#nm, nm)
#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_pointwise_functions[] = {
    F(atan2), F(hypot), F(logical_and), F(logical_or), F(logical_xor), F(maximum), F(minimum), F(lerp),
    F(addcmul), F(addcdiv), F(clamp), CTPY_FUNCTION("clip", clamp), F(clamp_min), F(clamp_max), F(where),
    F(nan_to_num), F(nan_to_num_), F(logit), F(isnan), F(isinf), F(isfinite), F(relu), F(relu_),
    FAST("_gelu", f_gelu), FAST("_silu", f_silu), FAST("_softplus", f_softplus), FAST("_elu", f_elu),
    FAST("_leaky_relu", f_leaky_relu), FAST("_hardtanh", f_hardtanh), {NULL}};
