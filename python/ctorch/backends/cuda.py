"""torch.backends.cuda: matmul.allow_tf32 selects cuBLAS's TF32 math mode
for float32 products on the GPU (default False, as in PyTorch >= 1.12).
Settable in every build, like torch's."""
from ctorch import _C


class _CuBLASModule:
    def __getattr__(self, name):
        if name == "allow_tf32":
            return _C._cuda_allow_tf32()
        if name == "allow_fp16_reduced_precision_reduction":
            return False
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            _C._cuda_set_allow_tf32(bool(value))
            return
        if name == "allow_fp16_reduced_precision_reduction":
            if value:
                raise NotImplementedError("allow_fp16_reduced_precision_reduction: float16 "
                                          "products run in float32 in ctorch")
            return
        raise AttributeError("Unknown attribute " + name)


matmul = _CuBLASModule()


def is_built():
    return _C._cuda_version() is not None
