"""Adversarial losses on discriminator logits.

Both losses here are binary cross-entropy with logits (softplus form), which stays finite where
log(sigmoid(x)) would underflow. The discriminator loss is the sum of the real and fake terms, as in
seeds 000, 001 and 003 (seed 002 halves it; with Adam the scale hardly matters).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F


class BinaryCrossEntropyLoss(ABC):
    """The discriminator side shared by the minimax and non-saturating games: real -> 1, fake -> 0."""

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Scalar: -mean log D(x) - mean log(1 - D(G(z)))."""
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return real + fake

    @abstractmethod
    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Scalar the generator minimizes; the choice of it is what names the game."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MinimaxLoss(BinaryCrossEntropyLoss):
    """Goodfellow et al.'s original game (seed 002): G minimizes mean log(1 - D(G(z))).

    It saturates: when D confidently rejects fakes the gradient vanishes, which is why the
    non-saturating loss exists. The value is <= 0 and falls as G improves.
    """

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        # log(1 - sigmoid(l)) = -softplus(l)
        return -F.softplus(fake_logits).mean()


class NonSaturatingLoss(BinaryCrossEntropyLoss):
    """G maximizes log D(G(z)) instead (seeds 000-003 all train this way): -mean log D(G(z))."""

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        # -log(sigmoid(l)) = softplus(-l)
        return F.softplus(-fake_logits).mean()
