/* Sorting ops: sort, argsort, msort, topk, kthvalue. Each moves the sort dim
 * last, makes the rows contiguous, sorts them with the typed merge sort of
 * src/kernels/cpu/sort.c, and moves the dim back. float16/bfloat16 rows are
 * sorted as float32 (exact) and converted back. */
#include "ops/shape_internal.h"

const char *ct__torch_type_name(ct_dtype dt) {
    static const char *names[CT_NUM_DTYPES] = {"Bool", "Byte",  "Char",     "Short", "Int",
                                               "Long", "Half",  "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

/* View of t with dims a and b swapped (owned, no autograd). */
static ct_tensor *swapped(const ct_tensor *t, int a, int b) {
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS];
    memcpy(s, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(st, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    s[a] = t->sizes[b];
    s[b] = t->sizes[a];
    st[a] = t->strides[b];
    st[b] = t->strides[a];
    return ct__tensor_new(t->storage, t->dtype, s, st, t->ndim, t->offset);
}

/* Sorts x along d and keeps positions [start, start + len) of every sorted
 * row; with topk >= 0 only the first topk are computed (then start = 0,
 * len = topk). Writes owned *vals (x's dtype; skipped when vals is NULL) and *idx
 * (int64), both contiguous and shaped like x with size len at d (0-d x:
 * 0-d results). Returns 0 or -1. */
static int sort_keep(const ct_tensor *x, int d, bool desc, int64_t start, int64_t len,
                     int64_t topk, ct_tensor **vals, ct_tensor **idx) {
    if (vals) *vals = NULL;
    *idx = NULL;
    /* on a GPU: rows sorted by ct__cuda->sort, or their first topk by ct__cuda->topk */
    ct_device dev = x->storage->device;
    bool gpu = !ct__on_cpu(x);
    if (gpu && !ct__cuda) {
        ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
        return -1;
    }
    if (x->ndim == 0) {
        if (vals && !(*vals = ct__to_dtype(x, x->dtype, true))) return -1;
        *idx = ct__empty_on(NULL, 0, CT_INT64, dev);
        if (*idx && !gpu) *(int64_t *)ct_data_ptr(*idx) = 0;
        if (!*idx || (gpu && ct__cuda->fill(*idx, 0) < 0)) {
            if (vals) ct_release(*vals);
            ct_release(*idx);
            *idx = NULL;
            return -1;
        }
        return 0;
    }
    int last = x->ndim - 1;
    ct_dtype wdt = (x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16) ? CT_FLOAT32 : x->dtype;
    ct_tensor *xt = swapped(x, d, last), *work = NULL, *vt = NULL, *it = NULL;
    int rc = -1;
    if (!xt) return -1;
    work = wdt == x->dtype ? ct__contiguous(xt) : ct__to_dtype(xt, wdt, true);
    if (!work) goto done;
    int64_t n = x->sizes[d], rows = n ? x->numel / n : 0;
    int64_t ks[CT_MAX_DIMS];
    memcpy(ks, xt->sizes, sizeof(int64_t) * (size_t)x->ndim);
    if (topk >= 0) ks[last] = topk;
    it = ct__empty_on(ks, x->ndim, CT_INT64, dev);
    if (vals) vt = ct__empty_on(ks, x->ndim, wdt, dev);
    if (!it || (vals && !vt)) goto done;
    if (gpu) {
        if ((topk >= 0 ? ct__cuda->topk(work, topk, desc, vt, it) : ct__cuda->sort(work, vt, it, desc)) < 0)
            goto done;
    } else if ((topk >= 0 ? ct__topk_rows(wdt, ct_data_ptr(work), vals ? ct_data_ptr(vt) : NULL,
                                          ct_data_ptr(it), rows, n, topk, desc)
                          : ct__sort_rows(wdt, ct_data_ptr(work), vals ? ct_data_ptr(vt) : NULL,
                                          ct_data_ptr(it), rows, n, desc)) < 0) {
        ct_set_error(CT_ERR_MEMORY, "sort: out of memory sorting rows of %lld elements of %s",
                     (long long)n, ct_dtype_name(x->dtype));
        goto done;
    }
    /* keep [start, start + len) of the last dim, swap d back, make contiguous */
    ks[last] = len;
    for (int pass = 0; pass < 2; pass++) {
        ct_tensor *src = pass == 0 ? it : vt;
        if (!src) continue;
        ct_tensor *kept = ct__tensor_new(src->storage, src->dtype, ks, src->strides, x->ndim,
                                         src->offset + start);
        ct_tensor *back = kept ? swapped(kept, d, last) : NULL;
        ct_release(kept);
        if (!back) goto done;
        ct_dtype odt = pass == 0 ? CT_INT64 : x->dtype;
        ct_tensor *res = ct__to_dtype(back, odt, true);
        ct_release(back);
        if (!res) goto done;
        if (pass == 0) *idx = res;
        else *vals = res;
    }
    rc = 0;
done:
    ct_release(xt);
    ct_release(work);
    ct_release(vt);
    ct_release(it);
    if (rc < 0) {
        if (vals) {
            ct_release(*vals);
            *vals = NULL;
        }
        ct_release(*idx);
        *idx = NULL;
    }
    return rc;
}

static bool sortable(const ct_tensor *x, const char *op) {
    if ((unsigned)x->dtype >= CT_NUM_DTYPES) {
        ct_set_error(CT_ERR_TYPE, "%s: invalid dtype", op);
        return false;
    }
    return true;
}

/* Records values (with indices as extra) and hands both to the scope. */
static ct_tensor *finish_pair(int op, const ct_tensor *x, ct_tensor *vals, ct_tensor *idx,
                              const ct_op_args *a, ct_tensor **indices) {
    const ct_tensor *ex[1] = {idx};
    if (ct__needs_grad(&x, 1) && ct_dtype_is_floating(x->dtype) &&
        ct__ag_record(op, vals, &x, 1, ex, 1, a) < 0) {
        ct_release(vals);
        ct_release(idx);
        return NULL;
    }
    if (indices) *indices = ct_autorelease(idx);
    else ct_release(idx);
    return ct_autorelease(vals);
}

ct_tensor *ct_sort(const ct_tensor *x, int dim, bool descending, bool stable,
                   ct_tensor **indices) {
    (void)stable; /* the merge sort is always stable */
    if (!sortable(x, "sort")) return NULL;
    int d = ct_wrap_dim("sort", dim, x->ndim);
    if (d < 0) return NULL;
    ct_tensor *v, *i;
    if (sort_keep(x, d, descending, 0, x->ndim ? x->sizes[d] : 1, -1, &v, &i) < 0) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    a.b[0] = descending;
    return finish_pair(CT_OP_sort, x, v, i, &a, indices);
}

ct_tensor *ct_argsort(const ct_tensor *x, int dim, bool descending, bool stable) {
    (void)stable;
    if (!sortable(x, "argsort")) return NULL;
    int d = ct_wrap_dim("argsort", dim, x->ndim);
    if (d < 0) return NULL;
    ct_tensor *i;
    if (sort_keep(x, d, descending, 0, x->ndim ? x->sizes[d] : 1, -1, NULL, &i) < 0) return NULL;
    return ct_autorelease(i);
}

ct_tensor *ct_msort(const ct_tensor *x) {
    if (!sortable(x, "msort")) return NULL;
    ct_tensor *v, *i;
    if (sort_keep(x, 0, false, 0, x->ndim ? x->sizes[0] : 1, -1, &v, &i) < 0) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    return finish_pair(CT_OP_msort, x, v, i, &a, NULL);
}

ct_tensor *ct_topk(const ct_tensor *x, int64_t k, int dim, bool largest, bool sorted,
                   ct_tensor **indices) {
    (void)sorted; /* results are always sorted */
    if (!sortable(x, "topk")) return NULL;
    int d = ct_wrap_dim("topk", dim, x->ndim);
    if (d < 0) return NULL;
    int64_t n = x->ndim ? x->sizes[d] : 1;
    if (k < 0 || k > n) return CT_FAIL(CT_ERR_RUNTIME, "selected index k out of range");
    ct_tensor *v, *i;
    if (x->ndim == 0) {
        if (sort_keep(x, d, largest, 0, 1, -1, &v, &i) < 0) return NULL;
    } else if (sort_keep(x, d, largest, 0, k, 2 * k < n ? k : -1, &v, &i) < 0) {
        return NULL;
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    a.i[1] = k;
    a.b[0] = largest;
    return finish_pair(CT_OP_topk, x, v, i, &a, indices);
}

ct_tensor *ct_kthvalue(const ct_tensor *x, int64_t k, int dim, bool keepdim,
                       ct_tensor **indices) {
    if (!sortable(x, "kthvalue")) return NULL;
    int d = ct_wrap_dim("kthvalue", dim, x->ndim);
    if (d < 0) return NULL;
    int64_t n = x->ndim ? x->sizes[d] : 1;
    if (x->ndim && n == 0)
        return CT_FAIL(CT_ERR_INDEX, "kthvalue(): Expected reduction dim %d to have non-zero size.",
                       d);
    if (k < 1 || k > n)
        return CT_FAIL(CT_ERR_RUNTIME, "kthvalue(): selected number k out of range for dimension %d",
                       d);
    ct_tensor *v, *i;
    if (sort_keep(x, d, false, x->ndim ? k - 1 : 0, 1, x->ndim && 2 * k < n ? k : -1, &v, &i) < 0)
        return NULL;
    if (!keepdim && x->ndim > 0) { /* drop dim d (size 1 now) */
        int64_t s[CT_MAX_DIMS];
        for (int j = 0, m = 0; j < x->ndim; j++)
            if (j != d) s[m++] = x->sizes[j];
        ct_tensor *v2 = ct__tensor_new(v->storage, v->dtype, s, NULL, x->ndim - 1, v->offset);
        ct_tensor *i2 = ct__tensor_new(i->storage, i->dtype, s, NULL, x->ndim - 1, i->offset);
        ct_release(v);
        ct_release(i);
        if (!v2 || !i2) {
            ct_release(v2);
            ct_release(i2);
            return NULL;
        }
        v = v2;
        i = i2;
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    a.i[1] = k;
    a.b[0] = keepdim;
    return finish_pair(CT_OP_kthvalue, x, v, i, &a, indices);
}
