/* Autograd from Python: backward/grad, .grad/.grad_fn/.is_leaf, hooks,
 * grad modes, autograd.Function on the C custom-function API, gradcheck. */
#include "bind.h"

/* A Python exception raised inside a hook or a custom function while the
 * engine runs: kept here and re-raised when the engine call returns, so
 * the user sees their own exception, not a generic engine error. */
static PyObject *pending_exc;

static void stash_exception(const char *where) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb && v) PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    Py_XSETREF(pending_exc, v);
    ct_set_error(CT_ERR_RUNTIME, "%s raised a Python exception", where);
}

PyObject *ctpy_raise_engine(void) {
    if (pending_exc) {
        PyObject *v = pending_exc;
        pending_exc = NULL;
        ct_clear_error();
        PyErr_SetObject((PyObject *)Py_TYPE(v), v);
        Py_DECREF(v);
        return NULL;
    }
    return ctpy_raise();
}

/* ------------------------------------------------------------------ Node (grad_fn) */
typedef struct {
    PyObject_HEAD
    ct_node *n;
} NodeObject;
static PyTypeObject NodeType;

static PyObject *node_wrap(ct_node *n) {
    if (!n) Py_RETURN_NONE;
    NodeObject *o = PyObject_New(NodeObject, &NodeType);
    if (!o) return NULL;
    ct_node_retain(n);
    o->n = n;
    return (PyObject *)o;
}
static void node_dealloc(NodeObject *o) {
    ct_node_release(o->n);
    PyObject_Free(o);
}
static PyObject *node_name(NodeObject *o, PyObject *u) { return PyUnicode_FromString(ct_node_name(o->n)); }
static PyObject *node_repr(NodeObject *o) {
    return PyUnicode_FromFormat("<%s object at %p>", ct_node_name(o->n), (void *)o->n);
}
static PyObject *node_next_functions(NodeObject *o, void *c) {
    int k = ct_node_num_inputs(o->n);
    PyObject *tup = PyTuple_New(k);
    for (int i = 0; tup && i < k; i++) {
        int nr = 0;
        ct_node *nx = ct_node_next(o->n, i, &nr);
        PyObject *w = node_wrap(nx);
        PyObject *e = w ? Py_BuildValue("(Ni)", w, nr) : NULL;
        if (!e) {
            Py_CLEAR(tup);
            break;
        }
        PyTuple_SET_ITEM(tup, i, e);
    }
    return tup;
}
static PyObject *node_variable(NodeObject *o, void *c) {
    ct_tensor *t = ct_node_variable(o->n);
    if (!t) {
        PyErr_SetString(PyExc_AttributeError, "only AccumulateGrad nodes have 'variable'");
        return NULL;
    }
    return ctpy_wrap(ct_retain(t));
}
static PyObject *node_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || Py_TYPE(b) != &NodeType) Py_RETURN_NOTIMPLEMENTED;
    int eq = ((NodeObject *)a)->n == ((NodeObject *)b)->n;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t node_hash(NodeObject *o) { return _Py_HashPointer(o->n); }
static PyMethodDef node_methods[] = {{"name", (PyCFunction)node_name, METH_NOARGS, NULL}, {NULL}};
static PyGetSetDef node_getset[] = {{"next_functions", (getter)node_next_functions, NULL, NULL, NULL},
                                    {"variable", (getter)node_variable, NULL, NULL, NULL},
                                    {NULL}};
static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C.Node",
    .tp_basicsize = sizeof(NodeObject),
    .tp_dealloc = (destructor)node_dealloc,
    .tp_repr = (reprfunc)node_repr,
    .tp_hash = (hashfunc)node_hash,
    .tp_richcompare = node_richcompare,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = node_methods,
    .tp_getset = node_getset,
};

/* ------------------------------------------------------------------ tensor attributes */
PyObject *ctpy_get_grad(PyObject *self, void *c) {
    ct_tensor *g = ct_tensor_grad(CTPY_T(self));
    if (!g) Py_RETURN_NONE;
    return ctpy_wrap(ct_retain(g));
}
int ctpy_set_grad(PyObject *self, PyObject *v, void *c) {
    ct_tensor *g = NULL;
    if (v && v != Py_None && ctpy_tensor_arg("grad", "value", v, &g) < 0) return -1;
    if (ct_set_grad(CTPY_T(self), g) < 0) {
        ctpy_raise();
        return -1;
    }
    return 0;
}
PyObject *ctpy_get_grad_fn(PyObject *self, void *c) { return node_wrap(ct_grad_fn(CTPY_T(self))); }
PyObject *ctpy_get_is_leaf(PyObject *self, void *c) { return PyBool_FromLong(ct_is_leaf(CTPY_T(self))); }
PyObject *ctpy_get_retains_grad(PyObject *self, void *c) {
    return PyBool_FromLong(ct_retains_grad(CTPY_T(self)));
}
PyObject *ctpy_get_output_nr(PyObject *self, void *c) { return PyLong_FromLong(ct_output_nr(CTPY_T(self))); }

