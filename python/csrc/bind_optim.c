/* Bindings of the optim family (include/ctorch/optim.h) for ctorch.optim:
 * one function per fused update, positional arguments in the order of the
 * C options struct, and LBFGS as a capsule over the C optimizer. The Python
 * classes own the state tensors and pass them in. */
#include "bind.h"

#include <math.h>

/* Positional arguments of a fused update: tensors first, then numbers. */
static int nargs_is(const char *f, Py_ssize_t n, Py_ssize_t want) {
    if (n == want) return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes %zd positional arguments but %zd were given", f,
                 want, n);
    return -1;
}
static int tens(const char *f, PyObject *o, bool optional, ct_tensor **t) {
    *t = NULL;
    if (optional && o == Py_None) return 0;
    if (!ctpy_Tensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): expected a Tensor, got %s", f, Py_TYPE(o)->tp_name);
        return -1;
    }
    *t = CTPY_T(o);
    return 0;
}
static int dbl(PyObject *o, double *v) {
    *v = PyFloat_AsDouble(o);
    return (*v == -1.0 && PyErr_Occurred()) ? -1 : 0;
}
static int flag(PyObject *o, bool *v) {
    int r = PyObject_IsTrue(o);
    if (r < 0) return -1;
    *v = r;
    return 0;
}

/* Runs the update with a contiguous gradient (a copy when it is not), the
 * GIL released for large parameters. */
#define RUN_UPDATE(param, grad, CALL)                                                \
    do {                                                                             \
        ct_scope sc_ = ct_scope_begin();                                             \
        const ct_tensor *grad_c = ct_is_contiguous(grad) ? (grad) : ct_contiguous(grad); \
        int rc_ = -1;                                                                \
        if (grad_c) {                                                                \
            const ct_tensor *g = grad_c;                                             \
            if ((param)->numel > CTPY_NOGIL_NUMEL) {                                 \
                Py_BEGIN_ALLOW_THREADS rc_ = (CALL);                                 \
                Py_END_ALLOW_THREADS                                                 \
            } else {                                                                 \
                rc_ = (CALL);                                                        \
            }                                                                        \
        }                                                                            \
        ct_scope_end(sc_);                                                           \
        if (rc_ < 0) return ctpy_raise();                                            \
        Py_RETURN_NONE;                                                              \
    } while (0)

/* _sgd_update(param, grad, momentum_buffer|None, first, lr, momentum,
 *             dampening, weight_decay, nesterov, maximize) */
static PyObject *f_sgd(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_sgd_update";
    ct_tensor *p, *gr, *buf;
    bool first;
    ct_sgd_options o;
    if (nargs_is(f, n, 10) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], true, &buf) < 0 || flag(a[3], &first) < 0 || dbl(a[4], &o.lr) < 0 ||
        dbl(a[5], &o.momentum) < 0 || dbl(a[6], &o.dampening) < 0 ||
        dbl(a[7], &o.weight_decay) < 0 || flag(a[8], &o.nesterov) < 0 || flag(a[9], &o.maximize) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_sgd_update_(p, g, buf, first, &o));
}

/* _adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq|None, step,
 *              lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled) */
static PyObject *f_adam(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_adam_update";
    ct_tensor *p, *gr, *ea, *es, *mx;
    double step;
    bool dec;
    ct_adam_options o;
    if (nargs_is(f, n, 14) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &ea) < 0 || tens(f, a[3], false, &es) < 0 ||
        tens(f, a[4], true, &mx) < 0 || dbl(a[5], &step) < 0 || dbl(a[6], &o.lr) < 0 ||
        dbl(a[7], &o.beta1) < 0 || dbl(a[8], &o.beta2) < 0 || dbl(a[9], &o.eps) < 0 ||
        dbl(a[10], &o.weight_decay) < 0 || flag(a[11], &o.amsgrad) < 0 ||
        flag(a[12], &o.maximize) < 0 || flag(a[13], &dec) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_adam_update_(p, g, ea, es, mx, step, &o, dec));
}

/* _adagrad_update(param, grad, sum, step, lr, lr_decay, weight_decay, eps, maximize) */
static PyObject *f_adagrad(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_adagrad_update";
    ct_tensor *p, *gr, *s;
    double step;
    ct_adagrad_options o = {0};
    if (nargs_is(f, n, 9) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &s) < 0 || dbl(a[3], &step) < 0 || dbl(a[4], &o.lr) < 0 ||
        dbl(a[5], &o.lr_decay) < 0 || dbl(a[6], &o.weight_decay) < 0 || dbl(a[7], &o.eps) < 0 ||
        flag(a[8], &o.maximize) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_adagrad_update_(p, g, s, step, &o));
}

