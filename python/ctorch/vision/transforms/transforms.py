"""Transform classes with torchvision's names, arguments and results."""
import sys

import ctorch


def _c_steps(t, state):
    """(C transforms equivalent to t on an image in `state`, the state after
    them), or None when t has no C form there. States: "pil" (a dataset's
    HW/HWC uint8 image), "chw8" (its uint8 CHW copy, while the Python path
    still holds HWC), "chw" (a tensor image, the same in both paths)."""
    get = getattr(t, '_c_steps', None)
    return None if get is None else get(state)


def c_transforms(t):
    """The C transforms equivalent to t applied to a dataset's image (HW/HWC
    uint8), or None: the C DataLoader then is not used."""
    r = _c_steps(t, "pil")
    return None if r is None or r[1] == "chw8" else r[0]


class Compose:
    """Applies transforms in order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def _c_steps(self, state):
        out = []
        for t in self.transforms:
            r = _c_steps(t, state)
            if r is None:
                return None
            out.extend(r[0])
            state = r[1]
        return out, state

    def __repr__(self):
        lines = [self.__class__.__name__ + "("]
        for t in self.transforms:
            lines.append("    {0}".format(t))
        return "\n".join(lines) + "\n)"


def _to_chw_numpy(pic):
    """torchvision's ToTensor for a NumPy array: HWC (or HW) to CHW, uint8
    scaled to float [0, 1], other dtypes unchanged."""
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    img = ctorch.from_numpy(pic.transpose((2, 0, 1)).copy())
    if img.dtype == ctorch.uint8:
        return img.to(dtype=ctorch.get_default_dtype()).div(255)
    return img


class ToTensor:
    """uint8 image [H, W] or [H, W, C] (tensor, NumPy array or PIL image) to
    float32 [C, H, W] in [0, 1]; NumPy arrays of other dtypes are only
    transposed (torchvision's rule)."""

    def __init__(self):
        self._c = ctorch._C._transform_to_tensor()

    def __call__(self, pic):
        if isinstance(pic, ctorch.Tensor):
            if pic.dim() not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
            if pic.dtype == ctorch.uint8:
                return self._c(pic)
            return (pic.unsqueeze(0) if pic.dim() == 2 else pic.permute(2, 0, 1)).contiguous()
        np = sys.modules.get('numpy')
        if np is not None and isinstance(pic, np.ndarray):
            return _to_chw_numpy(pic)
        if type(pic).__module__.startswith('PIL'):
            import numpy as np
            if pic.mode == '1':
                return _to_chw_numpy(np.array(pic, np.uint8) * 255)
            return _to_chw_numpy(np.array(pic))
        raise TypeError(f"pic should be PIL Image, ndarray or uint8 tensor. Got {type(pic)}")

    def _c_steps(self, state):
        if state == "pil":
            return [self._c], "chw"
        if state == "chw8":  # ToTensor(HWC) == ConvertImageDtype(float)(CHW)
            return [_c_convert_float()], "chw"
        return None

    def __repr__(self):
        return self.__class__.__name__ + "()"


_convert_float_c = None


def _c_convert_float():
    global _convert_float_c
    if _convert_float_c is None:
        _convert_float_c = ctorch._C._ctransform("convert_image_dtype", ctorch.float32)
    return _convert_float_c


class Normalize:
    """(x - mean[c]) / std[c] per channel of a float tensor [..., C, H, W]."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace
        m = [float(v) for v in (mean if hasattr(mean, '__len__') else [mean])]
        s = [float(v) for v in (std if hasattr(std, '__len__') else [std])]
        if any(v == 0 for v in s):
            raise ValueError(f"std evaluated to zero after conversion to float32, leading to "
                             f"division by zero.")
        self._m, self._s = m, s
        self._c = ctorch._C._transform_normalize(m, s) if len(m) == len(s) else None

    def __call__(self, tensor):
        if not isinstance(tensor, ctorch.Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). "
                             f"Got tensor.size() = {tuple(tensor.size())}")
        if tensor.dim() == 3 and not self.inplace and self._c is not None:
            return self._c(tensor)
        mean = ctorch.as_tensor(self._m, dtype=tensor.dtype).view(-1, 1, 1)
        std = ctorch.as_tensor(self._s, dtype=tensor.dtype).view(-1, 1, 1)
        if not self.inplace:
            tensor = tensor.clone()
        return tensor.sub_(mean).div_(std)

    def _c_steps(self, state):
        if state != "chw" or self.inplace or self._c is None:
            return None
        return [self._c], state

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """A user function as a transform (runs in Python)."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return self.__class__.__name__ + "()"
