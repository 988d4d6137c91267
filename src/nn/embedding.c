/* embedding, embedding_renorm_ and embedding_dense_backward (the gradient
 * of embedding w.r.t. its weight). The backward sorts the positions by row
 * (a counting sort, stable) so that each row of the gradient is summed by
 * one thread in the order of occurrence: deterministic at any thread count.
 *
 * On a GPU: the forward is index_select (bounds checked on the device),
 * recorded as embedding so that its backward is embedding_dense_backward;
 * that one sorts the indices on the host (one copy of the indices), moves
 * the order to the GPU and sums each row there in that order (the
 * emb_backward hook: deterministic, unlike PyTorch's atomics); renorm
 * computes the norms of the picked rows (each once) with GPU reductions
 * and writes the scaled rows back with index_copy_. */
#include "ctorch/ctorch.h"
#include "nn/embpool_internal.h"
#include "nn/nn_gpu_internal.h"

#include <math.h>

static const char *scalar_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

ct_tensor *ct__emb_flat_indices(const char *op, const ct_tensor *indices) {
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                       "Long, Int; but got %s instead (while checking arguments for %s)",
                       ct__emb_type_name(indices->dtype), op);
    ct_tensor *c = indices->dtype == CT_INT64 ? ct__contiguous(indices) : ct__to_dtype(indices, CT_INT64, true);
    if (!c) return NULL;
    int64_t n = c->numel;
    ct_tensor *flat = ct__tensor_new(c->storage, CT_INT64, &n, NULL, 1, c->offset);
    ct_release(c);
    return flat;
}

int ct__emb_check_range(const int64_t *idx, int64_t n, int64_t num) {
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= num) {
            ct_set_error(CT_ERR_INDEX, "index out of range in self");
            return -1;
        }
    return 0;
}

/* Rows r of w (element strides s0, s1) picked by idx: scaled by
 * max_norm / (norm + 1e-7) where their norm exceeds max_norm. */
#define RENORM(T)                                                                        \
    do {                                                                                 \
        T *w = (T *)ct_data_ptr(weight);                                                 \
        for (int64_t i = 0; i < n; i++) {                                                \
            int64_t r = idx[i];                                                          \
            if (seen[r]) continue;                                                       \
            seen[r] = 1;                                                                 \
            T *row = w + r * s0;                                                         \
            double acc = 0;                                                              \
            for (int64_t d = 0; d < D; d++) {                                            \
                double a = fabs((double)row[d * s1]);                                    \
                if (isinf(p)) acc = a > acc || a != a ? a : acc;                         \
                else if (p == 0) acc += a != 0;                                          \
                else if (p == 1) acc += a;                                               \
                else if (p == 2) acc += a * a;                                           \
                else acc += pow(a, p);                                                   \
            }                                                                            \
            double norm = isinf(p) || p == 0 || p == 1 ? acc : p == 2 ? sqrt(acc) : pow(acc, 1.0 / p); \
            if (norm > max_norm) {                                                       \
                T scale = (T)(max_norm / (norm + 1e-7));                                 \
                for (int64_t d = 0; d < D; d++) row[d * s1] *= scale;                    \
            }                                                                            \
        }                                                                                \
    } while (0)

/* embedding_renorm_ of a weight on a GPU (checked by the caller): the rows
 * picked (each once, host copy of the indices) are renormed with GPU ops. */
