/* Bindings of the compare family (include/ctorch/compare.h). */
#include "bind.h"

/* (input, other, rtol=1e-05, atol=1e-08, equal_nan=False) */
static int close_args(const char *f, PyObject *const *a, ct_tensor **other, double *rtol, double *atol,
                      bool *en) {
    if (ctpy_tensor_arg(f, "other", a[1], other) < 0 || ctpy_opt_double(f, "rtol", a[2], 1e-05, rtol) < 0 ||
        ctpy_opt_double(f, "atol", a[3], 1e-08, atol) < 0 || ctpy_opt_bool(a[4], false, en) < 0)
        return -1;
    return 0;
}

CTPY_IMPL(isclose) {
    static const char *const names[] = {"input", "other", "rtol", "atol", "equal_nan", NULL};
    PyObject *a[5];
    CTPY_PARSE("isclose", names, a, NULL);
    ct_tensor *o;
    double rtol, atol;
    bool en;
    if (close_args("isclose", a, &o, &rtol, &atol, &en) < 0) return NULL;
    CTPY_RETURN(ct_isclose(x, o, rtol, atol, en));
}

static PyObject *truth(int rc) {
    if (rc < 0) return ctpy_raise();
    return PyBool_FromLong(rc);
}

CTPY_IMPL(allclose) {
    static const char *const names[] = {"input", "other", "rtol", "atol", "equal_nan", NULL};
    PyObject *a[5];
    CTPY_PARSE("allclose", names, a, NULL);
    ct_tensor *o;
    double rtol, atol;
    bool en;
    if (close_args("allclose", a, &o, &rtol, &atol, &en) < 0) return NULL;
    return truth(ct_allclose(x, o, rtol, atol, en));
}

CTPY_IMPL(equal) {
    static const char *const names[] = {"input", "other", NULL};
    PyObject *a[2];
    CTPY_PARSE("equal", names, a, NULL);
    ct_tensor *o;
    if (ctpy_tensor_arg("equal", "other", a[1], &o) < 0) return NULL;
    return truth(ct_equal(x, o));
}

#define W(nm) CTPY_WRAPPERS(nm)
W(isclose) W(allclose) W(equal)

#define M(nm) CTPY_METHOD(#nm, nm)
PyMethodDef ctpy_compare_methods[] = {M(isclose), M(allclose), M(equal), {NULL}};
#define F(nm) CTPY_FUNCTION(#nm, nm)
PyMethodDef ctpy_compare_functions[] = {F(isclose), F(allclose), F(equal), {NULL}};
