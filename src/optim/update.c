/* Fused per-parameter optimizer updates: checks, dtype dispatch, version
 * bumps. The loops themselves are in update_impl.h, compiled per dtype. */
#include "internal.h"
#include "optim/optim_internal.h"

#include <omp.h>
#include <tgmath.h> /* sqrt/fabs/pow on float stay in float */

/* Runs BODY twice over, with NAME a constant true and a constant false, and
 * picks the copy by cond: the loops of update_impl.h get constant flags. */
#define CT__FLAGS(cond, NAME, ...)   \
    do {                             \
        if (cond) {                  \
            const bool NAME = true;  \
            __VA_ARGS__;             \
        } else {                     \
            const bool NAME = false; \
            __VA_ARGS__;             \
        }                            \
    } while (0)

/* fn(ctx, b, e) over [0, n): on this thread below the grain, else one
 * contiguous chunk per OpenMP thread (chunk edges on 64-byte lines). */
static void par_run(int64_t n, void (*fn)(void *ctx, int64_t b, int64_t e), void *ctx) {
    if (n < CT_GRAIN) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
#pragma omp parallel
    {
        int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t per = ((n + nt - 1) / nt + 15) & ~(int64_t)15;
        int64_t b = t * per, e = b + per < n ? b + per : n;
        if (b < e) fn(ctx, b, e);
    }
}

#define T float
#define SUF f32
#include "optim/update_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "optim/update_impl.h"
#undef T
#undef SUF

/* param must be a contiguous float32/float64 tensor (or dense, on the CPU);
 * every other non-NULL operand must match its shape and dtype and be laid
 * out as param, except the grad, which the updates copy when it is not. */

/* t walks like p element for element in memory (both dense, same strides
 * on the dims of size > 1). */
static bool same_layout(const ct_tensor *t, const ct_tensor *p) {
    if (ct_is_contiguous(p)) return ct_is_contiguous(t);
    if (!ct__is_dense(t)) return false;
    for (int d = 0; d < p->ndim; d++)
        if (p->sizes[d] > 1 && t->strides[d] != p->strides[d]) return false;
    return true;
}

/* grad laid out as param: grad itself, or a copy (*owned) when they differ
 * (a contiguous gradient of a permuted param, a transposed gradient). */
static const ct_tensor *grad_as_param(const ct_tensor *param, const ct_tensor *grad,
                                      ct_tensor **owned) {
    *owned = NULL;
    if (same_layout(grad, param)) return grad;
    ct_tensor *g = ct__empty_strided_on(param->sizes, param->strides, param->ndim, grad->dtype,
                                        grad->storage->device);
    if (g && ct__copy_into(g, grad) < 0) {
        ct_release(g);
        g = NULL;
    }
    return *owned = g;
}

static bool same_dev(const ct_tensor *a, const ct_tensor *b) {
    ct_device x = ct_tensor_device(a), y = ct_tensor_device(b);
    return x.type == y.type && x.index == y.index;
}

/* ct__optim_check; gpu_ok: param may be on a GPU (the others on its device). */
static int optim_check_dev(const char *op, const ct_tensor *param, const ct_tensor *const *others,
                           const char *const *names, int n, bool gpu_ok) {
    if (!param) {
        ct_set_error(CT_ERR_VALUE, "%s: param is NULL", op);
        return -1;
    }
    if (param->dtype != CT_FLOAT32 && param->dtype != CT_FLOAT64) {
        ct_set_error(ct_dtype_is_floating(param->dtype) ? CT_ERR_NOT_IMPL : CT_ERR_TYPE,
                     "%s: not implemented for param of dtype %s (float32 and float64 only)", op,
                     ct_dtype_name(param->dtype));
        return -1;
    }
    if (ct_tensor_device(param).type != CT_CPU && !(gpu_ok && ct__cuda)) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: only CPU tensors are supported", op);
        return -1;
    }
    /* a dense param in another dim order (a clone of a permuted tensor)
     * works on the CPU: the loops walk memory, every state laid out alike */
    bool dense = ct_is_contiguous(param) || (ct__on_cpu(param) && ct__is_dense(param));
    if (!dense) {
        ct_set_error(CT_ERR_RUNTIME, "%s: param of shape %s must be contiguous", op,
                     ct__shp(param));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const ct_tensor *t = others[i];
        if (!t) continue;
        if (t->dtype != param->dtype) {
            ct_set_error(CT_ERR_TYPE, "%s: %s has dtype %s but param has dtype %s", op, names[i],
                         ct_dtype_name(t->dtype), ct_dtype_name(param->dtype));
            return -1;
        }
        bool same = t->ndim == param->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->sizes[d] == param->sizes[d];
        if (!same) {
            ct_set_error(CT_ERR_RUNTIME, "%s: %s has shape %s but param has shape %s", op,
                         names[i], ct__shp(t), ct__shp(param));
            return -1;
        }
        if (!same_dev(t, param)) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: Expected all tensors to be on the same device (%s and param)", op,
                         names[i]);
            return -1;
        }
        if (i > 0 && !same_layout(t, param)) { /* the grad (others[0]) is copied if need be */
            ct_set_error(CT_ERR_RUNTIME, "%s: %s of shape %s must be %s", op, names[i],
                         ct__shp(t), ct_is_contiguous(param) ? "contiguous" : "laid out as param");
            return -1;
        }
    }
    return 0;
}

