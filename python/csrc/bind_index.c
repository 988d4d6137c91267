/* Bindings of the index family (include/ctorch/index.h). */
#include "bind.h"

#define DIMIDX(name)                                                                   \
    CTPY_IMPL(name) {                                                                  \
        static const char *const names[] = {"input", "dim", "index", "*", "sparse_grad", "out", NULL}; \
        PyObject *a[5];                                                                \
        CTPY_PARSE(#name, names, a, NULL);                                             \
        int64_t d;                                                                     \
        ct_tensor *ix;                                                                 \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0) \
            return NULL;                                                               \
        ct_scope sc = ct_scope_begin();                                                \
        return ctpy_finish_out(sc, ct_##name(x, (int)d, ix), a[4]);                    \
    }
DIMIDX(index_select)
DIMIDX(gather)

/* scatter(input, dim, index, src|value, *, reduce=None) and scatter_ */
static PyObject *scatter_common(bool inplace, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "dim", "index", "src", "*", "value", "reduce", "out", NULL};
    PyObject *a[7];
    const char *f = inplace ? "scatter_" : "scatter";
    CTPY_PARSE(f, names, a, NULL);
    int64_t d;
    ct_tensor *ix;
    const char *red;
    if (ctpy_req_int(f, "dim", a[1], &d) < 0 || ctpy_tensor_arg(f, "index", a[2], &ix) < 0 ||
        ctpy_opt_str(f, "reduce", a[5], &red) < 0)
        return NULL;
    PyObject *src = a[3] ? a[3] : a[4];
    if (!src) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'src' or 'value'", f);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (ctpy_Tensor_Check(src)) {
        ct_tensor *s = CTPY_T(src);
        if (red) r = inplace ? ct_scatter_with_reduce_(x, (int)d, ix, s, red) : ct_scatter_with_reduce(x, (int)d, ix, s, red);
        else r = inplace ? ct_scatter_(x, (int)d, ix, s) : ct_scatter(x, (int)d, ix, s);
    } else {
        double v;
        if (ctpy_double(f, "value", src, &v) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        if (red) {
            ct_scope_end(sc);
            PyErr_Format(PyExc_NotImplementedError, "%s(value=..., reduce=...) is not implemented", f);
            return NULL;
        }
        r = inplace ? ct_scatter_value_(x, (int)d, ix, v) : ct_scatter_value(x, (int)d, ix, v);
    }
    return inplace ? ctpy_finish(sc, r) : ctpy_finish_out(sc, r, a[6]);
}
CTPY_IMPL(scatter) { return scatter_common(false, self, args, n, kwn); }
CTPY_IMPL(scatter_) { return scatter_common(true, self, args, n, kwn); }

#define SCATTER_ADD(name, call)                                                            \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "dim", "index", "src", NULL};         \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        int64_t d;                                                                         \
        ct_tensor *ix, *s;                                                                 \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0 || \
            ctpy_tensor_arg(#name, "src", a[3], &s) < 0)                                   \
            return NULL;                                                                   \
        CTPY_RETURN(call(x, (int)d, ix, s));                                               \
    }
SCATTER_ADD(scatter_add, ct_scatter_add)
SCATTER_ADD(scatter_add_, ct_scatter_add_)

#define SCATTER_REDUCE(name, call)                                                         \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "dim", "index", "src", "reduce", "*", "include_self", NULL}; \
        PyObject *a[6];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        int64_t d;                                                                         \
        ct_tensor *ix, *s;                                                                 \
        const char *red;                                                                   \
        bool incl;                                                                         \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0 || \
            ctpy_tensor_arg(#name, "src", a[3], &s) < 0 || ctpy_opt_str(#name, "reduce", a[4], &red) < 0 || \
            ctpy_opt_bool(a[5], true, &incl) < 0)                                          \
            return NULL;                                                                   \
        if (!red) {                                                                        \
            PyErr_SetString(PyExc_TypeError, #name "() missing required argument 'reduce'"); \
            return NULL;                                                                   \
        }                                                                                  \
        CTPY_RETURN(call(x, (int)d, ix, s, red, incl));                                    \
    }
SCATTER_REDUCE(scatter_reduce, ct_scatter_reduce)
SCATTER_REDUCE(scatter_reduce_, ct_scatter_reduce_)

