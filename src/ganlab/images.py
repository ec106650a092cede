"""Images in one convention, converted in one place.

Inside ganlab an image batch is float (N, C, H, W) in the generator's output range, `value_range`
([-1, 1] for tanh, [0, 1] for sigmoid). At the edges it is uint8: data sets are decoded to uint8 NCHW,
files and npz hold uint8, Inception reads uint8 RGB. Every conversion between the two, and the test of
whether data are images at all (rather than points such as the toy curve's), lives here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

# Pictures of smaller images are enlarged (nearest neighbour, whole pixels) until each image is at least
# this many pixels high: a grid of 8x8 digits would otherwise be a thumbnail.
MIN_DISPLAY_SIDE = 48


def is_image_shape(data_shape: Sequence[int]) -> bool:
    """Whether samples of this shape are images (C, H, W), as opposed to points or vectors."""
    return len(tuple(data_shape)) == 3


def uint8_to_range(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """uint8 pixels (any shape) -> float32 linearly mapped from [0, 255] onto [low, high]."""
    low, high = value_range
    return images.float().mul_((high - low) / 255.0).add_(low)


def to_unit_interval(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Float images in `value_range` -> float in [0, 1]; values outside the range are clipped."""
    low, high = value_range
    return ((images.float() - low) / (high - low)).clamp_(0, 1)


def to_signed_unit_range(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Float images in `value_range` -> float in [-1, 1] (not clipped), what the feature networks read."""
    low, high = value_range
    return (images.float() - low) / (high - low) * 2 - 1


def to_uint8(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Float images in `value_range` -> uint8 in the same layout, rounded, clipped to [0, 255]."""
    return to_unit_interval(images, value_range).mul_(255).round_().to(torch.uint8)


def to_uint8_nhwc(images: torch.Tensor, value_range: tuple[float, float]) -> np.ndarray:
    """Float (N, C, H, W) images in `value_range` -> uint8 numpy (N, H, W, C), the layout of npz files."""
    return to_uint8(images, value_range).permute(0, 2, 3, 1).contiguous().cpu().numpy()


def enlarge_for_display(images: torch.Tensor, min_side: int = MIN_DISPLAY_SIDE) -> torch.Tensor:
    """(N, C, H, W) images repeated into whole-pixel blocks until H >= min_side; larger images unchanged."""
    factor = math.ceil(min_side / images.shape[-2])
    return images if factor <= 1 else F.interpolate(images, scale_factor=factor, mode="nearest")
