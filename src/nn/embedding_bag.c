/* embedding_bag: checks with PyTorch's messages, the bag bounds from offsets
 * (or the rows of a 2-d input), and one kernel that reduces each bag (one
 * thread per range of bags). Besides the output it fills, per entry of the
 * input that falls in a bag, the bag and a factor (what the weight's
 * gradient needs), and the argmax rows of max mode.
 * On a GPU the bag bounds, entry bags and factors come from a host copy of
 * the indices and offsets (which also checks their ranges) and the bags are
 * reduced by the emb_bag hook (src/cuda/nn.cu: a thread per (bag, column),
 * the same loop as here); the record and the backward are the same. */
#include "ctorch/ctorch.h"
#include "nn/embpool_internal.h"
#include "nn/nn_gpu_internal.h"

#include <math.h>

/* Bag b covers entries [bounds[b], bounds[b + 1]); entries at padding_idx
 * count for nothing. Writes out [B][D], ent_bag / fac (factor per entry)
 * and, in max mode, mi [B][D] (-1 in an empty bag). */
#define BAG_FORWARD(T)                                                                   \
    do {                                                                                 \
        const T *w = (const T *)wp;                                                      \
        const T *ps = (const T *)pswp;                                                   \
        T *o = (T *)outp, *f = (T *)facp;                                                \
        _Pragma("omp parallel for schedule(static) if (ne * D >= CT_GRAIN)")            \
        for (int64_t b = 0; b < B; b++) {                                                \
            T *ob = o + b * D;                                                           \
            int64_t *mb = mi ? mi + b * D : NULL;                                        \
            for (int64_t d = 0; d < D; d++) ob[d] = 0;                                   \
            if (mb)                                                                      \
                for (int64_t d = 0; d < D; d++) mb[d] = -1;                              \
            int64_t cnt = 0;                                                             \
            for (int64_t i = bounds[b]; i < bounds[b + 1]; i++) {                        \
                int64_t r = idx[i];                                                      \
                bag[i] = b;                                                              \
                if (r == pad) continue;                                                  \
                const T *wr = w + r * D;                                                 \
                cnt++;                                                                   \
                if (mode == CT_BAG_MAX) {                                                \
                    for (int64_t d = 0; d < D; d++)                                      \
                        if (cnt == 1 || wr[d] > ob[d]) ob[d] = wr[d], mb[d] = r;         \
                } else if (ps) {                                                         \
                    T s = ps[i];                                                         \
                    for (int64_t d = 0; d < D; d++) ob[d] += wr[d] * s;                  \
                } else {                                                                 \
                    for (int64_t d = 0; d < D; d++) ob[d] += wr[d];                      \
                }                                                                        \
            }                                                                            \
            T scale = mode == CT_BAG_MEAN && cnt > 0 ? (T)1 / (T)cnt : (T)1;             \
            if (mode == CT_BAG_MEAN && cnt > 0)                                          \
                for (int64_t d = 0; d < D; d++) ob[d] *= scale;                          \
            if (f)                                                                       \
                for (int64_t i = bounds[b]; i < bounds[b + 1]; i++) f[i] = idx[i] == pad ? 0 : scale; \
        }                                                                                \
    } while (0)

static ct_tensor *bad_index_dtype(const ct_tensor *t) {
    return CT_FAIL(CT_ERR_RUNTIME,
                   "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                   "Int; but got %s instead (while checking arguments for embedding_bag)",
                   ct__emb_type_name(t->dtype));
}

