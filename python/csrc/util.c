/* Wrapping engine tensors, errors, and the one argument parser. */
#include "ctpy.h"

/* ------------------------------------------------------------------ errors */
PyObject *ctpy_exc_for(ct_error_kind k) {
    switch (k) {
    case CT_ERR_INDEX: return PyExc_IndexError;
    case CT_ERR_TYPE: return PyExc_TypeError;
    case CT_ERR_VALUE: return PyExc_ValueError;
    case CT_ERR_NOT_IMPL: return PyExc_NotImplementedError;
    case CT_ERR_MEMORY: return PyExc_MemoryError;
    default: return PyExc_RuntimeError;
    }
}

PyObject *ctpy_raise(void) {
    if (PyErr_Occurred()) return NULL;
    ct_error_kind k = ct_last_error_kind();
    const char *msg = ct_last_error();
    if (k == CT_OK || !msg[0]) {
        PyErr_SetString(PyExc_RuntimeError, "ctorch: operation failed without an error message");
        return NULL;
    }
    PyErr_SetString(ctpy_exc_for(k), msg);
    ct_clear_error();
    return NULL;
}

/* ------------------------------------------------------------------ wrapping */
PyObject *ctpy_wrap(ct_tensor *owned) {
    if (!owned) return ctpy_raise();
    if (owned->pyobj) {
        PyObject *o = owned->pyobj;
        Py_INCREF(o);
        ct_release(owned); /* the Python object holds its own reference */
        return o;
    }
    TensorObject *o = PyObject_New(TensorObject, &ctpy_TensorType);
    if (!o) {
        ct_release(owned);
        return NULL;
    }
    o->t = owned;
    o->weakreflist = NULL;
    owned->pyobj = o;
    return (PyObject *)o;
}

PyObject *ctpy_finish(ct_scope sc, ct_tensor *r) {
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return ctpy_wrap(r);
}

PyObject *ctpy_size_new(const int64_t *sizes, int n) {
    PyObject *tup = PyTuple_New(n);
    if (!tup) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *v = PyLong_FromLongLong(sizes[i]);
        if (!v) {
            Py_DECREF(tup);
            return NULL;
        }
        PyTuple_SET_ITEM(tup, i, v);
    }
    PyObject *args = PyTuple_Pack(1, tup);
    Py_DECREF(tup);
    if (!args) return NULL;
    PyObject *s = PyTuple_Type.tp_new(&ctpy_SizeType, args, NULL);
    Py_DECREF(args);
    return s;
}

/* ------------------------------------------------------------------ parser */
static int name_is(PyObject *key, const char *name) {
    if (*name == '+') name++;
    return PyUnicode_CompareWithASCIIString(key, name) == 0;
}

int ctpy_parse(const char *fname, const char *const *names, PyObject *self, PyObject *const *args,
               Py_ssize_t nargs, PyObject *kwnames, PyObject **out, ctpy_va *va) {
    int nslots = 0, npos = -1, vaslot = -1;
    const char *nm[32];
    for (int k = 0; names[k] && nslots < 32; k++) {
        if (names[k][0] == '*') {
            npos = nslots;
            continue;
        }
        if (names[k][0] == '+') vaslot = nslots;
        nm[nslots++] = names[k];
    }
    if (npos < 0) npos = nslots;
    for (int i = 0; i < nslots; i++) out[i] = NULL;
    if (va) {
        va->va = NULL;
        va->nva = 0;
    }
    int slot = 0;
    if (self) out[slot++] = self;
    Py_ssize_t a = 0;
    for (; a < nargs; a++) {
        if (slot == vaslot) {
            va->va = args + a;
            va->nva = nargs - a;
            slot++;
            break;
        }
        if (slot >= npos) {
            PyErr_Format(PyExc_TypeError, "%s() takes %d positional arguments but %zd were given",
                         fname, npos - (self ? 1 : 0), nargs);
            return -1;
        }
        out[slot++] = args[a];
    }
    if (kwnames) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nk; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int found = -1;
            for (int i = self ? 1 : 0; i < nslots; i++)
                if (name_is(key, nm[i])) {
                    found = i;
                    break;
                }
            if (found < 0) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'",
                             fname, key);
                return -1;
            }
            if (out[found]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'", fname,
                             key);
                return -1;
            }
            out[found] = args[nargs + k];
        }
    }
    /* A GPU tensor reaching a function without a CUDA path is refused here,
     * before any kernel reads device memory from the host. */
    for (int i = 0; i < nslots; i++)
        if (out[i] && ctpy_Tensor_Check(out[i]) && ct_tensor_device(CTPY_T(out[i])).type != CT_CPU) {
            if (ctpy_cuda_capable(fname)) break;
            PyErr_Format(PyExc_NotImplementedError,
                         "%s(): not implemented for CUDA tensors yet (the CUDA backend runs "
                         "elementwise ops, copies and views); move the tensor with .cpu()",
                         fname);
            return -1;
        }
    return 0;
}