static ct_tensor *renorm_gpu(ct_tensor *weight, const ct_tensor *indices, double max_norm, double p) {
    const char *op = "embedding_renorm_";
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                       "Long, Int; but got %s instead (while checking arguments for %s)",
                       ct__emb_type_name(indices->dtype), op);
    int64_t num = weight->sizes[0], n = indices->numel, u = 0;
    ct_tensor *h = ct__nn_host(indices, CT_INT64);
    if (!h) return NULL;
    int64_t *idx = ct_data_ptr(h);
    unsigned char *seen = calloc((size_t)num + 1, 1);
    if (!seen || ct__emb_check_range(idx, n, num) < 0) {
        if (!seen) ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
        free(seen), ct_release(h);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) /* the distinct rows, in place */
        if (!seen[idx[i]]) seen[idx[i]] = 1, idx[u++] = idx[i];
    free(seen);
    if (u == 0) {
        ct_release(h);
        return weight;
    }
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *rows = NULL, *r = NULL, *uh = ct__tensor_new(h->storage, CT_INT64, &u, NULL, 1, h->offset);
    ct_tensor *ud = uh ? ct_autorelease(ct__nn_on(uh, weight->storage->device)) : NULL;
    ct_release(uh);
    if (ud) rows = ct_index_select(weight, 0, ud);
    ct_tensor *r64 = rows ? ct_to_dtype(rows, CT_FLOAT64, false) : NULL;
    ct_tensor *nrm = r64 ? ct_norm(r64, p, (const int[]){1}, 1, true) : NULL;
    ct_tensor *big = nrm ? ct_gt_scalar(nrm, max_norm) : NULL;
    ct_tensor *scale = big ? ct_add_scalar(nrm, 1e-7) : NULL;
    scale = scale ? ct_div(ct_wrapped_float(max_norm), scale) : NULL;
    scale = scale ? ct_to_dtype(scale, weight->dtype, false) : NULL;
    ct_tensor *scaled = scale ? ct_mul(rows, scale) : NULL;
    ct_tensor *nw = scaled ? ct_where(big, scaled, rows) : NULL;
    if (nw) r = ct_index_copy_(weight, 0, ud, nw);
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    ct_release(h);
    return r;
}

ct_tensor *ct_embedding_renorm_(ct_tensor *weight, const ct_tensor *indices, double max_norm, double norm_type) {
    const char *op = "embedding_renorm_";
    if (!weight || !indices) return CT_FAIL(CT_ERR_VALUE, "%s: weight and indices must not be NULL", op);
    if (ct__nn_check_dev(op, weight, indices) < 0) return NULL;
    if (weight->ndim != 2) return CT_FAIL(CT_ERR_RUNTIME, "'weight' must be 2-D, got %s", ct__shp(weight));
    if (weight->dtype != CT_FLOAT32 && weight->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "norm(): input dtype should be either floating point or complex. Got %s instead.",
                       scalar_name(weight->dtype));
    if (!ct__on_cpu(weight)) return renorm_gpu(weight, indices, max_norm, norm_type);
    ct_tensor *flat = ct__emb_flat_indices(op, indices);
    if (!flat) return NULL;
    const int64_t *idx = ct_data_ptr(flat);
    int64_t n = flat->numel, num = weight->sizes[0], D = weight->sizes[1];
    int64_t s0 = weight->strides[0], s1 = weight->strides[1];
    double p = norm_type;
    unsigned char *seen = calloc((size_t)num + 1, 1);
    if (!seen || ct__emb_check_range(idx, n, num) < 0) {
        if (!seen) ct_set_error(CT_ERR_MEMORY, "%s: out of memory", op);
        free(seen), ct_release(flat);
        return NULL;
    }
    CT_DISPATCH_FLOATING(weight->dtype, RENORM(T));
    free(seen), ct_release(flat);
    ct_bump_version(weight);
    return weight;
}

/* out [n][D] = w [idx[i]][D]: one memcpy of a row each (any element size). */
static void gather_rows(const char *w, const int64_t *idx, int64_t n, size_t rowbytes, char *out) {
    #pragma omp parallel for schedule(static) if ((int64_t)(n * rowbytes) >= 8 * CT_GRAIN)
    for (int64_t i = 0; i < n; i++) memcpy(out + (size_t)i * rowbytes, w + (size_t)idx[i] * rowbytes, rowbytes);
}

/* The forward on a GPU (arguments checked, pad resolved): index_select
 * without autograd, recorded as embedding (backward: the GPU
 * embedding_dense_backward). */
