/* Indexing along one dim: index_select, gather, scatter (and its reductions),
 * index_add, index_copy, index_fill, take_along_dim. Each op checks its
 * arguments like PyTorch, prepares views (an index vector becomes a stride-0
 * index tensor over the other dims) and runs the one dim-wise kernel of
 * src/kernels/cpu/index.c. The autograd record layout is in index.def. */
#include "ops/index_internal.h"

#include <math.h>

enum { R_NONE = 0, R_SUM = 1, R_PROD = 2, R_MEAN = 3, R_AMAX = 4, R_AMIN = 5 };

static int64_t size_or_1(const ct_tensor *t, int d) { return t->ndim ? t->sizes[d] : 1; }

static ct_tensor *finish_new(ct_tensor *r, int op, const ct_tensor *const *in, int nin,
                             const ct_tensor *const *ex, int nex, const ct_op_args *a) {
    if (!r) return NULL;
    if (ct__needs_grad(in, nin) && ct__ag_record(op, r, in, nin, ex, nex, a) < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

static ct_tensor *finish_inplace(ct_tensor *x, int op, const ct_tensor *const *in, int nin,
                                 const ct_tensor *const *ex, int nex, ct_op_args *a) {
    ct_bump_version(x);
    a->b[3] = true;
    if (ct__needs_grad(in, nin) && ct__ag_record(op, x, in, nin, ex, nex, a) < 0) return NULL;
    return x;
}

static ct_op_args args_of(const ct_tensor *x, int dim) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = dim;
    a.ndims = x->ndim;
    for (int i = 0; i < x->ndim; i++) a.dims[i] = x->sizes[i];
    return a;
}

/* Owned int64 version of an index tensor. */
static ct_tensor *as_long(const ct_tensor *index) {
    if (index->dtype == CT_INT64) return ct_retain((ct_tensor *)index);
    return ct__to_dtype(index, CT_INT64, false);
}

/* An index vector (0-d or 1-d int64) viewed over shape: stride 0 everywhere
 * but along dim. Owned. */
static ct_tensor *expand_vector(const ct_tensor *index, const int64_t *shape, int ndim, int dim) {
    int64_t st[CT_MAX_DIMS] = {0};
    if (ndim > 0) st[dim] = index->ndim ? index->strides[0] : 0;
    return ct__tensor_new(index->storage, CT_INT64, shape, st, ndim, index->offset);
}

/* Every tensor of t[0..n) (NULL skipped) on the device of t[0]. */
static int same_device(const char *op, const ct_tensor *const *t, int n) {
    ct_device d = t[0]->storage->device;
    for (int k = 1; k < n; k++)
        if (t[k] && (t[k]->storage->device.type != d.type || t[k]->storage->device.index != d.index)) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s(): Expected all tensors to be on the same device, but found at least "
                         "two devices, %s and %s!",
                         op, d.type == CT_CPU ? "cpu" : "cuda", d.type == CT_CPU ? "cuda" : "cpu");
            return -1;
        }
    return 0;
}

static const char *reduce_name(int r) {
    static const char *names[] = {"none", "sum", "prod", "mean", "amax", "amin"};
    return names[r];
}

/* ---------------------------------------------------------------- gather */

