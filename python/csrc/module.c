/* ctorch._C: module init, dtype / device / Size objects, torch.tensor(),
 * grad mode. */
#include "ctpy.h"

PyObject *ctpy_module;
PyObject *ctpy_dtypes[CT_NUM_DTYPES];
static PyObject *cpu_device;

/* ------------------------------------------------------------------ dtype */
/* repr is "torch.float32", exactly PyTorch's: code written for PyTorch
 * compares str(x.dtype) with such strings, and tensor reprs embed it. */
static PyObject *dtype_repr(DTypeObject *self) {
    return PyUnicode_FromFormat("torch.%s", self->name);
}
static PyObject *dtype_reduce(DTypeObject *self, PyObject *u) {
    return PyUnicode_FromString(self->name); /* pickled as the global ctorch.<name> */
}
static PyObject *dtype_is_floating(DTypeObject *self, void *c) {
    return PyBool_FromLong(ct_dtype_is_floating(self->dt));
}
static PyObject *dtype_is_signed(DTypeObject *self, void *c) {
    return PyBool_FromLong(self->dt != CT_BOOL && self->dt != CT_UINT8);
}
static PyObject *dtype_false(DTypeObject *self, void *c) { Py_RETURN_FALSE; }
static PyObject *dtype_itemsize(DTypeObject *self, void *c) {
    return PyLong_FromSize_t(ct_dtype_size(self->dt));
}
static PyGetSetDef dtype_getset[] = {
    {"is_floating_point", (getter)dtype_is_floating, NULL, NULL, NULL},
    {"is_signed", (getter)dtype_is_signed, NULL, NULL, NULL},
    {"is_complex", (getter)dtype_false, NULL, NULL, NULL},
    {"itemsize", (getter)dtype_itemsize, NULL, NULL, NULL},
    {NULL}};
static PyMethodDef dtype_methods[] = {{"__reduce__", (PyCFunction)dtype_reduce, METH_NOARGS, NULL},
                                      {NULL}};
PyTypeObject ctpy_DTypeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.dtype",
    .tp_basicsize = sizeof(DTypeObject),
    .tp_repr = (reprfunc)dtype_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_getset = dtype_getset,
    .tp_methods = dtype_methods,
};

/* ------------------------------------------------------------------ device */
static PyObject *device_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwl[] = {"type", "index", NULL};
    PyObject *spec;
    PyObject *index = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwl, &spec, &index)) return NULL;
    if (PyObject_TypeCheck(spec, &ctpy_DeviceType)) {
        Py_INCREF(spec);
        return spec;
    }
    ct_device d = {CT_CPU, -1};
    if (PyLong_Check(spec)) {
        d.type = CT_CUDA;
        d.index = (int8_t)PyLong_AsLong(spec);
    } else {
        const char *s = PyUnicode_Check(spec) ? PyUnicode_AsUTF8(spec) : NULL;
        if (!s) {
            PyErr_SetString(PyExc_TypeError, "device(): argument 'type' must be str");
            return NULL;
        }
        const char *rest;
        if (strncmp(s, "cpu", 3) == 0) rest = s + 3;
        else if (strncmp(s, "cuda", 4) == 0) {
            d.type = CT_CUDA;
            rest = s + 4;
        } else {
            PyErr_Format(PyExc_RuntimeError,
                         "Expected one of cpu, cuda device type at start of device string: %s", s);
            return NULL;
        }
        if (*rest == ':') {
            char *end;
            long v = strtol(rest + 1, &end, 10);
            if (end == rest + 1 || *end || v < 0 || v > 127) {
                PyErr_Format(PyExc_RuntimeError, "Invalid device string: '%s'", s);
                return NULL;
            }
            if (index != Py_None) {
                PyErr_Format(PyExc_RuntimeError,
                             "type (string) must not include an index because index was passed "
                             "explicitly: %s", s);
                return NULL;
            }
            d.index = (int8_t)v;
        } else if (*rest) {
            PyErr_Format(PyExc_RuntimeError, "Invalid device string: '%s'", s);
            return NULL;
        }
    }
    if (index != Py_None) {
        long v = PyLong_AsLong(index);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v < 0) {
            PyErr_Format(PyExc_RuntimeError, "Device index must not be negative");
            return NULL;
        }
        d.index = (int8_t)v;
    }
    DeviceObject *o = (DeviceObject *)type->tp_alloc(type, 0);
    if (o) o->dev = d;
    return (PyObject *)o;
}
static const char *devtype_name(const ct_device *d) { return d->type == CT_CUDA ? "cuda" : "cpu"; }
static PyObject *device_repr(DeviceObject *self) {
    if (self->dev.index >= 0)
        return PyUnicode_FromFormat("device(type='%s', index=%d)", devtype_name(&self->dev),
                                    self->dev.index);
    return PyUnicode_FromFormat("device(type='%s')", devtype_name(&self->dev));
}
static PyObject *device_str(DeviceObject *self) {
    if (self->dev.index >= 0)
        return PyUnicode_FromFormat("%s:%d", devtype_name(&self->dev), self->dev.index);
    return PyUnicode_FromString(devtype_name(&self->dev));
}
static PyObject *device_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(b, &ctpy_DeviceType))
        Py_RETURN_NOTIMPLEMENTED;
    ct_device x = ((DeviceObject *)a)->dev, y = ((DeviceObject *)b)->dev;
    int eq = x.type == y.type && x.index == y.index;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t device_hash(DeviceObject *self) { return 1 + self->dev.type * 1000 + self->dev.index; }
