"""Each form a stack runs in computes what vmap over each seed's network computes: outputs and gradients, and
BatchNorm's running statistics. The MLPs' batched matrix products for every MLP config ganlab ships; convolutional
networks one seed at a time on a CPU; anything else is left to vmap."""

import pytest
import torch
from torch import nn

from ganlab.models.conv import ConvDiscriminator, ConvGenerator
from ganlab.models.mlp import MLPDiscriminator, MLPGenerator
from ganlab.packing import stacked
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


@pytest.mark.parametrize(
    ("build", "sample_shape"),
    [(lambda: ConvGenerator(8, (1, 8, 8), channels=[6, 4], kernel_size=3), (8,)),
     (lambda: ConvDiscriminator((1, 8, 8), channels=[4, 6], kernel_size=3, hidden=5), (1, 8, 8)),
     (lambda: ConvDiscriminator((3, 8, 8), channels=[4, 4], kernel_size=4, batchnorm=False), (3, 8, 8))],
    ids=["cnn G", "intermediate D (BatchNorm1d too)", "D without BatchNorm"],
)  # fmt: skip
def test_convolutions_on_a_cpu_run_one_seed_at_a_time_as_vmap_would_run_them(build, sample_shape, monkeypatch):
    stack = StackedNetworks(networks(build)).train()  # BatchNorm on the batch, and its running statistics updated
    assert stack.form is None and stack.convolutional
    x = torch.randn(K, N, *sample_shape, dtype=torch.float64)
    buffers_before = {name: buffer.clone() for name, buffer in stack.stacked_buffers().items()}
    with monkeypatch.context() as patched:
        patched.setattr(stacked, "vmap", None)  # a CPU's convolutions never go through it
        one_at_a_time, one_at_a_time_gradients = outputs_and_gradients(stack, x)
    buffers_one_at_a_time = {name: buffer.clone() for name, buffer in stack.stacked_buffers().items()}
    for name, buffer in stack.stacked_buffers().items():
        buffer.copy_(buffers_before[name])
    stack.convolutional = False  # vmap over functional_call, as on a GPU
    through_vmap, vmap_gradients = outputs_and_gradients(stack, x)
    torch.testing.assert_close(one_at_a_time, through_vmap)
    for one_seed_gradient, vmap_gradient in zip(one_at_a_time_gradients, vmap_gradients, strict=True):
        torch.testing.assert_close(one_seed_gradient, vmap_gradient)
    for name, buffer in stack.stacked_buffers().items():
        torch.testing.assert_close(buffers_one_at_a_time[name], buffer)
        if "running_mean" in name:  # each seed's own statistics moved, and the networks see them
            assert not torch.equal(buffer, buffers_before[name])
            owner, leaf = name.rsplit(".", 1)
            torch.testing.assert_close(stack.networks[1].get_submodule(owner).get_buffer(leaf), buffer[1])