int ctpy_set_requires_grad(ct_tensor *t, bool on) {
    if (ct_set_requires_grad(t, on) < 0) {
        ctpy_raise();
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ backward / grad */
static int tensor_list(const char *fname, PyObject *o, ct_tensor ***out, Py_ssize_t *n, bool allow_none) {
    *out = NULL;
    *n = 0;
    if (CTPY_NOARG(o)) return 0;
    PyObject *fast;
    if (ctpy_Tensor_Check(o)) fast = PyTuple_Pack(1, o);
    else fast = PySequence_Fast(o, "expected a tensor or a sequence of tensors");
    if (!fast) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);
    ct_tensor **arr = PyMem_Calloc((size_t)k + 1, sizeof *arr);
    if (!arr) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(fast, i);
        if (e == Py_None && allow_none) continue;
        if (ctpy_tensor_arg(fname, "tensors", e, &arr[i]) < 0) {
            for (Py_ssize_t j = 0; j < i; j++) ct_release(arr[j]);
            PyMem_Free(arr);
            Py_DECREF(fast);
            return -1;
        }
        /* a list made from a generator holds the only reference to its
         * tensors: keep them past the Py_DECREF below */
        ct_retain(arr[i]);
    }
    Py_DECREF(fast);
    *out = arr;
    *n = k;
    return 0;
}

/* Frees what tensor_list made. */
static void tensor_list_free(ct_tensor **arr, Py_ssize_t n) {
    for (Py_ssize_t i = 0; arr && i < n; i++) ct_release(arr[i]);
    PyMem_Free(arr);
}

static PyObject *run_backward(const char *fname, PyObject *tensors, PyObject *grads, PyObject *retain,
                              PyObject *create, PyObject *inputs) {
    ct_tensor **roots = NULL, **gs = NULL, **ins = NULL;
    Py_ssize_t nr = 0, ng = 0, ni = 0;
    bool cg = false, rg;
    PyObject *res = NULL;
    if (create && ctpy_bool(create, &cg) < 0) return NULL;
    rg = cg;
    if (!CTPY_NOARG(retain) && ctpy_bool(retain, &rg) < 0) return NULL;
    if (tensor_list(fname, tensors, &roots, &nr, false) < 0) return NULL;
    if (tensor_list(fname, grads, &gs, &ng, true) < 0) goto done;
    if (tensor_list(fname, inputs, &ins, &ni, false) < 0) goto done;
    if (!CTPY_NOARG(inputs) && ni == 0) {
        PyErr_SetString(PyExc_RuntimeError, "'inputs' argument to backward() cannot be empty.");
        goto done;
    }
    if (gs && ng != nr) {
        PyErr_Format(PyExc_RuntimeError, "grad can be implicitly created only for scalar outputs");
        goto done;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    ct_scope sc = ct_scope_begin();
    rc = ct_backward_multi(roots, (const ct_tensor *const *)gs, (int)nr, rg, cg, ins, (int)ni);
    ct_scope_end(sc);
    Py_END_ALLOW_THREADS
    if (rc < 0) ctpy_raise_engine();
    else res = Py_NewRef(Py_None);
done:
    tensor_list_free(roots, nr);
    tensor_list_free(gs, ng);
    tensor_list_free(ins, ni);
    return res;
}

static PyObject *tensor_backward(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"self", "gradient", "retain_graph", "create_graph", "inputs", NULL};
    PyObject *a[5];
    if (ctpy_parse("backward", names, self, args, n, kwn, a, NULL) < 0) return NULL;
    return run_backward("backward", self, CTPY_NOARG(a[1]) ? NULL : a[1], a[2], a[3], a[4]);
}