static PyObject *device_type_get(DeviceObject *self, void *c) {
    return PyUnicode_FromString(devtype_name(&self->dev));
}
static PyObject *device_index_get(DeviceObject *self, void *c) {
    if (self->dev.index < 0) Py_RETURN_NONE;
    return PyLong_FromLong(self->dev.index);
}
static PyObject *device_reduce(DeviceObject *self, PyObject *u) {
    PyObject *s = device_str(self);
    return s ? Py_BuildValue("(O(N))", (PyObject *)&ctpy_DeviceType, s) : NULL;
}
static PyGetSetDef device_getset[] = {{"type", (getter)device_type_get, NULL, NULL, NULL},
                                      {"index", (getter)device_index_get, NULL, NULL, NULL},
                                      {NULL}};
static PyMethodDef device_methods[] = {{"__reduce__", (PyCFunction)device_reduce, METH_NOARGS, NULL},
                                       {NULL}};
PyTypeObject ctpy_DeviceType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.device",
    .tp_basicsize = sizeof(DeviceObject),
    .tp_repr = (reprfunc)device_repr,
    .tp_str = (reprfunc)device_str,
    .tp_hash = (hashfunc)device_hash,
    .tp_richcompare = device_richcompare,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_getset = device_getset,
    .tp_methods = device_methods,
    .tp_new = device_new,
};

PyObject *ctpy_cpu_device(void) {
    Py_INCREF(cpu_device);
    return cpu_device;
}

PyObject *ctpy_device_obj(ct_device d) {
    if (d.type == CT_CPU) return ctpy_cpu_device();
    DeviceObject *o = PyObject_New(DeviceObject, &ctpy_DeviceType);
    if (o) o->dev = d;
    return (PyObject *)o;
}

/* ------------------------------------------------------------------ Size */
static PyObject *size_repr(PyObject *self) {
    PyObject *l = PySequence_List(self);
    if (!l) return NULL;
    PyObject *r = PyUnicode_FromFormat("torch.Size(%R)", l);
    Py_DECREF(l);
    return r;
}
static PyObject *size_numel(PyObject *self, PyObject *u) {
    long long n = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self); i++) {
        long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(self, i));
        if (v == -1 && PyErr_Occurred()) return NULL;
        n *= v;
    }
    return PyLong_FromLongLong(n);
}
static PyObject *size_getitem(PyObject *self, PyObject *key) {
    PyObject *r = PyTuple_Type.tp_as_mapping->mp_subscript(self, key);
    if (r && PySlice_Check(key) && PyTuple_CheckExact(r)) {
        PyObject *args = PyTuple_Pack(1, r);
        Py_DECREF(r);
        if (!args) return NULL;
        r = PyTuple_Type.tp_new(&ctpy_SizeType, args, NULL);
        Py_DECREF(args);
    }
    return r;
}
static PyObject *size_reduce(PyObject *self, PyObject *u) {
    PyObject *t = PySequence_Tuple(self);
    return t ? Py_BuildValue("(O(N))", (PyObject *)&ctpy_SizeType, t) : NULL;
}
static PyMappingMethods size_as_mapping = {.mp_subscript = size_getitem};
static PyMethodDef size_methods[] = {{"numel", size_numel, METH_NOARGS, NULL},
                                     {"__reduce__", size_reduce, METH_NOARGS, NULL},
                                     {NULL}};
