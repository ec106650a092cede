"""Image data sets that torchvision downloads into `root`, and the error for one that is not there.

A subclass names its folder, its files, how to fetch them and how a person can get them by hand;
this base decides when to fetch and, when that is impossible, raises a DataNotFoundError that says
which files are expected where and why they are missing, before anything is trained.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from ganlab.atomic_files import made_by_one_job
from ganlab.data.in_memory import InMemoryImageDataModule

SPLITS = ("train", "test")
DOWNLOAD_OFF = "Nothing was downloaded because data.download=false."


class DataNotFoundError(FileNotFoundError):
    """The message names the folder, the files, why they are missing and how to get them."""

    def __init__(self, dataset: str, folder: Path, expected: list[str], reason: str, how_to_get: str) -> None:
        super().__init__(f"{dataset} is not in {folder}: expected {', '.join(expected)}. {reason} {how_to_get}")


def download_failed(error: BaseException) -> str:
    """The reason for a failed download, in one line (torchvision's own message runs over several)."""
    text = str(error).strip()
    last_line = text.splitlines()[-1] if text else type(error).__name__
    return f"Downloading it failed ({last_line}); is this machine offline?"


class DownloadableImageDataModule(InMemoryImageDataModule, ABC):
    def __init__(
        self,
        root: str,
        split: str = "train",
        download: bool = True,
        batch_size: int = 64,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__(batch_size, value_range, seed, limit)
        if split not in SPLITS:
            raise ValueError(f"split {split!r} is not one of: {', '.join(SPLITS)}")
        self.root, self.split, self.download = Path(root).expanduser(), split, bool(download)

    @property
    @abstractmethod
    def name(self) -> str:
        """What to call the data set in messages."""

    @property
    @abstractmethod
    def folder(self) -> Path:
        """Where its files are read from."""

    @property
    @abstractmethod
    def files(self) -> list[str]:
        """The files in `folder` this split needs."""

    @abstractmethod
    def fetch(self) -> None:
        """Download (or unpack) the files into `folder`; raises RuntimeError or OSError on failure."""

    @abstractmethod
    def how_to_get(self) -> str:
        """A sentence telling a person how to put the files there by hand."""

    def missing(self) -> list[str]:
        return [name for name in self.files if not (self.folder / name).is_file()]

    def prepare_data(self) -> None:
        """Fetch what is missing, one job at a time: sweep jobs side by side (hydra/launcher=joblib) that start
        together on a fresh folder would otherwise each download or unpack the same files, and one could read
        another's half-written copy."""
        if not self.missing():
            return
        if not self.download and not self.folder.is_dir():
            raise self.not_found(DOWNLOAD_OFF)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # the lock lives there
        except OSError as error:
            raise self.not_found(download_failed(error)) from error
        with made_by_one_job(self.folder / "prepare", f"{self.name}'s files"):
            if self.missing():  # else the job this one waited for made them
                self.make_files()

    def make_files(self) -> None:
        """Put the missing files in `folder` (the caller holds the folder's lock)."""
        if not self.download:
            raise self.not_found(DOWNLOAD_OFF)
        try:
            self.fetch()
        except (RuntimeError, OSError) as error:
            raise self.not_found(download_failed(error)) from error

    def require_files(self) -> None:
        """Raise DataNotFoundError unless every file is in place (call at the start of `load`)."""
        if self.missing():
            raise self.not_found(DOWNLOAD_OFF if not self.download else "prepare_data() has not fetched it.")

    def not_found(self, reason: str) -> DataNotFoundError:
        return DataNotFoundError(self.name, self.folder, self.files, reason, self.how_to_get())

    def unreadable(self, files: list[str], error: BaseException) -> DataNotFoundError:
        """The error for files that are there but cannot be read: a download cut short, a copy gone wrong."""
        named = ", ".join(str(self.folder / name) for name in files)
        return DataNotFoundError(
            self.name, self.folder, self.files,
            f"{named} {'is' if len(files) == 1 else 'are'} there but cannot be read ({type(error).__name__}: "
            f"{str(error).strip().splitlines()[-1] if str(error).strip() else 'no detail'}): truncated or not the "
            "right file.",
            "Delete "
            + ("it" if len(files) == 1 else "them")
            + " and run again: with data.download=true it is fetched anew. "
            + self.how_to_get(),
        )  # fmt: skip
