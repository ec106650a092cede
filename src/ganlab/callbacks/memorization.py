"""The memorization audit at the end of training: how many generated samples copy a training image
(ganlab.metrics.memorization), in pixels and in the metric's feature space, and the closest pairs drawn.

Logged as val/copies (pixels) and val/copies_features (the metric's features, where its scores object can
compute them) at the final iteration, the fractions the report reads (lower is better); train.log says which
threshold set them, and memorization/copies.png shows the `pairs` closest generated samples, each beside its
nearest training image. Needs a data set held in memory (`ganlab.contracts.TrainingImages`); others are
skipped with a line in train.log, and a run with metric=none, which scores nothing, skips it too.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from ganlab.callbacks.isolation import evaluating
from ganlab.contracts import FeatureScores, TrainingImages, TrainingState
from ganlab.errors import InvalidValue
from ganlab.images import is_image_shape, uint8_to_range
from ganlab.metrics.memorization import audit_copies
from ganlab.plots import save_image_grid
from ganlab.score_names import score_column
from ganlab.value_checks import is_int

log = logging.getLogger(__name__)


class MemorizationAudit(pl.Callback):
    def __init__(self, dirpath: str, num_samples: int = 1000, pairs: int = 8, batch_size: int = 250, seed: int = 0):
        for name, value in (("num_samples", num_samples), ("pairs", pairs), ("batch_size", batch_size)):
            if not (is_int(value) and value >= 1):
                raise InvalidValue(name, value, "a positive integer")
        self.dirpath, self.num_samples, self.pairs = Path(dirpath), num_samples, pairs
        self.batch_size, self.seed = batch_size, int(seed)
        self.score_directions = {"val/copies": "lower", "val/copies_features": "lower"}

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        pl_module.record.declare_directions(self.score_directions)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        datamodule = trainer.datamodule
        record = pl_module.record
        if record.yardstick is None:  # metric=none: a run that scores nothing
            return
        if not (is_image_shape(datamodule.data_shape) and isinstance(datamodule, TrainingImages)):
            log.info("memorization audit skipped: it needs images held in memory")
            return
        if trainer.world_size > 1 and not trainer.is_global_zero:
            return  # one process audits: every one holds the same networks and data
        count = self._limited(trainer)
        if count == 0:
            return
        started = time.monotonic()
        generated = self._generated(pl_module, count)
        training = uint8_to_range(datamodule.training_images, datamodule.value_range)
        held_out = datamodule.held_out_images
        held_out = None if held_out is None else uint8_to_range(held_out, datamodule.value_range)
        in_pixels = audit_copies(generated, training, held_out)
        found = {"copies": in_pixels.fraction}
        if record.features is not None:
            features = [self._features(record.features, images) for images in (generated, training, held_out)]
            found["copies_features"] = audit_copies(*features).fraction
        record.add_timing("memorization_audit_seconds", round(time.monotonic() - started, 2))
        against = "held-out images" if in_pixels.held_out else "training images' nearest other training image"
        log.info("memorization audit of %d samples against %d training images (threshold: 1st percentile of %s, "
                 "%.4g in pixels): %s", len(generated), len(training), against, in_pixels.threshold, found)  # fmt: skip
        for logger in trainer.loggers:
            logger.log_metrics({score_column(key): value for key, value in found.items()}, step=pl_module.iteration)
        closest = in_pixels.distances.argsort()[: self.pairs]
        pairs = torch.stack([generated[closest], training[in_pixels.nearest_training[closest]]], dim=1).flatten(0, 1)
        save_image_grid(pairs, self.dirpath / "copies.png", datamodule.value_range, nrow=2)

    def _limited(self, trainer: pl.Trainer) -> int:
        """num_samples, bounded by trainer.limit_val_batches as every evaluation is (0: no audit)."""
        limit = getattr(trainer, "limit_val_batches", 1.0)
        if limit == 0:
            return 0
        if isinstance(limit, int):
            return min(self.num_samples, limit * self.batch_size)
        return max(self.pairs, math.ceil(self.num_samples * limit))

    def _generated(self, pl_module: TrainingState, count: int) -> torch.Tensor:
        latents = torch.Generator().manual_seed(self.seed)
        with evaluating(pl_module.sampling_generator, pl_module.discriminator):
            chunks = [
                pl_module.sampling_generator(pl_module.latent.sample(size, device=pl_module.device, generator=latents))
                for size in [min(self.batch_size, count - start) for start in range(0, count, self.batch_size)]
            ]
        return torch.cat([chunk.float().cpu() for chunk in chunks])

    def _features(self, scores: FeatureScores, images: torch.Tensor | None) -> torch.Tensor | None:
        if images is None:
            return None
        with torch.no_grad():
            return torch.cat([scores.extract(part)[0].cpu() for part in images.split(self.batch_size)])