static PyObject *py_backward(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"tensors", "grad_tensors", "retain_graph", "create_graph",
                                        "grad_variables", "inputs", NULL};
    PyObject *a[6];
    if (ctpy_parse("backward", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    return run_backward("backward", a[0], CTPY_NOARG(a[1]) ? a[4] : a[1], a[2], a[3], a[5]);
}

static PyObject *py_grad(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"outputs", "inputs", "grad_outputs", "retain_graph",
                                        "create_graph", "only_inputs", "allow_unused", "is_grads_batched", NULL};
    PyObject *a[8];
    if (ctpy_parse("grad", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_tensor **outs = NULL, **ins = NULL, **gos = NULL, **res = NULL;
    Py_ssize_t no = 0, ni = 0, ng = 0;
    bool cg = false, rg, au = false;
    PyObject *ret = NULL;
    if (a[4] && ctpy_bool(a[4], &cg) < 0) return NULL;
    rg = cg;
    if (!CTPY_NOARG(a[3]) && ctpy_bool(a[3], &rg) < 0) return NULL;
    if (a[6] && ctpy_bool(a[6], &au) < 0) return NULL;
    if (tensor_list("grad", a[0], &outs, &no, false) < 0) return NULL;
    if (tensor_list("grad", a[1], &ins, &ni, false) < 0) goto done;
    if (tensor_list("grad", a[2], &gos, &ng, true) < 0) goto done;
    if (gos && ng != no) {
        PyErr_Format(PyExc_RuntimeError, "grad_outputs has %zd tensors but outputs has %zd", ng, no);
        goto done;
    }
    res = PyMem_Calloc((size_t)ni + 1, sizeof *res);
    if (!res) {
        PyErr_NoMemory();
        goto done;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    ct_scope sc = ct_scope_begin();
    rc = ct_grad(outs, (int)no, ins, (int)ni, (const ct_tensor *const *)gos, rg, cg, au, res);
    for (Py_ssize_t i = 0; rc == 0 && i < ni; i++)
        if (res[i]) ct_keep(res[i]);
    ct_scope_end(sc);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        ctpy_raise_engine();
        goto done;
    }
    ret = PyTuple_New(ni);
    for (Py_ssize_t i = 0; i < ni; i++) {
        PyObject *w = res[i] ? ctpy_wrap(res[i]) : Py_NewRef(Py_None);
        res[i] = NULL;
        if (ret && w) PyTuple_SET_ITEM(ret, i, w);
        else Py_XDECREF(w);
    }
done:
    if (res)
        for (Py_ssize_t i = 0; i < ni; i++) ct_release(res[i]);
    PyMem_Free(res);
    tensor_list_free(outs, no);
    tensor_list_free(ins, ni);
    tensor_list_free(gos, ng);
    return ret;
}

/* ------------------------------------------------------------------ tensor methods */
static PyObject *tensor_retain_grad(PyObject *self, PyObject *u) {
    if (ct_retain_grad(CTPY_T(self)) < 0) return ctpy_raise();
    Py_RETURN_NONE;
}
static PyObject *tensor_detach(PyObject *self, PyObject *u) { CTPY_RETURN(ct_detach(CTPY_T(self))); }
static PyObject *tensor_detach_(PyObject *self, PyObject *u) {
    if (!ct_detach_(CTPY_T(self))) return ctpy_raise();
    return Py_NewRef(self);
}

/* Hooks: the Python callable is the C hook's ctx. */
typedef struct {
    PyObject_HEAD
    ct_tensor *t;
    int handle;
} HandleObject;
static void handle_dealloc(HandleObject *h) {
    ct_release(h->t);
    PyObject_Free(h);
}
static PyObject *handle_remove(HandleObject *h, PyObject *u) {
    if (h->t && h->handle >= 0) ct_remove_hook(h->t, h->handle);
    h->handle = -1;
    Py_RETURN_NONE;
}
static PyObject *handle_enter(PyObject *h, PyObject *u) { return Py_NewRef(h); }
static PyObject *handle_exit(HandleObject *h, PyObject *args) { return handle_remove(h, NULL); }
static PyMethodDef handle_methods[] = {{"remove", (PyCFunction)handle_remove, METH_NOARGS, NULL},
                                       {"__enter__", handle_enter, METH_NOARGS, NULL},
                                       {"__exit__", (PyCFunction)handle_exit, METH_VARARGS, NULL},
                                       {NULL}};
static PyTypeObject HandleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C.RemovableHandle",
    .tp_basicsize = sizeof(HandleObject),
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = handle_methods,
};

static int py_hook(ct_tensor *grad, ct_tensor **replace, void *ctx) {
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    PyObject *gobj = ctpy_wrap(ct_retain(grad));
    PyObject *r = gobj ? PyObject_CallOneArg((PyObject *)ctx, gobj) : NULL;
    Py_XDECREF(gobj);
    if (!r) {
        stash_exception("hook");
        rc = -1;
    } else if (r != Py_None) {
        if (!ctpy_Tensor_Check(r)) {
            PyErr_Format(PyExc_TypeError, "hook returned %s, expected a Tensor or None", Py_TYPE(r)->tp_name);
            stash_exception("hook");
            rc = -1;
        } else
            *replace = ct_autorelease(ct_retain(CTPY_T(r))); /* alive until the engine retains it */
    }
    Py_XDECREF(r);
    PyGILState_Release(g);
    return rc;
}
static void py_decref_ctx(void *ctx) {
    if (!Py_IsInitialized()) return;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_DECREF((PyObject *)ctx);
    PyGILState_Release(g);
}
static PyObject *tensor_register_hook(PyObject *self, PyObject *fn) {
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "register_hook expects a callable");
        return NULL;
    }
    ct_tensor *t = CTPY_T(self);
    if (!t->requires_grad) {
        PyErr_SetString(PyExc_RuntimeError, "cannot register a hook on a tensor that doesn't require gradient");
        return NULL;
    }
    Py_INCREF(fn);
    int h = ct_register_hook(t, py_hook, fn, py_decref_ctx);
    if (h < 0) return ctpy_raise();
    HandleObject *o = PyObject_New(HandleObject, &HandleType);
    if (!o) return NULL;
    o->t = ct_retain(t);
    o->handle = h;
    return (PyObject *)o;
}

