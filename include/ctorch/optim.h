/* Optimizers: PyTorch 1.13's update rules as fused per-parameter loops, and
 * optimizer objects that own their state.
 *
 * Two levels:
 *   1. ct_<algo>_update_(param, grad, state..., step, options): one flat
 *      loop over one parameter, writing param and its state buffers in place
 *      (no autograd recording; version counters bumped). param, grad and
 *      state must be contiguous float32/float64 tensors of one shape and
 *      dtype. Returns 0, or -1 with ct_last_error() set. The Python classes
 *      (ctorch.optim) call these.
 *   2. ct_optimizer: the parameters, one options struct (one param group)
 *      and the per-parameter state, created lazily on the first step as
 *      PyTorch does. Typical C training loop:
 *
 *          ct_adam_options o = ct_adam_defaults();   // PyTorch's defaults
 *          o.lr = 1e-3;
 *          ct_optimizer *opt = ct_optim_adam(params, nparams, &o);
 *          for (...) {
 *              ct_scope s = ct_scope_begin();
 *              ct_optim_zero_grad(opt, true);
 *              ct_tensor *loss = ...forward...;
 *              ct_backward(loss, NULL, false, false, NULL, 0);
 *              ct_optim_step(opt);                    // 0 or -1
 *              ct_scope_end(s);
 *          }
 *          ct_optim_free(opt);
 *
 * The optimizer retains the parameters (released by ct_optim_free); a
 * parameter whose .grad is NULL is skipped by step, as in PyTorch.
 * Options structs: start from ct_<algo>_defaults() (PyTorch's defaults;
 * SGD has no default lr in PyTorch, ct_sgd_defaults() sets 1e-3, set yours).
 */
#ifndef CTORCH_OPTIM_H
#define CTORCH_OPTIM_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- options */
typedef struct ct_sgd_options {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize;
} ct_sgd_options;

/* Adam and AdamW (AdamW: decoupled weight decay, default 1e-2). */
typedef struct ct_adam_options {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize;
} ct_adam_options;

typedef struct ct_adagrad_options {
    double lr, lr_decay, weight_decay, initial_accumulator_value, eps;
    bool maximize;
} ct_adagrad_options;

typedef struct ct_rmsprop_options {
    double lr, alpha, eps, weight_decay, momentum;
    bool centered, maximize;
} ct_rmsprop_options;

typedef struct ct_adadelta_options {
    double lr, rho, eps, weight_decay;
    bool maximize;
} ct_adadelta_options;

typedef struct ct_adamax_options {
    double lr, beta1, beta2, eps, weight_decay;
    bool maximize;
} ct_adamax_options;

/* PyTorch 1.13's NAdam and RAdam have no maximize. */
typedef struct ct_nadam_options {
    double lr, beta1, beta2, eps, weight_decay, momentum_decay;
} ct_nadam_options;

typedef struct ct_radam_options {
    double lr, beta1, beta2, eps, weight_decay;
} ct_radam_options;

typedef struct ct_lbfgs_options {
    double lr;
    int max_iter;
    int max_eval; /* <= 0: max_iter * 5 / 4, as PyTorch's None */
    double tolerance_grad, tolerance_change;
    int history_size;
    const char *line_search_fn; /* NULL or "strong_wolfe" */
} ct_lbfgs_options;

ct_sgd_options ct_sgd_defaults(void);
ct_adam_options ct_adam_defaults(void);
ct_adam_options ct_adamw_defaults(void);
ct_adagrad_options ct_adagrad_defaults(void);
ct_rmsprop_options ct_rmsprop_defaults(void);
ct_adadelta_options ct_adadelta_defaults(void);
ct_adamax_options ct_adamax_defaults(void);
ct_nadam_options ct_nadam_defaults(void);
ct_radam_options ct_radam_defaults(void);
ct_lbfgs_options ct_lbfgs_defaults(void);

/* ---------------------------------------------------------------- fused updates */
/* step: the step count AFTER this step's increment (1 on the first step).
 * Optional state buffers are NULL when the option does not use them. */

/* momentum_buffer: required when momentum != 0; first = true on the first
 * step (the buffer is then set to the gradient, as PyTorch's clone). */
int ct_sgd_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *momentum_buffer,
                   bool first, const ct_sgd_options *o);
/* decoupled = false: Adam; true: AdamW. max_exp_avg_sq: only with amsgrad. */
int ct_adam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                    ct_tensor *exp_avg_sq, ct_tensor *max_exp_avg_sq, double step,
                    const ct_adam_options *o, bool decoupled);
int ct_adagrad_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *sum, double step,
                       const ct_adagrad_options *o);
