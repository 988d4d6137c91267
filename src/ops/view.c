/* View ops: new tensor objects over the same storage. Each records itself in
 * the autograd graph when an input requires grad. */
#include "internal.h"
#include "autograd/inplace.h"
#include "ops/pointwise_internal.h"

static ct_tensor *finish(ct_tensor *r, int op, const ct_tensor *x, const ct_op_args *a) {
    if (!r) return NULL;
    int rc = ct__needs_grad(&x, 1) ? ct__ag_record(op, r, &x, 1, NULL, 0, a)
                                   : ct__ag_note_view(r, x);
    if (rc < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

static ct_tensor *view_of(const ct_tensor *t, const int64_t *sizes, const int64_t *strides,
                          int ndim, int64_t offset) {
    return ct__tensor_new(t->storage, t->dtype, sizes, strides, ndim, offset);
}

static ct_op_args args_dims(const int64_t *d, int n) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.ndims = n;
    for (int i = 0; i < n; i++) a.dims[i] = d[i];
    return a;
}

/* Resolves one -1 in sizes against numel; writes out. Returns ndim or -1. */
static int infer_size(const char *op, const ct_tensor *t, const int64_t *sizes, int ndim,
                      int64_t *out) {
    if (ndim > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "%s: %d dimensions requested, at most %d supported", op,
                     ndim, CT_MAX_DIMS);
        return -1;
    }
    int infer = -1;
    int64_t prod = 1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] == -1) {
            if (infer >= 0) {
                ct_set_error(CT_ERR_RUNTIME, "%s: only one dimension can be inferred", op);
                return -1;
            }
            infer = i;
        } else if (sizes[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: invalid shape dimension %lld", op,
                         (long long)sizes[i]);
            return -1;
        } else {
            prod *= sizes[i];
        }
        out[i] = sizes[i];
    }
    if (infer >= 0) {
        if (prod == 0 || t->numel % prod != 0) {
            char b[160];
            ct_set_error(CT_ERR_RUNTIME, "%s: shape '%s' is invalid for input of size %lld", op,
                         ct_shape_str(sizes, ndim, b, sizeof b), (long long)t->numel);
            return -1;
        }
        out[infer] = t->numel / prod;
    } else if (prod != t->numel) {
        char b[160];
        ct_set_error(CT_ERR_RUNTIME, "%s: shape '%s' is invalid for input of size %lld", op,
                     ct_shape_str(sizes, ndim, b, sizeof b), (long long)t->numel);
        return -1;
    }
    return ndim;
}

/* Strides for viewing t as new sizes without copying (PyTorch's
 * computeStride); false when the memory layout does not allow it. */
