/* Counting ops: unique, unique_consecutive, searchsorted, bincount, histc.
 * None is differentiable (integer results or piecewise constant). On a GPU:
 * unique is the GPU sort, then a compaction of the run starts
 * (ct__cuda->compact, whose count sizes the result) and gathers;
 * searchsorted and the histograms have kernels (ct__cuda->searchsorted,
 * ->hist); bincount adds into its bins with ct__sg_run. Sizes that depend
 * on the data (unique's count, bincount's and histc's ranges) come to the
 * host with a synchronising copy, as in PyTorch. */
#include "ops/shape_internal.h"
#include "ops/index_internal.h"

#include <math.h>
#include <stdio.h>
#include <omp.h>

/* Contiguous flattened copy of x in a native dtype (float16/bfloat16 become
 * float32, exactly). Owned. */
static ct_tensor *flat_native(const ct_tensor *x) {
    ct_dtype wdt = (x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16) ? CT_FLOAT32 : x->dtype;
    ct_tensor *c = wdt == x->dtype ? ct__contiguous(x) : ct__to_dtype(x, wdt, true);
    if (!c) return NULL;
    int64_t n = x->numel;
    ct_tensor *f = ct__tensor_new(c->storage, c->dtype, &n, NULL, 1, c->offset);
    ct_release(c);
    return f;
}

/* Shared tail of unique/unique_consecutive: x flattened (original dtype),
 * order[i] = flat position of the i-th element in the grouped order,
 * group[i] its group. Builds values/inverse/counts. */
static ct_tensor *unique_finish(const ct_tensor *x, const int64_t *order, const int64_t *group,
                                int64_t ngroups, ct_tensor **inverse, ct_tensor **counts) {
    int64_t n = x->numel;
    ct_tensor *c = ct__contiguous(x);
    ct_tensor *vals = ct__empty(&ngroups, 1, x->dtype);
    ct_tensor *inv = inverse ? ct__empty(x->sizes, x->ndim, CT_INT64) : NULL;
    ct_tensor *cnt = counts ? ct__empty(&ngroups, 1, CT_INT64) : NULL;
    if (!c || !vals || (inverse && !inv) || (counts && !cnt)) {
        ct_release(c);
        ct_release(vals);
        ct_release(inv);
        ct_release(cnt);
        return NULL;
    }
    size_t isz = ct_dtype_size(x->dtype);
    const char *src = ct_data_ptr(c);
    char *dst = ct_data_ptr(vals);
    int64_t *ci = cnt ? ct_data_ptr(cnt) : NULL, *ii = inv ? ct_data_ptr(inv) : NULL;
    if (ci) memset(ci, 0, sizeof(int64_t) * (size_t)ngroups);
    for (int64_t i = 0; i < n; i++) {
        int64_t g = group[i];
        if (i == 0 || group[i - 1] != g) memcpy(dst + (size_t)g * isz, src + (size_t)order[i] * isz, isz);
        if (ci) ci[g]++;
        if (ii) ii[order[i]] = g;
    }
    ct_release(c);
    if (inverse) *inverse = ct_autorelease(inv);
    if (counts) *counts = ct_autorelease(cnt);
    return ct_autorelease(vals);
}

/* One tensor on dev of n int64 holding the value v (a broadcast view). Owned. */
static ct_tensor *int64_splat(int64_t v, int64_t n, ct_device dev) {
    ct_tensor *one = ct__empty_on(NULL, 0, CT_INT64, dev);
    if (!one || ct__cuda->fill(one, (double)v) < 0) {
        ct_release(one);
        return NULL;
    }
    int64_t zero = 0;
    ct_tensor *r = ct__tensor_new(one->storage, CT_INT64, &n, &zero, 1, one->offset);
    ct_release(one);
    return r;
}

/* unique / unique_consecutive of x on a GPU: sort (when sort) the
 * flattened values, compact the starts of the runs of equal values (their
 * count sizes the result: one copy to the host), then gather the values,
 * scatter the group of each sorted element to its original position
 * (inverse) and difference the run starts (counts). */
