/* Derivative of ctc_loss (include/ctorch/def/ctc.def): the beta recursion
 * of src/nn/ctc.c on the saved log_alpha, as PyTorch's ctc_loss_backward.
 * The result is not differentiable again (PyTorch's is not either): under
 * create_graph the node reports an error instead of a gradient that would
 * be silently wrong at second order. */
#include "autograd/ag_internal.h"
#include "nn/ctc_internal.h"

#include <math.h>
#include <stdlib.h>

static int d_ctc_loss(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    if (!ct__ag_needs(n, 0)) return 0;
    if (ct_is_grad_enabled()) {
        ct_set_error(CT_ERR_NOT_IMPL, "ctc_loss: the derivative of ctc_loss's gradient is not implemented "
                                      "(backward with create_graph through ctc_loss)");
        return -1;
    }
    ct_tensor *lp = ct__ag_input(n, 0);
    ct_tensor *la = ct__ag_extra(n, 0), *tg = ct__ag_extra(n, 1), *lens = ct__ag_extra(n, 2);
    if (!lp || !la || !tg || !lens) return -1;
    int64_t T = lp->sizes[0], N = lp->sizes[1], C = lp->sizes[2];
    int64_t Smax = (la->sizes[2] - 1) / 2;
    const int64_t *il = ct_data_ptr(lens), *tl = il + N;
    ct_tensor *lp64 = ct__to_dtype(lp, CT_FLOAT64, false), *lpc = lp64 ? ct__contiguous(lp64) : NULL;
    ct_tensor *g64 = ct__to_dtype(g[0], CT_FLOAT64, false), *gc = g64 ? ct__contiguous(g64) : NULL;
    ct_tensor *grad = ct__empty((int64_t[]){T, N, C}, 3, CT_FLOAT64), *res = NULL;
    double *nll = malloc(sizeof(double) * (size_t)(N ? N : 1));
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(N ? N : 1));
    int rc = -1;
    if (!lpc || !gc || !grad || !nll || !off) {
        if (!nll || !off) ct_set_error(CT_ERR_MEMORY, "ctc_loss_backward: out of memory");
        goto done;
    }
    for (int64_t b = 0; b < N; b++) off[b] = n->args.b[1] ? b * tg->sizes[1] : (b ? off[b - 1] + tl[b - 1] : 0);
    ct__ctc_problem pr = {.lp = ct_data_ptr(lpc), .T = T, .N = N, .C = C, .Smax = Smax, .blank = n->args.i[0],
                          .targets = ct_data_ptr(tg), .tg_offset = off, .input_lengths = il, .target_lengths = tl};
    /* the loss before zero_infinity replaced infinities, from log_alpha */
    const double *lav = ct_data_ptr(la);
    int64_t Lmax = la->sizes[2];
    for (int64_t b = 0; b < N; b++) {
        const double *last = lav + b * T * Lmax + (il[b] - 1) * Lmax;
        if (il[b] == 0) nll[b] = tl[b] == 0 ? 0.0 : INFINITY;
        else if (tl[b] == 0) nll[b] = -last[0];
        else {
            double x = last[2 * tl[b]], y = last[2 * tl[b] - 1], m = x > y ? x : y;
            nll[b] = m == -INFINITY ? INFINITY : -(m + log(exp(x - m) + exp(y - m)));
        }
    }
    if (ct__ctc_backward(&pr, nll, ct_data_ptr(la), ct_data_ptr(gc), n->args.b[0], ct_data_ptr(grad)) < 0)
        goto done;
    if (!(res = ct__to_dtype(grad, lp->dtype, false))) goto done;
    gin[0] = ct_autorelease(res);
    rc = 0;
done:
    free(nll);
    free(off);
    ct_release(lp64);
    ct_release(lpc);
    ct_release(g64);
    ct_release(gc);
    ct_release(grad);
    return rc;
}

void ct__ag_register_ctc(void) {
    /* log_probs (input 0) and the extras: log_alpha, targets, lengths */
    ct__ag_derivs[CT_OP_ctc_loss] = (ct_deriv){d_ctc_loss, 0x1, 1, 0, 0};
}
