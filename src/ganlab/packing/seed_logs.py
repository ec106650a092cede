"""Each packed seed's train.log: the lines of its own observers, and the pack's own lines, which concern it too.

Hydra gives a job a log file (`<run dir>/<job name>.log`, train.log) through its job_logging config; a pack is
one process for K jobs. `seed_logs` puts one file handler per seed where Hydra's one file handler was, each
letting through the lines written while its seed's observers ran (`seed_runs.current_seed`) and those written
between them (the pack's). The console keeps every line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ganlab.packing.seed_runs import current_seed


class SeedLines(logging.Filter):
    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def filter(self, record: logging.LogRecord) -> bool:
        return current_seed.get() in (None, self.index)


@contextmanager
def seed_logs(log_files: Sequence[Path]) -> Iterator[None]:
    """While training the pack: the root logger's file handler replaced by one per seed's `log_files`."""
    root = logging.getLogger()
    hydra_files = [handler for handler in root.handlers if isinstance(handler, logging.FileHandler)]
    template = hydra_files[0] if hydra_files else None
    seeds = []
    for index, path in enumerate(log_files):
        handler = logging.FileHandler(path, encoding="utf-8")
        if template is not None:
            handler.setFormatter(template.formatter)
            handler.setLevel(template.level)
        handler.addFilter(SeedLines(index))
        seeds.append(handler)
    for handler in hydra_files:
        root.removeHandler(handler)
    for handler in seeds:
        root.addHandler(handler)
    try:
        yield
    finally:
        for handler in seeds:
            root.removeHandler(handler)
            handler.close()
        for handler in hydra_files:
            root.addHandler(handler)
