/* Bindings of the linalg family (include/ctorch/linalg.h). */
#include "bind.h"

#define BIN(name, a1, a2)                                                         \
    CTPY_IMPL(name) {                                                             \
        static const char *const names[] = {"input", a2, "*", "out", NULL};       \
        PyObject *a[3];                                                           \
        CTPY_PARSE(#name, names, a, NULL);                                        \
        ct_tensor *b;                                                             \
        if (ctpy_tensor_arg(#name, a2, a[1], &b) < 0) return NULL;               \
        bool big = x->numel > CTPY_NOGIL_NUMEL || b->numel > CTPY_NOGIL_NUMEL;    \
        ct_scope sc = ct_scope_begin();                                           \
        ct_tensor *r;                                                             \
        if (big) {                                                                \
            Py_BEGIN_ALLOW_THREADS r = ct_##name(x, b);                           \
            Py_END_ALLOW_THREADS                                                  \
        } else                                                                    \
            r = ct_##name(x, b);                                                  \
        return ctpy_finish_out(sc, r, a[2]);                                      \
    }                                                                             \
    CTPY_WRAPPERS(name)
BIN(mm, "input", "mat2")
BIN(bmm, "input", "mat2")
BIN(mv, "input", "vec")
BIN(dot, "input", "other")
BIN(vdot, "input", "other")
BIN(matmul, "input", "other")
BIN(outer, "input", "vec2")
BIN(kron, "input", "other")

#define ADD3(name, n1, n2)                                                                        \
    CTPY_IMPL(name) {                                                                             \
        static const char *const names[] = {"input", n1, n2, "*", "beta", "alpha", "out", NULL}; \
        PyObject *a[6];                                                                           \
        CTPY_PARSE(#name, names, a, NULL);                                                        \
        ct_tensor *m1, *m2;                                                                       \
        double beta, alpha;                                                                       \
        if (ctpy_tensor_arg(#name, n1, a[1], &m1) < 0 || ctpy_tensor_arg(#name, n2, a[2], &m2) < 0 || \
            ctpy_opt_double(#name, "beta", a[3], 1.0, &beta) < 0 ||                               \
            ctpy_opt_double(#name, "alpha", a[4], 1.0, &alpha) < 0)                               \
            return NULL;                                                                          \
        ct_scope sc = ct_scope_begin();                                                           \
        return ctpy_finish_out(sc, ct_##name(x, m1, m2, beta, alpha), a[5]);                      \
    }                                                                                             \
    CTPY_WRAPPERS(name)
ADD3(addmm, "mat1", "mat2")
ADD3(addbmm, "batch1", "batch2")
ADD3(baddbmm, "batch1", "batch2")
ADD3(addmv, "mat", "vec")

/* a @ b */
PyObject *ctpy_matmul(PyObject *a, PyObject *b) {
    PyObject *args[2] = {a, b};
    return matmul_impl(NULL, args, 2, NULL);
}

/* torch.einsum(eq, *operands) or einsum(eq, [operands]) */
static PyObject *f_einsum(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    if (n < 1 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "einsum(): argument 'equation' must be str");
        return NULL;
    }
    const char *eq = PyUnicode_AsUTF8(args[0]);
    ct_tensor **ops = NULL;
    int k = 0;
    if (n == 2 && !ctpy_Tensor_Check(args[1])) {
        if (ctpy_tensor_seq("einsum", args[1], &ops, &k) < 0) return NULL;
    } else {
        ops = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)n);
        if (!ops) return PyErr_NoMemory();
        for (Py_ssize_t i = 1; i < n; i++)
            if (ctpy_tensor_arg("einsum", "operands", args[i], &ops[k++]) < 0) {
                PyMem_Free(ops);
                return NULL;
            }
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_einsum(eq, (const ct_tensor *const *)ops, k);
    PyMem_Free(ops);
    return ctpy_finish(sc, r);
}

static PyObject *f_tensordot(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"a", "b", "dims", "out", NULL};
    PyObject *a[4];
    ct_tensor *x, *y;
    if (ctpy_parse("tensordot", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("tensordot", "a", a[0], &x) < 0 || ctpy_tensor_arg("tensordot", "b", a[1], &y) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    if (CTPY_NOARG(a[2]) || PyIndex_Check(a[2])) {
        int64_t d = 2;
        if (!CTPY_NOARG(a[2]) && ctpy_int("tensordot", "dims", a[2], &d) < 0) {
            ct_scope_end(sc);
            return NULL;
        }
        return ctpy_finish_out(sc, ct_tensordot(x, y, (int)d), a[3]);
    }
    PyObject *fast = PySequence_Fast(a[2], "tensordot(): dims must be an int or a pair of lists");
    int64_t da[CT_MAX_DIMS], db[CT_MAX_DIMS];
    int na = 0, nb = 0;
    if (!fast || PySequence_Fast_GET_SIZE(fast) != 2 ||
        ctpy_intlist("tensordot", PySequence_Fast_GET_ITEM(fast, 0), NULL, da, &na) < 0 ||
        ctpy_intlist("tensordot", PySequence_Fast_GET_ITEM(fast, 1), NULL, db, &nb) < 0) {
        Py_XDECREF(fast);
        ct_scope_end(sc);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "tensordot expects dims=(dims_a, dims_b)");
        return NULL;
    }
    Py_DECREF(fast);
    if (na != nb) {
        ct_scope_end(sc);
        PyErr_SetString(PyExc_RuntimeError, "both dimension lists should have same length");
        return NULL;
    }
    int ia[CT_MAX_DIMS], ib[CT_MAX_DIMS];
    for (int i = 0; i < na; i++) {
        ia[i] = (int)da[i];
        ib[i] = (int)db[i];
    }
    return ctpy_finish_out(sc, ct_tensordot_dims(x, y, ia, ib, na), a[3]);
}

/* torch.linalg.* (exposed as _C._linalg_*; ctorch/linalg.py names them) */
#define LA1(name)                                                                     \
    static PyObject *f_linalg_##name(PyObject *m, PyObject *const *args, Py_ssize_t n, \
                                     PyObject *kwn) {                                 \
        static const char *const names[] = {"A", "*", "out", NULL};                   \
        PyObject *a[2];                                                               \
        ct_tensor *x;                                                                 \
        if (ctpy_parse("linalg." #name, names, NULL, args, n, kwn, a, NULL) < 0 ||    \
            ctpy_tensor_arg("linalg." #name, "A", a[0], &x) < 0)                      \
            return NULL;                                                              \
        ct_scope sc = ct_scope_begin();                                               \
        return ctpy_finish_out(sc, ct_linalg_##name(x), a[1]);                        \
    }
LA1(inv)
LA1(det)

static PyObject *f_linalg_solve(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", "B", "*", "left", "out", NULL};
    PyObject *a[4];
    ct_tensor *x, *y;
    if (ctpy_parse("linalg.solve", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.solve", "A", a[0], &x) < 0 || ctpy_tensor_arg("linalg.solve", "B", a[1], &y) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_linalg_solve(x, y), a[3]);
}
static PyObject *f_linalg_cholesky(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", "*", "upper", "out", NULL};
    PyObject *a[3];
    ct_tensor *x;
    bool up;
    if (ctpy_parse("linalg.cholesky", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.cholesky", "A", a[0], &x) < 0 || ctpy_opt_bool(a[1], false, &up) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_linalg_cholesky(x, up), a[2]);
}
static PyObject *f_linalg_slogdet(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", NULL};
    static const char *const fields[] = {"sign", "logabsdet"};
    PyObject *a[1];
    ct_tensor *x, *r[2];
    if (ctpy_parse("linalg.slogdet", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.slogdet", "A", a[0], &x) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    int rc = ct_linalg_slogdet(x, &r[0], &r[1]);
    return ctpy_finish_named(sc, "linalg_slogdet", fields, r, rc < 0 ? -1 : 2);
}
static PyObject *f_linalg_qr(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", "mode", NULL};
    static const char *const fields[] = {"Q", "R"};
    PyObject *a[2];
    ct_tensor *x, *r[2];
    const char *mode;
    if (ctpy_parse("linalg.qr", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.qr", "A", a[0], &x) < 0 || ctpy_opt_str("linalg.qr", "mode", a[1], &mode) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    int rc = ct_linalg_qr(x, mode, &r[0], &r[1]);
    return ctpy_finish_named(sc, "linalg_qr", fields, r, rc < 0 ? -1 : 2);
}
static PyObject *f_linalg_svd(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", "full_matrices", "*", "driver", NULL};
    static const char *const fields[] = {"U", "S", "Vh"};
    PyObject *a[3];
    ct_tensor *x, *r[3];
    bool full;
    if (ctpy_parse("linalg.svd", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.svd", "A", a[0], &x) < 0 || ctpy_opt_bool(a[1], true, &full) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    int rc = ct_linalg_svd(x, full, &r[0], &r[1], &r[2]);
    return ctpy_finish_named(sc, "linalg_svd", fields, r, rc < 0 ? -1 : 3);
}
static PyObject *f_linalg_eigh(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"A", "UPLO", NULL};
    static const char *const fields[] = {"eigenvalues", "eigenvectors"};
    PyObject *a[2];
    ct_tensor *x, *r[2];
    const char *uplo;
    if (ctpy_parse("linalg.eigh", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("linalg.eigh", "A", a[0], &x) < 0 || ctpy_opt_str("linalg.eigh", "UPLO", a[1], &uplo) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    int rc = ct_linalg_eigh(x, uplo ? uplo[0] : 'L', &r[0], &r[1]);
    return ctpy_finish_named(sc, "linalg_eigh", fields, r, rc < 0 ? -1 : 2);
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_linalg_methods[] = {
    CTPY_METHOD("mm", mm), CTPY_METHOD("bmm", bmm), CTPY_METHOD("mv", mv), CTPY_METHOD("dot", dot),
    CTPY_METHOD("vdot", vdot), CTPY_METHOD("matmul", matmul), CTPY_METHOD("outer", outer),
    CTPY_METHOD("ger", outer), CTPY_METHOD("kron", kron), CTPY_METHOD("addmm", addmm),
    CTPY_METHOD("addbmm", addbmm), CTPY_METHOD("baddbmm", baddbmm), CTPY_METHOD("addmv", addmv),
    {NULL}};
PyMethodDef ctpy_linalg_functions[] = {
    CTPY_FUNCTION("mm", mm), CTPY_FUNCTION("bmm", bmm), CTPY_FUNCTION("mv", mv), CTPY_FUNCTION("dot", dot),
    CTPY_FUNCTION("vdot", vdot), CTPY_FUNCTION("matmul", matmul), CTPY_FUNCTION("outer", outer),
    CTPY_FUNCTION("ger", outer), CTPY_FUNCTION("kron", kron), CTPY_FUNCTION("addmm", addmm),
    CTPY_FUNCTION("addbmm", addbmm), CTPY_FUNCTION("baddbmm", baddbmm), CTPY_FUNCTION("addmv", addmv),
    FAST("einsum", f_einsum), FAST("tensordot", f_tensordot),
    /* op linalg_X is torch.linalg.X (ctorch/linalg.py) */
    FAST("linalg_inv", f_linalg_inv), FAST("linalg_det", f_linalg_det), FAST("linalg_solve", f_linalg_solve),
    FAST("linalg_cholesky", f_linalg_cholesky), FAST("linalg_slogdet", f_linalg_slogdet),
    FAST("linalg_qr", f_linalg_qr), FAST("linalg_svd", f_linalg_svd), FAST("linalg_eigh", f_linalg_eigh),
    FAST("inverse", f_linalg_inv), FAST("det", f_linalg_det), FAST("slogdet", f_linalg_slogdet),
    {NULL}};
