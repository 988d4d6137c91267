/* Bindings of the factory family's ranges and random sampling
 * (include/ctorch/factory.h, include/ctorch/random.h), torch.Generator,
 * and printing (include/ctorch/print.h). */
#include "bind.h"

/* ------------------------------------------------------------------ Generator */
typedef struct {
    PyObject_HEAD
    ct_generator *g;
    bool owned;
} GeneratorObject;
static PyTypeObject GeneratorType;

static PyObject *gen_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwl[] = {"device", NULL};
    PyObject *dev = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwl, &dev) || ctpy_check_device(dev) < 0) return NULL;
    GeneratorObject *o = (GeneratorObject *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    o->g = ct_generator_new(67280421310721ULL); /* PyTorch's default_rng_seed_val */
    o->owned = true;
    if (!o->g) {
        Py_DECREF(o);
        return ctpy_raise();
    }
    return (PyObject *)o;
}
static void gen_dealloc(GeneratorObject *o) {
    if (o->owned && o->g) ct_generator_free(o->g);
    Py_TYPE(o)->tp_free((PyObject *)o);
}
static PyObject *gen_manual_seed(GeneratorObject *o, PyObject *seed) {
    unsigned long long s = PyLong_AsUnsignedLongLongMask(seed);
    if (PyErr_Occurred()) return NULL;
    ct_generator_manual_seed(o->g, s);
    return Py_NewRef((PyObject *)o);
}
static PyObject *gen_seed(GeneratorObject *o, PyObject *u) {
    return PyLong_FromUnsignedLongLong(ct_generator_seed(o->g));
}
static PyObject *gen_initial_seed(GeneratorObject *o, PyObject *u) {
    return PyLong_FromUnsignedLongLong(ct_generator_initial_seed(o->g));
}
static PyObject *gen_get_state(GeneratorObject *o, PyObject *u) {
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_generator_get_state(o->g));
}
static PyObject *gen_set_state(GeneratorObject *o, PyObject *st) {
    ct_tensor *t;
    if (ctpy_tensor_arg("set_state", "new_state", st, &t) < 0) return NULL;
    if (ct_generator_set_state(o->g, t) < 0) return ctpy_raise();
    return Py_NewRef((PyObject *)o);
}
static PyObject *gen_device(GeneratorObject *o, void *c) {
    extern PyObject *ctpy_cpu_device(void);
    return ctpy_cpu_device();
}
static PyMethodDef gen_methods[] = {
    {"manual_seed", (PyCFunction)gen_manual_seed, METH_O, NULL},
    {"seed", (PyCFunction)gen_seed, METH_NOARGS, NULL},
    {"initial_seed", (PyCFunction)gen_initial_seed, METH_NOARGS, NULL},
    {"get_state", (PyCFunction)gen_get_state, METH_NOARGS, NULL},
    {"set_state", (PyCFunction)gen_set_state, METH_O, NULL},
    {NULL}};
static PyGetSetDef gen_getset[] = {{"device", (getter)gen_device, NULL, NULL, NULL}, {NULL}};
static PyTypeObject GeneratorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.Generator",
    .tp_basicsize = sizeof(GeneratorObject),
    .tp_dealloc = (destructor)gen_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = gen_methods,
    .tp_getset = gen_getset,
    .tp_new = gen_new,
};
static PyObject *default_gen;

