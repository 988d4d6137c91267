/* Zero-copy interop: the buffer protocol, NumPy (.numpy(), from_numpy,
 * __array__) and DLPack. NumPy is imported lazily, on first use. */
#include "ctpy.h"

/* ------------------------------------------------------------------ DLPack (public spec, v0.8) */
typedef struct {
    int32_t device_type; /* kDLCPU = 1 */
    int32_t device_id;
} DLDevice;
enum { kDLCPU = 1, kDLCUDAHost = 3 };
enum { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };
typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} DLDataType;
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL = compact row-major */
    uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
    DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;

/* ------------------------------------------------------------------ formats */
static const char *buffer_format(ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return "?";
    case CT_UINT8: return "B";
    case CT_INT8: return "b";
    case CT_INT16: return "h";
    case CT_INT32: return "i";
    case CT_INT64: return "q";
    case CT_FLOAT16: return "e";
    case CT_FLOAT32: return "f";
    case CT_FLOAT64: return "d";
    default: return NULL;
    }
}

static int format_dtype(const char *f, Py_ssize_t itemsize, ct_dtype *dt) {
    if (!f) f = "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    else if (*f == '>' || *f == '!') goto bad;
    if (f[0] && f[1]) goto bad;
    switch (*f) {
    case '?': *dt = CT_BOOL; return 0;
    case 'B': *dt = CT_UINT8; return 0;
    case 'b': *dt = CT_INT8; return 0;
    case 'h': *dt = CT_INT16; return 0;
    case 'i': *dt = CT_INT32; return 0;
    case 'l': *dt = itemsize == 8 ? CT_INT64 : CT_INT32; return 0;
    case 'q': *dt = CT_INT64; return 0;
    case 'e': *dt = CT_FLOAT16; return 0;
    case 'f': *dt = CT_FLOAT32; return 0;
    case 'd': *dt = CT_FLOAT64; return 0;
    }
bad:
    PyErr_Format(PyExc_TypeError,
                 "can't convert np.ndarray of type with format '%s'. The only supported types are: "
                 "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.", f);
    return -1;
}

/* ------------------------------------------------------------------ buffer export */
static int export_buffer(PyObject *exporter, ct_tensor *t, Py_buffer *v, int flags) {
    const char *fmt = buffer_format(t->dtype);
    if (!fmt) {
        PyErr_Format(PyExc_TypeError, "Got unsupported ScalarType %s", ct_dtype_name(t->dtype));
        return -1;
    }
    if (!(flags & PyBUF_STRIDES) && !ct_is_contiguous(t)) {
        PyErr_SetString(PyExc_BufferError, "tensor is not contiguous");
        return -1;
    }
    Py_ssize_t *dims = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(2 * t->ndim + 1));
    if (!dims) {
        PyErr_NoMemory();
        return -1;
    }
    size_t isz = ct_dtype_size(t->dtype);
    for (int i = 0; i < t->ndim; i++) {
        dims[i] = (Py_ssize_t)t->sizes[i];
        dims[t->ndim + i] = (Py_ssize_t)(t->strides[i] * (int64_t)isz);
    }
    v->buf = ct_data_ptr(t);
    v->obj = exporter;
    Py_INCREF(exporter);
    v->len = (Py_ssize_t)(t->numel * (int64_t)isz);
    v->itemsize = (Py_ssize_t)isz;
    v->readonly = 0;
    v->ndim = t->ndim;
    v->format = (flags & PyBUF_FORMAT) ? (char *)fmt : NULL;
    v->shape = (flags & PyBUF_ND) ? dims : NULL;
    v->strides = (flags & PyBUF_STRIDES) ? dims + t->ndim : NULL;
    v->suboffsets = NULL;
    v->internal = dims;
    return 0;
}
static void release_buffer(PyObject *exporter, Py_buffer *v) { PyMem_Free(v->internal); }

