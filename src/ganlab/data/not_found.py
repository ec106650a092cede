"""The error for a data set that is neither on disk nor downloadable: it says what is expected where."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class DataNotFoundError(FileNotFoundError):
    """Raised before training; the message names the folder, the files, why they are missing and how to get them."""

    def __init__(self, dataset: str, folder: Path, expected: Sequence[str], reason: str, how_to_get: str) -> None:
        super().__init__(
            f"{dataset} is not in {folder}: expected {', '.join(expected)}. {reason} {how_to_get}"
        )


def download_failed(error: BaseException) -> str:
    """The reason for a failed download, in one line (torchvision's own message runs over several)."""
    first_line = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return f"Downloading it failed ({first_line}); is this machine offline?"


DOWNLOAD_OFF = "Nothing was downloaded because data.download=false."
