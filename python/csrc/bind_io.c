/* ctorch._C's save/load: Python objects <-> the engine's value tree
 * (include/ctorch/serialize.h), and the PyTorch-format / safetensors
 * readers and writers over paths and bytes. The Python glue is
 * python/ctorch/serialization.py. */
#include "ctpy.h"

#include <ctype.h>

/* ------------------------------------------------------------ Python -> value */
typedef struct {
    PyObject *memo;   /* id(obj) -> index into vals (NULL entry: being built) */
    ct_value **vals;
    size_t n, cap;
} tov_t;

static PyObject *ordered_dict_type(void) {
    static PyObject *od;
    if (!od) {
        PyObject *m = PyImport_ImportModule("collections");
        if (!m) return NULL;
        od = PyObject_GetAttrString(m, "OrderedDict");
        Py_DECREF(m);
    }
    return od;
}

static bool is_parameter(PyObject *o) {
    for (PyTypeObject *t = Py_TYPE(o); t && t != &ctpy_TensorType; t = t->tp_base) {
        const char *dot = strrchr(t->tp_name, '.');
        if (!strcmp(dot ? dot + 1 : t->tp_name, "Parameter")) return true;
    }
    return false;
}

static ct_value *to_value(tov_t *c, PyObject *o, int depth);

static ct_value *fill_dict(tov_t *c, ct_value *d, PyObject *o, int depth) {
    PyObject *items = PyMapping_Items(o);
    if (!items) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        ct_value *k = to_value(c, PyTuple_GET_ITEM(kv, 0), depth + 1);
        ct_value *v = k ? to_value(c, PyTuple_GET_ITEM(kv, 1), depth + 1) : NULL;
        if (!k || !v) {
            ct_value_release(k);
            Py_DECREF(items);
            return NULL;
        }
        if (ct_value_dict_set(d, k, v) < 0) {
            Py_DECREF(items);
            PyErr_Format(PyExc_TypeError, "ctorch.save: %s", ct_last_error());
            return NULL;
        }
    }
    Py_DECREF(items);
    return d;
}

static ct_value *build(tov_t *c, PyObject *o, int depth) {
    if (o == Py_None) return ct_value_none();
    if (PyBool_Check(o)) return ct_value_bool(o == Py_True);
    if (PyLong_Check(o)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "ctorch.save: int does not fit in 64 bits");
            return NULL;
        }
        if (v == -1 && PyErr_Occurred()) return NULL;
        return ct_value_int(v);
    }
    if (PyFloat_Check(o)) return ct_value_float(PyFloat_AS_DOUBLE(o));
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        return s ? ct_value_str_n(s, (size_t)n) : NULL;
    }
    if (PyBytes_Check(o)) return ct_value_bytes(PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
    if (ctpy_Tensor_Check(o)) return ct_value_tensor(CTPY_T(o), is_parameter(o));
    if (PyTuple_Check(o) || PyList_Check(o)) {
        ct_value *s = PyTuple_Check(o) ? ct_value_tuple() : ct_value_list();
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        for (Py_ssize_t i = 0; s && i < n; i++) {
            ct_value *v = to_value(c, PySequence_Fast_GET_ITEM(o, i), depth + 1);
            if (!v) {
                ct_value_release(s);
                return NULL;
            }
            if (ct_value_append(s, v) < 0) {
                ct_value_release(s);
                PyErr_Format(PyExc_ValueError, "ctorch.save: %s", ct_last_error());
                return NULL;
            }
        }
        return s;
    }
    if (PyAnySet_Check(o)) {
        ct_value *s = ct_value_set();
        PyObject *it = s ? PyObject_GetIter(o) : NULL, *x;
        if (!it) {
            ct_value_release(s);
            return NULL;
        }
        while ((x = PyIter_Next(it))) {
            ct_value *v = to_value(c, x, depth + 1);
            Py_DECREF(x);
            if (!v || ct_value_append(s, v) < 0) {
                if (v) PyErr_Format(PyExc_TypeError, "ctorch.save: %s", ct_last_error());
                Py_DECREF(it);
                ct_value_release(s);
                return NULL;
            }
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) {
            ct_value_release(s);
            return NULL;
        }
        return s;
    }
    if (PyDict_Check(o)) {
        PyObject *od = ordered_dict_type();
        if (!od) return NULL;
        int ordered = PyObject_IsInstance(o, od);
        if (ordered < 0) return NULL;
        ct_value *d = ct_value_dict(ordered);
        if (!d) return NULL;
        if (!fill_dict(c, d, o, depth)) {
            ct_value_release(d);
            return NULL;
        }
        /* an OrderedDict's attributes: a state dict's _metadata */
        PyObject *attrs = ordered ? PyObject_GenericGetDict(o, NULL) : NULL;
        if (ordered && !attrs) PyErr_Clear();
        if (attrs && PyDict_Size(attrs) > 0) {
            ct_value *a = ct_value_dict(false);
            if (!a || !fill_dict(c, a, attrs, depth) || ct_value_dict_set_attrs(d, a) < 0) {
                if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "ctorch.save: %s", ct_last_error());
                Py_DECREF(attrs);
                ct_value_release(d);
                return NULL;
            }
        }
        Py_XDECREF(attrs);
        return d;
    }
    PyErr_Format(PyExc_TypeError,
                 "ctorch.save: cannot save an object of type '%s' (supported: tensors, "
                 "Parameters, None, bool, int, float, str, bytes, tuple, list, set, dict, "
                 "OrderedDict)", Py_TYPE(o)->tp_name);
    return NULL;
}

