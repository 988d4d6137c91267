/* Tensor factories: torch.zeros/ones/full/empty and the *_like forms. */
#include "bind.h"

/* Common keywords: dtype, device, requires_grad, out (slots 1..4 of a[]). */
/* like: the *_like forms lay the result out as like (preserve_format). */
static PyObject *make(const char *fname, const int64_t *sizes, int nd, PyObject *fill, ct_dtype dt,
                      PyObject *const *kw, const ct_tensor *like) {
    bool rg = false;
    ct_device dev;
    if (ctpy_device_usable(kw[1], &dev) < 0) return NULL;
    if (kw[2] && ctpy_bool(kw[2], &rg) < 0) return NULL;
    if (rg && !ct_dtype_is_floating(dt)) {
        PyErr_SetString(PyExc_RuntimeError, "Only Tensors of floating point and complex dtype can require gradients");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (!CTPY_NOARG(kw[3])) {
        if (ctpy_tensor_arg(fname, "out", kw[3], &r) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        char b1[160], b2[160];
        if (r->ndim != nd || memcmp(r->sizes, sizes, sizeof(int64_t) * (size_t)nd) != 0) {
            ct_scope_end(sc);
            PyErr_Format(PyExc_RuntimeError, "%s: out= has shape %s but the result has shape %s", fname,
                         ct_shape_str(r->sizes, r->ndim, b1, sizeof b1), ct_shape_str(sizes, nd, b2, sizeof b2));
            return NULL;
        }
    } else if (like && ct_tensor_device(like).type == CT_CPU)
        r = ct_empty_like_dtype(like, dt);
    else
        r = ct_empty(sizes, nd, dt);
    if (r && fill) {
        ct_tensor *v = ctpy_scalar(fill);
        if (!v) {
            ct_scope_end(sc);
            return NULL;
        }
        bool big = r->numel > CTPY_NOGIL_NUMEL;
        if (big) {
            Py_BEGIN_ALLOW_THREADS r = ct_copy_(r, v);
            Py_END_ALLOW_THREADS
        } else
            r = ct_copy_(r, v);
    }
    /* created on the CPU, then placed (one copy) */
    if (r && dev.type != CT_CPU && CTPY_NOARG(kw[3])) r = ct_to_device(r, dev);
    if (r && rg) r->requires_grad = true;
    return ctpy_finish(sc, r);
}

static PyObject *sized(const char *fname, PyObject *fill_default, bool has_fill, PyObject *const *args,
                       Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"+size", "*", "dtype", "device", "requires_grad", "out",
                                        "layout", "pin_memory", NULL};
    static const char *const fnames[] = {"size", "fill_value", "*", "dtype", "device", "requires_grad",
                                         "out", "layout", "pin_memory", NULL};
    PyObject *a[8];
    ctpy_va va;
    PyObject *fill = fill_default;
    PyObject *const *kw;
    int64_t s[CT_MAX_DIMS];
    int nd;
    if (has_fill) {
        if (ctpy_parse(fname, fnames, NULL, args, n, kwn, a, NULL) < 0) return NULL;
        if (!a[0] || !a[1]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required arguments 'size' and 'fill_value'", fname);
            return NULL;
        }
        if (ctpy_intlist(fname, a[0], NULL, s, &nd) < 0) return NULL;
        fill = a[1];
        kw = a + 2;
    } else {
        if (ctpy_parse(fname, names, NULL, args, n, kwn, a, &va) < 0) return NULL;
        if (ctpy_shape(fname, a[0], &va, s, &nd) < 0) return NULL;
        kw = a + 1;
    }
    ct_dtype dt = ct_default_dtype();
    bool given;
    if (ctpy_opt_dtype(kw[0], &dt, &given) < 0) return NULL;
    if (!given && has_fill) { /* full(): dtype from the fill value, as PyTorch */
        if (PyBool_Check(fill)) dt = CT_BOOL;
        else if (PyLong_Check(fill)) dt = CT_INT64;
    }
    return make(fname, s, nd, fill, dt, kw, NULL);
}

static PyObject *like(const char *fname, PyObject *fill_default, bool has_fill, PyObject *const *args,
                      Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "*", "dtype", "device", "requires_grad", "out",
                                        "layout", "memory_format", "pin_memory", NULL};
    static const char *const fnames[] = {"input", "fill_value", "*", "dtype", "device", "requires_grad",
                                         "out", "layout", "memory_format", "pin_memory", NULL};
    PyObject *a[10];
    if (ctpy_parse(fname, has_fill ? fnames : names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *x;
    if (ctpy_tensor_arg(fname, "input", a[0], &x) < 0) return NULL;
    PyObject *fill = has_fill ? a[1] : fill_default;
    if (has_fill && !fill) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'fill_value'", fname);
        return NULL;
    }
    PyObject *const *kw = a + (has_fill ? 2 : 1);
    ct_dtype dt = x->dtype;
    bool given;
    if (ctpy_opt_dtype(kw[0], &dt, &given) < 0) return NULL;
    return make(fname, x->sizes, x->ndim, fill, dt, kw, x);
}

static PyObject *zero_obj, *one_obj;
#define SIZED(name, fillobj, hasfill)                                                        \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return sized(#name, fillobj, hasfill, a, n, k);                                     \
    }
