/* Advanced indexing: aten::index / index_put (lists of index tensors, masks
 * turned into their nonzero coordinates), and the Python-style engine
 * ct_index_get / ct_index_set that applies ints, slices, None and Ellipsis
 * as views first and hands the tensor indices to ct_index / ct_index_put_.
 *
 * One offset tensor does the work: off[b] = sum_k wrap(idx_k[b]) *
 * stride(dim_k) over the broadcast index shape B, and the kernel reads
 * x + off[b] for every position of the non-indexed dims. */
#include "ops/index_internal.h"

#include <stdio.h>

/* Index slots after mask expansion: one int64 tensor (owned) or NULL per dim. */
typedef struct {
    int n;                     /* number of slots (<= x->ndim) */
    ct_tensor *t[CT_MAX_DIMS]; /* owned; NULL = whole dim */
} slots;

static void slots_free(slots *s) {
    for (int k = 0; k < s->n; k++) ct_release(s->t[k]);
    s->n = 0;
}

static bool is_mask(ct_dtype dt) { return dt == CT_BOOL || dt == CT_UINT8; }

static int slot_one(const ct_tensor *x, const ct_tensor *t, slots *s, int *dp);

static bool same_gpu(const ct_tensor *x, const ct_tensor *t) {
    ct_device a = x->storage->device, b = t->storage->device;
    return a.type != CT_CPU && a.type == b.type && a.index == b.index;
}

/* Expands the user's index list against x: masks become their nonzero
 * columns, int32 becomes int64; every slot is on the CPU or on x's GPU. Returns 0 or -1
 * (error set, nothing held). */
static int make_slots(const ct_tensor *x, const ct_tensor *const *indices, int n, slots *s) {
    memset(s, 0, sizeof *s);
    int d = 0;
    for (int k = 0; k < n; k++) {
        const ct_tensor *t = indices[k];
        /* indices on x's GPU stay there: their offsets are computed and
         * bounds-checked on the device (make_layout); others are read on
         * the CPU */
        ct_tensor *host = NULL;
        if (t && !ct__on_cpu(t) && !same_gpu(x, t)) {
            host = ct__empty(t->sizes, t->ndim, t->dtype);
            if (!host || ct__copy_into(host, t) < 0) {
                ct_release(host);
                slots_free(s);
                return -1;
            }
            t = host;
        }
        int rc = slot_one(x, t, s, &d);
        ct_release(host);
        if (rc < 0) return -1;
    }
    /* trailing whole dims need no slot */
    while (s->n > 0 && !s->t[s->n - 1]) s->n--;
    return 0;
}

/* One entry t (on the CPU or x's GPU, may be NULL) of the index list at dim *d of x. */
static int slot_one(const ct_tensor *x, const ct_tensor *t, slots *s, int *dp) {
    int d = *dp;
    {
        int consumes = !t ? 1 : is_mask(t->dtype) ? t->ndim : 1;
        if (t && !is_mask(t->dtype) && t->dtype != CT_INT64 && t->dtype != CT_INT32) {
            slots_free(s);
            ct_set_error(CT_ERR_INDEX,
                         "tensors used as indices must be long, int, byte or bool tensors (got %s)",
                         ct_dtype_name(t->dtype));
            return -1;
        }
        if (d + consumes > x->ndim) {
            slots_free(s);
            ct_set_error(CT_ERR_INDEX, "too many indices for tensor of dimension %d (got %d)",
                         x->ndim, d + consumes);
            return -1;
        }
        if (!t) {
            s->t[d++] = NULL;
        } else if (is_mask(t->dtype)) {
            if (t->ndim == 0) {
                slots_free(s);
                ct_set_error(CT_ERR_INDEX,
                             "index: a 0-dim mask is only supported through ct_index_get/set");
                return -1;
            }
            for (int j = 0; j < t->ndim; j++)
                if (t->sizes[j] != x->sizes[d + j]) {
                    slots_free(s);
                    ct_set_error(CT_ERR_INDEX,
                                 "The shape of the mask %s at index %d does not match the shape of "
                                 "the indexed tensor %s at index %d",
                                 ct__shp(t), j, ct__shp(x), d + j);
                    return -1;
                }
            ct_tensor *nz = ct__on_cpu(t) ? ct__nonzero(t) : ct__cuda->nonzero(t);
            if (!nz) {
                slots_free(s);
                return -1;
            }
            for (int j = 0; j < t->ndim; j++) {
                int64_t sz = nz->sizes[0], st = t->ndim;
                s->t[d++] = ct__tensor_new(nz->storage, CT_INT64, &sz, &st, 1, nz->offset + j);
            }
            ct_release(nz);
        } else {
            ct_tensor *l = t->dtype == CT_INT64 ? ct_retain((ct_tensor *)t)
                                                 : ct__to_dtype(t, CT_INT64, false);
            if (!l) {
                slots_free(s);
                return -1;
            }
            s->t[d++] = l;
        }
        s->n = d;
    }
    *dp = d;
    return 0;
}

