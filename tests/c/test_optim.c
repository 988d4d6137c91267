/* Optimizers: each algorithm and option combination runs several steps on
 * one parameter with a deterministic gradient, and is compared with a
 * double-precision reference of PyTorch 1.13's update rule written here
 * (torch/optim/<algo>.py, _single_tensor_<algo>). Also: lazy state,
 * zero_grad, lr access, skipped parameters, version bumps, threading above
 * the grain, error paths, and LBFGS on a quadratic with a known minimum. */
#include "harness.h"

#include <stdlib.h>

enum { SGD, ADAM, ADAMW, ADAGRAD, RMSPROP, ADADELTA, ADAMAX, NADAM, RADAM };

typedef union opts {
    ct_sgd_options sgd;
    ct_adam_options adam;
    ct_adagrad_options adagrad;
    ct_rmsprop_options rmsprop;
    ct_adadelta_options adadelta;
    ct_adamax_options adamax;
    ct_nadam_options nadam;
    ct_radam_options radam;
} opts;

/* The gradient of step k at p: a quadratic pull towards sin(i) plus a
 * step-dependent sign pattern, so that moments see varying gradients. */
static void grad_at(const double *p, double *g, int64_t n, int k) {
    for (int64_t i = 0; i < n; i++)
        g[i] = 2 * (p[i] - sin((double)i)) + 0.05 * (k + 1) * ((i % 2) ? -1 : 1);
}

/* ---------------------------------------------------------------- references */
/* s: three state arrays (zero at start, Adagrad's sum at its initial value);
 * mu: NAdam's mu_product (1 at start); step: count after increment. */
static void ref_step(int kind, const opts *o, double *p, const double *g0, double **s, double *mu,
                     int step, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double g = g0[i];
        switch (kind) {
        case SGD: {
            const ct_sgd_options *q = &o->sgd;
            if (q->maximize) g = -g;
            g += q->weight_decay * p[i];
            if (q->momentum != 0) {
                s[0][i] = step == 1 ? g : q->momentum * s[0][i] + (1 - q->dampening) * g;
                g = q->nesterov ? g + q->momentum * s[0][i] : s[0][i];
            }
            p[i] -= q->lr * g;
            break;
        }
        case ADAM:
        case ADAMW: {
            const ct_adam_options *q = &o->adam;
            if (q->maximize) g = -g;
            if (kind == ADAMW)
                p[i] *= 1 - q->lr * q->weight_decay;
            else
                g += q->weight_decay * p[i];
            s[0][i] = q->beta1 * s[0][i] + (1 - q->beta1) * g;
            s[1][i] = q->beta2 * s[1][i] + (1 - q->beta2) * g * g;
            double v = s[1][i];
            if (q->amsgrad) v = s[2][i] = fmax(s[2][i], v);
            double bc1 = 1 - pow(q->beta1, step), bc2 = 1 - pow(q->beta2, step);
            p[i] -= q->lr / bc1 * s[0][i] / (sqrt(v) / sqrt(bc2) + q->eps);
            break;
        }
        case ADAGRAD: {
            const ct_adagrad_options *q = &o->adagrad;
            if (q->maximize) g = -g;
            g += q->weight_decay * p[i];
            double clr = q->lr / (1 + (step - 1) * q->lr_decay);
            s[0][i] += g * g;
            p[i] -= clr * g / (sqrt(s[0][i]) + q->eps);
            break;
        }
        case RMSPROP: {
            const ct_rmsprop_options *q = &o->rmsprop;
            if (q->maximize) g = -g;
            g += q->weight_decay * p[i];
            s[0][i] = q->alpha * s[0][i] + (1 - q->alpha) * g * g;
            double avg;
            if (q->centered) {
                s[2][i] = q->alpha * s[2][i] + (1 - q->alpha) * g;
                avg = sqrt(s[0][i] - s[2][i] * s[2][i]) + q->eps;
            } else {
                avg = sqrt(s[0][i]) + q->eps;
            }
            if (q->momentum > 0) {
                s[1][i] = q->momentum * s[1][i] + g / avg;
                p[i] -= q->lr * s[1][i];
            } else {
                p[i] -= q->lr * g / avg;
            }
            break;
        }
        case ADADELTA: {
            const ct_adadelta_options *q = &o->adadelta;
            if (q->maximize) g = -g;
            g += q->weight_decay * p[i];
            s[0][i] = q->rho * s[0][i] + (1 - q->rho) * g * g;
            double delta = sqrt(s[1][i] + q->eps) / sqrt(s[0][i] + q->eps) * g;
            s[1][i] = q->rho * s[1][i] + (1 - q->rho) * delta * delta;
            p[i] -= q->lr * delta;
            break;
        }
        case ADAMAX: {
            const ct_adamax_options *q = &o->adamax;
            if (q->maximize) g = -g;
            g += q->weight_decay * p[i];
            s[0][i] = q->beta1 * s[0][i] + (1 - q->beta1) * g;
            s[1][i] = fmax(q->beta2 * s[1][i], fabs(g) + q->eps);
            p[i] -= q->lr / (1 - pow(q->beta1, step)) * s[0][i] / s[1][i];
            break;
        }
        case NADAM: {
            const ct_nadam_options *q = &o->nadam;
            g += q->weight_decay * p[i];
            double m = q->beta1 * (1 - 0.5 * pow(0.96, step * q->momentum_decay));
            double mn = q->beta1 * (1 - 0.5 * pow(0.96, (step + 1) * q->momentum_decay));
            double prod = *mu * m; /* mu_product after this step */
            s[0][i] = q->beta1 * s[0][i] + (1 - q->beta1) * g;
            s[1][i] = q->beta2 * s[1][i] + (1 - q->beta2) * g * g;
            double denom = sqrt(s[1][i] / (1 - pow(q->beta2, step))) + q->eps;
            p[i] -= q->lr * (1 - m) / (1 - prod) * g / denom;
            /* 1.13 multiplies mu in twice: mu_product_next = mu_product * mu * mu_next */
            p[i] -= q->lr * mn / (1 - prod * m * mn) * s[0][i] / denom;
            if (i == n - 1) *mu = prod;
            break;
        }
        case RADAM: {
            const ct_radam_options *q = &o->radam;
            g += q->weight_decay * p[i];
            s[0][i] = q->beta1 * s[0][i] + (1 - q->beta1) * g;
            s[1][i] = q->beta2 * s[1][i] + (1 - q->beta2) * g * g;
            double bc1 = 1 - pow(q->beta1, step), bc2 = 1 - pow(q->beta2, step);
            double rho_inf = 2 / (1 - q->beta2) - 1;
            double rho_t = rho_inf - 2 * step * pow(q->beta2, step) / bc2;
            double u = s[0][i] / bc1 * q->lr;
            if (rho_t > 5) {
                double r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                ((rho_inf - 4) * (rho_inf - 2) * rho_t));
                u *= sqrt(bc2) / (sqrt(s[1][i]) + q->eps) * r;
            }
            p[i] -= u;
            break;
        }
        }
    }
}

