"""The report's pictures: each score against the iteration (the KTH report's figure 4) with every seed as a
thin line and the cell's median bold, and each cell's samples from its median seed side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from ganlab.report.cells import Cell
from ganlab.report.outcomes import VALUE
from ganlab.score_names import score_name

# matplotlib is imported in the functions that draw: it takes a second or more to import, and
# `python -m ganlab.report` answers a mistyped directory or baseline before that.


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def save_score_curves(panels: Sequence[tuple[str, list[Cell], str, str | None]], path: Path) -> bool:
    """score_figure(panels) saved to `path`; False: nothing to draw."""
    figure = score_figure(panels)
    if figure is not None:
        figure.savefig(path)
    return figure is not None


def score_figure(panels: Sequence[tuple[str, list[Cell], str, str | None]]):
    """One panel per (title, cells, score, which way it improves): each counted seed's curve thin, the median
    over the seeds at each evaluation bold, on a log axis where the values span more than a decade. None:
    nothing to draw."""
    if not panels:
        return None
    from matplotlib.figure import Figure

    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    figure = Figure(figsize=(5.2 * cols, 3.8 * rows), dpi=100)
    for number, (title, cells, score, better) in enumerate(panels):
        axes = figure.add_subplot(rows, cols, number + 1)
        finite = []
        for index, cell in enumerate(cells):
            color = f"C{index % 10}"
            by_step: dict[int, list[float]] = {}
            drawn = 0
            for item in cell.outcomes(score):
                # the curve at one sample size: the final evaluation, of more samples, is no point of it (FID falls
                # as samples grow), and its value is in the report's tables
                history = [(step, value) for step, value in item.run.curve(score) if math.isfinite(value)]
                if not item.counted or not history:
                    continue
                # a score measured once (the memorization audit, at the end) is a point: a line alone would not show
                marker = "o" if len(history) == 1 else None
                axes.plot(*zip(*history, strict=True), color=color, linewidth=0.6, alpha=0.45, marker=marker)
                drawn += 1
                for step, value in history:
                    by_step.setdefault(step, []).append(value)
                finite += [value for _, value in history]
            if by_step:
                steps = sorted(by_step)
                medians = [_median(by_step[step]) for step in steps]
                axes.plot(steps, medians, color=color, linewidth=2.2, marker="o" if len(steps) == 1 else None,
                          label=f"{cell.label} (median of {drawn})")  # fmt: skip
        positive = [value for value in finite if value > 0]
        if positive and len(positive) == len(finite) and max(positive) / min(positive) > 10:
            axes.set_yscale("log")
        direction = {"higher": "higher is better", "lower": "lower is better"}.get(better, "direction unknown")
        axes.set(title=title, xlabel="iteration", ylabel=f"{score_name(score)} ({direction})")
        if axes.get_legend_handles_labels()[0]:  # a panel whose cells drew no curve has nothing to name
            axes.legend(loc="best", fontsize="x-small")
    figure.tight_layout()
    return figure


def median_seed_picture(cell: Cell, score: str) -> tuple[Path, str] | None:
    """The last sample picture of the cell's median-scoring seed on `score` (of the lower middle one, for an
    even count), with a caption naming seed and value; None when no such seed saved a picture."""
    valued = sorted((item for item in cell.outcomes(score) if item.kind == VALUE), key=lambda item: item.value)
    if not valued:
        return None
    middle = valued[(len(valued) - 1) // 2]
    pictures = sorted((middle.run.path / "samples").glob("step_*.png"))
    if not pictures:
        return None
    return pictures[-1], f"seed {middle.run.seed}: {score_name(score)} {middle.value:.3g}"


def save_final_samples(cells: Sequence[Cell], score: str | None, path: Path) -> bool:
    """Each cell's median seed's last sample picture, side by side, titled with cell, seed and score.
    False: no cell has one."""
    import matplotlib.image
    from matplotlib.figure import Figure

    shown = []
    for cell in cells:
        if score and (found := median_seed_picture(cell, score)):
            try:  # a run folder is data: a damaged picture is left out of the figure, not the end of the report
                shown.append((cell.label, matplotlib.image.imread(found[0]), found[1]))
            except (OSError, ValueError, SyntaxError):
                continue
    if not shown:
        return False

    cols = min(4, len(shown))
    rows = math.ceil(len(shown) / cols)
    figure = Figure(figsize=(4 * cols, 4.4 * rows), dpi=100)
    for number, (label, picture, caption) in enumerate(shown):
        axes = figure.add_subplot(rows, cols, number + 1)
        axes.imshow(picture, cmap="gray")  # a grey-level grid reads as one channel
        axes.set_title(f"{label}\n{caption} (the median seed)", fontsize="small")
        axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, bbox_inches="tight")  # a wide row of square images: tight_layout alone cuts their titles
    return True
