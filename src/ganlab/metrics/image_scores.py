"""IS, FID and KID (torchmetrics) in the feature space of a network: Inception, or a classifier of the data set.

torchmetrics computes all three; the extractor runs once per batch here and hands its outputs to the
metrics through an identity "feature network" (torchmetrics' custom-feature support), so Inception is
not run three times. FID keeps sums (exact under DDP); IS and KID keep the features themselves, as
torchmetrics does. The real side is computed once, kept across evaluations (`reset_real_features=False`)
and can be cached on disk per data set.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchmetrics.aggregation import CatMetric
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from ganlab.atomic_files import replaced_atomically
from ganlab.contracts import GANData
from ganlab.images import is_image_shape, to_signed_unit_range
from ganlab.metrics.coverage import ModeCoverage
from ganlab.metrics.manifold import ManifoldScores, between_halves

log = logging.getLogger(__name__)


class FeatureExtractor(nn.Module, ABC):
    """images float (N, C, H, W) in [-1, 1] -> (features (N, num_features), class logits (N, num_classes))."""

    name: str
    num_features: int
    num_classes: int

    @abstractmethod
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


class _Precomputed(nn.Module):
    """The "feature network" torchmetrics is given: the features were computed already."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def require_images(datamodule: GANData, metric: str) -> None:
    """Raise ValueError unless the data are images (C, H, W)."""
    if not is_image_shape(datamodule.data_shape):
        raise ValueError(f"the {metric} metric needs images, the data have shape {tuple(datamodule.data_shape)}")