static ct_optimizer *make_opt(int kind, ct_tensor *p, const opts *o) {
    ct_tensor *ps[1] = {p};
    switch (kind) {
    case SGD: return ct_optim_sgd(ps, 1, &o->sgd);
    case ADAM: return ct_optim_adam(ps, 1, &o->adam);
    case ADAMW: return ct_optim_adamw(ps, 1, &o->adam);
    case ADAGRAD: return ct_optim_adagrad(ps, 1, &o->adagrad);
    case RMSPROP: return ct_optim_rmsprop(ps, 1, &o->rmsprop);
    case ADADELTA: return ct_optim_adadelta(ps, 1, &o->adadelta);
    case ADAMAX: return ct_optim_adamax(ps, 1, &o->adamax);
    case NADAM: return ct_optim_nadam(ps, 1, &o->nadam);
    case RADAM: return ct_optim_radam(ps, 1, &o->radam);
    }
    return NULL;
}

/* Runs `steps` steps of the optimizer and of the reference from the same
 * start; 0 when every element agrees within tol (relative + absolute). */
static int run_case(const char *file, int line, int kind, const opts *o, ct_dtype dt,
                    int64_t n, int steps, double tol) {
    int rc = -1;
    ct_tensor *p = ct_keep(tt_rand(SHAPE(n), 1, dt, -1, 1, 7));
    ct_set_requires_grad(p, true);
    ct_optimizer *opt = make_opt(kind, p, o);
    double *ref = tt_values(p), *g = malloc(sizeof(double) * (size_t)n);
    double *s[3], mu = 1;
    double init = kind == ADAGRAD ? o->adagrad.initial_accumulator_value : 0;
    for (int k = 0; k < 3; k++) {
        s[k] = malloc(sizeof(double) * (size_t)n);
        for (int64_t i = 0; i < n; i++) s[k][i] = k == 0 ? init : 0;
    }
    if (!opt) {
        ct_test_fail(file, line, "optimizer creation failed: %s", ct_last_error());
        goto done;
    }
    for (int k = 0; k < steps; k++) {
        ct_scope sc = ct_scope_begin();
        double *cur = tt_values(p);
        grad_at(cur, g, n, k);
        free(cur);
        ct_set_grad(p, tt_tensor(g, SHAPE(n), 1, dt));
        /* the reference sees the gradient as stored in dt */
        ct_tensor *gt = ct_tensor_grad(p);
        for (int64_t i = 0; i < n; i++) g[i] = ct_item_at(gt, i);
        int r = ct_optim_step(opt);
        ct_scope_end(sc);
        if (r < 0) {
            ct_test_fail(file, line, "step %d failed: %s", k, ct_last_error());
            goto done;
        }
        ref_step(kind, o, ref, g, s, &mu, k + 1, n);
    }
    if (ct_optim_state_step(opt, 0) != steps && kind != SGD) {
        ct_test_fail(file, line, "state step %g, expected %d", ct_optim_state_step(opt, 0), steps);
        goto done;
    }
    rc = tt_expect(file, line, p, SHAPE(n), 1, ref, tol);
done:
    for (int k = 0; k < 3; k++) free(s[k]);
    free(ref);
    free(g);
    ct_optim_free(opt);
    ct_release(p);
    return rc;
}

