"""What every adversarial loss is: the scalars D and G minimize from D's raw outputs (N,), the labels D is
trained toward, the penalty added to D's loss, and D's accuracy.

A loss owns the two D-side tricks that depend on what its outputs mean: the labels D is trained toward
(`flip_prob`: the KTH report's flipped labels; `real_target`: one-sided smoothing, with `fake_target` two-sided)
and the gradient penalty
added to D's loss (`r1_gamma`; WGAN-GP's own). The trick YAMLs set these keys under `loss:` (trick=flip
sets loss.flip_prob), and a loss where a trick has no meaning refuses it when it is built, so the run
stops before training with the reason. A new game is one file of this package and one YAML in conf/loss.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from ganlab.errors import InvalidValue
from ganlab.losses.penalties import r1_penalty
from ganlab.losses.targets import flip_labels, label_targets
from ganlab.value_checks import is_number


class AdversarialLoss(ABC):
    name: str = ""
    # whether D is trained toward real/fake target labels, which flipping and smoothing change
    uses_targets: bool = True
    why_no_targets: str = ""  # when uses_targets is False: the reason, for the error message
    # D's output above which a sample counts as judged real (for train/d_acc_*); None: no such decision
    decision_threshold: float | None = 0.0

    def __init__(
        self, flip_prob: float = 0.0, real_target: float = 1.0, r1_gamma: float = 0.0, fake_target: float = 0.0
    ) -> None:
        """The knobs of D's targets and penalty, off by default; trick=flip, smooth, smooth_two_sided and r1 set
        them (loss.flip_prob, loss.real_target, loss.fake_target, loss.r1_gamma)."""
        for name, value, ok, allowed in (
            ("flip_prob", flip_prob, lambda v: 0 <= v < 0.5, "a probability in [0, 0.5)"),
            ("real_target", real_target, lambda v: 0.5 < v <= 1, "a target in (0.5, 1] (1: no smoothing)"),
            ("fake_target", fake_target, lambda v: 0 <= v < 0.5, "a target in [0, 0.5) (0: no smoothing)"),
            ("r1_gamma", r1_gamma, lambda v: v >= 0, "a number >= 0 (0: off)"),
        ):
            if not (is_number(value) and ok(value)):
                raise InvalidValue(name, value, allowed)
        self.flip_prob, self.real_target, self.r1_gamma = float(flip_prob), float(real_target), float(r1_gamma)
        self.fake_target = float(fake_target)
        if not self.uses_targets:
            knobs = (("flip_prob", self.flip_prob, 0.0), ("real_target", self.real_target, 1.0),
                     ("fake_target", self.fake_target, 0.0))  # fmt: skip
            for knob, value, off in knobs:
                if value != off:
                    raise ValueError(
                        f"{knob} = {value} (loss.{knob}) has no meaning for the {self.name} loss: "
                        f"{self.why_no_targets}. Label flipping and smoothing work with loss=nonsaturating, "
                        "minimax or lsgan"
                    )

    def discriminator_targets(
        self, real_outputs: torch.Tensor, fake_outputs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's targets for the real and the fake batch: real_target for samples labelled real, fake_target for those
        labelled fake, after a `flip_prob` share of the labels has been flipped."""
        n_real = real_outputs.shape[0]
        is_real = torch.arange(n_real + fake_outputs.shape[0], device=real_outputs.device) < n_real
        targets = label_targets(flip_labels(is_real, self.flip_prob), self.real_target, self.fake_target)
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
            f"fake_target={self.fake_target}, r1_gamma={self.r1_gamma})"
        )