static ct_value *to_value(tov_t *c, PyObject *o, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "ctorch.save: objects nested more than 1000 deep");
        return NULL;
    }
    bool memoize = !(o == Py_None || PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o));
    PyObject *key = NULL;
    if (memoize) {
        key = PyLong_FromVoidPtr(o);
        if (!key) return NULL;
        PyObject *idx = PyDict_GetItemWithError(c->memo, key);
        if (idx) {
            Py_DECREF(key);
            ct_value *v = c->vals[PyLong_AsSize_t(idx)];
            if (!v) {
                PyErr_SetString(PyExc_ValueError, "ctorch.save: cannot save a recursive structure "
                                                  "(a container that contains itself)");
                return NULL;
            }
            return ct_value_retain(v);
        }
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
        if (c->n == c->cap) {
            size_t nc = c->cap ? 2 * c->cap : 64;
            ct_value **v = realloc(c->vals, nc * sizeof *v);
            if (!v) {
                Py_DECREF(key);
                PyErr_NoMemory();
                return NULL;
            }
            c->vals = v, c->cap = nc;
        }
        PyObject *ix = PyLong_FromSize_t(c->n);
        if (!ix || PyDict_SetItem(c->memo, key, ix) < 0) {
            Py_XDECREF(ix);
            Py_DECREF(key);
            return NULL;
        }
        Py_DECREF(ix);
        c->vals[c->n++] = NULL; /* in progress */
    }
    size_t slot = memoize ? c->n - 1 : 0;
    ct_value *v = build(c, o, depth);
    if (!v && !PyErr_Occurred()) ctpy_raise();
    if (memoize) {
        if (v) c->vals[slot] = ct_value_retain(v);
        else PyDict_DelItem(c->memo, key);
        Py_DECREF(key);
    }
    return v;
}

/* Objects reached twice become one value (saved once; identity survives
 * the round trip); the objects are held by the container being saved. */
static ct_value *py_to_value(PyObject *o, tov_t *c) {
    c->memo = PyDict_New();
    if (!c->memo) return NULL;
    return to_value(c, o, 0);
}
static void tov_free(tov_t *c) {
    for (size_t i = 0; i < c->n; i++) ct_value_release(c->vals[i]);
    free(c->vals);
    Py_XDECREF(c->memo);
}

/* ------------------------------------------------------------ value -> Python */
typedef struct {
    PyObject *memo; /* value pointer -> object */
    PyObject *make_param;
} fromv_t;

static PyObject *from_value(fromv_t *c, const ct_value *v, int depth);

