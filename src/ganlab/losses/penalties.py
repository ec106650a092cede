"""Gradient penalties on the discriminator: WGAN-GP's (Gulrajani et al. 2017) and R1 (Mescheder et al. 2018).

Both differentiate D's output with respect to its input with `create_graph=True`, so the penalty itself
can be back-propagated into D's weights (which is why a compiled run calls them with D eager: see
`GANModule.discriminator_penalty`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Discriminator = Callable[[torch.Tensor], torch.Tensor]


def _input_gradients(discriminator: Discriminator, inputs: torch.Tensor) -> torch.Tensor:
    """d sum(D(inputs)) / d inputs, flattened to (N, features); each row is one sample's own gradient as
    long as D treats samples independently (no BatchNorm in training mode)."""
    inputs = inputs.detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(inputs).sum(), inputs, create_graph=True)
    return gradients.flatten(1)


def gradient_penalty(
    discriminator: Discriminator,
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Scalar: mean over x_hat of (||grad D(x_hat)||_2 - 1)^2, with x_hat uniform on the segments between
    paired real and fake samples. Zero for a critic that is 1-Lipschitz with unit gradient norm there."""
    return gradient_penalties(discriminator, real, fake, generator).mean()


def gradient_penalties(
    discriminator: Discriminator,
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(N,): each x_hat's (||grad D(x_hat)||_2 - 1)^2 (see `gradient_penalty`)."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    device = generator.device if generator is not None else real.device
    weight = torch.rand(shape, generator=generator, device=device).to(device=real.device, dtype=real.dtype)
    between = weight * real.detach() + (1 - weight) * fake.detach()
    return (_input_gradients(discriminator, between).norm(2, dim=1) - 1).pow(2)


def r1_penalty(discriminator: Discriminator, real: torch.Tensor) -> torch.Tensor:
    """Scalar: mean over real x of ||grad D(x)||_2^2. Penalizing it keeps D flat on the data, which makes
    the game converge locally (Mescheder et al.); multiply by gamma / 2."""
    return r1_penalties(discriminator, real).mean()


def r1_penalties(discriminator: Discriminator, real: torch.Tensor) -> torch.Tensor:
    """(N,): each real x's ||grad D(x)||_2^2 (see `r1_penalty`)."""
    return _input_gradients(discriminator, real).pow(2).sum(dim=1)
