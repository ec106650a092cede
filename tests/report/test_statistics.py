"""The report's statistics against independent answers: scipy's Mann-Whitney test, hand-counted probabilities,
Noether's formulas worked by hand, and the rounding report.md applies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ganlab.report import statistics
from ganlab.report.rounding import p_value, significant, with_interval


@pytest.mark.parametrize("sizes", [(5, 5), (3, 4), (6, 2)])
def test_the_permutation_test_is_the_exact_mann_whitney_test(sizes):
    generator = np.random.default_rng(sum(sizes))
    x, y = generator.standard_cauchy(sizes[0]), generator.standard_cauchy(sizes[1])  # heavy tails, no ties
    p = statistics.improvement_test(x, y)
    assert p == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue, rel=1e-9)
    u = stats.mannwhitneyu(x, y).statistic
    assert statistics.probability_of_improvement(x, y) == pytest.approx(u / (sizes[0] * sizes[1]))


def test_a_failure_is_the_worst_outcome_and_ties_other_failures():
    cell, baseline = [-math.inf, 2.0, 3.0], [-math.inf, 1.0]
    # pairs: -inf vs -inf ties (1/2), -inf loses to 1; 2 and 3 beat both: (0.5 + 0 + 2 + 2) / 6
    assert statistics.probability_of_improvement(cell, baseline) == pytest.approx(4.5 / 6)


def test_paired_seeds_are_a_sign_test():
    better = [2.0, 3.0, 4.0, 5.0, 6.0]
    p = statistics.improvement_test(better, [1.0, 2.0, 3.0, 4.0, 5.0], paired=True)
    assert p == pytest.approx(2 / 32)  # every pair better: both tails of 2^5 sign assignments
    assert statistics.probability_of_improvement([1.0, 5.0], [1.0, 4.0], paired=True) == 0.75
    assert statistics.smallest_p(5, 5, paired=True) == pytest.approx(0.0625)


def test_holm():
    assert statistics.holm([0.01, 0.04, 0.03, math.nan]) == pytest.approx([0.03, 0.06, 0.06, math.nan], nan_ok=True)


def test_seed_counts_follow_noethers_formulas():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)  # 2.8016
    # Mann-Whitney: n per cell = z^2 / (6 (P - 1/2)^2); P = 0.75 at alpha 0.05 -> 20.9 -> 21
    assert statistics.seeds_needed(0.75, 0.05) == math.ceil(z**2 / (6 * 0.25**2)) == 21
    # a complete separation: 5.2 -> 6, and 6 against 6 can reach 0.05 (2 / 924)
    assert statistics.seeds_needed(1.0, 0.05) == 6
    # the sign test, paired: z^2 / (4 (P - 1/2)^2) = 31.4 -> 32
    assert statistics.seeds_needed(0.75, 0.05, paired=True) == 32
    assert statistics.seeds_needed(0.5, 0.05) is None and statistics.seeds_needed(0.501, 0.05) is None
    # a small effect needs hundreds of seeds: C(1400, 700) relabellings is past a float's range (flux_binary_mnist)
    assert statistics.seeds_needed(0.543, 0.05) == math.ceil(z**2 / (6 * 0.043**2)) == 708
    assert statistics.smallest_p(700, 700) == 0.0
    assert statistics.smallest_detectable(10, 10, 0.05) == pytest.approx(z / math.sqrt(12 * 0.25 * 20))
    assert statistics.smallest_p(3, 3) == pytest.approx(0.1)
    assert statistics.smallest_detectable(3, 3, 0.05) is None  # 0.1: no effect reaches 0.05


def test_bootstrap_intervals():
    assert statistics.bootstrap_interval([3.0], "median", 0.95) is None
    assert statistics.bootstrap_interval([4.0, 4.0, 4.0], "median", 0.95) == (4.0, 4.0)
    low, high = statistics.bootstrap_interval([1.0, 2.0, 3.0, 4.0, 100.0], "median", 0.95)
    assert 1.0 <= low <= 3.0 <= high <= 100.0
    assert statistics.interquartile_mean([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1000.0]) == pytest.approx(4.5)
    # a failure in the median of some resamples leaves the difference unbounded
    assert statistics.median_difference_interval([-math.inf, -math.inf, 1.0], [1.0, 2.0, 3.0], 0.9) == (
        -math.inf, math.inf,
    )  # fmt: skip


def test_numbers_are_rounded_to_their_intervals_precision():
    assert with_interval(17.89, (11.4, 24.38)) == "18 [11, 24]"  # width 13: to units
    assert with_interval(321.6, (31.0, 920.0)) == "320 [30, 920]"  # width 889: to tens
    assert with_interval(0.006966, (-0.0008787, 0.01481)) == "0.007 [-0.001, 0.015]"
    assert with_interval(5.0, (5.0, 5.0)) == "5 [5, 5]"
    assert significant(5.759e-05) == "5.76e-05" and significant(17.893) == "17.9" and significant(-0.0) == "0"
    assert significant(12.0) == "12" and significant(1234.5) == "1230"
    assert p_value(0.01587) == "0.016" and p_value(2e-5) == "< 0.001"


def test_a_value_far_below_its_intervals_width_keeps_two_significant_digits():
    """Two collapsed seeds of five gave a median FID of 6.6 with an interval up to 4992: it printed as 0."""
    from ganlab.report.rounding import rounded_like, with_interval

    assert with_interval(6.623, [4.785, 4992.4]) == "6.6 [4.8, 5000]"
    assert rounded_like(6.623, [4.785, 4992.4]) == "6.6"
    assert with_interval(230, [31, 920]) == "230 [30, 920]" and with_interval(0.0, [-5, 5]) == "0 [-5, 5]"