static PyObject *from_value_uncached(fromv_t *c, const ct_value *v, int depth) {
    switch (ct_value_kind_of(v)) {
    case CT_VAL_NONE: Py_RETURN_NONE;
    case CT_VAL_BOOL: return PyBool_FromLong(ct_value_get_bool(v));
    case CT_VAL_INT: return PyLong_FromLongLong(ct_value_get_int(v));
    case CT_VAL_FLOAT: return PyFloat_FromDouble(ct_value_get_float(v));
    case CT_VAL_STR: {
        size_t n;
        const char *s = ct_value_get_str(v, &n);
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "surrogatepass");
    }
    case CT_VAL_BYTES: {
        size_t n;
        const char *s = ct_value_get_str(v, &n);
        return PyBytes_FromStringAndSize(s, (Py_ssize_t)n);
    }
    case CT_VAL_TUPLE: case CT_VAL_LIST: case CT_VAL_SET: {
        size_t n = ct_value_len(v);
        ct_value_kind k = ct_value_kind_of(v);
        PyObject *r = k == CT_VAL_TUPLE ? PyTuple_New((Py_ssize_t)n)
                      : k == CT_VAL_LIST ? PyList_New((Py_ssize_t)n) : PySet_New(NULL);
        if (!r) return NULL;
        for (size_t i = 0; i < n; i++) {
            PyObject *x = from_value(c, ct_value_item(v, i), depth + 1);
            if (!x) {
                Py_DECREF(r);
                return NULL;
            }
            if (k == CT_VAL_TUPLE) PyTuple_SET_ITEM(r, (Py_ssize_t)i, x);
            else if (k == CT_VAL_LIST) PyList_SET_ITEM(r, (Py_ssize_t)i, x);
            else {
                int e = PySet_Add(r, x);
                Py_DECREF(x);
                if (e < 0) {
                    Py_DECREF(r);
                    return NULL;
                }
            }
        }
        return r;
    }
    case CT_VAL_DICT: {
        PyObject *r;
        if (ct_value_dict_is_ordered(v)) {
            PyObject *od = ordered_dict_type();
            r = od ? PyObject_CallNoArgs(od) : NULL;
        } else {
            r = PyDict_New();
        }
        if (!r) return NULL;
        for (size_t i = 0; i < ct_value_len(v); i++) {
            PyObject *k = from_value(c, ct_value_dict_key(v, i), depth + 1);
            PyObject *x = k ? from_value(c, ct_value_dict_value(v, i), depth + 1) : NULL;
            int e = x ? PyObject_SetItem(r, k, x) : -1;
            Py_XDECREF(k);
            Py_XDECREF(x);
            if (e < 0) {
                Py_DECREF(r);
                return NULL;
            }
        }
        const ct_value *attrs = ct_value_dict_attrs(v);
        for (size_t i = 0; attrs && i < ct_value_len(attrs); i++) {
            const ct_value *k = ct_value_dict_key(attrs, i);
            if (ct_value_kind_of(k) != CT_VAL_STR) continue;
            PyObject *x = from_value(c, ct_value_dict_value(attrs, i), depth + 1);
            if (!x || PyObject_SetAttrString(r, ct_value_get_str(k, NULL), x) < 0) {
                Py_XDECREF(x);
                Py_DECREF(r);
                return NULL;
            }
            Py_DECREF(x);
        }
        return r;
    }
    case CT_VAL_TENSOR: {
        ct_tensor *t = ct_value_get_tensor(v);
        bool rg = t->requires_grad;
        PyObject *r = ctpy_wrap(ct_retain(t));
        if (!r || !ct_value_is_parameter(v) || !c->make_param || c->make_param == Py_None) return r;
        PyObject *p = PyObject_CallFunction(c->make_param, "OO", r, rg ? Py_True : Py_False);
        Py_DECREF(r);
        return p;
    }
    default:
        PyErr_SetString(PyExc_RuntimeError, "ctorch.load: unexpected value kind");
        return NULL;
    }
}

static PyObject *from_value(fromv_t *c, const ct_value *v, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "ctorch.load: objects nested more than 1000 deep");
        return NULL;
    }
    ct_value_kind k = ct_value_kind_of(v);
    bool memoize = k >= CT_VAL_TUPLE; /* containers and tensors keep their identity */
    PyObject *key = NULL;
    if (memoize) {
        key = PyLong_FromVoidPtr((void *)v);
        if (!key) return NULL;
        PyObject *o = PyDict_GetItemWithError(c->memo, key);
        if (o || PyErr_Occurred()) {
            Py_DECREF(key);
            Py_XINCREF(o);
            return o;
        }
    }
    PyObject *r = from_value_uncached(c, v, depth);
    if (r && memoize && PyDict_SetItem(c->memo, key, r) < 0) Py_CLEAR(r);
    Py_XDECREF(key);
    return r;
}

