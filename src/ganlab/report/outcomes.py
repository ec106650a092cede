"""What one run contributes to a score's statistics: a final value, a failure, nothing yet, or nothing at all.

A failure stays in its cell as the worst outcome (statistics.py): a diverged or crashed run, a completed run
whose final value is NaN or infinite, and a completed run without a value at its final evaluation. A run still
going (running, interrupted, stale: a rerun of the sweep finishes it) is *pending* and a run refused before
training (config_error) or without status.json is *not run*: neither says anything about the setting's
training, so both are listed and left out. A cell whose metric has no such score is *not measured* on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ganlab.report.runs import Run

VALUE, FAILURE, PENDING, NOT_RUN, NOT_MEASURED = "value", "failure", "pending", "not run", "not measured"
_PENDING_WHY = {
    "running": "still running",
    "interrupted": "interrupted (the sweep's command run again resumes it)",
    "stale": "stale: silent for 30 minutes, killed without warning (the sweep's command run again resumes it)",
}


@dataclass(frozen=True)
class Outcome:
    run: Run
    kind: str  # VALUE, FAILURE, PENDING, NOT_RUN or NOT_MEASURED
    value: float | None = None  # the final value, for VALUE
    why: str = ""  # for the other kinds, in a few words

    @property
    def counted(self) -> bool:
        """Whether it enters the statistics (a value, or a failure as the worst outcome)."""
        return self.kind in (VALUE, FAILURE)


def outcome(run: Run, score: str) -> Outcome:
    """`run`'s outcome on `score` (val/<name>)."""
    state = run.state
    if state in _PENDING_WHY:
        return Outcome(run, PENDING, why=_PENDING_WHY[state])
    if state == "config_error":
        return Outcome(run, NOT_RUN, why="refused before training: " + _first_line(run.status.get("error", "")))
    if state == "unknown":
        return Outcome(run, NOT_RUN, why="no status.json: stopped before training, or not a ganlab run")
    if state == "diverged":
        return Outcome(run, FAILURE, why=f"diverged at iteration {run.status.get('iteration', '?')}")
    if state != "completed":  # failed
        return Outcome(run, FAILURE, why=f"{state}: " + _first_line(run.status.get("error", "")))
    final = run.final(score)
    if final is None:
        logged = run.scores.get(score, [])
        where = f"last logged at iteration {logged[-1][0]}" if logged else "never logged"
        return Outcome(run, FAILURE, why=f"no value at its final evaluation, iteration {run.last_iteration} ({where})")
    if not math.isfinite(final):
        return Outcome(run, FAILURE, why=f"final value {final}")
    return Outcome(run, VALUE, value=final)


def goodness(item: Outcome, better: str | None) -> float:
    """The outcome oriented so that higher is better (`better` "lower" negates), a failure as -inf."""
    if item.kind != VALUE:
        return -math.inf
    return -item.value if better == "lower" else item.value


def _first_line(text: str) -> str:
    """An error's first line, or its first problem where that line only introduces a list of them."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return lines[1]
    return lines[0] if lines else ""