/* The layout of x[slots]: result shape, strides of the source view and of
 * the offset view over it. */
typedef struct {
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    int64_t src_strides[CT_MAX_DIMS]; /* x's strides; 0 over the index dims */
    int64_t off_strides[CT_MAX_DIMS]; /* off's strides over the index dims; else 0 */
    ct_tensor *off;                   /* int64 [B], owned */
} layout;

static int make_layout(const char *op, const ct_tensor *x, const slots *s, layout *L) {
    memset(L, 0, sizeof *L);
    int64_t B[CT_MAX_DIMS];
    int nb = 0, first = -1, last = -1, count = 0;
    const ct_tensor *firstt = NULL;
    for (int k = 0; k < s->n; k++) {
        if (!s->t[k]) continue;
        if (first < 0) {
            first = k;
            firstt = s->t[k];
            nb = firstt->ndim;
            memcpy(B, firstt->sizes, sizeof(int64_t) * (size_t)nb);
        } else {
            int64_t nbuf[CT_MAX_DIMS];
            int r = ct_broadcast_shapes(op, B, nb, s->t[k]->sizes, s->t[k]->ndim, nbuf);
            if (r < 0) {
                /* PyTorch's wording, listing every index shape */
                char msg[512];
                size_t len = 0;
                for (int j = 0; j < s->n && len < sizeof msg - 64; j++) {
                    if (!s->t[j]) continue;
                    len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", len ? ", " : "",
                                            ct__shp(s->t[j]));
                }
                ct_set_error(CT_ERR_INDEX,
                             "shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes %s",
                             msg);
                return -1;
            }
            nb = r;
            memcpy(B, nbuf, sizeof(int64_t) * (size_t)nb);
        }
        last = k;
        count++;
    }
    bool adjacent = last - first + 1 == count;
    int rest = x->ndim - count;
    if (nb + rest > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_INDEX, "%s: result would have %d dims, at most %d supported", op,
                     nb + rest, CT_MAX_DIMS);
        return -1;
    }
    ct_device dev = x->storage->device;
    if (dev.type != CT_CPU) { /* on the GPU; a bad index is reported at the next sync */
        L->off = ct__empty_on(B, nb, CT_INT64, dev);
        if (!L->off || ct__cuda->fill(L->off, 0) < 0) {
            ct_release(L->off);
            L->off = NULL;
            return -1;
        }
    } else {
        L->off = ct__empty(B, nb, CT_INT64);
        if (!L->off) return -1;
        memset(ct_data_ptr(L->off), 0, sizeof(int64_t) * (size_t)L->off->numel);
    }
    for (int k = 0; k < s->n; k++) {
        if (!s->t[k]) continue;
        if (dev.type != CT_CPU) {
            ct_tensor *g = same_gpu(x, s->t[k]) ? ct_retain(s->t[k])
                                                : ct__empty_on(s->t[k]->sizes, s->t[k]->ndim, CT_INT64, dev);
            int rc = !g || (g != s->t[k] && ct__copy_into(g, s->t[k]) < 0) ? -1
                     : ct__cuda->index_add_offsets(L->off, g, x->sizes[k], x->strides[k], k);
            ct_release(g);
            if (rc < 0) {
                ct_release(L->off);
                L->off = NULL;
                return -1;
            }
            continue;
        }
        int64_t bad;
        if (ct__index_add_offsets(L->off, s->t[k], x->sizes[k], x->strides[k], &bad)) {
            ct_release(L->off);
            L->off = NULL;
            ct_set_error(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                         (long long)bad, k, (long long)x->sizes[k]);
            return -1;
        }
    }
    /* result dims: [x dims before first] B [x dims after last] when adjacent,
     * else B [the non-indexed x dims] (NumPy's rule) */
    int n = 0;
