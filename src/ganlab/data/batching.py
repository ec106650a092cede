"""Batches straight from tensors: no DataLoader workers, no per-sample Python.

The data a run sees is one stream of batches: batch number p is batch p % len of epoch p // len, and every
epoch's shuffle (or fresh sample) is a pure function of (seed, rank, epoch). Each `iter()` starts where
`position()` says the run has got to (the iterations trained so far: 0 for a fresh run, the checkpoint's
count for a resumed one) and goes on to the end of that epoch. So a run resumed at any iteration sees
exactly the batches the uninterrupted run would have, whatever Lightning's epoch counters make of the
resumed epoch (a run stopped at an epoch's last batch is resumed by Lightning as one more batch of the old
epoch; its `sampler.set_epoch` counts processed epochs; neither changes which batch comes next here).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import Sampler

from ganlab.images import uint8_to_range


def iterations_done(trainer) -> Callable[[], int]:
    """`position` for the iterables below under a Trainer: the iterations its module has trained."""
    return lambda: trainer.lightning_module.iteration


def epoch_generator(seed: int, rank: int, epoch: int) -> torch.Generator:
    """A torch.Generator seeded from (seed, rank, epoch) alone."""
    state = np.random.SeedSequence([int(seed), int(rank), int(epoch)]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


class EpochBatches(ABC):
    """The stream position the iterables below share: from `position()` when given, else counted here."""

    def __init__(self, position: Callable[[], int] | None) -> None:
        self.position, self.served = position, 0

    @property
    @abstractmethod
    def batches_per_epoch(self) -> int:
        """Batches in one epoch of the stream (per process)."""

    def start(self) -> tuple[int, int]:
        """(epoch, batch within it) of the next batch the run trains on."""
        position = self.position() if self.position is not None else self.served
        return divmod(position, self.batches_per_epoch)

    def set_start(self, epoch: int, batch: int = 0) -> None:
        """Start the stream at `batch` of `epoch` (without a `position`)."""
        self.position, self.served = None, epoch * self.batches_per_epoch + batch


class TensorBatches(EpochBatches):
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
        position: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(position)
        self.images, self.batch_size, self.value_range = images, int(batch_size), value_range
        self.rank, self.world_size = int(rank), int(world_size)
        self.per_rank = len(images) // self.world_size
        self.seed = int(seed)  # one permutation per epoch shared by the ranks: seeded with rank 0

    @property
    def batches_per_epoch(self) -> int:
        return self.per_rank // self.batch_size

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[torch.Tensor]:
        epoch, first = self.start()
        order = torch.randperm(len(self.images), generator=epoch_generator(self.seed, 0, epoch))
        order = order[self.rank * self.per_rank : (self.rank + 1) * self.per_rank].to(self.images.device)
        for start in range(first * self.batch_size, len(self) * self.batch_size, self.batch_size):
            self.served += 1
            # index_select, not images[indices]: the same values, an order of magnitude cheaper (docs/speed.md)
            batch = self.images.index_select(0, order[start : start + self.batch_size])
            yield uint8_to_range(batch, self.value_range)


class SampledBatches(EpochBatches):
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
        position: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(position)
        self.sample, self.batch_size, self.epoch_length = sample, int(batch_size), int(batches_per_epoch)
        self.seed, self.rank = int(seed), int(rank)

    @property
    def batches_per_epoch(self) -> int:
        return self.epoch_length

    def __len__(self) -> int:
        return self.epoch_length

    def __iter__(self) -> Iterator[torch.Tensor]:
        epoch, first = self.start()
        generator = epoch_generator(self.seed, self.rank, epoch)
        for number in range(self.batches_per_epoch):
            batch = self.sample(self.batch_size, generator)  # drawn even when skipped: later draws depend on it
            if number >= first:
                self.served += 1
                yield batch


class EpochPermutation(EpochBatches, Sampler[int]):
    """The sampler of a data set streamed through a DataLoader: the same stream as TensorBatches, as indices.
    Epoch e's order is a permutation seeded from (seed, e), and each `iter()` starts at the run's position."""

    def __init__(self, size: int, batch_size: int, seed: int, position: Callable[[], int] | None = None) -> None:
        super().__init__(position)
        self.size, self.batch_size, self.seed = int(size), int(batch_size), int(seed)

    @property
    def batches_per_epoch(self) -> int:
        return self.size // self.batch_size

    def __len__(self) -> int:
        return self.batches_per_epoch * self.batch_size  # indices; the last incomplete batch is dropped

    def __iter__(self) -> Iterator[int]:
        epoch, first = self.start()
        order = torch.randperm(self.size, generator=epoch_generator(self.seed, 0, epoch))
        for start in range(first * self.batch_size, len(self), self.batch_size):
            self.served += 1
            yield from order[start : start + self.batch_size].tolist()
