/* Embedding and recurrent layers (torch.nn.functional.embedding, RNNCell,
 * LSTMCell, GRUCell, RNN, LSTM, GRU). Ownership: see core.h.
 *
 * On CPU float32/float64 the cells and layers run the fused layer ops
 * below (ctorch/def/rnn.def: one autograd node per layer and direction);
 * elsewhere (other dtypes, CUDA) they are composed of public
 * differentiable ops (linear, sigmoid, tanh, relu, mul, add, sub, chunk,
 * stack, cat, dropout). Gradients work to any order either way. The cells
 * and ct_rnn_forward themselves are plain functions, not entries of the op
 * table.
 *
 * Weights use PyTorch's layout, so state dicts move between the two:
 *   weight_ih [G*H, I], weight_hh [G*H, H], bias_ih [G*H], bias_hh [G*H]
 * with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n;
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). */
#ifndef CTORCH_RNN_H
#define CTORCH_RNN_H

#include "ctorch/ops.h"
#include "ctorch/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.embedding: rows of weight [num, dim] picked by indices (int64 or int32,
 * any shape) -> indices.shape + [dim]. padding_idx is a row in [0, num) or
 * -1 for none (aten's convention; torch.nn.functional normalises negative
 * values first): the picked padding rows get no gradient, so weight.grad's
 * padding_idx row stays zero, as in PyTorch. */
ct_tensor *ct_embedding(const ct_tensor *weight, const ct_tensor *indices, int64_t padding_idx);

typedef enum ct_rnn_mode { CT_RNN_TANH = 0, CT_RNN_RELU, CT_RNN_LSTM, CT_RNN_GRU } ct_rnn_mode;

/* Cells: x [B, I] (or [I], unbatched), hx [B, H] (or [H]) or NULL for
 * zeros. b_ih / b_hh may be NULL (bias=False). The result is h' [B, H]. */
ct_tensor *ct_rnn_tanh_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih,
                            const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh);
ct_tensor *ct_rnn_relu_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih,
                            const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh);
ct_tensor *ct_gru_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *w_ih,
                       const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh);
/* LSTMCell: hx and cx both given or both NULL (zeros); writes h' and c'
 * (both in the current scope). Returns 0, or -1 after ct_set_error. */
int ct_lstm_cell(const ct_tensor *x, const ct_tensor *hx, const ct_tensor *cx, const ct_tensor *w_ih,
                 const ct_tensor *w_hh, const ct_tensor *b_ih, const ct_tensor *b_hh, ct_tensor **h_out,
                 ct_tensor **c_out);

/* A whole multi-layer recurrent layer (torch._VF.rnn_tanh / rnn_relu / lstm
 * / gru). input [T, B, I] ([B, T, I] with batch_first) or unbatched [T, I].
 * hx [L*D, B, H] (unbatched [L*D, H]) or NULL for zeros; cx likewise, LSTM
 * only. params: PyTorch's _flat_weights order, for each layer, for each
 * direction (forward, then reverse): w_ih, w_hh, and b_ih, b_hh when
 * has_biases; nparams = L * D * (has_biases ? 4 : 2). Dropout p applies to
 * the outputs of every layer but the last when training (g: NULL for the
 * default generator). Writes output [T, B, D*H] (batch_first: [B, T, D*H];
 * unbatched [T, D*H]), h_n [L*D, B, H] and, for LSTM, c_n (c_n may be NULL
 * otherwise), all in the current scope. Returns 0, or -1 after
 * ct_set_error. */
int ct_rnn_forward(ct_rnn_mode mode, const ct_tensor *input, const ct_tensor *hx, const ct_tensor *cx,
                   const ct_tensor *const *params, int nparams, bool has_biases, int64_t num_layers,
                   double dropout, bool training, bool bidirectional, bool batch_first, ct_generator *g,
                   ct_tensor **output, ct_tensor **h_n, ct_tensor **c_n);

/* ct_rnn_forward with two more features of PyTorch's layers:
 * has_proj: LSTM projections (nn.LSTM(proj_size = R)): params hold, per
 * layer and direction, w_ih, w_hh [4*H, R], (b_ih, b_hh,) w_hr [R, H]; h
 * has R columns (output [.., D*R], hx and h_n [L*D, B, R]; cx, c_n
 * [L*D, B, H]).
 * batch_sizes (n_batch_sizes = T values, positive, non-increasing; NULL
 * for none): input is a packed sequence's data [sum(batch_sizes), I] (rows
 * of step t are the batch_sizes[t] longest sequences), output its packed
 * output [sum(batch_sizes), D*R]; h_n and c_n hold each sequence's state
 * after its own last step (B = batch_sizes[0] sequences, in packed order);
 * batch_first does not apply. Packed input runs the fused layers only (CPU
 * float32/float64). */
int ct_rnn_forward_ex(ct_rnn_mode mode, const ct_tensor *input, const ct_tensor *hx, const ct_tensor *cx,
                      const ct_tensor *const *params, int nparams, bool has_biases, bool has_proj,
                      int64_t num_layers, double dropout, bool training, bool bidirectional, bool batch_first,
                      const int64_t *batch_sizes, int64_t n_batch_sizes, ct_generator *g, ct_tensor **output,
                      ct_tensor **h_n, ct_tensor **c_n);

/* Fused layers (ops lstm_layer, gru_layer, rnn_layer): one direction of one
 * layer over a whole sequence, recorded as one autograd node; what
 * ct_rnn_forward and the cells run on CPU float32/float64. gi [T, B, G*H]
 * holds the input projections of every step (x W_ih^T + b_ih); h0 (and c0)
 * [B, H] the initial state (not NULL); w_hh [G*H, H]; b_hh [G*H] or NULL.
 * reverse runs the steps from T-1 down to 0 (the backward direction of a
 * bidirectional layer); hs[t] is always the state after step t. Results:
 * hs [T, B, H] (and c_n [B, H], the last cell state), in the current scope.
 * Gradients to any order (the derivative under create_graph is composed of
 * differentiable ops). */
int ct_lstm_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0, const ct_tensor *w_hh,
                  const ct_tensor *b_hh, bool reverse, ct_tensor **hs, ct_tensor **c_n);
ct_tensor *ct_gru_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *w_hh, const ct_tensor *b_hh,
                        bool reverse);
ct_tensor *ct_rnn_layer(const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *w_hh, const ct_tensor *b_hh,
                        bool relu, bool reverse);

/* The general fused layer (the three above are its special cases): mode
 * any ct_rnn_mode. w_hr [R, H] (LSTM only, NULL for none) projects the
 * cell output, h = (o * tanh(c)) W_hr^T, as PyTorch's LSTM(proj_size = R):
 * then h0 and hs have R columns and w_hh is [4*H, R]. batch_sizes (NULL
 * for none) holds T non-increasing counts (<= B): at step t only rows
 * [0, batch_sizes[t]) take the step and the other rows keep their state
 * (hs[t] holds it), which runs a packed sequence whose rows are sorted by
 * decreasing length (forward: a row stops after its last step; reverse:
 * it starts at its last step from h0). c_n is the last cell state of every
 * row (LSTM; c_n may be NULL otherwise). Results in the current scope. */
int ct_recurrent_layer(ct_rnn_mode mode, const ct_tensor *gi, const ct_tensor *h0, const ct_tensor *c0,
                       const ct_tensor *w_hh, const ct_tensor *b_hh, const ct_tensor *w_hr,
                       const int64_t *batch_sizes, bool reverse, ct_tensor **hs, ct_tensor **c_n);

#ifdef __cplusplus
}
#endif
#endif
