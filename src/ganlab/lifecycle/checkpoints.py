"""checkpoints/last.ckpt: Lightning's ModelCheckpoint, saving at epoch ends at most every so often, and always
at the epoch end where training stops.

Lightning saves at the end of every `every_n_epochs`-th epoch. With a large model and short epochs (the
complete DCGAN on CIFAR-10 horses: 78 iterations of batch 64 and a 260 MB checkpoint) those saves cost about
a tenth of an H100's training time, so a user raises `every_n_epochs`; but then the epoch where training
stops need not be one that saves, and the run would end with an older checkpoint than its weights, or none.
This one saves there too, at the same point of the loop as every other save (the end of the epoch, which
Lightning runs also when `max_steps` stops it mid-epoch), so `ckpt_path=last` resumes exactly as always.

`min_seconds_between_saves` does the same without a count of epochs to choose: an epoch end saves only once
that many seconds have passed since training started or last saved here. Lightning's own time cadence,
`train_time_interval`, is ignored under manual optimization (ModelCheckpoint checks it only for automatic
optimization), so it is refused here rather than silently doing nothing.

The save where training stops goes to checkpoints/end.ckpt, and becomes last.ckpt only after the run's
ending (its final scores, pictures and memorization audit: the other callbacks' on_train_end; Lightning runs
checkpoint callbacks' hooks after all others). A run killed during its ending then resumes from the
checkpoint before it, trains the last iterations again (exactly) and writes the ending; resumed from a
last.ckpt at its end, it would have nothing left to train and its final scores would never be written.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint

from ganlab.errors import InvalidValue
from ganlab.lifecycle.plan import END_CHECKPOINT
from ganlab.value_checks import is_number

log = logging.getLogger(__name__)


def training_stops_after_this_epoch(trainer: pl.Trainer) -> bool:
    steps_done = trainer.max_steps not in (None, -1) and trainer.global_step >= trainer.max_steps
    epochs_done = trainer.max_epochs not in (None, -1) and trainer.current_epoch + 1 >= trainer.max_epochs
    return steps_done or epochs_done or trainer.should_stop


class RunCheckpoint(ModelCheckpoint):
    def __init__(self, *args: Any, min_seconds_between_saves: float = 0.0, **kwargs: Any) -> None:
        if kwargs.get("train_time_interval") is not None:
            raise InvalidValue(
                "train_time_interval", kwargs["train_time_interval"],
                "null: Lightning ignores it under manual optimization, which ganlab trains with; "
                "min_seconds_between_saves saves at an epoch end once that many seconds have passed",
            )  # fmt: skip
        if not (is_number(min_seconds_between_saves) and min_seconds_between_saves >= 0):
            raise InvalidValue(
                "min_seconds_between_saves", min_seconds_between_saves,
                "a number of seconds >= 0 (0: every every_n_epochs-th epoch end)",
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.min_seconds_between_saves = float(min_seconds_between_saves)
        self._saved_at = time.monotonic()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._saved_at = time.monotonic()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if training_stops_after_this_epoch(trainer):
            # every process calls it, as Lightning asks; weights_only=False (the whole training state) said here, or
            # Lightning logs that it "was not set", which reads as if the file were loaded unsafely
            trainer.save_checkpoint(self._path(END_CHECKPOINT.stem), weights_only=False)
        elif self.time_to_save(trainer):
            super().on_train_epoch_end(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        if trainer.is_global_zero and self._path(END_CHECKPOINT.stem).is_file():  # the ending is written
            os.replace(self._path(END_CHECKPOINT.stem), self._path(self.filename))
            log.info(
                "checkpoint %s: weights, optimizer states, iteration counters, RNG states and the resolved config, "
                "as tensors and plain containers (read back as data, never as code)",
                self._path(self.filename),
            )

    def _path(self, name: str) -> Path:
        return Path(self.dirpath) / f"{name}{self.FILE_EXTENSION}"

    def time_to_save(self, trainer: pl.Trainer) -> bool:
        """Whether `min_seconds_between_saves` have passed since training started or this last saved. Rank 0's
        clock decides for every process: a save waits for all of them, so they must agree."""
        if not self.min_seconds_between_saves:
            return True
        return trainer.strategy.broadcast(time.monotonic() - self._saved_at >= self.min_seconds_between_saves)

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        self._saved_at = time.monotonic()
