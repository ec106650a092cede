"""Every random number generator's state in the checkpoint, so a resumed run draws what it would have drawn.

Lightning saves weights, optimizers and loop counters, not the global RNGs that latents, flipped labels,
instance noise and dropout draw from. This callback adds them (torch on the CPU and every CUDA device,
numpy, python) to each checkpoint and puts them back when training resumes, after everything that runs
between loading the checkpoint and the first batch (building, Lightning's setup, the callbacks' start).
Pictures and metrics draw from their own seeded generators, so they do not move these states.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch


def capture() -> dict[str, Any]:
    """The global RNG states, as tensors and plain lists (a checkpoint loads with torch's weights_only)."""
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gaussian],
        "python": [version, list(internal), gauss],
    }


def restore(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available() and len(states["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(states["cuda"])
    kind, keys, position, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gaussian))
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))


class RandomStates(pl.Callback):
    def __init__(self) -> None:
        self._to_restore: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        return capture()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._to_restore = state_dict

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._to_restore is None:
            return
        restore(self._to_restore)
        self._to_restore = None
        # the checkpoint holds rank 0's states: each other process moves on to a stream of its own, as at the
        # start of training (GANModule.on_fit_start)
        if trainer.world_size > 1:
            torch.manual_seed(torch.initial_seed() + trainer.global_rank)