static int gen_arg(PyObject *o, ct_generator **g) {
    *g = NULL;
    if (CTPY_NOARG(o)) return 0;
    if (!PyObject_TypeCheck(o, &GeneratorType)) {
        PyErr_Format(PyExc_TypeError, "generator must be a torch.Generator, not %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    *g = ((GeneratorObject *)o)->g;
    return 0;
}

/* ------------------------------------------------------------------ common keywords */
/* kw: dtype, device, requires_grad, layout, pin_memory, out (slots in that order) */
static PyObject *finish_factory(ct_scope sc, ct_tensor *r, PyObject *const *kw, bool rg) {
    if (r && rg) {
        if (!ct_dtype_is_floating(r->dtype)) {
            ct_scope_end(sc);
            PyErr_SetString(PyExc_RuntimeError, "Only Tensors of floating point and complex dtype can require gradients");
            return NULL;
        }
        r->requires_grad = true;
    }
    return ctpy_finish_out(sc, r, kw[5]);
}
static int common_kw(PyObject *const *kw, ct_dtype *dt, bool *rg) {
    bool given;
    *dt = CT_DTYPE_DEFAULT;
    if (ctpy_opt_dtype(kw[0], dt, &given) < 0 || ctpy_check_device(kw[1]) < 0 || ctpy_opt_bool(kw[2], false, rg) < 0)
        return -1;
    if (!given) *dt = CT_DTYPE_DEFAULT;
    return 0;
}
#define KW "dtype", "device", "requires_grad", "layout", "pin_memory", "out"

/* arange(end) / arange(start, end, step=1) */
static PyObject *f_arange(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"start", "end", "step", "*", KW, NULL};
    PyObject *a[9];
    if (ctpy_parse("arange", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    PyObject *so = a[0], *eo = a[1], *sto = a[2];
    if (CTPY_NOARG(eo)) { /* arange(end) */
        eo = so;
        so = NULL;
    }
    if (CTPY_NOARG(eo)) {
        PyErr_SetString(PyExc_TypeError, "arange() missing required argument 'end'");
        return NULL;
    }
    ct_dtype dt;
    bool rg;
    if (common_kw(a + 3, &dt, &rg) < 0) return NULL;
    bool ints = (!so || PyIndex_Check(so)) && PyIndex_Check(eo) && (CTPY_NOARG(sto) || PyIndex_Check(sto));
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (ints && !(so && PyBool_Check(so))) {
        int64_t s = 0, e, st = 1;
        if ((so && ctpy_int("arange", "start", so, &s) < 0) || ctpy_int("arange", "end", eo, &e) < 0 ||
            (!CTPY_NOARG(sto) && ctpy_int("arange", "step", sto, &st) < 0)) {
            ct_scope_end(sc);
            return NULL;
        }
        r = ct_arange_int(s, e, st, dt);
    } else {
        double s = 0, e, st = 1;
        if ((so && ctpy_double("arange", "start", so, &s) < 0) || ctpy_double("arange", "end", eo, &e) < 0 ||
            (!CTPY_NOARG(sto) && ctpy_double("arange", "step", sto, &st) < 0)) {
            ct_scope_end(sc);
            return NULL;
        }
        r = ct_arange(s, e, st, dt);
    }
    return finish_factory(sc, r, a + 3, rg);
}

static PyObject *f_linspace(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"start", "end", "steps", "*", KW, NULL};
    PyObject *a[9];
    double s, e;
    int64_t steps;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("linspace", names, NULL, args, n, kwn, a, NULL) < 0 ||
        !a[0] || !a[1] || ctpy_double("linspace", "start", a[0], &s) < 0 || ctpy_double("linspace", "end", a[1], &e) < 0 ||
        ctpy_req_int("linspace", "steps", a[2], &steps) < 0 || common_kw(a + 3, &dt, &rg) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "linspace(start, end, steps)");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_linspace(s, e, steps, dt), a + 3, rg);
}
static PyObject *f_logspace(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"start", "end", "steps", "base", "*", KW, NULL};
    PyObject *a[10];
    double s, e, base;
    int64_t steps;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("logspace", names, NULL, args, n, kwn, a, NULL) < 0 ||
        !a[0] || !a[1] || ctpy_double("logspace", "start", a[0], &s) < 0 || ctpy_double("logspace", "end", a[1], &e) < 0 ||
        ctpy_req_int("logspace", "steps", a[2], &steps) < 0 || ctpy_opt_double("logspace", "base", a[3], 10.0, &base) < 0 ||
        common_kw(a + 4, &dt, &rg) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "logspace(start, end, steps, base=10.0)");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_logspace(s, e, steps, base, dt), a + 4, rg);
}
static PyObject *f_eye(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"n", "m", "*", KW, NULL};
    PyObject *a[8];
    int64_t rows, cols;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("eye", names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_req_int("eye", "n", a[0], &rows) < 0 ||
        ctpy_opt_int("eye", "m", a[1], rows, &cols) < 0 || common_kw(a + 2, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_eye(rows, cols, dt), a + 2, rg);
}

/* rand(*size, generator=None, ...) / randn */
static PyObject *rand_common(bool normal, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"+size", "*", "generator", KW, NULL};
    PyObject *a[8];
    ctpy_va va;
    const char *f = normal ? "randn" : "rand";
    int64_t s[CT_MAX_DIMS];
    int nd;
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse(f, names, NULL, args, n, kwn, a, &va) < 0 || ctpy_shape(f, a[0], &va, s, &nd) < 0 ||
        gen_arg(a[1], &g) < 0 || common_kw(a + 2, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, normal ? ct_randn(s, nd, dt, g) : ct_rand(s, nd, dt, g), a + 2, rg);
}
static PyObject *f_rand(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return rand_common(false, a, n, k); }
static PyObject *f_randn(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return rand_common(true, a, n, k); }

