"""WGAN-GP (Gulrajani et al. 2017): a critic kept 1-Lipschitz by a gradient penalty."""

from __future__ import annotations

import torch
from torch import nn

from ganlab.errors import InvalidValue
from ganlab.losses.base import AdversarialLoss
from ganlab.losses.penalties import gradient_penalties
from ganlab.value_checks import is_number


class WassersteinGPLoss(AdversarialLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic D maximizes mean D(x) - mean D(G(z)), an estimate of the
    Wasserstein-1 distance once D is kept 1-Lipschitz by `gradient_penalty_weight` times the gradient
    penalty; G minimizes -mean D(G(z)). The paper trains the critic 5 times per G update (loss/wgan_gp.yaml
    sets d_steps: 5) with Adam lr 1e-4, betas (0, 0.9)."""

    name = "wgan_gp"
    uses_targets = False
    decision_threshold = None  # the critic's scores have an arbitrary offset: their sign decides nothing
    why_no_targets = "the critic's outputs are scores whose difference estimates a distance, not probabilities"

    def __init__(self, gradient_penalty_weight: float = 10.0, **knobs: float) -> None:
        """`knobs`: AdversarialLoss's (flip_prob, real_target, fake_target, r1_gamma), each refused unless off."""
        super().__init__(**knobs)
        if self.r1_gamma != 0:
            raise ValueError(
                f"r1_gamma = {self.r1_gamma} (loss.r1_gamma): wgan_gp already penalizes the critic's gradient "
                "(loss.gradient_penalty_weight); use one of the two penalties"
            )
        if not (is_number(gradient_penalty_weight) and gradient_penalty_weight >= 0):
            raise InvalidValue("gradient_penalty_weight", gradient_penalty_weight, "a number >= 0")
        self.gradient_penalty_weight = float(gradient_penalty_weight)

    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        return fake_outputs.mean() - real_outputs.mean()

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        return -fake_outputs.mean()

    def sample_penalties(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        return self.gradient_penalty_weight * gradient_penalties(discriminator, real, fake)

    def check_discriminator(self, discriminator: nn.Module) -> None:
        # The penalty constrains each sample's own gradient; BatchNorm makes D's output on one sample depend
        # on the whole batch, so the paper's critic has none (Gulrajani et al., section 4).
        if any(isinstance(module, nn.modules.batchnorm._BatchNorm) for module in discriminator.modules()):
            raise ValueError(
                "the wgan_gp penalty needs a discriminator without BatchNorm (it mixes samples, so no sample has "
                "its own gradient); set model.discriminator.batchnorm=false"
            )

    def __repr__(self) -> str:
        return f"WassersteinGPLoss(gradient_penalty_weight={self.gradient_penalty_weight})"
