/* Internal header of the CPython extension ctorch._C.
 *
 * Calling convention of every binding: open a ct_scope, convert arguments
 * (wrapped numbers land in the scope), call the engine, then ctpy_finish()
 * keeps the result (an owned reference whatever the op's ownership), ends
 * the scope and wraps it, or turns the engine's error into a Python one. */
#ifndef CTPY_H
#define CTPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ctorch/ctorch.h"

/* Tensors above this many elements run with the GIL released. */
#define CTPY_NOGIL_NUMEL 100000

typedef struct {
    PyObject_HEAD
    ct_tensor *t; /* one owned reference; t->pyobj points back here */
    PyObject *weakreflist;
} TensorObject;

typedef struct {
    PyObject_HEAD
    ct_dtype dt;
    const char *name; /* "float32" */
} DTypeObject;

typedef struct {
    PyObject_HEAD
    ct_device dev;
} DeviceObject;

extern PyTypeObject ctpy_TensorType, ctpy_DTypeType, ctpy_DeviceType, ctpy_SizeType;
extern PyObject *ctpy_dtypes[CT_NUM_DTYPES]; /* the dtype singletons */
extern PyObject *ctpy_module;

#define ctpy_Tensor_Check(o) PyObject_TypeCheck((o), &ctpy_TensorType)
#define CTPY_T(o) (((TensorObject *)(o))->t)

/* ----------------------------------------------------------- wrapping */
/* Steals an owned reference (NULL: raises the engine's error). */
PyObject *ctpy_wrap(ct_tensor *owned);
/* Keeps r, ends the scope, wraps; on NULL raises the engine's error. */
PyObject *ctpy_finish(ct_scope sc, ct_tensor *r);
/* Raises the Python exception for the engine's last error; returns NULL. */
PyObject *ctpy_raise(void);
PyObject *ctpy_exc_for(ct_error_kind k);
PyObject *ctpy_size_new(const int64_t *sizes, int n);

/* ----------------------------------------------------------- arguments */
/* names: positional-or-keyword names, then "*", then keyword-only names,
 * NULL-terminated. A name starting with '+' takes the remaining positional
 * arguments (varargs: x.view(2, 3)) into va/nva; a single sequence there is
 * unpacked by ctpy_intlist. With self != NULL, self fills slot 0. Slots not
 * given are NULL. Returns 0 or -1 with a TypeError. */
typedef struct {
    PyObject *const *va;
    Py_ssize_t nva;
} ctpy_va;
int ctpy_parse(const char *fname, const char *const *names, PyObject *self, PyObject *const *args,
               Py_ssize_t nargs, PyObject *kwnames, PyObject **out, ctpy_va *va);
#define CTPY_NOARG(o) ((o) == NULL || (o) == Py_None)

/* Converters: 0 on success, -1 with a Python error. */
int ctpy_tensor_arg(const char *fname, const char *argname, PyObject *o, ct_tensor **t);
/* A tensor or a Python number (-> wrapped number in the current scope). */
int ctpy_operand(PyObject *o, ct_tensor **t);
int ctpy_int(const char *fname, const char *argname, PyObject *o, int64_t *v);
int ctpy_double(const char *fname, const char *argname, PyObject *o, double *v);
int ctpy_bool(PyObject *o, bool *v);
int ctpy_dtype(PyObject *o, ct_dtype *dt); /* a dtype object; -1 TypeError */
/* Optional dtype: NULL/None leaves *dt unchanged and sets *given = false. */
int ctpy_opt_dtype(PyObject *o, ct_dtype *dt, bool *given);
/* Device: NULL/None/'cpu' ok; 'cuda' raises like PyTorch without CUDA. */
int ctpy_check_device(PyObject *o);
int ctpy_device(PyObject *o, ct_device *d);        /* parse; absent = CPU */
int ctpy_device_usable(PyObject *o, ct_device *d); /* parse + CUDA present */
PyObject *ctpy_device_obj(ct_device d);
PyObject *ctpy_cpu_device(void);
/* An int or a sequence of ints, or varargs of ints (va). */
int ctpy_intlist(const char *fname, PyObject *o, const ctpy_va *va, int64_t *out, int *n);
/* Sizes for factories: varargs ints, one sequence, or the 'size' keyword. */
int ctpy_shape(const char *fname, PyObject *kwsize, const ctpy_va *va, int64_t *out, int *n);
/* Python number -> wrapped number tensor in the current scope. */
ct_tensor *ctpy_scalar(PyObject *o);
int ctpy_is_number(PyObject *o);
/* Nested sequences / numbers -> tensor (torch.tensor semantics). */
ct_tensor *ctpy_from_data(PyObject *data, ct_dtype dt, bool dt_given);
PyObject *ctpy_dtype_obj(ct_dtype dt);

/* ----------------------------------------------------------- pieces */
extern PyMethodDef ctpy_tensor_methods[];
extern PyGetSetDef ctpy_tensor_getset[];
extern PyNumberMethods ctpy_tensor_as_number;
extern PyMappingMethods ctpy_tensor_as_mapping;
extern PySequenceMethods ctpy_tensor_as_sequence;
extern PyBufferProcs ctpy_tensor_as_buffer;
int ctpy_ops_init(PyObject *m);      /* generic op-table bindings */
int ctpy_interop_init(PyObject *m);  /* numpy / dlpack */
int ctpy_factory_init(PyObject *m);
PyObject *ctpy_tensor_richcompare(PyObject *a, PyObject *b, int op);
PyObject *ctpy_getitem(PyObject *self, PyObject *idx);
int ctpy_setitem(PyObject *self, PyObject *idx, PyObject *val);

/* Looks up a table op by name once (NULL when not in this build). */
const ct_op_info *ctpy_op(const char *name);
/* Runs binary table op `name` on (a, b); b/a may be Python numbers. */
PyObject *ctpy_binary(const char *name, PyObject *a, PyObject *b, int inplace);
PyObject *ctpy_unary(const char *name, PyObject *a);

/* Method tables assembled at init (generic table ops + hand-written). */
PyObject *ctpy_tensor_numpy(PyObject *self, PyObject *const *args, Py_ssize_t n, PyObject *kwn);

#endif