/* Both dtypes: float64 tight, float32 at float precision. */
#define CHECK_CASE(kind, o, n, steps)                                                      \
    do {                                                                                   \
        if (run_case(__FILE__, __LINE__, kind, o, CT_FLOAT64, n, steps, 1e-12) < 0) return; \
        if (run_case(__FILE__, __LINE__, kind, o, CT_FLOAT32, n, steps, 2e-5) < 0) return;  \
    } while (0)

/* ---------------------------------------------------------------- per algorithm */
TEST(optim_sgd, plain_momentum_dampening_nesterov_weight_decay_maximize) {
    opts o = {.sgd = ct_sgd_defaults()};
    o.sgd.lr = 0.1;
    CHECK_CASE(SGD, &o, 17, 5);
    o.sgd.momentum = 0.9;
    CHECK_CASE(SGD, &o, 17, 5);
    o.sgd.dampening = 0.3;
    o.sgd.weight_decay = 0.01;
    CHECK_CASE(SGD, &o, 17, 5);
    o.sgd.dampening = 0;
    o.sgd.nesterov = true;
    o.sgd.maximize = true;
    CHECK_CASE(SGD, &o, 17, 5);
}

TEST(optim_adam, defaults_amsgrad_weight_decay_maximize) {
    opts o = {.adam = ct_adam_defaults()};
    o.adam.lr = 0.05;
    CHECK_CASE(ADAM, &o, 33, 6);
    o.adam.amsgrad = true;
    o.adam.weight_decay = 0.1;
    CHECK_CASE(ADAM, &o, 33, 6);
    o.adam.maximize = true;
    o.adam.beta1 = 0.5;
    CHECK_CASE(ADAM, &o, 33, 6);
}

TEST(optim_adamw, decoupled_weight_decay_amsgrad) {
    opts o = {.adam = ct_adamw_defaults()};
    CHECK(o.adam.weight_decay == 1e-2);
    o.adam.lr = 0.05;
    CHECK_CASE(ADAMW, &o, 33, 6);
    o.adam.amsgrad = true;
    o.adam.maximize = true;
    CHECK_CASE(ADAMW, &o, 33, 6);
}

TEST(optim_adagrad, lr_decay_initial_accumulator_weight_decay) {
    opts o = {.adagrad = ct_adagrad_defaults()};
    o.adagrad.lr = 0.1;
    CHECK_CASE(ADAGRAD, &o, 9, 5);
    o.adagrad.lr_decay = 0.1;
    o.adagrad.initial_accumulator_value = 0.5;
    o.adagrad.weight_decay = 0.05;
    o.adagrad.maximize = true;
    CHECK_CASE(ADAGRAD, &o, 9, 5);
}

TEST(optim_rmsprop, centered_momentum_weight_decay) {
    opts o = {.rmsprop = ct_rmsprop_defaults()};
    CHECK_CASE(RMSPROP, &o, 12, 5);
    o.rmsprop.centered = true;
    CHECK_CASE(RMSPROP, &o, 12, 5);
    o.rmsprop.momentum = 0.8;
    o.rmsprop.weight_decay = 0.1;
    o.rmsprop.alpha = 0.9;
    CHECK_CASE(RMSPROP, &o, 12, 5);
    o.rmsprop.centered = false;
    o.rmsprop.maximize = true;
    CHECK_CASE(RMSPROP, &o, 12, 5);
}

TEST(optim_adadelta, rho_eps_weight_decay) {
    opts o = {.adadelta = ct_adadelta_defaults()};
    CHECK_CASE(ADADELTA, &o, 10, 5);
    o.adadelta.rho = 0.5;
    o.adadelta.eps = 1e-3;
    o.adadelta.weight_decay = 0.1;
    o.adadelta.maximize = true;
    CHECK_CASE(ADADELTA, &o, 10, 5);
}

TEST(optim_adamax, betas_weight_decay) {
    opts o = {.adamax = ct_adamax_defaults()};
    CHECK_CASE(ADAMAX, &o, 10, 5);
    o.adamax.beta2 = 0.5;
    o.adamax.weight_decay = 0.1;
    o.adamax.maximize = true;
    CHECK_CASE(ADAMAX, &o, 10, 5);
}

TEST(optim_nadam, momentum_decay_weight_decay) {
    opts o = {.nadam = ct_nadam_defaults()};
    /* mu_product is a float32 tensor as in PyTorch: float-level agreement */
    if (run_case(__FILE__, __LINE__, NADAM, &o, CT_FLOAT64, 10, 5, 1e-6) < 0) return;
    if (run_case(__FILE__, __LINE__, NADAM, &o, CT_FLOAT32, 10, 5, 2e-5) < 0) return;
    o.nadam.momentum_decay = 0.5;
    o.nadam.weight_decay = 0.1;
    if (run_case(__FILE__, __LINE__, NADAM, &o, CT_FLOAT64, 10, 5, 1e-6) < 0) return;
}

