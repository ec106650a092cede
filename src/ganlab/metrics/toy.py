"""Scores for Kim's toy curve: how far generated points lie from the curve, and how far their
distribution is from the real one (sliced Wasserstein distance and MMD, both in the networks' units, where
the two axes have comparable scales)."""

from __future__ import annotations

import torch
from torchmetrics.aggregation import CatMetric

from ganlab.contracts import CurveData, GANData
from ganlab.metrics.manifold import ManifoldScores, between_halves
from ganlab.metrics.yardstick import TOY

MMD_POINTS = 2000  # the kernel matrices grow with the square of the points: subsample beyond this
MMD_BANDWIDTHS = (0.05, 0.1, 0.2, 0.5, 1.0)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, projections: int = 128, seed: int = 0) -> float:
    """Mean over random directions of the 1-D Wasserstein-1 distance between the projected point sets
    (N, D) and (M, D); the larger set is cut to the smaller one's size."""
    n = min(len(a), len(b))
    generator = torch.Generator().manual_seed(seed)
    directions = torch.randn(a.shape[1], projections, generator=generator, dtype=torch.float64)
    directions /= directions.norm(dim=0, keepdim=True)
    a_sorted = (a[:n].double().cpu() @ directions).sort(dim=0).values
    b_sorted = (b[:n].double().cpu() @ directions).sort(dim=0).values
    return (a_sorted - b_sorted).abs().mean().item()


def gaussian_mmd(a: torch.Tensor, b: torch.Tensor) -> float:
    """Unbiased squared MMD with a sum of gaussian kernels of bandwidths MMD_BANDWIDTHS (~0 for one distribution)."""
    a, b = a[:MMD_POINTS].double().cpu(), b[:MMD_POINTS].double().cpu()

    def kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        distances = torch.cdist(x, y).pow(2)
        return sum(torch.exp(-distances / (2 * width**2)) for width in MMD_BANDWIDTHS)

    def mean_off_diagonal(k: torch.Tensor) -> torch.Tensor:
        return (k.sum() - k.diagonal().sum()) / (len(k) * (len(k) - 1))

    return (mean_off_diagonal(kernel(a, a)) + mean_off_diagonal(kernel(b, b)) - 2 * kernel(a, b).mean()).item()


class ToyScores:
    """toy_curve_distance (median |y - curve(x)| of generated points, data units), toy_sliced_wasserstein
    and toy_mmd (generated vs real points), and toy_precision, toy_recall, toy_density, toy_coverage
    (ganlab.metrics.manifold, on the points themselves)."""

    better = {"toy_curve_distance": "lower", "toy_sliced_wasserstein": "lower", "toy_mmd": "lower"}
    better.update({f"toy_{name}": way for name, way in ManifoldScores.better.items()})
    yardstick = TOY  # no weights: the scores are computed from the points and the curve

    def __init__(self, datamodule: GANData) -> None:
        if not isinstance(datamodule, CurveData):
            raise ValueError(
                f"the toy metric needs the toy curve data (data=toy_quadratic), not {type(datamodule).__name__}"
            )
        self.datamodule = datamodule
        self.fake = CatMetric()  # gathers every rank's points under DDP
        self.real: torch.Tensor | None = None
        self.manifold = ManifoldScores()

    def to(self, device: torch.device) -> ToyScores:
        self.fake.to(device)
        return self

    def set_real(self, real: torch.Tensor, batch_size: int = 250) -> dict[str, float]:
        self.real = real.cpu()
        self.manifold.set_real(self.real)
        half = len(self.real) // 2
        first, second = self.real[:half], self.real[half:]
        return {
            "real_toy_curve_distance": self.datamodule.vertical_distance(self.real).median().item(),
            "real_toy_sliced_wasserstein": sliced_wasserstein(first, second),
            "real_toy_mmd": gaussian_mmd(first, second),
            **{f"real_toy_{name}": value for name, value in between_halves(self.real).items()},
        }

    def reset(self) -> None:
        self.fake.reset()

    def update(self, points: torch.Tensor) -> None:
        self.fake.update(points)

    def compute(self) -> dict[str, float]:
        fake = self.fake.compute().cpu()
        return {
            "toy_curve_distance": self.datamodule.vertical_distance(fake).median().item(),
            "toy_sliced_wasserstein": sliced_wasserstein(fake, self.real),
            "toy_mmd": gaussian_mmd(fake, self.real),
            **{f"toy_{name}": value for name, value in self.manifold.compute(fake).items()},
        }


def toy_scores(datamodule: GANData, **_: object) -> ToyScores:
    return ToyScores(datamodule)