PyMethodDef ctpy_autograd_methods[] = {
    {"backward", (PyCFunction)(void (*)(void))tensor_backward, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"retain_grad", tensor_retain_grad, METH_NOARGS, NULL},
    {"detach", tensor_detach, METH_NOARGS, NULL},
    {"detach_", tensor_detach_, METH_NOARGS, NULL},
    {"register_hook", tensor_register_hook, METH_O, NULL},
    {NULL}};

/* ------------------------------------------------------------------ grad modes */
static PyObject *py_grad_mode_begin(PyObject *m, PyObject *kind) {
    long k = PyLong_AsLong(kind);
    if (k == -1 && PyErr_Occurred()) return NULL;
    ct_grad_mode g = k == 0 ? ct_no_grad_begin() : k == 1 ? ct_enable_grad_begin() : ct_inference_mode_begin();
    return Py_BuildValue("(OO)", g.prev_grad ? Py_True : Py_False, g.prev_inference ? Py_True : Py_False);
}
static PyObject *py_grad_mode_end(PyObject *m, PyObject *st) {
    if (!PyTuple_Check(st) || PyTuple_GET_SIZE(st) != 2) {
        PyErr_SetString(PyExc_TypeError, "_grad_mode_end expects the state from _grad_mode_begin");
        return NULL;
    }
    ct_grad_mode g = {PyObject_IsTrue(PyTuple_GET_ITEM(st, 0)) == 1, PyObject_IsTrue(PyTuple_GET_ITEM(st, 1)) == 1};
    ct_grad_mode_end(g);
    Py_RETURN_NONE;
}
static PyObject *py_is_inference_mode_enabled(PyObject *m, PyObject *u) {
    return PyBool_FromLong(ct_is_inference_mode_enabled());
}
static PyObject *py_set_anomaly(PyObject *m, PyObject *v) {
    int b = PyObject_IsTrue(v);
    if (b < 0) return NULL;
    ct_set_detect_anomaly(b);
    Py_RETURN_NONE;
}
static PyObject *py_is_anomaly(PyObject *m, PyObject *u) { return PyBool_FromLong(ct_is_anomaly_enabled()); }

/* ------------------------------------------------------------------ autograd.Function */
/* The Python ctx object lives from forward to the node's death; c points
 * at the engine's ctx only while forward/backward run. */
typedef struct {
    PyObject_HEAD
    ct_function_ctx *c;
    PyObject *dict;
    PyObject *cls;
    PyObject *to_save;      /* tuple given to save_for_backward during forward */
    PyObject *dirty, *nondiff; /* lists of tensors */
    PyObject *needs;        /* tuple of bools, one per forward argument */
    PyObject *tensor_pos;   /* tuple: argument position of each tensor input */
    PyObject *outputs;      /* during apply: the forward's output tensors */
    bool materialize;
} FnCtxObject;
static PyTypeObject FnCtxType;