#define APPEND_B()                                                                    \
    for (int j = 0; j < nb; j++, n++) {                                               \
        L->sizes[n] = B[j];                                                           \
        L->src_strides[n] = 0;                                                        \
        L->off_strides[n] = L->off->strides[j];                                       \
    }
    if (!adjacent) APPEND_B();
    for (int d = 0; d < x->ndim; d++) {
        if (adjacent && d == first) APPEND_B();
        if (d < s->n && s->t[d]) continue;
        L->sizes[n] = x->sizes[d];
        L->src_strides[n] = x->strides[d];
        L->off_strides[n] = 0;
        n++;
    }
#undef APPEND_B
    L->ndim = n;
    return 0;
}

/* Record args shared by index and index_put. */
static ct_op_args slot_args(const ct_tensor *x, const slots *s, const ct_tensor **ex, int *nex) {
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = s->n;
    *nex = 0;
    for (int k = 0; k < s->n; k++)
        if (s->t[k]) {
            a.i[1] |= (int64_t)1 << k;
            ex[(*nex)++] = s->t[k];
        }
    a.ndims = x->ndim;
    for (int d = 0; d < x->ndim; d++) a.dims[d] = x->sizes[d];
    return a;
}

/* The offsets of L on dev (owned): L->off itself when it is there (always,
 * today: make_layout computes them on x's device), else a copy, viewed
 * over L's shape. */
static ct_tensor *offsets_on(const layout *L, ct_device dev) {
    ct_tensor *o = ct_retain(L->off);
    ct_device od = o->storage->device;
    if (od.type != dev.type || od.index != dev.index) {
        ct_release(o);
        o = ct__empty_on(L->off->sizes, L->off->ndim, CT_INT64, dev);
        if (o && ct__copy_into(o, L->off) < 0) {
            ct_release(o);
            o = NULL;
        }
    }
    ct_tensor *v = o ? ct__tensor_new(o->storage, CT_INT64, L->sizes, L->off_strides, L->ndim, o->offset)
                     : NULL;
    ct_release(o);
    return v;
}

