/* Bindings of the view and copy ops (src/ops/view.c). */
#include "bind.h"

CTPY_IMPL(view) {
    static const char *const names[] = {"input", "+size", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("view", names, a, &va);
    if (va.nva == 1 && (PyObject_TypeCheck(va.va[0], &ctpy_DTypeType))) {
        CTPY_RETURN(ct_view_dtype(x, ((DTypeObject *)va.va[0])->dt));
    }
    int64_t s[CT_MAX_DIMS];
    int nd;
    if (ctpy_shape("view", a[1], &va, s, &nd) < 0) return NULL;
    CTPY_RETURN(ct_view(x, s, nd));
}
CTPY_IMPL(reshape) {
    static const char *const names[] = {"input", "+shape", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("reshape", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int nd;
    if (ctpy_shape("reshape", a[1], &va, s, &nd) < 0) return NULL;
    CTPY_RETURN(ct_reshape(x, s, nd));
}
CTPY_IMPL(expand) {
    static const char *const names[] = {"input", "+size", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("expand", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int nd;
    if (ctpy_shape("expand", a[1], &va, s, &nd) < 0) return NULL;
    CTPY_RETURN(ct_expand(x, s, nd));
}
CTPY_IMPL(permute) {
    static const char *const names[] = {"input", "+dims", NULL};
    PyObject *a[2];
    ctpy_va va;
    CTPY_PARSE("permute", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int nd, d[CT_MAX_DIMS];
    if (ctpy_shape("permute", a[1], &va, s, &nd) < 0) return NULL;
    for (int i = 0; i < nd; i++) d[i] = (int)s[i];
    CTPY_RETURN(ct_permute(x, d, nd));
}
CTPY_IMPL(transpose) {
    static const char *const names[] = {"input", "dim0", "dim1", NULL};
    PyObject *a[3];
    CTPY_PARSE("transpose", names, a, NULL);
    int64_t d0, d1;
    if (ctpy_req_int("transpose", "dim0", a[1], &d0) < 0 || ctpy_req_int("transpose", "dim1", a[2], &d1) < 0)
        return NULL;
    CTPY_RETURN(ct_transpose(x, (int)d0, (int)d1));
}
CTPY_IMPL(t) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("t", names, a, NULL);
    CTPY_RETURN(ct_t(x));
}
CTPY_IMPL(squeeze) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("squeeze", names, a, NULL);
    if (CTPY_NOARG(a[1])) CTPY_RETURN(ct_squeeze(x));
    int64_t d;
    if (ctpy_int("squeeze", "dim", a[1], &d) < 0) return NULL;
    CTPY_RETURN(ct_squeeze_dim(x, (int)d));
}
CTPY_IMPL(unsqueeze) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("unsqueeze", names, a, NULL);
    int64_t d;
    if (ctpy_req_int("unsqueeze", "dim", a[1], &d) < 0) return NULL;
    CTPY_RETURN(ct_unsqueeze(x, (int)d));
}
CTPY_IMPL(narrow) {
    static const char *const names[] = {"input", "dim", "start", "length", NULL};
    PyObject *a[4];
    CTPY_PARSE("narrow", names, a, NULL);
    int64_t d, s, l;
    if (ctpy_req_int("narrow", "dim", a[1], &d) < 0 || ctpy_req_int("narrow", "start", a[2], &s) < 0 ||
        ctpy_req_int("narrow", "length", a[3], &l) < 0)
        return NULL;
    CTPY_RETURN(ct_narrow(x, (int)d, s, l));
}
CTPY_IMPL(select) {
    static const char *const names[] = {"input", "dim", "index", NULL};
    PyObject *a[3];
    CTPY_PARSE("select", names, a, NULL);
    int64_t d, i;
    if (ctpy_req_int("select", "dim", a[1], &d) < 0 || ctpy_req_int("select", "index", a[2], &i) < 0)
        return NULL;
    CTPY_RETURN(ct_select(x, (int)d, i));
}
CTPY_IMPL(flatten) {
    static const char *const names[] = {"input", "start_dim", "end_dim", NULL};
    PyObject *a[3];
    CTPY_PARSE("flatten", names, a, NULL);
    int64_t s, e;
    if (ctpy_opt_int("flatten", "start_dim", a[1], 0, &s) < 0 ||
        ctpy_opt_int("flatten", "end_dim", a[2], -1, &e) < 0)
        return NULL;
    CTPY_RETURN(ct_flatten(x, (int)s, (int)e));
}
CTPY_IMPL(unflatten) {
    static const char *const names[] = {"input", "dim", "sizes", NULL};
    PyObject *a[3];
    CTPY_PARSE("unflatten", names, a, NULL);
    int64_t d, s[CT_MAX_DIMS];
    int nd;
    if (ctpy_req_int("unflatten", "dim", a[1], &d) < 0 || ctpy_intlist("unflatten", a[2], NULL, s, &nd) < 0)
        return NULL;
    CTPY_RETURN(ct_unflatten(x, (int)d, s, nd));
}
CTPY_IMPL(unfold) {
    static const char *const names[] = {"input", "dimension", "size", "step", NULL};
    PyObject *a[4];
    CTPY_PARSE("unfold", names, a, NULL);
    int64_t d, s, st;
    if (ctpy_req_int("unfold", "dimension", a[1], &d) < 0 || ctpy_req_int("unfold", "size", a[2], &s) < 0 ||
        ctpy_req_int("unfold", "step", a[3], &st) < 0)
        return NULL;
    CTPY_RETURN(ct_unfold(x, (int)d, s, st));
}
CTPY_IMPL(diagonal) {
    static const char *const names[] = {"input", "offset", "dim1", "dim2", NULL};
    PyObject *a[4];
    CTPY_PARSE("diagonal", names, a, NULL);
    int64_t o, d1, d2;
    if (ctpy_opt_int("diagonal", "offset", a[1], 0, &o) < 0 || ctpy_opt_int("diagonal", "dim1", a[2], 0, &d1) < 0 ||
        ctpy_opt_int("diagonal", "dim2", a[3], 1, &d2) < 0)
        return NULL;
    CTPY_RETURN(ct_diagonal(x, o, (int)d1, (int)d2));
}
CTPY_IMPL(as_strided) {
    static const char *const names[] = {"input", "size", "stride", "storage_offset", NULL};
    PyObject *a[4];
    CTPY_PARSE("as_strided", names, a, NULL);
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS], off;
    int ns, nst;
    if (ctpy_intlist("as_strided", a[1], NULL, s, &ns) < 0 || ctpy_intlist("as_strided", a[2], NULL, st, &nst) < 0 ||
        ctpy_opt_int("as_strided", "storage_offset", a[3], x->offset, &off) < 0)
        return NULL;
    if (ns != nst) {
        PyErr_Format(PyExc_RuntimeError, "mismatch in length of strides and shape");
        return NULL;
    }
    CTPY_RETURN(ct_as_strided(x, s, st, ns, off));
}
CTPY_IMPL(contiguous) {
    static const char *const names[] = {"input", "memory_format", NULL};
    PyObject *a[2];
    CTPY_PARSE("contiguous", names, a, NULL);
    CTPY_RETURN(ct_contiguous(x));
}
CTPY_IMPL(clone) {
    static const char *const names[] = {"input", "*", "memory_format", NULL};
    PyObject *a[2];
    CTPY_PARSE("clone", names, a, NULL);
    CTPY_RETURN(ct_clone(x));
}
CTPY_IMPL(copy_) {
    static const char *const names[] = {"input", "src", "non_blocking", NULL};
    PyObject *a[3];
    CTPY_PARSE("copy_", names, a, NULL);
    ct_scope sc = ct_scope_begin();
    ct_tensor *src;
    if (!a[1] || ctpy_operand(a[1], &src) < 0) {
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "copy_(): argument 'src' must be Tensor");
        return NULL;
    }
    bool big = x->numel > CTPY_NOGIL_NUMEL;
    ct_tensor *r;
    if (big) {
        Py_BEGIN_ALLOW_THREADS r = ct_copy_(x, src);
        Py_END_ALLOW_THREADS
    } else
        r = ct_copy_(x, src);
    return ctpy_finish(sc, r);
}
/* x.fill_(v) and x.zero_(): a copy of a number broadcast over x. */
CTPY_IMPL(fill_) {
    static const char *const names[] = {"input", "value", NULL};
    PyObject *a[2];
    CTPY_PARSE("fill_", names, a, NULL);
    if (!a[1] || !(ctpy_is_number(a[1]) || (ctpy_Tensor_Check(a[1]) && CTPY_T(a[1])->ndim == 0))) {
        PyErr_SetString(PyExc_TypeError, "fill_(): argument 'value' must be Number or a 0-dim Tensor");
        return NULL;
    }
    return copy__impl(self, args, n, kwn);
}
CTPY_IMPL(zero_) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("zero_", names, a, NULL);
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_copy_(x, ct_wrapped_int(0)));
}
/* view_as / reshape_as / expand_as */
#define AS_OP(name, fn)                                                            \
    CTPY_IMPL(name) {                                                              \
        static const char *const names[] = {"input", "other", NULL};               \
        PyObject *a[2];                                                            \
        CTPY_PARSE(#name, names, a, NULL);                                         \
        ct_tensor *o;                                                              \
        if (ctpy_tensor_arg(#name, "other", a[1], &o) < 0) return NULL;            \
        CTPY_RETURN(fn(x, o->sizes, o->ndim));                                     \
    }
AS_OP(view_as, ct_view)
AS_OP(reshape_as, ct_reshape)
AS_OP(expand_as, ct_expand)
CTPY_IMPL(swapaxes) { return transpose_impl(self, args, n, kwn); }

CTPY_WRAPPERS(view)
CTPY_WRAPPERS(reshape)
CTPY_WRAPPERS(expand)
CTPY_WRAPPERS(permute)
CTPY_WRAPPERS(transpose)
CTPY_WRAPPERS(t)
CTPY_WRAPPERS(squeeze)
CTPY_WRAPPERS(unsqueeze)
CTPY_WRAPPERS(narrow)
CTPY_WRAPPERS(select)
CTPY_WRAPPERS(flatten)
CTPY_WRAPPERS(unflatten)
CTPY_WRAPPERS(unfold)
CTPY_WRAPPERS(diagonal)
CTPY_WRAPPERS(as_strided)
CTPY_WRAPPERS(contiguous)
CTPY_WRAPPERS(clone)
CTPY_WRAPPERS(copy_)
CTPY_WRAPPERS(fill_)
CTPY_WRAPPERS(zero_)
CTPY_WRAPPERS(view_as)
CTPY_WRAPPERS(reshape_as)
CTPY_WRAPPERS(expand_as)
CTPY_WRAPPERS(swapaxes)

/* ---------------------------------------------------------------- in place (src/ops/view_inplace.c) */
CTPY_IMPL(t_) {
    static const char *const names[] = {"input", NULL};
    PyObject *a[1];
    CTPY_PARSE("t_", names, a, NULL);
    CTPY_RETURN(ct_t_(x));
}
CTPY_IMPL(transpose_) {
    static const char *const names[] = {"input", "dim0", "dim1", NULL};
    PyObject *a[3];
    CTPY_PARSE("transpose_", names, a, NULL);
    int64_t d0, d1;
    if (ctpy_req_int("transpose_", "dim0", a[1], &d0) < 0 || ctpy_req_int("transpose_", "dim1", a[2], &d1) < 0)
        return NULL;
    CTPY_RETURN(ct_transpose_(x, (int)d0, (int)d1));
}
CTPY_IMPL(squeeze_) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("squeeze_", names, a, NULL);
    if (CTPY_NOARG(a[1])) CTPY_RETURN(ct_squeeze_(x));
    int64_t d;
    if (ctpy_int("squeeze_", "dim", a[1], &d) < 0) return NULL;
    CTPY_RETURN(ct_squeeze_dim_(x, (int)d));
}
CTPY_IMPL(unsqueeze_) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("unsqueeze_", names, a, NULL);
    int64_t d;
    if (ctpy_req_int("unsqueeze_", "dim", a[1], &d) < 0) return NULL;
    CTPY_RETURN(ct_unsqueeze_(x, (int)d));
}
CTPY_IMPL(as_strided_) {
    static const char *const names[] = {"input", "size", "stride", "storage_offset", NULL};
    PyObject *a[4];
    CTPY_PARSE("as_strided_", names, a, NULL);
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS], off;
    int ns, nst;
    if (ctpy_intlist("as_strided_", a[1], NULL, s, &ns) < 0 || ctpy_intlist("as_strided_", a[2], NULL, st, &nst) < 0 ||
        ctpy_opt_int("as_strided_", "storage_offset", a[3], x->offset, &off) < 0)
        return NULL;
    if (ns != nst) {
        PyErr_Format(PyExc_RuntimeError, "mismatch in length of strides and shape");
        return NULL;
    }
    CTPY_RETURN(ct_as_strided_(x, s, st, ns, off));
}
CTPY_IMPL(fill_diagonal_) {
    static const char *const names[] = {"input", "fill_value", "wrap", NULL};
    PyObject *a[3];
    CTPY_PARSE("fill_diagonal_", names, a, NULL);
    double v;
    bool wrap;
    if (!a[1]) {
        PyErr_SetString(PyExc_TypeError, "fill_diagonal_() missing required argument 'fill_value'");
        return NULL;
    }
    if (ctpy_double("fill_diagonal_", "fill_value", a[1], &v) < 0 || ctpy_opt_bool(a[2], false, &wrap) < 0)
        return NULL;
    CTPY_RETURN(ct_fill_diagonal_(x, v, wrap));
}
CTPY_IMPL(resize_) {
    static const char *const names[] = {"input", "+size", "*", "memory_format", NULL};
    PyObject *a[3];
    ctpy_va va;
    CTPY_PARSE("resize_", names, a, &va);
    int64_t s[CT_MAX_DIMS];
    int nd;
    if (ctpy_shape("resize_", a[1], &va, s, &nd) < 0) return NULL;
    CTPY_RETURN(ct_resize_(x, s, nd));
}
CTPY_IMPL(resize_as_) {
    static const char *const names[] = {"input", "the_template", "*", "memory_format", NULL};
    PyObject *a[3];
    CTPY_PARSE("resize_as_", names, a, NULL);
    ct_tensor *o;
    if (ctpy_tensor_arg("resize_as_", "the_template", a[1], &o) < 0) return NULL;
    CTPY_RETURN(ct_resize_as_(x, o));
}
/* x.set_(), x.set_(source), x.set_(source, storage_offset, size, stride=None):
 * a tensor stands for its storage (ctorch has no storage objects). */
