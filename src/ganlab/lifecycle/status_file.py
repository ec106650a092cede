"""status.json: how a run ended, or how far it has got, in a file a person or a sweep report reads.

Kept apart from the callback that updates it during training (`ganlab.lifecycle.status`) so that a run
refused before training can write it, and the report read hundreds, without importing Lightning. It is
written atomically (ganlab.atomic_files): a reader never sees it half-written.
"""

from __future__ import annotations

import json
import os
import platform
import signal
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ganlab.atomic_files import write_text_atomically

# A `running` status not rewritten for this long belongs to a run killed without warning (SIGKILL, a node lost):
# the status callback rewrites it at least every `lifecycle.status.heartbeat_seconds` (60) while training. On the
# machine that wrote it, the writer's process id tells at once: a run whose process is gone is dead now.
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
    """Write {"status": ..., "updated": <UTC ISO time>, "process": {host, pid}, **fields} atomically (never a
    half-written file)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = {"status": status, "updated": now, "process": {"host": platform.node(), "pid": os.getpid()}, **fields}
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
    """Whether a status says `running` but its run was killed without warning: it has stopped rewriting it, or
    it was written on this machine by a process that no longer exists."""
    return status.get("status") == "running" and (age_seconds(status) > STALE_AFTER_SECONDS or _writer_gone(status))


def _writer_gone(status: dict[str, Any]) -> bool:
    """Whether this machine wrote `status` from a process that has ended; False wherever that cannot be told (another
    machine, a status written before 2026-12-06 without its process, a process id taken again by another)."""
    process = status.get("process")
    if not isinstance(process, dict) or process.get("host") != platform.node():
        return False
    pid = process.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: asks only whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False
