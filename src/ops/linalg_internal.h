/* Internal declarations of the linalg family (src/ops/linalg*.c). */
#ifndef CT_OPS_LINALG_INTERNAL_H
#define CT_OPS_LINALG_INTERNAL_H

#include "internal.h"

/* PyTorch's ScalarType names ("Float", "Long"), used in its error wording. */
static inline const char *ct__la_type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

/* Records out = op(inputs) when an input requires grad; on failure releases
 * out and returns NULL. Returns out (still owned) otherwise. */
static inline ct_tensor *ct__la_record(int op, ct_tensor *out, const ct_tensor *const *in, int n,
                                       const ct_tensor *const *extra, int nextra,
                                       const ct_op_args *args) {
    if (out && ct__needs_grad(in, n) && ct__ag_record(op, out, in, n, extra, nextra, args) < 0) {
        ct_release(out);
        return NULL;
    }
    return out;
}

#endif