ct_tensor *ct_gather(const ct_tensor *x, int dim, const ct_tensor *index) {
    if (same_device("gather", (const ct_tensor *[]){x, index}, 2) < 0) return NULL;
    int nd = x->ndim ? x->ndim : 1;
    int d = ct_wrap_dim("gather", dim, nd);
    if (d < 0) return NULL;
    if (index->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "gather(): Expected dtype int64 for index, got %s",
                       ct_dtype_name(index->dtype));
    if ((index->ndim ? index->ndim : 1) != nd)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "gather(): Index tensor must have the same number of dimensions as input "
                       "tensor (index %s, input %s)",
                       ct__shp(index), ct__shp(x));
    if (index->numel > 0)
        for (int k = 0; k < index->ndim; k++)
            if (k != d && index->sizes[k] > size_or_1(x, k))
                return CT_FAIL(CT_ERR_RUNTIME,
                               "gather(): Size does not match at dimension %d expected index %s "
                               "to be smaller than self %s apart from dimension %d",
                               k, ct__shp(index), ct__shp(x), d);
    ct_tensor *out = ct__empty_on(index->sizes, index->ndim, x->dtype, x->storage->device);
    if (!out) return NULL;
    if (index->numel > 0 && x->numel == 0) {
        ct_release(out);
        return CT_FAIL(CT_ERR_RUNTIME, "gather(): index %lld is out of bounds for dimension %d with size 0",
                       (long long)ct_item_at_int(index, 0), d);
    }
    int64_t bad;
    int rc = ct__sg_run(CT__SG_GATHER, (ct_tensor *)x, index, out, d, 0, &bad);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    if (rc) {
        ct_release(out);
        return CT_FAIL(CT_ERR_RUNTIME, "gather(): index %lld is out of bounds for dimension %d with size %lld",
                       (long long)bad, d, (long long)size_or_1(x, d));
    }
    ct_op_args a = args_of(x, d);
    const ct_tensor *ex[1] = {index};
    return finish_new(out, CT_OP_gather, &x, 1, ex, 1, &a);
}

/* ---------------------------------------------------------------- index_select */

ct_tensor *ct_index_select(const ct_tensor *x, int dim, const ct_tensor *index) {
    if (same_device("index_select", (const ct_tensor *[]){x, index}, 2) < 0) return NULL;
    int d = ct_wrap_dim("index_select", dim, x->ndim ? x->ndim : 1);
    if (d < 0) return NULL;
    if (index->dtype != CT_INT64 && index->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME, "index_select(): Expected dtype int32 or int64 for index, got %s",
                       ct_dtype_name(index->dtype));
    if (index->ndim > 1)
        return CT_FAIL(CT_ERR_INDEX, "index_select(): Index is supposed to be a vector, got %s",
                       ct__shp(index));
    if (x->ndim == 0 && index->numel != 1)
        return CT_FAIL(CT_ERR_INDEX, "index_select(): Index to scalar can have only 1 value, got %lld value(s)",
                       (long long)index->numel);
    ct_tensor *idx = as_long(index);
    if (!idx) return NULL;
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    if (x->ndim) shape[d] = index->numel;
    ct_tensor *out = ct__empty_on(shape, x->ndim, x->dtype, x->storage->device);
    ct_tensor *ev = out ? expand_vector(idx, shape, x->ndim, d) : NULL;
    if (!ev) {
        ct_release(out);
        ct_release(idx);
        return NULL;
    }
    int64_t bad = 0;
    int rc = out->numel ? ct__sg_run(CT__SG_GATHER, (ct_tensor *)x, ev, out, d, 0, &bad) : 0;
    if (rc == 0 && out->numel == 0 && index->numel > 0 && size_or_1(x, d) == 0) rc = 1;
    ct_release(ev);
    if (rc) {
        ct_release(out);
        ct_release(idx);
        return CT_FAIL(CT_ERR_INDEX, "index_select(): index out of range in self");
    }
    ct_op_args a = args_of(x, d);
    const ct_tensor *ex[1] = {idx};
    ct_tensor *r = finish_new(out, CT_OP_index_select, &x, 1, ex, 1, &a);
    ct_release(idx);
    return r;
}

/* ---------------------------------------------------------------- scatter family */

