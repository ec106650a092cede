"""Numbers over seeds: a cell's summary, its difference from the baseline, and the verdict in words.

A cell's final scores over its seeds are summarized as mean ± sample standard deviation with a
Student-t confidence interval. A cell is compared with the baseline by the difference of means: when
both ran the same seeds (a sweep's `seed=0,1,2` over every cell) the seeds are paired (a paired t-test
on the per-seed differences, since a seed fixes the data order and the fixed latents of both runs);
otherwise Welch's t-test. The p-values of one score's comparisons are corrected for the number of cells
compared (Holm's step-down method), and only then read against 1 - confidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# scipy.stats is imported in the functions that use it: it takes a second or more to import, and
# `python -m ganlab.report` answers a mistyped directory or baseline before that.

# Fewer seeds than this and a cell's spread is a guess: the report says no verdict can be drawn.
MIN_SEEDS = 3

# Which way each of ganlab's scores improves (None: the report tabulates it without a verdict).
HIGHER_IS_BETTER = {
    "inception_score": True,
    "classifier_score": True,
    "modes_covered": True,
    "class_entropy": True,
    "fid": False,
    "kid": False,
    "classifier_fid": False,
    "classifier_kid": False,
    "toy_curve_distance": False,
    "toy_sliced_wasserstein": False,
    "toy_mmd": False,
}


def higher_is_better(score: str) -> bool | None:
    """True, False, or None when unknown, for `val/<name>` or `<name>`."""
    return HIGHER_IS_BETTER.get(score.removeprefix("val/"))


@dataclass
class Summary:
    n: int
    mean: float
    std: float  # sample standard deviation (n - 1); nan for one seed
    ci_low: float
    ci_high: float


@dataclass
class Difference:
    difference: float  # cell mean - baseline mean
    ci_low: float
    ci_high: float
    p_value: float  # two-sided, before the correction for several cells; nan when it cannot be computed
    paired: bool


def summarize(values: Sequence[float], confidence: float) -> Summary:
    from scipy import stats

    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return Summary(n, mean, math.nan, math.nan, math.nan)
    std = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (n - 1))
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * std / math.sqrt(n)
    return Summary(n, mean, std, mean - half, mean + half)


def difference(cell: Mapping[object, float], baseline: Mapping[object, float], confidence: float) -> Difference:
    """`cell` and `baseline`: final score by seed. Paired when both hold the same seeds."""
    from scipy import stats

    paired = set(cell) == set(baseline)
    if paired:
        per_seed = [cell[seed] - baseline[seed] for seed in cell]
        summary = summarize(per_seed, confidence)
        delta, standard_error, dof = summary.mean, summary.std / math.sqrt(summary.n), summary.n - 1
    else:
        a, b = summarize(list(cell.values()), confidence), summarize(list(baseline.values()), confidence)
        delta = a.mean - b.mean
        va, vb = a.std**2 / a.n, b.std**2 / b.n
        standard_error = math.sqrt(va + vb)
        # Welch-Satterthwaite; nan when either side has a single seed
        dof = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1)) if va + vb > 0 else max(a.n + b.n - 2, 0)
    if math.isnan(standard_error) or dof < 1:
        return Difference(delta, math.nan, math.nan, math.nan, paired)
    if standard_error == 0:  # identical spreads of zero: any difference is certain, none is none
        return Difference(delta, delta, delta, 0.0 if delta != 0 else 1.0, paired)
    half = stats.t.ppf((1 + confidence) / 2, dof) * standard_error
    p_value = 2 * stats.t.sf(abs(delta) / standard_error, dof)
    return Difference(delta, delta - half, delta + half, float(p_value), paired)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (nan entries are left out of the family)."""
    ranked = sorted((p, index) for index, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(ranked):
        running = max(running, min(1.0, (len(ranked) - rank) * p))
        adjusted[index] = running
    return adjusted


def verdict(
    result: Difference, p_adjusted: float, n_cell: int, n_baseline: int, better_high: bool | None, confidence: float
) -> str:
    """better / worse / no significant difference, or why none can be drawn."""
    if min(n_cell, n_baseline) < MIN_SEEDS:
        return f"cannot be drawn: {min(n_cell, n_baseline)} seed(s), a verdict needs {MIN_SEEDS}"
    if better_high is None:
        return "no verdict: which way this score improves is unknown"
    if math.isnan(p_adjusted) or p_adjusted >= 1 - confidence:
        return "no significant difference"
    return "better" if (result.difference > 0) == better_high else "worse"
