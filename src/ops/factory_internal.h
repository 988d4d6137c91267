/* Internal declarations of the factory family (creation, random, printing):
 * the fill kernels of src/kernels/cpu/fill*.c. Not installed. */
#ifndef CTORCH_FACTORY_INTERNAL_H
#define CTORCH_FACTORY_INTERNAL_H

#include "internal.h"

/* Writes v (converted to t's dtype) into every element of t, any strides.
 * No version bump, no autograd. */
void ct__fill_f64(ct_tensor *t, double v);
void ct__fill_i64(ct_tensor *t, int64_t v);
/* Writes the element-sized bit pattern in the low bytes of bits. */
void ct__fill_bits(ct_tensor *t, uint64_t bits);

/* Ranges into a fresh contiguous 1-d tensor t of n = t->numel elements. */
/* t[i] = start + i * step, computed in double (int64 for ct__fill_arange_i64). */
void ct__fill_arange_f64(ct_tensor *t, double start, double step);
void ct__fill_arange_i64(ct_tensor *t, int64_t start, int64_t step);
/* PyTorch's linspace: first half from start, second half back from end. */
void ct__fill_linspace(ct_tensor *t, double start, double end);
void ct__fill_logspace(ct_tensor *t, double start, double end, double base);

#endif
