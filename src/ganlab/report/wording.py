"""The verdicts in sentences: one per comparison on the primary score, the effect relative to the baseline
with its interval and seed counts, the test, and for an inconclusive one the seeds that would decide it."""

from __future__ import annotations

from typing import Any

from ganlab.report.rounding import p_equals, rounded_like, share, significant
from ganlab.score_names import score_name


def _ratio(value: float) -> str:
    """Two significant digits, kept where they are zeros (1.0x, not 1x)."""
    text = significant(value, 2)
    return f"{text}.0x" if "." not in text and "e" not in text and abs(value) < 10 else f"{text}x"


def effect_text(effect: dict[str, Any] | None, level: str) -> str:
    """'13x, 95% simultaneous CI 1.7x to 51x' or '+4.0, ... -3.1 to 11'."""
    if effect is None:
        return ""
    interval = effect.get("interval")
    if effect["kind"] == "ratio":  # a ratio's interval is multiplicative: two significant digits throughout
        value = _ratio(effect["value"])
        bounds = f"{_ratio(interval[0])} to {_ratio(interval[1])}" if interval else ""
    else:
        value = f"{'+' if effect['value'] >= 0 else ''}{rounded_like(effect['value'], interval)}"
        bounds = f"{rounded_like(interval[0], interval)} to {rounded_like(interval[1], interval)}" if interval else ""
    if not interval or None in interval:
        return value
    return f"{value}, {level} CI {bounds}"


def _medians(table: dict[str, Any], row: dict[str, Any], base_row: dict[str, Any]) -> str:
    name = score_name(table["score"])
    if "median" not in row or "median" not in base_row:
        return f"no {name} value to take a median of in {'this cell' if 'median' not in row else 'the baseline'}"
    mine = rounded_like(row["median"], row.get("median_interval"))
    theirs = rounded_like(base_row["median"], base_row.get("median_interval"))
    return f"median {name} {mine} against {theirs}"


def _probability_text(comparison: dict[str, Any]) -> str:
    against = "pairs" if comparison["paired"] else f"seeds against {comparison['n_baseline']}"
    counts = f"{comparison['n_cell']} {against}"
    probability, interval = comparison["probability"], comparison.get("probability_interval")
    if probability in (0.0, 1.0):
        side = "better" if probability == 1.0 else "worse"
        whom = "its baseline pair" if comparison["paired"] else "every baseline seed"
        return f"every seed {side} than {whom} ({counts})"
    shown = f"[{share(interval[0])}, {share(interval[1])}]" if interval else ""
    return f"P(better) = {share(probability)} {shown} ({counts})".replace("  ", " ")


def percent(chance: float) -> str:
    return f"{round(100 * chance)}%"


def _power_text(comparison: dict[str, Any]) -> str:
    planned, detectable = comparison.get("planned") or {}, comparison.get("detectable")
    decide = ""
    if planned:
        effect = planned["effect"]
        declared = f"The declared effect, P(better) = {share(effect)} or {share(1 - effect)} (study.effect)"
        needed = planned["seeds_needed"]
        needs = f"needs about {needed} seeds a cell" if needed else "needs more than 1000 seeds a cell"
        decide = f"{declared}, {needs} for 80% power; these seeds had {percent(planned['power'])} power for it"
        if planned.get("max_seeds"):
            decide += f", the study's maximum of {planned['max_seeds']} a cell {percent(planned['power_at_max'])}"
        decide += "."
    if detectable is None:
        now = "no effect can reach significance with the current seeds (a complete separation is not enough)"
    elif detectable >= 0.5:  # Noether's approximation at these counts; an exact test may still reach alpha below it
        now = "the current seeds find with 80% power only effects as large as a complete separation"
    else:
        now = (
            f"the current seeds find with 80% power P(better) below {share(0.5 - detectable)} or above "
            f"{share(0.5 + detectable)}"
        )
    return f"{decide} As it stands, {now}.".lstrip()


def _equivalence_text(comparison: dict[str, Any], margin_given: Any) -> str:
    equivalence = comparison.get("equivalence")
    if not equivalence:
        return ""
    margin = significant(equivalence["margin"], 3)
    given = f" ({margin_given} of the baseline's median)" if isinstance(margin_given, str) else ""
    interval = equivalence.get("interval")
    if interval is None:
        shown = "is undefined (fewer than two values a side), so equivalence is not shown"
    elif None in interval:  # report.json's null: failed seeds make some resamples' median difference infinite
        shown = "is unbounded (failed seeds are the median of some resamples), so equivalence is not shown"
    else:
        verb = "lies inside it" if equivalence["equivalent"] else "does not lie inside it"
        shown = f"[{', '.join(rounded_like(end, interval) for end in interval)}] {verb}"
    return f" Equivalence within ±{margin}{given}: the median difference's interval {shown}."


def verdict_sentence(
    table: dict[str, Any], row: dict[str, Any], base_row: dict[str, Any], margin_given: Any, level: str
) -> str:
    comparison = row["vs_baseline"]
    verdict = comparison["verdict"]
    head = f"- **{row['cell']}: {verdict}.**"
    if "probability" not in comparison:
        return f"- **{row['cell']}**: {verdict}."
    effect = effect_text(comparison.get("effect"), level)
    parts = [f"{head} {_medians(table, row, base_row).capitalize()}" + (f" ({effect})" if effect else "") + ";"]
    parts.append(_probability_text(comparison) + f"; {p_equals(comparison['p_adjusted'])} (Holm).")
    failed = [f"{cell['failures']} of {cell['counted']} {name} failed" for cell, name in ((row, "seeds"),
              (base_row, "baseline seeds")) if cell["failures"]]  # fmt: skip
    if failed:
        parts.append(f"{' and '.join(failed).capitalize()} (counted as the worst outcome).")
    pending = row["pending"] + base_row["pending"]
    if pending:
        parts.append(f"{pending} run(s) still pending: the verdict may change.")
    if verdict in ("equivalent", "inconclusive"):
        parts.append(_equivalence_text(comparison, margin_given).strip())
    if verdict == "inconclusive":
        parts.append(_power_text(comparison))
    return " ".join(part for part in parts if part)
