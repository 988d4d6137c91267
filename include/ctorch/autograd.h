/* Autograd: reverse-mode differentiation to any order.
 *
 * A tensor that requires grad records every differentiable op applied to it
 * into a graph of nodes (one per op). ct_backward / ct_grad walk that graph
 * from the outputs to the leaves, each node once, after all of its
 * consumers. Ownership follows core.h: functions returning a tensor hand a
 * new reference to the current scope unless they say "borrowed".
 */
#ifndef CTORCH_AUTOGRAD_H
#define CTORCH_AUTOGRAD_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- modes */
/* Grad mode (thread-local): ops record into the graph only while enabled. */
bool ct_is_grad_enabled(void);
void ct_set_grad_enabled(bool on);
/* Guards: begin returns the previous state, end restores it.
 *     ct_grad_mode g = ct_no_grad_begin(); ...; ct_grad_mode_end(g); */
typedef struct ct_grad_mode { bool prev_grad, prev_inference; } ct_grad_mode;
ct_grad_mode ct_no_grad_begin(void);
ct_grad_mode ct_enable_grad_begin(void);
/* Inference mode: no recording at all, like no_grad (and ends with
 * ct_grad_mode_end); tensors made inside it are never part of a graph. */
ct_grad_mode ct_inference_mode_begin(void);
void ct_grad_mode_end(ct_grad_mode prev);
bool ct_is_inference_mode_enabled(void);

/* Anomaly mode (thread-local): backward checks every node's results for
 * NaN and fails naming the node ("Function 'DivBackward0' returned nan
 * values in its 0th output."). */
void ct_set_detect_anomaly(bool on);
bool ct_is_anomaly_enabled(void);

/* ---------------------------------------------------------------- tensors */
/* Errors (-1) for non-floating dtypes and for non-leaves when on is false. */
int ct_set_requires_grad(ct_tensor *t, bool on);
/* Same, returning t (borrowed) or NULL. */
ct_tensor *ct_requires_grad_(ct_tensor *t, bool on);
static inline bool ct_requires_grad(const ct_tensor *t) { return t->requires_grad; }
/* A leaf: created by the user, not by a recorded op. */
bool ct_is_leaf(const ct_tensor *t);
/* The accumulated gradient (borrowed; NULL if none). */
ct_tensor *ct_tensor_grad(const ct_tensor *t);
/* Replaces .grad (retains g; NULL clears). -1 on shape/dtype mismatch. */
int ct_set_grad(ct_tensor *t, ct_tensor *g);
/* Non-leaf tensors keep their .grad after backward when asked. */
int ct_retain_grad(ct_tensor *t);
bool ct_retains_grad(const ct_tensor *t);
/* Same data (shared storage and version counter), out of the graph. */
ct_tensor *ct_detach(const ct_tensor *t);
/* Takes t out of the graph in place; returns t (borrowed). */
ct_tensor *ct_detach_(ct_tensor *t);

/* ---------------------------------------------------------------- graph */
typedef struct ct_node ct_node;
/* The node that produced t (borrowed; NULL for leaves). */
ct_node *ct_grad_fn(const ct_tensor *t);
int ct_output_nr(const ct_tensor *t);
/* "ExpBackward0", "AccumulateGrad", ... (static string). */
const char *ct_node_name(const ct_node *n);
int ct_node_num_inputs(const ct_node *n);
/* The node feeding input i (borrowed; NULL when that input needs no grad)
 * and which of its outputs (*nr). */
ct_node *ct_node_next(const ct_node *n, int i, int *nr);
/* For AccumulateGrad: the leaf (borrowed). */
ct_tensor *ct_node_variable(const ct_node *n);
void ct_node_retain(ct_node *n);
void ct_node_release(ct_node *n);

/* ---------------------------------------------------------------- backward */
/* Accumulates d(root)/d(leaf) into the .grad of every leaf that requires
 * grad (or only into inputs[0..ninputs) when given). gradient: d(loss)/d(root)
 * (NULL: root must have one element, the gradient is 1). retain_graph keeps
 * saved tensors for another backward; create_graph records the backward
 * itself so that .grad is differentiable. 0 or -1. */
int ct_backward(ct_tensor *root, const ct_tensor *gradient, bool retain_graph,
                bool create_graph, ct_tensor *const *inputs, int ninputs);
