/* Bindings of the shape family (include/ctorch/shape.h). */
#include "bind.h"

static PyObject *join(const char *fname, int which, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensors", "dim", "*", "out", NULL};
    PyObject *a[3];
    if (ctpy_parse(fname, names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor **xs;
    int k;
    int64_t dim;
    if (ctpy_tensor_seq(fname, a[0], &xs, &k) < 0) return NULL;
    if (ctpy_opt_int(fname, "dim", a[1], 0, &dim) < 0) {
        PyMem_Free(xs);
        return NULL;
    }
    const ct_tensor *const *cx = (const ct_tensor *const *)xs;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = which == 0 ? ct_cat(cx, k, (int)dim) : which == 1 ? ct_stack(cx, k, (int)dim)
                 : which == 2 ? ct_hstack(cx, k) : which == 3 ? ct_vstack(cx, k) : ct_dstack(cx, k);
    PyMem_Free(xs);
    return ctpy_finish_out(sc, r, a[2]);
}
#define JOIN(name, which)                                                                         \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {       \
        return join(#name, which, a, n, k);                                                       \
    }
JOIN(cat, 0)
JOIN(stack, 1)
JOIN(hstack, 2)
JOIN(vstack, 3)
JOIN(dstack, 4)

/* Ops returning a list of views: out array sized by an upper bound. */
static PyObject *pieces(ct_scope sc, ct_tensor **out, int k) {
    PyObject *r = ctpy_finish_tuple(sc, out, k);
    PyMem_Free(out);
    return r;
}
static ct_tensor **alloc_out(int64_t n) {
    ct_tensor **o = PyMem_Calloc((size_t)(n > 0 ? n : 1) + 1, sizeof(ct_tensor *));
    if (!o) PyErr_NoMemory();
    return o;
}
static int64_t dim_size(const ct_tensor *x, int64_t dim) {
    int nd = x->ndim;
    if (nd == 0 || dim < -nd || dim >= nd) return 1;
    return x->sizes[dim < 0 ? dim + nd : dim];
}

CTPY_IMPL(split) {
    static const char *const names[] = {"input", "split_size_or_sections", "dim", NULL};
    PyObject *a[3];
    CTPY_PARSE("split", names, a, NULL);
    int64_t dim;
    if (ctpy_opt_int("split", "dim", a[2], 0, &dim) < 0) return NULL;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "split() missing required argument 'split_size_or_sections'");
        return NULL;
    }
    ct_tensor **out = alloc_out(dim_size(x, dim) + 1);
    if (!out) return NULL;
    ct_scope sc = ct_scope_begin();
    int k;
    if (PyIndex_Check(a[1]) && !ctpy_Tensor_Check(a[1])) {
        int64_t s;
        if (ctpy_int("split", "split_size", a[1], &s) < 0) k = -1;
        else k = ct_split(x, s, (int)dim, out, (int)dim_size(x, dim) + 1);
    } else {
        int64_t s[1024];
        int ns = 0;
        PyObject *fast = PySequence_Fast(a[1], "split(): sizes must be a sequence of ints");
        if (!fast || PySequence_Fast_GET_SIZE(fast) > 1024) k = -1;
        else {
            ns = (int)PySequence_Fast_GET_SIZE(fast);
            k = 0;
            for (int i = 0; i < ns; i++)
                if (ctpy_int("split", "split_sizes", PySequence_Fast_GET_ITEM(fast, i), &s[i]) < 0) k = -1;
            if (k == 0) {
                PyMem_Free(out);
                out = alloc_out(ns);
                k = out ? ct_split_with_sizes(x, s, ns, (int)dim, out, ns) : -1;
            }
        }
        Py_XDECREF(fast);
    }
    if (k < 0 && PyErr_Occurred()) {
        ct_scope_end(sc);
        PyMem_Free(out);
        return NULL;
    }
    return pieces(sc, out, k);
}
CTPY_IMPL(chunk) {
    static const char *const names[] = {"input", "chunks", "dim", NULL};
    PyObject *a[3];
    CTPY_PARSE("chunk", names, a, NULL);
    int64_t c, dim;
    if (ctpy_req_int("chunk", "chunks", a[1], &c) < 0 || ctpy_opt_int("chunk", "dim", a[2], 0, &dim) < 0)
        return NULL;
    ct_tensor **out = alloc_out(c > 0 ? c : 1);
    if (!out) return NULL;
    ct_scope sc = ct_scope_begin();
    return pieces(sc, out, ct_chunk(x, c, (int)dim, out, (int)(c > 0 ? c : 1)));
}
CTPY_IMPL(unbind) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("unbind", names, a, NULL);
    int64_t dim;
    if (ctpy_opt_int("unbind", "dim", a[1], 0, &dim) < 0) return NULL;
    int64_t m = dim_size(x, dim);
    ct_tensor **out = alloc_out(m);
    if (!out) return NULL;
    ct_scope sc = ct_scope_begin();
    return pieces(sc, out, ct_unbind(x, (int)dim, out, (int)m));
}
CTPY_IMPL(tensor_split) {
    static const char *const names[] = {"input", "indices_or_sections", "dim", NULL};
    PyObject *a[3];
    CTPY_PARSE("tensor_split", names, a, NULL);
    int64_t dim;
    if (ctpy_opt_int("tensor_split", "dim", a[2], 0, &dim) < 0 || !a[1]) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "tensor_split() missing 'indices_or_sections'");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    if (PyIndex_Check(a[1]) && !ctpy_Tensor_Check(a[1])) {
        int64_t s;
        if (ctpy_int("tensor_split", "sections", a[1], &s) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        ct_tensor **out = alloc_out(s > 0 ? s : 1);
        if (!out) {
            ct_scope_end(sc);
            return NULL;
        }
        return pieces(sc, out, ct_tensor_split(x, s, (int)dim, out, (int)(s > 0 ? s : 1)));
    }
    int64_t idx[CT_MAX_DIMS * 64];
    PyObject *fast = PySequence_Fast(a[1], "tensor_split(): indices must be a sequence of ints");
    if (!fast || PySequence_Fast_GET_SIZE(fast) > (Py_ssize_t)(sizeof idx / sizeof *idx)) {
        Py_XDECREF(fast);
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "tensor_split(): too many indices");
        return NULL;
    }
    int ni = (int)PySequence_Fast_GET_SIZE(fast);
    for (int i = 0; i < ni; i++)
        if (ctpy_int("tensor_split", "indices", PySequence_Fast_GET_ITEM(fast, i), &idx[i]) < 0) {
            Py_DECREF(fast);
            ct_scope_end(sc);
            return NULL;
        }
    Py_DECREF(fast);
    ct_tensor **out = alloc_out(ni + 1);
    if (!out) {
        ct_scope_end(sc);
        return NULL;
    }
    return pieces(sc, out, ct_tensor_split_indices(x, idx, ni, (int)dim, out, ni + 1));
}
CTPY_IMPL(split_with_sizes) {
    static const char *const names[] = {"input", "split_sizes", "dim", NULL};
    PyObject *a[3];
    CTPY_PARSE("split_with_sizes", names, a, NULL);
    PyObject *args2[3] = {a[0], a[1] ? a[1] : Py_None, a[2] ? a[2] : Py_None};
    if (a[1] && PyIndex_Check(a[1])) {
        PyErr_SetString(PyExc_TypeError, "split_with_sizes(): argument 'split_sizes' must be a list of ints");
        return NULL;
    }
    return split_impl(NULL, args2, 3, NULL);
}

