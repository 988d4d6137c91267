/* Optimizer objects: parameters, one options struct, lazily created
 * per-parameter state, and a step that runs the fused update of each
 * parameter that has a gradient. */
#include "internal.h"
#include "optim/optim_internal.h"

#include <math.h>

/* ---------------------------------------------------------------- defaults */
ct_sgd_options ct_sgd_defaults(void) { return (ct_sgd_options){.lr = 1e-3}; }
ct_adam_options ct_adam_defaults(void) {
    return (ct_adam_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}
ct_adam_options ct_adamw_defaults(void) {
    return (ct_adam_options){
        .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-2};
}
ct_adagrad_options ct_adagrad_defaults(void) {
    return (ct_adagrad_options){.lr = 1e-2, .eps = 1e-10};
}
ct_rmsprop_options ct_rmsprop_defaults(void) {
    return (ct_rmsprop_options){.lr = 1e-2, .alpha = 0.99, .eps = 1e-8};
}
ct_adadelta_options ct_adadelta_defaults(void) {
    return (ct_adadelta_options){.lr = 1.0, .rho = 0.9, .eps = 1e-6};
}
ct_adamax_options ct_adamax_defaults(void) {
    return (ct_adamax_options){.lr = 2e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}
ct_nadam_options ct_nadam_defaults(void) {
    return (ct_nadam_options){
        .lr = 2e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .momentum_decay = 4e-3};
}
ct_radam_options ct_radam_defaults(void) {
    return (ct_radam_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}
ct_lbfgs_options ct_lbfgs_defaults(void) {
    return (ct_lbfgs_options){.lr = 1,
                              .max_iter = 20,
                              .max_eval = 0,
                              .tolerance_grad = 1e-7,
                              .tolerance_change = 1e-9,
                              .history_size = 100,
                              .line_search_fn = NULL};
}

/* ---------------------------------------------------------------- names */
static const char *const kind_names[] = {"SGD",      "Adam",   "AdamW", "Adagrad", "RMSprop",
                                         "Adadelta", "Adamax", "NAdam", "RAdam",   "LBFGS"};
/* The state keys of buf[0..3) per kind, as PyTorch's state dict names them. */
static const char *const state_keys[][3] = {
    [CT__OPT_SGD] = {"momentum_buffer", NULL, NULL},
    [CT__OPT_ADAM] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    [CT__OPT_ADAMW] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    [CT__OPT_ADAGRAD] = {"sum", NULL, NULL},
    [CT__OPT_RMSPROP] = {"square_avg", "momentum_buffer", "grad_avg"},
    [CT__OPT_ADADELTA] = {"square_avg", "acc_delta", NULL},
    [CT__OPT_ADAMAX] = {"exp_avg", "exp_inf", NULL},
    [CT__OPT_NADAM] = {"exp_avg", "exp_avg_sq", NULL},
    [CT__OPT_RADAM] = {"exp_avg", "exp_avg_sq", NULL},
    [CT__OPT_LBFGS] = {NULL, NULL, NULL},
};

/* ---------------------------------------------------------------- construction */
ct_optimizer *ct__optim_new(ct__optim_kind kind, ct_tensor *const *params, int n) {
    const char *name = kind_names[kind];
    if (n < 0 || (n > 0 && !params)) {
        ct_set_error(CT_ERR_VALUE, "%s: invalid parameter list (n = %d)", name, n);
        return NULL;
    }
    if (n == 0) {
        ct_set_error(CT_ERR_VALUE, "optimizer got an empty parameter list");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const ct_tensor *p = params[i];
        if (!p) {
            ct_set_error(CT_ERR_VALUE, "%s: parameter %d is NULL", name, i);
            return NULL;
        }
        if (!ct_is_leaf(p)) {
            ct_set_error(CT_ERR_VALUE, "can't optimize a non-leaf Tensor (parameter %d)", i);
            return NULL;
        }
        if (p->dtype != CT_FLOAT32 && p->dtype != CT_FLOAT64) {
            ct_set_error(CT_ERR_TYPE, "%s: parameter %d has dtype %s (float32 and float64 only)",
                         name, i, ct_dtype_name(p->dtype));
            return NULL;
        }
        /* the fused updates also take a dense param in another dim order
         * (a clone of a permuted tensor); LBFGS flattens params row-major */
        bool dense = ct__on_cpu(p) && kind != CT__OPT_LBFGS && ct__is_dense(p);
        if (!ct_is_contiguous(p) && !dense) {
            ct_set_error(CT_ERR_RUNTIME, "%s: parameter %d of shape %s must be contiguous", name,
                         i, ct__shp(p));
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (params[j] == p) {
                ct_set_error(CT_ERR_VALUE,
                             "some parameters appear in more than one parameter group");
                return NULL;
            }
    }
    ct_optimizer *opt = calloc(1, sizeof *opt);
    ct_tensor **ps = calloc((size_t)n, sizeof *ps);
    ct__param_state *st = calloc((size_t)n, sizeof *st);
    if (!opt || !ps || !st) {
        free(opt);
        free(ps);
        free(st);
        ct_set_error(CT_ERR_MEMORY, "%s: out of memory", name);
        return NULL;
    }
    for (int i = 0; i < n; i++) ps[i] = ct_retain(params[i]);
    opt->kind = kind;
    opt->n = n;
    opt->params = ps;
    opt->state = st;
    return opt;
}

static int bad(const char *what, double v) {
    ct_set_error(CT_ERR_VALUE, "Invalid %s: %g", what, v);
    return -1;
}
static int check_lr(double lr) { return lr < 0 ? bad("learning rate", lr) : 0; }
static int check_eps(double eps) { return eps < 0 ? bad("epsilon value", eps) : 0; }
static int check_wd(double wd) { return wd < 0 ? bad("weight_decay value", wd) : 0; }
static int check_betas(double b1, double b2) {
    if (!(b1 >= 0 && b1 < 1)) {
        ct_set_error(CT_ERR_VALUE, "Invalid beta parameter at index 0: %g", b1);
        return -1;
    }
    if (!(b2 >= 0 && b2 < 1)) {
        ct_set_error(CT_ERR_VALUE, "Invalid beta parameter at index 1: %g", b2);
        return -1;
    }
    return 0;
}
static int no_options(const char *name) {
    ct_set_error(CT_ERR_VALUE, "%s: options are NULL", name);
    return -1;
}

ct_optimizer *ct_optim_sgd(ct_tensor *const *params, int n, const ct_sgd_options *o) {
    if (!o) return no_options("SGD"), NULL;
    if (check_lr(o->lr) < 0 || (o->momentum < 0 && bad("momentum value", o->momentum) < 0) ||
        check_wd(o->weight_decay) < 0)
        return NULL;
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0)) {
        ct_set_error(CT_ERR_VALUE, "Nesterov momentum requires a momentum and zero dampening");
        return NULL;
    }
    ct_optimizer *opt = ct__optim_new(CT__OPT_SGD, params, n);
    if (opt) opt->o.sgd = *o;
    return opt;
}

static ct_optimizer *adam_like(ct__optim_kind kind, ct_tensor *const *params, int n,
                               const ct_adam_options *o) {
    if (!o) return no_options(kind_names[kind]), NULL;
    if (check_lr(o->lr) < 0 || check_eps(o->eps) < 0 || check_betas(o->beta1, o->beta2) < 0 ||
        check_wd(o->weight_decay) < 0)
        return NULL;
    ct_optimizer *opt = ct__optim_new(kind, params, n);
    if (opt) opt->o.adam = *o;
    return opt;
}
ct_optimizer *ct_optim_adam(ct_tensor *const *params, int n, const ct_adam_options *o) {
    return adam_like(CT__OPT_ADAM, params, n, o);
}
ct_optimizer *ct_optim_adamw(ct_tensor *const *params, int n, const ct_adam_options *o) {
    return adam_like(CT__OPT_ADAMW, params, n, o);
}

ct_optimizer *ct_optim_adagrad(ct_tensor *const *params, int n, const ct_adagrad_options *o) {
    if (!o) return no_options("Adagrad"), NULL;
    if (check_lr(o->lr) < 0 || (o->lr_decay < 0 && bad("lr_decay value", o->lr_decay) < 0) ||
        check_wd(o->weight_decay) < 0 ||
        (o->initial_accumulator_value < 0 &&
         bad("initial_accumulator_value value", o->initial_accumulator_value) < 0) ||
        check_eps(o->eps) < 0)
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_ADAGRAD, params, n);
    if (opt) opt->o.adagrad = *o;
    return opt;
}

ct_optimizer *ct_optim_rmsprop(ct_tensor *const *params, int n, const ct_rmsprop_options *o) {
    if (!o) return no_options("RMSprop"), NULL;
    if (check_lr(o->lr) < 0 || check_eps(o->eps) < 0 ||
        (o->momentum < 0 && bad("momentum value", o->momentum) < 0) ||
        check_wd(o->weight_decay) < 0 || (o->alpha < 0 && bad("alpha value", o->alpha) < 0))
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_RMSPROP, params, n);
    if (opt) opt->o.rmsprop = *o;
    return opt;
}

