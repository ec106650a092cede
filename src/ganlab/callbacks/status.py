"""status.json: whether a run is running, completed, failed or interrupted, and how far it got.

A sweep's report reads it to tell which jobs failed; a person reads it instead of the terminal.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from ganlab.contracts import TrainingState
from ganlab.status_file import Diverged, write_status


class RunStatus(pl.Callback):
    """Keeps <path> current: `running` (with the iteration, every `every_n_steps`), then `completed`,
    `diverged` (with the reason), `failed` (with the error) or `interrupted`."""

    def __init__(self, path: str, every_n_steps: int = 100) -> None:
        self.path, self.every_n_steps = Path(path), int(every_n_steps)
        self.started = ""

    def _write(self, trainer: pl.Trainer, pl_module: TrainingState, status: str, **fields: Any) -> None:
        if trainer.is_global_zero:
            iterations = trainer.max_steps // pl_module.optimizer_steps_per_iteration if trainer.max_steps > 0 else -1
            write_status(
                self.path,
                status,
                iteration=pl_module.iteration,
                max_iterations=iterations,
                epoch=trainer.current_epoch,
                started=self.started,
                **fields,
            )

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._write(trainer, pl_module, "running")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.every_n_steps and pl_module.iteration % self.every_n_steps == 0:
            self._write(trainer, pl_module, "running")

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self._write(trainer, pl_module, "completed")

    def on_exception(self, trainer: pl.Trainer, pl_module: TrainingState, exception: BaseException) -> None:
        for logger in trainer.loggers:
            logger.save()  # the rows a logger still holds (CSVLogger writes every 10): nothing measured is lost
        if isinstance(exception, KeyboardInterrupt):
            self._write(trainer, pl_module, "interrupted")
        elif isinstance(exception, Diverged):
            self._write(trainer, pl_module, "diverged", reason=str(exception))
        else:
            self._write(trainer, pl_module, "failed", error=f"{type(exception).__name__}: {exception}")
