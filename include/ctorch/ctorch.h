/* ctorch: the whole C API. */
#ifndef CTORCH_H
#define CTORCH_H

#include "ctorch/core.h"
#include "ctorch/ops.h"
#include "ctorch/pointwise.h"
#include "ctorch/reduce.h"
#include "ctorch/linalg.h"
#include "ctorch/index.h"
#include "ctorch/shape.h"
#include "ctorch/factory.h"
#include "ctorch/nn.h"
#include "ctorch/nn_conv.h"
#include "ctorch/nn_norm.h"
#include "ctorch/nn_extra.h"
#include "ctorch/compare.h"
#include "ctorch/nn_pool2.h"
#include "ctorch/nn_embpool.h"
#include "ctorch/rnn.h"
#include "ctorch/ctc.h"
#include "ctorch/data.h"
#include "ctorch/autograd.h"
#include "ctorch/optim.h"
#include "ctorch/module.h"
#include "ctorch/serialize.h"
#include "ctorch/cuda.h"
#include "ctorch/view_inplace.h"

#endif
