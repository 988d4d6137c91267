/* Internal interface of the fused recurrent layers (src/nn/rnn_layer.c,
 * kernels in src/kernels/cpu/rnn_cell.c, derivative in
 * src/autograd/derivatives_rnn.c). Not installed. */
#ifndef CTORCH_RNN_INTERNAL_H
#define CTORCH_RNN_INTERNAL_H

#include "internal.h"
#include "ctorch/rnn.h"

/* Gates per mode (G) and workspace columns per hidden unit (W): one time
 * step of one batch row keeps W*H numbers for the backward:
 *   LSTM: i f g o (activated) and c           (G 4, W 5)
 *   GRU:  r z n (activated) and W_hn h + b_hn (G 3, W 4)
 *   RNN:  nothing (the output h is enough)    (G 1, W 0) */
/* One step of a recurrent layer composed of public ops (rnn.c): h' (and c'
 * for LSTM) from gi [B, G*H] = x W_ih^T + b_ih, in the current scope; -1 on
 * error. Runs on any device. */
int ct__rnn_composed_step(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h,
                          const ct_tensor *c, const ct_tensor *w_hh, const ct_tensor *b_hh,
                          const ct_tensor *w_hr, ct_tensor **h_out, ct_tensor **c_out);

static inline int64_t ct__rnn_gates(ct_rnn_mode m) {
    return m == CT_RNN_LSTM ? 4 : m == CT_RNN_GRU ? 3 : 1;
}
static inline int64_t ct__rnn_ws_cols(ct_rnn_mode m) {
    return m == CT_RNN_LSTM ? 5 : m == CT_RNN_GRU ? 4 : 0;
}

/* One time step of B rows of a fused layer, elementwise (the GEMM h W_hh^T
 * is done by the caller). Row r of a [B, n] operand is at base + r * rs;
 * every row is contiguous. Pointers are to elements of the dtype. */
typedef struct ct__rnn_step {
    ct_rnn_mode mode;
    int64_t B, H;
    const void *gi;     /* [B, G*H] x W_ih^T + b_ih, row stride G*H */
    const void *gh;     /* [B, G*H] h_prev W_hh^T (no bias), row stride G*H */
    const void *bias;   /* [G*H] b_hh or NULL */
    const void *h_prev; /* [B, H] */
    const void *c_prev; /* LSTM: [B, H] with row stride c_prev_rs */
    int64_t c_prev_rs;
    void *ws;           /* [B, W*H] this step's workspace rows */
    void *h;            /* [B, H] the step's output */
} ct__rnn_step;

/* Backward of one step. dh [B, H]: the gradient of this step's h (all of
 * it: output gradient plus the next step's); dc [B, H] (LSTM): in, the
 * gradient of c from later steps and c_n; out, the gradient of c_prev.
 * Writes dgi [B, G*H] (gradient of gi) and dgh [B, G*H] (gradient of the
 * hidden projection h_prev W_hh^T + b_hh; the same buffer as dgi except for
 * GRU), and dh_prev [B, H] the part of h_prev's gradient that does not go
 * through W_hh (GRU: dh * z; nothing for the others). */
typedef struct ct__rnn_step_back {
    ct_rnn_mode mode;
    int64_t B, H;
    const void *ws;     /* as written by the forward */
    const void *c_prev; /* LSTM */
    int64_t c_prev_rs;
    const void *h_prev; /* GRU */
    const void *h;      /* RNN: the step's output */
    const void *dh;
    void *dc;
    void *dgi, *dgh;
    void *dh_prev;
} ct__rnn_step_back;

/* dt: float32 or float64 (the caller checks). */
void ct__rnn_step_forward(ct_dtype dt, const ct__rnn_step *s);
void ct__rnn_step_backward(ct_dtype dt, const ct__rnn_step_back *s);

/* The fused layer's backward (fast path, no graph): from the saved inputs
 * h0, c0, w_hh, w_hr (NULL without projection), the output hs [T, B, R],
 * workspace ws [T, B, W*H], the projection's inputs hp [T, B, H] (with
 * w_hr) and batch_sizes (NULL: every row takes every step), the gradients
 * ghs [T, B, R] and gcn [B, H] (LSTM, may be NULL), computes the gradients
 * of gi, h0, c0, w_hh, b_hh, w_hr (entries of need[] false are left NULL).
 * Results are owned (not in a scope). 0 or -1 with an error. */
int ct__rnn_layer_backward(ct_rnn_mode mode, bool reverse, const ct_tensor *h0, const ct_tensor *c0,
                           const ct_tensor *w_hh, const ct_tensor *w_hr, const ct_tensor *hs, const ct_tensor *ws,
                           const ct_tensor *hp, const int64_t *batch_sizes, const ct_tensor *ghs,
                           const ct_tensor *gcn, const bool need[6], ct_tensor *out[6]);

#endif
