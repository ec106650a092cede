import pytest
import torch
from torch import nn

from ganlab.models.conv import ConvDiscriminator, ConvGenerator, strided_layers

DCGAN = {"generator": [1024, 512, 256, 128], "discriminator": [64, 128, 256, 512]}
INTERMEDIATE = {"generator": [128, 64], "discriminator": [64, 128]}


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64)])
@pytest.mark.parametrize("widths", [DCGAN, INTERMEDIATE], ids=["dcgan", "intermediate"])
def test_networks_serve_every_image_size_the_data_sets_have(shape, widths):
    generator = ConvGenerator(16, shape, widths["generator"])
    discriminator = ConvDiscriminator(shape, widths["discriminator"])
    images = generator(torch.randn(3, 16))
    assert images.shape == (3, *shape)
    assert discriminator(images).shape == (3,)


@pytest.mark.parametrize(
    "side, layers, strided", [(8, 4, 2), (28, 4, 2), (32, 4, 4), (64, 4, 4), (16, 4, 3), (32, 2, 2)]
)
def test_resolution_changes_as_often_as_the_size_allows(side, layers, strided):
    assert strided_layers((3, side, side), layers, "net") == strided


def test_complete_dcgan_on_cifar_follows_the_kth_reports_table3():
    generator = ConvGenerator(100, (3, 32, 32), DCGAN["generator"])
    assert generator.start_shape == (1024, 2, 2)  # FC to (h/16)(w/16)*1024
    upconvs = [m for m in generator.net if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in upconvs] == [
        (1024, 512, (5, 5), (2, 2)), (512, 256, (5, 5), (2, 2)), (256, 128, (5, 5), (2, 2)), (128, 3, (5, 5), (2, 2))
    ]
    discriminator = ConvDiscriminator((3, 32, 32), DCGAN["discriminator"])
    convs = [m for m in discriminator.net if isinstance(m, nn.Conv2d)]
    assert [(m.out_channels, m.stride) for m in convs] == [(64, (2, 2)), (128, (2, 2)), (256, (2, 2)), (512, (2, 2))]
    # BatchNorm on every D layer but the input one (DCGAN guidelines)
    layers = list(discriminator.net)
    assert not isinstance(layers[1], nn.BatchNorm2d)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == 3


def test_dcgan_on_mnist_keeps_7x7_in_its_inner_layers():
    generator = ConvGenerator(100, (1, 28, 28), DCGAN["generator"])
    assert generator.start_shape == (1024, 7, 7)
    strides = [m.stride for m in generator.net if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert strides == [(1, 1), (1, 1), (2, 2), (2, 2)]


def test_intermediate_discriminator_has_the_kth_reports_fc128_with_batchnorm():
    discriminator = ConvDiscriminator((1, 28, 28), INTERMEDIATE["discriminator"], hidden=128)
    linears = [m for m in discriminator.net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(128 * 7 * 7, 128), (128, 1)]
    assert any(isinstance(m, nn.BatchNorm1d) for m in discriminator.net)


def test_batchnorm_can_be_switched_off():
    modules = [*ConvGenerator(8, (1, 28, 28), [128, 64], batchnorm=False).modules(),
               *ConvDiscriminator((1, 28, 28), [128, 128], batchnorm=False, hidden=32).modules()]
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in modules)


def test_dcgan_initialization():
    torch.manual_seed(0)
    generator = ConvGenerator(100, (3, 64, 64), DCGAN["generator"])
    weights = torch.cat([m.weight.flatten() for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.std().item() - 0.02) < 0.001 and abs(weights.mean().item()) < 0.001
    scales = torch.cat([m.weight for m in generator.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(scales.mean().item() - 1.0) < 0.005 and abs(scales.std().item() - 0.02) < 0.005
    plain = ConvGenerator(100, (3, 64, 64), DCGAN["generator"], dcgan_init=False)
    plain_weights = torch.cat([m.weight.flatten() for m in plain.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert plain_weights.std().item() < 0.015  # PyTorch's default is narrower for these fan-ins


@pytest.mark.parametrize("activation, low, high", [("tanh", -1.0, 1.0), ("sigmoid", 0.0, 1.0)])
def test_output_lies_in_the_activation_range(activation, low, high):
    images = ConvGenerator(8, (1, 28, 28), [32, 16], output_activation=activation)(torch.randn(16, 8) * 50)
    assert images.min() >= low and images.max() <= high


def test_sizes_an_architecture_cannot_serve_are_named():
    with pytest.raises(ValueError) as caught:
        ConvGenerator(8, (3, 30, 30), [64, 32])
    assert str(caught.value) == (
        "ConvGenerator cannot serve 30x30 images: both sides must be multiples of 4 and at least 8 (e.g. 8, 28, 32, 64)"
    )
    with pytest.raises(ValueError, match=r"ConvDiscriminator needs image data of shape \(channels, height, width\), "
                                         r"got data_shape \(2,\)"):
        ConvDiscriminator((2,))
    with pytest.raises(ValueError, match=r"channels must list at least 2 positive widths, got \[64\]"):
        ConvDiscriminator((1, 28, 28), [64])