static int scatter_check(const char *op, const ct_tensor *self, int *dim, const ct_tensor *index,
                         const ct_tensor *src) {
    int nd = self->ndim ? self->ndim : 1;
    int d = ct_wrap_dim(op, *dim, nd);
    if (d < 0) return -1;
    *dim = d;
    if (index->dtype != CT_INT64) {
        ct_set_error(CT_ERR_RUNTIME, "%s(): Expected dtype int64 for index, got %s", op,
                     ct_dtype_name(index->dtype));
        return -1;
    }
    if (src && src->dtype != self->dtype) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): Expected self.dtype to be equal to src.dtype (got %s and %s)", op,
                     ct_dtype_name(self->dtype), ct_dtype_name(src->dtype));
        return -1;
    }
    int in = index->ndim ? index->ndim : 1;
    if (in != nd) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): Index tensor must have the same number of dimensions as self tensor "
                     "(index %s, self %s)",
                     op, ct__shp(index), ct__shp(self));
        return -1;
    }
    if (src && (src->ndim ? src->ndim : 1) != in) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): Index tensor must have the same number of dimensions as src tensor "
                     "(index %s, src %s)",
                     op, ct__shp(index), ct__shp(src));
        return -1;
    }
    if (index->numel == 0) return 0;
    for (int k = 0; k < index->ndim; k++) {
        bool bad_self = k != d && index->sizes[k] > size_or_1(self, k);
        bool bad_src = src && index->sizes[k] > size_or_1(src, k);
        if (bad_self || bad_src) {
            if (src)
                ct_set_error(CT_ERR_RUNTIME,
                             "%s(): Expected index %s to be smaller than self %s apart from "
                             "dimension %d and to be smaller size than src %s",
                             op, ct__shp(index), ct__shp(self), d, ct__shp(src));
            else
                ct_set_error(CT_ERR_RUNTIME,
                             "%s(): Expected index %s to be smaller than self %s apart from "
                             "dimension %d",
                             op, ct__shp(index), ct__shp(self), d);
            return -1;
        }
    }
    return 0;
}

/* ct__div_by_count on a GPU: x = x / max(count, 1) (floor division for
 * integer dtypes; a bool stays as it is) by the pointwise GPU kernels,
 * written back into x. 0 or -1. */
static int gpu_div_by_count(ct_tensor *x, const ct_tensor *count) {
    if (x->dtype == CT_BOOL || x->numel == 0) return 0;
    ct_grad_mode g = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *c = ct_clamp_min(count, 1);
    ct_tensor *q = !c ? NULL : ct_dtype_is_floating(x->dtype) ? ct_div(x, c) : ct_floor_divide(x, c);
    int rc = q ? ct__copy_into(x, q) : -1;
    ct_scope_end(sc);
    ct_grad_mode_end(g);
    return rc;
}

/* The shared body: target (x itself when in place, else a copy of x)
 * receives src or value at the index positions, combined by reduce. */
