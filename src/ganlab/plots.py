"""Pictures written to the run directory: image grids (torchvision) and 2-D point clouds (matplotlib).

Matplotlib is used through `Figure` directly, not pyplot: no global figure state, no display needed.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torchvision.utils import save_image


def save_image_grid(images: torch.Tensor, path: Path, value_range: tuple[float, float]) -> None:
    """Save float images (N, C, H, W) in `value_range` as one near-square grid PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nrow = math.ceil(math.sqrt(len(images)))
    save_image(images.clamp(*value_range), path, nrow=nrow, normalize=True, value_range=value_range, padding=1)


def save_point_clouds(
    real: torch.Tensor,
    fake: torch.Tensor,
    path: Path,
    title: str,
    labels: tuple[str, str] = ("x", "y"),
) -> None:
    """Scatter two (N, 2) point sets, real and generated, on one set of axes (seed 003's figure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(5, 4), dpi=100)
    axes = figure.subplots()
    axes.scatter(real[:, 0], real[:, 1], s=6, alpha=0.6, label="real")
    axes.scatter(fake[:, 0], fake[:, 1], s=6, alpha=0.6, label="generated")
    axes.set(title=title, xlabel=labels[0], ylabel=labels[1])
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path)
