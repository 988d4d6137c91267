/* Helpers for hand-written bindings of CUSTOM ops: one impl function taking
 * self (NULL in the torch.NAME form) serves method and function. */
#ifndef CTPY_BIND_H
#define CTPY_BIND_H
#include "ctpy.h"

#define CTPY_IMPL(name) \
    static PyObject *name##_impl(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn)
#define CTPY_WRAPPERS(name)                                                                      \
    __attribute__((unused)) static PyObject *m_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return name##_impl(s, a, n, k);                                                          \
    }                                                                                            \
    __attribute__((unused)) static PyObject *f_##name(PyObject *mod, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return name##_impl(NULL, a, n, k);                                                       \
    }
#define CTPY_METHOD(pyname, name) \
    {pyname, (PyCFunction)(void (*)(void))m_##name, METH_FASTCALL | METH_KEYWORDS, NULL}
#define CTPY_FUNCTION(pyname, name) \
    {pyname, (PyCFunction)(void (*)(void))f_##name, METH_FASTCALL | METH_KEYWORDS, NULL}

/* Parse + fetch the input tensor in slot 0; returns NULL from the caller on error. */
#define CTPY_PARSE(fname, names, a, va)                                                  \
    ct_tensor *x;                                                                        \
    if (ctpy_parse(fname, names, self, args, n, kwn, a, va) < 0) return NULL;           \
    if (ctpy_tensor_arg(fname, self ? "self" : "input", a[0], &x) < 0) return NULL;

/* Optional int argument with default. */
static inline int ctpy_opt_int(const char *f, const char *nm, PyObject *o, int64_t dflt, int64_t *v) {
    if (CTPY_NOARG(o)) {
        *v = dflt;
        return 0;
    }
    return ctpy_int(f, nm, o, v);
}
static inline int ctpy_req_int(const char *f, const char *nm, PyObject *o, int64_t *v) {
    if (!o) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", f, nm);
        return -1;
    }
    return ctpy_int(f, nm, o, v);
}
/* Calls EXPR (a ct_tensor*) in a scope and wraps the result. */
#define CTPY_RETURN(expr)                     \
    do {                                      \
        ct_scope _sc = ct_scope_begin();      \
        return ctpy_finish(_sc, (expr));      \
    } while (0)

#endif

/* ---------------------------------------------------------------- multi-result helpers */
/* A list/tuple of tensors (borrowed pointers) into arr (PyMem_Malloc'd,
 * caller frees); n elements. */
int ctpy_tensor_seq(const char *fname, PyObject *o, ct_tensor ***arr, int *n);
/* Keeps r[0..n), ends the scope, returns a tuple (n < 0: raises). */
PyObject *ctpy_finish_tuple(ct_scope sc, ct_tensor **r, int n);
/* Same, as a torch.return_types.NAME named tuple with the given fields. */
PyObject *ctpy_finish_named(ct_scope sc, const char *name, const char *const *fields, ct_tensor **r,
                            int n);
/* Optional double with default. */
static inline int ctpy_opt_double(const char *f, const char *nm, PyObject *o, double dflt, double *v) {
    if (CTPY_NOARG(o)) {
        *v = dflt;
        return 0;
    }
    return ctpy_double(f, nm, o, v);
}
static inline int ctpy_opt_bool(PyObject *o, bool dflt, bool *v) {
    if (CTPY_NOARG(o)) {
        *v = dflt;
        return 0;
    }
    return ctpy_bool(o, v);
}
/* Optional string (NULL when absent). */
static inline int ctpy_opt_str(const char *f, const char *nm, PyObject *o, const char **s) {
    *s = NULL;
    if (CTPY_NOARG(o)) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be str, not %s", f, nm, Py_TYPE(o)->tp_name);
        return -1;
    }
    *s = PyUnicode_AsUTF8(o);
    return *s ? 0 : -1;
}
/* Writes the out= tensor's values from r (same shape required), returns out. */
PyObject *ctpy_finish_out(ct_scope sc, ct_tensor *r, PyObject *out);
