/* Masks and flat indices: masked_fill, masked_select, masked_scatter,
 * nonzero, take, put. Row-major order matters for masked_select/scatter and
 * nonzero, so they work on contiguous copies where the input is not. */
#include "ops/index_internal.h"
#include "ops/pointwise_kops.h"

static bool is_mask(ct_dtype dt) { return dt == CT_BOOL || dt == CT_UINT8; }

static ct_op_args args_sizes(const ct_tensor *x) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.ndims = x->ndim;
    for (int i = 0; i < x->ndim; i++) a.dims[i] = x->sizes[i];
    return a;
}

/* t viewed at shape (right-aligned broadcast, stride 0 on new/size-1 dims). Owned. */
static ct_tensor *bview(const ct_tensor *t, const int64_t *shape, int nd) {
    int64_t st[CT_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int td = t->ndim - nd + d;
        st[d] = (td < 0 || t->sizes[td] == 1) ? 0 : t->strides[td];
    }
    return ct__tensor_new(t->storage, t->dtype, shape, st, nd, t->offset);
}

/* Contiguous copy of t broadcast to shape (owned). */
static ct_tensor *bcontig(const ct_tensor *t, const int64_t *shape, int nd) {
    ct_tensor *v = bview(t, shape, nd);
    if (!v) return NULL;
    ct_tensor *c = ct__contiguous(v);
    ct_release(v);
    return c;
}

