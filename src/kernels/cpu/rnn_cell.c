/* Elementwise kernels of one time step of the fused recurrent layers
 * (src/nn/rnn_layer.c): LSTM, GRU and RNN tanh/relu, forward and backward,
 * over B rows at once. The loops are in rnn_cell_impl.h, one copy per dtype. */
#include "nn/rnn_internal.h"
#include "ops/pointwise_internal.h"

#define T float
#define SUF f32
#include "kernels/cpu/rnn_cell_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "kernels/cpu/rnn_cell_impl.h"
#undef T
#undef SUF

/* The vector loop of a unary kernel op, or its plain loop without SLEEF. */
static ct_loop_fn unary(int kop, ct_dtype dt) {
    ct_loop_fn f = ct__pw_sleef_loop(kop, dt);
    return f ? f : ct__pw_unary_loop(kop, dt);
}

void ct__rnn_step_forward(ct_dtype dt, const ct__rnn_step *s) {
    ct_loop_fn sig = unary(CT_PW_SIGMOID, dt), tnh = unary(CT_PW_TANH, dt);
    if (dt == CT_FLOAT32) step_forward_f32(s, sig, tnh);
    else step_forward_f64(s, sig, tnh);
}

void ct__rnn_step_backward(ct_dtype dt, const ct__rnn_step_back *s) {
    ct_loop_fn tnh = unary(CT_PW_TANH, dt);
    if (dt == CT_FLOAT32) step_backward_f32(s, tnh);
    else step_backward_f64(s, tnh);
}
