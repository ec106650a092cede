"""Convolutional GANs: the KTH report's intermediate model and complete DCGAN, and the small CNN of Raschka's
lecture and the DCGAN-on-MNIST write-up.

They share one shape, so they are one family configured by conf/model/intermediate.yaml, dcgan.yaml
and cnn.yaml. The discriminator is a stack of strided convolutions (LeakyReLU 0.2, BatchNorm on every
layer but the first, per the DCGAN guidelines quoted in the DCGAN-on-MNIST write-up), an optional fully connected hidden
layer (the intermediate model's FC128) and a linear logit. The generator mirrors it: a fully connected
layer to `channels[0]` maps, transposed convolutions (ReLU, BatchNorm), and a last one to the image
channels with the output activation. `activation` (LeakyReLU in D, ReLU in G by default) and `dropout`
after every hidden layer are the switches of trick=act_relu, act_sigmoid and drop.

Image size. Each network has one layer per entry of `channels`; as many of them as the image size
allows halve (D) or double (G) the resolution, the rest keep it. That count is the largest k <= the
number of layers with both sides divisible by 2^k and at least 2 after k halvings, and it must be at
least 2: so the sides must be multiples of 4 and at least 8. A 32x32 CIFAR image runs the complete
DCGAN's four layers all at stride 2 down to 2x2; 28x28 MNIST halves twice to 7x7, then keeps 7x7.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ganlab.images import is_image_shape
from ganlab.models import activations

MIN_STRIDED_LAYERS = 2
MIN_RESOLUTION = 2


def strided_layers(image_shape: Sequence[int], num_layers: int, network: str) -> int:
    """How many of `num_layers` layers change the resolution for images of shape (C, H, W)."""
    if not is_image_shape(image_shape):
        raise ValueError(
            f"{network} needs image data of shape (channels, height, width), got data_shape {tuple(image_shape)}"
        )
    height, width = image_shape[1:]
    count = 0
    while (
        count < num_layers
        and all(side % 2 ** (count + 1) == 0 and side // 2 ** (count + 1) >= MIN_RESOLUTION for side in (height, width))
    ):
        count += 1
    if count < MIN_STRIDED_LAYERS:
        raise ValueError(
            f"{network} cannot serve {height}x{width} images: both sides must be multiples of 4 and at least 8 "
            f"(e.g. 8, 28, 32, 64)"
        )
    return count


def _padding(kernel_size: int) -> tuple[int, int]:
    """(padding, output_padding) with which a stride-2 (transposed) convolution exactly halves (doubles) a side."""
    padding = (kernel_size - 1) // 2
    return padding, 2 - kernel_size + 2 * padding


def init_dcgan_weights(module: nn.Module) -> None:
    """Radford et al.'s initialization: weights ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _check_layers(channels: Sequence[int], kernel_size: int) -> None:
    if len(channels) < MIN_STRIDED_LAYERS or any(int(c) < 1 for c in channels):
        raise ValueError(f"channels must list at least {MIN_STRIDED_LAYERS} positive widths, got {list(channels)}")
    if not isinstance(kernel_size, int) or kernel_size < 2:
        raise ValueError(f"kernel_size must be an integer >= 2, got {kernel_size!r}")


class ConvDiscriminator(nn.Module):
    """x (N, C, H, W) -> logits (N,)."""

    def __init__(
        self,
        data_shape: Sequence[int],
        channels: Sequence[int] = (64, 128, 256, 512),
        kernel_size: int = 5,
        batchnorm: bool = True,
        hidden: int | None = None,
        dcgan_init: bool = True,
        activation: str = "leaky_relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_layers(channels, kernel_size)
        strided = strided_layers(data_shape, len(channels), "ConvDiscriminator")
        padding, _ = _padding(kernel_size)
        layers: list[nn.Module] = []
        width = data_shape[0]
        for index, out in enumerate(int(c) for c in channels):
            if index < strided:  # halve the resolution first, while it is high
                layers.append(nn.Conv2d(width, out, kernel_size, stride=2, padding=padding))
            else:
                layers.append(nn.Conv2d(width, out, kernel_size, stride=1, padding="same"))
            if batchnorm and index > 0:  # never on D's input layer (DCGAN)
                layers.append(nn.BatchNorm2d(out))
            layers.append(activations.hidden_activation(activation, dropout))
            width = out
        features = width * math.prod(side // 2**strided for side in data_shape[1:])
        layers.append(nn.Flatten())
        if hidden is not None:
            layers += [nn.Linear(features, int(hidden))]
            layers += [nn.BatchNorm1d(int(hidden))] if batchnorm else []
            layers += [activations.hidden_activation(activation, dropout)]
            features = int(hidden)
        layers.append(nn.Linear(features, 1))
        self.net = nn.Sequential(*layers)
        if dcgan_init:
            self.apply(init_dcgan_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]


class ConvGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, C, H, W) in the range of `output_activation`."""

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        channels: Sequence[int] = (1024, 512, 256, 128),
        kernel_size: int = 5,
        batchnorm: bool = True,
        output_activation: str = "tanh",
        dcgan_init: bool = True,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_layers(channels, kernel_size)
        channels = [int(c) for c in channels]
        strided = strided_layers(data_shape, len(channels), "ConvGenerator")
        padding, output_padding = _padding(kernel_size)
        self.start_shape = (channels[0], *(side // 2**strided for side in data_shape[1:]))
        self.project = nn.Linear(latent_dim, math.prod(self.start_shape))
        start: list[nn.Module] = [nn.BatchNorm2d(channels[0])] if batchnorm else []
        self.start = nn.Sequential(*start, activations.hidden_activation(activation, dropout))
        layers: list[nn.Module] = []
        widths = [*channels, data_shape[0]]
        for index in range(len(channels)):
            last = index == len(channels) - 1
            if index >= len(channels) - strided:  # double the resolution last, towards the image
                layers.append(
                    nn.ConvTranspose2d(
                        widths[index], widths[index + 1], kernel_size, 2, padding, output_padding=output_padding
                    )
                )
            else:
                layers.append(nn.Conv2d(widths[index], widths[index + 1], kernel_size, stride=1, padding="same"))
            if not last:
                layers += [nn.BatchNorm2d(widths[index + 1])] if batchnorm else []
                layers.append(activations.hidden_activation(activation, dropout))
        layers.append(activations.output_activation(output_activation))
        self.net = nn.Sequential(*layers)
        if dcgan_init:
            self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.start(self.project(z).view(z.shape[0], *self.start_shape)))
