"""The one interface of every trick that needs code: hooks at the points of training a trick can act on.

A trick is chosen by a YAML in conf/trick/ that puts a node with a `_target_` under `trick:`; every such
node is instantiated and handed to GANModule, which calls the hooks below in the order the tricks were
chosen. Each hook does nothing by default, so a trick overrides only the points it acts on:

    checking the data       check_data_shape(data_shape)                   once, before training
    building the networks   configure_networks(generator, discriminator)   once, before training
    what D sees             discriminator_input(x, iteration)             every input of D in training
    D's penalty             discriminator_penalty(discriminator, real, fake, iteration)   added to D's loss
    after an update         after_iteration(generator, iteration)          after each iteration's updates
    what samples come from  sampling_generator(generator)                  pictures, metrics, ganlab.sample
    what it reports         logged_values(iteration)                       train/<key> columns of metrics.csv

`discriminator_input` changes each sample on its own (its own noise, its own augmentation): a pack of seeds
(ganlab.packing) hands it all its seeds' samples as one batch.

D's target labels are not a hook: they belong to the loss (label flipping and smoothing are loss settings,
`loss.flip_prob` and `loss.real_target`), since only the loss knows whether its game has labels.

A trick is an nn.Module, so whatever state it keeps as parameters, buffers or submodules (G's moving
average) is saved in checkpoints under `tricks.<name>.`. It checks its own arguments in `__init__` and
raises `ganlab.errors.InvalidValue`, which the run reports under the config key the value came from.
"""

from __future__ import annotations

import torch
from torch import nn


class Trick(nn.Module):
    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:  # noqa: B027 (optional hook)
        """Raise ValueError, with the reason, when the trick cannot act on data of this shape; any by default."""

    def configure_networks(self, generator: nn.Module, discriminator: nn.Module) -> None:
        """Change the networks in place when the run is built (before the optimizers are made)."""

    def discriminator_input(self, x: torch.Tensor, iteration: int) -> torch.Tensor:
        """What D is shown for the samples x (real or generated) during training; x by default."""
        return x

    def discriminator_penalty(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, iteration: int
    ) -> torch.Tensor | None:
        """A scalar added to D's loss, from D's inputs (after `discriminator_input`); None: no penalty."""
        return None

    def after_iteration(self, generator: nn.Module, iteration: int) -> None:
        """Called once the iteration's D and G updates are done; `iteration` counts from 0."""

    def sampling_generator(self, generator: nn.Module) -> nn.Module:
        """The network that pictures, metrics and `ganlab.sample` draw from, given the one chosen so far."""
        return generator

    def logged_values(self, iteration: int) -> dict[str, float]:
        """Values logged as train/<key> on the iterations that write a metrics row."""
        return {}
