/* Bindings of the C data layer (include/ctorch/data.h) for ctorch.utils.data
 * and ctorch.vision:
 *
 *   _C._CDataset        a C dataset (TensorDataset, or one with C transforms
 *                       on a field); len(), get(i) -> tuple of tensors
 *   _C._Transform       a C transform (ToTensor, Normalize, ...); callable
 *   _C._CLoader         the threaded C DataLoader over a _CDataset, fed with
 *                       one epoch's indices that Python's sampler drew (so
 *                       the order is PyTorch's); an iterator of tuples;
 *                       random C transforms draw from generators reseeded
 *                       per batch from `seed` (the same draws for any
 *                       number of workers)
 *   _C._ctransform(kind, *params)   the C image transforms as _Transform
 *   _C._image_folder_dataset(root, extensions)   the C ImageFolder
 *   _C._idx_read(path)  an IDX file (plain or .gz) as a tensor
 *
 * The loader's workers and the caller's wait for a batch run without the
 * GIL: nothing in a C dataset or C transform touches Python objects. The
 * Python objects that a C object borrows from (the base dataset, the
 * transforms) are kept alive by a reference in `keep`. */
#include "bind.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ _Transform */
typedef struct {
    PyObject_HEAD
    ct_transform tf;
    PyObject *name; /* str, for repr */
} TransformObject;
static PyTypeObject TransformType;

static void transform_dealloc(TransformObject *o) {
    ct_transform_free(o->tf);
    Py_XDECREF(o->name);
    Py_TYPE(o)->tp_free((PyObject *)o);
}
static PyObject *transform_repr(TransformObject *o) {
    return PyUnicode_FromFormat("<ctorch._C._Transform %S>", o->name);
}
/* Applies the transform to one tensor (GIL released for large inputs). */
static PyObject *transform_call(TransformObject *o, PyObject *args, PyObject *kw) {
    PyObject *xo;
    if (!PyArg_ParseTuple(args, "O", &xo)) return NULL;
    ct_tensor *x;
    if (ctpy_tensor_arg("transform", "input", xo, &x) < 0) return NULL;
    ct_tensor *y;
    if (ct_numel(x) > CTPY_NOGIL_NUMEL) {
        Py_BEGIN_ALLOW_THREADS
        y = o->tf.apply(o->tf.ctx, x, NULL);
        Py_END_ALLOW_THREADS
    } else {
        y = o->tf.apply(o->tf.ctx, x, NULL);
    }
    return ctpy_wrap(y); /* apply returns an owned reference */
}
static PyTypeObject TransformType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._Transform",
    .tp_basicsize = sizeof(TransformObject),
    .tp_dealloc = (destructor)transform_dealloc,
    .tp_repr = (reprfunc)transform_repr,
    .tp_call = (ternaryfunc)transform_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* Takes over tf (freed on failure). */
