/* Bindings of include/ctorch/nn_pool2.h: private _NAME entry points used by
 * ctorch.nn.functional (which resolves None entries of output_size). */
#include "bind.h"

#include "ctorch/nn_pool2.h"

/* _adaptive_max_pool2d(input, output_size (two ints), return_indices=False) */
static PyObject *f_adaptive_max_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "output_size", "return_indices", NULL};
    PyObject *a[3];
    PyObject *self = NULL;
    CTPY_PARSE("adaptive_max_pool2d", names, a, NULL);
    int64_t osz[CT_MAX_DIMS];
    int k;
    bool ri;
    if (CTPY_NOARG(a[1]) || ctpy_intlist("adaptive_max_pool2d", a[1], NULL, osz, &k) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "adaptive_max_pool2d(): argument 'output_size' is required");
        return NULL;
    }
    if (k != 2) {
        PyErr_SetString(PyExc_RuntimeError, "adaptive_max_pool2d(): internal error: output_size.size() must be 2");
        return NULL;
    }
    if (ctpy_opt_bool(a[2], false, &ri) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2] = {NULL, NULL};
    r[0] = ct_adaptive_max_pool2d(x, osz, ri ? &r[1] : NULL);
    if (!ri) return ctpy_finish(sc, r[0]);
    return ctpy_finish_tuple(sc, r, r[0] ? 2 : -1);
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_pool2_functions[] = {
    FAST("_adaptive_max_pool2d", f_adaptive_max_pool2d),
    {NULL}};
