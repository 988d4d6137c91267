/* Joining and splitting: cat, stack, hstack/vstack/dstack, split, chunk,
 * unbind, tensor_split, meshgrid, broadcast_to. Joins copy into views of one
 * new tensor; splits return views built from ct_narrow/ct_select, so their
 * autograd comes from those ops. */
#include "ops/shape_internal.h"

/* A view of t's storage (owned, no scope, no autograd). */
static ct_tensor *raw_view(const ct_tensor *t, const int64_t *sizes, const int64_t *strides,
                           int ndim, int64_t offset) {
    return ct__tensor_new(t->storage, t->dtype, sizes, strides, ndim, offset);
}

static bool legacy_skipped(const ct_tensor *t) { return t->ndim == 1 && t->sizes[0] == 0; }

/* cat without autograd: returns an owned tensor. */
static ct_tensor *cat_impl(const ct_tensor *const *xs, int n, int dim, const char *op,
                           int *dim_out) {
    if (n <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "torch.%s(): expected a non-empty list of Tensors", op);
    /* any one device; the copies below run there (a GPU's copy kernel) */
    ct_device dev = xs[0]->storage->device;
    for (int k = 1; k < n; k++) {
        ct_device e = xs[k]->storage->device;
        if (e.type != dev.type || e.index != dev.index) {
            char b1[16], b2[16];
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Expected all tensors to be on the same device, but found at least two "
                           "devices, %s and %s! (torch.%s)",
                           ct_device_str(dev, b1, sizeof b1), ct_device_str(e, b2, sizeof b2), op);
        }
    }
    int ref = -1;
    ct_dtype dt = xs[0]->dtype;
    for (int k = 0; k < n; k++) {
        if (xs[k]->ndim == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "zero-dimensional tensor (at position %d) cannot be concatenated", k);
        dt = ct_promote_types(dt, xs[k]->dtype);
        if (ref < 0 && !legacy_skipped(xs[k])) ref = k;
    }
    if (ref < 0) { /* every input is a legacy empty 1-d tensor: any dim is accepted */
        if (dim_out) *dim_out = 0;
        int64_t zero = 0;
        return ct__empty_on(&zero, 1, dt, dev);
    }
    const ct_tensor *r = xs[ref];
    int nd = r->ndim;
    int d = ct_wrap_dim(op, dim, nd);
    if (d < 0) return NULL;
    if (dim_out) *dim_out = d;
    int64_t sizes[CT_MAX_DIMS];
    memcpy(sizes, r->sizes, sizeof(int64_t) * (size_t)nd);
    sizes[d] = 0;
    for (int k = 0; k < n; k++) {
        const ct_tensor *x = xs[k];
        if (legacy_skipped(x)) continue;
        if (x->ndim != nd)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Tensors must have same number of dimensions: got %d and %d", nd,
                           x->ndim);
        for (int i = 0; i < nd; i++)
            if (i != d && x->sizes[i] != r->sizes[i])
                return CT_FAIL(CT_ERR_RUNTIME,
                               "Sizes of tensors must match except in dimension %d. Expected "
                               "size %lld but got size %lld for tensor number %d in the list.",
                               d, (long long)r->sizes[i], (long long)x->sizes[i], k);
        sizes[d] += x->sizes[d];
    }
    ct_tensor *out = ct__empty_on(sizes, nd, dt, dev);
    if (!out) return NULL;
    int64_t off = 0;
    for (int k = 0; k < n; k++) {
        const ct_tensor *x = xs[k];
        if (legacy_skipped(x) || x->sizes[d] == 0) continue;
        int64_t ps[CT_MAX_DIMS];
        memcpy(ps, sizes, sizeof(int64_t) * (size_t)nd);
        ps[d] = x->sizes[d];
        ct_tensor *piece = raw_view(out, ps, out->strides, nd, off * out->strides[d]);
        int rc = piece ? ct__copy_into(piece, x) : -1;
        ct_release(piece);
        if (rc < 0) {
            ct_release(out);
            return NULL;
        }
        off += x->sizes[d];
    }
    return out;
}

