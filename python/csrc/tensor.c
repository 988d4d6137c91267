/* ctorch.Tensor: the Python object holding one ct_tensor reference.
 * Identity: t->pyobj points back at the live Python object, so an engine
 * tensor handed to Python twice (t.grad) is the same object both times. */
#include "ctpy.h"

#include <structmember.h>

static PyObject *wrap_type(PyTypeObject *type, ct_tensor *owned) {
    if (!owned) return ctpy_raise();
    if (type == &ctpy_TensorType || owned->pyobj) return ctpy_wrap(owned);
    TensorObject *o = (TensorObject *)type->tp_alloc(type, 0);
    if (!o) {
        ct_release(owned);
        return NULL;
    }
    o->t = owned;
    owned->pyobj = o;
    return (PyObject *)o;
}

static void tensor_dealloc(TensorObject *self) {
    if (self->weakreflist) PyObject_ClearWeakRefs((PyObject *)self);
    ct_tensor *t = self->t;
    self->t = NULL;
    if (t) {
        if (t->pyobj == self) t->pyobj = NULL;
        ct_release(t);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* torch.Tensor(*sizes) / Tensor(data) / Tensor(tensor): the legacy
 * constructor, default dtype. Also serves FloatTensor & co. through
 * ctorch._C._legacy_new(dtype, *args). */
static ct_tensor *legacy_new(ct_dtype dt, PyObject *const *args, Py_ssize_t n) {
    if (n == 1 && ctpy_Tensor_Check(args[0])) return ct_keep(ct_alias(CTPY_T(args[0])));
    if (n == 1 && !PyIndex_Check(args[0]) && PySequence_Check(args[0]) &&
        !PyObject_TypeCheck(args[0], &ctpy_SizeType))
        return ctpy_from_data(args[0], dt, true);
    int64_t sizes[CT_MAX_DIMS];
    int nd = 0;
    if (n == 0) {
        sizes[0] = 0;
        nd = 1;
    } else {
        ctpy_va va = {args, n};
        if (ctpy_intlist("Tensor", NULL, &va, sizes, &nd) < 0) return NULL;
    }
    ct_tensor *r = ct_empty(sizes, nd, dt);
    return r ? ct_keep(r) : NULL;
}

static PyObject *tensor_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "Tensor(): keyword arguments are not supported");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = legacy_new(ct_default_dtype(), &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));
    ct_scope_end(sc);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    return wrap_type(type, r);
}

PyObject *ctpy_legacy_new(PyObject *mod, PyObject *const *args, Py_ssize_t n) {
    ct_dtype dt;
    if (n < 1 || ctpy_dtype(args[0], &dt) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = legacy_new(dt, args + 1, n - 1);
    if (r && r->dtype != dt) { /* Tensor argument of another dtype */
        ct_tensor *c = ct_to_dtype(r, dt, false);
        ct_release(r);
        r = c ? ct_keep(c) : NULL;
    }
    ct_scope_end(sc);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    return ctpy_wrap(r);
}

/* x.new(*sizes) / x.new(data): the legacy constructor with x's dtype. */
static PyObject *tensor_new_legacy(PyObject *self, PyObject *args) {
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = legacy_new(CTPY_T(self)->dtype, &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));
    if (r && r->dtype != CTPY_T(self)->dtype) {
        ct_tensor *c = ct_to_dtype(r, CTPY_T(self)->dtype, false);
        ct_release(r);
        r = c ? ct_keep(c) : NULL;
    }
    ct_scope_end(sc);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    return ctpy_wrap(r);
}

/* torch.as_tensor(data, dtype=None): shares memory with tensors and NumPy
 * arrays when no conversion is needed. */
