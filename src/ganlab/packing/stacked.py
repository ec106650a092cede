"""K copies of one network as one: their parameters and buffers stacked along a leading seed dimension.

`StackedNetworks(networks)` takes K networks of one architecture (a pack's generators, say), stacks their
parameters and buffers into tensors of shape (K, ...) that it owns, and makes each network's own tensors views
of its slice of the stacks. Calling it runs all K on a batch of shape (K, n, ...) in the form that pays where
the inputs are (docs/speed.md, "Seeds packed into one process"):
- ganlab's MLPs: batched matrix products on the stacks (stacked_mlp);
- convolutional networks on a CPU: each seed's network in turn on its slice of the stacks, since vmap would make
  the K convolutions one grouped convolution, which a CPU computes more slowly than K ordinary ones;
- everything else: torch.func's `vmap` over `functional_call`, one kernel per layer for the whole pack instead
  of K (the batched work small networks need to keep a processor busy).

The networks stay ordinary modules that always hold their seed's current weights, since they share the
storage: an optimizer stepping the stacks moves them, BatchNorm's running statistics (buffers, updated in
place by the forward) are theirs, and a seed's checkpoint, pictures and scores are made from its own
network as for a run alone. Nothing is copied between the two views, and `state_dict()` of a network is
a seed's state dict. Moving the stacks to another device or dtype (Lightning's `.to`) makes the views anew.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ganlab.packing.stacked_mlp import stacked_form

CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)

# nn.Module names may not hold dots; the stacks are registered under the networks' own names with this instead
_DOT = "__"


def _owner(network: nn.Module, name: str) -> tuple[nn.Module, str]:
    """The submodule of `network` that holds the tensor `name` (a dotted state-dict key), and its own name."""
    path, _, leaf = name.rpartition(".")
    return (network.get_submodule(path) if path else network), leaf


class StackedNetworks(nn.Module):
    def __init__(self, networks: Sequence[nn.Module]) -> None:
        super().__init__()
        if not networks:
            raise ValueError("a stack needs at least one network")
        types = {type(network) for network in networks}
        if len(types) != 1:
            raise ValueError(f"a stack holds one architecture; got {', '.join(sorted(t.__name__ for t in types))}")
        self.networks = list(networks)  # a plain list, not submodules: their tensors are views of the stacks
        parameters, buffers = stack_module_state(self.networks)
        self.parameter_names, self.buffer_names = list(parameters), list(buffers)
        trainable = {name: parameter.requires_grad for name, parameter in self.networks[0].named_parameters()}
        for name, stacked in parameters.items():
            self.register_parameter(name.replace(".", _DOT), nn.Parameter(stacked.detach(), trainable[name]))
        for name, stacked in buffers.items():
            self.register_buffer(name.replace(".", _DOT), stacked)
        # the architecture without storage: functional_call puts the stacks' slices in its place
        self.template = [copy.deepcopy(self.networks[0]).to("meta")]  # in a list: not a submodule either
        # an MLP runs as batched matrix products, faster than vmap's wrapping of small layers (stacked_mlp)
        self.form = stacked_form(self.template[0])
        self.convolutional = any(isinstance(layer, CONVOLUTIONS) for layer in self.template[0].modules())
        self._make_views()

    def __len__(self) -> int:
        return len(self.networks)

    def stacked_parameters(self) -> dict[str, nn.Parameter]:
        return {name: getattr(self, name.replace(".", _DOT)) for name in self.parameter_names}

    def stacked_buffers(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name.replace(".", _DOT)) for name in self.buffer_names}

    def _make_views(self) -> None:
        """Each network's parameters and buffers made views of its slice of the stacks again."""
        parameters, buffers = self.stacked_parameters(), self.stacked_buffers()
        for index, network in enumerate(self.networks):
            for name, stacked in parameters.items():
                owner, leaf = _owner(network, name)
                # a Parameter made from a view shares its storage: the optimizer's in-place steps on the stack
                # reach it, and load_state_dict into the network writes into the stack
                owner._parameters[leaf] = nn.Parameter(stacked.detach()[index], stacked.requires_grad)
            for name, stacked in buffers.items():
                owner, leaf = _owner(network, name)
                owner._buffers[leaf] = stacked[index]

    def _apply(self, fn, recurse=True):  # noqa: ANN001 (nn.Module's own signature)
        # .to(), .double(), ... give the stacks new storage; the networks must follow it
        result = super()._apply(fn, recurse)
        self._make_views()
        return result

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network k on x[k] for every k: x of shape (K, n, ...) to outputs of shape (K, n, ...)."""
        template = self.template[0]
        if template.training != self.training:  # train() walks every submodule: only when it changes
            template.train(self.training)

        if self.form is not None:
            return self.form(self.stacked_parameters(), x)
        if self.convolutional and x.device.type == "cpu":
            return self._one_seed_at_a_time(x)

        def one(parameters: dict, buffers: dict, inputs: torch.Tensor) -> torch.Tensor:
            # tie_weights=False: ganlab's networks share no weights, and untying costs a walk of the module each call
            return functional_call(template, (parameters, buffers), (inputs,), tie_weights=False)

        # randomness="different": dropout draws its own mask for each network, as each would alone
        return vmap(one, randomness="different")(self.stacked_parameters(), self.stacked_buffers(), x)

    def _one_seed_at_a_time(self, x: torch.Tensor) -> torch.Tensor:
        """Network k on x[k], k = 0 .. K-1 in turn, with the stacks' slices as its tensors."""
        # unbind: one backward node hands each stack its K slices' gradients at once, where indexing each slice
        # would add K stack-sized gradients (docs/speed.md measures both)
        parameters = {name: stacked.unbind() for name, stacked in self.stacked_parameters().items()}
        buffers = self.stacked_buffers()  # indexed: BatchNorm updates its seed's running statistics in place
        outputs = []
        for index in range(len(self)):
            tensors = ({name: slices[index] for name, slices in parameters.items()},
                       {name: stacked[index] for name, stacked in buffers.items()})  # fmt: skip
            outputs.append(functional_call(self.template[0], tensors, (x[index],), tie_weights=False))
        return torch.stack(outputs)
