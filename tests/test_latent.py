import pytest
import torch

from ganlab.latent import LatentPrior


def test_gaussian_prior_is_standard_normal():
    z = LatentPrior(dim=8).sample(20_000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (20_000, 8)
    assert abs(z.mean().item()) < 0.02
    assert abs(z.std().item() - 1.0) < 0.02


def test_uniform_prior_covers_minus_one_to_one():
    z = LatentPrior(dim=4, distribution="uniform").sample(20_000, generator=torch.Generator().manual_seed(0))
    assert z.min() >= -1.0 and z.max() <= 1.0
    assert z.min() < -0.99 and z.max() > 0.99
    assert abs(z.mean().item()) < 0.02


def test_same_generator_seed_gives_the_same_latents():
    prior = LatentPrior(dim=3)
    first = prior.sample(5, generator=torch.Generator().manual_seed(7))
    second = prior.sample(5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, second)


def test_an_unknown_distribution_is_refused():
    # a non-positive dim is refused with the config, before the prior is built (test_validate)
    with pytest.raises(ValueError, match="distribution 'laplace' is not one of: gaussian, uniform"):
        LatentPrior(dim=2, distribution="laplace")
