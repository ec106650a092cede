"""Least squares GAN (Mao et al. 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganlab.losses.base import AdversarialLoss


class LeastSquaresLoss(AdversarialLoss):
    """LSGAN (Mao et al. 2017), the 0-1-1 coding: D regresses real outputs to 1 and fake ones to 0,
    G pulls its fakes' outputs to 1; each term is half a mean square. Unlike the cross-entropy, it keeps
    pushing fakes that D already classifies correctly but that lie far from the data."""

    name = "lsgan"
    decision_threshold = 0.5  # halfway between the fake (0) and real (1) targets

    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        real_targets, fake_targets = self.discriminator_targets(real_outputs, fake_outputs)
        return 0.5 * (F.mse_loss(real_outputs, real_targets) + F.mse_loss(fake_outputs, fake_targets))

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        return 0.5 * (fake_outputs - 1).pow(2).mean()