static ct_tensor *embedding_gpu(ct_tensor *weight, const ct_tensor *indices, int64_t pad, double max_norm,
                                double norm_type, bool scale_grad_by_freq) {
    const char *op = "embedding";
    if (ct__nn_check_dev(op, weight, indices) < 0) return NULL;
    if (!isnan(max_norm) && !ct_embedding_renorm_(weight, indices, max_norm, norm_type)) return NULL;
    ct_tensor *flat = ct__emb_flat_indices(op, indices);
    if (!flat) return NULL;
    int64_t shape[CT_MAX_DIMS];
    for (int d = 0; d < indices->ndim; d++) shape[d] = indices->sizes[d];
    shape[indices->ndim] = weight->sizes[1];
    ct_grad_mode gm = ct_no_grad_begin();
    ct_scope sc = ct_scope_begin();
    ct_tensor *out = NULL, *rows = ct_index_select(weight, 0, flat);
    rows = rows ? ct_contiguous(rows) : NULL;
    /* a fresh tensor of the result's shape over the rows (not a view) */
    if (rows) out = ct__tensor_new(rows->storage, rows->dtype, shape, NULL, indices->ndim + 1, rows->offset);
    ct_scope_end(sc);
    ct_grad_mode_end(gm);
    ct_op_args a = {.i = {weight->sizes[0], pad}, .b = {scale_grad_by_freq}};
    out = ct__nn_record(CT_OP_embedding, out, (const ct_tensor *[]){weight}, 1, (const ct_tensor *[]){flat}, 1,
                        &a);
    ct_release(flat);
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_embedding_ex(ct_tensor *weight, const ct_tensor *indices, int64_t padding_idx, double max_norm,
                           double norm_type, bool scale_grad_by_freq, bool sparse) {
    const char *op = "embedding";
    if (!weight || !indices) return CT_FAIL(CT_ERR_VALUE, "embedding: weight and indices must not be NULL");
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                       "Long, Int; but got %s instead (while checking arguments for embedding)",
                       ct__emb_type_name(indices->dtype));
    if (weight->ndim != 2) return CT_FAIL(CT_ERR_RUNTIME, "'weight' must be 2-D, got %s", ct__shp(weight));
    if (indices->ndim >= CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "embedding: indices have too many dims (%d)", indices->ndim);
    int64_t num = weight->sizes[0], D = weight->sizes[1];
    if (padding_idx != CT_NO_PADDING_IDX) {
        if (padding_idx < -num || padding_idx >= num)
            return CT_FAIL(CT_ERR_RUNTIME, "Padding_idx must be within num_embeddings");
        if (padding_idx < 0) padding_idx += num;
    } else {
        padding_idx = -1;
    }
    if (sparse)
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "embedding: sparse=True is not implemented (ctorch has no sparse tensors); use "
                       "sparse=False");
    if (!ct__on_cpu(weight))
        return embedding_gpu(weight, indices, padding_idx, max_norm, norm_type, scale_grad_by_freq);
    if (ct__nn_check_dev(op, weight, indices) < 0) return NULL;
    if (!isnan(max_norm) && !ct_embedding_renorm_(weight, indices, max_norm, norm_type)) return NULL;
    ct_tensor *flat = ct__emb_flat_indices(op, indices);
    if (!flat) return NULL;
    const int64_t *idx = ct_data_ptr(flat);
    int64_t n = flat->numel;
    int64_t shape[CT_MAX_DIMS];
    for (int d = 0; d < indices->ndim; d++) shape[d] = indices->sizes[d];
    shape[indices->ndim] = D;
    ct_tensor *wc = NULL, *out = NULL;
    if (ct__emb_check_range(idx, n, num) < 0 || !(wc = ct__contiguous(weight)) ||
        !(out = ct__empty(shape, indices->ndim + 1, weight->dtype))) {
        ct_release(flat), ct_release(wc);
        return NULL;
    }
    if (n && D) gather_rows(ct_data_ptr(wc), idx, n, (size_t)D * ct_dtype_size(weight->dtype), ct_data_ptr(out));
    ct_release(wc);
    ct_op_args a = {.i = {num, padding_idx}, .b = {scale_grad_by_freq}};
    out = ct__nn_record(CT_OP_embedding, out, (const ct_tensor *[]){weight}, 1, (const ct_tensor *[]){flat}, 1,
                        &a);
    ct_release(flat);
    return out ? ct_autorelease(out) : NULL;
}

