"""Scores of the generator during training: the metric of conf/metric/, D's accuracy.

An evaluation draws `num_samples` images from the run's sampling generator (G's moving average under
trick=ema) from latents fixed by `seed`, feeds them to the scores, and logs `val/<score>` at the
current iteration through every logger. It runs before the first update, every `every_n_steps`
iterations and, with `final_num_samples`, at the end. The real-data reference (`val/real_<score>`) is
computed once, at the start. Everything happens under `evaluating`: eval mode, no gradients, the
global RNG put back, so a run's training losses are the same with or without evaluations.

Under DDP each rank draws its share of the samples (latents seeded by seed + rank) and the scores'
torchmetrics states are reduced across ranks when computed.

Lightning's `trainer.limit_val_batches` bounds the work, as it bounds a validation loop: an integer N caps
each evaluation (per process) and the reference at N batches of `batch_size` images, a fraction scales them,
0 turns evaluation off. `trainer=debug` sets 0.001, so a smoke run scores a handful of samples.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch

from ganlab.callbacks.isolation import evaluating
from ganlab.contracts import FeatureScores, Scores, TrainingState
from ganlab.errors import InvalidValue
from ganlab.score_names import score_column
from ganlab.value_checks import is_int

log = logging.getLogger(__name__)

# FID needs a covariance: two images at least. The real-data reference (final_num_samples real images, or
# its share under trainer.limit_val_batches) is also split in two halves for FID's floor: four at least.
SAMPLES_AT_LEAST = 2
REFERENCE_AT_LEAST = 4
REFERENCE_WHY = " (also the real-data reference's size, whose two halves FID compares)"
SAMPLES = "samples"  # logged as val/samples beside every evaluation's scores (val/real_samples: the reference's)
UNDECLARED = {"id": "undeclared", "network": "unknown: the metric declares no yardstick", "sha256": None}


class Evaluation(pl.Callback):
    def __init__(
        self,
        scores: Callable[..., Scores],
        every_n_steps: int = 1000,
        num_samples: int = 1000,
        final_num_samples: int = 10_000,
        batch_size: int = 250,
        seed: int = 0,
        **options: Any,
    ) -> None:
        """`scores(datamodule=..., data_config=..., **options)` makes the score object (see ganlab.metrics);
        it is called by `prepare`, before training, so missing weights or data stop the run early. Extra
        keys of the metric config (metric.weights_path) are those `options`."""
        for name, value, least, why in (
            ("every_n_steps", every_n_steps, 0, ""),
            ("num_samples", num_samples, SAMPLES_AT_LEAST, " (FID needs a covariance)"),
            ("final_num_samples", final_num_samples, REFERENCE_AT_LEAST, REFERENCE_WHY),
        ):  # batch_size is checked with the config, as every batch_size is (ganlab.validate)
            if not (is_int(value) and value >= least):
                raise InvalidValue(name, value, f"an integer >= {least}{why}")
        self.make_scores, self.options = scores, options
        self.every_n_steps, self.num_samples, self.final_num_samples = every_n_steps, num_samples, final_num_samples
        self.batch_size, self.seed = batch_size, int(seed)
        self.scores: Scores | None = None
        self.score_directions: dict[str, str] = {}  # val/<score>: higher or lower, once prepared
        self.yardstick: dict[str, Any] = {}  # the scores' declared yardstick, once prepared
        self.reference: dict[str, float] = {}  # the real data's own scores
        self._done: set[tuple[int, int]] = set()

    def prepare(self, datamodule: pl.LightningDataModule, data_config: dict[str, Any]) -> None:
        self.scores = self.make_scores(datamodule=datamodule, data_config=data_config, **self.options)
        better = getattr(self.scores, "better", {})  # a metric of the user's may not declare it: no verdicts then
        if wrong := {name: way for name, way in better.items() if way not in ("higher", "lower")}:
            raise ValueError(f"{type(self.scores).__name__}.better = {wrong}: each value must be higher or lower")
        # status.json carries them, so the report knows which way each val/ score improves ...
        self.score_directions = {score_column(name): way for name, way in better.items()}
        # ... and what the scores are measured with (the report compares only runs that share it)
        declared = getattr(self.scores, "yardstick", None)
        self.yardstick = declared if isinstance(declared, dict) and isinstance(declared.get("id"), str) else UNDECLARED

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        if self.scores is None:
            raise RuntimeError("Evaluation.prepare(datamodule, data_config) must run before fit")
        # the run's record carries what the scores are and how they are read: status.json, the audit, the findings
        record = pl_module.record
        record.declare_directions(self.score_directions)
        record.yardstick = self.yardstick
        record.features = self.scores if isinstance(self.scores, FeatureScores) else None
        reference_count = self._limited(trainer, self.final_num_samples, REFERENCE_AT_LEAST)
        if reference_count == 0:
            log.info("trainer.limit_val_batches=0: no evaluations")
            return
        started = time.monotonic()
        self.scores.to(pl_module.device)
        self.real = trainer.datamodule.validation_sample(reference_count)
        with evaluating():  # only the scores' own (eval-mode) feature network runs: no_grad, RNG put back
            self.reference = reference = self.scores.set_real(self.real, self.batch_size)
        record.add_timing("reference_seconds", round(time.monotonic() - started, 2))
        if trainer.ckpt_path is not None:  # resumed: the reference and this iteration's scores are in metrics.csv
            return
        if trainer.is_global_zero:
            log.info("real-data reference on %d images: %s", len(self.real), _format(reference))
        self._log(trainer, {**reference, f"real_{SAMPLES}": len(self.real)}, pl_module.iteration)
        self._evaluate(trainer, pl_module, self.num_samples)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        iteration = pl_module.iteration
        last = pl_module.planned_iterations is not None and iteration >= pl_module.planned_iterations
        if self.every_n_steps and iteration % self.every_n_steps == 0 and not last:  # the last: on_train_end
            self._evaluate(trainer, pl_module, self.num_samples)

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        # the curve's own size first, so that the curve (and the pace read from it) ends at the last iteration
        # at one sample size; then the final scores (FID, IS and the rest are biased by the sample count)
        self._evaluate(trainer, pl_module, self.num_samples)
        self._evaluate(trainer, pl_module, self.final_num_samples)
        latest = pl_module.record.latest
        if latest is not None and latest.iteration == pl_module.iteration and latest.samples:
            # the final evaluation as final_scores.json records it (the lifecycle writes it)
            pl_module.record.final_scores = {
                "iteration": pl_module.iteration,
                "samples": latest.samples,
                "real_samples": len(self.real),
                "yardstick": self.yardstick,
                "scores": dict(latest.scores),
                "real": dict(self.reference),
            }

    def _evaluate(self, trainer: pl.Trainer, pl_module: TrainingState, count: int) -> None:
        iteration = pl_module.iteration
        per_rank = self._limited(trainer, math.ceil(count / trainer.world_size))
        if (iteration, count) in self._done or per_rank == 0:
            return
        self._done.add((iteration, count))
        started = time.monotonic()
        generator, discriminator = pl_module.sampling_generator, pl_module.discriminator
        with evaluating(generator, discriminator):
            metrics, first_batch = score_generator(
                self.scores, generator, pl_module.latent, per_rank, self.batch_size, self.seed + trainer.global_rank,
                pl_module.device,
            )  # fmt: skip
            metrics.update(self._discriminator_accuracy(trainer, pl_module, first_batch))
        drawn, seconds = min(count, per_rank * trainer.world_size), round(time.monotonic() - started, 2)
        pl_module.record.evaluated(metrics, iteration, drawn)
        pl_module.record.add_timing("evaluation_seconds", seconds, size=drawn)
        pl_module.write_training_rows()  # the training rows up to here first: metrics.csv stays in iteration order
        if trainer.is_global_zero:
            log.info("iteration %d, %d samples (%.1f s): %s", iteration, drawn, seconds, _format(metrics))
        self._log(trainer, {**metrics, SAMPLES: drawn}, iteration)  # each row says its sample size

    def _discriminator_accuracy(
        self, trainer: pl.Trainer, pl_module: TrainingState, fake: torch.Tensor
    ) -> dict[str, float]:
        """The Flux tutorial's accuracy of D on a balanced batch of the fixed real sample and generated images
        (under DDP: the mean over the processes' batches)."""
        real = self.real[: len(fake)].to(pl_module.device)
        discriminator = pl_module.discriminator
        accuracy = pl_module.loss.discriminator_accuracy(discriminator(real), discriminator(fake[: len(real)]))
        if accuracy is None:
            return {}
        accuracy = trainer.strategy.reduce(torch.stack(accuracy).float(), reduce_op="mean")
        return {"d_acc_real": accuracy[0].item(), "d_acc_fake": accuracy[1].item()}

    def _limited(self, trainer: pl.Trainer, count: int, at_least: int = SAMPLES_AT_LEAST) -> int:
        return limited_count(count, getattr(trainer, "limit_val_batches", 1.0), self.batch_size, at_least)

    @staticmethod
    def _log(trainer: pl.Trainer, metrics: dict[str, float], iteration: int) -> None:
        for logger in trainer.loggers:
            logger.log_metrics({score_column(key): value for key, value in metrics.items()}, step=iteration)


def limited_count(count: int, limit: float | int | None, batch_size: int, at_least: int = SAMPLES_AT_LEAST) -> int:
    """`count` images bounded by trainer.limit_val_batches (an int: batches of `batch_size`, a float: a fraction of
    them, None: no bound), and never fewer than `at_least` (`count` is at least that, checked in __init__); 0 when
    the limit is."""
    if limit is None:
        return count
    if limit == 0:
        return 0
    limited = min(count, limit * batch_size) if isinstance(limit, int) else math.ceil(count * limit)
    return max(at_least, limited)


def score_generator(
    scores: Scores,
    generator: torch.nn.Module,
    latent: Any,
    count: int,
    batch_size: int,
    seed: int,
    device: torch.device | str,
) -> tuple[dict[str, float], torch.Tensor]:
    """`scores` of `count` samples of `generator` from latents seeded by `seed`, drawn `batch_size` at a time
    (the first `count` latents of a seed are the same at every size); returns (scores, the first batch). The
    caller puts the networks in eval mode and under no_grad (`evaluating`)."""
    latents = torch.Generator().manual_seed(seed)
    scores.reset()
    first_batch = None
    for size in _chunks(count, batch_size):
        fake = generator(latent.sample(size, device=device, generator=latents))
        scores.update(fake.float())
        first_batch = fake if first_batch is None else first_batch
    return scores.compute(), first_batch


def _chunks(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


def _format(metrics: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.4g}" for key, value in metrics.items())