static ct_tensor *gpu_unique(const ct_tensor *x, bool sort, ct_tensor **inverse, ct_tensor **counts) {
    ct_device dev = x->storage->device;
    int64_t n = x->numel, bad = 0;
    ct_tensor *f = flat_native(x), *sv = NULL, *order = NULL, *first = NULL, *rank = NULL;
    ct_tensor *vals = NULL, *inv = NULL, *cnt = NULL, *res = NULL;
    if (!f) return NULL;
    if (sort && n > 0) {
        sv = ct__empty_on(&n, 1, f->dtype, dev);
        order = sv ? ct__empty_on(&n, 1, CT_INT64, dev) : NULL;
        if (!order || ct__cuda->sort(f, sv, order, false) < 0) goto done;
    } else {
        sv = ct_retain(f);
    }
    int64_t ng = ct__cuda->compact(sv, true, NULL, 0, &first, inverse ? &rank : NULL, NULL, NULL);
    if (ng < 0) goto done;
    vals = ct__empty_on(&ng, 1, f->dtype, dev);
    if (!vals || (ng > 0 && ct__sg_run(CT__SG_GATHER, sv, first, vals, 0, 0, &bad) != 0)) goto done;
    if (f->dtype != x->dtype) { /* float16/bfloat16 went through float32, exactly */
        ct_tensor *v = ct__to_dtype(vals, x->dtype, true);
        ct_release(vals);
        if (!(vals = v)) goto done;
    }
    if (inverse) {
        inv = ct__empty_on(x->sizes, x->ndim, CT_INT64, dev);
        ct_tensor *flat = inv ? ct__tensor_new(inv->storage, CT_INT64, &n, NULL, 1, inv->offset) : NULL;
        int rc = !flat ? -1 : n == 0 ? 0
                 : order ? ct__sg_run(CT__SG_COPY, flat, order, rank, 0, 0, &bad)
                         : ct__copy_into(flat, rank);
        ct_release(flat);
        if (rc != 0) goto done;
    }
    if (counts) {
        /* counts[g] = next start - start, the start after the last being n */
        cnt = ct__empty_on(&ng, 1, CT_INT64, dev);
        if (!cnt) goto done;
        if (ng > 0) {
            int64_t m = ng - 1, one = 1;
            ct_tensor *dst = ct__tensor_new(cnt->storage, CT_INT64, &m, NULL, 1, cnt->offset);
            ct_tensor *src = ct__tensor_new(first->storage, CT_INT64, &m, NULL, 1, first->offset + 1);
            ct_tensor *last = ct__tensor_new(cnt->storage, CT_INT64, &one, NULL, 1, cnt->offset + m);
            int rc = dst && src && last ? 0 : -1;
            if (rc == 0 && m > 0) rc = ct__copy_into(dst, src);
            if (rc == 0) rc = ct__cuda->fill(last, (double)n);
            ct_release(dst);
            ct_release(src);
            ct_release(last);
            if (rc < 0 || !ct_sub_(cnt, first)) goto done;
        }
    }
    res = vals;
    vals = NULL;
done:
    ct_release(f);
    ct_release(sv);
    ct_release(order);
    ct_release(first);
    ct_release(rank);
    ct_release(vals);
    if (!res) {
        ct_release(inv);
        ct_release(cnt);
        return NULL;
    }
    if (inverse) *inverse = ct_autorelease(inv);
    if (counts) *counts = ct_autorelease(cnt);
    return ct_autorelease(res);
}

ct_tensor *ct_unique(const ct_tensor *x, bool sorted, ct_tensor **inverse, ct_tensor **counts) {
    if (!ct__on_cpu(x)) return gpu_unique(x, true, inverse, counts);
    (void)sorted; /* always sorted, which PyTorch allows for sorted=False */
    ct_tensor *f = flat_native(x);
    if (!f) return NULL;
    int64_t n = x->numel;
    ct_tensor *sv = ct__empty(&n, 1, f->dtype);
    int64_t *order = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int64_t *group = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    ct_tensor *r = NULL;
    if (!sv || !order || !group) {
        ct_set_error(CT_ERR_MEMORY, "unique: out of memory");
        goto done;
    }
    if (ct__sort_rows(f->dtype, ct_data_ptr(f), ct_data_ptr(sv), order, n ? 1 : 0, n, false) < 0) {
        ct_set_error(CT_ERR_MEMORY, "unique: out of memory sorting %lld elements", (long long)n);
        goto done;
    }
    int64_t ng = n ? ct__group_runs(f->dtype, ct_data_ptr(sv), n, group) : 0;
    r = unique_finish(x, order, group, ng, inverse, counts);
done:
    ct_release(f);
    ct_release(sv);
    free(order);
    free(group);
    return r;
}

