"""Stacked forms of ganlab's fully connected networks: K seeds' MLPs run as batched matrix products.

torch.func's `vmap` over `functional_call` runs any network on a pack's stacks, but for layers of 16 units its
wrapping of every call costs more than the arithmetic (docs/speed.md, "Seeds packed into one process"). An
MLPGenerator or MLPDiscriminator is a chain of Linear layers and elementwise activations: on inputs of shape
(K, n, features) each Linear is one `baddbmm` with its stacked weight, and each activation (dropout too, with its
own draw for every element, so for every seed) applies as it is. `stacked_form(network)` gives that function for
those two classes when every layer is of these kinds, and None otherwise (the pack then uses vmap).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ganlab.models.mlp import MLPDiscriminator, MLPGenerator

StackedForm = Callable[[dict[str, torch.Tensor], torch.Tensor], torch.Tensor]

ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Dropout)

# a chain's steps: (the Linear's parameter name prefix, None) or (None, an elementwise module)
Step = tuple[str | None, nn.Module | None]


def _chain(module: nn.Module, prefix: str) -> list[Step] | None:
    """`module` as a chain of steps, in order; None when it holds anything but Linear and elementwise layers."""
    if type(module) is nn.Linear:
        return [(prefix, None)]
    if type(module) in ELEMENTWISE:
        return [(None, module)]
    if type(module) is nn.Sequential:
        steps: list[Step] = []
        for name, child in module.named_children():
            if (child_steps := _chain(child, f"{prefix}.{name}")) is None:
                return None
            steps += child_steps
        return steps
    return None


def _run(steps: list[Step], parameters: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
    for prefix, layer in steps:
        if prefix is None:
            h = layer(h)
            continue
        weight, bias = parameters[f"{prefix}.weight"].transpose(1, 2), parameters.get(f"{prefix}.bias")
        h = torch.bmm(h, weight) if bias is None else torch.baddbmm(bias.unsqueeze(1), h, weight)
    return h


def _generator_form(generator: MLPGenerator) -> StackedForm | None:
    steps = [_chain(generator.body, "body"), _chain(generator.out, "out")]
    if any(part is None for part in steps):
        return None
    chain, shape = steps[0] + steps[1], generator.data_shape

    def forward(parameters: dict[str, torch.Tensor], z: torch.Tensor) -> torch.Tensor:
        return _run(chain, parameters, z).view(*z.shape[:2], *shape)

    return forward


def _discriminator_form(discriminator: MLPDiscriminator) -> StackedForm | None:
    parts = [_chain(discriminator.body, "body"), _chain(discriminator.feature_layer, "feature_layer"),
             _chain(discriminator.head, "head"), _chain(discriminator.head_activation, "head_activation")]  # fmt: skip
    if any(part is None for part in parts):
        return None
    chain, two_way = [step for part in parts for step in part], discriminator.two_way

    def forward(parameters: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        out = _run(chain, parameters, x.flatten(2))
        return out[..., 0] - out[..., 1] if two_way else out[..., 0]

    return forward


def stacked_form(network: nn.Module) -> StackedForm | None:
    """`network`'s forward on stacked parameters {name: (K, ...)} and inputs (K, n, ...), or None: its exact class
    (a subclass may compute otherwise) is not one of the MLPs, or it holds a layer of another kind."""
    if type(network) is MLPGenerator:
        return _generator_form(network)
    if type(network) is MLPDiscriminator:
        return _discriminator_form(network)
    return None