static ct_tensor *index_slots(const ct_tensor *x, const slots *s) {
    layout L;
    if (make_layout("index", x, s, &L) < 0) return NULL;
    ct_device dev = x->storage->device;
    ct_tensor *out = ct__empty_on(L.sizes, L.ndim, x->dtype, dev);
    ct_tensor *src = ct__tensor_new(x->storage, x->dtype, L.sizes, L.src_strides, L.ndim, x->offset);
    ct_tensor *off = offsets_on(&L, dev);
    int rc = out && src && off ? 0 : -1;
    if (rc == 0) {
        if (dev.type == CT_CPU) ct__index_gather_offsets(out, src, off);
        else rc = ct__cuda->index_offsets(out, src, off, false, false);
    }
    ct_release(src);
    ct_release(off);
    ct_release(L.off);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    const ct_tensor *ex[CT_MAX_DIMS];
    int nex;
    ct_op_args a = slot_args(x, s, ex, &nex);
    if (ct__needs_grad(&x, 1) && ct__ag_record(CT_OP_index, out, &x, 1, ex, nex, &a) < 0) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

ct_tensor *ct_index(const ct_tensor *x, const ct_tensor *const *indices, int n) {
    slots s;
    if (make_slots(x, indices, n, &s) < 0) return NULL;
    if (s.n == 0) return ct_clone(x); /* no tensor index: still a new tensor, like PyTorch */
    ct_tensor *r = index_slots(x, &s);
    slots_free(&s);
    return r;
}

/* dst[slots] = values (or +=) into dst in place. */
static int put_slots(ct_tensor *dst, const slots *s, const ct_tensor *values, bool accumulate) {
    layout L;
    if (make_layout("index_put", dst, s, &L) < 0) return -1;
    int64_t vst[CT_MAX_DIMS];
    for (int d = 0; d < L.ndim; d++) {
        int vd = values->ndim - L.ndim + d;
        if (vd < 0 || values->sizes[vd] == 1) vst[d] = 0;
        else vst[d] = values->strides[vd];
        if (vd >= 0 && values->sizes[vd] != 1 && values->sizes[vd] != L.sizes[d]) vd = -99;
        if (vd == -99 || values->ndim > L.ndim) {
            ct_release(L.off);
            ct_set_error(CT_ERR_RUNTIME,
                         "shape mismatch: value tensor of shape %s cannot be broadcast to indexing "
                         "result of shape %s",
                         ct__shp(values), ct_shape_str(L.sizes, L.ndim, (char[160]){0}, 160));
            return -1;
        }
    }
    if (L.ndim == 0 && values->ndim > 0) {
        ct_release(L.off);
        ct_set_error(CT_ERR_RUNTIME,
                     "shape mismatch: value tensor of shape %s cannot be broadcast to indexing "
                     "result of shape []",
                     ct__shp(values));
        return -1;
    }
    ct_device dev = dst->storage->device;
    ct_tensor *dv = ct__tensor_new(dst->storage, dst->dtype, L.sizes, L.src_strides, L.ndim, dst->offset);
    ct_tensor *vv = ct__tensor_new(values->storage, values->dtype, L.sizes, vst, L.ndim, values->offset);
    ct_tensor *ov = offsets_on(&L, dev);
    int rc = dv && vv && ov ? 0 : -1;
    if (rc == 0) {
        if (dev.type == CT_CPU) ct__index_put_offsets(dv, vv, ov, accumulate);
        else rc = ct__cuda->index_offsets(dv, vv, ov, true, accumulate);
    }
    ct_release(dv);
    ct_release(vv);
    ct_release(ov);
    ct_release(L.off);
    return rc;
}

static ct_tensor *index_put_impl(const ct_tensor *x, bool inplace, const ct_tensor *const *indices,
                                 int n, const ct_tensor *values, bool accumulate) {
    ct_device xd = x->storage->device, vd = values->storage->device;
    if (xd.type != vd.type || xd.index != vd.index) {
        char b1[16], b2[16];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "index_put_(): Expected all tensors to be on the same device, but found at "
                       "least two devices, %s and %s!",
                       ct_device_str(xd, b1, sizeof b1), ct_device_str(vd, b2, sizeof b2));
    }
    if (values->dtype != x->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Index put requires the source and destination dtypes match, got %s for the "
                       "destination and %s for the source.",
                       ct_dtype_name(x->dtype), ct_dtype_name(values->dtype));
    slots s;
    if (make_slots(x, indices, n, &s) < 0) return NULL;
    if (ct__idx_begin_inplace(inplace, CT_OP_index_put, x, values) < 0) {
        slots_free(&s);
        return NULL;
    }
    ct_tensor *out = inplace ? (ct_tensor *)x : ct__to_dtype(x, x->dtype, true);
    /* values that alias the destination are read from a copy */
    ct_tensor *v = values->storage == x->storage ? ct__to_dtype(values, values->dtype, true)
                                                  : ct_retain((ct_tensor *)values);
    int rc = (out && v) ? 0 : -1;
    if (rc == 0) {
        if (s.n == 0) {
            /* no index: the whole tensor, as out viewed [1, ...] indexed by [0] */
            int64_t sz[CT_MAX_DIMS], st[CT_MAX_DIMS], one = 1;
            sz[0] = 1;
            st[0] = 1;
            for (int d = 0; d < out->ndim; d++) {
                sz[d + 1] = out->sizes[d];
                st[d + 1] = out->strides[d];
            }
            slots all;
            memset(&all, 0, sizeof all);
            ct_tensor *ov = out->ndim < CT_MAX_DIMS
                                ? ct__tensor_new(out->storage, out->dtype, sz, st, out->ndim + 1, out->offset)
                                : NULL;
            all.t[0] = ct__empty(&one, 1, CT_INT64);
            all.n = 1;
            if (ov && all.t[0]) {
                *(int64_t *)ct_data_ptr(all.t[0]) = 0;
                rc = put_slots(ov, &all, v, accumulate);
            } else {
                rc = -1;
                if (!ov) ct_set_error(CT_ERR_RUNTIME, "index_put: too many dims");
            }
            ct_release(ov);
            slots_free(&all);
        } else {
            rc = put_slots(out, &s, v, accumulate);
        }
    }
    ct_release(v);
    if (rc < 0) {
        if (!inplace) ct_release(out);
        slots_free(&s);
        return NULL;
    }
    const ct_tensor *ex[CT_MAX_DIMS];
    int nex;
    ct_op_args a = slot_args(x, &s, ex, &nex);
    a.b[1] = accumulate;
    const ct_tensor *in[2] = {x, values};
    ct_tensor *r;
    if (inplace) {
        ct_bump_version(out);
        a.b[3] = true;
        r = out;
        if (ct__needs_grad(in, 2) && ct__ag_record(CT_OP_index_put, out, in, 2, ex, nex, &a) < 0)
            r = NULL;
    } else {
        r = out;
        if (ct__needs_grad(in, 2) && ct__ag_record(CT_OP_index_put, out, in, 2, ex, nex, &a) < 0) {
            ct_release(out);
            r = NULL;
        } else {
            r = ct_autorelease(out);
        }
    }
    slots_free(&s);
    return r;
}