static bool view_strides(const ct_tensor *t, const int64_t *ns, int nn, int64_t *out) {
    if (t->numel == 0) {
        ct__contiguous_strides(ns, nn, out);
        return true;
    }
    int view_d = nn - 1;
    int64_t chunk_base_stride = t->ndim ? t->strides[t->ndim - 1] : 1;
    int64_t tensor_numel = 1, view_numel = 1;
    for (int td = t->ndim - 1; td >= 0; td--) {
        tensor_numel *= t->sizes[td];
        if (td == 0 || (t->sizes[td - 1] != 1 &&
                        t->strides[td - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || ns[view_d] == 1)) {
                out[view_d] = view_numel * chunk_base_stride;
                view_numel *= ns[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return false;
            if (td > 0) {
                chunk_base_stride = t->strides[td - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if (view_d != -1) return false;
    return true;
}

ct_tensor *ct_as_strided(const ct_tensor *t, const int64_t *sizes, const int64_t *strides,
                         int ndim, int64_t storage_offset) {
    if (ndim < 0 || ndim > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "as_strided: bad number of dims %d", ndim);
    int64_t maxoff = storage_offset, minoff = storage_offset;
    bool empty = false;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0) return CT_FAIL(CT_ERR_RUNTIME, "as_strided: negative size");
        if (sizes[i] == 0) empty = true;
        if (strides[i] >= 0) maxoff += (sizes[i] - 1) * strides[i];
        else minoff += (sizes[i] - 1) * strides[i];
    }
    int64_t cap = (int64_t)(t->storage->nbytes / ct_dtype_size(t->dtype));
    if (!empty && (minoff < 0 || maxoff >= cap)) {
        char b[160];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "as_strided: setStorage: sizes %s, strides and offset %lld require a "
                       "storage of %lld elements, but storage has %lld",
                       ct_shape_str(sizes, ndim, b, sizeof b), (long long)storage_offset,
                       (long long)(maxoff + 1), (long long)cap);
    }
    ct_op_args a = args_dims(sizes, ndim);
    a.i[0] = storage_offset;
    /* strides go after sizes in dims[] when they fit */
    if (2 * ndim <= CT_MAX_DIMS)
        for (int i = 0; i < ndim; i++) a.dims[ndim + i] = strides[i];
    return finish(view_of(t, sizes, strides, ndim, storage_offset), CT_OP_as_strided, t, &a);
}

ct_tensor *ct_view(const ct_tensor *t, const int64_t *sizes, int ndim) {
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    if (infer_size("view", t, sizes, ndim, ns) < 0) return NULL;
    if (!view_strides(t, ns, ndim, st)) {
        char b[160];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "view: size %s is not compatible with input tensor's size %s and stride "
                       "(at least one dimension spans across two contiguous subspaces). Use "
                       ".reshape(...) instead.",
                       ct_shape_str(ns, ndim, b, sizeof b), ct__shp(t));
    }
    ct_op_args a = args_dims(t->sizes, t->ndim);
    return finish(view_of(t, ns, st, ndim, t->offset), CT_OP_view, t, &a);
}

ct_tensor *ct_reshape(const ct_tensor *t, const int64_t *sizes, int ndim) {
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    if (infer_size("reshape", t, sizes, ndim, ns) < 0) return NULL;
    ct_tensor *r;
    if (view_strides(t, ns, ndim, st)) {
        r = view_of(t, ns, st, ndim, t->offset);
    } else {
        ct_tensor *c = ct__contiguous(t);
        if (!c) return NULL;
        r = view_of(c, ns, NULL, ndim, c->offset);
        ct_release(c);
    }
    ct_op_args a = args_dims(t->sizes, t->ndim);
    return finish(r, CT_OP_reshape, t, &a);
}

ct_tensor *ct_permute(const ct_tensor *t, const int *dims, int ndim) {
    if (ndim != t->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "permute(sparse_coo): number of dimensions in the tensor input does not "
                       "match the length of the desired ordering of dimensions i.e. input.dim() "
                       "= %d is not equal to len(dims) = %d",
                       t->ndim, ndim);
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    bool seen[CT_MAX_DIMS] = {0};
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.ndims = ndim;
    for (int i = 0; i < ndim; i++) {
        int d = ct_wrap_dim("permute", dims[i], ndim);
        if (d < 0) return NULL;
        if (seen[d]) return CT_FAIL(CT_ERR_RUNTIME, "permute: repeated dim %d in permutation", d);
        seen[d] = true;
        ns[i] = t->sizes[d];
        st[i] = t->strides[d];
        a.dims[i] = d;
    }
    return finish(view_of(t, ns, st, ndim, t->offset), CT_OP_permute, t, &a);
}

ct_tensor *ct_transpose(const ct_tensor *t, int d0, int d1) {
    int n = t->ndim;
    if (n == 0) {
        if (ct_wrap_dim("transpose", d0, 0) < 0 || ct_wrap_dim("transpose", d1, 0) < 0)
            return NULL;
        ct_op_args a = {0};
        return finish(view_of(t, NULL, NULL, 0, t->offset), CT_OP_transpose, t, &a);
    }
    d0 = ct_wrap_dim("transpose", d0, n);
    if (d0 < 0) return NULL;
    d1 = ct_wrap_dim("transpose", d1, n);
    if (d1 < 0) return NULL;
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    memcpy(ns, t->sizes, sizeof(int64_t) * (size_t)n);
    memcpy(st, t->strides, sizeof(int64_t) * (size_t)n);
    ns[d0] = t->sizes[d1];
    ns[d1] = t->sizes[d0];
    st[d0] = t->strides[d1];
    st[d1] = t->strides[d0];
    ct_op_args a = {0};
    a.i[0] = d0;
    a.i[1] = d1;
    return finish(view_of(t, ns, st, n, t->offset), CT_OP_transpose, t, &a);
}

ct_tensor *ct_t(const ct_tensor *t) {
    if (t->ndim > 2)
        return CT_FAIL(CT_ERR_RUNTIME, "t() expects a tensor with <= 2 dimensions, but self is %dD",
                       t->ndim);
    if (t->ndim < 2) {
        ct_op_args a = {0};
        return finish(view_of(t, t->sizes, t->strides, t->ndim, t->offset), CT_OP_t, t, &a);
    }
    int64_t ns[2] = {t->sizes[1], t->sizes[0]}, st[2] = {t->strides[1], t->strides[0]};
    ct_op_args a = {0};
    return finish(view_of(t, ns, st, 2, t->offset), CT_OP_t, t, &a);
}

ct_tensor *ct_expand(const ct_tensor *t, const int64_t *sizes, int ndim) {
    if (ndim < t->ndim) {
        char b[160];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "expand: the number of sizes provided (%d) must be greater or equal to the "
                       "number of dimensions in the tensor (%d): %s vs %s",
                       ndim, t->ndim, ct_shape_str(sizes, ndim, b, sizeof b), ct__shp(t));
    }
    if (ndim > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "expand: too many dims %d", ndim);
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    for (int i = ndim - 1; i >= 0; i--) {
        int td = t->ndim - ndim + i;
        int64_t want = sizes[i];
        if (td < 0) {
            if (want < 0)
                return CT_FAIL(CT_ERR_RUNTIME,
                               "expand: the expanded size of the tensor (%lld) isn't allowed in a "
                               "leading, non-existing dimension %d",
                               (long long)want, i);
            ns[i] = want;
            st[i] = 0;
        } else {
            int64_t have = t->sizes[td];
            if (want == -1) want = have;
            if (have == want) {
                ns[i] = have;
                st[i] = t->strides[td];
            } else if (have == 1 && want >= 0) {
                ns[i] = want;
                st[i] = 0;
            } else {
                char b[160];
                return CT_FAIL(CT_ERR_RUNTIME,
                               "expand: The expanded size of the tensor (%lld) must match the "
                               "existing size (%lld) at non-singleton dimension %d.  Target "
                               "sizes: %s.  Tensor sizes: %s",
                               (long long)want, (long long)have, i,
                               ct_shape_str(sizes, ndim, b, sizeof b), ct__shp(t));
            }
        }
    }
    ct_op_args a = args_dims(t->sizes, t->ndim);
    return finish(view_of(t, ns, st, ndim, t->offset), CT_OP_expand, t, &a);
}

static ct_tensor *squeeze_impl(const ct_tensor *t, int only) {
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->sizes[i] == 1 && (only < 0 || only == i)) continue;
        ns[n] = t->sizes[i];
        st[n] = t->strides[i];
        n++;
    }
    ct_op_args a = args_dims(t->sizes, t->ndim);
    return finish(view_of(t, ns, st, n, t->offset), CT_OP_squeeze, t, &a);
}

