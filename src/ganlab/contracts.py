"""What ganlab's parts may rely on of each other, declared in one place.

A callback reads the training state through `TrainingState` (GANModule provides it); pictures and metrics
ask a data module for what `GANData` lists, and for more only through the narrower protocols below; the
Evaluation callback drives a metric through `Scores`. A new part that honours these works with the rest:
a data module need not subclass ganlab's, a metric need not use torchmetrics. The seam for tricks is a
base class, `ganlab.tricks.base.Trick`; the one for IS/FID/KID feature networks is
`ganlab.metrics.image_scores.FeatureExtractor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from torch import nn

if TYPE_CHECKING:
    from ganlab.latent import LatentPrior
    from ganlab.losses.base import AdversarialLoss
    from ganlab.run_record import RunRecord
    from ganlab.training_rows import TrainingRows


class TrainingState(Protocol):
    """What a callback may read from the LightningModule it is given."""

    @property
    def iteration(self) -> int:
        """Completed training iterations (each d_steps D and g_steps G updates)."""

    @property
    def optimizer_steps_per_iteration(self) -> int:
        """Lightning's `global_step` advances by this much per iteration."""

    @property
    def planned_iterations(self) -> int | None:
        """The iterations the run is to train (trainer.max_steps); None when epochs decide."""

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator pictures and metrics draw from (G's moving average under trick=ema)."""

    @property
    def device(self) -> torch.device: ...

    discriminator: nn.Module
    latent: LatentPrior
    loss: AdversarialLoss
    # the last iteration's losses as tensors on the device (train/d_loss, train/g_loss, train/d_penalty):
    # reading them is the caller's choice of when to wait for the device
    latest_losses: dict[str, torch.Tensor]
    written_losses: dict[str, float]  # train/d_loss and train/g_loss of the last row handed to the loggers
    training_rows: TrainingRows  # the training rows not yet handed to the loggers
    record: RunRecord  # what the run's parts publish about it (ganlab.run_record), one per run

    def write_training_rows(self, reduce: bool = True) -> dict[str, float]:
        """Hand the training rows kept on the device to the loggers now (before a row of one's own, or when a
        run stops); `reduce=False` when not every DDP process gets there."""


class GANData(Protocol):
    """What every data module offers besides Lightning's `train_dataloader`."""

    value_range: tuple[float, float]  # the range training batches are scaled to: G's output range

    @property
    def data_shape(self) -> tuple[int, ...]:
        """One sample's shape, (C, H, W) for images; known after `setup`."""

    def validation_sample(self, n: int | None = None) -> torch.Tensor:
        """The same n real samples (all if None) on every call, float in `value_range`, on the CPU."""


@runtime_checkable
class LabelledImages(Protocol):
    """A data set held in memory with its class labels (what metric=classifier trains on)."""

    images: torch.Tensor | None  # uint8 (N, C, H, W), after setup
    labels: torch.Tensor | None  # int64 (N,)


@runtime_checkable
class TrainingImages(Protocol):
    """A data set held in memory that can say which images training saw (the memorization audit reads it)."""

    training_images: torch.Tensor  # uint8 (N, C, H, W): what training sees (the subset under data.limit)
    held_out_images: torch.Tensor | None  # uint8: what it never sees; None when it sees everything


@runtime_checkable
class FeatureScores(Protocol):
    """A metric whose scores are read in a feature space of images it can compute (IS, FID, KID's)."""

    def extract(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (N, F), class logits (N, K)) of images float (N, C, H, W) in the data's range."""


@runtime_checkable
class CurveData(Protocol):
    """Points near a known curve, whose networks work in rescaled units (the toy curve)."""

    def from_model(self, points: torch.Tensor) -> torch.Tensor:
        """Points (N, 2) in the networks' units -> data units."""

    def vertical_distance(self, points: torch.Tensor) -> torch.Tensor:
        """|y - curve(x)| per point (N,), in data units, for points (N, 2) in the networks' units."""


@runtime_checkable
class FeatureDiscriminator(Protocol):
    """A discriminator that exposes the layer its logit is read from (Dongbin Kim's 2-unit layer)."""

    feature_dim: int | None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, feature_dim) for samples x."""


class Scores(Protocol):
    """A metric as the Evaluation callback drives it: the real side once, then per evaluation reset,
    update with each batch of generated samples, compute. Values are plain floats keyed by score name."""

    # Which way each score improves, "higher" or "lower", by name, the study's headline score first: the
    # report draws verdicts on these only (a score missing here is tabulated without one).
    better: dict[str, str]
    # What the scores are measured with: {"id": ..., ...}, the id naming the feature network's weights by their
    # SHA-256 (ganlab.metrics.yardstick). The report compares only runs that share it; a metric of the user's
    # that declares none is recorded as "undeclared".
    yardstick: dict[str, Any]

    def to(self, device: torch.device) -> Scores: ...

    def set_real(self, real: torch.Tensor, batch_size: int) -> dict[str, float]:
        """Take the real samples; returns the same scores computed on real data (logged as real_<name>)."""

    def reset(self) -> None: ...

    def update(self, samples: torch.Tensor) -> None: ...

    def compute(self) -> dict[str, float]: ...
