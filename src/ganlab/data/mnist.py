"""MNIST through torchvision: 28x28 grey digits, decoded once into one uint8 tensor.

`binarize: true` is the Flux tutorial's binarized MNIST: a pixel is on (255) where its intensity exceeds 0.5.
`image_size: 32` pads every digit with 2 background pixels a side, so that models built for 32-pixel images
(the KTH report's complete DCGAN geometry) train on MNIST.
Files live where torchvision keeps them, <root>/MNIST/raw/. Two conveniences over torchvision's class:
the files of the requested split alone are enough (`split: test` trains on the 10 000 test digits), and
official .gz copies found in raw/ are unpacked without any download.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import torch
from torchvision.datasets import MNIST
from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

from ganlab.atomic_files import replaced_atomically
from ganlab.data.downloadable import DownloadableImageDataModule
from ganlab.errors import InvalidValue

PREFIXES = {"train": "train", "test": "t10k"}
KINDS = ("images-idx3-ubyte", "labels-idx1-ubyte")
IMAGE_SIZES = (28, 32)


class SplitMNIST(MNIST):
    """torchvision's MNIST, content with the two files of its own split (torchvision asks for all four)."""

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, "MNIST", "raw")  # torchvision names the folder after the class

    def _check_exists(self) -> bool:
        prefix = "train" if self.train else "t10k"
        return all(os.path.isfile(os.path.join(self.raw_folder, f"{prefix}-{kind}")) for kind in KINDS)


class MNISTDataModule(DownloadableImageDataModule):
    def __init__(
        self,
        root: str,
        split: str = "train",
        download: bool = True,
        binarize: bool = False,
        image_size: int = 28,
        batch_size: int = 64,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__(root, split, download, batch_size, value_range, seed, limit)
        if image_size not in IMAGE_SIZES:
            raise InvalidValue("image_size", image_size, "28 (MNIST's own) or 32 (zero-padded by 2 pixels a side)")
        self.binarize, self.image_size = bool(binarize), image_size

    @property
    def name(self) -> str:
        return f"MNIST ({self.split} split)"

    @property
    def folder(self) -> Path:
        return self.root / "MNIST" / "raw"

    @property
    def files(self) -> list[str]:
        return [f"{PREFIXES[self.split]}-{kind}" for kind in KINDS]

    def make_files(self) -> None:
        for name in self.missing():  # an official .gz copy needs no download, only unpacking
            if (self.folder / f"{name}.gz").is_file():
                self.unpack(name)
        if self.missing():
            super().make_files()

    def unpack(self, name: str) -> None:
        """`<name>.gz` into `name`, which appears only once whole: a job that does not wait for the lock (a file
        system without locks) or a run cut short never finds a half-unpacked file taken for the data."""
        try:
            with replaced_atomically(self.folder / name) as partial, gzip.open(f"{self.folder / name}.gz") as archive:
                with partial.open("wb") as unpacked:
                    shutil.copyfileobj(archive, unpacked)
        except (OSError, EOFError) as error:  # a truncated or mislabelled archive
            raise self.unreadable([f"{name}.gz"], error) from error

    def fetch(self) -> None:
        SplitMNIST(str(self.root), train=self.split == "train", download=True)

    def how_to_get(self) -> str:
        return (
            f"Copy those files, or their .gz originals from {MNIST.mirrors[0]}, into that folder "
            "(or set data.root to a folder that holds MNIST/raw/), or run once with data.download=true "
            "on a machine with internet."
        )

    def _unreadable_files(self) -> list[str]:
        """The split's files that do not parse as IDX tensors of the size their header gives."""
        broken = []
        for name in self.files:
            try:
                read_sn3_pascalvincent_tensor(str(self.folder / name), strict=False)
            except Exception:  # whatever a damaged file makes the parser raise
                broken.append(name)
        return broken

    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.require_files()
        try:
            dataset = SplitMNIST(str(self.root), train=self.split == "train", download=False)
        except (RuntimeError, ValueError, OSError, EOFError) as error:
            raise self.unreadable(self._unreadable_files() or self.files, error) from error
        images = dataset.data.unsqueeze(1)  # uint8 (N, 1, 28, 28)
        if self.binarize:  # intensity / 255 > 0.5
            images = (images > 127).to(torch.uint8) * 255
        if self.image_size == 32:  # background (0) around the digit, as DCGAN ports to MNIST pad it
            images = torch.nn.functional.pad(images, (2, 2, 2, 2))
        return images, dataset.targets.long()