static void fnctx_clear(FnCtxObject *o) {
    Py_CLEAR(o->dict);
    Py_CLEAR(o->cls);
    Py_CLEAR(o->to_save);
    Py_CLEAR(o->dirty);
    Py_CLEAR(o->nondiff);
    Py_CLEAR(o->needs);
    Py_CLEAR(o->tensor_pos);
    Py_CLEAR(o->outputs);
}
static int fnctx_traverse(FnCtxObject *o, visitproc visit, void *arg) {
    Py_VISIT(o->dict);
    Py_VISIT(o->cls);
    Py_VISIT(o->to_save);
    Py_VISIT(o->dirty);
    Py_VISIT(o->nondiff);
    Py_VISIT(o->needs);
    Py_VISIT(o->tensor_pos);
    Py_VISIT(o->outputs);
    return 0;
}
static void fnctx_dealloc(FnCtxObject *o) {
    PyObject_GC_UnTrack(o);
    fnctx_clear(o);
    Py_TYPE(o)->tp_free((PyObject *)o);
}
static PyObject *fnctx_save_for_backward(FnCtxObject *o, PyObject *args) {
    Py_XSETREF(o->to_save, Py_NewRef(args));
    Py_RETURN_NONE;
}
static PyObject *fnctx_mark(PyObject **list, PyObject *args) {
    if (!*list && !(*list = PyList_New(0))) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++)
        if (PyList_Append(*list, PyTuple_GET_ITEM(args, i)) < 0) return NULL;
    Py_RETURN_NONE;
}
static PyObject *fnctx_mark_dirty(FnCtxObject *o, PyObject *args) { return fnctx_mark(&o->dirty, args); }
static PyObject *fnctx_mark_nondiff(FnCtxObject *o, PyObject *args) { return fnctx_mark(&o->nondiff, args); }
static PyObject *fnctx_set_materialize(FnCtxObject *o, PyObject *v) {
    o->materialize = PyObject_IsTrue(v) == 1;
    Py_RETURN_NONE;
}
static PyObject *fnctx_saved_tensors(FnCtxObject *o, void *c) {
    if (!o->c) {
        /* still in forward: what was given */
        return o->to_save ? Py_NewRef(o->to_save) : PyTuple_New(0);
    }
    int k = ct_ctx_num_saved(o->c);
    PyObject *tup = PyTuple_New(k);
    for (int i = 0; tup && i < k; i++) {
        ct_clear_error();
        ct_tensor *t = ct_ctx_saved(o->c, i);
        if (!t && ct_last_error_kind() != CT_OK) {
            Py_DECREF(tup);
            return ctpy_raise();
        }
        PyObject *w = t ? ctpy_wrap(ct_retain(t)) : Py_NewRef(Py_None);
        if (!w) {
            Py_DECREF(tup);
            return NULL;
        }
        PyTuple_SET_ITEM(tup, i, w);
    }
    return tup;
}
static PyObject *fnctx_needs_input_grad(FnCtxObject *o, void *c) {
    return o->needs ? Py_NewRef(o->needs) : PyTuple_New(0);
}
static PyMethodDef fnctx_methods[] = {
    {"save_for_backward", (PyCFunction)fnctx_save_for_backward, METH_VARARGS, NULL},
    {"mark_dirty", (PyCFunction)fnctx_mark_dirty, METH_VARARGS, NULL},
    {"mark_non_differentiable", (PyCFunction)fnctx_mark_nondiff, METH_VARARGS, NULL},
    {"set_materialize_grads", (PyCFunction)fnctx_set_materialize, METH_O, NULL},
    {NULL}};
static PyGetSetDef fnctx_getset[] = {
    {"saved_tensors", (getter)fnctx_saved_tensors, NULL, NULL, NULL},
    {"saved_variables", (getter)fnctx_saved_tensors, NULL, NULL, NULL},
    {"needs_input_grad", (getter)fnctx_needs_input_grad, NULL, NULL, NULL},
    {NULL}};
static PyTypeObject FnCtxType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C.FunctionCtx",
    .tp_basicsize = sizeof(FnCtxObject),
    .tp_dealloc = (destructor)fnctx_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)fnctx_traverse,
    .tp_clear = (inquiry)fnctx_clear,
    .tp_methods = fnctx_methods,
    .tp_getset = fnctx_getset,
    .tp_dictoffset = offsetof(FnCtxObject, dict),
    .tp_new = PyType_GenericNew,
};

/* forward (C side): the Python forward already ran; hand over its outputs
 * and replay what it asked of ctx. */