ct_tensor *ct_index_put(const ct_tensor *x, const ct_tensor *const *indices, int n,
                        const ct_tensor *values, bool accumulate) {
    return index_put_impl(x, false, indices, n, values, accumulate);
}
ct_tensor *ct_index_put_(ct_tensor *x, const ct_tensor *const *indices, int n,
                         const ct_tensor *values, bool accumulate) {
    return index_put_impl(x, true, indices, n, values, accumulate);
}

/* ---------------------------------------------------------------- x[...] */

/* Applies ints, slices, None and Ellipsis as views of x (inside the
 * caller's scope) and collects the tensor indices per dim of the view.
 * adv[] entries are borrowed from idx or scope-owned. Returns the view
 * (scope-owned) or NULL. */
static ct_tensor *apply_basic(const ct_tensor *x, const ct_index_item *idx, int n,
                              const ct_tensor **adv, int *nadv) {
    int consumed = 0, ellipses = 0;
    for (int k = 0; k < n; k++) {
        switch (idx[k].kind) {
        case CT_IDX_INT:
        case CT_IDX_SLICE: consumed++; break;
        case CT_IDX_ELLIPSIS: ellipses++; break;
        case CT_IDX_NONE: break;
        case CT_IDX_TENSOR:
            if (!idx[k].tensor) return CT_FAIL(CT_ERR_VALUE, "index: tensor index %d is NULL", k);
            consumed += is_mask(idx[k].tensor->dtype) ? idx[k].tensor->ndim : 1;
            break;
        default: return CT_FAIL(CT_ERR_VALUE, "index: unknown index kind %d", (int)idx[k].kind);
        }
    }
    if (ellipses > 1) return CT_FAIL(CT_ERR_INDEX, "an index can only have a single ellipsis ('...')");
    if (consumed > x->ndim)
        return CT_FAIL(CT_ERR_INDEX, "too many indices for tensor of dimension %d", x->ndim);
    ct_tensor *v = ct_autorelease(ct_retain((ct_tensor *)x));
    int d = 0, covered = 0; /* dims of v covered by adv[0..*nadv) */
    *nadv = 0;
#define ADD_ADV(T, NDIMS)                                                             \
    do {                                                                              \
        while (covered < d) adv[(*nadv)++] = NULL, covered++;                         \
        adv[(*nadv)++] = (T);                                                         \
        covered += (NDIMS);                                                           \
    } while (0)
    for (int k = 0; k < n && v; k++) {
        const ct_index_item *it = &idx[k];
        switch (it->kind) {
        case CT_IDX_INT: {
            int64_t size = v->sizes[d];
            if (it->i < -size || it->i >= size)
                return CT_FAIL(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                               (long long)it->i, d, (long long)size);
            v = ct_select(v, d, it->i);
            break;
        }
        case CT_IDX_SLICE: {
            int64_t step = it->step;
            if (step <= 0) return CT_FAIL(CT_ERR_VALUE, "step must be greater than zero");
            int64_t start = it->has_start ? it->start : 0;
            int64_t stop = it->has_stop ? it->stop : INT64_MAX;
            if (!(start == 0 && stop >= v->sizes[d] && step == 1)) v = ct_slice(v, d, start, stop, step);
            d++;
            break;
        }
        case CT_IDX_NONE:
            if (v->ndim >= CT_MAX_DIMS)
                return CT_FAIL(CT_ERR_INDEX, "index: too many dims (at most %d)", CT_MAX_DIMS);
            v = ct_unsqueeze(v, d);
            d++;
            break;
        case CT_IDX_ELLIPSIS: d += x->ndim - consumed; break;
        case CT_IDX_TENSOR: {
            const ct_tensor *t = it->tensor;
            if (!is_mask(t->dtype) && t->dtype != CT_INT64 && t->dtype != CT_INT32)
                return CT_FAIL(CT_ERR_INDEX,
                               "tensors used as indices must be long, int, byte or bool tensors "
                               "(got %s)",
                               ct_dtype_name(t->dtype));
            if (is_mask(t->dtype) && t->ndim == 0) {
                /* x[True] adds a dim of size 1 and takes it (or none of it);
                 * a mask on a GPU is read with one copy, the index stays on
                 * the CPU (its offsets move to x's device) */
                if (v->ndim >= CT_MAX_DIMS)
                    return CT_FAIL(CT_ERR_INDEX, "index: too many dims (at most %d)", CT_MAX_DIMS);
                v = ct_unsqueeze(v, d);
                int64_t len = ct_item_at_int(t, 0) != 0 ? 1 : 0;
                ct_tensor *z = ct_empty(&len, 1, CT_INT64);
                if (!z) return NULL;
                if (len) *(int64_t *)ct_data_ptr(z) = 0;
                ADD_ADV(z, 1);
                d++;
            } else if (is_mask(t->dtype)) {
                for (int j = 0; j < t->ndim; j++)
                    if (t->sizes[j] != v->sizes[d + j])
                        return CT_FAIL(CT_ERR_INDEX,
                                       "The shape of the mask %s at index %d does not match the "
                                       "shape of the indexed tensor %s at index %d",
                                       ct__shp(t), j, ct__shp(v), d + j);
                ADD_ADV(t, t->ndim);
                d += t->ndim;
            } else {
                ADD_ADV(t, 1);
                d++;
            }
            break;
        }
        }
    }
#undef ADD_ADV
    return v;
}