ct_tensor *ctpy_from_buffer(PyObject *o, bool copy);
PyObject *ctpy_as_tensor(PyObject *mod, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"data", "dtype", "device", NULL};
    PyObject *a[3];
    if (ctpy_parse("as_tensor", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_dtype dt = ct_default_dtype();
    bool given;
    if (!a[0] || ctpy_opt_dtype(a[1], &dt, &given) < 0 || ctpy_check_device(a[2]) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "as_tensor() missing required argument 'data'");
        return NULL;
    }
    ct_tensor *base = NULL;
    if (ctpy_Tensor_Check(a[0])) base = ct_retain(CTPY_T(a[0]));
    else if (!PyList_Check(a[0]) && !PyTuple_Check(a[0]) && !PyBytes_Check(a[0]) && PyObject_CheckBuffer(a[0]))
        base = ctpy_from_buffer(a[0], false);
    else
        return ctpy_wrap(ctpy_from_data(a[0], dt, given));
    if (!base) return PyErr_Occurred() ? NULL : ctpy_raise();
    if (!given || base->dtype == dt) return ctpy_wrap(base);
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_to_dtype(base, dt, false);
    if (r) ct_keep(r);
    ct_scope_end(sc);
    ct_release(base);
    return ctpy_wrap(r);
}

/* Tensor._make_subclass(cls, data, require_grad=False): nn.Parameter's way in. */
static PyObject *tensor_make_subclass(PyObject *unused, PyObject *const *args, Py_ssize_t n,
                                      PyObject *kwn) {
    static const char *const names[] = {"cls", "data", "require_grad", NULL};
    PyObject *a[3];
    if (ctpy_parse("_make_subclass", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t;
    if (!a[0] || !PyType_Check(a[0]) || !PyType_IsSubtype((PyTypeObject *)a[0], &ctpy_TensorType)) {
        PyErr_SetString(PyExc_TypeError, "_make_subclass(): cls must be a subclass of Tensor");
        return NULL;
    }
    if (ctpy_tensor_arg("_make_subclass", "data", a[1], &t) < 0) return NULL;
    bool rg = false;
    if (a[2] && ctpy_bool(a[2], &rg) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_detach(t);
    if (r && ct_set_requires_grad(r, rg) < 0) r = NULL;
    if (r) ct_keep(r);
    ct_scope_end(sc);
    if (!r) return ctpy_raise();
    TensorObject *o = (TensorObject *)((PyTypeObject *)a[0])->tp_alloc((PyTypeObject *)a[0], 0);
    if (!o) {
        ct_release(r);
        return NULL;
    }
    o->t = r;
    r->pyobj = o;
    return (PyObject *)o;
}

/* ------------------------------------------------------------------ values */
static PyObject *value_at(const ct_tensor *t, int64_t i) {
    if (t->dtype == CT_BOOL) return PyBool_FromLong(ct_item_at_int(t, i) != 0);
    if (ct_dtype_is_integral(t->dtype)) return PyLong_FromLongLong(ct_item_at_int(t, i));
    return PyFloat_FromDouble(ct_item_at(t, i));
}

static PyObject *tensor_item(PyObject *self, PyObject *unused) {
    ct_tensor *t = CTPY_T(self);
    if (t->numel != 1) {
        PyErr_Format(PyExc_RuntimeError,
                     "a Tensor with %lld elements cannot be converted to Scalar", (long long)t->numel);
        return NULL;
    }
    return value_at(t, 0);
}

static PyObject *tolist_rec(const ct_tensor *t, int d, int64_t *flat) {
    if (d == t->ndim) return value_at(t, (*flat)++);
    PyObject *l = PyList_New(t->sizes[d]);
    if (!l) return NULL;
    for (int64_t i = 0; i < t->sizes[d]; i++) {
        PyObject *v = tolist_rec(t, d + 1, flat);
        if (!v) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, v);
    }
    return l;
}

static PyObject *tensor_tolist(PyObject *self, PyObject *unused) {
    int64_t flat = 0;
    return tolist_rec(CTPY_T(self), 0, &flat);
}

/* repr through the engine's printer (PyTorch's format); the autograd
 * suffix comes from here since only this layer knows it is wanted. */
const char *ctpy_grad_suffix(const ct_tensor *t, char *buf, size_t len);
static PyObject *tensor_repr(PyObject *self) {
    ct_tensor *t = CTPY_T(self);
    ct_print_options o = ct_get_printoptions();
    char suffix[128];
    o.suffix = ctpy_grad_suffix(t, suffix, sizeof suffix);
    char *s = ct_format(t, &o);
    if (!s) return ctpy_raise();
    PyObject *r = PyUnicode_FromString(s);
    free(s);
    return r;
}

static int tensor_truth(PyObject *self) {
    ct_tensor *t = CTPY_T(self);
    if (t->numel != 1) {
        PyErr_Format(PyExc_RuntimeError, "Boolean value of Tensor with %s values is ambiguous",
                     t->numel == 0 ? "no" : "more than one");
        return -1;
    }
    return ct_item_at(t, 0) != 0;
}

static Py_ssize_t tensor_len(PyObject *self) {
    ct_tensor *t = CTPY_T(self);
    if (t->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
        return -1;
    }
    return (Py_ssize_t)t->sizes[0];
}

static PyObject *tensor_sq_item(PyObject *self, Py_ssize_t i) {
    ct_tensor *t = CTPY_T(self);
    if (t->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "iteration over a 0-d tensor");
        return NULL;
    }
    if (i < 0 || i >= t->sizes[0]) {
        PyErr_Format(PyExc_IndexError, "index %zd is out of bounds for dimension 0 with size %lld",
                     i, (long long)t->sizes[0]);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_select(t, 0, i));
}

static PyObject *tensor_iter(PyObject *self) {
    if (CTPY_T(self)->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "iteration over a 0-d tensor");
        return NULL;
    }
    return PySeqIter_New(self);
}