int ct__optim_check(const char *op, const ct_tensor *param, const ct_tensor *const *others,
                    const char *const *names, int n) {
    return optim_check_dev(op, param, others, names, n, false);
}

static int need(const char *op, const ct_tensor *t, const char *name, const char *why) {
    if (t) return 0;
    ct_set_error(CT_ERR_VALUE, "%s: %s is required %s", op, name, why);
    return -1;
}

static int check_step(const char *op, double step) {
    if (step >= 1) return 0;
    ct_set_error(CT_ERR_VALUE, "%s: step must be >= 1 (the count after this step), got %g", op,
                 step);
    return -1;
}

static void bump(ct_tensor *const *ts, int n) {
    for (int i = 0; i < n; i++)
        if (ts[i]) ct_bump_version(ts[i]);
}

#define P(t, TY) ((TY *)ct_data_ptr(t))
#define PO(t, TY) ((t) ? (TY *)ct_data_ptr(t) : (TY *)NULL)
#define CP(t, TY) ((const TY *)ct_data_ptr(t))

int ct_sgd_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *momentum_buffer,
                   bool first, const ct_sgd_options *o) {
    const char *op = "sgd_update_";
    const ct_tensor *others[] = {grad, momentum_buffer};
    if (need(op, grad, "grad", "") < 0 ||
        (o->momentum != 0 && need(op, momentum_buffer, "momentum_buffer",
                                  "when momentum != 0") < 0) ||
        optim_check_dev(op, param, others, (const char *[]){"grad", "momentum_buffer"}, 2, true) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    ct_tensor *buf = o->momentum != 0 ? momentum_buffer : NULL;
    if (!ct__on_cpu(param)) {
        int rc = ct__cuda->sgd(param, grad, buf, first, o);
        ct_release(gown);
        if (rc < 0) return -1;
        bump((ct_tensor *[]){param, buf}, 2);
        return 0;
    }
    if (param->dtype == CT_FLOAT32)
        sgd_loop_f32(P(param, float), CP(grad, float), PO(buf, float), n, first, o);
    else
        sgd_loop_f64(P(param, double), CP(grad, double), PO(buf, double), n, first, o);
    bump((ct_tensor *[]){param, buf}, 2);
    ct_release(gown);
    return 0;
}

int ct_adam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                    ct_tensor *exp_avg_sq, ct_tensor *max_exp_avg_sq, double step,
                    const ct_adam_options *o, bool decoupled) {
    const char *op = decoupled ? "adamw_update_" : "adam_update_";
    const ct_tensor *others[] = {grad, exp_avg, exp_avg_sq, max_exp_avg_sq};
    if (need(op, grad, "grad", "") < 0 || need(op, exp_avg, "exp_avg", "") < 0 ||
        need(op, exp_avg_sq, "exp_avg_sq", "") < 0 ||
        (o->amsgrad && need(op, max_exp_avg_sq, "max_exp_avg_sq", "with amsgrad") < 0) ||
        check_step(op, step) < 0 ||
        optim_check_dev(op, param, others,
                        (const char *[]){"grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
                        4, true) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    ct_tensor *mx = o->amsgrad ? max_exp_avg_sq : NULL;
    if (!ct__on_cpu(param)) {
        int rc = ct__cuda->adam(param, grad, exp_avg, exp_avg_sq, mx, step, o, decoupled);
        ct_release(gown);
        if (rc < 0) return -1;
        bump((ct_tensor *[]){param, exp_avg, exp_avg_sq, mx}, 4);
        return 0;
    }
    if (param->dtype == CT_FLOAT32)
        adam_loop_f32(P(param, float), CP(grad, float), P(exp_avg, float),
                      P(exp_avg_sq, float), PO(mx, float), n, step, o, decoupled);
    else
        adam_loop_f64(P(param, double), CP(grad, double), P(exp_avg, double),
                      P(exp_avg_sq, double), PO(mx, double), n, step, o, decoupled);
    bump((ct_tensor *[]){param, exp_avg, exp_avg_sq, mx}, 4);
    ct_release(gown);
    return 0;
}

int ct_adagrad_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *sum, double step,
                       const ct_adagrad_options *o) {
    const char *op = "adagrad_update_";
    const ct_tensor *others[] = {grad, sum};
    if (need(op, grad, "grad", "") < 0 || need(op, sum, "sum", "") < 0 ||
        check_step(op, step) < 0 ||
        ct__optim_check(op, param, others, (const char *[]){"grad", "sum"}, 2) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    if (param->dtype == CT_FLOAT32)
        adagrad_loop_f32(P(param, float), CP(grad, float), P(sum, float), n, step, o);
    else
        adagrad_loop_f64(P(param, double), CP(grad, double), P(sum, double), n, step, o);
    bump((ct_tensor *[]){param, sum}, 2);
    ct_release(gown);
    return 0;
}

int ct_rmsprop_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *square_avg,
                       ct_tensor *grad_avg, ct_tensor *momentum_buffer,
                       const ct_rmsprop_options *o) {
    const char *op = "rmsprop_update_";
    const ct_tensor *others[] = {grad, square_avg, grad_avg, momentum_buffer};
    if (need(op, grad, "grad", "") < 0 || need(op, square_avg, "square_avg", "") < 0 ||
        (o->centered && need(op, grad_avg, "grad_avg", "when centered") < 0) ||
        (o->momentum > 0 && need(op, momentum_buffer, "momentum_buffer", "when momentum > 0") < 0) ||
        ct__optim_check(op, param, others,
                        (const char *[]){"grad", "square_avg", "grad_avg", "momentum_buffer"},
                        4) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    ct_tensor *ga = o->centered ? grad_avg : NULL, *buf = o->momentum > 0 ? momentum_buffer : NULL;
    if (param->dtype == CT_FLOAT32)
        rmsprop_loop_f32(P(param, float), CP(grad, float), P(square_avg, float), PO(ga, float),
                         PO(buf, float), n, o);
    else
        rmsprop_loop_f64(P(param, double), CP(grad, double), P(square_avg, double),
                         PO(ga, double), PO(buf, double), n, o);
    bump((ct_tensor *[]){param, square_avg, ga, buf}, 4);
    ct_release(gown);
    return 0;
}

int ct_adadelta_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *square_avg,
                        ct_tensor *acc_delta, const ct_adadelta_options *o) {
    const char *op = "adadelta_update_";
    const ct_tensor *others[] = {grad, square_avg, acc_delta};
    if (need(op, grad, "grad", "") < 0 || need(op, square_avg, "square_avg", "") < 0 ||
        need(op, acc_delta, "acc_delta", "") < 0 ||
        ct__optim_check(op, param, others, (const char *[]){"grad", "square_avg", "acc_delta"},
                        3) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    if (param->dtype == CT_FLOAT32)
        adadelta_loop_f32(P(param, float), CP(grad, float), P(square_avg, float),
                          P(acc_delta, float), n, o);
    else
        adadelta_loop_f64(P(param, double), CP(grad, double), P(square_avg, double),
                          P(acc_delta, double), n, o);
    bump((ct_tensor *[]){param, square_avg, acc_delta}, 3);
    ct_release(gown);
    return 0;
}

int ct_adamax_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                      ct_tensor *exp_inf, double step, const ct_adamax_options *o) {
    const char *op = "adamax_update_";
    const ct_tensor *others[] = {grad, exp_avg, exp_inf};
    if (need(op, grad, "grad", "") < 0 || need(op, exp_avg, "exp_avg", "") < 0 ||
        need(op, exp_inf, "exp_inf", "") < 0 || check_step(op, step) < 0 ||
        ct__optim_check(op, param, others, (const char *[]){"grad", "exp_avg", "exp_inf"}, 3) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    if (param->dtype == CT_FLOAT32)
        adamax_loop_f32(P(param, float), CP(grad, float), P(exp_avg, float), P(exp_inf, float),
                        n, step, o);
    else
        adamax_loop_f64(P(param, double), CP(grad, double), P(exp_avg, double),
                        P(exp_inf, double), n, step, o);
    bump((ct_tensor *[]){param, exp_avg, exp_inf}, 3);
    ct_release(gown);
    return 0;
}

int ct_nadam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                     ct_tensor *exp_avg_sq, ct_tensor *mu_product, double step,
                     const ct_nadam_options *o) {
    const char *op = "nadam_update_";
    const ct_tensor *others[] = {grad, exp_avg, exp_avg_sq};
    if (need(op, grad, "grad", "") < 0 || need(op, exp_avg, "exp_avg", "") < 0 ||
        need(op, exp_avg_sq, "exp_avg_sq", "") < 0 ||
        need(op, mu_product, "mu_product", "") < 0 || check_step(op, step) < 0 ||
        ct__optim_check(op, param, others, (const char *[]){"grad", "exp_avg", "exp_avg_sq"},
                        3) < 0)
        return -1;
    if (mu_product->numel != 1 ||
        (mu_product->dtype != CT_FLOAT32 && mu_product->dtype != CT_FLOAT64)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: mu_product must be a one-element float32/float64 tensor, got shape %s "
                     "and dtype %s",
                     op, ct__shp(mu_product), ct_dtype_name(mu_product->dtype));
        return -1;
    }
    /* mu_product *= mu; mu_product_next = mu_product * mu * mu_next, in
     * mu_product's own dtype (a float32 0-d tensor in PyTorch). */
    double mu = o->beta1 * (1. - 0.5 * pow(0.96, step * o->momentum_decay));
    double mu_next = o->beta1 * (1. - 0.5 * pow(0.96, (step + 1) * o->momentum_decay));
    double mp, mp_next;
    void *mpp = ct_data_ptr(mu_product);
    if (mu_product->dtype == CT_FLOAT32) {
        float m = *(float *)mpp * (float)mu;
        *(float *)mpp = m;
        mp = m;
        mp_next = (float)(m * (float)mu) * (float)mu_next;
    } else {
        double m = *(double *)mpp * mu;
        *(double *)mpp = m;
        mp = m;
        mp_next = m * mu * mu_next;
    }
    ct_bump_version(mu_product);
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    double c_grad = -o->lr * (1. - mu) / (1. - mp);
    double c_avg = -o->lr * mu_next / (1. - mp_next);
    int64_t n = param->numel;
    if (param->dtype == CT_FLOAT32)
        nadam_loop_f32(P(param, float), CP(grad, float), P(exp_avg, float), P(exp_avg_sq, float),
                       n, step, c_grad, c_avg, o);
    else
        nadam_loop_f64(P(param, double), CP(grad, double), P(exp_avg, double),
                       P(exp_avg_sq, double), n, step, c_grad, c_avg, o);
    bump((ct_tensor *[]){param, exp_avg, exp_avg_sq}, 3);
    ct_release(gown);
    return 0;
}

int ct_radam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                     ct_tensor *exp_avg_sq, double step, const ct_radam_options *o) {
    const char *op = "radam_update_";
    const ct_tensor *others[] = {grad, exp_avg, exp_avg_sq};
    if (need(op, grad, "grad", "") < 0 || need(op, exp_avg, "exp_avg", "") < 0 ||
        need(op, exp_avg_sq, "exp_avg_sq", "") < 0 || check_step(op, step) < 0 ||
        ct__optim_check(op, param, others, (const char *[]){"grad", "exp_avg", "exp_avg_sq"},
                        3) < 0)
        return -1;
    ct_tensor *gown = NULL;
    if (!(grad = grad_as_param(param, grad, &gown))) return -1;
    int64_t n = param->numel;
    if (param->dtype == CT_FLOAT32)
        radam_loop_f32(P(param, float), CP(grad, float), P(exp_avg, float), P(exp_avg_sq, float),
                       n, step, o);
    else
        radam_loop_f64(P(param, double), CP(grad, double), P(exp_avg, double),
                       P(exp_avg_sq, double), n, step, o);
    bump((ct_tensor *[]){param, exp_avg, exp_avg_sq}, 3);
    ct_release(gown);
    return 0;
}
