/* L-BFGS, PyTorch 1.13's torch/optim/lbfgs.py step by step: the parameters
 * seen as one flat vector, the two-loop recursion over a bounded history,
 * and the optional strong-Wolfe line search (cubic interpolation). Flat
 * vectors (gradient, direction, history) are double arrays; parameters are
 * written in their own dtype as PyTorch's p.add_(d, alpha=t). */
#include "internal.h"
#include "optim/optim_internal.h"

#include <math.h>

struct ct__lbfgs {
    int64_t N;
    double *d, *prev_flat_grad, *flat_grad, *q;
    double t, H_diag, prev_loss;
    bool have_d, have_prev;
    int func_evals, n_iter;
    int nold, hist;
    double **old_dirs, **old_stps, *ro, *al;
    /* strong Wolfe work space */
    double *g_prev, *g_new, *bracket_g[2];
    unsigned char *x_init; /* saved parameter bytes */
    size_t x_bytes;
};

void ct__lbfgs_free(ct__lbfgs *lb) {
    if (!lb) return;
    free(lb->d);
    free(lb->prev_flat_grad);
    free(lb->flat_grad);
    free(lb->q);
    for (int i = 0; i < lb->hist; i++) {
        free(lb->old_dirs[i]);
        free(lb->old_stps[i]);
    }
    free(lb->old_dirs);
    free(lb->old_stps);
    free(lb->ro);
    free(lb->al);
    free(lb->g_prev);
    free(lb->g_new);
    free(lb->bracket_g[0]);
    free(lb->bracket_g[1]);
    free(lb->x_init);
    free(lb);
}

ct_optimizer *ct_optim_lbfgs(ct_tensor *const *params, int n, const ct_lbfgs_options *o) {
    if (!o) {
        ct_set_error(CT_ERR_VALUE, "LBFGS: options are NULL");
        return NULL;
    }
    if (o->lr < 0) {
        ct_set_error(CT_ERR_VALUE, "Invalid learning rate: %g", o->lr);
        return NULL;
    }
    if (o->line_search_fn && strcmp(o->line_search_fn, "strong_wolfe")) {
        ct_set_error(CT_ERR_RUNTIME, "only 'strong_wolfe' is supported");
        return NULL;
    }
    if (o->history_size < 1 || o->max_iter < 1) {
        ct_set_error(CT_ERR_VALUE, "LBFGS: history_size and max_iter must be >= 1 (got %d, %d)",
                     o->history_size, o->max_iter);
        return NULL;
    }
    ct_optimizer *opt = ct__optim_new(CT__OPT_LBFGS, params, n);
    if (!opt) return NULL;
    opt->o.lbfgs = *o;
    if (opt->o.lbfgs.max_eval <= 0) opt->o.lbfgs.max_eval = o->max_iter * 5 / 4;
    ct__lbfgs *lb = calloc(1, sizeof *lb);
    if (!lb) goto oom;
    opt->lb = lb;
    int64_t N = 0;
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        N += params[i]->numel;
        bytes += (size_t)params[i]->numel * ct_dtype_size(params[i]->dtype);
    }
    lb->N = N;
    lb->hist = o->history_size;
    size_t vb = (size_t)(N > 0 ? N : 1) * sizeof(double);
    lb->d = malloc(vb);
    lb->prev_flat_grad = malloc(vb);
    lb->flat_grad = malloc(vb);
    lb->q = malloc(vb);
    lb->g_prev = malloc(vb);
    lb->g_new = malloc(vb);
    lb->bracket_g[0] = malloc(vb);
    lb->bracket_g[1] = malloc(vb);
    lb->x_bytes = bytes;
    lb->x_init = malloc(bytes ? bytes : 1);
    lb->old_dirs = calloc((size_t)lb->hist, sizeof(double *));
    lb->old_stps = calloc((size_t)lb->hist, sizeof(double *));
    lb->ro = calloc((size_t)lb->hist, sizeof(double));
    lb->al = calloc((size_t)lb->hist, sizeof(double));
    if (!lb->d || !lb->prev_flat_grad || !lb->flat_grad || !lb->q || !lb->g_prev || !lb->g_new ||
        !lb->bracket_g[0] || !lb->bracket_g[1] || !lb->x_init || !lb->old_dirs ||
        !lb->old_stps || !lb->ro || !lb->al)
        goto oom;
    return opt;