/* _rmsprop_update(param, grad, square_avg, grad_avg|None, momentum_buffer|None,
 *                 lr, alpha, eps, weight_decay, momentum, centered, maximize) */
static PyObject *f_rmsprop(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_rmsprop_update";
    ct_tensor *p, *gr, *sq, *ga, *buf;
    ct_rmsprop_options o;
    if (nargs_is(f, n, 12) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &sq) < 0 || tens(f, a[3], true, &ga) < 0 ||
        tens(f, a[4], true, &buf) < 0 || dbl(a[5], &o.lr) < 0 || dbl(a[6], &o.alpha) < 0 ||
        dbl(a[7], &o.eps) < 0 || dbl(a[8], &o.weight_decay) < 0 || dbl(a[9], &o.momentum) < 0 ||
        flag(a[10], &o.centered) < 0 || flag(a[11], &o.maximize) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_rmsprop_update_(p, g, sq, ga, buf, &o));
}

/* _adadelta_update(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize) */
static PyObject *f_adadelta(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_adadelta_update";
    ct_tensor *p, *gr, *sq, *acc;
    ct_adadelta_options o;
    if (nargs_is(f, n, 9) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &sq) < 0 || tens(f, a[3], false, &acc) < 0 || dbl(a[4], &o.lr) < 0 ||
        dbl(a[5], &o.rho) < 0 || dbl(a[6], &o.eps) < 0 || dbl(a[7], &o.weight_decay) < 0 ||
        flag(a[8], &o.maximize) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_adadelta_update_(p, g, sq, acc, &o));
}

/* _adamax_update(param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps,
 *                weight_decay, maximize) */
static PyObject *f_adamax(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_adamax_update";
    ct_tensor *p, *gr, *ea, *ei;
    double step;
    ct_adamax_options o;
    if (nargs_is(f, n, 11) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &ea) < 0 || tens(f, a[3], false, &ei) < 0 || dbl(a[4], &step) < 0 ||
        dbl(a[5], &o.lr) < 0 || dbl(a[6], &o.beta1) < 0 || dbl(a[7], &o.beta2) < 0 ||
        dbl(a[8], &o.eps) < 0 || dbl(a[9], &o.weight_decay) < 0 || flag(a[10], &o.maximize) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_adamax_update_(p, g, ea, ei, step, &o));
}

/* _nadam_update(param, grad, exp_avg, exp_avg_sq, mu_product, step, lr, beta1,
 *               beta2, eps, weight_decay, momentum_decay) */
static PyObject *f_nadam(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_nadam_update";
    ct_tensor *p, *gr, *ea, *es, *mu;
    double step;
    ct_nadam_options o;
    if (nargs_is(f, n, 12) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &ea) < 0 || tens(f, a[3], false, &es) < 0 ||
        tens(f, a[4], false, &mu) < 0 || dbl(a[5], &step) < 0 || dbl(a[6], &o.lr) < 0 ||
        dbl(a[7], &o.beta1) < 0 || dbl(a[8], &o.beta2) < 0 || dbl(a[9], &o.eps) < 0 ||
        dbl(a[10], &o.weight_decay) < 0 || dbl(a[11], &o.momentum_decay) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_nadam_update_(p, g, ea, es, mu, step, &o));
}

/* _radam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay) */
static PyObject *f_radam(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_radam_update";
    ct_tensor *p, *gr, *ea, *es;
    double step;
    ct_radam_options o;
    if (nargs_is(f, n, 10) < 0 || tens(f, a[0], false, &p) < 0 || tens(f, a[1], false, &gr) < 0 ||
        tens(f, a[2], false, &ea) < 0 || tens(f, a[3], false, &es) < 0 || dbl(a[4], &step) < 0 ||
        dbl(a[5], &o.lr) < 0 || dbl(a[6], &o.beta1) < 0 || dbl(a[7], &o.beta2) < 0 ||
        dbl(a[8], &o.eps) < 0 || dbl(a[9], &o.weight_decay) < 0)
        return NULL;
    RUN_UPDATE(p, gr, ct_radam_update_(p, g, ea, es, step, &o));
}

/* ---------------------------------------------------------------- LBFGS */
#define LBFGS_CAPSULE "ctorch.optim.LBFGS"

static void lbfgs_capsule_free(PyObject *cap) {
    ct_optim_free(PyCapsule_GetPointer(cap, LBFGS_CAPSULE));
}

/* _lbfgs_new(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
 *            history_size, line_search_fn|None) -> capsule */