/* Functions that accept GPU tensors: every UNARY/BINARY op of the table
 * (the pointwise driver has a GPU branch), the custom pointwise ops, views,
 * copies and placement. */
bool ctpy_cuda_capable(const char *fname) {
    const ct_op_info *op = ctpy_op(fname);
    if (!op) {
        size_t n = strlen(fname);
        if (n > 1 && fname[n - 1] == '_') { /* in-place form of a table op */
            char b[64];
            if (n < sizeof b) {
                memcpy(b, fname, n - 1);
                b[n - 1] = 0;
                op = ctpy_op(b);
            }
        }
    }
    if (op && (op->sig == CT_SIG_UNARY || op->sig == CT_SIG_BINARY)) return true;
    static const char *const names[] = {
        "where", "clamp", "clamp_", "clamp_min", "clamp_max", "clip", "clip_", "addcmul",
        "addcmul_", "addcdiv", "addcdiv_", "lerp", "lerp_", "nan_to_num", "nan_to_num_",
        "to", "cuda", "cpu", "copy_", "clone", "contiguous", "fill_", "zero_", "type",
        "float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool",
        "as_strided", "view", "view_as", "reshape", "reshape_as", "permute", "transpose",
        "swapaxes", "t", "expand", "expand_as", "squeeze", "unsqueeze", "narrow", "select",
        "slice", "flatten", "unflatten", "unfold", "diagonal", "movedim", "split", "chunk",
        "unbind", "detach", "detach_", "requires_grad_", "size", "stride", "dim",
        "is_contiguous", "numel", "element_size", "storage_offset", "data_ptr", "new_empty",
        NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], fname) == 0) return true;
    /* random distributions and decompositions (src/ops/random.c, linalg_decomp.c) */
    static const char *const random_linalg[] = {
        "uniform_", "normal_", "log_normal_", "cauchy_", "exponential_", "geometric_",
        "random_", "bernoulli", "bernoulli_", "normal", "poisson", "multinomial", "rand_like",
        "randn_like", "randint_like", "linalg.inv", "linalg.det", "linalg.solve",
        "linalg.cholesky", "linalg.slogdet", "linalg.qr", "linalg.svd", "linalg.eigh", NULL};
    for (int i = 0; random_linalg[i]; i++)
        if (strcmp(random_linalg[i], fname) == 0) return true;
    /* Ops whose C entry points run GPU tensors through a ct__cuda hook or a
     * composition of GPU ops (docs/ARCHITECTURE.md, "Devices (CUDA)"), each
     * checked against the CPU by a CUDA test: pointwise ops outside the
     * UNARY/BINARY signatures, reductions, products, softmax, indexing,
     * sorts and scans, the shape and counting family, conv/pool/resampling
     * and the nn family. */
    static const char *const hooked[] = {
        "atan2", "isnan", "relu", "maximum", "minimum", "logical_and", "masked_fill",
        "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
        "norm", "all", "any", "count_nonzero", "logsumexp",
        "mm", "bmm", "matmul", "addmm", "mv", "dot", "outer", "linear",
        "softmax", "log_softmax",
        "index_select", "gather", "index_put", "index_put_", "masked_select", "masked_scatter",
        "index_fill", "nonzero", "take",
        "sort", "argsort", "topk", "kthvalue", "cumsum", "cumprod", "cummax", "cummin",
        "pad", "roll", "repeat", "tile", "repeat_interleave", "tril", "triu", "unique",
        "searchsorted", "bincount", "isclose",
        "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
        "max_pool1d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "max_unpool2d",
        "upsample_nearest", "upsample_bilinear2d",
        "embedding", "embedding_bag", "one_hot", "gaussian_nll_loss", "feature_dropout",
        "trunc_normal_", "backward", "any_dims", "all_dims", "allclose", "equal", "bucketize",
        "unique_consecutive", "cross_entropy", "tril_", "triu_", "put", "put_", "scatter",
        "scatter_", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_",
        "index_add", "index_add_", "index_copy", "index_copy_", "histc", "histogram", "avg_pool1d",
        "adaptive_max_pool2d", "multi_margin_loss", "multilabel_margin_loss", "msort", "conv1d",
        "masked_fill_", "flip", "dropout", "baddbmm", "addbmm", "addmv", "adaptive_avg_pool1d",
        "adaptive_max_pool1d", NULL};
    for (int i = 0; hooked[i]; i++)
        if (strcmp(hooked[i], fname) == 0) return true;
    return false;
}

