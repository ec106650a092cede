"""Files someone may read at any moment (status.json, a checkpoint, a cache another sweep job reads) are
written beside their place and renamed over it, so a reader never sees one half-written, and a write cut
short leaves the previous file whole. A file that jobs side by side all need (a data set unpacked, a cache
trained once) is made by one of them while the others wait."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def replaced_atomically(path: str | Path, publish: bool = True) -> Iterator[Path]:
    """A temporary path beside `path`, this process's own (parallel writers never share one), to write to in
    the block; renamed over `path` when the block ends without an error and `publish` is true (a DDP process
    other than rank 0 writes nothing), and removed in every other case."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        yield partial
        if publish:
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_text_atomically(path: str | Path, text: str) -> None:
    """`text` into `path`, never half-written."""
    with replaced_atomically(path) as partial:
        partial.write_text(text)


@contextmanager
def made_by_one_job(path: Path, what: str) -> Iterator[None]:
    """Holds `<path>.lock` for the block: sweep jobs side by side (hydra/launcher=joblib) that all need the same
    file (an unpacked data set, a trained cache) wait for the first to make it, then read it, rather than each
    making a copy. Write the file atomically in the block too: where the file system has no locks the jobs go on
    without one."""
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
