"""What trains packed, and what is refused before training with the reason.

A pack trains K seeds of one run's settings together (`ganlab.packing.module`). That is exact only where each
seed's update is computed on the seed's own weights, gradients and optimizer state alone:

- the optimizers must update each weight from its own gradient and state (elementwise), as Adam, AdamW, RMSprop
  and SGD do; one that reads a whole tensor's norm or couples weights would mix the seeds;
- the seeds must differ in their seed alone: one loss, one set of tricks, the same update counts;
- a loss's penalty on D (R1, WGAN-GP) packs when the loss gives it per sample (`sample_penalties`), so that
  each seed's is the mean of its own samples'; a trick's penalty, and spectral normalization (a power-iteration
  state per layer), are not packed yet;
- torch.compile and channels-last change the networks in place when training starts, which the stacks bypass.

Each refusal is a ValueError whose message says what and why; the launcher reports it as a ConfigError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

from ganlab.losses.base import AdversarialLoss
from ganlab.tricks.base import Trick

if TYPE_CHECKING:
    from ganlab.module import GANModule

ELEMENTWISE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop, torch.optim.SGD)
_UNPACKED = "use another launcher (hydra/launcher=joblib) for this run"


def _optimizer_problem(network: str, factory) -> str | None:  # noqa: ANN001 (a Hydra partial)
    optimizer = factory([nn.Parameter(torch.zeros(1))])
    if isinstance(optimizer, ELEMENTWISE_OPTIMIZERS):
        return None
    allowed = ", ".join(kind.__name__ for kind in ELEMENTWISE_OPTIMIZERS)
    return (
        f"optim.{network} is {type(optimizer).__name__}: packed seeds train with optimizers that update each weight "
        f"from its own gradient ({allowed}), so that a pack's step is each seed's own step; {_UNPACKED}"
    )


def packing_problem(seeds: Sequence[GANModule]) -> str | None:
    """Why these seeds cannot train as one pack, in one line; None when they can."""
    if not seeds:
        return "a pack needs at least one seed"
    first = seeds[0]
    settings = lambda seed: (  # noqa: E731 (a key, read twice)
        seed.d_steps, seed.g_steps, seed.reuse_noise, repr(seed.loss), repr(seed.latent), repr(dict(seed.tricks)),
        seed.compile_options, seed.channels_last,
    )  # fmt: skip
    if any(settings(seed) != settings(first) for seed in seeds[1:]):
        return "the seeds of a pack must share every setting but the seed (loss, tricks, latent, update counts)"
    loss = first.loss
    if type(loss).discriminator_penalty is not AdversarialLoss.discriminator_penalty:
        return (
            f"the {loss.name or type(loss).__name__} loss defines its penalty on D as a whole (discriminator_penalty), "
            f"not per sample (sample_penalties), which a pack needs to give each seed its own; {_UNPACKED}"
        )
    for name, trick in first.tricks.items():
        if type(trick).discriminator_penalty is not Trick.discriminator_penalty:
            return f"trick.{name}'s penalty on D is not packed yet; {_UNPACKED}"
    for network in (first.generator, first.discriminator):
        if any(nn.utils.parametrize.is_parametrized(module) for module in network.modules()):
            return f"spectral normalization (a parametrized layer) is not packed yet; {_UNPACKED}"
    if first.compile_options is not None:
        return f"compile.enabled=true is not packed: the stacked forward bypasses the compiled networks; {_UNPACKED}"
    if first.channels_last:
        return f"channels_last=true is not packed; {_UNPACKED}"
    for network in ("generator", "discriminator"):
        if problem := _optimizer_problem(network, getattr(first, f"{network}_optimizer")):
            return problem
    return None


def check_packable(seeds: Sequence[GANModule]) -> None:
    if problem := packing_problem(seeds):
        raise ValueError(problem)
