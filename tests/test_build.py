"""Constructor-level refusals become ConfigErrors naming the config key, before any training."""

import pytest
import torch

from ganlab.build import build_run, lightning_max_steps
from ganlab.validate import ConfigError


def build_error(config) -> str:
    with pytest.raises(ConfigError) as caught:
        build_run(config)
    return caught.value.problems[0]


def test_lightning_max_steps_counts_every_optimizer_step():
    assert lightning_max_steps(100, 2) == 200
    assert lightning_max_steps(7, 5) == 35
    assert lightning_max_steps(-1, 2) == -1  # no step limit stays no step limit


def test_unknown_activation_names_the_network(make_config):
    assert build_error(make_config("model.generator.activation=swish")) == (
        "model.generator: activation 'swish' is not one of: relu, leaky_relu, tanh, sigmoid"
    )


def test_unknown_latent_distribution(make_config):
    assert build_error(make_config("model.latent.distribution=laplace")) == (
        "model.latent: distribution 'laplace' is not one of: gaussian, uniform"
    )


def test_optimizer_arguments_are_checked_by_torch_before_training(make_config):
    assert build_error(make_config("+optim.generator.eps=-1.0")) == "optim.generator: Invalid epsilon value: -1.0"


def test_batch_larger_than_the_data_set(make_config):
    assert build_error(make_config("data.batch_size=5000")) == (
        "data: batch_size 5000 is larger than the data set (1797 images)"
    )


def test_unknown_target_is_a_config_error(make_config):
    message = build_error(make_config("loss._target_=ganlab.losses.NoSuchLoss"))
    assert message.startswith("loss: ") and "NoSuchLoss" in message


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_gpu_trainer_without_a_gpu_says_so(make_config):
    assert build_error(make_config("trainer=gpu")).startswith(
        "trainer.accelerator = 'gpu': torch sees no CUDA GPU on this machine"
    )


def test_data_are_scaled_to_the_generator_output(make_config):
    datamodule, module, _ = build_run(make_config("model.generator.output_activation=sigmoid"))
    assert datamodule.value_range == (0.0, 1.0)
    datamodule, module, _ = build_run(make_config())
    assert datamodule.value_range == (-1.0, 1.0)