static PyObject *value_to_py(const ct_value *v, PyObject *make_param) {
    fromv_t c = {PyDict_New(), make_param};
    if (!c.memo) return NULL;
    PyObject *r = from_value(&c, v, 0);
    Py_DECREF(c.memo);
    return r;
}

/* ------------------------------------------------------------ errors */
static PyObject *load_error(void) {
    if (strstr(ct_last_error(), ": pickle: ")) {
        PyObject *pk = PyImport_ImportModule("pickle");
        PyObject *exc = pk ? PyObject_GetAttrString(pk, "UnpicklingError") : NULL;
        Py_XDECREF(pk);
        if (exc) {
            PyErr_SetString(exc, ct_last_error());
            Py_DECREF(exc);
        }
        return NULL;
    }
    return ctpy_raise();
}

/* ------------------------------------------------------------ functions */
/* _save(obj, path_or_None) -> None or bytes */
static PyObject *py_save(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 2 || (args[1] != Py_None && !PyUnicode_Check(args[1]))) {
        PyErr_SetString(PyExc_TypeError, "_save(obj, path or None)");
        return NULL;
    }
    tov_t c = {0};
    ct_value *v = py_to_value(args[0], &c);
    if (!v) {
        tov_free(&c);
        return NULL;
    }
    int r;
    PyObject *res = NULL;
    if (args[1] == Py_None) {
        void *buf = NULL;
        size_t len = 0;
        Py_BEGIN_ALLOW_THREADS
        r = ct_save_buffer(v, &buf, &len);
        Py_END_ALLOW_THREADS
        if (r == 0) res = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
        free(buf);
    } else {
        const char *path = PyUnicode_AsUTF8(args[1]);
        if (!path) r = -2;
        else {
            Py_BEGIN_ALLOW_THREADS
            r = ct_save(path, v);
            Py_END_ALLOW_THREADS
        }
        if (r == 0) res = Py_NewRef(Py_None);
    }
    ct_value_release(v);
    tov_free(&c);
    if (r == -1) return ctpy_raise();
    return res;
}

/* _load(path_or_buffer, make_param) -> object */
static PyObject *py_load(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 2) {
        PyErr_SetString(PyExc_TypeError, "_load(path or buffer, make_param)");
        return NULL;
    }
    ct_value *v;
    if (PyUnicode_Check(args[0])) {
        const char *path = PyUnicode_AsUTF8(args[0]);
        if (!path) return NULL;
        Py_BEGIN_ALLOW_THREADS
        v = ct_load(path);
        Py_END_ALLOW_THREADS
    } else {
        Py_buffer b;
        if (PyObject_GetBuffer(args[0], &b, PyBUF_SIMPLE) < 0) return NULL;
        Py_BEGIN_ALLOW_THREADS
        v = ct_load_buffer(b.buf, (size_t)b.len);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&b);
    }
    if (!v) return load_error();
    PyObject *r = value_to_py(v, args[1]);
    ct_value_release(v);
    return r;
}

