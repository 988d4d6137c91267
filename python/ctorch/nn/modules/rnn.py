"""RNN, LSTM, GRU and their cells, composed in Python of C ops (linear,
sigmoid/tanh, chunk, stack) with PyTorch 1.13's parameter names, layout,
initialisation order and gate equations (the input projection of a whole
sequence is one matmul, the recurrence one small matmul per step, as
PyTorch's CPU kernel); PackedSequence inputs run the active rows of each
step. On CPU float32/float64 every layer runs in C instead (ct_rnn_forward_ex:
the fused layers, LSTM projections and packed sequences included); the
Python steps remain for the other dtypes and devices."""
import math
import numbers
import warnings

import ctorch
from ctorch.nn import functional as F
from ctorch.nn import init
from ctorch.nn.parameter import Parameter
from ctorch.nn.modules.module import Module
from ctorch.nn.modules.linear import _factory

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _cell_step(mode, gi, h, c, w_hh, b_hh, w_hr):
    """One recurrence step given the input projection gi = x W_ih^T + b_ih."""
    gh = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = ctorch.sigmoid(f) * c + ctorch.sigmoid(i) * ctorch.tanh(g)
        h = ctorch.sigmoid(o) * ctorch.tanh(c)
        if w_hr is not None:
            h = F.linear(h, w_hr)
        return h, c
    if mode == "GRU":
        ir, iz, inn = gi.chunk(3, 1)
        hr, hz, hn = gh.chunk(3, 1)
        r = ctorch.sigmoid(ir + hr)
        z = ctorch.sigmoid(iz + hz)
        n = ctorch.tanh(inn + r * hn)
        return (h - n) * z + n, None
    pre = gi + gh
    return (ctorch.tanh(pre) if mode == "RNN_TANH" else ctorch.relu(pre)), None


# ct_rnn_mode of include/ctorch/rnn.h
_C_MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}