static int fn_forward(ct_function_ctx *c, const ct_tensor *const *in, int nin, ct_tensor **out, int nout,
                      void *user) {
    FnCtxObject *o = user;
    for (int k = 0; k < nout; k++)
        out[k] = ct_autorelease(ct_retain(CTPY_T(PyTuple_GET_ITEM(o->outputs, k))));
    if (o->to_save) {
        Py_ssize_t k = PyTuple_GET_SIZE(o->to_save);
        for (Py_ssize_t i = 0; i < k; i++) {
            PyObject *e = PyTuple_GET_ITEM(o->to_save, i);
            const ct_tensor *t = ctpy_Tensor_Check(e) ? CTPY_T(e) : NULL;
            if (e != Py_None && !t) {
                ct_set_error(CT_ERR_TYPE, "save_for_backward can only save tensors or None");
                return -1;
            }
            if (ct_ctx_save_for_backward(c, &t, 1) < 0) return -1;
        }
    }
    for (Py_ssize_t i = 0; o->dirty && i < PyList_GET_SIZE(o->dirty); i++)
        if (ctpy_Tensor_Check(PyList_GET_ITEM(o->dirty, i)) &&
            ct_ctx_mark_dirty(c, CTPY_T(PyList_GET_ITEM(o->dirty, i))) < 0)
            return -1;
    for (Py_ssize_t i = 0; o->nondiff && i < PyList_GET_SIZE(o->nondiff); i++)
        if (ctpy_Tensor_Check(PyList_GET_ITEM(o->nondiff, i)) &&
            ct_ctx_mark_non_differentiable(c, CTPY_T(PyList_GET_ITEM(o->nondiff, i))) < 0)
            return -1;
    return 0;
}

static int fn_backward(ct_function_ctx *c, ct_tensor *const *grad_out, int nout, ct_tensor **grad_in, int nin,
                       void *user) {
    FnCtxObject *o = user;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = -1;
    PyObject *args = PyTuple_New(nout + 1);
    PyObject *bw = NULL, *r = NULL;
    if (!args) goto out;
    PyTuple_SET_ITEM(args, 0, Py_NewRef((PyObject *)o));
    for (int k = 0; k < nout; k++) {
        PyObject *w = ctpy_wrap(ct_retain(grad_out[k]));
        if (!w) goto out;
        PyTuple_SET_ITEM(args, k + 1, w);
    }
    /* needs_input_grad as the engine sees it now */
    Py_ssize_t nargs = PyTuple_GET_SIZE(o->needs);
    PyObject *needs = PyTuple_New(nargs);
    if (!needs) goto out;
    for (Py_ssize_t i = 0; i < nargs; i++) PyTuple_SET_ITEM(needs, i, Py_NewRef(Py_False));
    for (int i = 0; i < nin; i++) {
        Py_ssize_t pos = PyLong_AsSsize_t(PyTuple_GET_ITEM(o->tensor_pos, i));
        Py_SETREF(PyTuple_GET_ITEM(needs, pos), PyBool_FromLong(ct_ctx_needs_input_grad(c, i)));
    }
    Py_XSETREF(o->needs, needs);
    bw = PyObject_GetAttrString(o->cls, "backward");
    o->c = c;
    r = bw ? PyObject_Call(bw, args, NULL) : NULL;
    o->c = NULL;
    if (!r) goto out;
    PyObject *tup = PyTuple_Check(r) ? Py_NewRef(r) : PyTuple_Pack(1, r);
    if (!tup) goto out;
    if (PyTuple_GET_SIZE(tup) < nargs) {
        /* PyTorch allows trailing gradients to be omitted only when exactly matching; be strict */
        PyErr_Format(PyExc_RuntimeError, "function %sBackward returned an incorrect number of gradients "
                     "(expected %zd, got %zd)", ((PyTypeObject *)o->cls)->tp_name, nargs, PyTuple_GET_SIZE(tup));
        Py_DECREF(tup);
        goto out;
    }
    rc = 0;
    for (int i = 0; i < nin; i++) {
        Py_ssize_t pos = PyLong_AsSsize_t(PyTuple_GET_ITEM(o->tensor_pos, i));
        PyObject *e = PyTuple_GET_ITEM(tup, pos);
        if (e == Py_None) continue;
        if (!ctpy_Tensor_Check(e)) {
            PyErr_Format(PyExc_TypeError, "backward returned %s for a tensor input; expected Tensor or None",
                         Py_TYPE(e)->tp_name);
            rc = -1;
            break;
        }
        grad_in[i] = ct_autorelease(ct_retain(CTPY_T(e)));
    }
    Py_DECREF(tup);
out:
    if (rc < 0) stash_exception("autograd.Function backward");
    Py_XDECREF(args);
    Py_XDECREF(bw);
    Py_XDECREF(r);
    PyGILState_Release(g);
    return rc;
}

static void fn_free_user(void *user) { py_decref_ctx(user); }

/* _C._function_apply(cls, *args): runs cls.forward under no_grad, then
 * records one graph node whose backward calls cls.backward. */