static ct_tensor *scatter_impl(const char *name, int opid, const ct_tensor *x, bool inplace, int dim,
                               const ct_tensor *index, const ct_tensor *src, double value,
                               int reduce, bool include_self, ct_op_args *a) {
    if (same_device(name, (const ct_tensor *[]){x, index, src}, 3) < 0) return NULL;
    if (scatter_check(name, x, &dim, index, src) < 0) return NULL;
    a->i[0] = dim;
    if (ct__idx_begin_inplace(inplace, opid, x, src) < 0) return NULL;
    ct_tensor *out = inplace ? (ct_tensor *)x : ct__to_dtype(x, x->dtype, true);
    if (!out) return NULL;
    int64_t bad = 0;
    int rc = 0;
    ct_tensor *count = NULL;
    ct_device dev = out->storage->device;
    if (index->numel > 0 && out->numel == 0) {
        rc = 1;
        bad = ct_item_at_int(index, 0);
    }
    if (!rc && reduce != R_NONE && !include_self) {
        double id = reduce == R_PROD ? 1 : reduce == R_AMAX ? -INFINITY : reduce == R_AMIN ? INFINITY : 0;
        rc = ct__sg_run(CT__SG_FILL, out, index, NULL, dim, id, &bad);
    }
    if (!rc && reduce == R_MEAN) {
        count = ct__empty_on(out->sizes, out->ndim, CT_INT64, dev);
        if (!count || (dev.type != CT_CPU && ct__cuda->fill(count, include_self ? 1 : 0) < 0)) {
            ct_release(count);
            if (!inplace) ct_release(out);
            return NULL;
        }
        if (dev.type == CT_CPU) {
            int64_t *cp = ct_data_ptr(count);
            for (int64_t i = 0; i < count->numel; i++) cp[i] = include_self ? 1 : 0;
        }
        rc = ct__sg_run(CT__SG_COUNT, count, index, NULL, dim, 0, &bad);
    }
    if (!rc) {
        ct__sg_op op = !src && reduce == R_NONE ? CT__SG_FILL
                       : reduce == R_NONE ? CT__SG_COPY
                       : reduce == R_PROD ? CT__SG_MUL
                       : reduce == R_AMAX ? CT__SG_MAX
                       : reduce == R_AMIN ? CT__SG_MIN
                                          : CT__SG_ADD;
        /* a source sharing memory with the destination is read from a copy */
        ct_tensor *sc;
        if (!src && reduce != R_NONE) {
            /* value with a reduction: the value as a stride-0 source */
            ct_tensor *one = ct__empty(NULL, 0, out->dtype);
            int64_t zero[CT_MAX_DIMS] = {0};
            if (one) ct__index_value_bits(ct_data_ptr(one), out->dtype, value);
            if (one && !ct__on_cpu(out)) { /* the value moves to out's GPU */
                ct_tensor *g = ct__empty_on(NULL, 0, out->dtype, out->storage->device);
                if (g && ct__copy_into(g, one) < 0) {
                    ct_release(g);
                    g = NULL;
                }
                ct_release(one);
                one = g;
            }
            sc = one ? ct__tensor_new(one->storage, out->dtype, index->sizes, zero, index->ndim, 0) : NULL;
            ct_release(one);
        } else if (src && src->storage == out->storage) {
            sc = ct__to_dtype(src, src->dtype, true);
        } else {
            sc = src ? ct_retain((ct_tensor *)src) : NULL;
        }
        bool need_src = src || reduce != R_NONE;
        rc = need_src && !sc ? -1 : ct__sg_run(op, out, index, sc, dim, need_src ? 1.0 : value, &bad);
        ct_release(sc);
        if (rc < 0) {
            ct_release(count);
            if (!inplace) ct_release(out);
            return NULL;
        }
    }
    if (!rc && count) {
        if (dev.type == CT_CPU) ct__div_by_count(out, count);
        else if (gpu_div_by_count(out, count) < 0) rc = -1;
    }
    ct_release(count);
    if (rc) {
        if (!inplace) ct_release(out);
        if (rc < 0) return NULL;
        return CT_FAIL(CT_ERR_RUNTIME, "%s(): index %lld is out of bounds for dimension %d with size %lld",
                       name, (long long)bad, dim, (long long)size_or_1(x, dim));
    }
    const ct_tensor *in[2] = {x, src};
    const ct_tensor *ex[1] = {index};
    int nin = src ? 2 : 1;
    if (inplace) return finish_inplace(out, opid, in, nin, ex, 1, a);
    return finish_new(out, opid, in, nin, ex, 1, a);
}

static ct_tensor *scatter_src(const ct_tensor *x, bool inplace, int dim, const ct_tensor *index,
                              const ct_tensor *src, int reduce) {
    ct_op_args a = args_of(x, dim);
    a.i[1] = reduce;
    return scatter_impl("scatter", CT_OP_scatter, x, inplace, dim, index, src, 0, reduce, true, &a);
}

ct_tensor *ct_scatter(const ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src) {
    return scatter_src(x, false, dim, index, src, R_NONE);
}
ct_tensor *ct_scatter_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src) {
    return scatter_src(x, true, dim, index, src, R_NONE);
}

static ct_tensor *scatter_value(const ct_tensor *x, bool inplace, int dim, const ct_tensor *index,
                                double value) {
    ct_op_args a = args_of(x, dim);
    a.b[0] = true;
    a.f[0] = value;
    return scatter_impl("scatter", CT_OP_scatter, x, inplace, dim, index, NULL, value, R_NONE,
                        true, &a);
}
ct_tensor *ct_scatter_value(const ct_tensor *x, int dim, const ct_tensor *index, double value) {
    return scatter_value(x, false, dim, index, value);
}
ct_tensor *ct_scatter_value_(ct_tensor *x, int dim, const ct_tensor *index, double value) {
    return scatter_value(x, true, dim, index, value);
}

