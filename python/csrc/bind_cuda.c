/* ctorch._C's CUDA device functions (ctorch.cuda is thin glue over them).
 * In a CPU-only build they answer as torch without CUDA does. */
#include "bind.h"

static PyObject *fail(void) {
    if (!ct_cuda_version()) {
        PyErr_SetString(PyExc_AssertionError, "Torch not compiled with CUDA enabled");
        return NULL;
    }
    return ctpy_raise();
}

static PyObject *py_version(PyObject *m, PyObject *u) {
    const char *v = ct_cuda_version();
    if (!v) Py_RETURN_NONE;
    return PyUnicode_FromString(v);
}
static PyObject *py_is_available(PyObject *m, PyObject *u) { return PyBool_FromLong(ct_cuda_is_available()); }
static PyObject *py_device_count(PyObject *m, PyObject *u) { return PyLong_FromLong(ct_cuda_device_count()); }
static PyObject *py_current_device(PyObject *m, PyObject *u) {
    int d = ct_cuda_current_device();
    return d < 0 ? fail() : PyLong_FromLong(d);
}
static PyObject *py_set_device(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    if (ct_cuda_set_device((int)d) < 0) return fail();
    Py_RETURN_NONE;
}
static PyObject *py_synchronize(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = ct_cuda_synchronize((int)d);
    Py_END_ALLOW_THREADS
    if (rc < 0) return fail();
    Py_RETURN_NONE;
}
static PyObject *py_get_device_name(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    char buf[256];
    if (ct_cuda_get_device_name((int)d, buf, sizeof buf) < 0) return fail();
    return PyUnicode_FromString(buf);
}
/* (allocated, reserved, max_allocated, driver_allocs) of device d (-1 current) */
static PyObject *py_memory_stats(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    ct_cuda_memory_stats s = ct_cuda_memory_stats_get((int)d);
    return Py_BuildValue("(nnnK)", (Py_ssize_t)s.allocated, (Py_ssize_t)s.reserved,
                         (Py_ssize_t)s.max_allocated, (unsigned long long)s.driver_allocs);
}
static PyObject *py_reset_peak(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    ct_cuda_reset_peak_memory_stats((int)d);
    Py_RETURN_NONE;
}
static PyObject *py_empty_cache(PyObject *m, PyObject *u) {
    ct_cuda_empty_cache();
    Py_RETURN_NONE;
}

static PyObject *py_allow_tf32(PyObject *m, PyObject *u) { return PyBool_FromLong(ct_cuda_allow_tf32()); }
static PyObject *py_set_allow_tf32(PyObject *m, PyObject *v) {
    int on = PyObject_IsTrue(v);
    if (on < 0) return NULL;
    ct_cuda_set_allow_tf32(on);
    Py_RETURN_NONE;
}

/* Streams and events travel as integer handles (cudaStream_t / cudaEvent_t). */
static void *handle(PyObject *o) { return o == Py_None ? NULL : PyLong_AsVoidPtr(o); }
static PyObject *status(int rc) {
    if (rc < 0) return fail();
    Py_RETURN_NONE;
}
static PyObject *py_stream_create(PyObject *m, PyObject *args) {
    int dev, prio;
    if (!PyArg_ParseTuple(args, "ii", &dev, &prio)) return NULL;
    void *s;
    if (ct_cuda_stream_create(dev, prio, &s) < 0) return fail();
    return PyLong_FromVoidPtr(s);
}
static PyObject *py_stream_destroy(PyObject *m, PyObject *v) {
    void *s = handle(v);
    if (PyErr_Occurred()) return NULL;
    return status(ct_cuda_stream_destroy(s));
}
static PyObject *py_get_stream(PyObject *m, PyObject *v) {
    long d = PyLong_AsLong(v);
    if (d == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromVoidPtr(ct_cuda_get_stream((int)d));
}
static PyObject *py_set_stream(PyObject *m, PyObject *args) {
    int dev;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "iO", &dev, &h)) return NULL;
    void *s = handle(h);
    if (PyErr_Occurred()) return NULL;
    return status(ct_cuda_set_stream(dev, s));
}
static PyObject *py_stream_synchronize(PyObject *m, PyObject *v) {
    void *s = handle(v);
    if (PyErr_Occurred()) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = ct_cuda_stream_synchronize(s);
    Py_END_ALLOW_THREADS
    return status(rc);
}
static PyObject *py_stream_query(PyObject *m, PyObject *v) {
    void *s = handle(v);
    if (PyErr_Occurred()) return NULL;
    int rc = ct_cuda_stream_query(s);
    return rc < 0 ? fail() : PyBool_FromLong(rc);
}
static PyObject *py_stream_wait_event(PyObject *m, PyObject *args) {
    PyObject *s, *e;
    if (!PyArg_ParseTuple(args, "OO", &s, &e)) return NULL;
    void *hs = handle(s), *he = handle(e);
    if (PyErr_Occurred()) return NULL;
    return status(ct_cuda_stream_wait_event(hs, he));
}
static PyObject *py_event_create(PyObject *m, PyObject *args) {
    int timing, blocking;
    if (!PyArg_ParseTuple(args, "pp", &timing, &blocking)) return NULL;
    void *e;
    if (ct_cuda_event_create(timing, blocking, &e) < 0) return fail();
    return PyLong_FromVoidPtr(e);
}
static PyObject *py_event_destroy(PyObject *m, PyObject *v) {
    void *e = handle(v);
    if (PyErr_Occurred()) return NULL;
    return status(ct_cuda_event_destroy(e));
}
static PyObject *py_event_record(PyObject *m, PyObject *args) {
    PyObject *e, *s;
    if (!PyArg_ParseTuple(args, "OO", &e, &s)) return NULL;
    void *he = handle(e), *hs = handle(s);
    if (PyErr_Occurred()) return NULL;
    return status(ct_cuda_event_record(he, hs));
}
static PyObject *py_event_synchronize(PyObject *m, PyObject *v) {
    void *e = handle(v);
    if (PyErr_Occurred()) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = ct_cuda_event_synchronize(e);
    Py_END_ALLOW_THREADS
    return status(rc);
}
static PyObject *py_event_query(PyObject *m, PyObject *v) {
    void *e = handle(v);
    if (PyErr_Occurred()) return NULL;
    int rc = ct_cuda_event_query(e);
    return rc < 0 ? fail() : PyBool_FromLong(rc);
}
static PyObject *py_event_elapsed(PyObject *m, PyObject *args) {
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO", &a, &b)) return NULL;
    void *ha = handle(a), *hb = handle(b);
    if (PyErr_Occurred()) return NULL;
    float ms = 0;
    if (ct_cuda_event_elapsed_ms(ha, hb, &ms) < 0) return fail();
    return PyFloat_FromDouble(ms);
}

