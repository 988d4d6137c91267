/* Internal interface of the pointwise family: the kernel ops (one loop per
 * kernel op and dtype, src/kernels/cpu/{unary,binary,pointwise_ternary}.c)
 * and the driver that broadcasts, promotes, allocates and runs them
 * (src/ops/pointwise.c). Not installed. */
#ifndef CTORCH_POINTWISE_INTERNAL_H
#define CTORCH_POINTWISE_INTERNAL_H

#include "internal.h"
#include "ctorch/pointwise.h"

/* Non-tensor arguments of a kernel. Each kernel documents what it reads;
 * f[] holds floating parameters (alpha, eps, beta, ...), i[] the same
 * parameters for integer kernels. err is set by a kernel that meets an
 * input it cannot handle (integer division by zero); the driver turns it
 * into an error after the loop. */
typedef struct ct_pw_ctx {
    double f[4];
    int64_t i[4];
    int err;
} ct_pw_ctx;


#include "ops/pointwise_kops.h"

/* The loop of kernel op kop for the native dtype dt, or NULL when the
 * kernel does not exist for dt. */
ct_loop_fn ct__pw_binary_loop(int kop, ct_dtype dt);
ct_loop_fn ct__pw_unary_loop(int kop, ct_dtype dt);
ct_loop_fn ct__pw_ternary_loop(int kop, ct_dtype dt);
/* SLEEF versions of unary kernels (contiguous fast path inside); NULL where
 * none exists for this build's instruction set. */
ct_loop_fn ct__pw_sleef_loop(int kop, ct_dtype dt);
/* The vector level of the SLEEF loops: 0 none (libm), 1 AVX2, 2 AVX-512.
 * force >= 0 lowers it (tests run both widths); -1 only queries. */
int ct__pw_simd_level(int force);
static inline ct_loop_fn ct__pw_loop(int kop, ct_dtype dt) {
    if (kop < CT_PW_BINARY_END) return ct__pw_binary_loop(kop, dt);
    if (kop < CT_PW_UNARY_END) return ct__pw_unary_loop(kop, dt);
    return ct__pw_ternary_loop(kop, dt);
}

/* PyTorch's name of a dtype in "not implemented for 'Float'" messages. */
const char *ct__pw_torch_name(ct_dtype dt);
/* torch.can_cast(from, to). */
bool ct__pw_can_cast(ct_dtype from, ct_dtype to);

/* How a public op writes its result. */
typedef enum { CT_PW_NEW, CT_PW_INPLACE, CT_PW_OUT } ct_pw_mode;

/* One elementwise computation.
 *   kname: kernel name for "not implemented" errors, as PyTorch names it:
 *     "add" reads "add_cpu"; a CamelCase name ("GeluKernelImpl") is used as is.
 *   out: NULL (CT_PW_NEW), the first input (CT_PW_INPLACE), or the _out tensor.
 *   in[0..nin): inputs, broadcast together. Inputs whose bit is set in
 *     cast_mask are converted to compute_dt first; the others are used as is
 *     (the bool condition of where).
 *   compute_dt: dtype the kernel runs in (float16/bfloat16 run in float32).
 *   result_dt: dtype of the result (compute_dt, or bool for comparisons).
 * Returns a new owned tensor (CT_PW_NEW) or out (borrowed), or NULL with an
 * error. Does not record autograd, bump versions or touch scopes. */
ct_tensor *ct__pw_run(const char *kname, int kop, ct_pw_mode mode, ct_tensor *out, int nin,
                      const ct_tensor *const *in, unsigned cast_mask, ct_dtype compute_dt,
                      ct_dtype result_dt, ct_pw_ctx *ctx);

/* The last step of a public op: records autograd (op_id >= 0 and some input
 * requires grad), bumps the version of in-place/out results, hands new
 * results to the scope. r may be NULL (propagates the error). */
ct_tensor *ct__pw_finish(ct_tensor *r, ct_pw_mode mode, int op_id, const ct_tensor *const *in,
                         int nin, const ct_op_args *args);
/* Fails for out= variants when an input requires grad (PyTorch: out=
 * arguments do not support autograd). For in-place variants it is the
 * autograd hook before the write (ct__ag_inplace_begin of op_id, -1 for an
 * op without autograd): call it after the argument checks, right before
 * ct__pw_run; ct__pw_finish completes it. */
int ct__pw_check_out_grad(const char *name, int op_id, ct_pw_mode mode, const ct_tensor *const *in,
                          int nin);
/* op_id of ops that autograd never sees, not even in place on a leaf that
 * requires grad (logical_and_, ..., as in PyTorch). Ops with an id but not
 * differentiable (comparisons) accept out= with inputs that require grad. */
#define CT__PW_NO_AUTOGRAD (-2)

/* A 0-d tensor living on the caller's stack: for numbers that only the
 * loop reads (never retained, released, or recorded by autograd). */
typedef struct ct_pw_scalar {
    ct_tensor t;
    ct_storage s;
    uint64_t buf;
} ct_pw_scalar;
/* A wrapped float64 number in sl; returns &sl->t. */
ct_tensor *ct__pw_stack_f64(ct_pw_scalar *sl, double v);

/* The number v as a wrapped 0-d operand: a Python int when int_if_whole
 * and v is whole, else a Python float. With keep (autograd will hold the
 * operand) it is an owned tensor returned in *owned too (release it);
 * otherwise it lives in sl and *owned is NULL. NULL on allocation failure. */
const ct_tensor *ct__pw_number(ct_pw_scalar *sl, ct_tensor **owned, double v, bool int_if_whole,
                               bool keep);

/* An owned 0-d wrapped number (not in any scope). */
ct_tensor *ct__pw_wrapped_f64(double v);
ct_tensor *ct__pw_wrapped_i64(int64_t v);

#endif