ct_tensor *ct_squeeze(const ct_tensor *t) { return squeeze_impl(t, -1); }

ct_tensor *ct_squeeze_dim(const ct_tensor *t, int dim) {
    int d = ct_wrap_dim("squeeze", dim, t->ndim);
    if (d < 0) return NULL;
    return squeeze_impl(t, t->ndim == 0 ? -2 : d);
}

ct_tensor *ct_unsqueeze(const ct_tensor *t, int dim) {
    int d = ct_wrap_dim("unsqueeze", dim, t->ndim + 1);
    if (d < 0) return NULL;
    if (t->ndim + 1 > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "unsqueeze: too many dims");
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++) {
        if (i == d) {
            ns[i] = 1;
            st[i] = (d < t->ndim) ? t->sizes[d] * t->strides[d] : 1;
        } else {
            ns[i] = t->sizes[j];
            st[i] = t->strides[j];
            j++;
        }
    }
    ct_op_args a = {0};
    a.i[0] = d;
    return finish(view_of(t, ns, st, t->ndim + 1, t->offset), CT_OP_unsqueeze, t, &a);
}

/* Python slice semantics on one dim: used by narrow, slice, select. */
ct_tensor *ct_slice(const ct_tensor *t, int dim, int64_t start, int64_t stop, int64_t step) {
    if (t->ndim == 0) return CT_FAIL(CT_ERR_INDEX, "slice() cannot be applied to a 0-dim tensor.");
    int d = ct_wrap_dim("slice", dim, t->ndim);
    if (d < 0) return NULL;
    if (step <= 0) return CT_FAIL(CT_ERR_VALUE, "slice: step must be greater than zero");
    int64_t n = t->sizes[d];
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > n) start = n;
    if (stop < start) stop = start;
    if (stop > n) stop = n;
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    memcpy(ns, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(st, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    ns[d] = (stop - start + step - 1) / step;
    st[d] = t->strides[d] * step;
    ct_op_args a = args_dims(t->sizes, t->ndim);
    a.i[0] = d;
    a.i[1] = start;
    a.i[2] = stop;
    a.i[3] = step;
    return finish(view_of(t, ns, st, t->ndim, t->offset + start * t->strides[d]), CT_OP_slice, t,
                  &a);
}

ct_tensor *ct_narrow(const ct_tensor *t, int dim, int64_t start, int64_t length) {
    if (t->ndim == 0) return CT_FAIL(CT_ERR_RUNTIME, "narrow() cannot be applied to a 0-dim tensor.");
    int d = ct_wrap_dim("narrow", dim, t->ndim);
    if (d < 0) return NULL;
    int64_t n = t->sizes[d];
    if (start != n) { /* PyTorch wraps start like a dim (the end itself is valid) */
        int64_t m = n > 0 ? n : 1;
        if (start < -m || start >= m)
            return CT_FAIL(CT_ERR_INDEX,
                           "Dimension out of range (expected to be in range of [%lld, %lld], but "
                           "got %lld)",
                           (long long)-m, (long long)(m - 1), (long long)start);
        if (start < 0) start += m;
    }
    if (length < 0 || start > n - length)
        return CT_FAIL(CT_ERR_RUNTIME, "start (%lld) + length (%lld) exceeds dimension size (%lld).",
                       (long long)start, (long long)length, (long long)n);
    int64_t ns[CT_MAX_DIMS];
    memcpy(ns, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    ns[d] = length;
    ct_op_args a = args_dims(t->sizes, t->ndim);
    a.i[0] = d;
    a.i[1] = start;
    a.i[2] = length;
    return finish(view_of(t, ns, t->strides, t->ndim, t->offset + start * t->strides[d]),
                  CT_OP_narrow, t, &a);
}

ct_tensor *ct_select(const ct_tensor *t, int dim, int64_t index) {
    if (t->ndim == 0) return CT_FAIL(CT_ERR_INDEX, "select() cannot be applied to a 0-dim tensor.");
    int d = ct_wrap_dim("select", dim, t->ndim);
    if (d < 0) return NULL;
    int64_t n = t->sizes[d];
    if (index < -n || index >= n)
        return CT_FAIL(CT_ERR_INDEX,
                       "select(): index %lld out of range for tensor of size %s at dimension %d",
                       (long long)index, ct__shp(t), d);
    if (index < 0) index += n;
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    for (int i = 0, j = 0; i < t->ndim; i++) {
        if (i == d) continue;
        ns[j] = t->sizes[i];
        st[j] = t->strides[i];
        j++;
    }
    ct_op_args a = args_dims(t->sizes, t->ndim);
    a.i[0] = d;
    a.i[1] = index;
    return finish(view_of(t, ns, st, t->ndim - 1, t->offset + index * t->strides[d]), CT_OP_select,
                  t, &a);
}

ct_tensor *ct_flatten(const ct_tensor *t, int start_dim, int end_dim) {
    if (t->ndim == 0) {
        int64_t one = 1;
        return ct_reshape(t, &one, 1);
    }
    int s = ct_wrap_dim("flatten", start_dim, t->ndim);
    if (s < 0) return NULL;
    int e = ct_wrap_dim("flatten", end_dim, t->ndim);
    if (e < 0) return NULL;
    if (s > e) return CT_FAIL(CT_ERR_RUNTIME, "flatten() has invalid args: start_dim cannot come after end_dim");
    int64_t ns[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < s; i++) ns[n++] = t->sizes[i];
    int64_t m = 1;
    for (int i = s; i <= e; i++) m *= t->sizes[i];
    ns[n++] = m;
    for (int i = e + 1; i < t->ndim; i++) ns[n++] = t->sizes[i];
    return ct_reshape(t, ns, n);
}

ct_tensor *ct_unflatten(const ct_tensor *t, int dim, const int64_t *sizes, int nsizes) {
    int d = ct_wrap_dim("unflatten", dim, t->ndim);
    if (d < 0) return NULL;
    if (nsizes == 0) return CT_FAIL(CT_ERR_RUNTIME, "unflatten: sizes must be non-empty");
    if (t->ndim - 1 + nsizes > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "unflatten: too many dims");
    int64_t ns[CT_MAX_DIMS];
    int n = 0, infer = -1;
    int64_t prod = 1;
    for (int i = 0; i < d; i++) ns[n++] = t->sizes[i];
    for (int i = 0; i < nsizes; i++) {
        if (sizes[i] == -1) infer = n;
        else prod *= sizes[i];
        ns[n++] = sizes[i];
    }
    if (infer >= 0 && prod) ns[infer] = t->sizes[d] / prod;
    int64_t total = 1;
    for (int i = 0; i < nsizes; i++) total *= ns[d + i];
    if (total != t->sizes[d]) {
        char b[160];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "unflatten: Provided sizes %s don't multiply up to the size of dim %d (%lld) "
                       "in the input tensor",
                       ct_shape_str(sizes, nsizes, b, sizeof b), d, (long long)t->sizes[d]);
    }
    for (int i = d + 1; i < t->ndim; i++) ns[n++] = t->sizes[i];
    return ct_view(t, ns, n);
}

ct_tensor *ct_unfold(const ct_tensor *t, int dim, int64_t size, int64_t step) {
    int d = ct_wrap_dim("unfold", dim, t->ndim);
    if (d < 0) return NULL;
    int64_t n = t->ndim ? t->sizes[d] : 1, s = t->ndim ? t->strides[d] : 1;
    if (size < 0 || size > n)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "unfold: maximum size for tensor at dimension %d is %lld but size is %lld",
                       d, (long long)n, (long long)size);
    if (step <= 0) return CT_FAIL(CT_ERR_RUNTIME, "unfold: step is %lld but must be > 0", (long long)step);
    if (t->ndim + 1 > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "unfold: too many dims");
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    int nd = t->ndim ? t->ndim : 0;
    for (int i = 0; i < nd; i++) {
        ns[i] = t->sizes[i];
        st[i] = t->strides[i];
    }
    if (nd) {
        ns[d] = (n - size) / step + 1;
        st[d] = step * s;
    }
    ns[nd] = size;
    st[nd] = s;
    ct_op_args a = args_dims(t->sizes, t->ndim);
    a.i[0] = d;
    a.i[1] = size;
    a.i[2] = step;
    return finish(view_of(t, ns, st, nd + 1, t->offset), CT_OP_unfold, t, &a);
}