static int tensor_getbuffer(PyObject *self, Py_buffer *v, int flags) {
    return export_buffer(self, CTPY_T(self), v, flags);
}
PyBufferProcs ctpy_tensor_as_buffer = {tensor_getbuffer, release_buffer};

/* The base object of arrays from .numpy(): holds one ct_tensor reference. */
typedef struct {
    PyObject_HEAD
    ct_tensor *t;
} HolderObject;
static void holder_dealloc(HolderObject *h) {
    ct_release(h->t);
    Py_TYPE(h)->tp_free((PyObject *)h);
}
static int holder_getbuffer(PyObject *self, Py_buffer *v, int flags) {
    return export_buffer(self, ((HolderObject *)self)->t, v, flags);
}
static PyBufferProcs holder_as_buffer = {holder_getbuffer, release_buffer};
static PyTypeObject HolderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._TensorMemory",
    .tp_basicsize = sizeof(HolderObject),
    .tp_dealloc = (destructor)holder_dealloc,
    .tp_as_buffer = &holder_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "keeps a tensor's memory alive for the NumPy arrays that view it",
};

static PyObject *numpy_mod;
static PyObject *get_numpy(void) {
    if (!numpy_mod) numpy_mod = PyImport_ImportModule("numpy");
    return numpy_mod;
}

static PyObject *to_numpy(ct_tensor *t) {
    PyObject *np = get_numpy();
    if (!np) return NULL;
    if (HolderType.tp_flags & Py_TPFLAGS_READY) {
    } else if (PyType_Ready(&HolderType) < 0) return NULL;
    HolderObject *h = PyObject_New(HolderObject, &HolderType);
    if (!h) return NULL;
    h->t = ct_retain(t);
    PyObject *arr = PyObject_CallMethod(np, "asarray", "O", (PyObject *)h);
    Py_DECREF(h);
    return arr;
}

PyObject *ctpy_tensor_numpy(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "*", "force", NULL};
    PyObject *a[2];
    if (ctpy_parse("numpy", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    bool force = false;
    if (a[1] && ctpy_bool(a[1], &force) < 0) return NULL;
    if (t->requires_grad && !force) {
        PyErr_SetString(PyExc_RuntimeError, "Can't call numpy() on Tensor that requires grad. Use "
                                            "tensor.detach().numpy() instead.");
        return NULL;
    }
    return to_numpy(t);
}

static PyObject *tensor_array(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "dtype", NULL};
    PyObject *a[2];
    if (ctpy_parse("__array__", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    PyObject *arr = ctpy_tensor_numpy(self, NULL, 0, NULL);
    if (!arr || CTPY_NOARG(a[1])) return arr;
    PyObject *r = PyObject_CallMethod(arr, "astype", "OO", a[1], Py_False);
    Py_DECREF(arr);
    return r;
}

static void numpy_deleter(void *ctx, void *data) {
    Py_buffer *v = ctx;
    if (!Py_IsInitialized()) return; /* interpreter gone: the memory went with it */
    PyGILState_STATE g = PyGILState_Ensure();
    PyBuffer_Release(v);
    PyMem_RawFree(v);
    PyGILState_Release(g);
}

/* Tensor over an object's buffer (shared memory), or a copy when copy. */
ct_tensor *ctpy_from_buffer(PyObject *o, bool copy) {
    Py_buffer *v = PyMem_RawMalloc(sizeof(Py_buffer));
    if (!v) {
        PyErr_NoMemory();
        return NULL;
    }
    if (PyObject_GetBuffer(o, v, PyBUF_RECORDS) < 0) {
        PyErr_Clear();
        if (PyObject_GetBuffer(o, v, PyBUF_RECORDS_RO) < 0) {
            PyMem_RawFree(v);
            return NULL;
        }
    }
    ct_dtype dt;
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    if (format_dtype(v->format, v->itemsize, &dt) < 0) goto fail;
    if (v->ndim > CT_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "array has %d dimensions, ctorch supports at most %d", v->ndim, CT_MAX_DIMS);
        goto fail;
    }
    for (int i = 0; i < v->ndim; i++) {
        sizes[i] = v->shape[i];
        Py_ssize_t st = v->strides ? v->strides[i] : 0;
        if (st < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "At least one stride in the given numpy array is negative, and tensors "
                            "with negative strides are not currently supported. (You can probably "
                            "work around this by making a copy of your array  with array.copy().) ");
            goto fail;
        }
        if (st % v->itemsize) {
            PyErr_SetString(PyExc_ValueError, "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory.");
            goto fail;
        }
        strides[i] = st / v->itemsize;
    }
    if (!v->strides) {
        int64_t s = 1;
        for (int i = v->ndim - 1; i >= 0; i--) {
            strides[i] = s;
            s *= sizes[i] > 1 ? sizes[i] : 1;
        }
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_from_blob(v->buf, sizes, strides, v->ndim, dt, numpy_deleter, v);
    if (!r) {
        ct_scope_end(sc);
        ctpy_raise();
        goto fail;
    }
    if (copy) r = ct_clone(r);
    if (r) ct_keep(r);
    ct_scope_end(sc); /* releases the blob tensor when copied (and the buffer with it) */
    if (!r) ctpy_raise();
    return r;
fail:
    PyBuffer_Release(v);
    PyMem_RawFree(v);
    return NULL;
}

static PyObject *py_from_numpy(PyObject *m, PyObject *arr) {
    PyObject *np = get_numpy();
    if (!np) return NULL;
    PyObject *ndarray = PyObject_GetAttrString(np, "ndarray");
    int ok = ndarray ? PyObject_IsInstance(arr, ndarray) : -1;
    Py_XDECREF(ndarray);
    if (ok < 0) return NULL;
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "expected np.ndarray (got %s)", Py_TYPE(arr)->tp_name);
        return NULL;
    }
    ct_tensor *t = ctpy_from_buffer(arr, false);
    if (!t) return NULL;
    return ctpy_wrap(t);
}