class ImageScores:
    """Generated-vs-real scores in the space of `extractor`, under the names `keys` gives for "is", "fid", "kid"
    (plus "<name>_std" for IS and KID) and "precision", "recall", "density", "coverage" (ganlab.metrics.manifold,
    on the same features as FID), and, with `coverage`, `modes_covered` and `class_entropy`."""

    def __init__(
        self,
        extractor: FeatureExtractor,
        value_range: tuple[float, float],
        keys: dict[str, str],
        coverage: bool = False,
        inception_splits: int = 10,
        kid_subset_size: int = 1000,
        kid_subsets: int = 100,
        reference_cache: str | Path | None = None,
        yardstick: dict[str, Any] | None = None,
    ) -> None:
        self.extractor = extractor.eval().requires_grad_(False)
        # which network's weights these scores are read in (ganlab.metrics.yardstick), for status.json
        self.yardstick = yardstick or {"id": f"{extractor.name}-unpinned", "network": extractor.name, "sha256": None}
        self.value_range, self.keys = value_range, keys
        self.kid_subset_size, self.splits = int(kid_subset_size), int(inception_splits)
        self.reference_cache = None if reference_cache is None else Path(reference_cache).expanduser()
        features = _Precomputed(extractor.num_features)
        self.inception_score = self._inception_score(extractor.num_classes)
        self.kid_subsets = int(kid_subsets)
        self.kid = self._kid(subset_size=1)  # sized when computed: min(kid_subset_size, the samples)
        self.fid = FrechetInceptionDistance(feature=features, reset_real_features=False)
        self.coverage = ModeCoverage(extractor.num_classes) if coverage else None
        self.manifold, self.fake_features = ManifoldScores(), CatMetric()  # CatMetric: every rank's, under DDP
        self.real_count = 0
        # FID first: of the three it is the one the field reads a generator by
        self.better = {keys["fid"]: "lower", keys["kid"]: "lower", keys["is"]: "higher"}
        self.better.update({keys[name]: way for name, way in ManifoldScores.better.items()})
        self.better.update(ModeCoverage.better if coverage else {})

    def _kid(self, subset_size: int) -> KernelInceptionDistance:
        with warnings.catch_warnings():  # "will save all extracted features": features, not images, by design
            warnings.filterwarnings("ignore", message=".*will save all extracted features")
            return KernelInceptionDistance(
                feature=_Precomputed(self.extractor.num_features), reset_real_features=False,
                subset_size=subset_size, subsets=self.kid_subsets,
            )  # fmt: skip

    def _inception_score(self, num_classes: int) -> InceptionScore:
        with warnings.catch_warnings():  # "will save all extracted features": logits, not images, by design
            warnings.filterwarnings("ignore", message=".*will save all extracted features")
            return InceptionScore(feature=_Precomputed(num_classes), splits=self.splits)

    def to(self, device: torch.device) -> ImageScores:
        for module in (self.extractor, self.inception_score, self.fid, self.kid, self.coverage, self.fake_features):
            if module is not None:
                module.to(device)
        return self

    @torch.no_grad()
    def extract(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(self.extractor.parameters()).device
        features, logits = self.extractor(to_signed_unit_range(images.to(device), self.value_range))
        return features.float(), logits.float()

    def _fingerprint(self) -> str:
        return f"{sum(p.detach().double().abs().sum().item() for p in self.extractor.parameters()):.10e}"

    def _real_features(self, real: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor | dict]:
        """{features, logits, radii (the manifold balls', by k)} of the real images, from the cache when it holds
        them for these images and this network."""
        stamp = {"count": len(real), "fingerprint": self._fingerprint()}
        # Which real images the run's seed chose is part of the key: runs of a sweep with other seeds draw other
        # samples, and each must be read against its own, whichever job filled a cache first.
        cache = self.reference_cache
        if cache is not None:
            content = hashlib.sha1(real.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:10]
            cache = cache.with_name(f"{cache.stem}-{content}{cache.suffix}")
        if cache is not None and cache.is_file():
            try:  # a cache is data: read with the weights-only loader, and computed again if it is not ours
                cached = torch.load(cache, map_location="cpu", weights_only=True)
                usable = all(cached.get(key) == value for key, value in stamp.items()) and "radii" in cached
            except Exception as error:  # pickle's, zipfile's and torch's errors alike
                log.warning("%s cannot be read (%s): computing the real-data features again", cache, error)
                usable = False
            if usable:
                log.info("real-data features read from %s (%d images)", cache, len(real))
                return cached
        pairs = [tuple(t.cpu() for t in self.extract(batch)) for batch in real.split(batch_size)]
        features, logits = torch.cat([f for f, _ in pairs]), torch.cat([lg for _, lg in pairs])
        reference = {"features": features, "logits": logits, "radii": ManifoldScores().set_real(features), **stamp}
        if cache is not None:
            with replaced_atomically(cache) as partial:  # parallel sweep jobs write it too
                torch.save(reference, partial)
        return reference

    def set_real(self, real: torch.Tensor, batch_size: int = 250) -> dict[str, float]:
        """Feed the real images (N, C, H, W) in `value_range` once; returns the same scores computed on real
        data, the reference a generator's scores are read against: IS and mode coverage of the real
        images, FID and precision, recall, density and coverage between two halves of them (what sampling
        alone sets them to)."""
        real_side = self._real_features(real, batch_size)
        device = next(self.extractor.parameters()).device
        features, logits = real_side["features"].to(device), real_side["logits"].to(device)
        self.fid.update(features, real=True)
        self.kid.update(features, real=True)
        self.manifold.set_real(features, real_side["radii"])
        self.real_count = len(features)
        reference = {f"real_{key}": value for key, value in self._scores(logits).items()}
        half = len(features) // 2
        floor = FrechetInceptionDistance(feature=_Precomputed(features.shape[1])).to(device)
        floor.update(features[:half], real=True)
        floor.update(features[half:], real=False)
        reference[f"real_{self.keys['fid']}"] = floor.compute().item()
        # KID's estimate is unbiased in the sample count: its floor reads against the cells' KID at any size,
        # where FID's floor (two halves) is biased upward by its smaller samples
        kid_floor = self._kid(min(self.kid_subset_size, half)).to(device)
        kid_floor.update(features[:half], real=True)
        kid_floor.update(features[half:], real=False)
        reference[f"real_{self.keys['kid']}"] = kid_floor.compute()[0].item()
        reference.update({f"real_{self.keys[name]}": value for name, value in between_halves(features).items()})
        return reference

    def _scores(self, logits: torch.Tensor) -> dict[str, float]:
        """IS (and coverage) of one set of samples, with fresh metric objects."""
        inception_score = self._inception_score(logits.shape[1]).to(logits.device)
        inception_score.update(logits)
        mean, _ = inception_score.compute()
        scores = {self.keys["is"]: mean.item()}
        if self.coverage is not None:
            coverage = ModeCoverage(self.coverage.num_classes).to(logits.device)
            coverage.update(logits)
            scores.update({key: value.item() for key, value in coverage.compute().items()})
        return scores

    def reset(self) -> None:
        """Forget the generated samples; the real side stays."""
        for metric in (self.inception_score, self.fid, self.kid, self.coverage, self.fake_features):
            if metric is not None:
                metric.reset()

    def update(self, images: torch.Tensor) -> None:
        """Add generated images (in `value_range`)."""
        features, logits = self.extract(images)
        self.inception_score.update(logits)
        self.fid.update(features, real=False)
        self.kid.update(features, real=False)
        self.fake_features.update(features)
        if self.coverage is not None:
            self.coverage.update(logits)

    def compute(self) -> dict[str, float]:
        mean, std = self.inception_score.compute()
        scores = {self.keys["is"]: mean.item(), f"{self.keys['is']}_std": std.item()}
        scores[self.keys["fid"]] = self.fid.compute().item()
        fake_count = int(self.fid.fake_features_num_samples)
        self.kid.subset_size = min(self.kid_subset_size, fake_count, self.real_count)
        kid_mean, kid_std = self.kid.compute()
        scores.update({self.keys["kid"]: kid_mean.item(), f"{self.keys['kid']}_std": kid_std.item()})
        manifold = self.manifold.compute(self.fake_features.compute())
        scores.update({self.keys[name]: value for name, value in manifold.items()})
        if self.coverage is not None:
            scores.update({key: value.item() for key, value in self.coverage.compute().items()})
        return scores
