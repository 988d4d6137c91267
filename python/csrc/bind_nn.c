/* Bindings of the nn family's ops that PyTorch also has as torch.NAME
 * (include/ctorch/nn.h). */
#include "bind.h"

/* An int or a pair of ints (PyTorch's _pair). */
static int pair(const char *f, const char *nm, PyObject *o, int64_t dflt, int64_t out[2]) {
    if (CTPY_NOARG(o)) {
        out[0] = out[1] = dflt;
        return 0;
    }
    int64_t v[CT_MAX_DIMS];
    int n;
    if (ctpy_intlist(f, o, NULL, v, &n) < 0) return -1;
    if (n == 1) v[1] = v[0];
    else if (n != 2) {
        PyErr_Format(PyExc_RuntimeError, "%s: %s must be an int or a pair of ints", f, nm);
        return -1;
    }
    out[0] = v[0];
    out[1] = v[1];
    return 0;
}
static int opt_tensor(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}

static PyObject *f_conv2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "dilation", "groups", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("conv2d", names, a, NULL);
    ct_tensor *w, *b;
    int64_t st[2], pad[2] = {0, 0}, dil[2], g;
    const char *mode = NULL;
    if (ctpy_tensor_arg("conv2d", "weight", a[1], &w) < 0 || opt_tensor("conv2d", "bias", a[2], &b) < 0 ||
        pair("conv2d", "stride", a[3], 1, st) < 0 || pair("conv2d", "dilation", a[5], 1, dil) < 0 ||
        ctpy_opt_int("conv2d", "groups", a[6], 1, &g) < 0)
        return NULL;
    if (a[4] && PyUnicode_Check(a[4])) {
        if (ctpy_opt_str("conv2d", "padding", a[4], &mode) < 0) return NULL;
    } else if (pair("conv2d", "padding", a[4], 0, pad) < 0)
        return NULL;
    bool big = x->numel > CTPY_NOGIL_NUMEL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (big) {
        Py_BEGIN_ALLOW_THREADS r = mode ? ct_conv2d_mode(x, w, b, st, mode, dil, g) : ct_conv2d(x, w, b, st, pad, dil, g);
        Py_END_ALLOW_THREADS
    } else
        r = mode ? ct_conv2d_mode(x, w, b, st, mode, dil, g) : ct_conv2d(x, w, b, st, pad, dil, g);
    return ctpy_finish(sc, r);
}
static PyObject *f_conv1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "dilation", "groups", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("conv1d", names, a, NULL);
    ct_tensor *w, *b;
    int64_t st, pad = 0, dil, g;
    const char *mode = NULL;
    if (ctpy_tensor_arg("conv1d", "weight", a[1], &w) < 0 || opt_tensor("conv1d", "bias", a[2], &b) < 0 ||
        ctpy_opt_int("conv1d", "stride", a[3], 1, &st) < 0 || ctpy_opt_int("conv1d", "dilation", a[5], 1, &dil) < 0 ||
        ctpy_opt_int("conv1d", "groups", a[6], 1, &g) < 0)
        return NULL;
    if (a[4] && PyUnicode_Check(a[4])) {
        if (ctpy_opt_str("conv1d", "padding", a[4], &mode) < 0) return NULL;
    } else if (ctpy_opt_int("conv1d", "padding", a[4], 0, &pad) < 0)
        return NULL;
    CTPY_RETURN(mode ? ct_conv1d_mode(x, w, b, st, mode, dil, g) : ct_conv1d(x, w, b, st, pad, dil, g));
}
static PyObject *f_max_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                        "return_indices", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("max_pool2d", names, a, NULL);
    int64_t k[2], st[2], pad[2], dil[2];
    bool ceil, ri;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "max_pool2d() missing required argument 'kernel_size'");
        return NULL;
    }
    if (pair("max_pool2d", "kernel_size", a[1], 1, k) < 0 || pair("max_pool2d", "padding", a[3], 0, pad) < 0 ||
        pair("max_pool2d", "dilation", a[4], 1, dil) < 0 || ctpy_opt_bool(a[5], false, &ceil) < 0 ||
        ctpy_opt_bool(a[6], false, &ri) < 0)
        return NULL;
    if (CTPY_NOARG(a[2]) || (PySequence_Check(a[2]) && PySequence_Size(a[2]) == 0)) {
        st[0] = k[0];
        st[1] = k[1];
    } else if (pair("max_pool2d", "stride", a[2], 1, st) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2] = {NULL, NULL};
    r[0] = ct_max_pool2d(x, k, st, pad, dil, ceil, ri ? &r[1] : NULL);
    if (!ri) return ctpy_finish(sc, r[0]);
    return ctpy_finish_tuple(sc, r, r[0] ? 2 : -1);
}
#define SOFTMAX(name)                                                                        \
    CTPY_IMPL(name) {                                                                        \
        static const char *const names[] = {"input", "dim", "dtype", NULL};                  \
        PyObject *a[3];                                                                      \
        CTPY_PARSE(#name, names, a, NULL);                                                   \
        int64_t d;                                                                           \
        ct_dtype dt;                                                                         \
        bool given;                                                                          \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_opt_dtype(a[2], &dt, &given) < 0) \
            return NULL;                                                                     \
        ct_scope sc = ct_scope_begin();                                                      \
        ct_tensor *src = given ? ct_to_dtype(x, dt, false) : x;                              \
        return ctpy_finish(sc, src ? ct_##name(src, (int)d) : NULL);                         \
    }                                                                                        \
    CTPY_WRAPPERS(name)
SOFTMAX(softmax)
SOFTMAX(log_softmax)

static PyObject *f_dropout(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "p", "train", "inplace", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE("dropout", names, a, NULL);
    double p;
    bool train, inplace;
    if (ctpy_opt_double("dropout", "p", a[1], 0.5, &p) < 0 || ctpy_opt_bool(a[2], true, &train) < 0 ||
        ctpy_opt_bool(a[3], false, &inplace) < 0)
        return NULL;
    if (inplace) {
        PyErr_SetString(PyExc_NotImplementedError, "dropout(inplace=True) is not implemented");
        return NULL;
    }
    CTPY_RETURN(ct_dropout(x, p, train, NULL));
}
static PyObject *f_batch_norm(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "running_mean", "running_var", "weight", "bias", "training",
                                        "momentum", "eps", "cudnn_enabled", NULL};
    PyObject *a[9];
    PyObject *self = NULL;
    CTPY_PARSE("batch_norm", names, a, NULL);
    ct_tensor *rm, *rv, *w, *b;
    bool train;
    double mom, eps;
    if (opt_tensor("batch_norm", "running_mean", a[1], &rm) < 0 || opt_tensor("batch_norm", "running_var", a[2], &rv) < 0 ||
        opt_tensor("batch_norm", "weight", a[3], &w) < 0 || opt_tensor("batch_norm", "bias", a[4], &b) < 0 ||
        ctpy_opt_bool(a[5], false, &train) < 0 || ctpy_opt_double("batch_norm", "momentum", a[6], 0.1, &mom) < 0 ||
        ctpy_opt_double("batch_norm", "eps", a[7], 1e-5, &eps) < 0)
        return NULL;
    CTPY_RETURN(ct_batch_norm(x, rm, rv, w, b, train, mom, eps));
}
static PyObject *f_layer_norm(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "normalized_shape", "weight", "bias", "eps", "cudnn_enable", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    CTPY_PARSE("layer_norm", names, a, NULL);
    int64_t s[CT_MAX_DIMS];
    int ns;
    ct_tensor *w, *b;
    double eps;
    if (ctpy_intlist("layer_norm", a[1], NULL, s, &ns) < 0 || opt_tensor("layer_norm", "weight", a[2], &w) < 0 ||
        opt_tensor("layer_norm", "bias", a[3], &b) < 0 || ctpy_opt_double("layer_norm", "eps", a[4], 1e-5, &eps) < 0)
        return NULL;
    CTPY_RETURN(ct_layer_norm(x, s, ns, w, b, eps));
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_methods[] = {CTPY_METHOD("softmax", softmax), CTPY_METHOD("log_softmax", log_softmax), {NULL}};
PyMethodDef ctpy_nn_functions[] = {
    FAST("conv2d", f_conv2d), FAST("conv1d", f_conv1d), FAST("max_pool2d", f_max_pool2d),
    CTPY_FUNCTION("softmax", softmax), CTPY_FUNCTION("log_softmax", log_softmax), FAST("dropout", f_dropout),
    FAST("batch_norm", f_batch_norm), FAST("layer_norm", f_layer_norm), {NULL}};