/* ------------------------------------------------------------------ DLPack */
static void managed_delete(DLManagedTensor *m) {
    ct_release(m->manager_ctx);
    free(m);
}
static void capsule_destructor(PyObject *cap) {
    if (PyCapsule_IsValid(cap, "dltensor")) { /* never consumed */
        DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
        if (m && m->deleter) m->deleter(m);
    } else
        PyErr_Clear();
}

static int dl_dtype(ct_dtype dt, DLDataType *d) {
    static const DLDataType map[CT_NUM_DTYPES] = {
        [CT_BOOL] = {kDLBool, 8, 1},    [CT_UINT8] = {kDLUInt, 8, 1},   [CT_INT8] = {kDLInt, 8, 1},
        [CT_INT16] = {kDLInt, 16, 1},   [CT_INT32] = {kDLInt, 32, 1},   [CT_INT64] = {kDLInt, 64, 1},
        [CT_FLOAT16] = {kDLFloat, 16, 1}, [CT_BFLOAT16] = {kDLBfloat, 16, 1},
        [CT_FLOAT32] = {kDLFloat, 32, 1}, [CT_FLOAT64] = {kDLFloat, 64, 1}};
    *d = map[dt];
    return 0;
}

static int dl_to_dtype(DLDataType d, ct_dtype *dt) {
    if (d.lanes != 1) goto bad;
    for (int i = 0; i < CT_NUM_DTYPES; i++) {
        DLDataType m;
        dl_dtype(i, &m);
        if (m.code == d.code && m.bits == d.bits) {
            *dt = i;
            return 0;
        }
    }
    if (d.code == kDLUInt && d.bits == 1) { *dt = CT_BOOL; return 0; }
bad:
    PyErr_Format(PyExc_TypeError, "from_dlpack: unsupported DLPack dtype (code %d, bits %d, lanes %d)",
                 d.code, d.bits, d.lanes);
    return -1;
}

