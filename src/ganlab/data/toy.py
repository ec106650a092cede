"""Dongbin Kim's toy data: 2-D points on the curve y = offset + x**order with x uniform on x_range.

The stream is endless (every batch is a fresh sample) and cut into nominal epochs of `epoch_size`
points; the validation sample is fixed by the seed. With `limit` (a count, or a share of `epoch_size`)
every batch is drawn from one fixed pool of that many points instead: the toy curve's little-data regime.
Dongbin Kim's toy GAN trains on y = 10 + x^2 over [-50, 50] and also on higher orders, which it reports
train less stably.

With `normalize: true` (default) each axis is mapped linearly from its known bounds onto the
generator's output range, so a small network need not produce values in the thousands; plots and
distances are reported back in data units through `from_model`. `normalize: false` feeds raw values,
exactly as Kim's toy GAN did.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch

from ganlab.data.batching import SampledBatches, iterations_done
from ganlab.data.subset import subset_indices
from ganlab.errors import InvalidValue


class ToyCurveDataModule(pl.LightningDataModule):
    data_shape = (2,)

    def __init__(
        self,
        order: int = 2,
        offset: float = 10.0,
        x_range: Sequence[float] = (-50.0, 50.0),
        batch_size: int = 256,
        epoch_size: int = 10_000,
        val_size: int = 1024,
        normalize: bool = True,
        value_range: tuple[float, float] = (-1.0, 1.0),
        seed: int = 0,
        limit: int | float | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("order", order), ("val_size", val_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if len(x_range) != 2 or not float(x_range[0]) < float(x_range[1]):
            raise ValueError(f"x_range must be [low, high] with low < high, got {list(x_range)}")
        if not isinstance(epoch_size, int) or epoch_size < batch_size:
            raise ValueError(f"epoch_size must be an integer >= batch_size ({batch_size}), got {epoch_size!r}")
        self.order, self.offset = order, float(offset)
        self.x_range = (float(x_range[0]), float(x_range[1]))
        self.batch_size, self.epoch_size, self.val_size = batch_size, epoch_size, val_size
        self.normalize = bool(normalize)
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.seed = int(seed)
        # a little-data run trains on a fixed pool of points instead of a fresh sample per batch
        self.pool_indices = subset_indices(self.epoch_size, limit, self.seed)
        if self.pool_indices is not None and len(self.pool_indices) < batch_size:
            raise InvalidValue("limit", limit, f"at least batch_size ({batch_size}) points")
        low, high = self.x_range
        # x**order on an interval peaks at an end, or bottoms out at 0 when 0 lies inside
        candidates = torch.tensor([low, high] + ([0.0] if low < 0.0 < high else []), dtype=torch.float64)
        ys = self.curve(candidates)
        self.bounds = torch.tensor([[low, ys.min().item()], [high, ys.max().item()]])  # rows: min, max

    def curve(self, x: torch.Tensor) -> torch.Tensor:
        """y on the curve for each x (data units)."""
        return self.offset + x**self.order

    def vertical_distance(self, points: torch.Tensor) -> torch.Tensor:
        """|y - curve(x)| per point, in data units, for points (N, 2) in model units."""
        x, y = self.from_model(points.double()).unbind(dim=1)
        return (y - self.curve(x)).abs()

    def sample_points(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n fresh points (x, y) in data units, float32 (n, 2)."""
        low, high = self.x_range
        x = torch.rand(n, generator=generator, dtype=torch.float64) * (high - low) + low
        return torch.stack([x, self.curve(x)], dim=1).float()

    def to_model(self, points: torch.Tensor) -> torch.Tensor:
        """Data units -> the units the networks see."""
        if not self.normalize:
            return points
        lo, hi = self.bounds.to(points.device)
        unit = (points - lo) / (hi - lo)
        return unit * (self.value_range[1] - self.value_range[0]) + self.value_range[0]

    def from_model(self, points: torch.Tensor) -> torch.Tensor:
        """The units the networks see -> data units (inverse of `to_model`)."""
        if not self.normalize:
            return points
        lo, hi = self.bounds.to(points.device)
        unit = (points - self.value_range[0]) / (self.value_range[1] - self.value_range[0])
        return unit * (hi - lo) + lo

    def training_pool(self) -> torch.Tensor | None:
        """The fixed points a little-data run draws its batches from (data units), or None: a fresh sample each."""
        if self.pool_indices is None:
            return None
        return self.sample_points(len(self.pool_indices), torch.Generator().manual_seed(self.seed + 1))

    def train_dataloader(self) -> SampledBatches:
        rank = self.trainer.global_rank if self.trainer is not None else 0
        pool = self.training_pool()
        if pool is None:
            draw = lambda n, generator: self.to_model(self.sample_points(n, generator))  # noqa: E731
        else:
            points = self.to_model(pool)
            draw = lambda n, generator: points[torch.randint(len(points), (n,), generator=generator)]  # noqa: E731
        return SampledBatches(
            draw,
            self.batch_size,
            self.epoch_size // self.batch_size,
            self.seed,
            rank,
            iterations_done(self.trainer) if self.trainer is not None else None,
        )

    def validation_sample(self, n: int | None = None) -> torch.Tensor:
        """The fixed validation points (the first n of `val_size`), in model units."""
        points = self.sample_points(self.val_size, torch.Generator().manual_seed(self.seed))
        return self.to_model(points[: n or self.val_size])