/* Checks everything but the values of indices and offsets. */
static ct_tensor *check_args(const ct_tensor *weight, const ct_tensor *indices, const ct_tensor *offsets, int mode,
                             const ct_tensor *psw, int64_t padding_idx, bool scale_grad_by_freq, bool sparse) {
    if (mode < CT_BAG_SUM || mode > CT_BAG_MAX) return CT_FAIL(CT_ERR_VALUE, "mode has to be one of sum, mean or max");
    if (mode == CT_BAG_MAX && scale_grad_by_freq)
        return CT_FAIL(CT_ERR_VALUE, "max mode does not support scaling the gradient by the frequency");
    if (indices->ndim == 2 && offsets)
        return CT_FAIL(CT_ERR_VALUE,
                       "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                       "length sequences. However, found offsets of type Tensor");
    if (indices->ndim == 1 && !offsets) return CT_FAIL(CT_ERR_VALUE, "offsets has to be a 1D Tensor but got None");
    if (indices->ndim == 1 && offsets->ndim != 1) return CT_FAIL(CT_ERR_VALUE, "offsets has to be a 1D Tensor");
    if (indices->ndim != 1 && indices->ndim != 2)
        return CT_FAIL(CT_ERR_VALUE, "input has to be 1D or 2D Tensor, but got Tensor of dimension %d",
                       indices->ndim);
    if (psw && mode != CT_BAG_SUM)
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                       "for mode='sum' (got mode='%s'). Please open a feature request on GitHub.",
                       mode == CT_BAG_MEAN ? "mean" : "max");
    if (psw && (psw->ndim != indices->ndim || memcmp(psw->sizes, indices->sizes, sizeof(int64_t) * indices->ndim)))
        return CT_FAIL(CT_ERR_VALUE,
                       "embedding_bag: If per_sample_weights (%s) is not None, then it must have the same shape "
                       "as the input (%s)",
                       ct__shp(psw), ct__shp(indices));
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32) return bad_index_dtype(indices);
    if (offsets && offsets->dtype != CT_INT64 && offsets->dtype != CT_INT32) return bad_index_dtype(offsets);
    if (weight->ndim != 2) return CT_FAIL(CT_ERR_RUNTIME, "'weight' must be 2-D, got %s", ct__shp(weight));
    if (weight->dtype != CT_FLOAT32 && weight->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                       "Float, Double; but got %s instead (while checking arguments for embedding_bag)",
                       ct__emb_type_name(weight->dtype));
    if (psw && psw->dtype != weight->dtype)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                       "'per_sample_weights'; but type %s does not equal %s (while checking arguments for "
                       "embedding_bag)",
                       ct__emb_type_name(weight->dtype), ct__emb_type_name(psw->dtype));
    int64_t num = weight->sizes[0];
    if (padding_idx != CT_NO_PADDING_IDX && (padding_idx < -num || padding_idx >= num))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "padding_idx must be within the number of embeddings, -%lld through %lld, but got %lld",
                       (long long)num, (long long)(num - 1), (long long)padding_idx);
    if (sparse)
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "embedding_bag: sparse=True is not implemented (ctorch has no sparse tensors); use "
                       "sparse=False");
    return (ct_tensor *)weight;
}

/* bounds [B + 1] of the bags (malloc'd) from offsets or the rows of a 2-d
 * input of n entries; -1 with PyTorch's messages for bad offsets. */
static int bag_bounds(const ct_tensor *indices, const ct_tensor *offsets, bool include_last_offset, int64_t n,
                      int64_t **bounds_out, int64_t *B_out) {
    int64_t B, *bounds;
    if (!offsets) {
        B = indices->sizes[0];
        int64_t L = indices->sizes[1];
        if (!(bounds = malloc(sizeof(int64_t) * (size_t)(B + 1)))) goto oom;
        for (int64_t b = 0; b <= B; b++) bounds[b] = b * L;
    } else {
        ct_tensor *off = ct__nn_host(offsets, CT_INT64); /* offsets: 1-d, dtype checked */
        if (!off) return -1;
        const int64_t *o = ct_data_ptr(off);
        int64_t no = off->numel;
        B = include_last_offset ? (no > 0 ? no - 1 : 0) : no;
        if (!(bounds = malloc(sizeof(int64_t) * (size_t)(B + 1)))) {
            ct_release(off);
            goto oom;
        }
        for (int64_t b = 0; b < B; b++) bounds[b] = o[b];
        bounds[B] = include_last_offset && no > 0 ? o[B] : n;
        const char *bad = NULL;
        if (no > 0 && o[0] != 0) bad = "first";
        else if (no > 0 && o[no - 1] > n) bad = "last";
        for (int64_t b = 1; !bad && b < no; b++)
            if (o[b] < o[b - 1]) bad = "order";
        if (bad && bad[0] == 'f')
            ct_set_error(CT_ERR_RUNTIME,
                         "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                         "position 0. However, got %lld",
                         (long long)o[0]);
        else if (bad && bad[0] == 'l')
            ct_set_error(CT_ERR_RUNTIME,
                         "offsets[-1] can not be greater than input's length %lld but got offsets[-1] of %lld",
                         (long long)n, (long long)o[no - 1]);
        else if (bad)
            ct_set_error(CT_ERR_RUNTIME, "embedding_bag: offsets have to be non-decreasing, got %s", ct__shp(offsets));
        ct_release(off);
        if (bad) {
            free(bounds);
            return -1;
        }
    }
    *bounds_out = bounds, *B_out = B;
    return 0;
oom:
    ct_set_error(CT_ERR_MEMORY, "embedding_bag: out of memory");
    return -1;
}

/* The op on a GPU after the checks: flat the indices (on the GPU), bounds
 * the B + 1 bag bounds (host) of the first ne entries. Returns the output
 * in the current scope (and *max_indices in max mode). */
