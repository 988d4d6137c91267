/* Autograd: grad mode (thread-local). */
#ifndef CTORCH_AUTOGRAD_H
#define CTORCH_AUTOGRAD_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

bool ct_is_grad_enabled(void);
void ct_set_grad_enabled(bool on);

#ifdef __cplusplus
}
#endif
#endif
