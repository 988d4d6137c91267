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
    {NULL}};
