/* Bindings of include/ctorch/nn_extra.h: the torch.NAME forms PyTorch has
 * (pixel_shuffle, bilinear, the composite losses, with reduction as an
 * int), and private _NAME entry points used by ctorch.nn.functional. */
#include "bind.h"

#include "ctorch/nn_extra.h"

static int opt_tensor(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}

/* Runs EXPR (a ct_tensor *) without the GIL when the input is large, as
 * the conv bindings do, and wraps the result. */
#define RETURN_NOGIL(big, expr)                        \
    do {                                               \
        ct_scope sc_ = ct_scope_begin();               \
        ct_tensor *r_;                                 \
        if (big) {                                     \
            Py_BEGIN_ALLOW_THREADS r_ = (expr);        \
            Py_END_ALLOW_THREADS                       \
        } else                                         \
            r_ = (expr);                               \
        return ctpy_finish(sc_, r_);                   \
    } while (0)

static int reduction_arg(const char *f, PyObject *o, int64_t *r) {
    if (ctpy_opt_int(f, "reduction", o, CT_REDUCTION_MEAN, r) < 0) return -1;
    if (*r < CT_REDUCTION_NONE || *r > CT_REDUCTION_SUM) {
        PyErr_Format(PyExc_ValueError, "%s: %lld is not a valid reduction", f, (long long)*r);
        return -1;
    }
    return 0;
}

