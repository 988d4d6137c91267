/* index ops: declarations of the CUSTOM-signature ops of include/ctorch/def/index.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h. */
#ifndef CTORCH_INDEX_H
#define CTORCH_INDEX_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
