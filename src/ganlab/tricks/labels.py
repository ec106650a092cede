"""Training tricks of the seeds (and of every modern GAN code base), as functions on tensors and networks.

Which one runs is decided by conf/trick/*.yaml through the `trick.*` knobs: label flipping and smoothing
act inside the loss (`ganlab.losses`), instance noise and the generator average inside the training step
(`ganlab.module`), spectral normalization when the discriminator is built (`ganlab.build`). Dropout,
latent distribution, output and hidden activations are model settings that the trick files patch.

Randomness comes from `generator` when one is given, else from torch's global RNG, which
`seed_everything` seeds, so a run's tricks are reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def flip_labels(is_real: torch.Tensor, prob: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """`is_real` (bool, any shape) with each entry inverted independently with probability `prob`.

    Seed 001 (section 3.2) and seed 004: a small share of fakes shown to D as real and of reals as fake
    keeps D from winning too early.
    """
    if prob <= 0:
        return is_real
    device = generator.device if generator is not None else is_real.device
    draws = torch.rand(is_real.shape, generator=generator, device=device)
    return is_real ^ (draws < prob).to(is_real.device)


def label_targets(is_real: torch.Tensor, real_target: float = 1.0) -> torch.Tensor:
    """Float targets for D: `real_target` where `is_real`, 0 elsewhere.

    real_target < 1 is one-sided label smoothing (Salimans et al. 2016, seed 002's 0.9; seed 000 proposes
    keeping D's outputs inside [0.1, 0.9]): only real targets move, since smoothing the fake ones would
    reward G for samples D already finds fake.
    """
    return torch.where(is_real, real_target, 0.0).float()


@dataclass(frozen=True)
class InstanceNoise:
    """Gaussian noise added to every input D sees, real and fake (seed 004, after Sønderby et al. 2016),
    with a standard deviation that falls linearly from `std` at iteration 0 to 0 at `anneal_iterations`.

    Noise widens both distributions so they overlap and D's gradient stays informative early on; the
    annealing leaves D the clean data by the end of training.
    """

    std: float
    anneal_iterations: int

    def __post_init__(self) -> None:
        if self.std < 0:
            raise ValueError(f"instance noise std must be >= 0, got {self.std}")
        if self.std > 0 and self.anneal_iterations < 1:
            raise ValueError(
                f"instance noise is annealed over anneal_iterations = {self.anneal_iterations} iterations; "
                "it must be a positive number of iterations (set trick.instance_noise_iterations when "
                "trainer.max_steps is -1)"
            )

    def std_at(self, iteration: int) -> float:
        """The noise's standard deviation at a (0-based) training iteration."""
        return self.std * max(0.0, 1.0 - iteration / self.anneal_iterations)

    def __call__(self, x: torch.Tensor, iteration: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """x plus N(0, std_at(iteration)^2) noise of x's shape; x itself once the noise has annealed away."""
        std = self.std_at(iteration)
        if std == 0:
            return x
        device = generator.device if generator is not None else x.device
        noise = torch.randn(x.shape, generator=generator, device=device)
        return x + std * noise.to(device=x.device, dtype=x.dtype)


def apply_spectral_norm(network: nn.Module) -> nn.Module:
    """`network` with every linear and convolution weight divided by its largest singular value
    (Miyato et al. 2018), estimated by one power iteration per training forward pass. Returns `network`."""
    for module in list(network.modules()):
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            nn.utils.parametrizations.spectral_norm(module)
    return network


def generator_average(generator: nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average copy of `generator` (weights and BatchNorm statistics): after each
    `update_parameters(generator)`, average = decay * average + (1 - decay) * generator.

    The average is what samples and metrics are drawn from: it smooths out the oscillation of adversarial
    training (Yazici et al. 2019; Karras et al. use it in every StyleGAN). The first update copies G.
    """
    if not 0 < decay < 1:
        raise ValueError(f"the average's decay must lie in (0, 1), got {decay}")
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    return average.requires_grad_(False)