ct_tensor *ct_diagonal(const ct_tensor *t, int64_t offset, int dim1, int dim2) {
    if (t->ndim < 2) return CT_FAIL(CT_ERR_RUNTIME, "diagonal: input must be at least 2-D, got %s", ct__shp(t));
    int d1 = ct_wrap_dim("diagonal", dim1, t->ndim);
    if (d1 < 0) return NULL;
    int d2 = ct_wrap_dim("diagonal", dim2, t->ndim);
    if (d2 < 0) return NULL;
    if (d1 == d2) return CT_FAIL(CT_ERR_RUNTIME, "diagonal dimensions cannot be identical %d, %d", dim1, dim2);
    int64_t off = t->offset, len;
    if (offset >= 0) {
        len = t->sizes[d2] - offset;
        if (len > t->sizes[d1]) len = t->sizes[d1];
        off += offset * t->strides[d2];
    } else {
        len = t->sizes[d1] + offset;
        if (len > t->sizes[d2]) len = t->sizes[d2];
        off -= offset * t->strides[d1];
    }
    if (len <= 0) {
        len = 0;
        off = t->offset;
    }
    int64_t ns[CT_MAX_DIMS], st[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == d1 || i == d2) continue;
        ns[n] = t->sizes[i];
        st[n] = t->strides[i];
        n++;
    }
    ns[n] = len;
    st[n] = t->strides[d1] + t->strides[d2];
    n++;
    ct_op_args a = args_dims(t->sizes, t->ndim);
    a.i[0] = offset;
    a.i[1] = d1;
    a.i[2] = d2;
    return finish(view_of(t, ns, st, n, off), CT_OP_diagonal, t, &a);
}

