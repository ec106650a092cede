"""status.json: how a run ended, or how far it has got, in a file a person or a sweep report reads.

Kept apart from the callback that updates it during training (`ganlab.lifecycle.status`) so that a run
refused before training can write it, and the report read hundreds, without importing Lightning. It is
written atomically (ganlab.atomic_files): a reader never sees it half-written.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ganlab.atomic_files import write_text_atomically

# A `running` status not rewritten for this long belongs to a run killed without warning (SIGKILL, a node lost):
# the status callback rewrites it at least every `lifecycle.status.heartbeat_seconds` (60) while training.
STALE_AFTER_SECONDS = 30 * 60
# beside status.json: a completed run's final evaluation (scores, sample sizes, yardstick), which the report reads
FINAL_SCORES = "final_scores.json"


class Diverged(RuntimeError):
    """Training produced a non-finite loss (`ganlab.callbacks.divergence`): the run ends `diverged`."""


class Interrupted(SystemExit):
    """A run stopped by a signal (`ganlab.lifecycle.signals`) after saving its checkpoint; exits with
    128 + the signal's number. A SystemExit, so a sweep stops too rather than starting its next job on a
    machine being taken away."""

    def __init__(self, signal_name: str, message: str) -> None:
        super().__init__(128 + signal.Signals[signal_name].value)
        self.signal_name, self.message = signal_name, message

    def __str__(self) -> str:
        return self.message


def write_status(path: Path, status: str, **fields: Any) -> None:
    """Write {"status": ..., "updated": <UTC ISO time>, **fields} atomically (never a half-written file)."""
    record = {"status": status, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields}
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")


def hydra_overrides() -> list[str] | None:
    """The job's command-line overrides (`trick=flip seed=1`) when Hydra started it, else None."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else None


def read_status(run_dir: Path) -> dict[str, Any]:
    """A run directory's status.json; {} when it has none, or one that is not a JSON record (damaged: see
    `status_unreadable`)."""
    try:
        record = json.loads((Path(run_dir) / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # ValueError: not JSON, or not UTF-8
        return {}
    return record if isinstance(record, dict) else {}


def status_unreadable(run_dir: Path) -> bool:
    """Whether the directory holds a status.json that cannot be read as a run's record."""
    return (Path(run_dir) / "status.json").is_file() and "status" not in read_status(run_dir)


def age_seconds(status: dict[str, Any]) -> float:
    """Seconds since the status was written (its `updated` field); infinite when it has none."""
    try:
        updated = datetime.fromisoformat(status["updated"])
    except (KeyError, TypeError, ValueError):
        return float("inf")
    return (datetime.now(timezone.utc) - updated).total_seconds()


def is_stale(status: dict[str, Any]) -> bool:
    """Whether a status says `running` but its run has stopped rewriting it: killed without warning."""
    return status.get("status") == "running" and age_seconds(status) > STALE_AFTER_SECONDS
