"""The report's pictures: each cell's score against the iteration (the KTH report's figure 4, with a band
over seeds) and each cell's final samples side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from ganlab.report.analysis import Cell

# matplotlib is imported in the functions that draw: it takes a second or more to import, and
# `python -m ganlab.report` answers a mistyped directory or baseline before that.


def save_score_curves(groups: Sequence[tuple[list[Cell], list[str]]], path: Path) -> bool:
    """One panel per (group, score): per cell the mean over its completed seeds at each evaluation, and a
    band of ± one standard deviation. `groups`: (cells, scores) per metric setting. False: nothing to draw."""
    panels = [(index, cells, score) for index, (cells, scores) in enumerate(groups) for score in scores]
    if not panels:
        return False
    from matplotlib.figure import Figure

    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    figure = Figure(figsize=(5 * cols, 3.6 * rows), dpi=100)
    for number, (index, cells, score) in enumerate(panels):
        axes = figure.add_subplot(rows, cols, number + 1)
        for cell in cells:
            steps, means, stds = _band(cell, score)
            if not steps:
                continue
            line = axes.plot(steps, means, marker="o", markersize=3, linewidth=1.2, label=cell.label)[0]
            lows = [mean - std for mean, std in zip(means, stds, strict=True)]
            highs = [mean + std for mean, std in zip(means, stds, strict=True)]
            axes.fill_between(steps, lows, highs, color=line.get_color(), alpha=0.15, linewidth=0)
        title = score.removeprefix("val/") + (f" (group {index + 1})" if len(groups) > 1 else "")
        axes.set(title=title, xlabel="iteration")
        axes.legend(loc="best", fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path)
    return True


def save_final_samples(cells: Sequence[Cell], path: Path) -> bool:
    """Each cell's last sample picture (samples/step_<iteration>.png of its first completed run, lowest
    seed first), side by side under the cell's label. False: no cell has one."""
    shown = [(cell.label, picture) for cell in cells if (picture := _final_picture(cell)) is not None]
    if not shown:
        return False
    import matplotlib.image
    from matplotlib.figure import Figure

    cols = min(4, len(shown))
    rows = math.ceil(len(shown) / cols)
    figure = Figure(figsize=(4 * cols, 4.4 * rows), dpi=100)
    for number, (label, picture) in enumerate(shown):
        axes = figure.add_subplot(rows, cols, number + 1)
        axes.imshow(matplotlib.image.imread(picture))
        axes.set_title(f"{label}\n{picture.parent.parent.name}/{picture.parent.name}/{picture.name}", fontsize="small")
        axes.axis("off")
    figure.tight_layout()
    figure.savefig(path)
    return True


def _band(cell: Cell, score: str) -> tuple[list[int], list[float], list[float]]:
    by_step = cell.values_by_step(score)
    steps = list(by_step)
    means = [math.fsum(by_step[step]) / len(by_step[step]) for step in steps]
    stds = [
        math.sqrt(math.fsum((value - mean) ** 2 for value in by_step[step]) / (len(by_step[step]) - 1))
        if len(by_step[step]) > 1
        else 0.0
        for step, mean in zip(steps, means, strict=True)
    ]
    return steps, means, stds


def _final_picture(cell: Cell) -> Path | None:
    for run in sorted(cell.completed, key=lambda run: str(run.seed)):
        pictures = sorted((run.path / "samples").glob("step_*.png"))
        if pictures:
            return pictures[-1]
    return None
