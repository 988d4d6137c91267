/* data: public declarations. Ownership: see core.h. */
#ifndef CTORCH_DATA_H
#define CTORCH_DATA_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