static PyObject *transform_new(ct_transform tf, const char *name) {
    if (!tf.apply) {
        ct_transform_free(tf);
        return ctpy_raise();
    }
    TransformObject *o = PyObject_New(TransformObject, &TransformType);
    if (!o) {
        ct_transform_free(tf);
        return NULL;
    }
    o->tf = tf;
    o->name = PyUnicode_FromString(name);
    if (!o->name) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

static PyObject *f_transform_to_tensor(PyObject *m, PyObject *u) {
    return transform_new(ct_transform_to_tensor(), "ToTensor");
}

/* A sequence of floats into a PyMem array. */
static int double_seq(const char *what, PyObject *o, double **out, Py_ssize_t *n) {
    PyObject *seq = PySequence_Fast(o, "expected a sequence of numbers");
    if (!seq) return -1;
    *n = PySequence_Fast_GET_SIZE(seq);
    *out = PyMem_Malloc(sizeof(double) * (size_t)(*n ? *n : 1));
    if (!*out) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        (*out)[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if ((*out)[i] == -1.0 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "%s: expected a sequence of numbers", what);
            PyMem_Free(*out);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *f_transform_normalize(PyObject *m, PyObject *args) {
    PyObject *mo, *so;
    if (!PyArg_ParseTuple(args, "OO", &mo, &so)) return NULL;
    double *mean = NULL, *std = NULL;
    Py_ssize_t nm, ns;
    if (double_seq("Normalize", mo, &mean, &nm) < 0) return NULL;
    if (double_seq("Normalize", so, &std, &ns) < 0) {
        PyMem_Free(mean);
        return NULL;
    }
    PyObject *r;
    if (nm != ns || nm < 1 || nm > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "Normalize: mean and std need the same length >= 1, got "
                     "%zd and %zd", nm, ns);
        r = NULL;
    } else {
        r = transform_new(ct_transform_normalize(mean, std, (int)nm), "Normalize");
    }
    PyMem_Free(mean);
    PyMem_Free(std);
    return r;
}

/* _ctransform(kind, *params): the C transforms of include/ctorch/data.h as
 * _Transform objects (ctorch.vision.transforms builds them; parameters are
 * checked by the constructors, torchvision's messages). */
static int pair_or_none(PyObject *o, double out[2], const double **p) {
    *p = NULL;
    if (o == Py_None) return 0;
    if (!PyArg_ParseTuple(o, "dd", &out[0], &out[1])) return -1;
    *p = out;
    return 0;
}
static int int_list(PyObject *o, int64_t *out, int max, int *n) {
    *n = 0;
    if (o == Py_None) return 0;
    PyObject *seq = PySequence_Fast(o, "expected a sequence of ints");
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (k > max) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "expected at most %d values, got %zd", max, k);
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        out[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (out[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
    }
    *n = (int)k;
    Py_DECREF(seq);
    return 0;
}
static PyObject *f_ctransform(PyObject *m, PyObject *args) {
    Py_ssize_t na = PyTuple_GET_SIZE(args);
    if (na < 1 || !PyUnicode_Check(PyTuple_GET_ITEM(args, 0))) {
        PyErr_SetString(PyExc_TypeError, "_ctransform(kind: str, *params)");
        return NULL;
    }
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(args, 0));
    PyObject *rest = PyTuple_GetSlice(args, 1, na);
    if (!rest) return NULL;
    ct_transform tf = {NULL, NULL, NULL};
    PyObject *r = NULL;
    bool parsed = false;
    if (!strcmp(kind, "pil_to_tensor")) {
        if ((parsed = PyArg_ParseTuple(rest, ""))) tf = ct_transform_pil_to_tensor();
    } else if (!strcmp(kind, "convert_image_dtype")) {
        PyObject *d;
        ct_dtype dt;
        if ((parsed = PyArg_ParseTuple(rest, "O", &d) && ctpy_dtype(d, &dt) == 0))
            tf = ct_transform_convert_image_dtype(dt);
    } else if (!strcmp(kind, "resize")) {
        PyObject *so;
        int interp, anti;
        long long max_size;
        int64_t size[2];
        int ns;
        if ((parsed = PyArg_ParseTuple(rest, "OiLp", &so, &interp, &max_size, &anti) &&
                      int_list(so, size, 2, &ns) == 0))
            tf = ct_transform_resize(size, ns, (ct_interp)interp, max_size, anti);
    } else if (!strcmp(kind, "center_crop")) {
        long long h, w;
        if ((parsed = PyArg_ParseTuple(rest, "LL", &h, &w))) tf = ct_transform_center_crop(h, w);
    } else if (!strcmp(kind, "pad")) {
        PyObject *po;
        double fill;
        int mode, np_;
        int64_t pad[4];
        if ((parsed = PyArg_ParseTuple(rest, "Odi", &po, &fill, &mode) &&
                      int_list(po, pad, 4, &np_) == 0))
            tf = ct_transform_pad(pad, np_, fill, (ct_padding_mode)mode);
    } else if (!strcmp(kind, "random_crop")) {
        long long h, w;
        PyObject *po;
        int pin, mode, np_;
        double fill;
        int64_t pad[4];
        if ((parsed = PyArg_ParseTuple(rest, "LLOpdi", &h, &w, &po, &pin, &fill, &mode) &&
                      int_list(po, pad, 4, &np_) == 0))
            tf = ct_transform_random_crop(h, w, np_ ? pad : NULL, np_, pin, fill,
                                          (ct_padding_mode)mode);
    } else if (!strcmp(kind, "random_resized_crop")) {
        long long h, w;
        double scale[2], ratio[2];
        int interp, anti;
        if ((parsed = PyArg_ParseTuple(rest, "LL(dd)(dd)ip", &h, &w, &scale[0], &scale[1],
                                       &ratio[0], &ratio[1], &interp, &anti)))
            tf = ct_transform_random_resized_crop(h, w, scale, ratio, (ct_interp)interp, anti);
    } else if (!strcmp(kind, "random_horizontal_flip") || !strcmp(kind, "random_vertical_flip")) {
        double p;
        if ((parsed = PyArg_ParseTuple(rest, "d", &p)))
            tf = kind[7] == 'h' ? ct_transform_random_horizontal_flip(p)
                                : ct_transform_random_vertical_flip(p);
    } else if (!strcmp(kind, "color_jitter")) {
        PyObject *o[4];
        double v[4][2];
        const double *p[4];
        if ((parsed = PyArg_ParseTuple(rest, "OOOO", &o[0], &o[1], &o[2], &o[3]))) {
            for (int i = 0; i < 4 && parsed; i++) parsed = pair_or_none(o[i], v[i], &p[i]) == 0;
            if (parsed) tf = ct_transform_color_jitter(p[0], p[1], p[2], p[3]);
        }
    } else if (!strcmp(kind, "grayscale")) {
        int n;
        if ((parsed = PyArg_ParseTuple(rest, "i", &n))) tf = ct_transform_grayscale(n);
    } else {
        PyErr_Format(PyExc_ValueError, "_ctransform: unknown kind '%s'", kind);
    }
    Py_DECREF(rest);
    if (parsed) r = transform_new(tf, kind);
    return r;
}

/* ------------------------------------------------------------------ _CDataset */
typedef struct {
    PyObject_HEAD
    ct_dataset *ds;
    PyObject *keep; /* objects the C dataset borrows from (or NULL) */
} CDatasetObject;
static PyTypeObject CDatasetType;

static void cdataset_dealloc(CDatasetObject *o) {
    ct_dataset_free(o->ds);
    Py_XDECREF(o->keep);
    Py_TYPE(o)->tp_free((PyObject *)o);
}
static Py_ssize_t cdataset_len(CDatasetObject *o) {
    int64_t n = ct_dataset_length(o->ds);
    if (n < 0) {
        ctpy_raise();
        return -1;
    }
    return (Py_ssize_t)n;
}
/* get(index) -> tuple of the item's fields. */
static PyObject *cdataset_get(CDatasetObject *o, PyObject *io) {
    int64_t i;
    if (ctpy_int("get", "index", io, &i) < 0) return NULL;
    ct_tensor *out[CT_DATA_MAX_FIELDS] = {0};
    ct_scope sc = ct_scope_begin();
    int rc = ct_dataset_get(o->ds, i, out);
    return ctpy_finish_tuple(sc, out, rc < 0 ? -1 : o->ds->nfields);
}
static PyObject *cdataset_nfields(CDatasetObject *o, void *c) {
    return PyLong_FromLong(o->ds->nfields);
}
static PyObject *cdataset_repr(CDatasetObject *o) {
    return PyUnicode_FromFormat("<ctorch._C._CDataset %s of %zd items>",
                                o->ds->vt->name ? o->ds->vt->name : "dataset",
                                (Py_ssize_t)ct_dataset_length(o->ds));
}
static PyMethodDef cdataset_methods[] = {{"get", (PyCFunction)cdataset_get, METH_O, NULL},
                                         {NULL}};
static PyGetSetDef cdataset_getset[] = {{"nfields", (getter)cdataset_nfields, NULL, NULL, NULL},
                                        {NULL}};
static PySequenceMethods cdataset_as_sequence = {.sq_length = (lenfunc)cdataset_len};
static PyTypeObject CDatasetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._CDataset",
    .tp_basicsize = sizeof(CDatasetObject),
    .tp_dealloc = (destructor)cdataset_dealloc,
    .tp_repr = (reprfunc)cdataset_repr,
    .tp_as_sequence = &cdataset_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = cdataset_methods,
    .tp_getset = cdataset_getset,
};

/* Takes over ds; keep is borrowed (a new reference is stored). */
static PyObject *cdataset_new(ct_dataset *ds, PyObject *keep) {
    if (!ds) return ctpy_raise();
    CDatasetObject *o = PyObject_New(CDatasetObject, &CDatasetType);
    if (!o) {
        ct_dataset_free(ds);
        return NULL;
    }
    o->ds = ds;
    o->keep = keep;
    Py_XINCREF(keep);
    return (PyObject *)o;
}

/* _tensor_dataset(tensors): item i is (t[i] for t in tensors). */
static PyObject *f_tensor_dataset(PyObject *m, PyObject *seq) {
    ct_tensor **ts;
    int n;
    if (ctpy_tensor_seq("TensorDataset", seq, &ts, &n) < 0) return NULL;
    ct_dataset *ds = ct_tensor_dataset(ts, n);
    PyMem_Free(ts);
    return cdataset_new(ds, NULL);
}

/* A dataset whose field `field` goes through a chain of transforms; the base
 * dataset and the transforms are borrowed (their Python objects are kept). */
typedef struct chain_ds {
    ct_dataset *base;
    int field, nt;
    ct_transform tfs[];
} chain_ds;

static int64_t chain_length(const ct_dataset *ds) {
    const chain_ds *c = ds->ctx;
    return ct_dataset_length(c->base);
}
static int chain_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    chain_ds *c = ds->ctx;
    if (c->base->vt->get_item(c->base, index, out) < 0) return -1;
    for (int i = 0; i < c->nt; i++) {
        ct_tensor *y = c->tfs[i].apply(c->tfs[i].ctx, out[c->field], NULL);
        if (!y) {
            for (int f = 0; f < ds->nfields; f++) {
                ct_release(out[f]);
                out[f] = NULL;
            }
            return -1;
        }
        ct_release(out[c->field]);
        out[c->field] = y;
    }
    return 0;
}
static void chain_free(ct_dataset *ds) { free(ds->ctx); }
static const ct_dataset_vtable chain_vt = {"TransformedDataset", chain_length, chain_get,
                                           chain_free};

