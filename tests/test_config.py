"""Every option of every config group composes and trains a few iterations on the CPU.

Options are discovered from conf/, so a new YAML is tested the moment it is added.
"""

import math

import pytest
import torch

from ganlab.errors import ConfigError
from ganlab.train import run
from tests.helpers import group_options, read_metrics

GROUPS = ["model", "data", "loss", "optim", "trainer", "logger", "callbacks", "trick", "metric", "experiment"]
FEW = ["trainer.max_steps=3", "trainer.accelerator=cpu"]
TWO_STEPS = ["trainer.max_steps=2", "trainer.accelerator=cpu"]


def assert_trained(run_dir, iterations, checkpoint=True):
    rows = read_metrics(run_dir)
    assert [int(row["step"]) for row in rows] == list(range(iterations))
    for row in rows:
        assert math.isfinite(float(row["train/d_loss"])) and math.isfinite(float(row["train/g_loss"]))
    assert (run_dir / "checkpoints" / "last.ckpt").is_file() == checkpoint


# Of the experiments, the toy curve trains here; the others' cells are checked without training (their
# models and data sets train above and in test_every_model_trains_on_every_data_set): see test_experiments.
TRAINED = [(g, o) for g in GROUPS for o in group_options(g) if g != "experiment" or o == "toy_curve"]


@pytest.mark.parametrize("group, option", TRAINED)
def test_every_option_trains_a_few_iterations(make_config, offline_data, tmp_path, group, option):
    data_overrides = offline_data(option if group == "data" else "digits")
    if group == "trainer" and option == "gpu" and not torch.cuda.is_available():
        # composes, and is refused with a clear message here (see test_build); trained on GPU machines
        with pytest.raises(ConfigError, match="torch sees no CUDA GPU"):
            run(make_config(f"{group}={option}", "trainer.max_steps=3"))
        return
    if group == "metric" and option == "inception":
        # the weights cannot be downloaded in a test: refused before training, naming the file (see test_metrics)
        with pytest.raises(ConfigError, match="metric: the Inception weights weights-inception-2015-12-05"):
            run(make_config(f"{group}={option}", "trainer.max_steps=3"))
        return
    if group == "metric" and option == "toy":
        data_overrides = ["data=toy_quadratic"]
    # batches of 16, as under trainer=debug: what an option changes shows in 3 iterations at any batch size,
    # and the complete DCGAN's 64-image batches took half of its test's 13 s
    overrides = [f"{group}={option}", "trainer.max_steps=3", "data.batch_size=16", *data_overrides]
    if group == "trainer" and option == "ddp":
        # one process here: two would re-run pytest's command line (tests/test_ddp.py trains two, from the CLI)
        overrides.append("trainer.devices=1")
    if option != "gpu":
        overrides.append("trainer.accelerator=cpu")
    run(make_config(*overrides))
    assert_trained(tmp_path / "run", 3)


CONV_MODELS = {"intermediate", "dcgan", "cnn"}


# The pairs test shapes: whether each network fits each data set and trains. Evaluation and the pictures
# with many images are covered for every model and every data set on their own (above), and batches of 2
# exercise BatchNorm as well as 64 do; more would only multiply the complete DCGAN's convolutions, which
# keep 1024 channels at 7x7 on 28-pixel images.
SHAPES_ONLY = ["metric=none", "callbacks.interpolation=null", "callbacks.spot_the_fake=null", "callbacks.progress=null",
               "callbacks.samples.num_images=4", "data.batch_size=2"]  # fmt: skip


# binary_mnist and cifar_horses hand the networks the shapes of mnist and cifar10: their pairs run with -m slow.
SAME_SHAPES = {"binary_mnist", "cifar_horses"}


@pytest.mark.parametrize("model", group_options("model"))
@pytest.mark.parametrize(
    "data", [pytest.param(d, marks=pytest.mark.slow) if d in SAME_SHAPES else d for d in group_options("data")]
)
def test_every_model_trains_on_every_data_set(make_config, offline_data, tmp_path, model, data):
    config = make_config(f"model={model}", f"data={data}", *TWO_STEPS, *offline_data(data), *SHAPES_ONLY)
    if model in CONV_MODELS and data == "toy_quadratic":
        with pytest.raises(ConfigError, match=r"model.generator: ConvGenerator needs image data of shape"):
            run(config)
        return
    run(config)
    assert_trained(tmp_path / "run", 2)  # the lifecycle saves its checkpoint whatever the observers


