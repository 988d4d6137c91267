/* The generic bindings of the op table: every UNARY and BINARY op of
 * the .def files (include/ctorch/def) becomes torch.NAME(input[, other], *, out=) when
 * flagged CT_F_FUNC and Tensor.NAME / Tensor.NAME_ when flagged CT_F_METHOD,
 * without a line of code per op. Python operators go through the same path. */
#include "ctpy.h"

/* Runs STMT with the GIL released when the tensors are large; a pending
 * Ctrl-C is raised once the kernel has finished (never from inside it). */
#define CTPY_RUN(big, stmt)                 \
    do {                                    \
        if (big) {                          \
            Py_BEGIN_ALLOW_THREADS stmt;    \
            Py_END_ALLOW_THREADS            \
        } else {                            \
            stmt;                           \
        }                                   \
    } while (0)

static PyObject *finish_checked(ct_scope sc, ct_tensor *r, bool big) {
    PyObject *o = ctpy_finish(sc, r);
    if (o && big && PyErr_CheckSignals() < 0) Py_CLEAR(o);
    return o;
}

const ct_op_info *ctpy_op(const char *name) { return ct_op_find(name); }

static PyObject *unavailable(const char *name) {
    PyErr_Format(PyExc_NotImplementedError, "%s: not available in this build of ctorch", name);
    return NULL;
}

static PyObject *unary_call(const ct_op_info *op, int inplace, ct_tensor *x, PyObject *outobj) {
    ct_tensor *out = NULL;
    if (!CTPY_NOARG(outobj) && ctpy_tensor_arg(op->name, "out", outobj, &out) < 0) return NULL;
    bool big = x->numel > CTPY_NOGIL_NUMEL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (out) CTPY_RUN(big, r = ((ct_unary_out_fn)op->out)(out, x));
    else if (inplace) CTPY_RUN(big, r = ((ct_unary_inplace_fn)op->inplace)(x));
    else CTPY_RUN(big, r = ((ct_unary_fn)op->fn)(x));
    return finish_checked(sc, r, big);
}