/* _transformed_dataset(base, field, transforms) */
static PyObject *f_transformed_dataset(PyObject *m, PyObject *args) {
    PyObject *bo, *tl;
    int field;
    if (!PyArg_ParseTuple(args, "O!iO", &CDatasetType, &bo, &field, &tl)) return NULL;
    ct_dataset *base = ((CDatasetObject *)bo)->ds;
    if (field < 0 || field >= base->nfields) {
        PyErr_Format(PyExc_IndexError, "field %d is out of range for items of %d fields", field,
                     base->nfields);
        return NULL;
    }
    PyObject *seq = PySequence_Tuple(tl);
    if (!seq) return NULL;
    Py_ssize_t nt = PyTuple_GET_SIZE(seq);
    chain_ds *c = malloc(sizeof *c + sizeof(ct_transform) * (size_t)nt);
    if (!c) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    c->base = base;
    c->field = field;
    c->nt = (int)nt;
    for (Py_ssize_t i = 0; i < nt; i++) {
        PyObject *t = PyTuple_GET_ITEM(seq, i);
        if (!PyObject_TypeCheck(t, &TransformType)) {
            PyErr_Format(PyExc_TypeError, "expected C transforms, got %s", Py_TYPE(t)->tp_name);
            free(c);
            Py_DECREF(seq);
            return NULL;
        }
        c->tfs[i] = ((TransformObject *)t)->tf;
    }
    ct_dataset *ds = ct_dataset_new(&chain_vt, base->nfields, c);
    if (!ds) {
        free(c);
        Py_DECREF(seq);
        return ctpy_raise();
    }
    PyObject *keep = Py_BuildValue("(ON)", bo, seq);
    if (!keep) {
        ct_dataset_free(ds);
        return NULL;
    }
    PyObject *r = cdataset_new(ds, keep);
    Py_DECREF(keep);
    return r;
}

