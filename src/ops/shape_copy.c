/* Rearranging copies: flip, roll, repeat, tile, repeat_interleave, tril,
 * triu, pad. Most are one or a few strided copies (ct__copy_into) between
 * views of the input and views of a new output, so every dtype and layout
 * goes through the copy kernels; tril/triu and index-driven repeats use the
 * byte kernels of src/kernels/cpu/shape.c. On a GPU the copies run there
 * (ct__copy_into), tril/triu zero the band with ct__cuda->tri and the
 * index-driven repeats gather with ct__sg_run. */
#include "ops/shape_internal.h"
#include "ops/index_internal.h"
#include "autograd/inplace.h"

static ct_tensor *raw_view(const ct_tensor *t, const int64_t *sizes, const int64_t *strides,
                           int ndim, int64_t offset) {
    return ct__tensor_new(t->storage, t->dtype, sizes, strides, ndim, offset);
}

/* Copies src (broadcast) into a view of dst; 0 or -1. */
static int copy_view(const ct_tensor *dst, const int64_t *sizes, const int64_t *strides,
                     int ndim, int64_t offset, const ct_tensor *src) {
    ct_tensor *v = raw_view(dst, sizes, strides, ndim, offset);
    if (!v) return -1;
    int rc = ct__copy_into(v, src);
    ct_release(v);
    return rc;
}