TEST(optim_radam, rectified_after_step_five) {
    /* rho_t > 5 from step 6 on with the default beta2: run through both */
    opts o = {.radam = ct_radam_defaults()};
    o.radam.lr = 0.05;
    CHECK_CASE(RADAM, &o, 10, 8);
    o.radam.weight_decay = 0.1;
    o.radam.beta2 = 0.9;
    CHECK_CASE(RADAM, &o, 10, 8);
}

/* ---------------------------------------------------------------- object behaviour */
TEST(optim_adam, threads_above_the_grain_match_the_reference) {
    opts o = {.adam = ct_adam_defaults()};
    o.adam.amsgrad = true;
    CHECK(run_case(__FILE__, __LINE__, ADAM, &o, CT_FLOAT32, 3 * 32768 + 5, 3, 2e-5) == 0);
}

TEST(optim_sgd, empty_and_zero_d_parameters) {
    opts o = {.sgd = ct_sgd_defaults()};
    o.sgd.momentum = 0.5;
    CHECK_CASE(SGD, &o, 0, 3);
    ct_tensor *p = ct_scalar_tensor(2.0, CT_FLOAT64);
    ct_set_requires_grad(p, true);
    ct_optimizer *opt = ct_optim_sgd(&p, 1, &o.sgd);
    CHECK(opt);
    ct_set_grad(p, ct_scalar_tensor(4.0, CT_FLOAT64));
    CHECK(ct_optim_step(opt) == 0);
    CHECK(ct_optim_step(opt) == 0); /* buf = 4, then 0.5*4 + 4 = 6 */
    CHECK_CLOSE(ct_item_at(p, 0), 2.0 - 1e-3 * 4 - 1e-3 * 6, 1e-15);
    ct_optim_free(opt);
}

TEST(optim_adam, state_is_lazy_and_named_as_pytorch) {
    ct_tensor *p = tt_rand(SHAPE(2, 3), 2, CT_FLOAT32, -1, 1, 3);
    ct_tensor *q = tt_rand(SHAPE(4), 1, CT_FLOAT32, -1, 1, 4);
    ct_set_requires_grad(p, true);
    ct_set_requires_grad(q, true);
    ct_adam_options o = ct_adam_defaults();
    ct_optimizer *opt = ct_optim_adam((ct_tensor *[]){p, q}, 2, &o);
    CHECK(opt);
    CHECK(strcmp(ct_optim_name(opt), "Adam") == 0 && ct_optim_num_params(opt) == 2);
    CHECK(ct_optim_state(opt, 0, "exp_avg") == NULL);
    ct_set_grad(p, ct_ones_like(p, CT_FLOAT32));
    double q0 = ct_item_at(q, 0);
    uint64_t v0 = ct_version(p);
    CHECK(ct_optim_step(opt) == 0);
    CHECK(ct_version(p) > v0);
    /* q has no grad: untouched, no state */
    CHECK(ct_item_at(q, 0) == q0 && ct_optim_state(opt, 1, "exp_avg") == NULL);
    ct_tensor *m = ct_optim_state(opt, 0, "exp_avg");
    CHECK(m && m->ndim == 2 && m->sizes[1] == 3);
    CHECK_CLOSE(ct_item_at(m, 0), 0.1, 1e-6);
    CHECK(ct_optim_state(opt, 0, "exp_avg_sq") && !ct_optim_state(opt, 0, "max_exp_avg_sq"));
    CHECK(ct_optim_state(opt, 0, "nope") == NULL && ct_optim_state_step(opt, 0) == 1);
    ct_optim_free(opt);
}

TEST(optim_sgd, zero_grad_to_none_or_zeros_and_lr_access) {
    ct_tensor *p = tt_rand(SHAPE(3), 1, CT_FLOAT64, -1, 1, 5);
    ct_set_requires_grad(p, true);
    ct_sgd_options o = ct_sgd_defaults();
    o.lr = 0.5;
    ct_optimizer *opt = ct_optim_sgd(&p, 1, &o);
    CHECK(opt && ct_optim_get_lr(opt) == 0.5);
    ct_optim_set_lr(opt, 0.25);
    CHECK(ct_optim_get_lr(opt) == 0.25);
    ct_set_grad(p, ct_ones_like(p, CT_FLOAT64));
    ct_optim_zero_grad(opt, false);
    CHECK(ct_tensor_grad(p) && ct_item_at(ct_tensor_grad(p), 2) == 0);
    ct_optim_zero_grad(opt, true);
    CHECK(ct_tensor_grad(p) == NULL);
    CHECK(ct_optim_step(opt) == 0); /* nothing to do */
    ct_optim_free(opt);
}

TEST(optim_sgd, non_contiguous_gradient_is_used_by_value) {
    ct_tensor *p = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT32);
    ct_set_requires_grad(p, true);
    ct_sgd_options o = ct_sgd_defaults();
    o.lr = 1;
    ct_optimizer *opt = ct_optim_sgd(&p, 1, &o);
    ct_tensor *g = ct_t(tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT32));
    CHECK(!ct_is_contiguous(g));
    CHECK(ct_set_grad(p, g) == 0);
    CHECK(ct_optim_step(opt) == 0);
    CHECK_TENSOR(p, SHAPE(2, 2), 2, VALS(0, -1, 1, 0), 0);
    ct_optim_free(opt);
}