static ct_tensor *record_join(ct_tensor *out, int op, const ct_tensor *const *xs, int n,
                              const ct_op_args *a) {
    if (!out) return NULL;
    if (ct__needs_grad(xs, n) && ct__ag_record(op, out, xs, n, NULL, 0, a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

ct_tensor *ct_cat(const ct_tensor *const *xs, int n, int dim) {
    int d = 0;
    ct_tensor *out = cat_impl(xs, n, dim, "cat", &d);
    if (!out) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    a.i[1] = n;
    a.ndims = n < CT_MAX_DIMS ? n : CT_MAX_DIMS;
    for (int k = 0; k < a.ndims; k++) a.dims[k] = legacy_skipped(xs[k]) ? 0 : xs[k]->sizes[d];
    return record_join(out, CT_OP_cat, xs, n, &a);
}

ct_tensor *ct_stack(const ct_tensor *const *xs, int n, int dim) {
    if (n <= 0) return CT_FAIL(CT_ERR_RUNTIME, "stack expects a non-empty TensorList");
    int nd = xs[0]->ndim;
    int d = ct_wrap_dim("stack", dim, nd + 1);
    if (d < 0) return NULL;
    if (nd + 1 > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "stack: too many dims");
    for (int k = 1; k < n; k++) {
        bool same = xs[k]->ndim == nd;
        for (int i = 0; same && i < nd; i++) same = xs[k]->sizes[i] == xs[0]->sizes[i];
        if (!same)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "stack expects each tensor to be equal size, but got %s at entry 0 "
                           "and %s at entry %d",
                           ct__shp(xs[0]), ct__shp(xs[k]), k);
    }
    /* cat of the inputs unsqueezed at d */
    ct_tensor **us = malloc(sizeof(ct_tensor *) * (size_t)n);
    if (!us) return CT_FAIL(CT_ERR_MEMORY, "stack: out of memory");
    int made = 0;
    ct_tensor *out = NULL;
    for (; made < n; made++) {
        const ct_tensor *x = xs[made];
        int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
        for (int i = 0, j = 0; i <= nd; i++) {
            if (i == d) {
                ns[i] = 1;
                st[i] = d < nd ? x->sizes[d] * x->strides[d] : 1;
            } else {
                ns[i] = x->sizes[j];
                st[i] = x->strides[j];
                j++;
            }
        }
        us[made] = raw_view(x, ns, st, nd + 1, x->offset);
        if (!us[made]) goto done;
    }
    out = cat_impl((const ct_tensor *const *)us, n, d, "stack", NULL);
done:
    for (int k = 0; k < made; k++) ct_release(us[k]);
    free(us);
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    return record_join(out, CT_OP_stack, xs, n, &a);
}

/* atleast_Nd of one tensor through view ops (so autograd sees them). */
static ct_tensor *atleast(const ct_tensor *x, int mode) {
    int nd = x->ndim;
    if (mode == 1) return nd == 0 ? ct_reshape(x, (const int64_t[]){1}, 1) : ct_alias(x);
    if (mode == 2) {
        if (nd == 0) return ct_reshape(x, (const int64_t[]){1, 1}, 2);
        if (nd == 1) return ct_unsqueeze(x, 0);
        return ct_alias(x);
    }
    if (nd == 0) return ct_reshape(x, (const int64_t[]){1, 1, 1}, 3);
    if (nd == 1) return ct_reshape(x, (const int64_t[]){1, x->sizes[0], 1}, 3);
    if (nd == 2) return ct_unsqueeze(x, 2);
    return ct_alias(x);
}

ct_tensor *ct_atleast_1d(const ct_tensor *x) { return atleast(x, 1); }
ct_tensor *ct_atleast_2d(const ct_tensor *x) { return atleast(x, 2); }
ct_tensor *ct_atleast_3d(const ct_tensor *x) { return atleast(x, 3); }

/* hstack/vstack/dstack/column_stack: reshape each input with public ops, then
 * ct_cat. mode 1: atleast_1d, 2: atleast_2d, 3: atleast_3d, 4: column_stack's
 * (0-d/1-d become [n, 1] columns). */
static ct_tensor *stack_family(const ct_tensor *const *xs, int n, int mode, const char *op) {
    if (n <= 0) return CT_FAIL(CT_ERR_RUNTIME, "%s expects a non-empty TensorList", op);
    const ct_tensor **vs = malloc(sizeof(ct_tensor *) * (size_t)n);
    if (!vs) return CT_FAIL(CT_ERR_MEMORY, "%s: out of memory", op);
    ct_scope s = ct_scope_begin();
    ct_tensor *r = NULL;
    for (int k = 0; k < n; k++) {
        const ct_tensor *x = xs[k];
        ct_tensor *v;
        if (mode == 4)
            v = x->ndim <= 1 ? ct_reshape(x, (const int64_t[]){x->numel, 1}, 2) : ct_alias(x);
        else
            v = atleast(x, mode);
        if (!v) goto done;
        vs[k] = v;
    }
    int dim = mode == 1 ? (vs[0]->ndim == 1 ? 0 : 1) : mode == 2 ? 0 : mode == 3 ? 2 : 1;
    r = ct_cat(vs, n, dim);
    if (r) ct_keep(r);
done:
    ct_scope_end(s);
    free(vs);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_hstack(const ct_tensor *const *xs, int n) { return stack_family(xs, n, 1, "hstack"); }
ct_tensor *ct_vstack(const ct_tensor *const *xs, int n) { return stack_family(xs, n, 2, "vstack"); }
ct_tensor *ct_dstack(const ct_tensor *const *xs, int n) { return stack_family(xs, n, 3, "dstack"); }
ct_tensor *ct_column_stack(const ct_tensor *const *xs, int n) {
    return stack_family(xs, n, 4, "column_stack");
}

/* ---------------------------------------------------------------- splits */
static int too_many(const char *op, int count, int max_out) {
    ct_set_error(CT_ERR_VALUE, "%s: produces %d tensors but the output array holds %d", op, count,
                 max_out);
    return -1;
}

/* Pieces [starts[k], starts[k] + lens[k]) of dim d as narrow views. */
static int emit_narrow(const ct_tensor *x, int d, const int64_t *starts, const int64_t *lens,
                       int count, ct_tensor **out) {
    for (int k = 0; k < count; k++) {
        out[k] = ct_narrow(x, d, starts[k], lens[k]);
        if (!out[k]) return -1;
    }
    return count;
}

static int split_sizes_impl(const ct_tensor *x, const int64_t *sizes, int count, int d,
                            ct_tensor **out, int max_out, const char *op) {
    if (count > max_out || !out) return too_many(op, count, max_out);
    int64_t *starts = malloc(sizeof(int64_t) * (size_t)(count ? count : 1));
    if (!starts) {
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
        return -1;
    }
    int64_t s = 0;
    for (int k = 0; k < count; k++) {
        starts[k] = s;
        s += sizes[k];
    }
    int rc = emit_narrow(x, d, starts, sizes, count, out);
    free(starts);
    return rc;
}

int ct_split(const ct_tensor *x, int64_t size, int dim, ct_tensor **out, int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_RUNTIME, "split expects at least a 1-dimensional tensor");
        return -1;
    }
    int d = ct_wrap_dim("split", dim, x->ndim);
    if (d < 0) return -1;
    if (size < 0) {
        ct_set_error(CT_ERR_RUNTIME, "split expects split_size be non-negative, but got split_size=%lld",
                     (long long)size);
        return -1;
    }
    int64_t n = x->sizes[d];
    if (size == 0 && n != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "split_size can only be 0 if dimension size is 0, but got dimension size of %lld",
                     (long long)n);
        return -1;
    }
    int64_t count = size == 0 ? 1 : (n + size - 1) / size;
    if (count == 0) count = 1;
    if (count > INT32_MAX) {
        ct_set_error(CT_ERR_RUNTIME, "split: too many pieces (%lld)", (long long)count);
        return -1;
    }
    if (count > max_out || !out) return too_many("split", (int)count, max_out);
    for (int64_t k = 0; k < count; k++) {
        int64_t st = k * size, len = n - st < size ? n - st : size;
        out[k] = ct_narrow(x, d, st, len);
        if (!out[k]) return -1;
    }
    return (int)count;
}