static Py_hash_t tensor_hash(PyObject *self) { return _Py_HashPointer(self); }

/* ------------------------------------------------------------------ attributes */
static PyObject *get_shape(PyObject *self, void *c) {
    ct_tensor *t = CTPY_T(self);
    return ctpy_size_new(t->sizes, t->ndim);
}
static PyObject *get_dtype(PyObject *self, void *c) { return ctpy_dtype_obj(CTPY_T(self)->dtype); }
static PyObject *get_device(PyObject *self, void *c) {
    return ctpy_device_obj(ct_tensor_device(CTPY_T(self)));
}
static PyObject *get_is_cuda(PyObject *self, void *c) {
    return PyBool_FromLong(ct_tensor_device(CTPY_T(self)).type == CT_CUDA);
}
static PyObject *get_ndim(PyObject *self, void *c) { return PyLong_FromLong(CTPY_T(self)->ndim); }
static PyObject *get_false(PyObject *self, void *c) { Py_RETURN_FALSE; }
static PyObject *get_true(PyObject *self, void *c) { Py_RETURN_TRUE; }
static PyObject *get_T(PyObject *self, void *c) {
    ct_tensor *t = CTPY_T(self);
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = t->ndim - 1 - i;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_permute(t, perm, t->ndim));
}
static PyObject *get_mT(PyObject *self, void *c) {
    ct_tensor *t = CTPY_T(self);
    if (t->ndim < 2) {
        PyErr_SetString(PyExc_RuntimeError, "tensor.mT is only supported on matrices or batches "
                                            "of matrices. Got 1-D tensor.");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_transpose(t, -2, -1));
}
/* A new tensor object over the same memory that autograd does not track. */
static ct_tensor *detached_alias(ct_tensor *t) { return ct_detach(t); }
static PyObject *get_data(PyObject *self, void *c) {
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, detached_alias(CTPY_T(self)));
}
/* x.data = y: x takes y's memory, sizes and strides (y's data, not its graph). */
static int set_data(PyObject *self, PyObject *v, void *c) {
    ct_tensor *src;
    if (!v || ctpy_tensor_arg("data", "value", v, &src) < 0) return -1;
    ct_tensor *t = CTPY_T(self);
    if (src == t) return 0;
    ct_storage *old = t->storage;
    atomic_fetch_add_explicit(&src->storage->refcount, 1, memory_order_relaxed);
    t->storage = src->storage;
    t->dtype = src->dtype;
    t->ndim = src->ndim;
    t->numel = src->numel;
    t->offset = src->offset;
    memcpy(t->sizes, src->sizes, sizeof t->sizes);
    memcpy(t->strides, src->strides, sizeof t->strides);
    extern void ct__storage_release(ct_storage * s);
    ct__storage_release(old);
    return 0;
}
static PyObject *get_requires_grad(PyObject *self, void *c) {
    return PyBool_FromLong(CTPY_T(self)->requires_grad);
}
static int set_requires_grad(PyObject *self, PyObject *v, void *c) {
    bool b;
    if (!v || ctpy_bool(v, &b) < 0) return -1;
    if (ct_set_requires_grad(CTPY_T(self), b) < 0) {
        ctpy_raise();
        return -1;
    }
    return 0;
}
static PyObject *get_itemsize(PyObject *self, void *c) {
    return PyLong_FromSize_t(ct_dtype_size(CTPY_T(self)->dtype));
}
static PyObject *get_nbytes(PyObject *self, void *c) {
    ct_tensor *t = CTPY_T(self);
    return PyLong_FromLongLong(t->numel * (int64_t)ct_dtype_size(t->dtype));
}

