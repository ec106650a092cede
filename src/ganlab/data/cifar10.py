"""CIFAR-10 through torchvision: 32x32 colour images, decoded once into one uint8 tensor.

`classes` keeps only the named classes (the KTH report trains on the horses: conf/data/cifar_horses.yaml);
labels keep their CIFAR-10 numbers. Files live where torchvision keeps them,
<root>/cifar-10-batches-py/; the official archive placed in <root> is unpacked without a download.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torchvision.datasets import CIFAR10

from ganlab.data.downloadable import DataNotFoundError, DownloadableImageDataModule

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class CIFAR10DataModule(DownloadableImageDataModule):
    name = "CIFAR-10"

    def __init__(
        self,
        root: str,
        split: str = "train",
        classes: Sequence[str] | None = None,
        download: bool = True,
        batch_size: int = 64,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__(root, split, download, batch_size, value_range, seed, limit)
        if classes is not None:
            unknown = [name for name in classes if name not in CLASSES]
            if unknown or not classes:
                raise ValueError(
                    f"classes {list(classes)}: {', '.join(map(repr, unknown)) or 'an empty list'} is not a "
                    f"CIFAR-10 class; the ten are: {', '.join(CLASSES)}"
                )
        self.classes = None if classes is None else list(classes)

    @property
    def folder(self) -> Path:
        return self.root / CIFAR10.base_folder

    @property
    def files(self) -> list[str]:
        return [name for name, _ in CIFAR10.train_list + CIFAR10.test_list] + [CIFAR10.meta["filename"]]

    def fetch(self) -> None:
        # uses <root>/cifar-10-python.tar.gz if it is there and intact, else downloads it
        CIFAR10(str(self.root), train=self.split == "train", download=True)

    def how_to_get(self) -> str:
        return (
            f"Put the official archive {CIFAR10.filename} ({CIFAR10.url}) in {self.root}, where it is unpacked "
            "without a download, or run once with data.download=true on a machine with internet."
        )

    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.require_files()
        try:
            dataset = CIFAR10(str(self.root), train=self.split == "train", download=False)
        except RuntimeError as error:  # all files there, but torchvision's checksums disagree
            raise DataNotFoundError(
                self.name, self.folder, self.files, f"The files are there but fail torchvision's check ({error}).",
                f"Delete {self.folder} and let it download again, or unpack the official archive there.",
            ) from error
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW, uint8
        labels = torch.tensor(dataset.targets, dtype=torch.long)
        if self.classes is not None:
            keep = torch.isin(labels, torch.tensor([dataset.class_to_idx[name] for name in self.classes]))
            images, labels = images[keep], labels[keep]
        return images, labels
