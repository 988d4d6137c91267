/* pointwise ops: declarations of the CUSTOM-signature ops of include/ctorch/def/pointwise.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h.
 *
 * Conventions of the whole family (PyTorch's):
 * - Operands broadcast; the computation dtype is ct_result_type of the
 *   operands. Ops defined on floating values only (div, exp, sin, ...)
 *   compute integer and bool inputs in the default dtype.
 * - A `double s` operand of a _scalar variant is a Python float: it never
 *   widens a floating tensor, but an integer tensor op float gives the
 *   default dtype.
 * - In-place (`_`) variants return their first argument; the result type
 *   must be castable to its dtype ("result type Float can't be cast to the
 *   desired output type Long"). `_out` variants need an out of exactly the
 *   broadcast shape.
 * - float16/bfloat16 compute through float32. */
#ifndef CTORCH_POINTWISE_H
#define CTORCH_POINTWISE_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch.result_type: three priorities (tensors with dims > 0, then 0-d
 * tensors, then wrapped numbers); a lower-priority operand only matters when
 * it is of a higher category (bool < integral < floating), and a floating
 * wrapped number counts as the default dtype. NULL operands are skipped. */
ct_dtype ct_result_type(const ct_tensor *a, const ct_tensor *b);
ct_dtype ct_result_type_n(const ct_tensor *const *ts, int n);

/* a + alpha*b, a - alpha*b. For integral results alpha must be a whole
 * number ("For integral input tensors, argument alpha must not be a floating
 * point number"). */
ct_tensor *ct_add_alpha(const ct_tensor *a, const ct_tensor *b, double alpha);
ct_tensor *ct_add_alpha_(ct_tensor *a, const ct_tensor *b, double alpha);
ct_tensor *ct_add_alpha_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double alpha);
ct_tensor *ct_sub_alpha(const ct_tensor *a, const ct_tensor *b, double alpha);
ct_tensor *ct_sub_alpha_(ct_tensor *a, const ct_tensor *b, double alpha);
ct_tensor *ct_sub_alpha_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double alpha);

/* div with rounding_mode NULL (true division), "trunc" or "floor"; the
 * rounded modes keep integer dtypes (integer division by zero is an error). */
ct_tensor *ct_div_mode(const ct_tensor *a, const ct_tensor *b, const char *rounding_mode);
ct_tensor *ct_div_mode_(ct_tensor *a, const ct_tensor *b, const char *rounding_mode);
ct_tensor *ct_div_mode_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                           const char *rounding_mode);
ct_tensor *ct_div_mode_scalar(const ct_tensor *a, double s, const char *rounding_mode);

#ifdef __cplusplus
}
#endif
#endif