int ct_split_with_sizes(const ct_tensor *x, const int64_t *sizes, int nsizes, int dim,
                        ct_tensor **out, int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_RUNTIME, "split_with_sizes expects at least a 1-dimensional tensor");
        return -1;
    }
    int d = ct_wrap_dim("split_with_sizes", dim, x->ndim);
    if (d < 0) return -1;
    int64_t sum = 0;
    bool neg = false;
    for (int k = 0; k < nsizes; k++) {
        sum += sizes[k];
        if (sizes[k] < 0) neg = true;
    }
    if (neg || sum != x->sizes[d]) {
        char b[256];
        ct_shape_str(sizes, nsizes < CT_MAX_DIMS ? nsizes : CT_MAX_DIMS, b, sizeof b);
        if (neg)
            ct_set_error(CT_ERR_RUNTIME,
                         "split_with_sizes expects split_sizes have only non-negative entries, "
                         "but got split_sizes=%s",
                         b);
        else
            ct_set_error(CT_ERR_RUNTIME,
                         "split_with_sizes expects split_sizes to sum exactly to %lld (input "
                         "tensor's size at dimension %d), but got split_sizes=%s",
                         (long long)x->sizes[d], d, b);
        return -1;
    }
    return split_sizes_impl(x, sizes, nsizes, d, out, max_out, "split_with_sizes");
}

