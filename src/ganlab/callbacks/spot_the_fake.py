"""The Flux tutorial's "spot the fake": real and generated images mixed in one 6x6 grid, the answers beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytorch_lightning as pl
import torch

from ganlab.callbacks.pictures import PeriodicPicture
from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.images import is_image_shape
from ganlab.plots import save_image_grid
from ganlab.value_checks import is_int


class SpotTheFake(PeriodicPicture):
    """`side` x `side` images, half real and half generated, in a seeded random order:
    step_<iteration>.png, and step_<iteration>.json with the answer ("real"/"fake" per row and column).
    A data set with fewer than side^2/2 images fills fewer rows. Drawn at the first and last iteration by
    default."""

    name = "spot_the_fake"

    def __init__(self, dirpath: str, every_n_steps: int = 0, side: int = 6, seed: int = 0) -> None:
        super().__init__(dirpath, every_n_steps, seed)
        if not (is_int(side) and side >= 2 and side % 2 == 0):
            raise InvalidValue("side", side, "an even number >= 2 (half real, half generated)")
        self.side = int(side)

    def sample_size(self, trainer: pl.Trainer) -> int:
        return self.side * self.side // 2

    def applies(self, trainer: pl.Trainer, pl_module: TrainingState) -> bool:
        return is_image_shape(trainer.datamodule.data_shape)

    def draw(self, trainer: pl.Trainer, pl_module: TrainingState, path: Path) -> None:
        fake = self._generated(pl_module)
        half = len(self.real)
        order = torch.randperm(2 * half, generator=torch.Generator().manual_seed(self.seed))
        images = torch.cat([self.real, fake])[order]
        save_image_grid(images, path, trainer.datamodule.value_range, nrow=self.side)
        kinds = ["real" if index < half else "fake" for index in order.tolist()]
        answers = [kinds[start : start + self.side] for start in range(0, len(kinds), self.side)]
        path.with_suffix(".json").write_text(json.dumps({"iteration": pl_module.iteration, "answers": answers}))