/* The mask must broadcast to x without growing it (in-place forms). */
static int check_inplace_broadcast(const char *op, const ct_tensor *x, const ct_tensor *mask) {
    int64_t b[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes(op, x->sizes, x->ndim, mask->sizes, mask->ndim, b);
    if (nd < 0) return -1;
    if (nd != x->ndim || memcmp(b, x->sizes, sizeof(int64_t) * (size_t)nd) != 0) {
        char buf[160];
        ct_set_error(CT_ERR_RUNTIME, "%s: output with shape %s doesn't match the broadcast shape %s",
                     op, ct__shp(x), ct_shape_str(b, nd, buf, sizeof buf));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- masked_fill */

/* out = where(mask, value, out) by the GPU's elementwise kernel, value a
 * host scalar. */
static int gpu_masked_fill(ct_tensor *out, const ct_tensor *mask, double value) {
    if (!ct__cuda) {
        ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
        return -1;
    }
    ct_tensor *v = ct__empty(NULL, 0, CT_FLOAT64);
    if (!v) return -1;
    *(double *)ct_data_ptr(v) = value;
    ct_dtype dt = out->dtype;
    ct_dtype cdt = dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? CT_FLOAT32 : dt;
    const ct_tensor *in[3] = {mask, v, out};
    ct_tensor *r = ct__cuda->pw_run("masked_fill", CT_PW_WHERE, 0, out, 3, in, 0, cdt, dt, NULL);
    ct_release(v);
    return r ? 0 : -1;
}

static ct_tensor *masked_fill_impl(const ct_tensor *x, bool inplace, const ct_tensor *mask,
                                   double value, const ct_tensor *vt) {
    if (!is_mask(mask->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "masked_fill_ only supports boolean masks, but got mask with dtype %s",
                       ct_dtype_name(mask->dtype));
    if (vt) {
        if (vt->ndim != 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           "with %d dimension(s).",
                           vt->ndim);
        if (ct_item(vt, &value) < 0) return NULL;
    }
    ct_tensor *out;
    if (inplace) {
        if (check_inplace_broadcast("masked_fill_", x, mask) < 0 ||
            ct__idx_begin_inplace(true, CT_OP_masked_fill, x, vt) < 0)
            return NULL;
        out = (ct_tensor *)x;
    } else {
        int64_t b[CT_MAX_DIMS];
        int nd = ct_broadcast_shapes("masked_fill", x->sizes, x->ndim, mask->sizes, mask->ndim, b);
        if (nd < 0) return NULL;
        out = bcontig(x, b, nd);
        if (!out) return NULL;
        if (out->storage == x->storage) { /* x was already laid out so: copy it */
            ct_tensor *c = ct__to_dtype(out, out->dtype, true);
            ct_release(out);
            out = c;
            if (!out) return NULL;
        }
    }
    if (!ct__on_cpu(out) || !ct__on_cpu(mask)) {
        if (gpu_masked_fill(out, mask, value) < 0) {
            if (!inplace) ct_release(out);
            return NULL;
        }
    } else {
        ct__masked_fill(out, mask, value);
    }
    ct_op_args a = args_sizes(x);
    a.f[0] = value;
    a.b[0] = vt != NULL;
    const ct_tensor *in[2] = {x, vt};
    int nin = vt ? 2 : 1;
    if (inplace) {
        ct_bump_version(out);
        a.b[3] = true;
        if (ct__needs_grad(in, nin) && ct__ag_record(CT_OP_masked_fill, out, in, nin, &mask, 1, &a) < 0)
            return NULL;
        return out;
    }
    if (ct__needs_grad(in, nin) && ct__ag_record(CT_OP_masked_fill, out, in, nin, &mask, 1, &a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

ct_tensor *ct_masked_fill(const ct_tensor *x, const ct_tensor *mask, double value) {
    return masked_fill_impl(x, false, mask, value, NULL);
}
ct_tensor *ct_masked_fill_(ct_tensor *x, const ct_tensor *mask, double value) {
    return masked_fill_impl(x, true, mask, value, NULL);
}
ct_tensor *ct_masked_fill_tensor(const ct_tensor *x, const ct_tensor *mask, const ct_tensor *value) {
    return masked_fill_impl(x, false, mask, 0, value);
}
ct_tensor *ct_masked_fill_tensor_(ct_tensor *x, const ct_tensor *mask, const ct_tensor *value) {
    return masked_fill_impl(x, true, mask, 0, value);
}

/* ---------------------------------------------------------------- masked_select */

/* masked_select of xc and mc (contiguous, one shape, on one GPU): the
 * positions of the true elements come from the GPU's nonzero of the flat
 * mask (one synchronising read of their count, as in PyTorch), then the GPU
 * gathers them (ct__cuda->index_offsets). Owned 1-d result on x's GPU. */
static ct_tensor *gpu_masked_select(const ct_tensor *xc, const ct_tensor *mc) {
    ct_device dev = xc->storage->device;
    int64_t numel = mc->numel;
    ct_tensor *flat = ct__tensor_new(mc->storage, mc->dtype, &numel, NULL, 1, mc->offset);
    ct_tensor *pos = flat ? ct__cuda->nonzero(flat) : NULL, *offg = NULL, *src = NULL, *out = NULL;
    int rc = -1;
    ct_release(flat);
    if (!pos) return NULL;
    int64_t n = pos->sizes[0];
    offg = ct__tensor_new(pos->storage, CT_INT64, &n, NULL, 1, pos->offset);
    src = ct__tensor_new(xc->storage, xc->dtype, &n, (int64_t[]){0}, 1, xc->offset);
    out = ct__empty_on(&n, 1, xc->dtype, dev);
    if (offg && src && out) rc = ct__cuda->index_offsets(out, src, offg, false, false);
    ct_release(pos);
    ct_release(offg);
    ct_release(src);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_masked_select(const ct_tensor *x, const ct_tensor *mask) {
    ct_device xd = x->storage->device, md = mask->storage->device;
    if (xd.type != md.type || xd.index != md.index) {
        char b1[16], b2[16];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "masked_select(): Expected all tensors to be on the same device, but found "
                       "at least two devices, %s and %s!",
                       ct_device_str(xd, b1, sizeof b1), ct_device_str(md, b2, sizeof b2));
    }
    if (!is_mask(mask->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "masked_select: expected BoolTensor or ByteTensor for mask, got %s",
                       ct_dtype_name(mask->dtype));
    int64_t b[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("masked_select", x->sizes, x->ndim, mask->sizes, mask->ndim, b);
    if (nd < 0) return NULL;
    ct_tensor *xc = bcontig(x, b, nd);
    ct_tensor *mc = xc ? bcontig(mask, b, nd) : NULL;
    if (!mc) {
        ct_release(xc);
        return NULL;
    }
    ct_tensor *out;
    if (xd.type != CT_CPU) {
        out = gpu_masked_select(xc, mc);
    } else {
        int64_t n = ct__count_nonzero_bytes(ct_data_ptr(mc), mc->numel);
        out = ct__empty(&n, 1, x->dtype);
        if (out)
            ct__masked_select_contig(ct_data_ptr(out), ct_data_ptr(xc), ct_data_ptr(mc), mc->numel,
                                     ct_dtype_size(x->dtype));
    }
    ct_release(xc);
    ct_release(mc);
    if (!out) return NULL;
    ct_op_args a = args_sizes(x);
    if (ct__needs_grad(&x, 1) && ct__ag_record(CT_OP_masked_select, out, &x, 1, &mask, 1, &a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- masked_scatter */

/* Every tensor of t[0..n) on the device of t[0]; else PyTorch's error. */
static int same_device(const char *op, const ct_tensor *const *t, int n) {
    ct_device d = t[0]->storage->device;
    for (int k = 1; k < n; k++) {
        ct_device e = t[k]->storage->device;
        if (e.type != d.type || e.index != d.index) {
            char b1[16], b2[16];
            ct_set_error(CT_ERR_RUNTIME,
                         "%s(): Expected all tensors to be on the same device, but found at least "
                         "two devices, %s and %s!",
                         op, ct_device_str(d, b1, sizeof b1), ct_device_str(e, b2, sizeof b2));
            return -1;
        }
    }
    return 0;
}

/* The number of set elements of a contiguous mask, on its device. -1 on error. */
static int64_t mask_count(const ct_tensor *mc) {
    if (ct__on_cpu(mc)) return ct__count_nonzero_bytes(ct_data_ptr(mc), mc->numel);
    return ct__cuda->compact(mc, false, NULL, 0, NULL, NULL, NULL, NULL);
}

static ct_tensor *masked_scatter_impl(const ct_tensor *x, bool inplace, const ct_tensor *mask,
                                      const ct_tensor *source) {
    if (same_device("masked_scatter", (const ct_tensor *[]){x, mask, source}, 3) < 0) return NULL;
    if (!is_mask(mask->dtype))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "masked_scatter_ only supports boolean masks, but got mask with dtype %s",
                       ct_dtype_name(mask->dtype));
    if (source->dtype != x->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "masked_scatter: expected self and source to have same dtypes but got %s "
                       "and %s",
                       ct_dtype_name(x->dtype), ct_dtype_name(source->dtype));
    int64_t b[CT_MAX_DIMS];
    int nd;
    if (inplace) {
        if (check_inplace_broadcast("masked_scatter_", x, mask) < 0) return NULL;
        nd = x->ndim;
        memcpy(b, x->sizes, sizeof(int64_t) * (size_t)nd);
    } else {
        nd = ct_broadcast_shapes("masked_scatter", x->sizes, x->ndim, mask->sizes, mask->ndim, b);
        if (nd < 0) return NULL;
    }
    ct_tensor *mc = bcontig(mask, b, nd);
    if (!mc) return NULL;
    int64_t ones = mask_count(mc);
    if (ones < 0) {
        ct_release(mc);
        return NULL;
    }
    if (source->numel < ones) {
        ct_release(mc);
        return CT_FAIL(CT_ERR_RUNTIME,
                       "masked_scatter: Number of elements of source < number of ones in mask "
                       "(%lld < %lld)",
                       (long long)source->numel, (long long)ones);
    }
    /* work holds the result contiguously: a fresh copy, or x itself when
     * in place and contiguous */
    if (ct__idx_begin_inplace(inplace, CT_OP_masked_scatter, x, source) < 0) {
        ct_release(mc);
        return NULL;
    }
    ct_tensor *work;
    if (inplace && ct_is_contiguous(x)) work = ct_retain((ct_tensor *)x);
    else {
        ct_tensor *v = bview(x, b, nd);
        work = v ? ct__empty_on(b, nd, x->dtype, x->storage->device) : NULL;
        if (work && ct__copy_into(work, v) < 0) {
            ct_release(work);
            work = NULL;
        }
        ct_release(v);
    }
    /* a copy when the source shares memory with what is written */
    ct_tensor *sc = !work ? NULL
                    : source->storage == work->storage ? ct__to_dtype(source, source->dtype, true)
                                                       : ct__contiguous(source);
    if (!sc) {
        ct_release(work);
        ct_release(mc);
        return NULL;
    }
    int64_t wrc = 0;
    if (ct__on_cpu(work))
        ct__masked_scatter_contig(ct_data_ptr(work), ct_data_ptr(sc), ct_data_ptr(mc), mc->numel,
                                  ct_dtype_size(x->dtype));
    else
        wrc = ct__cuda->compact(mc, false, NULL, 0, NULL, NULL, work, sc);
    ct_release(sc);
    ct_release(mc);
    if (wrc < 0) {
        ct_release(work);
        return NULL;
    }
    ct_op_args a = args_sizes(x);
    const ct_tensor *in[2] = {x, source};
    if (inplace) {
        if (work != x) {
            ct__copy_into((ct_tensor *)x, work);
        }
        ct_release(work);
        ct_bump_version((ct_tensor *)x);
        a.b[3] = true;
        if (ct__needs_grad(in, 2) &&
            ct__ag_record(CT_OP_masked_scatter, (ct_tensor *)x, in, 2, &mask, 1, &a) < 0)
            return NULL;
        return (ct_tensor *)x;
    }
    if (ct__needs_grad(in, 2) && ct__ag_record(CT_OP_masked_scatter, work, in, 2, &mask, 1, &a) < 0) {
        ct_release(work);
        return NULL;
    }
    return ct_autorelease(work);
}

ct_tensor *ct_masked_scatter(const ct_tensor *x, const ct_tensor *mask, const ct_tensor *source) {
    return masked_scatter_impl(x, false, mask, source);
}
ct_tensor *ct_masked_scatter_(ct_tensor *x, const ct_tensor *mask, const ct_tensor *source) {
    return masked_scatter_impl(x, true, mask, source);
}

/* ---------------------------------------------------------------- nonzero */

/* nonzero of x on a GPU: the count comes to the host once (it sizes the
 * result, as in PyTorch), the coordinates are written on the GPU. Owned. */
static ct_tensor *gpu_nonzero(const ct_tensor *x) {
    ct_tensor *c = ct__contiguous(x), *pos = NULL;
    if (!c) return NULL;
    int64_t n = ct__cuda->compact(c, false, c->sizes, c->ndim, x->ndim ? &pos : NULL, NULL, NULL, NULL);
    ct_release(c);
    if (n < 0) return NULL;
    if (x->ndim) return pos;
    int64_t shape[2] = {n, 0};
    return ct__empty_on(shape, 2, CT_INT64, x->storage->device);
}

static ct_tensor *nonzero_any(const ct_tensor *x) {
    return ct__on_cpu(x) ? ct__nonzero(x) : gpu_nonzero(x);
}

ct_tensor *ct_nonzero(const ct_tensor *x) {
    ct_tensor *r = nonzero_any(x);
    return r ? ct_autorelease(r) : NULL;
}

int ct_nonzero_tuple(const ct_tensor *x, ct_tensor **out) {
    ct_tensor *nz;
    if (x->ndim == 0) {
        int64_t one = 1;
        ct_tensor *v = ct__tensor_new(x->storage, x->dtype, &one, &one, 1, x->offset);
        nz = v ? nonzero_any(v) : NULL;
        ct_release(v);
    } else {
        nz = nonzero_any(x);
    }
    if (!nz) return -1;
    int nd = (int)nz->sizes[1];
    for (int j = 0; j < nd; j++) {
        int64_t sz = nz->sizes[0], st = nd;
        out[j] = ct_autorelease(ct__tensor_new(nz->storage, CT_INT64, &sz, &st, 1, nz->offset + j));
    }
    ct_release(nz);
    return nd;
}

/* ---------------------------------------------------------------- take / put */

/* Flat offsets of index into a tensor of n elements (owned, contiguous, the
 * shape of index); NULL with PyTorch's error when one is out of range. */
static ct_tensor *flat_offsets(const char *op, const ct_tensor *index, int64_t n) {
    if (index->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "%s(): Expected a long tensor for index, but got %s", op,
                       ct_dtype_name(index->dtype));
    ct_tensor *off = ct__empty(index->sizes, index->ndim, CT_INT64);
    if (!off) return NULL;
    memset(ct_data_ptr(off), 0, sizeof(int64_t) * (size_t)off->numel);
    int64_t bad;
    if (off->numel && ct__index_add_offsets(off, index, n, 1, &bad)) {
        ct_release(off);
        return CT_FAIL(CT_ERR_INDEX, "%s(): out of range: tried to access index %lld on a tensor of %lld elements.",
                       op, (long long)bad, (long long)n);
    }
    return off;
}

/* take on a GPU: indices wrapped and bounds-checked there (the flag comes
 * back with one copy). Owned. */
static ct_tensor *gpu_take(const ct_tensor *x, const ct_tensor *index) {
    if (same_device("take", (const ct_tensor *[]){x, index}, 2) < 0) return NULL;
    if (index->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "take(): Expected a long tensor for index, but got %s",
                       ct_dtype_name(index->dtype));
    ct_tensor *xc = ct__contiguous(x), *ic = xc ? ct__contiguous(index) : NULL;
    ct_tensor *out = ic ? ct__empty_on(index->sizes, index->ndim, x->dtype, x->storage->device) : NULL;
    int64_t bad = 0;
    int rc = out ? ct__cuda->take(out, xc, ic, &bad) : -1;
    ct_release(xc);
    ct_release(ic);
    if (rc != 0) {
        ct_release(out);
        if (rc > 0)
            ct_set_error(CT_ERR_INDEX,
                         "take(): out of range: tried to access index %lld on a tensor of %lld "
                         "elements.",
                         (long long)bad, (long long)x->numel);
        return NULL;
    }
    return out;
}

ct_tensor *ct_take(const ct_tensor *x, const ct_tensor *index) {
    if (!ct__on_cpu(x) || !ct__on_cpu(index)) {
        ct_tensor *out = gpu_take(x, index);
        if (!out) return NULL;
        ct_op_args a = args_sizes(x);
        const ct_tensor *ex[1] = {index};
        if (ct__needs_grad(&x, 1) && ct__ag_record(CT_OP_take, out, &x, 1, ex, 1, &a) < 0) {
            ct_release(out);
            return NULL;
        }
        return ct_autorelease(out);
    }
    ct_tensor *off = flat_offsets("take", index, x->numel);
    if (!off) return NULL;
    ct_tensor *xc = ct__contiguous(x);
    ct_tensor *out = xc ? ct__empty(index->sizes, index->ndim, x->dtype) : NULL;
    int64_t zero[CT_MAX_DIMS] = {0};
    ct_tensor *src = out ? ct__tensor_new(xc->storage, x->dtype, index->sizes, zero, index->ndim, xc->offset) : NULL;
    if (src) ct__index_gather_offsets(out, src, off);
    ct_release(src);
    ct_release(xc);
    if (!src) {
        ct_release(out);
        ct_release(off);
        return NULL;
    }
    ct_op_args a = args_sizes(x);
    const ct_tensor *ex[1] = {index};
    int rc = ct__needs_grad(&x, 1) ? ct__ag_record(CT_OP_take, out, &x, 1, ex, 1, &a) : 0;
    ct_release(off);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

static ct_tensor *put_impl(const ct_tensor *x, bool inplace, const ct_tensor *index,
                           const ct_tensor *source, bool accumulate) {
    if (source->dtype != x->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "put_(): self and source expected to have the same dtype, but got "
                       "self.dtype = %s and source.dtype = %s",
                       ct_dtype_name(x->dtype), ct_dtype_name(source->dtype));
    if (source->numel != index->numel)
        return CT_FAIL(CT_ERR_INDEX,
                       "put_(): Expected source and index to have the same number of elements, "
                       "but got source.numel() = %lld, index.numel() = %lld",
                       (long long)source->numel, (long long)index->numel);
    if (same_device("put_", (const ct_tensor *[]){x, index, source}, 3) < 0) return NULL;
    /* on a GPU the offsets are computed and checked on the CPU from one copy
     * of the indices, then move back (as for advanced indexing) */
    ct_device dev = x->storage->device;
    ct_tensor *ih = ct__on_cpu(index) ? ct_retain((ct_tensor *)index)
                                      : ct__empty(index->sizes, index->ndim, index->dtype);
    if (!ih || (ih != index && ct__copy_into(ih, index) < 0)) {
        ct_release(ih);
        return NULL;
    }
    ct_tensor *off = flat_offsets("put_", ih, x->numel);
    ct_release(ih);
    if (off && dev.type != CT_CPU) {
        ct_tensor *g = ct__empty_on(off->sizes, off->ndim, CT_INT64, dev);
        if (g && ct__copy_into(g, off) < 0) {
            ct_release(g);
            g = NULL;
        }
        ct_release(off);
        off = g;
    }
    if (!off) return NULL;
    if (ct__idx_begin_inplace(inplace, CT_OP_put, x, source) < 0) {
        ct_release(off);
        return NULL;
    }
    /* the destination as a contiguous buffer (x itself when it is one) */
    ct_tensor *work = (inplace && ct_is_contiguous(x)) ? ct_retain((ct_tensor *)x)
                                                       : ct__to_dtype(x, x->dtype, true);
    /* a copy when the source shares memory with what is written */
    ct_tensor *sc = !work ? NULL
                    : source->storage == work->storage ? ct__to_dtype(source, source->dtype, true)
                                                       : ct__contiguous(source);
    if (sc) {
        int64_t m = index->numel, zero = 0, one = 1;
        ct_tensor *dv = ct__tensor_new(work->storage, x->dtype, &m, &zero, 1, work->offset);
        ct_tensor *vv = ct__tensor_new(sc->storage, x->dtype, &m, &one, 1, sc->offset);
        ct_tensor *ov = ct__tensor_new(off->storage, CT_INT64, &m, &one, 1, off->offset);
        int rc = dv && vv && ov ? 0 : -1;
        if (rc == 0 && m) {
            if (dev.type == CT_CPU) ct__index_put_offsets(dv, vv, ov, accumulate);
            else rc = ct__cuda->index_offsets(dv, vv, ov, true, accumulate);
        }
        ct_release(dv);
        ct_release(vv);
        ct_release(ov);
        if (rc < 0) {
            ct_release(sc);
            sc = NULL;
            ct_release(work);
            work = NULL;
        }
    }
    ct_release(sc);
    ct_release(off);
    if (!work) return NULL;
    ct_op_args a = args_sizes(x);
    a.b[1] = accumulate;
    const ct_tensor *in[2] = {x, source};
    const ct_tensor *ex[1] = {index};
    if (inplace) {
        if (work != x) ct__copy_into((ct_tensor *)x, work);
        ct_release(work);
        ct_bump_version((ct_tensor *)x);
        a.b[3] = true;
        if (ct__needs_grad(in, 2) && ct__ag_record(CT_OP_put, (ct_tensor *)x, in, 2, ex, 1, &a) < 0)
            return NULL;
        return (ct_tensor *)x;
    }
    if (ct__needs_grad(in, 2) && ct__ag_record(CT_OP_put, work, in, 2, ex, 1, &a) < 0) {
        ct_release(work);
        return NULL;
    }
    return ct_autorelease(work);
}

ct_tensor *ct_put(const ct_tensor *x, const ct_tensor *index, const ct_tensor *source,
                  bool accumulate) {
    return put_impl(x, false, index, source, accumulate);
}
ct_tensor *ct_put_(ct_tensor *x, const ct_tensor *index, const ct_tensor *source, bool accumulate) {
    return put_impl(x, true, index, source, accumulate);
}
