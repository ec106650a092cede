"""Group-sequential boundaries for the probability of improvement, exact for ranks.

A sequential study looks at each comparison after every round of new seeds. Testing at p < 0.05 at every look
inflates false alarms (a z-test checked daily: 29% instead of 5%). So the family's alpha is spent over the looks by
a spending function (Lan & DeMets 1983): by information fraction t (seeds so far over the maximum), at most
alpha(t) may have been spent. O'Brien-Fleming's spends almost nothing early, so the last look keeps nearly the
whole alpha. Pocock's spends evenly, so it stops early more often and loses more power at the end.

The statistic at a look is |P - 1/2|, where P is the report's probability of improvement between the seeds so
far, with ties counting half. Under no effect and without ties, its joint law over the looks depends only on the
order of the values, not on their distribution. So the boundaries are found once by simulating that law with
uniform draws, and they hold for any score, heavy-tailed or not. Failures tie at the worst. Ties shrink the
statistic's spread, so boundaries found without ties are conservative there, as the calibration shows
(ganlab.sequential.calibration).
"""

from __future__ import annotations

import functools
import math

import numpy as np

SPENDING = ("obrien_fleming", "pocock")
SIMULATIONS = 100_000  # under no effect: a boundary's alpha is estimated to about +-0.0007 at 0.05
_CHUNK = 10_000


def spent(t: float, alpha: float, spending: str) -> float:
    """The alpha a spending function allows by information fraction `t` in (0, 1] (two-sided)."""
    from scipy import stats

    if spending == "obrien_fleming":  # Lan & DeMets (1983)'s O'Brien-Fleming-type function
        return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
    if spending == "pocock":  # Lan & DeMets (1983)'s Pocock-type function
        return float(alpha * math.log(1 + (math.e - 1) * t))
    raise ValueError(f"spending = {spending!r}: must be one of {', '.join(SPENDING)}")


def statistic_paths(looks: tuple[int, ...], simulations: int, seed: int) -> np.ndarray:
    """|P - 1/2| at each look (simulations, len(looks)) for two cells with no effect and no ties: continuous
    draws, the first `looks[k]` seeds of each cell at look k, as a study adds seeds round by round."""
    rng = np.random.default_rng(seed)
    top = looks[-1]
    paths = []
    for start in range(0, simulations, _CHUNK):
        size = min(_CHUNK, simulations - start)
        cell, baseline = rng.random((size, top)), rng.random((size, top))
        wins = (cell[:, :, None] > baseline[:, None, :]).astype(np.int32)
        # wins of the first n seeds of each side: the leading n x n block, summed through cumulative sums
        block = wins.cumsum(axis=1).cumsum(axis=2)
        paths.append(np.stack([np.abs(block[:, n - 1, n - 1] / (n * n) - 0.5) for n in looks], axis=1))
    return np.concatenate(paths)


@functools.lru_cache(maxsize=64)
def boundaries(
    looks: tuple[int, ...],
    alpha: float,
    spending: str = "obrien_fleming",
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> tuple[float, ...]:
    """The smallest |P - 1/2| at each look whose crossing keeps the chance of crossing at any look so far within
    the alpha spent by then; infinity where the seeds of a look cannot reach it."""  # fmt: skip
    paths = statistic_paths(looks, simulations, seed)
    crossed = np.zeros(len(paths), dtype=bool)
    found = []
    for index, n in enumerate(looks):
        allowed = spent(n / looks[-1], alpha, spending)
        values = paths[:, index]
        candidates = np.unique(values[~crossed])  # ascending: the first that fits is the smallest
        bound = math.inf
        already = crossed.mean()
        # the chance of a first crossing here at each candidate, from the counts above it
        alive = np.sort(values[~crossed])
        above = len(alive) - np.searchsorted(alive, candidates, side="left")
        fitting = candidates[already + above / len(paths) <= allowed + 1e-12]
        if len(fitting):
            bound = float(fitting[0])
            crossed |= values >= bound - 1e-12
        found.append(bound)
    return tuple(found)


def nominal_p(statistic: float, n: int, simulations: int = SIMULATIONS, seed: int = 0) -> float:
    """The fixed-sample chance, with no effect, of |P - 1/2| at least `statistic` at `n` seeds a cell: a look's
    own p-value, shown beside the level its boundary corresponds to."""
    values = _marginal(n, simulations, seed)
    return float((len(values) - np.searchsorted(values, statistic - 1e-12, side="left")) / len(values))


@functools.lru_cache(maxsize=64)
def _marginal(n: int, simulations: int, seed: int) -> np.ndarray:
    return np.sort(statistic_paths((n,), simulations, seed)[:, 0])