/* A list of k ints (k = 1..maxk, or exactly want when want > 0). */
static int sizes_arg(const char *f, const char *nm, PyObject *o, int want, int maxk, int64_t *out, int *k) {
    if (CTPY_NOARG(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' is required", f, nm);
        return -1;
    }
    int64_t v[CT_MAX_DIMS];
    int n;
    if (ctpy_intlist(f, o, NULL, v, &n) < 0) return -1;
    if ((want > 0 && n != want) || (want <= 0 && (n < 1 || n > maxk))) {
        if (want > 0)
            PyErr_Format(PyExc_RuntimeError, "%s: %s must have %d elements, but got %d", f, nm, want, n);
        else
            PyErr_Format(PyExc_RuntimeError, "%s: %s must have 1 to %d elements, but got %d", f, nm, maxk, n);
        return -1;
    }
    for (int i = 0; i < n; i++) out[i] = v[i];
    *k = n;
    return 0;
}

/* None, or a sequence of k floats or Nones (0 = none). */
static int scales_arg(const char *f, PyObject *o, int k, double *out) {
    for (int i = 0; i < k; i++) out[i] = 0;
    if (CTPY_NOARG(o)) return 0;
    PyObject *seq = PySequence_Fast(o, "scales must be a sequence");
    if (!seq) return -1;
    int rc = 0;
    if (PySequence_Fast_GET_SIZE(seq) != k) {
        PyErr_Format(PyExc_RuntimeError, "%s: expected %d scales, got %zd", f, k, PySequence_Fast_GET_SIZE(seq));
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < k; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(seq, i);
        if (e != Py_None && ctpy_double(f, "scales", e, &out[i]) < 0) rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

/* _upsample_nearest(input, output_size, scales=None): 1, 2 or 3 spatial dims. */
static PyObject *f_upsample_nearest(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", "scales", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("upsample_nearest", names, a, NULL);
    int64_t osz[3];
    double sc[3];
    int k;
    if (sizes_arg("upsample_nearest", "output_size", a[1], 0, 3, osz, &k) < 0 ||
        scales_arg("upsample_nearest", a[2], k, sc) < 0)
        return NULL;
    RETURN_NOGIL(x->numel > CTPY_NOGIL_NUMEL, k == 1   ? ct_upsample_nearest1d(x, osz, sc)
                                              : k == 2 ? ct_upsample_nearest2d(x, osz, sc)
                                                       : ct_upsample_nearest3d(x, osz, sc));
}
/* _upsample_nearest_backward(grad_output, input_size, scales=None) */
static PyObject *f_upsample_nearest_backward(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"grad_output", "input_size", "scales", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("upsample_nearest_backward", names, a, NULL);
    int64_t isz[5];
    double sc[3];
    int k;
    if (sizes_arg("upsample_nearest_backward", "input_size", a[1], 0, 5, isz, &k) < 0) return NULL;
    if (k < 3) {
        PyErr_Format(PyExc_RuntimeError, "upsample_nearest_backward: input_size must have 3 to 5 elements, but got %d", k);
        return NULL;
    }
    if (scales_arg("upsample_nearest_backward", a[2], k - 2, sc) < 0) return NULL;
    RETURN_NOGIL(x->numel > CTPY_NOGIL_NUMEL, k == 3   ? ct_upsample_nearest1d_backward(x, isz, sc)
                                              : k == 4 ? ct_upsample_nearest2d_backward(x, isz, sc)
                                                       : ct_upsample_nearest3d_backward(x, isz, sc));
}
/* _upsample_bilinear2d(input, output_size, align_corners, scales=None) and
 * _upsample_bilinear2d_backward(grad_output, input_size, align_corners,
 * scales=None): one body, sizes of `want` elements for fn. */
typedef ct_tensor *(*bilinear2d_fn)(const ct_tensor *, const int64_t *, bool, const double *);
static PyObject *bilinear2d_call(const char *f, const char *const *names, int want, bilinear2d_fn fn,
                                 PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    int64_t sz[4];
    double sc[2];
    int k;
    bool ac;
    if (sizes_arg(f, names[1], a[1], want, want, sz, &k) < 0 || ctpy_opt_bool(a[2], false, &ac) < 0 ||
        scales_arg(f, a[3], 2, sc) < 0)
        return NULL;
    RETURN_NOGIL(x->numel > CTPY_NOGIL_NUMEL, fn(x, sz, ac, sc));
}
static PyObject *f_upsample_bilinear2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", "align_corners", "scales", NULL};
    return bilinear2d_call("upsample_bilinear2d", names, 2, ct_upsample_bilinear2d, args, n, kwn);
}
static PyObject *f_upsample_bilinear2d_backward(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"grad_output", "input_size", "align_corners", "scales", NULL};
    return bilinear2d_call("upsample_bilinear2d_backward", names, 4, ct_upsample_bilinear2d_backward, args, n,
                           kwn);
}

/* pixel_shuffle(input, upscale_factor) and pixel_unshuffle(input,
 * downscale_factor): one body. */
static PyObject *factor_call(const char *f, const char *const *names, ct_tensor *(*fn)(const ct_tensor *, int64_t),
                             PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    int64_t r;
    if (ctpy_req_int(f, names[1], a[1], &r) < 0) return NULL;
    CTPY_RETURN(fn(x, r));
}
static PyObject *f_pixel_shuffle(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "upscale_factor", NULL};
    return factor_call("pixel_shuffle", names, ct_pixel_shuffle, args, n, kwn);
}
static PyObject *f_pixel_unshuffle(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "downscale_factor", NULL};
    return factor_call("pixel_unshuffle", names, ct_pixel_unshuffle, args, n, kwn);
}
static PyObject *f_one_hot(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "num_classes", NULL};
    PyObject *a[2];
    PyObject *self = NULL;
    CTPY_PARSE("one_hot", names, a, NULL);
    int64_t c;
    if (ctpy_opt_int("one_hot", "num_classes", a[1], -1, &c) < 0) return NULL;
    CTPY_RETURN(ct_one_hot(x, c));
}
/* _max_unpool2d(input, indices, output_size) */
static PyObject *f_max_unpool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "indices", "output_size", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("max_unpool2d", names, a, NULL);
    ct_tensor *idx;
    int64_t osz[CT_MAX_DIMS];
    int k;
    if (ctpy_tensor_arg("max_unpool2d", "indices", a[1], &idx) < 0) return NULL;
    if (CTPY_NOARG(a[2]) || ctpy_intlist("max_unpool2d", a[2], NULL, osz, &k) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "max_unpool2d(): argument 'output_size' is required");
        return NULL;
    }
    if (k != 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "There should be exactly two elements (height, width) in output_size, but got %d elements.", k);
        return NULL;
    }
    RETURN_NOGIL(x->numel > CTPY_NOGIL_NUMEL, ct_max_unpool2d(x, idx, osz));
}
static PyObject *f_bilinear(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input1", "input2", "weight", "bias", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    CTPY_PARSE("bilinear", names, a, NULL);
    ct_tensor *x2, *w, *b;
    if (ctpy_tensor_arg("bilinear", "input2", a[1], &x2) < 0 || ctpy_tensor_arg("bilinear", "weight", a[2], &w) < 0 ||
        opt_tensor("bilinear", "bias", a[3], &b) < 0)
        return NULL;
    CTPY_RETURN(ct_bilinear(x, x2, w, b));
}