/* Several roots at once (gradients may be NULL, or hold NULL entries). */
int ct_backward_multi(ct_tensor *const *roots, const ct_tensor *const *gradients, int n,
                      bool retain_graph, bool create_graph, ct_tensor *const *inputs,
                      int ninputs);
/* out[j] = sum_i d(outputs[i])/d(inputs[j]) . grad_outputs[i], without
 * touching any .grad. out[j] is a new reference (scope rule), or NULL when
 * inputs[j] is unused and allow_unused (an error otherwise). */
int ct_grad(ct_tensor *const *outputs, int n, ct_tensor *const *inputs, int m,
            const ct_tensor *const *grad_outputs, bool retain_graph, bool create_graph,
            bool allow_unused, ct_tensor **out);

/* ---------------------------------------------------------------- hooks */
/* Called with the gradient of t during backward (before it is accumulated
 * or passed on). Set *replace to another tensor to replace the gradient
 * (the engine takes its own reference). Return 0, or -1 after ct_set_error
 * to fail the backward. Returns a handle >= 0 for ct_remove_hook, or -1. */
typedef int (*ct_hook_fn)(ct_tensor *grad, ct_tensor **replace, void *ctx);
int ct_register_hook(ct_tensor *t, ct_hook_fn fn, void *ctx, void (*ctx_free)(void *ctx));
int ct_remove_hook(ct_tensor *t, int handle);

/* ---------------------------------------------------------------- custom functions */
/* A differentiable function written in C. forward computes outputs from
 * inputs (grad mode is off inside it) and stores them in out[0..nout) as
 * new references (scope rule: what ops return is fine). backward gets the
 * output gradients (never NULL: zeros for unused outputs) and sets
 * grad_in[i] (NULL: none) for the inputs that need one. Both return 0 or -1
 * with an error. user is passed through; free_user (if set) runs when the
 * graph node dies. */
typedef struct ct_function_ctx ct_function_ctx;
typedef struct ct_function {
    const char *name; /* node name, e.g. "MyReluBackward" */
    int (*forward)(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                   int nout, void *user);
    int (*backward)(ct_function_ctx *ctx, ct_tensor *const *grad_out, int nout,
                    ct_tensor **grad_in, int nin, void *user);
} ct_function;
/* Runs fn; outputs become part of the graph when an input requires grad. */
int ct_function_apply(const ct_function *fn, void *user, void (*free_user)(void *),
                      const ct_tensor *const *in, int nin, ct_tensor **out, int nout);
/* ctx: valid inside forward and backward. */
int ct_ctx_save_for_backward(ct_function_ctx *ctx, const ct_tensor *const *t, int n);
int ct_ctx_num_saved(const ct_function_ctx *ctx);
/* The i-th saved tensor (borrowed), or NULL with an error when freed or
 * modified in place since. */
ct_tensor *ct_ctx_saved(ct_function_ctx *ctx, int i);
bool ct_ctx_needs_input_grad(const ct_function_ctx *ctx, int i);
/* t (an input) was modified in place by forward. */
int ct_ctx_mark_dirty(ct_function_ctx *ctx, const ct_tensor *t);
/* t (an output) has no gradient. */
int ct_ctx_mark_non_differentiable(ct_function_ctx *ctx, const ct_tensor *t);

/* ---------------------------------------------------------------- checks */
/* fn computes one output from inputs (new reference, scope rule). */
typedef ct_tensor *(*ct_check_fn)(ct_tensor *const *inputs, int n, void *ctx);
/* Compares the analytical Jacobian of fn at inputs (float64 tensors; those
 * that require grad are checked) with central finite differences of step
 * eps: |a - n| <= atol + rtol * |n| elementwise. 0 if it holds, -1 with an
 * error naming the output, input and element otherwise. */
int ct_gradcheck(ct_check_fn fn, void *ctx, ct_tensor *const *inputs, int n, double eps,
                 double atol, double rtol);
/* gradcheck of the map (inputs, v) -> grad(fn(inputs), inputs, v): checks
 * second derivatives. */
int ct_gradgradcheck(ct_check_fn fn, void *ctx, ct_tensor *const *inputs, int n, double eps,
                     double atol, double rtol);

#ifdef __cplusplus
}
#endif
#endif
