"""The run's curves as pictures, drawn once training has ended: losses per iteration and scores per evaluation."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl

from ganlab.callbacks.pictures import log_picture
from ganlab.contracts import TrainingState
from ganlab.plots import save_training_curves


class TrainingCurves(pl.Callback):
    """<dirpath>/losses.png and scores.png (see `ganlab.plots.save_training_curves`) from `metrics_csv`,
    at the end of training, also shown in the loggers that display images.

    Drawn in on_train_end, after the final evaluation (the Evaluation callback comes first, see
    `ganlab.build.build_trainer`) and before Lightning finalizes the loggers, which ends a W&B run."""

    def __init__(self, metrics_csv: str, dirpath: str) -> None:
        self.metrics_csv, self.dirpath = Path(metrics_csv), Path(dirpath)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        if not trainer.is_global_zero:
            return
        for logger in trainer.loggers:
            logger.save()  # CSVLogger writes the rows it holds, the final evaluation's included
        if self.metrics_csv.is_file():
            for path in save_training_curves(self.metrics_csv, self.dirpath):
                log_picture(trainer, f"plots/{path.stem}", path, pl_module.iteration)