oom:
    ct_optim_free(opt);
    ct_set_error(CT_ERR_MEMORY, "LBFGS: out of memory for %d parameters", n);
    return NULL;
}

int ct_optim_lbfgs_counts(const ct_optimizer *opt, int *func_evals, int *n_iter) {
    if (!opt || opt->kind != CT__OPT_LBFGS) {
        ct_set_error(CT_ERR_VALUE, "ct_optim_lbfgs_counts: not an LBFGS optimizer");
        return -1;
    }
    if (func_evals) *func_evals = opt->lb->func_evals;
    if (n_iter) *n_iter = opt->lb->n_iter;
    return 0;
}

/* ---------------------------------------------------------------- flat vectors */
static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
static double abs_max(const double *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = fabs(a[i]);
        if (v > m || v != v) m = v;
    }
    return m;
}

/* Concatenated gradients (zeros for a parameter without one). */
static int gather_flat_grad(ct_optimizer *opt, double *out) {
    int64_t off = 0;
    for (int i = 0; i < opt->n; i++) {
        const ct_tensor *p = opt->params[i];
        const ct_tensor *g = ct_tensor_grad(p);
        if (!g) {
            for (int64_t k = 0; k < p->numel; k++) out[off + k] = 0;
        } else {
            ct_tensor *gc = ct__contiguous(g);
            if (!gc) return -1;
            const void *src = ct_data_ptr(gc);
            if (gc->dtype == CT_FLOAT32)
                for (int64_t k = 0; k < gc->numel; k++) out[off + k] = ((const float *)src)[k];
            else if (gc->dtype == CT_FLOAT64)
                memcpy(out + off, src, (size_t)gc->numel * sizeof(double));
            else
                for (int64_t k = 0; k < gc->numel; k++)
                    out[off + k] = ct__load_f64((const char *)src + k * ct_dtype_size(gc->dtype),
                                                gc->dtype);
            ct_release(gc);
        }
        off += p->numel;
    }
    return 0;
}

/* p += t * d, in each parameter's dtype. */
static void add_grad(ct_optimizer *opt, double t, const double *d) {
    int64_t off = 0;
    for (int i = 0; i < opt->n; i++) {
        ct_tensor *p = opt->params[i];
        int64_t n = p->numel;
        if (p->dtype == CT_FLOAT32) {
            float *x = ct_data_ptr(p), tf = (float)t;
            for (int64_t k = 0; k < n; k++) x[k] = x[k] + tf * (float)d[off + k];
        } else {
            double *x = ct_data_ptr(p);
            for (int64_t k = 0; k < n; k++) x[k] = x[k] + t * d[off + k];
        }
        ct_bump_version(p);
        off += n;
    }
}

static void save_params(ct_optimizer *opt) {
    size_t off = 0;
    for (int i = 0; i < opt->n; i++) {
        size_t b = (size_t)opt->params[i]->numel * ct_dtype_size(opt->params[i]->dtype);
        memcpy(opt->lb->x_init + off, ct_data_ptr(opt->params[i]), b);
        off += b;
    }
}
static void restore_params(ct_optimizer *opt) {
    size_t off = 0;
    for (int i = 0; i < opt->n; i++) {
        size_t b = (size_t)opt->params[i]->numel * ct_dtype_size(opt->params[i]->dtype);
        memcpy(ct_data_ptr(opt->params[i]), opt->lb->x_init + off, b);
        ct_bump_version(opt->params[i]);
        off += b;
    }
}

/* The closure under enable_grad; NAN with an error set means it failed. */
static int eval_closure(ct_closure_fn closure, void *ctx, double *loss) {
    ct_grad_mode gm = ct_enable_grad_begin();
    ct_clear_error();
    double l = closure(ctx);
    ct_grad_mode_end(gm);
    if (isnan(l) && ct_last_error_kind() != CT_OK) return -1;
    *loss = l;
    return 0;
}