/* _image_folder_dataset(root, extensions): the C ImageFolder (items uint8
 * [H, W, 3] RGB, int64 target), for the C DataLoader. */
static PyObject *f_image_folder_dataset(PyObject *m, PyObject *args) {
    PyObject *ro, *eo;
    if (!PyArg_ParseTuple(args, "OO", &ro, &eo)) return NULL;
    PyObject *rb;
    if (!PyUnicode_FSConverter(ro, &rb)) return NULL;
    PyObject *seq = PySequence_Fast(eo, "extensions must be a sequence of str");
    if (!seq) {
        Py_DECREF(rb);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **exts = PyMem_Malloc(sizeof(char *) * (size_t)(n ? n : 1));
    PyObject *r = NULL;
    if (!exts) {
        r = PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        exts[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        if (!exts[i]) goto done;
    }
    ct_dataset *ds;
    const char *root = PyBytes_AS_STRING(rb);
    Py_BEGIN_ALLOW_THREADS
    ds = ct_image_folder(root, n ? exts : NULL, (int)n, CT_IMAGE_RGB, (ct_transform){NULL, NULL, NULL});
    Py_END_ALLOW_THREADS
    if (!ds) {
        PyErr_SetString(PyExc_FileNotFoundError, ct_last_error());
        ct_clear_error();
        goto done;
    }
    r = cdataset_new(ds, NULL);
done:
    PyMem_Free(exts);
    Py_DECREF(seq);
    Py_DECREF(rb);
    return r;
}

/* ------------------------------------------------------------------ _CLoader */
typedef struct {
    PyObject_HEAD
    ct_dataloader *dl;
    ct_sampler *sampler;
    PyObject *ds; /* the _CDataset */
    int nfields;
    bool busy, done;
} CLoaderObject;
static PyTypeObject CLoaderType;

static void cloader_close_impl(CLoaderObject *o) {
    ct_dataloader *dl = o->dl;
    o->dl = NULL;
    if (dl) {
        Py_BEGIN_ALLOW_THREADS
        ct_dataloader_free(dl); /* joins the workers; they never need the GIL */
        Py_END_ALLOW_THREADS
    }
    ct_sampler_free(o->sampler);
    o->sampler = NULL;
    o->done = true;
}
static void cloader_dealloc(CLoaderObject *o) {
    cloader_close_impl(o);
    Py_XDECREF(o->ds);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

/* _CLoader(dataset, indices, batch_size, drop_last, num_workers, prefetch_factor):
 * one epoch over the given indices. */
static PyObject *cloader_make(PyTypeObject *type, PyObject *dso, int64_t *idx, int64_t n,
                              long long bs, int drop_last, int nw, int pf,
                              unsigned long long seed, int pin);
static PyObject *cloader_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwl[] = {"dataset", "indices", "batch_size", "drop_last", "num_workers",
                          "prefetch_factor", "seed", "pin_memory", NULL};
    PyObject *dso, *io;
    long long bs = 1;
    unsigned long long seed = 0;
    int drop_last = 0, nw = 0, pf = 2, pin = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O|LpiiKp", kwl, &CDatasetType, &dso, &io, &bs,
                                     &drop_last, &nw, &pf, &seed, &pin))
        return NULL;
    /* indices: a 1-d int64 CPU tensor (the sampler's permutation, read
     * without making 60000 Python ints) or a sequence of ints */
    ct_tensor *it = ctpy_Tensor_Check(io) ? CTPY_T(io) : NULL;
    if (it && (it->ndim != 1 || it->dtype != CT_INT64 ||
               ct_tensor_device(it).type != CT_CPU))
        it = NULL;
    if (it) {
        int64_t n = it->sizes[0];
        int64_t *idx = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        if (!idx) return PyErr_NoMemory();
        const int64_t *src = ct_data_ptr(it);
        for (int64_t i = 0; i < n; i++) idx[i] = src[i * it->strides[0]];
        return cloader_make(type, dso, idx, n, bs, drop_last, nw, pf, seed, pin);
    }
    PyObject *seq = PySequence_Fast(io, "indices must be a sequence of ints");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int64_t *idx = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!idx) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ctpy_int("DataLoader", "index", PySequence_Fast_GET_ITEM(seq, i), &idx[i]) < 0) {
            PyMem_Free(idx);
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    return cloader_make(type, dso, idx, n, bs, drop_last, nw, pf, seed, pin);
}

