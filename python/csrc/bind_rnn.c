/* Bindings of include/ctorch/rnn.h: ctorch._C._rnn_embedding, _rnn_cell,
 * _rnn_forward (private, positional: the Python layer in ctorch.nn does the
 * argument handling PyTorch does in Python). mode: 0 RNN_TANH, 1 RNN_RELU,
 * 2 LSTM, 3 GRU (ct_rnn_mode). */
#include "bind.h"

static int opt_t(const char *f, const char *nm, PyObject *o, ct_tensor **t) {
    *t = NULL;
    return CTPY_NOARG(o) ? 0 : ctpy_tensor_arg(f, nm, o, t);
}

/* _rnn_embedding(weight, indices, padding_idx) */
static PyObject *f_embedding(PyObject *m, PyObject *args) {
    PyObject *wo, *io;
    long long pad;
    if (!PyArg_ParseTuple(args, "OOL:_rnn_embedding", &wo, &io, &pad)) return NULL;
    ct_tensor *w, *idx;
    if (ctpy_tensor_arg("embedding", "weight", wo, &w) < 0 || ctpy_tensor_arg("embedding", "indices", io, &idx) < 0)
        return NULL;
    CTPY_RETURN(ct_embedding(w, idx, (int64_t)pad));
}

/* _rnn_cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh): h' (LSTM: (h', c')) */
static PyObject *f_cell(PyObject *m, PyObject *args) {
    int mode;
    PyObject *o[7];
    if (!PyArg_ParseTuple(args, "iOOOOOOO:_rnn_cell", &mode, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6]))
        return NULL;
    static const char *const nm[] = {"input", "hx", "cx", "weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    ct_tensor *t[7];
    for (int k = 0; k < 7; k++)
        if (((k == 0 || k == 3 || k == 4) ? ctpy_tensor_arg("rnn_cell", nm[k], o[k], &t[k])
                                          : opt_t("rnn_cell", nm[k], o[k], &t[k])) < 0)
            return NULL;
    ct_scope sc = ct_scope_begin();
    if (mode == CT_RNN_LSTM) {
        ct_tensor *r[2];
        int rc = ct_lstm_cell(t[0], t[1], t[2], t[3], t[4], t[5], t[6], &r[0], &r[1]);
        return ctpy_finish_tuple(sc, r, rc < 0 ? -1 : 2);
    }
    ct_tensor *h = mode == CT_RNN_TANH   ? ct_rnn_tanh_cell(t[0], t[1], t[3], t[4], t[5], t[6])
                   : mode == CT_RNN_RELU ? ct_rnn_relu_cell(t[0], t[1], t[3], t[4], t[5], t[6])
                   : mode == CT_RNN_GRU  ? ct_gru_cell(t[0], t[1], t[3], t[4], t[5], t[6])
                                         : (ct_set_error(CT_ERR_VALUE, "rnn_cell: unknown mode %d", mode), NULL);
    return ctpy_finish(sc, h);
}

/* _rnn_forward(mode, input, hx, cx, params, has_biases, num_layers, dropout,
 * train, bidirectional, batch_first[, has_proj, batch_sizes]): (output,
 * h_n) or (output, h_n, c_n). batch_sizes: None, or a sequence of ints
 * (input is then a packed sequence's data; ct_rnn_forward_ex). */
static PyObject *f_forward(PyObject *m, PyObject *args) {
    int mode, bias, train, bidir, bf, proj = 0;
    long long L;
    double p;
    PyObject *xo, *ho, *co, *po, *bso = Py_None;
    if (!PyArg_ParseTuple(args, "iOOOOpLdppp|pO:_rnn_forward", &mode, &xo, &ho, &co, &po, &bias, &L, &p, &train,
                          &bidir, &bf, &proj, &bso))
        return NULL;
    ct_tensor *x, *hx, *cx, **params;
    int np;
    if (ctpy_tensor_arg("rnn", "input", xo, &x) < 0 || opt_t("rnn", "hx", ho, &hx) < 0 ||
        opt_t("rnn", "cx", co, &cx) < 0)
        return NULL;
    int64_t *bs = NULL;
    Py_ssize_t nbs = 0;
    if (bso != Py_None) {
        PyObject *seq = PySequence_Fast(bso, "rnn: batch_sizes must be a sequence of ints");
        if (!seq) return NULL;
        nbs = PySequence_Fast_GET_SIZE(seq);
        bs = PyMem_Malloc(sizeof(int64_t) * (size_t)(nbs ? nbs : 1));
        for (Py_ssize_t i = 0; bs && i < nbs; i++) bs[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        Py_DECREF(seq);
        if (!bs || PyErr_Occurred()) {
            PyMem_Free(bs);
            return bs ? NULL : PyErr_NoMemory();
        }
    }
    if (ctpy_tensor_seq("rnn", po, &params, &np) < 0) {
        PyMem_Free(bs);
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r[3] = {NULL, NULL, NULL};
    int rc = ct_rnn_forward_ex((ct_rnn_mode)mode, x, hx, cx, (const ct_tensor *const *)params, np, bias, proj, L, p,
                               train, bidir, bf, bs, (int64_t)nbs, NULL, &r[0], &r[1], &r[2]);
    PyMem_Free(params);
    PyMem_Free(bs);
    return ctpy_finish_tuple(sc, r, rc < 0 ? -1 : mode == CT_RNN_LSTM ? 3 : 2);
}

PyMethodDef ctpy_rnn_functions[] = {
    {"_rnn_embedding", (PyCFunction)f_embedding, METH_VARARGS, NULL},
    {"_rnn_cell", (PyCFunction)f_cell, METH_VARARGS, NULL},
    {"_rnn_forward", (PyCFunction)f_forward, METH_VARARGS, NULL},
    {NULL}};