#define INDEX_ADD(name, call)                                                              \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "dim", "index", "source", "*", "alpha", NULL}; \
        PyObject *a[5];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        int64_t d;                                                                         \
        ct_tensor *ix, *s;                                                                 \
        double alpha;                                                                      \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0 || \
            ctpy_tensor_arg(#name, "source", a[3], &s) < 0 ||                              \
            ctpy_opt_double(#name, "alpha", a[4], 1.0, &alpha) < 0)                        \
            return NULL;                                                                   \
        CTPY_RETURN(call(x, (int)d, ix, s, alpha));                                        \
    }
INDEX_ADD(index_add, ct_index_add)
INDEX_ADD(index_add_, ct_index_add_)
#define INDEX_COPY(name, call)                                                             \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "dim", "index", "source", NULL};      \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        int64_t d;                                                                         \
        ct_tensor *ix, *s;                                                                 \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0 || \
            ctpy_tensor_arg(#name, "source", a[3], &s) < 0)                                \
            return NULL;                                                                   \
        CTPY_RETURN(call(x, (int)d, ix, s));                                               \
    }
INDEX_COPY(index_copy, ct_index_copy)
INDEX_COPY(index_copy_, ct_index_copy_)
#define INDEX_FILL(name, call, callt)                                                      \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "dim", "index", "value", NULL};       \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        int64_t d;                                                                         \
        ct_tensor *ix;                                                                     \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || ctpy_tensor_arg(#name, "index", a[2], &ix) < 0) \
            return NULL;                                                                   \
        if (a[3] && ctpy_Tensor_Check(a[3])) CTPY_RETURN(callt(x, (int)d, ix, CTPY_T(a[3]))); \
        double v;                                                                          \
        if (!a[3] || ctpy_double(#name, "value", a[3], &v) < 0) {                          \
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, #name "() missing 'value'"); \
            return NULL;                                                                   \
        }                                                                                  \
        CTPY_RETURN(call(x, (int)d, ix, v));                                               \
    }
INDEX_FILL(index_fill, ct_index_fill, ct_index_fill_tensor)
INDEX_FILL(index_fill_, ct_index_fill_, ct_index_fill_tensor_)

#define INDEX_PUT(name, call)                                                              \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "indices", "values", "accumulate", NULL}; \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_tensor *v;                                                                      \
        bool acc;                                                                          \
        if (!a[1] || ctpy_tensor_arg(#name, "values", a[2], &v) < 0 || ctpy_opt_bool(a[3], false, &acc) < 0) { \
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, #name "() missing 'indices'"); \
            return NULL;                                                                   \
        }                                                                                  \
        if (!PyTuple_Check(a[1]) && !PyList_Check(a[1])) { /* as PyTorch: not a tensor */ \
            PyErr_Format(PyExc_TypeError,                                                  \
                         #name "(): argument 'indices' (position 1) must be tuple of Tensors, not %s", \
                         ctpy_Tensor_Check(a[1]) ? "Tensor" : Py_TYPE(a[1])->tp_name);    \
            return NULL;                                                                   \
        }                                                                                  \
        PyObject *fast = PySequence_Fast(a[1], #name "(): indices must be a tuple of tensors"); \
        if (!fast) return NULL;                                                            \
        Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);                                     \
        const ct_tensor *ix[CT_MAX_DIMS];                                                  \
        if (k > CT_MAX_DIMS) {                                                             \
            Py_DECREF(fast);                                                               \
            PyErr_SetString(PyExc_IndexError, "too many indices");                         \
            return NULL;                                                                   \
        }                                                                                  \
        for (Py_ssize_t i = 0; i < k; i++) {                                               \
            PyObject *e = PySequence_Fast_GET_ITEM(fast, i);                               \
            ix[i] = NULL;                                                                  \
            if (e != Py_None && ctpy_tensor_arg(#name, "indices", e, (ct_tensor **)&ix[i]) < 0) { \
                Py_DECREF(fast);                                                           \
                return NULL;                                                               \
            }                                                                              \
        }                                                                                  \
        Py_DECREF(fast);                                                                   \
        CTPY_RETURN(call(x, ix, (int)k, v, acc));                                          \
    }
INDEX_PUT(index_put, ct_index_put)
INDEX_PUT(index_put_, ct_index_put_)

#define MASKED_FILL(name, call, callt)                                                     \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "mask", "value", NULL};               \
        PyObject *a[3];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_tensor *mask;                                                                   \
        if (ctpy_tensor_arg(#name, "mask", a[1], &mask) < 0) return NULL;                  \
        if (a[2] && ctpy_Tensor_Check(a[2])) CTPY_RETURN(callt(x, mask, CTPY_T(a[2])));    \
        double v;                                                                          \
        if (!a[2] || ctpy_double(#name, "value", a[2], &v) < 0) {                          \
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, #name "() missing 'value'"); \
            return NULL;                                                                   \
        }                                                                                  \
        CTPY_RETURN(call(x, mask, v));                                                     \
    }
MASKED_FILL(masked_fill, ct_masked_fill, ct_masked_fill_tensor)
MASKED_FILL(masked_fill_, ct_masked_fill_, ct_masked_fill_tensor_)
CTPY_IMPL(masked_select) {
    static const char *const names[] = {"input", "mask", "*", "out", NULL};
    PyObject *a[3];
    CTPY_PARSE("masked_select", names, a, NULL);
    ct_tensor *mask;
    if (ctpy_tensor_arg("masked_select", "mask", a[1], &mask) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_masked_select(x, mask), a[2]);
}
#define MASKED_SCATTER(name, call)                                                         \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "mask", "source", NULL};              \
        PyObject *a[3];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_tensor *mask, *s;                                                               \
        if (ctpy_tensor_arg(#name, "mask", a[1], &mask) < 0 || ctpy_tensor_arg(#name, "source", a[2], &s) < 0) \
            return NULL;                                                                   \
        CTPY_RETURN(call(x, mask, s));                                                     \
    }
MASKED_SCATTER(masked_scatter, ct_masked_scatter)
MASKED_SCATTER(masked_scatter_, ct_masked_scatter_)
CTPY_IMPL(nonzero) {
    static const char *const names[] = {"input", "*", "as_tuple", "out", NULL};
    PyObject *a[3];
    CTPY_PARSE("nonzero", names, a, NULL);
    bool tup;
    if (ctpy_opt_bool(a[1], false, &tup) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    if (!tup) return ctpy_finish_out(sc, ct_nonzero(x), a[2]);
    ct_tensor *out[CT_MAX_DIMS];
    return ctpy_finish_tuple(sc, out, ct_nonzero_tuple(x, out));
}
CTPY_IMPL(argwhere) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("argwhere", names, a, NULL);
    CTPY_RETURN(ct_nonzero(x));
}
CTPY_IMPL(take) {
    static const char *const names[] = {"input", "index", "*", "out", NULL};
    PyObject *a[3];
    CTPY_PARSE("take", names, a, NULL);
    ct_tensor *ix;
    if (ctpy_tensor_arg("take", "index", a[1], &ix) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_take(x, ix), a[2]);
}
CTPY_IMPL(take_along_dim) {
    static const char *const names[] = {"input", "indices", "dim", "*", "out", NULL};
    PyObject *a[4];
    CTPY_PARSE("take_along_dim", names, a, NULL);
    ct_tensor *ix;
    if (ctpy_tensor_arg("take_along_dim", "indices", a[1], &ix) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    if (CTPY_NOARG(a[2])) return ctpy_finish_out(sc, ct_take_along_dim_flat(x, ix), a[3]);
    int64_t d;
    if (ctpy_int("take_along_dim", "dim", a[2], &d) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    return ctpy_finish_out(sc, ct_take_along_dim(x, ix, (int)d), a[3]);
}
#define PUT(name, call)                                                                    \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", "index", "source", "accumulate", NULL}; \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_tensor *ix, *s;                                                                 \
        bool acc;                                                                          \
        if (ctpy_tensor_arg(#name, "index", a[1], &ix) < 0 || ctpy_tensor_arg(#name, "source", a[2], &s) < 0 || \
            ctpy_opt_bool(a[3], false, &acc) < 0)                                          \
            return NULL;                                                                   \
        CTPY_RETURN(call(x, ix, s, acc));                                                  \
    }
PUT(put, ct_put)
PUT(put_, ct_put_)

#define W(nm) CTPY_WRAPPERS(nm)
W(index_select) W(gather) W(scatter) W(scatter_) W(scatter_add) W(scatter_add_) W(scatter_reduce)
W(scatter_reduce_) W(index_add) W(index_add_) W(index_copy) W(index_copy_) W(index_fill) W(index_fill_)
W(index_put) W(index_put_) W(masked_fill) W(masked_fill_) W(masked_select) W(masked_scatter)
W(masked_scatter_) W(nonzero) W(argwhere) W(take) W(take_along_dim) W(put) W(put_)

#define M(nm) CTPY_METHOD(#nm, nm)
PyMethodDef ctpy_index_methods[] = {
    M(index_select), M(gather), M(scatter), M(scatter_), M(scatter_add), M(scatter_add_), M(scatter_reduce),
    M(scatter_reduce_), M(index_add), M(index_add_), M(index_copy), M(index_copy_), M(index_fill),
    M(index_fill_), M(index_put), M(index_put_), M(masked_fill), M(masked_fill_), M(masked_select),
    M(masked_scatter), M(masked_scatter_), M(nonzero), M(argwhere), M(take), M(take_along_dim), M(put),
    M(put_), {NULL}};
#define F(nm) CTPY_FUNCTION(#nm, nm)
PyMethodDef ctpy_index_functions[] = {
    F(index_select), F(gather), F(scatter), F(scatter_add), F(scatter_reduce), F(index_add), F(index_copy),
    F(index_fill), F(index_put), F(index_put_), F(masked_fill), F(masked_select), F(masked_scatter), F(nonzero),
    F(argwhere), F(take), F(take_along_dim), F(put), {NULL}};
