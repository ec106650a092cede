"""status.json: how a run ended, or how far it has got, in a file a person or a sweep report reads.

Kept apart from the callback that updates it during training (`ganlab.callbacks.status`) so that a run
refused before training can write it without importing Lightning. `write_text_atomically` also serves the
other summary files a reader may open at any moment (the report's).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class Diverged(RuntimeError):
    """Training produced a non-finite loss (`ganlab.callbacks.divergence`): the run ends `diverged`."""


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: a reader never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    os.replace(partial, path)


def write_status(path: Path, status: str, **fields: Any) -> None:
    """Write {"status": ..., "updated": <UTC ISO time>, **fields} atomically (never a half-written file)."""
    record = {"status": status, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields}
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")
