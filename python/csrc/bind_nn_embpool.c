/* Bindings of include/ctorch/nn_embpool.h: private _NAME entry points used by
 * ctorch.nn.functional (which resolves PyTorch's defaults, the negative
 * padding_idx, warnings and the return_indices tuples). */
#include "bind.h"

#include <math.h>

#include "ctorch/nn_embpool.h"

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}

static int opt_tensor(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}
/* None -> CT_NO_PADDING_IDX */
static int opt_pad(const char *f, PyObject *o, int64_t *v) {
    if (CTPY_NOARG(o)) {
        *v = CT_NO_PADDING_IDX;
        return 0;
    }
    return ctpy_int(f, "padding_idx", o, v);
}

/* _embedding(weight, input, padding_idx=None, max_norm=None, norm_type=2.0,
 *            scale_grad_by_freq=False, sparse=False) */
static PyObject *f_embedding(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"weight",    "input", "padding_idx", "max_norm", "norm_type",
                                        "scale_grad_by_freq", "sparse", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("embedding", names, a, NULL);
    ct_tensor *idx;
    int64_t pad;
    double mn, nt;
    bool sc_, sp;
    if (ctpy_tensor_arg("embedding", "input", a[1], &idx) < 0 || opt_pad("embedding", a[2], &pad) < 0 ||
        ctpy_opt_double("embedding", "max_norm", a[3], NAN, &mn) < 0 ||
        ctpy_opt_double("embedding", "norm_type", a[4], 2.0, &nt) < 0 || ctpy_opt_bool(a[5], false, &sc_) < 0 ||
        ctpy_opt_bool(a[6], false, &sp) < 0)
        return NULL;
    CTPY_RETURN(ct_embedding_ex(x, idx, pad, mn, nt, sc_, sp));
}

/* _embedding_bag(weight, input, offsets, mode (0 sum, 1 mean, 2 max),
 *                per_sample_weights, include_last_offset, padding_idx,
 *                max_norm, norm_type, scale_grad_by_freq, sparse) */
static PyObject *f_embedding_bag(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"weight",    "input",     "offsets", "mode", "per_sample_weights",
                                        "include_last_offset", "padding_idx", "max_norm", "norm_type",
                                        "scale_grad_by_freq", "sparse", NULL};
    PyObject *a[11];
    PyObject *self = NULL;
    CTPY_PARSE("embedding_bag", names, a, NULL);
    ct_tensor *idx, *off, *psw;
    int64_t mode, pad;
    double mn, nt;
    bool ilo, sc_, sp;
    if (ctpy_tensor_arg("embedding_bag", "input", a[1], &idx) < 0 ||
        opt_tensor("embedding_bag", "offsets", a[2], &off) < 0 ||
        ctpy_opt_int("embedding_bag", "mode", a[3], 1, &mode) < 0 ||
        opt_tensor("embedding_bag", "per_sample_weights", a[4], &psw) < 0 || ctpy_opt_bool(a[5], false, &ilo) < 0 ||
        opt_pad("embedding_bag", a[6], &pad) < 0 ||
        ctpy_opt_double("embedding_bag", "max_norm", a[7], NAN, &mn) < 0 ||
        ctpy_opt_double("embedding_bag", "norm_type", a[8], 2.0, &nt) < 0 || ctpy_opt_bool(a[9], false, &sc_) < 0 ||
        ctpy_opt_bool(a[10], false, &sp) < 0)
        return NULL;
    CTPY_RETURN(ct_embedding_bag(x, idx, off, (int)mode, psw, ilo, pad, mn, nt, sc_, sp, NULL));
}

/* _max_pool1d(input, kernel, stride, padding, dilation, ceil_mode, return_indices) */
static PyObject *f_max_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input",    "kernel_size", "stride",         "padding",
                                        "dilation", "ceil_mode",   "return_indices", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("max_pool1d", names, a, NULL);
    int64_t k, s, p, d;
    bool cm, ri;
    if (ctpy_req_int("max_pool1d", "kernel_size", a[1], &k) < 0 || ctpy_opt_int("max_pool1d", "stride", a[2], k, &s) < 0 ||
        ctpy_opt_int("max_pool1d", "padding", a[3], 0, &p) < 0 || ctpy_opt_int("max_pool1d", "dilation", a[4], 1, &d) < 0 ||
        ctpy_opt_bool(a[5], false, &cm) < 0 || ctpy_opt_bool(a[6], false, &ri) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2] = {NULL, NULL};
    r[0] = ct_max_pool1d(x, k, s, p, d, cm, ri ? &r[1] : NULL);
    if (!ri) return ctpy_finish(sc, r[0]);
    return ctpy_finish_tuple(sc, r, r[0] ? 2 : -1);
}

