"""Which yardsticks the runs were measured with, and the report's sentence on them.

A yardstick is the feature network a run's scores are read in, named by its weights' SHA-256
(ganlab.metrics.yardstick). Runs measured on different yardsticks fall in different groups of the report and are
never compared (ganlab.report.cells). Here the report says which yardsticks it read, and how to bring runs onto one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ganlab.report.cells import UNRECORDED
from ganlab.report.runs import Run

RESCORE = "`python -m ganlab.rescore <directory>` scores each run's final checkpoint again on the pinned yardstick"


def summarize(runs: Sequence[Run]) -> dict[str, dict[str, Any]]:
    """{yardstick id: {"runs": how many runs' final values it measured, and what the runs recorded of it}}."""
    found: dict[str, dict[str, Any]] = {}
    for run in runs:
        entry = found.setdefault(run.yardstick or UNRECORDED, {"runs": 0, **run.yardstick_record})
        entry["runs"] += 1
    return found


def _named(identity: str, entry: dict[str, Any]) -> str:
    if identity == UNRECORDED:
        return "not recorded (runs of ganlab before 2026-12-05)"
    if entry.get("sha256") is None:
        return f"`{identity}` ({entry.get('network', 'no network')})"
    pinned = ", pinned: shipped with ganlab" if entry.get("pinned") else ""
    return f"`{identity}` (SHA-256 {entry['sha256']}{pinned})"


def sentence(summary: dict[str, dict[str, Any]]) -> str | None:
    """The report's line on its yardsticks; None when it read no run."""
    if not summary:
        return None
    if len(summary) == 1:
        ((identity, entry),) = summary.items()
        text = f"Yardstick: {_named(identity, entry)}."
        if identity == UNRECORDED:
            text += f" Whether these runs share one cannot be told from their files; {RESCORE}."
        return text
    listed = "; ".join(f"{_named(identity, entry)}: {entry['runs']} runs" for identity, entry in summary.items())
    return (
        f"**The runs were measured on {len(summary)} yardsticks** ({listed}). A score read in one feature network "
        f"does not compare with one read in another, so each yardstick's runs form a group of their own and no "
        f"verdict is drawn across them. To compare them, {RESCORE}."
    )


def sizes_sentence(samples: dict[str, Any]) -> str | None:
    """'Final values: 10000 generated samples against 10000 real samples; curves and pace: 1000 each
    evaluation.' from a score table's `samples`; None when the runs do not say."""
    final, real, curve = samples.get("final"), samples.get("real"), samples.get("curve")
    if final is None:
        return None
    text = f"Final values: {final} generated samples against {real} real samples"
    return text + (f"; curves and pace: {curve} samples an evaluation." if curve else ".")