/* ------------------------------------------------------------------ converters */
int ctpy_tensor_arg(const char *fname, const char *argname, PyObject *o, ct_tensor **t) {
    if (o && ctpy_Tensor_Check(o)) {
        *t = CTPY_T(o);
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Tensor, not %s", fname, argname,
                 o ? Py_TYPE(o)->tp_name : "nothing");
    return -1;
}

int ctpy_is_number(PyObject *o) {
    return PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) ||
           (!ctpy_Tensor_Check(o) && PyIndex_Check(o)) ||
           (!ctpy_Tensor_Check(o) && Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float &&
            !PySequence_Check(o));
}

ct_tensor *ctpy_scalar(PyObject *o) {
    ct_tensor *r;
    if (PyBool_Check(o)) r = ct_wrapped_bool(o == Py_True);
    else if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_RuntimeError, "Overflow when unpacking long");
            return NULL;
        }
        if (v == -1 && PyErr_Occurred()) return NULL;
        r = ct_wrapped_int(v);
    } else if (PyFloat_Check(o)) r = ct_wrapped_float(PyFloat_AS_DOUBLE(o));
    else if (PyIndex_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred()) return NULL;
        r = ct_wrapped_int(v);
    } else {
        double v = PyFloat_AsDouble(o);
        if (v == -1 && PyErr_Occurred()) return NULL;
        r = ct_wrapped_float(v);
    }
    if (!r) ctpy_raise();
    return r;
}

int ctpy_operand(PyObject *o, ct_tensor **t) {
    if (ctpy_Tensor_Check(o)) {
        *t = CTPY_T(o);
        return 0;
    }
    if (ctpy_is_number(o)) {
        *t = ctpy_scalar(o);
        return *t ? 0 : -1;
    }
    return -1; /* caller reports (or returns NotImplemented) */
}

int ctpy_int(const char *fname, const char *argname, PyObject *o, int64_t *v) {
    if (ctpy_Tensor_Check(o)) {
        ct_tensor *t = CTPY_T(o);
        if (t->numel != 1 || ct_dtype_is_floating(t->dtype)) goto bad;
        *v = ct_item_at_int(t, 0);
        return 0;
    }
    if (!PyIndex_Check(o)) goto bad;
    *v = PyLong_AsLongLong(o);
    if (*v == -1 && PyErr_Occurred()) return -1;
    return 0;
bad:
    PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be int, not %s", fname, argname,
                 Py_TYPE(o)->tp_name);
    return -1;
}

int ctpy_double(const char *fname, const char *argname, PyObject *o, double *v) {
    if (ctpy_Tensor_Check(o)) {
        if (ct_item(CTPY_T(o), v) < 0) {
            ctpy_raise();
            return -1;
        }
        return 0;
    }
    if (!ctpy_is_number(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Number, not %s", fname,
                     argname, Py_TYPE(o)->tp_name);
        return -1;
    }
    *v = PyFloat_AsDouble(o);
    return (*v == -1 && PyErr_Occurred()) ? -1 : 0;
}

int ctpy_bool(PyObject *o, bool *v) {
    int r = PyObject_IsTrue(o);
    if (r < 0) return -1;
    *v = r;
    return 0;
}

int ctpy_dtype(PyObject *o, ct_dtype *dt) {
    if (o && PyObject_TypeCheck(o, &ctpy_DTypeType)) {
        *dt = ((DTypeObject *)o)->dt;
        return 0;
    }
    /* Python's float/int/bool types as dtypes, as torch accepts them. */
    if (o == (PyObject *)&PyFloat_Type) { *dt = CT_FLOAT64; return 0; }
    if (o == (PyObject *)&PyLong_Type) { *dt = CT_INT64; return 0; }
    if (o == (PyObject *)&PyBool_Type) { *dt = CT_BOOL; return 0; }
    PyErr_Format(PyExc_TypeError, "expected a torch.dtype, not %s", o ? Py_TYPE(o)->tp_name : "nothing");
    return -1;
}

