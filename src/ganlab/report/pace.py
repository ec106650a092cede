"""How fast each seed gets there (the KTH report compares "the pace with which the model converges").

One target for every cell, taken from the baseline: `fraction` of the way from the median of its seeds'
first evaluations to the median of their final values. A seed's pace is the first evaluation at which its
score is at least as good as the target. Evaluations are every `metric.every_n_steps` iterations, so the
target was reached somewhere after the previous one: the report writes "<= 500". Measuring every cell
against its own curve would call a flat curve fast (90% of no way at all is reached at once).
"""

from __future__ import annotations

import math
from typing import Any

from ganlab.report import statistics
from ganlab.report.outcomes import VALUE, Outcome


def target(baseline: list[Outcome], score: str, fraction: float) -> float | None:
    """The baseline's target value, or None when it has no value to take one from."""
    firsts = [item.run.scores[score][0][1] for item in baseline if item.counted and item.run.scores.get(score)]
    finals = [item.value for item in baseline if item.kind == VALUE]
    firsts = [value for value in firsts if math.isfinite(value)]
    if not firsts or not finals:
        return None
    start, end = statistics.median(firsts), statistics.median(finals)
    return start + fraction * (end - start)


def cell_pace(cell: list[Outcome], score: str, goal: float, better: str) -> dict[str, Any]:
    """Each counted seed's first iteration at or past `goal` (None: never), how many got there, and the median
    iteration over the counted seeds (a seed that never got there counts as the slowest; None when the median
    one did not)."""
    seeds = []
    for item in cell:
        if not item.counted:
            continue
        reached = next(
            (step for step, value in item.run.scores.get(score, [])
             if math.isfinite(value) and (value <= goal if better == "lower" else value >= goal)),
            None,
        )  # fmt: skip
        seeds.append({"seed": item.run.seed, "iteration": reached})
    steps = [math.inf if seed["iteration"] is None else seed["iteration"] for seed in seeds]
    middle = statistics.median(steps) if steps else math.inf
    return {
        "reached": sum(seed["iteration"] is not None for seed in seeds),
        "of": len(seeds),
        "median": None if math.isinf(middle) else middle,
        "seeds": seeds,
    }
