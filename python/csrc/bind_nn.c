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

/* ---------------------------------------------------------------- ctorch.nn.functional
 * Exposed as _C._NAME: ctorch/nn/functional.py gives them PyTorch's full
 * signatures (legacy size_average/reduce, reduction strings). reduction is
 * the ct_reduction int here. */
static PyObject *f_linear(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("linear", names, a, NULL);
    ct_tensor *w, *b;
    if (ctpy_tensor_arg("linear", "weight", a[1], &w) < 0 || opt_tensor("linear", "bias", a[2], &b) < 0) return NULL;
    CTPY_RETURN(ct_linear(x, w, b));
}
static PyObject *f_avg_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "kernel_size", "stride", "padding", "ceil_mode",
                                        "count_include_pad", "divisor_override", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("avg_pool2d", names, a, NULL);
    int64_t k[2], st[2], pad[2], div;
    bool ceil, cip;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "avg_pool2d() missing required argument 'kernel_size'");
        return NULL;
    }
    if (pair("avg_pool2d", "kernel_size", a[1], 1, k) < 0 || pair("avg_pool2d", "padding", a[3], 0, pad) < 0 ||
        ctpy_opt_bool(a[4], false, &ceil) < 0 || ctpy_opt_bool(a[5], true, &cip) < 0 ||
        ctpy_opt_int("avg_pool2d", "divisor_override", a[6], 0, &div) < 0)
        return NULL;
    if (!CTPY_NOARG(a[6]) && div == 0) {
        PyErr_SetString(PyExc_RuntimeError, "divisor must be not zero");
        return NULL;
    }
    if (CTPY_NOARG(a[2]) || (PySequence_Check(a[2]) && PySequence_Size(a[2]) == 0)) {
        st[0] = k[0];
        st[1] = k[1];
    } else if (pair("avg_pool2d", "stride", a[2], 1, st) < 0)
        return NULL;
    CTPY_RETURN(ct_avg_pool2d(x, k, st, pad, ceil, cip, div));
}
/* output_size: an int, or a pair whose None entries keep the input's size. */
static PyObject *f_adaptive_avg_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", NULL};
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE("adaptive_avg_pool2d", names, a, NULL);
    int64_t os[2];
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "adaptive_avg_pool2d() missing required argument 'output_size'");
        return NULL;
    }
    if (PyTuple_Check(a[1]) || PyList_Check(a[1])) {
        Py_ssize_t len = PySequence_Size(a[1]);
        if (len != 2) {
            PyErr_SetString(PyExc_RuntimeError, "adaptive_avg_pool2d: output_size must be 2");
            return NULL;
        }
        for (int i = 0; i < 2; i++) {
            PyObject *e = PySequence_GetItem(a[1], i);
            if (!e) return NULL;
            int rc = 0;
            if (e == Py_None) {
                if (x->ndim < 2) {
                    PyErr_SetString(PyExc_RuntimeError, "adaptive_avg_pool2d(): Expected 3D or 4D tensor");
                    rc = -1;
                } else
                    os[i] = x->sizes[x->ndim - 2 + i];
            } else
                rc = ctpy_int("adaptive_avg_pool2d", "output_size", e, &os[i]);
            Py_DECREF(e);
            if (rc < 0) return NULL;
        }
    } else if (pair("adaptive_avg_pool2d", "output_size", a[1], 1, os) < 0)
        return NULL;
    CTPY_RETURN(ct_adaptive_avg_pool2d(x, os));
}
static int reduction_arg(const char *f, PyObject *o, int64_t *r) {
    if (ctpy_opt_int(f, "reduction", o, CT_REDUCTION_MEAN, r) < 0) return -1;
    if (*r < CT_REDUCTION_NONE || *r > CT_REDUCTION_SUM) {
        PyErr_Format(PyExc_ValueError, "%s: %lld is not a valid reduction", f, (long long)*r);
        return -1;
    }
    return 0;
}
/* _NAME(input, target, reduction) */
#define LOSS2(name)                                                                          \
    static PyObject *f_##name(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) { \
        static const char *const names[] = {"input", "target", "reduction", NULL};          \
        PyObject *a[3];                                                                      \
        PyObject *self = NULL;                                                               \
        CTPY_PARSE(#name, names, a, NULL);                                                   \
        ct_tensor *t;                                                                        \
        int64_t r;                                                                           \
        if (ctpy_tensor_arg(#name, "target", a[1], &t) < 0 || reduction_arg(#name, a[2], &r) < 0) \
            return NULL;                                                                     \
        CTPY_RETURN(ct_##name(x, t, (int)r));                                                \
    }
LOSS2(mse_loss)
LOSS2(l1_loss)
/* _NAME(input, target, reduction, beta_or_delta) */
#define LOSS3(name, pname)                                                                   \
    static PyObject *f_##name(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) { \
        static const char *const names[] = {"input", "target", "reduction", pname, NULL};   \
        PyObject *a[4];                                                                      \
        PyObject *self = NULL;                                                               \
        CTPY_PARSE(#name, names, a, NULL);                                                   \
        ct_tensor *t;                                                                        \
        int64_t r;                                                                           \
        double v;                                                                            \
        if (ctpy_tensor_arg(#name, "target", a[1], &t) < 0 || reduction_arg(#name, a[2], &r) < 0 || \
            ctpy_opt_double(#name, pname, a[3], 1.0, &v) < 0)                                \
            return NULL;                                                                     \
        CTPY_RETURN(ct_##name(x, t, (int)r, v));                                             \
    }
LOSS3(smooth_l1_loss, "beta")
LOSS3(huber_loss, "delta")
static PyObject *f_nll_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "weight", "ignore_index", "reduction", NULL};
    PyObject *a[5];
    PyObject *self = NULL;
    CTPY_PARSE("nll_loss", names, a, NULL);
    ct_tensor *t, *w;
    int64_t ii, r;
    if (ctpy_tensor_arg("nll_loss", "target", a[1], &t) < 0 || opt_tensor("nll_loss", "weight", a[2], &w) < 0 ||
        ctpy_opt_int("nll_loss", "ignore_index", a[3], -100, &ii) < 0 || reduction_arg("nll_loss", a[4], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_nll_loss(x, t, w, ii, (int)r));
}
static PyObject *f_cross_entropy(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "weight", "ignore_index", "reduction",
                                        "label_smoothing", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    CTPY_PARSE("cross_entropy", names, a, NULL);
    ct_tensor *t, *w;
    int64_t ii, r;
    double ls;
    if (ctpy_tensor_arg("cross_entropy", "target", a[1], &t) < 0 ||
        opt_tensor("cross_entropy", "weight", a[2], &w) < 0 ||
        ctpy_opt_int("cross_entropy", "ignore_index", a[3], -100, &ii) < 0 ||
        reduction_arg("cross_entropy", a[4], &r) < 0 ||
        ctpy_opt_double("cross_entropy", "label_smoothing", a[5], 0.0, &ls) < 0)
        return NULL;
    CTPY_RETURN(ct_cross_entropy(x, t, w, ii, (int)r, ls));
}
static PyObject *f_binary_cross_entropy(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "weight", "reduction", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE("binary_cross_entropy", names, a, NULL);
    ct_tensor *t, *w;
    int64_t r;
    if (ctpy_tensor_arg("binary_cross_entropy", "target", a[1], &t) < 0 ||
        opt_tensor("binary_cross_entropy", "weight", a[2], &w) < 0 ||
        reduction_arg("binary_cross_entropy", a[3], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_binary_cross_entropy(x, t, w, (int)r));
}
static PyObject *f_bce_logits(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "weight", "pos_weight", "reduction", NULL};
    PyObject *a[5];
    PyObject *self = NULL;
    CTPY_PARSE("binary_cross_entropy_with_logits", names, a, NULL);
    ct_tensor *t, *w, *pw;
    int64_t r;
    if (ctpy_tensor_arg("binary_cross_entropy_with_logits", "target", a[1], &t) < 0 ||
        opt_tensor("binary_cross_entropy_with_logits", "weight", a[2], &w) < 0 ||
        opt_tensor("binary_cross_entropy_with_logits", "pos_weight", a[3], &pw) < 0 ||
        reduction_arg("binary_cross_entropy_with_logits", a[4], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_binary_cross_entropy_with_logits(x, t, w, pw, (int)r));
}
static PyObject *f_kl_div(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "reduction", "log_target", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE("kl_div", names, a, NULL);
    ct_tensor *t;
    int64_t r;
    bool lt;
    if (ctpy_tensor_arg("kl_div", "target", a[1], &t) < 0 || reduction_arg("kl_div", a[2], &r) < 0 ||
        ctpy_opt_bool(a[3], false, &lt) < 0)
        return NULL;
    CTPY_RETURN(ct_kl_div(x, t, (int)r, lt));
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_methods[] = {CTPY_METHOD("softmax", softmax), CTPY_METHOD("log_softmax", log_softmax), {NULL}};
PyMethodDef ctpy_nn_functions[] = {
    FAST("conv2d", f_conv2d), FAST("conv1d", f_conv1d), FAST("max_pool2d", f_max_pool2d),
    CTPY_FUNCTION("softmax", softmax), CTPY_FUNCTION("log_softmax", log_softmax), FAST("dropout", f_dropout),
    FAST("batch_norm", f_batch_norm), FAST("layer_norm", f_layer_norm), FAST("_linear", f_linear),
    FAST("_avg_pool2d", f_avg_pool2d), FAST("_adaptive_avg_pool2d", f_adaptive_avg_pool2d),
    FAST("_mse_loss", f_mse_loss), FAST("_l1_loss", f_l1_loss), FAST("_smooth_l1_loss", f_smooth_l1_loss),
    FAST("_huber_loss", f_huber_loss), FAST("_nll_loss", f_nll_loss), FAST("_cross_entropy", f_cross_entropy),
    FAST("_binary_cross_entropy", f_binary_cross_entropy),
    FAST("_binary_cross_entropy_with_logits", f_bce_logits), FAST("_kl_div", f_kl_div), {NULL}};