/* The loader over the indices idx[0..n) (taken: freed here). */
static PyObject *cloader_make(PyTypeObject *type, PyObject *dso, int64_t *idx, int64_t n,
                              long long bs, int drop_last, int nw, int pf,
                              unsigned long long seed, int pin) {
    CLoaderObject *o = (CLoaderObject *)type->tp_alloc(type, 0);
    if (!o) {
        PyMem_Free(idx);
        return NULL;
    }
    o->ds = Py_NewRef(dso);
    ct_dataset *ds = ((CDatasetObject *)dso)->ds;
    o->nfields = ds->nfields;
    o->sampler = ct_sampler_subset(idx, n, false, 0);
    PyMem_Free(idx);
    if (!o->sampler) {
        Py_DECREF(o);
        return ctpy_raise();
    }
    ct_dataloader_options opt = {.batch_size = bs, .drop_last = drop_last, .num_workers = nw,
                                 .prefetch_factor = pf, .sampler = o->sampler, .seed = seed,
                                 .pin_memory = pin};
    if (bs < 1) {
        Py_DECREF(o);
        PyErr_Format(PyExc_ValueError, "batch_size should be a positive integer value, but got "
                     "batch_size=%lld", bs);
        return NULL;
    }
    o->dl = ct_dataloader_new(ds, &opt);
    if (!o->dl) {
        Py_DECREF(o);
        return ctpy_raise();
    }
    return (PyObject *)o;
}

