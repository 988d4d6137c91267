/* The second block of CUDA hooks (ct__cuda_ext, internal.h): indexing
 * (index.c). */
#include "internal.h"

int ct__cuda_sg_run(int op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other, int dim,
                    double value, int64_t *bad);

static const ct_cuda_ext_hooks ext_hooks = {
    .sg_run = ct__cuda_sg_run,
};
const ct_cuda_ext_hooks *const ct__cuda_ext = &ext_hooks;
