"""nn.utils.rnn: PackedSequence and the pack/pad helpers, composed of
tensor ops (packing and unpacking are one index_select each, so they are
differentiable). nn.RNN/LSTM/GRU take a PackedSequence and run its steps
with a decreasing batch in C (ct_rnn_forward_ex)."""
from collections import namedtuple

import ctorch
from ctorch.nn import functional as F

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Time-major packed data: batch_sizes[t] sequences are active at step t
    (sorted by decreasing length; sorted_indices maps back to the caller's
    order)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                                 "created manually. They should be instantiated by functions like pack_sequence and "
                                 "pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not isinstance(data, (list, tuple)) or len(data) != 2:
            raise TypeError("PackedSequence(data, batch_sizes) or PackedSequence((data, batch_sizes))")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data.to(...); the index tensors follow data to its device,
        batch_sizes stays on the CPU (as PyTorch's)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        kwargs = {k: v for k, v in kwargs.items() if k not in ("device", "dtype")}
        idx = [None if t is None else t.to(data.device, **kwargs) for t in (self.sorted_indices,
                                                                            self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, idx[0], idx[1])

    def double(self):
        return self.to(dtype=ctorch.float64)

    def float(self):
        return self.to(dtype=ctorch.float32)

    def half(self):
        return self.to(dtype=ctorch.float16)

    def long(self):
        return self.to(dtype=ctorch.int64)

    def int(self):
        return self.to(dtype=ctorch.int32)

    def cpu(self, *args, **kwargs):
        return self

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    output = ctorch.empty_like(permutation)
    output.scatter_(0, permutation, ctorch.arange(0, permutation.numel(), dtype=ctorch.int64))
    return output


def _lengths_list(lengths):
    if isinstance(lengths, ctorch.Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lens = _lengths_list(lengths)
    if enforce_sorted:
        if any(lens[i] < lens[i + 1] for i in range(len(lens) - 1)):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        lt = ctorch.tensor(lens, dtype=ctorch.int64)
        lt, sorted_indices = ctorch.sort(lt, descending=True)
        lens = [int(v) for v in lt.tolist()]
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lens) and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if len(lens) != input.size(1):
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={})".format(
            len(lens), input.size(1)))
    T = lens[0] if lens else 0
    if T > input.size(0):
        raise RuntimeError("Expected sequence length to be at most {}, but got {}".format(input.size(0), T))
    batch_sizes = [sum(1 for n in lens if n > t) for t in range(T)]
    # one gather of the packed rows (position t * B + b of the padded input)
    B = input.size(1)
    rows = ctorch.tensor([t * B + b for t, bs in enumerate(batch_sizes) for b in range(bs)], dtype=ctorch.int64)
    flat = input[:T].reshape([T * B] + list(input.shape[2:]))
    data = flat.index_select(0, rows.to(flat.device))
    return PackedSequence(data, ctorch.tensor(batch_sizes, dtype=ctorch.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    data, batch_sizes = sequence.data, [int(v) for v in sequence.batch_sizes.tolist()]
    T = len(batch_sizes)
    B = batch_sizes[0] if T else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             "got total_length={} and max sequence length being {}".format(total_length, T))
    else:
        total_length = T
    # one gather from the packed rows and one padding row (index N)
    trailing = list(data.shape[1:])
    N = data.size(0)
    src = [N] * (total_length * B)
    k = 0
    for t, bs in enumerate(batch_sizes):
        for b in range(bs):
            src[t * B + b] = k
            k += 1
    fill = ctorch.full([1] + trailing, padding_value, dtype=data.dtype, device=data.device)
    rows = ctorch.tensor(src, dtype=ctorch.int64).to(data.device)
    padded = ctorch.cat([data, fill], 0).index_select(0, rows).reshape([total_length, B] + trailing)
    lengths = [sum(1 for bs in batch_sizes if bs > b) for b in range(B)]
    lengths = ctorch.tensor(lengths, dtype=ctorch.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices)
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0):
    """Pads the first dim of each tensor to the longest (differentiable: F.pad
    + stack)."""
    if isinstance(sequences, ctorch.Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.size(0)
        padded.append(F.pad(s, [0, 0] * (s.dim() - 1) + [0, extra], value=padding_value) if extra else s)
    return ctorch.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = ctorch.tensor([v.size(0) for v in sequences], dtype=ctorch.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
