"""One run's record: what the parts of a run publish about it, in one place that the others read.

The parts of a run do not look each other up. The metric's Evaluation publishes which way each score improves,
what the scores are measured with, each evaluation and the final one; the memorization audit its directions;
the findings rules what they find; any part its timings. The status writer (ganlab.lifecycle.status) writes
status.json and final_scores.json from the record alone, and the findings rules read the latest evaluation from
it. Each part is handed the record through `TrainingState.record`: the run's module carries it, made with it,
so a process that trains several runs holds one record for each.

The module's training rows reach their readers through it too: each block of rows handed to the loggers
(ganlab.training_rows) is passed, as numbers, to every reader that asked for them (the divergence guard, the
findings rules), which may stop the run there by raising. A run ending on an error closes the record to readers
before its last rows are written: what it saves then is not judged again.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Rows = list[tuple[int, int, dict[str, float]]]  # (step, epoch, values) as the loggers received them


class SignalNotice(Protocol):
    """What the run's pre-emption handling (ganlab.lifecycle.signals.Preemption) tells whoever ends the process."""

    received: signal.Signals | None  # the signal that asked the run to stop, if one did

    @property
    def signal_name(self) -> str: ...

    def pass_signal_on(self) -> None:
        """Hand the signal to whoever handled it before training (submitit's requeue, say)."""


@dataclass
class Evaluated:
    """One evaluation: its scores by name (no val/ prefix), the iteration and the samples it was made on."""

    scores: dict[str, float]
    iteration: int
    samples: int


@dataclass
class RunRecord:
    score_directions: dict[str, str] = field(default_factory=dict)  # val/<score>: higher or lower
    # what the scores are measured with (ganlab.metrics.yardstick); None: the run measures nothing (metric=none)
    yardstick: dict[str, Any] | None = None
    # the scores' feature space, where the metric has one (a ganlab.contracts.FeatureScores, for the audit); not
    # typed by it: contracts declares the record, so naming contracts here would tie the two in a loop
    features: Any = None
    timings: dict[str, Any] = field(default_factory=dict)  # seconds of the parts' own work, for status.json
    findings: list[dict[str, Any]] = field(default_factory=list)  # {finding, iteration, detail}, for status.json
    latest: Evaluated | None = None  # the last evaluation
    final_scores: dict[str, Any] | None = None  # the final evaluation as final_scores.json holds it
    row_readers: list[Callable[[Rows], None]] = field(default_factory=list)
    closed: bool = False  # to the row readers: the run is ending on an error
    preemption: SignalNotice | None = None  # published as training is set up, for the end of the command

    def read_rows(self, reader: Callable[[Rows], None]) -> None:
        """Pass `reader` every block of training rows written from now on: [(step, epoch, {column: value})]."""
        if reader not in self.row_readers:  # a hook that runs again (a second fit of one module) asks once
            self.row_readers.append(reader)

    def rows_written(self, rows: Rows) -> None:
        if rows and not self.closed:
            for reader in self.row_readers:
                reader(rows)

    def declare_directions(self, directions: dict[str, str]) -> None:
        self.score_directions.update(directions)

    def evaluated(self, scores: dict[str, float], iteration: int, samples: int) -> None:
        self.latest = Evaluated(dict(scores), iteration, samples)

    def add_timing(self, key: str, seconds: float, size: int | None = None) -> None:
        """`seconds` under `key`, or under `key`'s mapping by `size` (evaluation_seconds by sample count)."""
        if size is None:
            self.timings[key] = seconds
        else:
            self.timings.setdefault(key, {})[str(size)] = seconds
