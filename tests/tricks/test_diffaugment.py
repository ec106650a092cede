"""trick=diffaugment: every image D sees augmented the same differentiable way, in D's and G's updates."""

from __future__ import annotations

import pytest
import torch

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.train import run
from ganlab.tricks.diffaugment import DiffAugment, color
from tests.helpers import read_metrics


def test_each_image_gets_its_own_draw_and_gradients_pass_through():
    torch.manual_seed(0)
    images = torch.rand(6, 3, 16, 16).mul(2).sub(1).requires_grad_()
    augmented = DiffAugment().discriminator_input(images, iteration=0)
    assert augmented.shape == images.shape
    same = images[:1].repeat(6, 1, 1, 1)
    drawn = DiffAugment().discriminator_input(same, iteration=0)
    assert len({tuple(image.flatten().tolist()) for image in drawn}) == 6  # six draws for six copies
    augmented.square().sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0  # G's gradient flows through it


def test_each_policy_does_what_the_paper_does():
    torch.manual_seed(1)
    flat = torch.full((64, 1, 16, 16), 0.25)
    shifted = color(flat)  # a flat image: brightness moves it by at most 0.5; saturation, contrast keep it flat
    assert torch.allclose(shifted.std(dim=(1, 2, 3)), torch.zeros(64), atol=1e-6)
    assert ((shifted - flat).abs().amax(dim=(1, 2, 3)) <= 0.5 + 1e-6).all()
    ones = torch.ones(8, 1, 16, 16)
    cut = DiffAugment(policy="cutout").discriminator_input(ones, 0)
    assert torch.allclose((cut == 0).float().mean(dim=(1, 2, 3)), torch.full((8,), 0.25))  # half the side
    moved = DiffAugment(policy="translation").discriminator_input(ones, 0)
    assert ((moved == 0).float().mean(dim=(1, 2, 3)) <= 2 * 0.125 + 1e-6).all()  # at most 1/8 of each side
    with pytest.raises(ValueError, match="policy = 'color,blur': must be a comma-separated choice of color"):
        DiffAugment(policy="color,blur")


@pytest.mark.parametrize(
    ("model", "data"),
    [("cnn", "mnist"), ("intermediate", "cifar10"), ("dcgan", "folder"), ("mlp", "digits")],
)
def test_diffaugment_trains_conv_and_mlp_models_on_image_data(make_config, offline_data, tmp_path, model, data):
    run(make_config("trainer=debug", "trick=diffaugment", f"model={model}", f"data={data}", *offline_data(data),
                    "metric=none", "trainer.max_steps=2"))  # fmt: skip
    assert len(read_metrics(tmp_path / "run")) == 2


def test_diffaugment_refuses_points_before_training(make_config):
    config = make_config("trainer=debug", "trick=diffaugment", "data=toy_quadratic", "model=mlp_toy", "metric=none")
    with pytest.raises(ConfigError, match=r"trick.diffaugment: DiffAugment augments images; the data have shape"):
        build_run(config)


@pytest.mark.slow  # 3 models x 5 data sets of the complete cross: about a minute on 2 cores
@pytest.mark.parametrize("model", ["cnn", "intermediate", "dcgan"])
@pytest.mark.parametrize("data", ["digits", "mnist", "binary_mnist", "cifar10", "cifar_horses", "folder"])
def test_diffaugment_trains_every_conv_model_on_every_image_data_set(make_config, offline_data, tmp_path, model, data):
    run(make_config("trainer=debug", "trick=diffaugment", f"model={model}", f"data={data}", *offline_data(data),
                    "metric=none", "trainer.max_steps=2"))  # fmt: skip
    assert len(read_metrics(tmp_path / "run")) == 2
