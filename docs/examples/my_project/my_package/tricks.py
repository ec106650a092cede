"""A trick ganlab does not ship: Progressive GAN's drift penalty (Karras et al. 2018), weight * E[D(x)^2]
on real samples, which keeps D's outputs from drifting far from zero."""

import torch
from torch import nn

from ganlab.errors import InvalidValue
from ganlab.tricks.base import Trick


class DriftPenalty(Trick):
    def __init__(self, weight: float = 0.001) -> None:
        super().__init__()
        if not isinstance(weight, (int, float)) or weight < 0:
            raise InvalidValue("weight", weight, "a number >= 0")  # reported as trick.drift.weight = ...
        self.weight = float(weight)

    def discriminator_penalty(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, iteration: int
    ) -> torch.Tensor:
        return self.weight * discriminator(real).pow(2).mean()  # logged with the loss's penalty: train/d_penalty