static int parse_scatter_mode(const char *reduce) {
    if (!reduce) return R_NONE;
    if (strcmp(reduce, "add") == 0) return R_SUM;
    if (strcmp(reduce, "multiply") == 0) return R_PROD;
    ct_set_error(CT_ERR_RUNTIME, "scatter(): reduce argument must be either add or multiply, got '%s'.", reduce);
    return -1;
}
ct_tensor *ct_scatter_with_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                                  const ct_tensor *src, const char *reduce) {
    int r = parse_scatter_mode(reduce);
    return r < 0 ? NULL : scatter_src(x, false, dim, index, src, r);
}
ct_tensor *ct_scatter_with_reduce_(ct_tensor *x, int dim, const ct_tensor *index,
                                   const ct_tensor *src, const char *reduce) {
    int r = parse_scatter_mode(reduce);
    return r < 0 ? NULL : scatter_src(x, true, dim, index, src, r);
}

static ct_tensor *scatter_value_reduce(const ct_tensor *x, bool inplace, int dim,
                                       const ct_tensor *index, double value, const char *reduce) {
    int r = parse_scatter_mode(reduce);
    if (r < 0) return NULL;
    ct_op_args a = args_of(x, dim);
    a.i[1] = r;
    a.b[0] = true;
    a.f[0] = value;
    return scatter_impl("scatter", CT_OP_scatter, x, inplace, dim, index, NULL, value, r, true, &a);
}
ct_tensor *ct_scatter_value_with_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                                        double value, const char *reduce) {
    return scatter_value_reduce(x, false, dim, index, value, reduce);
}
ct_tensor *ct_scatter_value_with_reduce_(ct_tensor *x, int dim, const ct_tensor *index,
                                         double value, const char *reduce) {
    return scatter_value_reduce(x, true, dim, index, value, reduce);
}

static ct_tensor *scatter_add_impl(const ct_tensor *x, bool inplace, int dim,
                                   const ct_tensor *index, const ct_tensor *src) {
    ct_op_args a = args_of(x, dim);
    return scatter_impl("scatter_add", CT_OP_scatter_add, x, inplace, dim, index, src, 0, R_SUM,
                        true, &a);
}
ct_tensor *ct_scatter_add(const ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src) {
    return scatter_add_impl(x, false, dim, index, src);
}
ct_tensor *ct_scatter_add_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src) {
    return scatter_add_impl(x, true, dim, index, src);
}

static ct_tensor *scatter_reduce_impl(const ct_tensor *x, bool inplace, int dim,
                                      const ct_tensor *index, const ct_tensor *src,
                                      const char *reduce, bool include_self) {
    int r = -1;
    for (int k = R_SUM; k <= R_AMIN && reduce; k++)
        if (strcmp(reduce, reduce_name(k)) == 0) r = k;
    if (r < 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "scatter_reduce(): reduce argument must be either sum, prod, mean, amax or "
                       "amin, got %s.",
                       reduce ? reduce : "NULL");
    ct_op_args a = args_of(x, dim);
    a.i[1] = r;
    a.b[1] = include_self;
    return scatter_impl("scatter_reduce", CT_OP_scatter_reduce, x, inplace, dim, index, src, 0, r,
                        include_self, &a);
}
ct_tensor *ct_scatter_reduce(const ct_tensor *x, int dim, const ct_tensor *index,
                             const ct_tensor *src, const char *reduce, bool include_self) {
    return scatter_reduce_impl(x, false, dim, index, src, reduce, include_self);
}
ct_tensor *ct_scatter_reduce_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *src,
                              const char *reduce, bool include_self) {
    return scatter_reduce_impl(x, true, dim, index, src, reduce, include_self);
}

/* ---------------------------------------------------------------- index_add / copy / fill */

/* Checks shared by index_add and index_copy; returns the owned int64 index
 * and the wrapped dim, or NULL. */
