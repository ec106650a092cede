"""The MLPs' stacked form computes what vmap over each seed's network computes: outputs and gradients, for every
MLP config ganlab ships, and anything else is left to vmap."""

import pytest
import torch
from torch import nn

from ganlab.models.mlp import MLPDiscriminator, MLPGenerator
from ganlab.packing.stacked import StackedNetworks

K, N = 3, 5


def networks(build, count=K):
    torch.manual_seed(0)
    return [build().double() for _ in range(count)]


def outputs_and_gradients(stack: StackedNetworks, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    stack.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    out = stack(x)
    (out.square().sum() + out.sum()).backward()
    return out.detach(), [x.grad, *(parameter.grad for parameter in stack.parameters())]


@pytest.mark.parametrize(
    ("build", "sample_shape"),
    [(lambda: MLPGenerator(2, (2,), hidden=[16, 16], activation="leaky_relu", output_activation="identity"), (2,)),
     (lambda: MLPGenerator(100, (1, 28, 28), hidden=[256, 512], output_activation="tanh"), (100,)),
     (lambda: MLPDiscriminator((2,), hidden=[16, 16], activation="leaky_relu", feature_dim=2), (2,)),
     (lambda: MLPDiscriminator((1, 28, 28), hidden=[64], activation="leaky_relu", head="two_way_softmax",
                               head_activation="tanh"), (1, 28, 28)),
     (lambda: MLPDiscriminator((1, 8, 8), hidden=[32, 32], dropout=0.5), (1, 8, 8))],  # eval mode: no drop
    ids=["toy G", "KTH simple G", "toy D with its 2-unit layer", "Flux code's D", "D with dropout"],
)  # fmt: skip
def test_the_stacked_form_computes_what_vmap_computes(build, sample_shape):
    stack = StackedNetworks(networks(build)).eval()
    assert stack.form is not None
    x = torch.randn(K, N, *sample_shape, dtype=torch.float64)
    fast, fast_gradients = outputs_and_gradients(stack, x)
    stack.form = None  # vmap over functional_call, as any other network
    slow, slow_gradients = outputs_and_gradients(stack, x)
    torch.testing.assert_close(fast, slow)
    for fast_gradient, slow_gradient in zip(fast_gradients, slow_gradients, strict=True):
        torch.testing.assert_close(fast_gradient, slow_gradient)


def test_dropout_draws_its_own_mask_for_each_seed():
    build = lambda: MLPDiscriminator((4,), hidden=[64], dropout=0.5)  # noqa: E731
    stack = StackedNetworks(networks(build)).train()
    torch.manual_seed(1)
    with torch.no_grad():
        identical = stack.stacked_parameters()
        for parameter in identical.values():
            parameter.copy_(parameter[0].expand_as(parameter))  # every seed the same weights ...
        out = stack(torch.ones(K, N, 4, dtype=torch.float64))
    assert not torch.equal(out[0], out[1])  # ... and other dropped units


class Subclassed(MLPGenerator):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return super().forward(z) * 2


def test_other_networks_are_left_to_vmap():
    assert StackedNetworks(networks(lambda: Subclassed(2, (2,), hidden=[4]))).form is None
    other = lambda: MLPGenerator(2, (2,), hidden=[4])  # noqa: E731
    stack_of_others = networks(other)
    for network in stack_of_others:
        network.body.append(nn.LayerNorm(4))  # a layer that is not elementwise
    assert StackedNetworks(stack_of_others).form is None
