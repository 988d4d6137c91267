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

/* Number operands of _scalar variants: a Python float for arithmetic and
 * comparisons; for the bitwise ops and shifts a whole s is a Python int
 * (so ct_bitwise_and_scalar(int_tensor, 3) stays integral). */

/* number ** tensor: base is a Python float. */
ct_tensor *ct_pow_scalar_base(double base, const ct_tensor *x);

/* Binary ops without a number form in PyTorch. */
ct_tensor *ct_atan2(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_atan2_(ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_atan2_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_hypot(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_hypot_(ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_hypot_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_maximum(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_maximum_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_minimum(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_minimum_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_and(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_and_(ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_and_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_or(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_or_(ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_or_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_xor(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_xor_(ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_logical_xor_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);

/* lerp: a + weight*(b - a); a, b (and a tensor weight) must share a
 * floating dtype, as in PyTorch. */
ct_tensor *ct_lerp(const ct_tensor *a, const ct_tensor *b, double weight);
ct_tensor *ct_lerp_(ct_tensor *a, const ct_tensor *b, double weight);
ct_tensor *ct_lerp_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b, double weight);
ct_tensor *ct_lerp_tensor(const ct_tensor *a, const ct_tensor *b, const ct_tensor *weight);
ct_tensor *ct_lerp_tensor_(ct_tensor *a, const ct_tensor *b, const ct_tensor *weight);
ct_tensor *ct_lerp_tensor_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b,
                              const ct_tensor *weight);

/* x + value*t1*t2 and x + value*t1/t2 (addcdiv refuses integer inputs). */
ct_tensor *ct_addcmul(const ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value);
ct_tensor *ct_addcmul_(ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value);
ct_tensor *ct_addcmul_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *t1,
                          const ct_tensor *t2, double value);
ct_tensor *ct_addcdiv(const ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value);
ct_tensor *ct_addcdiv_(ct_tensor *x, const ct_tensor *t1, const ct_tensor *t2, double value);
ct_tensor *ct_addcdiv_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *t1,
                          const ct_tensor *t2, double value);

/* clamp with optional bounds: NULL = None (at least one must be given).
 * A whole scalar bound acts as a Python int (clamp(int_tensor, 0) stays
 * integral), a fractional one as a Python float; a NaN input stays NaN. Tensor bounds
 * broadcast and promote; a NaN in any operand gives NaN. */
ct_tensor *ct_clamp(const ct_tensor *x, const double *min, const double *max);
ct_tensor *ct_clamp_(ct_tensor *x, const double *min, const double *max);
ct_tensor *ct_clamp_out(ct_tensor *out, const ct_tensor *x, const double *min, const double *max);
ct_tensor *ct_clamp_tensor(const ct_tensor *x, const ct_tensor *min, const ct_tensor *max);
ct_tensor *ct_clamp_tensor_(ct_tensor *x, const ct_tensor *min, const ct_tensor *max);
ct_tensor *ct_clamp_tensor_out(ct_tensor *out, const ct_tensor *x, const ct_tensor *min,
                               const ct_tensor *max);
ct_tensor *ct_clamp_min(const ct_tensor *x, double min);
ct_tensor *ct_clamp_min_(ct_tensor *x, double min);
ct_tensor *ct_clamp_min_tensor(const ct_tensor *x, const ct_tensor *min);
ct_tensor *ct_clamp_max(const ct_tensor *x, double max);
ct_tensor *ct_clamp_max_(ct_tensor *x, double max);
ct_tensor *ct_clamp_max_tensor(const ct_tensor *x, const ct_tensor *max);

/* cond ? a : b; cond must be bool; a and b promote (wrap numbers with
 * ct_wrapped_float/int). */
ct_tensor *ct_where(const ct_tensor *cond, const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct_where_out(ct_tensor *out, const ct_tensor *cond, const ct_tensor *a,
                        const ct_tensor *b);

/* round to a number of decimals (negative: tens, hundreds...), floating only. */
ct_tensor *ct_round_decimals(const ct_tensor *x, int decimals);
ct_tensor *ct_round_decimals_(ct_tensor *x, int decimals);
ct_tensor *ct_round_decimals_out(ct_tensor *out, const ct_tensor *x, int decimals);

/* NaN -> nan, +inf -> *posinf, -inf -> *neginf; NULL posinf/neginf mean the
 * largest/lowest finite value of x's dtype. Integer inputs are copied. */
ct_tensor *ct_nan_to_num(const ct_tensor *x, double nan, const double *posinf,
                         const double *neginf);
ct_tensor *ct_nan_to_num_(ct_tensor *x, double nan, const double *posinf, const double *neginf);
ct_tensor *ct_nan_to_num_out(ct_tensor *out, const ct_tensor *x, double nan,
                             const double *posinf, const double *neginf);

/* Predicates (bool results; no in-place form in PyTorch). */
ct_tensor *ct_isnan(const ct_tensor *x);
ct_tensor *ct_isinf(const ct_tensor *x);
ct_tensor *ct_isfinite(const ct_tensor *x);

/* Activations. Floating inputs only, except relu (integers too, not bool)
 * and hardtanh (integers too). */
ct_tensor *ct_relu(const ct_tensor *x);
ct_tensor *ct_relu_(ct_tensor *x);
/* eps < 0: no clamping (PyTorch's eps=None); else x is clamped to [eps, 1-eps]. */
ct_tensor *ct_logit(const ct_tensor *x, double eps);
ct_tensor *ct_logit_(ct_tensor *x, double eps);
ct_tensor *ct_logit_out(ct_tensor *out, const ct_tensor *x, double eps);
/* approximate: "none" (or NULL) or "tanh". */
ct_tensor *ct_gelu(const ct_tensor *x, const char *approximate);
ct_tensor *ct_gelu_(ct_tensor *x, const char *approximate);
ct_tensor *ct_silu(const ct_tensor *x);
ct_tensor *ct_silu_(ct_tensor *x);
ct_tensor *ct_softplus(const ct_tensor *x, double beta, double threshold); /* PyTorch: 1, 20 */
ct_tensor *ct_elu(const ct_tensor *x, double alpha);                      /* PyTorch: 1 */
ct_tensor *ct_elu_(ct_tensor *x, double alpha);
ct_tensor *ct_leaky_relu(const ct_tensor *x, double negative_slope);      /* PyTorch: 0.01 */
ct_tensor *ct_leaky_relu_(ct_tensor *x, double negative_slope);
ct_tensor *ct_hardtanh(const ct_tensor *x, double min_val, double max_val); /* PyTorch: -1, 1 */
ct_tensor *ct_hardtanh_(ct_tensor *x, double min_val, double max_val);

#ifdef __cplusplus
}
#endif
#endif
