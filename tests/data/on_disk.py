"""Tiny data sets written in the real on-disk formats, so tests load them through the code users run.

Pixel values encode labels where a test needs to see that images and labels stay together:
image i of class c is filled with 10 * c + 5.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from ganlab.data.cifar10 import CLASSES


def _write(path: Path, payload: bytes, gz: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(f"{path}.gz", "wb") as file:
            file.write(payload)
    else:
        path.write_bytes(payload)


def write_mnist_split(root: Path, split: str, images: np.ndarray, labels: np.ndarray, gz: bool = False) -> None:
    """IDX files as torchvision expects them: <root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte."""
    prefix = {"train": "train", "test": "t10k"}[split]
    raw = root / "MNIST" / "raw"
    count, rows, cols = images.shape
    _write(raw / f"{prefix}-images-idx3-ubyte", struct.pack(">IIII", 2051, count, rows, cols) + images.tobytes(), gz)
    _write(raw / f"{prefix}-labels-idx1-ubyte", struct.pack(">II", 2049, count) + labels.astype(np.uint8).tobytes(), gz)


def mnist_like(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    return generator.integers(0, 256, (count, 28, 28), dtype=np.uint8), generator.integers(0, 10, count)


def write_cifar10(root: Path, per_batch: int = 50) -> dict[str, str]:
    """The six python pickle batches and batches.meta under <root>/cifar-10-batches-py; returns their md5s.

    Labels cycle through the ten classes; each image is filled with 10 * label + 5.
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    md5 = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for batch, name in enumerate(names):
        labels = [(batch + i) % 10 for i in range(per_batch)]
        data = np.repeat(np.array(labels, dtype=np.uint8)[:, None] * 10 + 5, 3072, axis=1)
        entry = {"batch_label": name, "labels": labels, "data": data, "filenames": [f"{i}.png" for i in labels]}
        (folder / name).write_bytes(pickle.dumps(entry))
    meta = {"num_cases_per_batch": per_batch, "label_names": list(CLASSES), "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    for path in folder.iterdir():
        md5[path.name] = hashlib.md5(path.read_bytes()).hexdigest()
    return md5


def accept_cifar10_checksums(monkeypatch, md5: dict[str, str]) -> None:
    """Make torchvision's CIFAR10 expect the md5s of the files a test wrote (the real ones cannot match)."""
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})


def write_image_folder(root: Path, classes: dict[str, int], size: tuple[int, int] = (40, 30)) -> None:
    """<root>/<class>/<i>.png (and every third a .jpg) of `size` (width, height), filled with 10 * class + 5.

    A class named "" writes its images straight into root (a flat folder).
    """
    for number, (name, count) in enumerate(classes.items()):
        folder = root / name if name else root
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = np.full((size[1], size[0], 3), 10 * number + 5, dtype=np.uint8)
            suffix = ".jpg" if i % 3 == 2 else ".png"
            Image.fromarray(pixels).save(folder / f"{i}{suffix}", quality=100)