/* Loss and flat gradient at x + t d; the parameters are put back to x. */
static int directional_evaluate(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double t,
                                const double *d, double *loss, double *g) {
    add_grad(opt, t, d);
    int rc = eval_closure(closure, ctx, loss);
    if (rc == 0) rc = gather_flat_grad(opt, g);
    restore_params(opt);
    return rc;
}

static double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                                const double *bounds) {
    double xmin_bound, xmax_bound;
    if (bounds) {
        xmin_bound = bounds[0];
        xmax_bound = bounds[1];
    } else if (x1 <= x2) {
        xmin_bound = x1;
        xmax_bound = x2;
    } else {
        xmin_bound = x2;
        xmax_bound = x1;
    }
    double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    double d2_square = d1 * d1 - g1 * g2;
    if (d2_square >= 0) {
        double d2 = sqrt(d2_square), min_pos;
        if (x1 <= x2)
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
        else
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return fmin(fmax(min_pos, xmin_bound), xmax_bound);
    }
    return (xmin_bound + xmax_bound) / 2.;
}

/* _strong_wolfe of lbfgs.py (c1 = 1e-4, c2 = 0.9, max_ls = 25). On entry g
 * is the flat gradient at t = 0; on return g, *f and *t are the accepted
 * point's. */
static int strong_wolfe(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double *t_io,
                        const double *d, double *f_io, double *g, double gtd, int *evals) {
    ct__lbfgs *lb = opt->lb;
    const int64_t N = lb->N;
    const double c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9;
    const int max_ls = 25;
    double t = *t_io, f = *f_io;
    double d_norm = abs_max(d, N);
    double *g_prev = lb->g_prev, *g_new = lb->g_new, **bg = lb->bracket_g;
    memcpy(g_prev, g, (size_t)N * sizeof(double));
    double f_new;
    if (directional_evaluate(opt, closure, ctx, t, d, &f_new, g_new) < 0) return -1;
    int ls_func_evals = 1;
    double gtd_new = dot(g_new, d, N);
    double t_prev = 0, f_prev = f, gtd_prev = gtd;
    bool done = false;
    int ls_iter = 0;
    double bracket[2], bracket_f[2], bracket_gtd[2] = {0, 0};
    int nbracket = 0;
    while (ls_iter < max_ls) {
        if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
            bracket[0] = t_prev, bracket[1] = t;
            bracket_f[0] = f_prev, bracket_f[1] = f_new;
            memcpy(bg[0], g_prev, (size_t)N * sizeof(double));
            memcpy(bg[1], g_new, (size_t)N * sizeof(double));
            bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
            nbracket = 2;
            break;
        }
        if (fabs(gtd_new) <= -c2 * gtd) {
            bracket[0] = t;
            bracket_f[0] = f_new;
            memcpy(bg[0], g_new, (size_t)N * sizeof(double));
            nbracket = 1;
            done = true;
            break;
        }
        if (gtd_new >= 0) {
            bracket[0] = t_prev, bracket[1] = t;
            bracket_f[0] = f_prev, bracket_f[1] = f_new;
            memcpy(bg[0], g_prev, (size_t)N * sizeof(double));
            memcpy(bg[1], g_new, (size_t)N * sizeof(double));
            bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
            nbracket = 2;
            break;
        }
        double bounds[2] = {t + 0.01 * (t - t_prev), t * 10};
        double tmp = t;
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
        t_prev = tmp;
        f_prev = f_new;
        memcpy(g_prev, g_new, (size_t)N * sizeof(double));
        gtd_prev = gtd_new;
        if (directional_evaluate(opt, closure, ctx, t, d, &f_new, g_new) < 0) return -1;
        ls_func_evals++;
        gtd_new = dot(g_new, d, N);
        ls_iter++;
    }
    if (ls_iter == max_ls) {
        bracket[0] = 0, bracket[1] = t;
        bracket_f[0] = f, bracket_f[1] = f_new;
        memcpy(bg[0], g, (size_t)N * sizeof(double));
        memcpy(bg[1], g_new, (size_t)N * sizeof(double));
        nbracket = 2;
    }
    bool insuf_progress = false;
    int low_pos = bracket_f[0] <= bracket_f[nbracket - 1] ? 0 : 1, high_pos = 1 - low_pos;
    while (!done && ls_iter < max_ls) {
        if (fabs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                              bracket_gtd[1], NULL);
        double bmax = fmax(bracket[0], bracket[1]), bmin = fmin(bracket[0], bracket[1]);
        double eps = 0.1 * (bmax - bmin);
        if (fmin(bmax - t, t - bmin) < eps) {
            if (insuf_progress || t >= bmax || t <= bmin) {
                if (fabs(t - bmax) < fabs(t - bmin))
                    t = bmax - eps;
                else
                    t = bmin + eps;
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        if (directional_evaluate(opt, closure, ctx, t, d, &f_new, g_new) < 0) return -1;
        ls_func_evals++;
        gtd_new = dot(g_new, d, N);
        ls_iter++;
        if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
            bracket[high_pos] = t;
            bracket_f[high_pos] = f_new;
            memcpy(bg[high_pos], g_new, (size_t)N * sizeof(double));
            bracket_gtd[high_pos] = gtd_new;
            low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
            high_pos = 1 - low_pos;
        } else {
            if (fabs(gtd_new) <= -c2 * gtd) {
                done = true;
            } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
                bracket[high_pos] = bracket[low_pos];
                bracket_f[high_pos] = bracket_f[low_pos];
                memcpy(bg[high_pos], bg[low_pos], (size_t)N * sizeof(double));
                bracket_gtd[high_pos] = bracket_gtd[low_pos];
            }
            bracket[low_pos] = t;
            bracket_f[low_pos] = f_new;
            memcpy(bg[low_pos], g_new, (size_t)N * sizeof(double));
            bracket_gtd[low_pos] = gtd_new;
        }
    }
    *t_io = bracket[low_pos];
    *f_io = bracket_f[low_pos];
    memcpy(g, bg[low_pos], (size_t)N * sizeof(double));
    *evals = ls_func_evals;
    return 0;
}