/* _avg_pool1d(input, kernel, stride, padding, ceil_mode, count_include_pad) */
static PyObject *f_avg_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "kernel_size", "stride", "padding", "ceil_mode",
                                        "count_include_pad", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    CTPY_PARSE("avg_pool1d", names, a, NULL);
    int64_t k, s, p;
    bool cm, cip;
    if (ctpy_req_int("avg_pool1d", "kernel_size", a[1], &k) < 0 || ctpy_opt_int("avg_pool1d", "stride", a[2], k, &s) < 0 ||
        ctpy_opt_int("avg_pool1d", "padding", a[3], 0, &p) < 0 || ctpy_opt_bool(a[4], false, &cm) < 0 ||
        ctpy_opt_bool(a[5], true, &cip) < 0)
        return NULL;
    CTPY_RETURN(ct_avg_pool1d(x, k, s, p, cm, cip));
}

/* _adaptive_avg_pool1d(input, output_size) */
static PyObject *f_adaptive_avg_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", NULL};
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE("adaptive_avg_pool1d", names, a, NULL);
    int64_t o;
    if (ctpy_req_int("adaptive_avg_pool1d", "output_size", a[1], &o) < 0) return NULL;
    CTPY_RETURN(ct_adaptive_avg_pool1d(x, o));
}

/* _adaptive_max_pool1d(input, output_size, return_indices=False) */
static PyObject *f_adaptive_max_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", "return_indices", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("adaptive_max_pool1d", names, a, NULL);
    int64_t o;
    bool ri;
    if (ctpy_req_int("adaptive_max_pool1d", "output_size", a[1], &o) < 0 || ctpy_opt_bool(a[2], false, &ri) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2] = {NULL, NULL};
    r[0] = ct_adaptive_max_pool1d(x, o, ri ? &r[1] : NULL);
    if (!ri) return ctpy_finish(sc, r[0]);
    return ctpy_finish_tuple(sc, r, r[0] ? 2 : -1);
}

/* _feature_dropout(input, kind, p, training, inplace): kind 1, 2, 3 =
 * dropout1d/2d/3d, 4 alpha_dropout, 5 feature_alpha_dropout. */
static PyObject *f_feature_dropout(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "kind", "p", "training", "inplace", NULL};
    PyObject *a[5];
    PyObject *self = NULL;
    CTPY_PARSE("feature_dropout", names, a, NULL);
    int64_t kind;
    double p;
    bool tr, ip;
    if (ctpy_req_int("feature_dropout", "kind", a[1], &kind) < 0 ||
        ctpy_opt_double("feature_dropout", "p", a[2], 0.5, &p) < 0 || ctpy_opt_bool(a[3], true, &tr) < 0 ||
        ctpy_opt_bool(a[4], false, &ip) < 0)
        return NULL;
    typedef ct_tensor *(*fn)(const ct_tensor *, double, bool, ct_generator *);
    typedef ct_tensor *(*fn_)(ct_tensor *, double, bool, ct_generator *);
    static const fn outs[] = {NULL, ct_dropout1d, ct_dropout2d, ct_dropout3d, ct_alpha_dropout,
                              ct_feature_alpha_dropout};
    static const fn_ ins[] = {NULL, ct_dropout1d_, ct_dropout2d_, ct_dropout3d_, ct_alpha_dropout_,
                              ct_feature_alpha_dropout_};
    if (kind < 1 || kind > 5) {
        PyErr_Format(PyExc_ValueError, "feature_dropout: bad kind %lld", (long long)kind);
        return NULL;
    }
    if (!ip) CTPY_RETURN(outs[kind](x, p, tr, NULL));
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ins[kind](x, p, tr, NULL);
    if (!r) return ctpy_finish(sc, NULL);
    ct_scope_end(sc);
    Py_INCREF(a[0]);
    return a[0];
}

PyMethodDef ctpy_nn_embpool_functions[] = {
    FAST("_embedding", f_embedding),
    FAST("_embedding_bag", f_embedding_bag),
    FAST("_max_pool1d", f_max_pool1d),
    FAST("_avg_pool1d", f_avg_pool1d),
    FAST("_adaptive_avg_pool1d", f_adaptive_avg_pool1d),
    FAST("_adaptive_max_pool1d", f_adaptive_max_pool1d),
    FAST("_feature_dropout", f_feature_dropout),
    {NULL}};
