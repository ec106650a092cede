"""checkpoints/last.ckpt: Lightning's ModelCheckpoint, which also saves at the epoch end where training stops.

Lightning saves at the end of every `every_n_epochs`-th epoch. With a large model and short epochs (the
complete DCGAN on CIFAR-10 horses: 78 iterations of batch 64 and a 260 MB checkpoint) those saves cost about
a tenth of an H100's training time, so a user raises `every_n_epochs`; but then the epoch where training
stops need not be one that saves, and the run would end with an older checkpoint than its weights, or none.
This one saves there too, at the same point of the loop as every other save (the end of the epoch, which
Lightning runs also when `max_steps` stops it mid-epoch), so `ckpt_path=last` resumes exactly as always.
"""

from __future__ import annotations

import functools

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint


def training_stops_after_this_epoch(trainer: pl.Trainer) -> bool:
    steps_done = trainer.max_steps not in (None, -1) and trainer.global_step >= trainer.max_steps
    epochs_done = trainer.max_epochs not in (None, -1) and trainer.current_epoch + 1 >= trainer.max_epochs
    return steps_done or epochs_done or trainer.should_stop


class RunCheckpoint(ModelCheckpoint):
    @functools.cached_property
    def state_key(self) -> str:
        # Lightning reads it at every hook of every iteration (it names the profiler's action), and
        # ModelCheckpoint formats it afresh from its settings each time (~0.9 us); they never change
        return super().state_key

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        # _should_skip_saving_checkpoint also skips a step the epoch's own save just wrote
        if training_stops_after_this_epoch(trainer) and not self._should_skip_saving_checkpoint(trainer):
            self._save_topk_checkpoint(trainer, self._monitor_candidates(trainer))
