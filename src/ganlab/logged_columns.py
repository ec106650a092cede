"""Reading a run's metrics.csv (Lightning's CSVLogger): one column per logged key, rows by iteration.

Kept free of torch and Lightning, so the report reads a sweep of hundreds of runs in a second.
"""

from __future__ import annotations

import csv
from pathlib import Path

SAMPLE_COUNT = "val/samples"  # how many generated samples the row's scores were computed on


def read_columns(metrics_csv: Path) -> dict[str, list[tuple[int, float]]]:
    """{column: [(step, value), ...]} for every non-empty cell of metrics.csv, in file order.

    Training and evaluation rows of the same iteration are separate rows (see README, Design choices),
    so each column's list holds only the rows that logged it."""
    columns: dict[str, list[tuple[int, float]]] = {}
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            for key, value in row.items():
                if key not in ("step", "epoch") and value not in ("", None):
                    columns.setdefault(key, []).append((int(row["step"]), float(value)))
    return columns


def is_score(column: str) -> bool:
    """A generator's score (`val/fid`), not its real-data reference (`val/real_fid`), a spread (`_std`) or the
    evaluation's sample count (`val/samples`)."""
    return (
        column.startswith("val/")
        and not column.startswith("val/real_")
        and not column.endswith("_std")
        and column != SAMPLE_COUNT
    )