int ct_chunk(const ct_tensor *x, int64_t chunks, int dim, ct_tensor **out, int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_RUNTIME, "chunk expects at least a 1-dimensional tensor");
        return -1;
    }
    if (chunks <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "chunk expects `chunks` to be greater than 0, got: %lld",
                     (long long)chunks);
        return -1;
    }
    int d = ct_wrap_dim("chunk", dim, x->ndim);
    if (d < 0) return -1;
    int64_t n = x->sizes[d];
    int64_t size = (n + chunks - 1) / chunks;
    if (size == 0 && n == 0) { /* PyTorch: `chunks` empty pieces */
        if (chunks > INT32_MAX) {
            ct_set_error(CT_ERR_RUNTIME, "chunk: too many pieces (%lld)", (long long)chunks);
            return -1;
        }
        if (chunks > max_out || !out) return too_many("chunk", (int)chunks, max_out);
        for (int64_t k = 0; k < chunks; k++) {
            out[k] = ct_narrow(x, d, 0, 0);
            if (!out[k]) return -1;
        }
        return (int)chunks;
    }
    return ct_split(x, size, d, out, max_out);
}

int ct_unbind(const ct_tensor *x, int dim, ct_tensor **out, int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_INDEX, "Dimension specified as %d but tensor has no dimensions", dim);
        return -1;
    }
    int d = ct_wrap_dim("unbind", dim, x->ndim);
    if (d < 0) return -1;
    int64_t n = x->sizes[d];
    if (n > INT32_MAX) {
        ct_set_error(CT_ERR_RUNTIME, "unbind: too many pieces (%lld)", (long long)n);
        return -1;
    }
    if (n > max_out || (!out && n > 0)) return too_many("unbind", (int)n, max_out);
    for (int64_t k = 0; k < n; k++) {
        out[k] = ct_select(x, d, k);
        if (!out[k]) return -1;
    }
    return (int)n;
}

int ct_tensor_split(const ct_tensor *x, int64_t sections, int dim, ct_tensor **out,
                    int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                     "with 0 dims");
        return -1;
    }
    if (sections <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "number of sections must be larger than 0, got %lld",
                     (long long)sections);
        return -1;
    }
    int d = ct_wrap_dim("tensor_split", dim, x->ndim);
    if (d < 0) return -1;
    if (sections > INT32_MAX) {
        ct_set_error(CT_ERR_RUNTIME, "tensor_split: too many pieces (%lld)", (long long)sections);
        return -1;
    }
    if (sections > max_out || !out) return too_many("tensor_split", (int)sections, max_out);
    int64_t n = x->sizes[d], base = n / sections, extra = n % sections, st = 0;
    for (int64_t k = 0; k < sections; k++) {
        int64_t len = base + (k < extra ? 1 : 0);
        out[k] = ct_narrow(x, d, st, len);
        if (!out[k]) return -1;
        st += len;
    }
    return (int)sections;
}

