/* The second block of CUDA hooks (ct__cuda_ext, internal.h) in a CPU-only
 * build: none; src/cuda/ext.c defines them in a CUDA build. */
#include "internal.h"

#ifndef CT_HAVE_CUDA
const ct_cuda_ext_hooks *const ct__cuda_ext = NULL;
#endif