/* ---------------------------------------------------------------- losses */
/* margin_ranking_loss and cosine_embedding_loss: (input1, input2, target,
 * margin=0, reduction=mean), one body. */
typedef ct_tensor *(*pair_margin_fn)(const ct_tensor *, const ct_tensor *, const ct_tensor *, double, int);
static PyObject *pair_margin_call(const char *f, pair_margin_fn fn, PyObject *const *args, Py_ssize_t n,
                                  PyObject *kwn) {
    static const char *const names[] = {"input1", "input2", "target", "margin", "reduction", NULL};
    PyObject *a[5];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *x2, *t;
    double mg;
    int64_t r;
    if (ctpy_tensor_arg(f, "input2", a[1], &x2) < 0 || ctpy_tensor_arg(f, "target", a[2], &t) < 0 ||
        ctpy_opt_double(f, "margin", a[3], 0, &mg) < 0 || reduction_arg(f, a[4], &r) < 0)
        return NULL;
    CTPY_RETURN(fn(x, x2, t, mg, (int)r));
}
static PyObject *f_margin_ranking_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return pair_margin_call("margin_ranking_loss", ct_margin_ranking_loss, args, n, kwn);
}
static PyObject *f_triplet_margin_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"anchor", "positive", "negative", "margin", "p", "eps", "swap", "reduction", NULL};
    PyObject *a[8];
    PyObject *self = NULL;
    const char *f = "triplet_margin_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *pos, *neg;
    double mg, p, eps;
    bool swap;
    int64_t r;
    if (ctpy_tensor_arg(f, "positive", a[1], &pos) < 0 || ctpy_tensor_arg(f, "negative", a[2], &neg) < 0 ||
        ctpy_opt_double(f, "margin", a[3], 1.0, &mg) < 0 || ctpy_opt_double(f, "p", a[4], 2.0, &p) < 0 ||
        ctpy_opt_double(f, "eps", a[5], 1e-6, &eps) < 0 || ctpy_opt_bool(a[6], false, &swap) < 0 ||
        reduction_arg(f, a[7], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_triplet_margin_loss(x, pos, neg, mg, p, eps, swap, (int)r));
}
static PyObject *f_cosine_embedding_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return pair_margin_call("cosine_embedding_loss", ct_cosine_embedding_loss, args, n, kwn);
}
static PyObject *f_hinge_embedding_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "margin", "reduction", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    const char *f = "hinge_embedding_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t;
    double mg;
    int64_t r;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || ctpy_opt_double(f, "margin", a[2], 1.0, &mg) < 0 ||
        reduction_arg(f, a[3], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_hinge_embedding_loss(x, t, mg, (int)r));
}
static PyObject *f_poisson_nll_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "log_input", "full", "eps", "reduction", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    const char *f = "poisson_nll_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t;
    bool li, full;
    double eps;
    int64_t r;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || ctpy_opt_bool(a[2], true, &li) < 0 ||
        ctpy_opt_bool(a[3], false, &full) < 0 || ctpy_opt_double(f, "eps", a[4], 1e-8, &eps) < 0 ||
        reduction_arg(f, a[5], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_poisson_nll_loss(x, t, li, full, eps, (int)r));
}
/* _soft_margin_loss and _multilabel_margin_loss: (input, target,
 * reduction=mean), one body. */
