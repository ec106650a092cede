"""The sequential study's decision rule: a declared design, and what each look decides of a comparison.

A design declares, before any run: the most seeds a cell may get, the seeds a round adds, the family-wise alpha
over every look and comparison, the spending function, and the smallest effect of interest as a probability of
improvement (0.71: a seed of one cell beats a seed of the other seven times in ten). Each comparison gets
alpha / comparisons (Bonferroni across the family), spent over its looks (ganlab.sequential.boundaries).

At a look, a comparison is *better* or *worse* when |P - 1/2| reaches the look's boundary. It is *equivalent* when
the look's repeated confidence interval for P, P +- the boundary, lies inside (1 - effect, effect): the declared
effect is ruled out both ways. Repeated confidence intervals built on a group-sequential boundary cover the true P
at every look at once with chance 1 - alpha (Jennison & Turnbull 1989; 2000, ch. 9), so a true effect of the declared
size is called equivalent with chance at most alpha per comparison (the calibration plants it). It is *futile*, before
the last look, when even the declared effect would reach the last look's boundary with less than
`futility_power` chance from where it stands: conditional power on the Brownian approximation of the rank
statistic (Lan & Wittes 1988; Jennison & Turnbull 2000, ch. 10). Futility never rejects anything, so stopping
for it only lowers the false-alarm rate (a non-binding rule). At the last look, a comparison not decided is
*inconclusive at its maximum*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ganlab.sequential.boundaries import SPENDING, boundaries, nominal_p
from ganlab.value_checks import is_effect

BETTER, WORSE, EQUIVALENT, FUTILE, OPEN = "better", "worse", "equivalent", "futile", "open"
MAXIMUM = "inconclusive at its maximum"


@dataclass(frozen=True)
class Design:
    max_seeds: int  # per cell
    round: int  # new seeds per cell per round
    alpha: float = 0.05  # family-wise, over every look and comparison
    comparisons: int = 1
    spending: str = "obrien_fleming"
    effect: float = 0.71  # the smallest P(better) of interest, or 1 minus it
    futility_power: float = 0.1

    def __post_init__(self) -> None:
        for name, value, ok, allowed in (
            ("max_seeds", self.max_seeds, self.max_seeds >= 2, "an integer >= 2"),
            ("round", self.round, 1 <= self.round <= self.max_seeds, "an integer from 1 to max_seeds"),
            ("alpha", self.alpha, 0 < self.alpha < 1, "a level in (0, 1)"),
            ("comparisons", self.comparisons, self.comparisons >= 1, "an integer >= 1"),
            ("spending", self.spending, self.spending in SPENDING, f"one of {', '.join(SPENDING)}"),
            ("effect", self.effect, is_effect(self.effect), "a P(better) in (0, 1), not 0.5"),
            ("futility_power", self.futility_power, 0 <= self.futility_power < 1, "a chance in [0, 1)"),
        ):
            if not ok:
                raise ValueError(f"study.{name} = {value!r}: must be {allowed}")

    @property
    def looks(self) -> tuple[int, ...]:
        """Seeds a cell has at each look: a round more each time, the last at max_seeds."""
        count = math.ceil(self.max_seeds / self.round)
        return tuple(min(self.round * (index + 1), self.max_seeds) for index in range(count))

    @property
    def boundaries(self) -> tuple[float, ...]:
        return boundaries(self.looks, self.alpha / self.comparisons, self.spending)


@dataclass(frozen=True)
class Look:
    index: int  # 0 for the first look
    seeds: int  # a cell's seeds at this look
    probability: float  # P(better), ties counting half
    boundary: float  # of |P - 1/2|; infinite where these seeds cannot reach it
    p: float  # the look's own fixed-sample p-value, for the reader
    level: float  # the p-value its boundary corresponds to at these seeds (0 where unreachable)
    interval: tuple[float, float]  # the repeated confidence interval for P at this look, clipped to [0, 1]
    conditional_power: float | None  # of the declared effect, before the last look
    state: str  # better, worse, futile, open or inconclusive at its maximum


def null_sd(n: int) -> float:
    """The standard deviation of P with no effect and n seeds a cell (no ties)."""
    return math.sqrt((2 * n + 1) / (12 * n * n))


def conditional_power(design: Design, index: int, probability: float) -> float:
    """The chance, were the declared effect true in the direction the data lean, that the last look reaches its
    boundary from where this look stands (Brownian approximation on the information fraction)."""
    from scipy import stats

    looks, last = design.looks, design.boundaries[-1]
    t = looks[index] / looks[-1]
    z_now = abs(probability - 0.5) / null_sd(looks[index])
    critical, drift = last / null_sd(looks[-1]), abs(design.effect - 0.5) / null_sd(looks[-1])
    return float(1 - stats.norm.cdf((critical - z_now * math.sqrt(t) - drift * (1 - t)) / math.sqrt(1 - t)))


def judge(design: Design, index: int, cell: Sequence[float], baseline: Sequence[float]) -> Look:
    """Look `index` at a comparison: `cell` and `baseline` are the goodness of the look's seeds of each (higher
    is better, a failure minus infinity), design.looks[index] of each."""
    from ganlab.report.statistics import probability_of_improvement

    seeds = design.looks[index]
    if len(cell) != seeds or len(baseline) != seeds:
        raise ValueError(f"look {index + 1} needs {seeds} seeds a cell, got {len(cell)} and {len(baseline)}")
    probability = probability_of_improvement(cell, baseline)
    statistic, boundary = abs(probability - 0.5), design.boundaries[index]
    last = index == len(design.looks) - 1
    power = None if last else conditional_power(design, index, probability)
    interval = (max(0.0, probability - boundary), min(1.0, probability + boundary))
    reach = abs(design.effect - 0.5)
    if statistic >= boundary - 1e-12:
        state = BETTER if probability > 0.5 else WORSE
    elif 0.5 - reach < interval[0] and interval[1] < 0.5 + reach:
        state = EQUIVALENT
    elif last:
        state = MAXIMUM
    elif power < design.futility_power:
        state = FUTILE
    else:
        state = OPEN
    level = nominal_p(boundary, seeds) if math.isfinite(boundary) else 0.0
    return Look(index, seeds, probability, boundary, nominal_p(statistic, seeds), level, interval, power, state)
