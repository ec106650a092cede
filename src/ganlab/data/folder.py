"""Any folder of images (the KTH report's Pokemon set, say): resized and centre-cropped to `image_size`.

Images are found at any depth below `root`; a sub-folder name is the image's class, as in torchvision's
ImageFolder (a flat folder is one class). A set whose decoded pixels fit in `in_memory_limit_mb` is
decoded once, in `num_workers` processes, into one uint8 tensor and batched like MNIST; a larger one
streams through a DataLoader with `num_workers` workers, and its uint8 batches are scaled to the
generator's range on the training device.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import v2

from ganlab.data.batching import EpochPermutation, iterations_done
from ganlab.data.in_memory import InMemoryImageDataModule
from ganlab.data.subset import subset_indices
from ganlab.images import uint8_to_range

MODES = {1: "L", 3: "RGB"}


class ImageFiles(Dataset):
    """(uint8 image (C, S, S), class index) for each file, decoded with PIL, resized and centre-cropped."""

    def __init__(self, files: list[Path], labels: list[int], image_size: int, channels: int) -> None:
        self.files, self.labels, self.mode = files, labels, MODES[channels]
        self.transform = v2.Compose([v2.PILToTensor(), v2.Resize(image_size), v2.CenterCrop(image_size)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        try:
            with Image.open(self.files[index]) as image:
                return self.transform(image.convert(self.mode)), self.labels[index]
        except (OSError, ValueError) as error:  # truncated, empty, or not an image after all
            raise UnreadableImage(
                f"{self.files[index]} is not an image PIL can read ({error}); delete or replace it"
            ) from error


class UnreadableImage(OSError):
    """A file in the folder that does not decode as an image."""


class ImageFolderDataModule(InMemoryImageDataModule):
    def __init__(
        self,
        root: str,
        image_size: int = 64,
        channels: int = 3,
        in_memory_limit_mb: float = 4096,
        num_workers: int = 4,
        batch_size: int = 64,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__(batch_size, value_range, seed, limit)
        if channels not in MODES:
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
        if not isinstance(image_size, int) or image_size < 1:
            raise ValueError(f"image_size must be a positive integer, got {image_size!r}")
        self.root = Path(root).expanduser()
        self.image_size, self.channels = image_size, channels
        self.in_memory_limit_mb, self.num_workers = float(in_memory_limit_mb), int(num_workers)
        self.dataset: ImageFiles | None = None

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    @property
    def streaming(self) -> bool:
        """True when the decoded set would exceed `in_memory_limit_mb` and is read from disk every epoch."""
        size_mb = len(self.dataset) * self.channels * self.image_size**2 / 2**20
        return size_mb > self.in_memory_limit_mb

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            self.dataset = self._scan()
        if not self.streaming:
            super().setup(stage)
        else:
            self.training_indices = subset_indices(len(self.dataset), self.limit, self.seed)
            self.check_batch_fits(len(self.dataset))

    def _scan(self) -> ImageFiles:
        if not self.root.is_dir():
            raise FileNotFoundError(f"data.root {self.root} is not a folder: point it at a folder of images")
        files = sorted(p for p in self.root.rglob("*") if p.is_file() and p.suffix.lower() in IMG_EXTENSIONS)
        if not files:
            raise FileNotFoundError(f"no images ({', '.join(IMG_EXTENSIONS)}) anywhere below {self.root}")
        classes = sorted({file.parent for file in files})
        index = {folder: number for number, folder in enumerate(classes)}
        return ImageFiles(files, [index[file.parent] for file in files], self.image_size, self.channels)

    def _loader(self, batch_size: int, sampler: EpochPermutation | None = None, dataset=None) -> DataLoader:
        return DataLoader(
            self.dataset if dataset is None else dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=sampler is not None,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0 and sampler is not None,
            generator=torch.Generator().manual_seed(self.seed),
        )

    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            batches = list(self._loader(256))
        except UnreadableImage as error:
            # from a worker process, the message comes wrapped in the worker's traceback: keep its last line
            message = str(error).strip()
            if message.startswith("Caught"):
                message = message.splitlines()[-1].split(": ", 1)[-1]
            raise UnreadableImage(message) from None
        return torch.cat([images for images, _ in batches]), torch.cat([labels for _, labels in batches]).long()

    def train_dataloader(self):
        if not self.streaming:
            return super().train_dataloader()
        # the order of the in-memory path: epoch e's a function of (seed, e), starting at the run's iteration
        position = iterations_done(self.trainer) if self.trainer is not None else None
        dataset = self.dataset
        if self.training_indices is not None:
            dataset = Subset(self.dataset, self.training_indices.tolist())
        sampler = EpochPermutation(len(dataset), self.batch_size, self.seed, position)
        return self._loader(self.batch_size, sampler, dataset)

    def on_after_batch_transfer(self, batch, dataloader_idx: int) -> torch.Tensor:
        if isinstance(batch, (list, tuple)):  # a streamed (uint8 images, labels) batch, now on the device
            return uint8_to_range(batch[0], self.value_range)
        return batch

    def validation_sample(self, n: int | None = None) -> torch.Tensor:
        if not self.streaming:
            return super().validation_sample(n)
        index = self.validation_indices(len(self.dataset), n)
        return uint8_to_range(torch.stack([self.dataset[i][0] for i in index.tolist()]), self.value_range)