def test_tensorboard_logger_writes_events_beside_metrics_csv(make_config, tmp_path):
    run(make_config("logger=tensorboard", *FEW))
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "run" / "metrics.csv").is_file()


# What a trick and a loss do together shows in training; evaluations and pictures are tested on their own.
TRAINING_ONLY = [
    "metric=none",
    *(f"callbacks.{name}=null" for name in ("samples", "progress", "spot_the_fake", "interpolation", "feature_space")),
]

# The tricks a loss has no use for, and the reason it gives.
REFUSED = {
    ("flip", "hinge"): r"flip_prob = 0.1 \(loss.flip_prob\) has no meaning for the hinge loss",
    ("smooth", "hinge"): r"real_target = 0.9 \(loss.real_target\) has no meaning for the hinge loss",
    ("flip", "wgan_gp"): r"flip_prob = 0.1 \(loss.flip_prob\) has no meaning for the wgan_gp loss",
    ("smooth", "wgan_gp"): r"real_target = 0.9 \(loss.real_target\) has no meaning for the wgan_gp loss",
    ("smooth_two_sided", "hinge"): r"real_target = 0.9 \(loss.real_target\) has no meaning for the hinge loss",
    ("smooth_two_sided", "wgan_gp"): r"real_target = 0.9 \(loss.real_target\) has no meaning for the wgan_gp loss",
    ("r1", "wgan_gp"): r"r1_gamma = 10.0 \(loss.r1_gamma\): wgan_gp already penalizes the critic's gradient",
}


@pytest.mark.parametrize("loss", group_options("loss"))
@pytest.mark.parametrize("trick", group_options("trick"))
def test_every_trick_trains_with_every_loss_that_allows_it(make_config, tmp_path, trick, loss):
    config = make_config(
        f"trick={trick}", f"loss={loss}", "trainer.max_steps=2", "trainer.accelerator=cpu", *TRAINING_ONLY
    )
    if (trick, loss) in REFUSED:
        expected = rf"^invalid configuration, nothing was trained:\n  loss: {REFUSED[trick, loss]}"
        with pytest.raises(ConfigError, match=expected):
            run(config)
        assert not (tmp_path / "run" / "metrics.csv").exists()
        return
    run(config)
    assert_trained(tmp_path / "run", 2)


def test_tricks_combine_as_a_list(make_config, tmp_path):
    config = make_config("trick=[flip,smooth,drop,lin,ema,instance_noise]", *FEW)
    assert (config.loss.flip_prob, config.loss.real_target, config.trick.ema_decay) == (0.1, 0.9, 0.999)
    assert config.model.latent.distribution == "uniform" and config.model.discriminator.dropout == 0.5
    run(config)
    assert_trained(tmp_path / "run", 3)


def test_wgan_gp_trains_five_critic_steps_and_refuses_a_batchnorm_critic(make_config, tmp_path):
    with pytest.raises(ConfigError, match="set model.discriminator.batchnorm=false"):
        run(make_config("model=dcgan", "loss=wgan_gp", *FEW, output_dir=tmp_path / "refused"))
    trainer = run(make_config("model=intermediate", "loss=wgan_gp", "model.discriminator.batchnorm=false", *FEW))
    assert trainer.lightning_module.d_steps == 5
    assert_trained(tmp_path / "run", 3)


@pytest.mark.parametrize("trick", group_options("trick"))
def test_every_trick_trains_a_conv_gan(make_config, tmp_path, trick):
    """The switches that patch the networks (drop, act_*, spectral_norm, ema of BatchNorm statistics) on the
    conv family; the loss product above runs on the MLP."""
    run(make_config("model=cnn", f"trick={trick}", "trainer.max_steps=2", "trainer.accelerator=cpu", *TRAINING_ONLY))
    assert_trained(tmp_path / "run", 2)
