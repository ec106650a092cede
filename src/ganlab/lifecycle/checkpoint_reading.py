"""Reading a checkpoint as data, never as code.

Checkpoints travel between people (a study's runs, a generator to sample from), and pickle runs whatever a
file asks it to while it loads, before anyone can look at the result. torch's weights-only unpickler rebuilds
tensors, numbers, strings and plain containers and refuses everything else; that is all ganlab writes into a
checkpoint (the config as plain containers, the RNG states as tensors and lists), so every ganlab checkpoint
loads this way, and a file that needs more is refused unread.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


class CheckpointRefused(ValueError):
    """A file that is not a checkpoint, or one that would run code to load: `reason` says which."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint at `path`, on the CPU, loaded with `weights_only=True`."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle's, zipfile's and torch's errors alike
        text = str(error)
        if "Weights only load failed" in text:
            named = re.search(r"GLOBAL (\S+)", text)
            needs = f"an object of {named.group(1)}" if named else "an object only pickle can rebuild"
            raise CheckpointRefused(
                path,
                f"holds {needs}, which loading would run as code: refused unread (a ganlab checkpoint holds "
                "tensors and plain containers only; load a file you trust yourself with torch.load)",
            ) from None
        detail = text.strip().splitlines()[-1] if text.strip() else "no detail"
        raise CheckpointRefused(path, f"not a checkpoint torch can read ({type(error).__name__}: {detail})") from error
    if not isinstance(checkpoint, dict):
        raise CheckpointRefused(path, f"not a checkpoint: it holds a {type(checkpoint).__name__}, not a dict")
    return checkpoint
