"""A sweep's jobs side by side (hydra/launcher=joblib): the launcher's request checked against the machine
before the first job, each job's share of the cores, and a command that returns when the last job ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from ganlab.concurrent_jobs import (
    JOBLIB_LAUNCHER,
    PACKED_LAUNCHER,
    RAY_LAUNCHER,
    jobs_at_once,
    launcher_refusal,
    machine_cores,
    threads_per_job,
)
from tests.test_launchers import TINY

BASIC = OmegaConf.create({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"})


def joblib_launcher(n_jobs):
    return OmegaConf.create({"_target_": JOBLIB_LAUNCHER, "n_jobs": n_jobs})


def packed_launcher(n_jobs, seeds_per_process=8):
    return OmegaConf.create({"_target_": PACKED_LAUNCHER, "seeds_per_process": seeds_per_process, "n_jobs": n_jobs})


def ray_launcher(num_gpus=1, num_cpus=2, address=None):
    remote = {"num_gpus": num_gpus, "num_cpus": num_cpus}
    return OmegaConf.create({"_target_": RAY_LAUNCHER, "ray": {"init": {"address": address}, "remote": remote}})


@pytest.mark.parametrize(
    ("launcher", "cpu_threads", "cores", "jobs", "threads"),
    [(BASIC, None, 16, 1, None), (BASIC, 3, 16, 1, 3),                   # one job at a time: torch's own choice
     (joblib_launcher(-1), None, 16, 16, 1), (joblib_launcher(-2), None, 16, 15, 1),  # joblib's -1: one per core
     (joblib_launcher(4), None, 16, 4, 4), (joblib_launcher(4), 2, 16, 4, 2), (joblib_launcher(3), None, 2, 3, 1),
     (ray_launcher(num_cpus=2), None, 16, 1, 2),
     # the packed launcher gives each pack its share itself, knowing how many packs there are
     (packed_launcher(-1), None, 16, 16, None), (packed_launcher(2), 3, 16, 2, 3)],
)  # fmt: skip
def test_each_job_gets_its_share_of_the_cores(launcher, cpu_threads, cores, jobs, threads):
    assert jobs_at_once(launcher, cores) == jobs
    assert threads_per_job(cpu_threads, launcher, cores) == threads


@pytest.mark.parametrize(
    ("launcher", "cpu_threads", "cores", "gpus", "message"),
    [(joblib_launcher(-1), None, 2, None, None),
     (joblib_launcher(2), 1, 2, None, None),
     (joblib_launcher(2), 2, 2, None, "hydra.launcher.n_jobs = 2 jobs at once x cpu_threads = 2 threads each need 4 "
                                      "cores; this machine gives this command 2: lower hydra.launcher.n_jobs or "
                                      "cpu_threads so that their product is at most 2"),
     (joblib_launcher(3), None, 2, None, "need 3 cores; this machine gives this command 2"),
     (joblib_launcher(0), None, 2, None, "hydra.launcher.n_jobs = 0: must be a number of jobs at once, or -1"),
     (packed_launcher(2), 2, 2, None, "hydra.launcher.n_jobs = 2 jobs at once x cpu_threads = 2 threads each need 4"),
     (packed_launcher(-1), None, 2, None, None),
     (packed_launcher(-1, seeds_per_process=0), None, 2, None,
      "hydra.launcher.seeds_per_process = 0: must be a positive number of seeds"),
     (packed_launcher(0), None, 2, None, "hydra.launcher.n_jobs = 0: must be a number of packs at once, or -1"),
     (BASIC, 0, 2, None, "cpu_threads = 0: must be null (torch's choice) or a positive integer"),
     (ray_launcher(num_gpus=1), None, 16, 0, "hydra.launcher.ray.remote.num_gpus = 1: each job asks for that many "
                                             "GPUs and this machine has 0, so Ray would wait for them forever"),
     (ray_launcher(num_gpus=0.25), None, 16, 1, None),                # four jobs share the GPU
     (ray_launcher(num_gpus=0, num_cpus=4), None, 2, 0, "hydra.launcher.ray.remote.num_cpus = 4: each job asks for "
                                                        "that many cores and this machine gives this command 2"),
     (ray_launcher(num_gpus=8, address="auto"), None, 2, 0, None)],   # a cluster's nodes are not this machine's
)  # fmt: skip
def test_a_request_the_machine_cannot_meet_is_refused_in_one_line(launcher, cpu_threads, cores, gpus, message):
    refusal = launcher_refusal(cpu_threads, launcher, cores, gpus)
    assert refusal == message if message is None else message in refusal


def test_the_joblib_launcher_is_one_word_and_every_run_has_the_check():
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        config = compose("train", overrides=["hydra/launcher=joblib"], return_hydra_config=True)
    assert config.hydra.launcher._target_ == JOBLIB_LAUNCHER and config.hydra.launcher.n_jobs == -1
    assert config.hydra.callbacks.concurrent_jobs._target_ == "ganlab.concurrent_jobs.ConcurrentJobs"
    assert config.cpu_threads is None


def run_sweep(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    # the timeout is far below loky's 5-minute idle timeout, which the command once waited out after its jobs
    return subprocess.run(
        [sys.executable, "-m", "ganlab.train", "--multirun", "hydra/launcher=joblib", *args, *TINY,
         "hydra.sweep.dir=sweep"], cwd=cwd, env=env, capture_output=True, text=True, timeout=150,
    )  # fmt: skip


def test_a_joblib_sweep_runs_its_jobs_and_returns_and_a_rerun_skips_them(tmp_path):
    result = run_sweep(tmp_path, "hydra.launcher.n_jobs=2", "seed=0,1")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    runs = [tmp_path / "sweep" / str(job) for job in (0, 1)]
    assert [json.loads((run / "status.json").read_text())["status"] for run in runs] == ["completed", "completed"]
    threads = max(1, machine_cores() // 2)
    for run in runs:
        assert f"torch CPU threads: {threads} of the {machine_cores()} cores" in (run / "train.log").read_text()
    rerun = run_sweep(tmp_path, "hydra.launcher.n_jobs=2", "seed=0,1")
    assert rerun.returncode == 0 and rerun.stdout.count("skipped: completed before") == 2, rerun.stdout[-3000:]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["cpu_threads=0"], "ganlab: cpu_threads = 0: must be null (torch's choice) or a positive integer\n"),
     ([f"hydra.launcher.n_jobs={machine_cores() + 1}"], "lower hydra.launcher.n_jobs or cpu_threads")],
)  # fmt: skip
def test_a_sweep_the_machine_cannot_run_is_refused_before_its_first_job(tmp_path, arguments, message):
    result = run_sweep(tmp_path, *arguments, "seed=0,1")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "sweep").exists()
