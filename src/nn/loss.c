/* Losses, composed of public differentiable ops (pointwise, reductions,
 * gather), so that autograd differentiates them through their parts. Each
 * opens a scope, keeps its result and hands it to the caller's scope. */
#include "nn/nn_internal.h"

static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static ct_tensor *reduce(ct_tensor *loss, int reduction) {
    if (!loss) return NULL;
    switch (reduction) {
    case CT_REDUCTION_NONE: return loss;
    case CT_REDUCTION_MEAN: return ct_mean(loss);
    case CT_REDUCTION_SUM: return ct_sum(loss);
    default: return CT_FAIL(CT_ERR_VALUE, "%d is not a valid value for reduction", reduction);
    }
}

/* Ends the scope, handing r (scope-owned or NULL) to the caller's scope. */
static ct_tensor *finish(ct_scope sc, ct_tensor *r) {
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

static int check_reduction(int reduction) {
    if (reduction < CT_REDUCTION_NONE || reduction > CT_REDUCTION_SUM) {
        ct_set_error(CT_ERR_VALUE, "%d is not a valid value for reduction", reduction);
        return -1;
    }
    return 0;
}

ct_tensor *ct_mse_loss(const ct_tensor *input, const ct_tensor *target, int reduction) {
    if (check_reduction(reduction) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *d = ct_sub(input, target);
    return finish(sc, reduce(d ? ct_square(d) : NULL, reduction));
}

ct_tensor *ct_l1_loss(const ct_tensor *input, const ct_tensor *target, int reduction) {
    if (check_reduction(reduction) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *d = ct_sub(input, target);
    return finish(sc, reduce(d ? ct_abs(d) : NULL, reduction));
}

/* where(|d| < t, a * d^2, |d| - b) * s, shared by smooth_l1 and huber. */
static ct_tensor *piecewise(const ct_tensor *input, const ct_tensor *target, int reduction,
                            double t, double a, double b, double s) {
    if (check_reduction(reduction) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *d = ct_sub(input, target), *r = NULL;
    ct_tensor *ad = d ? ct_abs(d) : NULL;
    ct_tensor *sq = ad ? ct_mul_scalar(ct_square(d), a) : NULL;
    ct_tensor *lin = sq ? ct_sub_scalar(ad, b) : NULL;
    if (lin && s != 1) lin = ct_mul_scalar(lin, s);
    ct_tensor *m = lin ? ct_lt_scalar(ad, t) : NULL;
    if (m) r = ct_where(m, sq, lin);
    return finish(sc, reduce(r, reduction));
}

ct_tensor *ct_smooth_l1_loss(const ct_tensor *input, const ct_tensor *target, int reduction,
                             double beta) {
    if (beta < 0)
        return CT_FAIL(CT_ERR_RUNTIME, "smooth_l1_loss does not support negative values for beta.");
    if (beta == 0) return ct_l1_loss(input, target, reduction);
    return piecewise(input, target, reduction, beta, 0.5 / beta, 0.5 * beta, 1.0);
}

ct_tensor *ct_huber_loss(const ct_tensor *input, const ct_tensor *target, int reduction,
                         double delta) {
    if (!(delta > 0))
        return CT_FAIL(CT_ERR_RUNTIME, "huber_loss does not support non-positive values for delta.");
    return piecewise(input, target, reduction, delta, 0.5, 0.5 * delta, delta);
}

/* Checks target (int64, shape = input's without dim 1) and that every
 * non-ignored class is in [0, C). */
static int nll_check(const ct_tensor *input, const ct_tensor *target, const ct_tensor *weight,
                     int64_t ignore_index) {
    if (target->dtype != CT_INT64) {
        ct_set_error(CT_ERR_RUNTIME, "expected scalar type Long but found %s",
                     type_name(target->dtype));
        return -1;
    }
    if (input->ndim < 1) {
        ct_set_error(CT_ERR_RUNTIME, "nll_loss: input tensor should be 1D or more, got %s",
                     ct__shp(input));
        return -1;
    }
    if (input->ndim == 1) {
        if (target->ndim != 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "nll_loss: a 1D input expects a 0D target, got target of size %s",
                         ct__shp(target));
            return -1;
        }
    } else {
        if (target->ndim < 1 || input->sizes[0] != target->sizes[0]) {
            ct_set_error(CT_ERR_VALUE,
                         "Expected input batch_size (%lld) to match target batch_size (%lld).",
                         (long long)input->sizes[0],
                         (long long)(target->ndim ? target->sizes[0] : 1));
            return -1;
        }
        bool ok = target->ndim == input->ndim - 1;
        for (int i = 1; ok && i < target->ndim; i++) ok = target->sizes[i] == input->sizes[i + 1];
        if (!ok) {
            ct_set_error(CT_ERR_RUNTIME, "nll_loss: expected target of size %s to match input %s "
                                         "without its class dim",
                         ct__shp(target), ct__shp(input));
            return -1;
        }
    }
    int64_t C = input->ndim == 1 ? input->sizes[0] : input->sizes[1];
    if (weight && (weight->ndim != 1 || weight->sizes[0] != C)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "weight tensor should be defined either for all %lld classes or no classes "
                     "but got weight tensor of shape: %s",
                     (long long)C, ct__shp(weight));
        return -1;
    }
    /* targets on a GPU are checked on the host: one copy (a synchronisation) */
    ct_tensor *host = NULL;
    if (!ct__on_cpu(target)) {
        host = ct__empty(target->sizes, target->ndim, target->dtype);
        if (!host || ct__copy_into(host, target) < 0) {
            ct_release(host);
            return -1;
        }
        target = host;
    }
    int rc = 0;
    for (int64_t i = 0; i < target->numel; i++) {
        int64_t t = ct_item_at_int(target, i);
        if (t != ignore_index && (t < 0 || t >= C)) {
            ct_set_error(CT_ERR_INDEX, "Target %lld is out of bounds.", (long long)t);
            rc = -1;
            break;
        }
    }
    ct_release(host);
    return rc;
}

/* Scope-owned nll loss (inside the caller's scope); checks done. */
static ct_tensor *nll_impl(const ct_tensor *input, const ct_tensor *target,
                           const ct_tensor *weight, int64_t ignore_index, int reduction) {
    if (input->ndim == 1) {
        input = ct_unsqueeze(input, 0);
        target = ct_unsqueeze(target, 0);
        if (!input || !target) return NULL;
    }
    ct_tensor *mask = ct_ne_scalar(target, (double)ignore_index);
    ct_tensor *safe = mask ? ct_masked_fill(target, ct_logical_not(mask), 0) : NULL;
    ct_tensor *picked = safe ? ct_gather(input, 1, ct_unsqueeze(safe, 1)) : NULL;
    if (picked) picked = ct_squeeze_dim(picked, 1);
    if (!picked) return NULL;
    ct_tensor *w = ct_to_dtype(mask, input->dtype, false);
    if (w && weight) {
        ct_tensor *wt = ct_index_select(weight, 0, ct_reshape(safe, (int64_t[]){-1}, 1));
        w = wt ? ct_mul(w, ct_reshape(wt, safe->sizes, safe->ndim)) : NULL;
    }
    ct_tensor *loss = w ? ct_neg(ct_mul(picked, w)) : NULL;
    if (!loss) return NULL;
    switch (reduction) {
    case CT_REDUCTION_NONE: return loss;
    case CT_REDUCTION_SUM: return ct_sum(loss);
    default: return ct_div(ct_sum(loss), ct_sum(w));
    }
}

ct_tensor *ct_nll_loss(const ct_tensor *input, const ct_tensor *target, const ct_tensor *weight,
                       int64_t ignore_index, int reduction) {
    if (check_reduction(reduction) < 0 || nll_check(input, target, weight, ignore_index) < 0)
        return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = nll_impl(input, target, weight, ignore_index, reduction);
    if (r && reduction == CT_REDUCTION_NONE && input->ndim == 1) r = ct_squeeze_dim(r, 0);
    return finish(sc, r);
}

/* weight [C] viewed to broadcast along dim 1 of an nd-dim input. */
static ct_tensor *class_view(const ct_tensor *weight, int nd) {
    int64_t shape[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) shape[i] = 1;
    shape[nd >= 2 ? 1 : 0] = weight->sizes[0];
    return ct_reshape(weight, shape, nd);
}

ct_tensor *ct_cross_entropy(const ct_tensor *input, const ct_tensor *target,
                            const ct_tensor *weight, int64_t ignore_index, int reduction,
                            double label_smoothing) {
    if (check_reduction(reduction) < 0) return NULL;
    if (!(label_smoothing >= 0 && label_smoothing <= 1))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "label_smoothing must be between 0.0 and 1.0. Got: %g", label_smoothing);
    if (input->ndim < 1)
        return CT_FAIL(CT_ERR_RUNTIME, "cross_entropy: input should be 1D or more, got %s",
                       ct__shp(input));
    int cdim = input->ndim == 1 ? 0 : 1;
    int64_t C = input->sizes[cdim];
    bool probs = ct_dtype_is_floating(target->dtype);
    if (probs) {
        bool same = target->ndim == input->ndim;
        for (int i = 0; same && i < input->ndim; i++) same = target->sizes[i] == input->sizes[i];
        if (!same)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "cross_entropy: class-probability target of size %s must match input "
                           "of size %s",
                           ct__shp(target), ct__shp(input));
        if (weight && (weight->ndim != 1 || weight->sizes[0] != C))
            return CT_FAIL(CT_ERR_RUNTIME,
                           "weight tensor should be defined either for all %lld classes or no "
                           "classes but got weight tensor of shape: %s",
                           (long long)C, ct__shp(weight));
    } else if (nll_check(input, target, weight, ignore_index) < 0) {
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *logp = ct_log_softmax(input, cdim), *r = NULL;
    if (!logp) return finish(sc, NULL);
    if (probs) {
        const ct_tensor *t = target;
        if (label_smoothing > 0) {
            t = ct_add_scalar(ct_mul_scalar(target, 1 - label_smoothing), label_smoothing / (double)C);
            if (!t) return finish(sc, NULL);
        }
        ct_tensor *prod = ct_mul(logp, t);
        if (prod && weight) prod = ct_mul(prod, class_view(weight, input->ndim));
        ct_tensor *loss = prod ? ct_neg(ct_sum_dims(prod, &cdim, 1, false, -1)) : NULL;
        if (!loss) return finish(sc, NULL);
        if (reduction == CT_REDUCTION_MEAN)
            r = ct_div_scalar(ct_sum(loss), (double)(input->numel / (C ? C : 1)));
        else r = reduce(loss, reduction);
        return finish(sc, r);
    }
    ct_tensor *nll = nll_impl(logp, target, weight, ignore_index, reduction);
    if (nll && reduction == CT_REDUCTION_NONE && input->ndim == 1) nll = ct_squeeze_dim(nll, 0);
    if (!nll || label_smoothing == 0) return finish(sc, nll);
    /* PyTorch's label smoothing: (1 - ls) * nll + ls / C * smooth, smooth =
     * -sum_c logp[c] * weight[c], zero at ignored targets; the mean divides
     * like nll_loss's (by the summed target weights, or the count). */
    ct_tensor *lw = weight ? ct_mul(logp, class_view(weight, input->ndim)) : logp;
    ct_tensor *smooth = lw ? ct_neg(ct_sum_dims(lw, &cdim, 1, false, -1)) : NULL;
    ct_tensor *ign = smooth ? ct_eq_scalar(target, (double)ignore_index) : NULL;
    if (ign) smooth = ct_masked_fill(smooth, ign, 0.0);
    if (!smooth) return finish(sc, NULL);
    ct_tensor *red;
    if (reduction == CT_REDUCTION_MEAN && !weight) {
        /* divided by the number of non-ignored targets, as PyTorch 1.13 */
        ct_tensor *keep = ct_to_dtype(ct_logical_not(ign), smooth->dtype, false);
        red = keep ? ct_div(ct_sum(smooth), ct_sum(keep)) : NULL;
    } else if (reduction == CT_REDUCTION_MEAN) {
        ct_tensor *safe = ct_masked_fill(target, ign, 0);
        ct_tensor *wt = safe ? ct_index_select(weight, 0, ct_reshape(safe, (int64_t[]){-1}, 1)) : NULL;
        ct_tensor *keep = wt ? ct_to_dtype(ct_logical_not(ign), weight->dtype, false) : NULL;
        ct_tensor *den = keep ? ct_sum(ct_mul(wt, ct_reshape(keep, (int64_t[]){-1}, 1))) : NULL;
        red = den ? ct_div(ct_sum(smooth), den) : NULL;
    } else {
        red = reduce(smooth, reduction);
    }
    if (red) r = ct_add(ct_mul_scalar(nll, 1 - label_smoothing),
                        ct_mul_scalar(red, label_smoothing / (double)C));
    return finish(sc, r);
}

ct_tensor *ct_binary_cross_entropy(const ct_tensor *input, const ct_tensor *target,
                                   const ct_tensor *weight, int reduction) {
    if (check_reduction(reduction) < 0) return NULL;
    bool same = input->ndim == target->ndim;
    for (int i = 0; same && i < input->ndim; i++) same = input->sizes[i] == target->sizes[i];
    if (!same)
        return CT_FAIL(CT_ERR_VALUE,
                       "Using a target size (%s) that is different to the input size (%s) is "
                       "deprecated. Please ensure they have the same size.",
                       ct__shp(target), ct__shp(input));
    for (int64_t i = 0; i < input->numel; i++) {
        double v = ct_item_at(input, i);
        if (!(v >= 0 && v <= 1))
            return CT_FAIL(CT_ERR_RUNTIME, "all elements of input should be between 0 and 1");
    }
    ct_scope sc = ct_scope_begin();
    /* -(t * max(log x, -100) + (1 - t) * max(log(1 - x), -100)) */
    ct_tensor *lx = ct_clamp_min(ct_log(input), -100.0);
    ct_tensor *l1x = ct_clamp_min(ct_log1p(ct_neg(input)), -100.0);
    ct_tensor *loss = NULL;
    if (lx && l1x) {
        /* t*lx + (1-t)*l1x = l1x + t*(lx - l1x) */
        ct_tensor *s = ct_addcmul(l1x, target, ct_sub(lx, l1x), 1.0);
        loss = s ? ct_neg(s) : NULL;
    }
    if (loss && weight) loss = ct_mul(loss, weight);
    return finish(sc, reduce(loss, reduction));
}

ct_tensor *ct_binary_cross_entropy_with_logits(const ct_tensor *input, const ct_tensor *target,
                                               const ct_tensor *weight,
                                               const ct_tensor *pos_weight, int reduction) {
    if (check_reduction(reduction) < 0) return NULL;
    bool same = input->ndim == target->ndim;
    for (int i = 0; same && i < input->ndim; i++) same = input->sizes[i] == target->sizes[i];
    if (!same)
        return CT_FAIL(CT_ERR_VALUE,
                       "Target size (%s) must be the same as input size (%s)", ct__shp(target),
                       ct__shp(input));
    ct_scope sc = ct_scope_begin();
    /* softplus(-x) = log1p(exp(-|x|)) + max(-x, 0), stable for every x. */
    ct_tensor *negx = ct_neg(input);
    ct_tensor *sp = negx ? ct_add(ct_log1p(ct_exp(ct_neg(ct_abs(input)))), ct_clamp_min(negx, 0))
                         : NULL;
    if (sp && pos_weight) {
        /* log_weight = (pos_weight - 1) * t + 1 */
        ct_tensor *lw = ct_add_scalar(ct_mul(ct_sub_scalar(pos_weight, 1.0), target), 1.0);
        sp = lw ? ct_mul(lw, sp) : NULL;
    }
    /* (1 - t) * x + log_weight * softplus(-x) */
    ct_tensor *loss = sp ? ct_add(ct_sub(input, ct_mul(target, input)), sp) : NULL;
    if (loss && weight) loss = ct_mul(loss, weight);
    return finish(sc, reduce(loss, reduction));
}

ct_tensor *ct_kl_div(const ct_tensor *input, const ct_tensor *target, int reduction,
                     bool log_target) {
    if (check_reduction(reduction) < 0) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *loss = NULL;
    if (log_target) {
        /* exp(t) * (t - x) */
        ct_tensor *d = ct_sub(target, input);
        loss = d ? ct_mul(ct_exp(target), d) : NULL;
    } else {
        /* xlogy(t, t) - t * x, with 0 * log 0 = 0 */
        ct_tensor *tl = ct_mul(target, ct_log(target));
        ct_tensor *xlogy = tl ? ct_masked_fill(tl, ct_eq_scalar(target, 0), 0.0) : NULL;
        loss = xlogy ? ct_sub(xlogy, ct_mul(target, input)) : NULL;
    }
    return finish(sc, reduce(loss, reduction));
}