CTPY_IMPL(set_) {
    static const char *const names[] = {"input", "source", "storage_offset", "size", "stride", NULL};
    PyObject *a[5];
    CTPY_PARSE("set_", names, a, NULL);
    if (CTPY_NOARG(a[1])) CTPY_RETURN(ct_set_(x, NULL));
    ct_tensor *src;
    if (ctpy_tensor_arg("set_", "source", a[1], &src) < 0) return NULL;
    if (CTPY_NOARG(a[2]) && CTPY_NOARG(a[3]) && CTPY_NOARG(a[4])) CTPY_RETURN(ct_set_(x, src));
    int64_t off, s[CT_MAX_DIMS], st[CT_MAX_DIMS];
    int ns = 0, nst = 0;
    if (ctpy_opt_int("set_", "storage_offset", a[2], 0, &off) < 0) return NULL;
    if (CTPY_NOARG(a[3])) {
        PyErr_SetString(PyExc_TypeError, "set_(): argument 'size' is required with 'storage_offset'");
        return NULL;
    }
    if (ctpy_intlist("set_", a[3], NULL, s, &ns) < 0) return NULL;
    if (!CTPY_NOARG(a[4])) {
        if (ctpy_intlist("set_", a[4], NULL, st, &nst) < 0) return NULL;
        if (nst != ns) {
            PyErr_Format(PyExc_RuntimeError, "mismatch in length of strides and shape");
            return NULL;
        }
    }
    CTPY_RETURN(ct_set_storage_(x, src, off, s, CTPY_NOARG(a[4]) ? NULL : st, ns));
}

