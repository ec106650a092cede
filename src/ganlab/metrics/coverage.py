"""Mode coverage: how many of the data set's classes a generator's samples fall into (the mode collapse that
Raschka's lecture shows)."""

from __future__ import annotations

import torch
from torchmetrics import Metric


class ModeCoverage(Metric):
    """The histogram of predicted classes over all updates, kept as counts (exact under DDP: a sum).

    `compute()` returns {"modes_covered": classes receiving at least `min_share` of the samples,
    "class_entropy": entropy (nats) of the predicted-class histogram, log(num_classes) when uniform,
    0 when every sample lands in one class}.
    """

    full_state_update = False
    better = {"modes_covered": "higher", "class_entropy": "higher"}

    def __init__(self, num_classes: int, min_share: float = 0.01, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes, self.min_share = int(num_classes), float(min_share)
        self.add_state("counts", torch.zeros(self.num_classes, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor) -> None:
        """logits (N, num_classes): one sample's class scores per row."""
        self.counts += torch.bincount(logits.argmax(dim=1), minlength=self.num_classes).to(self.counts.device)

    def compute(self) -> dict[str, torch.Tensor]:
        share = self.counts.double() / self.counts.sum().clamp(min=1)
        present = share[share > 0]
        # p log(1/p) rather than -(p log p): one class gives 0, not the -0 that logs and reports would print
        entropy = (present * present.reciprocal().log()).sum()
        return {"modes_covered": (share >= self.min_share).sum(), "class_entropy": entropy}