static ct_tensor *record1(ct_tensor *out, int op, const ct_tensor *x, const ct_tensor *extra,
                          const ct_op_args *a) {
    if (!out) return NULL;
    const ct_tensor *ex[1] = {extra};
    if (ct__needs_grad(&x, 1) &&
        ct__ag_record(op, out, &x, 1, extra ? ex : NULL, extra ? 1 : 0, a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- flip */
ct_tensor *ct_flip(const ct_tensor *x, const int *dims, int ndims) {
    bool seen[CT_MAX_DIMS] = {0};
    int64_t st[CT_MAX_DIMS];
    int64_t off = x->offset;
    memcpy(st, x->strides, sizeof(int64_t) * (size_t)x->ndim);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    for (int k = 0; k < ndims; k++) {
        int d = ct_wrap_dim("flip", dims[k], x->ndim);
        if (d < 0) return NULL;
        if (x->ndim == 0) continue;
        if (seen[d]) return CT_FAIL(CT_ERR_RUNTIME, "dim %d appears multiple times in the list of dims", d);
        seen[d] = true;
        a.dims[a.ndims++] = d;
        if (x->sizes[d] > 0) off += (x->sizes[d] - 1) * st[d];
        st[d] = -st[d];
    }
    a.i[0] = a.ndims;
    /* any device: the copy of the reversed view runs there */
    ct_tensor *out = ct__empty_on(x->sizes, x->ndim, x->dtype, x->storage->device);
    if (!out) return NULL;
    if (x->numel > 0) {
        ct_tensor *rev = raw_view(x, x->sizes, st, x->ndim, off);
        int rc = rev ? ct__copy_into(out, rev) : -1;
        ct_release(rev);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    }
    return record1(out, CT_OP_flip, x, NULL, &a);
}

ct_tensor *ct_fliplr(const ct_tensor *x) {
    if (x->ndim < 2) return CT_FAIL(CT_ERR_RUNTIME, "fliplr: Input must be >= 2-d.");
    return ct_flip(x, (const int[]){1}, 1);
}

ct_tensor *ct_flipud(const ct_tensor *x) {
    if (x->ndim < 1) return CT_FAIL(CT_ERR_RUNTIME, "flipud: Input must be >= 1-d.");
    return ct_flip(x, (const int[]){0}, 1);
}

ct_tensor *ct_rot90(const ct_tensor *x, int64_t k, const int *dims, int ndims) {
    int dd[2] = {0, 1};
    if (dims) {
        if (ndims != 2)
            return CT_FAIL(CT_ERR_RUNTIME, "expected total rotation dims == 2, but got dims = %d",
                           ndims);
        dd[0] = dims[0];
        dd[1] = dims[1];
    }
    if (x->ndim < 2)
        return CT_FAIL(CT_ERR_RUNTIME, "expected total dims >= 2, but got total dims = %d", x->ndim);
    int diff = dd[0] - dd[1];
    if (dd[0] == dd[1] || diff == x->ndim || -diff == x->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "expected rotation dims to be different, but got dim0 = %d and dim1 = %d",
                       dd[0], dd[1]);
    int d0 = ct_wrap_dim("rot90", dd[0], x->ndim), d1 = ct_wrap_dim("rot90", dd[1], x->ndim);
    if (d0 < 0 || d1 < 0) return NULL;
    k = ((k % 4) + 4) % 4;
    ct_scope s = ct_scope_begin();
    ct_tensor *r;
    if (k == 1) {
        r = ct_flip(x, &d1, 1);
        if (r) r = ct_transpose(r, d0, d1);
    } else if (k == 2) {
        r = ct_flip(x, (const int[]){d0, d1}, 2);
    } else if (k == 3) {
        r = ct_flip(x, &d0, 1);
        if (r) r = ct_transpose(r, d0, d1);
    } else {
        r = ct_clone(x);
    }
    if (r) ct_keep(r);
    ct_scope_end(s);
    return r ? ct_autorelease(r) : NULL;
}

/* ---------------------------------------------------------------- roll */
/* Rolls src along d by shift into a new owned tensor (two block copies). */
static ct_tensor *roll_one(const ct_tensor *src, int d, int64_t shift) {
    ct_tensor *out = ct__empty_on(src->sizes, src->ndim, src->dtype, src->storage->device);
    if (!out || src->numel == 0) return out;
    int64_t n = src->sizes[d];
    int64_t s = ((shift % n) + n) % n;
    int nd = src->ndim;
    int64_t ps[CT_MAX_DIMS];
    memcpy(ps, src->sizes, sizeof(int64_t) * (size_t)nd);
    /* out[s:] = src[:n-s], out[:s] = src[n-s:] */
    if (n - s > 0) {
        ps[d] = n - s;
        ct_tensor *a = raw_view(src, ps, src->strides, nd, src->offset);
        int rc = a ? copy_view(out, ps, out->strides, nd, s * out->strides[d], a) : -1;
        ct_release(a);
        if (rc < 0) goto fail;
    }
    if (s > 0) {
        ps[d] = s;
        ct_tensor *b = raw_view(src, ps, src->strides, nd, src->offset + (n - s) * src->strides[d]);
        int rc = b ? copy_view(out, ps, out->strides, nd, 0, b) : -1;
        ct_release(b);
        if (rc < 0) goto fail;
    }
    return out;
fail:
    ct_release(out);
    return NULL;
}

ct_tensor *ct_roll(const ct_tensor *x, const int64_t *shifts, int nshifts, const int *dims,
                   int ndims) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    if (ndims == 0) {
        if (nshifts != 1)
            return CT_FAIL(CT_ERR_RUNTIME, "shifts and dimensions must align. shifts: %d, dims:%d",
                           nshifts, ndims);
        /* roll the flattened tensor, then give it x's shape back */
        int64_t flat[1] = {x->numel};
        ct_tensor *c = ct__contiguous(x);
        ct_tensor *f = c ? raw_view(c, flat, NULL, 1, c->offset) : NULL;
        ct_release(c);
        if (!f) return NULL;
        ct_tensor *r = roll_one(f, 0, shifts[0]);
        ct_release(f);
        if (!r) return NULL;
        ct_tensor *out = raw_view(r, x->sizes, NULL, x->ndim, r->offset);
        ct_release(r);
        a.i[0] = 0;
        a.i[1] = shifts[0];
        return record1(out, CT_OP_roll, x, NULL, &a);
    }
    if (nshifts != ndims)
        return CT_FAIL(CT_ERR_RUNTIME, "shifts and dimensions must align. shifts: %d, dims:%d",
                       nshifts, ndims);
    int wd[CT_MAX_DIMS * 2];
    if (ndims > 2 * CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "roll: too many dims (%d)", ndims);
    for (int k = 0; k < ndims; k++) {
        wd[k] = ct_wrap_dim("roll", dims[k], x->ndim);
        if (wd[k] < 0) return NULL;
    }
    if (x->ndim == 0) return record1(ct__to_dtype(x, x->dtype, true), CT_OP_roll, x, NULL, &a);
    ct_tensor *cur = ct_retain((ct_tensor *)x);
    for (int k = 0; k < ndims; k++) {
        ct_tensor *nx = roll_one(cur, wd[k], shifts[k]);
        ct_release(cur);
        if (!nx) return NULL;
        cur = nx;
    }
    a.i[0] = ndims;
    if (ndims <= CT_MAX_DIMS / 2) {
        a.ndims = 2 * ndims;
        for (int k = 0; k < ndims; k++) {
            a.dims[k] = wd[k];
            a.dims[ndims + k] = shifts[k];
        }
    } else if (ct__needs_grad(&x, 1)) {
        ct_release(cur);
        return CT_FAIL(CT_ERR_NOT_IMPL, "roll: autograd records at most %d (shift, dim) pairs",
                       CT_MAX_DIMS / 2);
    }
    return record1(cur, CT_OP_roll, x, NULL, &a);
}

/* ---------------------------------------------------------------- repeat, tile */
static ct_tensor *repeat_impl(const ct_tensor *x, const int64_t *reps, int nr, int op) {
    const char *name = op == CT_OP_tile ? "tile" : "repeat";
    if (nr < x->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Number of dimensions of repeat dims can not be smaller than number of "
                       "dimensions of tensor");
    if (nr > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "%s: too many dims (%d)", name, nr);
    int lead = nr - x->ndim;
    int64_t xs[CT_MAX_DIMS], xst[CT_MAX_DIMS], os[CT_MAX_DIMS];
    for (int i = 0; i < nr; i++) {
        xs[i] = i < lead ? 1 : x->sizes[i - lead];
        xst[i] = i < lead ? 0 : x->strides[i - lead];
        os[i] = xs[i] * reps[i];
    }
    for (int i = 0; i < nr; i++)
        if (os[i] < 0 || reps[i] < 0) {
            char b[256];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Trying to create tensor with negative dimension %lld: %s",
                           (long long)(os[i] < 0 ? os[i] : reps[i]),
                           ct_shape_str(os, nr, b, sizeof b));
        }
    ct_tensor *out = ct__empty_on(os, nr, x->dtype, x->storage->device);
    if (!out || out->numel == 0) goto done;
    /* out viewed as [r0, s0, r1, s1, ...] (dims with r = 1 stay single)
     * receives x viewed as [r0 (stride 0), s0, ...] */
    int64_t vs[CT_MAX_DIMS], vst[CT_MAX_DIMS], ss[CT_MAX_DIMS], sst[CT_MAX_DIMS];
    int m = 0;
    for (int i = 0; i < nr; i++) {
        if (reps[i] != 1) {
            if (m >= CT_MAX_DIMS) {
                ct_release(out);
                return CT_FAIL(CT_ERR_NOT_IMPL,
                               "%s: more than %d dims after splitting repeated dims", name,
                               CT_MAX_DIMS);
            }
            vs[m] = reps[i];
            vst[m] = xs[i] * out->strides[i];
            ss[m] = reps[i];
            sst[m] = 0;
            m++;
        }
        if (m >= CT_MAX_DIMS) {
            ct_release(out);
            return CT_FAIL(CT_ERR_NOT_IMPL, "%s: more than %d dims after splitting repeated dims",
                           name, CT_MAX_DIMS);
        }
        vs[m] = xs[i];
        vst[m] = out->strides[i];
        ss[m] = xs[i];
        sst[m] = xst[i];
        m++;
    }
    {
        ct_tensor *src = raw_view(x, ss, sst, m, x->offset);
        int rc = src ? copy_view(out, vs, vst, m, 0, src) : -1;
        ct_release(src);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    }
done:
    if (!out) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.ndims = nr;
    for (int i = 0; i < nr; i++) a.dims[i] = reps[i];
    return record1(out, CT_OP_repeat, x, NULL, &a);
}

ct_tensor *ct_repeat(const ct_tensor *x, const int64_t *repeats, int nrepeats) {
    return repeat_impl(x, repeats, nrepeats, CT_OP_repeat);
}

ct_tensor *ct_tile(const ct_tensor *x, const int64_t *reps, int nreps) {
    if (nreps >= x->ndim) return repeat_impl(x, reps, nreps, CT_OP_tile);
    int64_t full[CT_MAX_DIMS];
    int lead = x->ndim - nreps;
    for (int i = 0; i < x->ndim; i++) full[i] = i < lead ? 1 : reps[i - lead];
    return repeat_impl(x, full, x->ndim, CT_OP_tile);
}

/* ---------------------------------------------------------------- repeat_interleave */
/* x (or x flattened when dim is None) and the wrapped dim. Owned. */
static ct_tensor *interleave_input(const ct_tensor *x, int dim, int *d, const char *op) {
    if (dim == CT_DIM_NONE) {
        ct_tensor *c = ct__contiguous(x);
        if (!c) return NULL;
        int64_t flat[1] = {x->numel};
        ct_tensor *f = raw_view(c, flat, NULL, 1, c->offset);
        ct_release(c);
        *d = 0;
        return f;
    }
    *d = ct_wrap_dim(op, dim, x->ndim);
    if (*d < 0) return NULL;
    if (x->ndim == 0) { /* a 0-d input behaves as its 1-element flattening */
        int64_t one[1] = {1};
        return raw_view(x, one, NULL, 1, x->offset);
    }
    return ct_retain((ct_tensor *)x);
}

/* The source row of each of the total rows of out along d (row i of src
 * repeated r[i] times), as an int64 tensor on the CPU. Owned. */
static ct_tensor *interleave_rows(const int64_t *r, int64_t nr, int64_t total) {
    ct_tensor *t = ct__empty(&total, 1, CT_INT64);
    if (!t) return NULL;
    int64_t *idx = ct_data_ptr(t);
    for (int64_t i = 0, p = 0; i < nr; i++)
        for (int64_t k = 0; k < r[i]; k++) idx[p++] = i;
    return t;
}

/* out (on src's GPU) = rows of src along d gathered by the row list,
 * which moves to the GPU once (the gather of ct__sg_run). 0 or -1. */
static int gpu_take_rows(ct_tensor *out, const ct_tensor *src, int d, const int64_t *r, int64_t nr,
                         int64_t total) {
    ct_tensor *h = interleave_rows(r, nr, total);
    ct_tensor *g = h ? ct__empty_on(&total, 1, CT_INT64, src->storage->device) : NULL;
    int rc = g ? ct__copy_into(g, h) : -1;
    ct_release(h);
    if (rc == 0) {
        int64_t st[CT_MAX_DIMS] = {0};
        st[d] = 1;
        ct_tensor *ev = ct__tensor_new(g->storage, CT_INT64, out->sizes, st, out->ndim, g->offset);
        int64_t bad = 0;
        rc = ev ? ct__sg_run(CT__SG_GATHER, (ct_tensor *)src, ev, out, d, 0, &bad) : -1;
        if (rc > 0) {
            ct_set_error(CT_ERR_RUNTIME, "repeat_interleave: internal error: row %lld",
                         (long long)bad);
            rc = -1;
        }
        ct_release(ev);
    }
    ct_release(g);
    return rc;
}

/* out = src with index i of dim d repeated r[i] times (a row gather on the
 * contiguous source). Owned. */
static ct_tensor *interleave_take(const ct_tensor *src, int d, const int64_t *r, int64_t nr) {
    int64_t total = 0;
    for (int64_t i = 0; i < nr; i++) total += r[i];
    int64_t os[CT_MAX_DIMS];
    memcpy(os, src->sizes, sizeof(int64_t) * (size_t)src->ndim);
    os[d] = total;
    ct_tensor *out = ct__empty_on(os, src->ndim, src->dtype, src->storage->device);
    if (!out || out->numel == 0) return out;
    if (!ct__on_cpu(src)) {
        if (gpu_take_rows(out, src, d, r, nr, total) < 0) {
            ct_release(out);
            return NULL;
        }
        return out;
    }
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)total);
    ct_tensor *c = idx ? ct__contiguous(src) : NULL;
    if (!c) {
        if (!idx) ct_set_error(CT_ERR_MEMORY, "repeat_interleave: out of memory");
        free(idx);
        ct_release(out);
        return NULL;
    }
    for (int64_t i = 0, p = 0; i < nr; i++)
        for (int64_t k = 0; k < r[i]; k++) idx[p++] = i;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < d; i++) outer *= src->sizes[i];
    for (int i = d + 1; i < src->ndim; i++) inner *= src->sizes[i];
    ct__take_rows(ct_data_ptr(out), ct_data_ptr(c), outer, nr, total,
                  (size_t)inner * ct_dtype_size(src->dtype), idx);
    free(idx);
    ct_release(c);
    return out;
}