static PyObject *tensor_dlpack(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "stream", NULL};
    PyObject *a[2];
    if (ctpy_parse("__dlpack__", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    if (t->requires_grad) {
        PyErr_SetString(PyExc_RuntimeError, "Can't export tensors that require gradient, use tensor.detach()");
        return NULL;
    }
    DLManagedTensor *m = malloc(sizeof *m + sizeof(int64_t) * (size_t)(2 * t->ndim + 1));
    if (!m) return PyErr_NoMemory();
    int64_t *shape = (int64_t *)(m + 1);
    for (int i = 0; i < t->ndim; i++) {
        shape[i] = t->sizes[i];
        shape[t->ndim + i] = t->strides[i];
    }
    m->dl_tensor.data = ct_data_ptr(t);
    m->dl_tensor.device = (DLDevice){kDLCPU, 0};
    m->dl_tensor.ndim = t->ndim;
    dl_dtype(t->dtype, &m->dl_tensor.dtype);
    m->dl_tensor.shape = shape;
    m->dl_tensor.strides = shape + t->ndim;
    m->dl_tensor.byte_offset = 0;
    m->manager_ctx = ct_retain(t);
    m->deleter = managed_delete;
    PyObject *cap = PyCapsule_New(m, "dltensor", capsule_destructor);
    if (!cap) managed_delete(m);
    return cap;
}

static PyObject *tensor_dlpack_device(PyObject *self, PyObject *u) {
    return Py_BuildValue("(ii)", kDLCPU, 0);
}

static void dl_deleter(void *ctx, void *data) {
    DLManagedTensor *m = ctx;
    if (!m->deleter) return;
    if (!Py_IsInitialized()) return;
    PyGILState_STATE g = PyGILState_Ensure();
    m->deleter(m);
    PyGILState_Release(g);
}

static PyObject *py_from_dlpack(PyObject *mod, PyObject *obj) {
    PyObject *cap;
    if (PyCapsule_CheckExact(obj)) {
        cap = obj;
        Py_INCREF(cap);
    } else {
        if (ctpy_Tensor_Check(obj)) {
            Py_INCREF(obj);
            return obj;
        }
        cap = PyObject_CallMethod(obj, "__dlpack__", NULL);
        if (!cap) return NULL;
    }
    DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
    if (!m) {
        Py_DECREF(cap);
        PyErr_Clear();
        PyErr_SetString(PyExc_RuntimeError,
                        "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, so you might have already constructed a tensor from it once.");
        return NULL;
    }
    DLTensor *d = &m->dl_tensor;
    ct_dtype dt;
    if (d->device.device_type != kDLCPU && d->device.device_type != kDLCUDAHost) {
        Py_DECREF(cap);
        PyErr_Format(PyExc_RuntimeError, "from_dlpack: device type %d is not supported by this build (CPU only)",
                     d->device.device_type);
        return NULL;
    }
    if (dl_to_dtype(d->dtype, &dt) < 0 || d->ndim > CT_MAX_DIMS) {
        Py_DECREF(cap);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "from_dlpack: too many dimensions");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *t = ct_from_blob((char *)d->data + d->byte_offset, d->shape, d->strides, d->ndim, dt,
                                dl_deleter, m);
    if (t) PyCapsule_SetName(cap, "used_dltensor");
    Py_DECREF(cap);
    return ctpy_finish(sc, t);
}


PyMethodDef ctpy_interop_methods[] = {
    {"numpy", (PyCFunction)(void (*)(void))ctpy_tensor_numpy, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"__array__", (PyCFunction)(void (*)(void))tensor_array, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"__dlpack__", (PyCFunction)(void (*)(void))tensor_dlpack, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"__dlpack_device__", tensor_dlpack_device, METH_NOARGS, NULL},
    {NULL}};

PyMethodDef ctpy_interop_functions[] = {
    {"from_numpy", py_from_numpy, METH_O, "tensor sharing the memory of a NumPy array"},
    {"from_dlpack", py_from_dlpack, METH_O, "tensor sharing the memory of a DLPack producer"},
    {NULL}};