ct_tensor *ct_unique_consecutive(const ct_tensor *x, ct_tensor **inverse, ct_tensor **counts) {
    if (!ct__on_cpu(x)) return gpu_unique(x, false, inverse, counts);
    ct_tensor *f = flat_native(x);
    if (!f) return NULL;
    int64_t n = x->numel;
    int64_t *order = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int64_t *group = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    ct_tensor *r = NULL;
    if (!order || !group) {
        ct_set_error(CT_ERR_MEMORY, "unique_consecutive: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) order[i] = i;
    int64_t ng = n ? ct__group_runs(f->dtype, ct_data_ptr(f), n, group) : 0;
    r = unique_finish(x, order, group, ng, inverse, counts);
done:
    ct_release(f);
    free(order);
    free(group);
    return r;
}

/* ---------------------------------------------------------------- searchsorted */
/* PyTorch's bounds: left finds the first i with !(seq[i] < v) written as
 * !(seq[i] >= v) -> go right; right uses !(seq[i] > v). NaNs follow from the
 * plain comparisons, as in PyTorch. */
#define SEARCH_LOOP(T)                                                                     \
    do {                                                                                   \
        const T *sq = ct_data_ptr(seq), *vv = ct_data_ptr(vals);                           \
        _Pragma("omp parallel for schedule(static) if (nv >= CT_GRAIN / 4)")               \
        for (int64_t i = 0; i < nv; i++) {                                                 \
            const T *row = batched ? sq + (i / inner) * n : sq;                            \
            T v = vv[i];                                                                   \
            int64_t lo = 0, hi = n;                                                        \
            while (lo < hi) {                                                              \
                int64_t mid = lo + ((hi - lo) >> 1);                                       \
                bool go_right = right ? !(row[mid] > v) : !(row[mid] >= v);                \
                if (go_right) lo = mid + 1;                                                \
                else hi = mid;                                                             \
            }                                                                              \
            if (o32) ((int32_t *)out)[i] = (int32_t)lo;                                    \
            else ((int64_t *)out)[i] = lo;                                                 \
        }                                                                                  \
    } while (0)

static ct_tensor *searchsorted_impl(const ct_tensor *sorted_sequence, const ct_tensor *values,
                                    ct_dtype cdt, bool out_int32, bool right, const char *side) {
    const ct_tensor *s = sorted_sequence;
    ct_device dev = s->storage->device, vdev = values->storage->device;
    if (dev.type != vdev.type || dev.index != vdev.index) {
        char b1[16], b2[16];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.searchsorted(): Expected all tensors to be on the same device, but "
                       "found at least two devices, %s and %s!",
                       ct_device_str(dev, b1, sizeof b1), ct_device_str(vdev, b2, sizeof b2));
    }
    if (side) {
        if (strcmp(side, "left") != 0 && strcmp(side, "right") != 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "torch.searchsorted(): side can only be 'left' or 'right' but got %s",
                           side);
        if (right && strcmp(side, "left") == 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True");
        right = strcmp(side, "right") == 0;
    }
    if (s->ndim == 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.searchsorted(): boundaries tensor should have positive dimension, "
                       "but got 0 dimension");
    bool batched = s->ndim > 1;
    if (batched && values->ndim == 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.searchsorted(): input value can be a scalar only when boundaries "
                       "tensor dimension is 1, but we got boundaries tensor dim(%d) and input "
                       "value's dim(0) numel(1)",
                       s->ndim);
    if (batched) {
        bool ok = values->ndim == s->ndim;
        for (int i = 0; ok && i < s->ndim - 1; i++) ok = values->sizes[i] == s->sizes[i];
        if (!ok)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor must "
                           "match, but we got boundaries tensor %s and input value tensor %s",
                           ct__shp(s), ct__shp(values));
    }
    if (cdt == CT_FLOAT16 || cdt == CT_BFLOAT16) cdt = CT_FLOAT32;
    ct_tensor *seq = ct__to_dtype(s, cdt, false), *vals = ct__to_dtype(values, cdt, false);
    ct_tensor *sc = seq ? ct__contiguous(seq) : NULL, *vc = vals ? ct__contiguous(vals) : NULL;
    ct_release(seq);
    ct_release(vals);
    seq = sc;
    vals = vc;
    ct_tensor *res = (seq && vals) ? ct__empty_on(values->sizes, values->ndim,
                                                  out_int32 ? CT_INT32 : CT_INT64, dev)
                                   : NULL;
    if (res && dev.type != CT_CPU) {
        if (ct__cuda->searchsorted(seq, vals, res, right) < 0) {
            ct_release(res);
            res = NULL;
        }
    } else if (res) {
        int64_t n = s->sizes[s->ndim - 1], nv = values->numel;
        int64_t inner = values->ndim ? values->sizes[values->ndim - 1] : 1;
        void *out = ct_data_ptr(res);
        bool o32 = out_int32;
        switch (cdt) {
        case CT_BOOL: SEARCH_LOOP(bool); break;
        case CT_UINT8: SEARCH_LOOP(uint8_t); break;
        case CT_INT8: SEARCH_LOOP(int8_t); break;
        case CT_INT16: SEARCH_LOOP(int16_t); break;
        case CT_INT32: SEARCH_LOOP(int32_t); break;
        case CT_INT64: SEARCH_LOOP(int64_t); break;
        case CT_FLOAT32: SEARCH_LOOP(float); break;
        case CT_FLOAT64: SEARCH_LOOP(double); break;
        default: break;
        }
    }
    ct_release(seq);
    ct_release(vals);
    return res ? ct_autorelease(res) : NULL;
}

ct_tensor *ct_searchsorted(const ct_tensor *sorted_sequence, const ct_tensor *values,
                           bool out_int32, bool right, const char *side) {
    ct_dtype cdt = ct_promote_types(sorted_sequence->dtype, values->dtype);
    return searchsorted_impl(sorted_sequence, values, cdt, out_int32, right, side);
}

ct_tensor *ct_searchsorted_scalar(const ct_tensor *sorted_sequence, double value, bool out_int32,
                                  bool right, const char *side) {
    /* a Python number: keeps the sequence's dtype unless an integer sequence
     * meets a fractional value (then compare in float64) */
    ct_dtype cdt = sorted_sequence->dtype;
    if (!ct_dtype_is_floating(cdt) && value != floor(value)) cdt = CT_FLOAT64;
    ct_device dev = sorted_sequence->storage->device;
    ct_tensor *v = ct__empty_on(NULL, 0, CT_FLOAT64, dev);
    if (!v) return NULL;
    if (dev.type == CT_CPU) {
        *(double *)ct_data_ptr(v) = value;
    } else if (ct__cuda->fill(v, value) < 0) {
        ct_release(v);
        return NULL;
    }
    ct_tensor *r = searchsorted_impl(sorted_sequence, v, cdt, out_int32, right, side);
    ct_release(v);
    return r;
}

ct_tensor *ct_bucketize(const ct_tensor *values, const ct_tensor *boundaries, bool out_int32,
                        bool right) {
    if (boundaries->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "boundaries tensor must be 1 dimension, but got dim(%d)",
                       boundaries->ndim);
    return ct_searchsorted(boundaries, values, out_int32, right, NULL);
}

ct_tensor *ct_bucketize_scalar(double value, const ct_tensor *boundaries, bool out_int32,
                               bool right) {
    if (boundaries->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "boundaries tensor must be 1 dimension, but got dim(%d)",
                       boundaries->ndim);
    return ct_searchsorted_scalar(boundaries, value, out_int32, right, NULL);
}

/* ---------------------------------------------------------------- bincount */
/* The extremes of x (a GPU tensor, numel > 0) on the host: two reductions
 * on the GPU and one copy each. NaN propagates. 0 or -1. */
static int gpu_extremes(const ct_tensor *x, double *mn, double *mx) {
    ct_grad_mode g = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *a = ct_min(x), *b = a ? ct_max(x) : NULL;
    int rc = b && ct_item(a, mn) == 0 && ct_item(b, mx) == 0 ? 0 : -1;
    ct_scope_end(sc);
    ct_grad_mode_end(g);
    return rc;
}

/* bincount on a GPU: the range comes to the host (it sizes the result),
 * the counts (or float64 sums of the weights) are added into the bins by
 * the atomic scatter-add of ct__sg_run. Owned. */
static ct_tensor *gpu_bincount(const ct_tensor *x, const ct_tensor *weights, int64_t minlength) {
    ct_device dev = x->storage->device;
    if (weights) {
        ct_device wd = weights->storage->device;
        if (wd.type != dev.type || wd.index != dev.index)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "bincount(): Expected all tensors to be on the same device, but found "
                           "at least two devices");
    }
    int64_t n = x->numel, bad = 0;
    double mn = 0, mx = -1;
    if (n > 0 && gpu_extremes(x, &mn, &mx) < 0) return NULL;
    if (mn < 0) return CT_FAIL(CT_ERR_RUNTIME, "bincount only supports 1-d non-negative integral inputs.");
    int64_t len = (int64_t)mx + 1 > minlength ? (int64_t)mx + 1 : minlength;
    ct_tensor *xi = ct__to_dtype(x, CT_INT64, false);
    ct_tensor *acc = xi ? ct__empty_on(&len, 1, weights ? CT_FLOAT64 : CT_INT64, dev) : NULL;
    ct_tensor *src = !acc ? NULL
                     : weights ? ct__to_dtype(weights, CT_FLOAT64, false)
                               : int64_splat(1, n, dev);
    ct_tensor *out = NULL;
    if (src && ct__cuda->fill(acc, 0) == 0 &&
        (n == 0 || ct__sg_run(CT__SG_ADD, acc, xi, src, 0, 1.0, &bad) == 0)) {
        ct_dtype odt = !weights ? CT_INT64 : (weights->dtype == CT_FLOAT32 ? CT_FLOAT32 : CT_FLOAT64);
        out = odt == acc->dtype ? ct_retain(acc) : ct__to_dtype(acc, odt, true);
    }
    ct_release(xi);
    ct_release(acc);
    ct_release(src);
    return out;
}

