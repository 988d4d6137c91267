/* Bindings of the normalisation ops of include/ctorch/nn_norm.h, in
 * PyTorch's torch.NAME argument order (torch.group_norm,
 * torch.instance_norm); F.group_norm / F.instance_norm call them. */
#include "bind.h"

static int opt_tensor(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}

static PyObject *f_group_norm(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "num_groups", "weight", "bias", "eps", "cudnn_enabled", NULL};
    PyObject *a[6];
    PyObject *self = NULL;
    CTPY_PARSE("group_norm", names, a, NULL);
    ct_tensor *w, *b;
    int64_t g;
    double eps;
    if (ctpy_req_int("group_norm", "num_groups", a[1], &g) < 0 || opt_tensor("group_norm", "weight", a[2], &w) < 0 ||
        opt_tensor("group_norm", "bias", a[3], &b) < 0 || ctpy_opt_double("group_norm", "eps", a[4], 1e-5, &eps) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (x->numel > CTPY_NOGIL_NUMEL) {
        Py_BEGIN_ALLOW_THREADS r = ct_group_norm(x, g, w, b, eps);
        Py_END_ALLOW_THREADS
    } else
        r = ct_group_norm(x, g, w, b, eps);
    return ctpy_finish(sc, r);
}

static PyObject *f_instance_norm(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "running_mean", "running_var", "use_input_stats",
                                        "momentum", "eps", "cudnn_enabled", NULL};
    PyObject *a[9];
    PyObject *self = NULL;
    CTPY_PARSE("instance_norm", names, a, NULL);
    ct_tensor *w, *b, *rm, *rv;
    bool use;
    double mom, eps;
    if (opt_tensor("instance_norm", "weight", a[1], &w) < 0 || opt_tensor("instance_norm", "bias", a[2], &b) < 0 ||
        opt_tensor("instance_norm", "running_mean", a[3], &rm) < 0 ||
        opt_tensor("instance_norm", "running_var", a[4], &rv) < 0 || ctpy_opt_bool(a[5], true, &use) < 0 ||
        ctpy_opt_double("instance_norm", "momentum", a[6], 0.1, &mom) < 0 ||
        ctpy_opt_double("instance_norm", "eps", a[7], 1e-5, &eps) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    if (x->numel > CTPY_NOGIL_NUMEL) {
        Py_BEGIN_ALLOW_THREADS r = ct_instance_norm(x, rm, rv, w, b, use, mom, eps);
        Py_END_ALLOW_THREADS
    } else
        r = ct_instance_norm(x, rm, rv, w, b, use, mom, eps);
    return ctpy_finish(sc, r);
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_norm_functions[] = {FAST("group_norm", f_group_norm), FAST("instance_norm", f_instance_norm),
                                        {NULL}};