static ct_tensor *index_src_check(const char *op, const ct_tensor *x, int *dim,
                                  const ct_tensor *index, const ct_tensor *source) {
    int d = ct_wrap_dim(op, *dim, x->ndim ? x->ndim : 1);
    if (d < 0) return NULL;
    *dim = d;
    if (index->dtype != CT_INT64 && index->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME, "%s(): Expected dtype int32/int64 for index but got: %s", op,
                       ct_dtype_name(index->dtype));
    if (index->ndim > 1)
        return CT_FAIL(CT_ERR_INDEX, "%s(): Index is supposed to be a vector, but got dim: %d with size: %s",
                       op, index->ndim, ct__shp(index));
    if (source->dtype != x->dtype)
        return CT_FAIL(CT_ERR_RUNTIME, "%s(): self (%s) and source (%s) must have the same scalar type",
                       op, ct_dtype_name(x->dtype), ct_dtype_name(source->dtype));
    int nd = x->ndim ? x->ndim : 1;
    if ((source->ndim ? source->ndim : 1) != nd)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s(): source tensor shape must match self tensor shape, excluding the "
                       "specified dimension. Got self.shape = %s source.shape = %s",
                       op, ct__shp(x), ct__shp(source));
    if (index->numel != size_or_1(source, d))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "%s(): Number of indices (%lld) should be equal to source.size(dim): (%lld), "
                       "for dim: %d",
                       op, (long long)index->numel, (long long)size_or_1(source, d), d);
    for (int k = 0; k < nd; k++)
        if (k != d && size_or_1(source, k) != size_or_1(x, k))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s(): source tensor shape must match self tensor shape, excluding the "
                           "specified dimension. Got self.shape = %s source.shape = %s",
                           op, ct__shp(x), ct__shp(source));
    return as_long(index);
}

static ct_tensor *index_src_impl(const char *name, int opid, ct__sg_op op, const ct_tensor *x,
                                 bool inplace, int dim, const ct_tensor *index,
                                 const ct_tensor *source, double alpha) {
    if (same_device(name, (const ct_tensor *[]){x, index, source}, 3) < 0) return NULL;
    ct_tensor *idx = index_src_check(name, x, &dim, index, source);
    if (!idx) return NULL;
    if (ct__idx_begin_inplace(inplace, opid, x, source) < 0) {
        ct_release(idx);
        return NULL;
    }
    ct_tensor *out = inplace ? (ct_tensor *)x : ct__to_dtype(x, x->dtype, true);
    ct_tensor *ev = out ? expand_vector(idx, source->sizes, source->ndim, dim) : NULL;
    if (!ev) {
        if (!inplace) ct_release(out);
        ct_release(idx);
        return NULL;
    }
    int64_t bad = 0;
    int rc = 0;
    if (idx->numel > 0 && size_or_1(x, dim) == 0) {
        rc = 1;
        bad = ct_item_at_int(idx, 0);
    } else if (source->numel > 0) {
        ct_tensor *sc = source->storage == out->storage ? ct__to_dtype(source, source->dtype, true)
                                                        : ct_retain((ct_tensor *)source);
        rc = sc ? ct__sg_run(op, out, ev, sc, dim, alpha, &bad) : -1;
        ct_release(sc);
        if (rc < 0) {
            ct_release(ev);
            if (!inplace) ct_release(out);
            ct_release(idx);
            return NULL;
        }
    } else if (idx->numel > 0) {
        /* nothing moves, but PyTorch still checks the indices */
        for (int64_t i = 0; i < idx->numel && !rc; i++) {
            int64_t v = ct_item_at_int(idx, i);
            if (v < 0 || v >= size_or_1(x, dim)) {
                rc = 1;
                bad = v;
            }
        }
    }
    ct_release(ev);
    if (rc) {
        if (!inplace) ct_release(out);
        ct_release(idx);
        if (op == CT__SG_COPY)
            return CT_FAIL(CT_ERR_INDEX, "%s(): index %lld is out of bounds for dimension %d with size %lld",
                           name, (long long)bad, dim, (long long)size_or_1(x, dim));
        return CT_FAIL(CT_ERR_INDEX, "%s(): index out of range in self", name);
    }
    ct_op_args a = args_of(x, dim);
    a.f[0] = alpha;
    const ct_tensor *in[2] = {x, source};
    const ct_tensor *ex[1] = {idx};
    ct_tensor *r = inplace ? finish_inplace(out, opid, in, 2, ex, 1, &a)
                           : finish_new(out, opid, in, 2, ex, 1, &a);
    ct_release(idx);
    return r;
}

