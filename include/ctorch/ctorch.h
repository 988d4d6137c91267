/* ctorch: the whole C API. */
#ifndef CTORCH_H
#define CTORCH_H

#include "ctorch/core.h"
#include "ctorch/ops.h"
#include "ctorch/autograd.h"

#endif