PyTypeObject ctpy_SizeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.Size",
    .tp_repr = size_repr,
    .tp_as_mapping = &size_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_TUPLE_SUBCLASS,
    .tp_methods = size_methods,
};

/* ------------------------------------------------------------------ tensor(data) */
typedef struct {
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    int kind; /* 0 bool, 1 int, 2 float */
    int64_t n, cap;
    double *f;
    int64_t *i;
} fill_state;

ct_tensor *ctpy_from_buffer(PyObject *o, bool copy); /* interop.c */

static int push_value(fill_state *st, PyObject *o) {
    if (st->n >= st->cap) {
        int64_t cap = st->cap ? st->cap * 2 : 64;
        double *f = PyMem_Realloc(st->f, (size_t)cap * sizeof(double));
        if (f) st->f = f;
        int64_t *i = PyMem_Realloc(st->i, (size_t)cap * sizeof(int64_t));
        if (i) st->i = i;
        if (!f || !i) {
            PyErr_NoMemory();
            return -1;
        }
        st->cap = cap;
    }
    if (ctpy_Tensor_Check(o)) {
        ct_tensor *t = CTPY_T(o);
        if (t->numel != 1) {
            PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python scalars");
            return -1;
        }
        int k = t->dtype == CT_BOOL ? 0 : ct_dtype_is_floating(t->dtype) ? 2 : 1;
        if (k > st->kind) st->kind = k;
        st->f[st->n] = ct_item_at(t, 0);
        st->i[st->n++] = ct_item_at_int(t, 0);
        return 0;
    }
    if (PyBool_Check(o)) {
        st->f[st->n] = st->i[st->n] = o == Py_True;
        st->n++;
        return 0;
    }
    if (PyLong_Check(o) || (PyIndex_Check(o) && !PyFloat_Check(o))) {
        int overflow = 0;
        PyObject *l = PyNumber_Index(o);
        if (!l) return -1;
        long long v = PyLong_AsLongLongAndOverflow(l, &overflow);
        Py_DECREF(l);
        if (overflow) {
            PyErr_SetString(PyExc_RuntimeError, "Overflow when unpacking long");
            return -1;
        }
        if (st->kind < 1) st->kind = 1;
        st->f[st->n] = (double)v;
        st->i[st->n++] = v;
        return 0;
    }
    if (PyFloat_Check(o) || (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float)) {
        double v = PyFloat_AsDouble(o);
        if (v == -1 && PyErr_Occurred()) return -1;
        st->kind = 2;
        st->f[st->n] = v;
        st->i[st->n++] = (int64_t)v;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "new(): invalid data type '%s'", Py_TYPE(o)->tp_name);
    return -1;
}

static int is_seq(PyObject *o) {
    return !ctpy_Tensor_Check(o) && !PyUnicode_Check(o) && !PyBytes_Check(o) && PySequence_Check(o);
}

static int fill(fill_state *st, PyObject *o, int depth) {
    if (!is_seq(o)) {
        if (depth != st->ndim) {
            PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %d (got scalar)",
                         (long long)st->sizes[depth], depth);
            return -1;
        }
        return push_value(st, o);
    }
    if (depth >= st->ndim) {
        PyErr_Format(PyExc_ValueError, "expected a number at dim %d (got a sequence)", depth);
        return -1;
    }
    PyObject *fast = PySequence_Fast(o, "expected a sequence");
    if (!fast) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    int rc = 0;
    if (len != st->sizes[depth]) {
        PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %d (got %zd)",
                     (long long)st->sizes[depth], depth, len);
        rc = -1;
    }
    for (Py_ssize_t k = 0; rc == 0 && k < len; k++)
        rc = fill(st, PySequence_Fast_GET_ITEM(fast, k), depth + 1);
    Py_DECREF(fast);
    return rc;
}

