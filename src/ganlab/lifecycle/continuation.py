"""metrics.csv carried on from a checkpoint: the rows up to it are written again, the rows after it dropped
(the resumed run logs them again), and the file as it was is kept aside until then."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import CSVLogger


def metrics_to_continue(metrics_csv: Path, iteration: int) -> list[dict[str, str]]:
    """The rows of a run's metrics.csv up to a checkpoint taken after `iteration` iterations: training rows
    of iterations 0..iteration-1 and evaluations up to `iteration`. Rows written after the checkpoint (a run
    killed later) are left out: the resumed run writes them again."""
    if not metrics_csv.is_file():
        return []
    with open(metrics_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    kept = []
    for row in rows:
        step = int(float(row.get("step") or 0))
        training = any(value != "" for key, value in row.items() if key.startswith("train/"))
        if step < iteration or (step == iteration and not training):
            kept.append(row)
    return kept


def keep_before_rewriting(path: Path) -> Path | None:
    """Rename `path` to <path>.before-resume (returned), so that nothing is lost while it is rewritten."""
    if not path.exists():
        return None
    aside = path.with_name(path.name + ".before-resume")
    os.replace(path, aside)
    return aside


def continue_metrics(trainer: pl.Trainer, output_dir: Path, iteration: int) -> None:
    """metrics.csv goes on from the checkpoint: its rows up to `iteration` are written again through the CSV
    logger (which starts a fresh file), the rows after it are dropped (the resumed run logs them again)."""
    metrics_csv = output_dir / "metrics.csv"
    rows = metrics_to_continue(metrics_csv, iteration)
    aside = keep_before_rewriting(metrics_csv)
    for logger in trainer.loggers:
        if isinstance(logger, CSVLogger) and Path(logger.log_dir).resolve() == output_dir.resolve():
            for row in rows:
                values = {key: _number(value) for key, value in row.items() if value != "" and key != "step"}
                logger.log_metrics(values, step=int(float(row["step"])))
            logger.save()
    if aside is not None:
        aside.unlink()


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)