static ct_tensor *bag_gpu(ct_tensor *weight, const ct_tensor *flat, const int64_t *bounds, int64_t B, int64_t ne,
                          int mode, const ct_tensor *psw, int64_t pad, bool scale_grad_by_freq, double max_norm,
                          double norm_type, ct_tensor **max_indices) {
    ct_device dev = weight->storage->device;
    int64_t num = weight->sizes[0], D = weight->sizes[1], B1 = B + 1;
    ct_tensor *ent_idx = ct__tensor_new(flat->storage, CT_INT64, &ne, NULL, 1, flat->offset);
    ct_tensor *h = ent_idx ? ct__nn_host(ent_idx, CT_INT64) : NULL;
    ct_tensor *bag_h = ct__empty(&ne, 1, CT_INT64), *bnd_h = ct__empty(&B1, 1, CT_INT64);
    ct_tensor *fac_h = mode == CT_BAG_MAX ? NULL : ct__empty(&ne, 1, weight->dtype);
    ct_tensor *ent_bag = NULL, *fac = NULL, *bnd = NULL, *wc = NULL, *pc = NULL, *out = NULL, *mit = NULL;
    if (!h || !bag_h || !bnd_h || (mode != CT_BAG_MAX && !fac_h)) goto fail;
    const int64_t *idx = ct_data_ptr(h);
    for (int64_t i = 0; i < ne; i++)
        if (idx[i] < 0 || idx[i] >= num) {
            ct_set_error(CT_ERR_INDEX, "embedding_bag: index %lld is out of bounds: %lld, range 0 to %lld",
                         (long long)i, (long long)idx[i], (long long)num);
            goto fail;
        }
    int64_t *bag = ct_data_ptr(bag_h);
    memcpy(ct_data_ptr(bnd_h), bounds, sizeof(int64_t) * (size_t)B1);
    /* the factors as the CPU kernel rounds them: (T)1 / (T)count */
    for (int64_t b = 0; b < B; b++) {
        int64_t cnt = 0;
        for (int64_t i = bounds[b]; i < bounds[b + 1]; i++) bag[i] = b, cnt += idx[i] != pad;
        bool mean = mode == CT_BAG_MEAN && cnt > 0;
        for (int64_t i = bounds[b]; fac_h && i < bounds[b + 1]; i++) {
            if (weight->dtype == CT_FLOAT32)
                ((float *)ct_data_ptr(fac_h))[i] = idx[i] == pad ? 0.0f : mean ? 1.0f / (float)cnt : 1.0f;
            else
                ((double *)ct_data_ptr(fac_h))[i] = idx[i] == pad ? 0.0 : mean ? 1.0 / (double)cnt : 1.0;
        }
    }
    if (!isnan(max_norm) && !ct_embedding_renorm_(weight, ent_idx, max_norm, norm_type)) goto fail;
    if (fac_h && !(fac = ct__nn_on(fac_h, dev))) goto fail;
    if (!(ent_bag = ct__nn_on(bag_h, dev)) || !(bnd = ct__nn_on(bnd_h, dev)) || !(wc = ct__contiguous(weight)) ||
        (psw && !(pc = ct__contiguous(psw))) || !(out = ct__empty_on((const int64_t[]){B, D}, 2, weight->dtype, dev)) ||
        (mode == CT_BAG_MAX && !(mit = ct__empty_on((const int64_t[]){B, D}, 2, CT_INT64, dev))))
        goto fail;
    if (ct__cuda->emb_bag(wc, ent_idx, bnd, pc, mode, pad, out, mit) < 0) goto fail;
    ct_op_args a = {.i = {num, mode, pad, B}, .b = {scale_grad_by_freq, psw != NULL}};
    out = ct__nn_record(CT_OP_embedding_bag, out, (const ct_tensor *[]){weight, psw}, 2,
                        (const ct_tensor *[]){ent_idx, ent_bag, mit ? mit : fac}, 3, &a);
    if (!out) goto fail;
    ct_release(ent_idx), ct_release(h), ct_release(bag_h), ct_release(bnd_h), ct_release(fac_h);
    ct_release(ent_bag), ct_release(fac), ct_release(bnd), ct_release(wc), ct_release(pc);
    if (max_indices && mit) *max_indices = ct_autorelease(mit);
    else ct_release(mit);
    return ct_autorelease(out);
fail:
    ct_release(ent_idx), ct_release(h), ct_release(bag_h), ct_release(bnd_h), ct_release(fac_h);
    ct_release(ent_bag), ct_release(fac), ct_release(bnd), ct_release(wc), ct_release(pc);
    ct_release(out), ct_release(mit);
    return NULL;
}