/* ------------------------------------------------------------ safetensors */
/* _save_safetensors({name: tensor}, {str: str} or None, path or None) -> None or bytes */
static PyObject *py_save_st(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 3 || !PyDict_Check(args[0]) || (args[1] != Py_None && !PyDict_Check(args[1])) ||
        (args[2] != Py_None && !PyUnicode_Check(args[2]))) {
        PyErr_SetString(PyExc_TypeError, "save_safetensors(tensors: dict, metadata: dict or None)");
        return NULL;
    }
    Py_ssize_t nt = PyDict_Size(args[0]), nm = args[1] == Py_None ? 0 : PyDict_Size(args[1]);
    const char **names = calloc((size_t)nt + 1, sizeof *names);
    ct_tensor **ts = calloc((size_t)nt + 1, sizeof *ts);
    const char **mk = calloc((size_t)nm + 1, sizeof *mk), **mv = calloc((size_t)nm + 1, sizeof *mv);
    PyObject *res = NULL, *k, *v;
    Py_ssize_t pos = 0, i = 0;
    if (!names || !ts || !mk || !mv) {
        PyErr_NoMemory();
        goto done;
    }
    while (PyDict_Next(args[0], &pos, &k, &v)) {
        if (!PyUnicode_Check(k) || !ctpy_Tensor_Check(v)) {
            PyErr_Format(PyExc_TypeError, "save_safetensors: expected a dict of str -> Tensor, got "
                         "%s -> %s", Py_TYPE(k)->tp_name, Py_TYPE(v)->tp_name);
            goto done;
        }
        if (!(names[i] = PyUnicode_AsUTF8(k))) goto done;
        ts[i++] = CTPY_T(v);
    }
    pos = 0, i = 0;
    while (nm && PyDict_Next(args[1], &pos, &k, &v)) {
        if (!PyUnicode_Check(k) || !PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "save_safetensors: metadata must be a dict of str -> str");
            goto done;
        }
        if (!(mk[i] = PyUnicode_AsUTF8(k)) || !(mv[i] = PyUnicode_AsUTF8(v))) goto done;
        i++;
    }
    int r;
    if (args[2] == Py_None) {
        void *buf = NULL;
        size_t len = 0;
        Py_BEGIN_ALLOW_THREADS
        r = ct_save_safetensors_buffer(names, ts, (size_t)nt, mk, mv, (size_t)nm, &buf, &len);
        Py_END_ALLOW_THREADS
        if (r == 0) res = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
        free(buf);
    } else {
        const char *path = PyUnicode_AsUTF8(args[2]);
        if (!path) goto done;
        Py_BEGIN_ALLOW_THREADS
        r = ct_save_safetensors(path, names, ts, (size_t)nt, mk, mv, (size_t)nm);
        Py_END_ALLOW_THREADS
        if (r == 0) res = Py_NewRef(Py_None);
    }
    if (r < 0) ctpy_raise();
done:
    free(names);
    free(ts);
    free(mk);
    free(mv);
    return res;
}

/* _load_safetensors(path or buffer) -> ({name: tensor}, {str: str}) */
static PyObject *py_load_st(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 1) {
        PyErr_SetString(PyExc_TypeError, "_load_safetensors(path or buffer)");
        return NULL;
    }
    char **names = NULL, **mk = NULL, **mv = NULL;
    ct_tensor **ts = NULL;
    size_t nt = 0, nm = 0;
    int r;
    if (PyUnicode_Check(args[0])) {
        const char *path = PyUnicode_AsUTF8(args[0]);
        if (!path) return NULL;
        Py_BEGIN_ALLOW_THREADS
        r = ct_load_safetensors(path, &names, &ts, &nt, &mk, &mv, &nm);
        Py_END_ALLOW_THREADS
    } else {
        Py_buffer b;
        if (PyObject_GetBuffer(args[0], &b, PyBUF_SIMPLE) < 0) return NULL;
        Py_BEGIN_ALLOW_THREADS
        r = ct_load_safetensors_buffer(b.buf, (size_t)b.len, &names, &ts, &nt, &mk, &mv, &nm);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&b);
    }
    if (r < 0) return ctpy_raise();
    PyObject *d = PyDict_New(), *meta = PyDict_New(), *res = NULL;
    if (!d || !meta) goto done;
    for (size_t i = 0; i < nt; i++) {
        PyObject *t = ctpy_wrap(ts[i]);
        ts[i] = NULL; /* the wrapper owns it */
        if (!t || PyDict_SetItemString(d, names[i], t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    for (size_t i = 0; i < nm; i++) {
        PyObject *v = PyUnicode_FromString(mv[i]);
        if (!v || PyDict_SetItemString(meta, mk[i], v) < 0) {
            Py_XDECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    res = PyTuple_Pack(2, d, meta);
done:
    Py_XDECREF(d);
    Py_XDECREF(meta);
    ct_state_dict_free(names, ts, nt);
    ct_safetensors_meta_free(mk, mv, nm);
    return res;
}

PyMethodDef ctpy_io_functions[] = {
    {"_save_safetensors", (PyCFunction)(void (*)(void))py_save_st, METH_FASTCALL, NULL},
    {"_load_safetensors", (PyCFunction)(void (*)(void))py_load_st, METH_FASTCALL, NULL},
    {"_save", (PyCFunction)(void (*)(void))py_save, METH_FASTCALL, NULL},
    {"_load", (PyCFunction)(void (*)(void))py_load, METH_FASTCALL, NULL},
    {NULL}};
