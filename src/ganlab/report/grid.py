"""Main effects and interactions when the cells form a full grid over two or more axes (flux_binary_mnist's
head activation x trick): does an axis matter averaged over the others, and does its effect depend on them?

A rank-based two-way analysis: the finals of the whole grid are ranked first (a failure ties with the other
failures below every value), then each effect is tested by the aligned rank transform (Wobbrock et al. 2011,
"The aligned rank transform for nonparametric factorial analyses using only ANOVA procedures"): the ranks
are aligned for that effect (the other effects subtracted), ranked again, and the effect's F-test read from
a factorial ANOVA on them. Main effects and two-way interactions are tested, Holm-corrected together. The
grid must be balanced: every cell the same number of counted seeds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from ganlab.report import statistics
from ganlab.report.cells import Cell
from ganlab.report.outcomes import VALUE, goodness
from ganlab.report.runs import override_key


def grid_levels(cells: Sequence[Cell]) -> tuple[list[str], list[list[str]], dict[tuple[str, ...], Cell]] | None:
    """(axes, each axis's levels, cell by its tuple of levels) when `cells` are every combination of two or
    more axes with two or more levels each; None otherwise."""
    keyed = [{override_key(item): item.split("=", 1)[1] for item in cell.overrides} for cell in cells]
    axes = list(dict.fromkeys(key for keys in keyed for key in keys))
    if len(axes) < 2 or any(set(keys) != set(axes) for keys in keyed):
        return None
    levels = [list(dict.fromkeys(keys[axis] for keys in keyed)) for axis in axes]
    by_levels = {tuple(keys[axis] for axis in axes): cell for keys, cell in zip(keyed, cells, strict=True)}
    if any(len(axis_levels) < 2 for axis_levels in levels) or len(by_levels) != math.prod(map(len, levels)):
        return None
    return axes, levels, by_levels


def _effect(values, axes_in_effect: tuple[int, ...]):
    """The balanced ANOVA effect of a set of axes at every observation: inclusion-exclusion over the marginal
    means (observations on the last axis)."""
    import numpy as np

    factors = values.ndim - 1
    total = np.zeros_like(values)
    for size in range(len(axes_in_effect) + 1):
        for kept in itertools.combinations(axes_in_effect, size):
            dropped = tuple(axis for axis in range(factors + 1) if axis not in kept)
            total += (-1) ** (len(axes_in_effect) - size) * values.mean(axis=dropped, keepdims=True)
    return total


def _rank(values):
    import numpy as np
    from scipy import stats

    return stats.rankdata(values, method="average").reshape(values.shape).astype(np.float64)


def analyse_grid(cells: Sequence[Cell], score: str, better: str, alpha: float) -> dict[str, Any] | None:
    """The grid analysis of `score`, or None when the cells are not a full grid. A grid that cannot be tested
    (unbalanced, one seed per cell, no spread within cells) says why under "untested"."""
    found = grid_levels(cells)
    if found is None:
        return None
    axes, levels, by_levels = found
    counted = {key: [goodness(item, better) for item in cell.outcomes(score) if item.counted]
               for key, cell in by_levels.items()}  # fmt: skip
    sizes = {len(values) for values in counted.values()}
    result: dict[str, Any] = {"axes": axes, "levels": levels, "effects": [], "level_medians": {}}
    for axis, name in enumerate(axes):  # what a main effect is made of: each level's median, its failures aside
        result["level_medians"][name] = {
            level: statistics.median(values) if (values := [
                item.value for key, cell in by_levels.items() if key[axis] == level
                for item in cell.outcomes(score) if item.kind == VALUE
            ]) else None
            for level in levels[axis]
        }  # fmt: skip
    if len(sizes) != 1 or min(sizes) < 2:
        result["untested"] = (
            "every cell needs the same number of counted seeds, two at least; the cells have "
            + ", ".join(sorted({str(size) for size in sizes}))
        )
        return result
    import numpy as np
    from scipy import stats

    shape = [len(axis_levels) for axis_levels in levels]
    data = np.empty(shape + [sizes.pop()])
    for key, values in counted.items():
        data[tuple(levels[axis].index(level) for axis, level in enumerate(key))] = values
    ranks = _rank(data)  # failures (-inf) tie below every value
    all_axes = tuple(range(len(axes)))
    residual = ranks - ranks.mean(axis=-1, keepdims=True)
    residual_df = data.size - math.prod(shape)
    for size in (1, 2):
        for effect_axes in itertools.combinations(all_axes, size):
            aligned = _rank(residual + _effect(ranks, effect_axes))
            effect_ss = float((_effect(aligned, effect_axes) ** 2).sum())
            residual_ss = float(((aligned - aligned.mean(axis=-1, keepdims=True)) ** 2).sum())
            effect_df = math.prod(shape[axis] - 1 for axis in effect_axes)
            name = " x ".join(axes[axis] for axis in effect_axes)
            if residual_ss == 0:  # every cell's seeds tie: an F of infinity would be an artefact, not a finding
                result["effects"].append({"effect": name, "F": None, "df": [effect_df, residual_df], "p_value": None})
                continue
            f_value = (effect_ss / effect_df) / (residual_ss / residual_df)
            p_value = float(stats.f.sf(f_value, effect_df, residual_df))
            result["effects"].append({"effect": name, "F": f_value, "df": [effect_df, residual_df], "p_value": p_value})
    adjusted = statistics.holm([math.nan if e["p_value"] is None else e["p_value"] for e in result["effects"]])
    for effect, p_adjusted in zip(result["effects"], adjusted, strict=True):
        effect["p_adjusted"] = None if math.isnan(p_adjusted) else p_adjusted
        effect["significant"] = effect["p_adjusted"] is not None and effect["p_adjusted"] < alpha
    return result