ct_tensor *ctpy_from_data(PyObject *data, ct_dtype dt, bool dt_given) {
    /* NumPy arrays and scalars (buffer protocol) keep their dtype */
    if (!ctpy_Tensor_Check(data) && !PyBytes_Check(data) && !PyByteArray_Check(data) &&
        PyObject_CheckBuffer(data) && !PyList_Check(data) && !PyTuple_Check(data)) {
        ct_tensor *b = ctpy_from_buffer(data, true);
        if (!b) return NULL;
        if (dt_given && b->dtype != dt) {
            ct_scope sc = ct_scope_begin();
            ct_tensor *c = ct_to_dtype(b, dt, false);
            if (c) ct_keep(c);
            ct_scope_end(sc);
            ct_release(b);
            if (!c) ctpy_raise();
            return c;
        }
        return b;
    }
    if (ctpy_Tensor_Check(data)) {
        ct_tensor *t = CTPY_T(data);
        ct_scope sc = ct_scope_begin();
        bool was = ct_is_grad_enabled();
        ct_set_grad_enabled(false);
        ct_tensor *c = ct_to_dtype(t, dt_given ? dt : t->dtype, true);
        ct_set_grad_enabled(was);
        if (c) {
            ct_keep(c);
            c->requires_grad = false;
        }
        ct_scope_end(sc);
        if (!c) ctpy_raise();
        return c;
    }
    fill_state st = {0};
    /* shape from the first element at each depth */
    PyObject *cur = data;
    Py_INCREF(cur);
    while (is_seq(cur)) {
        if (st.ndim == CT_MAX_DIMS) {
            Py_DECREF(cur);
            PyErr_SetString(PyExc_ValueError, "tensor(): too many dimensions");
            return NULL;
        }
        Py_ssize_t len = PySequence_Size(cur);
        if (len < 0) {
            Py_DECREF(cur);
            return NULL;
        }
        st.sizes[st.ndim++] = len;
        if (len == 0) break;
        PyObject *next = PySequence_GetItem(cur, 0);
        Py_DECREF(cur);
        if (!next) return NULL;
        cur = next;
    }
    if (!is_seq(cur) && !ctpy_Tensor_Check(cur) && !ctpy_is_number(cur)) {
        if (PyUnicode_Check(cur))
            PyErr_Format(PyExc_ValueError, "too many dimensions '%s'", Py_TYPE(cur)->tp_name);
        else
            PyErr_Format(PyExc_RuntimeError, "Could not infer dtype of %s", Py_TYPE(cur)->tp_name);
        Py_DECREF(cur);
        return NULL;
    }
    Py_DECREF(cur);
    ct_tensor *r = NULL;
    if (fill(&st, data, 0) == 0) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *raw;
        if (st.kind == 2) raw = ct_from_data(st.f, st.sizes, st.ndim, CT_FLOAT64);
        else if (st.kind == 1 || st.n == 0) {
            int64_t none = 0; /* memcpy of zero bytes still wants a valid pointer */
            raw = ct_from_data(st.i ? st.i : &none, st.sizes, st.ndim, CT_INT64);
        }
        else {
            bool *b = PyMem_Malloc((size_t)st.n + 1);
            for (int64_t k = 0; b && k < st.n; k++) b[k] = st.i[k] != 0;
            raw = b ? ct_from_data(b, st.sizes, st.ndim, CT_BOOL) : NULL;
            PyMem_Free(b);
        }
        ct_dtype target = dt_given          ? dt
                          : st.kind == 2    ? ct_default_dtype()
                          : st.n == 0       ? ct_default_dtype()
                          : st.kind == 1    ? CT_INT64
                                            : CT_BOOL;
        if (raw) r = ct_to_dtype(raw, target, false);
        if (r) ct_keep(r);
        ct_scope_end(sc);
        if (!r) ctpy_raise();
    }
    PyMem_Free(st.f);
    PyMem_Free(st.i);
    return r;
}