/* randint(high, size) / randint(low, high, size) */
static PyObject *f_randint(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"low", "high", "size", "*", "generator", KW, NULL};
    PyObject *a[10];
    if (ctpy_parse("randint", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    PyObject *lo = a[0], *hi = a[1], *sz = a[2];
    if (!sz) { /* randint(high, size) */
        sz = hi;
        hi = lo;
        lo = NULL;
    }
    int64_t l = 0, h, s[CT_MAX_DIMS];
    int nd;
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (!hi || !sz) {
        PyErr_SetString(PyExc_TypeError, "randint() missing required arguments 'high' and 'size'");
        return NULL;
    }
    if ((lo && ctpy_int("randint", "low", lo, &l) < 0) || ctpy_int("randint", "high", hi, &h) < 0 ||
        ctpy_intlist("randint", sz, NULL, s, &nd) < 0 || gen_arg(a[3], &g) < 0 || common_kw(a + 4, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_randint(l, h, s, nd, dt, g), a + 4, rg);
}
static PyObject *f_randperm(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"n", "*", "generator", KW, NULL};
    PyObject *a[8];
    int64_t k;
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("randperm", names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_req_int("randperm", "n", a[0], &k) < 0 ||
        gen_arg(a[1], &g) < 0 || common_kw(a + 2, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_randperm(k, dt, g), a + 2, rg);
}
static PyObject *like_common(int which, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "*", "generator", KW, "memory_format", NULL};
    PyObject *a[9];
    const char *f = which == 0 ? "rand_like" : "randn_like";
    ct_tensor *x;
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse(f, names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_tensor_arg(f, "input", a[0], &x) < 0 ||
        gen_arg(a[1], &g) < 0 || common_kw(a + 2, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, which == 0 ? ct_rand_like(x, dt, g) : ct_randn_like(x, dt, g), a + 2, rg);
}
static PyObject *f_rand_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_common(0, a, n, k); }
static PyObject *f_randn_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_common(1, a, n, k); }
static PyObject *f_randint_like(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "low", "high", "*", "generator", KW, "memory_format", NULL};
    PyObject *a[11];
    ct_tensor *x;
    int64_t l = 0, h;
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("randint_like", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_tensor_arg("randint_like", "input", a[0], &x) < 0)
        return NULL;
    PyObject *lo = a[1], *hi = a[2];
    if (!hi) {
        hi = lo;
        lo = NULL;
    }
    if ((lo && ctpy_int("randint_like", "low", lo, &l) < 0) || ctpy_req_int("randint_like", "high", hi, &h) < 0 ||
        gen_arg(a[3], &g) < 0 || common_kw(a + 4, &dt, &rg) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_randint_like(x, l, h, dt, g), a + 4, rg);
}