__attribute__((unused)) static PyObject *unary_impl(int id, int inplace, PyObject *self, PyObject *const *args,
                            Py_ssize_t n, PyObject *kwn) {
    static const char *const fnames[] = {"input", "*", "out", NULL};
    static const char *const mnames[] = {"self", NULL};
    const ct_op_info *op = &ct_op_table[id];
    PyObject *a[2];
    if (ctpy_parse(op->name, self ? mnames : fnames, self, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor *x;
    if (ctpy_tensor_arg(op->name, "input", a[0], &x) < 0) return NULL;
    return unary_call(op, inplace, x, self ? NULL : a[1]);
}

/* add/sub take alpha, div takes rounding_mode (pointwise.h variants). */
static ct_tensor *alpha_call(const char *name, int inplace, ct_tensor *out, ct_tensor *a, ct_tensor *b,
                             double alpha) {
    bool add = strcmp(name, "add") == 0;
    if (out) return add ? ct_add_alpha_out(out, a, b, alpha) : ct_sub_alpha_out(out, a, b, alpha);
    if (inplace) return add ? ct_add_alpha_(a, b, alpha) : ct_sub_alpha_(a, b, alpha);
    return add ? ct_add_alpha(a, b, alpha) : ct_sub_alpha(a, b, alpha);
}
static ct_tensor *mode_call(int inplace, ct_tensor *out, ct_tensor *a, ct_tensor *b, const char *mode) {
    if (out) return ct_div_mode_out(out, a, b, mode);
    if (inplace) return ct_div_mode_(a, b, mode);
    return ct_div_mode(a, b, mode);
}

static PyObject *binary_call(const ct_op_info *op, int inplace, PyObject *ao, PyObject *bo,
                             PyObject *alphao, PyObject *outo, const char *mode) {
    double alpha = 1.0;
    if (!CTPY_NOARG(alphao) && ctpy_double(op->name, "alpha", alphao, &alpha) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *a, *b, *out = NULL, *r = NULL;
    if (ctpy_operand(ao, &a) < 0 || ctpy_operand(bo, &b) < 0) {
        ct_scope_end(sc);
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s(): unsupported operand types '%s' and '%s'", op->name,
                         Py_TYPE(ao)->tp_name, Py_TYPE(bo)->tp_name);
        return NULL;
    }
    if (!CTPY_NOARG(outo) && ctpy_tensor_arg(op->name, "out", outo, &out) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    bool big = a->numel > CTPY_NOGIL_NUMEL || b->numel > CTPY_NOGIL_NUMEL;
    if (!CTPY_NOARG(alphao)) CTPY_RUN(big, r = alpha_call(op->name, inplace, out, a, b, alpha));
    else if (mode) CTPY_RUN(big, r = mode_call(inplace, out, a, b, mode));
    else if (out) CTPY_RUN(big, r = ((ct_binary_out_fn)op->out)(out, a, b));
    else if (inplace) CTPY_RUN(big, r = ((ct_binary_inplace_fn)op->inplace)(a, b));
    else CTPY_RUN(big, r = ((ct_binary_fn)op->fn)(a, b));
    return finish_checked(sc, r, big);
}

__attribute__((unused)) static PyObject *binary_impl(int id, int inplace, PyObject *self, PyObject *const *args,
                             Py_ssize_t n, PyObject *kwn) {
    static const char *const fnames[] = {"input", "other", "*", "alpha", "rounding_mode", "out", NULL};
    static const char *const mnames[] = {"self", "other", "*", "alpha", "rounding_mode", NULL};
    const ct_op_info *op = &ct_op_table[id];
    PyObject *a[5] = {0};
    if (ctpy_parse(op->name, self ? mnames : fnames, self, args, n, kwn, a, NULL) < 0) return NULL;
    if (!a[0] || !a[1]) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", op->name,
                     a[0] ? "other" : "input");
        return NULL;
    }
    bool has_alpha = strcmp(op->name, "add") == 0 || strcmp(op->name, "sub") == 0;
    if ((!CTPY_NOARG(a[2]) && !has_alpha) || (a[3] && strcmp(op->name, "div") != 0)) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", op->name,
                     a[3] ? "rounding_mode" : "alpha");
        return NULL;
    }
    const char *mode = NULL;
    if (!CTPY_NOARG(a[3]) && !(mode = PyUnicode_Check(a[3]) ? PyUnicode_AsUTF8(a[3]) : NULL)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "div(): rounding_mode must be str or None");
        return NULL;
    }
    if (inplace && !ctpy_Tensor_Check(a[0])) return unavailable(op->name);
    return binary_call(op, inplace, a[0], a[1], a[2], self ? NULL : a[4], mode);
}

/* One static entry point per table op (a method descriptor carries no
 * data of its own), generated from the .def files. */
#define GEN_UNARY(name)                                                                          \
    static PyObject *tm_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return unary_impl(CT_OP_##name, 0, s, a, n, k);                                          \
    }                                                                                            \
    static PyObject *ti_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return unary_impl(CT_OP_##name, 1, s, a, n, k);                                          \
    }                                                                                            \
    static PyObject *tf_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return unary_impl(CT_OP_##name, 0, NULL, a, n, k);                                       \
    }
#define GEN_BINARY(name)                                                                         \
    static PyObject *tm_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return binary_impl(CT_OP_##name, 0, s, a, n, k);                                         \
    }                                                                                            \
    static PyObject *ti_##name(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return binary_impl(CT_OP_##name, 1, s, a, n, k);                                         \
    }                                                                                            \
    static PyObject *tf_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {     \
        return binary_impl(CT_OP_##name, 0, NULL, a, n, k);                                      \
    }
#define GEN_CUSTOM(name)
#define CT_OP(name, sig, flags, doc) GEN_##sig(name)
#include "ctorch/def/all.def"
#undef CT_OP

typedef PyObject *(*fastfn)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);
static const struct entry {
    int id;
    fastfn m, mi, f;
} entries[] = {
#define ENT_UNARY(name) {CT_OP_##name, tm_##name, ti_##name, tf_##name},
#define ENT_BINARY(name) {CT_OP_##name, tm_##name, ti_##name, tf_##name},
#define ENT_CUSTOM(name)
#define CT_OP(name, sig, flags, doc) ENT_##sig(name)
#include "ctorch/def/all.def"
#undef CT_OP
    {-1, NULL, NULL, NULL}};

