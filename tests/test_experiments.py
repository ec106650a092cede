"""Every experiment in conf/experiment/ declares its study, and every cell of that study is a valid run.

`--multirun experiment=X` alone must run the study: the experiment declares its axes in
hydra.sweeper.params, and each combination composes, passes validation and builds its networks,
optimizers and tricks (training them is left to the tests of each model and trick: a cell of the KTH
ablation is the complete DCGAN on CIFAR-10 for 8000 iterations).
"""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_module
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from ganlab.build import build_module
from ganlab.validate import validate_config
from tests.helpers import CONF_DIR, group_options

# The shape each data set hands the networks, without loading it.
DATA_SHAPES = {
    "ganlab.data.mnist.MNISTDataModule": (1, 28, 28),
    "ganlab.data.cifar10.CIFAR10DataModule": (3, 32, 32),
    "ganlab.data.toy.ToyCurveDataModule": (2,),
}


def sweep_jobs(experiment: str) -> list[list[str]]:
    """The jobs `--multirun experiment=<experiment>` launches, as override lists (Hydra's own expansion)."""
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        config = compose("train", overrides=[f"experiment={experiment}"], return_hydra_config=True)
    params = config.hydra.sweeper.params or {}
    parsed = OverridesParser.create().parse_overrides([f"{key}={value}" for key, value in params.items()])
    (batch,) = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    return [list(job) for job in batch]


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_an_experiment_says_what_it_studies_and_costs(experiment):
    text = (CONF_DIR / "experiment" / f"{experiment}.yaml").read_text()
    assert f"--multirun experiment={experiment}" in text, "show the command that runs the study"
    assert "Cost" in text and "CPU" in text, "say what the study costs on a CPU and on a GPU"
    jobs = sweep_jobs(experiment)
    assert len(jobs) >= 3 and all(any(item.startswith("seed=") for item in job) for job in jobs), "sweep seeds"


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_every_cell_of_an_experiment_is_a_valid_run(experiment, tmp_path):
    cells = {tuple(item for item in job if not item.startswith("seed=")) for job in sweep_jobs(experiment)}
    for cell in sorted(cells):
        with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
            config = compose("train", overrides=[f"experiment={experiment}", *cell, f"paths.output_dir={tmp_path}"])
        validate_config(config)
        module = build_module(config, DATA_SHAPES[config.data._target_])
        assert module.optimizer_steps_per_iteration == config.d_steps + config.g_steps


def test_the_studies_sweep_what_their_sources_compared():
    cells = {name: {tuple(sorted(job)) for job in sweep_jobs(name)} for name in group_options("experiment")}
    # five seeds a cell: the fewest at which the report's test can tell two cells apart (3 against 3: p >= 0.1);
    # the little-data grids keep three, their axes compared 6 seeds against 6 by the grid analysis
    for name, jobs in cells.items():
        seeds = {item for job in jobs for item in job if item.startswith("seed=")}
        assert seeds == {f"seed={seed}" for seed in range(3 if name.startswith("little_data") else 5)}, name
    assert len(cells["little_data"]) == 12 and ("data.limit=500", "seed=0", "trick=diffaugment") in cells["little_data"]
    assert len(cells["kth_ablation"]) == 25
    assert {item for job in cells["kth_ablation"] for item in job if item.startswith("trick=")} == {
        "trick=base", "trick=flip", "trick=drop", "trick=lin", "trick=sig"
    }  # fmt: skip
    assert len(cells["kth_models"]) == 30 and len(cells["toy_activations"]) == 15
    assert ("seed=0", "trick=[flip,instance_noise]") in cells["dcgan_mnist_tricks"]


@pytest.mark.parametrize("experiment, budget", [("kth_ablation", 8000), ("raschka_mnist", 3000)])
def test_a_dry_run_of_a_study_is_short_only_with_the_budget_on_the_command_line(experiment, budget):
    """docs/studies.md: the experiment's trainer.max_steps wins over trainer=debug's, the command line over both."""

    def composed(*overrides):
        with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
            return compose("train", overrides=[f"experiment={experiment}", "trainer=debug", *overrides])

    assert composed().trainer.max_steps == budget
    dry = composed("trainer.max_steps=5")
    assert dry.trainer.max_steps == 5 and dry.trainer.accelerator == "cpu" and dry.trainer.limit_val_batches == 0.001
