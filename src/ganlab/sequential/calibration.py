"""The sequential rule proved by simulation: known per-seed distributions planted into studies, each study run
look by look through `decision.judge`, against the fixed design that runs every seed of the same maximum.

Planted scores are lower-is-better, as FID is: a cell with effect r has its scores r times the baseline's (r = 3:
three times worse). `lognormal` draws exp(N(0, sigma^2)) with sigma 1, the heavy tail of GAN seeds; `normal`
draws N(0, 1) shifted by r - 1 standard deviations; `failures` makes a share of every cell's seeds fail, tied at
the worst. With several comparisons every cell but the first has no effect, so a false alarm on any of them
counts against the family. A planted effect at the declared P(better) itself (lognormal, sigma 1: r = 2.19 for
P = 0.29) measures how often a real effect of that size is wrongly called equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganlab.sequential.boundaries import boundaries
from ganlab.sequential.decision import BETTER, EQUIVALENT, OPEN, WORSE, Design, judge

PLANTED = ("normal", "lognormal")


@dataclass(frozen=True)
class Calibration:
    studies: int
    decided: float  # share of studies in which some comparison was called better or worse
    right: float  # ... in which the first comparison was called in the planted direction (power)
    expected_seeds: float  # a cell's seeds when the study stopped, on average
    fixed_decided: float  # the same for the fixed design at max_seeds
    fixed_right: float
    equivalent: float = 0.0  # share of studies in which the first comparison was called equivalent

    @property
    def error(self) -> float:
        """The Monte Carlo standard error of a share near `decided`."""
        return float(np.sqrt(max(self.decided * (1 - self.decided), 1e-4) / self.studies))


def _scores(rng: np.random.Generator, planted: str, effect: float, size: tuple[int, ...]) -> np.ndarray:
    if planted == "lognormal":
        return np.exp(rng.normal(0.0, 1.0, size)) * effect
    if planted == "normal":
        return rng.normal(effect - 1.0, 1.0, size)
    raise ValueError(f"planted = {planted!r}: must be one of {', '.join(PLANTED)}")


def planted_goodness(
    rng: np.random.Generator, design: Design, planted: str, effect: float, failures: float
) -> np.ndarray:
    """(comparisons + 1, max_seeds) goodness: row 0 the baseline, row 1 the cell with the effect, the others
    without; a `failures` share of every row failed (minus infinity)."""
    rows = [_scores(rng, planted, 1.0, design.max_seeds), _scores(rng, planted, effect, design.max_seeds)]
    rows += [_scores(rng, planted, 1.0, design.max_seeds) for _ in range(design.comparisons - 1)]
    goodness = -np.stack(rows)
    goodness[rng.random(goodness.shape) < failures] = -np.inf
    return goodness


def calibrate(
    design: Design, planted: str, effect: float, failures: float = 0.0, studies: int = 2000, seed: int = 0
) -> Calibration:
    """Run `studies` planted studies through the sequential rule and the fixed design."""
    rng = np.random.default_rng(seed)
    fixed_bound = boundaries((design.max_seeds,), design.alpha / design.comparisons, design.spending)[0]
    decided = right = fixed_decided = fixed_right = equivalent = 0
    seeds_used = []
    planted_sign = 1 if effect < 1 else -1  # lower scores are better: a smaller multiple is better
    for _ in range(studies):
        goodness = planted_goodness(rng, design, planted, effect, failures)
        states = [OPEN] * design.comparisons
        for index, n in enumerate(design.looks):
            for comparison in range(design.comparisons):
                if states[comparison] == OPEN:
                    look = judge(design, index, goodness[comparison + 1, :n], goodness[0, :n])
                    states[comparison] = look.state
            if OPEN not in states:
                break
        seeds_used.append(n)
        decided += any(state in (BETTER, WORSE) for state in states)
        right += states[0] == (BETTER if planted_sign > 0 else WORSE) and effect != 1
        equivalent += states[0] == EQUIVALENT
        probabilities = [_probability(goodness[row], goodness[0]) for row in range(1, design.comparisons + 1)]
        fixed_decided += any(abs(p - 0.5) >= fixed_bound - 1e-12 for p in probabilities)
        fixed_right += (probabilities[0] - 0.5) * planted_sign >= fixed_bound - 1e-12 and effect != 1
    return Calibration(
        studies, decided / studies, right / studies, float(np.mean(seeds_used)), fixed_decided / studies,
        fixed_right / studies, equivalent / studies,
    )  # fmt: skip


def _probability(cell: np.ndarray, baseline: np.ndarray) -> float:
    from ganlab.report.statistics import probability_of_improvement

    return probability_of_improvement(cell, baseline)
