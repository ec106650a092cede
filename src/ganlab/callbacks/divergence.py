"""Stops a run whose losses are no longer finite: a diverged GAN trains on NaNs to the end otherwise.

Reading a loss makes the host wait for the device, which on a GPU stops it queueing the next iteration's work.
So the guard has no wait of its own while training: it checks the losses of each block of metrics rows as the
module writes it (`ganlab.training_rows`: every 50 rows, so every 50 iterations at the default
`trainer.log_every_n_steps` of 1), numbers on the host by then, which the run's record passes on
(ganlab.run_record), and names the first iteration whose loss was not finite. A NaN stays in the weights, so
the run stops at most a block after it, having lost only those iterations. It does wait before every
checkpoint and at the end of training: it writes the rows not yet written, checks them and the latest losses,
and stops the run there, so that no checkpoint ever holds diverged weights. `every_n_steps=n` also reads the
latest losses every n iterations, one wait each (1 stops at the very iteration a loss turns non-finite).
"""

from __future__ import annotations

import logging
import math

import pytorch_lightning as pl

from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.lifecycle.status_file import Diverged
from ganlab.value_checks import is_int

log = logging.getLogger(__name__)


class DivergenceGuard(pl.Callback):
    def __init__(self, every_n_steps: int | None = None) -> None:
        if not (every_n_steps is None or (is_int(every_n_steps) and every_n_steps >= 1)):
            allowed = "null (no wait of its own) or a positive integer (iterations between reads)"
            raise InvalidValue("every_n_steps", every_n_steps, allowed)
        self.every_n_steps = every_n_steps
        self._module: TrainingState | None = None

    def setup(self, trainer: pl.Trainer, pl_module: TrainingState, stage: str) -> None:
        self._module = pl_module
        pl_module.record.read_rows(self._check_rows)

    def on_train_batch_end(self, trainer, pl_module: TrainingState, outputs, batch, batch_idx) -> None:
        if self.every_n_steps is not None and pl_module.iteration % self.every_n_steps == 0:
            self._check_latest_losses(trainer, pl_module)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: TrainingState, checkpoint: dict) -> None:
        # before the file is written (and before the module's hook): raising here leaves the previous checkpoint whole
        try:
            self._check_all(trainer, pl_module)
        except Diverged as error:
            if not trainer.interrupted:
                raise
            # a checkpoint saved on a signal (ganlab.lifecycle.signals), while Lightning handles it: raising
            # here would stop the other callbacks from recording the interruption
            log.error("%s; the checkpoint saved on this signal holds those weights", error)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self._check_all(trainer, pl_module)

    def _check_all(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        pl_module.write_training_rows()  # the rows kept so far reach _check_rows
        self._check_latest_losses(trainer, pl_module)

    def _check_rows(self, rows) -> None:
        """The losses in a block of rows as the module writes it. The rows hold the mean over the DDP processes
        (ganlab.training_rows), so every process decides alike."""
        module = self._module
        for step, _, values in rows:
            bad = _not_finite({key: values[key] for key in module.latest_losses if key in values})
            if bad:
                _stop(step + 1, bad, module.iteration)

    def _check_latest_losses(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        losses = pl_module.latest_losses
        if not losses:
            return
        # the wait for the device; a copy per loss is cheaper than stacking them on the device first
        values = {name: value.item() for name, value in losses.items()}
        # these are this process's: under DDP every process stops if any diverged, or the others would wait
        if trainer.strategy.reduce_boolean_decision(not _not_finite(values), all=True):
            return
        rows, step = pl_module.training_rows, pl_module.iteration - 1
        latest_rows = rows.rows or rows.written  # kept, or else written last
        # an iteration that has no row (trainer.log_every_n_steps > 1): the losses that stop the run get one
        if not latest_rows or latest_rows[-1][0] != step:
            rows.add(step, trainer.current_epoch, values)
        _stop(pl_module.iteration, _not_finite(values) or "on another process", pl_module.iteration)


def _not_finite(values: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value}" for name, value in values.items() if not math.isfinite(value))


def _stop(iteration: int, bad: str, stopped_after: int) -> None:
    raise Diverged(
        f"non-finite loss in iteration {iteration} ({bad}); training stopped after {stopped_after} iterations, keeping "
        "the metrics so far and the checkpoint saved before it, if any"
    )