/* loss = p^2, grad 2p */
static double square_closure(void *ctx) {
    ct_tensor *p = ctx;
    double v = ct_item_at(p, 0);
    ct_set_grad(p, tt_tensor(VALS(2 * v), SHAPE(1), 1, CT_FLOAT64));
    return v * v;
}

TEST(optim_sgd, closure_step_returns_the_loss) {
    ct_tensor *p = tt_tensor(VALS(3), SHAPE(1), 1, CT_FLOAT64);
    ct_set_requires_grad(p, true);
    ct_sgd_options o = ct_sgd_defaults();
    o.lr = 0.25;
    ct_optimizer *opt = ct_optim_sgd(&p, 1, &o);
    double loss = 0;
    CHECK(ct_optim_step_closure(opt, square_closure, p, &loss) == 0);
    CHECK(loss == 9);
    CHECK_CLOSE(ct_item_at(p, 0), 3 - 0.25 * 6, 1e-15);
    ct_optim_free(opt);
}


/* ---------------------------------------------------------------- errors */
TEST(optim_adam, fused_update_errors_name_the_operand) {
    ct_tensor *p = tt_rand(SHAPE(2, 3), 2, CT_FLOAT32, -1, 1, 1);
    ct_tensor *g = tt_rand(SHAPE(2, 3), 2, CT_FLOAT32, -1, 1, 2);
    ct_tensor *m = ct_zeros_like(p, CT_FLOAT32), *v = ct_zeros_like(p, CT_FLOAT32);
    ct_adam_options o = ct_adam_defaults();
    ct_clear_error();
    CHECK(ct_adam_update_(p, g, m, v, NULL, 1, &o, false) == 0);
    CHECK(ct_adam_update_(p, tt_rand(SHAPE(3, 2), 2, CT_FLOAT32, 0, 1, 1), m, v, NULL, 1, &o,
                          false) < 0);
    CHECK(strstr(ct_last_error(), "adam_update_: grad has shape [3, 2] but param has shape [2, 3]"));
    CHECK(ct_adam_update_(p, ct_zeros_like(p, CT_FLOAT64), m, v, NULL, 1, &o, true) < 0);
    CHECK(strstr(ct_last_error(), "adamw_update_: grad has dtype float64 but param has dtype float32"));
    /* a dense transposed param with states laid out alike is updated in
     * memory order (as PyTorch allows); a strided one is refused */
    ct_tensor *pt = ct_clone(ct_t(p)), *pc = ct_contiguous(pt);
    ct_tensor *mt = ct_zeros_like(pt, CT_DTYPE_DEFAULT), *vt = ct_zeros_like(pt, CT_DTYPE_DEFAULT);
    ct_tensor *mc = ct_zeros_like(pc, CT_DTYPE_DEFAULT), *vc = ct_zeros_like(pc, CT_DTYPE_DEFAULT);
    CHECK(ct_adam_update_(pt, ct_t(g), mt, vt, NULL, 1, &o, false) == 0); /* grad relaid out */
    CHECK(ct_adam_update_(pc, ct_contiguous(ct_t(g)), mc, vc, NULL, 1, &o, false) == 0);
    CHECK(pt->strides[0] == 1 && ct_equal(pt, pc) == 1 && ct_equal(vt, vc) == 1);
    CHECK(ct_adam_update_(pt, ct_t(g), mc, vt, NULL, 1, &o, false) < 0);
    CHECK(strstr(ct_last_error(), "exp_avg of shape [3, 2] must be laid out as param"));
    ct_tensor *ps = ct_slice(tt_rand(SHAPE(2, 6), 2, CT_FLOAT32, -1, 1, 3), 1, 0, 6, 2);
    CHECK(ct_adam_update_(ps, g, m, v, NULL, 1, &o, false) < 0);
    CHECK(strstr(ct_last_error(), "param of shape [2, 3] must be contiguous"));
    CHECK(ct_adam_update_(p, g, m, ct_t(ct_zeros(SHAPE(3, 2), 2, CT_FLOAT32)), NULL, 1, &o,
                          false) < 0);
    CHECK(strstr(ct_last_error(), "exp_avg_sq of shape [2, 3] must be contiguous"));
    o.amsgrad = true;
    CHECK(ct_adam_update_(p, g, m, v, NULL, 1, &o, false) < 0);
    CHECK(strstr(ct_last_error(), "max_exp_avg_sq is required with amsgrad"));
    CHECK(ct_adam_update_(p, g, m, v, ct_zeros_like(p, CT_FLOAT32), 0, &o, false) < 0);
    CHECK(strstr(ct_last_error(), "step must be >= 1"));
    ct_tensor *pi = ct_zeros(SHAPE(2), 1, CT_INT64);
    CHECK(ct_sgd_update_(pi, pi, NULL, true, &(ct_sgd_options){.lr = 1}) < 0);
    CHECK(ct_last_error_kind() == CT_ERR_TYPE && strstr(ct_last_error(), "dtype int64"));
    ct_tensor *ph = ct_zeros(SHAPE(2), 1, CT_FLOAT16);
    CHECK(ct_sgd_update_(ph, ph, NULL, true, &(ct_sgd_options){.lr = 1}) < 0);
    CHECK(ct_last_error_kind() == CT_ERR_NOT_IMPL);
    CHECK(ct_sgd_update_(p, g, NULL, true, &(ct_sgd_options){.lr = 1, .momentum = 0.9}) < 0);
    CHECK(strstr(ct_last_error(), "momentum_buffer is required"));
}

