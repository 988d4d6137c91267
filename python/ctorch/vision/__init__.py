"""ctorch.vision: torchvision's datasets and transforms for ctorch.

Images are uint8 tensors, not PIL images (ctorch has no PIL dependency):
[H, W] for grayscale (MNIST), [H, W, C] for color (CIFAR), the layout of
torchvision's numpy .data. transforms.ToTensor turns them (or PIL images and
NumPy arrays) into float [C, H, W] / 255 exactly as torchvision's ToTensor
does. Datasets whose transforms are all C transforms are loaded by the C
DataLoader without the GIL.
"""
from ctorch.vision import datasets, transforms  # noqa: F401
