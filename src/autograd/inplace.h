/* Autograd hooks that ops call around in-place writes and views (beyond
 * ct__ag_record of internal.h). */
#ifndef CTORCH_AG_INPLACE_H
#define CTORCH_AG_INPLACE_H

#include "internal.h"

/* Call BEFORE an in-place op `op` writes self (= inputs[0]), when
 * ct__needs_grad(inputs, n): raises PyTorch's errors for a leaf (or a view
 * of a leaf) that requires grad while nothing is written yet, and, when the
 * op's derivative reads the old value of self, keeps a copy of it that the
 * op's ct__ag_record then saves instead of self. Returns 0 or -1. */
int ct__ag_inplace_begin(int op, ct_tensor *self, const ct_tensor *const *inputs, int n);
/* Drops the copy of a begun in-place op that failed before recording. */
void ct__ag_inplace_cancel(void);
/* Marks view (sharing src's storage) as a view of src's base, also when no
 * gradient is recorded: an in-place op on the view with an operand that
 * requires grad then puts the base into the graph (CopySlices). */
int ct__ag_note_view(ct_tensor *view, const ct_tensor *src);

#endif