TEST(optim_sgd, constructor_checks_like_pytorch) {
    ct_tensor *p = tt_rand(SHAPE(2), 1, CT_FLOAT32, -1, 1, 1);
    ct_sgd_options o = ct_sgd_defaults();
    o.lr = -1;
    CHECK_ERR(ct_optim_sgd(&p, 1, &o), "Invalid learning rate: -1");
    o.lr = 0.1;
    o.nesterov = true;
    CHECK_ERR(ct_optim_sgd(&p, 1, &o), "Nesterov momentum requires a momentum and zero dampening");
    o.nesterov = false;
    CHECK_ERR(ct_optim_sgd(&p, 0, &o), "optimizer got an empty parameter list");
    CHECK_ERR(ct_optim_sgd((ct_tensor *[]){p, p}, 2, &o), "more than one parameter group");
    ct_tensor *pi = ct_zeros(SHAPE(2), 1, CT_INT32);
    CHECK_ERR(ct_optim_sgd(&pi, 1, &o), "dtype int32");
    ct_tensor *pt = ct_slice(ct_zeros(SHAPE(2, 6), 2, CT_FLOAT32), 1, 0, 6, 2); /* not dense */
    CHECK_ERR(ct_optim_sgd(&pt, 1, &o), "must be contiguous");
    ct_tensor *ptt = ct_clone(ct_t(ct_zeros(SHAPE(2, 3), 2, CT_FLOAT32))); /* dense, transposed */
    ct_optimizer *ok = ct_optim_sgd(&ptt, 1, &o);
    CHECK(ok != NULL);
    ct_optim_free(ok);
    ct_lbfgs_options lbo = ct_lbfgs_defaults();
    CHECK_ERR(ct_optim_lbfgs(&ptt, 1, &lbo), "must be contiguous"); /* flattens row-major */
    ct_set_requires_grad(p, true);
    ct_tensor *nonleaf = ct_mul_scalar(p, 2.0);
    CHECK_ERR(ct_optim_sgd(&nonleaf, 1, &o), "can't optimize a non-leaf Tensor");
    ct_adam_options a = ct_adam_defaults();
    a.beta2 = 1.0;
    CHECK_ERR(ct_optim_adam(&p, 1, &a), "Invalid beta parameter at index 1: 1");
    a = ct_adam_defaults();
    a.eps = -1;
    CHECK_ERR(ct_optim_adamw(&p, 1, &a), "Invalid epsilon value: -1");
    ct_lbfgs_options l = ct_lbfgs_defaults();
    l.line_search_fn = "backtracking";
    CHECK_ERR(ct_optim_lbfgs(&p, 1, &l), "only 'strong_wolfe' is supported");
    l = ct_lbfgs_defaults();
    ct_optimizer *lb = ct_optim_lbfgs(&p, 1, &l);
    CHECK(lb);
    ct_clear_error();
    CHECK(ct_optim_step(lb) < 0 && strstr(ct_last_error(), "needs a closure"));
    ct_optim_free(lb);
}

/* ---------------------------------------------------------------- LBFGS */
/* f(x) = 1/2 sum a_i (x_i - c_i)^2 + 1/2 (x_0 - x_1)^2, minimum solved below. */
typedef struct quad {
    ct_tensor *x, *y; /* two parameters: x [3], y [2] */
    int calls;
    bool fail;
} quad;

static double quad_closure(void *ctx) {
    quad *q = ctx;
    q->calls++;
    if (q->fail) {
        ct_set_error(CT_ERR_RUNTIME, "closure failed");
        return NAN;
    }
    const double a[5] = {1, 2, 3, 4, 5}, c[5] = {1, -1, 0.5, 2, -2};
    double v[5], g[5], f = 0;
    for (int i = 0; i < 3; i++) v[i] = ct_item_at(q->x, i);
    for (int i = 0; i < 2; i++) v[3 + i] = ct_item_at(q->y, i);
    for (int i = 0; i < 5; i++) {
        f += 0.5 * a[i] * (v[i] - c[i]) * (v[i] - c[i]);
        g[i] = a[i] * (v[i] - c[i]);
    }
    f += 0.5 * (v[0] - v[1]) * (v[0] - v[1]);
    g[0] += v[0] - v[1];
    g[1] -= v[0] - v[1];
    ct_scope s = ct_scope_begin();
    ct_set_grad(q->x, tt_tensor(g, SHAPE(3), 1, q->x->dtype));
    ct_set_grad(q->y, tt_tensor(g + 3, SHAPE(2), 1, q->y->dtype));
    ct_scope_end(s);
    return f;
}