ct_tensor *ct_index_add(const ct_tensor *x, int dim, const ct_tensor *index,
                        const ct_tensor *source, double alpha) {
    return index_src_impl("index_add", CT_OP_index_add, CT__SG_ADD, x, false, dim, index, source, alpha);
}
ct_tensor *ct_index_add_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *source,
                         double alpha) {
    return index_src_impl("index_add_", CT_OP_index_add, CT__SG_ADD, x, true, dim, index, source, alpha);
}
ct_tensor *ct_index_copy(const ct_tensor *x, int dim, const ct_tensor *index,
                         const ct_tensor *source) {
    return index_src_impl("index_copy", CT_OP_index_copy, CT__SG_COPY, x, false, dim, index, source, 1);
}
ct_tensor *ct_index_copy_(ct_tensor *x, int dim, const ct_tensor *index, const ct_tensor *source) {
    return index_src_impl("index_copy_", CT_OP_index_copy, CT__SG_COPY, x, true, dim, index, source, 1);
}

/* index_fill wraps negative indices (unlike index_add/index_copy). */
static ct_tensor *index_fill_impl(const ct_tensor *x, bool inplace, int dim, const ct_tensor *index,
                                  double value, const ct_tensor *vt) {
    if (same_device("index_fill", (const ct_tensor *[]){x, index}, 2) < 0) return NULL;
    int d = ct_wrap_dim("index_fill", dim, x->ndim ? x->ndim : 1);
    if (d < 0) return NULL;
    if (index->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_INDEX, "index_fill_(): Expected dtype int64 for index, got %s",
                       ct_dtype_name(index->dtype));
    if (index->ndim > 1)
        return CT_FAIL(CT_ERR_RUNTIME, "index_fill_(): Index has to be a vector/scalar, got %s",
                       ct__shp(index));
    if (vt) {
        if (vt->ndim != 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "index_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           "with %d dimension(s).",
                           vt->ndim);
        if (ct_item(vt, &value) < 0) return NULL;
    }
    int64_t n = size_or_1(x, d);
    int64_t wshape[1] = {index->numel};
    /* the indices are wrapped and checked on the CPU (one copy from a GPU),
     * then go back to the GPU */
    ct_tensor *w = ct__empty(wshape, 1, CT_INT64);
    ct_tensor *ih = !w ? NULL : ct__on_cpu(index) ? ct_retain((ct_tensor *)index)
                                                  : ct__empty(index->sizes, index->ndim, CT_INT64);
    if (!ih || (ih != index && ct__copy_into(ih, index) < 0)) {
        ct_release(ih);
        ct_release(w);
        return NULL;
    }
    int64_t *wp = ct_data_ptr(w);
    for (int64_t i = 0; i < index->numel; i++) {
        int64_t v = ct_item_at_int(ih, i);
        if (v < -n || v >= n) {
            ct_release(ih);
            ct_release(w);
            return CT_FAIL(CT_ERR_INDEX, "index_fill_(): index %lld is out of bounds for dimension %d with size %lld",
                           (long long)v, d, (long long)n);
        }
        wp[i] = v < 0 ? v + n : v;
    }
    ct_release(ih);
    if (!ct__on_cpu(x)) {
        ct_tensor *g = ct__empty_on(wshape, 1, CT_INT64, x->storage->device);
        if (g && ct__copy_into(g, w) < 0) {
            ct_release(g);
            g = NULL;
        }
        ct_release(w);
        w = g;
        if (!w) return NULL;
    }
    if (ct__idx_begin_inplace(inplace, CT_OP_index_fill, x, vt) < 0) {
        ct_release(w);
        return NULL;
    }
    ct_tensor *out = inplace ? (ct_tensor *)x : ct__to_dtype(x, x->dtype, true);
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    if (x->ndim) shape[d] = index->numel;
    ct_tensor *ev = out ? expand_vector(w, shape, x->ndim, d) : NULL;
    if (!ev) {
        if (!inplace) ct_release(out);
        ct_release(w);
        return NULL;
    }
    int64_t bad;
    int frc = ev->numel ? ct__sg_run(CT__SG_FILL, out, ev, NULL, d, value, &bad) : 0;
    ct_release(ev);
    if (frc != 0) {
        if (!inplace) ct_release(out);
        ct_release(w);
        if (frc > 0) ct_set_error(CT_ERR_RUNTIME, "index_fill: internal error: index %lld", (long long)bad);
        return NULL;
    }
    ct_op_args a = args_of(x, d);
    a.f[0] = value;
    a.b[0] = vt != NULL;
    const ct_tensor *in[2] = {x, vt};
    const ct_tensor *ex[1] = {w};
    int nin = vt ? 2 : 1;
    ct_tensor *r = inplace ? finish_inplace(out, CT_OP_index_fill, in, nin, ex, 1, &a)
                           : finish_new(out, CT_OP_index_fill, in, nin, ex, 1, &a);
    ct_release(w);
    return r;
}

