"""The cross-entropy games: Goodfellow et al.'s minimax and the non-saturating one (the default).

They use the softplus form of BCE, which stays finite where log(sigmoid(x)) would underflow, and sum the
real and fake terms as the Flux tutorial, the KTH report and Kim's toy GAN do (Raschka's lecture halves it;
with Adam the scale hardly matters).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganlab.losses.base import AdversarialLoss


class BinaryCrossEntropyLoss(AdversarialLoss):
    """The discriminator side shared by the minimax and non-saturating games: real -> 1, fake -> 0."""

    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        """-mean log D(x) - mean log(1 - D(G(z))) with the default targets; D(x) = sigmoid(output)."""
        real_targets, fake_targets = self.discriminator_targets(real_outputs, fake_outputs)
        real = F.binary_cross_entropy_with_logits(real_outputs, real_targets)
        fake = F.binary_cross_entropy_with_logits(fake_outputs, fake_targets)
        return real + fake


class MinimaxLoss(BinaryCrossEntropyLoss):
    """Goodfellow et al.'s original game (Raschka's lecture): G minimizes mean log(1 - D(G(z))).

    It saturates: when D confidently rejects fakes the gradient vanishes, which is why the
    non-saturating loss exists. The value is <= 0 and falls as G improves.
    """

    name = "minimax"

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        # log(1 - sigmoid(l)) = -softplus(l)
        return -F.softplus(fake_outputs).mean()


class NonSaturatingLoss(BinaryCrossEntropyLoss):
    """G maximizes log D(G(z)) instead: -mean log D(G(z)). The Flux tutorial, the KTH report, Raschka's lecture
    and Kim's toy GAN all train this way."""

    name = "nonsaturating"

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        # -log(sigmoid(l)) = softplus(-l)
        return F.softplus(-fake_outputs).mean()
