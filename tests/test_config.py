"""Every option of every config group composes and trains a few iterations on the CPU.

Options are discovered from conf/, so a new YAML is tested the moment it is added.
"""

import math

import pytest
import torch

from ganlab.train import run
from ganlab.validate import ConfigError
from tests.helpers import group_options, read_metrics

GROUPS = ["model", "data", "loss", "optim", "trainer", "logger", "callbacks", "experiment"]
FEW = ["trainer.max_steps=3", "trainer.accelerator=cpu"]


def assert_trained(run_dir, iterations):
    rows = read_metrics(run_dir)
    assert [int(row["step"]) for row in rows] == list(range(iterations))
    for row in rows:
        assert math.isfinite(float(row["train/d_loss"])) and math.isfinite(float(row["train/g_loss"]))
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.parametrize("group, option", [(g, o) for g in GROUPS for o in group_options(g)])
def test_every_option_trains_a_few_iterations(make_config, offline_data, tmp_path, group, option):
    data_overrides = offline_data(option if group == "data" else "digits")
    if group == "trainer" and option == "gpu" and not torch.cuda.is_available():
        # composes, and is refused with a clear message here (see test_build); trained on GPU machines
        with pytest.raises(ConfigError, match="torch sees no CUDA GPU"):
            run(make_config(f"{group}={option}", "trainer.max_steps=3"))
        return
    overrides = [f"{group}={option}", "trainer.max_steps=3", *data_overrides]
    if option != "gpu":
        overrides.append("trainer.accelerator=cpu")
    run(make_config(*overrides))
    assert_trained(tmp_path / "run", 3)


CONV_MODELS = {"intermediate", "dcgan", "cnn"}


@pytest.mark.parametrize("model", group_options("model"))
@pytest.mark.parametrize("data", group_options("data"))
def test_every_model_trains_on_every_data_set(make_config, offline_data, tmp_path, model, data):
    config = make_config(f"model={model}", f"data={data}", *FEW, *offline_data(data))
    if model in CONV_MODELS and data == "toy_quadratic":
        with pytest.raises(ConfigError, match=r"model.generator: ConvGenerator needs image data of shape"):
            run(config)
        return
    run(config)
    assert_trained(tmp_path / "run", 3)


def test_tensorboard_logger_writes_events_beside_metrics_csv(make_config, tmp_path):
    run(make_config("logger=tensorboard", *FEW))
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "run" / "metrics.csv").is_file()
