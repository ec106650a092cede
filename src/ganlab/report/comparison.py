"""One cell against the baseline on one score: the probability of improvement and its test, the effect in the
score's units, equivalence within a margin, and the verdict in words with the power planned for the study's
declared effect.

A verdict is one of four words. *better* or *worse*: the permutation test of P(improvement) = 1/2 rejects
at 1 - confidence after Holm's correction over the cells compared. *equivalent*: otherwise, when a margin is
declared and the interval of the median difference (at 1 - 2 alpha / comparisons: two one-sided tests,
Bonferroni over the family) lies inside it. *inconclusive*: neither. Then the report says what power these seeds
had for the smallest effect the study declared of interest (`study.effect`), and how many seeds it needs. It
never sizes a study from the effect it observed: that is post-hoc power (Hoenig & Heisey 2001), which only
restates the p-value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ganlab.report import statistics
from ganlab.report.outcomes import VALUE, Outcome, goodness

BETTER, WORSE, EQUIVALENT, INCONCLUSIVE = "better", "worse", "equivalent", "inconclusive"
DECLARED_EFFECT = 0.71  # conf/train.yaml's study.effect: a seed of one cell beats one of the other 7 times in 10


@dataclass
class Comparison:
    n_cell: int  # seeds counted (values and failures); pairs, when paired
    n_baseline: int
    paired: bool
    probability: float  # P(a cell seed beats a baseline seed), ties half, failures the worst outcome
    p_value: float  # two-sided permutation test, before Holm
    probability_interval: tuple[float, float] | None = None  # simultaneous over the family, on the primary
    p_adjusted: float = math.nan
    effect: dict[str, Any] | None = None  # ratio or difference of the medians of the values, with an interval
    equivalence: dict[str, Any] | None = None
    verdict: str = ""
    # planned, not observed: the declared smallest effect of interest (study.effect), the seeds a cell it needs
    # at statistics.POWER, and the power these seeds and the study's maximum give it
    planned: dict[str, Any] | None = None
    detectable: float | None = None  # the smallest |P - 1/2| the current seeds find at statistics.POWER

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _pairs(cell: list[Outcome], baseline: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    """The counted outcomes of the seeds both cells have, in the same order."""
    mine = {str(item.run.seed): item for item in cell if item.counted}
    theirs = {str(item.run.seed): item for item in baseline if item.counted}
    common = [seed for seed in mine if seed in theirs]
    return [mine[seed] for seed in common], [theirs[seed] for seed in common]


def counted_goodness(
    cell: list[Outcome], baseline: list[Outcome], better: str, paired: bool
) -> tuple[list[float], list[float]]:
    """The counted seeds of both sides as goodness (statistics.py): the seeds both have, in order, when paired."""
    if paired:
        cell, baseline = _pairs(cell, baseline)
    mine = [goodness(item, better) for item in cell if item.counted]
    return mine, [goodness(item, better) for item in baseline if item.counted]


def compare(cell: list[Outcome], baseline: list[Outcome], better: str, paired: bool) -> Comparison | None:
    """The test; None when either side has no counted seed (or, paired, no seed in common)."""
    mine, theirs = counted_goodness(cell, baseline, better, paired)
    if not mine or not theirs:
        return None
    return Comparison(
        n_cell=len(mine),
        n_baseline=len(theirs),
        paired=paired,
        probability=statistics.probability_of_improvement(mine, theirs, paired),
        p_value=statistics.improvement_test(mine, theirs, paired),
    )


def describe_effect(cell: list[Outcome], baseline: list[Outcome], confidence: float) -> dict[str, Any] | None:
    """The medians of the values (failures aside), as a ratio where every value is positive, else a difference,
    with a bootstrap interval at `confidence`."""
    mine = [item.value for item in cell if item.kind == VALUE]
    theirs = [item.value for item in baseline if item.kind == VALUE]
    if not mine or not theirs:
        return None
    median_mine, median_theirs = statistics.median(mine), statistics.median(theirs)
    if min(mine + theirs) > 0:
        interval = statistics.ratio_interval(mine, theirs, confidence)
        return {"kind": "ratio", "value": median_mine / median_theirs, "interval": interval}
    interval = statistics.median_difference_interval(mine, theirs, confidence)
    return {"kind": "difference", "value": median_mine - median_theirs, "interval": interval}


def margin_value(margin: Any, baseline: list[Outcome]) -> float | None:
    """The margin in the score's units: a number as given, '10%' as that share of the baseline's median value."""
    if margin is None:
        return None
    if isinstance(margin, str) and margin.endswith("%"):
        values = [item.value for item in baseline if item.kind == VALUE]
        return abs(statistics.median(values)) * float(margin[:-1]) / 100 if values else None
    return float(margin)


def judge(
    comparison: Comparison,
    cell: list[Outcome],
    baseline: list[Outcome],
    better: str,
    alpha: float,
    family: int,
    margin: float | None,
    effect: float = DECLARED_EFFECT,
    max_seeds: int | None = None,
) -> None:
    """Fill in the verdict, the equivalence test and, for an inconclusive one, the planned power for the declared
    `effect` (a P(better)) at these seeds and at `max_seeds` a cell, once `p_adjusted` is known (Holm over `family`
    comparisons at level `alpha`)."""
    per_test = alpha / max(family, 1)  # Holm's strictest step: what the power and equivalence statements use
    if margin is not None:
        mine, theirs = counted_goodness(cell, baseline, better, comparison.paired)
        interval = statistics.median_difference_interval(mine, theirs, 1 - 2 * per_test, comparison.paired)
        if interval is not None and better == "lower":  # back from goodness to the score's own units
            interval = (-interval[1], -interval[0])
        inside = interval is not None and -margin < interval[0] and interval[1] < margin
        comparison.equivalence = {"margin": margin, "interval": interval, "equivalent": inside}
    if comparison.p_adjusted < alpha:
        comparison.verdict = BETTER if comparison.probability > 0.5 else WORSE
        return
    if comparison.equivalence and comparison.equivalence["equivalent"]:
        comparison.verdict = EQUIVALENT
        return
    comparison.verdict = INCONCLUSIVE
    paired, n_cell, n_baseline = comparison.paired, comparison.n_cell, comparison.n_baseline
    comparison.planned = {
        "effect": effect,
        "seeds_needed": statistics.seeds_needed(effect, per_test, paired),
        "power": statistics.power(effect, n_cell, n_baseline, per_test, paired),
        "max_seeds": max_seeds,
        "power_at_max": max_seeds and statistics.power(effect, max_seeds, max_seeds, per_test, paired),
    }
    comparison.detectable = statistics.smallest_detectable(n_cell, n_baseline, per_test, paired)
