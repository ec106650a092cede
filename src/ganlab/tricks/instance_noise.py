"""Instance noise (the DCGAN-on-MNIST write-up, after Sønderby et al. 2016): conf/trick/instance_noise.yaml."""

from __future__ import annotations

import torch

from ganlab.errors import InvalidValue
from ganlab.tricks.base import Trick
from ganlab.value_checks import is_int, is_number


class InstanceNoise(Trick):
    """Gaussian noise added to every input D sees, real and fake, in D and G updates alike, with a standard
    deviation that falls linearly from `std` at iteration 0 to 0 at `anneal_iterations`.

    Noise widens both distributions so they overlap and D's gradient stays informative early on; the
    annealing leaves D the clean data by the end of training. The noise comes from torch's global RNG,
    which the run's seed seeds.
    """

    def __init__(self, std: float, anneal_iterations: int) -> None:
        super().__init__()
        if not (is_number(std) and std >= 0):
            raise InvalidValue("std", std, "a number >= 0 (0: off)")
        if std > 0 and not (is_int(anneal_iterations) and anneal_iterations >= 1):
            raise InvalidValue(
                "anneal_iterations", anneal_iterations,
                "a positive number of iterations over which the noise anneals (set "
                "trick.instance_noise_iterations when trainer.max_steps is -1)",
            )  # fmt: skip
        self.std, self.anneal_iterations = float(std), anneal_iterations

    def std_at(self, iteration: int) -> float:
        """The noise's standard deviation at a (0-based) training iteration."""
        return self.std * max(0.0, 1.0 - iteration / self.anneal_iterations) if self.std else 0.0

    def discriminator_input(self, x: torch.Tensor, iteration: int) -> torch.Tensor:
        """x plus N(0, std_at(iteration)^2) noise of x's shape; x itself once the noise has annealed away."""
        std = self.std_at(iteration)
        if std == 0:
            return x
        return x + std * torch.randn_like(x)

    def logged_values(self, iteration: int) -> dict[str, float]:
        return {"instance_noise_std": self.std_at(iteration)}

    def extra_repr(self) -> str:
        return f"std={self.std}, anneal_iterations={self.anneal_iterations}"