ct_tensor *ct_index_get(const ct_tensor *x, const ct_index_item *idx, int n) {
    ct_scope s = ct_scope_begin();
    const ct_tensor *adv[CT_MAX_DIMS];
    int nadv;
    ct_tensor *v = apply_basic(x, idx, n, adv, &nadv);
    ct_tensor *r = NULL;
    if (v && nadv == 1 && is_mask(adv[0]->dtype) && adv[0]->ndim == v->ndim)
        r = ct_masked_select(v, adv[0]); /* x[mask] over every dim: no offsets needed */
    else if (v)
        r = nadv ? ct_index(v, adv, nadv) : v;
    /* a bare view of x itself (x[...], x[:]) is still a new tensor object */
    if (r == x) r = ct_alias(x);
    if (r) ct_keep(r);
    ct_scope_end(s);
    return r ? ct_autorelease(r) : NULL;
}

int ct_index_set(ct_tensor *x, const ct_index_item *idx, int n, const ct_tensor *value) {
    ct_scope s = ct_scope_begin();
    const ct_tensor *adv[CT_MAX_DIMS];
    int nadv;
    int rc = -1;
    ct_tensor *v = apply_basic(x, idx, n, adv, &nadv);
    const ct_tensor *val = v ? ct_to_dtype(value, x->dtype, false) : NULL;
    ct_device xd = x->storage->device;
    if (val && (val->storage->device.type != xd.type || val->storage->device.index != xd.index))
        val = ct_to_device(val, xd); /* x_gpu[i] = 1.0: the value moves to x */
    /* PyTorch drops leading size-1 dims of the value (x[0] = ones(1, 3)) */
    if (val) {
        int lead = 0;
        while (lead < val->ndim && val->sizes[lead] == 1) lead++;
        if (lead) val = ct_reshape(val, val->sizes + lead, val->ndim - lead);
    }
    if (val && nadv == 1 && is_mask(adv[0]->dtype) && adv[0]->ndim > 0 && val->numel == 1) {
        /* x[mask] = scalar: a masked fill, the mask viewed over v's
         * remaining dims */
        const ct_tensor *m = adv[0];
        int64_t ms[CT_MAX_DIMS];
        for (int d = 0; d < v->ndim; d++) ms[d] = d < m->ndim ? m->sizes[d] : 1;
        const ct_tensor *mv = ct_reshape(m, ms, v->ndim);
        const ct_tensor *v0 = mv ? ct_reshape(val, NULL, 0) : NULL;
        rc = v0 && ct_masked_fill_tensor_((ct_tensor *)v, mv, v0) ? 0 : -1;
    } else if (val) {
        if (nadv) rc = ct_index_put_((ct_tensor *)v, adv, nadv, val, false) ? 0 : -1;
        else rc = ct_copy_((ct_tensor *)v, val) ? 0 : -1;
    }
    ct_scope_end(s);
    return rc;
}
