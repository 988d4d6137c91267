"""Transform classes with torchvision's names, arguments and results."""
import numbers
import sys
import warnings
from collections.abc import Sequence
from enum import Enum

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
        self._m, self._s = m, s
        ok = len(m) == len(s) and all(v != 0 for v in s)
        self._c = ctorch._C._transform_normalize(m, s) if ok else None

    def __call__(self, tensor):
        if not isinstance(tensor, ctorch.Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). "
                             f"Got tensor.size() = {tuple(tensor.size())}")
        if any(v == 0 for v in self._s):
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             "leading to division by zero.")
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


# ---------------------------------------------------------------- image transforms in C
class InterpolationMode(Enum):
    """torchvision's interpolation modes; NEAREST and BILINEAR are implemented."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_INTERP = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
               3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
               5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_PAD_MODES = {"constant": 0, "edge": 1, "reflect": 2, "symmetric": 3}


def _interp_code(interpolation):
    if isinstance(interpolation, int):
        interpolation = _PIL_INTERP.get(interpolation, interpolation)
    if interpolation == InterpolationMode.BILINEAR:
        return 0
    if interpolation == InterpolationMode.NEAREST:
        return 1
    raise NotImplementedError(f"interpolation {interpolation} is not implemented in ctorch "
                              f"(NEAREST and BILINEAR are)")


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _padding_list(padding):
    if padding is None:
        return None
    if isinstance(padding, numbers.Number):
        return [int(padding)]
    if not isinstance(padding, Sequence) or len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding) if isinstance(padding, Sequence) else padding} "
                         f"element tuple")
    return [int(p) for p in padding]


def _pad_mode(mode):
    if mode not in _PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return _PAD_MODES[mode]


def _is_pil_like(img):
    """A PIL-like image: HW or HWC uint8 (what ctorch.vision's datasets
    return), a NumPy array or a PIL image. Anything else is a tensor image
    [..., C, H, W] (torchvision's tensor convention)."""
    if isinstance(img, ctorch.Tensor):
        if img.dtype != ctorch.uint8:
            return False
        return img.dim() == 2 or (img.dim() == 3 and img.shape[-1] in (1, 3, 4) and
                                  img.shape[0] not in (1, 3, 4))
    np = sys.modules.get('numpy')
    return (np is not None and isinstance(img, np.ndarray)) or \
        type(img).__module__.startswith('PIL')


def _pil_to_chw(img):
    """(uint8 [C, H, W] view of a PIL-like image, was it 2-d)."""
    if not isinstance(img, ctorch.Tensor):
        import numpy as np
        img = ctorch.from_numpy(np.ascontiguousarray(np.asarray(img)))
    if img.dim() == 2:
        return img.unsqueeze(0), True
    return img.permute(2, 0, 1), False


def _chw_to_pil(t, was_2d):
    t = t.permute(1, 2, 0).contiguous()
    return t.squeeze(-1) if was_2d and t.shape[-1] == 1 else t


class _CImageTransform:
    """A torchvision image transform computed in C. On a tensor image
    [..., C, H, W] it is torchvision's tensor transform; on a PIL-like image
    (HW/HWC uint8) it runs on the CHW view and gives back HWC, so that
    PIL-first pipelines (crop, flip, ..., ToTensor) work unchanged."""
    _c = None

    def __call__(self, img):
        if _is_pil_like(img):
            chw, was_2d = _pil_to_chw(img)
            return _chw_to_pil(self._c(chw), was_2d)
        if not isinstance(img, ctorch.Tensor):
            raise TypeError(f"img should be a tensor or a PIL-like image. Got {type(img)}")
        return self._c(img)

    def _c_steps(self, state):
        if state == "pil":
            return [_c_pil_to_tensor()] + [self._c], "chw8"
        return [self._c], state


_pil_to_tensor_c = None


def _c_pil_to_tensor():
    global _pil_to_tensor_c
    if _pil_to_tensor_c is None:
        _pil_to_tensor_c = ctorch._C._ctransform("pil_to_tensor")
    return _pil_to_tensor_c


class PILToTensor:
    """HW/HWC uint8 image to uint8 [C, H, W], values kept."""

    def __init__(self):
        self._c = _c_pil_to_tensor()

    def __call__(self, pic):
        if not _is_pil_like(pic):
            raise TypeError(f"pic should be PIL Image or a PIL-like uint8 image. Got {type(pic)}")
        chw, _ = _pil_to_chw(pic)
        return chw.contiguous()

    def _c_steps(self, state):
        return ([self._c], "chw8") if state == "pil" else None

    def __repr__(self):
        return self.__class__.__name__ + "()"


class ConvertImageDtype:
    """uint8 image tensor to float (x / 255), or float to float."""

    def __init__(self, dtype):
        self.dtype = dtype
        self._c = ctorch._C._ctransform("convert_image_dtype", dtype)

    def __call__(self, image):
        return self._c(image)

    def _c_steps(self, state):
        return None if state == "pil" else ([self._c], "chw")

    def __repr__(self):
        return f"{self.__class__.__name__}(dtype={self.dtype})"


class Resize(_CImageTransform):
    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=None):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias
        sz = [size] if isinstance(size, int) else list(size)
        self._c = ctorch._C._ctransform("resize", sz, _interp_code(interpolation),
                                        max_size or 0, bool(antialias))

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, interpolation="
                f"{getattr(self.interpolation, 'value', self.interpolation)}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(_CImageTransform):
    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self._c = ctorch._C._ctransform("center_crop", int(self.size[0]), int(self.size[1]))

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(_CImageTransform):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode
        self._c = ctorch._C._ctransform("pad", _padding_list(padding), float(fill),
                                        _pad_mode(padding_mode))

    def __repr__(self):
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop(_CImageTransform):
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self._c = ctorch._C._ctransform("random_crop", int(self.size[0]), int(self.size[1]),
                                        _padding_list(padding), bool(pad_if_needed), float(fill),
                                        _pad_mode(padding_mode))

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop(_CImageTransform):
    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=None):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.antialias = antialias
        self._c = ctorch._C._ctransform("random_resized_crop", int(self.size[0]),
                                        int(self.size[1]), tuple(map(float, scale)),
                                        tuple(map(float, ratio)), _interp_code(interpolation),
                                        bool(antialias))

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, scale="
                f"{tuple(round(s, 4) for s in self.scale)}, ratio="
                f"{tuple(round(r, 4) for r in self.ratio)}, interpolation="
                f"{getattr(self.interpolation, 'value', self.interpolation)}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip(_CImageTransform):
    def __init__(self, p=0.5):
        self.p = p
        self._c = ctorch._C._ctransform("random_horizontal_flip", float(p))

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(_CImageTransform):
    def __init__(self, p=0.5):
        self.p = p
        self._c = ctorch._C._ctransform("random_vertical_flip", float(p))

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}")
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if value[0] == value[1] == center:
        value = None
    return value


class ColorJitter(_CImageTransform):
    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _check_input(brightness, "brightness")
        self.contrast = _check_input(contrast, "contrast")
        self.saturation = _check_input(saturation, "saturation")
        self.hue = _check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)
        pr = [None if v is None else (float(v[0]), float(v[1]))
              for v in (self.brightness, self.contrast, self.saturation, self.hue)]
        self._c = ctorch._C._ctransform("color_jitter", *pr)

    def __repr__(self):
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast="
                f"{self.contrast}, saturation={self.saturation}, hue={self.hue})")


class Grayscale(_CImageTransform):
    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels
        self._c = ctorch._C._ctransform("grayscale", int(num_output_channels))

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomApply:
    """Applies the transforms with probability p (torch.rand(1) drawn, as
    torchvision does); Python only."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p < ctorch.rand(1):
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, transforms={self.transforms})"