/* torch.tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) */
static PyObject *py_tensor(PyObject *mod, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"data", "*", "dtype", "device", "requires_grad",
                                        "pin_memory", NULL};
    PyObject *a[5];
    if (ctpy_parse("tensor", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    if (!a[0]) {
        PyErr_SetString(PyExc_TypeError, "tensor() missing required argument 'data'");
        return NULL;
    }
    ct_dtype dt = ct_default_dtype();
    bool given, rg = false;
    ct_device dev;
    if (ctpy_opt_dtype(a[1], &dt, &given) < 0 || ctpy_device_usable(a[2], &dev) < 0) return NULL;
    if (a[3] && ctpy_bool(a[3], &rg) < 0) return NULL;
    ct_tensor *r = ctpy_from_data(a[0], dt, given);
    if (!r) return PyErr_Occurred() ? NULL : ctpy_raise();
    PyObject *o;
    if (dev.type != CT_CPU) { /* built on the CPU, then placed */
        ct_scope sc = ct_scope_begin();
        ct_tensor *g = ct_to_device(r, dev);
        ct_release(r);
        o = ctpy_finish(sc, g);
    } else {
        o = ctpy_wrap(r);
    }
    if (o && rg && PyObject_SetAttrString(o, "requires_grad", Py_True) < 0) Py_CLEAR(o);
    return o;
}

/* ------------------------------------------------------------------ grad mode etc. */
static PyObject *py_is_grad_enabled(PyObject *m, PyObject *u) {
    return PyBool_FromLong(ct_is_grad_enabled());
}
static PyObject *py_set_grad_enabled(PyObject *m, PyObject *v) {
    int b = PyObject_IsTrue(v);
    if (b < 0) return NULL;
    ct_set_grad_enabled(b);
    Py_RETURN_NONE;
}
static PyObject *py_get_default_dtype(PyObject *m, PyObject *u) {
    return ctpy_dtype_obj(ct_default_dtype());
}
static PyObject *py_set_default_dtype(PyObject *m, PyObject *v) {
    ct_dtype dt;
    if (ctpy_dtype(v, &dt) < 0) return NULL;
    if (!ct_dtype_is_floating(dt)) {
        PyErr_SetString(PyExc_TypeError, "only floating-point types are supported as the default type");
        return NULL;
    }
    ct_set_default_dtype(dt);
    Py_RETURN_NONE;
}
static PyObject *py_get_num_threads(PyObject *m, PyObject *u) {
    return PyLong_FromLong(ct_get_num_threads());
}
static PyObject *py_set_num_threads(PyObject *m, PyObject *v) {
    long n = PyLong_AsLong(v);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1) {
        PyErr_SetString(PyExc_RuntimeError, "set_num_threads expects a positive integer");
        return NULL;
    }
    ct_set_num_threads((int)n);
    Py_RETURN_NONE;
}
static PyObject *py_is_tensor(PyObject *m, PyObject *v) { return PyBool_FromLong(ctpy_Tensor_Check(v)); }
static PyObject *py_promote_types(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    ct_dtype a, b;
    if (n != 2 || ctpy_dtype(args[0], &a) < 0 || ctpy_dtype(args[1], &b) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "promote_types(type1, type2)");
        return NULL;
    }
    return ctpy_dtype_obj(ct_promote_types(a, b));
}
static PyObject *py_op_table(PyObject *m, PyObject *u) {
    PyObject *l = PyList_New(CT_NUM_OPS);
    if (!l) return NULL;
    static const char *sigs[] = {"unary", "binary", "custom"};
    for (int i = 0; i < CT_NUM_OPS; i++) {
        const ct_op_info *op = &ct_op_table[i];
        PyObject *e = Py_BuildValue("(ssOOO)", op->name, sigs[op->sig],
                                    op->flags & CT_F_FUNC ? Py_True : Py_False,
                                    op->flags & CT_F_METHOD ? Py_True : Py_False,
                                    op->flags & CT_F_DIFF ? Py_True : Py_False);
        if (!e) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, e);
    }
    return l;
}

