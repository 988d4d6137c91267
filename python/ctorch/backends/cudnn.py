"""torch.backends.cudnn: ctorch does not call cuDNN yet (convolutions on the
GPU are not implemented), so these flags are accepted and change nothing."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