ct_optimizer *ct_optim_adadelta(ct_tensor *const *params, int n, const ct_adadelta_options *o) {
    if (!o) return no_options("Adadelta"), NULL;
    if (check_lr(o->lr) < 0 || (!(o->rho >= 0 && o->rho <= 1) && bad("rho value", o->rho) < 0) ||
        check_eps(o->eps) < 0 || check_wd(o->weight_decay) < 0)
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_ADADELTA, params, n);
    if (opt) opt->o.adadelta = *o;
    return opt;
}

ct_optimizer *ct_optim_adamax(ct_tensor *const *params, int n, const ct_adamax_options *o) {
    if (!o) return no_options("Adamax"), NULL;
    if (check_lr(o->lr) < 0 || check_eps(o->eps) < 0 || check_betas(o->beta1, o->beta2) < 0 ||
        check_wd(o->weight_decay) < 0)
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_ADAMAX, params, n);
    if (opt) opt->o.adamax = *o;
    return opt;
}

ct_optimizer *ct_optim_nadam(ct_tensor *const *params, int n, const ct_nadam_options *o) {
    if (!o) return no_options("NAdam"), NULL;
    if (check_lr(o->lr) < 0 || check_eps(o->eps) < 0 || check_betas(o->beta1, o->beta2) < 0 ||
        check_wd(o->weight_decay) < 0 ||
        (o->momentum_decay < 0 && bad("momentum_decay value", o->momentum_decay) < 0))
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_NADAM, params, n);
    if (opt) opt->o.nadam = *o;
    return opt;
}

