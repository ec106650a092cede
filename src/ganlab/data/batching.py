"""Batches straight from tensors: no DataLoader workers, no per-sample Python.

Lightning calls `loader.sampler.set_epoch(epoch)` on any iterable it trains on, so each iterable here
carries an `EpochSeed` as its `sampler`: every epoch's shuffle (or fresh sample) is a pure function of
(seed, rank, epoch), which keeps runs reproducible and lets a resumed run draw what it would have drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from ganlab.images import uint8_to_range


class EpochSeed:
    """Seeds a fresh torch.Generator per epoch from (seed, rank, epoch)."""

    def __init__(self, seed: int, rank: int = 0) -> None:
        self.seed, self.rank, self.epoch = int(seed), int(rank), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def generator(self) -> torch.Generator:
        state = np.random.SeedSequence([self.seed, self.rank, self.epoch]).generate_state(1, dtype=np.uint64)[0]
        return torch.Generator().manual_seed(int(state))


class TensorBatches:
    """Shuffled batches of an in-memory uint8 image tensor (N, C, H, W), scaled to `value_range`.

    The tensor stays on whatever device it is on (the training device, ideally), so a batch costs one
    index and one scale. The last incomplete batch is dropped. Under DDP each rank takes its own
    contiguous share of the same epoch permutation.
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        value_range: tuple[float, float],
        seed: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.images, self.batch_size, self.value_range = images, int(batch_size), value_range
        self.rank, self.world_size = int(rank), int(world_size)
        self.sampler = EpochSeed(seed)  # shared permutation across ranks: same seed, rank 0
        self.per_rank = len(images) // self.world_size

    def __len__(self) -> int:
        return self.per_rank // self.batch_size

    def __iter__(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(len(self.images), generator=self.sampler.generator())
        order = order[self.rank * self.per_rank : (self.rank + 1) * self.per_rank].to(self.images.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield uint8_to_range(self.images[order[start : start + self.batch_size]], self.value_range)


class SampledBatches:
    """An endless data source cut into nominal epochs of `batches_per_epoch` fresh batches.

    `sample(n, generator)` draws n points; epochs exist only so epoch-based machinery (progress bar,
    checkpoints) works as it does for finite data sets.
    """

    def __init__(
        self,
        sample: Callable[[int, torch.Generator], torch.Tensor],
        batch_size: int,
        batches_per_epoch: int,
        seed: int,
        rank: int = 0,
    ) -> None:
        self.sample, self.batch_size, self.batches_per_epoch = sample, int(batch_size), int(batches_per_epoch)
        self.sampler = EpochSeed(seed, rank)

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[torch.Tensor]:
        generator = self.sampler.generator()
        for _ in range(self.batches_per_epoch):
            yield self.sample(self.batch_size, generator)