ct_tensor *ct_embedding(const ct_tensor *weight, const ct_tensor *indices, int64_t padding_idx) {
    if (weight && weight->ndim == 2 && (padding_idx < -1 || padding_idx >= weight->sizes[0]))
        return CT_FAIL(CT_ERR_RUNTIME, "embedding: padding_idx must be within num_embeddings (%lld), got %lld",
                       weight ? (long long)weight->sizes[0] : 0LL, (long long)padding_idx);
    return ct_embedding_ex((ct_tensor *)weight, indices, padding_idx < 0 ? CT_NO_PADDING_IDX : padding_idx, NAN,
                           2.0, false, false);
}

/* dW [num][D] = sum over positions i with idx[i] == r of g[i][D] (times
 * 1/count(r) when scaled), rows in [start[r], start[r+1]) of order[]. */
#define DENSE_BACKWARD(T)                                                                \
    do {                                                                                 \
        const T *gs = (const T *)g;                                                      \
        T *dw = (T *)outp;                                                               \
        _Pragma("omp parallel for schedule(static) if ((n + num) * D >= CT_GRAIN)")     \
        for (int64_t r = 0; r < num; r++) {                                              \
            T *dst = dw + r * D;                                                         \
            for (int64_t d = 0; d < D; d++) dst[d] = 0;                                  \
            int64_t b = start[r], e = start[r + 1];                                      \
            if (r == pad || b == e) continue;                                            \
            T scale = scaled ? (T)(1.0 / (double)(e - b)) : (T)1;                        \
            for (int64_t k = b; k < e; k++) {                                            \
                const T *src = gs + order[k] * D;                                        \
                if (scaled)                                                              \
                    for (int64_t d = 0; d < D; d++) dst[d] += src[d] * scale;            \
                else                                                                     \
                    for (int64_t d = 0; d < D; d++) dst[d] += src[d];                    \
            }                                                                            \
        }                                                                                \
    } while (0)

int ct__emb_row_order(const int64_t *idx, int64_t n, int64_t num, int64_t **start_out, int64_t **order_out) {
    int64_t *start = calloc((size_t)num + 2, sizeof(int64_t)), *order = malloc(((size_t)n + 1) * sizeof(int64_t));
    if (!start || !order) {
        free(start), free(order);
        ct_set_error(CT_ERR_MEMORY, "embedding backward: out of memory");
        return -1;
    }
    for (int64_t i = 0; i < n; i++) start[idx[i] + 1]++;
    for (int64_t r = 0; r < num; r++) start[r + 1] += start[r];
    /* start[r + 1] is the end of row r: filled backwards it ends at the
     * row's beginning, so that one shift restores start[r] = beginning. */
    for (int64_t i = n - 1; i >= 0; i--) order[--start[idx[i] + 1]] = i;
    for (int64_t r = 0; r < num; r++) start[r] = start[r + 1];
    start[num] = n;
    *start_out = start, *order_out = order;
    return 0;
}

/* embedding_dense_backward of a grad on a GPU (checked; flat the 1-d int64
 * indices, any device): the row order is built on the host from a copy of
 * the indices, and the emb_backward hook sums every row in that order.
 * Recorded with the indices on grad's GPU. Owned result. */
