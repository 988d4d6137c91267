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

PyMethodDef ctpy_cuda_functions[] = {
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