static PyMethodDef *methods, *functions;

static void build_tables(void) {
    size_t ne = sizeof entries / sizeof *entries - 1;
    methods = PyMem_Calloc(2 * ne + 1, sizeof(PyMethodDef));
    functions = PyMem_Calloc(ne + 1, sizeof(PyMethodDef));
    if (!methods || !functions) return;
    size_t nm = 0, nf = 0;
    for (size_t i = 0; i < ne; i++) {
        const ct_op_info *op = &ct_op_table[entries[i].id];
        int flags = METH_FASTCALL | METH_KEYWORDS;
        if (op->flags & CT_F_METHOD) {
            methods[nm++] = (PyMethodDef){op->name, (PyCFunction)(void (*)(void))entries[i].m, flags, op->doc};
            size_t len = strlen(op->name);
            char *iname = PyMem_Malloc(len + 2);
            if (!iname) continue;
            memcpy(iname, op->name, len);
            iname[len] = '_';
            iname[len + 1] = 0;
            methods[nm++] = (PyMethodDef){iname, (PyCFunction)(void (*)(void))entries[i].mi, flags, op->doc};
        }
        if (op->flags & CT_F_FUNC)
            functions[nf++] = (PyMethodDef){op->name, (PyCFunction)(void (*)(void))entries[i].f, flags, op->doc};
    }
}

PyMethodDef *ctpy_table_methods(void) {
    if (!methods) build_tables();
    return methods ? methods : (PyMethodDef *)PyErr_NoMemory();
}
PyMethodDef *ctpy_table_functions(void) {
    if (!functions) build_tables();
    return functions ? functions : (PyMethodDef *)PyErr_NoMemory();
}

/* ------------------------------------------------------------------ operators */
static const ct_op_info *find_binary(const char *name) {
    const ct_op_info *op = ct_op_find(name);
    return op && op->sig == CT_SIG_BINARY ? op : NULL;
}

PyObject *ctpy_binary(const char *name, PyObject *a, PyObject *b, int inplace) {
    if ((!ctpy_Tensor_Check(a) && !ctpy_is_number(a)) || (!ctpy_Tensor_Check(b) && !ctpy_is_number(b)))
        Py_RETURN_NOTIMPLEMENTED;
    const ct_op_info *op = find_binary(name);
    if (!op && strcmp(name, "floor_divide") == 0) { /* a // b */
        op = find_binary("div");
        if (op) return binary_call(op, inplace, a, b, NULL, NULL, "floor");
    }
    if (!op) return unavailable(name);
    return binary_call(op, inplace, a, b, NULL, NULL, NULL);
}

PyObject *ctpy_unary(const char *name, PyObject *a) {
    const ct_op_info *op = ct_op_find(name);
    if (!op || op->sig != CT_SIG_UNARY) return unavailable(name);
    return unary_call(op, 0, CTPY_T(a), NULL);
}

#define NB_BINARY(slot, name)                                                                   \
    static PyObject *nb_##slot(PyObject *a, PyObject *b) { return ctpy_binary(name, a, b, 0); } \
    static PyObject *nb_i##slot(PyObject *a, PyObject *b) { return ctpy_binary(name, a, b, 1); }
NB_BINARY(add, "add")
NB_BINARY(sub, "sub")
NB_BINARY(mul, "mul")
NB_BINARY(div, "div")
NB_BINARY(floordiv, "floor_divide")
NB_BINARY(mod, "remainder")
NB_BINARY(and, "bitwise_and")
NB_BINARY(or, "bitwise_or")
NB_BINARY(xor, "bitwise_xor")
NB_BINARY(lshift, "bitwise_left_shift")
NB_BINARY(rshift, "bitwise_right_shift")

PyObject *ctpy_matmul(PyObject *a, PyObject *b); /* linalg bindings */
static PyObject *nb_matmul(PyObject *a, PyObject *b) {
    if (!ctpy_Tensor_Check(a) || !ctpy_Tensor_Check(b)) Py_RETURN_NOTIMPLEMENTED;
    return ctpy_matmul(a, b);
}

