/* Bindings of the reduce family (include/ctorch/reduce.h). */
#include "bind.h"

/* dim: None (every dim), an int, or a sequence of ints. */
static int dims_arg(const char *f, PyObject *o, int *dims, int *n) {
    *n = 0;
    if (CTPY_NOARG(o)) return 0;
    int64_t d[CT_MAX_DIMS];
    if (ctpy_intlist(f, o, NULL, d, n) < 0) return -1;
    for (int i = 0; i < *n; i++) dims[i] = (int)d[i];
    return 0;
}
static int dtype_arg(PyObject *o, int *dt) {
    ct_dtype d;
    bool given;
    if (ctpy_opt_dtype(o, &d, &given) < 0) return -1;
    *dt = given ? (int)d : -1;
    return 0;
}

#define SUMLIKE(name)                                                                            \
    CTPY_IMPL(name) {                                                                            \
        static const char *const names[] = {"input", "dim", "keepdim", "*", "dtype", "out", NULL}; \
        PyObject *a[5];                                                                          \
        CTPY_PARSE(#name, names, a, NULL);                                                       \
        int dims[CT_MAX_DIMS], nd, dt;                                                           \
        bool keep;                                                                               \
        if (dims_arg(#name, a[1], dims, &nd) < 0 || ctpy_opt_bool(a[2], false, &keep) < 0 ||     \
            dtype_arg(a[3], &dt) < 0)                                                            \
            return NULL;                                                                         \
        bool big = x->numel > CTPY_NOGIL_NUMEL;                                                  \
        ct_scope sc = ct_scope_begin();                                                          \
        ct_tensor *r;                                                                            \
        if (big) {                                                                               \
            Py_BEGIN_ALLOW_THREADS r = ct_##name##_dims(x, dims, nd, keep, dt);                  \
            Py_END_ALLOW_THREADS                                                                 \
        } else                                                                                   \
            r = ct_##name##_dims(x, dims, nd, keep, dt);                                         \
        return ctpy_finish_out(sc, r, a[4]);                                                     \
    }
SUMLIKE(sum)
SUMLIKE(mean)

CTPY_IMPL(prod) {
    static const char *const names[] = {"input", "dim", "keepdim", "*", "dtype", "out", NULL};
    PyObject *a[5];
    CTPY_PARSE("prod", names, a, NULL);
    int dt;
    bool keep;
    if (ctpy_opt_bool(a[2], false, &keep) < 0 || dtype_arg(a[3], &dt) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    if (CTPY_NOARG(a[1])) {
        ct_tensor *src = x;
        if (dt >= 0 && !(src = ct_to_dtype(x, (ct_dtype)dt, false))) return ctpy_finish(sc, NULL);
        return ctpy_finish_out(sc, ct_prod(src), a[4]);
    }
    int64_t d;
    if (ctpy_int("prod", "dim", a[1], &d) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    return ctpy_finish_out(sc, ct_prod_dim(x, (int)d, keep, dt), a[4]);
}

static const char *const vi_fields[] = {"values", "indices"};
static PyObject *extreme(bool is_max, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "dim", "keepdim", "*", "out", NULL};
    const char *fname = is_max ? "max" : "min";
    PyObject *a[4];
    CTPY_PARSE(fname, names, a, NULL);
    if (a[1] && ctpy_Tensor_Check(a[1])) /* max(a, b): elementwise */
        return ctpy_binary(is_max ? "maximum" : "minimum", a[0], a[1], 0);
    ct_scope sc = ct_scope_begin();
    if (CTPY_NOARG(a[1])) return ctpy_finish(sc, is_max ? ct_max(x) : ct_min(x));
    int64_t d;
    bool keep;
    if (ctpy_int(fname, "dim", a[1], &d) < 0 || ctpy_opt_bool(a[2], false, &keep) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    ct_tensor *r[2];
    r[0] = is_max ? ct_max_dim(x, (int)d, keep, &r[1]) : ct_min_dim(x, (int)d, keep, &r[1]);
    return ctpy_finish_named(sc, fname, vi_fields, r, r[0] ? 2 : -1);
}
CTPY_IMPL(max) { return extreme(true, self, args, n, kwn); }
CTPY_IMPL(min) { return extreme(false, self, args, n, kwn); }

#define AMAXLIKE(name)                                                                 \
    CTPY_IMPL(name) {                                                                  \
        static const char *const names[] = {"input", "dim", "keepdim", "*", "out", NULL}; \
        PyObject *a[4];                                                                \
        CTPY_PARSE(#name, names, a, NULL);                                             \
        int dims[CT_MAX_DIMS], nd;                                                     \
        bool keep;                                                                     \
        if (dims_arg(#name, a[1], dims, &nd) < 0 || ctpy_opt_bool(a[2], false, &keep) < 0) \
            return NULL;                                                               \
        ct_scope sc = ct_scope_begin();                                                \
        return ctpy_finish_out(sc, ct_##name(x, dims, nd, keep), a[3]);                \
    }
AMAXLIKE(amax)
AMAXLIKE(amin)
AMAXLIKE(logsumexp)
AMAXLIKE(all_dims)
AMAXLIKE(any_dims)

#define ARGLIKE(name)                                                                  \
    CTPY_IMPL(name) {                                                                  \
        static const char *const names[] = {"input", "dim", "keepdim", NULL};          \
        PyObject *a[3];                                                                \
        CTPY_PARSE(#name, names, a, NULL);                                             \
        int64_t d;                                                                     \
        int di;                                                                        \
        bool keep;                                                                     \
        if (ctpy_opt_bool(a[2], false, &keep) < 0) return NULL;                        \
        if (!CTPY_NOARG(a[1])) {                                                       \
            if (ctpy_int(#name, "dim", a[1], &d) < 0) return NULL;                     \
            di = (int)d;                                                               \
        }                                                                              \
        CTPY_RETURN(ct_##name(x, CTPY_NOARG(a[1]) ? NULL : &di, keep));                \
    }
ARGLIKE(argmax)
ARGLIKE(argmin)

CTPY_IMPL(aminmax) {
    static const char *const names[] = {"input", "*", "dim", "keepdim", NULL};
    static const char *const fields[] = {"min", "max"};
    PyObject *a[3];
    CTPY_PARSE("aminmax", names, a, NULL);
    int64_t d;
    int di;
    bool keep;
    if (ctpy_opt_bool(a[2], false, &keep) < 0) return NULL;
    if (!CTPY_NOARG(a[1])) {
        if (ctpy_int("aminmax", "dim", a[1], &d) < 0) return NULL;
        di = (int)d;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[2];
    r[0] = ct_aminmax(x, CTPY_NOARG(a[1]) ? NULL : &di, keep, &r[1]);
    return ctpy_finish_named(sc, "aminmax", fields, r, r[0] ? 2 : -1);
}

/* var/std(input, dim=None, unbiased=True, keepdim=False, *, correction=None) */
static int var_args(const char *f, PyObject *const *a, int *dims, int *nd, double *corr, bool *keep) {
    PyObject *dimo = a[1], *unb = a[2];
    if (dimo && PyBool_Check(dimo)) { /* var(x, False): the unbiased flag */
        unb = dimo;
        dimo = NULL;
    }
    if (dims_arg(f, dimo, dims, nd) < 0 || ctpy_opt_bool(a[3], false, keep) < 0) return -1;
    *corr = 1.0;
    if (!CTPY_NOARG(unb)) {
        bool u;
        if (ctpy_bool(unb, &u) < 0) return -1;
        *corr = u ? 1.0 : 0.0;
    }
    if (!CTPY_NOARG(a[4]) && ctpy_double(f, "correction", a[4], corr) < 0) return -1;
    return 0;
}
#define VARLIKE(name)                                                                                \
    CTPY_IMPL(name) {                                                                                \
        static const char *const names[] = {"input", "dim", "unbiased", "keepdim", "*", "correction", \
                                            "out", NULL};                                            \
        PyObject *a[6];                                                                              \
        CTPY_PARSE(#name, names, a, NULL);                                                           \
        int dims[CT_MAX_DIMS], nd;                                                                   \
        double corr;                                                                                 \
        bool keep;                                                                                   \
        if (var_args(#name, a, dims, &nd, &corr, &keep) < 0) return NULL;                            \
        ct_scope sc = ct_scope_begin();                                                              \
        return ctpy_finish_out(sc, ct_##name(x, dims, nd, corr, keep), a[5]);                        \
    }
VARLIKE(var)
VARLIKE(std)
#define VARMEAN(name)                                                                                \
    CTPY_IMPL(name) {                                                                                \
        static const char *const names[] = {"input", "dim", "unbiased", "keepdim", "*", "correction", \
                                            NULL};                                                   \
        PyObject *a[5];                                                                              \
        CTPY_PARSE(#name, names, a, NULL);                                                           \
        int dims[CT_MAX_DIMS], nd;                                                                   \
        double corr;                                                                                 \
        bool keep;                                                                                   \
        if (var_args(#name, a, dims, &nd, &corr, &keep) < 0) return NULL;                            \
        ct_scope sc = ct_scope_begin();                                                              \
        ct_tensor *r[2];                                                                             \
        r[0] = ct_##name(x, dims, nd, corr, keep, &r[1]);                                            \
        return ctpy_finish_tuple(sc, r, r[0] ? 2 : -1);                                              \
    }
VARMEAN(var_mean)
VARMEAN(std_mean)

CTPY_IMPL(norm) {
    static const char *const names[] = {"input", "p", "dim", "keepdim", "out", "dtype", NULL};
    PyObject *a[6];
    CTPY_PARSE("norm", names, a, NULL);
    int dims[CT_MAX_DIMS], nd;
    bool keep, fro = CTPY_NOARG(a[1]);
    double p = 2;
    if (dims_arg("norm", a[2], dims, &nd) < 0 || ctpy_opt_bool(a[3], false, &keep) < 0) return NULL;
    if (!fro && PyUnicode_Check(a[1])) {
        if (PyUnicode_CompareWithASCIIString(a[1], "fro") != 0) {
            PyErr_Format(PyExc_NotImplementedError, "norm(p=%R) is not implemented", a[1]);
            return NULL;
        }
        fro = true;
    } else if (!fro && ctpy_double("norm", "p", a[1], &p) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *src = x;
    ct_dtype dt;
    bool given;
    if (ctpy_opt_dtype(a[5], &dt, &given) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    if (given && !(src = ct_to_dtype(x, dt, false))) return ctpy_finish(sc, NULL);
    return ctpy_finish_out(sc, fro ? ct_norm_fro(src, dims, nd, keep) : ct_norm(src, p, dims, nd, keep), a[4]);
}

static PyObject *logical(bool is_all, PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "dim", "keepdim", "*", "out", NULL};
    PyObject *a[4];
    const char *f = is_all ? "all" : "any";
    CTPY_PARSE(f, names, a, NULL);
    if (CTPY_NOARG(a[1])) {
        ct_scope sc = ct_scope_begin();
        return ctpy_finish_out(sc, is_all ? ct_all(x) : ct_any(x), a[3]);
    }
    return is_all ? all_dims_impl(self, args, n, kwn) : any_dims_impl(self, args, n, kwn);
}
CTPY_IMPL(all) { return logical(true, self, args, n, kwn); }
CTPY_IMPL(any) { return logical(false, self, args, n, kwn); }

CTPY_IMPL(count_nonzero) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    CTPY_PARSE("count_nonzero", names, a, NULL);
    int dims[CT_MAX_DIMS], nd;
    if (dims_arg("count_nonzero", a[1], dims, &nd) < 0) return NULL;
    CTPY_RETURN(ct_count_nonzero(x, dims, nd));
}

#define SCAN(name)                                                                      \
    CTPY_IMPL(name) {                                                                   \
        static const char *const names[] = {"input", "dim", "*", "dtype", "out", NULL}; \
        PyObject *a[4];                                                                 \
        CTPY_PARSE(#name, names, a, NULL);                                              \
        int64_t d;                                                                      \
        int dt;                                                                         \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0 || dtype_arg(a[2], &dt) < 0) return NULL; \
        ct_scope sc = ct_scope_begin();                                                 \
        return ctpy_finish_out(sc, ct_##name(x, (int)d, dt), a[3]);                     \
    }
SCAN(cumsum)
SCAN(cumprod)
#define CUMEXT(name)                                                                    \
    CTPY_IMPL(name) {                                                                   \
        static const char *const names[] = {"input", "dim", NULL};                      \
        PyObject *a[2];                                                                 \
        CTPY_PARSE(#name, names, a, NULL);                                              \
        int64_t d;                                                                      \
        if (ctpy_req_int(#name, "dim", a[1], &d) < 0) return NULL;                      \
        ct_scope sc = ct_scope_begin();                                                 \
        ct_tensor *r[2];                                                                \
        r[0] = ct_##name(x, (int)d, &r[1]);                                             \
        return ctpy_finish_named(sc, #name, vi_fields, r, r[0] ? 2 : -1);               \
    }
CUMEXT(cummax)
CUMEXT(cummin)

CTPY_WRAPPERS(sum)
CTPY_WRAPPERS(mean)
CTPY_WRAPPERS(prod)
CTPY_WRAPPERS(max)
CTPY_WRAPPERS(min)
CTPY_WRAPPERS(amax)
CTPY_WRAPPERS(amin)
CTPY_WRAPPERS(aminmax)
CTPY_WRAPPERS(argmax)
CTPY_WRAPPERS(argmin)
CTPY_WRAPPERS(var)
CTPY_WRAPPERS(std)
CTPY_WRAPPERS(var_mean)
CTPY_WRAPPERS(std_mean)
CTPY_WRAPPERS(norm)
CTPY_WRAPPERS(logsumexp)
CTPY_WRAPPERS(all)
CTPY_WRAPPERS(any)
CTPY_WRAPPERS(count_nonzero)
CTPY_WRAPPERS(cumsum)
CTPY_WRAPPERS(cumprod)
CTPY_WRAPPERS(cummax)
CTPY_WRAPPERS(cummin)

#define M(nm) CTPY_METHOD(#nm, nm)
PyMethodDef ctpy_reduce_methods[] = {M(sum), M(mean), M(prod), M(max), M(min), M(amax), M(amin), M(aminmax),
                                     M(argmax), M(argmin), M(var), M(std), M(norm), M(logsumexp), M(all),
                                     M(any), M(count_nonzero), M(cumsum), M(cumprod), M(cummax), M(cummin),
                                     {NULL}};
#define F(nm) CTPY_FUNCTION(#nm, nm)
PyMethodDef ctpy_reduce_functions[] = {F(sum), F(mean), F(prod), F(max), F(min), F(amax), F(amin),
                                       F(aminmax), F(argmax), F(argmin), F(var), F(std), F(var_mean),
                                       F(std_mean), F(norm), F(logsumexp), F(all), F(any), F(count_nonzero),
                                       F(cumsum), F(cumprod), F(cummax), F(cummin), {NULL}};
