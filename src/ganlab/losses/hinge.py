"""The hinge game of SN-GAN and BigGAN."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganlab.losses.base import AdversarialLoss


class HingeLoss(AdversarialLoss):
    """The hinge game (Lim & Ye 2017; Miyato et al.'s SN-GAN, BigGAN): D minimizes
    mean relu(1 - D(x)) + mean relu(1 + D(G(z))), G minimizes -mean D(G(z))."""

    name = "hinge"
    uses_targets = False
    why_no_targets = "it scores D's outputs against a margin of 1 on either side, not against target labels"

    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_outputs).mean() + F.relu(1 + fake_outputs).mean()

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        return -fake_outputs.mean()
