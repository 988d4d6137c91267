/* The op table, expanded: op ids, the runtime table, and the declarations of
 * every UNARY/BINARY op. CUSTOM ops are declared in their family's header. */
#ifndef CTORCH_OPS_H
#define CTORCH_OPS_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CT_F_DIFF 1u
#define CT_F_METHOD 2u
#define CT_F_FUNC 4u

typedef enum ct_op_sig { CT_SIG_UNARY, CT_SIG_BINARY, CT_SIG_CUSTOM } ct_op_sig;

typedef enum ct_op_id {
#define CT_OP(name, sig, flags, doc) CT_OP_##name,
#include "ctorch/def/all.def"
#undef CT_OP
    CT_NUM_OPS
} ct_op_id;

typedef ct_tensor *(*ct_unary_fn)(const ct_tensor *x);
typedef ct_tensor *(*ct_unary_inplace_fn)(ct_tensor *x);
typedef ct_tensor *(*ct_unary_out_fn)(ct_tensor *out, const ct_tensor *x);
typedef ct_tensor *(*ct_binary_fn)(const ct_tensor *a, const ct_tensor *b);
typedef ct_tensor *(*ct_binary_inplace_fn)(ct_tensor *a, const ct_tensor *b);
typedef ct_tensor *(*ct_binary_out_fn)(ct_tensor *out, const ct_tensor *a, const ct_tensor *b);
typedef ct_tensor *(*ct_binary_scalar_fn)(const ct_tensor *a, double s);

typedef struct ct_op_info {
    const char *name;
    ct_op_sig sig;
    unsigned flags;
    const char *doc;
    /* UNARY: fn=ct_unary_fn, inplace, out. BINARY: fn, inplace, out, scalar.
     * CUSTOM: all NULL. */
    void (*fn)(void);
    void (*inplace)(void);
    void (*out)(void);
    void (*scalar)(void);
} ct_op_info;

extern const ct_op_info ct_op_table[CT_NUM_OPS];
/* Lookup by name (linear; not for hot paths). NULL if absent. */
const ct_op_info *ct_op_find(const char *name);

#define CT__DECL_UNARY(name)                                   \
    ct_tensor *ct_##name(const ct_tensor *x);                  \
    ct_tensor *ct_##name##_(ct_tensor *x);                     \
    ct_tensor *ct_##name##_out(ct_tensor *out, const ct_tensor *x);
#define CT__DECL_BINARY(name)                                            \
    ct_tensor *ct_##name(const ct_tensor *a, const ct_tensor *b);        \
    ct_tensor *ct_##name##_(ct_tensor *a, const ct_tensor *b);           \
    ct_tensor *ct_##name##_out(ct_tensor *out, const ct_tensor *a, const ct_tensor *b); \
    ct_tensor *ct_##name##_scalar(const ct_tensor *a, double s);
#define CT__DECL_CUSTOM(name)
#define CT_OP(name, sig, flags, doc) CT__DECL_##sig(name)
#include "ctorch/def/all.def"
#undef CT_OP

#ifdef __cplusplus
}
#endif
#endif
