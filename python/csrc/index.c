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

/* Advanced indexing through the index family's ct_index_get/ct_index_set. */
/* Parses a Python index into ct_index_items (tensors for lists, bools,
 * NumPy arrays land in the current scope). Returns the count or -1. */
static int parse_items(PyObject *idx, ct_index_item *items, int max) {
    PyObject *single = idx;
    PyObject *const *objs;
    Py_ssize_t n;
    if (PyTuple_Check(idx)) {
        objs = &PyTuple_GET_ITEM(idx, 0);
        n = PyTuple_GET_SIZE(idx);
    } else {
        objs = &single;
        n = 1;
    }
    if (n > max) {
        PyErr_SetString(PyExc_IndexError, "too many indices");
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = objs[k];
        ct_index_item *it = &items[k];
        memset(it, 0, sizeof *it);
        if (o == Py_None) it->kind = CT_IDX_NONE;
        else if (o == Py_Ellipsis) it->kind = CT_IDX_ELLIPSIS;
        else if (PySlice_Check(o)) {
            PySliceObject *s = (PySliceObject *)o;
            it->kind = CT_IDX_SLICE;
            it->step = 1;
            if (s->step != Py_None && ctpy_int("index", "step", s->step, &it->step) < 0) return -1;
            if (it->step <= 0) {
                PyErr_SetString(PyExc_ValueError, "step must be greater than zero");
                return -1;
            }
            if ((it->has_start = s->start != Py_None) && ctpy_int("index", "start", s->start, &it->start) < 0) return -1;
            if ((it->has_stop = s->stop != Py_None) && ctpy_int("index", "stop", s->stop, &it->stop) < 0) return -1;
        } else if (ctpy_Tensor_Check(o)) {
            it->kind = CT_IDX_TENSOR;
            it->tensor = CTPY_T(o);
        } else if (PyIndex_Check(o) && !PyBool_Check(o)) {
            it->kind = CT_IDX_INT;
            it->i = PyLong_AsLongLong(o);
            if (it->i == -1 && PyErr_Occurred()) return -1;
        } else {
            /* bools, lists, NumPy arrays: a tensor index */
            ct_tensor *t = ctpy_from_data(o, CT_INT64, false);
            if (!t) {
                if (!PyErr_Occurred()) ctpy_raise();
                return -1;
            }
            ct_autorelease(t);
            it->kind = CT_IDX_TENSOR;
            it->tensor = t;
        }
    }
    return (int)n;
}

static ct_tensor *advanced_get(ct_tensor *t, PyObject *idx) {
    ct_index_item items[64];
    ct_scope sc = ct_scope_begin();
    int n = parse_items(idx, items, 64);
    ct_tensor *r = NULL;
    if (n >= 0) {
        bool big = t->numel > CTPY_NOGIL_NUMEL;
        if (big) {
            Py_BEGIN_ALLOW_THREADS r = ct_index_get(t, items, n);
            Py_END_ALLOW_THREADS
        } else
            r = ct_index_get(t, items, n);
        if (r) ct_keep(r);
        else ctpy_raise();
    }
    ct_scope_end(sc);
    return r;
}
static int advanced_set(ct_tensor *t, PyObject *idx, ct_tensor *v) {
    ct_index_item items[64];
    ct_scope sc = ct_scope_begin();
    int n = parse_items(idx, items, 64);
    int rc = -1;
    if (n >= 0) {
        bool big = t->numel > CTPY_NOGIL_NUMEL;
        if (big) {
            Py_BEGIN_ALLOW_THREADS rc = ct_index_set(t, items, n, v);
            Py_END_ALLOW_THREADS
        } else
            rc = ct_index_set(t, items, n, v);
        if (rc < 0) ctpy_raise();
    }
    ct_scope_end(sc);
    return rc;
}

PyObject *ctpy_getitem(PyObject *self, PyObject *idx) {
    ct_tensor *t = CTPY_T(self);
    int adv = 0;
    ct_tensor *r = basic_index(t, idx, &adv);
    if (adv) r = advanced_get(t, idx);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    return ctpy_wrap(r);
}

/* Whether PyTorch 1.13's x[idx] = v writes into x itself rather than into
 * a view of x (what autograd sees: the leaf error and CopyBackwards, or the
 * view error and CopySlices): x[...], and tuples of Ellipsis and slices
 * written start 0, stop = the size (not None), step 1. A single slice, even
 * x[:], is a view. */
static bool writes_self(const ct_tensor *t, PyObject *idx) {
    if (idx == Py_Ellipsis) return true;
    if (!PyTuple_Check(idx)) return false;
    Py_ssize_t n = PyTuple_GET_SIZE(idx);
    int consuming = 0, dim = 0;
    for (Py_ssize_t i = 0; i < n; i++) consuming += PyTuple_GET_ITEM(idx, i) != Py_Ellipsis;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(idx, i);
        if (o == Py_Ellipsis) {
            dim += t->ndim - consuming;
            continue;
        }
        Py_ssize_t start, stop, step;
        if (!PySlice_Check(o) || dim >= t->ndim || PySlice_Unpack(o, &start, &stop, &step) < 0) {
            PyErr_Clear();
            return false;
        }
        if (start != 0 || stop != t->sizes[dim] || step != 1) return false;
        dim++;
    }
    return true;
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
            if (writes_self(t, idx)) {
                ct_release(view);
                view = ct_retain(t);
            }
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