int ctpy_opt_dtype(PyObject *o, ct_dtype *dt, bool *given) {
    *given = false;
    if (CTPY_NOARG(o)) return 0;
    *given = true;
    return ctpy_dtype(o, dt);
}

/* Parses a device argument (torch.device, "cuda:1", an int = CUDA index);
 * None/absent is the CPU. */
int ctpy_device(PyObject *o, ct_device *d) {
    *d = CT_DEVICE_CPU;
    if (CTPY_NOARG(o)) return 0;
    if (PyObject_TypeCheck(o, &ctpy_DeviceType)) {
        *d = ((DeviceObject *)o)->dev;
    } else if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        if (ct_device_parse(s, d) < 0) {
            ctpy_raise();
            return -1;
        }
    } else if (PyLong_Check(o)) {
        long v = PyLong_AsLong(o);
        if (v < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "Device index must not be negative");
            return -1;
        }
        *d = (ct_device){CT_CUDA, (int8_t)v};
    } else {
        PyErr_Format(PyExc_TypeError, "expected a torch.device, not %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}

/* A device a tensor can be placed on here: a CPU-only build and a machine
 * without a GPU fail as torch does. */
int ctpy_device_usable(PyObject *o, ct_device *d) {
    if (ctpy_device(o, d) < 0) return -1;
    if (d->type != CT_CUDA) return 0;
    if (!ct_cuda_version()) {
        PyErr_SetString(PyExc_AssertionError, "Torch not compiled with CUDA enabled");
        return -1;
    }
    if (!ct_cuda_is_available()) {
        PyErr_SetString(PyExc_RuntimeError, "Found no NVIDIA driver on your system. Please check that "
                                            "you have an NVIDIA GPU and installed a driver");
        return -1;
    }
    return 0;
}

/* For arguments whose callers create on the CPU only. */
int ctpy_check_device(PyObject *o) {
    ct_device d;
    if (ctpy_device_usable(o, &d) < 0) return -1;
    if (d.type == CT_CUDA) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "device='cuda' is not supported by this function yet: create the tensor on "
                        "the CPU and move it with .cuda() or .to(device)");
        return -1;
    }
    return 0;
}

static int intlist_seq(const char *fname, PyObject *seq, int64_t *out, int *n) {
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of ints");
    if (!fast) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    if (len > CT_MAX_DIMS) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_RuntimeError, "%s(): too many dimensions %zd (at most %d)", fname, len,
                     CT_MAX_DIMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (ctpy_int(fname, "size", PySequence_Fast_GET_ITEM(fast, i), &out[i]) < 0) {
            Py_DECREF(fast);
            return -1;
        }
    *n = (int)len;
    Py_DECREF(fast);
    return 0;
}

int ctpy_intlist(const char *fname, PyObject *o, const ctpy_va *va, int64_t *out, int *n) {
    if (va && va->nva > 0) {
        if (va->nva == 1 && !PyIndex_Check(va->va[0]) && !ctpy_Tensor_Check(va->va[0]))
            return intlist_seq(fname, va->va[0], out, n);
        if (va->nva > CT_MAX_DIMS) {
            PyErr_Format(PyExc_RuntimeError, "%s(): too many dimensions", fname);
            return -1;
        }
        for (Py_ssize_t i = 0; i < va->nva; i++)
            if (ctpy_int(fname, "size", va->va[i], &out[i]) < 0) return -1;
        *n = (int)va->nva;
        return 0;
    }
    if (!o || o == Py_None) {
        *n = 0;
        return 0;
    }
    if (PyIndex_Check(o) && !ctpy_Tensor_Check(o)) {
        *n = 1;
        return ctpy_int(fname, "size", o, &out[0]);
    }
    return intlist_seq(fname, o, out, n);
}

int ctpy_shape(const char *fname, PyObject *kwsize, const ctpy_va *va, int64_t *out, int *n) {
    if (va && va->nva > 0) return ctpy_intlist(fname, NULL, va, out, n);
    return ctpy_intlist(fname, kwsize, NULL, out, n);
}

PyObject *ctpy_dtype_obj(ct_dtype dt) {
    PyObject *o = ctpy_dtypes[dt];
    Py_INCREF(o);
    return o;
}

