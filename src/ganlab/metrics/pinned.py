"""The domain classifiers ganlab ships, each pinned by its SHA-256: one yardstick on every machine.

`pinned_classifiers/manifest.json` lists each file, the SHA-256 of its weights (ganlab.metrics.yardstick), the
data configuration it serves, how it was trained and its test accuracy (docs/configs.md says how to train it
again, bit for bit). A data configuration is served
when its image-selecting keys (ganlab.run_identity.data_selection) equal the entry's, whatever its split or
class selection: the MNIST classifiers are trained on the test digits, held out from a user's training split,
and one classifier reads every split alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ganlab.run_identity import data_selection

FOLDER = "pinned_classifiers"
# the selecting keys that do not change which classifier reads the images
SERVES_ANY = ("split", "classes")


@dataclass(frozen=True)
class PinnedClassifier:
    path: Path
    sha256: str
    test_accuracy: float
    data: dict[str, Any]


def folder() -> Any:
    """Where the shipped classifiers are installed (inside the package: a wheel and a checkout alike)."""
    return resources.files("ganlab.metrics") / FOLDER


def manifest() -> list[dict[str, Any]]:
    return json.loads((folder() / "manifest.json").read_text(encoding="utf-8"))["classifiers"]


def pinned_classifier(data_config: dict[str, Any]) -> PinnedClassifier | None:
    """The shipped classifier for this data configuration; None when ganlab ships none for it. Its weights are
    checked against their SHA-256 when they are read (`check_pinned`)."""
    selection = {key: value for key, value in data_selection(data_config).items() if key not in SERVES_ANY}
    for entry in manifest():
        if entry["data"] == selection:
            path = Path(str(folder() / entry["file"]))
            return PinnedClassifier(path, entry["sha256"], entry["test_accuracy"], entry["data"])
    return None


def check_pinned(pinned: PinnedClassifier, found_sha256: str | None) -> None:
    """ValueError when the weights read from a pinned file (`found_sha256`; None: unreadable) are not the ones
    ganlab pinned: a damaged install."""
    if found_sha256 != pinned.sha256:
        found = "a file that cannot be read" if found_sha256 is None else f"weights {found_sha256[:16]}..."
        raise ValueError(
            f"the pinned classifier {pinned.path} holds {found}, not the weights ganlab pinned ({pinned.sha256[:16]}"
            "...): reinstall ganlab, or set metric.scores.pinned=false to train one of your own"
        )
