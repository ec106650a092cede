import pytest
import torch

from ganlab.models.activations import output_range
from ganlab.models.mlp import MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("data_shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (2,)])
def test_networks_follow_the_data_shape(data_shape):
    generator = MLPGenerator(latent_dim=5, data_shape=data_shape)
    discriminator = MLPDiscriminator(data_shape=data_shape)
    fake = generator(torch.randn(4, 5))
    assert fake.shape == (4, *data_shape)
    assert discriminator(fake).shape == (4,)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_generator_output_lies_in_its_activation_range(activation):
    generator = MLPGenerator(latent_dim=3, data_shape=(1, 8, 8), output_activation=activation)
    torch.nn.init.normal_(generator.out[0].weight, std=10.0)  # push outputs towards the bounds
    fake = generator(torch.randn(256, 3))
    low, high = output_range(activation)
    assert fake.min() >= low and fake.max() <= high
    assert fake.min() < low + 0.05 and fake.max() > high - 0.05  # the whole range is used, not a shifted one


def test_two_way_softmax_head_gives_the_logit_of_its_first_unit():
    """The Flux tutorial: P(real) = softmax(head)[0]; the returned logit must reproduce exactly that probability."""
    discriminator = MLPDiscriminator(data_shape=(6,), hidden=[5], activation="tanh", head="two_way_softmax")
    x = torch.randn(10, 6)
    head_units = discriminator.head(discriminator.features(x))
    assert torch.allclose(torch.sigmoid(discriminator(x)), torch.softmax(head_units, dim=1)[:, 0], atol=1e-6)


def test_the_flux_tutorials_tanh_head_bounds_the_probability():
    discriminator = MLPDiscriminator(
        data_shape=(6,), hidden=[5], head="two_way_softmax", head_activation="tanh"
    )
    torch.nn.init.normal_(discriminator.head.weight, std=100.0)
    probability = torch.sigmoid(discriminator(torch.randn(500, 6) * 10))
    bound = torch.sigmoid(torch.tensor(2.0)).item()  # tanh(a) - tanh(b) lies in [-2, 2]
    assert probability.max() <= bound + 1e-6 and probability.min() >= 1 - bound - 1e-6


def test_feature_layer_exposes_two_units_for_kims_plots():
    discriminator = MLPDiscriminator(data_shape=(2,), hidden=[16, 16], activation="leaky_relu", feature_dim=2)
    assert discriminator.feature_dim == 2
    assert discriminator.features(torch.randn(7, 2)).shape == (7, 2)
    # the logit is a linear read-out of the 2 features, as in Kim's toy GAN
    x = torch.randn(7, 2)
    assert torch.allclose(discriminator(x), discriminator.head(discriminator.features(x))[:, 0])


def test_unknown_names_are_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match="activation 'swish' is not one of: relu, leaky_relu, tanh, sigmoid"):
        MLPGenerator(latent_dim=2, data_shape=(2,), activation="swish")
    with pytest.raises(ValueError, match="output_activation 'relu' is not one of: tanh, sigmoid, identity"):
        MLPGenerator(latent_dim=2, data_shape=(2,), output_activation="relu")
    with pytest.raises(ValueError, match="head 'softmax' is not one of: logit, two_way_softmax"):
        MLPDiscriminator(data_shape=(2,), head="softmax")
    with pytest.raises(ValueError, match=r"hidden layer sizes must be a list of positive integers, .* got \[16, 0\]"):
        MLPDiscriminator(data_shape=(2,), hidden=[16, 0])
