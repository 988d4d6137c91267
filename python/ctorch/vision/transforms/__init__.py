"""torchvision.transforms for ctorch. ToTensor and Normalize run in C
(they are also applied by the C DataLoader's worker threads); Compose of C
transforms stays in C; Lambda is plain Python."""
from ctorch.vision.transforms.transforms import (  # noqa: F401
    Compose, ToTensor, Normalize, Lambda)
