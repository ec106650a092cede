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
from ganlab.losses.penalties import r1_penalties
from ganlab.losses.targets import flip_labels, label_targets
from ganlab.value_checks import is_number

# D's target knobs, each declared once: its name (loss.<name>, which a label trick's YAML sets), its value when
# off, and what it may be. A new label trick is a row here and a YAML in conf/trick (targets.py holds the math).
TARGET_KNOBS = (
    ("flip_prob", 0.0, lambda v: 0 <= v < 0.5, "a probability in [0, 0.5)"),
    ("real_target", 1.0, lambda v: 0.5 < v <= 1, "a target in (0.5, 1] (1: no smoothing)"),
    ("fake_target", 0.0, lambda v: 0 <= v < 0.5, "a target in [0, 0.5) (0: no smoothing)"),
)
PENALTY_KNOBS = (("r1_gamma", 0.0, lambda v: v >= 0, "a number >= 0 (0: off)"),)


class AdversarialLoss(ABC):
    name: str = ""
    # whether D is trained toward real/fake target labels, which flipping and smoothing change
    uses_targets: bool = True
    why_no_targets: str = ""  # when uses_targets is False: the reason, for the error message
    # D's output above which a sample counts as judged real (for train/d_acc_*); None: no such decision
    decision_threshold: float | None = 0.0
    flip_prob: float
    real_target: float
    fake_target: float
    r1_gamma: float

    def __init__(self, **knobs: float) -> None:
        """The knobs of D's targets and penalty (TARGET_KNOBS, PENALTY_KNOBS), each off unless given; trick=flip,
        smooth, smooth_two_sided and r1 set them (loss.flip_prob, loss.real_target, loss.fake_target,
        loss.r1_gamma)."""
        declared = (*TARGET_KNOBS, *PENALTY_KNOBS)
        if unknown := sorted(set(knobs) - {name for name, *_ in declared}):
            names = ", ".join(name for name, *_ in declared)
            raise InvalidValue(unknown[0], knobs[unknown[0]], f"a knob this loss has ({names})")
        for name, off, ok, allowed in declared:
            value = knobs.get(name, off)
            if not (is_number(value) and ok(value)):
                raise InvalidValue(name, value, allowed)
            setattr(self, name, float(value))
        if not self.uses_targets:
            for knob, off, _, _ in TARGET_KNOBS:
                if (value := getattr(self, knob)) != off:
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
        """Scalar added to D's loss, computed from D's inputs: the mean of `sample_penalties`; None when this loss
        has none."""
        penalties = self.sample_penalties(discriminator, real, fake)
        return None if penalties is None else penalties.mean()

    def sample_penalties(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """(N,): each sample's term of the penalty added to D's loss (a pack of seeds averages each seed's own:
        ganlab.packing); None when this loss has none."""
        if self.r1_gamma == 0:
            return None
        return self.r1_gamma / 2 * r1_penalties(discriminator, real)

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
        knobs = ", ".join(f"{name}={getattr(self, name)}" for name, *_ in (*TARGET_KNOBS, *PENALTY_KNOBS))
        return f"{type(self).__name__}({knobs})"