ct_tensor *ct_index_fill(const ct_tensor *x, int dim, const ct_tensor *index, double value) {
    return index_fill_impl(x, false, dim, index, value, NULL);
}
ct_tensor *ct_index_fill_(ct_tensor *x, int dim, const ct_tensor *index, double value) {
    return index_fill_impl(x, true, dim, index, value, NULL);
}
ct_tensor *ct_index_fill_tensor(const ct_tensor *x, int dim, const ct_tensor *index,
                                const ct_tensor *value) {
    return index_fill_impl(x, false, dim, index, 0, value);
}
ct_tensor *ct_index_fill_tensor_(ct_tensor *x, int dim, const ct_tensor *index,
                                 const ct_tensor *value) {
    return index_fill_impl(x, true, dim, index, 0, value);
}

/* ---------------------------------------------------------------- take_along_dim */

ct_tensor *ct_take_along_dim(const ct_tensor *x, const ct_tensor *indices, int dim) {
    if (indices->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.take_along_dim(): dtype of indices should be Long but got %s",
                       ct_dtype_name(indices->dtype));
    if (x->ndim != indices->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.take_along_dim(): input and indices should have the same number of "
                       "dimensions, but got %d dimensions for input, and %d dimensions for indices",
                       x->ndim, indices->ndim);
    int d = ct_wrap_dim("take_along_dim", dim, x->ndim ? x->ndim : 1);
    if (d < 0) return NULL;
    if (x->ndim == 0) return ct_gather(x, d, indices);
    /* broadcast every dim but d */
    int64_t xs[CT_MAX_DIMS], is[CT_MAX_DIMS], b[CT_MAX_DIMS];
    memcpy(xs, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    memcpy(is, indices->sizes, sizeof(int64_t) * (size_t)x->ndim);
    xs[d] = 1;
    is[d] = 1;
    if (ct_broadcast_shapes("take_along_dim", xs, x->ndim, is, x->ndim, b) < 0) return NULL;
    ct_scope s = ct_scope_begin();
    b[d] = x->sizes[d];
    ct_tensor *xe = ct_expand(x, b, x->ndim);
    b[d] = indices->sizes[d];
    ct_tensor *ie = xe ? ct_expand(indices, b, x->ndim) : NULL;
    ct_tensor *r = ie ? ct_gather(xe, d, ie) : NULL;
    if (r) ct_keep(r);
    ct_scope_end(s);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_take_along_dim_flat(const ct_tensor *x, const ct_tensor *indices) {
    if (indices->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.take_along_dim(): dtype of indices should be Long but got %s",
                       ct_dtype_name(indices->dtype));
    ct_scope s = ct_scope_begin();
    int64_t m1 = -1;
    ct_tensor *xf = ct_reshape(x, &m1, 1);
    ct_tensor *idf = xf ? ct_reshape(indices, &m1, 1) : NULL;
    ct_tensor *r = idf ? ct_gather(xf, 0, idf) : NULL;
    if (r) ct_keep(r);
    ct_scope_end(s);
    return r ? ct_autorelease(r) : NULL;
}
