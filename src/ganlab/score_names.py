"""A score's two spellings, converted in one place. A metric names its scores (`fid`, `modes_covered`); every
logger, status.json, final_scores.json's reader and the report key them by their logged column, `val/<name>`
(`val/fid`). A user may write either in a config or on a command line (`report.primary_score=fid`,
`--primary val/fid`); these two functions turn either into the form a part needs."""

from __future__ import annotations

PREFIX = "val/"


def score_column(name: str) -> str:
    """`val/<name>` for `name` given with or without its prefix."""
    return PREFIX + name.removeprefix(PREFIX)


def score_name(column: str) -> str:
    """The metric's own name of a score given with or without its `val/` prefix."""
    return column.removeprefix(PREFIX)
