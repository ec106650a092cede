"""The runs below a directory, as the report sees them: overrides, config, status and scores.

A run is a directory holding `.hydra/config.yaml` (every ganlab run writes it first, before training,
so a run refused for its config is found too). A single run, a finished sweep and a sweep still
running are read the same way. Every file is read as data that may be damaged (ganlab.report.run_files): a run
with a file that cannot be read is set apart with the reason, and the others are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.lifecycle.status_file import is_stale
from ganlab.logged_columns import is_score
from ganlab.report import run_files
from ganlab.report.run_files import Unreadable


@dataclass
class Run:
    path: Path
    overrides: list[str]  # the job's command-line overrides, as Hydra wrote them (`trick=flip`)
    config: dict[str, Any]  # the composed config, unresolved interpolations left as written
    status: dict[str, Any]  # status.json; {} when the run wrote none
    scores: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # val/<score>: [(iteration, value)]
    references: dict[str, float] = field(default_factory=dict)  # val/<score>: the real data's value

    @property
    def seed(self) -> Any:
        return self.config.get("seed")

    @property
    def state(self) -> str:
        """completed, failed, config_error, interrupted, running, stale (running, but silent too long) or
        unknown (no status.json: killed before training, or not a ganlab run)."""
        state = self.status.get("status", "unknown")
        if is_stale(self.status):  # running, but silent for longer than any live run is
            return "stale"
        return state

    @property
    def completed(self) -> bool:
        return self.state == "completed"

    @property
    def better(self) -> dict[str, str]:
        """Which way each score improves ("higher" or "lower"), as the run's metric declared it in status.json."""
        return self.status.get("better") or {}

    @property
    def last_iteration(self) -> int | None:
        """The iteration of the run's final evaluation: trainer.max_steps as iterations, or, for a run trained
        by epochs, the iteration it ended at; None when status.json does not say."""
        planned, reached = self.status.get("max_iterations"), self.status.get("iteration")
        if isinstance(planned, int) and planned > 0:
            return planned
        return reached if isinstance(reached, int) and self.completed else None

    def final(self, score: str) -> float | None:
        """The score at the run's final evaluation (the one with `metric.final_num_samples`), or None when the
        run has no value at that iteration: an earlier value, drawn with fewer samples, is not a final one."""
        last = self.last_iteration
        values = [value for step, value in self.scores.get(score, []) if step == last]
        return values[-1] if values else None


@dataclass(frozen=True)
class UnreadableRun:
    path: Path
    why: str  # which file, and what is wrong with it


def find_runs(root: Path) -> tuple[list[Run], list[UnreadableRun]]:
    """Every run at or below `root`, in job order (multirun/<date>/<time>/2 before .../10), and the run
    directories whose files cannot be read as ganlab writes them (ganlab.report.run_files)."""
    configs = sorted(Path(root).rglob(".hydra/config.yaml"), key=lambda path: _natural_key(path.parent.parent))
    runs, unreadable = [], []
    for path in (config.parent.parent for config in configs):
        try:
            runs.append(_read_run(path))
        except Unreadable as error:
            unreadable.append(UnreadableRun(path, str(error)))
    return runs, unreadable


def _read_run(path: Path) -> Run:
    run = Run(
        path=path,
        overrides=run_files.read_overrides(path / ".hydra" / "overrides.yaml"),
        config=run_files.read_config(path / ".hydra" / "config.yaml"),
        status=run_files.read_status(path / "status.json"),
    )
    for column, history in run_files.read_metrics(path / "metrics.csv").items():
        if is_score(column) and not column.startswith("val/d_acc_"):
            run.scores[column] = history
        elif column.startswith("val/real_"):
            run.references[column.replace("val/real_", "val/", 1)] = history[0][1]
    return run


def override_key(override: str) -> str:
    """`trick` for `trick=flip`, `model.lr` for `+model.lr=1`."""
    return override.split("=", 1)[0].lstrip("+~")


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]
