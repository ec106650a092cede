"""Fully connected GANs: the KTH report's simple model, the Flux tutorial's binarized-MNIST pair and Kim's toy pair.

The three differ only in widths, activations and the discriminator's head, so they are one family
configured by conf/model/mlp.yaml, mlp_binary.yaml and mlp_toy.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ganlab.models import activations

DISCRIMINATOR_HEADS = ("logit", "two_way_softmax")


def _hidden_stack(
    in_features: int, hidden: Sequence[int], activation: str, dropout: float
) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    width = in_features
    if isinstance(hidden, str) or not all(isinstance(size, int) and size >= 1 for size in hidden):
        shown = repr(hidden) if isinstance(hidden, str) else list(hidden)
        raise ValueError(f"hidden layer sizes must be a list of positive integers, e.g. [256, 256], got {shown}")
    for size in hidden:
        layers += [nn.Linear(width, int(size)), activations.hidden_activation(activation, dropout)]
        width = int(size)
    return nn.Sequential(*layers), width


class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> samples (N, *data_shape) in the range of `output_activation`."""

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (128,),
        activation: str = "relu",
        output_activation: str = "tanh",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.data_shape = tuple(int(d) for d in data_shape)
        self.body, width = _hidden_stack(latent_dim, hidden, activation, dropout)
        self.out = nn.Sequential(
            nn.Linear(width, math.prod(self.data_shape)), activations.output_activation(output_activation)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(z)).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """x (N, *data_shape) -> logits (N,).

    `feature_dim` inserts a linear bottleneck before the logit (Kim's toy GAN uses 2 units so D's view of
    real and fake points can be plotted); `features(x)` returns it. `head="two_way_softmax"` is seed
    000's 2-unit softmax whose first unit is P(real): softmax([a, b])[0] = sigmoid(a - b), so the
    logit is a - b. The Flux tutorial's code also squashes those two units with tanh (`head_activation: tanh`),
    which bounds P(real) to [0.12, 0.88]. `dropout` follows every hidden layer (trick=drop).
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (128,),
        activation: str = "relu",
        feature_dim: int | None = None,
        head: str = "logit",
        head_activation: str | None = None,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if head not in DISCRIMINATOR_HEADS:
            raise ValueError(f"head {head!r} is not one of: {', '.join(DISCRIMINATOR_HEADS)}")
        self.feature_dim = None if feature_dim is None else int(feature_dim)
        self.body, width = _hidden_stack(math.prod(data_shape), hidden, activation, dropout)
        self.feature_layer = nn.Identity() if self.feature_dim is None else nn.Linear(width, self.feature_dim)
        width = width if self.feature_dim is None else self.feature_dim
        self.two_way = head == "two_way_softmax"
        self.head = nn.Linear(width, 2 if self.two_way else 1)
        self.head_activation = (
            nn.Identity() if head_activation is None else activations.hidden_activation(head_activation)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The representation the logit is read from: (N, feature_dim), or the last hidden layer."""
        return self.feature_layer(self.body(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head_activation(self.head(self.features(x)))
        return out[:, 0] - out[:, 1] if self.two_way else out[:, 0]