PyObject *ctpy_get_grad(PyObject *self, void *c);
int ctpy_set_grad(PyObject *self, PyObject *v, void *c);
PyObject *ctpy_get_grad_fn(PyObject *self, void *c);
PyObject *ctpy_get_is_leaf(PyObject *self, void *c);
PyObject *ctpy_get_retains_grad(PyObject *self, void *c);
PyObject *ctpy_get_output_nr(PyObject *self, void *c);
static PyObject *get_array_priority(PyObject *self, void *c) { return PyFloat_FromDouble(1000.0); }

PyGetSetDef ctpy_tensor_getset[] = {
    {"shape", get_shape, NULL, "the sizes, as a torch.Size", NULL},
    {"dtype", get_dtype, NULL, NULL, NULL},
    {"device", get_device, NULL, NULL, NULL},
    {"ndim", get_ndim, NULL, NULL, NULL},
    {"T", get_T, NULL, "dims reversed", NULL},
    {"mT", get_mT, NULL, "last two dims swapped", NULL},
    {"data", get_data, set_data, "the tensor without its autograd history", NULL},
    {"requires_grad", get_requires_grad, set_requires_grad, NULL, NULL},
    {"is_cuda", get_is_cuda, NULL, NULL, NULL},
    {"is_sparse", get_false, NULL, NULL, NULL},
    {"is_quantized", get_false, NULL, NULL, NULL},
    {"is_meta", get_false, NULL, NULL, NULL},
    {"is_cpu", get_true, NULL, NULL, NULL},
    {"itemsize", get_itemsize, NULL, NULL, NULL},
    {"nbytes", get_nbytes, NULL, NULL, NULL},
    {"__array_priority__", get_array_priority, NULL, NULL, NULL},
    {"grad", ctpy_get_grad, ctpy_set_grad, "accumulated gradient", NULL},
    {"grad_fn", ctpy_get_grad_fn, NULL, "the node that produced this tensor", NULL},
    {"is_leaf", ctpy_get_is_leaf, NULL, NULL, NULL},
    {"retains_grad", ctpy_get_retains_grad, NULL, NULL, NULL},
    {"output_nr", ctpy_get_output_nr, NULL, NULL, NULL},
    {NULL}};

/* ------------------------------------------------------------------ methods */
static int dim_arg(const char *fname, PyObject *o, int ndim, int *d) {
    int64_t v;
    if (ctpy_int(fname, "dim", o, &v) < 0) return -1;
    int n = ndim > 0 ? ndim : 1;
    if (v < -n || v >= n) {
        PyErr_Format(PyExc_IndexError,
                     "Dimension out of range (expected to be in range of [%d, %d], but got %lld)",
                     -n, n - 1, (long long)v);
        return -1;
    }
    *d = (int)(v < 0 ? v + n : v);
    return 0;
}