#define LIKE(name, fillobj, hasfill)                                                         \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return like(#name, fillobj, hasfill, a, n, k);                                      \
    }
SIZED(zeros, zero_obj, false)
SIZED(ones, one_obj, false)
SIZED(empty, NULL, false)
SIZED(full, NULL, true)
LIKE(zeros_like, zero_obj, false)
LIKE(ones_like, one_obj, false)
LIKE(empty_like, NULL, false)
LIKE(full_like, NULL, true)

/* Tensor.new_zeros(size) & co: dtype of self unless given. */
static PyObject *new_sized(const char *fname, PyObject *self, PyObject *fill, bool has_fill,
                           PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    PyObject *kwd = NULL;
    ct_dtype dt = CTPY_T(self)->dtype;
    /* default the dtype to self's by passing it as a keyword when absent */
    bool has_dtype = false;
    if (kwn)
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwn); i++)
            if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwn, i), "dtype") == 0) has_dtype = true;
    if (has_dtype) return sized(fname, fill, has_fill, args, n, kwn);
    Py_ssize_t nk = kwn ? PyTuple_GET_SIZE(kwn) : 0;
    PyObject **a2 = PyMem_Malloc(sizeof(PyObject *) * (size_t)(n + nk + 1));
    kwd = PyTuple_New(nk + 1);
    if (!a2 || !kwd) {
        PyMem_Free(a2);
        Py_XDECREF(kwd);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n + nk; i++) a2[i] = args[i];
    a2[n + nk] = ctpy_dtypes[dt];
    for (Py_ssize_t i = 0; i < nk; i++) {
        Py_INCREF(PyTuple_GET_ITEM(kwn, i));
        PyTuple_SET_ITEM(kwd, i, PyTuple_GET_ITEM(kwn, i));
    }
    PyTuple_SET_ITEM(kwd, nk, PyUnicode_FromString("dtype"));
    PyObject *r = sized(fname, fill, has_fill, a2, n, kwd);
    PyMem_Free(a2);
    Py_DECREF(kwd);
    return r;
}
#define NEW(name, fillobj, hasfill)                                                          \
    static PyObject *m_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return new_sized(#name, s, fillobj, hasfill, a, n, k);                              \
    }
NEW(new_zeros, zero_obj, false)
NEW(new_ones, one_obj, false)
NEW(new_empty, NULL, false)
NEW(new_full, NULL, true)

static PyObject *m_new_tensor(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"data", "*", "dtype", "device", "requires_grad", NULL};
    PyObject *a[4];
    if (ctpy_parse("new_tensor", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_dtype dt = CTPY_T(self)->dtype;
    bool given, rg = false;
    if (!a[0]) {
        PyErr_SetString(PyExc_TypeError, "new_tensor() missing required argument 'data'");
        return NULL;
    }
    if (ctpy_opt_dtype(a[1], &dt, &given) < 0 || ctpy_check_device(a[2]) < 0) return NULL;
    if (a[3] && ctpy_bool(a[3], &rg) < 0) return NULL;
    ct_tensor *r = ctpy_from_data(a[0], dt, true);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    r->requires_grad = rg;
    return ctpy_wrap(r);
}

#define FN(name) {#name, (PyCFunction)(void (*)(void))f_##name, METH_FASTCALL | METH_KEYWORDS, NULL}
#define MT(name) {#name, (PyCFunction)(void (*)(void))m_##name, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_factory_functions[] = {FN(zeros), FN(ones), FN(empty), FN(full), FN(zeros_like),
                                        FN(ones_like), FN(empty_like), FN(full_like), {NULL}};
PyMethodDef ctpy_factory_methods[] = {MT(new_zeros), MT(new_ones), MT(new_empty), MT(new_full),
                                      MT(new_tensor), {NULL}};

int ctpy_factory_init(PyObject *m) {
    zero_obj = PyLong_FromLong(0);
    one_obj = PyLong_FromLong(1);
    return zero_obj && one_obj ? 0 : -1;
}