ct_tensor *ct_repeat_interleave(const ct_tensor *x, int64_t repeats, int dim) {
    if (repeats < 0) return CT_FAIL(CT_ERR_RUNTIME, "repeats can not be negative");
    int d;
    ct_tensor *src = interleave_input(x, dim, &d, "repeat_interleave");
    if (!src) return NULL;
    int64_t n = src->sizes[d];
    int64_t *r = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    ct_tensor *out = NULL;
    if (!r) {
        ct_set_error(CT_ERR_MEMORY, "repeat_interleave: out of memory");
    } else {
        for (int64_t i = 0; i < n; i++) r[i] = repeats;
        out = interleave_take(src, d, r, n);
    }
    free(r);
    ct_release(src);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = repeats;
    a.i[1] = d;
    a.b[0] = dim == CT_DIM_NONE;
    return record1(out, CT_OP_repeat_interleave, x, NULL, &a);
}

/* Reads a 0-d/1-d integer repeats tensor into a malloc'ed int64 array. */
static int64_t *read_repeats(const ct_tensor *r, int64_t *n) {
    if (r->ndim > 1) {
        ct_set_error(CT_ERR_RUNTIME, "repeats must be 0-dim or 1-dim tensor");
        return NULL;
    }
    if (r->dtype != CT_INT64 && r->dtype != CT_INT32) {
        ct_set_error(CT_ERR_RUNTIME, "\"repeat_interleave_cpu\" not implemented for '%s'",
                     ct__torch_type_name(r->dtype));
        return NULL;
    }
    *n = r->numel;
    /* repeats on a GPU are read from one host copy (the output size needs them) */
    ct_tensor *h = ct__on_cpu(r) ? ct_retain((ct_tensor *)r) : ct__empty(r->sizes, r->ndim, r->dtype);
    if (!h || (h != r && ct__copy_into(h, r) < 0)) {
        ct_release(h);
        return NULL;
    }
    int64_t *v = malloc(sizeof(int64_t) * (size_t)(r->numel ? r->numel : 1));
    if (!v) {
        ct_release(h);
        ct_set_error(CT_ERR_MEMORY, "repeat_interleave: out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < r->numel; i++) {
        v[i] = ct_item_at_int(h, i);
        if (v[i] < 0) {
            free(v);
            ct_release(h);
            ct_set_error(CT_ERR_RUNTIME, "repeats can not be negative");
            return NULL;
        }
    }
    ct_release(h);
    return v;
}

ct_tensor *ct_repeat_interleave_self(const ct_tensor *repeats) {
    if (repeats->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "repeat_interleave only accept 1D vector as repeat");
    int64_t n;
    int64_t *r = read_repeats(repeats, &n);
    if (!r) return NULL;
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) total += r[i];
    ct_tensor *out = interleave_rows(r, n, total);
    free(r);
    if (out && !ct__on_cpu(repeats)) { /* the result lives with repeats */
        ct_tensor *g = ct__empty_on(&total, 1, CT_INT64, repeats->storage->device);
        if (g && ct__copy_into(g, out) < 0) {
            ct_release(g);
            g = NULL;
        }
        ct_release(out);
        out = g;
    }
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_repeat_interleave_tensor(const ct_tensor *x, const ct_tensor *repeats, int dim) {
    int64_t nr;
    int64_t *r = read_repeats(repeats, &nr);
    if (!r) return NULL;
    if (nr == 1) { /* one repeat count for every element */
        int64_t k = r[0];
        free(r);
        ct_tensor *out = ct_repeat_interleave(x, k, dim);
        return out;
    }
    int d;
    ct_tensor *src = interleave_input(x, dim, &d, "repeat_interleave");
    if (!src) {
        free(r);
        return NULL;
    }
    ct_tensor *out = NULL;
    if (nr != src->sizes[d])
        ct_set_error(CT_ERR_RUNTIME, "repeats must have the same size as input along dim");
    else out = interleave_take(src, d, r, nr);
    free(r);
    ct_release(src);
    if (!out) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[1] = d;
    a.b[0] = dim == CT_DIM_NONE;
    return record1(out, CT_OP_repeat_interleave, x, repeats, &a);
}

/* ---------------------------------------------------------------- tril, triu */
/* Zeroes the contiguous t outside the band, on t's device. 0 or -1. */
static int tri_zero(ct_tensor *t, int64_t k, bool upper) {
    if (t->numel == 0) return 0;
    if (!ct__on_cpu(t)) return ct__cuda->tri(t, k, upper);
    int64_t rows = t->sizes[t->ndim - 2], cols = t->sizes[t->ndim - 1];
    ct__tri_zero(ct_data_ptr(t), t->numel / (rows * cols), rows, cols, ct_dtype_size(t->dtype), k,
                 upper);
    return 0;
}

static ct_tensor *tri(const ct_tensor *x, int64_t k, bool upper) {
    const char *op = upper ? "triu" : "tril";
    if (x->ndim == 0)
        return CT_FAIL(CT_ERR_INDEX, "%s: Dimension specified as -2 but tensor has no dimensions", op);
    if (x->ndim < 2) {
        if (ct_wrap_dim(op, -2, x->ndim) < 0) return NULL;
        return CT_FAIL(CT_ERR_RUNTIME, "%s: input tensor must have at least 2 dimensions", op);
    }
    ct_tensor *out = ct__to_dtype(x, x->dtype, true);
    if (!out) return NULL;
    if (tri_zero(out, k, upper) < 0) {
        ct_release(out);
        return NULL;
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = k;
    return record1(out, upper ? CT_OP_triu : CT_OP_tril, x, NULL, &a);
}

ct_tensor *ct_tril(const ct_tensor *x, int64_t diagonal) { return tri(x, diagonal, false); }
ct_tensor *ct_triu(const ct_tensor *x, int64_t diagonal) { return tri(x, diagonal, true); }

static ct_tensor *tri_(ct_tensor *x, int64_t k, bool upper) {
    const char *op = upper ? "triu_" : "tril_";
    if (x->ndim == 0)
        return CT_FAIL(CT_ERR_INDEX, "%s: Dimension specified as -2 but tensor has no dimensions", op);
    if (x->ndim < 2) {
        if (ct_wrap_dim(op, -2, x->ndim) < 0) return NULL;
        return CT_FAIL(CT_ERR_RUNTIME, "%s: input tensor must have at least 2 dimensions", op);
    }
    const ct_tensor *in = x;
    if (ct__needs_grad(&in, 1) && ct__ag_inplace_begin(upper ? CT_OP_triu : CT_OP_tril, x, &in, 1) < 0)
        return NULL;
    if (x->numel > 0) {
        if (ct_is_contiguous(x)) {
            if (tri_zero(x, k, upper) < 0) return NULL;
        } else { /* zero a contiguous copy and write it back */
            ct_tensor *c = ct__to_dtype(x, x->dtype, true);
            if (!c) return NULL;
            int rc = tri_zero(c, k, upper);
            if (rc == 0) rc = ct__copy_into(x, c);
            ct_release(c);
            if (rc < 0) return NULL;
        }
    }
    ct_bump_version(x);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = k;
    if (ct__needs_grad(&in, 1) &&
        ct__ag_record(upper ? CT_OP_triu : CT_OP_tril, x, &in, 1, NULL, 0, &a) < 0)
        return NULL;
    return x;
}

ct_tensor *ct_tril_(ct_tensor *x, int64_t diagonal) { return tri_(x, diagonal, false); }
ct_tensor *ct_triu_(ct_tensor *x, int64_t diagonal) { return tri_(x, diagonal, true); }

/* ---------------------------------------------------------------- pad */
enum { PAD_CONSTANT, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR };

static ct_tensor *pad_constant(const ct_tensor *x, const int64_t *pad, int npad, double value) {
    int nd = x->ndim;
    if (npad / 2 > nd) return CT_FAIL(CT_ERR_RUNTIME, "Padding length too large");
    int64_t os[CT_MAX_DIMS], ss[CT_MAX_DIMS];
    int64_t src_off = x->offset;
    memcpy(os, x->sizes, sizeof(int64_t) * (size_t)nd);
    memcpy(ss, x->sizes, sizeof(int64_t) * (size_t)nd);
    for (int p = 0; p < npad / 2; p++) {
        int d = nd - 1 - p;
        int64_t l = pad[2 * p], r = pad[2 * p + 1], n = x->sizes[d];
        os[d] = n + l + r;
        if (os[d] < 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "The input size %lld, plus negative padding %lld and %lld resulted in "
                           "a negative output size, which is invalid. Check dimension %d of your "
                           "input.",
                           (long long)n, (long long)l, (long long)r, d);
        int64_t cl = l < 0 ? -l : 0, cr = r < 0 ? -r : 0;
        ss[d] = n - cl - cr;
        if (ss[d] < 0) ss[d] = 0;
        src_off += cl * x->strides[d];
    }
    ct_tensor *out = ct__empty_on(os, nd, x->dtype, x->storage->device);
    if (!out) return NULL;
    size_t isz = ct_dtype_size(x->dtype);
    if (out->numel > 0 && !ct__on_cpu(out)) {
        if (ct__cuda->fill(out, value) < 0) {
            ct_release(out);
            return NULL;
        }
    } else if (out->numel > 0) {
        char elem[8];
        ct__store_f64(elem, x->dtype, value);
        ct__fill_bytes(ct_data_ptr(out), out->numel, elem, isz);
    }
    bool any = true;
    for (int i = 0; i < nd; i++) any = any && ss[i] > 0;
    if (any && x->numel > 0) {
        int64_t off = 0;
        for (int p = 0; p < npad / 2; p++) {
            int d = nd - 1 - p;
            if (pad[2 * p] > 0) off += pad[2 * p] * out->strides[d];
        }
        ct_tensor *src = raw_view(x, ss, x->strides, nd, src_off);
        int rc = src ? copy_view(out, ss, out->strides, nd, off, src) : -1;
        ct_release(src);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
    }
    return out;
}

/* Pads dim d of cur by (l, r) >= 0 in the given mode; returns a new owned tensor. */
static ct_tensor *pad_dim(const ct_tensor *cur, int d, int64_t l, int64_t r, int mode) {
    int nd = cur->ndim;
    int64_t w = cur->sizes[d], sd = cur->strides[d];
    int64_t os[CT_MAX_DIMS];
    memcpy(os, cur->sizes, sizeof(int64_t) * (size_t)nd);
    os[d] = w + l + r;
    ct_tensor *out = ct__empty_on(os, nd, cur->dtype, cur->storage->device);
    if (!out || out->numel == 0) return out;
    int64_t od = out->strides[d];
    int64_t ps[CT_MAX_DIMS], pst[CT_MAX_DIMS];
    memcpy(ps, cur->sizes, sizeof(int64_t) * (size_t)nd);
    memcpy(pst, cur->strides, sizeof(int64_t) * (size_t)nd);
    /* middle */
    if (copy_view(out, cur->sizes, out->strides, nd, l * od, cur) < 0) goto fail;
    for (int side = 0; side < 2; side++) {
        int64_t len = side == 0 ? l : r;
        if (len == 0) continue;
        int64_t dst = side == 0 ? 0 : (l + w) * od;
        int64_t src_off = cur->offset;
        ps[d] = len;
        pst[d] = sd;
        if (mode == PAD_REFLECT) {
            /* left: cur[l], cur[l-1], ..., cur[1]; right: cur[w-2], ..., cur[w-1-r] */
            src_off += (side == 0 ? l : w - 2) * sd;
            pst[d] = -sd;
        } else if (mode == PAD_REPLICATE) {
            src_off += (side == 0 ? 0 : w - 1) * sd;
            pst[d] = 0;
        } else { /* circular: left takes the last l, right the first r */
            src_off += (side == 0 ? w - l : 0) * sd;
        }
        ct_tensor *src = raw_view(cur, ps, pst, nd, src_off);
        int rc = src ? copy_view(out, ps, out->strides, nd, dst, src) : -1;
        ct_release(src);
        if (rc < 0) goto fail;
    }
    return out;
fail:
    ct_release(out);
    return NULL;
}

static ct_tensor *pad_nonconstant(const ct_tensor *x, const int64_t *pad, int npad, int mode,
                                  const char *mname) {
    int nd = x->ndim, np = npad / 2;
    bool ok = (np == 1 && (nd == 2 || nd == 3)) || (np == 2 && (nd == 3 || nd == 4)) ||
              (np == 3 && (nd == 4 || nd == 5));
    if (!ok)
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for "
                       "now (got mode '%s', %d pad values, input %s)",
                       mname, npad, ct__shp(x));
    for (int p = 0; p < np; p++) {
        int d = nd - 1 - p;
        int64_t l = pad[2 * p], r = pad[2 * p + 1], w = x->sizes[d];
        if (mode != PAD_CIRCULAR)
            for (int i = 1; i < nd; i++)
                if (x->sizes[i] == 0)
                    return CT_FAIL(CT_ERR_RUNTIME,
                                   "Expected %dD or %dD (batch mode) tensor with possibly 0 batch "
                                   "size and other non-zero dimensions for input, but got: %s",
                                   np + 1, np + 2, ct__shp(x));
        if (mode == PAD_REFLECT && (l >= w || r >= w))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Argument #%d: Padding size should be less than the corresponding "
                           "input dimension, but got: padding (%lld, %lld) at dimension %d of "
                           "input %s",
                           4 + 2 * p, (long long)l, (long long)r, d, ct__shp(x));
        if (mode == PAD_CIRCULAR && (l > w || r > w))
            return CT_FAIL(CT_ERR_RUNTIME, "Padding value causes wrapping around more than once.");
    }
    /* crop negative pads first, then pad each dim */
    int64_t cs[CT_MAX_DIMS];
    int64_t off = x->offset;
    memcpy(cs, x->sizes, sizeof(int64_t) * (size_t)nd);
    for (int p = 0; p < np; p++) {
        int d = nd - 1 - p;
        int64_t l = pad[2 * p], r = pad[2 * p + 1];
        int64_t cl = l < 0 ? -l : 0, cr = r < 0 ? -r : 0;
        cs[d] -= cl + cr;
        off += cl * x->strides[d];
        if (cs[d] < 0 || (cs[d] == 0 && (l > 0 || r > 0)))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "pad: negative padding (%lld, %lld) leaves nothing of dimension %d of "
                           "input %s to pad from",
                           (long long)l, (long long)r, d, ct__shp(x));
        if (mode == PAD_REFLECT && ((l > 0 && l >= cs[d]) || (r > 0 && r >= cs[d])))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Argument #%d: Padding size should be less than the corresponding "
                           "input dimension, but got: padding (%lld, %lld) at dimension %d of "
                           "input %s after cropping",
                           4 + 2 * p, (long long)l, (long long)r, d, ct__shp(x));
        if (mode == PAD_CIRCULAR && (l > cs[d] || r > cs[d]))
            return CT_FAIL(CT_ERR_RUNTIME, "Padding value causes wrapping around more than once.");
    }
    ct_tensor *cur = raw_view(x, cs, x->strides, nd, off);
    for (int p = 0; cur && p < np; p++) {
        int d = nd - 1 - p;
        int64_t l = pad[2 * p] > 0 ? pad[2 * p] : 0, r = pad[2 * p + 1] > 0 ? pad[2 * p + 1] : 0;
        if (l == 0 && r == 0) continue;
        ct_tensor *nx = pad_dim(cur, d, l, r, mode);
        ct_release(cur);
        cur = nx;
    }
    if (cur && cur->storage == x->storage) { /* only cropping: still a fresh tensor */
        ct_tensor *c = ct__to_dtype(cur, cur->dtype, true);
        ct_release(cur);
        cur = c;
    }
    return cur;
}

