"""Progress pictures: what G makes from a fixed latent batch, and (Kim's toy GAN) what D's features see.

Each picture is drawn before the first update (iteration 0), every `every_n_steps` iterations and at the
end of training, as <dirpath>/step_<iteration>.png. Drawing happens on rank zero, in eval mode, under
no_grad, from latents fixed by `seed`, so consecutive pictures differ only by what training changed. The
generator drawn is the module's `sampling_generator`: G's moving average under trick=ema, else G.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.loggers import TensorBoardLogger, WandbLogger

from ganlab.callbacks.isolation import evaluating
from ganlab.contracts import CurveData, FeatureDiscriminator, TrainingState
from ganlab.errors import InvalidValue
from ganlab.images import is_image_shape
from ganlab.plots import save_image_grid, save_point_clouds
from ganlab.value_checks import is_int


def log_picture(trainer: pl.Trainer, key: str, path: Path, step: int) -> None:
    """Show a PNG the run wrote in those of the run's loggers that display images (TensorBoard, W&B)."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            logger.experiment.add_image(key, pixels, global_step=step, dataformats="HWC")
            logger.experiment.flush()  # the event file holds it now, not only at the logger's finalize
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)], step=step)


class PeriodicPicture(pl.Callback, ABC):
    name = "picture"  # the key under which loggers show it

    def __init__(self, dirpath: str, every_n_steps: int = 500, seed: int = 0) -> None:
        if not (is_int(every_n_steps) and every_n_steps >= 0):
            raise InvalidValue("every_n_steps", every_n_steps, "an integer >= 0 (0: first and last only)")
        self.dirpath = Path(dirpath)
        self.every_n_steps, self.seed = every_n_steps, int(seed)
        self._last_drawn: int | None = None

    def sample_size(self, trainer: pl.Trainer) -> int | None:
        """How many real validation items (and as many generated ones) to draw; None: all of them."""
        return None

    def latent_count(self, trainer: pl.Trainer) -> int | None:
        """How many fixed latents to draw from; None: as many as real items."""
        return None

    def applies(self, trainer: pl.Trainer, pl_module: TrainingState) -> bool:
        """Whether this picture makes sense for this model and data."""
        return True

    @abstractmethod
    def draw(self, trainer: pl.Trainer, pl_module: TrainingState, path: Path) -> None:
        """Write the picture for the current state to `path`."""

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self.real = trainer.datamodule.validation_sample(self.sample_size(trainer))
        generator = torch.Generator().manual_seed(self.seed)
        self.latents = pl_module.latent.sample(self.latent_count(trainer) or len(self.real), generator=generator)
        if trainer.ckpt_path is None:  # a resumed run drew its start picture when it first started
            self._draw(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.every_n_steps and pl_module.iteration % self.every_n_steps == 0:
            self._draw(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self._draw(trainer, pl_module)

    def _draw(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        iteration = pl_module.iteration
        if not trainer.is_global_zero or self._last_drawn == iteration or not self.applies(trainer, pl_module):
            return
        self._last_drawn = iteration
        path = self.dirpath / f"step_{iteration:06d}.png"
        with evaluating(pl_module.sampling_generator, pl_module.discriminator):
            self.draw(trainer, pl_module, path)
        log_picture(trainer, self.name, path, iteration)

    def _generated(self, pl_module: TrainingState) -> torch.Tensor:
        return pl_module.sampling_generator(self.latents.to(pl_module.device)).float().cpu()


class SampleSnapshots(PeriodicPicture):
    """An image grid for image data; for 2-D point data, a scatter of generated vs real validation points
    in data units (Kim's figure), using the whole fixed validation sample."""

    name = "samples"

    def __init__(self, dirpath: str, every_n_steps: int = 500, num_images: int = 64, seed: int = 0) -> None:
        super().__init__(dirpath, every_n_steps, seed)
        if not (is_int(num_images) and num_images >= 1):
            raise InvalidValue("num_images", num_images, "a positive integer (images in the grid)")
        self.num_images = num_images

    def sample_size(self, trainer: pl.Trainer) -> int | None:
        return self.num_images if is_image_shape(trainer.datamodule.data_shape) else None

    def applies(self, trainer: pl.Trainer, pl_module: TrainingState) -> bool:
        shape = tuple(trainer.datamodule.data_shape)
        return is_image_shape(shape) or shape == (2,)

    def draw(self, trainer: pl.Trainer, pl_module: TrainingState, path: Path) -> None:
        datamodule, fake = trainer.datamodule, self._generated(pl_module)
        if is_image_shape(datamodule.data_shape):
            save_image_grid(fake, path, datamodule.value_range)
        else:
            to_data = datamodule.from_model if isinstance(datamodule, CurveData) else lambda points: points
            title = f"real vs generated, iteration {pl_module.iteration}"
            save_point_clouds(to_data(self.real), to_data(fake), path, title)


class FeatureSpacePlot(PeriodicPicture):
    """Real and generated points in the discriminator's 2-unit feature layer (Kim's toy GAN gave D that layer
    to show how it separates the two). Drawn only for a discriminator with `feature_dim == 2`."""

    name = "features"

    def applies(self, trainer: pl.Trainer, pl_module: TrainingState) -> bool:
        discriminator = pl_module.discriminator
        return isinstance(discriminator, FeatureDiscriminator) and discriminator.feature_dim == 2

    def draw(self, trainer: pl.Trainer, pl_module: TrainingState, path: Path) -> None:
        discriminator, device = pl_module.discriminator, pl_module.device
        real = discriminator.features(self.real.to(device)).float().cpu()
        fake = discriminator.features(self._generated(pl_module).to(device)).float().cpu()
        title = f"discriminator features, iteration {pl_module.iteration}"
        save_point_clouds(real, fake, path, title, labels=("feature 1", "feature 2"))