ct_tensor *ct_alias(const ct_tensor *t) {
    ct_op_args a = args_dims(t->sizes, t->ndim);
    return finish(view_of(t, t->sizes, t->strides, t->ndim, t->offset), CT_OP_view, t, &a);
}

/* Tensor.view(dtype), PyTorch's rules: the same bytes read as dt. Equal
 * element sizes keep the geometry; otherwise the last dim (stride 1)
 * changes length by the size ratio and the other strides and the offset
 * are rescaled, which must divide evenly. Not differentiable. */
ct_tensor *ct_view_dtype(const ct_tensor *t, ct_dtype dt) {
    if ((unsigned)dt >= CT_NUM_DTYPES) return CT_FAIL(CT_ERR_VALUE, "view: invalid dtype %d", (int)dt);
    int64_t so = (int64_t)ct_dtype_size(t->dtype), sn = (int64_t)ct_dtype_size(dt);
    const char *from = ct__pw_torch_name(t->dtype), *to = ct__pw_torch_name(dt);
    int nd = t->ndim;
    int64_t sz[CT_MAX_DIMS], st[CT_MAX_DIMS], off = t->offset;
    memcpy(sz, t->sizes, sizeof(int64_t) * (size_t)nd);
    memcpy(st, t->strides, sizeof(int64_t) * (size_t)nd);
    if (so != sn) {
        if (nd == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "self.dim() cannot be 0 to view %s as %s (different element sizes)",
                           from, to);
        /* PyTorch's order of checks: stride(-1) first when shrinking, after
         * size and offset when growing */
        const char *stride_msg = "self.stride(-1) must be 1 to view %s as %s (different element "
                                 "sizes), but got %lld";
        if (sn < so && st[nd - 1] != 1)
            return CT_FAIL(CT_ERR_RUNTIME, stride_msg, from, to, (long long)st[nd - 1]);
        if (sn > so) {
            int64_t r = sn / so;
            if (sz[nd - 1] % r)
                return CT_FAIL(CT_ERR_RUNTIME,
                               "self.size(-1) must be divisible by %lld to view %s as %s (different "
                               "element sizes), but got %lld",
                               (long long)r, from, to, (long long)sz[nd - 1]);
            if (off % r)
                return CT_FAIL(CT_ERR_RUNTIME,
                               "self.storage_offset() must be divisible by %lld to view %s as %s "
                               "(different element sizes), but got %lld",
                               (long long)r, from, to, (long long)off);
            if (st[nd - 1] != 1)
                return CT_FAIL(CT_ERR_RUNTIME, stride_msg, from, to, (long long)st[nd - 1]);
            for (int i = 0; i < nd - 1; i++)
                if (st[i] % r)
                    return CT_FAIL(CT_ERR_RUNTIME,
                                   "self.stride(%d) must be divisible by %lld to view %s as %s "
                                   "(different element sizes), but got %lld",
                                   i, (long long)r, from, to, (long long)st[i]);
            sz[nd - 1] /= r;
            for (int i = 0; i < nd - 1; i++) st[i] /= r;
            off /= r;
        } else {
            int64_t r = so / sn;
            sz[nd - 1] *= r;
            for (int i = 0; i < nd - 1; i++) st[i] *= r;
            off *= r;
        }
    }
    ct_tensor *v = ct__tensor_new(t->storage, dt, sz, st, nd, off);
    return v ? ct_autorelease(v) : NULL;
}