CTPY_IMPL(bernoulli) {
    static const char *const names[] = {"input", "p", "*", "generator", "out", NULL};
    PyObject *a[4];
    CTPY_PARSE("bernoulli", names, a, NULL);
    ct_generator *g;
    if (gen_arg(a[2], &g) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    if (CTPY_NOARG(a[1])) return ctpy_finish_out(sc, ct_bernoulli(x, g), a[3]);
    double p;
    if (ctpy_double("bernoulli", "p", a[1], &p) < 0) {
        ct_scope_end(sc);
        return NULL;
    }
    return ctpy_finish_out(sc, ct_bernoulli_p(x, p, g), a[3]);
}
CTPY_IMPL(bernoulli_) {
    static const char *const names[] = {"input", "p", "*", "generator", NULL};
    PyObject *a[3];
    CTPY_PARSE("bernoulli_", names, a, NULL);
    ct_generator *g;
    if (gen_arg(a[2], &g) < 0) return NULL;
    if (a[1] && ctpy_Tensor_Check(a[1])) CTPY_RETURN(ct_bernoulli_tensor_(x, CTPY_T(a[1]), g));
    double p;
    if (ctpy_opt_double("bernoulli_", "p", a[1], 0.5, &p) < 0) return NULL;
    CTPY_RETURN(ct_bernoulli_(x, p, g));
}
#define FILL2(name, n1, d1, n2, d2)                                                        \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", n1, n2, "*", "generator", NULL};      \
        PyObject *a[4];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_generator *g;                                                                   \
        double v1, v2;                                                                     \
        if (ctpy_opt_double(#name, n1, a[1], d1, &v1) < 0 ||                               \
            ctpy_opt_double(#name, n2, a[2], d2, &v2) < 0 || gen_arg(a[3], &g) < 0)        \
            return NULL;                                                                   \
        CTPY_RETURN(ct_##name(x, v1, v2, g));                                              \
    }
FILL2(uniform_, "from", 0.0, "to", 1.0)
FILL2(normal_, "mean", 0.0, "std", 1.0)
FILL2(log_normal_, "mean", 1.0, "std", 2.0)
FILL2(cauchy_, "median", 0.0, "sigma", 1.0)
#define FILL1(name, n1, d1)                                                                \
    CTPY_IMPL(name) {                                                                      \
        static const char *const names[] = {"input", n1, "*", "generator", NULL};          \
        PyObject *a[3];                                                                    \
        CTPY_PARSE(#name, names, a, NULL);                                                 \
        ct_generator *g;                                                                   \
        double v1;                                                                         \
        if (ctpy_opt_double(#name, n1, a[1], d1, &v1) < 0 || gen_arg(a[2], &g) < 0)        \
            return NULL;                                                                   \
        CTPY_RETURN(ct_##name(x, v1, g));                                                  \
    }
FILL1(exponential_, "lambd", 1.0)
CTPY_IMPL(geometric_) {
    static const char *const names[] = {"input", "p", "*", "generator", NULL};
    PyObject *a[3];
    CTPY_PARSE("geometric_", names, a, NULL);
    ct_generator *g;
    double p;
    if (!a[1] || ctpy_double("geometric_", "p", a[1], &p) < 0 || gen_arg(a[2], &g) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "geometric_() missing required argument 'p'");
        return NULL;
    }
    CTPY_RETURN(ct_geometric_(x, p, g));
}
/* random_() / random_(to) / random_(from, to) */
CTPY_IMPL(random_) {
    static const char *const names[] = {"input", "from", "to", "*", "generator", NULL};
    PyObject *a[4];
    CTPY_PARSE("random_", names, a, NULL);
    ct_generator *g;
    if (gen_arg(a[3], &g) < 0) return NULL;
    if (CTPY_NOARG(a[1]) && CTPY_NOARG(a[2])) CTPY_RETURN(ct_random_full_(x, g));
    int64_t lo = 0, hi;
    if (CTPY_NOARG(a[2])) {
        if (ctpy_int("random_", "to", a[1], &hi) < 0) return NULL;
    } else if (ctpy_int("random_", "from", a[1], &lo) < 0 || ctpy_int("random_", "to", a[2], &hi) < 0)
        return NULL;
    CTPY_RETURN(ct_random_(x, lo, hi, g));
}
CTPY_IMPL(multinomial) {
    static const char *const names[] = {"input", "num_samples", "replacement", "*", "generator", "out", NULL};
    PyObject *a[5];
    CTPY_PARSE("multinomial", names, a, NULL);
    int64_t k;
    bool repl;
    ct_generator *g;
    if (ctpy_req_int("multinomial", "num_samples", a[1], &k) < 0 || ctpy_opt_bool(a[2], false, &repl) < 0 ||
        gen_arg(a[3], &g) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    return ctpy_finish_out(sc, ct_multinomial(x, k, repl, g), a[4]);
}

static PyObject *f_empty_strided(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"size", "stride", "*", KW, NULL};
    PyObject *a[8];
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS];
    int ns, nst;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("empty_strided", names, NULL, args, n, kwn, a, NULL) < 0 ||
        ctpy_intlist("empty_strided", a[0], NULL, s, &ns) < 0 || ctpy_intlist("empty_strided", a[1], NULL, st, &nst) < 0 ||
        common_kw(a + 2, &dt, &rg) < 0)
        return NULL;
    if (ns != nst) {
        PyErr_SetString(PyExc_RuntimeError, "mismatch in length of strides and shape");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    return finish_factory(sc, ct_empty_strided(s, st, ns, dt == CT_DTYPE_DEFAULT ? ct_default_dtype() : dt), a + 2, rg);
}
#define TRI_INDICES(name)                                                                          \
    static PyObject *f_##name(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {   \
        static const char *const names[] = {"row", "col", "offset", "*", KW, NULL};               \
        PyObject *a[9];                                                                            \
        int64_t r, c, o;                                                                           \
        ct_dtype dt;                                                                               \
        bool rg;                                                                                   \
        if (ctpy_parse(#name, names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_req_int(#name, "row", a[0], &r) < 0 || \
            ctpy_req_int(#name, "col", a[1], &c) < 0 || ctpy_opt_int(#name, "offset", a[2], 0, &o) < 0 ||   \
            common_kw(a + 3, &dt, &rg) < 0)                                                        \
            return NULL;                                                                           \
        ct_scope sc = ct_scope_begin();                                                            \
        return finish_factory(sc, ct_##name(r, c, o, dt), a + 3, rg);                              \
    }
TRI_INDICES(tril_indices)
TRI_INDICES(triu_indices)

/* normal(mean, std, size=None, *, generator=None, ...): tensor/number means and stds */
static PyObject *f_normal(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"mean", "std", "size", "*", "generator", KW, NULL};
    PyObject *a[10];
    ct_generator *g;
    ct_dtype dt;
    bool rg;
    if (ctpy_parse("normal", names, NULL, args, n, kwn, a, NULL) < 0 || gen_arg(a[3], &g) < 0 ||
        common_kw(a + 4, &dt, &rg) < 0)
        return NULL;
    bool tm = a[0] && ctpy_Tensor_Check(a[0]), ts = a[1] && ctpy_Tensor_Check(a[1]);
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    double mean = 0, std = 1;
    if (!tm && !CTPY_NOARG(a[0]) && ctpy_double("normal", "mean", a[0], &mean) < 0) goto fail;
    if (!ts && !CTPY_NOARG(a[1]) && ctpy_double("normal", "std", a[1], &std) < 0) goto fail;
    if (tm && ts) r = ct_normal(CTPY_T(a[0]), CTPY_T(a[1]), g);
    else if (tm) r = ct_normal_std_scalar(CTPY_T(a[0]), std, g);
    else if (ts) r = ct_normal_mean_scalar(mean, CTPY_T(a[1]), g);
    else {
        int64_t s[CT_MAX_DIMS];
        int nd;
        if (!a[2]) {
            ct_scope_end(sc);
            PyErr_SetString(PyExc_TypeError, "normal() with number mean and std needs a size");
            return NULL;
        }
        if (ctpy_intlist("normal", a[2], NULL, s, &nd) < 0) goto fail;
        r = ct_normal_sized(mean, std, s, nd, dt, g);
    }
    return finish_factory(sc, r, a + 4, rg);
fail:
    ct_scope_end(sc);
    return NULL;
}
static PyObject *f_poisson(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "generator", NULL};
    PyObject *a[2];
    ct_tensor *x;
    ct_generator *g;
    if (ctpy_parse("poisson", names, NULL, args, n, kwn, a, NULL) < 0 || ctpy_tensor_arg("poisson", "input", a[0], &x) < 0 ||
        gen_arg(a[1], &g) < 0)
        return NULL;
    CTPY_RETURN(ct_poisson(x, g));
}

static PyObject *f_manual_seed(PyObject *m, PyObject *seed) {
    unsigned long long s = PyLong_AsUnsignedLongLongMask(seed);
    if (PyErr_Occurred()) return NULL;
    ct_manual_seed(s);
    return Py_NewRef(default_gen);
}
static PyObject *f_seed(PyObject *m, PyObject *u) { return PyLong_FromUnsignedLongLong(ct_seed()); }
static PyObject *f_initial_seed(PyObject *m, PyObject *u) { return PyLong_FromUnsignedLongLong(ct_initial_seed()); }
static PyObject *f_get_rng_state(PyObject *m, PyObject *u) {
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_get_rng_state());
}
static PyObject *f_set_rng_state(PyObject *m, PyObject *st) {
    ct_tensor *t;
    if (ctpy_tensor_arg("set_rng_state", "new_state", st, &t) < 0) return NULL;
    if (ct_set_rng_state(t) < 0) return ctpy_raise();
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ printing */
static PyObject *f_set_printoptions(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"precision", "threshold", "edgeitems", "linewidth", "profile",
                                        "sci_mode", NULL};
    PyObject *a[6];
    if (ctpy_parse("set_printoptions", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_print_options o = ct_get_printoptions();
    if (a[4] && !CTPY_NOARG(a[4])) {
        const char *p = PyUnicode_AsUTF8(a[4]);
        if (!p) return NULL;
        if (strcmp(p, "default") == 0) o = (ct_print_options){4, 1000, 3, 80, o.sci_mode, NULL};
        else if (strcmp(p, "short") == 0) o = (ct_print_options){2, 1000, 2, 80, o.sci_mode, NULL};
        else if (strcmp(p, "full") == 0) o = (ct_print_options){4, INFINITY, 3, 80, o.sci_mode, NULL};
    }
    int64_t v;
    double d;
    if (!CTPY_NOARG(a[0])) { if (ctpy_int("set_printoptions", "precision", a[0], &v) < 0) return NULL; o.precision = (int)v; }
    if (!CTPY_NOARG(a[1])) { if (ctpy_double("set_printoptions", "threshold", a[1], &d) < 0) return NULL; o.threshold = d; }
    if (!CTPY_NOARG(a[2])) { if (ctpy_int("set_printoptions", "edgeitems", a[2], &v) < 0) return NULL; o.edgeitems = (int)v; }
    if (!CTPY_NOARG(a[3])) { if (ctpy_int("set_printoptions", "linewidth", a[3], &v) < 0) return NULL; o.linewidth = (int)v; }
    if (a[5]) {
        if (a[5] == Py_None) o.sci_mode = -1;
        else {
            bool b;
            if (ctpy_bool(a[5], &b) < 0) return NULL;
            o.sci_mode = b;
        }
    }
    ct_set_printoptions(&o);
    Py_RETURN_NONE;
}

CTPY_WRAPPERS(bernoulli)
CTPY_WRAPPERS(bernoulli_)
CTPY_WRAPPERS(uniform_)
CTPY_WRAPPERS(normal_)
CTPY_WRAPPERS(log_normal_)
CTPY_WRAPPERS(cauchy_)
CTPY_WRAPPERS(exponential_)
CTPY_WRAPPERS(geometric_)
CTPY_WRAPPERS(random_)
CTPY_WRAPPERS(multinomial)

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_random_methods[] = {
    CTPY_METHOD("bernoulli", bernoulli), CTPY_METHOD("bernoulli_", bernoulli_), CTPY_METHOD("uniform_", uniform_),
    CTPY_METHOD("normal_", normal_), CTPY_METHOD("log_normal_", log_normal_), CTPY_METHOD("cauchy_", cauchy_),
    CTPY_METHOD("exponential_", exponential_), CTPY_METHOD("geometric_", geometric_),
    CTPY_METHOD("random_", random_), CTPY_METHOD("multinomial", multinomial), {NULL}};
PyMethodDef ctpy_random_functions[] = {
    FAST("arange", f_arange), FAST("linspace", f_linspace), FAST("logspace", f_logspace), FAST("eye", f_eye),
    FAST("rand", f_rand), FAST("randn", f_randn), FAST("randint", f_randint), FAST("randperm", f_randperm),
    FAST("rand_like", f_rand_like), FAST("randn_like", f_randn_like), FAST("randint_like", f_randint_like),
    CTPY_FUNCTION("bernoulli", bernoulli), CTPY_FUNCTION("multinomial", multinomial),
    FAST("empty_strided", f_empty_strided), FAST("tril_indices", f_tril_indices),
    FAST("triu_indices", f_triu_indices), FAST("normal", f_normal), FAST("poisson", f_poisson),
    {"manual_seed", f_manual_seed, METH_O, NULL}, {"seed", f_seed, METH_NOARGS, NULL},
    {"initial_seed", f_initial_seed, METH_NOARGS, NULL}, {"get_rng_state", f_get_rng_state, METH_NOARGS, NULL},
    {"set_rng_state", f_set_rng_state, METH_O, NULL}, FAST("set_printoptions", f_set_printoptions),
    {NULL}};

int ctpy_random_init(PyObject *m) {
    if (PyType_Ready(&GeneratorType) < 0) return -1;
    Py_INCREF(&GeneratorType);
    PyModule_AddObject(m, "Generator", (PyObject *)&GeneratorType);
    GeneratorObject *d = PyObject_New(GeneratorObject, &GeneratorType);
    if (!d) return -1;
    d->g = ct_default_generator();
    d->owned = false;
    default_gen = (PyObject *)d;
    Py_INCREF(default_gen);
    PyModule_AddObject(m, "default_generator", default_gen);
    return 0;
}
