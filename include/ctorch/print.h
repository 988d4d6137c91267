/* Printing tensors exactly like PyTorch's repr (torch/_tensor_str.py):
 * the same element formatting, column widths, scientific-mode choice,
 * summarization, line wrapping and dtype/size suffixes (src/core/print.c). */
#ifndef CTORCH_PRINT_H
#define CTORCH_PRINT_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch.set_printoptions. */
typedef struct ct_print_options {
    int precision;    /* digits after the point (4) */
    double threshold; /* summarize with "..." when numel > threshold (1000; INFINITY: never) */
    int edgeitems;    /* items kept at each end of a summarized dim (3) */
    int linewidth;    /* characters per line (80) */
    int sci_mode;     /* -1: chosen per tensor like PyTorch; 0: never; 1: always */
    /* One more suffix written inside the closing parenthesis after the
     * dtype, wrapped to a new line like PyTorch's suffixes: the Python layer
     * passes "requires_grad=True" or "grad_fn=<AddBackward0>". NULL: none. */
    const char *suffix;
} ct_print_options;

#define CT_PRINT_OPTIONS_DEFAULT ((ct_print_options){4, 1000, 3, 80, -1, NULL})

/* Process-wide options used when ct_format gets NULL (suffix ignored). */
void ct_set_printoptions(const ct_print_options *opts);
ct_print_options ct_get_printoptions(void);

/* repr(t) as a new NUL-terminated string; the caller frees it with free().
 * opts NULL = the process-wide options. NULL with an error for tensors not
 * on the CPU or out of memory. */
char *ct_format(const ct_tensor *t, const ct_print_options *opts);
/* Writes ct_format(t, NULL) and a newline to stdout; returns 0 or -1. */
int ct_print(const ct_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