PyObject *ctpy_legacy_new(PyObject *mod, PyObject *const *args, Py_ssize_t n);
PyObject *ctpy_as_tensor(PyObject *mod, PyObject *const *args, Py_ssize_t n, PyObject *kwn);
PyObject *ctpy_rebuild_tensor(PyObject *mod, PyObject *const *args, Py_ssize_t n);
int ctpy_tensor_add_methods(PyMethodDef *const *tables, int ntables);
extern PyMethodDef ctpy_interop_methods[], ctpy_interop_functions[];
extern PyMethodDef ctpy_view_methods[], ctpy_view_functions[];
extern PyMethodDef ctpy_factory_functions[], ctpy_factory_methods[];
extern PyMethodDef ctpy_linalg_methods[], ctpy_linalg_functions[];
extern PyMethodDef ctpy_shape_methods[], ctpy_shape_functions[];
extern PyMethodDef ctpy_reduce_methods[], ctpy_reduce_functions[];
extern PyMethodDef ctpy_pointwise_methods[], ctpy_pointwise_functions[];
extern PyMethodDef ctpy_index_methods[], ctpy_index_functions[];
extern PyMethodDef ctpy_compare_methods[], ctpy_compare_functions[];
extern PyMethodDef ctpy_random_methods[], ctpy_random_functions[];
int ctpy_random_init(PyObject *m);
extern PyMethodDef ctpy_autograd_methods[], ctpy_autograd_functions[];
extern PyMethodDef ctpy_nn_methods[], ctpy_nn_functions[];
/* registered function tables of the areas, one per line */
extern PyMethodDef ctpy_optim_functions[];
extern PyMethodDef ctpy_init_functions[];
extern PyMethodDef ctpy_io_functions[];
extern PyMethodDef ctpy_data_functions[];
extern PyMethodDef ctpy_cuda_functions[], ctpy_cuda_methods[];
extern PyMethodDef ctpy_rnn_functions[];
extern PyMethodDef ctpy_ctc_functions[];
extern PyMethodDef ctpy_nn_conv_functions[];
extern PyMethodDef ctpy_nn_norm_functions[];
extern PyMethodDef ctpy_nn_extra_functions[];
extern PyMethodDef ctpy_nn_pool2_functions[];
extern PyMethodDef ctpy_nn_embpool_functions[];
int ctpy_autograd_init(PyObject *m);
int ctpy_data_init(PyObject *m);
PyObject *ctpy_result_type(PyObject *m, PyObject *const *args, Py_ssize_t n);
PyMethodDef *ctpy_table_methods(void), *ctpy_table_functions(void);

