/* Tensor.__getitem__ / __setitem__. Basic indexing (ints, slices, None,
 * Ellipsis) is a chain of view ops; advanced indexing (tensors, lists,
 * bools) goes to the index family's C API. */
#include "ctpy.h"

static int is_advanced(PyObject *o) {
    if (PyBool_Check(o)) return 1;
    if (ctpy_Tensor_Check(o)) return 1;
    if (PyList_Check(o)) return 1;
    if (PySlice_Check(o) || o == Py_None || o == Py_Ellipsis) return 0;
    if (PyIndex_Check(o)) return 0;
    return PySequence_Check(o) || PyObject_CheckBuffer(o);
}

/* Returns an owned view for basic indices; *advanced set when the index
 * needs the advanced path (nothing returned then). */
static ct_tensor *basic_index(ct_tensor *t, PyObject *idx, int *advanced) {
    PyObject *const *items;
    Py_ssize_t n;
    PyObject *single = idx;
    if (PyTuple_Check(idx)) {
        items = &PyTuple_GET_ITEM(idx, 0);
        n = PyTuple_GET_SIZE(idx);
    } else {
        items = &single;
        n = 1;
    }
    int consuming = 0, ellipsis = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = items[i];
        if (is_advanced(o)) {
            *advanced = 1;
            return NULL;
        }
        if (o == Py_Ellipsis) ellipsis++;
        else if (o != Py_None) consuming++;
    }
    if (ellipsis > 1) {
        PyErr_SetString(PyExc_IndexError, "an index can only have a single ellipsis ('...')");
        return NULL;
    }
    if (consuming > t->ndim) {
        PyErr_Format(PyExc_IndexError, "too many indices for tensor of dimension %d", t->ndim);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *cur = t;
    int dim = 0;
    for (Py_ssize_t i = 0; i < n && cur; i++) {
        PyObject *o = items[i];
        if (o == Py_None) {
            cur = ct_unsqueeze(cur, dim);
            dim++;
        } else if (o == Py_Ellipsis) {
            dim += t->ndim - consuming;
        } else if (PySlice_Check(o)) {
            Py_ssize_t start, stop, step;
            if (PySlice_Unpack(o, &start, &stop, &step) < 0) {
                cur = NULL;
                break;
            }
            if (step <= 0) {
                PyErr_SetString(PyExc_ValueError, "step must be greater than zero");
                cur = NULL;
                break;
            }
            int64_t len = cur->sizes[dim];
            PySlice_AdjustIndices((Py_ssize_t)len, &start, &stop, step);
            if (!(start == 0 && stop == len && step == 1))
                cur = ct_slice(cur, dim, start, stop < start ? start : stop, step);
            dim++;
        } else {
            int64_t v;
            v = PyLong_AsLongLong(o);
            if (v == -1 && PyErr_Occurred()) {
                cur = NULL;
                break;
            }
            int64_t size = cur->sizes[dim];
            if (v < -size || v >= size) {
                PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for dimension %d with size %lld",
                             (long long)v, dim, (long long)size);
                cur = NULL;
                break;
            }
            cur = ct_select(cur, dim, v);
        }
    }
    if (cur == t) cur = ct_alias(t);
    if (cur) ct_keep(cur);
    ct_scope_end(sc);
    if (!cur && !PyErr_Occurred()) ctpy_raise();
    return cur;
}

/* Advanced indexing through the index family, when it is part of the build. */
static ct_tensor *advanced_get(ct_tensor *t, PyObject *idx) {
    (void)t;
    (void)idx;
    PyErr_SetString(PyExc_NotImplementedError,
                    "indexing with tensors, lists or bools needs the index family (ct_index_get), "
                    "not in this build yet");
    return NULL;
}
static int advanced_set(ct_tensor *t, PyObject *idx, ct_tensor *v) {
    (void)t;
    (void)idx;
    (void)v;
    PyErr_SetString(PyExc_NotImplementedError,
                    "indexed assignment with tensors, lists or bools needs the index family "
                    "(ct_index_set), not in this build yet");
    return -1;
}

PyObject *ctpy_getitem(PyObject *self, PyObject *idx) {
    ct_tensor *t = CTPY_T(self);
    int adv = 0;
    ct_tensor *r = basic_index(t, idx, &adv);
    if (adv) r = advanced_get(t, idx);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    return ctpy_wrap(r);
}

int ctpy_setitem(PyObject *self, PyObject *idx, PyObject *val) {
    if (!val) {
        PyErr_SetString(PyExc_TypeError, "Tensor does not support item deletion");
        return -1;
    }
    ct_tensor *t = CTPY_T(self);
    ct_scope sc = ct_scope_begin();
    ct_tensor *v = NULL;
    int rc = -1;
    if (ctpy_Tensor_Check(val)) v = CTPY_T(val);
    else if (ctpy_is_number(val)) v = ctpy_scalar(val);
    else {
        ct_tensor *d = ctpy_from_data(val, t->dtype, true);
        v = d ? ct_autorelease(d) : NULL;
    }
    if (v) {
        int adv = 0;
        ct_tensor *view = basic_index(t, idx, &adv);
        if (adv) rc = advanced_set(t, idx, v);
        else if (view) {
            bool big = view->numel > CTPY_NOGIL_NUMEL;
            ct_tensor *r;
            if (big) {
                Py_BEGIN_ALLOW_THREADS r = ct_copy_(view, v);
                Py_END_ALLOW_THREADS
            } else
                r = ct_copy_(view, v);
            rc = r ? 0 : -1;
            if (!r) ctpy_raise();
            ct_release(view);
        }
    }
    ct_scope_end(sc);
    return rc;
}
