"""Per-iteration training values, kept on the device and handed to the loggers in blocks.

Lightning's `self.log` costs about a millisecond per key per call (its result collection moves and checks
every value), and reading a loss from a GPU makes the host wait for it. A GAN iteration of a small model
takes a few milliseconds, so ganlab records every iteration's losses as tensors here and writes them
every `block` iterations: one stack, one copy to the host (one reduction across DDP processes), then one
`log_metrics` call per row and logger, the same rows metrics.csv and W&B always received. The module
writes the block at the end of training, before each checkpoint and before each evaluation (so rows stay
in iteration order), and the status callback writes it when a run stops on an error or a signal: nothing
recorded is lost between two writes. The module passes each block written, as numbers, to the readers of the
run's record (ganlab.run_record): a callback that checks the losses (divergence, findings) reads them there
without a wait of its own.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch


class TrainingRows:
    def __init__(self, block: int = 50) -> None:
        self.block = int(block)
        self.rows: list[tuple[int, int, dict[str, torch.Tensor | float]]] = []  # (step, epoch, values)
        self.written: list[tuple[int, int, dict[str, float]]] = []  # the last block written, values as numbers

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, step: int, epoch: int, values: dict[str, torch.Tensor | float]) -> None:
        self.rows.append((step, epoch, values))

    def write(self, trainer: pl.Trainer, reduce: bool = True) -> dict[str, float]:
        """Hand the rows kept so far to the trainer's loggers; returns the last row's values ({} if none).
        `reduce`: average each value over the DDP processes (every process must call it then)."""
        rows, self.rows = self.rows, []
        if not rows:
            return {}
        places = [(index, key) for index, (_, _, values) in enumerate(rows) for key, value in values.items()
                  if isinstance(value, torch.Tensor)]  # fmt: skip
        if places:
            stacked = torch.stack([rows[index][2][key].detach().float().reshape(()) for index, key in places])
            if reduce and trainer.world_size > 1:
                stacked = trainer.strategy.reduce(stacked, reduce_op="mean")
            for (index, key), number in zip(places, stacked.tolist(), strict=True):  # the one wait for the device
                rows[index][2][key] = number
        for step, epoch, values in rows:
            for logger in trainer.loggers:
                logger.log_metrics({**values, "epoch": epoch}, step=step)
        self.written = rows
        return dict(rows[-1][2])
