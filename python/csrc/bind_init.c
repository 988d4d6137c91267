/* Private bindings of the C nn.init (include/ctorch/module.h):
 * ctorch._C._init_<name>, with torch.nn.init's argument names and defaults.
 * The in-place initialisers return their tensor argument itself; they draw
 * from the default generator, as torch.nn.init does in PyTorch 1.13.
 * python/ctorch/nn/init.py is the public face over them. */
#include "bind.h"

#define INIT_PARSE(fname, names, k)                                            \
    PyObject *a[k];                                                            \
    ct_tensor *t;                                                              \
    if (ctpy_parse(fname, names, NULL, args, n, kwn, a, NULL) < 0) return NULL; \
    if (!a[0]) {                                                               \
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'tensor'", fname); \
        return NULL;                                                           \
    }                                                                          \
    if (ctpy_tensor_arg(fname, "tensor", a[0], &t) < 0) return NULL;

/* Returns the tensor argument (in-place result) or raises. */
static PyObject *done(ct_tensor *r, PyObject *self_obj) {
    if (!r) return ctpy_raise();
    return Py_NewRef(self_obj);
}

static PyObject *f_fans(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", NULL};
    INIT_PARSE("_calculate_fan_in_and_fan_out", names, 1);
    int64_t fi, fo;
    if (ct_init_calculate_fan_in_and_fan_out(t, &fi, &fo) < 0) return ctpy_raise();
    return Py_BuildValue("(LL)", (long long)fi, (long long)fo);
}

static PyObject *f_gain(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"nonlinearity", "param", NULL};
    PyObject *a[2];
    const char *nl;
    double p;
    if (ctpy_parse("calculate_gain", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_opt_str("calculate_gain", "nonlinearity", a[0], &nl) < 0)
        return NULL;
    if (!nl) {
        PyErr_SetString(PyExc_TypeError, "calculate_gain() missing required argument 'nonlinearity'");
        return NULL;
    }
    bool has = !CTPY_NOARG(a[1]);
    if (has && (PyBool_Check(a[1]) || !(PyLong_Check(a[1]) || PyFloat_Check(a[1])))) {
        if (!strcmp(nl, "leaky_relu")) {
            PyObject *r = PyObject_Repr(a[1]);
            PyErr_Format(PyExc_ValueError, "negative_slope %s not a valid number",
                         r ? PyUnicode_AsUTF8(r) : "?");
            Py_XDECREF(r);
            return NULL;
        }
        has = false;
    }
    if (has && ctpy_double("calculate_gain", "param", a[1], &p) < 0) return NULL;
    double g;
    if (ct_init_calculate_gain(nl, has ? &p : NULL, &g) < 0) return ctpy_raise();
    return PyFloat_FromDouble(g);
}

static PyObject *f_uniform(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "a", "b", NULL};
    INIT_PARSE("uniform_", names, 3);
    double lo, hi;
    if (ctpy_opt_double("uniform_", "a", a[1], 0.0, &lo) < 0 ||
        ctpy_opt_double("uniform_", "b", a[2], 1.0, &hi) < 0)
        return NULL;
    return done(ct_init_uniform_(t, lo, hi, NULL), a[0]);
}

static PyObject *f_normal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "mean", "std", NULL};
    INIT_PARSE("normal_", names, 3);
    double mean, std;
    if (ctpy_opt_double("normal_", "mean", a[1], 0.0, &mean) < 0 ||
        ctpy_opt_double("normal_", "std", a[2], 1.0, &std) < 0)
        return NULL;
    return done(ct_init_normal_(t, mean, std, NULL), a[0]);
}

static PyObject *f_trunc_normal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "mean", "std", "a", "b", NULL};
    INIT_PARSE("trunc_normal_", names, 5);
    double mean, std, lo, hi;
    if (ctpy_opt_double("trunc_normal_", "mean", a[1], 0.0, &mean) < 0 ||
        ctpy_opt_double("trunc_normal_", "std", a[2], 1.0, &std) < 0 ||
        ctpy_opt_double("trunc_normal_", "a", a[3], -2.0, &lo) < 0 ||
        ctpy_opt_double("trunc_normal_", "b", a[4], 2.0, &hi) < 0)
        return NULL;
    return done(ct_init_trunc_normal_(t, mean, std, lo, hi, NULL), a[0]);
}

