/* Internal declarations of the optim family (src/optim). */
#ifndef CT_OPTIM_INTERNAL_H
#define CT_OPTIM_INTERNAL_H

#include "ctorch/optim.h"

/* Checks shared by the fused updates: param a contiguous float32/float64 CPU
 * tensor; others[i] (NULL entries skipped) of its shape and dtype,
 * contiguous. 0, or -1 with an error naming op and names[i]. */
int ct__optim_check(const char *op, const ct_tensor *param, const ct_tensor *const *others,
                    const char *const *names, int n);

/* The fused steps on a GPU: ct__cuda->sgd / ct__cuda->adam (internal.h). */

typedef enum ct__optim_kind {
    CT__OPT_SGD,
    CT__OPT_ADAM,
    CT__OPT_ADAMW,
    CT__OPT_ADAGRAD,
    CT__OPT_RMSPROP,
    CT__OPT_ADADELTA,
    CT__OPT_ADAMAX,
    CT__OPT_NADAM,
    CT__OPT_RADAM,
    CT__OPT_LBFGS,
} ct__optim_kind;

/* Per-parameter state; buf[k] holds the state tensor named by the kind's
 * key table (optimizer.c), NULL until the first step. */
typedef struct ct__param_state {
    double step;
    ct_tensor *buf[3];
    ct_tensor *mu_product; /* NAdam */
} ct__param_state;

typedef struct ct__lbfgs ct__lbfgs;

struct ct_optimizer {
    ct__optim_kind kind;
    int n;
    ct_tensor **params; /* owned references */
    union {
        ct_sgd_options sgd;
        ct_adam_options adam;
        ct_adagrad_options adagrad;
        ct_rmsprop_options rmsprop;
        ct_adadelta_options adadelta;
        ct_adamax_options adamax;
        ct_nadam_options nadam;
        ct_radam_options radam;
        ct_lbfgs_options lbfgs;
    } o;
    ct__param_state *state; /* n entries */
    ct__lbfgs *lb;          /* LBFGS only */
};

/* lbfgs.c */
int ct__lbfgs_step(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double *loss);
void ct__lbfgs_free(ct__lbfgs *lb);
/* optimizer.c: the shared constructor (params retained, state zeroed). */
ct_optimizer *ct__optim_new(ct__optim_kind kind, ct_tensor *const *params, int n);

#endif
