/* Bindings of include/ctorch/ctc.h: ctorch._C._ctc_loss (private,
 * positional; ctorch.nn.functional.ctc_loss turns length tensors into
 * lists and the reduction string into its number). */
#include "bind.h"

#include "ctorch/ctc.h"

/* A sequence of ints into a PyMem buffer (*out NULL when empty). */
static int int_seq(const char *nm, PyObject *o, int64_t **out, int64_t *n) {
    *out = NULL;
    PyObject *seq = PySequence_Fast(o, "ctc_loss: lengths must be a sequence of ints or a tensor");
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    int64_t *v = PyMem_Malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    if (!v) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *ix = PyNumber_Index(PySequence_Fast_GET_ITEM(seq, i));
        if (!ix) {
            PyErr_Format(PyExc_TypeError, "ctc_loss(): %s must hold ints", nm);
            Py_DECREF(seq);
            PyMem_Free(v);
            return -1;
        }
        v[i] = PyLong_AsLongLong(ix);
        Py_DECREF(ix);
    }
    Py_DECREF(seq);
    if (PyErr_Occurred()) {
        PyMem_Free(v);
        return -1;
    }
    *out = v;
    *n = k;
    return 0;
}

/* _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity) */
static PyObject *f_ctc_loss(PyObject *m, PyObject *args) {
    PyObject *lo, *to, *io, *tlo;
    long long blank;
    int red, zi;
    if (!PyArg_ParseTuple(args, "OOOOLip:_ctc_loss", &lo, &to, &io, &tlo, &blank, &red, &zi)) return NULL;
    ct_tensor *lp, *tg;
    if (ctpy_tensor_arg("ctc_loss", "log_probs", lo, &lp) < 0 || ctpy_tensor_arg("ctc_loss", "targets", to, &tg) < 0)
        return NULL;
    int64_t *il, *tl, nil, ntl;
    if (int_seq("input_lengths", io, &il, &nil) < 0) return NULL;
    if (int_seq("target_lengths", tlo, &tl, &ntl) < 0) {
        PyMem_Free(il);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    Py_BEGIN_ALLOW_THREADS r = ct_ctc_loss(lp, tg, il, nil, tl, ntl, blank, red, zi);
    Py_END_ALLOW_THREADS
    PyMem_Free(il);
    PyMem_Free(tl);
    return ctpy_finish(sc, r);
}

PyMethodDef ctpy_ctc_functions[] = {
    {"_ctc_loss", (PyCFunction)f_ctc_loss, METH_VARARGS, NULL},
    {NULL}};