ct_tensor *ct_bincount(const ct_tensor *x, const ct_tensor *weights, int64_t minlength) {
    if (!ct_dtype_is_integral(x->dtype))
        return CT_FAIL(CT_ERR_RUNTIME, "\"bincount_cpu\" not implemented for '%s'",
                       ct__torch_type_name(x->dtype));
    if (minlength < 0) return CT_FAIL(CT_ERR_RUNTIME, "minlength should be >= 0");
    if (x->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "bincount only supports 1-d non-negative integral inputs.");
    if (weights && (weights->ndim != 1 || weights->numel != x->numel))
        return CT_FAIL(CT_ERR_RUNTIME, "weights should be 1-d and have the same length as input");
    if (!ct__on_cpu(x) || (weights && !ct__on_cpu(weights))) {
        if (ct__on_cpu(x)) return CT_FAIL(CT_ERR_RUNTIME, "bincount(): Expected all tensors to be on the same device, but found at least two devices");
        ct_tensor *r = gpu_bincount(x, weights, minlength);
        return r ? ct_autorelease(r) : NULL;
    }
    int64_t n = x->numel, mx = -1;
    ct_tensor *xi = ct__to_dtype(x, CT_INT64, true); /* contiguous int64 copy */
    ct_tensor *wf = weights ? ct__to_dtype(weights, CT_FLOAT64, true) : NULL;
    if (!xi || (weights && !wf)) {
        ct_release(xi);
        ct_release(wf);
        return NULL;
    }
    const int64_t *v = ct_data_ptr(xi);
    for (int64_t i = 0; i < n; i++) {
        if (v[i] < 0) {
            ct_release(xi);
            ct_release(wf);
            return CT_FAIL(CT_ERR_RUNTIME, "bincount only supports 1-d non-negative integral inputs.");
        }
        if (v[i] > mx) mx = v[i];
    }
    int64_t len = mx + 1 > minlength ? mx + 1 : minlength;
    ct_dtype odt = !weights ? CT_INT64 : (weights->dtype == CT_FLOAT32 ? CT_FLOAT32 : CT_FLOAT64);
    ct_tensor *out = ct__empty(&len, 1, odt);
    double *acc = weights && out ? calloc((size_t)(len ? len : 1), sizeof(double)) : NULL;
    if (!out || (weights && !acc)) {
        if (out) ct_set_error(CT_ERR_MEMORY, "bincount: out of memory");
        ct_release(out);
        ct_release(xi);
        ct_release(wf);
        return NULL;
    }
    if (!weights) {
        int64_t *o = ct_data_ptr(out);
        memset(o, 0, sizeof(int64_t) * (size_t)len);
        for (int64_t i = 0; i < n; i++) o[v[i]]++;
    } else {
        const double *w = ct_data_ptr(wf);
        for (int64_t i = 0; i < n; i++) acc[v[i]] += w[i];
        for (int64_t j = 0; j < len; j++)
            ct__store_f64((char *)ct_data_ptr(out) + j * (int64_t)ct_dtype_size(odt), odt, acc[j]);
        free(acc);
    }
    ct_release(xi);
    ct_release(wf);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- histc */
#define HIST_LOOP(T)                                                                       \
    do {                                                                                   \
        const T *p = ct_data_ptr(c);                                                       \
        T lo = (T)min, hi = (T)max;                                                        \
        for (int64_t i = 0; i < n; i++) {                                                  \
            T e = p[i];                                                                    \
            if (!(e >= lo && e <= hi)) continue;                                           \
            int64_t pos = (int64_t)((e - lo) * (T)bins / (hi - lo));                       \
            if (pos >= bins) pos = bins - 1;                                               \
            acc[pos] += 1;                                                                 \
        }                                                                                  \
    } while (0)

ct_tensor *ct_histc(const ct_tensor *x, int64_t bins, double min, double max) {
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME, "\"histogram_cpu\" not implemented for '%s'",
                       ct__torch_type_name(x->dtype));
    if (bins <= 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogram(): bins must be > 0, but got %lld for dimension 0",
                       (long long)bins);
    ct_tensor *c = ct__contiguous(x);
    if (!c) return NULL;
    int64_t n = x->numel;
    /* edges in the input's precision, as PyTorch keeps them */
    if (x->dtype == CT_FLOAT32) {
        min = (float)min;
        max = (float)max;
    }
    if (min == max && n > 0 && !ct__on_cpu(c)) {
        double mn, mx;
        if (gpu_extremes(c, &mn, &mx) < 0) {
            ct_release(c);
            return NULL;
        }
        min = mn != mn || mx != mx ? NAN : mn;
        max = mn != mn || mx != mx ? NAN : mx;
    } else if (min == max && n > 0) {
        double mn = INFINITY, mx = -INFINITY;
        bool nan = false;
        for (int64_t i = 0; i < n; i++) {
            double e = ct__load_f64((const char *)ct_data_ptr(c) + i * (int64_t)ct_dtype_size(c->dtype),
                                    c->dtype);
            if (e != e) nan = true;
            if (e < mn) mn = e;
            if (e > mx) mx = e;
        }
        min = nan ? NAN : mn;
        max = nan ? NAN : mx;
    }
    if (min == max) {
        min -= 1;
        max += 1;
    }
    if (!isfinite(min) || !isfinite(max)) {
        ct_release(c);
        return CT_FAIL(CT_ERR_RUNTIME, "torch.histc: range of [%g, %g] is not finite", min, max);
    }
    if (!(min < max)) {
        ct_release(c);
        return CT_FAIL(CT_ERR_RUNTIME, "torch.histc: max must be larger than min");
    }
    if (!ct__on_cpu(c)) { /* float64 bins on the GPU, then x's dtype */
        ct_tensor *acc = ct__empty_on(&bins, 1, CT_FLOAT64, c->storage->device), *out = NULL;
        if (acc && ct__cuda->hist(c, NULL, 0, NULL, bins, min, max, acc) == 0)
            out = ct__to_dtype(acc, x->dtype, true);
        ct_release(acc);
        ct_release(c);
        return out ? ct_autorelease(out) : NULL;
    }
    double *acc = calloc((size_t)bins, sizeof(double));
    ct_tensor *out = acc ? ct__empty(&bins, 1, x->dtype) : NULL;
    if (!out) {
        free(acc);
        ct_release(c);
        return acc ? NULL : CT_FAIL(CT_ERR_MEMORY, "histc: out of memory");
    }
    if (x->dtype == CT_FLOAT32) HIST_LOOP(float);
    else HIST_LOOP(double);
    for (int64_t b = 0; b < bins; b++)
        ct__store_f64((char *)ct_data_ptr(out) + b * (int64_t)ct_dtype_size(x->dtype), x->dtype,
                      acc[b]);
    free(acc);
    ct_release(c);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- unique along a dim */
/* Rows (slices along the dim, flattened) compared lexicographically; NaN
 * orders greatest, and a slice holding a NaN equals no other slice. */
typedef struct {
    const void *data;
    int64_t m; /* row length */
    bool is_int;
} rows_ctx;

static int row_cmp(const rows_ctx *c, int64_t a, int64_t b) {
    if (c->is_int) {
        const int64_t *x = (const int64_t *)c->data + a * c->m, *y = (const int64_t *)c->data + b * c->m;
        for (int64_t i = 0; i < c->m; i++)
            if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
        return 0;
    }
    const double *x = (const double *)c->data + a * c->m, *y = (const double *)c->data + b * c->m;
    for (int64_t i = 0; i < c->m; i++) {
        bool nx = x[i] != x[i], ny = y[i] != y[i];
        if (nx || ny) {
            if (nx && ny) continue;
            return nx ? 1 : -1;
        }
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

static bool row_equal(const rows_ctx *c, int64_t a, int64_t b) {
    if (c->is_int) return row_cmp(c, a, b) == 0;
    const double *x = (const double *)c->data + a * c->m, *y = (const double *)c->data + b * c->m;
    for (int64_t i = 0; i < c->m; i++)
        if (!(x[i] == y[i])) return false;
    return true;
}

static void row_sort(const rows_ctx *c, int64_t *ord, int64_t *tmp, int64_t n) {
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = row_cmp(c, ord[b], ord[a]) < 0 ? ord[b++] : ord[a++];
            while (a < mid) tmp[o++] = ord[a++];
            while (b < hi) tmp[o++] = ord[b++];
        }
        memcpy(ord, tmp, sizeof(int64_t) * (size_t)n);
    }
}

static ct_tensor *unique_dim_impl(const ct_tensor *x, int dim, bool sort, const char *op,
                                  ct_tensor **inverse, ct_tensor **counts) {
    if (ct__require_cpu(op, x) < 0) return NULL;
    if (x->ndim == 0)
        return CT_FAIL(CT_ERR_INDEX, "Dimension specified as %d but tensor has no dimensions", dim);
    int d = ct_wrap_dim(op, dim, x->ndim);
    if (d < 0) return NULL;
    int64_t n = x->sizes[d];
    if (x->numel == 0 && n != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "There are 0 sized dimensions, and they aren't selected, so unique cannot "
                       "be applied");
    int64_t m = n ? x->numel / n : 0;
    /* x with d first: as given (for the values) and as int64/float64 keys */
    int64_t s[CT_MAX_DIMS], st[CT_MAX_DIMS];
    memcpy(s, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    memcpy(st, x->strides, sizeof(int64_t) * (size_t)x->ndim);
    s[0] = x->sizes[d], s[d] = x->sizes[0];
    st[0] = x->strides[d], st[d] = x->strides[0];
    ct_tensor *xt = ct__tensor_new(x->storage, x->dtype, s, st, x->ndim, x->offset);
    bool is_int = !ct_dtype_is_floating(x->dtype);
    ct_tensor *keys = xt ? ct__to_dtype(xt, is_int ? CT_INT64 : CT_FLOAT64, true) : NULL;
    ct_tensor *vals = xt ? ct__contiguous(xt) : NULL;
    int64_t *ord = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int64_t *tmp = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int64_t *first = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    ct_tensor *inv = ct__empty(&n, 1, CT_INT64), *out = NULL, *cnt = NULL, *res = NULL;
    if (!keys || !vals || !ord || !tmp || !first || !inv) {
        if (!ord || !tmp || !first) ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
        goto done;
    }
    rows_ctx c = {ct_data_ptr(keys), m, is_int};
    for (int64_t i = 0; i < n; i++) ord[i] = i;
    if (sort) row_sort(&c, ord, tmp, n);
    int64_t *iv = ct_data_ptr(inv), ng = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || !row_equal(&c, ord[i - 1], ord[i])) first[ng++] = i;
        iv[ord[i]] = ng - 1;
    }
    cnt = ct__empty(&ng, 1, CT_INT64);
    if (!cnt) goto done;
    int64_t *cp = ct_data_ptr(cnt);
    for (int64_t g = 0; g < ng; g++) {
        cp[g] = (g + 1 < ng ? first[g + 1] : n) - first[g];
        tmp[g] = ord[first[g]];
    }
    s[0] = ng;
    out = ct__empty(s, x->ndim, x->dtype);
    if (!out) goto done;
    if (out->numel > 0)
        ct__take_rows(ct_data_ptr(out), ct_data_ptr(vals), 1, n, ng,
                      (size_t)m * ct_dtype_size(x->dtype), tmp);
    {
        int64_t bs[CT_MAX_DIMS], bst[CT_MAX_DIMS];
        memcpy(bs, out->sizes, sizeof(int64_t) * (size_t)x->ndim);
        memcpy(bst, out->strides, sizeof(int64_t) * (size_t)x->ndim);
        bs[0] = out->sizes[d], bs[d] = out->sizes[0];
        bst[0] = out->strides[d], bst[d] = out->strides[0];
        ct_tensor *back = ct__tensor_new(out->storage, out->dtype, bs, bst, x->ndim, out->offset);
        res = back ? ct__contiguous(back) : NULL;
        ct_release(back);
    }
done:
    ct_release(xt);
    ct_release(keys);
    ct_release(vals);
    ct_release(out);
    free(ord);
    free(tmp);
    free(first);
    if (!res) {
        ct_release(inv);
        ct_release(cnt);
        return NULL;
    }
    if (inverse) *inverse = ct_autorelease(inv);
    else ct_release(inv);
    if (counts) *counts = ct_autorelease(cnt);
    else ct_release(cnt);
    return ct_autorelease(res);
}