static PyObject *f_constant(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "val", NULL};
    INIT_PARSE("constant_", names, 2);
    double v;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "constant_() missing required argument 'val'");
        return NULL;
    }
    if (ctpy_double("constant_", "val", a[1], &v) < 0) return NULL;
    return done(ct_init_constant_(t, v), a[0]);
}

static PyObject *f_ones(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", NULL};
    INIT_PARSE("ones_", names, 1);
    return done(ct_init_ones_(t), a[0]);
}

static PyObject *f_zeros(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", NULL};
    INIT_PARSE("zeros_", names, 1);
    return done(ct_init_zeros_(t), a[0]);
}

static PyObject *f_eye(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", NULL};
    INIT_PARSE("eye_", names, 1);
    return done(ct_init_eye_(t), a[0]);
}

static PyObject *f_dirac(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "groups", NULL};
    INIT_PARSE("dirac_", names, 2);
    int64_t groups;
    if (ctpy_opt_int("dirac_", "groups", a[1], 1, &groups) < 0) return NULL;
    return done(ct_init_dirac_(t, groups), a[0]);
}

static PyObject *f_xavier_uniform(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "gain", NULL};
    INIT_PARSE("xavier_uniform_", names, 2);
    double gain;
    if (ctpy_opt_double("xavier_uniform_", "gain", a[1], 1.0, &gain) < 0) return NULL;
    return done(ct_init_xavier_uniform_(t, gain, NULL), a[0]);
}

static PyObject *f_xavier_normal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "gain", NULL};
    INIT_PARSE("xavier_normal_", names, 2);
    double gain;
    if (ctpy_opt_double("xavier_normal_", "gain", a[1], 1.0, &gain) < 0) return NULL;
    return done(ct_init_xavier_normal_(t, gain, NULL), a[0]);
}

/* kaiming_uniform_ / kaiming_normal_ share their arguments. */
static PyObject *kaiming(const char *fname, bool uniform, PyObject *const *args, Py_ssize_t n,
                         PyObject *kwn) {
    static const char *const names[] = {"tensor", "a", "mode", "nonlinearity", NULL};
    INIT_PARSE(fname, names, 4);
    double slope;
    const char *mode, *nl;
    if (ctpy_opt_double(fname, "a", a[1], 0.0, &slope) < 0 ||
        ctpy_opt_str(fname, "mode", a[2], &mode) < 0 ||
        ctpy_opt_str(fname, "nonlinearity", a[3], &nl) < 0)
        return NULL;
    return done(uniform ? ct_init_kaiming_uniform_(t, slope, mode, nl, NULL)
                        : ct_init_kaiming_normal_(t, slope, mode, nl, NULL),
                a[0]);
}
static PyObject *f_kaiming_uniform(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return kaiming("kaiming_uniform_", true, args, n, kwn);
}
static PyObject *f_kaiming_normal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return kaiming("kaiming_normal_", false, args, n, kwn);
}

static PyObject *f_orthogonal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensor", "gain", NULL};
    INIT_PARSE("orthogonal_", names, 2);
    double gain;
    if (ctpy_opt_double("orthogonal_", "gain", a[1], 1.0, &gain) < 0) return NULL;
    return done(ct_init_orthogonal_(t, gain, NULL), a[0]);
}

#define FN(pyname, f) {pyname, (PyCFunction)(void (*)(void))f, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_init_functions[] = {
    FN("_init_calculate_fan_in_and_fan_out", f_fans),
    FN("_init_calculate_gain", f_gain),
    FN("_init_uniform_", f_uniform),
    FN("_init_normal_", f_normal),
    FN("_init_trunc_normal_", f_trunc_normal),
    FN("_init_constant_", f_constant),
    FN("_init_ones_", f_ones),
    FN("_init_zeros_", f_zeros),
    FN("_init_eye_", f_eye),
    FN("_init_dirac_", f_dirac),
    FN("_init_xavier_uniform_", f_xavier_uniform),
    FN("_init_xavier_normal_", f_xavier_normal),
    FN("_init_kaiming_uniform_", f_kaiming_uniform),
    FN("_init_kaiming_normal_", f_kaiming_normal),
    FN("_init_orthogonal_", f_orthogonal),
    {NULL}};
