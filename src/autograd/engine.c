/* Autograd engine: grad mode and graph recording.
 * The graph and backward pass are not built yet: recording an op on a tensor
 * that requires grad fails with a clear "not implemented" error. */
#include "internal.h"

static _Thread_local bool grad_disabled;

bool ct_is_grad_enabled(void) { return !grad_disabled; }
void ct_set_grad_enabled(bool on) { grad_disabled = !on; }

bool ct__needs_grad(const ct_tensor *const *inputs, int n) {
    if (grad_disabled) return false;
    for (int i = 0; i < n; i++)
        if (inputs[i] && inputs[i]->requires_grad) return true;
    return false;
}

int ct__ag_record(int op_id, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                  const ct_tensor *const *extra, int nextra, const ct_op_args *args) {
    (void)out;
    (void)inputs;
    (void)ninputs;
    (void)extra;
    (void)nextra;
    (void)args;
    ct_set_error(CT_ERR_NOT_IMPL, "%s: autograd is not implemented yet",
                 (unsigned)op_id < CT_NUM_OPS ? ct_op_table[op_id].name : "?");
    return -1;
}