static PyObject *py_function_apply(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    if (n < 1 || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "_function_apply(cls, *args)");
        return NULL;
    }
    PyObject *cls = args[0];
    PyObject *const *fargs = args + 1;
    Py_ssize_t nargs = n - 1;
    FnCtxObject *o = (FnCtxObject *)PyType_GenericNew(&FnCtxType, NULL, NULL);
    if (!o) return NULL;
    o->cls = Py_NewRef(cls);
    o->materialize = true;
    PyObject *result = NULL, *fw = NULL, *callargs = NULL, *out = NULL;
    ct_tensor *ins[64];
    int nin = 0;
    bool grad_on = ct_is_grad_enabled();
    o->needs = PyTuple_New(nargs);
    o->tensor_pos = PyTuple_New(0);
    if (!o->needs || !o->tensor_pos) goto done;
    PyObject *pos_list = PyList_New(0);
    if (!pos_list) goto done;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        bool is_t = ctpy_Tensor_Check(fargs[i]);
        PyTuple_SET_ITEM(o->needs, i, PyBool_FromLong(is_t && grad_on && CTPY_T(fargs[i])->requires_grad));
        if (is_t) {
            if (nin == 64) {
                Py_DECREF(pos_list);
                PyErr_SetString(PyExc_RuntimeError, "autograd.Function: at most 64 tensor inputs");
                goto done;
            }
            ins[nin++] = CTPY_T(fargs[i]);
            PyObject *p = PyLong_FromSsize_t(i);
            PyList_Append(pos_list, p);
            Py_XDECREF(p);
        }
    }
    Py_SETREF(o->tensor_pos, PyList_AsTuple(pos_list));
    Py_DECREF(pos_list);
    if (!o->tensor_pos) goto done;
    callargs = PyTuple_New(nargs + 1);
    if (!callargs) goto done;
    PyTuple_SET_ITEM(callargs, 0, Py_NewRef((PyObject *)o));
    for (Py_ssize_t i = 0; i < nargs; i++) PyTuple_SET_ITEM(callargs, i + 1, Py_NewRef(fargs[i]));
    fw = PyObject_GetAttrString(cls, "forward");
    if (!fw) goto done;
    ct_grad_mode gm = ct_no_grad_begin();
    out = PyObject_Call(fw, callargs, NULL);
    ct_grad_mode_end(gm);
    if (!out) goto done;
    bool single = !PyTuple_Check(out);
    PyObject *outs = single ? PyTuple_Pack(1, out) : Py_NewRef(out);
    if (!outs) goto done;
    Py_ssize_t nout = PyTuple_GET_SIZE(outs);
    /* non-tensor outputs pass through; tensors go to the engine */
    PyObject *touts = PyList_New(0);
    for (Py_ssize_t k = 0; touts && k < nout; k++)
        if (ctpy_Tensor_Check(PyTuple_GET_ITEM(outs, k))) PyList_Append(touts, PyTuple_GET_ITEM(outs, k));
    if (!touts) {
        Py_DECREF(outs);
        goto done;
    }
    o->outputs = PyList_AsTuple(touts);
    Py_DECREF(touts);
    int ntout = o->outputs ? (int)PyTuple_GET_SIZE(o->outputs) : -1;
    if (ntout < 1) {
        Py_DECREF(outs);
        if (ntout == 0) PyErr_SetString(PyExc_RuntimeError, "autograd.Function forward returned no tensor");
        goto done;
    }
    static ct_function fdef = {"CustomFunctionBackward", fn_forward, fn_backward};
    ct_tensor *couts[64];
    ct_scope sc = ct_scope_begin();
    Py_INCREF(o); /* the user pointer: released by fn_free_user */
    int rc = ct_function_apply(&fdef, o, fn_free_user, (const ct_tensor *const *)ins, nin, couts, ntout);
    if (rc == 0)
        for (int k = 0; k < ntout; k++) ct_keep(couts[k]);
    ct_scope_end(sc);
    Py_CLEAR(o->outputs);
    if (rc < 0) {
        Py_DECREF(outs);
        ctpy_raise_engine();
        goto done;
    }
    result = PyTuple_New(nout);
    for (Py_ssize_t k = 0, j = 0; k < nout; k++) {
        PyObject *e = PyTuple_GET_ITEM(outs, k);
        PyObject *w = ctpy_Tensor_Check(e) ? ctpy_wrap(couts[j++]) : Py_NewRef(e);
        if (result && w) PyTuple_SET_ITEM(result, k, w);
        else Py_XDECREF(w);
    }
    Py_DECREF(outs);
    if (result && single) {
        PyObject *r0 = Py_NewRef(PyTuple_GET_ITEM(result, 0));
        Py_SETREF(result, r0);
    }
done:
    Py_XDECREF(out);
    Py_XDECREF(fw);
    Py_XDECREF(callargs);
    Py_DECREF(o);
    return result;
}