/* torch.result_type(tensor1, tensor2): numbers count as wrapped numbers. */
PyObject *ctpy_result_type(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 2) {
        PyErr_SetString(PyExc_TypeError, "result_type(tensor1, tensor2)");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *a, *b;
    PyObject *r = NULL;
    if (ctpy_operand(args[0], &a) == 0 && ctpy_operand(args[1], &b) == 0) r = ctpy_dtype_obj(ct_result_type(a, b));
    else if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "result_type() expects tensors or numbers");
    ct_scope_end(sc);
    return r;
}
static PyObject *nb_imatmul(PyObject *a, PyObject *b) {
    PyErr_SetString(PyExc_RuntimeError, "In-place matmul is not supported. Use 'a = a @ b' instead of 'a @= b'.");
    return NULL;
}
static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return ctpy_binary("pow", a, b, 0);
}
static PyObject *nb_ipow(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return ctpy_binary("pow", a, b, 1);
}
static PyObject *nb_neg(PyObject *a) { return ctpy_unary("neg", a); }
static PyObject *nb_abs(PyObject *a) { return ctpy_unary("abs", a); }
static PyObject *nb_invert(PyObject *a) { return ctpy_unary("bitwise_not", a); }
static PyObject *nb_pos(PyObject *a) {
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_alias(CTPY_T(a)));
}
static PyObject *nb_float(PyObject *a) {
    double v;
    if (ct_item(CTPY_T(a), &v) < 0) {
        ct_clear_error();
        PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python scalars");
        return NULL;
    }
    return PyFloat_FromDouble(v);
}
static PyObject *nb_int(PyObject *a) {
    ct_tensor *t = CTPY_T(a);
    if (t->numel != 1) {
        PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python scalars");
        return NULL;
    }
    if (ct_dtype_is_floating(t->dtype)) {
        double v = ct_item_at(t, 0);
        return PyLong_FromDouble(v);
    }
    return PyLong_FromLongLong(ct_item_at_int(t, 0));
}
static PyObject *nb_index(PyObject *a) {
    ct_tensor *t = CTPY_T(a);
    if (t->numel != 1 || ct_dtype_is_floating(t->dtype)) {
        PyErr_SetString(PyExc_TypeError,
                        "only integer tensors of a single element can be converted to an index");
        return NULL;
    }
    return PyLong_FromLongLong(ct_item_at_int(t, 0));
}
int ctpy_tensor_nb_bool(PyObject *self);

PyNumberMethods ctpy_tensor_as_number = {
    .nb_add = nb_add, .nb_inplace_add = nb_iadd,
    .nb_subtract = nb_sub, .nb_inplace_subtract = nb_isub,
    .nb_multiply = nb_mul, .nb_inplace_multiply = nb_imul,
    .nb_true_divide = nb_div, .nb_inplace_true_divide = nb_idiv,
    .nb_floor_divide = nb_floordiv, .nb_inplace_floor_divide = nb_ifloordiv,
    .nb_remainder = nb_mod, .nb_inplace_remainder = nb_imod,
    .nb_power = nb_pow, .nb_inplace_power = nb_ipow,
    .nb_matrix_multiply = nb_matmul, .nb_inplace_matrix_multiply = nb_imatmul,
    .nb_and = nb_and, .nb_inplace_and = nb_iand,
    .nb_or = nb_or, .nb_inplace_or = nb_ior,
    .nb_xor = nb_xor, .nb_inplace_xor = nb_ixor,
    .nb_lshift = nb_lshift, .nb_inplace_lshift = nb_ilshift,
    .nb_rshift = nb_rshift, .nb_inplace_rshift = nb_irshift,
    .nb_negative = nb_neg, .nb_positive = nb_pos, .nb_absolute = nb_abs, .nb_invert = nb_invert,
    .nb_bool = ctpy_tensor_nb_bool, .nb_float = nb_float, .nb_int = nb_int, .nb_index = nb_index,
};

PyObject *ctpy_tensor_richcompare(PyObject *a, PyObject *b, int cmp) {
    static const char *names[] = {"lt", "le", "eq", "ne", "gt", "ge"};
    if (b == Py_None && (cmp == Py_EQ || cmp == Py_NE)) return PyBool_FromLong(cmp == Py_NE);
    return ctpy_binary(names[cmp], a, b, 0);
}
