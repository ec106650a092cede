"""status.json: how a run ended, or how far it has got, in a file a person or a sweep report reads.

Kept apart from the callback that updates it during training (`ganlab.callbacks.status`) so that a run
refused before training can write it without importing Lightning.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class Diverged(RuntimeError):
    """Training produced a non-finite loss (`ganlab.callbacks.divergence`): the run ends `diverged`."""


def write_status(path: Path, status: str, **fields: Any) -> None:
    """Write {"status": ..., "updated": <UTC ISO time>, **fields} atomically (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"status": status, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields}
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(partial, path)
