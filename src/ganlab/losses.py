"""Adversarial losses on discriminator outputs, each owning how D's targets are built and penalized.

A loss turns D's raw outputs (N,) into the scalar each network minimizes. It also owns the two D-side
tricks that depend on what those outputs mean: the labels D is trained toward (`flip_prob`: the KTH report's
flipped labels; `real_target`: one-sided smoothing) and the gradient penalty added to D's loss
(`r1_gamma`; WGAN-GP's own). A loss where a trick has no meaning refuses it when it is built, so the run
stops before training with the reason.

The cross-entropy losses use the softplus form of BCE, which stays finite where log(sigmoid(x)) would
underflow, and sum the real and fake terms as the Flux tutorial, the KTH report and Kim's toy GAN do
(Raschka's lecture halves it; with Adam the scale hardly matters).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import nn

from ganlab.penalties import gradient_penalty, r1_penalty
from ganlab.tricks.labels import flip_labels, label_targets


class AdversarialLoss(ABC):
    name: str = ""
    # whether D is trained toward real/fake target labels, which flipping and smoothing change
    uses_targets: bool = True
    why_no_targets: str = ""  # when uses_targets is False: the reason, for the error message
    # D's output above which a sample counts as judged real (for train/d_acc_*); None: no such decision
    decision_threshold: float | None = 0.0

    def __init__(self, flip_prob: float = 0.0, real_target: float = 1.0, r1_gamma: float = 0.0) -> None:
        self.flip_prob, self.real_target, self.r1_gamma = float(flip_prob), float(real_target), float(r1_gamma)
        if not self.uses_targets:
            for trick, value, off in (("flip_prob", self.flip_prob, 0.0), ("real_target", self.real_target, 1.0)):
                if value != off:
                    raise ValueError(
                        f"{trick} = {value} (trick.{trick}) has no meaning for the {self.name} loss: "
                        f"{self.why_no_targets}. Label flipping and smoothing work with loss=nonsaturating, "
                        "minimax or lsgan"
                    )

    def discriminator_targets(
        self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's targets for the real and the fake batch: real_target for samples labelled real, 0 for those
        labelled fake, after a `flip_prob` share of the labels has been flipped."""
        n_real = real_outputs.shape[0]
        is_real = torch.arange(n_real + fake_outputs.shape[0], device=real_outputs.device) < n_real
        targets = label_targets(flip_labels(is_real, self.flip_prob), self.real_target)
        real_targets, fake_targets = targets.to(real_outputs.dtype).split([n_real, fake_outputs.shape[0]])
        return real_targets, fake_targets

    @abstractmethod
    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        """Scalar D minimizes, without its penalty."""

    @abstractmethod
    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        """Scalar G minimizes."""

    def discriminator_penalty(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """Scalar added to D's loss, computed from D's inputs; None when this loss has none."""
        if self.r1_gamma == 0:
            return None
        return self.r1_gamma / 2 * r1_penalty(discriminator, real)

    def discriminator_accuracy(
        self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(share of real samples D judges real, share of fakes it judges fake), judged against
        `decision_threshold`; None for a loss whose outputs decide nothing."""
        if self.decision_threshold is None:
            return None
        real = (real_outputs > self.decision_threshold).float().mean()
        return real, (fake_outputs < self.decision_threshold).float().mean()

    def check_discriminator(self, discriminator: nn.Module) -> None:  # noqa: B027 (optional hook)
        """Raise ValueError when this loss cannot train `discriminator` correctly; every network by default."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(flip_prob={self.flip_prob}, real_target={self.real_target}, "
            f"r1_gamma={self.r1_gamma})"
        )


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


class WassersteinGPLoss(AdversarialLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic D maximizes mean D(x) - mean D(G(z)), an estimate of the
    Wasserstein-1 distance once D is kept 1-Lipschitz by `gradient_penalty_weight` times the gradient
    penalty; G minimizes -mean D(G(z)). The paper trains the critic 5 times per G update (loss/wgan_gp.yaml
    sets d_steps: 5) with Adam lr 1e-4, betas (0, 0.9)."""

    name = "wgan_gp"
    uses_targets = False
    decision_threshold = None  # the critic's scores have an arbitrary offset: their sign decides nothing
    why_no_targets = "the critic's outputs are scores whose difference estimates a distance, not probabilities"

    def __init__(
        self,
        gradient_penalty_weight: float = 10.0,
        flip_prob: float = 0.0,
        real_target: float = 1.0,
        r1_gamma: float = 0.0,
    ) -> None:
        super().__init__(flip_prob, real_target, r1_gamma)
        if r1_gamma != 0:
            raise ValueError(
                f"r1_gamma = {r1_gamma} (trick.r1_gamma): wgan_gp already penalizes the critic's gradient "
                "(loss.gradient_penalty_weight); use one of the two penalties"
            )
        if not gradient_penalty_weight >= 0:
            raise ValueError(f"gradient_penalty_weight must be >= 0, got {gradient_penalty_weight}")
        self.gradient_penalty_weight = float(gradient_penalty_weight)

    def discriminator_loss(self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor) -> torch.Tensor:
        return fake_outputs.mean() - real_outputs.mean()

    def generator_loss(self, fake_outputs: torch.Tensor) -> torch.Tensor:
        return -fake_outputs.mean()

    def discriminator_penalty(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        return self.gradient_penalty_weight * gradient_penalty(discriminator, real, fake)

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
