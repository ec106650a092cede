"""D's target labels: flipped (the KTH report, the DCGAN-on-MNIST write-up), smoothed on one side or both.

The loss applies them (`ganlab.losses.base.AdversarialLoss.discriminator_targets`), because only the loss knows
whether its game has target labels at all (hinge and WGAN-GP have none, and refuse both). Randomness comes
from `generator` when one is given, else from torch's global RNG, which `seed_everything` seeds.
"""

from __future__ import annotations

import torch


def flip_labels(is_real: torch.Tensor, prob: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """`is_real` (bool, any shape) with each entry inverted independently with probability `prob`.

    The KTH report (section 3.2) and the DCGAN-on-MNIST write-up: a small share of fakes shown to D as
    real and of reals as fake keeps D from winning too early.
    """
    if prob <= 0:
        return is_real
    device = generator.device if generator is not None else is_real.device
    draws = torch.rand(is_real.shape, generator=generator, device=device)
    return is_real ^ (draws < prob).to(is_real.device)


def label_targets(is_real: torch.Tensor, real_target: float = 1.0, fake_target: float = 0.0) -> torch.Tensor:
    """Float targets for D: `real_target` where `is_real`, `fake_target` elsewhere.

    real_target < 1 alone is one-sided label smoothing (Salimans et al. 2016, the 0.9 of Raschka's lecture),
    which keeps the fake targets at 0 because smoothing them rewards G for samples D already finds fake.
    With fake_target > 0 as well it is the two-sided smoothing of the Flux tutorial, which would "penalize when
    the discriminator outputs a value outside the range [0.1, 0.9]": cross-entropy toward 0.9 and 0.1 is
    lowest for outputs at those targets, inside the range.
    """
    return torch.where(is_real, real_target, fake_target).float()
