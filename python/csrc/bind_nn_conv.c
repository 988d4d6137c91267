/* Bindings of the nn_conv family (include/ctorch/nn_conv.h):
 * torch.conv_transpose1d/2d/3d and torch.conv3d, also
 * ctorch.nn.functional's. */
#include "bind.h"

/* An int or a sequence of 1 or nd ints (PyTorch's _single/_pair/_triple). */
static int ntuple(const char *f, const char *nm, PyObject *o, int64_t dflt, int nd, int64_t *out) {
    if (CTPY_NOARG(o)) {
        for (int i = 0; i < nd; i++) out[i] = dflt;
        return 0;
    }
    int64_t v[CT_MAX_DIMS];
    int n;
    if (ctpy_intlist(f, o, NULL, v, &n) < 0) return -1;
    if (n == 1)
        for (int i = 1; i < nd; i++) v[i] = v[0];
    else if (n != nd) {
        PyErr_Format(PyExc_RuntimeError,
                     "expected %s to be a single integer value or a list of %d values to match the "
                     "convolution dimensions, but got %s=%R",
                     nm, nd, nm, o);
        return -1;
    }
    for (int i = 0; i < nd; i++) out[i] = v[i];
    return 0;
}
static int opt_tensor(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}

/* Runs expr without the GIL when the input is large. */
#define RUN(r, big, expr)                      \
    do {                                       \
        if (big) {                             \
            Py_BEGIN_ALLOW_THREADS r = (expr); \
            Py_END_ALLOW_THREADS               \
        } else                                 \
            r = (expr);                        \
    } while (0)

static PyObject *f_conv3d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "dilation", "groups", NULL};
    PyObject *a[7];
    PyObject *self = NULL;
    CTPY_PARSE("conv3d", names, a, NULL);
    ct_tensor *w, *b;
    int64_t st[3], pad[3] = {0, 0, 0}, dil[3], g;
    const char *mode = NULL;
    if (ctpy_tensor_arg("conv3d", "weight", a[1], &w) < 0 || opt_tensor("conv3d", "bias", a[2], &b) < 0 ||
        ntuple("conv3d", "stride", a[3], 1, 3, st) < 0 || ntuple("conv3d", "dilation", a[5], 1, 3, dil) < 0 ||
        ctpy_opt_int("conv3d", "groups", a[6], 1, &g) < 0)
        return NULL;
    if (a[4] && PyUnicode_Check(a[4])) {
        if (ctpy_opt_str("conv3d", "padding", a[4], &mode) < 0) return NULL;
    } else if (ntuple("conv3d", "padding", a[4], 0, 3, pad) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    RUN(r, x->numel > CTPY_NOGIL_NUMEL,
        mode ? ct_conv3d_mode(x, w, b, st, mode, dil, g) : ct_conv3d(x, w, b, st, pad, dil, g));
    return ctpy_finish(sc, r);
}

/* conv_transpose2d / conv_transpose3d (nd 2 or 3) */
static PyObject *conv_transpose_nd(int nd, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "output_padding",
                                        "groups", "dilation", NULL};
    const char *f = nd == 2 ? "conv_transpose2d" : "conv_transpose3d";
    PyObject *a[8];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *w, *b;
    int64_t st[3], pad[3], op[3], dil[3], g;
    if (ctpy_tensor_arg(f, "weight", a[1], &w) < 0 || opt_tensor(f, "bias", a[2], &b) < 0 ||
        ntuple(f, "stride", a[3], 1, nd, st) < 0 || ntuple(f, "padding", a[4], 0, nd, pad) < 0 ||
        ntuple(f, "output_padding", a[5], 0, nd, op) < 0 || ctpy_opt_int(f, "groups", a[6], 1, &g) < 0 ||
        ntuple(f, "dilation", a[7], 1, nd, dil) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    RUN(r, x->numel > CTPY_NOGIL_NUMEL,
        nd == 2 ? ct_conv_transpose2d(x, w, b, st, pad, op, g, dil) : ct_conv_transpose3d(x, w, b, st, pad, op, g, dil));
    return ctpy_finish(sc, r);
}

static PyObject *f_conv_transpose2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return conv_transpose_nd(2, args, n, kwn);
}

static PyObject *f_conv_transpose3d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return conv_transpose_nd(3, args, n, kwn);
}

static PyObject *f_conv_transpose1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "output_padding",
                                        "groups", "dilation", NULL};
    const char *f = "conv_transpose1d";
    PyObject *a[8];
    PyObject *self = NULL;
    CTPY_PARSE(f, names, a, NULL);
    ct_tensor *w, *b;
    int64_t st, pad, op, dil, g;
    if (ctpy_tensor_arg(f, "weight", a[1], &w) < 0 || opt_tensor(f, "bias", a[2], &b) < 0 ||
        ntuple(f, "stride", a[3], 1, 1, &st) < 0 || ntuple(f, "padding", a[4], 0, 1, &pad) < 0 ||
        ntuple(f, "output_padding", a[5], 0, 1, &op) < 0 || ctpy_opt_int(f, "groups", a[6], 1, &g) < 0 ||
        ntuple(f, "dilation", a[7], 1, 1, &dil) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    RUN(r, x->numel > CTPY_NOGIL_NUMEL, ct_conv_transpose1d(x, w, b, st, pad, op, g, dil));
    return ctpy_finish(sc, r);
}

#define FAST(pyname, fn) {pyname, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}
PyMethodDef ctpy_nn_conv_functions[] = {FAST("conv3d", f_conv3d), FAST("conv_transpose2d", f_conv_transpose2d),
                                        FAST("conv_transpose3d", f_conv_transpose3d),
                                        FAST("conv_transpose1d", f_conv_transpose1d), {NULL}};
