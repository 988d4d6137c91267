/* The engine's own differentiable helpers: gradient accumulation (add),
 * reduction of broadcast gradients (sum_to), and the scatter/mask pair that
 * view backward and CopySlices use. Each records itself like an op so that
 * create_graph differentiates through them. Also: the registry of every
 * derivative family. */
#include "autograd/ag_internal.h"
#include "ops/index_internal.h"
#include "ops/pointwise_kops.h"
#include "ops/reduce_internal.h"

/* ---------------------------------------------------------------- kernels */
#define ADD_LOOP(NAME, T)                                                          \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                              \
            T *restrict o = (T *)d[0];                                             \
            const T *restrict x = (const T *)d[1];                                 \
            for (int64_t k = 0; k < n; k++) o[k] += x[k];                          \
        } else {                                                                   \
            char *o = d[0];                                                        \
            const char *x = d[1];                                                  \
            for (int64_t k = 0; k < n; k++, o += s[0], x += s[1])                  \
                *(T *)o += *(const T *)x;                                          \
        }                                                                          \
    }
ADD_LOOP(add_f32, float)
ADD_LOOP(add_f64, double)

static void add_slow(char **d, const int64_t *s, int64_t n, void *ctx) {
    ct_dtype dt = *(ct_dtype *)ctx;
    char *o = d[0];
    const char *x = d[1];
    for (int64_t k = 0; k < n; k++, o += s[0], x += s[1])
        ct__store_f64(o, dt, ct__load_f64(o, dt) + ct__load_f64(x, dt));
}

/* The GPU's dst += src: the elementwise kernel in place (stream-ordered,
 * no synchronisation); dst's elements must not overlap. */
static int add_into_gpu(ct_tensor *dst, const ct_tensor *src) {
    for (int d = 0; d < dst->ndim; d++)
        if (dst->strides[d] == 0 && dst->sizes[d] > 1) {
            ct_set_error(CT_ERR_NOT_IMPL, "autograd: accumulation into an expanded CUDA tensor "
                                          "is not implemented");
            return -1;
        }
    ct_dtype dt = dst->dtype;
    ct_dtype cdt = dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? CT_FLOAT32 : dt;
    const ct_tensor *in[2] = {dst, src};
    return ct__cuda->pw_run("add", CT_PW_ADD, 0, dst, 2, in, 0, cdt, dt, NULL) ? 0 : -1;
}

/* dst += src (src broadcast to dst, cast to dst's dtype). grain 0: one
 * thread, required when dst's elements overlap (scatter, sum_to). */
static int add_into_grain(ct_tensor *dst, const ct_tensor *src, int64_t grain) {
    if (dst->numel == 0) return 0;
    if (!ct__on_cpu(dst) || !ct__on_cpu(src)) return add_into_gpu(dst, src);
    ct_tensor *cast = NULL;
    if (src->dtype != dst->dtype) {
        cast = ct__to_dtype(src, dst->dtype, false);
        if (!cast) return -1;
        src = cast;
    }
    const ct_tensor *ops[2] = {dst, src};
    ct_iter it;
    ct_iter_init(&it, 2, ops, dst->sizes, dst->ndim);
    ct_dtype dt = dst->dtype;
    ct_loop_fn fn = dt == CT_FLOAT32 ? add_f32 : dt == CT_FLOAT64 ? add_f64 : add_slow;
    ct_iter_run(&it, fn, &dt, grain);
    ct_release(cast);
    return 0;
}

int ct__ag_add_into(ct_tensor *dst, const ct_tensor *src) {
    bool overlap = false;
    for (int d = 0; d < dst->ndim; d++) overlap |= dst->strides[d] == 0 && dst->sizes[d] > 1;
    return add_into_grain(dst, src, overlap ? 0 : CT_GRAIN);
}

/* t (fresh, on a GPU) filled with v by a kernel. Owned; NULL on error. */
static ct_tensor *gpu_filled(ct_tensor *t, double v) {
    if (t && t->numel && ct__cuda->fill(t, v) < 0) {
        ct_release(t);
        return NULL;
    }
    return t;
}