/* ------------------------------------------------------------------ gradcheck */
typedef struct {
    PyObject *fn;
    int failed;
} check_ctx;
static ct_tensor *check_call(ct_tensor *const *inputs, int n, void *vctx) {
    check_ctx *cc = vctx;
    PyObject *args = PyTuple_New(n);
    if (!args) return NULL;
    for (int i = 0; i < n; i++) PyTuple_SET_ITEM(args, i, ctpy_wrap(ct_retain(inputs[i])));
    PyObject *r = PyObject_Call(cc->fn, args, NULL);
    Py_DECREF(args);
    if (!r) {
        stash_exception("gradcheck function");
        return NULL;
    }
    if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 1) {
        PyObject *r0 = Py_NewRef(PyTuple_GET_ITEM(r, 0));
        Py_SETREF(r, r0);
    }
    if (!ctpy_Tensor_Check(r)) {
        Py_DECREF(r);
        ct_set_error(CT_ERR_NOT_IMPL, "gradcheck: the function must return one tensor");
        return NULL;
    }
    ct_tensor *t = ct_autorelease(ct_retain(CTPY_T(r)));
    Py_DECREF(r);
    return t;
}
static PyObject *run_check(int second, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"func", "inputs", "*", "eps", "atol", "rtol", "raise_exception",
                                        "nondet_tol", "check_undefined_grad", "check_grad_dtypes",
                                        "check_batched_grad", "check_batched_forward_grad",
                                        "check_forward_ad", "check_backward_ad", "fast_mode",
                                        "gen_non_contig_grad_outputs", NULL};
    PyObject *a[15];
    if (ctpy_parse(second ? "gradgradcheck" : "gradcheck", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
    bool raise = true;
    if ((a[2] && ctpy_double("gradcheck", "eps", a[2], &eps) < 0) ||
        (a[3] && ctpy_double("gradcheck", "atol", a[3], &atol) < 0) ||
        (a[4] && ctpy_double("gradcheck", "rtol", a[4], &rtol) < 0) || (a[5] && ctpy_bool(a[5], &raise) < 0))
        return NULL;
    ct_tensor **ins;
    Py_ssize_t ni;
    if (tensor_list("gradcheck", a[1], &ins, &ni, false) < 0) return NULL;
    check_ctx cc = {a[0], 0};
    ct_scope sc = ct_scope_begin();
    int rc = second ? ct_gradgradcheck(check_call, &cc, ins, (int)ni, eps, atol, rtol)
                    : ct_gradcheck(check_call, &cc, ins, (int)ni, eps, atol, rtol);
    ct_scope_end(sc);
    tensor_list_free(ins, ni);
    if (rc == 0) Py_RETURN_TRUE;
    if (pending_exc || raise) return ctpy_raise_engine();
    ct_clear_error();
    Py_RETURN_FALSE;
}
static PyObject *py_gradcheck(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return run_check(0, args, n, kwn);
}
static PyObject *py_gradgradcheck(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return run_check(1, args, n, kwn);
}

PyMethodDef ctpy_autograd_functions[] = {
    {"_backward", (PyCFunction)(void (*)(void))py_backward, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_grad", (PyCFunction)(void (*)(void))py_grad, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_grad_mode_begin", py_grad_mode_begin, METH_O, "0 no_grad, 1 enable_grad, 2 inference_mode"},
    {"_grad_mode_end", py_grad_mode_end, METH_O, NULL},
    {"is_inference_mode_enabled", py_is_inference_mode_enabled, METH_NOARGS, NULL},
    {"_set_detect_anomaly", py_set_anomaly, METH_O, NULL},
    {"is_anomaly_enabled", py_is_anomaly, METH_NOARGS, NULL},
    {"_function_apply", (PyCFunction)(void (*)(void))py_function_apply, METH_FASTCALL, NULL},
    {"_gradcheck", (PyCFunction)(void (*)(void))py_gradcheck, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_gradgradcheck", (PyCFunction)(void (*)(void))py_gradgradcheck, METH_FASTCALL | METH_KEYWORDS, NULL},
    {NULL}};

int ctpy_autograd_init(PyObject *m) {
    if (PyType_Ready(&NodeType) < 0 || PyType_Ready(&HandleType) < 0 || PyType_Ready(&FnCtxType) < 0) return -1;
    Py_INCREF(&FnCtxType);
    PyModule_AddObject(m, "FunctionCtx", (PyObject *)&FnCtxType);
    Py_INCREF(&NodeType);
    PyModule_AddObject(m, "Node", (PyObject *)&NodeType);
    return 0;
}
