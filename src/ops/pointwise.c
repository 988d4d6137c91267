/* The pointwise driver: type promotion (torch.result_type), broadcasting,
 * output checks and allocation, and the run of one kernel loop over the
 * operands (a flat call for contiguous operands, the strided iterator
 * otherwise). Every elementwise op of the family goes through ct__pw_run. */
#include "pointwise_internal.h"
#include "autograd/inplace.h"

#include <math.h>
#include <omp.h>

/* ---------------------------------------------------------------- promotion */

/* PyTorch's combine_categories: the higher-priority result wins unless the
 * lower-priority operand is of a higher category (bool < integral < floating). */
static int combine_categories(int higher, int lower) {
    if (higher < 0) return lower;
    if (lower < 0) return higher;
    if (ct_dtype_is_floating((ct_dtype)higher)) return higher;
    if (higher == CT_BOOL || ct_dtype_is_floating((ct_dtype)lower))
        return ct_promote_types((ct_dtype)higher, (ct_dtype)lower);
    return higher;
}

ct_dtype ct_result_type_n(const ct_tensor *const *ts, int n) {
    int dim = -1, zero = -1, wrapped = -1; /* -1: no operand at that priority */
    for (int k = 0; k < n; k++) {
        const ct_tensor *t = ts[k];
        if (!t) continue;
        ct_dtype d = t->dtype;
        if (t->wrapped_number) {
            /* a Python float stands for the default dtype, not float64 */
            if (ct_dtype_is_floating(d)) d = ct_default_dtype();
            wrapped = wrapped < 0 ? (int)d : (int)ct_promote_types((ct_dtype)wrapped, d);
        } else if (t->ndim > 0) {
            dim = dim < 0 ? (int)d : (int)ct_promote_types((ct_dtype)dim, d);
        } else {
            zero = zero < 0 ? (int)d : (int)ct_promote_types((ct_dtype)zero, d);
        }
    }
    int r = combine_categories(dim, combine_categories(zero, wrapped));
    return r < 0 ? ct_default_dtype() : (ct_dtype)r;
}

ct_dtype ct_result_type(const ct_tensor *a, const ct_tensor *b) {
    const ct_tensor *ts[2] = {a, b};
    return ct_result_type_n(ts, 2);
}

const char *ct__pw_torch_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {"Bool", "Byte",     "Char",    "Short",
                                                     "Int",  "Long",     "Half",    "BFloat16",
                                                     "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "Undefined";
}

bool ct__pw_can_cast(ct_dtype from, ct_dtype to) {
    if (ct_dtype_is_floating(from) && !ct_dtype_is_floating(to)) return false;
    if (from != CT_BOOL && to == CT_BOOL) return false;
    return true;
}

/* ---------------------------------------------------------------- helpers */

static ct_tensor *wrapped_new(ct_dtype dt) {
    ct_tensor *t = ct__empty(NULL, 0, dt);
    if (t) t->wrapped_number = true;
    return t;
}
ct_tensor *ct__pw_wrapped_f64(double v) {
    ct_tensor *t = wrapped_new(CT_FLOAT64);
    if (t) *(double *)ct_data_ptr(t) = v;
    return t;
}
ct_tensor *ct__pw_wrapped_i64(int64_t v) {
    ct_tensor *t = wrapped_new(CT_INT64);
    if (t) *(int64_t *)ct_data_ptr(t) = v;
    return t;
}


/* Output elements that share memory (a size > 1 dim with stride 0). */
static bool internal_overlap(const ct_tensor *t) {
    for (int i = 0; i < t->ndim; i++)
        if (t->sizes[i] > 1 && t->strides[i] == 0) return true;
    return false;
}

/* An input that reads the output's memory other than element for element. */
static bool partial_overlap(const ct_tensor *out, const ct_tensor *in) {
    if (in->storage != out->storage || in->numel == 0) return false;
    if (in->offset != out->offset || in->ndim != out->ndim || in->dtype != out->dtype) return true;
    for (int i = 0; i < in->ndim; i++)
        if (in->sizes[i] != out->sizes[i] || (in->sizes[i] > 1 && in->strides[i] != out->strides[i]))
            return true;
    return false;
}