static PyObject *f_lbfgs_new(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    const char *f = "_lbfgs_new";
    if (nargs_is(f, n, 8) < 0) return NULL;
    ct_lbfgs_options o = ct_lbfgs_defaults();
    int64_t mi, me, hs;
    if (dbl(a[1], &o.lr) < 0 || ctpy_int(f, "max_iter", a[2], &mi) < 0 ||
        ctpy_int(f, "max_eval", a[3], &me) < 0 || dbl(a[4], &o.tolerance_grad) < 0 ||
        dbl(a[5], &o.tolerance_change) < 0 || ctpy_int(f, "history_size", a[6], &hs) < 0)
        return NULL;
    o.max_iter = (int)mi;
    o.max_eval = (int)me;
    o.history_size = (int)hs;
    if (a[7] != Py_None) {
        if (!PyUnicode_Check(a[7])) {
            PyErr_SetString(PyExc_TypeError, "line_search_fn must be None or a str");
            return NULL;
        }
        o.line_search_fn = PyUnicode_AsUTF8(a[7]);
    }
    ct_tensor **ps;
    int np;
    if (ctpy_tensor_seq(f, a[0], &ps, &np) < 0) return NULL;
    ct_optimizer *opt = ct_optim_lbfgs(ps, np, &o);
    PyMem_Free(ps);
    if (!opt) return ctpy_raise();
    PyObject *cap = PyCapsule_New(opt, LBFGS_CAPSULE, lbfgs_capsule_free);
    if (!cap) ct_optim_free(opt);
    return cap;
}

typedef struct {
    PyObject *closure;
    bool failed;
} py_closure;

/* Calls the Python closure; its float() is the loss. A Python exception
 * stays set and becomes the engine error "closure raised". */
static double call_closure(void *ctx) {
    py_closure *c = ctx;
    PyObject *r = PyObject_CallNoArgs(c->closure);
    double v = NAN;
    if (r) {
        PyObject *fl = PyNumber_Float(r);
        Py_DECREF(r);
        if (fl) {
            v = PyFloat_AsDouble(fl);
            Py_DECREF(fl);
        }
    }
    if (PyErr_Occurred()) {
        c->failed = true;
        ct_set_error(CT_ERR_RUNTIME, "LBFGS: the closure raised an exception");
        return NAN;
    }
    return v;
}

/* _lbfgs_step(capsule, closure) -> None */
static PyObject *f_lbfgs_step(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    if (nargs_is("_lbfgs_step", n, 2) < 0) return NULL;
    ct_optimizer *opt = PyCapsule_GetPointer(a[0], LBFGS_CAPSULE);
    if (!opt) return NULL;
    py_closure c = {a[1], false};
    if (ct_optim_step_closure(opt, call_closure, &c, NULL) < 0) {
        if (c.failed && PyErr_Occurred()) return NULL;
        return ctpy_raise();
    }
    Py_RETURN_NONE;
}

/* _lbfgs_counts(capsule) -> (func_evals, n_iter) */
static PyObject *f_lbfgs_counts(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    if (nargs_is("_lbfgs_counts", n, 1) < 0) return NULL;
    ct_optimizer *opt = PyCapsule_GetPointer(a[0], LBFGS_CAPSULE);
    if (!opt) return NULL;
    int fe = 0, it = 0;
    if (ct_optim_lbfgs_counts(opt, &fe, &it) < 0) return ctpy_raise();
    return Py_BuildValue("(ii)", fe, it);
}

/* _lbfgs_set_lr(capsule, lr) */
static PyObject *f_lbfgs_set_lr(PyObject *m, PyObject *const *a, Py_ssize_t n) {
    if (nargs_is("_lbfgs_set_lr", n, 2) < 0) return NULL;
    ct_optimizer *opt = PyCapsule_GetPointer(a[0], LBFGS_CAPSULE);
    double lr;
    if (!opt || dbl(a[1], &lr) < 0) return NULL;
    ct_optim_set_lr(opt, lr);
    Py_RETURN_NONE;
}

#define FN(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL, NULL}
PyMethodDef ctpy_optim_functions[] = {
    FN("_sgd_update", f_sgd),           FN("_adam_update", f_adam),
    FN("_adagrad_update", f_adagrad),   FN("_rmsprop_update", f_rmsprop),
    FN("_adadelta_update", f_adadelta), FN("_adamax_update", f_adamax),
    FN("_nadam_update", f_nadam),       FN("_radam_update", f_radam),
    FN("_lbfgs_new", f_lbfgs_new),      FN("_lbfgs_step", f_lbfgs_step),
    FN("_lbfgs_counts", f_lbfgs_counts), FN("_lbfgs_set_lr", f_lbfgs_set_lr),
    {NULL}};