ct_tensor *ct_unique_dim(const ct_tensor *x, int dim, bool sorted, ct_tensor **inverse,
                         ct_tensor **counts) {
    (void)sorted;
    return unique_dim_impl(x, dim, true, "unique", inverse, counts);
}

ct_tensor *ct_unique_consecutive_dim(const ct_tensor *x, int dim, ct_tensor **inverse,
                                     ct_tensor **counts) {
    if (ct__require_cpu("unique_consecutive", x) < 0) return NULL;
    return unique_dim_impl(x, dim, false, "unique_consecutive", inverse, counts);
}

/* ---------------------------------------------------------------- histogram */
/* PyTorch's histogramdd kernel for one dim: elements outside [e[0], e[nb]]
 * (and NaNs) are dropped; equal-width bins locate by interpolation refined
 * by a local upper_bound, tensor bins by a full upper_bound; the rightmost
 * edge is inclusive. */
#define HISTOGRAM_LOOP(T)                                                                  \
    do {                                                                                   \
        const T *p = ct_data_ptr(c), *e = ct_data_ptr(edges);                              \
        const T *w = wc ? (const T *)ct_data_ptr(wc) : NULL;                               \
        T lo = e[0], hi = e[nb];                                                           \
        for (int64_t i = 0; i < n; i++) {                                                  \
            T v = p[i];                                                                    \
            if (!(v >= lo && v <= hi)) continue;                                           \
            int64_t first = 0, last = nb + 1;                                              \
            if (linear) {                                                                  \
                int64_t pos = (int64_t)((v - lo) * (T)nb / (hi - lo));                     \
                first = pos - 1 > 0 ? pos - 1 : 0;                                         \
                last = pos + 2 < nb + 1 ? pos + 2 : nb + 1;                                \
            }                                                                              \
            int64_t len = last - first; /* std::upper_bound over e[first, last) */        \
            while (len > 0) {                                                              \
                int64_t half = len / 2;                                                    \
                if (!(v < e[first + half])) {                                              \
                    first += half + 1;                                                     \
                    len -= half + 1;                                                       \
                } else {                                                                   \
                    len = half;                                                            \
                }                                                                          \
            }                                                                              \
            int64_t pos = first - 1;                                                       \
            if (pos == nb) pos = nb - 1;                                                   \
            if (pos < 0) continue;                                                         \
            acc[pos] += w ? (double)w[i] : 1.0;                                            \
        }                                                                                  \
    } while (0)