/* Runs loop over nops contiguous operands of numel elements. */
static void run_flat(ct_loop_fn loop, int nops, char **data, const int64_t *isz, int64_t numel,
                     ct_pw_ctx *ctx) {
    int nt = 1;
    if (numel >= CT_GRAIN && !omp_in_parallel()) {
        nt = omp_get_max_threads();
        if ((int64_t)nt > numel / (CT_GRAIN / 2)) nt = (int)(numel / (CT_GRAIN / 2));
        if (nt < 1) nt = 1;
    }
    if (nt == 1) {
        loop(data, isz, numel, ctx);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t chunk = ((numel + T - 1) / T + 63) & ~(int64_t)63;
        int64_t b = (int64_t)tid * chunk, e = b + chunk;
        if (e > numel) e = numel;
        if (b < e) {
            char *d[CT_MAX_OPERANDS];
            for (int k = 0; k < nops; k++) d[k] = data[k] + b * isz[k];
            loop(d, isz, e - b, ctx);
        }
    }
}

/* ---------------------------------------------------------------- driver */

static const uint8_t isz_of[CT_NUM_DTYPES] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};

static inline bool contiguous(const ct_tensor *t) {
    int64_t st = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->sizes[i] == 1) continue;
        if (t->strides[i] != st) return t->numel == 0;
        st *= t->sizes[i];
    }
    return true;
}

