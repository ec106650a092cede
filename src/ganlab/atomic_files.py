"""Files someone may read at any moment (status.json, a checkpoint, a cache another sweep job reads) are
written beside their place and renamed over it, so a reader never sees one half-written, and a write cut
short leaves the previous file whole."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