ct_optimizer *ct_optim_radam(ct_tensor *const *params, int n, const ct_radam_options *o) {
    if (!o) return no_options("RAdam"), NULL;
    if (check_lr(o->lr) < 0 || check_eps(o->eps) < 0 || check_betas(o->beta1, o->beta2) < 0 ||
        check_wd(o->weight_decay) < 0)
        return NULL;
    ct_optimizer *opt = ct__optim_new(CT__OPT_RADAM, params, n);
    if (opt) opt->o.radam = *o;
    return opt;
}

/* ---------------------------------------------------------------- state */
/* A tensor laid out as p (dense) filled with v (owned, no scope). */
static ct_tensor *state_new(const ct_tensor *p, double v) {
    if (!ct__on_cpu(p)) { /* the state lives on the parameter's GPU */
        ct_tensor *g = ct__empty_on(p->sizes, p->ndim, p->dtype, p->storage->device);
        if (g && g->numel && ct__cuda->fill(g, v) < 0) {
            ct_release(g);
            return NULL;
        }
        return g;
    }
    ct_tensor *t = ct__empty_strided_on(p->sizes, p->strides, p->ndim, p->dtype, CT_DEVICE_CPU);
    if (!t) return NULL;
    if (v == 0) {
        memset(ct_data_ptr(t), 0, (size_t)t->numel * ct_dtype_size(t->dtype));
    } else if (t->dtype == CT_FLOAT32) {
        float *d = ct_data_ptr(t);
        for (int64_t i = 0; i < t->numel; i++) d[i] = (float)v;
    } else {
        double *d = ct_data_ptr(t);
        for (int64_t i = 0; i < t->numel; i++) d[i] = v;
    }
    return t;
}

