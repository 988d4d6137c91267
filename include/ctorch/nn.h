/* nn: public declarations. Ownership: see core.h. */
#ifndef CTORCH_NN_H
#define CTORCH_NN_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