/* ---------------------------------------------------------------- step */
int ct__lbfgs_step(ct_optimizer *opt, ct_closure_fn closure, void *ctx, double *loss_out) {
    ct__lbfgs *lb = opt->lb;
    const ct_lbfgs_options *o = &opt->o.lbfgs;
    const int64_t N = lb->N;
    double *flat_grad = lb->flat_grad, *d = lb->d;
    double loss;
    if (eval_closure(closure, ctx, &loss) < 0) return -1;
    if (loss_out) *loss_out = loss;
    ct_grad_mode gm = ct_no_grad_begin();
    int rc = -1;
    int current_evals = 1;
    lb->func_evals++;
    if (gather_flat_grad(opt, flat_grad) < 0) goto out;
    bool opt_cond = abs_max(flat_grad, N) <= o->tolerance_grad;
    if (opt_cond) {
        rc = 0;
        goto out;
    }
    int n_iter = 0;
    while (n_iter < o->max_iter) {
        n_iter++;
        lb->n_iter++;
        if (lb->n_iter == 1) {
            for (int64_t i = 0; i < N; i++) d[i] = -flat_grad[i];
            lb->nold = 0;
            lb->H_diag = 1;
            lb->have_d = true;
        } else {
            /* y = g - g_prev and s = d t go into the history when ys > 1e-10
             * (the buffer of the dropped oldest pair is reused). */
            double *y = lb->nold == lb->hist ? lb->old_dirs[0] : NULL;
            double *s = lb->nold == lb->hist ? lb->old_stps[0] : NULL;
            double *ybuf = y ? y : malloc((size_t)(N > 0 ? N : 1) * sizeof(double));
            double *sbuf = s ? s : malloc((size_t)(N > 0 ? N : 1) * sizeof(double));
            if (!ybuf || !sbuf) {
                if (!y) free(ybuf);
                if (!s) free(sbuf);
                ct_set_error(CT_ERR_MEMORY, "LBFGS: out of memory");
                goto out;
            }
            /* compute into q/g_new first: the oldest pair must survive when
             * ys <= 1e-10 */
            double *yt = lb->q, *st = lb->g_new;
            for (int64_t i = 0; i < N; i++) {
                yt[i] = flat_grad[i] - lb->prev_flat_grad[i];
                st[i] = d[i] * lb->t;
            }
            double ys = dot(yt, st, N);
            if (ys > 1e-10) {
                if (lb->nold == lb->hist) {
                    memmove(lb->old_dirs, lb->old_dirs + 1, (size_t)(lb->hist - 1) * sizeof(double *));
                    memmove(lb->old_stps, lb->old_stps + 1, (size_t)(lb->hist - 1) * sizeof(double *));
                    memmove(lb->ro, lb->ro + 1, (size_t)(lb->hist - 1) * sizeof(double));
                    lb->nold--;
                }
                memcpy(ybuf, yt, (size_t)N * sizeof(double));
                memcpy(sbuf, st, (size_t)N * sizeof(double));
                lb->old_dirs[lb->nold] = ybuf;
                lb->old_stps[lb->nold] = sbuf;
                lb->ro[lb->nold] = 1. / ys;
                lb->nold++;
                lb->H_diag = ys / dot(yt, yt, N);
            } else {
                if (!y) free(ybuf);
                if (!s) free(sbuf);
            }
            /* two-loop recursion */
            double *q = lb->q, *al = lb->al;
            for (int64_t i = 0; i < N; i++) q[i] = -flat_grad[i];
            for (int i = lb->nold - 1; i >= 0; i--) {
                al[i] = dot(lb->old_stps[i], q, N) * lb->ro[i];
                const double *od = lb->old_dirs[i];
                for (int64_t k = 0; k < N; k++) q[k] = q[k] + (-al[i]) * od[k];
            }
            for (int64_t k = 0; k < N; k++) d[k] = q[k] * lb->H_diag;
            for (int i = 0; i < lb->nold; i++) {
                double be_i = dot(lb->old_dirs[i], d, N) * lb->ro[i];
                const double *os = lb->old_stps[i];
                for (int64_t k = 0; k < N; k++) d[k] = d[k] + (al[i] - be_i) * os[k];
            }
        }
        memcpy(lb->prev_flat_grad, flat_grad, (size_t)N * sizeof(double));
        lb->have_prev = true;
        lb->prev_loss = loss;
        double t;
        if (lb->n_iter == 1) {
            double s = 0;
            for (int64_t i = 0; i < N; i++) s += fabs(flat_grad[i]);
            t = fmin(1., 1. / s) * o->lr;
        } else {
            t = o->lr;
        }
        double gtd = dot(flat_grad, d, N);
        if (gtd > -o->tolerance_change) {
            lb->t = t;
            break;
        }
        int ls_func_evals = 0;
        if (o->line_search_fn) {
            save_params(opt);
            if (strong_wolfe(opt, closure, ctx, &t, d, &loss, flat_grad, gtd, &ls_func_evals) < 0)
                goto out;
            add_grad(opt, t, d);
            opt_cond = abs_max(flat_grad, N) <= o->tolerance_grad;
        } else {
            add_grad(opt, t, d);
            if (n_iter != o->max_iter) {
                if (eval_closure(closure, ctx, &loss) < 0) goto out;
                if (gather_flat_grad(opt, flat_grad) < 0) goto out;
                opt_cond = abs_max(flat_grad, N) <= o->tolerance_grad;
                ls_func_evals = 1;
            }
        }
        lb->t = t;
        current_evals += ls_func_evals;
        lb->func_evals += ls_func_evals;
        if (n_iter == o->max_iter) break;
        if (current_evals >= o->max_eval) break;
        if (opt_cond) break;
        if (abs_max(d, N) * fabs(t) <= o->tolerance_change) break;
        if (fabs(loss - lb->prev_loss) < o->tolerance_change) break;
    }
    rc = 0;
out:
    ct_grad_mode_end(gm);
    return rc;
}