/* Allocates the buffers the kind and its options use, on the first step. */
static int init_state(ct_optimizer *opt, ct__param_state *s, const ct_tensor *p) {
    bool want[3] = {false, false, false};
    double fill = 0;
    switch (opt->kind) {
    case CT__OPT_SGD: want[0] = opt->o.sgd.momentum != 0; break;
    case CT__OPT_ADAM:
    case CT__OPT_ADAMW: want[0] = want[1] = true, want[2] = opt->o.adam.amsgrad; break;
    case CT__OPT_ADAGRAD: want[0] = true, fill = opt->o.adagrad.initial_accumulator_value; break;
    case CT__OPT_RMSPROP:
        want[0] = true, want[1] = opt->o.rmsprop.momentum > 0, want[2] = opt->o.rmsprop.centered;
        break;
    case CT__OPT_ADADELTA:
    case CT__OPT_ADAMAX:
    case CT__OPT_NADAM:
    case CT__OPT_RADAM: want[0] = want[1] = true; break;
    case CT__OPT_LBFGS: break;
    }
    for (int k = 0; k < 3; k++) {
        if (!want[k] || s->buf[k]) continue;
        /* SGD's momentum buffer starts as a copy of the gradient: the
         * update's first flag fills it, so it needs no initial value. */
        s->buf[k] = state_new(p, k == 0 ? fill : 0);
        if (!s->buf[k]) return -1;
    }
    if (opt->kind == CT__OPT_NADAM && !s->mu_product) {
        s->mu_product = ct__empty(NULL, 0, CT_FLOAT32);
        if (!s->mu_product) return -1;
        *(float *)ct_data_ptr(s->mu_product) = 1.0f;
    }
    return 0;
}

static int step_param(ct_optimizer *opt, int i, const ct_tensor *g) {
    ct_tensor *p = opt->params[i];
    ct__param_state *s = &opt->state[i];
    /* SGD's buffer starts as the gradient when there is none yet (also
     * after a restored step count without a buffer) */
    bool first = opt->kind == CT__OPT_SGD ? s->buf[0] == NULL : s->step == 0;
    if (init_state(opt, s, p) < 0) return -1;
    double step = s->step + 1;
    int rc = -1;
    switch (opt->kind) {
    case CT__OPT_SGD: rc = ct_sgd_update_(p, g, s->buf[0], first, &opt->o.sgd); break;
    case CT__OPT_ADAM:
    case CT__OPT_ADAMW:
        rc = ct_adam_update_(p, g, s->buf[0], s->buf[1], s->buf[2], step, &opt->o.adam,
                             opt->kind == CT__OPT_ADAMW);
        break;
    case CT__OPT_ADAGRAD: rc = ct_adagrad_update_(p, g, s->buf[0], step, &opt->o.adagrad); break;
    case CT__OPT_RMSPROP:
        rc = ct_rmsprop_update_(p, g, s->buf[0], s->buf[2], s->buf[1], &opt->o.rmsprop);
        break;
    case CT__OPT_ADADELTA:
        rc = ct_adadelta_update_(p, g, s->buf[0], s->buf[1], &opt->o.adadelta);
        break;
    case CT__OPT_ADAMAX:
        rc = ct_adamax_update_(p, g, s->buf[0], s->buf[1], step, &opt->o.adamax);
        break;
    case CT__OPT_NADAM:
        rc = ct_nadam_update_(p, g, s->buf[0], s->buf[1], s->mu_product, step, &opt->o.nadam);
        break;
    case CT__OPT_RADAM:
        rc = ct_radam_update_(p, g, s->buf[0], s->buf[1], step, &opt->o.radam);
        break;
    case CT__OPT_LBFGS: break;
    }
    if (rc == 0) s->step = step;
    return rc;
}

