"""How a run shows its progress: Lightning's bar on a terminal, a line now and then anywhere else.

Both show D's and G's losses without Lightning's `self.log` (`ganlab.module` never calls it): the bar shows
those of the last row written to the loggers (`LossBar`, every 50 iterations), a line those of its iteration.

A cluster job's output is a file, where a bar redrawn with carriage returns piles up thousands of frames
(6300 frames, 700 KB, for the 3000-iteration default run). Off a terminal `ProgressLines` logs one plain
line each time another tenth of the run is done or `every_n_seconds` have passed, through Python logging,
so the same lines also land in train.log.
"""

from __future__ import annotations

import logging
import sys
import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ProgressBar, TQDMProgressBar

from ganlab.contracts import TrainingState

log = logging.getLogger(__name__)


class ProgressLines(ProgressBar):
    """'iteration 1200/3000 (40%), epoch 42, 231 it/s, train/d_loss 1.23, train/g_loss 0.98' every tenth
    of the run (or every `every_n_seconds` when that comes first, or when the run's length is set in
    epochs), and once at the end."""

    def __init__(self, every_n_seconds: float = 60.0) -> None:
        super().__init__()
        self.every_n_seconds = float(every_n_seconds)
        self._enabled = True
        self._last_time = self._last_iteration = 0.0
        self._next_tenth = 1

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self._last_time, self._last_iteration = time.monotonic(), pl_module.iteration
        self._next_tenth = 1

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self._enabled or not trainer.is_global_zero:
            return
        total = pl_module.planned_iterations
        tenth_done = total is not None and pl_module.iteration * 10 >= self._next_tenth * total
        if tenth_done or time.monotonic() - self._last_time >= self.every_n_seconds:
            if total is not None:
                self._next_tenth = pl_module.iteration * 10 // total + 1
            self._report(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        if self._enabled and trainer.is_global_zero and pl_module.iteration != self._last_iteration:
            self._report(trainer, pl_module)

    def _report(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        now, iteration, total = time.monotonic(), pl_module.iteration, pl_module.planned_iterations
        rate = (iteration - self._last_iteration) / max(now - self._last_time, 1e-9)
        self._last_time, self._last_iteration = now, iteration
        done = f"iteration {iteration}" + (f"/{total} ({100 * iteration // total}%)" if total else "")
        metrics = {key: value for key, value in self.get_metrics(trainer, pl_module).items() if key != "v_num"}
        # this iteration's losses (LossBar shows the last written row's); one wait for the device per line
        losses = pl_module.latest_losses
        metrics.update({key: losses[key].item() for key in ("train/d_loss", "train/g_loss") if key in losses})
        values = "".join(f", {key} {_number(value)}" for key, value in metrics.items())
        log.info("%s, epoch %d, %.0f it/s%s", done, trainer.current_epoch, rate, values)


class LossBar(TQDMProgressBar):
    """Lightning's tqdm bar, with the losses of the last row the module wrote to the loggers."""

    def get_metrics(self, trainer: pl.Trainer, pl_module: TrainingState) -> dict[str, int | str | float | dict]:
        return {**super().get_metrics(trainer, pl_module), **pl_module.written_losses}


def _number(value: object) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def progress_display(enabled: bool = True, every_n_seconds: float = 60.0) -> ProgressBar | None:
    """`LossBar` (Lightning's tqdm bar) when stdout is a terminal, `ProgressLines` when it is not, None when
    `enabled` is false (trainer.enable_progress_bar=false)."""
    if not enabled:
        return None
    return LossBar() if sys.stdout.isatty() else ProgressLines(every_n_seconds)