/* grad_avg: only when centered; momentum_buffer: only when momentum > 0. */
int ct_rmsprop_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *square_avg,
                       ct_tensor *grad_avg, ct_tensor *momentum_buffer,
                       const ct_rmsprop_options *o);
int ct_adadelta_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *square_avg,
                        ct_tensor *acc_delta, const ct_adadelta_options *o);
int ct_adamax_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                      ct_tensor *exp_inf, double step, const ct_adamax_options *o);
/* mu_product: a 0-d float32/float64 tensor (1 before the first step),
 * updated in place in its own precision, as PyTorch's state['mu_product']. */
int ct_nadam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                     ct_tensor *exp_avg_sq, ct_tensor *mu_product, double step,
                     const ct_nadam_options *o);
int ct_radam_update_(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg,
                     ct_tensor *exp_avg_sq, double step, const ct_radam_options *o);

/* ---------------------------------------------------------------- optimizer objects */
typedef struct ct_optimizer ct_optimizer;

/* params: n tensors (float32/float64, contiguous), retained. The options are
 * copied. NULL with an error on bad arguments (PyTorch's checks: "Invalid
 * learning rate: -1.0", ...). */
ct_optimizer *ct_optim_sgd(ct_tensor *const *params, int n, const ct_sgd_options *o);
ct_optimizer *ct_optim_adam(ct_tensor *const *params, int n, const ct_adam_options *o);
ct_optimizer *ct_optim_adamw(ct_tensor *const *params, int n, const ct_adam_options *o);
ct_optimizer *ct_optim_adagrad(ct_tensor *const *params, int n, const ct_adagrad_options *o);
ct_optimizer *ct_optim_rmsprop(ct_tensor *const *params, int n, const ct_rmsprop_options *o);
ct_optimizer *ct_optim_adadelta(ct_tensor *const *params, int n, const ct_adadelta_options *o);
ct_optimizer *ct_optim_adamax(ct_tensor *const *params, int n, const ct_adamax_options *o);
ct_optimizer *ct_optim_nadam(ct_tensor *const *params, int n, const ct_nadam_options *o);
ct_optimizer *ct_optim_radam(ct_tensor *const *params, int n, const ct_radam_options *o);

/* One update of every parameter that has a .grad. 0 or -1 (LBFGS: error,
 * it needs ct_optim_step_closure). */
int ct_optim_step(ct_optimizer *opt);

/* closure recomputes the loss and the gradients (zero_grad, forward,
 * backward) and returns the loss; on failure it calls ct_set_error and
 * returns NAN. It is called with grad mode enabled. */
typedef double (*ct_closure_fn)(void *ctx);
/* Calls closure once, then steps (for LBFGS: as many closure calls as the
 * algorithm needs). *loss (may be NULL) gets the closure's first loss, as
 * PyTorch's step(closure) returns. 0 or -1. */
int ct_optim_step_closure(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double *loss);

/* set_to_none: .grad = NULL; otherwise the gradients are zeroed in place. */
void ct_optim_zero_grad(ct_optimizer *opt, bool set_to_none);
double ct_optim_get_lr(const ct_optimizer *opt);
void ct_optim_set_lr(ct_optimizer *opt, double lr);
int ct_optim_num_params(const ct_optimizer *opt);
/* "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax",
 * "NAdam", "RAdam", "LBFGS". */
const char *ct_optim_name(const ct_optimizer *opt);
/* Per-parameter state (borrowed; NULL when absent, e.g. before the first
 * step). key as PyTorch's: "momentum_buffer", "exp_avg", "exp_avg_sq",
 * "max_exp_avg_sq", "sum", "square_avg", "grad_avg", "acc_delta",
 * "exp_inf", "mu_product". */
ct_tensor *ct_optim_state(const ct_optimizer *opt, int param_index, const char *key);
/* The step count of parameter i (0 before its first step). */
double ct_optim_state_step(const ct_optimizer *opt, int param_index);
/* Releases the parameters and the state. NULL is a no-op. */
void ct_optim_free(ct_optimizer *opt);

/* ---------------------------------------------------------------- LBFGS */
/* PyTorch's LBFGS (one param group; all parameters one flat vector, the
 * history kept in double precision). Step with ct_optim_step_closure. */
ct_optimizer *ct_optim_lbfgs(ct_tensor *const *params, int n, const ct_lbfgs_options *o);
/* LBFGS counters: total closure evaluations and iterations so far. */
int ct_optim_lbfgs_counts(const ct_optimizer *opt, int *func_evals, int *n_iter);

#ifdef __cplusplus
}
#endif
#endif