class RNNBase(Module):
    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        fk = _factory(device, dtype)
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          "expects num_layers greater than 1, but got dropout={} and num_layers={}".format(
                              dropout, num_layers))
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gate_size = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gate_size is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size *= hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                w_ih = Parameter(ctorch.empty((gate_size, layer_input_size), **fk))
                w_hh = Parameter(ctorch.empty((gate_size, real_hidden_size), **fk))
                b_ih = Parameter(ctorch.empty(gate_size, **fk))
                b_hh = Parameter(ctorch.empty(gate_size, **fk))
                if self.proj_size == 0:
                    layer_params = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                else:
                    w_hr = Parameter(ctorch.empty((proj_size, hidden_size), **fk))
                    layer_params = (w_ih, w_hh, b_ih, b_hh, w_hr) if bias else (w_ih, w_hh, w_hr)
                suffix = "_reverse" if direction == 1 else ""
                param_names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    param_names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if self.proj_size > 0:
                    param_names += ["weight_hr_l{}{}"]
                param_names = [x.format(layer, suffix) for x in param_names]
                for name, param in zip(param_names, layer_params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(param_names)
                self._all_weights.append(param_names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def flatten_parameters(self):
        pass

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input, batch_sizes):
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError("input must have {} dimensions, got {}".format(expected_input_dim, input.dim()))
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected {}, got {}".format(
                self.input_size, input.size(-1)))

    def get_expected_hidden_size(self, input, batch_sizes):
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _run(self, x, h0, c0):
        """x [T, B, I] (time-major); h0/c0 [L*D, B, *] -> output, h_n, c_n.
        The whole layer stack runs in C (ct_rnn_forward_ex, include/ctorch/rnn.h),
        LSTM projections (proj_size) included; the steps below are the
        reference for what it computes."""
        if x.size(0) > 0:
            r = ctorch._C._rnn_forward(_C_MODES[self.mode], x, h0, c0, self._flat_weights, self.bias,
                                       self.num_layers, self.dropout, self.training, self.bidirectional, False,
                                       self.proj_size > 0)
            return r[0], r[1], (r[2] if len(r) > 2 else None)
        num_directions = 2 if self.bidirectional else 1
        T = x.size(0)
        per = len(self._flat_weights_names) // (self.num_layers * num_directions)
        weights = self._flat_weights
        layer_input = x
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_directions):
                k = layer * num_directions + d
                ws = weights[k * per:(k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                w_hr = ws[-1] if self.proj_size > 0 else None
                gi_all = F.linear(layer_input, w_ih, b_ih)
                h = h0[k]
                c = c0[k] if c0 is not None else None
                steps = [None] * T
                for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                    h, c = _cell_step(self.mode, gi_all[t], h, c, w_hh, b_hh, w_hr)
                    steps[t] = h
                outs.append(ctorch.stack(steps, 0) if T else ctorch.zeros(0, x.size(1), h.size(-1), dtype=x.dtype, device=x.device))
                hn.append(h)
                if c is not None:
                    cn.append(c)
            layer_input = outs[0] if num_directions == 1 else ctorch.cat(outs, -1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, ctorch.stack(hn, 0), (ctorch.stack(cn, 0) if cn else None)

    def _run_packed(self, data, batch_sizes, h0, c0):
        """data [sum(batch_sizes), I] time-major packed; rows of a step are the
        longest sequences; a finished row keeps its last state."""
        num_directions = 2 if self.bidirectional else 1
        per = len(self._flat_weights_names) // (self.num_layers * num_directions)
        weights = self._flat_weights
        offs = [0]
        for bs in batch_sizes:
            offs.append(offs[-1] + bs)
        T, B = len(batch_sizes), (batch_sizes[0] if batch_sizes else 0)
        layer_input = data
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_directions):
                k = layer * num_directions + d
                ws = weights[k * per:(k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                w_hr = ws[-1] if self.proj_size > 0 else None
                gi_all = F.linear(layer_input, w_ih, b_ih)
                h = h0[k]
                c = c0[k] if c0 is not None else None
                steps = [None] * T
                for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                    bs = batch_sizes[t]
                    hs, cs = _cell_step(self.mode, gi_all[offs[t]:offs[t + 1]], h[:bs],
                                        c[:bs] if c is not None else None, w_hh, b_hh, w_hr)
                    steps[t] = hs
                    h = hs if bs == B else ctorch.cat([hs, h[bs:]], 0)
                    if c is not None:
                        c = cs if bs == B else ctorch.cat([cs, c[bs:]], 0)
                outs.append(ctorch.cat(steps, 0))
                hn.append(h)
                if c is not None:
                    cn.append(c)
            layer_input = outs[0] if num_directions == 1 else ctorch.cat(outs, -1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, ctorch.stack(hn, 0), (ctorch.stack(cn, 0) if cn else None)

    def _forward_packed(self, packed, hx):
        from ctorch.nn.utils.rnn import PackedSequence
        batch_sizes = [int(v) for v in packed.batch_sizes.tolist()]
        B = batch_sizes[0] if batch_sizes else 0
        num_directions = 2 if self.bidirectional else 1
        out_h = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = ctorch.zeros(self.num_layers * num_directions, B, out_h, dtype=packed.data.dtype, device=packed.data.device)
            c0 = ctorch.zeros(self.num_layers * num_directions, B, self.hidden_size, dtype=packed.data.dtype, device=packed.data.device) \
                if lstm else None
        else:
            h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
            if packed.sorted_indices is not None:
                h0 = h0.index_select(1, packed.sorted_indices)
                c0 = c0.index_select(1, packed.sorted_indices) if c0 is not None else None
        if packed.data.dim() != 2 or packed.data.size(-1) != self.input_size:
            self.check_input(packed.data, packed.batch_sizes)
        expected = (self.num_layers * num_directions, B, out_h)
        self.check_hidden_size(h0, expected, "Expected hidden[0] size {}, got {}" if lstm else
                               "Expected hidden size {}, got {}")
        if lstm:
            self.check_hidden_size(c0, (self.num_layers * num_directions, B, self.hidden_size),
                                   "Expected hidden[1] size {}, got {}")
        data = packed.data
        if data.device.type == "cpu" and data.dtype in (ctorch.float32, ctorch.float64) and batch_sizes:
            # the fused C layers over the variable batch of each step
            r = ctorch._C._rnn_forward(_C_MODES[self.mode], data, h0, c0, self._flat_weights, self.bias,
                                       self.num_layers, self.dropout, self.training, self.bidirectional, False,
                                       self.proj_size > 0, batch_sizes)
            out, h, c = r[0], r[1], (r[2] if len(r) > 2 else None)
        else:
            out, h, c = self._run_packed(data, batch_sizes, h0, c0)
        if packed.unsorted_indices is not None:
            h = h.index_select(1, packed.unsorted_indices)
            c = c.index_select(1, packed.unsorted_indices) if c is not None else None
        out = PackedSequence(out, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, ((h, c) if lstm else h)

    def _prepare(self, input):
        # torch 1.13's checks: 2-D or 3-D input, a non-empty sequence
        if input.dim() not in (2, 3):
            raise ValueError("{}: Expected input to be 2-D or 3-D but received {}-D tensor"
                             .format(self.mode if hasattr(self, "mode") else type(self).__name__, input.dim()))
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if input.shape[1 if self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        return input, is_batched, batch_dim

    def _time_major(self, input):
        return input.transpose(0, 1) if self.batch_first else input

    def _finish(self, out, is_batched, batch_dim):
        if self.batch_first:
            out = out.transpose(0, 1)
        return out if is_batched else out.squeeze(batch_dim)


class RNN(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError("Unknown nonlinearity '{}'".format(self.nonlinearity))
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        from ctorch.nn.utils.rnn import PackedSequence
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, is_batched, batch_dim = self._prepare(input)
        if hx is not None:
            if not is_batched:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
            elif hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        max_batch_size = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            num_directions = 2 if self.bidirectional else 1
            hx = ctorch.zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size, dtype=input.dtype, device=input.device)
        self.check_forward_args(input, hx, None)
        out, hidden, _ = self._run(self._time_major(input), hx, None)
        return self._finish(out, is_batched, batch_dim), (hidden if is_batched else hidden.squeeze(1))


class GRU(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    forward = RNN.forward


class LSTM(RNNBase):
    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        from ctorch.nn.utils.rnn import PackedSequence
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, is_batched, batch_dim = self._prepare(input)
        max_batch_size = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            num_directions = 2 if self.bidirectional else 1
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            h_zeros = ctorch.zeros(self.num_layers * num_directions, max_batch_size, real_hidden_size,
                                   dtype=input.dtype, device=input.device)
            c_zeros = ctorch.zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                                   dtype=input.dtype, device=input.device)
            hx = (h_zeros, c_zeros)
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got ({}-D, {}-D) "
                                   "tensors".format(hx[0].dim(), hx[1].dim()))
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got ({}-D, {}-D) "
                                   "tensors".format(hx[0].dim(), hx[1].dim()))
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        out, h, c = self._run(self._time_major(input), hx[0], hx[1])
        if not is_batched:
            h, c = h.squeeze(1), c.squeeze(1)
        return self._finish(out, is_batched, batch_dim), (h, c)


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        fk = _factory(device, dtype)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ctorch.empty((num_chunks * hidden_size, input_size), **fk))
        self.weight_hh = Parameter(ctorch.empty((num_chunks * hidden_size, hidden_size), **fk))
        if bias:
            self.bias_ih = Parameter(ctorch.empty(num_chunks * hidden_size, **fk))
            self.bias_hh = Parameter(ctorch.empty(num_chunks * hidden_size, **fk))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, name, input, hx):
        if input.dim() not in (1, 2):
            raise AssertionError(f"{name}: Expected input to be 1-D or 2-D but received {input.dim()}-D tensor")
        if input.shape[-1] != self.input_size:
            raise RuntimeError("input has inconsistent input_size: got {} expected {}"
                               .format(input.shape[-1], self.input_size))
        return input.dim() == 2


class RNNCell(RNNCellBase):
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched = self._batched("RNNCell", input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ctorch.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError("Unknown nonlinearity: {}".format(self.nonlinearity))
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        ret = ctorch._C._rnn_cell(_C_MODES[mode], input, hx, None, self.weight_ih, self.weight_hh,
                                  self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._batched("LSTMCell", input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = ctorch.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = ctorch._C._rnn_cell(_C_MODES["LSTM"], input, hx[0], hx[1], self.weight_ih, self.weight_hh,
                                   self.bias_ih, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._batched("GRUCell", input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ctorch.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        ret = ctorch._C._rnn_cell(_C_MODES["GRU"], input, hx, None, self.weight_ih, self.weight_hh,
                                  self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
