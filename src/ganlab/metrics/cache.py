"""Names of the files cached per data set (domain classifiers, real-data references), and one job at a time
making one."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ganlab.run_identity import data_selection

log = logging.getLogger(__name__)


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


@contextmanager
def made_by_one_job(path: Path, what: str) -> Iterator[None]:
    """Holds `<path>.lock` for the block: sweep jobs side by side (hydra/launcher=joblib) that all need the same
    cache file wait for the first to make it, then read it, rather than each spending minutes on a copy. The
    file is written atomically either way, so where the file system has no locks the jobs go on without one."""
    from filelock import FileLock, Timeout

    lock = FileLock(f"{path}.lock")
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.info("another job is making %s (%s): waiting for it", what, path)
            lock.acquire()
    except OSError as error:  # a file system that refuses locks
        log.info("%s: no lock (%s); a job beside this one may make %s too", path, error, what)
        yield
        return
    try:
        yield
    finally:
        lock.release()