ct_tensor *ct_contiguous(const ct_tensor *t) {
    if (ct_is_contiguous(t)) return ct_autorelease(ct_retain((ct_tensor *)t));
    ct_op_args a = {0};
    return finish(ct__contiguous(t), CT_OP_contiguous, t, &a);
}

/* A copy of t in dtype dt laid out as t (preserve_format, as PyTorch's
 * clone() and to() are): t's strides when t is dense. Owned. */
static ct_tensor *copy_like(const ct_tensor *t, ct_dtype dt) {
    if ((unsigned)dt >= CT_NUM_DTYPES) return CT_FAIL(CT_ERR_TYPE, "to: invalid dtype %d", dt);
    ct_tensor *r = ct__empty_like_layout(t, dt, t->storage->device);
    if (r && ct__copy_into(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return r;
}

ct_tensor *ct_clone(const ct_tensor *t) {
    ct_op_args a = {0};
    return finish(copy_like(t, t->dtype), CT_OP_clone, t, &a);
}

ct_tensor *ct_to_dtype(const ct_tensor *t, ct_dtype dt, bool copy) {
    if (dt == t->dtype && !copy) return ct_autorelease(ct_retain((ct_tensor *)t));
    ct_op_args a = {0};
    a.i[0] = t->dtype;
    ct_tensor *r = copy_like(t, dt);
    if (r && !ct_dtype_is_floating(dt)) return ct_autorelease(r); /* not differentiable */
    return finish(r, CT_OP_to_dtype, t, &a);
}

ct_tensor *ct_copy_(ct_tensor *dst, const ct_tensor *src) {
    const ct_tensor *in[2] = {dst, src};
    bool grad = ct__needs_grad(in, 2);
    if (grad && ct__ag_inplace_begin(CT_OP_copy_, dst, in, 2) < 0) return NULL;
    if (ct__copy_into(dst, src) < 0) {
        ct__ag_inplace_cancel();
        return NULL;
    }
    ct_bump_version(dst);
    if (grad) {
        ct_op_args a = {0};
        a.i[0] = src->dtype;
        if (ct__ag_record(CT_OP_copy_, dst, in, 2, NULL, 0, &a) < 0) return NULL;
    }
    return dst;
}