static void lbfgs_case(const char *file, int line, ct_dtype dt, const char *ls, double tol) {
    quad q = {.x = ct_keep(ct_zeros(SHAPE(3), 1, dt)), .y = ct_keep(ct_zeros(SHAPE(2), 1, dt))};
    ct_lbfgs_options o = ct_lbfgs_defaults();
    o.line_search_fn = ls;
    o.history_size = 3;
    o.tolerance_change = 1e-14; /* run to the minimum, not to a loss change of 1e-9 */
    o.tolerance_grad = 1e-12;
    ct_optimizer *opt = ct_optim_lbfgs((ct_tensor *[]){q.x, q.y}, 2, &o);
    double loss = -1;
    for (int k = 0; k < 5 && opt; k++)
        if (ct_optim_step_closure(opt, quad_closure, &q, &loss) < 0) break;
    /* minimum: x2 = 0.5, y = (2, -2); (x0, x1) solves [[2,-1],[-1,3]] x = [1, -2] */
    double want[5] = {0.2, -0.6, 0.5, 2, -2};
    int evals = 0, iters = 0;
    if (!opt || ct_optim_lbfgs_counts(opt, &evals, &iters) < 0)
        ct_test_fail(file, line, "lbfgs: %s", ct_last_error());
    else if (evals < 2 || iters < 1 || q.calls != evals)
        ct_test_fail(file, line, "lbfgs counts: %d evals, %d iters, %d calls", evals, iters,
                     q.calls);
    else if (tt_expect(file, line, q.x, SHAPE(3), 1, want, tol) == 0)
        tt_expect(file, line, q.y, SHAPE(2), 1, want + 3, tol);
    ct_optim_free(opt);
    ct_release(q.x);
    ct_release(q.y);
}

TEST(optim_lbfgs, reaches_the_minimum_of_a_quadratic) {
    lbfgs_case(__FILE__, __LINE__, CT_FLOAT64, NULL, 1e-6);
    if (ct_test_failed()) return;
    lbfgs_case(__FILE__, __LINE__, CT_FLOAT64, "strong_wolfe", 1e-6);
    if (ct_test_failed()) return;
    lbfgs_case(__FILE__, __LINE__, CT_FLOAT32, "strong_wolfe", 1e-4);
}

TEST(optim_lbfgs, closure_error_is_returned) {
    quad q = {.x = ct_zeros(SHAPE(3), 1, CT_FLOAT64), .y = ct_zeros(SHAPE(2), 1, CT_FLOAT64),
              .fail = true};
    ct_lbfgs_options o = ct_lbfgs_defaults();
    ct_optimizer *opt = ct_optim_lbfgs((ct_tensor *[]){q.x, q.y}, 2, &o);
    CHECK(opt);
    CHECK(ct_optim_step_closure(opt, quad_closure, &q, NULL) < 0);
    CHECK(strstr(ct_last_error(), "closure failed"));
    ct_optim_free(opt);
}