ct_tensor *ct_pad(const ct_tensor *x, const int64_t *pad, int npad, const char *mode,
                  double value) {
    int m;
    if (!mode || strcmp(mode, "constant") == 0) m = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0) m = PAD_REFLECT;
    else if (strcmp(mode, "replicate") == 0) m = PAD_REPLICATE;
    else if (strcmp(mode, "circular") == 0) m = PAD_CIRCULAR;
    else return CT_FAIL(CT_ERR_NOT_IMPL, "Unrecognised padding mode %s", mode);
    if (npad < 0 || npad % 2 != 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Padding length must be divisible by 2");
    if (npad > 2 * CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "Padding length too large");
    if (m != PAD_CONSTANT && value != 0)
        return CT_FAIL(CT_ERR_RUNTIME, "Padding mode \"%s\" doesn't take in value argument", mode);
    ct_tensor *out = m == PAD_CONSTANT ? pad_constant(x, pad, npad, value)
                                       : pad_nonconstant(x, pad, npad, m, mode);
    if (!out) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = m;
    a.f[0] = value;
    if (npad <= CT_MAX_DIMS) {
        a.ndims = npad;
        for (int i = 0; i < npad; i++) a.dims[i] = pad[i];
    } else if (ct__needs_grad(&x, 1)) {
        ct_release(out);
        return CT_FAIL(CT_ERR_NOT_IMPL, "pad: autograd records at most %d pad values", CT_MAX_DIMS);
    }
    return record1(out, CT_OP_pad, x, NULL, &a);
}
