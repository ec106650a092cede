"""Names of the files cached per data set (domain classifiers, real-data references), and the folder they
live in."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ganlab.run_identity import data_selection


class CacheNotWritten(OSError):
    """A cache_dir that could not be made or written: named so, not as a fault of the data."""

    def __init__(self, cache_dir: str | Path, error: OSError) -> None:
        super().__init__(f"cache_dir = {cache_dir}: cannot be written ({error})")


def make_cache_dir(cache_dir: str | Path) -> Path:
    """`cache_dir`, made (before minutes of training rather than after them); CacheNotWritten when it cannot be.
    Light to import: ganlab.classifier calls it before torch is imported."""
    folder = Path(cache_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CacheNotWritten(cache_dir, error) from error
    return folder


def data_set_key(data_config: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """'<DataModule>-<digest>': the data module's class and a digest of the keys that select its images
    (ganlab.run_identity.data_selection), less `ignore`."""
    selecting = {key: value for key, value in data_selection(data_config).items() if key not in ignore}
    digest = hashlib.sha1(json.dumps(selecting, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"{data_config['_target_'].rsplit('.', 1)[-1]}-{digest}"