CTPY_WRAPPERS(t_)
CTPY_WRAPPERS(transpose_)
CTPY_WRAPPERS(squeeze_)
CTPY_WRAPPERS(unsqueeze_)
CTPY_WRAPPERS(as_strided_)
CTPY_WRAPPERS(fill_diagonal_)
CTPY_WRAPPERS(resize_)
CTPY_WRAPPERS(resize_as_)
CTPY_WRAPPERS(set_)

PyMethodDef ctpy_view_methods[] = {
    CTPY_METHOD("view", view), CTPY_METHOD("reshape", reshape), CTPY_METHOD("expand", expand),
    CTPY_METHOD("permute", permute), CTPY_METHOD("transpose", transpose), CTPY_METHOD("t", t),
    CTPY_METHOD("squeeze", squeeze), CTPY_METHOD("unsqueeze", unsqueeze), CTPY_METHOD("narrow", narrow),
    CTPY_METHOD("select", select), CTPY_METHOD("flatten", flatten), CTPY_METHOD("unflatten", unflatten),
    CTPY_METHOD("unfold", unfold), CTPY_METHOD("diagonal", diagonal), CTPY_METHOD("as_strided", as_strided),
    CTPY_METHOD("contiguous", contiguous), CTPY_METHOD("clone", clone), CTPY_METHOD("copy_", copy_),
    CTPY_METHOD("fill_", fill_), CTPY_METHOD("zero_", zero_), CTPY_METHOD("view_as", view_as),
    CTPY_METHOD("reshape_as", reshape_as), CTPY_METHOD("expand_as", expand_as),
    CTPY_METHOD("swapaxes", swapaxes), CTPY_METHOD("swapdims", swapaxes),
    CTPY_METHOD("t_", t_), CTPY_METHOD("transpose_", transpose_), CTPY_METHOD("swapaxes_", transpose_),
    CTPY_METHOD("swapdims_", transpose_), CTPY_METHOD("squeeze_", squeeze_),
    CTPY_METHOD("unsqueeze_", unsqueeze_), CTPY_METHOD("as_strided_", as_strided_),
    CTPY_METHOD("fill_diagonal_", fill_diagonal_), CTPY_METHOD("resize_", resize_),
    CTPY_METHOD("resize_as_", resize_as_), CTPY_METHOD("set_", set_),
    {NULL}};

PyMethodDef ctpy_view_functions[] = {
    CTPY_FUNCTION("reshape", reshape), CTPY_FUNCTION("permute", permute),
    CTPY_FUNCTION("transpose", transpose), CTPY_FUNCTION("t", t), CTPY_FUNCTION("squeeze", squeeze),
    CTPY_FUNCTION("unsqueeze", unsqueeze), CTPY_FUNCTION("narrow", narrow), CTPY_FUNCTION("select", select),
    CTPY_FUNCTION("flatten", flatten), CTPY_FUNCTION("unflatten", unflatten),
    CTPY_FUNCTION("diagonal", diagonal), CTPY_FUNCTION("as_strided", as_strided),
    CTPY_FUNCTION("clone", clone), CTPY_FUNCTION("swapaxes", swapaxes), CTPY_FUNCTION("swapdims", swapaxes),
    CTPY_FUNCTION("as_strided_", as_strided_), CTPY_FUNCTION("resize_as_", resize_as_),
    {NULL}};