static PyObject *cloader_next(CLoaderObject *o) {
    if (o->done || !o->dl) return NULL; /* StopIteration */
    if (o->busy) {
        PyErr_SetString(PyExc_RuntimeError, "DataLoader: this iterator is in use by another thread");
        return NULL;
    }
    o->busy = true;
    ct_tensor *out[CT_DATA_MAX_FIELDS] = {0};
    ct_scope sc = ct_scope_begin();
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = ct_dataloader_next(o->dl, out);
    Py_END_ALLOW_THREADS
    o->busy = false;
    if (rc == 0) { /* end of the epoch: stop the workers now */
        ct_scope_end(sc);
        cloader_close_impl(o);
        return NULL;
    }
    if (rc < 0) {
        /* the C loader ended the epoch; this iterator is finished */
        PyObject *r = ctpy_finish_tuple(sc, out, -1);
        cloader_close_impl(o);
        return r;
    }
    return ctpy_finish_tuple(sc, out, rc);
}
static PyObject *cloader_close(CLoaderObject *o, PyObject *u) {
    if (o->busy) {
        PyErr_SetString(PyExc_RuntimeError, "DataLoader: this iterator is in use by another thread");
        return NULL;
    }
    cloader_close_impl(o);
    Py_RETURN_NONE;
}
static Py_ssize_t cloader_len(CLoaderObject *o) {
    return o->dl ? (Py_ssize_t)ct_dataloader_length(o->dl) : 0;
}
static PyMethodDef cloader_methods[] = {{"close", (PyCFunction)cloader_close, METH_NOARGS, NULL},
                                        {NULL}};
