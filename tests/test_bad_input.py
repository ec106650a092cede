"""Bad input of every kind stops a run before training with one line naming the key, the value and what is
allowed: never a traceback, never a half-written run directory."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.errors import ConfigError
from ganlab.train import run
from tests.helpers import compose_config

TOY = ("data=toy_quadratic", "model=mlp_toy")

# (overrides, the line the error must hold)
BAD_INPUTS = [
    # sizes, counts and rates
    (["data.batch_size=0"], "data.batch_size = 0: must be a positive integer"),
    (["data.batch_size=5000"], "data: batch_size 5000 is larger than the data set (1797 images)"),
    (["model.latent.dim=0"], "model.latent.dim = 0: must be a positive integer"),
    (["model.generator.hidden=[0]"], "model.generator: hidden layer sizes must be a list of positive integers"),
    (["model.discriminator.hidden=abc"], "model.discriminator: hidden layer sizes must be a list of positive integers"),
    (["optim.lr=-1"], "optim.lr = -1: must be a positive number"),
    (["optim=rmsprop", "optim.lr=0"], "optim.lr = 0: must be a positive number"),
    (["optim=sgd", "optim.momentum=-0.5"], "optim.momentum = -0.5: must be a number in [0, 1)"),
    (["g_steps=1.5"], "g_steps = 1.5: must be a positive integer (updates per iteration)"),
    (["trainer.max_steps=0"], "trainer.max_steps = 0: must be a positive number of iterations"),
    (["trainer.max_steps=-1", "trainer.max_epochs=0"], "trainer.max_epochs = 0: must be a positive number of epochs"),
    (["trainer.log_every_n_steps=0"], "trainer.log_every_n_steps = 0: must be a positive integer"),
    (["trainer.devices=0"], "trainer: `Trainer(devices=0)` value is not a valid input"),
    (["trainer.precision=13"], "trainer.precision = 13: must be 32-true (the default), bf16-mixed or 16-mixed"),
    (["trainer.precision=bf16-true"], "trainer.precision = 'bf16-true': must be 32-true (the default), bf16-mixed"),
    # Lightning's options that manual optimization cannot honour, and several devices without trainer=ddp
    (["+trainer.accumulate_grad_batches=4"], "trainer.accumulate_grad_batches = 4: must be 1: ganlab updates D and G"),
    (["+trainer.gradient_clip_val=0.5"], "trainer.gradient_clip_val = 0.5: must be null: Lightning clips gradients"),
    (["trainer.devices=2"], "trainer.devices = 2 with trainer.strategy = 'auto': several devices train through"),
    # probabilities and other ranges
    (["trick=flip", "loss.flip_prob=-0.1"], "loss.flip_prob = -0.1: must be a probability in [0, 0.5)"),
    (["trick=smooth", "loss.real_target=1.1"], "loss.real_target = 1.1: must be a target in (0.5, 1] (1: no smooth"),
    (["study.effect=0.5"], "study.effect = 0.5: must be a P(better) in (0, 1) other than 0.5"),
    (["study.max_seeds=1"], "study.max_seeds = 1: must be an integer >= 2 (seeds a cell at most)"),
    (["trick=smooth_two_sided", "loss.fake_target=0.5"], "loss.fake_target = 0.5: must be a target in [0, 0.5) (0: n"),
    (["loss=hinge", "trick=smooth_two_sided", "loss.real_target=1.0"], "fake_target = 0.1 (loss.fake_target) has no"),
    (["loss=wgan_gp", "trick=smooth_two_sided", "loss.real_target=1"], "fake_target = 0.1 (loss.fake_target) has no"),
    (["trick=r1", "loss.r1_gamma=-1"], "loss.r1_gamma = -1: must be a number >= 0 (0: off)"),
    (["model.generator.dropout=-0.2"], "model.generator.dropout = -0.2: must be a dropout rate in [0, 1)"),
    (
        ["trick=instance_noise", "trick.instance_noise_std=-0.1"],
        "trick.instance_noise_std = -0.1: must be a number >= 0",
    ),
    (["trick=ema", "trick.ema_decay=1.5"], "trick.ema_decay = 1.5: must be a decay in (0, 1), e.g. 0.999"),
    # names and types
    (["seed=abc"], "seed = 'abc': must be a non-negative integer"),
    (["model.latent.distribution=cauchy"], "model.latent: distribution 'cauchy' is not one of: gaussian, uniform"),
    (["model.generator.activation=swish"], "activation 'swish' is not one of: relu, leaky_relu, tanh, sigmoid"),
    (["rerun_failed=maybe"], "rerun_failed = 'maybe': must be true or false"),
    (["callbacks.findings.d_wins.action=shout"], "callbacks.findings.d_wins.action = 'shout': must be one of warn"),
    (["lifecycle.signals=[SIGFOO]"], "lifecycle.signals = ['SIGFOO']: must be signal names"),
    (["callbacks.samples.num_images=0"], "callbacks.samples.num_images = 0: must be a positive integer"),
    (["lifecycle.status.every_n_steps=-2"], "lifecycle.status.every_n_steps = -2: must be an integer >= 0"),
    # data sets
    ([*TOY, "data.epoch_size=0"], "data: epoch_size must be an integer >= batch_size (256), got 0"),
    ([*TOY, "data.x_range=[5,1]"], "data: x_range must be [low, high] with low < high, got [5, 1]"),
    (["metric=classifier", "metric.num_samples=0"], "metric.num_samples = 0: must be an integer >= 2 (FID needs a"),
    (
        ["metric=classifier", "metric.final_num_samples=3"],
        "metric.final_num_samples = 3: must be an integer >= 4 (also the real-data reference's size, whose two",
    ),
    (["metric=classifier", "metric.scores.epochs=0"], "metric.scores.epochs = 0: must be a positive integer"),
    # what the report draws a study's verdicts on
    (["report.margin=ten"], "report.margin = 'ten': must be null, a positive number in the primary score's units"),
    (["report.margin=-1"], "report.margin = -1: must be null, a positive number"),
    (["report.primary_score=val/real_fid"], "report.primary_score = 'val/real_fid': must be null (the metric's first"),
    # checkpoints
    (["ckpt_path=last"], "ckpt_path = 'last': there is no checkpoint at"),
    (["ckpt_path=nowhere/at/all.ckpt"], "ckpt_path = 'nowhere/at/all.ckpt': there is no checkpoint at"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS, ids=[" ".join(case[0]) for case in BAD_INPUTS])
def test_bad_input_is_refused_before_training_with_its_message(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as refused:
        run(compose_config(tmp_path / "run", "metric=none", *overrides))
    assert message in str(refused.value)
    assert not (tmp_path / "run" / "metrics.csv").exists()  # nothing was trained


def test_a_primary_score_the_metric_does_not_log_is_refused_before_the_studys_hours(tmp_path):
    with pytest.raises(ConfigError) as refused:
        run(compose_config(tmp_path / "run", *TOY, "metric=toy", "report.primary_score=toy_fid"))
    assert "report.primary_score = 'toy_fid': this run's metric scores val/toy_curve_distance, " in str(refused.value)
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_an_output_directory_that_cannot_be_made_is_refused(tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(
        ConfigError, match=r"paths.output_dir = '.*a_file/run': cannot be written \(\[Errno 20\] Not a directory"
    ):
        run(compose_config(tmp_path / "a_file" / "run"))


NUMERIC_KEYS = {
    "data.batch_size": st.integers(-3, 3000),
    "model.latent.dim": st.integers(-3, 300),
    "optim.lr": st.floats(-1, 1, allow_nan=False),
    "+loss.flip_prob": st.floats(-1, 2, allow_nan=False),
    "+loss.real_target": st.floats(-1, 2, allow_nan=False),
    "model.generator.dropout": st.floats(-1, 2, allow_nan=False),
    "d_steps": st.integers(-2, 5),
    "seed": st.integers(-5, 2**31),
    "trainer.max_steps": st.integers(-3, 10**6),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(NUMERIC_KEYS)), st.none(), min_size=1, max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({key: NUMERIC_KEYS[key] for key in keys})
))  # fmt: skip
def test_any_numeric_override_either_builds_or_is_refused_in_one_line(tmp_path_factory, overrides):
    """What a person may type for the numbers: the run is built (training would start) or refused with a
    ConfigError; no other exception, which would mean a traceback."""
    from ganlab.build import build_run
    from ganlab.validate import validate_config

    config = compose_config(
        tmp_path_factory.mktemp("run"), "metric=none", *(f"{key}={value}" for key, value in overrides.items())
    )
    try:
        validate_config(config)
        build_run(config)
    except ConfigError as error:
        assert str(error).startswith("invalid configuration, nothing was trained:")
