"""Pictures written to the run directory: image grids (torchvision) and 2-D point clouds (matplotlib).

Matplotlib is used through `Figure` directly, not pyplot: no global figure state, no display needed.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from matplotlib.figure import Figure
from PIL import Image
from torchvision.utils import make_grid

from ganlab.images import enlarge_for_display, to_unit_interval
from ganlab.logged_columns import SAMPLE_COUNT, is_score, read_columns
from ganlab.score_names import score_name

PNG_COMPRESS_LEVEL = 1


def image_grid(images: torch.Tensor, value_range: tuple[float, float], nrow: int | None = None) -> torch.Tensor:
    """Float images (N, C, H, W) in `value_range` as one grid (3, H', W') in [0, 1], `nrow` per row
    (near-square by default). Small images are enlarged to whole-pixel blocks
    (`ganlab.images.enlarge_for_display`); white lines part them, so dark backgrounds do not merge."""
    nrow = nrow or math.ceil(math.sqrt(len(images)))
    shown = enlarge_for_display(to_unit_interval(images, value_range))
    return make_grid(shown, nrow=nrow, padding=2, pad_value=1.0)


def save_image_grid(
    images: torch.Tensor, path: Path, value_range: tuple[float, float], nrow: int | None = None
) -> None:
    """Save `image_grid(images, value_range, nrow)` as a PNG: greyscale for single-channel images, else RGB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = image_grid(images, value_range, nrow)[: images.shape[1]]  # make_grid repeats one channel three times
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).to("cpu", torch.uint8)  # as torchvision's save_image rounds
    # zlib's fastest level, greyscale for one channel: a run draws its pictures on the training thread, where
    # encoding dominates a picture's cost at PNG's default level (docs/speed.md); the file is smaller too
    Image.fromarray(pixels.permute(1, 2, 0).squeeze(-1).numpy()).save(path, compress_level=PNG_COMPRESS_LEVEL)


def save_point_clouds(
    real: torch.Tensor,
    fake: torch.Tensor,
    path: Path,
    title: str,
    labels: tuple[str, str] = ("x", "y"),
) -> None:
    """Scatter two (N, 2) point sets, real and generated, on one set of axes (Kim's figure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(5, 4), dpi=100)
    axes = figure.subplots()
    axes.scatter(real[:, 0], real[:, 1], s=6, alpha=0.6, label="real")
    axes.scatter(fake[:, 0], fake[:, 1], s=6, alpha=0.6, label="generated")
    axes.set(title=title, xlabel=labels[0], ylabel=labels[1])
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path)


def save_training_curves(metrics_csv: Path, out_dir: Path) -> list[Path]:
    """From a run's metrics.csv: `losses.png` (D and G losses per iteration, D's accuracies beneath) and,
    when the run was evaluated, `scores.png` (each val/ score against the iteration, with its real-data
    reference as a dashed line). Returns the files written."""
    columns = read_columns(metrics_csv)
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    losses = [key for key in ("train/d_loss", "train/g_loss") if key in columns]
    if losses:
        accuracies = [key for key in ("train/d_acc_real", "train/d_acc_fake") if key in columns]
        figure = Figure(figsize=(7, 5 if accuracies else 3.5), dpi=100)
        axes = figure.subplots(2 if accuracies else 1, 1, sharex=True, squeeze=False)[:, 0]
        for panel, keys, label in ((axes[0], losses, "loss"), (axes[-1], accuracies, "D accuracy")):
            for key in keys:
                steps, values = zip(*columns[key], strict=True)
                panel.plot(steps, values, linewidth=0.8, label=key.removeprefix("train/"))
            panel.set(ylabel=label)
            panel.legend(loc="best")
        axes[-1].set(xlabel="iteration")
        figure.tight_layout()
        figure.savefig(out_dir / "losses.png")
        written.append(out_dir / "losses.png")
    scores = sorted(key for key in columns if is_score(key))
    if scores:
        cols = min(3, len(scores))
        rows = math.ceil(len(scores) / cols)
        figure = Figure(figsize=(4 * cols, 3 * rows), dpi=100)
        counts = [count for _, count in columns.get(SAMPLE_COUNT, [])]
        for index, key in enumerate(scores):
            panel = figure.add_subplot(rows, cols, index + 1)
            curve, final = columns[key], []
            if len(counts) == len(curve):  # the Evaluation's own score: each value's row says its sample count
                final = [entry for entry, count in zip(curve, counts, strict=True) if count != counts[0]]
                curve = [entry for entry, count in zip(curve, counts, strict=True) if count == counts[0]]
                panel.set(ylabel=f"{counts[0]:.0f} samples an evaluation")
            panel.plot(*zip(*curve, strict=True), marker="o", markersize=3, label="generated")
            if final:  # the final evaluation draws more samples, and FID falls as they grow: not a point of the curve
                panel.plot(*zip(*final, strict=True), marker="*", markersize=9, linestyle="none",
                           label=f"final, {max(counts):.0f} samples")  # fmt: skip
            reference = columns.get(key.replace("val/", "val/real_", 1))
            if reference:
                panel.axhline(reference[0][1], linestyle="--", color="grey", label="real data")
            if reference or final:
                panel.legend(loc="best", fontsize="small")
            panel.set(title=score_name(key), xlabel="iteration")
        figure.tight_layout()
        figure.savefig(out_dir / "scores.png")
        written.append(out_dir / "scores.png")
    return written
