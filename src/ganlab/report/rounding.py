"""Numbers as report.md prints them: a value to the precision its interval supports, no more.

A value with an interval keeps the interval's width to two significant digits (17.9 in [11.4, 24.4]; 230 in
[31, 920]); a value without one keeps three significant digits. p-values keep two.
"""

from __future__ import annotations

import math


def _decimals(width: float) -> int:
    return 1 - math.floor(math.log10(width))


def _fixed(value: float, decimals: int) -> str:
    if value != 0 and math.isfinite(value) and round(value, decimals) == 0:
        # a value far below its interval's width (6.6 in [4.8, 4992]) would print as 0: two significant digits
        decimals = 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals) + 0.0  # + 0.0: -0.0 prints as 0
    text = f"{rounded:.{max(decimals, 0)}f}"
    return text[1:] if text.startswith("-") and text.strip("-0.") == "" else text


def significant(value: float | None, digits: int = 3) -> str:
    """`value` to at most `digits` significant digits, without exponent for everyday magnitudes."""
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if not 1e-4 <= abs(value) < 1e7:
        return f"{value:.{digits - 1}e}"
    text = _fixed(value, digits - 1 - math.floor(math.log10(abs(value))))
    return text.rstrip("0").rstrip(".") if "." in text else text  # 12, not 12.0: the digits are not measured


def with_interval(value: float | None, interval: list[float] | tuple[float, float] | None) -> str:
    """'17.9 [11.4, 24.4]', each number to the interval's precision; the value alone where there is none."""
    if value is None:
        return "n/a"
    if not interval or interval[0] is None or interval[1] is None:
        return significant(value)
    low, high = interval
    if not (math.isfinite(low) and math.isfinite(high)) or high - low <= 0:
        return f"{significant(value)} [{significant(low)}, {significant(high)}]"
    decimals = _decimals(high - low)
    return f"{_fixed(value, decimals)} [{_fixed(low, decimals)}, {_fixed(high, decimals)}]"


def rounded_like(value: float, interval: list[float] | tuple[float, float] | None) -> str:
    """`value` alone, to the precision of `interval` (three significant digits without one)."""
    if interval and interval[0] is not None and interval[1] is not None:
        low, high = interval
        if math.isfinite(low) and math.isfinite(high) and high > low:
            return _fixed(value, _decimals(high - low))
    return significant(value)


def p_value(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "< 0.001" if value < 0.001 else significant(value, 2)


def p_equals(value: float | None) -> str:
    """"p = 0.0084", or "p < 0.001" below that."""
    text = p_value(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def share(value: float | None) -> str:
    """A probability to two decimals."""
    return "n/a" if value is None else f"{value:.2f}"


def counted(runs_by_value: dict[str, int]) -> str:
    """'2.5.1 (2 runs) or 2.6.0 (1 run)': values that differ between runs, each with how many runs had it."""
    return " or ".join(f"{value} ({count} run{'' if count == 1 else 's'})" for value, count in runs_by_value.items())
