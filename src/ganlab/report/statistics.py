"""Numbers over seeds, robust to the heavy tails GAN seeds have: medians, interquartile means, bootstrap
intervals, the probability of improvement with a permutation test, Holm's correction and seed counts.

Every function takes *goodness*: a score oriented so that higher is better (a distance negated), with a
failed seed as -inf, the worst outcome, which ranks below every value and ties with other failures.
The tests and intervals are scipy.stats' (Agarwal et al. 2021, "Deep RL at the edge of the statistical
precipice", for the choice of statistics; docs/studies.md explains each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# scipy and numpy are imported in the functions that use them: scipy.stats takes a second or more to import, and
# `python -m ganlab.report` answers a mistyped directory or baseline before that.

BOOTSTRAP_RESAMPLES = 9999
# Permutation tests enumerate every relabelling up to this many (exact); beyond it they draw this many at random.
PERMUTATIONS = 100_000
POWER = 0.8  # of the seed counts the report states
RANDOM_SEED = 0  # of the bootstrap and the random permutations: the same runs always give the same report


def median(values: Sequence[float]) -> float:
    import numpy as np

    return float(np.median(values))


def interquartile_mean(values: Sequence[float]) -> float:
    """The mean of the middle half (25% trimmed from each end, as rliable's IQM)."""
    from scipy import stats

    return float(stats.trim_mean(values, 0.25))


def bootstrap_interval(values: Sequence[float], statistic: str, confidence: float) -> tuple[float, float] | None:
    """Percentile bootstrap interval of `statistic` ("median" or "iqm") over `values`; None below two values.
    Percentile rather than BCa: BCa is undefined where every resample agrees (zero spread)."""
    if len(values) < 2:
        return None
    import numpy as np
    from scipy import stats

    if statistic == "median":
        function = np.median
    else:
        function = lambda sample, axis: stats.trim_mean(sample, 0.25, axis=axis)  # noqa: E731
    result = stats.bootstrap(
        (np.asarray(values, dtype=float),), function, n_resamples=BOOTSTRAP_RESAMPLES, vectorized=True,
        confidence_level=confidence, method="percentile", rng=np.random.default_rng(RANDOM_SEED),
    )  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _improvement(x, y, axis=-1):
    """P(a draw of x beats a draw of y) + half the ties, minus 1/2, over the last axis of each (vectorized)."""
    import numpy as np

    x, y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    wins = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
    ties = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return wins + 0.5 * ties - 0.5


def _paired_improvement(x, y, axis=-1):
    """The share of pairs in which x beats its partner, half for a tie, minus 1/2."""
    import numpy as np

    x, y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    return (x > y).mean(axis=-1) + 0.5 * (x == y).mean(axis=-1) - 0.5


def probability_of_improvement(cell: Sequence[float], baseline: Sequence[float], paired: bool = False) -> float:
    """P(a seed of `cell` beats a seed of `baseline`), ties counting half: 0.5 is no effect, 1 a complete
    separation. Paired: the share of seeds that beat the same seed of the baseline (equal lengths)."""
    import numpy as np

    x, y = np.asarray(cell, dtype=float), np.asarray(baseline, dtype=float)
    return float((_paired_improvement if paired else _improvement)(x, y)) + 0.5


def improvement_test(cell: Sequence[float], baseline: Sequence[float], paired: bool = False) -> float:
    """The two-sided permutation p-value of P(improvement) = 1/2.

    Unpaired, the permutation test of the probability of improvement is the Mann-Whitney test, exact where
    the relabellings number PERMUTATIONS or fewer, with ties and failures handled by the same relabelling.
    Paired, each seed's pair is swapped or not (a sign test with ties counting half)."""
    import numpy as np
    from scipy import stats

    x, y = np.asarray(cell, dtype=float), np.asarray(baseline, dtype=float)
    if min(len(x), len(y)) < 2:  # scipy's permutation test takes two or more a side
        # one pair swapped or not: p = 1; one seed against n: the Mann-Whitney test's exact distribution
        return 1.0 if paired else min(1.0, float(stats.mannwhitneyu(x, y, method="exact").pvalue))
    kind = "samples" if paired else "independent"
    test = stats.permutation_test(
        (x, y), _paired_improvement if paired else _improvement, permutation_type=kind, vectorized=True,
        n_resamples=PERMUTATIONS, batch=2000, rng=np.random.default_rng(RANDOM_SEED),
    )  # fmt: skip
    return min(1.0, float(test.pvalue))


def improvement_interval(
    cell: Sequence[float], baseline: Sequence[float], confidence: float, paired: bool = False
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of P(improvement), each cell resampled on its own (pairs together, paired);
    None below two seeds a side."""
    if min(len(cell), len(baseline)) < 2:
        return None
    import numpy as np
    from scipy import stats

    result = stats.bootstrap(
        (np.asarray(cell, dtype=float), np.asarray(baseline, dtype=float)),
        _paired_improvement if paired else _improvement, paired=paired, vectorized=True,
        n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence, method="percentile",
        rng=np.random.default_rng(RANDOM_SEED),
    )  # fmt: skip
    return float(result.confidence_interval.low) + 0.5, float(result.confidence_interval.high) + 0.5


def median_difference_interval(
    cell: Sequence[float], baseline: Sequence[float], confidence: float, paired: bool = False
) -> tuple[float, float] | None:
    """Bootstrap interval of median(cell) - median(baseline); None where either has fewer than two values.
    A resample whose median is a failure gives an infinite or undefined difference, and so an unbounded interval."""
    if min(len(cell), len(baseline)) < 2:
        return None
    import numpy as np
    from scipy import stats

    def difference(x, y, axis=-1):
        with np.errstate(invalid="ignore"):
            return np.median(x, axis=axis) - np.median(y, axis=axis)

    with np.errstate(invalid="ignore"):
        result = stats.bootstrap(
            (np.asarray(cell, dtype=float), np.asarray(baseline, dtype=float)), difference, paired=paired,
            vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence, method="percentile",
            rng=np.random.default_rng(RANDOM_SEED),
        )  # fmt: skip
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return (low, high) if math.isfinite(low) and math.isfinite(high) else (-math.inf, math.inf)


def ratio_interval(cell: Sequence[float], baseline: Sequence[float], confidence: float) -> tuple[float, float] | None:
    """Bootstrap interval of median(cell) / median(baseline), for positive values; None below two each."""
    if min(len(cell), len(baseline)) < 2:
        return None
    import numpy as np
    from scipy import stats

    result = stats.bootstrap(
        (np.asarray(cell, dtype=float), np.asarray(baseline, dtype=float)),
        lambda x, y, axis=-1: np.median(x, axis=axis) / np.median(y, axis=axis), vectorized=True,
        n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence, method="percentile",
        rng=np.random.default_rng(RANDOM_SEED),
    )  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (nan entries are left out of the family)."""
    ranked = sorted((p, index) for index, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(ranked):
        running = max(running, min(1.0, (len(ranked) - rank) * p))
        adjusted[index] = running
    return adjusted


def smallest_p(n_cell: int, n_baseline: int, paired: bool = False) -> float:
    """The smallest two-sided p-value the permutation test can give at these seed counts (a complete separation)."""
    from scipy.special import comb

    relabellings = 2**n_cell if paired else comb(n_cell + n_baseline, n_cell, exact=True)
    return min(1.0, 2 / relabellings)  # int / int: a count past float's range gives 0.0, not OverflowError


def _z_sum(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(POWER))


def seeds_needed(probability: float, alpha: float, paired: bool = False, at_most: int = 1000) -> int | None:
    """Seeds per cell at which the test would find an effect of this size (`probability` of improvement) at
    level `alpha` with POWER, by Noether's (1987) large-sample formulas for the Mann-Whitney test (the sign
    test, paired), and never fewer than the test needs to reach `alpha` at all. None: more than `at_most`."""
    effect = abs(probability - 0.5)
    if effect == 0:
        return None
    per_cell = _z_sum(alpha) ** 2 / ((4.0 if paired else 6.0) * effect**2)
    needed = max(2, math.ceil(per_cell - 1e-9))
    while needed <= at_most and smallest_p(needed, needed, paired) > alpha:
        needed += 1
    return needed if needed <= at_most else None


def power(probability: float, n_cell: int, n_baseline: int, alpha: float, paired: bool = False) -> float:
    """The chance that the test at level `alpha` finds an effect of P(improvement) = `probability` with these seeds,
    by Noether's (1987) approximation (the sign test's, paired); 0 where no effect can reach `alpha` at all."""
    from scipy import stats

    if smallest_p(n_cell, n_baseline, paired) > alpha:
        return 0.0
    effect = abs(probability - 0.5)
    if paired:
        z = 2 * effect * math.sqrt(n_cell)
    else:
        total = n_cell + n_baseline
        z = effect * math.sqrt(12 * (n_cell / total) * (n_baseline / total) * total)
    return float(stats.norm.cdf(z - stats.norm.ppf(1 - alpha / 2)))


def smallest_detectable(n_cell: int, n_baseline: int, alpha: float, paired: bool = False) -> float | None:
    """The distance |P(improvement) - 1/2| the current seeds find with POWER at level `alpha` (Noether's
    formulas turned round); None when no effect can reach `alpha` at these counts."""
    if smallest_p(n_cell, n_baseline, paired) > alpha:
        return None
    if paired:
        effect = _z_sum(alpha) / (2 * math.sqrt(n_cell))
    else:
        total = n_cell + n_baseline
        share = n_cell / total
        effect = _z_sum(alpha) / math.sqrt(12 * share * (1 - share) * total)
    return min(effect, 0.5)
