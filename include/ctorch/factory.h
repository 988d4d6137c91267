/* factory ops: declarations of the CUSTOM-signature ops of include/ctorch/def/factory.def
 * (UNARY/BINARY ops are declared by ctorch/ops.h). Ownership: see core.h. */
#ifndef CTORCH_FACTORY_H
#define CTORCH_FACTORY_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