static PyObject *target_loss_call(const char *f, ct_tensor *(*fn)(const ct_tensor *, const ct_tensor *, int),
                                  PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "reduction", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t;
    int64_t r;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || reduction_arg(f, a[2], &r) < 0) return NULL;
    CTPY_RETURN(fn(x, t, (int)r));
}
static PyObject *f_soft_margin_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return target_loss_call("soft_margin_loss", ct_soft_margin_loss, args, n, kwn);
}
static PyObject *f_multilabel_soft_margin_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "weight", "reduction", NULL};
    PyObject *a[4];
    PyObject *self = NULL;
    const char *f = "multilabel_soft_margin_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t, *w;
    int64_t r;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || opt_tensor(f, "weight", a[2], &w) < 0 ||
        reduction_arg(f, a[3], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_multilabel_soft_margin_loss(x, t, w, (int)r));
}
static PyObject *f_gaussian_nll_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "var", "full", "eps", "reduction", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    const char *f = "gaussian_nll_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t, *v;
    bool full;
    double eps;
    int64_t r;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || ctpy_tensor_arg(f, "var", a[2], &v) < 0 ||
        ctpy_opt_bool(a[3], false, &full) < 0 || ctpy_opt_double(f, "eps", a[4], 1e-6, &eps) < 0 ||
        reduction_arg(f, a[5], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_gaussian_nll_loss(x, t, v, full, eps, (int)r));
}
static PyObject *f_multi_margin_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "target", "p", "margin", "weight", "reduction", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    const char *f = "multi_margin_loss";
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *t, *w;
    int64_t p, r;
    double mg;
    if (ctpy_tensor_arg(f, "target", a[1], &t) < 0 || ctpy_opt_int(f, "p", a[2], 1, &p) < 0 ||
        ctpy_opt_double(f, "margin", a[3], 1.0, &mg) < 0 || opt_tensor(f, "weight", a[4], &w) < 0 ||
        reduction_arg(f, a[5], &r) < 0)
        return NULL;
    CTPY_RETURN(ct_multi_margin_loss(x, t, p, mg, w, (int)r));
}
static PyObject *f_multilabel_margin_loss(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return target_loss_call("multilabel_margin_loss", ct_multilabel_margin_loss, args, n, kwn);
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_extra_functions[] = {
    FAST("_upsample_nearest", f_upsample_nearest),
    FAST("_upsample_nearest_backward", f_upsample_nearest_backward),
    FAST("_upsample_bilinear2d", f_upsample_bilinear2d),
    FAST("_upsample_bilinear2d_backward", f_upsample_bilinear2d_backward),
    FAST("pixel_shuffle", f_pixel_shuffle),
    FAST("pixel_unshuffle", f_pixel_unshuffle),
    FAST("_one_hot", f_one_hot),
    FAST("_max_unpool2d", f_max_unpool2d),
    FAST("bilinear", f_bilinear),
    FAST("margin_ranking_loss", f_margin_ranking_loss),
    FAST("triplet_margin_loss", f_triplet_margin_loss),
    FAST("cosine_embedding_loss", f_cosine_embedding_loss),
    FAST("hinge_embedding_loss", f_hinge_embedding_loss),
    FAST("poisson_nll_loss", f_poisson_nll_loss),
    FAST("_soft_margin_loss", f_soft_margin_loss),
    FAST("_multilabel_soft_margin_loss", f_multilabel_soft_margin_loss),
    FAST("_gaussian_nll_loss", f_gaussian_nll_loss),
    FAST("_multi_margin_loss", f_multi_margin_loss),
    FAST("_multilabel_margin_loss", f_multilabel_margin_loss),
    {NULL}};