/* ---------------------------------------------------------------- step */
int ct_optim_step(ct_optimizer *opt) {
    if (!opt) {
        ct_set_error(CT_ERR_VALUE, "optimizer step: optimizer is NULL");
        return -1;
    }
    if (opt->kind == CT__OPT_LBFGS) {
        ct_set_error(CT_ERR_VALUE, "LBFGS: step needs a closure (ct_optim_step_closure)");
        return -1;
    }
    for (int i = 0; i < opt->n; i++) {
        const ct_tensor *g = ct_tensor_grad(opt->params[i]);
        if (!g) continue;
        if (ct_is_contiguous(g) || !ct_is_contiguous(opt->params[i])) { /* updates relayout g */
            if (step_param(opt, i, g) < 0) return -1;
        } else {
            ct_tensor *gc = ct__contiguous(g);
            int rc = gc ? step_param(opt, i, gc) : -1;
            ct_release(gc);
            if (rc < 0) return -1;
        }
    }
    return 0;
}

int ct_optim_step_closure(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double *loss) {
    if (!opt || !closure) {
        ct_set_error(CT_ERR_VALUE, "optimizer step: optimizer or closure is NULL");
        return -1;
    }
    if (opt->kind == CT__OPT_LBFGS) return ct__lbfgs_step(opt, closure, ctx, loss);
    ct_grad_mode gm = ct_enable_grad_begin();
    ct_clear_error();
    double l = closure(ctx);
    ct_grad_mode_end(gm);
    if (isnan(l) && ct_last_error_kind() != CT_OK) return -1;
    if (loss) *loss = l;
    return ct_optim_step(opt);
}

void ct_optim_zero_grad(ct_optimizer *opt, bool set_to_none) {
    if (!opt) return;
    ct_grad_mode gm = ct_no_grad_begin();
    for (int i = 0; i < opt->n; i++) {
        ct_tensor *p = opt->params[i];
        ct_tensor *g = ct_tensor_grad(p);
        if (!g) continue;
        if (set_to_none) {
            ct_set_grad(p, NULL);
            continue;
        }
        if (ct_grad_fn(g))
            ct_detach_(g);
        else if (g->requires_grad)
            ct_set_requires_grad(g, false);
        ct_zero_(g);
    }
    ct_grad_mode_end(gm);
}

/* ---------------------------------------------------------------- accessors */
static double *lr_slot(ct_optimizer *opt) {
    switch (opt->kind) {
    case CT__OPT_SGD: return &opt->o.sgd.lr;
    case CT__OPT_ADAM:
    case CT__OPT_ADAMW: return &opt->o.adam.lr;
    case CT__OPT_ADAGRAD: return &opt->o.adagrad.lr;
    case CT__OPT_RMSPROP: return &opt->o.rmsprop.lr;
    case CT__OPT_ADADELTA: return &opt->o.adadelta.lr;
    case CT__OPT_ADAMAX: return &opt->o.adamax.lr;
    case CT__OPT_NADAM: return &opt->o.nadam.lr;
    case CT__OPT_RADAM: return &opt->o.radam.lr;
    case CT__OPT_LBFGS: return &opt->o.lbfgs.lr;
    }
    return NULL;
}

