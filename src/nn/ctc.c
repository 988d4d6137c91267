/* CTC loss (Graves et al. 2006), as PyTorch's CPU kernel computes it: the
 * forward is the alpha recursion in log space over the extended target
 * l' = (blank, l1, blank, l2, ..., blank) of length 2 S + 1, the backward
 * the beta recursion and, per time step and class,
 *   dloss/dlp[t, c] = exp(lp[t, c]) - exp(log sum_{s: l'(s) = c} alpha_t(s) beta_t(s) + nll - lp[t, c])
 * (the gradient w.r.t. the log probabilities, assuming they came from a
 * log_softmax, as PyTorch's formula does). Everything is computed in
 * float64 (log_probs converted once); the loss and its gradient are returned
 * in log_probs' dtype. The op records the per-sample loss; the reduction is
 * composed of ops (ctorch/def/ctc.def).
 *
 * On a GPU (ctc_nll_gpu) the same alpha recursion is composed of GPU ops
 * in float64, one step of [N, 2 Smax + 1] ops per time step, and autograd
 * differentiates it: the gradient that gives is the true one,
 * -exp(lcab + nll - lp); a term exp(lp) - detach(exp(lp)) (zero in value)
 * over the steps t < input_length adds PyTorch's exp(lp), so the gradient
 * equals the CPU op's. Unreachable states hold -1e30 instead of -inf (so
 * that no gradient is NaN); a loss above 1e29 is an impossible alignment,
 * returned as inf (0 with zero_infinity, gradient 0). */
#include "nn/ctc_internal.h"
#include "nn/nn_gpu_internal.h"

#include <math.h>
#include <stdlib.h>

#include "ctorch/reduce.h"
#include "ctorch/shape.h"
#include "ctorch/pointwise.h"

/* PyTorch's scalar type names, for its "not implemented for 'Int'" message */
static const char *type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static double lse2(double a, double b) {
    double m = a > b ? a : b;
    if (m == -INFINITY) return -INFINITY;
    return m + log(exp(a - m) + exp(b - m));
}

