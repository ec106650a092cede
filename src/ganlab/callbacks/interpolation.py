"""Latent interpolation: what G makes along the way between two latents, for several pairs."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch

from ganlab.callbacks.pictures import PeriodicPicture
from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.images import is_image_shape
from ganlab.plots import save_image_grid
from ganlab.value_checks import is_int


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Points (T, D) on the great circle from a (D,) to b (D,) at fractions t (T,): for a gaussian prior the
    straight line passes through low-norm latents G never sees in training (White 2016)."""
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1, 1)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-6:
        return torch.lerp(a, b, t[:, None])
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / torch.sin(omega)


class LatentInterpolation(PeriodicPicture):
    """A grid with one row per latent pair, `steps` images from the first latent to the second: spherical
    interpolation for a gaussian prior, straight for a uniform one. Smooth rows mean G learned a continuous
    map rather than memorized images. Drawn at the first and last iteration by default."""

    name = "interpolation"

    def __init__(self, dirpath: str, every_n_steps: int = 0, rows: int = 8, steps: int = 10, seed: int = 0) -> None:
        super().__init__(dirpath, every_n_steps, seed)
        for name, value, least in (("rows", rows, 1), ("steps", steps, 2)):
            if not (is_int(value) and value >= least):
                raise InvalidValue(name, value, f"an integer >= {least}")
        self.rows, self.steps = int(rows), int(steps)

    def sample_size(self, trainer: pl.Trainer) -> int:
        return 1  # no real images are shown

    def latent_count(self, trainer: pl.Trainer) -> int:
        return 2 * self.rows  # one latent per end of each row

    def applies(self, trainer: pl.Trainer, pl_module: TrainingState) -> bool:
        return is_image_shape(trainer.datamodule.data_shape)

    def draw(self, trainer: pl.Trainer, pl_module: TrainingState, path: Path) -> None:
        t = torch.linspace(0, 1, self.steps)
        between = slerp if pl_module.latent.distribution == "gaussian" else lambda a, b, t: torch.lerp(a, b, t[:, None])
        latents = torch.cat([between(self.latents[2 * i], self.latents[2 * i + 1], t) for i in range(self.rows)])
        images = pl_module.sampling_generator(latents.to(pl_module.device)).float().cpu()
        save_image_grid(images, path, trainer.datamodule.value_range, nrow=self.steps)
