"""The Flux tutorial's progress strip: the same latents drawn at the end of every epoch, one row per epoch, as a PNG
(rows stacked, the first epoch on top) and an animated GIF (one frame per epoch)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image

from ganlab.callbacks.isolation import evaluating
from ganlab.callbacks.pictures import log_picture
from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.images import is_image_shape, to_uint8, to_uint8_nhwc, uint8_to_range
from ganlab.plots import PNG_COMPRESS_LEVEL, image_grid
from ganlab.value_checks import is_int, is_number


class ProgressStrip(pl.Callback):
    """Draws a row after every epoch. With more epochs than `max_rows` it shows every second epoch, then
    every fourth, ... (evenly spaced from the first, `max_rows` / 2 to `max_rows` rows) and the last, and
    keeps only those, in memory and in checkpoints (every epoch's row made the MLP's checkpoint grow by
    0.17 MB an epoch, and each save with it). A row is kept as its samples, drawn when the strip is written.

    Writes <dirpath>/progress.png and progress.gif at the end, when the run fails or is interrupted, and at
    the first epoch end `write_every_n_seconds` after the last write, so a killed run keeps them too. A
    write encodes every kept row (0.08 s for 10 MNIST rows, 0.15 s for 20): every tenth epoch, as it was,
    that cost 3% of a 3000-iteration MLP run on MNIST's test split on a CPU, and more as rows accumulate. A
    resumed run gets its rows back from the checkpoint."""

    def __init__(
        self,
        dirpath: str,
        num_images: int = 15,
        max_rows: int = 60,
        write_every_n_seconds: float = 600.0,
        seed: int = 0,
    ) -> None:
        for name, value, ok, allowed in (
            ("num_images", num_images, is_int(num_images) and num_images >= 1, "an integer >= 1"),
            ("max_rows", max_rows, is_int(max_rows) and max_rows >= 2, "an integer >= 2"),
            ("write_every_n_seconds", write_every_n_seconds, is_number(write_every_n_seconds)
             and write_every_n_seconds >= 0, "a number of seconds >= 0"),
        ):  # fmt: skip
            if not ok:
                raise InvalidValue(name, value, allowed)
        self.dirpath = Path(dirpath)
        self.num_images, self.max_rows, self.seed = int(num_images), int(max_rows), int(seed)
        self.write_every_n_seconds = float(write_every_n_seconds)
        self._written_at = time.monotonic()
        self.rows: list[np.ndarray] = []  # uint8 samples (N, C, H, W) of the epochs shown
        self.epochs: list[int] = []  # theirs, counted from 0: the multiples of `stride`, and the latest
        self.stride = 1

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self.latents = pl_module.latent.sample(self.num_images, generator=torch.Generator().manual_seed(self.seed))

    def state_dict(self) -> dict:
        # a resumed run's strip goes on
        rows = [torch.from_numpy(row) for row in self.rows]
        return {"rows": rows, "epochs": list(self.epochs), "stride": self.stride}

    def load_state_dict(self, state_dict: dict) -> None:
        self.rows = [row.numpy() for row in state_dict["rows"]]
        self.epochs, self.stride = list(state_dict["epochs"]), int(state_dict["stride"])
        self._thin()

    def keep(self, row: np.ndarray) -> None:
        """Add the next epoch's row; drop rows that are no longer shown."""
        self.rows.append(row)
        self.epochs.append(self.epochs[-1] + 1 if self.epochs else 0)
        self._thin()

    def _thin(self) -> None:
        latest = len(self.epochs) - 1
        while True:
            shown = [i for i, epoch in enumerate(self.epochs) if epoch % self.stride == 0 or i == latest]
            if len(shown) <= self.max_rows:
                break
            self.stride *= 2
        self.rows = [self.rows[i] for i in shown]
        self.epochs = [self.epochs[i] for i in shown]

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        if not trainer.is_global_zero or not is_image_shape(trainer.datamodule.data_shape):
            return
        with evaluating(pl_module.sampling_generator):
            images = pl_module.sampling_generator(self.latents.to(pl_module.device)).float().cpu()
        # the samples, drawn as a grid only when the strip is written: MNIST's row drawn for display (enlarged,
        # in RGB, with lines between) is 13 times their size, in memory and in every checkpoint
        self.keep(to_uint8(images, trainer.datamodule.value_range).numpy())
        if time.monotonic() - self._written_at >= self.write_every_n_seconds:
            self._write()

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        if self.rows and trainer.is_global_zero:
            self._write()
            log_picture(trainer, "progress", self.dirpath / "progress.png", pl_module.iteration)

    def on_exception(self, trainer: pl.Trainer, pl_module: TrainingState, exception: BaseException) -> None:
        if self.rows and trainer.is_global_zero:
            self._write()

    @staticmethod
    def displayed(row: np.ndarray) -> np.ndarray:
        """A kept row as the strip shows it: uint8 samples (N, C, H, W) drawn as one grid row (H', W', 3)."""
        grid = image_grid(uint8_to_range(torch.from_numpy(row), (0.0, 1.0)), (0.0, 1.0), nrow=len(row))
        return to_uint8_nhwc(grid[None], (0.0, 1.0))[0]

    def _write(self) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        rows = [self.displayed(row) for row in self.rows]
        frames = [Image.fromarray(row[..., 0] if row.shape[2] == 1 else row) for row in rows]
        strip = Image.fromarray(np.concatenate([np.asarray(frame) for frame in frames]))
        strip.save(self.dirpath / "progress.png", compress_level=PNG_COMPRESS_LEVEL)
        frames[0].save(self.dirpath / "progress.gif", save_all=True, append_images=frames[1:], duration=300, loop=0)
        self._written_at = time.monotonic()
