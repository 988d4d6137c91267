/* linalg ops: declarations of the CUSTOM-signature ops of include/ctorch/def/linalg.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h. */
#ifndef CTORCH_LINALG_H
#define CTORCH_LINALG_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
