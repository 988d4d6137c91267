/* CTC loss (torch.nn.functional.ctc_loss). Ownership: see core.h. The op
 * is listed in ctorch/def/ctc.def (with what it records for autograd). */
#ifndef CTORCH_CTC_H
#define CTORCH_CTC_H

#include "ctorch/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
 * reduction, zero_infinity). log_probs [T, N, C] float32/float64 (log
 * softmax outputs), or unbatched [T, C] (N = 1); targets int64 or int32:
 * padded [N, S] (S >= max target length) or 1-d, the N targets
 * concatenated (sum of target_lengths elements; unbatched: [S]), each
 * label in [0, C) and not blank. input_lengths and target_lengths hold n
 * values each, n = N (0 <= input length <= T). reduction: CT_REDUCTION_NONE
 * gives [N] (unbatched: 0-d), SUM the sum, MEAN the mean over the batch of
 * each loss divided by its target length (at least 1), as PyTorch.
 * zero_infinity replaces infinite losses (impossible alignments) and their
 * gradients by zeros. The loss is computed in float64 and returned in
 * log_probs' dtype. */
ct_tensor *ct_ctc_loss(const ct_tensor *log_probs, const ct_tensor *targets, const int64_t *input_lengths,
                       int64_t n_input_lengths, const int64_t *target_lengths, int64_t n_target_lengths,
                       int64_t blank, int reduction, bool zero_infinity);

#ifdef __cplusplus
}
#endif
#endif
