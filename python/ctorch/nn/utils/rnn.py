"""nn.utils.rnn: the padding helpers (PackedSequence and the RNN layers are
not implemented)."""
import ctorch
from ctorch.nn import functional as F

__all__ = ["pad_sequence", "unpad_sequence"]


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
