"""What a value must be, as the config checks (ganlab.validate) and the parts' constructors test it: an integer that is
not a bool, a number, a share, a declared effect."""

from __future__ import annotations

from numbers import Real
from typing import Any


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def is_effect(value: Any) -> bool:
    """A declared smallest effect of interest: a P(better) in (0, 1) other than 0.5 (study.effect)."""
    return is_number(value) and 0 < value < 1 and value != 0.5


def is_thread_count(value: Any) -> bool:
    """`cpu_threads`: null (torch's choice) or a positive integer."""
    return value is None or (is_int(value) and value >= 1)


THREAD_COUNT_ALLOWED = "null (torch's choice) or a positive integer"


def is_share(value: Any) -> bool:
    """'10%': a positive share, written as a percentage (the report's equivalence margin)."""
    try:
        return isinstance(value, str) and value.endswith("%") and float(value[:-1]) > 0
    except ValueError:
        return False