double ct_optim_get_lr(const ct_optimizer *opt) {
    return opt ? *lr_slot((ct_optimizer *)opt) : NAN;
}
void ct_optim_set_lr(ct_optimizer *opt, double lr) {
    if (opt) *lr_slot(opt) = lr;
}
int ct_optim_num_params(const ct_optimizer *opt) { return opt ? opt->n : 0; }
const char *ct_optim_name(const ct_optimizer *opt) { return opt ? kind_names[opt->kind] : ""; }

ct_tensor *ct_optim_state(const ct_optimizer *opt, int i, const char *key) {
    if (!opt || !key || i < 0 || i >= opt->n) return NULL;
    const ct__param_state *s = &opt->state[i];
    if (!strcmp(key, "mu_product")) return s->mu_product;
    for (int k = 0; k < 3; k++)
        if (state_keys[opt->kind][k] && !strcmp(state_keys[opt->kind][k], key)) return s->buf[k];
    return NULL;
}

double ct_optim_state_step(const ct_optimizer *opt, int i) {
    if (!opt || i < 0 || i >= opt->n) return 0;
    return opt->state[i].step;
}

int ct_optim_set_state(ct_optimizer *opt, int i, const char *key, const ct_tensor *value) {
    if (!opt || !key || !value || i < 0 || i >= opt->n) {
        ct_set_error(CT_ERR_VALUE, "ct_optim_set_state: bad optimizer, index %d, key or value", i);
        return -1;
    }
    const char *name = kind_names[opt->kind];
    ct__param_state *s = &opt->state[i];
    const ct_tensor *p = opt->params[i];
    ct_tensor **slot = NULL;
    bool scalar = false;
    if (opt->kind == CT__OPT_NADAM && !strcmp(key, "mu_product")) {
        slot = &s->mu_product;
        scalar = true;
    }
    for (int k = 0; k < 3 && !slot; k++)
        if (state_keys[opt->kind][k] && !strcmp(state_keys[opt->kind][k], key)) slot = &s->buf[k];
    if (!slot) {
        ct_set_error(CT_ERR_VALUE, "%s has no state '%s'", name, key);
        return -1;
    }
    if (scalar ? value->numel != 1
               : (value->ndim != p->ndim ||
                  memcmp(value->sizes, p->sizes, sizeof(int64_t) * (size_t)p->ndim))) {
        ct_set_error(CT_ERR_RUNTIME, "%s: state '%s' of shape %s does not fit parameter %d of shape %s",
                     name, key, ct__shp(value), i, ct__shp(p));
        return -1;
    }
    if (!*slot) {
        *slot = scalar ? ct__empty(NULL, 0, CT_FLOAT32) : state_new(p, 0);
        if (!*slot) return -1;
    }
    if (scalar) {
        *(float *)ct_data_ptr(*slot) = (float)ct_item_at(value, 0);
        ct_bump_version(*slot);
        return 0;
    }
    if (ct__copy_into(*slot, value) < 0) return -1;
    ct_bump_version(*slot);
    return 0;
}

int ct_optim_set_state_step(ct_optimizer *opt, int i, double step) {
    if (!opt || i < 0 || i >= opt->n || !(step >= 0)) {
        ct_set_error(CT_ERR_VALUE, "ct_optim_set_state_step: bad optimizer, index %d or step %g", i,
                     step);
        return -1;
    }
    opt->state[i].step = step;
    return 0;
}

void ct_optim_free(ct_optimizer *opt) {
    if (!opt) return;
    for (int i = 0; i < opt->n; i++) {
        ct_release(opt->params[i]);
        for (int k = 0; k < 3; k++) ct_release(opt->state[i].buf[k]);
        ct_release(opt->state[i].mu_product);
    }
    if (opt->lb) ct__lbfgs_free(opt->lb);
    free(opt->params);
    free(opt->state);
    free(opt);
}