static PySequenceMethods cloader_as_sequence = {.sq_length = (lenfunc)cloader_len};
static PyTypeObject CLoaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._CLoader",
    .tp_basicsize = sizeof(CLoaderObject),
    .tp_dealloc = (destructor)cloader_dealloc,
    .tp_as_sequence = &cloader_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)cloader_next,
    .tp_methods = cloader_methods,
    .tp_new = cloader_new,
};

/* ------------------------------------------------------------------ files */
static PyObject *f_idx_read(PyObject *m, PyObject *po) {
    PyObject *b;
    if (!PyUnicode_FSConverter(po, &b)) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *t;
    const char *path = PyBytes_AS_STRING(b);
    Py_BEGIN_ALLOW_THREADS
    t = ct_idx_read(path);
    Py_END_ALLOW_THREADS
    Py_DECREF(b);
    return ctpy_finish(sc, t);
}

/* ------------------------------------------------------------------ worker threads */
/* The generator a DataLoader worker thread made its default (owned). */
static _Thread_local ct_generator *worker_gen;

/* _worker_seed(seed): the calling thread gets its own default generator
 * seeded with seed (PyTorch's torch.manual_seed(base_seed + id) in a worker
 * process), leaving the process-wide one alone; None: back to the
 * process-wide one. */
static PyObject *f_worker_seed(PyObject *m, PyObject *arg) {
    if (arg == Py_None) {
        ct_set_thread_default_generator(NULL);
        ct_generator_free(worker_gen);
        worker_gen = NULL;
        Py_RETURN_NONE;
    }
    unsigned long long seed = PyLong_AsUnsignedLongLongMask(arg);
    if (PyErr_Occurred()) return NULL;
    if (!worker_gen && !(worker_gen = ct_generator_new(seed))) return ctpy_raise();
    ct_generator_manual_seed(worker_gen, seed);
    ct_set_thread_default_generator(worker_gen);
    Py_RETURN_NONE;
}

static PyMethodDef data_functions[] = {
    {"_worker_seed", f_worker_seed, METH_O, "_worker_seed(seed or None): this thread's own default generator"},
    {"_idx_read", f_idx_read, METH_O, "_idx_read(path): an IDX file (plain or gzip) as a tensor"},
    {"_tensor_dataset", f_tensor_dataset, METH_O, NULL},
    {"_transformed_dataset", f_transformed_dataset, METH_VARARGS, NULL},
    {"_transform_to_tensor", f_transform_to_tensor, METH_NOARGS, NULL},
    {"_transform_normalize", f_transform_normalize, METH_VARARGS, NULL},
    {"_ctransform", f_ctransform, METH_VARARGS, "_ctransform(kind, *params) -> _Transform"},
    {"_image_folder_dataset", f_image_folder_dataset, METH_VARARGS, NULL},
    {NULL}};

int ctpy_data_init(PyObject *m) {
    PyTypeObject *types[] = {&TransformType, &CDatasetType, &CLoaderType};
    const char *names[] = {"_Transform", "_CDataset", "_CLoader"};
    for (int i = 0; i < 3; i++) {
        if (PyType_Ready(types[i]) < 0) return -1;
        Py_INCREF(types[i]);
        if (PyModule_AddObject(m, names[i], (PyObject *)types[i]) < 0) return -1;
    }
    for (PyMethodDef *d = data_functions; d->ml_name; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, NULL);
        if (!f || PyModule_AddObject(m, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
    }
    return 0;
}