/* The bins of x on a GPU into the host array acc (nb doubles): the
 * histogram kernel, then one copy of the nb sums. edges on x's GPU. 0 or -1. */
static int gpu_hist_acc(const ct_tensor *c, const ct_tensor *wc, const ct_tensor *edges, bool linear,
                        int64_t nb, double *acc) {
    ct_tensor *g = ct__empty_on(&nb, 1, CT_FLOAT64, c->storage->device);
    ct_tensor *h = g ? ct__empty(&nb, 1, CT_FLOAT64) : NULL;
    int rc = h && ct__cuda->hist(c, wc, linear ? 1 : 2, edges, nb, 0, 0, g) == 0 &&
                     ct__copy_into(h, g) == 0
                 ? 0
                 : -1;
    if (rc == 0) memcpy(acc, ct_data_ptr(h), sizeof(double) * (size_t)nb);
    ct_release(g);
    ct_release(h);
    return rc;
}

static ct_tensor *histogram_impl(const ct_tensor *x, ct_tensor *edges, bool linear,
                                 const ct_tensor *weight, bool density, ct_tensor **bin_edges) {
    int64_t nb = edges->numel - 1, n = x->numel;
    bool gpu = !ct__on_cpu(x);
    ct_tensor *c = ct__contiguous(x), *wc = weight ? ct__contiguous(weight) : NULL;
    double *acc = calloc((size_t)nb, sizeof(double));
    ct_tensor *hist = ct__empty(&nb, 1, x->dtype);
    /* the edges where the host reads them (density), a copy from a GPU */
    ct_tensor *eh = !gpu ? ct_retain(edges) : ct__empty(edges->sizes, edges->ndim, edges->dtype);
    if (eh && eh != edges && ct__copy_into(eh, edges) < 0) {
        ct_release(eh);
        eh = NULL;
    }
    if (c && gpu && (!weight || wc) && acc && gpu_hist_acc(c, wc, edges, linear, nb, acc) < 0) {
        ct_release(c);
        c = NULL;
    }
    if (!c || (weight && !wc) || !acc || !hist || !eh) {
        ct_release(eh);
        if (!acc) ct_set_error(CT_ERR_MEMORY, "histogram: out of memory");
        ct_release(c);
        ct_release(wc);
        ct_release(hist);
        ct_release(edges);
        free(acc);
        return NULL;
    }
    if (!gpu) { /* a GPU's bins are in acc already */
        if (x->dtype == CT_FLOAT32) HISTOGRAM_LOOP(float);
        else HISTOGRAM_LOOP(double);
    }
    if (density) {
        double total = 0;
        for (int64_t b = 0; b < nb; b++) total += acc[b];
        for (int64_t b = 0; b < nb; b++) {
            double width = ct_item_at(eh, b + 1) - ct_item_at(eh, b);
            acc[b] = acc[b] / total / width;
        }
    }
    for (int64_t b = 0; b < nb; b++)
        ct__store_f64((char *)ct_data_ptr(hist) + b * (int64_t)ct_dtype_size(x->dtype), x->dtype,
                      acc[b]);
    free(acc);
    ct_release(c);
    ct_release(wc);
    ct_release(eh);
    if (gpu) { /* the histogram moves to x's GPU */
        ct_tensor *g = ct__empty_on(&nb, 1, x->dtype, x->storage->device);
        if (g && ct__copy_into(g, hist) < 0) {
            ct_release(g);
            g = NULL;
        }
        ct_release(hist);
        hist = g;
        if (!hist) {
            ct_release(edges);
            return NULL;
        }
    }
    if (bin_edges) *bin_edges = ct_autorelease(edges);
    else ct_release(edges);
    return ct_autorelease(hist);
}

