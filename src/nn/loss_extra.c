/* The remaining losses of torch.nn.functional, composed of public
 * differentiable ops in the order PyTorch composes them (its native
 * composite ops and its Python functions), so autograd differentiates them
 * to any order through their parts. Each opens a scope, keeps its result
 * and hands it to the caller's scope. TRY stops at the first failed step;
 * the error of that step stands. */
#include "nn/nn_internal.h"
#include "nn/nn_gpu_internal.h"

#include <math.h>

#include "ctorch/nn_extra.h"

#define TRY(expr)                 \
    do {                          \
        if (!(expr)) goto done;   \
    } while (0)

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static int check_reduction(int reduction) {
    if (reduction < CT_REDUCTION_NONE || reduction > CT_REDUCTION_SUM) {
        ct_set_error(CT_ERR_VALUE, "%d is not a valid value for reduction", reduction);
        return -1;
    }
    return 0;
}

static ct_tensor *reduce(ct_tensor *loss, int reduction) {
    if (!loss) return NULL;
    if (reduction == CT_REDUCTION_MEAN) return ct_mean(loss);
    if (reduction == CT_REDUCTION_SUM) return ct_sum(loss);
    return loss;
}

/* Ends the scope, handing r (scope-owned or NULL) to the caller's scope. */
static ct_tensor *finish(ct_scope sc, ct_tensor *r) {
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

static bool missing(const char *op, int n, const ct_tensor *const *t) {
    for (int i = 0; i < n; i++)
        if (!t[i]) {
            ct_set_error(CT_ERR_VALUE, "%s: tensor argument %d is NULL", op, i + 1);
            return true;
        }
    return false;
}

/* ---------------------------------------------------------------- margin_ranking_loss */
ct_tensor *ct_margin_ranking_loss(const ct_tensor *x1, const ct_tensor *x2, const ct_tensor *target,
                                  double margin, int reduction) {
    if (missing("margin_ranking_loss", 3, (const ct_tensor *[]){x1, x2, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    if (x1->ndim != x2->ndim || x1->ndim != target->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: %s, input2: %s, target: %s ",
                       ct__shp(x1), ct__shp(x2), ct__shp(target));
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *d, *nt, *m, *a;
    TRY(d = ct_sub(x1, x2));
    TRY(nt = ct_neg(target));
    TRY(m = ct_mul(nt, d));
    TRY(a = ct_add_scalar(m, margin));
    r = reduce(ct_clamp_min(a, 0), reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- triplet_margin_loss */
/* at::pairwise_distance: ||x1 - x2 + eps||_p over the last dim. */
static ct_tensor *pairwise_distance(const ct_tensor *a, const ct_tensor *b, double p, double eps) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int dim = nd - 1;
    ct_tensor *d = ct_sub(a, b);
    if (d) d = ct_add_scalar(d, eps);
    return d ? ct_norm(d, p, &dim, nd > 0 ? 1 : 0, false) : NULL;
}

ct_tensor *ct_triplet_margin_loss(const ct_tensor *anchor, const ct_tensor *positive,
                                  const ct_tensor *negative, double margin, double p, double eps,
                                  bool swap, int reduction) {
    if (missing("triplet_margin_loss", 3, (const ct_tensor *[]){anchor, positive, negative}) ||
        check_reduction(reduction) < 0)
        return NULL;
    if (anchor->ndim != positive->ndim || positive->ndim != negative->ndim)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "All inputs should have same dimension but got %dD, %dD and %dD inputs.",
                       anchor->ndim, positive->ndim, negative->ndim);
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *dp, *dn, *ds, *a, *b;
    TRY(dp = pairwise_distance(anchor, positive, p, eps));
    TRY(dn = pairwise_distance(anchor, negative, p, eps));
    if (swap) {
        TRY(ds = pairwise_distance(positive, negative, p, eps));
        TRY(dn = ct_minimum(dn, ds));
    }
    TRY(a = ct_add_scalar(dp, margin));
    TRY(b = ct_sub(a, dn));
    r = reduce(ct_clamp_min(b, 0), reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- cosine_embedding_loss */
ct_tensor *ct_cosine_embedding_loss(const ct_tensor *x1, const ct_tensor *x2,
                                    const ct_tensor *target, double margin, int reduction) {
    if (missing("cosine_embedding_loss", 3, (const ct_tensor *[]){x1, x2, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    int td = target->ndim;
    if (td > 1)
        return CT_FAIL(CT_ERR_RUNTIME, "0D or 1D target tensor expected, multi-target not supported");
    if (td == 1 && (x1->ndim != 2 || x2->ndim != 2))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "1D target tensor expects 2D input tensors, but found inputs with sizes %s and %s.",
                       ct__shp(x1), ct__shp(x2));
    if (td == 0 && (x1->ndim != 1 || x2->ndim != 1))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "0D target tensor expects 1D input tensors, but found inputs with sizes %s and %s.",
                       ct__shp(x1), ct__shp(x2));
    const double EPSILON = 1e-12;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *t, *prod, *m1, *m2, *den, *cos, *zeros, *pos, *neg, *c, *op, *on;
    TRY(t = ct_mul(x1, x2));
    TRY(prod = ct_sum_dims(t, &td, 1, false, -1));
    TRY(t = ct_mul(x1, x1));
    TRY(t = ct_sum_dims(t, &td, 1, false, -1));
    TRY(m1 = ct_add_scalar(t, EPSILON));
    TRY(t = ct_mul(x2, x2));
    TRY(t = ct_sum_dims(t, &td, 1, false, -1));
    TRY(m2 = ct_add_scalar(t, EPSILON));
    TRY(t = ct_mul(m1, m2));
    TRY(den = ct_sqrt(t));
    TRY(cos = ct_div(prod, den));
    TRY(zeros = ct_zeros_like(cos, CT_DTYPE_DEFAULT));
    TRY(t = ct_neg(cos));
    TRY(pos = ct_add_scalar(t, 1.0));
    TRY(t = ct_sub_scalar(cos, margin));
    TRY(neg = ct_clamp_min(t, 0));
    TRY(c = ct_eq_scalar(target, 1));
    TRY(op = ct_where(c, pos, zeros));
    TRY(c = ct_eq_scalar(target, -1));
    TRY(on = ct_where(c, neg, zeros));
    r = reduce(ct_add(op, on), reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- hinge_embedding_loss */
ct_tensor *ct_hinge_embedding_loss(const ct_tensor *x, const ct_tensor *target, double margin,
                                   int reduction) {
    if (missing("hinge_embedding_loss", 2, (const ct_tensor *[]){x, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *zeros, *t, *mc, *c, *om, *os;
    TRY(zeros = ct_zeros_like(x, CT_DTYPE_DEFAULT));
    TRY(t = ct_neg(x));
    TRY(t = ct_add_scalar(t, margin));
    TRY(mc = ct_clamp_min(t, 0));
    TRY(c = ct_ne_scalar(target, 1));
    TRY(om = ct_where(c, mc, zeros));
    TRY(c = ct_ne_scalar(target, -1));
    TRY(os = ct_where(c, x, zeros));
    r = reduce(ct_add(om, os), reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- soft margin losses */
ct_tensor *ct_soft_margin_loss(const ct_tensor *x, const ct_tensor *target, int reduction) {
    if (missing("soft_margin_loss", 2, (const ct_tensor *[]){x, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *t;
    TRY(t = ct_neg(x));
    TRY(t = ct_mul(t, target));
    TRY(t = ct_exp(t));
    r = reduce(ct_log1p(t), reduction);
done:
    return finish(sc, r);
}

/* logsigmoid(x) = -softplus(-x): exact gradient (sigmoid) everywhere. */
static ct_tensor *log_sigmoid(const ct_tensor *x) {
    ct_tensor *t = ct_neg(x);
    if (t) t = ct_softplus(t, 1.0, 20.0);
    return t ? ct_neg(t) : NULL;
}

ct_tensor *ct_multilabel_soft_margin_loss(const ct_tensor *x, const ct_tensor *target,
                                          const ct_tensor *weight, int reduction) {
    if (missing("multilabel_soft_margin_loss", 2, (const ct_tensor *[]){x, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    if (x->ndim == 0)
        return CT_FAIL(CT_ERR_RUNTIME, "multilabel_soft_margin_loss: expected input of at least 1 dimension, got %s",
                       ct__shp(x));
    int cd = x->ndim - 1;
    int64_t C = x->sizes[cd];
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *a, *b, *t, *nx;
    TRY(t = log_sigmoid(x));
    TRY(a = ct_mul(target, t));
    TRY(nx = ct_neg(x));
    TRY(t = log_sigmoid(nx));
    TRY(b = ct_neg(target));
    TRY(b = ct_add_scalar(b, 1.0));
    TRY(b = ct_mul(b, t));
    TRY(t = ct_add(a, b));
    TRY(t = ct_neg(t));
    if (weight) TRY(t = ct_mul(t, weight));
    TRY(t = ct_sum_dims(t, &cd, 1, false, -1));
    r = reduce(ct_div_scalar(t, (double)C), reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- poisson_nll_loss */
ct_tensor *ct_poisson_nll_loss(const ct_tensor *x, const ct_tensor *target, bool log_input,
                               bool full, double eps, int reduction) {
    if (missing("poisson_nll_loss", 2, (const ct_tensor *[]){x, target}) ||
        check_reduction(reduction) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *loss, *t, *u, *st, *m;
    if (log_input) {
        TRY(t = ct_exp(x));
        TRY(u = ct_mul(target, x));
        TRY(loss = ct_sub(t, u));
    } else {
        TRY(t = ct_add_scalar(x, eps));
        TRY(t = ct_log(t));
        TRY(u = ct_mul(target, t));
        TRY(loss = ct_sub(x, u));
    }
    if (full) {
        /* target log(target) - target + 0.5 log(2 pi target), 0 where target <= 1 */
        TRY(t = ct_log(target));
        TRY(t = ct_mul(target, t));
        TRY(st = ct_sub(t, target));
        TRY(u = ct_mul_scalar(target, 2 * M_PI));
        TRY(u = ct_log(u));
        TRY(u = ct_mul_scalar(u, 0.5));
        TRY(st = ct_add(st, u));
        TRY(m = ct_le_scalar(target, 1));
        TRY(st = ct_masked_fill(st, m, 0));
        TRY(loss = ct_add(loss, st));
    }
    r = reduce(loss, reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- gaussian_nll_loss */
static bool same_sizes(const int64_t *a, int na, const int64_t *b, int nb) {
    if (na != nb) return false;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return false;
    return true;
}

ct_tensor *ct_gaussian_nll_loss(const ct_tensor *x, const ct_tensor *target, const ct_tensor *var,
                                bool full, double eps, int reduction) {
    if (missing("gaussian_nll_loss", 3, (const ct_tensor *[]){x, target, var})) return NULL;
    bool unsq = false;
    if (!same_sizes(var->sizes, var->ndim, x->sizes, x->ndim)) {
        if (x->ndim >= 1 && same_sizes(x->sizes, x->ndim - 1, var->sizes, var->ndim)) unsq = true;
        else if (!(x->ndim >= 1 && var->ndim >= 1 &&
                   same_sizes(x->sizes, x->ndim - 1, var->sizes, var->ndim - 1) &&
                   var->sizes[var->ndim - 1] == 1))
            return CT_FAIL(CT_ERR_VALUE, "var is of incorrect size");
    }
    if (reduction < CT_REDUCTION_NONE || reduction > CT_REDUCTION_SUM)
        return CT_FAIL(CT_ERR_VALUE, "%d is not valid", reduction);
    /* the sign check reads var on the host (a copy from a GPU) */
    ct_tensor *vc = ct__on_cpu(var) ? ct__contiguous(var) : ct__nn_host(var, var->dtype);
    if (!vc) return NULL;
    bool negative = false;
    size_t es = ct_dtype_size(vc->dtype);
    for (int64_t i = 0; i < vc->numel && !negative; i++)
        negative = ct__load_f64((const char *)ct_data_ptr(vc) + i * (int64_t)es, vc->dtype) < 0;
    ct_release(vc);
    if (negative) return CT_FAIL(CT_ERR_VALUE, "var has negative entry/entries");
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *v, *t, *d, *loss;
    v = unsq ? ct_unsqueeze(var, -1) : (ct_tensor *)var;
    TRY(v);
    /* PyTorch clamps a clone in place under no_grad: the gradient flows to
     * var as if unclamped */
    TRY(v = ct_clone(v));
    ct_grad_mode gm = ct_no_grad_begin();
    ct_tensor *cl = ct_clamp_min_(v, eps);
    ct_grad_mode_end(gm);
    TRY(cl);
    TRY(t = ct_log(v));
    TRY(d = ct_sub(x, target));
    TRY(d = ct_square(d));
    TRY(d = ct_div(d, v));
    TRY(loss = ct_add(t, d));
    TRY(loss = ct_mul_scalar(loss, 0.5));
    if (full) TRY(loss = ct_add_scalar(loss, 0.5 * log(2 * M_PI)));
    r = reduce(loss, reduction);
done:
    return finish(sc, r);
}

/* ---------------------------------------------------------------- multi_margin_loss */
/* PyTorch's multi_margin_loss_shape_check / multilabel's: input 0-d, [C]
 * or [N, C] with C > 0. */
static int margin_input_check(const ct_tensor *x) {
    int nd = x->ndim;
    if (!((nd == 2 && x->sizes[1] != 0) || (nd == 1 && x->sizes[0] != 0) || nd == 0)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: %s",
                     ct__shp(x));
        return -1;
    }
    return 0;
}

/* Contiguous int64 CPU copy of target's values (owned) after the dtype
 * and device checks: the values are checked (and for multilabel turned
 * into index tables) on the host, also for tensors on a GPU. */
static ct_tensor *long_target(const char *op, const ct_tensor *x, const ct_tensor *target) {
    if (target->dtype != CT_INT64)
        return CT_FAIL(CT_ERR_RUNTIME, "expected scalar type Long but found %s",
                       type_name(target->dtype));
    if (ct__nn_check_dev(op, x, target) < 0) return NULL;
    return ct__on_cpu(target) ? ct__contiguous(target) : ct__nn_host(target, CT_INT64);
}

ct_tensor *ct_multi_margin_loss(const ct_tensor *x, const ct_tensor *target, int64_t p,
                                double margin, const ct_tensor *weight, int reduction) {
    const char *op = "multi_margin_loss";
    if (missing(op, 2, (const ct_tensor *[]){x, target}) || check_reduction(reduction) < 0)
        return NULL;
    if (p != 1 && p != 2) return CT_FAIL(CT_ERR_RUNTIME, "only p == 1 and p == 2 supported");
    if (margin_input_check(x) < 0) return NULL;
    int64_t nframe = x->ndim <= 1 ? 1 : x->sizes[0], dim = x->ndim == 0 ? 1 : x->sizes[x->ndim - 1];
    if (target->ndim > 1 || target->numel != nframe)
        return CT_FAIL(CT_ERR_RUNTIME, "inconsistent target size, got: %s", ct__shp(target));
    if (weight && (weight->ndim > 1 || weight->numel != dim))
        return CT_FAIL(CT_ERR_RUNTIME, "inconsistent weight size, expected %lld but got %s",
                       (long long)dim, ct__shp(weight));
    ct_tensor *tc = long_target(op, x, target);
    if (!tc) return NULL;
    const int64_t *tv = ct_data_ptr(tc);
    for (int64_t i = 0; i < nframe; i++)
        if (tv[i] < 0 || tv[i] >= dim) {
            ct_release(tc);
            return CT_FAIL(CT_ERR_RUNTIME, "target out of range");
        }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *x2, *t2, *t1, *xy, *z, *oh, *m;
    TRY(x2 = ct_reshape(x, (const int64_t[]){nframe, dim}, 2));
    TRY(t1 = ct_reshape(target, (const int64_t[]){nframe}, 1));
    TRY(t2 = ct_reshape(target, (const int64_t[]){nframe, 1}, 2));
    /* z = max(0, margin - x[y] + x[d]) (^2), * weight[y], 0 at d == y */
    TRY(xy = ct_gather(x2, 1, t2));
    TRY(xy = ct_neg(xy));
    TRY(xy = ct_add_scalar(xy, margin));
    TRY(z = ct_add(xy, x2));
    TRY(z = ct_clamp_min(z, 0));
    if (p == 2) TRY(z = ct_square(z));
    if (weight) {
        ct_tensor *w;
        TRY(w = ct_reshape(weight, (const int64_t[]){dim}, 1));
        TRY(w = ct_index_select(w, 0, t1));
        TRY(w = ct_reshape(w, (const int64_t[]){nframe, 1}, 2));
        TRY(z = ct_mul(z, w));
    }
    TRY(oh = ct_one_hot(t1, dim));
    TRY(m = ct_eq_scalar(oh, 1));
    TRY(z = ct_masked_fill(z, m, 0));
    TRY(z = ct_sum_dims(z, (const int[]){1}, 1, false, -1));
    TRY(z = ct_div_scalar(z, (double)dim));
    if (reduction == CT_REDUCTION_NONE && target->ndim == 0) TRY(z = ct_reshape(z, (const int64_t[]){1}, 0));
    r = reduce(z, reduction);
done:
    ct_release(tc);
    return finish(sc, r);
}

/* ---------------------------------------------------------------- multilabel_margin_loss */
ct_tensor *ct_multilabel_margin_loss(const ct_tensor *x, const ct_tensor *target, int reduction) {
    const char *op = "multilabel_margin_loss";
    if (missing(op, 2, (const ct_tensor *[]){x, target}) || check_reduction(reduction) < 0)
        return NULL;
    if (margin_input_check(x) < 0) return NULL;
    int64_t nframe, dim;
    if (x->ndim <= 1) {
        nframe = 1, dim = x->ndim == 0 ? 1 : x->sizes[0];
        if (target->ndim > 1 || target->numel != dim)
            return CT_FAIL(CT_ERR_RUNTIME, "inconsistent size %s for argument #2 'target'",
                           ct__shp(target));
    } else {
        nframe = x->sizes[0], dim = x->sizes[1];
        if (target->ndim != 2 || target->sizes[0] != nframe || target->sizes[1] != dim)
            return CT_FAIL(CT_ERR_RUNTIME, "inconsistent size %s for argument #2 'target'",
                           ct__shp(target));
    }
    ct_tensor *tc = long_target(op, x, target);
    if (!tc) return NULL;
    const int64_t *tv = ct_data_ptr(tc);
    int64_t n = nframe * dim;
    for (int64_t i = 0; i < n; i++)
        if (tv[i] < -1 || tv[i] >= dim) {
            ct_release(tc);
            return CT_FAIL(CT_ERR_RUNTIME, "argument #2 'target' is out of range");
        }
    /* idx[n][j]: the j-th target class (0 past the list's end); off[n][j][k]
     * true where the pair (j, k) does not count: j past the end or k a
     * target class */
    int64_t *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    bool *off = malloc((size_t)(n * dim > 0 ? n * dim : 1));
    bool *is_t = malloc((size_t)(dim > 0 ? dim : 1));
    if (!idx || !off || !is_t) {
        free(idx), free(off), free(is_t);
        ct_release(tc);
        return CT_FAIL(CT_ERR_MEMORY, "%s: out of memory", op);
    }
    for (int64_t f = 0; f < nframe; f++) {
        const int64_t *t = tv + f * dim;
        memset(is_t, 0, (size_t)dim);
        int64_t len = 0;
        while (len < dim && t[len] >= 0) is_t[t[len]] = true, len++;
        for (int64_t j = 0; j < dim; j++) {
            idx[f * dim + j] = j < len ? t[j] : 0;
            for (int64_t k = 0; k < dim; k++) off[(f * dim + j) * dim + k] = j >= len || is_t[k];
        }
    }
    ct_release(tc);
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = NULL, *x2, *it, *mt, *xt, *z, *b;
    it = ct__empty((const int64_t[]){nframe, dim}, 2, CT_INT64);
    mt = ct__empty((const int64_t[]){nframe, dim, dim}, 3, CT_BOOL);
    if (it) memcpy(ct_data_ptr(it), idx, (size_t)n * sizeof(int64_t)), ct_autorelease(it);
    if (mt) memcpy(ct_data_ptr(mt), off, (size_t)(n * dim)), ct_autorelease(mt);
    free(idx), free(off), free(is_t);
    TRY(it && mt);
    if (!ct__on_cpu(x)) { /* the tables move to x's GPU */
        TRY(it = ct_to_device(it, x->storage->device));
        TRY(mt = ct_to_device(mt, x->storage->device));
    }
    /* z[n, j, k] = max(0, 1 - x[n, y_j] + x[n, k]) where (j, k) counts */
    TRY(x2 = ct_reshape(x, (const int64_t[]){nframe, dim}, 2));
    TRY(xt = ct_gather(x2, 1, it));
    TRY(xt = ct_neg(xt));
    TRY(xt = ct_add_scalar(xt, 1.0));
    TRY(xt = ct_unsqueeze(xt, 2));
    TRY(b = ct_unsqueeze(x2, 1));
    TRY(z = ct_add(xt, b));
    TRY(z = ct_clamp_min(z, 0));
    TRY(z = ct_masked_fill(z, mt, 0));
    TRY(z = ct_sum_dims(z, (const int[]){1, 2}, 2, false, -1));
    TRY(z = ct_div_scalar(z, (double)dim));
    if (reduction == CT_REDUCTION_NONE && target->ndim <= 1) TRY(z = ct_reshape(z, (const int64_t[]){1}, 0));
    r = reduce(z, reduction);
done:
    return finish(sc, r);
}
