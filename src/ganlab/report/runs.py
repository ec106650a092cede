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

from ganlab.lifecycle.status_file import FINAL_SCORES, is_stale
from ganlab.logged_columns import SAMPLE_COUNT, is_score
from ganlab.report import run_files
from ganlab.report.run_files import Unreadable
from ganlab.score_names import score_column, score_name


@dataclass
class Run:
    path: Path
    overrides: list[str]  # the job's command-line overrides, as Hydra wrote them (`trick=flip`)
    config: dict[str, Any]  # the composed config, unresolved interpolations left as written
    status: dict[str, Any]  # status.json; {} when the run wrote none
    scores: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # val/<score>: [(iteration, value)]
    # val/<score>: the generated samples each value of `scores` was computed on (None: its row does not say)
    sizes: dict[str, list[int | None]] = field(default_factory=dict)
    references: dict[str, float] = field(default_factory=dict)  # val/<score>: the real data's value
    final_scores: dict[str, Any] = field(default_factory=dict)  # final_scores.json; {} when the run has none
    logged_real_samples: int | None = None  # val/real_samples: the size of the reference in metrics.csv

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
        """The score at the run's final evaluation (final_scores.json's, else metrics.csv's with
        `metric.final_num_samples` at the last iteration), or None when the run has no value there: an earlier
        value, drawn with fewer samples, is not a final one. A score logged by another observer at the end (the
        memorization audit's val/copies) is metrics.csv's."""
        value = self.final_scores.get("scores", {}).get(score_name(score))
        if value is not None:
            return float(value)
        last = self.last_iteration
        pairs = zip(self.scores.get(score, []), self._sizes(score), strict=True)
        entries = [(size or 0, index, value) for index, ((step, value), size) in enumerate(pairs) if step == last]
        return max(entries)[2] if entries else None  # the largest sample, logged last

    def curve(self, score: str) -> list[tuple[int, float]]:
        """The score during training at one sample size, the first evaluation's (`metric.num_samples`): what pace
        and the curves compare. A run that did not log its sizes (before 2026-12-05) evaluated at that size at
        every iteration but the last, where its final evaluation was larger."""
        history, sizes = self.scores.get(score, []), self._sizes(score)
        if known := [size for size in sizes if size is not None]:
            return [entry for entry, size in zip(history, sizes, strict=True) if size == known[0]]
        before_the_end = [entry for entry in history if entry[0] != self.last_iteration]
        return before_the_end or history  # a score measured only at the end (the memorization audit's) is a point

    def _sizes(self, score: str) -> list[int | None]:
        return self.sizes.get(score) or [None] * len(self.scores.get(score, []))

    def samples(self, score: str) -> dict[str, int | None]:
        """The sample sizes behind `score`: {"curve": generated samples per evaluation during training, "final":
        at the final evaluation, "real": real images of the reference}; None where the run does not say."""
        metric = self.config.get("metric") or {}
        known = [size for size in self._sizes(score) if size is not None]
        final = self.final_scores.get("samples") or (max(known) if known else metric.get("final_num_samples"))
        real = self.final_scores.get("real_samples") or self.logged_real_samples or metric.get("final_num_samples")
        return {"curve": known[0] if known else metric.get("num_samples"), "final": final, "real": real}

    @property
    def yardstick_record(self) -> dict[str, Any]:
        """What the run recorded of the yardstick its final values were measured with (final_scores.json's, else
        status.json's); {} when it recorded none (ganlab before 2026-12-05)."""
        return self.final_scores.get("yardstick") or self.status.get("yardstick") or {}

    @property
    def yardstick(self) -> str | None:
        return self.yardstick_record.get("id")

    @property
    def curve_yardstick(self) -> str | None:
        """... and the one its evaluations during training were measured with (status.json's)."""
        return (self.status.get("yardstick") or {}).get("id")


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
            runs.append(read_run(path))
        except Unreadable as error:
            unreadable.append(UnreadableRun(path, str(error)))
    return runs, unreadable


def read_run(path: Path) -> Run:
    """The run in directory `path`; Unreadable when one of its files cannot be read as ganlab writes it."""
    run = Run(
        path=path,
        overrides=run_files.read_overrides(path / ".hydra" / "overrides.yaml"),
        config=run_files.read_config(path / ".hydra" / "config.yaml"),
        status=run_files.read_status(path / "status.json"),
    )
    columns, sizes = run_files.read_metrics(path / "metrics.csv")
    for column, history in columns.items():
        if is_score(column) and not column.startswith("val/d_acc_"):
            run.scores[column], run.sizes[column] = history, sizes[column]
        elif column == score_column(f"real_{score_name(SAMPLE_COUNT)}"):
            run.logged_real_samples = int(history[0][1])
        elif column.startswith("val/real_"):
            run.references[column.replace("val/real_", "val/", 1)] = history[0][1]
    run.final_scores = run_files.read_final_scores(path / FINAL_SCORES)
    if run.final_scores:  # the final evaluation's own reference (a rescored run's is on its new yardstick)
        real = run.final_scores["real"]
        run.references = {f"val/{name.removeprefix('real_')}": value for name, value in real.items()}
    return run


def override_key(override: str) -> str:
    """`trick` for `trick=flip`, `model.lr` for `+model.lr=1`."""
    return override.split("=", 1)[0].lstrip("+~")


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]
