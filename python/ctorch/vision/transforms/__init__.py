"""torchvision.transforms for ctorch. Every transform but Lambda and
RandomApply runs in C, and a Compose of C transforms is applied by the C
DataLoader's worker threads without the GIL.

Images: a tensor [..., C, H, W] follows torchvision's tensor code path; a
PIL-like image (uint8 [H, W] or [H, W, C] as ctorch.vision's datasets return,
a NumPy array or a PIL image) is transformed through its CHW view and given
back as HWC, so PIL-first pipelines (RandomResizedCrop, flips, ..., then
ToTensor) run unchanged. Resizing follows torchvision's tensor path
(bilinear without antialias by default), not PIL's filters. Random
transforms draw like torchvision from ctorch's default generator (the C
DataLoader: from per-batch generators instead)."""
from ctorch.vision.transforms.transforms import (  # noqa: F401
    Compose, ToTensor, PILToTensor, ConvertImageDtype, Normalize, Lambda, Resize, CenterCrop,
    Pad, RandomCrop, RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, ColorJitter,
    Grayscale, RandomApply, InterpolationMode)