static PyObject *tensor_size(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "dim", NULL};
    PyObject *a[2];
    if (ctpy_parse("size", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    if (CTPY_NOARG(a[1])) return ctpy_size_new(t->sizes, t->ndim);
    int d;
    if (dim_arg("size", a[1], t->ndim, &d) < 0) return NULL;
    return PyLong_FromLongLong(t->ndim ? t->sizes[d] : 1);
}

static PyObject *tensor_stride(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "dim", NULL};
    PyObject *a[2];
    if (ctpy_parse("stride", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    if (CTPY_NOARG(a[1])) {
        PyObject *tup = PyTuple_New(t->ndim);
        if (!tup) return NULL;
        for (int i = 0; i < t->ndim; i++) PyTuple_SET_ITEM(tup, i, PyLong_FromLongLong(t->strides[i]));
        return tup;
    }
    int d;
    if (dim_arg("stride", a[1], t->ndim, &d) < 0) return NULL;
    return PyLong_FromLongLong(t->ndim ? t->strides[d] : 1);
}

static PyObject *tensor_dim(PyObject *self, PyObject *u) { return PyLong_FromLong(CTPY_T(self)->ndim); }
static PyObject *tensor_numel(PyObject *self, PyObject *u) {
    return PyLong_FromLongLong(CTPY_T(self)->numel);
}
static PyObject *tensor_element_size(PyObject *self, PyObject *u) {
    return PyLong_FromSize_t(ct_dtype_size(CTPY_T(self)->dtype));
}
static PyObject *tensor_storage_offset(PyObject *self, PyObject *u) {
    return PyLong_FromLongLong(CTPY_T(self)->offset);
}
static PyObject *tensor_is_contiguous(PyObject *self, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return PyBool_FromLong(ct_is_contiguous(CTPY_T(self)));
}
static PyObject *tensor_is_floating_point(PyObject *self, PyObject *u) {
    return PyBool_FromLong(ct_dtype_is_floating(CTPY_T(self)->dtype));
}
static PyObject *tensor_data_ptr(PyObject *self, PyObject *u) {
    return PyLong_FromVoidPtr(ct_data_ptr(CTPY_T(self)));
}
static PyObject *tensor_get_device(PyObject *self, PyObject *u) {
    ct_device d = ct_tensor_device(CTPY_T(self));
    return PyLong_FromLong(d.type == CT_CPU ? -1 : d.index);
}

static PyObject *tensor_requires_grad_(PyObject *self, PyObject *const *args, Py_ssize_t n,
                                       PyObject *kwn) {
    static const char *const names[] = {"self", "requires_grad", NULL};
    PyObject *a[2];
    if (ctpy_parse("requires_grad_", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    if (set_requires_grad(self, a[1] ? a[1] : Py_True, NULL) < 0) return NULL;
    Py_INCREF(self);
    return self;
}

/* x.to(dtype) / x.to(device) / x.to(device, dtype) / x.to(other), copy=. */
static PyObject *tensor_to(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "a0", "a1", "*", "dtype", "device", "copy",
                                        "non_blocking", "memory_format", NULL};
    PyObject *a[9];
    if (ctpy_parse("to", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    ct_dtype dt = t->dtype;
    ct_device dev = ct_tensor_device(t);
    bool copy = false;
    for (int i = 1; i <= 2; i++) {
        if (CTPY_NOARG(a[i])) continue;
        if (ctpy_Tensor_Check(a[i])) {
            dt = CTPY_T(a[i])->dtype;
            dev = ct_tensor_device(CTPY_T(a[i]));
        } else if (PyObject_TypeCheck(a[i], &ctpy_DTypeType) || PyType_Check(a[i])) {
            if (ctpy_dtype(a[i], &dt) < 0) return NULL;
        } else if (ctpy_device_usable(a[i], &dev) < 0) return NULL;
    }
    if (!CTPY_NOARG(a[3]) && ctpy_dtype(a[3], &dt) < 0) return NULL;
    if (!CTPY_NOARG(a[4]) && ctpy_device_usable(a[4], &dev) < 0) return NULL;
    if (a[5] && ctpy_bool(a[5], &copy) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_to_device(t, dev);
    if (r) r = ct_to_dtype(r, dt, copy && r == t);
    return ctpy_finish(sc, r);
}

/* x.cuda(device=None) / x.cpu() */
static PyObject *tensor_cuda(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "device", "non_blocking", "memory_format", NULL};
    PyObject *a[4];
    if (ctpy_parse("cuda", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_device dev = {CT_CUDA, -1};
    if (!CTPY_NOARG(a[1])) {
        if (ctpy_device(a[1], &dev) < 0) return NULL;
        if (dev.type != CT_CUDA) {
            PyErr_SetString(PyExc_RuntimeError, "Invalid device, must be cuda device");
            return NULL;
        }
    }
    PyObject *o = ctpy_device_obj(dev);
    if (!o) return NULL;
    int rc = ctpy_device_usable(o, &dev);
    Py_DECREF(o);
    if (rc < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_to_device(CTPY_T(self), dev));
}
static PyObject *tensor_cpu(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "memory_format", NULL};
    PyObject *a[2];
    if (ctpy_parse("cpu", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_to_device(CTPY_T(self), CT_DEVICE_CPU));
}

static PyObject *cast(PyObject *self, ct_dtype dt) {
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_to_dtype(CTPY_T(self), dt, false));
}
#define CAST(name, dt) \
    static PyObject *tensor_##name(PyObject *self, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return cast(self, dt);                                                                     \
    }
CAST(float, CT_FLOAT32)
CAST(double, CT_FLOAT64)
CAST(half, CT_FLOAT16)
CAST(bfloat16, CT_BFLOAT16)
CAST(long, CT_INT64)
CAST(int, CT_INT32)
CAST(short, CT_INT16)
CAST(char, CT_INT8)
CAST(byte, CT_UINT8)
CAST(bool, CT_BOOL)

static const char *const legacy_type_names[CT_NUM_DTYPES] = {
    "torch.BoolTensor", "torch.ByteTensor", "torch.CharTensor", "torch.ShortTensor",
    "torch.IntTensor", "torch.LongTensor", "torch.HalfTensor", "torch.BFloat16Tensor",
    "torch.FloatTensor", "torch.DoubleTensor"};

/* x.type() -> 'torch.FloatTensor'; x.type(dtype) -> cast. */
static PyObject *tensor_type(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "dtype", "non_blocking", NULL};
    PyObject *a[3];
    if (ctpy_parse("type", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *t = CTPY_T(self);
    if (CTPY_NOARG(a[1])) return PyUnicode_FromString(legacy_type_names[t->dtype]);
    ct_dtype dt;
    if (PyUnicode_Check(a[1])) {
        for (int i = 0; i < CT_NUM_DTYPES; i++)
            if (PyUnicode_CompareWithASCIIString(a[1], legacy_type_names[i]) == 0) return cast(self, i);
        PyErr_Format(PyExc_ValueError, "invalid type: '%U'", a[1]);
        return NULL;
    }
    if (PyObject_TypeCheck(a[1], &ctpy_DTypeType)) {
        if (ctpy_dtype(a[1], &dt) < 0) return NULL;
        return cast(self, dt);
    }
    /* a legacy tensor class such as torch.DoubleTensor carries its dtype */
    PyObject *d = PyObject_GetAttrString(a[1], "dtype");
    if (!d) return NULL;
    int rc = ctpy_dtype(d, &dt);
    Py_DECREF(d);
    return rc < 0 ? NULL : cast(self, dt);
}

/* Pickling: raw contiguous bytes + sizes + dtype name (exact for every dtype). */
static PyObject *tensor_reduce_ex(PyObject *self, PyObject *proto) {
    ct_tensor *t = CTPY_T(self);
    ct_scope sc = ct_scope_begin();
    bool was = ct_is_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *c = ct_contiguous(t);
    ct_set_grad_enabled(was);
    PyObject *bytes = NULL;
    if (c) bytes = PyBytes_FromStringAndSize(ct_data_ptr(c), (Py_ssize_t)(c->numel * (int64_t)ct_dtype_size(c->dtype)));
    ct_scope_end(sc);
    if (!c) return ctpy_raise();
    if (!bytes) return NULL;
    PyObject *shape = ctpy_size_new(t->sizes, t->ndim);
    PyObject *fn = PyObject_GetAttrString(ctpy_module, "_rebuild_tensor");
    PyObject *r = NULL;
    if (shape && fn)
        r = Py_BuildValue("(O(NNsO))", fn, bytes, shape, ct_dtype_name(t->dtype),
                          t->requires_grad ? Py_True : Py_False);
    else
        Py_XDECREF(bytes);
    Py_XDECREF(fn);
    return r;
}

static PyObject *tensor_deepcopy(PyObject *self, PyObject *memo) {
    ct_tensor *t = CTPY_T(self);
    ct_scope sc = ct_scope_begin();
    bool was = ct_is_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = ct_clone(t);
    ct_set_grad_enabled(was);
    if (r && t->requires_grad && ct_set_requires_grad(r, true) < 0) r = NULL;
    PyObject *o = ctpy_finish(sc, r);
    if (o && Py_TYPE(self) != &ctpy_TensorType) {
        /* keep the subclass (nn.Parameter): rebuild through _make_subclass */
        PyObject *args[3] = {(PyObject *)Py_TYPE(self), o, t->requires_grad ? Py_True : Py_False};
        PyObject *s = tensor_make_subclass(NULL, args, 3, NULL);
        Py_DECREF(o);
        o = s;
    }
    if (o && memo && PyDict_Check(memo)) {
        PyObject *key = PyLong_FromVoidPtr(self);
        if (key) {
            PyDict_SetItem(memo, key, o);
            Py_DECREF(key);
        }
    }
    return o;
}

PyObject *ctpy_rebuild_tensor(PyObject *mod, PyObject *const *args, Py_ssize_t n) {
    if (n != 4 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "_rebuild_tensor(bytes, shape, dtype_name, requires_grad)");
        return NULL;
    }
    int64_t sizes[CT_MAX_DIMS];
    int nd;
    if (ctpy_intlist("_rebuild_tensor", args[1], NULL, sizes, &nd) < 0) return NULL;
    int dt = -1;
    for (int i = 0; i < CT_NUM_DTYPES; i++)
        if (PyUnicode_CompareWithASCIIString(args[2], ct_dtype_name(i)) == 0) dt = i;
    if (dt < 0) {
        PyErr_SetString(PyExc_ValueError, "_rebuild_tensor: unknown dtype");
        return NULL;
    }
    int64_t numel = 1;
    for (int i = 0; i < nd; i++) numel *= sizes[i];
    if (PyBytes_GET_SIZE(args[0]) != numel * (int64_t)ct_dtype_size(dt)) {
        PyErr_SetString(PyExc_ValueError, "_rebuild_tensor: byte count does not match the shape");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_from_data(PyBytes_AS_STRING(args[0]), sizes, nd, dt);
    if (r) r->requires_grad = PyObject_IsTrue(args[3]) == 1;
    return ctpy_finish(sc, r);
}

/* f"{t:.3f}": 0-d tensors format as their number, others as their repr. */
/* The autograd part of a repr: "grad_fn=<...>" or "requires_grad=True". */
const char *ctpy_grad_suffix(const ct_tensor *t, char *buf, size_t len) {
    ct_node *fn = ct_grad_fn(t);
    if (fn) snprintf(buf, len, "grad_fn=<%s>", ct_node_name(fn));
    else if (t->requires_grad) snprintf(buf, len, "requires_grad=True");
    else return NULL;
    return buf;
}

static PyObject *tensor_format(PyObject *self, PyObject *spec) {
    PyObject *v = CTPY_T(self)->ndim == 0 ? value_at(CTPY_T(self), 0) : PyObject_Repr(self);
    if (!v) return NULL;
    PyObject *r = PyObject_Format(v, spec);
    Py_DECREF(v);
    return r;
}

static PyMethodDef core_methods[] = {
    {"__format__", tensor_format, METH_O, NULL},
    {"new", tensor_new_legacy, METH_VARARGS, NULL},
    {"size", (PyCFunction)(void (*)(void))tensor_size, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"stride", (PyCFunction)(void (*)(void))tensor_stride, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"dim", tensor_dim, METH_NOARGS, NULL},
    {"ndimension", tensor_dim, METH_NOARGS, NULL},
    {"numel", tensor_numel, METH_NOARGS, NULL},
    {"nelement", tensor_numel, METH_NOARGS, NULL},
    {"element_size", tensor_element_size, METH_NOARGS, NULL},
    {"storage_offset", tensor_storage_offset, METH_NOARGS, NULL},
    {"is_contiguous", (PyCFunction)(void (*)(void))tensor_is_contiguous, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"is_floating_point", tensor_is_floating_point, METH_NOARGS, NULL},
    {"data_ptr", tensor_data_ptr, METH_NOARGS, NULL},
    {"get_device", tensor_get_device, METH_NOARGS, NULL},
    {"item", tensor_item, METH_NOARGS, NULL},
    {"tolist", tensor_tolist, METH_NOARGS, NULL},
    {"requires_grad_", (PyCFunction)(void (*)(void))tensor_requires_grad_, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"to", (PyCFunction)(void (*)(void))tensor_to, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"type", (PyCFunction)(void (*)(void))tensor_type, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"float", (PyCFunction)(void (*)(void))tensor_float, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"double", (PyCFunction)(void (*)(void))tensor_double, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"half", (PyCFunction)(void (*)(void))tensor_half, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"bfloat16", (PyCFunction)(void (*)(void))tensor_bfloat16, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"long", (PyCFunction)(void (*)(void))tensor_long, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"int", (PyCFunction)(void (*)(void))tensor_int, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"short", (PyCFunction)(void (*)(void))tensor_short, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"char", (PyCFunction)(void (*)(void))tensor_char, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"byte", (PyCFunction)(void (*)(void))tensor_byte, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"bool", (PyCFunction)(void (*)(void))tensor_bool, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"cpu", (PyCFunction)(void (*)(void))tensor_cpu, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"cuda", (PyCFunction)(void (*)(void))tensor_cuda, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"__reduce_ex__", tensor_reduce_ex, METH_O, NULL},
    {"__deepcopy__", tensor_deepcopy, METH_O, NULL},
    {"_make_subclass", (PyCFunction)(void (*)(void))tensor_make_subclass,
     METH_FASTCALL | METH_KEYWORDS | METH_STATIC, NULL},
    {NULL}};

/* The full method table is assembled at init: core + interop + custom ops +
 * the generic op-table bindings (ops.c). */
static PyMethodDef *all_methods;

int ctpy_tensor_add_methods(PyMethodDef *const *tables, int ntables) {
    size_t n = 0;
    const PyMethodDef *core = core_methods;
    for (; core[n].ml_name; n++) {}
    size_t total = n;
    for (int i = 0; i < ntables; i++)
        for (const PyMethodDef *m = tables[i]; m->ml_name; m++) total++;
    all_methods = PyMem_Calloc(total + 1, sizeof(PyMethodDef));
    if (!all_methods) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) all_methods[k++] = core_methods[i];
    for (int i = 0; i < ntables; i++)
        for (const PyMethodDef *m = tables[i]; m->ml_name; m++) all_methods[k++] = *m;
    ctpy_TensorType.tp_methods = all_methods;
    return 0;
}

/* `v in t`: (t == v).any(), as PyTorch. */
static int tensor_contains(PyObject *self, PyObject *v) {
    if (!ctpy_Tensor_Check(v) && !ctpy_is_number(v)) {
        PyErr_Format(PyExc_RuntimeError,
                     "Tensor.__contains__ only supports Tensor or scalar, but you passed in a %s.",
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *eq = ctpy_binary("eq", self, v, 0);
    if (!eq) return -1;
    if (eq == Py_NotImplemented) {
        Py_DECREF(eq);
        PyErr_SetString(PyExc_TypeError, "unsupported operand for 'in'");
        return -1;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *any = ct_any(CTPY_T(eq));
    int r = any ? ct_item_at(any, 0) != 0 : -1;
    ct_scope_end(sc);
    Py_DECREF(eq);
    if (r < 0) ctpy_raise();
    return r;
}

PySequenceMethods ctpy_tensor_as_sequence = {
    .sq_length = tensor_len,
    .sq_item = tensor_sq_item,
    .sq_contains = tensor_contains,
};

PyMappingMethods ctpy_tensor_as_mapping = {
    .mp_length = tensor_len,
    .mp_subscript = ctpy_getitem,
    .mp_ass_subscript = ctpy_setitem,
};

int ctpy_tensor_nb_bool(PyObject *self) { return tensor_truth(self); }

PyTypeObject ctpy_TensorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.Tensor",
    .tp_basicsize = sizeof(TensorObject),
    .tp_dealloc = (destructor)tensor_dealloc,
    .tp_repr = tensor_repr,
    .tp_as_number = &ctpy_tensor_as_number,
    .tp_as_sequence = &ctpy_tensor_as_sequence,
    .tp_as_mapping = &ctpy_tensor_as_mapping,
    .tp_as_buffer = &ctpy_tensor_as_buffer,
    .tp_hash = tensor_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A multi-dimensional array of one dtype, backed by the C engine.",
    .tp_richcompare = ctpy_tensor_richcompare,
    .tp_weaklistoffset = offsetof(TensorObject, weakreflist),
    .tp_iter = tensor_iter,
    .tp_getset = ctpy_tensor_getset,
    .tp_new = tensor_new,
};