static inline bool same_sizes(const ct_tensor *t, const int64_t *shape, int nd) {
    if (t->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (t->sizes[i] != shape[i]) return false;
    return true;
}

/* a and b lay out the same elements at the same offsets (dims of size 1
 * aside): one flat loop over both walks them element for element. */
static bool same_layout(const ct_tensor *a, const ct_tensor *b) {
    int i = 0, j = 0;
    for (;;) {
        while (i < a->ndim && a->sizes[i] == 1) i++;
        while (j < b->ndim && b->sizes[j] == 1) j++;
        if (i == a->ndim || j == b->ndim) return i == a->ndim && j == b->ndim;
        if (a->sizes[i] != b->sizes[j] || a->strides[i] != b->strides[j]) return false;
        i++, j++;
    }
}

/* A dense operand of one layout with the others: the flat loop reads and
 * writes it from its lowest address. */
static inline bool flat_with(const ct_tensor *t, const ct_tensor *like) {
    return t == like || (contiguous(t) && contiguous(like)) || same_layout(t, like);
}

/* A new result of t's values in dtype dt, laid out as t (dense). */
static ct_tensor *convert_keep(const ct_tensor *t, ct_dtype dt) {
    ct_tensor *r = ct__empty_strided_on(t->sizes, t->strides, t->ndim, dt, t->storage->device);
    if (r && ct__copy_into(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return r;
}

/* A 0-d operand converted to the kernel's dtype without allocating: a
 * tensor and storage on the caller's stack, seen only by the loop. */
static const ct_tensor *scalar_as(ct_pw_scalar *sl, const ct_tensor *src, ct_dtype dt) {
    sl->s.data = &sl->buf;
    sl->s.nbytes = sizeof sl->buf;
    sl->s.device = CT_DEVICE_CPU;
    sl->t.dtype = dt;
    sl->t.ndim = 0;
    sl->t.numel = 1;
    sl->t.offset = 0;
    sl->t.storage = &sl->s;
    sl->t.wrapped_number = src->wrapped_number;
    sl->t.requires_grad = false;
    sl->t.autograd = NULL;
    const void *p = ct_data_ptr(src);
    if (ct_dtype_is_floating(src->dtype)) ct__store_f64(&sl->buf, dt, ct__load_f64(p, src->dtype));
    else ct__store_i64(&sl->buf, dt, ct__load_i64(p, src->dtype));
    return &sl->t;
}

const ct_tensor *ct__pw_number(ct_pw_scalar *sl, ct_tensor **owned, double v, bool int_if_whole,
                               bool keep) {
    bool as_int = int_if_whole && v == floor(v) && fabs(v) < 9.2e18;
    *owned = NULL;
    if (keep) {
        *owned = as_int ? ct__pw_wrapped_i64((int64_t)v) : ct__pw_wrapped_f64(v);
        return *owned;
    }
    ct_tensor *t = ct__pw_stack_f64(sl, v);
    if (as_int) {
        int64_t i = (int64_t)v;
        t->dtype = CT_INT64;
        memcpy(&sl->buf, &i, sizeof i);
    }
    return t;
}

ct_tensor *ct__pw_stack_f64(ct_pw_scalar *sl, double v) {
    sl->s.data = &sl->buf;
    sl->s.nbytes = sizeof sl->buf;
    sl->s.device = CT_DEVICE_CPU;
    sl->t.dtype = CT_FLOAT64;
    sl->t.ndim = 0;
    sl->t.numel = 1;
    sl->t.offset = 0;
    sl->t.storage = &sl->s;
    sl->t.wrapped_number = true;
    sl->t.requires_grad = false;
    sl->t.autograd = NULL;
    memcpy(&sl->buf, &v, sizeof v);
    return &sl->t;
}

static ct_tensor *kernel_error(const ct_pw_ctx *ctx) {
    if (ctx->err == CT_PW_ERR_ZERO_DIV) return CT_FAIL(CT_ERR_RUNTIME, "ZeroDivisionError");
    return CT_FAIL(CT_ERR_RUNTIME, "Integers to negative integer powers are not allowed.");
}

ct_tensor *ct__pw_run(const char *kname, int kop, ct_pw_mode mode, ct_tensor *out, int nin,
                      const ct_tensor *const *in, unsigned cast_mask, ct_dtype compute_dt,
                      ct_dtype result_dt, ct_pw_ctx *ctx) {
    /* float16/bfloat16 compute through float32 and convert back */
    ct_dtype kdt = (compute_dt == CT_FLOAT16 || compute_dt == CT_BFLOAT16) ? CT_FLOAT32 : compute_dt;
    ct_dtype krt = result_dt == compute_dt ? kdt : result_dt;
    ct_pw_ctx local_ctx;
    if (!ctx) {
        memset(&local_ctx, 0, sizeof local_ctx);
        ctx = &local_ctx;
    }
    ct_loop_fn loop = ct__pw_loop(kop, kdt);
    if (CT_UNLIKELY(!loop))
        return CT_FAIL(CT_ERR_RUNTIME, "\"%s%s\" not implemented for '%s'", kname,
                       kname[0] >= 'A' && kname[0] <= 'Z' ? "" : "_cpu", ct__pw_torch_name(compute_dt));

    /* Fast path: a new result from contiguous operands of one shape, or
     * 0-d operands after the first (tensor op number), without the
     * iterator: the common case of a small op. A 0-d operand is read with
     * stride 0, converted to the kernel's dtype on the stack if needed. */
    /* operands on a GPU take the CUDA branch (src/cuda/pointwise.c) */
    bool on_gpu = out && !ct__on_cpu(out);
    for (int k = 0; !on_gpu && k < nin; k++) on_gpu = !ct__on_cpu(in[k]);
    if (mode == CT_PW_NEW && krt == result_dt && !on_gpu) {
        /* dense operands of one layout (contiguous, or all permuted alike):
         * the result takes that layout and one flat loop does the work */
        const ct_tensor *a = in[0];
        bool contig = contiguous(a), scalars = false;
        bool fast = (contig || ct__is_dense(a)) && (!(cast_mask & 1) || a->dtype == kdt);
        for (int k = 1; fast && k < nin; k++) {
            const ct_tensor *t = in[k];
            if (t->ndim == 0) {
                scalars |= a->ndim > 0;
                fast = ((cast_mask >> k) & 1) || t->dtype == kdt;
            } else {
                fast = (!((cast_mask >> k) & 1) || t->dtype == kdt) &&
                       same_sizes(t, a->sizes, a->ndim) && (contig ? contiguous(t) : same_layout(t, a));
            }
        }
        /* contiguous operands of one shape give a contiguous result; with
         * 0-d operands or permuted ones, TensorIterator's rule decides
         * (it differs only in the strides of size-1 and empty dims) */
        int64_t st[CT_MAX_DIMS];
        bool plain = contig && !scalars;
        if (fast && !plain) {
            ct__out_strides(nin, in, a->sizes, a->ndim, st);
            for (int d = 0; fast && d < a->ndim; d++) fast = a->sizes[d] == 1 || st[d] == a->strides[d];
        }
        if (fast) {
            ct_tensor *r = plain ? ct__empty(a->sizes, a->ndim, krt)
                                 : ct__empty_strided_on(a->sizes, st, a->ndim, krt, CT_DEVICE_CPU);
            if (!r) return NULL;
            if (r->numel > 0) {
                char *data[CT_MAX_OPERANDS];
                int64_t isz[CT_MAX_OPERANDS];
                ct_pw_scalar slots[CT_MAX_OPERANDS];
                data[0] = (char *)ct_data_ptr(r);
                isz[0] = isz_of[krt];
                data[1] = (char *)ct_data_ptr(a);
                isz[1] = isz_of[a->dtype];
                for (int k = 1; k < nin; k++) {
                    const ct_tensor *t = in[k];
                    if (t->ndim == 0) {
                        if (((cast_mask >> k) & 1) && t->dtype != kdt) t = scalar_as(&slots[k], t, kdt);
                        isz[k + 1] = r->ndim > 0 ? 0 : isz_of[t->dtype];
                    } else {
                        isz[k + 1] = isz_of[t->dtype];
                    }
                    data[k + 1] = (char *)ct_data_ptr(t);
                }
                run_flat(loop, nin + 1, data, isz, r->numel, ctx);
                if (CT_UNLIKELY(ctx->err)) {
                    ct_release(r);
                    return kernel_error(ctx);
                }
            }
            return r;
        }
    }

    /* broadcast shape of the inputs */
    int64_t shape[CT_MAX_DIMS];
    int nd = in[0]->ndim;
    memcpy(shape, in[0]->sizes, sizeof(int64_t) * (size_t)nd);
    for (int k = 1; k < nin; k++) {
        const ct_tensor *t = in[k];
        if (t->ndim == 0 || same_sizes(t, shape, nd)) continue;
        int64_t prev[CT_MAX_DIMS];
        memcpy(prev, shape, sizeof(int64_t) * (size_t)nd);
        nd = ct_broadcast_shapes(kname, prev, nd, t->sizes, t->ndim, shape);
        if (nd < 0) return NULL;
    }

    if (out) {
        if (!same_sizes(out, shape, nd)) {
            char b[160];
            return CT_FAIL(CT_ERR_RUNTIME, "output with shape %s doesn't match the broadcast shape %s",
                           ct__shp(out), ct_shape_str(shape, nd, b, sizeof b));
        }
        if (!ct__pw_can_cast(result_dt, out->dtype))
            return CT_FAIL(CT_ERR_RUNTIME, "result type %s can't be cast to the desired output type %s",
                           ct__pw_torch_name(result_dt), ct__pw_torch_name(out->dtype));
        if (internal_overlap(out))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.");
    }

    if (on_gpu) {
        if (!ct__cuda) return CT_FAIL(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
        return ct__cuda->pw_run(kname, kop, (int)mode, out, nin, in, cast_mask, compute_dt,
                                result_dt, ctx);
    }

    /* inputs in the kernel's dtype: 0-d ones on the stack, others copied */
    const ct_tensor *ops[CT_MAX_OPERANDS];
    ct_tensor *owned[CT_MAX_OPERANDS] = {0};
    ct_pw_scalar slots[CT_MAX_OPERANDS];
    ct_tensor *dst = NULL, *res = NULL;
    for (int k = 0; k < nin; k++) {
        ops[k + 1] = in[k];
        if (((cast_mask >> k) & 1) && in[k]->dtype != kdt) {
            if (in[k]->ndim == 0) {
                ops[k + 1] = scalar_as(&slots[k], in[k], kdt);
                continue;
            }
            owned[k] = ct__to_dtype(in[k], kdt, false);
            if (!owned[k]) goto fail;
            ops[k + 1] = owned[k];
        }
    }

    /* where the kernel writes: out itself, or a temporary copied into out */
    bool direct = out && out->dtype == krt;
    for (int k = 0; direct && k < nin; k++) direct = !partial_overlap(out, ops[k + 1]);
    if (direct) {
        dst = out;
    } else if (out) {
        dst = ct__empty(shape, nd, krt); /* a temporary, copied into out */
        if (!dst) goto fail;
    } else {
        int64_t st[CT_MAX_DIMS]; /* laid out as the inputs, as PyTorch does */
        ct__out_strides(nin, in, shape, nd, st);
        dst = ct__empty_strided_on(shape, st, nd, krt, CT_DEVICE_CPU);
        if (!dst) goto fail;
    }
    ops[0] = dst;

    int64_t numel = dst->numel;
    if (numel > 0) {
        bool flat = contiguous(dst) || ct__is_dense(dst);
        for (int k = 1; flat && k <= nin; k++) flat = ops[k]->numel == numel && flat_with(ops[k], dst);
        if (flat) {
            char *data[CT_MAX_OPERANDS];
            int64_t isz[CT_MAX_OPERANDS];
            for (int k = 0; k <= nin; k++) {
                data[k] = (char *)ct_data_ptr(ops[k]);
                isz[k] = isz_of[ops[k]->dtype];
            }
            run_flat(loop, nin + 1, data, isz, numel, ctx);
        } else {
            ct_iter it;
            ct_iter_init(&it, nin + 1, ops, shape, nd);
            ct_iter_run(&it, loop, ctx, CT_GRAIN);
        }
    }
    if (ctx->err) {
        kernel_error(ctx);
        goto fail;
    }

    if (out) {
        if (dst != out && ct__copy_into(out, dst) < 0) goto fail;
        res = out;
    } else if (krt != result_dt) {
        res = convert_keep(dst, result_dt);
        if (!res) goto fail;
    } else {
        res = dst; /* the temporary is the result */
        dst = NULL;
    }
    for (int k = 0; k < nin; k++) ct_release(owned[k]);
    if (dst != out) ct_release(dst);
    return res;
fail:
    for (int k = 0; k < nin; k++) ct_release(owned[k]);
    if (dst != out) ct_release(dst);
    return NULL;
}

int ct__pw_check_out_grad(const char *name, int op_id, ct_pw_mode mode, const ct_tensor *const *in,
                          int nin) {
    if (op_id == CT__PW_NO_AUTOGRAD) return 0;
    if (mode == CT_PW_INPLACE && ct__needs_grad(in, nin))
        return ct__ag_inplace_begin(op_id, (ct_tensor *)in[0], in, nin);
    if (mode == CT_PW_OUT && (op_id < 0 || (ct_op_table[op_id].flags & CT_F_DIFF)) &&
        ct__needs_grad(in, nin)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s(): functions with out=... arguments don't support automatic "
                     "differentiation, but one of the arguments requires grad.",
                     name);
        return -1;
    }
    return 0;
}

ct_tensor *ct__pw_finish(ct_tensor *r, ct_pw_mode mode, int op_id, const ct_tensor *const *in,
                         int nin, const ct_op_args *args) {
    if (!r) {
        if (mode == CT_PW_INPLACE) ct__ag_inplace_cancel();
        return NULL;
    }
    if (mode != CT_PW_NEW) ct_bump_version(r);
    if (op_id >= 0 && mode != CT_PW_OUT && ct__needs_grad(in, nin)) {
        ct_op_args none;
        if (!args) {
            memset(&none, 0, sizeof none);
            args = &none;
        }
        if (ct__ag_record(op_id, r, in, nin, NULL, 0, args) < 0) {
            if (mode == CT_PW_NEW) ct_release(r);
            return NULL;
        }
    }
    return mode == CT_PW_NEW ? ct_autorelease(r) : r;
}