ct_tensor *ct_embedding_bag(ct_tensor *weight, const ct_tensor *indices, const ct_tensor *offsets, int mode,
                            const ct_tensor *per_sample_weights, bool include_last_offset, int64_t padding_idx,
                            double max_norm, double norm_type, bool scale_grad_by_freq, bool sparse,
                            ct_tensor **max_indices) {
    const char *op = "embedding_bag";
    const ct_tensor *psw = per_sample_weights;
    if (max_indices) *max_indices = NULL;
    if (!weight || !indices) return CT_FAIL(CT_ERR_VALUE, "%s: weight and indices must not be NULL", op);
    if (ct__nn_check_dev(op, weight, indices) < 0 || ct__nn_check_dev(op, weight, offsets) < 0 ||
        ct__nn_check_dev(op, weight, psw) < 0)
        return NULL;
    if (!check_args(weight, indices, offsets, mode, psw, padding_idx, scale_grad_by_freq, sparse)) return NULL;
    int64_t num = weight->sizes[0], D = weight->sizes[1];
    int64_t pad = padding_idx == CT_NO_PADDING_IDX ? -1 : padding_idx < 0 ? padding_idx + num : padding_idx;
    ct_tensor *flat = ct__emb_flat_indices(op, indices);
    if (!flat) return NULL;
    int64_t n = flat->numel, B = 0, *bounds = NULL;
    if (bag_bounds(indices, offsets, include_last_offset, n, &bounds, &B) < 0) {
        ct_release(flat);
        return NULL;
    }
    int64_t ne = B ? bounds[B] : 0; /* the entries in a bag: a prefix of the input */
    if (!ct__on_cpu(weight)) {
        ct_tensor *out = bag_gpu(weight, flat, bounds, B, ne, mode, psw, pad, scale_grad_by_freq, max_norm,
                                 norm_type, max_indices);
        free(bounds), ct_release(flat);
        return out;
    }
    const int64_t *idx = ct_data_ptr(flat);
    for (int64_t i = 0; i < ne; i++)
        if (idx[i] < 0 || idx[i] >= num) {
            ct_set_error(CT_ERR_INDEX, "embedding_bag: index %lld is out of bounds: %lld, range 0 to %lld",
                         (long long)i, (long long)idx[i], (long long)num);
            free(bounds), ct_release(flat);
            return NULL;
        }
    if (!isnan(max_norm)) {
        ct_tensor *used = ct__tensor_new(flat->storage, CT_INT64, &ne, NULL, 1, flat->offset);
        ct_tensor *ok = used ? ct_embedding_renorm_(weight, used, max_norm, norm_type) : NULL;
        ct_release(used);
        if (!ok) {
            free(bounds), ct_release(flat);
            return NULL;
        }
    }
    ct_tensor *ent_idx = ct__tensor_new(flat->storage, CT_INT64, &ne, NULL, 1, flat->offset);
    ct_tensor *ent_bag = ct__empty(&ne, 1, CT_INT64);
    ct_tensor *fac = mode == CT_BAG_MAX ? NULL : ct__empty(&ne, 1, weight->dtype);
    ct_tensor *mit = mode == CT_BAG_MAX ? ct__empty((const int64_t[]){B, D}, 2, CT_INT64) : NULL;
    ct_tensor *wc = ct__contiguous(weight);
    ct_tensor *pc = psw ? ct__contiguous(psw) : NULL;
    ct_tensor *out = ct__empty((const int64_t[]){B, D}, 2, weight->dtype);
    ct_release(flat);
    if (!ent_idx || !ent_bag || (mode != CT_BAG_MAX && !fac) || (mode == CT_BAG_MAX && !mit) || !wc ||
        (psw && !pc) || !out) {
        ct_release(ent_idx), ct_release(ent_bag), ct_release(fac), ct_release(mit), ct_release(wc), ct_release(pc);
        ct_release(out), free(bounds);
        return NULL;
    }
    const void *wp = ct_data_ptr(wc), *pswp = pc ? ct_data_ptr(pc) : NULL;
    void *outp = ct_data_ptr(out), *facp = fac ? ct_data_ptr(fac) : NULL;
    int64_t *bag = ct_data_ptr(ent_bag), *mi = mit ? ct_data_ptr(mit) : NULL;
    idx = ct_data_ptr(ent_idx);
    CT_DISPATCH_FLOATING(weight->dtype, BAG_FORWARD(T));
    free(bounds), ct_release(wc), ct_release(pc);
    ct_op_args a = {.i = {num, mode, pad, B}, .b = {scale_grad_by_freq, psw != NULL}};
    out = ct__nn_record(CT_OP_embedding_bag, out, (const ct_tensor *[]){weight, psw}, 2,
                        (const ct_tensor *[]){ent_idx, ent_bag, mit ? mit : fac}, 3, &a);
    ct_release(ent_idx), ct_release(ent_bag), ct_release(fac);
    if (!out) {
        ct_release(mit);
        return NULL;
    }
    if (max_indices && mit) *max_indices = ct_autorelease(mit);
    else ct_release(mit);
    return ct_autorelease(out);
}
