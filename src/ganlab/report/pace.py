"""How fast each seed gets there (the KTH report compares "the pace with which the model converges").

One target for every cell, taken from the baseline: `fraction` of the way from the median of its seeds'
first evaluations to the median of their last evaluations during training. A seed's pace is the first evaluation
at which its score is at least as good as the target. All of these are the curve's values (`Run.curve`): one
sample size (`metric.num_samples`), because FID and most scores are biased by the sample count and a target taken
from the final, larger evaluation would be a different ruler. Evaluations are every `metric.every_n_steps`
iterations, so the target was reached somewhere after the previous one: the report writes "<= 500". Measuring
every cell against its own curve would call a flat curve fast (90% of no way at all is reached at once).
"""

from __future__ import annotations

import math
from typing import Any

from ganlab.report import statistics
from ganlab.report.outcomes import VALUE, Outcome


def target(baseline: list[Outcome], score: str, fraction: float) -> float | None:
    """The baseline's target value, or None when it has no value to take one from."""
    curves = [item.run.curve(score) for item in baseline if item.kind == VALUE]
    firsts = [curve[0][1] for curve in curves if len(curve) > 1 and math.isfinite(curve[0][1])]
    lasts = [curve[-1][1] for curve in curves if len(curve) > 1 and math.isfinite(curve[-1][1])]
    if not firsts or not lasts:
        return None
    start, end = statistics.median(firsts), statistics.median(lasts)
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
            (step for step, value in item.run.curve(score)
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