static bool histogram_checks(const ct_tensor *x, const ct_tensor *weight) {
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_RUNTIME, "\"histogramdd\" not implemented for '%s'",
                     ct__torch_type_name(x->dtype));
        return false;
    }
    if (!weight) return true;
    ct_device xd = x->storage->device, wd = weight->storage->device;
    if (xd.type != wd.type || xd.index != wd.index) {
        char b1[16], b2[16];
        ct_set_error(CT_ERR_RUNTIME,
                     "torch.histogramdd: Expected all tensors to be on the same device, but found "
                     "at least two devices, %s and %s!",
                     ct_device_str(xd, b1, sizeof b1), ct_device_str(wd, b2, sizeof b2));
        return false;
    }
    bool same = weight->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++) same = weight->sizes[i] == x->sizes[i];
    if (!same) {
        ct_set_error(CT_ERR_RUNTIME,
                     "torch.histogramdd: if weight tensor is provided it should have the same "
                     "shape as the input tensor excluding its innermost dimension, but got input "
                     "with shape %s and weight with shape %s",
                     ct__shp(x), ct__shp(weight));
        return false;
    }
    if (weight->dtype != x->dtype) {
        ct_set_error(CT_ERR_RUNTIME,
                     "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                     "tensor should have the same dtype, but got input(%s), and weight(%s)",
                     ct_dtype_name(x->dtype), ct_dtype_name(weight->dtype));
        return false;
    }
    return true;
}