static double lse3(double a, double b, double c) {
    double m = a > b ? a : b;
    m = m > c ? m : c;
    if (m == -INFINITY) return -INFINITY;
    return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

/* Label of position s of the extended target tg (tl labels). */
static inline int64_t prime(const int64_t *tg, int64_t s, int64_t blank) { return s % 2 ? tg[s / 2] : blank; }

/* alpha_t(s) may come from s - 2 only when l'(s) is a label different
 * from l'(s - 2) (never across a blank, never between repeats) */
static inline bool skip_from_prev(const int64_t *tg, int64_t s) { return s > 1 && s % 2 && tg[s / 2] != tg[s / 2 - 1]; }

void ct__ctc_forward(const ct__ctc_problem *p, double *nll, double *log_alpha) {
    int64_t T = p->T, N = p->N, C = p->C, Lmax = 2 * p->Smax + 1;
#pragma omp parallel for schedule(dynamic) if (T * N * Lmax > CT_GRAIN)
    for (int64_t b = 0; b < N; b++) {
        int64_t il = p->input_lengths[b], tl = p->target_lengths[b], L = 2 * tl + 1;
        const int64_t *tg = p->targets + p->tg_offset[b];
        double *la = log_alpha + b * T * Lmax;
        for (int64_t k = 0; k < T * Lmax; k++) la[k] = -INFINITY;
        if (il == 0) {
            nll[b] = tl == 0 ? 0.0 : INFINITY;
            continue;
        }
#define LP(t, c) p->lp[((t) * N + b) * C + (c)]
        la[0] = LP(0, p->blank);
        if (tl > 0) la[1] = LP(0, tg[0]);
        for (int64_t t = 1; t < il; t++) {
            const double *prev = la + (t - 1) * Lmax;
            double *cur = la + t * Lmax;
            for (int64_t s = 0; s < L; s++) {
                double a = prev[s], a1 = s > 0 ? prev[s - 1] : -INFINITY;
                double a2 = skip_from_prev(tg, s) ? prev[s - 2] : -INFINITY;
                cur[s] = lse3(a, a1, a2) + LP(t, prime(tg, s, p->blank));
            }
        }
        const double *last = la + (il - 1) * Lmax;
        nll[b] = -(tl == 0 ? last[0] : lse2(last[L - 1], last[L - 2]));
    }
}

int ct__ctc_backward(const ct__ctc_problem *p, const double *nll, const double *log_alpha, const double *gout,
                     bool zero_infinity, double *grad) {
    int64_t T = p->T, N = p->N, C = p->C, Lmax = 2 * p->Smax + 1;
    int fail = 0;
#pragma omp parallel for schedule(dynamic) if (T * N * Lmax > CT_GRAIN) reduction(| : fail)
    for (int64_t b = 0; b < N; b++) {
        int64_t il = p->input_lengths[b], tl = p->target_lengths[b], L = 2 * tl + 1;
        const int64_t *tg = p->targets + p->tg_offset[b];
        const double *la = log_alpha + b * T * Lmax;
        for (int64_t t = 0; t < T; t++)
            for (int64_t c = 0; c < C; c++) grad[(t * N + b) * C + c] = 0.0;
        if (il == 0 || (zero_infinity && nll[b] == INFINITY)) continue;
        double *lb = malloc(sizeof(double) * (size_t)(il * L + C));
        if (!lb) {
            fail = 1;
            continue;
        }
        double *lcab = lb + il * L, gr = gout[b], nl = nll[b];
        for (int64_t k = 0; k < il * L; k++) lb[k] = -INFINITY;
        lb[(il - 1) * L + L - 1] = LP(il - 1, p->blank);
        if (tl > 0) lb[(il - 1) * L + L - 2] = LP(il - 1, tg[tl - 1]);
        for (int64_t t = il - 2; t >= 0; t--) {
            const double *next = lb + (t + 1) * L;
            double *cur = lb + t * L;
            for (int64_t s = 0; s < L; s++) {
                double a = next[s], a1 = s < L - 1 ? next[s + 1] : -INFINITY;
                double a2 = s < L - 2 && skip_from_prev(tg, s + 2) ? next[s + 2] : -INFINITY;
                cur[s] = lse3(a, a1, a2) + LP(t, prime(tg, s, p->blank));
            }
        }
        for (int64_t t = 0; t < il; t++) {
            for (int64_t c = 0; c < C; c++) lcab[c] = -INFINITY;
            for (int64_t s = 0; s < L; s++) {
                int64_t c = prime(tg, s, p->blank);
                lcab[c] = lse2(lcab[c], la[t * Lmax + s] + lb[t * L + s]);
            }
            double *gt = grad + (t * N + b) * C;
            for (int64_t c = 0; c < C; c++) {
                double lp = LP(t, c);
                gt[c] = (exp(lp) - exp(lcab[c] + nl - lp)) * gr;
            }
        }
#undef LP
        free(lb);
    }
    if (fail) {
        ct_set_error(CT_ERR_MEMORY, "ctc_loss_backward: out of memory");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ the op */

static int check_lengths(const char *what, const int64_t *v, int64_t n, int64_t N) {
    if (n != N) {
        ct_set_error(CT_ERR_RUNTIME, "ctc_loss: %s must be of size batch_size", what);
        return -1;
    }
    if (N > 0 && !v) {
        ct_set_error(CT_ERR_VALUE, "ctc_loss: %s must not be NULL", what);
        return -1;
    }
    for (int64_t b = 0; b < N; b++)
        if (v[b] < 0) {
            ct_set_error(CT_ERR_RUNTIME, "ctc_loss: %s must be non-negative, but got value %lld (batch %lld)", what,
                         (long long)v[b], (long long)b);
            return -1;
        }
    return 0;
}

/* An impossible alignment's log probability stands in for -inf on a GPU. */
#define CTC_NEG (-1e30)

/* x (float64, on the GPU) filled with v; NULL on error. In the scope. */
static ct_tensor *full_on(const int64_t *sizes, int nd, double v, ct_device dev) {
    ct_tensor *t = ct__empty_on(sizes, nd, CT_FLOAT64, dev);
    if (t && t->numel && ct__cuda->fill(t, v) < 0) {
        ct_release(t);
        return NULL;
    }
    return t ? ct_autorelease(t) : NULL;
}

/* host [n] int64/bool data to a tensor on dev, in the scope */
static ct_tensor *upload(const void *data, const int64_t *sizes, int nd, ct_dtype dt, ct_device dev) {
    ct_tensor *h = ct__empty(sizes, nd, dt), *d = NULL;
    if (h) {
        if (h->numel) memcpy(ct_data_ptr(h), data, (size_t)h->numel * ct_dtype_size(dt));
        d = ct__nn_on(h, dev);
        ct_release(h);
    }
    return d ? ct_autorelease(d) : NULL;
}

/* alpha [N, L] shifted k places to the right along s, CTC_NEG (negs)
 * coming in: alpha(s - k). */
static ct_tensor *shift_right(ct_tensor *alpha, ct_tensor *negs, int64_t k, int64_t L) {
    if (L <= k) return negs;
    ct_tensor *a = ct_narrow(negs, 1, 0, k), *b = a ? ct_narrow(alpha, 1, 0, L - k) : NULL;
    return b ? ct_cat((const ct_tensor *[]){a, b}, 2, 1) : NULL;
}

/* The per-sample loss of lp [T, N, C] on a GPU, composed of differentiable
 * GPU ops (see the top of the file). Owned result in lp's dtype. */
static ct_tensor *ctc_nll_gpu(const ct_tensor *lp, const ct_tensor *targets, const int64_t *il, const int64_t *tl,
                              int64_t blank, bool zero_infinity) {
    int64_t T = lp->sizes[0], N = lp->sizes[1], C = lp->sizes[2];
    ct_device dev = lp->storage->device;
    bool two_d = targets->ndim == 2;
    ct_tensor *tgh = ct__nn_host(targets, CT_INT64);
    if (!tgh) return NULL;
    const int64_t *tv = ct_data_ptr(tgh);
    int64_t Smax = 0, Tmax = 0, off = 0;
    for (int64_t b = 0; b < N; b++) {
        Smax = tl[b] > Smax ? tl[b] : Smax;
        Tmax = il[b] > Tmax ? il[b] : Tmax;
    }
    int64_t L = 2 * Smax + 1, NL = N * L;
    int64_t *lab = malloc(sizeof(int64_t) * (size_t)(NL + 2 * N + 1));
    bool *msk = malloc((size_t)(4 * NL + T * N + 3 * N + 1));
    ct_tensor *r = NULL;
    if (!lab || !msk) {
        ct_set_error(CT_ERR_MEMORY, "ctc_loss: out of memory");
        goto fail;
    }
    int64_t *fin = lab + NL;
    bool *skip = msk, *valid = msk + NL, *init = msk + 2 * NL, *base0 = msk + 3 * NL, *act = msk + 4 * NL;
    bool *finm = act + T * N, *empty = finm + 2 * N;
    for (int64_t b = 0; b < N; b++) {
        const int64_t *tg = tv + (two_d ? b * targets->sizes[1] : off);
        off += two_d ? 0 : tl[b];
        for (int64_t k = 0; k < tl[b]; k++)
            if (tg[k] < 0 || tg[k] >= C || tg[k] == blank) {
                ct_set_error(CT_ERR_INDEX,
                             "ctc_loss: target label %lld (batch %lld, position %lld) is out of range [0, %lld) "
                             "or equal to blank %lld",
                             (long long)tg[k], (long long)b, (long long)k, (long long)C, (long long)blank);
                goto fail;
            }
        int64_t Lb = 2 * tl[b] + 1;
        for (int64_t s = 0; s < L; s++) {
            int64_t i = b * L + s;
            lab[i] = s < Lb && s % 2 ? tg[s / 2] : blank;
            valid[i] = s < Lb;
            skip[i] = s < Lb && skip_from_prev(tg, s);
            init[i] = il[b] > 0 && (s == 0 || (s == 1 && tl[b] > 0));
            base0[i] = s == 0; /* input length 0: alpha = 0 at s = 0 only */
        }
        fin[2 * b] = tl[b] > 0 ? Lb - 1 : 0;
        fin[2 * b + 1] = tl[b] > 0 ? Lb - 2 : 0;
        finm[2 * b] = true;
        finm[2 * b + 1] = tl[b] > 0;
        empty[b] = il[b] == 0;
        for (int64_t t = 0; t < T; t++) act[t * N + b] = t < il[b];
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *labd = upload(lab, (const int64_t[]){1, N, L}, 3, CT_INT64, dev);
    ct_tensor *find = upload(fin, (const int64_t[]){N, 2}, 2, CT_INT64, dev);
    ct_tensor *skipd = upload(skip, (const int64_t[]){N, L}, 2, CT_BOOL, dev);
    ct_tensor *validd = upload(valid, (const int64_t[]){N, L}, 2, CT_BOOL, dev);
    ct_tensor *initd = upload(init, (const int64_t[]){N, L}, 2, CT_BOOL, dev);
    ct_tensor *based = upload(base0, (const int64_t[]){N, L}, 2, CT_BOOL, dev);
    ct_tensor *actd = upload(act, (const int64_t[]){T, N, 1}, 3, CT_BOOL, dev);
    ct_tensor *finmd = upload(finm, (const int64_t[]){N, 2}, 2, CT_BOOL, dev);
    ct_tensor *emptyd = upload(empty, (const int64_t[]){N, 1}, 2, CT_BOOL, dev);
    ct_tensor *negs = full_on((const int64_t[]){N, L}, 2, CTC_NEG, dev);
    ct_tensor *zeros = negs ? full_on((const int64_t[]){N, L}, 2, 0.0, dev) : NULL;
    ct_tensor *neg = ct_wrapped_float(CTC_NEG), *zero = ct_wrapped_float(0.0), *res = NULL;
    if (!labd || !find || !skipd || !validd || !initd || !based || !actd || !finmd || !emptyd || !zeros) goto out;
    /* E[t, b, s] = lp[t, b, l'(s)], -inf clamped to CTC_NEG */
    ct_tensor *lp64 = ct_to_dtype(lp, CT_FLOAT64, false);
    ct_tensor *li = lp64 ? ct_contiguous(ct_expand(labd, (const int64_t[]){T, N, L}, 3)) : NULL;
    ct_tensor *E = li ? ct_gather(lp64, 2, li) : NULL;
    E = E ? ct_clamp_min(E, CTC_NEG) : NULL;
    ct_tensor *E0 = E ? ct_select(E, 0, 0) : NULL;
    ct_tensor *alpha = E0 ? ct_where(initd, E0, neg) : NULL;
    ct_tensor *a0 = alpha ? ct_where(based, zeros, negs) : NULL;
    alpha = a0 ? ct_where(emptyd, a0, alpha) : NULL;
    for (int64_t t = 1; alpha && t < Tmax; t++) {
        ct_tensor *a1 = shift_right(alpha, negs, 1, L), *a2 = a1 ? shift_right(alpha, negs, 2, L) : NULL;
        a2 = a2 ? ct_where(skipd, a2, neg) : NULL;
        ct_tensor *st = a1 && a2 ? ct_stack((const ct_tensor *[]){alpha, a1, a2}, 3, 0) : NULL;
        ct_tensor *nw = st ? ct_logsumexp(st, (const int[]){0}, 1, false) : NULL;
        ct_tensor *Et = nw ? ct_select(E, 0, t) : NULL;
        nw = Et ? ct_add(nw, Et) : NULL;
        nw = nw ? ct_where(validd, nw, neg) : NULL;
        ct_tensor *at = nw ? ct_select(actd, 0, t) : NULL;
        alpha = at ? ct_where(at, nw, alpha) : NULL;
    }
    ct_tensor *ends = alpha ? ct_gather(alpha, 1, find) : NULL;
    ends = ends ? ct_where(finmd, ends, neg) : NULL;
    ct_tensor *nll = ends ? ct_logsumexp(ends, (const int[]){1}, 1, false) : NULL;
    nll = nll ? ct_neg(nll) : NULL;
    /* PyTorch's exp(lp) term of the gradient (zero in value) */
    ct_tensor *e = nll ? ct_exp(lp64) : NULL;
    ct_tensor *ed = e ? ct_detach(e) : NULL;
    ct_tensor *ex = ed ? ct_sub(e, ed) : NULL;
    ex = ex ? ct_where(actd, ex, zero) : NULL;
    ex = ex ? ct_sum_dims(ex, (const int[]){0, 2}, 2, false, -1) : NULL;
    nll = ex ? ct_add(nll, ex) : NULL;
    ct_tensor *bad = nll ? ct_gt_scalar(nll, 1e29) : NULL;
    nll = bad ? ct_masked_fill(nll, bad, zero_infinity ? 0.0 : INFINITY) : NULL;
    nll = nll ? ct_to_dtype(nll, lp->dtype, false) : NULL;
    if (nll) res = ct_keep(nll);
out:
    ct_scope_end(sc);
    r = res;
fail:
    free(lab), free(msk);
    ct_release(tgh);
    return r;
}

/* The per-sample loss of lp [T, N, C] (recorded); owned result. */
static ct_tensor *ctc_nll(const ct_tensor *lp, const ct_tensor *targets, const int64_t *il, const int64_t *tl,
                          int64_t blank, bool zero_infinity) {
    int64_t T = lp->sizes[0], N = lp->sizes[1], C = lp->sizes[2];
    bool two_d = targets->ndim == 2;
    ct_tensor *lens = ct__empty((int64_t[]){2, N}, 2, CT_INT64);
    ct_tensor *tg64 = ct__to_dtype(targets, CT_INT64, false), *tgc = tg64 ? ct__contiguous(tg64) : NULL;
    ct_tensor *lp64 = ct__to_dtype(lp, CT_FLOAT64, false), *lpc = lp64 ? ct__contiguous(lp64) : NULL;
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(N + 1));
    ct_tensor *nll = ct__empty((int64_t[]){N}, 1, CT_FLOAT64), *la = NULL, *res = NULL;
    if (!lens || !tgc || !lpc || !off || !nll) {
        if (!off) ct_set_error(CT_ERR_MEMORY, "ctc_loss: out of memory");
        goto done;
    }
    int64_t *lv = ct_data_ptr(lens);
    for (int64_t b = 0; b < N; b++) lv[b] = il[b], lv[N + b] = tl[b];
    int64_t Smax = 0;
    for (int64_t b = 0; b < N; b++) {
        off[b] = two_d ? b * targets->sizes[1] : (b ? off[b - 1] + tl[b - 1] : 0);
        Smax = tl[b] > Smax ? tl[b] : Smax;
    }
    const int64_t *tv = ct_data_ptr(tgc);
    for (int64_t b = 0; b < N; b++)
        for (int64_t k = 0; k < tl[b]; k++) {
            int64_t c = tv[off[b] + k];
            if (c < 0 || c >= C || c == blank) {
                ct_set_error(CT_ERR_INDEX,
                             "ctc_loss: target label %lld (batch %lld, position %lld) is out of range [0, %lld) "
                             "or equal to blank %lld",
                             (long long)c, (long long)b, (long long)k, (long long)C, (long long)blank);
                goto done;
            }
        }
    if (!(la = ct__empty((int64_t[]){N, T, 2 * Smax + 1}, 3, CT_FLOAT64))) goto done;
    ct__ctc_problem pr = {.lp = ct_data_ptr(lpc), .T = T, .N = N, .C = C, .Smax = Smax, .blank = blank,
                          .targets = tv, .tg_offset = off, .input_lengths = il, .target_lengths = tl};
    ct__ctc_forward(&pr, ct_data_ptr(nll), ct_data_ptr(la));
    if (zero_infinity) {
        double *v = ct_data_ptr(nll);
        for (int64_t b = 0; b < N; b++)
            if (v[b] == INFINITY) v[b] = 0.0;
    }
    if (!(res = ct__to_dtype(nll, lp->dtype, false))) goto done;
    const ct_tensor *in[1] = {lp};
    if (ct__needs_grad(in, 1)) {
        ct_op_args a;
        memset(&a, 0, sizeof a);
        a.i[0] = blank;
        a.b[0] = zero_infinity;
        a.b[1] = two_d;
        const ct_tensor *ex[3] = {la, tgc, lens};
        if (ct__ag_record(CT_OP_ctc_loss, res, in, 1, ex, 3, &a) < 0) {
            ct_release(res);
            res = NULL;
        }
    }
done:
    free(off);
    ct_release(lens);
    ct_release(tg64);
    ct_release(tgc);
    ct_release(lp64);
    ct_release(lpc);
    ct_release(nll);
    ct_release(la);
    return res;
}

ct_tensor *ct_ctc_loss(const ct_tensor *log_probs, const ct_tensor *targets, const int64_t *input_lengths,
                       int64_t n_input_lengths, const int64_t *target_lengths, int64_t n_target_lengths,
                       int64_t blank, int reduction, bool zero_infinity) {
    if (!log_probs || !targets)
        return CT_FAIL(CT_ERR_VALUE, "ctc_loss: log_probs and targets must not be NULL");
    if (ct__on_cpu(log_probs) && ct__nn_check_dev("ctc_loss", log_probs, targets) < 0) return NULL;
    if (reduction < CT_REDUCTION_NONE || reduction > CT_REDUCTION_SUM)
        return CT_FAIL(CT_ERR_VALUE, "%d is not a valid value for reduction", reduction);
    if (log_probs->dtype != CT_FLOAT32 && log_probs->dtype != CT_FLOAT64)
        return CT_FAIL(CT_ERR_NOT_IMPL, "\"ctc_loss_cpu\" not implemented for '%s'", type_name(log_probs->dtype));
    if (targets->dtype != CT_INT64 && targets->dtype != CT_INT32)
        return CT_FAIL(CT_ERR_RUNTIME, "ctc_loss: expected targets of dtype int64 or int32, but got %s",
                       ct_dtype_name(targets->dtype));
    bool unbatched = log_probs->ndim == 2;
    if (log_probs->ndim != 2 && log_probs->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME, "ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got %s",
                       ct__shp(log_probs));
    if (unbatched && targets->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "ctc_loss: expected 1-d targets for unbatched (T, C) log_probs, got %s",
                       ct__shp(targets));
    if (targets->ndim != 1 && targets->ndim != 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected 1 to 2 dimensions, but got %d-dimensional tensor for argument #2 'targets' "
                       "(while checking arguments for ctc_loss_cpu)", targets->ndim);
    int64_t T = log_probs->sizes[0], N = unbatched ? 1 : log_probs->sizes[1], C = log_probs->sizes[unbatched ? 1 : 2];
    if (blank < 0 || blank >= C) return CT_FAIL(CT_ERR_RUNTIME, "ctc_loss: blank must be in label range");
    if (check_lengths("input_lengths", input_lengths, n_input_lengths, N) < 0 ||
        check_lengths("target_lengths", target_lengths, n_target_lengths, N) < 0)
        return NULL;
    int64_t tsum = 0, tmax = 0;
    for (int64_t b = 0; b < N; b++) {
        if (input_lengths[b] > T)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "Expected input_lengths to have value at most %lld, but got value %lld (while checking "
                           "arguments for ctc_loss_cpu)", (long long)T, (long long)input_lengths[b]);
        tsum += target_lengths[b];
        tmax = target_lengths[b] > tmax ? target_lengths[b] : tmax;
    }
    bool two_d = targets->ndim == 2 && !unbatched;
    if (two_d && targets->sizes[0] != N)
        return CT_FAIL(CT_ERR_RUNTIME, "ctc_loss: expected targets of shape (%lld, S), got %s", (long long)N,
                       ct__shp(targets));
    if (two_d && targets->sizes[1] < tmax)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor to have size at least %lld at dimension 1, but got size %lld for argument "
                       "#2 'targets' (while checking arguments for ctc_loss_cpu)", (long long)tmax,
                       (long long)targets->sizes[1]);
    if (!two_d && !unbatched && targets->sizes[0] != tsum)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor to have size %lld at dimension 0, but got size %lld for argument #2 "
                       "'targets' (while checking arguments for ctc_loss_cpu)", (long long)tsum,
                       (long long)targets->sizes[0]);
    if (unbatched && targets->sizes[0] < tmax)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected tensor to have size at least %lld at dimension 1, but got size %lld for argument "
                       "#2 'targets' (while checking arguments for ctc_loss_cpu)", (long long)tmax,
                       (long long)targets->sizes[0]);

    ct_scope sc = ct_scope_begin();
    ct_tensor *lp = unbatched ? ct_unsqueeze(log_probs, 1) : (ct_tensor *)log_probs;
    ct_tensor *tg = unbatched ? ct_unsqueeze(targets, 0) : (ct_tensor *)targets;
    ct_tensor *r = NULL, *nll = NULL;
    if (lp && tg)
        nll = ct__on_cpu(lp) ? ctc_nll(lp, tg, input_lengths, target_lengths, blank, zero_infinity)
                             : ctc_nll_gpu(lp, tg, input_lengths, target_lengths, blank, zero_infinity);
    if (nll) {
        ct_autorelease(nll);
        if (reduction == CT_REDUCTION_NONE) {
            r = unbatched ? ct_squeeze_dim(nll, 0) : nll;
        } else if (reduction == CT_REDUCTION_SUM) {
            r = ct_sum(nll);
        } else {
            ct_tensor *tlt = ct__empty((int64_t[]){N}, 1, log_probs->dtype);
            if (tlt) {
                for (int64_t b = 0; b < N; b++) {
                    double v = target_lengths[b] > 1 ? (double)target_lengths[b] : 1.0;
                    if (tlt->dtype == CT_FLOAT32) ((float *)ct_data_ptr(tlt))[b] = (float)v;
                    else ((double *)ct_data_ptr(tlt))[b] = v;
                }
                ct_autorelease(tlt);
                if (!ct__on_cpu(nll)) tlt = ct_to_device(tlt, nll->storage->device);
                ct_tensor *q = tlt ? ct_div(nll, tlt) : NULL;
                r = q ? ct_mean(q) : NULL;
            }
        }
    }
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
