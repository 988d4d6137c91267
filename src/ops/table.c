/* The runtime op table, derived from the .def files in include/ctorch/def. */
#include "internal.h"

#define CT__PTRS_UNARY(name)                                                   \
    (void (*)(void))ct_##name, (void (*)(void))ct_##name##_,                   \
        (void (*)(void))ct_##name##_out, NULL
#define CT__PTRS_BINARY(name)                                                  \
    (void (*)(void))ct_##name, (void (*)(void))ct_##name##_,                   \
        (void (*)(void))ct_##name##_out, (void (*)(void))ct_##name##_scalar
#define CT__PTRS_CUSTOM(name) NULL, NULL, NULL, NULL

const ct_op_info ct_op_table[CT_NUM_OPS] = {
#define CT_OP(name, sig, flags, doc) {#name, CT_SIG_##sig, (flags), doc, CT__PTRS_##sig(name)},
#include "ctorch/def/all.def"
#undef CT_OP
};

const ct_op_info *ct_op_find(const char *name) {
    for (int i = 0; i < CT_NUM_OPS; i++)
        if (strcmp(ct_op_table[i].name, name) == 0) return &ct_op_table[i];
    return NULL;
}
