"""Fidelity and diversity apart: precision and recall (Kynkäänniemi et al. 2019, k = 3) and density and
coverage (Naeem et al. 2020, k = 5) of generated against real features, from k-nearest-neighbour balls.

IS, FID and KID fold fidelity and diversity into one number: a generator that draws a few sharp digits and
one that draws every digit blurred can tie. Here *precision* is the share of generated samples inside the
real manifold (the union of each real sample's ball out to its k-th nearest real neighbour), *recall* the
share of real samples inside the generated manifold, *density* how many real balls a generated sample falls
into on average, divided by k (about 1 when the two sets are alike, above 1 where samples crowd where the
real ones are dense), and *coverage* the share of real samples whose ball holds a generated sample. Balls are
closed (<=): with a strict < two identical sets would score 0 (prdc's issue 7).

The real side is the reference every evaluation is read against, so its balls are computed once. Distances
are taken `chunk` rows at a time: 10 000 x 10 000 features never need the whole distance matrix at once.
With k or fewer samples on a side a ball is undefined and the scores are NaN (a smoke run's evaluations).
"""

from __future__ import annotations

import math

import torch

PRECISION_K = 3  # Kynkäänniemi et al.'s k
COVERAGE_K = 5  # Naeem et al.'s k
NAMES = ("precision", "recall", "density", "coverage")


def kth_neighbour_distances(features: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """(N,): each row's distance to its k-th nearest other row of `features` (N, D) (itself not counted)."""
    return torch.cat([torch.cdist(part, features).kthvalue(k + 1, dim=1).values for part in features.split(chunk)])


def between_halves(real: torch.Tensor) -> dict[str, float]:
    """The scores of the second half of `real` (N, D) against its first: what sampling alone sets them to, the
    reference a generator's scores are read against."""
    half = len(real) // 2
    halves = ManifoldScores()
    halves.set_real(real[:half])
    return halves.compute(real[half:])


class ManifoldScores:
    """Precision, recall, density and coverage of generated against real features (float (N, D) on one device)."""

    better = dict.fromkeys(NAMES, "higher")

    def __init__(self, chunk: int = 1024) -> None:
        self.chunk = int(chunk)
        self.real: torch.Tensor | None = None
        self.real_radii: dict[int, torch.Tensor] = {}

    def set_real(self, real: torch.Tensor, radii: dict[int, torch.Tensor] | None = None) -> dict[int, torch.Tensor]:
        """Take the real features; returns their balls' radii by k (pass them back as `radii` to skip the work:
        ganlab caches them with the reference features)."""
        self.real = real.float()
        if radii is None:
            radii = {k: kth_neighbour_distances(self.real, k, self.chunk) for k in (PRECISION_K, COVERAGE_K)
                     if len(self.real) > k}  # fmt: skip
        self.real_radii = {k: radius.to(self.real.device) for k, radius in radii.items()}
        return radii

    def compute(self, fake: torch.Tensor) -> dict[str, float]:
        """{precision, recall, density, coverage} of `fake` (M, D) against the real features."""
        real, fake = self.real, fake.float().to(self.real.device)
        if len(fake) <= PRECISION_K or len(self.real_radii) < 2:
            return dict.fromkeys(NAMES, math.nan)
        fake_radii = kth_neighbour_distances(fake, PRECISION_K, self.chunk)
        precision_ball, coverage_ball = self.real_radii[PRECISION_K], self.real_radii[COVERAGE_K]
        inside_real, reached = [], torch.zeros(len(real), dtype=torch.bool, device=real.device)
        nearest = torch.full((len(real),), math.inf, device=real.device)
        in_balls = 0
        for start in range(0, len(fake), self.chunk):
            distances = torch.cdist(fake[start : start + self.chunk], real)  # (m, N)
            inside_real.append((distances <= precision_ball).any(dim=1))
            reached |= (distances <= fake_radii[start : start + self.chunk, None]).any(dim=0)
            in_balls += int((distances <= coverage_ball).sum())
            nearest = torch.minimum(nearest, distances.min(dim=0).values)
        return {
            "precision": torch.cat(inside_real).float().mean().item(),
            "recall": reached.float().mean().item(),
            "density": in_balls / (COVERAGE_K * len(fake)),
            "coverage": (nearest <= coverage_ball).float().mean().item(),
        }