ct_tensor *ct_histogram(const ct_tensor *x, int64_t bins, const double *range,
                        const ct_tensor *weight, bool density, ct_tensor **bin_edges) {
    if (!histogram_checks(x, weight)) return NULL;
    if (bins <= 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogram(): bins must be > 0, but got %lld for dimension 0",
                       (long long)bins);
    double lo, hi;
    if (range) {
        lo = range[0];
        hi = range[1];
    } else if (x->numel == 0) {
        lo = 0;
        hi = 1;
    } else if (!ct__on_cpu(x)) {
        if (gpu_extremes(x, &lo, &hi) < 0) return NULL;
        if (lo != lo || hi != hi) lo = hi = NAN;
    } else {
        ct_tensor *c = ct__to_dtype(x, CT_FLOAT64, true);
        if (!c) return NULL;
        const double *p = ct_data_ptr(c);
        lo = INFINITY;
        hi = -INFINITY;
        for (int64_t i = 0; i < x->numel; i++) {
            if (p[i] != p[i]) {
                lo = hi = NAN;
                break;
            }
            if (p[i] < lo) lo = p[i];
            if (p[i] > hi) hi = p[i];
        }
        ct_release(c);
    }
    if (x->dtype == CT_FLOAT32) {
        lo = (float)lo;
        hi = (float)hi;
    }
    if (lo > hi)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogramdd: min should not exceed max, but got min %g max %g for "
                       "dimension 0",
                       lo, hi);
    if (!isfinite(lo) || !isfinite(hi)) {
        char a[32], b[32];
        if (isnan(lo)) strcpy(a, "nan");
        else snprintf(a, sizeof a, "%g", lo);
        if (isnan(hi)) strcpy(b, "nan");
        else snprintf(b, sizeof b, "%g", hi);
        return CT_FAIL(CT_ERR_RUNTIME, "torch.histogramdd: dimension 0's range [%s, %s] is not finite",
                       a, b);
    }
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    /* edges as torch.linspace computes them, in the input's precision */
    int64_t ne = bins + 1;
    ct_tensor *edges = ct__empty(&ne, 1, x->dtype);
    if (!edges) return NULL;
    int64_t half = ne / 2;
    if (x->dtype == CT_FLOAT32) {
        float *e = ct_data_ptr(edges), s = (float)lo, t = (float)hi, step = (t - s) / (float)bins;
        for (int64_t i = 0; i < ne; i++) e[i] = i < half ? s + step * (float)i : t - step * (float)(ne - i - 1);
    } else {
        double *e = ct_data_ptr(edges), step = (hi - lo) / (double)bins;
        for (int64_t i = 0; i < ne; i++) e[i] = i < half ? lo + step * (double)i : hi - step * (double)(ne - i - 1);
    }
    if (!ct__on_cpu(x)) { /* the edges move to x's GPU */
        ct_tensor *g = ct__empty_on(&ne, 1, x->dtype, x->storage->device);
        if (g && ct__copy_into(g, edges) < 0) {
            ct_release(g);
            g = NULL;
        }
        ct_release(edges);
        if (!(edges = g)) return NULL;
    }
    return histogram_impl(x, edges, true, weight, density, bin_edges);
}

ct_tensor *ct_histogram_edges(const ct_tensor *x, const ct_tensor *bins, const ct_tensor *weight,
                              bool density, ct_tensor **bin_edges) {
    if (!histogram_checks(x, weight)) return NULL;
    if (bins->dtype != x->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogramdd: input tensor and bins tensors should have the same "
                       "dtype, but got input with dtype %s and bins for dimension 0 with dtype %s",
                       ct_dtype_name(x->dtype), ct_dtype_name(bins->dtype));
    ct_device xd = x->storage->device, bd = bins->storage->device;
    if (xd.type != bd.type || xd.index != bd.index) {
        char b1[16], b2[16];
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogramdd: Expected all tensors to be on the same device, but "
                       "found at least two devices, %s and %s!",
                       ct_device_str(xd, b1, sizeof b1), ct_device_str(bd, b2, sizeof b2));
    }
    if (bins->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogramdd: bins tensor should have one dimension, but got %d "
                       "dimensions in the bins tensor for dimension 0",
                       bins->ndim);
    if (bins->numel < 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "torch.histogram(): bins must be > 0, but got %lld for dimension 0",
                       (long long)(bins->numel - 1));
    ct_tensor *edges = ct__to_dtype(bins, bins->dtype, true);
    if (!edges) return NULL;
    return histogram_impl(x, edges, false, weight, density, bin_edges);
}