static ct_tensor *dense_backward_gpu(const ct_tensor *grad, const ct_tensor *flat, int64_t num, int64_t pad,
                                     bool scaled) {
    ct_device dev = grad->storage->device;
    int64_t n = flat->numel, D = grad->sizes[grad->ndim - 1];
    ct_tensor *h = ct__nn_host(flat, CT_INT64), *oh = NULL, *sh = NULL, *od = NULL, *sd = NULL;
    ct_tensor *gc = NULL, *out = NULL, *fd = NULL;
    int64_t *start = NULL, *order = NULL;
    if (!h || ct__emb_check_range(ct_data_ptr(h), n, num) < 0 ||
        ct__emb_row_order(ct_data_ptr(h), n, num, &start, &order) < 0)
        goto done;
    int64_t n1 = num + 1;
    if (!(oh = ct__empty(&n, 1, CT_INT64)) || !(sh = ct__empty(&n1, 1, CT_INT64))) goto done;
    if (n) memcpy(ct_data_ptr(oh), order, sizeof(int64_t) * (size_t)n);
    memcpy(ct_data_ptr(sh), start, sizeof(int64_t) * (size_t)n1);
    if (!(od = ct__nn_on(oh, dev)) || !(sd = ct__nn_on(sh, dev)) || !(gc = ct__contiguous(grad)) ||
        !(fd = ct__nn_same_dev(flat, grad) ? ct_retain((ct_tensor *)flat) : ct__nn_on(flat, dev)) ||
        !(out = ct__empty_on((const int64_t[]){num, D}, 2, grad->dtype, dev)))
        goto done;
    if (ct__cuda->emb_backward(gc, od, sd, pad, scaled, out) < 0) {
        ct_release(out);
        out = NULL;
        goto done;
    }
    ct_op_args a = {.i = {num, pad}, .b = {scaled}};
    out = ct__nn_record(CT_OP_embedding_dense_backward, out, (const ct_tensor *[]){grad}, 1,
                        (const ct_tensor *[]){fd}, 1, &a);
done:
    free(start), free(order);
    ct_release(h), ct_release(oh), ct_release(sh), ct_release(od), ct_release(sd), ct_release(gc), ct_release(fd);
    return out;
}

ct_tensor *ct_embedding_dense_backward(const ct_tensor *grad, const ct_tensor *indices, int64_t num_weights,
                                       int64_t padding_idx, bool scale_grad_by_freq) {
    const char *op = "embedding_dense_backward";
    if (!grad || !indices) return CT_FAIL(CT_ERR_VALUE, "%s: grad and indices must not be NULL", op);
    if (ct__on_cpu(grad) && ct__nn_check_dev(op, grad, indices) < 0) return NULL;
    if (grad->dtype != CT_FLOAT32 && grad->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", op, scalar_name(grad->dtype));
    if (num_weights < 0 || padding_idx < -1 || padding_idx >= num_weights)
        return CT_FAIL(CT_ERR_RUNTIME, "%s: num_weights %lld and padding_idx %lld are out of range", op,
                       (long long)num_weights, (long long)padding_idx);
    ct_tensor *flat = ct__emb_flat_indices(op, indices);
    if (!flat) return NULL;
    int64_t n = flat->numel, D = grad->ndim ? grad->sizes[grad->ndim - 1] : 1;
    if (grad->ndim < 1 || (D ? grad->numel / D : 0) != n || (D == 0 && grad->ndim != indices->ndim + 1)) {
        ct_release(flat);
        return CT_FAIL(CT_ERR_RUNTIME, "%s: grad %s does not match indices %s (expected [*indices, D])", op,
                       ct__shp(grad), ct__shp(indices));
    }
    if (!ct__on_cpu(grad)) {
        ct_tensor *out = dense_backward_gpu(grad, flat, num_weights, padding_idx, scale_grad_by_freq);
        ct_release(flat);
        return out ? ct_autorelease(out) : NULL;
    }
    const int64_t *idx = ct_data_ptr(flat);
    int64_t *start = NULL, *order = NULL;
    ct_tensor *gc = NULL, *out = NULL;
    if (ct__emb_check_range(idx, n, num_weights) < 0 || ct__emb_row_order(idx, n, num_weights, &start, &order) < 0 ||
        !(gc = ct__contiguous(grad)) || !(out = ct__empty((const int64_t[]){num_weights, D}, 2, grad->dtype))) {
        free(start), free(order), ct_release(flat), ct_release(gc);
        return NULL;
    }
    const void *g = ct_data_ptr(gc);
    void *outp = ct_data_ptr(out);
    int64_t num = num_weights, pad = padding_idx;
    bool scaled = scale_grad_by_freq;
    CT_DISPATCH_FLOATING(grad->dtype, DENSE_BACKWARD(T));
    free(start), free(order), ct_release(gc);
    ct_op_args a = {.i = {num_weights, padding_idx}, .b = {scale_grad_by_freq}};
    out = ct__nn_record(CT_OP_embedding_dense_backward, out, (const ct_tensor *[]){grad}, 1,
                        (const ct_tensor *[]){flat}, 1, &a);
    ct_release(flat);
    return out ? ct_autorelease(out) : NULL;
}