static int dims_arg(const char *f, PyObject *o, const ctpy_va *va, int *dims, int *n) {
    int64_t d[CT_MAX_DIMS];
    if (ctpy_intlist(f, o, va, d, n) < 0) return -1;
    for (int i = 0; i < *n; i++) dims[i] = (int)d[i];
    return 0;
}
CTPY_IMPL(flip) {
    static const char *const names[] = {"input", "+dims", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("flip", names, a, &va);
    int d[CT_MAX_DIMS], nd;
    if (dims_arg("flip", a[1], &va, d, &nd) < 0) return NULL;
    CTPY_RETURN(ct_flip(x, d, nd));
}
CTPY_IMPL(fliplr) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("fliplr", names, a, NULL);
    int d = 1;
    CTPY_RETURN(ct_flip(x, &d, 1));
}
CTPY_IMPL(flipud) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("flipud", names, a, NULL);
    int d = 0;
    CTPY_RETURN(ct_flip(x, &d, 1));
}
CTPY_IMPL(roll) {
    static const char *const names[] = {"input", "shifts", "dims", NULL};
    PyObject *a[3];
    CTPY_PARSE("roll", names, a, NULL);
    int64_t s[CT_MAX_DIMS];
    int ns, d[CT_MAX_DIMS], nd = 0;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "roll() missing required argument 'shifts'");
        return NULL;
    }
    if (ctpy_intlist("roll", a[1], NULL, s, &ns) < 0 || dims_arg("roll", a[2], NULL, d, &nd) < 0) return NULL;
    CTPY_RETURN(ct_roll(x, s, ns, d, nd));
}
CTPY_IMPL(repeat) {
    static const char *const names[] = {"input", "+repeats", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("repeat", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int ns;
    if (ctpy_shape("repeat", a[1], &va, s, &ns) < 0) return NULL;
    CTPY_RETURN(ct_repeat(x, s, ns));
}
CTPY_IMPL(tile) {
    static const char *const names[] = {"input", "+dims", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("tile", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int ns;
    if (ctpy_shape("tile", a[1], &va, s, &ns) < 0) return NULL;
    CTPY_RETURN(ct_tile(x, s, ns));
}
CTPY_IMPL(repeat_interleave) {
    static const char *const names[] = {"input", "repeats", "dim", "*", "output_size", NULL};
    PyObject *a[4];
    CTPY_PARSE("repeat_interleave", names, a, NULL);
    int64_t dim = CT_DIM_NONE;
    if (!CTPY_NOARG(a[2]) && ctpy_int("repeat_interleave", "dim", a[2], &dim) < 0) return NULL;
    if (!a[1]) {
        if (self) {
            PyErr_SetString(PyExc_TypeError, "repeat_interleave() missing required argument 'repeats'");
            return NULL;
        }
        CTPY_RETURN(ct_repeat_interleave_self(x));
    }
    if (ctpy_Tensor_Check(a[1])) CTPY_RETURN(ct_repeat_interleave_tensor(x, CTPY_T(a[1]), (int)dim));
    int64_t r;
    if (ctpy_int("repeat_interleave", "repeats", a[1], &r) < 0) return NULL;
    CTPY_RETURN(ct_repeat_interleave(x, r, (int)dim));
}
#define TRI(name)                                                                 \
    CTPY_IMPL(name) {                                                             \
        static const char *const names[] = {"input", "diagonal", "*", "out", NULL}; \
        PyObject *a[3];                                                           \
        CTPY_PARSE(#name, names, a, NULL);                                        \
        int64_t d;                                                                \
        if (ctpy_opt_int(#name, "diagonal", a[1], 0, &d) < 0) return NULL;        \
        ct_scope sc = ct_scope_begin();                                           \
        return ctpy_finish_out(sc, ct_##name(x, d), a[2]);                        \
    }
TRI(tril)
TRI(triu)
#define TRI_(name)                                                                \
    CTPY_IMPL(name##_) {                                                          \
        static const char *const names[] = {"input", "diagonal", NULL};           \
        PyObject *a[2];                                                           \
        CTPY_PARSE(#name "_", names, a, NULL);                                    \
        int64_t d;                                                                \
        if (ctpy_opt_int(#name "_", "diagonal", a[1], 0, &d) < 0) return NULL;    \
        CTPY_RETURN(ct_##name##_(x, d));                                          \
    }
TRI_(tril)
TRI_(triu)
CTPY_IMPL(broadcast_to) {
    static const char *const names[] = {"input", "size", NULL};
    PyObject *a[2];
    CTPY_PARSE("broadcast_to", names, a, NULL);
    int64_t s[CT_MAX_DIMS];
    int ns;
    if (ctpy_intlist("broadcast_to", a[1], NULL, s, &ns) < 0) return NULL;
    CTPY_RETURN(ct_broadcast_to(x, s, ns));
}
/* torch.nn.functional.pad (exposed as _C._pad) */
static PyObject *f_pad(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "pad", "mode", "value", NULL};
    PyObject *a[4];
    ct_tensor *x;
    if (ctpy_parse("pad", names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_tensor_arg("pad", "input", a[0], &x) < 0)
        return NULL;
    int64_t p[2 * CT_MAX_DIMS];
    int np;
    const char *mode;
    double v;
    PyObject *fast = a[1] ? PySequence_Fast(a[1], "pad(): pad must be a sequence of ints") : NULL;
    if (!fast) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "pad() missing required argument 'pad'");
        return NULL;
    }
    np = (int)PySequence_Fast_GET_SIZE(fast);
    if (np > 2 * CT_MAX_DIMS) np = 2 * CT_MAX_DIMS + 1;
    for (int i = 0; i < np && i < 2 * CT_MAX_DIMS; i++)
        if (ctpy_int("pad", "pad", PySequence_Fast_GET_ITEM(fast, i), &p[i]) < 0) {
            Py_DECREF(fast);
            return NULL;
        }
    Py_DECREF(fast);
    if (np > 2 * CT_MAX_DIMS) {
        PyErr_SetString(PyExc_RuntimeError, "pad(): too many padding values");
        return NULL;
    }
    if (ctpy_opt_str("pad", "mode", a[2], &mode) < 0 || ctpy_opt_double("pad", "value", a[3], 0.0, &v) < 0)
        return NULL;
    CTPY_RETURN(ct_pad(x, p, np, mode ? mode : "constant", v));
}
static PyObject *f_meshgrid(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"+tensors", "*", "indexing", NULL};
    PyObject *a[2];
    ctpy_va va;
    if (ctpy_parse("meshgrid", names, NULL, args, n, kwn, a, &va) < 0) return NULL;
    ct_tensor **xs;
    int k;
    if (va.nva == 1 && !ctpy_Tensor_Check(va.va[0])) {
        if (ctpy_tensor_seq("meshgrid", va.va[0], &xs, &k) < 0) return NULL;
    } else {
        xs = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(va.nva + 1));
        if (!xs) return PyErr_NoMemory();
        for (k = 0; k < (int)va.nva; k++)
            if (ctpy_tensor_arg("meshgrid", "tensors", va.va[k], &xs[k]) < 0) {
                PyMem_Free(xs);
                return NULL;
            }
    }
    const char *ix;
    if (ctpy_opt_str("meshgrid", "indexing", a[1], &ix) < 0) {
        PyMem_Free(xs);
        return NULL;
    }
    ct_tensor **out = alloc_out(k);
    if (!out) {
        PyMem_Free(xs);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    int rc = ct_meshgrid((const ct_tensor *const *)xs, k, ix, out, k);
    PyMem_Free(xs);
    return pieces(sc, out, rc);
}

static const char *const vi_fields[] = {"values", "indices"};
CTPY_IMPL(sort) {
    static const char *const names[] = {"input", "dim", "descending", "*", "stable", NULL};
    PyObject *a[4];
    CTPY_PARSE("sort", names, a, NULL);
    int64_t dim;
    bool desc, stable;
    if (ctpy_opt_int("sort", "dim", a[1], -1, &dim) < 0 || ctpy_opt_bool(a[2], false, &desc) < 0 ||
        ctpy_opt_bool(a[3], false, &stable) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2];
    r[0] = ct_sort(x, (int)dim, desc, stable, &r[1]);
    return ctpy_finish_named(sc, "sort", vi_fields, r, r[0] ? 2 : -1);
}
CTPY_IMPL(argsort) {
    static const char *const names[] = {"input", "dim", "descending", "*", "stable", NULL};
    PyObject *a[4];
    CTPY_PARSE("argsort", names, a, NULL);
    int64_t dim;
    bool desc, stable;
    if (ctpy_opt_int("argsort", "dim", a[1], -1, &dim) < 0 || ctpy_opt_bool(a[2], false, &desc) < 0 ||
        ctpy_opt_bool(a[3], false, &stable) < 0)
        return NULL;
    CTPY_RETURN(ct_argsort(x, (int)dim, desc, stable));
}
CTPY_IMPL(msort) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("msort", names, a, NULL);
    CTPY_RETURN(ct_msort(x));
}
CTPY_IMPL(topk) {
    static const char *const names[] = {"input", "k", "dim", "largest", "sorted", NULL};
    PyObject *a[5];
    CTPY_PARSE("topk", names, a, NULL);
    int64_t k, dim;
    bool largest, sorted;
    if (ctpy_req_int("topk", "k", a[1], &k) < 0 || ctpy_opt_int("topk", "dim", a[2], -1, &dim) < 0 ||
        ctpy_opt_bool(a[3], true, &largest) < 0 || ctpy_opt_bool(a[4], true, &sorted) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2];
    r[0] = ct_topk(x, k, (int)dim, largest, sorted, &r[1]);
    return ctpy_finish_named(sc, "topk", vi_fields, r, r[0] ? 2 : -1);
}
CTPY_IMPL(kthvalue) {
    static const char *const names[] = {"input", "k", "dim", "keepdim", NULL};
    PyObject *a[4];
    CTPY_PARSE("kthvalue", names, a, NULL);
    int64_t k, dim;
    bool keep;
    if (ctpy_req_int("kthvalue", "k", a[1], &k) < 0 || ctpy_opt_int("kthvalue", "dim", a[2], -1, &dim) < 0 ||
        ctpy_opt_bool(a[3], false, &keep) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2];
    r[0] = ct_kthvalue(x, k, (int)dim, keep, &r[1]);
    return ctpy_finish_named(sc, "kthvalue", vi_fields, r, r[0] ? 2 : -1);
}
static PyObject *unique_common(bool consecutive, PyObject *self, PyObject *const *args, Py_ssize_t n,
                               PyObject *kwn) {
    static const char *const names[] = {"input", "sorted", "return_inverse", "return_counts", "dim", NULL};
    static const char *const cnames[] = {"input", "return_inverse", "return_counts", "dim", NULL};
    PyObject *a[5];
    const char *fname = consecutive ? "unique_consecutive" : "unique";
    CTPY_PARSE(fname, consecutive ? cnames : names, a, NULL);
    PyObject **opt = consecutive ? a + 1 : a + 2;
    bool sorted = true, inv, cnt;
    if ((!consecutive && ctpy_opt_bool(a[1], true, &sorted) < 0) || ctpy_opt_bool(opt[0], false, &inv) < 0 ||
        ctpy_opt_bool(opt[1], false, &cnt) < 0)
        return NULL;
    int64_t dim = 0;
    bool has_dim = !CTPY_NOARG(opt[2]);
    if (has_dim && ctpy_int(fname, "dim", opt[2], &dim) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[3] = {NULL, NULL, NULL};
    ct_tensor *ri = NULL, *rc = NULL;
    if (has_dim)
        r[0] = consecutive ? ct_unique_consecutive_dim(x, (int)dim, inv ? &ri : NULL, cnt ? &rc : NULL)
                           : ct_unique_dim(x, (int)dim, sorted, inv ? &ri : NULL, cnt ? &rc : NULL);
    else
        r[0] = consecutive ? ct_unique_consecutive(x, inv ? &ri : NULL, cnt ? &rc : NULL)
                           : ct_unique(x, sorted, inv ? &ri : NULL, cnt ? &rc : NULL);
    if (!inv && !cnt) return ctpy_finish(sc, r[0]);
    int k = 1;
    if (inv) r[k++] = ri;
    if (cnt) r[k++] = rc;
    return ctpy_finish_tuple(sc, r, r[0] ? k : -1);
}
CTPY_IMPL(unique) { return unique_common(false, self, args, n, kwn); }
CTPY_IMPL(unique_consecutive) { return unique_common(true, self, args, n, kwn); }
/* PyTorch's scalar type names in messages ("Long", "Float"). */
static const char *torch_type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {"Bool", "Byte", "Char", "Short", "Int",
                                                     "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "Undefined";
}

static PyObject *f_searchsorted(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"sorted_sequence", "input", "*", "out_int32", "right", "side",
                                        "sorter", "out", NULL};
    PyObject *a[7];
    ct_tensor *s;
    bool i32, right;
    const char *side;
    if (ctpy_parse("searchsorted", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("searchsorted", "sorted_sequence", a[0], &s) < 0 || ctpy_opt_bool(a[2], false, &i32) < 0 ||
        ctpy_opt_bool(a[3], false, &right) < 0 || ctpy_opt_str("searchsorted", "side", a[4], &side) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    if (!CTPY_NOARG(a[5])) {
        /* sorter: the sequence read in sorter's order (indices refer to it) */
        ct_tensor *so;
        if (ctpy_tensor_arg("searchsorted", "sorter", a[5], &so) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        if (so->dtype != CT_INT64) {
            ct_scope_end(sc);
            PyErr_Format(PyExc_RuntimeError,
                         "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype %s",
                         torch_type_name(so->dtype));
            return NULL;
        }
        if (so->ndim != s->ndim || memcmp(so->sizes, s->sizes, sizeof(int64_t) * (size_t)s->ndim)) {
            char b1[128], b2[128];
            ct_scope_end(sc);
            PyErr_Format(PyExc_RuntimeError,
                         "torch.searchsorted(): boundary and sorter must have the same size, but "
                         "got boundary tensor %sand got sorter tensor %s",
                         ct_shape_str(s->sizes, s->ndim, b1, sizeof b1),
                         ct_shape_str(so->sizes, so->ndim, b2, sizeof b2));
            return NULL;
        }
        s = s->ndim ? ct_gather(s, -1, so) : s;
        if (!s) {
            ct_scope_end(sc);
            return ctpy_raise();
        }
    }
    if (a[1] && ctpy_Tensor_Check(a[1]))
        return ctpy_finish_out(sc, ct_searchsorted(s, CTPY_T(a[1]), i32, right, side), a[6]);
    double v;
    if (!a[1] || ctpy_double("searchsorted", "input", a[1], &v) < 0) {
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "searchsorted() missing argument 'input'");
        return NULL;
    }
    return ctpy_finish_out(sc, ct_searchsorted_scalar(s, v, i32, right, side), a[6]);
}
CTPY_IMPL(bincount) {
    static const char *const names[] = {"input", "weights", "minlength", NULL};
    PyObject *a[3];
    CTPY_PARSE("bincount", names, a, NULL);
    ct_tensor *w = NULL;
    int64_t ml;
    if ((!CTPY_NOARG(a[1]) && ctpy_tensor_arg("bincount", "weights", a[1], &w) < 0) ||
        ctpy_opt_int("bincount", "minlength", a[2], 0, &ml) < 0)
        return NULL;
    CTPY_RETURN(ct_bincount(x, w, ml));
}
CTPY_IMPL(histc) {
    static const char *const names[] = {"input", "bins", "min", "max", "*", "out", NULL};
    PyObject *a[5];
    CTPY_PARSE("histc", names, a, NULL);
    int64_t bins;
    double lo, hi;
    if (ctpy_opt_int("histc", "bins", a[1], 100, &bins) < 0 || ctpy_opt_double("histc", "min", a[2], 0, &lo) < 0 ||
        ctpy_opt_double("histc", "max", a[3], 0, &hi) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_histc(x, bins, lo, hi), a[4]);
}


/* column_stack / block_diag / cartesian_prod: sequences (or varargs) of tensors */
static PyObject *seq_op(const char *f, int which, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"+tensors", "*", "out", NULL};
    PyObject *a[2];
    ctpy_va va;
    if (ctpy_parse(f, names, NULL, args, n, kwn, a, &va) < 0) return NULL;
    ct_tensor **xs;
    int k;
    if (which == 0 && va.nva == 1) { /* column_stack(tensors) */
        if (ctpy_tensor_seq(f, va.va[0], &xs, &k) < 0) return NULL;
    } else {
        xs = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(va.nva + 1));
        if (!xs) return PyErr_NoMemory();
        for (k = 0; k < (int)va.nva; k++)
            if (ctpy_tensor_arg(f, "tensors", va.va[k], &xs[k]) < 0) {
                PyMem_Free(xs);
                return NULL;
            }
    }
    const ct_tensor *const *cx = (const ct_tensor *const *)xs;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = which == 0 ? ct_column_stack(cx, k) : which == 1 ? ct_block_diag(cx, k) : ct_cartesian_prod(cx, k);
    PyMem_Free(xs);
    return ctpy_finish_out(sc, r, a[1]);
}
static PyObject *f_column_stack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return seq_op("column_stack", 0, a, n, k); }
static PyObject *f_block_diag(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return seq_op("block_diag", 1, a, n, k); }
static PyObject *f_cartesian_prod(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return seq_op("cartesian_prod", 2, a, n, k); }

/* atleast_Nd(x) or atleast_Nd(x, y, ...) / atleast_Nd([x, y]) -> tuple */
static PyObject *atleast(const char *f, ct_tensor *(*fn)(const ct_tensor *), PyObject *const *args, Py_ssize_t n) {
    if (n == 1 && ctpy_Tensor_Check(args[0])) CTPY_RETURN(fn(CTPY_T(args[0])));
    ct_tensor **xs = NULL;
    int k = 0;
    if (n == 1) {
        if (ctpy_tensor_seq(f, args[0], &xs, &k) < 0) return NULL;
    } else {
        xs = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(n + 1));
        if (!xs) return PyErr_NoMemory();
        for (k = 0; k < (int)n; k++)
            if (ctpy_tensor_arg(f, "tensors", args[k], &xs[k]) < 0) {
                PyMem_Free(xs);
                return NULL;
            }
    }
    ct_tensor **out = alloc_out(k);
    if (!out) {
        PyMem_Free(xs);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    int rc = k;
    for (int i = 0; i < k && rc >= 0; i++)
        if (!(out[i] = fn(xs[i]))) rc = -1;
    PyMem_Free(xs);
    return pieces(sc, out, rc);
}
static PyObject *f_atleast_1d(PyObject *m, PyObject *const *a, Py_ssize_t n) { return atleast("atleast_1d", ct_atleast_1d, a, n); }
static PyObject *f_atleast_2d(PyObject *m, PyObject *const *a, Py_ssize_t n) { return atleast("atleast_2d", ct_atleast_2d, a, n); }
static PyObject *f_atleast_3d(PyObject *m, PyObject *const *a, Py_ssize_t n) { return atleast("atleast_3d", ct_atleast_3d, a, n); }

/* hsplit/vsplit/dsplit(x, sections | indices) */
typedef int (*secsplit_fn)(const ct_tensor *, int64_t, ct_tensor **, int);
typedef int (*idxsplit_fn)(const ct_tensor *, const int64_t *, int, ct_tensor **, int);
static PyObject *dirsplit(const char *f, secsplit_fn fs, idxsplit_fn fi, PyObject *self, PyObject *const *args,
                          Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "indices_or_sections", NULL};
    PyObject *a[2];
    CTPY_PARSE(f, names, a, NULL);
    if (!a[1]) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'indices_or_sections'", f);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    if (PyIndex_Check(a[1]) && !ctpy_Tensor_Check(a[1])) {
        int64_t s;
        if (ctpy_int(f, "sections", a[1], &s) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        ct_tensor **out = alloc_out(s > 0 ? s : 1);
        if (!out) {
            ct_scope_end(sc);
            return NULL;
        }
        return pieces(sc, out, fs(x, s, out, (int)(s > 0 ? s : 1)));
    }
    int64_t idx[CT_MAX_DIMS * 64];
    PyObject *fast = PySequence_Fast(a[1], "indices must be a sequence of ints");
    if (!fast || PySequence_Fast_GET_SIZE(fast) > (Py_ssize_t)(sizeof idx / sizeof *idx)) {
        Py_XDECREF(fast);
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "too many indices");
        return NULL;
    }
    int ni = (int)PySequence_Fast_GET_SIZE(fast);
    for (int i = 0; i < ni; i++)
        if (ctpy_int(f, "indices", PySequence_Fast_GET_ITEM(fast, i), &idx[i]) < 0) {
            Py_DECREF(fast);
            ct_scope_end(sc);
            return NULL;
        }
    Py_DECREF(fast);
    ct_tensor **out = alloc_out(ni + 1);
    if (!out) {
        ct_scope_end(sc);
        return NULL;
    }
    return pieces(sc, out, fi(x, idx, ni, out, ni + 1));
}
CTPY_IMPL(hsplit) { return dirsplit("hsplit", ct_hsplit, ct_hsplit_indices, self, args, n, kwn); }
CTPY_IMPL(vsplit) { return dirsplit("vsplit", ct_vsplit, ct_vsplit_indices, self, args, n, kwn); }
CTPY_IMPL(dsplit) { return dirsplit("dsplit", ct_dsplit, ct_dsplit_indices, self, args, n, kwn); }

CTPY_IMPL(rot90) {
    static const char *const names[] = {"input", "k", "dims", NULL};
    PyObject *a[3];
    CTPY_PARSE("rot90", names, a, NULL);
    int64_t k;
    int d[CT_MAX_DIMS] = {0, 1}, nd = 2;
    if (ctpy_opt_int("rot90", "k", a[1], 1, &k) < 0 || (!CTPY_NOARG(a[2]) && dims_arg("rot90", a[2], NULL, d, &nd) < 0))
        return NULL;
    CTPY_RETURN(ct_rot90(x, k, d, nd));
}

static PyObject *f_bucketize(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "boundaries", "*", "out_int32", "right", "out", NULL};
    PyObject *a[5];
    ct_tensor *b;
    bool i32, right;
    if (ctpy_parse("bucketize", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("bucketize", "boundaries", a[1], &b) < 0 || ctpy_opt_bool(a[2], false, &i32) < 0 ||
        ctpy_opt_bool(a[3], false, &right) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    if (a[0] && ctpy_Tensor_Check(a[0])) return ctpy_finish_out(sc, ct_bucketize(CTPY_T(a[0]), b, i32, right), a[4]);
    double v;
    if (!a[0] || ctpy_double("bucketize", "input", a[0], &v) < 0) {
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "bucketize() missing argument 'input'");
        return NULL;
    }
    return ctpy_finish_out(sc, ct_bucketize_scalar(v, b, i32, right), a[4]);
}

CTPY_IMPL(histogram) {
    static const char *const names[] = {"input", "bins", "*", "range", "weight", "density", NULL};
    static const char *const fields[] = {"hist", "bin_edges"};
    PyObject *a[5];
    CTPY_PARSE("histogram", names, a, NULL);
    ct_tensor *w = NULL;
    bool density;
    if ((!CTPY_NOARG(a[3]) && ctpy_tensor_arg("histogram", "weight", a[3], &w) < 0) || ctpy_opt_bool(a[4], false, &density) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2];
    if (a[1] && ctpy_Tensor_Check(a[1])) {
        r[0] = ct_histogram_edges(x, CTPY_T(a[1]), w, density, &r[1]);
        return ctpy_finish_named(sc, "histogram", fields, r, r[0] ? 2 : -1);
    }
    int64_t bins;
    double range[2];
    bool has_range = !CTPY_NOARG(a[2]);
    if (ctpy_opt_int("histogram", "bins", a[1], 100, &bins) < 0) goto fail;
    if (has_range) {
        PyObject *fast = PySequence_Fast(a[2], "histogram(): range must be a pair of numbers");
        if (!fast) goto fail;
        int bad = PySequence_Fast_GET_SIZE(fast) != 2 ||
                  ctpy_double("histogram", "range", PySequence_Fast_GET_ITEM(fast, 0), &range[0]) < 0 ||
                  ctpy_double("histogram", "range", PySequence_Fast_GET_ITEM(fast, 1), &range[1]) < 0;
        Py_DECREF(fast);
        if (bad) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "histogram(): range must be a pair of numbers");
            goto fail;
        }
    }
    r[0] = ct_histogram(x, bins, has_range ? range : NULL, w, density, &r[1]);
    return ctpy_finish_named(sc, "histogram", fields, r, r[0] ? 2 : -1);
fail:
    ct_scope_end(sc);
    return NULL;
}

CTPY_WRAPPERS(hsplit)
CTPY_WRAPPERS(vsplit)
CTPY_WRAPPERS(dsplit)
CTPY_WRAPPERS(rot90)
CTPY_WRAPPERS(histogram)

CTPY_WRAPPERS(split)
CTPY_WRAPPERS(split_with_sizes)
CTPY_WRAPPERS(chunk)
CTPY_WRAPPERS(unbind)
CTPY_WRAPPERS(tensor_split)
CTPY_WRAPPERS(flip)
CTPY_WRAPPERS(fliplr)
CTPY_WRAPPERS(flipud)
CTPY_WRAPPERS(roll)
CTPY_WRAPPERS(repeat)
CTPY_WRAPPERS(tile)
CTPY_WRAPPERS(repeat_interleave)
CTPY_WRAPPERS(tril)
CTPY_WRAPPERS(triu)
CTPY_WRAPPERS(tril_)
CTPY_WRAPPERS(triu_)
CTPY_WRAPPERS(broadcast_to)
CTPY_WRAPPERS(sort)
CTPY_WRAPPERS(argsort)
CTPY_WRAPPERS(msort)
CTPY_WRAPPERS(topk)
CTPY_WRAPPERS(kthvalue)
CTPY_WRAPPERS(unique)
CTPY_WRAPPERS(unique_consecutive)
CTPY_WRAPPERS(bincount)
CTPY_WRAPPERS(histc)

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
#define BOTH(nm) CTPY_METHOD(#nm, nm)
PyMethodDef ctpy_shape_methods[] = {
    BOTH(split), BOTH(split_with_sizes), BOTH(chunk), BOTH(unbind), BOTH(tensor_split), BOTH(flip),
    BOTH(fliplr), BOTH(flipud), BOTH(roll), BOTH(repeat), BOTH(tile), BOTH(repeat_interleave), BOTH(tril),
    BOTH(triu), BOTH(broadcast_to), BOTH(sort), BOTH(argsort), BOTH(msort), BOTH(topk), BOTH(kthvalue),
    BOTH(unique), BOTH(unique_consecutive), BOTH(bincount), BOTH(histc), BOTH(hsplit), BOTH(vsplit),
    BOTH(dsplit), BOTH(rot90), BOTH(histogram), BOTH(tril_), BOTH(triu_), {NULL}};
#undef BOTH
#define BOTH(nm) CTPY_FUNCTION(#nm, nm)
PyMethodDef ctpy_shape_functions[] = {
    FAST("cat", f_cat), FAST("concat", f_cat), FAST("concatenate", f_cat), FAST("stack", f_stack),
    FAST("hstack", f_hstack), FAST("vstack", f_vstack), FAST("row_stack", f_vstack), FAST("dstack", f_dstack),
    FAST("_pad", f_pad), FAST("meshgrid", f_meshgrid), FAST("searchsorted", f_searchsorted),
    BOTH(split), BOTH(chunk), BOTH(unbind), BOTH(tensor_split), BOTH(flip), BOTH(fliplr), BOTH(flipud),
    BOTH(roll), BOTH(tile), BOTH(repeat_interleave), BOTH(tril), BOTH(triu), BOTH(broadcast_to), BOTH(sort),
    BOTH(argsort), BOTH(msort), BOTH(topk), BOTH(kthvalue), BOTH(unique), BOTH(unique_consecutive),
    BOTH(bincount), BOTH(histc), BOTH(hsplit), BOTH(vsplit), BOTH(dsplit), BOTH(rot90), BOTH(histogram),
    FAST("column_stack", f_column_stack), FAST("block_diag", f_block_diag), FAST("cartesian_prod", f_cartesian_prod),
    FAST("bucketize", f_bucketize), {"atleast_1d", (PyCFunction)(void (*)(void))f_atleast_1d, METH_FASTCALL, NULL},
    {"atleast_2d", (PyCFunction)(void (*)(void))f_atleast_2d, METH_FASTCALL, NULL},
    {"atleast_3d", (PyCFunction)(void (*)(void))f_atleast_3d, METH_FASTCALL, NULL}, {NULL}};
