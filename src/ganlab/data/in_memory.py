"""Base for image data sets small enough to decode once into one uint8 tensor (digits, MNIST, CIFAR-10)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytorch_lightning as pl
import torch

from ganlab.data.batching import TensorBatches, iterations_done
from ganlab.data.subset import subset_indices
from ganlab.images import uint8_to_range


class InMemoryImageDataModule(pl.LightningDataModule, ABC):
    """Holds the whole data set as uint8 (N, C, H, W) plus int64 labels; batches by indexing.

    Subclasses implement `load()`. Training batches are float (N, C, H, W) in `value_range`, which
    the run sets from the generator's output activation. With `limit` (ganlab.data.subset) training sees
    only `training_indices`; `images` and `labels` stay the whole set, which the metrics read.
    """

    def __init__(
        self,
        batch_size: int = 64,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.seed, self.limit = int(seed), limit
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.training_indices: torch.Tensor | None = None  # None: every image

    @abstractmethod
    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(images uint8 (N, C, H, W), labels int64 (N,))."""

    def setup(self, stage: str | None = None) -> None:
        if self.images is not None:
            return
        images, labels = self.load()
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(
                f"{type(self).__name__}.load must return uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}"
            )
        self.training_indices = subset_indices(len(images), self.limit, self.seed)
        self.check_batch_fits(len(images))
        self.images, self.labels = images, labels

    def check_batch_fits(self, count: int) -> None:
        """Refuse a batch larger than the data set, or than the subset training sees under `limit`: it would train
        zero iterations per epoch, silently. `count`: the data set's images."""
        if count < self.batch_size:
            raise ValueError(f"batch_size {self.batch_size} is larger than the data set ({count} images)")
        if self.training_indices is not None and len(self.training_indices) < self.batch_size:
            raise ValueError(
                f"batch_size {self.batch_size} is larger than the {len(self.training_indices)} images training sees "
                f"(data.limit={self.limit})"
            )

    @property
    def data_shape(self) -> tuple[int, ...]:
        """(C, H, W); known after `setup`."""
        if self.images is None:
            raise RuntimeError("data_shape is known after setup()")
        return tuple(self.images.shape[1:])

    def train_dataloader(self) -> TensorBatches:
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        rank, world_size = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        position = iterations_done(trainer) if trainer is not None else None
        return TensorBatches(
            self.training_images.to(device), self.batch_size, self.value_range, self.seed, rank, world_size, position
        )

    @property
    def training_images(self) -> torch.Tensor:
        """uint8 (N, C, H, W): the images training sees (the subset under `limit`, else all)."""
        return self.images if self.training_indices is None else self.images.index_select(0, self.training_indices)

    @property
    def held_out_images(self) -> torch.Tensor | None:
        """uint8 (N, C, H, W): the images training never sees (the rest of the data set under `limit`); None
        without a limit, or when the limit keeps every image."""
        if self.training_indices is None or len(self.training_indices) == len(self.images):
            return None
        kept = torch.zeros(len(self.images), dtype=torch.bool)
        kept[self.training_indices] = True
        return self.images[~kept]

    def validation_indices(self, count: int, n: int | None) -> torch.Tensor:
        """Which n of `count` images (all if None) form the validation sample: a choice fixed by the seed."""
        n = count if n is None else min(n, count)
        return torch.randperm(count, generator=torch.Generator().manual_seed(self.seed))[:n]

    def validation_sample(self, n: int | None = None) -> torch.Tensor:
        """The same n real images (all if None) on every call, float in `value_range`, on the CPU."""
        return uint8_to_range(
            self.images.index_select(0, self.validation_indices(len(self.images), n)), self.value_range
        )