int ct_tensor_split_indices(const ct_tensor *x, const int64_t *indices, int nindices, int dim,
                            ct_tensor **out, int max_out) {
    if (x->ndim == 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                     "with 0 dims");
        return -1;
    }
    int d = ct_wrap_dim("tensor_split", dim, x->ndim);
    if (d < 0) return -1;
    int count = nindices + 1;
    if (count > max_out || !out) return too_many("tensor_split", count, max_out);
    int64_t start = 0;
    for (int k = 0; k < count; k++) {
        int64_t stop = k < nindices ? indices[k] : x->sizes[d];
        out[k] = ct_slice(x, d, start, stop, 1);
        if (!out[k]) return -1;
        start = stop;
    }
    return count;
}

/* hsplit/vsplit/dsplit: mode 0 h, 1 v, 2 d. indices NULL = by sections. */
static int hvd_split(const ct_tensor *x, int mode, int64_t sections, const int64_t *indices,
                     int nindices, ct_tensor **out, int max_out) {
    static const char *names[3] = {"hsplit", "vsplit", "dsplit"};
    static const int need[3] = {1, 2, 3};
    if (x->ndim < need[mode]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "torch.%s requires a tensor with at least %d dimension, but got a tensor with "
                     "%d dimensions!",
                     names[mode], need[mode], x->ndim);
        return -1;
    }
    int d = mode == 0 ? (x->ndim == 1 ? 0 : 1) : mode == 1 ? 0 : 2;
    if (!indices) {
        if (sections <= 0 || x->sizes[d] % sections != 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "torch.%s attempted to split along dimension %d, but the size of the "
                         "dimension %lld is not divisible by the split_size %lld!",
                         names[mode], d, (long long)x->sizes[d], (long long)sections);
            return -1;
        }
        return ct_tensor_split(x, sections, d, out, max_out);
    }
    return ct_tensor_split_indices(x, indices, nindices, d, out, max_out);
}

int ct_hsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out) {
    return hvd_split(x, 0, sections, NULL, 0, out, max_out);
}
int ct_hsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out) {
    return hvd_split(x, 0, 0, indices ? indices : (const int64_t[]){0}, nindices, out, max_out);
}
int ct_vsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out) {
    return hvd_split(x, 1, sections, NULL, 0, out, max_out);
}
int ct_vsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out) {
    return hvd_split(x, 1, 0, indices ? indices : (const int64_t[]){0}, nindices, out, max_out);
}
int ct_dsplit(const ct_tensor *x, int64_t sections, ct_tensor **out, int max_out) {
    return hvd_split(x, 2, sections, NULL, 0, out, max_out);
}
int ct_dsplit_indices(const ct_tensor *x, const int64_t *indices, int nindices, ct_tensor **out,
                      int max_out) {
    return hvd_split(x, 2, 0, indices ? indices : (const int64_t[]){0}, nindices, out, max_out);
}

/* ---------------------------------------------------------------- block_diag, cartesian_prod */
ct_tensor *ct_block_diag(const ct_tensor *const *xs, int n) {
    if (n < 0) return CT_FAIL(CT_ERR_VALUE, "block_diag: negative number of tensors %d", n);
    if (n == 0) return ct_empty((const int64_t[]){1, 0}, 2, ct_default_dtype());
    int64_t cols = 0;
    for (int k = 0; k < n; k++) {
        if (xs[k]->ndim > 2)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                           "%d has %d dimensions",
                           k, xs[k]->ndim);
        cols += xs[k]->ndim == 2 ? xs[k]->sizes[1] : xs[k]->numel;
    }
    /* each block as a 2-d row band padded with zeros left and right, then cat */
    const ct_tensor **bands = malloc(sizeof(ct_tensor *) * (size_t)n);
    if (!bands) return CT_FAIL(CT_ERR_MEMORY, "block_diag: out of memory");
    ct_scope s = ct_scope_begin();
    ct_tensor *r = NULL;
    int64_t left = 0;
    for (int k = 0; k < n; k++) {
        const ct_tensor *x = xs[k];
        ct_tensor *m = x->ndim == 2 ? ct_alias(x) : ct_reshape(x, (const int64_t[]){1, x->numel}, 2);
        if (!m) goto done;
        int64_t w = m->sizes[1];
        ct_tensor *b = ct_pad(m, (const int64_t[]){left, cols - left - w}, 2, "constant", 0);
        if (!b) goto done;
        bands[k] = b;
        left += w;
    }
    r = ct_cat(bands, n, 0);
    if (r) ct_keep(r);
