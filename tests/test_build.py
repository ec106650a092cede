"""Constructor-level refusals become ConfigErrors naming the config key, before any training."""

import pytest
import torch

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.iterations import iterations_of, steps_of


def build_error(config) -> str:
    with pytest.raises(ConfigError) as caught:
        build_run(config)
    return caught.value.problems[0]


def test_iterations_and_optimizer_steps_convert_both_ways():
    assert steps_of(100, 2) == 200 and steps_of(7, 5) == 35
    assert steps_of(-1, 2) == -1  # no step limit stays no step limit
    assert iterations_of(35, 5) == 7 and iterations_of(36, 5) == 7  # a partial iteration is not completed


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


def test_several_devices_counted_by_lightning_need_trainer_ddp(make_config):
    # trainer.devices=-1 or auto on a machine with several GPUs is counted only by the Trainer; ganlab.validate
    # refuses a count it can read first, which build_run does not consult: 2 CPU devices stand in for the GPUs
    assert build_error(make_config("trainer.devices=2", "trainer.accelerator=cpu", "metric=none")) == (
        "trainer.devices = 2 (2 devices here) with trainer.strategy = 'auto': several devices train through "
        "trainer=ddp (trainer=ddp trainer.devices=N), whose DDP strategy lets each update leave the other network "
        "without gradients"
    )


def test_a_strategy_given_as_an_object_is_judged_by_what_it_hands_ddp(make_config):
    several = ("trainer.devices=2", "trainer.accelerator=cpu", "metric=none")
    plain = make_config(*several, "+trainer.strategy={_target_: pytorch_lightning.strategies.DDPStrategy}")
    assert build_error(plain).startswith(
        "trainer.devices = 2 (2 devices here) with trainer.strategy = DDPStrategy without find_unused_parameters: "
        "true: several devices train through trainer=ddp"
    )
    unused = "+trainer.strategy={_target_: pytorch_lightning.strategies.DDPStrategy, find_unused_parameters: true}"
    _, _, trainer = build_run(make_config(*several, unused))
    assert trainer.num_devices == 2 and trainer.strategy._ddp_kwargs == {"find_unused_parameters": True}


def test_data_are_scaled_to_the_generator_output(make_config):
    datamodule, module, _ = build_run(make_config("model.generator.output_activation=sigmoid"))
    assert datamodule.value_range == (0.0, 1.0)
    datamodule, module, _ = build_run(make_config())
    assert datamodule.value_range == (-1.0, 1.0)


def test_an_image_size_a_conv_model_cannot_serve(make_config, offline_data):
    config = make_config("model=dcgan", "data=folder", "data.image_size=30", *offline_data("folder"))
    assert build_error(config) == (
        "model.generator: ConvGenerator cannot serve 30x30 images: both sides must be multiples of 4 and at least 8 "
        "(e.g. 8, 28, 32, 64)"
    )


def test_a_misspelled_cifar_class(make_config, offline_data):
    config = make_config("data=cifar_horses", "data.classes=[hrose]", *offline_data("cifar_horses"))
    assert build_error(config).startswith("data: classes ['hrose']: 'hrose' is not a CIFAR-10 class; the ten are:")


def test_missing_data_is_a_config_error_naming_the_files(make_config, tmp_path):
    message = build_error(make_config("data=mnist", "data.download=false", f"paths.data_dir={tmp_path}"))
    assert message.startswith(
        f"data: MNIST (train split) is not in {tmp_path}/MNIST/raw: expected train-images-idx3-ubyte"
    )