/* ---------------------------------------------------------------- checkpoints */
TEST(optim_adam, state_restored_into_a_new_optimizer_continues_identically) {
    ct_tensor *pa = tt_rand(SHAPE(5), 1, CT_FLOAT32, -1, 1, 11);
    ct_tensor *pb = ct_clone(pa);
    ct_set_requires_grad(pa, true);
    ct_set_requires_grad(pb, true);
    ct_adam_options o = ct_adam_defaults();
    o.amsgrad = true;
    o.lr = 0.1;
    ct_optimizer *a = ct_optim_adam(&pa, 1, &o), *b = ct_optim_adam(&pb, 1, &o);
    CHECK(a && b);
    for (int k = 0; k < 3; k++) {
        ct_set_grad(pa, tt_rand(SHAPE(5), 1, CT_FLOAT32, -1, 1, 20 + k));
        CHECK(ct_optim_step(a) == 0);
    }
    ct_grad_mode gm = ct_no_grad_begin();
    CHECK(ct_copy_(pb, pa) == pb);
    ct_grad_mode_end(gm);
    const char *keys[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    for (int k = 0; k < 3; k++) CHECK(ct_optim_set_state(b, 0, keys[k], ct_optim_state(a, 0, keys[k])) == 0);
    CHECK(ct_optim_set_state_step(b, 0, ct_optim_state_step(a, 0)) == 0);
    ct_tensor *g = tt_rand(SHAPE(5), 1, CT_FLOAT32, -1, 1, 30);
    ct_set_grad(pa, g);
    ct_set_grad(pb, g);
    CHECK(ct_optim_step(a) == 0 && ct_optim_step(b) == 0);
    double *va = tt_values(pa);
    CHECK_TENSOR(pb, SHAPE(5), 1, va, 0);
    free(va);
    ct_clear_error();
    CHECK(ct_optim_set_state(b, 0, "momentum_buffer", g) < 0);
    CHECK(strstr(ct_last_error(), "Adam has no state 'momentum_buffer'"));
    CHECK(ct_optim_set_state(b, 0, "exp_avg", ct_zeros(SHAPE(4), 1, CT_FLOAT32)) < 0);
    CHECK(strstr(ct_last_error(), "does not fit parameter 0 of shape [5]"));
    ct_optim_free(a);
    ct_optim_free(b);
}

TEST(optim_nadam, mu_product_and_sgd_buffer_restore) {
    ct_tensor *p = tt_rand(SHAPE(3), 1, CT_FLOAT64, -1, 1, 5);
    ct_nadam_options o = ct_nadam_defaults();
    ct_optimizer *opt = ct_optim_nadam(&p, 1, &o);
    CHECK(ct_optim_set_state(opt, 0, "mu_product", ct_scalar_tensor(0.5, CT_FLOAT64)) == 0);
    CHECK(ct_item_at(ct_optim_state(opt, 0, "mu_product"), 0) == 0.5);
    ct_optim_free(opt);
    /* SGD: a restored momentum buffer is used, not overwritten by the gradient */
    ct_sgd_options s = ct_sgd_defaults();
    s.lr = 1;
    s.momentum = 0.5;
    ct_optimizer *sg = ct_optim_sgd(&p, 1, &s);
    CHECK(ct_optim_set_state(sg, 0, "momentum_buffer", ct_ones_like(p, CT_FLOAT64)) == 0);
    double p0 = ct_item_at(p, 0);
    ct_set_grad(p, ct_ones_like(p, CT_FLOAT64));
    CHECK(ct_optim_step(sg) == 0); /* buf = 0.5 * 1 + 1 */
    CHECK_CLOSE(ct_item_at(p, 0), p0 - 1.5, 1e-15);
    ct_optim_free(sg);
}

TEST(optim_lbfgs, history_restored_into_a_new_optimizer_continues_identically) {
    quad qa = {.x = ct_zeros(SHAPE(3), 1, CT_FLOAT64), .y = ct_zeros(SHAPE(2), 1, CT_FLOAT64)};
    ct_lbfgs_options o = ct_lbfgs_defaults();
    o.max_iter = 3;
    o.history_size = 2;
    ct_optimizer *a = ct_optim_lbfgs((ct_tensor *[]){qa.x, qa.y}, 2, &o);
    CHECK(a);
    ct_lbfgs_state st;
    CHECK(ct_optim_lbfgs_get_state(a, &st) == 0 && !st.have_history);
    CHECK(ct_optim_step_closure(a, quad_closure, &qa, NULL) == 0);
    CHECK(ct_optim_lbfgs_get_state(a, &st) == 0 && st.have_history);
    CHECK(st.d->numel == 5 && st.old_dirs->ndim == 2 && st.old_dirs->sizes[1] == 5);
    CHECK(st.old_dirs->sizes[0] >= 1 && st.old_dirs->sizes[0] <= 2 && st.ro->numel == st.old_dirs->sizes[0]);
    quad qb = {.x = ct_clone(qa.x), .y = ct_clone(qa.y)};
    ct_optimizer *b = ct_optim_lbfgs((ct_tensor *[]){qb.x, qb.y}, 2, &o);
    CHECK(ct_optim_lbfgs_set_state(b, &st) == 0);
    CHECK(ct_optim_step_closure(a, quad_closure, &qa, NULL) == 0);
    CHECK(ct_optim_step_closure(b, quad_closure, &qb, NULL) == 0);
    double *va = tt_values(qa.x);
    CHECK_TENSOR(qb.x, SHAPE(3), 1, va, 0);
    free(va);
    int fa, na, fb, nb;
    CHECK(ct_optim_lbfgs_counts(a, &fa, &na) == 0 && ct_optim_lbfgs_counts(b, &fb, &nb) == 0);
    CHECK(fa == fb && na == nb);
    st.old_dirs = ct_zeros(SHAPE(3, 5), 2, CT_FLOAT64); /* more pairs than history_size */
    st.old_stps = st.old_dirs;
    st.ro = ct_zeros(SHAPE(3), 1, CT_FLOAT64);
    ct_clear_error();
    CHECK(ct_optim_lbfgs_set_state(b, &st) < 0 && strstr(ct_last_error(), "history_size 2"));
    ct_optim_free(a);
    ct_optim_free(b);
}

TEST(optim_sgd, every_algorithm_above_the_grain_matches_the_reference) {
    /* threaded loops (numel >= CT_GRAIN) against the double reference */
    opts o[9];
    o[SGD].sgd = ct_sgd_defaults();
    o[SGD].sgd.momentum = 0.9;
    o[SGD].sgd.nesterov = true;
    o[ADAM].adam = ct_adam_defaults();
    o[ADAMW].adam = ct_adamw_defaults();
    o[ADAMW].adam.amsgrad = true;
    o[ADAGRAD].adagrad = ct_adagrad_defaults();
    o[RMSPROP].rmsprop = ct_rmsprop_defaults();
    o[RMSPROP].rmsprop.centered = true;
    o[RMSPROP].rmsprop.momentum = 0.5;
    o[ADADELTA].adadelta = ct_adadelta_defaults();
    o[ADAMAX].adamax = ct_adamax_defaults();
    o[NADAM].nadam = ct_nadam_defaults();
    o[RADAM].radam = ct_radam_defaults();
    for (int k = 0; k < 9; k++) {
        double tol = k == NADAM ? 1e-6 : 1e-12; /* NAdam's float32 mu_product */
        if (run_case(__FILE__, __LINE__, k, &o[k], CT_FLOAT64, 32768 + 7, 2, tol) < 0) return;
    }
}