done:
    ct_scope_end(s);
    free(bands);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_cartesian_prod(const ct_tensor *const *xs, int n) {
    for (int k = 0; k < n; k++)
        if (xs[k]->ndim != 1)
            return CT_FAIL(CT_ERR_RUNTIME, "Expect a 1D vector, but got shape %s", ct__shp(xs[k]));
    if (n == 1) return ct_alias(xs[0]);
    if (n <= 0 || n > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "cartesian_prod: expects 1 to %d tensors, got %d",
                       CT_MAX_DIMS, n);
    ct_tensor *grids[CT_MAX_DIMS];
    ct_scope s = ct_scope_begin();
    ct_tensor *r = NULL;
    if (ct_meshgrid(xs, n, "ij", grids, n) == n) {
        int k = 0;
        for (; k < n; k++) {
            grids[k] = ct_flatten(grids[k], 0, -1);
            if (!grids[k]) break;
        }
        if (k == n) r = ct_stack((const ct_tensor *const *)grids, n, 1);
    }
    if (r) ct_keep(r);
    ct_scope_end(s);
    return r ? ct_autorelease(r) : NULL;
}

/* ---------------------------------------------------------------- grids */
ct_tensor *ct_broadcast_to(const ct_tensor *x, const int64_t *sizes, int ndim) {
    return ct_expand(x, sizes, ndim);
}

int ct_meshgrid(const ct_tensor *const *xs, int n, const char *indexing, ct_tensor **out,
                int max_out) {
    if (n <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "torch.meshgrid: Expected at least one tensor");
        return -1;
    }
    bool xy = false;
    if (indexing && strcmp(indexing, "xy") == 0) xy = true;
    else if (indexing && strcmp(indexing, "ij") != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: %s",
                     indexing);
        return -1;
    }
    if (n > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "torch.meshgrid: at most %d tensors supported", CT_MAX_DIMS);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        if (xs[k]->ndim > 1) {
            ct_set_error(CT_ERR_RUNTIME,
                         "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: %s",
                         ct__shp(xs[k]));
            return -1;
        }
        if (xs[k]->dtype != xs[0]->dtype) {
            ct_set_error(CT_ERR_RUNTIME, "meshgrid expects all tensors to have the same dtype");
            return -1;
        }
    }
    if (n > max_out || !out) return too_many("meshgrid", n, max_out);
    /* "xy" swaps the roles of the first two inputs (grid dims 0 and 1) */
    bool swap = xy && n >= 2;
    int64_t shape[CT_MAX_DIMS];
    for (int k = 0; k < n; k++) {
        int src = swap && k < 2 ? 1 - k : k;
        shape[k] = xs[src]->numel;
    }
    for (int k = 0; k < n; k++) {
        int pos = swap && k < 2 ? 1 - k : k; /* dim of the grid that input k varies along */
        ct_scope s = ct_scope_begin();
        int64_t vs[CT_MAX_DIMS];
        for (int i = 0; i < n; i++) vs[i] = i == pos ? xs[k]->numel : 1;
        ct_tensor *v = ct_reshape(xs[k], vs, n);
        ct_tensor *e = v ? ct_expand(v, shape, n) : NULL;
        if (e) ct_keep(e);
        ct_scope_end(s);
        if (!e) return -1;
        out[k] = ct_autorelease(e);
    }
    return n;
}
