"""A generator ganlab does not ship: an MLP whose hidden layers add their input back (residual blocks).

What ganlab asks of a generator: it takes `latent_dim` and `data_shape` from the run, maps z of shape
(N, latent_dim) to samples of shape (N, *data_shape), and ends in the activation named by
`output_activation`, whose range the run scales the real data to.
"""

import math

import torch
from torch import nn

OUTPUTS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class ResidualGenerator(nn.Module):
    def __init__(self, latent_dim: int, data_shape, width: int = 128, blocks: int = 2,
                 output_activation: str = "tanh") -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.project = nn.Linear(latent_dim, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU()) for _ in range(blocks)
        )
        self.out = nn.Sequential(nn.Linear(width, math.prod(self.data_shape)), OUTPUTS[output_activation]())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h).view(len(z), *self.data_shape)