/* ------------------------------------------------------------------ multi-result helpers */
int ctpy_tensor_seq(const char *fname, PyObject *o, ct_tensor ***arr, int *n) {
    *arr = NULL;
    *n = 0;
    if (!o || ctpy_Tensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument 'tensors' must be tuple of Tensors, not %s", fname,
                     o ? Py_TYPE(o)->tp_name : "nothing");
        return -1;
    }
    PyObject *fast = PySequence_Fast(o, "expected a sequence of tensors");
    if (!fast) return -1;
    if (fast != o) {
        /* a list made from a generator (torch.cat(x * 2 for x in xs)) holds
         * the only references to its tensors: it must outlive the caller's
         * use of the array, so it is kept until the next call (GIL held) */
        static PyObject *keepalive;
        Py_INCREF(fast);
        Py_XSETREF(keepalive, fast);
    }
    Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);
    ct_tensor **a = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(k + 1));
    if (!a) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++)
        if (ctpy_tensor_arg(fname, "tensors", PySequence_Fast_GET_ITEM(fast, i), &a[i]) < 0) {
            PyMem_Free(a);
            Py_DECREF(fast);
            return -1;
        }
    Py_DECREF(fast);
    *arr = a;
    *n = (int)k;
    return 0;
}

PyObject *ctpy_finish_tuple(ct_scope sc, ct_tensor **r, int n) {
    if (n < 0) {
        ct_scope_end(sc);
        return ctpy_raise();
    }
    for (int i = 0; i < n; i++) ct_keep(r[i]);
    ct_scope_end(sc);
    PyObject *tup = PyTuple_New(n);
    for (int i = 0; i < n; i++) {
        PyObject *w = ctpy_wrap(r[i]);
        if (tup && w) PyTuple_SET_ITEM(tup, i, w);
        else Py_XDECREF(w);
    }
    return tup;
}

#define MAX_RETURN_TYPES 32
static struct {
    const char *name;
    PyTypeObject *type;
} return_types[MAX_RETURN_TYPES];

static PyTypeObject *return_type(const char *name, const char *const *fields, int n) {
    int i = 0;
    for (; i < MAX_RETURN_TYPES && return_types[i].name; i++)
        if (strcmp(return_types[i].name, name) == 0) return return_types[i].type;
    if (i == MAX_RETURN_TYPES) return NULL;
    PyStructSequence_Field *f = PyMem_Calloc((size_t)n + 1, sizeof *f);
    PyStructSequence_Desc *d = PyMem_Calloc(1, sizeof *d);
    char *qual = PyMem_Malloc(strlen(name) + 32);
    if (!f || !d || !qual) return NULL;
    for (int k = 0; k < n; k++) f[k].name = fields[k];
    sprintf(qual, "torch.return_types.%s", name);
    d->name = qual;
    d->fields = f;
    d->n_in_sequence = n;
    PyTypeObject *t = PyStructSequence_NewType(d);
    if (!t) return NULL;
    return_types[i].name = name;
    return_types[i].type = t;
    return t;
}

PyObject *ctpy_finish_named(ct_scope sc, const char *name, const char *const *fields, ct_tensor **r,
                            int n) {
    PyObject *tup = ctpy_finish_tuple(sc, r, n);
    if (!tup) return NULL;
    PyTypeObject *t = return_type(name, fields, n);
    if (!t) return tup;
    PyObject *s = PyStructSequence_New(t);
    if (!s) {
        Py_DECREF(tup);
        return NULL;
    }
    for (int i = 0; i < n; i++) PyStructSequence_SET_ITEM(s, i, Py_NewRef(PyTuple_GET_ITEM(tup, i)));
    Py_DECREF(tup);
    return s;
}

PyObject *ctpy_finish_out(ct_scope sc, ct_tensor *r, PyObject *out) {
    if (CTPY_NOARG(out)) return ctpy_finish(sc, r);
    ct_tensor *o;
    if (!r || ctpy_tensor_arg("out", "out", out, &o) < 0) {
        ct_scope_end(sc);
        return r ? NULL : ctpy_raise();
    }
    if (o->ndim != r->ndim || memcmp(o->sizes, r->sizes, sizeof(int64_t) * (size_t)r->ndim) != 0) {
        char b1[160], b2[160];
        ct_scope_end(sc);
        PyErr_Format(PyExc_RuntimeError, "out= has shape %s but the result has shape %s",
                     ct_shape_str(o->sizes, o->ndim, b1, sizeof b1), ct_shape_str(r->sizes, r->ndim, b2, sizeof b2));
        return NULL;
    }
    return ctpy_finish(sc, ct_copy_(o, r));
}
