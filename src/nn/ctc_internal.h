/* Internal interface of the CTC loss (src/nn/ctc.c; derivative in
 * src/autograd/derivatives_ctc.c). Not installed. */
#ifndef CTORCH_CTC_INTERNAL_H
#define CTORCH_CTC_INTERNAL_H

#include "internal.h"
#include "ctorch/ctc.h"

/* One batch of CTC problems, in float64: lp [T, N, C] contiguous; sample
 * b's labels are targets[tg_offset[b] .. + target_lengths[b]), all checked
 * to lie in [0, C) and differ from blank; Smax the largest target length. */
typedef struct ct__ctc_problem {
    const double *lp;
    int64_t T, N, C, Smax, blank;
    const int64_t *targets, *tg_offset, *input_lengths, *target_lengths;
} ct__ctc_problem;

/* nll [N] (inf for an impossible alignment) and log_alpha [N, T, 2 Smax + 1]
 * (-inf where unreachable or past the sample's lengths). */
void ct__ctc_forward(const ct__ctc_problem *p, double *nll, double *log_alpha);
/* grad [T, N, C] = gout[b] * dnll[b]/dlp (PyTorch's formula; zeros past each
 * input length, and for infinite losses under zero_infinity). 0 or -1. */
int ct__ctc_backward(const ct__ctc_problem *p, const double *nll, const double *log_alpha, const double *gout,
                     bool zero_infinity, double *grad);

#endif