/* Tensor.pin_memory() and Tensor.is_pinned() */
static PyObject *m_pin_memory(PyObject *self, PyObject *unused) {
    ct_tensor *x;
    if (ctpy_tensor_arg("pin_memory", "self", self, &x) < 0) return NULL;
    CTPY_RETURN(ct_pin_memory(x));
}
static PyObject *m_is_pinned(PyObject *self, PyObject *unused) {
    ct_tensor *x;
    if (ctpy_tensor_arg("is_pinned", "self", self, &x) < 0) return NULL;
    return PyBool_FromLong(ct_is_pinned(x));
}

PyMethodDef ctpy_cuda_methods[] = {
    {"pin_memory", m_pin_memory, METH_NOARGS, NULL},
    {"is_pinned", m_is_pinned, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyMethodDef ctpy_cuda_functions[] = {
    {"_cuda_stream_create", py_stream_create, METH_VARARGS, NULL},
    {"_cuda_stream_destroy", py_stream_destroy, METH_O, NULL},
    {"_cuda_get_stream", py_get_stream, METH_O, NULL},
    {"_cuda_set_stream", py_set_stream, METH_VARARGS, NULL},
    {"_cuda_stream_synchronize", py_stream_synchronize, METH_O, NULL},
    {"_cuda_stream_query", py_stream_query, METH_O, NULL},
    {"_cuda_stream_wait_event", py_stream_wait_event, METH_VARARGS, NULL},
    {"_cuda_event_create", py_event_create, METH_VARARGS, NULL},
    {"_cuda_event_destroy", py_event_destroy, METH_O, NULL},
    {"_cuda_event_record", py_event_record, METH_VARARGS, NULL},
    {"_cuda_event_synchronize", py_event_synchronize, METH_O, NULL},
    {"_cuda_event_query", py_event_query, METH_O, NULL},
    {"_cuda_event_elapsed_time", py_event_elapsed, METH_VARARGS, NULL},
    {"_cuda_allow_tf32", py_allow_tf32, METH_NOARGS, NULL},
    {"_cuda_set_allow_tf32", py_set_allow_tf32, METH_O, NULL},
    {"_cuda_version", py_version, METH_NOARGS, NULL},
    {"_cuda_is_available", py_is_available, METH_NOARGS, NULL},
    {"_cuda_device_count", py_device_count, METH_NOARGS, NULL},
    {"_cuda_current_device", py_current_device, METH_NOARGS, NULL},
    {"_cuda_set_device", py_set_device, METH_O, NULL},
    {"_cuda_synchronize", py_synchronize, METH_O, NULL},
    {"_cuda_get_device_name", py_get_device_name, METH_O, NULL},
    {"_cuda_memory_stats", py_memory_stats, METH_O, NULL},
    {"_cuda_reset_peak_memory_stats", py_reset_peak, METH_O, NULL},
    {"_cuda_empty_cache", py_empty_cache, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