static ct_tensor *zeros_owned(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev) {
    if (dev.type != CT_CPU) return gpu_filled(ct__empty_on(sizes, ndim, dt, dev), 0);
    ct_tensor *z = ct__empty(sizes, ndim, dt);
    if (z) memset(ct_data_ptr(z), 0, (size_t)z->numel * ct_dtype_size(dt));
    return z;
}

ct_tensor *ct__ag_zeros(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev) {
    return ct_autorelease(zeros_owned(sizes, ndim, dt, dev));
}

ct_tensor *ct__ag_ones(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev) {
    if (dev.type != CT_CPU) return ct_autorelease(gpu_filled(ct__empty_on(sizes, ndim, dt, dev), 1));
    ct_tensor *o = ct__empty(sizes, ndim, dt);
    if (!o) return NULL;
    char *p = ct_data_ptr(o);
    size_t isz = ct_dtype_size(dt);
    for (int64_t i = 0; i < o->numel; i++) ct__store_f64(p + (size_t)i * isz, dt, 1.0);
    return ct_autorelease(o);
}

static ct_tensor *finish(int kind, ct_tensor *r, const ct_tensor *x, const ct_tensor *y,
                         const ct_op_args *a) {
    const ct_tensor *in[2] = {x, y};
    int nin = y ? 2 : 1;
    if (ct__needs_grad(in, nin) && ct__ag_record_kind(kind, r, in, nin, NULL, 0, a) < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

/* ---------------------------------------------------------------- helpers */
ct_tensor *ct__ag_add(const ct_tensor *a, const ct_tensor *b) {
    ct_tensor *r = ct__to_dtype(a, a->dtype, true);
    if (!r) return NULL;
    if (add_into_grain(r, b, CT_GRAIN) < 0) {
        ct_release(r);
        return NULL;
    }
    return finish(CT_AG_ADD, r, a, b, NULL);
}

/* r (contiguous zeros of the target shape, on x's GPU) = x summed over its
 * broadcast dims, by the GPU reduction kernel. */
static int sum_to_gpu(const ct_tensor *x, ct_tensor *r) {
    if (x->numel == 0) return 0;
    bool mask[CT_MAX_DIMS] = {false};
    int lead = x->ndim - r->ndim;
    for (int i = 0; i < x->ndim; i++)
        mask[i] = i < lead || (r->sizes[i - lead] == 1 && x->sizes[i] != 1);
    ct_dtype cdt = x->dtype == CT_FLOAT16 || x->dtype == CT_BFLOAT16 ? CT_FLOAT32 : x->dtype;
    ct_tensor *xc = ct__to_dtype(x, cdt, false);
    if (!xc) return -1;
    int rc = ct__cuda->reduce(xc, mask, CT_RK_SUM, 0, NULL, CT_RP_NONE, 1, r, NULL);
    ct_release(xc);
    return rc;
}

ct_tensor *ct__ag_sum_to(const ct_tensor *x, const int64_t *sizes, int ndim) {
    ct_tensor *r = zeros_owned(sizes, ndim, x->dtype, x->storage->device);
    if (!r) return NULL;
    if (!ct__on_cpu(x)) {
        if (sum_to_gpu(x, r) < 0) {
            ct_release(r);
            return NULL;
        }
    } else if (x->numel) {
        const ct_tensor *ops[2] = {r, x};
        ct_iter it;
        ct_iter_init(&it, 2, ops, x->sizes, x->ndim);
        ct_dtype dt = x->dtype;
        ct_loop_fn fn = dt == CT_FLOAT32 ? add_f32 : dt == CT_FLOAT64 ? add_f64 : add_slow;
        ct_iter_run(&it, fn, &dt, 0);
    }
    return finish(CT_AG_SUM_TO, r, x, NULL, NULL);
}

/* Geometry-only replay of a view op on t, for the scatter kernels. */
static ct_tensor *replay_raw(const ct_tensor *t, int op, const ct_op_args *a,
                             const ct_in_meta *in) {
    ct_grad_mode g = ct_no_grad_begin();
    ct_tensor *r = ct__ag_replay_view(t, op, a, in);
    ct_grad_mode_end(g);
    return r;
}

ct_tensor *ct__ag_view_scatter(const ct_tensor *x, int view_op, const ct_op_args *args,
                               const ct_in_meta *in) {
    ct_op_args a = *args;
    ct_in_meta m = *in;
    if (view_op == CT_OP_as_strided) { /* relative to a fresh contiguous tensor */
        a.i[0] -= in->offset;
        m.offset = 0;
    }
    a.i[5] = view_op;
    ct_scope s = ct_scope_begin();
    ct_tensor *r = zeros_owned(in->sizes, in->ndim, x->dtype, x->storage->device);
    ct_tensor *v = r ? replay_raw(r, view_op, &a, &m) : NULL;
    int rc = v ? add_into_grain(v, x, 0) : -1;
    ct_scope_end(s);
    if (rc < 0) {
        ct_release(r);
        return NULL;
    }
    return finish(CT_AG_VIEW_SCATTER, r, x, NULL, &a);
}

ct_tensor *ct__ag_view_mask(const ct_tensor *x, int view_op, const ct_op_args *args,
                            const ct_in_meta *in) {
    ct_op_args a = *args;
    ct_in_meta m = *in;
    if (view_op == CT_OP_as_strided) {
        a.i[0] -= in->offset;
        m.offset = 0;
    }
    a.i[5] = view_op;
    ct_scope s = ct_scope_begin();
    ct_tensor *r = ct__to_dtype(x, x->dtype, true);
    ct_tensor *v = r ? replay_raw(r, view_op, &a, &m) : NULL;
    int rc = -1;
    if (v) {
        ct_tensor *z = ct__ag_zeros(NULL, 0, x->dtype, x->storage->device);
        rc = z ? ct__copy_into(v, z) : -1;
    }
    ct_scope_end(s);
    if (rc < 0) {
        ct_release(r);
        return NULL;
    }
    return finish(CT_AG_VIEW_MASK, r, x, NULL, &a);
}

/* Walks every element p of idx (row-major) with the offset of the element
 * of `other` that p maps to along dim d (in elements). */
static void walk_dim(const ct_tensor *idx, const ct_tensor *src, const ct_tensor *other, int d,
                     void (*fn)(const ct_tensor *, int64_t, const ct_tensor *, int64_t,
                                const ct_tensor *, int64_t)) {
    int64_t pos[CT_MAX_DIMS] = {0};
    for (int64_t p = 0; p < idx->numel; p++) {
        int64_t io = idx->offset, so = src->offset, oo = other->offset;
        for (int k = 0; k < idx->ndim; k++) {
            io += pos[k] * idx->strides[k];
            so += pos[k] * src->strides[k];
            if (k != d) oo += pos[k] * other->strides[k];
        }
        int64_t j = ct__load_i64((const char *)idx->storage->data + io * 8, CT_INT64);
        if (j < 0) j += other->sizes[d];
        oo += j * other->strides[d];
        fn(idx, io, src, so, other, oo);
        for (int k = idx->ndim - 1; k >= 0; k--) {
            if (++pos[k] < idx->sizes[k]) break;
            pos[k] = 0;
        }
    }
}

static void scatter_one(const ct_tensor *idx, int64_t io, const ct_tensor *src, int64_t so,
                        const ct_tensor *out, int64_t oo) {
    (void)idx; (void)io;
    size_t isz = ct_dtype_size(out->dtype);
    char *o = (char *)out->storage->data + (size_t)oo * isz;
    const char *x = (const char *)src->storage->data + (size_t)so * isz;
    ct__store_f64(o, out->dtype, ct__load_f64(o, out->dtype) + ct__load_f64(x, src->dtype));
}

static void gather_one(const ct_tensor *idx, int64_t io, const ct_tensor *dst, int64_t so,
                       const ct_tensor *x, int64_t oo) {
    (void)idx; (void)io;
    size_t isz = ct_dtype_size(x->dtype);
    ct__store_f64((char *)dst->storage->data + (size_t)so * isz, dst->dtype,
                  ct__load_f64((const char *)x->storage->data + (size_t)oo * isz, x->dtype));
}

static int check_idx(const char *op, const ct_tensor *idx, const ct_tensor *x) {
    if (idx->dtype != CT_INT64 || idx->ndim != x->ndim) {
        ct_set_error(CT_ERR_RUNTIME, "%s: index of dtype %s and shape %s does not match %s", op,
                     ct_dtype_name(idx->dtype), ct__shp(idx), ct__shp(x));
        return -1;
    }
    return 0;
}

ct_tensor *ct__ag_scatter_dim(const ct_tensor *x, const ct_tensor *idx, int d,
                              const int64_t *sizes, int ndim) {
    if (check_idx("scatter backward", idx, x) < 0) return NULL;
    ct_tensor *r = zeros_owned(sizes, ndim, x->dtype, x->storage->device);
    if (!r) return NULL;
    if (!ct__on_cpu(x) && x->ndim > 0) { /* the GPU's scatter kernel (ct__sg_run) */
        int64_t bad = 0;
        int rc = ct__sg_run(CT__SG_COPY, r, idx, (ct_tensor *)x, d, 0, &bad);
        if (rc != 0) {
            if (rc > 0) ct_set_error(CT_ERR_INDEX, "scatter backward: index %lld out of range", (long long)bad);
            ct_release(r);
            return NULL;
        }
    } else if (x->ndim == 0) {
        if (ct__copy_into(r, x) < 0) {
            ct_release(r);
            return NULL;
        }
    } else {
        walk_dim(idx, x, r, d, scatter_one);
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    const ct_tensor *in[1] = {x}, *ex[1] = {idx};
    if (ct__needs_grad(in, 1) && ct__ag_record_kind(CT_AG_SCATTER_DIM, r, in, 1, ex, 1, &a) < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

ct_tensor *ct__ag_gather_dim(const ct_tensor *x, const ct_tensor *idx, int d) {
    if (check_idx("gather backward", idx, x) < 0) return NULL;
    ct_tensor *r = ct__empty_on(idx->sizes, idx->ndim, x->dtype, x->storage->device);
    if (!r) return NULL;
    if (!ct__on_cpu(x) && x->ndim > 0) { /* the GPU's gather kernel (ct__sg_run) */
        int64_t bad = 0;
        int rc = ct__sg_run(CT__SG_GATHER, (ct_tensor *)x, idx, r, d, 0, &bad);
        if (rc != 0) {
            if (rc > 0) ct_set_error(CT_ERR_INDEX, "gather backward: index %lld out of range", (long long)bad);
            ct_release(r);
            return NULL;
        }
    } else if (x->ndim == 0) {
        if (ct__copy_into(r, x) < 0) {
            ct_release(r);
            return NULL;
        }
    } else {
        walk_dim(idx, r, x, d, gather_one);
    }
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = d;
    const ct_tensor *in[1] = {x}, *ex[1] = {idx};
    if (ct__needs_grad(in, 1) && ct__ag_record_kind(CT_AG_GATHER_DIM, r, in, 1, ex, 1, &a) < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

/* ---------------------------------------------------------------- derivatives */
static int d_accumulate(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)n; (void)g; (void)gin;
    return 0; /* handled by the engine itself */
}

static int d_add(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)n;
    gin[0] = g[0];
    gin[1] = g[0];
    return 0;
}

static int d_sum_to(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    gin[0] = ct_expand(g[0], n->in[0].sizes, n->in[0].ndim);
    return gin[0] ? 0 : -1;
}

static int d_view_scatter(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_in_meta m = n->out_meta;
    m.offset = 0;
    gin[0] = ct__ag_replay_view(g[0], (int)n->args.i[5], &n->args, &m);
    return gin[0] ? 0 : -1;
}

static int d_view_mask(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_in_meta m = n->out_meta;
    m.offset = 0;
    gin[0] = ct__ag_view_mask(g[0], (int)n->args.i[5], &n->args, &m);
    return gin[0] ? 0 : -1;
}

/* CopySlices: the base's gradient outside the view goes to its old
 * history, the part inside the view to the in-place op's node. */
static int d_copy_slices(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (ct__ag_needs(n, 0)) {
        gin[0] = ct__ag_view_mask(g[0], CT_OP_as_strided, &n->args, &n->in[0]);
        if (!gin[0]) return -1;
    }
    if (ct__ag_needs(n, 1)) {
        gin[1] = ct__ag_replay_view(g[0], CT_OP_as_strided, &n->args, &n->in[0]);
        if (!gin[1]) return -1;
        gin[1] = ct_contiguous(gin[1]);
        if (!gin[1]) return -1;
    }
    return 0;
}

/* The messages of Error nodes (args.i[0]), PyTorch's words. */
static const char *const error_msgs[] = {
    [CT_AG_ERR_GENERIC] = NULL,
    [CT_AG_ERR_SCATTER_PROD_ZEROS] = "scatter_reduce(): Double backward is unsupported for src "
                                     "when >1 zeros in src are scattered to the same position "
                                     "in self",
};

static int d_error(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)g; (void)gin;
    int64_t k = n->args.i[0];
    if (k > 0 && k < (int64_t)(sizeof error_msgs / sizeof *error_msgs) && error_msgs[k])
        ct_set_error(CT_ERR_RUNTIME, "%s", error_msgs[k]);
    else
        ct_set_error(CT_ERR_RUNTIME, "%s: this graph node cannot be differentiated",
                     ct_node_name(n));
    return -1;
}

/* PyTorch's DelayedError: x's values, behind an Error node when x is part
 * of a graph being recorded, so that only a backward through it fails. */
ct_tensor *ct__ag_delayed_error(ct_tensor *x, int msg) {
    if (!ct_is_grad_enabled() || !x->requires_grad) return x;
    ct_grad_mode gm = ct_no_grad_begin();
    ct_tensor *c = ct_clone(x);
    ct_grad_mode_end(gm);
    if (!c) return NULL;
    ct_op_args a;
    memset(&a, 0, sizeof a);
    a.i[0] = msg;
    const ct_tensor *in[1] = {x};
    return ct__ag_record_kind(CT_AG_ERROR, c, in, 1, NULL, 0, &a) < 0 ? NULL : c;
}

static int d_scatter_dim(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = ct__ag_extra(n, 0);
    gin[0] = idx ? ct__ag_gather_dim(g[0], idx, (int)n->args.i[0]) : NULL;
    return gin[0] ? 0 : -1;
}

static int d_gather_dim(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_tensor *idx = ct__ag_extra(n, 0);
    gin[0] = idx ? ct__ag_scatter_dim(g[0], idx, (int)n->args.i[0], n->in[0].sizes, n->in[0].ndim)
                 : NULL;
    return gin[0] ? 0 : -1;
}

int ct__ag_d_composite(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    (void)g; (void)gin;
    ct_set_error(CT_ERR_RUNTIME,
                 "%s: this op is composed of recorded ops and has no node of its own",
                 ct_node_name(n));
    return -1;
}

int ct__ag_custom_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin); /* function.c */

void ct__ag_register_engine(void) {
    ct__ag_derivs[CT_AG_ACCUMULATE] = (ct_deriv){d_accumulate, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_ADD] = (ct_deriv){d_add, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_SUM_TO] = (ct_deriv){d_sum_to, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_VIEW_SCATTER] = (ct_deriv){d_view_scatter, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_VIEW_MASK] = (ct_deriv){d_view_mask, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_COPY_SLICES] = (ct_deriv){d_copy_slices, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_SCATTER_DIM] = (ct_deriv){d_scatter_dim, 0, 1, 0, 0};
    ct__ag_derivs[CT_AG_GATHER_DIM] = (ct_deriv){d_gather_dim, 0, 1, 0, 0};
    ct__ag_derivs[CT_AG_ERROR] = (ct_deriv){d_error, 0, 0, 0, 0};
    ct__ag_derivs[CT_AG_CUSTOM] = (ct_deriv){ct__ag_custom_backward, 0, 0, 0, 0};
}

/* Every derivative family registers here (called once at load). */
void ct__ag_register_all(void) {
    ct__ag_register_engine();
    ct__ag_register_view();
    ct__ag_register_pointwise();
    ct__ag_register_linalg();
    ct__ag_register_shape();
    ct__ag_register_reduce();
    ct__ag_register_index();
    ct__ag_register_nn();
    ct__ag_register_nn_conv();
    ct__ag_register_nn_norm();
    ct__ag_register_nn_extra();
    ct__ag_register_rnn();
    ct__ag_register_ctc();
    ct__ag_register_nn_pool2();
    ct__ag_register_nn_embpool();
}
