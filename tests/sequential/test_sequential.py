"""The sequential study's decision rule keeps its false-alarm rate over every look and comparison, proved by
simulation; its power stays near the fixed design's at the same maximum while it stops early on large effects."""

import math

import numpy as np
import pytest
from scipy import stats

from ganlab.sequential.boundaries import boundaries, nominal_p, spent, statistic_paths
from ganlab.sequential.calibration import calibrate
from ganlab.sequential.decision import BETTER, EQUIVALENT, FUTILE, MAXIMUM, OPEN, WORSE, Design, judge

DEFAULT = Design(max_seeds=20, round=4)  # conf/study's defaults (docs/studies.md)


def test_a_single_look_is_the_exact_mann_whitney_test():
    (bound,) = boundaries((8,), 0.05)
    # the smallest |P - 1/2| whose exact two-sided p is within 0.05 (U counts over the C(16, 8) labellings)
    exact = min(abs(u / 64 - 0.5) for u in range(65) if _exact_p(u, 8) <= 0.05)
    assert bound == pytest.approx(exact)
    assert nominal_p(bound, 8) == pytest.approx(_exact_p(round((bound + 0.5) * 64), 8), abs=0.002)
    # and the exact counts are scipy's exact distribution of U
    cell, baseline = np.arange(8) + 0.25, np.array([0, 1, 2, 3, 4, 5, 6.5, 7.5])
    u = (cell[:, None] > baseline[None, :]).sum()
    assert _exact_p(int(u), 8) == pytest.approx(stats.mannwhitneyu(cell, baseline, method="exact").pvalue)


def _exact_p(u: int, n: int) -> float:
    """The two-sided exact p of the Mann-Whitney statistic U = u with n seeds a side (no ties)."""
    counts = _u_counts(n)
    low = min(u, n * n - u)
    return min(1.0, 2 * counts[: low + 1].sum() / counts.sum())


def _u_counts(n: int) -> np.ndarray:
    """How many of the C(2n, n) labellings give each U, by the classic recursion on the largest value."""
    table: dict[tuple[int, int], np.ndarray] = {}

    def counts(a: int, b: int) -> np.ndarray:
        if a == 0 or b == 0:
            return np.ones(1)
        if (a, b) not in table:
            out = np.zeros(a * b + 1)
            out[b:] += counts(a - 1, b)  # the largest value is the cell's: it beats all b baseline seeds
            out[: a * (b - 1) + 1] += counts(a, b - 1)  # ... or the baseline's: it beats none of the cell's
            table[(a, b)] = out
        return table[(a, b)]

    return counts(n, n)


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
def test_the_boundaries_spend_no_more_alpha_than_the_function_allows_on_fresh_simulations(spending):
    looks = DEFAULT.looks
    bounds = boundaries(looks, 0.05, spending)
    paths = statistic_paths(looks, 100_000, seed=7)  # independent of the boundaries' own simulation
    crossed = np.zeros(len(paths), dtype=bool)
    for index, n in enumerate(looks):
        crossed |= paths[:, index] >= bounds[index] - 1e-12
        # 3 Monte Carlo standard errors of a share near the allowed alpha
        allowed = spent(n / looks[-1], 0.05, spending)
        assert crossed.mean() <= allowed + 3 * np.sqrt(allowed * (1 - allowed) / len(paths)) + 1e-4
    assert crossed.mean() > 0.04  # and most of alpha is spent: the rule is not needlessly strict


def test_a_look_says_better_worse_futile_open_or_inconclusive_at_its_maximum():
    design = Design(max_seeds=8, round=4)
    worse = judge(design, 1, list(range(8)), list(range(8, 16)))  # every cell seed below every baseline seed
    assert worse.state == WORSE and worse.probability == 0 and worse.p < worse.level
    assert judge(design, 1, list(range(8, 16)), list(range(8))).state == BETTER
    tied = judge(design, 0, [1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5])
    assert tied.state in (OPEN, FUTILE) and tied.conditional_power is not None
    assert judge(design, 0, [1, 2, 3, 4], [1, 2, 3, 4]).state == FUTILE  # no lean at all: the effect is out of reach
    assert judge(design, 1, [1, 2, 3, 4, 5, 6, 7, 8], [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 0]).state == MAXIMUM
    with pytest.raises(ValueError, match="look 2 needs 8 seeds a cell, got 4 and 8"):
        judge(design, 1, [1, 2, 3, 4], list(range(8)))
    with pytest.raises(ValueError, match=r"study.round = 9: must be an integer from 1 to max_seeds"):
        Design(max_seeds=8, round=9)


def test_a_look_whose_repeated_interval_rules_out_the_declared_effect_both_ways_is_equivalent():
    design = Design(max_seeds=60, round=30)  # 60 seeds a cell: the last boundary is narrower than 0.71 - 1/2
    cell, baseline = [2 * i for i in range(60)], [2 * i + 1 for i in range(60)]  # interleaved: P(better) near 1/2
    found = judge(design, 1, cell, baseline)
    assert found.state == EQUIVALENT and 0.29 < found.interval[0] < found.interval[1] < 0.71
    assert judge(Design(max_seeds=8, round=4), 1, cell[:8], baseline[:8]).state == MAXIMUM  # 8 seeds cannot


def test_with_failures_and_three_comparisons_the_family_keeps_its_alpha():
    """A few hundred planted studies: a quick check that nothing is grossly off; the slow test measures it."""
    result = calibrate(Design(max_seeds=12, round=4, comparisons=3), "lognormal", 1.0, failures=0.2, studies=300)
    assert result.decided <= 0.05 + 3 * result.error


NULL_STUDIES = [("normal", 0.0, 1), ("lognormal", 0.0, 1), ("lognormal", 0.2, 1), ("lognormal", 0.2, 3)]


@pytest.mark.slow
@pytest.mark.parametrize(("planted", "failures", "comparisons"), NULL_STUDIES)
def test_no_effect_calls_nothing_better_or_worse_above_alpha(planted, failures, comparisons):
    design = Design(max_seeds=20, round=4, comparisons=comparisons)
    result = calibrate(design, planted, 1.0, failures=failures, studies=4000, seed=11)
    assert result.decided <= 0.05 + 2.6 * result.error


@pytest.mark.slow
def test_an_effect_of_the_declared_size_is_called_equivalent_at_most_alpha():
    """Lognormal seeds 2.19x worse: P(better) = 0.29, the declared effect itself, at a maximum where equivalence
    can be reached."""
    design = Design(max_seeds=60, round=12)
    declared = math.exp(math.sqrt(2) * stats.norm.ppf(0.71))
    result = calibrate(design, "lognormal", declared, studies=4000, seed=14)
    assert result.equivalent <= 0.05 + 2.6 * math.sqrt(0.05 * 0.95 / 4000)


@pytest.mark.slow
def test_planted_effects_are_found_nearly_as_often_as_the_fixed_design_finds_them_and_sooner():
    three = calibrate(DEFAULT, "lognormal", 3.0, studies=4000, seed=12)
    five = calibrate(DEFAULT, "lognormal", 5.0, studies=4000, seed=13)
    assert three.right >= three.fixed_right - 0.03 and five.right >= five.fixed_right - 0.03
    assert five.expected_seeds <= 0.65 * DEFAULT.max_seeds
