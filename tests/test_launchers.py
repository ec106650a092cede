"""Sweeps through Hydra's other launchers and sweeper, and the score the entry point returns to them.

The launcher tests run only where the extra is installed (pip install -e ".[ray]", ".[slurm]",
".[optuna]"); each runs a 2- or 3-job sweep on the CPU, as a user would try it before a cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import yaml
from hydra import compose, initialize_config_module

from ganlab.errors import ConfigError
from ganlab.train import final_score, plugin_installed, run
from tests.helpers import read_metrics

TINY = ["trainer=debug", "metric.every_n_steps=0", "metric.num_samples=100", "metric.final_num_samples=200",
        "trainer.enable_progress_bar=false", "callbacks.progress=null", "callbacks.spot_the_fake=null",
        "callbacks.interpolation=null", "callbacks.curves=null"]  # fmt: skip


def sweep(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.train", "--multirun", *args, *TINY, "hydra.sweep.dir=sweep"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result, cwd / "sweep"


def statuses(directory: Path) -> list[str]:
    return [json.loads(path.read_text())["status"] for path in sorted(directory.glob("*/status.json"))]


def test_the_entry_point_returns_the_optimized_score(make_config, tmp_path):
    trainer = run(make_config("trainer.max_steps=3", "optimized_metric=val/classifier_score"))
    last = read_metrics(tmp_path / "run", "val/classifier_score")[-1]
    record = trainer.lightning_module.record
    assert final_score(record, "val/classifier_score") == pytest.approx(float(last["val/classifier_score"]))
    with pytest.raises(ConfigError, match=r"optimized_metric = 'val/fid': this run's metric logged val/classifier_"):
        final_score(record, "val/fid")
    with pytest.raises(ConfigError, match=r"optimized_metric = 'val/fid': the run has no metric \(metric=none\)"):
        run(make_config("metric=none", "optimized_metric=val/fid", output_dir=tmp_path / "unscored"))


@pytest.mark.parametrize(
    "argument, plugin, extra",
    [("hydra/launcher=ray", "hydra_plugins.hydra_ray_launcher", "ray"),
     ("hydra/launcher=slurm", "hydra_plugins.hydra_submitit_launcher", "slurm"),
     ("hparams_search=optuna_lr", "hydra_plugins.hydra_optuna_sweeper", "optuna")],
)  # fmt: skip
def test_a_launcher_without_its_extra_says_what_to_install(tmp_path, argument, plugin, extra):
    if plugin_installed(plugin):
        pytest.skip(f"the [{extra}] extra is installed here")
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.train", "--multirun", argument], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert f'needs a Hydra plugin that is not installed ({plugin}): pip install "ganlab[{extra}]"' in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "multirun").exists()


def test_the_launcher_configs_reserve_one_gpu_per_job():
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        ray = compose("train", overrides=["hydra/launcher=ray"], return_hydra_config=True).hydra.launcher
    assert ray._target_ == "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
    assert ray.ray.remote.num_gpus == 1
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")  # slurm.yaml extends the plugin's own config
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        slurm = compose("train", overrides=["hydra/launcher=slurm"], return_hydra_config=True).hydra.launcher
    assert slurm._target_.endswith("SlurmLauncher") and (slurm.gpus_per_node, slurm.tasks_per_node) == (1, 1)


@pytest.mark.slow  # Ray's start-up: about a minute
def test_a_sweep_through_ray_on_this_machine(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    _, directory = sweep(
        tmp_path, "hydra/launcher=ray", "hydra.launcher.ray.remote.num_gpus=0", "hydra.launcher.ray.remote.num_cpus=1",
        "+hydra.launcher.ray.init.num_cpus=2", "+hydra.launcher.ray.init.include_dashboard=false", "seed=0,1",
    )  # fmt: skip
    assert statuses(directory) == ["completed", "completed"]


def test_a_sweep_through_submitit_as_local_processes(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    _, directory = sweep(tmp_path, "hydra/launcher=submitit_local", "seed=0,1")
    assert statuses(directory) == ["completed", "completed"]
    assert list((directory / ".submitit").iterdir())  # submitit's own job records


def test_an_optuna_search_maximizes_the_final_score(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    result, directory = sweep(tmp_path, "hparams_search=optuna_lr", "hydra.sweeper.n_trials=3")
    assert statuses(directory) == ["completed"] * 3
    finals = [float(read_metrics(run_dir, "val/classifier_score")[-1]["val/classifier_score"])
              for run_dir in sorted(path.parent for path in directory.glob("*/status.json"))]  # fmt: skip
    best = yaml.safe_load((directory / "optimization_results.yaml").read_text())["best_value"]
    assert best == pytest.approx(max(finals))


class PauseOnFirstAttempt(pl.Callback):
    """Holds the first attempt of a job at `iteration` for `seconds`: long enough for a time limit to hit."""

    def __init__(self, iteration: int = 20, seconds: float = 45) -> None:
        self.iteration, self.seconds = iteration, seconds

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.ckpt_path is None and pl_module.iteration == self.iteration:
            time.sleep(self.seconds)  # the signal's handler runs during the sleep; training stops after it


@pytest.mark.slow  # a minute of submitit's time limit, then the requeued job's start
def test_a_submitit_job_pre_empted_at_its_time_limit_is_requeued_and_resumes(tmp_path, monkeypatch):
    """submitit warns a job with SIGUSR2 before its time limit: ganlab saves a checkpoint at the current
    iteration, hands the signal to submitit, which requeues the job, which resumes where it stopped."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))  # the job imports the pause
    # the local executor sends SIGUSR2 30 s before timeout_min, while the first attempt is held at iteration 20
    _, directory = sweep(
        tmp_path, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=1", "trainer.max_steps=300",
        "+callbacks.pause._target_=tests.test_launchers.PauseOnFirstAttempt",
    )  # fmt: skip
    status = json.loads((directory / "0" / "status.json").read_text())
    assert status["status"] == "completed" and status["iteration"] == 300
    assert [start["iteration"] for start in status["resumed"]] == [20]
    log = (directory / "0" / "train.log").read_text()
    assert "SIGUSR2 received" in log and "Requeued job" in log and "(interrupted) from" in log
    assert [row["step"] for row in read_metrics(directory / "0")] == [str(step) for step in range(300)]
