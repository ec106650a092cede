"""Spectral normalization of D (Miyato et al. 2018): conf/trick/spectral_norm.yaml."""

from __future__ import annotations

from torch import nn

from ganlab.tricks.base import Trick

NORMALIZED_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)


def apply_spectral_norm(network: nn.Module) -> nn.Module:
    """`network` with every linear and convolution weight divided by its largest singular value, estimated
    by one power iteration per training forward pass. Returns `network`."""
    for module in list(network.modules()):
        if isinstance(module, NORMALIZED_LAYERS):
            nn.utils.parametrizations.spectral_norm(module)
    return network


class SpectralNorm(Trick):
    """Every weight of D divided by its largest singular value, which bounds D's Lipschitz constant.
    Usually paired with loss=hinge."""

    def configure_networks(self, generator: nn.Module, discriminator: nn.Module) -> None:
        apply_spectral_norm(discriminator)
