"""The latent prior p(z) the generator reads from."""

from __future__ import annotations

import torch

DISTRIBUTIONS = ("gaussian", "uniform")


class LatentPrior:
    """z ~ N(0, I) (`gaussian`: the Flux tutorial, the KTH report) or U[-1, 1] (`uniform`: Raschka's lecture,
    Kim's toy GAN, the KTH report's "lin").

    `sample` returns a float tensor of shape (n, dim).
    """

    def __init__(self, dim: int, distribution: str = "gaussian") -> None:
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution {distribution!r} is not one of: {', '.join(DISTRIBUTIONS)}")
        self.dim = int(dim)
        self.distribution = distribution

    def sample(
        self, n: int, device: torch.device | str = "cpu", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        # A generator lives on one device; draw there, then move, so a CPU generator serves any device.
        gen_device = generator.device if generator is not None else device
        if self.distribution == "gaussian":
            z = torch.randn(n, self.dim, device=gen_device, generator=generator)
        else:
            z = torch.rand(n, self.dim, device=gen_device, generator=generator).mul_(2).sub_(1)
        return z.to(device)

    def __repr__(self) -> str:
        return f"LatentPrior(dim={self.dim}, distribution={self.distribution!r})"