static PyMethodDef module_functions[] = {
    {"tensor", (PyCFunction)(void (*)(void))py_tensor, METH_FASTCALL | METH_KEYWORDS,
     "tensor(data, *, dtype=None, device=None, requires_grad=False)"},
    {"as_tensor", (PyCFunction)(void (*)(void))ctpy_as_tensor, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"asarray", (PyCFunction)(void (*)(void))ctpy_as_tensor, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_legacy_new", (PyCFunction)(void (*)(void))ctpy_legacy_new, METH_FASTCALL, NULL},
    {"_rebuild_tensor", (PyCFunction)(void (*)(void))ctpy_rebuild_tensor, METH_FASTCALL, NULL},
    {"is_grad_enabled", py_is_grad_enabled, METH_NOARGS, NULL},
    {"_set_grad_enabled", py_set_grad_enabled, METH_O, NULL},
    {"get_default_dtype", py_get_default_dtype, METH_NOARGS, NULL},
    {"set_default_dtype", py_set_default_dtype, METH_O, NULL},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, NULL},
    {"set_num_threads", py_set_num_threads, METH_O, NULL},
    {"is_tensor", py_is_tensor, METH_O, NULL},
    {"promote_types", (PyCFunction)(void (*)(void))py_promote_types, METH_FASTCALL, NULL},
    {"result_type", (PyCFunction)(void (*)(void))ctpy_result_type, METH_FASTCALL, NULL},
    {"_op_table", py_op_table, METH_NOARGS, "[(name, sig, is_function, is_method, differentiable)]"},
    {NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "ctorch._C",
                                        "The C engine of ctorch.", -1, module_functions};

static int add_functions(PyObject *m, PyMethodDef *defs) {
    for (PyMethodDef *d = defs; d->ml_name; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, PyModule_GetNameObject(m));
        if (!f || PyModule_AddObject(m, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
    }
    return 0;
}

static const struct {
    const char *name;
    ct_dtype dt;
} dtype_aliases[] = {{"float", CT_FLOAT32}, {"double", CT_FLOAT64}, {"half", CT_FLOAT16},
                     {"long", CT_INT64},    {"int", CT_INT32},      {"short", CT_INT16},
                     {"cfloat", -1}};

PyMODINIT_FUNC PyInit__C(void) {
    ctpy_SizeType.tp_base = &PyTuple_Type;
    /* Later tables win nothing: the first definition of a name is the one
     * Python finds, so hand-written bindings come before the generic ones. */
    PyMethodDef *tables[] = {ctpy_autograd_methods, ctpy_interop_methods, ctpy_view_methods, ctpy_factory_methods,
                             ctpy_linalg_methods, ctpy_shape_methods, ctpy_reduce_methods,
                             ctpy_index_methods, ctpy_random_methods, ctpy_pointwise_methods, ctpy_nn_methods,
                             ctpy_compare_methods, ctpy_cuda_methods, ctpy_table_methods()};
    int ntables = sizeof tables / sizeof *tables;
    if (!tables[ntables - 1] || ctpy_tensor_add_methods(tables, ntables) < 0) return NULL;
    if (ctpy_factory_init(NULL) < 0) return NULL;
    if (PyType_Ready(&ctpy_TensorType) < 0 || PyType_Ready(&ctpy_DTypeType) < 0 ||
        PyType_Ready(&ctpy_DeviceType) < 0 || PyType_Ready(&ctpy_SizeType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    ctpy_module = m;
    Py_INCREF(&ctpy_TensorType);
    PyModule_AddObject(m, "Tensor", (PyObject *)&ctpy_TensorType);
    Py_INCREF(&ctpy_DTypeType);
    PyModule_AddObject(m, "dtype", (PyObject *)&ctpy_DTypeType);
    Py_INCREF(&ctpy_DeviceType);
    PyModule_AddObject(m, "device", (PyObject *)&ctpy_DeviceType);
    Py_INCREF(&ctpy_SizeType);
    PyModule_AddObject(m, "Size", (PyObject *)&ctpy_SizeType);
    for (int i = 0; i < CT_NUM_DTYPES; i++) {
        DTypeObject *d = PyObject_New(DTypeObject, &ctpy_DTypeType);
        if (!d) return NULL;
        d->dt = i;
        d->name = ct_dtype_name(i);
        ctpy_dtypes[i] = (PyObject *)d;
        Py_INCREF(d);
        PyModule_AddObject(m, d->name, (PyObject *)d);
    }
    for (size_t i = 0; i < sizeof dtype_aliases / sizeof *dtype_aliases; i++) {
        if ((int)dtype_aliases[i].dt < 0) continue;
        Py_INCREF(ctpy_dtypes[dtype_aliases[i].dt]);
        PyModule_AddObject(m, dtype_aliases[i].name, ctpy_dtypes[dtype_aliases[i].dt]);
    }
    cpu_device = PyObject_CallFunction((PyObject *)&ctpy_DeviceType, "s", "cpu");
    if (!cpu_device) return NULL;
    /* generic table functions first: hand-written ones replace them by name */
    PyMethodDef *tf = ctpy_table_functions();
    if (!tf || add_functions(m, tf) < 0) return NULL;
    PyMethodDef *ftables[] = {ctpy_interop_functions, ctpy_view_functions, ctpy_factory_functions,
                              ctpy_linalg_functions, ctpy_shape_functions, ctpy_reduce_functions,
                              ctpy_index_functions, ctpy_random_functions, ctpy_pointwise_functions,
                              ctpy_autograd_functions,
                              ctpy_nn_functions,
                              ctpy_optim_functions,
                              ctpy_init_functions,
                              ctpy_io_functions,
                              ctpy_data_functions,
                              ctpy_cuda_functions,
                              ctpy_rnn_functions,
                              ctpy_ctc_functions,
                              ctpy_nn_conv_functions,
                              ctpy_nn_norm_functions,
                              ctpy_nn_extra_functions,
                              ctpy_compare_functions,
                              ctpy_nn_pool2_functions,
                              ctpy_nn_embpool_functions,
                              };
    for (size_t i = 0; i < sizeof ftables / sizeof *ftables; i++)
        if (add_functions(m, ftables[i]) < 0) return NULL;
    if (ctpy_random_init(m) < 0 || ctpy_autograd_init(m) < 0) return NULL;
    if (ctpy_data_init(m) < 0) return NULL;
    PyModule_AddIntConstant(m, "_nogil_numel", CTPY_NOGIL_NUMEL);
    return m;
}
